"""The sliders of ``gantoy.notebook.widgets``: the numbers behind each figure against closed forms
and the continuous-time prediction, and a slider that really redraws."""

import math

import numpy as np
import pytest
from scipy import stats

from gantoy.notebook import widgets

ipywidgets = pytest.importorskip("ipywidgets")


def test_instance_noise_tv_is_the_closed_form():
    # TV of N(0, s^2) and N(theta, s^2): 2 Phi(theta / 2s) - 1 (scipy's normal cdf)
    out = widgets.instance_noise_curves(0.3)
    np.testing.assert_allclose(out["tv"], 2 * stats.norm.cdf(out["theta"] / 0.6) - 1, atol=1e-6)


def test_instance_noise_gradient_against_finite_differences():
    out = widgets.instance_noise_curves(0.2, theta=np.linspace(0.0, 1.5, 151))
    fd = np.gradient(out["js"], out["theta"])  # second-order central differences inside
    np.testing.assert_allclose(out["djs"][5:-5], fd[5:-5], atol=2e-3)


def test_instance_noise_gradient_range_grows_with_sigma():
    # JS_sigma depends on theta / sigma only, so the live range scales with sigma
    live = [widgets.instance_noise_curves(s, theta=np.linspace(0, 20, 2001))["live"] for s in (0.05, 0.1, 0.2, 0.4)]
    assert np.all(np.diff(live) > 0)
    np.testing.assert_allclose(np.array(live) / np.array([0.05, 0.1, 0.2, 0.4]), live[0] / 0.05, rtol=0.05)
    far = widgets.instance_noise_curves(0.05)
    assert abs(far["js"][-1] - math.log(2)) < 1e-6 and far["djs"][-1] < 1e-6


def test_penalty_follows_the_branch_to_minus_two_lambda():
    # large lambda: the critic tracks psi* = 1 + theta / 2 lambda, so theta' = -1 - theta / 2 lambda and
    # theta_k = -2 lambda + (1 + 2 lambda) exp(-k h / 2 lambda)
    lam, h = 10.0, 0.01
    out = widgets.penalty_trajectory(lam, n_steps=8000)
    k = np.array([1000, 2000, 4000, 8000])
    np.testing.assert_allclose(out["traj"][k, 0], -2 * lam + (1 + 2 * lam) * np.exp(-k * h / (2 * lam)), atol=0.05)
    assert out["stall"] == -20.0


def test_penalty_small_lambda_circles():
    out = widgets.penalty_trajectory(0.1)
    assert out["swing"] > 0.1  # still swinging across the data over the second half
    late = out["traj"][10_000:]
    assert np.linalg.norm(late, axis=1).min() > 0.1


def test_sliders_redraw(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    w = widgets.penalty(1.0, n_steps=2000)
    assert w.result["stall"] == -2.0
    w.children[0].value = 10.0
    assert w.result["stall"] == -20.0  # the slider's change reached the function
    v = widgets.instance_noise(0.2)
    before = v.result["live"]
    v.children[0].value = 0.05
    assert v.result["live"] < before


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), "1", True, 1e4])
def test_bad_values_raise(bad):
    with pytest.raises(ValueError, match="sigma"):
        widgets.instance_noise_curves(bad)
    with pytest.raises(ValueError, match="lam"):
        widgets.penalty_trajectory(bad)

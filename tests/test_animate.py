"""The animations of ``gantoy.notebook.animate``: self-contained JS-HTML with controls, small,
and (for the ring) drawn from real training."""

import re

import jax
import numpy as np
import pytest

from gantoy.gan import engine
from gantoy.notebook import animate


def _check_html(h, n_frames):
    html = h.data
    assert "anim-controls" in html and "play_animation()" in html and 'type="range"' in html
    assert f"new Array({n_frames})" in html
    assert len(re.findall(r'frames\[\d+\] = "data:image/', html)) == n_frames  # embedded, no files
    assert "<figcaption" in html
    assert len(html.encode()) < animate.MAX_BYTES


def test_example1_html():
    _check_html(animate.example1(n_frames=4), 4)


def test_dirac_trajectories_html():
    _check_html(animate.dirac_trajectories(n_frames=3, n_steps=30), 3)


def test_figures_are_closed():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    animate.example1(n_frames=2)
    assert len(plt.get_fignums()) == before


def test_ring_frames_come_from_training():
    """The last frame's fakes are the final generator's samples, and segments equal one long run."""
    key = jax.random.key(3)
    fr = animate.ring_frames(key, n_steps=6, n_frames=4, n_samples=32, resolution=6)
    assert list(fr.steps) == [0, 2, 4, 6]
    assert fr.fake.shape == (4, 4, 32, 2) and fr.push.shape == (4, 4, 32, 2) and fr.surface.shape == (4, 4, 6, 6)
    for i, cfg in enumerate(fr.configs):
        long = engine.train(key, cfg, 6, snapshot_steps=(0, 2, 4, 6), n_samples=32, metrics=())  # same programs
        np.testing.assert_allclose(fr.fake[i, -1], long.snapshots[-1], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(fr.fake[i, 0], long.snapshots[0], rtol=1e-6, atol=1e-6)
        z = jax.random.normal(jax.random.fold_in(key, 2), (32, cfg.z_dim))  # train's snapshot codes
        np.testing.assert_allclose(fr.fake[i, -1], engine.generate(cfg, fr.states[i].g_params, z), rtol=1e-5, atol=1e-5)
        # the push is minus the gradient of the generator loss at each fake
        crit = engine.critic_fn(cfg, fr.states[i].d_params)
        g = np.asarray(engine.critic_input_grad(cfg, fr.states[i].d_params, fr.fake[i, -1]))
        logit = np.asarray(crit(fr.fake[i, -1]))
        sig = 1 / (1 + np.exp(-logit))
        factor = {"minimax": sig, "nonsaturating": 1 - sig, "wgan": np.ones_like(sig)}[cfg.loss]
        np.testing.assert_allclose(fr.push[i, -1], factor[:, None] * g, rtol=1e-4, atol=1e-7)
    assert fr.configs[2].clip == 0.01 and fr.configs[3].gp_weight == 0.1


def test_ring_training_html():
    # the settings of the test above: the compiled programs are reused
    _check_html(animate.ring_training(jax.random.key(0), n_steps=6, n_frames=4, n_samples=32), 4)


@pytest.mark.slow
def test_default_animations_are_small():
    for h, n in ((animate.example1(), 17), (animate.dirac_trajectories(), 16),
                 (animate.ring_training(jax.random.key(0)), 17)):
        _check_html(h, n)


def test_bad_input():
    with pytest.raises(ValueError):
        animate.example1(n_frames=1)
    with pytest.raises(ValueError):
        animate.ring_frames(jax.random.key(0), n_steps=5, n_frames=3)
    with pytest.raises(ValueError):
        animate.dirac_trajectories(n_steps=0)

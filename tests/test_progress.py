"""gantoy.progress against naive numpy, scipy and gantoy's divergences."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import spearmanr

import gantoy
from gantoy import progress as P


def _naive_median_filter(x, w):
    h = w // 2
    padded = np.pad(x, (h, h), mode="edge")
    return np.array([np.median(padded[i : i + w]) for i in range(len(x))])


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)), st.sampled_from([1, 3, 5, 11]))
def test_median_filter_matches_naive(x, w):
    np.testing.assert_allclose(P.median_filter(x, w), _naive_median_filter(x, w))


def test_median_filter_rows_independent_and_validation():
    x = np.arange(20.0).reshape(2, 10) ** 2
    out = P.median_filter(x, 5)
    for row, r in zip(x, out):
        np.testing.assert_allclose(r, _naive_median_filter(row, 5))
    with pytest.raises(ValueError, match="odd"):
        P.median_filter(x, 4)
    with pytest.raises(ValueError, match="NaN"):
        P.median_filter([1.0, np.nan, 2.0], 3)


def test_at_steps_pairs_snapshot_s_with_entry_s():
    curve = np.arange(10.0)[None].repeat(2, 0)
    np.testing.assert_array_equal(P.at_steps(curve, [0, 3, 10]), [[0.0, 3.0, 9.0]] * 2)
    with pytest.raises(ValueError, match="steps"):
        P.at_steps(curve, [11])


def test_js_estimate_endpoints_and_bound():
    assert P.js_estimate(2 * math.log(2)) == 0.0
    assert P.js_estimate(0.0) == math.log(2)
    # At the optimal D for two known densities the estimate equals JS exactly
    p = np.array([0.7, 0.2, 0.1])
    q = np.array([0.1, 0.3, 0.6])
    d_loss = -np.sum(p * np.log(p / (p + q))) - np.sum(q * np.log(q / (p + q)))
    np.testing.assert_allclose(P.js_estimate(d_loss), float(gantoy.js(p, q)), rtol=1e-6)


@given(arrays(np.int64, 12, elements=st.integers(-100, 100), unique=True),
       arrays(np.float64, 12, elements=st.floats(-100, 100)))
def test_spearman_matches_scipy_and_is_rank_invariant(x, y):
    if np.ptp(y) == 0:
        return
    np.testing.assert_allclose(P.spearman(x, y), spearmanr(x, y).statistic, rtol=1e-12)
    np.testing.assert_allclose(P.spearman(x.astype(float) ** 3, y), P.spearman(x, y), rtol=1e-12)  # any increasing map


def test_spearman_constant_and_validation():
    assert math.isnan(P.spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="same n"):
        P.spearman([1.0, 2.0], [1.0, 2.0, 3.0])

"""gantoy.studies.progress against naive numpy, hand-computed ranks and gantoy's divergences."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gantoy
from gantoy.studies import progress as P


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


def _average_ranks(v):
    """Rank i = 1 + #{j: v_j < v_i} + (#{j != i: v_j == v_i}) / 2: ties share the mean of their ranks."""
    v = np.asarray(v, dtype=float)
    less = (v[None, :] < v[:, None]).sum(axis=1)
    equal = (v[None, :] == v[:, None]).sum(axis=1)
    return 1.0 + less + (equal - 1) / 2.0


def _pearson(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def test_spearman_hand_computed_examples():
    # no ties: rho = 1 - 6 sum d^2 / (n (n^2 - 1)); ranks (1,2,3,4,5) and (2,1,4,3,5): sum d^2 = 4
    assert P.spearman([1.0, 2.0, 3.0, 4.0, 5.0], [20.0, 10.0, 40.0, 30.0, 50.0]) == pytest.approx(1 - 6 * 4 / 120, abs=1e-15)
    assert P.spearman([3.0, 1.0, 2.0], [-5.0, 7.0, 0.0]) == pytest.approx(-1.0, abs=1e-15)
    # ties: x ranks (1.5, 1.5, 3, 4), y ranks (1, 2, 3.5, 3.5); centred: (-1, -1, .5, 1.5), (-1.5, -.5, 1, 1)
    # rho = (1.5 + .5 + .5 + 1.5) / sqrt(4.5 * 4.5) = 8/9
    assert P.spearman([0.0, 0.0, 1.0, 2.0], [1.0, 2.0, 3.0, 3.0]) == pytest.approx(8 / 9, abs=1e-15)


_values = arrays(np.float64, st.integers(3, 15), elements=st.integers(-6, 6).map(float))  # small ints: many ties
# three decimals in [-100, 100]: exp(y / 50) below stays strictly increasing in float64
_others = st.integers(-100_000, 100_000).map(lambda k: k / 1000)


@given(_values, st.data())
def test_spearman_is_pearson_of_average_ranks(x, data):
    y = data.draw(arrays(np.float64, x.shape[0], elements=st.floats(-100, 100)))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    np.testing.assert_allclose(P.spearman(x, y), _pearson(_average_ranks(x), _average_ranks(y)), rtol=1e-12, atol=1e-14)


@given(st.permutations(range(12)), st.permutations(range(12)))
def test_spearman_closed_form_without_ties(px, py):
    x, y = np.asarray(px, float), np.asarray(py, float)
    d = x - y  # the values are their own ranks minus one
    np.testing.assert_allclose(P.spearman(x, y), 1 - 6 * np.sum(d**2) / (12 * (12**2 - 1)), rtol=1e-12, atol=1e-14)


@given(_values, st.data())
def test_spearman_invariances(x, data):
    y = data.draw(arrays(np.float64, x.shape[0], elements=_others))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    rho = P.spearman(x, y)
    assert -1.0 - 1e-12 <= rho <= 1.0 + 1e-12
    np.testing.assert_allclose(P.spearman(y, x), rho, rtol=1e-12, atol=1e-14)  # symmetric
    np.testing.assert_allclose(P.spearman(x**3 + 2 * x, np.exp(y / 50)), rho, rtol=1e-12, atol=1e-14)  # increasing maps
    np.testing.assert_allclose(P.spearman(-x, y), -rho, rtol=1e-12, atol=1e-14)  # a decreasing map flips the sign
    perm = data.draw(st.permutations(range(x.shape[0])))
    np.testing.assert_allclose(P.spearman(x[perm], y[perm]), rho, rtol=1e-12, atol=1e-14)  # order of the pairs
    np.testing.assert_allclose(P.spearman(x, x), 1.0, rtol=1e-12)


def test_spearman_constant_and_validation():
    assert math.isnan(P.spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="same n"):
        P.spearman([1.0, 2.0], [1.0, 2.0, 3.0])

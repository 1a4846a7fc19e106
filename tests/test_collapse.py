"""gantoy.studies.collapse: Thm. 2.5 of Arjovsky & Bottou against scipy quadrature and finite
differences, 1-d divergences against scipy, the one-mode KL bounds, collapse summaries."""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import logsumexp

import gantoy
from gantoy.studies import collapse as C
from gantoy.measures.distributions import gaussian_mixture
from gantoy.gan.metrics import mode_coverage

LOG2 = math.log(2.0)


# --- references written with scipy only ------------------------------------------------------


def _mix_logpdf(means, weights, s):
    """log of sum_k w_k N(x; m_k, s^2), plain numpy/scipy (log space: no underflow)."""
    means, logw = np.asarray(means, float), np.log(np.asarray(weights, float))
    c = -0.5 * math.log(2 * math.pi * s * s)
    return lambda x: float(logsumexp(logw + c - 0.5 * ((x - means) / s) ** 2))


def _quad(f, means, s):
    """int f over the line, split at every component's +-12 s shoulders (scipy quad).

    quad may warn (IntegrationWarning) that it cannot resolve a piece to its tight tolerances; that
    warning is left out here, since the tests compare the result with gantoy's at rtol 1e-8 or tighter, which a
    poor integral would fail.
    """
    pts = sorted({m + k * s for m in np.ravel(means) for k in (-12.0, 0.0, 12.0)})
    edges = [-np.inf, *pts, np.inf]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return sum(integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=400)[0]
                   for a, b in zip(edges[:-1], edges[1:]))


def _divs_scipy(mp, wp, mq, wq, s):
    """KL(P||Q), KL(Q||P), JS(P, Q), KL(P||M) for 1-d mixtures of N(m, s^2)."""
    lp, lq = _mix_logpdf(mp, wp, s), _mix_logpdf(mq, wq, s)
    lm = lambda x: np.logaddexp(lp(x), lq(x)) - LOG2
    allm = np.concatenate([np.ravel(mp), np.ravel(mq)])
    kl = lambda la, lb: _quad(lambda x: math.exp(la(x)) * (la(x) - lb(x)), allm, s)
    kl_pm, kl_qm = kl(lp, lm), kl(lq, lm)
    return kl(lp, lq), kl(lq, lp), 0.5 * (kl_pm + kl_qm), kl_pm


W_G = (0.6, 0.4)


def _family(theta):
    """Two point masses at theta (weights 0.6, 0.4); smoothing sigma makes them Gaussians."""
    return gaussian_mixture(theta[:, None], 0.0, W_G)


# --- log D* ------------------------------------------------------------------------------------


def test_log_optimal_discriminator_matches_ratio(x64):
    lr, lg = jnp.array([-3.0, 0.0, 2.0]), jnp.array([1.0, 0.0, -5.0])
    pr, pg = np.exp(np.asarray(lr)), np.exp(np.asarray(lg))
    np.testing.assert_allclose(C.log_optimal_discriminator(lr, lg), -np.log1p(pg / pr), rtol=1e-14)


def test_log_optimal_discriminator_finite_far_apart():
    v = C.log_optimal_discriminator(jnp.array([-1e4, 0.0]), jnp.array([0.0, -1e4]))
    assert np.all(np.isfinite(np.asarray(v)))
    np.testing.assert_allclose(v, [-1e4, 0.0], atol=1e-3)
    g = jax.grad(lambda a: C.log_optimal_discriminator(a, jnp.zeros(2)).sum())(jnp.array([-1e4, 1e4]))
    assert np.all(np.isfinite(np.asarray(g)))


def test_log_optimal_discriminator_shape_error():
    with pytest.raises(ValueError, match="same shape"):
        C.log_optimal_discriminator(jnp.zeros(3), jnp.zeros(2))


# --- divergences on a grid -----------------------------------------------------------------------


@settings(max_examples=4)
@given(
    m1=st.floats(-3.0, 3.0),
    m2=st.floats(-3.0, 3.0),
    w=st.floats(0.1, 0.9),
    s=st.floats(0.2, 2.0),
)
def test_divergences_1d_match_scipy(m1, m2, w, s):
    mp, wp, mq, wq = [0.0, 1.5], [w, 1 - w], [m1, m2], [0.5, 0.5]
    with jax.enable_x64(True):
        p, q = gaussian_mixture(np.array(mp)[:, None], 0.0, wp), gaussian_mixture(np.array(mq)[:, None], 0.0, wq)
        r = C.divergences_1d(p, q, s, C.grid_1d(p, q, sigma=s))
        kl_pq, kl_qp, js, _ = _divs_scipy(mp, wp, mq, wq, s)
        np.testing.assert_allclose([r.kl_pq, r.kl_qp, r.js], [kl_pq, kl_qp, js], rtol=1e-8, atol=1e-12)


def test_divergences_1d_mixtures_of_different_widths(x64):
    """Components of different widths (std 0.1 and 0.5, smoothed by 0.4): scipy, and gantoy.distances.smoothed
    where its Gauss-Hermite rule is exact (single Gaussians: quadratic log-ratios)."""
    p = gaussian_mixture([[0.0], [2.0]], 0.1, [0.3, 0.7])
    q = gaussian_mixture([[1.0]], 0.5)
    r = C.divergences_1d(p, q, 0.4, C.grid_1d(p, q, sigma=0.4))
    sp, sq = math.hypot(0.1, 0.4), math.hypot(0.5, 0.4)
    lp, lq = _mix_logpdf([0.0, 2.0], [0.3, 0.7], sp), _mix_logpdf([1.0], [1.0], sq)
    lm = lambda x: np.logaddexp(lp(x), lq(x)) - LOG2
    kl = lambda la, lb: _quad(lambda x: math.exp(la(x)) * (la(x) - lb(x)), [0.0, 1.0, 2.0], sp)
    want = [kl(lp, lq), kl(lq, lp), 0.5 * (kl(lp, lm) + kl(lq, lm))]
    np.testing.assert_allclose([r.kl_pq, r.kl_qp, r.js], want, rtol=1e-9)
    p1 = gaussian_mixture([[0.0]], 0.1)
    r1 = C.divergences_1d(p1, q, 0.4, C.grid_1d(p1, q, sigma=0.4))
    np.testing.assert_allclose(r1.kl_pq, gantoy.kl_smoothed(p1, q, 0.4, order=32), rtol=1e-12)
    np.testing.assert_allclose(r1.kl_qp, gantoy.kl_smoothed(q, p1, 0.4, order=32), rtol=1e-12)


def test_divergences_1d_gaussians_closed_form(x64):
    p, q = gaussian_mixture([[0.0]], 1.0), gaussian_mixture([[1.0]], 2.0)
    r = C.divergences_1d(p, q, 0.0, C.grid_1d(p, q, sigma=0.0))
    want = gantoy.distances.smoothed.kl_gaussians(gantoy.gaussian([0.0], std=1.0), gantoy.gaussian([1.0], std=2.0))
    np.testing.assert_allclose(r.kl_pq, want, rtol=1e-12)


def test_divergences_1d_input_errors():
    p = gaussian_mixture([[0.0]], 1.0)
    ring = gantoy.ring8()
    with pytest.raises(ValueError, match="one-dimensional"):
        C.divergences_1d(ring, ring, 0.1, jnp.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"\[n, 1\]"):
        C.divergences_1d(p, p, 0.1, jnp.zeros((5, 2)))
    with pytest.raises(ValueError, match="no spread"):
        C.grid_1d(gaussian_mixture([[0.0]], 0.0), sigma=0.0)
    with pytest.raises(ValueError, match="n must be"):
        C.grid_1d(p, sigma=0.1, n=2)


# --- Theorem 2.5 -----------------------------------------------------------------------------------


@settings(max_examples=10)
@given(
    t1=st.floats(-3.0, 3.0),
    t2=st.floats(-3.0, 3.0),
    r3=st.floats(-2.0, 2.0),
    s=st.floats(0.15, 2.0),
)
def test_identity_holds(t1, t2, r3, s):
    """grad E[-log D*_theta0(G_theta(z))] = grad (KL - 2 JS); and the minimax pair."""
    with jax.enable_x64(True):
        p_r = gaussian_mixture(jnp.array([[-1.5], [0.5], [r3]]), 0.0, [0.3, 0.5, 0.2])
        g = C.logd_gradient_identity(_family, jnp.array([t1, t2]), p_r, s)
        assert float(g.relative_error) < 1e-9
        scale = float(jnp.linalg.norm(g.two_js)) + 1e-300
        assert float(jnp.linalg.norm(g.minimax - g.two_js)) <= 1e-9 * scale + 1e-14


def test_identity_against_scipy_finite_differences(x64):
    """Right side and the 'moving D*' gradient from scipy quad values and central differences."""
    mr, wr, s, th0, h = [-1.5, 0.5, 2.0], [0.3, 0.5, 0.2], 0.4, np.array([-0.5, 3.0]), 1e-4
    p_r = gaussian_mixture(jnp.array(mr)[:, None], 0.0, wr)
    g = C.logd_gradient_identity(_family, jnp.asarray(th0), p_r, s)

    def values(th):
        kl_gr, _, js, kl_gm = _divs_scipy(th, W_G, mr, wr, s)
        return kl_gr - 2 * js, kl_gr - kl_gm, 2 * js

    fd = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        up, dn = values(th0 + e), values(th0 - e)
        fd.append([(u - d) / (2 * h) for u, d in zip(up, dn)])
    fd = np.array(fd).T  # [3 quantities, 2 params]
    np.testing.assert_allclose(g.kl_minus_2js, fd[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g.nonsaturating, fd[0], rtol=1e-6, atol=1e-8)
    # D* re-optimised at every theta: E[-log D*_theta] = KL(P_theta||P_r) - KL(P_theta||M) + log 2.
    np.testing.assert_allclose(g.moving_dstar, fd[1], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g.minimax, fd[2], rtol=1e-6, atol=1e-8)
    # ... which is not the theorem's quantity.
    assert float(jnp.linalg.norm(g.moving_dstar - g.nonsaturating)) > 1e-2 * float(jnp.linalg.norm(g.nonsaturating))


def test_identity_single_gaussian_closed_form(x64):
    """P_r = N(0, s^2), P_theta = N(theta, s^2): KL' = theta / s^2, JS from js_parallel_lines."""
    # Both point masses of _family at theta (a single Gaussian); P_r's three at 0 (one Gaussian):
    # the derivative along theta = (t, t) is the sum of the two partial derivatives.
    p_r = gaussian_mixture(jnp.zeros((3, 1)), 0.0, [0.3, 0.5, 0.2])
    for theta, s in ((0.7, 0.5), (3.0, 1.0), (2.0, 0.25)):
        g = C.logd_gradient_identity(_family, jnp.array([theta, theta]), p_r, s)
        djs = float(jax.grad(gantoy.js_parallel_lines)(theta, s))
        np.testing.assert_allclose(jnp.sum(g.kl_minus_2js), theta / s**2 - 2 * djs, rtol=1e-9)
        np.testing.assert_allclose(jnp.sum(g.nonsaturating), theta / s**2 - 2 * djs, rtol=1e-9)
        np.testing.assert_allclose(jnp.sum(g.minimax), 2 * djs, rtol=1e-8)


def test_identity_float32_is_finite():
    p_r = gaussian_mixture(jnp.array([[-1.5], [0.5], [2.0]]), 0.0, [0.3, 0.5, 0.2])
    g = C.logd_gradient_identity(_family, jnp.array([-0.5, 3.0]), p_r, 0.05, n_z=1001, n_grid=2001)
    for v in g:
        assert np.all(np.isfinite(np.asarray(v)))


def test_identity_input_errors():
    p_r = gaussian_mixture([[0.0]], 0.0)
    with pytest.raises(ValueError, match="theta0"):
        C.logd_gradient_identity(_family, jnp.zeros((2, 1)), p_r, 1.0)
    with pytest.raises(ValueError, match="GaussianMixture"):
        C.logd_gradient_identity(lambda th: gantoy.gaussian(th, std=1.0), jnp.zeros(1), p_r, 1.0)
    with pytest.raises(ValueError, match="one-dimensional"):
        C.logd_gradient_identity(_family, jnp.zeros(2), gantoy.ring8(), 1.0)
    with pytest.raises(ValueError, match="n_z"):
        C.logd_gradient_identity(_family, jnp.zeros(2), p_r, 1.0, n_z=1)


# --- one mode of m: KL = log m up to an overlap term ---------------------------------------------


@pytest.mark.parametrize("sigma", [0.0, 0.1, 0.2, 0.3, 0.5, 1.0])
def test_one_mode_gap_within_bounds(x64, sigma):
    ring = gantoy.ring8()
    one = gaussian_mixture(ring.modes[:1], 0.02)
    gap = math.log(8) - float(gantoy.kl_smoothed(one, ring, sigma, order=48))
    lo, hi = C.one_mode_kl_gap_bounds(ring, sigma)
    assert float(lo) - 1e-12 <= gap <= float(hi) + 1e-12
    if sigma <= 0.1:
        assert abs(gap) < 1e-12


@pytest.mark.parametrize("sigma", [0.1, 0.01])
def test_reverse_kl_of_a_leak_is_minus_log_one_minus_eps(x64, sigma):
    """KL(P_r || P_g) for P_g = (1 - eps) P_r + eps * (a far mode) is -log(1 - eps) once the leak is far apart."""
    modes = gantoy.ring8().modes
    r_points = gaussian_mixture(modes, 0.0)
    eps = 0.05
    leak = gaussian_mixture(jnp.concatenate([modes, jnp.zeros((1, 2))]), 0.0, jnp.array([(1 - eps) / 8] * 8 + [eps]))
    kl = float(gantoy.kl_smoothed(r_points, leak, sigma, order=64))
    assert abs(kl + math.log(1 - eps)) < 1e-10


def test_one_mode_gap_monte_carlo(x64, key):
    """A Monte Carlo estimate of E[log(1 + sum_k N_k / N_0)] lies within the bounds (and near quadrature)."""
    modes = jnp.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.5]])
    mix = gaussian_mixture(modes, 0.5)
    x = modes[0][None, :] + 0.5 * jax.random.normal(key, (200_000, 2))
    d2 = jnp.sum((x[:, None, :] - modes[None]) ** 2, axis=-1) / (2 * 0.25)
    gap_mc = jnp.mean(jnp.log1p(jnp.exp(d2[:, 0] - d2[:, 1]) + jnp.exp(d2[:, 0] - d2[:, 2])))
    se = float(jnp.std(jnp.log1p(jnp.exp(d2[:, 0] - d2[:, 1]) + jnp.exp(d2[:, 0] - d2[:, 2])))) / math.sqrt(x.shape[0])
    lo, hi = C.one_mode_kl_gap_bounds(mix, 0.0)
    assert float(lo) < float(gap_mc) < float(hi)
    gap_q = math.log(3) - float(gantoy.kl_smoothed(gaussian_mixture(modes[:1], 0.5), mix, 0.0, order=48))
    assert abs(gap_q - float(gap_mc)) < 5 * se


def test_one_mode_gap_errors():
    ring = gantoy.ring8()
    with pytest.raises(ValueError, match="weights"):
        C.one_mode_kl_gap_bounds(gaussian_mixture(ring.modes, 0.02, jnp.arange(1.0, 9.0)), 0.0)
    with pytest.raises(ValueError, match="stds"):
        C.one_mode_kl_gap_bounds(gaussian_mixture(ring.modes, jnp.linspace(0.01, 0.02, 8)), 0.0)
    with pytest.raises(ValueError, match="mode"):
        C.one_mode_kl_gap_bounds(ring, 0.0, mode=8)
    with pytest.raises(ValueError, match="GaussianMixture"):
        C.one_mode_kl_gap_bounds(gantoy.gaussian([0.0, 0.0], std=1.0), 0.0)


# --- collapse summaries ---------------------------------------------------------------------------


def test_count_hops():
    hops, distinct = C.count_hops(np.array([[0, 0, 0], [0, 1, 0], [2, 3, 4]]))
    assert hops.tolist() == [0, 2, 2]
    assert distinct.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="integers"):
        C.count_hops(np.array([0.5, 1.0]))


# ----------------------------------------------------------------------------- snapshot_coverage
class _Mix:
    modes = jnp.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    std = jnp.array([0.05, 0.05, 0.1])


def test_snapshot_coverage_equals_looped_mode_coverage(key):
    s = jax.random.uniform(key, (2, 2, 50, 2), minval=-0.5, maxval=2.5)
    cov = C.snapshot_coverage(s, _Mix())
    assert cov.covered.shape == (2, 2) and cov.counts.shape == (2, 2, 3)
    for i in range(2):
        for j in range(2):
            ref = mode_coverage(s[i, j], _Mix.modes, _Mix.std)
            assert int(cov.covered[i, j]) == int(ref.covered)
            assert float(cov.high_quality[i, j]) == pytest.approx(float(ref.high_quality))
            np.testing.assert_array_equal(cov.counts[i, j], np.asarray(ref.counts))
            np.testing.assert_array_equal(cov.hq_counts[i, j], np.asarray(ref.hq_counts))


def test_snapshot_coverage_single_set_and_errors():
    one = C.snapshot_coverage(jnp.zeros((4, 2)), _Mix())
    assert int(one.covered) == 1 and float(one.high_quality) == 1.0
    with pytest.raises(ValueError, match="n, d"):
        C.snapshot_coverage(jnp.zeros(3), _Mix())
    with pytest.raises(ValueError, match="modes"):
        C.snapshot_coverage(jnp.zeros((4, 2)), object())

    class ZeroStd:
        modes, std = _Mix.modes, jnp.array([0.05, 0.0, 0.1])

    with pytest.raises(ValueError, match="std must be > 0"):
        C.snapshot_coverage(jnp.zeros((4, 2)), ZeroStd())


def test_snapshot_coverage_is_the_penalty_name():
    """Notebook 10 calls it as gantoy.studies.penalty.snapshot_coverage; one function serves both modules."""
    from gantoy.studies import penalty

    assert penalty.snapshot_coverage is C.snapshot_coverage is gantoy.studies.penalty.snapshot_coverage


def test_summarize_collapse_constructed(key):
    ring = gantoy.ring8()
    every = jnp.repeat(ring.modes, 10, axis=0)  # all 8 modes, exactly on them
    one = jnp.tile(ring.modes[3][None, :], (80, 1))  # a single mode
    blob = ring.modes[5][None, :] + 0.3 * jax.random.normal(key, (80, 2))  # a wide blob at mode 5
    s = C.summarize_collapse(jnp.stack([every, one, blob])[None], ring)
    assert s.covered[0].tolist()[:2] == [8, 1]
    assert s.modes_with_mass[0].tolist()[:2] == [8, 1]
    np.testing.assert_allclose(s.high_quality[0, :2], [1.0, 1.0])
    assert s.high_quality[0, 2] < 0.2  # 3 std = 0.06 against a blob of std 0.3
    assert s.dominant[0, 1:].tolist() == [3, 5]
    np.testing.assert_allclose(s.mass.sum(-1), 1.0)
    assert s.hops.tolist() == [2] and s.distinct.tolist() == [3]
    with pytest.raises(ValueError, match="seeds, snaps"):
        C.summarize_collapse(every, ring)


def test_summarize_collapse_matches_mode_coverage(key):
    grid = gantoy.grid25()
    x = jax.random.uniform(key, (2, 3, 500, 2), minval=-5.0, maxval=5.0)
    s = C.summarize_collapse(x, grid)
    ref = gantoy.mode_coverage(x[1, 2], grid)
    assert int(s.covered[1, 2]) == int(ref.covered)
    np.testing.assert_allclose(s.high_quality[1, 2], ref.high_quality)
    assert int(s.modes_with_mass[1, 2]) == int(gantoy.modes_with_mass(ref.counts, 0.4 / 25))


def test_summary_of_a_diverged_snapshot_is_not_a_collapse():
    """A snapshot whose samples are all NaN has no dominant mode and no mass: it is not a hop to mode 0."""
    ring = gantoy.ring8()
    good = jnp.tile(ring.modes[3], (10, 1))
    snaps = jnp.stack([good, jnp.full_like(good, jnp.nan), good])[None]
    s = gantoy.summarize_collapse(snaps, ring)
    assert s.dominant.tolist() == [[3, -1, 3]]
    assert s.hops.tolist() == [0] and s.distinct.tolist() == [1]
    assert np.isnan(s.mass[0, 1]).all() and s.mass[0, 0, 3] == 1.0
    assert s.covered.tolist() == [[1, 0, 1]]


def test_summarize_collapse_near_held_spread(key):
    """Hand-built snapshots: all 8 modes, one mode, a narrow blob in empty space (the ring's centre)."""
    ring = gantoy.ring8()
    every = jnp.repeat(ring.modes, 10, axis=0)
    one = jnp.tile(ring.modes[3][None, :], (80, 1))
    centre = 0.01 * jax.random.normal(key, (80, 2))
    s = C.summarize_collapse(jnp.stack([every, one, centre, one])[None], ring)
    np.testing.assert_allclose(s.radius, np.sin(np.pi / 8), rtol=1e-6)  # a quarter of 4 sin(pi/8)
    np.testing.assert_allclose(s.near[0], [1.0, 1.0, 0.0, 1.0])
    assert s.held[0].tolist() == [8, 1, 0, 1]
    assert s.held_mode[0].tolist() == [-1, 3, -1, 3] and s.jumps.tolist() == [0]
    np.testing.assert_allclose(s.spread[0, 0], 4.0 / gantoy.gan.metrics.mixture_covariance_trace(ring), rtol=1e-5)
    assert s.spread[0, 1] == 0.0 and s.spread[0, 2] < 1e-3  # both narrow: the spread alone cannot tell them apart
    with pytest.raises(ValueError, match="radius"):
        C.summarize_collapse(jnp.stack([every])[None], ring, radius=0.0)


# --- Theorem 2.6 -----------------------------------------------------------------------


def test_tail_index_against_known_tails():
    rng = np.random.default_rng(0)
    for alpha in (0.5, 1.0, 3.0):
        x = rng.pareto(alpha, 400_000) + 1.0  # P(X > t) = t^-alpha
        assert abs(C.tail_index(x, 4000) - alpha) < 0.06 * alpha
    cauchy = rng.standard_cauchy(400_000)
    assert abs(C.tail_index(cauchy, 4000) - 1.0) < 0.06
    assert C.tail_index(rng.standard_normal(400_000), 4000) > 4.0
    with pytest.raises(ValueError):
        C.tail_index(cauchy, 0)
    with pytest.raises(ValueError):
        C.tail_index(np.zeros(10), 3)


def test_perturbed_gradients_formulas(x64, key):
    """Against the closed form of two Gaussians: logit = (theta^2 - 2 x theta) / (2 s^2), its x-derivative -theta / s^2."""
    th, s = 0.3, 0.2
    p_r, p_g = gaussian_mixture([[0.0]], 0.0), gaussian_mixture([[th]], 0.0)
    x = jnp.linspace(-0.5, 1.0, 7)[:, None]
    ell = (th**2 - 2 * x[:, 0] * th) / (2 * s**2)
    dell = -th / s**2
    k1, k2 = jax.random.split(key)
    eps, r = 0.01 * jax.random.normal(k1, (7,), jnp.float64), 0.02 * jax.random.normal(k2, (7,), jnp.float64)
    d0 = 1.0 / (1.0 + np.exp(-ell))
    g = C.perturbed_generator_gradients(key, p_r, p_g, s, x, noise=0.01, grad_noise=0.02)
    dd = d0 * (1 - d0) * dell + r
    np.testing.assert_allclose(g.d_star, d0, rtol=1e-12)
    np.testing.assert_allclose(g.nonsaturating, -dd / (d0 + eps), rtol=1e-10)
    np.testing.assert_allclose(g.minimax, -dd / (1 - d0 - eps), rtol=1e-10)
    gl = C.perturbed_generator_gradients(key, p_r, p_g, s, x, noise=0.01, grad_noise=0.02, space="logit")
    dl = 1.0 / (1.0 + np.exp(-(ell + eps)))
    np.testing.assert_allclose(gl.nonsaturating, -(1 - dl) * (dell + r), rtol=1e-10)
    np.testing.assert_allclose(gl.minimax, -dl * (dell + r), rtol=1e-10)
    # without noise the per-sample gradient is the derivative of -log D* (finite differences)
    f = lambda v: float(jax.nn.softplus(-((th**2 - 2 * v * th) / (2 * s**2))))
    h = 1e-6
    fd = (f(0.4 + h) - f(0.4 - h)) / (2 * h)
    g1 = C.perturbed_generator_gradients(key, p_r, p_g, s, jnp.array([[0.4]]), noise=1e-300, space="logit")
    np.testing.assert_allclose(g1.nonsaturating[0], fd, rtol=1e-6)


def test_perturbed_gradients_are_cauchy_where_d_star_vanishes(x64, key):
    """Thm 2.6: D* ~ 1e-22 on the samples: -grad log D ~ r / eps is Cauchy; the original loss's ~ -r is Gaussian."""
    from scipy import stats

    p_r, p_g = gaussian_mixture([[0.0]], 0.0), gaussian_mixture([[1.0]], 0.0)
    x = 1.0 + 0.1 * jax.random.normal(key, (20_000, 1), jnp.float64)  # the generator's samples
    g = C.perturbed_generator_gradients(jax.random.fold_in(key, 1), p_r, p_g, 0.1, x, noise=0.01)
    assert stats.kstest(np.asarray(g.nonsaturating), stats.cauchy(scale=1.0).cdf).pvalue > 1e-3
    assert stats.kstest(np.asarray(g.minimax), stats.norm(scale=0.01).cdf).pvalue > 1e-3


def test_perturbed_gradients_errors():
    p = gaussian_mixture([[0.0]], 0.0)
    x = jnp.zeros((3, 1))
    with pytest.raises(ValueError, match="noise"):
        C.perturbed_generator_gradients(jax.random.key(0), p, p, 0.1, x, noise=0.0)
    with pytest.raises(ValueError, match="space"):
        C.perturbed_generator_gradients(jax.random.key(0), p, p, 0.1, x, noise=0.1, space="x")
    with pytest.raises(ValueError, match=r"\[n, 1\]"):
        C.perturbed_generator_gradients(jax.random.key(0), p, p, 0.1, jnp.zeros(3), noise=0.1)


def test_collapse_test_separates_collapse_from_an_empty_blob_and_from_coverage(key):
    ring = gantoy.ring8()
    three = jnp.repeat(ring.modes[:3], 30, axis=0)  # three adjacent modes: spread 0.35
    blob = jnp.array([[3.0, 3.0]]) + 0.01 * jax.random.normal(key, (90, 2))  # outside the ring
    every = jnp.repeat(ring.modes, 12, axis=0)[:90]
    s = C.summarize_collapse(jnp.stack([three, blob, every])[None], ring)
    np.testing.assert_allclose(s.spread[0, 0], 0.352, atol=2e-3)
    assert C.collapse_test(s, max_held=3).tolist() == [[True, False, False]]
    assert C.collapse_test(s, max_held=3, max_spread=0.3).tolist() == [[False, False, False]]
    with pytest.raises(ValueError):
        C.collapse_test(s, max_held=0)

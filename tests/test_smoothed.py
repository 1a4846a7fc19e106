"""Smoothed divergences: against scipy quadrature, closed forms, POT and finite differences."""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import integrate, linalg, stats
from scipy.special import logsumexp, xlogy

import gantoy
from gantoy.measures import distributions as D
from gantoy.distances import smoothed as S

LOG2 = math.log(2.0)


# --- independent references (scipy) ---------------------------------------------------


def _js_1d_quad(theta, sigma):
    """JS(N(0, s^2), N(theta, s^2)) from its definition, integrated by scipy's quad."""
    lp = lambda x: stats.norm.logpdf(x, 0.0, sigma)
    lq = lambda x: stats.norm.logpdf(x, theta, sigma)

    def f(x):
        a, b = lp(x), lq(x)
        m = np.logaddexp(a, b) - LOG2
        return 0.5 * np.exp(a) * (a - m) + 0.5 * np.exp(b) * (b - m)

    # break points at both peaks, their +-12 sigma shoulders and the midpoint
    pts = sorted({0.0, theta / 2, theta, *(c + k * sigma for c in (0.0, theta) for k in (-12, 12))})
    edges = [-np.inf, *pts, np.inf]
    # For theta << sigma the integrand is a difference of nearly equal terms, and
    # quad warns that it meets round-off before 1e-15; its own error estimate
    # (about 1e-16 there) is what must stay far below the tests' tolerance.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        parts = [integrate.quad(f, lo, hi, epsabs=1e-15, epsrel=1e-13, limit=500)
                 for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    error = sum(e for _, e in parts)
    assert error < 1e-12, (theta, sigma, error)
    return sum(v for v, _ in parts)


def _lines_2d_density(theta, sigma):
    """p(x, y) of the line {theta} x [0, 1] blurred by N(0, s^2 I), written out in 2-d."""

    def p(x, y):
        return stats.norm.pdf(x, theta, sigma) * (stats.norm.cdf(y / sigma) - stats.norm.cdf((y - 1) / sigma))

    return p


def _f_div_2d(theta, sigma, f):
    """int int f(p0, p1) dx dy over the plane for the blurred parallel lines.

    A tensor Gauss-Legendre rule (numpy: 40 panels of 20 nodes per axis) over the
    box holding all but ~1e-23 of the mass, independent of gantoy's code path.
    """
    t, w = np.polynomial.legendre.leggauss(20)

    def rule(lo, hi, panels=40):
        edges = np.linspace(lo, hi, panels + 1)
        half = np.diff(edges)[:, None] / 2
        return ((edges[:-1, None] + half) + half * t).ravel(), (half * w).ravel()

    x, wx = rule(-10 * sigma, theta + 10 * sigma)
    y, wy = rule(-10 * sigma, 1 + 10 * sigma)
    xx, yy = np.meshgrid(x, y, indexing="ij")
    vals = f(_lines_2d_density(0.0, sigma)(xx, yy), _lines_2d_density(theta, sigma)(xx, yy))
    return float(wx @ vals @ wy)


# --- JS for the parallel lines ----------------------------------------------------------


@given(
    log_sigma=st.floats(math.log(1e-3), math.log(10.0)),
    theta=st.one_of(st.floats(0.0, 100.0), st.floats(0.0, 1e-2)),
)
@example(log_sigma=math.log(1e-3), theta=1e-16)  # JS about 1e-27: the reference at its round-off floor
def test_js_parallel_lines_matches_scipy_quad(log_sigma, theta):
    sigma = math.exp(log_sigma)
    with jax.enable_x64(True):
        js = float(S.js_parallel_lines(theta, sigma))
    assert abs(js - _js_1d_quad(theta, sigma)) < 1e-9


@pytest.mark.parametrize(
    "theta,sigma", [(0.0, 1e-3), (1e-3, 1e-3), (0.02, 1e-2), (1.0, 1.0), (3.0, 1.0), (2.0, 0.5),
                    (5.0, 1.0), (0.1, 10.0), (100.0, 10.0), (100.0, 1e-3), (7.3, 2.1)]
)
def test_js_parallel_lines_grid_matches_scipy_quad(theta, sigma, x64):
    assert abs(float(S.js_parallel_lines(theta, sigma)) - _js_1d_quad(theta, sigma)) < 1e-9


@pytest.mark.parametrize("theta,sigma", [(0.5, 0.5), (1.0, 0.3), (0.2, 0.05)])
def test_parallel_lines_reduce_to_1d(theta, sigma, x64):
    # the shared factor in y cancels: the 2-d divergences equal the 1-d ones
    def js_integrand(a, b):
        m = 0.5 * (a + b)
        return 0.5 * (xlogy(a, a) - xlogy(a, m)) + 0.5 * (xlogy(b, b) - xlogy(b, m))

    js2 = _f_div_2d(theta, sigma, js_integrand)
    assert abs(js2 - float(S.js_parallel_lines(theta, sigma))) < 1e-9
    kl2 = _f_div_2d(theta, sigma, lambda a, b: xlogy(a, a) - xlogy(a, b))
    assert abs(kl2 - float(S.kl_parallel_lines(theta, sigma))) < 1e-9
    tv2 = _f_div_2d(theta, sigma, lambda a, b: 0.5 * np.abs(a - b))
    assert abs(tv2 - float(S.tv_parallel_lines(theta, sigma))) < 1e-7


def test_js_parallel_lines_tends_to_log2_with_zero_gradient(x64):
    grad = jax.jit(jax.grad(S.js_parallel_lines))
    for sigma in (1e-3, 0.1, 1.0):
        for ratio in (20.0, 50.0, 1e3, 1e5):
            theta = ratio * sigma
            js = float(S.js_parallel_lines(theta, sigma))
            g = float(grad(theta, sigma))
            # log 2 - JS <= Phi(-r/2)-sized: below 1e-12 from r = 20 on
            assert abs(js - LOG2) < 1e-12 and abs(g) < 1e-12, (theta, sigma, js, g)
            if ratio >= 80:
                assert js == LOG2 and g == 0.0  # exactly: the gap underflows
    # monotone increase towards log 2 along theta / sigma
    r = jnp.linspace(0.0, 40.0, 401)
    v = jax.vmap(S.js_parallel_lines, in_axes=(0, None))(r, 1.0)
    assert bool(jnp.all(jnp.diff(v) >= 0)) and float(v[0]) == pytest.approx(0.0, abs=1e-14)
    assert float(v.max()) <= LOG2


def test_js_parallel_lines_depends_only_on_theta_over_sigma(x64):
    for r in (0.3, 2.0, 7.0):
        vals = [float(S.js_parallel_lines(r * s, s)) for s in (1e-3, 0.1, 5.0)]
        np.testing.assert_allclose(vals, vals[0], rtol=1e-12)
        assert float(S.js_parallel_lines(-r, 1.0)) == float(S.js_parallel_lines(r, 1.0))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_parallel_lines_values_and_gradients_finite_everywhere(dtype):
    with jax.enable_x64(dtype == jnp.float64):
        thetas = jnp.array([0.0, 1e-30, 1e-6, 0.5, 1.0, -3.0, 30.0, 100.0], dtype)
        sigmas = jnp.array([0.0, 1e-6, 1e-3, 0.1, 1.0, 10.0], dtype)
        tt, ss = (a.ravel() for a in jnp.meshgrid(thetas, sigmas, indexing="ij"))
        for fn in (S.js_parallel_lines, S.tv_parallel_lines, S.kl_parallel_lines):
            values = jax.jit(jax.vmap(fn))(tt, ss)
            grads = jax.jit(jax.vmap(jax.grad(fn, argnums=(0, 1))))(tt, ss)
            assert values.dtype == dtype
            assert not bool(jnp.any(jnp.isnan(values))), fn.__name__
            assert bool(jnp.all(jnp.isfinite(grads[0]))), fn.__name__
            if fn is not S.kl_parallel_lines:  # KL = +inf at sigma = 0, theta != 0
                assert bool(jnp.all(jnp.isfinite(values))), fn.__name__
                assert bool(jnp.all(jnp.isfinite(grads[1]))), fn.__name__
        js = jax.vmap(S.js_parallel_lines)(tt, ss)
        assert bool(jnp.all((js >= -1e-6) & (js <= LOG2 + 1e-6)))


def test_parallel_lines_gradients_match_finite_differences(x64):
    h = 1e-6
    for fn in (S.js_parallel_lines, S.tv_parallel_lines, S.kl_parallel_lines):
        for theta, sigma in ((0.3, 1.0), (1.9, 1.0), (2.5, 1.0), (4.0, 0.7), (0.05, 0.01)):
            g_theta, g_sigma = jax.grad(fn, argnums=(0, 1))(theta, sigma)
            fd_theta = (float(fn(theta + h, sigma)) - float(fn(theta - h, sigma))) / (2 * h)
            fd_sigma = (float(fn(theta, sigma + h * sigma)) - float(fn(theta, sigma - h * sigma))) / (2 * h * sigma)
            np.testing.assert_allclose(float(g_theta), fd_theta, rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(float(g_sigma), fd_sigma, rtol=1e-6, atol=1e-9)


def test_kl_and_tv_parallel_lines_closed_forms_match_scipy(x64):
    for theta, sigma in ((0.5, 1.0), (2.0, 0.3), (0.01, 0.02), (40.0, 3.0)):
        kl_ref = integrate.quad(
            lambda x: stats.norm.pdf(x, 0, sigma)
            * (stats.norm.logpdf(x, 0, sigma) - stats.norm.logpdf(x, theta, sigma)),
            -30 * sigma, 30 * sigma, epsabs=1e-13, epsrel=1e-12, limit=400,
        )[0]
        np.testing.assert_allclose(float(S.kl_parallel_lines(theta, sigma)), kl_ref, rtol=1e-9)
        tv_ref = 0.5 * integrate.quad(
            lambda x: abs(stats.norm.pdf(x, 0, sigma) - stats.norm.pdf(x, theta, sigma)),
            -30 * sigma, theta + 30 * sigma, points=[theta / 2], epsabs=1e-14, epsrel=1e-12, limit=400,
        )[0]
        np.testing.assert_allclose(float(S.tv_parallel_lines(theta, sigma)), tv_ref, rtol=1e-9, atol=1e-13)
        # and the textbook form 2 Phi(|theta| / (2 sigma)) - 1
        np.testing.assert_allclose(
            float(S.tv_parallel_lines(theta, sigma)), 2 * stats.norm.cdf(theta / (2 * sigma)) - 1, rtol=1e-12
        )


def test_unsmoothed_limits_of_example_1(x64):
    for theta in (1e-6, 0.5, -2.0, 100.0):
        assert float(S.js_parallel_lines(theta, 0.0)) == LOG2
        assert float(S.kl_parallel_lines(theta, 0.0)) == math.inf
        assert float(S.tv_parallel_lines(theta, 0.0)) == 1.0
        assert float(jax.grad(S.js_parallel_lines)(theta, 0.0)) == 0.0
    assert float(S.js_parallel_lines(0.0, 0.0)) == 0.0
    assert float(S.kl_parallel_lines(0.0, 0.0)) == 0.0
    assert float(S.tv_parallel_lines(0.0, 0.0)) == 0.0
    # the smoothed values approach the limits continuously
    assert float(S.tv_parallel_lines(1.0, 1e-2)) == 1.0
    assert float(S.kl_parallel_lines(1.0, 1e-3)) == pytest.approx(5e5)


# --- generic quadrature ------------------------------------------------------------------


def test_quadrature_divergences_match_parallel_lines_closed_forms(x64):
    thetas = jnp.array([0.3, 1.0, 1.0, 2.0])
    sigmas = jnp.array([1.0, 1.0, 0.5, 1.0])
    by_quad = lambda f, **kw: jax.jit(jax.vmap(lambda t, s: f(*D.parallel_lines(t), s, **kw)))(thetas, sigmas)
    by_quad_rev = lambda f: jax.jit(jax.vmap(lambda t, s: f(*D.parallel_lines(t)[::-1], s)))(thetas, sigmas)
    closed = lambda f: jax.vmap(f)(thetas, sigmas)
    # the log ratio is linear in x: Gauss-Hermite makes KL exact (both directions)
    np.testing.assert_allclose(by_quad(S.kl_smoothed), closed(S.kl_parallel_lines), rtol=0, atol=1e-10)
    np.testing.assert_allclose(by_quad_rev(S.kl_smoothed), closed(S.kl_parallel_lines), rtol=0, atol=1e-10)
    np.testing.assert_allclose(by_quad(S.js_smoothed, order=32), closed(S.js_parallel_lines), rtol=0, atol=1e-7)
    # TV's integrand has a kink: slower, but within 1e-2 at order 32
    np.testing.assert_allclose(by_quad(S.tv_smoothed, order=32), closed(S.tv_parallel_lines), rtol=0, atol=1e-2)
    # far apart: exactly log 2 with exactly zero gradient, also by quadrature
    v, g = jax.value_and_grad(lambda t: S.js_smoothed(*D.parallel_lines(t), 0.05))(5.0)
    assert float(v) == LOG2 and float(g) == 0.0
    # gradients flow through the moving nodes
    v, g = jax.value_and_grad(lambda t: S.js_smoothed(*D.parallel_lines(t), 1.0))(1.0)
    np.testing.assert_allclose(float(g), float(jax.grad(S.js_parallel_lines)(1.0, 1.0)), rtol=1e-6)


def _gl_rule(lo, hi, panels):
    """Composite Gauss-Legendre (20 nodes a panel) on [lo, hi]: nodes and weights."""
    t, w = np.polynomial.legendre.leggauss(20)
    edges = np.linspace(lo, hi, panels + 1)
    half = np.diff(edges)[:, None] / 2
    return ((edges[:-1, None] + half) + half * t).ravel(), (half * w).ravel()


def _gmm_logpdf_np(gm, sigma, x, y):
    means, std, w = (np.asarray(a) for a in (gm.means, gm.std, gm.weights))
    var = std**2 + sigma**2
    comps = [
        np.log(wk) - ((x - m[0]) ** 2 + (y - m[1]) ** 2) / (2 * v) - np.log(2 * np.pi * v)
        for m, v, wk in zip(means, var, w)
    ]
    return logsumexp(comps, axis=0)


def test_mixture_divergences_match_tensor_quadrature(x64):
    p = D.gaussian_mixture([[0.0, 0.0], [1.5, 0.5]], [0.4, 0.6], [1.0, 2.0])
    q = D.gaussian_mixture([[0.5, -0.5], [-1.0, 1.0]], [0.5, 0.3], [1.0, 1.0])
    sigma = 0.2
    # reference: numpy tensor Gauss-Legendre on a box holding all but ~1e-13 of the mass
    x, wx = _gl_rule(-6.5, 7.0, 40)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    ww = np.outer(wx, wx)
    lp, lq = _gmm_logpdf_np(p, sigma, xx, yy), _gmm_logpdf_np(q, sigma, xx, yy)
    pp, qq = np.exp(lp), np.exp(lq)
    lm = np.logaddexp(lp, lq) - LOG2
    kl_ref = np.sum(ww * pp * (lp - lq))
    js_ref = np.sum(ww * (0.5 * pp * (lp - lm) + 0.5 * qq * (lq - lm)))
    tv_ref = np.sum(ww * 0.5 * np.abs(pp - qq))
    assert np.sum(ww * pp) == pytest.approx(1.0, abs=1e-12)
    # Gauss-Hermite around each component converges slowly for mixtures: 1e-5 at order 64
    np.testing.assert_allclose(float(S.kl_smoothed(p, q, sigma, order=64)), kl_ref, rtol=1e-5)
    np.testing.assert_allclose(float(S.js_smoothed(p, q, sigma, order=64)), js_ref, rtol=1e-5)
    np.testing.assert_allclose(float(S.tv_smoothed(p, q, sigma, order=64)), tv_ref, atol=5e-3)


def test_ring_kl_of_one_mode_is_log_8(x64):
    # missing modes costs little: KL(one mode || ring) = log 8 when the modes do not overlap
    ring = D.ring8()
    one = D.gaussian_mixture(ring.modes[:1], 0.02)
    assert abs(float(S.kl_smoothed(one, ring, 0.05)) - math.log(8)) < 1e-9
    # leaking mass off the support costs more and more as the smoothing shrinks
    off = D.gaussian_mixture(jnp.zeros((1, 2)), 0.02)
    kls = [float(S.kl_smoothed(off, ring, s)) for s in (0.3, 0.1, 0.03)]
    assert kls[0] < kls[1] < kls[2]


@given(
    shift=st.floats(-3.0, 3.0),
    log_sigma=st.floats(math.log(0.1), math.log(2.0)),
)
def test_js_smoothed_properties(shift, log_sigma):
    sigma = math.exp(log_sigma)
    with jax.enable_x64(True):
        p = D.circle([0.0, 0.0], 1.0)
        q = D.circle([shift, 0.0], 1.0)
        pq, qp = float(S.js_smoothed(p, q, sigma, order=8)), float(S.js_smoothed(q, p, sigma, order=8))
        assert abs(pq - qp) < 1e-12  # symmetric
        assert -1e-9 <= pq <= LOG2 + 1e-12
        assert abs(float(S.js_smoothed(p, p, sigma, order=8))) < 1e-12  # zero for identical inputs
        assert float(S.kl_smoothed(p, q, sigma, order=8)) >= -1e-9
        tv = float(S.tv_smoothed(p, q, sigma, order=8))
        assert -1e-12 <= tv <= 1.0 + 1e-12


def test_js_smoothed_float32_is_nan_free():
    ring = D.ring8()
    far = D.gaussian_mixture(jnp.array([[30.0, 0.0]]), 0.02)
    for sigma in (1e-3, 0.05, 1.0):
        f = lambda r: S.js_smoothed(D.ring8(radius=r), far, sigma)
        v, g = jax.value_and_grad(f)(jnp.float32(2.0))
        assert v.dtype == jnp.float32
        assert np.isfinite(float(v)) and np.isfinite(float(g))
    assert float(S.js_smoothed(ring, far, 0.05)) == pytest.approx(LOG2, abs=1e-6)


def test_jit_and_vmap_over_parameters(x64):
    f = jax.jit(lambda t, s: S.js_smoothed(*D.parallel_lines(t), s))
    v = jax.vmap(f, in_axes=(0, None))(jnp.array([0.5, 1.0]), 1.0)
    np.testing.assert_allclose(v, [float(S.js_parallel_lines(t, 1.0)) for t in (0.5, 1.0)], atol=1e-6)


# --- Gaussians -----------------------------------------------------------------------------


def _kl_numpy(m0, c0, m1, c1):
    d = len(m0)
    inv = np.linalg.inv(c1)
    dm = np.asarray(m1) - np.asarray(m0)
    return 0.5 * (np.trace(inv @ c0) + dm @ inv @ dm - d + np.log(np.linalg.det(c1) / np.linalg.det(c0)))


def _random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def test_kl_gaussians_matches_numpy_and_quadrature(x64):
    rng = np.random.default_rng(0)
    for d in (1, 2, 3, 5):
        m0, m1 = rng.normal(size=d), rng.normal(size=d)
        c0, c1 = _random_spd(rng, d), _random_spd(rng, d)
        p, q = D.gaussian(m0, c0), D.gaussian(m1, c1)
        for sigma in (0.0, 0.4):
            ref = _kl_numpy(m0, c0 + sigma**2 * np.eye(d), m1, c1 + sigma**2 * np.eye(d))
            np.testing.assert_allclose(float(S.kl_gaussians(p, q, sigma)), ref, rtol=1e-10)
        if d == 2:  # the log ratio is quadratic: Gauss-Hermite is exact
            np.testing.assert_allclose(float(S.kl_smoothed(p, q, 0.4, order=4)), float(S.kl_gaussians(p, q, 0.4)), rtol=1e-10)
    g = D.gaussian([0.0, 0.0], [[1.0, 0.2], [0.2, 2.0]])
    assert abs(float(S.kl_gaussians(g, g))) < 1e-12


def test_kl_gaussians_of_singular_covariance(x64):
    """A Gaussian on a subspace has no density: sigma = 0 raises (NaN under jit); sigma > 0
    is the KL of the smoothed laws, against numpy."""
    line = D.Gaussian(jnp.array([0.0, 1.0]), jnp.array([[1.0], [2.0]]))  # rank 1 in the plane
    full = D.gaussian([0.5, 0.0], [[2.0, 0.3], [0.3, 1.0]])
    for p, q, name in ((line, full, "p"), (full, line, "q"), (line, line, "p")):
        with pytest.raises(ValueError, match=f"sigma must be > 0: {name} has a singular covariance .rank 1 < d = 2"):
            S.kl_gaussians(p, q, 0.0)
        assert np.isnan(float(jax.jit(S.kl_gaussians)(p, q, 0.0)))
    sl = np.array([[1.0, 2.0], [2.0, 4.0]])
    for sigma in (0.1, 1.0):
        e = sigma**2 * np.eye(2)
        np.testing.assert_allclose(float(S.kl_gaussians(line, full, sigma)),
                                   _kl_numpy(np.array([0.0, 1.0]), sl + e, np.array([0.5, 0.0]),
                                             np.array([[2.0, 0.3], [0.3, 1.0]]) + e), rtol=1e-10)
        assert float(jax.jit(S.kl_gaussians)(full, line, sigma)) == pytest.approx(
            _kl_numpy(np.array([0.5, 0.0]), np.array([[2.0, 0.3], [0.3, 1.0]]) + e, np.array([0.0, 1.0]), sl + e),
            rel=1e-10)


def test_w2_gaussians_matches_sqrtm_formula_and_pot(x64):
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(1)
    for d in (1, 2, 4):
        m0, m1 = rng.normal(size=d), rng.normal(size=d)
        c0, c1 = _random_spd(rng, d), _random_spd(rng, d)
        r0 = linalg.sqrtm(c0)
        ref = np.sqrt(np.sum((m0 - m1) ** 2) + np.trace(c0 + c1 - 2 * np.real(linalg.sqrtm(r0 @ c1 @ r0))))
        got = float(S.w2_gaussians(D.gaussian(m0, c0), D.gaussian(m1, c1)))
        np.testing.assert_allclose(got, ref, rtol=1e-9)
        pot = float(ot.gaussian.bures_wasserstein_distance(m0, m1, c0, c1))
        np.testing.assert_allclose(got, pot, rtol=1e-7)


def test_w2_gaussians_low_rank_and_gradients(x64):
    # two unit-variance Gaussians on perpendicular lines: W2^2 = 1 + 1 - 2 * 0
    px = D.Gaussian(jnp.zeros(2), jnp.array([[1.0], [0.0]]))
    py = D.Gaussian(jnp.zeros(2), jnp.array([[0.0], [1.0]]))
    assert float(S.w2_gaussians(px, py)) == pytest.approx(math.sqrt(2.0), rel=1e-12)
    # a Dirac (scale 0) against N(0, I_2): W2 = sqrt(trace) = sqrt(2)
    dirac = D.Gaussian(jnp.zeros(2), jnp.zeros((2, 1)))
    assert float(S.w2_gaussians(dirac, D.gaussian([0.0, 0.0], std=1.0))) == pytest.approx(math.sqrt(2.0))
    # same law: zero with a finite (zero) gradient
    g = jax.grad(lambda m: S.w2_gaussians(D.Gaussian(m, jnp.eye(2)), D.Gaussian(jnp.zeros(2), jnp.eye(2))))(jnp.zeros(2))
    np.testing.assert_array_equal(g, 0.0)
    # gradient in the scale against central differences
    a0 = jnp.array([[1.0, 0.3], [0.2, 0.8]])
    b = jnp.array([[0.5, 0.0], [0.4, 1.2]])
    f = lambda a: S.w2_gaussians(D.Gaussian(jnp.array([0.1, 0.0]), a), D.Gaussian(jnp.zeros(2), b))
    grad = jax.grad(f)(a0)
    h = 1e-6
    for i in range(2):
        for j in range(2):
            e = jnp.zeros((2, 2)).at[i, j].set(h)
            fd = (float(f(a0 + e)) - float(f(a0 - e))) / (2 * h)
            np.testing.assert_allclose(float(grad[i, j]), fd, rtol=1e-6)


# --- input errors ------------------------------------------------------------------------------


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="sigma must be finite and >= 0"):
        S.js_parallel_lines(1.0, -1.0)
    with pytest.raises(ValueError, match="sigma must be finite"):
        S.kl_parallel_lines(1.0, float("nan"))
    with pytest.raises(ValueError, match="theta must be a scalar"):
        S.tv_parallel_lines(jnp.ones(3), 1.0)
    with pytest.raises(ValueError, match="theta must be finite"):
        S.js_parallel_lines(float("inf"), 1.0)
    p0, p1 = D.parallel_lines(1.0)
    with pytest.raises(ValueError, match="sigma must be > 0: p .Segment. has no density"):
        S.js_smoothed(p0, p1, 0.0)
    with pytest.raises(ValueError, match="same space"):
        S.kl_smoothed(p0, D.gaussian([0.0, 0.0, 0.0], std=1.0), 0.1)
    with pytest.raises(ValueError, match="q must offer log_prob_smoothed"):
        S.js_smoothed(p0, D.random_pushforward(jax.random.key(0), 2, 2), 0.1)
    with pytest.raises(ValueError, match="order must be a positive int"):
        S.tv_smoothed(p0, p1, 0.1, order=0)
    with pytest.raises(ValueError, match="p must be a gantoy Gaussian"):
        S.kl_gaussians(p0, D.gaussian([0.0, 0.0], std=1.0))
    with pytest.raises(ValueError, match="same space"):
        S.w2_gaussians(D.gaussian([0.0], std=1.0), D.gaussian([0.0, 0.0], std=1.0))
    # no smoothing is fine where the laws have densities
    ring = D.ring8()
    assert np.isfinite(float(S.kl_smoothed(ring, ring, 0.0)))


def test_public_names_exported():
    for name in ("js_smoothed", "kl_smoothed", "tv_smoothed", "js_parallel_lines", "kl_parallel_lines",
                 "tv_parallel_lines"):
        assert getattr(gantoy, name) is getattr(S, name)
    for name in ("kl_gaussians", "w2_gaussians"):
        assert name in S.__all__ and not hasattr(gantoy, name)


def test_plug_in_divergences_of_disjoint_histograms_are_log2_inf_1(x64):
    # WGAN Example 1 on histograms (notebook 04, section 1): disjoint supports give JS = log 2, KL = inf, TV = 1
    p = np.array([3.0, 5.0, 2.0, 0.0, 0.0, 0.0])
    q = np.array([0.0, 0.0, 0.0, 7.0, 1.0, 2.0])
    assert abs(float(gantoy.js(p, q)) - LOG2) < 1e-12
    assert float(gantoy.kl(p, q)) == np.inf
    assert abs(float(gantoy.tv(p, q)) - 1.0) < 1e-12

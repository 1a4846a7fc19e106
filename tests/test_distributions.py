"""Distributions on low-dimensional sets: sampling, smoothed densities, quadrature.

References: scipy (quad, multivariate_normal), closed-form moments, central
finite differences, brute-force numpy geometry.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import logsumexp

import gantoy
from gantoy.measures import distributions as D


def _all_dists():
    return {
        "segment": D.segment([0.0, 0.0], [3.0, 4.0]),
        "parallel": D.parallel_lines(0.7)[1],
        "curve": D.random_curve(jax.random.key(3)),
        "circle": D.circle([1.0, -1.0], 2.0, noise=0.1),
        "swiss_roll": D.swiss_roll(),
        "gaussian": D.gaussian([1.0, 2.0], [[2.0, 0.5], [0.5, 1.0]]),
        "low_rank": D.Gaussian(jnp.zeros(3), jnp.array([[1.0], [2.0], [0.0]])),
        "ring8": D.ring8(),
        "grid25": D.grid25(),
        "pushforward": D.random_pushforward(jax.random.key(0), 3, 5, (8,)),
    }


# --- sampling --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(_all_dists()))
def test_sample_shape_dtype_and_determinism(name, key):
    dist = _all_dists()[name]
    x = dist.sample(key, 7)
    assert x.shape == (7, dist.dim)
    assert x.dtype == jnp.result_type(float)
    assert bool(jnp.all(jnp.isfinite(x)))
    np.testing.assert_array_equal(x, dist.sample(key, 7))  # same key, same draw
    assert not np.array_equal(x, dist.sample(jax.random.fold_in(key, 1), 7))
    assert dist.sample(key, 0).shape == (0, dist.dim)


@pytest.mark.parametrize("name", list(_all_dists()))
def test_distributions_are_pytrees_that_jit(name, key):
    dist = _all_dists()[name]
    leaves, tree = jax.tree_util.tree_flatten(dist)
    assert leaves, "parameters must be pytree leaves"
    rebuilt = jax.tree_util.tree_unflatten(tree, leaves)
    out = jax.jit(lambda d, k: d.sample(k, 4))(rebuilt, key)
    np.testing.assert_allclose(out, dist.sample(key, 4), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True, None])
def test_sample_rejects_bad_n(bad, key):
    with pytest.raises(ValueError, match="n must be"):
        D.ring8().sample(key, bad)


def test_moments_match_closed_forms(x64, key):
    n = 200_000
    cases = []
    seg = D.segment([1.0, 0.0], [3.0, 4.0])
    u = np.array([2.0, 4.0])
    cases.append((seg, [2.0, 2.0], np.outer(u, u) / 12))
    g = D.gaussian([1.0, -2.0], [[2.0, 0.5], [0.5, 1.0]])
    cases.append((g, [1.0, -2.0], [[2.0, 0.5], [0.5, 1.0]]))
    c = D.circle([1.0, 2.0], 3.0, noise=0.5)
    cases.append((c, [1.0, 2.0], (4.5 + 0.25) * np.eye(2)))
    gm = D.gaussian_mixture([[0.0, 0.0], [4.0, 0.0]], [0.5, 1.0], [1.0, 3.0])
    m = 0.75 * 4.0
    var_x = 0.25 * 0.25 + 0.75 * 1.0 + 0.25 * 0.75 * 16
    cases.append((gm, [m, 0.0], [[var_x, 0.0], [0.0, 0.25 * 0.25 + 0.75]]))
    for i, (dist, mean, cov) in enumerate(cases):
        x = np.asarray(dist.sample(jax.random.fold_in(key, i), n))
        se = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(x.mean(0) - mean) < 5 * se + 1e-12), (type(dist).__name__, x.mean(0), mean)
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.03 * np.max(np.abs(cov)))


def test_samples_lie_on_their_supports(x64, key):
    theta = 1.7
    p0, pt = D.parallel_lines(theta)
    x0, xt = p0.sample(key, 1000), pt.sample(key, 1000)
    np.testing.assert_array_equal(x0[:, 0], 0.0)
    np.testing.assert_allclose(xt[:, 0], theta)
    assert float(xt[:, 1].min()) >= 0 and float(xt[:, 1].max()) <= 1
    c = D.circle([1.0, 2.0], 3.0)
    np.testing.assert_allclose(jnp.linalg.norm(c.sample(key, 100) - jnp.array([[1.0, 2.0]]), axis=1), 3.0)
    roll = D.swiss_roll(noise=0.0)
    x = np.asarray(roll.sample(key, 1000)) * 7.5
    r = np.linalg.norm(x, axis=1)
    assert r.min() >= 1.5 * math.pi - 1e-9 and r.max() <= 4.5 * math.pi + 1e-9
    np.testing.assert_allclose(x / r[:, None], np.stack([np.cos(r), np.sin(r)], 1), atol=1e-9)
    curve = D.random_curve(key)
    assert float(curve.distance(curve.sample(key, 50)).max()) < 1e-3


def test_swiss_roll_noise_matches_wgan_gp_code(x64, key):
    roll = D.swiss_roll()
    assert float(roll.noise) == pytest.approx(0.25 / 7.5)
    # residual off the noiseless curve has the per-coordinate std 0.25 / 7.5
    x = roll.sample(key, 20_000)
    d = np.asarray(roll.distance(x))
    # distance to a curve of a 2-d Gaussian offset: about |N(0, s^2)| for small s
    assert np.median(d) == pytest.approx(0.6745 * 0.25 / 7.5, rel=0.1)


def test_reparameterised_gradients(x64, key):
    # d sample / d theta for the shifted line is (1, 0) for every point
    g = jax.jit(jax.jacobian(lambda t: D.parallel_lines(t)[1].sample(key, 5)))(0.3)
    np.testing.assert_array_equal(g[:, 0], 1.0)
    np.testing.assert_array_equal(g[:, 1], 0.0)
    # ring: d mean(sample) / d radius = mean of unit directions of the chosen modes
    f = lambda r: D.ring8(radius=r).sample(key, 50)
    jac = jax.jit(jax.jacobian(f))(2.0)
    x = f(2.0)
    np.testing.assert_allclose(jac, x / 2.0, atol=0.2)  # std 0.02 noise is radius-free
    # MLP push-forward: gradient through every layer, checked by finite differences
    pf = D.random_pushforward(jax.random.key(1), 2, 3, (4,), activation="tanh")
    loss = lambda pf: jnp.sum(pf.sample(key, 8) ** 2)
    loss = jax.jit(loss)
    grads = jax.jit(jax.grad(loss))(pf)
    w = pf.layers[0][0]
    e = jnp.zeros_like(w).at[1, 2].set(1e-6)
    bump = lambda s: D.Pushforward(((w + s * e, pf.layers[0][1]), pf.layers[1]), "tanh")
    fd = (loss(bump(1.0)) - loss(bump(-1.0))) / 2e-6
    np.testing.assert_allclose(grads.layers[0][0][1, 2], fd, rtol=1e-6)


# --- named set-ups: the ring and the grid ---------------------------------------------


def test_ring8_mode_placement_avoids_linspace_trap(x64):
    ring = D.ring8()
    modes = np.asarray(ring.modes)
    assert modes.shape == (8, 2)
    angles = np.arange(8) * 2 * math.pi / 8
    np.testing.assert_allclose(modes, 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1), atol=1e-12)
    dist = np.linalg.norm(modes[:, None] - modes[None], axis=-1) + np.eye(8) * 99
    # 8 distinct modes, neighbours a chord 2 r sin(pi / 8) apart (linspace(0, 2 pi, 8) repeats one)
    np.testing.assert_allclose(dist.min(), 2 * 2.0 * math.sin(math.pi / 8), rtol=1e-12)
    trap = np.linspace(0, 2 * math.pi, 8)
    trap_modes = np.stack([np.cos(trap), np.sin(trap)], 1)
    assert np.linalg.norm(trap_modes[0] - trap_modes[-1]) < 1e-12  # the trap, for contrast
    np.testing.assert_array_equal(ring.std, 0.02)
    np.testing.assert_allclose(ring.weights, 1 / 8)


def test_grid25_modes_and_std(x64):
    grid = D.grid25()
    modes = {tuple(np.round(m, 12)) for m in np.asarray(grid.modes)}
    axis = (-4.0, -2.0, 0.0, 2.0, 4.0)
    assert modes == {(a, b) for a in axis for b in axis}
    np.testing.assert_array_equal(grid.std, 0.05)


def test_ring_samples_cluster_at_modes(key):
    ring = D.ring8()
    x = ring.sample(key, 4000)
    d = jnp.linalg.norm(x[:, None, :] - ring.modes[None], axis=-1)
    assert float(d.min(axis=1).max()) < 6 * 0.02 * 2  # within ~6 std (2-d radius)
    counts = np.bincount(np.asarray(d.argmin(axis=1)), minlength=8)
    assert counts.min() > 400  # every mode used, about 500 each


# --- smoothed log densities against scipy -------------------------------------------------


def _quad_segment_logpdf(x, a, b, sigma):
    a, b = np.asarray(a), np.asarray(b)
    f = lambda t: stats.multivariate_normal.pdf(x, mean=a + t * (b - a), cov=sigma**2 * np.eye(len(a)))
    u = (b - a) / np.linalg.norm(b - a)
    t0 = np.clip(np.dot(x - a, u) / np.linalg.norm(b - a), 0, 1)
    v, _ = integrate.quad(f, 0, 1, points=[t0], epsabs=0, epsrel=1e-12, limit=400)
    return np.log(v) if v > 0 else -np.inf


@given(
    px=st.floats(-1.0, 4.0),
    py=st.floats(-1.0, 5.0),
    log_sigma=st.floats(math.log(0.02), math.log(5.0)),
)
def test_segment_density_matches_quad(px, py, log_sigma):
    sigma = math.exp(log_sigma)
    with jax.enable_x64(True):
        seg = D.segment([0.0, 0.0], [3.0, 4.0])
        lp = float(seg.log_prob_smoothed(jnp.array([[px, py]]), sigma)[0])
    ref = _quad_segment_logpdf(np.array([px, py]), [0.0, 0.0], [3.0, 4.0], sigma)
    if np.isfinite(ref) and ref > -600:
        np.testing.assert_allclose(lp, ref, rtol=1e-9, atol=1e-9)


def test_segment_density_in_3d_and_far_tails(x64):
    a, b = [0.0, 1.0, -1.0], [2.0, 0.0, 1.0]
    seg = D.segment(a, b)
    pts = np.array([[1.0, 0.5, 0.0], [3.0, 0.0, 2.0], [-1.0, 1.0, -1.0], [1.0, 0.3, 0.1]])
    lp = np.asarray(seg.log_prob_smoothed(pts, 0.3))
    ref = [_quad_segment_logpdf(x, a, b, 0.3) for x in pts]
    np.testing.assert_allclose(lp, ref, rtol=1e-9)
    # far in the tails (beyond scipy) the density stays finite and NaN-free, in float32 too
    far = jnp.array([[0.0, 1e3], [1e3, 0.5]])
    for dtype in (jnp.float64, jnp.float32):
        s2 = D.Segment(jnp.array([0.0, 0.0], dtype), jnp.array([0.0, 1.0], dtype))
        out = s2.log_prob_smoothed(far.astype(dtype), 1e-2)
        assert bool(jnp.all(jnp.isfinite(out))), out



def test_segment_density_on_its_support_grows_like_one_over_sigma(x64):
    """A segment of length L in the plane has no density: smoothed by N(0, s^2 I), its density at an
    interior point x is Phi-mass / (L sqrt(2 pi) s) -> 1 / (L sqrt(2 pi) s) as s -> 0 (slope 1 in log-log)."""
    a, b = np.array([-1.0, 0.0]), np.array([1.0, 0.5])
    L = float(np.linalg.norm(b - a))
    seg = D.segment(a, b)
    t = np.array([0.2, 0.5, 0.9])  # fractions along the segment
    pts = a + t[:, None] * (b - a)
    sigmas = np.logspace(-3, -6, 4)
    logp = np.array([np.asarray(seg.log_prob_smoothed(jnp.asarray(pts), s)) for s in sigmas])
    ref = np.log(1.0 / (L * math.sqrt(2 * math.pi) * sigmas))[:, None]
    np.testing.assert_allclose(logp, np.broadcast_to(ref, logp.shape), atol=1e-9)
    slopes = np.polyfit(np.log(1 / sigmas), logp, 1)[0]
    np.testing.assert_allclose(slopes, 1.0, atol=1e-9)
    assert not seg.has_density()

def test_tiny_segment_is_a_point(x64):
    pts = jnp.array([[0.1, 0.2], [1.0, -1.0]])
    tiny = D.segment([0.0, 0.0], [1e-9, 0.0])
    point = D.gaussian_mixture([[0.5e-9, 0.0]], 0.0)
    np.testing.assert_allclose(tiny.log_prob_smoothed(pts, 0.5), point.log_prob_smoothed(pts, 0.5), rtol=1e-12)
    # both sides of the switch to the point formula agree with quadrature
    L0 = 0.5 * float(jnp.finfo(jnp.float64).eps ** (1 / 3))
    for L in (0.99 * L0, 1.01 * L0, 1e-4, 1e-2):
        lp = float(D.segment([0.0, 0.0], [L, 0.0]).log_prob_smoothed(pts[:1], 0.5)[0])
        mass, _ = integrate.quad(stats.norm.pdf, (0.1 - L) / 0.5, 0.1 / 0.5, epsabs=0, epsrel=1e-13)
        ref = stats.norm.logpdf(0.2, scale=0.5) + np.log(mass / L)
        assert abs(lp - ref) < 1e-9, (L, lp, ref)


def test_circle_density_matches_quad(x64):
    c = D.circle([1.0, 0.0], 2.0, noise=0.03)
    pts = np.array([[1.0, 0.0], [3.0, 0.1], [-1.2, 0.4], [2.0, 2.0], [4.0, -3.0]])
    for sigma in (0.0, 0.04, 0.5, 3.0):  # sigma = 0: the noise alone gives a density
        s = math.hypot(sigma, 0.03)
        lp = np.asarray(c.log_prob_smoothed(pts, sigma))
        for x, v in zip(pts, lp):
            f = lambda a: stats.multivariate_normal.pdf(
                x, mean=[1 + 2 * np.cos(a), 2 * np.sin(a)], cov=s**2 * np.eye(2)
            ) / (2 * np.pi)
            ref, _ = integrate.quad(f, 0, 2 * np.pi, epsabs=0, epsrel=1e-12, limit=400)
            if ref > 1e-250:  # scipy's pdf underflows deeper in the tail
                np.testing.assert_allclose(v, np.log(ref), rtol=1e-9)


def test_curve_polyline_density_close_to_exact_circle(x64):
    fn = lambda p, t: p[0] + p[1] * jnp.stack([jnp.cos(2 * jnp.pi * t), jnp.sin(2 * jnp.pi * t)])
    as_curve = D.curve(fn, (jnp.array([1.0, 0.0]), jnp.asarray(2.0)), n_pieces=512)
    exact = D.circle([1.0, 0.0], 2.0)
    pts = jnp.array([[3.0, 0.0], [1.0, 2.05], [-0.9, -0.1], [1.0, 0.0]])
    for sigma in (0.05, 0.5):
        # near the curve the chords are exact to ~1e-3; deep in the tail (the centre,
        # 2 / 0.05 = 40 sigma away) the error is relative to a log density of -796
        np.testing.assert_allclose(
            as_curve.log_prob_smoothed(pts, sigma), exact.log_prob_smoothed(pts, sigma), rtol=1e-4, atol=2e-3
        )


def test_gaussian_and_mixture_densities_match_scipy(x64):
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    g = D.gaussian([1.0, 2.0], cov)
    pts = np.array([[0.0, 0.0], [1.0, 2.0], [5.0, -3.0]])
    for sigma in (0.0, 0.7):
        ref = stats.multivariate_normal.logpdf(pts, [1.0, 2.0], cov + sigma**2 * np.eye(2))
        np.testing.assert_allclose(g.log_prob_smoothed(pts, sigma), ref, rtol=1e-12)
    means = np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 2.0]])
    std, w = np.array([0.2, 0.5, 1.0]), np.array([1.0, 2.0, 1.0])
    gm = D.gaussian_mixture(means, std, w)
    for sigma in (0.0, 0.3):
        comps = [
            stats.multivariate_normal.logpdf(pts, m, (s**2 + sigma**2) * np.eye(2)) + np.log(wk / 4)
            for m, s, wk in zip(means, std, w)
        ]
        np.testing.assert_allclose(gm.log_prob_smoothed(pts, sigma), logsumexp(comps, axis=0), rtol=1e-12)
    # far from every mode: finite (log-space), not -inf, also in float32
    far = jnp.array([[100.0, 100.0]], dtype=jnp.float32)
    r32 = D.GaussianMixture(*(jnp.asarray(a, jnp.float32) for a in (D.ring8().means, D.ring8().std, D.ring8().weights)))
    assert bool(jnp.isfinite(r32.log_prob_smoothed(far, 0.0))[0])


def test_density_gradients_match_finite_differences(x64):
    x = jnp.array([[0.3, 0.4], [1.5, -0.2]])
    cases = [
        (lambda t: D.parallel_lines(t)[1].log_prob_smoothed(x, 0.3).sum(), 0.2),
        (lambda r: D.circle([0.0, 0.0], r).log_prob_smoothed(x, 0.2).sum(), 1.1),
        (lambda s: D.ring8(radius=s).log_prob_smoothed(x, 0.4).sum(), 1.5),
        (lambda s: D.segment([0.0, 0.0], [s, 1.0]).log_prob_smoothed(x, 0.05).sum(), 0.8),
    ]
    for f, t0 in cases:
        f = jax.jit(f)
        g = float(jax.jit(jax.grad(f))(t0))
        h = 1e-6
        fd = (float(f(t0 + h)) - float(f(t0 - h))) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_density_gradients_finite_everywhere(dtype):
    with jax.enable_x64(dtype == jnp.float64):
        pts = jnp.array([[0.0, 0.0], [0.0, 0.5], [50.0, 0.5], [0.0, -40.0], [1e-30, 1.0]], dtype)
        f = lambda t, s: D.parallel_lines(t)[1].log_prob_smoothed(pts, s).sum()
        grad = jax.jit(jax.grad(f, argnums=(0, 1)))
        for t in (0.0, 1.0, 30.0):
            for s in (1e-3, 1.0):
                gt, gs = grad(jnp.asarray(t, dtype), jnp.asarray(s, dtype))
                assert np.isfinite(float(gt)) and np.isfinite(float(gs)), (t, s)
        fc = lambda c: D.circle(c, 1.0).log_prob_smoothed(pts, 0.1).sum()
        assert bool(jnp.all(jnp.isfinite(jax.grad(fc)(jnp.zeros(2, dtype)))))  # x at the centre


# --- quadrature rules -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["segment", "parallel", "circle", "gaussian", "ring8", "grid25", "curve", "swiss_roll"])
def test_quadrature_reproduces_moments(name, x64, key):
    dist = _all_dists()[name]
    sigma = 0.3
    nodes, log_w = dist.quadrature(sigma, order=8)
    w = np.exp(np.asarray(log_w))
    nodes = np.asarray(nodes)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    mean = w @ nodes
    cov = (nodes - mean).T @ (w[:, None] * (nodes - mean))
    if name in ("segment", "parallel", "circle", "gaussian", "ring8", "grid25"):
        if name == "circle":
            ref_mean, ref_cov = np.array([1.0, -1.0]), (2.0 + 0.01 + sigma**2) * np.eye(2)
        elif name in ("segment", "parallel"):
            a, b = np.asarray(dist.start), np.asarray(dist.end)
            ref_mean, ref_cov = (a + b) / 2, np.outer(b - a, b - a) / 12 + sigma**2 * np.eye(2)
        elif name == "gaussian":
            ref_mean, ref_cov = np.array([1.0, 2.0]), np.array([[2.0, 0.5], [0.5, 1.0]]) + sigma**2 * np.eye(2)
        else:
            m = np.asarray(dist.means)
            ref_mean = m.mean(0)
            ref_cov = np.cov(m.T, bias=True) + (np.asarray(dist.std)[0] ** 2 + sigma**2) * np.eye(2)
        np.testing.assert_allclose(mean, ref_mean, atol=1e-12)
        np.testing.assert_allclose(cov, ref_cov, atol=1e-12)
    else:  # curves: compare with a large sample of the blurred law
        x = np.asarray(dist.sample(key, 400_000))
        x = x + sigma * np.asarray(jax.random.normal(jax.random.fold_in(key, 1), x.shape))
        np.testing.assert_allclose(mean, x.mean(0), atol=0.02)
        np.testing.assert_allclose(cov, np.cov(x.T), atol=0.03)


def test_quadrature_nodes_move_with_parameters(x64):
    f = lambda t: jnp.sum(jnp.exp(D.parallel_lines(t)[1].quadrature(0.1, 4)[1]) * D.parallel_lines(t)[1].quadrature(0.1, 4)[0][:, 0])
    assert float(jax.grad(f)(0.5)) == pytest.approx(1.0)


# --- curves: geometry -------------------------------------------------------------------------


def test_curve_distance_matches_brute_force(x64, key):
    c = D.random_curve(key, 4)
    v = np.asarray(c.vertices(64))
    pts = np.asarray(jax.random.normal(jax.random.fold_in(key, 2), (30, 2)))
    dense = v[:-1, None, :] + np.linspace(0, 1, 2001)[None, :, None] * (v[1:] - v[:-1])[:, None, :]
    ref = np.linalg.norm(pts[:, None, :] - dense.reshape(-1, 2)[None], axis=-1).min(1)
    np.testing.assert_allclose(c.distance(pts, n_pieces=64), ref, atol=1e-4)


def test_mass_within_for_crossing_lines_is_linear_in_eps(x64):
    line = lambda p, t: p[0] + t * (p[1] - p[0])
    a = D.curve(line, (jnp.array([-1.0, 0.0]), jnp.array([1.0, 0.0])))
    b = D.curve(line, (jnp.array([0.0, -1.0]), jnp.array([0.0, 1.0])), n_pieces=4)
    eps = np.array([0.3, 0.1, 0.01, 1e-3])
    # points (2t - 1, 0) within eps of the vertical line x = 0: |2t - 1| < eps, a t-measure of eps
    np.testing.assert_allclose(a.mass_within(b, eps, n=20_000, n_pieces=8), eps, atol=1e-4)
    np.testing.assert_array_equal(a.mass_within(a, eps, n=1000, n_pieces=8), 1.0)  # a curve covers itself
    far = D.curve(line, (jnp.array([5.0, 5.0]), jnp.array([6.0, 5.0])))
    np.testing.assert_array_equal(a.mass_within(far, eps, n=1000, n_pieces=8), 0.0)
    with pytest.raises(ValueError, match="eps must be positive"):
        a.mass_within(b, [0.1, -1.0])


def test_two_random_curves_cross_in_a_null_set(x64, key):
    a, b = D.random_curve(jax.random.key(11)), D.random_curve(jax.random.key(12))
    x = a.sample(key, 20_000)
    d = np.asarray(b.distance(x, n_pieces=256))
    mass = [np.mean(d < eps) for eps in (0.1, 0.01, 0.001)]
    assert mass[0] > 0  # they do come close (cross)
    assert mass[2] < mass[1] < mass[0]  # the mass near the crossing shrinks with the tolerance
    assert mass[2] < 0.01


# --- the random MLP push-forward ---------------------------------------------------------------


def test_pushforward_forward_pass_matches_numpy(x64, key):
    pf = D.random_pushforward(key, 4, 6, (5, 7), activation="leaky_relu")
    z = np.asarray(jax.random.uniform(jax.random.fold_in(key, 1), (4,)))
    h, hidden = z, []
    for i, (w, b) in enumerate(pf.layers):
        h = h @ np.asarray(w) + np.asarray(b)
        if i < 2:
            h = np.where(h > 0, h, 0.2 * h)
            hidden.append(h)
    np.testing.assert_allclose(pf.generator(jnp.asarray(z)), h, rtol=1e-12)
    got = pf.hidden(jnp.asarray(z))
    assert [g.shape for g in got] == [(5,), (7,)]
    for g, want in zip(got, hidden):
        np.testing.assert_allclose(g, want, rtol=1e-12)
    x = pf.sample(key, 1000)
    assert x.shape == (1000, 6)
    bound = 1 / math.sqrt(4)
    assert float(jnp.abs(pf.layers[0][0]).max()) <= bound


@pytest.mark.parametrize("activation", ["softplus", "elu", "sigmoid"])
def test_pushforward_takes_any_gan_activation(x64, key, activation):
    """Any activation of the GAN networks works (numpy forward pass as the reference)."""
    numpy_act = {
        "softplus": lambda a: np.logaddexp(0.0, a),
        "elu": lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0.0))),
        "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    }[activation]
    pf = D.random_pushforward(key, 3, 4, (6,), activation=activation)
    z = np.asarray(jax.random.uniform(jax.random.fold_in(key, 1), (3,)))
    (w1, b1), (w2, b2) = [(np.asarray(w), np.asarray(b)) for w, b in pf.layers]
    np.testing.assert_allclose(pf.generator(jnp.asarray(z)), numpy_act(z @ w1 + b1) @ w2 + b2, rtol=1e-12)


@pytest.mark.parametrize("use_x64", [False, True])
def test_random_pushforward_draws_a_gan_generators_layers(key, use_x64):
    """Same key, same widths: exactly the layers (and outputs) of gantoy.gan.nets' torch initialisation."""
    from gantoy.gan import nets

    with jax.enable_x64(use_x64):
        pf = D.random_pushforward(key, 3, 5, (16, 8), activation="tanh")
        params = nets.mlp_init(key, (3, 16, 8, 5), init="torch")
        assert len(pf.layers) == len(params) == 3
        for (w, b), (w_ref, b_ref) in zip(pf.layers, params):
            assert w.dtype == w_ref.dtype == jnp.result_type(float)
            np.testing.assert_array_equal(w, w_ref)
            np.testing.assert_array_equal(b, b_ref)
        z = jax.random.uniform(jax.random.fold_in(key, 1), (7, 3))
        rtol = 1e-13 if use_x64 else 1e-6
        np.testing.assert_allclose(jax.vmap(pf.generator)(z), nets.mlp_apply(params, z, activation="tanh"), rtol=rtol)


def test_pushforward_jacobian_rank_is_at_most_latent_dim(x64, key):
    pf = D.random_pushforward(key, 10, 200, (64,))
    z = jax.random.uniform(jax.random.fold_in(key, 1), (10,))
    jac = np.asarray(jax.jit(jax.jacfwd(pf.generator))(z))
    assert jac.shape == (200, 10)
    assert np.linalg.matrix_rank(jac) == 10
    narrow = D.random_pushforward(key, 10, 200, (6,), activation="tanh")
    assert np.linalg.matrix_rank(np.asarray(jax.jit(jax.jacfwd(narrow.generator))(z))) == 6
    assert not narrow.has_density()
    # ReLU: the rank is the fewest active units in any layer (generic weights)
    relu = D.random_pushforward(key, 10, 200, (30, 12, 64))
    zs = jax.random.uniform(jax.random.fold_in(key, 10), (4, 10))
    hidden = jax.jit(jax.vmap(relu.hidden))(zs)
    assert [h.shape for h in hidden] == [(4, 30), (4, 12), (4, 64)]
    jacs = np.asarray(jax.jit(jax.vmap(jax.jacfwd(relu.generator)))(zs))
    for i in range(4):
        active = [int((h[i] > 0).sum()) for h in hidden]
        assert np.linalg.matrix_rank(jacs[i]) == min(10, *active)


# --- sharp supports need smoothing -----------------------------------------------------------------


def _sharp_supports():
    """Laws without a density in their space, with the words of their error."""
    return {
        "segment": (D.parallel_lines(0.7)[1], "Segment has no density .*a segment"),
        "sharp circle": (D.circle([1.0, -1.0], 2.0), "Circle has no density .*noise = 0"),
        "sharp curve": (D.random_curve(jax.random.key(3)), "Curve has no density .*noise = 0"),
        "sharp swiss roll": (D.swiss_roll(noise=0.0), "Curve has no density .*noise = 0"),
        "atoms": (D.gaussian_mixture([[0.0, 0.0], [1.0, 0.0]], 0.0), "GaussianMixture has no density .*std = 0"),
        "one atom": (D.gaussian_mixture([[0.0, 0.0], [1.0, 0.0]], [0.3, 0.0]), "GaussianMixture has no density"),
        "low rank": (D.Gaussian(jnp.zeros(3), jnp.array([[1.0], [2.0], [0.0]])),
                     "Gaussian has no density .*rank 1 < d = 3"),
        "rank 2 of 3": (D.Gaussian(jnp.zeros(3), jnp.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])),
                        "Gaussian has no density .*rank 2 < d = 3"),
    }


@pytest.mark.parametrize("name", list(_sharp_supports()))
def test_sharp_support_without_smoothing_raises_and_is_nan_under_jit(name):
    """No density at sigma = 0: a ValueError eagerly, NaN (never a number) when sigma is traced."""
    dist, words = _sharp_supports()[name]
    x = jnp.concatenate([dist.sample(jax.random.key(0), 3), jnp.ones((1, dist.dim))])  # on and off the support
    with pytest.raises(ValueError, match="sigma must be > 0: " + words):
        dist.log_prob_smoothed(x, 0.0)
    traced = jax.jit(lambda d, s: d.log_prob_smoothed(x, s))
    assert bool(jnp.all(jnp.isnan(traced(dist, 0.0)))), name
    assert bool(jnp.all(jnp.isfinite(traced(dist, 0.1)))), name  # any smoothing gives a density


def test_supports_with_a_density_need_no_smoothing(x64):
    """sigma = 0 stays allowed (and finite) where the law has a density; values against scipy."""
    pts = np.array([[0.0, 0.0], [2.0, 0.1], [5.0, -3.0]])
    gm = D.gaussian_mixture([[0.0, 0.0], [2.0, 0.0]], [0.3, 0.5], [1.0, 3.0])
    ref = logsumexp([stats.multivariate_normal.logpdf(pts, [0.0, 0.0], 0.09 * np.eye(2)) + np.log(0.25),
                     stats.multivariate_normal.logpdf(pts, [2.0, 0.0], 0.25 * np.eye(2)) + np.log(0.75)], axis=0)
    np.testing.assert_allclose(gm.log_prob_smoothed(pts, 0.0), ref, rtol=1e-12)
    full = D.Gaussian(jnp.zeros(2), jnp.array([[1.0, 0.0], [0.5, 0.2]]))
    ref = stats.multivariate_normal.logpdf(pts, [0.0, 0.0], np.array([[1.0, 0.5], [0.5, 0.29]]))
    np.testing.assert_allclose(full.log_prob_smoothed(pts, 0.0), ref, rtol=1e-12)
    noisy = D.swiss_roll(noise=0.25)
    assert bool(jnp.all(jnp.isfinite(noisy.log_prob_smoothed(pts, 0.0))))


# --- input errors ---------------------------------------------------------------------------------


def test_bad_inputs_raise_value_errors():
    seg = D.segment([0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"x must have shape \[n, 2\]"):
        seg.log_prob_smoothed(jnp.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match="sigma must be > 0: Segment has no density"):
        seg.log_prob_smoothed(jnp.zeros((3, 2)), 0.0)
    with pytest.raises(ValueError, match="sigma must be finite and >= 0"):
        D.ring8().log_prob_smoothed(jnp.zeros((3, 2)), -1.0)
    with pytest.raises(ValueError, match="sigma must be a scalar"):
        D.ring8().log_prob_smoothed(jnp.zeros((3, 2)), jnp.ones(2))
    with pytest.raises(ValueError, match=r"end must have shape \[2\]"):
        D.segment([0.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="start must be finite"):
        D.segment([np.nan, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="theta must be a scalar"):
        D.parallel_lines(jnp.ones(2))
    with pytest.raises(ValueError, match="radius must be finite > 0"):
        D.circle(radius=-1.0)
    with pytest.raises(ValueError, match="cov must be symmetric positive definite"):
        D.gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="exactly one of cov and std"):
        D.gaussian([0.0, 0.0])
    with pytest.raises(ValueError, match="weights must be >= 0"):
        D.gaussian_mixture([[0.0, 0.0], [1.0, 1.0]], 0.1, [1.0, -1.0])
    with pytest.raises(ValueError, match=r"std must be a scalar or have shape \[2\]"):
        D.gaussian_mixture([[0.0, 0.0], [1.0, 1.0]], [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="means must have shape"):
        D.gaussian_mixture([0.0, 1.0], 0.1)
    with pytest.raises(ValueError, match="activation must be one of"):
        D.random_pushforward(jax.random.key(0), 2, 3, activation="gelu")
    with pytest.raises(ValueError, match="positive ints"):
        D.random_pushforward(jax.random.key(0), 0, 3)
    with pytest.raises(ValueError, match="n_modes must be a positive int"):
        D.ring8(n_modes=0)
    with pytest.raises(ValueError, match="order must be a positive int"):
        D.ring8().quadrature(0.1, 0)
    with pytest.raises(ValueError, match="too large"):
        D.gaussian(jnp.zeros(4), std=1.0).quadrature(0.1)
    with pytest.raises(ValueError, match="fn must be callable"):
        D.curve(3, None)


def test_public_names_exported():
    """The samplers' constructors are at the top level; the classes stay in their module."""
    for name in ("segment", "parallel_lines", "ring8", "grid25", "swiss_roll", "circle",
                 "gaussian", "gaussian_mixture", "random_curve", "curve", "random_pushforward"):
        assert getattr(gantoy, name) is getattr(D, name)
    for name in ("Segment", "Curve", "Circle", "Gaussian", "GaussianMixture", "Pushforward"):
        assert name in D.__all__ and not hasattr(gantoy, name)

"""gantoy.studies.optimal: D* = p_r / (p_r + p_g) and V(D*) = 2 JS - 2 log 2, against scipy and closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from gantoy.studies import optimal
from gantoy.measures.distributions import gaussian_mixture, ring8
from gantoy.distances.smoothed import js_smoothed

LOG2 = math.log(2.0)


def _scipy_logpdf(means, std, weights):
    """Reference 1-d mixture log density from scipy.stats (independent of gantoy)."""
    means, weights = np.asarray(means, float), np.asarray(weights, float) / np.sum(weights)
    std = np.broadcast_to(np.asarray(std, float), means.shape)
    return lambda x: np.logaddexp.reduce(
        [np.log(w) + stats.norm.logpdf(x, m, s) for m, s, w in zip(means, std, weights)], axis=0
    )


def _scipy_value(lp, lq, lo=-40.0, hi=40.0, points=()):
    """V(D*) = int p log D* + q log(1 - D*) by adaptive quadrature, in log space."""
    f = lambda x: -np.exp(lp(x)) * np.logaddexp(0.0, lq(x) - lp(x)) - np.exp(lq(x)) * np.logaddexp(0.0, lp(x) - lq(x))
    val, err = integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=500, points=list(points) or None)
    return val, err


def test_optimal_logit_equal_variance_gaussians_closed_form(x64):
    # log N(x; 0, s^2) - log N(x; m, s^2) = (m^2 - 2 m x) / (2 s^2)
    m, s = 1.7, 0.6
    pr, pg = gaussian_mixture([[0.0]], s), gaussian_mixture([[m]], s)
    x = jnp.linspace(-4.0, 4.0, 17)[:, None]
    want = (m**2 - 2 * m * x[:, 0]) / (2 * s**2)
    np.testing.assert_allclose(optimal.optimal_logit(pr, pg, x), want, rtol=1e-12, atol=1e-12)
    d = optimal.optimal_discriminator(pr, pg, x)
    dens_r, dens_g = stats.norm.pdf(np.asarray(x[:, 0]), 0, s), stats.norm.pdf(np.asarray(x[:, 0]), m, s)
    np.testing.assert_allclose(d, dens_r / (dens_r + dens_g), rtol=1e-12)


def test_optimal_discriminator_2d_against_scipy(x64):
    pr = gaussian_mixture([[0.0, 0.0], [2.0, 1.0]], [0.5, 0.8], [0.3, 0.7])
    pg = gaussian_mixture([[1.0, -1.0]], 1.2)
    x = jax.random.normal(jax.random.key(3), (50, 2), jnp.float64) * 2
    xn = np.asarray(x)
    pdf_r = 0.3 * stats.multivariate_normal.pdf(xn, [0, 0], 0.25) + 0.7 * stats.multivariate_normal.pdf(xn, [2, 1], 0.64)
    pdf_g = stats.multivariate_normal.pdf(xn, [1, -1], 1.44)
    np.testing.assert_allclose(optimal.optimal_discriminator(pr, pg, x), pdf_r / (pdf_r + pdf_g), rtol=1e-10)


def test_theorem1_against_scipy_quad(x64):
    """Goodfellow et al. Thm. 1: V(D*) = 2 JS - 2 log 2, V by scipy's adaptive quadrature."""
    means, std, w = [-2.0, 1.5], 0.7, [0.4, 0.6]
    pr, pg = gaussian_mixture([[m] for m in means], std, w), gaussian_mixture([[0.3]], std)
    ref, err = _scipy_value(_scipy_logpdf(means, std, w), _scipy_logpdf([0.3], std, [1.0]), points=(-2, 0.3, 1.5))
    assert err < 1e-12
    v = float(optimal.optimal_value(pr, pg, order=256))
    assert abs(v - ref) < 1e-10
    assert abs(2 * float(js_smoothed(pr, pg, 0.0, order=256)) - 2 * LOG2 - ref) < 1e-10


@settings(max_examples=8)
@given(mu=st.floats(-3.0, 3.0), s=st.floats(0.3, 2.0))
def test_optimal_value_matches_scipy_for_two_gaussians(mu, s):
    with jax.enable_x64(True):
        pr, pg = gaussian_mixture([[0.0]], s), gaussian_mixture([[mu]], s)
        v = float(optimal.optimal_value(pr, pg, order=256))
    # break points closer than 1e-6 (e.g. mu a subnormal float) make quad's subdivision fail: keep one
    points = (0.0, mu) if abs(mu) > 1e-6 else (0.0,)
    ref, _ = _scipy_value(lambda x: stats.norm.logpdf(x, 0, s), lambda x: stats.norm.logpdf(x, mu, s), points=points)
    assert -2 * LOG2 - 1e-12 <= v <= 1e-12
    assert abs(v - ref) < 1e-9


def test_optimal_value_unequal_widths_converges_in_order(x64):
    # Unequal widths make the log-ratio quadratic: Gauss-Hermite converges slowly
    # (error ~1e-4 at order 128 for widths 2 and 0.5), but it converges.
    pr, pg = gaussian_mixture([[0.0]], 2.0), gaussian_mixture([[0.0]], 0.5)
    ref, _ = _scipy_value(lambda x: stats.norm.logpdf(x, 0, 2.0), lambda x: stats.norm.logpdf(x, 0, 0.5), points=(0.0,))
    errs = [abs(float(optimal.optimal_value(pr, pg, order=o)) - ref) for o in (32, 128, 256)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-4


@settings(max_examples=15)
@given(eps=st.floats(-2.0, 2.0), a=st.floats(-2.0, 2.0), b=st.floats(-1.0, 1.0))
def test_gan_value_is_maximal_at_dstar(eps, a, b):
    """Prop. 1: any other discriminator has a smaller value."""
    with jax.enable_x64(True):
        pr = gaussian_mixture([[-1.0], [1.0]], 0.5)
        pg = gaussian_mixture([[0.5]], 0.8)
        star = lambda x: optimal.optimal_logit(pr, pg, x)
        other = lambda x: star(x) + eps * (a + b * x[:, 0])
        v_star = float(optimal.optimal_value(pr, pg, order=64))
        v = float(optimal.gan_value(pr, pg, other, order=64))
    assert v <= v_star + 1e-12


def test_constant_half_gives_minus_log4_and_identical_gives_minus_log4(x64):
    pr = gaussian_mixture([[0.0, 0.0], [1.0, 2.0]], 0.4)
    pg = gaussian_mixture([[3.0, 0.0]], 1.0)
    half = float(optimal.gan_value(pr, pg, lambda x: jnp.zeros(x.shape[0])))
    assert half == pytest.approx(-2 * LOG2, abs=1e-12)
    assert float(optimal.optimal_value(pr, pr)) == pytest.approx(-2 * LOG2, abs=1e-12)


def test_far_apart_supports_value_near_zero(x64):
    # JS -> log 2, so V(D*) -> 0 and D* is 1 on P_r, 0 on P_g.
    pr, pg = gaussian_mixture([[0.0]], 0.1), gaussian_mixture([[50.0]], 0.1)
    assert abs(float(optimal.optimal_value(pr, pg))) < 1e-12
    d = optimal.optimal_discriminator(pr, pg, jnp.array([[0.0], [50.0]]))
    assert d.tolist() == [1.0, 0.0]


class _Stub:
    """A 1-d 'distribution' whose density is exactly zero outside an interval."""

    dim = 1

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def log_prob_smoothed(self, x, sigma):
        x = jnp.asarray(x)[:, 0]
        inside = (x >= self.lo) & (x <= self.hi)
        return jnp.where(inside, -jnp.log(self.hi - self.lo), -jnp.inf)


def test_disjoint_exact_zero_densities_are_nan_free():
    p, q = _Stub(0.0, 1.0), _Stub(2.0, 3.0)
    x = jnp.array([[0.5], [2.5], [10.0]])
    logit = optimal.optimal_logit(p, q, x)
    assert logit.tolist() == [jnp.inf, -jnp.inf, 0.0]
    assert optimal.optimal_discriminator(p, q, x).tolist() == [1.0, 0.0, 0.5]
    g = jax.grad(lambda x: jnp.sum(optimal.optimal_discriminator(p, q, x)))(x)
    assert bool(jnp.all(jnp.isfinite(g)))


def test_gradient_of_optimal_value_matches_finite_differences(x64):
    def v(mu):
        pg = gaussian_mixture(jnp.array([[mu]]), 0.7)
        return optimal.optimal_value(gaussian_mixture([[-1.0], [1.2]], 0.6), pg, order=128)

    mu, h = 0.4, 1e-5
    fd = (float(v(mu + h)) - float(v(mu - h))) / (2 * h)
    assert float(jax.grad(v)(mu)) == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_float32_is_nan_free():
    pr, pg = gaussian_mixture([[0.0]], 0.05), gaussian_mixture([[30.0]], 0.05)
    x = jnp.linspace(-5.0, 35.0, 101)[:, None]
    assert bool(jnp.all(jnp.isfinite(optimal.optimal_discriminator(pr, pg, x))))
    assert np.isfinite(float(optimal.optimal_value(pr, pg)))


def _trapezoid(lo, hi, n):
    x = jnp.linspace(lo, hi, n)
    w = jnp.full(n, (hi - lo) / (n - 1)).at[jnp.array([0, -1])].multiply(0.5)
    return x[:, None], w


def test_grid_rule_for_a_kinked_logit_matches_scipy_quad(x64):
    """A ReLU-shaped logit: Gauss-Hermite converges slowly, a fine grid does not."""
    pr, pg = gaussian_mixture([[-1.0]], 0.6), gaussian_mixture([[1.0]], 0.6)
    logit = lambda x: 1.5 - 3.0 * jax.nn.relu(x[:, 0] - 0.2) + jax.nn.relu(-x[:, 0] - 1.0)
    lnum = lambda x: 1.5 - 3.0 * np.maximum(x - 0.2, 0) + np.maximum(-x - 1.0, 0)
    f = lambda x: -stats.norm.pdf(x, -1, 0.6) * np.logaddexp(0, -lnum(x)) - stats.norm.pdf(x, 1, 0.6) * np.logaddexp(0, lnum(x))
    ref = integrate.quad(f, -15, 15, points=[-1.0, 0.2], epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    grid_v = float(optimal.gan_value(pr, pg, logit, grid=_trapezoid(-15.0, 15.0, 300_001)))
    gh_v = float(optimal.gan_value(pr, pg, logit, order=256))
    assert abs(grid_v - ref) < 1e-8
    assert abs(gh_v - ref) > 10 * abs(grid_v - ref)  # why the grid option exists


def test_grid_rule_agrees_with_gauss_hermite_for_smooth_logits_and_ignores_zero_density(x64):
    pr = gaussian_mixture([[-2.0], [1.5]], 0.7, [0.4, 0.6])
    pg = gaussian_mixture([[0.3]], 0.7)
    star = lambda x: optimal.optimal_logit(pr, pg, x)
    v_grid = float(optimal.gan_value(pr, pg, star, grid=_trapezoid(-15.0, 15.0, 6001)))
    assert abs(v_grid - float(optimal.optimal_value(pr, pg, order=256))) < 1e-10
    p, q = _Stub(0.0, 1.0), _Stub(0.5, 3.0)  # exact zeros, infinite optimal logits
    v = float(optimal.gan_value(p, q, lambda x: optimal.optimal_logit(p, q, x), grid=_trapezoid(-1.0, 4.0, 50_001)))
    # Only [0.5, 1] has both densities (D* = 1 on [0, 0.5), 0 on (1, 3], contributing 0):
    pr_d, pq_d = 1.0, 1.0 / 2.5
    want = 0.5 * pr_d * math.log(pr_d / (pr_d + pq_d)) + 0.5 * pq_d * math.log(pq_d / (pr_d + pq_d))
    assert v == pytest.approx(want, abs=1e-4)


def test_errors_name_the_argument():
    pr = gaussian_mixture([[0.0]], 1.0)
    with pytest.raises(ValueError, match="same space"):
        optimal.optimal_logit(pr, gaussian_mixture([[0.0, 0.0]], 1.0), jnp.zeros((1, 1)))
    with pytest.raises(ValueError, match="p_fake must offer log_prob_smoothed"):
        optimal.optimal_logit(pr, object(), jnp.zeros((1, 1)))
    with pytest.raises(ValueError, match="p_real must offer quadrature"):
        optimal.gan_value(_Stub(0.0, 1.0), pr, lambda x: x[:, 0])
    with pytest.raises(ValueError, match="sigma"):
        optimal.optimal_logit(pr, pr, jnp.zeros((1, 1)), sigma=-1.0)
    with pytest.raises(ValueError, match="sigma must be > 0: p_real"):
        optimal.optimal_value(ring8(std=0.0), ring8())
    with pytest.raises(ValueError, match="order"):
        optimal.optimal_value(pr, pr, order=0)
    with pytest.raises(ValueError, match="grid must be"):
        optimal.gan_value(pr, pr, lambda x: x[:, 0], grid=(jnp.zeros((3, 2)), jnp.ones(3)))


def test_envelope_theorem_generator_gradient_at_fixed_dstar_is_grad_2js(x64):
    """Holding D*_theta0 fixed, d/dtheta V(theta, D*_theta0) at theta0 = d/dtheta 2 JS(P_r, P_theta).

    The reference is a central finite difference of 2 JS - 2 log 2 computed by scipy's adaptive
    quadrature from scipy.stats densities (independent of gantoy).
    """
    means, weights, std, theta0 = [-2.0, 1.5], [0.4, 0.6], 0.7, 0.3
    pr = gaussian_mixture([[m] for m in means], std, weights)
    p_theta = lambda t: gaussian_mixture(jnp.reshape(t, (1, 1)), std)
    frozen = lambda x: optimal.optimal_logit(pr, p_theta(theta0), x)
    got = float(jax.grad(lambda t: optimal.gan_value(pr, p_theta(t), frozen, order=256))(jnp.asarray(theta0)))

    lp = _scipy_logpdf(means, std, weights)
    two_js = lambda t: _scipy_value(lp, lambda x: stats.norm.logpdf(x, t, std), points=(-2.0, t, 1.5))[0]
    h = 1e-4
    fd = (two_js(theta0 + h) - two_js(theta0 - h)) / (2 * h)
    assert got == pytest.approx(fd, rel=1e-6)
    # the equality needs the optimum: a shifted logit gives a different gradient
    shifted = lambda x: frozen(x) + 0.3
    off = float(jax.grad(lambda t: optimal.gan_value(pr, p_theta(t), shifted, order=256))(jnp.asarray(theta0)))
    assert abs(off - fd) > 1e-3

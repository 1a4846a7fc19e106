"""Two-player games: bilinear game and Dirac-GAN against closed forms (Mescheder et al. 2018)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from gantoy.gan import games as g


def _sig(t):
    return special.expit(t)


def _hand_field(loss, theta, psi):
    """The Dirac-GAN field by hand (Mescheder et al. 2018, Sec. 2.2)."""
    fp = (lambda t: np.ones_like(t)) if loss == "wgan" else (lambda t: _sig(-t))
    t_g = -psi * theta if loss == "non_saturating" else psi * theta
    return np.stack([-psi * fp(t_g), theta * fp(psi * theta)], axis=-1)


# --- bilinear game ---------------------------------------------------------------


@settings(max_examples=12)
@given(
    h=st.floats(0.01, 1.0),
    angle=st.floats(0.0, 2 * math.pi),
    r0=st.floats(0.1, 10.0),
)
def test_bilinear_simultaneous_radius_grows_by_sqrt_1_plus_h2(h, angle, r0):
    with jax.enable_x64(True):
        z0 = jnp.array([r0 * math.cos(angle), r0 * math.sin(angle)])
        traj = np.asarray(g.simultaneous_gd(g.bilinear_game(), z0, h, 200))
    assert traj.dtype == np.float64
    r = np.linalg.norm(traj, axis=1)
    np.testing.assert_allclose(r[1:] / r[:-1], math.sqrt(1 + h * h), rtol=1e-12)
    expected = r0 * (1 + h * h) ** (np.arange(201) / 2)
    np.testing.assert_allclose(r, expected, rtol=1e-10)


@settings(max_examples=12)
@given(h=st.floats(0.01, 1.5), angle=st.floats(0.0, 2 * math.pi))
def test_bilinear_alternating_conserves_invariant_and_stays_bounded(h, angle):
    with jax.enable_x64(True):
        z0 = jnp.array([math.cos(angle), math.sin(angle)])
        traj = g.alternating_gd(g.bilinear_game(), z0, h, 2000)
        q = np.asarray(g.bilinear_invariant(traj, h))
    np.testing.assert_allclose(q, q[0], rtol=1e-11)
    r = np.linalg.norm(np.asarray(traj), axis=1)
    # (1 - h/2)|z|^2 <= Q <= (1 + h/2)|z|^2
    assert r.max() <= math.sqrt(q[0] / (1 - h / 2)) * (1 + 1e-12)
    assert r.min() >= math.sqrt(q[0] / (1 + h / 2)) * (1 - 1e-12)


def test_invariant_is_not_conserved_by_simultaneous_gd(x64):
    h = 0.1
    traj = g.simultaneous_gd(g.bilinear_game(), jnp.array([1.0, 0.0]), h, 100)
    q = np.asarray(g.bilinear_invariant(traj, h))
    assert q[-1] / q[0] > 1.5  # the check above can fail


def test_alternating_is_the_explicit_two_line_update(x64):
    h, z = 0.3, np.array([0.4, -1.1])
    traj = np.asarray(g.alternating_gd(g.bilinear_game(), jnp.asarray(z), h, 5))
    x, y = z
    for k in range(1, 6):
        y = y + h * x  # critic first ...
        x = x - h * y  # ... then the generator sees the new critic
        np.testing.assert_allclose(traj[k], [x, y], rtol=1e-14, atol=1e-15)


def test_continuous_flow_is_the_exact_rotation(x64):
    t = np.linspace(0, 2 * math.pi, 401)
    traj = np.asarray(g.continuous_flow(g.bilinear_game(), jnp.array([1.0, 0.0]), 2 * math.pi, 400))
    np.testing.assert_allclose(traj, np.stack([np.cos(t), np.sin(t)], axis=1), atol=1e-8)


# --- Dirac-GAN field ---------------------------------------------------------------


@pytest.mark.parametrize("loss", g.DIRAC_LOSSES)
def test_dirac_field_matches_hand_formula(loss, x64):
    rng = np.random.default_rng(0)
    pts = rng.normal(scale=2.0, size=(50, 2))
    got = np.asarray(jax.vmap(g.dirac_gan(loss).field)(jnp.asarray(pts)))
    np.testing.assert_allclose(got, _hand_field(loss, pts[:, 0], pts[:, 1]), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("loss", g.DIRAC_LOSSES)
def test_dirac_field_with_penalties(loss, x64):
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(30, 2))
    th, ps = pts[:, 0], pts[:, 1]
    base = _hand_field(loss, th, ps)
    r1 = np.asarray(jax.vmap(g.dirac_gan(loss, r1=0.7).field)(jnp.asarray(pts)))
    np.testing.assert_allclose(r1, base - np.stack([0 * th, 0.7 * ps], 1), rtol=1e-12, atol=1e-14)
    gp = np.asarray(jax.vmap(g.dirac_gan(loss, gp=1.0, gp_target=0.3).field)(jnp.asarray(pts)))
    penalty = 2.0 * (np.abs(ps) - 0.3) * np.sign(ps)
    np.testing.assert_allclose(gp, base - np.stack([0 * th, penalty], 1), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", ["standard", "non_saturating"])
def test_instance_noise_expectation_matches_scipy_quad(loss, x64):
    sigma, theta, psi = 0.8, 0.7, -1.3
    got = np.asarray(g.dirac_gan(loss, noise=sigma, n_quadrature=60).field(jnp.array([theta, psi])))
    pdf = lambda e: math.exp(-0.5 * (e / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))  # noqa: E731
    sgn = -1.0 if loss == "non_saturating" else 1.0

    def quad(fn):
        return integrate.quad(lambda e: fn(e) * pdf(e), -12 * sigma, 12 * sigma, epsabs=1e-13, epsrel=1e-13)[0]

    v_theta = quad(lambda e: -psi * _sig(-sgn * psi * (theta + e)))
    # fake: (theta + e) f'(psi (theta + e)); real: -e f'(-psi e)
    v_psi = quad(lambda e: (theta + e) * _sig(-psi * (theta + e))) - quad(lambda e: e * _sig(psi * e))
    np.testing.assert_allclose(got, [v_theta, v_psi], rtol=1e-10, atol=1e-12)


def test_field_agrees_with_central_finite_differences(x64):
    """v_psi = dL/dpsi of the value L = f(psi theta) + f(0), by central differences."""
    f = g.dirac_f("standard")
    theta, psi, eps = 0.9, -0.4, 1e-6

    def value(t, p):
        return float(f(p * t) + f(0.0))

    v = np.asarray(g.dirac_gan("standard").field(jnp.array([theta, psi])))
    np.testing.assert_allclose(v[1], (value(theta, psi + eps) - value(theta, psi - eps)) / (2 * eps), rtol=1e-8)
    np.testing.assert_allclose(v[0], -(value(theta + eps, psi) - value(theta - eps, psi)) / (2 * eps), rtol=1e-8)


# --- Jacobian and eigenvalues ---------------------------------------------------------


@pytest.mark.parametrize("loss", g.DIRAC_LOSSES)
def test_unregularised_eigenvalues_are_plus_minus_i_fprime0(loss, x64):
    ev = g.equilibrium_eigenvalues(g.dirac_gan(loss))
    a = g.dirac_f_prime0(loss)
    np.testing.assert_allclose(ev, [-1j * a, 1j * a], atol=1e-14)
    assert g.dirac_f_prime0("standard") == 0.5
    a_auto = float(jax.grad(g.dirac_f(loss))(0.0))
    assert abs(a_auto - a) < 1e-15


@pytest.mark.parametrize("loss", g.DIRAC_LOSSES)
@pytest.mark.parametrize("r1", [0.0, 0.3, 3.0])
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_eigenvalues_match_closed_form(loss, r1, noise, x64):
    game = g.dirac_gan(loss, r1=r1, noise=noise)
    got = g.equilibrium_eigenvalues(game)
    want = g.dirac_eigenvalues_closed_form(loss, r1=r1, noise=noise)
    np.testing.assert_allclose(got, want, atol=1e-10)
    if r1 > 0 or (noise > 0 and loss != "wgan"):
        assert want.real.max() < 0  # both in the open left half-plane
    else:
        assert np.all(want.real == 0)


def test_eigenvalues_float32():
    got = g.equilibrium_eigenvalues(g.dirac_gan("standard", r1=0.3))
    np.testing.assert_allclose(got, g.dirac_eigenvalues_closed_form("standard", r1=0.3), atol=1e-6)


# --- trajectories -------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["standard", "wgan"])
def test_unregularised_simultaneous_gd_spirals_outward(loss, x64):
    """|z_{k+1}|^2 = (1 + h^2 f'(theta_k psi_k)^2) |z_k|^2 exactly (cross terms cancel)."""
    h = 0.1
    traj = np.asarray(g.simultaneous_gd(g.dirac_gan(loss), jnp.array([1.0, 1.0]), h, 2000))
    r2 = np.sum(traj**2, axis=1)
    fp = np.asarray(jax.vmap(jax.grad(g.dirac_f(loss)))(jnp.asarray(traj[:-1, 0] * traj[:-1, 1])))
    np.testing.assert_allclose(r2[1:] / r2[:-1], 1 + h * h * fp**2, rtol=1e-12)
    assert np.all(np.diff(r2) > 0)
    assert r2[-1] > 2 * r2[0]


def test_r1_converges_and_unregularised_does_not(x64):
    z0 = jnp.array([1.0, 1.0])
    game = g.dirac_gan("standard", r1=1.0)
    for traj in (g.simultaneous_gd(game, z0, 0.1, 1000), g.alternating_gd(game, z0, 0.1, 1000)):
        assert float(jnp.linalg.norm(traj[-1])) < 1e-6
    assert g.equilibrium_eigenvalues(game).real.max() < 0
    flow = g.continuous_flow(game, z0, 100.0, 2000)
    assert float(jnp.linalg.norm(flow[-1])) < 1e-6
    # the same code without the penalty stays away from (0, 0)
    plain = g.alternating_gd(g.dirac_gan("standard"), z0, 0.1, 1000)
    assert float(jnp.linalg.norm(plain, axis=1).min()) > 1.0


@pytest.mark.parametrize("n_critic", [1, 5, 25])
def test_wgan_gp_with_finitely_many_critic_steps_does_not_converge(n_critic, x64):
    game = g.dirac_gan("wgan", gp=0.5, gp_target=1.0)
    z0 = jnp.array([1.0, 1.0])
    for traj in (
        g.alternating_gd(game, z0, 0.1, 4000, n_critic=n_critic),
        g.simultaneous_gd(game, z0, 0.1, 4000),
    ):
        dist = np.linalg.norm(np.asarray(traj), axis=1)
        assert np.all(np.isfinite(dist))
        assert dist[2000:].min() > 0.1


def test_wgan_clipping_projects_and_does_not_converge(x64):
    c = 0.3
    game = g.dirac_gan("wgan", clip=c)
    for traj in (
        g.simultaneous_gd(game, jnp.array([1.0, 1.0]), 0.1, 3000),
        g.alternating_gd(game, jnp.array([1.0, 1.0]), 0.1, 3000, n_critic=5),
    ):
        traj = np.asarray(traj)
        assert np.abs(traj[:, 1]).max() <= c
        assert np.linalg.norm(traj[1500:], axis=1).min() > 0.1


def test_instance_noise_converges_for_gan_not_for_wgan(x64):
    z0 = jnp.array([1.0, 1.0])
    gan = g.simultaneous_gd(g.dirac_gan("standard", noise=1.0), z0, 0.1, 3000)
    assert float(jnp.linalg.norm(gan[-1])) < 1e-6
    wgan = g.simultaneous_gd(g.dirac_gan("wgan", noise=1.0), z0, 0.1, 300)
    assert float(jnp.linalg.norm(wgan[-1])) > float(jnp.linalg.norm(z0))  # f'' = 0: no damping


def test_float32_is_nan_free():
    for game in (g.dirac_gan("standard"), g.dirac_gan("non_saturating", noise=0.5), g.dirac_gan("wgan", gp=5.0)):
        traj = g.simultaneous_gd(game, jnp.array([30.0, -40.0]), 0.05, 500)
        assert traj.dtype == jnp.float32
        assert bool(jnp.all(jnp.isfinite(traj)))
        _, _, u, v = g.vector_field_grid(game, (-50, 50, -50, 50), 11)
        assert np.all(np.isfinite(u)) and np.all(np.isfinite(v))
    # the GP penalty's |psi| is differentiated at psi = 0 without NaN
    jac = g.equilibrium_jacobian(g.dirac_gan("wgan", gp=0.5))
    assert bool(jnp.all(jnp.isfinite(jac)))


def test_vmap_over_starts_equals_loop_and_is_deterministic():
    game = g.dirac_gan("standard", r1=0.5)
    starts = jnp.array([[1.0, 0.0], [0.5, -2.0], [-1.0, 1.0]])
    batched = jax.vmap(lambda z: g.simultaneous_gd(game, z, 0.1, 50))(starts)
    for i in range(3):
        np.testing.assert_array_equal(batched[i], g.simultaneous_gd(game, starts[i], 0.1, 50))


def test_separate_critic_step(x64):
    traj = np.asarray(g.simultaneous_gd(g.bilinear_game(), jnp.array([1.0, 1.0]), 0.1, 1, lr_critic=0.5))
    np.testing.assert_allclose(traj[1], [1.0 - 0.1, 1.0 + 0.5])


# --- grid, validation -------------------------------------------------------------------


def test_vector_field_grid():
    tt, pp, u, v = g.vector_field_grid(g.bilinear_game(), (-1, 1, -2, 2), 5)
    assert tt.shape == pp.shape == u.shape == v.shape == (5, 5)
    np.testing.assert_allclose(u, -pp)
    np.testing.assert_allclose(v, tt)


def test_input_validation():
    game = g.dirac_gan()
    with pytest.raises(ValueError, match="loss must be one of"):
        g.dirac_gan("hinge")
    with pytest.raises(ValueError, match="loss must be one of"):
        g.dirac_eigenvalues_closed_form("minimax")
    with pytest.raises(ValueError, match="r1 must be"):
        g.dirac_gan(r1=-1.0)
    with pytest.raises(ValueError, match="noise must be"):
        g.dirac_gan(noise=float("nan"))
    with pytest.raises(ValueError, match="clip must be"):
        g.dirac_gan("wgan", clip=0.0)
    with pytest.raises(ValueError, match="gp_target must be > 0"):
        g.dirac_gan("wgan", gp=1.0, gp_target=0.0)
    with pytest.raises(ValueError, match=r"z0 must be \[2\]"):
        g.simultaneous_gd(game, jnp.zeros(3), 0.1, 10)
    with pytest.raises(ValueError, match="lr must be"):
        g.simultaneous_gd(game, jnp.zeros(2), 0.0, 10)
    with pytest.raises(ValueError, match="lr_critic must be"):
        g.alternating_gd(game, jnp.zeros(2), 0.1, 10, lr_critic=-1.0)
    with pytest.raises(ValueError, match="n_steps must be"):
        g.alternating_gd(game, jnp.zeros(2), 0.1, 0)
    with pytest.raises(ValueError, match="n_critic must be"):
        g.alternating_gd(game, jnp.zeros(2), 0.1, 10, n_critic=0)
    with pytest.raises(ValueError, match="t_max must be"):
        g.continuous_flow(game, jnp.zeros(2), -1.0, 10)
    with pytest.raises(ValueError, match="game must be"):
        g.simultaneous_gd(lambda z: z, jnp.zeros(2), 0.1, 10)
    with pytest.raises(ValueError, match="extent"):
        g.vector_field_grid(game, (1, -1, 0, 1))
    with pytest.raises(ValueError, match=r"z must be \[\.\.\., 2\]"):
        g.bilinear_invariant(jnp.zeros(3), 0.1)


@pytest.mark.parametrize("c", [0.01, 0.3])
def test_clipped_wgan_orbit_is_scale_invariant_and_keeps_its_amplitude(c, x64):
    """Linear field + clipping at c: starting at c * u gives c times the trajectory from u at c = 1,
    and the orbit's amplitude relative to its start settles near the flow's 1/sqrt(2), not at 0."""
    unit = g.dirac_gan("wgan", clip=1.0)
    game = g.dirac_gan("wgan", clip=c)
    for run in (
        lambda gm, z: g.simultaneous_gd(gm, z, 0.1, 3000),
        lambda gm, z: g.alternating_gd(gm, z, 0.1, 3000, n_critic=5),
    ):
        ref = np.asarray(run(unit, jnp.array([1.0, 1.0])))
        traj = np.asarray(run(game, jnp.array([c, c])))
        np.testing.assert_allclose(traj, c * ref, rtol=1e-9, atol=1e-12 * c)
        r = np.linalg.norm(traj, axis=1)
        assert 0.6 < r[-500:].max() / r[0] < 1.0


@pytest.mark.parametrize("lam, g0", [(0.5, 1.0), (1.5, 1.0), (1.0, 0.5)])
def test_wgan_gp_stalls_at_minus_two_lambda_g0(lam, g0, x64):
    """1-d WGAN-GP: the critic's positive branch psi = g0 + theta / (2 lam) meets psi = 0 at
    theta = -2 lam g0, where the generator's gradient vanishes (a fixed point that is not the equilibrium)."""
    game = g.dirac_gan("wgan", gp=lam, gp_target=g0)
    traj = np.asarray(g.alternating_gd(game, jnp.array([1.0, 1.0]), 0.1, 5000, n_critic=25))
    np.testing.assert_allclose(traj[-1], [-2 * lam * g0, 0.0], atol=1e-9)
    np.testing.assert_allclose(np.asarray(game.field(jnp.asarray(traj[-1]))), [0.0, 0.0], atol=1e-9)


@pytest.mark.parametrize("h", [0.2, 0.1, 0.05])
def test_non_saturating_simultaneous_gd_settles_on_a_cycle_of_radius_sqrt_2h(h, x64):
    traj = np.asarray(g.simultaneous_gd(g.dirac_gan("non_saturating"), jnp.array([1.0, 1.0]), h, 20_000))
    r = np.linalg.norm(traj, axis=1)[-2000:]
    assert r.mean() == pytest.approx(math.sqrt(2 * h), rel=0.05)


def test_dirac_wgan_simultaneous_gd_is_the_bilinear_game(x64):
    """Dirac-WGAN's field (-psi, theta) is the bilinear game's: the same map, radius (1 + h^2)^(k/2)."""
    h, z0 = 0.1, jnp.array([1.0, 1.0])
    wgan = np.asarray(g.simultaneous_gd(g.dirac_gan("wgan"), z0, h, 1000))
    bil = np.asarray(g.simultaneous_gd(g.bilinear_game(), z0, h, 1000))
    np.testing.assert_allclose(wgan, bil, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(wgan[-1]) / np.linalg.norm(wgan[0]), (1 + h * h) ** 500, rtol=1e-10)

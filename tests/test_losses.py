"""Losses against hand-computed values; penalties against finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import log_expit

from gantoy.gan import losses as L
from gantoy.gan.nets import mlp_apply, mlp_init


def _sig(x):
    return 1 / (1 + np.exp(-x))


def test_hand_computed_values():
    r, f = np.array([2.0, -0.5]), np.array([-1.0, 0.3, 4.0])
    d = -np.mean(np.log(_sig(r))) - np.mean(np.log(1 - _sig(f)))
    np.testing.assert_allclose(L.discriminator_loss(r, f), d, rtol=1e-6)
    np.testing.assert_allclose(L.minimax_generator_loss(f), np.mean(np.log(1 - _sig(f))), rtol=1e-6)
    np.testing.assert_allclose(L.nonsaturating_generator_loss(f), -np.mean(np.log(_sig(f))), rtol=1e-6)
    np.testing.assert_allclose(L.wgan_critic_loss(r, f), np.mean(f) - np.mean(r), rtol=1e-6)
    np.testing.assert_allclose(L.wgan_generator_loss(f), -np.mean(f), rtol=1e-6)


@given(st.lists(st.floats(-60, 60), min_size=1, max_size=6), st.lists(st.floats(-60, 60), min_size=1, max_size=6))
def test_gan_losses_match_scipy_log_expit_float64(r, f):
    # scipy.special.log_expit(x) = log sigma(x), accurate everywhere; log(1 - sigma(f)) = log sigma(-f)
    with jax.enable_x64(True):
        r, f = np.array(r), np.array(f)
        np.testing.assert_allclose(
            L.discriminator_loss(r, f), -np.mean(log_expit(r)) - np.mean(log_expit(-f)), rtol=1e-12
        )
        np.testing.assert_allclose(L.minimax_generator_loss(f), np.mean(log_expit(-f)), rtol=1e-12)
        np.testing.assert_allclose(L.nonsaturating_generator_loss(f), -np.mean(log_expit(f)), rtol=1e-12)


def test_extreme_logits_finite_in_float32():
    big = jnp.array([-300.0, -50.0, 0.0, 50.0, 300.0], dtype=jnp.float32)
    for fn in (L.minimax_generator_loss, L.nonsaturating_generator_loss):
        v, g = jax.value_and_grad(fn)(big)
        assert np.isfinite(v) and np.all(np.isfinite(g))
    v, g = jax.value_and_grad(lambda r: L.discriminator_loss(r, -r))(big)
    assert np.isfinite(v) and np.all(np.isfinite(g))
    # log(1 - D) for a very confident D: -softplus(300) = -300, not -inf
    np.testing.assert_allclose(L.minimax_generator_loss(jnp.array([300.0])), -300.0)
    # the saturating gradient: d/dl log(1 - sigma(l)) = -sigma(l) -> ~0 at l = -50
    g = jax.grad(L.minimax_generator_loss)(jnp.array([-50.0]))
    np.testing.assert_allclose(g, -_sig(-50.0), rtol=1e-5)


def _critic(key):
    params = mlp_init(key, (2, 16, 16, 1), init="he")
    return lambda x: mlp_apply(params, x, activation="tanh")[..., 0]


def _fd_input_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, j] = h
        g[:, j] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h)
    return g


def test_gradient_penalty_matches_finite_differences(key, x64):
    crit = _critic(key)
    kr, kf, ke = jax.random.split(jax.random.fold_in(key, 1), 3)
    real = np.asarray(jax.random.normal(kr, (7, 2)))
    fake = np.asarray(jax.random.normal(kf, (7, 2))) + 3.0
    eps = np.asarray(jax.random.uniform(ke, (7, 1), jnp.float64))
    x_hat = eps * real + (1 - eps) * fake
    norms = np.linalg.norm(_fd_input_grad(crit, x_hat), axis=1)
    for lam, t in [(10.0, 1.0), (0.1, 1.0), (1.0, 0.0)]:
        expected = lam * np.mean((norms - t) ** 2)
        got = L.gradient_penalty(ke, crit, real, fake, weight=lam, target=t)
        np.testing.assert_allclose(got, expected, rtol=1e-7)


def test_gradient_penalty_zero_for_unit_slope_and_finite_grad_at_flat_critic(key):
    w = jnp.array([0.6, 0.8])
    x = jax.random.normal(key, (5, 2))
    assert float(L.gradient_penalty(key, lambda v: v @ w, x, -x)) == pytest.approx(0.0, abs=1e-10)
    # a constant critic has zero input gradient: penalty lambda * 1, gradients finite (no NaN)
    params = mlp_init(key, (2, 4, 1))
    zero = jax.tree_util.tree_map(jnp.zeros_like, params)
    pen, g = jax.value_and_grad(
        lambda p: L.gradient_penalty(key, lambda v: mlp_apply(p, v)[..., 0], x, -x, weight=10.0)
    )(zero)
    assert float(pen) == pytest.approx(10.0)
    assert all(np.all(np.isfinite(a)) for a in jax.tree_util.tree_leaves(g))


def test_r1_matches_finite_differences(key, x64):
    crit = _critic(key)
    real = np.asarray(jax.random.normal(key, (6, 2)))
    g = _fd_input_grad(crit, real)
    expected = 0.5 * 3.0 * np.mean(np.sum(g**2, axis=1))
    np.testing.assert_allclose(L.r1_penalty(crit, real, weight=3.0), expected, rtol=1e-7)


def test_safe_norm():
    np.testing.assert_allclose(L.safe_norm(jnp.array([[3.0, 4.0], [0.0, 0.0]])), [5.0, 0.0])
    assert np.all(np.isfinite(jax.grad(lambda v: L.safe_norm(v).sum())(jnp.zeros((2, 3)))))


def test_clip_weights(key):
    params = mlp_init(key, (2, 32, 1), init="he")
    clipped = L.clip_weights(params, 0.05)
    leaves = jax.tree_util.tree_leaves(clipped)
    assert all(float(jnp.max(jnp.abs(a))) <= np.float32(0.05) for a in leaves)
    assert any(float(jnp.max(jnp.abs(a))) == pytest.approx(0.05) for a in leaves)
    for c in (0.0, -0.1):
        with pytest.raises(ValueError, match="clip c"):
            L.clip_weights(params, c)


def test_instance_noise_and_annealing(key):
    x = jnp.zeros((20000, 2))
    y = L.add_instance_noise(key, x, 0.5)
    np.testing.assert_allclose(np.std(np.asarray(y)), 0.5, rtol=0.03)
    np.testing.assert_allclose([float(L.annealed_sigma(2.0, t, 10)) for t in (0, 5, 10, 20)], [2.0, 1.0, 0.0, 0.0])
    assert float(L.annealed_sigma(2.0, 1000, None)) == 2.0


def test_penalty_shape_validation(key):
    f = lambda v: v[:, 0]
    with pytest.raises(ValueError, match=r"\[n, d\]"):
        L.gradient_penalty(key, f, jnp.ones((3, 2)), jnp.ones((4, 2)))

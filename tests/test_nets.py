"""MLP init/apply: shapes, PyTorch-style bounds, pre-activation gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gantoy.gan.nets import ACTIVATIONS, mlp_apply, mlp_init, mlp_sizes, preactivation_grads


def test_init_shapes_and_torch_bounds(key):
    sizes = (3, 64, 32, 1)
    params = mlp_init(key, sizes)
    assert mlp_sizes(params) == sizes
    for (w, b), d_in in zip(params, sizes[:-1]):
        bound = 1 / np.sqrt(d_in)
        assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)
        # uniform on [-bound, bound]: the spread reaches most of the interval
        assert np.abs(w).max() > 0.8 * bound
        np.testing.assert_allclose(np.var(np.asarray(w)), bound**2 / 3, rtol=0.3)


@pytest.mark.parametrize("init", ["he", "glorot"])
def test_other_inits_zero_bias(key, init):
    params = mlp_init(key, (2, 16, 1), init=init)
    assert all(np.all(b == 0) for _, b in params)


def test_init_deterministic_and_dtype(key, x64):
    a = mlp_init(key, (2, 8, 1))
    b = mlp_init(key, (2, 8, 1))
    assert a[0][0].dtype == jnp.float64
    for (wa, ba), (wb, bb) in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)


def test_apply_matches_manual_and_leading_axes(key):
    params = mlp_init(key, (2, 5, 3))
    x = jax.random.normal(key, (4, 6, 2))
    (w1, b1), (w2, b2) = params
    x_np = np.asarray(x, dtype=np.float64)
    expected = np.maximum(x_np @ np.asarray(w1) + np.asarray(b1), 0) @ np.asarray(w2) + np.asarray(b2)
    out = mlp_apply(params, x)
    assert out.shape == (4, 6, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # batched call equals a vmap over single examples
    single = jax.vmap(jax.vmap(lambda v: mlp_apply(params, v)))(x)
    np.testing.assert_allclose(out, single, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_every_activation_runs(key, act):
    out = mlp_apply(mlp_init(key, (2, 4, 1)), jnp.ones((3, 2)), activation=act)
    assert out.shape == (3, 1) and np.all(np.isfinite(out))


def test_deep_critic_possible(key):
    params = mlp_init(key, (2,) + (128,) * 12 + (1,))
    assert len(params) == 13
    assert mlp_apply(params, jnp.ones((5, 2))).shape == (5, 1)


def test_preactivation_grads_match_chain_rule(key, x64):
    params = mlp_init(key, (2, 6, 1))
    x = jax.random.normal(key, (5, 2))
    g1, g2 = preactivation_grads(lambda o: jnp.sum(o**2), params, x)
    (w1, b1), (w2, b2) = params
    a1 = np.asarray(x) @ np.asarray(w1) + np.asarray(b1)
    out = np.maximum(a1, 0) @ np.asarray(w2) + np.asarray(b2)
    np.testing.assert_allclose(g2, 2 * out, rtol=1e-12)
    np.testing.assert_allclose(g1, (2 * out) @ np.asarray(w2).T * (a1 > 0), rtol=1e-12)


def test_zero_shifts_change_nothing(key):
    params = mlp_init(key, (2, 4, 4, 1))
    x = jnp.ones((3, 2))
    shifts = [jnp.zeros((3, 4)), jnp.zeros((3, 4)), jnp.zeros((3, 1))]
    np.testing.assert_array_equal(mlp_apply(params, x, shifts=shifts), mlp_apply(params, x))


def test_validation(key):
    with pytest.raises(ValueError, match="sizes"):
        mlp_init(key, (2,))
    with pytest.raises(ValueError, match="sizes"):
        mlp_init(key, (2, 0, 1))
    with pytest.raises(ValueError, match="init"):
        mlp_init(key, (2, 1), init="xavier_normal")
    params = mlp_init(key, (2, 4, 1))
    with pytest.raises(ValueError, match="activation"):
        mlp_apply(params, jnp.ones((1, 2)), activation="gelu")
    with pytest.raises(ValueError, match=r"\[\.\.\., 2\]"):
        mlp_apply(params, jnp.ones((1, 3)))
    with pytest.raises(ValueError, match="shift"):
        mlp_apply(params, jnp.ones((1, 2)), shifts=[jnp.zeros(4)])

"""gantoy.studies.penalty: WGAN-GP Fig. 1 diagnostics against numpy, closed forms, central finite differences and the engine."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gantoy.studies import penalty as P
from gantoy.gan import engine as T
from gantoy.gan.losses import clip_weights
from gantoy.gan.nets import mlp_init


def zeros2(key, n):
    return jnp.zeros((n, 2))


# ----------------------------------------------------------------------------- noisy_sampler
def test_noisy_sampler_moments_and_determinism(key):
    data = lambda k, n: jnp.full((n, 2), 3.0)
    fake = P.noisy_sampler(data, 0.5)
    x = np.asarray(fake(key, 20_000))
    assert x.shape == (20_000, 2)
    np.testing.assert_allclose(x.mean(0), 3.0, atol=0.02)  # 4 standard errors (0.5 / sqrt(2e4))
    np.testing.assert_allclose(x.std(0), 0.5, rtol=0.03)
    np.testing.assert_array_equal(x, np.asarray(fake(key, 20_000)))


def test_noisy_sampler_zero_noise_is_the_data(key):
    ring = lambda k, n: jax.random.normal(k, (n, 2))
    k_data, _ = jax.random.split(key)
    np.testing.assert_array_equal(P.noisy_sampler(ring, 0.0)(key, 7), ring(k_data, 7))


def test_noisy_sampler_accepts_objects_with_sample(key):
    class Data:
        def sample(self, k, n):
            return jnp.zeros((n, 3))

    assert P.noisy_sampler(Data())(key, 5).shape == (5, 3)


@pytest.mark.parametrize("bad", [-1.0, "1", None])
def test_noisy_sampler_rejects_bad_sigma(bad):
    with pytest.raises(ValueError, match="sigma"):
        P.noisy_sampler(zeros2, bad)


def test_noisy_sampler_rejects_non_sampler():
    with pytest.raises(ValueError, match="sampler"):
        P.noisy_sampler(3.0)


# ----------------------------------------------------------------------------- scaled_norm
@given(
    # XLA flushes subnormal inputs to zero, so keep every entry normal after scaling by 10**-30
    st.lists(st.floats(-1e3, 1e3).filter(lambda v: v == 0 or abs(v) > 1e-250), min_size=1, max_size=20),
    st.integers(-30, 30),
)
def test_scaled_norm_matches_numpy_at_any_scale(values, exponent):
    with jax.enable_x64(True):
        x = np.asarray(values) * 10.0**exponent
        ref = math.hypot(*x.tolist())  # scales internally: no underflow, unlike np.linalg.norm
        np.testing.assert_allclose(float(P.scaled_norm(jnp.asarray(x))), ref, rtol=1e-12, atol=0)


def test_scaled_norm_axis_and_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1e-30, 0.0]], np.float32)
    np.testing.assert_allclose(np.asarray(P.scaled_norm(x, axis=1)), [5.0, 0.0, 1e-30], rtol=1e-6)
    np.testing.assert_allclose(float(P.scaled_norm(x)), 5.0, rtol=1e-6)


def test_scaled_norm_float32_does_not_underflow():
    x = np.random.default_rng(0).normal(size=100) * 1e-28
    x32 = jnp.asarray(x, jnp.float32)
    assert float(jnp.sqrt(jnp.sum(x32**2))) == 0.0  # the naive norm underflows
    np.testing.assert_allclose(float(P.scaled_norm(x32)), np.linalg.norm(x), rtol=1e-5)


# ----------------------------------------------------------------------------- depth_slope
@settings(max_examples=15)
@given(st.floats(-3, 3), st.floats(-10, 10), st.integers(2, 14))
def test_depth_slope_exact_on_geometric_profiles(s, a, n_layers):
    with jax.enable_x64(True):
        k = np.arange(n_layers - 1, -1, -1)  # depth below the output, input side first
        norms = 10.0 ** (a + s * k)
        np.testing.assert_allclose(float(P.depth_slope(jnp.asarray(norms))), s, atol=1e-9)


def test_depth_slope_is_least_squares_and_batches(key):
    with jax.enable_x64(True):
        v = np.exp(np.asarray(jax.random.normal(key, (3, 9), jnp.float64)))
        depth = np.arange(8, -1, -1)
        ref = [np.polyfit(depth, np.log10(row), 1)[0] for row in v]
        np.testing.assert_allclose(np.asarray(P.depth_slope(jnp.asarray(v))), ref, rtol=1e-10)


def test_depth_slope_sign_convention():
    # vanishing toward the input (small at layer 0) is a negative slope
    assert float(P.depth_slope(jnp.array([1e-3, 1e-2, 1e-1]))) < 0
    assert float(P.depth_slope(jnp.array([1e3, 1e2, 1e1]))) > 0


@pytest.mark.parametrize("bad", [jnp.array([1.0, 0.0, 1.0]), jnp.array([1.0, -1.0])])
def test_depth_slope_rejects_nonpositive(bad):
    with pytest.raises(ValueError, match="underflow"):
        P.depth_slope(bad)


def test_depth_slope_rejects_too_few_layers():
    with pytest.raises(ValueError, match="L >= 2"):
        P.depth_slope(jnp.array([1.0]))


def test_depth_slope_under_jit():
    f = jax.jit(P.depth_slope)
    np.testing.assert_allclose(float(f(jnp.array([1.0, 10.0, 100.0]))), -1.0, rtol=1e-6)


# ----------------------------------------------------------------------------- grad_profile
def _np_wgan_loss(params, real, fake, shifts=None):
    """E_fake f - E_real f for a ReLU MLP written in numpy; ``shifts[l]`` ``[2n, d_l]`` is added to a_l."""
    h = np.concatenate([real, fake])
    for l, (w, b) in enumerate(params):
        a = h @ w + b + (0.0 if shifts is None else shifts[l])
        h = np.maximum(a, 0.0) if l < len(params) - 1 else a
    n = real.shape[0]
    return h[n:, 0].mean() - h[:n, 0].mean()


def _central_difference_gradient(f, x, h=1e-6):
    """d f / d x entry by entry: (f(x + h e_i) - f(x - h e_i)) / 2h."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _batches(key, n=16, dtype=jnp.float32):
    k1, k2 = jax.random.split(key)
    return jax.random.normal(k1, (n, 2), dtype), 1.5 + jax.random.normal(k2, (n, 2), dtype)


def test_grad_profile_matches_engine_and_autodiff(key, x64):
    cfg = T.wgan_config(zeros2, d_hidden=(8, 8, 8), clip=0.3)
    d = clip_weights(mlp_init(key, (2, 8, 8, 8, 1)), 0.3)
    real, fake = _batches(jax.random.fold_in(key, 1), dtype=jnp.float64)
    prof = P.grad_profile(d, real, fake)
    w_ref, a_ref = T.critic_grad_profile(cfg, d, real, fake)
    np.testing.assert_allclose(np.asarray(prof.weight), np.asarray(w_ref), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(prof.preact), np.asarray(a_ref), rtol=1e-12)


def test_grad_profile_against_central_finite_differences(key, x64):
    """weight, preact and preact_max are norms of gradients of the WGAN loss: here the gradients
    come from central differences of a numpy forward pass, entry by entry."""
    d = mlp_init(key, (2, 6, 6, 1))
    real, fake = _batches(jax.random.fold_in(key, 1), n=8, dtype=jnp.float64)
    prof = P.grad_profile(d, real, fake)
    params = [(np.asarray(w), np.asarray(b)) for w, b in d]
    real, fake = np.asarray(real), np.asarray(fake)
    zeros = [np.zeros((16, w.shape[1])) for w, _ in params]
    for l, (w, b) in enumerate(params):

        def with_weight(w_l):
            return _np_wgan_loss(params[:l] + [(w_l, b)] + params[l + 1 :], real, fake)

        def with_shift(s_l):
            return _np_wgan_loss(params, real, fake, zeros[:l] + [s_l] + zeros[l + 1 :])

        g_w = _central_difference_gradient(with_weight, w)
        g_a = _central_difference_gradient(with_shift, zeros[l])
        np.testing.assert_allclose(float(prof.weight[l]), np.linalg.norm(g_w), rtol=1e-7)
        np.testing.assert_allclose(float(prof.preact[l]), np.linalg.norm(g_a), rtol=1e-7)
        np.testing.assert_allclose(float(prof.preact_max[l]), np.abs(g_a).max(), rtol=1e-7)


def test_grad_profile_closed_forms_at_the_ends(key, x64):
    d = mlp_init(key, (2, 5, 5, 1))
    real, fake = _batches(jax.random.fold_in(key, 1), n=10, dtype=jnp.float64)
    prof = P.grad_profile(d, real, fake)
    # output pre-activation gradient: +1/n on fakes, -1/n on reals -> norm sqrt(2n)/n
    np.testing.assert_allclose(float(prof.preact[-1]), np.sqrt(20) / 10, rtol=1e-12)
    np.testing.assert_allclose(float(prof.preact_max[-1]), 0.1, rtol=1e-12)
    # forward signal into layer 0 is the centred input
    x = np.concatenate([np.asarray(real), np.asarray(fake)])
    np.testing.assert_allclose(float(prof.forward[0]), np.linalg.norm(x - x.mean(0)), rtol=1e-12)
    # last weight gradient = mean h(fake) - mean h(real) of the last hidden layer
    (w1, b1), (w2, b2) = [(np.asarray(w), np.asarray(b)) for w, b in d[:2]]
    h = np.maximum(np.maximum(x @ w1 + b1, 0.0) @ w2 + b2, 0.0)
    np.testing.assert_allclose(float(prof.weight[-1]), np.linalg.norm(h[10:].mean(0) - h[:10].mean(0)), rtol=1e-10)


def test_grad_profile_float32_deep_clipped_critic_is_not_zero(key):
    """c = 0.001, 10 layers: the engine's plain norms underflow to 0 in float32, the scaled ones do not."""
    sizes = (2,) + (16,) * 10 + (1,)
    d32 = clip_weights(mlp_init(key, sizes), 1e-3)
    real, fake = _batches(jax.random.fold_in(key, 1), n=16)
    prof32 = P.grad_profile(d32, real, fake)
    cfg = T.wgan_config(zeros2, d_hidden=(16,) * 10, clip=1e-3)
    _, plain = T.critic_grad_profile(cfg, d32, real, fake)
    assert float(jnp.min(plain)) == 0.0  # the naive norm underflows
    assert bool(jnp.all(prof32.preact > 0))
    with jax.enable_x64(True):
        d64 = jax.tree_util.tree_map(lambda p: jnp.asarray(p, jnp.float64), d32)
        prof64 = P.grad_profile(d64, jnp.asarray(real, jnp.float64), jnp.asarray(fake, jnp.float64))
        np.testing.assert_allclose(np.asarray(prof32.preact), np.asarray(prof64.preact), rtol=1e-4)
        assert float(P.depth_slope(prof64.preact[:-1])) < -1.0  # vanishing


def test_grad_profile_flat_weight_gradient_for_random_sign_layers(key, x64):
    """Layers of weights +-c scale forward and backward signals alike: weight gradients stay flat
    while the activation gradients vanish (the explanation in notebook 10)."""
    sizes = (2,) + (64,) * 8 + (1,)
    d = clip_weights(mlp_init(key, sizes), 0.02)
    real, fake = _batches(jax.random.fold_in(key, 1), n=64, dtype=jnp.float64)
    prof = P.grad_profile(d, real, fake)
    s_act = float(P.depth_slope(prof.preact[1:-1]))
    s_fwd = float(P.depth_slope(prof.forward[1:-1]))
    s_w = float(P.depth_slope(prof.weight[1:-1]))
    assert s_act < -0.5
    assert abs(s_fwd + s_act) < 0.2  # forward grows toward the input at the rate the backward signal shrinks
    assert abs(s_w) < 0.2


def test_grad_profile_rejects_bad_shapes(key):
    d = mlp_init(key, (2, 4, 1))
    with pytest.raises(ValueError, match="real and fake"):
        P.grad_profile(d, jnp.ones((3, 2)), jnp.ones((3, 3)))
    with pytest.raises(ValueError, match="one score"):
        P.grad_profile(mlp_init(key, (2, 4, 2)), jnp.ones((3, 2)), jnp.ones((3, 2)))


# ----------------------------------------------------------------------------- clipped_init_fraction
@pytest.mark.parametrize("c", [0.001, 0.01, 0.1, 1.0])
def test_clipped_init_fraction_matches_a_clipped_initialisation(key, c):
    sizes = (2, 256, 256, 1)
    d = clip_weights(mlp_init(key, sizes), c)
    measured = float(T.clip_fraction(d, c))
    # 66k weights: binomial standard error <= 0.002
    assert measured == pytest.approx(P.clipped_init_fraction(sizes, c), abs=0.01)


@pytest.mark.parametrize("c", [0.001, 0.01])
def test_clipped_init_fraction_of_the_notebooks_deep_critic(key, c):
    # notebook 10's 12-layer critic of width 64: the closed form against clip_fraction of a clipped init
    sizes = (2,) + (64,) * 12 + (1,)
    d = clip_weights(mlp_init(key, sizes), c)
    assert float(T.clip_fraction(d, c)) == pytest.approx(P.clipped_init_fraction(sizes, c), abs=0.01)


def test_clipped_init_fraction_closed_form_values():
    # one layer with fan-in 100: B = 0.1
    assert P.clipped_init_fraction((100, 1), 0.05) == pytest.approx(1 - 0.99 * 0.5)
    assert P.clipped_init_fraction((100, 1), 0.2) == 0.0
    assert P.clipped_init_fraction((100, 1), 0.05, tol=0.0) == pytest.approx(0.5)


@pytest.mark.parametrize("kw", [dict(sizes=(3,), c=0.1), dict(sizes=(2, 1), c=0.0), dict(sizes=(2, 1), c=0.1, tol=1.0)])
def test_clipped_init_fraction_rejects_bad_input(kw):
    with pytest.raises(ValueError):
        P.clipped_init_fraction(kw.pop("sizes"), kw.pop("c"), **kw)


# ----------------------------------------------------------------------------- step_batches and the visible step
def _visible_step_namespace():
    """Execute notebook 10's written-out WGAN-GP step (the cell defining ``wgan_gp_step``): it imports only jax and optax."""
    import json
    import re
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "10_gradient_penalty.ipynb").read_text("utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    src = next(s for s in cells if "def wgan_gp_step(" in s)
    imports = set(re.findall(r"^\s*(?:import|from)\s+([\w.]+)", src, re.MULTILINE))
    assert imports <= {"jax", "jax.numpy", "optax"}, imports
    ns = {}
    exec(compile(src, "notebook 10: wgan_gp_step", "exec"), ns)
    return ns


def _max_abs_diff(a, b):
    return max(float(jnp.max(jnp.abs(x - y))) for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def test_visible_wgan_gp_step_equals_the_engine_step():
    """Same initial parameters, same explicit batches: the 40-line step and engine.make_step agree to 1e-6 (float64)."""
    import optax

    import gantoy

    step_ns = _visible_step_namespace()
    # the notebook's step adds biases by broadcasting ([n, k] + [k]), as the maths reads
    with jax.enable_x64(True), jax.numpy_rank_promotion("allow"):
        ring = gantoy.ring8()
        opt = gantoy.adam(1e-3, 0.0, 0.9)
        cfg = gantoy.wgan_gp_config(ring, gp_weight=0.1, g_opt=opt, d_opt=opt, z_dim=4, g_hidden=(16, 16),
                                    d_hidden=(16, 16), batch_size=32)
        state = T.init(jax.random.key(0), cfg)
        assert state.d_params[0][0].dtype == jnp.float64
        tx = optax.adam(1e-3, b1=0.0, b2=0.9)
        mine = (state.g_params, state.d_params, tx.init(state.g_params), tx.init(state.d_params))
        engine_step = jax.jit(T.make_step(cfg, ()))
        visible_step = jax.jit(lambda m, b: step_ns["wgan_gp_step"](*m, b, lam=0.1, g_opt=tx, d_opt=tx))
        for t in range(3):
            key = jax.random.key(10 + t)
            state, _ = engine_step(state, key)
            mine = visible_step(mine, P.step_batches(key, cfg, jnp.float64))
            assert _max_abs_diff(mine[0], state.g_params) < 1e-6
            assert _max_abs_diff(mine[1], state.d_params) < 1e-6
        assert _max_abs_diff(mine[1], T.init(jax.random.key(0), cfg).d_params) > 1e-3  # the parameters did move


def test_step_batches_match_the_engine_draws(key):
    import gantoy

    cfg = gantoy.wgan_gp_config(gantoy.ring8(), batch_size=8, n_critic=3, z_dim=2)
    b = P.step_batches(key, cfg)
    assert b.reals.shape == (3, 8, 2) and b.zs.shape == (3, 8, 2) and b.eps.shape == (3, 8, 1) and b.z_gen.shape == (8, 2)
    assert float(b.eps.min()) >= 0 and float(b.eps.max()) <= 1
    # critic step 1's real batch, drawn as the engine does
    k_critic, _ = jax.random.split(key)
    k_real = jax.random.split(jax.random.fold_in(k_critic, 1), 3)[0]
    np.testing.assert_array_equal(np.asarray(b.reals[1]), np.asarray(gantoy.ring8().sample(k_real, 8)))
    np.testing.assert_array_equal(np.asarray(P.step_batches(key, cfg).zs), np.asarray(b.zs))


def test_step_batches_rejects_other_configs():
    import gantoy

    with pytest.raises(ValueError, match="WGAN-GP"):
        P.step_batches(jax.random.key(0), gantoy.wgan_config(gantoy.ring8()))
    with pytest.raises(ValueError, match="instance noise"):
        P.step_batches(jax.random.key(0), gantoy.wgan_gp_config(gantoy.ring8(), noise_sigma=0.1))
    with pytest.raises(ValueError, match="GANConfig"):
        P.step_batches(jax.random.key(0), None)


# ----------------------------------------------------------------------------- median_interval
def test_median_interval_against_numpy_bootstrap():
    values = np.array([16, 18, 21, 21, 22, 23, 25, 19], float)
    lo, hi = P.median_interval(jax.random.key(0), jnp.asarray(values), n_boot=4000)
    rng = np.random.default_rng(0)  # an independent bootstrap: the same interval up to resampling noise
    meds = np.median(values[rng.integers(0, 8, (4000, 8))], axis=1)
    ref = np.quantile(meds, [0.05, 0.95])
    assert abs(lo - ref[0]) <= 1.0 and abs(hi - ref[1]) <= 1.0
    assert lo <= np.median(values) <= hi


@pytest.mark.parametrize("kw", [dict(values=[1.0]), dict(values=[1.0, np.nan]), dict(values=[1.0, 2.0], level=1.0),
                                dict(values=[1.0, 2.0], n_boot=10)])
def test_median_interval_rejects_bad_input(kw):
    values = jnp.asarray(kw.pop("values"))
    with pytest.raises(ValueError):
        P.median_interval(jax.random.key(0), values, **kw)

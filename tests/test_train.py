"""The training engine: validation, clipping invariant, determinism, vmap == loop, metrics."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gantoy import training as T
from gantoy.nets import mlp_init


def ring(key, n):
    """8 Gaussians on a circle of radius 2, std 0.02 (local test sampler)."""
    k1, k2 = jax.random.split(key)
    ang = 2 * jnp.pi * jax.random.randint(k1, (n,), 0, 8) / 8
    centres = 2.0 * jnp.stack([jnp.cos(ang), jnp.sin(ang)], axis=-1)
    return centres + 0.02 * jax.random.normal(k2, (n, 2), centres.dtype)


TINY = dict(z_dim=2, g_hidden=(16, 16), d_hidden=(16, 16), batch_size=32)


def tiny(**kw):
    kw = {"data": ring, "loss": "nonsaturating", **TINY, **kw}
    return T.gan_config(**kw)


CFG = tiny(n_critic=2, d_opt=T.adam(5e-3, 0.5, 0.999))
M = ("d_loss", "g_loss", "d_grad_norm")  # shared so compiled runners are reused across tests


def leaves_equal(a, b):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return len(la) == len(lb) and all(np.array_equal(x, y) for x, y in zip(la, lb))


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(loss="wgan-gp"), "loss must be one of"),
        (dict(loss="hinge"), "loss must be one of"),
        (dict(n_critic=0), "n_critic"),
        (dict(batch_size=0), "batch_size"),
        (dict(clip=0.0), "clip c"),
        (dict(clip=-0.01), "clip c"),
        (dict(gp_weight=-1.0), "gp_weight"),
        (dict(g_opt=T.Optimizer("adagrad", 1e-3)), "optimizer name"),
        (dict(data=42), "data must be a sampler"),
    ],
)
def test_config_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        tiny(**kw)


def test_data_must_be_n_by_d(key):
    cfg = tiny(data=lambda k, n: jnp.zeros((n,)))
    with pytest.raises(ValueError, match=r"\[n, d\]"):
        T.init(key, cfg)


def test_metric_validation(key):
    with pytest.raises(ValueError, match="unknown metric"):
        T.train(key, tiny(), 1, metrics=("fid",))
    with pytest.raises(ValueError, match="clip"):
        T.train(key, tiny(), 1, metrics=("clip_frac",))
    with pytest.raises(ValueError, match="exactly one"):
        T.train_critic(key, tiny(), 1)
    with pytest.raises(ValueError, match="need g_params"):
        T.train_critic(key, tiny(), 1, fake=ring, metrics=("g_grad_norm_minimax",))
    with pytest.raises(ValueError, match="snapshot_steps"):
        T.train(key, tiny(), 2, snapshot_steps=(5,))


def test_config_hashable_and_equal_by_value():
    a, b = tiny(), tiny()
    assert a == b and hash(a) == hash(b)
    assert a != a.replace(n_critic=2)
    assert a != tiny(data=lambda k, n: ring(k, n))  # data compared by identity
    assert T.wgan_gp_config(ring).d_opt == T.adam(1e-4, 0.0, 0.9)


# ----------------------------------------------------------------------------- optimisers
def test_rmsprop_matches_pytorch_formula():
    # torch.optim.RMSprop defaults: alpha 0.99, eps 1e-8 outside the root, v0 = 0, no momentum
    tx = T.make_optimizer(T.rmsprop(0.1))
    p = jnp.array([1.0, -2.0])
    state = tx.init(p)
    v = np.zeros(2)
    p_ref = np.array([1.0, -2.0])
    for g in ([0.5, -1.0], [2.0, 0.1], [-0.3, 0.0]):
        g = np.array(g)
        v = 0.99 * v + 0.01 * g**2
        p_ref = p_ref - 0.1 * g / (np.sqrt(v) + 1e-8)
        u, state = tx.update(jnp.array(g, jnp.float32), state, p)
        p = optax.apply_updates(p, u)
    np.testing.assert_allclose(p, p_ref, rtol=1e-5)


def test_adam_settings_passed():
    tx = T.make_optimizer(T.adam(1e-3, 0.0, 0.9))
    u, _ = tx.update(jnp.array([3.0]), tx.init(jnp.zeros(1)))
    np.testing.assert_allclose(u, [-1e-3], rtol=1e-5)  # first Adam step: -lr * sign(g)


# ----------------------------------------------------------------------------- clipping
def test_clipping_invariant_after_every_critic_update(key):
    c = 0.01
    cfg = T.wgan_config(ring, **{**TINY, "n_critic": 1, "d_opt": T.rmsprop(1e-2)})
    state = T.init(key, cfg)
    step = jax.jit(T.make_step(cfg, ("clip_frac",)))
    hit_bound = False
    for t in range(8):  # n_critic = 1: every step is one critic update
        state, m = step(state, jax.random.fold_in(key, t))
        for leaf in jax.tree_util.tree_leaves(state.d_params):
            assert float(jnp.max(jnp.abs(leaf))) <= np.float32(c)
        hit_bound |= float(m["clip_frac"]) > 0
    assert hit_bound  # the bound is active: the check above could fail
    # and inside a scan of critic steps (train_critic); RMSProp's update is the
    # gradient scaled by a positive diagonal, so cos(update, -grad) > 0 (before clipping)
    res = T.train_critic(key, cfg, 20, fake=lambda k, n: ring(k, n) + 1.0, metrics=("clip_frac", "cos"))
    assert all(float(jnp.max(jnp.abs(x))) <= np.float32(c) for x in jax.tree_util.tree_leaves(res.d_params))
    assert np.all(res.metrics["cos"] > 0)


# ----------------------------------------------------------------------------- determinism
def test_determinism_and_resume(key):
    a = T.train(key, CFG, 4, metrics=M, snapshot_steps=(0, 4), n_samples=7)
    b = T.train(key, CFG, 4, metrics=M, snapshot_steps=(0, 4), n_samples=7)
    assert leaves_equal(a.state, b.state)
    np.testing.assert_array_equal(a.metrics["g_loss"], b.metrics["g_loss"])
    np.testing.assert_array_equal(a.snapshots, b.snapshots)
    assert a.snapshots.shape == (2, 7, 2) and a.metrics["d_grad_norm"].shape == (4, 2)
    # split into chunks, or resumed from the returned state: the same run
    chunked = T.train(key, CFG, 4, metrics=M, chunk=2)
    np.testing.assert_allclose(chunked.metrics["g_loss"], a.metrics["g_loss"], rtol=1e-5)
    c1 = T.train(key, CFG, 2, metrics=M)
    c2 = T.train(key, CFG, 2, metrics=M, state=c1.state, snapshot_steps=(4,), n_samples=7)
    np.testing.assert_allclose(np.concatenate([c1.metrics["g_loss"], c2.metrics["g_loss"]]), a.metrics["g_loss"], rtol=1e-5)
    np.testing.assert_allclose(c2.snapshots[-1], a.snapshots[-1], rtol=1e-5, atol=1e-6)
    # a different key, different numbers
    d = T.train(jax.random.fold_in(key, 1), CFG, 2, metrics=M)
    assert not np.array_equal(d.metrics["g_loss"], c1.metrics["g_loss"])


def test_zero_steps_gives_empty_metrics_of_the_right_shape(key):
    one = T.train(key, CFG, 0, metrics=M)
    assert int(one.state.step) == 0 and one.metrics["d_grad_norm"].shape == (0, 2)
    many = T.train(T.seed_keys(key, 2), CFG, 0, metrics=M + ("n_critic",))
    assert many.metrics["g_loss"].shape == (2, 0) and many.metrics["n_critic"].dtype == np.int32


def test_vmap_over_seeds_equals_loop(key):
    keys = T.seed_keys(key, 3)
    batched = T.train(keys, CFG, 2, metrics=M)
    assert batched.metrics["g_loss"].shape == (3, 2)
    assert batched.metrics["d_grad_norm"].shape == (3, 2, 2)
    for i in range(3):
        single = T.train(keys[i], CFG, 2, metrics=M)
        for name in M:
            np.testing.assert_allclose(batched.metrics[name][i], single.metrics[name], rtol=2e-4, atol=1e-6)
        for x, y in zip(jax.tree_util.tree_leaves(batched.state), jax.tree_util.tree_leaves(single.state)):
            np.testing.assert_allclose(x[i], y, rtol=2e-4, atol=1e-6)


def test_threads_train_groups_of_seeds_as_separate_programs(key):
    """threads=2 is exactly two vmapped runs on the halves, concatenated; resumable; validated."""
    keys = T.seed_keys(key, 4)
    res = T.train(keys, CFG, 2, metrics=M, threads=2, snapshot_steps=(0, 2), n_samples=5)
    assert res.metrics["d_grad_norm"].shape == (4, 2, 2) and res.snapshots.shape == (4, 2, 5, 2)
    for half in (slice(0, 2), slice(2, 4)):
        alone = T.train(keys[half], CFG, 2, metrics=M, snapshot_steps=(0, 2), n_samples=5)
        for name in M:
            np.testing.assert_array_equal(res.metrics[name][half], alone.metrics[name])
        np.testing.assert_array_equal(res.snapshots[half], alone.snapshots)
        assert leaves_equal(jax.tree_util.tree_map(lambda x: x[half], res.state), alone.state)
    # the same initial networks as one program over all seeds
    assert leaves_equal(T.train(keys, CFG, 0, metrics=M, threads=2).state, T.train(keys, CFG, 0, metrics=M).state)
    more = T.train(keys, CFG, 1, metrics=M, threads=2, state=res.state)
    assert np.all(np.asarray(more.state.step) == 3)
    for bad, match in ((dict(threads=0), "threads must be >= 1"), (dict(threads=3), "divide")):
        with pytest.raises(ValueError, match=match):
            T.train(keys, CFG, 1, metrics=M, **bad)
    with pytest.raises(ValueError, match="divide"):
        T.train(keys[0], CFG, 1, metrics=M, threads=2)


# ----------------------------------------------------------------------------- metrics
def test_generator_gradient_norms_both_paths_agree_under_instance_noise_and_r1(key):
    # instance noise (annealed over 4 steps) and R1 on both players, so those paths run too
    noisy = dict(noise_sigma=0.5, noise_anneal=4, r1_weight=1.0)
    names = ("g_grad_norm", "g_grad_norm_minimax", "g_grad_norm_nonsaturating", "d_loss", "d_penalty")
    mm = T.train(key, tiny(loss="minimax", **noisy), 5, metrics=names).metrics
    ns = T.train(key, tiny(loss="nonsaturating", **noisy), 5, metrics=names).metrics
    # the training gradient and the recorded one: same z, same noise, different code paths
    np.testing.assert_allclose(mm["g_grad_norm"], mm["g_grad_norm_minimax"], rtol=1e-6)
    np.testing.assert_allclose(ns["g_grad_norm"], ns["g_grad_norm_nonsaturating"], rtol=1e-6)
    # step 0: the same D update (both use D's cross-entropy) and the same z in both runs
    np.testing.assert_allclose(mm["g_grad_norm_minimax"][0], ns["g_grad_norm_minimax"][0], rtol=1e-5)
    np.testing.assert_allclose(mm["g_grad_norm_nonsaturating"][0], ns["g_grad_norm_nonsaturating"][0], rtol=1e-5)
    assert mm["g_grad_norm"][0] > 0
    assert all(np.all(np.isfinite(v)) for v in (*mm.values(), *ns.values()))
    assert np.all(mm["d_penalty"] > 0) and np.all(ns["d_penalty"] > 0)


def test_cosine_is_one_for_sgd(key):
    # (positive for RMSProp: test_clipping_invariant_after_every_critic_update)
    fake = lambda k, n: ring(k, n) + 0.5
    # with a gradient penalty, so that path runs inside train_critic too
    sgd = T.train_critic(key, tiny(loss="wgan", gp_weight=1.0, d_opt=T.sgd(1e-2)), 10, fake=fake, metrics=("cos",))
    np.testing.assert_allclose(sgd.metrics["cos"], 1.0, rtol=1e-5)


def test_warmup_schedule(key):
    cfg = tiny(loss="wgan", n_critic=2, warmup_critic=5, warmup_steps=3, warmup_every=4)
    res = T.train(key, cfg, 9, metrics=("n_critic", "cos"))
    np.testing.assert_array_equal(res.metrics["n_critic"], [5, 5, 5, 2, 5, 2, 2, 2, 5])
    cos = res.metrics["cos"]
    assert cos.shape == (9, 5)
    assert np.all(np.isfinite(cos[:3])) and np.all(np.isnan(cos[3, 2:])) and np.all(np.isfinite(cos[3, :2]))


def test_layer_gradient_metrics_shapes_and_output_layer_closed_form(key):
    cfg = T.wgan_config(ring, **{**TINY, "d_hidden": (8,) * 4})
    res = T.train(key, cfg, 2, metrics=("d_grad_norms", "d_preact_grad_norms", "clip_frac", "d_acc"))
    assert res.metrics["d_grad_norms"].shape == (2, 5)
    # WGAN loss: dL/d(output) = +1/n on fakes and -1/n on reals -> norm sqrt(2/n)
    np.testing.assert_allclose(res.metrics["d_preact_grad_norms"][:, -1], np.sqrt(2 / 32), rtol=1e-5)
    assert np.all((res.metrics["clip_frac"] >= 0) & (res.metrics["clip_frac"] <= 1))
    w, a = T.critic_grad_profile(cfg, res.state.d_params, ring(key, 32), ring(key, 32) + 1.0)
    assert w.shape == a.shape == (5,)
    np.testing.assert_allclose(a[-1], np.sqrt(2 / 32), rtol=1e-5)


def test_freeze_generator_d_wins_and_batched_generators_equal_loop(key):
    # G at initialisation sits near the origin, inside the ring: a fresh D separates them
    keys = T.seed_keys(key, 3)
    gs = T.train(keys, CFG, 2, metrics=M).state.g_params  # one generator per seed, barely trained
    both = T.freeze_generator(keys, CFG, gs, 200).metrics
    assert both["d_acc"].shape == (3, 200)
    assert np.all(both["d_acc"][:, :3].mean(axis=1) < 0.9)
    assert np.all(both["d_acc"][:, -20:].mean(axis=1) > 0.95)
    assert all(np.all(np.isfinite(v)) for v in both.values())
    # the vmapped run over (key, generator) pairs equals a loop
    for i in range(3):
        g_i = jax.tree_util.tree_map(lambda x: x[i], gs)
        one = T.freeze_generator(keys[i], CFG, g_i, 200).metrics
        for name in one:
            np.testing.assert_allclose(both[name][i], one[name], rtol=1e-3, atol=1e-6)


def test_float64_run(key, x64):
    cfg = tiny(loss="wgan", clip=0.01, d_opt=T.rmsprop(5e-5))
    res = T.train(key, cfg, 2, metrics=("d_loss", "cos"))
    assert res.state.d_params[0][0].dtype == jnp.float64
    assert res.metrics["d_loss"].dtype == np.float64


def test_mlp_params_are_replaceable(key):
    # configs are frozen dataclasses; changing a field recompiles, the result stays valid
    cfg = dataclasses.replace(tiny(), d_hidden=(4,))
    assert T.init(key, cfg).d_params[0][0].shape == (2, 4)
    assert len(mlp_init(key, (2, 4, 1))) == 2


def test_critic_input_grad_and_clip_fraction(key):
    cfg = tiny(d_hidden=(8,))
    d = T.init(key, cfg).d_params
    x = jax.random.normal(key, (4, 2))
    g = T.critic_input_grad(cfg, d, x)
    h = 1e-3
    f = T.critic_fn(cfg, d)
    fd = (f(x + jnp.array([[h, 0.0]])) - f(x - jnp.array([[h, 0.0]]))) / (2 * h)
    np.testing.assert_allclose(g[:, 0], fd, rtol=2e-2, atol=1e-4)
    w = [(jnp.array([[0.1, -0.0995, 0.05, 0.0]]), jnp.array([0.1]))]
    assert float(T.clip_fraction(w, 0.1)) == 0.5
    with pytest.raises(ValueError, match="clip c"):
        T.clip_fraction(w, 0.0)

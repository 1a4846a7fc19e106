"""The training engine: validation, clipping invariant, determinism, vmap == loop, metrics."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gantoy.gan import engine as T
from gantoy.gan.nets import mlp_init


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
    many = T.train(key, CFG, 0, n_seeds=2, metrics=M + ("n_critic",))
    assert many.metrics["g_loss"].shape == (2, 0) and many.metrics["n_critic"].dtype == np.int32


def test_vmap_over_seeds_equals_loop(key):
    keys = T.seed_keys(key, 3)
    batched = T.train(key, CFG, 2, n_seeds=3, metrics=M)
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
    res = T.train(key, CFG, 2, n_seeds=4, metrics=M, threads=2, snapshot_steps=(0, 2), n_samples=5)
    assert res.metrics["d_grad_norm"].shape == (4, 2, 2) and res.snapshots.shape == (4, 2, 5, 2)
    keys = T.seed_keys(key, 4)
    assert np.array_equal(jax.random.key_data(keys[:2]), jax.random.key_data(T.seed_keys(key, 2)))
    for half in (slice(0, 2), slice(2, 4)):
        # each group alone: one vmapped program on its seeds' keys (the engine's path for given keys)
        alone = T._train(keys[half], True, CFG, 2, metrics=M, snapshot_steps=(0, 2), n_samples=5, state=None,
                         chunk=None, progress=False, n_critic=None, train_generator=True)
        if half == slice(0, 2):  # the first group's keys are those of n_seeds=2
            public = T.train(key, CFG, 2, n_seeds=2, metrics=M, snapshot_steps=(0, 2), n_samples=5)
            np.testing.assert_array_equal(public.snapshots, alone.snapshots)
        for name in M:
            np.testing.assert_array_equal(res.metrics[name][half], alone.metrics[name])
        np.testing.assert_array_equal(res.snapshots[half], alone.snapshots)
        assert leaves_equal(jax.tree_util.tree_map(lambda x: x[half], res.state), alone.state)
    # the same initial networks as one program over all seeds
    assert leaves_equal(T.train(key, CFG, 0, n_seeds=4, metrics=M, threads=2).state,
                        T.train(key, CFG, 0, n_seeds=4, metrics=M).state)
    more = T.train(key, CFG, 1, n_seeds=4, metrics=M, threads=2, state=res.state)
    assert np.all(np.asarray(more.state.step) == 3)
    for bad, match in ((dict(threads=0), "threads must be >= 1"), (dict(threads=3), "divide")):
        with pytest.raises(ValueError, match=match):
            T.train(key, CFG, 1, n_seeds=4, metrics=M, **bad)
    with pytest.raises(ValueError, match="divide"):
        T.train(key, CFG, 1, metrics=M, threads=2)


def test_threads_give_the_numbers_of_one_program_over_all_seeds(key):
    """8 seeds as two threads of 4 (the notebooks' setting on 2 cores), with the notebooks' 64-wide
    networks, give bit for bit the numbers of one vmapped program over the 8. (Not a law: with other
    widths XLA may pick another kernel for a group of 4 than for 8, and the numbers differ by rounding.)"""
    wide = CFG.replace(z_dim=16, g_hidden=(64, 64, 64), d_hidden=(64, 64, 64), batch_size=64)
    for cfg in (wide, wide.replace(loss="wgan", gp_weight=0.1, n_critic=5, d_opt=T.adam(1e-3, 0.0, 0.9))):
        one = T.train(key, cfg, 4, n_seeds=8, metrics=M, snapshot_steps=(0, 4), n_samples=5)
        two = T.train(key, cfg, 4, n_seeds=8, metrics=M, snapshot_steps=(0, 4), n_samples=5, threads=2)
        assert leaves_equal(one.state, two.state)
        for name in M:
            np.testing.assert_array_equal(one.metrics[name], two.metrics[name])
        np.testing.assert_array_equal(one.snapshots, two.snapshots)


def test_n_seeds_uses_seed_keys_and_refuses_a_batch_of_keys(key):
    """n_seeds=n trains seed i with key seed_keys(key, n)[i]; a batch of keys as key is refused."""
    keys = T.seed_keys(key, 2)
    both = T.train(key, CFG, 0, n_seeds=2, metrics=M).state
    for i in range(2):
        one = T.init(jax.random.fold_in(keys[i], 0), CFG)  # train's initial state for key keys[i]
        assert leaves_equal(jax.tree_util.tree_map(lambda x: x[i], both.g_params), one.g_params)
    assert leaves_equal(T.init_seeds(key, CFG, 2).g_params,
                        jax.vmap(lambda k: T.init(k, CFG).g_params)(keys))
    for call in (lambda: T.train(keys, CFG, 1, metrics=M),
                 lambda: T.train_critic(keys, CFG, 1, fake=ring),
                 lambda: T.freeze_generator(keys, CFG, T.init(key, CFG).g_params, 1)):
        with pytest.raises(ValueError, match="n_seeds"):
            call()
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n_seeds"):
            T.train(key, CFG, 1, n_seeds=bad, metrics=M)


# ----------------------------------------------------------------------------- metrics
def test_generator_gradient_norms_against_one_sample_closed_form_and_the_applied_update(key):
    """Batch of one: grad of log(1 - sigma(l)) is -sigma(l) grad l, grad of -log sigma(l) is
    -(1 - sigma(l)) grad l, so |g_minimax| / |g_ns| = exp(l) with l = -log(exp(g_loss) - 1) from the
    non-saturating loss softplus(-l); and under SGD the recorded norm is |applied update| / lr.
    Instance noise (annealed) and R1 run too; both gradients see the same noisy fake."""
    lr = 1e-2
    cfg = tiny(loss="nonsaturating", batch_size=1, g_opt=T.sgd(lr), noise_sigma=0.3, noise_anneal=4, r1_weight=1.0)
    names = ("g_loss", "g_grad_norm", "g_grad_norm_minimax", "g_grad_norm_nonsaturating", "d_penalty")
    step = jax.jit(T.make_step(cfg, names))
    state = T.init(key, cfg)
    for t in range(5):
        new, m = step(state, jax.random.fold_in(key, t))
        l = -np.log(np.expm1(float(m["g_loss"])))
        ratio = float(m["g_grad_norm_minimax"]) / float(m["g_grad_norm_nonsaturating"])
        np.testing.assert_allclose(ratio, np.exp(l), rtol=1e-3)
        moved = np.sqrt(sum(np.sum((np.asarray(a, float) - np.asarray(b, float)) ** 2)
                            for a, b in zip(jax.tree_util.tree_leaves(new.g_params), jax.tree_util.tree_leaves(state.g_params))))
        np.testing.assert_allclose(float(m["g_grad_norm"]), moved / lr, rtol=1e-3)
        assert float(m["d_penalty"]) > 0 and bool(m["finite"])
        state = new


def test_generator_grad_norms_against_a_plain_jax_gradient(key, x64):
    """T.generator_grad_norms against the two losses written out in plain jnp (2-layer ReLU nets)."""
    cfg = tiny(g_hidden=(5,), d_hidden=(6,))
    s = T.init(key, cfg)
    z = jax.random.normal(jax.random.fold_in(key, 1), (7, 2))

    def logits(g):
        (w1, b1), (w2, b2) = g
        x = jnp.maximum(z @ w1 + b1[None], 0.0) @ w2 + b2[None]
        (v1, c1), (v2, c2) = s.d_params
        return (jnp.maximum(x @ v1 + c1[None], 0.0) @ v2 + c2[None])[:, 0]

    mm = jax.grad(lambda g: jnp.mean(jnp.log1p(-jax.nn.sigmoid(logits(g)))))(s.g_params)
    ns = jax.grad(lambda g: -jnp.mean(jnp.log(jax.nn.sigmoid(logits(g)))))(s.g_params)
    norm = lambda tree: np.sqrt(sum(np.sum(np.asarray(x) ** 2) for x in jax.tree_util.tree_leaves(tree)))
    out = T.generator_grad_norms(cfg, s.g_params, s.d_params, z)
    np.testing.assert_allclose(float(out["g_grad_norm_minimax"]), norm(mm), rtol=1e-10)
    np.testing.assert_allclose(float(out["g_grad_norm_nonsaturating"]), norm(ns), rtol=1e-10)


def test_runtime_n_critic_compiles_once_and_takes_k_critic_steps(key, xla_compiles):
    """n_critic and train_generator given at run time: one program for every value (no new
    XLA compile after the first call), k critic updates per generator step, G frozen on request."""
    T.train(key, CFG, 3, n_seeds=2, metrics=M + ("n_critic",), n_critic=1)  # compiles
    with xla_compiles() as compiles:
        runs = {k: T.train(key, CFG, 3, n_seeds=2, metrics=M + ("n_critic",), n_critic=k) for k in (2, 5)}
        frozen = T.train(key, CFG, 3, n_seeds=2, metrics=M + ("n_critic",), n_critic=4, train_generator=False)
    assert compiles == []  # (the listener does see compiles: a new program would add one)
    for k, res in runs.items():
        np.testing.assert_array_equal(res.metrics["n_critic"], k)
        assert np.asarray(res.state.d_opt_state[0].count).tolist() == [3 * k] * 2  # Adam's step counter
        assert np.asarray(res.state.g_opt_state[0].count).tolist() == [3, 3]
    assert np.asarray(frozen.state.d_opt_state[0].count).tolist() == [12, 12]
    assert np.asarray(frozen.state.g_opt_state[0].count).tolist() == [0, 0]
    start = T.train(key, CFG, 0, n_seeds=2, metrics=M).state
    assert leaves_equal(frozen.state.g_params, start.g_params)


def test_learning_rates_are_arguments_of_one_program(key, xla_compiles):
    """Configurations that differ only in their step sizes share one compiled program (no new XLA
    compile), and its numbers are those of the same optimiser with the step size as a constant
    (an optax transformation keeps its own step size inside the program)."""
    T.train(key, CFG, 3, n_seeds=2, metrics=M)  # compiles
    other = CFG.replace(g_opt=T.adam(3e-3, 0.5, 0.999), d_opt=T.adam(2e-2, 0.5, 0.999))
    with xla_compiles() as compiles:
        ours = T.train(key, other, 3, n_seeds=2, metrics=M)
    assert compiles == []
    constant = CFG.replace(g_opt=optax.adam(3e-3, b1=0.5, b2=0.999, eps=1e-8),
                           d_opt=optax.adam(2e-2, b1=0.5, b2=0.999, eps=1e-8))
    theirs = T.train(key, constant, 3, n_seeds=2, metrics=M)
    assert leaves_equal(ours.state.g_params, theirs.state.g_params)
    assert leaves_equal(ours.state.d_params, theirs.state.d_params)
    for name in M:
        np.testing.assert_array_equal(ours.metrics[name], theirs.metrics[name])
    base = T.train(key, CFG, 3, n_seeds=2, metrics=M)
    assert not np.array_equal(base.metrics["g_loss"], ours.metrics["g_loss"])  # the step sizes do act


def test_finite_flag(key):
    ok = T.train(key, CFG, 2, metrics=M)
    assert ok.metrics["finite"].dtype == np.bool_ and ok.metrics["finite"].all()
    state = T.init(jax.random.fold_in(key, 0), CFG)
    (w, b), *rest = state.d_params
    bad = state._replace(d_params=[(w.at[0, 0].set(jnp.nan), b)] + rest)
    res = T.train(key, CFG, 2, metrics=M, state=bad)
    assert not res.metrics["finite"].any()


# ----------------------------------------------------------------------------- references
def test_gp_critic_estimate_is_one_plus_w_over_two_lambda():
    """Two translated Gaussians (std 0.1, W = 2), lambda = 0.5: the two-sided penalty's optimum
    for a linear critic has slope 1 + W / (2 lambda) = 3, so estimate / W = 3; tolerance 5%."""
    s, w, lam = 0.1, 2.0, 0.5
    real = lambda k, n: s * jax.random.normal(k, (n, 1))
    fake = lambda k, n: s * jax.random.normal(k, (n, 1)) + w
    cfg = T.wgan_gp_config(real, gp_weight=lam, d_hidden=(32, 32), batch_size=256, d_opt=T.adam(1e-3, 0.0, 0.9))
    res = T.train_critic(jax.random.key(0), cfg, 400, n_seeds=2, fake=fake, metrics=("d_loss",))
    x, y = real(jax.random.key(5), 20000), fake(jax.random.key(6), 20000)
    for i in range(2):
        f = T.critic_fn(cfg, jax.tree_util.tree_map(lambda a: a[i], res.d_params))
        estimate = float(jnp.mean(f(x)) - jnp.mean(f(y)))
        np.testing.assert_allclose(estimate / w, 1 + w / (2 * lam), rtol=0.05)


def test_discriminator_approaches_the_optimal_discriminator():
    """p_r = two Gaussians at -1, 1 (std 0.4), p_g = N(0, 0.8^2), 600 D steps: sup |D - D*| <= 0.08
    on the grid points where both densities exceed 0.05 (D* = p_r / (p_r + p_g), gantoy.studies.optimal)."""
    from gantoy.studies import optimal
    from gantoy.measures.distributions import gaussian_mixture

    pr, pg = gaussian_mixture([[-1.0], [1.0]], 0.4), gaussian_mixture([[0.0]], 0.8)
    cfg = T.gan_config(pr, "minimax", d_hidden=(32, 32), batch_size=512, d_opt=T.adam(3e-3, 0.5))
    res = T.train_critic(jax.random.key(1), cfg, 600, fake=pg, metrics=("d_loss",))
    grid = jnp.linspace(-2.5, 2.5, 201)[:, None]
    both = np.asarray((jnp.exp(pr.log_prob_smoothed(grid, 0.0)) > 0.05) & (jnp.exp(pg.log_prob_smoothed(grid, 0.0)) > 0.05))
    assert both.sum() > 100  # about [-1.7, 1.7]
    d = jax.nn.sigmoid(T.critic_fn(cfg, res.d_params)(grid))
    gap = np.abs(np.asarray(d - optimal.optimal_discriminator(pr, pg, grid)))[both]
    assert gap.max() <= 0.08, gap.max()


def test_clipped_critic_estimate_grows_with_w(key):
    """WGAN's clipped critic (engine's critic update via fit_critics) against translates by W =
    0.25, 0.5, 1, 2: the estimate K W grows with W (Kantorovich-Rubinstein)."""
    from gantoy.studies import critic as C

    x = 0.3 * jax.random.normal(key, (256, 1))
    w = jnp.array([0.25, 0.5, 1.0, 2.0])
    fit = C.fit_critics(jax.random.key(5), jnp.stack([x] * 4), x[None] + w[:, None, None], 200,
                        hidden=(8, 8), optimizer=T.rmsprop(2e-4), batch_size=32, paired=True)
    assert np.all(np.diff(fit.estimate) > 0) and fit.estimate[0] > 0, fit.estimate


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
    gs = T.train(key, CFG, 2, n_seeds=3, metrics=M).state.g_params  # one generator per seed, barely trained
    both = T.freeze_generator(key, CFG, gs, 200, n_seeds=3).metrics
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


def test_optax_transformation_as_optimizer(key):
    """Any optax transformation serves as g_opt/d_opt: optax.adam with the same settings gives the
    numbers of the adam() description; a config holding one is hashable; anything else is refused."""
    tx = optax.adam(1e-3, b1=0.5, b2=0.999, eps=1e-8)
    cfg = CFG.replace(g_opt=tx, d_opt=tx)
    assert hash(cfg) == hash(CFG.replace(g_opt=tx, d_opt=tx)) and cfg == CFG.replace(g_opt=tx, d_opt=tx)
    ours = T.train(key, CFG.replace(g_opt=T.adam(1e-3, 0.5), d_opt=T.adam(1e-3, 0.5)), 3, metrics=M)
    theirs = T.train(key, cfg, 3, metrics=M)
    for name in M:
        np.testing.assert_array_equal(theirs.metrics[name], ours.metrics[name])
    with pytest.raises(ValueError, match="optax.GradientTransformation"):
        CFG.replace(d_opt="adam")


def test_threads_asking_for_the_same_program_at_once_get_one_jit_object(monkeypatch):
    """Two threads that miss the runner cache together share one jax.jit object (so one compile).
    A slow jax.jit (it sleeps, letting the other thread in) makes both miss without the lock."""
    import time

    from gantoy._threads import side_by_side

    made = []
    real_jit = jax.jit

    def slow_jit(f, *a, **k):
        time.sleep(0.2)
        made.append(f)
        return real_jit(f, *a, **k)

    T._segment_runner.cache_clear()
    monkeypatch.setattr(T.jax, "jit", slow_jit)
    key_config, _ = T.split_learning_rates(CFG)
    args = (key_config, ("d_loss",), 3, True, False, True, None)
    got = side_by_side(lambda _: T._segment_runner(*args), range(2), workers=2)
    T._segment_runner.cache_clear()
    assert got[0] is got[1] and len(made) == 1

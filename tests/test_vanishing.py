"""gantoy.studies.vanishing: k critic steps per G step at runtime, frozen-G runs, summaries."""

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from gantoy.studies import vanishing as V
from gantoy.gan.engine import adam, gan_config, init, seed_keys, train


def _real(k, n):
    return jax.random.normal(k, (n, 1)) * 0.3 + 8.0


# One small config, one metrics tuple and one chunk length shared by the tests,
# so that a single run_k program is compiled for the whole file.
CFG = gan_config(_real, "minimax", z_dim=2, g_hidden=(8,), d_hidden=(16,), batch_size=32, d_opt=adam(1e-2))
KEY = jax.random.key(0)
KEYS = seed_keys(KEY, 2)  # the two seeds' keys of n_seeds=2
M = V.FREEZE_METRICS


def _count(opt_state):
    """Adam's step count from an optax adam state (``(ScaleByAdamState, ...)``)."""
    return np.asarray(opt_state[0].count)


@pytest.mark.fusion_emitters
def test_k1_equals_engine_train_exactly_batched():
    a = V.run_k(KEY, CFG, 8, n_seeds=2, k=1, metrics=M, chunk=4)
    b = train(KEY, CFG, 8, n_seeds=2, metrics=M)
    for name in M:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name])
    np.testing.assert_array_equal(a.state.g_params[0][0], b.state.g_params[0][0])


def test_k_critic_updates_per_round_and_one_compile_for_all_k(xla_compiles):
    V.run_k(KEY, CFG, 4, n_seeds=2, k=1, metrics=M, chunk=4)  # compiles the one program
    with xla_compiles() as compiles:
        runs = {k: V.run_k(KEY, CFG, 4, n_seeds=2, k=k, metrics=M, chunk=4) for k in (3, 7)}
        frozen = V.run_k(KEY, CFG, 4, n_seeds=2, k=2, freeze=True, metrics=M, chunk=4)
    assert compiles == []  # k and freeze are run-time values: no new program
    for k, res in runs.items():
        assert _count(res.state.d_opt_state).tolist() == [4 * k, 4 * k]
        assert _count(res.state.g_opt_state).tolist() == [4, 4]
    assert _count(frozen.state.d_opt_state).tolist() == [8, 8]
    assert _count(frozen.state.g_opt_state).tolist() == [0, 0]
    start = jax.vmap(lambda kk: init(kk, CFG))(jax.vmap(jax.random.fold_in, in_axes=(0, None))(KEYS, 0))
    np.testing.assert_array_equal(frozen.state.g_params[0][0], start.g_params[0][0])


def test_deterministic():
    a = V.run_k(KEY, CFG, 4, n_seeds=2, k=3, metrics=M, chunk=4)
    b = V.run_k(KEY, CFG, 4, n_seeds=2, k=3, metrics=M, chunk=4)
    np.testing.assert_array_equal(a.metrics["g_grad_norm_minimax"], b.metrics["g_grad_norm_minimax"])


def test_grad_norm_ratio_is_exp_logit_for_one_sample():
    # For one sample, grad log(1 - sigma(l)) = -sigma(l) grad l and
    # grad -log sigma(l) = -(1 - sigma(l)) grad l: the norms differ by exp(l).
    s = init(jax.random.key(1), CFG)
    z = jnp.array([[0.3, -1.2]])
    out = V.generator_grad_norms(CFG, s.g_params, s.d_params, z)
    from gantoy.gan.engine import critic_fn, generate

    logit = float(critic_fn(CFG, s.d_params)(generate(CFG, s.g_params, z))[0])
    ratio = float(out["g_grad_norm_minimax"]) / float(out["g_grad_norm_nonsaturating"])
    assert ratio == pytest.approx(np.exp(logit), rel=1e-4)


def test_freeze_with_own_initial_generator():
    res = V.freeze_generator_every(KEY, CFG, None, 40, n_seeds=2, every=10, chunk=4)
    g0 = jax.vmap(lambda kk: init(kk, CFG))(jax.vmap(jax.random.fold_in, in_axes=(0, None))(KEYS, 0)).g_params
    np.testing.assert_array_equal(res.state.g_params[0][0], g0[0][0])
    assert res.metrics["d_acc"].shape == (2, 5)


def test_freeze_generator_records_vanishing_minimax_gradient():
    """Data at 8, G(z) near 0: D separates at once, the minimax gradient collapses, -log D's does not."""
    g = init(jax.random.key(2), CFG).g_params
    res = V.freeze_generator_every(KEY, CFG, g, 400, n_seeds=2, every=10, chunk=4)
    assert res.steps.tolist() == list(range(0, 401, 10))
    m = res.metrics
    assert all(m[name].shape == (2, 41) for name in V.FREEZE_METRICS)
    assert np.all(m["d_acc"][:, -1] == 1.0)
    # minimax / non-saturating gradient ~ exp(fake logit): from ~1 to below 1e-2.
    ratio = m["g_grad_norm_minimax"] / m["g_grad_norm_nonsaturating"]
    assert np.all(ratio[:, 0] > 0.3) and np.all(ratio[:, -1] < 1e-2)
    assert np.all(V.decades_fallen(m["g_grad_norm_minimax"], tail=5) > 0.5)
    assert np.all(m["g_grad_norm_nonsaturating"][:, -1] > m["g_grad_norm_nonsaturating"][:, 0])
    # The step-0 record is the untrained critic: a coin flip, not yet a separator.
    assert np.all(m["d_acc"][:, 0] < 0.9)
    # G stayed frozen.
    np.testing.assert_array_equal(res.state.g_params[0][0][0], g[0][0])


def test_sweep_shapes_and_shared_start():
    out = V.critic_steps_sweep(KEY, CFG, (1, 4), 4, n_seeds=2, chunk=4)
    assert sorted(out) == sorted(M + ("finite",))
    assert out["g_grad_norm_minimax"].shape == (2, 2, 4)
    # k = 1 of the sweep is run_k from the same fresh state.
    one = V.run_k(KEY, CFG, 4, n_seeds=2, k=1, metrics=M, chunk=4).metrics["g_grad_norm_minimax"]
    np.testing.assert_array_equal(out["g_grad_norm_minimax"][0], one)


def test_threads_split_the_seeds_into_groups():
    """threads=2: the seeds in two groups, each seed's numbers those of one program over all seeds
    (to rounding: the groups are programs of another size), for a freeze run and a sweep."""
    kw = dict(n_seeds=4, every=10, chunk=4)
    one = V.freeze_generator_every(KEY, CFG, None, 40, **kw)
    two = V.freeze_generator_every(KEY, CFG, None, 40, threads=2, **kw)
    for name in V.FREEZE_METRICS:
        np.testing.assert_allclose(two.metrics[name], one.metrics[name], rtol=1e-5, atol=1e-7)
    sweep = V.critic_steps_sweep(KEY, CFG, (1, 3), 4, n_seeds=4, chunk=4, threads=2)
    ref = V.critic_steps_sweep(KEY, CFG, (1, 3), 4, n_seeds=4, chunk=4)
    np.testing.assert_allclose(sweep["g_grad_norm_minimax"], ref["g_grad_norm_minimax"], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="divide"):
        V.run_k(KEY, CFG, 2, k=1, n_seeds=3, threads=2)


def test_summaries():
    x = np.array([[1.0, 0.1, 1e-3, 2e-3, 1e-3], [1.0, 1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_allclose(V.decades_fallen(x, tail=3), [3.0, 0.0])
    assert V.decades_fallen(np.array([1.0, 0.0]), tail=1) == np.inf
    acc = np.array([[0.5, 0.995, 1.0], [0.1, 0.2, 0.3]])
    assert V.first_step_reaching(acc, 0.99).tolist() == [1, -1]
    assert V.first_step_reaching(acc, 0.99, [0, 20, 40]).tolist() == [20, -1]


def test_errors():
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        V.run_k(KEY, CFG, 4, n_seeds=2, k=0)
    with pytest.raises(ValueError, match="config.loss"):
        V.run_k(KEY, CFG.replace(loss="wgan"), 4, k=1, n_seeds=2)
    with pytest.raises(ValueError, match="warmup_critic"):
        V.run_k(KEY, CFG.replace(warmup_critic=100), 4, k=1, n_seeds=2)
    with pytest.raises(ValueError, match="multiple of every"):
        V.freeze_generator_every(KEY, CFG, init(KEYS[0], CFG).g_params, 45, n_seeds=2, every=10)
    with pytest.raises(ValueError, match="tail"):
        V.decades_fallen(np.ones(3), tail=4)
    with pytest.raises(ValueError, match="non-negative"):
        V.decades_fallen(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="steps must have shape"):
        V.first_step_reaching(np.ones(3), 0.5, [0, 1])
    with pytest.raises(ValueError, match="key"):
        V.run_k(jnp.zeros(3), CFG, 4, k=1)
    for call in (lambda: V.run_k(KEYS, CFG, 4, k=1), lambda: V.critic_steps_sweep(KEYS, CFG, (1,), 4),
                 lambda: V.freeze_generator_every(KEYS, CFG, None, 10, every=10)):
        with pytest.raises(ValueError, match="n_seeds"):  # a batch of keys: ask for seeds with n_seeds
            call()
    with pytest.raises(ValueError, match="n_seeds=2"):  # batched generators need as many seeds
        V.freeze_generator_every(KEY, CFG, train(KEY, CFG, 0, n_seeds=2, metrics=()).state.g_params, 10, every=10)


# ----------------------------------------------------------------- Arjovsky & Bottou Thm. 2.4, numerically
from scipy import stats as _stats  # noqa: E402

from gantoy.measures.distributions import gaussian_mixture  # noqa: E402

PR1, PG1 = gaussian_mixture([[4.0]], 0.3), gaussian_mixture([[0.0]], 0.3)
CFG1 = gan_config(PR1, "minimax", z_dim=1, g_hidden=(), d_hidden=(16,), batch_size=16, d_opt=adam(1e-3, 0.5))
G1 = [(jnp.array([[0.3]]), jnp.array([0.0]))]  # g(z) = 0.3 z has the law PG1
Z1 = jax.random.normal(jax.random.key(7), (256, 1))


def test_jacobian_bound_closed_form_and_finite_differences():
    # linear generator g(z) = w z + b: J = (z, 1), so M^2 = 1 + mean z^2
    np.testing.assert_allclose(float(V.jacobian_bound(CFG1, G1, Z1)) ** 2, 1 + float(jnp.mean(Z1 ** 2)), rtol=1e-5)
    # a small MLP generator against central finite differences of every parameter
    cfg = gan_config(PR1, "minimax", z_dim=1, g_hidden=(3,))
    g = init(jax.random.key(2), cfg).g_params
    z = jnp.array([[0.4], [-1.1], [2.0]])
    flat, unravel = jax.flatten_util.ravel_pytree(g)
    f = lambda p: np.asarray(V.generate(cfg, unravel(jnp.asarray(p, jnp.float32)), z))[:, 0].astype(float)
    h = 1e-2
    fd = np.stack([(f(flat + h * e) - f(flat - h * e)) / (2 * h) for e in np.eye(flat.size)], axis=1)
    np.testing.assert_allclose(float(V.jacobian_bound(cfg, g, z)), np.sqrt(np.mean(np.sum(fd ** 2, 1))), rtol=2e-3)


def test_theorem24_trace_bound_gradient_and_distance():
    grid = jnp.linspace(-2.0, 6.0, 81)[:, None]
    tr = V.theorem24_trace(jax.random.key(0), CFG1, G1, PR1, PG1, [0, 40, 400], Z1, grid)
    assert tr.steps.tolist() == [0, 40, 400]
    assert np.all(tr.grad_norm <= tr.bound)  # the theorem
    assert tr.d_star_max[0] < 1e-12
    d = tr.state.d_params
    x = np.asarray(V.generate(CFG1, G1, Z1))[:, 0].astype(float)
    logit = lambda xs: np.asarray(V.critic_fn(CFG1, d)(jnp.asarray(xs[:, None], jnp.float32)), float)
    sig = lambda t: 1 / (1 + np.exp(-t))
    # D* = p_r / (p_r + p_g) from scipy densities, and D's own value and slope by finite differences
    pr, pg = _stats.norm(4, 0.3).pdf(x), _stats.norm(0, 0.3).pdf(x)
    d_star = pr / (pr + pg)
    h = 1e-3
    slope = (sig(logit(x + h)) - sig(logit(x - h))) / (2 * h)
    np.testing.assert_allclose(tr.eps_value[-1], np.max(np.abs(sig(logit(x)) - d_star)), rtol=1e-3)
    np.testing.assert_allclose(tr.eps_grad[-1], np.max(np.abs(slope)), rtol=2e-2)
    # the gradient of mean log(1 - D(w z + b)) over (w, b), by central differences
    zz = np.asarray(Z1)[:, 0].astype(float)
    loss = lambda w, b: np.mean(np.log1p(-sig(logit(w * zz + b))))
    hw = 1e-3
    gw = (loss(0.3 + hw, 0.0) - loss(0.3 - hw, 0.0)) / (2 * hw)
    gb = (loss(0.3, hw) - loss(0.3, -hw)) / (2 * hw)
    np.testing.assert_allclose(tr.grad_norm[-1], np.hypot(gw, gb), rtol=5e-2)


def test_seed_bootstrap_matches_binomial_quantiles():
    v = np.array([1.0] * 7 + [0.0])
    lo, hi = V.seed_bootstrap(jax.random.key(3), v, lambda s: np.mean(s >= 0.5), n_boot=20000, coverage=0.9)
    b = _stats.binom(8, 7 / 8)
    assert (lo, hi) == (b.ppf(0.05) / 8, b.ppf(0.95) / 8)


def test_theorem24_errors():
    grid = jnp.zeros((3, 1))
    with pytest.raises(ValueError, match="minimax"):
        V.theorem24_trace(KEY, CFG1.replace(loss="nonsaturating"), G1, PR1, PG1, [0, 1], Z1, grid)
    with pytest.raises(ValueError, match="increase strictly from 0"):
        V.theorem24_trace(KEY, CFG1, G1, PR1, PG1, [1, 2], Z1, grid)
    with pytest.raises(ValueError, match="z must have shape"):
        V.jacobian_bound(CFG1, G1, jnp.zeros((3, 2)))
    with pytest.raises(ValueError, match="s >= 2"):
        V.seed_bootstrap(KEY, np.ones(1))
    with pytest.raises(ValueError, match="coverage"):
        V.seed_bootstrap(KEY, np.ones(3), coverage=1.0)

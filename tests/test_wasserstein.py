"""gantoy's Wasserstein solvers against scipy, POT and finite differences."""

import importlib

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax

from gantoy import SinkhornResult, sinkhorn, sliced_wasserstein, wasserstein, wasserstein_1d
from gantoy.wasserstein import MAX_ASSIGNMENT_SIZE, MAX_LP_SIZE

# Compiled once per shape, dtype and static argument and reused across tests (the value
# checks, which need concrete inputs, are tested separately, eagerly).
W1D = jax.jit(wasserstein_1d, static_argnames="p")
W = jax.jit(wasserstein, static_argnames="p")
SINKHORN = jax.jit(sinkhorn, static_argnames=("p", "max_iter"))
SLICED = jax.jit(sliced_wasserstein, static_argnames=("n_projections", "p"))


def normalised(w):
    return None if w is None else np.asarray(w) / np.sum(w)


def pot_cost(x, y, p):
    return ot.dist(x, y, metric="euclidean") ** p


def central_difference(f, x, direction, h=1e-6):
    return (float(f(x + h * direction)) - float(f(x - h * direction))) / (2 * h)


# ============================================================================= 1-d


@pytest.mark.parametrize(
    "n, m, weighted, integer",
    [(40, 40, False, False), (40, 25, False, False), (40, 25, True, False), (1, 5, True, False),
     (40, 25, True, True), (40, 40, False, True)],
)
def test_1d_matches_scipy(x64, n, m, weighted, integer):
    rng = np.random.default_rng(n + m)
    if integer:  # ties in the values
        u, v = rng.integers(0, 5, n).astype(float), rng.integers(0, 5, m).astype(float)
    else:
        u, v = rng.normal(size=n), rng.normal(1.0, 2.0, size=m)
    uw = vw = None
    if weighted:
        uw, vw = rng.random(n), rng.random(m)
        uw[rng.random(n) < 0.2] = 0.0
        uw[0] += 0.1
    want = scipy.stats.wasserstein_distance(u, v, uw, vw)
    np.testing.assert_allclose(float(W1D(u, v, uw, vw)), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(
    u=hnp.arrays(np.float64, 6, elements=st.floats(-10, 10)),
    v=hnp.arrays(np.float64, st.sampled_from([1, 6]), elements=st.floats(-10, 10)),
    seed=st.integers(0, 2**16),
    weighted=st.booleans(),
)
def test_1d_matches_scipy_hypothesis(u, v, seed, weighted):
    rng = np.random.default_rng(seed)
    uw = rng.random(u.size) + 0.01 if weighted else None
    vw = rng.random(v.size) + 0.01 if weighted else None
    with jax.enable_x64(True):
        got = float(W1D(u, v, uw, vw))
    np.testing.assert_allclose(got, scipy.stats.wasserstein_distance(u, v, uw, vw), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p, weighted, m", [(2, False, 40), (2, True, 25), (1.5, False, 25), (3, True, 40)])
def test_1d_matches_pot_for_p_above_one(x64, p, weighted, m):
    rng = np.random.default_rng(7)
    u, v = rng.normal(size=40), rng.exponential(size=m)
    uw, vw = (rng.random(40), rng.random(m)) if weighted else (None, None)
    want = ot.wasserstein_1d(u, v, normalised(uw), normalised(vw), p=p) ** (1.0 / p)
    np.testing.assert_allclose(float(W1D(u, v, uw, vw, p=p)), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_1d_gradients_match_central_differences(x64, p):
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=40), rng.normal(0.3, size=25)
    uw, vw = rng.random(40) + 0.1, rng.random(25) + 0.1
    args = (u, v, uw, vw)
    grads = jax.jit(jax.grad(lambda *a: wasserstein_1d(*a, p=p), argnums=(0, 1, 2, 3)))(*args)
    for i, g in enumerate(grads):
        d = rng.normal(size=args[i].shape)

        def f(x, i=i):
            return W1D(*[x if j == i else args[j] for j in range(4)], p=p)

        np.testing.assert_allclose(float(g @ d), central_difference(f, args[i], d), rtol=1e-6, atol=1e-9)


@settings(max_examples=20)
@given(u=hnp.arrays(np.float64, 5, elements=st.floats(-5, 5)), shift=st.floats(-5, 5),
       p=st.sampled_from([1, 2, 3]))
def test_1d_translation_and_identity(u, shift, p):
    with jax.enable_x64(True):
        np.testing.assert_allclose(float(W1D(u + shift, u, p=p)), abs(shift), rtol=1e-9, atol=1e-12)
        assert float(W1D(u, u, p=p)) == 0.0
        v = u[::-1] * 2.0 + 1.0
        np.testing.assert_allclose(float(W1D(u, v, p=p)), float(W1D(v, u, p=p)), rtol=1e-12, atol=1e-15)


def _intermediate_sizes(jaxpr):
    """Sizes of every value a jaxpr (and its sub-jaxprs) creates."""
    for eqn in jaxpr.eqns:
        for var in eqn.outvars:
            yield int(np.prod(var.aval.shape))
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else [param]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    yield from _intermediate_sizes(inner)


@pytest.mark.parametrize("weighted", [False, True])
def test_1d_is_n_log_n_no_quadratic_intermediates(weighted):
    """The solver sorts and merges: nothing it builds grows like n * m."""
    n, m = 1000, 700
    u, v = jnp.zeros(n), jnp.zeros(m)
    uw, vw = (jnp.ones(n), jnp.ones(m)) if weighted else (None, None)
    jaxpr = jax.make_jaxpr(lambda *a: wasserstein_1d(*a, p=2))(u, v, uw, vw).jaxpr
    assert max(_intermediate_sizes(jaxpr)) <= 2 * (n + m)


def test_1d_device_sort_path_agrees(x64, monkeypatch):
    """Off CPU the permutation comes from jnp.argsort instead of numpy: same values."""
    module = importlib.import_module("gantoy.wasserstein")
    rng = np.random.default_rng(17)
    u, v, vw = rng.normal(size=40), rng.normal(size=25), rng.random(25)
    host = [float(W1D(u, v, None, vw, p=p)) for p in (1, 2)]
    monkeypatch.setattr(module, "_argsort", lambda x: jnp.argsort(lax.stop_gradient(x)).astype(jnp.int32))
    w1d = jax.jit(wasserstein_1d, static_argnames="p")  # a fresh trace sees the patch
    device = [float(w1d(u, v, None, vw, p=p)) for p in (1, 2)]
    np.testing.assert_allclose(device, host, rtol=1e-14)


@pytest.mark.slow
def test_1d_large_n_runs(key):
    u = jax.random.normal(key, (200_000,))
    v = jax.random.normal(jax.random.fold_in(key, 1), (150_000,)) + 1.0
    value = float(W1D(u, v))
    assert abs(value - 1.0) < 0.05


@pytest.mark.parametrize("p", [1, 1.5])
def test_1d_float32_gradients_finite_with_ties(p):
    u = jnp.array([0.0, 1.0, 1.0, 2.0], jnp.float32)
    grad = jax.jit(jax.grad(lambda a, b: wasserstein_1d(a, b, p=p), argnums=(0, 1)))
    for v in (u, jnp.array([1.0, 1.0, 3.0, 3.0], jnp.float32)):
        grads = grad(u, v)
        for g in grads:
            assert g.dtype == jnp.float32 and jnp.all(jnp.isfinite(g)), (p, g)


# ============================================================================= exact


@pytest.mark.parametrize(
    "n, m, d, weighted, p",
    [(12, 12, 2, False, 1), (12, 12, 3, False, 2), (12, 9, 2, False, 1), (12, 9, 2, True, 2),
     (12, 9, 1, True, 1.5), (12, 12, 2, True, 1)],
)
def test_exact_matches_pot_emd2(x64, n, m, d, weighted, p):
    rng = np.random.default_rng(n * m + d)
    x, y = rng.normal(size=(n, d)), rng.normal(0.5, size=(m, d))
    a, b = (rng.random(n), rng.random(m)) if weighted else (None, None)
    an = normalised(a) if weighted else np.full(n, 1.0 / n)
    bn = normalised(b) if weighted else np.full(m, 1.0 / m)
    want = ot.emd2(an, bn, pot_cost(x, y, p))
    got = float(W(x, y, a, b, p=p))
    np.testing.assert_allclose(got**p, want, rtol=1e-9, atol=1e-12)


def test_exact_in_one_dimension_equals_1d_solver(x64):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(12, 1)), rng.normal(size=(12, 1))
    for p in (1, 2):
        np.testing.assert_allclose(float(W(x, y, p=p)), float(W1D(x[:, 0], y[:, 0], p=p)), rtol=1e-12)
    a = rng.random(12)
    np.testing.assert_allclose(float(W(x, y[:9], a=a)), float(W1D(x[:, 0], y[:9, 0], a)), rtol=1e-12)


@pytest.mark.parametrize("weighted, p", [(False, 1), (False, 2), (True, 2), (True, 1)])
def test_exact_gradient_matches_central_differences(x64, weighted, p):
    """Envelope theorem: the gradient is the optimal plan's (and the duals'), checked by FD."""
    rng = np.random.default_rng(5)
    n, m = (7, 5) if weighted else (7, 7)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    a, b = (rng.random(n) + 0.1, rng.random(m) + 0.1) if weighted else (None, None)
    args = [x, y, a, b]
    argnums = (0, 1, 2, 3) if weighted else (0, 1)
    grads = jax.jit(jax.grad(lambda *z: wasserstein(*z, p=p), argnums=argnums))(*args)
    for i, g in zip(argnums, grads):
        d = rng.normal(size=args[i].shape)

        def f(z, i=i):
            return W(*[z if j == i else args[j] for j in range(4)], p=p)

        np.testing.assert_allclose(float(jnp.sum(g * d)), central_difference(f, args[i], d),
                                   rtol=1e-5, atol=1e-8, err_msg=f"argument {i}")


def _parallel_lines(theta, z_theta, z):
    """Samples (theta, Z) of P_theta and (0, Z) of P_0, WGAN Example 1."""
    return (jnp.concatenate([jnp.full_like(z_theta, theta), z_theta], axis=1),
            jnp.concatenate([jnp.zeros_like(z), z], axis=1))


_LINES_W = jax.jit(lambda t, z_t, z: wasserstein(*_parallel_lines(t, z_t, z)))
_LINES_DW = jax.jit(jax.grad(_LINES_W))


def test_example_1_parallel_lines(x64, key):
    """WGAN Example 1: W(P_0, P_theta) = |theta| and dW/dtheta = sign(theta), for samples
    sharing Z (the horizontal coupling is optimal) and, approximately, for independent Z."""
    z = jax.random.uniform(key, (64, 1))
    z_indep = jax.random.uniform(jax.random.fold_in(key, 1), (64, 1))
    for theta in (-2.0, -0.3, 0.7, 5.0):
        np.testing.assert_allclose(float(_LINES_W(theta, z, z)), abs(theta), rtol=1e-12)
        np.testing.assert_allclose(float(_LINES_DW(theta, z, z)), np.sign(theta), rtol=1e-12)
        assert abs(float(_LINES_W(theta, z_indep, z)) - abs(theta)) < 0.1
        assert np.sign(float(_LINES_DW(theta, z_indep, z))) == np.sign(theta)
    assert float(_LINES_W(0.0, z, z)) == 0.0 and np.isfinite(float(_LINES_DW(0.0, z, z)))


@pytest.mark.parametrize("p", [1, 2])
def test_exact_identical_clouds_float32(p):
    x = jnp.asarray(np.random.default_rng(6).normal(size=(9, 2)), jnp.float32)
    assert float(W(x, x, p=p)) == 0.0
    g = jax.jit(jax.grad(lambda z: wasserstein(z, x, p=p)))(x)
    assert g.dtype == jnp.float32 and jnp.all(jnp.isfinite(g))


def test_exact_jit_and_vmap(x64):
    rng = np.random.default_rng(8)
    xs, y = rng.normal(size=(3, 6, 2)), rng.normal(size=(6, 2))
    loop = [float(W(x, y)) for x in xs]
    np.testing.assert_allclose(jax.jit(jax.vmap(wasserstein, in_axes=(0, None)))(xs, y), loop, rtol=1e-12)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), p=st.sampled_from([1, 2]))
def test_exact_metric_properties(seed, p):
    rng = np.random.default_rng(seed)
    x, y, z = (rng.normal(size=(5, 2)) for _ in range(3))
    with jax.enable_x64(True):
        wxy, wyx = float(W(x, y, p=p)), float(W(y, x, p=p))
        assert wxy >= 0.0
        np.testing.assert_allclose(wxy, wyx, rtol=1e-12)
        assert wxy <= float(W(x, z, p=p)) + float(W(z, y, p=p)) + 1e-12
        assert float(W(x, x, p=p)) == 0.0


def test_exact_size_limits():
    n = MAX_ASSIGNMENT_SIZE + 1
    with pytest.raises(ValueError, match="MAX_ASSIGNMENT_SIZE"):
        wasserstein(jnp.zeros((n, 2)), jnp.ones((n, 2)))
    n = int(np.sqrt(MAX_LP_SIZE)) + 1
    with pytest.raises(ValueError, match="MAX_LP_SIZE"):
        wasserstein(jnp.zeros((n, 2)), jnp.ones((n, 2)), a=jnp.ones(n))
    with pytest.raises(ValueError, match="MAX_LP_SIZE"):
        wasserstein(jnp.zeros((n, 2)), jnp.ones((n + 1, 2)))


# ============================================================================= Sinkhorn


@pytest.mark.parametrize("epsilon", [1.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("p", [2, 1])
def test_sinkhorn_matches_pot(x64, epsilon, weighted, p):
    rng = np.random.default_rng(9)
    x, y = rng.random((30, 2)), rng.random((24, 2))
    a, b = (rng.random(30) + 0.05, rng.random(24) + 0.05) if weighted else (None, None)
    an = normalised(a) if weighted else np.full(30, 1 / 30)
    bn = normalised(b) if weighted else np.full(24, 1 / 24)
    cost = ot.dist(x, y, metric="sqeuclidean") if p == 2 else pot_cost(x, y, p)
    want = ot.sinkhorn2(an, bn, cost, epsilon, method="sinkhorn_log", numItermax=10_000, stopThr=1e-10)
    plan = ot.sinkhorn(an, bn, cost, epsilon, method="sinkhorn_log", numItermax=10_000, stopThr=1e-10)
    res = SINKHORN(x, y, epsilon, a, b, p=p, max_iter=10_000, tol=1e-10)
    assert isinstance(res, SinkhornResult)
    assert bool(res.converged) and 0 < int(res.n_iter) < 10_000
    np.testing.assert_allclose(float(res.cost), want, rtol=1e-6)
    np.testing.assert_allclose(res.plan, plan, atol=1e-9)
    np.testing.assert_allclose(res.plan.sum(axis=1), an, rtol=1e-9)  # rows exact
    # at convergence the objective is <P, C> + eps sum P log P
    entropic = float(res.cost) + epsilon * float(jnp.sum(res.plan * jnp.log(res.plan)))
    np.testing.assert_allclose(float(res.objective), entropic, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("use_x64", [False, True])
@pytest.mark.parametrize("shift", [0.0, 3.0])
def test_sinkhorn_small_epsilon_never_nan(use_x64, shift):
    """epsilon = 1e-3 on unit-scale data (and on clouds 3 apart, where every kernel entry
    underflows at the start): no NaN or inf anywhere, rows exact, cost near exact W_2^2."""
    rng = np.random.default_rng(10)
    dtype = jnp.float64 if use_x64 else jnp.float32
    with jax.enable_x64(use_x64):
        x = jnp.asarray(rng.random((30, 2)), dtype)
        y = jnp.asarray(rng.random((24, 2)) + shift, dtype)
        res = SINKHORN(x, y, 1e-3, max_iter=10_000, tol=1e-6)
        for name, field in res._asdict().items():
            assert jnp.all(jnp.isfinite(field)), name
        np.testing.assert_allclose(res.plan.sum(axis=1), jnp.full(30, 1 / 30), rtol=1e-5)
        exact = float(W(x, y, p=2)) ** 2
        assert abs(float(res.cost) - exact) <= 0.02 * exact + 1e-4, (float(res.cost), exact)


def test_sinkhorn_zero_weights_match_the_restricted_problem(x64):
    rng = np.random.default_rng(11)
    x, y = rng.random((12, 2)), rng.random((10, 2))
    a, b = rng.random(12), rng.random(10)
    a[[2, 5]] = 0.0
    b[7] = 0.0
    res = SINKHORN(x, y, 0.1, a, b, tol=1e-10, max_iter=5000)
    keep_a, keep_b = a > 0, b > 0
    sub = SINKHORN(x[keep_a], y[keep_b], 0.1, a[keep_a], b[keep_b], tol=1e-10, max_iter=5000)
    np.testing.assert_allclose(float(res.cost), float(sub.cost), rtol=1e-9)
    assert jnp.all(res.plan[~keep_a] == 0.0) and jnp.all(res.plan[:, ~keep_b] == 0.0)
    assert jnp.isfinite(res.cost) and jnp.isfinite(res.objective)


def test_sinkhorn_objective_gradient_matches_central_differences(x64):
    """Envelope theorem: d objective / dx = sum_j P_ij grad C_ij, d objective / da = f."""
    rng = np.random.default_rng(12)
    x, y, a = rng.random((8, 2)), rng.random((6, 2)), rng.random(8) + 0.1

    @jax.jit
    def objective(z, w):
        return sinkhorn(z, y, 0.2, a=w, tol=1e-13, max_iter=10_000).objective

    gx, ga = jax.jit(jax.grad(objective, argnums=(0, 1)))(x, a)
    dx, da = rng.normal(size=x.shape), rng.normal(size=a.shape)
    np.testing.assert_allclose(float(jnp.sum(gx * dx)),
                               central_difference(lambda z: objective(z, a), x, dx, h=1e-5), rtol=1e-6)
    np.testing.assert_allclose(float(ga @ da),
                               central_difference(lambda w: objective(x, w), a, da, h=1e-5), rtol=1e-6)


def test_sinkhorn_flags_jit_and_vmap(x64, key):
    x = jax.random.uniform(key, (3, 30, 2))
    y = jax.random.uniform(jax.random.fold_in(key, 1), (24, 2))
    one = SINKHORN(x[0], y, 0.1, max_iter=1)
    assert not bool(one.converged) and int(one.n_iter) == 1
    assert one.plan.shape == (30, 24) and one.f.shape == (30,) and one.g.shape == (24,)
    batched = jax.vmap(lambda z: SINKHORN(z, y, 0.1, max_iter=10_000, tol=1e-6))(x)
    for i in range(3):
        single = SINKHORN(x[i], y, 0.1, max_iter=10_000, tol=1e-6)
        assert bool(single.converged)
        np.testing.assert_allclose(batched.cost[i], single.cost, rtol=1e-5)


def test_sinkhorn_cost_tends_to_exact_as_epsilon_shrinks(x64):
    rng = np.random.default_rng(13)
    x, y = rng.random((30, 2)), rng.random((24, 2))
    exact = float(W(x, y, p=2)) ** 2
    gaps = [float(SINKHORN(x, y, eps, tol=1e-9, max_iter=10_000).cost) - exact for eps in (0.1, 0.01, 0.003)]
    assert all(gap >= -1e-8 for gap in gaps), gaps  # a feasible plan cannot beat the optimum
    assert gaps[0] > gaps[1] > gaps[2], gaps


# ============================================================================= sliced


@pytest.mark.parametrize("n, m, weighted, p", [(30, 30, False, 2), (30, 20, True, 1), (30, 30, True, 2)])
def test_sliced_matches_pot_with_the_same_directions(x64, key, n, m, weighted, p):
    rng = np.random.default_rng(14)
    x, y = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
    a, b = (rng.random(n), rng.random(m)) if weighted else (None, None)
    k = 16
    directions = np.array(jax.random.normal(key, (k, 3), jnp.float64))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    want = ot.sliced_wasserstein_distance(x, y, normalised(a), normalised(b), n_projections=k, p=p,
                                          projections=directions.T)
    got = float(SLICED(key, x, y, k, p=p, a=a, b=b))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sliced_properties(x64, key):
    rng = np.random.default_rng(15)
    x, y = rng.normal(size=(30, 3)), rng.normal(1.0, size=(30, 3))
    sw = float(SLICED(key, x, y, 16))
    assert 0.0 < sw <= float(W(x, y, p=2)) + 1e-12  # SW_2 <= W_2
    assert float(SLICED(key, x, y, 16)) == sw  # deterministic in the key
    assert float(SLICED(jax.random.fold_in(key, 1), x, y, 16)) != sw
    # in one dimension every direction is +-1: SW equals W
    np.testing.assert_allclose(float(sliced_wasserstein(key, x[:, :1], y[:, :1], 4, p=1)),
                               float(W1D(x[:, 0], y[:, 0])), rtol=1e-12)


def test_sliced_gradient_matches_central_differences(x64, key):
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))

    def f(z):
        return SLICED(key, z, y, 16)

    g = jax.jit(jax.grad(f))(x)
    d = rng.normal(size=x.shape)
    np.testing.assert_allclose(float(jnp.sum(g * d)), central_difference(f, x, d), rtol=1e-6)


def test_sliced_float32_finite_gradient_for_identical_clouds(key):
    x = jax.random.normal(key, (30, 3))
    g = jax.jit(jax.grad(lambda z: SLICED(key, z, x, 16)))(x)
    assert jnp.all(jnp.isfinite(g))


# ============================================================================= bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: wasserstein_1d(np.ones((2, 2)), np.ones(3)), "`u_values` must be a non-empty 1-d"),
        (lambda: wasserstein_1d(np.ones(3), np.array([])), "`v_values` must be a non-empty 1-d"),
        (lambda: wasserstein_1d(np.ones(3), [1.0, np.nan]), "`v_values` has non-finite"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), u_weights=[1.0, -1.0, 1.0]), "`u_weights` has a negative"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), v_weights=[1.0]), "`v_weights` must have shape \\(2,\\)"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), v_weights=[0.0, 0.0]), "`v_weights` has an all-zero"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), p=0.5), "`p` must be a real number >= 1"),
        (lambda: wasserstein(np.ones((3, 2)), np.ones((3, 3))), "same dimension"),
        (lambda: wasserstein(np.ones(3), np.ones((3, 1))), "`x` must be a non-empty point cloud"),
        (lambda: wasserstein(np.ones((3, 2)), np.full((2, 2), np.inf)), "`y` has non-finite"),
        (lambda: wasserstein(np.ones((3, 2)), np.ones((2, 2)), a=[1.0, np.nan, 1.0]), "`a` has a non-finite"),
        (lambda: sinkhorn(np.ones((3, 2)), np.ones((2, 2)), 0.0), "`epsilon` must be > 0"),
        (lambda: sinkhorn(np.ones((3, 2)), np.ones((2, 2)), 0.1, max_iter=0), "`max_iter`"),
        (lambda: sinkhorn(np.ones((3, 2)), np.ones((2, 2)), 0.1, b=[1.0, -2.0]), "`b` has a negative"),
        (lambda: sliced_wasserstein(jax.random.key(0), np.ones((3, 2)), np.ones((2, 2)), 0), "`n_projections`"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()

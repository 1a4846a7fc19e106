"""gantoy's optimal transport solvers against scipy (HiGHS), POT and finite differences."""

import importlib

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import ot
import pytest
import scipy.optimize
import scipy.sparse
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax

from gantoy import sinkhorn, sliced_wasserstein, wasserstein, wasserstein_1d
from gantoy.distances.transport import SinkhornResult
from gantoy.distances.transport import (
    MAX_ASSIGNMENT_SIZE,
    MAX_EMD_SIZE,
    TransportPlan,
    wasserstein_1d_plan,
    wasserstein_assignment,
    wasserstein_plan,
)

# Compiled once per shape, dtype and static argument and reused across tests (the value
# checks, which need concrete inputs, are tested separately, eagerly).
W1D = jax.jit(wasserstein_1d, static_argnames="p")
W = jax.jit(wasserstein, static_argnames="p")
SINKHORN = jax.jit(sinkhorn, static_argnames=("p", "max_iter"))
SLICED = jax.jit(sliced_wasserstein, static_argnames=("n_projections", "p"))
PLAN_1D = jax.jit(wasserstein_1d_plan, static_argnames="p")


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
    argnums = (0, 1, 2, 3) if weighted else (0, 1)  # the derivative rule is O(n + m) too
    jaxpr = jax.make_jaxpr(jax.grad(lambda *a: wasserstein_1d(*a, p=2), argnums=argnums))(u, v, uw, vw).jaxpr
    assert max(_intermediate_sizes(jaxpr)) <= 2 * (n + m)


def test_1d_device_sort_path_agrees(x64, monkeypatch):
    """Off CPU the permutation comes from jnp.argsort instead of numpy: same values."""
    module = importlib.import_module("gantoy.distances.transport")
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
    n = int(np.sqrt(MAX_EMD_SIZE)) + 1
    with pytest.raises(ValueError, match="MAX_EMD_SIZE"):
        wasserstein(jnp.zeros((n, 2)), jnp.ones((n, 2)), a=jnp.ones(n))
    with pytest.raises(ValueError, match="MAX_EMD_SIZE"):
        wasserstein(jnp.zeros((n, 2)), jnp.ones((n + 1, 2)))
    with pytest.raises(ValueError, match="wasserstein_plan: .*MAX_EMD_SIZE"):
        wasserstein_plan(jnp.zeros((n, 2)), jnp.ones((n, 2)), b=jnp.ones(n))
    n = MAX_ASSIGNMENT_SIZE + 1
    with pytest.raises(ValueError, match="wasserstein_plan: .*MAX_ASSIGNMENT_SIZE"):
        wasserstein_plan(jnp.zeros((n, 2)), jnp.ones((n, 2)))


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
    res = SINKHORN(x, y, a, b, epsilon=epsilon, p=p, max_iter=10_000, tol=1e-10)
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
        res = SINKHORN(x, y, epsilon=1e-3, p=2, max_iter=10_000, tol=1e-6)
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
    res = SINKHORN(x, y, a, b, epsilon=0.1, p=2, tol=1e-10, max_iter=5000)
    keep_a, keep_b = a > 0, b > 0
    sub = SINKHORN(x[keep_a], y[keep_b], a[keep_a], b[keep_b], epsilon=0.1, p=2, tol=1e-10, max_iter=5000)
    np.testing.assert_allclose(float(res.cost), float(sub.cost), rtol=1e-9)
    assert jnp.all(res.plan[~keep_a] == 0.0) and jnp.all(res.plan[:, ~keep_b] == 0.0)
    assert jnp.isfinite(res.cost) and jnp.isfinite(res.objective)


def test_sinkhorn_objective_gradient_matches_central_differences(x64):
    """Envelope theorem: d objective / dx = sum_j P_ij grad C_ij, d objective / da = f."""
    rng = np.random.default_rng(12)
    x, y, a = rng.random((8, 2)), rng.random((6, 2)), rng.random(8) + 0.1

    @jax.jit
    def objective(z, w):
        return sinkhorn(z, y, w, epsilon=0.2, p=2, tol=1e-13, max_iter=10_000).objective

    gx, ga = jax.jit(jax.grad(objective, argnums=(0, 1)))(x, a)
    dx, da = rng.normal(size=x.shape), rng.normal(size=a.shape)
    np.testing.assert_allclose(float(jnp.sum(gx * dx)),
                               central_difference(lambda z: objective(z, a), x, dx, h=1e-5), rtol=1e-6)
    np.testing.assert_allclose(float(ga @ da),
                               central_difference(lambda w: objective(x, w), a, da, h=1e-5), rtol=1e-6)


def test_sinkhorn_flags_jit_and_vmap(x64, key):
    x = jax.random.uniform(key, (3, 30, 2))
    y = jax.random.uniform(jax.random.fold_in(key, 1), (24, 2))
    one = SINKHORN(x[0], y, epsilon=0.1, p=2, max_iter=1)
    assert not bool(one.converged) and int(one.n_iter) == 1
    assert one.plan.shape == (30, 24) and one.f.shape == (30,) and one.g.shape == (24,)
    batched = jax.vmap(lambda z: SINKHORN(z, y, epsilon=0.1, p=2, max_iter=10_000, tol=1e-6))(x)
    for i in range(3):
        single = SINKHORN(x[i], y, epsilon=0.1, p=2, max_iter=10_000, tol=1e-6)
        assert bool(single.converged)
        np.testing.assert_allclose(batched.cost[i], single.cost, rtol=1e-5)


def test_sinkhorn_cost_tends_to_exact_as_epsilon_shrinks(x64):
    rng = np.random.default_rng(13)
    x, y = rng.random((30, 2)), rng.random((24, 2))
    exact = float(W(x, y, p=2)) ** 2
    gaps = [float(SINKHORN(x, y, epsilon=eps, p=2, tol=1e-9, max_iter=10_000).cost) - exact
            for eps in (0.1, 0.01, 0.003)]
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
    got = float(SLICED(x, y, a, b, key=key, n_projections=k, p=p))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sliced_properties(x64, key):
    rng = np.random.default_rng(15)
    x, y = rng.normal(size=(30, 3)), rng.normal(1.0, size=(30, 3))
    sw = float(SLICED(x, y, key=key, n_projections=16, p=2))
    assert 0.0 < sw <= float(W(x, y, p=2)) + 1e-12  # SW_2 <= W_2
    assert float(SLICED(x, y, key=key, n_projections=16, p=2)) == sw  # deterministic in the key
    assert float(SLICED(x, y, key=jax.random.fold_in(key, 1), n_projections=16, p=2)) != sw
    # in one dimension every direction is +-1: SW equals W
    np.testing.assert_allclose(float(sliced_wasserstein(x[:, :1], y[:, :1], key=key, n_projections=4)),
                               float(W1D(x[:, 0], y[:, 0])), rtol=1e-12)


def test_sliced_gradient_matches_central_differences(x64, key):
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))

    def f(z):
        return SLICED(z, y, key=key, n_projections=16, p=2)

    g = jax.jit(jax.grad(f))(x)
    d = rng.normal(size=x.shape)
    np.testing.assert_allclose(float(jnp.sum(g * d)), central_difference(f, x, d), rtol=1e-6)


def test_sliced_float32_finite_gradient_for_identical_clouds(key):
    x = jax.random.normal(key, (30, 3))
    g = jax.jit(jax.grad(lambda z: SLICED(z, x, key=key, n_projections=16, p=2)))(x)
    assert jnp.all(jnp.isfinite(g))


# ============================================================================= bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: wasserstein_1d(np.ones((2, 2)), np.ones(3)), "`x` must be a non-empty 1-d"),
        (lambda: wasserstein_1d(np.ones(3), np.array([])), "`y` must be a non-empty 1-d"),
        (lambda: wasserstein_1d(np.ones(3), [1.0, np.nan]), "`y` has non-finite"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), a=[1.0, -1.0, 1.0]), "`a` has a negative"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), b=[1.0]), "`b` must have shape \\(2,\\)"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), b=[0.0, 0.0]), "`b` has an all-zero"),
        (lambda: wasserstein_1d_plan(np.ones(3), np.ones(2), b=[1.0]), "wasserstein_1d_plan: argument `b`"),
        (lambda: wasserstein_plan(np.ones((3, 2)), np.ones((3, 3))), "wasserstein_plan: .*same dimension"),
        (lambda: wasserstein_1d(np.ones(3), np.ones(2), p=0.5), "`p` must be a real number >= 1"),
        (lambda: wasserstein(np.ones((3, 2)), np.ones((3, 3))), "same dimension"),
        (lambda: wasserstein(np.ones(3), np.ones((3, 1))), "`x` must be a non-empty point cloud"),
        (lambda: wasserstein(np.ones((3, 2)), np.full((2, 2), np.inf)), "`y` has non-finite"),
        (lambda: wasserstein(np.ones((3, 2)), np.ones((2, 2)), a=[1.0, np.nan, 1.0]), "`a` has a non-finite"),
        (lambda: sinkhorn(np.ones((3, 2)), np.ones((2, 2)), epsilon=0.0), "`epsilon` must be > 0"),
        (lambda: sinkhorn(np.ones((3, 2)), np.ones((2, 2)), epsilon=0.1, max_iter=0), "`max_iter`"),
        (lambda: sinkhorn(np.ones((3, 2)), np.ones((2, 2)), b=[1.0, -2.0], epsilon=0.1), "`b` has a negative"),
        (lambda: sliced_wasserstein(np.ones((3, 2)), np.ones((2, 2)), key=jax.random.key(0), n_projections=0),
         "`n_projections`"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_old_positional_forms_fail_loudly():
    """epsilon, key, n_projections and p are keyword-only: the old positional calls raise."""
    x, y = np.ones((3, 2)), np.ones((2, 2))
    with pytest.raises(TypeError, match="epsilon"):
        sinkhorn(x, y, 0.1)
    with pytest.raises(TypeError, match="key"):
        sliced_wasserstein(jax.random.key(0), x, y, 16)
    with pytest.raises(TypeError):
        wasserstein(x, y, None, None, 2)
    with pytest.raises(TypeError):
        wasserstein_1d(x[:, 0], y[:, 0], None, None, 2)


# ============================================================================= zero weights: one-sided gradients


def right_difference(f, w, k, h=1e-7):
    """Forward difference in weight k: the derivative as that weight increases."""
    step = np.zeros_like(w)
    step[k] = h
    return (float(f(w + step)) - float(f(w))) / h


def pot_right_derivatives(x, y, a, b, p):
    """Right derivative of W_p^p in each raw weight, from POT's exact dual potentials
    (envelope theorem): ``(f_k - <f, a_hat>) / sum(a)``, where for a zero weight the
    potential is the largest admissible one, the c-transform min_{j: b_j > 0} C_kj - g_j."""
    an, bn = a / a.sum(), b / b.sum()
    cost = pot_cost(x, y, p)
    _, log = ot.emd(an, bn, cost, log=True)
    f, g = log["u"], log["v"]
    f = np.where(an > 0, f, np.min(np.where(bn[None, :] > 0, cost - g[None, :], np.inf), axis=1))
    g = np.where(bn > 0, g, np.min(np.where(an[:, None] > 0, cost - f[:, None], np.inf), axis=0))
    return (f - f[an > 0] @ an[an > 0]) / a.sum(), (g - g[bn > 0] @ bn[bn > 0]) / b.sum()


# gradients of W_p^p in the weights, the quantity whose derivative the dual potentials give
W1D_POW_GRAD = jax.jit(jax.grad(lambda *z, p: wasserstein_1d(*z, p=p) ** p, argnums=(2, 3)), static_argnames="p")
W_POW_GRAD = jax.jit(jax.grad(lambda *z, p: wasserstein(*z, p=p) ** p, argnums=(2, 3)), static_argnames="p")


def test_1d_zero_weight_gradient_worked_case(x64):
    """u = [0, 10, 20] with no mass at 10, v = [5, 15]: giving the point at 10 mass
    lowers W_1 at rate 20/3 (exact solver, POT duals, one-sided difference agree)."""
    u, v = np.array([0.0, 10.0, 20.0]), np.array([5.0, 15.0])
    a, b = np.array([1 / 3, 0.0, 2 / 3]), np.array([0.5, 0.5])
    ga, gb = W1D_POW_GRAD(u, v, a, b, p=1)
    np.testing.assert_allclose(float(ga[1]), -20 / 3, rtol=1e-12)
    np.testing.assert_allclose(float(ga[1]), right_difference(lambda w: W1D(u, v, w, b), a, 1), rtol=1e-6)
    exact_a, exact_b = W_POW_GRAD(u[:, None], v[:, None], a, b, p=1)
    np.testing.assert_allclose(ga, exact_a, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gb, exact_b, rtol=1e-9, atol=1e-12)
    pot_a, pot_b = pot_right_derivatives(u[:, None], v[:, None], a, b, 1)
    np.testing.assert_allclose(ga, pot_a, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gb, pot_b, rtol=1e-9, atol=1e-12)
    # a weight too small to move the cumulative sum gives the same derivative
    tiny = a + np.array([0.0, 1e-30, 0.0])
    np.testing.assert_allclose(float(W1D_POW_GRAD(u, v, tiny, b, p=1)[0][1]), -20 / 3, rtol=1e-12)


@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**16),
    p=st.sampled_from([1, 2, 1.5]),
    zero_a=st.lists(st.booleans(), min_size=6, max_size=6),
    zero_b=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_1d_weight_gradients_with_zero_weights(seed, p, zero_a, zero_b):
    """Random samples with zero weights on both sides: each weight's gradient of W_p^p equals the
    right derivative from POT's duals, the exact solver's gradient, and a forward
    difference; no NaN."""
    n, m = 6, 5  # fixed shapes: one compilation per p; the zero pattern varies
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=n), rng.normal(0.5, 1.5, size=m)
    a, b = rng.random(n) + 0.05, rng.random(m) + 0.05
    a[np.array(zero_a[:n])] = 0.0
    b[np.array(zero_b[:m])] = 0.0
    a[rng.integers(n)] += 0.5  # positive mass on each side
    b[rng.integers(m)] += 0.5
    with jax.enable_x64(True):
        ga, gb = W1D_POW_GRAD(u, v, a, b, p=p)
        assert jnp.all(jnp.isfinite(ga)) and jnp.all(jnp.isfinite(gb))
        pot_a, pot_b = pot_right_derivatives(u[:, None], v[:, None], a, b, p)
        # POT's duals are accurate to its LP tolerance
        np.testing.assert_allclose(ga, pot_a, rtol=1e-6, atol=1e-7, err_msg="a vs POT duals")
        np.testing.assert_allclose(gb, pot_b, rtol=1e-6, atol=1e-7, err_msg="b vs POT duals")
        exact_a, exact_b = W_POW_GRAD(u[:, None], v[:, None], a, b, p=p)
        np.testing.assert_allclose(ga, exact_a, rtol=1e-6, atol=1e-7, err_msg="a vs exact solver")
        np.testing.assert_allclose(gb, exact_b, rtol=1e-6, atol=1e-7, err_msg="b vs exact solver")
        # W_p^p is piecewise linear in the levels, which are smooth in the weights: the
        # forward difference is off by O(h) curvature of the normalisation
        w_pow = lambda a_, b_: W1D(u, v, a_, b_, p=p) ** p  # noqa: E731
        for k in range(n):
            fd = right_difference(lambda w: w_pow(w, b), a, k)
            np.testing.assert_allclose(float(ga[k]), fd, rtol=1e-4, atol=1e-5, err_msg=f"a[{k}]")
        for k in range(m):
            fd = right_difference(lambda w: w_pow(a, w), b, k)
            np.testing.assert_allclose(float(gb[k]), fd, rtol=1e-4, atol=1e-5, err_msg=f"b[{k}]")


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**16),
    p=st.sampled_from([1, 2, 1.5]),
    a=st.lists(st.integers(0, 2), min_size=6, max_size=6),
    b=st.lists(st.integers(0, 2), min_size=5, max_size=5),
)
def test_1d_weight_gradients_at_tied_levels(seed, p, a, b):
    """Integer weights: the two samples' cumulative weights often tie exactly, a kink
    of W_p^p in the weights. Each weight's gradient is still the derivative as that
    weight increases (forward difference), zero weights included."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(size=6), rng.normal(size=5)
    a, b = np.array(a, float), np.array(b, float)
    a[seed % 6] += 1.0  # positive mass on each side
    b[seed % 5] += 1.0
    with jax.enable_x64(True):
        ga, gb = W1D_POW_GRAD(u, v, a, b, p=p)
        w_pow = lambda a_, b_: W1D(u, v, a_, b_, p=p) ** p  # noqa: E731
        for k in range(6):
            fd = right_difference(lambda w: w_pow(w, b), a, k)
            np.testing.assert_allclose(float(ga[k]), fd, rtol=1e-4, atol=1e-5, err_msg=f"a[{k}]")
        for k in range(5):
            fd = right_difference(lambda w: w_pow(a, w), b, k)
            np.testing.assert_allclose(float(gb[k]), fd, rtol=1e-4, atol=1e-5, err_msg=f"b[{k}]")


def test_sliced_zero_weight_gradient_matches_forward_difference(x64, key):
    rng = np.random.default_rng(18)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(6, 2))
    a, b = rng.random(8) + 0.1, rng.random(6) + 0.1
    a[[0, 3]] = 0.0
    b[5] = 0.0

    def f(a_, b_):
        return SLICED(x, y, a_, b_, key=key, n_projections=8, p=2)

    ga, gb = jax.jit(jax.grad(f, argnums=(0, 1)))(a, b)
    for k in range(8):
        np.testing.assert_allclose(float(ga[k]), right_difference(lambda w: f(w, b), a, k), rtol=1e-4, atol=1e-6)
    for k in range(6):
        np.testing.assert_allclose(float(gb[k]), right_difference(lambda w: f(a, w), b, k), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("p", [1, 1.5, 2])
def test_float32_zero_weight_gradients_are_finite(key, p):
    """Zero weights, tied values and identical samples in float32: no NaN anywhere."""
    u = jnp.array([0.0, 1.0, 1.0, 2.0], jnp.float32)
    a = jnp.array([0.0, 1.0, 0.0, 1.0], jnp.float32)
    grads = jax.jit(jax.grad(lambda *z: wasserstein_1d(*z, p=p), argnums=(0, 1, 2, 3)))(u, u, a, a[::-1])
    grads += jax.jit(jax.grad(lambda *z: wasserstein_1d(*z, p=p), argnums=(0, 1, 2, 3)))(u, u, a, a)
    x = jnp.stack([u, u[::-1]], axis=1)
    grads += jax.jit(jax.grad(lambda *z: SLICED(*z, key=key, n_projections=4, p=p), argnums=(0, 2, 3)))(x, x, a, a)
    grads += jax.jit(jax.grad(lambda *z: wasserstein(*z, p=p), argnums=(0, 2, 3)))(x, x, a, a)
    for g in grads:
        assert g.dtype == jnp.float32 and jnp.all(jnp.isfinite(g)), (p, g)


# ============================================================================= plans


def check_plan(res, x, y, a, b, p, pot_rtol):
    """Marginals, <P, C> = cost = distance^p = POT's emd2, potentials feasible and optimal."""
    n, m = x.shape[0], y.shape[0]
    an = normalised(a) if a is not None else np.full(n, 1 / n)
    bn = normalised(b) if b is not None else np.full(m, 1 / m)
    cost = pot_cost(x, y, p)
    plan = np.asarray(res.plan)
    assert isinstance(res, TransportPlan) and plan.shape == (n, m) and np.all(plan >= 0)
    np.testing.assert_allclose(plan.sum(axis=1), an, atol=1e-12)
    np.testing.assert_allclose(plan.sum(axis=0), bn, atol=1e-12)
    np.testing.assert_allclose(np.sum(plan * cost), float(res.cost), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(float(res.distance) ** p, float(res.cost), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(float(res.cost), ot.emd2(an, bn, cost), rtol=1e-9, atol=1e-12)
    if res.f is not None:
        f, g = np.asarray(res.f), np.asarray(res.g)
        scale = np.max(cost)
        assert np.all(f[:, None] + g[None, :] <= cost + pot_rtol * scale), "f_i + g_j <= C_ij"
        np.testing.assert_allclose(an @ f + bn @ g, float(res.cost), rtol=pot_rtol, atol=pot_rtol * scale)
    return plan


@pytest.mark.parametrize("n, m, weighted, p", [(20, 20, False, 1), (20, 13, True, 2), (15, 15, True, 1.5),
                                               (20, 20, False, 2)])
def test_1d_plan_matches_pot(x64, n, m, weighted, p):
    rng = np.random.default_rng(n + m)
    u, v = rng.normal(size=n), rng.exponential(size=m)
    a, b = (rng.random(n), rng.random(m)) if weighted else (None, None)
    res = PLAN_1D(u, v, a, b, p=p)
    plan = check_plan(res, u[:, None], v[:, None], a, b, p, pot_rtol=1e-12)
    if p > 1:  # strictly convex cost, distinct values: the optimal plan is unique (not for p = 1)
        an = normalised(a) if weighted else np.full(n, 1 / n)
        bn = normalised(b) if weighted else np.full(m, 1 / m)
        np.testing.assert_allclose(plan, ot.emd(an, bn, pot_cost(u[:, None], v[:, None], p)), atol=1e-12)
    np.testing.assert_allclose(float(res.distance), float(W1D(u, v, a, b, p=p)), rtol=1e-12)


@settings(max_examples=30)
@given(
    u=hnp.arrays(np.float64, 6, elements=st.integers(-3, 3).map(float)),  # fixed shapes: one
    v=hnp.arrays(np.float64, 5, elements=st.integers(-3, 3).map(float)),  # compilation per p
    seed=st.integers(0, 2**16),
    p=st.sampled_from([1, 2, 3]),
)
def test_1d_plan_potentials_with_ties_and_zero_weights(u, v, seed, p):
    """Tied values, tied levels (weights on a grid of 1/4) and zero weights: the
    staircase potentials stay feasible and optimal, the plan has the right marginals."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, u.size).astype(float)
    b = rng.integers(0, 3, v.size).astype(float)
    a[rng.integers(u.size)] += 1.0
    b[rng.integers(v.size)] += 1.0
    with jax.enable_x64(True):
        check_plan(PLAN_1D(u, v, a, b, p=p), u[:, None], v[:, None], a, b, p, pot_rtol=1e-12)


@pytest.mark.parametrize("n, m, d, weighted, p", [(12, 12, 2, False, 1), (12, 9, 2, True, 2), (10, 10, 3, True, 1)])
def test_exact_plan_matches_pot(x64, n, m, d, weighted, p):
    rng = np.random.default_rng(n * m + d + 1)
    x, y = rng.normal(size=(n, d)), rng.normal(0.5, size=(m, d))
    a, b = (rng.random(n), rng.random(m)) if weighted else (None, None)
    res = wasserstein_plan(x, y, a, b, p=p)
    plan = check_plan(res, x, y, a, b, p, pot_rtol=1e-12)  # the network simplex's duals, in float64
    an = normalised(a) if weighted else np.full(n, 1 / n)
    bn = normalised(b) if weighted else np.full(m, 1 / m)
    np.testing.assert_allclose(plan, ot.emd(an, bn, pot_cost(x, y, p)), atol=1e-9)  # unique (generic data)
    np.testing.assert_allclose(float(res.distance), float(W(x, y, a, b, p=p)), rtol=1e-9)
    jitted = jax.jit(wasserstein_plan, static_argnames="p")(x, y, a, b, p=p)
    np.testing.assert_allclose(jitted.plan, res.plan, atol=1e-12)


def test_exact_plan_assignment_path_without_potentials(x64):
    """Past MAX_EMD_SIZE (uniform, n == m) the plan is a permutation and f = g = None."""
    n = int(np.sqrt(MAX_EMD_SIZE)) + 1
    rng = np.random.default_rng(19)
    x, y = rng.random((n, 2)), rng.random((n, 2))
    res = wasserstein_plan(x, y)
    assert res.f is None and res.g is None
    plan = check_plan(res, x, y, None, None, 1, pot_rtol=0.0)
    assert np.all(np.sum(plan > 0, axis=1) == 1)


def test_plan_for_wgan_example_1(x64, key):
    """Parallel lines sharing Z: every sample moves horizontally by |theta|."""
    z = jax.random.uniform(key, (16, 1))
    fake, real = _parallel_lines(0.7, z, z)
    res = wasserstein_plan(fake, real)
    np.testing.assert_allclose(res.plan, np.eye(16) / 16, atol=1e-12)
    np.testing.assert_allclose(float(res.distance), 0.7, rtol=1e-12)


# ============================================================================= network simplex against HiGHS


def highs_transport(cost, a, b):
    """The transport LP solved independently by HiGHS (dual simplex, scipy.optimize.linprog):
    value, plan [n, m] and the dual potentials f [n], g [m] (the equality constraints' marginals)."""
    n, m = cost.shape
    var = np.arange(n * m)  # P[i, j] -> i * m + j; rows sum to a, columns to b
    rows = np.concatenate([var // m, n + var % m])
    a_eq = scipy.sparse.csr_array((np.ones(2 * n * m), (rows, np.concatenate([var, var]))), shape=(n + m, n * m))
    res = scipy.optimize.linprog(cost.ravel(), A_eq=a_eq, b_eq=np.concatenate([a, b]), bounds=(0, None),
                                 method="highs-ds")
    assert res.status == 0, res.message
    duals = res.eqlin.marginals
    return res.fun, res.x.reshape(n, m), duals[:n], duals[n:]


@pytest.mark.parametrize(
    "n, m, d, weights, p",
    [(15, 15, 2, "random", 1), (15, 10, 2, "uniform", 2), (12, 20, 3, "random", 1.5), (30, 25, 2, "random", 2),
     (14, 11, 2, "zeros", 1)],
)
def test_network_simplex_matches_highs(x64, n, m, d, weights, p):
    """The weighted / unequal-size path (POT's network simplex) against HiGHS: the same value,
    a plan with the right marginals and that value, potentials dual feasible everywhere (zero
    weights included) with <a, f> + <b, g> = the value, tight on the plan's support, and equal
    to HiGHS's up to the constant they are unique up to (random weights: no degeneracy)."""
    rng = np.random.default_rng(100 * n + m)
    x, y = rng.normal(size=(n, d)), rng.normal(0.3, size=(m, d))
    if weights == "uniform":
        a, b = None, None
        an, bn = np.full(n, 1 / n), np.full(m, 1 / m)
    else:
        a, b = rng.random(n) + 0.05, rng.random(m) + 0.05
        if weights == "zeros":
            a[[2, 7]], b[4] = 0.0, 0.0
        an, bn = a / a.sum(), b / b.sum()
    cost = pot_cost(x, y, p)
    value, _, f_lp, g_lp = highs_transport(cost, an, bn)
    np.testing.assert_allclose(float(W(x, y, a, b, p=p)) ** p, value, rtol=1e-9)
    res = wasserstein_plan(x, y, a, b, p=p)
    plan, f, g = np.asarray(res.plan), np.asarray(res.f), np.asarray(res.g)
    assert np.all(plan >= 0) and np.count_nonzero(plan) <= n + m - 1
    np.testing.assert_allclose(plan.sum(axis=1), an, atol=1e-14)
    np.testing.assert_allclose(plan.sum(axis=0), bn, atol=1e-14)
    np.testing.assert_allclose(np.sum(plan * cost), value, rtol=1e-9)
    np.testing.assert_allclose(float(res.cost), value, rtol=1e-9)
    scale = np.max(cost)
    slack = cost - f[:, None] - g[None, :]
    assert np.all(slack >= -1e-12 * scale), f"dual infeasible by {-slack.min()}"
    np.testing.assert_allclose(slack[plan > 0], 0.0, atol=1e-12 * scale)
    np.testing.assert_allclose(an @ f + bn @ g, value, rtol=1e-9)
    if weights != "uniform":  # equal partial sums of 1/15 and 1/10: degenerate, duals not unique
        pos_a, pos_b = an > 0, bn > 0
        shift = f[pos_a] - f_lp[pos_a]
        np.testing.assert_allclose(shift, shift[0], atol=1e-7 * scale)  # HiGHS's dual tolerance
        np.testing.assert_allclose(g[pos_b] - g_lp[pos_b], -shift[0], atol=1e-7 * scale)


W_POW = jax.jit(lambda *z, p: wasserstein(*z, p=p) ** p, static_argnames="p")


@pytest.mark.parametrize("p", [1, 2])
def test_network_simplex_weight_gradient_at_zero_weights(x64, p):
    """The gradient of W_p^p in the raw weights, zero weights included, is the envelope-theorem
    value built from HiGHS's potentials, (f_k - <f, a_hat>) / sum(a) with, at a zero weight, the
    largest admissible potential min_{j: b_j > 0} C_kj - g_j; and at each zero weight it is the
    one-sided (forward) difference, the derivative as that weight increases from zero."""
    rng = np.random.default_rng(21 + p)
    n, m = 9, 7
    x, y = rng.normal(size=(n, 2)), rng.normal(0.5, size=(m, 2))
    a, b = rng.random(n) + 0.1, rng.random(m) + 0.1
    a[[1, 5]], b[3] = 0.0, 0.0
    an, bn = a / a.sum(), b / b.sum()
    cost = pot_cost(x, y, p)
    _, _, f, g = highs_transport(cost, an, bn)
    f = np.where(an > 0, f, np.min(np.where(bn[None, :] > 0, cost - g[None, :], np.inf), axis=1))
    g = np.where(bn > 0, g, np.min(np.where(an[:, None] > 0, cost - f[:, None], np.inf), axis=0))
    want_a, want_b = (f - an @ f) / a.sum(), (g - bn @ g) / b.sum()
    ga, gb = W_POW_GRAD(x, y, a, b, p=p)
    np.testing.assert_allclose(ga, want_a, rtol=1e-6, atol=1e-7 * np.max(cost))  # HiGHS's dual tolerance
    np.testing.assert_allclose(gb, want_b, rtol=1e-6, atol=1e-7 * np.max(cost))
    for k in (1, 5):
        fd = right_difference(lambda w: W_POW(x, y, w, b, p=p), a, k)
        np.testing.assert_allclose(float(ga[k]), fd, rtol=1e-5, atol=1e-7, err_msg=f"a[{k}]")
    fd = right_difference(lambda w: W_POW(x, y, a, w, p=p), b, 3)
    np.testing.assert_allclose(float(gb[3]), fd, rtol=1e-5, atol=1e-7, err_msg="b[3]")


@pytest.mark.filterwarnings("ignore:numItermax reached")
def test_network_simplex_failure_raises(x64, monkeypatch):
    """A solve stopped before optimality raises instead of returning its plan."""
    module = importlib.import_module("gantoy.distances.transport")
    monkeypatch.setattr(module, "_EMD_MAX_ITER", 1)
    rng = np.random.default_rng(22)
    x, y, a = rng.normal(size=(10, 2)), rng.normal(size=(8, 2)), rng.random(10) + 0.1
    with pytest.raises(Exception, match="network simplex failed"):
        float(wasserstein(x, y, a))


def test_wasserstein_assignment_matches_pot_and_checks_its_input():
    rng = np.random.default_rng(23)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    w = np.full(20, 1 / 20)
    for p in (1, 2, 1.5):
        want = ot.emd2(w, w, pot_cost(x, y, p)) ** (1 / p)
        np.testing.assert_allclose(wasserstein_assignment(x, y, p=p), want, rtol=1e-12)
    assert isinstance(wasserstein_assignment(x, y), float)
    with pytest.raises(ValueError, match="same shape"):
        wasserstein_assignment(x, y[:19])
    with pytest.raises(ValueError, match="`y` has non-finite"):
        wasserstein_assignment(x, np.where(y > 2, np.inf, y))
    with pytest.raises(ValueError, match="`p`"):
        wasserstein_assignment(x, y, p=0.5)


def test_parallel_lines_error_is_bounded_by_the_floor_of_the_same_sample(x64, key):
    # notebook 04: the sample of P_theta is y shifted by theta, so |W(x, y + theta e1) - |theta|| <= W(x, y)
    import gantoy

    p0, _ = gantoy.parallel_lines(0.0)
    x = p0.sample(jax.random.fold_in(key, 0), 60)
    y = p0.sample(jax.random.fold_in(key, 1), 60)
    floor = float(wasserstein(x, y))
    for theta in (-1.5, -0.3, 0.0, 0.7, 2.0):
        w = float(wasserstein(x, gantoy.parallel_lines(theta)[1].sample(jax.random.fold_in(key, 1), 60)))
        assert abs(w - abs(theta)) <= floor + 1e-12

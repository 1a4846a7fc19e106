"""gantoy.kl / js / tv against scipy, finite differences and their properties."""

import math

import hypothesis.extra.numpy as hnp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

import gantoy
from gantoy import js, kl, tv

FUNCS = {"kl": kl, "js": js, "tv": tv}
# compiled once per shape and dtype: hypothesis calls these many times (value checks skipped)
JITTED = {name: jax.jit(f) for name, f in FUNCS.items()}
GRADS = {name: jax.jit(jax.grad(f, argnums=(0, 1))) for name, f in FUNCS.items()}
BATCHED = {name: jax.jit(jax.vmap(f)) for name, f in FUNCS.items()}
BATCH_GRADS = {
    name: jax.jit(jax.grad(lambda p, q, f=f: jnp.sum(jax.vmap(f)(p, q)), argnums=(0, 1)))
    for name, f in FUNCS.items()
}


def _normalise(w, axis):
    return w / w.sum(axis=axis, keepdims=True)


def reference(name, p, q, axis=-1):
    """scipy's values for the normalised inputs."""
    pn, qn = _normalise(p, axis), _normalise(q, axis)
    if name == "kl":
        return scipy.special.rel_entr(pn, qn).sum(axis=axis)
    if name == "js":
        return jensenshannon(p, q, axis=axis) ** 2
    return 0.5 * np.abs(pn - qn).sum(axis=axis)


def random_weights(rng, shape, sparsity=0.0):
    """Positive weights with a fraction set to zero, keeping every slice non-zero."""
    w = rng.gamma(0.5, size=shape)
    w[rng.random(shape) < sparsity] = 0.0
    w[..., 0] += (w.sum(axis=-1) == 0)  # never an all-zero distribution along the last axis
    return w


# ----------------------------------------------------------------------------- scipy


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("sparsity", [0.0, 0.5])
def test_matches_scipy_on_random_batches_along_every_axis(x64, name, sparsity):
    rng = np.random.default_rng(0)
    shape = (3, 7, 5)
    for axis in range(-3, 3):
        p = np.moveaxis(random_weights(rng, np.roll(shape, 0), sparsity), -1, axis)
        q = np.moveaxis(random_weights(rng, np.roll(shape, 0), sparsity), -1, axis)
        got = np.asarray(FUNCS[name](p, q, axis=axis))
        want = reference(name, p, q, axis=axis)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"axis={axis}")


@settings(max_examples=30)
@given(
    pq=hnp.arrays(np.float64, st.tuples(st.just(2), st.sampled_from([1, 2, 7])),
                  elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e3))),
)
def test_matches_scipy_hypothesis(pq):
    pq = pq.copy()
    pq[:, 0] += pq.sum(axis=1) == 0
    p, q = pq
    with jax.enable_x64(True):
        for name, f in JITTED.items():
            np.testing.assert_allclose(float(f(p, q)), reference(name, p, q), rtol=1e-12, atol=1e-12,
                                       err_msg=name)


# ----------------------------------------------------------------------------- saturation


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_disjoint_supports_example_1(dtype):
    """WGAN Example 1 on atoms: JS = log 2 exactly with zero gradient, KL = inf, TV = 1."""
    with jax.enable_x64(dtype == jnp.float64):
        rng = np.random.default_rng(1)
        n = 8
        p = jnp.asarray(np.concatenate([rng.random(n) + 0.1, np.zeros(n)]), dtype)
        q = jnp.asarray(np.concatenate([np.zeros(n), rng.random(n) + 0.1]), dtype)
        value = js(p, q)  # eagerly, then compiled
        assert value.dtype == dtype
        assert value == jnp.asarray(math.log(2.0), dtype)
        assert JITTED["js"](p, q) == value
        for g in GRADS["js"](p, q):
            assert jnp.all(g == 0.0), g
        assert JITTED["kl"](p, q) == jnp.inf and JITTED["kl"](q, p) == jnp.inf
        for g in GRADS["kl"](p, q):
            assert jnp.all(jnp.isfinite(g))
        np.testing.assert_allclose(float(JITTED["tv"](p, q)), 1.0, rtol=1e-6)


def test_kl_is_inf_not_nan_where_q_vanishes():
    p = jnp.array([[0.5, 0.5], [0.5, 0.5]])
    q = jnp.array([[1.0, 0.0], [0.5, 0.5]])
    value = kl(p, q)
    assert value[0] == jnp.inf and value[1] == 0.0
    assert not jnp.any(jnp.isnan(value))
    # q = 0 where p = 0 too: finite
    assert float(kl(jnp.array([1.0, 0.0]), jnp.array([1.0, 0.0]))) == 0.0


@settings(max_examples=25)
@given(
    pq=hnp.arrays(np.float64, (2, 6), elements=st.one_of(st.just(0.0), st.floats(1e-30, 1e3))),
    use_x64=st.booleans(),
)
def test_gradients_finite_wherever_value_finite(pq, use_x64):
    pq = pq.copy()
    pq[:, 0] += pq.sum(axis=1) == 0
    dtype = jnp.float64 if use_x64 else jnp.float32
    with jax.enable_x64(use_x64):
        p, q = jnp.asarray(pq[0], dtype), jnp.asarray(pq[1], dtype)
        for name, f in JITTED.items():
            value = f(p, q)
            assert not jnp.isnan(value), name
            grads = GRADS[name](p, q)
            if jnp.isfinite(value):
                for g in grads:
                    assert jnp.all(jnp.isfinite(g)), (name, p, q, g)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", FUNCS)
def test_gradient_matches_central_differences(x64, name):
    rng = np.random.default_rng(2)
    p, q = rng.random(6) + 0.05, rng.random(6) + 0.05
    f = FUNCS[name]
    gp, gq = jax.grad(f, argnums=(0, 1))(p, q)
    h = 1e-6
    for _ in range(3):
        dp, dq = rng.normal(size=6), rng.normal(size=6)
        fd = (float(f(p + h * dp, q + h * dq)) - float(f(p - h * dp, q - h * dq))) / (2 * h)
        np.testing.assert_allclose(float(gp @ dp + gq @ dq), fd, rtol=1e-6, atol=1e-9)


def _restricted(name, p, q, k):
    """numpy: the divergence with index k's term dropped, p_k kept in the normaliser."""
    pn, qn = p / p.sum(), q / q.sum()
    idx = [i for i in range(len(p)) if i != k and pn[i] > 0 and qn[i] > 0]
    pn, qn = pn[idx], qn[idx]
    lp, lq = np.log(pn), np.log(qn)
    if name == "kl":
        return np.sum(pn * (lp - lq))
    return math.log(2.0) - 0.5 * np.sum(pn * np.logaddexp(0, lq - lp) + qn * np.logaddexp(0, lp - lq))


@pytest.mark.parametrize("name", ["kl", "js"])
def test_zero_weight_gradient_is_the_restriction_to_the_support(x64, name):
    """At p_k = 0 the derivative in p_k is the one of the divergence restricted to the
    supports (p_k only enters the normalisation); the one-sided derivative is -inf."""
    p = np.array([0.2, 0.3, 0.0, 0.5])
    q = np.array([0.4, 0.1, 0.3, 0.2])
    k, h = 2, 1e-6
    grad = jax.grad(FUNCS[name])(p, q)
    assert np.all(np.isfinite(grad))
    e = np.eye(4)[k]
    fd = (_restricted(name, p + h * e, q, k) - _restricted(name, p - h * e, q, k)) / (2 * h)
    np.testing.assert_allclose(float(grad[k]), fd, rtol=1e-7)


# ----------------------------------------------------------------------------- properties


# Weights are 0 or at least 1e-300, so that scaling by 1e-3 keeps them normal numbers:
# XLA on the CPU flushes subnormal inputs to zero, which would turn a valid p into zeros.
weights = hnp.arrays(np.float64, 5, elements=st.one_of(st.just(0.0), st.floats(1e-300, 10.0)))


def test_js_never_exceeds_log2():
    # nearly all the mass outside the shared support: the sum rounded to one ulp above log 2
    # before the clamp (found by hypothesis)
    p = np.array([0.0, 1.0, 0.0, 8.6875, 0.0])
    q = np.array([1.0, 0.0, 1.0, 1.49081093e-74, 1.0])
    with jax.enable_x64(True):
        for f in (JITTED["js"], FUNCS["js"]):
            v = float(f(p, q))
            assert v <= math.log(2.0) and v > math.log(2.0) - 1e-15


def test_kl_is_not_negative_when_rounding_hides_the_positive_part():
    # the positive part, 0.5 log(1 + 5e-39) per mode, is below float64's resolution; the one
    # negative term, 1.9e-187 log(1.9e-187 / 5e-39), is not (found by hypothesis)
    p = np.array([0.0, 3.75688957e-187, 0.0, 1.0, 1.0])
    q = np.array([0.0, 1e-38, 0.0, 1.0, 1.0])
    with jax.enable_x64(True):
        assert float(JITTED["kl"](p, q)) == 0.0
        assert float(FUNCS["kl"](p, q)) == 0.0


@settings(max_examples=40)
@given(p=weights, q=weights, scale=st.floats(1e-3, 1e3))
def test_properties(p, q, scale):
    p, q = p.copy(), q.copy()
    p[0] += p.sum() == 0
    q[0] += q.sum() == 0
    with jax.enable_x64(True):
        js, kl, tv = JITTED["js"], JITTED["kl"], JITTED["tv"]
        for name, f in JITTED.items():
            v = float(f(p, q))
            assert v >= 0.0, name
            assert float(f(p, p)) == 0.0, name  # exactly zero for identical inputs
            np.testing.assert_allclose(float(f(scale * p, q)), v, rtol=1e-12, atol=1e-14)  # normalised
        # symmetric up to rounding (XLA may turn a division into a reciprocal multiply; JS is
        # log 2 minus a sum, so its rounding error is absolute, a few ulp of log 2)
        np.testing.assert_allclose(float(js(p, q)), float(js(q, p)), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(float(tv(p, q)), float(tv(q, p)), rtol=1e-14, atol=1e-16)
        assert float(js(p, q)) <= math.log(2.0)
        assert float(tv(p, q)) <= 1.0 + 1e-15
        # standard bounds: JS <= log(2) TV (Lin 1991) and Pinsker's TV^2 / 2 <= KL
        assert float(js(p, q)) <= math.log(2.0) * float(tv(p, q)) + 1e-15
        assert float(tv(p, q)) ** 2 / 2 <= float(kl(p, q)) + 1e-15


@pytest.mark.parametrize("name", FUNCS)
def test_batching_axis_vmap_and_jit_agree(name):
    rng = np.random.default_rng(3)
    f = FUNCS[name]
    p, q = random_weights(rng, (4, 6), 0.3), random_weights(rng, (4, 6), 0.3)
    by_row = jnp.stack([f(p[i], q[i]) for i in range(4)])
    np.testing.assert_allclose(f(p, q, axis=1), by_row, rtol=1e-6)
    np.testing.assert_allclose(f(p.T, q.T, axis=0), by_row, rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(f)(p, q), by_row, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(f, static_argnames="axis")(p.T, q.T, axis=0), by_row, rtol=1e-6)


def test_integer_counts_are_accepted():
    np.testing.assert_allclose(float(tv([1, 3], [2, 2])), 0.25, rtol=1e-6)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize(
    "p, q, match",
    [
        ([0.5, -0.1, 0.6], [1.0, 1.0, 1.0], "`p` has a negative weight"),
        ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], "`q` has an all-zero"),
        ([[1.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]], "`p` has an all-zero"),
        ([1.0, np.nan], [1.0, 1.0], "`p` has a non-finite"),
        ([1.0, 1.0], [np.inf, 1.0], "`q` has a non-finite"),
        ([1.0, 1.0], [1.0, 1.0, 1.0], "`p` and `q` must have the same shape"),
        ([5e-324, 0.0], [1.0, 1.0], "`p` has an all-zero \\(or subnormal\\)"),
        (1.0, 1.0, "at least one axis"),
    ],
)
def test_bad_input_raises(name, p, q, match):
    with pytest.raises(ValueError, match=match):
        FUNCS[name](p, q)


BAD_WEIGHTS = {
    "negative": [0.5, -0.1, 0.6],
    "nan": [1.0, np.nan, 1.0],
    "inf": [1.0, np.inf, 1.0],
    "all-zero": [0.0, 0.0, 0.0],
    "subnormal": [5e-324, 0.0, 0.0],
}


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("kind", BAD_WEIGHTS)
@pytest.mark.parametrize("use_x64", [False, True])
def test_traced_bad_weights_give_nan(name, kind, use_x64):
    """Under jit / vmap / grad the values cannot be checked: a bad distribution gives NaN
    (value and gradient), never log 2 or another number; the good ones of a batch are untouched."""
    dtype = jnp.float64 if use_x64 else jnp.float32
    with jax.enable_x64(use_x64):
        f = FUNCS[name]
        bad = jnp.asarray(BAD_WEIGHTS[kind], dtype)
        good_p, good_q = jnp.asarray([0.2, 0.3, 0.5], dtype), jnp.asarray([0.6, 0.1, 0.3], dtype)
        for arg, (p, q) in {"p": (bad, good_q), "q": (good_p, bad)}.items():
            assert jnp.isnan(JITTED[name](p, q)), arg
            with pytest.raises(ValueError, match=f"`{arg}` has"):  # eagerly: an error naming it
                f(p, q)
            # a batch: row 0 bad, row 1 good
            ps, qs = jnp.stack([p, good_p]), jnp.stack([q, good_q])
            values = BATCHED[name](ps, qs)
            assert jnp.isnan(values[0]), (arg, values)
            np.testing.assert_allclose(values[1], f(good_p, good_q), rtol=1e-6)
            gp, gq = BATCH_GRADS[name](ps, qs)
            want_p, want_q = GRADS[name](good_p, good_q)
            np.testing.assert_allclose(gp[1], want_p, rtol=1e-6)
            np.testing.assert_allclose(gq[1], want_q, rtol=1e-6)
            assert jnp.all(jnp.isnan(gp[0] if arg == "p" else gq[0])), (arg, gp, gq)


@settings(max_examples=20)
@given(
    p=hnp.arrays(np.float64, st.sampled_from([1, 5]),
                 elements=st.one_of(st.just(0.0), st.floats(1e-30, 1e30))),
    use_x64=st.booleans(),
)
def test_identical_inputs_give_exactly_zero(p, use_x64):
    """Eagerly, compiled, batched and differentiated, float32 and float64: 0, not 1e-16."""
    p = p.copy()
    p[0] += p.sum() == 0
    dtype = jnp.float64 if use_x64 else jnp.float32
    with jax.enable_x64(use_x64):
        p = jnp.asarray(p, dtype)
        batch = jnp.stack([p, p[::-1]])
        for name, f in FUNCS.items():
            assert f(p, p) == 0.0 and JITTED[name](p, p) == 0.0, name
            np.testing.assert_array_equal(BATCHED[name](batch, batch), 0.0)
            for g in GRADS[name](p, p):  # p = q is the minimum: the gradient is 0
                np.testing.assert_array_equal(g, 0.0)


def _js_decimal(p, q):
    """JS of normalised float inputs with 50-digit decimal logarithms."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 50
        total = Decimal(0)
        for a, b in zip(p, q):
            a, b = Decimal(float(a)), Decimal(float(b))
            m = (a + b) / 2
            total += a * (a / m).ln() + b * (b / m).ln()
        return float(total / 2)


@pytest.mark.parametrize("delta", [1e-2, 1e-4, 1e-6])
def test_js_of_nearby_distributions_keeps_its_digits(x64, delta):
    """JS ~ delta^2 / 8 for q = p (1 + delta z): no log 2 cancels, the relative error stays
    near eps / delta (the form log 2 - ... has eps / delta^2: 1e-2 at delta = 1e-6)."""
    rng = np.random.default_rng(4)
    for _ in range(10):
        p = rng.random(6) + 0.1
        q = p * (1.0 + delta * rng.normal(size=6))
        p, q = p / p.sum(), q / q.sum()
        want = _js_decimal(p, q)
        np.testing.assert_allclose(float(js(p, q)), want, rtol=1e-14 / delta)
        np.testing.assert_allclose(float(JITTED["js"](p, q)), want, rtol=1e-14 / delta)


def test_bad_axis_and_shapes_under_jit():
    with pytest.raises(ValueError, match="`axis`"):
        kl(jnp.ones(3), jnp.ones(3), axis=1)
    with pytest.raises(ValueError, match="same shape"):
        jax.jit(js)(jnp.ones(3), jnp.ones(4))


def test_public_api():
    for name in ("kl", "js", "tv"):
        assert name in gantoy.__all__

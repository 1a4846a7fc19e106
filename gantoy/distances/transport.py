r"""Wasserstein distances: exact in 1-d, exact between point clouds, Sinkhorn, sliced.

One 1-d solver (sorting, O(n log n)) carries the 1-d and the sliced distances;
the exact distance between point clouds solves the transport linear programme
on the host (an assignment problem for uniform weights and equal sizes, POT's
network simplex otherwise); Sinkhorn is the entropic relaxation, in the log
domain, under ``jax.jit``.

For weights :math:`a \in \Delta_n`, :math:`b \in \Delta_m` on points
:math:`x_i, y_j` and ground cost :math:`c(x, y) = \|x - y\|_2^p`,

.. math::

    W_p(a, b) = \Big(\min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b}
                \sum_{ij} P_{ij}\, c(x_i, y_j)\Big)^{1/p}.

Every function takes the same arguments in the same order,
``fn(x, y, a=None, b=None, *, p=1, ...)``: the two samples, their weights, and
keyword-only the rest (``epsilon`` for :func:`sinkhorn`, ``key`` and
``n_projections`` for :func:`sliced_wasserstein`). The default ``p = 1``
everywhere: :math:`W_1` is the distance the WGAN critic estimates
(Kantorovich-Rubinstein duality); pass ``p=2`` for the squared Euclidean cost.
:func:`wasserstein_plan` and :func:`wasserstein_1d_plan` return the optimal
coupling and its dual potentials (:class:`TransportPlan`);
:func:`wasserstein_assignment` is the exact solver for two equal-size uniform
samples on host arrays, without JAX, ``(x, y, *, p=1)``.

Weights are normalised to sum to one; ``None`` means uniform. Bad input raises
``ValueError`` naming the argument when the inputs are concrete (value checks
are skipped under ``jax.jit`` tracing; shape checks are not).

References:
  Villani, "Optimal Transport: Old and New", Springer 2009.
  Peyre & Cuturi, "Computational Optimal Transport", Found. Trends Mach.
  Learn. 2019 (chapters 2-4: 1-d, exact and entropic solvers).
  Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017 (Example 1).
"""

from __future__ import annotations

import functools
import numbers
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from gantoy._checks import _check_weights, _is_concrete, _normalise

__all__ = [
    "MAX_ASSIGNMENT_SIZE",
    "MAX_EMD_SIZE",
    "SinkhornResult",
    "TransportPlan",
    "sinkhorn",
    "sliced_wasserstein",
    "wasserstein",
    "wasserstein_1d",
    "wasserstein_1d_plan",
    "wasserstein_assignment",
    "wasserstein_plan",
]

#: Largest ``n`` for the exact solver with uniform weights and ``n == m``
#: (``scipy.optimize.linear_sum_assignment``, O(n^3) worst case, an ``[n, n]``
#: float64 cost matrix on the host): about 3 s at n = 3000 on one CPU core.
MAX_ASSIGNMENT_SIZE = 3000

#: Largest ``n * m`` for the exact solver in every other case (POT's network
#: simplex, ``ot.emd``, on an ``[n, m]`` float64 cost matrix on the host):
#: about 0.5 s at 2000 x 2000 with random weights on one CPU core, 2 s at
#: 4000 x 4000. The gradient in the points also builds an ``[n, m, d]`` array.
MAX_EMD_SIZE = 4_000_000

# A safety cap on the network simplex's pivots, far above what problems within
# MAX_EMD_SIZE take (fewer than 1e5 on random data at 4000 x 4000); a solve
# that stops there raises instead of returning a plan that is not optimal.
_EMD_MAX_ITER = 100_000_000


# ----------------------------------------------------------------------------- checks


def _check_p(fn: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p >= 1 or not np.isfinite(p):
        raise ValueError(
            f"{fn}: argument `p` must be a real number >= 1 (a Python number); got {p!r}"
        )
    return float(p)


def _check_count(fn: str, name: str, k) -> None:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{fn}: argument `{name}` must be an integer >= 1; got {k!r}")


def _check_finite(fn: str, name: str, x) -> None:
    if _is_concrete(x):
        arr = np.asarray(x)
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"{fn}: argument `{name}` has non-finite entries (NaN or inf); shape {arr.shape}"
            )


def _points(fn: str, name: str, x) -> jax.Array:
    arr = jnp.asarray(x)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{fn}: argument `{name}` must be a non-empty point cloud [n, d]; got shape {arr.shape}"
        )
    _check_finite(fn, name, x)
    return arr


def _point_clouds(fn: str, x, y):
    """Validated clouds ``[n, d]``, ``[m, d]`` in their common float dtype, and that dtype."""
    x, y = _points(fn, "x", x), _points(fn, "y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"{fn}: arguments `x` and `y` must have the same dimension d; "
            f"got {x.shape} and {y.shape}"
        )
    dtype = _float_dtype(x, y)
    return x.astype(dtype), y.astype(dtype), dtype


def _values_1d(fn: str, name: str, x) -> jax.Array:
    arr = jnp.asarray(x)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(
            f"{fn}: argument `{name}` must be a non-empty 1-d array [n]; got shape {arr.shape}"
        )
    _check_finite(fn, name, x)
    return arr


def _weight_array(fn: str, name: str, w, n: int, dtype) -> jax.Array:
    """Validated non-negative weights ``[n]`` in ``dtype`` (not normalised)."""
    arr = jnp.asarray(w)
    if arr.shape != (n,):
        raise ValueError(
            f"{fn}: argument `{name}` must have shape ({n},) to match its points; got {arr.shape}"
        )
    _check_weights(fn, name, w, None, dtype)
    return arr.astype(dtype)


def _weights(fn: str, name: str, w, n: int, dtype) -> jax.Array | None:
    """Validated weights normalised to sum to one, or None (uniform)."""
    if w is None:
        return None
    return _normalise(_weight_array(fn, name, w, n, dtype), 0)


def _float_dtype(*xs):
    return jnp.result_type(*xs, 1.0)


def _root(s: jax.Array, p: float) -> jax.Array:
    """``s ** (1/p)`` with a finite gradient (0) at ``s = 0``."""
    if p == 1.0:
        return s
    pos = s > 0
    safe = jnp.where(pos, s, 1.0)
    return jnp.where(pos, safe ** (1.0 / p), 0.0)


def _ground_cost(diff: jax.Array, p: float) -> jax.Array:
    """``||diff||_2 ** p`` along the last axis, with finite gradients at ``diff = 0``."""
    d2 = jnp.sum(diff * diff, axis=-1)
    if p == 2.0:
        return d2
    pos = d2 > 0
    safe = jnp.where(pos, d2, 1.0)
    return jnp.where(pos, safe ** (0.5 * p), 0.0)


def _cost_matrix(x: jax.Array, y: jax.Array, p: float) -> jax.Array:
    """``C[i, j] = ||x_i - y_j||^p``, ``[n, m]`` (differences, not the expanded square)."""
    return _ground_cost(x[:, None, :] - y[None, :, :], p)


# ----------------------------------------------------------------------------- 1-d


# Host callbacks exchange floats as their raw bits (uint32 words). JAX converts
# callback operands and results to the *calling thread's* default precision,
# and the callback may run on a thread that does not see a `jax.enable_x64()`
# context: float64 would silently become float32 there.


def _to_bits(x: jax.Array) -> jax.Array:
    """Float array -> uint32 words (float64 ``[...]`` -> ``[..., 2]``)."""
    return lax.bitcast_convert_type(x, jnp.uint32)


def _bits_to_host(bits, dtype) -> np.ndarray:
    """uint32 words from :func:`_to_bits` -> numpy floats of ``dtype``."""
    words = np.ascontiguousarray(np.asarray(bits, np.uint32))
    if np.dtype(dtype).itemsize == 8:
        return words.view(np.float64)[..., 0]
    return words.view(np.dtype(dtype))


def _host_to_bits(x: np.ndarray, dtype) -> np.ndarray:
    """numpy floats -> uint32 words in ``dtype`` (the inverse of :func:`_bits_to_host`)."""
    x = np.ascontiguousarray(x, dtype=dtype)
    words = x.view(np.uint32)
    return words.reshape(*x.shape, 2) if np.dtype(dtype).itemsize == 8 else words


def _from_bits(bits: jax.Array, dtype) -> jax.Array:
    return lax.bitcast_convert_type(bits, dtype)


def _host_argsort(x: jax.Array) -> jax.Array:
    dtype = np.dtype(x.dtype)
    return jax.pure_callback(
        lambda bits: np.argsort(_bits_to_host(bits, dtype), axis=-1).astype(np.int32),
        jax.ShapeDtypeStruct(x.shape, jnp.int32),
        _to_bits(x),
        vmap_method="expand_dims",
    )


def _argsort(x: jax.Array) -> jax.Array:
    """Sorting permutation (int32). On CPU numpy's vectorised sort runs on the host
    (about 4x faster than XLA's CPU sort at n = 1e6); elsewhere ``jnp.argsort``.
    The permutation is piecewise constant, so no gradient flows through it."""
    x = lax.stop_gradient(x)
    return lax.platform_dependent(
        x, cpu=_host_argsort, default=lambda a: jnp.argsort(a).astype(jnp.int32)
    )


def _cumulative(w: jax.Array, uniform: bool) -> jax.Array:
    """Cumulative weights ``[n]``, non-decreasing (``1, 2, ..., n`` when uniform).

    A parallel cumulative sum can round out of order; the running maximum only
    undoes that rounding. Nothing is differentiated through it: :func:`_w1d_pow`
    has its own derivative rule for the weights."""
    if uniform:
        return jnp.arange(1, w.shape[0] + 1, dtype=w.dtype)
    return lax.cummax(jnp.cumsum(w), axis=0)


class _Quantiles(NamedTuple):
    """Both samples sorted, their quantile levels, and the merged steps of
    :math:`t \\mapsto (F_u^{-1}(t), F_v^{-1}(t))`: on the ``k``-th step, of length
    ``steps[k]``, the quantile functions are ``us[iu[k]]`` and ``vs[iv[k]]``.

    The levels are kept in the common unit ``1 / total``: ``cu = cumsum(uw) *
    sum(vw)``, ``cv = cumsum(vw) * sum(uw)``, ``total = sum(uw) * sum(vw)``.
    Cross-multiplying instead of dividing keeps equal levels equal (integer
    weights give exact products), and the last levels are both exactly
    ``total``; a division would not (XLA may divide by multiplying with the
    reciprocal)."""

    pu: jax.Array  # [n] sorting permutation of u
    pv: jax.Array  # [m]
    us: jax.Array  # [n] sorted u
    vs: jax.Array  # [m]
    cu: jax.Array  # [n] levels of u (sorted order), in units of 1 / total
    cv: jax.Array  # [m]
    total: jax.Array  # scalar
    iu: jax.Array  # [K] index into us on each step
    iv: jax.Array  # [K]
    steps: jax.Array  # [K] step lengths, >= 0, summing to 1


def _quantiles(u, v, uw, vw, uniform_u: bool, uniform_v: bool, merge: bool = True) -> _Quantiles:
    """Sort, compute the levels and merge them, O((n + m) log(n + m)); with
    ``merge=False`` and uniform weights on samples of equal size, the sorted
    samples are matched one to one instead. Ties between the two samples'
    levels put the level of ``u`` first."""
    n, m = u.shape[0], v.shape[0]
    pu, pv = _argsort(u), _argsort(v)
    us, vs = u[pu], v[pv]
    su, sv = _cumulative(uw[pu], uniform_u), _cumulative(vw[pv], uniform_v)
    total = su[-1] * sv[-1]
    cu = jnp.minimum(su * sv[-1], total)
    cv = jnp.minimum(sv * su[-1], total)
    if not merge and uniform_u and uniform_v and n == m:
        # equal quantile steps: sorted samples are matched one to one
        idx = jnp.arange(n)
        return _Quantiles(pu, pv, us, vs, cu, cv, total, idx, idx, jnp.full(n, 1.0 / n, us.dtype))
    dtype = us.dtype
    # merge the two sorted level sequences (u first on ties): position of each level
    pos_u = jnp.arange(n) + jnp.searchsorted(cv, cu, side="left")
    pos_v = jnp.arange(m) + jnp.searchsorted(cu, cv, side="right")
    levels = jnp.zeros(n + m, dtype).at[pos_u].set(cu).at[pos_v].set(cv)
    from_u = jnp.zeros(n + m, jnp.int32).at[pos_u].set(1)
    # on (levels[k-1], levels[k]] the quantile functions are us[iu[k]] and vs[iv[k]]
    iu = jnp.minimum(jnp.cumsum(from_u) - from_u, n - 1)
    iv = jnp.minimum(jnp.cumsum(1 - from_u) - (1 - from_u), m - 1)
    steps = jnp.diff(levels, prepend=jnp.zeros(1, dtype)) / total
    return _Quantiles(pu, pv, us, vs, cu, cv, total, iu, iv, steps)


def _abs_pow(d: jax.Array, p: float) -> jax.Array:
    if p == 1.0:
        return jnp.abs(d)
    if p == 2.0:
        return d * d
    return jnp.abs(d) ** p


def _abs_pow_slope(d: jax.Array, p: float) -> jax.Array:
    """Derivative of :math:`|d|^p`: ``p |d|^(p-1) sign(d)``, 0 at ``d = 0`` (``sign(0) = 0``)."""
    if p == 1.0:
        return jnp.sign(d)
    if p == 2.0:
        return 2.0 * d
    return p * jnp.abs(d) ** (p - 1.0) * jnp.sign(d)


def _level_slopes(xs, cx, ys, cy, unit, total, p: float) -> jax.Array:
    r"""Right derivative of :math:`W_p^p` in each (unnormalised) weight of the
    sorted sample ``xs``, the other sample ``ys`` held fixed; ``[n]``.

    Raising the weight of ``xs[k]`` by ``delta`` (then renormalising by the
    total ``S``) moves each level ``cx[j]``, the boundary between ``xs[j]`` and
    ``xs[j+1]``, up at rate ``(1 - cx[j]) / S`` for ``j >= k`` and down at rate
    ``cx[j] / S`` for ``j < k``. Moving a boundary at level ``t`` up (down)
    exchanges ``xs[j]`` for ``xs[j+1]`` against ``F_y^{-1}(t^+)``
    (``F_y^{-1}(t^-)``), so

    .. math::

        \partial^+_{w_k} W_p^p = \frac1S\Big(\sum_{j \ge k} (1 - c_j)\,
        \big[c(x_j, y^+_j) - c(x_{j+1}, y^+_j)\big]
        - \sum_{j < k} c_j \big[c(x_j, y^-_j) - c(x_{j+1}, y^-_j)\big]\Big).

    Tied levels (zero weights) of ``xs`` open in index order in every such
    direction, so the one-sided quantile ``xs[j+1]`` is the right one even when
    it carries no mass. Where no level of ``xs`` equals a level of ``ys``,
    :math:`y^+_j = y^-_j` and this is the ordinary gradient. The levels
    ``cx``, ``cy`` come in units of ``1 / unit`` (see :class:`_Quantiles`);
    ``total`` is ``S``."""
    n, m = xs.shape[0], ys.shape[0]
    nxt = xs[jnp.minimum(jnp.arange(1, n + 1), n - 1)]
    up = ys[jnp.minimum(jnp.searchsorted(cy, cx, side="right"), m - 1)]  # F_y^{-1}(c_j^+)
    down = ys[jnp.minimum(jnp.searchsorted(cy, cx, side="left"), m - 1)]  # F_y^{-1}(c_j^-)
    rise = (unit - cx) / unit * (_abs_pow(xs - up, p) - _abs_pow(nxt - up, p))
    fall = cx / unit * (_abs_pow(xs - down, p) - _abs_pow(nxt - down, p))
    above = jnp.cumsum(rise[::-1])[::-1]  # sum over j >= k
    below = jnp.cumsum(fall) - fall  # sum over j < k
    return (above - below) / total


@functools.partial(jax.custom_jvp, nondiff_argnums=(4, 5, 6))
def _w1d_pow(u, v, uw, vw, p: float, uniform_u: bool, uniform_v: bool) -> jax.Array:
    r"""W_p^p between 1-d weighted samples, ``\int_0^1 |F_u^{-1}(t) - F_v^{-1}(t)|^p dt``.

    ``uw``, ``vw``: non-negative weights ``[n]``, ``[m]`` (any positive total;
    ignored where ``uniform_*``)."""
    q = _quantiles(u, v, uw, vw, uniform_u, uniform_v, merge=False)
    return jnp.sum(q.steps * _abs_pow(q.us[q.iu] - q.vs[q.iv], p))


@_w1d_pow.defjvp
def _w1d_pow_jvp(p, uniform_u, uniform_v, primals, tangents):
    u, v, uw, vw = primals
    du, dv, duw, dvw = tangents
    q = _quantiles(u, v, uw, vw, uniform_u, uniform_v, merge=False)
    diff = q.us[q.iu] - q.vs[q.iv]
    value = jnp.sum(q.steps * _abs_pow(diff, p))
    # values: the quantile coupling held fixed (it is optimal and locally constant)
    slope = q.steps * _abs_pow_slope(diff, p)
    tangent = jnp.sum(slope * (du[q.pu][q.iu] - dv[q.pv][q.iv]))
    # weights: one-sided derivatives in the quantile levels
    if not uniform_u:
        su = _level_slopes(q.us, q.cu, q.vs, q.cv, q.total, jnp.sum(uw), p)
        tangent = tangent + jnp.sum(su * duw[q.pu])
    if not uniform_v:
        sv = _level_slopes(q.vs, q.cv, q.us, q.cu, q.total, jnp.sum(vw), p)
        tangent = tangent + jnp.sum(sv * dvw[q.pv])
    return value, tangent


def _raw_weights(fn: str, name: str, w, n: int, dtype) -> tuple[jax.Array, bool]:
    """Validated weights scaled by a power of two that brings the largest into
    [1/2, 1) (no overflow in the sums; a constant for autodiff), and whether
    they are uniform (``None``). A power of two keeps the scaling exact: the
    cumulative sums of integer or dyadic weights stay exact, and equal
    quantile levels of the two samples come out equal."""
    if w is None:
        return jnp.ones(n, dtype), True
    arr = _weight_array(fn, name, w, n, dtype)
    _, exponent = jnp.frexp(lax.stop_gradient(jnp.max(arr)))
    return arr * jnp.ldexp(jnp.ones((), dtype), -exponent), False


def wasserstein_1d(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    p: float = 1,
) -> jax.Array:
    r"""Exact p-Wasserstein distance between two weighted samples on the line.

    .. math::

        W_p(a, b) = \Big(\int_0^1 \big|F_x^{-1}(t) - F_y^{-1}(t)\big|^p \,dt\Big)^{1/p},

    with :math:`F^{-1}` the quantile functions (the monotone coupling is
    optimal in 1-d). Both samples are sorted, the two sets of quantile levels
    (cumulative weights) merged, and the integral summed exactly: O((n + m)
    log(n + m)). For p = 1 this equals ``scipy.stats.wasserstein_distance``;
    for p > 1 it is the p-th root of POT's ``ot.wasserstein_1d``.

    Derivatives. In the values: the monotone coupling held fixed (at tied
    values the sort picks one order, and the derivative is that order's). In
    the weights: a derivative rule on the cumulative sums, not automatic
    differentiation through the merge. With ``x`` sorted, levels
    :math:`c_j = \sum_{i \le j} a_i / S` (:math:`S = \sum_i a_i`), raising
    :math:`a_k` moves :math:`c_j` up at rate :math:`(1 - c_j)/S` for
    :math:`j \ge k` and down at rate :math:`c_j / S` for :math:`j < k`, so

    .. math::

        \partial^+_{a_k} W_p^p = \frac1S\Big(\sum_{j \ge k} (1 - c_j)\,
        \big[|x_j - y^+_j|^p - |x_{j+1} - y^+_j|^p\big]
        - \sum_{j < k} c_j\,\big[|x_j - y^-_j|^p - |x_{j+1} - y^-_j|^p\big]\Big),

    with :math:`y^\pm_j = F_y^{-1}(c_j^\pm)` (and the same for ``b``). The
    gradient returned holds, for each weight, this derivative as that weight
    *increases*, the others fixed (the right derivative). It is the ordinary
    gradient wherever :math:`W_p` is differentiable in the weights. For a
    weight that is zero (or too small to move a cumulative sum), increasing is
    the one feasible direction, and this is its derivative; it equals what
    the exact solver's dual potentials give (envelope theorem, with the
    largest admissible potential at the massless point). Where a level of
    ``x`` coincides with a level of ``y`` (ties of the cumulative weights),
    :math:`W_p^p` has a kink in the weights, and each component is still that
    weight's right derivative. Ties are recognised where the cumulative sums
    are exact in floating point (integer or dyadic weights, uniform weights);
    levels that differ by rounding count as distinct. No NaN for zero
    weights, ties or identical samples.

    Args:
      x: values ``[n]``.
      y: values ``[m]``.
      a: non-negative weights ``[n]`` or None (uniform); normalised to sum to one.
      b: non-negative weights ``[m]`` or None (uniform).
      p: order, a Python number >= 1 (keyword-only).

    Returns:
      The scalar :math:`W_p`.

    References:
      Villani, "Optimal Transport: Old and New" 2009, Remark 2.19 (quantile
      coupling). Peyre & Cuturi, "Computational Optimal Transport" 2019, section 2.6.

    Example:
      >>> float(wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]))
      5.0
      >>> round(float(wasserstein_1d([0.0, 1.0], [0.0, 1.0], [3.0, 1.0], [1.0, 1.0])), 6)
      0.25
      >>> a = jnp.array([1 / 3, 0.0, 2 / 3])  # the point at 10 carries no mass
      >>> g = jax.grad(wasserstein_1d, argnums=2)(jnp.array([0.0, 10.0, 20.0]), jnp.array([5.0, 15.0]), a)
      >>> round(float(g[1]), 4)  # giving it mass lowers W at this rate
      -6.6667
    """
    fn = "wasserstein_1d"
    p = _check_p(fn, p)
    x = _values_1d(fn, "x", x)
    y = _values_1d(fn, "y", y)
    dtype = _float_dtype(x, y)
    aw, uniform_a = _raw_weights(fn, "a", a, x.shape[0], dtype)
    bw, uniform_b = _raw_weights(fn, "b", b, y.shape[0], dtype)
    return _root(_w1d_pow(x.astype(dtype), y.astype(dtype), aw, bw, p, uniform_a, uniform_b), p)


# ----------------------------------------------------------------------------- exact


def _host_cost(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if p == 2.0:
        return cdist(x, y, "sqeuclidean")
    c = cdist(x, y, "euclidean")
    return c if p == 1.0 else c**p


def _solve_assignment(x, y, p):
    """Uniform weights, n == m: a permutation is an optimal plan (Birkhoff)."""
    rows, cols = linear_sum_assignment(_host_cost(x, y, p))
    return rows, cols


def wasserstein_assignment(x: ArrayLike, y: ArrayLike, *, p: float = 1) -> float:
    r"""Exact :math:`W_p` between two equal-size samples with uniform weights, on the host.

    .. math::

        W_p = \Big(\min_{\sigma} \frac1n \sum_{i=1}^n \|x_i - y_{\sigma(i)}\|_2^p\Big)^{1/p},

    the minimum over permutations :math:`\sigma` (with uniform weights and
    ``n == m`` a permutation is an optimal plan: Birkhoff's theorem), found by
    ``scipy.optimize.linear_sum_assignment`` on the float64 cost matrix. The
    same solver as :func:`wasserstein` on this path, without JAX: numpy in, a
    Python float out, not differentiable (use :func:`wasserstein` for
    gradients). The solver releases the GIL, so a thread pool solves several
    problems at once (:func:`gantoy.gan.metrics.wasserstein_to_sample` does).

    Args:
      x: points ``[n, d]``.
      y: points ``[n, d]``.
      p: order, a Python number >= 1 (keyword-only).

    Returns:
      :math:`W_p` as a Python float.

    Example:
      >>> wasserstein_assignment(np.array([[0.0], [1.0]]), np.array([[3.0], [0.0]]))  # 0 -> 0, 1 -> 3
      1.0
    """
    fn = "wasserstein_assignment"
    p = _check_p(fn, p)
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0 or y.shape != x.shape:
        raise ValueError(
            f"{fn}: arguments `x` and `y` must be non-empty point clouds of the same shape [n, d]; "
            f"got {x.shape} and {y.shape}"
        )
    for name, arr in (("x", x), ("y", y)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{fn}: argument `{name}` has non-finite entries (NaN or inf); shape {arr.shape}")
    cost = _host_cost(x, y, p)
    rows, cols = linear_sum_assignment(cost)
    return float(np.mean(cost[rows, cols]) ** (1.0 / p))


def _solve_emd(x, y, a, b, p):
    """Transport problem by POT's network simplex (``ot.emd``), in float64: a
    vertex plan ``[n, m]`` (at most n + m - 1 nonzeros) and dual potentials
    ``f [n]``, ``g [m]`` (feasible everywhere, zero weights included)."""
    # Imported here, on the first weighted or unequal-size problem, not with
    # gantoy: importing POT takes about a second and loads every array library
    # it finds installed (torch, tensorflow, cupy) to offer them as backends.
    import ot

    cost = _host_cost(x, y, p)
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    a, b = a / a.sum(), b / b.sum()
    plan, log = ot.emd(a, b, cost, numItermax=_EMD_MAX_ITER, log=True)
    if log["result_code"] != 1:  # 1: optimal
        raise RuntimeError(f"wasserstein: POT's network simplex failed: {log['warning']}")
    return np.asarray(plan, np.float64), np.asarray(log["u"], np.float64), np.asarray(log["v"], np.float64)


def _exact_host(x, y, a, b, *, p: float, uniform: bool, dtype):
    """Host solver. Returns a sparse optimal plan (rows, cols, mass) with n + m - 1
    slots (unused slots have mass 0) and dual potentials f [n], g [m]; floats
    travel as bits (see :func:`_to_bits`)."""
    x, y, a, b = (_bits_to_host(t, dtype) for t in (x, y, a, b))
    n, m = x.shape[0], y.shape[0]
    k = n + m - 1
    rows = np.zeros(k, np.int32)
    cols = np.zeros(k, np.int32)
    mass = np.zeros(k, np.float64)
    f = np.zeros(n, np.float64)
    g = np.zeros(m, np.float64)
    if uniform:
        r, c = _solve_assignment(x, y, p)
        rows[:n], cols[:n], mass[:n] = r, c, 1.0 / n
    else:
        plan, f, g = _solve_emd(x, y, a, b, p)
        plan = plan.ravel()
        support = np.flatnonzero(plan > 0)
        if support.size > k:  # a vertex of the transport polytope has at most n + m - 1
            raise RuntimeError(
                f"wasserstein: the network simplex returned a plan with {support.size} > "
                f"n + m - 1 = {k} nonzeros"
            )
        rows[: support.size], cols[: support.size] = support // m, support % m
        mass[: support.size] = plan[support]
    return rows, cols, *(_host_to_bits(t, dtype) for t in (mass, f, g))


def _exact_solve(x, y, a, b, p, uniform):
    n, m = x.shape[0], y.shape[0]
    k = n + m - 1
    dtype = np.dtype(x.dtype)
    words = (2,) if dtype.itemsize == 8 else ()
    shapes = (
        jax.ShapeDtypeStruct((k,), jnp.int32),
        jax.ShapeDtypeStruct((k,), jnp.int32),
        jax.ShapeDtypeStruct((k, *words), jnp.uint32),
        jax.ShapeDtypeStruct((n, *words), jnp.uint32),
        jax.ShapeDtypeStruct((m, *words), jnp.uint32),
    )
    host = functools.partial(_exact_host, p=p, uniform=uniform, dtype=dtype)
    operands = (_to_bits(t) for t in (x, y, a, b))
    rows, cols, *floats = jax.pure_callback(host, shapes, *operands, vmap_method="sequential")
    return rows, cols, *(_from_bits(t, x.dtype) for t in floats)


def _plan_cost(x, y, rows, cols, mass, p):
    return jnp.sum(mass * _ground_cost(x[rows] - y[cols], p))


@functools.partial(jax.custom_vjp, nondiff_argnums=(4, 5))
def _exact_pow(x, y, a, b, p, uniform):
    rows, cols, mass, _, _ = _exact_solve(x, y, a, b, p, uniform)
    return _plan_cost(x, y, rows, cols, mass, p)


def _exact_pow_fwd(x, y, a, b, p, uniform):
    rows, cols, mass, f, g = _exact_solve(x, y, a, b, p, uniform)
    return _plan_cost(x, y, rows, cols, mass, p), (x, y, a, b, rows, cols, mass, f, g)


def _largest_potentials(cost, a, b, f, g):
    r"""Dual potentials for the weight gradient: where ``a_i = 0`` (``b_j = 0``) the
    largest value the optimal duals allow, the c-transform
    :math:`f_i = \min_{j: b_j > 0} C_{ij} - g_j` (no constraint of the plan ties it
    down; raising that weight from zero changes W_p^p at this rate, the right
    derivative)."""
    big = jnp.asarray(jnp.inf, cost.dtype)
    f_top = jnp.min(jnp.where(b[None, :] > 0, cost - g[None, :], big), axis=1)
    g_top = jnp.min(jnp.where(a[:, None] > 0, cost - f[:, None], big), axis=0)
    return jnp.where(a > 0, f, f_top), jnp.where(b > 0, g, g_top)


def _exact_pow_bwd(p, uniform, residuals, ct):
    # envelope theorem: the optimal plan (resp. the dual potentials) is held fixed
    x, y, a, b, rows, cols, mass, f, g = residuals
    _, vjp = jax.vjp(lambda x_, y_: _plan_cost(x_, y_, rows, cols, mass, p), x, y)
    gx, gy = vjp(ct)
    if not uniform:  # the assignment path has no weights to differentiate
        f, g = _largest_potentials(lax.stop_gradient(_cost_matrix(x, y, p)), a, b, f, g)
    return gx, gy, ct * f, ct * g


_exact_pow.defvjp(_exact_pow_fwd, _exact_pow_bwd)


def _exact_sizes(fn: str, n: int, m: int, uniform: bool) -> None:
    if uniform and n > MAX_ASSIGNMENT_SIZE:
        raise ValueError(
            f"{fn}: n = {n} points exceed MAX_ASSIGNMENT_SIZE = {MAX_ASSIGNMENT_SIZE} for the "
            "exact solver; use sinkhorn or sliced_wasserstein for large clouds"
        )
    if not uniform and n * m > MAX_EMD_SIZE:
        raise ValueError(
            f"{fn}: n * m = {n} * {m} exceeds MAX_EMD_SIZE = {MAX_EMD_SIZE} for the exact "
            "network simplex solver (weighted or n != m); use sinkhorn or sliced_wasserstein "
            "for large clouds"
        )


def wasserstein(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    p: float = 1,
) -> jax.Array:
    r"""Exact p-Wasserstein distance between weighted point clouds, Euclidean ground cost.

    .. math::

        W_p = \Big(\min_{P \ge 0,\ P 1 = a,\ P^\top 1 = b}
              \sum_{ij} P_{ij} \|x_i - y_j\|_2^p\Big)^{1/p}.

    The linear programme is solved exactly on the host in float64
    (``jax.pure_callback``; it works under ``jit`` and ``vmap``): with
    ``a = b = None`` and ``n == m`` a permutation is optimal and
    ``scipy.optimize.linear_sum_assignment`` finds it (``n <=
    MAX_ASSIGNMENT_SIZE``); otherwise POT's network simplex (``ot.emd``)
    solves the transport problem and gives its dual potentials (``n * m <=
    MAX_EMD_SIZE``). Larger problems raise ``ValueError``: use :func:`sinkhorn`
    or :func:`sliced_wasserstein` there.

    Gradients follow the envelope theorem: with the optimal plan :math:`P^*`
    and dual potentials :math:`(f, g)` held fixed,
    :math:`\partial W_p^p / \partial x_i = \sum_j P^*_{ij} \nabla_x c(x_i, y_j)`
    and :math:`\partial W_p^p / \partial a = f` (projected on the simplex by
    the normalisation of ``a``). Where the optimal plan is not unique the
    gradient in the points is one element of the superdifferential. In the
    weights, :math:`W_p^p` is convex and piecewise linear; where ``a_i = 0``
    (``b_j = 0``) the potential is not pinned down by the plan, and the largest
    admissible one is used, the c-transform
    :math:`f_i = \min_{j: b_j > 0} C_{ij} - g_j`: the derivative as that weight
    increases from zero, the one feasible direction (this assumes the
    potentials of the other points are unique up to a constant, as they are
    when the plan's support connects all of them). Weight gradients are
    available when ``a`` or ``b`` is given (the assignment path has no duals
    and no weights). :func:`wasserstein_plan` returns the plan itself.

    Args:
      x: points ``[n, d]``.
      y: points ``[m, d]``.
      a: non-negative weights ``[n]`` or None (uniform).
      b: non-negative weights ``[m]`` or None (uniform).
      p: order, a Python number >= 1 (keyword-only); the ground cost is :math:`\|x - y\|^p`.

    Returns:
      The scalar :math:`W_p`.

    References:
      Kantorovich, "On the translocation of masses", 1942. Peyre & Cuturi,
      "Computational Optimal Transport" 2019, chapter 3. Arjovsky, Chintala &
      Bottou, "Wasserstein GAN", ICML 2017, Example 1 (W between parallel lines).

    Example:
      >>> z = jnp.linspace(0.0, 1.0, 5)[:, None]
      >>> line = lambda theta: jnp.concatenate([jnp.full_like(z, theta), z], axis=1)
      >>> float(wasserstein(line(0.5), line(0.0)))  # Example 1 of the WGAN paper: |theta|
      0.5
      >>> float(jax.grad(lambda t: wasserstein(line(t), line(0.0)))(-0.5))  # sign(theta)
      -1.0
    """
    fn = "wasserstein"
    p = _check_p(fn, p)
    x, y, dtype = _point_clouds(fn, x, y)
    n, m = x.shape[0], y.shape[0]
    aw = _weights(fn, "a", a, n, dtype)
    bw = _weights(fn, "b", b, m, dtype)
    uniform = aw is None and bw is None and n == m
    _exact_sizes(fn, n, m, uniform)
    aw = jnp.full((n,), 1.0 / n, dtype) if aw is None else aw
    bw = jnp.full((m,), 1.0 / m, dtype) if bw is None else bw
    return _root(_exact_pow(x, y, aw, bw, p, uniform), p)


# ----------------------------------------------------------------------------- plans


class TransportPlan(NamedTuple):
    """An optimal coupling, as :func:`wasserstein_plan` and :func:`wasserstein_1d_plan`
    return it (all fields are constants for autodiff: differentiate
    :func:`wasserstein` or :func:`wasserstein_1d` instead).

    Attributes:
      distance: :math:`W_p`.
      cost: :math:`\\langle P, C\\rangle = W_p^p`, with :math:`C_{ij} = \\|x_i - y_j\\|^p`.
      plan: the optimal plan ``[n, m]``: mass moved from ``x_i`` to ``y_j``; rows
        sum to ``a``, columns to ``b`` (both normalised).
      f: dual potential ``[n]``, or None where the solver has none.
      g: dual potential ``[m]``, or None. When present,
        :math:`f_i + g_j \\le C_{ij}` for all ``i, j``, with equality where
        :math:`P_{ij} > 0`, and :math:`\\langle a, f\\rangle + \\langle b, g\\rangle = W_p^p`.
    """

    distance: jax.Array
    cost: jax.Array
    plan: jax.Array
    f: jax.Array | None
    g: jax.Array | None


def _plan_host(x, y, a, b, *, p: float, assignment: bool, dtype):
    """Host solver for :func:`wasserstein_plan`: the dense plan and, from the
    network simplex, the dual potentials (floats travel as bits, see :func:`_to_bits`)."""
    x, y, a, b = (_bits_to_host(t, dtype) for t in (x, y, a, b))
    n, m = x.shape[0], y.shape[0]
    if assignment:
        rows, cols = _solve_assignment(x, y, p)
        plan = np.zeros((n, m))
        plan[rows, cols] = 1.0 / n
        f, g = np.zeros(n), np.zeros(m)
    else:
        plan, f, g = _solve_emd(x, y, a, b, p)
    return tuple(_host_to_bits(t, dtype) for t in (plan, f, g))


def wasserstein_plan(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    p: float = 1,
) -> TransportPlan:
    r"""The exact optimal transport plan between weighted point clouds, and its potentials.

    Solves the same linear programme as :func:`wasserstein` and returns the
    coupling: ``plan[i, j]`` is the mass that moves from ``x_i`` to ``y_j``.
    With ``n * m <= MAX_EMD_SIZE`` POT's network simplex (``ot.emd``, in
    float64) solves it and also gives the dual potentials ``f``, ``g``; beyond
    that, for uniform weights and ``n == m`` (up to ``MAX_ASSIGNMENT_SIZE``),
    the plan is an optimal permutation from
    ``scipy.optimize.linear_sum_assignment`` and ``f = g = None``. The plan is
    a vertex of the transport polytope (at most ``n + m - 1`` nonzeros; a
    permutation divided by ``n`` for uniform weights and ``n == m``). Where
    several plans are optimal, any one of them may come back. Works under
    ``jit`` and ``vmap`` (a host callback).

    Args:
      x: points ``[n, d]``.
      y: points ``[m, d]``.
      a: non-negative weights ``[n]`` or None (uniform).
      b: non-negative weights ``[m]`` or None (uniform).
      p: order, a Python number >= 1 (keyword-only).

    Returns:
      A :class:`TransportPlan`.

    Example:
      >>> x = jnp.array([[0.0, 0.0], [0.0, 1.0]])
      >>> res = wasserstein_plan(x, x[::-1] + jnp.array([[1.0, 0.0]]))  # move right by 1
      >>> float(res.distance), res.plan.tolist()
      (1.0, [[0.0, 0.5], [0.5, 0.0]])
    """
    fn = "wasserstein_plan"
    p = _check_p(fn, p)
    x, y, dtype = _point_clouds(fn, x, y)
    n, m = x.shape[0], y.shape[0]
    aw = _weights(fn, "a", a, n, dtype)
    bw = _weights(fn, "b", b, m, dtype)
    uniform = aw is None and bw is None and n == m
    assignment = n * m > MAX_EMD_SIZE
    _exact_sizes(fn, n, m, uniform and assignment)
    aw = jnp.full((n,), 1.0 / n, dtype) if aw is None else aw
    bw = jnp.full((m,), 1.0 / m, dtype) if bw is None else bw
    np_dtype = np.dtype(dtype)
    words = (2,) if np_dtype.itemsize == 8 else ()
    shapes = tuple(jax.ShapeDtypeStruct((*s, *words), jnp.uint32) for s in ((n, m), (n,), (m,)))
    host = functools.partial(_plan_host, p=p, assignment=assignment, dtype=np_dtype)
    operands = (_to_bits(lax.stop_gradient(t)) for t in (x, y, aw, bw))
    plan, f, g = (
        _from_bits(t, dtype)
        for t in jax.pure_callback(host, shapes, *operands, vmap_method="sequential")
    )
    cost = jnp.sum(plan * _cost_matrix(lax.stop_gradient(x), lax.stop_gradient(y), p))
    if assignment:
        f = g = None
    return TransportPlan(_root(cost, p), cost, plan, f, g)


def wasserstein_1d_plan(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    p: float = 1,
) -> TransportPlan:
    r"""The monotone (quantile) coupling between two weighted samples on the line.

    The optimal plan of :func:`wasserstein_1d`: the mass between quantile
    levels ``t`` and ``t + dt`` moves from :math:`F_x^{-1}(t)` to
    :math:`F_y^{-1}(t)`. Its dual potentials come from the staircase the
    merged levels trace through the sorted ``[n, m]`` grid (ties: the level of
    ``x`` first): :math:`f_0 = 0` and :math:`f_i + g_j = C_{ij}` along it. For
    :math:`c(x, y) = |x - y|^p`, ``p >= 1``, the sorted cost matrix is a Monge
    array, so these potentials are feasible everywhere and therefore optimal.
    O((n + m) log(n + m)) for the potentials; the dense plan is ``[n, m]``.

    Args:
      x: values ``[n]``.
      y: values ``[m]``.
      a: non-negative weights ``[n]`` or None (uniform).
      b: non-negative weights ``[m]`` or None (uniform).
      p: order, a Python number >= 1 (keyword-only).

    Returns:
      A :class:`TransportPlan` (``f`` and ``g`` always present).

    Example:
      >>> res = wasserstein_1d_plan(jnp.array([2.0, 0.0]), jnp.array([1.0, 3.0, 5.0]), a=jnp.array([1.0, 2.0]))
      >>> (3 * res.plan).round(6).tolist()  # rows: 2.0, 0.0; columns: 1.0, 3.0, 5.0
      [[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
      >>> round(float(res.cost), 4)  # (1 + 3 + 3) / 3
      2.3333
    """
    fn = "wasserstein_1d_plan"
    p = _check_p(fn, p)
    x = _values_1d(fn, "x", x)
    y = _values_1d(fn, "y", y)
    dtype = _float_dtype(x, y)
    n, m = x.shape[0], y.shape[0]
    aw, uniform_a = _raw_weights(fn, "a", a, n, dtype)
    bw, uniform_b = _raw_weights(fn, "b", b, m, dtype)
    x, y, aw, bw = (lax.stop_gradient(t.astype(dtype)) for t in (x, y, aw, bw))
    q = _quantiles(x, y, aw, bw, uniform_a, uniform_b, merge=True)
    plan = jnp.zeros((n, m), dtype).at[q.pu[q.iu], q.pv[q.iv]].add(q.steps)
    cost = jnp.sum(q.steps * _abs_pow(q.us[q.iu] - q.vs[q.iv], p))
    us, vs = q.us, q.vs
    # crossing the k-th level of x moves the staircase from row k to row k + 1 in
    # the column the levels of y have reached (strictly below: x first on ties)
    col = vs[jnp.minimum(jnp.searchsorted(q.cv, q.cu[:-1], side="left"), m - 1)]
    df = _abs_pow(us[1:] - col, p) - _abs_pow(us[:-1] - col, p)
    row = us[jnp.minimum(jnp.searchsorted(q.cu, q.cv[:-1], side="right"), n - 1)]
    dg = _abs_pow(row - vs[1:], p) - _abs_pow(row - vs[:-1], p)
    zero = jnp.zeros(1, dtype)
    f_sorted = jnp.concatenate([zero, jnp.cumsum(df)])
    g_sorted = _abs_pow(us[0] - vs[0], p) + jnp.concatenate([zero, jnp.cumsum(dg)])
    f = jnp.zeros(n, dtype).at[q.pu].set(f_sorted)
    g = jnp.zeros(m, dtype).at[q.pv].set(g_sorted)
    return TransportPlan(_root(cost, p), cost, plan, f, g)


# ----------------------------------------------------------------------------- Sinkhorn


class SinkhornResult(NamedTuple):
    """What :func:`sinkhorn` returns.

    Attributes:
      cost: :math:`\\langle P, C\\rangle`, the transport cost of the entropic plan.
      plan: the entropic plan ``[n, m]``.
      f: dual potential ``[n]`` (``-inf`` where ``a_i = 0``).
      g: dual potential ``[m]`` (``-inf`` where ``b_j = 0``).
      objective: the dual value :math:`\\langle f, a\\rangle + \\langle g, b\\rangle
        - \\varepsilon \\sum P + \\varepsilon`, equal at convergence to the entropic OT value
        :math:`\\langle P, C\\rangle + \\varepsilon \\sum P \\log P`; the one field that carries
        gradients, in ``x``, ``y``, ``a`` and ``b`` (envelope theorem: its derivative in ``C``
        is ``P``, in ``a`` and ``b`` it is ``f`` and ``g``).
      marginal_error: L2 norm of :math:`P^\\top 1 - b` after the last iteration
        (rows are exact after each iteration).
      converged: ``marginal_error <= tol``.
      n_iter: the number of iterations run.
    """

    cost: jax.Array
    plan: jax.Array
    f: jax.Array
    g: jax.Array
    objective: jax.Array
    marginal_error: jax.Array
    converged: jax.Array
    n_iter: jax.Array


def _lse(z: jax.Array, axis: int) -> jax.Array:
    """log-sum-exp along ``axis``; ``-inf`` (not NaN) for an all ``-inf`` slice."""
    mx = jnp.max(z, axis=axis, keepdims=True)
    mx = jnp.where(jnp.isfinite(mx), mx, 0.0)
    return jnp.log(jnp.sum(jnp.exp(z - mx), axis=axis)) + jnp.squeeze(mx, axis)


def _xdot(w: jax.Array, pot: jax.Array) -> jax.Array:
    """``sum(w * pot)`` with ``0 * (-inf) = 0``."""
    return jnp.sum(jnp.where(w > 0, w * jnp.where(w > 0, pot, 0.0), 0.0))


def sinkhorn(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    epsilon: float,
    p: float = 1,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> SinkhornResult:
    r"""Entropic optimal transport by log-domain Sinkhorn iterations.

    Solves :math:`\min_P \langle P, C\rangle + \varepsilon \sum_{ij} P_{ij}\log P_{ij}`
    over couplings of ``a`` and ``b``, with :math:`C_{ij} = \|x_i - y_j\|^p`, by
    alternating the exact updates of the dual potentials

    .. math::

        g_j = \varepsilon \log b_j - \varepsilon \log \sum_i e^{(f_i - C_{ij})/\varepsilon},
        \qquad
        f_i = \varepsilon \log a_i - \varepsilon \log \sum_j e^{(g_j - C_{ij})/\varepsilon},

    with :math:`P_{ij} = e^{(f_i + g_j - C_{ij})/\varepsilon}`, all in log space
    (log-sum-exp), so that small :math:`\varepsilon` does not overflow or give
    NaN. The iteration starts from :math:`f = 0`, updates ``g`` then ``f`` (the
    sequence of POT's ``sinkhorn_log``, with the same iterates) and stops once
    the column marginal error :math:`\|P^\top 1 - b\|_2 \le` ``tol`` or after
    ``max_iter`` iterations; it runs in one ``lax.while_loop`` and works under
    ``jit`` and ``vmap``. Two implementation details keep it fast and accurate:
    each log-sum-exp is shifted by the current potentials (one pass over the
    ``[n, m]`` matrix; the max-shifted form is used only where a sum underflows),
    and large potentials are absorbed into the stored ``C / epsilon`` so that
    float32 keeps its precision when ``C / epsilon`` is large. In float32 the
    plan still carries relative errors of order ``1e-7 * max(C) / epsilon``
    from the cost matrix itself.

    Reverse-mode gradients: ``objective`` is differentiable in ``x``, ``y``
    and the weights (envelope theorem: :math:`\partial/\partial C_{ij} = P_{ij}`,
    :math:`\partial/\partial a = f`, :math:`\partial/\partial b = g`); the
    other fields are returned as constants (``stop_gradient``).

    Args:
      x: points ``[n, d]``.
      y: points ``[m, d]``.
      a: non-negative weights ``[n]`` or None (uniform).
      b: non-negative weights ``[m]`` or None (uniform).
      epsilon: entropic regularisation, > 0 (in the units of the cost; keyword-only,
        no default: the right value depends on the scale of the cost).
      p: ground cost exponent (>= 1); ``p = 2`` is the squared Euclidean cost.
      max_iter: iteration cap.
      tol: tolerance on the L2 norm of the column marginal error.

    Returns:
      A :class:`SinkhornResult`.

    References:
      Cuturi, "Sinkhorn Distances: Lightspeed Computation of Optimal Transport",
      NeurIPS 2013. Peyre & Cuturi, "Computational Optimal Transport" 2019,
      section 4.4 (log-domain stabilisation).

    Example:
      >>> x = jnp.array([[0.0], [1.0]])
      >>> res = sinkhorn(x, x + 0.1, epsilon=0.05, p=2)  # W_2^2 = 0.01
      >>> round(float(res.cost), 6), bool(res.converged)
      (0.01, True)
    """
    fn = "sinkhorn"
    p = _check_p(fn, p)
    x, y, dtype = _point_clouds(fn, x, y)
    if _is_concrete(epsilon) and not float(epsilon) > 0:
        raise ValueError(f"{fn}: argument `epsilon` must be > 0; got {epsilon!r}")
    _check_count(fn, "max_iter", max_iter)
    if _is_concrete(tol) and not float(tol) >= 0:
        raise ValueError(f"{fn}: argument `tol` must be >= 0; got {tol!r}")
    n, m = x.shape[0], y.shape[0]
    aw = _weights(fn, "a", a, n, dtype)
    bw = _weights(fn, "b", b, m, dtype)
    aw = jnp.full((n,), 1.0 / n, dtype) if aw is None else aw
    bw = jnp.full((m,), 1.0 / m, dtype) if bw is None else bw
    eps = jnp.asarray(epsilon, dtype)

    cost_live = _cost_matrix(x, y, p)
    cost = lax.stop_gradient(cost_live)
    scaled = cost / eps  # [n, m]
    log_a, log_b = jnp.log(lax.stop_gradient(aw)), jnp.log(lax.stop_gradient(bw))
    b_const = lax.stop_gradient(bw)

    # Scaled potentials u = f / eps, v = g / eps, in two parts: (pot_u, pot_v)
    # absorbed into the kernel kern = C / eps - pot_u - pot_v, and the small
    # remainder (u, v). Absorbing keeps u + v - kern free of the cancellation
    # between large numbers that would cost float32 its accuracy when C / eps is
    # large. After each half-step the plan's rows (columns) sum to a (b), so
    # log P_ij = u_i + v_j - kern_ij <= 0 and its exponentials cannot overflow:
    # the log-sum-exp can use the current potentials as its shift and needs one
    # pass over the matrix, not two. Only where a sum underflows (small
    # epsilon, early iterations) is the max-shifted log-sum-exp computed instead.
    a_pos, b_pos = aw > 0, bw > 0
    tiny = jnp.finfo(dtype).tiny / jnp.finfo(dtype).eps ** 2
    absorb_above = 16.0  # |u|, |v| beyond this move into the kernel

    def log_plan(kern, u, v):
        return u[:, None] + v[None, :] - kern

    def log_marginal(kern, u, v, axis):
        sums = jnp.sum(jnp.exp(log_plan(kern, u, v)), axis=axis)
        ok = jnp.all((sums >= tiny) | ~(a_pos if axis == 1 else b_pos))
        # the fallback recomputes log_plan so that it is never materialised on the fast path
        return lax.cond(ok, lambda: jnp.log(sums), lambda: _lse(log_plan(kern, u, v), axis=axis))

    def absorb(parts):
        kern, u, v, pot_u, pot_v = parts
        du, dv = jnp.where(a_pos, u, 0.0), jnp.where(b_pos, v, 0.0)  # -inf (zero weight) stays
        return kern - du[:, None] - dv[None, :], u - du, v - dv, pot_u + du, pot_v + dv

    def body(state):
        kern, u, v, pot_u, pot_v, log_col, _, it = state
        v = jnp.where(b_pos, v + log_b - log_col, -jnp.inf)  # columns now sum to b
        u = jnp.where(a_pos, u + log_a - log_marginal(kern, u, v, 1), -jnp.inf)  # rows sum to a
        large = jnp.maximum(
            jnp.max(jnp.where(a_pos, jnp.abs(u), 0.0)), jnp.max(jnp.where(b_pos, jnp.abs(v), 0.0))
        )
        kern, u, v, pot_u, pot_v = lax.cond(
            large > absorb_above, absorb, lambda parts: parts, (kern, u, v, pot_u, pot_v)
        )
        log_col = log_marginal(kern, u, v, 0)
        err = jnp.linalg.norm(jnp.exp(log_col) - b_const)
        return kern, u, v, pot_u, pot_v, log_col, err, it + 1

    def cond(state):
        return (state[6] > tol) & (state[7] < max_iter)

    u0, v0 = jnp.zeros(n, dtype), jnp.zeros(m, dtype)
    init = (scaled, u0, v0, u0, v0, log_marginal(scaled, u0, v0, 0), jnp.asarray(jnp.inf, dtype),
            jnp.asarray(0, jnp.int32))
    kern, u, v, pot_u, pot_v, _, err, it = lax.while_loop(cond, body, init)

    plan = jnp.exp(log_plan(kern, u, v))
    f, g = eps * (pot_u + u), eps * (pot_v + v)
    # The dual value <f, a> + <g, b> - eps sum(P) + eps; the last term, zero in
    # value, makes its derivative in C exactly the plan (envelope theorem).
    objective = (
        _xdot(aw, f)
        + _xdot(bw, g)
        - eps * jnp.sum(plan)
        + eps
        + jnp.sum(plan * (cost_live - cost))
    )
    return SinkhornResult(
        cost=jnp.sum(plan * cost),
        plan=plan,
        f=f,
        g=g,
        objective=objective,
        marginal_error=err,
        converged=err <= tol,
        n_iter=it,
    )


# ----------------------------------------------------------------------------- sliced


def sliced_wasserstein(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    key: jax.Array,
    n_projections: int,
    p: float = 1,
) -> jax.Array:
    r"""Monte Carlo sliced p-Wasserstein distance, built on the exact 1-d solver.

    .. math::

        SW_p(\mu, \nu) = \Big(\mathbb E_{\omega \sim U(S^{d-1})}\,
        W_p^p(\omega_\# \mu, \omega_\# \nu)\Big)^{1/p}
        \approx \Big(\frac1K \sum_{k=1}^K
        W_p^p(\langle \omega_k, x\rangle, \langle \omega_k, y\rangle)\Big)^{1/p},

    with ``K = n_projections`` directions drawn uniformly on the sphere from
    ``key`` (the rows of ``jax.random.normal(key, (K, d))``, normalised). Each
    projected problem is the 1-d problem of
    :func:`wasserstein_1d` (batched with ``jax.vmap``); the cost is
    O(K (n + m) log(n + m)). Differentiable in ``x``, ``y`` and the weights.
    :math:`SW_p \le W_p`.

    Weight gradients are those of :func:`wasserstein_1d`, averaged over the
    directions: for each weight, the derivative as that weight increases (for
    a zero weight, the one feasible direction).

    Args:
      x: points ``[n, d]``.
      y: points ``[m, d]``.
      a: non-negative weights ``[n]`` or None (uniform).
      b: non-negative weights ``[m]`` or None (uniform).
      key: a ``jax.random`` key for the directions (keyword-only).
      n_projections: number of directions ``K`` (keyword-only).
      p: order, a Python number >= 1 (keyword-only).

    Returns:
      The scalar Monte Carlo estimate of :math:`SW_p`.

    References:
      Rabin, Peyre, Delon & Bernot, "Wasserstein Barycenter and its Application
      to Texture Mixing", SSVM 2011. Bonneel, Rabin, Peyre & Pfister, "Sliced
      and Radon Wasserstein Barycenters of Measures", JMIV 2015.

    Example:
      >>> x = jnp.zeros((4, 3))
      >>> sw = sliced_wasserstein(x, x, key=jax.random.key(0), n_projections=8)
      >>> float(sw)
      0.0
    """
    fn = "sliced_wasserstein"
    p = _check_p(fn, p)
    x, y, dtype = _point_clouds(fn, x, y)
    _check_count(fn, "n_projections", n_projections)
    aw, uniform_a = _raw_weights(fn, "a", a, x.shape[0], dtype)
    bw, uniform_b = _raw_weights(fn, "b", b, y.shape[0], dtype)
    directions = jax.random.normal(key, (n_projections, x.shape[1]), dtype)
    directions = directions / jnp.linalg.norm(directions, axis=1, keepdims=True)
    xp, yp = x @ directions.T, y @ directions.T  # [n, K], [m, K]
    per_direction = jax.vmap(
        lambda u, v: _w1d_pow(u, v, aw, bw, p, uniform_a, uniform_b), in_axes=(1, 1)
    )(xp, yp)
    return _root(jnp.mean(per_direction), p)

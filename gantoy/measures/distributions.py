r"""Distributions supported on low-dimensional sets (the supports of GAN theory).

Each distribution is a pure, immutable object registered as a JAX pytree: its
array fields are leaves (so ``jax.grad`` / ``jax.jit`` / ``jax.vmap`` see them)
and its settings are static. Every one has

* ``sample(key, n) -> [n, d]``, reparameterised: differentiable in the
  distribution's parameters (means, offsets, curve coefficients, MLP weights);
* where it makes sense, ``log_prob_smoothed(x, sigma) -> [n]``: the log density
  of the Gaussian-smoothed law :math:`P_\sigma = P * \mathcal N(0, \sigma^2 I)`,

  .. math::
     p_\sigma(x) = \int \mathcal N(x;\, y, \sigma^2 I)\, dP(y),

  computed in log space (``logsumexp`` over mixture components, ``log_ndtr``
  differences for segments, ``i0e`` for circles, a polyline for curves);
* ``quadrature(sigma, order) -> (nodes [N, d], log_weights [N])``: a rule with
  :math:`E_{P_\sigma}[f] \approx \sum_j e^{\log w_j} f(x_j)`, used by
  :mod:`gantoy.distances.smoothed`. The nodes are reparameterised too.

The supports: segments (and the two parallel lines of the WGAN paper's
Example 1), parametric curves (random curves, the Swiss roll), circles,
Gaussians (possibly of low rank) and isotropic Gaussian mixtures (the ring of 8
and the grid of 25), and the push-forward of :math:`U[0,1]^k` through a random
MLP into :math:`\mathbb R^D`. The named constructors check their inputs
(``ValueError`` naming the argument); the classes themselves do not, because
JAX rebuilds them with placeholder leaves.

References:
  Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN", Example 1.
  Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs".
  Metz et al. (2016), "Unrolled Generative Adversarial Networks" (ring of 8).
  Gulrajani et al. (2017), "Improved Training of Wasserstein GANs" (toy data).

Example:
    >>> import jax
    >>> ring = ring8()
    >>> ring.sample(jax.random.key(0), 5).shape
    (5, 2)
    >>> [round(float(v), 6) + 0.0 for v in ring.modes[2]]   # mode k at angle 2 pi k / 8
    [0.0, 2.0]
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import i0e, log_ndtr, logsumexp

from gantoy._checks import _check_order, _check_sigma, _concrete, _positive_definite
from gantoy._nn import ACTIVATIONS, mlp_apply, mlp_init, safe_norm

__all__ = [
    "Segment",
    "Curve",
    "Circle",
    "Gaussian",
    "GaussianMixture",
    "Pushforward",
    "segment",
    "parallel_lines",
    "curve",
    "random_curve",
    "circle",
    "swiss_roll",
    "gaussian",
    "gaussian_mixture",
    "ring8",
    "grid25",
    "random_pushforward",
]

Array = jax.Array
ArrayLike = jax.typing.ArrayLike

_LOG_2PI = math.log(2.0 * math.pi)


# --- checks (only on concrete values: under jit the inputs are tracers) -------


def _positive(x) -> bool:
    """``all(x > 0)`` for concrete ``x``; ``True`` when traced (cannot tell)."""
    c = _concrete(x)
    return True if c is None else bool(np.all(c > 0))


def _check_n(n) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int; got {n!r}")
    return int(n)


def _check_smoothing(dist, sigma, why: str | Callable[[], str]) -> None:
    """``sigma`` a finite scalar ``>= 0``, and ``> 0`` when ``dist`` has no density.

    ``why`` (or ``why()``, called only for the message) says what makes the
    support sharp. Only concrete values are checked:
    under ``jit`` the log densities return NaN instead (see :func:`_nan_unless`).
    """
    _check_sigma(sigma, positive=False)
    s = _concrete(sigma)
    if s is not None and s == 0 and not dist.has_density():
        raise ValueError(
            f"sigma must be > 0: {type(dist).__name__} has no density without smoothing "
            f"({why() if callable(why) else why}); got sigma = 0.0"
        )


def _nan_unless(ok: Array, logp: Array) -> Array:
    """``logp`` where ``ok``, NaN elsewhere: a sharp support at ``sigma = 0`` under ``jit``."""
    return jnp.where(ok, logp, jnp.nan)


def _check_points(x, dim: int, name: str = "x") -> Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape [n, {dim}]; got {x.shape}")
    return x


def _as_float(x) -> Array:
    return jnp.asarray(x, dtype=jnp.result_type(float))


def _vector(x, name: str, dim: int | None = None) -> Array:
    x = _as_float(x)
    c = _concrete(x)
    if x.ndim != 1 or (dim is not None and x.shape[0] != dim):
        want = f"[{dim}]" if dim is not None else "[d]"
        raise ValueError(f"{name} must have shape {want}; got {x.shape}")
    if c is not None and not np.all(np.isfinite(c)):
        raise ValueError(f"{name} must be finite; got {c}")
    return x


def _scalar(x, name: str, *, positive: bool = False, nonneg: bool = False) -> Array:
    x = _as_float(x)
    if x.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got shape {x.shape}")
    c = _concrete(x)
    if c is not None:
        if not np.isfinite(c) or (positive and c <= 0) or (nonneg and c < 0):
            need = " > 0" if positive else (" >= 0" if nonneg else "")
            raise ValueError(f"{name} must be finite{need}; got {float(c)!r}")
    return x


# --- numerics shared by the classes ----------------------------------------------


@functools.lru_cache(maxsize=None)
def _hermite(order: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite rule for ``N(0, I_dim)``: nodes ``[order**dim, dim]``, log weights."""
    z, w = np.polynomial.hermite_e.hermegauss(order)
    logw = np.log(w / w.sum())
    grids = np.meshgrid(*([z] * dim), indexing="ij")
    lgrids = np.meshgrid(*([logw] * dim), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    return nodes, sum(g.ravel() for g in lgrids)


@functools.lru_cache(maxsize=None)
def _legendre01(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre rule on ``[0, 1]``: nodes ``[n]``, log weights ``[n]``."""
    t, w = np.polynomial.legendre.leggauss(n)
    return (t + 1.0) / 2.0, np.log(w / 2.0)


def _smooth_nodes(centres: Array, log_w: Array, scale, order: int) -> tuple[Array, Array]:
    """Product rule: base nodes ``[m, d]`` (log weights ``[m]``) times Gauss-Hermite.

    ``scale`` is a scalar standard deviation, or ``[m]`` one per base node.
    Returns nodes ``[m * order**d, d]`` and their log weights.
    """
    d = centres.shape[1]
    z, lz = _hermite(order, d)
    z = jnp.asarray(z, centres.dtype)
    scale = jnp.asarray(scale, centres.dtype)
    if scale.ndim == 0:
        scale = jnp.broadcast_to(scale, centres.shape[:1])
    nodes = centres[:, None, :] + scale[:, None, None] * z[None, :, :]
    lw = log_w[:, None] + jnp.asarray(lz, centres.dtype)[None, :]
    return nodes.reshape(-1, d), lw.reshape(-1)


def _log1mexp(a: Array) -> Array:
    """``log(1 - exp(a))`` for ``a <= 0`` (Maechler 2012), ``-inf`` at ``a = 0``."""
    return jnp.where(a > -math.log(2.0), jnp.log(-jnp.expm1(a)), jnp.log1p(-jnp.exp(a)))


def _log_ndtr_diff(hi: Array, lo: Array) -> Array:
    r"""``log(Phi(hi) - Phi(lo))`` for ``hi > lo``, accurate in both tails, NaN-free gradients.

    Reflects to the lower tail (:math:`\Phi(h) - \Phi(l) = \Phi(-l) - \Phi(-h)`)
    when the interval's midpoint is positive, where ``log_ndtr`` keeps its digits.
    """
    flip = hi + lo > 0
    hi, lo = jnp.where(flip, -lo, hi), jnp.where(flip, -hi, lo)
    top = log_ndtr(hi)
    return top + _log1mexp(log_ndtr(lo) - top)


@jax.jit
def _segment_logpdf(x: Array, a: Array, b: Array, s) -> Array:
    r"""Log density at ``x [n, d]`` of uniform-on-segment ``[a, b]`` (``[m, d]`` each) * N(0, s^2 I).

    With :math:`L = |b - a|`, :math:`u = (b - a)/L`, :math:`t = \langle x - a, u\rangle`
    and :math:`x_\perp = x - a - t u`:

    .. math::
       \log p = -\frac{|x_\perp|^2}{2 s^2} - \frac{d-1}{2}\log(2\pi s^2) - \log L
                + \log\Big[\Phi\big(\tfrac{t}{s}\big) - \Phi\big(\tfrac{t - L}{s}\big)\Big].

    A segment much shorter than ``s`` falls back to a point at its midpoint.
    Returns ``[n, m]``.
    """
    d = x.shape[1]
    s = jnp.asarray(s, x.dtype)
    log_s = jnp.log(s)
    delta = b - a  # [m, d]
    length = safe_norm(delta)  # [m]
    short = (length < s * jnp.finfo(x.dtype).eps ** (1.0 / 3.0))[None, :]  # [1, m]
    length_safe = jnp.where(short[0], 1.0, length)  # [m]
    u = delta / length_safe[:, None]  # unit direction (garbage but finite when short)
    rel = x[:, None, :] - a[None, :, :]  # [n, m, d]
    t = jnp.sum(rel * u[None, :, :], axis=-1)  # [n, m]
    perp = rel - t[:, :, None] * u[None, :, :]
    long = (
        -0.5 * jnp.sum(perp * perp, axis=-1) / s**2
        - 0.5 * (d - 1) * (_LOG_2PI + 2.0 * log_s)
        + _log_ndtr_diff(t / s, (t - length_safe[None, :]) / s)
        - jnp.log(length_safe)[None, :]
    )
    rel_mid = x[:, None, :] - 0.5 * (a + b)[None, :, :]
    point = -0.5 * jnp.sum(rel_mid * rel_mid, axis=-1) / s**2 - 0.5 * d * (_LOG_2PI + 2.0 * log_s)
    return jnp.where(short, point, long)


def _batch(n_pieces: int, budget: int = 1 << 21) -> int:
    """Points per step when a polyline is evaluated: about ``budget`` point-chord pairs."""
    return max(1, budget // max(n_pieces, 1))


@jax.jit
def _polyline_logpdf(x: Array, v: Array, s) -> Array:
    """``[n]`` log density of the polyline with vertices ``v [m + 1, d]`` (mass 1/m per chord) * N(0, s^2 I)."""

    def one(xi):
        return logsumexp(_segment_logpdf(xi[None, :], v[:-1], v[1:], s)[0])

    return jax.lax.map(one, x, batch_size=_batch(v.shape[0], 1 << 19)) - jnp.log(v.shape[0] - 1.0)


@jax.jit
def _polyline_distance(x: Array, v: Array) -> Array:
    """``[n]`` distance from ``x [n, d]`` to the polyline with vertices ``v [m + 1, d]``."""
    a, b = v[:-1], v[1:]
    ab = b - a
    den = jnp.maximum(jnp.sum(ab * ab, axis=-1), jnp.finfo(v.dtype).tiny)

    def one(xi):
        rel = xi[None, :] - a
        t = jnp.clip(jnp.sum(rel * ab, axis=-1) / den, 0.0, 1.0)
        return jnp.min(safe_norm(rel - t[:, None] * ab))

    return jax.lax.map(one, x, batch_size=_batch(v.shape[0]))


@functools.partial(jax.jit, static_argnums=0)
def _curve_points(fn: Callable, params: Any, t: Array) -> Array:
    return jax.vmap(fn, in_axes=(None, 0))(params, t)


# --- segments and the two parallel lines -------------------------------------------


@functools.partial(jax.tree_util.register_dataclass, data_fields=["start", "end"], meta_fields=[])
@dataclasses.dataclass(frozen=True)
class Segment:
    r"""The uniform law on the segment from ``start`` to ``end`` in :math:`\mathbb R^d`.

    :math:`X = a + Z (b - a)`, :math:`Z \sim U[0, 1]`; a one-dimensional support.
    The smoothed density is exact (the segment's direction and its normal factorise):
    :math:`p_\sigma(x) = \mathcal N_{d-1}(x_\perp; 0, \sigma^2)\,
    \frac1L[\Phi(t/\sigma) - \Phi((t - L)/\sigma)]`.

    Attributes:
      start: ``[d]`` the end point :math:`a` (at :math:`Z = 0`).
      end: ``[d]`` the end point :math:`b` (at :math:`Z = 1`).
    """

    start: Array
    end: Array

    @property
    def dim(self) -> int:
        return int(self.start.shape[-1])

    def has_density(self) -> bool:
        """Whether :math:`P` itself has a density in :math:`R^d` (never, for a segment)."""
        return False

    def sample(self, key: Array, n: int) -> Array:
        """``[n, d]`` points :math:`a + Z(b - a)`, differentiable in ``start`` and ``end``."""
        n = _check_n(n)
        z = jax.random.uniform(key, (n, 1), dtype=self.start.dtype)
        return self.start[None, :] + z * (self.end - self.start)[None, :]

    def log_prob_smoothed(self, x: ArrayLike, sigma: ArrayLike) -> Array:
        """Exact log density of :math:`P * N(0, \\sigma^2 I)` at ``x [n, d]``; returns ``[n]``.

        ``sigma`` must be > 0 (``ValueError`` otherwise; NaN under ``jit``).
        """
        _check_smoothing(self, sigma, "a segment")
        x = _check_points(x, self.dim)
        logp = _segment_logpdf(x, self.start[None, :], self.end[None, :], sigma)[:, 0]
        return _nan_unless(jnp.asarray(sigma) > 0, logp)

    def quadrature(self, sigma: ArrayLike, order: int = 16) -> tuple[Array, Array]:
        """Nodes ``[4 order * order**d, d]`` and log weights for :math:`E_{P_\\sigma}`.

        Gauss-Legendre (``4 * order`` nodes) along the segment times Gauss-Hermite
        (``order`` per dimension) for the smoothing.
        """
        _check_sigma(sigma, positive=False)
        order = _check_order(order, self.dim)
        t, lt = _legendre01(4 * order)
        t = jnp.asarray(t, self.start.dtype)
        base = self.start[None, :] + t[:, None] * (self.end - self.start)[None, :]
        return _smooth_nodes(base, jnp.asarray(lt, base.dtype), sigma, order)


def segment(start: ArrayLike, end: ArrayLike) -> Segment:
    """The uniform law on the segment ``[start, end]`` (points in the same :math:`R^d`).

    >>> s = segment([0.0, 0.0], [3.0, 4.0])
    >>> s.dim, s.sample(jax.random.key(0), 3).shape
    (2, (3, 2))
    """
    start = _vector(start, "start")
    end = _vector(end, "end", start.shape[0])
    return Segment(start, end)


def parallel_lines(theta: ArrayLike) -> tuple[Segment, Segment]:
    r"""The two parallel lines of the WGAN paper's Example 1: ``(P_0, P_theta)``.

    :math:`Z \sim U[0,1]`, :math:`P_0` is the law of :math:`(0, Z)` and
    :math:`P_\theta` the law of :math:`(\theta, Z)`: two vertical unit segments
    at distance :math:`|\theta|`. For :math:`\theta \ne 0` their supports are
    disjoint, so :math:`JS = \log 2`, :math:`KL = +\infty`, :math:`TV = 1`, while
    :math:`W_1 = |\theta|`. ``P_theta`` is differentiable in ``theta``.

    Args:
      theta: scalar horizontal offset.

    Returns:
      ``(P_0, P_theta)``, two :class:`Segment` objects in :math:`\mathbb R^2`.

    References:
      Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN", Example 1.

    >>> p0, pt = parallel_lines(0.5)
    >>> [float(v) for v in pt.sample(jax.random.key(0), 1)[0]][0]
    0.5
    """
    theta = _scalar(theta, "theta")
    zero = jnp.zeros((), theta.dtype)
    one = jnp.ones((), theta.dtype)
    p0 = Segment(jnp.stack([zero, zero]), jnp.stack([zero, one]))
    pt = Segment(jnp.stack([theta, zero]), jnp.stack([theta, one]))
    return p0, pt


# --- parametric curves ---------------------------------------------------------


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=["params", "noise"],
    meta_fields=["fn", "n_pieces"],
)
@dataclasses.dataclass(frozen=True)
class Curve:
    r"""The law of :math:`f_\phi(T) + \varepsilon`, :math:`T \sim U[0,1]`, :math:`\varepsilon \sim N(0, s^2 I)`.

    A one-dimensional support (blurred by an intrinsic ``noise`` :math:`s`, 0 for
    a sharp curve). The smoothed density replaces the curve by a polyline of
    ``n_pieces`` chords, each carrying mass ``1 / n_pieces`` uniformly, and sums
    the exact segment densities in log space:

    .. math::
       p_\sigma(x) \approx \frac1m \sum_{i=1}^m p^{seg}_{\sqrt{\sigma^2 + s^2}}
       \big(x;\, f(\tfrac{i-1}m), f(\tfrac im)\big).

    The error is the chord's deviation from the arc (:math:`O(m^{-2})`), small
    once the pieces are short next to the curve's radius of curvature.

    Attributes:
      params: pytree of parameters :math:`\phi` (differentiable).
      noise: scalar intrinsic noise :math:`s \ge 0`.
      fn: ``fn(params, t) -> [d]`` for a scalar ``t`` in ``[0, 1]`` (static).
      n_pieces: number of chords of the polyline (static).
    """

    params: Any
    noise: Array
    fn: Callable
    n_pieces: int = 512

    def point(self, t: ArrayLike) -> Array:
        """``[n, d]`` curve points :math:`f(t)` at ``t [n]`` (no noise)."""
        return _curve_points(self.fn, self.params, jnp.asarray(t))

    @property
    def dim(self) -> int:
        out = jax.eval_shape(self.fn, self.params, jnp.zeros((), self.noise.dtype))
        return int(out.shape[-1])

    def has_density(self) -> bool:
        """Whether :math:`P` itself has a density: only with ``noise > 0``."""
        return _positive(self.noise)

    def vertices(self, n_pieces: int | None = None) -> Array:
        """``[m + 1, d]`` vertices of the polyline with ``m = n_pieces`` chords."""
        m = self.n_pieces if n_pieces is None else _check_n(n_pieces)
        return self.point(jnp.linspace(0.0, 1.0, m + 1, dtype=self.noise.dtype))

    def sample(self, key: Array, n: int) -> Array:
        """``[n, d]`` points :math:`f(T) + \\varepsilon`, differentiable in ``params`` and ``noise``."""
        n = _check_n(n)
        kt, ke = jax.random.split(key)
        t = jax.random.uniform(kt, (n,), dtype=self.noise.dtype)
        x = self.point(t)
        return x + self.noise * jax.random.normal(ke, x.shape, x.dtype)

    def log_prob_smoothed(self, x: ArrayLike, sigma: ArrayLike) -> Array:
        """Log density of :math:`P * N(0, \\sigma^2 I)` at ``x [n, d]`` (polyline); returns ``[n]``.

        ``sigma`` may be 0 when the curve has ``noise > 0``; a sharp curve
        (``noise = 0``) needs ``sigma > 0`` (``ValueError`` otherwise; NaN under ``jit``).
        """
        _check_smoothing(self, sigma, "a sharp curve: noise = 0")
        x = _check_points(x, self.dim)
        s = jnp.sqrt(jnp.asarray(sigma, x.dtype) ** 2 + self.noise**2)
        return _nan_unless(s > 0, _polyline_logpdf(x, self.vertices(), s))

    def distance(self, x: ArrayLike, n_pieces: int | None = None) -> Array:
        """``[n]`` Euclidean distance from each point of ``x [n, d]`` to the polyline."""
        x = _check_points(x, self.dim)
        return _polyline_distance(x, self.vertices(n_pieces))

    def mass_within(self, other: "Curve", eps: ArrayLike, *, n: int = 50_000, n_pieces: int = 2048) -> np.ndarray:
        r"""Fraction of this curve's mass within distance ``eps`` of the ``other`` curve.

        :math:`m(\varepsilon) = P_T\big(\operatorname{dist}(f(T), \text{other}) < \varepsilon\big)`
        on a stratified grid :math:`t_i = (i + 1/2)/n` (the noise is ignored),
        with distances to an ``n_pieces`` polyline of ``other`` (a coarse pass
        picks the candidates). Where two curves in the plane cross
        transversally, :math:`m(\varepsilon) \propto \varepsilon \to 0`: their
        overlap has zero length. Not differentiable (it counts).

        Args:
          other: a :class:`Curve` in the same space.
          eps: tolerances, scalar or ``[k]``.

        Returns:
          ``[k]`` numpy array of fractions.
        """
        n = _check_n(n)
        eps = np.atleast_1d(np.asarray(eps, dtype=float))
        if eps.ndim != 1 or np.any(~np.isfinite(eps)) or np.any(eps <= 0):
            raise ValueError(f"eps must be positive finite tolerances; got {eps}")
        t = (jnp.arange(n, dtype=self.noise.dtype) + 0.5) / n
        x = self.point(t)
        coarse = np.asarray(other.distance(x, 128))
        # the 128-chord polyline strays from the arc by less than a chord's length
        v = np.asarray(other.vertices(128))
        margin = np.linalg.norm(np.diff(v, axis=0), axis=1).max()
        idx = np.flatnonzero(coarse < eps.max() + margin)
        if idx.size == 0:
            return np.zeros(eps.shape)
        # pad to a power of two so that few shapes get compiled
        padded = np.resize(idx, 1 << int(np.ceil(np.log2(idx.size))))
        d = np.asarray(other.distance(x[padded], n_pieces))[: idx.size]
        return np.array([np.sum(d < e) / n for e in eps])

    def quadrature(self, sigma: ArrayLike, order: int = 16) -> tuple[Array, Array]:
        """Gauss-Legendre in ``t`` (``4 * order`` nodes) times Gauss-Hermite for the smoothing."""
        _check_sigma(sigma, positive=False)
        order = _check_order(order, self.dim)
        t, lt = _legendre01(4 * order)
        base = self.point(jnp.asarray(t, self.noise.dtype))
        s = jnp.sqrt(jnp.asarray(sigma, base.dtype) ** 2 + self.noise**2)
        return _smooth_nodes(base, jnp.asarray(lt, base.dtype), s, order)


def curve(fn: Callable, params: Any, *, noise: ArrayLike = 0.0, n_pieces: int = 512) -> Curve:
    """A parametric curve ``fn(params, t) -> [d]``, ``t ~ U[0, 1]``, plus ``N(0, noise^2 I)``.

    >>> import jax.numpy as jnp
    >>> c = curve(lambda p, t: p * jnp.stack([t, t * t]), jnp.asarray(2.0))
    >>> c.sample(jax.random.key(0), 4).shape
    (4, 2)
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable fn(params, t) -> [d]; got {fn!r}")
    n_pieces = _check_n(n_pieces)
    if n_pieces < 1:
        raise ValueError(f"n_pieces must be >= 1; got {n_pieces}")
    noise = _scalar(noise, "noise", nonneg=True)
    return Curve(params, noise, fn, n_pieces)


def _fourier_curve(params, t):
    """``c + sum_j (a_j cos 2 pi j t + b_j sin 2 pi j t) / j``: a closed curve."""
    centre, coef = params  # [d], [h, 2, d]
    j = jnp.arange(1, coef.shape[0] + 1, dtype=coef.dtype)
    basis = jnp.stack([jnp.cos(2 * jnp.pi * j * t), jnp.sin(2 * jnp.pi * j * t)], axis=1) / j[:, None]
    return centre + jnp.sum(basis[:, :, None] * coef, axis=(0, 1))


def random_curve(key: Array, n_harmonics: int = 3, *, scale: float = 1.0, dim: int = 2) -> Curve:
    r"""A random smooth closed curve in :math:`\mathbb R^{dim}` (a Fourier series).

    :math:`f(t) = c + \sum_{j=1}^{h} (a_j \cos 2\pi j t + b_j \sin 2\pi j t) / j`
    with :math:`c, a_j, b_j \sim N(0, \mathrm{scale}^2 I)`. Two such curves in
    the plane cross at isolated points, so they share a set of zero length.

    >>> c = random_curve(jax.random.key(1))
    >>> c.vertices(8).shape
    (9, 2)
    """
    if isinstance(n_harmonics, bool) or not isinstance(n_harmonics, (int, np.integer)) or n_harmonics < 1:
        raise ValueError(f"n_harmonics must be a positive int; got {n_harmonics!r}")
    kc, ka = jax.random.split(key)
    dtype = jnp.result_type(float)
    centre = scale * jax.random.normal(kc, (dim,), dtype)
    coef = scale * jax.random.normal(ka, (int(n_harmonics), 2, dim), dtype)
    return Curve((centre, coef), jnp.zeros((), dtype), _fourier_curve, 512)


def _swiss_roll_fn(scale, t):
    r = 1.5 * jnp.pi * (1.0 + 2.0 * t)
    return jnp.stack([r * jnp.cos(r), r * jnp.sin(r)]) / scale


def swiss_roll(noise: float = 0.25, scale: float = 7.5, *, n_pieces: int = 512) -> Curve:
    r"""The 2-d Swiss roll of the WGAN-GP toy experiments.

    :math:`r = \tfrac{3\pi}{2}(1 + 2T)`, :math:`T \sim U[0,1]`, the point
    :math:`(r\cos r, r\sin r) + N(0, \mathrm{noise}^2 I)`, all divided by
    ``scale`` (as scikit-learn's ``make_swiss_roll`` keeping coordinates 0 and
    2, with ``noise=0.25`` and the division by 7.5 of the WGAN-GP code).

    References:
      Gulrajani et al. (2017), "Improved Training of Wasserstein GANs", Fig. 1.

    >>> roll = swiss_roll()
    >>> round(float(roll.noise), 6)
    0.033333
    """
    scale_a = _scalar(scale, "scale", positive=True)
    noise_a = _scalar(noise, "noise", nonneg=True)
    return curve(_swiss_roll_fn, scale_a, noise=noise_a / scale_a, n_pieces=n_pieces)


# --- circles -----------------------------------------------------------------------


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=["center", "radius", "noise"], meta_fields=[]
)
@dataclasses.dataclass(frozen=True)
class Circle:
    r"""The uniform law on the circle of ``radius`` around ``center`` in the plane, plus noise.

    The smoothed density is exact: with :math:`s^2 = \sigma^2 + \mathrm{noise}^2`,
    :math:`\rho = |x - c|`, averaging the Gaussian over the angle gives a Bessel function,

    .. math::
       \log p_\sigma(x) = -\frac{(\rho - r)^2}{2 s^2} - \log(2\pi s^2)
                          + \log \mathrm{i0e}\Big(\frac{r\rho}{s^2}\Big).

    Attributes:
      center: ``[2]``; radius: scalar; noise: scalar intrinsic noise (0: sharp).
    """

    center: Array
    radius: Array
    noise: Array

    dim = 2

    def has_density(self) -> bool:
        """Whether :math:`P` itself has a density: only with ``noise > 0``."""
        return _positive(self.noise)

    def sample(self, key: Array, n: int) -> Array:
        """``[n, 2]`` points, differentiable in ``center``, ``radius`` and ``noise``."""
        n = _check_n(n)
        ka, ke = jax.random.split(key)
        angle = jax.random.uniform(ka, (n,), self.radius.dtype, 0.0, 2.0 * jnp.pi)
        x = self.center[None, :] + self.radius * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
        return x + self.noise * jax.random.normal(ke, x.shape, x.dtype)

    def log_prob_smoothed(self, x: ArrayLike, sigma: ArrayLike) -> Array:
        """Exact log density of :math:`P * N(0, \\sigma^2 I)` at ``x [n, 2]``; returns ``[n]``.

        ``sigma`` may be 0 when ``noise > 0``; a sharp circle needs ``sigma > 0``
        (``ValueError`` otherwise; NaN under ``jit``).
        """
        _check_smoothing(self, sigma, "a sharp circle: noise = 0")
        x = _check_points(x, 2)
        s2 = jnp.asarray(sigma, x.dtype) ** 2 + self.noise**2
        rho = safe_norm(x - self.center[None, :])
        logp = -((rho - self.radius) ** 2) / (2 * s2) - jnp.log(2 * jnp.pi * s2) + jnp.log(
            i0e(self.radius * rho / s2)
        )
        return _nan_unless(s2 > 0, logp)

    def quadrature(self, sigma: ArrayLike, order: int = 16) -> tuple[Array, Array]:
        """``8 * order`` equally spaced angles (spectrally exact) times Gauss-Hermite."""
        _check_sigma(sigma, positive=False)
        order = _check_order(order, 2)
        m = 8 * order
        angle = 2.0 * jnp.pi * jnp.arange(m, dtype=self.radius.dtype) / m
        base = self.center[None, :] + self.radius * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
        s = jnp.sqrt(jnp.asarray(sigma, base.dtype) ** 2 + self.noise**2)
        return _smooth_nodes(base, jnp.full((m,), -math.log(m), base.dtype), s, order)


def circle(center: ArrayLike = (0.0, 0.0), radius: ArrayLike = 1.0, *, noise: ArrayLike = 0.0) -> Circle:
    """The uniform law on a circle in the plane (plus ``N(0, noise^2 I)``).

    >>> c = circle(radius=2.0)
    >>> x = c.sample(jax.random.key(0), 3)
    >>> [round(float(v), 5) for v in jnp.linalg.norm(x, axis=1)]
    [2.0, 2.0, 2.0]
    """
    return Circle(
        _vector(center, "center", 2),
        _scalar(radius, "radius", positive=True),
        _scalar(noise, "noise", nonneg=True),
    )


# --- Gaussians and isotropic Gaussian mixtures ----------------------------------------


@functools.partial(jax.tree_util.register_dataclass, data_fields=["mean", "scale"], meta_fields=[])
@dataclasses.dataclass(frozen=True)
class Gaussian:
    r"""The law of :math:`\mu + A Z`, :math:`Z \sim N(0, I_k)`: covariance :math:`\Sigma = A A^\top`.

    With ``scale`` :math:`A` of shape ``[d, k]``, ``k < d`` gives a Gaussian on a
    k-dimensional affine subspace (a low-dimensional support).

    Attributes:
      mean: ``[d]``; scale: ``[d, k]``.
    """

    mean: Array
    scale: Array

    @property
    def dim(self) -> int:
        return int(self.mean.shape[-1])

    @property
    def cov(self) -> Array:
        """``[d, d]`` covariance :math:`A A^\\top`."""
        return self.scale @ self.scale.T

    def has_density(self) -> bool:
        """Whether :math:`P` itself has a density: when :math:`AA^\\top` has full rank."""
        rank = self._rank()
        return True if rank is None else rank == self.dim

    def _rank(self) -> int | None:
        """Numerical rank of ``scale`` (``None`` when traced)."""
        c = _concrete(self.scale)
        return None if c is None else int(np.linalg.matrix_rank(c))

    def smoothed_cov(self, sigma: ArrayLike) -> Array:
        """``[d, d]`` covariance of :math:`P * N(0, \\sigma^2 I)`: :math:`A A^\\top + \\sigma^2 I`."""
        return self.cov + jnp.asarray(sigma, self.mean.dtype) ** 2 * jnp.eye(self.dim, dtype=self.mean.dtype)

    def sample(self, key: Array, n: int) -> Array:
        """``[n, d]`` points :math:`\\mu + A z`, differentiable in ``mean`` and ``scale``."""
        n = _check_n(n)
        z = jax.random.normal(key, (n, self.scale.shape[1]), self.mean.dtype)
        return self.mean[None, :] + z @ self.scale.T

    def log_prob_smoothed(self, x: ArrayLike, sigma: ArrayLike) -> Array:
        """Log density of :math:`N(\\mu, AA^\\top + \\sigma^2 I)` at ``x [n, d]`` (Cholesky); ``[n]``.

        ``sigma = 0`` is allowed when :math:`AA^\\top` is positive definite; a
        Gaussian of lower rank needs ``sigma > 0`` (``ValueError`` otherwise).
        Under ``jit`` a Cholesky factor with a zero (or NaN) on its diagonal
        gives NaN; a covariance singular only up to rounding may pass there.
        """
        _check_smoothing(self, sigma, lambda: f"covariance of rank {self._rank()} < d = {self.dim}")
        x = _check_points(x, self.dim)
        chol = jnp.linalg.cholesky(self.smoothed_cov(sigma))
        r = jax.scipy.linalg.solve_triangular(chol, (x - self.mean[None, :]).T, lower=True)
        logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol)))
        logp = -0.5 * jnp.sum(r * r, axis=0) - 0.5 * (self.dim * _LOG_2PI + logdet)
        return _nan_unless(_positive_definite(chol), logp)

    def quadrature(self, sigma: ArrayLike, order: int = 16) -> tuple[Array, Array]:
        """Tensor Gauss-Hermite (``order**d`` nodes) mapped through the Cholesky factor."""
        _check_sigma(sigma, positive=False)
        order = _check_order(order, self.dim)
        z, lz = _hermite(order, self.dim)
        chol = jnp.linalg.cholesky(self.smoothed_cov(sigma))
        nodes = self.mean[None, :] + jnp.asarray(z, self.mean.dtype) @ chol.T
        return nodes, jnp.asarray(lz, self.mean.dtype)


def gaussian(mean: ArrayLike, cov: ArrayLike | None = None, *, std: ArrayLike | None = None) -> Gaussian:
    """A Gaussian :math:`N(\\mu, \\Sigma)` from a covariance ``cov [d, d]`` or an isotropic ``std``.

    For a Gaussian on a low-dimensional subspace build ``Gaussian(mean, scale)``
    directly with ``scale [d, k]``.

    >>> g = gaussian([0.0, 1.0], std=2.0)
    >>> [float(v) for v in g.cov[0]]
    [4.0, 0.0]
    """
    mean = _vector(mean, "mean")
    d = mean.shape[0]
    if (cov is None) == (std is None):
        raise ValueError("give exactly one of cov and std")
    if std is not None:
        std = _scalar(std, "std", nonneg=True)
        return Gaussian(mean, std * jnp.eye(d, dtype=mean.dtype))
    cov = _as_float(cov)
    if cov.shape != (d, d):
        raise ValueError(f"cov must have shape [{d}, {d}]; got {cov.shape}")
    c = _concrete(cov)
    if c is not None:
        if not np.allclose(c, c.T) or np.any(np.linalg.eigvalsh((c + c.T) / 2) <= 0):
            raise ValueError("cov must be symmetric positive definite")
    return Gaussian(mean, jnp.linalg.cholesky(cov))


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=["means", "std", "weights"], meta_fields=[]
)
@dataclasses.dataclass(frozen=True)
class GaussianMixture:
    r"""An isotropic Gaussian mixture :math:`\sum_k w_k N(m_k, s_k^2 I)`.

    The smoothed density is exact:
    :math:`\log p_\sigma(x) = \operatorname{logsumexp}_k [\log w_k +
    \log N(x; m_k, (s_k^2 + \sigma^2) I)]`.

    Attributes:
      means: ``[k, d]`` the mode centres (also ``modes``).
      std: ``[k]`` per-component standard deviations.
      weights: ``[k]`` non-negative weights summing to 1.
    """

    means: Array
    std: Array
    weights: Array

    @property
    def modes(self) -> Array:
        """``[k, d]`` the mode centres (same as ``means``)."""
        return self.means

    @property
    def dim(self) -> int:
        return int(self.means.shape[-1])

    def has_density(self) -> bool:
        """Whether :math:`P` itself has a density: when every ``std > 0``."""
        return _positive(self.std)

    def sample(self, key: Array, n: int) -> Array:
        """``[n, d]`` points; differentiable in ``means`` and ``std`` (not in the weights)."""
        n = _check_n(n)
        kc, kz = jax.random.split(key)
        idx = jax.random.categorical(kc, jnp.log(self.weights), shape=(n,))
        z = jax.random.normal(kz, (n, self.dim), self.means.dtype)
        return self.means[idx] + self.std[idx][:, None] * z

    def log_prob_smoothed(self, x: ArrayLike, sigma: ArrayLike) -> Array:
        """Exact log density of :math:`P * N(0, \\sigma^2 I)` at ``x [n, d]``; returns ``[n]``.

        ``sigma`` may be 0 when every ``std > 0``; a component with ``std = 0`` is
        an atom, and then ``sigma`` must be > 0 (``ValueError`` otherwise; NaN
        under ``jit``).
        """
        _check_smoothing(self, sigma, "a component with std = 0 is an atom")
        x = _check_points(x, self.dim)
        return _mixture_logpdf(x, self.means, self.std, self.weights, sigma)

    def quadrature(self, sigma: ArrayLike, order: int = 16) -> tuple[Array, Array]:
        """Gauss-Hermite (``order**d`` nodes) around each component: ``k * order**d`` nodes."""
        _check_sigma(sigma, positive=False)
        order = _check_order(order, self.dim)
        s = jnp.sqrt(self.std**2 + jnp.asarray(sigma, self.means.dtype) ** 2)
        return _smooth_nodes(self.means, jnp.log(self.weights), s, order)


@jax.jit
def _mixture_logpdf(x, means, std, weights, sigma):
    d = means.shape[1]
    var = std**2 + jnp.asarray(sigma, x.dtype) ** 2  # [k]
    diff = x[:, None, :] - means[None, :, :]
    logn = -0.5 * jnp.sum(diff * diff, axis=-1) / var[None, :] - 0.5 * d * (_LOG_2PI + jnp.log(var)[None, :])
    return _nan_unless(jnp.all(var > 0), logsumexp(logn + jnp.log(weights)[None, :], axis=1))


def gaussian_mixture(means: ArrayLike, std: ArrayLike, weights: ArrayLike | None = None) -> GaussianMixture:
    """An isotropic Gaussian mixture; ``std`` scalar or ``[k]``; ``weights`` default uniform.

    >>> gm = gaussian_mixture([[0.0, 0.0], [3.0, 0.0]], 0.5, [1.0, 3.0])
    >>> [float(w) for w in gm.weights]
    [0.25, 0.75]
    """
    means = _as_float(means)
    if means.ndim != 2 or means.shape[0] < 1:
        raise ValueError(f"means must have shape [k, d] with k >= 1; got {means.shape}")
    k = means.shape[0]
    std = _as_float(std)
    if std.ndim == 0:
        std = jnp.full((k,), std)
    if std.shape != (k,):
        raise ValueError(f"std must be a scalar or have shape [{k}]; got {std.shape}")
    weights = jnp.ones((k,), means.dtype) if weights is None else _as_float(weights)
    if weights.shape != (k,):
        raise ValueError(f"weights must have shape [{k}]; got {weights.shape}")
    for name, arr in (("means", means), ("std", std), ("weights", weights)):
        c = _concrete(arr)
        if c is not None and not np.all(np.isfinite(c)):
            raise ValueError(f"{name} must be finite; got {c}")
    cs, cw = _concrete(std), _concrete(weights)
    if cs is not None and np.any(cs < 0):
        raise ValueError(f"std must be >= 0; got {cs}")
    if cw is not None and (np.any(cw < 0) or cw.sum() <= 0):
        raise ValueError(f"weights must be >= 0 and not all zero; got {cw}")
    return GaussianMixture(means, std, weights / jnp.sum(weights))


def ring8(radius: float = 2.0, std: float = 0.02, n_modes: int = 8) -> GaussianMixture:
    r"""The ring of 8 Gaussians: modes at angles :math:`2\pi k / 8`, :math:`k = 0..7`.

    Radius 2 and std 0.02 as in Metz et al. (2016). The angles are
    ``2 pi k / n`` for ``k = 0 .. n - 1`` (``linspace(0, 2 pi, n)`` would repeat
    the first mode and drop one).

    References:
      Metz et al. (2016), "Unrolled Generative Adversarial Networks", Fig. 1.

    >>> r = ring8()
    >>> r.modes.shape, round(float(r.std[0]), 3)
    ((8, 2), 0.02)
    """
    if isinstance(n_modes, bool) or not isinstance(n_modes, (int, np.integer)) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive int; got {n_modes!r}")
    radius_a = _scalar(radius, "radius", positive=True)
    angle = 2.0 * jnp.pi * jnp.arange(n_modes, dtype=radius_a.dtype) / n_modes
    means = radius_a * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    return gaussian_mixture(means, _scalar(std, "std", nonneg=True))


def grid25(spacing: float = 2.0, std: float = 0.05, n_side: int = 5) -> GaussianMixture:
    r"""The grid of 25 Gaussians at :math:`\{-4, -2, 0, 2, 4\}^2`, std 0.05.

    ``n_side**2`` modes at ``spacing * (i - (n_side - 1) / 2)`` in each coordinate
    (the WGAN-GP toy code also divides everything by 2.828; we do not).

    References:
      Gulrajani et al. (2017), "Improved Training of Wasserstein GANs", Fig. 1.

    >>> g = grid25()
    >>> g.modes.shape, [float(v) for v in g.modes[0]]
    ((25, 2), [-4.0, -4.0])
    """
    if isinstance(n_side, bool) or not isinstance(n_side, (int, np.integer)) or n_side < 1:
        raise ValueError(f"n_side must be a positive int; got {n_side!r}")
    spacing_a = _scalar(spacing, "spacing", positive=True)
    axis = spacing_a * (jnp.arange(n_side, dtype=spacing_a.dtype) - (n_side - 1) / 2)
    gx, gy = jnp.meshgrid(axis, axis, indexing="ij")
    means = jnp.stack([gx.ravel(), gy.ravel()], axis=1)
    return gaussian_mixture(means, _scalar(std, "std", nonneg=True))


# --- push-forward of U[0,1]^k through a random MLP ----------------------------------------


@functools.partial(jax.tree_util.register_dataclass, data_fields=["layers"], meta_fields=["activation"])
@dataclasses.dataclass(frozen=True)
class Pushforward:
    r"""The law of :math:`G(Z)`, :math:`Z \sim U[0,1]^k`, for an MLP :math:`G: \mathbb R^k \to \mathbb R^D`.

    Its support :math:`G([0,1]^k)` has dimension at most :math:`k`: the Jacobian
    of :math:`G` has rank :math:`\le k` everywhere (and lower when a layer is
    narrower than :math:`k` or ReLUs switch off). There is no density in
    :math:`\mathbb R^D` when :math:`k < D`, so only ``sample`` is offered.

    :math:`G` is the MLP of :mod:`gantoy.gan.nets` (``mlp_apply``), the same
    forward pass as a GAN generator's.

    Attributes:
      layers: tuple of ``(W [fan_in, fan_out], b [fan_out])`` pairs (differentiable).
      activation: a name in :data:`gantoy.gan.nets.ACTIVATIONS` (``"relu"``,
        ``"tanh"``, ``"leaky_relu"``, ...) between layers (static); the last layer is linear.
    """

    layers: tuple
    activation: str = "relu"

    def has_density(self) -> bool:
        """Whether :math:`P` has a density in :math:`R^D`: only for ``latent_dim >= D`` (not checked further)."""
        return self.latent_dim >= self.dim

    @property
    def latent_dim(self) -> int:
        return int(self.layers[0][0].shape[0])

    @property
    def dim(self) -> int:
        return int(self.layers[-1][0].shape[1])

    def hidden(self, z: ArrayLike) -> tuple[Array, ...]:
        """The hidden layers' outputs (after the activation) for ONE code ``z [k]``.

        A ReLU layer passes on only its active (positive) units, so the
        Jacobian's rank is at most the fewest active units in any layer.
        """
        act = ACTIVATIONS[self.activation]
        return tuple(
            act(mlp_apply(self.layers[:l], z, activation=self.activation)) for l in range(1, len(self.layers))
        )

    def generator(self, z: ArrayLike) -> Array:
        """:math:`G(z)` for ONE code ``z [k]``; returns ``[D]`` (``jax.vmap`` it for a batch)."""
        return mlp_apply(self.layers, z, activation=self.activation)

    def sample(self, key: Array, n: int) -> Array:
        """``[n, D]`` points :math:`G(z)`, :math:`z \\sim U[0,1]^k`; differentiable in ``layers``."""
        n = _check_n(n)
        z = jax.random.uniform(key, (n, self.latent_dim), self.layers[0][0].dtype)
        return jax.vmap(self.generator)(z)


def random_pushforward(
    key: Array,
    latent_dim: int,
    data_dim: int,
    hidden: tuple[int, ...] = (256,),
    *,
    activation: str = "relu",
) -> Pushforward:
    r"""A random MLP generator :math:`[0,1]^{latent\_dim} \to \mathbb R^{data\_dim}`.

    Weights and biases :math:`\sim U(-1/\sqrt{fan_{in}}, 1/\sqrt{fan_{in}})`
    (PyTorch's default: :func:`gantoy.gan.nets.mlp_init` with ``init="torch"``,
    so ``key`` draws the same layers as a GAN generator of these widths); the
    dtype is JAX's default float (float64 under ``jax.enable_x64``).

    >>> g = random_pushforward(jax.random.key(0), 3, 10, (16,))
    >>> g.sample(jax.random.key(1), 4).shape, g.latent_dim, g.dim
    ((4, 10), 3, 10)
    """
    sizes = (latent_dim, *tuple(hidden), data_dim)
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"latent_dim, hidden and data_dim must be positive ints; got {sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
    return Pushforward(tuple(mlp_init(key, sizes, init="torch")), activation)

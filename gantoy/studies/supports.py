r"""The curve generator: a generator with a one-dimensional code draws a curve.

Arjovsky & Bottou (2017), Lemma 1: the support of :math:`g_\theta(Z)` lies in a
countable union of manifolds of dimension at most :math:`\dim Z`. The smallest
case fits in the plane of the 2-d toys: a generator :math:`G: \mathbb R \to
\mathbb R^2` with a one-dimensional code :math:`z \sim N(0, 1)` (the engine's
MLP with ``z_dim=1``, "the curve generator") puts all its mass on the curve
:math:`\{G(z)\}`. A curve has zero area: its :math:`\varepsilon`-neighbourhood
:math:`N_\varepsilon` has area :math:`\approx 2 L \varepsilon` (length times
width), so for any :math:`P_r` with a bounded density :math:`p_r`,

.. math::
   P_r(\text{curve}) \le P_r(N_\varepsilon) \le \sup p_r \cdot
   \operatorname{area}(N_\varepsilon) \to 0 \quad (\varepsilon \to 0),

while :math:`P_g(\text{curve}) = 1`: the two laws are mutually singular, even
when the curve runs through the modes of :math:`P_r`.

* :func:`curve_config` -- :func:`gantoy.gan.engine.gan_config` with ``z_dim=1``.
* :func:`generator_curve` -- the image :math:`G([-z_{max}, z_{max}])` as a
  :class:`gantoy.measures.distributions.Curve` (a polyline of ``n_pieces`` chords).
* :func:`fraction_within` -- the fraction of points within :math:`\varepsilon`
  of a curve (applied to samples of :math:`P_r` or :math:`P_g`).
* :func:`neighbourhood_area` -- Monte Carlo area of :math:`N_\varepsilon`.
* :func:`curve_length` -- the length :math:`L` of the polyline.

References:
  Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs",
  Lemma 1 and Theorem 2.2.

Example:
    >>> import jax, numpy as np
    >>> from gantoy.gan import engine
    >>> from gantoy.measures import distributions
    >>> cfg = curve_config(distributions.ring8(), g_hidden=(8,), d_hidden=(8,))
    >>> g = engine.init(jax.random.key(0), cfg).g_params
    >>> c = generator_curve(cfg, g, n_pieces=256)
    >>> x = engine.generate(cfg, g, jax.random.normal(jax.random.key(1), (100, 1)))
    >>> fraction_within(c, x, [1e-3]).tolist()  # P_g sits on its curve
    [1.0]
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from gantoy.gan.engine import GANConfig, gan_config, generate
from gantoy.measures import distributions

__all__ = ["curve_config", "generator_curve", "fraction_within", "neighbourhood_area", "curve_length"]

_COARSE = 256  # chords of the coarse pass that picks the candidates


def curve_config(data, loss: str = "nonsaturating", **kw) -> GANConfig:
    """The curve generator's configuration: :func:`gan_config` with a one-dimensional code.

    Args:
      data: the real distribution (a sampler or an object with ``.sample``).
      loss: the GAN loss (see :func:`gantoy.gan.engine.gan_config`).
      **kw: any other :class:`GANConfig` field except ``z_dim`` (fixed to 1).

    >>> curve_config(lambda k, n: jnp.zeros((n, 2)), g_hidden=(8,)).z_dim
    1
    """
    if "z_dim" in kw:
        raise ValueError(f"the curve generator has z_dim = 1; got z_dim={kw['z_dim']!r}")
    return gan_config(data, loss, z_dim=1, **kw)


@dataclasses.dataclass(frozen=True)
class _Path:
    """``t -> G(z(t))`` with ``z(t)`` interpolated from a table: hashable, so equal curves reuse compiled code."""

    config: GANConfig

    def __call__(self, params, t):
        g_params, z_table = params
        grid = jnp.linspace(0.0, 1.0, z_table.shape[0], dtype=z_table.dtype)
        z = jnp.interp(t, grid, z_table)
        return generate(self.config, g_params, jnp.reshape(z, (1,)))


def generator_curve(
    config: GANConfig, g_params, *, z_max: float = 4.0, n_pieces: int = 2048, dense: int = 1 << 15
) -> distributions.Curve:
    r"""The curve the generator draws: :math:`\{G(z) : |z| \le z_{max}\}` as a :class:`Curve`.

    The set is the support of :math:`G(Z)`, :math:`Z \sim N(0, 1)`, up to the
    codes :math:`|Z| > z_{max}`, which carry mass :math:`2\Phi(-z_{max})`
    (:math:`6.3 \cdot 10^{-5}` at 4). The curve is parametrised by
    :math:`t \in [0, 1] \mapsto G(z(t))`, :math:`z(t)` interpolating a table of
    ``n_pieces + 1`` increasing codes: half of them at equal steps of
    :math:`z` (fine where :math:`G` lingers, near the modes, where most of its
    mass sits), half where the arc length of :math:`G` (measured over
    ``dense`` equal steps of :math:`z`) reaches equal fractions (fine where
    :math:`G` moves fast, between modes). The polyline's chords join the
    points :math:`G(z_i)`; a ReLU generator is piecewise linear in :math:`z`,
    so the polyline is exact except on the chords that contain a kink, where
    it strays by less than half a chord. The :class:`Curve`'s own ``sample``
    draws :math:`G(z(U))`, :math:`U \sim U[0, 1]`: the same set, not the
    generator's law (draw that with :func:`gantoy.gan.engine.generate`).

    Args:
      config: a configuration with ``z_dim = 1`` (:func:`curve_config`).
      g_params: one seed's generator parameters.
      z_max: the largest code drawn (> 0).
      n_pieces: chords of the polyline.
      dense: steps of :math:`z` used to measure the arc length.

    Returns:
      A :class:`gantoy.measures.distributions.Curve` with parameters
      ``(g_params, z_table [n_pieces + 1])``.
    """
    if not isinstance(config, GANConfig) or config.z_dim != 1:
        raise ValueError("generator_curve needs a GANConfig with z_dim = 1 (use curve_config)")
    z_max = float(z_max)
    if not (np.isfinite(z_max) and z_max > 0):
        raise ValueError(f"z_max must be finite and > 0; got {z_max!r}")
    for name, v in (("n_pieces", n_pieces), ("dense", dense)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    z = np.linspace(-z_max, z_max, int(dense) + 1)
    x = np.asarray(generate(config, g_params, jnp.asarray(z)[:, None]), dtype=float)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(x, axis=0), axis=1))])
    # half the vertices at equal steps of arc length (where G moves fast), half at
    # equal steps of z (where G lingers and most of its mass sits)
    n_arc = int(n_pieces) // 2
    z_even = np.linspace(-z_max, z_max, int(n_pieces) - n_arc + 1)
    z_arc = np.interp(np.linspace(0.0, arc[-1], n_arc + 1), arc, z)[1:-1] if arc[-1] > 0 else np.zeros(0)
    z_table = np.sort(np.concatenate([z_even, z_arc]))
    if z_table.size < int(n_pieces) + 1:  # a constant generator has no arc to follow
        z_table = np.linspace(-z_max, z_max, int(n_pieces) + 1)
    leaves = jax.tree_util.tree_leaves(g_params)
    table = jnp.asarray(z_table, dtype=leaves[0].dtype if leaves else None)
    return distributions.curve(_Path(config), (g_params, table), n_pieces=int(n_pieces))


@functools.partial(jax.jit, static_argnames=("batch",))
def _distance(x, v, batch):
    """``[n]`` distance from ``x [n, d]`` to the polyline with vertices ``v [m + 1, d]``."""
    a, ab = v[:-1], v[1:] - v[:-1]
    den = jnp.maximum(jnp.sum(ab * ab, axis=-1), jnp.finfo(v.dtype).tiny)

    def one(xi):
        rel = xi[None, :] - a
        t = jnp.clip(jnp.sum(rel * ab, axis=-1) / den, 0.0, 1.0)
        return jnp.sqrt(jnp.min(jnp.sum((rel - t[:, None] * ab) ** 2, axis=-1)))

    return jax.lax.map(one, x, batch_size=batch)


def _distances(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Distances of many points, padded to a power of two so that few shapes compile."""
    n = x.shape[0]
    if n == 0:
        return np.zeros(0)
    padded = np.resize(x, (1 << int(np.ceil(np.log2(n))), x.shape[1]))
    batch = max(1, min(padded.shape[0], (1 << 21) // v.shape[0]))
    return np.asarray(_distance(jnp.asarray(padded), jnp.asarray(v), batch))[:n]


def _check_eps(eps) -> np.ndarray:
    eps = np.atleast_1d(np.asarray(eps, dtype=float))
    if eps.ndim != 1 or eps.size == 0 or np.any(~np.isfinite(eps)) or np.any(eps <= 0):
        raise ValueError(f"eps must be positive finite tolerances; got {eps}")
    return eps


def _check_curve(c) -> None:
    if not isinstance(c, distributions.Curve):
        raise ValueError(f"curve must be a gantoy.measures.distributions.Curve; got {type(c).__name__}")


def fraction_within(curve: distributions.Curve, x: ArrayLike, eps: ArrayLike, *, n_pieces: int | None = None) -> np.ndarray:
    r"""Fraction of the points ``x`` within distance :math:`\varepsilon` of the curve.

    .. math:: \hat m(\varepsilon) = \frac1n \#\{i : \operatorname{dist}(x_i, \text{curve}) < \varepsilon\}

    With ``x`` drawn from :math:`P` this estimates :math:`P(N_\varepsilon)`, the
    mass of the :math:`\varepsilon`-neighbourhood. Distances are to the
    curve's polyline (``n_pieces`` chords, default the curve's own); a coarse
    pass over 256 chords, with a margin that bounds how far the fine polyline
    strays from the coarse one, picks the points that need the fine pass.
    Not differentiable (it counts).

    Args:
      curve: a :class:`gantoy.measures.distributions.Curve` in :math:`\mathbb R^d`.
      x: ``[n, d]`` points.
      eps: tolerances, scalar or ``[k]``, each > 0.
      n_pieces: chords of the fine polyline (default ``curve.n_pieces``).

    Returns:
      ``[k]`` numpy array of fractions.

    >>> from gantoy.measures import distributions
    >>> line = distributions.curve(lambda p, t: jnp.stack([p * t, 0.0 * t]), 1.0)
    >>> fraction_within(line, [[0.5, 0.05], [0.5, 0.2], [2.0, 0.0]], [0.1, 0.3]).tolist()
    [0.3333333333333333, 0.6666666666666666]
    """
    _check_curve(curve)
    eps = _check_eps(eps)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != curve.dim or x.shape[0] == 0:
        raise ValueError(f"x must be [n, {curve.dim}] with n >= 1; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x has non-finite entries")
    fine = np.asarray(curve.vertices(n_pieces), dtype=float)
    coarse_v = np.asarray(curve.vertices(_COARSE), dtype=float)
    # every point of the fine polyline lies within `margin` of the coarse one
    # (its vertices' distance plus half a fine chord), so dist_fine >= dist_coarse - margin
    half_chord = 0.5 * np.linalg.norm(np.diff(fine, axis=0), axis=1).max()
    margin = _distances(fine, coarse_v).max() + half_chord
    coarse = _distances(x, coarse_v)
    idx = np.flatnonzero(coarse < eps.max() + margin)
    d = _distances(x[idx], fine)
    return np.array([np.sum(d < e) / x.shape[0] for e in eps])


def neighbourhood_area(
    key: jax.Array, curve: distributions.Curve, eps: ArrayLike, *, n: int = 1_000_000, n_pieces: int | None = None
) -> np.ndarray:
    r"""Monte Carlo area of the :math:`\varepsilon`-neighbourhood :math:`N_\varepsilon` of a plane curve.

    .. math::
       \widehat{\operatorname{area}}(N_\varepsilon) = |B| \cdot
       \frac1n \#\{i : \operatorname{dist}(u_i, \text{curve}) < \varepsilon\},
       \qquad u_i \sim U(B),

    with :math:`B` the curve's bounding box widened by the largest
    :math:`\varepsilon`. For a curve of length :math:`L` (no self-overlap at
    this scale), :math:`\operatorname{area}(N_\varepsilon) = 2L\varepsilon +
    \pi\varepsilon^2`: it shrinks linearly, so the curve itself has area 0.
    The relative standard error is about :math:`\sqrt{|B| / (n \cdot
    \operatorname{area})}`.

    Args:
      key: PRNG key for the uniform points.
      curve: a :class:`gantoy.measures.distributions.Curve` in the plane.
      eps: tolerances, scalar or ``[k]``, each > 0.
      n: number of uniform points.
      n_pieces: chords of the polyline (default ``curve.n_pieces``).

    Returns:
      ``[k]`` numpy array of areas.

    >>> from gantoy.measures import distributions
    >>> line = distributions.curve(lambda p, t: jnp.stack([p * t, 0.0 * t]), 1.0)
    >>> a = neighbourhood_area(jax.random.key(0), line, [0.1], n=200_000)
    >>> bool(abs(a[0] - (0.2 + np.pi * 0.01)) < 0.01)  # the stadium: 2 L eps + pi eps^2
    True
    """
    _check_curve(curve)
    if curve.dim != 2:
        raise ValueError(f"neighbourhood_area is for plane curves; got dimension {curve.dim}")
    eps = _check_eps(eps)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int; got {n!r}")
    v = np.asarray(curve.vertices(n_pieces), dtype=float)
    lo, hi = v.min(axis=0) - eps.max(), v.max(axis=0) + eps.max()
    u = lo + (hi - lo) * np.asarray(jax.random.uniform(key, (int(n), 2), dtype=jnp.float32), dtype=float)
    return float(np.prod(hi - lo)) * fraction_within(curve, u, eps, n_pieces=n_pieces)


def curve_length(curve: distributions.Curve, n_pieces: int | None = None) -> float:
    r"""Length :math:`L = \sum_i |v_{i+1} - v_i|` of the curve's polyline.

    >>> from gantoy.measures import distributions
    >>> round(curve_length(distributions.curve(lambda p, t: jnp.stack([p * t, p * t]), 1.0)), 6)
    1.414214
    """
    _check_curve(curve)
    v = np.asarray(curve.vertices(n_pieces), dtype=float)
    return float(np.linalg.norm(np.diff(v, axis=0), axis=1).sum())

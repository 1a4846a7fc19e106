"""Discrete divergences between weight vectors: KL, Jensen-Shannon, total variation.

Each function takes two non-negative weight arrays ``p`` and ``q`` of the same
shape, normalises them along ``axis`` and reduces that axis away, so a batch of
distributions is one call (or a ``jax.vmap``). Logs are natural.

Gradients are finite wherever the value is finite, in float32 and float64. A
weight that is exactly zero stays on the boundary of the simplex: its
derivative is the one of the divergence restricted to the supports (the
one-sided derivative there is infinite for KL and JS). In particular ``js`` of
two distributions with disjoint supports is exactly ``log 2`` with gradient
exactly 0 -- the saturation of the WGAN paper's Example 1.

Bad input (negative, all-zero, NaN or infinite weights, shapes that differ)
raises ``ValueError`` naming the argument, when the inputs are concrete (the
value checks are skipped under ``jax.jit`` tracing; the shape checks are not).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

__all__ = ["js", "kl", "tv"]

LOG2 = math.log(2.0)


def _is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer inside ``jit``/``grad``/``vmap``)."""
    return not isinstance(x, jax.core.Tracer)


def _check_weights(fn: str, name: str, w, axis=None, dtype=None) -> None:
    """Raise ``ValueError`` for NaN/inf, negative or all-zero weights (concrete ``w`` only).

    ``axis`` is the axis along which ``w`` holds one distribution; every slice
    along it must have positive mass. ``axis=None`` means the whole array. A
    slice whose largest weight is subnormal in ``dtype`` counts as all-zero (the
    CPU flushes subnormals to zero).
    """
    if not _is_concrete(w):
        return
    w = np.asarray(w)
    if not np.all(np.isfinite(w)):
        bad = np.argwhere(~np.isfinite(w))[0]
        raise ValueError(
            f"{fn}: argument `{name}` has a non-finite weight {w[tuple(bad)]} at index "
            f"{tuple(int(i) for i in bad)} (shape {w.shape})"
        )
    if np.any(w < 0):
        raise ValueError(
            f"{fn}: argument `{name}` has a negative weight (min {w.min()}); weights must be >= 0"
        )
    tiny = np.finfo(np.float64 if dtype is None else dtype).tiny
    largest = np.max(w, axis=axis) if w.size else np.zeros(())
    if np.any(largest < tiny):
        raise ValueError(
            f"{fn}: argument `{name}` has an all-zero (or subnormal) weight vector"
            + ("" if axis is None else f" along axis {axis}")
            + f" (shape {w.shape}); each distribution needs positive mass"
        )


def _normalised_pair(fn: str, p: ArrayLike, q: ArrayLike, axis: int):
    """Validate ``p``, ``q`` and return them as floats normalised along ``axis``."""
    p_arr, q_arr = jnp.asarray(p), jnp.asarray(q)
    if p_arr.shape != q_arr.shape:
        raise ValueError(
            f"{fn}: arguments `p` and `q` must have the same shape; got p {p_arr.shape} "
            f"and q {q_arr.shape}"
        )
    if p_arr.ndim == 0:
        raise ValueError(f"{fn}: arguments `p` and `q` must have at least one axis; got scalars")
    if not -p_arr.ndim <= axis < p_arr.ndim:
        raise ValueError(f"{fn}: argument `axis`={axis} is out of range for shape {p_arr.shape}")
    dtype = jnp.result_type(p_arr, q_arr, 1.0)
    _check_weights(fn, "p", p, axis, dtype)
    _check_weights(fn, "q", q, axis, dtype)
    return _normalise(p_arr.astype(dtype), axis), _normalise(q_arr.astype(dtype), axis)


def _normalise(w: jax.Array, axis: int) -> jax.Array:
    """``w / sum(w)`` along ``axis``, scaled by the largest weight first (no overflow).

    The result does not depend on the scale, so the scale is a constant for
    autodiff (its own gradient would underflow for tiny weights)."""
    w = w / lax.stop_gradient(jnp.max(w, axis=axis, keepdims=True))
    return w / jnp.sum(w, axis=axis, keepdims=True)


def kl(p: ArrayLike, q: ArrayLike, axis: int = -1) -> jax.Array:
    r"""Kullback-Leibler divergence KL(p || q) between discrete distributions.

    .. math::

        \mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i},
        \qquad 0 \log \tfrac{0}{q} = 0, \quad p \log \tfrac{p}{0} = +\infty \ (p > 0),

    after normalising ``p`` and ``q`` to sum to one along ``axis``. Equal to
    ``scipy.special.rel_entr(p, q).sum(axis)`` on normalised inputs. The value
    is ``+inf`` (never NaN) where some ``q_i = 0 < p_i``; its gradient there is 0.

    Args:
      p: non-negative weights, any shape ``[..., n, ...]``.
      q: non-negative weights, same shape as ``p``.
      axis: the axis holding one distribution.

    Returns:
      KL in nats, with ``axis`` reduced away.

    References:
      Kullback & Leibler, "On Information and Sufficiency", Ann. Math. Statist. 1951.

    Example:
      >>> round(float(kl([0.5, 0.5], [0.25, 0.75])), 6)
      0.143841
      >>> float(kl([1.0, 1.0], [1.0, 0.0]))
      inf
    """
    pn, qn = _normalised_pair("kl", p, q, axis)
    ok = (pn > 0) & (qn > 0)
    infinite = jnp.any((pn > 0) & (qn <= 0), axis=axis)
    # double where: the masked entries get safe arguments so no NaN leaks into the gradient
    pn_safe = jnp.where(ok, pn, 1.0)
    qn_safe = jnp.where(ok, qn, 1.0)
    terms = jnp.where(ok, pn_safe * (jnp.log(pn_safe) - jnp.log(qn_safe)), 0.0)
    return jnp.where(infinite, jnp.inf, jnp.sum(terms, axis=axis))


def js(p: ArrayLike, q: ArrayLike, axis: int = -1) -> jax.Array:
    r"""Jensen-Shannon divergence between discrete distributions.

    With :math:`m = (p + q) / 2`,

    .. math::

        \mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)
        = \log 2 - \tfrac12 \sum_i p_i \,\mathrm{softplus}\!\Big(\log \tfrac{q_i}{p_i}\Big)
                 - \tfrac12 \sum_i q_i \,\mathrm{softplus}\!\Big(\log \tfrac{p_i}{q_i}\Big),

    where only indices with :math:`p_i q_i > 0` contribute to the sums. The
    second form is the one computed: it is exactly ``log 2``, with gradient
    exactly 0, when the supports are disjoint. This is the divergence, the square
    of ``scipy.spatial.distance.jensenshannon(p, q)``; it lies in ``[0, log 2]``.

    Args:
      p: non-negative weights, any shape ``[..., n, ...]``.
      q: non-negative weights, same shape as ``p``.
      axis: the axis holding one distribution.

    Returns:
      JS in nats, with ``axis`` reduced away.

    References:
      Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf.
      Theory 1991. Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017,
      Example 1 (JS is log 2 between disjoint supports).

    Example:
      >>> round(float(js([1.0, 0.0], [0.0, 1.0])), 6)  # log 2: disjoint supports
      0.693147
      >>> round(float(js([0.5, 0.5], [0.25, 0.75])), 6)
      0.033822
    """
    pn, qn = _normalised_pair("js", p, q, axis)
    both = (pn > 0) & (qn > 0)
    pn_safe = jnp.where(both, pn, 1.0)
    qn_safe = jnp.where(both, qn, 1.0)
    log_ratio = jnp.log(pn_safe) - jnp.log(qn_safe)
    terms = jnp.where(
        both,
        pn_safe * jax.nn.softplus(-log_ratio) + qn_safe * jax.nn.softplus(log_ratio),
        0.0,
    )
    value = LOG2 - 0.5 * jnp.sum(terms, axis=axis)
    # rounding can leave -1e-17 for identical inputs; JS >= 0
    return jnp.maximum(value, 0.0)


def tv(p: ArrayLike, q: ArrayLike, axis: int = -1) -> jax.Array:
    r"""Total variation distance between discrete distributions.

    .. math::

        \mathrm{TV}(p, q) = \tfrac12 \sum_i |p_i - q_i| = \max_A |p(A) - q(A)|,

    after normalising along ``axis``; it lies in ``[0, 1]`` and is 1 for
    disjoint supports.

    Args:
      p: non-negative weights, any shape ``[..., n, ...]``.
      q: non-negative weights, same shape as ``p``.
      axis: the axis holding one distribution.

    Returns:
      TV with ``axis`` reduced away.

    References:
      Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017, section 2.

    Example:
      >>> float(tv([1.0, 0.0], [0.0, 1.0]))
      1.0
      >>> float(tv([0.5, 0.5], [0.25, 0.75]))
      0.25
    """
    pn, qn = _normalised_pair("tv", p, q, axis)
    return 0.5 * jnp.sum(jnp.abs(pn - qn), axis=axis)

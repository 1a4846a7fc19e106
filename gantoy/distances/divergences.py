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

Identical inputs give exactly 0 (not a rounding residue), in float32 and
float64, eagerly and compiled.

Bad input (negative, all-zero, NaN or infinite weights, shapes that differ)
raises ``ValueError`` naming the argument when the inputs are concrete. Under
``jax.jit``, ``jax.vmap`` or ``jax.grad`` the weights are traced and their
values cannot be checked (the shape checks still run): there every
distribution with a bad weight vector gets the value NaN, and a NaN gradient
with respect to its own weights, never ``log 2`` or another finite number. The
other distributions of a batch keep their values and gradients.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gantoy._checks import _check_weights, _normalise

__all__ = ["js", "kl", "tv"]

LOG2 = math.log(2.0)


def _valid(w: jax.Array, axis: int) -> jax.Array:
    """Per distribution (``axis`` kept, size 1): all weights finite and >= 0, the largest normal.

    The traced counterpart of :func:`_check_weights` (same rule, as an array)."""
    ok = jnp.all(jnp.isfinite(w) & (w >= 0), axis=axis, keepdims=True)
    return ok & (jnp.max(w, axis=axis, keepdims=True) >= jnp.finfo(w.dtype).tiny)


class _Pair(NamedTuple):
    """Normalised weights (bad distributions replaced by uniform ones) and what was bad."""

    pn: jax.Array
    qn: jax.Array
    valid: jax.Array  # ``axis`` kept with size 1
    poison: jax.Array  # ``axis`` reduced: NaN, with a NaN gradient for the bad weights
    same: jax.Array  # ``axis`` reduced: ``p`` and ``q`` identical
    axis: int

    def finish(self, value: jax.Array) -> jax.Array:
        """``value`` where the inputs are valid (exactly 0 where identical), NaN elsewhere.

        Identical weights normalise to identical values eagerly, but a compiled
        program may round the two normalisations differently (a division turned
        into a reciprocal multiply in one of them), hence the explicit 0. The
        gradient there is 0 too, the true one: ``p = q`` minimises all three."""
        value = jnp.where(self.same, 0.0, value)
        return jnp.where(jnp.squeeze(self.valid, self.axis), value, self.poison)


def _normalised_pair(fn: str, p: ArrayLike, q: ArrayLike, axis: int) -> _Pair:
    """Validate ``p``, ``q`` and return them as floats normalised along ``axis``.

    Concrete bad weights raise here. Traced ones cannot: a distribution with bad
    weights is replaced by uniform weights (so that no NaN reaches the
    gradient of the good ones: the "double where") and :meth:`_Pair.finish`
    turns its value into NaN."""
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
    axis = axis % p_arr.ndim
    dtype = jnp.result_type(p_arr, q_arr, 1.0)
    _check_weights(fn, "p", p, axis, dtype)
    _check_weights(fn, "q", q, axis, dtype)
    p_arr, q_arr = p_arr.astype(dtype), q_arr.astype(dtype)
    valid = _valid(p_arr, axis) & _valid(q_arr, axis)
    # NaN times the bad weights: its gradient is NaN for them; the inner where gives
    # the good distributions a zero (not 0 * NaN) cotangent
    bad = jnp.where(valid, 0.0, p_arr) + jnp.where(valid, 0.0, q_arr)
    poison = jnp.sum(bad, axis=axis) * jnp.nan
    pn = _normalise(jnp.where(valid, p_arr, 1.0), axis)
    qn = _normalise(jnp.where(valid, q_arr, 1.0), axis)
    same = jnp.all(p_arr == q_arr, axis=axis)
    return _Pair(pn, qn, valid, poison, same, axis)


def kl(p: ArrayLike, q: ArrayLike, axis: int = -1) -> jax.Array:
    r"""Kullback-Leibler divergence KL(p || q) between discrete distributions.

    .. math::

        \mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i},
        \qquad 0 \log \tfrac{0}{q} = 0, \quad p \log \tfrac{p}{0} = +\infty \ (p > 0),

    after normalising ``p`` and ``q`` to sum to one along ``axis``. Equal to
    ``scipy.special.rel_entr(p, q).sum(axis)`` on normalised inputs. The value
    is ``+inf`` (never NaN) where some ``q_i = 0 < p_i``; its gradient there is 0.
    A sum that rounding leaves below 0 is returned as 0.

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
    pair = _normalised_pair("kl", p, q, axis)
    pn, qn, axis = pair.pn, pair.qn, pair.axis
    ok = (pn > 0) & (qn > 0)
    infinite = jnp.any((pn > 0) & (qn <= 0), axis=axis)
    # double where: the masked entries get safe arguments so no NaN leaks into the gradient
    pn_safe = jnp.where(ok, pn, 1.0)
    qn_safe = jnp.where(ok, qn, 1.0)
    terms = jnp.where(ok, pn_safe * (jnp.log(pn_safe) - jnp.log(qn_safe)), 0.0)
    # KL >= 0 (Gibbs' inequality); rounding can leave the sum a hair below 0 when the
    # positive part is below the resolution of the weights (e.g. 5e-39 beside 0.5)
    value = jnp.maximum(jnp.sum(terms, axis=axis), 0.0)
    return pair.finish(jnp.where(infinite, jnp.inf, value))


def js(p: ArrayLike, q: ArrayLike, axis: int = -1) -> jax.Array:
    r"""Jensen-Shannon divergence between discrete distributions.

    With :math:`m = (p + q) / 2`,

    .. math::

        \mathrm{JS}(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)
        = \tfrac{\log 2}{2} \big(p(A_p) + q(A_q)\big)
          + \tfrac12 \sum_{i:\, p_i q_i > 0} \Big(p_i \log \frac{p_i}{m_i} + q_i \log \frac{q_i}{m_i}\Big),

    where :math:`A_p = \{i: p_i > 0 = q_i\}` is the part of ``p``'s support that
    ``q`` misses (and :math:`A_q` the other way round): there
    :math:`p_i \log(p_i / m_i) = p_i \log 2`. This form is the one computed, with
    the masses :math:`p(A_p)` taken relative to :math:`p`'s total and, with
    :math:`d_i = q_i - p_i`, :math:`\log(p_i/m_i) = -\operatorname{log1p}(d_i / 2p_i)`,
    :math:`\log(q_i/m_i) = -\operatorname{log1p}(-d_i / 2q_i)`. It is exactly
    ``log 2``, with gradient exactly 0, when the supports are disjoint
    (:math:`p(A_p) = q(A_q) = 1`, no shared index), exactly 0 for identical
    inputs, and for nearby inputs (:math:`|q_i / p_i - 1| \le \delta`) its
    relative error is about :math:`\epsilon / \delta` (machine epsilon
    :math:`\epsilon`), where the form :math:`\log 2 - \ldots` has
    :math:`\epsilon / \delta^2`: at :math:`\delta = 10^{-6}` in float64, 1e-9
    against 1e-2.
    This is the divergence, the square of
    ``scipy.spatial.distance.jensenshannon(p, q)``; it lies in ``[0, log 2]``.

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
    pair = _normalised_pair("js", p, q, axis)
    pn, qn, axis = pair.pn, pair.qn, pair.axis
    both = (pn > 0) & (qn > 0)
    # double where: the masked entries get safe arguments so no NaN leaks into the gradient
    pn_safe = jnp.where(both, pn, 1.0)
    qn_safe = jnp.where(both, qn, 1.0)
    shared = 0.5 * jnp.sum(jnp.where(both, _js_term(pn_safe, qn_safe), 0.0), axis=axis)
    value = 0.5 * LOG2 * (_mass_outside(pn, both, axis) + _mass_outside(qn, both, axis)) + shared
    # 0 <= JS <= log 2 mathematically; rounding can leave -1e-17, or one ulp above log 2
    # when almost all the mass is outside the shared support (where, not clip: a value
    # equal to log 2 keeps its whole gradient)
    value = jnp.maximum(value, 0.0)
    return pair.finish(jnp.where(value > LOG2, LOG2, value))


def _log_ratios(p: jax.Array, q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``log(p / m)`` and ``log(q / m)``, ``m = (p + q) / 2``, for ``p, q > 0``.

    As ``-log1p(d / 2p)`` and ``-log1p(-d / 2q)`` with ``d = q - p``: exactly 0 where
    ``p == q``, no cancellation for nearby ``p, q``, and no argument near -1
    (``d / 2p > -1/2`` where ``q < p``)."""
    d = q - p
    return -jnp.log1p(d / (2.0 * p)), -jnp.log1p(-d / (2.0 * q))


@jax.custom_jvp
def _js_term(p: jax.Array, q: jax.Array) -> jax.Array:
    """``p log(p / m) + q log(q / m)`` elementwise (``p, q > 0``)."""
    lp, lq = _log_ratios(p, q)
    return p * lp + q * lq


@_js_term.defjvp
def _js_term_jvp(primals, tangents):
    # d/dp = log(p / m) + 1 - (p + q) / 2m = log(p / m), and likewise in q: the logs
    # themselves. Autodiff of the log1p form would pass through d / p^2, which
    # overflows float32 for p below 1e-19.
    p, q = primals
    dp, dq = tangents
    lp, lq = _log_ratios(p, q)
    return p * lp + q * lq, lp * dp + lq * dq


def _mass_outside(w: jax.Array, both: jax.Array, axis: int) -> jax.Array:
    """Mass of ``w`` off the shared support, relative to its total: ``a / (a + b)``.

    Exactly 1 (gradient exactly 0) when nothing is shared (``b = 0``) and exactly 0
    when all is (``a = 0``), whatever the rounding of ``sum(w)``."""
    alone = jnp.sum(jnp.where(both, 0.0, w), axis=axis)
    shared = jnp.sum(jnp.where(both, w, 0.0), axis=axis)
    return alone / (alone + shared)


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
    pair = _normalised_pair("tv", p, q, axis)
    return pair.finish(0.5 * jnp.sum(jnp.abs(pair.pn - pair.qn), axis=pair.axis))

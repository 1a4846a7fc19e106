"""Argument checks and small helpers shared by several gantoy modules (private).

Value checks run on concrete inputs only: under ``jax.jit`` (or ``grad``,
``vmap``) the arguments are tracers and hold no values to check.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _is_concrete(x) -> bool:
    """True when ``x`` holds values (not a tracer inside ``jit``/``grad``/``vmap``)."""
    return not isinstance(x, jax.core.Tracer)


def _concrete(x) -> np.ndarray | None:
    """``x`` as a numpy array, or ``None`` when it is traced."""
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x)):
        return None
    return np.asarray(x)


def _check_sigma(sigma, *, positive: bool, name: str = "sigma") -> None:
    s = _concrete(sigma)
    if s is None:
        return
    if s.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got shape {s.shape}")
    if not np.isfinite(s) or s < 0 or (positive and s == 0):
        need = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be finite and {need}; got {float(s)!r}")


def _check_order(order, dim: int, *, max_dim: int = 3) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be a positive int; got {order!r}")
    if dim > max_dim:
        raise ValueError(
            f"tensor quadrature needs order**d nodes: d = {dim} > {max_dim} is too large"
        )
    return int(order)


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


def _normalise(w: jax.Array, axis: int) -> jax.Array:
    """``w / sum(w)`` along ``axis``, scaled by the largest weight first (no overflow).

    The result does not depend on the scale, so the scale is a constant for
    autodiff (its own gradient would underflow for tiny weights)."""
    w = w / lax.stop_gradient(jnp.max(w, axis=axis, keepdims=True))
    return w / jnp.sum(w, axis=axis, keepdims=True)


def _positive_definite(chol: jax.Array) -> jax.Array:
    """Whether a Cholesky factor ``[d, d]`` is of a positive definite matrix: diagonal > 0 (not NaN)."""
    return jnp.all(jnp.diagonal(chol) > 0)


def _as_keys(key, n_seeds=None):
    """One key, or ``n_seeds`` seeds' keys ``jax.random.split(key, n_seeds)``: ``(keys, batched)``.

    ``key`` is one key (new-style, or raw ``uint32[2]``); a batch of keys is
    refused, so that the number of seeds is never guessed from a key's shape.
    ``jax.random.split(key, n)`` is :func:`gantoy.gan.engine.seed_keys`.
    """
    key = jnp.asarray(key) if not isinstance(key, jax.Array) else key
    if not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.dtype == jnp.uint32 and key.shape[-1:] == (2,):
            key = jax.random.wrap_key_data(key)
        else:
            raise ValueError(f"key must be a jax.random.key; got dtype {key.dtype}")
    if key.ndim:
        raise ValueError(
            f"key must be one jax.random.key; got a batch of keys of shape {key.shape}. Pass one key and "
            "n_seeds=N for N seeds (seed i uses seed_keys(key, N)[i]), or jax.vmap a one-seed function "
            "(such as make_step) over keys of your own")
    if n_seeds is None:
        return key, False
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1:
        raise ValueError(f"n_seeds must be an int >= 1 or None (one seed); got {n_seeds!r}")
    return jax.random.split(key, int(n_seeds)), True

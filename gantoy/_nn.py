"""Neural-network building blocks shared by two layers (private).

A multilayer perceptron is a plain list ``[(W_1, b_1), ..., (W_L, b_L)]`` with
``W_l`` of shape ``[d_{l-1}, d_l]`` and ``b_l`` of shape ``[d_l]``: a pytree that
``jax.grad``, ``jax.vmap`` and optax handle directly. The lowest layer needs it
(:class:`gantoy.measures.distributions.Pushforward`, the law of a random MLP
generator) and so does the GAN machinery (generators and critics), so the
primitives live below both: the activation table, the initialisation, the
forward pass, and a Euclidean norm with a finite gradient at zero. The public
home of these names is :mod:`gantoy.gan.nets` (``ACTIVATIONS``, ``mlp_init``,
``mlp_apply``) and :mod:`gantoy.gan.losses` (``safe_norm``), which re-export them.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

__all__ = ["ACTIVATIONS", "mlp_init", "mlp_apply", "safe_norm"]

Params = list  # list[tuple[jax.Array, jax.Array]]


def _leaky_relu(x):
    return jax.nn.leaky_relu(x, 0.2)


#: Activations by name (``leaky_relu`` uses slope 0.2, as DCGAN-style critics do).
ACTIVATIONS: dict[str, Callable] = {
    "relu": jax.nn.relu,
    "leaky_relu": _leaky_relu,
    "tanh": jnp.tanh,
    "elu": jax.nn.elu,
    "softplus": jax.nn.softplus,
    "sigmoid": jax.nn.sigmoid,
    "linear": lambda x: x,
}

_INITS = ("torch", "he", "glorot")


def _activation(name: str) -> Callable:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}") from None


def mlp_init(
    key: jax.Array,
    sizes: Sequence[int],
    *,
    init: str = "torch",
    dtype=None,
) -> Params:
    """Initialise an MLP with layer widths ``sizes = (d_in, h_1, ..., d_out)``.

    ``init="torch"`` (default) is PyTorch's ``nn.Linear`` initialisation, the one
    the reference GAN codes ran with: weights and biases uniform on
    :math:`[-1/\\sqrt{d_{l-1}}, 1/\\sqrt{d_{l-1}}]`.
    ``"he"`` draws :math:`W \\sim N(0, 2/d_{l-1})`, ``"glorot"``
    :math:`W \\sim U[\\pm\\sqrt{6/(d_{l-1}+d_l)}]`; both with zero biases.
    Layer ``l`` (from 0) draws from ``jax.random.split(jax.random.fold_in(key, l))``:
    its weights from the first key, its bias from the second.

    Args:
      key: a PRNG key.
      sizes: ``L + 1`` positive ints: input width, hidden widths, output width.
      init: ``"torch"``, ``"he"`` or ``"glorot"``.
      dtype: parameter dtype; default the default float (float64 under
        ``jax.enable_x64``).

    Returns:
      ``[(W_1, b_1), ..., (W_L, b_L)]`` with ``W_l`` ``[d_{l-1}, d_l]`` and
      ``b_l`` ``[d_l]``.

    References:
      Paszke et al. 2019, "PyTorch" (``torch.nn.Linear.reset_parameters``);
      He et al. 2015; Glorot & Bengio 2010.

    >>> params = mlp_init(jax.random.key(0), (2, 8, 1))
    >>> [tuple(w.shape) for w, b in params]
    [(2, 8), (8, 1)]
    >>> bool(jnp.all(jnp.abs(params[0][0]) <= 1 / 2**0.5))
    True
    """
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must be at least (d_in, d_out) with positive widths; got {sizes}")
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS}; got {init!r}")
    dtype = jnp.zeros((), dtype=dtype if dtype is not None else float).dtype
    params = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        kw, kb = jax.random.split(jax.random.fold_in(key, i))
        if init == "torch":
            bound = 1.0 / math.sqrt(d_in)  # math.sqrt is correctly rounded on every platform
            w = jax.random.uniform(kw, (d_in, d_out), dtype, -bound, bound)
            b = jax.random.uniform(kb, (d_out,), dtype, -bound, bound)
        elif init == "he":
            w = jax.random.normal(kw, (d_in, d_out), dtype) * (2.0 / d_in) ** 0.5
            b = jnp.zeros((d_out,), dtype)
        else:
            bound = (6.0 / (d_in + d_out)) ** 0.5
            w = jax.random.uniform(kw, (d_in, d_out), dtype, -bound, bound)
            b = jnp.zeros((d_out,), dtype)
        params.append((w, b))
    return params


def mlp_apply(
    params: Params,
    x: ArrayLike,
    *,
    activation: str = "relu",
    shifts: Sequence[ArrayLike] | None = None,
) -> jax.Array:
    """Apply the MLP to ``x`` of shape ``[..., d_in]``.

    .. math::
        h_0 = x, \\quad a_l = h_{l-1} W_l + b_l + s_l, \\quad
        h_l = \\sigma(a_l) \\; (l < L), \\quad \\text{out} = a_L .

    The last layer is linear (a logit or a critic score).

    Args:
      params: from :func:`mlp_init` (a list or tuple of ``(W, b)`` pairs).
      x: ``[..., d_in]`` inputs (any leading axes, none for one point).
      activation: a name in :data:`ACTIVATIONS`.
      shifts: optional, one array per layer broadcastable to ``[..., d_l]``,
        added to the pre-activation :math:`a_l` (zero shifts change nothing;
        differentiate with respect to them to get pre-activation gradients).

    Returns:
      ``[..., d_out]``.

    >>> params = mlp_init(jax.random.key(0), (2, 8, 1))
    >>> mlp_apply(params, jnp.zeros((5, 2))).shape
    (5, 1)
    """
    act = _activation(activation)
    h = jnp.asarray(x)
    if h.shape[-1] != params[0][0].shape[0]:
        raise ValueError(f"x must be [..., {params[0][0].shape[0]}]; got shape {h.shape}")
    if shifts is not None and len(shifts) != len(params):
        raise ValueError(f"need one shift per layer ({len(params)}); got {len(shifts)}")
    n = len(params)
    for i, (w, b) in enumerate(params):
        a = h @ w
        a = a + b.reshape((1,) * (a.ndim - 1) + b.shape)
        if shifts is not None:
            a = a + shifts[i]
        h = act(a) if i < n - 1 else a
    return h


def safe_norm(x: ArrayLike, axis=-1) -> jax.Array:
    """Euclidean norm with a finite gradient (zero) at ``x = 0``.

    Uses the "double where": the square root only ever sees positive arguments.

    >>> float(safe_norm(jnp.array([3.0, 4.0])))
    5.0
    >>> jax.grad(lambda v: safe_norm(v))(jnp.zeros(2)).tolist()
    [0.0, 0.0]
    """
    sq = jnp.sum(jnp.square(x), axis=axis)
    pos = sq > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, sq, 1.0)), 0.0)

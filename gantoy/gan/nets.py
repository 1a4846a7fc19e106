"""Multilayer perceptrons as plain lists of ``(W, b)`` pairs.

A network is a list ``[(W_1, b_1), ..., (W_L, b_L)]`` with ``W_l`` of shape
``[d_{l-1}, d_l]`` and ``b_l`` of shape ``[d_l]``: a pytree that ``jax.grad``,
``jax.vmap`` and optax handle directly. :func:`mlp_apply` maps ``[..., d_0]`` to
``[..., d_L]``; the activation follows every layer but the last, so a
discriminator returns a logit and a critic a score.

For the layer-wise gradient diagnostics of WGAN-GP Fig. 1b, :func:`mlp_apply`
accepts ``shifts``: one array per layer added to that layer's pre-activation.
The gradient of any loss with respect to a zero shift is exactly the gradient
with respect to that layer's pre-activation (:func:`preactivation_grads`).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gantoy._nn import ACTIVATIONS, mlp_apply, mlp_init  # defined below the layers: measures uses them too

__all__ = [
    "ACTIVATIONS",
    "mlp_init",
    "mlp_apply",
    "mlp_sizes",
    "preactivation_grads",
]

Params = list  # list[tuple[jax.Array, jax.Array]]


def mlp_sizes(params: Params) -> tuple[int, ...]:
    """The widths ``(d_in, h_1, ..., d_out)`` of an MLP (ignores leading batch axes).

    >>> mlp_sizes(mlp_init(jax.random.key(0), (2, 16, 16, 1)))
    (2, 16, 16, 1)
    """
    return (int(params[0][0].shape[-2]),) + tuple(int(w.shape[-1]) for w, _ in params)


def preactivation_grads(
    loss_of_output: Callable[[jax.Array], jax.Array],
    params: Params,
    x: ArrayLike,
    *,
    activation: str = "relu",
) -> list[jax.Array]:
    """Gradients of a scalar loss with respect to every layer's pre-activation.

    .. math::
        g_l = \\frac{\\partial\\, \\ell(\\text{mlp}(x))}{\\partial a_l} \\in
        \\mathbb{R}^{n \\times d_l}, \\quad l = 1, \\dots, L .

    Computed as the gradient with respect to zero shifts (see :func:`mlp_apply`).
    The last entry is the gradient with respect to the output.

    Args:
      loss_of_output: maps the ``[n, d_out]`` output to a scalar.
      params: from :func:`mlp_init`.
      x: ``[n, d_in]``.

    Returns:
      A list of ``L`` arrays, ``[n, d_l]`` each.

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Fig. 1b.

    >>> params = mlp_init(jax.random.key(0), (2, 4, 1))
    >>> g = preactivation_grads(jnp.sum, params, jnp.ones((3, 2)))
    >>> [tuple(a.shape) for a in g], float(g[-1][0, 0])
    ([(3, 4), (3, 1)], 1.0)
    """
    x = jnp.asarray(x)
    zeros = [jnp.zeros(x.shape[:-1] + (w.shape[-1],), x.dtype) for w, _ in params]
    return jax.grad(lambda s: loss_of_output(mlp_apply(params, x, activation=activation, shifts=s)))(zeros)

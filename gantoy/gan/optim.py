"""Optimisers for the two players: hashable descriptions turned into optax.

:class:`Optimizer` (built by :func:`adam`, :func:`rmsprop`, :func:`sgd`) is a
hashable description, so a :class:`gantoy.gan.model.GANConfig` that holds one
can key compiled code; :func:`make_optimizer` turns it into the optax
transformation (any ``optax.GradientTransformation`` is accepted as it is).
:func:`tree_cosine` is the diagnostic WGAN's optimiser argument needs: the
cosine between an optimiser's update and the negative gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["Optimizer", "adam", "rmsprop", "sgd", "make_optimizer", "tree_cosine"]


class Optimizer(NamedTuple):
    """A hashable optimiser description, turned into optax by :func:`make_optimizer`.

    Build it with :func:`adam`, :func:`rmsprop` or :func:`sgd`. A
    :class:`GANConfig` also takes any ``optax.GradientTransformation`` in its
    place.
    """

    name: str
    lr: float
    b1: float = 0.0
    b2: float = 0.0
    decay: float = 0.0
    eps: float = 1e-8
    momentum: float = 0.0


def adam(lr: float = 1e-4, b1: float = 0.5, b2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam (Kingma & Ba 2015), run as ``optax.adam(lr, b1, b2, eps)``.

    ``eps`` is added outside the square root, as in PyTorch and optax.

    Args:
      lr: step size; optax has no default. ``1e-4`` is the WGAN-GP paper's (and
        close to DCGAN's ``2e-4``), a safe step for the course's toy GANs.
      b1: first-moment decay. **Differs from optax** (``0.9``): ``0.5`` is the
        DCGAN setting (Radford et al. 2016 found 0.9 made training oscillate
        and 0.5 stabilised it), used by the GAN toy experiments. WGAN-GP uses
        ``b1=0.0, b2=0.9``.
      b2: second-moment decay, optax's default.
      eps: optax's default.

    >>> adam(1e-4, 0.0, 0.9).b2
    0.9
    """
    return Optimizer("adam", float(lr), b1=float(b1), b2=float(b2), eps=float(eps))


def rmsprop(lr: float = 5e-5, decay: float = 0.99, eps: float = 1e-8) -> Optimizer:
    """RMSProp without momentum, as the WGAN reference code runs it.

    .. math::
        v \\leftarrow \\rho v + (1 - \\rho) g^2, \\qquad
        \\theta \\leftarrow \\theta - \\eta\\, g / (\\sqrt{v} + \\epsilon) .

    The WGAN reference code calls ``torch.optim.RMSprop(params, lr=5e-5)`` with
    PyTorch's defaults: :math:`\\rho = 0.99` (``alpha``), :math:`\\epsilon = 10^{-8}`
    outside the square root, :math:`v_0 = 0`, no momentum, not centred. optax's
    own defaults differ (``decay=0.9``, ``eps`` inside the root), so
    :func:`make_optimizer` passes these explicitly. Every update is
    :math:`-\\eta` times the gradient scaled by a positive diagonal, so
    :math:`\\cos(\\text{update}, -g) > 0` whenever :math:`g \\neq 0`.

    Args:
      lr: step size; optax has no default. ``5e-5`` is WGAN's (Algorithm 1).
      decay: :math:`\\rho`. **Differs from optax** (``0.9``): ``0.99`` is
        PyTorch's, as the WGAN reference code ran it.
      eps: :math:`\\epsilon`, optax's value, but outside the square root
        (optax's default puts it inside: ``eps_in_sqrt=True``).

    References:
      Tieleman & Hinton 2012, Lecture 6.5; Arjovsky et al. 2017, Algorithm 1.

    >>> rmsprop().decay
    0.99
    """
    return Optimizer("rmsprop", float(lr), decay=float(decay), eps=float(eps))


def sgd(lr: float = 1e-3, momentum: float = 0.0) -> Optimizer:
    """Plain SGD (``momentum=0``) or heavy-ball momentum, run as ``optax.sgd``.

    Args:
      lr: step size; optax has no default. ``1e-3`` is a small step for the
        toy problems.
      momentum: optax's default (none): ``0`` runs ``optax.sgd(lr, momentum=None)``.

    >>> sgd(0.1).name
    'sgd'
    """
    return Optimizer("sgd", float(lr), momentum=float(momentum))


def make_optimizer(spec: Optimizer | optax.GradientTransformation) -> optax.GradientTransformation:
    """The optax transformation for an :class:`Optimizer` description (an optax one as it is).

    >>> tx = make_optimizer(rmsprop(1e-3))
    >>> u, _ = tx.update(jnp.array([2.0]), tx.init(jnp.zeros(1)))
    >>> round(float(u[0]), 6)  # -lr * g / sqrt(0.01 g^2) = -lr * 10
    -0.01
    >>> tx = optax.adam(1e-3)
    >>> make_optimizer(tx) is tx
    True
    """
    if isinstance(spec, optax.GradientTransformation):
        return spec
    if not isinstance(spec, Optimizer):
        raise ValueError(f"an optimizer must be an Optimizer (adam(), rmsprop(), sgd()) or an "
                         f"optax.GradientTransformation; got {type(spec).__name__}")
    if spec.name == "adam":
        return optax.adam(spec.lr, b1=spec.b1, b2=spec.b2, eps=spec.eps)
    if spec.name == "rmsprop":
        return optax.rmsprop(spec.lr, decay=spec.decay, eps=spec.eps, eps_in_sqrt=False, momentum=None)
    if spec.name == "sgd":
        return optax.sgd(spec.lr, momentum=spec.momentum or None)
    raise ValueError(f"optimizer name must be 'adam', 'rmsprop' or 'sgd'; got {spec.name!r}")


def tree_cosine(u, v) -> jax.Array:
    """Cosine between two pytrees of the same structure, 0 when either is 0.

    :math:`\\sum u v / (\\|u\\| \\|v\\|)` over all leaves, with optax's tree sums.

    >>> float(tree_cosine([jnp.array([1.0, 0.0])], [jnp.array([1.0, 1.0])]))  # 1 / sqrt(2)
    0.7071067...
    """
    den = optax.tree.norm(u) * optax.tree.norm(v)
    dot = optax.tree.sum(optax.tree.mul(u, v))
    return jnp.where(den > 0, dot / jnp.where(den > 0, den, 1.0), 0.0)

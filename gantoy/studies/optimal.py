r"""The optimal discriminator and the GAN value function, exactly, from densities.

For a fixed generator, the discriminator that maximises the GAN value

.. math::
   V(D) = E_{x \sim P_r} \log D(x) + E_{x \sim P_g} \log(1 - D(x))

is :math:`D^*(x) = p_r(x) / (p_r(x) + p_g(x))` (Goodfellow et al. 2014, Prop. 1),
and at it :math:`V(D^*) = 2\,JS(P_r, P_g) - 2 \log 2` (their Thm. 1). In logit
form :math:`D = \sigma(\ell)`, the optimal logit is the log density ratio
:math:`\ell^* = \log p_r - \log p_g`, and

.. math::
   V(\ell) = -E_{P_r}[\operatorname{softplus}(-\ell)] - E_{P_g}[\operatorname{softplus}(\ell)],

which never forms :math:`\log \sigma` of a large negative number.

Densities come from :mod:`gantoy.measures.distributions` (``log_prob_smoothed(x, sigma)``;
``sigma = 0`` for distributions that have a density, such as Gaussian
mixtures with positive standard deviations, ``sigma > 0`` for the blurred
versions of distributions on low-dimensional sets), expectations from their
quadrature rules (``quadrature(sigma, order)``), as in :mod:`gantoy.distances.smoothed`.

References:
  Goodfellow et al. (2014), "Generative Adversarial Nets", Prop. 1 and Thm. 1.

Example:
    >>> import math
    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> pr = gaussian_mixture([[-1.0]], 1.0)
    >>> pg = gaussian_mixture([[1.0]], 1.0)
    >>> float(optimal_discriminator(pr, pg, jnp.zeros((1, 1)))[0])   # equal densities at 0
    0.5
    >>> v = float(optimal_value(pr, pg))
    >>> from gantoy.distances.smoothed import js_smoothed
    >>> abs(v - (2 * float(js_smoothed(pr, pg, 0.0)) - 2 * math.log(2))) < 1e-6
    True
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from gantoy._checks import _check_order, _check_sigma, _concrete

__all__ = [
    "optimal_logit",
    "optimal_discriminator",
    "gan_value",
    "optimal_value",
]

Array = jax.Array
ArrayLike = jax.typing.ArrayLike


def _check_dists(p_real, p_fake, *, need_quadrature: bool = False) -> None:
    for name, d in (("p_real", p_real), ("p_fake", p_fake)):
        if not hasattr(d, "log_prob_smoothed"):
            raise ValueError(f"{name} must offer log_prob_smoothed; {type(d).__name__} does not")
        if need_quadrature and not hasattr(d, "quadrature"):
            raise ValueError(f"{name} must offer quadrature; {type(d).__name__} does not")
    if p_real.dim != p_fake.dim:
        raise ValueError(f"p_real and p_fake must live in the same space; got dims {p_real.dim} and {p_fake.dim}")


def _check_density(p_real, p_fake, sigma) -> None:
    c = _concrete(sigma)
    if c is not None and c == 0:
        for name, d in (("p_real", p_real), ("p_fake", p_fake)):
            if hasattr(d, "has_density") and not d.has_density():
                raise ValueError(
                    f"sigma must be > 0: {name} ({type(d).__name__}) has no density without smoothing"
                )


def _log_ratio(lp: Array, lq: Array) -> Array:
    """``lp - lq``, with 0 where both are ``-inf`` (D* = 1/2 where neither has mass), NaN-free."""
    both = jnp.isneginf(lp) & jnp.isneginf(lq)
    return jnp.where(both, 0.0, jnp.where(both, 0.0, lp) - jnp.where(both, 0.0, lq))


def optimal_logit(p_real, p_fake, x: ArrayLike, sigma: ArrayLike = 0.0) -> Array:
    r"""The optimal discriminator's logit, the log density ratio :math:`\ell^*(x) = \log p_r(x) - \log p_g(x)`.

    .. math::
       D^*(x) = \frac{p_r(x)}{p_r(x) + p_g(x)} = \sigma\big(\log p_r(x) - \log p_g(x)\big).

    ``+inf`` where only :math:`p_r` has mass, ``-inf`` where only :math:`p_g`
    has, 0 where neither has (numerically), so :math:`\sigma(\ell^*)` is always
    defined.

    Args:
      p_real, p_fake: distributions with ``log_prob_smoothed`` (same dimension ``d``).
      x: ``[n, d]`` points.
      sigma: blur of both distributions (0: their own densities).

    Returns:
      ``[n]`` logits.

    References:
      Goodfellow et al. (2014), Prop. 1.

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> pr, pg = gaussian_mixture([[0.0]], 1.0), gaussian_mixture([[2.0]], 1.0)
    >>> [round(float(v), 6) for v in optimal_logit(pr, pg, jnp.array([[0.0], [1.0]]))]   # 2 - 2x
    [2.0, 0.0]
    """
    _check_dists(p_real, p_fake)
    _check_sigma(sigma, positive=False)
    _check_density(p_real, p_fake, sigma)
    return _log_ratio(p_real.log_prob_smoothed(x, sigma), p_fake.log_prob_smoothed(x, sigma))


def optimal_discriminator(p_real, p_fake, x: ArrayLike, sigma: ArrayLike = 0.0) -> Array:
    r""":math:`D^*(x) = p_r(x) / (p_r(x) + p_g(x))`, computed as :math:`\sigma(\ell^*(x))`; ``[n, d] -> [n]``.

    See :func:`optimal_logit`.

    References:
      Goodfellow et al. (2014), Prop. 1.

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> pr, pg = gaussian_mixture([[0.0]], 1.0), gaussian_mixture([[2.0]], 1.0)
    >>> round(float(optimal_discriminator(pr, pg, jnp.array([[1.0]]))[0]), 6)
    0.5
    """
    return jax.nn.sigmoid(optimal_logit(p_real, p_fake, x, sigma))


def _expect(dist, sigma, order, f) -> Array:
    nodes, log_w = dist.quadrature(sigma, order)
    return jnp.sum(jnp.exp(log_w) * f(nodes))


def gan_value(
    p_real,
    p_fake,
    logit_fn: Callable[[Array], Array],
    sigma: ArrayLike = 0.0,
    *,
    order: int = 16,
    grid: tuple[ArrayLike, ArrayLike] | None = None,
) -> Array:
    r"""The GAN value of a discriminator with logit :math:`\ell`, by quadrature.

    .. math::
       V(D) = E_{P_r} \log D + E_{P_g} \log(1 - D)
            = -E_{P_r}[\operatorname{softplus}(-\ell)] - E_{P_g}[\operatorname{softplus}(\ell)]
            \le 2\,JS(P_r, P_g) - 2\log 2,

    with equality exactly at :math:`D^*`. It is minus the discriminator loss
    (:func:`gantoy.gan.losses.discriminator_loss`) in expectation.

    By default the expectations use the distributions' own rules (Gauss-Hermite
    around each mixture component), which converge fast for smooth logits. A
    ReLU network's logit has kinks, where those rules converge slowly (about
    1e-4 at 256 nodes for a 2x64 ReLU net in 1-d, enough to seem to beat
    :math:`D^*`): pass ``grid``, a rule for Lebesgue measure, instead,

    .. math::
       V \approx \sum_j w_j \big[p_r(x_j)\,(-\operatorname{softplus}(-\ell(x_j)))
                                  + p_g(x_j)\,(-\operatorname{softplus}(\ell(x_j)))\big],

    e.g. trapezoid weights on a fine 1-d grid covering both supports.

    Args:
      p_real, p_fake: distributions with ``log_prob_smoothed`` (and ``quadrature``
        unless ``grid`` is given).
      logit_fn: ``[n, d] -> [n]``, e.g. ``gantoy.critic_fn(cfg, d_params)`` for a
        trained discriminator.
      sigma: blur of both distributions (0: their own densities).
      order: quadrature order per dimension (Gauss-Hermite for mixtures).
      grid: optional ``(x [N, d], weights [N])``, a quadrature rule for
        :math:`\int \cdot\, dx`; terms where a density is 0 count as 0.

    Returns:
      Scalar :math:`V` in nats.

    References:
      Goodfellow et al. (2014), Eq. 1 and Thm. 1.

    >>> import math
    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> pr, pg = gaussian_mixture([[0.0]], 1.0), gaussian_mixture([[2.0]], 1.0)
    >>> round(float(gan_value(pr, pg, lambda x: jnp.zeros(x.shape[0]))), 6) == round(-2 * math.log(2), 6)
    True
    >>> x = jnp.linspace(-12.0, 14.0, 2601)[:, None]
    >>> w = jnp.full(2601, 0.01).at[jnp.array([0, -1])].set(0.005)     # trapezoid weights
    >>> round(float(gan_value(pr, pg, lambda x: jnp.zeros(x.shape[0]), grid=(x, w))), 6)
    -1.386294
    """
    _check_dists(p_real, p_fake, need_quadrature=grid is None)
    _check_sigma(sigma, positive=False)
    _check_density(p_real, p_fake, sigma)
    if grid is not None:
        return _grid_value(p_real, p_fake, logit_fn, sigma, grid)
    _check_order(order, p_real.dim)
    real = _expect(p_real, sigma, order, lambda x: -jax.nn.softplus(-logit_fn(x)))
    fake = _expect(p_fake, sigma, order, lambda x: -jax.nn.softplus(logit_fn(x)))
    return real + fake


def _grid_value(p_real, p_fake, logit_fn, sigma, grid) -> Array:
    if not (isinstance(grid, (tuple, list)) and len(grid) == 2):
        raise ValueError("grid must be a pair (x [N, d], weights [N])")
    x, w = jnp.asarray(grid[0]), jnp.asarray(grid[1])
    if x.ndim != 2 or x.shape[1] != p_real.dim or w.shape != x.shape[:1]:
        raise ValueError(f"grid must be (x [N, {p_real.dim}], weights [N]); got shapes {x.shape} and {w.shape}")
    logit = logit_fn(x)

    def term(log_dens, t):
        pos = jnp.isfinite(log_dens)  # density 0 (log -inf) contributes 0, even where t is infinite
        return jnp.where(pos, jnp.exp(jnp.where(pos, log_dens, 0.0)) * jnp.where(pos, t, 0.0), 0.0)

    real = term(p_real.log_prob_smoothed(x, sigma), -jax.nn.softplus(-logit))
    fake = term(p_fake.log_prob_smoothed(x, sigma), -jax.nn.softplus(logit))
    return jnp.sum(w * (real + fake))


def optimal_value(p_real, p_fake, sigma: ArrayLike = 0.0, *, order: int = 16) -> Array:
    r"""The GAN value at the optimal discriminator, :math:`V(D^*) = 2\,JS(P_r, P_g) - 2\log 2`.

    Computed as :func:`gan_value` with :math:`\ell^* = \log p_r - \log p_g`.
    Between :math:`-2\log 2` (identical distributions) and 0 (disjoint supports).

    References:
      Goodfellow et al. (2014), Thm. 1: :math:`C(G) = -\log 4 + 2\,JSD(p_{data} \| p_g)`.

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> pr = gaussian_mixture([[0.0]], 1.0)
    >>> round(float(optimal_value(pr, pr)), 6)   # -log 4
    -1.386294
    """
    return gan_value(
        p_real, p_fake, lambda x: _log_ratio(p_real.log_prob_smoothed(x, sigma), p_fake.log_prob_smoothed(x, sigma)),
        sigma, order=order,
    )

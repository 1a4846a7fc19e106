"""GAN losses, one pure function each, on logits (or critic scores).

Conventions. ``D`` outputs a *logit* :math:`\\ell(x)` with
:math:`D(x) = \\sigma(\\ell(x))`; every log-probability is computed in log space,
:math:`\\log D = -\\mathrm{softplus}(-\\ell)` and
:math:`\\log(1 - D) = -\\mathrm{softplus}(\\ell)`, never as ``log(sigmoid(.))``
(which is ``-inf`` in float32 once :math:`\\ell < -104`). A WGAN critic outputs an
unbounded score :math:`f(x)` (no sigmoid, no log). Every loss is something to
*minimise*: the discriminator/critic minimises its loss, the generator its own.

The penalties take the critic as a function ``critic: [n, d] -> [n]`` (for
instance ``lambda x: mlp_apply(params, x)[..., 0]``) because they differentiate
it with respect to its input. They rely on the critic acting on each row
independently (an MLP without batch statistics), so that the gradient of the
summed outputs is every sample's own input gradient.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gantoy._nn import safe_norm  # defined below the layers: measures uses it too

__all__ = [
    "discriminator_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "wgan_critic_loss",
    "wgan_generator_loss",
    "gradient_penalty",
    "r1_penalty",
    "clip_weights",
    "add_instance_noise",
    "annealed_sigma",
    "safe_norm",
    "input_gradients",
]


def discriminator_loss(real_logits: ArrayLike, fake_logits: ArrayLike) -> jax.Array:
    """The original GAN discriminator loss (binary cross-entropy), to minimise.

    .. math::
        L_D = -\\mathbb{E}_{x \\sim P_r} \\log D(x) - \\mathbb{E}_{z} \\log(1 - D(G(z)))
            = \\mathbb{E}\\,\\mathrm{softplus}(-\\ell(x)) + \\mathbb{E}\\,\\mathrm{softplus}(\\ell(G(z))) .

    At the optimal :math:`D^*`, :math:`-L_D = 2\\,JS(P_r, P_g) - 2 \\log 2`.

    Args:
      real_logits: ``[n]`` logits on real samples.
      fake_logits: ``[m]`` logits on generated samples.

    References:
      Goodfellow et al. 2014, "Generative Adversarial Nets", Eq. 1 and Thm. 1.

    >>> round(float(discriminator_loss(jnp.zeros(3), jnp.zeros(2))), 6)  # 2 log 2
    1.386294
    """
    return jnp.mean(jax.nn.softplus(-jnp.asarray(real_logits))) + jnp.mean(
        jax.nn.softplus(jnp.asarray(fake_logits))
    )


def minimax_generator_loss(fake_logits: ArrayLike) -> jax.Array:
    """The original (saturating, "minimax") generator loss, to minimise.

    .. math::
        L_G = \\mathbb{E}_z \\log(1 - D(G(z))) = -\\mathbb{E}_z\\,\\mathrm{softplus}(\\ell(G(z))) .

    Its gradient vanishes as :math:`D(G(z)) \\to 0` (a confident discriminator):
    :math:`\\partial L_G / \\partial \\ell = -\\sigma(\\ell)`.

    References:
      Goodfellow et al. 2014, Eq. 1; Arjovsky & Bottou 2017, "Towards Principled
      Methods for Training GANs", Thm. 2.4 and Fig. 2.

    >>> round(float(minimax_generator_loss(jnp.zeros(4))), 6)  # log(1/2)
    -0.693147
    """
    return -jnp.mean(jax.nn.softplus(jnp.asarray(fake_logits)))


def nonsaturating_generator_loss(fake_logits: ArrayLike) -> jax.Array:
    """The non-saturating ("-log D") generator loss, to minimise.

    .. math::
        L_G = -\\mathbb{E}_z \\log D(G(z)) = \\mathbb{E}_z\\,\\mathrm{softplus}(-\\ell(G(z))) .

    At the optimal discriminator its gradient is that of
    :math:`KL(P_g \\| P_r) - 2\\,JS(P_r, P_g)`.

    References:
      Goodfellow et al. 2014, Sec. 3; Arjovsky & Bottou 2017, Thm. 2.5 and Fig. 3.

    >>> round(float(nonsaturating_generator_loss(jnp.zeros(4))), 6)  # -log(1/2)
    0.693147
    """
    return jnp.mean(jax.nn.softplus(-jnp.asarray(fake_logits)))


def wgan_critic_loss(real_scores: ArrayLike, fake_scores: ArrayLike) -> jax.Array:
    """The WGAN critic loss (no sigmoid, no log), to minimise.

    .. math::
        L_D = \\mathbb{E}_z f(G(z)) - \\mathbb{E}_{x \\sim P_r} f(x) ,

    so :math:`-L_D = \\mathbb{E}_r f - \\mathbb{E}_g f` estimates :math:`K \\cdot W_1(P_r, P_g)`
    when :math:`f` ranges over :math:`K`-Lipschitz functions (Kantorovich-Rubinstein).

    References:
      Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", Eq. 3 and Algorithm 1.

    >>> float(wgan_critic_loss(jnp.array([1.0, 3.0]), jnp.array([0.5])))
    -1.5
    """
    return jnp.mean(jnp.asarray(fake_scores)) - jnp.mean(jnp.asarray(real_scores))


def wgan_generator_loss(fake_scores: ArrayLike) -> jax.Array:
    """The WGAN generator loss, to minimise: :math:`L_G = -\\mathbb{E}_z f(G(z))`.

    References:
      Arjovsky, Chintala & Bottou 2017, Algorithm 1.

    >>> float(wgan_generator_loss(jnp.array([1.0, 2.0])))
    -1.5
    """
    return -jnp.mean(jnp.asarray(fake_scores))


def input_gradients(critic: Callable, x: jax.Array) -> jax.Array:
    """Row-wise gradient of a critic with respect to its input, ``[n, d] -> [n, d]``.

    ``critic`` maps ``[n, d]`` to ``[n]`` row by row, so
    :math:`\\partial \\sum_i f(x_i) / \\partial x_i = \\nabla f(x_i)`.

    >>> input_gradients(lambda v: v[:, 0] ** 2, jnp.array([[3.0, 1.0]])).tolist()
    [[6.0, 0.0]]
    """
    return jax.grad(lambda v: jnp.sum(critic(v)))(x)


def gradient_penalty(
    key: jax.Array,
    critic: Callable,
    real: ArrayLike,
    fake: ArrayLike,
    *,
    weight: float = 10.0,
    target: float = 1.0,
) -> jax.Array:
    """The WGAN-GP two-sided gradient penalty on random interpolates.

    .. math::
        \\lambda\\, \\mathbb{E}_{\\hat x} \\big(\\|\\nabla_{\\hat x} f(\\hat x)\\|_2 - t\\big)^2, \\qquad
        \\hat x = \\epsilon x_r + (1 - \\epsilon) x_g, \\; \\epsilon \\sim U[0, 1]
        \\text{ per pair}.

    Args:
      key: PRNG key for :math:`\\epsilon`.
      critic: ``[n, d] -> [n]`` scores, acting row by row.
      real, fake: ``[n, d]`` paired samples.
      weight: :math:`\\lambda` (10 in the paper, 0.1 in its toy code).
      target: :math:`t`, the target gradient norm (1).

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Eq. 3 and
      Algorithm 1.

    >>> linear = lambda x: x @ jnp.array([3.0, 4.0])  # |grad| = 5 everywhere
    >>> x = jnp.ones((4, 2))
    >>> float(gradient_penalty(jax.random.key(0), linear, x, -x, weight=1.0))
    16.0
    """
    real = jnp.asarray(real)
    fake = jnp.asarray(fake)
    if real.shape != fake.shape or real.ndim != 2:
        raise ValueError(f"real and fake must both be [n, d]; got {real.shape} and {fake.shape}")
    eps = jax.random.uniform(key, (real.shape[0], 1), real.dtype)
    x_hat = eps * real + (1.0 - eps) * fake
    norms = safe_norm(input_gradients(critic, x_hat), axis=-1)
    return weight * jnp.mean(jnp.square(norms - target))


def r1_penalty(critic: Callable, real: ArrayLike, *, weight: float = 1.0) -> jax.Array:
    """The R1 penalty on real data: :math:`\\frac{\\gamma}{2}\\mathbb{E}_{x\\sim P_r}\\|\\nabla_x D(x)\\|^2`.

    Applied to the discriminator's logit. Makes the Dirac-GAN locally convergent.

    Args:
      critic: ``[n, d] -> [n]`` logits, acting row by row.
      real: ``[n, d]`` real samples.
      weight: :math:`\\gamma`.

    References:
      Mescheder, Geiger & Nowozin 2018, "Which Training Methods for GANs do
      actually Converge?", Eq. 9.

    >>> linear = lambda x: x @ jnp.array([3.0, 4.0])
    >>> float(r1_penalty(linear, jnp.ones((4, 2)), weight=2.0))
    25.0
    """
    g = input_gradients(critic, jnp.asarray(real))
    return 0.5 * weight * jnp.mean(jnp.sum(jnp.square(g), axis=-1))


def clip_weights(params, c: float):
    """Clip every parameter (weights and biases) to :math:`[-c, c]`.

    WGAN applies this after every critic update to keep the critic
    :math:`K`-Lipschitz for some :math:`K` that depends on :math:`c` and the
    architecture. The reference code clamps all of the critic's parameters.

    References:
      Arjovsky, Chintala & Bottou 2017, Algorithm 1, line 8.

    >>> (w, b), = clip_weights([(jnp.array([[0.5, -0.02]]), jnp.array([0.003]))], 0.01)
    >>> [round(float(v), 4) for v in (*w[0], *b)]
    [0.01, -0.01, 0.003]
    """
    if isinstance(c, (int, float)) and not c > 0:
        raise ValueError(f"clip c must be > 0; got {c}")
    return jax.tree_util.tree_map(lambda p: jnp.clip(p, -c, c), params)


def add_instance_noise(key: jax.Array, x: ArrayLike, sigma) -> jax.Array:
    """Instance noise: :math:`x + \\sigma \\varepsilon`, :math:`\\varepsilon \\sim N(0, I)`.

    Added to both real and generated samples before the discriminator sees them,
    so that the smoothed supports overlap and JS becomes informative.

    References:
      Arjovsky & Bottou 2017, Sec. 3.1; Sonderby et al. 2017, "Amortised MAP
      Inference for Image Super-resolution" (instance noise).

    >>> x = jnp.zeros((3, 2))
    >>> bool(jnp.all(add_instance_noise(jax.random.key(0), x, 0.0) == x))
    True
    """
    x = jnp.asarray(x)
    return x + sigma * jax.random.normal(key, x.shape, x.dtype)


def annealed_sigma(sigma0: float, step, anneal_steps: int | None):
    """Instance-noise level at generator step ``step``: linear decay to zero.

    .. math:: \\sigma_t = \\sigma_0 \\max(0, 1 - t / T) ,

    or the constant :math:`\\sigma_0` when ``anneal_steps`` is ``None``.

    >>> float(annealed_sigma(1.0, 25, 100))
    0.75
    """
    if anneal_steps is None:
        return jnp.asarray(sigma0)
    return sigma0 * jnp.maximum(0.0, 1.0 - jnp.asarray(step) / anneal_steps)

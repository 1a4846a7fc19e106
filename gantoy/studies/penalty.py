"""Diagnostics for WGAN-GP's Fig. 1: what weight clipping does to a deep critic.

WGAN-GP (Gulrajani et al. 2017) argues that weight clipping makes a deep critic
too simple and its gradients explode or vanish with depth, while the gradient
penalty does not. These helpers measure that on a trained critic (a list of
``(W, b)`` pairs from :mod:`gantoy.gan.nets`, WGAN loss
:math:`L = \\mathbb{E}_g f - \\mathbb{E}_r f`):

* :func:`noisy_sampler`: the fixed "generator" of their Fig. 1,
  :math:`P_r + \\mathcal N(0, \\sigma^2 I)`.
* :func:`grad_profile`: per layer, the norm of the loss gradient with respect
  to the layer's weights and to its pre-activations (the backward signal), and
  the input-dependent part of the layer's input (the forward signal), all with
  an underflow-safe norm (:func:`scaled_norm`).
* :func:`depth_slope`: the exponential rate of a per-layer profile in decades
  per layer of backpropagation (positive: the gradient explodes on its way to
  the input; negative: it vanishes).
* :func:`clipped_init_fraction`: how many weights sit at :math:`\\pm c` right
  after clipping the initialisation (before any training).
* :func:`snapshot_coverage` (from :mod:`gantoy.studies.collapse`): VEEGAN mode coverage
  of every snapshot of every seed.

Why a scaled norm: a gradient entry of size :math:`10^{-25}` is a normal
float32 number, its square is not (float32 stops at :math:`\\approx 10^{-38}`),
so :math:`\\sqrt{\\sum g^2}` returns an exact zero where the gradient is not
zero. :func:`scaled_norm` divides by the largest entry first.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from gantoy.studies.collapse import snapshot_coverage  # notebook 10 calls it as penalty.snapshot_coverage
from gantoy.gan.nets import ACTIVATIONS, mlp_apply, preactivation_grads

__all__ = [
    "noisy_sampler",
    "scaled_norm",
    "depth_slope",
    "GradProfile",
    "grad_profile",
    "clipped_init_fraction",
    "snapshot_coverage",
]


def noisy_sampler(data, sigma: float = 1.0) -> Callable[[jax.Array, int], jax.Array]:
    """The sampler of :math:`P_r + \\mathcal N(0, \\sigma^2 I)`: real samples plus Gaussian noise.

    WGAN-GP Fig. 1 holds the "generator" fixed at the real data plus unit
    Gaussian noise and trains the critic alone against it.

    .. math:: x = x_r + \\sigma \\varepsilon, \\quad x_r \\sim P_r,\\; \\varepsilon \\sim \\mathcal N(0, I) .

    Args:
      data: a sampler ``sample(key, n) -> [n, d]`` or an object with ``.sample``.
      sigma: the noise standard deviation (``>= 0``).

    Returns:
      A pure sampler ``sample(key, n) -> [n, d]`` (pass it as ``fake=`` to
      :func:`gantoy.train_critic`; create it once, as compiled code is cached
      per sampler object).

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Fig. 1.

    >>> fake = noisy_sampler(lambda k, n: jnp.zeros((n, 2)), 0.5)
    >>> x = fake(jax.random.key(0), 4000)
    >>> x.shape, round(float(jnp.std(x)), 1)
    ((4000, 2), 0.5)
    """
    if not (isinstance(sigma, (int, float)) and sigma >= 0):
        raise ValueError(f"sigma must be a number >= 0; got {sigma!r}")
    sample = data.sample if hasattr(data, "sample") else data
    if not callable(sample):
        raise ValueError("data must be a sampler sample(key, n) -> [n, d] or have a .sample method")

    def noisy(key: jax.Array, n: int) -> jax.Array:
        k_data, k_noise = jax.random.split(key)
        x = sample(k_data, n)
        return x + sigma * jax.random.normal(k_noise, x.shape, x.dtype)

    return noisy


def scaled_norm(x: ArrayLike, axis=None) -> jax.Array:
    """Euclidean (Frobenius) norm that does not underflow: :math:`m \\, \\|x / m\\|_2`, :math:`m = \\max |x|`.

    ``jnp.sqrt(jnp.sum(x**2))`` is exactly 0 in float32 once every
    :math:`|x_i| \\lesssim 10^{-19}` (the squares fall below the smallest normal
    float32, and XLA on CPU flushes subnormals to zero). Dividing by the largest
    entry first keeps the squares of order one. Returns 0 for an all-zero ``x``.

    Args:
      x: any array.
      axis: axis or axes to reduce (default: all).

    >>> tiny = jnp.full((4,), 1e-25, jnp.float32)
    >>> float(jnp.sqrt(jnp.sum(tiny**2))), round(float(scaled_norm(tiny)) / 2e-25, 6)
    (0.0, 1.0)
    >>> float(scaled_norm(jnp.zeros(3)))
    0.0
    """
    x = jnp.asarray(x)
    m = jnp.max(jnp.abs(x), axis=axis, keepdims=True)
    pos = m > 0
    safe = jnp.where(pos, m, 1.0)
    r = jnp.sqrt(jnp.sum(jnp.square(x / safe), axis=axis, keepdims=True))
    out = jnp.where(pos, m * r, 0.0)
    return jnp.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def depth_slope(norms: ArrayLike) -> jax.Array:
    """Exponential rate of a per-layer profile: decades per layer of backpropagation.

    ``norms[..., l]`` is a positive quantity of layer ``l = 0 .. L-1`` (input
    side first). The slope is the least-squares fit of :math:`\\log_{10}` norms
    against the depth below the output, :math:`k = L - 1 - l`:

    .. math::
        \\log_{10} n_l \\approx a + s\\, k, \\qquad
        s = \\frac{\\sum_k (k - \\bar k)(\\log_{10} n_k - \\overline{\\log_{10} n})}{\\sum_k (k - \\bar k)^2} .

    :math:`s > 0`: the profile grows by :math:`10^{s}` per layer on the way to
    the input (exploding gradients); :math:`s < 0`: it shrinks (vanishing);
    :math:`s \\approx 0`: flat.

    Args:
      norms: ``[..., L]`` positive values, ``L >= 2``.

    Returns:
      ``[...]`` slopes in decades per layer.

    Raises:
      ValueError: (concrete input) if a value is not positive: an exact zero
        usually means float32 underflow; use :func:`scaled_norm` or float64.

    References:
      Gulrajani et al. 2017, Fig. 1b (gradient norm against critic layer, log scale).

    >>> round(float(depth_slope(jnp.array([1e-6, 1e-4, 1e-2, 1.0]))), 6)  # vanishes toward the input
    -2.0
    """
    v = jnp.asarray(norms)
    if v.ndim < 1 or v.shape[-1] < 2:
        raise ValueError(f"norms must be [..., L] with L >= 2 layers; got shape {v.shape}")
    if not isinstance(v, jax.core.Tracer) and not bool(jnp.all(v > 0)):
        raise ValueError(
            "norms must all be > 0 (a zero is usually float32 underflow: use scaled_norm or float64); "
            f"got min {float(jnp.min(v))}"
        )
    n = v.shape[-1]
    k = jnp.arange(n - 1, -1, -1, dtype=v.dtype)  # depth below the output
    kc = (k - jnp.mean(k)).reshape((1,) * (v.ndim - 1) + (n,))
    y = jnp.log10(v)
    yc = y - jnp.mean(y, axis=-1, keepdims=True)
    return jnp.sum(yc * kc, axis=-1) / jnp.sum(kc * kc)


class GradProfile(NamedTuple):
    """Per-layer profile of a WGAN critic on one batch (see :func:`grad_profile`), each ``[L]``.

    Attributes:
      weight: :math:`\\|\\partial L / \\partial W_l\\|_F`.
      preact: :math:`\\|\\partial L / \\partial a_l\\|_F` over the real and fake batch
        (the backward signal).
      preact_max: :math:`\\max |\\partial L / \\partial a_l|` (the largest entry).
      forward: :math:`\\|h_{l-1} - \\bar h_{l-1}\\|_F`, the input-dependent part
        of layer ``l``'s input (batch mean removed; :math:`h_0 = x`): the forward
        signal.
    """

    weight: jax.Array
    preact: jax.Array
    preact_max: jax.Array
    forward: jax.Array


def grad_profile(d_params, real: ArrayLike, fake: ArrayLike, *, activation: str = "relu") -> GradProfile:
    """Per-layer gradients and forward signal of the WGAN critic loss (underflow-safe norms).

    For the critic :math:`f` = ``mlp_apply(d_params, .)`` with pre-activations
    :math:`a_l = h_{l-1} W_l + b_l`, :math:`h_l = \\sigma(a_l)`, and the loss
    :math:`L = \\frac1n\\sum_i f(x^g_i) - \\frac1n\\sum_i f(x^r_i)`,

    .. math::
        \\frac{\\partial L}{\\partial W_l} = \\sum_i h_{l-1}(x_i)^\\top
        \\frac{\\partial L}{\\partial a_l(x_i)} ,

    a product of the forward signal reaching layer ``l`` and the backward signal
    leaving it. When every layer scales both signals by about the same factor
    (as a layer of weights :math:`\\pm c` does), the two depth trends cancel in
    the weight gradient: it is flat across depth even where the gradient with
    respect to the activations explodes or vanishes.

    Args:
      d_params: one critic, ``[(W_1, b_1), ..., (W_L, b_L)]`` with output width 1.
      real, fake: ``[n, d]`` batches.
      activation: the critic's hidden activation.

    Returns:
      A :class:`GradProfile` of ``[L]`` arrays, all norms by :func:`scaled_norm`.
      ``jax.enable_x64`` with float64 parameters and inputs gives float64.

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Fig. 1b.

    >>> from gantoy.gan.nets import mlp_init
    >>> d = mlp_init(jax.random.key(0), (2, 8, 8, 1))
    >>> p = grad_profile(d, jnp.ones((4, 2)), -jnp.ones((4, 2)))
    >>> p.weight.shape, p.preact.shape, float(p.preact[-1])  # output layer: 8 entries of 1/4
    ((3,), (3,), 0.7071067690849304)
    """
    real = jnp.asarray(real)
    fake = jnp.asarray(fake)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must be [n, d] and [m, d]; got {real.shape} and {fake.shape}")
    if int(d_params[-1][0].shape[-1]) != 1:
        raise ValueError(f"the critic must output one score; got output width {d_params[-1][0].shape[-1]}")
    return _grad_profile(d_params, real, fake, activation)


@functools.partial(jax.jit, static_argnums=3)
def _grad_profile(d_params, real, fake, activation):
    n = real.shape[0]
    x = jnp.concatenate([real, fake], axis=0)

    def loss_of_output(out):  # out: [2n, 1] critic scores of real then fake
        return jnp.mean(out[n:, 0]) - jnp.mean(out[:n, 0])

    g_params = jax.grad(lambda p: loss_of_output(mlp_apply(p, x, activation=activation)))(d_params)
    g_shifts = preactivation_grads(loss_of_output, d_params, x, activation=activation)
    weight = jnp.stack([scaled_norm(gw) for gw, _ in g_params])
    preact = jnp.stack([scaled_norm(g) for g in g_shifts])
    preact_max = jnp.stack([jnp.max(jnp.abs(g)) for g in g_shifts])

    act = ACTIVATIONS[activation]
    inputs = [x] + [act(mlp_apply(d_params[:l], x, activation=activation)) for l in range(1, len(d_params))]
    forward = jnp.stack([scaled_norm(h - jnp.mean(h, axis=0, keepdims=True)) for h in inputs])
    return GradProfile(weight, preact, preact_max, forward)


def clipped_init_fraction(sizes, c: float, *, tol: float = 0.01) -> float:
    """Share of weights at the clipping bound right after clipping PyTorch's initialisation.

    With ``init="torch"`` (:func:`gantoy.gan.nets.mlp_init`) a weight of a layer with
    fan-in :math:`d` is uniform on :math:`[-B, B]`, :math:`B = 1/\\sqrt{d}`.
    Clipping to :math:`[-c, c]` leaves :math:`|w| \\ge (1 - \\text{tol})\\,c`
    with probability :math:`\\max(0, 1 - (1 - \\text{tol})\\, c / B)`; the result
    is that probability averaged over all weight entries (biases excluded, as in
    :func:`gantoy.clip_fraction`). When :math:`B > c` many weights start at
    :math:`\\pm c` before any training.

    Args:
      sizes: the MLP widths ``(d_in, h_1, ..., d_out)``.
      c: the clipping bound (``> 0``).
      tol: relative distance to the bound that counts as "at" it (1%).

    References:
      Arjovsky et al. 2017, Algorithm 1; Gulrajani et al. 2017, Fig. 1b.

    >>> round(clipped_init_fraction((2, 64, 64, 1), 0.01), 4)  # B = 1/8 in the hidden layers
    0.9227
    """
    sizes = tuple(int(v) for v in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must be at least (d_in, d_out) with positive widths; got {sizes}")
    if not (isinstance(c, (int, float)) and c > 0):
        raise ValueError(f"clip c must be > 0; got {c!r}")
    if not 0 <= tol < 1:
        raise ValueError(f"tol must be in [0, 1); got {tol!r}")
    hits = total = 0.0
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        bound = d_in**-0.5
        hits += d_in * d_out * max(0.0, 1.0 - (1.0 - tol) * c / bound)
        total += d_in * d_out
    return hits / total

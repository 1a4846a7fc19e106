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
* :func:`median_interval`: a bootstrap interval over seeds for a median.
* :func:`step_batches`: the explicit random numbers of one WGAN-GP generator step
  of :func:`gantoy.gan.engine.make_step` (real batches, latent codes, interpolation
  weights), so that a step written out by hand can be fed the same numbers.

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
from gantoy.gan.engine import GANConfig
from gantoy.gan.nets import ACTIVATIONS, mlp_apply, preactivation_grads

__all__ = [
    "noisy_sampler",
    "scaled_norm",
    "depth_slope",
    "GradProfile",
    "grad_profile",
    "clipped_init_fraction",
    "snapshot_coverage",
    "StepBatches",
    "step_batches",
    "median_interval",
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


class StepBatches(NamedTuple):
    """The random numbers of one WGAN-GP generator step (see :func:`step_batches`).

    Attributes:
      reals: ``[n_critic, batch, d]`` real batches, one per critic step.
      zs: ``[n_critic, batch, z_dim]`` latent codes of the fakes of each critic step.
      eps: ``[n_critic, batch, 1]`` interpolation weights
        :math:`\\epsilon \\sim U[0, 1]` of the penalty's points
        :math:`\\hat x = \\epsilon x_r + (1 - \\epsilon) G(z)`.
      z_gen: ``[batch, z_dim]`` latent codes of the generator step.
    """

    reals: jax.Array
    zs: jax.Array
    eps: jax.Array
    z_gen: jax.Array


def step_batches(key: jax.Array, config: GANConfig, dtype=jnp.float32) -> StepBatches:
    """The batches :func:`gantoy.gan.engine.make_step` draws from ``key`` for one WGAN-GP step.

    One generator step of WGAN-GP (Gulrajani et al. 2017, Algorithm 1) uses,
    for each of the :math:`n_\\text{critic}` critic steps :math:`i`, a real batch
    :math:`x_r^{(i)}`, latent codes :math:`z^{(i)} \\sim \\mathcal N(0, I)` and
    interpolation weights :math:`\\epsilon^{(i)} \\sim U[0, 1]`, and for the
    generator update one more batch of codes :math:`z`. The engine derives them
    from the step's key as ``k_critic, k_gen = split(key)``; critic step ``i``:
    ``k_real, k_z, k_upd = split(fold_in(k_critic, i), 3)``, ``k_gp = split(k_upd, 3)[0]``;
    generator: ``k_z = split(k_gen)[0]``. This function draws the same numbers,
    so that a training step written out by hand can be compared with the
    engine's on identical inputs.

    Args:
      key: the key passed to ``make_step(config)(state, key)``.
      config: a WGAN-GP configuration (``loss="wgan"``, ``gp_weight > 0``, no
        clipping, R1, instance noise or warm-up schedule).
      dtype: the parameters' dtype (``float32`` unless x64 is enabled).

    Returns:
      A :class:`StepBatches`.

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Algorithm 1.

    >>> import gantoy
    >>> cfg = gantoy.wgan_gp_config(gantoy.ring8(), batch_size=8)
    >>> b = step_batches(jax.random.key(0), cfg)
    >>> b.reals.shape, b.zs.shape, b.eps.shape, b.z_gen.shape
    ((5, 8, 2), (5, 8, 16), (5, 8, 1), (8, 16))
    """
    if not isinstance(config, GANConfig):
        raise ValueError(f"config must be a GANConfig; got {type(config).__name__}")
    if config.loss != "wgan" or not config.gp_weight > 0:
        raise ValueError(f"config must be WGAN-GP (loss='wgan', gp_weight > 0); got loss={config.loss!r}, "
                         f"gp_weight={config.gp_weight!r}")
    if config.clip is not None or config.r1_weight > 0 or config.noise_sigma > 0 or config.warmup_critic > 0:
        raise ValueError("config must have no clipping, R1 penalty, instance noise or warm-up schedule")
    sample = config.data.sample if hasattr(config.data, "sample") else config.data
    n, b = config.n_critic, config.batch_size
    k_critic, k_gen = jax.random.split(key)
    reals, zs, eps = [], [], []
    for i in range(n):
        k_real, k_z, k_upd = jax.random.split(jax.random.fold_in(k_critic, i), 3)
        reals.append(jnp.asarray(sample(k_real, b), dtype))
        zs.append(jax.random.normal(k_z, (b, config.z_dim), dtype))
        eps.append(jax.random.uniform(jax.random.split(k_upd, 3)[0], (b, 1), dtype))
    z_gen = jax.random.normal(jax.random.split(k_gen)[0], (b, config.z_dim), dtype)
    return StepBatches(jnp.stack(reals), jnp.stack(zs), jnp.stack(eps), z_gen)


def median_interval(key: jax.Array, values: ArrayLike, *, n_boot: int = 2000, level: float = 0.9) -> tuple[float, float]:
    """Percentile-bootstrap interval for the median of per-seed values.

    Resample the :math:`n` seeds with replacement ``n_boot`` times, take the
    median :math:`m^*_b` of each resample, and return the
    :math:`\\tfrac{1 - \\text{level}}{2}` and :math:`\\tfrac{1 + \\text{level}}{2}`
    quantiles of :math:`\\{m^*_b\\}` (Efron & Tibshirani 1993, ch. 13). With
    8 seeds it says how far a median could move with other seeds.

    Args:
      key: PRNG key for the resampling.
      values: ``[n]`` one value per seed, ``n >= 2``, finite.
      n_boot: number of resamples (``>= 100``).
      level: coverage of the interval, in ``(0, 1)``.

    Returns:
      ``(low, high)`` as floats.

    >>> median_interval(jax.random.key(0), jnp.array([3.0, 3.0, 3.0]))
    (3.0, 3.0)
    >>> lo, hi = median_interval(jax.random.key(0), jnp.arange(8.0))
    >>> lo < 3.5 < hi
    True
    """
    v = jnp.asarray(values, jnp.float32)
    if v.ndim != 1 or v.shape[0] < 2:
        raise ValueError(f"values must be [n] with n >= 2 seeds; got shape {v.shape}")
    if not bool(jnp.all(jnp.isfinite(v))):
        raise ValueError("values must be finite")
    if not (isinstance(n_boot, int) and n_boot >= 100):
        raise ValueError(f"n_boot must be an int >= 100; got {n_boot!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    idx = jax.random.randint(key, (n_boot, v.shape[0]), 0, v.shape[0])
    medians = jnp.median(v[idx], axis=1)
    q = jnp.quantile(medians, jnp.array([(1 - level) / 2, (1 + level) / 2]))
    return float(q[0]), float(q[1])

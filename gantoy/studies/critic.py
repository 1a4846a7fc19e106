"""The WGAN critic next to the GAN discriminator, and what a trained critic estimates.

* :func:`gan_discriminator_step`, :func:`wgan_critic_step` and
  :func:`wgan_gp_critic_step`: one update of each, written to be read side by
  side. WGAN changes four things (Arjovsky et al. 2017, Algorithm 1): no
  sigmoid and (2) no log in the loss, (3) every weight clipped to
  :math:`[-c, c]` after the update, (4) RMSProp instead of a momentum
  optimiser. WGAN-GP replaces the clip by a gradient penalty. Each is a call
  of the training engine's one critic update,
  :func:`gantoy.gan.engine.critic_update`, with the settings named.
* :func:`fit_critics`: train a whole batch of small critics at once (one
  compiled program), critic ``i`` between two samples ``real[i]`` and
  ``fake[i]``, each with its own learning rate and penalty weight if wanted.
  :func:`gantoy.gan.engine.train_critic` trains critics against one fixed fake
  distribution; a sweep over pairs (Kantorovich-Rubinstein, WGAN Fig. 2, the
  snapshots of a training run) needs a different pair per critic.
* :func:`critic_estimate`: :math:`\\mathbb{E}_r f - \\mathbb{E}_g f` on fresh samples,
  the critic's estimate of :math:`K \\cdot W_1`.
* :func:`update_cosines`: :math:`\\cos(\\text{update}, -g)` of an optimiser fed a
  given gradient sequence: RMSProp and Adam without momentum always descend,
  Adam with momentum can step uphill right after the gradient turns.
* :func:`clip_lipschitz_bound` (the largest Lipschitz constant weight
  clipping allows) and :func:`gp_linear_optima` (the two minima of the
  two-sided gradient penalty for a linear critic).

All critics here are ReLU MLPs (:func:`gantoy.gan.nets.mlp_apply`) whose last layer
is linear: the logit of a discriminator, the score of a critic.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.typing import ArrayLike

from gantoy.gan import losses as L
from gantoy.gan.nets import mlp_apply, mlp_init
from gantoy.gan.engine import Optimizer, adam, critic_update, input_grad, make_optimizer, rmsprop, tree_cosine

__all__ = [
    "StepInfo",
    "CriticFit",
    "gan_discriminator_step",
    "wgan_critic_step",
    "wgan_gp_critic_step",
    "fit_critics",
    "critic_estimate",
    "input_grad",
    "clip_lipschitz_bound",
    "gp_linear_optima",
    "max_abs_weight",
    "update_cosines",
]


class StepInfo(NamedTuple):
    """What one update saw: the loss before it, the gradient and the optimiser's update."""

    loss: jax.Array
    grads: Any
    updates: Any


def _score(d_params, x):
    return mlp_apply(d_params, x)[..., 0]  # ReLU MLP, linear last layer: [n, d] -> [n]


# --------------------------------------------------------------------------- the updates
def gan_discriminator_step(d_params, opt_state, real, fake, *, tx):
    """One update of the original GAN's discriminator.

    .. math:: L_D = -\\mathbb{E}_r \\log \\sigma(\\ell(x)) - \\mathbb{E}_g \\log(1 - \\sigma(\\ell(x)))

    with :math:`\\ell` the network's logit and :math:`\\sigma` the sigmoid (both
    inside :func:`gantoy.gan.losses.discriminator_loss`, in log space). ``tx`` is
    an optax optimiser, usually Adam with momentum (``b1 = 0.5``).

    Returns:
      ``(d_params, opt_state, StepInfo)``.

    References:
      Goodfellow et al. 2014, Algorithm 1; Radford et al. 2016 (DCGAN, Adam b1 0.5).

    >>> d = mlp_init(jax.random.key(0), (1, 8, 1))
    >>> tx = optax.adam(1e-3, b1=0.5)
    >>> x = jnp.ones((4, 1))
    >>> d, s, info = gan_discriminator_step(d, tx.init(d), x, -x, tx=tx)
    >>> info.loss.shape
    ()
    """

    d_params, opt_state, info = critic_update(d_params, opt_state, real, fake, tx=tx, loss="gan")
    return d_params, opt_state, StepInfo(info.loss, info.grads, info.updates)


def wgan_critic_step(d_params, opt_state, real, fake, *, tx, clip: float = 0.01):
    """One update of the WGAN critic: the four changes to :func:`gan_discriminator_step`.

    .. math:: L_D = \\mathbb{E}_g f(x) - \\mathbb{E}_r f(x), \\qquad
        w \\leftarrow \\mathrm{clip}(w - \\eta\\,\\mathrm{RMSProp}(\\nabla_w L_D), -c, c)

    (1) the score :math:`f` is the network's output, no sigmoid; (2) no log;
    (3) all parameters clipped to :math:`[-c, c]` after the update; (4) ``tx``
    is RMSProp (:func:`gantoy.gan.engine.rmsprop`), no momentum.

    Returns:
      ``(d_params, opt_state, StepInfo)``; ``StepInfo.updates`` is the
      optimiser's step before clipping.

    References:
      Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", Algorithm 1.

    >>> d = mlp_init(jax.random.key(0), (1, 8, 1))
    >>> tx = make_optimizer(rmsprop(5e-5))
    >>> x = jnp.ones((4, 1))
    >>> d, s, info = wgan_critic_step(d, tx.init(d), x, -x, tx=tx, clip=0.01)
    >>> float(max_abs_weight(d)) <= 0.01
    True
    """

    # (1) no sigmoid, (2) no log: loss="wgan"; (3) clip after the update; (4) tx: RMSProp
    d_params, opt_state, info = critic_update(d_params, opt_state, real, fake, tx=tx, loss="wgan", clip=clip)
    return d_params, opt_state, StepInfo(info.loss, info.grads, info.updates)


def wgan_gp_critic_step(key, d_params, opt_state, real, fake, *, tx, gp_weight=10.0):
    """One update of the WGAN-GP critic: the clip replaced by a gradient penalty.

    .. math:: L_D = \\mathbb{E}_g f - \\mathbb{E}_r f
        + \\lambda\\, \\mathbb{E}_{\\hat x} (\\|\\nabla f(\\hat x)\\| - 1)^2

    on random interpolates :math:`\\hat x` (:func:`gantoy.gan.losses.gradient_penalty`).
    ``tx`` is usually Adam ``(1e-4, b1=0, b2=0.9)``. ``StepInfo.loss`` is the
    loss without the penalty.

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Algorithm 1.

    >>> d = mlp_init(jax.random.key(0), (1, 8, 1))
    >>> tx = optax.adam(1e-4, b1=0.0, b2=0.9)
    >>> x = jnp.ones((4, 1))
    >>> d, s, info = wgan_gp_critic_step(jax.random.key(1), d, tx.init(d), x, -x, tx=tx)
    >>> info.loss.shape
    ()
    """

    d_params, opt_state, info = critic_update(d_params, opt_state, real, fake, tx=tx, loss="wgan",
                                              gp_weight=gp_weight, key=key)
    return d_params, opt_state, StepInfo(info.loss, info.grads, info.updates)


# --------------------------------------------------------------------------- small helpers
def max_abs_weight(d_params) -> jax.Array:
    """The largest :math:`|w|` over all parameters (weights and biases).

    >>> float(max_abs_weight([(jnp.array([[0.5, -2.0]]), jnp.array([1.0]))]))
    2.0
    """
    return jnp.max(jnp.stack([jnp.max(jnp.abs(p)) for p in jax.tree_util.tree_leaves(d_params)]))


def critic_estimate(d_params, real: ArrayLike, fake: ArrayLike) -> jax.Array:
    """The critic's estimate :math:`\\mathbb{E}_r f - \\mathbb{E}_g f` (:math:`= -L_D`) on given samples.

    By Kantorovich-Rubinstein, the maximum of this over :math:`K`-Lipschitz
    :math:`f` is :math:`K \\cdot W_1(P_r, P_g)`.

    Args:
      d_params: one critic (an MLP ``[(W, b), ...]``).
      real, fake: ``[n, d]`` and ``[m, d]`` samples.

    References:
      Arjovsky et al. 2017, Eq. 2-3; Villani 2009, Remark 6.5.

    >>> d = [(jnp.array([[2.0]]), jnp.array([0.0]))]  # f(x) = 2 x
    >>> float(critic_estimate(d, jnp.ones((3, 1)), jnp.zeros((5, 1))))
    2.0
    """
    return jnp.mean(_score(d_params, jnp.asarray(real))) - jnp.mean(_score(d_params, jnp.asarray(fake)))


def clip_lipschitz_bound(sizes: Sequence[int], c: float) -> float:
    """The largest Euclidean Lipschitz constant of a ReLU MLP whose parameters all lie in :math:`[-c, c]`.

    .. math:: K_{\\max} = \\prod_{l=1}^{L} c \\sqrt{d_{l-1} d_l}

    Each layer's spectral norm is at most :math:`c\\sqrt{d_{l-1} d_l}` (the
    all-:math:`\\pm c` rank-one matrix attains it) and ReLU is 1-Lipschitz; a
    chain of equal-sign :math:`\\pm c` matrices with every unit active attains
    the product on a region. A clipped critic can therefore estimate at most
    :math:`K_{\\max} W_1`.

    Args:
      sizes: ``(d_in, h_1, ..., 1)``.
      c: the clipping bound.

    References:
      Arjovsky et al. 2017, Sec. 3 (clipping keeps f K-Lipschitz for some K);
      Gulrajani et al. 2017, Sec. 3.

    >>> round(clip_lipschitz_bound((1, 64, 64, 64, 1), 0.01), 6)  # c^4 * 64^3
    0.002621
    """
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must be (d_in, ..., d_out) with positive widths; got {sizes}")
    if not c > 0:
        raise ValueError(f"clip c must be > 0; got {c}")
    return float(math.prod(c * math.sqrt(a * b) for a, b in zip(sizes[:-1], sizes[1:])))


def gp_linear_optima(w: ArrayLike, gp_weight: ArrayLike):
    """The stationary slopes of a linear critic under the two-sided gradient penalty.

    For :math:`P_g` a translate of :math:`P_r` by :math:`W` along a unit
    direction :math:`u`, a linear critic :math:`f(x) = -a\\, u^\\top x` has loss

    .. math:: L(a) = -a W + \\lambda(|a| - 1)^2 .

    Its global minimum is :math:`a^* = 1 + W / (2\\lambda)` (right sign,
    estimate :math:`a^* W`, so estimate / W :math:`= 1 + W/(2\\lambda)`); for
    :math:`W < 2\\lambda` there is a second, local minimum at
    :math:`a = -(1 - W/(2\\lambda))`, a critic of the wrong sign where gradient
    descent can stop.

    Args:
      w: the distance :math:`W` (array or float).
      gp_weight: :math:`\\lambda`.

    Returns:
      ``(right, wrong)``: the right-sign slope :math:`1 + W/(2\\lambda)` and the
      wrong-sign local minimum :math:`-(1 - W/(2\\lambda))` (NaN where it does
      not exist, :math:`W \\ge 2\\lambda`).

    References:
      Gulrajani et al. 2017, Eq. 3 (the penalty); the two minima follow from
      differentiating :math:`L(a)` on each side of 0.

    >>> right, wrong = gp_linear_optima(8.0, 10.0)
    >>> round(float(right), 6), round(float(wrong), 6)
    (1.4, -0.6)
    """
    w = jnp.asarray(w, dtype=float)
    lam = jnp.asarray(gp_weight, dtype=float)
    half = w / (2.0 * lam)
    wrong = jnp.where(half < 1.0, -(1.0 - half), jnp.nan)
    return 1.0 + half, wrong


def update_cosines(optimizer: Optimizer, grads: ArrayLike) -> np.ndarray:
    """:math:`\\cos(u_t, -g_t)` for an optimiser fed the gradients ``grads[t]``, ``[T, n] -> [T]``.

    RMSProp without momentum and Adam with :math:`\\beta_1 = 0` scale the
    current gradient by a positive diagonal, :math:`u_t = -\\eta D_t g_t`, so
    :math:`\\cos(u_t, -g_t) = g_t^\\top D_t g_t / (\\|D_t g_t\\| \\|g_t\\|) > 0`
    whenever :math:`g_t \\ne 0`: they never step uphill. With momentum,
    :math:`u_t \\propto -(\\beta_1 m_{t-1} + (1 - \\beta_1) g_t)` (scaled), which
    points uphill when :math:`g_t` turns against the accumulated
    :math:`m_{t-1}`. Entries with :math:`g_t = 0` give 0.

    Args:
      optimizer: a :class:`gantoy.gan.engine.Optimizer` (``adam``, ``rmsprop``, ``sgd``).
      grads: ``[T, n]`` the gradient at each step.

    References:
      Arjovsky et al. 2017, Sec. 3 (Adam's step against the gradient when the
      critic's loss blew up); Kingma & Ba 2015; Tieleman & Hinton 2012.

    >>> turn = jnp.array([[1.0, 1.0]] * 5 + [[-1.0, -0.5]])
    >>> [round(float(update_cosines(o, turn)[-1]), 3) for o in (rmsprop(1e-3), adam(1e-3, 0.0), adam(1e-3, 0.5))]
    [1.0, 1.0, -0.391]
    """
    g = jnp.asarray(grads)
    if g.ndim != 2:
        raise ValueError(f"grads must be [T, n]; got shape {g.shape}")
    return np.asarray(_cosines_runner(optimizer)(g))


@functools.lru_cache(maxsize=16)
def _cosines_runner(optimizer):
    tx = make_optimizer(optimizer)

    def run(g):
        def body(state, gt):
            u, state = tx.update(gt, state)
            return state, tree_cosine(u, -gt)

        return jax.lax.scan(body, tx.init(g[0]), g)[1]

    return jax.jit(run)


# --------------------------------------------------------------------------- many critics at once
class CriticFit(NamedTuple):
    """What :func:`fit_critics` returns (leading axis: one entry per critic).

    Attributes:
      d_params: the trained critics, ``[(W [m, a, b], b [m, b]), ...]``.
      estimate: ``[m]`` :func:`critic_estimate` over the whole two samples.
      metrics: ``{name: [m, n_steps]}`` numpy arrays: ``loss`` (the critic
        loss without penalty on each minibatch, before the update: ``-loss``
        is the running estimate), ``grad_norm``, ``cos`` (cos(update,
        -gradient), 0 when the gradient is 0) and ``max_abs_weight`` (after
        each update).
    """

    d_params: Any
    estimate: np.ndarray
    metrics: dict


_LOSSES = ("gan", "wgan")


def fit_critics(
    key: jax.Array,
    real: ArrayLike,
    fake: ArrayLike,
    n_steps: int,
    *,
    loss: str = "wgan",
    hidden: Sequence[int] = (64, 64, 64),
    optimizer: Optimizer = rmsprop(5e-5),
    lr: ArrayLike | None = None,
    clip: float | None = 0.01,
    gp_weight: ArrayLike = 0.0,
    batch_size: int = 64,
    paired: ArrayLike = False,
    d_params=None,
) -> CriticFit:
    """Train ``m`` critics at once, critic ``i`` between the samples ``real[i]`` and ``fake[i]``.

    Every pair of distributions is given by two finite samples (drawn once;
    the critic's minibatches are drawn from them with replacement), so pairs
    of any kind share one compiled program: translated or scaled copies of a
    distribution (whose exact :math:`W_1` is known in closed form), or the
    data against a generator's snapshot. Each step applies
    :func:`gan_discriminator_step` (``loss="gan"``), :func:`wgan_critic_step`
    (``loss="wgan"``, ``clip``) or :func:`wgan_gp_critic_step` (``loss="wgan"``,
    ``clip=None``, ``gp_weight > 0``). Critics start from PyTorch's
    initialisation (:func:`gantoy.gan.nets.mlp_init`), clipped when ``clip`` is set.

    Args:
      key: a PRNG key (critic ``i`` uses ``fold_in(key, i)``) or ``[m]`` keys,
        one per critic (equal keys: equal initialisation and minibatch indices,
        the same critic recipe on different pairs).
      real, fake: ``[m, n, d]`` and ``[m, n', d]`` samples.
      n_steps: updates per critic.
      loss: ``"gan"`` (discriminator) or ``"wgan"`` (critic).
      hidden: hidden widths.
      optimizer: an :class:`gantoy.gan.engine.Optimizer` (its ``lr`` is used
        unless ``lr`` is given).
      lr: optional learning rate per critic, a float or ``[m]``.
      clip: WGAN's clipping bound, or ``None``.
      gp_weight: WGAN-GP's :math:`\\lambda`, a float or ``[m]`` (``0``: no penalty).
      batch_size: samples per side and step.
      paired: bool or ``[m]`` bools: draw the same indices on both sides
        (needs ``n == n'``). For ``fake[i] = T(real[i])`` (a translation, a
        scaling) this removes most of the sampling noise from the gradients
        without changing their expectation, so small distances become
        measurable; the gradient penalty then interpolates along the pairs
        ``(real_j, T(real_j))``.
      d_params: optional starting critics, a batch with leading axis ``m``
        (e.g. :attr:`CriticFit.d_params` of an earlier call, to continue
        training or to start from a critic trained on another pair); default
        a fresh initialisation from each critic's key. The optimiser state
        starts afresh.

    Returns:
      A :class:`CriticFit`.

    References:
      Arjovsky et al. 2017, Fig. 2 and Sec. 3; Gulrajani et al. 2017, Fig. 1.

    >>> x = 0.3 * jax.random.normal(jax.random.key(0), (2, 500, 1))
    >>> fit = fit_critics(jax.random.key(1), x, x + jnp.array([1.0, 4.0])[:, None, None], 50,
    ...                   hidden=(16,), optimizer=rmsprop(1e-3), paired=True)
    >>> fit.estimate.shape, bool(fit.metrics["max_abs_weight"].max() <= 0.01)
    ((2,), True)
    """
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {_LOSSES}; got {loss!r}")
    n_steps, batch_size = int(n_steps), int(batch_size)
    for name, v in (("n_steps", n_steps), ("batch_size", batch_size)):
        if v < 1:
            raise ValueError(f"{name} must be >= 1; got {v}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip c must be > 0 or None; got {clip}")
    real = jnp.asarray(real)
    fake = jnp.asarray(fake)
    if real.ndim != 3 or fake.ndim != 3 or real.shape[0] != fake.shape[0] or real.shape[2] != fake.shape[2]:
        raise ValueError(f"real and fake must be [m, n, d] and [m, n', d]; got {real.shape} and {fake.shape}")
    m = real.shape[0]
    pairs = jnp.broadcast_to(jnp.asarray(paired, bool), (m,))
    if bool(jnp.any(pairs)) and real.shape[1] != fake.shape[1]:
        raise ValueError(f"paired needs equal sample sizes; got {real.shape[1]} and {fake.shape[1]}")
    use_gp = bool(np.any(np.asarray(gp_weight) > 0))
    if loss == "gan" and (use_gp or clip is not None):
        raise ValueError("loss='gan' takes neither clip nor gp_weight (pass clip=None)")
    if loss == "wgan" and use_gp == (clip is not None):
        raise ValueError("loss='wgan' needs exactly one of clip (WGAN) or gp_weight > 0 (WGAN-GP)")
    lrs = jnp.broadcast_to(jnp.asarray(optimizer.lr if lr is None else lr, real.dtype), (m,))
    gps = jnp.broadcast_to(jnp.asarray(gp_weight, real.dtype), (m,))
    if jnp.ndim(key) == 0:
        keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(m))
    elif jnp.shape(key) == (m,):
        keys = key
    else:
        raise ValueError(f"key must be one key or [{m}] keys (one per critic); got shape {jnp.shape(key)}")
    sizes = (int(real.shape[2]),) + tuple(int(h) for h in hidden) + (1,)
    if d_params is None:
        d_params = _init_runner(sizes, real.dtype)(keys)
    else:
        got = tuple(tuple(int(n) for n in w.shape) for w, _ in d_params)
        want = tuple((m, a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        if got != want:
            raise ValueError(f"d_params must be a batch of {m} critics with weight shapes {want}; got {got}")
    run = _fit_runner(sizes, n_steps, loss, optimizer, clip, use_gp, batch_size)
    d, est, ms = run(keys, d_params, real, fake, pairs, lrs, gps)
    return CriticFit(d, np.asarray(est), {k: np.asarray(v) for k, v in ms.items()})


@functools.lru_cache(maxsize=32)
def _init_runner(sizes, dtype):
    return jax.jit(jax.vmap(lambda k: mlp_init(jax.random.split(k)[0], sizes, dtype=dtype)))


@functools.lru_cache(maxsize=32)
def _fit_runner(sizes, n_steps, loss, optimizer, clip, use_gp, batch_size):
    def one(key, d, real, fake, paired, lr, gp):
        tx = optax.chain(make_optimizer(optimizer._replace(lr=1.0)), optax.scale(lr))  # linear in lr
        k_train = jax.random.split(key)[1]
        if clip is not None:
            d = L.clip_weights(d, clip)

        def body(carry, t):
            d, s = carry
            k_r, k_f, k_gp = jax.random.split(jax.random.fold_in(k_train, t), 3)
            i_r = jax.random.randint(k_r, (batch_size,), 0, real.shape[0])
            i_f = jnp.where(paired, i_r, jax.random.randint(k_f, (batch_size,), 0, fake.shape[0]))
            x_r, x_f = real[i_r], fake[i_f]
            if loss == "gan":
                d, s, info = gan_discriminator_step(d, s, x_r, x_f, tx=tx)
            elif use_gp:
                d, s, info = wgan_gp_critic_step(k_gp, d, s, x_r, x_f, tx=tx, gp_weight=gp)
            else:
                d, s, info = wgan_critic_step(d, s, x_r, x_f, tx=tx, clip=clip)
            neg = jax.tree_util.tree_map(jnp.negative, info.grads)
            out = {
                "loss": info.loss,
                "grad_norm": optax.tree.norm(info.grads),
                "cos": tree_cosine(info.updates, neg),
                "max_abs_weight": max_abs_weight(d),
            }
            return (d, s), out

        (d, _), ms = jax.lax.scan(body, (d, tx.init(d)), jnp.arange(n_steps))
        return d, critic_estimate(d, real, fake), ms

    return jax.jit(jax.vmap(one))

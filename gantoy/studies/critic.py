"""The WGAN critic next to the GAN discriminator, and what a trained critic estimates.

* :func:`gan_discriminator_step`, :func:`wgan_critic_step` and
  :func:`wgan_gp_critic_step`: one update of each, written to be read side by
  side. WGAN changes four things (Arjovsky et al. 2017, Algorithm 1): (1) no
  sigmoid and (2) no log in the loss, (3) every weight clipped to
  :math:`[-c, c]` after the update, (4) RMSProp instead of a momentum
  optimiser. WGAN-GP replaces the clip by a gradient penalty. Each is a call
  of the training engine's one critic update,
  :func:`gantoy.gan.engine.critic_update`, with the settings named.
* :func:`fit_critic`: train one critic between two fixed samples, one seed:
  a call of the training engine's critic loop on samples,
  :func:`gantoy.gan.engine.train_critic_on_samples`; pure, so ``jax.vmap``
  batches it. :func:`fit_critics` is that ``vmap`` over ``m`` pairs (critic
  ``i`` between ``real[i]`` and ``fake[i]``) and, with ``n_seeds``, over
  seeds: one compiled program for a whole sweep (Kantorovich-Rubinstein, WGAN
  Fig. 2, the snapshots of a training run), where
  :func:`gantoy.gan.engine.train_critic` trains the seeds of one pair of samplers.
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

import math
from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.typing import ArrayLike

from gantoy._checks import _as_keys, _concrete
from gantoy._threads import program_cache
from gantoy.gan.losses import clip_weights
from gantoy.gan.nets import mlp_apply, mlp_init
from gantoy.gan.engine import (
    FINITE,
    Optimizer,
    adam,
    critic_update,
    input_grad,
    make_optimizer,
    rmsprop,
    train_critic_on_samples,
    tree_cosine,
)

__all__ = [
    "StepInfo",
    "CriticFit",
    "gan_discriminator_step",
    "wgan_critic_step",
    "wgan_gp_critic_step",
    "fit_critic",
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


@program_cache(maxsize=16)
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
    """What :func:`fit_critic` returns (and :func:`fit_critics`, with leading axes ``[n_seeds, m]``).

    Attributes:
      d_params: the trained critic, ``[(W, b), ...]``.
      estimate: :func:`critic_estimate` over the whole two samples.
      metrics: ``{name: [n_steps]}``: ``loss`` (the critic loss without penalty
        on each minibatch, before the update: ``-loss`` is the running
        estimate), ``grad_norm``, ``cos`` (cos(update, -gradient), 0 when the
        gradient is 0), ``max_abs_weight`` (after each update) and ``finite``
        (every parameter finite after each update).
    """

    d_params: Any
    estimate: Any
    metrics: dict

    def pairs(self, index) -> "CriticFit":
        """The critics of some pairs of a :func:`fit_critics` result (``index``: a slice or
        integer array over the pair axis, which is kept), e.g. to read apart pairs that
        were fitted together in one program.

        >>> x = jnp.zeros((3, 10, 1))
        >>> fit = fit_critics(jax.random.key(0), x, x + 1.0, 5, n_seeds=2, hidden=(4,), clip=[0.01, 0.02, np.inf])
        >>> fit.pairs(slice(1, 3)).estimate.shape, fit.pairs(np.array([0]))[0][0][0].shape
        ((2, 2), (2, 1, 1, 4))
        """
        if np.ndim(self.estimate) < 1:
            raise ValueError("pairs() needs a fit_critics result (one critic has no pair axis)")
        ax = np.ndim(self.estimate) - 1  # the pair axis: after the seed axis, if any
        take = lambda a: a[(slice(None),) * ax + (index,)]
        return CriticFit(jax.tree_util.tree_map(take, self.d_params), take(self.estimate),
                         {k: take(v) for k, v in self.metrics.items()})


_LOSSES = ("gan", "wgan")


def _check_fit(loss, n_steps, batch_size, clip, gp_weight, hidden):
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {_LOSSES}; got {loss!r}")
    n_steps, batch_size = int(n_steps), int(batch_size)
    for name, v in (("n_steps", n_steps), ("batch_size", batch_size)):
        if v < 1:
            raise ValueError(f"{name} must be >= 1; got {v}")
    if clip is not None:
        c = _concrete(clip)
        if c is not None and not (np.ndim(c) <= 1 and np.all(c > 0)):
            raise ValueError(f"clip c must be > 0 (one value or one per pair) or None; got {clip}")
    use_gp = gp_weight is not None
    if use_gp:
        lam = _concrete(gp_weight)
        if lam is not None and not np.all(lam > 0):
            raise ValueError(f"gp_weight must be > 0 (or None: no penalty); got {gp_weight}")
    if loss == "gan" and (use_gp or clip is not None):
        raise ValueError("loss='gan' takes neither clip nor gp_weight (pass clip=None)")
    if loss == "wgan" and use_gp and clip is not None:
        raise ValueError("loss='wgan' takes at most one of clip (WGAN) or gp_weight > 0 (WGAN-GP)")
    hidden = tuple(int(h) for h in hidden)
    if hidden and min(hidden) < 1:
        raise ValueError(f"hidden widths must be >= 1; got {hidden}")
    return n_steps, batch_size, use_gp, hidden


def _check_pair(real, fake, paired, batch: tuple = ()):
    real, fake = jnp.asarray(real), jnp.asarray(fake)
    k = len(batch)
    want = "[" + ", ".join(batch + ("n", "d")) + "]"
    if real.ndim != k + 2 or fake.ndim != k + 2 or real.shape[:k] != fake.shape[:k] or real.shape[-1] != fake.shape[-1]:
        raise ValueError(f"real and fake must be {want} and {want[:-4]}n', d]; got {real.shape} and {fake.shape}")
    same = _concrete(paired)
    if (same is None or np.any(same)) and real.shape[-2] != fake.shape[-2]:
        raise ValueError(f"paired needs equal sample sizes; got {real.shape[-2]} and {fake.shape[-2]}")
    return real, fake


def _check_d(d_params, lead, sizes):
    if d_params is None:
        return
    got = tuple(tuple(int(n) for n in w.shape) for w, _ in d_params)
    want = tuple(lead + (a, b) for a, b in zip(sizes[:-1], sizes[1:]))
    if got != want:
        raise ValueError(f"d_params must have weight shapes {want}; got {got}")


def _fit_one(key, real, fake, lr, gp_weight, paired, d_params, *, sizes, n_steps, loss, optimizer, clip, use_gp,
             batch_size):
    """One critic, no checks: the engine's critic loop on two samples; pure, so :func:`jax.vmap` batches it."""
    tx = optax.chain(make_optimizer(optimizer._replace(lr=1.0)), optax.scale(lr))  # linear in lr
    res = train_critic_on_samples(key, real, fake, n_steps, tx=tx, hidden=sizes[1:-1], d_params=d_params, loss=loss,
                                  clip=clip, gp_weight=gp_weight if use_gp else None, batch_size=batch_size,
                                  paired=paired, metrics=tuple(_METRICS.values()))
    metrics = {name: res.metrics[engine_name] for name, engine_name in _METRICS.items()}
    metrics[FINITE] = res.metrics[FINITE]
    return CriticFit(res.d_params, critic_estimate(res.d_params, real, fake), metrics)


# CriticFit's metric names and the engine's (gantoy.gan.engine.CRITIC_METRICS)
_METRICS = {"loss": "d_loss", "grad_norm": "d_grad_norm", "cos": "cos", "max_abs_weight": "d_max_abs_weight"}


def fit_critic(
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
    gp_weight: ArrayLike | None = None,
    batch_size: int = 64,
    paired: ArrayLike = False,
    d_params=None,
) -> CriticFit:
    """Train one critic (or GAN discriminator) between two fixed samples, one seed.

    :func:`gantoy.gan.engine.train_critic_on_samples` with the optimiser
    built from ``optimizer`` and ``lr``. Each of the ``n_steps`` updates draws a
    minibatch of ``batch_size`` from each sample (with replacement) and applies
    the training engine's one critic update, :func:`gantoy.gan.engine.critic_update`:
    :func:`gan_discriminator_step` (``loss="gan"``, ``clip=None``),
    :func:`wgan_critic_step` (``loss="wgan"``, ``clip=c``) or
    :func:`wgan_gp_critic_step` (``loss="wgan"``, ``clip=None``,
    ``gp_weight=λ``). The critic starts as the engine's does for this key
    (:func:`gantoy.gan.nets.mlp_init` with ``fold_in(key, 0)``, clipped when
    ``clip`` is set); step ``t`` draws from ``fold_in(fold_in(key, 1), t)``.
    Afterwards

    .. math:: \\hat W = \\frac1n \\sum_i f(x^r_i) - \\frac1{n'} \\sum_j f(x^g_j)

    over the whole two samples (:func:`critic_estimate`), which is
    :math:`K \\cdot W_1` for the best :math:`K`-Lipschitz :math:`f`.

    The function is pure: ``jax.vmap`` it over keys (seeds) or over pairs
    (``real``, ``fake``, ``lr``, ``gp_weight``, ``paired``, ``d_params``), as
    :func:`fit_critics` does.

    Args:
      key: one PRNG key.
      real, fake: ``[n, d]`` and ``[n', d]`` samples.
      n_steps: updates.
      loss: ``"gan"`` (discriminator, cross-entropy on the logit) or ``"wgan"``.
      hidden: hidden widths of the ReLU MLP ``d -> hidden -> 1``.
      optimizer: an :class:`gantoy.gan.engine.Optimizer` (its ``lr`` is used
        unless ``lr`` is given).
      lr: optional learning rate (may be traced: the update is linear in it).
      clip: WGAN's clipping bound, or ``None``.
      gp_weight: WGAN-GP's :math:`\\lambda > 0`, or ``None`` (no penalty). With
        ``loss="wgan"`` and neither ``clip`` nor ``gp_weight`` the critic is
        unconstrained: its loss has no minimum and its estimate grows without
        bound (what the clip or the penalty prevents).
      batch_size: samples per side and step.
      paired: draw the same indices on both sides (needs ``n == n'``). For
        ``fake = T(real)`` (a translation, a scaling) this removes most of the
        sampling noise from the gradients without changing their expectation;
        the gradient penalty then interpolates along the pairs
        ``(x_j, T(x_j))``.
      d_params: optional starting critic (to continue training, or to start
        from a critic trained on another pair); the optimiser state starts afresh.

    Returns:
      A :class:`CriticFit` (jax arrays; ``metrics`` are ``[n_steps]``).

    References:
      Arjovsky et al. 2017, Algorithm 1, Fig. 2 and Sec. 3; Gulrajani et al. 2017, Algorithm 1.

    >>> x = 0.3 * jax.random.normal(jax.random.key(0), (500, 1))
    >>> fit = fit_critic(jax.random.key(1), x, x + 1.0, 50, hidden=(16,), optimizer=rmsprop(1e-3), paired=True)
    >>> fit.estimate.shape, fit.metrics["loss"].shape, bool(fit.metrics["max_abs_weight"].max() <= 0.01)
    ((), (50,), True)
    """
    n_steps, batch_size, use_gp, hidden = _check_fit(loss, n_steps, batch_size, clip, gp_weight, hidden)
    key = _as_keys(key)[0]
    real, fake = _check_pair(real, fake, paired)
    sizes = (int(real.shape[-1]),) + hidden + (1,)
    _check_d(d_params, (), sizes)
    lr = jnp.asarray(optimizer.lr if lr is None else lr, real.dtype)
    gp = jnp.asarray(gp_weight if use_gp else 0.0, real.dtype)
    return _fit_one(key, real, fake, lr, gp, jnp.asarray(paired, bool), d_params, sizes=sizes, n_steps=n_steps,
                    loss=loss, optimizer=optimizer, clip=clip, use_gp=use_gp, batch_size=batch_size)


def fit_critics(
    key: jax.Array,
    real: ArrayLike,
    fake: ArrayLike,
    n_steps: int,
    *,
    n_seeds: int | None = None,
    lr: ArrayLike | None = None,
    gp_weight: ArrayLike | None = None,
    paired: ArrayLike = False,
    d_params=None,
    **kw,
) -> CriticFit:
    """:func:`fit_critic` on ``m`` pairs at once, for one seed or ``n_seeds`` seeds: one compiled program.

    Critic ``i`` is trained between ``real[i]`` and ``fake[i]``. A seed is
    one key: with ``n_seeds=None`` every pair's critic uses ``key`` (the same
    initialisation and minibatch indices on every pair: one critic recipe
    applied to different pairs, so that differences between the pairs' results
    come from the pairs); with ``n_seeds=S`` seed ``s`` uses
    ``seed_keys(key, S)[s]`` (:func:`gantoy.gan.engine.seed_keys`) and the
    results get a leading ``[S]`` axis. This is ``jax.vmap`` of
    :func:`fit_critic` over the pairs, and over the seeds' keys.

    Args:
      key: one PRNG key (a batch of keys is refused: ask for seeds with ``n_seeds``).
      real, fake: ``[m, n, d]`` and ``[m, n', d]`` samples.
      n_steps: updates per critic.
      n_seeds: ``None`` (one seed) or the number of seeds.
      lr, gp_weight, paired: as for :func:`fit_critic`, one value or ``[m]``
        (one per pair, the same for every seed).
      clip: (in ``kw``) ``None`` (no clipping anywhere), one bound, or ``[m]``
        bounds, one per pair; ``np.inf`` leaves its pair's critic
        unconstrained (clipping to :math:`[-\\infty, \\infty]` changes no
        weight). Critics with other bounds, or clipped and unconstrained ones,
        then share one compiled program.
      d_params: optional starting critics, ``[m, ...]`` (or ``[n_seeds, m, ...]``),
        e.g. :attr:`CriticFit.d_params` of an earlier call.
      **kw: ``loss``, ``hidden``, ``optimizer``, ``clip``, ``batch_size`` of :func:`fit_critic`
        (``clip`` per pair as above).

    Returns:
      A :class:`CriticFit` with numpy arrays: ``estimate`` ``[m]`` (or
      ``[n_seeds, m]``), metrics ``[m, n_steps]`` (or ``[n_seeds, m, n_steps]``).

    References:
      Arjovsky et al. 2017, Fig. 2 and Sec. 3; Gulrajani et al. 2017, Fig. 1.

    >>> x = 0.3 * jax.random.normal(jax.random.key(0), (500, 1))
    >>> pairs = jnp.stack([x, x]), jnp.stack([x + 1.0, x + 4.0])
    >>> fit = fit_critics(jax.random.key(1), *pairs, 50, n_seeds=3, hidden=(16,), optimizer=rmsprop(1e-3), paired=True)
    >>> fit.estimate.shape, fit.metrics["loss"].shape
    ((3, 2), (3, 2, 50))
    """
    unknown = set(kw) - {"loss", "hidden", "optimizer", "clip", "batch_size"}
    if unknown:
        raise TypeError(f"fit_critics got unexpected arguments {sorted(unknown)}")
    loss = kw.get("loss", "wgan")
    hidden = kw.get("hidden", (64, 64, 64))
    optimizer = kw.get("optimizer", rmsprop(5e-5))
    clip = kw.get("clip", 0.01)
    batch_size = kw.get("batch_size", 64)
    n_steps, batch_size, use_gp, hidden = _check_fit(loss, n_steps, batch_size, clip, gp_weight, hidden)
    keys, batched = _as_keys(key, n_seeds)
    real, fake = _check_pair(real, fake, paired, ("m",))
    m = real.shape[0]
    sizes = (int(real.shape[-1]),) + hidden + (1,)
    d_seeds = d_params is not None and batched and d_params[0][0].ndim == 4
    _check_d(d_params, ((len(keys),) if d_seeds else ()) + (m,), sizes)
    def per_pair(v, dtype, name):  # in numpy: an eager jnp op would compile a program of its own
        v = np.asarray(v, np.dtype(dtype))
        if v.ndim > 1 or (v.ndim == 1 and v.shape[0] != m):
            raise ValueError(f"{name} must be one value or one per pair ([{m}]); got shape {v.shape}")
        return np.broadcast_to(v, (m,))

    lrs = per_pair(optimizer.lr if lr is None else lr, real.dtype, "lr")
    gps = per_pair(gp_weight if use_gp else 0.0, real.dtype, "gp_weight")
    pairs = per_pair(paired, bool, "paired")
    c = None if clip is None else per_pair(clip, real.dtype, "clip")
    if d_params is None:
        # the critics fit_critic would start from, made here so that a first
        # fit and its continuation (d_params given) run one compiled program
        d_params = _init_runner(sizes, str(real.dtype), batched, m)(keys, c)
        d_seeds = batched
    # the step sizes, the clipping bounds, gp_weight and paired (per pair)
    # are arguments of the program: one compilation serves every value
    run = _fit_runner(sizes, n_steps, loss, optimizer._replace(lr=1.0), clip is not None, use_gp, batch_size, batched,
                      d_seeds)
    out = run(keys, real, fake, lrs, gps, pairs, d_params, c)
    return CriticFit(out.d_params, np.asarray(out.estimate), {k: np.asarray(v) for k, v in out.metrics.items()})


@program_cache(maxsize=32)
def _init_runner(sizes, dtype, batched, m):
    def one(key, c):  # c: None or [m] bounds
        d = mlp_init(jax.random.fold_in(key, 0), sizes, dtype=jnp.dtype(dtype))
        if c is None:
            return jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (m,) + a.shape), d)
        return jax.vmap(lambda ci: clip_weights(d, ci))(c)

    return jax.jit(jax.vmap(one, in_axes=(0, None)) if batched else one)


@program_cache(maxsize=32)
def _fit_runner(sizes, n_steps, loss, optimizer, clipped, use_gp, batch_size, batched, d_seeds):
    def one(key, real, fake, lr, gp_weight, paired, d_params, c):
        return _fit_one(key, real, fake, lr, gp_weight, paired, d_params, sizes=sizes, n_steps=n_steps, loss=loss,
                        optimizer=optimizer, clip=c if clipped else None, use_gp=use_gp, batch_size=batch_size)

    over_pairs = jax.vmap(one, in_axes=(None, 0, 0, 0, 0, 0, 0, 0))
    if batched:
        over_pairs = jax.vmap(over_pairs, in_axes=(0, None, None, None, None, None, 0 if d_seeds else None, None))
    return jax.jit(over_pairs)

r"""Vanishing generator gradients: freeze G and train D, or sweep the critic steps k.

Arjovsky & Bottou (2017) freeze the generator, train the discriminator from
scratch and watch the gradient of the original ("minimax", saturating)
generator loss :math:`E_z \log(1 - D(G(z)))` fall as D becomes perfect; the
course text's summary is "the better the discriminator, the worse the
generator's vanishing gradient". The reason is one line: with logit
:math:`\ell`,

.. math::
   \frac{\partial}{\partial \ell} \log(1 - \sigma(\ell)) = -\sigma(\ell) \to 0
   \quad \text{as } \ell(G(z)) \to -\infty,

while the non-saturating loss :math:`-\log \sigma(\ell)` has derivative
:math:`-(1 - \sigma(\ell)) \to -1` there.

This module runs those experiments as calls of the training engine
(:func:`gantoy.gan.engine.train` with ``n_critic`` given at run time): one
compiled program serves every ``k`` of a sweep and the frozen-generator runs
(compiling costs seconds per program on a CPU).

* :func:`run_k` -- ``n_steps`` rounds of ``k`` critic updates, each round
  ending with the engine's generator step; with ``freeze=True`` the generator
  update is not applied (G stays fixed) but the round's metrics, e.g. both
  generator-gradient norms, are still recorded: a frozen-G run recorded every
  ``k`` critic steps.
* :func:`freeze_generator_every` -- the Arjovsky-Bottou experiment, with a
  record at critic step 0 (the untrained D) and every ``every`` steps after.
* :func:`critic_steps_sweep` -- the same initial state trained with each ``k``.
* :func:`theorem24_trace` -- Arjovsky & Bottou's Thm. 2.4 made numerical: the
  minimax gradient, the distance :math:`\|D - D^*\|` to a closed-form optimal
  discriminator and the bound :math:`M\varepsilon/(1-\varepsilon)` along D's training
  (:func:`jacobian_bound` estimates :math:`M`).
* :func:`decades_fallen`, :func:`first_step_reaching`, :func:`seed_bootstrap` -- summaries.

References:
  Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs",
  Thm. 2.4, Fig. 1 and 2.
  Goodfellow et al. (2014), "Generative Adversarial Nets", Algorithm 1 (k
  discriminator steps per generator step) and Sec. 3 (the saturation).

Example:
    >>> import jax, numpy as np
    >>> from gantoy.gan.engine import gan_config
    >>> data = lambda k, n: jax.random.normal(k, (n, 2)) * 0.02 + 2.0
    >>> cfg = gan_config(data, "minimax", z_dim=2, g_hidden=(8,), d_hidden=(8,), batch_size=16)
    >>> res = freeze_generator_every(jax.random.key(1), cfg, None, 40, every=20)
    >>> res.steps.tolist(), res.metrics["g_grad_norm_minimax"].shape
    ([0, 20, 40], (3,))
"""

from __future__ import annotations

import functools
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from gantoy._checks import _as_keys
from gantoy._threads import program_cache
from gantoy.studies.optimal import optimal_logit
from gantoy.gan.engine import (
    GANConfig,
    GANState,
    TrainResult,
    critic_fn,
    critic_input_grad,
    generate,
    generator_grad_norms,
    split_learning_rates,
    train,
)

__all__ = [
    "FREEZE_METRICS",
    "FreezeResult",
    "generator_grad_norms",
    "run_k",
    "freeze_generator_every",
    "critic_steps_sweep",
    "decades_fallen",
    "first_step_reaching",
    "BoundTrace",
    "jacobian_bound",
    "theorem24_trace",
    "seed_bootstrap",
]

#: What :func:`freeze_generator_every` records (names of :data:`gantoy.gan.engine.STEP_METRICS`).
FREEZE_METRICS = ("d_acc", "g_grad_norm_minimax", "g_grad_norm_nonsaturating")


class FreezeResult(NamedTuple):
    """What :func:`freeze_generator_every` returns.

    Attributes:
      steps: ``[r]`` critic-update counts of the records (0, every, 2 every, ...).
      metrics: ``{name: [n_seeds, r]}`` numpy arrays (:data:`FREEZE_METRICS`; no
        seed axis for one seed).
      state: the final :class:`gantoy.gan.engine.GANState` (the frozen G, the trained D).
    """

    steps: np.ndarray
    metrics: dict
    state: GANState


def _check_int(v, name: str, low: int = 1) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name} must be an int >= {low}; got {v!r}")
    return int(v)


def _check_config(config: GANConfig) -> None:
    if config.loss not in ("minimax", "nonsaturating"):
        raise ValueError(f"config.loss must be 'minimax' or 'nonsaturating' here; got {config.loss!r}")
    if config.warmup_critic:
        raise ValueError(f"config.warmup_critic must be 0 here (k is set by the caller); got {config.warmup_critic}")


def _record(config, state, key):
    """D's accuracy and both generator-gradient norms for ``state`` as it is (one seed)."""
    k_real, k_fake, k_z = jax.random.split(key, 3)
    n = config.batch_size
    dtype = state.d_params[0][0].dtype
    real = (config.data.sample if hasattr(config.data, "sample") else config.data)(k_real, n)
    fake = generate(config, state.g_params, jax.random.normal(k_fake, (n, config.z_dim), dtype))
    crit = critic_fn(config, state.d_params)
    m = {"d_acc": 0.5 * (jnp.mean(crit(real) > 0) + jnp.mean(crit(fake) < 0))}
    z = jax.random.normal(k_z, (n, config.z_dim), dtype)
    m.update(generator_grad_norms(config, state.g_params, state.d_params, z))
    return {name: m[name].astype(dtype) for name in FREEZE_METRICS}


@program_cache(maxsize=32)
def _record_runner(config, batched):
    return jax.jit(jax.vmap(functools.partial(_record, config)) if batched else functools.partial(_record, config))


def run_k(
    key: jax.Array,
    config: GANConfig,
    n_steps: int,
    *,
    k: int,
    n_seeds: int | None = None,
    freeze: bool = False,
    state: GANState | None = None,
    metrics: Sequence[str] = ("g_loss",),
    chunk: int = 40,
    threads: int = 1,
) -> TrainResult:
    r"""``n_steps`` rounds of ``k`` critic updates and one generator step, ``k`` a runtime value.

    :func:`gantoy.gan.engine.train` with ``n_critic=k`` given at run time: one
    program is compiled per ``(config, metrics, chunk, n_seeds)`` and reused for
    every ``k``, both values of ``freeze`` and every call. With
    ``freeze=True`` the generator update is computed but not applied: G stays
    as in ``state`` and the round's metrics (computed on the updated critic)
    are those of a frozen-G run every ``k`` critic steps.

    Args:
      key: one key. The initial state (if not given) is ``init(fold_in(k, 0))``
        and round ``t`` uses ``fold_in(fold_in(k, 1), t)`` for each seed's key
        ``k``, as in :func:`gantoy.gan.engine.train`.
      config: a minimax or non-saturating :class:`GANConfig` without warm-up;
        its ``n_critic`` is ignored.
      n_steps: rounds (generator steps).
      k: critic updates per round, ``>= 1``.
      n_seeds: ``None``: one seed (key ``key``); an int: that many seeds
        (``vmap``), seed ``i`` with key ``seed_keys(key, n_seeds)[i]``.
      freeze: keep the generator fixed.
      state: start from this state (batched when ``n_seeds`` is given), e.g.
        with a chosen generator.
      metrics: names from :data:`gantoy.gan.engine.STEP_METRICS`; per-critic-step
        ones (``d_grad_norm``, ``cos``) cover the last critic update of a round.
      chunk: rounds per compiled scan.
      threads: the seeds in this many groups, one thread each, as in
        :func:`gantoy.gan.engine.train`.

    Returns:
      A :class:`gantoy.gan.engine.TrainResult` (no snapshots), metrics
      ``[n_seeds, n_steps, ...]`` (no seed axis for one seed).

    References:
      Goodfellow et al. (2014), Algorithm 1.

    >>> from gantoy.gan.engine import gan_config
    >>> data = lambda k, n: jax.random.normal(k, (n, 2)) + 3.0
    >>> cfg = gan_config(data, z_dim=2, g_hidden=(8,), d_hidden=(8,), batch_size=16)
    >>> res = run_k(jax.random.key(0), cfg, 4, k=3, metrics=("n_critic",))
    >>> res.metrics["n_critic"].tolist(), int(res.state.d_opt_state[0].count)
    ([3, 3, 3, 3], 12)
    """
    _check_config(config)
    n_steps = _check_int(n_steps, "n_steps")
    k = _check_int(k, "k")
    chunk = _check_int(chunk, "chunk")
    return train(key, config, n_steps, n_seeds=n_seeds, metrics=metrics, state=state, chunk=chunk, n_critic=k,
                 train_generator=not freeze, threads=threads)


def freeze_generator_every(
    key: jax.Array,
    config: GANConfig,
    g_params=None,
    n_steps: int = 4000,
    *,
    n_seeds: int | None = None,
    every: int = 10,
    chunk: int = 40,
    threads: int = 1,
) -> FreezeResult:
    r"""Freeze G, train D from scratch for ``n_steps`` updates, record every ``every`` updates.

    The experiment of Arjovsky & Bottou (2017), Fig. 1 and 2, built on
    :func:`run_k` with ``freeze=True`` (so it costs about ``1 + 2/every`` critic
    updates per update instead of the ~3 of recording at every step). Records
    :data:`FREEZE_METRICS`: D's accuracy on that update's batch, and the
    norms of the minimax and non-saturating generator gradients against the
    updated D (one latent batch of ``config.batch_size``). The record at step 0
    is the untrained D (accuracy on one real and one fake batch drawn with
    ``fold_in(fold_in(k, 2), 0)`` for the seed's key ``k``, gradients on one
    latent batch).

    Args:
      key: one key; D (and G, unless given) start from ``init(fold_in(k, 0))``
        for each seed's key ``k``.
      config: a minimax or non-saturating config (its ``d_opt`` trains D).
      g_params: the frozen generator, one (shared) or, with ``n_seeds``, a
        batch with a leading ``[n_seeds]`` axis; ``None``: each seed's own
        initial generator.
      n_steps: critic updates; a multiple of ``every``.
      n_seeds: ``None``: one seed (key ``key``); an int: that many seeds
        (``vmap``), seed ``i`` with key ``seed_keys(key, n_seeds)[i]``.
      every: critic updates between records.
      chunk: records per compiled scan.
      threads: the seeds in this many groups, one thread each (:func:`run_k`).

    Returns:
      A :class:`FreezeResult`: ``steps [n_steps / every + 1]`` (0, every, ...),
      ``metrics {name: [n_seeds, len(steps)]}`` (no seed axis for one seed)
      and the final state.

    References:
      Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs", Fig. 1 and 2.
    """
    _check_config(config)
    keys, batched = _as_keys(key, n_seeds)
    every = _check_int(every, "every")
    n_steps = _check_int(n_steps, "n_steps")
    chunk = _check_int(chunk, "chunk")
    if n_steps % every:
        raise ValueError(f"n_steps ({n_steps}) must be a multiple of every ({every})")
    rounds = n_steps // every
    fold = jax.vmap(jax.random.fold_in, in_axes=(0, None)) if batched else jax.random.fold_in
    state = train(key, config, 0, n_seeds=n_seeds, metrics=()).state  # init(fold_in(k, 0)) per seed
    if g_params is not None:
        lead = jax.tree_util.tree_leaves(g_params)[0]
        g_batched = lead.ndim == 3
        if g_batched and (not batched or lead.shape[0] != len(keys)):
            raise ValueError(f"g_params with a leading seed axis of {lead.shape[0]} needs n_seeds={lead.shape[0]}; "
                             f"got n_seeds={n_seeds}")
        if batched and not g_batched:
            g_params = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (len(keys),) + a.shape), g_params)
        state = state._replace(g_params=g_params)
    # the record uses no optimiser: every step size shares one program
    first = _record_runner(split_learning_rates(config)[0], batched)(state, fold(fold(keys, 2), 0))
    res = run_k(key, config, rounds, k=every, n_seeds=n_seeds, freeze=True, state=state, metrics=FREEZE_METRICS,
                chunk=chunk, threads=threads)
    axis = 1 if batched else 0
    out = {name: np.concatenate([np.expand_dims(np.asarray(first[name]), axis), res.metrics[name]], axis=axis)
           for name in FREEZE_METRICS}
    return FreezeResult(np.arange(rounds + 1) * every, out, res.state)


def critic_steps_sweep(
    key: jax.Array,
    config: GANConfig,
    ks: Sequence[int],
    n_steps: int,
    *,
    n_seeds: int | None = None,
    metrics: Sequence[str] = FREEZE_METRICS,
    chunk: int = 40,
    threads: int = 1,
) -> dict:
    r"""Train from the same initial state with ``k`` critic steps per generator step, for each ``k``.

    One compiled program for all ``k`` (:func:`run_k`), shared with
    :func:`freeze_generator_every` under the default metrics. Cost grows like
    :math:`n\_steps \cdot \sum k`.

    ``key``, ``n_seeds`` and ``threads`` as in :func:`run_k` (each ``k``
    starts from the same initial states).

    Returns:
      ``{name: [len(ks), n_seeds, n_steps]}`` numpy arrays (no seed axis for
      one seed).

    References:
      Goodfellow et al. (2014), Algorithm 1 (they used k = 1).

    >>> from gantoy.gan.engine import gan_config
    >>> data = lambda k, n: jax.random.normal(k, (n, 2)) + 3.0
    >>> cfg = gan_config(data, "minimax", z_dim=2, g_hidden=(8,), d_hidden=(8,), batch_size=16)
    >>> out = critic_steps_sweep(jax.random.key(0), cfg, (1, 3), 4)
    >>> out["g_grad_norm_minimax"].shape
    (2, 4)
    """
    ks = [_check_int(k, "each k") for k in ks]
    if not ks:
        raise ValueError("ks must not be empty")
    runs = [run_k(key, config, n_steps, k=k, n_seeds=n_seeds, metrics=metrics, chunk=chunk, threads=threads).metrics
            for k in ks]
    return {name: np.stack([r[name] for r in runs]) for name in runs[0]}


def decades_fallen(norms, *, tail: int = 1) -> np.ndarray:
    r"""Orders of magnitude a positive series falls: :math:`\log_{10}(x_0 / \mathrm{median}(x_{-tail:}))`.

    Args:
      norms: ``[..., t]`` positive values over time (last axis).
      tail: how many final values to take the median of (robust to batch noise).

    Returns:
      ``[...]`` decades; ``inf`` when the tail median is 0.

    >>> float(decades_fallen(np.array([1.0, 1e-2, 2e-4, 1e-4, 5e-5]), tail=3))
    4.0
    """
    x = np.asarray(norms, dtype=float)
    tail = _check_int(tail, "tail")
    if x.ndim < 1 or x.shape[-1] < tail:
        raise ValueError(f"norms must have at least tail={tail} values on the last axis; got shape {x.shape}")
    if np.any(x < 0) or np.any(np.isnan(x)):
        raise ValueError("norms must be non-negative and not NaN")
    end = np.median(x[..., -tail:], axis=-1)
    with np.errstate(divide="ignore"):
        return np.log10(x[..., 0]) - np.log10(end)


def first_step_reaching(values, level: float, steps=None) -> np.ndarray:
    """The first step at which ``values >= level`` along the last axis; ``-1`` where never.

    Args:
      values: ``[..., t]``.
      level: the threshold.
      steps: ``[t]`` step labels (default ``0 .. t-1``).

    >>> first_step_reaching(np.array([[0.5, 0.99, 1.0], [0.1, 0.2, 0.3]]), 0.99, [0, 10, 20]).tolist()
    [10, -1]
    """
    v = np.asarray(values, dtype=float)
    t = v.shape[-1]
    steps = np.arange(t) if steps is None else np.asarray(steps)
    if steps.shape != (t,):
        raise ValueError(f"steps must have shape [{t}]; got {steps.shape}")
    hit = v >= level
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), steps[first], -1)


# --------------------------------------------------------------------------- Arjovsky & Bottou, Thm. 2.4
class BoundTrace(NamedTuple):
    """What :func:`theorem24_trace` returns (one seed).

    Attributes:
      steps: ``[r]`` critic updates at the records.
      grad_norm: ``[r]`` :math:`\\|\\nabla_\\theta \\frac1n \\sum_i \\log(1 - D(g_\\theta(z_i)))\\|_2`.
      eps: ``[r]`` :math:`\\varepsilon = \\max_i |D - D^*|(x_i) + \\max_i |\\nabla_x D - \\nabla_x D^*|(x_i)`
        over the generator's samples :math:`x_i = g_\\theta(z_i)`.
      eps_value, eps_grad: ``[r]`` the two terms of ``eps``.
      eps_line: ``[r]`` the same norm over the whole grid ``grid`` (the theorem's sup over the space).
      bound: ``[r]`` :math:`M\\varepsilon/(1-\\varepsilon)` (``inf`` where :math:`\\varepsilon \\ge 1`).
      m: :math:`M = (\\frac1n \\sum_i \\|J_\\theta g_\\theta(z_i)\\|_2^2)^{1/2}`.
      d_star_max: ``[2]`` :math:`\\max_i D^*(x_i)` and :math:`\\max_i |\\nabla_x D^*(x_i)|` (how perfect
        :math:`D^*` is on the samples).
      state: the final engine state (frozen G, trained D).
    """

    steps: np.ndarray
    grad_norm: np.ndarray
    eps: np.ndarray
    eps_value: np.ndarray
    eps_grad: np.ndarray
    eps_line: np.ndarray
    bound: np.ndarray
    m: float
    d_star_max: np.ndarray
    state: GANState


def jacobian_bound(config: GANConfig, g_params, z: jax.Array) -> jax.Array:
    r"""Thm. 2.4's :math:`M`: the root mean square over ``z`` of the generator's parameter Jacobian's norm.

    .. math::
       M = \Big(\frac1n \sum_i \|J_\theta g_\theta(z_i)\|_F^2\Big)^{1/2}
         \;\ge\; \Big(\frac1n \sum_i \|J_\theta g_\theta(z_i)\|_2^2\Big)^{1/2},

    the Frobenius norm over all of G's parameters (equal to the operator norm
    for one-dimensional data), so :math:`E_z\|J_\theta g_\theta(z)\|_2^2 \le M^2`
    holds for the empirical latent measure.

    Args:
      config: the :class:`GANConfig` whose generator ``g_params`` belongs to.
      g_params: one seed's generator.
      z: ``[n, z_dim]`` latent codes.

    >>> from gantoy.gan.engine import gan_config, init
    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 1)), z_dim=1, g_hidden=())
    >>> g = init(jax.random.key(0), cfg).g_params          # g(z) = w z + b: J = (z, 1)
    >>> z = jnp.array([[1.0], [-1.0]])
    >>> round(float(jacobian_bound(cfg, g, z)) ** 2, 5)    # 1 + mean z^2
    2.0
    """
    z = jnp.asarray(z)
    if z.ndim != 2 or z.shape[1] != config.z_dim or z.shape[0] < 1:
        raise ValueError(f"z must have shape [n, {config.z_dim}] with n >= 1; got {z.shape}")

    def sq(zi):
        jac = jax.jacobian(lambda g: generate(config, g, zi[None])[0])(g_params)
        return sum(jnp.sum(leaf ** 2) for leaf in jax.tree_util.tree_leaves(jac))

    return jnp.sqrt(jnp.mean(jax.vmap(sq)(z)))


def _d_and_slope(config, d_params, x):
    """D = sigma(l) and |grad_x D| = sigma(l) sigma(-l) |grad_x l| at points ``x [n, d]``."""
    logit = critic_fn(config, d_params)(x)
    slope = jnp.linalg.norm(critic_input_grad(config, d_params, x), axis=-1)
    return jax.nn.sigmoid(logit), jax.nn.sigmoid(logit) * jax.nn.sigmoid(-logit) * slope


def _d_star_and_slope(p_real, p_fake, x):
    logit_fn = lambda xi: optimal_logit(p_real, p_fake, xi[None])[0]
    logit = jax.vmap(logit_fn)(x)
    slope = jnp.linalg.norm(jax.vmap(jax.grad(logit_fn))(x), axis=-1)
    return jax.nn.sigmoid(logit), jax.nn.sigmoid(logit) * jax.nn.sigmoid(-logit) * slope


_RECORDERS: dict = {}


def _bound_recorder(config, p_real, p_fake):
    """One compiled recorder per (config, p_real, p_fake); distributions compared by identity."""
    cache_key = (config, id(p_real), id(p_fake))
    hit = _RECORDERS.get(cache_key)
    if hit is not None and hit[0] is p_real and hit[1] is p_fake:
        return hit[2]

    def rec(state, z, grid):
        x = generate(config, state.g_params, z)
        d, dd = _d_and_slope(config, state.d_params, x)
        s, ds = _d_star_and_slope(p_real, p_fake, x)
        dl, ddl = _d_and_slope(config, state.d_params, grid)
        sl, dsl = _d_star_and_slope(p_real, p_fake, grid)
        grad = generator_grad_norms(config, state.g_params, state.d_params, z)["g_grad_norm_minimax"]
        return (grad, jnp.max(jnp.abs(d - s)), jnp.max(jnp.abs(dd - ds)),
                jnp.max(jnp.abs(dl - sl)) + jnp.max(jnp.abs(ddl - dsl)), jnp.max(s), jnp.max(ds))

    fn = jax.jit(rec)
    if len(_RECORDERS) >= 16:
        _RECORDERS.clear()
    _RECORDERS[cache_key] = (p_real, p_fake, fn)
    return fn


def theorem24_trace(
    key: jax.Array,
    config: GANConfig,
    g_params,
    p_real,
    p_fake,
    steps: Sequence[int],
    z: jax.Array,
    grid: jax.Array,
) -> BoundTrace:
    r"""Train D against a frozen G and follow Arjovsky & Bottou's Thm. 2.4 along the way.

    The theorem: if :math:`D^*` is a perfect discriminator (1 on the data's
    support, 0 on the generator's), :math:`\|D - D^*\| < \varepsilon` with
    :math:`\|f\| = \sup_x |f(x)| + \sup_x \|\nabla_x f(x)\|_2`, and
    :math:`E_z \|J_\theta g_\theta(z)\|_2^2 \le M^2`, then

    .. math::
       \big\|\nabla_\theta E_z \log(1 - D(g_\theta(z)))\big\|_2 < M \frac{\varepsilon}{1 - \varepsilon}.

    Its proof uses the norm only at the generator's samples, so here the
    expectation is the mean over the latent codes ``z`` and :math:`\varepsilon`
    is the sum of :math:`\max_i |D - D^*|` and :math:`\max_i |\nabla_x D - \nabla_x D^*|`
    over :math:`x_i = g_\theta(z_i)`; :math:`D^*` is the optimal discriminator
    :math:`p_r/(p_r + p_g)` of :func:`gantoy.studies.optimal.optimal_logit`
    (``p_fake`` must be the law of :math:`g_\theta(z)`), which is perfect on the
    samples when the two laws are far apart (``d_star_max`` says how nearly).
    The same norm over ``grid`` (the theorem's sup over the space) is
    returned as ``eps_line``. :math:`M` is :func:`jacobian_bound` on ``z``.

    Args:
      key: one key: D starts from ``init(fold_in(key, 0))``; the critic
        updates between records ``r - 1`` and ``r`` use ``fold_in(key, r)``.
      config: a minimax config (its ``d_opt`` trains D; its data is :math:`P_r`).
      g_params: the frozen generator (one seed).
      p_real, p_fake: distributions with ``log_prob_smoothed`` (the laws of the
        data and of :math:`g_\theta(z)`).
      steps: increasing critic-update counts of the records, the first ``0``.
      z: ``[n, z_dim]`` latent codes for the gradient, :math:`\varepsilon` and :math:`M`.
      grid: ``[m, d]`` points for ``eps_line``.

    Returns:
      A :class:`BoundTrace`.

    References:
      Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs", Thm. 2.4.

    >>> from gantoy.gan.engine import gan_config, init
    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> pr, pg = gaussian_mixture([[4.0]], 0.3), gaussian_mixture([[0.0]], 0.3)
    >>> cfg = gan_config(pr, "minimax", z_dim=1, g_hidden=(), d_hidden=(16,), batch_size=16)
    >>> g = [(jnp.array([[0.3]]), jnp.array([0.0]))]              # g(z) = 0.3 z: the law pg
    >>> z = jax.random.normal(jax.random.key(1), (64, 1))
    >>> tr = theorem24_trace(jax.random.key(0), cfg, g, pr, pg, [0, 50], z, jnp.linspace(-2, 6, 9)[:, None])
    >>> bool(np.all(tr.grad_norm <= tr.bound)), round(tr.m, 2)
    (True, 1.48)
    """
    if config.loss != "minimax":
        raise ValueError(f"config.loss must be 'minimax' (Thm. 2.4 bounds that gradient); got {config.loss!r}")
    steps = [_check_int(s, "each step", low=0) for s in steps]
    if not steps or steps[0] != 0 or any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"steps must increase strictly from 0; got {steps}")
    z = jnp.asarray(z)
    grid = jnp.asarray(grid)
    if grid.ndim != 2 or grid.shape[0] < 1:
        raise ValueError(f"grid must have shape [m, d]; got {grid.shape}")
    m = float(jacobian_bound(config, g_params, z))
    state = train(key, config, 0, metrics=()).state._replace(g_params=g_params)
    rec = _bound_recorder(config, p_real, p_fake)
    out = [rec(state, z, grid)]
    for r, (a, b) in enumerate(zip(steps, steps[1:]), start=1):
        state = run_k(jax.random.fold_in(key, r), config, 1, k=b - a, freeze=True, state=state, metrics=()).state
        out.append(rec(state, z, grid))
    grad, ev, eg, el, smax, dsmax = (np.array([float(o[i]) for o in out]) for i in range(6))
    eps = ev + eg
    with np.errstate(divide="ignore"):
        bound = np.where(eps < 1, m * eps / np.maximum(1 - eps, 1e-300), np.inf)
    return BoundTrace(np.asarray(steps), grad, eps, ev, eg, el, bound, m, np.array([smax.max(), dsmax.max()]), state)


def seed_bootstrap(key: jax.Array, values, statistic=np.mean, *, n_boot: int = 2000, coverage: float = 0.9):
    r"""A percentile bootstrap interval over seeds: resample the seeds with replacement.

    For ``values [s]`` (one number per seed), draw ``n_boot`` resamples
    :math:`v^{(b)}` of size ``s`` with replacement and return the
    :math:`(1 \mp c)/2` quantiles of ``statistic(v^(b))`` for coverage ``c``.
    With ``statistic = lambda v: np.mean(v >= a)`` the resampled statistic is
    :math:`\mathrm{Binomial}(s, \hat p)/s`, :math:`\hat p` the observed fraction.

    Args:
      key: the resampling key.
      values: ``[s]`` per-seed values, ``s >= 2``.
      statistic: maps ``[s]`` to a number.
      n_boot: resamples.
      coverage: in (0, 1).

    Returns:
      ``(low, high)`` floats.

    >>> lo, hi = seed_bootstrap(jax.random.key(0), np.array([1.0, 1.0, 1.0, 0.0]), n_boot=4000)
    >>> 0.25 <= lo <= hi <= 1.0
    True
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.shape[0] < 2:
        raise ValueError(f"values must have shape [s] with s >= 2; got {v.shape}")
    n_boot = _check_int(n_boot, "n_boot")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1); got {coverage!r}")
    idx = np.asarray(jax.random.randint(key, (n_boot, v.shape[0]), 0, v.shape[0]))
    stats = np.array([statistic(v[i]) for i in idx], dtype=float)
    return float(np.quantile(stats, (1 - coverage) / 2)), float(np.quantile(stats, (1 + coverage) / 2))

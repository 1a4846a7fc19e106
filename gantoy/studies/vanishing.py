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
* :func:`decades_fallen`, :func:`first_step_reaching` -- summaries.

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
from gantoy.gan.engine import (
    GANConfig,
    GANState,
    TrainResult,
    critic_fn,
    generate,
    generator_grad_norms,
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


@functools.lru_cache(maxsize=32)
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
                 train_generator=not freeze)


def freeze_generator_every(
    key: jax.Array,
    config: GANConfig,
    g_params=None,
    n_steps: int = 4000,
    *,
    n_seeds: int | None = None,
    every: int = 10,
    chunk: int = 40,
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
    first = _record_runner(config, batched)(state, fold(fold(keys, 2), 0))
    res = run_k(key, config, rounds, k=every, n_seeds=n_seeds, freeze=True, state=state, metrics=FREEZE_METRICS,
                chunk=chunk)
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
) -> dict:
    r"""Train from the same initial state with ``k`` critic steps per generator step, for each ``k``.

    One compiled program for all ``k`` (:func:`run_k`), shared with
    :func:`freeze_generator_every` under the default metrics. Cost grows like
    :math:`n\_steps \cdot \sum k`.

    ``key`` and ``n_seeds`` as in :func:`run_k` (each ``k`` starts from the
    same initial states).

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
    runs = [run_k(key, config, n_steps, k=k, n_seeds=n_seeds, metrics=metrics, chunk=chunk).metrics for k in ks]
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

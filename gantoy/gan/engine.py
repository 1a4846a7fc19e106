"""Train tiny GANs fast: pure ``init`` / ``step``, ``lax.scan`` over steps, ``vmap`` over seeds.

A run is described by a :class:`~gantoy.gan.model.GANConfig` (data sampler,
loss, networks, optimisers, penalties; :mod:`gantoy.gan.model`, with the
optimisers in :mod:`gantoy.gan.optim`). Four routines cover the notebooks' experiments:

* :func:`train`: alternate ``n_critic`` critic steps and one generator step
  (optionally WGAN's warm-up schedule), for one seed or ``n_seeds`` seeds
  trained at once under ``vmap``. Metrics are chosen by name, so unused ones
  are never computed.
* :func:`train_critic`: train a discriminator/critic alone against a fixed
  generator (``g_params``; the "freeze G" experiment of Arjovsky & Bottou 2017,
  Fig. 2 and 3, see :func:`freeze_generator`) or against a fixed fake sampler
  (WGAN Fig. 2, WGAN-GP Fig. 1).
* :func:`train_critic_on_samples`: train a critic alone between two fixed
  samples (minibatches drawn from the arrays), one seed, pure: ``jax.vmap``
  batches it over pairs of samples and seeds in one compiled program.
* :func:`make_step` / :func:`init` / :func:`critic_update`: the pure building
  blocks, for custom loops.

There is one critic update (:func:`critic_update`) and one training loop: a
round of ``n_critic`` critic updates (the critic loop) and one generator step.
``n_critic`` can be a run-time value (``train(..., n_critic=k)``: one compiled
program for every ``k``), the generator can be frozen
(``train_generator=False``: its step is computed, for its metrics, but not
applied) or absent (:func:`train_critic` with a fake sampler, and
:func:`train_critic_on_samples`, which runs the critic loop alone on fixed
samples). :mod:`gantoy.studies.vanishing` runs on :func:`train`;
:func:`gantoy.studies.critic.fit_critic` and ``fit_critics`` are calls of
:func:`train_critic_on_samples`, and the update steps of
:mod:`gantoy.studies.critic` are calls of :func:`critic_update`.
Every step records :data:`FINITE`.

Same key, same numbers: every random draw comes from the caller's key through
``jax.random.fold_in`` with the generator step count, so a run split into
chunks (or resumed from its returned state) equals one long run.

Float64: call any routine inside ``with jax.enable_x64(True):``; parameters
and noise are then created in float64 (the data sampler must follow the default
dtype too).
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gantoy._checks import _as_keys, _concrete
from gantoy._threads import program_cache, side_by_side
from gantoy.gan import losses as L
from gantoy.gan.model import (
    LOSSES,
    CriticResult,
    GANConfig,
    GANState,
    TrainResult,
    clip_fraction,
    critic_fn,
    critic_input_grad,
    data_dim,
    gan_config,
    generate,
    init,
    init_critic,
    input_grad,
    sampler,
    seed_keys,
    wgan_config,
    wgan_gp_config,
)
from gantoy.gan.nets import mlp_apply, mlp_init, preactivation_grads
from gantoy.gan.optim import Optimizer, adam, make_optimizer, rmsprop, sgd, tree_cosine

# The engine is where a user starts, so it also hands out the configuration
# (gantoy.gan.model) and the optimisers (gantoy.gan.optim) it trains with.
__all__ = [
    "Optimizer",
    "adam",
    "rmsprop",
    "sgd",
    "make_optimizer",
    "split_learning_rates",
    "GANConfig",
    "gan_config",
    "wgan_config",
    "wgan_gp_config",
    "GANState",
    "TrainResult",
    "CriticResult",
    "LOSSES",
    "STEP_METRICS",
    "CRITIC_METRICS",
    "FINITE",
    "CriticStep",
    "critic_update",
    "init",
    "init_seeds",
    "make_step",
    "train",
    "train_critic",
    "train_critic_on_samples",
    "freeze_generator",
    "generator_grad_norms",
    "critic_grad_profile",
    "generate",
    "critic_fn",
    "critic_input_grad",
    "input_grad",
    "tree_cosine",
    "clip_fraction",
    "seed_keys",
    "seed_sharding",
]


# --------------------------------------------------------------------------- metrics
#: Metrics :func:`train` can record at every generator step (shapes per step):
STEP_METRICS = {
    "d_loss": "[] critic loss without penalties, last critic step of this G step (before its update)",
    "d_penalty": "[] gradient/R1 penalty of that critic step",
    "d_acc": "[] D accuracy on that step's real and fake batch: (mean(l_real > 0) + mean(l_fake < 0)) / 2",
    "d_grad_norm": "[max_critic] global norm of the critic's (total-loss) gradient, every critic step ([] of the last one when n_critic is given at run time)",
    "cos": "[max_critic] cos(optimiser update, -gradient) of every critic step (update before clipping; 0 if either is 0; [] as d_grad_norm)",
    "d_grad_norms": "[n_layers] norm of the total critic loss's gradient w.r.t. each weight matrix W_l (last critic step)",
    "d_preact_grad_norms": "[n_layers] Frobenius norm of the critic loss's (no penalty) gradient w.r.t. each layer's pre-activations on the real and fake batch",
    "clip_frac": "[] fraction of critic weight-matrix entries with |w| >= 0.99 c after the critic steps (needs clip)",
    "n_critic": "[] critic steps taken in this G step",
    "g_loss": "[] the generator's training loss (before its update)",
    "g_grad_norm": "[] global norm of the gradient of the training generator loss w.r.t. G's parameters",
    "g_grad_norm_minimax": "[] the same for the minimax loss E log(1 - D(G(z))) (same z)",
    "g_grad_norm_nonsaturating": "[] the same for -E log D(G(z)) (same z)",
}

#: Metrics :func:`train_critic` can record at every critic step.
CRITIC_METRICS = {
    "d_loss": "[] critic loss without penalties on this step's batch (before the update)",
    "d_penalty": "[] penalty on this step's batch",
    "d_acc": "[] D accuracy on this step's batch (before the update)",
    "d_grad_norm": "[] global norm of the critic's total-loss gradient",
    "cos": "[] cos(optimiser update, -gradient)",
    "d_grad_norms": "[n_layers] per-layer weight-gradient norms (total loss)",
    "d_preact_grad_norms": "[n_layers] per-layer pre-activation gradient norms (loss without penalty)",
    "clip_frac": "[] fraction of critic weights with |w| >= 0.99 c after the update (needs clip)",
    "d_max_abs_weight": "[] the largest |w| over all critic parameters after the update",
    "g_grad_norm_minimax": "[] |grad_G E log(1 - D(G(z)))| after the update (needs g_params)",
    "g_grad_norm_nonsaturating": "[] |grad_G -E log D(G(z))| after the update (needs g_params)",
}

#: Recorded at every step whatever ``metrics`` asks for: ``True`` while every
#: parameter of both players and the generator loss are finite. A non-finite
#: critic loss makes its gradient, and so the critic's parameters, non-finite.
FINITE = "finite"

_CRITIC_STEP_NAMES = ("d_loss", "d_penalty", "d_acc", "d_grad_norm", "cos", "d_grad_norms", "d_preact_grad_norms",
                      "d_max_abs_weight")


def _check_metrics(metrics, allowed, config, where):
    metrics = tuple(metrics)
    bad = [m for m in metrics if m not in allowed]
    if bad:
        raise ValueError(f"unknown metric(s) {bad} for {where}; choose from {sorted(allowed)}")
    if "clip_frac" in metrics and config.clip is None:
        raise ValueError("metric 'clip_frac' needs config.clip (weight clipping) to be set")
    return tuple(dict.fromkeys(metrics))


def _layer_norms(arrays):
    return jnp.stack([optax.tree.norm(a) for a in arrays])


def _all_finite(*trees):
    leaves = [x for t in trees for x in jax.tree_util.tree_leaves(t)]
    return jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]).all()


def _base_loss(loss, real_out, fake_out):
    if loss == "wgan":
        return L.wgan_critic_loss(real_out, fake_out)
    return L.discriminator_loss(real_out, fake_out)


def _g_loss(name, fake_out):
    if name == "minimax":
        return L.minimax_generator_loss(fake_out)
    if name == "nonsaturating":
        return L.nonsaturating_generator_loss(fake_out)
    return L.wgan_generator_loss(fake_out)


def _sigma(config, step):
    return L.annealed_sigma(config.noise_sigma, step, config.noise_anneal)


# --------------------------------------------------------------------------- the critic update
class CriticStep(NamedTuple):
    """What one critic update saw (:func:`critic_update`).

    Attributes:
      loss: the critic loss without penalty, before the update.
      penalty: the penalty added to it (0 without one).
      grads: the gradient of the total loss.
      updates: the optimiser's step (before clipping).
      real_out, fake_out: ``[n]`` logits / scores on the real and fake batch.
    """

    loss: jax.Array
    penalty: jax.Array
    grads: Any
    updates: Any
    real_out: jax.Array
    fake_out: jax.Array


def critic_update(
    d_params,
    opt_state,
    real: jax.Array,
    fake: jax.Array,
    *,
    tx: optax.GradientTransformation,
    loss: str = "wgan",
    activation: str = "relu",
    clip: float | None = None,
    gp_weight=None,
    gp_target: float = 1.0,
    key: jax.Array | None = None,
    r1_weight=None,
):
    """One update of a discriminator (``loss`` ``"minimax"``/``"nonsaturating"``/``"gan"``) or critic (``"wgan"``).

    .. math::
        L_D = \\mathbb{E}_r\\,\\mathrm{softplus}(-\\ell) + \\mathbb{E}_g\\,\\mathrm{softplus}(\\ell)
        \\quad\\text{or}\\quad \\mathbb{E}_g f - \\mathbb{E}_r f,

    plus the WGAN-GP penalty (``gp_weight``, interpolates drawn with
    ``key``) and/or R1 (``r1_weight``); one optax step of ``tx``; then every
    parameter clipped to ``[-clip, clip]`` when ``clip`` is set. One forward
    pass over the real and fake batch together. Every training routine of
    gantoy updates its critic through this function.

    Returns:
      ``(d_params, opt_state, CriticStep)``.

    References:
      Goodfellow et al. 2014, Algorithm 1; Arjovsky et al. 2017, Algorithm 1;
      Gulrajani et al. 2017, Algorithm 1; Mescheder et al. 2018, Eq. 9.

    >>> from gantoy.gan.nets import mlp_init
    >>> d = mlp_init(jax.random.key(0), (1, 8, 1))
    >>> tx = optax.sgd(0.1)
    >>> d, s, info = critic_update(d, tx.init(d), jnp.ones((4, 1)), -jnp.ones((4, 1)), tx=tx, clip=0.01)
    >>> float(info.penalty), all(bool(jnp.all(jnp.abs(p) <= 0.01)) for p in jax.tree_util.tree_leaves(d))
    (0.0, True)
    """
    n = real.shape[0]

    def loss_fn(d):
        crit = lambda x: mlp_apply(d, x, activation=activation)[..., 0]
        out = crit(jnp.concatenate([real, fake], axis=0))  # one pass: larger matmuls
        r_out, f_out = out[:n], out[n:]
        base = _base_loss(loss, r_out, f_out)
        pen = jnp.zeros((), base.dtype)
        if gp_weight is not None:
            pen = pen + L.gradient_penalty(key, crit, real, fake, weight=gp_weight, target=gp_target)
        if r1_weight is not None:
            pen = pen + L.r1_penalty(crit, real, weight=r1_weight)
        return base + pen, (base, pen, r_out, f_out)

    (_, (base, pen, r_out, f_out)), grads = jax.value_and_grad(loss_fn, has_aux=True)(d_params)
    updates, opt_state = tx.update(grads, opt_state, d_params)
    new = optax.apply_updates(d_params, updates)
    if clip is not None:
        new = L.clip_weights(new, clip)
    return new, opt_state, CriticStep(base, pen, grads, updates, r_out, f_out)


def _critic_update(config, want, d_params, d_opt_state, real, fake, key, sigma):
    """:func:`critic_update` with ``config``'s settings and instance noise; returns params, state, metrics."""
    k_gp, k_nr, k_nf = jax.random.split(key, 3)
    if config.noise_sigma > 0:
        real = L.add_instance_noise(k_nr, real, sigma)
        fake = L.add_instance_noise(k_nf, fake, sigma)
    new, d_opt_state, info = critic_update(
        d_params, d_opt_state, real, fake,
        tx=make_optimizer(config.d_opt),
        loss=config.loss,
        activation=config.d_activation,
        clip=config.clip,
        gp_weight=config.gp_weight if config.gp_weight > 0 else None,
        gp_target=config.gp_target,
        key=k_gp,
        r1_weight=config.r1_weight if config.r1_weight > 0 else None,
    )
    m = _step_metrics(want, info, new)
    if "d_preact_grad_norms" in want:
        m["d_preact_grad_norms"] = _preact_norms(config, d_params, real, fake)
    return new, d_opt_state, m


def _step_metrics(want, info: CriticStep, new) -> dict:
    """The metrics in ``want`` that one :func:`critic_update` determines (``new``: the updated critic)."""
    m = {}
    if "d_loss" in want:
        m["d_loss"] = info.loss
    if "d_penalty" in want:
        m["d_penalty"] = info.penalty
    if "d_acc" in want:
        m["d_acc"] = 0.5 * (jnp.mean(info.real_out > 0) + jnp.mean(info.fake_out < 0))
    if "d_grad_norm" in want:
        m["d_grad_norm"] = optax.tree.norm(info.grads)
    if "cos" in want:
        m["cos"] = tree_cosine(info.updates, jax.tree_util.tree_map(jnp.negative, info.grads))
    if "d_grad_norms" in want:
        m["d_grad_norms"] = _layer_norms([gw for gw, _ in info.grads])
    if "d_max_abs_weight" in want:
        m["d_max_abs_weight"] = jnp.max(jnp.stack([jnp.max(jnp.abs(p)) for p in jax.tree_util.tree_leaves(new)]))
    if FINITE in want:
        m[FINITE] = _all_finite(new)
    return m


def _preact_norms(config, d_params, real, fake):
    n = real.shape[0]
    x = jnp.concatenate([real, fake], axis=0)
    gs = preactivation_grads(lambda out: _base_loss(config.loss, out[:n, 0], out[n:, 0]), d_params, x,
                             activation=config.d_activation)
    return _layer_norms(gs)


def _g_grad_norms(config, names, g_params, d_params, z, key, sigma):
    """Norms of the generator-loss gradients ``g_grad_norm_<name>`` for ``name`` in ``names``, on latent batch ``z``."""
    out = {}
    for name in ("minimax", "nonsaturating"):
        if f"g_grad_norm_{name}" in names:
            def f(g, name=name):
                fake = generate(config, g, z)
                if config.noise_sigma > 0:
                    fake = L.add_instance_noise(key, fake, sigma)
                return _g_loss(name, critic_fn(config, d_params)(fake))

            out[f"g_grad_norm_{name}"] = optax.tree.norm(jax.grad(f)(g_params))
    return out


def generator_grad_norms(config: GANConfig, g_params, d_params, z: jax.Array) -> dict:
    r"""Norms of the minimax and non-saturating generator-loss gradients, one seed.

    .. math::
       \big\|\nabla_\theta E_z \log(1 - \sigma(\ell(G_\theta(z))))\big\|, \qquad
       \big\|\nabla_\theta\, {-E_z} \log \sigma(\ell(G_\theta(z)))\big\|

    (global norms over all of G's parameters), on the latent batch
    ``z [n, z_dim]``, without instance noise. The same code records the
    ``g_grad_norm_*`` metrics of :func:`train`.

    Returns:
      ``{"g_grad_norm_minimax": [], "g_grad_norm_nonsaturating": []}``.

    >>> cfg = gan_config(lambda k, n: jnp.ones((n, 1)), z_dim=2, g_hidden=(4,), d_hidden=(4,))
    >>> s = init(jax.random.key(0), cfg)
    >>> sorted(generator_grad_norms(cfg, s.g_params, s.d_params, jnp.ones((3, 2))))
    ['g_grad_norm_minimax', 'g_grad_norm_nonsaturating']
    """
    cfg = config.replace(noise_sigma=0.0) if config.noise_sigma > 0 else config
    return _g_grad_norms(cfg, ("g_grad_norm_minimax", "g_grad_norm_nonsaturating"), g_params, d_params, z, None, 0.0)


# --------------------------------------------------------------------------- the training loop
def _critic_schedule(config, t):
    """Critic steps at generator step ``t``: ``n_critic``, or WGAN's warm-up schedule (traced)."""
    if config.warmup_critic > 0:
        return jnp.where((t < config.warmup_steps) | (t % config.warmup_every == 0), config.warmup_critic, config.n_critic)
    return config.n_critic


def _critic_loop(step: Callable, d_params, d_opt_state, n_iter, want: tuple, *, per_step: tuple = (),
                 buffer: int | None = None):
    """The one critic loop: ``n_iter`` updates ``step(i, d, d_os) -> (d, d_os, metrics)``, ``i = 0, 1, ...``.

    ``n_iter`` is a Python int or a traced value. The metrics in ``per_step``
    are recorded for every update in ``[buffer]`` arrays (0 after the last
    update, NaN when ``n_iter`` is traced); the others are those of the last
    update. Returns ``(d_params, d_opt_state, metrics)``.
    """
    dtype = d_params[0][0].dtype
    n_layers = len(d_params)
    fill = 0.0 if isinstance(n_iter, int) else jnp.nan
    kind = lambda m: bool if m == FINITE else dtype
    buf0 = {m: jnp.full((buffer,), fill, kind(m)) for m in want if m in per_step}
    last0 = {m: jnp.zeros((n_layers,) if m.endswith("norms") else (), kind(m)) for m in want if m not in per_step}

    def body(i, carry):
        d, d_os, buf, last = carry
        d, d_os, m = step(i, d, d_os)
        buf = {name: buf[name].at[i].set(m[name].astype(buf[name].dtype)) for name in buf}
        last = {name: m[name].astype(last[name].dtype) for name in last}
        return d, d_os, buf, last

    d, d_os, buf, last = jax.lax.fori_loop(0, n_iter, body, (d_params, d_opt_state, buf0, last0))
    return d, d_os, {**buf, **last}


def _make_round(config: GANConfig, want: tuple, *, buffer: int | None, predraw: bool, fake=None) -> Callable:
    """The one training loop body: ``round(state, key, n_critic, train_g) -> (state, metrics)``, one seed.

    ``n_critic`` critic updates (a Python int, or a traced value: one program
    for every count), each on a fresh real batch and fresh fakes (from the
    current G, or from the sampler ``fake``: critic-only training, no
    generator), then the generator step against the updated critic: applied
    when ``train_g`` is ``True``, skipped when ``False`` (its metrics are still
    recorded: a frozen generator), chosen at run time when it is traced.
    ``buffer``: record per-critic-step metrics in ``[buffer]`` arrays (NaN where
    no step ran), or (``None``) those of the last critic step only.
    """
    sample = sampler(config.data)
    fake_sample = None if fake is None else sampler(fake)
    g_tx = make_optimizer(config.g_opt)
    crit_want = tuple(m for m in want if m in _CRITIC_STEP_NAMES)
    per_step = ("d_grad_norm", "cos") if buffer else ()

    def round_(state: GANState, key: jax.Array, n_iter, train_g):
        k_critic, k_gen = jax.random.split(key)
        sigma = _sigma(config, state.step)
        dtype = state.d_params[0][0].dtype

        def draw(i):
            k_real, k_z, k_upd = jax.random.split(jax.random.fold_in(k_critic, i), 3)
            real = sample(k_real, config.batch_size)
            if fake_sample is not None:
                return real, fake_sample(k_z, config.batch_size), k_upd
            return real, jax.random.normal(k_z, (config.batch_size, config.z_dim), dtype), k_upd

        def step(i, d, d_os):
            real, fake, k_upd = draw(i)
            if fake_sample is None:
                fake = jax.lax.stop_gradient(generate(config, state.g_params, fake))
            return _critic_update(config, crit_want, d, d_os, real, fake, k_upd, sigma)

        if predraw and isinstance(n_iter, int) and fake_sample is None:
            # All critic steps' batches first (the same keys, so the same
            # numbers), G once over all latent codes.
            reals, zs, k_upds = jax.vmap(draw)(jnp.arange(n_iter))
            fakes = jax.lax.stop_gradient(generate(config, state.g_params, zs))

            def scan_body(carry, batch):
                d, d_os = carry
                d, d_os, m = _critic_update(config, crit_want, d, d_os, *batch, sigma)
                return (d, d_os), {name: m[name].astype(dtype) for name in crit_want}

            (d, d_os), ms = jax.lax.scan(scan_body, (state.d_params, state.d_opt_state), (reals, fakes, k_upds))
            out = {name: ms[name] if name in per_step else ms[name][-1] for name in crit_want}
        else:
            d, d_os, out = _critic_loop(step, state.d_params, state.d_opt_state, n_iter, crit_want,
                                        per_step=per_step, buffer=buffer)

        if "clip_frac" in want:
            out["clip_frac"] = clip_fraction(d, config.clip)
        if "n_critic" in want:
            out["n_critic"] = jnp.asarray(n_iter, jnp.int32)
        g, g_os = state.g_params, state.g_opt_state
        finite = [d]
        if g is not None:
            # Generator step against the updated critic.
            k_z, k_noise = jax.random.split(k_gen)
            z = jax.random.normal(k_z, (config.batch_size, config.z_dim), dtype)

            def g_loss_fn(g):
                fake = generate(config, g, z)
                if config.noise_sigma > 0:
                    fake = L.add_instance_noise(k_noise, fake, sigma)
                return _g_loss(config.loss, critic_fn(config, d)(fake))

            g_loss, g_grads = jax.value_and_grad(g_loss_fn)(g)
            if train_g is not False:
                updates, new_os = g_tx.update(g_grads, g_os, g)
                new_g = optax.apply_updates(g, updates)
                if train_g is True:
                    g, g_os = new_g, new_os
                else:
                    keep = lambda new, old: jnp.where(train_g, new, old)
                    g, g_os = jax.tree_util.tree_map(keep, (new_g, new_os), (g, g_os))
            if "g_loss" in want:
                out["g_loss"] = g_loss
            if "g_grad_norm" in want:
                out["g_grad_norm"] = optax.tree.norm(g_grads)
            extra = tuple(m for m in want if m.startswith("g_grad_norm_"))
            if config.loss != "wgan" and f"g_grad_norm_{config.loss}" in extra:
                # the training gradient is this one: reuse it
                out[f"g_grad_norm_{config.loss}"] = optax.tree.norm(g_grads)
                extra = tuple(m for m in extra if m != f"g_grad_norm_{config.loss}")
            out.update(_g_grad_norms(config, extra, state.g_params, d, z, k_noise, sigma))
            finite += [g, g_loss]
        out[FINITE] = _all_finite(*finite)
        new = GANState(g, d, g_os, d_os, state.step + 1)
        return new, {m: out[m] for m in want + (FINITE,)}

    return round_


def make_step(config: GANConfig, metrics: Sequence[str] = ("d_loss", "g_loss")) -> Callable:
    """The pure training step ``step(state, key) -> (state, metrics)`` for one seed.

    One step = ``n_critic`` critic updates (or the warm-up count), each on a fresh
    real batch and fresh fakes from the current G, then one generator update.
    Only the metrics named (see :data:`STEP_METRICS`) are computed, and
    :data:`FINITE`.

    >>> cfg = gan_config(lambda k, n: jax.random.normal(k, (n, 2)), batch_size=8, z_dim=2)
    >>> step = make_step(cfg, ("g_loss",))
    >>> s, m = step(init(jax.random.key(0), cfg), jax.random.key(1))
    >>> int(s.step), sorted(m)
    (1, ['finite', 'g_loss'])
    """
    want = _check_metrics(metrics, STEP_METRICS, config, "train")
    round_ = _make_round(config, want, buffer=config.max_critic, predraw=False)
    return lambda state, key: round_(state, key, _critic_schedule(config, state.step), True)


# --------------------------------------------------------------------------- drivers
def _fold(key, i):
    return jax.random.fold_in(key, i)


_PLAYERS = ("g_opt", "d_opt")


def split_learning_rates(config: GANConfig) -> tuple[GANConfig, tuple]:
    """``config`` with its optimisers' step sizes set to 1, and the step sizes ``(g_lr, d_lr)``.

    The step sizes are arguments of the compiled training programs rather than
    part of their key: configurations that differ only in them share one
    program (compiling takes seconds; a step-size sweep runs in the same
    program). An optimiser given as an ``optax.GradientTransformation`` keeps
    its own step size, and its entry is ``None``. The arithmetic is the same
    either way: optax multiplies each update by :math:`-\\eta`, a constant or an
    argument.

    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 2)), d_opt=adam(1e-3))
    >>> key, lrs = split_learning_rates(cfg)
    >>> lrs, key.d_opt.lr, key == split_learning_rates(cfg.replace(d_opt=adam(3e-4)))[0]
    ((0.0001, 0.001), 1.0, True)
    """
    lrs = tuple(getattr(config, p).lr if isinstance(getattr(config, p), Optimizer) else None for p in _PLAYERS)
    return _with_learning_rates(config, (1.0, 1.0)), lrs


def _with_learning_rates(config: GANConfig, lrs) -> GANConfig:
    """``config`` with the step sizes ``lrs`` (Python floats or traced values) put back."""
    changes = {p: getattr(config, p)._replace(lr=lr) for p, lr in zip(_PLAYERS, lrs)
               if lr is not None and isinstance(getattr(config, p), Optimizer)}
    return config.replace(**changes) if changes else config


@program_cache(maxsize=64)
def _segment_runner(config, want, length, batched, runtime, train_g, fake):
    """``length`` rounds under ``lax.scan`` (``vmap`` over seeds), compiled once per argument set.

    ``runtime``: the critic count is an argument of the program; otherwise
    the config's (static, or the warm-up schedule). ``train_g``: ``True`` /
    ``False``, or ``None`` for an argument of the program. ``config`` comes
    from :func:`split_learning_rates`: the step sizes are the argument ``lrs``.
    """

    def run(state, k_train, n_critic, train_gen, lrs):
        round_ = _make_round(_with_learning_rates(config, lrs), want, buffer=None if runtime else config.max_critic,
                             predraw=not batched and not runtime, fake=fake)

        def body(s, _):
            n = n_critic if runtime else _critic_schedule(config, s.step)
            return round_(s, jax.random.fold_in(k_train, s.step), n, train_gen if train_g is None else train_g)

        return jax.lax.scan(body, state, None, length=length)

    if not batched:
        return jax.jit(run)
    return jax.jit(jax.vmap(run, in_axes=(0, 0, None, None, None)))


# Initialisation and snapshot sampling run eagerly (a few ops each): compiling
# them would cost more than it saves. A batch of seeds is initialised one seed
# at a time and stacked (the same numbers as ``vmap``): eager ops compile once
# per shape, so every seed count reuses the single-seed kernels instead of
# compiling batched ones (8 seeds: 2.7 instead of 3.9 CPU-s on first use).
def _init_runner(config, batched):
    return functools.partial(_init_stacked, config=config) if batched else (lambda k: init(k, config))


def _init_stacked(keys, config):
    f = lambda k: init(k, config)
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[f(k) for k in keys])


def init_seeds(key: jax.Array, config: GANConfig, n_seeds: int) -> GANState:
    """:func:`init` for ``n_seeds`` seeds: the states stacked along a leading ``[n_seeds]`` axis.

    Seed ``i`` is ``init(seed_keys(key, n_seeds)[i], config)``: the same numbers
    as ``jax.vmap(lambda k: init(k, config))(seed_keys(key, n_seeds))``,
    computed seed by seed (eager kernels compiled once for every seed count).

    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 2)), z_dim=2, g_hidden=(4,), d_hidden=(4,))
    >>> init_seeds(jax.random.key(0), cfg, 3).g_params[0][0].shape
    (3, 2, 4)
    """
    keys, _ = _as_keys(key, n_seeds)
    return _init_stacked(keys, config)


def _sampler_runner(config, n, batched):
    def f(g, k):
        z = jax.random.normal(k, (n, config.z_dim), g[0][0].dtype)
        return generate(config, g, z)

    return jax.vmap(f) if batched else f


def train(
    key: jax.Array,
    config: GANConfig,
    n_steps: int,
    *,
    n_seeds: int | None = None,
    metrics: Sequence[str] = ("d_loss", "g_loss"),
    snapshot_steps: Sequence[int] = (),
    n_samples: int = 2500,
    state: GANState | None = None,
    chunk: int | None = None,
    progress: bool = False,
    threads: int = 1,
    n_critic: int | None = None,
    train_generator: bool = True,
) -> TrainResult:
    """Train ``n_steps`` generator steps for one seed or a batch of seeds.

    Compiled once per segment length: ``lax.scan`` over the steps between
    snapshots (and of at most ``chunk`` steps), ``vmap`` over seeds when
    ``n_seeds`` is given. Step ``t`` of a seed with key ``k`` uses
    ``fold_in(fold_in(k, 1), t)``, so the numbers do not depend on how the run
    is split or resumed. Every step also records :data:`FINITE`.

    Args:
      key: one ``jax.random.key`` (a batch of keys is refused: ask for seeds
        with ``n_seeds``).
      config: the :class:`GANConfig`.
      n_steps: generator steps to take.
      n_seeds: ``None``: one seed, whose key is ``key``, results without a seed
        axis. An int: that many seeds trained at once (``vmap``), seed ``i``
        with key ``seed_keys(key, n_seeds)[i]``, results with a leading
        ``[n_seeds]`` axis.
      metrics: names from :data:`STEP_METRICS`, recorded at every generator step.
      snapshot_steps: generator step counts (absolute: ``state.step``) at which to
        draw ``n_samples`` samples with fixed latent codes (``fold_in(k, 2)``);
        ``0`` is the initial generator.
      n_samples: samples per snapshot (2500 as in VEEGAN's protocol).
      state: resume from this state (from a previous :class:`TrainResult`);
        default a fresh :func:`init` from ``fold_in(k, 0)`` for each seed's key ``k``.
      chunk: longest scanned segment (default: no limit, or a tenth of the run
        when ``progress``).
      progress: print the steps done and the time elapsed after every segment.
      threads: for ``n_seeds`` seeds on one CPU device, split them into this many equal groups
        and train the groups at once, one thread each (each group is its own
        ``vmap``-ed program); it must divide ``n_seeds``. The numbers agree
        with ``threads=1`` to rounding, and are often bit for bit the same (the
        course's 64-wide networks, 8 seeds in two groups on the CPU); XLA may
        pick another kernel for a smaller group, which changes the rounding.
      n_critic: critic steps per generator step as a run-time value (one
        compiled program serves every value and both values of
        ``train_generator``); the config's ``n_critic`` and warm-up schedule
        are then ignored, and ``d_grad_norm`` and ``cos`` record the last
        critic step of each generator step. Default: the config's.
      train_generator: ``False`` freezes the generator: its step is computed
        (its metrics are recorded) but not applied.

    Several devices: the ``n_seeds`` seeds are split over the visible devices
    (:func:`seed_sharding`), each device training its group of seeds with the
    program one device runs on a group of that size, one thread per device
    (``threads`` then plays no part); the state comes back laid out by
    :func:`seed_sharding`. For the course's 64-wide networks the numbers are
    those of one device to the last bit (tested on two CPU devices, float32,
    after 1 and 101 steps); for other widths they may differ by rounding, as
    with ``threads``.

    Returns:
      A :class:`TrainResult` with numpy metrics ``[n_seeds, n_steps, ...]`` (no
      seed axis when ``n_seeds`` is ``None``).

    References:
      Goodfellow et al. 2014, Algorithm 1; Arjovsky et al. 2017, Algorithm 1;
      Gulrajani et al. 2017, Algorithm 1.

    >>> ring = lambda k, n: jax.random.normal(k, (n, 2)) * 0.02 + 2.0
    >>> cfg = gan_config(ring, batch_size=32, z_dim=2, g_hidden=(16,), d_hidden=(16,))
    >>> res = train(jax.random.key(0), cfg, 10, n_seeds=2, snapshot_steps=(0, 10), n_samples=5)
    >>> res.metrics["g_loss"].shape, res.snapshots.shape, bool(res.metrics["finite"].all())
    ((2, 10), (2, 2, 5, 2), True)
    """
    keys, batched = _as_keys(key, n_seeds)
    want = _check_metrics(metrics, STEP_METRICS, config, "train")
    n_steps = int(n_steps)
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0; got {n_steps}")
    if n_critic is not None:
        if isinstance(n_critic, bool) or not isinstance(n_critic, (int, np.integer)) or n_critic < 0:
            raise ValueError(f"n_critic must be an int >= 0 or None; got {n_critic!r}")
        # one program for every count: the config's own count plays no part
        config = config.replace(n_critic=1, warmup_critic=0)
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"threads must be >= 1; got {threads}")
    kw = dict(metrics=want, snapshot_steps=snapshot_steps, n_samples=n_samples, chunk=chunk,
              n_critic=n_critic, train_generator=bool(train_generator))
    if threads > 1:
        n_seeds = len(keys) if batched else 1
        if not batched or n_seeds % threads:
            raise ValueError(f"threads must divide n_seeds; got threads={threads} for n_seeds={n_seeds if batched else None}")
    sharding = seed_sharding(len(keys)) if batched else None
    if sharding is not None:  # several devices: one group of seeds per device (threads then plays no part)
        return _train_threaded(keys, config, n_steps, sharding.num_devices, state=state, progress=progress,
                               sharding=sharding, **kw)
    if threads > 1:
        return _train_threaded(keys, config, n_steps, threads, state=state, progress=progress, **kw)
    return _train(keys, batched, config, n_steps, state=state, progress=progress, **kw)


class _Same:
    """A sampler compared by identity (a cache key even when the sampler holds arrays)."""

    def __init__(self, sample):
        self.sample = sample

    def __hash__(self):
        return id(self.sample.__self__) if hasattr(self.sample, "__self__") else id(self.sample)

    def __eq__(self, other):
        own = lambda s: (getattr(s.sample, "__self__", None), getattr(s.sample, "__func__", s.sample))
        return isinstance(other, _Same) and all(a is b for a, b in zip(own(self), own(other)))


def _train(keys, batched, config, n_steps, *, metrics, snapshot_steps, n_samples, state, chunk, progress,
           n_critic, train_generator, runtime_g=None, fake=None, device=None):
    """:func:`train` after validation; ``fake``: critic-only training against that sampler.

    ``runtime_g``: whether ``train_generator`` is an argument of the compiled
    program (default: when ``n_critic`` is). ``device``: run there (the keys
    and the state are put on it, and the programs follow their inputs).
    """
    if device is not None:
        keys = jax.device_put(keys, device)
        state = None if state is None else jax.device_put(state, device)
    want = metrics
    if fake is not None:
        fake = _Same(sampler(fake))  # compiled code is cached per sampler object
    runtime = n_critic is not None
    runtime_g = runtime if runtime_g is None else runtime_g
    train_g = None if runtime_g else train_generator
    fold = jax.vmap(_fold, in_axes=(0, None)) if batched else _fold
    k_init, k_train, k_snap = fold(keys, 0), fold(keys, 1), fold(keys, 2)
    if state is None:
        state = _init_runner(config, batched)(k_init)
    start = int(np.ravel(np.asarray(state.step))[0])
    end = start + n_steps
    snaps = tuple(sorted({int(s) for s in snapshot_steps}))
    outside = [s for s in snaps if not start <= s <= end]
    if outside:
        raise ValueError(f"snapshot_steps must lie in [{start}, {end}]; got {outside}")
    if chunk is None:
        chunk = max(1, math.ceil(n_steps / 10)) if progress else max(n_steps, 1)
    cuts = set(snaps) | {end} | set(range(start + chunk, end, chunk))
    bounds = sorted(c for c in cuts if start < c <= end)
    # Equal segment lengths compile once: cut every gcd of the segment lengths
    # unless that would mean very many tiny dispatches.
    lengths = np.diff([start] + bounds)
    g = int(np.gcd.reduce(lengths)) if len(lengths) else 1
    if g >= 1 and n_steps // max(g, 1) <= 1000:
        bounds = list(range(start + g, end + 1, g))

    snap_run = _sampler_runner(config, int(n_samples), batched) if snaps else None
    snapshots = []
    if start in snaps:
        snapshots.append(snap_run(state.g_params, k_snap))
    n_arg = None if n_critic is None else jnp.asarray(n_critic, jnp.int32)
    g_arg = jnp.asarray(train_generator) if runtime_g else None
    key_config, lrs = split_learning_rates(config)
    pieces = []
    t0 = time.perf_counter()
    pos = start
    for b in bounds:
        runner = _segment_runner(key_config, want, b - pos, batched, runtime, train_g, fake)
        state, m = runner(state, k_train, n_arg, g_arg, lrs)
        pieces.append(m)
        pos = b
        if b in snaps:
            snapshots.append(snap_run(state.g_params, k_snap))
        if progress:
            jax.block_until_ready(state.step)
            dt = time.perf_counter() - t0
            print(f"G step {pos - start}/{n_steps}  {dt:.1f} s elapsed (first segment includes compiling)", flush=True)
    axis = 1 if batched else 0
    names = want + (FINITE,)
    if pieces:
        out = {name: np.concatenate([np.asarray(p[name]) for p in pieces], axis=axis) for name in names}
    else:  # no steps: empty [seeds, 0, ...] arrays of the right shape and dtype
        one = jax.tree_util.tree_map(lambda x: x[0], state) if batched else state
        round_ = _make_round(config, want, buffer=None if runtime else config.max_critic, predraw=False, fake=fake)
        n = 1 if runtime else _critic_schedule(config, 0)
        shapes = jax.eval_shape(lambda s, k: round_(s, k, n, train_g if train_g is not None else True), one, jax.random.key(0))[1]
        lead = (len(keys), 0) if batched else (0,)
        out = {name: np.zeros(lead + shapes[name].shape, shapes[name].dtype) for name in names}
    snap_arr = np.stack([np.asarray(s) for s in snapshots], axis=axis) if snapshots else None
    return TrainResult(state, out, snap_arr, snaps)


def seed_sharding(n_seeds: int) -> jax.sharding.Sharding | None:
    """How :func:`train` lays ``n_seeds`` seeds out over the visible devices.

    With several devices (GPUs, or CPU devices made with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N``) the seed axis is
    split evenly over the largest number of them that divides ``n_seeds``:
    each device trains its own group of seeds with the program one device
    would run on a group of that size (one thread per device), and the
    returned state is one array per parameter, laid out by this sharding.
    ``None`` with one device (or one usable): everything stays on the
    default device.

    >>> seed_sharding(8) is None or seed_sharding(8).num_devices >= 1
    True
    """
    n_seeds = int(n_seeds)
    devices = jax.devices()
    n_dev = max(d for d in range(1, len(devices) + 1) if n_seeds % d == 0)
    if n_dev == 1:
        return None
    mesh = jax.sharding.Mesh(np.asarray(devices[:n_dev]), ("seeds",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("seeds"))


def _train_threaded(keys, config, n_steps, threads, *, state, progress, sharding=None, **kw) -> TrainResult:
    """:func:`train` on ``threads`` equal groups of seeds, one thread each, results concatenated.

    With ``sharding`` (:func:`seed_sharding`, ``threads`` its device count) group ``i``
    runs on device ``i`` and the state comes back as global arrays laid out by it."""
    size = len(keys) // threads
    parts = [slice(i * size, (i + 1) * size) for i in range(threads)]
    # A fresh state is initialised seed by seed, so each group may start its own.
    states = [None] * threads if state is None else [jax.tree_util.tree_map(lambda x, p=p: x[p], state) for p in parts]
    devices = [None] * threads if sharding is None else list(sharding.mesh.devices.flat)
    run = lambda i, p, s: _train(keys[p], True, config, n_steps, state=s, progress=progress and i == 0,
                                 device=devices[i], **kw)
    results = side_by_side(run, range(threads), parts, states, workers=threads)
    if sharding is None:
        join = lambda *xs: jnp.concatenate(xs, axis=0)
    else:  # one piece per device, each already on its device
        join = lambda *xs: jax.make_array_from_single_device_arrays(
            (sum(x.shape[0] for x in xs),) + xs[0].shape[1:], sharding, list(xs))
    cat = lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis=0)
    return TrainResult(
        jax.tree_util.tree_map(join, *[r.state for r in results]),
        {name: cat(*[r.metrics[name] for r in results]) for name in results[0].metrics},
        cat(*[r.snapshots for r in results]) if results[0].snapshots is not None else None,
        results[0].snapshot_steps,
    )


# --------------------------------------------------------------------------- critic alone
def _is_batched(params) -> bool:
    return params[0][0].ndim == 3


def train_critic(
    key: jax.Array,
    config: GANConfig,
    n_steps: int,
    *,
    n_seeds: int | None = None,
    g_params=None,
    fake=None,
    d_params=None,
    metrics: Sequence[str] = ("d_loss", "d_acc"),
) -> CriticResult:
    """Train the discriminator/critic alone, against a fixed generator or fixed fake data.

    :func:`train` with one critic step per step and the generator frozen
    (``g_params``: ``G(z)``, fresh ``z`` each step) or absent (fakes from the
    sampler ``fake``). Real batches come from ``config.data``. The critic
    starts from scratch (:func:`gantoy.gan.nets.mlp_init` with ``fold_in(key, 0)``;
    clipped if ``config.clip``) unless ``d_params`` is given. Uses
    ``config``'s critic architecture, loss, penalties, clipping and ``d_opt``;
    instance noise is held at ``noise_sigma``.

    Args:
      key: one key.
      config: a :class:`GANConfig`.
      n_steps: critic updates.
      n_seeds: ``None``: one seed (key ``key``); an int: that many seeds
        (``vmap``), seed ``i`` with key ``seed_keys(key, n_seeds)[i]``, results
        with a leading ``[n_seeds]`` axis.
      g_params: a frozen generator: one seed's parameters (shared by all seeds)
        or, with ``n_seeds``, a batch with a leading ``[n_seeds]`` axis (from
        ``TrainResult.state.g_params``).
      fake: a sampler ``fake(key, n) -> [n, d]`` (or an object with ``.sample``),
        used when ``g_params`` is ``None``.
      d_params: optional starting critic (single or batched like ``g_params``).
      metrics: names from :data:`CRITIC_METRICS`, recorded every critic step
        (and :data:`FINITE`).

    Returns:
      A :class:`CriticResult`.

    References:
      Arjovsky & Bottou 2017, Fig. 1-3; Arjovsky et al. 2017, Fig. 2;
      Gulrajani et al. 2017, Fig. 1.

    >>> real = lambda k, n: jax.random.normal(k, (n, 1)) * 0.3
    >>> fake = lambda k, n: jax.random.normal(k, (n, 1)) * 0.3 + 8.0
    >>> cfg = gan_config(real, d_hidden=(16,), batch_size=64, d_opt=adam(1e-2))
    >>> res = train_critic(jax.random.key(0), cfg, 100, fake=fake)
    >>> float(res.metrics["d_acc"][-1])
    1.0
    """
    keys, batched = _as_keys(key, n_seeds)
    return _train_critic(keys, batched, config, n_steps, g_params=g_params, fake=fake, d_params=d_params,
                         metrics=metrics)


def _train_critic(keys, batched, config, n_steps, *, g_params=None, fake=None, d_params=None,
                  metrics=("d_loss", "d_acc")) -> CriticResult:
    """:func:`train_critic` on given keys: one key, or (``batched``) a ``[seeds]`` batch, one per seed."""
    want = _check_metrics(metrics, CRITIC_METRICS, config, "train_critic")
    if (g_params is None) == (fake is None):
        raise ValueError("give exactly one of g_params (a frozen generator) or fake (a sampler)")
    if g_params is None and any(m.startswith("g_grad_norm") for m in want):
        raise ValueError("generator gradient metrics need g_params")
    n_steps = int(n_steps)
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1; got {n_steps}")
    g_batched = g_params is not None and _is_batched(g_params)
    d_batched = d_params is not None and _is_batched(d_params)
    for name, params, on in (("g_params", g_params, g_batched), ("d_params", d_params, d_batched)):
        if on and (not batched or params[0][0].shape[0] != len(keys)):
            raise ValueError(f"{name} with a leading seed axis of {params[0][0].shape[0]} needs n_seeds="
                             f"{params[0][0].shape[0]}; got n_seeds={len(keys) if batched else None}")
    if fake is not None:
        shape = jax.eval_shape(lambda k: sampler(fake)(k, 3), jax.random.key(0)).shape
        if shape != (3, data_dim(config)):
            raise ValueError(f"fake(key, n) must return [n, {data_dim(config)}] like the data; got {shape} for n=3")
    # instance noise held at its initial level; the counts come from the call
    config = config.replace(noise_anneal=None, n_critic=1, warmup_critic=0)
    x_dim = data_dim(config)
    seeds = len(keys) if batched else None
    spread = lambda tree, on: tree if (not batched or on) else jax.tree_util.tree_map(
        lambda a: jnp.broadcast_to(a, (seeds,) + a.shape), tree)
    k_init = jax.vmap(_fold, in_axes=(0, None))(keys, 0) if batched else _fold(keys, 0)
    if d_params is None:
        init_d = lambda k: init_critic(k, config, x_dim)
        d_params = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[init_d(k) for k in k_init]) if batched else init_d(k_init)
        d_batched = batched
    d_params = spread(d_params, d_batched)
    d_tx = make_optimizer(config.d_opt)
    d_os = jax.vmap(d_tx.init)(d_params) if batched else d_tx.init(d_params)
    step0 = jnp.zeros((seeds,) if batched else (), jnp.int32)
    state = GANState(None if g_params is None else spread(g_params, g_batched), d_params, None, d_os, step0)
    res = _train(keys, batched, config, n_steps, metrics=want, snapshot_steps=(), n_samples=0, state=state,
                 chunk=None, progress=False, n_critic=1, train_generator=False, runtime_g=False, fake=fake)
    return CriticResult(res.state.d_params, res.metrics)


#: Metrics :func:`train_critic_on_samples` can record (those one critic update determines).
_SAMPLE_METRICS = ("d_loss", "d_penalty", "d_acc", "d_grad_norm", "cos", "d_grad_norms", "d_max_abs_weight")


def train_critic_on_samples(
    key: jax.Array,
    real: jax.Array,
    fake: jax.Array,
    n_steps: int,
    *,
    tx: optax.GradientTransformation,
    hidden: Sequence[int] = (64, 64, 64),
    d_params=None,
    loss: str = "wgan",
    clip: float | None = None,
    gp_weight=None,
    batch_size: int = 64,
    paired=False,
    metrics: Sequence[str] = ("d_loss",),
) -> CriticResult:
    r"""Train a critic alone between two fixed samples, one seed: pure, so ``jax.vmap`` batches it.

    The engine's critic loop with minibatches drawn from arrays instead of
    samplers. Step ``t`` splits ``fold_in(fold_in(key, 1), t)`` into
    ``(k_r, k_f, k_gp)``, draws ``batch_size`` indices into ``real`` with
    ``k_r`` and into ``fake`` with ``k_f`` (uniform, with replacement; the
    same indices as ``real`` when ``paired``), and applies :func:`critic_update`

    .. math:: L_D = \mathbb{E}_g f - \mathbb{E}_r f \;(+\,\lambda\,
        \mathbb{E}_{\hat x}(\|\nabla f(\hat x)\| - 1)^2)
        \quad\text{or the cross-entropy of the logit } f,

    with the penalty's interpolates drawn with ``k_gp``, then the clip. The
    critic starts as :func:`train_critic`'s: :func:`gantoy.gan.nets.mlp_init`
    with ``fold_in(key, 0)`` in ``real``'s dtype, clipped when ``clip`` is set.
    ``real``, ``fake``, ``paired``, ``gp_weight``, ``d_params`` and any
    learning rate inside ``tx`` may be traced (one compiled program for a
    sweep over pairs and seeds).

    Args:
      key: one PRNG key.
      real, fake: ``[n, d]`` and ``[n', d]`` samples.
      n_steps: critic updates.
      tx: the critic's optax optimiser (:func:`make_optimizer` of an :class:`Optimizer`).
      hidden: hidden widths of the ReLU MLP ``d -> hidden -> 1`` (used when ``d_params`` is ``None``).
      d_params: optional starting critic; the optimiser state starts afresh.
      loss: ``"wgan"`` (critic score) or ``"gan"`` (discriminator cross-entropy).
      clip: WGAN's clipping bound, or ``None``.
      gp_weight: WGAN-GP's :math:`\lambda`, or ``None`` (no penalty).
      batch_size: samples per side and step.
      paired: draw the same indices on both sides (needs ``n == n'``).
      metrics: names from ``d_loss``, ``d_penalty``, ``d_acc``, ``d_grad_norm``,
        ``cos``, ``d_grad_norms``, ``d_max_abs_weight`` (:data:`CRITIC_METRICS`).

    Returns:
      A :class:`CriticResult`: the trained critic and ``{name: [n_steps, ...]}``
      jax arrays, with :data:`FINITE` (every parameter finite after each update).

    References:
      Arjovsky et al. 2017, Algorithm 1; Gulrajani et al. 2017, Algorithm 1.

    >>> x = 0.3 * jax.random.normal(jax.random.key(0), (200, 1))
    >>> res = train_critic_on_samples(jax.random.key(1), x, x + 1.0, 30, tx=make_optimizer(rmsprop(1e-3)),
    ...                               hidden=(16,), clip=0.01, paired=True, metrics=("d_loss", "d_max_abs_weight"))
    >>> res.metrics["d_loss"].shape, bool(res.metrics["d_max_abs_weight"].max() <= 0.01), bool(res.metrics["finite"].all())
    ((30,), True, True)
    """
    want = tuple(dict.fromkeys(metrics))
    bad = [m for m in want if m not in _SAMPLE_METRICS]
    if bad:
        raise ValueError(f"unknown metric(s) {bad} for train_critic_on_samples; choose from {list(_SAMPLE_METRICS)}")
    if loss not in ("gan", "wgan"):
        raise ValueError(f"loss must be 'gan' or 'wgan'; got {loss!r}")
    n_steps, batch_size = int(n_steps), int(batch_size)
    if n_steps < 1 or batch_size < 1:
        raise ValueError(f"n_steps and batch_size must be >= 1; got {n_steps} and {batch_size}")
    key = _as_keys(key)[0]
    real, fake = jnp.asarray(real), jnp.asarray(fake)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must be [n, d] and [n', d]; got {real.shape} and {fake.shape}")
    same = _concrete(paired)
    if same is not None and np.any(same) and real.shape[0] != fake.shape[0]:
        raise ValueError(f"paired needs equal sample sizes; got {real.shape[0]} and {fake.shape[0]}")
    if d_params is None:
        d_params = mlp_init(jax.random.fold_in(key, 0), (real.shape[1],) + tuple(hidden) + (1,), dtype=real.dtype)
        if clip is not None:
            d_params = L.clip_weights(d_params, clip)
    k_train = jax.random.fold_in(key, 1)

    def step(t, d, d_os):
        k_r, k_f, k_gp = jax.random.split(jax.random.fold_in(k_train, t), 3)
        i_r = jax.random.randint(k_r, (batch_size,), 0, real.shape[0])
        i_f = jnp.where(paired, i_r, jax.random.randint(k_f, (batch_size,), 0, fake.shape[0]))
        d, d_os, info = critic_update(d, d_os, real[i_r], fake[i_f], tx=tx, loss=loss, clip=clip,
                                      gp_weight=gp_weight, key=k_gp)
        return d, d_os, _step_metrics(want + (FINITE,), info, d)

    d, _, out = _critic_loop(step, d_params, tx.init(d_params), n_steps, want + (FINITE,), per_step=want + (FINITE,),
                             buffer=n_steps)
    return CriticResult(d, out)


def freeze_generator(
    key: jax.Array,
    config: GANConfig,
    g_params,
    n_steps: int = 4000,
    *,
    n_seeds: int | None = None,
) -> CriticResult:
    """Arjovsky & Bottou's experiment: freeze G, train D from scratch, watch G's gradients.

    Records per D step the accuracy ``d_acc``, ``d_loss`` and the norms of the
    generator gradients of the minimax loss ``E log(1 - D(G(z)))`` and of
    ``-E log D(G(z))`` (:func:`train_critic` with those metrics; ``key``,
    ``n_seeds`` and ``g_params`` as there).

    References:
      Arjovsky & Bottou 2017, "Towards Principled Methods for Training GANs",
      Fig. 1-3.

    >>> data = lambda k, n: jax.random.normal(k, (n, 2)) * 0.02 + 2.0
    >>> cfg = gan_config(data, z_dim=2, g_hidden=(16,), d_hidden=(16,), batch_size=64)
    >>> g = init(jax.random.key(0), cfg).g_params
    >>> res = freeze_generator(jax.random.key(1), cfg, g, 5)
    >>> sorted(res.metrics)
    ['d_acc', 'd_loss', 'finite', 'g_grad_norm_minimax', 'g_grad_norm_nonsaturating']
    """
    return train_critic(
        key,
        config,
        n_steps,
        n_seeds=n_seeds,
        g_params=g_params,
        metrics=("d_acc", "d_loss", "g_grad_norm_minimax", "g_grad_norm_nonsaturating"),
    )


def critic_grad_profile(config: GANConfig, d_params, real: jax.Array, fake: jax.Array):
    """Per-layer gradient norms of the critic loss (no penalty) on one batch.

    Returns ``(weight_norms, preact_norms)``, each ``[n_layers]``: the norms of
    :math:`\\partial L_D / \\partial W_l` and of
    :math:`\\partial L_D / \\partial a_l` (pre-activations over the real and fake
    batch), as in WGAN-GP Fig. 1b, computed as the ``d_grad_norms`` and
    ``d_preact_grad_norms`` metrics are (plain :math:`\\sqrt{\\sum g^2}`, which
    underflows to 0 in float32 below about 1e-19 per entry). One seed's
    ``d_params``; ``vmap`` for more.

    References:
      Gulrajani et al. 2017, Fig. 1b.

    >>> cfg = wgan_config(lambda k, n: jnp.zeros((n, 2)), d_hidden=(8,) * 3)
    >>> d = init(jax.random.key(0), cfg).d_params
    >>> w, a = critic_grad_profile(cfg, d, jnp.ones((4, 2)), -jnp.ones((4, 2)))
    >>> w.shape, a.shape
    ((4,), (4,))
    """
    return _critic_grad_profile(config, d_params, jnp.asarray(real), jnp.asarray(fake))


# Compiled (one program per config and shapes): op-by-op execution of the
# gradients compiled every primitive separately, 3-4x slower on first use.
@functools.partial(jax.jit, static_argnums=0)
def _critic_grad_profile(config, d_params, real, fake):
    def loss(d):
        crit = critic_fn(config, d)
        return _base_loss(config.loss, crit(real), crit(fake))

    grads = jax.grad(loss)(d_params)
    return _layer_norms([gw for gw, _ in grads]), _preact_norms(config, d_params, real, fake)

"""Progress numbers: does a training loss track how far the samples are from the data?

WGAN's claim (Arjovsky et al. 2017, Sec. 4.2, Fig. 3-4) is that the critic's
estimate :math:`-L_D \\approx K \\cdot W_1(P_r, P_g)` falls as the samples improve,
while the original GAN's discriminator loss does not. These helpers turn the
per-step losses that :func:`gantoy.gan.engine.train` records into the curves and
numbers that test it:

* :func:`median_filter`: the running median the WGAN reference code plots
  (window 101), robust to the step-to-step noise of a minibatch estimate.
* :func:`at_steps`: a filtered curve read off at the snapshot steps.
* :func:`js_estimate`: the Jensen-Shannon lower bound a GAN discriminator
  loss gives, :math:`\\log 2 - L_D / 2`.
* :func:`spearman`: the rank correlation between a loss and the exact
  distance at the snapshots (scipy).
* :func:`spearman_interval`: that correlation's mean over runs, with a
  bootstrap interval over runs and snapshots.
* :func:`fit_snapshot_critics`: fresh critics fitted between the data and each
  snapshot, to tell a training critic's lag from its geometry.
* :func:`blowups` and :func:`coincide`: steps where the loss jumps far above
  its running median (and, optionally, above its early level), and whether they fall on given steps (e.g. the steps
  where the optimiser's update pointed uphill).

The exact distance the numbers are compared with is
:func:`gantoy.gan.metrics.wasserstein_to_sample`.
"""

from __future__ import annotations

import math
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from gantoy._threads import program_cache
from gantoy.gan import engine
from gantoy.gan import losses as L
from gantoy.gan.nets import mlp_apply, mlp_init

__all__ = [
    "median_filter",
    "at_steps",
    "js_estimate",
    "spearman",
    "spearman_interval",
    "fit_snapshot_critics",
    "blowups",
    "episodes",
    "coincide",
    "translate_generator",
]


def median_filter(x: ArrayLike, window: int = 101, *, edges: str = "nearest") -> np.ndarray:
    """Running median along the last axis.

    .. math:: \\tilde x_t = \\operatorname{median}(x_{t-h}, \\dots, x_{t+h}), \\quad h = (w - 1)/2

    Near the ends the window runs past the recorded steps. ``edges="nearest"``
    pads with the end value (scipy's ``mode="nearest"``): the first and last
    filtered values then lean towards the single raw value at the end.
    ``edges="shrink"`` takes the median of the steps that exist,
    :math:`x_{\\max(0, t-h)}, \\dots, x_{\\min(T-1, t+h)}`, so every filtered value
    is a median of recorded losses (of at least :math:`h + 1` of them).

    NaN entries (e.g. critic steps skipped under WGAN's warm-up schedule) are
    not allowed; select the recorded steps first.

    Args:
      x: ``[..., T]`` values over steps.
      window: odd window length ``w`` (101 in the WGAN reference code's plots).
      edges: ``"nearest"`` or ``"shrink"`` (see above).

    Returns:
      ``[..., T]`` filtered values (numpy).

    References:
      Arjovsky, Chintala & Bottou 2017, Fig. 3 and 4 (curves median-filtered).

    >>> median_filter([1.0, 9.0, 2.0, 3.0, 100.0, 4.0, 5.0], window=3).tolist()
    [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 5.0]
    >>> median_filter([0.0, 2.0, 2.0, 2.0, 9.0], window=5, edges="shrink").tolist()
    [2.0, 2.0, 2.0, 2.0, 2.0]
    """
    from scipy.ndimage import median_filter as _mf

    x = np.asarray(x, dtype=float)
    window = int(window)
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd int >= 1; got {window}")
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"x must be [..., T] with T >= 1; got shape {x.shape}")
    if np.isnan(x).any():
        raise ValueError("x contains NaN; drop the steps that were not recorded first")
    if edges == "nearest":
        size = (1,) * (x.ndim - 1) + (window,)
        return _mf(x, size=size, mode="nearest")
    if edges != "shrink":
        raise ValueError(f"edges must be 'nearest' or 'shrink'; got {edges!r}")
    h = (window - 1) // 2
    pad = [(0, 0)] * (x.ndim - 1) + [(h, h)]
    win = np.lib.stride_tricks.sliding_window_view(np.pad(x, pad, constant_values=np.nan), window, axis=-1)
    return np.nanmedian(win, axis=-1)


def at_steps(curve: ArrayLike, steps: Sequence[int]) -> np.ndarray:
    """Read a per-step curve ``[..., T]`` at generator step counts ``steps``.

    Entry ``t`` of a :func:`gantoy.gan.engine.train` metric is recorded during
    the step that takes the generator from ``t`` to ``t + 1`` updates: its
    critic saw the generator of snapshot ``t``. So snapshot ``s`` is paired
    with entry ``s``, and the final snapshot ``s = T`` with the last entry.

    >>> at_steps([10.0, 11.0, 12.0, 13.0], [0, 2, 4]).tolist()
    [10.0, 12.0, 13.0]
    """
    c = np.asarray(curve)
    s = np.asarray(list(steps), dtype=int)
    if c.ndim < 1 or c.shape[-1] < 1:
        raise ValueError(f"curve must be [..., T] with T >= 1; got shape {c.shape}")
    if np.any(s < 0) or np.any(s > c.shape[-1]):
        raise ValueError(f"steps must lie in [0, {c.shape[-1]}]; got {s.tolist()}")
    return c[..., np.minimum(s, c.shape[-1] - 1)]


def js_estimate(d_loss: ArrayLike) -> np.ndarray:
    """The Jensen-Shannon estimate of a GAN discriminator loss: :math:`\\log 2 - L_D / 2`.

    For any :math:`D`, :math:`-L_D \\le 2\\,JS(P_r, P_g) - 2\\log 2` (equality at
    the optimal :math:`D^*`), so :math:`\\log 2 - L_D/2` is a lower bound on
    :math:`JS \\in [0, \\log 2]`: 0 when D cannot tell real from fake
    (:math:`L_D = 2 \\log 2`), :math:`\\log 2` when it separates them perfectly.

    References:
      Goodfellow et al. 2014, Thm. 1; Arjovsky et al. 2017, Fig. 4.

    >>> float(js_estimate(2 * math.log(2)))
    0.0
    """
    return math.log(2.0) - 0.5 * np.asarray(d_loss, dtype=float)


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman rank correlation of two ``[n]`` sequences (``scipy.stats.spearmanr``).

    Rank-based: a progress number may be any increasing function of the
    distance it tracks (:math:`K \\cdot W` with an unknown :math:`K`).
    Returns NaN when either sequence is constant.

    >>> spearman([1, 2, 3, 4], [10, 20, 25, 100])
    1.0
    """
    from scipy.stats import spearmanr

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.shape[0] < 2:
        raise ValueError(f"x and y must be [n] with the same n >= 2; got {x.shape} and {y.shape}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def spearman_interval(
    key: jax.Array, x: ArrayLike, y: ArrayLike, *, n_boot: int = 2000, level: float = 0.9
) -> tuple[float, float, float]:
    """Mean over runs of the per-run Spearman correlation, with a bootstrap interval.

    .. math:: \\bar\\rho = \\frac{1}{S} \\sum_s \\rho(x_s, y_s)

    Each bootstrap replicate draws ``S`` runs with replacement and, inside each
    drawn run, its ``n`` (snapshot) pairs with replacement, and recomputes
    :math:`\\bar\\rho` (replicates with a constant resample are skipped). The
    interval is the equal-tailed ``level`` percentile interval: it shows how
    far the number could move with other seeds and other snapshot steps.

    Args:
      key: PRNG key for the resampling.
      x, y: ``[S, n]`` values of the two quantities per run and snapshot.
      n_boot: bootstrap replicates.
      level: coverage of the interval.

    Returns:
      ``(mean, low, high)``.

    References:
      Efron & Tibshirani 1993, Ch. 13 (percentile interval).

    >>> x = np.arange(10.0)[None].repeat(3, 0)
    >>> [round(v, 6) for v in spearman_interval(jax.random.key(0), x, x**2, n_boot=50)]
    [1.0, 1.0, 1.0]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or x.shape != y.shape or x.shape[1] < 3:
        raise ValueError(f"x and y must be [S, n] with the same shape and n >= 3; got {x.shape} and {y.shape}")
    if not (0 < level < 1) or int(n_boot) < 1:
        raise ValueError(f"need 0 < level < 1 and n_boot >= 1; got {level}, {n_boot}")
    n_runs, n = x.shape
    point = float(np.mean([spearman(a, b) for a, b in zip(x, y)]))
    k_run, k_snap = jax.random.split(key)
    runs = np.asarray(jax.random.randint(k_run, (int(n_boot), n_runs), 0, n_runs))
    snaps = np.asarray(jax.random.randint(k_snap, (int(n_boot), n_runs, n), 0, n))
    rhos = _rank_corr(x[runs[..., None], snaps], y[runs[..., None], snaps])  # [n_boot, S]
    reps = rhos[~np.isnan(rhos).any(axis=1)].mean(axis=1)
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return point, float(lo), float(hi)


def _rank_corr(x, y):
    """Spearman correlation along the last axis, many at once: Pearson of average ranks; NaN if constant."""
    from scipy.stats import rankdata

    rx, ry = rankdata(x, axis=-1), rankdata(y, axis=-1)
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    den = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=-1) / np.where(den > 0, den, 1.0), np.nan)


def fit_snapshot_critics(
    key: jax.Array, config: engine.GANConfig, real: ArrayLike, fake: ArrayLike, n_steps: int
) -> np.ndarray:
    """Fit a fresh critic between ``real[i]`` and ``fake[i]`` for every ``i``; return its estimate.

    .. math:: \\hat W_i = \\frac{1}{n}\\sum_j f_i(x^r_{ij}) - \\frac{1}{n'}\\sum_j f_i(x^g_{ij})

    Each critic starts from scratch (the architecture and initialisation of
    ``config``, clipped if ``config.clip``) and takes ``n_steps`` updates of
    :func:`gantoy.gan.engine.critic_update` with ``config``'s loss, optimiser,
    clipping and gradient penalty, on minibatches of ``config.batch_size``
    drawn with replacement from the two samples. A clipped critic reads
    :math:`K \\cdot W_1` with a :math:`K` set by its clipping box; a GP critic
    reads about :math:`W_1` (Gulrajani et al. 2017). Critic ``i`` uses
    ``fold_in(key, i)``: equal ``key`` means equal initial critics and
    minibatch indices for every pair, so the estimates differ only through
    the samples.

    Args:
      key: PRNG key.
      config: a WGAN or WGAN-GP :class:`gantoy.gan.engine.GANConfig` (``loss="wgan"``).
      real, fake: ``[m, n, d]`` and ``[m, n', d]`` samples.
      n_steps: updates per critic.

    Returns:
      ``[m]`` estimates (numpy).

    References:
      Arjovsky et al. 2017, Sec. 4.2; Gulrajani et al. 2017, Sec. 4.

    >>> import gantoy
    >>> x = 0.1 * jax.random.normal(jax.random.key(0), (2, 200, 2))
    >>> cfg = gantoy.wgan_gp_config(lambda k, n: jnp.zeros((n, 2)), d_hidden=(16,), batch_size=64,
    ...                             d_opt=gantoy.adam(1e-2, 0.0, 0.9))
    >>> est = fit_snapshot_critics(jax.random.key(1), cfg, x, x + jnp.array([0.5, 2.0])[:, None, None], 300)
    >>> est.shape, bool(est[1] > est[0] > 0)
    ((2,), True)
    """
    if not isinstance(config, engine.GANConfig) or config.loss != "wgan":
        raise ValueError("config must be a GANConfig with loss='wgan'")
    n_steps = int(n_steps)
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1; got {n_steps}")
    real = jnp.asarray(real)
    fake = jnp.asarray(fake)
    if real.ndim != 3 or fake.ndim != 3 or real.shape[0] != fake.shape[0] or real.shape[2] != fake.shape[2]:
        raise ValueError(f"real and fake must be [m, n, d] and [m, n', d]; got {real.shape} and {fake.shape}")
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(real.shape[0]))
    return np.asarray(_snapshot_runner(config, n_steps)(keys, real, fake))


@program_cache(maxsize=8)
def _snapshot_runner(config, n_steps):
    tx = engine.make_optimizer(config.d_opt)
    gp = config.gp_weight if config.gp_weight > 0 else None
    act = config.d_activation

    def one(key, real, fake):
        sizes = (real.shape[1],) + config.d_hidden + (1,)
        d = mlp_init(jax.random.fold_in(key, 0), sizes, init=config.init)
        if config.clip is not None:
            d = L.clip_weights(d, config.clip)

        def body(carry, t):
            d, s = carry
            k_r, k_f, k_gp = jax.random.split(jax.random.fold_in(jax.random.fold_in(key, 1), t), 3)
            x_r = real[jax.random.randint(k_r, (config.batch_size,), 0, real.shape[0])]
            x_f = fake[jax.random.randint(k_f, (config.batch_size,), 0, fake.shape[0])]
            d, s, _ = engine.critic_update(d, s, x_r, x_f, tx=tx, loss="wgan", activation=act, clip=config.clip,
                                           gp_weight=gp, gp_target=config.gp_target, key=k_gp)
            return (d, s), None

        (d, _), _ = jax.lax.scan(body, (d, tx.init(d)), jnp.arange(n_steps))
        f = lambda x: mlp_apply(d, x, activation=act)[..., 0]
        return jnp.mean(f(real)) - jnp.mean(f(fake))

    return jax.jit(jax.vmap(one))


def blowups(
    loss: ArrayLike, *, window: int = 100, factor: float = 10.0, early: int = 0, early_nonzero: bool = False
) -> np.ndarray:
    """Steps where ``|loss|`` exceeds ``factor`` times its running median over the previous ``window`` steps.

    .. math:: b_t = \\big[\\,|\\ell_t| > \\kappa\\,\\operatorname{median}(|\\ell_{t-w}|, \\dots, |\\ell_{t-1}|)
       \\ \\text{and}\\ |\\ell_t| > \\operatorname{median}(|\\ell_0|, \\dots, |\\ell_{e-1}|)\\,\\big],
       \\quad t \\ge w

    A trailing median, not the early maximum: a critic's loss is largest
    early, while it learns, so a jump late in training is judged against the
    loss level just before it. The first ``window`` steps are never flagged.
    A non-finite loss counts as a blow-up. With ``early = e > 0`` a jump must
    also exceed the median ``|loss|`` of the first ``e`` steps (the loss's
    early level): a loss that returns to its normal size after a stretch of
    zeros (a clipped critic that comes back to life) jumps against its
    running median but not above its early level, and is not a blow-up.

    A clipped critic can also die within the first ``e`` steps; with exact
    zeros in it, the early level is then 0 and every revival passes the
    second bar. ``early_nonzero=True`` takes the early level over the
    non-zero ``|loss|`` of the first ``e`` steps only (infinite, so nothing
    is flagged, when all of them are 0).

    Args:
      loss: ``[..., T]`` the loss per step.
      window: trailing window ``w``.
      factor: the multiple ``kappa``.
      early: ``e``, the number of first steps whose median is the second bar (0: no second bar).
      early_nonzero: take that median over the non-zero values only.

    Returns:
      ``[..., T]`` booleans.

    >>> x = np.ones(8); x[6] = 50.0
    >>> blowups(x, window=3).astype(int).tolist()
    [0, 0, 0, 0, 0, 0, 1, 0]
    >>> y = np.array([5.0, 5.0, 0.0, 0.0, 0.0, 1.0, 50.0]); blowups(y, window=3, early=2).astype(int).tolist()
    [0, 0, 0, 0, 0, 0, 1]
    >>> z = np.array([5.0, 0.0, 0.0, 0.0, 0.0, 1.0, 50.0]); blowups(z, window=3, early=3).astype(int).tolist()
    [0, 0, 0, 0, 0, 1, 1]
    >>> blowups(z, window=3, early=3, early_nonzero=True).astype(int).tolist()
    [0, 0, 0, 0, 0, 0, 1]
    """
    x = np.abs(np.asarray(loss, dtype=float))
    window = int(window)
    early = int(early)
    if x.ndim < 1 or window < 1 or not factor > 0 or early < 0:
        raise ValueError(f"need loss [..., T], window >= 1, factor > 0 and early >= 0; got {x.shape}, {window}, {factor}, {early}")
    out = np.zeros(x.shape, bool)
    if x.shape[-1] <= window:
        return out
    win = np.lib.stride_tricks.sliding_window_view(x, window, axis=-1)[..., :-1, :]  # windows ending at t - 1
    med = np.median(win, axis=-1)
    bar = factor * med
    if early > 0:
        head = x[..., :early]
        if early_nonzero:  # exact zeros left out; a NaN stays in, and makes the bar NaN as it would without this
            level = np.apply_along_axis(lambda r: np.median(r[r != 0]) if np.any(r != 0) else np.inf, -1, head)[..., None]
        else:
            level = np.median(head, axis=-1, keepdims=True)
        bar = np.maximum(bar, level)
    out[..., window:] = ~(x[..., window:] <= bar)  # NaN and inf count
    return out


def episodes(events: ArrayLike, *, gap: int = 0) -> np.ndarray:
    """The first step of each episode of ``events``: an event with no event in the ``gap`` steps before it.

    A blow-up often lasts a few steps; counting episodes instead of steps
    keeps one long jump from weighing as several independent ones. With
    ``gap = 0`` every event is its own episode.

    Args:
      events: ``[..., T]`` booleans.
      gap: events at most ``gap`` steps after an earlier event belong to its episode.

    Returns:
      ``[..., T]`` booleans, true at the first step of each episode.

    >>> e = np.array([1, 1, 0, 1, 0, 0, 0, 1], bool)
    >>> episodes(e, gap=2).astype(int).tolist()
    [1, 0, 0, 0, 0, 0, 0, 1]
    """
    e = np.asarray(events, bool)
    gap = int(gap)
    if e.ndim < 1 or gap < 0:
        raise ValueError(f"events must be [..., T] booleans and gap >= 0; got {e.shape} and {gap}")
    return e & ~_within(e, gap, ahead=False)


def coincide(events: ArrayLike, marks: ArrayLike, *, within: int = 0) -> tuple[int, int, float]:
    """How many ``events`` fall within ``within`` steps of a ``mark``, against chance.

    For boolean ``[..., T]`` arrays: ``hits`` counts events with a mark at a
    step :math:`t' \\in [t - k, t + k]` of the same run; ``chance`` is the share
    of all steps that have a mark within :math:`k` steps, so
    ``n_events * chance`` hits are expected if events and marks are unrelated.

    Returns:
      ``(n_events, hits, chance)``.

    >>> e = np.array([0, 0, 1, 0, 0, 0, 1, 0], bool); m = np.array([0, 1, 0, 0, 0, 0, 0, 0], bool)
    >>> coincide(e, m, within=1)
    (2, 1, 0.375)
    """
    e = np.asarray(events, bool)
    m = np.asarray(marks, bool)
    within = int(within)
    if e.shape != m.shape or e.ndim < 1 or within < 0:
        raise ValueError(f"events and marks must be [..., T] of one shape, within >= 0; got {e.shape}, {m.shape}")
    near = m | _within(m, within, ahead=True)
    return int(e.sum()), int((e & near).sum()), float(near.mean())


def _within(marks: np.ndarray, k: int, *, ahead: bool) -> np.ndarray:
    """Steps with a mark 1..k steps before them (and, with ``ahead``, 1..k steps after), along the last axis."""
    out = np.zeros_like(marks)
    for j in range(1, k + 1):
        out[..., j:] |= marks[..., :-j]
        if ahead:
            out[..., :-j] |= marks[..., j:]
    return out


def translate_generator(state, shift: ArrayLike):
    """The training state with every generated sample moved by ``shift``: :math:`G(z) + v`.

    Adds :math:`v` to the bias of the generator's output layer, which is
    linear, so ``generate(config, new.g_params, z)`` is
    ``generate(config, state.g_params, z) + shift`` for every ``z`` (to
    rounding); the critic, both optimiser states and the step count are
    unchanged. A shock for a progress number: the samples jump away from the
    data, so :math:`W` rises, and a loss that tracks :math:`W` must rise with it,
    which a number that only falls as training goes on cannot do.

    Args:
      state: a :class:`gantoy.gan.model.GANState`, one seed or seeds along a
        leading axis (as :func:`gantoy.gan.engine.train` returns it).
      shift: ``[d]`` (the same for every seed) or ``[n_seeds, d]``.

    Returns:
      The state with the shifted generator.

    >>> from gantoy.gan.engine import gan_config, init, generate
    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 2)), z_dim=3, g_hidden=(8,), d_hidden=(8,))
    >>> s = init(jax.random.key(0), cfg); z = jnp.ones((4, 3))
    >>> moved = translate_generator(s, jnp.array([1.0, -2.0]))
    >>> np.round(np.asarray(generate(cfg, moved.g_params, z) - generate(cfg, s.g_params, z)), 5).tolist()[0]
    [1.0, -2.0]
    """
    g = list(state.g_params)
    w, b = g[-1]
    v = jnp.asarray(shift, b.dtype)
    if v.ndim < 1 or v.ndim > b.ndim or v.shape[-1] != b.shape[-1] or (v.ndim == 2 and v.shape[0] != b.shape[0]):
        raise ValueError(f"shift must be [d] or [n_seeds, d] for an output bias of shape {b.shape}; got {v.shape}")
    g[-1] = (w, b + jnp.broadcast_to(v, b.shape))
    return state._replace(g_params=g)

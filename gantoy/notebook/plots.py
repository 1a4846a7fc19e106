"""Plot helpers the notebooks share (matplotlib, colour-blind-safe colours).

Every helper takes plain arrays and an optional ``ax`` and returns the axes, so
a notebook composes figures freely. Colours are the Okabe-Ito palette
(Okabe & Ito 2008, "Color Universal Design"), distinguishable under the common
forms of colour blindness.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from gantoy.gan.games import Game, vector_field_grid

__all__ = [
    "COLORS",
    "REAL_COLOR",
    "FAKE_COLOR",
    "plot_band",
    "plot_critic",
    "plot_snapshots",
    "plot_mode_coverage",
    "plot_vector_field",
]

#: Okabe-Ito palette, in its usual order (black first).
COLORS = (
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)
REAL_COLOR = COLORS[5]  # blue: data
FAKE_COLOR = COLORS[6]  # vermillion: generator samples
# Trajectories of a two-player game: blue, vermillion, bluish green, orange, reddish purple, sky blue.
_TRAJ_COLORS = tuple(COLORS[i] for i in (5, 6, 3, 1, 7, 2))


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_band(
    x: Sequence[float],
    ys,
    *,
    ax=None,
    label: str | None = None,
    color: str | None = None,
    log: bool = True,
    center: str = "median",
):
    """Curves over seeds: the centre line and the min-max band.

    Args:
      x: ``[t]`` positions (steps).
      ys: ``[s, t]`` values, one row per seed (a ``[t]`` vector is one seed).
      log: geometric mean / log y-axis, for values spanning orders of magnitude.
      center: ``"median"`` or ``"mean"`` (geometric mean when ``log``).
    """
    ax = _axes(ax)
    ys = np.atleast_2d(np.asarray(ys, dtype=float))
    x = np.asarray(x)
    if ys.shape[-1] != x.shape[0]:
        raise ValueError(f"ys must be [seeds, {x.shape[0]}]; got shape {ys.shape}")
    if center == "median":
        mid = np.median(ys, axis=0)
    elif center == "mean":
        mid = np.exp(np.mean(np.log(ys), axis=0)) if log else ys.mean(axis=0)
    else:
        raise ValueError(f"center must be 'median' or 'mean'; got {center!r}")
    (line,) = ax.plot(x, mid, color=color, label=label)
    ax.fill_between(x, ys.min(axis=0), ys.max(axis=0), color=line.get_color(), alpha=0.2, lw=0)
    if log:
        ax.set_yscale("log")
    return ax


def plot_critic(
    fn: Callable,
    real,
    fake,
    *,
    ax=None,
    extent: tuple[float, float, float, float] | None = None,
    resolution: int = 80,
    grad_fn: Callable | None = None,
    contour: bool = False,
    title: str | None = None,
):
    """A discriminator/critic surface with real and fake samples (GAN Lab style).

    Args:
      fn: maps ``[n, 2]`` points to ``[n]`` values (D's logit, D's probability or
        the critic's score).
      real, fake: ``[n, 2]`` samples.
      extent: ``(xmin, xmax, ymin, ymax)``; by default the samples' box plus a margin.
      grad_fn: optional ``[n, 2] -> [n, 2]``: the generator's update direction at
        each fake sample (e.g. minus the gradient of its loss), drawn as arrows.
      contour: draw contour lines instead of a filled image.
    """
    ax = _axes(ax)
    real = np.asarray(real)
    fake = np.asarray(fake)
    if extent is None:
        pts = np.concatenate([real, fake])
        lo, hi = pts.min(0), pts.max(0)
        pad = 0.15 * (hi - lo).max() + 1e-3
        extent = (lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad)
    gx = np.linspace(extent[0], extent[1], resolution)
    gy = np.linspace(extent[2], extent[3], resolution)
    xx, yy = np.meshgrid(gx, gy)
    values = np.asarray(fn(np.stack([xx.ravel(), yy.ravel()], axis=1))).reshape(xx.shape)
    if contour:
        cs = ax.contour(xx, yy, values, levels=12, cmap="cividis")
        ax.clabel(cs, fontsize=6)
    else:
        im = ax.imshow(values, origin="lower", extent=extent, cmap="cividis", aspect="auto")
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.scatter(real[:, 0], real[:, 1], s=4, color=REAL_COLOR, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, color=FAKE_COLOR, label="fake")
    if grad_fn is not None:
        g = np.asarray(grad_fn(fake))
        ax.quiver(fake[:, 0], fake[:, 1], g[:, 0], g[:, 1], color=COLORS[0], width=0.003)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_snapshots(
    samples,
    steps: Sequence[int],
    real=None,
    *,
    axes=None,
    lim: float | None = None,
    suptitle: str | None = None,
    titles: Sequence[str] | None = None,
    size: float = 2.0,
    ticks: bool = False,
):
    """A row of scatter plots of generator samples over training.

    Args:
      samples: ``[t, n, 2]`` samples at ``t`` snapshots.
      steps: the ``t`` generator steps the snapshots were taken at.
      real: optional ``[m, 2]`` data drawn underneath.
      lim: symmetric axis limit; by default from the data.
      titles: one panel title per snapshot; by default ``"step t"``.
      size: marker size of the points.
      ticks: label the coordinates (by default the panels are bare: the data
        drawn underneath is the scale); useful when panels differ in ``lim``.
    """
    samples = np.asarray(samples)
    if samples.ndim != 3 or samples.shape[-1] != 2:
        raise ValueError(f"samples must be [t, n, 2]; got shape {samples.shape}")
    if len(steps) != samples.shape[0]:
        raise ValueError(f"need one step per snapshot: {len(steps)} steps, {samples.shape[0]} snapshots")
    t = samples.shape[0]
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, t, figsize=(2.0 * t, 2.2), squeeze=False)
        axes = axes[0]
    if lim is None:
        ref = np.asarray(real) if real is not None else samples.reshape(-1, 2)
        lim = 1.2 * float(np.abs(ref).max())
    if titles is not None and len(titles) != t:
        raise ValueError(f"need one title per snapshot: {len(titles)} titles, {t} snapshots")
    for i, (ax, s, step) in enumerate(zip(axes, samples, steps)):
        if real is not None:
            r = np.asarray(real)
            ax.scatter(r[:, 0], r[:, 1], s=size, color=REAL_COLOR, alpha=0.3)
        ax.scatter(s[:, 0], s[:, 1], s=size, color=FAKE_COLOR, alpha=0.5)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        if ticks:
            ax.locator_params(nbins=5)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(titles[i] if titles is not None else f"step {int(step)}", fontsize=10)
    if suptitle:
        axes[0].figure.suptitle(suptitle)
    return axes


def plot_mode_coverage(
    counts,
    n_modes: int,
    *,
    ax=None,
    labels: Sequence[str] | None = None,
    chance: float | None = None,
    title: str | None = None,
):
    """Bars of modes covered per seed, for one or several methods.

    Args:
      counts: ``[methods, seeds]`` (or ``[seeds]``) numbers of modes covered.
      n_modes: the number of modes of the data (drawn as a line).
      labels: one label per method.
      chance: the count that uniform noise reaches by the same rule (drawn dashed).
    """
    ax = _axes(ax)
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    m, s = counts.shape
    width = 0.8 / m
    for i in range(m):
        ax.bar(
            np.arange(s) + (i - (m - 1) / 2) * width,
            counts[i],
            width=width,
            color=COLORS[(i + 1) % len(COLORS)],
            label=None if labels is None else labels[i],
        )
    ax.axhline(n_modes, color=COLORS[0], lw=1, label=f"all {n_modes} modes")
    if chance is not None:
        ax.axhline(chance, color=COLORS[0], lw=1, ls="--", label="uniform noise (chance)")
    ax.set_xlabel("seed")
    ax.set_ylabel("modes covered")
    ax.set_xticks(np.arange(s))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_vector_field(
    game: Game,
    *,
    ax=None,
    extent: Sequence[float] = (-2.0, 2.0, -2.0, 2.0),
    n: int = 25,
    trajectories: Sequence = (),
    labels: Sequence[str] | None = None,
    stream: bool = True,
    title: str | None = None,
):
    r"""Draw the game's vector field (stream lines or arrows) and trajectories.

    In the style of Mescheder et al. (2018), Figs. 1-3: ``theta`` on the x-axis,
    ``psi`` on the y-axis, the equilibrium as a black star.

    Args:
      game: a :class:`gantoy.gan.games.Game`.
      ax: matplotlib axes (a new figure if ``None``).
      extent: ``(theta_min, theta_max, psi_min, psi_max)``.
      n: grid points per axis.
      trajectories: ``[t, 2]`` arrays drawn as lines with a start marker.
      labels: one legend label per trajectory.
      stream: ``streamplot`` if True, else ``quiver``.
      title: axes title (default: the game's name).

    Returns:
      The axes.
    """
    if labels is not None and len(labels) != len(trajectories):
        raise ValueError(f"need one label per trajectory: {len(labels)} labels, {len(trajectories)} trajectories")
    trajectories = [np.asarray(traj) for traj in trajectories]
    for i, traj in enumerate(trajectories):
        if traj.ndim != 2 or traj.shape[1] != 2:
            raise ValueError(f"trajectory {i} must be [t, 2]; got shape {traj.shape}")
    tt, pp, u, v = vector_field_grid(game, extent, n)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4, 4))
    if stream:
        ax.streamplot(tt, pp, u, v, color="#999999", density=0.9, linewidth=0.7, arrowsize=0.8)
    else:
        ax.quiver(tt, pp, u, v, color="#999999", angles="xy")
    for i, traj in enumerate(trajectories):
        color = _TRAJ_COLORS[i % len(_TRAJ_COLORS)]
        ax.plot(traj[:, 0], traj[:, 1], color=color, lw=1.2, label=None if labels is None else labels[i])
        ax.plot(traj[0, 0], traj[0, 1], "o", color=color, ms=4)
    ax.plot([0], [0], "*", color=COLORS[0], ms=10)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel(r"generator $\theta$")
    ax.set_ylabel(r"discriminator $\psi$")
    ax.set_title(game.name if title is None else title, fontsize=9)
    if labels is not None and len(trajectories):
        ax.legend(fontsize=7, loc="upper right")
    return ax

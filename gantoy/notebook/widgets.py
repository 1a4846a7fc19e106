"""Sliders for a live kernel: turn one knob and watch the figure answer.

Two settings the course text names without showing what they do are worth
turning by hand:

* :func:`instance_noise`: the width :math:`\\sigma` of the instance noise on
  WGAN's Example 1 (notebook 04). With both lines blurred by
  :math:`N(0, \\sigma^2 I)`, :math:`JS_\\sigma` and :math:`TV_\\sigma` are smooth
  in :math:`\\theta` but flat beyond a few :math:`\\sigma`; the slider shows
  the range of :math:`\\theta` where JS still has a gradient grow and shrink
  with :math:`\\sigma`, next to :math:`W = |\\theta|`, whose slope is 1
  everywhere.
* :func:`penalty`: the weight :math:`\\lambda` of the gradient penalty on the
  Dirac-GAN (notebook 10). The generator stalls at :math:`\\theta = -2\\lambda`
  when :math:`\\lambda` is large and circles the data when it is small.

Each function returns an :class:`ipywidgets.interactive`: a slider and the
figure it redraws. Its ``result`` holds the numbers the current figure shows,
so the widget can be driven and checked without a screen (set
``widget.children[0].value``). A notebook keeps the static figure beside it
for a reader without a kernel; the executed notebook stores the last drawn
state, which a rendered page cannot redraw. ipywidgets and matplotlib are
imported when a widget is built.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from gantoy._threads import program_cache
from gantoy.distances.smoothed import js_parallel_lines, tv_parallel_lines
from gantoy.gan import games
from gantoy.notebook.plots import COLORS

__all__ = ["instance_noise", "penalty", "instance_noise_curves", "penalty_trajectory"]


def _check_range(name, value, lo, hi):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}]; got {value!r}")
    return float(value)


def _log_slider(draw, name, symbol, value, *, hi, step):
    """``ipywidgets.interactive(draw, name=...)`` over a log-scale slider from 0.01 to ``hi``,
    redrawn when the slider is released."""
    import ipywidgets

    slider = ipywidgets.FloatLogSlider(value=value, base=10, min=-2, max=math.log10(hi), step=step,
                                       description=symbol, continuous_update=False)
    return ipywidgets.interactive(draw, **{name: slider})


@program_cache(maxsize=1)
def _noise_fns():
    # sigma is an argument, not a constant: one compiled program serves every slider position
    js = jax.jit(jax.vmap(js_parallel_lines, in_axes=(0, None)))
    tv = jax.jit(jax.vmap(tv_parallel_lines, in_axes=(0, None)))
    djs = jax.jit(jax.vmap(jax.grad(js_parallel_lines), in_axes=(0, None)))
    return js, tv, djs


def instance_noise_curves(sigma: float, theta=None) -> dict:
    r"""Example 1 under instance noise :math:`\sigma`: JS, TV and dJS/dθ over θ.

    Args:
      sigma: the noise's standard deviation, in ``[1e-3, 10]``.
      theta: ``[n]`` positions of the moving line; default 201 points on ``[0, 2]``.

    Returns:
      ``{"theta", "js", "tv", "djs"}`` as numpy arrays, and ``"live"``: the
      largest θ at which :math:`\partial_\theta JS_\sigma` is still at least 1%
      of its maximum (beyond it the gradient is practically gone).

    >>> out = instance_noise_curves(0.1)
    >>> bool(0.3 < out["live"] < 1.0), bool(abs(out["js"][-1] - np.log(2)) < 1e-6)
    (True, True)
    """
    sigma = _check_range("sigma", sigma, 1e-3, 10.0)
    theta = np.linspace(0.0, 2.0, 201) if theta is None else np.asarray(theta, float)
    if theta.ndim != 1 or theta.size < 2:
        raise ValueError(f"theta must be a 1-d array of at least 2 positions; got shape {theta.shape}")
    js, tv, djs = _noise_fns()
    th = jnp.asarray(theta)
    g = np.asarray(djs(th, sigma))
    alive = np.flatnonzero(g >= 0.01 * g.max()) if g.max() > 0 else np.array([0])
    return {"theta": theta, "js": np.asarray(js(th, sigma)), "tv": np.asarray(tv(th, sigma)), "djs": g,
            "live": float(theta[alive[-1]])}


def instance_noise(sigma: float = 0.2):
    r"""A slider for :math:`\sigma` redrawing :math:`JS_\sigma`, :math:`TV_\sigma` and :math:`\partial_\theta JS_\sigma` on Example 1.

    Args:
      sigma: the slider's starting value, in ``[0.01, 2]`` (log scale).

    Returns:
      An ``ipywidgets.interactive``; its ``result`` is :func:`instance_noise_curves`'s dict.
    """
    import matplotlib.pyplot as plt

    sigma = _check_range("sigma", sigma, 0.01, 2.0)

    def draw(sigma):
        out = instance_noise_curves(sigma)
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        th = out["theta"]
        axes[0].plot(th, out["js"], color=COLORS[1], label=r"$JS_\sigma$")
        axes[0].plot(th, out["tv"], color=COLORS[5], label=r"$TV_\sigma$")
        axes[0].plot(th, th, color=COLORS[0], ls="--", lw=1, label=r"$W = |\theta|$")
        axes[0].axhline(math.log(2.0), color=COLORS[0], ls=":", lw=1, label=r"$\log 2$")
        axes[0].set_ylim(0, 1.6)
        axes[0].set_ylabel("divergence / distance")
        axes[0].set_title(rf"$\sigma = {sigma:.3g}$: JS and TV flatten beyond a few $\sigma$")
        axes[1].plot(th, out["djs"], color=COLORS[1], label=r"$\partial_\theta JS_\sigma$")
        axes[1].axhline(1.0, color=COLORS[0], ls="--", lw=1, label=r"$\partial_\theta W = 1$")
        if out["live"] < th[-1]:
            axes[1].axvline(out["live"], color=COLORS[3], ls=":", lw=1.5,
                            label=rf"JS gradient < 1% of its peak beyond $\theta = {out['live']:.2f}$")
        else:
            axes[1].plot([], [], " ", label=rf"JS gradient still >= 1% of its peak at $\theta = {th[-1]:g}$")
        axes[1].set_ylabel("gradient")
        axes[1].set_title("the JS gradient lives only where $\\theta \\lesssim$ a few $\\sigma$")
        axes[0].legend(loc="upper right", fontsize=9)
        axes[1].legend(loc="center right", fontsize=9)
        for ax in axes:
            ax.set_xlabel(r"$\theta$ (position of the moving line)")
        plt.tight_layout()
        plt.show()
        return out

    return _log_slider(draw, "sigma", "σ", sigma, hi=2.0, step=0.05)


def penalty_trajectory(lam: float, *, n_steps: int = 20_000, lr: float = 0.01, n_critic: int = 5) -> dict:
    r"""The Dirac-WGAN-GP from :math:`(\theta, \psi) = (1, 1)` with penalty weight :math:`\lambda`.

    The setting of notebook 10, Section 5: ``games.dirac_gan("wgan", gp=lam)``
    under :func:`gantoy.gan.games.alternating_gd` (``n_critic`` critic steps of
    size ``lr`` per generator step).

    Args:
      lam: the penalty weight, in ``[1e-3, 100]``.
      n_steps: generator steps.

    Returns:
      A dict: ``"traj"`` the ``[n_steps + 1, 2]`` trajectory, ``"stall"``
      :math:`-2\lambda`, ``"swing"`` half the range of θ over the second half,
      ``"final"`` θ at the end, ``"settled"`` whether it ends within 1% of
      :math:`-2\lambda`.

    >>> out = penalty_trajectory(10.0)
    >>> bool(abs(out["final"] - out["stall"]) < 0.2)
    True
    """
    lam = _check_range("lam", lam, 1e-3, 100.0)
    traj = np.asarray(games.alternating_gd(games.dirac_gan("wgan", gp=lam), jnp.array([1.0, 1.0]), lr, n_steps,
                                           n_critic=n_critic))
    late = traj[len(traj) // 2:, 0]
    stall, final = -2.0 * lam, float(traj[-1, 0])
    return {"traj": traj, "stall": stall, "swing": float((late.max() - late.min()) / 2), "final": final,
            "settled": abs(final - stall) < 0.01 * abs(stall)}


def penalty(lam: float = 1.0, *, n_steps: int = 20_000):
    r"""A slider for :math:`\lambda` redrawing the Dirac-WGAN-GP's :math:`\theta_k` and its :math:`(\theta, \psi)` path.

    Args:
      lam: the slider's starting value, in ``[0.01, 30]`` (log scale).
      n_steps: generator steps per redraw.

    Returns:
      An ``ipywidgets.interactive``; its ``result`` is :func:`penalty_trajectory`'s dict.
    """
    import matplotlib.pyplot as plt

    lam = _check_range("lam", lam, 0.01, 30.0)

    def draw(lam):
        out = penalty_trajectory(lam, n_steps=n_steps)
        traj = out["traj"]
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        axes[0].plot(traj[:, 0], color=COLORS[5], lw=0.9, label=r"$\theta_k$")
        axes[0].axhline(out["stall"], color=COLORS[1], ls="--", lw=1, label=rf"$-2\lambda = {out['stall']:.3g}$")
        axes[0].axhline(0.0, color=COLORS[0], lw=0.8, label=r"data ($\theta = 0$)")
        axes[0].set_xlabel("generator step k (5 critic steps each)")
        axes[0].set_ylabel(r"generator position $\theta_k$")
        settled = out["settled"]
        verdict = "stalls at $-2\\lambda$" if settled else "has not settled"
        axes[0].set_title(rf"$\lambda = {lam:.3g}$: the generator {verdict}")
        axes[0].legend(loc="best", fontsize=8)
        axes[1].plot(traj[:, 0], traj[:, 1], color=COLORS[5], lw=0.6)
        axes[1].plot([0], [0], "k+", ms=12, mew=2, label="data, flat critic (0, 0)")
        axes[1].plot([traj[0, 0]], [traj[0, 1]], "o", color=COLORS[3], label="start (1, 1)")
        axes[1].set_xlabel(r"generator position $\theta$")
        axes[1].set_ylabel(r"critic slope $\psi$")
        axes[1].set_title("the path ends at $(-2\\lambda, 0)$" if settled else
                          "the path has not come to rest")
        axes[1].legend(loc="best", fontsize=8)
        plt.tight_layout()
        plt.show()
        return out

    return _log_slider(draw, "lam", "λ", lam, hi=30.0, step=0.1)

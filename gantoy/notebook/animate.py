"""Training you can watch: self-contained animations for the notebooks.

Each function returns an :class:`IPython.display.HTML` whose ``.data`` is a
figure drawn frame by frame and written by the
JS-HTML writer behind ``to_jshtml()``, with a caption: the frames are embedded as images with play / step / scrub controls
written in plain JavaScript, so the animation plays in a committed notebook,
on a rendered page or on a projector, with no kernel. Figures are closed after
rendering (a notebook shows the animation only, not a static copy of its last
frame). Each animation stays under :data:`MAX_BYTES` (600 kB): small figures,
16-17 frames, each stored as a PNG of at most 96 colours.

* :func:`ring_training`: the ring of 8 Gaussians under four losses, side by
  side (samples, the discriminator / critic as a heat map, the generator's
  update direction at the fakes), frame by frame over real training
  (:func:`ring_frames` returns the numbers behind it).
* :func:`example1`: WGAN's Example 1, :math:`\\theta` moving from -2 to 2, with
  JS, KL, TV and W and their derivatives.
* :func:`dirac_trajectories`: Dirac-GAN trajectories in the
  :math:`(\\theta, \\psi)` plane for four losses / regularisers, as growing trails.

matplotlib is imported when an animation is drawn.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gantoy._threads import program_cache
from gantoy.distances.smoothed import js_parallel_lines, kl_parallel_lines, tv_parallel_lines
from gantoy.gan import engine, games
from gantoy.gan import losses as L
from gantoy.measures.distributions import ring8
from gantoy.notebook.plots import COLORS, FAKE_COLOR, REAL_COLOR
from gantoy.notebook.threads import side_by_side

__all__ = ["MAX_BYTES", "RING_LOSSES", "RingFrames", "ring_frames", "ring_training", "example1", "dirac_trajectories"]

#: The size every animation of this module stays under (bytes of HTML).
MAX_BYTES = 600_000

_FONT = {"font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "xtick.labelsize": 10,
         "ytick.labelsize": 10, "legend.fontsize": 10, "figure.titlesize": 11,
         "animation.embed_limit": 8.0, "animation.frame_format": "png", "savefig.dpi": "figure"}


def _check_frames(n_frames, lo=2, hi=60) -> int:
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or not lo <= n_frames <= hi:
        raise ValueError(f"n_frames must be an int in [{lo}, {hi}]; got {n_frames!r}")
    return int(n_frames)


def _html_writer(colors):
    """matplotlib's HTMLWriter, with each frame stored as a palette PNG of ``colors`` colours (a few times smaller)."""
    import base64
    import io

    from matplotlib.animation import HTMLWriter
    from PIL import Image

    class _Writer(HTMLWriter):
        def grab_frame(self, **savefig_kwargs):
            # One draw of the canvas, read back as pixels: savefig would draw each frame twice (a dry run
            # for the layout engine, which _render holds after the first frame) and encode a PNG that is
            # decoded again here. The pixels are those savefig writes at the figure's dpi.
            if savefig_kwargs or self.dpi != self.fig.dpi:
                raise ValueError("frames are drawn at the figure's dpi, with no savefig arguments")
            self.fig.canvas.draw()
            w, h = self.fig.canvas.get_width_height(physical=True)
            rgba = Image.frombuffer("RGBA", (w, h), self.fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            img = rgba.convert("RGB").quantize(colors=colors)
            out = io.BytesIO()
            img.save(out, format="png", optimize=True)
            self._saved_frames.append(base64.encodebytes(out.getvalue()).decode("ascii"))

    return _Writer


def _render(fig, update, n_frames, caption, fps, colors=64):
    """``update(0)``, ..., ``update(n_frames - 1)`` drawn as self-contained JS-HTML
    (``to_jshtml``'s writer and template, frames as palette PNGs), the figure
    closed, wrapped with a caption."""
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt
    from IPython.display import HTML

    # The layout is solved once, on the first frame, then held: the panels do not
    # jump between frames, and each frame costs one draw (FuncAnimation.save
    # would draw every frame three times and re-solve the layout twice).
    fig.canvas.draw()
    fig.set_layout_engine("none")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "anim.html")
            writer = _html_writer(colors)(fps=fps, embed_frames=True, default_mode="once")
            with writer.saving(fig, str(path), dpi=fig.dpi):
                for t in range(n_frames):
                    update(t)
                    writer.grab_frame()
            # drop the player's Font Awesome stylesheet link to a CDN: the page must work offline
            html = re.sub(r"<link\b[^>]*href=[\"']https?://[^>]*>", "", path.read_text())
    finally:
        plt.close(fig)
    cap = caption.replace("&", "&amp;").replace("<", "&lt;")
    return HTML(f'<figure style="margin:0">{html}<figcaption style="font-size:0.9em">{cap}</figcaption></figure>')


# --------------------------------------------------------------------------- the ring, four losses
#: The four losses of :func:`ring_training`, in panel order.
RING_LOSSES = ("minimax GAN", "-log D GAN", "WGAN (clipping)", "WGAN-GP")


@program_cache(maxsize=1)
def _ring_data():
    """One ring object per process: configs compare data by identity, so repeated calls reuse compiled programs."""
    return ring8()


def _ring_configs(data):
    """The four configs of :func:`ring_training` (see its docstring for the reasons)."""
    net = dict(z_dim=2, g_hidden=(32, 32), d_hidden=(32, 32), batch_size=128)
    adam = engine.adam(1e-3, 0.5, 0.999)
    gp_adam = engine.adam(1e-3, 0.5, 0.9)
    return (
        engine.gan_config(data, "minimax", g_opt=adam, d_opt=adam, **net),
        engine.gan_config(data, "nonsaturating", g_opt=adam, d_opt=adam, **net),
        engine.wgan_config(data, g_opt=engine.rmsprop(1e-3), d_opt=engine.rmsprop(1e-3), n_critic=5, **net),
        engine.wgan_gp_config(data, gp_weight=0.1, g_opt=gp_adam, d_opt=gp_adam, n_critic=5, **net),
    )


class RingFrames(NamedTuple):
    """What :func:`ring_frames` returns (``k`` losses, ``f`` frames).

    Attributes:
      steps: ``[f]`` generator steps of the frames.
      real: ``[n, 2]`` real samples (one draw, shown in every frame).
      fake: ``[k, f, n, 2]`` generator samples (the same latent codes in every frame).
      surface: ``[k, f, r, r]`` D's probability :math:`\\sigma(\\ell)` (GAN) or the critic score
        :math:`f` (WGAN) on the grid.
      push: ``[k, f, n, 2]`` :math:`-\\nabla_x L_G` at each fake sample ``x``: where the generator
        loss pushes it.
      extent: ``(xmin, xmax, ymin, ymax)`` of the grid.
      configs: the ``k`` :class:`~gantoy.gan.engine.GANConfig`.
      states: the ``k`` final :class:`~gantoy.gan.engine.GANState`.
    """

    steps: np.ndarray
    real: np.ndarray
    fake: np.ndarray
    surface: np.ndarray
    push: np.ndarray
    extent: tuple
    configs: tuple
    states: tuple


def _gen_loss(config):
    if config.loss == "minimax":
        return L.minimax_generator_loss
    if config.loss == "nonsaturating":
        return L.nonsaturating_generator_loss
    return L.wgan_generator_loss


def _frame_fields(config, d_params, fake, grid):
    """The heat map on ``grid`` and :math:`-\\nabla_x L_G` at each fake (per sample: ``n`` times the mean's gradient)."""
    crit = engine.critic_fn(config, d_params)
    loss = _gen_loss(config)
    n = fake.shape[0]
    push = -n * jax.grad(lambda x: loss(crit(x)))(fake)
    out = crit(grid)
    surface = out if config.loss == "wgan" else jax.nn.sigmoid(out)
    return surface, push


def ring_frames(key: jax.Array, n_steps: int = 960, n_frames: int = 17, *, n_samples: int = 256,
                resolution: int = 48) -> RingFrames:
    """Train the four losses of :func:`ring_training` on the ring of 8 Gaussians and record its frames.

    Each loss trains ``n_steps`` generator steps with :func:`gantoy.gan.engine.train`,
    in ``n_frames - 1`` equal segments resumed from the previous state (the same
    numbers as one long run; one compiled program per loss), with a snapshot
    of ``n_samples`` generator samples (fixed latent codes) at the end of each.
    At every frame the critic's parameters give the heat map and the push
    :math:`-\\nabla_x L_G(x)` at each fake ``x``:
    :math:`\\sigma(\\ell)\\nabla\\ell` (minimax, :math:`L_G = \\log(1 - D)`),
    :math:`(1 - \\sigma(\\ell))\\nabla\\ell` (:math:`-\\log D`) and :math:`\\nabla f` (WGAN).
    All four start from the same key (the same generator initialisation).

    Args:
      key: one ``jax.random.key``.
      n_steps: generator steps, a multiple of ``n_frames - 1``.
      n_frames: frames, the first at step 0.
      n_samples: fake (and real) samples per frame.
      resolution: heat-map grid points per axis.

    Returns:
      A :class:`RingFrames`.

    >>> fr = ring_frames(jax.random.key(0), n_steps=6, n_frames=4, n_samples=32, resolution=6)
    >>> fr.fake.shape, fr.surface.shape, fr.steps.tolist()
    ((4, 4, 32, 2), (4, 4, 6, 6), [0, 2, 4, 6])
    """
    n_frames = _check_frames(n_frames)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1 or n_steps % (n_frames - 1):
        raise ValueError(f"n_steps must be a positive multiple of n_frames - 1 = {n_frames - 1}; got {n_steps!r}")
    if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 1):
        raise ValueError(f"n_samples must be an int >= 1; got {n_samples!r}")
    if not (isinstance(resolution, (int, np.integer)) and resolution >= 2):
        raise ValueError(f"resolution must be an int >= 2; got {resolution!r}")
    data = _ring_data()
    configs = _ring_configs(data)
    seg = n_steps // (n_frames - 1)
    extent = (-3.0, 3.0, -3.0, 3.0)
    g = np.linspace(extent[0], extent[1], int(resolution), dtype=np.float32)
    xx, yy = np.meshgrid(g, g)
    grid = jnp.asarray(np.stack([xx.ravel(), yy.ravel()], axis=1))
    fields = jax.jit(_frame_fields, static_argnums=0)
    real = np.asarray(data.sample(jax.random.fold_in(key, 99), int(n_samples)))

    def run(cfg):
        # train's documented initial state: init(fold_in(key, 0), cfg); frame 0 needs its critic
        ds = [engine.init(jax.random.fold_in(key, 0), cfg).d_params]
        state, snaps = None, []
        for i in range(1, n_frames):
            steps = (0, seg) if i == 1 else (i * seg,)
            res = engine.train(key, cfg, seg, state=state, snapshot_steps=steps, n_samples=int(n_samples),
                               metrics=())
            state = res.state
            snaps.extend(res.snapshots)
            ds.append(state.d_params)
        fk, su, pu = [], [], []
        for d, fake in zip(ds, snaps):
            s, p = fields(cfg, d, jnp.asarray(fake), grid)
            fk.append(np.asarray(fake))
            su.append(np.asarray(s).reshape(xx.shape))
            pu.append(np.asarray(p))
        return fk, su, pu, state

    # The four losses are independent runs: side by side, one thread per core
    # (each gives the numbers it gives alone).
    fakes, surfaces, pushes, states = zip(*side_by_side(run, configs))
    return RingFrames(np.arange(n_frames) * seg, real, np.asarray(fakes), np.asarray(surfaces), np.asarray(pushes),
                      extent, configs, tuple(states))


def ring_training(key: jax.Array, n_steps: int = 960, n_frames: int = 17, *, n_samples: int = 256,
                  n_arrows: int = 48, dpi: int = 56):
    """The ring of 8 Gaussians under minimax GAN, -log D, WGAN with clipping and WGAN-GP, as an animation.

    Four panels (2 x 2), one per loss, the same key (the same initial
    generator): real samples (blue), fake samples (vermillion), the
    discriminator's probability :math:`D = \\sigma(\\ell)` or the critic's
    score :math:`f` as a heat map, and arrows at ``n_arrows`` fakes along
    :math:`-\\nabla_x L_G`, where the generator loss pushes each sample. The
    arrows are scaled per panel and frame to the longest one (their direction
    and relative size are what is drawn); each panel's title gives the median
    length :math:`|\\nabla_x L_G|` of that frame, so a vanishing push is read
    from the number. The critic score is shown rescaled to [0, 1] per frame
    (only its shape matters to the generator).

    Settings and their reasons: generator and critic MLPs 2-64-64-{2,1} (ReLU),
    2-d latent, batch 128, 960 generator steps in 16 segments (17 frames),
    so that the four programs compile and train in a few seconds on two CPU
    cores; GANs with Adam (lr 1e-3, b1 0.5), fast enough that the ring forms
    (or collapses) within the run; WGAN with RMSProp lr 1e-3 (larger than
    the paper's 5e-5, for the same reason), :math:`c = 0.01`, 5 critic steps;
    WGAN-GP with :math:`\\lambda = 0.1` (the authors' toy-data value), Adam
    (1e-3, 0.5, 0.9), 5 critic steps.
    What the run shows at this scale (seed 0): the two GANs and WGAN-GP
    gather their fakes on all eight modes within the run (-log D and the
    minimax loss alike: with a discriminator updated once per generator step,
    D never becomes confident enough here for the minimax push to vanish;
    notebook 05 trains D to the end for that); the clipped critic is a smooth
    ramp whose push :math:`|\\nabla f|` is several orders of magnitude smaller
    than WGAN-GP's (a clipped network's Lipschitz constant :math:`K \\ll 1`),
    and its fakes stay spread between the modes.

    Args:
      key: one ``jax.random.key`` (the same for all four losses).
      n_steps, n_frames, n_samples: as :func:`ring_frames`.
      n_arrows: fakes that get an arrow.
      dpi: resolution of the embedded frames (size of the HTML).

    Returns:
      An :class:`IPython.display.HTML` (its ``.data`` the HTML text) with a caption.

    >>> h = ring_training(jax.random.key(0), n_steps=6, n_frames=4, n_samples=32)
    >>> "anim-state" in h.data or "Animation" in h.data
    True
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    fr = ring_frames(key, n_steps, n_frames, n_samples=n_samples, resolution=40)
    n_frames = len(fr.steps)
    k = min(int(n_arrows), fr.fake.shape[2])
    with mpl.rc_context(_FONT):
        fig, axes = plt.subplots(2, 2, figsize=(7.2, 7.4), dpi=dpi, layout="constrained")
        axes = axes.ravel()
        ext = fr.extent
        cmap = mpl.colormaps["cividis"]

        def surf(i, t):
            s = fr.surface[i, t]
            if fr.configs[i].loss == "wgan":
                s = (s - s.min()) / max(float(s.max() - s.min()), 1e-30)
            return s

        def push(i, t):
            size = np.linalg.norm(fr.push[i, t], axis=1)
            p = fr.push[i, t, :k] / max(float(size[:k].max()), 1e-38)
            return p, float(np.median(size))

        arts = []
        for i, ax in enumerate(axes):
            im = ax.imshow(surf(i, 0), origin="lower", extent=ext, cmap=cmap, vmin=0, vmax=1,
                           interpolation="nearest")
            ax.scatter(fr.real[:, 0], fr.real[:, 1], s=5, color=REAL_COLOR, lw=0)
            sc = ax.scatter(fr.fake[i, 0, :, 0], fr.fake[i, 0, :, 1], s=5, color=FAKE_COLOR, lw=0)
            p, _ = push(i, 0)
            qv = ax.quiver(fr.fake[i, 0, :k, 0], fr.fake[i, 0, :k, 1], p[:, 0], p[:, 1], color=COLORS[0],
                           angles="xy", scale_units="xy", scale=2.0, width=0.006)
            ax.set_xlim(ext[0], ext[1])
            ax.set_ylim(ext[2], ext[3])
            ax.set_aspect("equal")
            if i >= 2:
                ax.set_xlabel("$x_1$")
            if i % 2 == 0:
                ax.set_ylabel("$x_2$")
            arts.append((im, sc, qv))
        fig.colorbar(arts[0][0], ax=axes.tolist(), shrink=0.6,
                     label="D(x) (GANs); critic score rescaled to [0, 1] (WGANs)")
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="", marker="o", color=REAL_COLOR, label="real"),
                   Line2D([], [], ls="", marker="o", color=FAKE_COLOR, label="fake"),
                   Line2D([], [], color=COLORS[0], label=r"push $-\nabla_x L_G$ (scaled)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
        title = fig.suptitle("")
        med = np.median(np.linalg.norm(fr.push, axis=-1), axis=-1)  # [losses, frames]
        gap = int(np.round(np.median(np.log10(med[3, 1:] / med[2, 1:]))))  # WGAN-GP over clipped WGAN

        def draw(t):
            for i, (ax, (im, sc, qv)) in enumerate(zip(axes, arts)):
                im.set_data(surf(i, t))
                sc.set_offsets(fr.fake[i, t])
                p, med = push(i, t)
                qv.set_offsets(fr.fake[i, t, :k])
                qv.set_UVC(p[:, 0], p[:, 1])
                ax.set_title(f"{RING_LOSSES[i]}: median push {med:.0e}")
            title.set_text(f"Step {fr.steps[t]} of {fr.steps[-1]}: over the run the GANs and WGAN-GP gather the fakes\n"
                           f"on the modes; the clipped critic pushes about $10^{{{gap}}}$ times more weakly")
            return []

        draw(0)
        caption = (f"The ring of 8 Gaussians over {int(fr.steps[-1])} generator steps ({n_frames} frames), "
                   "same initial generator for all four losses. Heat map: the discriminator's probability D(x) "
                   "(GANs) or the critic score f(x), rescaled per frame (WGANs). Arrows: where the generator loss "
                   "pushes each fake sample, scaled to the longest arrow of the panel; the title gives the median "
                   "length of the push.")
        return _render(fig, draw, n_frames, caption, fps=4, colors=96)


# --------------------------------------------------------------------------- WGAN Example 1
def example1(n_frames: int = 17, *, dpi: int = 56):
    """WGAN's Example 1 as an animation: :math:`\\theta` moves from -2 to 2.

    :math:`P_0` is the law of :math:`(0, Z)` and :math:`P_\\theta` that of
    :math:`(\\theta, Z)`, :math:`Z \\sim U[0, 1]`: two parallel segments. For
    :math:`\\theta \\ne 0` the supports are disjoint, so

    .. math::
       JS(P_0, P_\\theta) = \\log 2, \\quad KL(P_\\theta \\| P_0) = +\\infty, \\quad
       TV = 1, \\quad W_1 = |\\theta|,

    and all four are 0 at :math:`\\theta = 0`. Left: the two segments. Middle:
    the four as functions of :math:`\\theta` with the current point marked (KL
    drawn off-scale at the top). Right: their derivatives in :math:`\\theta`:
    0 for JS and TV wherever they are defined, :math:`\\mathrm{sign}(\\theta)`
    for W. JS, KL and TV come from the closed forms of
    :mod:`gantoy.distances.smoothed` at :math:`\\sigma = 0`
    (:func:`~gantoy.distances.smoothed.js_parallel_lines` ...), their
    derivatives from ``jax.grad`` of the same functions.

    Args:
      n_frames: frames (positions of :math:`\\theta`, evenly spaced in [-2, 2]).
      dpi: resolution of the embedded frames.

    Returns:
      An :class:`IPython.display.HTML` with a caption.

    References:
      Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", Example 1 and Fig. 1.

    >>> h = example1(n_frames=3)
    >>> len(h.data) < MAX_BYTES
    True
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    n_frames = _check_frames(n_frames)
    thetas = np.linspace(-2.0, 2.0, n_frames)
    curve = np.linspace(-2.0, 2.0, 401)
    curve = np.sort(np.concatenate([curve, [0.0]]))
    zero = jnp.zeros(())
    js = np.asarray(jax.vmap(lambda t: js_parallel_lines(t, zero))(jnp.asarray(curve)))
    kl = np.asarray(jax.vmap(lambda t: kl_parallel_lines(t, zero))(jnp.asarray(curve)))
    tv = np.asarray(jax.vmap(lambda t: tv_parallel_lines(t, zero))(jnp.asarray(curve)))
    w = np.abs(curve)
    djs = np.asarray(jax.vmap(jax.grad(lambda t: js_parallel_lines(t, zero)))(jnp.asarray(curve)))
    dtv = np.asarray(jax.vmap(jax.grad(lambda t: tv_parallel_lines(t, zero)))(jnp.asarray(curve)))
    dw = np.sign(curve)
    top = 2.3
    colors = {"JS": COLORS[5], "KL": COLORS[6], "TV": COLORS[3], "W": COLORS[1]}
    with mpl.rc_context(_FONT):
        fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.7), dpi=dpi, layout="constrained")
        ax = axes[0]
        ax.plot([0, 0], [0, 1], color=REAL_COLOR, lw=4, label="$P_0$")
        (seg,) = ax.plot([thetas[0]] * 2, [0, 1], color=FAKE_COLOR, lw=4, label=r"$P_\theta$")
        ax.set_xlim(-2.3, 2.3)
        ax.set_ylim(-0.15, 1.45)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="upper center", ncol=2, frameon=False)
        ax = axes[1]
        off = np.where(np.isfinite(kl), kl, np.nan)
        ax.plot(curve, js, color=colors["JS"], lw=2, label="JS")
        ax.plot(curve, tv, color=colors["TV"], lw=2, label="TV")
        ax.plot(curve, w, color=colors["W"], lw=2, label="W")
        ax.plot(curve[np.isinf(kl)], np.full(np.isinf(kl).sum(), top - 0.08), color=colors["KL"], lw=2, ls="--",
                label=r"KL $= +\infty$ (off scale)")
        ax.plot(curve, off, color=colors["KL"], lw=0)
        ax.set_ylim(-0.05, top)
        ax.set_xlabel(r"$\theta$")
        ax.set_ylabel("divergence / distance")
        ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.72), frameon=False)
        dots1 = [ax.plot([], [], "o", color=colors[n], ms=8)[0] for n in ("JS", "TV", "W")]
        ax = axes[2]
        ax.plot(curve, djs, color=colors["JS"], lw=2, label=r"$\partial_\theta$ JS")
        ax.plot(curve, dtv, color=colors["TV"], lw=2, ls=(0, (4, 3)), label=r"$\partial_\theta$ TV")
        ax.plot(curve, dw, color=colors["W"], lw=2, label=r"$\partial_\theta$ W")
        ax.set_ylim(-1.5, 1.5)
        ax.set_xlabel(r"$\theta$")
        ax.set_ylabel(r"derivative in $\theta$")
        ax.legend(loc="upper left", frameon=False)
        dots2 = [ax.plot([], [], "o", color=colors[n], ms=8)[0] for n in ("JS", "TV", "W")]
        title = fig.suptitle("")

        fj = np.interp(thetas, curve, js)  # the frames' values, read off the curves (thetas lie on them)
        fv = np.interp(thetas, curve, tv)
        fdj = np.interp(thetas, curve, djs)
        fdv = np.interp(thetas, curve, dtv)

        def draw(t):
            th = float(thetas[t])
            seg.set_xdata([th, th])
            j, v = float(fj[t]), float(fv[t])
            g = [float(fdj[t]), float(fdv[t]), float(np.sign(th))]
            for d, y in zip(dots1, (j, v, abs(th))):
                d.set_data([th], [y])
            for d, y in zip(dots2, g):
                d.set_data([th], [y])
            title.set_text(fr"$\theta$ = {th:+.2f}: JS = {j:.3f}, TV = {v:.0f}, W = {abs(th):.2f}; "
                           "only W has a slope that points the segment home")
            return []

        draw(0)
        caption = ("WGAN Example 1: the segment (theta, Z) slides from theta = -2 to 2 past the data segment (0, Z). "
                   "JS stays at log 2, KL at infinity and TV at 1 for every theta other than 0, so their derivatives "
                   "are 0 (or undefined) and tell the generator nothing; W = |theta| falls linearly to 0 and its "
                   "derivative sign(theta) points towards the data from every position.")
        return _render(fig, draw, n_frames, caption, fps=4)


# --------------------------------------------------------------------------- Dirac-GAN
#: The games of :func:`dirac_trajectories`: label, game, update, step.
def _dirac_games():
    return (
        ("standard loss", games.dirac_gan("standard"), "simultaneous", 0.3),
        ("WGAN", games.dirac_gan("wgan"), "simultaneous", 0.1),
        (r"WGAN-GP ($\lambda$ = 0.5, 5 critic steps)", games.dirac_gan("wgan", gp=0.5, gp_target=1.0),
         "alternating", 0.1),
        (r"standard + R1 ($\gamma$ = 1)", games.dirac_gan("standard", r1=1.0), "simultaneous", 0.1),
    )


def dirac_trajectories(n_frames: int = 16, *, n_steps: int = 300, dpi: int = 56):
    """Dirac-GAN trajectories in the :math:`(\\theta, \\psi)` plane, drawn as growing trails.

    The Dirac-GAN of Mescheder et al. (2018) (:func:`gantoy.gan.games.dirac_gan`:
    data :math:`\\delta_0`, generator :math:`\\delta_\\theta`, critic
    :math:`D_\\psi(x) = \\psi x`), from :math:`(1, 1)`, ``n_steps`` steps, in
    four panels: the standard loss (simultaneous descent, :math:`h = 0.3`:
    spirals slowly out), WGAN (simultaneous, :math:`h = 0.1`: spirals out
    fast, :math:`|z|^2` grows by :math:`1 + h^2` a step), WGAN-GP with the
    penalty :math:`\\lambda(|\\psi| - g_0)^2`, :math:`\\lambda = 0.5`,
    :math:`g_0 = 1` (alternating, 5 critic steps per generator step: the
    one-dimensional penalty stalls the generator near :math:`\\theta = -2\\lambda g_0`),
    and the standard loss with R1, :math:`\\gamma = 1` (simultaneous,
    :math:`h = 0.1`: converges to the equilibrium :math:`(0, 0)`). The same
    games and steps as notebook 01's figures. Grey arrows: the direction of the game's vector field.

    Args:
      n_frames: frames; frame ``t`` shows the first ``t * n_steps / (n_frames - 1)`` steps.
      n_steps: generator steps.
      dpi: resolution of the embedded frames.

    Returns:
      An :class:`IPython.display.HTML` with a caption.

    References:
      Mescheder, Geiger & Nowozin (2018), "Which Training Methods for GANs do
      actually Converge?", Sec. 2-4 and Fig. 1-3.

    >>> h = dirac_trajectories(n_frames=3, n_steps=20)
    >>> len(h.data) < MAX_BYTES
    True
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    n_frames = _check_frames(n_frames)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be an int >= 1; got {n_steps!r}")
    z0 = jnp.array([1.0, 1.0])
    runs = []
    for label, game, update, h in _dirac_games():
        if update == "simultaneous":
            z = games.simultaneous_gd(game, z0, h, int(n_steps))
        else:
            z = games.alternating_gd(game, z0, h, int(n_steps), n_critic=5)
        runs.append((label, game, np.asarray(z), h, update))
    ends = np.linspace(0, n_steps, n_frames).round().astype(int)
    with mpl.rc_context(_FONT):
        fig, axes = plt.subplots(2, 2, figsize=(7.0, 6.9), dpi=dpi, layout="constrained")
        trails, heads = [], []
        for i, (ax, (label, game, z, h, update)) in enumerate(zip(axes.ravel(), runs)):
            lim = max(2.0, 1.1 * float(np.abs(z).max()))  # the whole trajectory inside the frame
            tt, pp, u, v = games.vector_field_grid(game, (-lim, lim, -lim, lim), n=11)
            norm = np.maximum(np.hypot(u, v), 1e-12)  # directions only (a light background)
            ax.quiver(tt, pp, u / norm, v / norm, color="0.7", angles="xy", width=0.004)
            ax.plot([0], [0], "*", color=COLORS[0], ms=12)
            (tr,) = ax.plot([], [], color=COLORS[(5, 6, 3, 7)[i]], lw=1.8)
            (hd,) = ax.plot([], [], "o", color=COLORS[(5, 6, 3, 7)[i]], ms=8)
            trails.append(tr)
            heads.append(hd)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal")
            ax.set_title(f"{label}\n{update}, h = {h:g}")
            if i >= 2:
                ax.set_xlabel(r"generator $\theta$")
            if i % 2 == 0:
                ax.set_ylabel(r"critic slope $\psi$")
        title = fig.suptitle("")

        def draw(t):
            e = ends[t]
            for tr, hd, run in zip(trails, heads, runs):
                z = run[2][: e + 1]
                tr.set_data(z[:, 0], z[:, 1])
                hd.set_data([z[-1, 0]], [z[-1, 1]])
            title.set_text(f"Step {e}: only R1 reaches the equilibrium (star);\nthe others spiral out or stall")
            return []

        draw(0)
        caption = (f"Dirac-GAN trajectories from (theta, psi) = (1, 1) over {n_steps} steps. The standard loss and "
                   "WGAN rotate around the equilibrium and spiral outwards; WGAN-GP's one-dimensional penalty stops "
                   "the generator away from the data; R1 damps the rotation and the iterates reach (0, 0).")
        return _render(fig, draw, n_frames, caption, fps=5)

"""Sample-quality metrics for toy GANs: VEEGAN mode coverage and W to the data.

:func:`mode_coverage` is pure ``jax.numpy`` (``vmap`` it over seeds and
snapshots); :func:`wasserstein_to_sample` and :func:`wasserstein_to_data` call the
exact solver of :mod:`gantoy.distances.transport` on host arrays, several problems at once.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from gantoy._threads import side_by_side
from gantoy.distances.transport import wasserstein, wasserstein_assignment

__all__ = [
    "ModeCoverage",
    "mode_coverage",
    "modes_with_mass",
    "dominant_mode",
    "mode_coverage_chance",
    "covariance_trace",
    "mixture_covariance_trace",
    "mode_spacing",
    "held_mode",
    "mode_jumps",
    "wasserstein_to_sample",
    "wasserstein_to_data",
]


class ModeCoverage(NamedTuple):
    """Result of :func:`mode_coverage` (arrays; leading axes if vmapped).

    Samples with a NaN or infinite coordinate (a diverged generator) belong to
    no mode: they are left out of every field below and counted in
    ``n_nonfinite``. A run whose samples are all non-finite has ``covered = 0``,
    ``counts`` all 0 and ``high_quality`` NaN (a fraction of no samples): it
    reads as diverged, never as collapsed onto a mode.

    Attributes:
      covered: ``[]`` int, number of modes with at least one high-quality sample
        nearest to them.
      high_quality: ``[]`` fraction of the finite samples within ``threshold * std``
        of their nearest mode (NaN when no sample is finite).
      counts: ``[m]`` finite samples whose nearest mode is each mode (whatever
        their distance): the mass per mode.
      hq_counts: ``[m]`` high-quality samples per mode.
      n_nonfinite: ``[]`` int, samples left out for a NaN or infinite coordinate.
    """

    covered: jax.Array
    high_quality: jax.Array
    counts: jax.Array
    hq_counts: jax.Array
    n_nonfinite: jax.Array


def mode_coverage(samples: ArrayLike, modes, std=None, *, threshold: float = 3.0) -> ModeCoverage:
    """VEEGAN's mode-coverage metric.

    A sample :math:`x` is *high quality* when
    :math:`\\min_k \\|x - \\mu_k\\|_2 < \\text{threshold} \\cdot \\text{std}`; a mode is
    *covered* when at least one high-quality sample has it as nearest mode. The
    protocol draws 2500 samples. Uniform noise "covers" many modes by this rule
    (see :func:`mode_coverage_chance`): always report ``high_quality`` beside
    ``covered``, and the mass per mode (:func:`modes_with_mass`) for wide blobs.

    Samples with a NaN or infinite coordinate are skipped and counted in
    ``n_nonfinite`` (see :class:`ModeCoverage`). Distances are computed in the
    dtype that holds both ``samples`` and ``modes`` (float64 modes are not
    rounded to float32 samples); ``high_quality`` has the samples' float dtype.

    Args:
      samples: ``[n, d]`` generator samples.
      modes: ``[m, d]`` mode centres, or a mixture with ``.modes`` and ``.std``
        (``gantoy.ring8()``, ``gantoy.grid25()``) when ``std`` is ``None``.
      std: the modes' standard deviation: a scalar or ``[m]`` (the nearest
        mode's value is used).
      threshold: in units of ``std`` (3).

    Returns:
      A :class:`ModeCoverage`.

    References:
      Srivastava et al. 2017, "VEEGAN: Reducing Mode Collapse in GANs using
      Implicit Variational Learning", Sec. 5.1.

    >>> modes = jnp.array([[0.0, 0.0], [5.0, 0.0]])
    >>> r = mode_coverage(jnp.array([[0.01, 0.0], [0.0, 0.02], [3.0, 0.1]]), modes, 0.02)
    >>> int(r.covered), round(float(r.high_quality), 4), r.counts.tolist()
    (1, 0.6667, [2, 1])
    >>> r = mode_coverage(jnp.array([[0.01, 0.0], [jnp.nan, 0.0]]), modes, 0.02)
    >>> int(r.covered), float(r.high_quality), r.counts.tolist(), int(r.n_nonfinite)
    (1, 1.0, [1, 0], 1)
    """
    if std is None:
        if not (hasattr(modes, "modes") and hasattr(modes, "std")):
            raise ValueError("give std, or pass a mixture with .modes and .std as modes")
        modes, std = modes.modes, modes.std
    x = jnp.asarray(samples)
    mu = jnp.asarray(modes)
    if x.ndim != 2 or mu.ndim != 2 or x.shape[1] != mu.shape[1]:
        raise ValueError(f"samples must be [n, d] and modes [m, d] with the same d; got {x.shape} and {mu.shape}")
    m = mu.shape[0]
    s = jnp.asarray(std)
    if s.ndim > 1 or (s.ndim == 1 and s.shape[0] != m):
        raise ValueError(f"std must be a scalar or [{m}]; got shape {s.shape}")
    # checked on the concrete inputs (numpy), so a call under jit with fixed
    # modes and std works; traced ones cannot be checked
    if not isinstance(std, jax.core.Tracer) and not np.all(np.asarray(std) > 0):
        raise ValueError(f"std must be > 0; got {std}")
    if not isinstance(modes, jax.core.Tracer) and not np.all(np.isfinite(np.asarray(modes))):
        raise ValueError(f"modes must be finite; got {modes}")
    dtype = jnp.result_type(x, mu, s, float)  # the modes keep their own precision
    x_dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.result_type(float)
    s = jnp.broadcast_to(s.astype(dtype), (m,))
    finite = jnp.all(jnp.isfinite(x), axis=1)  # [n]
    x = jnp.where(finite[:, None], x, 0).astype(dtype)  # skipped below; 0 keeps argmin tidy
    d2 = jnp.sum(jnp.square(x[:, None, :] - mu.astype(dtype)[None, :, :]), axis=-1)  # [n, m]
    nearest = jnp.argmin(d2, axis=1)
    hq = finite & (jnp.min(d2, axis=1) < jnp.square(threshold * s[nearest]))
    onehot = jax.nn.one_hot(nearest, m, dtype=jnp.int32) * finite[:, None].astype(jnp.int32)  # [n, m]
    counts = jnp.sum(onehot, axis=0)
    hq_counts = jnp.sum(onehot * hq[:, None].astype(jnp.int32), axis=0)
    n_finite = jnp.sum(finite.astype(jnp.int32))
    return ModeCoverage(
        covered=jnp.sum(hq_counts > 0),
        high_quality=jnp.sum(hq.astype(x_dtype)) / n_finite.astype(x_dtype),
        counts=counts,
        hq_counts=hq_counts,
        n_nonfinite=jnp.sum((~finite).astype(jnp.int32)),
    )


def modes_with_mass(counts: ArrayLike, min_frac: float = 0.05) -> jax.Array:
    """Number of modes holding at least ``min_frac`` of all samples (``counts`` ``[..., m]``).

    0 when ``counts`` are all 0 (no finite sample).

    >>> int(modes_with_mass(jnp.array([90, 6, 4])))
    2
    """
    c = jnp.asarray(counts)
    frac = c / jnp.maximum(jnp.sum(c, axis=-1, keepdims=True), 1)
    return jnp.sum(frac >= min_frac, axis=-1)


def dominant_mode(counts: ArrayLike) -> jax.Array:
    """Index of the mode holding the most samples (``counts`` ``[..., m]``); -1 for no sample.

    Tracked over snapshots it shows mode hopping. Counts that are all 0 (no
    sample, or a diverged run whose samples were all non-finite, see
    :func:`mode_coverage`) have no dominant mode: -1, not mode 0.

    >>> int(dominant_mode(jnp.array([3, 9, 1]))), int(dominant_mode(jnp.array([0, 0, 0])))
    (1, -1)
    """
    c = jnp.asarray(counts)
    return jnp.where(jnp.sum(c, axis=-1) > 0, jnp.argmax(c, axis=-1), -1)


def mode_coverage_chance(
    key: jax.Array,
    modes,
    std,
    low: float,
    high: float,
    *,
    n: int = 2500,
    threshold: float = 3.0,
) -> ModeCoverage:
    """The coverage uniform noise on the box ``[low, high]^d`` gets: the chance level.

    ``modes``/``std`` as in :func:`mode_coverage` (``std=None`` with a mixture).

    >>> modes = jnp.array([[0.0, 0.0]])
    >>> r = mode_coverage_chance(jax.random.key(0), modes, 0.02, -3.0, 3.0)
    >>> float(r.high_quality) < 0.01
    True
    """
    if std is None:
        modes, std = modes.modes, modes.std
    mu = jnp.asarray(modes)
    u = jax.random.uniform(key, (n, mu.shape[1]), minval=low, maxval=high)
    return mode_coverage(u, mu, std, threshold=threshold)


def covariance_trace(samples: ArrayLike) -> jax.Array:
    r"""Trace of the sample covariance of each ``[n, d]`` set: a diversity number.

    .. math:: \operatorname{tr}\hat\Sigma = \frac1n \sum_i \|x_i - \bar x\|^2,

    the mean squared distance to the sample mean (normalised by :math:`n`).
    Compare it with the data's (:func:`mixture_covariance_trace`): a
    collapsed generator has a ratio far below 1 -- and so has a narrow blob in
    empty space, which is why it goes beside a measure of *where* the samples
    are (:func:`held_mode`, :func:`mode_coverage`).

    Args:
      samples: ``[..., n, d]``.

    Returns:
      ``[...]`` traces (NaN where a sample is not finite).

    >>> float(covariance_trace(jnp.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])))
    2.0
    """
    x = jnp.asarray(samples)
    if x.ndim < 2 or x.shape[-2] < 1:
        raise ValueError(f"samples must be [..., n, d] with n >= 1; got shape {x.shape}")
    c = x - jnp.mean(x, axis=-2, keepdims=True)
    return jnp.mean(jnp.sum(c * c, axis=-1), axis=-1)


def mixture_covariance_trace(mixture) -> float:
    r"""Trace of the covariance of an isotropic Gaussian mixture (``.modes``, ``.std``, ``.weights``).

    .. math:: \operatorname{tr}\Sigma = \sum_k w_k \big(\|\mu_k - \bar\mu\|^2 + d\, s_k^2\big),
       \qquad \bar\mu = \sum_k w_k \mu_k.

    >>> from gantoy.measures.distributions import ring8
    >>> round(mixture_covariance_trace(ring8()), 4)   # radius^2 + 2 std^2
    4.0008
    """
    if not (hasattr(mixture, "modes") and hasattr(mixture, "std")):
        raise ValueError("mixture must have .modes and .std (e.g. gantoy.ring8())")
    mu = np.asarray(mixture.modes, dtype=float)
    if mu.ndim != 2:
        raise ValueError(f"mixture.modes must be [m, d]; got shape {mu.shape}")
    m, d = mu.shape
    w = np.asarray(getattr(mixture, "weights", np.full(m, 1.0 / m)), dtype=float)
    s = np.broadcast_to(np.asarray(mixture.std, dtype=float), (m,))
    centre = w @ mu
    return float(np.sum(w * (np.sum((mu - centre) ** 2, axis=1) + d * s**2)))


def mode_spacing(modes) -> float:
    """Smallest distance between two modes (``[m, d]``, or a mixture with ``.modes``).

    A quarter of it is the radius within which a sample is unambiguously *at*
    a mode rather than between two (the midpoint is half of it away).

    >>> from gantoy.measures.distributions import grid25
    >>> mode_spacing(grid25())
    2.0
    """
    mu = np.asarray(modes.modes if hasattr(modes, "modes") else modes, dtype=float)
    if mu.ndim != 2 or mu.shape[0] < 2:
        raise ValueError(f"modes must be [m, d] with m >= 2; got shape {mu.shape}")
    dist = np.sqrt(np.sum((mu[:, None, :] - mu[None, :, :]) ** 2, axis=-1))
    return float(np.min(dist[~np.eye(len(mu), dtype=bool)]))


def held_mode(near_counts: ArrayLike, total: ArrayLike, min_frac: float = 0.5) -> jax.Array:
    """The mode the generator sits at: the one with at least ``min_frac`` of all samples near it; else -1.

    ``near_counts`` ``[..., m]`` are the samples within a radius fixed in
    advance of each mode (``ModeCoverage.hq_counts`` of :func:`mode_coverage`
    with ``threshold = radius / std``), ``total`` ``[...]`` all the samples. A
    blob in empty space (no sample near any mode) sits at no mode however its
    nearest mode changes: tracking :func:`held_mode` over snapshots counts
    jumps between modes that hold mass (Metz et al. 2016, Fig. 1), not drift.

    Args:
      near_counts: ``[..., m]`` samples within the radius of each mode.
      total: ``[...]`` number of samples.
      min_frac: share of all samples the mode must hold (0.5: the majority).

    Returns:
      ``[...]`` int mode index, or -1.

    >>> held_mode(jnp.array([[0, 70, 0], [20, 20, 0], [0, 0, 0]]), jnp.array([100, 100, 0])).tolist()
    [1, -1, -1]
    """
    c = jnp.asarray(near_counts)
    t = jnp.asarray(total)
    if c.ndim < 1 or c.shape[:-1] != t.shape:
        raise ValueError(f"near_counts must be [..., m] and total [...]; got shapes {c.shape} and {t.shape}")
    if not 0 < min_frac <= 1:
        raise ValueError(f"min_frac must be in (0, 1]; got {min_frac!r}")
    k = jnp.argmax(c, axis=-1)
    best = jnp.max(c, axis=-1)
    return jnp.where((t > 0) & (best >= min_frac * t), k, -1)


def mode_jumps(held: ArrayLike) -> np.ndarray:
    """Jumps between held modes: changes in the sequence of :func:`held_mode` indices with the -1 entries removed.

    ``[3, -1, 5]`` is one jump (the generator left mode 3 and arrived at mode
    5); ``[3, -1, 3]`` none; ``[-1, -1, -1]`` (a blob that never sits at a
    mode) none, however far it drifts.

    Args:
      held: ``[..., snaps]`` integer mode indices, -1 for none.

    Returns:
      ``[...]`` int counts.

    >>> mode_jumps([[3, -1, 5, 5, 0], [3, -1, 3, -1, -1], [-1, -1, -1, -1, -1]]).tolist()
    [2, 0, 0]
    """
    h = np.asarray(held)
    if h.ndim < 1 or not np.issubdtype(h.dtype, np.integer):
        raise ValueError(f"held must be integers of shape [..., snaps]; got {h.dtype} {h.shape}")
    flat = h.reshape(-1, h.shape[-1]) if h.ndim > 1 else h[None]
    out = []
    for row in flat:
        seq = row[row >= 0]
        out.append(int(np.sum(seq[1:] != seq[:-1])))
    return np.array(out, dtype=int).reshape(h.shape[:-1])


def wasserstein_to_sample(samples: ArrayLike, reference: ArrayLike, *, p: int = 1) -> np.ndarray:
    """Exact :math:`W_p` from each ``[n, d]`` sample of a stack to one reference sample ``[m, d]``.

    .. math:: W_p(\\hat P_n, \\hat Q_m) = \\Big(\\min_{\\pi \\in \\Pi(\\hat P_n, \\hat Q_m)}
       \\sum_{ij} \\pi_{ij} \\|x_i - y_j\\|^p\\Big)^{1/p}

    between the empirical measures. With ``n == m`` the optimum is a
    permutation (Birkhoff), found by :func:`gantoy.distances.transport.wasserstein_assignment`
    (``scipy.optimize.linear_sum_assignment`` on the float64 cost matrix); the
    problems of a stack are solved in a pool of threads, one per core (the
    solver releases the GIL), which matters for collapsed generators, whose
    near-tied costs make each solve several times slower. Otherwise each
    problem goes to :func:`gantoy.distances.transport.wasserstein` (the network simplex).
    Host arrays in, numpy out; not differentiable (use
    :func:`gantoy.distances.transport.wasserstein` for gradients).

    Args:
      samples: ``[..., n, d]`` (e.g. ``[seeds, snapshots, n, d]``).
      reference: ``[m, d]``.
      p: the order of the distance.

    Returns:
      A ``[...]`` numpy array of distances (a 0-d array for one ``[n, d]`` sample).

    References:
      Arjovsky et al. 2017, Sec. 4.2 (W as the measure of sample quality).

    >>> x = np.zeros((2, 3, 4, 1)) + np.arange(2.0)[:, None, None, None]
    >>> wasserstein_to_sample(x, np.ones((4, 1))).tolist()
    [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    x = np.asarray(samples)
    ref = np.asarray(reference)
    if x.ndim < 2 or ref.ndim != 2 or x.shape[-1] != ref.shape[-1]:
        raise ValueError(f"samples must be [..., n, d] and reference [m, d]; got {x.shape} and {ref.shape}")
    if p < 1:
        raise ValueError(f"p must be >= 1; got {p}")
    flat = x.reshape((-1,) + x.shape[-2:])
    if flat.shape[1] == ref.shape[0]:
        solve = functools.partial(wasserstein_assignment, y=ref, p=p)
        out = np.array(side_by_side(solve, flat), dtype=float)
    else:
        out = np.array([float(wasserstein(s, ref, p=p)) for s in flat], dtype=float)
    return out.reshape(x.shape[:-2])


def wasserstein_to_data(key: jax.Array, samples: ArrayLike, data, *, n: int | None = None, p: int = 1):
    """Exact :math:`W_p` between generator samples and as many fresh data samples.

    Draws ``len(samples)`` (or ``n``) samples from ``data`` (a sampler
    ``sample(key, n)`` or an object with ``.sample``) and solves the exact
    optimal-transport problem between the two empirical measures with
    :func:`wasserstein_to_sample`. A ``[seeds, n, d]`` (or more leading axes)
    stack gets one value per ``[n, d]`` set, with the same data draw for all.

    Note the empirical distance has a positive bias at finite ``n`` (even two
    draws from the data are at distance > 0): compare with the data-vs-data
    value at the same ``n``.

    Args:
      key: PRNG key for the data draw.
      samples: ``[..., n, d]``.
      data: the real distribution.
      n: number of samples used from each side (default all of ``samples``).
      p: the order of the distance.

    Returns:
      A float, or a numpy array of the leading shape.

    >>> point = lambda k, n: jnp.zeros((n, 2)) + jnp.array([[3.0, 4.0]])  # all mass at (3, 4)
    >>> round(wasserstein_to_data(jax.random.key(0), np.zeros((50, 2)), point), 6)
    5.0
    """
    x = np.asarray(samples)
    if x.ndim < 2:
        raise ValueError(f"samples must be [..., n, d]; got shape {x.shape}")
    n = x.shape[-2] if n is None else int(n)
    if not 1 <= n <= x.shape[-2]:
        raise ValueError(f"n must be in [1, {x.shape[-2]}]; got {n}")
    sample = data.sample if hasattr(data, "sample") else data
    real = np.asarray(sample(key, n))
    if real.shape != (n, x.shape[-1]):
        raise ValueError(f"data must give [n, {x.shape[-1]}] samples; got {real.shape}")
    out = wasserstein_to_sample(x[..., :n, :], real, p=p)
    return float(out) if x.ndim == 2 else out

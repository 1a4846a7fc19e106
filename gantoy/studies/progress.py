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

The exact distance the numbers are compared with is
:func:`gantoy.gan.metrics.wasserstein_to_sample`.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["median_filter", "at_steps", "js_estimate", "spearman"]


def median_filter(x: ArrayLike, window: int = 101) -> np.ndarray:
    """Running median along the last axis, edges padded with the nearest value.

    .. math:: \\tilde x_t = \\operatorname{median}(x_{t-h}, \\dots, x_{t+h}), \\quad h = (w - 1)/2

    NaN entries (e.g. critic steps skipped under WGAN's warm-up schedule) are
    not allowed; select the recorded steps first.

    Args:
      x: ``[..., T]`` values over steps.
      window: odd window length ``w`` (101 in the WGAN reference code's plots).

    Returns:
      ``[..., T]`` filtered values (numpy).

    References:
      Arjovsky, Chintala & Bottou 2017, Fig. 3 and 4 (curves median-filtered).

    >>> median_filter([1.0, 9.0, 2.0, 3.0, 100.0, 4.0, 5.0], window=3).tolist()
    [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 5.0]
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
    size = (1,) * (x.ndim - 1) + (window,)
    return _mf(x, size=size, mode="nearest")


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

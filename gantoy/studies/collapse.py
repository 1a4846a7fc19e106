r"""The ``-log D`` generator loss and mode collapse, in numbers.

Three pieces, one story (course text: the "second generator loss"):

* **Theorem 2.5 of Arjovsky & Bottou (2017).** With the optimal discriminator
  :math:`D^*_{\theta_0} = p_r / (p_r + p_{\theta_0})` *held fixed* at
  :math:`\theta_0`, the gradient of the alternative generator loss is

  .. math::
     E_z\big[-\nabla_\theta \log D^*_{\theta_0}(G_\theta(z))\big]_{\theta=\theta_0}
       = \nabla_\theta\big[KL(P_\theta \| P_r) - 2\, JS(P_r, P_\theta)\big]_{\theta=\theta_0}.

  :func:`logd_gradient_identity` computes both sides independently for a
  one-dimensional smoothed family: the left by the reparameterised quadrature
  rule of :math:`P_\theta` (nodes :math:`G_\theta(z_j)` that move with
  :math:`\theta`), the right by differentiating densities on a fixed grid
  (:func:`divergences_1d`).
* **KL asymmetry.** :math:`KL(P_g \| P_r)` charges little for missing modes
  (one of :math:`m` equal modes costs :math:`\log m`) and without bound for
  mass where :math:`P_r` has none. :func:`one_mode_kl_gap_bounds` bounds the
  exponentially small overlap correction to :math:`\log m`.
* **Theorem 2.6 of Arjovsky & Bottou (2017).** A discriminator that is
  :math:`D^*` plus independent noise, where :math:`D^* \approx 0` on the
  generator's samples, gives :math:`-\log D` generator gradients that are
  Cauchy distributed (a ratio of two centred Gaussians), while the original
  loss's stay Gaussian: :func:`perturbed_generator_gradients`,
  :func:`tail_index`.
* **Mode collapse on toy data.** :func:`snapshot_coverage` measures VEEGAN
  coverage of every generator snapshot; :func:`summarize_collapse` adds the
  mass per mode and the dominant mode over time (mode hopping, Metz et al.
  2016, Fig. 1).

References:
  Arjovsky, Bottou (2017), "Towards Principled Methods for Training Generative
  Adversarial Networks", Thm. 2.5 and Fig. 3.
  Metz, Poole, Pfau, Sohl-Dickstein (2016), "Unrolled Generative Adversarial
  Networks", Fig. 1.
  Srivastava et al. (2017), "VEEGAN", Sec. 5.1 (mode-coverage protocol).

Example:
    >>> import jax
    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> p_r = gaussian_mixture([[-1.0], [1.5]], 0.0, [0.4, 0.6])
    >>> family = lambda th: gaussian_mixture(th[:, None], 0.0)
    >>> with jax.enable_x64(True):
    ...     g = logd_gradient_identity(family, jnp.array([0.2, 2.5]), p_r, 0.6)
    ...     print(float(g.relative_error) < 1e-9)
    True
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gantoy._checks import _check_sigma, _concrete
from gantoy._threads import program_cache
from gantoy.measures.distributions import GaussianMixture
from gantoy.gan.metrics import (
    ModeCoverage,
    covariance_trace,
    dominant_mode,
    held_mode,
    mixture_covariance_trace,
    mode_coverage,
    mode_jumps,
    mode_spacing,
    modes_with_mass,
)
from gantoy.distances.smoothed import js_parallel_lines

__all__ = [
    "log_optimal_discriminator",
    "Divergences1d",
    "divergences_1d",
    "grid_1d",
    "LogDGradients",
    "logd_gradient_identity",
    "one_mode_kl_gap_bounds",
    "CollapseSummary",
    "snapshot_coverage",
    "summarize_collapse",
    "count_hops",
    "collapse_test",
    "PerturbedGradients",
    "perturbed_generator_gradients",
    "tail_index",
]

Array = jax.Array
ArrayLike = jax.typing.ArrayLike

_LOG2 = math.log(2.0)


def log_optimal_discriminator(log_p_r: ArrayLike, log_p_g: ArrayLike) -> Array:
    r"""Log of the optimal discriminator from log densities, in log space.

    .. math::
       \log D^*(x) = \log\frac{p_r(x)}{p_r(x) + p_g(x)} = -\operatorname{softplus}(\log p_g(x) - \log p_r(x)),

    finite wherever the log densities are (no ``log(sigmoid)``), and
    :math:`\log(1 - D^*) = -\operatorname{softplus}(\log p_r - \log p_g)`.

    Args:
      log_p_r, log_p_g: log densities at the same points, same shape.

    Returns:
      :math:`\log D^*`, same shape.

    References:
      Goodfellow et al. (2014), "Generative Adversarial Nets", Prop. 1.

    >>> round(float(log_optimal_discriminator(0.0, 0.0)), 6) == round(-math.log(2.0), 6)
    True
    >>> round(float(log_optimal_discriminator(-1000.0, 0.0)), 3)   # far from the data: log D* ~ -1000
    -1000.0
    """
    log_p_r = jnp.asarray(log_p_r)
    log_p_g = jnp.asarray(log_p_g)
    if log_p_r.shape != log_p_g.shape:
        raise ValueError(f"log_p_r and log_p_g must have the same shape; got {log_p_r.shape} and {log_p_g.shape}")
    return -jax.nn.softplus(log_p_g - log_p_r)


# --- one-dimensional divergences on a fixed grid ------------------------------------------


class Divergences1d(NamedTuple):
    """KL both ways and JS between two 1-d smoothed laws (scalars, nats)."""

    kl_pq: Array
    kl_qp: Array
    js: Array


def _check_1d(d, name: str) -> None:
    if not (hasattr(d, "log_prob_smoothed") and hasattr(d, "quadrature")):
        raise ValueError(f"{name} must offer log_prob_smoothed and quadrature; {type(d).__name__} does not")
    if d.dim != 1:
        raise ValueError(f"{name} must be one-dimensional; got dim {d.dim}")


def grid_1d(*dists, sigma: ArrayLike, n: int = 4001) -> Array:
    r"""A uniform grid ``[n, 1]`` holding all the mass of the smoothed 1-d laws ``dists``.

    The range is that of the laws' own Gauss-Hermite rules of order 64, whose
    outermost nodes lie 14.9 standard deviations out (the mass beyond is
    below :math:`e^{-110}`). Needs concrete inputs (build it outside ``grad``).

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> x = grid_1d(gaussian_mixture([[0.0]], 1.0), sigma=0.0, n=5)
    >>> x.shape, [round(float(v), 1) for v in x[[0, -1], 0]]
    ((5, 1), [-14.9, 14.9])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"n must be an int >= 3; got {n!r}")
    if not dists:
        raise ValueError("give at least one distribution")
    lo, hi = np.inf, -np.inf
    for i, d in enumerate(dists):
        _check_1d(d, f"dists[{i}]")
        nodes = _concrete(d.quadrature(sigma, 64)[0])
        if nodes is None:
            raise ValueError("grid_1d needs concrete distributions and sigma (call it outside jit/grad)")
        lo, hi = min(lo, float(nodes.min())), max(hi, float(nodes.max()))
    if not hi > lo:
        raise ValueError(f"the laws have no spread at sigma={float(np.asarray(sigma))!r} (point masses need sigma > 0)")
    dtype = jnp.result_type(float)
    return jnp.linspace(lo, hi, int(n), dtype=dtype)[:, None]


def divergences_1d(p, q, sigma: ArrayLike, x: ArrayLike) -> Divergences1d:
    r""":math:`KL(P_\sigma\|Q_\sigma)`, :math:`KL(Q_\sigma\|P_\sigma)` and :math:`JS` by the trapezoid rule on ``x``.

    With log densities :math:`\ell_p, \ell_q` on the uniform grid :math:`x_j`
    (spacing :math:`h`, trapezoid weights :math:`h_j`):

    .. math::
       KL(P\|Q) \approx \sum_j h_j e^{\ell_p(x_j)} (\ell_p - \ell_q)(x_j), \qquad
       JS = \log 2 - \tfrac12 \sum_j h_j \big[e^{\ell_p}\operatorname{softplus}(\ell_q - \ell_p)
            + e^{\ell_q}\operatorname{softplus}(\ell_p - \ell_q)\big](x_j).

    The grid is fixed, so gradients in the laws' parameters act on the
    densities (the "score" form), not on moving nodes: an independent route
    from :mod:`gantoy.distances.smoothed`'s reparameterised rules. For smooth densities
    that vanish at the ends the trapezoid rule converges exponentially in the
    number of points per standard deviation (about :math:`e^{-2\pi^2 (s/h)^2}`).

    Args:
      p, q: 1-d laws with ``log_prob_smoothed`` (e.g. :class:`GaussianMixture`).
      sigma: scalar smoothing.
      x: ``[n, 1]`` uniform grid (:func:`grid_1d`).

    Returns:
      A :class:`Divergences1d`.

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> p, q = gaussian_mixture([[0.0]], 1.0), gaussian_mixture([[2.0]], 1.0)
    >>> r = divergences_1d(p, q, 0.0, grid_1d(p, q, sigma=0.0, n=801))
    >>> round(float(r.kl_pq), 5), round(float(r.kl_qp), 5)   # (mu_p - mu_q)^2 / 2
    (2.0, 2.0)
    """
    _check_1d(p, "p")
    _check_1d(q, "q")
    _check_sigma(sigma, positive=False)
    x = jnp.asarray(x)
    if x.ndim != 2 or x.shape[1] != 1 or x.shape[0] < 3:
        raise ValueError(f"x must be a grid of shape [n, 1] with n >= 3; got {x.shape}")
    h = (x[-1, 0] - x[0, 0]) / (x.shape[0] - 1)
    trap = jnp.full(x.shape[:1], h, x.dtype).at[jnp.array([0, -1])].multiply(0.5)
    lp = p.log_prob_smoothed(x, sigma)
    lq = q.log_prob_smoothed(x, sigma)
    wp, wq = trap * jnp.exp(lp), trap * jnp.exp(lq)
    kl_pq = jnp.sum(wp * (lp - lq))
    kl_qp = jnp.sum(wq * (lq - lp))
    js = _LOG2 - 0.5 * jnp.sum(wp * jax.nn.softplus(lq - lp)) - 0.5 * jnp.sum(wq * jax.nn.softplus(lp - lq))
    return Divergences1d(kl_pq, kl_qp, js)


# --- Theorem 2.5 --------------------------------------------------------------------------------


class LogDGradients(NamedTuple):
    r"""Gradients at :math:`\theta_0` (each ``[k]``, like ``theta0``) from :func:`logd_gradient_identity`.

    Attributes:
      nonsaturating: :math:`E_z[-\nabla_\theta \log D^*_{\theta_0}(G_\theta(z))]`, D* held fixed
        (the theorem's left side), by the reparameterised quadrature of :math:`P_\theta`.
      kl_minus_2js: :math:`\nabla_\theta[KL(P_\theta\|P_r) - 2 JS(P_r, P_\theta)]` (right side), on a fixed grid.
      moving_dstar: :math:`\nabla_\theta E_{P_\theta}[-\log D^*_\theta]` with D* re-optimised for each
        :math:`\theta`: *not* the theorem's quantity (it differs in general).
      minimax: :math:`E_z[\nabla_\theta \log(1 - D^*_{\theta_0}(G_\theta(z)))]` (the original loss).
      two_js: :math:`\nabla_\theta\, 2 JS(P_r, P_\theta)`, which ``minimax`` equals (Goodfellow et al. 2014).
      relative_error: :math:`\|\text{nonsaturating} - \text{kl\_minus\_2js}\| / \|\text{kl\_minus\_2js}\|`.
    """

    nonsaturating: Array
    kl_minus_2js: Array
    moving_dstar: Array
    minimax: Array
    two_js: Array
    relative_error: Array


def _pathwise_rule(mix: GaussianMixture, sigma, n: int, width: float = 16.0) -> tuple[Array, Array]:
    r"""Reparameterised rule for :math:`E_{P_\sigma}` of a 1-d mixture: nodes ``[k n, 1]``, log weights ``[k n]``.

    :math:`x_{cj} = \mu_c + s_c z_j` (:math:`s_c^2 = \text{std}_c^2 + \sigma^2`) on a
    uniform grid :math:`z_j \in [-w, w]` with trapezoid weights
    :math:`w_c \varphi(z_j) \Delta z`: the generator :math:`G_\theta(c, z)` evaluated
    at fixed codes. Unlike Gauss-Hermite it resolves integrands with sharp
    transitions (log-density ratios of well separated modes) once
    :math:`\Delta z` is below their width in units of :math:`s_c`.
    """
    z = np.linspace(-width, width, n)
    dz = z[1] - z[0]
    log_phi = -0.5 * z * z - 0.5 * math.log(2.0 * math.pi) + math.log(dz)
    dtype = mix.means.dtype
    z, log_phi = jnp.asarray(z, dtype), jnp.asarray(log_phi, dtype)
    s = jnp.sqrt(mix.std**2 + jnp.asarray(sigma, dtype) ** 2)  # [k]
    nodes = mix.means[:, 0][:, None] + s[:, None] * z[None, :]  # [k, n]
    log_w = jnp.log(mix.weights)[:, None] + log_phi[None, :]
    return nodes.reshape(-1, 1), log_w.reshape(-1)


def logd_gradient_identity(
    family: Callable[[Array], GaussianMixture],
    theta0: ArrayLike,
    p_r,
    sigma: ArrayLike,
    *,
    n_z: int = 4001,
    n_grid: int = 8001,
) -> LogDGradients:
    r"""Both sides of Arjovsky & Bottou's Theorem 2.5, computed independently.

    Let :math:`D^*_{\theta_0} = p_r / (p_r + p_{\theta_0})` be the optimal
    discriminator for the generator at :math:`\theta_0`, *fixed*. Then

    .. math::
       E_z\big[-\nabla_\theta \log D^*_{\theta_0}(G_\theta(z))\big]_{\theta_0}
         = \nabla_\theta\big[KL(P_\theta\|P_r) - 2 JS(P_r, P_\theta)\big]_{\theta_0},

    and, for the original loss, :math:`E_z[\nabla_\theta \log(1 - D^*_{\theta_0}(G_\theta(z)))]
    = \nabla_\theta 2 JS(P_r, P_\theta)`. The KL term pulls :math:`P_\theta`
    onto :math:`P_r` (reverse KL: mode seeking), :math:`-2 JS` pushes it away.

    Left sides: the pathwise (reparameterised) gradient
    :math:`\sum_j w_j \nabla_\theta f(G_\theta(c_j, z_j))` over fixed codes
    (component :math:`c`, a uniform grid of ``n_z`` values of :math:`z` on
    [-16, 16] with Gaussian trapezoid weights), with
    :math:`f = -\log D^*_{\theta_0}` built from ``family(theta0)`` outside the
    differentiation. Right sides: :func:`divergences_1d` on a fixed grid of
    ``n_grid`` points, differentiated through the densities. Both rules
    converge exponentially once their spacing resolves the sharpest feature,
    the switch between modes of width about :math:`s^2 / \Delta` (:math:`s`:
    smoothed std, :math:`\Delta`: distance between modes). Use float64
    (``jax.enable_x64``) for agreement to ~1e-10.

    Args:
      family: ``theta [k] -> P_theta``, a 1-d :class:`GaussianMixture` whose
        means or stds depend on ``theta`` (weights that depend on ``theta``
        enter through the rule's weights :math:`w_c`, which is exact too).
      theta0: ``[k]`` the point where gradients are taken.
      p_r: the data law (1-d, with ``log_prob_smoothed``).
      sigma: smoothing (instance noise) of both laws, scalar.
      n_z: codes per component of the left sides' rule.
      n_grid: grid points of the right sides.

    Returns:
      A :class:`LogDGradients`.

    References:
      Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs", Thm. 2.5.
      Goodfellow et al. (2014), "Generative Adversarial Nets", Thm. 1.

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> p_r = gaussian_mixture([[0.0]], 0.0)
    >>> family = lambda th: gaussian_mixture(th[:, None], 0.0)
    >>> with jax.enable_x64(True):
    ...     g = logd_gradient_identity(family, jnp.array([1.0]), p_r, 1.0)
    >>> [round(float(v), 6) for v in (g.nonsaturating[0], g.kl_minus_2js[0], g.minimax[0], g.two_js[0])]
    [0.602027, 0.602027, 0.397973, 0.397973]
    """
    _check_1d(p_r, "p_r")
    theta0 = jnp.asarray(theta0, jnp.result_type(float))
    if theta0.ndim != 1:
        raise ValueError(f"theta0 must have shape [k]; got {theta0.shape}")
    _check_sigma(sigma, positive=False)
    for name, n in (("n_z", n_z), ("n_grid", n_grid)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
            raise ValueError(f"{name} must be an int >= 3; got {n!r}")
    p0 = family(theta0)
    if not isinstance(p0, GaussianMixture):
        raise ValueError(f"family(theta) must return a GaussianMixture; got {type(p0).__name__}")
    _check_1d(p0, "family(theta0)")
    x = grid_1d(p_r, p0, sigma=sigma, n=n_grid)
    sigma = jnp.asarray(sigma, theta0.dtype)
    return _identity_program(family, int(n_z))(theta0, p_r, sigma, x)


@program_cache(maxsize=32)
def _identity_program(family, n_z):
    """The five gradients of :func:`logd_gradient_identity` as one compiled program (cached per family)."""

    def grads(theta0, p_r, sigma, x):
        p0 = family(theta0)  # D* is built from theta0 and never differentiated

        def expect(theta, f):
            nodes, log_w = _pathwise_rule(family(theta), sigma, n_z)
            return jnp.sum(jnp.exp(log_w) * f(nodes))

        def log_ratio_fixed(nodes):  # log p_theta0 - log p_r: D* frozen at theta0
            return p0.log_prob_smoothed(nodes, sigma) - p_r.log_prob_smoothed(nodes, sigma)

        ns = lambda th: expect(th, lambda v: jax.nn.softplus(log_ratio_fixed(v)))  # -log D*_theta0
        mm = lambda th: expect(th, lambda v: -jax.nn.softplus(-log_ratio_fixed(v)))  # log(1 - D*_theta0)

        def moving(th):
            pt = family(th)
            return expect(th, lambda v: jax.nn.softplus(pt.log_prob_smoothed(v, sigma) - p_r.log_prob_smoothed(v, sigma)))

        def kl_2js(th):
            d = divergences_1d(family(th), p_r, sigma, x)
            return d.kl_pq - 2.0 * d.js

        two_js = lambda th: 2.0 * divergences_1d(family(th), p_r, sigma, x).js
        lhs, rhs = jax.grad(ns)(theta0), jax.grad(kl_2js)(theta0)
        return LogDGradients(
            nonsaturating=lhs,
            kl_minus_2js=rhs,
            moving_dstar=jax.grad(moving)(theta0),
            minimax=jax.grad(mm)(theta0),
            two_js=jax.grad(two_js)(theta0),
            relative_error=jnp.linalg.norm(lhs - rhs) / jnp.linalg.norm(rhs),
        )

    return jax.jit(grads)


# --- KL of a generator that covers one mode --------------------------------------------------


def one_mode_kl_gap_bounds(mixture: GaussianMixture, sigma: ArrayLike, mode: int = 0) -> tuple[Array, Array]:
    r"""Bounds on :math:`\log m - KL(N_i \| P_r)` for a generator that is exactly mode ``i`` of ``P_r``.

    For :math:`P_r = \frac1m \sum_k N(\mu_k, s^2 I)` (equal weights, equal
    :math:`s^2 = \text{std}^2 + \sigma^2`) and :math:`P_g = N(\mu_i, s^2 I)`,

    .. math::
       KL(P_g \| P_r) = \log m - E_{x \sim P_g}\Big[\log\Big(1 + \sum_{k \ne i} \tfrac{N_k(x)}{N_i(x)}\Big)\Big].

    Along the line through :math:`\mu_i, \mu_k`, :math:`\log(N_k / N_i) = r_k Z - r_k^2/2`
    with :math:`r_k = |\mu_k - \mu_i| / s`, :math:`Z \sim N(0, 1)`, so each single
    term is :math:`g(r_k) = E[\operatorname{softplus}(r_k Z - r_k^2 / 2)]
    = \log 2 - JS(N(0,1), N(r_k, 1))` (:func:`gantoy.distances.smoothed.js_parallel_lines`).
    Monotonicity and subadditivity of :math:`\log(1 + \cdot)` give

    .. math::
       \max_{k \ne i} g(r_k) \;\le\; \log m - KL \;\le\; \sum_{k \ne i} g(r_k),

    and :math:`g(r) \approx e^{-r^2/8}`-small: for the ring of 8 (neighbours
    1.53 apart, std 0.02) the gap underflows to 0, so :math:`KL = \log 8`.

    Args:
      mixture: an isotropic :class:`GaussianMixture` with equal weights and stds.
      sigma: extra smoothing, scalar >= 0.
      mode: index ``i`` of the covered mode.

    Returns:
      ``(lower, upper)`` scalars.

    References:
      Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs", Sec. 2.2.

    >>> from gantoy.measures.distributions import ring8
    >>> lo, hi = one_mode_kl_gap_bounds(ring8(), 0.0)
    >>> float(lo), float(hi)
    (0.0, 0.0)
    >>> lo, hi = one_mode_kl_gap_bounds(ring8(), 0.3)
    >>> 0 < float(lo) < float(hi) < 0.1
    True
    """
    if not isinstance(mixture, GaussianMixture):
        raise ValueError(f"mixture must be a gantoy GaussianMixture; got {type(mixture).__name__}")
    _check_sigma(sigma, positive=False)
    m = mixture.means.shape[0]
    if isinstance(mode, bool) or not isinstance(mode, (int, np.integer)) or not 0 <= mode < m:
        raise ValueError(f"mode must be an int in [0, {m}); got {mode!r}")
    if m < 2:
        raise ValueError("mixture must have at least 2 modes")
    w, s0 = _concrete(mixture.weights), _concrete(mixture.std)
    if w is not None and not np.allclose(w, 1.0 / m, rtol=1e-12, atol=0):
        raise ValueError(f"mixture weights must be equal (1/{m}); got {w}")
    if s0 is not None and not np.all(s0 == s0[0]):
        raise ValueError(f"mixture stds must be equal; got {s0}")
    s = jnp.sqrt(mixture.std[0] ** 2 + jnp.asarray(sigma, mixture.means.dtype) ** 2)
    others = jnp.delete(mixture.means, mode, axis=0)
    dist = jnp.sqrt(jnp.sum((others - mixture.means[mode][None, :]) ** 2, axis=1))
    gaps = _LOG2 - jax.vmap(js_parallel_lines, in_axes=(0, None))(dist, s)
    return jnp.max(gaps), jnp.sum(gaps)


# --- mode collapse over training ---------------------------------------------------------------


class CollapseSummary(NamedTuple):
    """What :func:`summarize_collapse` returns: numpy arrays, ``[seeds, snaps]`` unless noted.

    Attributes:
      covered: VEEGAN modes covered (a high-quality sample nearest to the mode).
      high_quality: fraction of samples within 3 std of their nearest mode.
      mass: ``[seeds, snaps, m]`` fraction of samples whose nearest mode is each mode
        (float32; NaN for a snapshot whose samples all diverged).
      modes_with_mass: modes holding at least ``min_frac`` of the samples.
      dominant: index of the mode holding the most samples (``-1`` when every
        sample diverged).
      hops: ``[seeds]`` changes of the dominant mode between consecutive snapshots
        (a blob drifting through empty space changes its nearest mode too: see ``jumps``).
      distinct: ``[seeds]`` distinct dominant modes visited.
      near: fraction of the samples within ``radius`` of some mode.
      held: modes holding at least ``min_frac`` of all samples *within* ``radius``:
        a blob in empty space holds none.
      held_mode: the mode with at least half of all samples within ``radius``
        of it, else -1 (:func:`gantoy.gan.metrics.held_mode`).
      jumps: ``[seeds]`` jumps between held modes over the snapshots
        (:func:`gantoy.gan.metrics.mode_jumps`; Metz et al. 2016, Fig. 1).
      spread: covariance trace of the samples over the data's (1 for the data
        itself, :func:`gantoy.gan.metrics.covariance_trace`).
      radius: the radius used (scalar).
    """

    covered: np.ndarray
    high_quality: np.ndarray
    mass: np.ndarray
    modes_with_mass: np.ndarray
    dominant: np.ndarray
    hops: np.ndarray
    distinct: np.ndarray
    near: np.ndarray
    held: np.ndarray
    held_mode: np.ndarray
    jumps: np.ndarray
    spread: np.ndarray
    radius: float


def count_hops(dominant: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Changes of the dominant mode between consecutive snapshots, and distinct modes visited.

    A snapshot whose samples all diverged has no dominant mode (index ``-1``,
    see :func:`gantoy.gan.metrics.dominant_mode`): it is neither a mode visited nor
    one end of a hop.

    Args:
      dominant: ``[..., snaps]`` integer mode indices (``-1``: no mode).

    Returns:
      ``(hops, distinct)``, each ``[...]``.

    >>> h, d = count_hops([[3, 3, 5, 3, 0], [1, 1, 1, 1, 1], [2, -1, 2, 4, -1]])
    >>> h.tolist(), d.tolist()
    ([3, 0, 1], [3, 1, 2])
    """
    dom = np.asarray(dominant)
    if dom.ndim < 1 or dom.shape[-1] < 1 or not np.issubdtype(dom.dtype, np.integer):
        raise ValueError(f"dominant must be integers of shape [..., snaps] with snaps >= 1; got {dom.dtype} {dom.shape}")
    both = (dom[..., 1:] >= 0) & (dom[..., :-1] >= 0)
    hops = np.sum((dom[..., 1:] != dom[..., :-1]) & both, axis=-1)
    flat = dom.reshape(-1, dom.shape[-1])
    distinct = np.array([len(np.unique(r[r >= 0])) for r in flat]).reshape(dom.shape[:-1])
    return hops, distinct


@program_cache(maxsize=8)
def _coverage_program(threshold: float):
    one = lambda s, modes, std: mode_coverage(s, modes, std, threshold=threshold)
    return jax.jit(jax.vmap(one, in_axes=(0, None, None)))


def snapshot_coverage(snapshots: ArrayLike, mixture, *, threshold: float = 3.0):
    """VEEGAN mode coverage of every ``[n, d]`` sample set in a ``[..., n, d]`` stack.

    :func:`gantoy.mode_coverage` mapped over all leading axes, e.g. the
    ``[seeds, snapshots, n, d]`` array of :class:`gantoy.TrainResult`, in one
    compiled program. :func:`summarize_collapse` builds on it.

    Args:
      snapshots: ``[..., n, d]`` generator samples.
      mixture: the data, with ``.modes`` ``[m, d]`` and ``.std`` (scalar or
        ``[m]``, ``> 0``), e.g. ``gantoy.ring8()``.
      threshold: high quality within ``threshold * std`` of the nearest mode.

    Returns:
      A :class:`gantoy.gan.metrics.ModeCoverage` of numpy arrays whose fields have the
      leading shape ``[...]`` (``counts`` ``[..., m]``).

    References:
      Srivastava et al. 2017, "VEEGAN", Sec. 5.1.

    >>> class Two:
    ...     modes, std = jnp.array([[0.0, 0.0], [5.0, 0.0]]), 0.1
    >>> s = jnp.zeros((3, 2, 10, 2)).at[0, 1, :5, 0].set(5.0)
    >>> snapshot_coverage(s, Two()).covered.tolist()
    [[1, 2], [1, 1], [1, 1]]
    """
    x = jnp.asarray(snapshots)
    if x.ndim < 2:
        raise ValueError(f"snapshots must be [..., n, d]; got shape {x.shape}")
    if not (hasattr(mixture, "modes") and hasattr(mixture, "std")):
        raise ValueError("mixture must have .modes and .std (e.g. gantoy.ring8())")
    std = _concrete(mixture.std)
    if std is not None and not np.all(std > 0):
        raise ValueError(f"mixture.std must be > 0; got {std}")
    lead = x.shape[:-2]
    flat = x.reshape((-1,) + x.shape[-2:])
    cov = _coverage_program(float(threshold))(flat, jnp.asarray(mixture.modes), jnp.asarray(mixture.std))
    return ModeCoverage(*(np.asarray(f).reshape(lead + np.shape(f)[1:]) for f in cov))


def summarize_collapse(
    snapshots: ArrayLike,
    mixture,
    *,
    min_frac: float | None = None,
    threshold: float = 3.0,
    radius: float | None = None,
) -> CollapseSummary:
    """Mode coverage, mass near each mode, diversity and mode hopping of generator snapshots.

    Applies :func:`gantoy.gan.metrics.mode_coverage` (VEEGAN: 3 std) to every
    snapshot of every seed (:func:`snapshot_coverage`), and tracks the
    dominant mode across snapshots. Collapse is told from a blob in empty
    space by where the samples are: a mode counts (``held``) only for the
    samples within ``radius`` of it, the generator sits at a mode
    (``held_mode``) when the majority of its samples are that close, and
    ``jumps`` counts changes between such modes. ``spread`` (covariance trace
    over the data's) is the diversity number beside them.

    Args:
      snapshots: ``[seeds, snaps, n, d]`` samples (``TrainResult.snapshots``).
      mixture: the data, with ``.modes`` and ``.std`` (``ring8()``, ``grid25()``).
      min_frac: share of samples a mode must hold to count in
        ``modes_with_mass``; default ``0.4 / m`` (5% on the ring of 8).
      threshold: VEEGAN's quality radius in std.
      radius: distance within which a sample is *at* a mode; default a quarter
        of the smallest distance between two modes (0.38 on the ring of 8,
        0.5 on the grid of 25), fixed by the geometry, not by the samples.

    Returns:
      A :class:`CollapseSummary`.

    References:
      Srivastava et al. (2017), "VEEGAN", Sec. 5.1; Metz et al. (2016), Fig. 1.

    >>> from gantoy.measures.distributions import ring8
    >>> ring = ring8()
    >>> snaps = jnp.stack([jnp.tile(ring.modes[k], (10, 1)) for k in (0, 0, 3)])[None]   # [1, 3, 10, 2]
    >>> s = summarize_collapse(snaps, ring)
    >>> s.covered.tolist(), s.dominant.tolist(), s.hops.tolist()
    ([[1, 1, 1]], [[0, 0, 3]], [1])
    """
    x = jnp.asarray(snapshots)
    if x.ndim != 4:
        raise ValueError(f"snapshots must be [seeds, snaps, n, d]; got shape {x.shape}")
    if not hasattr(mixture, "modes"):
        raise ValueError("mixture must have .modes and .std (e.g. gantoy.ring8())")
    m = int(mixture.modes.shape[0])
    if min_frac is None:
        min_frac = 0.4 / m
    if not 0 < min_frac <= 1:
        raise ValueError(f"min_frac must be in (0, 1]; got {min_frac!r}")
    if radius is None:
        radius = 0.25 * mode_spacing(mixture)
    if not radius > 0:
        raise ValueError(f"radius must be > 0; got {radius!r}")
    cov = snapshot_coverage(x, mixture, threshold=threshold)
    counts = np.asarray(cov.counts)
    total = counts.sum(axis=-1, keepdims=True)
    dom = np.asarray(dominant_mode(counts))
    hops, distinct = count_hops(dom)
    std = np.broadcast_to(np.asarray(mixture.std, dtype=float), (m,))
    if not np.all(std == std[0]):
        raise ValueError("summarize_collapse needs modes of equal std for its radius")
    near_cov = snapshot_coverage(x, mixture, threshold=float(radius) / float(std[0]))
    near_counts = np.asarray(near_cov.hq_counts)
    n_all = x.shape[-2]
    held = held_mode(near_counts, np.full(near_counts.shape[:-1], n_all), 0.5)
    return CollapseSummary(
        covered=np.asarray(cov.covered),
        high_quality=np.asarray(cov.high_quality),
        mass=np.divide(counts, total, out=np.full(counts.shape, np.nan, np.float32), where=total > 0, dtype=np.float32),
        modes_with_mass=np.asarray(modes_with_mass(counts, min_frac)),
        dominant=dom,
        hops=hops,
        distinct=distinct,
        near=near_counts.sum(axis=-1) / n_all,
        held=np.sum(near_counts >= min_frac * n_all, axis=-1),
        held_mode=np.asarray(held),
        jumps=mode_jumps(np.asarray(held)),
        spread=np.asarray(covariance_trace(x)) / mixture_covariance_trace(mixture),
        radius=float(radius),
    )


def collapse_test(summary: CollapseSummary, *, max_held: int, min_near: float = 0.5, max_spread: float = 0.36) -> np.ndarray:
    """Which snapshots show mode collapse onto the data, not a blob in empty space: ``[seeds, snaps]`` bool.

    A snapshot passes when (i) at least ``min_near`` of its samples lie within
    ``summary.radius`` of some mode (the mass is *on* the data), (ii) between 1
    and ``max_held`` modes hold mass there (few modes), and (iii) the spread
    (covariance trace over the data's) is at most ``max_spread`` (little
    diversity; three adjacent modes of the ring of 8 with equal mass give 0.352,
    a 3x3 block of the grid of 25 gives 0.333).

    >>> from gantoy.measures.distributions import ring8
    >>> ring = ring8()
    >>> one, every = jnp.tile(ring.modes[2], (80, 1)), jnp.repeat(ring.modes, 10, axis=0)
    >>> centre = jnp.zeros((80, 2))
    >>> collapse_test(summarize_collapse(jnp.stack([centre, one, every])[None], ring), max_held=3).tolist()
    [[False, True, False]]
    """
    if not isinstance(summary, CollapseSummary):
        raise ValueError(f"summary must be a CollapseSummary; got {type(summary).__name__}")
    if isinstance(max_held, bool) or not isinstance(max_held, (int, np.integer)) or max_held < 1:
        raise ValueError(f"max_held must be an int >= 1; got {max_held!r}")
    held = np.asarray(summary.held)
    return (np.asarray(summary.near) >= min_near) & (held >= 1) & (held <= max_held) & (np.asarray(summary.spread) <= max_spread)


# --- Theorem 2.6: a noisy discriminator ------------------------------------------------------


class PerturbedGradients(NamedTuple):
    r"""Per-sample generator gradients under a noisy discriminator (:func:`perturbed_generator_gradients`), each ``[n]``.

    Attributes:
      nonsaturating: :math:`\partial_x[-\log D](x)`, the sample's contribution to the
        gradient of the :math:`-\log D` loss (for :math:`G_\theta(z) = \theta + z`
        it is :math:`\partial_\theta`).
      minimax: :math:`\partial_x \log(1 - D)(x)`, the original loss's.
      d_star: :math:`D^*(x)` before the noise.
    """

    nonsaturating: Array
    minimax: Array
    d_star: Array


def perturbed_generator_gradients(
    key: jax.Array,
    p_r,
    p_g,
    sigma: ArrayLike,
    x: ArrayLike,
    *,
    noise: float,
    grad_noise: float | None = None,
    space: str = "probability",
) -> PerturbedGradients:
    r"""Arjovsky & Bottou's Theorem 2.6: generator gradients through a noisy optimal discriminator.

    The theorem takes :math:`D = D^* + \varepsilon` and
    :math:`\nabla_x D = \nabla_x D^* + r` with :math:`\varepsilon, r` independent
    centred Gaussian white noise (independent at every :math:`x`). Where the
    supports are apart, :math:`D^* \approx 0` and :math:`\nabla_x D^* \approx 0`
    on the generator's samples, so

    .. math::
       \partial_x[-\log D] = -\frac{\nabla_x D^* + r}{D^* + \varepsilon} \approx -\frac{r}{\varepsilon}
       \quad\text{(Cauchy: no mean, no variance)}, \qquad
       \partial_x \log(1 - D) = -\frac{\nabla_x D^* + r}{1 - D^* - \varepsilon} \approx -r
       \quad\text{(Gaussian)}.

    A batch mean of Cauchy variables is Cauchy with the same scale: the
    :math:`-\log D` gradient estimate does not settle as the batch grows.
    The formulas are the derivatives of the losses as functions of :math:`D`
    (the theorem's :math:`\nabla\log D = \nabla D / D`), evaluated even where
    the noise makes :math:`D` leave :math:`[0, 1]`.

    With ``space="logit"`` the noise goes on the logit instead,
    :math:`\ell = \log(p_r/p_g) + \varepsilon`, :math:`\nabla_x\ell = \nabla_x \log(p_r/p_g) + r`,
    :math:`D = \operatorname{sigmoid}(\ell)`: then
    :math:`\partial_x[-\log D] = -(1 - D)\nabla_x\ell` and
    :math:`\partial_x\log(1-D) = -D\,\nabla_x\ell`, both bounded by
    :math:`|\nabla_x \ell|`: no heavy tail.

    Args:
      key: PRNG key for the noise.
      p_r, p_g: 1-d laws with ``log_prob_smoothed`` (e.g. :class:`GaussianMixture`).
      sigma: smoothing (instance noise) of both, scalar.
      x: ``[n, 1]`` points (the generator's samples).
      noise: std of :math:`\varepsilon` (> 0).
      grad_noise: std of :math:`r` (default ``noise``).
      space: ``"probability"`` (the theorem) or ``"logit"``.

    Returns:
      A :class:`PerturbedGradients`.

    References:
      Arjovsky, Bottou (2017), "Towards Principled Methods for Training GANs", Thm. 2.6.

    >>> from gantoy.measures.distributions import gaussian_mixture
    >>> p_r, p_g = gaussian_mixture([[0.0]], 0.0), gaussian_mixture([[1.0]], 0.0)
    >>> x = jnp.ones((4, 1))
    >>> g = perturbed_generator_gradients(jax.random.key(0), p_r, p_g, 0.1, x, noise=1e-2)
    >>> bool(jnp.all(g.d_star < 1e-20)), g.nonsaturating.shape
    (True, (4,))
    """
    _check_1d(p_r, "p_r")
    _check_1d(p_g, "p_g")
    _check_sigma(sigma, positive=False)
    x = jnp.asarray(x)
    if x.ndim != 2 or x.shape[1] != 1:
        raise ValueError(f"x must be [n, 1]; got shape {x.shape}")
    if not noise > 0:
        raise ValueError(f"noise must be > 0; got {noise!r}")
    grad_noise = noise if grad_noise is None else grad_noise
    if not grad_noise > 0:
        raise ValueError(f"grad_noise must be > 0; got {grad_noise!r}")
    if space not in ("probability", "logit"):
        raise ValueError(f"space must be 'probability' or 'logit'; got {space!r}")

    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.result_type(float)
    return _perturbed_program(space)(key, p_r, p_g, jnp.asarray(sigma, dtype), x.astype(dtype),
                                     jnp.asarray(noise, dtype), jnp.asarray(grad_noise, dtype))


@program_cache(maxsize=4)
def _perturbed_program(space: str):
    """:func:`perturbed_generator_gradients` as one compiled program per noise model."""

    def run(key, p_r, p_g, sigma, x, noise, grad_noise):
        def logit(v):  # log p_r - log p_g at one point [1]
            return (p_r.log_prob_smoothed(v[None], sigma) - p_g.log_prob_smoothed(v[None], sigma))[0]

        ell = jax.vmap(logit)(x)
        dell = jax.vmap(jax.grad(logit))(x)[:, 0]
        k1, k2 = jax.random.split(key)
        eps = noise * jax.random.normal(k1, ell.shape, ell.dtype)
        r = grad_noise * jax.random.normal(k2, ell.shape, ell.dtype)
        d_star = jax.nn.sigmoid(ell)
        if space == "probability":
            d = d_star + eps
            dd = d_star * (1.0 - d_star) * dell + r  # grad D* = D*(1 - D*) grad(logit)
            return PerturbedGradients(-dd / d, -dd / (1.0 - d), d_star)
        ell_n, dell_n = ell + eps, dell + r
        d = jax.nn.sigmoid(ell_n)
        return PerturbedGradients(-(1.0 - d) * dell_n, -d * dell_n, d_star)

    return jax.jit(run)


def tail_index(values: ArrayLike, k: int) -> float:
    r"""Hill's estimate of the tail index :math:`\alpha` of :math:`|X|` from its ``k`` largest values.

    With :math:`|X|_{(1)} \ge |X|_{(2)} \ge \dots` the order statistics,

    .. math:: \hat\alpha = \Big[\frac1k \sum_{i=1}^{k} \log\frac{|X|_{(i)}}{|X|_{(k+1)}}\Big]^{-1}.

    For a tail :math:`P(|X| > t) \sim t^{-\alpha}`, :math:`\hat\alpha \to \alpha`:
    1 for a Cauchy variable (no mean), 2 is the edge of a finite variance.
    Light (Gaussian) tails give large values that grow with the sample size
    (about :math:`u^2` for the threshold :math:`u` in standard deviations).

    Args:
      values: ``[n]`` samples (signs ignored).
      k: number of upper order statistics, ``1 <= k < n``.

    Returns:
      :math:`\hat\alpha` (float).

    References:
      Hill (1975), "A simple general approach to inference about the tail of a distribution".

    >>> t = 1.0 / (1.0 - np.linspace(0.0, 0.999999, 100_001))   # Pareto quantiles, alpha = 1
    >>> round(tail_index(t, 1000), 2)
    1.0
    """
    v = np.abs(np.asarray(values, dtype=float)).ravel()
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < v.size:
        raise ValueError(f"k must be an int in [1, n); got {k!r} for n = {v.size}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    top = np.sort(v)[::-1][: k + 1]
    if top[k] <= 0:
        raise ValueError("the (k+1)-th largest |value| is 0: take a smaller k")
    return float(1.0 / np.mean(np.log(top[:k] / top[k])))

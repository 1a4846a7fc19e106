r"""Two-player games small enough to solve by hand: the bilinear game and the Dirac-GAN.

A two-player game here has one generator parameter :math:`\theta` and one
discriminator (critic) parameter :math:`\psi`, stacked as ``z = [theta, psi]``
(shape ``[2]``). Each player minimises its own loss, :math:`L_G(\theta, \psi)`
over :math:`\theta` and :math:`L_D(\theta, \psi)` over :math:`\psi`; the
*gradient vector field* is the direction both players move in,

.. math::

    v(\theta, \psi) = \bigl(-\partial_\theta L_G(\theta, \psi),\;
                            -\partial_\psi L_D(\theta, \psi)\bigr).

Training is then a discretisation of the flow :math:`\dot z = v(z)`:
simultaneous gradient descent :math:`z_{k+1} = z_k + h\, v(z_k)`, alternating
gradient descent (``n_critic`` critic steps, then one generator step that
already sees the new critic) or the continuous flow itself (fine-step RK4).
Whether the iterates reach the equilibrium :math:`v(z^*) = 0` is decided by the
eigenvalues of the Jacobian :math:`\partial v / \partial z` at :math:`z^*`:
purely imaginary eigenvalues (a rotation) make simultaneous descent spiral
outwards for every step size.

Games:

* :func:`bilinear_game`: :math:`V(x, y) = x y`, ``x`` minimises, ``y`` maximises;
  Nash equilibrium ``(0, 0)``; :math:`v = (-y, x)`, a pure rotation.
* :func:`dirac_gan`: Mescheder et al. (2018), Sec. 2. Data
  :math:`p_\mathcal{D} = \delta_0`, generator :math:`p_\theta = \delta_\theta`,
  linear discriminator :math:`D_\psi(x) = \psi x` and objective

  .. math::

      L(\theta, \psi) = \mathbb{E}_{x\sim p_\theta} f(D_\psi(x))
                      + \mathbb{E}_{x\sim p_\mathcal{D}} f(-D_\psi(x))
                      = f(\psi\theta) + f(0),

  which the discriminator maximises and the generator minimises (the paper's
  sign convention), with :math:`f(t) = -\log(1 + e^{-t})` (``"standard"``),
  the same :math:`f` with the generator maximising :math:`f(-D_\psi(G))`
  instead (``"non_saturating"``) or :math:`f(t) = t` (``"wgan"``). The unique
  equilibrium is ``(0, 0)`` and the Jacobian there has eigenvalues
  :math:`\pm i f'(0)` (their Sec. 2; :math:`f'(0) = 1/2` for the standard
  loss, 1 for WGAN). Regularisers: R1 :math:`\frac{\gamma}{2}
  \mathbb{E}_{p_\mathcal{D}} \|\nabla_x D_\psi\|^2`, the WGAN-GP penalty
  :math:`\lambda (\|\nabla_x D_\psi(\hat x)\| - g_0)^2`, instance
  noise :math:`\mathcal{N}(0, \sigma^2)` on real and fake samples (expectations
  by Gauss-Hermite quadrature, so no randomness), WGAN weight clipping
  :math:`|\psi| \le c`.

Everything is pure JAX: the trajectories are :func:`jax.lax.scan` loops, one
initial point ``[2]`` each (``jax.vmap`` them for many starts); use float64
(``jax.enable_x64``) for the 1e-10 checks.

References:
  Mescheder, Geiger & Nowozin (2018), "Which Training Methods for GANs do
  actually Converge?", ICML, Sec. 2-3 and Figs. 1-3.
  Gulrajani et al. (2017), "Improved Training of Wasserstein GANs" (the
  gradient penalty :math:`\lambda (\|\nabla D\| - 1)^2`, the same convention
  as here with :math:`g_0 = 1`).
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = [
    "DIRAC_LOSSES",
    "Game",
    "two_player_game",
    "bilinear_game",
    "bilinear_invariant",
    "dirac_f",
    "dirac_f_prime0",
    "dirac_gan",
    "simultaneous_gd",
    "alternating_gd",
    "continuous_flow",
    "equilibrium_jacobian",
    "equilibrium_eigenvalues",
    "dirac_eigenvalues_closed_form",
    "vector_field_grid",
]

#: The loss functions :func:`dirac_gan` knows.
DIRAC_LOSSES = ("standard", "non_saturating", "wgan")

# f'(0) and f''(0) of each loss, by hand: f(t) = log sigmoid(t) has
# f'(t) = sigmoid(-t), f''(t) = -sigmoid(t) sigmoid(-t).
_F_PRIME0 = {"standard": 0.5, "non_saturating": 0.5, "wgan": 1.0}
_F_SECOND0 = {"standard": -0.25, "non_saturating": -0.25, "wgan": 0.0}


class Game(NamedTuple):
    """A two-player game as a gradient vector field on ``z = [theta, psi]``.

    Attributes:
      field: ``[2] -> [2]``, the vector field
        :math:`v = (-\\partial_\\theta L_G, -\\partial_\\psi L_D)`.
      project: ``[2] -> [2]``, applied after every update (identity, or WGAN's
        clipping of the critic parameter).
      name: a short label for plots.
    """

    field: Callable[[jax.Array], jax.Array]
    project: Callable[[jax.Array], jax.Array]
    name: str


def _identity(z: jax.Array) -> jax.Array:
    return z


def two_player_game(
    loss_g: Callable,
    loss_d: Callable,
    *,
    project: Callable | None = None,
    name: str = "",
) -> Game:
    r"""A :class:`Game` from the players' losses, by automatic differentiation.

    .. math::

        v(\theta, \psi) = \bigl(-\partial_\theta L_G(\theta, \psi),\;
                                -\partial_\psi L_D(\theta, \psi)\bigr)

    Args:
      loss_g: ``(theta, psi) -> scalar``, minimised by the generator over ``theta``.
      loss_d: ``(theta, psi) -> scalar``, minimised by the critic over ``psi``.
      project: optional ``[2] -> [2]`` map applied after each update.
      name: label.

    Returns:
      The :class:`Game`.

    Example:
      >>> game = two_player_game(lambda x, y: x * y, lambda x, y: -x * y)
      >>> [float(c) for c in game.field(jnp.array([1.0, 2.0]))]
      [-2.0, 1.0]
    """
    if not callable(loss_g) or not callable(loss_d):
        raise ValueError("loss_g and loss_d must be callables (theta, psi) -> scalar")
    grad_g = jax.grad(loss_g, argnums=0)
    grad_d = jax.grad(loss_d, argnums=1)

    def field(z: jax.Array) -> jax.Array:
        theta, psi = z[0], z[1]
        return jnp.stack([-grad_g(theta, psi), -grad_d(theta, psi)])

    return Game(field=field, project=_identity if project is None else project, name=name)


def bilinear_game() -> Game:
    r"""The bilinear game :math:`V(x, y) = x y`: ``x`` minimises, ``y`` maximises.

    The Nash equilibrium is ``(0, 0)`` and the vector field :math:`v = (-y, x)`
    is a rotation (Jacobian eigenvalues :math:`\pm i`). Simultaneous gradient
    descent with step :math:`h` multiplies the radius by exactly
    :math:`\sqrt{1 + h^2}` each step,

    .. math::

        \|z_{k+1}\|^2 = (x_k - h y_k)^2 + (y_k + h x_k)^2 = (1 + h^2)\, \|z_k\|^2,

    while alternating descent conserves :func:`bilinear_invariant` and orbits.

    Returns:
      The :class:`Game` with ``z = [x, y]``.

    References:
      Mescheder et al. (2018), Sec. 2; the Dirac-GAN with :math:`f(t) = t` is
      this game.

    Example:
      >>> z = simultaneous_gd(bilinear_game(), jnp.array([1.0, 0.0]), 0.5, 1)
      >>> round(float(jnp.linalg.norm(z[-1])), 6), round(math.sqrt(1.25), 6)
      (1.118034, 1.118034)
    """
    return two_player_game(lambda x, y: x * y, lambda x, y: -x * y, name="bilinear V = xy")


def bilinear_invariant(z: ArrayLike, lr: float) -> jax.Array:
    r"""The quantity alternating descent on :math:`V = x y` conserves exactly.

    One alternating step (critic first, then the generator sees the new critic)
    is :math:`y' = y + h x`, :math:`x' = x - h y'`, a linear map with
    determinant 1 (area preserving, like a symplectic integrator), and

    .. math::

        Q_h(x, y) = x^2 + y^2 + h\, x y, \qquad Q_h(x', y') = Q_h(x, y).

    For :math:`0 < h < 2`, :math:`Q_h` is positive definite, so the iterates stay
    on an ellipse: :math:`(1 - h/2) \|z\|^2 \le Q_h \le (1 + h/2) \|z\|^2`.

    Args:
      z: ``[..., 2]`` points ``(x, y)``.
      lr: the step size :math:`h` of the alternating descent.

    Returns:
      ``[...]`` values of :math:`Q_h`.

    Example:
      >>> z = alternating_gd(bilinear_game(), jnp.array([1.0, 0.0]), 0.5, 3)
      >>> [round(float(q), 6) for q in bilinear_invariant(z, 0.5)]
      [1.0, 1.0, 1.0, 1.0]
    """
    z = jnp.asarray(z)
    if z.ndim < 1 or z.shape[-1] != 2:
        raise ValueError(f"z must be [..., 2]; got shape {z.shape}")
    x, y = z[..., 0], z[..., 1]
    return x * x + y * y + lr * x * y


def _check_loss(loss: str) -> None:
    if loss not in DIRAC_LOSSES:
        raise ValueError(f"loss must be one of {DIRAC_LOSSES}; got {loss!r}")


def dirac_f(loss: str = "standard") -> Callable[[jax.Array], jax.Array]:
    r"""The function :math:`f` of the Dirac-GAN objective for ``loss``.

    .. math::

        f_\text{standard}(t) = f_\text{non\_saturating}(t) = -\log(1 + e^{-t})
        = \log\sigma(t), \qquad f_\text{wgan}(t) = t.

    (The non-saturating GAN changes only the generator's objective, not
    :math:`f`.) The standard :math:`f` is computed as ``log_sigmoid``, finite for
    every finite ``t``.

    Example:
      >>> round(float(dirac_f("standard")(0.0)), 6), round(-math.log(2), 6)
      (-0.693147, -0.693147)
    """
    _check_loss(loss)
    if loss == "wgan":
        return lambda t: jnp.asarray(t)
    return jax.nn.log_sigmoid


def dirac_f_prime0(loss: str = "standard") -> float:
    r"""Closed-form :math:`f'(0)`: 1/2 for the (non-saturating) GAN, 1 for WGAN.

    :math:`f(t) = \log\sigma(t)` has :math:`f'(t) = \sigma(-t)`, so
    :math:`f'(0) = 1/2`; the Dirac-GAN Jacobian at the equilibrium has
    eigenvalues :math:`\pm i f'(0)`.

    Example:
      >>> dirac_f_prime0("standard"), dirac_f_prime0("wgan")
      (0.5, 1.0)
    """
    _check_loss(loss)
    return _F_PRIME0[loss]


def _check_nonneg(name: str, value) -> float:
    if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _safe_abs(u: jax.Array) -> jax.Array:
    """|u| with gradient 0 (not NaN) at u = 0: the double-where trick."""
    sq = u * u
    positive = sq > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq, 1.0)), 0.0)


def dirac_gan(
    loss: str = "standard",
    *,
    r1: float = 0.0,
    gp: float = 0.0,
    gp_target: float = 1.0,
    noise: float = 0.0,
    clip: float | None = None,
    n_quadrature: int = 32,
) -> Game:
    r"""The Dirac-GAN of Mescheder et al. (2018), with optional regularisers.

    Data :math:`\delta_0`, generator :math:`\delta_\theta`, discriminator
    :math:`D_\psi(x) = \psi x`. With instance noise :math:`\varepsilon \sim
    \mathcal{N}(0, \sigma^2)` added to real and fake samples,

    .. math::

        L(\theta, \psi) = \mathbb{E}_{\varepsilon} f(D_\psi(\theta + \varepsilon))
                        + \mathbb{E}_{\varepsilon'} f(-D_\psi(\varepsilon')),

    (:math:`f(\psi\theta) + f(0)` without noise). The critic minimises

    .. math::

        L_D = -L + \frac{\gamma_1}{2} \mathbb{E}_{x \sim p_\mathcal{D}}
              |\nabla_x D_\psi(x)|^2
              + \lambda (|\nabla_x D_\psi(\hat x)| - g_0)^2,

    where :math:`\hat x` lies between real and fake (here
    :math:`\nabla_x D_\psi = \psi` everywhere, so both penalties are functions of
    :math:`\psi` alone: :math:`\frac{\gamma_1}{2}\psi^2` and
    :math:`\lambda(|\psi| - g_0)^2`). The generator minimises
    :math:`L_G = L` (``"standard"``, ``"wgan"``) or
    :math:`L_G = -\mathbb{E} f(-D_\psi(\theta + \varepsilon))`
    (``"non_saturating"``). Without noise the field is

    .. math::

        v(\theta, \psi) = \bigl(-\psi f'(\pm\psi\theta),\;
                                \theta f'(\psi\theta) - \gamma_1 \psi - \dots\bigr),

    (``-`` sign inside :math:`f'` for the non-saturating generator), and at the
    equilibrium ``(0, 0)`` the Jacobian is
    :math:`\begin{pmatrix} 0 & -f'(0) \\ f'(0) & 2\sigma^2 f''(0) - \gamma_1 \end{pmatrix}`.

    Args:
      loss: one of :data:`DIRAC_LOSSES`.
      r1: :math:`\gamma_1 \ge 0`, weight of the R1 penalty on real data.
      gp: :math:`\lambda \ge 0`, weight of the WGAN-GP penalty
        :math:`\lambda (|\nabla_x D| - g_0)^2` (Gulrajani et al.'s convention,
        the one :func:`gantoy.gan.losses` uses).
      gp_target: :math:`g_0 > 0`, the gradient norm the GP penalty aims at.
      noise: :math:`\sigma \ge 0`, std of the instance noise.
      clip: WGAN weight clipping, :math:`|\psi| \le c` after every update
        (``None``: no clipping).
      n_quadrature: Gauss-Hermite nodes for the noise expectations.

    Returns:
      The :class:`Game` on ``z = [theta, psi]``.

    References:
      Mescheder, Geiger & Nowozin (2018), "Which Training Methods for GANs do
      actually Converge?", Sec. 2 (the Dirac-GAN), Sec. 3 (WGAN, WGAN-GP,
      instance noise, zero-centred gradient penalties) and Sec. 4.1 (R1).

    Example:
      >>> v = dirac_gan("standard").field(jnp.array([1.0, 0.0]))
      >>> [float(c) for c in v]  # theta f'(0) = 1/2 pushes psi up
      [-0.0, 0.5]
      >>> [float(c) for c in dirac_gan("wgan", r1=1.0).field(jnp.array([0.0, 2.0]))]
      [-2.0, -2.0]
    """
    _check_loss(loss)
    r1 = _check_nonneg("r1", r1)
    gp = _check_nonneg("gp", gp)
    noise = _check_nonneg("noise", noise)
    gp_target = _check_nonneg("gp_target", gp_target)
    if gp > 0 and gp_target == 0:
        raise ValueError("gp_target must be > 0 when gp > 0 (gp_target = 0 is the R1-like penalty)")
    if clip is not None and (not isinstance(clip, numbers.Real) or not clip > 0 or not math.isfinite(clip)):
        raise ValueError(f"clip must be a finite number > 0 or None; got {clip!r}")
    if not isinstance(n_quadrature, numbers.Integral) or n_quadrature < 2:
        raise ValueError(f"n_quadrature must be an integer >= 2; got {n_quadrature!r}")
    f = dirac_f(loss)

    if noise > 0:
        nodes, weights = np.polynomial.hermite_e.hermegauss(int(n_quadrature))
        weights = weights / weights.sum()  # E_{u ~ N(0,1)} g(u) = sum w_i g(u_i)

        def expect(g, dtype):
            eps = jnp.asarray(noise * nodes, dtype)
            return jnp.sum(jnp.asarray(weights, dtype) * g(eps))

    else:

        def expect(g, dtype):
            return g(jnp.zeros((), dtype))

    def critic(psi, x):
        return psi * x

    def grad_x(psi, x):
        return jax.grad(critic, argnums=1)(psi, x)

    def value(theta, psi):
        dtype = jnp.result_type(theta, psi)
        fake = expect(lambda e: f(critic(psi, theta + e)), dtype)
        real = expect(lambda e: f(-critic(psi, e)), dtype)
        return fake + real

    def loss_g(theta, psi):
        if loss == "non_saturating":
            dtype = jnp.result_type(theta, psi)
            return -expect(lambda e: f(-critic(psi, theta + e)), dtype)
        return value(theta, psi)

    def loss_d(theta, psi):
        out = -value(theta, psi)
        if r1 > 0:
            # R1 on real data x ~ delta_0: (gamma/2) |grad_x D_psi(0)|^2
            out = out + 0.5 * r1 * grad_x(psi, jnp.zeros_like(theta)) ** 2
        if gp > 0:
            # any x_hat between real (0) and fake (theta) gives the same gradient
            norm = _safe_abs(grad_x(psi, 0.5 * theta))
            out = out + gp * (norm - gp_target) ** 2
        return out

    project = None
    if clip is not None:
        c = float(clip)

        def project(z):
            return jnp.stack([z[0], jnp.clip(z[1], -c, c)])

    parts = [loss]
    if r1:
        parts.append(f"R1 gamma={r1:g}")
    if gp:
        parts.append(f"GP lambda={gp:g}, g0={gp_target:g}")
    if noise:
        parts.append(f"noise sigma={noise:g}")
    if clip is not None:
        parts.append(f"clip c={clip:g}")
    return two_player_game(loss_g, loss_d, project=project, name=", ".join(parts))


def dirac_eigenvalues_closed_form(
    loss: str = "standard", *, r1: float = 0.0, noise: float = 0.0
) -> np.ndarray:
    r"""Eigenvalues of the Dirac-GAN Jacobian at ``(0, 0)``, in closed form.

    .. math::

        J = \begin{pmatrix} 0 & -a \\ a & -d \end{pmatrix},\quad
        a = f'(0),\; d = \gamma_1 - 2\sigma^2 f''(0),\qquad
        \lambda_\pm = \frac{-d \pm \sqrt{d^2 - 4 a^2}}{2}.

    Unregularised (:math:`d = 0`): :math:`\lambda = \pm i f'(0)`, on the
    imaginary axis (Mescheder et al. 2018, Sec. 2). R1 or instance noise
    (:math:`d > 0`, noise only when :math:`f''(0) < 0`, i.e. not for WGAN) move
    both eigenvalues into the open left half-plane.

    Args:
      loss: one of :data:`DIRAC_LOSSES`.
      r1: R1 weight :math:`\gamma_1 \ge 0`.
      noise: instance-noise std :math:`\sigma \ge 0`.

    Returns:
      ``[2]`` complex eigenvalues, sorted by imaginary part, then real part.

    Example:
      >>> dirac_eigenvalues_closed_form("standard")
      array([0.-0.5j, 0.+0.5j])
    """
    _check_loss(loss)
    r1 = _check_nonneg("r1", r1)
    noise = _check_nonneg("noise", noise)
    a = _F_PRIME0[loss]
    d = r1 - 2.0 * noise**2 * _F_SECOND0[loss]
    root = np.sqrt(complex(d * d - 4.0 * a * a))
    ev = np.array([(-d + root) / 2, (-d - root) / 2], dtype=complex)
    return _sort_eigs(ev)


def _sort_eigs(ev: np.ndarray) -> np.ndarray:
    ev = np.asarray(ev, dtype=complex) + 0.0  # no negative zeros
    return ev[np.lexsort((ev.real, ev.imag))]


def _check_z0(z0: ArrayLike) -> jax.Array:
    z0 = jnp.asarray(z0)
    if z0.shape != (2,):
        raise ValueError(f"z0 must be [2] = (theta, psi); got shape {z0.shape}")
    if not jnp.issubdtype(z0.dtype, jnp.floating):
        z0 = z0.astype(jnp.result_type(float))
    return z0


def _check_steps(n_steps) -> int:
    if not isinstance(n_steps, numbers.Integral) or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1; got {n_steps!r}")
    return int(n_steps)


def _check_lr(name: str, lr) -> float:
    if not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {lr!r}")
    return float(lr)


def _check_game(game) -> None:
    if not isinstance(game, Game):
        raise ValueError(f"game must be a gantoy.gan.games.Game; got {type(game).__name__}")


def simultaneous_gd(
    game: Game,
    z0: ArrayLike,
    lr: float,
    n_steps: int,
    *,
    lr_critic: float | None = None,
) -> jax.Array:
    r"""Simultaneous gradient descent: both players step from the same point.

    .. math::

        z_{k+1} = \Pi\bigl(z_k + H\, v(z_k)\bigr), \qquad H = \mathrm{diag}(h_G, h_D),

    with :math:`\Pi` the game's projection (WGAN clipping or identity).

    Args:
      game: a :class:`Game`.
      z0: ``[2]`` start ``(theta, psi)``.
      lr: generator step :math:`h_G > 0` (also the critic's unless ``lr_critic``).
      n_steps: number of steps.
      lr_critic: critic step :math:`h_D > 0`.

    Returns:
      ``[n_steps + 1, 2]`` trajectory, ``z0`` first (after projection).

    Example:
      >>> z = simultaneous_gd(dirac_gan("wgan"), jnp.array([1.0, 0.0]), 0.1, 100)
      >>> round(float(jnp.linalg.norm(z[-1])), 4), round(1.01 ** 50, 4)  # spirals out
      (1.6446, 1.6446)
    """
    _check_game(game)
    z0 = _check_z0(z0)
    n_steps = _check_steps(n_steps)
    h = jnp.asarray([_check_lr("lr", lr), _check_lr("lr_critic", lr if lr_critic is None else lr_critic)], z0.dtype)

    def body(z, _):
        z = game.project(z + h * game.field(z))
        return z, z

    z0 = game.project(z0)
    _, zs = jax.lax.scan(body, z0, None, length=n_steps)
    return jnp.concatenate([z0[None, :], zs], axis=0)


def alternating_gd(
    game: Game,
    z0: ArrayLike,
    lr: float,
    n_steps: int,
    *,
    n_critic: int = 1,
    lr_critic: float | None = None,
) -> jax.Array:
    r"""Alternating gradient descent: ``n_critic`` critic steps, then one generator step.

    .. math::

        \psi \leftarrow \Pi\bigl(\psi + h_D\, v_\psi(\theta, \psi)\bigr)
        \quad (n_\text{critic} \text{ times}), \qquad
        \theta \leftarrow \theta + h_G\, v_\theta(\theta, \psi),

    the generator seeing the updated critic (the order of WGAN's Algorithm 1).
    On the bilinear game this conserves :func:`bilinear_invariant` (for
    ``n_critic = 1`` and equal steps).

    Args:
      game: a :class:`Game`.
      z0: ``[2]`` start ``(theta, psi)``.
      lr: generator step :math:`h_G > 0` (also the critic's unless ``lr_critic``).
      n_steps: number of generator steps.
      n_critic: critic steps per generator step, ``>= 1``.
      lr_critic: critic step :math:`h_D > 0`.

    Returns:
      ``[n_steps + 1, 2]`` trajectory after each generator step, ``z0`` first.

    Example:
      >>> z = alternating_gd(bilinear_game(), jnp.array([1.0, 0.0]), 0.1, 1000)
      >>> bool(jnp.linalg.norm(z, axis=1).max() < 1.06)  # stays on an ellipse
      True
    """
    _check_game(game)
    z0 = _check_z0(z0)
    n_steps = _check_steps(n_steps)
    if not isinstance(n_critic, numbers.Integral) or n_critic < 1:
        raise ValueError(f"n_critic must be an integer >= 1; got {n_critic!r}")
    h_g = jnp.asarray([_check_lr("lr", lr), 0.0], z0.dtype)
    h_d = jnp.asarray([0.0, _check_lr("lr_critic", lr if lr_critic is None else lr_critic)], z0.dtype)

    def critic_step(z, _):
        return game.project(z + h_d * game.field(z)), None

    def body(z, _):
        z, _ = jax.lax.scan(critic_step, z, None, length=int(n_critic))
        z = game.project(z + h_g * game.field(z))
        return z, z

    z0 = game.project(z0)
    _, zs = jax.lax.scan(body, z0, None, length=n_steps)
    return jnp.concatenate([z0[None, :], zs], axis=0)


def continuous_flow(game: Game, z0: ArrayLike, t_max: float, n_steps: int) -> jax.Array:
    r"""The gradient flow :math:`\dot z = v(z)`, by classical fixed-step RK4.

    .. math::

        k_1 = v(z),\; k_2 = v(z + \tfrac{\delta}{2} k_1),\;
        k_3 = v(z + \tfrac{\delta}{2} k_2),\; k_4 = v(z + \delta k_3),\quad
        z \leftarrow \Pi\bigl(z + \tfrac{\delta}{6}(k_1 + 2k_2 + 2k_3 + k_4)\bigr),

    with :math:`\delta = t_\max / n` (local error :math:`O(\delta^5)`). For a
    rotation field the flow keeps the radius, unlike the discrete steps.

    Args:
      game: a :class:`Game` (its projection is applied after each step).
      z0: ``[2]`` start.
      t_max: final time, ``> 0``.
      n_steps: RK4 steps.

    Returns:
      ``[n_steps + 1, 2]`` states at times ``linspace(0, t_max, n_steps + 1)``.

    Example:
      >>> z = continuous_flow(bilinear_game(), jnp.array([1.0, 0.0]), math.pi, 200)
      >>> [round(float(c), 4) + 0.0 for c in z[-1]]  # half a turn of the circle
      [-1.0, 0.0]
    """
    _check_game(game)
    z0 = _check_z0(z0)
    n_steps = _check_steps(n_steps)
    dt = _check_lr("t_max", t_max) / n_steps
    v = game.field

    def body(z, _):
        k1 = v(z)
        k2 = v(z + 0.5 * dt * k1)
        k3 = v(z + 0.5 * dt * k2)
        k4 = v(z + dt * k3)
        z = game.project(z + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4))
        return z, z

    z0 = game.project(z0)
    _, zs = jax.lax.scan(body, z0, None, length=n_steps)
    return jnp.concatenate([z0[None, :], zs], axis=0)


def equilibrium_jacobian(game: Game, z: ArrayLike | None = None) -> jax.Array:
    r"""The Jacobian :math:`\partial v / \partial z` of the game's field (``jax.jacfwd``).

    Args:
      game: a :class:`Game`.
      z: ``[2]`` point; the equilibrium ``(0, 0)`` by default.

    Returns:
      ``[2, 2]`` matrix, rows = components of :math:`v`.

    Example:
      >>> (equilibrium_jacobian(dirac_gan("standard")) + 0.0).tolist()
      [[0.0, -0.5], [0.5, 0.0]]
    """
    _check_game(game)
    z = _check_z0(jnp.zeros(2) if z is None else z)
    return jax.jacfwd(game.field)(z)


def equilibrium_eigenvalues(game: Game, z: ArrayLike | None = None) -> np.ndarray:
    r"""Eigenvalues of :func:`equilibrium_jacobian`, sorted by imaginary then real part.

    Simultaneous descent with step :math:`h` multiplies deviations along an
    eigenvector by :math:`1 + h\lambda`; it converges locally iff
    :math:`|1 + h\lambda| < 1` for both eigenvalues, impossible when
    :math:`\mathrm{Re}\,\lambda = 0` (then :math:`|1 + h\lambda|^2 = 1 + h^2 |\lambda|^2`).

    Args:
      game: a :class:`Game`.
      z: ``[2]`` point; ``(0, 0)`` by default.

    Returns:
      ``[2]`` complex numpy array.

    Example:
      >>> equilibrium_eigenvalues(dirac_gan("wgan"))
      array([0.-1.j, 0.+1.j])
    """
    jac = np.asarray(equilibrium_jacobian(game, z))
    return _sort_eigs(np.linalg.eigvals(jac))


def vector_field_grid(
    game: Game,
    extent: Sequence[float] = (-2.0, 2.0, -2.0, 2.0),
    n: int = 21,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The vector field on an ``n x n`` grid, ready for ``quiver`` / ``streamplot``.

    :func:`gantoy.notebook.plots.plot_vector_field` draws it.

    Args:
      game: a :class:`Game`.
      extent: ``(theta_min, theta_max, psi_min, psi_max)``.
      n: grid points per axis, ``>= 2``.

    Returns:
      ``(theta, psi, v_theta, v_psi)``, each ``[n, n]`` (``meshgrid`` ``xy``
      layout: rows vary ``psi``, columns vary ``theta``).

    Example:
      >>> t, p, u, v = vector_field_grid(bilinear_game(), n=3)
      >>> u.tolist()[0], v.tolist()[0]  # bottom row psi = -2: v = (-psi, theta)
      ([2.0, 2.0, 2.0], [-2.0, 0.0, 2.0])
    """
    _check_game(game)
    if len(extent) != 4 or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ValueError(f"extent must be (xmin, xmax, ymin, ymax) with min < max; got {tuple(extent)!r}")
    if not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"n must be an integer >= 2; got {n!r}")
    tt, pp = np.meshgrid(np.linspace(extent[0], extent[1], n), np.linspace(extent[2], extent[3], n))
    pts = jnp.asarray(np.stack([tt.ravel(), pp.ravel()], axis=1))
    vec = np.asarray(jax.vmap(game.field)(pts))
    return tt, pp, vec[:, 0].reshape(tt.shape), vec[:, 1].reshape(tt.shape)

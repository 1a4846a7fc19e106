"""What a toy GAN is: its configuration, state, networks and their diagnostics.

A run is described by a :class:`GANConfig` (data sampler, loss, networks,
optimisers, penalties); :func:`init` draws the two MLPs and their optimiser
states, :func:`generate` and :func:`critic_fn` apply them, and
:func:`input_grad` / :func:`clip_fraction` read a critic's input gradient and
how many of its weights sit at the clipping bound. The training loop that
updates them is :mod:`gantoy.gan.engine`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from gantoy.gan import losses as L
from gantoy.gan.nets import mlp_apply, mlp_init
from gantoy.gan.optim import Optimizer, adam, make_optimizer, rmsprop

__all__ = [
    "LOSSES",
    "GANConfig",
    "gan_config",
    "wgan_config",
    "wgan_gp_config",
    "GANState",
    "TrainResult",
    "CriticResult",
    "sampler",
    "data_dim",
    "init",
    "init_critic",
    "generate",
    "critic_fn",
    "critic_input_grad",
    "input_grad",
    "clip_fraction",
    "seed_keys",
]

#: Loss names. ``"minimax"``: D's cross-entropy, G minimises E log(1 - D(G(z)));
#: ``"nonsaturating"``: same D, G minimises -E log D(G(z)); ``"wgan"``: critic
#: score, no sigmoid, no log (add ``clip`` for WGAN or ``gp_weight`` for WGAN-GP).
LOSSES = ("minimax", "nonsaturating", "wgan")


def sampler(data) -> Callable:
    """The sampling function ``sample(key, n) -> [n, d]`` of a data source
    (an object with a ``.sample`` method, or the function itself).

    >>> sampler(lambda k, n: jnp.zeros((n, 2)))(jax.random.key(0), 3).shape
    (3, 2)
    """
    return data.sample if hasattr(data, "sample") else data


@dataclasses.dataclass(frozen=True, eq=False)
class GANConfig:
    """Everything a run needs, hashable (so compiled code is reused for equal configs).

    Attributes:
      data: the real distribution: a pure sampler ``sample(key, n) -> [n, d]``
        or an object with such a ``.sample`` method (``gantoy.ring8()`` ...).
        Compared by identity.
      loss: one of :data:`LOSSES`.
      z_dim: latent dimension (``z ~ N(0, I)``).
      g_hidden, d_hidden: hidden widths of G and D (``(128,) * 12`` for a
        12-layer critic).
      g_activation, d_activation: names in :data:`gantoy.gan.nets.ACTIVATIONS`.
      init: MLP initialisation (:func:`gantoy.gan.nets.mlp_init`).
      batch_size: samples per batch (real and fake alike).
      n_critic: critic steps per generator step (``k``).
      warmup_critic: if > 0, WGAN's reference schedule: ``warmup_critic`` (100)
        critic steps at generator steps ``t < warmup_steps`` (25) and at every
        ``t % warmup_every == 0`` (500), ``n_critic`` otherwise.
      g_opt, d_opt: :class:`Optimizer` descriptions (:func:`adam`,
        :func:`rmsprop`, :func:`sgd`) or any ``optax.GradientTransformation``.
        An optax transformation is compared by identity: pass the same object
        to reuse compiled code (two calls ``optax.adam(1e-3)`` give two
        transformations, so two compilations). Default: ``adam(1e-4, 0.5)``,
        ``b1 = 0.5`` being the DCGAN setting, not optax's ``0.9``.
      clip: WGAN weight clipping: after every critic update (and at
        initialisation) all critic parameters are clipped to ``[-clip, clip]``.
      gp_weight, gp_target: WGAN-GP penalty ``lambda E(|grad f(x_hat)| - t)^2``.
      r1_weight: R1 penalty ``gamma/2 E|grad D(x_real)|^2``.
      noise_sigma, noise_anneal: instance noise added to real and fake inputs of
        D (both players), linearly annealed to 0 over ``noise_anneal`` generator
        steps (constant if ``None``).
    """

    data: Any
    loss: str = "nonsaturating"
    z_dim: int = 16
    g_hidden: tuple = (128, 128, 128)
    d_hidden: tuple = (128, 128, 128)
    g_activation: str = "relu"
    d_activation: str = "relu"
    init: str = "torch"
    batch_size: int = 256
    n_critic: int = 1
    warmup_critic: int = 0
    warmup_steps: int = 25
    warmup_every: int = 500
    g_opt: Optimizer | optax.GradientTransformation = adam(1e-4, 0.5, 0.999)
    d_opt: Optimizer | optax.GradientTransformation = adam(1e-4, 0.5, 0.999)
    clip: float | None = None
    gp_weight: float = 0.0
    gp_target: float = 1.0
    r1_weight: float = 0.0
    noise_sigma: float = 0.0
    noise_anneal: int | None = None

    def __post_init__(self):
        if not callable(sampler(self.data)):
            raise ValueError("data must be a sampler sample(key, n) -> [n, d] or have a .sample method")
        if self.loss not in LOSSES:
            hint = " (for WGAN-GP use loss='wgan', gp_weight=10, or wgan_gp_config())" if "gp" in str(self.loss) else ""
            raise ValueError(f"loss must be one of {LOSSES}; got {self.loss!r}{hint}")
        for name in ("z_dim", "batch_size", "n_critic", "warmup_steps", "warmup_every"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 1):
                raise ValueError(f"{name} must be an int >= 1; got {v!r}")
        if not (isinstance(self.warmup_critic, int) and self.warmup_critic >= 0):
            raise ValueError(f"warmup_critic must be an int >= 0; got {self.warmup_critic!r}")
        object.__setattr__(self, "g_hidden", tuple(int(h) for h in self.g_hidden))
        object.__setattr__(self, "d_hidden", tuple(int(h) for h in self.d_hidden))
        if min(self.g_hidden + self.d_hidden + (1,)) < 1:
            raise ValueError(f"hidden widths must be >= 1; got {self.g_hidden}, {self.d_hidden}")
        if self.clip is not None and not self.clip > 0:
            raise ValueError(f"clip c must be > 0 (or None); got {self.clip!r}")
        for name in ("gp_weight", "r1_weight", "noise_sigma"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}")
        if self.noise_anneal is not None and not self.noise_anneal >= 1:
            raise ValueError(f"noise_anneal must be >= 1 or None; got {self.noise_anneal!r}")
        for name in ("g_opt", "d_opt"):
            make_optimizer(getattr(self, name))  # validates the name

    def _key(self):
        return tuple(
            id(self.data) if f.name == "data" else getattr(self, f.name) for f in dataclasses.fields(self)
        )

    def __eq__(self, other):
        return isinstance(other, GANConfig) and self.data is other.data and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def replace(self, **changes) -> "GANConfig":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def max_critic(self) -> int:
        """The largest number of critic steps in one generator step."""
        return max(self.n_critic, self.warmup_critic)


def gan_config(data, loss: str = "nonsaturating", **kw) -> GANConfig:
    """A standard GAN: Adam ``(lr 1e-4, b1 0.5, b2 0.999)`` for both players, ``n_critic=1``.

    >>> gan_config(lambda k, n: jnp.zeros((n, 2)), "minimax").loss
    'minimax'
    """
    return GANConfig(data=data, loss=loss, **kw)


def wgan_config(data, **kw) -> GANConfig:
    """WGAN's Algorithm 1: clip ``c=0.01``, RMSProp ``lr=5e-5``, batch 64, ``n_critic=5``.

    Pass ``warmup_critic=100`` for the reference code's schedule.

    References:
      Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", Algorithm 1.

    >>> wgan_config(lambda k, n: jnp.zeros((n, 2))).clip
    0.01
    """
    base = dict(loss="wgan", clip=0.01, n_critic=5, batch_size=64, g_opt=rmsprop(5e-5), d_opt=rmsprop(5e-5))
    base.update(kw)
    return GANConfig(data=data, **base)


def wgan_gp_config(data, **kw) -> GANConfig:
    """WGAN-GP's Algorithm 1: ``lambda=10``, ``n_critic=5``, Adam ``(1e-4, 0, 0.9)``, batch 256.

    (The authors' toy code uses ``lambda=0.1``; pass ``gp_weight=0.1``.)

    References:
      Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Algorithm 1.

    >>> wgan_gp_config(lambda k, n: jnp.zeros((n, 2))).gp_weight
    10.0
    """
    opt = adam(1e-4, 0.0, 0.9)
    base = dict(loss="wgan", gp_weight=10.0, n_critic=5, batch_size=256, g_opt=opt, d_opt=opt)
    base.update(kw)
    return GANConfig(data=data, **base)


# --------------------------------------------------------------------------- state
class GANState(NamedTuple):
    """Parameters and optimiser states of both players, and the generator step count."""

    g_params: Any
    d_params: Any
    g_opt_state: Any
    d_opt_state: Any
    step: jax.Array


class TrainResult(NamedTuple):
    """What :func:`train` returns (a leading seed axis when trained with ``n_seeds``).

    Attributes:
      state: the final :class:`GANState` (pass it back to :func:`train` to resume).
      metrics: ``{name: [seeds, n_steps, ...]}`` numpy arrays, one entry per
        generator step; see :data:`STEP_METRICS`.
      snapshots: ``[seeds, len(snapshot_steps), n_samples, d]`` generator
        samples (the same latent codes at every snapshot), or ``None``.
      snapshot_steps: the generator step counts of the snapshots.
    """

    state: GANState
    metrics: dict
    snapshots: Any
    snapshot_steps: tuple


class CriticResult(NamedTuple):
    """What :func:`train_critic` returns.

    Attributes:
      d_params: the trained critic (leading seed axis when batched).
      metrics: ``{name: [seeds, n_steps, ...]}`` numpy arrays; see :data:`CRITIC_METRICS`.
    """

    d_params: Any
    metrics: dict


def data_dim(config: GANConfig) -> int:
    """The data dimension ``d`` of ``config.data`` (from the shape of one draw, traced only).

    >>> data_dim(gan_config(lambda k, n: jnp.zeros((n, 3))))
    3
    """
    shape = jax.eval_shape(lambda k: sampler(config.data)(k, 3), jax.random.key(0)).shape
    if len(shape) != 2 or shape[0] != 3:
        raise ValueError(f"data.sample(key, n) must return [n, d]; got shape {shape} for n=3")
    return int(shape[1])


def _g_sizes(config, x_dim):
    return (config.z_dim,) + config.g_hidden + (x_dim,)


def _d_sizes(config, x_dim):
    return (x_dim,) + config.d_hidden + (1,)


def init_critic(key: jax.Array, config: GANConfig, x_dim: int):
    """A fresh critic ``x_dim -> d_hidden -> 1`` for ``config``, clipped to
    ``[-c, c]`` when ``config.clip`` is set (the clipped critic starts inside its box)."""
    d = mlp_init(key, _d_sizes(config, x_dim), init=config.init)
    return L.clip_weights(d, config.clip) if config.clip is not None else d


def init(key: jax.Array, config: GANConfig) -> GANState:
    """Fresh networks and optimiser states for one seed (``vmap`` it for several).

    The critic starts clipped when ``config.clip`` is set.

    >>> cfg = gan_config(lambda k, n: jax.random.normal(k, (n, 2)))
    >>> s = init(jax.random.key(0), cfg)
    >>> int(s.step), len(s.g_params), len(s.d_params)
    (0, 4, 4)
    """
    x_dim = data_dim(config)
    kg, kd = jax.random.split(key)
    g = mlp_init(kg, _g_sizes(config, x_dim), init=config.init)
    d = init_critic(kd, config, x_dim)
    return GANState(
        g_params=g,
        d_params=d,
        g_opt_state=make_optimizer(config.g_opt).init(g),
        d_opt_state=make_optimizer(config.d_opt).init(d),
        step=jnp.zeros((), jnp.int32),
    )


def generate(config: GANConfig, g_params, z: jax.Array) -> jax.Array:
    """Generator samples ``G(z)``: ``[..., z_dim] -> [..., d]`` (one seed's parameters).

    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 2)), z_dim=3)
    >>> generate(cfg, init(jax.random.key(0), cfg).g_params, jnp.zeros((5, 3))).shape
    (5, 2)
    """
    return mlp_apply(g_params, z, activation=config.g_activation)


def critic_fn(config: GANConfig, d_params) -> Callable[[jax.Array], jax.Array]:
    """The discriminator logit / critic score as a function ``[n, d] -> [n]``.

    For plots: ``gantoy.notebook.plots.plot_critic(critic_fn(cfg, d), real, fake)``; use
    ``jax.nn.sigmoid`` on it for D's probability.

    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 2)))
    >>> critic_fn(cfg, init(jax.random.key(0), cfg).d_params)(jnp.zeros((4, 2))).shape
    (4,)
    """
    return lambda x: mlp_apply(d_params, x, activation=config.d_activation)[..., 0]


def critic_input_grad(config: GANConfig, d_params, x: jax.Array) -> jax.Array:
    """Gradient of the logit / critic score with respect to its input, ``[n, d] -> [n, d]``.

    ``-critic_input_grad`` at generated samples is where the minimax loss would
    push them (up to the factor ``sigma(l)``); WGAN Fig. 2 plots its size.

    >>> cfg = gan_config(lambda k, n: jnp.zeros((n, 1)))
    >>> critic_input_grad(cfg, init(jax.random.key(0), cfg).d_params, jnp.ones((3, 1))).shape
    (3, 1)
    """
    return input_grad(d_params, x, config.d_activation)


def input_grad(d_params, x: jax.Array, activation: str = "relu") -> jax.Array:
    """The gradient of an MLP critic's score (a discriminator's logit) with respect to its input, ``[n, d] -> [n, d]``.

    For a discriminator :math:`D = \\sigma(\\ell)` multiply by :math:`\\sigma(\\ell)(1 - \\sigma(\\ell))`
    to get :math:`\\nabla_x D`. One critic; ``jax.vmap`` over a batch of critics. Compiled once per
    activation and shapes.

    >>> d = [(jnp.array([[2.0], [-1.0]]), jnp.array([0.0]))]  # f(x) = 2 x_1 - x_2
    >>> input_grad(d, jnp.zeros((3, 2)))[0].tolist()
    [2.0, -1.0]
    """
    return _input_grad(d_params, jnp.asarray(x), activation)


@functools.partial(jax.jit, static_argnums=2)
def _input_grad(d_params, x, activation):
    return L.input_gradients(lambda v: mlp_apply(d_params, v, activation=activation)[..., 0], x)


def clip_fraction(d_params, c: float) -> jax.Array:
    """Fraction of critic weight-matrix entries (biases excluded) within 1% of the clipping bound.

    .. math:: \\frac{1}{N} \\#\\{w : |w| \\ge 0.99\\, c\\}

    One seed's parameters (``vmap`` for a batch). WGAN-GP Fig. 1b: clipping
    pushes the weights to :math:`\\pm c`.

    >>> round(float(clip_fraction([(jnp.array([[0.01, -0.0099, 0.0]]), jnp.zeros(3))], 0.01)), 4)
    0.6667
    """
    if isinstance(c, (int, float)) and not c > 0:
        raise ValueError(f"clip c must be > 0; got {c}")
    return _clip_frac(d_params, c)


def _clip_frac(d_params, c):
    ws = [w for w, _ in d_params]
    hits = sum(jnp.sum(jnp.abs(w) >= 0.99 * c) for w in ws)
    return hits / sum(w.size for w in ws)


def seed_keys(key: jax.Array, n_seeds: int) -> jax.Array:
    """``n_seeds`` independent keys, ``[n_seeds]``: the seeds' keys of ``train(key, ..., n_seeds=n_seeds)``.

    Seed ``i`` of any driver called with ``n_seeds`` uses ``seed_keys(key, n_seeds)[i]``;
    the keys of the first ``m`` seeds do not depend on ``n_seeds >= m`` (with JAX's
    default ``jax_threefry_partitionable=True``).

    >>> seed_keys(jax.random.key(0), 8).shape
    (8,)
    """
    return jax.random.split(key, n_seeds)

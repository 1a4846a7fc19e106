"""gantoy: why the original GAN is hard to train, and why WGAN and WGAN-GP help.

Exact divergences and distances between distributions on low-dimensional
manifolds, tiny GANs trained fast in pure JAX, and the claims ledger the
notebooks record.

The package has five layers, each importing only from the ones before it:

* :mod:`gantoy.measures`: the toy supports and their samplers;
* :mod:`gantoy.distances`: JS, KL, TV (discrete and smoothed) and optimal transport;
* :mod:`gantoy.gan`: networks, losses, the training engine, metrics, games;
* :mod:`gantoy.studies`: one module for each study a notebook needs;
* :mod:`gantoy.notebook`: figures and the claims ledger.

This namespace holds what a user reaches for in a REPL; everything else is
reached through its subpackage (``gantoy.studies.vanishing.run_k``).

>>> import jax.numpy as jnp, gantoy
>>> float(gantoy.js(jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0])))  # log 2
0.6931471...
"""

from gantoy import distances, gan, measures, notebook, studies

# --- divergences and distances -----------------------------------------------------
from gantoy.distances.divergences import js, kl, tv
from gantoy.distances.smoothed import (
    js_parallel_lines,
    js_smoothed,
    kl_parallel_lines,
    kl_smoothed,
    tv_parallel_lines,
    tv_smoothed,
)
from gantoy.distances.transport import (
    sinkhorn,
    sliced_wasserstein,
    wasserstein,
    wasserstein_1d,
    wasserstein_plan,
)

# --- measures ------------------------------------------------------------------------
from gantoy.measures.distributions import (
    circle,
    curve,
    gaussian,
    gaussian_mixture,
    grid25,
    parallel_lines,
    random_curve,
    random_pushforward,
    ring8,
    segment,
    swiss_roll,
)

# --- training GANs ---------------------------------------------------------------------
from gantoy.gan.engine import (
    GANConfig,
    TrainResult,
    adam,
    clip_fraction,
    critic_fn,
    critic_input_grad,
    freeze_generator,
    gan_config,
    generate,
    init,
    make_step,
    rmsprop,
    seed_keys,
    sgd,
    train,
    train_critic,
    wgan_config,
    wgan_gp_config,
)
from gantoy.gan.games import bilinear_game, dirac_gan
from gantoy.gan.metrics import (
    mode_coverage,
    mode_coverage_chance,
    modes_with_mass,
    wasserstein_to_data,
    wasserstein_to_sample,
)

# --- studies -----------------------------------------------------------------------------
from gantoy.studies.collapse import summarize_collapse
from gantoy.studies.optimal import optimal_discriminator

__version__ = "0.1.0"

__all__ = [
    # layers
    "measures",
    "distances",
    "gan",
    "studies",
    "notebook",
    # divergences and distances
    "kl",
    "js",
    "tv",
    "js_smoothed",
    "kl_smoothed",
    "tv_smoothed",
    "js_parallel_lines",
    "kl_parallel_lines",
    "tv_parallel_lines",
    "wasserstein",
    "wasserstein_1d",
    "wasserstein_plan",
    "sinkhorn",
    "sliced_wasserstein",
    # measures
    "segment",
    "parallel_lines",
    "curve",
    "random_curve",
    "circle",
    "swiss_roll",
    "gaussian",
    "gaussian_mixture",
    "ring8",
    "grid25",
    "random_pushforward",
    # training GANs
    "GANConfig",
    "gan_config",
    "wgan_config",
    "wgan_gp_config",
    "adam",
    "rmsprop",
    "sgd",
    "seed_keys",
    "init",
    "make_step",
    "train",
    "train_critic",
    "freeze_generator",
    "TrainResult",
    "generate",
    "critic_fn",
    "critic_input_grad",
    "clip_fraction",
    "mode_coverage",
    "mode_coverage_chance",
    "modes_with_mass",
    "wasserstein_to_sample",
    "wasserstein_to_data",
    "bilinear_game",
    "dirac_gan",
    # studies
    "optimal_discriminator",
    "summarize_collapse",
]

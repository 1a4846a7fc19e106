"""gantoy: why the original GAN is hard to train, and why WGAN and WGAN-GP help.

Exact divergences and distances between distributions on low-dimensional
manifolds, tiny GANs trained fast in pure JAX, and the claims ledger the
notebooks record. The whole public API is listed here.
"""

from gantoy import ledger

# --- divergences (discrete) ---------------------------------------------------
from gantoy import divergences
from gantoy.divergences import js, kl, tv

# --- optimal transport ---------------------------------------------------------
from gantoy import transport
from gantoy.transport import (
    SinkhornResult,
    TransportPlan,
    sinkhorn,
    sliced_wasserstein,
    wasserstein,
    wasserstein_1d,
    wasserstein_1d_plan,
    wasserstein_plan,
)

# --- distributions -------------------------------------------------------------
from gantoy import distributions
from gantoy.distributions import (
    Circle,
    Curve,
    Gaussian,
    GaussianMixture,
    Pushforward,
    Segment,
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

# --- smoothed divergences --------------------------------------------------------
from gantoy import smoothed
from gantoy.smoothed import (
    js_parallel_lines,
    js_smoothed,
    kl_gaussians,
    kl_parallel_lines,
    kl_smoothed,
    tv_parallel_lines,
    tv_smoothed,
    w2_gaussians,
)

# --- nets, losses, training, metrics ---------------------------------------------
from gantoy import losses, metrics, nets, training
from gantoy.losses import (
    add_instance_noise,
    annealed_sigma,
    clip_weights,
    discriminator_loss,
    gradient_penalty,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    r1_penalty,
    wgan_critic_loss,
    wgan_generator_loss,
)
from gantoy.metrics import (
    ModeCoverage,
    dominant_mode,
    mode_coverage,
    mode_coverage_chance,
    modes_with_mass,
    wasserstein_to_data,
    wasserstein_to_sample,
)
from gantoy.nets import mlp_apply, mlp_init, preactivation_grads
from gantoy.training import (
    CriticResult,
    GANConfig,
    GANState,
    Optimizer,
    TrainResult,
    adam,
    clip_fraction,
    critic_fn,
    critic_grad_profile,
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

# --- collapse (-log D, KL asymmetry, mode collapse) --------------------------------
from gantoy import collapse
from gantoy.collapse import (
    CollapseSummary,
    Divergences1d,
    LogDGradients,
    count_hops,
    divergences_1d,
    grid_1d,
    log_optimal_discriminator,
    logd_gradient_identity,
    one_mode_kl_gap_bounds,
    summarize_collapse,
)

# --- penalty (WGAN-GP Fig. 1 diagnostics) ------------------------------------------
from gantoy import penalty
from gantoy.penalty import (
    GradProfile,
    clipped_init_fraction,
    depth_slope,
    grad_profile,
    noisy_sampler,
    scaled_norm,
    snapshot_coverage,
)

# --- optimal discriminator and vanishing gradients (notebooks 02, 05) ---------------
from gantoy import optimal, vanishing
from gantoy.optimal import gan_value, optimal_discriminator, optimal_logit, optimal_value
from gantoy.vanishing import (
    FreezeResult,
    critic_steps_sweep,
    decades_fallen,
    first_step_reaching,
    freeze_generator_every,
    generator_grad_norms,
    run_k,
)

# --- critic and progress numbers (notebooks 07, 08) ----------------------------------
from gantoy import critic, progress
from gantoy.critic import (
    CriticFit,
    StepInfo,
    clip_lipschitz_bound,
    critic_estimate,
    fit_critics,
    gan_discriminator_step,
    gp_linear_optima,
    input_grad,
    max_abs_weight,
    update_cosines,
    wgan_critic_step,
    wgan_gp_critic_step,
)
from gantoy.progress import at_steps, js_estimate, median_filter, spearman

# --- games ------------------------------------------------------------------------
from gantoy import games
from gantoy.games import (
    DIRAC_LOSSES,
    Game,
    alternating_gd,
    bilinear_game,
    bilinear_invariant,
    continuous_flow,
    dirac_eigenvalues_closed_form,
    dirac_f,
    dirac_f_prime0,
    dirac_gan,
    equilibrium_eigenvalues,
    equilibrium_jacobian,
    simultaneous_gd,
    two_player_game,
    vector_field_grid,
)

# --- plots ------------------------------------------------------------------------
from gantoy import plots

__version__ = "0.1.0"

__all__ = [
    "ledger",
    # divergences
    "divergences",
    "kl",
    "js",
    "tv",
    # optimal transport
    "transport",
    "wasserstein",
    "wasserstein_1d",
    "wasserstein_plan",
    "wasserstein_1d_plan",
    "sinkhorn",
    "sliced_wasserstein",
    "SinkhornResult",
    "TransportPlan",
    # distributions
    "distributions",
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
    "Segment",
    "Curve",
    "Circle",
    "Gaussian",
    "GaussianMixture",
    "Pushforward",
    # smoothed
    "smoothed",
    "js_smoothed",
    "kl_smoothed",
    "tv_smoothed",
    "js_parallel_lines",
    "kl_parallel_lines",
    "tv_parallel_lines",
    "kl_gaussians",
    "w2_gaussians",
    # engine
    "nets",
    "losses",
    "training",
    "metrics",
    "mlp_init",
    "mlp_apply",
    "preactivation_grads",
    "discriminator_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "wgan_critic_loss",
    "wgan_generator_loss",
    "gradient_penalty",
    "r1_penalty",
    "clip_weights",
    "add_instance_noise",
    "annealed_sigma",
    "Optimizer",
    "adam",
    "rmsprop",
    "sgd",
    "GANConfig",
    "gan_config",
    "wgan_config",
    "wgan_gp_config",
    "GANState",
    "TrainResult",
    "CriticResult",
    "init",
    "make_step",
    "train",
    "train_critic",
    "freeze_generator",
    "critic_grad_profile",
    "generate",
    "critic_fn",
    "critic_input_grad",
    "clip_fraction",
    "seed_keys",
    "ModeCoverage",
    "mode_coverage",
    "modes_with_mass",
    "dominant_mode",
    "mode_coverage_chance",
    "wasserstein_to_data",
    "wasserstein_to_sample",
    # collapse
    "collapse",
    "log_optimal_discriminator",
    "Divergences1d",
    "divergences_1d",
    "grid_1d",
    "LogDGradients",
    "logd_gradient_identity",
    "one_mode_kl_gap_bounds",
    "CollapseSummary",
    "summarize_collapse",
    "count_hops",
    # penalty
    "penalty",
    "noisy_sampler",
    "scaled_norm",
    "depth_slope",
    "GradProfile",
    "grad_profile",
    "clipped_init_fraction",
    "snapshot_coverage",
    # optimal, vanishing
    "optimal",
    "optimal_logit",
    "optimal_discriminator",
    "gan_value",
    "optimal_value",
    "vanishing",
    "run_k",
    "freeze_generator_every",
    "FreezeResult",
    "critic_steps_sweep",
    "generator_grad_norms",
    "decades_fallen",
    "first_step_reaching",
    # critic, progress
    "critic",
    "gan_discriminator_step",
    "wgan_critic_step",
    "wgan_gp_critic_step",
    "StepInfo",
    "fit_critics",
    "CriticFit",
    "critic_estimate",
    "input_grad",
    "max_abs_weight",
    "update_cosines",
    "clip_lipschitz_bound",
    "gp_linear_optima",
    "progress",
    "median_filter",
    "at_steps",
    "js_estimate",
    "spearman",
    # games
    "games",
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
    # plots
    "plots",
]

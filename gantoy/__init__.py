"""gantoy: why the original GAN is hard to train, and why WGAN and WGAN-GP help.

Exact divergences and distances between distributions on low-dimensional
manifolds, tiny GANs trained fast in pure JAX, and the claims ledger the
notebooks record. The whole public API is listed here.
"""

from gantoy import ledger

# --- divergences (discrete) ---------------------------------------------------
from gantoy import divergences
from gantoy.divergences import js, kl, tv

# --- wasserstein ---------------------------------------------------------------
from gantoy.wasserstein import (
    SinkhornResult,
    sinkhorn,
    sliced_wasserstein,
    wasserstein,
    wasserstein_1d,
)

# --- distributions -------------------------------------------------------------

# --- smoothed divergences --------------------------------------------------------

# --- nets, losses, training, metrics ---------------------------------------------

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
    plot_vector_field,
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
    # wasserstein
    "wasserstein",
    "wasserstein_1d",
    "sinkhorn",
    "sliced_wasserstein",
    "SinkhornResult",
    # distributions
    # smoothed
    # engine
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
    "plot_vector_field",
    # plots
    "plots",
]

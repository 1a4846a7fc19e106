"""gantoy: why the original GAN is hard to train, and why WGAN and WGAN-GP help.

Exact divergences and distances between distributions on low-dimensional
manifolds, tiny GANs trained fast in pure JAX, and the claims ledger the
notebooks record. The whole public API is listed here.
"""

from gantoy import ledger

# --- divergences (discrete) ---------------------------------------------------

# --- wasserstein ---------------------------------------------------------------

# --- distributions -------------------------------------------------------------

# --- smoothed divergences --------------------------------------------------------

# --- nets, losses, training, metrics ---------------------------------------------

# --- games ------------------------------------------------------------------------

# --- plots ------------------------------------------------------------------------
from gantoy import plots

__version__ = "0.1.0"

__all__ = [
    "ledger",
    # divergences
    # wasserstein
    # distributions
    # smoothed
    # engine
    # games
    # plots
    "plots",
]

"""One module for each study a notebook needs, built on the engine and the
distances: the optimal discriminator (``optimal``), vanishing gradients
(``vanishing``), -log D and mode collapse (``collapse``), the WGAN critic
(``critic``), the gradient penalty (``penalty``) and the progress number
(``progress``)."""

from gantoy.studies import collapse, critic, optimal, penalty, progress, vanishing

__all__ = ["collapse", "critic", "optimal", "penalty", "progress", "vanishing"]

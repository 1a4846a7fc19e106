"""One module for each study a notebook needs, built on the engine and the
distances: the optimal discriminator (``optimal``), vanishing gradients
(``vanishing``), -log D and mode collapse (``collapse``), the WGAN critic
(``critic``), the gradient penalty (``penalty``), the progress number
(``progress``) and the support of the curve generator (``supports``)."""

from gantoy.studies import collapse, critic, optimal, penalty, progress, supports, vanishing

__all__ = ["collapse", "critic", "optimal", "penalty", "progress", "supports", "vanishing"]

"""The GAN machinery: MLPs (``nets``), the losses and penalties (``losses``), one
training engine (``engine``: ``init``, ``step``, ``lax.scan`` over steps, ``vmap``
over seeds), the diagnostics (``metrics``) and the two-player games (``games``)."""

from gantoy.gan import engine, games, losses, metrics, nets

__all__ = ["engine", "games", "losses", "metrics", "nets"]

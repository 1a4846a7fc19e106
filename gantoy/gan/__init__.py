"""The GAN machinery: MLPs (``nets``), the losses and penalties (``losses``), the
optimisers (``optim``), what a run is (``model``: configuration, state,
``init``), one training engine (``engine``: the critic update, ``lax.scan`` over
steps, ``vmap`` over seeds), the diagnostics (``metrics``) and the two-player
games (``games``)."""

from gantoy.gan import engine, games, losses, metrics, model, nets, optim

__all__ = ["engine", "games", "losses", "metrics", "model", "nets", "optim"]

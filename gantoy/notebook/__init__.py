"""What the notebooks show and record: figures (``plots``; matplotlib is imported
only when a figure is drawn) and the claims ledger (``ledger``). The runner behind
``make demo`` is ``python -m gantoy.notebook.demo``."""

from gantoy.notebook import animate, ledger, plots, threads, widgets

__all__ = ["animate", "ledger", "plots", "threads", "widgets"]

"""Distances between measures: discrete divergences (``divergences``), their
Gaussian-smoothed closed forms and quadratures (``smoothed``), and optimal
transport (``transport``: 1-d, exact, Sinkhorn, sliced)."""

from gantoy.distances import divergences, smoothed, transport

__all__ = ["divergences", "smoothed", "transport"]

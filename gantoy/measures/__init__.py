"""Measures: the toy supports (segments, parallel lines, curves, circles, rings and
grids of Gaussians, the Swiss roll, a generator's push-forward), each with a pure
sampler ``sample(key, n)`` and, where one exists, a (smoothed) log density."""

from gantoy.measures import distributions

__all__ = ["distributions"]

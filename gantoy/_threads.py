"""Calls side by side in threads, one per core: the one thread pool of the package.

JAX releases Python's global lock while it compiles and while it runs a
program, so independent programs in threads use several cores. Used by
:func:`gantoy.gan.engine.train` (``threads``: groups of seeds), by
:func:`gantoy.gan.metrics.wasserstein_to_sample` (one exact solver per sample)
and, re-exported, by :mod:`gantoy.notebook.threads` for notebooks.
:func:`program_cache` is the cache of the package's compiled-program factories,
safe to reach from those threads.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import threading
from typing import Any, Callable, Iterable

__all__ = ["cores", "program_cache", "side_by_side"]


def cores() -> int:
    """The number of CPU cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def side_by_side(fn: Callable[..., Any], *iterables: Iterable, workers: int | None = None) -> list:
    """``list(map(fn, *iterables))``, the calls in threads, at most one per core at a time.

    The results come back in the order of the inputs; an exception raised by
    a call is raised here (after the calls already started have finished).
    Use it for calls that do not share state: each call's numbers are then
    those it gives alone.

    Args:
      fn: the function to call.
      *iterables: its arguments, as for ``map``.
      workers: threads at most; default: :func:`cores`.

    >>> side_by_side(lambda a, b: a * b, [1, 2, 3], [4, 5, 6])
    [4, 10, 18]
    >>> import jax, jax.numpy as jnp
    >>> xs = [jnp.arange(3.0), jnp.ones(3)]
    >>> [float(v) for v in side_by_side(lambda x: jax.jit(jnp.sum)(x ** 2), xs)]
    [5.0, 3.0]
    """
    calls = list(zip(*iterables))
    n = cores() if workers is None else int(workers)
    if n < 1:
        raise ValueError(f"workers must be >= 1; got {workers!r}")
    if n == 1 or len(calls) <= 1:
        return [fn(*args) for args in calls]
    with concurrent.futures.ThreadPoolExecutor(min(n, len(calls))) as pool:
        return list(pool.map(lambda args: fn(*args), calls))


def program_cache(maxsize: int | None = 32) -> Callable[[Callable], Callable]:
    """``functools.lru_cache(maxsize)`` with one caller at a time: for factories of ``jax.jit`` programs.

    JAX compiles a ``jax.jit`` object once per argument shape, and a second
    object for the same function compiles again. A plain ``lru_cache`` lets
    two threads (:func:`side_by_side`, ``train(..., threads=k)``) miss
    together, each build its own object and each compile the same program.
    Under this cache the second caller waits for the first and gets the same
    object. The lock is held only while the factory builds the object, not
    while the program compiles or runs, so the threads still run side by side.
    Each decorated factory has its own lock, so one factory may call another.

    The wrapper keeps ``cache_info`` and ``cache_clear``.

    >>> @program_cache(maxsize=4)
    ... def square_program(n):
    ...     return lambda x: x ** n
    >>> a, b = side_by_side(lambda _: square_program(2), range(2), workers=2)
    >>> a is b, square_program.cache_info().misses
    (True, 1)
    """

    def decorate(factory: Callable) -> Callable:
        cached = functools.lru_cache(maxsize=maxsize)(factory)
        lock = threading.Lock()

        @functools.wraps(factory)
        def get(*args, **kwargs):
            with lock:
                return cached(*args, **kwargs)

        get.cache_info = cached.cache_info
        get.cache_clear = cached.cache_clear
        return get

    return decorate

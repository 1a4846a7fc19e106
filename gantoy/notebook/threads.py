"""Independent experiments side by side, one thread per core.

A notebook often runs a few experiments that do not depend on each other:
two critics with different constraints, a frozen-G run against two
generators. Each is one compiled JAX program; JAX releases Python's global
lock while it compiles and while it runs, so on a machine with two cores two
such experiments in two threads take about the time of one.
:func:`side_by_side` is ``map`` over threads. Each call runs the program it
would run alone, on the same inputs, so its results are those of running the
calls one after the other, to the last bit.
"""

from __future__ import annotations

from gantoy._threads import cores, side_by_side

__all__ = ["cores", "side_by_side"]

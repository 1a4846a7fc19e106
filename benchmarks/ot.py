"""Time gantoy's Wasserstein solvers against scipy and POT, in the same run.

Prints one JSON object a line with the keys ``case``, ``gantoy_s``,
``reference``, ``reference_s`` and ``ratio`` (``reference_s / gantoy_s``; above
1 means gantoy is faster), each time the median of ``--repeats`` runs after one
warm-up call (so JAX's compilation is not counted), plus ``dtype``, ``repeats``
and the agreement of the two values. The two sides of a case alternate, so a
shared machine's load falls on both alike. Everything runs in float64, except
the Sinkhorn case, which runs once in float64 and once in float32 (JAX's
default), both sides in the same dtype.

Cases (targets from issue 2, section 6):
  * 1-d W_1 at n = 1e6 against ``scipy.stats.wasserstein_distance`` (ratio >= 1);
  * exact W_1 at n = 500 and 1000, 2-d, uniform weights, against POT ``emd2``
    (ratio >= 0.5 at n = 1000);
  * Sinkhorn at n = 2000, epsilon = 0.05, squared Euclidean cost on 2-d data,
    both to marginal tolerance 1e-6 and at most 1000 iterations, against POT
    ``sinkhorn2(..., method="sinkhorn_log")`` (ratio >= 5).

Usage: ``python benchmarks/ot.py [--repeats 5]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

# This file is called ot.py: keep its folder off sys.path so `import ot` finds POT.
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import ot  # noqa: E402
import scipy.stats  # noqa: E402

import gantoy  # noqa: E402


def median_times(gantoy_fn, reference_fn, repeats: int):
    """Median wall times of the two calls over ``repeats`` interleaved runs, after
    one warm-up call each (interleaving spreads a shared machine's load evenly)."""
    g_out, r_out = gantoy_fn(), reference_fn()
    g_times, r_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        g_out = gantoy_fn()
        g_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        r_out = reference_fn()
        r_times.append(time.perf_counter() - start)
    return statistics.median(g_times), g_out, statistics.median(r_times), r_out


def ready(x):
    return jax.block_until_ready(x)


def emit(case, gantoy_s, reference, reference_s, dtype, repeats, **extra):
    row = {
        "case": case,
        "gantoy_s": round(gantoy_s, 6),
        "reference": reference,
        "reference_s": round(reference_s, 6),
        "ratio": round(reference_s / gantoy_s, 3),
        "dtype": dtype,
        "repeats": repeats,
        **extra,
    }
    print(json.dumps(row), flush=True)


def bench_1d(repeats: int) -> None:
    n = 1_000_000
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=n), rng.normal(loc=0.5, scale=1.5, size=n)
    uj, vj = jnp.asarray(u), jnp.asarray(v)
    f = jax.jit(gantoy.wasserstein_1d)
    g_s, g_val, r_s, r_val = median_times(
        lambda: ready(f(uj, vj)), lambda: scipy.stats.wasserstein_distance(u, v), repeats
    )
    emit("wasserstein_1d p=1 n=1e6", g_s, "scipy.stats.wasserstein_distance", r_s, "float64", repeats,
         abs_diff=abs(float(g_val) - r_val))


def bench_exact(n: int, repeats: int) -> None:
    rng = np.random.default_rng(n)
    x, y = rng.random((n, 2)), rng.random((n, 2))
    w = np.full(n, 1.0 / n)
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    f = jax.jit(gantoy.wasserstein)
    g_s, g_val, r_s, r_val = median_times(
        lambda: ready(f(xj, yj)), lambda: ot.emd2(w, w, ot.dist(x, y, metric="euclidean")), repeats
    )
    emit(f"wasserstein exact p=1 2-d uniform n={n}", g_s, "ot.emd2 (incl. ot.dist)", r_s, "float64",
         repeats, abs_diff=abs(float(g_val) - float(r_val)))


def bench_sinkhorn(repeats: int, dtype: str) -> None:
    """Both sides in the same dtype (POT keeps float32 inputs in float32)."""
    n, eps, tol, cap = 2000, 0.05, 1e-6, 1000
    rng = np.random.default_rng(1)
    x, y = rng.random((n, 2)).astype(dtype), rng.random((n, 2)).astype(dtype)
    w = np.full(n, 1.0 / n, dtype)
    with jax.enable_x64(dtype == "float64"):
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        f = jax.jit(lambda x_, y_: gantoy.sinkhorn(x_, y_, eps, max_iter=cap, tol=tol))

        def reference():
            m = ot.dist(x, y, metric="sqeuclidean")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cost, log = ot.sinkhorn2(w, w, m, eps, method="sinkhorn_log", numItermax=cap,
                                         stopThr=tol, log=True)
            return float(cost), int(log["niter"]) + 1

        g_s, res, r_s, (r_cost, r_iter) = median_times(lambda: ready(f(xj, yj)), reference, repeats)
    emit(f"sinkhorn n=2000 eps=0.05 tol=1e-6 cap=1000 {dtype}", g_s,
         "ot.sinkhorn2 method=sinkhorn_log", r_s, dtype, repeats,
         gantoy_iters=int(res.n_iter), reference_iters=r_iter, gantoy_converged=bool(res.converged),
         rel_diff=abs(float(res.cost) - r_cost) / r_cost)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (median)")
    args = parser.parse_args()
    bench_1d(args.repeats)
    bench_exact(500, args.repeats)
    bench_exact(1000, args.repeats)
    bench_sinkhorn(max(1, args.repeats // 2 + 1), "float64")
    bench_sinkhorn(max(1, args.repeats // 2 + 1), "float32")


if __name__ == "__main__":
    main()

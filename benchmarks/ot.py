"""Time gantoy's Wasserstein solvers against scipy, POT and ott-jax, in the same run.

Prints one JSON object a line with the keys ``case``, ``gantoy_s``,
``reference``, ``reference_s`` and ``ratio`` (``reference_s / gantoy_s``; above
1 means gantoy is faster), each time the median of ``--repeats`` runs after one
warm-up call (so JAX's compilation is not counted), plus ``dtype``, ``repeats``
and the agreement of the two values. The two sides of a case alternate, so a
shared machine's load falls on both alike. Everything runs in float64, except
the Sinkhorn cases, which run once in float64 and once in float32 (JAX's
default), both sides in the same dtype.

Cases:
  * 1-d W_1 at n = 1e6 against ``scipy.stats.wasserstein_distance`` (ratio >= 1);
  * exact W_1 at n = 500 and 1000, 2-d, uniform weights, against POT ``emd2``
    (ratio >= 0.5 at n = 1000);
  * exact W_1 at n = 1000, 2-d, non-uniform weights: gantoy (POT's network
    simplex, ``ot.emd``, behind ``jax.pure_callback``) against the transport
    LP solved by HiGHS (dual simplex, ``scipy.optimize.linprog``, n^2 = 1e6
    variables), the solver gantoy used before; 3 interleaved runs at most
    (HiGHS takes 10-25 s there), gantoy after one warm-up call. And the same
    gantoy call against ``ot.emd2`` itself: the cost of the JAX wrapper;
  * Sinkhorn at n = 2000, epsilon = 0.05, squared Euclidean cost on 2-d data,
    both to marginal tolerance 1e-6 and at most 1000 iterations, against POT
    ``sinkhorn2(..., method="sinkhorn_log")`` (ratio >= 5) and against ott-jax
    (``ott.solvers.linear.sinkhorn.Sinkhorn``, log domain, the same L2 column
    marginal error; ott-jax checks it every ``inner_iterations`` = 10
    iterations, its default, and once with 1, gantoy's; ratio >= 1/1.1);
  * sliced W_2 at n = 10 000 (uniform) and n = 10 000 against m = 8 000
    (weighted), 2-d, 100 directions drawn from the same key, against ott-jax's
    ``ott.tools.sliced.sliced_wasserstein`` (ratio >= 1/1.1).

The ott-jax cases need ott-jax installed (it is no dependency of gantoy); they
are skipped with a note otherwise.

Usage: ``python benchmarks/ot.py [--repeats 5] [--only sinkhorn,sliced]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import functools
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
import scipy.optimize  # noqa: E402
import scipy.sparse  # noqa: E402
import scipy.stats  # noqa: E402

import gantoy  # noqa: E402


def median_times(gantoy_fn, reference_fn, repeats: int, warm_up: bool = True):
    """Median wall times of the two calls over ``repeats`` interleaved runs, after
    one warm-up call each (interleaving spreads a shared machine's load evenly).
    ``warm_up=False`` for slow host solvers, where compilation is negligible."""
    if warm_up:
        gantoy_fn(), reference_fn()
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


def highs_transport_value(x, y, a, b) -> float:
    """Exact W_1 by the transport LP with HiGHS (dual simplex, no presolve): the
    solver gantoy's weighted path used before POT's network simplex, kept here as
    the reference this case measures against."""
    cost = ot.dist(x, y, metric="euclidean")
    n, m = cost.shape
    var = np.arange(n * m)  # P[i, j] -> i * m + j; rows sum to a, columns to b
    rows = np.concatenate([var // m, n + var % m])
    a_eq = scipy.sparse.csr_array((np.ones(2 * n * m), (rows, np.concatenate([var, var]))), shape=(n + m, n * m))
    res = scipy.optimize.linprog(cost.ravel(), A_eq=a_eq, b_eq=np.concatenate([a / a.sum(), b / b.sum()]),
                                 bounds=(0, None), method="highs-ds", options={"presolve": False})
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the transport LP: {res.message}")
    return float(res.fun)


def bench_exact_weighted(repeats: int) -> None:
    """Non-uniform weights: gantoy (POT's network simplex) against the HiGHS LP, and
    against ``ot.emd2`` called directly."""
    n = 1000
    rng = np.random.default_rng(n + 1)
    x, y = rng.random((n, 2)), rng.random((n, 2))
    a, b = rng.random(n) + 0.1, rng.random(n) + 0.1
    an, bn = a / a.sum(), b / b.sum()
    xj, yj, aj, bj = map(jnp.asarray, (x, y, a, b))
    f = jax.jit(gantoy.wasserstein)
    ready(f(xj, yj, aj, bj))  # compile; HiGHS has nothing to warm up
    highs_repeats = min(repeats, 3)
    g_s, g_val, r_s, r_val = median_times(
        lambda: ready(f(xj, yj, aj, bj)), lambda: highs_transport_value(x, y, a, b), highs_repeats, warm_up=False
    )
    emit(f"wasserstein exact p=1 2-d weighted n={n}", g_s, "HiGHS transport LP (scipy.optimize.linprog)", r_s,
         "float64", highs_repeats, abs_diff=abs(float(g_val) - r_val))
    g_s, g_val, r_s, r_val = median_times(
        lambda: ready(f(xj, yj, aj, bj)), lambda: ot.emd2(an, bn, ot.dist(x, y, metric="euclidean")), repeats
    )
    emit(f"wasserstein exact p=1 2-d weighted n={n}", g_s, "ot.emd2 (incl. ot.dist)", r_s, "float64", repeats,
         abs_diff=abs(float(g_val) - float(r_val)))


def _sinkhorn_data(dtype: str):
    n = 2000
    rng = np.random.default_rng(1)
    x, y = rng.random((n, 2)).astype(dtype), rng.random((n, 2)).astype(dtype)
    return x, y, np.full(n, 1.0 / n, dtype)


SINKHORN_EPS, SINKHORN_TOL, SINKHORN_CAP = 0.05, 1e-6, 1000
SINKHORN_CASE = "sinkhorn n=2000 eps=0.05 tol=1e-6 cap=1000"


def _gantoy_sinkhorn():
    return jax.jit(lambda x_, y_: gantoy.sinkhorn(
        x_, y_, epsilon=SINKHORN_EPS, p=2, max_iter=SINKHORN_CAP, tol=SINKHORN_TOL))


def bench_sinkhorn(repeats: int, dtype: str) -> None:
    """Both sides in the same dtype (POT keeps float32 inputs in float32)."""
    x, y, w = _sinkhorn_data(dtype)
    with jax.enable_x64(dtype == "float64"):
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        f = _gantoy_sinkhorn()

        def reference():
            m = ot.dist(x, y, metric="sqeuclidean")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cost, log = ot.sinkhorn2(w, w, m, SINKHORN_EPS, method="sinkhorn_log",
                                         numItermax=SINKHORN_CAP, stopThr=SINKHORN_TOL, log=True)
            return float(cost), int(log["niter"]) + 1

        g_s, res, r_s, (r_cost, r_iter) = median_times(lambda: ready(f(xj, yj)), reference, repeats)
    emit(f"{SINKHORN_CASE} {dtype}", g_s, "ot.sinkhorn2 method=sinkhorn_log", r_s, dtype, repeats,
         gantoy_iters=int(res.n_iter), reference_iters=r_iter, gantoy_converged=bool(res.converged),
         rel_diff=abs(float(res.cost) - r_cost) / r_cost)


@functools.cache
def _ott():
    """ott-jax's modules, or None (with a note, once) when it is not installed."""
    try:
        from ott.geometry import pointcloud
        from ott.problems.linear import linear_problem
        from ott.solvers.linear import sinkhorn
        from ott.tools import sliced
    except ImportError:
        print(json.dumps({"note": "ott-jax is not installed: its comparison cases are skipped"}), flush=True)
        return None
    return pointcloud, linear_problem, sinkhorn, sliced


def bench_sinkhorn_ott(repeats: int, dtype: str, inner_iterations: int) -> None:
    """ott-jax's Sinkhorn in the log domain, from zero potentials, updating g then f
    (gantoy's order), stopping on the L2 norm of the column marginal error
    (``norm_error=2``), checked every ``inner_iterations`` iterations."""
    mods = _ott()
    if mods is None:
        return
    pointcloud, linear_problem, sinkhorn, _ = mods
    import ott

    x, y, _ = _sinkhorn_data(dtype)
    with jax.enable_x64(dtype == "float64"):
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        f = _gantoy_sinkhorn()
        solver = sinkhorn.Sinkhorn(threshold=SINKHORN_TOL, norm_error=2, lse_mode=True,
                                   max_iterations=SINKHORN_CAP, inner_iterations=inner_iterations)

        @jax.jit
        def reference(x_, y_):
            geom = pointcloud.PointCloud(x_, y_, epsilon=SINKHORN_EPS)  # squared Euclidean cost
            out = solver(linear_problem.LinearProblem(geom))
            return out.primal_cost, out.n_iters, out.converged

        g_s, res, r_s, (r_cost, r_iter, r_conv) = median_times(
            lambda: ready(f(xj, yj)), lambda: ready(reference(xj, yj)), repeats)
    emit(f"{SINKHORN_CASE} {dtype}", g_s,
         f"ott-jax {ott.__version__} Sinkhorn inner_iterations={inner_iterations}", r_s, dtype, repeats,
         gantoy_iters=int(res.n_iter), reference_iters=int(r_iter), gantoy_converged=bool(res.converged),
         reference_converged=bool(r_conv), rel_diff=abs(float(res.cost) - float(r_cost)) / float(r_cost))


def bench_sliced_ott(repeats: int, weighted: bool) -> None:
    """Sliced W_2 with the same 100 directions (ott-jax draws them as gantoy does from
    the same key); ott-jax returns the mean of W_2^2, gantoy its square root."""
    mods = _ott()
    if mods is None:
        return
    sliced = mods[3]
    import ott

    n, m, k = (10_000, 8_000, 100) if weighted else (10_000, 10_000, 100)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(n, 2)), rng.normal(0.5, size=(m, 2))
    a, b = (jnp.asarray(rng.random(n)), jnp.asarray(rng.random(m))) if weighted else (None, None)
    a_n, b_n = (a / a.sum(), b / b.sum()) if weighted else (None, None)
    key = jax.random.key(3)
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    f = jax.jit(lambda x_, y_, a_, b_: gantoy.sliced_wasserstein(
        x_, y_, a_, b_, key=key, n_projections=k, p=2))
    reference = jax.jit(lambda x_, y_, a_, b_: sliced.sliced_wasserstein(
        x_, y_, a_, b_, n_proj=k, rng=key)[0])
    g_s, g_val, r_s, r_val = median_times(
        lambda: ready(f(xj, yj, a, b)), lambda: ready(reference(xj, yj, a_n, b_n)), repeats)
    emit(f"sliced_wasserstein p=2 2-d K={k} n={n} m={m} {'weighted' if weighted else 'uniform'}", g_s,
         f"ott-jax {ott.__version__} tools.sliced.sliced_wasserstein", r_s, "float64", repeats,
         rel_diff=abs(float(g_val) ** 2 - float(r_val)) / float(r_val))


CASES = {
    "1d": lambda r: bench_1d(r),
    "exact": lambda r: (bench_exact(500, r), bench_exact(1000, r)),
    "exact_weighted": lambda r: bench_exact_weighted(r),
    "sinkhorn": lambda r: [bench_sinkhorn(max(1, r // 2 + 1), dt) for dt in ("float64", "float32")],
    "sinkhorn_ott": lambda r: [bench_sinkhorn_ott(r, dt, inner) for dt in ("float64", "float32")
                               for inner in (10, 1)],
    "sliced_ott": lambda r: [bench_sliced_ott(r, w) for w in (False, True)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (median)")
    parser.add_argument("--only", default=",".join(CASES), help=f"comma-separated subset of {list(CASES)}")
    args = parser.parse_args()
    for name in args.only.split(","):
        CASES[name](args.repeats)


if __name__ == "__main__":
    main()

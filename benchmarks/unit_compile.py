"""What compiling costs the unit tests, with and without one-piece code generation.

The unit tests (``tests/conftest.py``) compile hundreds of tiny programs at
LLVM ``-O0`` with XLA's older loop emitters, and generate each program's
machine code in one piece (``--xla_cpu_parallel_codegen_split_count=1``)
instead of in parts spread over a pool of threads. This script measures that
last setting with the tests' other two on: a fresh interpreter compiles
``--programs`` distinct small programs (the jitted gradient of a small
expression, ``tanh`` of a matrix product plus a softplus term, one program per
input shape; the inputs are NumPy arrays made beforehand, so nothing else is
compiled; no compilation cache) and reports its CPU time (all threads) and
wall time. The two settings alternate for ``--repeats`` rounds, so a shared
machine's load falls on both alike, and the script prints one JSON line per
setting with the medians and each run's CPU time, then one with the ratios
(reference / one piece; above 1: one piece costs less) and how many rounds
one piece took less CPU time.

    .venv/bin/python benchmarks/unit_compile.py [--programs 150] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

UNIT = "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false"
SETTINGS = {
    "unit tests' settings, code in parts (reference)": UNIT,
    "unit tests' settings, code in one piece": f"{UNIT} --xla_cpu_parallel_codegen_split_count=1",
}

CHILD = """
import resource, sys, time
import jax, jax.numpy as jnp
import numpy as np

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

f = jax.jit(lambda x, y: jnp.tanh(x @ y).sum() + jnp.log1p(jnp.exp(-jnp.abs(x))).mean())
g = jax.jit(jax.grad(f))
w = np.ones((8, 3), np.float32)
xs = [np.ones((n, 8), np.float32) for n in range(2, 2 + int(sys.argv[1]))]  # one program per shape
jax.block_until_ready(g(np.ones((1, 8), np.float32), w))  # start-up and a first compile, not counted
c0, w0 = cpu(), time.perf_counter()
for x in xs:
    jax.block_until_ready(g(x, w))
print(cpu() - c0, time.perf_counter() - w0)
"""


def one_run(flags: str, programs: int) -> tuple[float, float]:
    env = dict(os.environ, XLA_FLAGS=flags, JAX_ENABLE_COMPILATION_CACHE="false", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", CHILD, str(programs)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=150, help="distinct programs compiled per run")
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds")
    args = parser.parse_args(argv)
    runs = {name: [] for name in SETTINGS}
    for _ in range(args.repeats):
        for name, flags in SETTINGS.items():
            runs[name].append(one_run(flags, args.programs))
    medians = {}
    for name, pairs in runs.items():
        cpu_s = statistics.median(c for c, _ in pairs)
        wall_s = statistics.median(w for _, w in pairs)
        medians[name] = (cpu_s, wall_s)
        print(json.dumps({"setting": name, "programs": args.programs, "repeats": args.repeats,
                          "cpu_s": round(cpu_s, 2), "wall_s": round(wall_s, 2),
                          "cpu_s_each_run": [round(c, 2) for c, _ in pairs]}), flush=True)
    (ref_c, ref_w), (new_c, new_w) = medians.values()
    ref_runs, new_runs = runs.values()
    wins = sum(n[0] < r[0] for r, n in zip(ref_runs, new_runs))
    print(json.dumps({"ratio_cpu": round(ref_c / new_c, 2), "ratio_wall": round(ref_w / new_w, 2),
                      "rounds_one_piece_less_cpu": f"{wins} of {args.repeats}"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

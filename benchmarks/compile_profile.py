"""Where a first run of the notebooks spends its compile time.

Runs the given notebooks (default: all of ``notebooks/``) one at a time, each
in a fresh kernel (:func:`gantoy.notebook.demo.execute_notebook`), as a first
``make demo`` does: an empty JAX compilation cache shared by the run, the
committed files left alone. The kernels start with JAX's compile log on
(``JAX_LOG_COMPILES=1``), which the notebooks' stderr outputs then carry;
nothing in the notebooks changes. Prints one JSON object a
line for each notebook: the wall time, the programs compiled or read from the cache, the CPU seconds
spent compiling (in all threads) split at ``--big`` seconds into
training-size programs and small ones (mostly what eager ``jax.numpy`` calls
compile, one program for each operation and shape), the seconds spent turning
traced programs into XLA's input (MLIR, "lowering"; every program, compiled
or read from the cache), the programs read back from the cache, and the five
names that took longest; then one line with the totals.

    .venv/bin/python benchmarks/compile_profile.py [notebooks/07_*.ipynb ...] [--big 0.6]

A program read back from the cache (compiled earlier in the same run, by an
earlier notebook or earlier in the same one) is counted among the programs, at
the time the read took, and also in ``read_from_cache``.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import re
import sys
import tempfile
from pathlib import Path

FINISHED = re.compile(r"Finished XLA compilation of (.*) in ([\d.eE+-]+) sec")
LOWERED = re.compile(r"Finished jaxpr to MLIR module conversion .* in ([\d.eE+-]+) sec")
CACHE_HIT = re.compile(r"Persistent compilation cache hit for ")


def profile(path: str, cache: str, big: float) -> dict:
    from gantoy.notebook.demo import execute_notebook

    env = {"JAX_LOG_COMPILES": "1", "JAX_COMPILATION_CACHE_DIR": cache, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    nb, wall = execute_notebook(path, write=False, timeout=600, env=env)
    log = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                  if out.get("name") == "stderr")
    by_name, counts = collections.defaultdict(float), collections.Counter()
    sizes = {"big": [0, 0.0], "small": [0, 0.0]}
    for name, seconds in FINISHED.findall(log):
        seconds = float(seconds)
        by_name[name] += seconds
        counts[name] += 1
        part = sizes["big" if seconds > big else "small"]
        part[0] += 1
        part[1] += seconds
    top = sorted(by_name.items(), key=lambda kv: -kv[1])[:5]
    return {
        "notebook": Path(path).stem,
        "seconds": round(wall, 1),
        "programs": sum(counts.values()),
        "compile_cpu_s": round(sizes["big"][1] + sizes["small"][1], 1),
        f"programs_over_{big}_s": sizes["big"][0],
        f"compile_cpu_s_over_{big}_s": round(sizes["big"][1], 1),
        "small_programs": sizes["small"][0],
        "compile_cpu_s_small": round(sizes["small"][1], 1),
        "lowering_s": round(sum(float(s) for s in LOWERED.findall(log)), 1),
        "read_from_cache": len(CACHE_HIT.findall(log)),
        "top": [[name, counts[name], round(t, 2)] for name, t in top],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    parser.add_argument("--big", type=float, default=0.6, help="seconds: a program compiled longer is training-size")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(glob.glob("notebooks/[0-9][0-9]*_*.ipynb"))
    totals = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        for path in paths:
            record = profile(path, cache, args.big)
            for k, v in record.items():
                if isinstance(v, (int, float)):
                    totals[k] += v
            print(json.dumps(record), flush=True)
    print(json.dumps({"notebooks": len(paths), **{k: round(v, 1) for k, v in totals.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""XLA compiler settings against the notebooks: first-run time and ledger values.

The unit tests compile with settings that compile faster (``tests/conftest.py``);
the notebook kernels compile with LLVM at -O2 instead of XLA's default -O3
(``gantoy.notebook.demo.NOTEBOOK_XLA_FLAGS``). This script shows why. It runs
the given notebooks (``--no-write``: the committed files are left alone) once
under each setting, each with an empty compilation cache (a first run), and
prints one JSON object a line: the setting, its run time and each notebook's,
the ratio of the reference run's time to it (the notebooks' setting, run
first, in the same run of this script), how many ledger rows hold another value
than the reference run's and which, which rows then differ from what they
declare, and the values of the rows declared to fail or at the edge (each with
its threshold and the reference's value).

    .venv/bin/python benchmarks/xla_settings.py notebooks/07_*.ipynb notebooks/08_*.ipynb notebooks/10_*.ipynb
    .venv/bin/python benchmarks/xla_settings.py --only "llvm -O3 (XLA's default)" --jobs 2 notebooks/*.ipynb

Every setting names the optimisation level itself: a notebook kernel adds
-O2 only to flags that name none.

A GAN run carries a difference in the last bit of one operation into
everything after it, so a setting that changes how any operation rounds changes
the values of the trained networks, and a row near its threshold can cross it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE = "llvm -O2 (the notebooks' setting)"
SETTINGS = {
    REFERENCE: "--xla_backend_optimization_level=2",
    "llvm -O3 (XLA's default)": "--xla_backend_optimization_level=3",
    "older loop emitters": "--xla_backend_optimization_level=2 --xla_cpu_use_fusion_emitters=false",
    "llvm -O0": "--xla_backend_optimization_level=0",
    "llvm -O0, older loop emitters": "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false",
}

def run(notebooks: list[str], flags: str, workdir: Path, jobs: int) -> tuple[float, list[dict], dict]:
    """One ``python -m gantoy.notebook.demo --no-write --jobs jobs`` under ``XLA_FLAGS=flags`` with an empty cache:
    its seconds, its ledger rows and each notebook's seconds (``None``: the notebook failed), the last two
    read from the run's ``--out`` file."""
    cache, out = tempfile.mkdtemp(dir=workdir), Path(tempfile.mkdtemp(dir=workdir)) / "ledger.json"
    env = dict(os.environ, XLA_FLAGS=flags, JAX_COMPILATION_CACHE_DIR=cache,
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gantoy.notebook.demo", "--no-write", "--jobs", str(jobs),
                           "--out", str(out), *notebooks], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if not out.exists():
        raise SystemExit(f"the run with XLA_FLAGS={flags!r} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    record = json.loads(out.read_text())  # gantoy.notebook.demo.run_record; a failed notebook's time is None
    return seconds, record["rows"], dict(sorted(record["seconds"].items()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--only", nargs="*", choices=[n for n in SETTINGS if n != REFERENCE], default=None,
                        help="the settings to compare with the reference (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks at a time (default 1: each timed alone)")
    args = parser.parse_args(argv)
    names = [REFERENCE] + [n for n in SETTINGS if n != REFERENCE and (args.only is None or n in args.only)]
    key = lambda r: (r["notebook"], r["claim"], r["what"])
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            flags = SETTINGS[name]
            seconds, rows, per_notebook = run(args.notebooks, flags, Path(tmp), args.jobs)
            if reference is None:
                reference = (seconds, {key(r): r["measured"] for r in rows}, per_notebook)
            ref_seconds, ref_values, ref_per_notebook = reference
            differing = [r for r in rows if ref_values.get(key(r)) != r["measured"]]
            print(json.dumps({
                "setting": name,
                "XLA_FLAGS": flags,
                "jobs": args.jobs,
                "seconds": round(seconds, 1),
                "ratio": round(ref_seconds / seconds, 3),
                "seconds_per_notebook": {nb: None if t is None else round(t, 1) for nb, t in per_notebook.items()},
                "ratio_per_notebook": {nb: round(ref_per_notebook[nb] / t, 2) for nb, t in per_notebook.items()
                                       if t is not None and ref_per_notebook.get(nb) is not None},
                "notebooks_failed": [nb for nb, t in per_notebook.items() if t is None],
                "ledger_values": len(rows),
                "rows_differing_from_reference": len(differing),
                "differing": [f"{r['notebook']} {r['claim']}: {r['measured']} (reference {ref_values.get(key(r))})"
                              for r in differing][:12],
                "rows_not_as_declared": [f"{r['notebook']} {r['claim']}: {r['what']} = {r['measured']}"
                                         for r in rows if not r["as_declared"]],
                "declared_failures_and_rows_at_the_edge": [f"{r['notebook']} {r['claim']}: {r['what']} = {r['measured']} "
                                      f"(threshold {r['threshold']}; reference {ref_values.get(key(r))})"
                                      for r in rows if r.get("expected") is not True],
            }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

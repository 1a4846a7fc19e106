"""XLA compiler settings against the notebooks: first-run time and ledger values.

The unit tests compile with settings that compile faster (``tests/conftest.py``);
the notebooks keep XLA's own. This script shows why. It runs the given
notebooks (``--no-write``: the committed files are left alone) once under each
setting, each with an empty compilation cache (a first run), and prints one
JSON object a line: the setting, its run time, the ratio of the reference run's
time to it (XLA's own settings, run first, in the same run of this script), how
many ledger rows hold another value than the reference run's, which rows then
differ from what they declare, and the values of the rows declared to fail
(each with its threshold and the reference's value).

    .venv/bin/python benchmarks/xla_settings.py notebooks/07_*.ipynb notebooks/08_*.ipynb notebooks/10_*.ipynb

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

SETTINGS = {
    "xla defaults (reference)": "",
    "older loop emitters": "--xla_cpu_use_fusion_emitters=false",
    "llvm -O0": "--xla_backend_optimization_level=0",
    "llvm -O0, older loop emitters": "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false",
}


def run(notebooks: list[str], flags: str, workdir: Path) -> tuple[float, list[dict]]:
    """One ``python -m gantoy.notebook.demo --no-write --jobs 1`` under ``XLA_FLAGS=flags`` with an empty cache."""
    cache, out = tempfile.mkdtemp(dir=workdir), Path(tempfile.mkdtemp(dir=workdir)) / "ledger.json"
    env = dict(os.environ, XLA_FLAGS=flags, JAX_COMPILATION_CACHE_DIR=cache,
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gantoy.notebook.demo", "--no-write", "--jobs", "1",
                           "--out", str(out), *notebooks], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if not out.exists():
        raise SystemExit(f"the run with XLA_FLAGS={flags!r} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds, json.loads(out.read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)
    key = lambda r: (r["notebook"], r["claim"], r["what"])
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in SETTINGS.items():
            seconds, rows = run(args.notebooks, flags, Path(tmp))
            if reference is None:
                reference = (seconds, {key(r): r["measured"] for r in rows})
            ref_seconds, ref_values = reference
            print(json.dumps({
                "setting": name,
                "XLA_FLAGS": flags,
                "seconds": round(seconds, 1),
                "ratio": round(ref_seconds / seconds, 3),
                "ledger_values": len(rows),
                "rows_differing_from_reference": sum(ref_values.get(key(r)) != r["measured"] for r in rows),
                "rows_not_as_declared": [f"{r['notebook']} {r['claim']}: {r['what']} = {r['measured']}"
                                         for r in rows if not r["as_declared"]],
                "declared_failures_and_rows_at_the_edge": [f"{r['notebook']} {r['claim']}: {r['what']} = {r['measured']} "
                                      f"(threshold {r['threshold']}; reference {ref_values.get(key(r))})"
                                      for r in rows if r.get("expected") is not True],
            }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

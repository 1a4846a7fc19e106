"""Execute the notebooks headless and print the claims ledger (``make demo``).

Usage::

    python -m gantoy.demo                       # every notebooks/*.ipynb, in order
    python -m gantoy.demo notebooks/04_*.ipynb  # just some
    python -m gantoy.demo --no-write            # leave the committed notebooks alone

Each notebook runs in a fresh kernel (nbclient, per-cell timeout) from the
``notebooks/`` folder. The executed copy is written back in place by default,
so the committed notebooks carry their outputs. The ledger rows are read back
from the outputs of this run (see :mod:`gantoy.ledger`), printed as one table
C1..C20 and written to ``build/ledger.json``. The exit status is non-zero when
a notebook fails or any row's result differs from what it declared.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from pathlib import Path

from gantoy.ledger import MIME, format_value

__all__ = ["ALL_CLAIMS", "execute_notebook", "read_ledger", "ledger_table", "main"]

ALL_CLAIMS = tuple(f"C{i}" for i in range(1, 21))


def execute_notebook(path, *, write: bool = True, timeout: int = 300, output=None, env=None):
    """Run ``path`` top to bottom in a fresh kernel; return ``(notebook, seconds)``.

    The kernel's working directory is the notebook's folder. With ``write`` the
    executed notebook replaces the file (or goes to ``output`` if given).
    ``env`` maps environment variables to the values the kernel starts with
    (``None``: unset). Raises ``nbclient.exceptions.CellExecutionError`` when a
    cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    # Figures must be embedded even when the caller set MPLBACKEND=Agg (tests do).
    overrides = {**(env or {}), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    saved = {name: os.environ.get(name) for name in overrides}
    for name, value in overrides.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    seconds = time.perf_counter() - start
    if write or output is not None:
        nbformat.write(nb, Path(output) if output is not None else path)
    return nb, seconds


def read_ledger(nb, notebook_name: str = "") -> list[dict]:
    """The ledger rows a notebook's outputs carry, in order."""
    rows = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME in data:
                row = dict(data[MIME])
                row["notebook"] = notebook_name
                rows.append(row)
    return rows


def ledger_table(rows: list[dict]) -> tuple[str, list[dict]]:
    """Render rows as a C1..C20 table; claims without a row show as TODO.

    Returns the text and the list of objects written to ``build/ledger.json``.
    """
    by_claim: dict[str, list[dict]] = {c: [] for c in ALL_CLAIMS}
    for r in rows:
        by_claim.setdefault(r["claim"], []).append(r)
    lines = [f"{'claim':6} {'notebook':34} {'result':10} {'measured':>12}  {'threshold':18} what"]
    lines.append("-" * 110)
    records = []
    for claim in ALL_CLAIMS:
        if not by_claim[claim]:
            lines.append(f"{claim:6} {'-':34} {'TODO':10} {'':>12}  {'':18} not demonstrated yet")
            continue
        for r in by_claim[claim]:
            if r["passed"]:
                status = "PASS" if r["expected"] else "PASS!?"
            else:
                status = "FAIL" if r["expected"] else "fail(decl)"
            lines.append(
                f"{claim:6} {r['notebook'][:34]:34} {status:10} "
                f"{format_value(r['measured']):>12}  {r['threshold'][:18]:18} {r['what']}"
            )
            if not r["expected"]:
                lines.append(f"{'':6} {'':34} {'':10} {'':>12}  declared fail: {r['reason']}")
            records.append(
                {k: r.get(k) for k in (
                    "claim", "notebook", "measured", "threshold", "passed", "what",
                    "expected", "reason", "as_declared")}
            )
    return "\n".join(lines), records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    parser.add_argument("--no-write", action="store_true", help="do not write executed notebooks back")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds")
    parser.add_argument("--out", default="build/ledger.json")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(glob.glob("notebooks/[0-9][0-9]*_*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 2
    all_rows, failures, total = [], [], 0.0
    for p in paths:
        name = Path(p).stem
        print(f"[demo] running {name} ...", flush=True)
        try:
            nb, seconds = execute_notebook(p, write=not args.no_write, timeout=args.timeout)
        except Exception as err:  # report and go on with the others
            print(f"[demo] {name} FAILED: {type(err).__name__}: {str(err)[-2000:]}", flush=True)
            failures.append(f"{name}: {type(err).__name__}")
            continue
        total += seconds
        rows = read_ledger(nb, name)
        off = [r for r in rows if r["passed"] != r["expected"]]
        print(f"[demo] {name}: {seconds:.1f} s, {len(rows)} ledger rows, "
              f"{len(off)} not as declared", flush=True)
        failures += [f"{name}: {r['claim']} {r['what']}" for r in off]
        all_rows += rows
    text, records = ledger_table(all_rows)
    print()
    print(text)
    print(f"\n[demo] {len(paths)} notebooks in {total:.1f} s of execution")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(records, f, indent=1)
    print(f"[demo] ledger written to {args.out}")
    if failures:
        print("[demo] results that differ from what was declared (or notebooks that failed):")
        for f_ in failures:
            print("   ", f_)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

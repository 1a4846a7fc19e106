"""Execute the notebooks headless and print the claims ledger (``make demo``).

Usage::

    python -m gantoy.notebook.demo                       # every notebooks/*.ipynb, in order
    python -m gantoy.notebook.demo notebooks/04_*.ipynb  # just some
    python -m gantoy.notebook.demo --no-write            # leave the committed notebooks alone
    python -m gantoy.notebook.demo --jobs 1              # one notebook at a time, each timed alone

Each notebook runs in a fresh kernel (nbclient, per-cell timeout) from the
``notebooks/`` folder, two at a time on a machine with two or more cores
(``--jobs``, see :func:`schedule`); a notebook whose metadata says
``"gantoy": {"run_alone": "<reason>"}`` runs with no other beside it. The
executed copy is written back in place by default, so the committed notebooks
carry their outputs. The ledger rows are read back
from the outputs of this run (see :mod:`gantoy.notebook.ledger`) and judged again with
:func:`gantoy.notebook.ledger.reevaluate`: the booleans stored in a row are not
trusted, and a row whose stored booleans disagree with the recomputation is
reported. The ledger is printed as one table C1..C20 and written, with the
measured values at full precision, to ``build/ledger.json`` (:func:`run_record`:
the rows, each notebook's run time and how many ran at a time).

After a run that wrote its notebooks back, the page ``docs/verdicts.md`` is
written too: the claims ledger C1..C20 and each notebook's run time, so that it
always describes the notebooks as they now are. When every notebook ran, all of
it comes from this run; after a run of some of ``notebooks/``, the others' rows
and run times are read from their own outputs (judged again, like every row)
and the page says which notebooks this run executed and when each was executed.
A run with ``--no-write`` leaves the page alone.

Every file is replaced atomically (a temporary file in the same folder,
flushed to disk, then renamed over the old one): Ctrl-C, a killed process or
a full disk leaves each file either as it was or complete. Ctrl-C while a
notebook runs stops the whole run and writes nothing. The exit status is non-zero when a notebook fails or any row is not
as declared.
"""

from __future__ import annotations

import argparse
import base64
import glob
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from gantoy._threads import cores
from gantoy.notebook.ledger import MIME, format_value, reevaluate, result_text

__all__ = [
    "ALL_CLAIMS",
    "execute_notebook",
    "judge_rows",
    "kernel_xla_flags",
    "ledger_table",
    "main",
    "read_ledger",
    "recorded_end",
    "recorded_seconds",
    "run_alone",
    "run_record",
    "schedule",
    "verdicts_page",
    "gallery_images",
    "write_atomic",
]

ALL_CLAIMS = tuple(f"C{i}" for i in range(1, 21))
VERDICTS = "docs/verdicts.md"

# The notebook kernels compile with XLA's LLVM back end at -O2 instead of its
# default -O3. Compiling is most of a first run (the trainings are programs of
# several seconds each), -O2 compiles a course-size training in about two
# thirds of the time, and the code runs as fast. The trainings give the same
# numbers to the last bit; three of the 102 ledger values differ at round-off
# level (README: "XLA settings and the notebooks", benchmarks/xla_settings.py).
NOTEBOOK_XLA_FLAGS = "--xla_backend_optimization_level=2"

# Two kernels share JAX's persistent compilation cache (make demo runs two
# notebooks at a time). JAX writes a cache entry in place, so a kernel that reads
# an entry while the other is still writing it finds it cut short; JAX then warns
# and compiles the program itself, which gives the same machine code. The kernels
# leave that warning out of the notebooks' outputs (pyproject.toml does the same
# for the test workers).
CACHE_READ_WARNING = "ignore:Error reading persistent compilation cache entry:UserWarning"

_BOOLEANS = ("passed", "valid_ok", "as_declared")


def write_atomic(path, text: str | bytes) -> None:
    """Replace ``path`` by ``text`` so that an interruption leaves it old or new.

    The text goes to a temporary file in the same folder, is flushed to disk
    (``fsync``), and is renamed over ``path`` (``os.replace``, atomic on POSIX
    and Windows). The file keeps its permission bits. If anything fails on
    the way (Ctrl-C, a full disk), the temporary file is removed and ``path``
    is untouched; only a killed process can leave a hidden
    ``.NAME.*.tmp`` file behind, never a broken ``path``.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.json"
        >>> write_atomic(p, "[1]"); p.read_text()
        '[1]'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def kernel_xla_flags(flags: str | None) -> str:
    """The ``XLA_FLAGS`` a notebook kernel starts with, given the caller's ``flags``.

    The caller's flags, with ``NOTEBOOK_XLA_FLAGS`` (LLVM at ``-O2``, see there)
    added unless they set ``xla_backend_optimization_level`` themselves.

    >>> kernel_xla_flags(None)
    '--xla_backend_optimization_level=2'
    >>> kernel_xla_flags("--xla_cpu_use_fusion_emitters=false")
    '--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=2'
    >>> kernel_xla_flags("--xla_backend_optimization_level=3")
    '--xla_backend_optimization_level=3'
    """
    flags = (flags or "").strip()
    if "xla_backend_optimization_level" in flags:
        return flags
    return f"{flags} {NOTEBOOK_XLA_FLAGS}".strip()


def execute_notebook(path, *, write: bool = True, timeout: int = 300, output=None, env=None):
    """Run ``path`` top to bottom in a fresh kernel; return ``(notebook, seconds)``.

    The kernel's working directory is the notebook's folder. With ``write`` the
    executed notebook replaces the file (or goes to ``output`` if given),
    atomically (:func:`write_atomic`). ``env`` maps environment variables to
    the values the kernel starts with (``None``: unset); its ``XLA_FLAGS`` are
    then completed by :func:`kernel_xla_flags`, and its ``PYTHONWARNINGS`` by
    :data:`CACHE_READ_WARNING`. On POSIX the kernel
    talks to this process over local IPC sockets in a private temporary
    folder rather than over TCP: nothing listens on the network, and the
    kernel has no reason to warn about unencrypted transport. The client waits
    for the kernel's messages in short polls
    (:class:`gantoy.notebook.kernel_client.PollingKernelClient`), so that a
    reply whose arrival was not signalled is read within half a second rather
    than at the cell's timeout. Raises ``nbclient.exceptions.CellExecutionError``
    when a cell fails, and ``KeyboardInterrupt`` when the kernel was
    interrupted (Ctrl-C reaches the kernel too).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    config = Config()
    # Replies and outputs are waited for in short polls: see gantoy.notebook.kernel_client.
    config.KernelManager.client_class = "gantoy.notebook.kernel_client.PollingKernelClient"
    sockets = None
    if os.name == "posix":  # sockets in a private folder, unique to this kernel
        sockets = tempfile.mkdtemp(prefix="gantoy-kernel-")
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        config=config,
    )
    # Figures must be embedded even when the caller set MPLBACKEND=Agg (tests do).
    # The kernel gets its own environment: this process's is left alone, so
    # that notebooks started side by side in threads do not see each other's.
    overrides = {**(env or {}), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    kernel_env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            kernel_env.pop(name, None)
        else:
            kernel_env[name] = value
    kernel_env["XLA_FLAGS"] = kernel_xla_flags(kernel_env.get("XLA_FLAGS"))
    kernel_env["PYTHONWARNINGS"] = ",".join(filter(None, [kernel_env.get("PYTHONWARNINGS"), CACHE_READ_WARNING]))
    # While it runs, nbclient answers SIGINT / SIGTERM itself by shutting the
    # kernel down (and notes it in _async_cleanup_kernel_future); whatever the
    # run then raises, or even if it finishes, Ctrl-C must stop make demo.
    # (In a thread other than the main one nbclient cannot take signals: there
    # ``main`` stops the kernels itself, see ``_stop_kernels``.)
    start = time.perf_counter()
    with _RUNNING_LOCK:
        _RUNNING.add(client)
    try:
        client.execute(env=kernel_env)
    except BaseException as err:
        interrupted = isinstance(err, CellExecutionError) and err.ename == "KeyboardInterrupt"
        if interrupted or _signalled(client):
            raise KeyboardInterrupt from err
        raise
    else:
        if _signalled(client):
            raise KeyboardInterrupt
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(client)
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
    seconds = time.perf_counter() - start
    if write or output is not None:
        write_atomic(Path(output) if output is not None else path, nbformat.writes(nb) + "\n")
    return nb, seconds


_RUNNING: set = set()  # the NotebookClients whose kernels run now
_RUNNING_LOCK = threading.Lock()


def _stop_kernels() -> None:
    """Kill the kernel of every notebook still running (SIGKILL): its client then
    fails with a dead kernel and writes nothing."""
    with _RUNNING_LOCK:
        clients = list(_RUNNING)
    for client in clients:
        process = getattr(getattr(getattr(client, "km", None), "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()


def _signalled(client) -> bool:
    return getattr(client, "_async_cleanup_kernel_future", None) is not None


def read_ledger(nb, notebook_name: str = "") -> list[dict]:
    """The ledger rows a notebook's outputs carry, in order, each exactly once.

    An output holds either one row (``check(..., display=True)``) or a list of
    rows (``gantoy.notebook.ledger.show`` / ``table``). The rows are returned as
    stored, with ``notebook`` added; judge them with :func:`judge_rows`.

    Raises:
      ValueError: an output holds something that is not a row, or a row shown
        on its own also appears in a table (it would count twice: record it
        with ``check(..., display=False)``).
    """
    rows, singles, tabled = [], [], []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            payload = out.get("data", {}).get(MIME)
            if payload is None:
                continue
            for row in payload if isinstance(payload, list) else [payload]:
                if not isinstance(row, dict):
                    raise ValueError(f"{notebook_name}: a ledger output holds {row!r}, not a row")
                (tabled if isinstance(payload, list) else singles).append(dict(row))
                rows.append({**row, "notebook": notebook_name})
    twice = [r for r in singles if r in tabled]
    if twice:
        raise ValueError(
            f"{notebook_name}: {len(twice)} ledger row(s) shown on their own and again in a "
            f"table, e.g. {twice[0]['claim']} {twice[0].get('what')!r}; record rows for "
            "ledger.show(rows) with check(..., display=False)"
        )
    return rows


def judge_rows(rows: list[dict]) -> list[dict]:
    """Judge every row again (:func:`gantoy.notebook.ledger.reevaluate`).

    Returns the re-evaluated rows. A row whose stored ``passed`` /
    ``valid_ok`` / ``as_declared`` disagree with the recomputation gets
    ``problem`` saying so (and ``as_declared`` False); a row that cannot be
    judged (e.g. an older ledger's string value) gets ``problem`` with the
    reason and counts as not as declared.

    Example:
        >>> from gantoy.notebook.ledger import check
        >>> row = check("C7", "JS", 0.69, "> 0.6", display=False)
        >>> judge_rows([{**row, "passed": False}])[0]["problem"]
        'stored passed=False, but the row recomputes to True'
    """
    judged = []
    for row in rows:
        try:
            fresh = reevaluate(row)
        except (ValueError, TypeError, KeyError) as err:
            judged.append({**row, "passed": None, "valid_ok": None, "as_declared": False,
                           "problem": f"cannot be judged: {err}"})
            continue
        off = [k for k in _BOOLEANS if k in row and row[k] != fresh[k]]
        if any(k not in row for k in _BOOLEANS):
            off.append("the stored row lacks " + "/".join(k for k in _BOOLEANS if k not in row)
                       + " (an older ledger format)")
        if off:
            fresh["problem"] = "; ".join(
                f"stored {k}={row[k]}, but the row recomputes to {fresh[k]}" if k in row else k
                for k in off
            )
            fresh["as_declared"] = False
        judged.append(fresh)
    return judged


def _shown(row: dict) -> str:
    return format_value(row.get("measured"), row.get("threshold"), row.get("valid"))


def _status(row: dict) -> str:
    if row["passed"] is None:
        return "ERROR !"
    if row["expected"] is None:
        status = ("pass(edge)" if row["passed"] else "fail(edge)") if row["valid_ok"] else "INVALID"
    elif row["expected"]:
        status = "PASS" if row["passed"] else "FAIL"
    elif row["passed"]:
        status = "PASS"
    else:
        status = "fail(decl)" if row["valid_ok"] else "INVALID"
    return status if row["as_declared"] else status + " !"


def ledger_table(rows: list[dict]) -> tuple[str, list[dict]]:
    """Render judged rows (:func:`judge_rows`) as a C1..C20 table.

    Claims without a row show as TODO; a result followed by ``!`` is not as
    declared (the line below says why). Returns the text and the records
    written to ``build/ledger.json`` (measured values at full precision, plus
    ``shown``, the value as displayed).
    """
    by_claim: dict[str, list[dict]] = {c: [] for c in ALL_CLAIMS}
    for r in rows:
        by_claim.setdefault(r["claim"], []).append(r)
    lines = [f"{'claim':6} {'notebook':28} {'result':11} {'value':>12}  {'threshold':20} what"]
    lines.append("-" * 110)
    records = []
    for claim in by_claim:
        if not by_claim[claim]:
            lines.append(f"{claim:6} {'-':28} {'TODO':11} {'':>12}  {'':20} not demonstrated yet")
            continue
        for r in by_claim[claim]:
            shown = _shown(r)
            lines.append(
                f"{claim:6} {r['notebook'][:28]:28} {_status(r):11} {shown:>12}  "
                f"{str(r.get('threshold'))[:20]:20} {r.get('what', '')}"
            )
            notes = []
            if r.get("valid") is not None:
                notes.append(f"valid: {r['valid']}")
            if "problem" in r:
                notes.append(r["problem"])
            elif not r["expected"] or not r["as_declared"]:
                notes.append(result_text(r))
            if notes:
                lines.append(f"{'':6} {'':28} {'':11} {'':>12}  " + "; ".join(notes))
            records.append(
                {k: r.get(k) for k in (
                    "claim", "notebook", "what", "measured", "threshold", "valid",
                    "expected", "reason", "declared_after_run", "passed", "valid_ok", "as_declared")}
                | {"shown": shown}
                | ({"problem": r["problem"]} if "problem" in r else {})
            )
    return "\n".join(lines), records


def run_record(records: list[dict], times: dict[str, float | None], jobs: int, wall: float) -> dict:
    """What ``python -m gantoy.notebook.demo`` writes to ``--out`` (``build/ledger.json``).

    Args:
      records: the ledger rows, as :func:`ledger_table` returns them.
      times: each notebook's run time in seconds, by name (``None``: it failed).
      jobs: notebooks run at a time; with more than one, each time is under that shared load.
      wall: the whole run's duration in seconds.

    Returns:
      ``{"rows": records, "seconds": times, "jobs": jobs, "wall_seconds": wall}``, ready for ``json.dumps``.

    >>> run_record([], {"00_overview": 21.5, "01_minimax_and_nash": None}, 2, 30.0)["seconds"]
    {'00_overview': 21.5, '01_minimax_and_nash': None}
    """
    return {"rows": records, "seconds": dict(times), "jobs": int(jobs), "wall_seconds": float(wall)}


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def verdicts_page(rows: list[dict], times: dict[str, float | None], when: str, jobs: int = 1,
                  wall: float | None = None, alone=(), earlier: dict[str, str] | None = None) -> str:
    """The page ``docs/verdicts.md``: the claims ledger C1..C20 of the committed notebooks.

    Args:
      rows: judged rows (:func:`judge_rows`).
      times: each notebook's run time in seconds (``None``: the notebook failed).
      when: the time of the run, shown in the header line.
      jobs: notebooks run at a time (their times are then under that shared load).
      wall: the run's duration in seconds, shown when ``jobs`` > 1.
      alone: the notebooks that ran with no other beside them (:func:`run_alone`).
      earlier: the notebooks this run did not execute, each with the time it was
        executed (:func:`recorded_end`); their rows and times come from their
        own outputs. Empty or ``None``: every notebook ran in this run.
    """
    earlier = dict(earlier or {})
    if earlier:
        ran = [name for name in times if name not in earlier]
        header = [f"Written by `make demo` after its last run ({when}), which executed {', '.join(ran)}; "
                  "the rows and run times of the other notebooks are read from their own outputs, "
                  "executed earlier (dates in the run time table; their times add up their cells' times, "
                  "without the kernel's start-up). Do not edit this page by hand."]
    else:
        header = [f"Written by `make demo` from its last run ({when}); do not edit this page by hand."]
    out = [
        "# Verdicts: the claims ledger C1..C20",
        "",
        *header,
        "Each value is shown with the digits that judge it as the full-precision value does;",
        "`build/ledger.json` holds the full values.",
        "",
        "| claim | notebook | what was measured | value | threshold | result |",
        "|---|---|---|---|---|---|",
    ]
    by_claim: dict[str, list[dict]] = {c: [] for c in ALL_CLAIMS}
    for r in rows:
        by_claim.setdefault(r["claim"], []).append(r)
    for claim, claim_rows in by_claim.items():
        if not claim_rows:
            out.append(f"| {claim} | - | not demonstrated | | | TODO |")
        for r in claim_rows:
            cond = r.get("threshold", "")
            if r.get("valid") is not None:
                cond = f"{cond} (valid: {r['valid']})"
            if "problem" in r:
                result = f"**not as declared**: {r['problem']}"
            elif r["as_declared"]:
                result = result_text(r)
            else:
                result = f"**{result_text(r)}**"
            cells = [claim, r["notebook"], r.get("what", ""), _shown(r), cond, result]
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    out += ["", "## Run time per notebook", ""]
    if jobs > 1:
        which = "The notebooks of the last run" if earlier else "The notebooks"
        out += [f"{which} ran {jobs} at a time, each in its own kernel: each time below is "
                "under that shared load" + (" (those marked alone ran by themselves)" if alone else "")
                + (f", and the whole run took {wall:.1f} s." if wall is not None else "."), ""]
    if earlier:
        out += ["| notebook | seconds | executed |", "|---|---|---|"]
    else:
        out += ["| notebook | seconds |", "|---|---|"]
    for name, seconds in times.items():
        mark = " (alone)" if jobs > 1 and name in alone and name not in earlier else ""
        cells = [f"{name}{mark}", "FAILED" if seconds is None else f"{seconds:.1f}"]
        if earlier:
            cells.append(earlier.get(name, f"{when} (last run)"))
        out.append("| " + " | ".join(cells) + " |")
    total = sum(s for s in times.values() if s is not None)
    out += [f"| total | {total:.1f} |" + (" |" if earlier else ""), ""]
    return "\n".join(out)


GALLERY = "docs/gallery"
#: The claim families of the README's gallery, in the course's order.
GALLERY_FAMILIES = ("saturation", "vanishing-gradient", "mode-collapse", "critic-surfaces", "layer-gradients")


def gallery_images(nb) -> dict[str, bytes]:
    """The gallery pictures a notebook provides: ``{family: png bytes}``.

    A code cell tagged ``gallery-FAMILY`` (FAMILY one of
    :data:`GALLERY_FAMILIES`) gives its first PNG figure to the README's
    gallery; ``make demo`` writes it to ``docs/gallery/FAMILY.png``.

    Example:
        >>> import base64, nbformat
        >>> cell = nbformat.v4.new_code_cell("plot()", metadata={"tags": ["gallery-saturation"]})
        >>> cell.outputs = [nbformat.v4.new_output("display_data", {"image/png": base64.b64encode(b"png").decode()})]
        >>> gallery_images(nbformat.v4.new_notebook(cells=[cell]))
        {'saturation': b'png'}
    """
    found = {}
    for cell in nb.get("cells", []):
        for tag in cell.get("metadata", {}).get("tags", []):
            if not tag.startswith("gallery-"):
                continue
            family = tag[len("gallery-"):]
            if family not in GALLERY_FAMILIES:
                raise ValueError(f"unknown gallery family {family!r}; choose from {GALLERY_FAMILIES}")
            pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            if not pngs:
                raise ValueError(f"the cell tagged {tag!r} has no PNG figure")
            data = pngs[0] if isinstance(pngs[0], str) else "".join(pngs[0])
            found[family] = base64.b64decode(data)
    return found


def _stamps(path) -> list[dict]:
    """Each code cell's nbclient timestamps, parsed: ``{key: datetime}`` for the keys it records."""
    from datetime import datetime

    cells = json.loads(Path(path).read_text()).get("cells", [])
    return [{k: datetime.fromisoformat(v.replace("Z", "+00:00"))
             for k, v in cell.get("metadata", {}).get("execution", {}).items()
             if k in ("iopub.execute_input", "shell.execute_reply")} for cell in cells]


def recorded_seconds(path) -> float:
    """The run time a notebook's outputs record: the sum over its code cells of
    the time from the start of execution to the reply (nbclient's timestamps);
    0 when it records none (never executed)."""
    return sum(max(0.0, (t["shell.execute_reply"] - t["iopub.execute_input"]).total_seconds())
               for t in _stamps(path) if len(t) == 2)


def recorded_end(path) -> str | None:
    """When a notebook's outputs say it was executed: its last reply's timestamp
    (nbclient's ``shell.execute_reply``), as ``YYYY-MM-DD HH:MM UTC``; ``None``
    when it records none."""
    from datetime import timezone

    ends = [t["shell.execute_reply"] for t in _stamps(path) if "shell.execute_reply" in t]
    return max(ends).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ends else None


def run_alone(path) -> str | None:
    """Why a notebook runs with no other notebook beside it, or ``None``.

    The reason is the notebook's metadata ``"gantoy": {"run_alone": "<reason>"}``,
    set on a notebook whose long trainings already keep every core busy.
    """
    meta = json.loads(Path(path).read_text()).get("metadata", {}).get("gantoy", {})
    reason = meta.get("run_alone") if isinstance(meta, dict) else None
    return str(reason) if reason else None


def schedule(paths, jobs: int) -> list[tuple[list, int]]:
    """The order :func:`main` runs notebooks in: a list of phases ``(paths, workers)``,
    each finished before the next starts.

    With ``jobs == 1``: one phase, the notebooks in the order given, one at a
    time. Otherwise the notebooks that may share the machine (``shared``) run
    first, ``min(jobs, len(shared))`` at a time, longest first by
    :func:`recorded_seconds` (so the phase does not end on one long notebook
    with the other cores idle), and then each :func:`run_alone` notebook by
    itself, in the order given. Why: a first run spends much of its time
    compiling, which uses one core; two notebooks side by side keep both cores
    busy. A notebook whose trainings in two threads are most of its run time
    can instead slow down several-fold beside another (notebook 10, in a
    first run on 2 cores: 442 s instead of 79 to 111 s alone), so it asks to
    run alone.

    >>> schedule(["a.ipynb"], 1)
    [(['a.ipynb'], 1)]
    """
    paths = list(paths)
    if jobs == 1:
        return [(paths, 1)]
    alone = [p for p in paths if run_alone(p)]
    shared = sorted((p for p in paths if p not in alone), key=lambda p: -recorded_seconds(p))
    phases = [(shared, min(jobs, len(shared)))] if shared else []
    return phases + [([p], 1) for p in alone]


def _page_of_the_committed_notebooks(paths, rows, times, jobs, wall, alone) -> str | None:
    """The verdicts page after a run that wrote ``paths`` back: of every notebook under
    ``notebooks/``, the ones not run here read from their own outputs. ``None`` when
    this run executed notebooks from elsewhere, or another notebook carries no
    readable record (then the page is left as it was)."""
    import nbformat

    committed = sorted(glob.glob("notebooks/[0-9][0-9]*_*.ipynb"))
    ran = {Path(p).resolve() for p in paths}
    if not ran <= {Path(p).resolve() for p in committed}:
        return None
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    all_rows, all_times, earlier = [], {}, {}
    for p in committed:
        stem = Path(p).stem
        if Path(p).resolve() in ran:
            all_rows += [r for r in rows if r["notebook"] == stem]
            all_times[stem] = times.get(stem)
            continue
        try:
            all_rows += judge_rows(read_ledger(nbformat.read(p, as_version=4), stem))
        except ValueError:
            return None
        ended = recorded_end(p)
        if ended is None:
            return None
        all_times[stem], earlier[stem] = recorded_seconds(p), ended
    return verdicts_page(all_rows, all_times, when, jobs, wall, alone, earlier)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    parser.add_argument("--no-write", action="store_true", help="do not write executed notebooks back")
    parser.add_argument("--timeout", type=int, default=300, help="per-cell timeout in seconds")
    parser.add_argument("--out", default="build/ledger.json")
    # Two at a time by default where there are two cores or more: first runs
    # (every program compiled) took 344 and 354 s against 490 s one at a time
    # on 2 cores, with every ledger value the same to the last bit (see schedule).
    parser.add_argument("--jobs", type=int, default=None,
                        help="notebooks run at a time, each in its own kernel (default: 2, or 1 on one core; "
                             "1 times each notebook alone)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(glob.glob("notebooks/[0-9][0-9]*_*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 2
    jobs = min(2, cores()) if args.jobs is None else args.jobs
    if jobs < 1:
        parser.error(f"--jobs must be >= 1; got {jobs}")
    jobs = min(jobs, len(paths))
    started = time.perf_counter()
    rows_of, failures, times = {}, [], {Path(p).stem: None for p in paths}
    alone = {p: run_alone(p) for p in paths}  # read before the notebooks are written back

    def say(line: str) -> None:  # one write per line: lines from two threads stay whole
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def finish(p, outcome) -> None:
        """Report one notebook's run (``outcome``: ``(nb, seconds)`` or the exception it raised)."""
        name = Path(p).stem
        prefix = "" if jobs == 1 else f"[demo] {name} ... "
        if isinstance(outcome, BaseException):  # report and go on with the others
            say(f"{prefix}FAILED: {type(outcome).__name__}: {str(outcome)[-2000:]}")
            failures.append(f"{name}: {type(outcome).__name__}")
            return
        nb, seconds = outcome
        times[name] = seconds
        if not args.no_write:
            for family, png in gallery_images(nb).items():
                write_atomic(Path(GALLERY) / f"{family}.png", png)
        try:
            rows = judge_rows(read_ledger(nb, name))
        except ValueError as err:
            say(f"{prefix}FAILED: {err}")
            failures.append(f"{name}: {err}")
            return
        off = [r for r in rows if not r["as_declared"]]
        say(f"{prefix}{seconds:.1f} s, {len(rows)} ledger rows, "
            + (f"{len(off)} NOT as declared" if off else "all as declared"))
        failures.extend(f"{name}: {r['claim']} {r.get('what', '')}: "
                        + (r["problem"] if "problem" in r else result_text(r)) for r in off)
        rows_of[name] = rows

    def run(p):
        if jobs > 1:
            say(f"[demo] {Path(p).stem} started" + (f", alone: {alone[p]}" if alone[p] else ""))
        return execute_notebook(p, write=not args.no_write, timeout=args.timeout)

    if jobs == 1:
        for p in paths:
            print(f"[demo] {Path(p).stem} ...", end=" ", flush=True)
            try:
                outcome = run(p)
            except KeyboardInterrupt:
                raise
            except Exception as err:
                outcome = err
            finish(p, outcome)
    else:
        print(f"[demo] {len(paths)} notebooks, {jobs} at a time, each in its own kernel "
              "(times are under that shared load)", flush=True)
        for group, workers in schedule(paths, jobs):
            pool = ThreadPoolExecutor(workers)
            futures = {}
            try:
                for p in group:
                    futures[pool.submit(run, p)] = p
                for future in as_completed(futures):
                    err = future.exception()
                    if isinstance(err, KeyboardInterrupt):
                        raise KeyboardInterrupt
                    finish(futures[future], err if err is not None else future.result())
            except KeyboardInterrupt:  # kill the kernels, also those that start meanwhile
                pool.shutdown(wait=False, cancel_futures=True)
                while not all(f.done() for f in futures):
                    _stop_kernels()
                    time.sleep(0.05)
                raise
            pool.shutdown(wait=True)
    wall = time.perf_counter() - started
    all_rows = [r for p in paths for r in rows_of.get(Path(p).stem, [])]
    text, records = ledger_table(all_rows)
    total = sum(s for s in times.values() if s is not None)
    print()
    print(text)
    if jobs == 1:
        print(f"\n[demo] {len(paths)} notebooks in {total:.1f} s of execution")
    else:
        print(f"\n[demo] {len(paths)} notebooks in {wall:.1f} s, "
              f"{jobs} at a time ({total:.1f} s of kernel time summed over them)")
    write_atomic(args.out, json.dumps(run_record(records, times, jobs, wall), indent=1) + "\n")
    print(f"[demo] ledger written to {args.out}")
    if not args.no_write:
        page = _page_of_the_committed_notebooks(paths, all_rows, times, jobs, wall,
                                                [Path(p).stem for p in paths if alone[p]])
        if page is not None:
            write_atomic(VERDICTS, page)
            print(f"[demo] verdicts written to {VERDICTS}")
    if failures:
        print("[demo] results that differ from what was declared (or notebooks that failed):")
        for f_ in failures:
            print("   ", f_)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\n[demo] interrupted: every file is as it was or complete", file=sys.stderr)
        sys.exit(130)

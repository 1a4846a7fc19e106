"""``make demo``: rows judged again, the ledger files, atomic write-back, quiet output."""

import errno
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gantoy.notebook import demo, ledger

ROOT = Path(__file__).resolve().parents[1]


def _nb(*payloads):
    """A notebook-like object whose outputs carry the given MIME payloads."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={ledger.MIME: p, "text/plain": "x"})
        for p in payloads
    ]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("text")]
    return nbformat.from_dict(json.loads(nbformat.writes(nb)))


def _row(claim="C7", value=0.5, threshold="< 1", **kw):
    return ledger.check(claim, "x", value, threshold, display=False, **kw)


# --- reading and judging rows ------------------------------------------------------


def test_read_ledger_counts_single_rows_and_tables_once():
    a, b, c = _row(value=0.1), _row("C8", 2, ">= 1"), _row("C9", 3, "== 3")
    rows = demo.read_ledger(_nb(a, [b, c]), "04_x")
    assert [r["claim"] for r in rows] == ["C7", "C8", "C9"]
    assert all(r["notebook"] == "04_x" for r in rows)
    # The output of ledger.show is what a notebook really holds.
    bundle = ledger.table([a, b])._repr_mimebundle_()
    assert len(demo.read_ledger(_nb(bundle[ledger.MIME]), "n")) == 2


def test_read_ledger_refuses_a_row_shown_alone_and_in_a_table():
    a, b = _row(value=0.1), _row("C8", 2, ">= 1")
    with pytest.raises(ValueError, match="shown on their own and again in a table"):
        demo.read_ledger(_nb(a, [a, b]), "n")


def test_read_ledger_rejects_a_payload_that_is_not_a_row():
    with pytest.raises(ValueError, match="not a row"):
        demo.read_ledger(_nb([1, 2]), "n")


def test_judge_rows_recomputes_and_flags_forged_booleans():
    good = _row(value=0.5)
    forged = {**_row(value=2.0), "passed": True, "as_declared": True}  # 2 < 1 is false
    judged = demo.judge_rows([good, forged])
    assert judged[0]["as_declared"] and "problem" not in judged[0]
    assert judged[1]["passed"] is False and judged[1]["as_declared"] is False
    assert "stored passed=True" in judged[1]["problem"]


def test_judge_rows_flags_rows_it_cannot_judge():
    old = {"claim": "C11", "what": "x", "measured": "ratio 100.5", "threshold": "ratio > 10",
           "passed": True, "expected": True, "reason": "", "as_declared": True}
    (row,) = demo.judge_rows([old])
    assert row["as_declared"] is False and row["passed"] is None
    assert row["problem"].startswith("cannot be judged")
    text, records = demo.ledger_table([{**row, "notebook": "06"}])
    assert "ERROR !" in text and records[0]["problem"] == row["problem"]


def test_judge_rows_flags_a_row_without_stored_valid_ok():
    old = {k: v for k, v in _row().items() if k != "valid_ok"}
    (row,) = demo.judge_rows([old])
    assert not row["as_declared"] and "older ledger format" in row["problem"]


def test_declared_failure_out_of_range_fails_the_demo_table():
    nan = ledger.check("C3", "modes", float("nan"), ">= 6", expected=False,
                       reason="toy scale", valid="in [0, 8]", display=False)
    rows = [{**r, "notebook": "06"} for r in demo.judge_rows([nan])]
    text, records = demo.ledger_table(rows)
    assert "INVALID !" in text and "valid: in [0, 8]" in text
    assert records[0]["as_declared"] is False and records[0]["measured"] == "nan"


def test_rows_at_the_edge_show_their_outcome_and_never_fail_the_demo_table():
    rows = [ledger.check("C20", "seeds covering", v, ">= 5", expected=None, reason="2 of 8 on another CPU",
                         valid="in [0, 8]", display=False) for v in (6, 2, 9)]
    text, records = demo.ledger_table([{**r, "notebook": "10"} for r in demo.judge_rows(rows)])
    lines = [l for l in text.splitlines() if l.startswith("C20")]
    assert [l.split()[2] for l in lines] == ["pass(edge)", "fail(edge)", "INVALID"]
    assert "INVALID !" in text and text.count(" !") == 1
    assert "pass (at the edge, declared): 2 of 8 on another CPU" in text
    assert [r["as_declared"] for r in records] == [True, True, False]
    assert [r["expected"] for r in records] == [None, None, None]


def test_ledger_json_records_full_precision():
    rows = [{**r, "notebook": "02"} for r in demo.judge_rows([_row(value=0.09999996, threshold="< 0.1")])]
    _, records = demo.ledger_table(rows)
    assert records[0]["measured"] == 0.09999996
    assert records[0]["shown"] == "0.09999996"
    assert json.loads(json.dumps(records)) == records


def test_verdicts_page_lists_every_claim_and_escapes_pipes():
    rows = [
        _row(value=2.2e-16, threshold="< 1e-12"),
        ledger.check("C3", "modes", 2, ">= 6", expected=False, reason="toy scale",
                     valid="in [0, 8]", display=False),
    ]
    rows = [{**r, "notebook": "04", "what": "|JS - log 2|"} for r in demo.judge_rows(rows)]
    page = demo.verdicts_page(rows, {"04": 12.34, "05": None}, "2026-01-01 00:00 UTC")
    assert "do not edit this page by hand" in page.splitlines()[2]
    table_lines = [l for l in page.splitlines() if re.match(r"\| C\d+ \|", l)]
    assert [l.split("|")[1].strip() for l in table_lines] == [f"C{i}" for i in range(1, 21)]
    assert "\\|JS - log 2\\|" in page and "2.2e-16" in page
    assert "fail (declared): toy scale" in page and "(valid: in [0, 8])" in page
    assert "| 04 | 12.3 |" in page and "| 05 | FAILED |" in page
    assert "at a time" not in page
    shared = demo.verdicts_page(rows, {"04": 12.34}, "2026-01-01 00:00 UTC", jobs=2, wall=20.04)
    assert "ran 2 at a time" in shared and "the whole run took 20.0 s" in shared
    assert "(alone)" not in shared and "marked alone" not in shared
    alone = demo.verdicts_page(rows, {"04": 12.34, "05": 3.0}, "2026-01-01 00:00 UTC", jobs=2, wall=20.04, alone=["05"])
    assert "| 05 (alone) | 3.0 |" in alone and "| 04 | 12.3 |" in alone and "those marked alone ran by themselves" in alone


def test_verdicts_page_after_a_partial_run_names_what_ran_and_when_the_rest_did():
    rows = [{**r, "notebook": nb} for r, nb in zip(demo.judge_rows([_row(), _row()]), ("04", "05"))]
    page = demo.verdicts_page(rows, {"04": 12.34, "05": 3.0}, "2026-02-02 10:00 UTC", jobs=2, wall=15.0,
                              alone=["05"], earlier={"04": "2026-01-01 09:30 UTC"})
    lines = page.splitlines()
    assert lines[2].startswith("Written by `make demo` after its last run (2026-02-02 10:00 UTC), which executed 05;")
    assert "executed earlier" in lines[2] and "Do not edit this page by hand." in lines[2]
    assert "The notebooks of the last run ran 2 at a time" in page
    assert "| notebook | seconds | executed |" in page
    assert "| 04 | 12.3 | 2026-01-01 09:30 UTC |" in page
    assert "| 05 (alone) | 3.0 | 2026-02-02 10:00 UTC (last run) |" in page
    assert "| total | 15.3 | |" in page


def test_recorded_end_is_the_last_reply(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1", metadata={"execution": {"shell.execute_reply": t}})
                for t in ("2026-01-01T23:59:58.100000Z", "2026-01-02T00:00:03.900000Z")]
    nb.cells.append(nbformat.v4.new_code_cell("never run"))
    (tmp_path / "a.ipynb").write_text(nbformat.writes(nb))
    assert demo.recorded_end(tmp_path / "a.ipynb") == "2026-01-02 00:00 UTC"
    (tmp_path / "b.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    assert demo.recorded_end(tmp_path / "b.ipynb") is None


def test_recorded_seconds_sums_the_cells_timestamps(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    stamps = [("2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:01.500000Z"),
              ("2026-01-01T00:00:02.000000Z", "2026-01-01T00:00:04.250000Z")]
    nb.cells = [nbformat.v4.new_code_cell("1", metadata={"execution": {
        "iopub.execute_input": a, "shell.execute_reply": b}}) for a, b in stamps]
    nb.cells.append(nbformat.v4.new_code_cell("never run"))
    (tmp_path / "a.ipynb").write_text(nbformat.writes(nb))
    assert demo.recorded_seconds(tmp_path / "a.ipynb") == 3.75
    nb.cells = nb.cells[2:]
    (tmp_path / "b.ipynb").write_text(nbformat.writes(nb))
    assert demo.recorded_seconds(tmp_path / "b.ipynb") == 0.0


def _write_nb(path: Path, alone: str | None = None, seconds: float | None = None) -> str:
    """A notebook file with run-alone metadata and a recorded run time, as asked."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    if seconds is not None:
        cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                      "shell.execute_reply": f"2026-01-01T00:00:{seconds:09.6f}Z"}
    nb.cells = [cell]
    if alone:
        nb.metadata["gantoy"] = {"run_alone": alone}
    path.write_text(nbformat.writes(nb))
    return str(path)


def test_run_alone_reads_the_reason_from_the_metadata(tmp_path):
    assert demo.run_alone(_write_nb(tmp_path / "a.ipynb", alone="uses both cores")) == "uses both cores"
    assert demo.run_alone(_write_nb(tmp_path / "b.ipynb")) is None


def test_schedule_runs_alone_notebooks_last_each_by_itself(tmp_path):
    a = _write_nb(tmp_path / "00_a.ipynb", seconds=1.0)
    b = _write_nb(tmp_path / "01_b.ipynb", alone="two threads", seconds=50.0)
    c = _write_nb(tmp_path / "02_c.ipynb", seconds=5.0)
    d = _write_nb(tmp_path / "03_d.ipynb", alone="two threads")
    # the shared ones longest first (c before a), then each alone one by itself, in the given order
    assert demo.schedule([a, b, c, d], 2) == [([c, a], 2), ([b], 1), ([d], 1)]
    assert demo.schedule([a, b, c, d], 4) == [([c, a], 2), ([b], 1), ([d], 1)]
    assert demo.schedule([a, b, c, d], 1) == [([a, b, c, d], 1)]
    assert demo.schedule([b, d], 2) == [([b], 1), ([d], 1)]


def test_main_never_runs_an_alone_notebook_beside_another(tmp_path, monkeypatch, capsys):
    """Through ``main``, with the kernels replaced by a pause that records when each
    notebook ran: two shared notebooks overlap, the alone one overlaps nothing."""
    import threading

    paths = [_write_nb(tmp_path / f"{i:02d}_n.ipynb", alone="two threads" if i == 1 else None) for i in range(3)]
    spans, lock = {}, threading.Lock()

    def fake_execute(path, write=True, timeout=None):
        begin = time.perf_counter()
        time.sleep(0.3)
        with lock:
            spans[Path(path).stem] = (begin, time.perf_counter())
        return _nb([_row()]), 0.3

    monkeypatch.setattr(demo, "execute_notebook", fake_execute)
    assert demo.main(["--jobs", "2", "--no-write", "--out", str(tmp_path / "ledger.json"), *paths]) == 0
    out = capsys.readouterr().out
    assert "[demo] 01_n started, alone: two threads" in out
    overlap = lambda x, y: spans[x][0] < spans[y][1] and spans[y][0] < spans[x][1]
    assert overlap("00_n", "02_n")
    assert not overlap("01_n", "00_n") and not overlap("01_n", "02_n")
    assert spans["01_n"][0] >= max(spans["00_n"][1], spans["02_n"][1])


def test_jobs_defaults_to_two_on_two_cores_and_one_on_one(tmp_path, monkeypatch, capsys):
    paths = [_write_nb(tmp_path / f"{i:02d}_n.ipynb") for i in range(2)]
    monkeypatch.setattr(demo, "execute_notebook", lambda path, write=True, timeout=None: (_nb([_row()]), 0.0))
    for n_cores, header in [(2, "[demo] 2 notebooks, 2 at a time"), (8, "[demo] 2 notebooks, 2 at a time"),
                            (1, "[demo] 00_n ... 0.0 s")]:
        monkeypatch.setattr(demo, "cores", lambda: n_cores)
        assert demo.main(["--no-write", "--out", str(tmp_path / "ledger.json"), *paths]) == 0
        assert capsys.readouterr().out.startswith(header), n_cores


def test_out_file_records_rows_run_times_and_failures(tmp_path, monkeypatch):
    """``--out`` holds the rows and each notebook's time as measured, ``None`` for one that failed:
    what ``benchmarks/xla_settings.py`` reads instead of the printed lines."""
    paths = [_write_nb(tmp_path / f"{i:02d}_n.ipynb") for i in range(3)]

    def fake_execute(path, write=True, timeout=None):
        if path.endswith("01_n.ipynb"):
            raise RuntimeError("a cell failed")
        return _nb([_row()]), {"00_n": 1.25, "02_n": 7.5}[Path(path).stem]

    monkeypatch.setattr(demo, "execute_notebook", fake_execute)
    out = tmp_path / "ledger.json"
    for jobs in ("1", "2"):
        assert demo.main(["--jobs", jobs, "--no-write", "--out", str(out), *paths]) == 1
        record = json.loads(out.read_text())
        assert record["seconds"] == {"00_n": 1.25, "01_n": None, "02_n": 7.5}
        assert record["jobs"] == int(jobs) and record["wall_seconds"] >= 0
        assert [(r["notebook"], r["claim"]) for r in record["rows"]] == [("00_n", "C7"), ("02_n", "C7")]


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--jobs", "0", "nothing.ipynb"])
    assert "--jobs must be >= 1; got 0" in capsys.readouterr().err


# --- atomic writes -----------------------------------------------------------------


def test_write_atomic_replaces_and_keeps_permissions(tmp_path):
    p = tmp_path / "f.json"
    p.write_text("old")
    os.chmod(p, 0o640)
    demo.write_atomic(p, "new")
    assert p.read_text() == "new" and (p.stat().st_mode & 0o777) == 0o640
    assert sorted(x.name for x in tmp_path.iterdir()) == ["f.json"]


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_write_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch, where):
    p = tmp_path / "f.json"
    p.write_text("old")
    full = OSError(errno.ENOSPC, "No space left on device")

    def fail(*args, **kwargs):
        raise full

    if where == "fsync":
        monkeypatch.setattr(demo.os, "fsync", fail)
    elif where == "replace":
        monkeypatch.setattr(demo.os, "replace", fail)
    else:  # the disk fills up while the text is written
        monkeypatch.setattr(demo.os, "fdopen", lambda fd, *a, **k: _FailingFile(fd, full))
    with pytest.raises(OSError, match="No space"):
        demo.write_atomic(p, "new" * 1000)
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["f.json"]


class _FailingFile:
    def __init__(self, fd, err):
        self.fd, self.err = fd, err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)

    def write(self, text):
        raise self.err


_WRITER = """
import json, sys, types
# Load gantoy.notebook.demo without the package's __init__ (which imports JAX): this
# test is about the file system only, and starts in a fraction of a second.
sys.modules["gantoy"] = pkg = types.ModuleType("gantoy")
pkg.__path__ = [sys.argv[2]]
sys.modules["gantoy.notebook"] = sub = types.ModuleType("gantoy.notebook")
sub.__path__ = [sys.argv[2] + "/notebook"]
from gantoy.notebook.demo import write_atomic
path = sys.argv[1]
versions = [json.dumps({"v": v, "pad": [v] * 200000}) for v in (1, 2)]
print("ready", flush=True)
i = 0
while True:
    write_atomic(path, versions[i % 2]); i += 1
"""


def test_write_atomic_survives_sigkill_mid_write(tmp_path):
    """Writers replacing a 1 MB file over and over, killed at random moments:
    the file is always one whole version."""
    rng = random.Random(0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for i in range(3):
        path = tmp_path / f"f{i}.json"
        path.write_text(json.dumps({"v": 0}))
        procs.append((path, subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(ROOT / "gantoy")], stdout=subprocess.PIPE, text=True, env=env)))
    try:
        for path, p in procs:
            assert p.stdout.readline().strip() == "ready"
        for path, p in procs:
            time.sleep(rng.uniform(0.01, 0.3))
            p.send_signal(signal.SIGKILL)
            p.wait()
            assert json.loads(path.read_text())["v"] in (0, 1, 2)
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


# --- a real `python -m gantoy.notebook.demo` on a tiny notebook -----------------------------

_TINY = """\
from gantoy.notebook import ledger
rows = [
    ledger.check("C7", "KL at theta = 1", float("inf"), "== inf", display=False),
    ledger.check("C8", "median slope", 0.09999996, "< 0.1", display=False),
]
print("padding so that the write-back takes a moment\\n" * 20000)
ledger.show(rows)"""

_TINY2 = """\
from gantoy.notebook import ledger
print("padding so that the write-back takes a moment\\n" * 20000)
ledger.check("C9", "a second notebook", 1.0, "< 2")"""


def _normal(path: Path) -> str:
    """A file's content without what changes from run to run (timestamps, seconds)."""
    text = path.read_text()
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        return nbformat.writes(nb)
    if path.suffix == ".json":  # the ledger's run record: its rows and notebook names, not its times
        record = json.loads(text)
        return json.dumps([record["rows"], sorted(record["seconds"])])
    text = re.sub(r"\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", "(WHEN)", text)
    text = re.sub(r"the whole run took \d+\.\d s", "the whole run took S", text)
    return re.sub(r"\| \d+\.\d \|", "| S |", text)


def _start(cwd: Path, jobs: int = 2):
    # A terminal delivers Ctrl-C with SIGINT at its default action; a test
    # runner in the background may have it ignored: restore it.
    return subprocess.Popen(
        [sys.executable, "-m", "gantoy.notebook.demo", "--jobs", str(jobs)], cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _tiny_project(root: Path) -> dict:
    """A folder with two tiny notebooks and old versions of their files, and the
    new versions from one complete ``python -m gantoy.notebook.demo`` run, the
    two notebooks side by side (``--jobs 2``)."""
    import nbformat

    nb, nb2 = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_TINY)]
    nb2.cells = [nbformat.v4.new_code_cell(_TINY2)]
    files = {
        "notebooks/01_tiny.ipynb": nbformat.writes(nb),
        "notebooks/02_tiny.ipynb": nbformat.writes(nb2),
        "build/ledger.json": "[]\n",
        "docs/verdicts.md": "old page\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    start = time.perf_counter()
    p = _start(root)
    out, err = p.communicate(timeout=120)
    seconds = time.perf_counter() - start
    assert p.returncode == 0, out + err
    new = {name: _normal(root / name) for name in files}
    return {"root": root, "old": files, "new": new, "out": out, "err": err, "seconds": seconds}


def _check_quiet_output(out: str, err: str) -> None:
    assert err == "", err  # no kernel warning (e.g. about unencrypted TCP transport)
    lines = out.splitlines()
    assert lines[0] == "[demo] 2 notebooks, 2 at a time, each in its own kernel (times are under that shared load)", out
    assert sorted(lines[1:3]) == ["[demo] 01_tiny started", "[demo] 02_tiny started"], out
    assert sum(bool(re.fullmatch(r"\[demo\] 01_tiny \.\.\. \d+\.\d s, 2 ledger rows, all as declared", l))
               for l in lines) == 1, out
    assert sum(bool(re.fullmatch(r"\[demo\] 02_tiny \.\.\. \d+\.\d s, 1 ledger rows, all as declared", l))
               for l in lines) == 1, out
    assert any(re.fullmatch(r"\[demo\] 2 notebooks in \d+\.\d s, 2 at a time \(\d+\.\d s of kernel time summed over them\)", l)
               for l in lines), out
    assert any(re.match(r"C8 +01_tiny +PASS +0\.09999996 +< 0\.1", l) for l in lines)
    assert "[demo] verdicts written to docs/verdicts.md" in lines
    for line in lines:
        assert (line == "" or line.startswith(("[demo]", "claim", "---")) or re.match(r"C\d+ ", line)), line


def _one_at_a_time_gives_the_same_files(project: dict) -> None:
    """``--jobs 1``: each notebook alone, one after the other, with the sequential
    printout; the notebooks and the ledger come out as with two at a time."""
    root = project["root"]
    p = _start(root, jobs=1)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0 and err == "", out + err
    lines = out.splitlines()
    assert re.fullmatch(r"\[demo\] 01_tiny \.\.\. \d+\.\d s, 2 ledger rows, all as declared", lines[0])
    assert re.fullmatch(r"\[demo\] 02_tiny \.\.\. \d+\.\d s, 1 ledger rows, all as declared", lines[1])
    assert any(re.fullmatch(r"\[demo\] 2 notebooks in \d+\.\d s of execution", l) for l in lines)
    for name in ("notebooks/01_tiny.ipynb", "notebooks/02_tiny.ipynb", "build/ledger.json"):
        assert _normal(root / name) == project["new"][name], name
    assert "at a time" not in (root / "docs/verdicts.md").read_text()


def _interrupt(project: dict, sig: int, seed: int) -> None:
    """Interrupt a run at a random moment near its end, where it writes the
    notebook, build/ledger.json and docs/verdicts.md: each file must be whole,
    and either its old or its new version."""
    root, old, new = project["root"], project["old"], project["new"]
    for name, text in old.items():
        (root / name).write_text(text)
    p = _start(root)
    time.sleep(random.Random(seed).uniform(0.6, 1.1) * project["seconds"])
    try:
        os.killpg(p.pid, sig)  # the whole group, as Ctrl-C in a terminal
    except ProcessLookupError:
        pass  # it had already finished
    p.communicate(timeout=60)
    for name in old:
        text = (root / name).read_text()
        assert text == old[name] or _normal(root / name) == new[name], (name, sig, p.returncode)
    if sig == signal.SIGINT:  # Python cleans up after itself; a killed process cannot
        assert not [x.name for x in root.rglob("*.tmp")]


@pytest.mark.notebooks
def test_demo_run_is_quiet_and_interruptions_leave_files_old_or_new(tmp_path):
    """One real ``python -m gantoy.notebook.demo`` on a tiny notebook, then three runs
    interrupted by Ctrl-C (SIGINT) or killed (SIGKILL). One test, so that
    parallel workers never repeat the reference run (about 25 s in all)."""
    project = _tiny_project(tmp_path)
    _check_quiet_output(project["out"], project["err"])
    record = json.loads((project["root"] / "build/ledger.json").read_text())
    assert [r["measured"] for r in record["rows"]] == ["inf", 0.09999996, 1.0]
    assert sorted(record["seconds"]) == ["01_tiny", "02_tiny"] and all(t > 0 for t in record["seconds"].values())
    _one_at_a_time_gives_the_same_files(project)
    for sig, seed in [(signal.SIGINT, 1), (signal.SIGKILL, 2), (signal.SIGKILL, 3)]:
        _interrupt(project, sig, seed)


@pytest.mark.parametrize("given, seen", [
    (None, "--xla_backend_optimization_level=2"),
    ("--xla_cpu_use_fusion_emitters=false", "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=2"),
    ("--xla_backend_optimization_level=3", "--xla_backend_optimization_level=3"),
])
def test_kernel_xla_flags_add_llvm_o2_unless_the_caller_sets_a_level(given, seen):
    assert demo.kernel_xla_flags(given) == seen


def test_a_notebook_kernel_starts_with_the_completed_xla_flags(tmp_path):
    """The kernel itself sees -O2 added to the caller's flags (make demo and the notebook tests go through here)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os; print(os.environ['XLA_FLAGS'])")]
    path = tmp_path / "flags.ipynb"
    path.write_text(nbformat.writes(nb))
    for given in (None, "--xla_cpu_use_fusion_emitters=false", "--xla_backend_optimization_level=0"):
        out, _ = demo.execute_notebook(path, write=False, env={"XLA_FLAGS": given})
        assert out.cells[0].outputs[0]["text"].strip() == demo.kernel_xla_flags(given)


def test_a_notebook_kernel_leaves_out_jaxs_cache_read_warning_and_no_other(tmp_path):
    """A cut-short cache entry (another kernel still writing it) is recompiled by JAX with a warning
    that the kernels leave out of the outputs; any other warning still shows."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import warnings\n"
        "warnings.warn(\"Error reading persistent compilation cache entry for 'jit_f': error: truncated\")\n"
        "warnings.warn('another warning')")]
    path = tmp_path / "warn.ipynb"
    path.write_text(nbformat.writes(nb))
    out, _ = demo.execute_notebook(path, write=False, env={"PYTHONWARNINGS": "default::DeprecationWarning"})
    stderr = "".join(o.get("text", "") for o in out.cells[0].outputs if o.get("name") == "stderr")
    assert "another warning" in stderr
    assert "Error reading persistent compilation cache" not in stderr

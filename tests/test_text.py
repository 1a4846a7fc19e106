"""Checks on the repository's prose, without executing anything.

* Every phrase set in corner brackets 「...」 in the notebooks, README.md and
  docs/*.md is a quote of the course text. The course text writes ASCII commas
  and parentheses, so full-width punctuation inside 「」 is always an error; and
  where the course text itself is available (beside the repository, or at the
  path in the environment variable ``GANTOY_COURSE_TEXT``) every phrase must
  occur in it byte for byte.
* Every numbered notebook names the passage it demonstrates with such a quote.
* The product prose speaks of the course and the science only: no words about
  how the project was made or about the machine it ran on, in the notebooks
  (sources and text outputs), README.md, docs/*.md, the benchmarks and the
  comments and strings of the package.
"""

from __future__ import annotations

import io
import json
import os
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NUMBERED = [p for p in NOTEBOOKS if re.match(r"\d\d[a-z]?_", p.name)]
PROSE = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON = sorted((ROOT / "benchmarks").glob("*.py")) + sorted((ROOT / "gantoy").rglob("*.py"))

QUOTE = re.compile(r"「([^」]*)」")
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
FULL_WIDTH = re.compile(r"[，。：；！？（）]")
# how the project was made, or the machine it ran on; CLAIMS.md in any case (the repository's
# own claims page is docs/claims-c1-c20.md, so that no name of it reads as a pointer outside)
FORBIDDEN = re.compile(
    r"\b(sessions?|the issue|issue \d+|prototypes?|pilot|scouting|load average)\b"
    r"|CpuDevice|shared/|CLAIMS\.md",
    re.IGNORECASE,
)
BUDGET = re.compile(r"\bbudget\b", re.IGNORECASE)  # compute budget: notebooks and README only
# how long the machine took: notebooks only (the README reports run times on purpose)
TIMING = re.compile(
    r"\b(wall[- ]clock|incl\. compil\w*|CPU[- ]s(econds?)?|\d+(\.\d+)? ?s elapsed|exploratory runs?|earlier runs?)\b",
    re.IGNORECASE,
)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _notebook_texts(path: Path, outputs: bool = True) -> list[tuple[str, str]]:
    """(where, text) for every cell source and, if asked, every text output of a notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    texts = []
    for i, cell in enumerate(nb["cells"]):
        texts.append((f"cell {i} source", "".join(cell["source"])))
        if not outputs:
            continue
        for out in cell.get("outputs", []):
            if "text" in out:
                texts.append((f"cell {i} output", "".join(out["text"])))
            for mime, data in out.get("data", {}).items():
                if mime.startswith("image/"):
                    continue
                if not isinstance(data, str):
                    text_lines = isinstance(data, list) and all(isinstance(x, str) for x in data)
                    data = "".join(data) if text_lines else json.dumps(data, ensure_ascii=False)
                if mime == "text/html":  # the animation player's JavaScript is code, not prose
                    data = SCRIPT.sub("", data)
                texts.append((f"cell {i} output {mime}", data))
            if "traceback" in out:
                texts.append((f"cell {i} traceback", "\n".join(out["traceback"])))
    return texts


def _python_prose(path: Path) -> list[tuple[str, str]]:
    """(where, text) for every comment and string literal (docstrings included) of a Python file."""
    texts = []
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for tok in tokens:
        if tok.type in (tokenize.COMMENT, tokenize.STRING):
            texts.append((f"line {tok.start[0]}", tok.string))
        elif getattr(tokenize, "FSTRING_MIDDLE", None) == tok.type:
            texts.append((f"line {tok.start[0]}", tok.string))
    return texts


def _quoted_texts(path: Path) -> list[tuple[str, str]]:
    if path.suffix == ".ipynb":
        return _notebook_texts(path, outputs=False)
    return [("text", path.read_text(encoding="utf-8"))]


QUOTED_FILES = [p for p in NOTEBOOKS + PROSE if p.exists()]


def _course_text() -> Path | None:
    env = os.environ.get("GANTOY_COURSE_TEXT")
    if env:
        return Path(env)
    beside = ROOT.parent / "shared" / "seed" / "article-zh.txt"
    return beside if beside.exists() else None


@pytest.mark.parametrize("path", QUOTED_FILES, ids=_rel)
def test_no_full_width_punctuation_in_quotes(path):
    bad = []
    for where, text in _quoted_texts(path):
        for phrase in QUOTE.findall(text):
            if FULL_WIDTH.search(phrase):
                bad.append(f"{where}: 「{phrase}」")
    assert not bad, (
        f"{_rel(path)}: full-width punctuation inside 「」 (the course text writes ASCII ',' and '()'): {bad}"
    )


@pytest.mark.parametrize("path", QUOTED_FILES, ids=_rel)
def test_quotes_are_in_the_course_text(path):
    course = _course_text()
    if course is None:
        pytest.skip(
            "the course text is not beside the repository (../shared/seed/article-zh.txt); "
            "set GANTOY_COURSE_TEXT to its path to check the quoted phrases byte for byte"
        )
    assert course.is_file(), f"GANTOY_COURSE_TEXT={course} is not a file"
    text = course.read_text(encoding="utf-8")
    missing = []
    for where, prose in _quoted_texts(path):
        for m in QUOTE.finditer(prose):
            phrase = m.group(1)
            if not phrase or phrase not in text:
                missing.append(f"{where}: 「{phrase}」")
            elif "Wesserstein" in phrase and not re.match(r"\s?\[sic\]", prose[m.end():]):
                missing.append(f"{where}: 「{phrase}」 quotes the course's spelling and needs [sic] after it")
    assert not missing, f"{_rel(path)}: phrases in 「」 not found byte for byte in the course text: {missing}"


@pytest.mark.parametrize("path", NUMBERED, ids=_rel)
def test_every_notebook_quotes_its_passage(path):
    quotes = [q for _, t in _notebook_texts(path, outputs=False) for q in QUOTE.findall(t)]
    assert quotes, f"{_rel(path)} names no passage of the course text in 「」"


def _hits(texts: list[tuple[str, str]], budget: bool, timing: bool = False) -> list[str]:
    hits = []
    for where, text in texts:
        words = [m.group(0) for m in FORBIDDEN.finditer(text)]
        if budget:
            words += [m.group(0) for m in BUDGET.finditer(text)]
        if timing:
            words += [m.group(0) for m in TIMING.finditer(text)]
        hits += [f"{where}: {w!r}" for w in words]
    return hits


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_notebooks_speak_of_the_science_only(path):
    hits = _hits(_notebook_texts(path), budget=True, timing=True)
    assert not hits, f"{_rel(path)}: words about how the project was made or the machine: {hits}"


@pytest.mark.parametrize("path", [p for p in PROSE if p.exists()], ids=_rel)
def test_prose_speaks_of_the_science_only(path):
    hits = _hits([("text", path.read_text(encoding="utf-8"))], budget=path.name == "README.md")
    assert not hits, f"{_rel(path)}: words about how the project was made or the machine: {hits}"


@pytest.mark.parametrize("path", PYTHON, ids=_rel)
def test_code_comments_speak_of_the_science_only(path):
    hits = _hits(_python_prose(path), budget=False)
    assert not hits, f"{_rel(path)}: words about how the project was made or the machine: {hits}"


def test_the_scan_can_fail():
    """The patterns catch what they are meant to, and let the science through."""
    assert _hits([("x", "In session 2 the prototype ran; see shared/CLAIMS.md")], budget=False) == [
        "x: 'session'",
        "x: 'prototype'",
        "x: 'shared/'",
        "x: 'CLAIMS.md'",
    ]
    assert _hits([("x", "devices: [CpuDevice(id=0)], load average 2.1, issue 3")], budget=False)
    assert _hits([("x", "at this budget")], budget=True) == ["x: 'budget'"]
    assert len(_hits([("x", "trained in 79.4 s (incl. compiling); wall-clock; 3.2 s elapsed; exploratory runs")],
                     budget=False, timing=True)) == 4
    assert not _hits([("x", "the loss at step 500 (5 s of data); 12 critic steps")], budget=False, timing=True)
    assert not _hits([("x", "see docs/claims-c1-c20.md and tests/test_c20_budget.py; the tissue")], budget=True)
    assert _hits([("x", "see docs/claims.md")], budget=False) == ["x: 'claims.md'"]
    assert FULL_WIDTH.search("判别器越好，生成器") and not FULL_WIDTH.search("判别器越好,生成器")

"""Every notebook reads as a lesson of the course, in the same shape.

The shape (a student opens any notebook and finds the same landmarks):

1. a title cell ``# NN · ...`` with the point in one sentence;
2. a ``## 要点`` cell: three to five lines of Chinese, then the English table
   ``| claim | what the paper shows | what we measure here | verdict |``;
3. the sections, each question, prediction, code, figure and reading;
4. ``## Exercises``: two to four numbered exercises;
5. ``## Solutions``: executed solution cells, each tagged ``solution`` so the
   site can fold them (a student can skip the section);
6. ``## Claims ledger``: the last code cell calls ``ledger.show`` and its
   output is the one ledger table with headers.

Notebook 00 opens the course: it has the same 要点, exercises and solutions,
and no ledger of its own (its rows are C5's, if any).
"""

import glob
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(glob.glob(str(ROOT / "notebooks" / "[0-9][0-9]_*.ipynb")))
TABLE_HEADER = re.compile(
    r"^\|\s*claim\s*\|\s*what the paper shows\s*\|\s*what we measure here\s*\|\s*verdict\s*\|\s*$",
    re.MULTILINE,
)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _ids(paths):
    return [Path(p).stem for p in paths]


def _cells(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def _src(cell):
    return "".join(cell["source"])


def _heading_index(cells, heading):
    for i, c in enumerate(cells):
        if c["cell_type"] == "markdown" and _src(c).lstrip().startswith(heading):
            return i
    return None


def test_notebooks_form_one_sequence():
    numbers = [int(Path(p).name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), f"notebook numbers are not 00, 01, ...: {numbers}"
    assert not glob.glob(str(ROOT / "notebooks" / "[0-9][0-9][a-z]_*.ipynb")), "lettered notebook names"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_title_and_summary(path):
    cells = _cells(path)
    number = Path(path).name[:2]
    assert cells[0]["cell_type"] == "markdown" and _src(cells[0]).startswith(f"# {number} ·"), (
        f"{path}: the first cell is not the title '# {number} · ...'"
    )
    i = _heading_index(cells, "## 要点")
    assert i is not None, f"{path}: no '## 要点' cell"
    text = _src(cells[i])
    before_table = text.split("|", 1)[0]
    zh_lines = [l for l in before_table.splitlines()[1:] if HAN.search(l)]
    assert 3 <= len(zh_lines) <= 5, f"{path}: 要点 has {len(zh_lines)} Chinese lines, want 3 to 5"
    assert TABLE_HEADER.search(text), (
        f"{path}: 要点 lacks the table '| claim | what the paper shows | what we measure here | verdict |'"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercises_then_solutions_then_ledger(path):
    cells = _cells(path)
    ex = _heading_index(cells, "## Exercises")
    sol = _heading_index(cells, "## Solutions")
    assert ex is not None, f"{path}: no '## Exercises' cell"
    assert sol is not None and sol > ex, f"{path}: no '## Solutions' cell after the exercises"
    items = re.findall(r"^\s*(\d+)\.\s", _src(cells[ex]), re.MULTILINE)
    assert 2 <= len(items) <= 4, f"{path}: {len(items)} numbered exercises, want 2 to 4"
    tagged = [c for c in cells[sol + 1:] if "solution" in c.get("metadata", {}).get("tags", [])]
    assert any(c["cell_type"] == "code" for c in tagged), f"{path}: no executed solution cell tagged 'solution'"
    for c in tagged:
        if c["cell_type"] == "code":
            assert c.get("execution_count") is not None, f"{path}: a solution cell was not executed"
    if Path(path).name.startswith("00_"):
        return
    led = _heading_index(cells, "## Claims ledger")
    assert led is not None and led > sol, f"{path}: no '## Claims ledger' cell after the solutions"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "ledger.show(" in _src(code[-1]), f"{path}: the last code cell does not show the ledger"
    html = [o for o in code[-1].get("outputs", []) if "text/html" in o.get("data", {})]
    assert html and "<th" in "".join(html[0]["data"]["text/html"]), f"{path}: the ledger table has no headers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_stays_under_2_mb(path):
    """Committed with its figures and animations, a notebook stays small enough
    to open quickly in a browser and on a code host."""
    size = Path(path).stat().st_size
    assert size < 2_000_000, f"{path}: {size / 1e6:.2f} MB committed, the limit is 2 MB"


def test_every_gallery_picture_comes_from_one_notebook_cell():
    """The README's gallery shows one picture per claim family; ``make demo``
    writes it from the one notebook cell tagged ``gallery-FAMILY``."""
    from gantoy.notebook.demo import GALLERY_FAMILIES

    tagged = {}
    for path in NOTEBOOKS:
        for cell in _cells(path):
            for tag in cell.get("metadata", {}).get("tags", []):
                if tag.startswith("gallery-"):
                    tagged.setdefault(tag[len("gallery-"):], []).append(Path(path).stem)
    assert sorted(tagged) == sorted(GALLERY_FAMILIES), tagged
    assert all(len(v) == 1 for v in tagged.values()), tagged
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for family in GALLERY_FAMILIES:
        assert f"docs/gallery/{family}.png" in readme, f"the README does not show the {family} picture"

"""Every notebook executes from a clean kernel and its ledger rows come out as declared.

The notebooks run on copies (the committed, executed files are not touched).
"""

import ast
import glob
import json
from pathlib import Path

import pytest

from gantoy.demo import execute_notebook, read_ledger

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(glob.glob(str(ROOT / "notebooks" / "[0-9][0-9]*_*.ipynb")))


def _ids(paths):
    return [Path(p).stem for p in paths]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_imports_resolve(path):
    """Cheap check first: every import in the notebook names a module that exists."""
    import importlib.util

    nb = json.loads(Path(path).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        src = "\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(src)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert importlib.util.find_spec(name.split(".")[0]) is not None, f"{path}: cannot import {name}"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_and_ledger_as_declared(path, tmp_path, kernel_env):
    nb, seconds = execute_notebook(path, write=False, output=tmp_path / Path(path).name, env=kernel_env)
    rows = read_ledger(nb, Path(path).stem)
    if not Path(path).stem.startswith("00_"):
        assert rows, f"{path} recorded no ledger rows"
    off = [r for r in rows if r["passed"] != r["expected"]]
    assert not off, f"rows not as declared: {off}"
    print(f"{Path(path).stem}: {seconds:.1f} s")

"""environment.yml and pyproject.toml list the same runtime dependencies."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names(specs):
    return {re.split(r"[<>=!~:\s\[]", s.strip(), maxsplit=1)[0].lower() for s in specs}


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _names(project["dependencies"])
    env_lines = (ROOT / "environment.yml").read_text().splitlines()
    conda = []
    in_deps = False
    for line in env_lines:
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+.*)$", line)
        if in_deps and m:
            conda.append(m.group(1))
    conda_names = _names(conda) - {"python", "pip"}
    assert conda_names == runtime, (
        f"only in environment.yml: {sorted(conda_names - runtime)}; "
        f"only in pyproject.toml: {sorted(runtime - conda_names)}"
    )


def test_no_torch_in_package():
    for path in (ROOT / "gantoy").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import torch|from torch)", text, re.M), f"{path} imports torch"

"""Packaging: runtime dependencies are what ``import gantoy`` needs, the lock pins them all,
environment.yml and LICENSE agree with pyproject.toml."""

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCK = ROOT / "constraints.txt"

# The notebook tooling: the only modules allowed to import the `notebooks` extra.
NOTEBOOK_MODULES = {"animate", "demo", "kernel_client", "plots", "widgets"}
# ledger.show draws a row as HTML when it runs inside IPython and prints it otherwise.
OPTIONAL_IMPORTS = {("ledger", "IPython")}


def _reqs(specs):
    return {canonicalize_name(r.name): r for r in map(Requirement, specs)}


RUNTIME = _reqs(PROJECT["dependencies"])
EXTRAS = {name: _reqs(specs) for name, specs in PROJECT["optional-dependencies"].items()}


def _pins():
    pins = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line.strip())
        assert m, f"constraints.txt: {line!r} is not an exact pin name==version"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"constraints.txt pins {name} twice"
        pins[name] = Version(m.group(2))
    return pins


def _import_names(dist_names):
    """Top-level import names provided by the installed distributions ``dist_names``."""
    out = set()
    for module, dists in importlib.metadata.packages_distributions().items():
        if any(canonicalize_name(d) in dist_names for d in dists):
            out.add(module)
    return out


# ----------------------------------------------------------------------------- runtime = import gantoy
# The runtime dependencies, each for a reason: JAX and numpy throughout, scipy (the
# assignment solver, distances, a median filter, Spearman's rho), optax (the optimisers)
# and POT (the network simplex of the exact weighted or unequal-size transport).
RUNTIME_DEPENDENCIES = {"jax", "numpy", "scipy", "optax", "pot"}


def test_runtime_dependencies_are_the_listed_ones():
    assert set(RUNTIME) == RUNTIME_DEPENDENCIES


def test_extras_are_the_notebooks_the_tests_and_the_site():
    assert set(EXTRAS) == {"notebooks", "test", "docs"}
    assert {"sphinx", "myst-nb", "django-static-mathjax", "playwright"} <= set(EXTRAS["docs"])
    assert {"matplotlib", "nbclient", "nbformat", "ipykernel"} <= set(EXTRAS["notebooks"])
    assert not set(RUNTIME) & (set(EXTRAS["notebooks"]) | set(EXTRAS["test"])), "a dependency listed twice"


def test_gantoy_source_imports_only_runtime_dependencies():
    """Every import in the library (nested ones too) is the standard library, gantoy or a runtime
    dependency; only the notebook tooling imports the `notebooks` extra, and no other module
    imports the notebook tooling."""
    allowed = set(sys.stdlib_module_names) | {"gantoy"} | _import_names(set(RUNTIME))
    offending = []
    for path in sorted((ROOT / "gantoy").rglob("*.py")):
        if path.stem in NOTEBOOK_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "gantoy":
                names += [f"gantoy.{a.name}" for a in node.names]
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and (path.stem, top) not in OPTIONAL_IMPORTS:
                    offending.append(f"{path.name}:{node.lineno} imports {name}")
                if path.parent.name != "notebook" and name.split(".")[:3] in (["gantoy", "notebook", m] for m in NOTEBOOK_MODULES):
                    offending.append(f"{path.name}:{node.lineno} imports {name}: the notebook tooling")
    assert not offending, offending


def test_import_gantoy_loads_the_runtime_dependencies_and_nothing_from_the_extras():
    """In a fresh interpreter: ``import gantoy`` and every submodule but the notebook tooling."""
    # plots is imported too (gantoy.notebook does): it loads matplotlib only when it draws.
    # The runner (demo) and its kernel client are not: they import the notebooks extra when loaded.
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "gantoy").rglob("*.py") if p.stem not in {"__init__", "demo", "kernel_client"}
    )
    # POT is loaded by the first weighted or unequal-size exact transport problem, not by
    # the import (it loads every array library it finds installed): the script solves one.
    code = (
        "import importlib, json, sys\n"
        f"for m in ['gantoy'] + {modules!r}: importlib.import_module(m)\n"
        "on_import = sorted({k.split('.')[0] for k in sys.modules})\n"
        "import jax.numpy as jnp, gantoy\n"
        "gantoy.wasserstein(jnp.zeros((3, 2)), jnp.ones((4, 2)))\n"
        "print(json.dumps([on_import, sorted({k.split('.')[0] for k in sys.modules})]))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    on_import, loaded = (set(x) for x in json.loads(out.stdout.strip().splitlines()[-1]))
    assert "ot" not in on_import, "import gantoy loads POT (and with it torch or tensorflow if installed)"
    extras = set(EXTRAS["notebooks"]) | set(EXTRAS["test"]) | set(EXTRAS["docs"])
    from_extras = loaded & (_import_names(extras) | {"IPython"})
    assert not from_extras, f"import gantoy loads modules of the extras: {sorted(from_extras)}"
    for dist in RUNTIME:
        names = _import_names({dist})
        assert names & loaded, f"runtime dependency {dist} ({sorted(names)}) is not imported by gantoy"


# ----------------------------------------------------------------------------- the lock
def test_lock_pins_every_dependency_within_its_lower_bound():
    pins = _pins()
    for group, reqs in [("runtime", RUNTIME)] + sorted(EXTRAS.items()):
        for name, req in reqs.items():
            assert name in pins, f"{group} dependency {name} is not pinned in constraints.txt"
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"constraints.txt pins {name}=={pins[name]}, outside pyproject.toml's {req}"
            )


def test_lock_pins_the_installed_versions():
    """In the Makefile's .venv the installed versions are the locked ones (it installs with -c)."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("runs in the Makefile's .venv only; other environments resolve their own versions")
    pins = _pins()
    for name in set(RUNTIME) | set(EXTRAS["notebooks"]) | set(EXTRAS["test"]) | set(EXTRAS["docs"]):
        installed = Version(importlib.metadata.version(name))
        assert installed == pins[name], f"{name}: installed {installed}, constraints.txt pins {pins[name]}"


def test_makefile_installs_the_extras_with_the_lock():
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^LOCK := constraints\.txt$", make, re.M)
    assert re.search(r"^\$\(STAMP\):.*\bpyproject\.toml\b.*\$\(LOCK\)", make, re.M), "the stamp must depend on the lock"
    assert re.search(r"pip install .*-c \$\(LOCK\) -e '\.\[test,notebooks,docs\]'", make)


# ----------------------------------------------------------------------------- conda, licence, torch
def test_environment_matches_pyproject():
    """environment.yml: the runtime and notebooks dependencies with the same lower bounds."""
    conda, pip_lines, section = [], [], None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            section = "conda"
        elif re.match(r"^  - pip:\s*$", line):
            section = "pip"
        elif section == "conda" and (m := re.match(r"^  - (\S.*)$", line)):
            conda.append(m.group(1).replace("=", "==") if re.fullmatch(r"[\w.-]+=[\d.]+", m.group(1)) else m.group(1))
        elif section == "pip" and (m := re.match(r"^      - (\S.*)$", line)):
            pip_lines.append(m.group(1))
    listed = _reqs(conda)
    expected = RUNTIME | EXTRAS["notebooks"]
    front_end = {"python", "pip", "jupyterlab"}
    names = set(listed) - front_end
    assert names == set(expected), (
        f"only in environment.yml: {sorted(names - set(expected))}; "
        f"only in pyproject.toml: {sorted(set(expected) - names)}"
    )
    for name, req in expected.items():
        assert listed[name].specifier == req.specifier, f"{name}: environment.yml {listed[name]} vs pyproject.toml {req}"
    assert pip_lines == ["-e .[test,notebooks]"]


def test_license_matches_pyproject():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the gantoy authors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text


def test_no_torch_in_package():
    for path in (ROOT / "gantoy").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import torch|from torch)", text, re.M), f"{path} imports torch"

"""The public API: every name in ``gantoy.__all__`` exists and is documented, and the
top-level namespace stays small enough to hold in one's head."""

import importlib
import pkgutil
import types

import gantoy

LAYERS = ("measures", "distances", "gan", "studies", "notebook")


def _import_everything():
    for layer in LAYERS:
        pkg = importlib.import_module(f"gantoy.{layer}")
        for info in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"gantoy.{layer}.{info.name}")


def test_top_level_namespace_is_small():
    """At most 60 public names in ``dir(gantoy)`` once every module has been imported
    (importing a submodule must not add names to the top level), and they are ``__all__``."""
    _import_everything()
    public = sorted(n for n in dir(gantoy) if not n.startswith("_"))
    assert len(public) <= 60, f"{len(public)} public names at the top level: {public}"
    assert public == sorted(gantoy.__all__)


def test_layers_import_only_from_the_layers_below():
    """measures < distances < gan < studies < notebook: no module imports from a layer above its own."""
    import ast
    from pathlib import Path

    root = Path(gantoy.__file__).parent
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    offending = []
    for path in root.rglob("*.py"):
        if path.parent == root:
            continue
        own = rank[path.parent.name]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("gantoy."):
                layer = node.module.split(".")[1]
                if layer in rank and rank[layer] > own:
                    offending.append(f"{path.relative_to(root)}:{node.lineno} imports {node.module}")
    assert not offending, offending


def test_no_module_imports_another_modules_private_names():
    """Shared private helpers live in ``gantoy._checks`` and ``gantoy._nn``; no module reaches into another's ``_names``."""
    import ast
    from pathlib import Path

    root = Path(gantoy.__file__).parent
    offending = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gantoy.") and node.module != "gantoy._checks":
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private:
                    offending.append(f"{path.relative_to(root)}:{node.lineno} imports {private} from {node.module}")
    assert not offending, offending


def test_all_names_exist():
    assert len(gantoy.__all__) == len(set(gantoy.__all__)), "duplicate names in __all__"
    for name in gantoy.__all__:
        assert hasattr(gantoy, name), f"gantoy.__all__ lists {name!r} but gantoy has no such attribute"


def test_public_names_have_docstrings():
    for name in gantoy.__all__:
        obj = getattr(gantoy, name)
        assert (obj.__doc__ or "").strip(), f"gantoy.{name} has no docstring"


def test_submodule_all_names_exist():
    """Each module's own ``__all__`` (``gantoy.notebook.plots``, ``gantoy.studies.penalty``, ...) names real attributes."""
    _import_everything()
    modules = [getattr(gantoy, name) for name in gantoy.__all__ if isinstance(getattr(gantoy, name), types.ModuleType)]
    modules += [getattr(layer, name) for layer in list(modules) for name in layer.__all__]
    assert gantoy.notebook.plots in modules
    for module in modules:
        names = getattr(module, "__all__", [])
        assert len(names) == len(set(names)), f"duplicate names in {module.__name__}.__all__"
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.__all__ lists {name!r}, which it lacks"
            obj = getattr(module, name)
            if callable(obj):
                assert (obj.__doc__ or "").strip(), f"{module.__name__}.{name} has no docstring"


def test_notebooks_use_only_public_names():
    """A notebook is a story told with the public API: no ``_private`` gantoy name in any code cell."""
    import json
    import re
    from pathlib import Path

    root = Path(gantoy.__file__).parents[1]
    private = re.compile(r"from gantoy[\w.]* import [^\n]*\b_\w+|\bgantoy(?:\.\w+)*\._[a-z]\w*")
    offending = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                offending += [f"{path.name} cell {i}: {m.group(0)}" for m in private.finditer("".join(cell["source"]))]
    assert not offending, offending

"""The public API: every name in ``gantoy.__all__`` exists and is documented."""

import types

import gantoy


def test_all_names_exist():
    assert len(gantoy.__all__) == len(set(gantoy.__all__)), "duplicate names in __all__"
    for name in gantoy.__all__:
        assert hasattr(gantoy, name), f"gantoy.__all__ lists {name!r} but gantoy has no such attribute"


def test_public_names_have_docstrings():
    for name in gantoy.__all__:
        obj = getattr(gantoy, name)
        assert (obj.__doc__ or "").strip(), f"gantoy.{name} has no docstring"


def test_submodule_all_names_exist():
    """Each module's own ``__all__`` (``gantoy.plots``, ``gantoy.penalty``, ...) names real attributes."""
    modules = [getattr(gantoy, name) for name in gantoy.__all__ if isinstance(getattr(gantoy, name), types.ModuleType)]
    assert gantoy.plots in modules
    for module in modules:
        names = getattr(module, "__all__", [])
        assert len(names) == len(set(names)), f"duplicate names in {module.__name__}.__all__"
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.__all__ lists {name!r}, which it lacks"
            obj = getattr(module, name)
            if callable(obj):
                assert (obj.__doc__ or "").strip(), f"{module.__name__}.{name} has no docstring"

"""The public API: every name in ``gantoy.__all__`` exists and is documented."""

import gantoy


def test_all_names_exist():
    assert len(gantoy.__all__) == len(set(gantoy.__all__)), "duplicate names in __all__"
    for name in gantoy.__all__:
        assert hasattr(gantoy, name), f"gantoy.__all__ lists {name!r} but gantoy has no such attribute"


def test_public_names_have_docstrings():
    for name in gantoy.__all__:
        obj = getattr(gantoy, name)
        assert (obj.__doc__ or "").strip(), f"gantoy.{name} has no docstring"

"""Shared test set-up: silent broadcasting fails, fresh keys, float64 on demand."""

import os
import zlib

os.environ.setdefault("MPLBACKEND", "Agg")

import jax
import pytest
from hypothesis import settings

jax.config.update("jax_numpy_rank_promotion", "raise")

# JAX compiles on first call: wall-clock deadlines would flake.
settings.register_profile("gantoy", deadline=None, max_examples=40, print_blob=True)
settings.load_profile("gantoy")


@pytest.fixture
def key(request):
    """A fresh PRNG key, different for each test and the same on every run (CRC32 of its name)."""
    return jax.random.key(zlib.crc32(request.node.nodeid.encode()) % (2**31))


@pytest.fixture
def x64():
    """Run the test body with float64 enabled (``jax.enable_x64``)."""
    with jax.enable_x64(True):
        yield

"""Shared test set-up: silent broadcasting fails, fresh keys, float64 on demand."""

import contextlib
import os
import re
import subprocess
import sys
import zlib

os.environ.setdefault("MPLBACKEND", "Agg")

# The unit tests are hundreds of tiny programs whose compile time is most of
# their run time. Two XLA settings compile them about three times as fast
# (measured: tests/test_critic.py's 535 programs in 14 s of compiling instead
# of 46 s) and run them slower, which tiny tests do not notice: LLVM at -O0
# (``--xla_backend_optimization_level=0``), and XLA's older loop emitters
# instead of its fusion emitters (``--xla_cpu_use_fusion_emitters=false``).
# A third changes only how the compiling is done: each program's machine code
# is generated as one piece (``--xla_cpu_parallel_codegen_split_count=1``)
# instead of being split into parts for a pool of threads, which for a tiny
# program costs a little more than it saves (benchmarks/unit_compile.py: 11 %
# less CPU time in the median of 5 rounds; the notebooks gave the same 102
# ledger values and run time with it, and do without it).
# Only this process gets them. The notebook kernels, which train for real,
# start with the caller's flags (``kernel_env`` below), to which
# ``gantoy.notebook.demo.execute_notebook`` adds LLVM at -O2 as in ``make demo``. The tests marked
# ``fusion_emitters`` run in a fresh interpreter at -O0 with the fusion
# emitters on and code generated in one piece (``pytest_pyfunc_call``
# below): they check that two ways of writing the same training loop agree
# to the last bit, which holds for the
# programs the fusion emitters make at -O0 and not for the older emitters'
# (nor, for the cosine metric of the clipped critic fits, at level 2, the
# notebooks' setting, or at XLA's default level 3: 1 ulp).
# Your own XLA_FLAGS are kept and these are added to them, unless yours set
# ``xla_backend_optimization_level``: then they are used as they are.
# The caller's flags are kept in GANTOY_KERNEL_XLA_FLAGS before they change:
# pytest-xdist's workers inherit the already-changed XLA_FLAGS from the main
# process, and without this their notebook kernels would run with the unit
# tests' settings too (other numbers in the chaotic GAN runs than `make demo` gets).
if "GANTOY_KERNEL_XLA_FLAGS" not in os.environ:
    os.environ["GANTOY_KERNEL_XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "")
KERNEL_XLA_FLAGS = os.environ["GANTOY_KERNEL_XLA_FLAGS"] or None
O0 = "--xla_backend_optimization_level=0"
SPLIT1 = "--xla_cpu_parallel_codegen_split_count=1"
UNIT_XLA_FLAGS = f"{O0} --xla_cpu_use_fusion_emitters=false {SPLIT1}"
FUSION_XLA_FLAGS = f"{KERNEL_XLA_FLAGS or ''} {O0} {SPLIT1}".strip()
if "xla_backend_optimization_level" not in (KERNEL_XLA_FLAGS or ""):
    os.environ["XLA_FLAGS"] = os.environ.get("GANTOY_FRESH_XLA_FLAGS") or f"{KERNEL_XLA_FLAGS or ''} {UNIT_XLA_FLAGS}".strip()

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


@contextlib.contextmanager
def _compiles():
    events = []
    listener = lambda event, duration, **kw: events.append(event) if "backend_compile" in event else None
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield events
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


@pytest.fixture
def xla_compiles():
    """Collect the XLA compilations made inside a block: ``with xla_compiles() as c: ...``,
    then ``c`` lists one event per program compiled (empty: every call reused a program)."""
    return _compiles


@pytest.fixture
def kernel_env():
    """Environment overrides for notebook kernels: the XLA flags the caller started with."""
    return {"XLA_FLAGS": KERNEL_XLA_FLAGS}


@pytest.fixture
def x64():
    """Run the test body with float64 enabled (``jax.enable_x64``)."""
    with jax.enable_x64(True):
        yield


def pytest_collection_modifyitems(config, items):
    """Run the notebooks first, the last (and longest) first: with ``-n`` (pytest-xdist,
    ``make test``) the workers start on the long items and fill in with the short unit
    tests, instead of ending on one long notebook while the other cores idle. The site's
    browser test follows the notebooks."""
    notebooks = [item for item in items if item.get_closest_marker("notebooks")]
    # The site build and browser test (tests/test_site.py) is the next longest.
    site = [item for item in items if item.nodeid.endswith("test_site.py::test_site_in_browser")]
    rest = [item for item in items if not item.get_closest_marker("notebooks") and item not in site]
    items[:] = notebooks[::-1] + site + rest


def pytest_pyfunc_call(pyfuncitem):
    """A test marked ``fusion_emitters`` runs in a fresh interpreter at -O0 with XLA's
    fusion emitters on (``FUSION_XLA_FLAGS``) when this process compiles otherwise."""
    if not pyfuncitem.get_closest_marker("fusion_emitters"):
        return None
    if os.environ.get("XLA_FLAGS", "") == FUSION_XLA_FLAGS:
        return None  # this process already compiles that way
    env = dict(os.environ, XLA_FLAGS=FUSION_XLA_FLAGS, GANTOY_FRESH_XLA_FLAGS=FUSION_XLA_FLAGS)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "", pyfuncitem.nodeid]
    run = subprocess.run(cmd, cwd=pyfuncitem.config.rootpath, env=env, capture_output=True, text=True)
    if run.returncode != 0 or not re.search(r"\b1 passed\b", run.stdout):
        pytest.fail(f"in a fresh interpreter with XLA_FLAGS={FUSION_XLA_FLAGS!r}:\n"
                    f"{run.stdout[-6000:]}{run.stderr[-2000:]}", pytrace=False)
    return True

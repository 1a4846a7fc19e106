"""Seeds split over several devices give the numbers one device gives, bit for bit.

The devices are CPU devices made by ``XLA_FLAGS=--xla_force_host_platform_device_count``,
set before JAX starts, so each configuration runs in its own interpreter. The
same script runs with one device and with two, and the test compares what they
wrote, after one generator step, after 100, and after one more step from the
100-step state (a state that lives on the devices). With several devices each
device trains its group of seeds with the program one device runs on a group
of that size, in a thread of its own (as ``train(..., threads=k)`` does on one
device); for the course's 64-wide networks that program gives the numbers of
the one program over all seeds to the last bit, so the device count changes
nothing. (An earlier layout, one ``jax.shard_map`` program over the devices,
differed in the last bit of a few weights after one step, and training
amplified that to 1e-2 after 100 steps.)

The default run compiles the scripts with the unit tests' XLA settings
(``tests/conftest.py``: -O0, XLA's older loop emitters, code in one piece), at
which the two trainings' six programs compile in a fraction of the time; the
test marked ``slow`` (``make test-all``) runs them with the notebooks' own
settings: the caller's ``XLA_FLAGS`` completed as a notebook kernel's are
(``gantoy.notebook.demo.kernel_xla_flags``: LLVM at -O2 unless they set a level).
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import KERNEL_XLA_FLAGS, UNIT_XLA_FLAGS
from gantoy.notebook.demo import kernel_xla_flags

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import sys
    import jax
    import numpy as np
    from gantoy.gan import engine
    from gantoy.measures.distributions import ring8

    out, n_seeds = sys.argv[1], int(sys.argv[2])
    # the course's networks (notebooks 06-10): 16-d codes, three hidden layers of 64, float32
    cfg = engine.wgan_gp_config(ring8(), z_dim=16, g_hidden=(64,) * 3, d_hidden=(64,) * 3, batch_size=64)
    key = jax.random.key(7)
    one = engine.train(key, cfg, 1, n_seeds=n_seeds, metrics=("d_loss", "g_loss"))
    many = engine.train(key, cfg, 100, n_seeds=n_seeds, metrics=("d_loss", "g_loss"), snapshot_steps=(100,))
    more = engine.train(key, cfg, 1, n_seeds=n_seeds, metrics=("d_loss", "g_loss"), state=many.state)
    leaf = jax.tree_util.tree_leaves(many.state.g_params)[0]
    arrays = {"n_devices": np.array(len(leaf.sharding.device_set)), "many_snapshots": many.snapshots,
              "more_step": np.asarray(more.state.step)}
    for name, res in (("one", one), ("many", many), ("more", more)):
        for i, x in enumerate(jax.tree_util.tree_leaves((res.state.g_params, res.state.d_params))):
            arrays[f"{name}_param{i}"] = np.asarray(x)
        for m in ("d_loss", "g_loss"):
            arrays[f"{name}_{m}"] = res.metrics[m]
    np.savez(out, **arrays)
    """
)


def _run(tmp_path, n_devices, n_seeds, flags):
    out = tmp_path / f"devices{n_devices}_seeds{n_seeds}.npz"
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_devices} {flags}".strip(),
               JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), str(n_seeds)], check=True, env=env, cwd=ROOT, timeout=600)
    return dict(np.load(out))


SETTINGS = [
    pytest.param(UNIT_XLA_FLAGS, id="unit-test-settings"),
    pytest.param(kernel_xla_flags(KERNEL_XLA_FLAGS), id="notebook-settings", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("flags", SETTINGS)
def test_seeds_split_over_two_devices_give_the_numbers_of_one_device(tmp_path, flags):
    single = _run(tmp_path, 1, 8, flags)
    double = _run(tmp_path, 2, 8, flags)
    assert int(single["n_devices"]) == 1
    assert int(double["n_devices"]) == 2, "the seeds were not split over the two devices"
    assert set(single) == set(double) and np.all(double["more_step"] == 101)
    for name in set(single) - {"n_devices"}:
        np.testing.assert_array_equal(double[name], single[name], err_msg=name)

"""C20 on the grid of 25 with larger networks and more steps (slow: about 5 minutes on 2 cores; ``make test-all``).

Notebook 10 trains width-64 networks with batch 64 for 2000 generator steps, and there
"WGAN-GP covers >= 23/25 grid modes in most seeds" does not show (a declared failure, with
the history of that declaration). Exploratory runs saw it at width 128, batch 256, ~3000
generator steps, lambda 0.1, Adam(1e-3, 0.5, 0.9): this test trains that setting on the
notebook's seeds, data, latent size, metric and threshold, so that the notebook's "the
papers' result needs more compute" is itself checked by code that can fail.
"""

import jax
import numpy as np
import pytest

import gantoy
from gantoy.studies import penalty


@pytest.mark.slow
def test_wgan_gp_covers_the_grid_with_larger_networks_and_more_steps():
    grid = gantoy.grid25(spacing=2 / 2.828, std=0.05 / 2.828)  # the WGAN-GP toy code's scaling
    adam = gantoy.adam(1e-3, 0.5, 0.9)
    cfg = gantoy.wgan_gp_config(grid, gp_weight=0.1, g_opt=adam, d_opt=adam, z_dim=16,
                                g_hidden=(128,) * 3, d_hidden=(128,) * 3, batch_size=256)
    # notebook 10's seeds
    res = gantoy.train(jax.random.key(2017), cfg, 3000, n_seeds=8, metrics=(), snapshot_steps=(3000,), threads=2)
    covered = np.asarray(penalty.snapshot_coverage(res.snapshots, grid).covered[:, -1])
    print("modes covered per seed:", covered.tolist())
    assert int(np.sum(covered >= 23)) >= 5, covered

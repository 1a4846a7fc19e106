import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from gantoy import plots


def test_band_and_shapes():
    ax = plots.plot_band(np.arange(5), np.ones((3, 5)) * np.arange(1, 6), label="g")
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match=r"\[seeds, 4\]"):
        plots.plot_band(np.arange(4), np.ones((3, 5)))
    plt.close("all")


def test_critic_snapshots_coverage():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 3
    ax = plots.plot_critic(lambda x: x.sum(1), real, fake, grad_fn=lambda x: -x)
    assert len(ax.collections) >= 3
    axes = plots.plot_snapshots(rng.normal(size=(3, 10, 2)), [0, 10, 20], real)
    assert len(axes) == 3 and axes[2].get_title() == "step 20"
    with pytest.raises(ValueError, match="one step per snapshot"):
        plots.plot_snapshots(rng.normal(size=(3, 10, 2)), [0, 1])
    plots.plot_mode_coverage([[8, 7], [1, 2]], 8, labels=["a", "b"], chance=4.5)
    plt.close("all")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from gantoy.notebook import plots


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
    assert len(axes[0].get_xticks()) == 0  # bare panels by default
    ticked = plots.plot_snapshots(rng.normal(size=(2, 10, 2)), [0, 10], real, lim=4.0, ticks=True)
    assert all(2 <= len(ax.get_xticks()) <= 7 and max(ax.get_xticks()) <= 4.0 + 1e-9 for ax in ticked)
    with pytest.raises(ValueError, match="one step per snapshot"):
        plots.plot_snapshots(rng.normal(size=(3, 10, 2)), [0, 1])
    plots.plot_mode_coverage([[8, 7], [1, 2]], 8, labels=["a", "b"], chance=4.5)
    plt.close("all")


def test_vector_field_draws_the_field_the_trajectories_and_the_equilibrium():
    import jax.numpy as jnp

    from gantoy.gan import games

    game = games.dirac_gan("standard")
    traj = np.asarray(games.simultaneous_gd(game, jnp.array([1.0, 1.0]), 0.1, 20))
    ax = plots.plot_vector_field(game, trajectories=[traj], labels=["sim"], n=9, extent=(-1.5, 1.5, -2.0, 2.0))
    line, start, star = ax.lines
    np.testing.assert_array_equal(line.get_xydata(), traj)
    np.testing.assert_array_equal(start.get_xydata(), traj[:1])
    np.testing.assert_array_equal(star.get_xydata(), [[0.0, 0.0]])
    assert ax.get_xlim() == (-1.5, 1.5) and ax.get_ylim() == (-2.0, 2.0)
    assert ax.get_title() == game.name and ax.get_xlabel().startswith("generator")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sim"]

    # arrows: the bilinear field v = (-psi, theta) at every grid point
    ax = plots.plot_vector_field(games.bilinear_game(), stream=False, n=5, title="xy")
    (q,) = [c for c in ax.collections if hasattr(c, "U")]
    np.testing.assert_allclose(q.U, -q.XY[:, 1])
    np.testing.assert_allclose(q.V, q.XY[:, 0])
    assert ax.get_title() == "xy"
    plt.close("all")


def test_vector_field_checks_before_drawing():
    from gantoy.gan import games

    before = plt.get_fignums()
    with pytest.raises(ValueError, match="one label per trajectory"):
        plots.plot_vector_field(games.bilinear_game(), trajectories=[np.zeros((3, 2))], labels=["a", "b"])
    with pytest.raises(ValueError, match=r"trajectory 0 must be \[t, 2\]"):
        plots.plot_vector_field(games.bilinear_game(), trajectories=[np.zeros((3, 3))])
    assert plt.get_fignums() == before

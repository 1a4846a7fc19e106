"""Mode coverage on constructed sample sets; W to data against POT."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gantoy.gan import metrics as Mt

ANG = 2 * np.pi * np.arange(8) / 8
MODES = 2.0 * np.stack([np.cos(ANG), np.sin(ANG)], axis=1)  # ring of 8, radius 2
STD = 0.02


def around(key, centres, n, std=STD):
    idx = jax.random.randint(key, (n,), 0, len(centres))
    return jnp.asarray(centres)[idx] + std * jax.random.normal(jax.random.fold_in(key, 1), (n, 2))


def test_all_modes_real_data(key):
    r = Mt.mode_coverage(around(key, MODES, 2500), MODES, STD)
    assert int(r.covered) == 8
    # 2-d Gaussian: P(|x - mu| < 3 std) = 1 - exp(-9/2) = 0.98889; binomial sd 0.0021 at n = 2500
    assert abs(float(r.high_quality) - (1 - np.exp(-4.5))) < 5 * np.sqrt(0.0111 * 0.9889 / 2500)
    assert int(jnp.sum(r.counts)) == 2500 and int(Mt.modes_with_mass(r.counts)) == 8


def test_one_mode(key):
    r = Mt.mode_coverage(around(key, MODES[3:4], 2500), MODES, STD)
    assert int(r.covered) == 1
    assert int(Mt.dominant_mode(r.counts)) == 3 and int(r.counts[3]) == 2500
    assert int(Mt.modes_with_mass(r.counts)) == 1


def test_off_manifold_samples(key):
    # midpoints between neighbouring modes: every sample is 0.77 from any mode, 38 std
    mids = (MODES + np.roll(MODES, 1, axis=0)) / 2
    r = Mt.mode_coverage(around(key, mids, 2500, std=0.01), MODES, STD)
    assert int(r.covered) == 0 and float(r.high_quality) == 0.0
    assert int(jnp.sum(r.counts)) == 2500 and int(jnp.sum(r.hq_counts)) == 0
    # a wide blob on one mode: its mass is there, but barely any sample is high quality
    blob = Mt.mode_coverage(around(key, MODES[:1], 2500, std=0.4), MODES, STD)
    assert int(Mt.dominant_mode(blob.counts)) == 0 and float(blob.high_quality) < 0.05


def test_threshold_boundary():
    x = jnp.array([[2.0 + 2.9 * STD, 0.0], [2.0 + 3.1 * STD, 0.0]])
    r = Mt.mode_coverage(x, MODES, STD)
    assert r.hq_counts.tolist()[0] == 1 and float(r.high_quality) == 0.5


def test_chance_level_matches_area_fraction(key):
    # uniform on [-3, 3]^2, std 0.2: disks of radius 0.6 around 8 modes (disjoint) cover 8 pi 0.36 / 36
    r = Mt.mode_coverage_chance(key, MODES, 0.2, -3.0, 3.0, n=20000)
    p = 8 * np.pi * 0.6**2 / 36
    assert abs(float(r.high_quality) - p) < 4 * np.sqrt(p * (1 - p) / 20000)
    assert int(r.covered) == 8


@settings(max_examples=15)
@given(st.integers(0, 2**31 - 1), st.sampled_from([1, 7, 300]))  # few shapes: few compiles
def test_properties(seed, n):
    key = jax.random.key(seed)
    x = jax.random.uniform(key, (n, 2), minval=-3, maxval=3)
    r = Mt.mode_coverage(x, MODES, 0.3)
    assert 0 <= int(r.covered) <= 8 and 0.0 <= float(r.high_quality) <= 1.0
    assert int(jnp.sum(r.counts)) == n and np.all(np.asarray(r.hq_counts) <= np.asarray(r.counts))
    perm = jax.random.permutation(jax.random.fold_in(key, 1), n)
    r2 = Mt.mode_coverage(x[perm], MODES, 0.3)
    assert int(r2.covered) == int(r.covered) and r2.counts.tolist() == r.counts.tolist()


def test_vmappable_over_seeds_and_snapshots(key):
    x = jax.random.normal(key, (3, 4, 50, 2))
    r = jax.vmap(jax.vmap(lambda s: Mt.mode_coverage(s, MODES, STD)))(x)
    assert r.covered.shape == (3, 4) and r.counts.shape == (3, 4, 8)
    assert int(r.covered[1, 2]) == int(Mt.mode_coverage(x[1, 2], MODES, STD).covered)


# hand-counted: modes (0, 0), (5, 0), (0, 5), std 0.1, so "high quality" is within 0.3
SMALL_MODES = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
SMALL = np.array([
    [0.1, 0.0],     # mode 0, 0.1 away: high quality
    [4.8, 0.1],     # mode 1, 0.22 away: high quality
    [2.6, 0.0],     # mode 1 (2.4 away, mode 0 is 2.6): low quality
    [np.nan, 0.0],  # skipped
    [np.inf, 1.0],  # skipped
    [0.0, -np.inf], # skipped
    [0.2, 4.9],     # mode 2, 0.22 away: high quality
])


def test_nonfinite_samples_are_skipped_and_counted():
    want = dict(covered=3, high_quality=0.75, counts=[1, 2, 1], hq_counts=[1, 1, 1], n_nonfinite=3)
    eager = Mt.mode_coverage(SMALL, SMALL_MODES, 0.1)
    compiled = jax.jit(lambda x: Mt.mode_coverage(x, SMALL_MODES, 0.1))(SMALL)
    batched = jax.vmap(lambda x: Mt.mode_coverage(x, SMALL_MODES, 0.1))(np.stack([SMALL, SMALL[::-1]]))
    for r in (eager, compiled, jax.tree_util.tree_map(lambda a: a[1], batched)):
        got = {k: np.asarray(v).tolist() for k, v in r._asdict().items()}
        assert got == want, got
    # the finite samples alone give the same fields, with nothing skipped
    alone = Mt.mode_coverage(SMALL[np.all(np.isfinite(SMALL), axis=1)], SMALL_MODES, 0.1)
    assert int(alone.n_nonfinite) == 0 and alone.counts.tolist() == want["counts"]


def test_diverged_run_is_not_a_collapse_onto_mode_0():
    """All samples NaN: no mode covered, no mass, no dominant mode, an undefined fraction."""
    for bad in (np.nan, np.inf):
        r = jax.jit(lambda x: Mt.mode_coverage(x, MODES, STD))(jnp.full((50, 2), bad))
        assert int(r.covered) == 0 and int(r.n_nonfinite) == 50
        assert r.counts.tolist() == [0] * 8 and r.hq_counts.tolist() == [0] * 8
        assert np.isnan(float(r.high_quality))
        assert int(Mt.dominant_mode(r.counts)) == -1 and int(Mt.modes_with_mass(r.counts)) == 0
    # batched over snapshots: only the diverged one reads as diverged
    x = jnp.stack([around(jax.random.key(0), MODES[3:4], 50), jnp.full((50, 2), jnp.nan)])
    r = jax.vmap(lambda s: Mt.mode_coverage(s, MODES, STD))(x)
    assert Mt.dominant_mode(r.counts).tolist() == [3, -1] and r.n_nonfinite.tolist() == [0, 50]


def test_float64_modes_are_not_rounded_to_float32_samples():
    """Mode 0.1 (float64), sample float32(0.1) = 0.1 + 1.5e-9: with std 1e-10 the sample lies
    15 std away. Rounding the mode to float32 would put it at distance 0 (high quality)."""
    with jax.enable_x64(True):
        modes = jnp.array([[0.1, 0.0], [5.0, 0.0]], jnp.float64)
        x = jnp.array([[0.1, 0.0]], jnp.float32)
        assert float(x[0, 0]) - 0.1 == pytest.approx(1.49e-9, rel=1e-2)
        r = Mt.mode_coverage(x, modes, 1e-10)
        assert int(r.covered) == 0 and float(r.high_quality) == 0.0 and r.counts.tolist() == [1, 0]
        assert r.high_quality.dtype == jnp.float32  # the samples' dtype, as before
        r = Mt.mode_coverage(x, modes, 1e-9)  # 1.5 std: high quality
        assert int(r.covered) == 1 and float(r.high_quality) == 1.0


def test_validation():
    with pytest.raises(ValueError, match=r"\[n, d\]"):
        Mt.mode_coverage(jnp.zeros(5), MODES, STD)
    with pytest.raises(ValueError, match=r"same d"):
        Mt.mode_coverage(jnp.zeros((5, 3)), MODES, STD)
    with pytest.raises(ValueError, match="std"):
        Mt.mode_coverage(jnp.zeros((5, 2)), MODES, 0.0)
    with pytest.raises(ValueError, match="modes must be finite"):
        Mt.mode_coverage(jnp.zeros((5, 2)), np.where(MODES > 1.9, np.nan, MODES), STD)


def test_wasserstein_to_data_matches_pot(key):
    ot = pytest.importorskip("ot")
    data = lambda k, n: around(k, MODES, n)
    samples = np.asarray(around(jax.random.fold_in(key, 7), MODES[:2], 60))
    real = np.asarray(data(key, 60))
    m = ot.dist(samples.astype(np.float64), real.astype(np.float64), metric="euclidean")
    expected = ot.emd2(np.full(60, 1 / 60), np.full(60, 1 / 60), m)
    np.testing.assert_allclose(Mt.wasserstein_to_data(key, samples, data), expected, rtol=1e-5)
    stacked = Mt.wasserstein_to_data(key, np.stack([samples, samples]), data)
    assert stacked.shape == (2,) and np.allclose(stacked, expected, rtol=1e-5)


def test_accepts_gantoy_mixtures(key):
    from gantoy.measures.distributions import grid25, ring8

    for dist, m in ((ring8(), 8), (grid25(), 25)):
        r = Mt.mode_coverage(dist.sample(key, 2500), dist)
        assert int(r.covered) == m and float(r.high_quality) > 0.97
    # per-mode std: the nearest mode's std sets the radius
    r = Mt.mode_coverage(jnp.array([[0.5, 0.0], [5.5, 0.0]]), jnp.array([[0.0, 0.0], [5.0, 0.0]]), jnp.array([0.1, 0.2]))
    assert r.hq_counts.tolist() == [0, 1]


def test_wasserstein_to_sample_matches_the_jax_solver_pot_and_unequal_sizes(key):
    """The threaded host path, the JAX exact solver and POT agree; n != m takes the network simplex."""
    ot = pytest.importorskip("ot")
    from gantoy.distances.transport import wasserstein

    k1, k2 = jax.random.split(key)
    # a collapsed generator (near-tied costs) and a spread one, against one data draw
    samples = np.stack([np.asarray(around(k1, MODES[:1], 30)), np.asarray(around(k2, MODES, 30))])
    ref = np.asarray(around(jax.random.fold_in(key, 3), MODES, 30))
    w = Mt.wasserstein_to_sample(samples, ref)
    assert w.shape == (2,)
    for s, got in zip(samples, w):
        m = ot.dist(s.astype(np.float64), ref.astype(np.float64), metric="euclidean")
        np.testing.assert_allclose(got, ot.emd2(np.full(30, 1 / 30), np.full(30, 1 / 30), m), rtol=1e-9)
        np.testing.assert_allclose(got, float(wasserstein(s, ref)), rtol=1e-5)
    w2 = Mt.wasserstein_to_sample(samples, ref, p=2)
    m2 = ot.dist(samples[1].astype(np.float64), ref.astype(np.float64))  # squared euclidean
    np.testing.assert_allclose(w2[1], np.sqrt(ot.emd2(np.full(30, 1 / 30), np.full(30, 1 / 30), m2)), rtol=1e-9)
    # unequal sizes: the network simplex, same as POT with uniform weights
    uneq = Mt.wasserstein_to_sample(samples[:, :20], ref)
    m = ot.dist(samples[1, :20].astype(np.float64), ref.astype(np.float64), metric="euclidean")
    np.testing.assert_allclose(uneq[1], ot.emd2(np.full(20, 1 / 20), np.full(30, 1 / 30), m), rtol=1e-5)
    assert np.ndim(Mt.wasserstein_to_sample(samples[0], ref)) == 0
    with pytest.raises(ValueError, match="reference"):
        Mt.wasserstein_to_sample(samples, ref[:, :1])
    with pytest.raises(ValueError, match="p must be"):
        Mt.wasserstein_to_sample(samples, ref, p=0)


def test_wasserstein_to_sample_on_a_stack_matches_wasserstein_to_data_and_pot(key):
    import gantoy

    ot = pytest.importorskip("ot")
    ring = gantoy.ring8()
    k_s, k_d = jax.random.split(key)
    samples = np.asarray(ring.sample(k_s, 2 * 3 * 40)).reshape(2, 3, 40, 2) * np.array([1.0, 1.3, 0.7])[:, None, None]
    ref = np.asarray(ring.sample(k_d, 40))
    w = gantoy.wasserstein_to_sample(samples, ref)
    assert w.shape == (2, 3)
    np.testing.assert_allclose(w, gantoy.wasserstein_to_data(k_d, samples, ring), rtol=1e-5)
    m = ot.dist(samples[1, 2].astype(float), ref.astype(float), metric="euclidean")
    np.testing.assert_allclose(w[1, 2], ot.emd2(np.full(40, 1 / 40), np.full(40, 1 / 40), m), rtol=1e-5)
    with pytest.raises(ValueError, match="reference"):
        gantoy.wasserstein_to_sample(samples, ref[:, :1])


# --- diversity and modes that hold mass: hand-built sample sets ---------------------------


def test_covariance_trace_matches_numpy(key):
    x = jax.random.normal(key, (3, 200, 2)) * jnp.array([[[1.0, 3.0]]])
    ref = [np.trace(np.cov(np.asarray(s).T, bias=True)) for s in x]
    np.testing.assert_allclose(Mt.covariance_trace(x), ref, rtol=1e-5)
    with pytest.raises(ValueError, match="n, d"):
        Mt.covariance_trace(jnp.zeros(3))


def test_mixture_covariance_trace_matches_a_large_sample(key):
    import gantoy

    for mix in (gantoy.ring8(), gantoy.grid25()):
        x = mix.sample(key, 400_000)
        np.testing.assert_allclose(Mt.mixture_covariance_trace(mix), np.trace(np.cov(np.asarray(x).T)), rtol=1e-2)
    # by hand: two modes at 0 and 2 on a line, weights 1/2, std 0 -> variance 1
    class Two:
        modes, std, weights = np.array([[0.0], [2.0]]), 0.0, np.array([0.5, 0.5])

    assert Mt.mixture_covariance_trace(Two()) == 1.0


def test_mode_spacing():
    import gantoy

    np.testing.assert_allclose(Mt.mode_spacing(gantoy.ring8()), 4.0 * np.sin(np.pi / 8), rtol=1e-6)
    assert Mt.mode_spacing(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])) == 1.0
    with pytest.raises(ValueError):
        Mt.mode_spacing(np.zeros((1, 2)))


def test_held_mode_and_jumps_tell_collapse_from_a_drifting_blob(key):
    """A blob that drifts through empty space changes its nearest mode but never sits at one: no jumps."""
    import gantoy

    ring = gantoy.ring8()
    r = 0.25 * Mt.mode_spacing(ring)
    th = r / 0.02
    at = lambda k: ring.modes[k][None, :] + 0.05 * jax.random.normal(key, (100, 2))  # within r of mode k
    between = lambda k: 0.5 * (ring.modes[k] + ring.modes[(k + 1) % 8])[None, :] + 0.05 * jax.random.normal(key, (100, 2))
    outside = lambda k: 3.0 * ring.modes[k][None, :] + 0.05 * jax.random.normal(key, (100, 2))  # beyond the ring
    def held(sets):
        cov = [Mt.mode_coverage(s, ring, threshold=th) for s in sets]
        return np.asarray(Mt.held_mode(jnp.stack([c.hq_counts for c in cov]), jnp.full(len(sets), 100)))

    hopping = held([at(0), between(0), at(3), at(3), at(6)])
    drifting = held([outside(0), between(1), outside(3), between(5), outside(6)])
    assert hopping.tolist() == [0, -1, 3, 3, 6] and drifting.tolist() == [-1] * 5
    assert Mt.mode_jumps(np.stack([hopping, drifting])).tolist() == [2, 0]
    # the nearest-mode view calls the drifting blob a hopper
    dom = [int(Mt.dominant_mode(Mt.mode_coverage(s, ring).counts)) for s in (outside(0), outside(3), outside(6))]
    assert dom == [0, 3, 6]
    with pytest.raises(ValueError):
        Mt.held_mode(jnp.zeros((2, 8)), jnp.zeros(3))
    with pytest.raises(ValueError):
        Mt.mode_jumps(np.array([0.5, 1.0]))


def test_mode_coverage_runs_under_jit_with_fixed_modes():
    """The input checks look at concrete modes and std only, so a jitted call
    with the modes closed over gives the eager numbers."""
    import jax
    import jax.numpy as jnp

    from gantoy.gan.metrics import mode_coverage
    from gantoy.measures.distributions import ring8

    ring = ring8()
    x = ring.sample(jax.random.key(3), 500)
    eager = mode_coverage(x, ring)
    jitted = jax.jit(lambda s: mode_coverage(s, ring))(x)
    assert int(jitted.covered) == int(eager.covered) == 8
    assert float(jitted.high_quality) == float(eager.high_quality)

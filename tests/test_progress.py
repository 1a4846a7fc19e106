"""gantoy.studies.progress against naive numpy, hand-computed ranks and gantoy's divergences."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gantoy
from gantoy.studies import progress as P


def _naive_median_filter(x, w):
    h = w // 2
    padded = np.pad(x, (h, h), mode="edge")
    return np.array([np.median(padded[i : i + w]) for i in range(len(x))])


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)), st.sampled_from([1, 3, 5, 11]))
def test_median_filter_matches_naive(x, w):
    np.testing.assert_allclose(P.median_filter(x, w), _naive_median_filter(x, w))


def test_median_filter_rows_independent_and_validation():
    x = np.arange(20.0).reshape(2, 10) ** 2
    out = P.median_filter(x, 5)
    for row, r in zip(x, out):
        np.testing.assert_allclose(r, _naive_median_filter(row, 5))
    with pytest.raises(ValueError, match="odd"):
        P.median_filter(x, 4)
    with pytest.raises(ValueError, match="NaN"):
        P.median_filter([1.0, np.nan, 2.0], 3)


def _naive_shrink_filter(x, w):
    h = w // 2
    return np.array([np.median(x[max(0, i - h) : i + h + 1]) for i in range(len(x))])


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)), st.sampled_from([1, 3, 5, 11]))
def test_median_filter_shrink_matches_naive(x, w):
    np.testing.assert_allclose(P.median_filter(x, w, edges="shrink"), _naive_shrink_filter(x, w))


def test_median_filter_shrink_ignores_a_raw_end_value():
    x = np.r_[0.0, np.full(20, 2.0), 9.0]  # an outlier at each end
    assert P.median_filter(x, 11, edges="shrink")[[0, -1]].tolist() == [2.0, 2.0]
    assert P.median_filter(x[None], 11, edges="shrink").shape == (1, 22)
    with pytest.raises(ValueError, match="edges"):
        P.median_filter(x, 11, edges="wrap")


def test_at_steps_pairs_snapshot_s_with_entry_s():
    curve = np.arange(10.0)[None].repeat(2, 0)
    np.testing.assert_array_equal(P.at_steps(curve, [0, 3, 10]), [[0.0, 3.0, 9.0]] * 2)
    with pytest.raises(ValueError, match="steps"):
        P.at_steps(curve, [11])


def test_js_estimate_endpoints_and_bound():
    assert P.js_estimate(2 * math.log(2)) == 0.0
    assert P.js_estimate(0.0) == math.log(2)
    # At the optimal D for two known densities the estimate equals JS exactly
    p = np.array([0.7, 0.2, 0.1])
    q = np.array([0.1, 0.3, 0.6])
    d_loss = -np.sum(p * np.log(p / (p + q))) - np.sum(q * np.log(q / (p + q)))
    np.testing.assert_allclose(P.js_estimate(d_loss), float(gantoy.js(p, q)), rtol=1e-6)


def _average_ranks(v):
    """Rank i = 1 + #{j: v_j < v_i} + (#{j != i: v_j == v_i}) / 2: ties share the mean of their ranks."""
    v = np.asarray(v, dtype=float)
    less = (v[None, :] < v[:, None]).sum(axis=1)
    equal = (v[None, :] == v[:, None]).sum(axis=1)
    return 1.0 + less + (equal - 1) / 2.0


def _pearson(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def test_spearman_hand_computed_examples():
    # no ties: rho = 1 - 6 sum d^2 / (n (n^2 - 1)); ranks (1,2,3,4,5) and (2,1,4,3,5): sum d^2 = 4
    assert P.spearman([1.0, 2.0, 3.0, 4.0, 5.0], [20.0, 10.0, 40.0, 30.0, 50.0]) == pytest.approx(1 - 6 * 4 / 120, abs=1e-15)
    assert P.spearman([3.0, 1.0, 2.0], [-5.0, 7.0, 0.0]) == pytest.approx(-1.0, abs=1e-15)
    # ties: x ranks (1.5, 1.5, 3, 4), y ranks (1, 2, 3.5, 3.5); centred: (-1, -1, .5, 1.5), (-1.5, -.5, 1, 1)
    # rho = (1.5 + .5 + .5 + 1.5) / sqrt(4.5 * 4.5) = 8/9
    assert P.spearman([0.0, 0.0, 1.0, 2.0], [1.0, 2.0, 3.0, 3.0]) == pytest.approx(8 / 9, abs=1e-15)


_values = arrays(np.float64, st.integers(3, 15), elements=st.integers(-6, 6).map(float))  # small ints: many ties
# three decimals in [-100, 100]: exp(y / 50) below stays strictly increasing in float64
_others = st.integers(-100_000, 100_000).map(lambda k: k / 1000)


@given(_values, st.data())
def test_spearman_is_pearson_of_average_ranks(x, data):
    y = data.draw(arrays(np.float64, x.shape[0], elements=st.floats(-100, 100)))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    np.testing.assert_allclose(P.spearman(x, y), _pearson(_average_ranks(x), _average_ranks(y)), rtol=1e-12, atol=1e-14)


@given(st.permutations(range(12)), st.permutations(range(12)))
def test_spearman_closed_form_without_ties(px, py):
    x, y = np.asarray(px, float), np.asarray(py, float)
    d = x - y  # the values are their own ranks minus one
    np.testing.assert_allclose(P.spearman(x, y), 1 - 6 * np.sum(d**2) / (12 * (12**2 - 1)), rtol=1e-12, atol=1e-14)


@given(_values, st.data())
def test_spearman_invariances(x, data):
    y = data.draw(arrays(np.float64, x.shape[0], elements=_others))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return
    rho = P.spearman(x, y)
    assert -1.0 - 1e-12 <= rho <= 1.0 + 1e-12
    np.testing.assert_allclose(P.spearman(y, x), rho, rtol=1e-12, atol=1e-14)  # symmetric
    np.testing.assert_allclose(P.spearman(x**3 + 2 * x, np.exp(y / 50)), rho, rtol=1e-12, atol=1e-14)  # increasing maps
    np.testing.assert_allclose(P.spearman(-x, y), -rho, rtol=1e-12, atol=1e-14)  # a decreasing map flips the sign
    perm = data.draw(st.permutations(range(x.shape[0])))
    np.testing.assert_allclose(P.spearman(x[perm], y[perm]), rho, rtol=1e-12, atol=1e-14)  # order of the pairs
    np.testing.assert_allclose(P.spearman(x, x), 1.0, rtol=1e-12)


def test_spearman_constant_and_validation():
    assert math.isnan(P.spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="same n"):
        P.spearman([1.0, 2.0], [1.0, 2.0, 3.0])


# ----------------------------------------------------------------- interval, fresh critics, blow-ups
def test_spearman_interval_point_is_mean_and_interval_brackets_it():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 15))
    y = x + 0.7 * rng.normal(size=(4, 15))
    point, lo, hi = P.spearman_interval(jax.random.key(0), x, y, n_boot=300)
    np.testing.assert_allclose(point, np.mean([P.spearman(a, b) for a, b in zip(x, y)]), rtol=1e-12)
    assert -1 <= lo <= point <= hi <= 1 and hi - lo > 0.02
    # a wider level gives a wider interval (same replicates)
    _, lo2, hi2 = P.spearman_interval(jax.random.key(0), x, y, n_boot=300, level=0.99)
    assert lo2 <= lo and hi2 >= hi
    with pytest.raises(ValueError, match="same shape"):
        P.spearman_interval(jax.random.key(0), x, y[:, :5].T)
    with pytest.raises(ValueError, match="level"):
        P.spearman_interval(jax.random.key(0), x, y, level=1.5)


def test_fit_snapshot_critics_gp_reads_the_translation_and_clip_orders_it():
    # W_1 between a sample and its translate by v is exactly |v| (the coupling x -> x + v is optimal)
    x = 0.2 * jax.random.normal(jax.random.key(0), (3, 300, 2))
    shift = jnp.array([0.5, 1.0, 2.0])
    fake = x + jnp.stack([shift, jnp.zeros(3)], axis=-1)[:, None, :]
    data = lambda k, n: jnp.zeros((n, 2))
    gp = gantoy.wgan_gp_config(data, d_hidden=(32, 32), batch_size=64, d_opt=gantoy.adam(3e-3, 0.0, 0.9))
    est = P.fit_snapshot_critics(jax.random.key(1), gp, x, fake, 400)
    np.testing.assert_allclose(est, shift, rtol=0.25)
    clip = gantoy.wgan_config(data, d_hidden=(32, 32), d_opt=gantoy.rmsprop(1e-3))
    est_c = P.fit_snapshot_critics(jax.random.key(1), clip, x, fake, 300)
    assert np.all(np.diff(est_c) > 0) and est_c.max() < 0.1 * shift.max()  # K * W with a small K
    with pytest.raises(ValueError, match="loss='wgan'"):
        P.fit_snapshot_critics(jax.random.key(1), gantoy.gan_config(data), x, fake, 10)
    with pytest.raises(ValueError, match=r"\[m, n, d\]"):
        P.fit_snapshot_critics(jax.random.key(1), gp, x[0], fake[0], 10)


def _naive_blowups(x, w, f):
    out = np.zeros(len(x), bool)
    for t in range(w, len(x)):
        out[t] = not abs(x[t]) <= f * np.median(np.abs(x[t - w : t]))
    return out


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3)), st.integers(1, 6), st.sampled_from([2.0, 10.0]))
def test_blowups_match_naive(x, w, f):
    np.testing.assert_array_equal(P.blowups(x, window=w, factor=f), _naive_blowups(x, w, f))


def test_blowups_late_jump_and_nan():
    x = np.r_[np.full(50, 100.0), np.full(100, 1.0), 30.0, np.ones(10), np.nan]
    b = P.blowups(x, window=20)
    assert np.flatnonzero(b).tolist() == [150, 161]  # the early large values are no blow-up; NaN is one
    assert not P.blowups(x[None], window=200).any()


def _naive_blowups_early(x, w, f, e):
    out = np.zeros(len(x), bool)
    floor = np.median(np.abs(x[:e]))
    for t in range(w, len(x)):
        out[t] = not abs(x[t]) <= max(f * np.median(np.abs(x[t - w : t])), floor)
    return out


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3)), st.integers(1, 6), st.integers(1, 8))
def test_blowups_early_match_naive(x, w, e):
    np.testing.assert_array_equal(P.blowups(x, window=w, factor=10.0, early=e), _naive_blowups_early(x, w, 10.0, e))


def test_blowups_early_level_skips_a_revival():
    x = np.r_[np.full(50, 1.0), np.zeros(100), np.full(10, 0.5), 30.0, np.ones(5)]
    assert np.flatnonzero(P.blowups(x, window=20)).tolist() == list(range(150, 161))  # revival counts without the bar
    assert np.flatnonzero(P.blowups(x, window=20, early=50)).tolist() == [160]
    with pytest.raises(ValueError, match="early"):
        P.blowups(x, early=-1)


def _naive_blowups_early_nonzero(x, w, f, e):
    out = np.zeros(len(x), bool)
    head = np.abs(x[:e])
    floor = np.median(head[head != 0]) if np.any(head != 0) else np.inf
    for t in range(w, len(x)):
        out[t] = not abs(x[t]) <= np.maximum(f * np.median(np.abs(x[t - w : t])), floor)  # a NaN bar flags the step
    return out


@given(arrays(np.float64, st.integers(1, 40), elements=st.sampled_from([0.0, 0.5, 1.0, 3.0, 20.0, -7.0, np.nan])),
       st.integers(1, 6), st.integers(1, 8))
def test_blowups_early_nonzero_match_naive(x, w, e):
    np.testing.assert_array_equal(P.blowups(x, window=w, factor=10.0, early=e, early_nonzero=True),
                                  _naive_blowups_early_nonzero(x, w, 10.0, e))


def test_blowups_early_nonzero_skips_a_revival_after_an_early_death():
    # the critic dies at step 30, inside the first 100 steps; it comes back at half its early size, then jumps
    x = np.r_[np.full(30, 1.0), np.zeros(150), np.full(20, 0.5), 30.0, np.ones(5)]
    assert np.flatnonzero(P.blowups(x, window=20, early=100)).tolist() == list(range(180, 190)) + [200]  # early level 0
    assert np.flatnonzero(P.blowups(x, window=20, early=100, early_nonzero=True)).tolist() == [200]
    assert not P.blowups(np.r_[np.zeros(100), np.ones(50)], window=20, early=100, early_nonzero=True).any()


def _naive_episodes(e, gap):
    return np.array([bool(e[t]) and not e[max(0, t - gap) : t].any() for t in range(len(e))], bool)


@given(arrays(np.bool_, st.integers(1, 60)), st.integers(0, 7))
def test_episodes_match_naive(e, gap):
    np.testing.assert_array_equal(P.episodes(e, gap=gap), _naive_episodes(e, gap))
    np.testing.assert_array_equal(P.episodes(e[None], gap=gap)[0], _naive_episodes(e, gap))


def test_episodes_rejects_bad_gap():
    with pytest.raises(ValueError, match="gap"):
        P.episodes(np.ones(4, bool), gap=-1)


def _naive_coincide(e, m, k):
    hits = sum(1 for t in np.flatnonzero(e) if m[max(0, t - k) : t + k + 1].any())
    near = np.array([m[max(0, t - k) : t + k + 1].any() for t in range(len(m))])
    return int(e.sum()), hits, float(near.mean())


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=30), st.integers(0, 4))
def test_coincide_matches_naive(pairs, k):
    e, m = np.array(pairs, bool).T
    got = P.coincide(e, m, within=k)
    want = _naive_coincide(e, m, k)
    assert got[:2] == want[:2]
    np.testing.assert_allclose(got[2], want[2])


@pytest.mark.slow
def test_no_momentum_critic_never_steps_uphill_in_wgan_training():
    """RMSProp and Adam with beta1 = 0 scale the current gradient by a positive diagonal: cos(update, -g) > 0
    at every critic step with g != 0, even with a fast generator (the momentum-free half of C17, by construction)."""
    data = gantoy.ring8()
    for opt in (gantoy.rmsprop(1e-3), gantoy.adam(1e-3, 0.0)):
        cfg = gantoy.wgan_config(data, g_hidden=(16, 16), d_hidden=(16, 16), g_opt=gantoy.rmsprop(1e-3), d_opt=opt)
        res = gantoy.train(jax.random.key(8), cfg, 60, n_seeds=2, metrics=("cos", "d_grad_norm"))
        live = res.metrics["d_grad_norm"] > 0
        assert live.any() and np.all(res.metrics["cos"][live] > 0)


def test_spearman_interval_replicates_match_a_loop_over_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 9)), rng.normal(size=(3, 9))
    k_run, k_snap = jax.random.split(jax.random.key(3))
    runs = np.asarray(jax.random.randint(k_run, (40, 3), 0, 3))
    snaps = np.asarray(jax.random.randint(k_snap, (40, 3, 9), 0, 9))
    reps = []
    for b in range(40):
        r = [P.spearman(x[j, snaps[b, i]], y[j, snaps[b, i]]) for i, j in enumerate(runs[b])]
        if not np.isnan(r).any():
            reps.append(np.mean(r))
    want = np.quantile(reps, [0.05, 0.95])
    got = P.spearman_interval(jax.random.key(3), x, y, n_boot=40)
    np.testing.assert_allclose(got[1:], want, rtol=1e-12)


def test_translate_generator_moves_every_sample_and_nothing_else():
    from gantoy.gan.engine import gan_config, generate, init_seeds

    cfg = gan_config(lambda k, n: jnp.zeros((n, 2)), z_dim=3, g_hidden=(8, 8), d_hidden=(8,))
    s = init_seeds(jax.random.key(0), cfg, 2)
    z = jax.random.normal(jax.random.key(1), (16, 3))
    gen = lambda st: jax.vmap(lambda g: generate(cfg, g, z))(st.g_params)  # [seeds, 16, 2]
    for shift in (np.array([1.0, -0.5]), np.array([[1.0, 0.0], [0.0, 2.0]])):
        moved = P.translate_generator(s, shift)
        np.testing.assert_allclose(gen(moved) - gen(s), np.broadcast_to(shift[:, None] if shift.ndim == 2 else shift,
                                                                        (2, 16, 2)), atol=1e-6)
        assert jax.tree_util.tree_structure(moved) == jax.tree_util.tree_structure(s)
        for a, b in zip(jax.tree_util.tree_leaves((moved.d_params, moved.g_opt_state, moved.step)),
                        jax.tree_util.tree_leaves((s.d_params, s.g_opt_state, s.step))):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="shift must be"):
        P.translate_generator(s, np.ones(3))
    with pytest.raises(ValueError, match="shift must be"):
        P.translate_generator(s, np.ones((3, 2)))

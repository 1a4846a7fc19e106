"""gantoy.studies.supports against brute-force numpy distances and the areas of stadiums and annuli."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gantoy.gan import engine
from gantoy.measures import distributions
from gantoy.studies import supports as S


def _brute_distance(x, v):
    """Distance from each point to the polyline with vertices v, every segment tried (numpy)."""
    a, b = v[:-1], v[1:]
    ab = b - a
    rel = x[:, None, :] - a[None]
    t = np.clip(np.sum(rel * ab[None], axis=-1) / np.sum(ab * ab, axis=-1)[None], 0.0, 1.0)
    return np.sqrt(np.min(np.sum((rel - t[..., None] * ab[None]) ** 2, axis=-1), axis=1))


def _segment(length):
    return distributions.curve(lambda p, t: jnp.stack([p * t, 0.0 * t]), jnp.asarray(length))


def _circle(radius):
    return distributions.curve(
        lambda r, t: r * jnp.stack([jnp.cos(2 * jnp.pi * t), jnp.sin(2 * jnp.pi * t)]), jnp.asarray(radius),
        n_pieces=512,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fraction_within_matches_brute_force(x64, seed):
    c = distributions.random_curve(jax.random.key(seed))
    rng = np.random.default_rng(seed)
    v = np.asarray(c.vertices())
    # points near the curve (a fine pass is needed) and uniform in its box
    near = v[rng.integers(0, len(v), 1500)] + rng.normal(0, 0.02, (1500, 2))
    box = rng.uniform(v.min(0) - 0.2, v.max(0) + 0.2, (1500, 2))
    x = np.concatenate([near, box])
    eps = np.array([1e-3, 1e-2, 3e-2, 0.1])
    d = _brute_distance(x, v)
    want = np.array([np.mean(d < e) for e in eps])
    np.testing.assert_allclose(S.fraction_within(c, x, eps), want, rtol=0, atol=0)


def test_neighbourhood_area_of_a_segment_is_a_stadium(x64, key):
    eps = np.array([0.01, 0.03, 0.1])
    area = S.neighbourhood_area(key, _segment(2.0), eps, n=100_000)
    stadium = 2 * 2.0 * eps + np.pi * eps**2
    np.testing.assert_allclose(area, stadium, rtol=0.05)


def test_neighbourhood_area_of_a_circle_is_an_annulus_and_shrinks_linearly(x64, key):
    eps = np.array([3e-3, 1e-2, 3e-2])
    area = S.neighbourhood_area(key, _circle(1.0), eps, n=100_000)
    np.testing.assert_allclose(area, 4 * np.pi * 1.0 * eps, rtol=0.15)  # ~780 hits at 3e-3: 4 % error
    slope = np.polyfit(np.log(eps), np.log(area), 1)[0]
    assert 0.95 < slope < 1.05


def test_curve_length(x64):
    assert S.curve_length(_segment(3.0)) == pytest.approx(3.0, rel=1e-12)
    assert S.curve_length(_circle(2.0)) == pytest.approx(4 * np.pi, rel=1e-5)


def test_generator_curve_holds_the_generator_samples(x64):
    cfg = S.curve_config(distributions.ring8(), g_hidden=(16, 16), d_hidden=(8,))
    assert cfg.z_dim == 1
    g = engine.init(jax.random.key(3), cfg).g_params
    c = S.generator_curve(cfg, g, z_max=4.0, n_pieces=2048)
    g_params, z_table = c.params
    assert z_table[0] == -4.0 and z_table[-1] == 4.0 and np.all(np.diff(np.asarray(z_table)) >= 0)
    np.testing.assert_allclose(np.asarray(c.vertices()), np.asarray(engine.generate(cfg, g, z_table[:, None])),
                               atol=1e-12)
    # half the codes at equal steps of arc length: no chord longer than two such steps
    chords = np.linalg.norm(np.diff(np.asarray(c.vertices()), axis=0), axis=1)
    assert chords.max() < 1.1 * S.curve_length(c) / 1024
    x = np.asarray(engine.generate(cfg, g, jax.random.uniform(jax.random.key(4), (500, 1), minval=-4.0, maxval=4.0)))
    d = _brute_distance(x, np.asarray(c.vertices()))
    assert d.max() < 1e-3  # on the polyline, up to the kinks inside a chord
    np.testing.assert_array_equal(S.fraction_within(c, x, [1e-3]), [1.0])
    # a fresh copy of the same curve compares equal: the compiled code is reused
    assert c.fn == S.generator_curve(cfg, g, z_max=4.0).fn


def test_bad_inputs_raise_value_errors(x64, key):
    data = distributions.ring8()
    with pytest.raises(ValueError, match="z_dim"):
        S.curve_config(data, z_dim=2)
    cfg2 = engine.gan_config(data, z_dim=2, g_hidden=(4,), d_hidden=(4,))
    with pytest.raises(ValueError, match="z_dim = 1"):
        S.generator_curve(cfg2, engine.init(key, cfg2).g_params)
    cfg = S.curve_config(data, g_hidden=(4,), d_hidden=(4,))
    g = engine.init(key, cfg).g_params
    with pytest.raises(ValueError, match="z_max"):
        S.generator_curve(cfg, g, z_max=0.0)
    c = _segment(1.0)
    with pytest.raises(ValueError, match="eps"):
        S.fraction_within(c, np.zeros((3, 2)), [0.0])
    with pytest.raises(ValueError, match="x must be"):
        S.fraction_within(c, np.zeros((3, 3)), [0.1])
    with pytest.raises(ValueError, match="non-finite"):
        S.fraction_within(c, np.full((3, 2), np.nan), [0.1])
    with pytest.raises(ValueError, match="Curve"):
        S.fraction_within(distributions.ring8(), np.zeros((3, 2)), [0.1])
    with pytest.raises(ValueError, match="n must be"):
        S.neighbourhood_area(key, c, [0.1], n=0)


def test_generator_jacobian_rank_is_the_code_dimension_or_the_fewest_active_units(x64, key):
    # Lemma 1 of Arjovsky & Bottou (2017) in linear algebra: rank J(z) <= min(dim z, active units of every layer),
    # attained for random weights (notebook 03, section 1, prints these ranks)
    k, d = 20, 300
    codes = jax.random.uniform(jax.random.fold_in(key, 2), (3, k))
    wide = distributions.random_pushforward(jax.random.fold_in(key, 0), k, d, hidden=(64, 128))
    narrow = distributions.random_pushforward(jax.random.fold_in(key, 1), k, d, hidden=(64, 16, 128))
    for z in codes:
        assert np.linalg.matrix_rank(np.asarray(jax.jacfwd(wide.generator)(z))) == k
        bound = min([k, *(int((h > 0).sum()) for h in narrow.hidden(z))])
        assert bound < k
        assert np.linalg.matrix_rank(np.asarray(jax.jacfwd(narrow.generator)(z))) == bound


@pytest.mark.parametrize("k, d", [(1, 2), (2, 3), (3, 4), (6, 10), (70, 100), (100, 4096), (300, 500)])
def test_random_subspaces_meet_in_dimension_max_0_2k_minus_d(k, d):
    rng = np.random.default_rng(k * 1000 + d)
    u, v = rng.standard_normal((d, k)), rng.standard_normal((d, k))
    assert 2 * k - np.linalg.matrix_rank(np.hstack([u, v])) == max(0, 2 * k - d)

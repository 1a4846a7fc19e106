"""gantoy.studies.critic: the update steps against hand-written formulas, the bounds against
explicit constructions and scipy, fit_critic(s) against the Kantorovich-Rubinstein and
two-sided-penalty predictions, the engine's initialisation and its own vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize_scalar
from scipy.special import log_expit

from gantoy.studies import critic as C
from gantoy.gan.nets import mlp_apply, mlp_init
from gantoy.gan.engine import (
    adam,
    critic_update,
    make_optimizer,
    rmsprop,
    seed_keys,
    sgd,
    train_critic,
    train_critic_on_samples,
    tree_cosine,
    wgan_config,
)


def _batch(key, n=8, d=2):
    kr, kf = jax.random.split(key)
    return jax.random.normal(kr, (n, d)), jax.random.normal(kf, (n, d)) + 2.0


def test_gan_step_is_cross_entropy_plus_adam(key):
    d = mlp_init(key, (2, 8, 1))
    real, fake = _batch(jax.random.fold_in(key, 1))
    tx = optax.adam(1e-2, b1=0.5)
    new, _, info = C.gan_discriminator_step(d, tx.init(d), real, fake, tx=tx)
    lr_, lf_ = (np.asarray(mlp_apply(d, x)[..., 0], dtype=float) for x in (real, fake))
    np.testing.assert_allclose(info.loss, -np.mean(log_expit(lr_)) - np.mean(log_expit(-lf_)), rtol=1e-5)
    # Adam's first step moves every parameter by -lr * sign(g) (up to eps)
    for (w0, b0), (w1, b1), (gw, gb) in zip(d, new, info.grads):
        np.testing.assert_allclose(w1 - w0, -1e-2 * np.sign(gw), atol=1e-6)
        np.testing.assert_allclose(b1 - b0, -1e-2 * np.sign(gb), atol=1e-6)


def test_wgan_step_is_rmsprop_then_clip(key):
    d = mlp_init(key, (2, 8, 8, 1))
    real, fake = _batch(jax.random.fold_in(key, 1))
    lr, c = 1e-3, 0.01
    tx = make_optimizer(rmsprop(lr))
    new, _, info = C.wgan_critic_step(d, tx.init(d), real, fake, tx=tx, clip=c)
    f = lambda p: jnp.mean(mlp_apply(p, fake)[..., 0]) - jnp.mean(mlp_apply(p, real)[..., 0])
    np.testing.assert_allclose(info.loss, f(d), rtol=1e-6)
    g = jax.grad(f)(d)
    for (w0, _), (w1, _), (gw, _) in zip(d, new, g):
        # PyTorch RMSProp, first step: v = 0.01 g^2, update = -lr g / (sqrt(v) + eps)
        step = -lr * gw / (np.sqrt(0.01 * gw**2) + 1e-8)
        np.testing.assert_allclose(w1, np.clip(w0 + step, -c, c), atol=1e-7)
    assert float(C.max_abs_weight(new)) <= c


@settings(max_examples=15)
@given(st.floats(1e-4, 0.5), st.integers(0, 2**16))
def test_clip_holds_after_every_update(c, seed):
    key = jax.random.key(seed)
    d = mlp_init(key, (2, 4, 1))
    tx = make_optimizer(rmsprop(0.5))  # a huge step, far outside the box
    real, fake = _batch(jax.random.fold_in(key, 1), n=4)
    for _ in range(3):
        d, s, _ = C.wgan_critic_step(d, tx.init(d), real, fake, tx=tx, clip=c)
        assert float(C.max_abs_weight(d)) <= np.float32(c)  # c as the float32 the parameters hold


def test_gp_step_linear_critic_penalty_gradient():
    # f(x) = x . w: the penalty is lambda (|w| - 1)^2 whatever the interpolates
    w = jnp.array([[3.0], [4.0]])
    d = [(w, jnp.zeros(1))]
    real, fake = jnp.ones((6, 2)), jnp.zeros((6, 2))
    tx = optax.sgd(1.0)
    new, _, info = C.wgan_gp_critic_step(jax.random.key(0), d, tx.init(d), real, fake, tx=tx, gp_weight=2.0)
    np.testing.assert_allclose(info.loss, -7.0, rtol=1e-6)  # E f(fake) - E f(real) = 0 - 7
    # d/dw [-(w1 + w2) + 2 (|w| - 1)^2] = -1 + 4 (|w| - 1) w / |w| = -1 + 16 w / 5
    expected = w[:, 0] + 1.0 - 16.0 * w[:, 0] / 5.0
    np.testing.assert_allclose(new[0][0][:, 0], expected, rtol=1e-5)


def test_critic_estimate_and_input_grad_linear():
    d = [(jnp.array([[2.0], [-1.0]]), jnp.array([0.5]))]
    real = jnp.array([[1.0, 0.0], [3.0, 2.0]])
    fake = jnp.zeros((3, 2))
    np.testing.assert_allclose(C.critic_estimate(d, real, fake), 2.0 * 2.0 - 1.0, rtol=1e-6)
    np.testing.assert_allclose(C.input_grad(d, real), [[2.0, -1.0]] * 2)


def test_input_grad_matches_central_differences(key, x64):
    d = mlp_init(key, (3, 16, 16, 1))
    x = jax.random.normal(jax.random.fold_in(key, 1), (5, 3))
    g = C.input_grad(d, x)
    h = 1e-6
    f = lambda v: mlp_apply(d, v)[..., 0]
    fd = np.stack([(f(x + h * e[None, :]) - f(x - h * e[None, :])) / (2 * h) for e in jnp.eye(3)], axis=1)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_clip_lipschitz_bound_attained_by_the_all_c_network(x64):
    sizes, c = (3, 5, 4, 1), 0.1
    d = [(jnp.full((a, b), c), jnp.full((b,), c)) for a, b in zip(sizes[:-1], sizes[1:])]
    x = jnp.ones((1, 3))  # every unit active
    g = C.input_grad(d, x)[0]
    np.testing.assert_allclose(float(jnp.linalg.norm(g)), C.clip_lipschitz_bound(sizes, c), rtol=1e-12)


@settings(max_examples=15)
@given(st.integers(0, 2**16))
def test_random_clipped_critics_respect_the_bound(seed):
    key = jax.random.key(seed)
    sizes, c = (2, 8, 8, 1), 0.05
    d = [(jnp.clip(w, -c, c), jnp.clip(b, -c, c)) for w, b in mlp_init(key, sizes)]
    x = 3.0 * jax.random.normal(jax.random.fold_in(key, 1), (64, 2))
    assert float(jnp.linalg.norm(C.input_grad(d, x), axis=1).max()) <= C.clip_lipschitz_bound(sizes, c) * (1 + 1e-6)


def test_clip_lipschitz_bound_validation():
    with pytest.raises(ValueError, match="clip c"):
        C.clip_lipschitz_bound((2, 1), 0.0)
    with pytest.raises(ValueError, match="sizes"):
        C.clip_lipschitz_bound((2,), 0.1)


@pytest.mark.parametrize("w, lam", [(0.3, 10.0), (8.0, 10.0), (3.0, 1.0), (25.0, 10.0)])
def test_gp_linear_optima_against_scipy(w, lam):
    loss = lambda a: -a * w + lam * (abs(a) - 1.0) ** 2
    right, wrong = C.gp_linear_optima(w, lam)
    best = minimize_scalar(loss, bounds=(0.0, 10.0 + w), method="bounded", options={"xatol": 1e-10})
    np.testing.assert_allclose(float(right), best.x, rtol=1e-6)
    neg = minimize_scalar(loss, bounds=(-10.0, 0.0), method="bounded", options={"xatol": 1e-10})
    if w < 2 * lam:  # an interior local minimum on the wrong side
        np.testing.assert_allclose(float(wrong), neg.x, rtol=1e-6)
        assert loss(neg.x) > loss(best.x)
    else:  # no stationary point for a < 0: the minimum there is the wall at a = 0
        assert np.isnan(float(wrong)) and abs(neg.x) < 1e-6


def _translated(key, m, n=256):
    x = 0.3 * jax.random.normal(key, (n, 1))
    w = jnp.geomspace(0.1, 1.0, m)
    return jnp.stack([x] * m), x[None] + w[:, None, None], np.asarray(w)


def test_fit_critics_clipped_estimate_is_k_times_w(key):
    real, fake, w = _translated(key, 3)
    # one key, no n_seeds: the same initialisation and minibatches on every pair
    fit = C.fit_critics(jax.random.key(5), real, fake, 200, hidden=(8, 8), optimizer=rmsprop(2e-4), batch_size=32,
                        paired=True)
    assert fit.metrics["max_abs_weight"].shape == (3, 200)
    ratio = fit.estimate / w
    assert np.all(ratio > 0) and ratio.std() / ratio.mean() < 0.1
    assert ratio.max() <= C.clip_lipschitz_bound((1, 8, 8, 1), 0.01)  # Kantorovich-Rubinstein: <= K_max W
    np.testing.assert_allclose(-fit.metrics["loss"][:, -20:].mean(1), fit.estimate, rtol=0.05)
    assert np.all(fit.metrics["cos"] > 0)  # RMSProp without momentum: always a descent direction


def test_clipped_critic_estimate_grows_with_w(key):
    # Kantorovich-Rubinstein: sup over K-Lipschitz f of E_r f - E_g f = K W grows with W (translates by W)
    x = 0.3 * jax.random.normal(key, (256, 1))
    w = jnp.array([0.25, 0.5, 1.0, 2.0])
    fit = C.fit_critics(jax.random.key(5), jnp.stack([x] * 4), x[None] + w[:, None, None], 200, n_seeds=2,
                        hidden=(8, 8), optimizer=rmsprop(2e-4), batch_size=32, paired=True)
    assert np.all(np.diff(fit.estimate, axis=1) > 0) and np.all(fit.estimate[:, 0] > 0), fit.estimate


def test_clip_holds_after_every_update_of_the_notebook_critics(key):
    # notebook 07's clipped critics (3x32, c = 0.01, RMSProp 2e-4, 2-d inputs): max|w| <= c after every update
    x = jax.random.normal(key, (128, 2))
    fit = C.fit_critics(key, jnp.stack([x, x]), jnp.stack([x + 0.3, x + 10.0]), 60, n_seeds=2, hidden=(32,) * 3,
                        optimizer=rmsprop(2e-4), clip=0.01, batch_size=64, paired=True)
    assert fit.metrics["max_abs_weight"].shape == (2, 2, 60)
    assert fit.metrics["max_abs_weight"].max() <= np.float32(0.01)
    assert fit.metrics["max_abs_weight"].max() == np.float32(0.01)  # the box is reached: the clip acts


@pytest.mark.slow
def test_fit_critics_gp_estimate_is_one_plus_w_over_two_lambda(key):
    # translated Gaussians, W = 1 > 2 lambda: the two-sided penalty has a single minimum, the linear
    # critic with slope 1 + W / (2 lambda); its estimate / W lies within 5% of that (tolerance of the test)
    real, _, _ = _translated(key, 2)
    fake = real + 1.0  # W = 1 for both
    lam = np.array([0.2, 0.4])
    fit = C.fit_critics(key, real, fake, 600, n_seeds=2, hidden=(16,), optimizer=adam(3e-3, 0.0, 0.9), clip=None,
                        gp_weight=lam, batch_size=64, paired=True)
    right, _ = C.gp_linear_optima(1.0, lam)
    np.testing.assert_allclose(fit.estimate, np.broadcast_to(right, (2, 2)), rtol=0.05)


@pytest.mark.slow
def test_fit_critics_gp_wrong_sign_minimum_in_one_dimension(key):
    # Started with the wrong sign (trained on the swapped pair), a 1-d GP critic stays at
    # a = -(1 - W / (2 lambda)) when W < 2 lambda, and turns round when W > 2 lambda.
    x = 0.3 * jax.random.normal(key, (256, 1))
    real, fake = jnp.stack([x, x]), jnp.stack([x + 4.0, x + 4.0])
    lam = np.array([10.0, 1.0])
    kw = dict(hidden=(16, 16), optimizer=adam(1e-3, 0.0, 0.9), clip=None, gp_weight=lam, batch_size=64, paired=True)
    swapped = C.fit_critics(key, fake, real, 800, **kw)
    fit = C.fit_critics(key, real, fake, 800, d_params=swapped.d_params, **kw)
    right, wrong = C.gp_linear_optima(4.0, lam)
    np.testing.assert_allclose(fit.estimate / 4.0, [float(wrong[0]), float(right[1])], rtol=0.1)


def test_fit_critics_gan_and_continuation(key):
    real, fake, _ = _translated(key, 2, n=64)
    kw = dict(loss="gan", hidden=(8,), optimizer=adam(1e-2), clip=None, batch_size=16)
    first = C.fit_critics(key, real, fake, 20, **kw)
    again = C.fit_critics(key, real, fake, 20, d_params=first.d_params, **kw)
    assert np.all(again.metrics["loss"][:, 0] <= first.metrics["loss"][:, 0])  # continues from a better D
    same = C.fit_critics(key, real, fake, 20, **kw)
    np.testing.assert_array_equal(same.estimate, first.estimate)  # deterministic


def test_fit_critics_one_program_for_every_clip_and_a_continuation(key, xla_compiles):
    """The clipping bound and the step size are arguments of the compiled program, and a first fit
    starts from explicit critics: another c, another step size, or a continuation (d_params given)
    compiles nothing new; a first fit equals a continuation from the engine's initial critics."""
    real, fake, _ = _translated(key, 2, n=64)
    kw = dict(hidden=(8,), batch_size=16, paired=True)
    first = C.fit_critics(key, real, fake, 10, n_seeds=2, clip=0.01, optimizer=rmsprop(1e-3), **kw)
    with xla_compiles() as compiles:
        wider = C.fit_critics(key, real, fake, 10, n_seeds=2, clip=0.02, optimizer=rmsprop(3e-3), **kw)
        more = C.fit_critics(key, real, fake, 10, n_seeds=2, clip=0.01, optimizer=rmsprop(1e-3),
                             d_params=first.d_params, **kw)
    assert compiles == []
    assert np.max(np.abs(wider.d_params[0][0])) > 0.01 >= np.max(np.abs(first.d_params[0][0]))
    assert np.all(more.metrics["max_abs_weight"] <= 0.01)
    # a fit from d_params = the initial critics (seed key fold_in 0, clipped) is the first fit itself
    inits = [mlp_init(jax.random.fold_in(k, 0), (1, 8, 1)) for k in seed_keys(key, 2)]  # [seed][layer]
    d0 = jax.tree_util.tree_map(lambda *a: jnp.stack([jnp.stack([jnp.clip(x, -0.01, 0.01)] * 2) for x in a]), *inits)
    again = C.fit_critics(key, real, fake, 10, n_seeds=2, clip=0.01, optimizer=rmsprop(1e-3), d_params=d0, **kw)
    np.testing.assert_array_equal(again.estimate, first.estimate)


def test_fit_critics_one_bound_per_pair(key, xla_compiles):
    """clip=[c_1, ..., c_m] (np.inf: unconstrained): each pair's critic is the one its own bound gives,
    bit for bit, and one program serves every set of bounds."""
    real, fake, _ = _translated(key, 3, n=64)
    kw = dict(n_seeds=2, hidden=(8,), optimizer=rmsprop(1e-2), batch_size=16, paired=True)
    bounds = np.array([0.01, 0.02, np.inf])
    mixed = C.fit_critics(key, real, fake, 10, clip=bounds, **kw)
    with xla_compiles() as compiles:
        alone = [C.fit_critics(key, real, fake, 10, clip=c, **kw) for c in bounds]
    assert compiles == []
    for i in range(3):
        np.testing.assert_array_equal(mixed.estimate[:, i], alone[i].estimate[:, i])
        np.testing.assert_array_equal(mixed.metrics["loss"][:, i], alone[i].metrics["loss"][:, i])
    top = mixed.metrics["max_abs_weight"].max(axis=(0, 2))  # per pair, over seeds and updates
    assert top[0] == np.float32(0.01) and top[1] == np.float32(0.02) and top[2] > 0.02, top
    # the unconstrained pair against the program without any clip: the same critic up to rounding
    free = C.fit_critics(key, real, fake, 10, clip=None, **kw)
    np.testing.assert_allclose(mixed.estimate[:, 2], free.estimate[:, 2], rtol=1e-5)
    assert not np.allclose(mixed.estimate[:, 0], free.estimate[:, 0], rtol=1e-2)  # the clip acts on the others


def test_critic_fit_pairs_selects_along_the_pair_axis(key):
    real, fake, _ = _translated(key, 3, n=32)
    kw = dict(hidden=(4,), optimizer=rmsprop(1e-3), batch_size=8)
    for n_seeds, lead in ((None, ()), (2, (2,))):
        fit = C.fit_critics(key, real, fake, 3, n_seeds=n_seeds, **kw)
        part = fit.pairs(np.array([2, 0]))
        assert part.estimate.shape == lead + (2,) and part.metrics["loss"].shape == lead + (2, 3)
        np.testing.assert_array_equal(part.estimate[..., 0], fit.estimate[..., 2])
        np.testing.assert_array_equal(part.d_params[0][0][..., 1, :, :], fit.d_params[0][0][..., 0, :, :])
    with pytest.raises(ValueError, match="pair axis"):
        C.fit_critic(key, real[0], fake[0], 3, **kw).pairs(0)


@pytest.mark.fusion_emitters
def test_fit_critics_is_fit_critic_vmapped_over_pairs_and_seeds(key):
    real, fake, _ = _translated(key, 2, n=64)
    kw = dict(hidden=(8,), optimizer=rmsprop(1e-3), batch_size=16, paired=True)
    many = C.fit_critics(key, real, fake, 15, n_seeds=3, **kw)
    assert many.estimate.shape == (3, 2) and many.metrics["loss"].shape == (3, 2, 15)
    keys = seed_keys(key, 3)
    for s, i in ((0, 0), (2, 1)):
        one = C.fit_critic(keys[s], real[i], fake[i], 15, **kw)
        np.testing.assert_allclose(many.estimate[s, i], one.estimate, rtol=1e-5)
        np.testing.assert_allclose(many.metrics["loss"][s, i], one.metrics["loss"], rtol=1e-5, atol=1e-9)
    # n_seeds=None: seed `key` on every pair; seeds are independent of each other
    single = C.fit_critics(key, real, fake, 15, **kw)
    np.testing.assert_allclose(single.estimate[0], C.fit_critic(key, real[0], fake[0], 15, **kw).estimate, rtol=1e-5)
    assert not np.allclose(many.estimate[0], many.estimate[1])


def test_fit_critic_starts_from_the_engines_critic(key):
    # lr = 0: the trained critic is the initial one, the same as the engine's train_critic for this key
    data = lambda k, n: jax.random.normal(k, (n, 2))
    cfg = wgan_config(data, d_hidden=(8, 8), d_opt=sgd(0.0))
    eng = train_critic(key, cfg, 1, fake=lambda k, n: data(k, n) + 1.0, metrics=())
    x = jax.random.normal(key, (16, 2))
    fit = C.fit_critic(key, x, x + 1.0, 1, hidden=(8, 8), optimizer=sgd(0.0), clip=0.01)
    for (w0, b0), (w1, b1) in zip(eng.d_params, fit.d_params):
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_array_equal(b0, b1)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(loss="minimax"), "loss must be"),
        (dict(gp_weight=10.0), "at most one of clip"),
        (dict(clip=None, gp_weight=0.0), "gp_weight must be > 0"),
        (dict(loss="gan"), "neither clip"),
        (dict(n_steps=0), "n_steps"),
        (dict(clip=-1.0), "clip c"),
        (dict(clip=[0.01, -1.0]), "clip c"),
        (dict(clip=[0.01, 0.02, 0.03]), r"one per pair \(\[2\]\)"),
        (dict(lr=[1e-3] * 3), r"lr must be one value or one per pair"),
        (dict(n_seeds=0), "n_seeds"),
    ],
)
def test_fit_critics_validation(kw, match):
    x = jnp.zeros((2, 4, 1))
    args = dict(n_steps=kw.pop("n_steps", 1))
    with pytest.raises(ValueError, match=match):
        C.fit_critics(jax.random.key(0), x, x, args["n_steps"], **kw)


def test_fit_critics_shape_and_key_validation():
    with pytest.raises(ValueError, match=r"\[m, n, d\]"):
        C.fit_critics(jax.random.key(0), jnp.zeros((4, 1)), jnp.zeros((4, 1)), 1)
    with pytest.raises(ValueError, match=r"\[n, d\]"):
        C.fit_critic(jax.random.key(0), jnp.zeros((2, 4, 1)), jnp.zeros((2, 4, 1)), 1)
    with pytest.raises(ValueError, match="paired"):
        C.fit_critics(jax.random.key(0), jnp.zeros((2, 4, 1)), jnp.zeros((2, 5, 1)), 1, paired=True)
    with pytest.raises(ValueError, match="batch of keys"):  # seeds are asked for with n_seeds, never guessed
        C.fit_critics(jax.random.split(jax.random.key(0), 2), jnp.zeros((2, 4, 1)), jnp.zeros((2, 4, 1)), 1)
    with pytest.raises(ValueError, match="d_params"):
        C.fit_critics(jax.random.key(0), jnp.zeros((2, 4, 1)), jnp.zeros((2, 4, 1)), 1,
                      d_params=[(jnp.zeros((2, 1, 3)), jnp.zeros((2, 3)))])
    with pytest.raises(TypeError, match="unexpected"):
        C.fit_critics(jax.random.key(0), jnp.zeros((2, 4, 1)), jnp.zeros((2, 4, 1)), 1, steps=3)


@settings(max_examples=20)
@given(arrays(np.float32, (12, 5), elements=st.floats(-10, 10, width=32)))
def test_no_momentum_never_steps_uphill(g):
    g = np.where(np.abs(g) < 1e-3, 0.5, g)  # nonzero gradients
    for opt in (rmsprop(1e-3), adam(1e-3, 0.0), sgd(0.1)):
        c = C.update_cosines(opt, g)
        assert np.all(c > 0), (opt, c)


def test_momentum_steps_uphill_after_a_turn_and_cos_formula():
    turn = np.array([[1.0, 2.0]] * 6 + [[-1.0, -1.5]], dtype=np.float32)
    assert C.update_cosines(adam(1e-3, 0.5), turn)[-1] < 0
    assert C.update_cosines(sgd(0.1, momentum=0.9), turn)[-1] < 0
    # plain SGD: the update is -lr g exactly, cos = 1
    np.testing.assert_allclose(C.update_cosines(sgd(0.1), turn), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(C.update_cosines(adam(1e-3), np.zeros((2, 3))), 0.0)  # zero gradient -> 0
    with pytest.raises(ValueError, match=r"\[T, n\]"):
        C.update_cosines(adam(1e-3), np.zeros(3))


def _reference_fit(key, real, fake, n_steps, *, hidden, optimizer, lr, clip, gp_weight, loss, batch_size, paired):
    """fit_critic's numbers written out as their own loop (lax.scan of critic_update, metrics stacked by
    the scan), the definition the engine's critic loop must reproduce bit for bit."""
    sizes = (real.shape[-1],) + hidden + (1,)
    d0 = mlp_init(jax.random.fold_in(key, 0), sizes, dtype=real.dtype)
    d0 = d0 if clip is None else [(jnp.clip(w, -clip, clip), jnp.clip(b, -clip, clip)) for w, b in d0]
    k_train = jax.random.fold_in(key, 1)
    tx = optax.chain(make_optimizer(optimizer._replace(lr=1.0)), optax.scale(jnp.asarray(lr, real.dtype)))

    def body(carry, t):
        d, s = carry
        k_r, k_f, k_gp = jax.random.split(jax.random.fold_in(k_train, t), 3)
        i_r = jax.random.randint(k_r, (batch_size,), 0, real.shape[0])
        i_f = i_r if paired else jax.random.randint(k_f, (batch_size,), 0, fake.shape[0])
        gp = None if gp_weight is None else jnp.asarray(gp_weight, real.dtype)
        d, s, info = critic_update(d, s, real[i_r], fake[i_f], tx=tx, loss=loss, clip=clip, gp_weight=gp, key=k_gp)
        g = info.grads
        return (d, s), {"loss": info.loss, "grad_norm": optax.tree.norm(g),
                        "cos": tree_cosine(info.updates, jax.tree_util.tree_map(jnp.negative, g)),
                        "max_abs_weight": C.max_abs_weight(d)}

    (d, _), ms = jax.lax.scan(body, (d0, tx.init(d0)), jnp.arange(n_steps))
    return d, C.critic_estimate(d, real, fake), ms


@pytest.mark.parametrize(
    "kw",
    [
        dict(loss="wgan", clip=0.01, gp_weight=None, optimizer=rmsprop(5e-4), paired=True),
        dict(loss="wgan", clip=0.01, gp_weight=None, optimizer=rmsprop(5e-4), paired=False),
        dict(loss="wgan", clip=None, gp_weight=2.0, optimizer=adam(1e-3, 0.0, 0.9), paired=True),
        dict(loss="wgan", clip=None, gp_weight=10.0, optimizer=adam(1e-3, 0.0, 0.9), paired=False),
        dict(loss="gan", clip=None, gp_weight=None, optimizer=adam(1e-2, 0.5), paired=False),
    ],
)
@pytest.mark.fusion_emitters
def test_fit_critics_bit_identical_to_the_reference_loop(key, kw):
    # the engine's critic loop (a fori_loop over train_critic_on_samples' steps) gives exactly the numbers of
    # the loop written out above: one critic (fit_critic) and, under the same vmap, every pair and seed
    real = jax.random.normal(key, (2, 48, 2))
    fake = 0.5 * jax.random.normal(jax.random.fold_in(key, 1), (2, 48, 2)) + jnp.array([1.0, 3.0])[:, None, None]
    common = dict(hidden=(8, 8), batch_size=16, **kw)
    ref = lambda k, r, f: _reference_fit(k, r, f, 12, lr=kw["optimizer"].lr, **common)
    one = C.fit_critic(key, real[1], fake[1], 12, **common)
    many = C.fit_critics(key, real, fake, 12, n_seeds=2, **common)
    refs = (ref(key, real[1], fake[1]), jax.jit(jax.vmap(jax.vmap(ref, (None, 0, 0)), (0, None, None)))(
        seed_keys(key, 2), real, fake))
    for fit, (d, est, ms) in zip((one, many), refs):
        assert bool(np.all(fit.metrics["finite"]))
        np.testing.assert_array_equal(fit.estimate, est)
        for name in ms:
            np.testing.assert_array_equal(fit.metrics[name], ms[name], err_msg=name)
        for (w0, b0), (w1, b1) in zip(d, fit.d_params):
            np.testing.assert_array_equal(w1, w0)
            np.testing.assert_array_equal(b1, b0)


def test_train_critic_on_samples_validation():
    x = jnp.zeros((4, 1))
    tx = make_optimizer(rmsprop(1e-3))
    for kw, match in ((dict(metrics=("g_loss",)), "unknown metric"), (dict(loss="minimax"), "loss must"),
                      (dict(batch_size=0), "batch_size"), (dict(paired=True, fake=jnp.zeros((5, 1))), "paired"),
                      (dict(fake=jnp.zeros((4, 2))), r"\[n, d\]")):
        args = dict(real=x, fake=kw.pop("fake", x))
        with pytest.raises(ValueError, match=match):
            train_critic_on_samples(jax.random.key(0), args["real"], args["fake"], 2, tx=tx, **kw)

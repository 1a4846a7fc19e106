"""side_by_side: map over threads, results in input order and equal to running the calls one by one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gantoy.gan.engine import rmsprop
from gantoy.notebook.threads import cores, side_by_side
from gantoy.studies import critic as C


def test_order_arguments_and_workers():
    assert side_by_side(lambda a, b: a - b, range(5), [1] * 5) == [-1, 0, 1, 2, 3]
    assert side_by_side(str, []) == []
    assert side_by_side(lambda x: x * 2, [3], workers=1) == [6]
    assert cores() >= 1
    with pytest.raises(ValueError, match="workers must be >= 1"):
        side_by_side(str, [1, 2], workers=0)


def test_an_exception_in_a_call_is_raised():
    def f(x):
        if x == 2:
            raise KeyError("two")
        return x

    with pytest.raises(KeyError, match="two"):
        side_by_side(f, [1, 2, 3], workers=2)


def test_jax_programs_side_by_side_give_their_numbers_alone(key):
    """Two critic fits (one clipped, one not) in two threads: bit for bit the fits run one after the other."""
    x = 0.3 * jax.random.normal(key, (64, 1))
    real, fake = jnp.stack([x, x]), jnp.stack([x + 0.5, x + 2.0])
    kw = dict(hidden=(8,), optimizer=rmsprop(1e-3), batch_size=16, n_seeds=2)
    fit = lambda clip: C.fit_critics(key, real, fake, 20, clip=clip, **kw)
    together = side_by_side(fit, [0.01, None], workers=2)
    alone = [fit(0.01), fit(None)]
    for a, b in zip(together, alone):
        np.testing.assert_array_equal(a.estimate, b.estimate)
        np.testing.assert_array_equal(a.metrics["loss"], b.metrics["loss"])

"""side_by_side: map over threads, results in input order and equal to running the calls one by one;
program_cache: threads that ask a factory for the same program at once get one object."""

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gantoy._threads import program_cache
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


def test_program_cache_builds_once_for_threads_that_miss_together():
    """A slow factory (it sleeps, letting the other thread in) is called once for two threads asking
    at once, and both get its object; a plain lru_cache calls it twice here."""
    calls = []

    @program_cache(maxsize=4)
    def factory(n):
        time.sleep(0.2)
        calls.append(n)
        return object()

    a, b = side_by_side(lambda _: factory(3), range(2), workers=2)
    assert a is b and calls == [3]
    assert factory(4) is not a and calls == [3, 4]
    assert factory.cache_info().misses == 2 and factory.cache_info().hits == 1
    factory.cache_clear()
    assert factory(3) is not a and calls == [3, 4, 3]


def test_program_cache_lets_one_factory_call_another_and_keeps_the_name():
    """Each factory has its own lock: a cached factory calling another does not wait on itself."""

    @program_cache(maxsize=2)
    def inner(n):
        return ("inner", n)

    @program_cache(maxsize=2)
    def outer(n):
        """outer's docstring"""
        return inner(n)

    assert outer(1) == ("inner", 1)
    assert outer.__name__ == "outer" and outer.__doc__ == "outer's docstring"

"""Every transform accepts Numba dispatchers (``@njit``, ``@vectorize``) and differentiates
through calls to ``@njit`` helpers, with no change to the user's source."""

import math

import numpy as np
from fdcheck import assert_close, fd_grad
from numba import njit, vectorize

import ad_compiler as ad


@njit
def _soft(d):
    return 1.0 / (d * d + 0.1)


@njit(fastmath=True)
def energy(x):
    e = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            e += _soft(x[i] - x[j])
    return e


@vectorize(["float64(float64)"])
def wave(x):
    return math.sin(x) * x


def test_grad_value_and_grad_jvp_hessian_of_njit():
    x = np.random.default_rng(3).random(5)
    expected = fd_grad(energy.py_func, (x,), 0)
    assert_close(ad.grad(energy, backend="python")(x), expected)
    value, g = ad.value_and_grad(energy, backend="python")(x)
    assert_close(value, energy(x))
    assert_close(g, expected)
    t = np.ones(5)
    _, tangent = ad.jvp(energy, (x,), (t,), backend="python")
    assert_close(tangent, np.dot(expected, t))
    h = ad.hessian(energy, backend="python")(x)
    column = fd_grad(lambda y: ad.grad(energy, backend="python")(y)[0], (x,), 0)
    assert_close(h[0], column)


def test_vectorize_dispatcher():
    assert_close(ad.grad(wave, backend="python")(0.3), math.cos(0.3) * 0.3 + math.sin(0.3))

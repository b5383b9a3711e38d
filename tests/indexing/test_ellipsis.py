"""``...`` in an index (``x[..., 0]``, ``y[..., 1] = ...``, ``x[0, ...]``, ``x[..., None]``):
the frontend keeps it as a constant index and specialisation spells it out as the full
slices of the axes the other indices leave, so every transform sees indices it knows."""

import numpy as np
import pytest

import ad_compiler as ad


def last_axis_products(x):
    return np.sum(x[..., 0] * x[..., 1])


def written_through_an_ellipsis(x):
    y = x.copy()
    y[..., 1] = y[..., 1] * 3.0
    return np.sum(y ** 2)


def ellipsis_first_and_new_axis(x):
    return np.sum(x[0, ...] * x[..., None][1, :, 0])


def ellipsis_in_a_loop(x):
    s = 0.0
    for i in range(x.shape[-1]):
        s = s + np.sum(np.sin(x[..., i]) * i)
    return s


def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        p, m = x.copy(), x.copy()
        p[k] += h
        m[k] -= h
        g[k] = (f(p) - f(m)) / (2 * h)
    return g


@pytest.mark.parametrize("f", [last_axis_products, written_through_an_ellipsis,
                               ellipsis_first_and_new_axis, ellipsis_in_a_loop],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_ellipsis_indices_in_both_modes(f, backend):
    for x in (np.array([[0.3, 0.5, 0.2], [0.7, 0.2, 0.9]]),
              np.linspace(0.1, 0.9, 12).reshape(2, 2, 3)):
        want = _fd(f, x)
        np.testing.assert_allclose(ad.grad(f, backend=backend)(x.copy()), want, rtol=1e-6,
                                   atol=1e-8)
        t = np.cos(np.arange(x.size)).reshape(x.shape)
        assert ad.jvp(f, (x,), (t,))[1] == pytest.approx(np.sum(want * t), rel=1e-6)


def two_ellipses(x):
    return np.sum(x[..., 0, ...])


def test_two_ellipses_are_refused_as_numpy_refuses_them():
    with pytest.raises(ad.DifferentiationError, match="single ellipsis"):
        ad.grad(two_ellipses, backend="python")(np.ones((2, 3)))

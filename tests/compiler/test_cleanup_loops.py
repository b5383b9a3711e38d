"""The clean-up's loop rewrites (transforms/counters.py, transforms/deadstores.py) at the
edges they reason about: empty and negative ranges, a ``while`` that runs once or not at
all, an offset range, an array written in place and handed back to the caller. Each
gradient is checked against central finite differences (fdcheck.check_grad also checks
that the arguments hold what calling the function leaves in them), and the source shows
that the rewrite fired."""
import math

import numpy as np
import pytest

import ad_compiler as ad
from fdcheck import check_grad


def _grad(f, wrt):
    return ad.grad(f, wrt=wrt, backend="python")


def scalar_loop(y, r, steps):
    s = 0.0
    for i in range(steps):
        y = y + 0.1 * r * math.sin(y)
        s = s + y * y
    return s + y


def offset_loop(x, a, b):
    s = 0.0
    for i in range(a, b):
        s = s + x[i] * x[i - 1]
    return s


def newton(a, start):
    x = start
    while abs(x * x - a) > 1e-10:
        x = x - (x * x - a) / (2.0 * x)
    return x


def sweep_in_place(u, c, sweeps):
    for k in range(sweeps):
        for i in range(1, u.shape[0]):
            u[i] = u[i] + c * u[i - 1] * u[i]
    return np.sum(u)


@pytest.mark.parametrize("steps", [-2, 0, 1, 4])
def test_loop_index_counter(steps):
    check_grad(_grad, scalar_loop, (0.4, 1.3, steps))
    if steps > 0:
        assert "_k = _k + 1" not in _grad(scalar_loop, 0).source


@pytest.mark.parametrize("a,b", [(1, 6), (3, 4), (4, 4), (5, 2)])
def test_offset_reverse_loop(a, b):
    x = np.linspace(0.3, 1.4, 6)
    check_grad(_grad, offset_loop, (x, a, b))
    assert "_it" not in _grad(offset_loop, 0).source


@pytest.mark.parametrize("start", [1.0, 1.5, 2.0 ** 0.5 * 1.0000000001, 1e6])
def test_while_counters_in_step(start):
    check_grad(_grad, newton, (2.0, start))
    source = _grad(newton, 0).source
    assert "_n = _n + 1" not in source


@pytest.mark.parametrize("sweeps", [0, 1, 3])
def test_in_place_sweep_without_write_back(sweeps):
    check_grad(_grad, sweep_in_place, (np.linspace(0.1, 0.9, 5), 0.3, sweeps))
    assert "u_final" not in _grad(sweep_in_place, (0, 1)).source

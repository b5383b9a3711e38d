"""``ad.grad`` of a loop whose iterations are independent (only sums carried, outputs not
returned) re-runs each outer iteration in the reverse sweep and reverses it at once
(checkpoint.rerun_independent_iterations): gradients against finite differences and against
``value_and_grad`` (which keeps whole-loop tapes), and the near misses keep whole-loop
tapes."""

import numpy as np
import pytest

import _rerun_functions as F
import ad_compiler as ad
from fdcheck import assert_close, fd_grad

RNG = np.random.default_rng(3)
X = RNG.uniform(-1.0, 1.0, 9)
CASES = {
    # M = 0 and pi: the inner while runs no iteration (the carried sin/cos are not read)
    "kepler": (F.kepler, (0.6, np.r_[RNG.uniform(0.0, 6.0, 7), 0.0, np.pi], 1e-12), (0, 1),
               True),
    "two_sums_inner_for": (F.two_sums_inner_for, (X, 0.7, 4), (0, 1), True),
    "stores_inside": (F.stores_inside, (X, 0.8), (0, 1), False),
    "result_reused": (F.result_reused, (X, 0.8), (0, 1), False),
    "carried_state": (F.carried_state, (X, 0.9), (0, 1), False),
}


def _check(backend, name):
    f, args, wrt, rerun = CASES[name]
    g = ad.grad(f, wrt=wrt, backend=backend)
    grads = g(*args)
    assert ("_seg" in g.source) == rerun, g.source
    _, whole = ad.value_and_grad(f, wrt=wrt, backend=backend)(*args)
    for got, full, i in zip(grads, whole, wrt):
        assert_close(got, fd_grad(f, args, i), f"{name} d/d arg {i}")
        assert_close(got, full, f"{name} against value_and_grad, arg {i}")


@pytest.mark.parametrize("name", CASES)
def test_rerun_iterations_python(name):
    _check("python", name)


@pytest.mark.numba
@pytest.mark.parametrize("name", ["kepler", "two_sums_inner_for"])
def test_rerun_iterations_numba(name):
    _check("numba", name)


@pytest.mark.parametrize("f, loop", [(F.stencil_sweep, "for i in range(1, n - 1):"),
                                     (F.recurrence, "for i in range(n - 1, -1, -1):")])
def test_independent_reverse_loops_run_forwards(f, loop):
    """A reverse loop whose iterations are independent runs over the primal's own range
    (``ReverseTransform._order_free``: the stencil's); one that carries a value runs
    backwards."""
    args = (np.sin(np.linspace(0.0, 3.0, 8)), 0.3)
    g = ad.grad(f, wrt=(0, 1), backend="python")
    grads = g(*args)
    code = [ln.strip() for ln in g.source.splitlines()]
    assert code.count(loop) == (2 if f is F.stencil_sweep else 1), g.source
    for got, i in zip(grads, (0, 1)):
        assert_close(got, fd_grad(f, args, i), f"{f.__name__} d/d arg {i}")

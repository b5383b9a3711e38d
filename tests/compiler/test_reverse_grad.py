"""ad.grad (reverse mode) against central finite differences, every construct of issue 3."""

import numpy as np
import pytest

import ad_compiler as ad

import rev_cases
from fdcheck import assert_close, check_grad, fd_grad
from rev_cases import CASES

IDS = [f"{c.name}-{k}" for k, c in enumerate(CASES)]


def _params(cases, extra=()):
    return [pytest.param(c, marks=[*extra, *([pytest.mark.xfail(strict=True, reason=c.xfail)]
                                             if c.xfail else [])])
            for c in cases]


def _py(f, wrt):
    return ad.grad(f, wrt=wrt, backend="python")


def _nb(f, wrt):
    return ad.grad(f, wrt=wrt, backend="numba")


def test_enough_functions():
    assert len({c.fn for c in CASES}) >= 60


@pytest.mark.parametrize("case", _params(CASES), ids=IDS)
def test_grad_python(case):
    check_grad(_py, case.fn, case.args)


NUMBA_CASES = [c for c in CASES if c.numba]


@pytest.mark.numba
@pytest.mark.parametrize("case", _params(NUMBA_CASES), ids=[c.name for c in NUMBA_CASES])
def test_grad_numba(case):
    check_grad(_nb, case.fn, case.args)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_global_changed_between_calls(backend):
    d = ad.grad(rev_cases.c_global_changed, backend=backend)
    old = rev_cases.GAIN
    try:
        assert_close(d(0.7), 2 * old * 0.7)
        rev_cases.GAIN = 5.0
        assert_close(d(0.7), 2 * 5.0 * 0.7)
    finally:
        rev_cases.GAIN = old
    assert_close(d(0.7), 2 * old * 0.7)


def test_global_array_changed_between_calls():
    d = ad.grad(rev_cases.c_global_array, backend="python")
    old = rev_cases.COEFFS
    try:
        rev_cases.COEFFS = np.array([1.0, 2.0, 3.0])
        assert_close(d(0.5), 2.0 + 6.0 * 0.5)
    finally:
        rev_cases.COEFFS = old


def test_int_args_given_as_int_to_differentiated_position():
    # an int passed where wrt points is refused at the door, as jax.grad refuses it
    with pytest.raises(TypeError, match="needs real"):
        ad.grad(rev_cases.c_assign, backend="python")(2, 3.0)
    assert_close(ad.grad(rev_cases.c_assign, backend="python")(2.0, 3.0), 3.0 + 1.0)


def test_decorator_forms():
    @ad.grad
    def f(x):
        return x * x

    @ad.grad(wrt=(0, 1), backend="python")
    def h(x, y):
        return x * y

    assert_close(f(3.0), 6.0)
    assert h(2.0, 5.0) == pytest.approx((5.0, 2.0))


def test_grad_twice_same_signature_and_new_signature():
    d = ad.grad(rev_cases.c_array_scalar_mix, wrt=(0, 1), backend="python")
    for n in (3, 6):
        x = np.linspace(-1.0, 1.0, n)
        gx, ga = d(x, 0.3)
        assert_close(gx, fd_grad(rev_cases.c_array_scalar_mix, (x, 0.3), 0))
        assert_close(ga, fd_grad(rev_cases.c_array_scalar_mix, (x, 0.3), 1))

"""NumPy functions against central finite differences (float64), both modes.

The python-backend tier runs every third usage of :mod:`usages` (autograd's own test
usages; ``python -m benchmarks.numpy_coverage`` runs them all); the numba tier compiles a
few programs that each combine many functions. Regression tests pin the numbers the issue
found wrong.
"""

import os
import sys

import numpy as np
import pytest

import ad_compiler as ad

sys.path.insert(0, os.path.dirname(__file__))

from harness import check, valid_usages  # noqa: E402
from usages import USAGES  # noqa: E402

_VALID, _MODULE = valid_usages(USAGES[::3])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("usage", _VALID, ids=[u[0] for u in _VALID])
def test_usage(usage, mode):
    expr, fn, args, _ = usage
    status, message = check(fn, args, mode, "python")
    assert status == "ok", f"{expr}: {status} {message}"


def test_agrees_with_autograd():
    autograd = pytest.importorskip("autograd")
    from harness import close, write_module
    sample = _VALID[::4]
    theirs = write_module([(e, [None] * len(a)) for e, _, a, _ in sample], "autograd.numpy",
                          "autograd_sample")
    compared = 0
    for j, (expr, fn, args, _) in enumerate(sample):
        try:
            want = autograd.grad(getattr(theirs, f"u{j}"), 0)(*args)
        except Exception:   # noqa: BLE001 - autograd does not differentiate this usage
            continue
        if expr.startswith(("np.linalg.cholesky", "np.linalg.norm")):
            continue        # autograd symmetrises cholesky's input, and differs on keepdims
        try:
            got = ad.grad(fn, backend="python")(*args)
        except ad.DifferentiationError:
            continue        # refused (the README lists what)
        compared += 1
        assert close(got, want, 1e-7), expr
    assert compared > 50


# --- the numba tier: a few programs, each many functions ------------------------------------
def numba_elementwise(x, y):
    return (np.sum(np.arccosh(x + 2.0) + np.arctanh(x * 0.5) + np.sinc(x) + np.cbrt(x + 3.0))
            + np.sum(np.logaddexp(x, y) + np.logaddexp2(x, y) + np.fmod(x, y + 3.0)
                     + np.fmax(x, y) + np.hypot(x, y) + np.deg2rad(x) * np.rad2deg(y))
            + np.sum(np.reciprocal(x + 3.0) + np.exp2(x) + np.log2(x + 3.0)
                     + np.log10(x + 3.0) + np.nan_to_num(x) * np.floor(y)))


def numba_arrays(a, v):
    w = np.linalg.inv(a @ a.T + 4.0 * np.eye(4))
    return (np.var(a, axis=0, ddof=1).sum() + np.std(a) + np.trace(a, offset=1)
            + np.sum(np.cumsum(a, axis=1) ** 2) + np.sum(np.diff(a, axis=0) ** 2)
            + np.sum(np.sort(v) * v) + np.sum(np.swapaxes(a, 0, 1) * a.T)
            + np.sum(np.flip(a, 0) * a) + np.sum(np.tile(v, 2) ** 2)
            + np.sum(np.roll(a, 1, axis=0) * a) + np.sum(np.tril(a) ** 2)
            + np.sum(np.einsum("ij,j->i", a, v) ** 2) + np.sum(np.kron(v, v) ** 2)
            + np.sum(np.vstack((a, v)) ** 2) + np.sum(np.split(a, 2, axis=1)[0] ** 3)
            + np.linalg.det(a + 4.0 * np.eye(4)) + np.sum(w ** 2)
            + np.linalg.norm(a, ord=1) + np.sum(np.pad(a, 1) ** 2))


@pytest.mark.numba
@pytest.mark.parametrize("program", [numba_elementwise, numba_arrays])
def test_numba_programs(program):
    rng = np.random.default_rng(3)
    args = (rng.uniform(-0.9, 0.9, (4, 4)), rng.uniform(-0.9, 0.9, (4,)))
    if program is numba_elementwise:
        args = (args[0], rng.uniform(-0.9, 0.9, (4, 4)))
    for mode in ("reverse", "forward"):
        status, message = check(program, args, mode, "numba")
        assert status == "ok", f"{mode}: {status} {message}"


# --- regressions: numbers that were wrong, and crashes inside the compiler --------------------
def _fd_check(f, *args, wrt=0):
    status, message = check(f, args, "reverse", "python")
    assert status == "ok", message
    status, message = check(f, args, "forward", "python")
    assert status == "ok", message


def dot3(a, v):
    return np.sum(np.dot(a, v) ** 2) + np.sum(np.dot(a, np.ones((4, 2))) ** 2)


def linspace_ends(lo, hi):
    return np.sum(np.linspace(lo, hi, 5) ** 2)


def mean_of_tuple(x, y):
    return np.mean((x, x + 2.0)) * np.linalg.norm((x, y))


def dot_scalar(s, v):
    return np.sum(np.dot(s, v)) + np.sum(np.dot(v, s) ** 2)


def array_of_scalar_and_arrays(s, v):
    return np.sum(np.array(s) * v) + np.sum(np.array([v, v * s]) ** 2)


def test_regressions_against_finite_differences():
    rng = np.random.default_rng(0)
    _fd_check(dot3, rng.standard_normal((2, 3, 4)), rng.standard_normal(4))
    _fd_check(linspace_ends, 0.3, 1.7)
    _fd_check(mean_of_tuple, 0.3, 1.7)
    _fd_check(dot_scalar, 0.7, rng.standard_normal(3))
    _fd_check(array_of_scalar_and_arrays, 0.7, rng.standard_normal(3))


def power_at_zero(x, y):
    return np.power(x, 0.0) + np.power(0.0, y) + x ** 0.0


def test_power_at_zero_is_zero_as_jax():
    for backend in ("python",):
        assert ad.grad(power_at_zero, wrt=0, backend=backend)(0.0, 2.0) == 0.0
        assert ad.grad(power_at_zero, wrt=1, backend=backend)(0.0, 2.0) == 0.0


def sum_of_squares(x):
    return np.sum(x * x)


def test_float32_in_float32_out():
    x = np.arange(3, dtype=np.float32)
    g = ad.grad(sum_of_squares, backend="python")(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x)


def test_complex_values_are_refused():
    with pytest.raises(ad.DifferentiationError, match="complex values are not supported"):
        ad.grad(sum_of_squares, backend="python")(np.ones(3) + 1j)

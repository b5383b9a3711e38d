"""Issue 11: arrays are memory. Every minimal program of the issue, on both CPU backends, in
reverse mode (gradient, value) and forward mode (jvp): derivatives against central differences,
values against calling the function, and the caller's arrays afterwards against what calling
the function leaves in them."""
import numpy as np
import pytest

import ad_compiler as ad

from fdcheck import assert_close, fd_grad, float_positions
import _memory_programs as M


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _check_program(f, args, backend):
    expected_args = _copies(args)
    expected = f(*expected_args)
    for i in float_positions(args):
        fd = fd_grad(f, _copies(args), i)
        call_args = _copies(args)
        value, g = ad.value_and_grad(f, wrt=i, backend=backend)(*call_args)
        d = ad.grad(f, wrt=i, backend=backend)
        ctx = f"{f.__name__} wrt={i}\n{d.source}"
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), ctx
        assert_close(g, fd, ctx)
        for got, want in zip(call_args, expected_args):
            if isinstance(want, np.ndarray):
                np.testing.assert_allclose(got, want, rtol=1e-13, err_msg=ctx)
        tangent = np.linspace(0.3, 1.1, np.size(args[i])).reshape(np.shape(args[i]))
        tangents = tuple(tangent if k == i else (np.zeros_like(a) if isinstance(a, np.ndarray)
                                                  and a.dtype == np.float64 else
                                                  0.0 if isinstance(a, float) else None)
                         for k, a in enumerate(args))
        out, t_out = ad.jvp(f, _copies(args), tangents, backend=backend)
        assert out == pytest.approx(expected, rel=1e-12, abs=1e-12), f"jvp {ctx}"
        assert t_out == pytest.approx(float(np.sum(fd * tangent)), rel=1e-6, abs=1e-6), \
            f"jvp {f.__name__} wrt={i}"


@pytest.mark.parametrize("f,args", M.PROGRAMS, ids=[p[0].__name__ for p in M.PROGRAMS])
def test_issue_program_python(f, args):
    _check_program(f, args, "python")


@pytest.mark.numba
@pytest.mark.parametrize("f,args", M.PROGRAMS, ids=[p[0].__name__ for p in M.PROGRAMS])
def test_issue_program_numba(f, args):
    _check_program(f, args, "numba")


@pytest.mark.parametrize("f,args", M.IDIOMS, ids=[p[0].__name__ for p in M.IDIOMS])
def test_idiom_python(f, args):
    _check_program(f, args, "python")


@pytest.mark.numba
@pytest.mark.parametrize("f,args", M.IDIOMS_NUMBA, ids=[p[0].__name__ for p in M.IDIOMS_NUMBA])
def test_idiom_numba(f, args):
    _check_program(f, args, "numba")


def _flip_written(x):
    a = x * 1.0
    f = np.flip(a)         # a view of a in NumPy (getitem of a basic index)
    f[0] = f[1] * 2.0
    return np.sum(a ** 2)


def _split_written(x):
    a = x * 1.0
    p, q = np.split(a, 2)  # views of a in NumPy, copies under Numba's object mode
    p[0] = q[1] * 3.0
    return np.sum(a ** 2)


def _reshape_of_argument_written(m):
    r = m.reshape(-1)      # a copy when the caller's m is not contiguous
    r[0] = 2.0
    return np.sum(m ** 2)


def _ravel_of_argument_written(m):
    r = m.ravel()
    r[0] = 2.0
    return np.sum(m ** 2)


@pytest.mark.parametrize("f,match", [
    (_flip_written, "'f' .written here. and 'a' may refer"),
    (_split_written, "a store through a part of np.split of 'a'"),
    (_reshape_of_argument_written, "a store through a reshape of 'm'"),
    (_ravel_of_argument_written, "a store through a reshape of 'm'")],
    ids=lambda v: getattr(v, "__name__", "")[1:] or None)
def test_writes_through_views_numpy_functions_return_are_refused(f, match):
    """Views the memory model did not know of (np.flip, np.rot90 and other basic getitems,
    np.split's parts) were fresh arrays to it, so a write through one missed its base; a
    store through a reshape of an argument was taken for a view, which NumPy gives only for
    contiguous memory. Each gave a wrong gradient; each is refused now."""
    arg = np.array([0.3, -0.7, 1.1, 0.5]) if f in (_flip_written, _split_written) else \
        np.asfortranarray(np.array([[0.3, -0.7], [1.1, 0.5]]))
    with pytest.raises(ad.DifferentiationError, match=match):
        ad.grad(f, backend="python")(arg)

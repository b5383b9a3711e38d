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

"""value_and_grad, vjp with random cotangents, and the .source / .ir of derivatives."""

import ast
import re

import numpy as np
import pytest

import ad_compiler as ad

import rev_api_funcs as F
import rev_cases as C
from fdcheck import assert_close, fd_grad

RNG = np.random.default_rng(0)


def _fd_vjp(f, args, i, cot):
    """<cot, d f / d args[i]> by central differences of the scalar <cot, f>."""
    def dot(*a):
        out = f(*a)
        if isinstance(out, tuple):
            return sum(float(np.sum(np.asarray(c) * np.asarray(o))) for c, o in zip(cot, out))
        return float(np.sum(np.asarray(cot) * np.asarray(out)))
    dot.__name__ = f.__name__
    return fd_grad(dot, args, i)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_value_and_grad(backend):
    args = (C.V5,)
    value, g = ad.value_and_grad(C.c_rosenbrock, backend=backend)(*args)
    assert value == pytest.approx(C.c_rosenbrock(*args), rel=1e-14)
    assert_close(g, fd_grad(C.c_rosenbrock, args, 0))


def test_value_and_grad_tuple_wrt():
    args = (0.7, 1.3)
    value, (gx, gy) = ad.value_and_grad(C.c_math_funcs2, wrt=(0, 1), backend="python")(*args)
    assert value == pytest.approx(C.c_math_funcs2(*args), rel=1e-14)
    assert_close(gx, fd_grad(C.c_math_funcs2, args, 0))
    assert_close(gy, fd_grad(C.c_math_funcs2, args, 1))


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_vjp_array_output(backend):
    x = np.array([0.3, -0.7, 1.1, 0.45])
    args = (x, 1.7)
    out, pullback = ad.vjp(F.v_square_array, *args, backend=backend)
    np.testing.assert_allclose(out, F.v_square_array(*args), rtol=1e-14)
    for _ in range(3):
        cot = RNG.standard_normal(4)
        gx, ga = pullback(cot)
        assert_close(gx, _fd_vjp(F.v_square_array, args, 0, cot))
        assert_close(ga, _fd_vjp(F.v_square_array, args, 1, cot))
        assert isinstance(ga, float)


def test_vjp_prefix_sum_overwrites():
    x = np.array([0.3, -0.7, 1.1, 0.45, 2.0])
    out, pullback = ad.vjp(F.v_prefix_sum, x, backend="python")
    for _ in range(3):
        cot = RNG.standard_normal(5)
        (gx,) = pullback(cot)
        assert_close(gx, _fd_vjp(F.v_prefix_sum, (x,), 0, cot))
    np.testing.assert_allclose(out, F.v_prefix_sum(x), rtol=1e-14)


def test_vjp_tuple_output():
    args = (0.8, -0.4)
    out, pullback = ad.vjp(F.v_tuple_out, *args, backend="python")
    assert out == pytest.approx(F.v_tuple_out(*args), rel=1e-14)
    for _ in range(3):
        cot = tuple(RNG.standard_normal(2))
        g = pullback(cot)
        for i in range(2):
            assert_close(g[i], _fd_vjp(F.v_tuple_out, args, i, cot))


def test_vjp_scalar_output_matches_grad():
    args = (0.8, -0.4)
    out, pullback = ad.vjp(F.v_scalar, *args, backend="python")
    g = ad.grad(F.v_scalar, wrt=(0, 1), backend="python")(*args)
    gv = pullback(2.5)
    for a, b in zip(gv, g):
        assert a == pytest.approx(2.5 * b, rel=1e-12)


def _writes_into_argument(x, a):
    x *= 1.5
    x[1:] += x[:-1] * a
    return np.sin(x) * a


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_vjp_of_a_function_writing_into_its_argument(backend):
    """Each pullback ran the adjoint on the caller's array as the primal (then the pullback
    before) left it: wrong cotangents, different at every call. They run on copies of the
    arguments as they were at the call now; the caller's array holds what f leaves."""
    x = np.array([0.3, -0.7, 1.1, 0.45])
    args = (x, 1.7)
    arg = x.copy()
    out, pullback = ad.vjp(_writes_into_argument, arg, 1.7, backend=backend)
    after = x.copy()
    np.testing.assert_allclose(out, _writes_into_argument(after, 1.7), rtol=1e-14)
    for _ in range(3):
        cot = RNG.standard_normal(4)
        gx, ga = pullback(cot)
        assert_close(gx, _fd_vjp(_writes_into_argument, args, 0, cot))
        assert_close(ga, _fd_vjp(_writes_into_argument, args, 1, cot))
    np.testing.assert_allclose(arg, after, rtol=1e-15)


# ---------------------------------------------------------------------------- .source / .ir
SOURCE_FUNCS = [C.c_pendulum, C.c_array_overwrite, C.c_break, C.c_closure, C.c_if_elif_else,
                C.c_triangular, C.c_while_data]


@pytest.mark.parametrize("fn", SOURCE_FUNCS, ids=lambda f: f.__name__)
def test_source_readable_and_deterministic(fn):
    a = ad.grad(fn, backend="python")
    b = ad.grad(fn, backend="python")
    assert a.source == b.source                     # deterministic across builds
    assert a.ir == b.ir
    ast.parse(a.source)                             # valid Python
    lines, start = __import__("inspect").getsourcelines(fn)
    comments = re.findall(r"# line (\d+): (.*)$", a.source, re.M)
    assert comments, a.source
    for number, text in comments:                   # each comment quotes the user's line
        k = int(number) - start
        assert 0 <= k < len(lines), (number, a.source)
        assert lines[k].strip() == text.strip()
    assert f"def {fn.__name__}_vjp(" in a.source or fn.__name__ in a.source
    assert "b_" in a.source                         # adjoint names
    assert fn.__name__ in a.ir and "return" in a.ir


def test_source_available_before_call_and_grad_of_generated_source_runs():
    d = ad.grad(C.c_for3, backend="python")
    src = d.source                                  # no call yet
    ns = {}
    exec(compile(src, "<gen>", "exec"), ns)
    vjp = ns[f"{C.c_for3.__name__}_vjp"]
    out = vjp(0.7, 1.0)     # grad's adjoint returns the gradients only (a scalar output)
    assert len(out) == 1
    assert_close(out[0], fd_grad(C.c_for3, (0.7,), 0))
    value = ad.value_and_grad(C.c_for3, backend="python")
    ns = {}
    exec(compile(value.source, "<gen>", "exec"), ns)
    out = ns[f"{C.c_for3.__name__}_vjp"](0.7, 1.0)
    assert out[0] == pytest.approx(C.c_for3(0.7), rel=1e-14)
    assert_close(out[1], fd_grad(C.c_for3, (0.7,), 0))


def test_show_prints_source(capsys):
    ad.show(C.c_for2)
    printed = capsys.readouterr().out
    assert "def c_for2_vjp(" in printed and "# line" in printed

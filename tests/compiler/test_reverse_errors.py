"""Unsupported constructs raise ad.DifferentiationError naming the construct, the function
and file:line; numba typing failures raise ad.CompilationError pointing at the user's line."""

import inspect
import os
import traceback

import numpy as np
import pytest

import ad_compiler as ad

import rev_error_funcs as E

FILE = os.path.basename(E.__file__)


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if text in line:
            return start + k
    raise AssertionError(text)


# (function, construct words (any must appear), the text of the offending line)
BUILD_ERRORS = [
    (E.e_try, ["try"], "try:"),
    (E.e_with, ["with"], "with open"),
    (E.e_yield, ["yield", "generator"], "yield"),
    (E.e_lambda, ["lambda"], "lambda t"),
    (E.e_setcomp, ["set comprehension"], "for i in range"),
    (E.e_dictcomp, ["dict comprehension"], "for i in range"),
    (E.e_global_write, ["global"], "global COUNTER"),
    (E.e_nonlocal_write, ["nonlocal"], "nonlocal y"),
    (E.e_recursion, ["recursi"], "e_recursion(x * 0.5)"),
    (E.e_unknown_call, ["os.path.getsize", "getsize"], "os.path.getsize"),
    (E.e_unknown_builtin, ["divmod"], "divmod("),
    (E.e_unknown_stdlib_py, ["statistics.fmean"], "statistics.fmean"),
    (E.e_no_source, ["NOSRC", "source"], "NOSRC(x)"),
]


def _check_message(exc, fn, words, line_text):
    msg = str(exc)
    assert any(w in msg for w in words), msg
    assert fn.__name__ in msg or (fn is E.e_nonlocal_write and "'inner'" in msg), msg
    assert f"{FILE}:" in msg, msg
    assert f"{FILE}:{_line_of(fn, line_text)}" in msg, msg


@pytest.mark.parametrize("fn,words,line_text", BUILD_ERRORS, ids=lambda v: getattr(v, "__name__", None))
def test_unsupported_construct(fn, words, line_text):
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(fn, backend="python")(1.5)
    _check_message(info.value, fn, words, line_text)
    # no traceback from inside the compiler is shown: the chain is cut
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ or info.value.__context__ is None
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].filename.endswith(("api.py", "ssa.py", "normalize.py", "parse.py",
                                         "errors.py", "reverse.py", "activity.py",
                                         FILE)), frames[-1]


@pytest.mark.parametrize("fn,what", [(E.e_array_output, "array"), (E.e_tuple_output, "tuple")])
def test_grad_of_non_scalar_output_names_vjp_and_jacobian(fn, what):
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(fn, backend="python")(1.5)
    msg = str(info.value)
    assert "vjp" in msg and "jacobian" in msg, msg
    assert what in msg and fn.__name__ in msg and f"{FILE}:" in msg, msg


def test_error_raised_at_decoration_not_later():
    with pytest.raises(ad.DifferentiationError):
        ad.grad(E.e_try)            # before any call (source is built eagerly)


def test_wrt_out_of_range():
    with pytest.raises(ad.DifferentiationError) as info:
        ad.grad(E.e_array_output, wrt=3, backend="python")
    assert "wrt" in str(info.value)


def test_is_exception_subclass():
    assert issubclass(ad.CompilationError, ad.DifferentiationError)
    assert issubclass(ad.DifferentiationError, Exception)


@pytest.mark.numba
def test_numba_typing_failure_names_user_line_and_suggests_python():
    d = ad.grad(E.n_untypable, backend="numba")
    with pytest.raises(ad.CompilationError) as info:
        d(1.5, True)
    msg = str(info.value)
    assert 'backend="python"' in msg or "backend='python'" in msg, msg
    assert "n_untypable" in msg and f"{FILE}:" in msg, msg
    lines = {_line_of(E.n_untypable, t) for t in ("y = x * 2.0", "y = np.zeros(3)",
                                                  "return y * x", "if flag")}
    assert any(f"{FILE}:{n}" in msg for n in lines), msg
    # the python backend runs it
    g = ad.grad(E.n_untypable, backend="python")(1.5, True)
    assert g == pytest.approx(2 * 2.0 * 1.5)

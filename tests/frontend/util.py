import numpy as np

from ad_compiler.backends.emit import emit_module
from ad_compiler.backends.python import load_module
from ad_compiler.frontend import build_ir, free_var_values


def compile_py(f):
    ir = build_ir(f)
    src = emit_module([ir])
    mod = load_module(src, "t_" + ir.name)
    return ir, src, getattr(mod, ir.name)


def same(a, b):
    if isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    # generated code calls NumPy's ufuncs for math.* (np.tanh may differ from math.tanh by
    # an ulp): a result that cancels to near zero keeps that ulp as an absolute difference
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14, equal_nan=True)


def roundtrip(f, *calls):
    ir, src, g = compile_py(f)
    for args in calls:
        copies_f = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        copies_g = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        expected = f(*copies_f)
        got = g(*copies_g, *free_var_values(ir))
        try:
            same(got, expected)
            for x, y in zip(copies_g, copies_f):
                same(x, y)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nargs={args}\n{src}\n{ir}") from None
    return ir, src

"""Error messages for unsupported constructs, golden emitted source, kinds, determinism."""

import ast
import math
import inspect
import os

import numpy as np
import pytest

import ad_compiler as ad

from ad_compiler.backends.emit import const_ast, emit_function
from ad_compiler.errors import DifferentiationError
from ad_compiler.frontend import build_ir
from ad_compiler.frontend.ir import Const, For, If, Load, Prim, walk

from util import compile_py

FILE = os.path.basename(__file__)


def e_try(x):
    try:
        y = x
    except ValueError:
        y = 0.0
    return y


def e_with(x):
    with open("f") as fh:
        y = x
    return y


def e_global(x):
    global G
    G = x
    return x


def e_lambda(x):
    return sum([(lambda t: t * v)(x) for v in (1.0, 2.0)])


def e_comprehension(x):
    return sum({v for v in x})


def e_recursion(x):
    if x < 1:
        return x
    return e_recursion(x - 1.0)


def e_varargs(*xs):
    return xs[0]


def e_kwargs(x, **kw):
    return x


def e_unknown_call(x):
    return math.ldexp(x, 2) + x


def e_opaque_statement(x):
    m = x.copy()
    np.fill_diagonal(m, 1.0)        # may write into m: the compiler cannot follow it
    return np.sum(m)


def e_attr_write(x):
    x.value = 1.0
    return x


def e_del(x):
    y = x
    del y
    return x


def e_string(x):
    s = f"{x}"
    return x


def e_no_return(x):
    y = x * 2


def e_yield(x):
    yield x


def e_nonlocal(x):
    def inner():
        nonlocal x
        x = 2.0
        return x
    return inner()


def e_import_in_loop(x):
    for _ in range(2):
        import math
    return math.sin(x)


def e_raise(x):
    if x < 0:
        raise ValueError("negative")
    return x


ERRORS = [(e_try, "try/except"), (e_with, "with"), (e_global, "global"),
          (e_lambda, "lambda"), (e_comprehension, "set comprehension"), (e_recursion, "recursion"),
          (e_varargs, "*args"), (e_kwargs, "**kwargs"),
          (e_opaque_statement, "called as a statement"), (e_attr_write, "attribute assignment"),
          (e_del, "del"), (e_string, "f-string"), (e_no_return, "return"),
          (e_yield, "yield"), (e_nonlocal, "nonlocal"), (e_raise, "raise"),
          (e_import_in_loop, "import")]


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if text in line:
            return start + k
    return None


@pytest.mark.parametrize("fn,construct", ERRORS, ids=lambda v: getattr(v, "__name__", v))
def test_unsupported(fn, construct):
    with pytest.raises(DifferentiationError) as info:
        build_ir(fn)
    msg = str(info.value)
    assert construct in msg
    assert fn.__name__ in msg or "inner" in msg
    assert f"{FILE}:" in msg
    assert info.value.line is not None


def test_error_line_is_absolute():
    with pytest.raises(DifferentiationError) as info:
        build_ir(e_try)
    assert info.value.line == _line_of(e_try, "try:")
    with pytest.raises(DifferentiationError) as info:   # refused when its argument is active
        ad.grad(e_unknown_call, backend="python")(1.5)
    assert f"{FILE}:{_line_of(e_unknown_call, 'math.ldexp')}" in str(info.value)


def golden_dot(x, w, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * w
    return s


def golden_branch(x):
    if x > 0.0:
        y = np.sin(x) * 2.0
    else:
        y = -x
    return y * y


def golden_while(x):
    k = 0
    while x > 1.0:
        x = x / 2.0
        k += 1
    return x + k


def _body(src):
    return [line for line in src.splitlines() if line.strip()]


def test_golden_dot():
    ir, src, _ = compile_py(golden_dot)
    text = emit_function(ir)
    l0 = _line_of(golden_dot, "s = 0.0")
    assert _body(text) == [
        "def golden_dot(x, w, n):",
        f"    # line {l0 + 1}: for i in range(n):",
        "    s = 0.0",
        "    for i in range(n):",
        f"        # line {l0 + 2}: s = s + x[i] * w",
        "        s = s + x[i] * w",
        f"    # line {l0 + 3}: return s",
        "    return s",
    ]


def test_golden_branch():
    ir, src, _ = compile_py(golden_branch)
    l0 = _line_of(golden_branch, "if x > 0.0")
    assert _body(emit_function(ir)) == [
        "def golden_branch(x):",
        f"    # line {l0}: if x > 0.0:",
        "    if x > 0.0:",
        f"        # line {l0 + 1}: y = np.sin(x) * 2.0",
        "        y = np.sin(x) * 2.0",
        "    else:",
        f"        # line {l0 + 3}: y = -x",
        "        y = -x",
        f"    # line {l0 + 4}: return y * y",
        "    return y * y",
    ]


def test_golden_while():
    ir, src, _ = compile_py(golden_while)
    l0 = _line_of(golden_while, "k = 0")
    assert _body(emit_function(ir)) == [
        "def golden_while(x):",
        f"    # line {l0 + 1}: while x > 1.0:",
        "    k = 0",
        "    while x > 1.0:",
        f"        # line {l0 + 2}: x = x / 2.0",
        "        x = x / 2.0",
        f"        # line {l0 + 3}: k += 1",
        "        k = k + 1",
        f"    # line {l0 + 4}: return x + k",
        "    return x + k",
    ]


def test_determinism():
    for f in (golden_dot, golden_branch, golden_while, e_no_return.__class__ and golden_dot):
        assert emit_function(build_ir(f)) == emit_function(build_ir(f))


def neg_consts(x):
    return (-2.0) ** 2 + x * -3 - (-x) ** 2 + 2 ** -1.5 + -0.0


def test_negative_constants_reparse():
    ir, src, g = compile_py(neg_consts)
    assert g(1.5) == neg_consts(1.5)
    text = emit_function(ir)
    line = [ln for ln in text.splitlines() if "return" in ln][0]
    expr = line.split("return", 1)[1].split("#", 1)[0].strip()
    assert ast.dump(ast.parse(expr, mode="eval")) == ast.dump(
        ast.parse("(-2.0) ** 2 + x * -3 - (-x) ** 2 + 2 ** (-1.5) + -0.0", mode="eval"))
    for value in (-2.0, -3, -0.0, float("-inf")):
        node = const_ast(value)
        assert not (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                    and (node.value < 0 or str(node.value).startswith("-")))


def kinds_fn(x, w, n):
    s = 0.0
    for i in range(n):
        if x[i] > w:
            s = s + x[i]
    return s


def test_kinds():
    ir = build_ir(kinds_fn)
    x, w, n = ir.params
    assert (x.kind, w.kind, n.kind) == ("array", "any", "any")
    loop = next(op for op in walk(ir.body) if isinstance(op, For))
    assert loop.body.args[0].kind == "int"
    cmp = next(op for op in walk(ir.body) if isinstance(op, Prim) and op.name == "gt")
    assert cmp.results[0].kind == "bool"
    load = next(op for op in walk(ir.body) if isinstance(op, Load))
    assert load.results[0].kind == "float"
    assert loop.results[0].kind == "float"
    assert any(isinstance(op, If) for op in walk(loop.body))


def int_kinds(x):
    n = len(x)
    m = n // 2 + 1
    return x[m] / n


def test_int_kinds():
    ir = build_ir(int_kinds)
    kinds = {op.results[0].name: op.results[0].kind for op in walk(ir.body) if op.results}
    assert kinds["n"] == "int" and kinds["m"] == "int"


def test_free_vars():
    from test_roundtrip import f_array_global
    ir = build_ir(f_array_global)
    assert ir.free_var_sources == ["OFFSETS", "PAIR"]
    assert [v.kind for v in ir.free_vars] == ["array", "array"]
    consts = [v for op in walk(ir.body) for v in op.operands if isinstance(v, Const)]
    assert consts


def test_cache_file(tmp_path, monkeypatch):
    from ad_compiler.backends.python import load_module
    monkeypatch.setenv("AD_COMPILER_CACHE_DIR", str(tmp_path))
    mod = load_module("def f(x):\n    return x + 1\n", "demo")
    assert mod.f(1) == 2
    # (plus the private __pycache__ made before Numba could make it with default modes)
    files = [p.name for p in tmp_path.iterdir() if p.name != "__pycache__"]
    assert len(files) == 1 and files[0].startswith("demo_") and files[0].endswith(".py")
    assert mod.__file__ == str(tmp_path / files[0])


def test_imperative_flavour():
    """Transforms' imperative IR: one Value assigned by several ops, loops carrying nothing."""
    from ad_compiler.backends.emit import emit_module
    from ad_compiler.backends.python import load_module
    from ad_compiler.frontend.ir import Assign, Function, Region, Value
    x, n, b = Value("x", "array"), Value("n", "int"), Value("b_x")
    i, t, u = Value("i", "int"), Value("_t1"), Value("_t2")
    body = Region(args=[i], ops=[Load([t], [x, i]), Prim([u], [b, t], name="add"),
                                 Assign([b], [u])])
    fn = Function("imp", [x, n], Region(ops=[Assign([b], [Const(0.0)]),
                                             For([], [Const(0), n, Const(1)], body=body)],
                                        yields=[b]))
    src = emit_module([fn])
    assert "        b_x = b_x + x[i]" in src
    assert load_module(src, "imp").imp(np.arange(4.0), 4) == 6.0

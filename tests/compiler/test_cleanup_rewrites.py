"""Clean-up rewrites on hand-built imperative IR, where each one fires and where it must
not: every case runs before and after the rewrite on the same inputs and must give the
same numbers (transforms/updates.py: a copy the next update overwrites; transforms/guards.py:
values set for a loop that does not run). Then a Kepler-like gradient whose Newton loop runs
no iteration for some elements, checked against finite differences."""
import math
import re

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.backends.emit import emit_module
from ad_compiler.backends.python import load_module
from ad_compiler.frontend.ir import Assign, Const, For, Function, If, Prim, Region, Value, \
    copy_ir
from ad_compiler.transforms.guards import drop_values_for_skipped_loops
from ad_compiler.transforms.updates import forward_updated_copies
from fdcheck import check_grad
from rev_cases import c_nested_if as nested_tests

_modules = iter(range(10 ** 6))


def _v(name, kind="float"):
    return Value(name, kind)


def _prim(result, name, *operands):
    return Prim([result], list(operands), name=name)


def _run(fn, args):
    module = load_module(emit_module([fn]), f"adc_rewrites_{fn.name}_{next(_modules)}")
    return getattr(module, fn.name)(*args)


def _check(fn, rewrite, inputs, fires):
    """Apply ``rewrite`` to a copy of ``fn``: whether it changed anything is ``fires``, and
    both compute the same on every input."""
    rewritten = copy_ir(fn)
    assert rewrite(rewritten) is fires
    for args in inputs:
        assert _run(rewritten, args) == _run(fn, args), args
    return rewritten


# --- a copy that the next update overwrites -----------------------------------------------
def _copy_then_update(between):
    """``y = a; <between>; y = y + b; return (y * 2.0, a, z)``."""
    a, b, y, z = _v("a"), _v("b"), _v("y"), _v("z")
    ops = [Assign([z], [Const(1.0)]), Assign([y], [a]), *between(a, b, y, z),
           _prim(y, "add", y, b)]
    out = _v("out")
    ops.append(_prim(out, "mul", y, Const(2.0)))
    return Function("copy_then_update", [a, b], Region(ops=ops, yields=[out, a, z]),
                    returns_tuple=True)


def _copies(fn):
    return [op for op in fn.body.ops if isinstance(op, Assign) and op.results[0].name == "y"]


def test_copy_read_through_by_its_update():
    fn = _check(_copy_then_update(lambda a, b, y, z: [_prim(z, "mul", y, y)]),
                forward_updated_copies, [(0.3, 1.5), (-2.0, 0.25)], True)
    assert not _copies(fn)      # y = a * a ... y = a + b


def test_copy_kept_when_its_source_changes_first():
    fn = _check(_copy_then_update(lambda a, b, y, z: [_prim(a, "mul", a, Const(3.0))]),
                forward_updated_copies, [(0.3, 1.5), (-2.0, 0.25)], False)
    assert len(_copies(fn)) == 1


def test_copy_kept_when_a_nested_block_reads_it():
    def between(a, b, y, z):
        test = _v("test", "bool")
        return [_prim(test, "gt", a, Const(0.0)),
                If([], [test], then=Region(ops=[_prim(z, "mul", y, Const(4.0))]),
                   orelse=Region(ops=[Assign([z], [b])]))]

    fn = _check(_copy_then_update(between), forward_updated_copies,
                [(0.3, 1.5), (-2.0, 0.25)], True)    # the update reads a, the copy stays
    assert len(_copies(fn)) == 1


# --- values set for a loop that will not run ----------------------------------------------
def _guarded(test="gt", after_loop=False, then_assigns=True, outer=False):
    """``for j in range(m)`` (or once): ``n = j + k``; ``if <n > 0>: s = sin(x) else:
    s = 0.0``; ``for i in range(n - 1, -1, -1): acc += s; s = s * 0.5``; then ``acc +=
    s`` when ``after_loop``. ``test``: gt (n > 0), le (n <= 0, branches swapped) or ge
    (n >= 1)."""
    x, k, m = _v("x"), _v("k", "int"), _v("m", "int")
    n, c, last, i, j = _v("n", "int"), _v("c", "bool"), _v("last", "int"), \
        _v("i", "int"), _v("j", "int")
    s, acc, w = _v("s"), _v("acc"), _v("w")
    taken = [_prim(s, "sin", x)] if then_assigns else [_prim(w, "sin", x)]
    skipped = [Assign([s], [Const(0.0)])]
    if test == "le":
        compare, then, orelse = _prim(c, "le", n, Const(0)), skipped, taken
    else:
        compare = _prim(c, test, n, Const(0 if test == "gt" else 1))
        then, orelse = taken, skipped
    loop = For([], [last, Const(-1), Const(-1)], body=Region(args=[i], ops=[
        _prim(acc, "add", acc, s), _prim(s, "mul", s, Const(0.5))]))
    block = [_prim(n, "add", j, k) if outer else Assign([n], [k]), compare,
             If([], [c], then=Region(ops=then), orelse=Region(ops=orelse)),
             _prim(last, "sub", n, Const(1)), loop]
    if after_loop:
        block.append(_prim(acc, "add", acc, s))
    ops = [Assign([acc], [Const(0.0)]), Assign([s], [x])]
    ops += [For([], [Const(0), m, Const(1)], body=Region(args=[j], ops=block))] if outer \
        else block
    return Function("guarded", [x, k, m], Region(ops=ops, yields=[acc]))


_COUNTS = [(0.7, k, 4) for k in (-2, -1, 0, 1, 3)]


@pytest.mark.parametrize("test", ["gt", "le", "ge"])
@pytest.mark.parametrize("outer", [False, True])
def test_values_for_a_loop_that_does_not_run_go(test, outer):
    fn = _check(_guarded(test, outer=outer), drop_values_for_skipped_loops, _COUNTS, True)
    branch = next(op for region in [fn.body] + [op.body for op in fn.body.ops
                                                  if isinstance(op, For)]
                  for op in region.ops if isinstance(op, If))
    assert not (branch.then.ops if test == "le" else branch.orelse.ops)


@pytest.mark.parametrize("case", [dict(after_loop=True), dict(then_assigns=False)],
                         ids=["read-after-the-loop", "not-set-where-the-loop-runs"])
def test_values_a_later_read_needs_stay(case):
    _check(_guarded(outer=True, **case), drop_values_for_skipped_loops, _COUNTS, False)


# --- end to end ---------------------------------------------------------------------------
def kepler_like(e, M):
    total = 0.0
    for i in range(M.shape[0]):
        E = M[i]
        f = E - e * math.sin(E) - M[i]
        while abs(f) > 1e-12:
            E = E - f / (1.0 - e * math.cos(E))
            f = E - e * math.sin(E) - M[i]
        total = total + math.cos(E) * M[i]
    return total


_ANOMALIES = np.array([0.0, 1.3, math.pi, 4.0, 0.0])   # 0 and pi: no Newton step


def test_newton_loops_of_no_iteration_gradient():
    check_grad(lambda f, wrt: ad.grad(f, wrt=wrt, backend="python"), kepler_like,
               (0.6, _ANOMALIES.copy()))
    source = ad.grad(kepler_like, wrt=(0, 1), backend="python").source
    assert not re.search(r"_(sin|cos)_\w+ = 0\.0", source), source


@pytest.mark.numba
def test_newton_loops_of_no_iteration_numba():
    """Numba compiles a variable left unset on the path that never reads it."""
    python = ad.grad(kepler_like, wrt=(0, 1), backend="python")(0.6, _ANOMALIES.copy())
    numba = ad.grad(kepler_like, wrt=(0, 1), backend="numba")(0.6, _ANOMALIES.copy())
    for p, q in zip(python, numba):
        np.testing.assert_allclose(q, p, rtol=1e-14, atol=1e-15)


# --- printing: a branch whose block prints nothing ----------------------------------------
def early_return(x, n):
    s = x
    for i in range(n):
        s = s + 0.1 * s * i
        if s > 10.0:
            return s * 2.0
    return s


@pytest.mark.parametrize("x, y", [(0.7, 0.4), (0.7, -0.4), (-0.7, 0.4), (-0.7, -1.4)])
def test_branch_of_tests_only_is_not_printed(x, y):
    """The forward ``if`` computes only the nested tests, which print at each use."""
    check_grad(lambda f, wrt: ad.grad(f, wrt=wrt, backend="python"), nested_tests, (x, y))
    source = ad.grad(nested_tests, wrt=(0, 1), backend="python").source
    code = [ln.strip() for ln in source.splitlines() if not ln.strip().startswith("#")]
    assert "pass" not in code and code.count("if x > 0.0:") == 1, source


@pytest.mark.parametrize("x", [0.5, 3.0, 20.0])
def test_empty_then_block_prints_else_under_not(x):
    check_grad(lambda f, wrt: ad.grad(f, wrt=wrt, backend="python"), early_return, (x, 6))
    d = ad.grad(early_return, wrt=0, backend="python")
    source = d.source_of(d.prepare((x, 6)))
    code = [ln.strip() for ln in source.splitlines()]
    assert "pass" not in code and any(ln.startswith("if not ") for ln in code), source


# --- first writes into fresh zeros --------------------------------------------------------
def pairs(x):
    s = 0.0
    for i in range(x.shape[0] // 3):
        a = x[3 * i + 2] - x[3 * i] * x[3 * i]
        s = s + a * a
    return s


def neighbours(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + x[i] * x[i + 1]
    return s


def wrapping(x):
    s = 0.0
    for i in range(-1, x.shape[0] - 1):
        s = s + x[i] * x[i] * (i + 2.0)
    return s


def _stores(f, x):
    d = ad.grad(f, backend="python")
    source = d.source_of(d.prepare((x,)))
    return re.findall(r"b_x\[[^\]]*\] \+?=", source), source


@pytest.mark.parametrize("n", [0, 1, 6, 7])
def test_first_writes_into_zeros_assign(n):
    """Elements 3i and 3i + 2 of distinct i are distinct: each store meets the zero (n = 7
    leaves elements the loop never writes, which stay zero)."""
    x = np.linspace(-0.7, 1.1, n)
    check_grad(lambda f, wrt: ad.grad(f, wrt=wrt, backend="python"), pairs, (x,))
    stores, source = _stores(pairs, x)
    assert stores and all(s.endswith("] =") for s in stores), source


@pytest.mark.parametrize("f", [neighbours, wrapping])
def test_writes_that_may_meet_each_other_accumulate(f):
    """x[i + 1] of one iteration is x[i] of the next; x[-1] is the last element."""
    x = np.linspace(-0.7, 1.1, 5)
    check_grad(lambda f, wrt: ad.grad(f, wrt=wrt, backend="python"), f, (x,))
    stores, source = _stores(f, x)
    assert any(s.endswith("+=") for s in stores), source

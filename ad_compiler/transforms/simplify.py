"""Common-subexpression and dead-code elimination on SSA IR.

Run on the user's function before differentiation: the same ``x[2 * i]`` written three times
in the source then becomes one load, so the adjoint accumulates into one scalar and stores
into ``b_x[2 * i]`` once, and the index is computed once in each sweep.

Primitives are pure, so two with the same name, operands and attributes compute the same
value; the later one is replaced wherever it is visible (later in its region or in regions
nested there). A load is reused until a store to the same array could intervene: inside a
loop, loads of arrays the loop writes are never reused across iterations.
"""

from __future__ import annotations

from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Value, While, walk)
from ..rules import PRIMITIVES

# fresh arrays (the records' effect "alloc"): each allocation is its own memory
_IMPURE = frozenset(name for name, prim in PRIMITIVES.items() if prim.effect == "alloc")


def simplify(fn: Function) -> Function:
    """Eliminate common subexpressions and dead pure ops in ``fn`` (in place)."""
    replace: dict[int, Value] = {}
    _cse(fn.body, {}, replace)
    if replace:
        _substitute(fn.body, replace)
    _dce(fn.body)
    return fn


def _key_of(v: Value):
    return ("const", type(v.value), v.value) if isinstance(v, Const) else id(v)


def _stored_arrays(region: Region) -> set[int]:
    return {id(op.operands[0]) for op in walk(region) if isinstance(op, Store)}


def _cse(region: Region, table: dict, replace: dict):
    """Fill ``replace`` (id of a redundant value -> the value computed first)."""

    def canon(v):
        return replace.get(id(v), v)

    for op in region.ops:
        op.operands = [canon(v) for v in op.operands]
        if isinstance(op, Prim) and op.name not in _IMPURE and len(op.results) == 1:
            key = ("prim", op.name, tuple(_key_of(v) for v in op.operands),
                   tuple(sorted((k, repr(a)) for k, a in op.attrs.items())))
        elif isinstance(op, Load):
            key = ("load", *(_key_of(v) for v in op.operands))
        else:
            key = None
        if key is not None:
            if key in table:
                replace[id(op.results[0])] = table[key]
            else:
                table[key] = op.results[0]
            continue
        if isinstance(op, Store):
            _forget_loads(table, op.operands[0])
        elif isinstance(op, If):
            for branch in (op.then, op.orelse):
                _cse(branch, dict(table), replace)
                branch.yields = [canon(v) for v in branch.yields]
            for array in _stored_arrays(op.then) | _stored_arrays(op.orelse):
                _forget_loads(table, array)
        elif isinstance(op, (For, While)):
            written = set().union(*(_stored_arrays(r) for r in op.regions()))
            for array in written:
                _forget_loads(table, array)
            for sub in op.regions():
                _cse(sub, dict(table), replace)
                sub.yields = [canon(v) for v in sub.yields]
    region.yields = [canon(v) for v in region.yields]


def _forget_loads(table: dict, array):
    target = array if isinstance(array, int) else id(array)
    for key in [k for k in table if k[0] == "load" and k[1] == target]:
        del table[key]


def _substitute(region: Region, replace: dict):
    for op in region.ops:
        op.operands = [replace.get(id(v), v) for v in op.operands]
        for sub in op.regions():
            _substitute(sub, replace)
    region.yields = [replace.get(id(v), v) for v in region.yields]


def _dce(body: Region):
    """Drop pure ops (and loads) whose results nothing reads, until none is left."""
    while True:
        used = {id(v) for op in walk(body) for v in op.operands}
        used |= {id(v) for v in body.yields}
        for op in walk(body):
            for sub in op.regions():
                used |= {id(v) for v in sub.yields}
        if not _drop_unused(body, used):
            return


def _drop_unused(region: Region, used: set) -> bool:
    removed = False
    kept: list[Op] = []
    for op in region.ops:
        pure = (isinstance(op, (Load, Assign)) or
                (isinstance(op, Prim) and op.name not in ("tape", "grow", "reserve")))
        if pure and op.results and not any(id(r) in used for r in op.results):
            removed = True
            continue
        for sub in op.regions():
            removed |= _drop_unused(sub, used)
        kept.append(op)
    region.ops = kept
    return removed

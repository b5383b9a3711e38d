"""Loop-invariant code motion on SSA IR, run on the primal before reverse mode.

Why before differentiation: a value computed inside a loop looks loop-dependent to the
reverse transform even when it is not (``n - 1`` recomputed in every step of a stencil). Its
tapes then cannot be sized before the outermost loop and are grown one inner loop at a time;
with the bound hoisted, every tape is allocated once, at its full size, and the reverse sweep
reads one value instead of recomputing it per iteration.

Only what cannot fault moves (a loop may run zero times, and the hoisted op then runs
anyway): integer and float arithmetic and comparisons of scalars, and sizes and shapes of
arrays (which stores into the array do not change). Ops inside a branch stay where they are.
"""

from __future__ import annotations

from dataclasses import replace

from ..frontend.ir import Const, For, Function, If, Load, Op, Prim, Region, While, walk

_SCALAR_PRIMS = frozenset({"add", "sub", "mul", "neg", "pos", "maximum", "minimum", "lt",
                           "le", "gt", "ge", "eq", "ne", "not", "and", "or", "trip_count"})
_SIZE_PRIMS = frozenset({"shape", "size", "ndim", "len"})
_SCALAR_KINDS = ("float", "int", "bool")


def hoist_invariants(fn: Function) -> Function:
    """A copy of ``fn`` in which invariant ops of every loop run once before it."""
    return replace(fn, body=_region(fn.body))


def _region(region: Region) -> Region:
    ops: list[Op] = []
    for op in region.ops:
        if isinstance(op, If):
            op = replace(op, then=_region(op.then), orelse=_region(op.orelse))
        elif isinstance(op, For):
            op = replace(op, body=_region(op.body))
            hoisted, body = _split(op, op.body)
            ops += hoisted
            op = replace(op, body=body)
        elif isinstance(op, While):
            op = replace(op, cond=_region(op.cond), body=_region(op.body))
            hoisted, body = _split(op, op.body)
            ops += hoisted
            op = replace(op, body=body)
        ops.append(op)
    return Region(args=region.args, ops=ops, yields=region.yields)


def _split(loop: Op, body: Region):
    """(ops of ``body`` that depend on nothing the loop defines, the body without them)."""
    inside = {id(v) for sub in loop.regions() for v in sub.args}
    for sub in loop.regions():
        for op in walk(sub):
            inside.update(id(v) for v in op.results)
            for inner in op.regions():
                inside.update(id(v) for v in inner.args)
    hoisted, kept = [], []
    for op in body.ops:
        if _movable(op) and not any(id(v) in inside for v in op.operands):
            hoisted.append(op)
            inside.difference_update(id(v) for v in op.results)
        else:
            kept.append(op)
    return hoisted, Region(args=body.args, ops=kept, yields=body.yields)


def _movable(op: Op) -> bool:
    if isinstance(op, Load):   # an element of a shape tuple, not of an array
        return op.operands[0].kind == "shape" and all(
            isinstance(i, Const) or i.kind == "int" for i in op.operands[1:])
    if not isinstance(op, Prim) or len(op.results) != 1:
        return False
    if op.name in _SIZE_PRIMS:
        return True
    return op.name in _SCALAR_PRIMS and all(v.kind in _SCALAR_KINDS for v in op.operands) \
        and op.results[0].kind in _SCALAR_KINDS

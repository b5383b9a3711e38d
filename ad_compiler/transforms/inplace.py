"""``w *= 2.0`` on an array writes into ``w``'s memory, as NumPy does.

The frontend cannot tell an array from a scalar by the code alone, so it lowers ``w op= v``
on a name as ``w = w op v`` and marks that primitive ``inplace``. Once the argument kinds are
known (after specialisation), a marked primitive whose operand is an array becomes the
computation followed by a store of it into the whole of the operand (``w[...] = w op v``),
and the name keeps referring to the same memory: every alias and view of ``w`` sees the
change, and so does the caller when ``w`` is an argument.
"""

from __future__ import annotations

from ..frontend.ir import Const, Function, Prim, Region, Store, Value


def lower_inplace_updates(fn: Function) -> Function:
    """Rewrite marked array updates of ``fn`` into stores (in place)."""
    replace: dict[int, Value] = {}
    _lower(fn.body, replace)
    if replace:
        _substitute(fn.body, replace)
    return fn


def _lower(region: Region, replace: dict):
    ops = []
    for op in region.ops:
        for sub in op.regions():
            _lower(sub, replace)
        ops.append(op)
        if isinstance(op, Prim) and getattr(op, "inplace", False) and \
                op.operands[0].kind == "array" and op.results[0].kind == "array":
            target, (result,) = op.operands[0], op.results
            whole = Value(f"{result.name}_all", "slice")
            ops += [Prim([whole], [Const(None)] * 3, op.line, name="slice"),
                    Store([], [target, whole, result], op.line)]
            replace[id(result)] = target
    region.ops = ops


def _substitute(region: Region, replace: dict):
    for op in region.ops:
        keep_value = isinstance(op, Store) and id(op.operands[-1]) in replace and \
            replace[id(op.operands[-1])] is op.operands[0]
        operands = [replace.get(id(v), v) for v in op.operands]
        if keep_value:   # the store of the update itself stores the computed value
            operands[-1] = op.operands[-1]
        op.operands = operands
        for sub in op.regions():
            _substitute(sub, replace)
    region.yields = [replace.get(id(v), v) for v in region.yields]

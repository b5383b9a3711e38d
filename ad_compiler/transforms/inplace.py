"""``w *= 2.0`` on an array writes into ``w``'s memory, as NumPy does.

The frontend cannot tell an array from a scalar by the code alone, so it lowers ``w op= v``
on a name as ``w = w op v`` and marks that primitive ``inplace``. Once the argument kinds are
known (after specialisation), a marked primitive whose operand is an array becomes the
computation followed by a store of it into the whole of the operand (``w[...] = w op v``),
and the name keeps referring to the same memory: every alias and view of ``w`` sees the
change, and so does the caller when ``w`` is an argument.

Inside a loop (or a branch) the frontend made ``w`` a carried value (an ``If`` result); once
the update writes in place, the body yields the carried value itself: the reference does not
change from one iteration to the next. Such carries are dropped (every use reads the value
bound before the loop), so the memory model sees one array under one name rather than a join
of "this iteration's ``w``" and "the ``w`` before the loop", which it would have to refuse as
a possible alias.
"""

from __future__ import annotations

from ..frontend.ir import Const, For, Function, If, Prim, Region, Store, Undef, Value, While, walk


def lower_inplace_updates(fn: Function) -> Function:
    """Rewrite marked array updates of ``fn`` into stores (in place)."""
    replace: dict[int, Value] = {}
    _lower(fn.body, replace)
    done: set[int] = set()
    while replace:   # each pass may make an enclosing loop's or branch's carry unchanged
        _substitute(fn.body, replace)
        done |= replace.keys()
        replace = {k: v for k, v in _unchanged_references(fn.body).items() if k not in done}
    return fn


def _lower(region: Region, replace: dict):
    ops = []
    for op in region.ops:
        for sub in op.regions():
            _lower(sub, replace)
        ops.append(op)
        if isinstance(op, Prim) and op.inplace and \
                op.operands[0].kind == "array" and op.results[0].kind == "array":
            # an earlier update in this function already stands for its target: chain to it
            # (``w *= 2.0; w += 1.0`` writes twice into the memory ``w`` had at first)
            target, (result,) = replace.get(id(op.operands[0]), op.operands[0]), op.results
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


def _unchanged_references(body: Region) -> dict:
    """id(value) -> the value it always equals: a loop's carried value (its heads and its
    result) whose body yields it back unchanged is its init; an ``If`` result both branches
    yield the same value for is that value. Arrays only, where the lowering above creates
    them."""
    same: dict[int, Value] = {}
    for op in walk(body):
        if isinstance(op, If):
            for k, r in enumerate(op.results):
                a, b = op.then.yields[k], op.orelse.yields[k]
                if a is b and r.kind == "array" and not isinstance(a, Undef):
                    same[id(r)] = a
        elif isinstance(op, (For, While)):
            carried = op.body.args[1:] if isinstance(op, For) else op.body.args
            for k, init in enumerate(op.inits):
                if op.body.yields[k] is carried[k] and carried[k].kind == "array" and \
                        not isinstance(init, Undef):
                    heads = [carried[k], op.results[k]] + \
                        ([op.cond.args[k]] if isinstance(op, While) else [])
                    same.update({id(h): init for h in heads})
    return same

"""Dense Jacobians and Hessians as IR: a derivative function looped over basis vectors.

``basis_loop(d, varied, ...)`` builds one function from a derivative function ``d`` (a jvp
pruned to its output tangents, a vjp, or an hvp): its parameters are ``d``'s plus the matrix
``J``; for each parameter in ``varied`` (the tangents of the inputs, or the seeds of the
outputs, passed in as zeros) a ``for`` loop sets one entry of it to 1, runs a copy of ``d``'s
body, stores the results into one column (``axis=1``) or row (``axis=0``) of ``J`` and sets the
entry back to 0. The printed loop reads like the hand-written one, and Numba compiles it into
a single call, not one Python call per basis vector. Built as IR (not text) so that it goes
through the one emitter and backends like every other derivative.
"""

from __future__ import annotations

from ..frontend.ir import Assign, Const, For, Function, Prim, Region, Store, Value, copy_ir, \
    walk
from ..analysis.memory import Memory
from .builder import Namer


def basis_loop(d: Function, varied: list, varied_arrays: list, results: list,
               result_arrays: list, axis: int, name: str) -> Function:
    """The function ``name(*d.params, J)`` filling ``J`` (see the module docstring).

    ``varied``: positions in ``d.params`` of the basis-swept parameters; ``results``:
    positions in ``d``'s results stored into ``J`` (flattened, in order); ``axis``: 1 stores
    them down a column per basis vector (forward mode), 0 along a row (reverse mode)."""
    taken = {v.name for op in walk(d.body) for v in (*op.results, *op.operands)}
    namer = Namer(taken | {p.name for p in d.params})
    J = Value(namer.fresh("J"), "array", 2)
    position = Value(namer.fresh("col" if axis == 1 else "row"), "int", 0)
    ops = [Assign([position], [Const(0)])]
    # every sweep starts from the arguments of the call: the parameters d writes into (f
    # writing into its arguments, through any view) are copied first and written back
    # before each sweep (each sweep ran on what the one before left: wrong columns)
    written = Memory(d).written
    restore = []
    for p in d.params:
        if id(p) in written and p.kind == "array":
            saved = Value(namer.fresh(f"{p.name}_at_call"), "array", p.ndim)
            whole = Value(namer.fresh("whole"), "slice", None)
            ops.append(Prim([saved], [p], name="copy"))
            restore += [Prim([whole], [Const(None)] * 3, name="slice"),
                        Store([], [p, whole, saved])]
    for k, is_array in zip(varied, varied_arrays):
        v = d.params[k]
        if not is_array:
            ops += _sweep(d, namer, J, position, v, None, results, result_arrays, axis,
                          restore)
            continue
        flat = Value(namer.fresh(f"{v.name}_flat"), "array", 1)
        ops.append(Prim([flat], [v, Const(-1)], name="reshape"))    # a view of the zeros
        ops += _sweep(d, namer, J, position, v, flat, results, result_arrays, axis, restore)
    return Function(name=name, params=[*d.params, J], body=Region(ops=ops, yields=[J]),
                    filename=d.filename, first_line=d.first_line)


def _sweep(d, namer, J, position, v, flat, results, result_arrays, axis, restore):
    """Ops of the loop over the entries of ``v`` (``flat`` its 1-D view, None: a float);
    ``restore``: the ops writing the written parameters back, copied into each sweep."""
    params = {id(p): p for p in d.params}
    body = copy_ir(d.body, dict(params))            # parameters shared, the rest copied
    set_one = Store([], [flat, None, Const(1.0)]) if flat is not None else \
        Assign([v], [Const(1.0)])
    set_zero = Store([], [flat, None, Const(0.0)]) if flat is not None else \
        Assign([v], [Const(0.0)])
    inner = [*_fresh_copies(restore, namer), set_one, *body.ops]
    offset = Value(namer.fresh("at"), "int", 0)
    inner.append(Assign([offset], [Const(0)]))
    for q, is_array in zip(results, result_arrays):
        r = body.yields[q]
        if is_array:
            size = Value(namer.fresh("n"), "int", 0)
            end = Value(namer.fresh("end"), "int", 0)
            span = Value(namer.fresh("span"), "slice", None)
            dense = Value(namer.fresh("r_dense"), "array", None)
            flat_r = Value(namer.fresh("r_flat"), "array", 1)
            inner += [Prim([size], [r], name="size"),
                      Prim([end], [offset, size], name="add"),
                      Prim([span], [offset, end, Const(None)], name="slice"),
                      Prim([dense], [r], name="copy"),          # contiguous, then flat
                      Prim([flat_r], [dense, Const(-1)], name="reshape")]
            index = [span, position] if axis == 1 else [position, span]
            inner += [Store([], [J, *index, flat_r]), Assign([offset], [end])]
        else:
            index = [offset, position] if axis == 1 else [position, offset]
            inner += [Store([], [J, *index, r]),
                      Prim([offset], [offset, Const(1)], name="add")]
    inner += [set_zero, Prim([position], [position, Const(1)], name="add")]
    if flat is None:
        return inner
    j = Value(namer.fresh("j"), "int", 0)
    for op in (set_one, set_zero):
        op.operands[1] = j
    count = Value(namer.fresh("n"), "int", 0)
    return [Prim([count], [flat], name="size"),
            For([], [Const(0), count, Const(1)], body=Region(args=[j], ops=inner))]


def _fresh_copies(ops, namer):
    """``ops`` again, with fresh names for the values they define (one copy per sweep)."""
    out, renamed = [], {}
    for op in ops:
        if isinstance(op, Prim):
            r = op.results[0]
            renamed[id(r)] = Value(namer.fresh(r.name), r.kind, r.ndim)
            out.append(Prim([renamed[id(r)]], list(op.operands), name=op.name))
        else:
            out.append(Store([], [renamed.get(id(o), o) for o in op.operands]))
    return out


__all__ = ["basis_loop"]

"""Values a reverse iteration recomputes that the previous reverse iteration computed.

A loop carries ``x``: iteration k reads ``x_k`` (its body argument) and yields
``x_{k+1}``, which is the next iteration's ``x``. The reverse sweep runs iteration k right
after iteration k + 1, so a function of the yielded value that reverse iteration k
recomputes, ``h(x_{k+1})``, is the ``h(x)`` reverse iteration k + 1 has just computed from
its restored argument. Newton's ``E' = E - f(E) / f'(E)`` needs ``sin`` and ``cos`` of both
``E`` and ``E'`` in its reverse: carried across, each iteration computes two of the four,
as a hand-written adjoint does. The first reverse iteration takes ``h`` of the loop's
result, computed once before the reverse loop.
"""

from __future__ import annotations

from ..frontend.ir import Assign, Const, If, Op, Prim, Region, Value, walk
from ..rules import PRIMITIVES
from .builder import Namer


def carry_across_iterations(body: list[Op], pairs, count: Value, namer: Namer, line=None):
    """Rewrite the op list of a reverse loop ``body``: for each ``(yielded, argument,
    result)`` of a carried float value (``yielded``/``argument``: their values restored in
    the reverse body; ``result()``: the loop's result where the reverse loop starts), an
    elementwise primitive of ``yielded`` whose twin of ``argument`` the body also computes
    (same primitive, other operands unchanged by the body, both at its top level) reads a
    variable the twin sets at the end of the iteration. Returns (ops before the loop,
    the new body)."""
    assigned: dict[str, int] = {}
    for op in walk(Region(ops=body)):
        for v in op.results:
            assigned[v.name] = assigned.get(v.name, 0) + 1
    firsts, moved, kept, tail = [], [], list(body), []
    for yielded, argument, result in pairs:
        if isinstance(yielded, Const) or isinstance(argument, Const) or \
                yielded.name == argument.name or assigned.get(argument.name) != 1:
            continue
        for op in list(kept):
            twin = _twin(op, yielded, argument, kept, assigned)
            if twin is None:
                continue
            (r,) = op.results
            carried = namer.value(f"_{op.name}_{argument.name.lstrip('_')}", "float")
            carried.ndim = 0
            firsts.append(Prim([carried], [result() if v.name == yielded.name else v
                                           for v in op.operands], line, name=op.name,
                               attrs=dict(op.attrs)))
            kept.remove(op)
            moved.append(Assign([r], [carried], op.line))
            tail.append(Assign([carried], [twin.results[0]], op.line))
    return _when_ran(firsts, count, namer, line), moved + kept + tail


def _twin(op: Op, yielded: Value, argument: Value, ops: list, assigned: dict):
    """The op of ``ops`` that computes ``op``'s primitive of ``argument`` in place of
    ``yielded`` (None when ``op`` is no such primitive, or has no such twin)."""
    prim = PRIMITIVES.get(op.name) if isinstance(op, Prim) else None
    if prim is None or not prim.elementwise or len(op.results) != 1 or \
            op.results[0].kind != "float" or assigned.get(op.results[0].name) != 1:
        return None
    slots = [k for k, v in enumerate(op.operands) if v.name == yielded.name]
    others = [v for k, v in enumerate(op.operands) if k not in slots]
    if len(slots) != 1 or any(not isinstance(v, Const) and v.name in assigned
                              for v in others):
        return None
    want = [argument if k in slots else v for k, v in enumerate(op.operands)]
    for other in ops:
        if isinstance(other, Prim) and other.name == op.name and other.attrs == op.attrs \
                and other is not op and assigned.get(other.results[0].name) == 1 and \
                all(_same(a, b) for a, b in zip(other.operands, want)):
            return other
    return None


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, Const) or isinstance(b, Const):
        return isinstance(a, Const) and isinstance(b, Const) and a.value == b.value and \
            a.kind == b.kind
    return a.name == b.name


def _when_ran(firsts: list, count: Value, namer: Namer, line) -> list[Op]:
    """``firsts`` (each variable's value for the first reverse iteration) when the loop ran
    at all: a loop that did not has no iteration to read them, and the primitive may not be
    defined at its result."""
    if not firsts:
        return []
    ran = namer.value("_t", "bool")
    ran.ndim = 0
    zeros = [Assign([p.results[0]], [Const(0.0)], line) for p in firsts]
    return [Prim([ran], [count, Const(0)], line, name="gt"),
            If([], [ran], line, then=Region(ops=firsts), orelse=Region(ops=zeros))]

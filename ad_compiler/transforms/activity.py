"""Activity analysis: which values need a derivative.

A value is *varied* when it depends on a differentiated input, *useful* when the output
depends on it, and *active* when both hold and its kind can carry a derivative (integers,
booleans, shapes never do). Only active values get adjoints or tangents.

The analysis is reachability over one dependency graph built from the IR: an edge runs from
each operand a derivative can flow through to the value it helps define. Arrays are memory, so
a ``Store`` adds an edge from the stored value to the array and a ``Load`` one from the array to
the loaded value (and back, for a slice or row: a view shares its base's memory); loop-carried values get edges from their inits and from the values the body
yields. Reachability makes loops need no fixpoint iteration.
"""

from __future__ import annotations

from collections import defaultdict

from ..analysis.memory import is_view_prim
from ..errors import DifferentiationError
from ..frontend.ir import (Assign, For, Function, If, Load, Prim, Region, Store, Value, While,
                           walk)
from ..rules import PRIMITIVES


def _edges(region: Region, add):
    for op in region.ops:
        if isinstance(op, Prim):
            prim = PRIMITIVES.get(op.name)
            if prim is None or not prim.differentiable:
                continue
            if is_view_prim(op):   # a view: a store into it
                add(op.results[0], op.operands[0])          # changes its base
            for i, operand in enumerate(op.operands):
                if prim.vjps and prim.nargs is not None and (
                        i >= len(prim.vjps) or prim.vjps[i] is None):
                    continue
                for result in op.results:
                    add(operand, result)
        elif isinstance(op, Assign):
            add(op.operands[0], op.results[0])
        elif isinstance(op, Load):
            add(op.operands[0], op.results[0])
            if op.results[0].kind in ("array", "any"):   # a view: a store into it
                add(op.results[0], op.operands[0])         # changes its base
        elif isinstance(op, Store):
            add(op.operands[-1], op.operands[0])
        elif isinstance(op, If):
            for branch in (op.then, op.orelse):
                _edges(branch, add)
                for src, dst in zip(branch.yields, op.results):
                    add(src, dst)
        elif isinstance(op, For):
            _edges(op.body, add)
            for init, arg, new, res in zip(op.inits, op.body.args[1:], op.body.yields,
                                           op.results):
                add(init, arg)
                add(new, arg)
                add(init, res)
                add(new, res)
        elif isinstance(op, While):
            _edges(op.cond, add)
            _edges(op.body, add)
            for k, res in enumerate(op.results):
                for src in (op.inits[k], op.body.yields[k]):
                    add(src, op.cond.args[k])
                    add(src, op.body.args[k])
                    add(src, res)


class Activity:
    """The active values of a function for given inputs and outputs."""

    def __init__(self, fn: Function, inputs: list[Value], outputs: list[Value]):
        forward = defaultdict(list)
        backward = defaultdict(list)

        def add(src, dst):
            forward[id(src)].append(dst)
            backward[id(dst)].append(src)

        _edges(fn.body, add)
        self.varied = _reach(inputs, forward)
        self.useful = _reach(outputs, backward)
        self._refuse_cut_derivatives(fn)

    def _refuse_cut_derivatives(self, fn):
        """Ops without a derivative that would cut one: a call the compiler runs as written
        (``opaque_call``) or a tuple used as a shape, with an argument that depends on the
        differentiated inputs and a result the output depends on."""
        for op in walk(fn.body):
            if not isinstance(op, Prim) or op.name not in ("opaque_call", "tuple"):
                continue
            if not any(id(r) in self.useful for r in op.results):
                continue
            values = op.operands
            if op.name == "opaque_call" and op.attrs.get("path") is None:
                values = values[1:]      # the callable itself
            for k, v in enumerate(values):
                if isinstance(v, Value) and v.kind not in ("int", "bool", "shape", "slice",
                                                           "none", "str") \
                        and id(v) in self.varied:
                    if op.name == "tuple":
                        message = (f"a tuple holding '{v.name}', which depends on the "
                                   "differentiated inputs, is used as a shape (write "
                                   "np.array([...]) to make it an array)")
                    else:
                        arg = op.attrs["arguments"][k]
                        message = (f"call to '{op.attrs['call']}', which has no derivative "
                                   f"rule and no source to differentiate, with argument "
                                   f"'{arg}' depending on the differentiated inputs")
                    raise DifferentiationError(message, construct=op.attrs.get("call", "tuple"),
                                               function=fn.name, filename=fn.filename,
                                               line=op.line)

    def is_active(self, value) -> bool:
        return (isinstance(value, Value) and value.differentiable
                and id(value) in self.varied and id(value) in self.useful)


def _reach(starts, edges) -> set[int]:
    seen = {id(v) for v in starts}
    stack = list(starts)
    while stack:
        v = stack.pop()
        for w in edges.get(id(v), ()):
            if id(w) not in seen:
                seen.add(id(w))
                stack.append(w)
    return seen

"""Checkpointing of reverse mode (``checkpoint=C``): long loops re-run segment by segment.

:func:`split_for_checkpointing` first splits each outermost ``for`` that carries values or
stores into arrays into segments of C iterations (an outer loop over segments, an inner loop
over one segment). The outer loop records the carried values at each segment's start (and a
copy of each array the segment stores into and reads): snapshots sized to the segment count.
The inner loop, listed in ``recompute``, records nothing in the forward sweep. Its reverse
(:meth:`Checkpointing._rerun`) first puts those arrays back, re-runs the segment forward
from the restored carried values with its tapes (C entries, counters reset per segment),
then reverses it as usual. Memory: about (n / C + C) entries per recorded value instead of
n, for scalar and array state alike.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Undef, Value, While, walk)
from .builder import Namer
from .irtools import SCALAR_KINDS, all_names, is_int

if TYPE_CHECKING:
    from .reverse import _Loop

_ZERO_OF = {"float": Const(0.0), "int": Const(0), "bool": Const(False)}


class Checkpointing:
    """The reverse transform's side of checkpointing: re-running a segment."""

    def _rerun(self, loop: _Loop, at: _Loop) -> list[Op]:
        """In the reverse iteration of a segment: bring the arrays the segment stores into
        back to their state at its start, then run the segment's loop forward again from
        the carried values restored from the snapshot tape, this time recording on its
        (segment-sized) tapes, which its reverse loop then reads."""
        op = loop.op
        ops: list[Op] = []
        for array, tape in self._snapshot_arrays(loop):
            saved = self.namer.value(f"_snap_{array.name.lstrip('_')}", "array")
            saved.ndim = array.ndim
            whole = self.namer.value("_t", "slice")
            ops += [Load([saved], [tape, self.primal(at.body.args[0], at)], op.line),
                    Prim([whole], [Const(None)] * 3, op.line, name="slice"),
                    Store([], [array, whole, saved], op.line)]
        nest = self._nest(loop)
        for node in nest:
            node.growable = self._static_capacity(node, None) is None
            if node.tapes:
                ops.append(Assign([node.counter], [Const(0)]))
        copy = self._forward_loop(loop, taped=True)
        copy = replace(copy, operands=[self.primal(x, at) for x in op.operands])
        # the copy assigns variables of its own: the primal's may be live across the sweep
        inside = {id(node) for node in nest}
        renamed = {id(v) for v in op.results}
        renamed |= {vid for vid, home in self.home.items()
                    if home is not None and id(home) in inside}
        return ops + [_renamed(copy, renamed, {}, self.namer)]

    def _snapshot_arrays(self, loop: _Loop) -> list:
        """(array, snapshot tape) for each array defined before a recomputed loop that its
        nest stores into and reads: re-running a segment needs the array as it was then."""
        if id(loop.op) not in self.snapshots:
            loaded = {id(x.operands[0]) for x in walk(self.fn.body) if isinstance(x, Load)}
            arrays = []
            for x in walk(loop.body):
                array = x.operands[0] if isinstance(x, Store) else None
                if array is None or self.home.get(id(array)) is not None or \
                        any(a is array for a, _ in arrays) or \
                        not (id(array) in loaded or id(array) in self.read_whole):
                    continue
                arrays.append((array, self.namer.value(f"_snaps_{array.name.lstrip('_')}",
                                                       "array")))

            self.snapshots[id(loop.op)] = arrays
        return self.snapshots[id(loop.op)]


def _renamed(op: Op, ids: set, mapping: dict, namer: Namer) -> Op:
    """A copy of ``op`` (regions included) in which every value whose id is in ``ids``, where
    defined and where used, is a fresh variable."""
    def m(v):
        if id(v) not in ids:
            return v
        if id(v) not in mapping:
            fresh = namer.value("_t" if re.match(r"^_t\d+$", v.name) else v.name, v.kind)
            fresh.ndim = v.ndim
            mapping[id(v)] = fresh
        return mapping[id(v)]

    def region(r: Region) -> Region:
        return Region(args=[m(v) for v in r.args],
                      ops=[_renamed(x, ids, mapping, namer) for x in r.ops],
                      yields=[m(v) for v in r.yields])

    changes = dict(results=[m(v) for v in op.results], operands=[m(v) for v in op.operands])
    if isinstance(op, If):
        changes.update(then=region(op.then), orelse=region(op.orelse))
    elif isinstance(op, For):
        changes.update(body=region(op.body))
    elif isinstance(op, While):
        changes.update(cond=region(op.cond), body=region(op.body))
    return replace(op, **changes)



def split_for_checkpointing(fn: Function, checkpoint) -> tuple[Function, dict]:
    """Split every outermost ``for`` loop that carries values or stores into arrays into
    segments of ``checkpoint`` iterations (an int, or ``"auto"``: ``ceil(sqrt(trip count))`` at run
    time)::

        for i in range(start, stop, step) iter(c = inits): body
    becomes
        n = trip_count(start, stop, step); C = ...; segments = (n + C - 1) // C
        for s in range(0, segments, 1) iter(c' = inits):
            lo = s * C; hi = minimum(lo + C, n)
            for i in range(start + lo * step, start + hi * step, step) iter(c = c'): body

    Returns the new function and ``{id(inner For): C}``, the loops the reverse transform
    re-runs per segment: the outer loop records the carried values at the start of each
    segment (the snapshots), the inner one nothing until the reverse sweep re-runs it."""
    namer = Namer(all_names(fn))
    recompute: dict[int, Value] = {}

    def fresh(base, kind, ndim=None):
        v = namer.value(base, kind)
        v.ndim = ndim if ndim is not None else (0 if kind in SCALAR_KINDS else None)
        return v

    def prim(ops, name, operands, line, kind="int"):
        v = fresh("_t", kind)
        ops.append(Prim([v], list(operands), line, name=name))
        return v

    def split(op: For) -> list[Op]:
        line = op.line
        start, stop, step = op.operands[:3]
        ops: list[Op] = []
        n = prim(ops, "trip_count", [start, stop, step], line)
        if checkpoint == "auto":
            root = prim(ops, "ceil", [prim(ops, "sqrt", [n], line, "float")], line, "float")
            size = prim(ops, "maximum", [prim(ops, "int", [root], line), Const(1)], line)
        else:
            size = Const(int(checkpoint))
        last = prim(ops, "sub", [prim(ops, "add", [n, size], line), Const(1)], line)
        segments = prim(ops, "floordiv", [last, size], line)
        s = fresh("_seg", "int")
        carried = [fresh(f"{a.name}_seg", a.kind, a.ndim) for a in op.body.args[1:]]
        body: list[Op] = []
        lo = prim(body, "mul", [s, size], line)
        hi = prim(body, "minimum", [prim(body, "add", [lo, size], line), n], line)
        if is_int(start, 0) and is_int(step, 1):
            first, end = lo, hi
        else:
            first = prim(body, "add", [start, prim(body, "mul", [lo, step], line)], line)
            end = prim(body, "add", [start, prim(body, "mul", [hi, step], line)], line)
        results = [fresh(f"{r.name}_seg", r.kind, r.ndim) for r in op.results]
        inner = For(results, [first, end, step, *carried], line, body=op.body)
        recompute[id(inner)] = size
        body.append(inner)
        # a value assigned in every iteration before use is undefined on entry: the snapshot
        # of the first segment records a zero of its kind instead
        inits = [_ZERO_OF.get(v.kind, v) if isinstance(v, Undef) else v for v in op.inits]
        ops.append(For(list(op.results), [Const(0), segments, Const(1), *inits], line,
                       body=Region(args=[s, *carried], ops=body, yields=results)))
        return ops

    def splittable(op: Op) -> bool:
        """A ``for`` whose state is carried values, or arrays it stores into (which the
        segments' snapshots record)."""
        if not isinstance(op, For):
            return False
        state = bool(op.inits) or any(isinstance(x, Store) for x in walk(op.body))
        return state and not any(
            isinstance(v, Undef) and v.kind not in _ZERO_OF for v in op.inits)

    def region(r: Region) -> Region:
        ops: list[Op] = []
        for op in r.ops:
            if splittable(op):
                ops += split(op)
            elif isinstance(op, If):
                ops.append(replace(op, then=region(op.then), orelse=region(op.orelse)))
            else:
                ops.append(op)
        return Region(args=r.args, ops=ops, yields=r.yields)

    return replace(fn, body=region(fn.body)), recompute



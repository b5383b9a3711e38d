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
from ..analysis.memory import Memory
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
                # a store through a view made in the nest (w = m[1]; w[0] = ...) changes
                # its base: the array to snapshot (it was missed: the segment re-ran from
                # the array as the whole loop left it, a wrong gradient)
                while array is not None and self.home.get(id(array)) is not None and \
                        id(array) in self.mem.base:
                    array = self.mem.base[id(array)]
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
    def splittable(op: Op) -> bool:
        """A ``for`` whose state is carried values, or arrays it stores into (which the
        segments' snapshots record)."""
        if not isinstance(op, For):
            return False
        state = bool(op.inits) or any(isinstance(x, Store) for x in walk(op.body))
        return state and not any(
            isinstance(v, Undef) and v.kind not in _ZERO_OF for v in op.inits)

    return _split(fn, checkpoint, splittable)


def rerun_independent_iterations(fn: Function) -> tuple[Function, dict]:
    """For the gradient only (the function's outputs are not returned): segments of ONE
    iteration for each outermost ``for`` whose iterations are independent, so that the
    reverse sweep re-runs each iteration and reverses it at once, recording only what one
    iteration needs (tapes of a few entries, in cache) instead of the whole loop's.

    A loop qualifies when (1) it holds a nested loop (whose tapes would otherwise span every
    outer iteration); (2) each value it carries is a scalar accumulator whose adjoint is the
    same in every iteration: read only by one ``acc + x`` / ``x + acc`` / ``acc - x`` whose
    result is only carried on, so no iteration's value is needed by the reverse sweep;
    (3) nothing in it stores into an array, and no store anywhere changes an array it reads
    (each re-run sees the memory of the first run); (4) its results only reach the outputs
    linearly (``_returned_linearly``), so the forward sweep's copy (recording nothing) is
    dead code; (5) it is not a prange.
    Returns the new function and ``{id(segment For): 1}`` (see ``split_for_checkpointing``).
    """
    mem = Memory(fn)

    def independent(op: Op) -> bool:
        if not isinstance(op, For) or op.parallel or not op.inits:
            return False
        nest = list(walk(op.body))
        if not any(isinstance(x, (For, While)) for x in nest) or \
                any(isinstance(x, Store) for x in nest) or \
                any(mem.is_written(x.operands[0]) for x in nest if isinstance(x, Load)):
            return False
        if not _returned_linearly(fn, op.results):
            return False
        return all(passes_adjoint_through(op, k) for k in range(len(op.inits)))

    return _split(fn, 1, independent, top_only=True)


def _readers(region: Region, v: Value) -> list:
    """The ops of ``region`` (nested ones included) that read ``v``, as an operand or as
    a yield of one of their regions."""
    return [x for x in walk(region) if any(u is v for u in x.operands) or
            any(u is v for sub in x.regions() for u in sub.yields)]


_LINEAR = ("add", "sub", "neg", "mul", "div")


def _returned_linearly(fn: Function, values) -> bool:
    """Whether ``values`` (of the function body) reach only the function's results, through
    top-level sums, differences, negations and products or quotients by values not derived
    from them: neither sweep then needs them (``return 2.0 * total / n`` as well as
    ``return total``)."""
    derived = {id(v) for v in values}
    work, linear = list(values), []
    while work:
        v = work.pop()
        for op in _readers(fn.body, v):
            if not (isinstance(op, Prim) and op.name in _LINEAR and op in fn.body.ops):
                return False
            linear.append(op)
            if id(op.results[0]) not in derived:
                derived.add(id(op.results[0]))
                work.append(op.results[0])
    for op in linear:
        inside = [id(x) in derived for x in op.operands]
        if (op.name == "mul" and all(inside)) or (op.name == "div" and inside[1]):
            return False
    return True


def passes_adjoint_through(op: For, k: int) -> bool:
    """Whether carried value ``k`` of ``op`` is a scalar accumulator (``acc = acc + x``,
    ``x + acc``, ``acc - x``, or a chain of them such as ``acc + x + y``, in the body itself,
    each step read only by the next and the last only carried on): its adjoint leaves each
    iteration as it came in, and no other op reads it."""
    arg, new = op.body.args[1 + k], op.body.yields[k]
    if arg.kind not in ("float", "int") or new is arg or \
            sum(v is new for v in op.body.yields) != 1:
        return False
    v = arg
    while v is not new:
        readers = _readers(op.body, v)
        if len(readers) != 1 or readers[0] not in op.body.ops:
            return False
        (acc,) = readers
        if not (isinstance(acc, Prim) and len(acc.results) == 1 and
                (acc.name == "add" or (acc.name == "sub" and acc.operands[0] is v)) and
                sum(x is v for x in acc.operands) == 1):
            return False
        v = acc.results[0]
    return not _readers(op.body, new)


def _split(fn: Function, checkpoint, splittable, top_only=False) -> tuple[Function, dict]:
    """``fn`` with every outermost ``for`` that ``splittable`` accepts split into segments
    of ``checkpoint`` iterations (see ``split_for_checkpointing``); ``top_only``: only the
    loops of the function body itself, not those inside its branches."""
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
        single = is_int(size, 1)     # segments of one iteration: no partial last one
        if single:
            segments = n
        else:
            last = prim(ops, "sub", [prim(ops, "add", [n, size], line), Const(1)], line)
            segments = prim(ops, "floordiv", [last, size], line)
        s = fresh("_seg", "int")
        carried = [fresh(f"{a.name}_seg", a.kind, a.ndim) for a in op.body.args[1:]]
        body: list[Op] = []
        lo = s if single else prim(body, "mul", [s, size], line)
        hi = prim(body, "add", [lo, size], line)
        if not single:
            hi = prim(body, "minimum", [hi, n], line)
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

    def region(r: Region) -> Region:
        ops: list[Op] = []
        for op in r.ops:
            if splittable(op):
                ops += split(op)
            elif isinstance(op, If) and not top_only:
                ops.append(replace(op, then=region(op.then), orelse=region(op.orelse)))
            else:
                ops.append(op)
        return Region(args=r.args, ops=ops, yields=r.yields)

    return replace(fn, body=region(fn.body)), recompute



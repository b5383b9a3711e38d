"""Tape placement of reverse mode: where tapes are allocated and how large, where they grow.

A mixin of :class:`.reverse.ReverseTransform`. Adjoint generation asks for a value of a loop
body (:meth:`~.reverse.ReverseTransform.primal`); the analysis (:mod:`.tbr`) says it is
recorded; this pass decides the tape's life: allocated once before the outermost loop when
every enclosing trip count is known there (static size), else room reserved before an inner
``for`` for its whole trip count, else (a ``while``) restarted from its SSA start with twice
the room (CPU) or grown when full (GPU lowering). Pushes go at the definition, or at the end
of the body for arrays written in it.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING

from ..errors import DifferentiationError
from ..frontend.ir import (Assign, Const, For, If, Op, Prim, Region, Store, Undef, Value,
                           While, walk)
from .builder import Builder, Sym

if TYPE_CHECKING:
    from .reverse import _Loop


class TapePlacement:
    """Allocation, reservation, growth and pushes of the reverse transform's tapes."""

    def _memory_defined_in(self, loop: _Loop) -> list[Value]:
        """Arrays the body defines (outside its branches, which record theirs at their
        end) that stores change: recorded as the body leaves them. A view written through
        is recomputed from its base instead."""
        return [v for v in loop.body.args + [r for op in loop.body.ops for r in op.results]
                if v.kind == "array" and id(v) in self.stored_arrays
                and id(v) not in self.mem.live_views]

    def _push(self, loop: _Loop, values, ops, at_end=False):
        if not self._taping:
            return
        for v in values:
            if not at_end and v.kind == "array" and id(v) in self.stored_arrays:
                continue   # recorded at the end of the body
            tape = loop.tapes.get(id(v))
            if tape is not None and id(v) in self.reference_tapes:
                ops.append(Prim([tape], [tape, loop.counter, v], name="put_reference"))
            elif tape is not None and (id(tape) in self.list_tapes or self._on_a_list(v, loop)):
                ops.append(Prim([tape], [tape, loop.counter, v], name="list_put"))
            elif tape is not None:
                ops.append(Store([], [tape, loop.counter, v]))

    def _on_a_list(self, v: Value, loop: _Loop) -> bool:
        """Whether ``v``'s tape is a list (what :meth:`_allocate_tapes` allocates for it),
        known before the allocation: a checkpointed segment's re-run, generated with the
        reverse sweep, pushes before the forward sweep allocates (its pushes were item
        assignments into a list: an IndexError)."""
        return id(v) in self.reference_tapes or (
            _array_valued(v) and self._array_witness(v, loop) is None)

    def _nest(self, loop: _Loop) -> list[_Loop]:
        """The loop and every loop nested in it, outermost first."""
        nest = [loop]
        for op in walk(loop.body):
            if isinstance(op, (For, While)):
                nest.append(self.loops[id(op)])
        return nest

    def _static_capacity(self, loop: _Loop, ops: list | None):
        """Total iterations of ``loop`` over the whole nest (up to a recomputed loop, which
        holds at most its segment's iterations) when computable before the outermost loop,
        as a Value (emitting its computation into ``ops``; None: only say whether, True);
        else None."""
        chain = []
        node = loop
        while node is not None:
            chain.append(node)
            if id(node.op) in self.recompute:
                break
            node = node.parent
        if not all(isinstance(node.op, For) for node in chain) or any(
                self.home.get(id(bound)) is not None
                for node in chain if id(node.op) not in self.recompute
                for bound in node.op.operands[:3]):
            return None
        if ops is None:
            return True
        builder = Builder(self.namer, loop.op.line)
        total = 1
        for node in chain:
            trips = self.recompute.get(id(node.op))
            if trips is None:
                trips = builder.trip_count(*node.op.operands[:3])
            total = trips * total if isinstance(trips, Sym) else builder.wrap(trips) * total
        ops.extend(builder.ops)
        return builder.lift(total)

    def _allocate_tapes(self, outermost: _Loop) -> list[Op]:
        ops: list[Op] = []
        for loop in self._nest(outermost):
            for sub in loop.body.ops:   # one snapshot per segment of a recomputed loop
                for array, tape in self.snapshots.get(id(sub), []):
                    builder = Builder(self.namer, loop.op.line)
                    segments = builder.lift(builder.trip_count(*loop.op.operands[:3]))
                    ops += builder.ops
                    ops.append(Prim([tape], [segments, array], name="tape_of_arrays"))
            if not loop.tapes:
                continue
            ops.append(Assign([loop.counter], [Const(0)]))
            capacity = self._static_capacity(loop, ops)
            loop.growable = capacity is None
            if capacity is None:
                capacity = Const(16)
            for vid, tape in loop.tapes.items():
                v = next(x for x in loop.needed if id(x) == vid)
                if id(v) in self.reference_tapes:   # the arrays themselves (see reverse.py)
                    ops.append(Prim([tape], [Const(v.ndim)], name="reference_list"))
                    self.list_tapes.add(id(tape))
                elif not _array_valued(v):   # unspecialised "any" values: scalars
                    witness = {"int": Const(0), "bool": Const(False)}.get(v.kind, Const(0.0))
                    ops.append(Prim([tape], [capacity, witness], name="tape"))
                elif self._array_witness(v, loop) is not None:
                    ops.append(Prim([tape], [capacity, self._array_witness(v, loop)],
                                    name="tape_of_arrays"))
                else:   # shapes that change from one iteration to the next: a list
                    # masks and index arrays keep their dtype (a list of float64 else)
                    elements = "bool" if v.kind == "bool" else {"bool": "bool", "int": "int64"}.get(
                        v.dtype)
                    ops.append(Prim([tape], [self._known_ndim(v, loop)], name="array_list",
                                    attrs={"dtype": elements} if elements else {}))
                    self.list_tapes.add(id(tape))
        return ops

    def _array_witness(self, v: Value, loop: _Loop) -> Value | None:
        """A value available before the outermost loop with the shape every iteration's
        ``v`` has (the initial value of a loop-carried array, followed out through the
        enclosing loops that carry it: a checkpointed segment's state), or None."""
        while loop is not None:
            carried = loop.body.args[1:] if isinstance(loop.op, For) else loop.body.args
            if v not in carried:
                return None
            v = loop.op.inits[carried.index(v)]
            if self.home.get(id(v)) is None:
                return v
            loop = self.home.get(id(v))
        return None

    def _known_ndim(self, v: Value, loop: _Loop) -> Const:
        """The rank of an array recorded in a list tape (which Numba types by rank)."""
        if v.ndim is None:
            op = self.defining_op.get(id(v))
            raise DifferentiationError(
                f"the array '{v.name}' changes inside a loop and its derivative needs each "
                f"iteration's value, whose rank is unknown here", construct="array recorded "
                f"in a loop", function=self.fn.name, filename=self.fn.filename,
                line=op.line if op is not None else loop.op.line)
        return Const(v.ndim)

    def _fixed_tapes(self, loop: _Loop) -> list[Value]:
        """The loop's array tapes (list tapes need no room made)."""
        return [t for t in loop.tapes.values() if id(t) not in self.list_tapes]

    def _reserve_tapes(self, loop: _Loop) -> list[Op]:
        """Before a ``for`` whose tapes cannot be sized up front (a triangular nest), make
        room for its whole trip count at once: a tape reassigned inside the loop would cost
        Numba a reference-count update on every push."""
        builder = Builder(self.namer, loop.op.line)
        trips = builder.lift(builder.trip_count(*loop.op.operands[:3]))
        ops = builder.ops
        for tape in self._fixed_tapes(loop):
            ops.append(Prim([tape], [tape, loop.counter, trips], loop.op.line, name="reserve"))
        return ops

    def _restartable(self, loop: _Loop) -> bool:
        """A ``while`` that can simply run again from its start: its tapes need growing, and
        its body stores into no array and holds no loop (whose counters would restart too)."""
        return (self.restart_whiles and self._taping and loop.growable
                and bool(self._fixed_tapes(loop))
                and not self._has_undef
                and not any(isinstance(op, (Store, For, While)) for op in walk(loop.body)))

    @functools.cached_property
    def _has_undef(self) -> bool:
        """Whether some value may be unassigned on entry to a loop (an early return's
        value): running a loop again would then copy an unassigned variable."""
        for op in walk(self.fn.body):
            values = list(op.operands) + [v for sub in op.regions() for v in sub.yields]
            if any(isinstance(v, Undef) for v in values):
                return True
        return False

    def _restartable_while(self, loop: _Loop) -> list[Op]:
        """A ``while`` whose tapes grow without a test on every push: it runs with room
        reserved for ``need`` more entries and stops early when the tapes are full; it then
        resumes where it stopped (its carried values kept in its results, the entries
        recorded so far kept by ``reserve``) with twice the room. A tape reassigned
        inside a loop costs Numba a reference-count update per iteration (NUMBA_NOTES),
        which this keeps out of the loop; resuming, rather than running again from the
        start, runs each iteration once (a run again from 16 entries ran a 6,000-step loop
        about 16,000 times). The attempts loop on ``need`` itself: ``need = (k == cap) *
        (k - start) * 2`` after an attempt is 0 (stop) unless the tapes filled."""
        op = loop.op
        tapes = self._fixed_tapes(loop)
        start, need, capacity, used, twice = (self.namer.value(n, "int") for n in
                                              ("_k", "_need", "_cap", "_t", "_t"))
        full = self.namer.value("_t", "bool")
        loop.capacity = capacity
        forward = self._forward_loop(loop)
        # the loop's results hold its carried values between attempts: each attempt starts
        # from where the last one stopped
        resumed = replace(forward, operands=list(forward.results))
        attempt = [Prim([t], [t, loop.counter, need], op.line, name="reserve") for t in tapes]
        attempt += [Prim([capacity], [tapes[0]], name="capacity"), resumed,
                    Prim([full], [loop.counter, capacity], name="eq"),
                    Prim([used], [loop.counter, start], name="sub"),
                    Prim([twice], [used, Const(2)], name="mul"),
                    Prim([need], [full, twice], name="mul")]
        return [Assign([start], [loop.counter]), Assign([need], [Const(16)]),
                *(Assign([r], [v], op.line) for r, v in zip(forward.results, forward.operands)),
                While([], [], op.line, cond=Region(yields=[need]), body=Region(ops=attempt))]

    def _grow_tapes(self, loop: _Loop) -> list[Op]:
        """At the top of a ``while`` body: double the tapes when they are full."""
        if not loop.growable or isinstance(loop.op, For) or loop.capacity is not None:
            return []
        tapes = self._fixed_tapes(loop)
        if not tapes:
            return []
        size = self.namer.value("_t", "int")
        full = self.namer.value("_t", "bool")
        grow_ops = [Prim([t], [t, loop.counter], name="grow") for t in tapes]
        return [Prim([size], [tapes[0]], name="capacity"),
                Prim([full], [loop.counter, size], name="eq"),
                If([], [full], then=Region(ops=grow_ops), orelse=Region())]


def _array_valued(v: Value) -> bool:
    """An array, or a comparison of arrays (kind bool with its rank: a mask)."""
    return v.kind == "array" or (v.kind == "bool" and (v.ndim or 0) > 0)

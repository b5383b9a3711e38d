"""To-be-recorded analysis of reverse mode: what the reverse sweep recomputes, what it reads
from a tape, and which stores save the memory they overwrite.

A mixin of :class:`.reverse.ReverseTransform` (it reads the transform's maps: ``home``,
``defining_op``, ``saves``, the memory model ``mem``): the decisions live here, the code that
carries them out (restores at the top of a reverse iteration, pushes in the forward sweep)
in the generation and tape-placement passes.

Why recompute at all: a flop costs less than a store and a load, and its inputs are often
restored anyway; an array whose every store the reverse sweep undoes can be read again
instead of taped element by element (an N-body's positions: one tape of square roots per
pair instead of eight values).
"""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING

from ..analysis.memory import memory_uses
from ..frontend.ir import Assign, If, Load, Prim, Store, While, walk, walk_nested
from .irtools import element_index, is_int

if TYPE_CHECKING:
    from .reverse import _Loop

_RECOMPUTABLE_PRIMS = ("add", "sub", "mul", "floordiv", "mod", "neg")
_NEVER_RECOMPUTE = ("tape", "tape_of_arrays", "grow", "reserve", "opaque_call")
_SIZE_PRIMS = ("len", "size", "ndim", "trip_count")
_CHEAP_PRIMS = ("add", "sub", "mul", "div", "neg", "pos", "square", "abs", "float", "maximum",
                "minimum")
_COMPARISONS = ("lt", "le", "gt", "ge", "eq", "ne", "not", "and", "or")
_LINEAR = ("add", "sub", "neg", "pos", "copy")
_SCALAR_FUNCTIONS = ("sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh",
                     "arctan", "log1p", "expm1")


class ToBeRecorded:
    """Record, recompute or save: the decisions of the reverse transform."""

    def _overwrites_read(self, store: Store) -> bool:
        """Whether the reverse sweep reads memory this store overwrites, at a point before
        the store (earlier in the program, or in an earlier iteration of a loop holding
        both): then it saves the old part and restores it after its adjoint. Read: whole,
        or element by element where the adjoint may need the element (an active float):
        one save per store, and the array re-read restored (:meth:`_restored_at`), costs
        less than a tape for every load (a stencil's five neighbours)."""
        s_pos, s_loops = self._positions[id(store)]
        for a in self.mem.allocations(store.operands[0]):
            for pos, loops in self._reads_by_allocation.get(a, ()):
                if pos < s_pos or set(loops) & set(s_loops):
                    return True
        return False

    @functools.cached_property
    def _reads_by_allocation(self) -> dict:
        """allocation -> (position, enclosing loops) of each read of it that the reverse
        sweep may need, so that a store looks only at the reads of what it may change (not
        at every read of the function: linear in the program, not quadratic)."""
        reads: dict = {}
        for pos, loops, v in self._whole_reads + self._element_reads:
            for a in self.mem.allocations(v):
                reads.setdefault(a, []).append((pos, loops))
        return reads

    @functools.cached_property
    def _element_reads(self) -> list:
        """Element loads in loops whose value the adjoint may need (see
        :meth:`_value_needed`)."""
        return [(pos, [id(loop) for loop in loops], op.operands[0])
                for pos, loops, op in memory_uses(self.fn)
                if isinstance(op, Load) and element_index(op.operands[1:], op.operands[0])
                and loops
                and op.results[0].kind == "float" and self._value_needed(op.results[0])]

    def _value_needed(self, v, seen=None) -> bool:
        """Whether some derivative rule may read ``v``'s value: it reaches, through linear
        ops (sums, negation, scaling by an inactive factor), an op that is not linear in it
        or that scales it by an active value. Copies into arrays and carried values: no
        and yes (conservatively)."""
        seen = set() if seen is None else seen
        if id(v) in seen or not self.active(v):
            return False
        seen.add(id(v))
        for op in self._users.get(id(v), ()):
            if op is None:
                return True      # carried on or returned
            if isinstance(op, Store):
                if op.operands[-1] is v and v not in op.operands[:-1]:
                    continue
                return True
            if isinstance(op, Assign) or (isinstance(op, Prim) and op.name in _LINEAR):
                if self._value_needed(op.results[0], seen):
                    return True
                continue
            if isinstance(op, Prim) and op.name in ("mul", "div"):
                others = [x for k, x in enumerate(op.operands) if x is not v
                          or (op.name == "div" and k == 1)]
                if op.name == "div" and op.operands[1] is v or \
                        any(self.active(x) for x in others):
                    return True
                if self._value_needed(op.results[0], seen):
                    return True
                continue
            return True
        return False

    @functools.cached_property
    def _users(self) -> dict:
        """id(value) -> the ops reading it (None: a region yields it, or the function)."""
        users: dict = {}
        for op in walk(self.fn.body):
            for x in op.operands:
                users.setdefault(id(x), []).append(op)
            for sub in op.regions():
                for x in sub.yields:
                    users.setdefault(id(x), []).append(None)
        for x in self.fn.body.yields:
            users.setdefault(id(x), []).append(None)
        return users

    @functools.cached_property
    def _positions(self) -> dict:
        return {id(op): (pos, [id(loop) for loop in loops])
                for pos, loops, op in memory_uses(self.fn)}

    @functools.cached_property
    def _whole_reads(self) -> list:
        reads = []
        for pos, loops, op in memory_uses(self.fn):
            values = op.operands if isinstance(op, Prim) else op.operands[:1] if \
                isinstance(op, Load) and not element_index(op.operands[1:], op.operands[0]) \
                else []
            reads += [(pos, [id(loop) for loop in loops], v) for v in values
                      if id(v) in self.read_whole]
        return reads

    def _branch_paths(self, loop: _Loop) -> dict:
        """id(value) -> [(If, taken)] from the loop body down to the branch defining it (the
        value exists only when each If went that way), for values inside branches."""
        if id(loop) in self._paths:
            return self._paths[id(loop)]
        paths = self._paths[id(loop)] = {}

        def visit(region, path):
            for op in region.ops:
                for v in op.results + (self.saves[id(op)].results if id(op) in self.saves
                                       else []):
                    if path:
                        paths[id(v)] = path
                if isinstance(op, If):
                    visit(op.then, path + [(op, True)])
                    visit(op.orelse, path + [(op, False)])
        visit(loop.body, [])
        return paths

    def _body_definitions(self, loop: _Loop):
        values = list(loop.body.args)
        for op in loop.body.ops:
            if id(op) in self.saves and id(op) not in self.reused_saves:
                values += self.saves[id(op)].results
            values += op.results
            if isinstance(op, While):
                values.append(self.loops[id(op)].count)
            if isinstance(op, If):
                for inner in itertools.chain(walk(op.then), walk(op.orelse)):
                    if id(inner) in self.saves and id(inner) not in self.reused_saves:
                        values += self.saves[id(inner)].results
                    values += inner.results
        return values

    def _recomputable(self, v, loop: _Loop) -> bool:
        """Whether the reverse sweep recomputes ``v`` rather than reading it from a tape.

        Recomputed: loads from arrays nobody writes, or whose every store the reverse sweep
        undoes (so the array is as the load saw it, when no store of this loop's body
        follows the load), integer arithmetic, array values (so that only loop-carried
        arrays ever need a tape of arrays), comparisons, and cheap float arithmetic (a flop
        costs less than a store and a load, and its inputs are often restored anyway).
        Scalar sqrt, exp, log and trigonometric functions are recomputed too, as a hand
        adjoint does (their operands are restored anyway; a tape per call costs memory
        traffic the recomputation does not); array functions and anything else are
        recorded. A value defined in a branch of the body is
        restored at the start of that branch's reverse, which runs only when it ran."""
        op = self.defining_op.get(id(v))
        if op is None or v in loop.body.args or (
                op not in loop.body.ops and id(v) not in self._branch_paths(loop)):
            return False
        if isinstance(op, Load):   # a view written through is a reference: recomputed
            return id(op.operands[0]) not in self.stored_arrays or \
                id(v) in self.mem.live_views or self._restored_at(op, loop)
        if isinstance(op, Prim) and id(v) in self.mem.live_views:
            return True   # a view written through (u = y.T; u[0] += ...): a reference too
        if not isinstance(op, Prim) or op.name in _NEVER_RECOMPUTE or id(v) in self.stored_arrays:
            return False   # an array written later is not what recomputing it gives
        if op.name not in _SIZE_PRIMS + ("shape",) and any(
                self.mem.is_written(x) for x in op.operands):
            return False   # it reads memory that stores change: at the top of the reverse
            #                iteration that memory is as the iteration left it
        if v.kind in ("array", "shape", "slice") or (
                v.kind == "int" and (op.name in _RECOMPUTABLE_PRIMS or not op.operands
                                     or op.name in _SIZE_PRIMS)):
            return True
        return op.name in _CHEAP_PRIMS or op.name in _COMPARISONS or \
            (op.name == "pow" and is_int(op.operands[1], 2)) or \
            (op.name in _SCALAR_FUNCTIONS and v.kind == "float")

    def _restored_at(self, load: Load, loop: _Loop) -> bool:
        """Whether the array ``load`` reads is, where the reverse sweep recomputes the load,
        as the load saw it: defined outside every loop, every store into its memory undone
        by the reverse sweep (``saves``), and no store into it in the body after the load
        (nor in the body statement holding it)."""
        array = load.operands[0]
        memory = self.mem.allocations(array)
        stores = [op for op in walk(self.fn.body) if isinstance(op, Store)
                  and self.mem.allocations(op.operands[0]) & memory]
        if self.home.get(id(array)) is not None or any(id(op) not in self.saves
                                                       for op in stores):

            return False
        top = next((k for k, op in enumerate(loop.body.ops)
                    if op is load or load in walk_nested(op)), None)
        if top is None:   # the save of a store (not an op of the body): recorded
            return False
        later = {id(x) for op in loop.body.ops[top:] for x in [op, *walk_nested(op)]}
        return not any(id(op) in later for op in stores)

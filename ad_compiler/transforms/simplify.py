"""Common-subexpression and dead-code elimination on SSA IR.

Run on the user's function before differentiation: the same ``x[2 * i]`` written three times
in the source then becomes one load, so the adjoint accumulates into one scalar and stores
into ``b_x[2 * i]`` once, and the index is computed once in each sweep.

Primitives are pure, so two with the same name, operands and attributes compute the same
value; the later one is replaced wherever it is visible (later in its region or in regions
nested there). Arrays are memory (:mod:`..analysis.memory`): every read of an array, by a load
or by a primitive, is keyed by the current version of each allocation it may read, and a store
through any name or view bumps the versions of the allocations it may change (a branch or a
loop bumps those its stores may change, before a loop's body and after it). An operation that
makes an allocation some store writes is never merged with another: two ``x * 2.0`` are two
arrays once one of them is written.
"""

from __future__ import annotations

import itertools

from ..analysis.memory import Memory
from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Value, While, walk)
from ..rules import PRIMITIVES

# fresh arrays (the records' effect "alloc"): each allocation is its own memory
_IMPURE = frozenset(name for name, prim in PRIMITIVES.items() if prim.effect == "alloc")


def simplify(fn: Function) -> Function:
    """Eliminate common subexpressions and dead pure ops in ``fn`` (in place)."""
    replace: dict[int, Value] = {}
    _CSE(Memory(fn), replace).region(fn.body, {})
    if replace:
        _substitute(fn.body, replace)
    _dce(fn.body)
    return fn


def simplify_loop(fn: Function, loop: Op) -> None:
    """Common subexpressions of ``loop``'s body merged, and dead pure ops of it dropped (in
    place), in ``fn`` in imperative form (derivative code, where a Value may be assigned by
    several ops): only values assigned once in ``fn`` take part, so each has one value."""
    counts: dict[int, int] = {}
    for op in walk(fn.body):
        for v in op.results:
            counts[id(v)] = counts.get(id(v), 0) + 1
        for sub in op.regions():
            for v in sub.args:
                counts[id(v)] = counts.get(id(v), 0) + 1     # one value per iteration
    once = {k for k, c in counts.items() if c == 1}
    once |= {id(v) for v in fn.params + fn.free_vars if id(v) not in counts}
    replace: dict[int, Value] = {}
    _CSE(Memory(fn), replace, once).region(loop.body, {})
    if replace:
        _substitute(fn.body, replace)
    _dce(fn.body, loop.body)


def _key_of(v: Value):
    return ("const", type(v.value), v.value) if isinstance(v, Const) else id(v)


class _CSE:
    """Fills ``replace`` (id of a redundant value -> the value computed first)."""

    def __init__(self, memory: Memory, replace: dict, once: set | None = None):
        self.memory = memory
        self.replace = replace
        self.once = once        # ids of the values that may take part (None: all, SSA)
        self.versions: dict[int, int] = {}   # id(allocation) -> version, bumped by stores
        self._fresh = itertools.count(1)

    def canon(self, v):
        return self.replace.get(id(v), v)

    def bump(self, allocations):
        for a in allocations:
            self.versions[a] = next(self._fresh)

    def state_of(self, operands):
        """The versions of the memory the operands may read."""
        return tuple(sorted((a, self.versions.get(a, 0)) for v in operands
                            for a in self.memory.allocations(v)))

    def key(self, op: Op):
        if self.once is not None and not all(
                isinstance(v, Const) or id(v) in self.once for v in op.operands + op.results):
            return None
        if isinstance(op, Prim) and op.name not in _IMPURE and len(op.results) == 1:
            if self.memory.is_written(op.results[0]):
                return None   # its own memory, written later: not interchangeable
            return ("prim", op.name, tuple(_key_of(v) for v in op.operands),
                    tuple(sorted((k, repr(a)) for k, a in op.attrs.items())),
                    self.state_of(op.operands))
        if isinstance(op, Load):
            return ("load", *(_key_of(v) for v in op.operands), self.state_of(op.operands[:1]))
        return None

    def region(self, region: Region, table: dict):
        for op in region.ops:
            op.operands = [self.canon(v) for v in op.operands]
            key = self.key(op)
            if key is not None:
                if key in table:
                    self.replace[id(op.results[0])] = table[key]
                else:
                    table[key] = op.results[0]
                continue
            if isinstance(op, Store):
                self.bump(self.memory.allocations(op.operands[0]))
            elif isinstance(op, If):
                for branch in (op.then, op.orelse):
                    self.region(branch, dict(table))
                    branch.yields = [self.canon(v) for v in branch.yields]
                self.bump(self.memory.stored_in(op.then) | self.memory.stored_in(op.orelse))
            elif isinstance(op, (For, While)):
                written = frozenset().union(*(self.memory.stored_in(r) for r in op.regions()))
                self.bump(written)
                for sub in op.regions():
                    self.region(sub, dict(table))
                    sub.yields = [self.canon(v) for v in sub.yields]
                self.bump(written)
        region.yields = [self.canon(v) for v in region.yields]


def _substitute(region: Region, replace: dict):
    for op in region.ops:
        op.operands = [replace.get(id(v), v) for v in op.operands]
        for sub in op.regions():
            _substitute(sub, replace)
    region.yields = [replace.get(id(v), v) for v in region.yields]


def _dce(body: Region, within: Region | None = None):
    """Drop pure ops (and loads) of ``within`` (default: all of ``body``) whose results
    nothing in ``body`` reads, until none is left."""
    while True:
        used = {id(v) for op in walk(body) for v in op.operands}
        used |= {id(v) for v in body.yields}
        for op in walk(body):
            for sub in op.regions():
                used |= {id(v) for v in sub.yields}
        if not _drop_unused(body if within is None else within, used):
            return


def _drop_unused(region: Region, used: set) -> bool:
    removed = False
    kept: list[Op] = []
    for op in region.ops:
        pure = (isinstance(op, (Load, Assign)) or
                (isinstance(op, Prim) and op.name not in ("tape", "grow", "reserve")))
        if pure and op.results and not any(id(r) in used for r in op.results):
            removed = True
            continue
        for sub in op.regions():
            removed |= _drop_unused(sub, used)
        kept.append(op)
    region.ops = kept
    return removed

"""Copy propagation over imperative IR, in time linear in the function's length.

``y = x`` goes and every read of ``y`` reads ``x`` instead where ``y`` is assigned only
there, every read of ``y`` follows the copy in its region, and ``x`` is not reassigned on a
path from the copy to a read of ``y``. Asking that of each copy by walking the code after
it is quadratic on long generated adjoints (a copy near the top of a 1,000-line function
walks the other 999 lines), so the questions are answered from one numbering of the
function instead: every read and every assignment gets its program position once, and a
copy is checked against the positions of its own reads and of its source's assignments.

Positions: a statement reads its operands at its start and assigns its results just after
(a ``y = f(x)`` reads before it writes); a region assigns its block arguments at its start
and reads its yields at its end; a loop or ``if`` assigns its results at its end. A read
inside a loop that begins after the copy may run again after anything in that loop, so it
counts as a read at the loop's end. ``x`` reassigned between the copy and the last read so
counted keeps the copy (a reassignment in one branch of an ``if`` and a read in the other
keep it too: a little conservative, never wrong).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass

from ..frontend.ir import Assign, For, Function, Region, Undef, While, walk
from .irtools import all_regions, named


@dataclass
class _Read:
    values: list        # the list that holds the read: an op's operands or a region's yields
    index: int
    position: int
    loops: tuple        # [start, end] of every loop around the read, outermost first


class _Positions:
    """Where ``fn`` reads and assigns each variable, numbered in program order (the reads
    of the variables some copy assigns, and the assignments of those and of what they copy:
    only those are ever asked about)."""

    def __init__(self, fn: Function):
        copies = [op for op in walk(fn.body) if isinstance(op, Assign) and named(op.results[0])]
        self.copied = {op.results[0].name for op in copies}
        self.asked = self.copied | {op.operands[0].name for op in copies
                                    if named(op.operands[0])}
        self.reads: dict[str, list[_Read]] = defaultdict(list)
        self.assigns: dict[str, list[int]] = defaultdict(list)   # ascending
        self.start: dict[int, int] = {}      # id(copy) -> its position
        self.end: dict[int, int] = {}        # id(region) -> the position of its yields
        self._clock = 0
        for v in fn.params + fn.free_vars:
            self.assigns[v.name].append(0)
        self._region(fn.body, ())

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    def _assign(self, values, position: int):
        for v in values:
            if named(v) and v.name in self.asked:
                self.assigns[v.name].append(position)

    def _read(self, values: list, position: int, loops: tuple):
        for i, v in enumerate(values):
            if named(v) and v.name in self.copied:
                self.reads[v.name].append(_Read(values, i, position, loops))

    def _region(self, region: Region, loops: tuple):
        self._assign(region.args, self._tick())
        for op in region.ops:
            start = self._tick()
            if type(op) is Assign:
                self.start[id(op)] = start
            self._read(op.operands, start, loops)
            subs = op.regions()
            if not subs:
                self._assign(op.results, self._tick())
                continue
            span = [start, 0]
            inner = loops + (span,) if isinstance(op, (For, While)) else loops
            for sub in subs:
                self._region(sub, inner)
            span[1] = self._tick()
            self._assign(op.results, span[1])
        end = self._tick()
        self.end[id(region)] = end
        self._read(region.yields, end, loops)

    def last_effective_read(self, reads: list[_Read], after: int) -> int:
        """The latest position at which one of ``reads`` may see a value assigned after
        position ``after``: a read inside a loop that begins after it counts at the loop's
        end."""
        last = after
        for r in reads:
            at = next((span[1] for span in r.loops if span[0] > after), r.position)
            last = max(last, at)
        return last

    def assigned_between(self, name: str, first: int, last: int) -> bool:
        """Whether ``name`` is assigned at a position strictly between ``first`` and
        ``last``."""
        positions = self.assigns.get(name, ())
        k = bisect_right(positions, first)
        return k < len(positions) and positions[k] < last


def propagate_copies(fn: Function) -> bool:
    """Drop the copies of ``fn`` that can go (module docstring), rewriting their reads."""
    places = _Positions(fn)
    changed = False
    for region in all_regions(fn.body):
        end = places.end[id(region)]
        kept = []
        for op in region.ops:
            if _propagate(op, end, places):
                changed = True
            else:
                kept.append(op)
        region.ops = kept
    return changed


def _propagate(op, region_end: int, places: _Positions) -> bool:
    if not isinstance(op, Assign) or isinstance(op.operands[0], Undef) or \
            not named(op.results[0]):
        return False
    copy, source = op.results[0].name, op.operands[0]
    if len(places.assigns[copy]) != 1 or (named(source) and source.name == copy):
        return False
    at = places.start[id(op)]
    reads = places.reads.get(copy, [])
    if not all(at < r.position <= region_end for r in reads):
        return False
    if named(source) and places.assigned_between(
            source.name, at + 1, places.last_effective_read(reads, at)):
        return False
    for r in reads:
        r.values[r.index] = source
    if named(source):
        places.reads[source.name].extend(reads)
    places.reads[copy] = []
    places.assigns[copy] = []
    return True

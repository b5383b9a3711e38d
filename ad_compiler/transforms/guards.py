"""Values set for a loop that will not run.

Carrying a value into a reverse loop from the forward sweep's last iteration (``sin``/``cos``
of Kepler's last iterate) needs a guard: the value exists only when the loop ran, so the
transform emits ``if n > 0: s = sin(E) else: s = 0.0`` before ``for it in range(n - 1, -1,
-1)``. The zeros of the ``else`` are never read: on that path the loop, their only reader,
runs no iteration. They go here (the ``else`` with them, when nothing else is in it):

    if c: ...; v = e1        with  c = n > 0, nothing between the ``if`` and the loop
    else: ...; v = e2        reassigning ``n``, and every read of ``v`` in the program
    ...                      inside the loop's body: then ``v = e2`` is dead, since
    for i in range(n - 1, -1, -1):   ... v ...     the loop runs no iteration where it ran

``v`` must be assigned on the branch that runs before the loop can run (a read in the loop
then follows that assignment in the same pass through the block, not a stale one from an
earlier pass), and the loop ``range(0, n, 1)`` counts too; ``n <= 0`` tests the other way.

The loop is looked for among the few statements after the ``if`` (an early-exit scan of at
most ``_REACH`` statements), and each loop's reads are counted once: linear in the
function's length.
"""

from __future__ import annotations

from ..frontend.ir import Assign, Const, For, Function, If, Load, Op, Prim, Region, walk
from .irtools import all_regions, defined, is_int, named

_REACH = 8      # statements after an ``if`` looked at for the loop it guards

# (comparison, position of the constant, the constant) -> whether true means "count > 0"
_TESTS = {("gt", 1, 0): True, ("lt", 0, 0): True, ("ge", 1, 1): True,
          ("le", 1, 0): False, ("lt", 1, 1): False, ("ge", 0, 0): False}


def drop_values_for_skipped_loops(fn: Function) -> bool:
    """Drop, in every block of ``fn``, what a branch assigns only for a loop that does not
    run on that branch (see the module docstring); whether anything changed."""
    reads = None
    changed = False
    for region in all_regions(fn.body):
        for k, op in enumerate(region.ops):
            found = _guarded_loop(region, k) if isinstance(op, If) and not op.results \
                else None
            if found is None:
                continue
            loop, runs_on_then = found
            if reads is None:
                reads = _read_counts(fn.body)
            inside = _read_counts(loop.body)
            taken, skipped = (op.then, op.orelse) if runs_on_then else (op.orelse, op.then)
            certain = {v.name for x in taken.ops if not x.regions() for v in x.results
                       if named(v)}
            dead = [x for x in skipped.ops if _pure_assignment(x) and
                    x.results[0].name in certain and
                    inside.get(x.results[0].name, 0) == reads.get(x.results[0].name)]
            if dead:
                skipped.ops = [x for x in skipped.ops if all(x is not d for d in dead)]
                changed = True
    return changed


def _guarded_loop(region: Region, k: int):
    """(the loop, whether it can run only on the ``then`` branch) when ``region.ops[k]``
    tests ``n > 0`` (or ``n <= 0``) and one of the next statements is a loop of ``n``
    iterations, with ``n`` and the loop's bounds assigned before the test (``n``) and not
    again up to the loop; else None."""
    test = _count_test(region, k)
    if test is None:
        return None
    count, positive = test
    bound = None        # the name of ``n - 1`` when the loop counts down from it
    for p in range(k + 1, min(len(region.ops), k + 1 + _REACH)):
        op = region.ops[p]
        if isinstance(op, For) and _runs_count(op, count, bound):
            return op, positive
        assigned = defined(op)
        if count in assigned or (bound is not None and bound in assigned):
            return None
        if isinstance(op, Prim) and op.name == "sub" and named(op.operands[0]) and \
                op.operands[0].name == count and is_int(op.operands[1], 1):
            bound = op.results[0].name
    return None


def _count_test(region: Region, k: int):
    """(n, whether the test is ``n > 0``) for an ``if`` whose
    test is assigned just before it in the same block (with nothing in between touching
    ``n``), else None."""
    branch = region.ops[k]
    c = branch.operands[0]
    if not named(c):
        return None
    for j in range(k - 1, max(-1, k - 1 - _REACH), -1):
        op = region.ops[j]
        if c.name in defined(op):
            if not isinstance(op, Prim) or op.attrs or len(op.operands) != 2:
                return None
            for position in (0, 1):
                count, constant = op.operands[position], op.operands[1 - position]
                key = (op.name, 1 - position, constant.value if isinstance(constant, Const)
                       else None)
                if key in _TESTS and is_int(constant, key[2]) and named(count) and \
                        count.kind == "int" and \
                        not any(count.name in defined(x) for x in region.ops[j + 1:k + 1]):
                    return count.name, _TESTS[key]
            return None
    return None


def _runs_count(loop: For, count: str, bound) -> bool:
    """Whether ``loop`` is ``range(0, n, 1)`` or ``range(n - 1, -1, -1)`` (``bound`` the
    name of ``n - 1``): no iteration unless ``n > 0``."""
    start, stop, step = loop.operands[:3]
    if is_int(start, 0) and is_int(step, 1):
        return named(stop) and stop.name == count
    return is_int(stop, -1) and is_int(step, -1) and named(start) and start.name == bound


def _pure_assignment(op: Op) -> bool:
    return isinstance(op, (Assign, Load, Prim)) and len(op.results) == 1 and \
        named(op.results[0]) and not (isinstance(op, Prim) and op.name in (
            "reserve", "grow", "list_put", "put_reference", "opaque_call"))


def _read_counts(region: Region) -> dict:
    counts: dict[str, int] = {}
    for op in walk(region):
        for v in op.operands + [y for sub in op.regions() for y in sub.yields]:
            if named(v):
                counts[v.name] = counts.get(v.name, 0) + 1
    for v in region.yields:
        if named(v):
            counts[v.name] = counts.get(v.name, 0) + 1
    return counts

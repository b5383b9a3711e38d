"""Copies that a later update of the same variable overwrites, on straight-line code.

The reverse transform copies a carried adjoint into a fresh variable and then updates it
(``b_y_2 = b_y; b_y_2 = b_y_2 + e``). The copy's variable is assigned twice, so copy
propagation (:mod:`.copies`, which handles a variable assigned once) leaves it, and the
printed adjoint keeps ``b_y_2 = b_y + e; b_y = b_y_2``. Here, within one block, the reads
of ``y`` after ``y = x`` read ``x`` while neither is reassigned; when the next assignment
of ``y`` is a plain statement of the same block and every read in between was rewritten,
the copy goes: ``b_y_2 = b_y + e`` is left, which the clean-up's copy-back rule then
writes ``b_y = b_y + e``.

One walk per block, with the copies still open indexed by their source: linear in the
function's length.
"""

from __future__ import annotations

from ..frontend.ir import Assign, Function, Region
from .irtools import defined, named, read, rewrite_blocks

_SCALARS = ("float", "int", "bool")


def forward_updated_copies(fn: Function) -> bool:
    """Rewrite every block of ``fn`` (see the module docstring); whether anything changed."""
    return rewrite_blocks(fn, _forward_in_block)


def _forward_in_block(region: Region) -> bool:
    open_copies: dict[str, int] = {}     # y -> index of its copy ``y = x`` in region.ops
    by_source: dict[str, set] = {}       # x -> the y of the open copies of x
    blocked: set[int] = set()            # copies read where the rewrite does not reach
    dead: set[int] = set()
    changed = False

    def close(name):
        k = open_copies.pop(name, None)
        if k is not None:
            by_source[region.ops[k].operands[0].name].discard(name)

    for k, op in enumerate(region.ops):
        if not open_copies and not _is_copy(op):
            continue        # (nothing open: what a statement reads or assigns cannot matter)
        if op.regions():
            for name in read(op) & open_copies.keys():
                blocked.add(open_copies[name])
        else:
            new = [region.ops[open_copies[v.name]].operands[0]
                   if named(v) and v.name in open_copies else v for v in op.operands]
            if any(a is not b for a, b in zip(new, op.operands)):
                op.operands = new
                changed = True
        assigned = defined(op)
        for name in assigned:
            j = open_copies.get(name)
            if j is not None and not op.regions() and j not in blocked:
                dead.add(j)
            close(name)
            for y in list(by_source.get(name, ())):
                close(y)
        if _is_copy(op):
            open_copies[op.results[0].name] = k
            by_source.setdefault(op.operands[0].name, set()).add(op.results[0].name)
    if dead:
        region.ops = [op for k, op in enumerate(region.ops) if k not in dead]
    return changed or bool(dead)


def _is_copy(op) -> bool:
    """``y = x`` of two scalar variables (arrays are left alone: a copy is an alias)."""
    return isinstance(op, Assign) and named(op.operands[0]) and named(op.results[0]) and \
        op.operands[0].name != op.results[0].name and \
        op.results[0].kind in _SCALARS and op.operands[0].kind in _SCALARS

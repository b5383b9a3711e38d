"""Accumulations that are the first write of their element into fresh zeros.

A gradient array starts as zeros (``b_x = zeros_like(x)``) and every contribution is added
(``b_x[2 * i] += e``): a load, an add and a store, where a hand-written adjoint assigns
when it knows the element is still zero. That is known here when the first statement to
touch the array after its allocation is a loop whose body only adds into it at indices
``a * i + c`` of the loop index (never negative), with one ``a > 0`` and constants
``c >= 0`` that differ by less than ``a``: no two iterations, nor two stores of one
iteration, reach the same element, so each
store meets the zero and ``b[a * i + c] = e`` gives the same element (``0.0 + e`` is ``e``;
only the sign of a zero sum can differ, as elsewhere in the clean-up).

One walk per block, the arrays still untouched since their allocation kept in a dict: the
cost is that of reading each statement's names once per enclosing block.
"""

from __future__ import annotations

from dataclasses import replace

from ..frontend.ir import Const, For, Function, Prim, Region, Store
from .irtools import defined, named, read, rewrite_blocks

_ZEROS = ("adjoint_zero", "zeros", "zeros_like")


def assign_first_writes(fn: Function) -> bool:
    """Rewrite every block of ``fn`` (see the module docstring); whether anything changed."""
    return rewrite_blocks(fn, _in_block)


def _in_block(region: Region) -> bool:
    fresh: set[str] = set()      # zeroed arrays nothing has touched since
    changed = False
    for op in region.ops:
        if fresh:
            touched = read(op) | defined(op)
            if isinstance(op, For):
                for name in touched & fresh:
                    changed |= _assign_in_loop(op, name)
            fresh -= touched
        if isinstance(op, Prim) and op.name in _ZEROS and named(op.results[0]):
            fresh.add(op.results[0].name)
    return changed


def _assign_in_loop(loop: For, name: str) -> bool:
    """Turn the accumulating stores into ``name`` of ``loop``'s body into assignments when
    they are its only touches of ``name`` and reach distinct elements."""
    index = loop.body.args[0].name
    affine = {index: (1, 0)}      # name -> (a, c): it holds a * index + c
    counts: dict[str, int] = {}   # assignments in the body, nested blocks included
    for op in loop.body.ops:
        for assigned in defined(op):
            counts[assigned] = counts.get(assigned, 0) + 1
    if counts.get(index) or not _nonnegative_index(loop):
        return False
    stores, offsets, scale = [], [], None
    for op in loop.body.ops:
        if isinstance(op, Prim) and len(op.results) == 1 and \
                counts.get(op.results[0].name) == 1:
            form = _affine(op, affine)
            if form is not None:
                affine[op.results[0].name] = form
        if name not in read(op) | defined(op):
            continue
        if not (isinstance(op, Store) and op.accumulate and len(op.operands) == 3 and
                named(op.operands[0]) and op.operands[0].name == name and
                named(op.operands[1]) and op.operands[1].name in affine and
                not (named(op.operands[2]) and op.operands[2].name == name)):
            return False
        a, c = affine[op.operands[1].name]
        if a == 0 or (scale is not None and a != scale):
            return False
        scale = a
        stores.append(op)
        offsets.append(c)
    if not stores or len(set(offsets)) != len(offsets) or scale <= 0 or min(offsets) < 0 \
            or max(offsets) - min(offsets) >= scale:
        return False        # (a negative index counts from the end: another element)
    loop.body.ops = [replace(op, accumulate=False) if any(op is s for s in stores) else op
                     for op in loop.body.ops]
    return True


def _nonnegative_index(loop: For) -> bool:
    """Whether the loop index is never negative: ``range(s, n, +k)`` with ``s >= 0``, or
    ``range(m, t, -k)`` with ``t >= -1``."""
    start, stop, step = loop.operands[:3]
    if not (isinstance(step, Const) and step.kind == "int" and step.value != 0):
        return False
    bound = start if step.value > 0 else stop
    return isinstance(bound, Const) and bound.kind == "int" and \
        bound.value >= (0 if step.value > 0 else -1)


def _affine(op: Prim, affine: dict):
    """(a, c) when ``op`` computes ``a * i + c`` from a value of ``affine`` and int
    constants, else None."""
    if op.name not in ("add", "sub", "mul") or op.attrs or len(op.operands) != 2 or \
            op.results[0].kind != "int":
        return None
    x, y = op.operands
    known = [v for v in (x, y) if named(v) and v.name in affine]
    const = [v for v in (x, y) if isinstance(v, Const) and v.kind == "int"]
    if len(known) != 1 or len(const) != 1:
        return None
    (a, c), k = affine[known[0].name], const[0].value
    if op.name == "mul":
        return a * k, c * k
    if op.name == "add":
        return a, c + k
    return (a, c - k) if x is known[0] else (-a, k - c)

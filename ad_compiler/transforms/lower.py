"""Lowering of composite primitives into the primitives they are defined by.

A composite record (``expand`` in :mod:`ad_compiler.rules.table`: ``np.var``, ``np.swapaxes``,
``np.vstack``, ``np.dot`` of N-D operands...) is written against the rules' ops namespace and
may depend on its operands' ranks, so it is expanded after specialisation has set them. The
expansion replaces the op in place (its result becomes an ``Assign`` of the expansion's), so
every later pass, both differentiation modes and every backend see only primitives with rules.
A composite whose operand ranks are still unknown stays: it then runs as NumPy's function
and has no derivative (the transforms say so).
"""

from __future__ import annotations

from ..errors import DifferentiationError
from ..frontend.ir import Assign, Function, Prim, Region
from ..rules import PRIMITIVES
from .builder import Builder, Namer, rank_known
from .irtools import all_names

def lower_composites(fn: Function) -> bool:
    """Expand every composite of ``fn`` whose operand ranks are known; True if any was."""
    return _lower(fn, fn.body, Namer(all_names(fn)))




def _lower(fn, region: Region, namer: Namer) -> bool:
    changed = False
    ops = []
    for op in region.ops:
        for sub in op.regions():
            changed |= _lower(fn, sub, namer)
        prim = PRIMITIVES.get(op.name) if isinstance(op, Prim) else None
        if prim is None or prim.expand is None or not all(map(rank_known, op.operands)):
            ops.append(op)
            continue
        builder = Builder(namer, op.line)
        try:
            out = prim.expand(builder, *[builder.wrap(v) for v in op.operands],
                              **{**prim.attrs, **op.attrs})
        except DifferentiationError as exc:
            raise DifferentiationError(str(exc), construct=op.name, function=fn.name,
                                       filename=fn.filename, line=op.line) from None
        ops.extend(builder.ops)
        ops.append(Assign([op.results[0]], [builder.lift(out)], op.line))
        changed = True
    region.ops = ops
    return changed

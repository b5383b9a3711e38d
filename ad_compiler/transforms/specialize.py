"""Specialisation of the IR to the kinds of the arguments of a call.

The frontend infers kinds from the code alone, so a parameter that is never indexed stays
``"any"``: it could be a float or an array, and derivative code for it must then call generic
helpers (``_rt.unbroadcast``, ``_rt.zeros_like``). Knowing at the first call that it is a
float lets the transforms emit plain scalar code instead. This pass copies the IR with the
parameters' kinds set and propagates kinds forward through every op again (to a fixed point
through loops).
"""

from __future__ import annotations

import copy

import numpy as np

from ..frontend.ir import Assign, For, Function, If, Load, Prim, Region, While
from ..rules import PRIMITIVES
from .builder import result_kind

_SCALARS = ("float", "int", "bool")


def kind_of_argument(value) -> str:
    """The IR kind of a runtime argument."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, np.ndarray):
        return "array" if value.ndim else "float"
    return "any"


def join(a: str, b: str) -> str:
    if a == b:
        return a
    pair = {a, b}
    if pair <= {"int", "bool"}:
        return "int"
    if pair <= set(_SCALARS):
        return "float"
    if "none" in pair:
        return (pair - {"none"}).pop()
    return "any"


def specialize(fn: Function, param_kinds) -> Function:
    """A copy of ``fn`` whose parameters have ``param_kinds`` ("any" leaves one as it is)."""
    new = copy.deepcopy(fn)
    for getter_attr in ("free_var_getters",):
        if hasattr(fn, getter_attr):
            setattr(new, getter_attr, getattr(fn, getter_attr))
    for param, kind in zip(new.params, param_kinds):
        if param.kind == "any":
            param.kind = kind
    _propagate(new.body)
    return new


def _propagate(region: Region) -> bool:
    """Recompute result kinds in ``region``; True when some kind changed."""
    changed = False
    for op in region.ops:
        if isinstance(op, Prim):
            kind = _prim_kind(op)
            changed |= _set(op.results, [kind])
        elif isinstance(op, Assign):
            changed |= _set(op.results, [op.operands[0].kind])
        elif isinstance(op, Load):
            array = op.operands[0]
            if array.kind in _SCALARS:   # indexing a shape tuple or a scalar tape
                changed |= _set(op.results, [array.kind])
        elif isinstance(op, If):
            changed |= _propagate(op.then) | _propagate(op.orelse)
            changed |= _set(op.results, [join(a.kind, b.kind)
                                         for a, b in zip(op.then.yields, op.orelse.yields)])
        elif isinstance(op, (For, While)):
            changed |= _propagate_loop(op)
    return changed


def _propagate_loop(op) -> bool:
    carried = op.body.args[1:] if isinstance(op, For) else op.body.args
    others = [op.cond.args] if isinstance(op, While) else []
    changed = False
    for _ in range(8):
        kinds = [join(i.kind, y.kind) for i, y in zip(op.inits, op.body.yields)]
        step = _set(carried, kinds)
        for args in others:
            step |= _set(args, kinds)
        if isinstance(op, While):
            step |= _propagate(op.cond)
        step |= _propagate(op.body)
        changed |= step
        if not step:
            break
    changed |= _set(op.results, [join(i.kind, y.kind)
                                 for i, y in zip(op.inits, op.body.yields)])
    return changed


def _prim_kind(op: Prim) -> str:
    prim = PRIMITIVES.get(op.name)
    current = op.results[0].kind
    if prim is not None and (prim.elementwise or prim.result_kind is not None):
        return result_kind(op.name, op.operands)
    if current == "any" and all(v.kind in _SCALARS for v in op.operands):
        return "float"
    return current


def _set(values, kinds) -> bool:
    changed = False
    for v, kind in zip(values, kinds):
        if v.kind != kind:
            v.kind = kind
            changed = True
    return changed

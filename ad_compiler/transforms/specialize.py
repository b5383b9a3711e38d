"""Specialisation of the IR to the types of the arguments of a call.

The frontend infers kinds from the code alone, so a parameter that is never indexed stays
``"any"`` (a float or an array), and a row ``a[i]`` of a matrix looks like a scalar. Generated
code for such values must call generic helpers (``_rt.unbroadcast``, ``_rt.zeros_like``) and
cannot choose between recording and recomputing them. Knowing the arguments at the first call
settles it: this pass copies the IR with the parameters' kinds and numbers of dimensions set,
and propagates both forward through every op (to a fixed point through loops), using each
primitive's ``ndim`` rule from the table.
"""

from __future__ import annotations

import numpy as np

from ..frontend.ir import (Assign, Const, For, Function, If, Load, Prim, Region, Store, While,
                           copy_ir, walk)
from .builder import result_signature
from .simplify import simplify

_SCALARS = ("float", "int", "bool")


def signature_of_argument(value) -> tuple[str, int | None]:
    """The IR kind and number of dimensions of a runtime argument."""
    if isinstance(value, (bool, np.bool_)):
        return "bool", 0
    if isinstance(value, (int, np.integer)):
        return "int", 0
    if isinstance(value, (float, np.floating)):
        return "float", 0
    if isinstance(value, np.ndarray):
        return ("array", value.ndim) if value.ndim else ("float", 0)
    return "any", None


def display_signature(fn: Function) -> tuple:
    """The ``(kind, ndim)`` per parameter that ``.source`` assumes before any call: a
    parameter the code does not show to be an array is a float; an array's rank is the
    largest number of indices the code uses on it (1 when it only passes it whole)."""
    ranks = {}
    for op in walk(fn.body):
        if isinstance(op, (Load, Store)):
            array = op.operands[0]
            index = op.operands[1:-1] if isinstance(op, Store) else op.operands[1:]
            used = sum(1 for i in index if not (isinstance(i, Const) and i.value is None))
            ranks[id(array)] = max(ranks.get(id(array), 1), used)
    return tuple(("float", 0) if p.kind == "any"
                 else (p.kind, p.ndim if p.ndim is not None or p.kind != "array"
                       else ranks.get(id(p), 1))
                 for p in fn.params)


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


def _join_ndim(a, b):
    return a if a == b else None


def specialize(fn: Function, signature) -> Function:
    """A copy of ``fn`` whose parameters have the ``(kind, ndim)`` of ``signature`` (kind
    "any" leaves a parameter as the frontend inferred it)."""
    new = copy_ir(fn)
    if hasattr(fn, "free_var_getters"):
        new.free_var_getters = fn.free_var_getters
    for param, (kind, ndim) in zip(new.params, signature):
        if param.kind == "any" or (param.kind == "array" and kind == "array"):
            param.kind, param.ndim = kind, ndim
    for value, getter in zip(new.free_vars, getattr(fn, "free_var_getters", ())):
        value.kind, value.ndim = signature_of_argument(getter())
    _propagate(new.body)
    return simplify(new)


def _propagate(region: Region) -> bool:
    """Recompute result kinds and ndims in ``region``; True when something changed."""
    changed = False
    for op in region.ops:
        if isinstance(op, Prim):
            changed |= _set(op.results[0], *_prim_signature(op))
        elif isinstance(op, Assign):
            changed |= _set(op.results[0], op.operands[0].kind, op.operands[0].ndim)
        elif isinstance(op, Load):
            changed |= _set(op.results[0], *_load_signature(op))
        elif isinstance(op, If):
            changed |= _propagate(op.then) | _propagate(op.orelse)
            for r, a, b in zip(op.results, op.then.yields, op.orelse.yields):
                changed |= _set(r, join(a.kind, b.kind), _join_ndim(a.ndim, b.ndim))
        elif isinstance(op, (For, While)):
            changed |= _propagate_loop(op)
    return changed


def _propagate_loop(op) -> bool:
    """Optimistic fixed point: carried values start as their inits and widen only when the
    body yields something else."""
    carried = op.body.args[1:] if isinstance(op, For) else op.body.args
    groups = [carried, op.results] + ([op.cond.args] if isinstance(op, While) else [])
    assumed = [(init.kind, init.ndim) for init in op.inits]
    changed = False
    for _ in range(8):
        for k, signature in enumerate(assumed):
            for group in groups:
                changed |= _set(group[k], *signature)
        if isinstance(op, While):
            changed |= _propagate(op.cond)
        changed |= _propagate(op.body)
        widened = [(join(kind, new.kind), _join_ndim(ndim, new.ndim))
                   for (kind, ndim), new in zip(assumed, op.body.yields)]
        if widened == assumed:
            break
        assumed = widened
    return changed


def _prim_signature(op: Prim):
    return result_signature(op.name, op.operands, op.attrs, op.results[0].kind)


def _load_signature(op: Load):
    array, *index = op.operands
    result = op.results[0]
    if array.kind == "shape":
        return "int", 0
    if array.ndim is None:
        return result.kind, result.ndim
    ndim = array.ndim
    for i in index:
        if isinstance(i, Const) and i.value is None:
            ndim += 1
        elif i.kind in ("int", "bool"):
            ndim -= 1
    return ("float" if ndim == 0 else "array"), ndim


def _set(value, kind, ndim) -> bool:
    if (value.kind, value.ndim) == (kind, ndim):
        return False
    value.kind, value.ndim = kind, ndim
    return True

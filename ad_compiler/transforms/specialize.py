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

from ..analysis.memory import user_name
from ..errors import DifferentiationError
from ..frontend.ir import (Assign, Const, For, Function, If, Load, Prim, Region, Store, Value,
                           While, copy_ir, walk)
from ..rules.indexing import COMPARISONS, INDEX_RESULTS
from ..rules.table import INTEGER_CLOSED
from .builder import Namer, result_signature
from .irtools import all_names, all_regions
from .lower import lower_composites
from .inplace import lower_inplace_updates
from .simplify import simplify

_SCALARS = ("float", "int", "bool")


def signature_of_argument(value) -> tuple:
    """The IR kind and number of dimensions of a runtime argument, and for an array of
    integers or booleans its element kind: ``("array", 1, "int")``. Elements loaded from such
    an array are indices (never differentiated); the dtype is part of the key the generated
    code is specialised and cached on."""
    if isinstance(value, (bool, np.bool_)):
        return "bool", 0
    if isinstance(value, (int, np.integer)):
        return "int", 0
    if isinstance(value, (float, np.floating)):
        return "float", 0
    if isinstance(value, (complex, np.complexfloating)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "c"):
        raise DifferentiationError("complex values are not supported (an argument of dtype "
                                   f"{np.asarray(value).dtype})", construct="complex")
    if isinstance(value, np.ndarray):
        elements = _element_kind(value.dtype)
        if not value.ndim:
            return (elements or "float"), 0
        return ("array", value.ndim) if elements is None else ("array", value.ndim, elements)
    return "any", None


def _element_kind(dtype) -> str | None:
    if dtype == np.bool_:
        return "bool"
    if np.issubdtype(dtype, np.integer):
        return "int"
    return None


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
    for param, (kind, ndim, *dtype) in zip(new.params, signature):
        if param.kind == "any" or (param.kind == "array" and kind == "array") or \
                (param.kind == "float" and kind == "int"):
            param.kind, param.ndim = kind, ndim
            param.dtype = dtype[0] if dtype else None
    for value, getter in zip(new.free_vars, getattr(fn, "free_var_getters", ())):
        value.kind, value.ndim, *dtype = signature_of_argument(getter())
        value.dtype = dtype[0] if dtype else None
    _propagate(new.body)
    if _spell_out_ellipses(new):
        _propagate(new.body)
    while lower_composites(new):
        _propagate(new.body)
    _check_flat_indexing(new)
    _check_stores_into_mixed(new)
    return simplify(lower_inplace_updates(new))


def _spell_out_ellipses(fn: Function) -> bool:
    """``x[..., 0]`` -> ``x[:, :, 0]``: the ellipsis of each element read or write becomes
    the full slices of the axes the other indices leave (the array's rank is known now), so
    that every later pass sees only indices it knows. True if there was one."""
    namer = None        # (made at the first ellipsis: most functions have none)
    for region in all_regions(fn.body):
        ops = []
        for op in region.ops:
            if isinstance(op, (Load, Store)) and any(_is_ellipsis(v) for v in op.operands):
                namer = namer or Namer(all_names(fn))
                ops.extend(_ellipsis_slices(fn, op, namer))
            ops.append(op)
        region.ops = ops
    return namer is not None


def _is_ellipsis(v) -> bool:
    return isinstance(v, Const) and v.kind == "ellipsis"


def _ellipsis_slices(fn, op, namer) -> list:
    """The ``slice(None, None, None)`` ops that replace ``op``'s ellipsis (in place)."""
    array, *index = op.operands[:-1] if isinstance(op, Store) else op.operands
    if array.kind != "array" or array.ndim is None:
        raise DifferentiationError(
            f"'...' in an index of '{user_name(array)}', whose rank is not known here",
            construct="ellipsis", function=fn.name, filename=fn.filename, line=op.line)
    used = sum(0 if (isinstance(i, Const) and i.value is None) or _is_ellipsis(i) else
               (i.ndim or 1) if i.kind == "bool" or i.dtype == "bool" else 1 for i in index)
    slices = []
    for _ in range(max(array.ndim - used, 0)):
        full = namer.value("_t", "slice")
        slices.append(Prim([full], [Const(None)] * 3, op.line, name="slice"))
    at = next(k for k, v in enumerate(op.operands) if _is_ellipsis(v))
    op.operands = op.operands[:at] + [p.results[0] for p in slices] + op.operands[at + 1:]
    return slices


def _check_stores_into_mixed(fn: Function):
    """An array that holds ints on one path and floats on another (the two branches of an
    ``if``, a loop's initial value and what its body yields) is taken as float; a float
    stored into it, or into a view of it, would be truncated by NumPy on the integer path,
    where its derivative is zero: refused, never a wrong derivative."""
    def ints(v):
        return v.kind == "array" and v.dtype in ("int", "bool")

    def joined(v):
        return v.kind == "array" and v.dtype is None

    mixed: set = set()
    for op in walk(fn.body):
        if isinstance(op, If):
            mixed.update(id(r) for r, a, b in zip(op.results, op.then.yields, op.orelse.yields)
                         if joined(r) and (ints(a) or ints(b)))
        elif isinstance(op, (For, While)):
            carried = op.body.args[1:] if isinstance(op, For) else op.body.args
            slots = zip(op.inits, carried, op.results,
                        op.cond.args if isinstance(op, While) else op.results)
            for init, *values in slots:
                if ints(init) and joined(values[0]):
                    mixed.update(id(v) for v in values)
        elif isinstance(op, (Load, Assign)) and op.results and \
                id(op.operands[0]) in mixed and op.results[0].kind == "array":
            mixed.add(id(op.results[0]))
        elif isinstance(op, Store) and id(op.operands[0]) in mixed and \
                op.operands[-1].differentiable:
            raise DifferentiationError(
                f"a float stored into '{user_name(op.operands[0])}', an array of ints on one path "
                "and of floats on another (NumPy truncates the float on the integer path): "
                "give it one dtype on every path (dtype=float)", construct="store",
                function=fn.name, filename=fn.filename, line=op.line)


def _check_flat_indexing(fn: Function):
    """``np.put`` and one-argument ``np.nonzero``/``np.where`` are lowered for 1-D arrays
    (where they are plain indexing); on more dimensions they are refused, never guessed."""
    for op in walk(fn.body):
        if isinstance(op, Store) and op.flat:
            array, what = op.operands[0], "np.put"
        elif isinstance(op, Prim) and op.name == "nonzero":
            array, what = op.operands[0], "np.nonzero / one-argument np.where"
        else:
            continue
        if array.ndim is not None and array.ndim > 1:
            raise DifferentiationError(
                f"{what} of a {array.ndim}-D array is not supported (index it with a tuple "
                "of index arrays instead)", construct=what, function=fn.name,
                filename=fn.filename, line=op.line)


def _propagate(region: Region) -> bool:
    """Recompute result kinds and ndims in ``region``; True when something changed."""
    changed = False
    for op in region.ops:
        if isinstance(op, Prim):
            _resolve_dtype(op)
            kind, ndim = _prim_signature(op)
            changed |= _set(op.results[0], kind, ndim, element_kind(op, kind))
        elif isinstance(op, Assign):
            x = op.operands[0]
            changed |= _set(op.results[0], x.kind, x.ndim, x.dtype)
        elif isinstance(op, Load):
            changed |= _set(op.results[0], *load_signature(op))
        elif isinstance(op, If):
            changed |= _propagate(op.then) | _propagate(op.orelse)
            for r, a, b in zip(op.results, op.then.yields, op.orelse.yields):
                changed |= _set(r, join(a.kind, b.kind), _join_ndim(a.ndim, b.ndim),
                                _join_ndim(a.dtype, b.dtype))
        elif isinstance(op, (For, While)):
            changed |= _propagate_loop(op)
    return changed


def _propagate_loop(op) -> bool:
    """Optimistic fixed point: carried values start as their inits and widen only when the
    body yields something else."""
    carried = op.body.args[1:] if isinstance(op, For) else op.body.args
    groups = [carried, op.results] + ([op.cond.args] if isinstance(op, While) else [])
    assumed = [(init.kind, init.ndim, init.dtype) for init in op.inits]
    # a range index is a Python int (a known scalar: ``grad``'s output check reads ndims)
    changed = isinstance(op, For) and _set(op.body.args[0], "int", 0)
    for _ in range(8):
        for k, signature in enumerate(assumed):
            for group in groups:
                changed |= _set(group[k], *signature)
        if isinstance(op, While):
            changed |= _propagate(op.cond)
        changed |= _propagate(op.body)
        widened = [(join(kind, new.kind), _join_ndim(ndim, new.ndim),
                     _join_ndim(dtype, new.dtype))
                   for (kind, ndim, dtype), new in zip(assumed, op.body.yields)]
        if widened == assumed:
            break
        assumed = widened
    return changed


def _prim_signature(op: Prim):
    return result_signature(op.name, op.operands, op.attrs, op.results[0].kind)


def load_signature(op: Load):
    """``(kind, ndim, dtype)`` of ``array[index]`` by NumPy's rules: an integer consumes an
    axis, ``None`` adds one, integer arrays (broadcast together) replace the axes they index
    and a boolean mask the axes it covers by one; an element of an integer array is an int."""
    array, *index = op.operands
    result = op.results[0]
    if array.kind == "shape":
        return "int", 0, None
    if array.ndim is None:
        return result.kind, result.ndim, array.dtype
    ndim = array.ndim
    advanced = []   # the ndims the advanced indices broadcast together contribute
    for i in index:
        if isinstance(i, Const) and i.value is None:
            ndim += 1
        elif i.kind == "bool" and (i.ndim or 0) > 0:
            ndim -= i.ndim      # a comparison of arrays (kind bool, its ndim): a mask
            advanced.append(1)
        elif i.kind in ("int", "bool") or (i.kind == "float" and i.ndim == 0):
            ndim -= 1   # a scalar index (one loaded from an integer array of unknown dtype)
        elif i.kind == "array":
            if i.ndim is None:
                return result.kind, result.ndim, array.dtype
            mask = i.dtype == "bool"
            ndim -= i.ndim if mask else 1
            advanced.append(1 if mask else i.ndim)
    ndim += max(advanced, default=0)
    if ndim == 0:
        return array.dtype or "float", 0, None
    return "array", ndim, array.dtype


_DTYPE_NAMES = {None: "float64", "int": "int64", "bool": "bool"}
_ELEMENT_KINDS = {"int64": "int", "int32": "int", "bool": "bool"}


def _resolve_dtype(op: Prim):
    """``dtype=x.dtype`` of an allocation becomes x's dtype name (x is specialised)."""
    like = op.attrs.get("dtype")
    if isinstance(like, Value):
        elements = like.dtype if like.kind == "array" else like.kind
        op.attrs = {**op.attrs, "dtype": _DTYPE_NAMES.get(elements, "float64")}


def element_kind(op: Prim, kind: str) -> str | None:
    """The element kind of an array a primitive returns: integer producers (``argsort``,
    ``nonzero``...) give indices, comparisons masks, integer-closed arithmetic on indices
    indices; everything else floats (None)."""
    if kind != "array":
        return None
    if isinstance(op.attrs.get("dtype"), str):
        return _ELEMENT_KINDS.get(op.attrs["dtype"])
    produced = INDEX_RESULTS.get(op.name)
    if produced is not None:
        return produced
    if op.name in COMPARISONS:
        return "bool"
    elements = {v.dtype if v.kind == "array" else v.kind for v in op.operands}
    if op.name in INTEGER_CLOSED and elements <= {"int", "bool"}:
        return "int"
    if op.name in _ELEMENTS_OF_OPERAND and op.operands:
        like = op.operands[0]       # (``np.zeros_like(idx)`` of an int array holds ints)
        return like.dtype if like.kind == "array" else \
            like.kind if like.kind in ("int", "bool") else None
    if op.name in _ELEMENTS_OF_VALUES:
        # ``np.full(n, 0)``, ``np.arange(n)``, ``np.concatenate([idx, idx])``: NumPy's ints
        # (a float stored into one is truncated, so no derivative reaches through it)
        values = op.operands[1:] if op.name in ("full", "where") else op.operands
        elements = {v.dtype if v.kind == "array" else v.kind for v in values
                    if v.kind not in _STATIC_KINDS}
        if elements and elements <= {"int", "bool"}:
            return "bool" if elements == {"bool"} and op.name not in _COUNTING else "int"
    return None


# primitives whose result has the elements of their first operand (no dtype= given)
_ELEMENTS_OF_OPERAND = frozenset({"copy", "transpose", "reshape", "ascontiguousarray",
                                  "zeros_like", "ones_like", "empty_like", "full_like"})
# primitives whose result has the common element kind of their value operands: ints when
# they are all ints or truth values (``full``'s fill, ``where``'s two choices)
_ELEMENTS_OF_VALUES = frozenset({
    "full", "arange", "where", "concatenate", "stack", "hstack", "vstack", "dstack",
    "column_stack", "row_stack", "repeat", "tile", "sort", "take_1d", "take_along_axis",
    "broadcast_to", "squeeze", "expand_dims", "ravel", "roll", "flip", "fliplr", "flipud",
    "rot90", "swapaxes", "moveaxis", "rollaxis", "atleast_1d", "atleast_2d", "atleast_3d",
    "diag", "diagonal", "triu", "tril", "pad", "append", "cumsum", "cumprod", "outer",
    "matmul", "dot", "kron", "clip", "array_copy", "asarray"})
_COUNTING = frozenset({"arange", "cumsum", "cumprod", "outer", "matmul", "dot", "kron"})
_STATIC_KINDS = frozenset({"shape", "slice", "none", "str"})


def _set(value, kind, ndim, dtype=None) -> bool:
    if (value.kind, value.ndim, value.dtype) == (kind, ndim, dtype):
        return False
    value.kind, value.ndim, value.dtype = kind, ndim, dtype
    return True

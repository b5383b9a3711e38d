"""Lowering of NumPy's indexing functions to the IR's loads, stores and indexing primitives.

Each function is lowered to what its definition says it is, so that one adjoint serves the
subscript and the call spellings alike:

=============================  ============================================================
``np.take(x, idx, axis=k)``    ``x[:, ..., idx]`` (``axis=None``: ``x.reshape(-1)[idx]``)
``np.add.at(y, index, v)``     an accumulating (unbuffered) store ``y[index] += v``
``np.put(y, idx, v)``          the buffered store ``y[idx] = v`` (1-D ``y``: see below)
``np.where(c)``, ``nonzero``   ``(flatnonzero(c),)`` for a 1-D ``c``
``np.bincount(i, weights=w)``  the ``bincount`` primitive (without weights: counts, an int)
``np.take_along_axis``         its primitive, whose adjoint adds duplicates
``np.argsort``, ``searchsorted``  integer producers: indices, never differentiated
=============================  ============================================================

Functions are matched by equality (``np.add.at`` is a new bound method at every access).
"""

from __future__ import annotations

import ast

import numpy as np

from ..rules import indexing as rules_indexing
from .ir import Const, Load, Store


def _lookup(obj):
    for fn, lower in _LOWERINGS:
        try:
            if obj == fn:
                return lower
        except Exception:   # noqa: BLE001 - objects whose == raises are not ours
            continue
    return None


def lower_call(b, obj, node):
    """The Value (or tuple) of a call of a NumPy indexing function, or None when ``obj`` is
    not one. ``b`` is the frontend's function builder."""
    lower = _lookup(obj)
    return None if lower is None else lower(b, node)


def lower_statement(b, obj, node) -> bool:
    """Emit a statement call that writes into its first argument (``np.add.at``,
    ``np.put``); False when ``obj`` is not one of them."""
    lower = _STATEMENTS.get(next((k for k, fn in _IN_PLACE if obj == fn), None))
    if lower is None:
        return False
    lower(b, node)
    return True


def _index(b, node):
    v = b.expr(node)
    return [b.as_value(e) for e in v] if isinstance(v, tuple) else [b.as_value(v)]


def _add_at(b, node):
    b.nargs(node, 3)
    b.kwargs(node, set())
    target = b.value(node.args[0])
    b.mark_array(target)
    b.emit(Store([], [target, *_index(b, node.args[1]), b.value(node.args[2])],
                 accumulate=True))


def _copyto(b, node):
    """``np.copyto(dst, src)``: ``dst[:] = src`` (broadcast; ``where=``/``casting=`` are not
    supported)."""
    b.nargs(node, 2)
    b.kwargs(node, set())
    target = b.value(node.args[0])
    b.mark_array(target)
    whole = b.prim("slice", [Const(None)] * 3, kind="slice")
    b.emit(Store([], [target, whole, b.value(node.args[1])]))


def _put(b, node):
    b.nargs(node, 3)
    b.kwargs(node, set())
    target = b.value(node.args[0])
    b.mark_array(target)
    where = node.args[1]      # np.put(y, [0, 2], v): the list is one array of positions
    positions = b.array_of(where) if isinstance(where, (ast.List, ast.Tuple)) \
        else b.value(where)
    store = Store([], [target, positions, b.value(node.args[2])])
    store.flat = True    # np.put indexes the flattened array: checked 1-D when specialised
    b.emit(store)


def _take(b, node):
    b.nargs(node, 2)
    axis = b.kwargs(node, {"axis"}).get("axis")
    x = b.value(node.args[0])
    b.mark_array(x)
    where = node.args[1]      # np.take(x, [0, 4, 4]): the list is one array of positions
    idx = b.array_of(where) if isinstance(where, (ast.List, ast.Tuple)) \
        else b.value(where)
    if axis is None:
        x = b.prim("reshape", [x, Const(-1)])
        index = [idx]
    else:
        if axis < 0:
            raise b.err("np.take with a negative axis is not supported (count from 0)",
                        "np.take", node)
        whole = b.prim("slice", [Const(None)] * 3, kind="slice")
        index = [whole] * axis + [idx]
    out = b.new("array")
    b.emit(Load([out], [x, *index]))
    return out


def _nonzero(b, node):
    b.nargs(node, 1)
    b.kwargs(node, set())
    c = b.value(node.args[0])
    b.mark_array(c)
    return (b.prim("nonzero", [c]),)   # checked 1-D when specialised


def _where(b, node):
    if len(node.args) == 1:
        return _nonzero(b, node)
    return b.call_elementwise("where", np.where, node)


def _bincount(b, node):
    b.nargs(node, 1)
    kw = {k.arg: k.value for k in node.keywords}
    unknown = set(kw) - {"weights", "minlength"}
    if unknown:
        raise b.err(f"keyword argument '{unknown.pop()}' is not supported in np.bincount",
                    "keyword argument", node)
    minlength = 0
    if "minlength" in kw:
        m = b.expr(kw["minlength"])
        if not isinstance(m, Const):
            raise b.err("np.bincount needs a constant minlength", "np.bincount", node)
        minlength = m.value
    idx = b.value(node.args[0])
    if "weights" not in kw:
        return b.prim("count_bins", [idx], {"minlength": minlength})
    return b.prim("bincount", [idx, b.value(kw["weights"])], {"minlength": minlength})


def _take_along_axis(b, node):
    b.nargs(node, 2, 3)
    kw = b.kwargs(node, {"axis"})
    axis = kw.get("axis")
    if len(node.args) == 3:
        a = b.expr(node.args[2])
        if not isinstance(a, Const):
            raise b.err("np.take_along_axis needs a constant axis", "np.take_along_axis",
                        node)
        axis = a.value
    if axis is None:
        raise b.err("np.take_along_axis needs an axis", "np.take_along_axis", node)
    return b.prim("take_along_axis", [b.value(node.args[0]), b.value(node.args[1])],
                  {"axis": axis})


def _producer(name):
    def lower(b, node):
        b.kwargs(node, set())
        return b.prim(name, [b.value(a) for a in node.args])
    return lower


def _same_array(b, node):
    """``np.ascontiguousarray(x)``: x itself (arguments arrive contiguous; a copy would
    break a user's writes through the result)."""
    b.nargs(node, 1)
    b.kwargs(node, set())
    x = b.value(node.args[0])
    b.mark_array(x)
    return x


def _flip_axis(b, node, axis):
    b.nargs(node, 1)
    node.keywords = [ast.keyword("axis", ast.Constant(axis))]
    return _flip(b, node)


def _integer(b, node):
    b.nargs(node, 1)
    b.kwargs(node, set())
    return b.prim("int", [b.value(node.args[0])])


def _flip(b, node):
    """``np.flip(x, axis=k)``: ``x[:, ..., ::-1]``; without an axis every axis is reversed
    (the ``flip`` primitive, whose rank the specialisation knows)."""
    b.nargs(node, 1, 2)
    axis = b.kwargs(node, {"axis"}).get("axis")
    if len(node.args) == 2:
        a = b.expr(node.args[1])
        if not isinstance(a, Const):
            raise b.err("np.flip needs a constant axis", "np.flip", node)
        axis = a.value
    x = b.value(node.args[0])
    b.mark_array(x)
    if axis is None:
        return b.prim("flip", [x])
    if not isinstance(axis, int) or axis < 0:
        raise b.err("np.flip takes one axis counted from 0", "np.flip", node)
    whole = b.prim("slice", [Const(None)] * 3, kind="slice")
    backwards = b.prim("slice", [Const(None), Const(None), Const(-1)], kind="slice")
    out = b.new("array")
    b.emit(Load([out], [x, *([whole] * axis), backwards]))
    return out


_LOWERINGS = [(np.ascontiguousarray, _same_array), (np.int64, _integer),
              (np.int32, _integer), (np.intp, _integer), (np.flip, _flip),
              (np.fliplr, lambda b, node: _flip_axis(b, node, 1)),
              (np.flipud, lambda b, node: _flip_axis(b, node, 0)),
              (np.take, _take), (np.where, _where), (np.nonzero, _nonzero),
              (np.flatnonzero, _producer("flatnonzero")), (np.bincount, _bincount),
              (np.take_along_axis, _take_along_axis), (np.argsort, _producer("argsort")),
              (np.searchsorted, _producer("searchsorted"))]
# (``_rt.add_at(a, (index...), v)`` is how generated code prints ``np.add.at``: read back, as
# the Hessian's forward pass reads the adjoint, it is the same unbuffered store)
_IN_PLACE = [("add_at", np.add.at), ("add_at", rules_indexing.add_at), ("put", np.put),
             ("copyto", np.copyto)]
_STATEMENTS = {"add_at": _add_at, "put": _put, "copyto": _copyto}


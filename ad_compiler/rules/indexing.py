"""Indirect indexing: gathers, scatters and the integer arrays that drive them.

NumPy has two scatters and generated code needs both:

* ``a[index] = v`` / ``a[index] += v`` (buffered): with a repeated index the last write wins
  and ``+=`` applies once. The IR's plain :class:`Store` has exactly this meaning.
* ``np.add.at(a, index, v)`` (unbuffered): every repeated index adds. The IR's accumulating
  ``Store`` has this meaning, for every index: the adjoint of a gather ``y = x[idx]`` is
  ``b_x[idx] += b_y`` with duplicates summed, and a user's ``np.add.at`` lowers to it. The
  emitter prints ``+=`` when every index is basic (the two meanings agree) and
  ``_rt.add_at(a, (index...), v)`` when one is an integer array or a mask.

The adjoint of a buffered scatter ``a[index] = v`` reads ``b_a[index]`` back into ``b_v``
only where the write took effect: :func:`last_writes` marks, per written position, whether no
later position of the same store wrote the same element.

Integer producers (``argsort``, ``searchsorted``, ``nonzero``, ``bincount`` without weights)
are never differentiated; :data:`INDEX_RESULTS` gives their element kind so that the
specialisation knows their results are indices.
"""

from __future__ import annotations

import numpy as np

from .table import Syntax, defjvp, defndim, defprim, defvjp

# primitives whose array result holds indices (the specialisation's element kinds)
INDEX_RESULTS = {"argsort": "int", "searchsorted": "int", "nonzero": "int",
                 "count_bins": "int", "flatnonzero": "int", "to_int": "int"}
COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not", "isnan",
                         "isfinite"})


def add_at(a, index, v):
    """``np.add.at(a, index, v)``: unbuffered, every repeated index adds (in place)."""
    np.add.at(a, index, v)


def last_writes(like, index):
    """1.0 at each position of ``like[index]`` whose element no later position writes, else
    0.0: which values of a buffered ``like[index] = v`` survive (NumPy writes in order)."""
    shape = np.shape(like[index])
    order = np.arange(int(np.prod(shape))).reshape(shape)
    owner = np.full(np.shape(like), -1)
    owner[index] = order
    return (owner[index] == order).astype(np.float64)


def bincount(idx, weights, minlength=0):
    return np.bincount(idx, weights=weights, minlength=minlength).astype(np.float64)


def count_bins(idx, minlength=0):
    return np.bincount(idx, minlength=minlength)


def take_along_axis(a, ind, axis):
    return np.take_along_axis(a, ind, axis)


def put_along_axis_add(g, like, ind, axis):
    """Zeros of ``like``'s shape with ``g`` added at ``take_along_axis``'s positions,
    duplicates summed (the transpose of ``take_along_axis``)."""
    out = np.zeros(np.shape(like))
    np.add.at(out, _along_axis_index(ind, axis, np.ndim(like)), g)
    return out


def _along_axis_index(ind, axis, ndim):
    axis = axis % ndim
    grids = np.ogrid[tuple(slice(n) for n in ind.shape)]
    return tuple(ind if k == axis else grids[k] for k in range(ndim))


def flatnonzero(c):
    return np.flatnonzero(c)


def take_1d(x, idx):
    return x[idx]


def scatter_add_like(g, like, idx):
    """Zeros of ``like``'s shape with ``g[k]`` added at ``idx[k]``, duplicates summed."""
    out = np.zeros(np.shape(like))
    np.add.at(out, idx, g)
    return out


defprim("bincount", 2, bincount, Syntax("helper", "bincount"), minlength=0)
defvjp("bincount", None, lambda o, g, ans, idx, w, minlength=0: o.take_1d(g, idx))
defjvp("bincount", lambda o, tangents, ans, idx, w, minlength=0:
       o.bincount(idx, tangents[1], minlength=minlength))
defprim("take_1d", 2, take_1d, Syntax("helper", "take_1d"))
defvjp("take_1d", lambda o, g, ans, x, idx: o.scatter_add_like(g, x, idx), None)
defjvp("take_1d", lambda o, tangents, ans, x, idx: o.take_1d(tangents[0], idx))
defprim("scatter_add_like", 3, scatter_add_like, Syntax("helper", "scatter_add_like"))
defvjp("scatter_add_like", lambda o, g, ans, gg, like, idx: o.take_1d(g, idx), None, None)
defjvp("scatter_add_like", lambda o, tangents, ans, gg, like, idx:
       o.scatter_add_like(tangents[0], like, idx))
defprim("count_bins", 1, count_bins, Syntax("helper", "count_bins"), differentiable=False,
        result_kind="array", minlength=0)
defprim("take_along_axis", 2, take_along_axis, Syntax("call", "np.take_along_axis"),
        axis=None)
defprim("put_along_axis_add", 3, put_along_axis_add, Syntax("helper", "put_along_axis_add"),
        axis=None)
defvjp("take_along_axis",
       lambda o, g, ans, a, ind, axis=None: o.put_along_axis_add(g, a, ind, axis=axis), None)
defvjp("put_along_axis_add",
       lambda o, g, ans, gg, like, ind, axis=None: o.take_along_axis(g, ind, axis=axis),
       None, None)
defjvp("take_along_axis", lambda o, tangents, ans, a, ind, axis=None:
       o.take_along_axis(tangents[0], ind, axis=axis))
defjvp("put_along_axis_add", lambda o, tangents, ans, g, like, ind, axis=None:
       o.put_along_axis_add(tangents[0], like, ind, axis=axis))
for _name, _impl in [("argsort", np.argsort), ("searchsorted", np.searchsorted),
                     ("flatnonzero", flatnonzero)]:
    defprim(_name, None, _impl, Syntax("call", "np." + _name), differentiable=False,
            result_kind="array")

# np.nonzero(c) / np.where(c) of a 1-D c: its one index array (the specialisation refuses more)
defprim("nonzero", 1, flatnonzero, Syntax("helper", "flatnonzero"), differentiable=False,
        result_kind="array")
defndim("bincount count_bins argsort flatnonzero take_1d nonzero",
        lambda ndims, operands, **attrs: 1)
defndim("searchsorted", lambda ndims, operands, **attrs: ndims[1])
defndim("take_along_axis", lambda ndims, operands, **attrs: ndims[0])
defndim("put_along_axis_add scatter_add_like", lambda ndims, operands, **attrs: ndims[1])
defprim("last_writes", 2, last_writes, Syntax("helper", "last_writes"), differentiable=False,
        result_kind="array")

# np.flip(x) without an axis: every axis reversed; its own transpose
def flip(x):
    return np.flip(x)


defprim("flip", 1, flip, Syntax("helper", "flip"))
defvjp("flip", lambda o, g, ans, x: o.flip(g))
defjvp("flip", lambda o, tangents, ans, x: o.flip(tangents[0]))
defndim("flip", lambda ndims, operands, **attrs: ndims[0])

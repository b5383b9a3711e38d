"""Numba overloads of the scalar/array-generic helpers: where and broadcasting (zeros, tapes
and trip counts are lowered in place: :mod:`.direct`).

Each overload is registered on the Python body that the python backend runs (the ``_rt``
namespace, :mod:`ad_compiler.backends.helpers`), so generated code is the same for both.
"""


import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

from ...rules.array import broadcast_like, unbroadcast
from ..helpers import where
from ._util import is_array, is_scalar
from .reductions import sum_middle


@overload(where)
def _where(c, a, b):
    if is_scalar(c) and is_scalar(a) and is_scalar(b):
        def impl(c, a, b):
            return a if c else b
        return impl
    if is_array(c) or is_array(a) or is_array(b):
        return lambda c, a, b: np.where(c, a, b)


@register_jitable
def _unbroadcast_general(g, like_shape, out):
    """Add to ``out`` (shape ``like_shape``) the sum of ``g`` over its leading axes and
    the axes where ``like_shape`` is 1, one contiguous reduction per axis."""
    nd = g.ndim
    off = nd - len(like_shape)
    cur = np.empty(nd, dtype=np.int64)
    for a in range(nd):
        cur[a] = g.shape[a]
    buf = np.ascontiguousarray(g).reshape(-1)
    if off > 0:
        n = 1
        for a in range(off):
            n *= cur[a]
            cur[a] = 1
        buf = sum_middle(buf, 1, n, buf.size // n if n else 0)
    for a in range(off, nd):
        n = like_shape[a - off]
        if n == cur[a]:
            continue
        if n != 1:
            raise ValueError("unbroadcast: shapes are not broadcast-compatible")
        outer = 1
        for b in range(a):
            outer *= cur[b]
        inner = 1
        for b in range(a + 1, nd):
            inner *= cur[b]
        buf = sum_middle(buf, outer, cur[a], inner)
        cur[a] = 1
    of = out.reshape(-1)
    of += buf
    return out

@overload(unbroadcast)
def _unbroadcast(g, like):
    if is_scalar(like):
        if is_scalar(g):
            return lambda g, like: g
        if is_array(g):
            return lambda g, like: g.sum()
        return None
    if not (is_array(g) and is_array(like)):
        if is_scalar(g) and is_array(like):
            raise TypingError("_rt.unbroadcast: a scalar cotangent for an array operand")
        return None
    if g.ndim < like.ndim:
        raise TypingError(f"_rt.unbroadcast: cotangent of ndim {g.ndim} for an operand "
                          f"of ndim {like.ndim}")
    if like.ndim == 0:
        return lambda g, like: np.asarray(g.sum())
    if g.ndim == like.ndim == 1:
        # (a store of a vector into a part of one: broadcast only from length 1; the
        # general reduction compiles four functions, about 0.9 s once per process)
        def impl_same_1d(g, like):
            if g.shape[0] == like.shape[0]:
                return g
            out = np.zeros(1, dtype=g.dtype)
            if like.shape[0] != 1:
                raise ValueError("unbroadcast: shapes are not broadcast-compatible")
            out[0] = g.sum()
            return out
        return impl_same_1d
    if g.ndim == like.ndim:
        def impl_same(g, like):
            if g.shape == like.shape:
                return g
            out = np.zeros(like.shape, dtype=g.dtype)
            return _unbroadcast_general(g, like.shape, out)
        return impl_same
    if like.ndim == 1 and g.ndim == 2:
        def impl_21(g, like):
            if like.shape[0] == g.shape[1]:
                return sum_middle(np.ascontiguousarray(g).reshape(-1), 1, g.shape[0],
                                   g.shape[1])
            out = np.zeros(like.shape, dtype=g.dtype)
            return _unbroadcast_general(g, like.shape, out)
        return impl_21

    def impl(g, like):
        out = np.zeros(like.shape, dtype=g.dtype)
        return _unbroadcast_general(g, like.shape, out)
    return impl

@overload(broadcast_like)
def _broadcast_like(x, like):
    if is_scalar(like):
        if is_scalar(x):
            return lambda x, like: x
        return None
    if not is_array(like):
        return None
    if is_scalar(x):
        return lambda x, like: np.full(like.shape, x)
    if not is_array(x):
        return None
    if x.ndim > like.ndim:
        raise TypingError(f"_rt.broadcast_like: array of ndim {x.ndim} to ndim "
                          f"{like.ndim}")
    if x.ndim == like.ndim:
        def impl_same(x, like):
            if x.shape == like.shape:
                return x
            return np.broadcast_to(x, like.shape).copy()
        return impl_same
    return lambda x, like: np.broadcast_to(x, like.shape).copy()


@overload(np.clip)
def _clip_scalars(a, a_min, a_max):
    """``np.clip`` of three scalars (Numba's takes an array): the README promises clip on
    both CPU backends, and scalar code clips scalars."""
    if all(isinstance(t, (types.Integer, types.Float, types.Boolean))
           for t in (a, a_min, a_max)):
        def impl(a, a_min, a_max):
            x = a_min if a < a_min else a       # NaN stays NaN, as in NumPy
            return a_max if x > a_max else x
        return impl
    return None

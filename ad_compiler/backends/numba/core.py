"""Numba overloads of the scalar/array-generic helpers: zeros, where, broadcasting, tapes.

Each overload is registered on the Python body that the python backend runs (the ``_rt``
namespace, :mod:`ad_compiler.backends.helpers`), so generated code is the same for both.
"""

import builtins as _builtins

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

from ...rules.array import broadcast_like, unbroadcast
from ...rules.tape import grow, reserve, tape, tape_of_arrays, trip_count, zeros_like
from ..helpers import where
from ._util import is_array, is_scalar, tape_dtype
from .reductions import sum_middle


@overload(zeros_like)
def _zeros_like(x):
    if is_scalar(x):
        if isinstance(x, types.Complex):
            return lambda x: 0j
        return lambda x: 0.0
    if is_array(x):
        # ``np.zeros_like`` of a C-contiguous array, not ``np.zeros(x.shape)``: the loops
        # that then run over the adjoint (the 1-D heat swap's reverse sweep) measured
        # 1.4-2x faster with the same Numba types (the cause, in Numba's allocation path, is
        # not pinned down); other layouts keep ``np.zeros`` (a C array, as NumPy's helper)
        dt = np.complex128 if isinstance(x.dtype, types.Complex) else np.float64
        if x.layout == "C":
            return lambda x: np.zeros_like(x, dtype=dt)
        return lambda x: np.zeros(x.shape, dtype=dt)

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

@overload(tape)
def _tape(n, like):
    if not is_scalar(like):
        if is_array(like):
            raise TypingError("_rt.tape: tape arrays with _rt.tape_of_arrays")
        return None
    dt = tape_dtype(like)
    return lambda n, like: np.empty(n, dtype=dt)

@overload(trip_count)
def _trip_count(start, stop, step):
    return lambda start, stop, step: len(range(start, stop, step))

@overload(tape_of_arrays)
def _tape_of_arrays(n, like):
    dt = tape_dtype(like)
    if is_scalar(like):
        return lambda n, like: np.empty(n, dtype=dt)
    if is_array(like):
        return lambda n, like: np.empty((n,) + like.shape, dtype=dt)

@register_jitable
def _copy_head(new, buf, k):
    """``new[:k] = buf[:k]`` as a loop over elements: a slice assignment from an array
    compiles Numba's shape-mismatch message (its string formatting: about 2 s of cold
    compile, once per process), and the tapes here are C arrays of the same row shape."""
    if buf.ndim == 1:
        for j in range(k):
            new[j] = buf[j]
    else:
        row = 1
        for d in buf.shape[1:]:
            row *= d
        flat_new = new.reshape(-1)
        flat_buf = buf.reshape(-1)
        for j in range(k * row):
            flat_new[j] = flat_buf[j]


def _copier(buf):
    """The copy of a tape's first ``k`` rows for Numba array type ``buf``: an element loop
    where the layout allows it (1-D, or C-contiguous), else a slice assignment."""
    return _copy_head if buf.ndim == 1 or buf.layout == "C" else _copy_rows


@register_jitable
def _copy_rows(new, buf, k):
    new[:k] = buf[:k]


# not inlined: the call is rare (capacity doubles), the inline test `k == buf.shape[0]`
# is all that runs on a push (NUMBA_NOTES: 7-8 ns a push and pop)
@overload(grow)
def _grow(buf, k):
    if not is_array(buf):
        return None
    copy = _copier(buf)

    def impl(buf, k):
        new = np.empty((_builtins.max(2 * buf.shape[0], k + 1),) + buf.shape[1:],
                       dtype=buf.dtype)
        copy(new, buf, k)
        return new
    return impl

@overload(reserve)
def _reserve(buf, k, extra):
    if not is_array(buf):
        return None
    copy = _copier(buf)

    def impl(buf, k, extra):
        if buf.shape[0] >= k + extra:
            return buf
        new = np.empty((_builtins.max(2 * buf.shape[0], k + extra),) + buf.shape[1:],
                       dtype=buf.dtype)
        copy(new, buf, k)
        return new
    return impl

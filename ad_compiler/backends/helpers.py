"""Runtime helpers that generated code calls as ``_rt.NAME(...)``.

Each helper is a plain Python/NumPy function (the python backend calls it directly) and has a
``numba.extending.overload`` registered on that same function, so that inside ``numba.njit``
code ``_rt.where(c, a, b)`` dispatches on Numba types (scalar or array, and ndim) at compile
time. Overloads are registered when this module is imported and compiled lazily, the first
time a jitted caller is typed; importing this module costs about as much as ``import numba``.

Helpers are type generic: scalars (bool, int, float) and arrays of any ndim unless said.

======================  =====================================================================
``zeros_like(x)``       ``0.0`` for a scalar; a float64 array of ``x``'s shape for an array
``where(c, a, b)``      ``a if c else b`` for scalars (never a 0-d array); ``np.where`` else
``unbroadcast(g, l)``   ``g`` summed over the axes along which ``l`` was broadcast
``broadcast_like(x,l)`` ``x`` stretched (copied) to ``l``'s shape; transpose of unbroadcast
``tape(n, like)``       empty 1-D tape of ``n`` elements: bool, int64 or float64 after ``like``
``tape_of_arrays(n,l)`` empty ``(n, *l.shape)`` tape for arrays of a fixed shape
``grow(buf, k)``        copy of ``buf`` with capacity ``max(2 * len(buf), k + 1)``, ``[:k]`` kept
``reserve(buf, k, m)``  ``buf`` if it holds ``k + m`` elements, else a grown copy, ``[:k]`` kept
``sum_all(x)``          ``x`` for a scalar, ``x.sum()`` for an array
``shape_of(x)``         ``()`` for a scalar, ``x.shape`` for an array
======================  =====================================================================

The growable-tape pattern emitted inline by the compiler (NUMBA_NOTES "growable" row)::

    if k == buf.shape[0]:
        buf = _rt.grow(buf, k)
    buf[k] = value
    k += 1

Measured (2-core machine, 10^6 pushes then pops around ``s = s * c + a[i]``, ns an element):
preallocated ``np.empty(n)`` 2.6, ``buf = _rt.reserve(buf, k, n)`` once before a loop of known
trip count 2.6-2.8, the per-push test above 15-16 (NUMBA_NOTES says 7-8; not so here): Numba cannot prune the reference counting of a variable reassigned inside a loop,
so every iteration calls ``NRT_incref``/``NRT_decref`` (atomics). Use ``reserve`` before
``for ... in range(...)`` loops and keep the per-push test for ``while`` loops.
"""

import builtins as _builtins

import numpy as np

from ad_compiler.rules.array import broadcast_like, unbroadcast
from ad_compiler.rules.tape import (grow, reserve, tape, tape_of_arrays, trip_count,
                                     zeros_like)

from . import numba_array as _numba_array
from .numba_array import (concatenate, count, getitem, matrix_transpose, norm, relu,
                          reshape_like, scatter_like, setitem, sigmoid, squeeze, stack,
                          unreduce)

__all__ = ["zeros_like", "where", "unbroadcast", "broadcast_like", "tape", "tape_of_arrays",
           "grow", "reserve", "trip_count", "sum_all", "shape_of", "unreduce", "count",
           "matrix_transpose", "reshape_like", "norm", "concatenate", "stack", "sigmoid",
           "relu", "getitem", "scatter_like", "setitem", "squeeze"]

# _rt.sum/mean/max/min/prod(x, axis=..., keepdims=...): NumPy's reductions with a Numba
# implementation (the emitter prints np.NAME(x, axis=1) as _rt.NAME(x, axis=1)). They shadow
# the builtins in this module: code here spells those _builtins.max etc. Not in __all__.
globals().update(_numba_array.REDUCTIONS)


# ---------------------------------------------------------------------------------------------
# Python bodies
# ---------------------------------------------------------------------------------------------

def _is_scalar(x):
    return not isinstance(x, np.ndarray) and np.ndim(x) == 0






def where(c, a, b):
    """``a if c else b`` when all three are scalars (a Python/NumPy scalar, never a 0-d
    array); ``np.where(c, a, b)`` with broadcasting otherwise."""
    if _is_scalar(c) and _is_scalar(a) and _is_scalar(b):
        return a if c else b
    return np.where(c, a, b)










def sum_all(x):
    """``x`` itself for a scalar, ``x.sum()`` for an array."""
    if _is_scalar(x):
        return x
    return np.asarray(x).sum()


def shape_of(x):
    """``()`` for a scalar, ``x.shape`` for an array."""
    return np.shape(x)


# ---------------------------------------------------------------------------------------------
# Numba overloads
# ---------------------------------------------------------------------------------------------

def _register_overloads():
    from numba import types
    from numba.core.errors import TypingError
    from numba.extending import overload, register_jitable

    scalar_types = (types.Number, types.Boolean)

    def is_scalar(t):
        return isinstance(t, scalar_types)

    def is_array(t):
        return isinstance(t, types.Array)

    def ndim(t):
        return t.ndim if is_array(t) else 0

    def tape_dtype(t):
        dt = t.dtype if is_array(t) else t
        if isinstance(dt, types.Boolean):
            return np.bool_
        if isinstance(dt, types.Integer):
            return np.int64
        if isinstance(dt, types.Complex):
            return np.complex128
        if isinstance(dt, types.Float):
            return np.float64
        raise TypingError(f"_rt.tape: cannot tape values of type {t}")

    @overload(zeros_like)
    def _zeros_like(x):
        if is_scalar(x):
            if isinstance(x, types.Complex):
                return lambda x: 0j
            return lambda x: 0.0
        if is_array(x):
            if isinstance(x.dtype, types.Complex):
                return lambda x: np.zeros(x.shape, dtype=np.complex128)
            return lambda x: np.zeros(x.shape, dtype=np.float64)

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
        """Accumulate every element of ``g`` into ``out`` (shape ``like_shape``), dropping the
        leading axes of ``g`` and the axes where ``like_shape`` is 1."""
        nd = g.ndim
        off = nd - len(like_shape)
        gshape = np.empty(nd, dtype=np.int64)
        ostride = np.empty(nd, dtype=np.int64)
        s = 1
        for a in range(nd - 1, -1, -1):
            gshape[a] = g.shape[a]
            if a < off:
                ostride[a] = 0
            else:
                n = like_shape[a - off]
                if n == 1:
                    ostride[a] = 0
                elif n == g.shape[a]:
                    ostride[a] = s
                    s *= n
                else:
                    raise ValueError("unbroadcast: shapes are not broadcast-compatible")
        gf = np.ascontiguousarray(g).reshape(-1)
        of = out.reshape(-1)
        idx = np.zeros(nd, dtype=np.int64)
        o = 0
        for j in range(gf.size):
            of[o] += gf[j]
            a = nd - 1
            while a >= 0:
                idx[a] += 1
                o += ostride[a]
                if idx[a] < gshape[a]:
                    break
                o -= ostride[a] * gshape[a]
                idx[a] = 0
                a -= 1
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
                    return g.sum(axis=0)
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

    # not inlined: the call is rare (capacity doubles), the inline test `k == buf.shape[0]`
    # is all that runs on a push (NUMBA_NOTES: 7-8 ns a push and pop)
    @overload(grow)
    def _grow(buf, k):
        if not is_array(buf):
            return None
        if buf.ndim == 1:
            def impl1(buf, k):
                new = np.empty(_builtins.max(2 * buf.shape[0], k + 1), dtype=buf.dtype)
                new[:k] = buf[:k]
                return new
            return impl1

        def impl(buf, k):
            new = np.empty((_builtins.max(2 * buf.shape[0], k + 1),) + buf.shape[1:], dtype=buf.dtype)
            new[:k] = buf[:k]
            return new
        return impl

    @overload(reserve)
    def _reserve(buf, k, extra):
        if not is_array(buf):
            return None
        if buf.ndim == 1:
            def impl1(buf, k, extra):
                if buf.shape[0] >= k + extra:
                    return buf
                new = np.empty(_builtins.max(2 * buf.shape[0], k + extra), dtype=buf.dtype)
                new[:k] = buf[:k]
                return new
            return impl1

        def impl(buf, k, extra):
            if buf.shape[0] >= k + extra:
                return buf
            new = np.empty((_builtins.max(2 * buf.shape[0], k + extra),) + buf.shape[1:],
                           dtype=buf.dtype)
            new[:k] = buf[:k]
            return new
        return impl

    @overload(sum_all)
    def _sum_all(x):
        if is_scalar(x):
            return lambda x: x
        if is_array(x):
            return lambda x: x.sum()

    @overload(shape_of)
    def _shape_of(x):
        if is_scalar(x):
            return lambda x: ()
        if is_array(x):
            return lambda x: x.shape


def __getattr__(name):
    """Any other helper is the NumPy implementation of the table's primitive printed as
    ``_rt.NAME`` (the python backend runs it as is; Numba needs an overload above)."""
    from ad_compiler.rules import PRIMITIVES

    for prim in PRIMITIVES.values():
        if prim.syntax is not None and prim.syntax.form == "helper" and \
                prim.syntax.symbol == name:
            return prim.impl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    import numba  # noqa: F401
except ImportError:  # pragma: no cover - numba is a dependency; python backend still works
    pass
else:
    _register_overloads()
    _numba_array.register()

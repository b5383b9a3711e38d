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
``sum mean max min      NumPy's reductions with constant ``axis`` (int, negative, tuple, None)
prod(x, axis, keepdims)`` and ``keepdims``; the emitter prints ``np.NAME`` with non-default
                        attributes as ``_rt.NAME``. Not in ``__all__`` (they shadow builtins)
``unreduce(g, l, ...)`` cotangent of a reduction over ``axis`` stretched to ``l``'s shape
``count(l, axis)``      number of elements a reduction over ``axis`` combines (a float)
``matrix_transpose(x)`` last two axes swapped (2-D: ``x.T``, an F-order view BLAS takes as is)
``reshape_like(x, l)``  ``x`` reshaped to ``l``'s shape; ``squeeze(x, axis)`` (axis required)
``norm(x, axis, kd)``   ``sqrt(sum(x * x))``; ``sigmoid``, ``relu`` elementwise
``concatenate(xs, ax)`` ``xs`` one tuple of arrays; likewise ``stack``
``getitem``, ``scatter_like``, ``setitem`` with a constant basic ``index``
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

from ad_compiler.rules.array import _norm as norm
from ad_compiler.rules.array import (broadcast_like, concat_pad, concat_part, count, getitem,
                                     matrix_transpose, relu, reshape_like, scatter_like,
                                     setitem, sigmoid, unbroadcast, unreduce)
from ad_compiler.rules.indexing import add_at, last_writes
from ad_compiler.rules.tape import (array_list, grow, list_put, reserve, tape,
                                     tape_of_arrays, trip_count, zeros_like)

__all__ = ["zeros_like", "where", "unbroadcast", "broadcast_like", "tape", "tape_of_arrays",
           "grow", "reserve", "trip_count", "unreduce", "count",
           "matrix_transpose", "reshape_like", "norm", "concatenate", "stack", "sigmoid",
           "relu", "getitem", "scatter_like", "setitem", "squeeze", "add_at", "last_writes"]

# _rt.sum/mean/max/min/prod(x, axis=..., keepdims=...): NumPy's reductions with a Numba
# implementation (the emitter prints np.NAME(x, axis=1) as _rt.NAME(x, axis=1)). They shadow
# the builtins in this module (assigned at the end): code here spells those _builtins.max.
# Not in __all__.


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


# ---------------------------------------------------------------------------------------------
# Numba overloads
# ---------------------------------------------------------------------------------------------

_SUM_KERNEL = None   # the sum reduction kernel, set by _register_array_overloads


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
    def _sum_middle(buf, O, N, I):
        """A flat C-order array of shape ``(O, N, I)`` summed over ``N``, flat."""
        return _SUM_KERNEL(buf.reshape((O, N, I)), np.empty((O, I), buf.dtype)).reshape(-1)

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
            buf = _sum_middle(buf, 1, n, buf.size // n if n else 0)
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
            buf = _sum_middle(buf, outer, cur[a], inner)
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
                    return _sum_middle(np.ascontiguousarray(g).reshape(-1), 1, g.shape[0],
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


# =============================================================================================
# Array helpers (kept in this file: the disk-cache key hashes helpers.py, see cache.py)
#
# The Python bodies of the array primitives live in :mod:`ad_compiler.rules.array` (the rule
# table); here a ``numba.extending.overload`` is registered on those same function objects.
# This section also defines the reductions ``sum mean max min prod`` (Python body: NumPy's) that the emitter
# prints as ``_rt.NAME(x, axis=..., keepdims=...)`` when the static attributes are not the
# defaults (Numba's ``np.sum`` has no ``keepdims``; its ``np.max/min/mean/prod`` no ``axis``).
#
# Static attributes (``axis``, ``keepdims``, ``index``) arrive as keyword arguments with constant
# values. The overloads use ``prefer_literal=True`` and specialise on them at compile time
# (``IntegerLiteral``/``BooleanLiteral``, a tuple of those, ``NoneType``, ``Omitted``); a
# non-constant ``axis`` is a typing error. Specialised bodies are generated as source text with
# the attributes and the array rank inlined (ndim 0-3 tested, any rank works), e.g. a
# reduction over axis ``k`` views the contiguous input as ``(outer, n, inner)`` and reduces the
# middle axis in a loop that LLVM vectorises along ``inner``.
#
# Semantics as NumPy except: a full reduction or an operand of rank 0 gives a scalar, never a
# 0-d array; results of ``unreduce``/``broadcast_like`` are fresh C-contiguous arrays (NumPy's
# body returns a read-only broadcast view); float sums are plain left-to-right loops (NumPy sums
# pairwise: the last bits can differ).
# =============================================================================================

# ---------------------------------------------------------------------------------------------
# Python bodies defined here (the others are the rule table's)
# ---------------------------------------------------------------------------------------------

def reduce_sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def reduce_mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def reduce_max(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def reduce_min(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def reduce_prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


# helpers.NAME for each: what the emitter prints as _rt.sum(x, axis=1, keepdims=True)
REDUCTIONS = {"sum": reduce_sum, "mean": reduce_mean, "max": reduce_max, "min": reduce_min,
              "prod": reduce_prod}


def concatenate(xs, axis=0):
    """``np.concatenate(xs, axis)``: generated code passes the operands as one tuple."""
    return np.concatenate(xs, axis=axis)


def pack(xs):
    """``np.array(xs)`` of a tuple of scalars: generated code passes them as one tuple."""
    return np.array([float(x) for x in xs])


def stack(xs, axis=0):
    """``np.stack(xs, axis)``: generated code passes the operands as one tuple."""
    return np.stack(xs, axis=axis)


def squeeze(x, axis=None):
    return np.squeeze(x, axis=axis)


# ---------------------------------------------------------------------------------------------
# Numba overloads
# ---------------------------------------------------------------------------------------------

def _register_array_overloads():
    from numba import types
    from numba.core.errors import TypingError
    from numba.extending import overload, register_jitable

    scalar_types = (types.Number, types.Boolean)

    def is_scalar(t):
        return isinstance(t, scalar_types)

    def is_array(t):
        return isinstance(t, types.Array)

    def static(t, what, helper):
        """The constant value of a static attribute's Numba type."""
        if not isinstance(t, types.Type):          # the default value itself (omitted)
            return t
        if isinstance(t, types.NoneType):
            return None
        if isinstance(t, types.Omitted):
            return t.value
        if isinstance(t, types.Literal):
            return t.literal_value
        if isinstance(t, types.BaseTuple):
            return tuple(static(e, what, helper) for e in t.types)
        raise TypingError(f"_rt.{helper}: {what} must be a constant, got {t}")

    def norm_axes(axis, nd, helper):
        if axis is None:
            return tuple(range(nd))
        axes = axis if isinstance(axis, tuple) else (axis,)
        out = []
        for a in axes:
            if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
                raise TypingError(f"_rt.{helper}: axis must be an int or a tuple of ints")
            if not -nd <= a < _builtins.max(nd, 1):
                raise TypingError(f"_rt.{helper}: axis {a} is out of bounds for an array "
                                  f"of dimension {nd}")
            out.append(a % nd if nd else 0)
        if len(set(out)) != len(out):
            raise TypingError(f"_rt.{helper}: repeated axis in {axis}")
        return tuple(sorted(out))

    _cache = {}

    def compile_src(key, src, glbs):
        """``impl`` defined by ``src`` (generated once per ``key``)."""
        fn = _cache.get(key)
        if fn is None:
            ns = {"np": np}
            ns.update(glbs)
            exec(compile(src, f"<ad_compiler helpers {key[0]}>", "exec"), ns)
            fn = _cache[key] = ns["impl"]
        return fn

    def prod_expr(items):
        return " * ".join(items) if items else "1"

    def tuple_expr(items):
        if not items:
            return "()"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    # --- reduction kernels over the middle axis of a C-contiguous (outer, n, inner) view --
    def make_kernel(op):
        """``impl(a, out)``: ``out[o, i] = OP over j of a[o, j, i]``. Along a contiguous axis
        (``inner == 1``) eight accumulators let LLVM vectorise without reassociating one."""
        comb = {"sum": "acc + v", "mean": "acc + v", "prod": "acc * v",
                "max": "v if (v > acc or v != v) else acc",
                "min": "v if (v < acc or v != v) else acc"}[op]
        combine = register_jitable(compile_src(
            ("combine", op), f"def impl(acc, v):\n    return {comb}\n", {}))
        if op in ("max", "min"):
            empty = f"        raise ValueError('zero-size array to reduction operation {op}')"
        else:
            empty = ("        out[:] = " + ("1" if op == "prod" else "0") + "\n"
                     "        return out")
        lanes = range(8)
        src = (
            "def impl(a, out):\n"
            "    O, N, I = a.shape\n"
            "    if N == 0:\n"
            f"{empty}\n"
            "    if I == 1:\n"
            "        for o in range(O):\n"
            "            j = 1\n"
            "            acc = a[o, 0, 0]\n"
            "            if N >= 16:\n"
            + "".join(f"                a{k} = a[o, {k}, 0]\n" for k in lanes) +
            "                j = 8\n"
            "                while j + 8 <= N:\n"
            + "".join(f"                    a{k} = C(a{k}, a[o, j + {k}, 0])\n"
                      for k in lanes) +
            "                    j += 8\n"
            "                acc = C(C(C(a0, a1), C(a2, a3)), C(C(a4, a5), C(a6, a7)))\n"
            "            while j < N:\n"
            "                acc = C(acc, a[o, j, 0])\n"
            "                j += 1\n"
            "            out[o, 0] = acc\n"
            "    else:\n"
            "        for o in range(O):\n"
            "            for i in range(I):\n"
            "                out[o, i] = a[o, 0, i]\n"
            "            for j in range(1, N):\n"
            "                for i in range(I):\n"
            "                    out[o, i] = C(out[o, i], a[o, j, i])\n"
            "    return out\n")
        return register_jitable(compile_src(("kernel", op), src, {"C": combine}))

    kernels = {op: make_kernel(op) for op in ("sum", "mean", "prod", "max", "min")}
    global _SUM_KERNEL
    _SUM_KERNEL = kernels["sum"]

    def result_dtype(op, dt):
        if op in ("sum", "prod"):
            if isinstance(dt, types.Boolean):
                return np.int64
            if isinstance(dt, types.Integer):
                return np.int64 if dt.signed or dt.bitwidth < 64 else np.uint64
        if op == "mean" and isinstance(dt, (types.Integer, types.Boolean)):
            return np.float64
        return np.dtype(str(dt))

    def reduction_src(op, nd, axes, keepdims):
        """Source of ``impl(x, axis, keepdims)`` reducing an ``nd``-array over ``axes``."""
        lines = ["def impl(x, axis=None, keepdims=False):",
                 "    a = np.ascontiguousarray(x)",
                 "    s = a.shape"]
        ones = tuple_expr(["1"] * nd)
        if len(axes) == nd:                                  # every axis
            kop = "sum" if op == "mean" else op
            val = f"K_{kop}(a.reshape((1, a.size, 1)), np.empty((1, 1), DT))[0, 0]"
            if op == "mean":
                val = f"{val} / a.size"
            lines.append(f"    r = {val}")
            lines.append(f"    return np.full({ones}, r)" if keepdims else "    return r")
            return "\n".join(lines) + "\n"
        shape = [f"s[{i}]" for i in range(nd)]
        cur = "a"
        for step, k in enumerate(sorted(axes, reverse=True)):
            outer, n, inner = prod_expr(shape[:k]), shape[k], prod_expr(shape[k + 1:])
            kop = "sum" if op == "mean" else op
            lines.append(f"    r{step} = K_{kop}(np.ascontiguousarray({cur}).reshape("
                         f"({outer}, {n}, {inner})), np.empty(({outer}, {inner}), DT))")
            del shape[k]
            cur = f"r{step}"
        if op == "mean":
            lines.append(f"    {cur} = {cur} / ({prod_expr([f's[{k}]' for k in axes])})")
        out = [f"s[{i}]" if i not in axes else "1" for i in range(nd)] if keepdims else shape
        lines.append(f"    return {cur}.reshape({tuple_expr(out)})")
        return "\n".join(lines) + "\n"

    def overload_reduction(op, fn):
        @overload(fn, prefer_literal=True)
        def _reduction(x, axis=None, keepdims=False):
            name = op
            ax = static(axis, "axis", name)
            kd = bool(static(keepdims, "keepdims", name))
            if is_scalar(x):
                if op == "mean":
                    return lambda x, axis=None, keepdims=False: x / 1.0
                return lambda x, axis=None, keepdims=False: x
            if not is_array(x):
                return None
            nd = x.ndim
            axes = norm_axes(ax, nd, name)
            dt = result_dtype(op if op != "mean" else "sum", x.dtype) \
                if op != "mean" else np.float64
            if op == "mean" and isinstance(x.dtype, types.Float):
                dt = np.dtype(str(x.dtype))
            src = reduction_src(op, nd, axes, kd)
            return compile_src((op, nd, axes, kd, str(dt)), src,
                               {"K_" + ("sum" if op == "mean" else op):
                                kernels["sum" if op == "mean" else op], "DT": dt})
        return _reduction

    for _op, _fn in REDUCTIONS.items():
        overload_reduction(_op, _fn)

    # --- unreduce ----------------------------------------------------------------------------
    @register_jitable
    def stretch(g3, out3):
        """``out3[o, j, i] = g3[o, 0, i]``: a size-1 middle axis stretched."""
        O, N, I = out3.shape
        if I == 1:
            for o in range(O):
                v = g3[o, 0, 0]
                for j in range(N):
                    out3[o, j, 0] = v
            return out3
        for o in range(O):
            for j in range(N):
                for i in range(I):
                    out3[o, j, i] = g3[o, 0, i]
        return out3

    @overload(unreduce, prefer_literal=True)
    def _unreduce(g, like, axis=None, keepdims=False):
        ax = static(axis, "axis", "unreduce")
        kd = bool(static(keepdims, "keepdims", "unreduce"))
        if is_scalar(like):
            if is_scalar(g):
                return lambda g, like, axis=None, keepdims=False: g
            if is_array(g):
                return lambda g, like, axis=None, keepdims=False: g.sum()
            return None
        if not is_array(like):
            return None
        nd = like.ndim
        axes = norm_axes(ax, nd, "unreduce")
        if is_scalar(g):
            def impl_scalar(g, like, axis=None, keepdims=False):
                return np.full(like.shape, g)
            return impl_scalar
        if not is_array(g):
            return None
        if ax is None and g.ndim != nd:
            # a full reduction: g holds one element (a 0-d array or ones of any rank)
            def impl_full(g, like, axis=None, keepdims=False):
                if g.size != 1:
                    raise ValueError("unreduce: a cotangent of more than one element for "
                                     "a reduction over every axis")
                return np.full(like.shape, np.ascontiguousarray(g).reshape(-1)[0])
            return impl_full
        if g.ndim == nd:
            kept = "g"                 # keepdims (or the operand's own shape)
        elif g.ndim == nd - len(axes) and not kd:
            kept = None
        else:
            raise TypingError(f"_rt.unreduce: a cotangent of rank {g.ndim} for a reduction "
                              f"over axes {axes} of a rank-{nd} operand"
                              f"{' with keepdims' if kd else ''}")
        lines = ["def impl(g, like, axis=None, keepdims=False):",
                 "    s = like.shape"]
        if kept is None:
            ks = tuple_expr([f"s[{i}]" if i not in axes else "1" for i in range(nd)])
            lines.append(f"    gk = np.ascontiguousarray(g).reshape({ks})")
        else:
            lines.append("    if g.shape == s:")
            lines.append("        return np.ascontiguousarray(g)")
            lines.append("    gk = np.ascontiguousarray(g)")
        if len(axes) == 1:
            k = axes[0]
            outer, n, inner = (prod_expr([f"s[{i}]" for i in range(k)]), f"s[{k}]",
                               prod_expr([f"s[{i}]" for i in range(k + 1, nd)]))
            lines.append(f"    out = np.empty(s, DT)")
            lines.append(f"    STRETCH(gk.reshape(({outer}, 1, {inner})), "
                         f"out.reshape(({outer}, {n}, {inner})))")
            lines.append("    return out")
        else:
            lines.append("    return np.broadcast_to(gk, s).copy()")
        src = "\n".join(lines) + "\n"
        dt = np.dtype(str(g.dtype))
        return compile_src(("unreduce", nd, g.ndim, axes, kept, str(dt)), src,
                           {"STRETCH": stretch, "DT": dt})

    # --- count -------------------------------------------------------------------------------
    @overload(count, prefer_literal=True)
    def _count(like, axis=None):
        ax = static(axis, "axis", "count")
        if is_scalar(like):
            return lambda like, axis=None: 1.0
        if not is_array(like):
            return None
        axes = norm_axes(ax, like.ndim, "count")
        src = ("def impl(like, axis=None):\n"
               "    s = like.shape\n"
               f"    return float({prod_expr([f's[{k}]' for k in axes])})\n")
        return compile_src(("count", like.ndim, axes), src, {})

    # --- shapes ------------------------------------------------------------------------------
    @overload(matrix_transpose)
    def _matrix_transpose(x):
        if not is_array(x):
            return None
        if x.ndim < 2:
            raise TypingError(f"_rt.matrix_transpose: an array of rank {x.ndim} (needs 2+)")
        if x.ndim == 2:
            # C in, F out (and F in, C out): BLAS takes either without a copy
            return lambda x: x.T
        return lambda x: np.ascontiguousarray(np.swapaxes(x, -1, -2))

    @overload(reshape_like)
    def _reshape_like(x, like):
        if is_scalar(like):
            if is_scalar(x):
                return lambda x, like: x
            if is_array(x):
                def impl_to_scalar(x, like):
                    if x.size != 1:
                        raise ValueError("reshape_like: cannot reshape an array of more "
                                         "than one element to a scalar")
                    return np.ascontiguousarray(x).reshape(-1)[0]
                return impl_to_scalar
            return None
        if not is_array(like):
            return None
        if is_scalar(x):
            return lambda x, like: np.full(like.shape, x)
        if is_array(x):
            return lambda x, like: np.ascontiguousarray(x).reshape(like.shape)

    @overload(squeeze, prefer_literal=True)
    def _squeeze(x, axis=None):
        ax = static(axis, "axis", "squeeze")
        if is_scalar(x):
            return lambda x, axis=None: x
        if not is_array(x):
            return None
        if ax is None:
            raise TypingError("_rt.squeeze: Numba needs the axis to squeeze (the rank of the "
                              "result must be known at compile time)")
        axes = norm_axes(ax, x.ndim, "squeeze")
        keep = [f"s[{i}]" for i in range(x.ndim) if i not in axes]
        checks = " or ".join(f"s[{k}] != 1" for k in axes)
        src = ("def impl(x, axis=None):\n"
               "    s = x.shape\n"
               f"    if {checks}:\n"
               "        raise ValueError('cannot select an axis to squeeze out which has "
               "size not equal to one')\n")
        if keep:
            src += f"    return np.ascontiguousarray(x).reshape({tuple_expr(keep)})\n"
        else:
            src += "    return np.ascontiguousarray(x).reshape(-1)[0]\n"
        return compile_src(("squeeze", x.ndim, axes), src, {})

    def seq_impl(name, tmpl):
        def ol(xs, axis=0):
            ax = static(axis, "axis", name)
            if not isinstance(xs, types.BaseTuple) or not all(is_array(t) for t in xs.types):
                raise TypingError(f"_rt.{name}: the operands must be a tuple of arrays")
            if not isinstance(ax, int):
                raise TypingError(f"_rt.{name}: axis must be an int")
            src = f"def impl(xs, axis=0):\n    return {tmpl.format(ax=ax)}\n"
            return compile_src((name, ax), src, {})
        return ol

    overload(concatenate, prefer_literal=True)(
        seq_impl("concatenate", "np.concatenate(xs, axis={ax})"))
    overload(stack, prefer_literal=True)(seq_impl("stack", "np.stack(xs, axis={ax})"))

    def concat_source(k, ax, nd):
        """Index (as source) of operand ``k`` along axis ``ax`` of a concatenation."""
        start = " + ".join(f"xs[{j}].shape[{ax}]" for j in range(k)) or "0"
        index = ", ".join([":"] * ax + [f"{start}:{start} + xs[{k}].shape[{ax}]"])
        return index

    @overload(concat_part, prefer_literal=True)
    def _concat_part(g, xs, axis=0, argnum=0):
        ax, k = static(axis, "axis", "concat_part"), static(argnum, "argnum", "concat_part")
        nd = xs.types[0].ndim
        src = (f"def impl(g, xs, axis=0, argnum=0):\n"
               f"    return g[{concat_source(k, ax % nd, nd)}].copy()\n")
        return compile_src(("concat_part", k, ax % nd, nd), src, {})

    @overload(concat_pad, prefer_literal=True)
    def _concat_pad(part, xs, axis=0, argnum=0):
        ax, k = static(axis, "axis", "concat_pad"), static(argnum, "argnum", "concat_pad")
        nd = xs.types[0].ndim
        ax %= nd
        total = " + ".join(f"xs[{j}].shape[{ax}]" for j in range(len(xs.types)))
        shape = ", ".join(total if d == ax else f"xs[0].shape[{d}]" for d in range(nd))
        src = (f"def impl(part, xs, axis=0, argnum=0):\n"
               f"    out = np.zeros(({shape},))\n"
               f"    out[{concat_source(k, ax, nd)}] = part\n"
               f"    return out\n")
        return compile_src(("concat_pad", k, ax, nd), src, {})

    from numba.typed import List as typed_list

    @overload(array_list, prefer_literal=True)
    def _array_list(ndim):
        rank = static(ndim, "ndim", "array_list")
        item = types.Array(types.float64, rank, "C")

        def impl(ndim):
            return typed_list.empty_list(item)
        return impl

    @overload(list_put)
    def _list_put(tape, k, value):
        def impl(tape, k, value):
            copy = np.ascontiguousarray(value).astype(np.float64)
            if k < len(tape):
                tape[k] = copy
            else:
                tape.append(copy)
            return tape
        return impl

    @overload(pack)
    def _pack(xs):
        if isinstance(xs, types.BaseTuple) and all(is_scalar(t) for t in xs.types):
            n = len(xs.types)
            body = "".join(f"    out[{i}] = xs[{i}]\n" for i in range(n))
            src = f"def impl(xs):\n    out = np.empty({n})\n{body}    return out\n"
            return compile_src(("pack", n), src, {})

    # basic indexing with a constant index (ints, slices, tuples of them)
    @overload(getitem)
    def _getitem(x, index):
        if is_array(x):
            return lambda x, index: x[index]

    @overload(scatter_like)
    def _scatter_like(g, like, index):
        if not is_array(like):
            return None

        def impl(g, like, index):
            out = np.zeros(like.shape, dtype=np.float64)
            out[index] = g
            return out
        return impl

    @overload(setitem)
    def _setitem(x, v, index):
        if not is_array(x):
            return None

        def impl(x, v, index):
            out = x.copy()
            out[index] = v
            return out
        return impl

    # --- norm, sigmoid, relu -----------------------------------------------------------------
    @overload(norm, prefer_literal=True)
    def _norm(x, axis=None, keepdims=False):
        ax = static(axis, "axis", "norm")
        kd = bool(static(keepdims, "keepdims", "norm"))
        if is_scalar(x):
            return lambda x, axis=None, keepdims=False: abs(x) * 1.0
        if not is_array(x):
            return None
        if ax is None and not kd:
            def impl_full(x, axis=None, keepdims=False):
                xf = np.ascontiguousarray(x).reshape(-1)
                s = 0.0
                for i in range(xf.size):
                    s += xf[i] * xf[i]
                return np.sqrt(s)
            return impl_full
        src = ("def impl(x, axis=None, keepdims=False):\n"
               f"    return np.sqrt(SUM(x * x, axis={ax!r}, keepdims={kd!r}))\n")
        return compile_src(("norm", x.ndim, ax, kd), src, {"SUM": reduce_sum})

    @register_jitable
    def expit(v):
        if v >= 0:
            return 1.0 / (1.0 + np.exp(-v))
        e = np.exp(v)
        return e / (1.0 + e)

    @overload(sigmoid)
    def _sigmoid(x):
        if is_scalar(x):
            return lambda x: expit(x)
        if is_array(x):
            def impl(x):
                out = np.empty(x.shape, dtype=np.float64)
                xf = np.ascontiguousarray(x).reshape(-1)
                of = out.reshape(-1)
                for i in range(xf.size):
                    of[i] = expit(xf[i])
                return out
            return impl

    @overload(relu)
    def _relu(x):
        if is_scalar(x):
            return lambda x: x if x > 0 else x * 0
        if is_array(x):
            return lambda x: np.maximum(x, 0)


# _rt.sum/mean/max/min/prod (see the comment by __all__)
globals().update(REDUCTIONS)


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
    _register_array_overloads()
    from numba.extending import overload as _overload

    from . import numba_indexing
    numba_indexing.register(_overload)

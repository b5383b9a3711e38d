"""Runtime helpers that generated code calls as ``_rt.NAME(...)``.

Each helper is a plain Python/NumPy function (the python backend calls it directly) and has a
``numba.extending.overload`` registered on that same function (in :mod:`.numba`), so that inside ``numba.njit``
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
from ad_compiler.rules.tape import (array_list, grow, list_put, put_reference,
                                     reference_list, reserve, tape, tape_of_arrays,
                                     trip_count, zeros_like)
from ad_compiler.backends.index_checks import (checked_index, flagged_index, index_bad,
                                               indices_bad, proven_bad, proven_index,
                                               require_indices)

__all__ = ["zeros_like", "where", "unbroadcast", "broadcast_like", "tape", "tape_of_arrays",
           "grow", "reserve", "trip_count", "unreduce", "count",
           "matrix_transpose", "reshape_like", "norm", "concatenate", "stack", "sigmoid",
           "relu", "getitem", "scatter_like", "setitem", "squeeze", "add_at", "last_writes",
           "checked_index", "proven_index", "require_indices", "index_bad", "proven_bad",
           "indices_bad", "flagged_index"]

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


# =============================================================================================
# Array helpers
#
# The Python bodies of the array primitives live in :mod:`ad_compiler.rules.array` (the rule
# table); their Numba overloads in :mod:`ad_compiler.backends.numba`. The reductions ``sum mean
# max min prod`` below (Python body: NumPy's) are what the emitter prints as
# ``_rt.NAME(x, axis=..., keepdims=...)`` when the static attributes are not the defaults
# (Numba's ``np.sum`` has no ``keepdims``; its ``np.max/min/mean/prod`` no ``axis``).
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


def pack(xs, dtype=None):
    """``np.array(xs)`` of a tuple of scalars: generated code passes them as one tuple
    (floats, or ``dtype``: an index list)."""
    return np.array([float(x) for x in xs]) if dtype is None else np.array(xs, dtype=dtype)


def stack(xs, axis=0):
    """``np.stack(xs, axis)``: generated code passes the operands as one tuple."""
    return np.stack(xs, axis=axis)


def squeeze(x, axis=None):
    return np.squeeze(x, axis=axis)


def transpose(x, axes=None):
    """``np.transpose(x, axes)``: the emitter prints it when ``axes`` is given (Numba's
    ``np.transpose`` takes no ``axes`` keyword)."""
    return np.transpose(x, axes)




# _rt.sum/mean/max/min/prod (see the comment by __all__)
globals().update(REDUCTIONS)


def __getattr__(name):
    """Any other helper is the NumPy implementation of the table's primitive printed as
    ``_rt.NAME`` (the python backend runs it as is; Numba needs an overload in :mod:`.numba`)."""
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
    from . import numba as _numba_overloads  # noqa: F401,E402  (registers the overloads)
    from numba.extending import overload as _overload

    from . import numba_indexing
    numba_indexing.register(_overload)

"""Primitives that the reverse transform emits for its own bookkeeping: tapes and trip counts.

They are ordinary primitives so that generated adjoint code is itself differentiable source
(``ad.hessian`` runs the forward transform over it): a tape is an array, ``grow`` is linear in
the tape, and a trip count is an integer.
"""

import numpy as np

from .table import Syntax, deflinear, defprim


def tape(n, like):
    """An uninitialised tape of ``n`` entries, each shaped and typed like ``like``."""
    like = np.asarray(like)
    dtype = np.float64 if like.dtype.kind in "fc" or like.ndim else like.dtype
    return np.empty((n,) + like.shape, dtype=dtype)


def grow(buf, k):
    """``buf`` with twice the capacity (at least ``k + 1``), its first ``k`` entries kept."""
    new = np.empty((max(2 * buf.shape[0], k + 1),) + buf.shape[1:], dtype=buf.dtype)
    new[:k] = buf[:k]
    return new


def trip_count(start, stop, step):
    """How many iterations ``range(start, stop, step)`` makes."""
    return len(range(start, stop, step))


defprim("tape", 2, tape, Syntax("helper", "tape"), differentiable=False, result_kind="array")
defprim("grow", 2, grow, Syntax("helper", "grow"), result_kind="array")
deflinear("grow")
defprim("trip_count", 3, trip_count, Syntax("helper", "trip_count"), differentiable=False,
        result_kind="int")
defprim("capacity", 1, len, Syntax("call", "len"), differentiable=False, result_kind="int")


def adjoint_zero(like):
    """A float zero shaped like ``like``: 0.0 for a scalar, a zero array for an array."""
    return np.zeros(np.shape(like)) if np.ndim(like) else 0.0


defprim("adjoint_zero", 1, adjoint_zero, Syntax("helper", "zeros_like"),
        differentiable=False)

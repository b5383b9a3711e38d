"""Primitives that the reverse transform emits for its own bookkeeping: tapes and trip counts.

They are ordinary primitives so that generated adjoint code is itself differentiable source
(``ad.hessian`` runs the forward transform over it): a tape is an array, ``grow`` is linear in
the tape, and a trip count is an integer.
"""

import numpy as np

from .table import PRIMITIVES, Syntax, defjvp, deflinear, defprim


def _is_scalar(x):
    return not isinstance(x, np.ndarray) and np.ndim(x) == 0

def _tape_dtype(like):
    """bool for bools, int64 for integers, complex128 for complex, float64 otherwise."""
    dt = np.asarray(like).dtype
    if dt == np.bool_:
        return np.dtype(np.bool_)
    if np.issubdtype(dt, np.integer):
        return np.dtype(np.int64)
    if np.issubdtype(dt, np.complexfloating):
        return np.dtype(np.complex128)
    return np.dtype(np.float64)

def zeros_like(x):
    """Zero of ``x``'s kind: ``0.0`` for a scalar (bool, int or float), a float64 array of
    ``x``'s shape for an array (complex128 for a complex array)."""
    if _is_scalar(x):
        return 0j if isinstance(x, (complex, np.complexfloating)) else 0.0
    x = np.asarray(x)
    dt = np.complex128 if np.issubdtype(x.dtype, np.complexfloating) else np.float64
    return np.zeros(x.shape, dtype=dt)

def tape(n, like):
    """An empty (uninitialised) 1-D tape of ``n`` elements for scalars like ``like``:
    bool for bools, int64 for integers, float64 for floats (complex128 for complex)."""
    return np.empty(n, dtype=_tape_dtype(like))

def tape_of_arrays(n, like):
    """An empty ``(n, *like.shape)`` tape for taping one array of ``like``'s fixed shape per
    iteration (``buf[k] = arr``, read ``buf[k]``). The dtype follows ``like`` as in
    :func:`tape` (float64 for float arrays)."""
    return np.empty((n,) + np.shape(like), dtype=_tape_dtype(like))

def grow(buf, k):
    """A copy of tape ``buf`` with capacity ``max(2 * buf.shape[0], k + 1)``; ``buf[:k]``
    is preserved, the rest is uninitialised."""
    cap = max(2 * buf.shape[0], k + 1)
    new = np.empty((cap,) + buf.shape[1:], dtype=buf.dtype)
    new[:k] = buf[:k]
    return new

def reserve(buf, k, extra):
    """``buf`` itself when it holds at least ``k + extra`` elements, else a copy with capacity
    ``max(2 * buf.shape[0], k + extra)`` and ``buf[:k]`` preserved. Emit it once before a
    loop whose trip count ``extra`` is known, instead of the per-push test: a tape variable
    reassigned inside a loop costs a Numba reference-count increment and decrement on every
    iteration (measured +12 ns a push), one reassigned before the loop costs nothing."""
    if buf.shape[0] >= k + extra:
        return buf
    new = np.empty((max(2 * buf.shape[0], k + extra),) + buf.shape[1:], dtype=buf.dtype)
    new[:k] = buf[:k]
    return new


def trip_count(start, stop, step):
    """How many iterations ``range(start, stop, step)`` makes."""
    return len(range(start, stop, step))


def array_list(ndim, dtype=None):
    """A tape for arrays of rank ``ndim`` whose shapes differ from entry to entry: a list
    (of float64 arrays; of masks with ``dtype="bool"``, of indices with ``"int64"``)."""
    return []


def list_put(tape, k, value):
    """``tape[k] = copy of value`` on a list tape (appending at its end); returns the tape.
    Entries skipped by a branch not taken are filled with the same copy (never read). A
    mask stays a mask, an index array indices."""
    kind = getattr(value, "dtype", np.dtype(np.float64)).kind
    dtype = np.bool_ if kind == "b" else np.int64 if kind in "iu" else np.float64
    return put_reference(tape, k, np.array(value, dtype=dtype))


def reference_list(ndim):
    """A tape of references to arrays of rank ``ndim``: each entry is the array itself, not
    a copy. It records a name that refers to other memory from one iteration to the next
    (``a = np.sin(a)`` after ``a = x``; a branch that may rebind it) when that memory is
    walked back in place: every store changing it is undone, in reverse order, through
    these same references, so at each point of the reverse sweep an entry holds what the
    array held at that point of the primal."""
    return []


def put_reference(tape, k, value):
    """``tape[k] = value`` (the array itself, appending at the end); returns the tape.
    Entries skipped by a branch not taken are filled with the same array (never read)."""
    while len(tape) < k:
        tape.append(value)
    if k < len(tape):
        tape[k] = value
    else:
        tape.append(value)
    return tape


defprim("array_list", 1, array_list, Syntax("helper", "array_list"), differentiable=False,
        result_kind="array", dtype=None)
defprim("list_put", 3, list_put, Syntax("helper", "list_put"), result_kind="array")


def _list_put_jvp(o, tangents, ans, tape, k, value):
    """The entry's tangent put on the tape's tangent (a list tape the forward transform
    makes beside every active one); a value with no tangent puts its zero."""
    t_tape, _, t_value = tangents
    if t_tape is None:
        raise NotImplementedError("forward mode: an array recorded on a list tape that has "
                                  "no tangent")
    return o.list_put(t_tape, k, o.adjoint_zero(value) if t_value is None else t_value)


defjvp("list_put", _list_put_jvp)
defprim("reference_list", 1, reference_list, Syntax("helper", "reference_list"),
        differentiable=False, result_kind="array")
defprim("put_reference", 3, put_reference, Syntax("helper", "put_reference"),
        result_kind="array")
defprim("tape", 2, tape, Syntax("helper", "tape"), differentiable=False, result_kind="array")
defprim("tape_of_arrays", 2, tape_of_arrays, Syntax("helper", "tape_of_arrays"),
        differentiable=False, result_kind="array")
defprim("grow", 2, grow, Syntax("helper", "grow"), result_kind="array")
deflinear("grow")
defprim("reserve", 3, reserve, Syntax("helper", "reserve"), result_kind="array")
deflinear("reserve")
defprim("trip_count", 3, trip_count, Syntax("helper", "trip_count"), differentiable=False,
        result_kind="int")
defprim("capacity", 1, len, Syntax("call", "len"), differentiable=False, result_kind="int")
defprim("adjoint_zero", 1, zeros_like, Syntax("helper", "zeros_like"), differentiable=False)

for _name in ("tape", "tape_of_arrays", "grow", "reserve", "adjoint_zero", "array_list",
              "reference_list"):
    PRIMITIVES[_name].effect = "alloc"      # fresh memory: never merged by CSE

"""Numba overloads of the index checks that :mod:`ad_compiler.backends.index_checks` adds to
generated code compiled with ``boundscheck=False``.

They dispatch on Numba types at compile time, with the axis a constant (``prefer_literal``,
so ``a.shape[axis]`` is a field of the shape, not a search): for an int index the check is
two comparisons (and :func:`proven_index`, whose int index an entry check proved, nothing at
all); for an int array index every element is checked, for a boolean mask its length;
slices, ``None`` and anything indexed that is not an array (tuples and lists, which Numba
checks itself) pass unchanged. Inlined into the caller (``inline="always"``): a call that
takes an array would count its references on every access.

The ``*_bad`` forms answer the same question without raising: inside a ``prange`` body the
rewrite records a failure in a flag and raises after the loop, since a raise in the body
keeps Numba from running the loop in parallel.
"""

from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload

from ..index_checks import (OUT_OF_BOUNDS, checked_index, flagged_index, index_bad,
                            indices_bad, proven_bad, proven_index, require_indices)
from ._util import is_array


def _axis(a, axis):
    """The constant axis of array type ``a`` that the literal ``axis`` names (>= 0)."""
    if not isinstance(axis, types.IntegerLiteral):
        raise TypingError("the axis of an index check must be a constant")
    ax = axis.literal_value
    return ax if ax >= 0 else a.ndim + ax


def _bad_test(a, axis, i):
    """``bad(a, i)`` (True: ``i`` does not index the axis) for index type ``i`` of array type
    ``a``, or None: nothing to check."""
    if not is_array(a):
        return None
    ax = _axis(a, axis)
    if isinstance(i, types.Integer):
        def bad(a, i):          # | not or: no branch (and no phi) to inline
            n = a.shape[ax]
            return (i < -n) | (i >= n)
    elif is_array(i) and isinstance(i.dtype, types.Boolean):
        def bad(a, i):
            return (i.ndim > 0) & (i.shape[0] != a.shape[ax])
    elif is_array(i) and isinstance(i.dtype, types.Integer):
        def bad(a, i):          # a loop: called, not inlined (Numba's SSA warns on its phi)
            n = a.shape[ax]
            for k in i.ravel():
                if k < -n or k >= n:
                    return True
            return False
        return njit(bad)
    else:
        return None
    return njit(inline="always")(bad)


@overload(index_bad, inline="always", prefer_literal=True)
def _index_bad(a, axis, i):
    bad = _bad_test(a, axis, i)
    if bad is None:
        return lambda a, axis, i: False
    return lambda a, axis, i: bad(a, i)


@overload(checked_index, inline="always", prefer_literal=True)
def _checked_index(a, axis, i):
    bad = _bad_test(a, axis, i)
    if bad is None:
        return lambda a, axis, i: i

    def impl(a, axis, i):
        if bad(a, i):
            raise IndexError(OUT_OF_BOUNDS)
        return i
    return impl


@overload(proven_bad, inline="always", prefer_literal=True)
def _proven_bad(a, axis, i):
    if isinstance(i, types.Integer):
        return lambda a, axis, i: False
    return _index_bad(a, axis, i)


@overload(proven_index, inline="always", prefer_literal=True)
def _proven_index(a, axis, i):
    if isinstance(i, types.Integer):
        return lambda a, axis, i: i
    return _checked_index(a, axis, i)


@overload(indices_bad, inline="always", prefer_literal=True)
def _indices_bad(a, axis, lo, hi):
    if is_array(a) and isinstance(lo, types.Integer) and isinstance(hi, types.Integer):
        ax = _axis(a, axis)

        def impl(a, axis, lo, hi):
            n = a.shape[ax]
            return (lo < -n) | (hi >= n)
        return impl
    return lambda a, axis, lo, hi: False


@overload(require_indices, inline="always", prefer_literal=True)
def _require_indices(a, axis, lo, hi):
    bad = _indices_bad(a, axis, lo, hi)
    test = njit(inline="always")(bad)

    def impl(a, axis, lo, hi):
        if test(a, axis, lo, hi):
            raise IndexError(OUT_OF_BOUNDS)
    return impl


@overload(flagged_index, inline="always", prefer_literal=True)
def _flagged_index(a, axis, i, flag):
    if is_array(a) and isinstance(i, types.Integer):
        bad = _bad_test(a, axis, i)

        def impl(a, axis, i, flag):
            if bad(a, i):
                flag[0] = 1
                return 0
            return i
        return impl
    checked = _checked_index(a, axis, i)
    test = njit(inline="always")(checked)
    return lambda a, axis, i, flag: test(a, axis, i)

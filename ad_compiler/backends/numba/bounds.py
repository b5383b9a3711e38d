"""Numba overloads of the index checks that :mod:`ad_compiler.backends.index_checks` adds to
generated code compiled with ``boundscheck=False``.

They dispatch on Numba types at compile time, with the axis a constant (``prefer_literal``,
so ``a.shape[axis]`` is a field of the shape, not a search): for an int index the check is
two comparisons (and :func:`proven_index`, whose int index an entry check proved, nothing at
all); for an int array index every element is checked, for a boolean mask its length;
slices, ``None`` and anything indexed that is not an array (tuples and lists, which Numba
checks itself) pass unchanged. Inlined into the caller (``inline="always"``): a call that
takes an array would count its references on every access.
"""

from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

from ..index_checks import OUT_OF_BOUNDS, checked_index, proven_index, require_indices
from ._util import is_array


def _axis(a, axis):
    """The constant axis of array type ``a`` that the literal ``axis`` names (>= 0)."""
    if not isinstance(axis, types.IntegerLiteral):
        raise TypingError("the axis of an index check must be a constant")
    ax = axis.literal_value
    return ax if ax >= 0 else a.ndim + ax


def _checker(a, axis, i):
    """``check(a, i)`` for index type ``i`` of array type ``a``, or None: nothing to check."""
    if not is_array(a):
        return None
    ax = _axis(a, axis)
    if isinstance(i, types.Integer):
        def check(a, i):
            n = a.shape[ax]
            if i < -n or i >= n:
                raise IndexError(OUT_OF_BOUNDS)
        return check
    if is_array(i) and isinstance(i.dtype, types.Boolean):
        def check(a, i):
            if i.ndim and i.shape[0] != a.shape[ax]:
                raise IndexError(OUT_OF_BOUNDS)
        return check
    if is_array(i) and isinstance(i.dtype, types.Integer):
        def check(a, i):
            n = a.shape[ax]
            for k in i.ravel():
                if k < -n or k >= n:
                    raise IndexError(OUT_OF_BOUNDS)
        return check
    return None


@overload(checked_index, inline="always", prefer_literal=True)
def _checked_index(a, axis, i):
    check = _checker(a, axis, i)
    if check is None:
        return lambda a, axis, i: i
    from numba import njit

    check = njit(inline="always")(check)

    def impl(a, axis, i):
        check(a, i)
        return i
    return impl


@overload(proven_index, inline="always", prefer_literal=True)
def _proven_index(a, axis, i):
    if isinstance(i, types.Integer):
        return lambda a, axis, i: i
    return _checked_index(a, axis, i)


@overload(require_indices, prefer_literal=True)
def _require_indices(a, axis, lo, hi):
    if is_array(a) and isinstance(lo, types.Integer) and isinstance(hi, types.Integer):
        ax = _axis(a, axis)

        def impl(a, axis, lo, hi):
            n = a.shape[ax]
            if lo < -n or hi >= n:
                raise IndexError(OUT_OF_BOUNDS)
        return impl
    return lambda a, axis, lo, hi: None

"""Numba typing and lowering of the index checks that :mod:`ad_compiler.backends.index_checks`
adds to generated code compiled with ``boundscheck=False``.

The checks are typed by a template and lowered straight to LLVM on the Python bodies, as
Numba's own builtins are, not written as ``@overload``: an ``inline="always"`` overload
runs Numba's untyped pipeline and type inference again at every call site (the N-body
adjoint's 64 checks cost 10 s of its 31 s cold compile), and a call to a non-inlined one is
not inlined across Numba's libraries and counts the array's references on every access
(the GMM gradient ran 4x slower). An int check lowers to the comparisons and the
``raise IndexError`` that Numba's own ``boundscheck`` emits, at no typing cost per site.

The axis is a constant (``prefer_literal``, so ``a.shape[axis]`` is a field of the shape,
not a search). For an int index the check is ``-n <= i < n`` (NumPy's negative indices;
unsigned ints: ``i < n``), and the ``proven_*`` forms, whose int index an entry check
proved, test nothing; for an int array index every element is checked, for a boolean mask
its length (a small compiled subroutine, compiled once per index type). Slices, ``None``
and anything indexed that is not an array (tuples and lists, which Numba checks itself)
pass unchanged.

The ``*_bad`` forms answer the same question without raising, and ``flagged_index`` records
a failure in ``flag[0]`` and gives index 0 instead: inside a ``prange`` body the rewrite
raises after the loop, since a raise in the body keeps Numba from running it in parallel.
"""

from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed, lower_builtin
from numba.core.typing.templates import signature

from ..index_checks import (OUT_OF_BOUNDS, checked_index, flagged_index, index_bad,
                            indices_bad, proven_bad, proven_index, require_indices)
from ._util import is_array, register_template


def _axis(a, axis):
    """The constant axis of array type ``a`` that the literal ``axis`` names (>= 0)."""
    if not isinstance(axis, types.IntegerLiteral):
        raise TypingError("the axis of an index check must be a constant")
    ax = axis.literal_value
    return ax if ax >= 0 else a.ndim + ax


def _kind(a, i):
    """What an index of type ``i`` into ``a`` needs: "int", "mask", "ints" or None."""
    if not is_array(a):
        return None
    if isinstance(i, types.Integer):
        return "int"
    if is_array(i) and isinstance(i.dtype, types.Boolean):
        return "mask"
    if is_array(i) and isinstance(i.dtype, types.Integer):
        return "ints"
    return None


# ---------------------------------------------------------------------------------------------
# typing
# ---------------------------------------------------------------------------------------------

def _register(func, arity, result):
    """Type ``func(a, axis, ...)``: ``result(index type)`` returned, the axis a literal."""
    def generic(*args):
        if len(args) != arity:
            return None
        a, axis, rest = args[0], args[1], [types.unliteral(t) for t in args[2:]]
        if is_array(a):
            _axis(a, axis)
        return signature(result(rest[0]), types.unliteral(a), axis, *rest)

    register_template(func, generic, prefer_literal=True)


for _func in (checked_index, proven_index):
    _register(_func, 3, lambda i: i)
for _func in (index_bad, proven_bad):
    _register(_func, 3, lambda i: types.boolean)
_register(indices_bad, 4, lambda lo: types.boolean)


def _type_require(when, *checks):
    """``require_indices(when, a, axis, lo, hi, ...)``: the axes literals."""
    if len(checks) % 4 or not checks:
        return None
    for k in range(0, len(checks), 4):
        if is_array(checks[k]):
            _axis(checks[k], checks[k + 1])
    return signature(types.none, types.unliteral(when),
                     *[t if k % 4 == 1 else types.unliteral(t) for k, t in enumerate(checks)])


_register(flagged_index, 4, lambda i: i)
register_template(require_indices, _type_require, prefer_literal=True)


# ---------------------------------------------------------------------------------------------
# lowering
# ---------------------------------------------------------------------------------------------

def _length(context, builder, aty, ary, axty):
    """``a.shape[axis]`` (an intp) of array value ``ary``."""
    shape = cgutils.unpack_tuple(builder, context.make_array(aty)(context, builder, ary).shape)
    return shape[_axis(aty, axty)]


def _below(context, builder, ity, i, n):
    """``i < -n`` (never for an unsigned ``i``)."""
    if not ity.signed:
        return cgutils.false_bit
    i = context.cast(builder, i, ity, types.intp)
    return builder.icmp_signed("<", i, builder.neg(n))


def _above(context, builder, ity, i, n):
    """``i >= n``, compared as unsigned for an unsigned ``i``."""
    if not ity.signed:
        return builder.icmp_unsigned(">=", context.cast(builder, i, ity, types.uintp), n)
    return builder.icmp_signed(">=", context.cast(builder, i, ity, types.intp), n)


def _mask_bad(n, i):
    return i.ndim > 0 and i.shape[0] != n


def _ints_bad(n, i):
    for k in i.ravel():
        if k < -n or k >= n:
            return True
    return False


def _bad(context, builder, sig, args, proven):
    """The i1 "index ``args[2]`` does not index axis ``args[1]`` of ``args[0]``"."""
    aty, axty, ity = sig.args[:3]
    kind = _kind(aty, ity)
    if kind is None or (kind == "int" and proven):
        return cgutils.false_bit
    n = _length(context, builder, aty, args[0], axty)
    if kind == "int":
        return builder.or_(_below(context, builder, ity, args[2], n),
                           _above(context, builder, ity, args[2], n))
    impl = _mask_bad if kind == "mask" else _ints_bad
    return context.compile_internal(builder, impl, signature(types.boolean, types.intp, ity),
                                    [n, args[2]])


def _raise_if(context, builder, bad):
    with cgutils.if_unlikely(builder, bad):
        context.call_conv.return_user_exc(builder, IndexError, (OUT_OF_BOUNDS,))


def _lower_checked(proven):
    def lower(context, builder, sig, args):
        _raise_if(context, builder, _bad(context, builder, sig, args, proven))
        return impl_ret_borrowed(context, builder, sig.return_type, args[2])
    return lower


def _lower_bad(proven):
    return lambda context, builder, sig, args: _bad(context, builder, sig, args, proven)


lower_builtin(checked_index, types.Any, types.Any, types.Any)(_lower_checked(False))
lower_builtin(proven_index, types.Any, types.Any, types.Any)(_lower_checked(True))
lower_builtin(index_bad, types.Any, types.Any, types.Any)(_lower_bad(False))
lower_builtin(proven_bad, types.Any, types.Any, types.Any)(_lower_bad(True))


def _indices_bad(context, builder, sig, args):
    aty, axty, loty, hity = sig.args
    if not (is_array(aty) and isinstance(loty, types.Integer)
            and isinstance(hity, types.Integer)):
        return cgutils.false_bit
    n = _length(context, builder, aty, args[0], axty)
    return builder.or_(_below(context, builder, loty, args[2], n),
                       _above(context, builder, hity, args[3], n))


@lower_builtin(indices_bad, types.Any, types.Any, types.Any, types.Any)
def _lower_indices_bad(context, builder, sig, args):
    return _indices_bad(context, builder, sig, args)


@lower_builtin(require_indices, types.Any, types.VarArg(types.Any))
def _lower_require(context, builder, sig, args):
    bad = cgutils.false_bit
    for k in range(1, len(args), 4):
        check = signature(types.boolean, *sig.args[k:k + 4])
        bad = builder.or_(bad, _indices_bad(context, builder, check, args[k:k + 4]))
    when = context.cast(builder, args[0], sig.args[0], types.boolean)
    _raise_if(context, builder, builder.and_(bad, when))
    return context.get_dummy_value()


@lower_builtin(flagged_index, types.Any, types.Any, types.Any, types.Any)
def _lower_flagged(context, builder, sig, args):
    aty, _, ity, flagty = sig.args
    if _kind(aty, ity) != "int":            # an array or mask index: checked_index's raise
        return _lower_checked(False)(context, builder, signature(ity, *sig.args[:3]),
                                     args[:3])
    bad = _bad(context, builder, sig, args, proven=False)
    with cgutils.if_unlikely(builder, bad):
        flag = context.make_array(flagty)(context, builder, args[3])
        builder.store(context.get_constant(flagty.dtype, 1), flag.data)
    return builder.select(bad, context.get_constant(ity, 0), args[2])

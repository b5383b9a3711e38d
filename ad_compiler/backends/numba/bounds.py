"""Numba typing and lowering of the index checks that :mod:`ad_compiler.backends.index_checks`
adds to generated code compiled with ``boundscheck=False``.

The checks are typed by a template and lowered straight to LLVM on the Python bodies, as
Numba's own builtins are, not written as ``@overload``: an ``inline="always"`` overload
runs Numba's untyped pipeline and type inference again at every call site (the N-body
adjoint's 64 checks cost 10 s of its 31 s cold compile), and a call to a non-inlined one is
not inlined across Numba's libraries and counts the array's references on every access
(the GMM gradient ran 4x slower). The lowering of an int check is the comparisons and the
``raise IndexError`` that Numba's own ``boundscheck`` emits, at no typing cost per site.

The axis is a constant (``prefer_literal``, so ``a.shape[axis]`` is a field of the shape,
not a search). For an int index the check is ``-n <= i < n`` (NumPy's negative indices;
unsigned ints: ``i < n``), and :func:`proven_index`, whose int index an entry check proved,
is nothing at all; for an int array index every element is checked, for a boolean mask its
length (a small compiled subroutine, compiled once per index type). Slices, ``None`` and
anything indexed that is not an array (tuples and lists, which Numba checks itself) pass
unchanged.
"""

from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed, lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer, infer_global, signature

from ..index_checks import OUT_OF_BOUNDS, checked_index, proven_index, require_indices
from ._util import is_array


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


def _register(func, generic):
    """Register typing template ``generic(args) -> signature or None`` for ``func``."""
    template = type(f"_{func.__name__}_template", (AbstractTemplate,),
                    {"key": func, "prefer_literal": True,
                     "generic": lambda self, args, kws: None if kws else generic(*args)})
    infer(template)
    infer_global(func, types.Function(template))


def _index_signature(a, axis, i):
    if is_array(a):
        _axis(a, axis)
    ui = types.unliteral(i)
    return signature(ui, types.unliteral(a), axis, ui)


def _require_signature(a, axis, lo, hi):
    if is_array(a):
        _axis(a, axis)
    return signature(types.none, types.unliteral(a), axis, types.unliteral(lo),
                     types.unliteral(hi))


_register(checked_index, lambda *args: _index_signature(*args) if len(args) == 3 else None)
_register(proven_index, lambda *args: _index_signature(*args) if len(args) == 3 else None)
_register(require_indices, lambda *args: _require_signature(*args) if len(args) == 4 else None)


def _length(context, builder, aty, ary, axty):
    """``a.shape[axis]`` (an intp) of array value ``ary``."""
    shape = cgutils.unpack_tuple(builder, context.make_array(aty)(context, builder, ary).shape)
    return shape[_axis(aty, axty)]


def _raise_if(context, builder, bad):
    with cgutils.if_unlikely(builder, bad):
        context.call_conv.return_user_exc(builder, IndexError, (OUT_OF_BOUNDS,))


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


def _check_mask(n, i):
    if i.ndim and i.shape[0] != n:
        raise IndexError(OUT_OF_BOUNDS)
    return 0


def _check_ints(n, i):
    for k in i.ravel():
        if k < -n or k >= n:
            raise IndexError(OUT_OF_BOUNDS)
    return 0


def _lower_index_check(check_ints):
    def lower(context, builder, sig, args):
        aty, axty, ity = sig.args
        kind = _kind(aty, ity)
        if kind == "int" and check_ints:
            n = _length(context, builder, aty, args[0], axty)
            i = args[2]
            _raise_if(context, builder, builder.or_(_below(context, builder, ity, i, n),
                                                    _above(context, builder, ity, i, n)))
        elif kind in ("mask", "ints"):
            n = _length(context, builder, aty, args[0], axty)
            impl = _check_mask if kind == "mask" else _check_ints
            context.compile_internal(builder, impl, signature(types.intp, types.intp, ity),
                                     [n, args[2]])
        return impl_ret_borrowed(context, builder, sig.return_type, args[2])
    return lower


lower_builtin(checked_index, types.Any, types.Any, types.Any)(_lower_index_check(True))
lower_builtin(proven_index, types.Any, types.Any, types.Any)(_lower_index_check(False))


@lower_builtin(require_indices, types.Any, types.Any, types.Any, types.Any)
def _lower_require(context, builder, sig, args):
    aty, axty, loty, hity = sig.args
    if is_array(aty) and isinstance(loty, types.Integer) and isinstance(hity, types.Integer):
        n = _length(context, builder, aty, args[0], axty)
        _raise_if(context, builder, builder.or_(_below(context, builder, loty, args[2], n),
                                                _above(context, builder, hity, args[3], n)))
    return context.get_dummy_value()

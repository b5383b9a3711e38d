"""The allocation and counting helpers of generated code, typed and lowered straight to LLVM:
``zeros_like``, ``tape``, ``tape_of_arrays``, ``grow``, ``reserve`` and ``trip_count``.

Almost every adjoint calls them, so as ``@overload`` functions they cost every gradient's
cold compile a compiled function per helper and signature, plus Numba's ``np.zeros_like`` /
``np.empty`` implementations under them (shape and dtype parsing), about 0.1-0.3 s each on
the 2-core machine: as much as compiling the whole primal of a small loop. Lowered in place
(an allocation through the runtime's allocator, a ``memset`` for zeros, Numba's own
``range`` length), the call costs no function compile at all. Results are the overloads'
were: C-contiguous float64 (complex128 for complex) zeros of ``x``'s shape, ``0.0`` / ``0j``
for a scalar, uninitialised tapes of :func:`._util.tape_dtype`; ``grow`` and ``reserve``
copy the kept rows with one ``memcpy`` (a slice assignment from an array would also compile
Numba's shape-mismatch message, about 2 s once per process) and return a C array.
"""

import numpy as np
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_new_ref, impl_ret_untracked, lower_builtin
from numba.core.typing.templates import signature
from numba.np.arrayobj import get_itemsize, populate_array
from numba.np.numpy_support import from_dtype

from ...rules.tape import grow, reserve, tape, tape_of_arrays, trip_count, zeros_like
from ._util import is_array, is_scalar, register_template, tape_dtype


def _zeros_type(x):
    complex_ = isinstance(x.dtype if is_array(x) else x, types.Complex)
    dt = types.complex128 if complex_ else types.float64
    return types.Array(dt, x.ndim, "C") if is_array(x) else dt


def _type_zeros_like(x):
    if is_scalar(x) or is_array(x):
        return signature(_zeros_type(x), x)
    return None


def _tape_type(like, extra_dims):
    return types.Array(from_dtype(np.dtype(tape_dtype(like))), 1 + extra_dims, "C")


def _type_tape(n, like):
    if not isinstance(n, types.Integer):
        return None
    if is_array(like):
        raise TypingError("_rt.tape: tape arrays with _rt.tape_of_arrays")
    return signature(_tape_type(like, 0), types.intp, like) if is_scalar(like) else None


def _type_tape_of_arrays(n, like):
    if not isinstance(n, types.Integer) or not (is_scalar(like) or is_array(like)):
        return None
    return signature(_tape_type(like, like.ndim if is_array(like) else 0), types.intp, like)


def _type_trip_count(start, stop, step):
    if all(isinstance(t, types.Integer) for t in (start, stop, step)):
        return signature(types.intp, types.int64, types.int64, types.int64)
    return None


def _type_grow(buf, k, *extra):
    if is_array(buf) and all(isinstance(t, types.Integer) for t in (k, *extra)):
        return signature(buf.copy(layout="C"), buf, types.intp, *[types.intp for _ in extra])
    return None


register_template(zeros_like, _type_zeros_like)
register_template(grow, lambda buf, k: _type_grow(buf, k))
register_template(reserve, lambda buf, k, extra: _type_grow(buf, k, extra))
register_template(tape, _type_tape)
register_template(tape_of_arrays, _type_tape_of_arrays)
register_template(trip_count, _type_trip_count)


def _allocate(context, builder, arrtype, shapes):
    """A new uninitialised C array of ``arrtype`` and ``shapes`` (intp values), with NumPy's
    ``ValueError`` for a negative size or one too big to allocate. Numba's own
    ``_empty_nd_impl`` computes the same but allocates through ``_call_allocator``, a
    Python function compiled with its ``_allocate`` overload the first time a process
    allocates (about 0.025 s: a third of a small loop's primal compile); the allocation
    here calls the runtime's allocator as that overload does."""
    intp = context.get_value_type(types.intp)
    itemsize = context.get_constant(types.intp, get_itemsize(context, arrtype))
    size, bad = itemsize, cgutils.false_bit
    for s in shapes:
        bad = builder.or_(bad, builder.icmp_signed("<", s, s.type(0)))
    with cgutils.if_unlikely(builder, bad):
        context.call_conv.return_user_exc(builder, ValueError,
                                          ("negative dimensions are not allowed",))
    for s in shapes:
        product = builder.smul_with_overflow(size, s)
        size = builder.extract_value(product, 0)
        bad = builder.or_(bad, builder.extract_value(product, 1))
    with cgutils.if_unlikely(builder, bad):
        context.call_conv.return_user_exc(
            builder, ValueError, ("array is too big; `arr.size * arr.dtype.itemsize` is "
                                  "larger than the maximum possible size.",))
    strides = [itemsize]
    for extent in reversed(shapes[1:]):
        strides.insert(0, builder.mul(strides[0], extent))
    align = context.get_constant(types.uint32,
                                 context.get_preferred_array_alignment(arrtype.dtype))
    meminfo = context.nrt.meminfo_alloc_aligned(builder, size, align)
    data = context.nrt.meminfo_data(builder, meminfo)
    ary = context.make_array(arrtype)(context, builder)
    populate_array(ary, data=builder.bitcast(data, context.get_data_type(arrtype.dtype)
                                             .as_pointer()),
                   shape=cgutils.pack_array(builder, shapes, ty=intp),
                   strides=cgutils.pack_array(builder, strides[:len(shapes)], ty=intp),
                   itemsize=itemsize, meminfo=meminfo)
    return ary


@lower_builtin(zeros_like, types.Any)
def _lower_zeros_like(context, builder, sig, args):
    (xty,), out = sig.args, sig.return_type
    if not is_array(xty):
        return impl_ret_untracked(context, builder, out, context.get_constant(out, 0))
    shapes = cgutils.unpack_tuple(builder, context.make_array(xty)(context, builder,
                                                                   args[0]).shape)
    ary = _allocate(context, builder, out, shapes)
    cgutils.memset(builder, ary.data, builder.mul(ary.itemsize, ary.nitems), 0)
    return impl_ret_new_ref(context, builder, out, ary._getvalue())


def _lower_tape(context, builder, sig, args):
    n, likety = args[0], sig.args[1]
    shapes = [n]
    if is_array(likety):
        like = context.make_array(likety)(context, builder, args[1])
        shapes += cgutils.unpack_tuple(builder, like.shape)
    ary = _allocate(context, builder, sig.return_type, shapes)
    return impl_ret_new_ref(context, builder, sig.return_type, ary._getvalue())


lower_builtin(tape, types.Any, types.Any)(_lower_tape)
lower_builtin(tape_of_arrays, types.Any, types.Any)(_lower_tape)


@lower_builtin(trip_count, types.Any, types.Any, types.Any)
def _lower_trip_count(context, builder, sig, args):
    """Numba's own lowering of ``len(range(start, stop, step))`` (``ValueError`` for a zero
    step, as Python's)."""
    state = types.range_state64_type
    rng = context.get_function(range, signature(state, *sig.args))(builder, args)
    n = context.get_function(len, signature(types.intp, state))(builder, [rng])
    return impl_ret_untracked(context, builder, sig.return_type, n)


def _copy_rows(new, buf, k):
    new[:k] = buf[:k]
    return 0


def _larger(builder, a, b):
    return builder.select(builder.icmp_signed(">", a, b), a, b)


def _regrow(context, builder, sig, buf_value, k, cap):
    """A new C array of ``cap`` rows holding the first ``min(k, len(buf))`` rows of buf."""
    bufty, out = sig.args[0], sig.return_type
    buf = context.make_array(bufty)(context, builder, buf_value)
    shapes = cgutils.unpack_tuple(builder, buf.shape)
    new = _allocate(context, builder, out, [cap] + shapes[1:])
    zero = k.type(0)
    rows = builder.select(builder.icmp_signed("<", k, shapes[0]), k, shapes[0])
    rows = builder.select(builder.icmp_signed("<", rows, zero), zero, rows)
    if bufty.layout == "C":
        items = rows
        for s in shapes[1:]:
            items = builder.mul(items, s)
        cgutils.raw_memcpy(builder, new.data, buf.data, items, new.itemsize)
    else:
        context.compile_internal(builder, _copy_rows, signature(types.intp, out, bufty,
                                                               types.intp),
                                 [new._getvalue(), buf_value, rows])
    return new._getvalue()


@lower_builtin(grow, types.Any, types.Any)
def _lower_grow(context, builder, sig, args):
    buf, k = args
    n = cgutils.unpack_tuple(builder, context.make_array(sig.args[0])(context, builder,
                                                                      buf).shape)[0]
    cap = _larger(builder, builder.mul(n, n.type(2)), builder.add(k, k.type(1)))
    return impl_ret_new_ref(context, builder, sig.return_type,
                            _regrow(context, builder, sig, buf, k, cap))


@lower_builtin(reserve, types.Any, types.Any, types.Any)
def _lower_reserve(context, builder, sig, args):
    buf, k, extra = args
    bufty, out = sig.args[0], sig.return_type
    n = cgutils.unpack_tuple(builder, context.make_array(bufty)(context, builder,
                                                                buf).shape)[0]
    need = builder.add(k, extra)
    if bufty != out:        # not C-contiguous: always a C copy
        return impl_ret_new_ref(context, builder, out,
                                _regrow(context, builder, sig, buf, k, _larger(builder, n, need)))
    result = cgutils.alloca_once(builder, context.get_value_type(out))
    with builder.if_else(builder.icmp_signed(">=", n, need), likely=True) as (fits, grows):
        with fits:
            context.nrt.incref(builder, bufty, buf)
            builder.store(buf, result)
        with grows:
            cap = _larger(builder, builder.mul(n, n.type(2)), need)
            builder.store(_regrow(context, builder, sig, buf, k, cap), result)
    return impl_ret_new_ref(context, builder, out, builder.load(result))

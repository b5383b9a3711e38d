"""Numba overloads of the shape, indexing, joining and neural-network helpers."""

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable
from numba.typed import List as typed_list

from ...rules.array import (concat_pad, concat_part, getitem, matrix_transpose, relu,
                            reshape_like, scatter_like, setitem, sigmoid)
from ...rules.tape import array_list, list_put, put_reference, reference_list
from ..helpers import concatenate, norm, pack, reduce_sum, squeeze, stack, transpose
from ._util import compile_src, is_array, is_scalar, norm_axes, static, tuple_expr


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

@overload(transpose, prefer_literal=True)
def _transpose(x, axes=None):
    ax = static(axes, "axes", "transpose")
    if not is_array(x):
        return None
    if ax is None:
        return lambda x, axes=None: x.T
    # a contiguous copy: Numba reshapes only contiguous arrays
    src = f"def impl(x, axes=None):\n    return np.ascontiguousarray(x.transpose({tuple(ax)!r}))\n"
    return compile_src(("transpose", x.ndim, tuple(ax)), src, {})


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


@overload(array_list, prefer_literal=True)
def _array_list(ndim, dtype=None):
    rank = static(ndim, "ndim", "array_list")
    elements = {"bool": types.boolean, "int64": types.int64}.get(
        static(dtype, "dtype", "array_list"), types.float64)
    item = types.Array(elements, rank, "C")

    def impl(ndim, dtype=None):
        return typed_list.empty_list(item)
    return impl

# a typed list takes the same code: put_reference compiled as it is written
register_jitable(put_reference)

@overload(list_put)
def _list_put(tape, k, value):
    if is_array(value) and isinstance(value.dtype, types.Boolean):
        return lambda tape, k, value: put_reference(tape, k, np.ascontiguousarray(value).copy())
    if is_array(value) and isinstance(value.dtype, types.Integer):
        return lambda tape, k, value: put_reference(
            tape, k, np.ascontiguousarray(value).astype(np.int64))

    def impl(tape, k, value):
        return put_reference(tape, k, np.ascontiguousarray(value).astype(np.float64))
    return impl

@overload(reference_list, prefer_literal=True)
def _reference_list(ndim):
    # any layout: the entries are the arrays themselves (an argument may be strided)
    item = types.Array(types.float64, static(ndim, "ndim", "reference_list"), "A")

    def impl(ndim):
        return typed_list.empty_list(item)
    return impl

@overload(pack, prefer_literal=True)
def _pack(xs, dtype=None):
    if isinstance(xs, types.BaseTuple) and all(is_scalar(t) for t in xs.types):
        n = len(xs.types)
        name = static(dtype, "dtype", "pack")
        body = "".join(f"    out[{i}] = xs[{i}]\n" for i in range(n))
        typed = f", dtype=np.{'bool_' if name == 'bool' else name}" if name else ""
        src = f"def impl(xs, dtype=None):\n    out = np.empty({n}{typed})\n{body}    return out\n"
        return compile_src(("pack", n, name), src, {})

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

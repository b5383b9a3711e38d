"""Array primitives: broadcasting helpers, reductions, shape manipulation, linear algebra.

``unbroadcast`` is the one helper that reduces a broadcast cotangent back to an operand's
shape; every elementwise vjp result goes through it (see :mod:`.table`).
"""

import numpy as np

from .table import Syntax, defbilinear, defjvp, deflinear, defnames, defprim, defvjp


def unbroadcast(g, like):
    """Sum ``g`` over the axes along which ``like`` was broadcast, giving ``like``'s shape.

    ``like`` may be a scalar (then everything is summed to a scalar)."""
    shape = np.shape(like)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    if len(shape) == 0:
        return g.sum()
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def broadcast_like(x, like):
    """``x`` stretched to ``like``'s shape: the transpose of :func:`unbroadcast`."""
    shape = np.shape(like)
    if np.shape(x) == shape:
        return x
    return np.broadcast_to(x, shape).copy()


defprim("unbroadcast", 2, unbroadcast, Syntax("helper", "unbroadcast"))
defprim("broadcast_like", 2, broadcast_like, Syntax("helper", "broadcast_like"))
defvjp("unbroadcast", lambda o, g, ans, x, like: o.broadcast_like(g, x), None)
defvjp("broadcast_like", lambda o, g, ans, x, like: o.unbroadcast(g, x), None)
deflinear("unbroadcast")
deflinear("broadcast_like")


# ---------------------------------------------------------------------------------------------
# Conventions of the array primitives below
#
# * Static attributes (``axis``, ``keepdims``, ``index``...) are keywords; ``axis`` is an int,
#   ``None`` (every axis) or a tuple of ints, negative values counting from the end.
# * A ``like`` operand is read for its shape only (``np.shape(like)``); it gets no gradient.
# * A rule that needs a static shape or rank reads it with ``np.shape``/``np.ndim``, which work
#   on arrays, Tensors and anything with ``.shape``/``.ndim`` attributes.
# * Variadic primitives (``nargs=None``: ``concatenate``, ``stack``) have ONE vjp rule, called
#   with the keyword ``argnum=i`` for the cotangent of operand ``i``.
# ---------------------------------------------------------------------------------------------

def _norm_axes(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints (``None``: every axis)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim if ndim else 0 for a in axis))
    return (axis % ndim if ndim else 0,)


def unreduce(g, like, axis=None, keepdims=False):
    """The cotangent ``g`` of a reduction over ``axis`` stretched back to ``like``'s shape."""
    shape = np.shape(like)
    g = np.asarray(g)
    if g.shape == shape:
        return g
    if axis is None and g.size == 1:
        return np.full(shape, g.reshape(()), dtype=g.dtype)
    if not keepdims and len(shape):
        axes = _norm_axes(axis, len(shape))
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return np.broadcast_to(g, shape)


def count(like, axis=None):
    """How many elements of ``like`` a reduction over ``axis`` combines (a float)."""
    shape = np.shape(like)
    n = 1
    for a in _norm_axes(axis, len(shape)):
        n *= shape[a] if shape else 1
    return float(n)


def reshape_like(x, like):
    return np.reshape(x, np.shape(like))


def scatter_like(g, like, index):
    """Zeros of ``like``'s shape with ``g`` added at ``index`` (the transpose of getitem);
    repeated integer-array indices accumulate."""
    shape = np.shape(like)
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype if g.dtype.kind == "f" else float)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, (int, np.integer, slice))):
            return False
    return True


def getitem(x, index):
    out = np.asarray(x)[index]
    if out.__class__ is not np.ndarray:          # a 0-d result: keep it an array (a view)
        out = np.asarray(x)[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
    return out


def _sum(x, axis=None, keepdims=False):
    return np.add.reduce(np.asarray(x), axis=axis, keepdims=keepdims)


def _mean(x, axis=None, keepdims=False):
    x = np.asarray(x)
    s = np.add.reduce(x, axis=axis, keepdims=keepdims)
    n = x.size // s.size if s.size else 0
    if s.dtype.kind == "f":
        return s / s.dtype.type(n)
    return s / n


def _max_impl(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _min_impl(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def matrix_transpose(x):
    return np.swapaxes(x, -1, -2)


def sigmoid(x):
    from scipy.special import expit
    return expit(x)


def relu(x):
    return np.maximum(x, 0)


def linear(x, w, b):
    """``x @ w.T + b`` (PyTorch's ``nn.Linear``), ``w`` of shape (out, in)."""
    out = np.matmul(x, np.swapaxes(w, -1, -2))
    out += b
    return out


def mse_loss(a, b, reduction="mean"):
    d = np.subtract(a, b)
    d = d * d
    if reduction == "mean":
        return np.mean(d)
    if reduction == "sum":
        return np.sum(d)
    return d


def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _stack(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _norm(x, axis=None, keepdims=False):
    x = np.asarray(x)
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


# --- reductions ------------------------------------------------------------------------------
defprim("unreduce", 2, unreduce, Syntax("helper", "unreduce"), axis=None, keepdims=False)
defprim("count", 1, count, Syntax("helper", "count"), differentiable=False,
        result_kind="float", axis=None, ndim=lambda ndims, operands, **a: 0)   # a float
defprim("sum", 1, _sum, Syntax("call", "np.sum"), axis=None, keepdims=False)
defprim("mean", 1, _mean, Syntax("call", "np.mean"), axis=None, keepdims=False)
defprim("prod", 1, np.prod, Syntax("call", "np.prod"), axis=None, keepdims=False)
defprim("max", 1, _max_impl, Syntax("call", "np.max"), axis=None, keepdims=False)
defprim("min", 1, _min_impl, Syntax("call", "np.min"), axis=None, keepdims=False)
defprim("norm", 1, _norm, Syntax("helper", "norm"), axis=None, keepdims=False)

defvjp("unreduce", lambda o, g, ans, x, like, axis=None, keepdims=False:
       o.sum(g, axis=axis, keepdims=keepdims), None)
deflinear("unreduce")
defvjp("sum", lambda o, g, ans, x, axis=None, keepdims=False:
       o.unreduce(g, x, axis=axis, keepdims=keepdims))
deflinear("sum")
defvjp("mean", lambda o, g, ans, x, axis=None, keepdims=False:
       o.unreduce(g, x, axis=axis, keepdims=keepdims) / o.count(x, axis=axis))
deflinear("mean")
defvjp("prod", lambda o, g, ans, x, axis=None, keepdims=False:
       o.unreduce(g, x, axis=axis, keepdims=keepdims) * o.prod_others(x, axis=axis))


def _along_last(x, axis):
    """``x`` with the axes of ``axis`` moved to the end and flattened into one, and the
    function putting an array of that form back into ``x``'s shape."""
    x = np.asarray(x, dtype=float)
    axes = _norm_axes(axis, x.ndim)
    order = [a for a in range(x.ndim) if a not in axes] + list(axes)
    moved = np.transpose(x, order)
    flat = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
    return flat, lambda r: np.transpose(r.reshape(moved.shape), np.argsort(order))


def _prod_others(x, axis=None):
    """Each element's product of the OTHER elements along ``axis`` (None: all of them), from
    exclusive products from both ends: exact where ``x`` has zeros (``prod(x) / x`` gave
    NaN there, as autograd's rule does)."""
    flat, back = _along_last(x, axis)
    if flat.shape[-1] == 0:
        return back(flat.copy())
    ones = np.ones(flat.shape[:-1] + (1,))
    left = np.concatenate([ones, np.cumprod(flat[..., :-1], axis=-1)], axis=-1)
    right = np.concatenate([ones, np.cumprod(flat[..., :0:-1], axis=-1)], axis=-1)[..., ::-1]
    return back(left * right)


def _prod_others_jvp(x, t, axis=None):
    """The derivative of ``prod_others(x)`` along ``t``: each element's sum over the other
    elements j of ``t[j]`` times the product of the elements other than both (a symmetric
    matrix times ``t``, so also its vjp), from the same exclusive products taken over dual
    numbers: exact where ``x`` has zeros."""
    flat, back = _along_last(x, axis)
    tflat, _ = _along_last(np.broadcast_to(t, np.shape(x)), axis)
    n = flat.shape[-1]
    left, d_left = np.ones_like(flat), np.zeros_like(flat)
    right, d_right = np.ones_like(flat), np.zeros_like(flat)
    for k in range(1, n):
        left[..., k] = left[..., k - 1] * flat[..., k - 1]
        d_left[..., k] = d_left[..., k - 1] * flat[..., k - 1] + left[..., k - 1] * tflat[..., k - 1]
        j = n - 1 - k
        right[..., j] = right[..., j + 1] * flat[..., j + 1]
        d_right[..., j] = d_right[..., j + 1] * flat[..., j + 1] + right[..., j + 1] * tflat[..., j + 1]
    return back(d_left * right + left * d_right)


defprim("prod_others", 1, _prod_others, Syntax("helper", "prod_others"), numba="objmode",
        ndim=lambda ndims, operands, **attrs: ndims[0], axis=None)
defvjp("prod_others", lambda o, g, ans, x, axis=None: o.prod_others_jvp(x, g, axis=axis))
defjvp("prod_others", lambda o, tangents, ans, x, axis=None:
       o.prod_others_jvp(x, tangents[0], axis=axis))
# third derivatives of prod divide by x: exact where x has no zeros, NaN (never a wrong
# number) where it has
defprim("prod_others_jvp", 2, _prod_others_jvp, Syntax("helper", "prod_others_jvp"),
        numba="objmode", ndim=lambda ndims, operands, **attrs: ndims[0], axis=None)


def _pojvp_dx_vjp(o, g, ans, x, t, axis=None):
    # d ans[i] / d x[k] = (ans[i] - t[k] * others[i] / x[k]) / x[k] for k != i, 0 for k == i
    others = o.prod_others(x, axis=axis)
    return (o.unreduce(o.sum(g * ans, axis=axis), x, axis=axis) - g * ans) / x - \
        t / (x * x) * (o.unreduce(o.sum(g * others, axis=axis), x, axis=axis) - g * others)


def _pojvp_jvp(o, tangents, ans, x, t, axis=None):
    total = None
    if tangents[1] is not None:
        total = o.prod_others_jvp(x, tangents[1], axis=axis)
    if tangents[0] is not None:
        s = tangents[0]
        others = o.prod_others(x, axis=axis)
        term = ans * (o.unreduce(o.sum(s / x, axis=axis), x, axis=axis) - s / x) - \
            others * (o.unreduce(o.sum(s * t / (x * x), axis=axis), x, axis=axis) -
                      s * t / (x * x))
        total = term if total is None else total + term
    return total


defvjp("prod_others_jvp", _pojvp_dx_vjp,
       lambda o, g, ans, x, t, axis=None: o.prod_others_jvp(x, g, axis=axis))
defjvp("prod_others_jvp", _pojvp_jvp)


def _extremum_vjp(o, g, ans, x, axis=None, keepdims=False):
    # the gradient is shared evenly by the elements equal to the extremum (PyTorch's rule for
    # a full reduction; along an axis PyTorch gives it all to the index it returns)
    hit = o.where(x == o.unreduce(ans, x, axis=axis, keepdims=keepdims), 1.0, 0.0)
    n = o.unreduce(o.sum(hit, axis=axis, keepdims=keepdims), x, axis=axis, keepdims=keepdims)
    return o.unreduce(g, x, axis=axis, keepdims=keepdims) * hit / n


defvjp("max", _extremum_vjp)
defvjp("min", _extremum_vjp)
# d|x| = x / |x| (0 where the norm is 0, as PyTorch)
defvjp("norm", lambda o, g, ans, x, axis=None, keepdims=False:
       o.unreduce(g / o.where(ans == 0.0, 1.0, ans), x, axis=axis, keepdims=keepdims) * x)

# --- shapes ----------------------------------------------------------------------------------
defprim("reshape_like", 2, reshape_like, Syntax("helper", "reshape_like"))
defprim("reshape", 1, np.reshape, Syntax("call", "np.reshape"), shape=None)
defprim("transpose", 1, np.transpose, Syntax("call", "np.transpose"), axes=None)
defprim("matrix_transpose", 1, matrix_transpose, Syntax("helper", "matrix_transpose"))
defprim("expand_dims", 1, np.expand_dims, Syntax("call", "np.expand_dims"), axis=None)
defprim("squeeze", 1, np.squeeze, Syntax("call", "np.squeeze"), axis=None)
defprim("getitem", 1, getitem, Syntax("helper", "getitem"), index=None)
defprim("scatter_like", 2, scatter_like, Syntax("helper", "scatter_like"), index=None)
defprim("concatenate", None, _concatenate, Syntax("helper", "concatenate"), axis=0)
defprim("stack", None, _stack, Syntax("helper", "stack"), axis=0)

defvjp("reshape_like", lambda o, g, ans, x, like: o.reshape_like(g, x), None)
deflinear("reshape_like")
defvjp("reshape", lambda o, g, ans, x, shape=None: o.reshape_like(g, x))
deflinear("reshape")


def _transpose_vjp(o, g, ans, x, axes=None):
    if axes is None:
        return o.transpose(g)
    inverse = tuple(np.argsort([a % len(axes) for a in axes]))
    return o.transpose(g, axes=tuple(int(i) for i in inverse))


defvjp("transpose", _transpose_vjp)
deflinear("transpose")
defvjp("matrix_transpose", lambda o, g, ans, x: o.matrix_transpose(g))
deflinear("matrix_transpose")
defvjp("expand_dims", lambda o, g, ans, x, axis=0: o.reshape_like(g, x))
deflinear("expand_dims")
defvjp("squeeze", lambda o, g, ans, x, axis=None: o.reshape_like(g, x))
deflinear("squeeze")
defvjp("getitem", lambda o, g, ans, x, index=None: o.scatter_like(g, x, index=index))
deflinear("getitem")
defvjp("scatter_like", lambda o, g, ans, x, like, index=None: o.getitem(g, index=index), None)
deflinear("scatter_like")


def _part_index(xs, axis, argnum):
    """The index of operand ``argnum`` inside ``np.concatenate(xs, axis)``."""
    ax = axis % np.ndim(xs[0])
    start = sum(np.shape(x)[ax] for x in xs[:argnum])
    return (slice(None),) * ax + (slice(start, start + np.shape(xs[argnum])[ax]),)


def concat_part(g, xs, axis=0, argnum=0):
    """The piece of ``g`` (shaped like ``np.concatenate(xs, axis)``) that came from operand
    ``argnum``; offsets are taken from the operands' shapes at run time."""
    return g[_part_index(xs, axis, argnum)]


def concat_pad(part, xs, axis=0, argnum=0):
    """Zeros shaped like ``np.concatenate(xs, axis)`` with ``part`` at operand ``argnum``'s
    place: the transpose of :func:`concat_part`."""
    shape = list(np.shape(xs[0]))
    ax = axis % len(shape)
    shape[ax] = sum(np.shape(x)[ax] for x in xs)
    out = np.zeros(shape)
    out[_part_index(xs, axis, argnum)] = part
    return out


defprim("concat_part", 2, concat_part, Syntax("helper", "concat_part"), axis=0, argnum=0)
defprim("concat_pad", 2, concat_pad, Syntax("helper", "concat_pad"), axis=0, argnum=0)
defvjp("concat_part", lambda o, g, ans, gfull, xs, axis=0, argnum=0:
       o.concat_pad(g, xs, axis=axis, argnum=argnum), None)
defvjp("concat_pad", lambda o, g, ans, part, xs, axis=0, argnum=0:
       o.concat_part(g, xs, axis=axis, argnum=argnum), None)
deflinear("concat_part")
deflinear("concat_pad")


def _concatenate_vjp(o, g, ans, *xs, axis=0, argnum=0):
    return o.concat_part(g, o.tuple(*xs), axis=axis, argnum=argnum)


def _stack_vjp(o, g, ans, *xs, axis=0, argnum=0):
    ax = axis % (np.ndim(xs[0]) + 1)
    return o.getitem(g, index=(slice(None),) * ax + (argnum,))


defvjp("concatenate", _concatenate_vjp)
defvjp("stack", _stack_vjp)

# --- linear algebra --------------------------------------------------------------------------
defprim("dot", 2, np.dot, Syntax("call", "np.dot"))
defprim("matmul", 2, np.matmul, Syntax("binop", "@"))
defprim("outer", 2, np.outer, Syntax("call", "np.outer"))


def _matmul_vjp_a(o, g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if nb == 1:
        if na == 1:
            return g * b
        return o.expand_dims(g, axis=-1) * b                       # (..., m, 1) * (n,)
    if na == 1:                                                   # (n,) @ (..., n, p)
        return o.unbroadcast(
            o.squeeze(o.matmul(b, o.expand_dims(g, axis=-1)), axis=-1), a)
    if na == 2 and nb == 2:                                       # no batch axes to sum
        return o.matmul(g, o.matrix_transpose(b))
    return o.unbroadcast(o.matmul(g, o.matrix_transpose(b)), a)


def _matmul_vjp_b(o, g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if nb == 1:
        if na == 1:
            return g * a
        return o.unbroadcast(                                     # (..., m, n) @ (n,)
            o.squeeze(o.matmul(o.expand_dims(g, axis=-2), a), axis=-2), b)
    if na == 1:
        return o.unbroadcast(o.expand_dims(a, axis=-1) * o.expand_dims(g, axis=-2), b)
    if na == 2 and nb == 2:
        return o.matmul(o.matrix_transpose(a), g)
    return o.unbroadcast(o.matmul(o.matrix_transpose(a), g), b)


defvjp("matmul", _matmul_vjp_a, _matmul_vjp_b)
defbilinear("matmul")
defvjp("dot", _matmul_vjp_a, _matmul_vjp_b)   # np.dot is matmul for 1-D and 2-D operands
defbilinear("dot")
defvjp("outer", lambda o, g, ans, a, b: o.matmul(g, b),
       lambda o, g, ans, a, b: o.matmul(o.matrix_transpose(g), a))
defbilinear("outer")

# --- neural-network functions (elementwise, or fused for the Tensor runtime) -----------------
defprim("sigmoid", 1, sigmoid, Syntax("helper", "sigmoid"), elementwise=True)
defprim("relu", 1, relu, Syntax("helper", "relu"), elementwise=True)
defvjp("sigmoid", lambda o, g, ans, x: g * ans * (1.0 - ans))
defvjp("relu", lambda o, g, ans, x: o.where(ans > 0, g, 0.0))
defprim("linear", 3, linear, Syntax("helper", "linear"))
defvjp("linear",
       lambda o, g, ans, x, w, b: o.unbroadcast(o.matmul(g, w), x),
       lambda o, g, ans, x, w, b: (
           o.matmul(o.matrix_transpose(g), x) if np.ndim(x) == 2 else
           o.matmul(o.expand_dims(g, axis=-1), o.expand_dims(x, axis=-2)) if np.ndim(x) == 1
           else o.sum(o.matmul(o.matrix_transpose(g), x),
                      axis=tuple(range(np.ndim(x) - 2)))),
       lambda o, g, ans, x, w, b: o.unbroadcast(g, b))
defprim("mse_loss", 2, mse_loss, Syntax("helper", "mse_loss"), reduction="mean")


def _mse_vjp(o, g, ans, a, b, reduction="mean", sign=1.0):
    d = (a - b) * (2.0 * sign)
    if reduction == "mean":
        return o.unbroadcast(d * (g / o.count(d)), a if sign > 0 else b)
    return o.unbroadcast(d * g, a if sign > 0 else b)


defvjp("mse_loss", _mse_vjp,
       lambda o, g, ans, a, b, reduction="mean": _mse_vjp(o, g, ans, a, b, reduction, -1.0))


def setitem(x, v, index):
    """A copy of ``x`` with ``x[index] = v`` (functional form of item assignment)."""
    out = np.array(x, copy=True)
    out[index] = v
    return out


defprim("setitem", 2, setitem, Syntax("helper", "setitem"), index=None)
defvjp("setitem",
       lambda o, g, ans, x, v, index=None: o.setitem(g, 0.0, index=index),
       lambda o, g, ans, x, v, index=None: o.getitem(g, index=index))


# --- np.array([a, b, c]) of scalar values -------------------------------------------------------
def pack(*xs, dtype=None):
    """A 1-D float array of the scalars ``xs``; with ``dtype`` (``"int64"``, ``"bool"``) an
    array of that dtype: ``np.array([0, 2])`` and ``y[[0, 2]]`` index with integers."""
    return np.array([float(x) for x in xs]) if dtype is None else np.array(xs, dtype=dtype)


defprim("pack", None, pack, Syntax("helper", "pack"), result_kind="array", dtype=None)
defvjp("pack", lambda o, g, ans, *xs, argnum=0, dtype=None: o.getitem(g, index=argnum))
defjvp("pack", lambda o, tangents, ans, *xs, dtype=None: o.pack(*[0.0 if t is None else t
                                                                  for t in tangents]))


# --- forward-mode (jvp) rules of the primitives above that had vjps only ---------------------
# ``tangents[i]`` is None for a symbolic zero; every rule returns a tangent of ``ans``'s shape.

def _prod_jvp(o, tangents, ans, x, axis=None, keepdims=False):
    # d prod(x) = sum(t * (the product of the other elements)): exact where x has zeros
    return o.sum(tangents[0] * o.prod_others(x, axis=axis), axis=axis, keepdims=keepdims)


def _extremum_jvp(o, tangents, ans, x, axis=None, keepdims=False):
    # the mean of the tangents at the elements equal to the extremum (the vjp's even split)
    hit = o.where(x == o.unreduce(ans, x, axis=axis, keepdims=keepdims), 1.0, 0.0)
    return o.sum(tangents[0] * hit, axis=axis, keepdims=keepdims) / \
        o.sum(hit, axis=axis, keepdims=keepdims)


def _norm_jvp(o, tangents, ans, x, axis=None, keepdims=False):
    # d|x| = <x, t> / |x| (0 where the norm is 0, as the vjp)
    return o.sum(x * tangents[0], axis=axis, keepdims=keepdims) / \
        o.where(ans == 0.0, 1.0, ans)


def _concatenate_jvp(o, tangents, ans, *xs, axis=0):
    # variadic and linear: the concatenation of the tangents (zeros for constant operands)
    return o.concatenate(*[t if t is not None else o.zeros_like(x)
                           for t, x in zip(tangents, xs)], axis=axis)


def _stack_jvp(o, tangents, ans, *xs, axis=0):
    return o.stack(*[t if t is not None else o.zeros_like(x)
                     for t, x in zip(tangents, xs)], axis=axis)


def _linear_jvp(o, tangents, ans, x, w, b):
    tx, tw, tb = tangents
    terms = []
    if tx is not None:
        terms.append(o.matmul(tx, o.matrix_transpose(w)))
    if tw is not None:
        terms.append(o.matmul(x, o.matrix_transpose(tw)))
    if tb is not None:
        terms.append(tb if terms else o.broadcast_like(tb, ans))
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _mse_jvp(o, tangents, ans, a, b, reduction="mean"):
    ta, tb = tangents
    dt = ta if tb is None else (-tb if ta is None else ta - tb)
    g = (a - b) * dt * 2.0
    if reduction == "mean":
        return o.mean(g)
    if reduction == "sum":
        return o.sum(g)
    return o.broadcast_like(g, ans)


def _setitem_jvp(o, tangents, ans, x, v, index=None):
    tx, tv = tangents
    return o.setitem(tx if tx is not None else o.zeros_like(ans),
                     tv if tv is not None else 0.0, index=index)


defjvp("prod", _prod_jvp)
defjvp("max", _extremum_jvp)
defjvp("min", _extremum_jvp)
defjvp("norm", _norm_jvp)
defjvp("concatenate", _concatenate_jvp)
defjvp("stack", _stack_jvp)
defjvp("linear", _linear_jvp)
defjvp("mse_loss", _mse_jvp)
defjvp("setitem", _setitem_jvp)
# concat_part and concat_pad are linear in their first operand: deflinear above

# --- the names users call them by (the frontend's call table is built from these) ----------
for _name in ("sum mean max min prod dot matmul outer transpose reshape concatenate stack "
              "expand_dims squeeze").split():
    defnames(_name, f"numpy.{_name}")
defnames("max", "numpy.amax")
defnames("squeeze", ".squeeze")
defnames("min", "numpy.amin")
defnames("sigmoid", "scipy.special.expit")
for _name in "sum mean max min prod dot reshape transpose".split():
    defnames(_name, f".{_name}")

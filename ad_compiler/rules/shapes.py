"""NumPy's axis, shape, tiling, padding and triangle functions, and joins and splits.

Axis permutations (``swapaxes``, ``moveaxis``, ``rollaxis``, ``transpose(axes)``) and rank
changes (``ravel``, ``atleast_2d``, ``vstack``...) are composites over ``transpose``,
``reshape``, ``expand_dims`` and ``concatenate``. The others are primitives whose vjp is
their linear transpose (``roll`` by ``-shift``, ``tile`` summed over its copies...).
"""

import numpy as np

from ..errors import DifferentiationError
from .numpy_fns import _constant, _permutation, _same
from .table import Syntax, defcomposite, defjvp, deflinear, defprim, defvjp


defcomposite("swapaxes", 1, np.swapaxes,
             lambda o, x, axis1, axis2: o.transpose(x, axes=_permutation(
                 lambda a: np.swapaxes(a, axis1, axis2), x.ndim)),
             ndim=_same, numpy="numpy.swapaxes .swapaxes", axis1=0, axis2=1)
defcomposite("moveaxis", 1, np.moveaxis,
             lambda o, x, source, destination: o.transpose(x, axes=_permutation(
                 lambda a: np.moveaxis(a, source, destination), x.ndim)),
             ndim=_same, numpy="numpy.moveaxis", source=0, destination=0)
defcomposite("rollaxis", 1, np.rollaxis,
             lambda o, x, axis, start=0: o.transpose(x, axes=_permutation(
                 lambda a: np.rollaxis(a, axis, start), x.ndim)),
             ndim=_same, numpy="numpy.rollaxis", axis=0, start=0)


def _ravel(x):
    return np.ravel(x)


defprim("ravel", 1, _ravel, Syntax("call", "np.ravel"), numpy="numpy.ravel .ravel .flatten",
        ndim=_constant(1))
defvjp("ravel", lambda o, g, ans, x: o.reshape_like(g, x))
deflinear("ravel")


def _atleast(rank):
    def expand(o, x):
        nd = x.ndim
        if nd >= rank:
            return x
        if nd == 0:
            x, nd = o.pack(x), 1
        if rank == 2 or nd == 2:
            x = o.expand_dims(x, axis=0) if nd == 1 else x
            return x if rank == 2 else o.expand_dims(x, axis=2)
        return o.expand_dims(o.expand_dims(x, axis=0), axis=2)     # 1-D to (1, n, 1)
    return expand


for _rank in (1, 2, 3):
    defcomposite(f"atleast_{_rank}d", 1, getattr(np, f"atleast_{_rank}d"), _atleast(_rank),
                 ndim=lambda ndims, operands, r=_rank, **a: None if ndims[0] is None
                 else max(ndims[0], r), numpy=f"numpy.atleast_{_rank}d")


# --- broadcasting, repetition, rolling -------------------------------------------------------
def _broadcast_to(x, shape=()):
    return np.broadcast_to(x, shape).copy()


defprim("broadcast_to", 1, _broadcast_to, Syntax("helper", "broadcast_to"), numba="objmode",
        numpy="numpy.broadcast_to", ndim=lambda ndims, operands, shape=(), **a:
        len(shape) if isinstance(shape, tuple) else 1, shape=())
defvjp("broadcast_to", lambda o, g, ans, x, shape=(): o.unbroadcast(g, x))
deflinear("broadcast_to")


def _repeat(x, repeats=1, axis=None):
    return np.repeat(x, repeats, axis=axis)


def _transpose_of_gather(g, like, gather):
    """The vjp of a linear map that only copies elements of ``like`` (``np.repeat``, the
    index modes of ``np.pad``, an einsum diagonal): ``gather`` applied to the flat indices
    of ``like`` says where each element went, and each element receives the sum of ``g``
    over those places."""
    x = np.asarray(like)
    index = gather(np.arange(x.size).reshape(x.shape))
    summed = np.bincount(np.ravel(index), weights=np.ravel(g), minlength=x.size)
    return summed.reshape(x.shape).astype(np.result_type(g, np.float32))


def _unrepeat(g, like, repeats=1, axis=None):
    """The transpose of ``np.repeat`` (a count, or one count per element along ``axis``)."""
    return _transpose_of_gather(g, like, lambda i: np.repeat(i, repeats, axis=axis))


defprim("repeat", 1, _repeat, Syntax("helper", "repeat"), numba="objmode",
        numpy="numpy.repeat .repeat", ndim=lambda ndims, operands, axis=None, **a:
        1 if axis is None else ndims[0], repeats=1, axis=None)
defprim("unrepeat", 2, _unrepeat, Syntax("helper", "unrepeat"), numba="objmode",
        ndim=lambda ndims, operands, **a: ndims[1], repeats=1, axis=None)
defvjp("repeat", lambda o, g, ans, x, repeats=1, axis=None:
       o.unrepeat(g, x, repeats=repeats, axis=axis))
defvjp("unrepeat", lambda o, g, ans, x, like, repeats=1, axis=None:
       o.repeat(g, repeats=repeats, axis=axis), None)
deflinear("repeat")
deflinear("unrepeat")


def _tile(x, reps=1):
    return np.tile(x, reps)


def _untile(g, like, reps=1):
    """The transpose of ``np.tile``: the copies summed."""
    shape = np.shape(like)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    nd = max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + tuple(shape)
    reps = (1,) * (nd - len(reps)) + reps
    split = [n for pair in zip(reps, shape) for n in pair]
    total = np.reshape(g, split).sum(axis=tuple(range(0, 2 * nd, 2)))
    return np.reshape(total, np.shape(like))


def _tile_ndim(ndims, operands, reps=1, **attrs):
    n = 1 if isinstance(reps, int) else len(reps)
    return None if ndims[0] is None else max(ndims[0], n)


defprim("tile", 1, _tile, Syntax("helper", "tile"), numba="objmode", numpy="numpy.tile",
        ndim=_tile_ndim, reps=1)
defprim("untile", 2, _untile, Syntax("helper", "untile"), numba="objmode",
        ndim=lambda ndims, operands, **a: ndims[1], reps=1)
defvjp("tile", lambda o, g, ans, x, reps=1: o.untile(g, x, reps=reps))
defvjp("untile", lambda o, g, ans, x, like, reps=1: o.tile(g, reps=reps), None)
deflinear("tile")
deflinear("untile")


def _roll(x, shift=0, axis=None):
    return np.roll(x, shift, axis=axis)


def _negated(shift):
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


defprim("roll", 1, _roll, Syntax("helper", "roll"), numba="objmode", numpy="numpy.roll",
        ndim=_same, shift=0, axis=None)
defvjp("roll", lambda o, g, ans, x, shift=0, axis=None:
       o.roll(g, shift=_negated(shift), axis=axis))
deflinear("roll")
defprim("fftshift", 1, np.fft.fftshift, Syntax("helper", "fftshift"), numba="objmode",
        numpy="numpy.fft.fftshift", ndim=_same, axes=None)
defprim("ifftshift", 1, np.fft.ifftshift, Syntax("helper", "ifftshift"), numba="objmode",
        numpy="numpy.fft.ifftshift", ndim=_same, axes=None)
defvjp("fftshift", lambda o, g, ans, x, axes=None: o.ifftshift(g, axes=axes))
defvjp("ifftshift", lambda o, g, ans, x, axes=None: o.fftshift(g, axes=axes))
deflinear("fftshift")
deflinear("ifftshift")


# --- diagonals and triangles ------------------------------------------------------------------
def _diagonal(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(x, offset, axis1, axis2).copy()


def _diagonal_pad(g, like, offset=0, axis1=0, axis2=1):
    """Zeros shaped like ``like`` with ``g`` on its diagonal: the transpose of diagonal."""
    out = np.zeros(np.shape(like))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = np.shape(g)[-1]
    rows = np.arange(n) + max(-offset, 0)
    view[..., rows, rows + offset] = g
    return out


defprim("diagonal", 1, _diagonal, Syntax("helper", "diagonal"), numba="objmode",
        numpy="numpy.diagonal .diagonal", ndim=lambda ndims, operands, **a:
        None if ndims[0] is None else ndims[0] - 1, offset=0, axis1=0, axis2=1)
defprim("diagonal_pad", 2, _diagonal_pad, Syntax("helper", "diagonal_pad"), numba="objmode",
        ndim=lambda ndims, operands, **a: ndims[1], offset=0, axis1=0, axis2=1)
defvjp("diagonal", lambda o, g, ans, x, **a: o.diagonal_pad(g, x, **a))
defvjp("diagonal_pad", lambda o, g, ans, x, like, **a: o.diagonal(g, **a), None)
deflinear("diagonal")
deflinear("diagonal_pad")


def _diag(x, k=0):
    return np.diag(x, k).copy()


defprim("diag", 1, _diag, Syntax("helper", "diag"), numba="objmode", numpy="numpy.diag",
        ndim=lambda ndims, operands, **a: None if ndims[0] is None else 3 - ndims[0], k=0)
defvjp("diag", lambda o, g, ans, x, k=0: o.diag(g, k=k) if x.ndim == 1
       else o.diagonal_pad(g, x, offset=k))
deflinear("diag")
for _name in ("tril", "triu"):
    defprim(_name, 1, getattr(np, _name), Syntax("helper", _name), numba="objmode",
            numpy=f"numpy.{_name}", ndim=_same, k=0)
    defvjp(_name, lambda o, g, ans, x, k=0, _n=_name: getattr(o, _n)(g, k=k))
    deflinear(_name)


# --- padding ----------------------------------------------------------------------------------
# np.pad lowers to pad_flat (mode 'constant') or pad_copy (the modes that copy elements of the
# array: 'edge', 'reflect', 'symmetric', 'wrap'), whose widths are one flat tuple
# (b0, a0, b1, a1, ...): constant attributes of Numba code are flat tuples of ints
_COPYING_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pairs(widths):
    return tuple(zip(widths[::2], widths[1::2]))


def _pad_flat(x, widths=(), constant_values=0.0):
    return np.pad(x, _pairs(widths), mode="constant", constant_values=constant_values)


def _pad_copy(x, widths=(), mode="edge"):
    return np.pad(x, _pairs(widths), mode=mode)


def _unpad_copy(g, like, widths=(), mode="edge"):
    return _transpose_of_gather(g, like, lambda i: np.pad(i, _pairs(widths), mode=mode))


def _pad_expand(o, x, pad_width=0, mode="constant", constant_values=0):
    pairs = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    widths = tuple(int(w) for w in pairs.ravel())
    if mode in _COPYING_PAD_MODES:
        return o.pad_copy(x, widths=widths, mode=mode)
    if mode != "constant":
        raise DifferentiationError(f"np.pad with mode={mode!r} (supported: 'constant', "
                                   + ", ".join(repr(m) for m in _COPYING_PAD_MODES) + ")")
    return o.pad_flat(x, widths=widths, constant_values=float(constant_values))


defcomposite("pad", 1, np.pad, _pad_expand, ndim=_same, numpy="numpy.pad", pad_width=0,
             mode="constant", constant_values=0)
defprim("pad_flat", 1, _pad_flat, Syntax("helper", "pad_flat"), numba="objmode", ndim=_same,
        widths=(), constant_values=0.0)
defvjp("pad_flat", lambda o, g, ans, x, widths=(), constant_values=0.0: o.getitem(
    g, index=tuple(slice(b, -a if a else None) for b, a in _pairs(widths))))
defjvp("pad_flat", lambda o, tangents, ans, x, widths=(), constant_values=0.0:
       o.pad_flat(tangents[0], widths=widths, constant_values=0.0))
defprim("pad_copy", 1, _pad_copy, Syntax("helper", "pad_copy"), numba="objmode", ndim=_same,
        widths=(), mode="edge")
defprim("unpad_copy", 2, _unpad_copy, Syntax("helper", "unpad_copy"), numba="objmode",
        ndim=lambda ndims, operands, **a: ndims[1], widths=(), mode="edge")
defvjp("pad_copy", lambda o, g, ans, x, **a: o.unpad_copy(g, x, **a))
defvjp("unpad_copy", lambda o, g, ans, x, like, **a: o.pad_copy(g, **a), None)
deflinear("pad_copy")
deflinear("unpad_copy")


# --- np.array of values, joins and splits -------------------------------------------------------
def _array_of(*xs):
    return np.array(xs, dtype=float)


def _array_of_expand(o, *xs):
    if all(x.ndim == 0 for x in xs):
        kinds = {x.value.kind for x in xs}   # np.array([0, 2]) holds integers, as in NumPy
        if kinds == {"int"}:
            return o.pack(*xs, dtype="int64")
        if kinds == {"bool"}:
            return o.pack(*xs, dtype="bool")
        return o.pack(*xs)
    if any(x.ndim == 0 for x in xs):
        raise DifferentiationError("np.array of a list mixing scalars and arrays")
    return o.stack(*xs, axis=0)


defcomposite("array_of", None, _array_of, _array_of_expand, sequence=True,
             ndim=lambda ndims, operands, **a: None if None in ndims else ndims[0] + 1)


def _join(rank, axis_of):
    """vstack/hstack/dstack/column_stack: raise every operand to ``rank`` (column_stack:
    1-D operands become columns), then concatenate along ``axis_of(ndim)``."""
    def expand(o, *xs):
        parts = []
        for x in xs:
            if rank == "column":
                parts.append(o.expand_dims(x, axis=1) if x.ndim == 1 else
                             _atleast(2)(o, x))
            elif rank:
                parts.append(_atleast(rank)(o, x))
            else:
                parts.append(_atleast(1)(o, x))
        return o.concatenate(*parts, axis=axis_of(parts[0].ndim))
    return expand


def _join_ndim(rank):
    return lambda ndims, operands, **a: None if None in ndims else max(
        max(ndims), 2 if rank == "column" else (rank or 1))


for _name, _rank, _axis in (("vstack", 2, lambda nd: 0), ("row_stack", 2, lambda nd: 0),
                            ("hstack", 0, lambda nd: 0 if nd == 1 else 1),
                            ("dstack", 3, lambda nd: 2), ("column_stack", "column",
                                                          lambda nd: 1)):
    defcomposite(_name, None, getattr(np, _name, np.vstack), _join(_rank, _axis),
                 sequence=True, ndim=_join_ndim(_rank), numpy=f"numpy.{_name}")


# np.vstack(a) of ONE array joins its rows (NumPy iterates over the first axis): a pure
# rearrangement of the elements, so its vjp is the transpose of that gather
ROW_JOINS = ("vstack", "row_stack", "hstack", "dstack", "column_stack")


def _join_rows(x, join="vstack"):
    return getattr(np, join, np.vstack)(np.asarray(x))


def _unjoin_rows(g, like, join="vstack"):
    return _transpose_of_gather(g, like, lambda i: _join_rows(i, join))


defprim("join_rows", 1, _join_rows, Syntax("helper", "join_rows"), numba="objmode",
        ndim=lambda ndims, operands, join="vstack": None if ndims[0] is None else
        _join_rows(np.ones((1,) * ndims[0]), join).ndim, join="vstack")
defprim("unjoin_rows", 2, _unjoin_rows, Syntax("helper", "unjoin_rows"), numba="objmode",
        ndim=lambda ndims, operands, **a: ndims[1], join="vstack")
defvjp("join_rows", lambda o, g, ans, x, join="vstack": o.unjoin_rows(g, x, join=join))
defvjp("unjoin_rows", lambda o, g, ans, x, like, join="vstack": o.join_rows(g, join=join),
       None)
deflinear("join_rows")
deflinear("unjoin_rows")


def _append(o, arr, values, axis=None):
    if axis is None:
        return o.concatenate(o.ravel(arr), o.ravel(values), axis=0)
    return o.concatenate(arr, values, axis=axis)


defcomposite("append", 2, np.append, _append, numpy="numpy.append", args=("arr", "values"),
             ndim=lambda ndims, operands, axis=None, **a: 1 if axis is None else ndims[0],
             axis=None)


def _split_axis(axis, x):
    """``"h"`` (np.hsplit) is axis 1, or 0 for a vector."""
    return (1 if np.ndim(x) > 1 else 0) if axis == "h" else axis


def _split_part(x, sections=1, index=0, axis=0, even=False):
    axis = _split_axis(axis, x)
    if even:
        return np.split(x, sections, axis=axis)[index].copy()
    return np.array_split(x, sections, axis=axis)[index].copy()


def _split_pad(g, like, sections=1, index=0, axis=0, even=False):
    out = np.zeros(np.shape(like))
    np.array_split(out, sections, axis=_split_axis(axis, like))[index][...] = g
    return out


defprim("split_part", 1, _split_part, Syntax("helper", "split_part"), numba="objmode",
        ndim=_same, sections=1, index=0, axis=0, even=False)
defprim("split_pad", 2, _split_pad, Syntax("helper", "split_pad"), numba="objmode",
        ndim=lambda ndims, operands, **a: ndims[1], sections=1, index=0, axis=0, even=False)
defvjp("split_part", lambda o, g, ans, x, **a: o.split_pad(g, x, **a))
defvjp("split_pad", lambda o, g, ans, x, like, **a: o.split_part(g, **a), None)
deflinear("split_part")
deflinear("split_pad")


def _array_copy(x):
    return np.array(x, dtype=float)


# np.array(x) of a value: a copy of an array, the value itself for a scalar
defcomposite("array_copy", 1, _array_copy, lambda o, x: x if x.ndim == 0 else o.copy(x),
             ndim=_same)
# np.asarray(x) of a value: the array itself (an alias, not a copy), the value of a scalar
defcomposite("asarray", 1, _array_copy, lambda o, x: x, ndim=_same)

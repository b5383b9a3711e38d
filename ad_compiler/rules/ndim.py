"""How many dimensions each primitive's result has, given its operands'.

Specialising the IR to a call's argument types (:mod:`ad_compiler.transforms.specialize`)
uses these to tell scalars from arrays through a whole function: ``np.dot`` of two vectors is
a float, a row ``a[i]`` of a matrix is an array. ``None`` means unknown.
"""

from .table import PRIMITIVES, defndim


def _known(ndims):
    return None if any(n is None for n in ndims) else ndims


def _elementwise(ndims, operands, **attrs):
    ndims = _known(ndims)
    return max(ndims, default=0) if ndims is not None else None


def _reduction(ndims, operands, axis=None, keepdims=False, **attrs):
    (n,) = ndims
    if n is None:
        return None if not (axis is None and not keepdims) else 0
    if keepdims:
        return n
    if axis is None:
        return 0
    return n - (len(axis) if isinstance(axis, tuple) else 1)


def _matmul(ndims, operands, **attrs):
    """``a @ b``: a vector operand loses its axis; batch axes broadcast."""
    if _known(ndims) is None or 0 in ndims:
        return None                  # (a scalar operand: NumPy raises)
    na, nb = ndims
    return na + nb - 2 if 1 in ndims else max(na, nb)


def _dot(ndims, operands, **attrs):
    """``np.dot(a, b)``: a scalar operand multiplies; else ``a``'s last axis meets ``b``'s
    second-to-last (its only one for a vector). A ``b`` of rank 3 or more: unknown (its
    rules are matmul's, which broadcasts ``b``'s leading axes where np.dot keeps them)."""
    if _known(ndims) is None:
        return None
    na, nb = ndims
    if 0 in ndims:
        return max(na, nb)
    return na + nb - 2 if nb <= 2 else None


def _same_as_first(ndims, operands, **attrs):
    return ndims[0]


def _same_as_second(ndims, operands, **attrs):
    return ndims[1]


def _shape_rank(shape) -> int | None:
    """Rank of an array built from ``shape``: an int gives 1, ``x.shape`` x's ndim, a literal
    tuple its length."""
    if shape.kind == "int":
        return 1
    return shape.ndim if shape.kind == "shape" else None


def _from_shape(ndims, operands, **attrs):
    return _shape_rank(operands[0])


def _reshape(ndims, operands, shape=None, **attrs):
    if len(operands) > 1:
        return _shape_rank(operands[1])
    return len(shape) if isinstance(shape, tuple) else (1 if isinstance(shape, int) else None)


defndim(" ".join(name for name, prim in PRIMITIVES.items() if prim.elementwise), _elementwise)
defndim("sum mean prod max min norm", _reduction)
defndim("dot", _dot)
defndim("matmul", _matmul)
defndim("outer", lambda ndims, operands, **attrs: 2)
defndim("pack arange linspace", lambda ndims, operands, **attrs: 1)
defndim("transpose matrix_transpose copy zeros_like ones_like empty_like concatenate "
        "concat_part concat_pad", _same_as_first)
defndim("unbroadcast broadcast_like unreduce reshape_like", _same_as_second)
defndim("zeros ones empty full", _from_shape)
defndim("reshape", _reshape)
def _axes_count(axis) -> int:
    return len(axis) if isinstance(axis, (tuple, list)) else 1


defndim("expand_dims", lambda ndims, operands, axis=None, **attrs:
        None if ndims[0] is None else ndims[0] + _axes_count(axis))
# without an axis, squeeze removes every axis of length 1: its rank depends on the shape
defndim("squeeze", lambda ndims, operands, axis=None, **attrs:
        None if ndims[0] is None or axis is None else ndims[0] - _axes_count(axis))
defndim("shape", _same_as_first)   # a shape value's ndim is its length
defndim("tuple", lambda ndims, operands, **attrs: len(operands))
defndim("stack", lambda ndims, operands, **attrs: None if ndims[0] is None else ndims[0] + 1)


def _getitem(ndims, operands, index=None, **attrs):
    """``x[index]`` of a constant basic index (ints, slices, None, Ellipsis): an int takes an
    axis, None adds one. A 0-d result (kept a 0-d array) and other indices: unknown."""
    n = ndims[0]
    index = index if isinstance(index, tuple) else (index,)
    if n is None or not all(i is None or i is Ellipsis or isinstance(i, slice) or
                            (isinstance(i, int) and not isinstance(i, bool)) for i in index):
        return None
    out = n - sum(isinstance(i, int) for i in index) + sum(i is None for i in index)
    return out if out > 0 else None


def _list_tape(ndims, operands, **attrs):
    """A list tape of arrays of rank r reads as an array of rank r + 1: ``tape[k]`` is an
    entry (what forward mode over an adjoint, ``ad.hessian``, needs to tell from a scalar)."""
    rank = getattr(operands[0], "value", None)
    return rank + 1 if isinstance(rank, int) and not isinstance(rank, bool) else None


defndim("array_list reference_list", _list_tape)
defndim("list_put put_reference", _same_as_first)
defndim("getitem", _getitem)
defndim("setitem", _same_as_first)
defndim("scatter_like", _same_as_second)

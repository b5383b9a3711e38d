"""Tensor products: ``einsum`` (the one primitive with rules) and the products NumPy defines
through it: ``tensordot``, ``inner``, ``vdot``, ``kron``, ``cross``, and ``np.dot`` of 0-D
and N-D operands.

An einsum's vjp for operand ``i`` is another einsum: the cotangent contracted with every
other operand, giving operand ``i``'s labels (labels only operand ``i`` has are summed in
the forward product, so its cotangent is broadcast along them).
"""

import string

import numpy as np

from .numpy_fns import _permutation
from .table import PRIMITIVES, Syntax, defcomposite, defjvp, deflinear, defprim, defvjp


def _einsum(*operands, subscripts=""):
    return np.einsum(subscripts, *operands)


def _parse(subscripts, ndims):
    """``(inputs, output)`` label strings with ``...`` replaced by explicit labels."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    inputs = lhs.split(",")
    free = [c for c in string.ascii_letters if c not in subscripts]
    width = max([n - (len(s) - 3) for s, n in zip(inputs, ndims) if "..." in s], default=0)
    dots = "".join(free[:width])
    resolved = []
    for s, n in zip(inputs, ndims):
        if "..." in s:
            k = n - (len(s) - 3)
            s = s.replace("...", dots[width - k:])
        resolved.append(s)
    if not arrow:
        counts = {c: "".join(resolved).count(c) for c in "".join(resolved)}
        out = dots + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in dots))
    else:
        out = out.replace("...", dots)
    return resolved, out


def _einsum_vjp(o, g, ans, *operands, subscripts="", argnum=0):
    inputs, out = _parse(subscripts, [x.ndim for x in operands])
    target = inputs[argnum]
    unique = "".join(dict.fromkeys(target))
    if unique != target:
        # a label repeated within the operand reads its diagonal: the cotangent of that
        # diagonal (an einsum of unique labels) is written back onto it
        diagonal = o.einsum(operands[argnum], subscripts=f"{target}->{unique}")
        inputs[argnum] = unique
        spec = ",".join(inputs) + "->" + out
        rest = list(operands[:argnum]) + [diagonal] + list(operands[argnum + 1:])
        part = _einsum_vjp(o, g, ans, *rest, subscripts=spec, argnum=argnum)
        return o.einsum_undiagonal(part, operands[argnum], subscripts=f"{target}->{unique}")
    others = [s for k, s in enumerate(inputs) if k != argnum]
    known = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in target if c in known)
    spec = ",".join([out] + others) + "->" + kept
    part = o.einsum(g, *[x for k, x in enumerate(operands) if k != argnum], subscripts=spec)
    if kept == target:
        return part
    for axis, c in enumerate(target):
        if c not in known and kept:     # a 0-D part broadcasts as it is
            part = o.expand_dims(part, axis=axis)
    return o.broadcast_like(part, operands[argnum])


def _einsum_jvp(o, tangents, ans, *operands, subscripts=""):
    total = None
    for k, t in enumerate(tangents):
        if t is not None:
            term = o.einsum(*operands[:k], t, *operands[k + 1:], subscripts=subscripts)
            total = term if total is None else total + term
    return total


def _einsum_undiagonal(g, like, subscripts=""):
    """The transpose of the diagonal read ``np.einsum(subscripts, like)`` (labels repeated
    in the input): ``g`` placed on that diagonal of an array of zeros shaped as ``like``."""
    like = np.asarray(like)
    index = np.einsum(subscripts, np.arange(like.size).reshape(like.shape))
    out = np.zeros(like.size, dtype=np.result_type(g, np.float32))
    out[np.ravel(index)] = np.ravel(g)
    return out.reshape(like.shape)


def _einsum_ndim(ndims, operands, subscripts="", **attrs):
    if any(n is None for n in ndims):
        return None
    return len(_parse(subscripts, ndims)[1])


defprim("einsum", None, _einsum, Syntax("helper", "einsum"), numba="objmode",
        numpy="numpy.einsum",
        ndim=_einsum_ndim, subscripts="")
defvjp("einsum", _einsum_vjp)
defjvp("einsum", _einsum_jvp)
defprim("einsum_undiagonal", 2, _einsum_undiagonal, Syntax("helper", "einsum_undiagonal"),
        numba="objmode", ndim=lambda ndims, operands, **a: ndims[1], subscripts="")
defvjp("einsum_undiagonal", lambda o, g, ans, x, like, subscripts="":
       o.einsum(g, subscripts=subscripts), None)
deflinear("einsum_undiagonal")


def _labels(n, start=0):
    return string.ascii_lowercase[start:start + n]


def _tensordot_spec(na, nb, axes):
    if isinstance(axes, int):
        axes = (tuple(range(na - axes, na)), tuple(range(axes)))
    a_axes, b_axes = ((ax,) if isinstance(ax, int) else tuple(ax) for ax in axes)
    a = list(_labels(na))
    b = list(_labels(nb, na))
    for i, j in zip(a_axes, b_axes):
        b[j % nb] = a[i % na]
    summed = {a[i % na] for i in a_axes}
    out = [c for c in a if c not in summed] + [c for c in b if c not in summed]
    return "".join(a) + "," + "".join(b) + "->" + "".join(out)


defcomposite("tensordot", 2, np.tensordot,
             lambda o, a, b, axes=2: o.einsum(a, b, subscripts=_tensordot_spec(
                 a.ndim, b.ndim, axes)),
             numpy="numpy.tensordot", args=("a", "b"), axes=2,
             ndim=lambda ndims, operands, axes=2, **k: None if None in ndims else
             len(_tensordot_spec(*ndims, axes).split("->")[1]))


def _dot(o, a, b):
    na, nb = a.ndim, b.ndim
    if na == 0 or nb == 0:
        return a * b
    if na <= 2 and nb <= 2:
        return o.matmul(a, b)
    return o.einsum(a, b, subscripts=_tensordot_spec(na, nb, ((na - 1,), (max(nb - 2, 0),))))


def _dot_ndim(ndims, operands, **attrs):
    na, nb = ndims
    if na is None or nb is None:
        return None
    if na == 0 or nb == 0:
        return na + nb
    return na + nb - 2


# np.dot is matmul for 1-D and 2-D operands, a product with a scalar, and a tensordot over
# the last axis of a and the second-to-last of b above 2-D (its vjps serve the runtime)
PRIMITIVES["dot"].expand = _dot
PRIMITIVES["dot"].ndim = _dot_ndim


def _inner(o, a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return o.einsum(a, b, subscripts=_tensordot_spec(a.ndim, b.ndim, ((-1,), (-1,))))


defcomposite("inner", 2, np.inner, _inner, numpy="numpy.inner",
             ndim=lambda ndims, operands, **k: None if None in ndims else
             max(ndims[0] + ndims[1] - 2, 0))
defcomposite("vdot", 2, np.vdot, lambda o, a, b: o.sum(o.ravel(a) * o.ravel(b)),
             numpy="numpy.vdot", ndim=lambda ndims, operands, **k: 0)


def _kron(o, a, b):
    nd = max(a.ndim, b.ndim)
    while a.ndim < nd:
        a = o.expand_dims(a, axis=0)
    while b.ndim < nd:
        b = o.expand_dims(b, axis=0)
    la, lb = _labels(nd), _labels(nd, nd)
    outer = o.einsum(a, b, subscripts=f"{la},{lb}->" + "".join(x + y for x, y in zip(la, lb)))
    return o.kron_merge(outer)


def _kron_merge(x):
    """An array of shape ``(a0, b0, a1, b1, ...)`` with each pair of axes merged."""
    s = np.shape(x)
    return np.reshape(x, tuple(s[k] * s[k + 1] for k in range(0, len(s), 2)))


def _kron_split(g, like):
    return np.reshape(g, np.shape(like))


defprim("kron_merge", 1, _kron_merge, Syntax("helper", "kron_merge"), numba="objmode",
        ndim=lambda ndims, operands, **k: None if ndims[0] is None else ndims[0] // 2)
defprim("kron_split", 2, _kron_split, Syntax("helper", "kron_split"), numba="objmode",
        ndim=lambda ndims, operands, **k: ndims[1])
defvjp("kron_merge", lambda o, g, ans, x: o.kron_split(g, x))
defvjp("kron_split", lambda o, g, ans, x, like: o.kron_merge(g), None)
defjvp("kron_merge", lambda o, tangents, ans, x: o.kron_merge(tangents[0]))
defjvp("kron_split", lambda o, tangents, ans, x, like: o.kron_split(tangents[0], like))
defcomposite("kron", 2, np.kron, _kron, numpy="numpy.kron",
             ndim=lambda ndims, operands, **k: None if None in ndims else max(ndims))


def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return np.cross(a, b, axisa, axisb, axisc, axis)


def _moveaxis(o, x, source, destination, nd=None):
    nd = x.ndim if nd is None else nd
    perm = _permutation(lambda a: np.moveaxis(a, source, destination), nd)
    return x if perm == tuple(range(nd)) else o.transpose(x, axes=perm)


def _cross_vjp(first):
    def rule(o, g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
        if axis is not None:
            axisa = axisb = axisc = axis
        gm = _moveaxis(o, g, axisc, -1, ans.ndim)
        if first:   # d/da <g, a x b> = b x g
            out = o.cross(_moveaxis(o, b, axisb, -1), gm)
            return o.unbroadcast(_moveaxis(o, out, -1, axisa, ans.ndim), a)
        out = o.cross(gm, _moveaxis(o, a, axisa, -1))
        return o.unbroadcast(_moveaxis(o, out, -1, axisb, ans.ndim), b)
    return rule


defprim("cross", 2, _cross, Syntax("helper", "cross"), numba="objmode", numpy="numpy.cross",
        args=("a", "b"), ndim=lambda ndims, operands, **k: None if None in ndims else
        max(ndims), axisa=-1, axisb=-1, axisc=-1, axis=None)
defvjp("cross", _cross_vjp(True), _cross_vjp(False))
defjvp("cross", lambda o, tangents, ans, a, b, **k: (
    o.cross(tangents[0], b, **k) if tangents[0] is not None else 0.0) + (
    o.cross(a, tangents[1], **k) if tangents[1] is not None else 0.0))

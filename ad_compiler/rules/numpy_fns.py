"""NumPy's reductions, products, shape, join and split functions beyond the core table.

Most are *composites* (``defcomposite``): once operand ranks are known they lower into the
primitives of :mod:`.array` (``np.var`` into means and sums, ``np.swapaxes`` into a
``transpose``, ``np.vstack`` into a ``concatenate``), so they need no rules of their own and
run natively on every backend. The rest are primitives with rules; Numba runs those that it
lacks through their NumPy implementation (``numba="objmode"``).
"""

import math

import numpy as np

from ..errors import DifferentiationError
from .table import Syntax, defcomposite, deflinear, defjvp, defprim, defvjp


def _axes(axis, nd):
    """``axis`` (None, an int or a tuple, negative from the end) as a tuple of axes >= 0."""
    if axis is None:
        return tuple(range(nd))
    return tuple(sorted(a % nd for a in (axis if isinstance(axis, tuple) else (axis,))))


def _permutation(fn, nd):
    """The axis permutation that an axis-moving NumPy function applies to a rank-``nd``
    array: read off the shape it gives an array whose axis ``k`` has length ``k + 1``."""
    moved = fn(np.empty(tuple(range(1, nd + 1))))
    return tuple(n - 1 for n in moved.shape)


def _reduction_ndim(ndims, operands, axis=None, keepdims=False, **attrs):
    n = ndims[0]
    if n is None:
        return None
    if keepdims:
        return n
    return 0 if axis is None else n - len(_axes(axis, n))


def _same(ndims, operands, **attrs):
    return ndims[0]


def _constant(rank):
    return lambda ndims, operands, **attrs: rank


def _is_none(v):
    return getattr(getattr(v, "value", None), "value", 0) is None


def _scipy(name):
    """SciPy's function ``scipy.special.<name>`` (imported when first called: the Tensor
    runtime's implementation of the composite)."""
    def call(*args, **kwargs):
        import scipy.special

        return getattr(scipy.special, name)(*args, **kwargs)

    call.__name__ = name
    return call


# --- statistics ----------------------------------------------------------------------------
def _var(o, x, axis=None, ddof=0, keepdims=False, **_):
    d = x - o.mean(x, axis=axis, keepdims=True)
    return o.sum(d * d, axis=axis, keepdims=keepdims) / (o.count(x, axis=axis) - ddof)


defcomposite("var", 1, np.var, _var, ndim=_reduction_ndim, numpy="numpy.var .var",
             axis=None, dtype=None, out=None, ddof=0, keepdims=False)
def _std(o, x, axis=None, ddof=0, keepdims=False, **_):
    # sqrt's derivative at a zero variance is taken as 0 (a constant input), as autograd
    v = _var(o, x, axis=axis, ddof=ddof, keepdims=keepdims)
    return o.where(v == 0.0, 0.0, o.sqrt(o.where(v == 0.0, 1.0, v)))


defcomposite("std", 1, np.std, _std,
             ndim=_reduction_ndim, numpy="numpy.std .std", axis=None, dtype=None, out=None,
             ddof=0, keepdims=False)


def _logsumexp(o, x, axis=None, keepdims=False):
    # the maximum is subtracted for range, as SciPy does; its derivative cancels exactly
    # (d/dm [m + log sum exp(x - m)] = 1 - 1), so a tie between maxima changes nothing
    m = o.max(x, axis=axis, keepdims=True)
    s = o.log(o.sum(o.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else o.sum(s, axis=axis)     # (summing size-1 axes drops them)


defcomposite("logsumexp", 1, _scipy("logsumexp"), _logsumexp, ndim=_reduction_ndim,
             numpy="scipy.special.logsumexp", axis=None, keepdims=False)


def _softmax(o, x, axis=None):
    e = o.exp(x - o.max(x, axis=axis, keepdims=True))     # (the shift cancels exactly)
    return e / o.sum(e, axis=axis, keepdims=True)


def _log_softmax(o, x, axis=None):
    return x - _logsumexp(o, x, axis=axis, keepdims=True)


defcomposite("softmax", 1, _scipy("softmax"), _softmax, ndim=_same,
             numpy="scipy.special.softmax", axis=None)
defcomposite("log_softmax", 1, _scipy("log_softmax"), _log_softmax, ndim=_same,
             numpy="scipy.special.log_softmax", axis=None)
defcomposite("erfc", 1, _scipy("erfc"), lambda o, x: 1.0 - o.erf(x), ndim=_same,
             numpy="scipy.special.erfc math.erfc")
defcomposite("logit", 1, _scipy("logit"), lambda o, p: o.log(p) - o.log1p(-p), ndim=_same,
             numpy="scipy.special.logit")
defcomposite("ndtr", 1, _scipy("ndtr"),        # the standard normal distribution function
             lambda o, x: 0.5 + 0.5 * o.erf(x * (1.0 / math.sqrt(2.0))), ndim=_same,
             numpy="scipy.special.ndtr")


def _ptp(o, x, axis=None, keepdims=False, **_):
    return o.max(x, axis=axis, keepdims=keepdims) - o.min(x, axis=axis, keepdims=keepdims)


defcomposite("ptp", 1, np.ptp, _ptp, ndim=_reduction_ndim, numpy="numpy.ptp", axis=None,
             out=None, keepdims=False)


def _finite_part(o, x):
    return o.where(o.isnan(x), 0.0, x)


def _nansum(o, x, axis=None, keepdims=False, **_):
    return o.sum(_finite_part(o, x), axis=axis, keepdims=keepdims)


def _nanmean(o, x, axis=None, keepdims=False, **_):
    present = o.where(o.isnan(x), 0.0, 1.0)
    return _nansum(o, x, axis=axis, keepdims=keepdims) / \
        o.sum(present, axis=axis, keepdims=keepdims)


defcomposite("nansum", 1, np.nansum, _nansum, ndim=_reduction_ndim, numpy="numpy.nansum",
             axis=None, dtype=None, out=None, keepdims=False)
defcomposite("nanmean", 1, np.nanmean, _nanmean, ndim=_reduction_ndim,
             numpy="numpy.nanmean", axis=None, dtype=None, out=None, keepdims=False)


def _average(o, x, weights, axis=None, keepdims=False):
    if _is_none(weights):
        return o.mean(x, axis=axis, keepdims=keepdims)
    if weights.ndim == 1 and x.ndim > 1:      # weights along axis, as NumPy reads them
        k = axis % x.ndim
        for _ in range(k):
            weights = o.expand_dims(weights, axis=0)
        for _ in range(x.ndim - k - 1):
            weights = o.expand_dims(weights, axis=-1)
    return o.sum(x * weights, axis=axis, keepdims=keepdims) / \
        o.sum(o.broadcast_like(weights, x), axis=axis, keepdims=keepdims)


defcomposite("average", 2, np.average, _average, ndim=_reduction_ndim, numpy="numpy.average",
             args=("a", "weights=None"), axis=None, keepdims=False)


def _trace(o, x, offset=0, axis1=0, axis2=1, **_):
    return o.sum(o.diagonal(x, offset=offset, axis1=axis1, axis2=axis2), axis=-1)


defcomposite("trace", 1, np.trace, _trace, numpy="numpy.trace .trace",
             ndim=lambda ndims, operands, **a: None if ndims[0] is None else ndims[0] - 2,
             offset=0, axis1=0, axis2=1)


# --- scans and differences -------------------------------------------------------------------
def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumprod(x, axis=None):
    return np.cumprod(x, axis=axis)


def _scan_ndim(ndims, operands, axis=None, **attrs):
    return 1 if axis is None else ndims[0]


def _reverse_cumsum(o, g, axis, nd):
    """``g`` summed from the end along ``axis`` (``nd``: its rank; a cotangent's rank is
    its primal's)."""
    return _flip(o, o.cumsum(_flip(o, g, axis, nd), axis=axis), axis, nd)


defprim("cumsum", 1, _cumsum, Syntax("helper", "cumsum"), numpy="numpy.cumsum .cumsum",
        numba="objmode", ndim=_scan_ndim, axis=None)
defvjp("cumsum", lambda o, g, ans, x, axis=None: o.reshape_like(
    _reverse_cumsum(o, g, 0 if axis is None else axis, ans.ndim), x))
deflinear("cumsum")
# d cumprod: linear recurrences along the axis (exact where x has zeros; autograd's rule,
# the reverse cumsum of g * ans divided by x, gave NaN there). With ans[k] the product of
# x[0..k]: J t (``cumprod_jvp``) is d[k] = d[k-1] x[k] + ans[k-1] t[k]; J^T g
# (``cumprod_vjp``) is b[j] = (product of x before j) * S[j], S[j] = g[j] + x[j+1] S[j+1].
# Their derivatives in x are the same recurrences over dual numbers (``..._dx``), and the
# second derivatives of ans are symmetric, so each vjp is a jvp of the other helper: exact
# Hessians with zeros; the ``_dx`` helpers have no rules (third order is refused).
def _scan_along(x, axis, *others):
    """``x`` (and same-shaped ``others``) with the scanned axis last (flattened when
    ``axis`` is None), and the function putting a result of that form back."""
    x = np.asarray(x, dtype=float)
    if axis is None:
        flat = [x.reshape(-1)] + [np.broadcast_to(a, x.shape).reshape(-1) for a in others]
        return flat, lambda r, like_x=True: r.reshape(x.shape) if like_x else r
    ax = axis % x.ndim
    moved = [np.moveaxis(x, ax, -1)] + [np.moveaxis(np.broadcast_to(a, x.shape), ax, -1)
                                        for a in others]
    return moved, lambda r, like_x=True: np.moveaxis(r, -1, ax)


def _cumprod_jvp(x, t, axis=None):
    (x, t), back = _scan_along(x, axis, t)
    ans, d = np.cumprod(x, axis=-1), np.array(t, dtype=float)
    for k in range(1, x.shape[-1]):
        d[..., k] = d[..., k - 1] * x[..., k] + ans[..., k - 1] * t[..., k]
    return back(d, like_x=False)


def _exclusive_and_suffix(x, g):
    n = x.shape[-1]
    before, suffix = np.ones_like(x), np.array(g, dtype=float)
    for j in range(1, n):
        before[..., j] = before[..., j - 1] * x[..., j - 1]
    for j in range(n - 2, -1, -1):
        suffix[..., j] = g[..., j] + x[..., j + 1] * suffix[..., j + 1]
    return before, suffix


def _cumprod_vjp(x, g, axis=None):
    shape = np.shape(x)
    (x, g), back = _scan_along(x, axis, np.reshape(g, np.shape(x)) if axis is None else g)
    before, suffix = _exclusive_and_suffix(x, g)
    return back(before * suffix).reshape(shape)


def _cumprod_jvp_dx(x, t, s, axis=None):
    """The derivative of ``cumprod_jvp(x, t)`` in ``x`` along ``s``."""
    (x, t, s), back = _scan_along(x, axis, t, s)
    ans = np.cumprod(x, axis=-1)
    d, d_ans, dd = np.array(t, dtype=float), np.array(s, dtype=float), np.zeros_like(x)
    for k in range(1, x.shape[-1]):
        dd[..., k] = (dd[..., k - 1] * x[..., k] + d[..., k - 1] * s[..., k]
                      + d_ans[..., k - 1] * t[..., k])
        d[..., k] = d[..., k - 1] * x[..., k] + ans[..., k - 1] * t[..., k]
        d_ans[..., k] = d_ans[..., k - 1] * x[..., k] + ans[..., k - 1] * s[..., k]
    return back(dd, like_x=False)


def _cumprod_vjp_dx(x, g, s, axis=None):
    """The derivative of ``cumprod_vjp(x, g)`` in ``x`` along ``s``."""
    shape = np.shape(x)
    (x, g, s), back = _scan_along(x, axis, np.reshape(g, np.shape(x)) if axis is None else g,
                                  s)
    n = x.shape[-1]
    before, suffix = _exclusive_and_suffix(x, g)
    d_before, d_suffix = np.zeros_like(x), np.zeros_like(x)
    for j in range(1, n):
        d_before[..., j] = d_before[..., j - 1] * x[..., j - 1] + \
            before[..., j - 1] * s[..., j - 1]
    for j in range(n - 2, -1, -1):
        d_suffix[..., j] = s[..., j + 1] * suffix[..., j + 1] + x[..., j + 1] * d_suffix[..., j + 1]
    return back(d_before * suffix + before * d_suffix).reshape(shape)


def _like_x(ndims, operands, **attrs):
    return ndims[0]


defprim("cumprod", 1, _cumprod, Syntax("helper", "cumprod"), numpy="numpy.cumprod .cumprod",
        numba="objmode", ndim=_scan_ndim, axis=None)
defvjp("cumprod", lambda o, g, ans, x, axis=None: o.cumprod_vjp(x, g, axis=axis))
defjvp("cumprod", lambda o, tangents, ans, x, axis=None:
       o.cumprod_jvp(x, tangents[0], axis=axis))
defprim("cumprod_jvp", 2, _cumprod_jvp, Syntax("helper", "cumprod_jvp"), numba="objmode",
        ndim=_scan_ndim, axis=None)
defprim("cumprod_vjp", 2, _cumprod_vjp, Syntax("helper", "cumprod_vjp"), numba="objmode",
        ndim=_like_x, axis=None)
defprim("cumprod_jvp_dx", 3, _cumprod_jvp_dx, Syntax("helper", "cumprod_jvp_dx"),
        numba="objmode", ndim=_scan_ndim, axis=None)
defprim("cumprod_vjp_dx", 3, _cumprod_vjp_dx, Syntax("helper", "cumprod_vjp_dx"),
        numba="objmode", ndim=_like_x, axis=None)
defvjp("cumprod_jvp", lambda o, g, ans, x, t, axis=None: o.cumprod_vjp_dx(x, g, t, axis=axis),
       lambda o, g, ans, x, t, axis=None: o.cumprod_vjp(x, g, axis=axis))
defvjp("cumprod_vjp", lambda o, c, ans, x, g, axis=None: o.cumprod_vjp_dx(x, g, c, axis=axis),
       lambda o, c, ans, x, g, axis=None: o.cumprod_jvp(x, c, axis=axis))


def _sum_of(terms):
    terms = [t for t in terms if t is not None]
    return None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]


defjvp("cumprod_jvp", lambda o, tangents, ans, x, t, axis=None: _sum_of([
    None if tangents[0] is None else o.cumprod_jvp_dx(x, t, tangents[0], axis=axis),
    None if tangents[1] is None else o.cumprod_jvp(x, tangents[1], axis=axis)]))
defjvp("cumprod_vjp", lambda o, tangents, ans, x, g, axis=None: _sum_of([
    None if tangents[0] is None else o.cumprod_vjp_dx(x, g, tangents[0], axis=axis),
    None if tangents[1] is None else o.cumprod_vjp(x, tangents[1], axis=axis)]))


def _slice_along(nd, axis, part):
    return (slice(None),) * (axis % nd) + (part,)


def _diff(o, x, n=1, axis=-1):
    nd = x.ndim
    for _ in range(n):
        x = o.getitem(x, index=_slice_along(nd, axis, slice(1, None))) - \
            o.getitem(x, index=_slice_along(nd, axis, slice(None, -1)))
    return x


defcomposite("diff", 1, np.diff, _diff, ndim=_same, numpy="numpy.diff", n=1, axis=-1)


def _flip(o, x, axis=None, nd=None):
    nd = x.ndim if nd is None else nd
    axes = _axes(axis, nd)
    return o.getitem(x, index=tuple(slice(None, None, -1) if k in axes else slice(None)
                                    for k in range(nd)))


defcomposite("flip", 1, np.flip, _flip, ndim=_same, numpy="numpy.flip", axis=None)
defcomposite("flipud", 1, np.flipud, lambda o, x: _flip(o, x, 0), ndim=_same,
             numpy="numpy.flipud")
defcomposite("fliplr", 1, np.fliplr, lambda o, x: _flip(o, x, 1), ndim=_same,
             numpy="numpy.fliplr")


def _rot90(o, x, k=1, axes=(0, 1)):
    k %= 4
    perm = list(range(x.ndim))
    a, b = (ax % x.ndim for ax in axes)
    perm[a], perm[b] = perm[b], perm[a]
    if k == 0:
        return x
    if k == 2:
        return _flip(o, _flip(o, x, a), b)
    if k == 1:
        return o.transpose(_flip(o, x, b), axes=tuple(perm))
    return _flip(o, o.transpose(x, axes=tuple(perm)), b)


defcomposite("rot90", 1, np.rot90, _rot90, ndim=_same, numpy="numpy.rot90", k=1, axes=(0, 1))


# --- sorting (the gradient goes back through the permutation) ---------------------------------
def _sort(x, axis=-1):
    return np.sort(x, axis=axis)


def _permute(x, like, axis=-1, kth=None):
    """``x`` taken in the order that sorts (``kth`` None) or partitions ``like``."""
    order = np.argsort(like, axis=axis, kind="stable") if kth is None else \
        np.argpartition(like, kth, axis=axis)
    return np.take_along_axis(np.asarray(x), order, axis=axis)


def _unpermute(g, like, axis=-1, kth=None):
    """The transpose of :func:`_permute`: ``g`` scattered back to ``like``'s order."""
    order = np.argsort(like, axis=axis, kind="stable") if kth is None else \
        np.argpartition(like, kth, axis=axis)
    out = np.zeros(np.shape(like))
    np.put_along_axis(out, order, g, axis=axis)
    return out


def _partition(x, kth, axis=-1):
    return _permute(x, x, axis=axis, kth=kth)


defprim("permute", 2, _permute, Syntax("helper", "permute"), numba="objmode", ndim=_same,
        axis=-1, kth=None)
defprim("unpermute", 2, _unpermute, Syntax("helper", "unpermute"), numba="objmode",
        ndim=_same, axis=-1, kth=None)
defvjp("permute", lambda o, g, ans, x, like, axis=-1, kth=None:
       o.unpermute(g, like, axis=axis, kth=kth), None)
defvjp("unpermute", lambda o, g, ans, x, like, axis=-1, kth=None:
       o.permute(g, like, axis=axis, kth=kth), None)
deflinear("permute")
deflinear("unpermute")
defcomposite("sort", 1, _sort, lambda o, x, axis=-1, **_: o.permute(x, x, axis=axis),
             ndim=_same, numpy="numpy.sort", axis=-1)
defcomposite("partition", 1, _partition,
             lambda o, x, kth, axis=-1: o.permute(x, x, axis=axis, kth=kth), ndim=_same,
             numpy="numpy.partition", kth=0, axis=-1)
for _name in ("argmax", "argmin", "argsort"):
    defprim(_name, 1, getattr(np, _name), Syntax("helper", _name), differentiable=False,
            numba="objmode", result_dtype="int64", numpy=f"numpy.{_name} .{_name}",
            ndim=_same if _name == "argsort" else _reduction_ndim,
            **({"axis": -1} if _name == "argsort" else {"axis": None, "keepdims": False}))


# --- casts and complex parts of real arrays ---------------------------------------------------
defcomposite("real", 1, np.real, lambda o, x: x, ndim=_same,
             numpy="numpy.real numpy.conj numpy.conjugate .conj .conjugate")
defcomposite("imag", 1, np.imag, lambda o, x: x * 0.0, ndim=_same, numpy="numpy.imag")


def _astype(x, dtype="float64"):
    return np.asarray(x).astype(dtype)


def _to_int(x):
    return np.asarray(x).astype(np.int64)


# x.astype(int) of an array: an integer array (an index), piecewise constant. It was trunc's
# float array, which NumPy refuses as an index (an IndexError from the generated code)
defprim("to_int", 1, _to_int, Syntax("helper", "to_int"), differentiable=False,
        numba="objmode", result_dtype="int64", ndim=_same)


def _astype_expand(o, x, dtype="float64"):
    if np.dtype(dtype).kind == "f":
        return x
    if np.dtype(dtype).kind in "iu":
        return o.to_int(x) if x.ndim else o.trunc(x)
    raise DifferentiationError(f"astype({dtype!r}) is not supported")


defcomposite("astype", 1, _astype, _astype_expand, ndim=_same, numpy=".astype",
             dtype="float64")


# --- the methods of NumPy's binary ufuncs: np.subtract.outer(a, b), np.add.reduce(x, axis=0),
# np.multiply.accumulate(x), each the function it spells (NumPy's axis default is 0 here)
_UFUNC_PRIMS = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div",
                "power": "pow", "maximum": "maximum", "minimum": "minimum"}
_UFUNC_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
_UFUNC_ACCUMULATIONS = {"add": "cumsum", "multiply": "cumprod"}


def _outer(prim):
    def expand(o, a, b):
        for _ in range(b.ndim if a.ndim else 0):     # a's axes first, then b's
            a = o.expand_dims(a, axis=-1)           # (one at a time: Numba's takes an int)
        return getattr(o, prim)(a, b)
    return expand


def _along(prim, reduction):
    def expand(o, x, axis=0, keepdims=False, **_):
        if reduction:
            return getattr(o, prim)(x, axis=axis, keepdims=keepdims)
        return getattr(o, prim)(x, axis=axis)
    return expand


for _ufunc, _prim in _UFUNC_PRIMS.items():
    defcomposite(f"{_ufunc}_outer", 2, getattr(np, _ufunc).outer, _outer(_prim),
                 ndim=lambda ndims, operands, **a: None if None in ndims else sum(ndims),
                 numpy=f"numpy.{_ufunc}.outer")
for _ufunc, _prim in _UFUNC_REDUCTIONS.items():
    defcomposite(f"{_ufunc}_reduce", 1, getattr(np, _ufunc).reduce, _along(_prim, True),
                 ndim=_reduction_ndim, numpy=f"numpy.{_ufunc}.reduce", axis=0, dtype=None,
                 out=None, keepdims=False)
for _ufunc, _prim in _UFUNC_ACCUMULATIONS.items():
    defcomposite(f"{_ufunc}_accumulate", 1, getattr(np, _ufunc).accumulate,
                 _along(_prim, False), ndim=_same, numpy=f"numpy.{_ufunc}.accumulate",
                 axis=0, dtype=None, out=None)

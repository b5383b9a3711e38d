"""Primitives the Tensor runtime needs beyond the compiler's (owned by the runtime, kept in
this one file so the table's other records stay untouched).

Each is a NumPy ``impl`` plus vjp rules written in the table's ops language, so the same rule
serves ``backward`` and ``create_graph=True``. Where PyTorch's derivative differs from the
textbook formula at special points, PyTorch's choice is written down:

* ``rt_pow``: ``d/dx x**y`` is 0 where ``y == 0`` and ``d/dy`` is 0 where ``x == 0, y >= 0``
  (PyTorch's ``pow_backward`` masks), never NaN;
* ``rt_prod``: the product of the *other* elements, exact with one or more zeros;
* ``rt_maximum``/``rt_minimum``: ties share the gradient half and half;
* ``rt_var``, ``rt_std``, ``rt_softmax``, ``rt_log_softmax``, ``rt_logsumexp``, ``rt_cumsum``,
  ``rt_cat``, ``rt_einsum``, ``rt_nll``: one node each, as PyTorch records them
  (``VarBackward0``...).

Every name starts with ``rt_`` so that none collides with a compiler primitive added later.
"""

import math
import string

import numpy as np

from .table import defprim, defvjp


def _ax(axis, ndim):
    return axis % ndim if ndim else 0


# --- pow with PyTorch's masks at base 0 ---------------------------------------------------
defprim("rt_pow", 2, np.power, elementwise=True)


def _pow_vjp_base(o, g, ans, x, y):
    zero_exponent = y == 0.0
    return o.where(zero_exponent, 0.0, g * y * x ** o.where(zero_exponent, 1.0, y - 1.0))


def _pow_vjp_exponent(o, g, ans, x, y):
    masked = (x == 0.0) & (y >= 0.0)
    return o.where(masked, 0.0, g * ans * o.log(o.where(masked, 1.0, x)))


defvjp("rt_pow", _pow_vjp_base, _pow_vjp_exponent)


# --- piecewise-constant results (floor, sign...) of operands that require grad -----------
# PyTorch records them with a zero gradient; the node reads nothing
defprim("rt_zero_grad", None, None)
defvjp("rt_zero_grad", lambda o, g, ans, *operands, argnum=0: g * 0.0)


# --- relu: the rule reads the result through ``sign`` (a zero-gradient node under
# create_graph), so the second derivative is zeros as PyTorch's, not missing
defprim("rt_relu", 1, lambda x: np.maximum(x, 0), elementwise=True)
defvjp("rt_relu", lambda o, g, ans, x: g * o.sign(ans))


# --- maximum / minimum: ties split the gradient -------------------------------------------
def _extreme_vjp(first):
    def rule(o, g, ans, x, y):
        mine, other = (x, y) if first else (y, x)
        return o.where(mine == other, g * 0.5, o.where(mine == ans, g, 0.0))
    return rule


defprim("rt_maximum", 2, np.maximum, elementwise=True)
defprim("rt_minimum", 2, np.minimum, elementwise=True)
defvjp("rt_maximum", _extreme_vjp(True), _extreme_vjp(False))
defvjp("rt_minimum", _extreme_vjp(True), _extreme_vjp(False))


# --- prod: exact with zeros ---------------------------------------------------------------
def _prod_vjp(o, g, ans, x, axis=None, keepdims=False):
    zero = x == 0.0
    nzeros = o.unreduce(o.sum(o.where(zero, 1.0, 0.0), axis=axis, keepdims=keepdims), x,
                        axis=axis, keepdims=keepdims)
    safe = o.where(zero, 1.0, x)
    others = o.unreduce(o.prod(safe, axis=axis, keepdims=keepdims), x, axis=axis,
                        keepdims=keepdims)             # product of the non-zero elements
    gx = o.unreduce(g, x, axis=axis, keepdims=keepdims)
    no_zero = others / safe
    return gx * o.where(nzeros == 0.0, no_zero, o.where(zero & (nzeros == 1.0), others, 0.0))


defprim("rt_prod", 1, np.prod, axis=None, keepdims=False)
defvjp("rt_prod", _prod_vjp)


# --- variance and standard deviation ------------------------------------------------------
def _var(x, axis=None, keepdims=False, correction=1):
    return np.var(x, axis=axis, ddof=correction, keepdims=keepdims)


def _std(x, axis=None, keepdims=False, correction=1):
    return np.std(x, axis=axis, ddof=correction, keepdims=keepdims)


def _centered(o, x, axis):
    return x - o.mean(x, axis=axis, keepdims=True)


def _var_vjp(o, g, ans, x, axis=None, keepdims=False, correction=1):
    n = o.count(x, axis=axis) - correction
    return o.unreduce(g, x, axis=axis, keepdims=keepdims) * _centered(o, x, axis) * (2.0 / n)


def _std_vjp(o, g, ans, x, axis=None, keepdims=False, correction=1):
    n = o.count(x, axis=axis) - correction
    scale = o.where(ans == 0.0, 0.0, g / (o.where(ans == 0.0, 1.0, ans) * n))
    return o.unreduce(scale, x, axis=axis, keepdims=keepdims) * _centered(o, x, axis)


defprim("rt_var", 1, _var, axis=None, keepdims=False, correction=1)
defprim("rt_std", 1, _std, axis=None, keepdims=False, correction=1)
defvjp("rt_var", _var_vjp)
defvjp("rt_std", _std_vjp)


# --- softmax family -----------------------------------------------------------------------
def _logsumexp(x, axis=None, keepdims=False):
    """Infinite maxima are replaced by 0 (so that a row with +inf gives inf, as PyTorch's);
    whether any is infinite is read off one scalar sum (an overflow there only takes the
    exact path)."""
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if not math.isfinite(np.add.reduce(m, axis=None)):
        m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.add.reduce(np.exp(x - m), axis=axis, keepdims=True))
    out += m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x, axis=-1):
    if x.ndim == 1:                      # scalar maximum and sum: no broadcasting
        e = np.exp(x - x.max()) if x.size else np.exp(x)
        e /= np.add.reduce(e)
        return e
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    e /= np.add.reduce(e, axis=axis, keepdims=True)
    return e


def _log_softmax(x, axis=-1):
    """(PyTorch's kernel subtracts the maximum unguarded: a row with an infinite maximum is
    all NaN, unlike logsumexp's.)"""
    s = x - np.maximum.reduce(x, axis=axis, keepdims=True)
    s -= np.log(np.add.reduce(np.exp(s), axis=axis, keepdims=True))
    return s


defprim("rt_logsumexp", 1, _logsumexp, axis=None, keepdims=False)
defvjp("rt_logsumexp", lambda o, g, ans, x, axis=None, keepdims=False:
       o.unreduce(g, x, axis=axis, keepdims=keepdims)
       * o.exp(x - o.unreduce(ans, x, axis=axis, keepdims=keepdims)))
defprim("rt_softmax", 1, _softmax, axis=-1)
defvjp("rt_softmax", lambda o, g, ans, x, axis=-1:
       ans * (g - o.sum(g * ans, axis=axis, keepdims=True)))
defprim("rt_log_softmax", 1, _log_softmax, axis=-1)
defvjp("rt_log_softmax", lambda o, g, ans, x, axis=-1:
       g - o.exp(ans) * o.sum(g, axis=axis, keepdims=True))


# --- cumulative sum -----------------------------------------------------------------------
def _flip(o, g, axis):
    return o.getitem(g, index=(slice(None),) * _ax(axis, np.ndim(g)) + (slice(None, None, -1),))


defprim("rt_cumsum", 1, lambda x, axis=0: np.cumsum(x, axis=axis), axis=0)
defvjp("rt_cumsum", lambda o, g, ans, x, axis=0: _flip(o, o.rt_cumsum(_flip(o, g, axis), axis=axis),
                                                    axis))


# --- concatenation of pieces of any sizes (offsets are static attributes) -----------------
def _cat(*xs, axis=0, sizes=()):
    return np.concatenate(xs, axis=axis)


def _cat_vjp(o, g, ans, *xs, axis=0, sizes=(), argnum=0):
    ax = _ax(axis, np.ndim(g))
    start = sum(sizes[:argnum])
    return o.getitem(g, index=(slice(None),) * ax + (slice(start, start + sizes[argnum]),))


defprim("rt_cat", None, _cat, axis=0, sizes=())
defvjp("rt_cat", _cat_vjp)


# --- einsum -------------------------------------------------------------------------------
def _einsum_terms(spec):
    ins, out = spec.replace(" ", "").split("->")
    return ins.split(","), out


def _einsum(*xs, spec=""):
    return np.einsum(spec, *xs)


def _einsum_vjp(o, g, ans, *xs, spec="", argnum=0):
    """The cotangent of operand ``argnum``: one einsum of ``g`` with the other operands onto
    the operand's letters. A letter only the operand carries was summed, so the cotangent is
    constant along it (a ones vector joins the contraction); a repeated letter (a diagonal)
    gets a fresh letter tied to the first by an identity matrix, which puts the cotangent on
    the diagonal and zeros elsewhere (boolean constants keep the cotangent's dtype)."""
    ins, out = _einsum_terms(spec)
    mine = ins[argnum]
    others = [t for k, t in enumerate(ins) if k != argnum]
    present = set(out).union(*others)
    fresh = iter(c for c in string.ascii_letters if c not in spec)
    shape = np.shape(xs[argnum])
    terms, consts, target = [out] + others, [], ""
    for i, c in enumerate(mine):
        if c in target:                              # repeated: a diagonal
            d = next(fresh)
            terms.append(c + d)
            consts.append(np.eye(shape[i], dtype=bool))
            c = d
        elif c not in present:                       # summed away: constant along it
            terms.append(c)
            consts.append(np.ones(shape[i], dtype=bool))
        target += c
    operands = [x for k, x in enumerate(xs) if k != argnum]
    return o.rt_einsum(g, *operands, *consts, spec=",".join(terms) + "->" + target)


defprim("rt_einsum", None, _einsum, spec="")
defvjp("rt_einsum", _einsum_vjp)


# --- scatter with reduce="add"/"multiply": values only ------------------------------------
# PyTorch computes it but has no derivative (its node is ``NotImplemented`` and backward
# raises); the rule says so instead of giving a number.
def _scatter_accumulate(x, src, index=None, reduce="add"):
    out = np.array(x, copy=True)
    (np.add if reduce == "add" else np.multiply).at(out, index, src)
    return out


def _no_scatter_derivative(o, g, ans, x, src, index=None, reduce="add"):
    raise RuntimeError("derivative for aten::scatter is not implemented")


defprim("rt_scatter_reduce", 2, _scatter_accumulate, index=None, reduce="add")
defvjp("rt_scatter_reduce", _no_scatter_derivative, _no_scatter_derivative)


# --- negative log-likelihood of (N, C) log-probabilities ------------------------------------
# ``target`` holds the class of each row and ``coef`` each row's factor -w[target] (zero
# where ignored, divided by the total weight for the mean): the loss is linear in ``x``.
def _nll(x, target=None, coef=None, reduction="mean"):
    picked = x[np.arange(x.shape[0]), target] * coef
    return picked if reduction == "none" else np.add.reduce(picked)


defprim("rt_nll", 1, _nll, target=None, coef=None, reduction="mean")
defvjp("rt_nll", lambda o, g, ans, x, target=None, coef=None, reduction="mean":
       o.scatter_like(g * coef, x, index=(np.arange(np.shape(x)[0]), target)))

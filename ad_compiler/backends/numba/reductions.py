"""Numba overloads of the reductions ``sum mean max min prod`` with constant ``axis`` and
``keepdims``, of ``unreduce`` and ``count``.

A reduction over axis ``k`` views the contiguous input as ``(outer, n, inner)`` and reduces
the middle axis in a kernel that LLVM vectorises along ``inner`` (bodies generated per rank
and axes). Semantics as NumPy except: a full reduction or an operand of rank 0 gives a scalar,
never a 0-d array; float sums are plain left-to-right loops (NumPy sums pairwise).
"""

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

from ...rules.array import count, unreduce
from ..helpers import REDUCTIONS
from ._util import compile_src, is_array, is_scalar, norm_axes, prod_expr, static, tuple_expr


def make_kernel(op):
    """``impl(a, out)``: ``out[o, i] = OP over j of a[o, j, i]``. Along a contiguous axis
    (``inner == 1``) eight accumulators let LLVM vectorise without reassociating one."""
    comb = {"sum": "acc + v", "mean": "acc + v", "prod": "acc * v",
            "max": "v if (v > acc or v != v) else acc",
            "min": "v if (v < acc or v != v) else acc"}[op]
    combine = register_jitable(compile_src(
        ("combine", op), f"def impl(acc, v):\n    return {comb}\n", {}))
    if op in ("max", "min"):
        empty = f"        raise ValueError('zero-size array to reduction operation {op}')"
    else:
        empty = ("        out[:] = " + ("1" if op == "prod" else "0") + "\n"
                 "        return out")
    lanes = range(8)
    src = (
        "def impl(a, out):\n"
        "    O, N, I = a.shape\n"
        "    if N == 0:\n"
        f"{empty}\n"
        "    if I == 1:\n"
        "        for o in range(O):\n"
        "            j = 1\n"
        "            acc = a[o, 0, 0]\n"
        "            if N >= 16:\n"
        + "".join(f"                a{k} = a[o, {k}, 0]\n" for k in lanes) +
        "                j = 8\n"
        "                while j + 8 <= N:\n"
        + "".join(f"                    a{k} = C(a{k}, a[o, j + {k}, 0])\n"
                  for k in lanes) +
        "                    j += 8\n"
        "                acc = C(C(C(a0, a1), C(a2, a3)), C(C(a4, a5), C(a6, a7)))\n"
        "            while j < N:\n"
        "                acc = C(acc, a[o, j, 0])\n"
        "                j += 1\n"
        "            out[o, 0] = acc\n"
        "    else:\n"
        "        for o in range(O):\n"
        "            for i in range(I):\n"
        "                out[o, i] = a[o, 0, i]\n"
        "            for j in range(1, N):\n"
        "                for i in range(I):\n"
        "                    out[o, i] = C(out[o, i], a[o, j, i])\n"
        "    return out\n")
    return register_jitable(compile_src(("kernel", op), src, {"C": combine}))


kernels = {op: make_kernel(op) for op in ("sum", "mean", "prod", "max", "min")}
_SUM_KERNEL = kernels["sum"]


@register_jitable
def sum_middle(buf, O, N, I):
    """A flat C-order array of shape ``(O, N, I)`` summed over ``N``, flat."""
    return _SUM_KERNEL(buf.reshape((O, N, I)), np.empty((O, I), buf.dtype)).reshape(-1)


def result_dtype(op, dt):
    if op in ("sum", "prod"):
        if isinstance(dt, types.Boolean):
            return np.int64
        if isinstance(dt, types.Integer):
            return np.int64 if dt.signed or dt.bitwidth < 64 else np.uint64
    if op == "mean" and isinstance(dt, (types.Integer, types.Boolean)):
        return np.float64
    return np.dtype(str(dt))

def reduction_src(op, nd, axes, keepdims):
    """Source of ``impl(x, axis, keepdims)`` reducing an ``nd``-array over ``axes``."""
    lines = ["def impl(x, axis=None, keepdims=False):",
             "    a = np.ascontiguousarray(x)",
             "    s = a.shape"]
    ones = tuple_expr(["1"] * nd)
    if len(axes) == nd:                                  # every axis
        kop = "sum" if op == "mean" else op
        val = f"K_{kop}(a.reshape((1, a.size, 1)), np.empty((1, 1), DT))[0, 0]"
        if op == "mean":
            val = f"{val} / a.size"
        lines.append(f"    r = {val}")
        lines.append(f"    return np.full({ones}, r)" if keepdims else "    return r")
        return "\n".join(lines) + "\n"
    shape = [f"s[{i}]" for i in range(nd)]
    cur = "a"
    for step, k in enumerate(sorted(axes, reverse=True)):
        outer, n, inner = prod_expr(shape[:k]), shape[k], prod_expr(shape[k + 1:])
        kop = "sum" if op == "mean" else op
        lines.append(f"    r{step} = K_{kop}(np.ascontiguousarray({cur}).reshape("
                     f"({outer}, {n}, {inner})), np.empty(({outer}, {inner}), DT))")
        del shape[k]
        cur = f"r{step}"
    if op == "mean":
        lines.append(f"    {cur} = {cur} / ({prod_expr([f's[{k}]' for k in axes])})")
    out = [f"s[{i}]" if i not in axes else "1" for i in range(nd)] if keepdims else shape
    lines.append(f"    return {cur}.reshape({tuple_expr(out)})")
    return "\n".join(lines) + "\n"

def overload_reduction(op, fn):
    @overload(fn, prefer_literal=True)
    def _reduction(x, axis=None, keepdims=False):
        name = op
        ax = static(axis, "axis", name)
        kd = bool(static(keepdims, "keepdims", name))
        if is_scalar(x):
            if op == "mean":
                return lambda x, axis=None, keepdims=False: x / 1.0
            return lambda x, axis=None, keepdims=False: x
        if not is_array(x):
            return None
        nd = x.ndim
        axes = norm_axes(ax, nd, name)
        dt = result_dtype(op if op != "mean" else "sum", x.dtype) \
            if op != "mean" else np.float64
        if op == "mean" and isinstance(x.dtype, types.Float):
            dt = np.dtype(str(x.dtype))
        src = reduction_src(op, nd, axes, kd)
        return compile_src((op, nd, axes, kd, str(dt)), src,
                           {"K_" + ("sum" if op == "mean" else op):
                            kernels["sum" if op == "mean" else op], "DT": dt})
    return _reduction

for _op, _fn in REDUCTIONS.items():
    overload_reduction(_op, _fn)

# --- unreduce ----------------------------------------------------------------------------
@register_jitable
def stretch(g3, out3):
    """``out3[o, j, i] = g3[o, 0, i]``: a size-1 middle axis stretched."""
    O, N, I = out3.shape
    if I == 1:
        for o in range(O):
            v = g3[o, 0, 0]
            for j in range(N):
                out3[o, j, 0] = v
        return out3
    for o in range(O):
        for j in range(N):
            for i in range(I):
                out3[o, j, i] = g3[o, 0, i]
    return out3

@overload(unreduce, prefer_literal=True)
def _unreduce(g, like, axis=None, keepdims=False):
    ax = static(axis, "axis", "unreduce")
    kd = bool(static(keepdims, "keepdims", "unreduce"))
    if is_scalar(like):
        if is_scalar(g):
            return lambda g, like, axis=None, keepdims=False: g
        if is_array(g):
            return lambda g, like, axis=None, keepdims=False: g.sum()
        return None
    if not is_array(like):
        return None
    nd = like.ndim
    axes = norm_axes(ax, nd, "unreduce")
    if is_scalar(g):
        def impl_scalar(g, like, axis=None, keepdims=False):
            return np.full(like.shape, g)
        return impl_scalar
    if not is_array(g):
        return None
    if ax is None and g.ndim != nd:
        # a full reduction: g holds one element (a 0-d array or ones of any rank)
        def impl_full(g, like, axis=None, keepdims=False):
            if g.size != 1:
                raise ValueError("unreduce: a cotangent of more than one element for "
                                 "a reduction over every axis")
            return np.full(like.shape, np.ascontiguousarray(g).reshape(-1)[0])
        return impl_full
    if g.ndim == nd:
        kept = "g"                 # keepdims (or the operand's own shape)
    elif g.ndim == nd - len(axes) and not kd:
        kept = None
    else:
        raise TypingError(f"_rt.unreduce: a cotangent of rank {g.ndim} for a reduction "
                          f"over axes {axes} of a rank-{nd} operand"
                          f"{' with keepdims' if kd else ''}")
    lines = ["def impl(g, like, axis=None, keepdims=False):",
             "    s = like.shape"]
    if kept is None:
        ks = tuple_expr([f"s[{i}]" if i not in axes else "1" for i in range(nd)])
        lines.append(f"    gk = np.ascontiguousarray(g).reshape({ks})")
    else:
        lines.append("    if g.shape == s:")
        lines.append("        return np.ascontiguousarray(g)")
        lines.append("    gk = np.ascontiguousarray(g)")
    if len(axes) == 1:
        k = axes[0]
        outer, n, inner = (prod_expr([f"s[{i}]" for i in range(k)]), f"s[{k}]",
                           prod_expr([f"s[{i}]" for i in range(k + 1, nd)]))
        lines.append(f"    out = np.empty(s, DT)")
        lines.append(f"    STRETCH(gk.reshape(({outer}, 1, {inner})), "
                     f"out.reshape(({outer}, {n}, {inner})))")
        lines.append("    return out")
    else:
        lines.append("    return np.broadcast_to(gk, s).copy()")
    src = "\n".join(lines) + "\n"
    dt = np.dtype(str(g.dtype))
    return compile_src(("unreduce", nd, g.ndim, axes, kept, str(dt)), src,
                       {"STRETCH": stretch, "DT": dt})

# --- count -------------------------------------------------------------------------------
@overload(count, prefer_literal=True)
def _count(like, axis=None):
    ax = static(axis, "axis", "count")
    if is_scalar(like):
        return lambda like, axis=None: 1.0
    if not is_array(like):
        return None
    axes = norm_axes(ax, like.ndim, "count")
    src = ("def impl(like, axis=None):\n"
           "    s = like.shape\n"
           f"    return float({prod_expr([f's[{k}]' for k in axes])})\n")
    return compile_src(("count", like.ndim, axes), src, {})


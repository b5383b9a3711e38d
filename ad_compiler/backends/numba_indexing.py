"""Numba implementations of the indirect-indexing helpers of :mod:`ad_compiler.rules.indexing`.

Numba has no ``np.add.at`` and accepts one advanced index per subscript, so each helper is
generated per index type as plain nested loops: one loop over the positions the advanced
indices (1-D integer arrays of one length, or 1-D masks) share and one per sliced axis, with
plain indexed loads and adds inside (no temporaries per element). The order of the result's
axes is NumPy's: the advanced axis in place when the advanced indices are adjacent, first
otherwise.
"""

from __future__ import annotations

import numpy as np


def register(overload):
    """Register the overloads (called once by :mod:`.helpers` when Numba is importable)."""
    from numba.core import types
    from numba.core.errors import TypingError

    from ad_compiler.rules import indexing

    cache = {}

    def compile_src(key, src):
        if key not in cache:
            namespace = {"np": np}
            exec(src, namespace)
            cache[key] = namespace["impl"]
        return cache[key]

    def plan(a_ndim, index_types):
        """Source lines that unpack ``index``, the loop headers in result-axis order and the
        element subscript of ``a``: ``(setup, loops, a_subscript, result_extents)``."""
        setup, a_sub, basic, advanced_at = [], [], [], []
        axis = 0
        for k, t in enumerate(index_types):
            if isinstance(t, types.Integer):
                setup.append(f"i{k} = index[{k}]")
                setup.append(f"if i{k} < 0: i{k} += a.shape[{axis}]")
                a_sub.append(f"i{k}")
                axis += 1
            elif isinstance(t, types.SliceType):
                setup.append(f"s{k}, e{k}, d{k} = index[{k}].indices(a.shape[{axis}])")
                setup.append(f"n{k} = max(0, (e{k} - s{k} + d{k} - (1 if d{k} > 0 else -1))"
                             f" // d{k})")
                basic.append((f"j{k}", f"n{k}"))
                a_sub.append(f"s{k} + j{k} * d{k}")
                axis += 1
            elif isinstance(t, types.Array) and t.ndim == 1 and \
                    isinstance(t.dtype, (types.Integer, types.Boolean)):
                if isinstance(t.dtype, types.Boolean):
                    setup.append(f"p{k} = np.nonzero(index[{k}])[0]")
                else:
                    setup.append(f"p{k} = index[{k}]")
                setup.append(f"m = p{k}.shape[0]")
                a_sub.append(f"(p{k}[q] if p{k}[q] >= 0 else p{k}[q] + a.shape[{axis}])")
                advanced_at.append(len(basic))
                axis += 1
            else:
                raise TypingError(f"indirect index of type {t} (Numba backend: integers, "
                                  "slices, 1-D integer arrays and 1-D masks)")
        if axis > a_ndim:
            raise TypingError("too many indices")
        for d in range(axis, a_ndim):
            basic.append((f"j_{d}", f"a.shape[{d}]"))
            a_sub.append(f"j_{d}")
        loops = list(basic)
        if advanced_at:
            adjacent = advanced_at[-1] == advanced_at[0]
            loops.insert(advanced_at[0] if adjacent else 0, ("q", "m"))
        return setup, loops, ", ".join(a_sub)

    def nest(loops, body, indent=1):
        lines = []
        for var, extent in loops:
            lines.append("    " * indent + f"for {var} in range({extent}):")
            indent += 1
        return lines + ["    " * indent + line for line in body]

    def value_subscript(v, loops):
        """``v``'s element at the current result position, broadcasting ``v`` (NumPy's
        right-aligned rules; an axis of length 1 repeats)."""
        if not isinstance(v, types.Array):
            return "v", []
        offset = len(loops) - v.ndim
        if offset < 0:
            raise TypingError("value has more dimensions than the indexed part")
        setup = [f"b{t} = 1 if v.shape[{t}] != 1 else 0" for t in range(v.ndim)]
        items = [f"{loops[offset + t][0]} * b{t}" for t in range(v.ndim)]
        return (f"v[{', '.join(items)}]" if items else "v[()]"), setup

    @overload(indexing.add_at)
    def _add_at(a, index, v):
        types_ = tuple(index) if isinstance(index, types.BaseTuple) else (index,)
        setup, loops, a_sub = plan(a.ndim, types_)
        v_item, v_setup = value_subscript(v, loops)
        src = "\n".join(["def impl(a, index, v):"]
                        + ["    " + line for line in setup + v_setup]
                        + nest(loops, [f"a[{a_sub}] += {v_item}"]))
        return compile_src(("add_at", a.ndim, types_, str(v)), src)

    @overload(indexing.last_writes)
    def _last_writes(like, index):
        types_ = tuple(index) if isinstance(index, types.BaseTuple) else (index,)
        setup, loops, a_sub = plan(like.ndim, types_)
        shape = ", ".join(extent for _, extent in loops)
        src = "\n".join(
            ["def impl(like, index):", "    a = like"] + ["    " + line for line in setup]
            + [f"    owner = np.full(a.shape, -1, np.int64)", "    c = 0"]
            + nest(loops, [f"owner[{a_sub}] = c", "c += 1"])
            + [f"    out = np.empty(({shape},), np.float64)", "    c = 0"]
            + nest(loops, [f"out[{', '.join(var for var, _ in loops)}] = "
                           f"1.0 if owner[{a_sub}] == c else 0.0", "c += 1"])
            + ["    return out"])
        return compile_src(("last_writes", like.ndim, types_), src)

    @overload(indexing.bincount)
    def _bincount(idx, weights, minlength=0):
        def impl(idx, weights, minlength=0):
            n = max(minlength, idx.max() + 1 if idx.shape[0] else 0)
            out = np.zeros(n)
            for k in range(idx.shape[0]):
                out[idx[k]] += weights[k]
            return out
        return impl

    @overload(indexing.count_bins)
    def _count_bins(idx, minlength=0):
        def impl(idx, minlength=0):
            n = max(minlength, idx.max() + 1 if idx.shape[0] else 0)
            out = np.zeros(n, np.int64)
            for k in range(idx.shape[0]):
                out[idx[k]] += 1
            return out
        return impl

    @overload(indexing.take_1d)
    def _take_1d(x, idx):
        return lambda x, idx: x[idx]

    @overload(indexing.scatter_add_like)
    def _scatter_add_like(g, like, idx):
        def impl(g, like, idx):
            out = np.zeros(like.shape)
            for k in range(idx.shape[0]):
                out[idx[k]] += g[k]
            return out
        return impl

    @overload(indexing.flatnonzero)
    def _flatnonzero(c):
        return lambda c: np.nonzero(c.ravel())[0]

    @overload(indexing.flip)
    def _flip(x):
        if not isinstance(x, types.Array):
            return None
        src = f"def impl(x):\n    return x[{', '.join(['::-1'] * x.ndim)}]"
        return compile_src(("flip", x.ndim), src)

    @overload(indexing.put_along_axis_add)
    def _put_along_axis_add(g, like, ind, axis=None):
        if like.ndim == 1:
            def impl(g, like, ind, axis=None):
                out = np.zeros(like.shape)
                for k in range(ind.shape[0]):
                    out[ind[k]] += g[k]
                return out
            return impl
        if like.ndim == 2:
            def impl(g, like, ind, axis=None):
                out = np.zeros(like.shape)
                if axis % 2 == 0:
                    for i in range(ind.shape[0]):
                        for j in range(ind.shape[1]):
                            out[ind[i, j], j] += g[i, j]
                else:
                    for i in range(ind.shape[0]):
                        for j in range(ind.shape[1]):
                            out[i, ind[i, j]] += g[i, j]
                return out
            return impl
        raise TypingError("take_along_axis adjoint: 1-D and 2-D arrays on the Numba backend")

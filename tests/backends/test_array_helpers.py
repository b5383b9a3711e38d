"""Array helpers ``_rt.*`` (reductions with axis/keepdims, unreduce, count, shapes, norm...):
the Numba implementation against the Python body, and vectorised NumPy programs through
``ad.grad(..., backend="numba")`` against ``backend="python"`` and central differences.

The njit side is tested in a few big generated functions (one per group of cases, each a tuple
of helper calls) compiled with ``cache=True`` from a file in ``AD_COMPILER_CACHE_DIR``: a cold
run compiles every specialisation once, a rerun loads them from the disk cache.
"""

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.backends import helpers as _rt
from ad_compiler.backends.cache import load_module, version_tag

import _array_helper_programs as P  # noqa: E402  (tests/backends is on sys.path)

rng = np.random.default_rng(0)

X1 = rng.normal(size=5)
X2 = rng.normal(size=(3, 4))
X3 = rng.normal(size=(2, 3, 4))
I2 = rng.integers(-5, 6, size=(3, 4))
X2[1, 2] = X2[1, 0]                               # a tie for max/min along axis 1


def numpy_reduction(op, x, axis, keepdims):
    return getattr(np, op)(x, axis=axis, keepdims=keepdims)


def same(a, b, exact_type=True):
    """Same values and shape; with ``exact_type``, both arrays or both scalars (the njit side
    returns scalars where NumPy may return 0-d arrays)."""
    assert np.shape(a) == np.shape(b), (np.shape(a), np.shape(b))
    if exact_type:
        assert isinstance(a, np.ndarray) == isinstance(b, np.ndarray) or np.ndim(a) == 0, \
            (type(a), type(b))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------- cases: expr and args
# (axis, keepdims) per rank: every op is compiled for each (about 0.2 s each, cold)
REDUCE_AXES = {1: [(None, True), (0, False), (-1, True)],
               2: [(None, False), (None, True), (0, False), (-1, True), (0, True)],
               3: [(1, False), (-1, True), ((0, 2), False), ((0, 2), True)]}
OPS = ["sum", "mean", "max", "min", "prod"]


def _reduction_cases():
    cases = {}
    for nd, x in [(1, X1), (2, X2), (3, X3)]:
        group = cases.setdefault(f"reduce{nd}", [])
        for op in OPS:
            for axis, kd in REDUCE_AXES[nd]:
                group.append((f"_rt.{op}({{0}}, axis={axis!r}, keepdims={kd!r})", (x,),
                              numpy_reduction(op, x, axis, kd)))
    cases["reduce_int"] = [(f"_rt.{op}({{0}}, axis={axis!r}, keepdims={kd!r})", (I2,),
                            numpy_reduction(op, I2, axis, kd))
                           for op in ("sum", "max", "mean") for axis, kd in ((None, False),
                                                                             (1, True))]
    cases["reduce_default"] = [(f"_rt.{op}({{0}})", (X2,), getattr(np, op)(X2)) for op in OPS]
    return cases


def _unreduce_cases():
    group = []
    for x in (X1, X2, X3):
        for axis in dict(REDUCE_AXES[x.ndim]):
            for kd in (False, True):
                g = np.sum(x, axis=axis, keepdims=kd) + 1.5
                if np.ndim(g) == 0:
                    g = float(g)
                ref = np.broadcast_to(np.expand_dims(g, _axes(axis, x.ndim)) if not kd
                                      and axis is not None else g, x.shape)
                group.append((f"_rt.unreduce({{0}}, {{1}}, axis={axis!r}, keepdims={kd!r})",
                              (g, x), ref))
    # the reverse transform prints the defaults away: _rt.unreduce(g, x)
    group.append(("_rt.unreduce({0}, {1})", (2.5, X2), np.full(X2.shape, 2.5)))
    group.append(("_rt.unreduce({0}, {1})", (np.ones((1, 1)) * 3.0, X2), np.full(X2.shape, 3.0)))
    return {"unreduce": group}


def _axes(axis, nd):
    return tuple(a % nd for a in axis) if isinstance(axis, tuple) else axis % nd


def _shape_cases():
    c4 = X2[:, :1] * 2.0                       # (3, 1)
    r = X2[0]                                  # (4,)
    group = [
        # counts
        ("_rt.count({0})", (X3,), 24.0), ("_rt.count({0}, axis=1)", (X3,), 3.0),
        ("_rt.count({0}, axis=(0, 2))", (X3,), 8.0), ("_rt.count({0}, axis=-1)", (X2,), 4.0),
        ("_rt.count({0})", (2.0,), 1.0),
        # unbroadcast / broadcast_like for the shapes reductions and broadcasting produce
        ("_rt.unbroadcast({0}, {1})", (X2, c4), X2.sum(axis=1, keepdims=True)),
        ("_rt.unbroadcast({0}, {1})", (X2, r), X2.sum(axis=0)),
        ("_rt.unbroadcast({0}, {1})", (X2, X2[:1]), X2.sum(axis=0, keepdims=True)),
        ("_rt.unbroadcast({0}, {1})", (X3, X2), X3.sum(axis=0)),
        ("_rt.unbroadcast({0}, {1})", (X3, c4), X3.sum(axis=(0, 2))[:, None]),
        ("_rt.unbroadcast({0}, {1})", (X2, 1.0), X2.sum()),
        ("_rt.unbroadcast({0}, {1})", (r, r * 2.0), r),           # vectors: the cheap form
        ("_rt.unbroadcast({0}, {1})", (r, r[:1]), r.sum(keepdims=True)),
        ("_rt.broadcast_like({0}, {1})", (c4, X2), np.broadcast_to(c4, X2.shape)),
        ("_rt.broadcast_like({0}, {1})", (r, X2), np.broadcast_to(r, X2.shape)),
        ("_rt.broadcast_like({0}, {1})", (X2, X3), np.broadcast_to(X2, X3.shape)),
        ("_rt.broadcast_like({0}, {1})", (2.0, X2), np.full(X2.shape, 2.0)),
        # transposes and reshapes
        ("_rt.matrix_transpose({0})", (X2,), X2.T),
        ("_rt.matrix_transpose({0})", (X3,), np.swapaxes(X3, -1, -2)),
        ("_rt.matrix_transpose({0}) @ {1}", (X2, X2), X2.T @ X2),
        ("{0} @ _rt.matrix_transpose({1})", (X2, X2), X2 @ X2.T),
        ("{0} @ _rt.matrix_transpose({1})", (r, X2), r @ X2.T),
        ("_rt.matrix_transpose({0}) @ {1}", (X2, X2[:, 0].copy()), X2.T @ X2[:, 0]),
        ("_rt.reshape_like({0}, {1})", (X3, X3.reshape(6, 4)), X3.reshape(6, 4)),
        ("_rt.reshape_like({0}, {1})", (X2.T, X2.reshape(12)), X2.T.reshape(12)),
        ("_rt.reshape_like({0}, {1})", (np.ones((1, 1)) * 2.0, 1.0), 2.0),
        ("_rt.reshape_like({0}, {1})", (3.0, X2[:1, :1]), np.full((1, 1), 3.0)),
        ("_rt.squeeze({0}, axis=-1)", (c4,), c4[:, 0]),
        ("_rt.squeeze({0}, axis=0)", (X2[:1],), X2[0]),
        # concatenate, stack (the operands as one tuple, as generated code passes them)
        ("_rt.concatenate(({0}, {1}))", (X1, r), np.concatenate((X1, r))),
        ("_rt.concatenate(({0}, {1}), axis=1)", (X2, c4), np.concatenate((X2, c4), axis=1)),
        ("_rt.concatenate(({0}, {1}, {0}), axis=-1)", (r, r), np.concatenate((r, r, r))),
        ("_rt.stack(({0}, {1}))", (r, r * 2), np.stack((r, r * 2))),
        ("_rt.stack(({0}, {1}), axis=1)", (X2, X2), np.stack((X2, X2), axis=1)),
        ("_rt.stack(({0}, {1}), axis=-1)", (r, r), np.stack((r, r), axis=-1)),
        # basic indexing with a constant index (the vjps of concatenate and stack)
        ("_rt.getitem({0}, index=(0,))", (X2,), X2[0]),
        ("_rt.getitem({0}, index=(slice(None, None, None), slice(1, 3, None)))", (X2,),
         X2[:, 1:3]),
        ("_rt.scatter_like({0}, {1}, index=(slice(None, None, None), slice(1, 3, None)))",
         (X2[:, 1:3], X2), _rt.scatter_like(X2[:, 1:3], X2, (slice(None), slice(1, 3)))),
        ("_rt.setitem({0}, {1}, index=(1,))", (X2, 0.0), _rt.setitem(X2, 0.0, (1,))),
        # norm, sigmoid, relu
        ("_rt.norm({0})", (X1,), np.linalg.norm(X1)),
        ("_rt.norm({0})", (X2,), np.sqrt((X2 * X2).sum())),
        ("_rt.norm({0}, axis=1)", (X2,), np.linalg.norm(X2, axis=1)),
        ("_rt.norm({0}, axis=0, keepdims=True)", (X2,), np.linalg.norm(X2, axis=0,
                                                                     keepdims=True)),
        ("_rt.norm({0})", (-2.0,), 2.0),
        ("_rt.sigmoid({0})", (X3 * 20,), 1 / (1 + np.exp(-X3 * 20))),
        ("_rt.sigmoid({0})", (-3.0,), 1 / (1 + np.exp(3.0))),
        ("_rt.relu({0})", (X2,), np.maximum(X2, 0)),
        ("_rt.relu({0})", (I2,), np.maximum(I2, 0)),
        ("_rt.relu({0})", (-1.5,), 0.0),
    ]
    return {"shapes": group}


CASES = {**_reduction_cases(), **_unreduce_cases(), **_shape_cases()}


def _module_source():
    """One function per group: ``def GROUP(p0, p1, ...): return (expr0, expr1, ...)``."""
    lines = ["import numpy as np", "from numba import njit",
             "from ad_compiler.backends import helpers as _rt", f"# {version_tag()}", ""]
    for group, cases in CASES.items():
        params, exprs = [], []
        for expr, args, _ in cases:
            names = [f"p{len(params) + k}" for k in range(len(args))]
            params += names
            exprs.append(expr.format(*names))
        lines.append("@njit(cache=True)")
        lines.append(f"def {group}({', '.join(params)}):")
        lines.append("    return (" + ",\n            ".join(exprs) + ",)")
        lines.append("")
    return "\n".join(lines)


def _python(expr, args):
    names = [f"p{k}" for k in range(len(args))]
    return eval(expr.format(*names), {"_rt": _rt, "np": np}, dict(zip(names, args)))


# ------------------------------------------------------------------------------ python bodies
@pytest.mark.parametrize("group", list(CASES))
def test_python_bodies(group):
    for expr, args, ref in CASES[group]:
        same(_python(expr, args), ref, exact_type=False)


def test_reductions_are_numpy():
    for op in OPS:
        assert _rt.__dict__[op](X3, axis=(0, 2), keepdims=True).shape == (1, 3, 1)
        same(_rt.__dict__[op](I2, axis=-1), getattr(np, op)(I2, axis=-1))
    assert _rt.sum is not sum and "sum" not in _rt.__all__


# --------------------------------------------------------------------------------- under njit
@pytest.fixture(scope="module")
def jitted():
    pytest.importorskip("numba")
    return load_module(_module_source(), "test_array_helpers")


@pytest.mark.numba
@pytest.mark.parametrize("group", list(CASES))
def test_njit_matches_python(jitted, group):
    cases = CASES[group]
    flat = [a for _, args, _ in cases for a in args]
    got = getattr(jitted, group)(*flat)
    assert len(got) == len(cases)
    for (expr, args, ref), out in zip(cases, got):
        py = _python(expr, args)
        try:
            same(out, ref)
            same(out, py, exact_type=False)
            if np.ndim(ref) == 0:
                assert not isinstance(out, np.ndarray), "a 0-d array instead of a scalar"
            if "_rt.max" in expr or "_rt.min" in expr or "_rt.sum" in expr:
                assert np.asarray(out).dtype == np.asarray(ref).dtype
        except AssertionError as e:
            raise AssertionError(f"{group}: {expr} -> {e}") from None


@pytest.mark.numba
def test_njit_errors(jitted):
    from numba import njit
    from numba.core.errors import TypingError

    @njit
    def bad_axis(x):
        return _rt.sum(x, axis=2)

    with pytest.raises(TypingError, match="out of bounds"):
        bad_axis(X2)

    @njit
    def runtime_axis(x, k):
        return _rt.max(x, axis=k)

    with pytest.raises(TypingError, match="axis must be a constant"):
        runtime_axis(X2, 1)

    @njit
    def empty_max(x):
        return _rt.max(x, axis=0)

    with pytest.raises(ValueError, match="zero-size"):
        empty_max(np.empty((0, 3)))


def test_unreduce_nan_and_max():
    x = np.array([[1.0, np.nan, 0.0], [2.0, 3.0, 3.0]])
    same(_rt.max(x, axis=1), np.max(x, axis=1))


# ---------------------------------------------------------------------------- the emitter
def _code(src):
    return "\n".join(line.split("  # line")[0] for line in src.splitlines())


def test_emitter_prints_helpers_for_axis_and_keepdims():
    src = _code(ad.grad(P.softmax_ce, wrt=0, backend="python").source)
    assert "zmax = _rt.max(z, axis=1, keepdims=True)" in src
    assert "_rt.sum(y * logp, axis=1)" in src or "_rt.sum(_t6, axis=1)" in src
    assert "np.max(" not in src and "np.sum(" not in src
    src = _code(ad.grad(P.lse, wrt=0, backend="python").source)
    assert "m = np.max(x)" in src and "np.sum(" in src     # default attributes: NumPy's
    assert "_rt.sum(" not in src and "_rt.max(" not in src


# ------------------------------------------------------------------------- whole programs
def _programs():
    r = np.random.default_rng(1)
    A = r.normal(size=(3, 4))
    return [
        ("mlp", P.mlp, [r.normal(size=(3, 5)), r.normal(size=5), r.normal(size=(5, 2)),
                        r.normal(size=2), r.normal(size=(6, 3)), r.normal(size=(6, 2))],
         [0, 1, 2, 3]),
        ("lse", P.lse, [r.normal(size=7)], [0]),
        ("rosen_vec", P.rosen_vec, [r.normal(size=6)], [0]),
        ("softmax_ce", P.softmax_ce, [r.normal(size=(4, 3)), r.random(size=(4, 3))], [0, 1]),
        ("sum_axis0", P.sum_axis0, [A], [0]),
        ("reductions", P.reductions, [A], [0]),
        ("norm", P.norm, [r.normal(size=4)], [0]),
        ("concat", P.concat, [r.normal(size=3), r.normal(size=4)], [0, 1]),
        ("stack", P.stack, [r.normal(size=3), r.normal(size=3)], [0, 1]),
        ("t_matmul", P.t_matmul, [A, r.normal(size=(3, 2))], [0, 1]),
        ("outer", P.outer, [r.normal(size=3), r.normal(size=4)], [0, 1]),
        ("matvec", P.matvec, [A, r.normal(size=4)], [0, 1]),
        ("vecmat", P.vecmat, [r.normal(size=3), A], [0, 1]),
        ("vecvec", P.vecvec, [r.normal(size=3), r.normal(size=3)], [0, 1]),
        ("dot_matvec", P.dot_matvec, [A, r.normal(size=4)], [0, 1]),
    ]


def _as_tuple(g, n):
    return tuple(g) if isinstance(g, (tuple, list)) else (g,)


def central_differences(f, args, i, h=1e-6):
    x = np.array(args[i], dtype=float)
    out = np.empty_like(x)
    for k in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        ap, am = list(args), list(args)
        ap[i], am[i] = xp, xm
        out[k] = (f(*ap) - f(*am)) / (2 * h)
    return out


@pytest.mark.parametrize("name,f,args,wrt", _programs())
def test_program_python_vs_finite_differences(name, f, args, wrt):
    got = _as_tuple(ad.grad(f, wrt=wrt, backend="python")(*args), len(wrt))
    for i, g in zip(wrt, got):
        np.testing.assert_allclose(g, central_differences(f, args, i), rtol=1e-6, atol=1e-6,
                                   err_msg=f"{name}: argument {i}")


@pytest.mark.numba
@pytest.mark.parametrize("name,f,args,wrt", _programs())
def test_program_numba_vs_python(name, f, args, wrt):
    py = _as_tuple(ad.grad(f, wrt=wrt, backend="python")(*args), len(wrt))
    nb = _as_tuple(ad.grad(f, wrt=wrt, backend="numba")(*args), len(wrt))
    for i, a, b in zip(wrt, py, nb):
        assert np.shape(a) == np.shape(b), f"{name}: argument {i}"
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: argument {i}")
        np.testing.assert_allclose(b, central_differences(f, args, i), rtol=1e-6, atol=1e-6,
                                   err_msg=f"{name}: argument {i}")

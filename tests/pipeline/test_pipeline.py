"""The one pipeline: composition, .source, pickling, signatures, pytrees, inputs at the door."""

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ad_compiler as ad
import _pipeline_funcs as F
from fdcheck import assert_close, fd_grad

X = np.array([0.3, -0.7, 1.1])
HERE = Path(__file__).parent


def _fd_jac(f, x, eps=1e-6):
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    return np.stack(cols, axis=-1)


# ------------------------------------------------------------------------ composition
def test_vjp_of_grad_is_the_pullback_of_the_gradient():
    g = ad.grad(F.poly, backend="python")
    out, pullback = ad.vjp(g, X, 0.8)
    np.testing.assert_allclose(out, g(X, 0.8), rtol=1e-13)
    cot = np.array([0.5, -1.0, 2.0])
    hx, hy = pullback(cot)
    assert_close(hx, fd_grad(lambda x, y: float(np.dot(cot, g(x, y))), (X, 0.8), 0))
    assert_close(hy, fd_grad(lambda x, y: float(np.dot(cot, g(x, y))), (X, 0.8), 1))


@pytest.mark.parametrize("transform", ["jacobian", "hessian_of_composed", "jvp"])
def test_transforms_of_a_gradient(transform):
    g = ad.grad(F.poly, backend="python")
    H = _fd_jac(lambda x: g(x, 0.8), X)
    if transform == "jacobian":
        assert_close(ad.jacobian(g, backend="python")(X, 0.8), H)
    elif transform == "jvp":
        v = np.array([1.0, 0.5, -2.0])
        out, t = ad.jvp(g, (X, 0.8), (v, 0.0), backend="python")
        assert_close(t, H @ v)
    else:
        # a composed scalar function: d poly / dy = sum(sin(x) x) + 3 y^2, whose Hessian in
        # x is diag(2 cos x - x sin x)
        gy = ad.grad(F.poly, wrt=1, backend="python")
        assert_close(ad.hessian(gy, backend="python")(X, 0.8),
                     np.diag(2 * np.cos(X) - X * np.sin(X)))


# ------------------------------------------------------------------------ .source
def test_source_says_what_it_assumed_then_what_ran():
    g = ad.grad(F.poly, backend="python")
    before = g.source
    assert "argument kinds assumed before any call: float, float" in before
    g(np.ones((2, 2)), 0.5)
    after = g.source
    assert "# argument kinds: array(2-D), float" in after and "assumed" not in after
    shown = g.show(X, 0.5)
    assert "array(1-D), float" in shown


# ------------------------------------------------------------------------ pickling
@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_pickle_before_and_after_the_first_call(backend):
    g = ad.grad(F.poly, wrt=(0, "y"), backend=backend)
    before = pickle.loads(pickle.dumps(g))
    expected = g(X, 0.8)
    after = pickle.loads(pickle.dumps(g))
    for h in (before, after):
        got = h(X, 0.8)
        assert_close(got[0], expected[0])
        assert_close(got[1], expected[1])
    assert g.__dask_tokenize__() == after.__dask_tokenize__()


def test_pickled_gradient_runs_in_a_spawned_process(tmp_path):
    g = ad.grad(F.poly, backend="numba")
    expected = g(X, 0.8)
    blob = tmp_path / "g.pkl"
    blob.write_bytes(pickle.dumps(g))
    code = textwrap.dedent(f"""
        import pickle, sys, numpy as np
        sys.path.insert(0, {str(HERE)!r})
        g = pickle.loads(open({str(blob)!r}, "rb").read())
        print(repr(g(np.array([0.3, -0.7, 1.1]), 0.8).tolist()))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(eval(out.stdout.strip()), expected, rtol=1e-14)


# ------------------------------------------------------------------------ signatures
@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_keyword_only_positional_only_and_wrt_by_name(backend):
    args = (X, 0.7)
    gk, gc = ad.grad(F.kwonly, wrt=("k", "c"), backend=backend)(*args, k=1.5, c=0.25)
    f = F.kwonly
    assert gk == pytest.approx(np.sum(X * X) + 0.7 * 0.25, rel=1e-12)
    assert gc == pytest.approx(0.7 * 1.5, rel=1e-12)
    gx = ad.grad(f, wrt=0, backend=backend)(X, 0.7)          # defaults k=2, c=0.5
    assert_close(gx, 4.0 * X)
    ga = ad.grad(f, wrt="a", backend=backend)(X, a=0.7, k=3.0)
    assert ga == pytest.approx(0.5 * 3.0)
    with pytest.raises(ad.DifferentiationError, match="not a parameter"):
        ad.grad(f, wrt="nope")


# ------------------------------------------------------------------------ pytrees
def _mlp_data():
    r = np.random.default_rng(3)
    params = (r.standard_normal((4, 5)), r.standard_normal(5), r.standard_normal((5, 2)),
              r.standard_normal(2))
    return params, r.standard_normal((6, 4)), r.standard_normal((6, 2))


def _fd_tree(f, leaves, rebuild, *rest):
    out = []
    for k, leaf in enumerate(leaves):
        def g(v, k=k):
            ls = list(leaves)
            ls[k] = v
            return f(rebuild(ls), *rest)
        out.append(fd_grad(g, (leaf,), 0))
    return out


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_mlp_loss_tuple_params(backend):
    params, x, y = _mlp_data()
    grads = ad.grad(F.mlp_loss, backend=backend)(params, x, y)
    assert isinstance(grads, tuple) and len(grads) == 4
    for got, want in zip(grads, _fd_tree(F.mlp_loss, params, tuple, x, y)):
        assert_close(got, want)


def test_mlp_loss_dict_params_and_value_and_grad():
    params, x, y = _mlp_data()
    p = dict(zip(["W1", "b1", "W2", "b2"], params))
    value, grads = ad.value_and_grad(F.mlp_loss_dict, backend="python")(p, x, y)
    assert value == pytest.approx(F.mlp_loss_dict(p, x, y), rel=1e-13)
    assert set(grads) == set(p)
    keys = sorted(p)
    want = _fd_tree(F.mlp_loss_dict, [p[k] for k in keys], lambda ls: dict(zip(keys, ls)),
                    x, y)
    for k, w in zip(keys, want):
        assert_close(grads[k], w)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_namedtuple_params_and_has_aux(backend):
    p = F.Params(w=np.array([0.5, -1.0, 2.0]), c=0.3)
    g = ad.grad(F.nt_loss, backend=backend)(p, X)
    assert isinstance(g, F.Params)
    want = _fd_tree(F.nt_loss, list(p), lambda ls: F.Params(*ls), X)
    assert_close(g.w, want[0])
    assert_close(g.c, want[1])
    w = np.array([0.2, 0.4, -0.1])
    (value, aux), gw = ad.value_and_grad(F.loss_with_aux, has_aux=True, backend=backend)(w, X)
    assert value == pytest.approx(F.loss_with_aux(w, X)[0])
    assert aux == pytest.approx(F.loss_with_aux(w, X)[1])
    assert_close(gw, fd_grad(lambda w, x: F.loss_with_aux(w, x)[0], (w, X), 0))


def test_vjp_and_jvp_of_pytrees():
    params, x, y = _mlp_data()
    out, pullback = ad.vjp(F.mlp_loss, params, x, y, backend="python")
    gp, gx, gy = pullback(1.0)
    assert isinstance(gp, tuple) and len(gp) == 4
    assert_close(gp[1], _fd_tree(F.mlp_loss, params, tuple, x, y)[1])


# ------------------------------------------------------------------------ the door
def test_inputs_are_checked_at_the_door():
    g = ad.grad(F.poly, backend="python")
    with pytest.raises(TypeError, match="argument 'x'.*got a str"):
        g("abc", 1.0)
    with pytest.raises(TypeError, match="argument 'y'.*got a NoneType"):
        g(X, None)
    with pytest.raises(TypeError, match="argument 'x' needs real"):
        g(np.arange(3), 1.0)
    with pytest.raises(ad.DifferentiationError, match="complex"):
        g(X + 1j, 1.0)
    with pytest.raises(ValueError, match=r"shape of tangent \(5,\)"):
        ad.jvp(F.poly, (X, 0.8), (np.ones(5), 0.0), backend="python")
    out, pullback = ad.vjp(F.writes_into, X.copy(), backend="python")
    with pytest.raises(ValueError, match=r"shape of cotangent \(5,\)"):
        pullback(np.ones(5))
    t = np.ones(3)
    ad.jvp(F.writes_into, (X.copy(),), (t,), backend="python")
    np.testing.assert_array_equal(t, np.ones(3))     # the caller's tangent is untouched


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_repeated_calls_stay_checked_and_follow_globals(backend, monkeypatch):
    """Later calls with the same argument types skip the door's work, but never its checks
    and never a changed global."""
    g = ad.value_and_grad(F.poly, wrt=(0, 1), backend=backend)
    for x, y in [(X, 0.8), (2.0 * X, -0.3), (X[::-1], 1.5)]:
        value, (gx, gy) = g(x, y)
        assert_close(value, F.poly(x, y))
        assert_close(gx, fd_grad(F.poly, (x, y), 0))
        assert_close(gy, fd_grad(F.poly, (x, y), 1))
    with pytest.raises(TypeError, match="argument 'x' needs real"):
        g(np.arange(3), 1.0)
    gx32 = ad.grad(F.poly, backend=backend)(X.astype(np.float32), 0.8)
    assert gx32.dtype == np.float32
    s = ad.grad(F.scaled, backend=backend)
    assert_close(s(X), 4.0 * X)
    monkeypatch.setattr(F, "SCALE", 3.0)
    assert_close(s(X), 6.0 * X)
    monkeypatch.setattr(F, "SCALE", np.array([1.0, 2.0, 3.0]))
    assert_close(s(X), 2.0 * np.array([1.0, 2.0, 3.0]) * X)


def test_jvp_tangents_keep_the_outputs_float32():
    """As ``jax.jvp``: float32 primals give float32 output tangents (the forward sweep
    carries float64 inside), equal to the float64 tangent rounded."""
    def scale(x):
        return x * x * 2.0

    x32 = np.array([0.5, -1.25, 3.0], dtype=np.float32)
    t32 = np.array([1.0, 0.5, -2.0], dtype=np.float32)
    out, tangent = ad.jvp(scale, (x32,), (t32,), backend="python")
    assert out.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_allclose(tangent, 4.0 * x32.astype(float) * t32, rtol=1e-6)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_repeated_grad_calls_take_the_direct_route(backend, monkeypatch):
    """``grad`` of a function with a static scalar output (whose adjoint does not compute
    the output) still skips the door on a later call of the same argument types."""
    g = ad.grad(F.poly, wrt=(0, 1), backend=backend)
    g(X, 0.8)
    monkeypatch.setattr(g, "prepare", lambda *a: pytest.fail("took the door again"))
    gx, gy = g(2.0 * X, -0.3)
    assert_close(gx, fd_grad(F.poly, (2.0 * X, -0.3), 0))
    assert_close(gy, fd_grad(F.poly, (2.0 * X, -0.3), 1))


def test_cuda_without_numba_cuda_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba.cuda", None)
    with pytest.raises(ImportError, match=r"pip install ad_compiler\[cuda\]"):
        ad.grad(F.poly, backend="cuda")


def test_jacobian_and_jvp_follow_the_structure():
    params, x, y = _mlp_data()
    J = ad.jacobian(F.mlp_loss, backend="python")(params, x, y)
    assert isinstance(J, tuple) and [b.shape for b in J] == [p.shape for p in params]
    for got, want in zip(J, _fd_tree(F.mlp_loss, params, tuple, x, y)):
        assert_close(got, want)
    v = tuple(np.ones_like(p) for p in params)
    _, t = ad.jvp(F.mlp_loss, (params, x, y), (v, np.zeros_like(x), np.zeros_like(y)),
                  backend="python")
    assert t == pytest.approx(sum(float(np.sum(g)) for g in J), rel=1e-10)

"""Forward-mode rules of the array primitives that once had vjps only (``prod``, ``max``,
``min``, ``norm``, ``concatenate``, ``stack``, ``full``, ``copy``, ``concat_part``,
``concat_pad``, ``linear``, ``mse_loss``, ``setitem``): through ``ad.jvp`` against central
finite differences, both backends; the three the frontend never emits (they come from the
Tensor runtime) by their rule evaluated on NumPy values."""
import numpy as np
import pytest

from ad_compiler.backends import helpers as _rt
from ad_compiler.functional import jvp

H = 1e-6


def fd_jvp(f, args, tangents):
    plus = [a + H * t if t is not None else a for a, t in zip(args, tangents)]
    minus = [a - H * t if t is not None else a for a, t in zip(args, tangents)]
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * H)


def prod_all(x):
    return np.prod(x) * 2.0


def prod_axis(m):
    return np.prod(m, axis=1)


def max_all(x):
    return np.max(x * x) + np.min(x)


def max_axis(m):
    return np.max(m, axis=0) - np.min(m, axis=1, keepdims=True).sum()


def norm(x):
    return np.linalg.norm(x) * np.linalg.norm(x + 1.0)


def concatenate(a, b):
    return np.concatenate((a * 2.0, b, np.sin(a)))


def concatenate_2d(m, n):
    return np.concatenate((m, n * n), axis=1)


def stack(a, b):
    return np.stack((a, b * b, np.cos(a)), axis=1)


def full(x):
    v = np.full(4, x * x)
    v[1] = v[1] * x
    return v


def copy(a):
    b = a.copy()
    b[0] = b[0] * 3.0
    return b * a


def concat_parts(a, b):
    c = np.concatenate((a, b))
    part = _rt.concat_part(c * c, (a, b), axis=0, argnum=1)
    pad = _rt.concat_pad(part * a[0], (a, b), axis=0, argnum=1)
    return np.sum(pad[1:4] * c[0:3]) + np.sum(part * b)


M = np.array([[0.5, -1.2, 2.0], [1.5, 0.7, -0.3]])
CASES = [
    (prod_all, (np.array([0.5, -1.5, 2.0, 0.8]),)),
    (prod_axis, (M,)),
    (max_all, (np.array([0.5, -1.5, 2.0, 0.8]),)),
    (max_axis, (M,)),
    (norm, (np.array([0.5, -1.5, 2.0]),)),
    (concatenate, (np.array([0.5, -1.5]), np.array([2.0, 0.8, 0.1]))),
    (concatenate_2d, (M, M[:, :2] + 0.5)),
    (stack, (np.array([0.5, -1.5]), np.array([2.0, 0.8]))),
    (full, (0.7,)),
    (copy, (np.array([0.5, -1.5, 2.0]),)),
    (concat_parts, (np.array([0.5, -1.5]), np.array([2.0, 0.8, 0.1]))),
]


def _tangents(args, rng):
    return [rng.standard_normal(np.shape(a)) if np.ndim(a) else float(rng.standard_normal())
            for a in args]


@pytest.mark.parametrize("backend", ["python", "numba"])
@pytest.mark.parametrize("f,args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_rule_through_jvp(f, args, backend):
    rng = np.random.default_rng(3)
    tangents = _tangents(args, rng)
    out, t_out = jvp(f, args, tangents, backend=backend)
    np.testing.assert_allclose(out, f(*args), rtol=1e-12)
    np.testing.assert_allclose(t_out, fd_jvp(f, args, tangents), rtol=1e-6, atol=1e-8)


def test_constant_operands_of_concatenate_and_stack():
    def f(a, b):
        return np.concatenate((a, b)), np.stack((b, a))

    a, b = np.array([0.5, -1.5]), np.array([2.0, 0.8])
    ta = np.array([1.0, -2.0])
    _, (tc, ts) = jvp(f, (a, np.arange(2)), (ta, 0), backend="python")
    np.testing.assert_allclose(tc, [1.0, -2.0, 0.0, 0.0])
    np.testing.assert_allclose(ts, [[0.0, 0.0], [1.0, -2.0]])
    del b


def test_copy_tangent_is_fresh():
    """Writing into the copy must not write into the input's tangent."""
    t = np.array([1.0, 1.0, 1.0])
    jvp(copy, (np.array([0.5, -1.5, 2.0]),), (t,), backend="python")
    np.testing.assert_array_equal(t, [1.0, 1.0, 1.0])


# --- rules the frontend never emits (Tensor runtime primitives), on NumPy values -------------

def _rule_vs_fd(name, operands, tangents, **attrs):
    from ad_compiler.rules import PRIMITIVES, NumpyOps

    prim = PRIMITIVES[name]
    impl = (lambda *xs: prim.impl(*xs, **{**prim.attrs, **attrs}))
    ans = impl(*operands)
    t = prim.apply_jvp(NumpyOps, tangents, ans, *operands, **attrs)
    fd = fd_jvp(impl, operands, tangents)
    np.testing.assert_allclose(np.broadcast_to(t, np.shape(fd)), fd, rtol=1e-6, atol=1e-8)
    assert np.shape(t) == np.shape(ans)


@pytest.mark.parametrize("which", [(0,), (1,), (2,), (0, 1, 2), (2, 1)])
def test_linear(which):
    rng = np.random.default_rng(4)
    ops = [rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)]
    ts = [rng.standard_normal(np.shape(o)) if i in which else None for i, o in enumerate(ops)]
    _rule_vs_fd("linear", ops, ts)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("which", [(0,), (1,), (0, 1)])
def test_mse_loss(reduction, which):
    rng = np.random.default_rng(5)
    ops = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ts = [rng.standard_normal(np.shape(o)) if i in which else None for i, o in enumerate(ops)]
    _rule_vs_fd("mse_loss", ops, ts, reduction=reduction)


@pytest.mark.parametrize("which", [(0,), (1,), (0, 1)])
def test_setitem(which):
    rng = np.random.default_rng(6)
    ops = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ts = [rng.standard_normal(np.shape(o)) if i in which else None for i, o in enumerate(ops)]
    _rule_vs_fd("setitem", ops, ts, index=1)

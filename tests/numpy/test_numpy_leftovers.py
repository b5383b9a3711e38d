"""The NumPy forms the first wave refused, against central finite differences (float64),
both modes: einsum diagonals, pad's copying modes, repeat with counts per element, joins of
the rows of one array, svd's singular vectors, qr's forward mode, eigh(UPLO='U'),
np.full_like and a typed np.full, scipy.special's softmax, log_softmax, erfc, logit,
ndtr and its names of NumPy's functions, np.interp (in x and fp), np.ptp, np.nansum,
np.nanmean, np.float_power, np.heaviside, .clip(), np.linalg.matrix_power, the ufunc methods
outer/reduce/accumulate, Hessians through
cholesky and pinv; and the
clear refusals that remain (svd's full u of a wide matrix; np.fft is tests/numpy/test_fft.py)."""

import os
import sys

import numpy as np
import pytest

import ad_compiler as ad

sys.path.insert(0, os.path.dirname(__file__))

from harness import assert_usage, check, write_module  # noqa: E402

# (expression of a, b, c; shapes); each is checked as np.sum(np.sin(EXPR))
USAGES = [
    ("scipy.special.erf(a)", [(2, 3)]),       # of an array (math.erf was printed: a crash)
    ("scipy.special.logsumexp(a)", [(4,)]),
    ("scipy.special.logsumexp(a, axis=1)", [(2, 3)]),
    ("scipy.special.logsumexp(a, axis=0, keepdims=True)", [(3, 2)]),
    ("np.einsum('ii->i', a)", [(3, 3)]),
    ("np.einsum('ii', a)", [(3, 3)]),
    ("np.einsum('iij->j', a)", [(3, 3, 2)]),
    ("np.einsum('ii,ij->j', a, b)", [(3, 3), (3, 2)]),
    ("np.einsum('ijk,lji,lli->lki', a, b, c)", [(3, 4, 4), (4, 4, 3), (4, 4, 3)]),
    ("np.pad(a, ((1, 2), (3, 1)), mode='reflect')", [(3, 4)]),
    ("np.pad(a, 2, mode='edge')", [(2, 3)]),
    ("np.pad(a, (1, 2), mode='wrap')", [(3,)]),
    ("np.pad(a, 1, mode='symmetric')", [(2, 3)]),
    ("np.repeat(a, (1, 0, 3), axis=1)", [(2, 3)]),
    ("np.repeat(a, [2, 1], axis=0)", [(2, 3)]),
    ("np.vstack(a)", [(2,)]),
    ("np.vstack(a)", [(2, 3, 4)]),
    ("np.hstack(a)", [(3, 2)]),
    ("np.hstack(a)", [(2, 3, 4)]),
    ("np.dstack(a)", [(3, 2)]),
    ("np.column_stack(a)", [(2,)]),
    ("np.linalg.eigh(a + a.T, UPLO='U')[0]", [(3, 3)]),
    ("np.abs(np.linalg.eigh(a, UPLO='U')[1])", [(3, 3)]),
    ("np.linalg.qr(a)[0] * np.linalg.qr(a)[1][0, 0]", [(4, 4)]),
    ("np.linalg.qr(a)[0]", [(5, 3)]),
    ("np.linalg.qr(a)[1]", [(2, 5, 3)]),
    ("np.abs(np.linalg.svd(a)[0]) + np.linalg.svd(a)[1]", [(3, 3)]),
    ("np.abs(np.linalg.svd(a)[2])", [(3, 3)]),
    ("np.abs(np.linalg.svd(a, full_matrices=False)[0])", [(5, 3)]),
    ("np.abs(np.linalg.svd(a, full_matrices=False)[2])", [(5, 3)]),
    ("np.abs(np.linalg.svd(a, full_matrices=False)[0])", [(3, 5)]),
    ("np.abs(np.linalg.svd(a, full_matrices=False)[2])", [(3, 5)]),
    ("np.abs(np.linalg.svd(a, full_matrices=False)[2])", [(2, 4, 3)]),
    ("np.full_like(a, 2.0) * a", [(2, 3)]),
    ("np.full_like(a, np.sum(a * a)) * a", [(2, 3)]),
    ("np.full_like(a, b) * a", [(2, 3), (3,)]),                   # a fill that broadcasts
    ("np.full_like(a, np.sum(a), dtype=float)", [(3,)]),
    ("np.full((2, 3), np.sum(a * a), dtype=float) * a", [(2, 3)]),  # (dtype= crashed)
    ("scipy.special.log1p(a * a) + scipy.special.expm1(a) + scipy.special.cbrt(a + 3.0)",
     [(2, 3)]),
    ("scipy.special.softmax(a, axis=1)", [(2, 3)]),
    ("scipy.special.softmax(a)", [(4,)]),
    ("scipy.special.log_softmax(a, axis=0)", [(2, 3)]),
    ("scipy.special.erfc(a) + scipy.special.ndtr(a)", [(3,)]),
    ("scipy.special.logit(0.4 + 0.1 * np.tanh(a))", [(3,)]),
    ("np.interp(3.0 * a, np.array([-1.0, 0.0, 1.0, 2.5]), np.array([0.0, 2.0, 3.0, 1.0]))",
     [(6,)]),
    ("np.interp(a, np.array([-0.5, 0.0, 0.7]), b) * a", [(2, 3), (3,)]),   # in fp too
    ("np.interp(a[0, 0], np.array([-0.5, 0.0, 0.7]), b)", [(2, 3), (3,)]),  # a scalar x
    ("np.expand_dims(a, (0, 2)) * np.expand_dims(a, 1)", [(3,)]),   # positional tuple axis
    ("np.ptp(a) + np.ptp(a, axis=1)[:, None] * np.ptp(a, axis=0, keepdims=True)", [(2, 3)]),
    ("np.nansum(a * b) + np.nanmean(a, axis=0)", [(2, 3), (3,)]),
    ("np.nansum(np.where(a > 0.5, np.nan, a), axis=1, keepdims=True) * a", [(2, 3)]),
    ("np.nanmean(np.where(a > 0.5, np.nan, a))", [(2, 3)]),        # what is not NaN
    ("np.float_power(a * a + 1.0, b)", [(2, 3), (3,)]),
    ("np.heaviside(a, b) * a * a", [(2, 3), (3,)]),
    ("a.clip(-0.5, b) * a", [(2, 3), (3,)]),      # (where b < -0.5 every element is b)
    ("np.clip(a, b, 0.3) + np.clip(a, -0.2, b)", [(2, 3), (3,)]),
    ("a @ b @ a + np.dot(a, c)[..., None]", [(2, 3, 3), (3, 3), (3,)]),  # batched products
    ("np.linalg.matrix_power(a, 1) + np.linalg.matrix_power(a, 3)", [(3, 3)]),
    ("np.linalg.matrix_power(a, 6)", [(2, 3, 3)]),                  # squared twice, batched
    ("np.subtract.outer(a, b) + np.multiply.outer(b, a[0])", [(2, 3), (3,)]),
    ("np.maximum.outer(a[0], b) * np.power.outer(a[1] * a[1] + 1.0, b)", [(2, 3), (3,)]),
    ("np.add.reduce(a) + np.maximum.reduce(a, axis=1).sum() + np.multiply.reduce(a, axis=None)",
     [(2, 3)]),
    ("np.add.accumulate(a, axis=1) * np.multiply.accumulate(a)", [(2, 3)]),
]
_MODULE = write_module(USAGES, name="leftover_usages")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("k", range(len(USAGES)), ids=[u[0] for u in USAGES])
def test_usage(k, mode):
    assert_usage(_MODULE, USAGES, k, mode, seed=k)


def numba_leftovers(a, v):
    s = a @ a.T + np.eye(4)
    u, sv, vh = np.linalg.svd(a[:, :3], full_matrices=False)
    return (np.sum(np.einsum("ii->i", a) ** 2) + np.einsum("ii", s)
            + np.sum(np.pad(a, ((1, 0), (0, 2)), mode="reflect") ** 2)
            + np.sum(np.pad(v, 2, mode="wrap") ** 3) + np.sum(np.repeat(v, (1, 0, 2, 1)) ** 2)
            + np.sum(np.vstack(v) * np.hstack(a)[:4, None]) + np.sum(np.abs(u) * sv)
            + np.sum(np.abs(vh)) + np.sum(np.linalg.qr(a)[0] ** 3)
            + np.sum(np.linalg.eigh(s, UPLO="U")[0] ** 2)
            + np.ptp(a, axis=0) @ np.nanmean(a, axis=1) + np.sum(np.linalg.matrix_power(s, 3))
            + np.sum(np.heaviside(v, 0.5) * v.clip(-0.3, 0.4))
            + np.sum(np.subtract.outer(v, v[:2]) ** 2) + np.sum(np.add.accumulate(a) ** 2))


@pytest.mark.numba
def test_numba_program():
    rng = np.random.default_rng(5)
    args = (rng.uniform(-0.9, 0.9, (4, 4)), rng.uniform(-0.9, 0.9, (4,)))
    for mode in ("reverse", "forward"):
        status, message = check(numba_leftovers, args, mode, "numba")
        assert status == "ok", f"{mode}: {status} {message}"


def full_u(a):
    return np.sum(np.linalg.svd(a)[0])


def test_full_u_of_a_wide_matrix_is_refused():
    with pytest.raises(ad.DifferentiationError, match="full_matrices=True needs a square"):
        ad.grad(full_u, backend="python")(np.ones((3, 5)))


def prod_with_zeros(m, v):
    a = m * 1.0
    a[1, 2] = 0.0        # one zero in a column, a row and the whole array
    a[0, 3] = 0.0
    a[0, 1] = 0.0        # two zeros in row 0
    return (np.sum(np.prod(a * m, axis=0) * v) + np.sum(np.prod(a + m, axis=1, keepdims=True) * m)
            + np.prod(a[1] * v) + a[0].prod())


def cumprod_with_zeros(m, v):
    a = m * 1.0
    a[1, 2] = 0.0
    a[0, 3] = 0.0
    a[0, 1] = 0.0
    return (np.sum(np.cumprod(a * m, axis=1) * m) + np.sum(np.cumprod(a + m, axis=0) ** 2)
            + np.sum(np.cumprod(m * a) * v[0]) + np.sum(a[1].cumprod() * v))


def _fd_grad(f, m, v, h=1e-6):
    g = np.zeros_like(m)
    for idx in np.ndindex(m.shape):
        e = np.zeros_like(m)
        e[idx] = h
        g[idx] = (f(m + e, v) - f(m - e, v)) / (2 * h)
    return g


@pytest.mark.parametrize("f", [prod_with_zeros, cumprod_with_zeros], ids=lambda f: f.__name__)
@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_prod_with_zeros(f, backend):
    """np.prod's and np.cumprod's rules divided by x ("exact where x has no zeros", as
    autograd's): NaN where an element is zero, in the gradient, the jvp and the Hessian. Now
    products of the other elements (exclusive products, linear recurrences along the axis)
    and their derivatives over dual numbers: exact with zeros at every order the API
    reaches."""
    rng = np.random.default_rng(3)
    m, v = rng.uniform(0.5, 1.5, (3, 5)), rng.uniform(-1.0, 1.0, 5)
    want = _fd_grad(f, m, v)
    np.testing.assert_allclose(ad.grad(f, backend=backend)(m.copy(), v), want,
                               rtol=1e-6, atol=1e-8)
    t = rng.standard_normal(m.shape)
    _, tangent = ad.jvp(f, (m.copy(), v), (t, np.zeros(5)), backend=backend)
    assert tangent == pytest.approx(np.sum(want * t), rel=1e-6)
    hess = ad.hessian(f, backend=backend)(m.copy(), v).reshape(15, 15)
    grad = ad.grad(f, backend=backend)
    fd = np.stack([((grad(m + 1e-5 * e.reshape(3, 5), v) - grad(m - 1e-5 * e.reshape(3, 5), v))
                    / 2e-5).reshape(-1) for e in np.eye(15)], axis=1)
    assert np.all(np.isfinite(hess))
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-7)


_KNOTS = np.array([0.0, 1.0, 2.5, 4.0])


def interp_energy(x, fp):
    return np.sum(np.sin(np.interp(x, _KNOTS, fp)) * x)


def interp_moving_knots(x, fp):
    return np.sum(np.interp(x, _KNOTS * x[0], fp))


def test_interp_second_derivatives_and_refusals():
    """np.interp's Hessian in x alone and in fp alone against differences of gradients; in
    both together, and any derivative through the knots xp, refused where it is called."""
    x, fp = np.array([-0.5, 0.3, 1.7, 3.9, 5.0]), np.array([0.5, 2.0, 3.0, 1.0])
    h = 1e-6
    for wrt, arg in ((0, x), (1, fp)):
        def grad_at(a, wrt=wrt):
            args = [x, fp]
            args[wrt] = a
            return ad.grad(interp_energy, wrt=wrt, backend="python")(*args)

        want = np.array([(grad_at(arg + h * e) - grad_at(arg - h * e)) / (2 * h)
                         for e in np.eye(len(arg))])
        got = ad.hessian(interp_energy, wrt=wrt, backend="python")(x, fp)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    with pytest.raises(ad.DifferentiationError, match="x and fp together"):
        ad.hessian(interp_energy, wrt=(0, 1), backend="python")(x, fp)
    with pytest.raises(ad.DifferentiationError, match=r"knots xp .* at .*\.py:\d+"):
        ad.grad(interp_moving_knots, backend="python")(x + 1.0, fp)


def cholesky_and_pinv(a):
    s = a @ a.T + 3.0 * np.eye(3)
    return np.sum(np.sin(np.linalg.cholesky(s))) + np.sum(np.linalg.pinv(a[:, :2]) ** 2)


def eigenvalues_and_singular_values(a):
    s = a + a.T
    return np.sum(np.linalg.eigh(s)[0] ** 3) + np.sum(np.linalg.svd(a[:, :2],
                                                                    compute_uv=False) ** 3)


@pytest.mark.parametrize("f, a", [
    pytest.param(cholesky_and_pinv, np.random.default_rng(4).uniform(-0.9, 0.9, (3, 3)),
                 id="cholesky_and_pinv"),
    # (distinct eigenvalues and singular values: there the factors' forward rules hold)
    pytest.param(eigenvalues_and_singular_values,
                 np.array([[0.9, -0.3, 0.4], [0.2, 0.5, -0.7], [-0.6, 0.1, 0.3]]),
                 id="eigenvalues_and_singular_values")])
def test_second_derivatives_through_factorisations(f, a):
    """cholesky's and pinv's rules, eigh's eigenvalue rule and svd's singular value rule
    are written in primitives (products, inverses, triangles, the factors), so forward mode
    differentiates them: ad.hessian against central differences of the gradient."""
    H = ad.hessian(f, backend="python")(a).reshape(9, 9)
    grad = ad.grad(f, backend="python")
    eps, fd = 1e-5, np.zeros((9, 9))
    for k in range(9):
        e = np.zeros(9)
        e[k] = eps
        fd[:, k] = (grad(a + e.reshape(3, 3)) - grad(a - e.reshape(3, 3))).ravel() / (2 * eps)
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-6)

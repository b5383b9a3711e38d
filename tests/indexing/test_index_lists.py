"""Index lists and in-place NumPy statements, as NumPy users write them.

``y[[0, 2]]`` indexes with ONE integer array (it was read as ``y[0, 2]`` and failed);
``np.array([0, 2])`` holds integers (it was a float array, unusable as an index); ``np.put``
takes a list of positions; ``np.copyto(dst, src)`` writes ``src`` into ``dst`` (it was a call
whose result nobody reads, dropped: the gradient was zero). A function with no rule and no
source called as a statement with an array (``np.fill_diagonal(m, 1.0)``) may write into it,
which the compiler cannot follow: refused, where it gave a wrong gradient."""

import numpy as np
import pytest
import scipy.special

import ad_compiler as ad

from fdcheck import assert_close, fd_grad


def list_index_store_and_load(x):
    y = np.zeros(4)
    y[[0, 2]] = x[:2]
    return np.sum(y * y) + np.sum(x[[2, 0]] ** 3)


def int_array_literal(x):
    idx = np.array([2, 0, 2])
    mask = np.array([True, False, True])
    return np.sum(x[idx] ** 3) + np.sum(x[mask] * 2.0)


def put_list(x):
    y = np.zeros(4)
    np.put(y, [0, 2], x[:2])
    return np.sum(y * y) + y[2] * x[2]


def copyto(x):
    out = np.zeros_like(x)
    np.copyto(out, x * 2.0)
    return np.sum(out ** 2)


def take_list(x):
    # np.take(x, [0, 2, 2]) was lowered as x[0, 2, 2] (the list read as a tuple of indices):
    # IndexError from the generated code in both modes
    m = np.outer(x, x)
    return np.sum(np.take(x, [0, 2, 2]) ** 3) + np.sum(np.take(m, (1, 1), axis=1) * x[0])


CASES = [list_index_store_and_load, int_array_literal, put_list, copyto, take_list]
X = np.array([0.3, -0.5, 0.7])


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_gradient(f, backend):
    assert_close(ad.grad(f, backend=backend)(X.copy()), fd_grad(f, (X.copy(),), 0),
                 f.__name__)


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_jvp(f):
    t = np.array([0.4, 1.0, -0.7])
    _, tangent = ad.jvp(f, (X.copy(),), (t,), backend="python")
    assert_close(tangent, float(np.dot(fd_grad(f, (X.copy(),), 0), t)), f.__name__)


def test_list_index_hessian_is_exact():
    H = ad.hessian(list_index_store_and_load, backend="python")(X.copy())
    np.testing.assert_allclose(H, np.diag([2.0 + 6 * 0.3, 2.0, 6 * 0.7]), rtol=1e-14)


def fill_diagonal(a):
    m = a.copy()
    np.fill_diagonal(m, 1.0)
    return np.sum(m * m)


def test_opaque_statement_call_on_an_array_is_refused():
    with pytest.raises(ad.DifferentiationError, match="np.fill_diagonal.*called as a statement"):
        ad.grad(fill_diagonal, backend="python")(np.ones((3, 3)))


def erf_of_an_array(x):
    return np.sum(scipy.special.erf(x) * x) + scipy.special.erf(x[0])


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_erf_of_an_array(backend):
    """``scipy.special.erf`` of an array is the ``_rt.erf`` helper on both backends (the
    printed ``math.erf`` failed on arrays)."""
    assert_close(ad.grad(erf_of_an_array, backend=backend)(X.copy()),
                 fd_grad(erf_of_an_array, (X.copy(),), 0), "erf")


def written_literals(x):
    # two equal literals, each written: the literal was ONE array passed in at every call
    # and every evaluation, so the writes reached the other literal, the next iteration and
    # the next call (value and gradient changed from call to call)
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 2.0, 3.0])
    a[0] = x[1]
    b[2] += x[0]
    s = 0.0
    for k in range(3):
        c = np.array([0.5, 0.25, 0.125])
        c[k] *= x[k]
        s += np.sum(c * c)
    return np.sum(a * x) + np.sum(b * x) + s


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_written_literals_are_fresh_at_every_evaluation(backend):
    want = fd_grad(written_literals, (X.copy(),), 0)
    vg = ad.value_and_grad(written_literals, backend=backend)
    for _ in range(3):
        value, grad = vg(X.copy())
        assert value == pytest.approx(written_literals(X.copy()), rel=1e-14)
        assert_close(grad, want, "written literals")
    _, tangent = ad.jvp(written_literals, (X.copy(),), (np.ones(3),), backend=backend)
    assert tangent == pytest.approx(np.sum(want), rel=1e-6)


def asarray_read(x):
    a = np.asarray(x)
    return np.sum(a * a * np.asarray([1.0, 2.0, 3.0])) + np.asarray(x[0]) * a[1]


def asarray_written(x, y):
    a = np.asarray(x)      # x itself: the write below reaches x
    a[0] = y[0]
    return np.sum(a * x)


def test_asarray_is_the_array_itself():
    """np.asarray(x) was a copy of x (np.array's lowering): a write through it did not
    reach x, so the gradient of a function writing through it was wrong. It is x itself
    now: reads are exact, and a write through it, an alias the compiler does not follow, is
    refused."""
    assert_close(ad.grad(asarray_read, backend="python")(X.copy()),
                 fd_grad(asarray_read, (X.copy(),), 0), "asarray")
    with pytest.raises(ad.DifferentiationError, match="'a' .written here. and 'x' may refer"):
        ad.grad(asarray_written, backend="python")(X.copy(), X.copy())


def masked_copy_written(x):
    # a[mask] of a comparison (the bool kind with its ndim) was specialised as a float:
    # the printer moved the read of its adjoint's element past the store zeroing it
    a = x * 1.0
    c = a[a > -10.0]
    c[0] = x[1] * 5.0
    d = a[(a > -0.6) & (x < 2.0)]
    return np.sum(a ** 2) + np.sum(c ** 2) + np.sum(c * np.sum(d)) + np.sum(d ** 3)


def gathered_rows_written(m):
    # m[[0, 2]], m[idx], m[mask] of a matrix are copies; they were taken for views of m
    # (fewer indices than axes), and then for no memory at all: row loads of them were
    # not copied before a store changed them (wrong gradients)
    a = m * 1.0
    c = a[[0, 2]]
    c[0, 1] = m[1, 1] * 5.0
    c[1] *= m[1]
    d = a[np.array([2, 0])]
    d[0] = m[0] * 2.0
    e = a[a[:, 0] > -10.0]
    e[0, 1] = m[2, 2] * 3.0
    return np.sum(a ** 2) + np.sum(c ** 2) + np.sum(d ** 3) + np.sum(e ** 2)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_gathers_and_masks_are_copies(backend):
    m = np.array([[0.3, -0.5, 0.7], [0.2, 0.9, -0.4], [-0.8, 0.6, 0.1]])
    for f, arg in ((masked_copy_written, X), (gathered_rows_written, m)):
        want = fd_grad(f, (arg.copy(),), 0)
        assert_close(ad.grad(f, backend=backend)(arg.copy()), want, f.__name__)
        t = np.linspace(-1.0, 1.0, arg.size).reshape(arg.shape)
        _, tangent = ad.jvp(f, (arg.copy(),), (t,), backend=backend)
        assert tangent == pytest.approx(float(np.sum(want * t)), rel=1e-6)


def cast_indices(x):
    # x.astype(int) was trunc's float array: NumPy refuses it as an index (an IndexError
    # from the generated code in both modes)
    k = (np.abs(x) * 3).astype(np.int64) % 3
    j = np.floor(np.abs(x) * 1.7).astype(int)
    a = x * 1.0
    a[k[:2]] = a[j[:2]] * x[0]
    return np.sum(x[k] ** 3) + np.sum(a ** 2)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_astype_int_gives_indices(backend):
    want = fd_grad(cast_indices, (X.copy(),), 0)
    assert_close(ad.grad(cast_indices, backend=backend)(X.copy()), want, "astype")
    _, tangent = ad.jvp(cast_indices, (X.copy(),), (np.ones(3),), backend=backend)
    assert tangent == pytest.approx(float(np.sum(want)), rel=1e-6)

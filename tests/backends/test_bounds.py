"""No silent out-of-bounds access (issue 22): an index out of range raises IndexError naming
the user's line on both backends, before any adjoint write; numba's unchecked mode is opt-in
(boundscheck=False); arrays around the accessed ones (guard elements) are never touched."""

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.backends import bounds, helpers


def squares(x, n):
    s = 0.0
    for i in range(n):
        s += x[i] * x[i]
    return s


def scatter(x, out, n):
    for i in range(n):
        out[i] = x[i] * 2.0
    return np.sum(out * out)


BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.numba)]
LINE = r"line \d+ of .*test_bounds.py \(`s \+= x\[i\] \* x\[i\]`\)"


def _guarded(values, guard=7.0):
    """A view of ``values`` inside a buffer with two guard elements on each side."""
    buf = np.full(len(values) + 4, guard)
    buf[2:-2] = values
    return buf, buf[2:-2]


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_bounds_gradient(backend):
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(ad.grad(squares, backend=backend)(x, 3), 2 * x)   # exact: d/dx x^2
    assert np.allclose(ad.grad(squares, backend=backend)(x, 2), [2.0, 4.0, 0.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_read_past_the_end_raises_naming_the_line(backend):
    buf, x = _guarded([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match=LINE):
        ad.grad(squares, backend=backend)(x, 5)
    with pytest.raises(IndexError, match=LINE):
        ad.value_and_grad(squares, backend=backend)(x, 4)
    assert np.all(buf[:2] == 7.0) and np.all(buf[-2:] == 7.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_write_past_the_end_leaves_guards(backend):
    x = np.arange(1.0, 7.0)
    buf, out = _guarded(np.zeros(3))
    with pytest.raises(IndexError, match=r"`out\[i\] = x\[i\] \* 2.0`"):
        ad.grad(scatter, backend=backend)(x, out, 5)
    assert np.all(buf[:2] == 7.0) and np.all(buf[-2:] == 7.0)


@pytest.mark.parametrize("transform", ["jvp", "vjp"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_other_transforms_check_too(backend, transform):
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match=LINE):
        if transform == "jvp":
            ad.jvp(squares, (x, 5), (np.ones(3), 0), backend=backend)
        else:
            ad.vjp(squares, x, 5, backend=backend)


def test_adjoint_never_writes_outside_the_gradient_buffer(monkeypatch):
    """The gradient buffer (``_rt.zeros_like``) given guard elements: an out-of-range index
    fails in the primal sweep, before the adjoint writes anything."""
    buffers = []

    def guarded_zeros_like(a):
        buf, view = _guarded(np.zeros_like(a))
        buffers.append(buf)
        return view

    monkeypatch.setattr(helpers, "zeros_like", guarded_zeros_like)
    x = np.array([1.0, 2.0, 3.0])
    g = ad.grad(squares, backend="python")
    assert np.allclose(g(x, 3), 2 * x)
    with pytest.raises(IndexError, match=LINE):
        g(x, 4)
    assert buffers and all(np.all(b[:2] == 7.0) and np.all(b[-2:] == 7.0) for b in buffers)


def test_policy_resolution(monkeypatch):
    from numba.core import config

    monkeypatch.setattr(config, "BOUNDSCHECK", None)
    assert bounds.resolve(None) == "entry" and bounds.resolve(False) is False
    assert bounds.resolve("numba") == "numba"
    monkeypatch.setattr(config, "BOUNDSCHECK", 0)
    assert bounds.resolve(None) is False and bounds.resolve(True) == "entry"
    monkeypatch.setattr(config, "BOUNDSCHECK", 1)
    assert bounds.resolve(None) == "numba"
    with pytest.raises(ValueError, match="boundscheck"):
        bounds.resolve("yes")


@pytest.mark.numba
def test_unchecked_numba_is_opt_in():
    x = np.array([1.0, 2.0, 3.0])
    g = ad.grad(squares, boundscheck=False)
    assert np.allclose(g(x, 3), 2 * x)
    assert "boundscheck=False" in open(g.last_stage.compiled.__wrapped__
                                       .dispatcher.py_func.__code__.co_filename).read()


def gather(x, idx):
    s = 0.0
    for i in range(idx.shape[0]):
        s += x[idx[i]] * x[idx[i]]
    return s


def from_the_end(x, n):
    s = 0.0
    for i in range(n):
        s += x[-1 - i] * x[i]
    return s


def rows(a, n, m):
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += a[i, j] * a[i, j]
    return s


def newton_steps(x, n):
    s = 0.0
    k = 0
    while k < n:
        s += x[k] * x[k]
        k = k + 1
    return s


@pytest.mark.parametrize("backend", BACKENDS)
def test_gathers_negative_indices_2d_and_while_loops(backend):
    x = np.array([1.0, 2.0, 3.0, 4.0])
    idx = np.array([0, 3, -1])
    # exact gradients (d/dx of sums of products), then the same programs out of bounds
    assert np.allclose(ad.grad(gather, backend=backend)(x, idx), [2.0, 0.0, 0.0, 16.0])
    assert np.allclose(ad.grad(from_the_end, backend=backend)(x, 4), 2 * x[::-1])
    assert np.allclose(ad.grad(from_the_end, backend=backend)(x, 2), [4.0, 3.0, 2.0, 1.0])
    a = np.arange(6.0).reshape(2, 3)
    assert np.allclose(ad.grad(rows, backend=backend)(a, 2, 3), 2 * a)
    assert np.allclose(ad.grad(newton_steps, backend=backend)(x, 3), [2.0, 4.0, 6.0, 0.0])
    buf, y = _guarded(x)
    cases = [(gather, (y, np.array([0, 4])), r"`s \+= x\[idx\[i\]\] \* x\[idx\[i\]\]`"),
             (gather, (y, np.array([-5])), r"`s \+= x\[idx\[i\]\] \* x\[idx\[i\]\]`"),
             (from_the_end, (y, 5), r"`s \+= x\[-1 - i\] \* x\[i\]`"),
             (rows, (a, 2, 4), r"`s \+= a\[i, j\] \* a\[i, j\]`"),
             (rows, (a, 3, 3), r"`s \+= a\[i, j\] \* a\[i, j\]`"),
             (newton_steps, (y, 5), r"`s \+= x\[k\] \* x\[k\]`")]
    for fn, args, line in cases:
        with pytest.raises(IndexError, match=line):
            ad.grad(fn, backend=backend)(*args)
    assert np.all(buf[:2] == 7.0) and np.all(buf[-2:] == 7.0)


@pytest.mark.numba
def test_default_numba_build_checks_in_the_source_with_numbas_checks_off():
    x = np.array([1.0, 2.0, 3.0])
    g = ad.grad(squares)
    assert np.allclose(g(x, 3), 2 * x)
    text = open(g.last_stage.compiled.__wrapped__.dispatcher.py_func.__code__
                .co_filename).read()
    assert "boundscheck=entry" in text and "_rt.require_indices(" in text
    with pytest.raises(IndexError, match=LINE):
        ad.grad(squares, boundscheck="numba")(x, 4)


def squares_past_the_end(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * x[i]
    return s


@pytest.mark.numba
def test_a_failed_check_run_as_python_names_the_access(monkeypatch):
    """Under ``NUMBA_DISABLE_JIT`` the checked source runs as Python: the traceback ends at
    the check before the loop, which is no access, so the python run of the plain source
    finds the line of the access itself."""
    from numba.core import config

    monkeypatch.setattr(config, "DISABLE_JIT", True)
    with pytest.raises(IndexError, match=r"line \d+ of .*test_bounds.py \(`s = s \+ x\[i\]"):
        ad.grad(squares_past_the_end)(np.ones(3), 4)

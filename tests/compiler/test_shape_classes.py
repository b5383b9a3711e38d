"""Shape classes (transforms/shapes.py): reverse mode leaves out ``_rt.unbroadcast`` between
arrays that certainly have one shape, and keeps it wherever a shape may differ (a
broadcast, an ``if`` whose branches yield different arrays, a loop-carried array, an
indexing result). Every gradient is checked against central differences."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler import api
from ad_compiler.transforms.shapes import same_shape, shape_classes
from fdcheck import assert_close, fd_grad


def derived(x):
    a = x * 2.0
    b = np.sin(x) + 1.0
    c = a * b
    d = np.zeros_like(c) + c.copy() * a
    return np.sum(d * b)


def broadcast(x, y):          # x (3, 1) and y (1, 4): the product is (3, 4)
    a = np.tanh(x) * 2.0
    return np.sum(a * y * np.cos(y))


def branches(x, y, c):
    a = x * 1.5 if c > 0.0 else y * 1.5
    return np.sum(a * x)


def branches_alike(x, c):
    if c > 0.0:
        a = np.sin(x)
    else:
        a = x * 3.0
    return np.sum(a * x + a)


def carried(x, y):
    a = x
    for _ in range(2):
        a = a * y          # (3,) * (3,) here, but a loop-carried value starts a class
    return np.sum(a * x)


def carried_alike(x):
    a = x * 1.0
    for _ in range(3):
        a = a * 0.9 + np.sin(a) * x    # each iteration keeps a's class (an induction)
    k = 0
    while k < 2:
        a = a * np.cos(x)
        k += 1
    return np.sum(a * x)


def indexed(m, v):
    row = m[0]             # an indexing result: its own class
    return np.sum(row * v * np.exp(row))


def _unbroadcasts(f, args, wrt=0):
    d = ad.grad(f, wrt=wrt, backend="python")
    got = d(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    return d.source_of(d.prepare(args)).count("_rt.unbroadcast"), got


def test_arrays_computed_from_one_argument_share_a_class():
    x = np.linspace(0.1, 0.9, 5)
    fn = api.DerivativeFunction(derived, backend="python").stage_for(
        api.DerivativeFunction(derived, backend="python").prepare((x,))).special
    classes = shape_classes(fn)
    arrays = [op.results[0] for op in fn.body.ops if op.results and
              op.results[0].kind == "array"]
    assert len(arrays) >= 5
    assert all(same_shape(classes, arrays[0], a) for a in arrays)
    count, got = _unbroadcasts(derived, (x,))
    assert count == 0
    assert_close(got, fd_grad(derived, (x,), 0), "derived")


@pytest.mark.parametrize("f, args, wrt", [
    (broadcast, (np.array([[0.2], [0.5], [-0.3]]), np.array([[0.1, 0.4, -0.2, 0.7]])), 0),
    (broadcast, (np.array([[0.2], [0.5], [-0.3]]), np.array([[0.1, 0.4, -0.2, 0.7]])), 1),
    (branches, (np.array([0.2, 0.5, -0.3]), np.array([0.7]), 1.0), 0),
    (branches, (np.array([0.2, 0.5, -0.3]), np.array([0.7]), -1.0), 1),
    (carried, (np.array([0.2, 0.5, -0.3]), np.array([0.7])), 0),
    (carried, (np.array([0.2, 0.5, -0.3]), np.array([0.7])), 1),
    (indexed, (np.array([[0.2, 0.5, -0.3], [0.1, 0.2, 0.3]]), np.array([0.7])), 0),
    (indexed, (np.array([[0.2, 0.5, -0.3], [0.1, 0.2, 0.3]]), np.array([0.7])), 1),
], ids=["broadcast_x", "broadcast_y", "branches_x", "branches_y", "carried_x", "carried_y",
        "indexed_m", "indexed_v"])
def test_a_shape_that_may_differ_keeps_its_unbroadcast(f, args, wrt):
    count, got = _unbroadcasts(f, args, wrt)
    assert count > 0
    assert_close(got, fd_grad(f, args, wrt), f.__name__)


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_branches_yielding_one_class_keep_it(c):
    x = np.array([0.2, 0.5, -0.3])
    count, got = _unbroadcasts(branches_alike, (x, c))
    assert count == 0
    assert_close(got, fd_grad(branches_alike, (x, c), 0), "branches_alike")


def test_loop_carried_arrays_that_keep_their_class():
    x = np.array([0.2, 0.5, -0.3])
    count, got = _unbroadcasts(carried_alike, (x,))
    assert count == 0
    assert_close(got, fd_grad(carried_alike, (x,), 0), "carried_alike")


def whole_array_store(x0):
    x = x0.copy()
    x[:] = np.sin(x0)
    return np.sum(x * x)


def test_a_store_that_fills_the_whole_array_needs_no_unbroadcast():
    """``x[:] = v``, ``v`` of ``x``'s shape class: the part is the whole array, so the
    stored value's cotangent is the part's (the full slice is a ``slice(None, None,
    None)`` value in the IR, not a constant)."""
    x0 = np.array([0.1, 0.2, 0.7])
    g = ad.grad(whole_array_store, backend="python")
    assert_close(g(x0), fd_grad(whole_array_store, (x0,), 0))
    assert "_rt.unbroadcast" not in g.source


def allocated_by_size(x0):
    n = x0.shape[0]
    x = x0.copy()
    y = np.empty(n)
    z = np.zeros(x0.shape)
    for t in range(2):
        for r in range(n):
            y[r] = np.tanh(x[r]) + z[r]
        x[:] = y
        z[:] = x * 0.5
    return np.sum(x * x) + np.sum(z)


def rows_of_a_matrix(m):
    y = np.zeros(m.shape[0])       # m's rows, not m's shape
    for r in range(m.shape[0]):
        y[r] = np.sum(m[r] * m[r])
    out = m[:, 0].copy()
    out[:] = y
    return np.sum(out * out)


def test_an_allocation_of_an_arrays_size_is_of_its_class():
    """``np.empty(n)`` with ``n = x.shape[0]`` of a 1-D ``x``, ``np.zeros(x.shape)``: of
    ``x``'s class, so ``x[:] = y`` needs no unbroadcast; ``np.zeros(m.shape[0])`` of a
    matrix is not of ``m``'s."""
    x0 = np.array([0.1, 0.2, 0.7])
    g = ad.grad(allocated_by_size, backend="python")
    assert_close(g(x0), fd_grad(allocated_by_size, (x0,), 0))
    assert "_rt.unbroadcast" not in g.source
    m = np.array([[0.3, 0.5], [0.7, 0.2], [0.1, 0.9]])
    assert_close(ad.grad(rows_of_a_matrix, backend="python")(m),
                 fd_grad(rows_of_a_matrix, (m,), 0))

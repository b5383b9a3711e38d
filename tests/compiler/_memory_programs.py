"""The minimal programs of issue 11 ("arrays are memory"), one per class of failure.

Each one was a silently wrong gradient or a crash inside the compiler. ``PROGRAMS`` lists
``(function, args)``; the test checks the gradient with respect to every float argument
against central differences, the value against calling the function, and that the caller's
arrays hold afterwards what calling the function leaves in them.
"""
import math

import numpy as np


# 1. CSE across in-place writes
def cse_sum_across_store(x):
    w = x * 2.0 + 1.0
    a = np.sum(w)
    w[0] = 0.0
    b = np.sum(w)
    return a * b


def cse_twin_allocations(x):
    w0 = x * 2.0
    w1 = x * 2.0
    w0[0] = 0.0
    return np.sum(w1 * w1)


def cse_cos_across_accumulate(x):
    w = np.sin(x)
    a = np.cos(w)
    w[0] += 1.0
    b = np.cos(w)
    return np.sum(a * b)


def cse_argument_store(x):
    c = 0.1 * np.sum(x)
    x[0] = 0.3
    return 0.1 * np.sum(x) + c


# 2. buffer swaps in a time loop
def swap_heat(u0, steps):
    u = u0.copy()
    un = np.zeros_like(u0)
    n = u0.shape[0]
    for t in range(steps):
        for i in range(1, n - 1):
            un[i] = u[i] + 0.2 * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        u, un = un, u
    return np.sum(u * u)


def swap_through_temporary(x, steps):
    a = x * 1.0
    b = np.zeros_like(x)
    for t in range(steps):
        for i in range(x.shape[0]):
            b[i] = 0.5 * a[i] + 0.1 * math.sin(a[i])
        tmp = a
        a = b
        b = tmp
    return np.sum(a * a) + np.sum(b)


def swap_jacobi_csr(indptr, indices, data, diag, rhs, steps):
    n = rhs.shape[0]
    x = np.zeros(n)
    xn = np.zeros(n)
    for t in range(steps):
        for r in range(n):
            s = rhs[r]
            for p in range(indptr[r], indptr[r + 1]):
                j = indices[p]
                s -= data[p] * x[j]
            xn[r] = s / diag[r]
        x, xn = xn, x
    return np.sum(x * x)


# 3. views and aliases
def view_reversed_write(x, y):
    w = y[::-1]
    w[-1] = 2.0 * x[0]
    return np.sum(y * y)


def view_slice_write(x):
    w = x * 1.0
    v = w[1:]
    v[0] = 5.0
    return np.sum(w * x)


def alias_in_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        w = x
        w[i] = w[i] * 2.0
        s += w[i]
    return s + np.sum(x * x)


def row_write(x):
    h = np.zeros((2, 3))
    h[1] = x
    return np.sum(h * h)


def row_broadcast_write(x):
    h = np.zeros((2, 3))
    h[0] = x[0]
    return np.sum(h * np.sin(h))


def self_slice_write(x):
    w = x * 1.0
    w[:] = w
    return np.sum(w * w)


# 4. rebinding inside a branch or a loop, then a store
def rebind_in_branch(y, s):
    w = np.zeros_like(y)
    if s < 5.0:
        w = y * 2.0
    w[0] = 1.0
    return np.sum(w * y)


def rebind_in_loop(y):
    s = 0.0
    for i in range(2):
        w = np.exp(y)
        w[0] += 1.0
        s += np.sum(w * w)
    return s


# 5. array temporaries and slices inside a branch inside a loop
def temp_in_branch_in_loop(x):
    c = 0.0
    for i in range(3):
        if x[i] > 0.0:
            c += np.sum(np.sin(x))
    return c


def slice_sum_in_branch_in_loop(x):
    s = 0.0
    for i in range(3):
        if x[i] > 0.0:
            s += math.sin(np.sum(x[1:]))
    return s


def slice_store_in_untaken_branch(x, s):
    w = np.zeros_like(x)
    for i in range(2):
        if s > 100.0:
            w[-2:] = x[:2] * s
        w[0] += x[i] * s
    return np.sum(w * w)


def _new_array(x):
    return np.sin(x) * 2.0


def helper_in_untaken_branch(x, s):
    t = 0.0
    for i in range(2):
        if s > 100.0:
            h = _new_array(x)
            t += np.sum(h)
        t += s * x[i]
    return t


# 6. helpers writing into their array arguments
def _mutate(y):
    y[0] = y[0] * y[1]
    y[1] = 3.0


def helper_statement_call(x):
    y = x * 1.0
    _mutate(y)
    return np.sum(y * y)


def helper_mutates_argument(x):
    _mutate(x)
    return np.sum(x * x)


# 7. locally written array read at an index loaded from an int array
def index_from_int_array(x, idx):
    buf = np.zeros(3)
    for p in range(idx.shape[0]):
        j = idx[p]
        buf[j] += x[p] * x[p]
    s = 0.0
    for p in range(idx.shape[0]):
        j = idx[p]
        s += buf[j] * x[p]
    return s


# found by the random programs and while writing the memory model
def inplace_update_through_alias(x):
    w = x * 1.0
    v = w
    w *= 2.0
    return np.sum(v * v)


def inplace_update_of_argument(x):
    x += 1.0
    return np.sum(x * x)


def reshape_view_write(x):
    w = x * 1.0
    r = w.reshape(2, 2)
    r[0, 1] = 3.0
    return np.sum(w * x)


def transpose_view_write(y):
    m = y * 1.0
    mt = m.T
    mt[1, 0] = 2.0 * m[0, 0]
    return np.sum(m * y)


def row_of_scalar_in_loop(x, y):
    m = y.copy()
    for i in range(2):
        m[1] = 0.5 * x[1] + 0.3 * math.sin(x[0])
    return 0.05 * np.sum(m * m)


def _csr():
    indptr = np.array([0, 2, 5, 7])
    indices = np.array([0, 1, 0, 1, 2, 1, 2])
    data = np.array([-1.0, 0.3, 0.2, -1.0, 0.4, 0.1, -1.0])
    return indptr, indices, data


# second wave: idioms of real NumPy/Numba code the memory model refused or got wrong
def fresh_copy_each_sweep(u, c):
    """Jacobi sweeps into a fresh copy, then the name moves on (``u = v``)."""
    for t in range(3):
        v = u.copy()
        for i in range(1, u.shape[0] - 1):
            v[i] = 0.5 * c * (u[i - 1] + u[i + 1])
        u = v
    return np.sum(u * u)


def fresh_empty_each_sweep(u, c):
    """The heat loop with ``np.empty_like``: every element of the new buffer is written."""
    for t in range(3):
        v = np.empty_like(u)
        v[0] = u[0]
        v[-1] = u[-1]
        for i in range(1, u.shape[0] - 1):
            v[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = v
    return np.sum(np.sin(u))


def inplace_unindexed_argument(x, s):
    """``x`` is never indexed (kind unknown to the frontend): ``*=`` still writes into the
    caller's array, and ``y`` sees it."""
    y = x
    x *= 2.0
    return np.sum(y) * s


def inplace_scalar_argument(x, s):
    x *= s
    return x * x


def inplace_chained_updates(x, s):
    """Two updates of one name: the second writes into the same memory (was 2.1 for 7.1)."""
    x *= s
    x += 1.0
    return np.sum(x * x)


def inplace_update_in_loop_through_alias(x, s):
    y = x
    for i in range(3):
        x *= s
        x += 0.5
    return np.sum(y * y)


def inplace_update_in_branch(x, s):
    y = x
    if s > 0.5:
        x -= 0.3 * s
    else:
        x /= 2.0
    return np.sum(y * x)



def rebound_in_loop_read_before(x, s):
    """``a`` starts as the caller's ``x`` (read whole before the loop); each iteration makes
    it a fresh array and writes into it, so no store reaches ``x``."""
    a = x
    c = np.sum(x * x)
    for t in range(2):
        a = np.sin(a) * s
        a[0] = 1.0
    return np.sum(a) + c


def rebound_in_loop_old_name_written(x, s):
    """``c`` keeps the array ``a`` had before a loop that surely runs: after it ``a`` is
    the last iteration's fresh array, never ``c``'s."""
    a = x * 1.0
    c = a
    for t in range(3):
        a = np.sin(a) * s
        a[0] = 0.3
    c[1] = 2.0 * s
    return np.sum(a * a) + np.sum(c * c)


def tangent_shared_with_written_argument(x, s):
    """``a = x * 1.0`` has ``x``'s tangent in forward mode; ``x -= ...`` must not change
    ``a``'s (the jvp was wrong)."""
    a = x * 1.0
    x -= 0.1 * s * a
    return np.sum(a * a) + np.sum(x)


def broadcast_tangent_of_written_result(x, s):
    """``a = tanh(zeros) * 0.5 + x * 0.5``: the zeros have no tangent, so ``a``'s is the
    other term's, which the jvp rule returns as it is (``broadcast_like``); ``a[-1] = t``
    must not write into it (the jvp was wrong: found by tests/compiler/memgen.py)."""
    b = x * 0.5
    a = np.tanh(np.zeros(x.shape[0])) * 0.5 + b
    a[-1] = s * 0.5
    a = np.tanh(a) * 0.5 + b
    return np.sum(a * a) + np.sum(b)


def broadcast_tangent_of_written_operand(x, s):
    """``c = zeros + a``: ``c``'s tangent is ``a``'s as it is; a later write into ``a``
    must not change ``c``'s."""
    a = np.copy(x)
    c = np.zeros(x.shape[0]) + a
    a[0] = s
    return np.sum(c * c) + np.sum(a * a)


def scalar_of_a_written_array(x, s):
    """``t = np.sum(a)`` of an array written later: the scalar's tangent needs no memory of
    its own (a copy of it was printed as ``.copy()`` of a float, which Numba refuses)."""
    a = x * s
    t = np.sum(a)
    a[0] = 0.0
    return t * np.sum(a * a)


# recorded by reference: a name that refers to other memory from one iteration to the next
def rebound_written_read_before(x, s):
    """The first iteration writes into the caller's ``x`` (read whole before the loop), the
    later ones into fresh arrays."""
    a = x
    c = np.sum(x * x)
    for t in range(2):
        a[0] = a[1] * s
        a = np.sin(a)
    return np.sum(a) + c


def rebound_in_branch_in_loop(x, s):
    """The store reaches the array the iteration started with unless the branch ran."""
    a = x * 1.0
    b = np.zeros(4)
    for t in range(3):
        if np.sum(a) > s:
            a = np.cos(a) * s
        a[1] = a[0] * s
        b += a
    return np.sum(b * b)


def rebound_after_store_runtime_trips(x, s):
    a = x
    c = np.sum(np.sin(x))
    for t in range(int(s * 4.0)):
        a[t % 4] = a[(t + 1) % 4] * s
        if a[0] > 0.2:
            a = np.tanh(a) * 1.5
    return np.sum(a * a) + c


def rebound_in_nested_loops(x, s):
    a = x
    for i in range(2):
        c = np.sum(a * a)
        for j in range(2):
            a[j] = a[j + 2] * s + c * 0.1
            a = a * 0.9
    return np.sum(a)


X4 = np.array([0.3, -0.7, 1.1, 0.5])
X3 = np.array([0.3, 0.7, -1.1])
PROGRAMS = [
    (cse_sum_across_store, (X4,)),
    (cse_twin_allocations, (X4,)),
    (cse_cos_across_accumulate, (X4,)),
    (cse_argument_store, (X4,)),
    (swap_heat, (np.array([0.1, 0.9, 0.4, 0.6, 0.2]), 3)),
    (swap_through_temporary, (X4, 3)),
    (swap_jacobi_csr, (*_csr(), np.array([2.0, 3.0, 2.5]), np.array([1.0, 0.5, -0.3]), 3)),
    (view_reversed_write, (X4, np.array([1.0, 2.0, 3.0]))),
    (view_slice_write, (X4,)),
    (alias_in_loop, (X4,)),
    (row_write, (X3,)),
    (row_broadcast_write, (X3,)),
    (self_slice_write, (X4,)),
    (rebind_in_branch, (X4, 1.0)),
    (rebind_in_loop, (X4,)),
    (temp_in_branch_in_loop, (np.array([0.3, -0.7, 1.1]),)),
    (slice_sum_in_branch_in_loop, (np.array([0.3, -0.7, 1.1]),)),
    (slice_store_in_untaken_branch, (X4, 1.5)),
    (helper_in_untaken_branch, (X4, 1.5)),
    (helper_statement_call, (X4,)),
    (helper_mutates_argument, (X4,)),
    (index_from_int_array, (np.array([0.3, -0.7, 1.1, 0.5]), np.array([2, 0, 2, 1]))),
    (inplace_update_through_alias, (X4,)),
    (inplace_update_of_argument, (X4,)),
    (reshape_view_write, (X4,)),
    (transpose_view_write, (np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]]),)),
    (row_of_scalar_in_loop, (X3, np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4]]))),
]
def row_augmented_by_row(m, v):
    """``m[0] *= m[1]`` of a matrix: the loads of the rows are views, which the store
    changes. They were taken for single elements (integer indices), so the adjoint read the
    new row for the old one, and the store's save was the view itself (wrong gradient)."""
    m[0] *= m[1] * v
    a = m * 1.0
    a[2] /= 1.0 + a[0] ** 2
    a[1, :] = a[2] * a[1]
    return np.sum(a ** 3) + np.sum(m * m)


def ravel_and_flatten_written(m, v):
    """x.ravel() (np.ravel) is a view where x is contiguous, x.flatten() a copy: both were
    one primitive printed as np.ravel under a copy's rules, so a write through ravel missed
    the memory model and one into a flattened copy changed x (wrong gradients)."""
    a = m * 1.0
    r = a.ravel()
    r[0] = v * r[1]
    r[4:6] *= 2.0
    q = np.ravel(a)
    q[2] += v
    f = a.flatten()
    f[3] = f[3] * v
    return np.sum(a ** 3) + np.sum(f * f)


def alias_read_only_in_the_other_branch(x, s):
    # z may be y (decided at run time); y is written in one branch and z read only in the
    # other, so no run reads z after the store (read after the if, it would be refused)
    y = x * 1.0
    z = y if s > 1.0 else x * 2.0
    if s > 0.5:
        y[0] = y[0] * 3.0
        r = np.sum(y * y)
    else:
        r = np.sum(z * z)
    return r


def alias_read_only_for_its_shape(x, s):
    # z may be y; after the store through y, z is read only for its shape (no store
    # changes a shape), so the store needs no refusal
    y = x * 1.0
    z = y if s > 1.0 else x * 2.0
    y[0] = y[0] * 3.0
    w = np.zeros_like(z) + s
    return np.sum(y * y) + np.sum(w * w)


M3 = np.array([[0.3, -0.7, 1.1], [0.5, 0.2, -0.4], [0.9, -0.6, 0.8]])
U5 = np.array([0.1, 0.9, 0.4, 0.6, 0.2])
IDIOMS = [
    (fresh_copy_each_sweep, (U5, 0.9)),
    (fresh_empty_each_sweep, (U5, 0.3)),
    (inplace_unindexed_argument, (X4, 0.7)),
    (inplace_scalar_argument, (0.4, 0.7)),
    (inplace_chained_updates, (X4, 0.7)),
    (inplace_update_in_loop_through_alias, (X4, 0.7)),
    (inplace_update_in_branch, (X4, 0.7)),
    (rebound_in_loop_read_before, (X4, 0.7)),
    (rebound_in_loop_old_name_written, (X4, 0.7)),
    (tangent_shared_with_written_argument, (X4, 0.7)),
    (broadcast_tangent_of_written_result, (X4, 0.7)),
    (broadcast_tangent_of_written_operand, (X4, 0.7)),
    (scalar_of_a_written_array, (X4, 0.7)),
    (rebound_written_read_before, (X4, 0.7)),
    (rebound_in_branch_in_loop, (X4, 0.7)),
    (rebound_in_branch_in_loop, (X4, -5.0)),
    (rebound_after_store_runtime_trips, (X4, 0.9)),
    (rebound_in_nested_loops, (X4, 0.7)),
    (row_augmented_by_row, (M3, 0.7)),
    (ravel_and_flatten_written, (M3, 0.7)),
    (alias_read_only_in_the_other_branch, (X4, 0.3)),
    (alias_read_only_in_the_other_branch, (X4, 0.7)),
    (alias_read_only_in_the_other_branch, (X4, 1.5)),
    (alias_read_only_for_its_shape, (X4, 0.7)),
    (alias_read_only_for_its_shape, (X4, 1.5)),
]
# the numba tier: one program per mechanism (fresh buffers, chained in-place updates, a
# reference tape through the caller's array, one through a branch; a scalar of a written array;
# an alias read in the other branch of the store)
IDIOMS_NUMBA = [IDIOMS[1], IDIOMS[4], IDIOMS[12], IDIOMS[14], IDIOMS[15], IDIOMS[-3]]

"""User functions for regressions found while building the compiler."""
import math

import numpy as np


def restore_then_sum(x, a):
    s = 0.0
    for i in range(1, x.shape[0]):
        x[i] = x[i - 1] * a + math.sin(x[i])
        s += x[i]
    return s + np.sum(x)


def strided(m, v):
    return np.sin(m[:, ::2]) @ v[1::2] + m[0, 1] * v[0]


def with_count(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s


def with_default(x, k=2.0):
    return x ** k


def long_whiles(x, n):
    """while loops of 3 to 90 iterations inside a for loop: their tapes start with room for 16
    and must grow (the loop runs again from its start with more room)."""
    total = 0.0
    for i in range(n):
        y = x + 0.01 * i
        k = 0
        while k < 3 + 29 * i:
            y = y * 0.99 + 0.01 * math.sin(y)
            k += 1
        total += y * y
    return total


def shrinking_slices(x, w):
    """Slices of an array the loop writes, of a different length every iteration: recorded
    on a list tape."""
    q = x.copy()
    total = 0.0
    for c in range(x.shape[0] - 1):
        q[c + 1:] = q[c + 1:] + w * np.tanh(q[c + 1:]) * q[c]
        total = total + np.sum(q[c + 1:] ** 2)
    return total


def written_in_body(a, b):
    """An array made in a loop body and then written in a nested loop (GMM's Q (x - mu))."""
    total = 0.0
    for i in range(a.shape[0]):
        v = np.exp(b) * a[i]
        for c in range(v.shape[0] - 1):
            v[c + 1:] = v[c + 1:] + 0.3 * v[c]
        total = total + np.dot(v, v)
    return total


def mixed(x, y):
    s = 0.0
    for i in range(3):
        s = s + math.sin(x * y + i) * x
    return s


# arrays of ints made without dtype=: a float stored into one is truncated (NumPy), so no
# derivative reaches the stored value through it
def int_zeros_like(x, idx):
    z = np.zeros_like(idx)
    z[0] = x[0] * 2.5
    return np.sum(z * x)


def int_ones_like(x, idx):
    z = np.ones_like(idx)
    z[1] = x[1] * 3.7
    return np.sum(z * x)


def int_empty_like(x, idx):
    z = np.empty_like(idx)
    z[:] = x * 1.9
    return np.sum(z * x)


def int_full(x, idx):
    z = np.full(3, 0)
    z[0] = x[0] * 2.5
    return np.sum(z * x)


def int_arange(x, idx):
    z = np.arange(3)
    z[0] = x[0] * 2.5
    return np.sum(z * x)


def int_concatenate(x, idx):
    z = np.concatenate((idx, idx))
    z[4] = x[1] * 2.5
    return np.sum(z[:3] * x) + np.sum(z[3:] * x)


def float_full(x, idx):
    z = np.full(3, 0.5)
    z[0] = x[0] * 2.5
    return np.sum(z * x)


def int_full_like(x, idx):
    z = np.full_like(idx, 0)
    z[1] = x[1] * 3.5
    return np.sum(z * x) + np.sum(np.full_like(idx, 2.5) * x)   # (2.5 truncated to 2)


def int_or_float_by_branch(x, c):
    if c > 0:
        z = np.zeros(3, dtype=int)
    else:
        z = np.ones(3)
    z[2] = x[2] * 3.5
    return np.sum(z * x)


def int_then_float_in_loop(x, c):
    z = np.arange(3)
    for i in range(3):
        z[i] = x[i] * 2.5
        z = z * 1.0
    return np.sum(z * x)


def int_then_float_read_only(x, c):
    z = np.arange(3)
    for i in range(3):
        z = z * 0.5 + x
    return np.sum(z * x)


def var_then_matmul(x, y):
    """np.var's expansion divides by count(x), whose rank was unknown: every value after it
    had an unknown rank, and matmul's vjp took the vector (ones(3) @ (3, 4)) for a matrix."""
    q = np.var(x)
    return np.ones(3) @ (y * q) @ x


def opaque_matrix_times(x, k):
    """An array returned by a call run as written has no rank the compiler knows."""
    m = np.vander(k[0])
    return np.sum(np.sin(m @ x))


def store_broadcast_column(y, z, idx):
    """z of shape (3, 1) stored into y's (3, 3) part: the same rank, broadcast along axis 1."""
    w = y.copy()
    w[:, idx] = z
    w[1:] += z[:2] * y[0]
    return np.sum(w ** 2)


def masked_update_in_loop(y, s):
    """A mask of an array the loop writes is recorded each iteration (it was taped as one
    bool per iteration: 'setting an array element with a sequence')."""
    for i in range(3):
        y[y > 0.3] *= 1.0 + 0.3 * np.tanh(s * y.flat[-1])
    return np.sum(np.tanh(y))


def transpose_view_written_in_loop(y, s):
    """A transpose of an argument made and written through in a loop body: its tape was
    allocated and read but never pushed ('list index out of range')."""
    for i in range(3):
        u = y.T
        u[-1] += s * y[0, i]
    return np.sum(np.tanh(y))


def masked_update_of_itself(y, s):
    """The printer wrote the mask y > 0.3 again at each use, as a comparison of parameters;
    the reverse sweep's uses come after the store changed y (a broadcast error)."""
    y[y > 0.3] -= s
    return np.sum(np.tanh(y))


def index_list_in_loop(x):
    """The index array of x[[0, 2, 1, 3]] recorded in a loop went on a float list tape."""
    for i in range(3):
        x *= 0.5 * np.tanh(x[[0, 2, 1, 3]]) + 0.6
    return np.sum(np.tanh(x))


def squeezed_then_matmul(x, s):
    """np.squeeze(..., axis=0) had no rank rule: refused as an array of unknown rank."""
    a = np.squeeze(np.full((1, 4), 1.2) * s, axis=0) @ x
    return a * s + np.sum(np.expand_dims(x, axis=(0, 2)) @ np.ones((1, 2)))


def container_scalars_into_dot(p, t):
    """A float leaf of a container had no rank: a * tanh(p['b']) an array of unknown rank,
    and np.dot's rule crashed (a guess) or was refused."""
    w = p["w"]
    a, c = t
    a = a * np.tanh(p["b"])
    return np.dot(w, a) + c * np.dot(a, a)


def flipped_matmul(y, s):
    """np.flip expands into getitem of a basic index, which had no rank rule."""
    return np.sum(np.flip(y * s) @ np.full((4,), 1.2)) + np.sum(y[::-1, 1:][0] @ y[:, 1:].T)


def clip_of_scalars(x, s):
    """np.clip of scalars: Numba's np.clip takes only arrays (a CompilationError)."""
    u = x[1:]
    u[0] *= np.clip(s * s, -0.8, 0.8)
    return np.sum(x * x) + np.clip(s, 0.0, 1.0) + np.sum(np.clip(x, -0.5, 0.5))


def write_one_read_other(a, b):
    """Called as f(x, x): the write into a changes b, which the adjoint took as its own."""
    a[0] = a[0] * b[1]
    return np.sum(a * b)


def add_at_after_a_read(x, s, idx):
    """np.add.at changes x, which an earlier product read: the reverse sweep used the new x
    (no save and restore, as a store has)."""
    v = np.minimum(s, x) * s
    for k in range(2):
        np.add.at(x, idx, s * x[0])
    return np.sum(np.tanh(x)) + np.sum(np.tanh(v))


def _fill_squares(out, x):
    for i in range(x.shape[0]):
        out[i] = x[i] * x[i]
    return


def _fill_sines_unless(out, x, k):
    if k < 0:
        return
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * k


def bare_return_helpers(x):
    """Numba-style helpers that write into an array and end, or leave early, with a bare
    ``return`` (refused before: "functions must return a value")."""
    out = np.zeros(3)
    _fill_squares(out, x)
    more = np.zeros(3)
    _fill_sines_unless(more, x, 2.0)
    _fill_sines_unless(more, x * 0.0, -1.0)
    return np.sum(out * x) + np.sum(more * x)

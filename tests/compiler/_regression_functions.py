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

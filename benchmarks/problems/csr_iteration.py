"""A CSR sparse mat-vec inside a nonlinear iteration, x_{t+1} = tanh(A x_t + b), T steps,
loss ||x_T||^2, gradient with respect to the matrix values ``data`` (issue 18): the adjoint
gathers x_t[indices[p]] and scatters into b_x[indices[p]] at every nonzero of every step."""

import math

import numpy as np
from numba import njit

NAME = "csr_iteration"
WRT = 0
LOOP_STYLE = True


def configs(mode):
    n, per_row, steps = {"full": (20_000, 10, 20), "quick": (5_000, 10, 10),
                         "smoke": (8, 2, 3)}[mode]
    return [{"label": f"csr iteration n={n} nnz={n * per_row} T={steps}", "n": n,
             "per_row": per_row, "steps": steps}]


def make(cfg, rng):
    n, k = cfg["n"], cfg["per_row"]
    indptr = np.arange(0, n * k + 1, k)
    indices = rng.integers(0, n, n * k)
    data = rng.normal(0, 0.5 / math.sqrt(k), n * k)
    return data, rng.standard_normal(n), rng.normal(0, 0.1, n), indptr, indices, cfg["steps"]


def csr_iteration(data, x0, bias, indptr, indices, steps):
    n = x0.shape[0]
    x = x0.copy()
    y = np.empty(n)
    for t in range(steps):
        for r in range(n):
            acc = bias[r]
            for p in range(indptr[r], indptr[r + 1]):
                acc += data[p] * x[indices[p]]
            y[r] = math.tanh(acc)
        x[:] = y
    return np.sum(x * x)


VARIANTS = {"loop": csr_iteration}


@njit(cache=False)
def _hand(data, x0, bias, indptr, indices, steps):
    n = x0.shape[0]
    xs = np.empty((steps + 1, n))
    xs[0] = x0
    for t in range(steps):
        for r in range(n):
            acc = bias[r]
            for p in range(indptr[r], indptr[r + 1]):
                acc += data[p] * xs[t, indices[p]]
            xs[t + 1, r] = math.tanh(acc)
    g = np.zeros_like(data)
    b_x = 2.0 * xs[steps]
    for t in range(steps - 1, -1, -1):
        b_prev = np.zeros(n)
        for r in range(n):
            y = xs[t + 1, r]
            b_acc = b_x[r] * (1.0 - y * y)
            for p in range(indptr[r], indptr[r + 1]):
                g[p] += b_acc * xs[t, indices[p]]
                b_prev[indices[p]] += b_acc * data[p]
        b_x = b_prev
    return g


def hand(*args):
    return (_hand(*args),)

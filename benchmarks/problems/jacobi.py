"""Jacobi iteration on a sparse (CSR) diagonally dominant system, two buffers swapped per
sweep (``x, xn = xn, x``), as Numba users write it. Loss = sum(x_T^2), gradient with respect
to the diagonal and the right-hand side. Both the hand adjoint and ours record one value per
row and sweep (the new iterate, needed by d/d diag); neither tapes whole arrays by the swap."""

import numpy as np
from numba import njit

NAME = "jacobi"
WRT = (3, 4)
LOOP_STYLE = True


def configs(mode):
    n, steps = {"full": (20_000, 50), "quick": (20_000, 20), "smoke": (30, 3)}[mode]
    return [{"label": f"CSR Jacobi swap {n}x{steps}", "n": n, "steps": steps}]


def make(cfg, rng):
    n = cfg["n"]
    rows, cols = [], []
    for r in range(n):   # neighbours r-1, r+1 and two pseudo-random far columns
        for c in sorted({(r - 1) % n, (r + 1) % n, (7 * r + 3) % n, (13 * r + 5) % n} - {r}):
            rows.append(r)
            cols.append(c)
    indptr = np.searchsorted(np.array(rows), np.arange(n + 1))
    indices = np.array(cols, dtype=np.int64)
    data = rng.uniform(-1.0, 1.0, indices.shape[0])
    diag = 6.0 + rng.uniform(0.0, 1.0, n)
    rhs = rng.uniform(-1.0, 1.0, n)
    return (indptr.astype(np.int64), indices, data, diag, rhs, cfg["steps"])


# ---- the user's function ----
def jacobi_swap(indptr, indices, data, diag, rhs, steps):
    n = rhs.shape[0]
    x = np.zeros(n)
    xn = np.zeros(n)
    for t in range(steps):
        for r in range(n):
            s = rhs[r]
            for p in range(indptr[r], indptr[r + 1]):
                s -= data[p] * x[indices[p]]
            xn[r] = s / diag[r]
        x, xn = xn, x
    return np.sum(x * x)


VARIANTS = {"loop": jacobi_swap}


# ---- hand-written Numba adjoint: every iterate recorded, the transposed sweep in reverse ----
@njit(cache=False)
def _hand(indptr, indices, data, diag, rhs, steps):
    n = rhs.shape[0]
    xs = np.zeros((steps + 1, n))
    for t in range(steps):
        for r in range(n):
            s = rhs[r]
            for p in range(indptr[r], indptr[r + 1]):
                s -= data[p] * xs[t, indices[p]]
            xs[t + 1, r] = s / diag[r]
    b_x = 2.0 * xs[steps]
    b_prev = np.zeros(n)
    b_diag = np.zeros(n)
    b_rhs = np.zeros(n)
    for t in range(steps - 1, -1, -1):
        b_prev[:] = 0.0
        for r in range(n):
            b_s = b_x[r] / diag[r]
            b_diag[r] -= b_s * xs[t + 1, r]
            b_rhs[r] += b_s
            for p in range(indptr[r], indptr[r + 1]):
                b_prev[indices[p]] -= data[p] * b_s
        b_x, b_prev = b_prev, b_x
    return b_diag, b_rhs


def hand(*args):
    return _hand(*args)


SLOW_TOOLS = set()

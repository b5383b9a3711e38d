"""prange programs for the parallel-loop tests: one per way iterations share an adjoint.

Each is written as a Numba user writes it (``@njit(parallel=True)``-ready), and each
``prange`` body carries nothing but reductions."""

import ast

import numpy as np
from numba import prange


def pairwise_energy(x):
    """Soft pairwise energy of 2-D points: the inner loop reads every x[j], so the adjoint
    scatters into b_x[j] from every iteration (privatised per thread)."""
    n = x.shape[0]
    e = 0.0
    for i in prange(n):
        for j in range(n):
            if i != j:
                dx = x[i, 0] - x[j, 0]
                dy = x[i, 1] - x[j, 1]
                e += 1.0 / np.sqrt(dx * dx + dy * dy + 0.1)
    return e


def nbody_forces(pos, m):
    """Softened gravitational forces, prange over the body receiving them: F[i] is each
    iteration's own; the adjoint gathers b_F[i] and scatters into b_pos[j], b_m[j]."""
    n = pos.shape[0]
    F = np.zeros((n, 3))
    for i in prange(n):
        for j in range(n):
            if i != j:
                dx = pos[j, 0] - pos[i, 0]
                dy = pos[j, 1] - pos[i, 1]
                dz = pos[j, 2] - pos[i, 2]
                r2 = dx * dx + dy * dy + dz * dz + 0.05
                inv = m[i] * m[j] / (r2 * np.sqrt(r2))
                F[i, 0] += dx * inv
                F[i, 1] += dy * inv
                F[i, 2] += dz * inv
    return np.sum(F * F)


def map_reduce(x, c, w):
    """A per-element map and a reduction: every adjoint is the iteration's own element or a
    scalar reduction (b_w), so the reverse loop runs in parallel as it is."""
    n = x.shape[0]
    y = np.empty(n)
    s = 0.0
    for i in prange(n):
        y[i] = np.exp(w * x[i]) * c[i]
        s += y[i] * x[i]
    return s + np.sum(y * y)


def soft_map(x, c, w):
    """A map whose results only reduce: the value's sweep writes no memory, so it runs in
    one loop with the adjoint's (fused), each exp computed once."""
    s = 0.0
    for i in prange(x.shape[0]):
        y = np.exp(w * x[i]) * c[i]
        s += y * x[i] + y * y
    return s


def histogram(x, idx, w):
    """A scatter in the primal: iterations add into shared bins (privatised per thread in
    the forward sweep, with the reduction s carried through each chunk); the adjoint
    gathers from b_acc[idx[i]]."""
    acc = np.zeros(4)
    s = 0.0
    for i in prange(x.shape[0]):
        acc[idx[i]] += w * x[i] * x[i]
        s += w * x[idx[i]]
    return np.sum(acc * acc) + s


def gather(x, idx, w):
    """A gather with a reduction: the adjoint scatters into b_x[idx[i]] (privatised) and
    reduces into b_w in the same chunked loop."""
    s = 0.0
    for i in prange(idx.shape[0]):
        s += w * x[idx[i]] ** 2 * x[i]
    return s


def iterated_map(x, w):
    """An inner loop that carries a value: its values are taped, at offsets of the prange
    iteration (no shared counter)."""
    s = 0.0
    for i in prange(x.shape[0]):
        t = x[i]
        for k in range(3):
            t = np.sin(t * w) + t
        s += t * t
    return s


def in_place(x, w):
    """Each iteration overwrites its own element: the forward sweep saves it (on a tape
    indexed by the iteration) and the reverse sweep restores it, in parallel."""
    y = x.copy()
    n = x.shape[0]
    for i in prange(n):
        y[i] = np.sin(w * y[i]) * y[i]
    for i in prange(n):
        y[i] = y[i] * y[i] + w
    return np.sum(y * y)


def inside_a_serial_loop(x, w):
    """A prange loop inside a serial one, with an inner loop recorded on a tape: the tape
    counter of each instance starts where the serial loop left it."""
    s = 0.0
    n = x.shape[0]
    for t in range(3):
        for i in prange(n):
            v = x[i] * w
            for k in range(2):
                v = np.sin(v) + x[(i + k) % n]
            s += v * t
    return s


def carries_a_value(x):
    """Not a prange loop in Numba's sense: s is read by the next iteration."""
    s = 0.0
    for i in prange(x.shape[0]):
        s = 0.5 * s + x[i]
    return s


def _points(n=6, d=2, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, d))


CASES = {
    "pairwise_energy": (pairwise_energy, lambda: (_points(7, 2),)),
    "nbody_forces": (nbody_forces, lambda: (_points(5, 3, 1),
                                            np.random.default_rng(2).uniform(0.5, 1.5, 5))),
    "map_reduce": (map_reduce, lambda: (_points(9, 1, 3)[:, 0],
                                        np.random.default_rng(4).uniform(0.5, 1.5, 9), 0.7)),
    "soft_map": (soft_map, lambda: (_points(9, 1, 3)[:, 0],
                                    np.random.default_rng(4).uniform(0.5, 1.5, 9), 0.7)),
    "histogram": (histogram, lambda: (_points(11, 1, 5)[:, 0],
                                      np.array([0, 3, 1, 3, 3, 2, 0, 1, 3, 2, 0]), 1.3)),
    "gather": (gather, lambda: (_points(9, 1, 7)[:, 0] + 2.0,
                                np.array([3, 1, 3, 0, 6, 6, 2, 8, 8]), 1.3)),
    "in_place": (in_place, lambda: (_points(7, 1, 8)[:, 0], 0.8)),
    "inside_a_serial_loop": (inside_a_serial_loop, lambda: (_points(7, 1, 9)[:, 0], 0.8)),
    "iterated_map": (iterated_map, lambda: (_points(8, 1, 6)[:, 0], 0.9)),
}


def raises_in_prange(source):
    """The ``raise``, ``return`` and ``break`` statements inside a prange loop's body."""
    return [node for loop in ast.walk(ast.parse(source)) if isinstance(loop, ast.For)
            and isinstance(loop.iter, ast.Call) and getattr(loop.iter.func, "id", "") == "prange"
            for stmt in loop.body for node in ast.walk(stmt)
            if isinstance(node, (ast.Raise, ast.Return, ast.Break))]


def while_in_prange(m, y):
    """A prange over a data-dependent while: its tape grows, so the loop stays serial (no
    prange left in the gradient). Compiled with Numba's parallel=True anyway, the gradient
    hung at run time (Numba's parallel passes on the growing tape); it is compiled without."""
    out = np.zeros(3)
    for i in prange(3):
        v = m[i, 0]
        k = 0
        while abs(v) > 0.1 and k < 20:
            v = v * 0.7 + 0.01 * y[k % 5]
            k += 1
        out[i] = v
    return np.sum(out ** 2)

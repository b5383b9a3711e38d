"""Numba kernels as their users write them (``@njit`` on the function and its helpers,
``prange``, ``dtype=``, output arrays filled in place, ``.fill``), each written here from
the published algorithm (not copied), as the regression net of issue 20.

Each entry of :data:`KERNELS` is ``(kernel, make_args(rng), wrt)``; the kernel returns a
scalar loss so that its gradient can be checked against central finite differences.
"""

import math

import numpy as np
from numba import literal_unroll, njit, prange


# --- n-body: gravitational potential energy (softened) ----------------------------------
@njit
def _pair_potential(dx, dy, dz, eps):
    return 1.0 / math.sqrt(dx * dx + dy * dy + dz * dz + eps)


@njit
def nbody_energy(pos, mass):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            e -= mass[i] * mass[j] * _pair_potential(dx, dy, dz, 0.01)
    return e


# --- Black-Scholes call prices (normal CDF through erf) ----------------------------------
@njit
def _cnd(d):
    return 0.5 * (1.0 + math.erf(d / math.sqrt(2.0)))


@njit(parallel=True)
def black_scholes(spot, strike, t, rate, vol):
    total = 0.0
    for i in prange(spot.shape[0]):
        sq = vol * math.sqrt(t[i])
        d1 = (math.log(spot[i] / strike[i]) + (rate + 0.5 * vol * vol) * t[i]) / sq
        d2 = d1 - sq
        total += spot[i] * _cnd(d1) - strike[i] * math.exp(-rate * t[i]) * _cnd(d2)
    return total


# --- Lennard-Jones energy with a cutoff --------------------------------------------------
@njit
def lennard_jones(pos, sigma, epsilon):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for d in range(pos.shape[1]):
                diff = pos[i, d] - pos[j, d]
                r2 += diff * diff
            if r2 < 9.0 * sigma * sigma:
                s6 = (sigma * sigma / r2) ** 3
                e += 4.0 * epsilon * (s6 * s6 - s6)
    return e


# --- Jacobi and Gauss-Seidel sweeps of a 2-D Laplace stencil -----------------------------
@njit
def jacobi(u0, steps):
    u = u0.copy()
    v = u0.copy()
    n, m = u.shape
    for _ in range(steps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
        u[:, :] = v
    return np.sum(u * u)


@njit
def seidel(u0, steps):
    u = u0.copy()
    n, m = u.shape
    for _ in range(steps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
                           + u[i, j]) / 5.0
    return np.sum(u * u)


# --- filters: a 1-D convolution filling an output array in a helper ----------------------
@njit
def _convolve_into(x, w, out):
    k = w.shape[0]
    for i in range(out.shape[0]):
        acc = 0.0
        for j in range(k):
            acc += w[j] * x[i + j]
        out[i] = acc


@njit
def filtered_energy(x, w):
    out = np.empty(x.shape[0] - w.shape[0] + 1, dtype=np.float64)
    _convolve_into(x, w, out)
    return np.sum(out * out)


# --- moving average (cumulative window) and EWMA -----------------------------------------
@njit
def moving_average(x, window):
    out = np.zeros(x.shape[0], dtype=np.float64)
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
        if i >= window:
            acc -= x[i - window]
        out[i] = acc / min(i + 1, window)
    return np.sum(out ** 2)


@njit
def ewma(x, alpha):
    out = np.empty_like(x)
    out[0] = x[0]
    for i in range(1, x.shape[0]):
        out[i] = alpha * x[i] + (1.0 - alpha) * out[i - 1]
    return np.sum(out * out)


# --- Cholesky factorisation and a triangular solve ---------------------------------------
@njit
def cholesky_logdet(a):
    n = a.shape[0]
    L = np.zeros((n, n), dtype=np.float64)
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / L[j, j]
    logdet = 0.0
    for j in range(n):
        logdet += 2.0 * math.log(L[j, j])
    return logdet


@njit
def triangular_solve(L, b):
    n = b.shape[0]
    x = np.zeros(n, dtype=np.float64)
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= L[i, k] * x[k]
        x[i] = s / L[i, i]
    return np.sum(x * x)


# --- pairwise distances ----------------------------------------------------------------
@njit(parallel=True)
def pairwise_distances(x):
    n = x.shape[0]
    d = np.empty((n, n), dtype=x.dtype)
    for i in prange(n):
        for j in range(n):
            s = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                s += t * t
            d[i, j] = math.sqrt(s + 1e-9)
    return np.sum(d)


# --- Deriche's recursive edge filter (Deriche 1990), columns then rows -------------------
@njit
def deriche(alpha, img):
    w, h = img.shape
    k = (1.0 - np.exp(-alpha)) * (1.0 - np.exp(-alpha)) / \
        (1.0 + 2.0 * alpha * np.exp(-alpha) - np.exp(-2.0 * alpha))
    a1 = a5 = k
    a2 = a6 = k * np.exp(-alpha) * (alpha - 1.0)
    a3 = a7 = k * np.exp(-alpha) * (alpha + 1.0)
    a4 = a8 = -k * np.exp(-2.0 * alpha)
    b1 = 2.0 ** (-alpha)
    b2 = -np.exp(-2.0 * alpha)
    c1 = c2 = 1.0
    y1 = np.empty_like(img)
    y2 = np.empty_like(img)
    y1[:, 0] = a1 * img[:, 0]
    y1[:, 1] = a1 * img[:, 1] + a2 * img[:, 0] + b1 * y1[:, 0]
    for j in range(2, h):
        y1[:, j] = a1 * img[:, j] + a2 * img[:, j - 1] + b1 * y1[:, j - 1] + b2 * y1[:, j - 2]
    y2[:, h - 1] = 0.0
    y2[:, h - 2] = a3 * img[:, h - 1]
    for j in range(h - 3, -1, -1):
        y2[:, j] = a3 * img[:, j + 1] + a4 * img[:, j + 2] + b1 * y2[:, j + 1] + b2 * y2[:, j + 2]
    out = c1 * (y1 + y2)
    y1[0, :] = a5 * out[0, :]
    y1[1, :] = a5 * out[1, :] + a6 * out[0, :] + b1 * y1[0, :]
    for i in range(2, w):
        y1[i, :] = a5 * out[i, :] + a6 * out[i - 1, :] + b1 * y1[i - 1, :] + b2 * y1[i - 2, :]
    y2[w - 1, :] = 0.0
    y2[w - 2, :] = a7 * out[w - 1, :]
    for i in range(w - 3, -1, -1):
        y2[i, :] = a7 * out[i + 1, :] + a8 * out[i + 2, :] + b1 * y2[i + 1, :] + b2 * y2[i + 2, :]
    out = c2 * (y1 + y2)
    return np.sum(out * out)


# --- flat iteration, .fill, np.flip, np.int64 -----------------------------------------------
@njit
def idioms(x):
    acc = np.empty(x.shape, dtype=x.dtype)
    acc.fill(0.5)
    s = 0.0
    for v in x.flat:
        s += v * v
    flipped = np.flip(np.ascontiguousarray(x))
    for i in range(x.shape[0]):
        acc[i] = flipped[i] * np.int64(i + 1)
    return s + np.sum(acc * x)


@njit
def unrolled_moments(x, a):
    """numba.literal_unroll over a heterogeneous tuple of weights."""
    s = 0.0
    k = 1
    for w in literal_unroll((1.0, 2, a)):
        s += w * np.sum(x ** k)
        k += 1
    return s


def _spd(rng, n):
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


KERNELS = [
    (nbody_energy, lambda r: (r.normal(size=(5, 3)), r.uniform(0.5, 2.0, 5)), (0, 1)),
    (black_scholes, lambda r: (r.uniform(80, 120, 6), r.uniform(90, 110, 6),
                               r.uniform(0.2, 2.0, 6), 0.03, 0.25), (0, 1, 3, 4)),
    (lennard_jones, lambda r: (np.arange(12.0).reshape(4, 3) * 0.4
                               + r.normal(0, 0.05, (4, 3)), 1.0, 0.5), (0, 1, 2)),
    (jacobi, lambda r: (r.random((5, 5)), 3), (0,)),
    (seidel, lambda r: (r.random((5, 5)), 3), (0,)),
    (filtered_energy, lambda r: (r.random(8), r.random(3)), (0, 1)),
    (moving_average, lambda r: (r.random(8), 3), (0,)),
    (ewma, lambda r: (r.random(8), 0.3), (0, 1)),
    (cholesky_logdet, lambda r: (_spd(r, 4),), (0,)),
    (triangular_solve, lambda r: (np.tril(r.random((4, 4))) + 2.0 * np.eye(4), r.random(4)),
     (0, 1)),
    (pairwise_distances, lambda r: (r.random((4, 2)),), (0,)),
    (deriche, lambda r: (0.25, r.random((6, 5))), (0, 1)),
    (idioms, lambda r: (r.random(4),), (0,)),
    (unrolled_moments, lambda r: (r.random(4), 0.5), (0, 1)),
]

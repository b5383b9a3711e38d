"""Hand-written adjoints of the typical functions (benchmarks/typical.py), as a careful
person writes them in plain NumPy: each returns ``(value, *gradients)`` in the order of the
function's ``wrt``. :mod:`benchmarks.bench_lines` checks them against ours and counts lines.
(Rosenbrock and Kepler use the Numba adjoints of benchmarks/problems.)"""
import math

import numpy as np


def logistic_ode_vjp(y, r, steps):
    dt = 0.05
    ys = np.empty(steps)
    harvest = 0.0
    for i in range(steps):
        ys[i] = y
        growth = r * y * (1.0 - y)
        if y > 0.5:
            growth -= 0.1 * math.sqrt(y)
        y += dt * growth
        harvest += dt * y
    by, br = 2.0 * y, 0.0
    for i in range(steps - 1, -1, -1):
        by += dt                     # harvest += dt * y
        yi, bg = ys[i], dt * by      # y += dt * growth
        br += bg * yi * (1.0 - yi)
        by += bg * r * (1.0 - 2.0 * yi)
        if yi > 0.5:
            by -= bg * 0.05 / math.sqrt(yi)
    return harvest + y * y, by, br


def piecewise_vjp(x, y):
    if x > y:
        z, gx, gy = x * y, y, x
    elif x > 0.0:
        z = math.exp(x) + y
        gx, gy = math.exp(x), 1.0
    else:
        z, gx, gy = -x, -1.0, 0.0
    return z * z, 2.0 * z * gx, 2.0 * z * gy


def newton_sqrt_vjp(a):
    xs = []
    x = a
    while True:
        if abs(x * x - a) < 1e-12:
            break
        xs.append(x)
        x = x - (x * x - a) / (2.0 * x)
        if x > 1e6:
            break
    bx, ba = 1.0, 0.0
    for xk in reversed(xs):          # x' = x / 2 + a / (2 x)
        ba += bx / (2.0 * xk)
        bx *= 0.5 - a / (2.0 * xk * xk)
    return x, ba + bx


def with_helper_vjp(x, w):
    s, bw = 0.0, 0.0
    bx = np.empty_like(x)
    for i in range(x.shape[0]):
        z = w * x[i]
        s += math.log(1.0 + math.exp(z))
        sig = 1.0 / (1.0 + math.exp(-z))
        bx[i] = sig * w
        bw += sig * x[i]
    return s, bx, bw


def stencil_vjp(u, c):
    n = u.shape[0]
    saved = np.empty((3, n))
    for step in range(3):
        saved[step] = u
        for i in range(1, n - 1):
            u[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1])
    bu, bc = 2.0 * u, 0.0
    for step in range(2, -1, -1):
        w, lap = saved[step].copy(), np.empty(n)     # the sweep again, for its Laplacians
        for i in range(1, n - 1):
            lap[i] = w[i - 1] - 2.0 * w[i] + w[i + 1]
            w[i] += c * lap[i]
        for i in range(n - 2, 0, -1):
            b = bu[i]
            bu[i] = b * (1.0 - 2.0 * c)
            bu[i - 1] += c * b
            bu[i + 1] += c * b
            bc += b * lap[i]
    return np.sum(u * u), bu, bc


def mlp_vjp(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    d = h @ W2 + b2 - y
    bd = 2.0 * d / x.shape[0]
    bh = (bd @ W2.T) * (1.0 - h * h)
    return np.sum(d * d) / x.shape[0], x.T @ bh, bh.sum(axis=0), h.T @ bd, bd.sum(axis=0)


def logsumexp_vjp(x):
    m = x[0]
    for i in range(x.shape[0]):
        m = max(m, x[i])
    s = 0.0
    for i in range(x.shape[0]):
        s += math.exp(x[i] - m)
    bx = np.empty_like(x)
    for i in range(x.shape[0]):
        bx[i] = math.exp(x[i] - m) / s
    return m + math.log(s), bx


def dot_vjp(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * y[i]
    return s, y.copy(), x.copy()

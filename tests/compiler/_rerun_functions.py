"""User functions for test_rerun_iterations.py: outer loops whose iterations are
independent (only sums carried), and near misses that must keep the whole-loop tapes."""

import math

import numpy as np


def kepler(e, M, tol):
    total = 0.0
    for i in range(M.shape[0]):
        E = M[i]
        f = E - e * math.sin(E) - M[i]
        while abs(f) > tol:
            E = E - f / (1.0 - e * math.cos(E))
            f = E - e * math.sin(E) - M[i]
        total = total + math.cos(E)
    return total


def two_sums_inner_for(x, w, m):
    s = 0.0
    t = 0.0
    count = 0
    for i in range(x.shape[0] - 1, -1, -2):          # a negative step
        y = x[i]
        for j in range(m):
            if y > 0.0:
                y = y * w + math.sin(y)
            else:
                y = y - w * y * y
        count = count + m                             # an int sum
        s = x[i] * y + s                              # acc on the right
        t = t - math.exp(-y * y)                      # acc - x
    return s + 2.0 * t + 0.0 * count


def stores_inside(x, w):
    out = np.zeros_like(x)
    s = 0.0
    for i in range(x.shape[0]):
        y = x[i]
        for j in range(3):
            y = math.sin(w * y)
        out[i] = y
        s = s + y
    return s + out[0]


def result_reused(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        y = x[i]
        for j in range(3):
            y = math.tanh(w * y + 0.1)
        s = s + y
    return s * s


def carried_state(x, w):
    s = 0.0
    z = 0.5
    for i in range(x.shape[0]):
        y = x[i] + z
        for j in range(2):
            y = math.sin(w * y)
        z = 0.5 * z + y
        s = s + y
    return s


def stencil_sweep(u, c):
    n = u.shape[0]
    out = np.zeros(n)
    for i in range(1, n - 1):                      # independent: own element, loads of u
        out[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1])
    s = 0.0
    for i in range(n):
        s = s + out[i] * out[i]
    return s


def recurrence(u, c):
    n = u.shape[0]
    y = 0.0
    for i in range(n):                             # carries y: order matters
        y = c * y + math.sin(u[i])
    return y * y

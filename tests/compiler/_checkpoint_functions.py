"""User functions for the checkpointing tests (test_checkpoint.py): long loops whose reverse
sweep re-runs segments from snapshots."""

import math

import numpy as np


def pendulum(w2, c, theta0, obs, dt):
    theta = theta0
    v = 0.0
    loss = 0.0
    n = obs.shape[0]
    for t in range(n):
        a = -w2 * math.sin(theta) - c * v
        theta = theta + dt * v
        v = v + dt * a
        r = theta - obs[t]
        loss = loss + r * r
    return loss * dt


def branchy(x, y, n):
    s = 0.0
    z = x
    for i in range(n):
        if z > 0.5:
            z = z * 0.9 + math.sin(y * i)
        else:
            z = z + y * math.cos(z)
        s = s + z * z
    return s


def strided(x, y, n):
    """A negative step, a non-zero start."""
    s = x
    for i in range(n, 2, -3):
        s = s * 0.97 + math.tanh(y * i * 0.1 + s)
    return s


def array_recurrence(x, a):
    """Loads and stores into an array the loop reads whole afterwards (saves/restores)."""
    n = x.shape[0]
    s = 0.0
    for i in range(1, n):
        x[i] = x[i - 1] * a + math.sin(x[i])
        s = s + x[i] * x[i]
    return s + np.sum(x * x)


def array_inplace_sweeps(u, k, steps):
    """Each step overwrites every element: re-running a segment needs the array as it was
    at the segment's start (a snapshot), not as the later segments left it."""
    n = u.shape[0]
    e = 0.0
    for t in range(steps):
        for i in range(1, n - 1):
            u[i] = u[i] + k * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        e = e + u[n // 2] * u[n // 2]
    return e + np.sum(u * u)


def nested(x, w, n, m):
    s = 0.0
    h = x
    for t in range(n):
        for j in range(m):
            h = math.tanh(w[j] * h + 0.1 * t)
            s = s + h * w[j]
    return s


def with_while(x, y, n):
    """A data-dependent while loop inside the checkpointed for loop."""
    s = 0.0
    z = x
    for t in range(n):
        q = z
        while q > 0.1:
            q = q * y
        z = z * 0.8 + q + 0.3
        s = s + math.sin(z)
    return s


def accumulate_only(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i)
    return s


def two_loops(x, y, n):
    a = x
    for i in range(n):
        a = a + 0.01 * math.sin(a * y)
    b = a
    for i in range(n):
        b = b * math.cos(0.01 * b * x)
    return a + b


def carried_array(u0, n):
    """Array state carried through the loop as a value (was a crash with checkpoint=)."""
    u = u0.copy()
    for t in range(n):
        u = u * 0.9 + 0.1 * np.sin(u)
    return np.sum(u * u)


def inplace_state(u0, n):
    """Array state written element by element in place: no carried values."""
    u = u0.copy()
    m = u.shape[0]
    for t in range(n):
        for i in range(m):
            u[i] = u[i] * 0.9 + 0.1 * math.sin(u[i])
    return np.sum(u * u)


def row_view_written(y, s, n):
    """A store through a view made in the loop (``w = m[1]``) changes ``m``: the segment
    re-run needs ``m``'s snapshot (it re-ran from ``m`` as the whole loop left it)."""
    m = y * 1.0
    for i in range(n):
        w = m[1]
        w[0] = w[0] * s + 0.1 * math.sin(w[1])
    return np.sum(m * m)


def whole_slice_rewritten(x, s, n):
    """``a[:] = ...`` records the overwritten array on a list tape; the segment re-run's
    pushes were item assignments into that list (an IndexError)."""
    a = x * 1.0
    b = np.zeros_like(x) + 0.25
    for i in range(n):
        a[:] = b[::-1] * 0.9 + a * s
        b = np.sin(a)
    return np.sum(a * a) + np.sum(b)

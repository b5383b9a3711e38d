"""Typical user functions: the golden tests pin their generated adjoints
(tests/golden/test_golden.py) and :mod:`benchmarks.bench_lines` compares those adjoints'
length with the hand-written ones of :mod:`benchmarks.hand_adjoints`.

Each entry of CASES: (function, wrt). Kept small and varied: a scalar ODE loop with a
branch, nested branches, a ``while True`` with two breaks, a helper call, an in-place
stencil, a vectorised MLP, a loop-form logsumexp, a dot product, and the benchmark
suite's loop Rosenbrock and Kepler's Newton ``while`` (from benchmarks/problems).
"""
import math

import numpy as np

from benchmarks.problems.kepler import kepler
from benchmarks.problems.rosenbrock import rosenbrock


def logistic_ode(y, r, steps):
    dt = 0.05
    harvest = 0.0
    for i in range(steps):
        growth = r * y * (1.0 - y)
        if y > 0.5:
            growth = growth - 0.1 * math.sqrt(y)
        y = y + dt * growth
        harvest = harvest + dt * y
    return harvest + y * y


def piecewise(x, y):
    if x > y:
        z = x * y
    elif x > 0.0:
        z = math.exp(x) + y
    else:
        z = -x
    return z * z


def newton_sqrt(a):
    x = a
    while True:
        fx = x * x - a
        if abs(fx) < 1e-12:
            break
        x = x - fx / (2.0 * x)
        if x > 1e6:
            break
    return x


def _softplus(t):
    return math.log(1.0 + math.exp(t))


def with_helper(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + _softplus(w * x[i])
    return s


def stencil(u, c):
    n = u.shape[0]
    for step in range(3):
        for i in range(1, n - 1):
            u[i] = u[i] + c * (u[i - 1] - 2.0 * u[i] + u[i + 1])
    return np.sum(u * u)


def mlp(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    d = out - y
    return np.sum(d * d) / x.shape[0]


def logsumexp(x):
    m = x[0]
    for i in range(x.shape[0]):
        if x[i] > m:
            m = x[i]
    s = 0.0
    for i in range(x.shape[0]):
        s = s + math.exp(x[i] - m)
    return m + math.log(s)


def dot(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * y[i]
    return s


CASES = {
    "logistic_ode": (logistic_ode, (0, 1)),
    "piecewise": (piecewise, (0, 1)),
    "newton_sqrt": (newton_sqrt, 0),
    "with_helper": (with_helper, (0, 1)),
    "stencil": (stencil, (0, 1)),
    "mlp": (mlp, (0, 1, 2, 3)),
    "logsumexp": (logsumexp, 0),
    "rosenbrock": (rosenbrock, 0),
    "kepler": (kepler, (0, 1)),
    "dot": (dot, (0, 1)),
}


def sample_args(name, rng):
    """Arguments at which the golden functions' gradients are checked (small, fast)."""
    x5 = rng.uniform(-1.0, 1.0, 5)
    return {
        "logistic_ode": (0.3, 1.7, 30),
        "piecewise": (0.7, 0.2),
        "newton_sqrt": (2.5,),
        "with_helper": (x5, 0.8),
        "stencil": (rng.uniform(0.0, 1.0, 7), 0.2),
        "mlp": (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)),
                rng.normal(size=2), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))),
        "logsumexp": (x5,),
        "rosenbrock": (rng.uniform(-1.5, 1.5, 6),),
        "kepler": (0.6, rng.uniform(0.0, 6.0, 4), 1e-12),
        "dot": (x5, rng.uniform(-1.0, 1.0, 5)),
    }[name]

"""User functions with special functions (the frontend reads their source)."""
import math

import numpy as np
import scipy.special as sp


def log_gamma_mix(a, x):
    return math.lgamma(a) + a * np.sum(sp.gammaln(x)) + math.gamma(a)


def wishart_like(alpha, n):
    s = 0.0
    for j in range(n):
        s = s + math.lgamma(alpha - 0.5 * j)
    return s


def array_literals(x, scale):
    W = np.array([[1.0, 2.0], [0.5, -1.0]])
    v = np.array([x[0] * scale, x[1], 3.0])
    z = W @ x * scale
    return np.dot(z, z) + np.sum(v * v)

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

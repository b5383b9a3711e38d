"""User functions compiled with ad.jit in the tests (the frontend reads their source)."""
import math

import numpy as np


def energy(x, k, n):
    s = 0.0
    for i in range(n):
        s = s + k * math.sin(x[i]) * x[i]
    return s


def scaled(x, w):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = math.tanh(w * x[i])
    return y


def writes_into_argument(x, w):
    v = x[1:]
    v *= w
    return np.sum(x ** 3)

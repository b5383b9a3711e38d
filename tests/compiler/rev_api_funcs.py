"""User functions with array or tuple outputs, for vjp and value_and_grad."""

import math

import numpy as np


def v_square_array(x, a):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] * x[i] * a + math.sin(x[i])
    return y


def v_tuple_out(x, y):
    return x * y, x + math.exp(y)


def v_prefix_sum(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] += y[i - 1] * 0.9
    return y


def v_scalar(x, y):
    s = 0.0
    for i in range(3):
        s = s + math.tanh(x * i + y)
    return s

"""User functions for tests/backends/test_array_helpers.py (the frontend reads source files)."""

import numpy as np


def mlp(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def lse(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def rosen_vec(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def softmax_ce(z, y):
    zmax = np.max(z, axis=1, keepdims=True)
    logp = z - zmax - np.log(np.sum(np.exp(z - zmax), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def sum_axis0(a):
    s = np.sum(a * a, axis=0)
    return np.sum(s * np.sin(s))


def reductions(a):
    return (np.sum(np.mean(a, axis=-1) ** 2) + np.sum(np.prod(a, axis=0, keepdims=True))
            + np.sum(np.min(a, axis=1)) + np.sum(np.max(a, axis=0) ** 2))


def norm(x):
    return np.linalg.norm(x) ** 2 + np.linalg.norm(x)


def concat(x, y):
    z = np.concatenate((x, y * 2.0))
    return np.sum(z * z)


def stack(x, y):
    z = np.stack((x, y * 2.0))
    return np.sum(z * np.sin(z))


def t_matmul(x, y):
    return np.sum((x.T @ y) ** 2)


def outer(x, y):
    return np.sum(np.outer(x, y) ** 2)


def matvec(A, x):
    return np.sum(np.tanh(A @ x))


def vecmat(x, A):
    return np.sum(np.tanh(x @ A))


def vecvec(x, y):
    return (x @ y) ** 2


def dot_matvec(A, x):
    return np.sum(np.dot(A, x) ** 2)

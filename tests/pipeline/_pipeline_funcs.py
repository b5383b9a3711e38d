"""User functions of the pipeline tests (module level, so that they pickle by name)."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


def poly(x, y):
    return np.sum(np.sin(x) * x * y) + y ** 3


SCALE = 2.0


def scaled(x):
    return np.sum(SCALE * x * x)


def mlp_loss(params, x, y):
    W1, b1, W2, b2 = params
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.sum((out - y) ** 2)


def mlp_loss_dict(p, x, y):
    h = np.tanh(x @ p["W1"] + p["b1"])
    out = h @ p["W2"] + p["b2"]
    return np.sum((out - y) ** 2)


class Params(NamedTuple):
    w: np.ndarray
    c: float


def nt_loss(p, x):
    return np.sum((x * p.w - p.c) ** 2)


def loss_with_aux(w, x):
    r = x * w - 1.0
    return np.sum(r * r), np.sum(np.abs(r))


def kwonly(x, /, a, *, k=2.0, c=0.5):
    return np.sum(x * x) * k + a * c * k


def writes_into(x):
    x[0] = x[0] * 2.0
    return x * x


def cubic(x):
    return np.sum(x * x * x)


def sq_loss(w, X, y):
    r = X @ w - y
    return np.sum(r * r)


SCALE = 2.0


def scaled_cube(x):
    return SCALE * np.sum(x * x * x)


@dataclass
class Linear:
    """A model as a dataclass: a pytree of its fields (w, b), nested Params inside."""

    w: np.ndarray
    b: float
    extra: Params

    def loss(self, x):
        r = x * self.w - self.b + self.extra.c * self.extra.w
        return np.sum(r * r)


class Affine(NamedTuple):
    w: np.ndarray
    b: float

    def loss(self, x):
        return np.sum(np.tanh(x * self.w + self.b))


class Plain:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        return np.sum(self.w * x)


def dict_energy(p, x):
    """A scalar of a dict pytree with a matrix, a vector and a float leaf (coupled)."""
    h = np.tanh(p["W"] @ x + p["b"])
    return np.sum(h * h) * p["s"] + p["s"] ** 3 * np.sum(p["b"] * x[:2])


def loss_with_metrics(w, x):
    """``(loss, aux)`` with a dict of metrics as aux (a pytree, one leaf an array)."""
    r = np.sin(x * w) - 0.5
    return np.sum(r * r), {"residual": r, "l1": np.sum(np.abs(r))}


def dict_out(x, s):
    return {"energy": s * np.sum(x * x), "wave": (np.sin(x) * s, np.cos(s))}


def tuple_energy(p, x):
    return np.sum(np.sin(p[0] * x) * p[1]) + p[1] ** 3


def make_params(w, c):
    """Builds a NamedTuple inside compiled code (a pytree output)."""
    return Params(w * 2.0, c=c * c)

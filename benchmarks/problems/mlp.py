"""(d) 2-layer tanh MLP, mean over the batch of the squared error summed over outputs:
loss = sum_{b,o} (tanh(X W1 + b1) W2 + b2 - Y)^2 / B, batch 512, sizes 128-256-10."""

import math

import numpy as np
from numba import njit

NAME = "mlp"
WRT = (0, 1, 2, 3)
LOOP_STYLE = False       # dense problem: the no-slower-than-JAX goal applies


def configs(mode):
    if mode == "smoke":
        return [{"label": "mlp 8x4-6-3", "B": 8, "D": 4, "H": 6, "O": 3}]
    return [{"label": "mlp 512x128-256-10", "B": 512, "D": 128, "H": 256, "O": 10}]


def make(cfg, rng):
    B, D, H, O = cfg["B"], cfg["D"], cfg["H"], cfg["O"]
    W1 = rng.standard_normal((D, H)) / math.sqrt(D)
    W2 = rng.standard_normal((H, O)) / math.sqrt(H)
    return (W1, 0.1 * rng.standard_normal(H), W2, 0.1 * rng.standard_normal(O),
            rng.standard_normal((B, D)), rng.standard_normal((B, O)))


def mlp(W1, b1, W2, b2, X, Y):
    B = X.shape[0]
    D = W1.shape[0]
    H = b1.shape[0]
    O = b2.shape[0]
    h = np.zeros(H)
    loss = 0.0
    for b in range(B):
        for j in range(H):
            s = b1[j]
            for i in range(D):
                s = s + X[b, i] * W1[i, j]
            h[j] = math.tanh(s)
        for o in range(O):
            s = b2[o]
            for j in range(H):
                s = s + h[j] * W2[j, o]
            r = s - Y[b, o]
            loss = loss + r * r
    return loss / B


def mlp_vec(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    r = h @ W2 + b2 - Y
    return np.sum(r * r) / X.shape[0]


VARIANTS = {"loop": mlp, "vectorised": mlp_vec}


@njit(cache=False)
def _hand(W1, b1, W2, b2, X, Y):
    B, D = X.shape
    H = b1.shape[0]
    O = b2.shape[0]
    gW1 = np.zeros_like(W1)
    gb1 = np.zeros_like(b1)
    gW2 = np.zeros_like(W2)
    gb2 = np.zeros_like(b2)
    h = np.empty(H)
    bo = np.empty(O)
    for b in range(B):
        for j in range(H):
            s = b1[j]
            for i in range(D):
                s += X[b, i] * W1[i, j]
            h[j] = math.tanh(s)
        for o in range(O):
            s = b2[o]
            for j in range(H):
                s += h[j] * W2[j, o]
            bo[o] = 2.0 * (s - Y[b, o]) / B
            gb2[o] += bo[o]
        for j in range(H):
            bh = 0.0
            for o in range(O):
                gW2[j, o] += h[j] * bo[o]
                bh += W2[j, o] * bo[o]
            bz = bh * (1.0 - h[j] * h[j])
            gb1[j] += bz
            for i in range(D):
                gW1[i, j] += X[b, i] * bz
    return gW1, gb1, gW2, gb2


def hand(*args):
    return _hand(*args)


def _vec(xp):
    def f(W1, b1, W2, b2, X, Y):
        h = xp.tanh(X @ W1 + b1)
        r = h @ W2 + b2 - Y
        return xp.sum(r * r) / X.shape[0]
    return f


def make_jax(cfg):
    import jax
    import jax.numpy as jnp
    g = jax.jit(jax.grad(_vec(jnp), argnums=(0, 1, 2, 3)))
    return lambda *a: g(*map(jnp.asarray, a)), "vectorised"


def make_torch(cfg):
    import torch
    f = _vec(torch)

    def grad(*a):
        ts = [torch.tensor(v, requires_grad=i < 4) for i, v in enumerate(a)]
        f(*ts).backward()
        return tuple(t.grad.numpy() for t in ts[:4])
    return grad, "vectorised"


def make_autograd(cfg):
    import autograd
    import autograd.numpy as anp
    return autograd.grad(_vec(anp), argnum=(0, 1, 2, 3)), "vectorised"


SLOW_TOOLS = set()

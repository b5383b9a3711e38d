"""(g) Explicit 2-D heat equation: a 5-point stencil on an n x n grid (fixed zero boundary),
``steps`` forward-Euler steps double-buffered through a second array; loss = sum of squared
final temperatures. Gradient with respect to the initial field and the diffusion number."""

import numpy as np
from numba import njit

NAME = "heat2d"
WRT = (0, 1)
LOOP_STYLE = True


def configs(mode):
    n, steps = {"full": (64, 100), "quick": (64, 100), "smoke": (5, 3)}[mode]
    return [{"label": f"heat2d {n}x{n} {steps} steps", "n": n, "steps": steps}]


def make(cfg, rng):
    return (rng.uniform(0.0, 1.0, (cfg["n"], cfg["n"])), 0.2, cfg["steps"])


def heat(u0, alpha, steps):
    n = u0.shape[0]
    u = u0.copy()
    un = np.zeros((n, n))
    for s in range(steps):
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                un[i, j] = u[i, j] + alpha * (u[i + 1, j] + u[i - 1, j] + u[i, j + 1]
                                              + u[i, j - 1] - 4.0 * u[i, j])
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                u[i, j] = un[i, j]
    return np.sum(u * u)


VARIANTS = {"loop": heat}


@njit(cache=False)
def _hand(u0, alpha, steps):
    # Tape the field of every step (for d/d alpha); the stencil is linear in u, so its
    # adjoint is the transposed stencil.
    n = u0.shape[0]
    U = np.empty((steps, n, n))
    u = u0.copy()
    for s in range(steps):
        U[s] = u
        un = u.copy()
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                un[i, j] = u[i, j] + alpha * (u[i + 1, j] + u[i - 1, j] + u[i, j + 1]
                                              + u[i, j - 1] - 4.0 * u[i, j])
        u = un
    bu = 2.0 * u
    balpha = 0.0
    for s in range(steps - 1, -1, -1):
        us = U[s]
        bn = bu.copy()                       # interior of u comes from un
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                bu[i, j] = 0.0
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                g = bn[i, j]
                balpha += g * (us[i + 1, j] + us[i - 1, j] + us[i, j + 1] + us[i, j - 1]
                               - 4.0 * us[i, j])
                bu[i, j] += g * (1.0 - 4.0 * alpha)
                bu[i + 1, j] += alpha * g
                bu[i - 1, j] += alpha * g
                bu[i, j + 1] += alpha * g
                bu[i, j - 1] += alpha * g
    return bu, balpha


def hand(u0, alpha, steps):
    return _hand(u0, alpha, steps)


def _step_xp(u, alpha, pad):
    lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1]
    return pad(u[1:-1, 1:-1] + alpha * lap)


def make_jax(cfg):
    import jax
    import jax.numpy as jnp

    def loss(u0, alpha, steps):
        def step(u, _):
            return _step_xp(u, alpha, lambda x: u.at[1:-1, 1:-1].set(x)), None
        u, _ = jax.lax.scan(step, u0, None, length=steps)
        return jnp.sum(u * u)
    g = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=(2,))
    return lambda u0, alpha, steps: g(u0, alpha, steps), "lax.scan, slices"


def make_torch(cfg):
    import torch

    def grad(u0, alpha, steps):
        u = torch.tensor(u0, requires_grad=True)
        a = torch.tensor(alpha, dtype=torch.float64, requires_grad=True)
        x = u

        def keep_boundary(inner):
            new = x.clone()
            new[1:-1, 1:-1] = inner
            return new
        for _ in range(steps):
            x = _step_xp(x, a, keep_boundary)
        torch.sum(x * x).backward()
        return u.grad.numpy(), a.grad.item()
    return grad, "slices"

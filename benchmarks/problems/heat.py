"""Double-buffered explicit heat stencil, written as Numba users write it: two buffers and a
swap per step (``u, un = un, u``). Loss = sum(u_T^2), gradient with respect to the initial
temperature. The stencil is linear: neither the hand adjoint nor ours records anything per
step (the swap is undone by reference in the reverse sweep, no array is taped)."""

import numpy as np
from numba import njit

NAME = "heat"
WRT = 0
LOOP_STYLE = True


def configs(mode):
    n, steps = {"full": (20_000, 500), "quick": (20_000, 200), "smoke": (50, 5)}[mode]
    return [{"label": f"heat swap {n}x{steps}", "n": n, "steps": steps}]


def make(cfg, rng):
    return (rng.uniform(0.0, 1.0, cfg["n"]), 0.2, cfg["steps"])


# ---- the user's function ----
def heat_swap(u0, alpha, steps):
    u = u0.copy()
    un = np.zeros_like(u0)
    n = u0.shape[0]
    for t in range(steps):
        for i in range(1, n - 1):
            un[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        u, un = un, u
    return np.sum(u * u)


VARIANTS = {"loop": heat_swap}


# ---- hand-written Numba adjoint: the transposed stencil on two swapped adjoint buffers ----
@njit(cache=False)
def _hand(u0, alpha, steps):
    n = u0.shape[0]
    u = u0.copy()
    un = np.zeros_like(u0)
    for t in range(steps):
        for i in range(1, n - 1):
            un[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        un[0] = u[0]
        un[n - 1] = u[n - 1]
        u, un = un, u
    b_u = 2.0 * u               # d sum(u^2)
    b_un = np.zeros_like(u0)    # adjoint of the other buffer's (dead) contents
    for t in range(steps):
        b_u, b_un = b_un, b_u   # b_un: adjoint of the values this step wrote
        b_u[0] += b_un[0]
        b_u[n - 1] += b_un[n - 1]
        b_un[0] = 0.0
        b_un[n - 1] = 0.0
        for i in range(n - 2, 0, -1):
            g = b_un[i]
            b_un[i] = 0.0
            b_u[i] += (1.0 - 2.0 * alpha) * g
            b_u[i - 1] += alpha * g
            b_u[i + 1] += alpha * g
    return b_u


def hand(u0, alpha, steps):
    return _hand(u0, alpha, steps)


SLOW_TOOLS = set()

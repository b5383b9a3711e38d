"""(e) A while loop with a data-dependent trip count: Kepler's equation E - e sin E = M solved
by Newton's method to a tolerance for each of n mean anomalies M; loss = sum_i cos(E_i).
Gradient with respect to the eccentricity e and all M."""

import math

import numpy as np
from numba import njit

NAME = "kepler"
WRT = (0, 1)
LOOP_STYLE = True


def configs(mode):
    n = {"full": 100_000, "quick": 100_000, "smoke": 20}[mode]
    return [{"label": f"kepler newton-while n={n}", "n": n}]


def make(cfg, rng):
    return (0.6, rng.uniform(0.0, 2.0 * math.pi, cfg["n"]), 1e-12)


def kepler(e, M, tol):
    n = M.shape[0]
    total = 0.0
    for i in range(n):
        E = M[i]
        f = E - e * math.sin(E) - M[i]
        while abs(f) > tol:
            E = E - f / (1.0 - e * math.cos(E))
            f = E - e * math.sin(E) - M[i]
        total = total + math.cos(E)
    return total


VARIANTS = {"loop": kepler}


@njit(cache=False)
def _hand(e, M, tol):
    # Reverse of the same iteration (tapes the iterates; no implicit-function shortcut).
    n = M.shape[0]
    gM = np.zeros(n)
    ge = 0.0
    Es = np.empty(64)
    for i in range(n):
        E = M[i]
        f = E - e * math.sin(E) - M[i]
        k = 0
        while abs(f) > tol:
            Es[k] = E
            k += 1
            E = E - f / (1.0 - e * math.cos(E))
            f = E - e * math.sin(E) - M[i]
        bE = -math.sin(E)
        bM = 0.0
        for j in range(k - 1, -1, -1):
            Ej = Es[j]
            s = math.sin(Ej)
            c = math.cos(Ej)
            fj = Ej - e * s - M[i]
            den = 1.0 - e * c
            # E' = Ej - fj / den
            bf = -bE / den
            bden = bE * fj / (den * den)
            bEj = bE + bf * (1.0 - e * c) + bden * e * s
            ge += -bf * s - bden * c
            bM -= bf
            bE = bEj
        gM[i] = bE + bM
    return ge, gM


def hand(e, M, tol):
    return _hand(e, M, tol)


def make_jax(cfg):
    import jax
    import jax.numpy as jnp

    def loss(e, M, tol):
        def cond(s):
            E, f = s
            return jnp.any(jnp.abs(f) > tol)

        def body(s):
            E, f = s
            E = E - f / (1.0 - e * jnp.cos(E))
            return E, E - e * jnp.sin(E) - M
        E, _ = jax.lax.while_loop(cond, body, (M, -e * jnp.sin(M)))
        return jnp.sum(jnp.cos(E))
    g = jax.jit(jax.grad(loss, argnums=(0, 1)))
    return lambda e, M, tol: g(e, jnp.asarray(M), tol), "lax.while_loop"


def make_torch(cfg):
    import torch

    def grad(e, M, tol):
        et = torch.tensor(e, dtype=torch.float64, requires_grad=True)
        Mt = torch.tensor(M, requires_grad=True)
        E = Mt
        f = E - et * torch.sin(E) - Mt
        while bool((f.abs() > tol).any()):      # idiomatic: iterate the whole vector
            E = E - f / (1.0 - et * torch.cos(E))
            f = E - et * torch.sin(E) - Mt
        torch.cos(E).sum().backward()
        return et.grad.item(), Mt.grad.numpy()
    return grad, "vectorised while"


def make_autograd(cfg):
    import autograd
    import autograd.numpy as anp

    def loss(e, M, tol):
        E = M
        f = E - e * anp.sin(E) - M
        while anp.any(anp.abs(f) > tol):
            E = E - f / (1.0 - e * anp.cos(E))
            f = E - e * anp.sin(E) - M
        return anp.sum(anp.cos(E))
    return autograd.grad(loss, argnum=(0, 1)), "vectorised while"


def make_tangent(cfg):
    import tangent

    def loss(e, M, tol):
        total = 0.0
        for i in range(len(M)):              # tangent: no .shape
            E = M[i]
            f = E - e * np.sin(E) - M[i]
            while np.abs(f) > tol:
                E = E - f / (1.0 - e * np.cos(E))
                f = E - e * np.sin(E) - M[i]
            total = total + np.cos(E)
        return total
    return tangent.grad(loss, wrt=(0, 1)), "scalar loop"


SLOW_TOOLS = {"tangent"}


def truncate(args, cap):
    return (args[0], args[1][:cap], args[2])

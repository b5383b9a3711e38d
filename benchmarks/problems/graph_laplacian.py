"""Graph Laplacian energy over an edge list: E(x) = sum_e w_e ||x[a_e] - x[b_e]||^2 for
node positions x (n, 3) and edges (m, 2) of a random graph with repeated endpoints; the
gradient scatters into both endpoints of every edge (issue 18)."""

import numpy as np
from numba import njit

NAME = "graph_laplacian"
WRT = 0
LOOP_STYLE = True


def configs(mode):
    n, m = {"full": (100_000, 1_000_000), "quick": (20_000, 200_000), "smoke": (10, 30)}[mode]
    return [{"label": f"graph laplacian n={n} m={m}", "n": n, "m": m}]


def make(cfg, rng):
    edges = rng.integers(0, cfg["n"], (cfg["m"], 2))
    return rng.standard_normal((cfg["n"], 3)), edges, rng.uniform(0.5, 1.5, cfg["m"])


def laplacian_energy(x, edges, w):
    e = 0.0
    for k in range(edges.shape[0]):
        a = edges[k, 0]
        b = edges[k, 1]
        for j in range(x.shape[1]):
            d = x[a, j] - x[b, j]
            e += w[k] * d * d
    return e


def laplacian_energy_vec(x, edges, w):
    d = x[edges[:, 0], :] - x[edges[:, 1], :]
    return np.sum(w * np.sum(d * d, axis=1))


VARIANTS = {"loop": laplacian_energy, "vectorised": laplacian_energy_vec}


@njit(cache=False)
def _hand(x, edges, w):
    g = np.zeros_like(x)
    for k in range(edges.shape[0]):
        a = edges[k, 0]
        b = edges[k, 1]
        for j in range(x.shape[1]):
            t = 2.0 * w[k] * (x[a, j] - x[b, j])
            g[a, j] += t
            g[b, j] -= t
    return g


def hand(x, edges, w):
    return (_hand(x, edges, w),)


def make_jax(cfg):
    import jax
    import jax.numpy as jnp

    def f(x, edges, w):
        d = x[edges[:, 0]] - x[edges[:, 1]]
        return jnp.sum(w * jnp.sum(d * d, axis=1))
    g = jax.jit(jax.grad(f))
    return lambda x, edges, w: (g(jnp.asarray(x), jnp.asarray(edges), jnp.asarray(w)),), \
        "vectorised"


def make_torch(cfg):
    import torch

    def grad(x, edges, w):
        t = torch.tensor(x, requires_grad=True)
        e = torch.as_tensor(edges)
        d = t[e[:, 0]] - t[e[:, 1]]
        (torch.as_tensor(w) * (d * d).sum(1)).sum().backward()
        return (t.grad.numpy(),)
    return grad, "vectorised"

"""(c) Extended Rosenbrock (More, Garbow, Hillstrom 1981, problem 21), n = 10,000:
f(x) = sum_{i<n/2} 100 (x[2i+1] - x[2i]^2)^2 + (1 - x[2i])^2."""

import numpy as np
from numba import njit

NAME = "rosenbrock"
WRT = 0
LOOP_STYLE = True


def configs(mode):
    n = {"full": 10_000, "quick": 10_000, "smoke": 20}[mode]
    return [{"label": f"rosenbrock n={n}", "n": n}]


def make(cfg, rng):
    return (rng.uniform(-1.5, 1.5, cfg["n"]),)


def rosenbrock(x):
    n = x.shape[0]
    s = 0.0
    for i in range(n // 2):
        a = x[2 * i + 1] - x[2 * i] * x[2 * i]
        b = 1.0 - x[2 * i]
        s = s + 100.0 * a * a + b * b
    return s


def rosenbrock_vec(x):
    a = x[1::2] - x[::2] ** 2
    b = 1.0 - x[::2]
    return np.sum(100.0 * a * a + b * b)


VARIANTS = {"loop": rosenbrock, "vectorised": rosenbrock_vec}


@njit(cache=False)
def _hand(x):
    g = np.zeros_like(x)
    for i in range(x.shape[0] // 2):
        x0 = x[2 * i]
        a = x[2 * i + 1] - x0 * x0
        g[2 * i + 1] = 200.0 * a
        g[2 * i] = -400.0 * a * x0 - 2.0 * (1.0 - x0)
    return g


def hand(x):
    return (_hand(x),)


def _vec(xp):
    def f(x):
        a = x[1::2] - x[::2] ** 2
        b = 1.0 - x[::2]
        return xp.sum(100.0 * a * a + b * b)
    return f


def make_jax(cfg):
    import jax
    import jax.numpy as jnp
    g = jax.jit(jax.grad(_vec(jnp)))
    return lambda x: (g(jnp.asarray(x)),), "vectorised"


def make_torch(cfg):
    import torch
    f = _vec(torch)

    def grad(x):
        t = torch.tensor(x, requires_grad=True)
        f(t).backward()
        return (t.grad.numpy(),)
    return grad, "vectorised"


def make_autograd(cfg):
    import autograd
    import autograd.numpy as anp
    g = autograd.grad(_vec(anp))
    return lambda x: (g(x),), "vectorised"


def make_tangent(cfg):
    import tangent

    def f(x):
        s = 0.0
        for i in range(0, len(x), 2):       # tangent has no // and no .shape
            a = x[i + 1] - x[i] * x[i]
            b = 1.0 - x[i]
            s = s + 100.0 * a * a + b * b
        return s
    g = tangent.grad(f)
    return lambda x: (g(x),), "scalar loop"


SLOW_TOOLS = {"tangent"}


def truncate(args, cap):
    return (args[0][:cap],)

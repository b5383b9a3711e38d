"""(b) Damped pendulum, explicit Euler, loss = dt * sum_t (theta_t - obs_t)^2, gradient with
respect to the three parameters (w2 = g/L, damping c, initial angle theta0)."""

import math

import numpy as np
from numba import njit

NAME = "pendulum"
WRT = (0, 1, 2)
LOOP_STYLE = True        # loop-style problem: the 1.2x-of-hand-adjoint goal applies


def configs(mode):
    n = {"full": 100_000, "quick": 100_000, "smoke": 200}[mode]
    return [{"label": f"pendulum {n // 1000 if n >= 1000 else n}{'k' if n >= 1000 else ''} steps",
             "n": n}]


def make(cfg, rng):
    n = cfg["n"]
    dt = 0.001
    t = np.arange(1, n + 1) * dt
    obs = 0.8 * np.cos(3.0 * t) * np.exp(-0.05 * t) + 0.01 * rng.standard_normal(n)
    return (9.0, 0.1, 0.7, obs, dt)


# ---- the user's function (what ad.grad differentiates; njit of it is the baseline) ----
def pendulum(w2, c, theta0, obs, dt):
    theta = theta0
    v = 0.0
    loss = 0.0
    n = obs.shape[0]
    for t in range(n):
        a = -w2 * math.sin(theta) - c * v
        theta = theta + dt * v
        v = v + dt * a
        r = theta - obs[t]
        loss = loss + r * r
    return loss * dt


VARIANTS = {"loop": pendulum}


# ---- hand-written Numba adjoint: tape theta and v, recompute sin/cos in reverse ----
@njit(cache=False)
def _hand(w2, c, theta0, obs, dt):
    n = obs.shape[0]
    th = np.empty(n + 1)
    vv = np.empty(n + 1)
    th[0] = theta0
    vv[0] = 0.0
    for t in range(n):
        a = -w2 * math.sin(th[t]) - c * vv[t]
        th[t + 1] = th[t] + dt * vv[t]
        vv[t + 1] = vv[t] + dt * a
    b_th = 0.0
    b_v = 0.0
    b_w2 = 0.0
    b_c = 0.0
    for t in range(n - 1, -1, -1):
        b_th += 2.0 * (th[t + 1] - obs[t]) * dt     # loss term of step t
        b_a = dt * b_v                              # v' = v + dt a
        b_v += dt * b_th                            # theta' = theta + dt v
        b_w2 -= math.sin(th[t]) * b_a
        b_c -= vv[t] * b_a
        b_th -= w2 * math.cos(th[t]) * b_a
        b_v -= c * b_a
    return b_w2, b_c, b_th


def hand(w2, c, theta0, obs, dt):
    return _hand(w2, c, theta0, obs, dt)


# ---- other frameworks ----
def make_jax(cfg):
    import jax
    import jax.numpy as jnp

    def loss(w2, c, theta0, obs, dt):
        def step(carry, o):
            theta, v = carry
            a = -w2 * jnp.sin(theta) - c * v
            theta = theta + dt * v
            v = v + dt * a
            return (theta, v), (theta - o) ** 2
        _, r2 = jax.lax.scan(step, (theta0, 0.0 * theta0), obs)
        return jnp.sum(r2) * dt

    g = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))
    return lambda w2, c, theta0, obs, dt: g(w2, c, theta0, jnp.asarray(obs), dt), "lax.scan"


def make_torch(cfg):
    import torch

    def grad(w2, c, theta0, obs, dt):
        p = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
             for v in (w2, c, theta0)]
        w2t, ct, theta = p
        v = torch.zeros((), dtype=torch.float64)
        loss = torch.zeros((), dtype=torch.float64)
        for t in range(obs.shape[0]):
            a = -w2t * torch.sin(theta) - ct * v
            theta = theta + dt * v
            v = v + dt * a
            loss = loss + (theta - float(obs[t])) ** 2
        (loss * dt).backward()
        return tuple(q.grad.item() for q in p)
    return grad, "scalar loop"


def make_autograd(cfg):
    import autograd
    import autograd.numpy as anp

    def loss(w2, c, theta0, obs, dt):
        theta = theta0
        v = 0.0
        total = 0.0
        for t in range(obs.shape[0]):
            a = -w2 * anp.sin(theta) - c * v
            theta = theta + dt * v
            v = v + dt * a
            total = total + (theta - obs[t]) ** 2
        return total * dt
    return autograd.grad(loss, argnum=(0, 1, 2)), "scalar loop"


def make_tangent(cfg):
    import tangent

    def loss(w2, c, theta0, obs, dt):
        theta = theta0
        v = 0.0
        total = 0.0
        for t in range(obs.shape[0]):
            a = -w2 * np.sin(theta) - c * v
            theta = theta + dt * v
            v = v + dt * a
            total = total + (theta - obs[t]) * (theta - obs[t])
        return total * dt
    return tangent.grad(loss, wrt=(0, 1, 2)), "scalar loop"


def truncate(args, cap):
    """The same problem with only ``cap`` steps (slow tools in --quick, time scaled up)."""
    return args[:3] + (args[3][:cap],) + args[4:]


SLOW_TOOLS = {"torch", "autograd", "tangent"}   # 10^5 scalar ops: seconds to minutes

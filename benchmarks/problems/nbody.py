"""(f) N-body gravity: 64 bodies, 200 velocity-Verlet steps with softened pairwise forces;
loss = sum of squared final positions and velocities. Gradient with respect to the initial
positions and velocities. The kind of code a Numba user writes: element loops over arrays
updated in place, an acceleration array recomputed every step."""

import math

import numpy as np
from numba import njit

NAME = "nbody"
WRT = (0, 1)
LOOP_STYLE = True
EPS = 0.01          # softening, squared length


def configs(mode):
    n, steps = {"full": (64, 200), "quick": (64, 200), "smoke": (4, 3)}[mode]
    return [{"label": f"nbody {n} bodies {steps} steps", "n": n, "steps": steps}]


def make(cfg, rng):
    n = cfg["n"]
    return (rng.uniform(-1.0, 1.0, (n, 3)), rng.uniform(-0.1, 0.1, (n, 3)),
            rng.uniform(0.5, 1.0, n), 0.001, cfg["steps"])


def nbody(pos, vel, m, dt, steps):
    n = pos.shape[0]
    p = pos.copy()
    v = vel.copy()
    a = np.zeros((n, 3))
    for s in range(steps + 1):   # velocity Verlet: the accelerations of step s close it
        for i in range(n):
            for d in range(3):
                a[i, d] = 0.0
        for i in range(n):
            for j in range(n):
                if i != j:
                    dx = p[j, 0] - p[i, 0]
                    dy = p[j, 1] - p[i, 1]
                    dz = p[j, 2] - p[i, 2]
                    r2 = dx * dx + dy * dy + dz * dz + 0.01
                    w = m[j] / (r2 * math.sqrt(r2))
                    a[i, 0] += dx * w
                    a[i, 1] += dy * w
                    a[i, 2] += dz * w
        for i in range(n):
            for d in range(3):
                if s > 0:
                    v[i, d] = v[i, d] + 0.5 * dt * a[i, d]
                if s < steps:
                    v[i, d] = v[i, d] + 0.5 * dt * a[i, d]
                    p[i, d] = p[i, d] + dt * v[i, d]
    return np.sum(p * p) + np.sum(v * v)


VARIANTS = {"loop": nbody}


@njit(cache=False)
def _accel(p, m, a):
    n = p.shape[0]
    a[:] = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                dx = p[j, 0] - p[i, 0]
                dy = p[j, 1] - p[i, 1]
                dz = p[j, 2] - p[i, 2]
                r2 = dx * dx + dy * dy + dz * dz + EPS
                w = m[j] / (r2 * math.sqrt(r2))
                a[i, 0] += dx * w
                a[i, 1] += dy * w
                a[i, 2] += dz * w


@njit(cache=False)
def _accel_vjp(p, m, ba, bp):
    """bp += (d accel / d p)^T ba, recomputing each pair's geometry."""
    n = p.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j:
                dx = p[j, 0] - p[i, 0]
                dy = p[j, 1] - p[i, 1]
                dz = p[j, 2] - p[i, 2]
                r2 = dx * dx + dy * dy + dz * dz + EPS
                r = math.sqrt(r2)
                w = m[j] / (r2 * r)
                dw = -3.0 * w / r2 * (dx * ba[i, 0] + dy * ba[i, 1] + dz * ba[i, 2])
                gx = w * ba[i, 0] + dw * dx
                gy = w * ba[i, 1] + dw * dy
                gz = w * ba[i, 2] + dw * dz
                bp[j, 0] += gx
                bp[j, 1] += gy
                bp[j, 2] += gz
                bp[i, 0] -= gx
                bp[i, 1] -= gy
                bp[i, 2] -= gz


@njit(cache=False)
def _hand(pos, vel, m, dt, steps):
    # Tape the positions of every step (the only state the adjoint needs: velocities enter
    # linearly, accelerations are recomputed from positions).
    n = pos.shape[0]
    P = np.empty((steps + 1, n, 3))
    p = pos.copy()
    v = vel.copy()
    a = np.empty((n, 3))
    _accel(p, m, a)
    P[0] = p
    for s in range(steps):
        v += 0.5 * dt * a
        p += dt * v
        _accel(p, m, a)
        v += 0.5 * dt * a
        P[s + 1] = p
    bp = 2.0 * p
    bv = 2.0 * v
    ba = np.zeros((n, 3))
    for s in range(steps - 1, -1, -1):
        ba += 0.5 * dt * bv            # v = v_half + dt/2 a(p')
        _accel_vjp(P[s + 1], m, ba, bp)
        bv += dt * bp                  # p' = p + dt v_half
        ba[:] = 0.5 * dt * bv          # v_half = v + dt/2 a(p)
    _accel_vjp(P[0], m, ba, bp)
    return bp, bv


def hand(pos, vel, m, dt, steps):
    return _hand(pos, vel, m, dt, steps)


def _accel_xp(xp, p, m):
    d = p[None, :, :] - p[:, None, :]
    r2 = xp.sum(d * d, axis=-1) + EPS
    n = p.shape[0]
    w = m[None, :] / (r2 * xp.sqrt(r2)) * (1.0 - xp.eye(n))
    return xp.sum(d * w[:, :, None], axis=1)


def make_jax(cfg):
    import jax
    import jax.numpy as jnp

    def loss(pos, vel, m, dt, steps):
        def step(state, _):
            p, v, a = state
            v = v + 0.5 * dt * a
            p = p + dt * v
            a = _accel_xp(jnp, p, m)
            return (p, v + 0.5 * dt * a, a), None
        (p, v, _), _ = jax.lax.scan(step, (pos, vel, _accel_xp(jnp, pos, m)), None,
                                    length=steps)
        return jnp.sum(p * p) + jnp.sum(v * v)
    g = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnums=(4,))
    return lambda pos, vel, m, dt, steps: g(pos, vel, m, dt, steps), "lax.scan, vectorised"


def make_torch(cfg):
    import torch

    def grad(pos, vel, m, dt, steps):
        p = torch.tensor(pos, requires_grad=True)
        v0 = torch.tensor(vel, requires_grad=True)
        mt = torch.tensor(m)
        x, v = p, v0
        a = _accel_xp(torch, x, mt)
        for _ in range(steps):
            v = v + 0.5 * dt * a
            x = x + dt * v
            a = _accel_xp(torch, x, mt)
            v = v + 0.5 * dt * a
        (torch.sum(x * x) + torch.sum(v * v)).backward()
        return p.grad.numpy(), v0.grad.numpy()
    return grad, "vectorised"


SLOW_TOOLS = {"torch"}

"""Forward mode and second derivatives: time over the Numba-compiled primal.

* Hessian-vector product of the extended Rosenbrock function (n = 10,000, loop style),
  forward over reverse, ``ad.hvp``.
* Dense Jacobian of the final state (3 outputs: angle, velocity, energy) of a damped
  pendulum integrated for 100,000 steps w.r.t. 3 parameters (damping, gravity/length,
  initial angle), ``ad.jacobian`` in forward and reverse mode: one compiled call each.

Run: ``python benchmarks/bench_forward.py``. Prints one table.
"""
import math
import time

import numba
import numpy as np

from ad_compiler.functional import hvp, jacobian


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) // 2):
        a = x[2 * i]
        b = x[2 * i + 1]
        s = s + 100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2
    return s


def pendulum(p, steps):
    damping = p[0]
    g_over_l = p[1]
    theta = p[2]
    omega = 0.0
    dt = 0.001
    for i in range(steps):
        omega = omega - dt * (g_over_l * math.sin(theta) + damping * omega)
        theta = theta + dt * omega
    out = np.zeros(3)
    out[0] = theta
    out[1] = omega
    out[2] = 0.5 * omega * omega + g_over_l * (1.0 - math.cos(theta))
    return out


def best(fn, *args, repeat=7):
    fn(*args)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    rows = []
    n = 10_000
    x = np.linspace(-1.2, 1.0, n)
    v = np.cos(np.arange(n))
    primal = numba.njit(rosenbrock)
    t0 = best(primal, x)
    hv = hvp(rosenbrock)
    t1 = best(hv, x, v)
    # check against the exact Hessian-vector product
    ref = np.zeros(n)
    a, b = x[0::2], x[1::2]
    va, vb = v[0::2], v[1::2]
    ref[0::2] = (1200 * a * a - 400 * b + 2) * va - 400 * a * vb
    ref[1::2] = -400 * a * va + 200 * vb
    assert np.allclose(hv(x, v), ref, rtol=1e-10)
    rows.append(("hvp extended Rosenbrock (n=10,000)", t0, t1))

    p = np.array([0.3, 9.81, 1.0])
    steps = 100_000
    primal = numba.njit(pendulum)
    t0 = best(primal, p, steps)
    for mode in ("forward", "reverse"):
        jac = jacobian(pendulum, 0, mode)
        t1 = best(jac, p, steps)
        rows.append((f"jacobian pendulum 3x3, {steps:,} steps, {mode}", t0, t1))
    Jf = jacobian(pendulum, 0, "forward")(p, steps)
    Jr = jacobian(pendulum, 0, "reverse")(p, steps)
    assert np.allclose(Jf, Jr, rtol=1e-8)

    print(f"{'benchmark':<48} {'primal (ms)':>12} {'derivative (ms)':>16} {'ratio':>7}")
    for name, tp, td in rows:
        print(f"{name:<48} {tp * 1e3:>12.3f} {td * 1e3:>16.3f} {td / tp:>7.1f}")


if __name__ == "__main__":
    main()

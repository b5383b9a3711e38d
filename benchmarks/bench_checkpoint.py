"""Checkpointing benchmark, with the full tape and with ``checkpoint="auto"`` (segments of
ceil(sqrt(n)) steps), against the Numba primal, on two kinds of loop state:

* ``pendulum``: scalar state, the damped pendulum, 10^7 Euler steps, gradient with respect
  to its 3 parameters;
* ``array``: array state, a relaxation ``u = 0.99 u + 0.01 sin(u)`` of a 32-element array
  carried through 10^6 steps (and ``inplace``: the same written element by element into
  ``u``), gradient with respect to the initial array.

Each configuration runs in its own process; peak memory is that process's ``ru_maxrss``
above its level just before the timed call (tracemalloc does not see Numba's allocations),
next to the tape entries (floats) the generated code allocates.

    python -m benchmarks.bench_checkpoint [--problem pendulum|array|inplace|all]
                                          [--steps N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

import numpy as np


def _args(n, chunk=1 << 20):
    """The arguments of ``benchmarks.problems.pendulum.make``, built chunk by chunk so that
    building them does not raise the peak memory above the arrays themselves."""
    rng = np.random.default_rng(0)
    dt = 0.001
    obs = np.empty(n)
    for lo in range(0, n, chunk):
        t = np.arange(lo + 1, min(lo + chunk, n) + 1) * dt
        obs[lo:lo + t.size] = 0.8 * np.cos(3.0 * t) * np.exp(-0.05 * t) \
            + 0.01 * rng.standard_normal(t.size)
    return (9.0, 0.1, 0.7, obs, dt)


ARRAY_SIZE = 32


def relax(u0, n):
    """Array state carried through the loop as a value."""
    u = u0.copy()
    for t in range(n):
        u = u * 0.99 + 0.01 * np.sin(u)
    return np.sum(u * u)


def relax_inplace(u0, n):
    """Array state updated element by element in place."""
    u = u0.copy()
    m = u.shape[0]
    for t in range(n):
        for i in range(m):
            u[i] = u[i] * 0.99 + 0.01 * math.sin(u[i])
    return np.sum(u * u)


PROBLEMS = {
    # name: (function, wrt, arguments for n steps, tape floats per step, default steps)
    "pendulum": (None, (0, 1, 2), _args, 2, 10_000_000),
    "array": (relax, 0, lambda n: (np.linspace(0.1, 1.0, ARRAY_SIZE), n), ARRAY_SIZE,
              1_000_000),
    "inplace": (relax_inplace, 0, lambda n: (np.linspace(0.1, 1.0, ARRAY_SIZE), n),
                ARRAY_SIZE, 1_000_000),   # the element each store overwrites
}


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _tape_entries(problem, mode, n):
    """Floats of the tapes (and segment snapshots) the gradient allocates."""
    per_step = PROBLEMS[problem][3]
    if mode == "full":
        return per_step * n
    if mode == "primal":
        return 0
    c = max(1, math.ceil(math.sqrt(n))) if mode == "auto" else int(mode)
    state = 3 if problem == "pendulum" else ARRAY_SIZE   # recorded at each segment's start
    return state * ((n + c - 1) // c) + per_step * c


def _function(problem):
    fn = PROBLEMS[problem][0]
    if fn is None:
        from benchmarks.problems.pendulum import pendulum
        fn = pendulum
    return fn


def worker(problem, mode, n, repeat):
    import ad_compiler as ad
    from numba import njit

    fn, wrt, make = _function(problem), PROBLEMS[problem][1], PROBLEMS[problem][2]
    if mode == "primal":
        fn = njit(fn)
    else:
        fn = ad.grad(fn, wrt=wrt, backend="numba",
                     checkpoint=None if mode == "full" else
                     ("auto" if mode == "auto" else int(mode)))
    fn(*make(100))                               # compile outside the measurement
    args = make(n)
    base = _maxrss_mib()
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    out = np.atleast_1d(np.asarray(result, dtype=np.float64)).ravel().tolist()
    print(json.dumps({"mode": mode, "time": min(times), "peak_mib": _maxrss_mib() - base,
                      "result": out}))


def run(problem, n, repeat, modes=("primal", "full", "auto")):
    rows = {}
    for mode in modes:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_checkpoint",
                               "--worker", mode, "--problem", problem, "--steps", str(n),
                               "--repeat", str(repeat)],
                              capture_output=True, text=True, check=True)
        rows[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    full, auto = np.array(rows["full"]["result"]), np.array(rows["auto"]["result"])
    err = float(np.max(np.abs(full - auto) / np.maximum(1.0, np.abs(full))))
    primal = rows["primal"]["time"]
    what = {"pendulum": "pendulum, scalar state, gradient wrt 3 parameters",
            "array": f"relaxation, {ARRAY_SIZE}-element array state carried as a value",
            "inplace": f"relaxation, {ARRAY_SIZE}-element array state written in place"}
    print(f"{what[problem]}: {n:,} steps (numba backend, best of {repeat}); checkpointed vs "
          f"full gradient: max rel. difference {err:.1e}\n")
    print("| configuration | time (s) | x primal | peak memory above start (MiB) "
          "| tape floats |")
    print("|---|---:|---:|---:|---:|")
    labels = {"primal": "numba primal", "full": "gradient, full tape",
              "auto": f"gradient, checkpoint=\"auto\" (C={math.ceil(math.sqrt(n))})"}
    for mode in modes:
        r = rows[mode]
        print(f"| {labels[mode]} | {r['time']:.3f} | {r['time'] / primal:.2f} | "
              f"{r['peak_mib']:.1f} | {_tape_entries(problem, mode, n):,} |")
    print()
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--problem", default="all", choices=[*PROBLEMS, "all"])
    p.add_argument("--steps", type=int, default=None, help="default: per problem")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    problems = list(PROBLEMS) if a.problem == "all" else [a.problem]
    for problem in problems:
        steps = a.steps or PROBLEMS[problem][4]
        if a.worker:
            worker(problem, a.worker, steps, a.repeat)
        else:
            run(problem, steps, a.repeat)


if __name__ == "__main__":
    main()

"""Checkpointing benchmark: the damped pendulum, 10^7 Euler steps, gradient with respect to
its 3 parameters, with the full tape and with ``checkpoint="auto"`` (segments of
ceil(sqrt(n)) steps), against the Numba primal.

Each configuration runs in its own process; peak memory is that process's ``ru_maxrss``
above its level just before the timed call (tracemalloc does not see Numba's allocations),
next to the tape entries the generated code allocates.

    python -m benchmarks.bench_checkpoint [--steps N] [--repeat R]
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


def _maxrss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _tape_entries(mode, n):
    """Entries of the tapes the gradient allocates (3 recorded values a step)."""
    if mode == "full":
        return 3 * n
    if mode == "primal":
        return 0
    c = max(1, math.ceil(math.sqrt(n))) if mode == "auto" else int(mode)
    return 3 * ((n + c - 1) // c) + 3 * c


def worker(mode, n, repeat):
    import ad_compiler as ad
    from numba import njit

    from benchmarks.problems.pendulum import pendulum

    if mode == "primal":
        fn = njit(pendulum)
    else:
        fn = ad.grad(pendulum, wrt=(0, 1, 2), backend="numba",
                     checkpoint=None if mode == "full" else
                     ("auto" if mode == "auto" else int(mode)))
    small = _args(100)
    fn(*small)                                   # compile outside the measurement
    args = _args(n)
    base = _maxrss_mib()
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    out = np.atleast_1d(np.asarray(result, dtype=np.float64)).tolist()
    print(json.dumps({"mode": mode, "time": min(times), "peak_mib": _maxrss_mib() - base,
                      "result": out}))


def run(n, repeat, modes=("primal", "full", "auto")):
    rows = {}
    for mode in modes:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_checkpoint",
                               "--worker", mode, "--steps", str(n), "--repeat", str(repeat)],
                              capture_output=True, text=True, check=True)
        rows[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    full, auto = np.array(rows["full"]["result"]), np.array(rows["auto"]["result"])
    err = float(np.max(np.abs(full - auto) / np.maximum(1.0, np.abs(full))))
    primal = rows["primal"]["time"]
    print(f"pendulum, {n:,} Euler steps, gradient wrt 3 parameters (numba backend, "
          f"best of {repeat}); checkpointed vs full gradient: max rel. difference {err:.1e}\n")
    print("| configuration | time (s) | x primal | peak memory above start (MiB) "
          "| tape entries |")
    print("|---|---:|---:|---:|---:|")
    labels = {"primal": "numba primal", "full": "gradient, full tape",
              "auto": f"gradient, checkpoint=\"auto\" (C={math.ceil(math.sqrt(n))})"}
    for mode in modes:
        r = rows[mode]
        print(f"| {labels[mode]} | {r['time']:.3f} | {r['time'] / primal:.2f} | "
              f"{r['peak_mib']:.1f} | {_tape_entries(mode, n):,} |")
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        worker(a.worker, a.steps, a.repeat)
    else:
        run(a.steps, a.repeat)


if __name__ == "__main__":
    main()

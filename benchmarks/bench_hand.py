"""Our gradient against the hand-written Numba adjoint (issue 12: loop problems within 1.5x),
for every loop-style problem of the speed suite: ours with the default bounds checks, ours
with ``boundscheck=False`` (the hand adjoints are unchecked) and the hand adjoint.

The machine these run on is shared, so one best-of-N per tool (the suite's way) swings the
ratio by a lot: here the three are called interleaved, in a shuffled order, ``--repeats``
times in one process, in samples of about 0.5 ms each, and the ratio is of medians. The load average is printed before and
after; compare only ratios from the same run.

Run: ``python benchmarks/bench_hand.py [--problems kepler,rk23] [--repeats 31]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import benchmarks  # noqa: E402,F401  (pins threads)
import numpy as np  # noqa: E402

import ad_compiler as ad  # noqa: E402
from benchmarks.problems import PROBLEMS  # noqa: E402


def _flat(g):
    g = g if isinstance(g, (tuple, list)) else (g,)
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in g])


def _time(fn, args, inner):
    t = time.perf_counter()
    for _ in range(inner):
        fn(*args)
    return (time.perf_counter() - t) / inner


def measure(mod, cfg, repeats):
    args = mod.make(cfg, np.random.default_rng(0))
    f = mod.VARIANTS["loop"]
    tools = {"checked": ad.grad(f, wrt=mod.WRT),
             "unchecked": ad.grad(f, wrt=mod.WRT, boundscheck=False),
             "hand": mod.hand}
    ref = _flat(mod.hand(*args))
    for name, fn in tools.items():
        got = _flat(fn(*args))
        err = np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-300)
        if err > 1e-6:
            raise AssertionError(f"{cfg['label']}: {name} differs from the hand adjoint ({err})")
    # samples of about 0.5 ms for every tool: a longer sample is more often cut by the
    # scheduler on a loaded machine, which would bias the median against the slower tool
    inner = {name: max(1, int(5e-4 / max(min(_time(fn, args, 1) for _ in range(3)), 1e-7)))
             for name, fn in tools.items()}
    samples = {name: [] for name in tools}
    order = list(tools)
    for _ in range(repeats):
        random.shuffle(order)
        for name in order:
            samples[name].append(_time(tools[name], args, inner[name]))
    med = {name: float(np.median(v)) for name, v in samples.items()}
    return med


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--problems", default="")
    p.add_argument("--repeats", type=int, default=31)
    p.add_argument("--mode", default="quick", choices=("quick", "smoke", "full"))
    opts = p.parse_args(argv)
    wanted = set(filter(None, opts.problems.split(",")))
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| problem | hand ms | ours/hand (checked) | ours/hand (boundscheck=False) |")
    print("|---|---:|---:|---:|")
    for mod in PROBLEMS:
        if not mod.LOOP_STYLE or not hasattr(mod, "hand") or (wanted and mod.NAME not in wanted):
            continue
        for cfg in mod.configs(opts.mode):
            med = measure(mod, cfg, opts.repeats)
            print(f"| {cfg['label']} | {1e3 * med['hand']:.3g} | "
                  f"{med['checked'] / med['hand']:.2f} | {med['unchecked'] / med['hand']:.2f} |",
                  flush=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

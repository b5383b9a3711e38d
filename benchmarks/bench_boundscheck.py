"""The cost of bounds checking (issue 22): every problem of the speed suite, the gradient of
its loop form (and its other variants) compiled by the numba backend with
``boundscheck=True`` (the default) and ``boundscheck=False`` (Numba's unchecked mode).

The two builds are timed interleaved in one process, best of several rounds each, so that
other load on the machine falls on both alike. ``cost`` is checked / unchecked - 1.

Run: ``python benchmarks/bench_boundscheck.py [--mode quick|smoke] [--rounds 7]``.
Prints one markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import benchmarks  # noqa: E402,F401  (pins threads)
import numpy as np  # noqa: E402

import ad_compiler as ad  # noqa: E402
from benchmarks.problems import PROBLEMS  # noqa: E402


def _best(fn, args, budget):
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < budget or best == float("inf"):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def measure(mode, rounds, budget):
    rows = []
    rng = np.random.default_rng(0)
    for mod in PROBLEMS:
        for cfg in mod.configs(mode):
            args = mod.make(cfg, rng)
            for variant, f in mod.VARIANTS.items():
                builds = {bc: ad.grad(f, wrt=mod.WRT, boundscheck=bc) for bc in (True, False)}
                try:
                    results = {bc: g(*args) for bc, g in builds.items()}
                except Exception as exc:  # noqa: BLE001  (a variant numba cannot compile)
                    print(f"  skipped {cfg['label']} variant {variant}: {exc}", file=sys.stderr)
                    continue
                a, b = (np.concatenate([np.ravel(v) for v in np.atleast_1d(*results[bc])])
                        if isinstance(results[bc], tuple) else np.ravel(results[bc])
                        for bc in (True, False))
                assert np.allclose(a, b), cfg["label"]
                best = {True: float("inf"), False: float("inf")}
                for _ in range(rounds):
                    for bc, g in builds.items():
                        best[bc] = min(best[bc], _best(g, args, budget))
                rows.append((cfg["label"], variant, best[True] * 1e3, best[False] * 1e3))
                print(f"  {cfg['label']} variant {variant}: {rows[-1][2]:.3g} / "
                      f"{rows[-1][3]:.3g} ms", file=sys.stderr, flush=True)
    return rows


def table(rows):
    out = ["| problem | variant | checked ms | unchecked ms | cost |", "|---|---|---:|---:|---:|"]
    for label, variant, on, off in rows:
        out.append(f"| {label} | {variant} | {on:.4g} | {off:.4g} | {100 * (on / off - 1):+.1f}% |")
    geo = float(np.exp(np.mean([np.log(on / off) for _, _, on, off in rows])))
    out.append(f"| geometric mean | | | | {100 * (geo - 1):+.1f}% |")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", default="quick", choices=("quick", "smoke", "full"))
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--budget", type=float, default=0.2, help="seconds per timing round")
    args = p.parse_args(argv)
    print(table(measure(args.mode, args.rounds, args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

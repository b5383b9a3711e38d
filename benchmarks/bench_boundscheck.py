"""The cost of bounds checking (issue 22): every problem of the speed suite, the gradient of
its loop form (and its other variants) compiled by the numba backend three ways: the
default (``boundscheck=True``: entry and per-access checks written into the source by
``backends/index_checks.py``, Numba's checks off), ``boundscheck=False`` (unchecked) and
``boundscheck="numba"`` (Numba's own check on every access).

The builds are timed interleaved in one process, best of several rounds each, so that
other load on the machine falls on all alike. ``cost`` is checked / unchecked - 1.

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


MODES = (True, False, "numba")


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
                builds = {bc: ad.grad(f, wrt=mod.WRT, boundscheck=bc) for bc in MODES}
                try:
                    results = {bc: g(*args) for bc, g in builds.items()}
                except Exception as exc:  # noqa: BLE001  (a variant numba cannot compile)
                    print(f"  skipped {cfg['label']} variant {variant}: {exc}", file=sys.stderr)
                    continue
                flat = [np.concatenate([np.ravel(v) for v in np.atleast_1d(*results[bc])])
                        if isinstance(results[bc], tuple) else np.ravel(results[bc])
                        for bc in MODES]
                assert all(np.allclose(flat[0], b) for b in flat[1:]), cfg["label"]
                best = dict.fromkeys(MODES, float("inf"))
                for _ in range(rounds):
                    for bc, g in builds.items():
                        best[bc] = min(best[bc], _best(g, args, budget))
                rows.append((cfg["label"], variant, *(best[bc] * 1e3 for bc in MODES)))
                print(f"  {cfg['label']} variant {variant}: "
                      + " / ".join(f"{t:.3g}" for t in rows[-1][2:]) + " ms",
                      file=sys.stderr, flush=True)
    return rows


def table(rows):
    out = ["| problem | variant | checked ms | unchecked ms | Numba boundscheck ms | cost | "
           "Numba's cost |", "|---|---|---:|---:|---:|---:|---:|"]
    for label, variant, on, off, numba in rows:
        out.append(f"| {label} | {variant} | {on:.4g} | {off:.4g} | {numba:.4g} | "
                   f"{100 * (on / off - 1):+.1f}% | {100 * (numba / off - 1):+.1f}% |")
    geo = [float(np.exp(np.mean([np.log(r[k] / r[3]) for r in rows]))) for k in (2, 4)]
    out.append(f"| geometric mean | | | | | {100 * (geo[0] - 1):+.1f}% | "
               f"{100 * (geo[1] - 1):+.1f}% |")
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

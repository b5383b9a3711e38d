"""How many of the NumPy usages HIPS autograd's tests exercise differentiate correctly.

    python -m benchmarks.numpy_coverage [--backend python|numba] [--mode reverse|forward]
                                        [--every N] [--progress] [--autograd]

Prints, per mode, the counts of usages that are right (against central finite differences
in float64), wrong, refused (a DifferentiationError) and crashed, then the refused and
failing usages. ``--autograd`` also compares the reverse-mode gradients with autograd's where
autograd differentiates the usage.
"""

import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "numpy"))

import numpy as np  # noqa: E402

from harness import check, valid_usages, write_module  # noqa: E402
from usages import USAGES  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="python")
    parser.add_argument("--autograd", action="store_true")
    parser.add_argument("--every", type=int, default=1,
                        help="check every n-th usage (Numba compiles each: about 3 s)")
    parser.add_argument("--mode", choices=("reverse", "forward"), action="append",
                        help="only this mode (default: both)")
    parser.add_argument("--progress", action="store_true",
                        help="print each usage's status as it is checked (long numba runs)")
    opts = parser.parse_args()
    listed = USAGES[::opts.every]
    usages, _ = valid_usages(listed)
    print(f"{len(usages)} valid real-valued usages (of {len(listed)} listed), "
          f"backend {opts.backend}")
    problems = collections.defaultdict(list)
    for mode in opts.mode or ("reverse", "forward"):
        counts = collections.Counter()
        for expr, fn, args, k in usages:
            status, message = check(fn, args, mode, opts.backend)
            counts[status] += 1
            if opts.progress:
                print(f"{mode} {k} {status} {expr}", flush=True)
            if status != "ok":
                problems[status].append((mode, expr, [np.shape(a) for a in args], message[:160]))
        print(f"{mode:8s} ok {counts['ok']:5d}  wrong {counts['wrong']:4d}  refused "
              f"{counts['refused']:4d}  crash {counts['crash']:4d}  "
              f"({100.0 * counts['ok'] / max(len(usages), 1):.1f}% ok)")
    if opts.autograd:
        compare_autograd(usages)
    for status in ("wrong", "crash", "refused"):
        for mode, expr, shapes, message in problems[status]:
            print(f"{status:8s} {mode:8s} {expr}  {shapes}  {message}")


def compare_autograd(usages):
    import autograd

    import ad_compiler as ad
    from harness import close
    module = write_module([(e, [None] * len(a)) for e, _, a, _ in usages], "autograd.numpy",
                          "autograd_functions")
    agree = differ = skipped = 0
    for j, (expr, fn, args, k) in enumerate(usages):
        theirs = getattr(module, f"u{j}")
        for i in range(len(args)):
            try:
                want = autograd.grad(theirs, i)(*args)
            except Exception:   # noqa: BLE001 - autograd does not differentiate it
                skipped += 1
                continue
            try:
                got = ad.grad(fn, wrt=i, backend="python")(*args)
            except Exception:   # noqa: BLE001 - counted above
                skipped += 1
                continue
            if close(got, want, 1e-7):
                agree += 1
            else:
                differ += 1
                print(f"differs from autograd: {expr} wrt {i}")
    print(f"autograd: {agree} gradients agree, {differ} differ, {skipped} not compared")


if __name__ == "__main__":
    main()

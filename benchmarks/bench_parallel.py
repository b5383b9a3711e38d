"""``prange`` gradients on all cores: ``parallel=True`` against the serial gradient and
against a hand-written parallel Numba adjoint, on two kinds of loop:

* ``pairwise``: a Gaussian-kernel pairwise energy of ``n`` 2-D points, ``prange`` over ``i`` with an
  inner loop over every ``j``: the adjoint scatters into ``b_x[j]``, which ours privatises
  (one zeroed copy of ``b_x`` per thread, summed after the loop). The hand-written adjoint
  uses the symmetry of the pair term to gather ``b_x[i]`` instead (no scatter at all).
* ``map``: a per-element map with a reduction over ``n`` elements: every adjoint is the
  iteration's own element or a scalar reduction, so ours runs the reverse loop as it is.

``ours speed-up`` is ours serial over ours parallel (both with the default bounds checks);
``1 -> 2 threads`` is a parallel build's time on one thread of Numba's pool over its time on
all of them (what the second core gives, ours and the hand-written kernel's); ``ours/hand par.`` compares ours
(checked) with the hand-written parallel kernel (unchecked, as Numba's default), and
``unchecked/hand`` like with like (``boundscheck=False``). ``loops left serial`` counts
Numba's "will not be executed in parallel" warnings over every build. Each column is the
median of ``--repeat`` timed calls, interleaved (one call of each build per round, after a
first call that compiles), and the machine's load average is printed above the table:
other processes sharing the cores slow the parallel columns most.

    python benchmarks/bench_parallel.py [--n-pairwise N] [--n-map N] [--repeat R]

Run it as a file, not with ``python -m benchmarks...``: importing the ``benchmarks``
package pins Numba to one thread (``NUMBA_NUM_THREADS=1``) for the single-core suite.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numba
import numpy as np
from numba import prange

import ad_compiler as ad


def pairwise(x, h):
    n = x.shape[0]
    e = 0.0
    for i in prange(n):
        for j in range(n):
            r2 = (x[i, 0] - x[j, 0]) ** 2 + (x[i, 1] - x[j, 1]) ** 2
            e += np.exp(-r2 / h)
    return e


def _pairwise_hand(x, h):
    """Energy and gradient in one sweep: d/dx_i of the pair terms (i, j) and (j, i) is
    ``-4 d exp(-r2/h) / h`` with ``d = x_i - x_j``, gathered per ``i``."""
    n = x.shape[0]
    g = np.empty_like(x)
    e = 0.0
    for i in prange(n):
        gx = 0.0
        gy = 0.0
        for j in range(n):
            dx = x[i, 0] - x[j, 0]
            dy = x[i, 1] - x[j, 1]
            k = np.exp(-(dx * dx + dy * dy) / h)
            e += k
            gx -= 4.0 * k / h * dx
            gy -= 4.0 * k / h * dy
        g[i, 0] = gx
        g[i, 1] = gy
    return e, g


def mapped(x, c, w):
    s = 0.0
    for i in prange(x.shape[0]):
        y = np.exp(w * x[i]) * c[i]
        s += y * x[i] + y * y
    return s


def _mapped_hand(x, c, w):
    n = x.shape[0]
    g = np.empty(n)
    s = 0.0
    gw = 0.0
    for i in prange(n):
        y = np.exp(w * x[i]) * c[i]
        s += y * x[i] + y * y
        dy = x[i] + 2.0 * y          # d s / d y
        g[i] = y + dy * y * w
        gw += dy * y * x[i]
    return s, g, gw


def _compile(fn, args, serialised):
    """The first call (it compiles, or loads from the cache), recording the loops Numba
    says it could not run in parallel."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", numba.NumbaPerformanceWarning)
        out = fn(*args)
    serialised += [w for w in caught if "will not be executed in parallel" in str(w.message)]
    return out


def _on_one_thread(fn):
    """``fn`` run with one thread of Numba's pool: the parallel code's own serial time."""
    def call(*args):
        numba.set_num_threads(1)
        try:
            return fn(*args)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return call


def _medians(fns, args, repeat):
    """{label: median seconds of ``repeat`` calls}, the calls interleaved (one of each per
    round), so that a change in the machine's load reaches every column alike."""
    times = {label: [] for label in fns}
    for _ in range(repeat):
        for label, fn in fns.items():
            t0 = time.perf_counter()
            fn(*args)
            times[label].append(time.perf_counter() - t0)
    return {label: float(np.median(t)) for label, t in times.items()}


def _problems(n_pairwise, n_map):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (n_pairwise, 2))
    xm, cm = rng.uniform(-1.0, 1.0, n_map), rng.uniform(0.5, 1.5, n_map)
    return [("pairwise", pairwise, _pairwise_hand, (x, 0.3), 0),
            ("map", mapped, _mapped_hand, (xm, cm, 0.7), (0, 2))]


def run(n_pairwise=3000, n_map=10_000_000, repeat=7):
    rows = []
    for name, f, hand, args, wrt in _problems(n_pairwise, n_map):
        # not cache=True for the hand kernels: Numba's cache keys an entry by the
        # function's bytecode and signature, not its options, so the parallel and the
        # serial build would both load whichever was saved first
        fns = {"ours serial": ad.value_and_grad(f, wrt=wrt, parallel=False),
               "ours parallel": ad.value_and_grad(f, wrt=wrt, parallel=True),
               "ours unchecked": ad.value_and_grad(f, wrt=wrt, parallel=True,
                                                   boundscheck=False),
               "hand serial": numba.njit(hand),
               "hand parallel": numba.njit(parallel=True)(hand)}
        fns["ours parallel, 1 thread"] = _on_one_thread(fns["ours parallel"])
        fns["hand parallel, 1 thread"] = _on_one_thread(fns["hand parallel"])
        serialised = []
        out = {label: _compile(fn, args, serialised) for label, fn in fns.items()}
        for label in ("ours serial", "ours parallel", "ours unchecked", "hand serial",
                      "ours parallel, 1 thread"):
            ours, theirs = out[label], out["hand parallel"]
            assert np.allclose(ours[0], theirs[0], rtol=1e-9), (name, label)
            mine = ours[1] if isinstance(ours[1], tuple) else (ours[1],)
            for a, b in zip(mine if label.startswith("ours") else ours[1:], theirs[1:]):
                assert np.allclose(a, b, rtol=1e-7, atol=1e-9), (name, label)
        rows.append((name, _medians(fns, args, repeat), len(serialised)))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-pairwise", type=int, default=3000)
    p.add_argument("--n-map", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=7)
    a = p.parse_args(argv)
    if numba.config.NUMBA_NUM_THREADS == 1:
        print("warning: NUMBA_NUM_THREADS=1, nothing runs in parallel (run this file as "
              "python benchmarks/bench_parallel.py, not through the benchmarks package)")
    load_before = os.getloadavg()
    rows = run(a.n_pairwise, a.n_map, a.repeat)
    load_after = os.getloadavg()
    print(f"threads: {numba.get_num_threads()} (cores: {os.cpu_count()}); load average "
          f"(1, 5, 15 min) {' '.join(f'{v:.1f}' for v in load_before)} before, "
          f"{' '.join(f'{v:.1f}' for v in load_after)} after; median of {a.repeat} "
          f"interleaved calls; ms")
    columns = ["ours serial", "ours parallel, 1 thread", "ours parallel", "ours unchecked",
               "hand serial", "hand parallel, 1 thread", "hand parallel"]
    head = ["problem"] + columns + ["ours speed-up", "ours 1 -> 2 threads",
                                    "hand 1 -> 2 threads", "ours/hand par.",
                                    "unchecked/hand", "loops left serial"]
    print(" | ".join(head))
    for name, t, serialised in rows:
        ms = [f"{t[k] * 1e3:.1f}" for k in columns]
        ratios = [t["ours serial"] / t["ours parallel"],
                  t["ours parallel, 1 thread"] / t["ours parallel"],
                  t["hand parallel, 1 thread"] / t["hand parallel"],
                  t["ours parallel"] / t["hand parallel"],
                  t["ours unchecked"] / t["hand parallel"]]
        print(" | ".join([name] + ms + [f"{r:.2f}x" for r in ratios] + [str(serialised)]))


if __name__ == "__main__":
    main()

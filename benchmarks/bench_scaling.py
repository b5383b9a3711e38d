"""Compile time and memory against the length of the user's function (issue 19).

Generated functions of 100 ... 3,200 lines (:mod:`benchmarks.long_functions`: scalar code
with math calls, an ``if`` every 20 lines, a short ``for`` every 50 and writes into one
array; and an array-heavy variant) go through the pipeline of ``ad.grad`` one stage at a
time, each timed on its own:

* ``frontend``  source -> SSA IR (parse, normalise, SSA construction)
* ``transform`` specialisation to the argument kinds and the reverse-mode transform
* ``emit``      derivative IR -> Python source
* ``load``      the python backend: the generated module written and imported
* ``numba``     Numba's compile of the gradient (first call minus a steady call), up to
  ``--numba-max`` lines (Numba compiles about 4 ms per generated line, so 3,200 lines is
  minutes)

Times are CPU seconds of this process (``time.process_time``), which other work on a shared
machine disturbs far less than wall-clock time. Peak memory is tracemalloc's peak over the project's stages (frontend to load) in a second,
separate run (tracemalloc slows Python down, so it never shares a run with the times).
``x2`` columns are the ratio to the row above: linear scaling shows 2.0 per doubling.

Run: ``python benchmarks/bench_scaling.py [--kinds scalar,array] [--lines 100,200,...]
[--numba-max 400]``. Prints one markdown table.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import benchmarks  # noqa: E402,F401  (pins threads)
import numpy as np  # noqa: E402

from ad_compiler import api  # noqa: E402
from ad_compiler.backends.emit import emit_module  # noqa: E402
from ad_compiler.backends.python import load_module  # noqa: E402
from ad_compiler.pipeline import fewer_collections  # noqa: E402
from benchmarks.long_functions import array_source, load_function, scalar_source  # noqa: E402

SOURCES = {"scalar": scalar_source, "array": array_source}
PROJECT_STAGES = ("frontend", "transform", "emit", "load")


def _stages(f):
    """Run the pipeline of ``ad.grad(f, backend="python")`` stage by stage: {stage: s},
    under the garbage-collector setting the pipeline builds with (the emitter and loader
    are called directly here, outside the pipeline's builds)."""
    with fewer_collections():
        return _timed_stages(f)


def _timed_stages(f):
    times = {}
    t = time.process_time()
    d = api.DerivativeFunction(f, 0, backend="python")
    times["frontend"] = time.process_time() - t
    t = time.process_time()
    ir = d.derivative_ir
    times["transform"] = time.process_time() - t
    t = time.process_time()
    source = emit_module([ir])
    times["emit"] = time.process_time() - t
    t = time.process_time()
    load_module(source, f"adc_scaling_{f.__name__}")
    times["load"] = time.process_time() - t
    return times, source


def _peak_memory(f):
    gc.collect()
    tracemalloc.start()
    _stages(f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _numba_compile(f):
    """CPU seconds of Numba's compile of the gradient of ``f`` (first call minus a steady one)."""
    import ad_compiler as ad

    g = ad.grad(f)
    x, out = np.array([0.3, 0.5, 0.7, 0.2]), np.zeros(8)
    t = time.process_time()
    g(x, out)
    first = time.process_time() - t
    t = time.process_time()
    g(x, out)
    return first - (time.process_time() - t)


def measure(kind, lines, directory, numba_max):
    name = f"scaling_{kind}_{lines}"
    f = load_function(SOURCES[kind](lines, name=name), name, directory)
    times, source = _stages(f)
    row = dict(times, kind=kind, lines=lines, generated=len(source.splitlines()))
    row["project"] = sum(times[s] for s in PROJECT_STAGES)
    row["memory"] = _peak_memory(f)
    row["numba"] = _numba_compile(f) if lines <= numba_max else None
    return row


def _ratio(row, prev, key):
    if prev is None or not prev.get(key) or row.get(key) is None:
        return ""
    return f"{row[key] / prev[key]:.2f}"


def table(rows):
    cols = ("frontend", "transform", "emit", "load", "project")
    head = ("| kind | lines | generated | " + " | ".join(f"{c} s | x2" for c in cols)
            + " | peak MiB | x2 | numba s | numba ms/line |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    prev = None
    for row in rows:
        if prev is not None and prev["kind"] != row["kind"]:
            prev = None
        cells = [row["kind"], str(row["lines"]), str(row["generated"])]
        for c in cols:
            cells += [f"{row[c]:.3f}", _ratio(row, prev, c)]
        cells += [f"{row['memory'] / 2**20:.1f}", _ratio(row, prev, "memory")]
        numba = row["numba"]
        cells += ["" if numba is None else f"{numba:.2f}",
                  "" if numba is None else f"{1000 * numba / row['generated']:.2f}"]
        out.append("| " + " | ".join(cells) + " |")
        prev = row
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kinds", default="scalar,array")
    p.add_argument("--lines", default="100,200,400,800,1600,3200")
    p.add_argument("--numba-max", type=int, default=400,
                   help="measure Numba's compile up to this many lines (0: never)")
    args = p.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="adc_scaling_")
    warm = load_function(scalar_source(40, name="scaling_warmup"), "scaling_warmup", directory)
    _stages(warm)   # imports and first-use caches out of the first row
    rows = []
    for kind in args.kinds.split(","):
        for lines in map(int, args.lines.split(",")):
            rows.append(measure(kind, lines, directory, args.numba_max))
            print(f"  {kind} {lines}: {rows[-1]['project']:.2f} s", file=sys.stderr,
                  flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

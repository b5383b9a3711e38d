"""Cold compile of a gradient against its Numba primal's, one fresh process per measurement.

    python benchmarks/bench_compile.py [--problems kepler,nbody] [--repeats 1] [--profile DIR]

Each measurement is a new interpreter with a new, empty ``AD_COMPILER_CACHE_DIR`` and
``NUMBA_CACHE_DIR``; it imports numba (and ad_compiler for ours), compiles one throw-away
``njit`` lambda (Numba's one-off start-up, the same for both), then times the first call:
``numba.njit(f)(*args)`` for the primal, ``ad.grad(f, wrt=...)(*args)`` for ours, minus a
second (steady) call. The problems run at their smoke size, so the first call is compile.

Modules load from their bytecode caches (written by the first child where they are missing),
as an installed package's do. Columns: primal s; ours s = python s (our frontend, transforms, emit, module load: everything
outside Numba; ``import ad_compiler`` is not in it) + numba s (the outermost
``numba:compile`` events: typing, lowering, LLVM, of the generated functions and of every
helper they call); ratio = ours / primal. ``--before DIR`` also times ours from a checkout of
an older commit, in the same run (so at the same machine load); ``--profile DIR`` writes a
cProfile of each gradient's first call to DIR/<problem>.prof; ``--passes`` prints Numba's
costliest passes.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys, time
import numpy as np
which, name, profile, checked = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
from numba import njit
from numba.core import event
import_t = time.perf_counter()
if which == "ours":
    import ad_compiler as ad
import_t = time.perf_counter() - import_t
njit(lambda x: x + 1.0)(1.0)          # Numba's one-off start-up, out of both measurements
import importlib
P = importlib.import_module("benchmarks.problems." + name)
cfg = P.configs("smoke")[0]
args = P.make(cfg, np.random.default_rng(0))
f = next(iter(P.VARIANTS.values()))

spans, depth, passes, stack = [], [0], {}, []
class Top(event.Listener):
    def on_start(self, ev):
        if depth[0] == 0:
            spans.append([time.perf_counter(), None])
        depth[0] += 1
    def on_end(self, ev):
        depth[0] -= 1
        if depth[0] == 0:
            spans[-1][1] = time.perf_counter()
class Pass(event.Listener):
    def on_start(self, ev):
        stack.append([ev.data["name"], time.perf_counter(), 0.0])
    def on_end(self, ev):
        nm, t0, child = stack.pop()
        dt = time.perf_counter() - t0
        passes[nm] = passes.get(nm, 0.0) + dt - child
        if stack:
            stack[-1][2] += dt
event.register("numba:compile", Top())
event.register("numba:run_pass", Pass())

def build():
    if which == "primal":
        return njit(f)
    return ad.grad(f, wrt=P.WRT, boundscheck=None if checked else False)
t0 = time.perf_counter()
if profile != "-":
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
g = build()
g(*args)
if profile != "-":
    prof.disable()
    prof.dump_stats(profile)
t1 = time.perf_counter()
g(*args)
t2 = time.perf_counter()
total = (t1 - t0) - (t2 - t1)
numba_s = sum(b - a for a, b in spans if b is not None)
print("RESULT " + json.dumps({"total": total, "numba": numba_s, "import": import_t,
                              "compiles": len(spans), "passes": passes}))
"""


def measure(which, name, profile="-", checked=True, tree=ROOT):
    with tempfile.TemporaryDirectory() as adc, tempfile.TemporaryDirectory() as nbc:
        env = dict(os.environ, AD_COMPILER_CACHE_DIR=adc, NUMBA_CACHE_DIR=nbc,
                   PYTHONPATH=tree)
        # modules are imported from their bytecode caches, as an installed package's are
        # (without them every child compiled ~50 modules' source: 0.1 s of "python")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        r = subprocess.run([sys.executable, "-c", CHILD, which, name, profile, "1" if checked else "0"], env=env,
                           capture_output=True, text=True, timeout=900, cwd=tree)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError((r.stderr or r.stdout).strip()[-2000:])


def main(argv=None):
    from benchmarks.problems import PROBLEMS

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--problems", default="")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--profile", default="")
    p.add_argument("--passes", action="store_true", help="print Numba's top passes per row")
    p.add_argument("--json", default="")
    p.add_argument("--before", default="",
                   help="also time ours from another checkout (a tree of an older commit)")
    p.add_argument("--unchecked", action="store_true",
                   help="ours with boundscheck=False (default: the default, checked build)")
    opts = p.parse_args(argv)
    wanted = set(filter(None, opts.problems.split(",")))
    rows = []
    extra = " before s | before: python s | before: numba s | before ratio |" \
        if opts.before else ""
    print("| problem | primal s | ours s | ours: python s | ours: numba s | numba compiles "
          "| ratio |" + extra)
    print("|---|---:|---:|---:|---:|---:|---:|" + "---:|" * (4 if opts.before else 0))
    for mod in PROBLEMS:
        if wanted and mod.NAME not in wanted:
            continue
        name = mod.__name__.rsplit(".", 1)[1]
        prim = min((measure("primal", name) for _ in range(opts.repeats)),
                   key=lambda r: r["total"])
        prof = os.path.join(opts.profile, name + ".prof") if opts.profile else "-"
        ours = min((measure("ours", name, prof, not opts.unchecked) for _ in range(opts.repeats)),
                   key=lambda r: r["total"])
        row = {"problem": mod.NAME, "primal": prim, "ours": ours}
        line = (f"| {mod.NAME} | {prim['total']:.2f} | {ours['total']:.2f} | "
                f"{ours['total'] - ours['numba']:.2f} | {ours['numba']:.2f} | "
                f"{ours['compiles']} | {ours['total'] / prim['total']:.1f}x |")
        if opts.before:
            old = row["before"] = min((measure("ours", name, "-", not opts.unchecked,
                                               opts.before) for _ in range(opts.repeats)),
                                      key=lambda r: r["total"])
            line += (f" {old['total']:.2f} | {old['total'] - old['numba']:.2f} | "
                     f"{old['numba']:.2f} | {old['total'] / prim['total']:.1f}x |")
        rows.append(row)
        print(line, flush=True)
        if opts.passes:
            top = sorted(ours["passes"].items(), key=lambda kv: -kv[1])[:6]
            print("    ours passes: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
            top = sorted(prim["passes"].items(), key=lambda kv: -kv[1])[:4]
            print("    primal passes: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    if opts.json:
        with open(opts.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

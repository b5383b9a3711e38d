"""Runner of the speed suite: our gradient against the Numba primal, a hand-written Numba
adjoint, JAX, PyTorch, HIPS autograd and tangent-ad, on the problems in
:mod:`benchmarks.problems`.

    python -m benchmarks [--quick | --smoke] [--backend numba|python] [--tools ours,hand,jax,...]
                         [--problems gmm,pendulum,...] [--out DIR]

Every tool's gradient is compared with ours before its time is reported; a mismatch is shown
instead of a time. Output: a markdown table on stdout and in DIR/results.md, DIR/results.json
and DIR/results.png (when matplotlib is importable). DIR defaults to a temporary directory.

Columns: primal ms (Numba primal only), gradient ms (best of several calls after the first),
ratio = gradient ms / Numba primal ms, cold compile s (first call minus a steady call, in this
process, with a fresh ad_compiler cache), warm start s (ours only: a NEW process that builds
``ad.grad(f)`` and times construction plus the first call, loading machine code from the
on-disk cache the cold run wrote).
"""

from __future__ import annotations

import benchmarks  # noqa: F401  (pins threads before numpy/numba/jax/torch are imported)

import argparse
import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ("ours", "ours-fastmath", "hand", "jax", "torch", "autograd", "tangent")
TOL = 1e-6             # max abs difference over max abs of our gradient
SLOW_CAP = 2000        # --quick: slow tools on loop problems run this many steps, scaled


def _flat(g):
    if not isinstance(g, (tuple, list)):
        g = (g,)
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in g])


def _err(g, ref):
    a, b = _flat(g), _flat(ref)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _bench(fn, args, budget, max_calls=50):
    """Best time (s) of several calls; the caller has already made the first call."""
    best = float("inf")
    start = time.perf_counter()
    calls = 0
    while calls < 3 or (time.perf_counter() - start < budget and calls < max_calls):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
        calls += 1
        if best > budget:
            break
    return best


def _first(fn, args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def _fd_check(primal, hand_grad, args, wrt, rng, ncoords=4, eps=1e-5):
    """Central finite differences of the primal on a few coordinates of each wrt argument
    against the hand-written adjoint (relative error, worst coordinate)."""
    if not isinstance(wrt, tuple):
        wrt, hand_grad = (wrt,), (hand_grad,)
    worst = 0.0
    gmax = float(np.max(np.abs(np.concatenate([np.ravel(v) for v in hand_grad]))))
    for slot, i in enumerate(wrt):
        a = args[i]
        if isinstance(a, np.ndarray):
            coords = rng.choice(a.size, size=min(ncoords, a.size), replace=False)
        else:
            coords = [None]
        for c in coords:
            def at(delta):
                new = list(args)
                if c is None:
                    new[i] = a + delta
                else:
                    v = a.copy()
                    v.flat[c] += delta
                    new[i] = v
                return primal(*new)
            h = eps * max(1.0, abs(a if c is None else a.flat[c]))
            fd = (at(h) - at(-h)) / (2 * h)
            g = hand_grad[slot] if c is None else np.ravel(hand_grad[slot])[c]
            worst = max(worst, abs(fd - g) / max(abs(g), 1e-3 * gmax))
    return worst


WARM_SNIPPET = r"""
import benchmarks, time, numpy as np
t0 = time.perf_counter()
import ad_compiler as ad
from benchmarks.problems import {mod} as P
t1 = time.perf_counter()
cfg = {cfg!r}
args = P.make(cfg, np.random.default_rng(0))
t2 = time.perf_counter()
g = ad.grad(P.VARIANTS[{variant!r}], wrt=P.WRT, backend="numba", fastmath={fastmath!r})
tb = time.perf_counter()
g(*args)
t3 = time.perf_counter()
g(*args)
t4 = time.perf_counter()
# first call minus a steady call = transform pipeline + cache load; tb - t2 = ad.grad(...)
print("WARM", (t3 - t2) - (t4 - t3), tb - t2, t1 - t0)
"""


def warm_start(mod, cfg, variant, fastmath, cache):
    env = dict(os.environ, AD_COMPILER_CACHE_DIR=cache,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = WARM_SNIPPET.format(mod=mod.__name__.rsplit(".", 1)[1], cfg=cfg, variant=variant,
                               fastmath=fastmath)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=600, cwd=ROOT)
    for line in r.stdout.splitlines():
        if line.startswith("WARM"):
            return tuple(float(v) for v in line.split()[1:3])
    raise RuntimeError((r.stderr or r.stdout).strip().splitlines()[-1])


def _row(problem, tool, **kw):
    row = {"problem": problem, "tool": tool, "style": "", "primal_ms": None, "grad_ms": None,
           "ratio": None, "compile_s": None, "warm_s": None, "err": None, "note": ""}
    row.update(kw)
    return row


def run_problem(mod, cfg, opts, rows):
    import ad_compiler as ad
    from numba import njit

    label = cfg["label"]
    rng = np.random.default_rng(0)
    args = mod.make(cfg, rng)
    budget = opts.budget
    numba_mode = opts.backend == "numba"
    loop_fn = next(iter(mod.VARIANTS.values()))

    # Numba primal (the baseline); python backend (smoke tests): the plain Python function.
    if numba_mode:
        primal = njit(loop_fn)
        _, t_first = _first(primal, args)
        t_primal = _bench(primal, args, budget)
        primal_compile = max(t_first - t_primal, 0.0)
    else:
        primal, t_primal, primal_compile = loop_fn, _bench(loop_fn, args, budget, 3), None
    base = _row(label, "numba primal", style="loop", primal_ms=1e3 * t_primal,
                compile_s=primal_compile if opts.first_cfg else None,
                note="" if opts.first_cfg else "compile: see first size (same code)")
    rows.append(base)

    ref = None
    ref_small = {}

    def ours_on(small_args):
        key = id(small_args)
        if key not in ref_small:
            ref_small[key] = ours_fn(*small_args)
        return ref_small[key]

    ours_fn = None
    for vname, f in mod.VARIANTS.items():
        for fm in ((False, True) if vname == "loop" else (False,)):
            tool = "ours-fastmath" if fm else "ours"
            if tool not in opts.tools:
                continue
            row = _row(label, tool, style=vname)
            rows.append(row)
            try:
                g = ad.grad(f, wrt=mod.WRT, backend=opts.backend, fastmath=fm)
                out, t_first = _first(g, args)
                if ref is None:
                    ref, ours_fn = out, g
                    row["err"] = 0.0
                else:
                    row["err"] = _err(out, ref)
                t = _bench(g, args, budget)
                row.update(grad_ms=1e3 * t, ratio=t / t_primal)
                if numba_mode and opts.first_cfg:
                    row["compile_s"] = max(t_first - t, 0.0)
                    if opts.warm and not fm:
                        try:
                            row["warm_s"], build = warm_start(mod, cfg, vname, fm, opts.cache)
                            row["note"] = f"warm: ad.grad() {build:.2f}s of it"
                        except Exception as e:  # noqa: BLE001
                            row["note"] = f"warm start failed: {e}"
                if row["err"] > TOL:
                    row["note"] = "MISMATCH vs ours (loop)"
            except Exception as e:  # noqa: BLE001
                msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                row["note"] = f"unsupported: {type(e).__name__}: {msg[:160]}"
    if ref is None:
        return

    if "hand" in opts.tools:
        hand = mod._hand if numba_mode else mod._hand.py_func
        out, t_first = _first(hand, args)
        t = _bench(hand, args, budget)
        fd = _fd_check(primal, out, args, mod.WRT, np.random.default_rng(1))
        rows.append(_row(label, "hand adjoint", style="numba", grad_ms=1e3 * t,
                         ratio=t / t_primal, err=_err(out, ref),
                         compile_s=max(t_first - t, 0.0) if numba_mode and opts.first_cfg
                         else None,
                         note=f"FD check {fd:.1e}" + (" FAILED" if fd > 1e-4 else "")))

    for tool in ("jax", "torch", "autograd", "tangent"):
        if tool not in opts.tools or not hasattr(mod, f"make_{tool}"):
            continue
        row = _row(label, tool)
        try:
            importlib.import_module(tool)
        except Exception:  # noqa: BLE001
            continue       # not installed: column skipped
        rows.append(row)
        try:
            fn, style = getattr(mod, f"make_{tool}")(cfg)
            row["style"] = style
            if tool == "jax":      # JAX dispatches asynchronously: wait for the result
                import jax
                fn = (lambda f: lambda *a: jax.block_until_ready(f(*a)))(fn)
            targs, scale = args, 1.0
            slow = tool in getattr(mod, "SLOW_TOOLS", ())
            if slow and opts.mode == "quick" and hasattr(mod, "truncate"):
                targs = mod.truncate(args, SLOW_CAP)
                scale = cfg["n"] / SLOW_CAP
                row["note"] = f"timed on {SLOW_CAP} steps, scaled x{scale:g}"
            expect = ref if targs is args else ours_on(targs)
            out, t_first = _first(fn, targs)
            row["err"] = _err(out, expect)
            if row["err"] > TOL:
                row["note"] = (row["note"] + "; " if row["note"] else "") + \
                    f"MISMATCH vs ours (err {row['err']:.1e})"
                continue
            t = t_first if (slow and t_first > budget) else _bench(fn, targs, budget)
            t *= scale
            row.update(grad_ms=1e3 * t, ratio=t / t_primal,
                       compile_s=max(t_first * scale - t, 0.0) if tool == "jax" else None)
        except Exception as e:  # noqa: BLE001
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            row["note"] = f"failed: {type(e).__name__}: {msg[:160]}"
            if opts.verbose:
                traceback.print_exc()


def _fmt(v, spec):
    return "" if v is None else format(v, spec)


def table(rows, header):
    lines = [header, "",
             "| problem | tool | style | primal ms | gradient ms | ratio to numba primal "
             "| cold compile s | warm start s | max rel err vs ours | note |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['tool']} | {r['style']} | {_fmt(r['primal_ms'], '.3g')} | "
            f"{_fmt(r['grad_ms'], '.3g') if not r['note'].startswith(('MISMATCH', 'unsupp')) else ''} | "
            f"{_fmt(r['ratio'], '.2f')} | {_fmt(r['compile_s'], '.2f')} | "
            f"{_fmt(r['warm_s'], '.2f')} | {_fmt(r['err'], '.1e')} | {r['note']} |")
    return "\n".join(lines)


def goals(rows, problems):
    """Issue 8 part 2, computed from the rows of this run."""
    out = ["", "Goals (issue 8 part 2):"]
    by = {}
    for r in rows:
        cur = by.setdefault(r["problem"], {}).get(r["tool"])
        # keep the loop form's row, but a faster working variant of ours (vectorised) wins
        if cur is None or (r["tool"] == "ours" and r["grad_ms"] is not None
                           and (cur["grad_ms"] is None or r["grad_ms"] < cur["grad_ms"])):
            by[r["problem"]][r["tool"]] = r
    loop_style = {cfg_label: mod.LOOP_STYLE for mod, cfg_label in problems}
    for label, tools in by.items():
        ours = tools.get("ours")
        if not ours or ours["grad_ms"] is None:
            out.append(f"- {label}: no gradient from ours")
            continue
        prim = tools["numba primal"]
        parts = [f"ours ({ours['style']})/primal {ours['ratio']:.2f}x"]
        hand = tools.get("hand adjoint")
        if hand and hand["grad_ms"]:
            rh = ours["grad_ms"] / hand["grad_ms"]
            parts.append(f"ours/hand {rh:.2f}x" + (
                (" [goal <=1.2: " + ("met" if rh <= 1.2 else "MISSED") + "]")
                if loop_style[label] else ""))
        jax = tools.get("jax")
        if jax and jax["grad_ms"]:
            rj = ours["grad_ms"] / jax["grad_ms"]
            parts.append(f"ours/jax {rj:.2f}x" + (
                (" [goal <=1: " + ("met" if rj <= 1.0 else "MISSED") + "]")
                if not loop_style[label] else ""))
        if ours["compile_s"] is not None and prim["compile_s"]:
            rc = ours["compile_s"] / prim["compile_s"]
            parts.append(f"compile {ours['compile_s']:.2f}s = {rc:.1f}x primal's "
                         f"[goal <=2x: {'met' if rc <= 2 else 'MISSED'}]")
        if ours["warm_s"] is not None:
            parts.append(f"warm {ours['warm_s']:.2f}s [goal <0.3: "
                         f"{'met' if ours['warm_s'] < 0.3 else 'MISSED'}]")
        out.append(f"- {label}: " + "; ".join(parts))
    return "\n".join(out)


def chart(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:  # noqa: BLE001
        return None
    probs = list(dict.fromkeys(r["problem"] for r in rows))
    tools = ["ours", "ours-fastmath", "hand adjoint", "jax", "torch", "autograd", "tangent"]
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(probs)), 4.5))
    w = 0.8 / len(tools)
    for j, tool in enumerate(tools):
        ys = []
        for p in probs:
            r = next((r for r in rows if r["problem"] == p and r["tool"] == tool
                      and r["ratio"] is not None and r["style"] != "vectorised"), None)
            ys.append(r["ratio"] if r and not r["note"].startswith("MISMATCH") else np.nan)
        ax.bar(np.arange(len(probs)) + j * w, ys, w, label=tool)
    ax.set_yscale("log")
    ax.axhline(1.0, color="k", lw=0.5)
    ax.set_xticks(np.arange(len(probs)) + 0.4, probs, rotation=15, fontsize=8)
    ax.set_ylabel("gradient time / numba primal time")
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    m = p.add_mutually_exclusive_group()
    m.add_argument("--quick", dest="mode", action="store_const", const="quick")
    m.add_argument("--smoke", dest="mode", action="store_const", const="smoke")
    p.add_argument("--backend", default="numba", choices=("numba", "python"))
    p.add_argument("--tools", default=",".join(TOOLS))
    p.add_argument("--problems", default="")
    p.add_argument("--out", default="")
    p.add_argument("--no-warm", dest="warm", action="store_false")
    p.add_argument("--verbose", action="store_true")
    opts = p.parse_args(argv)
    opts.mode = opts.mode or "full"
    opts.tools = set(opts.tools.split(","))
    opts.budget = {"full": 1.0, "quick": 0.3, "smoke": 0.01}[opts.mode]
    opts.out = opts.out or tempfile.mkdtemp(prefix="ad_compiler_bench_")
    os.makedirs(opts.out, exist_ok=True)
    # a fresh compile cache, so "cold compile" is cold; the warm-start subprocesses share it
    opts.cache = tempfile.mkdtemp(prefix="adc_cache_")
    os.environ["AD_COMPILER_CACHE_DIR"] = opts.cache
    if opts.mode == "smoke":
        opts.warm = False

    from benchmarks.problems import PROBLEMS

    if opts.backend == "numba":      # Numba's one-off start-up cost out of the first compile
        from numba import njit
        njit(lambda x: x + 1.0)(1.0)

    rows, problems = [], []
    t0 = time.perf_counter()
    wanted = set(filter(None, opts.problems.split(",")))
    for mod in PROBLEMS:
        if wanted and mod.NAME not in wanted:
            continue
        for n_cfg, cfg in enumerate(mod.configs(opts.mode)):
            opts.first_cfg = n_cfg == 0
            problems.append((mod, cfg["label"]))
            start = len(rows)
            run_problem(mod, cfg, opts, rows)
            for r in rows[start:]:
                print(f"  {r['problem']:28s} {r['tool']:14s} "
                      f"{_fmt(r['grad_ms'] or r['primal_ms'], '10.3f')} ms  {r['note']}",
                      file=sys.stderr, flush=True)
    quick_note = ("quick: GMM d=64 with n=200 instead of 1000; slow tools on loop problems "
                  "timed on a shortened run and scaled; ") if opts.mode == "quick" else ""
    header = (f"Mode {opts.mode} ({quick_note}backend {opts.backend}, float64, one thread, "
              f"numpy {np.__version__}; total {time.perf_counter() - t0:.0f} s)")
    text = table(rows, header) + "\n" + goals(rows, problems)
    print(text)
    with open(os.path.join(opts.out, "results.md"), "w") as fh:
        fh.write(text + "\n")
    with open(os.path.join(opts.out, "results.json"), "w") as fh:
        json.dump({"mode": opts.mode, "backend": opts.backend, "rows": rows}, fh, indent=1)
    png = chart(rows, os.path.join(opts.out, "results.png"))
    print(f"\nwritten: {opts.out}/results.md, results.json" + (", results.png" if png else ""))
    bad = [r for r in rows if "MISMATCH" in r["note"] or "FAILED" in r["note"]]
    return 1 if bad else 0

"""Command line: ``python -m ad_compiler demo`` and ``python -m ad_compiler show FILE:FUNC``
(``--ir STAGE`` prints the IR after a pass of the reverse-mode pipeline)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

DEMO_SOURCE = '''\
import math


def damped_energy(x, k, steps):
    """Energy of a particle in a damped spring after `steps` explicit Euler steps."""
    v = 0.0
    dt = 0.01
    for i in range(steps):
        force = -k * x - 0.1 * v
        if x > 0.0:
            force = force - 0.5 * math.sin(x)
        v = v + dt * force
        x = x + dt * v
    return 0.5 * v * v + 0.5 * k * x * x
'''


def _load_user_function(spec: str):
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SystemExit(f"expected FILE.py:FUNCTION, got {spec!r}")
    module_spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"{path} has no function {name!r}") from None


def central_difference(f, args, i, h=1e-6):
    lo, hi = list(args), list(args)
    lo[i] -= h
    hi[i] += h
    return (f(*hi) - f(*lo)) / (2 * h)


def demo(backend: str) -> int:
    import ad_compiler as ad

    path = Path.home() / ".cache" / "ad_compiler" / "demo_module.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != DEMO_SOURCE:
        path.write_text(DEMO_SOURCE)
    f = _load_user_function(f"{path}:damped_energy")
    print("The function (a loop and a branch):\n")
    print(DEMO_SOURCE)
    d = ad.grad(f, wrt=(0, 1), backend=backend)
    print(f"Its reverse-mode derivative, as generated (backend={backend!r}):\n")
    print(d.source)
    args = (1.3, 2.0, 500)
    start = time.perf_counter()
    gx, gk = d(*args)
    first = time.perf_counter() - start
    fd = [central_difference(f, args, i) for i in (0, 1)]
    print(f"gradient at x={args[0]}, k={args[1]}, steps={args[2]} "
          f"(first call, compile included: {first:.2f} s)")
    print(f"{'':>6} {'ad_compiler':>22} {'finite differences':>22} {'rel. error':>11}")
    worst = 0.0
    for name, g, ref in zip(("d/dx", "d/dk"), (gx, gk), fd):
        err = abs(g - ref) / max(1e-12, abs(ref))
        worst = max(worst, err)
        print(f"{name:>6} {g:22.12g} {ref:22.12g} {err:11.2e}")
    ok = worst < 1e-5
    print("\nagreement:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


def show(args) -> int:
    import ad_compiler as ad
    from ad_compiler.frontend import build_ir

    from ad_compiler.frontend.printer import format_dot
    from ad_compiler.functional import ForwardFunction

    f = _load_user_function(args.target)
    wrt = tuple(int(w) for w in args.wrt.split(",")) if args.wrt else 0
    checkpoint = args.checkpoint if args.checkpoint in (None, "auto") else int(args.checkpoint)
    if args.ir not in (None, "primal"):
        return show_stages(f, wrt, args.ir, checkpoint)
    if args.ir or args.dot:
        ir = build_ir(f)
        print(format_dot(ir) if args.dot else ir)
        return 0
    if args.mode == "forward":
        print(ForwardFunction(f, wrt, backend="python").source)
    else:
        print(ad.grad(f, wrt=wrt, backend="python", checkpoint=checkpoint).source)
    return 0


STAGES = ("primal", "hoisted", "segmented", "adjoint", "cleaned", "all")


def show_stages(f, wrt, stage: str, checkpoint=None) -> int:
    """Print the IR after one pass of the reverse-mode pipeline (or after each, ``all``)."""
    import ad_compiler as ad
    from ad_compiler.transforms.reverse import reverse_stages

    d = ad.grad(f, wrt=wrt, backend="python")
    primal = d.stage_for(None).special          # specialised to the assumed kinds
    stages = [("primal", primal), *reverse_stages(primal, d.wrt, checkpoint=checkpoint,
                                                  restart_whiles=True)]
    for name, fn in stages:
        if stage in (name, "all"):
            print(f"# --- {name} ---\n{fn}" if stage == "all" else fn)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ad_compiler",
                                     description="Source-transformation AD for Python")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="differentiate a function with a loop and a branch")
    p_demo.add_argument("--backend", default="numba", choices=["numba", "python"])
    p_show = sub.add_parser("show", help="print the generated derivative of FILE.py:FUNCTION")
    p_show.add_argument("target", metavar="FILE.py:FUNCTION")
    p_show.add_argument("--wrt", default=None, help="comma-separated argument positions")
    p_show.add_argument("--mode", default="reverse", choices=["reverse", "forward"])
    p_show.add_argument("--ir", nargs="?", const="primal", default=None, choices=STAGES,
                        help="print the IR instead: the SSA IR of the function (primal, the "
                             "default), or after a pass of reverse mode (hoisted, adjoint, "
                             "cleaned), or all of them")
    p_show.add_argument("--checkpoint", default=None, metavar="C|auto",
                        help="reverse mode re-runs long loops in segments of C iterations")
    p_show.add_argument("--dot", action="store_true", help="print the SSA IR as Graphviz DOT")
    args = parser.parse_args(argv)
    from ad_compiler.errors import DifferentiationError

    try:
        return demo(args.backend) if args.command == "demo" else show(args)
    except DifferentiationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

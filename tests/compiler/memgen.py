"""Random array programs written the way NumPy and Numba users write them, and their check.

``program(seed)`` writes a function ``f(x, y, s)`` (``x`` of shape (5,), ``y`` (3, 5), ``s`` a
float) that mixes scalars, 1-D and 2-D arrays, element and slice reads and writes, views
written through (``v = a[1:4]``, ``a[::-1]``, rows and columns of ``m``), aliases
(``c = a``, ``a = x``: writes reach the caller's array), buffer swaps, helpers that write into
their arguments (called as statements) or return new arrays, branches, ``for`` loops and
data-dependent ``while`` loops inside them.

``check(source, backend)`` compares, for that program, reverse mode (value, gradient with
respect to ``x``, ``y`` and ``s``, and the caller's arrays afterwards) and forward mode (value
and one directional derivative) against calling ``f`` and central differences. Programs at a
kink or a jump (two step sizes disagree) are skipped, as are programs whose value is not
finite. Outcomes: ``ok``, ``wrong``, ``refused`` (``ad.DifferentiationError``), ``crash`` (any
other exception: a bug in the compiler), ``skipped``.

Run many outside CI: ``python tests/compiler/memgen.py 5000 [backend [first [wave1]]]`` prints
the counts (``wave1``: the first wave's programs, without the idioms added since).
"""
from __future__ import annotations

import collections
import importlib.util
import itertools
import math
import os
import random
import re
import sys
import tempfile

import numpy as np

HELPERS = '''
def _scale_into(w, k):
    w[0] = w[0] * k
    w[1] += 0.5 * math.sin(k)


def _fresh(w, k):
    return np.tanh(w) * k
'''
SLICES2 = ["0:2", "1:3", "3:5", "4:2:-1", "-2:"]
VIEWS = [("a[1:4]", 3), ("a[::-1]", 5), ("b[::2]", 3), ("m[1]", 5), ("m[:, 2]", 3),
         ("a[:, None]", None)]


class _Gen:
    def __init__(self, seed: int, idioms: bool = True):
        self.r = random.Random(seed)
        self.idioms = idioms   # False: the first wave's generator, draw for draw
        self.names = itertools.count()
        self.loop_vars: list[str] = []

    def pick(self, options):
        return self.r.choice(options)

    def index(self, n=5):
        options = [str(k) for k in range(n)] + ["-1"]
        options += [f"{v} % {n}" for v in self.loop_vars] + \
            [f"({v} + 1) % {n}" for v in self.loop_vars]
        return self.pick(options)

    def atom(self):
        return self.pick(["t", "u", "s", f"a[{self.index()}]", f"b[{self.index()}]",
                          f"m[{self.index(3)}, {self.index()}]", "np.sum(a) * 0.2",
                          "np.sum(b * a) * 0.1", f"np.sum(m[{self.index(3)}]) * 0.1"])

    def scalar(self, depth=0):
        if depth > 1 or self.r.random() < 0.4:
            return self.atom()
        a, b = self.scalar(depth + 1), self.scalar(depth + 1)
        return self.pick([f"(0.5 * {a} + 0.3 * math.sin({b}))", f"({a} * {b} * 0.2)",
                          f"math.tanh({a})", f"(0.7 * {a} - 0.2 * math.cos({b}))"])

    def array(self):
        return self.pick(["np.sin(a)", "a * b", f"a * {self.atom()}", "b[::-1] * 0.9",
                          "np.tanh(a) * 0.5 + b * 0.5", f"m[{self.index(3)}] * 0.5",
                          f"_fresh(a, {self.atom()})"])

    def block(self, depth, indent):
        lines = []
        for _ in range(self.r.randint(1, 3)):
            lines += self.statement(depth, indent)
        return lines

    def idiom(self, depth, indent):
        """Idioms of array code the first wave's generator did not write: a sweep into a
        fresh buffer per iteration that the name then moves to, rebinding to a fresh array
        then writing it, and in-place updates of whole arrays."""
        pad = "    " * indent
        kind = self.r.randint(0, 3)
        name = self.pick(["a", "b"])
        if kind == 0:
            v, j = f"v{next(self.names)}", f"j{next(self.names)}"
            fresh = self.pick([f"np.empty_like({name})", f"{name}.copy()",
                               f"np.zeros_like({name})", f"np.copy({name})"])
            lines = [f"{pad}{v} = {fresh}", f"{pad}{v}[0] = {name}[0]",
                     f"{pad}{v}[4] = {name}[4] * {self.scalar()}",
                     f"{pad}for {j} in range(1, 4):",
                     f"{pad}    {v}[{j}] = 0.5 * ({name}[{j} - 1] + {name}[{j} + 1]) * "
                     f"{self.pick(['0.9', 's', 't'])}",
                     f"{pad}{name} = {v}"]
            if self.r.random() < 0.6 and depth < 2:
                i = f"i{next(self.names)}"
                lines = [f"{pad}for {i} in range({self.pick(['2', '3'])}):"] + \
                    ["    " + line for line in lines]
            return lines
        if kind == 1:
            return [f"{pad}{name} = {self.array()}",
                    f"{pad}{name}[{self.index()}] {self.pick(['=', '+='])} {self.scalar()}"]
        if kind == 2:
            op = self.pick(["*=", "+=", "-="])
            rhs = self.pick(["0.9", "s", f"0.2 * {self.scalar()}", "0.1 * b", "0.1 * a"])
            return [f"{pad}{self.pick(['a', 'b', 'm', 'x'])} {op} {rhs}"]
        return [f"{pad}{name} *= {self.pick(['0.9', 's'])}", f"{pad}{name} += 0.5"]

    def statement(self, depth, indent):
        pad = "    " * indent
        if self.idioms and self.r.random() < 0.15:
            return self.idiom(depth, indent)
        kind = self.r.randint(0, 19 if depth < 2 else 12)
        if kind == 0:
            return [f"{pad}t = {self.scalar()}"]
        if kind == 1:
            return [f"{pad}u = u * 0.9 + 0.1 * {self.scalar()}"]
        if kind == 2:
            return [f"{pad}{self.pick(['a', 'b'])}[{self.index()}] = {self.scalar()}"]
        if kind == 3:
            return [f"{pad}{self.pick(['a', 'b'])}[{self.index()}] += 0.3 * {self.scalar()}"]
        if kind == 4:
            return [f"{pad}m[{self.index(3)}, {self.index()}] = {self.scalar()}"]
        if kind == 5:
            return [f"{pad}{self.pick(['a', 'b'])}[{self.pick(SLICES2)}] = "
                    f"{self.pick(['a', 'b'])}[{self.pick(SLICES2)}] * {self.scalar()}"]
        if kind == 6:
            return [f"{pad}{self.pick(['a', 'b'])} = {self.array()}"]
        if kind == 7:
            return [f"{pad}t = t + 0.1 * np.sum({self.array()})"]
        if kind == 8:
            view, n = self.pick(VIEWS)
            v = f"v{next(self.names)}"
            write = f"{v}[{self.r.randrange(n)}] = {self.scalar()}" if n else \
                f"{v}[{self.index()}, 0] = {self.scalar()}"
            return [f"{pad}{v} = {view}", f"{pad}{write}"]
        if kind == 9:
            c = f"c{next(self.names)}"
            return [f"{pad}{c} = {self.pick(['a', 'b'])}",
                    f"{pad}{c}[{self.index()}] = {self.scalar()}"]
        if kind == 10:
            return [f"{pad}a, b = b, a"]
        if kind == 11:
            return [f"{pad}_scale_into({self.pick(['a', 'b', 'm[1]'])}, {self.atom()})"]
        if kind == 12:
            return [f"{pad}m[{self.index(3)}] = {self.pick(['a * 0.5', self.scalar()])}"]
        if kind == 13:
            return [f"{pad}{self.pick(['a', 'b'])}[:] = {self.array()}"]
        if kind == 14:
            return [f"{pad}m = m * 0.9 + 0.1 * np.cos(m)"]
        if kind in (15, 16):
            cond = self.pick([f"{self.scalar()} > 0.3"] + [f"{v} % 2 == 0"
                                                            for v in self.loop_vars])
            lines = [f"{pad}if {cond}:"] + self.block(depth + 1, indent + 1)
            if self.r.random() < 0.5:
                lines += [f"{pad}else:"] + self.block(depth + 1, indent + 1)
            return lines
        if kind in (17, 18):
            i = f"i{next(self.names)}"
            self.loop_vars.append(i)
            body = self.block(depth + 1, indent + 1)
            self.loop_vars.pop()
            return [f"{pad}for {i} in range({self.pick(['2', '3'])}):"] + body
        k = f"k{next(self.names)}"
        return [f"{pad}{k} = 0", f"{pad}while {k} < 3 and t < 2.0:",
                f"{pad}    t = t + 0.4 + 0.1 * math.tanh({self.atom()})",
                f"{pad}    {k} += 1"] + self.block(depth + 1, indent + 1)


def program(seed: int, idioms: bool = True) -> str:
    """The source of random program number ``seed`` (a module defining ``f``); ``idioms``
    False: the first wave's program of that number."""
    g = _Gen(seed, idioms)
    lines = ["import math", "import numpy as np", HELPERS, "", "def f(x, y, s):",
             f"    a = {g.pick(['x * 1.0', 'x', 'np.copy(x)'])}",
             f"    b = {g.pick(['np.sin(x) * 0.5', 'np.zeros(5)', 'np.zeros_like(x) + 0.25'])}",
             f"    m = {g.pick(['y * 1.0', 'y.copy()', 'y'])}",
             "    t = s * 0.5", "    u = 0.1"]
    lines += g.block(0, 1)
    lines.append("    return t + u + 0.1 * np.sum(a * a) + 0.2 * np.sum(b) "
                 "+ 0.05 * np.sum(m * m)")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- checking
_DIR = tempfile.mkdtemp(prefix="memgen_")
_loaded = itertools.count()


def load(source: str):
    path = os.path.join(_DIR, f"memgen_{next(_loaded)}.py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def _args():
    rng = np.random.default_rng(7)
    return (rng.uniform(-1.0, 1.0, 5), rng.uniform(-1.0, 1.0, (3, 5)), 0.7)


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _fd(f, args, i, h):
    a = args[i]
    if not isinstance(a, np.ndarray):
        plus, minus = list(_copies(args)), list(_copies(args))
        plus[i], minus[i] = a + h, a - h
        return (f(*plus) - f(*minus)) / (2 * h)
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = list(_copies(args)), list(_copies(args))
        plus[i][idx] += h
        minus[i][idx] -= h
        g[idx] = (f(*plus) - f(*minus)) / (2 * h)
    return g


def _close(got, want, tol):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and float(np.max(np.abs(got - want), initial=0.0)) <= \
        tol * max(1.0, float(np.max(np.abs(want), initial=0.0)))


def check(source: str, backend: str = "python") -> tuple[str, str]:
    """(outcome, detail) for one program; see the module docstring."""
    import ad_compiler as ad

    f = load(source)
    args = _args()
    after = _copies(args)
    with np.errstate(all="ignore"):
        try:
            value = f(*after)
        except Exception as exc:   # the program itself fails: not a program to check
            return "skipped", f"f raises {type(exc).__name__}"
        if not math.isfinite(value) or abs(value) > 1e6:
            return "skipped", "value not finite"
        fds = []
        for i in range(3):
            g1, g2 = _fd(f, args, i, 1e-6), _fd(f, args, i, 1e-5)
            if not _close(g1, g2, 1e-4):
                return "skipped", "not smooth here"
            fds.append(g1)
    try:
        call = _copies(args)
        got, grads = ad.value_and_grad(f, wrt=(0, 1, 2), backend=backend)(*call)
        if not _close(got, value, 1e-10):
            return "wrong", f"reverse value {got} != {value}"
        for name, g, fd in zip("xys", grads, fds):
            if not _close(g, fd, 1e-5):
                return "wrong", f"gradient wrt {name}: {g} != {fd}"
        for name, c, a in zip("xy", call, after):
            if not _close(c, a, 1e-12):
                return "wrong", f"caller's {name} after the call: {c} != {a}"
        rng = np.random.default_rng(3)
        tangents = (rng.standard_normal(5), rng.standard_normal((3, 5)), 0.6)
        out, t_out = ad.jvp(f, _copies(args), tangents, backend=backend)
        want = sum(float(np.sum(fd * t)) for fd, t in zip(fds, tangents))
        if not _close(out, value, 1e-10):
            return "wrong", f"forward value {out} != {value}"
        if not _close(t_out, want, 1e-5):
            return "wrong", f"jvp {t_out} != {want}"
    except Exception as exc:
        return failure(exc)
    return "ok", ""


def failure(exc) -> tuple[str, str]:
    """(outcome, detail) of an exception the compiler raised on a program: a refusal (a
    DifferentiationError) or a crash (a compile error, anything else)."""
    from ad_compiler import DifferentiationError

    if isinstance(exc, DifferentiationError) and type(exc).__name__ != "CompilationError":
        return "refused", _reason(exc)
    return "crash", f"{type(exc).__name__}: {str(exc)[:300]}"


def report(outcome_of, first: int, n: int):
    """Run ``outcome_of(seed)`` for seeds ``first .. first + n - 1``, printing each failure
    as it comes, a tally every 50 seeds and the refusals and skips by reason."""
    total, why = collections.Counter(), collections.Counter()
    for seed in range(first, first + n):
        outcome, detail = outcome_of(seed)
        total[outcome] += 1
        if outcome in ("refused", "skipped"):
            why[f"{outcome}: {re.sub(r'[0-9.e-]+', 'N', detail)[:120]}"] += 1
        elif outcome != "ok":
            print(f"seed {seed}: {outcome}: {detail}", flush=True)
        if (seed - first + 1) % 50 == 0:
            print(f"after {seed - first + 1}: {dict(total)}", flush=True)
    print(dict(total))
    for reason, k in why.most_common():
        print(f"  {k:5d}  {reason}")


def _reason(exc) -> str:
    """A refusal's construct and message with the user's names left out: refusals of one
    kind count together."""
    message = re.sub(r"'[^']*'", "'.'", str(exc).split(" in function ")[0])
    return f"{exc.construct}: {message[:110]}"


def run(count: int, backend: str = "python", start: int = 0, verbose=True, idioms=True):
    """Check programs ``start .. start + count - 1``; returns the outcome counts, the
    reasons for refusals and the first few failures."""
    counts, reasons, failures = collections.Counter(), collections.Counter(), []
    for seed in range(start, start + count):
        outcome, detail = check(program(seed, idioms), backend)
        counts[outcome] += 1
        if outcome in ("refused", "skipped"):
            reasons[f"{outcome}: {detail}"] += 1
        elif outcome != "ok":
            failures.append((seed, outcome, detail))
            if verbose:
                print(f"seed {seed}: {outcome}: {detail}", flush=True)
    return counts, reasons, failures


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    backend = sys.argv[2] if len(sys.argv) > 2 else "python"
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    idioms = not (len(sys.argv) > 4 and sys.argv[4] == "wave1")   # wave1: the old programs
    total, why = collections.Counter(), collections.Counter()
    for chunk in range(first, first + n, 100):   # a tally every 100 programs
        counts, reasons, _ = run(min(100, first + n - chunk), backend, start=chunk,
                                 idioms=idioms)
        total.update(counts)
        why.update(reasons)
        print(f"after {sum(total.values())}: {dict(total)}", flush=True)
    for reason, k in why.most_common():
        print(f"  {k:5d}  {reason}")

"""Random control flow over containers of parameters: nested loops with break, continue and
early returns, while loops with breaks, helpers with early returns and helpers writing into
slices of their arguments, parameters in a dict and a tuple.

``program(seed)`` writes ``f(p, t, x, n)``: ``p = {"w": (3,), "b": float}``,
``t = (a (3,), c float)``, ``x`` (4,), ``n`` an int (3).

``check(source, backend, hessian)`` compares value_and_grad (wrt p, t, x), jvp and (with
``hessian``) ad.hessian wrt x against central differences.  Outcomes as in memgen.py.

    python tests/compiler/cfgen.py N [backend [first [hessian]]]
"""
from __future__ import annotations

import itertools
import math
import random
import sys

import numpy as np

import memgen

HELPERS = '''
def _clip_add(v, k):
    if k > 0.5:
        v[0] += 0.3 * k
    else:
        v[-1] = v[-1] * 0.8 + 0.1 * k


def _first_big(v, k):
    for i in range(v.shape[0]):
        if v[i] > k:
            return v[i] * 0.5
    return k * 0.25


def _smooth(v):
    out = np.empty_like(v)
    out[0] = v[0]
    for i in range(1, v.shape[0]):
        out[i] = 0.6 * out[i - 1] + 0.4 * v[i]
    return out
'''


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.names = itertools.count()
        self.loop_vars = []
        self.scalars = ["acc", "b", "c"]

    def pick(self, xs):
        return self.r.choice(xs)

    def idx(self, n):
        opts = [str(self.r.randrange(n)), "-1"] + [f"{v} % {n}" for v in self.loop_vars] + \
            [f"({v} + 1) % {n}" for v in self.loop_vars]
        return self.pick(opts)

    def atom(self):
        return self.pick(self.scalars + [f"w[{self.idx(3)}]", f"a[{self.idx(3)}]",
                                         f"y[{self.idx(4)}]", f"x[{self.idx(4)}]",
                                         "np.sum(w * a)", "np.sum(y) * 0.25", "0.5", "1.3",
                                         "p['b']", "t[1]", "np.max(y)", "np.dot(w, a)"])

    def expr(self, d=0):
        if d > 1 or self.r.random() < 0.35:
            return self.atom()
        a, b = self.expr(d + 1), self.expr(d + 1)
        return self.pick([f"({a} + {b})", f"({a} * {b})", f"({a} - 0.5 * {b})",
                          f"math.sin({a})", f"np.tanh({a})", f"({a} / (1.0 + {b} * {b}))",
                          f"max({a}, {b})", f"({a} if {a} > {b} else 0.3 * {b})",
                          f"_first_big(y, {a})", f"math.exp(0.3 * math.tanh({a}))"])

    def cond(self):
        return self.pick([f"{self.expr(1)} > {self.expr(1)}", f"{self.atom()} > 0.2",
                          f"{self.atom()} < -0.1 or {self.atom()} > 0.8",
                          f"not ({self.atom()} > 0.0)"] +
                         [f"{v} % 2 == 1" for v in self.loop_vars] +
                         [f"{v} == n - 1" for v in self.loop_vars])

    def stmt(self, depth, ind, lines, in_loop):
        pad = "    " * ind
        k = self.r.randint(0, 17 if depth < 3 else 8)
        if k <= 2:
            v = self.pick(["acc", "acc", "c", "b"])
            op = self.pick(["+=", "=", "-="])
            e = self.expr()
            lines.append(f"{pad}{v} {op} {'0.3 * np.tanh(' + e + ')' if op != '=' else 'np.tanh(' + e + ')'}")
        elif k == 3:
            lines.append(f"{pad}y[{self.idx(4)}] {self.pick(['=', '+='])} 0.5 * np.tanh({self.expr()})")
        elif k == 4:
            lines.append(f"{pad}w[{self.idx(3)}] {self.pick(['=', '+=', '*='])} "
                         f"{self.pick(['0.9', '0.5 * np.tanh(' + self.expr() + ')'])}")
        elif k == 5:
            lines.append(f"{pad}_clip_add({self.pick(['y[1:]', 'y[::2]', 'w', 'a[:2]', 'y'])}, {self.expr(1)})")
        elif k == 6:
            lines.append(f"{pad}y = {self.pick(['_smooth(y)', 'y * 0.9 + 0.1 * np.sin(y)', 'np.tanh(y) + c * 0.1'])}")
        elif k == 7:
            lines.append(f"{pad}a = a * {self.pick(['0.9', 'np.tanh(b)', '(1.0 + 0.1 * c)'])}")
        elif k == 8 and in_loop:
            lines.append(f"{pad}if {self.cond()}:")
            lines.append(f"{pad}    {self.pick(['break', 'continue'])}")
        elif k in (9, 10):
            lines.append(f"{pad}if {self.cond()}:")
            self.block(depth + 1, ind + 1, lines, in_loop)
            if self.r.random() < 0.5:
                if self.r.random() < 0.4:
                    lines.append(f"{pad}elif {self.cond()}:")
                    self.block(depth + 1, ind + 1, lines, in_loop)
                lines.append(f"{pad}else:")
                self.block(depth + 1, ind + 1, lines, in_loop)
        elif k in (11, 12, 13):
            i = f"i{next(self.names)}"
            rng = self.pick(["range(n)", "range(3)", "range(1, 4)", "range(n - 1, -1, -1)",
                             "range(0, 4, 2)"])
            lines.append(f"{pad}for {i} in {rng}:")
            self.loop_vars.append(i)
            self.block(depth + 1, ind + 1, lines, True)
            self.loop_vars.pop()
        elif k == 14:
            lines.append(f"{pad}if {self.cond()}:")
            lines.append(f"{pad}    return {self.ret()}")
        elif k == 15:
            c = f"k{next(self.names)}"
            lines.append(f"{pad}{c} = 0")
            lines.append(f"{pad}while {c} < 4 and {self.pick(['acc < 2.0', 'c > -3.0', 'True'])}:")
            lines.append(f"{pad}    {c} += 1")
            self.loop_vars.append(c)
            self.block(depth + 1, ind + 1, lines, True)
            self.loop_vars.pop()
        elif k == 16:
            i, v = f"i{next(self.names)}", f"e{next(self.names)}"
            lines.append(f"{pad}for {i}, {v} in enumerate({self.pick(['w', 'a', 'y[1:]'])}):")
            lines.append(f"{pad}    acc += 0.2 * {v} * {self.atom()}")
            self.loop_vars.append(i)
            if self.r.random() < 0.5:
                lines.append(f"{pad}    if {self.cond()}:")
                lines.append(f"{pad}        {self.pick(['break', 'continue'])}")
            self.loop_vars.pop()
        else:
            lines.append(f"{pad}acc += 0.1 * {self.expr()}")

    def block(self, depth, ind, lines, in_loop):
        for _ in range(self.r.randint(1, 3) if depth else self.r.randint(4, 7)):
            self.stmt(depth, ind, lines, in_loop)

    def ret(self):
        return f"acc + 0.3 * c + 0.2 * b + 0.1 * np.sum(np.tanh(y)) + 0.1 * np.sum(w * a)"


def program(seed: int) -> str:
    g = Gen(seed)
    lines = ["import math", "import numpy as np", HELPERS, "", "def f(p, t, x, n):",
             "    w = " + g.pick(["p['w']", "p['w'] * 1.0", "p['w'].copy()"]),
             "    b = p['b']",
             "    a, c = t",
             f"    y = {g.pick(['x', 'x.copy()', 'x * 1.0', 'np.sin(x)'])}",
             "    acc = 0.0"]
    g.block(0, 1, lines, False)
    lines.append(f"    return {g.ret()}")
    return "\n".join(lines) + "\n"


def args():
    rng = np.random.default_rng(5)
    p = {"w": rng.uniform(-1, 1, 3), "b": 0.4}
    t = (rng.uniform(-1, 1, 3), -0.3)
    return p, t, rng.uniform(-1, 1, 4), 3


def _flat(p, t, x):
    return np.concatenate([p["w"], [p["b"]], t[0], [t[1]], x])


def _unflat(v):
    return {"w": v[0:3].copy(), "b": float(v[3])}, (v[4:7].copy(), float(v[7])), v[8:12].copy()


def _call(f, v, n):
    p, t, x = _unflat(v)
    return f(p, t, x, n)


def _fd(f, v, n, h):
    g = np.zeros_like(v)
    for i in range(v.size):
        e = np.zeros_like(v)
        e[i] = h
        g[i] = (_call(f, v + e, n) - _call(f, v - e, n)) / (2 * h)
    return g


def check(source: str, backend: str = "python", hessian: bool = False):
    import ad_compiler as ad

    f = memgen.load(source)
    p, t, x, n = args()
    v = _flat(p, t, x)
    with np.errstate(all="ignore"):
        try:
            value = float(_call(f, v, n))
        except Exception as exc:
            return "skipped", f"f raises {type(exc).__name__}: {exc}"[:120]
        if not math.isfinite(value) or abs(value) > 1e6:
            return "skipped", "value not finite"
        g1, g2 = _fd(f, v, n, 1e-6), _fd(f, v, n, 1e-5)
        if not memgen._close(g1, g2, 1e-4):
            return "skipped", "not smooth here"
    try:
        p1, t1, x1 = _unflat(v)
        got, (gp, gt, gx) = ad.value_and_grad(f, wrt=(0, 1, 2), backend=backend)(p1, t1, x1, n)
        if not memgen._close(got, value, 1e-10):
            return "wrong", f"reverse value {got} != {value}"
        flat = np.concatenate([gp["w"], [gp["b"]], gt[0], [gt[1]], gx])
        if not memgen._close(flat, g1, 1e-5):
            return "wrong", f"gradient {flat} != {g1}"
        p2, t2, x2 = _unflat(v)
        f(p2, t2, x2, n)
        if not (memgen._close(p1["w"], p2["w"], 1e-12) and memgen._close(x1, x2, 1e-12)):
            return "wrong", "caller's arrays after the call"
        rng = np.random.default_rng(2)
        d = rng.standard_normal(v.size)
        tp, tt, tx = _unflat(d)
        out, t_out = ad.jvp(f, _unflat(v) + (n,), (tp, tt, tx, None), backend=backend)
        if not memgen._close(out, value, 1e-10):
            return "wrong", f"forward value {out} != {value}"
        if not memgen._close(t_out, float(g1 @ d), 1e-5):
            return "wrong", f"jvp {t_out} != {g1 @ d}"
        if hessian:
            H = ad.hessian(f, wrt=2, backend=backend)(*_unflat(v), n)
            gx_of = ad.grad(f, wrt=2, backend=backend)
            fdh = np.zeros((4, 4))
            for i in range(4):
                e = np.zeros(v.size)
                e[8 + i] = 1e-5
                fdh[:, i] = (gx_of(*_unflat(v + e), n) - gx_of(*_unflat(v - e), n)) / 2e-5
            if not memgen._close(H, fdh, 1e-4):
                return "wrong", f"hessian {H} != {fdh}"
    except Exception as exc:
        return memgen.failure(exc)
    return "ok", ""


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    backend = sys.argv[2] if len(sys.argv) > 2 else "python"
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    hess = len(sys.argv) > 4 and sys.argv[4] == "hessian"
    memgen.report(lambda seed: check(program(seed), backend, hess), first, n)

"""Random NumPy array programs: typed expression trees with broadcasting, axis reductions,
matmul, reshape/transpose views, integer index arrays, masks, np.where/np.maximum, in-place
writes into fresh buffers and views of them, helpers writing into slices, loops and branches.

``program(seed)`` writes ``f(x, y, z, s, idx)``: ``x`` (4,), ``y`` (3, 4), ``z`` (3, 1) floats,
``s`` a float, ``idx`` an int64 array (3,) with values in 0..3.  Every expression's shape is
known to the generator.

``check(source, backend, hvp)`` compares value_and_grad (wrt x, y, z, s), jvp and (with
``hvp``) ad.hvp against central differences.  Outcomes as in memgen.py.

    python tests/compiler/npgen.py N [backend [first [hvp]]]
"""
from __future__ import annotations

import itertools
import math
import sys

import numpy as np

import memgen

HELPERS = '''
def _into(w, v):
    w[1:] = w[1:] * 0.5 + v
    w[0] += 0.1


def _rows(m, k):
    m[0] = m[0] * k
    m[:, 1] += 0.2 * k


def _squash(v):
    return np.tanh(v) * 0.8
'''

S = ()
V4, V3, M34, M43, C31, R14, V12, M33 = (4,), (3,), (3, 4), (4, 3), (3, 1), (1, 4), (12,), (3, 3)
SHAPES = [S, V4, V3, M34, M43, C31, R14, M33]


def broadcasts_to(a, t):
    if len(a) > len(t):
        return False
    for da, dt in zip(reversed(a), reversed(t)):
        if da != 1 and da != dt:
            return False
    return True


class Gen:
    def __init__(self, seed):
        self.r = random_ = __import__("random").Random(seed)
        self.names = itertools.count()
        self.env = {"x": V4, "y": M34, "z": C31, "s": S}
        self.loop_vars = []
        del random_

    def pick(self, xs):
        return self.r.choice(xs)

    def vars_of(self, shape):
        return [n for n, sh in self.env.items() if sh == shape]

    def const(self):
        return self.pick(["0.5", "0.3", "1.2", "-0.7", "0.9"])

    def leaf(self, t):
        names = self.vars_of(t)
        if names and self.r.random() < 0.8:
            return self.pick(names)
        if t == S:
            return self.pick(["s", self.const(), "x[1]", "y[2, 3]", "z[0, 0]"])
        # a broadcast of something smaller, or a constructor
        small = [n for n, sh in self.env.items() if sh != t and broadcasts_to(sh, t)]
        if small and self.r.random() < 0.7:
            return f"({self.pick(small)} + np.zeros({t}))"
        return f"np.full({t}, {self.const()})"

    def expr(self, t, d=0):
        if d > 3 or self.r.random() < 0.15 + 0.1 * d:
            return self.leaf(t)
        k = self.r.randint(0, 13)
        e = lambda sh: self.expr(sh, d + 1)  # noqa: E731
        if k == 0:
            fn = self.pick(["np.sin", "np.cos", "np.tanh", "_squash", "np.arctan"])
            return f"{fn}({e(t)})"
        if k == 1:
            fn = self.pick(["np.exp(0.5 * np.tanh({}))", "np.sqrt({0} * {0} + 0.5)",
                            "np.log(1.0 + {0} * {0})", "np.square({})", "1.0 / (1.0 + np.exp(-{}))",
                            "np.clip({}, -0.8, 0.8)", "np.abs({}) ** 1.5", "np.cbrt({0} * {0} + 1.0)"])
            a = e(t)
            return "(" + fn.replace("{0}", a).replace("{}", a) + ")"
        if k in (2, 3):
            others = [sh for sh in SHAPES if broadcasts_to(sh, t)]
            b = self.pick(others)
            l, r = e(t), e(b)
            if self.r.random() < 0.5:
                l, r = r, l
            op = self.pick(["+", "-", "*", "*", "/"])
            if op == "/":
                return f"({l} / (1.0 + {r} * {r}))"
            return f"({l} {op} {r})"
        if k == 4:
            others = [sh for sh in SHAPES if broadcasts_to(sh, t)]
            fn = self.pick(["np.maximum", "np.minimum", "np.hypot", "np.arctan2", "np.fmax"])
            a, b = e(t), e(self.pick(others))
            if fn in ("np.hypot",):
                return f"{fn}({a}, {b} + 0.5)"
            if fn == "np.arctan2":
                return f"{fn}({a}, 2.0 + {b} * {b})"
            return f"{fn}({a}, {b})"
        if k == 5:
            others = [sh for sh in SHAPES if broadcasts_to(sh, t)]
            c1, c2 = e(self.pick(others)), e(self.pick(others))
            return f"np.where({c1} > {c2}, {e(t)}, {e(self.pick(others))})"
        if k == 6:
            return self.reduction(t, d)
        if k == 7:
            return self.matmul(t, d)
        if k == 8:
            return self.reshape(t, d)
        if k == 9:
            return self.index(t, d)
        if k == 10 and t != S:
            ax = self.r.randrange(len(t))
            fn = self.pick([f"np.cumsum({{}}, axis={ax})", "np.flip({})", f"np.roll({{}}, 1, axis={ax})",
                            f"np.sort({{}}, axis={ax})", f"np.cumprod(0.5 + 0.2 * {{}}, axis={ax})"])
            return fn.replace("{}", e(t))
        if k == 11 and t in (V4, V3):
            n = t[0]
            form = self.pick(["cat", "stackrow", "append"])
            if form == "cat":
                return f"np.concatenate([{e(V3)}[:{n - 2}], {e(V4)}[2:]])"
            if form == "append":
                return f"np.append({e(V3)}[:{n - 1}], {e(S)})"
            return f"np.array([{e(S)}, {', '.join(e(S) for _ in range(n - 1))}])"
        if k == 11 and t in (M34, M43):
            if t == M34:
                return f"np.stack([{e(V4)}, {e(V4)}, {e(V4)}])"
            return f"np.stack([{e(V4)}, {e(V4)}, {e(V4)}], axis=1)"
        if k == 12 and t == S:
            src = self.pick([V4, M34, V3])
            a = e(src)
            return self.pick([f"np.sum({a}[{a} > 0.1])", f"np.sum(np.where({a} > 0.0, {a}, 0.0))",
                              f"np.linalg.norm({a})", f"np.mean({a} ** 2)", f"np.var({a})",
                              f"np.std({a} + 0.0)", f"np.einsum('i,i->', {a}.ravel(), {a}.ravel())",
                              f"np.sum(np.cumsum({a}.ravel())[::2])", f"np.trace(np.outer({a}.ravel(), {a}.ravel()))",
                              f"np.sum(np.diff({a}.ravel()) ** 2)", f"np.average({a}.ravel()[:3], weights=np.array([1.0, 2.0, 3.0]))"])
        if k == 13:
            return f"({e(t)} * {e(S)})"
        return self.leaf(t)

    def reduction(self, t, d):
        e = lambda sh: self.expr(sh, d + 1)  # noqa: E731
        fn = self.pick(["np.sum", "np.mean", "np.max", "np.min", "np.prod", "np.var", "np.std",
                        "np.linalg.norm", "np.amax", ".sum", ".mean", ".max"])

        def call(a, axis_kw):
            if fn.startswith("."):
                return f"{a}{fn}({axis_kw[2:]})" if axis_kw else f"{a}{fn}()"
            if fn == "np.prod":
                return f"np.prod(0.6 + 0.3 * np.tanh({a}){axis_kw})"
            return f"{fn}({a}{axis_kw})"

        if t == S:
            return call(e(self.pick([V4, M34, M43, V3])), "")
        if t == V3:
            src, ax = self.pick([(M34, 1), (M43, 0), (M33, 1), (M33, 0)])
            return call(e(src), self.pick([f", axis={ax}", f", axis=-{2 - ax}"]))
        if t == V4:
            src, ax = self.pick([(M34, 0), (M43, 1)])
            return call(e(src), f", axis={ax}")
        if t == C31:
            return call(e(M34), ", axis=1, keepdims=True")
        if t == R14:
            return call(e(M34), ", axis=0, keepdims=True")
        return self.leaf(t)

    def matmul(self, t, d):
        e = lambda sh: self.expr(sh, d + 1)  # noqa: E731
        if t == S:
            return self.pick([f"np.dot({e(V4)}, {e(V4)})", f"({e(V3)} @ {e(V3)})",
                              f"({e(V3)} @ {e(M34)} @ {e(V4)})"])
        if t == V3:
            return self.pick([f"({e(M34)} @ {e(V4)})", f"np.dot({e(M33)}, {e(V3)})",
                              f"({e(V4)} @ {e(M43)})"])
        if t == V4:
            return self.pick([f"({e(V3)} @ {e(M34)})", f"({e(M43)} @ {e(V3)})"])
        if t == M34:
            return self.pick([f"({e(M33)} @ {e(M34)})", f"np.outer({e(V3)}, {e(V4)})",
                              f"np.matmul({e(M33)}, {e(M34)})"])
        if t == M43:
            return f"({e(M43)} @ {e(M33)})"
        if t == M33:
            return self.pick([f"({e(M34)} @ {e(M43)})", f"({e(M34)} @ {e(M34)}.T)",
                              f"np.einsum('ij,kj->ik', {e(M34)}, {e(M34)})",
                              f"np.linalg.inv(np.eye(3) * 2.0 + 0.3 * np.tanh({e(M33)}))",
                              f"np.linalg.solve(np.eye(3) * 2.0 + 0.3 * np.tanh({e(M33)}), {e(M33)})"])
        if t == C31:
            return f"({e(M34)} @ {e(V4)}[:, None])"
        return self.leaf(t)

    def reshape(self, t, d):
        e = lambda sh: self.expr(sh, d + 1)  # noqa: E731
        if t == M34:
            return self.pick([f"{e(M43)}.T", f"np.transpose({e(M43)})", f"{e(M43)}.reshape(3, 4)",
                              f"{e(M34)}.ravel().reshape(3, 4)", f"np.swapaxes({e(M43)}, 0, 1)",
                              f"np.reshape({e(M43)}.T.ravel(), (3, 4))"])
        if t == M43:
            return self.pick([f"{e(M34)}.T", f"{e(M34)}.reshape(4, 3)", f"{e(M34)}.reshape(-1, 3)"])
        if t == C31:
            return self.pick([f"{e(V3)}[:, None]", f"{e(V3)}.reshape(3, 1)",
                              f"np.expand_dims({e(V3)}, 1)", f"{e(V3)}[:, np.newaxis]"])
        if t == R14:
            return self.pick([f"{e(V4)}[None, :]", f"{e(V4)}.reshape(1, -1)", f"{e(V4)}[np.newaxis]"])
        if t == V4:
            return self.pick([f"{e(R14)}.ravel()", f"{e(R14)}[0]", f"np.squeeze({e(R14)}, axis=0)",
                              f"{e(M34)}.ravel()[2:6]"])
        if t == V3:
            return self.pick([f"{e(C31)}[:, 0]", f"{e(C31)}.ravel()", f"np.diag({e(M33)})",
                              f"{e(M33)}.trace() + {e(V3)}"])
        if t == M33:
            return self.pick([f"{e(M33)}.T", f"np.tril({e(M33)})", f"np.triu({e(M33)}, 1)",
                              f"{e(M34)}[:, :3]", f"{e(M43)}[1:]"])
        return self.leaf(t)

    def index(self, t, d):
        e = lambda sh: self.expr(sh, d + 1)  # noqa: E731
        i3 = self.pick(["0", "1", "2", "-1"] + [f"{v} % 3" for v in self.loop_vars])
        i4 = self.pick(["0", "1", "3", "-2"] + [f"{v} % 4" for v in self.loop_vars])
        if t == S:
            return self.pick([f"{e(V4)}[{i4}]", f"{e(M34)}[{i3}, {i4}]", f"{e(V3)}[{i3}]",
                              f"{e(C31)}[{i3}, 0]"])
        if t == V3:
            return self.pick([f"{e(V4)}[1:]", f"{e(V4)}[:3]", f"{e(M34)}[:, {i4}]", f"{e(V4)}[idx]",
                              f"np.take({e(V4)}, idx)", f"{e(V4)}[::-1][:3]", f"{e(M34)}[:, idx][{i3}]",
                              f"{e(M34)}[idx % 3, idx]", f"{e(V3)}[idx % 3]"])
        if t == V4:
            return self.pick([f"{e(M34)}[{i3}]", f"{e(V4)}[::-1]", f"{e(M43)}[:, {i3}]",
                              f"{e(M34)}[idx % 3][{i3}]", f"{e(V4)}[[0, 2, 1, 3]]"])
        if t == M34:
            return self.pick([f"{e(M34)}[::-1]", f"{e(M34)}[:, ::-1]", f"{e(M34)}[idx]",
                              f"{e(M34)}[[2, 0, 1]]", f"{e(M43)}[idx % 4].T[:, [0, 1, 2, 0]].T.T"])
        if t == M43:
            return self.pick([f"{e(M43)}[:, idx]", f"{e(M43)}[::-1, :]"])
        if t == M33:
            return f"{e(M34)}[:, idx]"
        if t == C31:
            return self.pick([f"{e(M34)}[:, 1:2]", f"{e(M34)}[:, -1:]"])
        if t == R14:
            return self.pick([f"{e(M34)}[1:2]", f"{e(M34)}[idx[0]:idx[0] + 1]"])
        return self.leaf(t)

    # ---- statements
    def new(self, t, code, lines, pad):
        n = f"v{next(self.names)}"
        lines.append(f"{pad}{n} = {code}")
        self.env[n] = t
        return n

    def buffers(self):
        return [n for n, sh in self.env.items() if (n.startswith("w") or n in "xy") and sh != S]

    def statement(self, depth, indent, lines):
        pad = "    " * indent
        k = self.r.randint(0, 16 if depth < 2 else 9)
        if k <= 2:
            t = self.pick(SHAPES)
            self.new(t, self.expr(t), lines, pad)
            return
        if k == 3:   # a fresh buffer
            t = self.pick([V4, M34, M33, V3])
            n = f"w{next(self.names)}"
            init = self.pick([f"np.zeros({t})", f"{self.expr(t)}.copy()", f"np.ones({t}) * 0.5",
                              f"np.empty({t})"])
            if init.startswith("np.empty"):
                lines.append(f"{pad}{n} = {init}")
                lines.append(f"{pad}{n}[...] = {self.expr(t, 2)}" if self.r.random() < 0.1 else
                             f"{pad}{n}[:] = {self.expr(t, 2)}")
            else:
                lines.append(f"{pad}{n} = {init}")
            if depth == 0:
                self.env[n] = t
            return
        bufs = self.buffers()
        if k in (4, 5, 6) and bufs:
            n = self.pick(bufs)
            t = self.env[n]
            op = self.pick(["=", "+=", "-=", "*="])
            if t == V4:
                tgt, sh = self.pick([("[1:]", V3), ("[:3]", V3), ("[::-1]", V4), ("[idx]", V3),
                                     ("[0]", S), ("[-1]", S), ("[1:3]", (2,)), ("[::2]", (2,))])
            elif t == V3:
                tgt, sh = self.pick([("[idx % 3]", V3), ("[1]", S), ("[:]", V3)])
            elif t == M34:
                tgt, sh = self.pick([("[1]", V4), ("[:, 2]", V3), ("[idx % 3]", M34), ("[1:, 1:]", M33),
                                     ("[0, 0]", S), ("[:, idx]", M33), ("[y > 0.3]", None),
                                     ("[idx % 3, idx]", V3)])
            else:
                tgt, sh = self.pick([("[0]", V3), ("[:, 1]", V3), ("[1, 2]", S), ("[idx % 3]", M33),
                                     ("[np.arange(3), np.arange(3)]", V3)])
            if sh is None:
                rhs = self.expr(S, 2)
            elif sh == (2,):
                rhs = f"{self.expr(V4, 2)}[:2]"
            else:
                rhs = self.expr(self.pick([b for b in SHAPES if broadcasts_to(b, sh)]), 2)
            if op == "*=":
                rhs = f"(1.0 + 0.3 * np.tanh({rhs}))"
            lines.append(f"{pad}{n}{tgt} {op} {rhs}")
            return
        if k == 7 and bufs:   # a view written through
            n = self.pick(bufs)
            t = self.env[n]
            view = {V4: ["[1:]", "[::-1]", "[::2]"], V3: ["[::-1]", "[:2]"],
                    M34: ["[1]", "[:, 1]", ".T", "[1:, ::2]", ".reshape(4, 3)", "[None]"],
                    M33: [".T", "[:, 0]", "[1:]"]}[t]
            v = f"u{next(self.names)}"
            lines.append(f"{pad}{v} = {n}{self.pick(view)}")
            lines.append(f"{pad}{v}{self.pick(['[0]', '[-1]', '[:]'])} "
                         f"{self.pick(['+=', '*=', '='])} {self.expr(S, 2)}")
            return
        if k == 8 and bufs and self.r.random() < 0.4:   # scatters
            n = self.pick(bufs)
            t = self.env[n]
            if t == V4:
                lines.append(f"{pad}np.add.at({n}, idx, {self.expr(self.pick([S, V3]), 2)})")
                return
            if t == M34:
                lines.append(f"{pad}np.add.at({n}, (idx % 3, idx), {self.expr(S, 2)})")
                return
        if k == 8 and bufs:   # helpers writing into arguments
            n = self.pick(bufs)
            t = self.env[n]
            if t == V4:
                lines.append(f"{pad}_into({n}, {self.expr(self.pick([S, V3]), 2)})")
            elif t in (M34, M33):
                lines.append(f"{pad}_rows({n}, {self.expr(S, 2)})")
            elif t == V3:
                lines.append(f"{pad}_into({n}[::-1], {self.expr(S, 2)})")
            return
        if k == 9:
            names = [n for n in self.env if n != "s" and self.env[n] != S]
            n = self.pick(names)
            t = self.env[n]
            if n.startswith("w") or n in "xy":
                lines.append(f"{pad}{n} {self.pick(['+=', '-=', '*='])} "
                             f"0.5 * np.tanh({self.expr(self.pick([b for b in SHAPES if broadcasts_to(b, t)]), 2)})")
            else:
                lines.append(f"{pad}{n} = {n} * 0.9 + 0.1 * {self.expr(t, 2)}")
            return
        if k in (10, 11):   # branch
            cond = self.pick([f"{self.expr(S, 2)} > 0.2", f"np.any({self.expr(V4, 2)} > 0.5)",
                              f"idx[{self.r.randrange(3)}] == 1"] +
                             [f"{v} % 2 == 0" for v in self.loop_vars])
            lines.append(f"{pad}if {cond}:")
            self.block(depth + 1, indent + 1, lines)
            if self.r.random() < 0.5:
                lines.append(f"{pad}else:")
                self.block(depth + 1, indent + 1, lines)
            return
        if k in (12, 13):   # loop
            i = f"i{next(self.names)}"
            rng = self.pick(["range(3)", "range(1, 4)", "range(idx[0], 3)", "range(2, -1, -1)"])
            lines.append(f"{pad}for {i} in {rng}:")
            self.loop_vars.append(i)
            self.block(depth + 1, indent + 1, lines)
            if self.r.random() < 0.3:
                lines.append(f"{pad}    if {self.expr(S, 3)} > 0.6:")
                lines.append(f"{pad}        {self.pick(['break', 'continue'])}")
            self.loop_vars.pop()
            return
        if k == 14:   # accumulate a scalar
            acc = self.vars_of(S)
            acc = [a for a in acc if a != "s"]
            if acc:
                a = self.pick(acc)
                lines.append(f"{pad}{a} = {a} + 0.2 * np.tanh({self.expr(S, 1)})")
                return
        if k == 15:   # while with break
            c = f"c{next(self.names)}"
            a = f"q{next(self.names)}"
            lines.append(f"{pad}{a} = {self.expr(S, 2)}")
            lines.append(f"{pad}{c} = 0")
            lines.append(f"{pad}while {a} < 1.5:")
            lines.append(f"{pad}    {a} = {a} + 0.3 + 0.1 * np.tanh({self.expr(S, 2)})")
            lines.append(f"{pad}    {c} += 1")
            lines.append(f"{pad}    if {c} > 6:")
            lines.append(f"{pad}        break")
            if depth == 0:
                self.env[a] = S
            return
        if k == 16:   # tuple of arrays
            t = self.pick([V4, M34])
            p = f"p{next(self.names)}"
            lines.append(f"{pad}{p} = ({self.expr(t, 2)}, {self.expr(S, 2)})")
            self.new(t, f"{p}[0] * {p}[1]", lines, pad)
            return
        t = self.pick(SHAPES)
        self.new(t, self.expr(t), lines, pad)

    def block(self, depth, indent, lines):
        saved = dict(self.env)
        start = len(lines)
        for _ in range(self.r.randint(4, 8) if depth == 0 else self.r.randint(1, 3)):
            self.statement(depth, indent, lines)
        if depth > 0:
            # names made inside a nested block are not defined on every path
            for n in list(self.env):
                if n not in saved:
                    del self.env[n]
        if len(lines) == start:
            lines.append("    " * indent + "pass")


def program(seed: int) -> str:
    g = Gen(seed)
    lines = ["import math", "import numpy as np", HELPERS, "", "def f(x, y, z, s, idx):"]
    g.block(0, 1, lines)
    parts = []
    for n, sh in g.env.items():
        if n == "s":
            continue
        w = round(g.r.uniform(0.1, 0.5), 2)
        parts.append(f"{w} * np.sum(np.tanh({n}))" if sh != S else f"{w} * np.tanh({n})")
    lines.append("    return s * 0.1 + " + " + ".join(parts))
    return "\n".join(lines) + "\n"


def args():
    rng = np.random.default_rng(11)
    return (rng.uniform(-1, 1, 4), rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 1)), 0.6,
            np.array([2, 0, 3], dtype=np.int64))


def check(source: str, backend: str = "python", hvp: bool = False):
    import ad_compiler as ad

    f = memgen.load(source)
    a = args()
    after = memgen._copies(a)
    with np.errstate(all="ignore"):
        try:
            value = f(*after)
        except Exception as exc:
            return "skipped", f"f raises {type(exc).__name__}: {exc}"[:120]
        if not np.isscalar(value) and np.ndim(value) != 0:
            return "skipped", "not scalar"
        value = float(value)
        if not math.isfinite(value) or abs(value) > 1e6:
            return "skipped", "value not finite"
        fds = []
        for i in range(4):
            g1, g2 = memgen._fd(f, a, i, 1e-6), memgen._fd(f, a, i, 1e-5)
            if not memgen._close(g1, g2, 1e-4):
                return "skipped", "not smooth here"
            fds.append(g1)
    try:
        call = memgen._copies(a)
        got, grads = ad.value_and_grad(f, wrt=(0, 1, 2, 3), backend=backend)(*call)
        if not memgen._close(got, value, 1e-10):
            return "wrong", f"reverse value {got} != {value}"
        for name, g, fd in zip("xyzs", grads, fds):
            if not memgen._close(g, fd, 1e-5):
                return "wrong", f"gradient wrt {name}: {g} != {fd}"
        for name, c, b in zip("xyz", call, after):
            if not memgen._close(c, b, 1e-12):
                return "wrong", f"caller's {name} after the call"
        rng = np.random.default_rng(3)
        tangents = (rng.standard_normal(4), rng.standard_normal((3, 4)), rng.standard_normal((3, 1)),
                    0.6, None)
        out, t_out = ad.jvp(f, memgen._copies(a), tangents, backend=backend)
        want = sum(float(np.sum(fd * t)) for fd, t in zip(fds, tangents[:4]))
        if not memgen._close(out, value, 1e-10):
            return "wrong", f"forward value {out} != {value}"
        if not memgen._close(t_out, want, 1e-5):
            return "wrong", f"jvp {t_out} != {want}"
        if hvp:
            v = rng.standard_normal(4)
            hv = ad.hvp(f, wrt=0, backend=backend)(*memgen._copies(a), v)
            gx = ad.grad(f, wrt=0, backend=backend)
            h = 1e-5
            plus, minus = list(memgen._copies(a)), list(memgen._copies(a))
            plus[0] = plus[0] + h * v
            minus[0] = minus[0] - h * v
            fdh = (gx(*plus) - gx(*minus)) / (2 * h)
            plus[0] = a[0] + 2 * h * v
            minus[0] = a[0] - 2 * h * v
            fdh2 = (gx(*plus) - gx(*minus)) / (4 * h)
            if memgen._close(fdh, fdh2, 1e-4) and not memgen._close(hv, fdh, 1e-4):
                return "wrong", f"hvp {hv} != {fdh}"
    except Exception as exc:
        return memgen.failure(exc)
    return "ok", ""


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    backend = sys.argv[2] if len(sys.argv) > 2 else "python"
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    hvp = len(sys.argv) > 4 and sys.argv[4] == "hvp"
    memgen.report(lambda seed: check(program(seed), backend, hvp), first, n)

"""The index checks written into generated source (backends/index_checks.py), which the numba
backend compiles with Numba's own checks off.

The property, on random loop programs of the shapes the emitter prints (range loops with
any start, stop and step, nested and triangular, affine indices with negative terms, 2-D
arrays, reads and writes, branches, while loops, tape counters, gathers through int
arrays): run on arrays that, like Numba's unchecked code, read 0.0 and drop writes out of
bounds instead of raising, the rewritten program either raises IndexError exactly where the
plain program raises IndexError (before any unchecked access), or returns the plain
program's result with no access out of bounds. The plain program runs on NumPy arrays
(Python's checks): the reference.
"""

import random

import numpy as np
import pytest

from ad_compiler.backends import helpers as _rt
from ad_compiler.backends.index_checks import add_index_checks
from tests.parallel._parallel_programs import raises_in_prange

VIOLATIONS = []


class Unchecked(np.ndarray):
    """An array with Numba's unchecked semantics: an index out of bounds reads 0.0 and a
    write there is dropped, and both are recorded (what must never happen)."""

    def __getitem__(self, idx):
        try:
            return super().__getitem__(idx)
        except IndexError:
            VIOLATIONS.append(idx)
            return 0.0

    def __setitem__(self, idx, value):
        try:
            super().__setitem__(idx, value)
        except IndexError:
            VIOLATIONS.append(idx)


_BOUNDS = ["0", "1", "2", "n", "n - 1", "m", "-1", "x.shape[0]", "y.shape[1]", "n + m"]
_STEPS = ["", ", 1", ", 2", ", -1", ", -2", ", 3"]


class Program:
    """A random function ``f(x, y, idx, n, m)`` returning a float (``x`` 1-D, ``y`` 2-D,
    ``idx`` an int array)."""

    def __init__(self, rng, parallel=False):
        self.rng, self.lines, self.loops, self.fresh = rng, [], [], 0
        self.made = []          # (index expression, loop variables it reads) made so far
        self.parallel = parallel      # the outermost loops are prange loops

    def index(self, vars_):
        rng = self.rng
        in_scope = [text for text, used in self.made if used <= set(vars_)]
        if in_scope and rng.random() < 0.3:      # an index made before (branches reuse it)
            return rng.choice(in_scope)
        used = [v for v in vars_ if rng.random() < 0.7]
        terms = [f"{rng.choice([1, 1, 2, -1])} * {v}" for v in used]
        terms.append(str(rng.choice([0, 0, 1, -1, 2])))
        if rng.random() < 0.2:
            terms.append(rng.choice(["n", "-n", "m"]))
        self.made.append((" + ".join(terms), frozenset(used)))
        return self.made[-1][0]

    def access(self, vars_, depth):
        rng, ind = self.rng, "    " * depth
        r = rng.random()
        if r < 0.35:
            self.lines.append(f"{ind}s = s + x[{self.index(vars_)}]")
        elif r < 0.55:
            self.lines.append(f"{ind}s = s + y[{self.index(vars_)}, {self.index(vars_)}]")
        elif r < 0.65:
            t = f"_t{self.fresh}"
            self.fresh += 1
            self.lines.append(f"{ind}{t} = {self.index(vars_)}")
            self.lines.append(f"{ind}x[{t}] = s * 0.5")
        elif r < 0.75:
            self.lines.append(f"{ind}s = s + x[idx[{self.index(vars_)}]]")
        elif r < 0.85:
            self.lines.append(f"{ind}s = s + x[k]")
            self.lines.append(f"{ind}k = k {rng.choice(['+', '-'])} 1")
        elif r < 0.93:
            self.lines.append(f"{ind}if s > 0.5:")
            self.lines.append(f"{ind}    s = s + x[{self.index(vars_)}]")
        else:
            self.lines.append(f"{ind}s = s + (y[{self.index(vars_)}, 0] if s > 0.7 else 0.0)")

    def block(self, vars_, depth):
        rng, ind = self.rng, "    " * depth
        for _ in range(rng.randint(1, 3)):
            r = rng.random()
            if r < 0.5 or depth > 2:
                self.access(vars_, depth)
            elif r < 0.8:
                v = f"i{depth}"
                if vars_ and rng.random() < 0.3:
                    bounds = rng.choice([vars_[-1], f"{vars_[-1]} + 1", f"1, {vars_[-1]}"])
                else:
                    bounds = f"{rng.choice(_BOUNDS)}, {rng.choice(_BOUNDS)}{rng.choice(_STEPS)}"
                loop = "prange" if self.parallel and depth == 1 else "range"
                self.lines.append(f"{ind}for {v} in {loop}({bounds}):")
                self.block(vars_ + [v], depth + 1)
            elif r < 0.9:           # a tape's push: its while test bounds the position
                c = f"c{depth}"
                self.lines.append(f"{ind}{c} = {rng.choice(['0', '1'])}")
                self.lines.append(f"{ind}while (s < 4.0) & ({c} < len(x)):")
                self.lines.append(f"{ind}    s = s + x[{c}] + 0.5")
                self.lines.append(f"{ind}    {c} = {c} + {rng.choice(['1', '2'])}")
                if rng.random() < 0.5:
                    self.lines.append(f"{ind}    s = s + x[{c}]")
            else:
                w = f"w{depth}"
                self.lines.append(f"{ind}{w} = {rng.choice(['0', 'n'])}")
                self.lines.append(f"{ind}while {w} < n + 1 and {w} > -3:")
                self.access(vars_ + [w], depth + 1)
                self.lines.append(f"{ind}    {w} = {w} + {rng.choice(['1', '-1', '2'])}")

    def source(self):
        self.block([], 1)
        body = "\n".join(self.lines)
        return f"def f(x, y, idx, n, m):\n    s = 0.25\n    k = 0\n{body}\n    return s\n"


def _run(source, args, array_type):
    namespace = {"np": np, "_rt": _rt, "prange": range}
    exec(compile(source, "<generated>", "exec"), namespace)
    args = [a.copy().view(array_type) if isinstance(a, np.ndarray) else a for a in args]
    try:
        return "ok", namespace["f"](*args), args
    except IndexError:
        return "IndexError", None, args


def _arguments(rng):
    nrng = np.random.default_rng(rng.randint(0, 10**6))
    x = nrng.uniform(0.0, 1.0, rng.randint(1, 7))
    y = nrng.uniform(0.0, 1.0, (rng.randint(1, 5), rng.randint(1, 5)))
    idx = nrng.integers(-len(x) - 1, len(x) + 1, rng.randint(1, 6))
    return x, y, idx, rng.randint(-1, 6), rng.randint(-1, 6)


@pytest.mark.parametrize("seed, parallel", [(s, False) for s in range(8)] +
                         [(1000 + s, True) for s in range(4)])
def test_random_programs_fail_exactly_where_numpy_fails(seed, parallel):
    """With ``parallel``, the outermost loops are ``prange`` (run serially here, as the
    property needs): no raise is left in their bodies (Numba would run them serially), a
    failed check skips its access, and the program raises IndexError after the loop
    exactly when NumPy raises."""
    rng = random.Random(seed)
    for _ in range(40):
        source = Program(rng, parallel).source()
        checked = add_index_checks(source)
        assert not raises_in_prange(checked), checked
        for _ in range(4):
            args = _arguments(rng)
            want, value, _ = _run(source, args, np.ndarray)
            VIOLATIONS.clear()
            got, result, out = _run(checked, args, Unchecked)
            assert not VIOLATIONS, (source, checked, args)
            assert got == want, (source, checked, args)
            if want == "ok":
                assert result == pytest.approx(value), (source, checked, args)


def test_prange_checks_are_flags_raised_after_the_loop():
    source = ("def f(x, idx, n):\n    s = 0.0\n    for i in prange(n):\n"
              "        for j in range(i):\n            s = s + x[i] * x[j]\n"
              "        if s > 0:\n            s = s + x[idx[i]]\n"
              "        s = s + (x[i + 1] if s > 1 else 0.0)\n    return s\n")
    checked = add_index_checks(source)
    assert not raises_in_prange(checked), checked
    lines = checked.splitlines()
    # the entry check of the (triangular) inner loop skips the loop; the gather's index is
    # checked, then moved into a temporary that is checked in turn, then read
    assert sum(ln.strip() == "_oob_n1 += 1" for ln in lines) == 3, checked
    at = lines.index("                    s = s + x[_oob_i4]")
    assert lines[at - 5:at - 1] == ["                _oob_i4 = idx[i]",
                                    "                if _rt.index_bad(x, 0, _oob_i4):",
                                    "                    _oob_bad2 = True",
                                    "                    _oob_n1 += 1"], checked
    # a conditional read: the flagged helper reads element 0 and records the failure
    assert "_rt.flagged_index(x, 0, i + 1, _oob_flags3)" in checked, checked
    assert lines[-3:] == ["    if _oob_n1 or _oob_flags3[0]:",
                          "        raise IndexError('index is out of bounds')", "    return s"]


def test_range_loop_gets_one_entry_check_and_no_per_access_check():
    source = ("def f(x, b_x, n):\n    s = 0.0\n    for i in range(n):\n"
              "        s = s + x[2 * i + 1]\n    for i in range(n - 1, -1, -1):\n"
              "        b_x[2 * i + 1] += s\n    return s\n")
    checked = add_index_checks(source)
    # one statement before each loop, its guard (the loop runs) an argument: no ``if``
    assert checked.count("_rt.require_indices(") == 2 and checked.count("for i in") == 2
    assert checked.index("_rt.require_indices((0 < n), x, 0, ") < checked.index("for i in")
    assert " if " not in checked and "raise" not in checked
    assert "x[2 * i + 1]" in checked and "b_x[2 * i + 1] += s" in checked


def test_gathers_branches_and_while_loops_are_checked_per_access():
    source = ("def f(x, idx, n, q):\n    s = 0.0\n    for i in range(n):\n"
              "        if s > 0:\n            s = s + x[i]\n        s = s + x[idx[i]]\n"
              "    k = 0\n    while k < n:\n        s = s + x[k] + x[q]\n        k = k + 1\n"
              "    return s\n")
    checked = add_index_checks(source).splitlines()
    # an int index under an if, or of a while loop: compared just before its statement
    at = checked.index("            s = s + x[i]")
    assert checked[at - 1] == "            _rt.require_indices(True, x, 0, i, i)"
    at = checked.index("        s = s + x[k] + x[_rt.checked_index(x, 0, q)]")
    assert checked[at - 1] == "        _rt.require_indices(True, x, 0, k, k)"
    # a gather, and a parameter that may be an index array: the helper checks them
    assert "        s = s + x[_rt.checked_index(x, 0, idx[i])]" in checked


def test_lines_and_comments_are_kept():
    source = ("def f(x, n):\n    # line 3: s = 0.0\n    s = 0.0\n    # line 4: loop\n"
              "    for i in range(n):\n        s = s + x[i] * x[-1]\n    return s\n")
    checked = add_index_checks(source)
    assert [ln for ln in checked.splitlines() if "# line" in ln] == \
        [ln for ln in source.splitlines() if "# line" in ln]
    assert checked.splitlines()[-3:] == source.splitlines()[-3:]


def test_an_adjoint_of_a_parameters_shape_is_checked_as_the_parameter():
    """``b_x = _rt.zeros_like(x)`` (its only binding, ``x`` a parameter nothing rebinds)
    has ``x``'s shape: its check in a nest is ``x``'s, made once beside ``x``'s own."""
    body = ("    s = 0.0\n    for i in range(n):\n        s = s + x[i]\n"
            "        b_x[i] += s\n    return s, b_x\n")
    twin = add_index_checks("def f(x, n):\n    b_x = _rt.zeros_like(x)\n" + body)
    assert "_rt.require_indices((0 < n), x, 0, 0, (n - 1))" in twin
    assert twin.count("_rt.require_indices(") == 1 and "b_x, 0" not in twin
    for other in ("    b_x = _rt.zeros_like(x)\n    b_x = y\n",        # rebound
                  "    b_x = _rt.zeros_like(x)\n    x = y\n",          # x rebound
                  "    b_x = _rt.zeros_like(y[0])\n"):                 # not a parameter
        checked = add_index_checks("def f(x, y, n):\n" + other + body)
        assert "b_x, 0, 0, (n - 1)" in checked, checked


@pytest.mark.numba
def test_require_indices_raises_only_under_its_condition():
    numba = pytest.importorskip("numba")

    @numba.njit(boundscheck=False)
    def g(x, y, lo, hi, when):
        _rt.require_indices(when, x, 0, lo, hi, y, 1, lo, hi)
        return 1

    x, y = np.zeros(4), np.zeros((2, 3))
    for lo, hi, when, ok in [(0, 2, True, True), (-3, 2, True, True), (0, 3, True, False),
                             (-4, 0, True, False), (0, 3, False, True), (5, 9, False, True)]:
        for run in (g, g.py_func):
            if ok:
                assert run(x, y, lo, hi, when) == 1
            else:
                with pytest.raises(IndexError):
                    run(x, y, lo, hi, when)


def test_a_branch_reads_what_its_loops_checks_prove():
    """``if x[k] > m: m = x[k]``: the test's check of ``x`` over the loop proves the
    branch's read (the same index over the same range); a read the loop does not check
    stays checked where it is made."""
    source = ("def f(x, n):\n    m = x[0]\n    for k in range(1, n):\n"
              "        if x[k] > m:\n            m = x[k] + x[k + 1]\n    return m\n")
    checked = add_index_checks(source)
    assert checked.count("_rt.require_indices(") == 3, checked
    assert "_rt.require_indices((1 < n), x, 0, 1, (n - 1))" in checked
    assert "            _rt.require_indices(True, x, 0, (k + 1), (k + 1))" in checked


def test_a_check_made_earlier_proves_a_later_one():
    """The reverse sweep indexes what the forward sweep did: its checks go, unless a name
    they read changed between (here ``n``) or the earlier one ran in a block the later one
    is not in (a branch)."""
    forward = "    for i in range(n):\n        s = s + x[i]\n"
    reverse = "    for i in range(n - 1, -1, -1):\n        b_x[i] += s\n"
    head = "def f(x, n):\n    b_x = _rt.zeros_like(x)\n    s = 0.0\n"
    checked = add_index_checks(head + forward + reverse + "    return b_x\n")
    assert checked.count("_rt.require_indices(") == 1, checked
    branch = "    if s > 0:\n        for i in range(n):\n            s = s + x[i]\n"
    for before in (forward + "    n = n + 1\n", branch):
        checked = add_index_checks(head + before + reverse + "    return b_x\n")
        assert checked.count("_rt.require_indices(") == 2, checked


def test_a_while_test_proves_its_tape_push_and_a_shape_is_not_checked():
    source = ("def f(x, tol):\n    _t1 = x.shape\n    n = _t1[0]\n    _tape = _rt.tape(16, 0.0)\n"
              "    _k = 0\n    s = x[0]\n    while (s > tol) & (_k < len(_tape)):\n"
              "        _tape[_k] = s\n        s = s * 0.5\n        _k = _k + 1\n"
              "        _tape[_k] = s\n    return s + n\n")
    checked = add_index_checks(source).splitlines()
    loop = checked.index("    while (s > tol) & (_k < len(_tape)):")
    assert checked[loop + 1] == "        _tape[_k] = s"       # 0 <= _k < len(_tape) here
    at = checked.index("        _tape[_k] = s", checked.index("        _k = _k + 1"))
    assert checked[at - 1] == "        _rt.require_indices(True, _tape, 0, _k, _k)"  # moved on
    assert "    n = _t1[0]" in checked and not any("_t1, 0" in ln for ln in checked)

"""Lines of the generated adjoint against a hand-written one, on the typical functions of
:mod:`benchmarks.typical` (the golden tests' functions).

Counted: non-blank, non-comment lines of the function, its ``def`` and ``return``
included, docstrings excluded; for ours, the ``*_vjp`` function that ``ad.grad(f).source``
shows (python backend), which also computes the function's value. Each hand adjoint is
first checked against ours at the golden tests' sample arguments.

    python -m benchmarks.bench_lines [--suite]

``--suite`` also totals the generated adjoint lines of ``grad`` over the reverse-mode test
suite (tests/compiler/rev_cases.py: every case with float arguments), the figure that
Numba's compile time follows (about 4 ms a line).
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap

import numpy as np

import ad_compiler as ad
from benchmarks import hand_adjoints
from benchmarks.problems import kepler, rosenbrock
from benchmarks.typical import CASES, sample_args

GOAL = 1.5


def code_lines(source: str) -> int:
    """Non-blank, non-comment lines of the first function in ``source``, less its
    docstring."""
    tree = ast.parse(textwrap.dedent(source))
    fn = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef))
    doc = set()
    if ast.get_docstring(fn) is not None:
        doc = set(range(fn.body[0].lineno, fn.body[0].end_lineno + 1))
    lines = textwrap.dedent(source).splitlines()
    return sum(1 for n, line in enumerate(lines, 1)
               if n >= fn.lineno and n <= fn.end_lineno and n not in doc
               and line.strip() and not line.strip().startswith("#"))


def _hand(name):
    """(hand adjoint, whether it returns the value first)."""
    if name == "rosenbrock":
        return rosenbrock._hand.py_func, False
    if name == "kepler":
        return kepler._hand.py_func, False
    return getattr(hand_adjoints, f"{name}_vjp"), True


def _copied(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def measure():
    rows = []
    for name, (f, wrt) in CASES.items():
        d = ad.grad(f, wrt=wrt, backend="python")
        ours = code_lines(d.source[d.source.index(f"def {f.__name__}_vjp("):])
        hand, with_value = _hand(name)
        args = sample_args(name, np.random.default_rng(0))
        got = d(*_copied(args))
        got = got if isinstance(wrt, tuple) else (got,)
        expected = hand(*_copied(args))
        expected = expected[1:] if with_value else (
            expected if isinstance(expected, tuple) else (expected,))
        err = max(float(np.max(np.abs(np.asarray(g) - np.asarray(e))))
                  for g, e in zip(got, expected))
        rows.append((name, ours, code_lines(inspect.getsource(hand)), err))
    return rows


def suite_lines() -> tuple[int, int]:
    """(cases, generated adjoint lines) of ``grad`` over the reverse-mode test suite."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests",
                                    "compiler"))
    from fdcheck import float_positions
    from rev_cases import CASES as SUITE

    cases = total = 0
    for case in SUITE:
        if case.xfail or not float_positions(case.args):
            continue
        d = ad.grad(case.fn, wrt=tuple(float_positions(case.args)), backend="python")
        source = d.source_of(d.prepare(case.args))
        total += code_lines(source[source.index(f"def {case.fn.__name__}_vjp("):])
        cases += 1
    return cases, total


def main():
    if "--suite" in sys.argv:
        cases, total = suite_lines()
        print(f"reverse suite: {total} generated adjoint lines over {cases} functions\n")
    rows = measure()
    print("| function | generated adjoint lines | hand adjoint lines | ratio | max abs diff |")
    print("|---|---:|---:|---:|---:|")
    for name, ours, hand, err in rows:
        print(f"| {name} | {ours} | {hand} | {ours / hand:.2f} | {err:.1e} |")
    total_ours, total_hand = sum(r[1] for r in rows), sum(r[2] for r in rows)
    ratio = total_ours / total_hand
    print(f"| **total** | {total_ours} | {total_hand} | {ratio:.2f} | |")
    print(f"\ngoal <= {GOAL}x: {'met' if ratio <= GOAL else 'MISSED'} in total; "
          f"{sum(1 for r in rows if r[1] / r[2] <= GOAL)} of {len(rows)} functions within it")
    bad = [r for r in rows if r[3] > 1e-8]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

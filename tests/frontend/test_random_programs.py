"""Random straight-line / branch / loop scalar programs must survive the round trip."""

import importlib.util
import itertools
import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from util import roundtrip  # noqa: E402

VARS = ["a", "b", "c"]
_counter = itertools.count()


@st.composite
def expr(draw, depth=0):
    if depth > 2 or draw(st.booleans()):
        return draw(st.sampled_from(VARS + ["x", "1.5", "-0.5", "2"]))
    kind = draw(st.integers(0, 3))
    left, right = draw(expr(depth + 1)), draw(expr(depth + 1))
    if kind == 0:
        return f"({left} {draw(st.sampled_from(['+', '-', '*']))} {right})"
    if kind == 1:
        fn = draw(st.sampled_from(["math.sin", "math.cos", "math.tanh", "abs"]))
        return f"{fn}({left})"
    if kind == 2:
        return f"{draw(st.sampled_from(['max', 'min']))}({left}, {right})"
    return f"({left} if {left} < {right} else {right})"


@st.composite
def block(draw, depth, in_loop, indent):
    pad = "    " * indent
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 6 if depth < 2 else 1))
        v = draw(st.sampled_from(VARS))
        if kind == 0:
            lines.append(f"{pad}{v} = math.tanh({draw(expr())})")
        elif kind == 1:
            lines.append(f"{pad}{v} += 0.25 * math.sin({draw(expr())})")
        elif kind in (2, 3):
            lines.append(f"{pad}if {draw(expr())} > {draw(expr())}:")
            lines += draw(block(depth + 1, in_loop, indent + 1))
            if draw(st.booleans()):
                lines.append(f"{pad}else:")
                lines += draw(block(depth + 1, in_loop, indent + 1))
        elif kind == 4:
            i = f"i{depth}"
            lines.append(f"{pad}for {i} in range({draw(st.integers(0, 4))}):")
            lines.append(f"{pad}    {v} = {v} * 0.5 + {i}")
            lines += draw(block(depth + 1, True, indent + 1))
            lines += draw(loop_else(depth, in_loop, indent))
        elif kind == 5:
            k = f"k{depth}"
            lines.append(f"{pad}{k} = 0")
            lines.append(f"{pad}while {k} < 3 and {v} < 5.0:")
            lines.append(f"{pad}    {k} += 1")
            lines.append(f"{pad}    {v} = {v} + 1.0")
            lines += draw(block(depth + 1, True, indent + 1))
            lines += draw(loop_else(depth, in_loop, indent))
        else:
            cond = f"{draw(expr())} > {draw(expr())}"
            jump = draw(st.sampled_from(["break", "continue", "return a - b"] if in_loop
                                        else ["return a * b"]))
            lines.append(f"{pad}if {cond}:")
            lines.append(f"{pad}    {jump}")
    return lines


@st.composite
def loop_else(draw, depth, in_loop, indent):
    """Sometimes a loop's ``else`` (run unless a break of the loop ran; a break in it is
    the enclosing loop's)."""
    if not draw(st.booleans()):
        return []
    return ["    " * indent + "else:"] + draw(block(depth + 1, in_loop, indent + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_program(tmp_path_factory, data):
    body = data.draw(block(0, False, 1))
    src = "\n".join(["import math", "", "def prog(x):", "    a = x", "    b = 2.0 * x",
                     "    c = 0.5", *body, "    return a + b * c", ""])
    path = tmp_path_factory.mktemp("prog") / f"prog_{next(_counter)}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    try:
        roundtrip(mod.prog, (0.3,), (-1.2,), (2.5,))
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nPROGRAM:\n{src}") from None
    assert math.isfinite(mod.prog(0.3))

"""python -m ad_compiler: show (reverse, forward, --ir, --dot) and demo."""
import ast
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)
TARGET = os.path.join(HERE, "_cli_functions.py") + ":spring"


def run(*args):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "ad_compiler", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.parametrize("extra, marker", [([], "def spring_vjp("),
                                           (["--mode", "forward"], "def spring_jvp("),
                                           (["--wrt", "0,1"], "wrt=(0, 1)")])
def test_show_prints_parseable_derivative_source(extra, marker):
    out = run("show", TARGET, *extra)
    assert out.returncode == 0, out.stderr
    assert marker in out.stdout
    ast.parse(out.stdout)
    assert "# line 8: s = s + k * math.sin(x * i)" in out.stdout


def test_show_ir_and_dot():
    ir = run("show", TARGET, "--ir")
    assert ir.returncode == 0 and ir.stdout.startswith("func @spring(")
    assert "for %i = range(0, 10, 1)" in ir.stdout
    dot = run("show", TARGET, "--dot")
    assert dot.returncode == 0 and dot.stdout.startswith('digraph "spring"')
    assert "sin" in dot.stdout and dot.stdout.rstrip().endswith("}")


def test_unknown_function_is_a_clear_error():
    out = run("show", os.path.join(HERE, "_cli_functions.py") + ":nope")
    assert out.returncode != 0 and "has no function 'nope'" in out.stderr


def test_demo_agrees_with_finite_differences():
    out = run("demo", "--backend", "python")
    assert out.returncode == 0, out.stderr
    assert "agreement: OK" in out.stdout
    assert "def damped_energy_vjp(" in out.stdout


def test_show_ir_prints_each_reverse_mode_stage():
    out = run("show", TARGET, "--ir", "all")
    assert out.returncode == 0, out.stderr
    stages = [line for line in out.stdout.splitlines() if line.startswith("# --- ")]
    assert stages == [f"# --- {s} ---" for s in ("primal", "hoisted", "adjoint", "cleaned")]
    adjoint, cleaned = out.stdout.split("# --- cleaned ---")
    assert "func @spring_vjp(" in cleaned
    # the clean-up pass removes the copies adjoint generation emits
    assert cleaned.count(" = %") < adjoint.split("# --- adjoint ---")[1].count(" = %")

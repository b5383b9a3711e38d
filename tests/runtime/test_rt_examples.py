"""The examples/ scripts run and show what the lecture notes show."""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def load(name):
    path = os.path.join(ROOT, "examples", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seed_derivatives_script():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "seed_derivatives.py")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    for line in ["Gradient of y with respect to x: 14.0", "dy/dx: None", "dy/dw: tensor(3.)",
                 "de/da = tensor(2.)  de/db = tensor(5.)", "x grad =  tensor([0.6429])",
                 "c grad =  tensor([0.1190])", "z grad =  tensor([1.])",
                 "RuntimeError: you can only change requires_grad flags of leaf variables."]:
        assert line in res.stdout


def test_seed_gradient_descent(tmp_path):
    paths = load("seed_gradient_descent").main(str(tmp_path / "gd.png"))
    assert set(paths) == {0.05, 0.07, 0.15}
    for th, ob in paths.values():
        assert len(th) == 101 and ob[-1] < ob[0]


def test_seed_linear_regression(capsys):
    w, b = load("seed_linear_regression").main(steps=100)
    assert abs(b.item() - 0.7) < 0.01 and abs(w[0, 3].item() - 3.0) < 0.01


def test_seed_two_layer_net(capsys):
    losses = load("seed_two_layer_net").main(steps=300)
    assert losses[99] < 200 and losses[199] < 5 and losses[299] < 0.1


def test_seed_autograd_graph():
    g = load("seed_autograd_graph").graphs()
    assert "SinBackward0" in g["seed_graph_sin"] and "AccumulateGrad" in g["seed_graph_sin"]
    assert "TanhBackward0" in g["seed_graph_mlp"] and "w1\\n (20, 10)" in g["seed_graph_mlp"]

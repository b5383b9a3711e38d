"""Generated prange programs: own-element stores, scatters (``out[idx[i]] += ...``),
reductions, branches and inner loops over every element, mixed at random. With
``parallel=True`` on the python backend (which runs the chunks of a privatised loop one
after the other) each gradient must match central finite differences: a loop scheduled
as race-free or privatised when it is not would change the numbers."""

import importlib.util
import random

import numpy as np
import pytest

import ad_compiler as ad
from tests.compiler.fdcheck import assert_close, fd_grad

N = 6


def _expr(rng, atoms, depth=0):
    if depth > 1 or rng.random() < 0.3:
        return rng.choice(atoms)
    a, b = _expr(rng, atoms, depth + 1), _expr(rng, atoms, depth + 1)
    return rng.choice([f"({a} * {b})", f"({a} + {b})", f"np.sin({a})",
                       f"np.exp(0.3 * np.tanh({a}))", f"({a} / (1.0 + {b} * {b}))"])


def program(seed: int, stores: bool = True) -> str:
    """A random prange program; ``stores=False``: its loop only reduces (no ``out``
    writes), so the value's sweep fuses with the adjoint's."""
    rng = random.Random(seed)
    atoms = ["x[i]", "y[i]", "x[idx[i]]", "y[idx[i]]", "w", "0.5"]
    body = []
    for _ in range(rng.randint(2, 4)):
        e = _expr(rng, atoms)
        kind = rng.randrange(7) if stores else rng.choice([0, 4, 5, 6])
        if kind == 0:
            body.append(f"s += {e}")
        elif kind == 1:
            body.append(f"out[i] = {e}")
        elif kind == 2:
            body.append(f"out[i] += {e}")
        elif kind == 3:
            body.append(f"out[idx[i]] += {e}")
        elif kind == 4:
            inner = _expr(rng, atoms + ["x[j]", "y[j]"])
            body += ["for j in range(n):", f"    s += {inner} * 0.1"]
        elif kind == 5:
            body += ["if x[i] > 0.0:", f"    s += {e}"]
        else:
            body.append(f"t = {e}")
            atoms.append("t")
    lines = ["import numpy as np", "from numba import prange", "",
             "def f(x, y, idx, w):", "    n = x.shape[0]", "    out = np.zeros(n)",
             "    s = 0.0", "    for i in prange(n):"]
    lines += [f"        {line}" for line in body]
    lines.append("    return s + np.sum(out * out)")
    return "\n".join(lines) + "\n"


def _load(source, path):
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


@pytest.mark.parametrize("seed", range(16))
def test_random_prange_program(seed, tmp_path):
    source = program(seed)
    f = _load(source, tmp_path / f"prange_{seed}.py")
    rng = np.random.default_rng(seed)
    args = (rng.uniform(-1.0, 1.0, N), rng.uniform(-1.0, 1.0, N),
            rng.integers(0, N, N), 0.8)
    grads = ad.grad(f, wrt=(0, 1, 3), backend="python", parallel=True)(*args)
    for g, i in zip(grads, (0, 1, 3)):
        assert_close(g, fd_grad(f, args, i), f"seed {seed} wrt={i}\n{source}")


FUSED = []


@pytest.mark.parametrize("seed", range(10))
def test_random_fused_value_and_gradient(seed, tmp_path):
    """Programs whose loop only reduces: ``value_and_grad`` runs the value's sweep inside
    the adjoint's loop (fused); the value and every gradient must still be right."""
    source = program(100 + seed, stores=False)
    f = _load(source, tmp_path / f"fused_{seed}.py")
    rng = np.random.default_rng(seed)
    args = (rng.uniform(-1.0, 1.0, N), rng.uniform(-1.0, 1.0, N),
            rng.integers(0, N, N), 0.8)
    g = ad.value_and_grad(f, wrt=(0, 1, 3), backend="python", parallel=True)
    value, grads = g(*args)
    assert_close(value, f(*args), f"seed {seed} value\n{source}")
    for gi, i in zip(grads, (0, 1, 3)):
        assert_close(gi, fd_grad(f, args, i), f"seed {seed} wrt={i}\n{source}")
    FUSED.append(sum(line.strip().startswith("for ") and "prange(" in line
                     for line in g.source.splitlines()) == 1)
    if len(FUSED) == 10:
        assert sum(FUSED) >= 5, FUSED       # most of them fused (not a no-op)

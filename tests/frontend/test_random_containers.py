"""Generated programs that keep their state in tuples, lists and dicts: built, indexed,
unpacked, passed through helpers, rebuilt in branches and loops, iterated with enumerate and
zip, folded with sum. Each gradient is checked against central finite differences."""

import importlib.util
import random

import numpy as np
import pytest

import ad_compiler as ad

from tangent_port import _fd

HELPERS = '''
def _rotate(t):
    return t[1], t[2], 0.5 * t[0] + t[1]


def _mix(t, s):
    u, v, w = t
    return (u * s, v + s, math.tanh(w))
'''


def _expr(rng, depth=0):
    leaves = ["a", "b", "c", "t[0]", "t[1]", "t[2]", "0.7", "-1.3"]
    if depth > 1 or rng.random() < 0.4:
        return rng.choice(leaves)
    kind = rng.randrange(3)
    left, right = _expr(rng, depth + 1), _expr(rng, depth + 1)
    if kind == 0:
        return f"({left} {rng.choice(['+', '-', '*'])} {right})"
    return f"{rng.choice(['math.sin', 'math.tanh', 'math.cos'])}({left})"


def _statements(rng, pad, depth):
    lines = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.randrange(10 if depth < 2 else 6)
        e = lambda: _expr(rng)   # noqa: E731
        if kind == 0:
            lines.append(f"{pad}t = ({e()}, {e()}, {e()})")
        elif kind == 1:
            lines.append(f"{pad}a, b, c = t")
        elif kind == 2:
            lines.append(f"{pad}t = _rotate(t)")
        elif kind == 3:
            lines.append(f"{pad}t = _mix(t, {e()})")
        elif kind == 4:
            lines.append(f'{pad}d = {{"p": {e()}, "q": t}}')
            lines.append(f'{pad}a = d["p"] * d["q"][1] + len(d["q"])')
        elif kind == 5:
            lines.append(f"{pad}s = [{e()}, {e()}]")
            lines.append(f"{pad}s.append({e()})")
            lines.append(f"{pad}b = s.pop() + s[0] * len(s)")
        elif kind == 6:
            lines.append(f"{pad}if {e()} > {e()}:")
            lines += _statements(rng, pad + "    ", depth + 1)
            lines.append(f"{pad}else:")
            lines.append(f"{pad}    t = (t[2], t[0] * {e()}, t[1])")
        elif kind == 7:
            i = f"i{depth}"
            lines.append(f"{pad}for {i} in range({rng.randint(0, 3)}):")
            lines.append(f"{pad}    t = (t[1] + 0.1 * t[0], 0.9 * t[2], math.sin(t[0]) + {i})")
            lines += _statements(rng, pad + "    ", depth + 1)
        elif kind == 8:
            lines.append(f"{pad}for j, (u, v) in enumerate(zip(t, (a, b, c))):")
            lines.append(f"{pad}    c = c + 0.3 * u * v * (j + 1)")
        else:
            lines.append(f"{pad}a = 0.1 * sum(v * v for v in t) + sum([b, c])")
    return lines


def _program(seed):
    rng = random.Random(seed)
    body = ["t = (a, b * c, c)"] + [s.strip("\n") for s in _statements(rng, "", 0)]
    body.append("return math.tanh(t[0] * a + t[1] * b + t[2] * c)")
    return f"def prog_{seed}(a, b, c):\n" + "\n".join("    " + s for s in body) + "\n"


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    path = tmp_path_factory.mktemp("containers") / "container_programs.py"
    path.write_text("import math\n" + HELPERS + "\n\n" +
                    "\n\n".join(_program(seed) for seed in range(40)))
    spec = importlib.util.spec_from_file_location("container_programs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("seed", range(40))
def test_generated_container_program(module, seed):
    f = getattr(module, f"prog_{seed}")
    args = (0.6, -0.4, 1.1)
    grads = ad.grad(f, wrt=(0, 1, 2), backend="python")(*args)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, _fd(f, args, i)[0], rtol=1e-5, atol=1e-6,
                                   err_msg=_program(seed))

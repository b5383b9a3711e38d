"""Generators of long numerical functions for the scaling benchmark (and its tests).

Long functions exist in the wild (physics step functions, generated model code, unrolled
solvers); compile time must grow linearly with them. :func:`scalar_source` writes scalar
updates with math calls, an ``if`` every 20 lines, a short ``for`` every 50 and writes into
one output array; :func:`array_source` the same shape of program on whole arrays and
element reads/writes. Both are deterministic in ``lines`` and ``seed``, and every value stays
bounded (``sin``/``tanh``/``cos`` of bounded sums) so the derivative is finite for any length.
"""

from __future__ import annotations

import importlib.util
import os
import random
import tempfile

__all__ = ["scalar_source", "array_source", "load_function"]

_MATH = ("math.sin", "math.cos", "math.tanh")
_VARS = 6


def _scalar_update(rng, k, prefix=""):
    a, b = rng.randrange(_VARS), rng.randrange(_VARS)
    f = rng.choice(_MATH)
    c = 0.1 + (k % 7) / 10
    return f"{prefix}v{a} = {c} * v{a} + 0.5 * {f}(v{b} * x[{k % 3}])"


def scalar_source(lines: int, seed: int = 0, name: str = "long_scalar") -> str:
    """``def name(x, out)``: about ``lines`` body lines of scalar code; ``x`` has length >= 3,
    ``out`` is written (one element per 10 lines) and returns the sum of the state."""
    rng = random.Random(seed)
    body = [f"    v{i} = x[{i % 3}] * {0.1 * (i + 1)}" for i in range(_VARS)]
    k = 0
    while len(body) < lines:
        k += 1
        if k % 50 == 0:
            a = rng.randrange(_VARS)
            body += ["    for i in range(3):",
                     f"        v{a} = 0.9 * v{a} + 0.1 * math.sin(v{a} + x[i])"]
        elif k % 20 == 0:
            a, b = rng.randrange(_VARS), rng.randrange(_VARS)
            body += [f"    if v{a} > v{b}:",
                     "    " + _scalar_update(rng, k, "    "),
                     "    else:",
                     f"        v{b} = 0.5 * v{b} - 0.25 * math.cos(v{a})"]
        elif k % 10 == 0:
            body.append(f"    out[{(k // 10) % 8}] = v{rng.randrange(_VARS)}")
        else:
            body.append("    " + _scalar_update(rng, k))
    total = " + ".join(f"v{i}" for i in range(_VARS))
    return (f"import math\n\n\ndef {name}(x, out):\n" + "\n".join(body)
            + f"\n    return {total}\n")


def array_source(lines: int, seed: int = 0, name: str = "long_array") -> str:
    """``def name(x, out)``: about ``lines`` body lines of NumPy array code on arrays of the
    length of ``x`` (>= 4), element reads and writes into ``out`` (length >= 8)."""
    rng = random.Random(seed)
    body = [f"    a{i} = x * {0.1 * (i + 1)}" for i in range(_VARS)]
    k = 0
    while len(body) < lines:
        k += 1
        a, b = rng.randrange(_VARS), rng.randrange(_VARS)
        if k % 50 == 0:
            body += ["    for i in range(3):",
                     f"        a{a}[i] = 0.9 * a{a}[i] + 0.1 * math.sin(a{b}[i + 1])"]
        elif k % 20 == 0:
            body += [f"    if np.sum(a{a}) > np.sum(a{b}):",
                     f"        a{a} = 0.5 * a{a} + 0.5 * np.tanh(a{b})",
                     "    else:",
                     f"        a{b} = 0.5 * a{b} - 0.25 * np.cos(a{a})"]
        elif k % 10 == 0:
            body.append(f"    out[{(k // 10) % 8}] = np.sum(a{a} * a{b})")
        elif k % 3 == 0:
            body.append(f"    a{a}[{k % 4}] = a{a}[{k % 4}] * 0.5 + math.sin(a{b}[{k % 3}])")
        else:
            f = rng.choice(("np.sin", "np.cos", "np.tanh"))
            body.append(f"    a{a} = {0.1 + (k % 7) / 10} * a{a} + 0.5 * {f}(a{b} * x)")
    total = " + ".join(f"np.sum(a{i})" for i in range(_VARS))
    return (f"import math\nimport numpy as np\n\n\ndef {name}(x, out):\n"
            + "\n".join(body) + f"\n    return {total}\n")


def load_function(source: str, name: str, directory: str | None = None):
    """Write ``source`` to a real file (the frontend reads source files) and import it."""
    directory = directory or tempfile.mkdtemp(prefix="adc_long_")
    path = os.path.join(directory, f"{name}.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)

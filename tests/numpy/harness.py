"""Checking NumPy usages (:mod:`usages`) in both modes against central finite differences
(float64) and, where it differentiates them, HIPS autograd.

Each usage ``EXPR`` becomes ``def u_k(a, b, ...): return np.sum(np.sin(EXPR))`` in a
generated module (the compiler reads source), so every output element matters nonlinearly.
A result is ``ok``, ``wrong`` (a number that disagrees: never acceptable), ``refused`` (a
DifferentiationError naming the construct) or ``crash`` (any other exception: a bug).
"""

import importlib.util
import os
import tempfile

import numpy as np

import ad_compiler as ad
from ad_compiler.errors import DifferentiationError

HERE = os.path.dirname(os.path.abspath(__file__))
_FD = {}


def write_module(usages, numpy_module="numpy", name="usage_functions"):
    lines = [f"import {numpy_module} as np", "import scipy.special", ""]
    for k, (expr, args) in enumerate(usages):
        params = ", ".join("abc"[:len(args)])
        lines += [f"def u{k}({params}):", f"    return np.sum(np.sin({expr}))", ""]
    path = os.path.join(tempfile.mkdtemp(prefix="adc_usages_"), f"{name}.py")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    spec = importlib.util.spec_from_file_location(f"{name}_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arguments(args, seed):
    rng = np.random.default_rng(seed)
    return tuple(a.make(rng) for a in args)


def _fd(f, args, i, h=1e-6):
    a = args[i]
    if np.ndim(a) == 0:
        return (f(*args[:i], a + h, *args[i + 1:]) - f(*args[:i], a - h, *args[i + 1:])) / (2 * h)
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += h
        minus[idx] -= h
        g[idx] = (f(*args[:i], plus, *args[i + 1:]) - f(*args[:i], minus, *args[i + 1:])) / (2 * h)
    return g


def close(got, want, tol=1e-5):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    return bool(np.all(np.abs(got - want) <= tol * scale))


def check(fn, args, mode, backend):
    """``ok``, ``wrong``, ``refused`` or ``crash`` (with a message) for one usage."""
    key = (fn.__name__, id(fn))
    if key not in _FD:
        _FD[key] = [_fd(fn, args, i) for i in range(len(args))]
    fds = _FD[key]
    try:
        if mode == "reverse":
            for i in range(len(args)):
                g = ad.grad(fn, wrt=i, backend=backend)(*args)
                if not close(g, fds[i]):
                    return "wrong", f"wrt {i}: {g} vs {fds[i]}"
        else:
            rng = np.random.default_rng(1)
            tangents = tuple(rng.standard_normal(np.shape(a)) if np.ndim(a) else 0.7
                             for a in args)
            _, tout = ad.jvp(fn, args, tangents, backend=backend)
            want = sum(float(np.sum(fd * t)) for fd, t in zip(fds, tangents))
            if not close(tout, want):
                return "wrong", f"{tout} vs {want}"
    except DifferentiationError as exc:
        if "internal compiler error" in str(exc):
            return "crash", str(exc)
        return "refused", str(exc).split(" in function")[0]
    except Exception as exc:   # noqa: BLE001 - classified, reported
        return "crash", f"{type(exc).__name__}: {exc}"
    return "ok", ""


def normal_arguments(shapes, seed):
    """Standard-normal arrays of ``shapes``: the arguments of one usage."""
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s) for s in shapes)


def assert_usage(module, usages, k, mode, seed):
    """Usage ``k`` of ``usages`` (written to ``module``) differentiates right in ``mode``
    on the python backend, at standard-normal arguments drawn with ``seed``."""
    status, message = check(getattr(module, f"u{k}"), normal_arguments(usages[k][1], seed),
                            mode, "python")
    assert status == "ok", f"{usages[k][0]}: {status} {message}"


def valid_usages(usages, seed=0):
    """The usages NumPy itself evaluates (autograd's combinations include invalid ones)
    to a finite value, with their arguments."""
    module = write_module(usages)
    out = []
    for k, (expr, args) in enumerate(usages):
        values = arguments(args, seed + k)
        fn = getattr(module, f"u{k}")
        try:
            with np.errstate(all="ignore"):
                value = fn(*values)
        except Exception:   # noqa: BLE001 - NumPy refuses this combination
            continue
        if np.isfinite(value):
            out.append((expr, fn, values, k))
    return out, module

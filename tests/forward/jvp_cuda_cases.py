"""Cases of ``jvp(..., backend="cuda")``, run as a script under the CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1`` set before anything imports numba.cuda) by
``test_jvp_cuda.py``: prints one JSON line per case, ``{"name", "ok", "detail"}``.

Each case maps a scalar function over <= 64 elements, one simulated thread per element, and
checks the primal outputs against the Python function, the tangents against the numba CPU
jvp called per element and against central finite differences."""

import json
import math
import sys
import time

import numpy as np

N = 64


def wave(x):
    return np.sin(x) * np.exp(-x * x)


def pendulum(k, theta0):
    th = theta0
    om = 0.0
    for i in range(50):
        acc = -k * math.sin(th) - 0.1 * om
        th = th + 0.01 * om
        om = om + 0.01 * acc
    return th


def _helper(u):
    return u * u + math.cos(u)


def branches(x, a):
    if x > 0.0:
        y = math.log(1.0 + x) * a
    else:
        y = _helper(x) - a
    return np.tanh(y) + max(x, a)


def while_loop(x, n):
    s = x
    i = 0
    while i < n:
        s = math.sin(s) * 1.1 + x
        i += 1
    return s


def two_outputs(x, y):
    return x * y, math.atan2(y, x) + math.hypot(x, y)


_x = np.linspace(-1.5, 1.5, N)
_rng = np.random.default_rng(0)
_t = _rng.standard_normal(N)

# name -> (function, primals, tangents): tangents None for integer arguments
CASES = {
    "wave": (wave, (_x,), (_t,)),
    "pendulum_array_and_scalar": (pendulum, (np.linspace(0.5, 2.0, 16), 0.3),
                                  (_t[:16], 0.5)),
    "branches_math_and_callee": (branches, (_x, np.linspace(0.1, 2.0, N)),
                                 (_t, _t[::-1].copy())),
    "while_int_argument": (while_loop, (_x[:32], np.arange(32) % 7), (_t[:32], None)),
    "tuple_output": (two_outputs, (_x + 2.0, np.linspace(0.3, 1.0, N)), (_t, 0.25)),
    "all_scalars": (pendulum, (1.2, 0.3), (1.0, -0.5)),
}


def _elements(values):
    n = max((np.size(a) for a in values if np.ndim(a)), default=None)
    if n is None:
        return [list(values)]
    return [[a[e] if np.ndim(a) else a for a in values] for e in range(n)]


def _scalar(a):
    return int(a) if isinstance(a, np.integer) else float(a)


def run_case(name):
    from ad_compiler.functional import jvp

    fn, primals, tangents = CASES[name]
    zero = [0 if t is None else t for t in tangents]
    out, t_out = jvp(fn, primals, zero, backend="cuda")
    multi = isinstance(out, tuple)
    outs, t_outs = (out, t_out) if multi else ((out,), (t_out,))
    problems = []
    rows = list(zip(_elements(primals), _elements(zero)))
    for q, (o, t) in enumerate(zip(outs, t_outs)):
        o, t = np.atleast_1d(np.asarray(o, float)), np.atleast_1d(np.asarray(t, float))
        expect, cpu, fd = [], [], []
        for p, v in rows:
            p = [_scalar(a) for a in p]
            v = [_scalar(a) for a in v]
            value = fn(*p)
            expect.append(value[q] if multi else value)
            c = jvp(fn, p, v, backend="numba")[1]
            cpu.append(c[q] if multi else c)
            h = 1e-6
            up = [a + h * b if isinstance(a, float) else a for a, b in zip(p, v)]
            down = [a - h * b if isinstance(a, float) else a for a, b in zip(p, v)]
            fu, fdn = fn(*up), fn(*down)
            fd.append(((fu[q] - fdn[q]) if multi else (fu - fdn)) / (2 * h))
        expect, cpu, fd = map(np.array, (expect, cpu, fd))
        if t.shape != cpu.shape:
            problems.append(f"output {q}: shape {t.shape} vs {cpu.shape}")
            continue
        if not np.allclose(o, expect, rtol=1e-12, atol=1e-12):
            problems.append(f"output {q}: value differs from the python function")
        if not np.allclose(t, cpu, rtol=1e-12, atol=1e-12):
            problems.append(f"output {q}: tangent vs numba cpu max err "
                            f"{np.abs(t - cpu).max():.3g}")
        if not np.allclose(t, fd, rtol=1e-5, atol=1e-6):
            problems.append(f"output {q}: tangent vs finite differences max err "
                            f"{np.abs(t - fd).max():.3g}")
    if all(np.ndim(p) == 0 for p in primals) and not all(
            isinstance(v, float) for v in (*outs, *t_outs)):
        problems.append(f"all-scalar call should return floats, got {out!r}, {t_out!r}")
    return problems


def run_device_arrays():
    """Device arrays in, device arrays out; .source shows device functions and kernel."""
    from numba import cuda

    from ad_compiler.functional import ForwardFunction, jvp

    problems = []
    out, t = jvp(wave, (cuda.to_device(_x),), (cuda.to_device(_t),), backend="cuda")
    host = jvp(wave, (_x,), (_t,), backend="cuda")
    if not hasattr(t, "copy_to_host"):
        problems.append(f"result is not a device array: {type(t)}")
    elif not (np.array_equal(out.copy_to_host(), host[0])
              and np.array_equal(t.copy_to_host(), host[1])):
        problems.append("device-array results differ from the host-array results")
    src = ForwardFunction(wave, (0,), backend="cuda").source
    for needle in ("forward-mode", "def wave_jvp(x, t_x):", "@cuda.jit", "cuda.grid(1)"):
        if needle not in src:
            problems.append(f"source lacks {needle!r}")
    return problems


def run_kernel_error():
    """Array code cannot run per element: a DifferentiationError, not a Numba traceback."""
    from ad_compiler.errors import DifferentiationError
    from ad_compiler.functional import jvp

    def arrays(a):
        return np.sum(a * a)

    try:
        jvp(arrays, (_x,), (_t,), backend="cuda")
    except DifferentiationError as e:
        return [] if "CUDA kernel" in str(e) or "cuda" in str(e) else [f"message: {e}"]
    except Exception as e:  # noqa: BLE001
        return [f"{type(e).__name__} instead of DifferentiationError: {e}"]
    return ["no error for array code"]


EXTRA = {"device_arrays": run_device_arrays, "kernel_error": run_kernel_error}


def main(names):
    for name in names or list(CASES) + list(EXTRA):
        t0 = time.perf_counter()
        try:
            problems = EXTRA[name]() if name in EXTRA else run_case(name)
        except Exception as e:  # noqa: BLE001 - reported to the parent test
            problems = [f"{type(e).__name__}: {e}"]
        print(json.dumps({"name": name, "ok": not problems, "detail": problems,
                          "seconds": round(time.perf_counter() - t0, 2)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Cases of the cuda backend, shared by the simulator run and the PTX tests.

Importing this module does not import ``numba.cuda``. Run as a script (with
``NUMBA_ENABLE_CUDASIM=1`` set before anything imports numba.cuda) it runs every case under
the CUDA simulator and prints one JSON line per case: ``{"name", "ok", "detail"}``. Each case
is checked against the numba CPU backend (the same derivative IR, without the GPU lowering,
compiled with ``numba.njit`` and called per element) and against central finite differences.
"""

import json
import math
import sys
import time

import numpy as np

N = 64          # elements per case: the simulator runs about 200 us an element


def wave(x):
    return np.sin(x) * np.exp(-x * x)


def pendulum(k, theta0):
    """Damped pendulum, 200 explicit Euler steps; d(final angle)/dk."""
    th = theta0
    om = 0.0
    dt = 0.01
    for i in range(200):
        acc = -k * math.sin(th) - 0.1 * om
        th = th + dt * om
        om = om + dt * acc
    return th


def loop2(x, k):
    s = 0.0
    for i in range(10):
        s = s + np.sin(x * k + s)
    return s


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


def triangular(x, n):
    s = 0.0
    for i in range(n):
        for j in range(i):
            s = s + math.sin(x * (j + 1)) * 0.01
    return s


def big_local(x):
    s = x
    for i in range(300):
        s = math.sin(s) + 0.5 * x
    return s


_x = np.linspace(-1.5, 1.5, N)

# name -> (function, wrt, kind, args, options)
CASES = {
    "wave": (wave, 0, "grad", (_x,), {}),
    "wave_value_and_grad": (wave, 0, "value_and_grad", (_x,), {}),
    "pendulum": (pendulum, 0, "grad", (np.linspace(0.5, 2.0, 16), 0.3), {}),
    "loop_two_wrt_scalar_broadcast": (loop2, (0, 1), "grad", (_x, 0.7), {}),
    "branches_math_and_callee": (branches, (0, 1), "grad", (_x, np.linspace(0.1, 2.0, N)), {}),
    "while_scratch_relaunch": (while_loop, 0, "grad", (_x[:32], np.arange(32) * 5), {}),
    "triangular_scratch": (triangular, 0, "grad", (_x[:16], np.arange(16) % 9), {}),
    "big_tape_goes_to_scratch": (big_local, 0, "grad", (_x[:8],), {"local_limit": 1024}),
    "all_scalars": (loop2, (0, 1), "grad", (0.3, 0.7), {}),
}


def _finite_difference(fn, args, i, eps=1e-6):
    args = list(args)
    up, down = list(args), list(args)
    up[i], down[i] = args[i] + eps, args[i] - eps
    return (fn(*up) - fn(*down)) / (2 * eps)


def _elements(args):
    n = max((np.size(a) for a in args if np.ndim(a)), default=None)
    if n is None:
        return [list(args)], None
    return [[a[e] if np.ndim(a) else a for a in args] for e in range(n)], n


def _cpu_reference(d, args):
    """The derivative IR without the GPU lowering, compiled with numba.njit."""
    from ad_compiler.backends import helpers
    from ad_compiler.backends.emit import emit_module
    from ad_compiler.backends.numba_cpu import compile_functions

    if not hasattr(helpers, "trip_count"):  # not in the CPU runtime yet: a stand-in
        from numba.extending import register_jitable

        def trip_count(start, stop, step):
            return len(range(start, stop, step))

        helpers.trip_count = register_jitable(trip_count)

    src = emit_module([d.derivative_ir], header=f"# cpu reference of {d.primal_ir.name}")
    fn = compile_functions(src, f"adc_ref_{d.primal_ir.name}", [d.entry])[d.entry]
    rows = []
    for el in _elements(args)[0]:
        el = [float(a) if i in d.wrt else (int(a) if isinstance(a, np.integer) else a)
              for i, a in enumerate(el)]
        rows.append(fn(*el, *([1.0] * len(d.primal_ir.body.yields))))
    return np.array(rows, dtype=float)


def run_case(name):
    import ad_compiler.api as ad
    import ad_compiler.transforms.device as device

    fn, wrt, kind, args, options = CASES[name]
    saved = device.LOCAL_TAPE_BYTES
    if "local_limit" in options:
        device.LOCAL_TAPE_BYTES = options["local_limit"]
    try:
        d = getattr(ad, kind)(fn, wrt=wrt, backend="cuda")
        result = d(*args)
    finally:
        device.LOCAL_TAPE_BYTES = saved
    value, grads = (result if kind == "value_and_grad" else (None, result))
    grads = grads if isinstance(wrt, tuple) else (grads,)
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    ref = _cpu_reference(d, args)
    nout = 1
    problems = []
    for j, (w, g) in enumerate(zip(wrt_t, grads)):
        cpu = ref[:, nout + j]
        fd = np.array([_finite_difference(fn, el, w) for el in _elements(args)[0]])
        g = np.atleast_1d(np.asarray(g, dtype=float))
        if g.shape != cpu.shape:
            problems.append(f"wrt {w}: shape {g.shape} vs {cpu.shape}")
            continue
        if not np.allclose(g, cpu, rtol=1e-12, atol=1e-12):
            problems.append(f"wrt {w}: vs numba cpu max err {np.abs(g - cpu).max():.3g}")
        if not np.allclose(g, fd, rtol=1e-5, atol=1e-6):
            problems.append(f"wrt {w}: vs finite differences max err {np.abs(g - fd).max():.3g}")
    if value is not None:
        expect = np.array([fn(*el) for el in _elements(args)[0]])
        if not np.allclose(value, expect, rtol=1e-12, atol=1e-12):
            problems.append("value differs from the python function")
    if _elements(args)[1] is None and not all(isinstance(g, float) for g in grads):
        problems.append(f"all-scalar call should return floats, got {grads!r}")
    extra = {}
    cd = d.cuda_kernel()
    if cd is not None:
        extra = {"segment": cd.segment, "scratch": cd.layout.uses_scratch,
                 "local": sorted(cd.layout.local.values())}
    return problems, extra


def run_device_arrays():
    """Device arrays in, device arrays out (simulator's fake device arrays)."""
    from numba import cuda

    import ad_compiler.api as ad

    g = ad.grad(loop2, wrt=(0, 1), backend="cuda")
    x = cuda.to_device(_x)
    gx, gk = g(x, 0.7)
    host = ad.grad(loop2, wrt=(0, 1), backend="cuda")(_x, 0.7)
    problems = []
    if not hasattr(gx, "copy_to_host"):
        problems.append(f"result is not a device array: {type(gx)}")
    elif not np.array_equal(gx.copy_to_host(), host[0]):
        problems.append("device-array result differs from the host-array result")
    return problems, {}


def main(names):
    names = names or list(CASES) + ["device_arrays"]
    for name in names:
        t = time.perf_counter()
        try:
            problems, extra = run_device_arrays() if name == "device_arrays" else run_case(name)
        except Exception as e:  # noqa: BLE001 - reported to the parent test
            problems, extra = [f"{type(e).__name__}: {e}"], {}
        print(json.dumps({"name": name, "ok": not problems, "detail": problems, **extra,
                          "seconds": round(time.perf_counter() - t, 2)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

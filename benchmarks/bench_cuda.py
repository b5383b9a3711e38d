"""The cuda backend on a real GPU, float64, one run, one table:

(a) gradient of ``sin(x) * exp(-x*x)`` over 2^26 points: time, and GB/s counted as 16 bytes
    an element (read x, write dx), against the device-to-device copy bandwidth measured in the
    same run (``cuda.to_device``-allocated arrays, ``copy_to_device`` of one into another);
(b) damped pendulum, 200 explicit Euler steps per thread, gradient of the final angle w.r.t.
    the stiffness, over 2^22 parameters (reverse mode: per-thread tapes in local memory).

Each against a hand-written ``numba.cuda`` kernel (the derivative written out by hand) and
JAX ``jit(vmap(grad))`` when JAX is importable. Device arrays in and out: no host transfers
are timed. Median of ``--repeat`` runs after a warm-up (compilation excluded).

    python benchmarks/bench_cuda.py [--small] [--repeat 20]

Needs an NVIDIA GPU with numba-cuda (numpy<2.5 for numba-cuda 0.30); exits with status 2 and a
message when there is none. Set XLA_PYTHON_CLIENT_PREALLOCATE=false when JAX shares the GPU.
"""

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def wave(x):
    return np.sin(x) * np.exp(-x * x)


def pendulum(k, theta0):
    th = theta0
    om = 0.0
    dt = 0.01
    for i in range(200):
        acc = -k * math.sin(th) - 0.1 * om
        th = th + dt * om
        om = om + dt * acc
    return th


cuda = None


def _require_gpu():
    try:
        from numba import cuda
    except Exception as e:  # noqa: BLE001
        sys.exit(f"bench_cuda: numba-cuda is not importable ({e}); "
                 'pip install "numba-cuda[cu13]" (with numpy<2.5)')
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        print("bench_cuda: NUMBA_ENABLE_CUDASIM=1 is set; timings need a real GPU",
              file=sys.stderr)
        sys.exit(2)
    try:
        ok = cuda.is_available()
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        print("bench_cuda: no CUDA GPU found (numba.cuda.is_available() is False); "
              "this benchmark needs an NVIDIA GPU and driver", file=sys.stderr)
        sys.exit(2)
    return cuda


def _time(fn, sync, repeat):
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _hand_kernels(cuda_module):
    global cuda  # kernels must see numba.cuda as a global (the simulator swaps globals only)
    cuda = cuda_module

    @cuda.jit(fastmath=False)
    def wave_grad(x, out):
        i = cuda.grid(1)
        if i < x.shape[0]:
            xi = x[i]
            e = math.exp(-xi * xi)
            out[i] = math.cos(xi) * e - 2.0 * xi * math.sin(xi) * e

    @cuda.jit
    def pendulum_grad(k, theta0, out):
        i = cuda.grid(1)
        if i < k.shape[0]:
            kk = k[i]
            ths = cuda.local.array(200, np.float64)
            oms = cuda.local.array(200, np.float64)
            th = theta0
            om = 0.0
            dt = 0.01
            for s in range(200):
                ths[s] = th
                oms[s] = om
                acc = -kk * math.sin(th) - 0.1 * om
                th = th + dt * om
                om = om + dt * acc
            b_th = 1.0
            b_om = 0.0
            b_k = 0.0
            for s in range(199, -1, -1):
                th0 = ths[s]
                b_acc = dt * b_om
                b_th_new = b_th
                b_om_new = b_om + dt * b_th - 0.1 * b_acc
                b_k += -math.sin(th0) * b_acc
                b_th = b_th_new - kk * math.cos(th0) * b_acc
                b_om = b_om_new
            out[i] = b_k

    return wave_grad, pendulum_grad


def _jax_fns():
    try:
        import jax
        import jax.numpy as jnp
    except Exception:  # noqa: BLE001
        return None
    jax.config.update("jax_enable_x64", True)

    def jwave(x):
        return jnp.sin(x) * jnp.exp(-x * x)

    def jpend(k, theta0):
        def step(carry, _):
            th, om = carry
            acc = -k * jnp.sin(th) - 0.1 * om
            return (th + 0.01 * om, om + 0.01 * acc), None
        (th, _), _ = jax.lax.scan(step, (theta0, 0.0), None, length=200)
        return th

    wave_g = jax.jit(jax.vmap(jax.grad(jwave)))
    pend_g = jax.jit(jax.vmap(jax.grad(jpend), in_axes=(0, None)))
    return jax, jnp, wave_g, pend_g


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="2^20 / 2^16 elements (smoke run)")
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args(argv)
    cuda = _require_gpu()

    import ad_compiler.api as ad

    n_a = 1 << (20 if args.small else 26)
    n_b = 1 << (16 if args.small else 22)
    sync = cuda.synchronize
    tpb = 256
    rows = []

    # (a) --------------------------------------------------------------------------------
    x = cuda.to_device(np.linspace(-3.0, 3.0, n_a))
    y = cuda.device_array(n_a, dtype=np.float64)
    t_copy = _time(lambda: y.copy_to_device(x), sync, args.repeat)
    copy_gbs = 2 * 8 * n_a / t_copy / 1e9
    rows.append(("(a) device-to-device copy", n_a, t_copy, copy_gbs, None))

    g = ad.grad(wave, backend="cuda")
    t_ad = _time(lambda: g(x), sync, args.repeat)
    gx = g(x).copy_to_host()
    wave_hand, pend_hand = _hand_kernels(cuda)
    out = cuda.device_array(n_a, dtype=np.float64)
    blocks = math.ceil(n_a / tpb)
    t_hand = _time(lambda: wave_hand[blocks, tpb](x, out), sync, args.repeat)
    err = np.abs(gx - out.copy_to_host()).max()
    rows.append(("(a) ad_compiler cuda grad", n_a, t_ad, 16 * n_a / t_ad / 1e9, err))
    rows.append(("(a) hand-written numba.cuda", n_a, t_hand, 16 * n_a / t_hand / 1e9, 0.0))
    jx = _jax_fns()
    if jx is not None:
        jax, jnp, wave_g, pend_g = jx
        xj = jnp.linspace(-3.0, 3.0, n_a)
        t_jax = _time(lambda: wave_g(xj).block_until_ready(), lambda: None, args.repeat)
        rows.append(("(a) JAX jit(vmap(grad))", n_a, t_jax, 16 * n_a / t_jax / 1e9, None))

    # (b) --------------------------------------------------------------------------------
    k = cuda.to_device(np.linspace(0.5, 4.0, n_b))
    gp = ad.grad(pendulum, wrt=0, backend="cuda")
    t_ad_b = _time(lambda: gp(k, 0.3), sync, max(3, args.repeat // 4))
    gk = gp(k, 0.3).copy_to_host()
    out_b = cuda.device_array(n_b, dtype=np.float64)
    blocks_b = math.ceil(n_b / tpb)
    t_hand_b = _time(lambda: pend_hand[blocks_b, tpb](k, 0.3, out_b), sync,
                     max(3, args.repeat // 4))
    err_b = np.abs(gk - out_b.copy_to_host()).max()
    rows.append(("(b) ad_compiler cuda grad", n_b, t_ad_b, None, err_b))
    rows.append(("(b) hand-written numba.cuda", n_b, t_hand_b, None, 0.0))
    if jx is not None:
        kj = jnp.linspace(0.5, 4.0, n_b)
        t_jax_b = _time(lambda: pend_g(kj, 0.3).block_until_ready(), lambda: None,
                        max(3, args.repeat // 4))
        rows.append(("(b) JAX jit(vmap(grad))", n_b, t_jax_b, None, None))

    print(f"{'case':32s} {'elements':>10s} {'ms':>9s} {'GB/s':>8s} {'max |err|':>10s}")
    for name, n, t, gbs, e in rows:
        print(f"{name:32s} {n:>10d} {t * 1e3:>9.3f} "
              f"{'' if gbs is None else f'{gbs:8.0f}':>8s} "
              f"{'' if e is None else f'{e:10.2e}':>10s}")
    print(f"\n(a) ad_compiler / hand-written time: {t_ad / t_hand:.2f}x; "
          f"ad_compiler at {16 * n_a / t_ad / 1e9 / copy_gbs:.0%} of copy bandwidth")
    print(f"(b) ad_compiler / hand-written time: {t_ad_b / t_hand_b:.2f}x")
    if jx is not None:
        print(f"speed-up over JAX: (a) {t_jax / t_ad:.1f}x, (b) {t_jax_b / t_ad_b:.1f}x")
    else:
        print("JAX not importable: no JAX column")


if __name__ == "__main__":
    main()

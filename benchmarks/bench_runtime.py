"""Per-operation overhead of the Tensor runtime on small tensors, and one training step of
the lecture notes' 2-layer net (N=64, 1000-100-10, Adam), against PyTorch on the CPU when
``torch`` is importable (the torch column is skipped otherwise).

    python benchmarks/bench_runtime.py [--quick] [--runs N]

Times are CPU time of the measuring process (``time.process_time``: one thread each, so a
machine loaded by other work stretches wall time, not this), the median of the repeats
inside a run; the two libraries run in alternation ``N`` times (default 3) and the table
shows the median over the runs, with the load average before and after.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import timeit

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

# Each library runs in its own process: importing torch next to NumPy's OpenBLAS makes their
# thread pools fight and slows NumPy's matmul several times over.


def _time(fn, number, repeat):
    runs = timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)
    return statistics.median(runs) / number * 1e6


def op_cases(lib):
    a = lib.ones(10)
    b = lib.ones(10)
    r = lib.ones(10, requires_grad=True)
    m = lib.ones(8, 8, requires_grad=True)
    s = lib.tensor(2.0, requires_grad=True)

    def fwd_bwd():
        (r * b).sum().backward()

    def chain():
        ((s * 3.0 + 1.0).exp() * s).backward()

    logits = lib.ones(4, 10, requires_grad=True)
    target = lib.tensor([1, 2, 3, 4])
    F = lib.nn.functional

    def view_inplace():
        y = r * 1
        y[2:5].mul_(2.0)
        return y

    return [
        ("a + b (no grad)", lambda: a + b),
        ("r * b (records)", lambda: r * b),
        ("r.exp()", lambda: r.exp()),
        ("r.sum()", lambda: r.sum()),
        ("m @ m (8x8)", lambda: m @ m),
        ("r[2:5]", lambda: r[2:5]),
        ("tensor([1.,2.,3.])", lambda: lib.tensor([1.0, 2.0, 3.0])),
        ("(r*b).sum().backward()", fwd_bwd),
        ("scalar chain + backward", chain),
        ("r.softmax(0)", lambda: r.softmax(0)),
        ("y = r*1; y[2:5].mul_(2) (CopySlices)", view_inplace),
        ("F.cross_entropy (4x10)", lambda: F.cross_entropy(logits, target)),
        ("r.clamp_(0, 1) under no_grad", lambda: _no_grad_clamp(lib, r)),
    ]


def _no_grad_clamp(lib, r):
    with lib.no_grad():
        r.clamp_(0.0, 1.0)


def train_step_factory(lib, nn, optim):
    lib.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = lib.randn(N, D_in)
    y = lib.randn(N, D_out)
    model = nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out))
    loss_fn = nn.MSELoss(reduction="sum")
    opt = optim.Adam(model.parameters(), lr=1e-4)

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def measure(lib_name, quick):
    number, repeat = (2000, 3) if quick else (20000, 5)
    if lib_name == "torch":
        import torch as lib
        nn, optim = lib.nn, lib.optim
    else:
        import ad_compiler as lib
        from ad_compiler import nn, optim
    rows = [(name, _time(fn, number, repeat)) for name, fn in op_cases(lib)]
    step = train_step_factory(lib, nn, optim)
    step()
    rows.append(("train step 64x1000-100-10 Adam", _time(step, 20 if quick else 100, repeat)))
    return rows


def _run(lib_name, quick):
    cmd = [sys.executable, os.path.abspath(__file__), "--lib", lib_name] + \
        (["--quick"] if quick else [])
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if res.returncode != 0:
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def _median_rows(runs):
    """Per operation, the median over runs (each run a list of (name, us))."""
    return [(rows[0][0], statistics.median(r[k][1] for r in runs))
            for k, rows in enumerate(zip(*runs))]


def main(quick=False, runs=3):
    load_before = os.getloadavg()
    ours_runs, theirs_runs = [], []
    for _ in range(runs):
        ours = _run("ad", quick)
        if ours is None:
            raise SystemExit("the ad_compiler benchmark failed")
        ours_runs.append(ours)
        theirs = _run("torch", quick)
        if theirs is not None:
            theirs_runs.append(theirs)
    ours = _median_rows(ours_runs)
    theirs = _median_rows(theirs_runs) if theirs_runs else None
    version = None
    if theirs is not None:
        version = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                                 capture_output=True, text=True).stdout.strip()
    print(f"{'operation':38s} {'ad_compiler us':>15s} {'torch us':>10s} {'ratio':>7s}")
    for k, (name, a) in enumerate(ours):
        p = theirs[k][1] if theirs else None
        ps = f"{p:10.2f}" if p is not None else f"{'-':>10s}"
        rs = f"{a / p:7.2f}" if p is not None else f"{'-':>7s}"
        print(f"{name:38s} {a:15.2f} {ps} {rs}")
    if theirs:
        print(f"(torch {version} on the CPU; ratio = ad_compiler / torch; each library in its "
              "own process, one BLAS/OpenMP thread each)")
    else:
        print("(torch not installed: no comparison column)")
    load_after = os.getloadavg()
    print(f"(CPU-time medians over {runs} alternating runs; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} cores)")
    return ours, theirs


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    if "--lib" in sys.argv:
        print(json.dumps(measure(sys.argv[sys.argv.index("--lib") + 1], quick)))
    else:
        n = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
        main(quick, n)

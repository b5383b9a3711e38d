"""Stress test of thread- and process-safe compilation (outside CI; counts go in the notes).

Each repetition starts PROCESSES processes on one fresh, cold cache directory; in each,
THREADS threads build ``ad.grad`` of the same function and call it at once. Every result is
compared with the closed form. Prints one line per repetition and a summary table.

    python benchmarks/stress_compile.py [repetitions=50] [backend=numba]
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time

PROCESSES, THREADS = 4, 16

CHILD = textwrap.dedent("""
    import sys, threading, numpy as np
    import ad_compiler as ad

    def f(x, y):
        s = 0.0
        for i in range(x.shape[0]):
            s = s + np.sin(x[i]) * y
        return s

    x = np.linspace(0.1, 1.0, 7)
    want = np.cos(x) * 0.8
    ok, bad, errors = [0], [0], []
    barrier = threading.Barrier({threads})

    def work():
        try:
            barrier.wait()
            g = ad.grad(f, backend=sys.argv[1])(x, 0.8)
            if np.allclose(g, want, rtol=1e-13):
                ok[0] += 1
            else:
                bad[0] += 1
        except Exception as exc:
            errors.append(repr(exc)[:200])

    ts = [threading.Thread(target=work) for _ in range({threads})]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print(ok[0], bad[0], len(errors), errors[:1])
""").format(threads=THREADS)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    backend = sys.argv[2] if len(sys.argv) > 2 else "numba"
    totals = {"ok": 0, "wrong": 0, "errors": 0, "crashed processes": 0}
    t0 = time.perf_counter()
    script_dir = tempfile.mkdtemp(prefix="adc_stress_")
    script = os.path.join(script_dir, "stress_child.py")   # a file: the frontend reads f's source
    with open(script, "w") as f:
        f.write(CHILD)
    for rep in range(reps):
        with tempfile.TemporaryDirectory() as cold:
            env = dict(os.environ, AD_COMPILER_CACHE_DIR=cold)
            procs = [subprocess.Popen([sys.executable, script, backend], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(PROCESSES)]
            for p in procs:
                out, err = p.communicate(timeout=600)
                if p.returncode != 0:
                    totals["crashed processes"] += 1
                    print(f"rep {rep}: process failed: {err[-500:]}")
                    continue
                ok, wrong, errors, first = out.strip().split(" ", 3)
                totals["ok"] += int(ok)
                totals["wrong"] += int(wrong)
                totals["errors"] += int(errors)
                if int(errors) or int(wrong):
                    print(f"rep {rep}: {wrong} wrong, {errors} errors {first}")
        print(f"rep {rep + 1}/{reps} done, {time.perf_counter() - t0:.0f} s", flush=True)
    calls = reps * PROCESSES * THREADS
    print(f"\n| backend | repetitions | processes x threads | calls | right | wrong | errors "
          f"| crashed processes |\n|---|---|---|---|---|---|---|---|\n| {backend} | {reps} | "
          f"{PROCESSES} x {THREADS} | {calls} | {totals['ok']} | {totals['wrong']} | "
          f"{totals['errors']} | {totals['crashed processes']} |")


if __name__ == "__main__":
    main()

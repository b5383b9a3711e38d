"""``jvp(..., backend="cuda")`` under the CUDA simulator, against the numba CPU jvp and
finite differences (cases in ``jvp_cuda_cases.py``, run in one subprocess with
``NUMBA_ENABLE_CUDASIM=1``: switching the simulator on here would change numba.cuda for
every other test)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from jvp_cuda_cases import CASES, EXTRA  # noqa: E402


@pytest.fixture(scope="module")
def sim_results(tmp_path_factory):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.setdefault("AD_COMPILER_CACHE_DIR", str(tmp_path_factory.mktemp("adc_cache")))
    proc = subprocess.run([sys.executable, str(HERE / "jvp_cuda_cases.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["name"]] = row
    if not results:
        pytest.fail(f"simulator run failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    return results


@pytest.mark.parametrize("name", list(CASES) + list(EXTRA))
def test_jvp_cuda_case(sim_results, name):
    row = sim_results.get(name)
    assert row is not None, f"case {name} did not report"
    assert row["ok"], "; ".join(row["detail"])


def _nvvm_available():
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    try:
        from numba import cuda, float64

        def probe(x):
            return x + 1.0

        cuda.compile_ptx(probe, (float64,), device=True, cc=(9, 0))
        return True
    except Exception:  # noqa: BLE001 - no NVVM
        return False


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_kernel_compiles_to_ptx(name):
    """The simulator lets through what NVVM rejects: every jvp kernel also goes to PTX."""
    if not _nvvm_available():
        pytest.skip('NVVM not found (pip install "numba-cuda[cu13]") or simulator on')
    from numba import types

    from ad_compiler.backends.numba_cuda import cuda_derivative
    from ad_compiler.functional import ForwardFunction

    fn, primals, tangents = CASES[name]
    wrt = tuple(i for i, t in enumerate(tangents) if t is not None)
    ff = ForwardFunction(fn, wrt, backend="cuda")
    cd = cuda_derivative(ff)
    values = list(primals) + [tangents[i] for i in wrt]
    mask = [bool(np_ndim(v)) for v in values]
    arg_types = [(types.int64[::1] if np_ndim(v) and str(getattr(v, "dtype", "")).startswith(
        "int") else types.float64[::1]) if np_ndim(v) else types.float64 for v in values]
    ptx = cd.compile_ptx(mask, arg_types=arg_types)
    assert ".visible .entry" in ptx and "target sm_90" in ptx
    assert "NRT_MemInfo_alloc" not in ptx and "malloc" not in ptx


def np_ndim(v):
    import numpy as np

    return np.ndim(v)

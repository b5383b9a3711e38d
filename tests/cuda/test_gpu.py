"""On a real GPU only (skipped cleanly elsewhere): the cuda backend against the python
function's derivative, host and device arrays, and the per-signature kernel cache."""

import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    pytest.skip("the CUDA simulator is on: these tests need a real GPU", allow_module_level=True)
pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")

from ad_compiler.backends.numba_cuda import gpu_available  # noqa: E402

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU")]

import ad_compiler.api as ad  # noqa: E402
from sim_cases import CASES, pendulum, wave  # noqa: E402


def test_wave_large_host_and_device():
    from numba import cuda

    x = np.linspace(-3, 3, 1 << 20)
    expect = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    g = ad.grad(wave, backend="cuda")
    np.testing.assert_allclose(g(x), expect, rtol=1e-12, atol=1e-14)
    d = g(cuda.to_device(x))
    assert hasattr(d, "copy_to_host")
    np.testing.assert_allclose(d.copy_to_host(), expect, rtol=1e-12, atol=1e-14)
    cd = g.cuda_kernel()
    assert len(cd._kernels) == 1        # same pattern, same kernel


@pytest.mark.parametrize("name", list(CASES))
def test_cases_match_simulator_expectations(name):
    import sim_cases

    problems, _ = sim_cases.run_case(name)
    assert not problems, problems


def test_pendulum_many_threads():
    k = np.linspace(0.5, 2.0, 1 << 16)
    g = ad.grad(pendulum, backend="cuda")(k, 0.3)
    eps = 1e-6
    fd = np.array([(pendulum(ki + eps, 0.3) - pendulum(ki - eps, 0.3)) / (2 * eps)
                   for ki in k[::4096]])
    np.testing.assert_allclose(g[::4096], fd, rtol=1e-5, atol=1e-7)

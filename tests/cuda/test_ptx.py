"""Every kernel of the simulator cases compiled to PTX for an H100 (cc 9.0) with no GPU.

The simulator accepts code the real compiler rejects (run-time sized local arrays, host calls
of device functions), so each kernel also goes through NVVM. Needs ``numba-cuda[cu13]`` (the
NVVM/NVRTC wheels); skipped without them, and when the simulator is switched on in this
process (its numba.cuda cannot compile).
"""

import os

import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    pytest.skip("the CUDA simulator is on in this process", allow_module_level=True)
pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")

import ad_compiler.api as ad  # noqa: E402
from ad_compiler.backends.numba_cuda import ptx_for_call  # noqa: E402
from sim_cases import CASES  # noqa: E402


def _nvvm_available():
    try:
        from numba import cuda, float64

        def probe(x):
            return x + 1.0

        cuda.compile_ptx(probe, (float64,), device=True, cc=(9, 0))
        return True
    except Exception:  # noqa: BLE001 - no NVVM
        return False


pytestmark = pytest.mark.skipif(not _nvvm_available(),
                                reason='NVVM not found: pip install "numba-cuda[cu13]"')


@pytest.mark.parametrize("name", list(CASES))
def test_kernel_compiles_to_ptx(name, monkeypatch):
    import ad_compiler.transforms.device as device

    fn, wrt, kind, args, options = CASES[name]
    if "local_limit" in options:
        monkeypatch.setattr(device, "LOCAL_TAPE_BYTES", options["local_limit"])
    d = getattr(ad, kind)(fn, wrt=wrt, backend="cuda")
    ptx = ptx_for_call(d, *args)
    assert ".visible .entry" in ptx
    assert "target sm_90" in ptx
    # no allocation in a kernel: no calls into the NRT allocator
    assert "NRT_MemInfo_alloc" not in ptx and "malloc" not in ptx


def test_constant_tapes_are_local_memory():
    fn, wrt, kind, args, _ = CASES["pendulum"]
    ptx = ptx_for_call(ad.grad(fn, wrt=wrt, backend="cuda"), *args)
    assert ".local" in ptx

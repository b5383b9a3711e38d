"""The GPU tape lowering on the reverse transform's IR, and the errors of what cannot run in a
kernel. No numba.cuda needed: these run in the main test process."""

import math

import numpy as np
import pytest

import ad_compiler.api as ad
from ad_compiler.errors import DifferentiationError
from ad_compiler.frontend import build_ir
from ad_compiler.frontend.ir import Load, Prim, Store, walk
from ad_compiler.transforms.device import check_kernel_safe, lower_tapes
from ad_compiler.transforms.reverse import reverse


def const_loop(x):
    s = x
    for i in range(50):
        s = math.sin(s) * x
    return s


def while_loop(x, n):
    s = x
    i = 0
    while i < n:
        s = math.sin(s) + x
        i += 1
    return s


def prims(fn, name):
    return [op for op in walk(fn.body) if isinstance(op, Prim) and op.name == name]


def test_constant_tapes_become_local_arrays():
    lowered, layout = lower_tapes(reverse(build_ir(const_loop), [0]))
    assert not prims(lowered, "tape") and not layout.uses_scratch
    locals_ = prims(lowered, "local_tape")
    assert locals_ and all(op.operands[0].value == 50 and op.operands[1].name == "float64"
                           for op in locals_)
    assert len(lowered.params) == 2          # x and the seed: no scratch parameters
    assert layout.local_bytes == 50 * 8 * len(locals_)


def test_data_dependent_tapes_become_guarded_scratch_segments():
    lowered, layout = lower_tapes(reverse(build_ir(while_loop), [0]))
    assert layout.uses_scratch and layout.scratch_f
    assert [p.name for p in lowered.params[-3:]] == ["_scratch_f", "_scratch_i", "_need"]
    assert prims(lowered, "push") and prims(lowered, "pop")
    assert not prims(lowered, "tape") and not prims(lowered, "grow") \
        and not prims(lowered, "reserve")
    tapes = {id(op.results[0]) for op in walk(lowered.body)
             if isinstance(op, Prim) and op.name == "push"}
    # no unguarded store or load into scratch remains
    for op in walk(lowered.body):
        if isinstance(op, (Load, Store)):
            assert op.operands[0].name not in ("_scratch_f", "_scratch_i"), tapes


def test_local_budget_sends_constant_tapes_to_scratch():
    lowered, layout = lower_tapes(reverse(build_ir(const_loop), [0]), local_limit=64)
    assert layout.uses_scratch and not layout.local and layout.scratch_hint == 50


def alloc(x):
    buf = np.zeros(3)
    buf[0] = x
    return buf[0] * 2.0


def whole_array(x):
    return np.sum(x * x)


def indexes(x):
    return x[0] * 2.0


@pytest.mark.parametrize("fn, construct", [(alloc, "zeros"), (whole_array, "sum"),
                                           (indexes, None)])
def test_kernel_unsafe_constructs_raise(fn, construct):
    d = ad.grad(fn, backend="cuda")
    with pytest.raises(DifferentiationError) as info:
        d(np.ones(4))
    err = info.value
    assert "CUDA" in str(err) or "cuda" in str(err)
    assert err.line is not None and err.function == fn.__name__
    if construct:
        assert err.construct == construct
        assert "line" in str(err) or ":" in str(err)


def test_check_kernel_safe_accepts_scalar_code():
    check_kernel_safe(build_ir(const_loop))
    check_kernel_safe(build_ir(while_loop))


def rec(x):
    return rec(x - 1.0) if x > 0 else x


def test_recursion_is_rejected():
    with pytest.raises(DifferentiationError) as info:
        ad.grad(rec, backend="cuda")
    assert "recursion" in str(info.value)


def test_source_shows_device_functions_and_kernel():
    src = ad.grad(const_loop, backend="cuda").source
    assert "def const_loop_vjp(" in src
    assert "cuda.local.array(50, float64)" in src
    assert "cuda.jit(device=True)" in src and "@cuda.jit\ndef _kernel(" in src


def test_no_gpu_is_a_clear_error():
    pytest.importorskip("numba.cuda")
    from ad_compiler.backends.numba_cuda import NoGPUError, gpu_available

    if gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(NoGPUError, match="NUMBA_ENABLE_CUDASIM"):
        ad.grad(const_loop, backend="cuda")(np.ones(3))

"""Primitives of the GPU tape lowering (:mod:`ad_compiler.transforms.device`).

They only appear in IR rewritten for the cuda backend, never in IR a user function produces,
and are not differentiable (tapes are bookkeeping). Their ``impl`` are NumPy stand-ins so that
the rewritten IR can still be evaluated on the host (tests); in generated CUDA code they print
as ``cuda.local.array(N, float64)`` and as calls of the device helpers of
:mod:`ad_compiler.backends.numba_cuda` (the ``_rt`` of a generated CUDA module).

=========================  ==================================================================
``local_tape(n, dtype)``    ``cuda.local.array(n, dtype)``: a per-thread tape of constant size
                            ``n``; ``dtype`` is a Value named ``float64``/``int64``/``boolean``
``push(col, j, m, k, v,     ``col[j*w + k] = v`` (``w = len(col) // m``: segment ``j`` of ``m``
need)``                     in this thread's scratch column) if ``k < w``, else record
                            ``k + 1`` in ``need[0]`` (atomic max): the launcher grows the
                            buffer and relaunches
``pop(col, j, m, k)``       ``col[j*w + k]`` if ``k < w``, else a zero (a run that overflowed
                            is discarded; a zero trip count keeps its reverse loops finite)
=========================  ==================================================================
"""

import numpy as np

from .table import Syntax, defprim


def local_tape(n, dtype):
    return np.empty(n, dtype=np.dtype(getattr(dtype, "name", dtype)))


def push(col, j, m, k, v, need):
    w = col.shape[0] // m
    if k < w:
        col[j * w + k] = v
    elif need[0] < k + 1:
        need[0] = k + 1
    return 0


def pop(col, j, m, k):
    w = col.shape[0] // m
    if k < w:
        return col[j * w + k]
    return col.dtype.type(0)


defprim("local_tape", 2, local_tape, Syntax("call", "cuda.local.array"), differentiable=False,
        result_kind="array")
defprim("push", 6, push, Syntax("helper", "push"), differentiable=False, result_kind="int")
defprim("pop", 4, pop, Syntax("helper", "pop"), differentiable=False)

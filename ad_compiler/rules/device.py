"""Primitives of the GPU tape lowering (:mod:`ad_compiler.transforms.device`).

They only appear in IR rewritten for the cuda backend, never in IR a user function produces,
and are not differentiable (tapes are bookkeeping). Their ``impl`` are NumPy stand-ins so that
the rewritten IR can still be evaluated on the host (tests); in generated CUDA code they print
as ``cuda.local.array(N, float64)`` and as calls of the device helpers of
:mod:`ad_compiler.backends.numba_cuda` (the ``_rt`` of a generated CUDA module).

=======================  ====================================================================
``local_tape(n, dtype)``  ``cuda.local.array(n, dtype)``: a per-thread tape of constant size
                          ``n``; ``dtype`` is a Value named ``float64``/``int64``/``boolean``
``segment(buf, j, m)``    ``buf[j*w:(j+1)*w]`` with ``w = len(buf) // m``: tape ``j`` of ``m``
                          in this thread's column of the launcher's scratch buffer
``push(tape, k, v, need)`` ``tape[k] = v`` if ``k < len(tape)``, else record ``k + 1`` in
                          ``need[0]`` (atomic max): the launcher grows the buffer and relaunches
``pop(tape, k)``          ``tape[k]`` if ``k < len(tape)``, else a zero (a run that overflowed
                          is discarded; a zero trip count keeps its reverse loops finite)
=======================  ====================================================================
"""

import numpy as np

from .table import Syntax, defprim


def local_tape(n, dtype):
    return np.empty(n, dtype=np.dtype(getattr(dtype, "name", dtype)))


def segment(buf, j, m):
    w = buf.shape[0] // m
    return buf[j * w:(j + 1) * w]


def push(tape, k, v, need):
    if k < tape.shape[0]:
        tape[k] = v
    elif need[0] < k + 1:
        need[0] = k + 1
    return 0


def pop(tape, k):
    if k < tape.shape[0]:
        return tape[k]
    return tape.dtype.type(0)


defprim("local_tape", 2, local_tape, Syntax("call", "cuda.local.array"), differentiable=False,
        result_kind="array")
defprim("segment", 3, segment, Syntax("helper", "segment"), differentiable=False,
        result_kind="array")
defprim("push", 4, push, Syntax("helper", "push"), differentiable=False, result_kind="int")
defprim("pop", 2, pop, Syntax("helper", "pop"), differentiable=False)

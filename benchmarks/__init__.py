"""The speed benchmark suite (issue 8): ``python -m benchmarks [--quick|--smoke]``.

Importing this package pins every framework to one thread; the variables must be set before
NumPy, Numba, JAX or PyTorch are imported, so the suite's entry points import this first.
The standalone scripts beside it (bench_forward.py, bench_runtime.py, bench_cuda.py) are
independent of the suite.
"""

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_ENABLE_X64", "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

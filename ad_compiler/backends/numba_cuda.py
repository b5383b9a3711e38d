"""The cuda backend: the same derivative IR as ``numba.cuda`` device functions plus a kernel
that runs one element per thread.

Pipeline (a stage of :mod:`ad_compiler.pipeline` with ``backend="cuda"``): the user's SSA IR is checked for what cannot run in a kernel
(:func:`ad_compiler.transforms.device.check_kernel_safe`), the reverse transform's tapes are
lowered to per-thread storage (:func:`ad_compiler.transforms.device.lower_tapes`: constant
tapes in ``cuda.local.array``, data-dependent ones in a slice of a scratch buffer this module
allocates), the result is printed by the ordinary emitter and every function of that module is
compiled with ``cuda.jit(device=True)``. Inside that module ``np`` and ``_rt`` are rebound to
device namespaces (:func:`device_numpy`, :func:`device_runtime`): ``np.sin(x)`` on a scalar
is ``math.sin(x)`` there, ``_rt.where`` a device function, so the generated text is the same
one the CPU backends print.

Calling: every parameter of the derivative (the user's parameters, the values of its free
variables, the seeds) is either a scalar, broadcast to every thread, or an array of the common
shape, read at the thread's element. A kernel is generated per pattern of which parameters are
arrays and which results are kept (:func:`kernel_source`) and compiled by ``numba.cuda`` per
argument types: cached per signature. Inputs may be NumPy arrays (copied to the device and the
results back) or anything with ``__cuda_array_interface__`` (results then stay on the device).

Scratch buffers (data-dependent tapes): ``(segments * width, batch)`` arrays, column ``t``
belongs to thread ``t`` of the batch. Threads whose tapes overflow ``width`` record the length
they needed in ``need[0]``; the launcher then relaunches that batch with a wider buffer (and
remembers the width for later calls). Batches are as large as :data:`SCRATCH_BUDGET_BYTES`
allows; a thread needing more than :data:`MAX_THREAD_TAPE_BYTES` raises
:class:`DifferentiationError`.

Launch configuration: :data:`THREADS_PER_BLOCK` threads a block, ``ceil(n / threads)`` blocks.
"""

from __future__ import annotations

import math
import os
import types as _pytypes

import numpy as np

from ad_compiler.errors import CompilationError, DifferentiationError

__all__ = ["cuda_derivative", "kernel_source", "compile_ptx", "ptx_for_call",
           "gpu_available", "NoGPUError",
           "device_numpy", "device_runtime", "CudaDerivative"]

class NoGPUError(RuntimeError):
    """Raised when a cuda derivative is called on a machine without a usable GPU."""


THREADS_PER_BLOCK = 256
INITIAL_SEGMENT = 64                      # entries per data-dependent tape, first launch
SCRATCH_BUDGET_BYTES = 1 << 30            # scratch of one batch
MAX_THREAD_TAPE_BYTES = 64 << 20          # tapes of one thread

# numpy functions the elementwise rules print as np.NAME, by their math equivalents
_MATH_UNARY = {"sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos",
               "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
               "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "exp": "exp",
               "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
               "log1p": "log1p", "sqrt": "sqrt", "floor": "floor", "ceil": "ceil",
               "trunc": "trunc", "isnan": "isnan", "isfinite": "isfinite", "erf": "erf",
               "erfc": "erfc", "fabs": "fabs"}
_MATH_BINARY = {"arctan2": "atan2", "hypot": "hypot", "power": "pow", "copysign": "copysign"}

_DEVICE_NP_EXTRA = '''
def abs(x):
    return x if x >= 0 else -x
def absolute(x):
    return x if x >= 0 else -x
def square(x):
    return x * x
def exp2(x):
    return math.pow(2.0, x)
def cbrt(x):
    return math.copysign(math.pow(math.fabs(x), 1.0 / 3.0), x)
def sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else x))
def rint(x):
    r = math.floor(x + 0.5)
    return r - 1.0 if (r - x == 0.5 and r % 2.0 != 0.0) else r
def maximum(x, y):
    return x if x >= y else y
def minimum(x, y):
    return x if x <= y else y
def clip(x, lo, hi):
    return lo if x < lo else (hi if x > hi else x)
def where(c, a, b):
    return a if c else b
def negative(x):
    return -x
def float64(x):
    return float(x)
'''

_DEVICE_RT = '''
def erf(x):
    return math.erf(x)
def where(c, a, b):
    return a if c else b
def zeros_like(x):
    return 0.0
def unbroadcast(g, like):
    return g
def broadcast_like(x, like):
    return x
def sum_all(x):
    return x
def trip_count(start, stop, step):
    if step > 0:
        return (stop - start + step - 1) // step if stop > start else 0
    return (start - stop - step - 1) // (-step) if start > stop else 0
def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
def relu(x):
    return x if x > 0 else 0.0 * x
def push(col, j, m, k, v, need):
    w = col.shape[0] // m
    if k < w:
        col[j * w + k] = v
    else:
        cuda.atomic.max(need, 0, k + 1)
    return 0
def pop(col, j, m, k):
    w = col.shape[0] // m
    if k < w:
        return col[j * w + k]
    return col[0] * 0
'''


def _jitable_namespace(name, source, mapping=None):
    from numba import cuda
    from numba.cuda.extending import register_jitable

    ns = {"math": math, "cuda": cuda}
    exec(compile(source, f"<ad_compiler {name}>", "exec"), ns)
    # register_jitable: inlined into each caller at typing, needs no driver (compile_ptx works
    # without a GPU). The simulator swaps in its fake ``cuda`` module (atomics) only inside
    # cuda.jit functions, so there the helpers are device functions.
    wrap = cuda.jit(device=True) if _simulator() else register_jitable
    mod = _pytypes.ModuleType(name)
    for key, value in ns.items():
        if isinstance(value, _pytypes.FunctionType):
            setattr(mod, key, wrap(value))
    for key, value in (mapping or {}).items():
        setattr(mod, key, value)
    return mod


_NAMESPACES = {}


def device_numpy():
    """The ``np`` of generated CUDA modules: NumPy's scalar functions as device code."""
    if "np" not in _NAMESPACES:
        src = _DEVICE_NP_EXTRA
        for np_name, m in _MATH_UNARY.items():
            src += f"def {np_name}(x):\n    return math.{m}(x)\n"
        for np_name, m in _MATH_BINARY.items():
            src += f"def {np_name}(x, y):\n    return math.{m}(x, y)\n"
        _NAMESPACES["np"] = _jitable_namespace(
            "ad_compiler_device_np", src, {"pi": math.pi, "e": math.e, "inf": math.inf,
                                           "nan": math.nan})
    return _NAMESPACES["np"]


def device_runtime():
    """The ``_rt`` of generated CUDA modules: the scalar cases of the runtime helpers and the
    tape helpers of :mod:`ad_compiler.rules.device`, as device code."""
    if "rt" not in _NAMESPACES:
        _NAMESPACES["rt"] = _jitable_namespace("ad_compiler_device_rt", _DEVICE_RT)
    return _NAMESPACES["rt"]


def gpu_available() -> bool:
    """Whether a real GPU (not the simulator) can run kernels here."""
    try:
        from numba import cuda
        return (not _simulator()) and cuda.is_available()
    except Exception:  # noqa: BLE001 - no driver, no toolkit: no GPU
        return False


def _simulator() -> bool:
    from numba.core import config
    return bool(getattr(config, "ENABLE_CUDASIM", False))


# ---------------------------------------------------------------------------------------------
# kernel generation
# ---------------------------------------------------------------------------------------------

def kernel_source(entry: str, nparams: int, array_mask, keep, nresults: int,
                  scratch: bool, name: str = "_kernel") -> str:
    """Source of the kernel that calls ``entry`` once per element.

    ``array_mask[i]`` says whether parameter ``i`` is an array (read at the element) or a
    scalar (broadcast); ``keep`` lists the indices of ``entry``'s results written out (to
    ``_out<k>``); ``scratch`` adds the scratch buffers and the overflow counter."""
    params = [f"_a{i}" for i in range(nparams)]
    outs = [f"_out{k}" for k in keep]
    extra = ["_sf", "_si", "_need"] if scratch else []
    args = [f"_a{i}[_e]" if array_mask[i] else f"_a{i}" for i in range(nparams)]
    if scratch:
        args += ["_sf[:, _t]", "_si[:, _t]", "_need"]
    lines = [f"def {name}(_n, _base, {', '.join(params + outs + extra)}):",
             "    _t = cuda.grid(1)",
             "    if _t < _n:",
             "        _e = _base + _t",
             f"        _r = {entry}({', '.join(args)})"]
    lines += [f"        _out{k}[_e] = _r[{k}]" for k in keep]
    return "\n".join(lines) + "\n"


def _is_device_array(a) -> bool:
    return hasattr(a, "__cuda_array_interface__") or type(a).__name__ == "FakeCUDAArray"


class CudaDerivative:
    """The compiled cuda form of one derivative function: device functions, kernels per
    argument pattern, the launcher."""

    def __init__(self, derivative_ir, *, header="", fastmath=False, module_name="adc_cuda"):
        from ad_compiler.transforms.device import lower_tapes

        self.lowered, self.layout = lower_tapes(derivative_ir)
        self.entry = self.lowered.name
        self.nparams = len(derivative_ir.params)       # without the scratch parameters
        self.nresults = len(derivative_ir.body.yields)
        self.fastmath = fastmath
        self.module_name = module_name
        self.header = header
        # width of scratch segments: learned from overflows, at least every constant capacity
        self.segment = max(INITIAL_SEGMENT, self.layout.scratch_hint)
        self._module = None
        self._kernels = {}

    # -- source ------------------------------------------------------------------------------
    @property
    def device_source(self) -> str:
        from .emit import emit_module

        return emit_module([self.lowered], header=self.header)

    def source(self) -> str:
        """Device functions, then the kernel for the all-arrays pattern (others differ only
        in which parameters are indexed)."""
        kernel = kernel_source(self.entry, self.nparams, [True] * self.nparams,
                               list(range(self.nresults)), self.nresults,
                               self.layout.uses_scratch)
        note = ("# Device module: every function above is compiled with "
                "cuda.jit(device=True);\n# np and _rt are rebound to device namespaces "
                "(np.sin(x) is math.sin(x)).\n"
                "# Launcher kernel (cuda.jit), all parameters mapped over; scalar "
                "parameters are passed as-is instead of indexed:\n")
        return self.device_source.rstrip() + "\n\n\n" + note + "@cuda.jit\n" + kernel

    # -- compilation -------------------------------------------------------------------------
    def module(self):
        if self._module is None:
            from numba import boolean, cuda, float64, int64

            from . import helpers as host_helpers
            from .cache import load_module

            mod = load_module(self.device_source + "\n# ad_compiler numba_cuda device "
                              f"module, fastmath={bool(self.fastmath)}\n", self.module_name)
            try:
                from .numba_cpu import _GENERATED_FILES
                _GENERATED_FILES[os.path.basename(mod.__file__)] = os.path.abspath(
                    mod.__file__)
            except ImportError:  # pragma: no cover
                pass
            dnp, drt = device_numpy(), device_runtime()
            for key, value in list(vars(mod).items()):
                if value is np:
                    setattr(mod, key, dnp)
                elif value is host_helpers:
                    setattr(mod, key, drt)
            mod.cuda, mod.math = cuda, math
            mod.float64, mod.int64, mod.boolean = float64, int64, boolean
            mod._rt = drt
            funcs = [(k, v) for k, v in vars(mod).items()
                     if isinstance(v, _pytypes.FunctionType) and v.__module__ == mod.__name__]
            for fname, fn in funcs:
                setattr(mod, fname, cuda.jit(device=True, fastmath=bool(self.fastmath))(fn))
            self._py_funcs = dict(funcs)
            self._module = mod
        return self._module

    def kernel(self, array_mask, keep):
        key = (tuple(array_mask), tuple(keep))
        if key not in self._kernels:
            from numba import cuda

            mod = self.module()
            name = "_kernel_" + "".join("a" if m else "s" for m in array_mask) + "_" + \
                "_".join(map(str, keep))
            src = kernel_source(self.entry, self.nparams, array_mask, keep, self.nresults,
                                self.layout.uses_scratch, name)
            exec(compile(src, f"<ad_compiler kernel {name}>", "exec"), vars(mod))
            pyfunc = getattr(mod, name)
            self._kernels[key] = (cuda.jit(fastmath=bool(self.fastmath))(pyfunc), pyfunc, src)
        return self._kernels[key]

    # -- launching ---------------------------------------------------------------------------
    def __call__(self, *args, keep=None):
        """Run the derivative over the elements of the array arguments. Returns one array per
        kept result (all results by default), on the device when any input was a device array,
        else as NumPy arrays; 0-d values (floats) when every argument was a scalar."""
        from numba import cuda

        if len(args) != self.nparams:
            raise TypeError(f"{self.entry} takes {self.nparams} arguments, got {len(args)}")
        if not _simulator() and not gpu_available():
            raise NoGPUError('backend="cuda" needs an NVIDIA GPU with a working driver; none '
                             "was found. Set NUMBA_ENABLE_CUDASIM=1 (before numba.cuda is "
                             'imported) to run on the CUDA simulator, or use backend="numba"')
        keep = list(range(self.nresults)) if keep is None else list(keep)
        on_device = any(_is_device_array(a) for a in args)
        shape = None
        prepared, mask = [], []
        for i, a in enumerate(args):
            if _is_device_array(a):
                d = cuda.as_cuda_array(a) if not type(a).__name__ == "FakeCUDAArray" else a
                if d.ndim != 1:
                    raise ValueError("device array arguments must be 1-D")
                s = tuple(d.shape)
            elif isinstance(a, (np.ndarray, list, tuple)) and np.ndim(a) > 0:
                h = np.asarray(a)
                h = np.ascontiguousarray(h.reshape(-1), dtype=np.float64
                                         if h.dtype.kind in "fc" or h.dtype == object
                                         else np.int64 if h.dtype.kind in "iu" else h.dtype)
                s = np.shape(a)
                d = cuda.to_device(h)
            else:
                prepared.append(a.item() if isinstance(a, np.generic) else a)
                mask.append(False)
                continue
            if shape is None:
                shape = s
            elif s != shape:
                raise ValueError(f"array arguments must all have the same shape: {shape} "
                                 f"and {s} (scalars broadcast)")
            prepared.append(d)
            mask.append(True)
        n = int(np.prod(shape)) if shape is not None else 1
        outs = [cuda.device_array(n, dtype=np.float64) for _ in keep]
        if n:
            self._launch(prepared, mask, keep, outs, n)
        if on_device:
            return tuple(outs)
        host = [o.copy_to_host() for o in outs]
        if shape is None:
            return tuple(float(h[0]) for h in host)
        return tuple(h.reshape(shape) for h in host)

    def _launch(self, args, mask, keep, outs, n):
        from numba import cuda

        kernel, pyfunc, _ = self.kernel(mask, keep)
        tpb = THREADS_PER_BLOCK
        try:
            if not self.layout.uses_scratch:
                kernel[math.ceil(n / tpb), tpb](n, 0, *args, *outs)
                return
            nf, ni = max(len(self.layout.scratch_f), 1), max(len(self.layout.scratch_i), 1)
            need = cuda.device_array(1, dtype=np.int64)
            base = 0
            while base < n:
                width = self.segment
                per_thread = 8 * width * (nf + ni)
                if per_thread > MAX_THREAD_TAPE_BYTES:
                    raise DifferentiationError(
                        f"a data-dependent tape of {width} entries needs "
                        f"{per_thread} bytes per thread, more than the per-thread limit of "
                        f"{MAX_THREAD_TAPE_BYTES} bytes (ad_compiler.backends.numba_cuda."
                        "MAX_THREAD_TAPE_BYTES)", construct="tape",
                        function=self.lowered.name, filename=self.lowered.filename,
                        line=self.lowered.first_line)
                batch = min(n - base, max(1, SCRATCH_BUDGET_BYTES // per_thread))
                sf = cuda.device_array((nf * width, batch), dtype=np.float64)
                si = cuda.device_array((ni * width, batch), dtype=np.int64)
                need.copy_to_device(np.zeros(1, dtype=np.int64))
                kernel[math.ceil(batch / tpb), tpb](batch, base, *args, *outs, sf, si, need)
                needed = int(need.copy_to_host()[0])
                if needed > width:
                    self.segment = max(needed, 2 * width)
                    continue                 # relaunch this batch with wider segments
                base += batch
        except DifferentiationError:
            raise
        except Exception as e:  # noqa: BLE001
            from numba.core.errors import NumbaError

            if isinstance(e, NumbaError):
                raise _compile_error(e, self._py_funcs.get(self.entry, pyfunc)) from None
            raise

    # -- PTX ---------------------------------------------------------------------------------
    def compile_ptx(self, array_mask=None, keep=None, cc=(9, 0), arg_types=None):
        """PTX of the kernel for ``array_mask`` (default: every parameter an array), compiled
        for compute capability ``cc`` without a GPU (needs NVVM, e.g. ``numba-cuda[cu13]``).
        ``arg_types``: numba types of the parameters (default float64 / float64[::1])."""
        from numba import types

        mask = [True] * self.nparams if array_mask is None else list(array_mask)
        keep = list(range(self.nresults)) if keep is None else list(keep)
        _, pyfunc, _ = self.kernel(mask, keep)
        f64, arr = types.float64, types.float64[::1]
        if arg_types is None:
            arg_types = [arr if m else f64 for m in mask]
        sig = [types.int64, types.int64, *arg_types, *([arr] * len(keep))]
        if self.layout.uses_scratch:
            sig += [types.float64[:, ::1], types.int64[:, ::1], types.int64[::1]]
        return compile_ptx(pyfunc, tuple(sig), cc=cc)


def compile_ptx(pyfunc, sig, cc=(9, 0), device=False):
    """``numba.cuda.compile_ptx`` that also works with no driver: device functions called by
    ``pyfunc`` are typed for ``cc`` instead of asking the (absent) current device. Returns the
    PTX text."""
    import numba.cuda.dispatcher as dispatcher_module
    from numba import cuda

    class _Device:
        compute_capability = tuple(cc)

    original = dispatcher_module.get_current_device
    dispatcher_module.get_current_device = lambda: _Device()
    try:
        ptx, _ = cuda.compile_ptx(pyfunc, sig, cc=tuple(cc), device=device)
    finally:
        dispatcher_module.get_current_device = original
    return ptx


def _numba_type(value):
    from numba import types

    if _is_device_array(value) or (isinstance(value, np.ndarray) and value.ndim):
        dt = np.dtype(value.dtype)
        dt = np.float64 if dt.kind in "fc" else np.int64 if dt.kind in "iu" else dt
        from numba.np.numpy_support import from_dtype
        return types.Array(from_dtype(np.dtype(dt)), 1, "C")
    if isinstance(value, (bool, np.bool_)):
        return types.boolean
    if isinstance(value, (int, np.integer)):
        return types.int64
    return types.float64


def ptx_for_call(d, *args, cc=(9, 0)):
    """PTX of the kernel that calling derivative ``d`` (``ad.grad(f, backend="cuda")``)
    with ``args`` would launch, compiled for ``cc`` with no GPU."""
    cd = d.cuda_kernel()
    full, keep = d.cuda_launch(args)
    mask = [_is_device_array(a) or np.ndim(a) > 0 for a in full]
    return cd.compile_ptx(mask, keep, cc=cc, arg_types=[_numba_type(
        np.asarray(a) if np.ndim(a) else a) for a in full])


def _compile_error(exc, py_func):
    try:
        from .numba_cpu import _map_numba_error
        err = _map_numba_error(exc, py_func)
        err.args = (str(err).replace('Use backend="python"', 'Use backend="numba"'),)
        return err
    except Exception:  # noqa: BLE001
        return CompilationError(f"numba.cuda could not compile the generated kernel: {exc}",
                                function=getattr(py_func, "__name__", None))


def cuda_derivative(d) -> CudaDerivative:
    """The :class:`CudaDerivative` behind a derivative function made with
    ``backend="cuda"`` (built once by the pipeline)."""
    return d.cuda_kernel()

"""The function transforms users call: ``grad``, ``value_and_grad``, ``vjp``, ``show``.

Each builds the pipeline once per function and transform (source -> SSA IR -> derivative IR
-> Python source), lazily compiles that source with the chosen backend on first call (Numba
then specialises per argument types), and passes the current values of the function's
globals and closure cells on every call, so that a changed global is never frozen.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from .errors import DifferentiationError
from .frontend import build_ir
from .transforms.reverse import reverse

BACKENDS = ("numba", "python", "cuda")


def _normalise_wrt(wrt):
    if isinstance(wrt, int):
        return (wrt,), False
    wrt = tuple(wrt)
    if not wrt or not all(isinstance(i, int) for i in wrt):
        raise TypeError(f"wrt must be an int or a tuple of ints, got {wrt!r}")
    return wrt, True


class DerivativeFunction:
    """A compiled derivative of a user function, with its generated source at hand.

    ``.source`` is the generated Python module (readable, with the user's line as a comment
    on each statement), ``.ir`` the text of the SSA IR of the user's function; both exist
    before the first call. Compilation happens on the first call.
    """

    def __init__(self, fn: Callable, wrt=0, *, backend="numba", fastmath=False, kind="grad"):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.fn = fn
        self.wrt, self._wrt_tuple = _normalise_wrt(wrt)
        self.backend = backend
        self.fastmath = fastmath
        self.kind = kind
        self.primal_ir = build_ir(fn)
        nparams = len(self.primal_ir.params)
        for i in self.wrt:
            if not -nparams <= i < nparams:
                raise DifferentiationError(
                    f"wrt={i} is out of range for a function of {nparams} parameters",
                    function=self.primal_ir.name, filename=self.primal_ir.filename,
                    line=self.primal_ir.first_line)
        self.wrt = tuple(i % nparams for i in self.wrt)
        self.derivative_ir = reverse(self.primal_ir, self.wrt)
        self.entry = self.derivative_ir.name
        self._compiled = None
        functools.update_wrapper(self, fn)

    @functools.cached_property
    def source(self) -> str:
        from .backends.emit import emit_module

        if self.backend == "cuda":
            from .backends.numba_cuda import cuda_source

            return cuda_source(self)
        header = (f"Reverse-mode derivative of {self.primal_ir.name} "
                  f"({self.primal_ir.filename}:{self.primal_ir.first_line}), "
                  f"wrt={self.wrt if self._wrt_tuple else self.wrt[0]}")
        return emit_module([self.derivative_ir], header=header)

    @property
    def ir(self) -> str:
        return str(self.primal_ir)

    def _compile(self):
        if self._compiled is None:
            module_name = f"adc_{self.primal_ir.name}"
            if self.backend == "python":
                from .backends.python import load_module

                self._compiled = getattr(load_module(self.source, module_name), self.entry)
            elif self.backend == "numba":
                from .backends.numba_cpu import compile_functions, contiguous_args

                compiled = compile_functions(self.source, module_name, [self.entry],
                                             fastmath=self.fastmath)
                self._compiled = contiguous_args(compiled[self.entry])
            else:
                from .backends.numba_cuda import compile_cuda

                self._compiled = compile_cuda(self)
        return self._compiled

    def _free_values(self):
        return [_lookup_free_var(self.fn, name) for name in self.primal_ir.free_var_sources]

    def vjp_call(self, args, seeds):
        if len(args) != len(self.primal_ir.params):
            raise TypeError(f"{self.primal_ir.name}() takes {len(self.primal_ir.params)} "
                            f"positional arguments but {len(args)} were given")
        args = [_as_input(a, i in self.wrt) for i, a in enumerate(args)]
        results = self._compile()(*args, *self._free_values(), *seeds)
        nout = len(self.primal_ir.body.yields)
        return results[:nout], results[nout:]

    def __call__(self, *args):
        outputs, grads = self.vjp_call(args, [1.0] * len(self.primal_ir.body.yields))
        if len(outputs) != 1 or (np.ndim(outputs[0]) != 0 and self.backend != "cuda"):
            raise DifferentiationError(
                f"grad requires a function with a scalar output, but "
                f"{self.primal_ir.name} returned "
                f"{'a tuple' if len(outputs) != 1 else f'an array of shape {np.shape(outputs[0])}'}"
                f"; use ad.vjp or ad.jacobian for non-scalar outputs",
                function=self.primal_ir.name, filename=self.primal_ir.filename,
                line=self.primal_ir.first_line)
        grads = tuple(_as_output(g) for g in grads)
        gradient = grads if self._wrt_tuple else grads[0]
        if self.kind == "value_and_grad":
            return _as_output(outputs[0]), gradient
        return gradient

    def __repr__(self):
        return f"<{self.kind} of {self.primal_ir.name} wrt={self.wrt} backend={self.backend}>"


def _as_input(value, differentiated):
    """Differentiated scalars become floats, arrays contiguous float arrays; others pass."""
    if isinstance(value, np.ndarray):
        if differentiated and value.dtype.kind in "iub":
            value = value.astype(np.float64)
        return value
    if differentiated and isinstance(value, (int, np.integer, bool)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=np.float64 if differentiated else None)
    return value


def _as_output(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _lookup_free_var(fn, name):
    """Current value of a global or closure variable the frontend turned into a parameter.
    ``name`` is ``"module:qualname"``-free: a plain name, or ``owner_id:name`` for names of
    inlined callees (resolved by the frontend's resolver)."""
    from .frontend import resolve_free_var

    return resolve_free_var(fn, name)


def _decorator(kind):
    def transform(f=None, wrt=0, *, backend="numba", fastmath=False, checkpoint=None):
        if checkpoint is not None:
            raise NotImplementedError("checkpointing is not available yet")
        if f is None:
            return lambda g: DerivativeFunction(g, wrt, backend=backend, fastmath=fastmath,
                                                kind=kind)
        return DerivativeFunction(f, wrt, backend=backend, fastmath=fastmath, kind=kind)

    transform.__name__ = kind
    return transform


grad = _decorator("grad")
grad.__doc__ = """The gradient of a scalar function: ``ad.grad(f, wrt=0)(*args)``.

    Usable as ``@ad.grad`` or ``@ad.grad(wrt=(0, 1))``; ``wrt`` a tuple gives a tuple."""
value_and_grad = _decorator("value_and_grad")
value_and_grad.__doc__ = """``(f(*args), gradient)`` from one forward and one reverse sweep."""


def vjp(f, *primals, backend="numba"):
    """``(out, pullback)``: ``pullback(cotangent)`` gives one cotangent per primal."""
    d = f if isinstance(f, DerivativeFunction) else DerivativeFunction(
        f, tuple(range(len(primals))), backend=backend, kind="vjp")
    outputs, _ = d.vjp_call(primals, [_zero_seed(p) for p in d.primal_ir.body.yields])
    out = outputs if d.primal_ir.returns_tuple else outputs[0]

    def pullback(cotangent):
        seeds = cotangent if d.primal_ir.returns_tuple else (cotangent,)
        _, grads = d.vjp_call(primals, [np.asarray(s, dtype=np.float64) if np.ndim(s)
                                        else float(s) for s in seeds])
        return tuple(_as_output(g) for g in grads)

    return _as_output(out) if not isinstance(out, tuple) else tuple(map(_as_output, out)), \
        pullback


def _zero_seed(value):
    return 0.0


def show(f_or_derivative, wrt=0):
    """Print the generated derivative source of a function (or of a derivative function)."""
    d = f_or_derivative if isinstance(f_or_derivative, DerivativeFunction) else \
        DerivativeFunction(f_or_derivative, wrt, backend="python")
    print(d.source)

"""``ad.jit``: a compiled function as one node of the Tensor graph.

The user's function is compiled twice by the compiler: its primal (the forward pass, run on
the Tensors' data) and its adjoint (the node's backward). Both are stages of the one pipeline
(:mod:`ad_compiler.pipeline`), specialised to the argument types of a call.

The node is an ordinary primitive of the one rule table, registered per jitted function: its
``impl`` runs the compiled primal and its vjp rules run the compiled adjoint, so the runtime
records, saves, frees and checks it like ``MulBackward0``. The node is named
``CompiledFunctionBackward``. The adjoint is not itself recorded: ``create_graph=True``
through a jitted function raises (use ``ad.hessian`` on the function instead).
"""

from __future__ import annotations

import functools

import numpy as np

from ..api import DerivativeFunction
from ..pipeline import Spec
from ..rules.table import Primitive
from . import grad_mode
from .tensor import Tensor, _record, _wrap

NODE_NAME = "CompiledFunctionBackward"


class CompiledFunction:
    """The callable ``ad.jit(f)`` returns: takes Tensors (or numbers and arrays), returns a
    Tensor whose ``grad_fn`` is a ``CompiledFunctionBackward`` node when an input requires
    grad and grad mode is on; only the compiled primal runs otherwise."""

    def __init__(self, fn, *, backend="numba", fastmath=False, boundscheck=None):
        self.fn = fn
        self.backend = backend
        self.fastmath = fastmath
        self.boundscheck = boundscheck
        # building the derivative checks the whole function once, at decoration
        self._derivatives = {}
        self._first = self._derivative(tuple(range(len(_params(fn)))))
        self.primal_ir = self._first.primal_ir
        self._checked = set()     # ids of the primal stages checked for writes into arguments
        self._last = None
        nparams = len(self.primal_ir.params)
        self.primitive = Primitive(
            name=f"jit_{fn.__qualname__}_{id(self):x}", nargs=nparams, impl=self._run_primal,
            vjps=tuple(self._vjp_rule(i) for i in range(nparams)))
        functools.update_wrapper(self, fn)

    # -------------------------------------------------------------------- compiled code
    def _derivative(self, wrt) -> DerivativeFunction:
        if wrt not in self._derivatives:
            self._derivatives[wrt] = DerivativeFunction(
                self.fn, wrt, backend=self.backend, fastmath=self.fastmath, kind="vjp",
                boundscheck=self.boundscheck)
        return self._derivatives[wrt]

    def _run_primal(self, *arrays):
        first = self._first
        call = first.pipeline.prepare(arrays, None, (), self.backend)
        stage = first.pipeline.stage(Spec("primal", (), first.spec.options), call.trees,
                                     call.kinds, ())
        if id(stage) not in self._checked:     # the IR specialised to these argument kinds
            _refuse_writes_into_arguments(stage.ir)
            self._checked.add(id(stage))
        return np.asarray(first.primal_call(call))

    def _pullback(self, arrays, g):
        """Cotangents of every differentiable argument, from one run of the adjoint (the
        rules of the node's operands ask in turn; the last answer is kept for them)."""
        key = (id(g), tuple(id(a) for a in arrays))
        if self._last is None or self._last[0] != key:
            wrt = tuple(i for i, a in enumerate(arrays)
                        if isinstance(a, np.ndarray) and a.dtype.kind == "f")
            d = self._derivative(wrt)
            seed = np.asarray(g, dtype=np.float64)
            _, grads = d.vjp_call(d.prepare(list(arrays)), [seed if seed.ndim else
                                                             float(seed)])
            self._last = (key, dict(zip(wrt, grads)))
        return self._last[1]

    def _vjp_rule(self, i):
        def rule(o, g, ans, *operands):
            if isinstance(g, Tensor):
                raise RuntimeError(
                    f"create_graph=True is not supported through ad.jit function "
                    f"'{self.fn.__name__}': its backward is compiled code; use ad.hessian "
                    f"or ad.hvp on the function for second derivatives")
            grad = self._pullback(operands, g)[i]
            like = operands[i]
            return np.asarray(grad, dtype=like.dtype).reshape(np.shape(like))
        return rule

    # -------------------------------------------------------------------- calling
    def __call__(self, *args):
        T = Tensor
        arrays = [a._data if isinstance(a, T) else a for a in args]
        out = self._run_primal(*arrays)
        floats = [a for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
        if floats:
            out = out.astype(np.result_type(*floats), copy=False)
        needs_grad = grad_mode.is_grad_enabled() and any(
            isinstance(a, T) and a.requires_grad for a in args)
        if not needs_grad:
            return _wrap(out)
        return _record(self.primitive, NODE_NAME, list(args), out, {})

    def __repr__(self):
        return f"<ad.jit of {self.fn.__name__} backend={self.backend}>"


def _refuse_writes_into_arguments(ir):
    """The node's backward runs the adjoint on the arrays its forward was given: a function
    writing into them (through any name or view) would run it on what the forward left
    there (a wrong gradient), and would change a Tensor's data behind the graph (PyTorch
    refuses in-place changes of a leaf that requires grad): refused, naming the store."""
    from ..analysis.memory import Memory, user_name
    from ..errors import DifferentiationError
    from ..frontend.ir import Store, walk

    memory = Memory(ir)
    params = {id(p): p for p in ir.params}
    for op in walk(ir.body):
        if isinstance(op, Store):
            hit = [params[a] for a in memory.allocations(op.operands[0]) if a in params]
            if hit:
                raise DifferentiationError(
                    f"ad.jit: the function writes into its argument '{user_name(hit[0])}' "
                    f"(in place), which the node's backward reads; copy it first "
                    f"(np.copy) in the function",
                    construct="in-place write into an argument", function=ir.name,
                    filename=ir.filename, line=op.line)


def _params(fn):
    import inspect

    return list(inspect.signature(fn).parameters)


def jit(fn=None, *, backend="numba", fastmath=False, boundscheck=None):
    """Compile ``fn`` for use on Tensors: one graph node whose backward is the compiled
    adjoint. Usable as ``@ad.jit`` or ``@ad.jit(backend="python")``."""
    if fn is None:
        return lambda f: CompiledFunction(f, backend=backend, fastmath=fastmath,
                                          boundscheck=boundscheck)
    return CompiledFunction(fn, backend=backend, fastmath=fastmath, boundscheck=boundscheck)

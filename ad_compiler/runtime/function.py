"""``ad.autograd.Function``: a user-written forward and backward as one graph node.

``forward(ctx, *args)`` runs without recording; ``backward(ctx, *grads)`` returns one gradient
per forward argument (``None`` where none flows). With ``create_graph=True`` the backward runs
on Tensors in grad mode, so it is itself recorded and can be differentiated again. A Function
with several outputs gets one node; each output's gradient reaches it through a small
selector node, zeros standing in for outputs that received none (PyTorch materialises them).
"""

from __future__ import annotations

import numpy as np

from . import engine, grad_mode
from .tensor import Tensor, _next_seq, _wrap, accumulate_node

_STATE = grad_mode.STATE


class FunctionCtx:
    """What ``forward`` gives ``backward``: saved tensors (checked against later in-place
    changes, as PyTorch does) and any attribute set on it."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._versions = ()
        self._freed = False
        self.materialize_grads = True
        self._non_differentiable = set()
        self._dirty = set()

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._versions = tuple(t._vbox[0] if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(engine.FREED_MSG)
        for t, v in zip(self._saved, self._versions):
            if isinstance(t, Tensor) and t._vbox[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{engine._type_name(t.dtype)} {list(t.shape)}] "
                    f"is at version {t._vbox[0]}; expected version {v} instead.")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _Parts(dict):
    """Gradients of some outputs of a multi-output Function, by output number; adding two
    merges them (the engine sums what reaches a node)."""

    def __add__(self, other):
        out = _Parts(self)
        for k, g in other.items():
            out[k] = g if k not in out else out[k] + g
        return out

    __radd__ = __add__


class FunctionBackward:
    """The node of one ``Function.apply`` call."""

    __slots__ = ("next_functions", "_seq", "_ctx", "_fn_cls", "_in_shapes", "_out_meta",
                 "__weakref__")

    def name(self):
        return f"{self._fn_cls.__name__}Backward"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, hook):
        raise NotImplementedError("hooks on backward nodes are not supported")

    def _release(self):
        self._ctx._freed = True

    def apply(self, g, create_graph, mask=None):
        ctx = self._ctx
        if ctx._freed:
            raise RuntimeError(engine.FREED_MSG)
        parts = g if isinstance(g, _Parts) else _Parts({0: g})
        grads = []
        for k, (shape, dt) in enumerate(self._out_meta):
            gk = parts.get(k)
            if gk is None:
                gk = np.zeros(shape, dt) if ctx.materialize_grads else None
                if gk is not None and create_graph:
                    gk = _wrap(gk)
            elif not create_graph:
                gk = _wrap(engine._as_array(gk))
            grads.append(gk)
        res = self._fn_cls.backward(ctx, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_functions)
        if len(res) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(res)})")
        out = []
        for i, ((nxt, _), gi) in enumerate(zip(self.next_functions, res)):
            if nxt is None or gi is None or (mask is not None and not mask[i]):
                out.append(None)
                continue
            if not isinstance(gi, Tensor):
                gi = _wrap(np.asarray(gi))
            if tuple(gi.shape) != self._in_shapes[i]:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(gi.shape)} but expected shape compatible with "
                    f"{list(self._in_shapes[i])}")
            out.append(gi if create_graph else gi._data)
        return out


class _OutputSelect:
    """Routes the gradient of output ``k`` of a multi-output Function to its node."""

    __slots__ = ("next_functions", "_seq", "_k", "__weakref__")

    def name(self):
        return self.next_functions[0][0].name()

    def apply(self, g, create_graph, mask=None):
        return [_Parts({self._k: g})]

    def _release(self):
        pass


class Function:
    """Subclass with static ``forward(ctx, ...)`` and ``backward(ctx, *grads)``; call
    ``MyFunction.apply(...)``. The newer form ``forward(...)`` plus
    ``setup_context(ctx, inputs, output)`` works too."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        ctx = FunctionCtx(needs)
        separate = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            out = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args,
                                                                            **kwargs)
            if separate:
                cls.setup_context(ctx, args, out)
        if not (_STATE.enabled and any(needs)):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        node = FunctionBackward()
        node.next_functions = tuple(
            ((a.grad_fn or accumulate_node(a)), 0) if isinstance(a, Tensor) and a._rg
            else (None, 0) for a in args)
        node._seq = _next_seq()
        node._ctx = ctx
        node._fn_cls = cls
        node._in_shapes = tuple(tuple(a.shape) if isinstance(a, Tensor) else ()
                                for a in args)
        node._out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor)
                               else ((), np.float32) for o in outs)
        inputs = {id(a) for a in args if isinstance(a, Tensor)}
        results = []
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if id(o) in inputs and id(o) not in ctx._dirty:
                o = _wrap(o._data, False, None, o._vbox)     # an input returned: a new alias
            if id(o) in ctx._non_differentiable or o._data.dtype.kind != "f":
                results.append(o)
                continue
            if len(outs) == 1:
                fn = node
            else:
                fn = _OutputSelect()
                fn.next_functions = ((node, 0),)
                fn._seq = _next_seq()
                fn._k = k
            o._fn = fn
            o._rg = True
            results.append(o)
        return tuple(results) if isinstance(out, tuple) else results[0]


class once_differentiable:          # noqa: N801  (PyTorch's name)
    """Decorator kept for source compatibility: the backward runs as written."""

    def __new__(cls, fn):
        return fn

"""The Tensor runtime: NumPy-backed Tensors with PyTorch's autograd semantics.

Every name in :data:`__all__` is meant to be available as ``ad.<name>``
(``import ad_compiler as ad``): constructors, dtypes, grad mode, ``autograd``, ``make_dot``,
``nn``, ``optim`` and the functional forms of the operations.
"""

from __future__ import annotations

import types

from . import engine, grad_mode
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .tensor import (Size, Tensor, bool_, double, dtype, float16, float32, float64, half, int8,
                     int16, int32, int64, long, short, tensor, uint8)
from .viz import make_dot


def _grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
          allow_unused=None, materialize_grads=False):
    """Gradients of ``outputs`` (summed, if several) with respect to each of ``inputs``: a
    tuple, one entry per input, even for a single input."""
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        gos = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor):
        gos = [grad_outputs]
    else:
        gos = list(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    res = engine.run_backward(outs, gos, retain_graph, create_graph, ins, allow_unused)
    if materialize_grads:
        from .functional import zeros_like
        res = tuple(zeros_like(t) if r is None else r for r, t in zip(res, ins))
    return res


def _backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``autograd.backward``: accumulate the gradients of ``tensors`` into leaves' ``.grad``."""
    ts = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None:
        gs = [None] * len(ts)
    elif isinstance(grad_tensors, Tensor):
        gs = [grad_tensors]
    else:
        gs = list(grad_tensors)
    engine.run_backward(ts, gs, retain_graph, create_graph)


from . import autograd_functional as _autograd_functional  # noqa: E402
from .function import Function, FunctionCtx, once_differentiable  # noqa: E402

autograd = types.SimpleNamespace(grad=_grad, backward=_backward, no_grad=no_grad,
                                 enable_grad=enable_grad, set_grad_enabled=set_grad_enabled,
                                 inference_mode=inference_mode, Function=Function,
                                 FunctionCtx=FunctionCtx, functional=_autograd_functional,
                                 once_differentiable=once_differentiable)
autograd.__doc__ = ("``ad.autograd``: ``grad``, ``backward``, ``Function`` and "
                    "``functional``, as in PyTorch.")

def is_inference(t):
    """Whether ``t`` is an inference tensor (made in ``inference_mode``)."""
    return t.is_inference()


# dtype aliases under PyTorch's names (``ad.float`` is float32, ``ad.bool`` is bool)
float = float32  # noqa: A001
int = int32      # noqa: A001
bool = bool_     # noqa: A001


def __getattr__(name):        # ``nn`` and ``optim`` are imported on first use
    if name in ("nn", "optim", "utils"):
        import importlib
        return importlib.import_module(f"ad_compiler.{name}")
    raise AttributeError(name)


__all__ = sorted(set(_functional_all) | {
    "Tensor", "Size", "dtype", "tensor", "float16", "float32", "float64", "half", "double",
    "int8", "int16", "int32", "int64", "long", "short", "uint8", "bool", "float", "int",
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "is_inference_mode_enabled", "is_inference",
    "autograd", "make_dot", "nn", "optim", "utils"})

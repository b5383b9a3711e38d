"""``ad.nn.functional``: the functions behind the layers (one primitive each where PyTorch has
one node: ``linear`` is ``AddmmBackward0``, ``mse_loss`` ``MseLossBackward0``)."""

from __future__ import annotations

from ..rules import PRIMITIVES as _P
from ..runtime.tensor import Tensor, _apply, matmul


def linear(input, weight, bias=None):
    if bias is None:
        return matmul(input, weight.t() if weight.ndim == 2 else weight)
    name = "AddmmBackward0" if input.ndim == 2 else "ViewBackward0"
    return _apply(_P["linear"], name, (input, weight, bias))


def relu(input, inplace=False):
    return input.relu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def mse_loss(input, target, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not isinstance(target, Tensor):
        target = Tensor(target)
    return _apply(_P["mse_loss"], "MseLossBackward0", (input, target),
                  {"reduction": reduction})


def l1_loss(input, target, reduction="mean"):
    d = (input - target).abs()
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d

"""``ad.nn.functional``: the functions behind the layers (one primitive each where PyTorch has
one node: ``linear`` is ``AddmmBackward0``, ``mse_loss`` ``MseLossBackward0``)."""

from __future__ import annotations

import numpy as np

from ..rules import PRIMITIVES as _P
from ..runtime.tensor import Tensor, _apply, _wrap, default_generator, matmul


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


def softmax(input, dim=None, dtype=None):
    return input.softmax(-1 if dim is None else dim, dtype)


def log_softmax(input, dim=None, dtype=None):
    return input.log_softmax(-1 if dim is None else dim, dtype)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return input.leaky_relu_(negative_slope) if inplace else input.leaky_relu(negative_slope)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``; the mask
    comes from ``ad``'s generator (NumPy's PCG64, so masks differ from PyTorch's)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = default_generator._rng.random(input.shape) >= p
    mask = (keep / (1.0 - p)).astype(input._data.dtype)
    return input.mul_(mask) if inplace else input * mask


def _reduce(loss, reduction, weight_sum=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight_sum if weight_sum is not None else loss.mean()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _target_weights(t, classes, weight, ignore_index, dt):
    """(targets with the ignored ones set to class 0, each target's weight, their total) after
    PyTorch's bounds check. Without class weights and ignored targets (the common case) the
    weight is the scalar 1 and the total the count: one reduction, no arrays built."""
    if t.size == 0:
        return t, np.zeros(t.shape, dt), 0
    unsigned = t if t.dtype.kind == "u" else t.view(f"u{t.dtype.itemsize}")
    if weight is None and not 0 <= ignore_index < classes and unsigned.max() < classes:
        return t, 1.0, t.size        # (a negative target reads as a huge unsigned)
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    bad = (safe < 0) | (safe >= classes)
    if bad.any():
        raise IndexError(f"Target {int(safe[bad][0])} is out of bounds.")
    w = np.ones(classes, dt) if weight is None else weight._data
    wt = (w[safe] * valid).astype(dt)
    return safe, wt, wt.sum()


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """``-input[n, target[n]]`` (times the class weight), averaged over the weights of the
    targets that are not ``ignore_index``, as PyTorch's NLLLoss."""
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {t.dtype}")
    if input._data.ndim == 1:
        input, t = input.unsqueeze(0), t.reshape(1)
    safe, wt, total = _target_weights(t, input._data.shape[1], weight, ignore_index,
                                      input._data.dtype)
    if input._data.ndim == 2 and reduction in ("mean", "sum", "none"):
        coef = -wt / total if reduction == "mean" else -wt
        return _apply(_P["rt_nll"], "NllLossBackward0", (input,),
                      {"target": safe, "coef": coef, "reduction": reduction})
    moved = input.movedim(1, -1)
    grids = np.indices(safe.shape, sparse=True)
    picked = moved[tuple(grids) + (safe,)]
    loss = picked * (-wt)
    out = _reduce(loss, reduction, float(total) if reduction == "mean" else None)
    if reduction != "none":
        out = _apply(_P["pos"], "NllLossBackward0", (out,))
    return out


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``; float targets are class probabilities."""
    logp = log_softmax(input, 1 if input.ndim > 1 else 0)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if t.dtype.kind == "f":
        probs = target if isinstance(target, Tensor) else Tensor(t)
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + label_smoothing / classes
        w = 1.0 if weight is None else weight.reshape((classes,) + (1,) * (input.ndim - 2))
        loss = -(logp * probs * w).sum(1 if input.ndim > 1 else 0)
        return _reduce(loss, reduction, None if reduction != "mean" else
                       float(np.prod(loss.shape)) if loss.ndim else 1.0)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if not label_smoothing:
        return nll
    w = 1.0 if weight is None else weight.reshape((classes,) + (1,) * (input.ndim - 2))
    smooth = -(logp * w).sum(1 if input.ndim > 1 else 0)
    valid = (t != ignore_index)
    smooth = smooth * Tensor(valid.astype(np.float32)).to(input.dtype)
    if reduction == "mean":
        denom = float(valid.sum()) if weight is None else float(
            (weight._data[np.where(valid, t, 0)] * valid).sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def one_hot(tensor, num_classes=-1):
    t = tensor._data
    n = int(t.max()) + 1 if num_classes < 0 else num_classes
    return _wrap((np.arange(n) == t[..., None]).astype(np.int64))

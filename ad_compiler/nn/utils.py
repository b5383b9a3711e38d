"""``ad.nn.utils``: gradient clipping as PyTorch's ``clip_grad_norm_``/``clip_grad_value_``
(in place on ``.grad``, no graph recorded)."""

from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor, _wrap


def _grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p._grad for p in params if p._grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``;
    returns the norm before clipping (a 0-d Tensor)."""
    grads = _grads(parameters)
    if not grads:
        return _wrap(np.zeros((), np.float32))
    norm_type = float(norm_type)
    dt = grads[0]._data.dtype
    if norm_type == float("inf"):
        norms = [np.max(np.abs(g._data)) for g in grads]
        total = np.max(np.asarray(norms, dt))
    else:
        norms = [np.sum(np.abs(g._data) ** norm_type) ** (1.0 / norm_type) for g in grads]
        total = np.sum(np.asarray(norms, dt) ** norm_type) ** (1.0 / norm_type)
    total = dt.type(total)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    coef = min(dt.type(max_norm) / (total + dt.type(1e-6)), dt.type(1.0))
    for g in grads:
        g._data *= dt.type(coef)
        g._vbox[0] += 1
    return _wrap(np.asarray(total, dt))


def clip_grad_value_(parameters, clip_value, foreach=None):
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._vbox[0] += 1


def parameters_to_vector(parameters):
    from ..runtime.tensor import cat
    return cat([p.reshape(-1) for p in parameters])

"""``ad.optim``: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop`` and ``lr_scheduler``, updating the
parameters' arrays in place (no graph is recorded) with PyTorch's update formulas evaluated
in PyTorch's order (so float32 results agree to the last bits where NumPy rounds alike).
Optimizers have PyTorch's ``state_dict``/``load_state_dict``/``add_param_group``."""

from __future__ import annotations

import copy
import math

import numpy as np

from ..runtime.tensor import Tensor, _wrap
from . import lr_scheduler  # noqa: F401  (``ad.optim.lr_scheduler``)


class Optimizer:
    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.defaults = defaults
        self.param_groups = []
        self.state = {}
        for g in (params if isinstance(params[0], dict) else [{"params": params}]):
            self.add_param_group(g)

    def add_param_group(self, param_group):
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                if p._grad is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        p._grad._data.fill(0)
                        p._grad._vbox[0] += 1

    def _params_with_grad(self, group):
        for p in group["params"]:
            if p._grad is not None:
                yield p, p._data, p._grad._data

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from ..runtime.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        self._step()
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    p._vbox[0] += 1
        return loss

    def state_dict(self):
        """``{"state": {index: {name: Tensor}}, "param_groups": [...]}`` with parameters
        numbered in group order, as PyTorch."""
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                st = self.state.get(p)
                if st:
                    # the state's own arrays, as PyTorch returns its state tensors
                    state[index[id(p)]] = {k: _wrap(v) if isinstance(v, np.ndarray)
                                           else copy.deepcopy(v) for k, v in st.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params = {}
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
            for p, k in zip(mine["params"], saved["params"]):
                params[k] = p
            mine.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for k, st in state_dict["state"].items():
            p = params[k]
            # arrays of the parameter's dtype are taken as they are (PyTorch's ``.to`` is a
            # no-op there), so two optimizers loaded from one state dict share it
            self.state[p] = {name: (v._data if name == "step" or
                                    v._data.dtype == p._data.dtype else
                                    v._data.astype(p._data.dtype)) if isinstance(v, Tensor)
                             else copy.deepcopy(v) for name, v in st.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _step(self):
        for group in self.param_groups:
            lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
            wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p, data, grad in self._params_with_grad(group):
                d = -grad if maximize else grad
                if wd:
                    d = d + wd * data
                if mom:
                    st = self.state.setdefault(p, {})
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = np.array(d, dtype=data.dtype)
                    else:
                        buf *= mom
                        buf += (1 - damp) * d
                    d = d + mom * buf if nesterov else buf
                data -= lr * d


class Adam(Optimizer):
    """Adam; ``AdamW`` is Adam with the weight decay applied to the parameter directly."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _step(self):
        for group in self.param_groups:
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
            for p, data, grad in self._params_with_grad(group):
                if maximize:
                    grad = -grad
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": np.zeros((), np.float32),
                                          "exp_avg": np.zeros_like(data),
                                          "exp_avg_sq": np.zeros_like(data)}
                    if amsgrad:
                        st["max_exp_avg_sq"] = np.zeros_like(data)
                if wd:
                    if self._decoupled:
                        data *= 1 - lr * wd
                    else:
                        grad = grad + wd * data
                st["step"] += 1
                step = float(st["step"])
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m += (grad - m) * (1 - b1)                    # exp_avg.lerp_(grad, 1 - b1)
                v *= b2                                       # exp_avg_sq.mul_(b2)
                v += (1 - b2) * grad * grad                   # .addcmul_(grad, grad, 1 - b2)
                if amsgrad:
                    np.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
                    v = st["max_exp_avg_sq"]
                step_size = lr / (1 - b1 ** step)
                denom = np.sqrt(v) / math.sqrt(1 - b2 ** step) + eps
                data += -step_size * (m / denom)             # addcdiv_(m, denom, -step_size)


class AdamW(Adam):
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _step(self):
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, mom, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p, data, grad in self._params_with_grad(group):
                if group["maximize"]:
                    grad = -grad
                if wd:
                    grad = grad + wd * data
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": np.zeros((), np.float32),
                                          "square_avg": np.zeros_like(data)}
                    if mom > 0:
                        st["momentum_buffer"] = np.zeros_like(data)
                    if centered:
                        st["grad_avg"] = np.zeros_like(data)
                st["step"] += 1
                sq = st["square_avg"]
                sq *= alpha
                sq += (1 - alpha) * grad * grad
                if centered:
                    ga = st["grad_avg"]
                    ga += (grad - ga) * (1 - alpha)
                    avg = np.sqrt(sq - ga * ga)
                else:
                    avg = np.sqrt(sq)
                avg += eps
                if mom > 0:
                    buf = st["momentum_buffer"]
                    buf *= mom
                    buf += grad / avg
                    data += -lr * buf
                else:
                    data += -lr * (grad / avg)


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]

"""``ad.optim``: ``SGD`` (with momentum, Nesterov, weight decay) and ``Adam``, updating the
parameters' arrays in place (no graph is recorded), with PyTorch's update formulas."""

from __future__ import annotations

import math

import numpy as np

from .runtime.tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if isinstance(params[0], dict):
            groups = params
        else:
            groups = [{"params": params}]
        self.defaults = defaults
        self.param_groups = []
        for g in groups:
            g = dict(g)
            g["params"] = list(g["params"])
            for k, v in defaults.items():
                g.setdefault(k, v)
            self.param_groups.append(g)
        self.state = {}

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
            from .runtime.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        self._step()
        return loss

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
                p._vbox[0] += 1


class Adam(Optimizer):
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
                if wd:
                    grad = grad + wd * data
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(data),
                                          "exp_avg_sq": np.zeros_like(data),
                                          "tmp": np.empty_like(data)}
                    if amsgrad:
                        st["max_exp_avg_sq"] = np.zeros_like(data)
                st["step"] += 1
                step = st["step"]
                m, v, tmp = st["exp_avg"], st["exp_avg_sq"], st["tmp"]
                # m += (g - m) * (1 - b1) ; v = b2 * v + (1 - b2) * g * g   (in place)
                np.subtract(grad, m, out=tmp)
                tmp *= 1 - b1
                m += tmp
                v *= b2
                np.multiply(grad, grad, out=tmp)
                tmp *= 1 - b2
                v += tmp
                if amsgrad:
                    np.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
                    v = st["max_exp_avg_sq"]
                bc1 = 1 - b1 ** step
                bc2_sqrt = math.sqrt(1 - b2 ** step)
                step_size = lr / bc1
                # p -= step_size * m / (sqrt(v) / bc2_sqrt + eps), in five passes
                np.sqrt(v, out=tmp)
                tmp *= 1.0 / (bc2_sqrt * step_size)
                tmp += eps / step_size
                np.divide(m, tmp, out=tmp)
                data -= tmp
                p._vbox[0] += 1


__all__ = ["Optimizer", "SGD", "Adam"]

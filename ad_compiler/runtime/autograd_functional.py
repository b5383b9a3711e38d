"""``ad.autograd.functional``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``
of a function of Tensors, built from ``autograd.grad`` (one reverse sweep per output
element), with PyTorch's argument and result conventions."""

from __future__ import annotations

from . import grad_mode
from .tensor import Tensor, stack


def _as_tuple(x):
    return (x, False) if isinstance(x, tuple) else ((x,), True)


def _inputs(inputs, create_graph):
    """Fresh differentiable inputs (keeping the graph to the originals under create_graph)."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))
        else:
            out.append(x.detach().requires_grad_(True))
    return tuple(out)


def _grads(output, inputs, grad_output, create_graph):
    from . import _grad
    if not output.requires_grad:
        return tuple(x.detach() * 0 for x in inputs)
    gs = _grad(output, inputs, grad_output, retain_graph=True, create_graph=create_graph,
               allow_unused=True)
    return tuple(g if g is not None else (x.detach() * 0) for g, x in zip(gs, inputs))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """``J[i][j]`` of shape ``outputs[i].shape + inputs[j].shape`` (unwrapped where the
    function takes or returns a single Tensor)."""
    ins, single_in = _as_tuple(inputs)
    with grad_mode.enable_grad():
        xs = _inputs(ins, create_graph)
        outputs = func(*xs)
        outs, single_out = _as_tuple(outputs)
        result = []
        for out in outs:
            flat = out.reshape(-1)
            rows = [[] for _ in xs]
            for j in range(flat.shape[0]):
                for k, g in enumerate(_grads(flat[j], xs, None, create_graph)):
                    rows[k].append(g)
            per_input = []
            for k, x in enumerate(xs):
                if rows[k]:
                    jac = stack(rows[k]).reshape(tuple(out.shape) + tuple(x.shape))
                else:
                    jac = x.new_zeros(tuple(out.shape) + tuple(x.shape))
                per_input.append(jac if create_graph else jac.detach())
            result.append(per_input[0] if single_in else tuple(per_input))
    return result[0] if single_out else tuple(result)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function: ``H[i][j]`` of shape
    ``inputs[i].shape + inputs[j].shape``."""
    ins, single_in = _as_tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        gs = _grads(out.reshape(()), xs, None, True)
        return gs[0] if single_in else gs

    return jacobian(gradient, ins[0] if single_in else ins, create_graph)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``."""
    ins, single_in = _as_tuple(inputs)
    with grad_mode.enable_grad():
        xs = _inputs(ins, create_graph)
        outputs = func(*xs)
        outs, single_out = _as_tuple(outputs)
        if v is None:
            if any(o.numel() != 1 for o in outs):
                raise RuntimeError("The vector v can only be None if the user-provided "
                                   "function returns a single Tensor with a single element.")
            vs = [None] * len(outs)
        else:
            vs, _ = _as_tuple(v)
        total = None
        for o, vi in zip(outs, vs):
            gs = _grads(o, xs, vi, create_graph)
            total = gs if total is None else tuple(a + b for a, b in zip(total, gs))
    if not create_graph:
        total = tuple(g.detach() for g in total)
        outs = tuple(o.detach() for o in outs)
    return (outs[0] if single_out else outs), (total[0] if single_in else total)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``."""
    ins, single_in = _as_tuple(inputs)
    if v is None:
        if any(x.numel() != 1 for x in ins):
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        vs = tuple(x.new_ones(tuple(x.shape)) for x in ins)
    else:
        vs, _ = _as_tuple(v)
    jac = jacobian(func, ins, create_graph)
    with grad_mode.enable_grad() if create_graph else grad_mode.no_grad():
        outputs = func(*ins)
    outs, single_out = _as_tuple(outputs)
    jacs = jac if not single_out else (jac,)
    results = []
    for o, row in zip(outs, jacs):
        total = None
        for j, x in zip(row, vs):
            term = (j.reshape(o.numel(), x.numel()) @ x.reshape(-1)).reshape(tuple(o.shape))
            total = term if total is None else total + term
        results.append(total)
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs[0] if single_out else outs), (results[0] if single_out else tuple(results))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)``."""
    ins, single_in = _as_tuple(inputs)
    vs, _ = _as_tuple(v)
    h = hessian(func, ins[0] if single_in else ins, create_graph)
    rows = (h,) if single_in else h
    out = []
    for i, xi in enumerate(ins):
        total = None
        for j, xj in enumerate(ins):
            hij = rows[i] if single_in else rows[i][j]
            term = (hij.reshape(xi.numel(), xj.numel()) @ vs[j].reshape(-1)).reshape(
                tuple(xi.shape))
            total = term if total is None else total + term
        out.append(total)
    with grad_mode.no_grad():
        value = func(*ins)
    return value, (out[0] if single_in else tuple(out))


vhp = hvp       # the Hessian is symmetric

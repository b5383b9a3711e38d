"""Gradients of every Tensor operation against central finite differences (float64),
including broadcasting shapes, and second derivatives through ``create_graph``."""

import numpy as np
import pytest

import ad_compiler.runtime as ad
from ad_compiler import nn

RNG = np.random.default_rng(0)


def _rand(shape, positive=False):
    a = RNG.uniform(0.5, 2.0, shape) if positive else RNG.uniform(-2.0, 2.0, shape)
    return a.astype(np.float64)


def numeric_grad(f, arrays, k, eps=1e-6):
    """d sum(f(arrays) * w) / d arrays[k] by central differences, for a fixed random w."""
    base = f(*[ad.from_numpy(a.copy()) for a in arrays])
    w = np.random.default_rng(1).uniform(-1, 1, base.shape)
    grad = np.zeros_like(arrays[k])
    for idx in np.ndindex(arrays[k].shape):
        vals = []
        for sgn in (1, -1):
            args = [a.copy() for a in arrays]
            args[k][idx] += sgn * eps
            vals.append((f(*[ad.from_numpy(a) for a in args]).numpy() * w).sum())
        grad[idx] = (vals[0] - vals[1]) / (2 * eps)
    return grad, w


def check(f, *shapes, positive=False, atol=1e-6):
    arrays = [_rand(s, positive) for s in shapes]
    for k in range(len(arrays)):
        expected, w = numeric_grad(f, arrays, k)
        ts = [ad.tensor(a, requires_grad=True) for a in arrays]
        out = f(*ts)
        out.backward(ad.from_numpy(w))
        got = ts[k].grad
        assert got is not None and got.shape == ts[k].shape and got.dtype == ad.float64
        np.testing.assert_allclose(got.numpy(), expected, atol=atol, rtol=1e-5)
        # autograd.grad gives the same
        ts2 = [ad.tensor(a, requires_grad=True) for a in arrays]
        g, = ad.autograd.grad(f(*ts2), ts2[k], grad_outputs=ad.from_numpy(w))
        np.testing.assert_allclose(g.numpy(), expected, atol=atol, rtol=1e-5)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a.abs() ** b,
    "maximum": lambda a, b: ad.maximum(a, b),
    "minimum": lambda a, b: ad.minimum(a, b),
    "where": lambda a, b: ad.where(a > 0, a, b),
    "add_": lambda a, b: (a * 1).add_(b),
    "sub_": lambda a, b: (a * 1).sub_(b),
    "mul_": lambda a, b: (a * 1).mul_(b),
    "div_": lambda a, b: (a * 1).div_(b),
}
SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((4, 1), (3,)), ((2, 1, 3), (4, 1)), ((), (2, 2)),
          ((2, 3), ())]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("sa, sb", SHAPES)
def test_binary(name, sa, sb):
    if name.endswith("_") and np.broadcast_shapes(sa, sb) != sa:
        pytest.skip("in-place result must keep the first operand's shape")
    check(BINARY[name], sa, sb, positive=name in ("div", "div_", "pow"))


UNARY = {
    "neg": lambda x: -x, "exp": lambda x: x.exp(), "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(), "tan": lambda x: (x * 0.3).tan(), "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(), "relu": lambda x: x.relu(), "abs": lambda x: x.abs(),
    "log": lambda x: x.abs().log(), "sqrt": lambda x: x.abs().sqrt(),
    "pow_scalar": lambda x: x ** 3, "rpow": lambda x: 2.0 ** x, "rsub": lambda x: 1.0 - x,
    "rdiv": lambda x: 1.0 / x.abs(), "clamp": lambda x: x.clamp(-1.0, 1.0),
    "clamp_min": lambda x: x.clamp(min=0.3), "square": lambda x: x.square(),
    "sum": lambda x: x.sum(), "sum0": lambda x: x.sum(0), "sum_keep": lambda x: x.sum(-1, True),
    "sum_tuple": lambda x: x.sum(dim=(0, 1)), "mean": lambda x: x.mean(),
    "mean1": lambda x: x.mean(axis=1), "max": lambda x: x.max(), "min": lambda x: x.min(),
    "max_dim": lambda x: x.max(1)[0], "min_dim": lambda x: x.min(0, keepdim=True).values,
    "norm": lambda x: x.norm(), "norm_dim": lambda x: x.norm(dim=1), "prod": lambda x: x.prod(),
    "t": lambda x: x.t(), "T": lambda x: x.T, "transpose": lambda x: x.transpose(0, 1),
    "reshape": lambda x: x.reshape(-1), "view": lambda x: x.view(3, 2),
    "unsqueeze": lambda x: x.unsqueeze(1), "squeeze": lambda x: x.unsqueeze(0).squeeze(),
    "squeeze_dim": lambda x: x.unsqueeze(2).squeeze(2), "flatten": lambda x: x.flatten(),
    "getitem_int": lambda x: x[1], "getitem_slice": lambda x: x[:, 1:],
    "getitem_mixed": lambda x: x[0, ::2], "getitem_fancy": lambda x: x[[0, 1, 0]],
    "getitem_bool": lambda x: x[x > 0], "getitem_none": lambda x: x[None, 1],
    "expand": lambda x: x[:1].expand(4, 3), "cat": lambda x: ad.cat([x, x * 2], 1),
    "stack": lambda x: ad.stack([x, x.exp()], 0), "clone": lambda x: x.clone(),
    "setitem": lambda x: _setitem(x),
    "std": lambda x: x.std(), "permute": lambda x: x.permute(1, 0),
    "repeat": lambda x: x.repeat(2, 1), "outer": lambda x: x[0].outer(x[1]),
}


def _setitem(x):
    y = x * 1.0
    y[0] = x[1] * 3
    return y


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    check(UNARY[name], (2, 3))


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                    ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                                    ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2))])
def test_matmul(sa, sb):
    check(lambda a, b: a @ b, sa, sb)


def test_dot_and_linear_and_mse():
    check(lambda a, b: ad.dot(a, b), (4,), (4,))
    check(lambda x, w, b: nn.functional.linear(x, w, b), (5, 3), (2, 3), (2,))
    check(lambda x, w, b: nn.functional.linear(x, w, b), (3,), (2, 3), (2,))
    check(lambda x, w, b: nn.functional.linear(x, w, b), (4, 5, 3), (2, 3), (2,))
    for red in ("mean", "sum", "none"):
        check(lambda a, b: nn.functional.mse_loss(a, b, reduction=red), (4, 3), (4, 3))


def test_dtype_casts_pass_gradients():
    x = ad.tensor([1.0, 2.0], dtype=ad.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == ad.float32 and y.grad_fn.name() == "ToCopyBackward0"
    (y * 3).sum().backward()
    assert x.grad.dtype == ad.float64 and x.grad.tolist() == [3.0, 3.0]


def test_gradients_keep_float32():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * ad.tensor(2.0, dtype=ad.float64)).sum().backward()
    assert x.grad.dtype == ad.float32


# --- second derivatives ----------------------------------------------------------------------
HIGHER = {
    "exp": (lambda x: x.exp(), lambda x: np.exp(x)),
    "sin": (lambda x: x.sin(), lambda x: -np.sin(x)),
    "cube": (lambda x: x ** 3, lambda x: 6 * x),
    "tanh": (lambda x: x.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "sigmoid": (lambda x: x.sigmoid(),
                lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    "log": (lambda x: (x * x + 1).log(), lambda x: (2 - 2 * x * x) / (x * x + 1) ** 2),
    "div": (lambda x: 1 / (x * x + 1), lambda x: (6 * x * x - 2) / (x * x + 1) ** 3),
    "sqrt": (lambda x: (x * x + 1).sqrt(), lambda x: (x * x + 1) ** -1.5),
}


@pytest.mark.parametrize("name", sorted(HIGHER))
def test_second_derivative(name):
    f, d2 = HIGHER[name]
    xs = np.array([-1.3, 0.2, 0.9])
    x = ad.tensor(xs, requires_grad=True)
    g, = ad.autograd.grad(f(x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    h, = ad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), d2(xs), rtol=1e-10, atol=1e-12)


def test_third_derivative_and_hessian_vector_product():
    x = ad.tensor([2.0, 3.0], dtype=ad.float64, requires_grad=True)
    y = (x ** 4).sum()
    g, = ad.autograd.grad(y, x, create_graph=True)
    h, = ad.autograd.grad(g.sum(), x, create_graph=True)
    t, = ad.autograd.grad(h.sum(), x)
    assert g.tolist() == [32.0, 108.0] and h.tolist() == [48.0, 108.0]
    assert t.tolist() == [48.0, 72.0]
    # Hessian-vector product of a matmul/broadcast expression
    A = ad.tensor(RNG.normal(size=(3, 3)))
    x = ad.tensor(RNG.normal(size=3), requires_grad=True)
    v = ad.tensor(RNG.normal(size=3))
    f = (x @ A @ x + (x * x).sum()).tanh()
    g, = ad.autograd.grad(f, x, create_graph=True)
    hv, = ad.autograd.grad((g * v).sum(), x)
    eps = 1e-6

    def grad_at(xv):
        xx = ad.tensor(xv, requires_grad=True)
        gg, = ad.autograd.grad((xx @ A @ xx + (xx * xx).sum()).tanh(), xx)
        return gg.numpy()
    fd = (grad_at(x.numpy(force=True) + eps * v.numpy()) -
          grad_at(x.numpy(force=True) - eps * v.numpy())) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), fd, rtol=1e-5, atol=1e-7)


def test_backward_create_graph_then_backward_again():
    x = ad.tensor([2., 3.], requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    x.grad = None
    gx.sum().backward()
    xs = np.array([2., 3.])
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(xs) * np.exp(xs), rtol=1e-5)

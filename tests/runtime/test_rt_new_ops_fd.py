"""The runtime's own primitives (ad_compiler/rules/tensor_runtime.py) and the ops built on
them, against central finite differences in float64: first derivatives, and second
derivatives by differencing the ``create_graph`` gradient."""

import numpy as np
import pytest

import ad_compiler.runtime as ad
from ad_compiler.nn import functional as F
from tests.runtime.test_rt_gradcheck import check

IDX = np.array([[0, 2, 1], [1, 1, 0]])

OPS = {
    "softmax1": lambda x: x.softmax(1),
    "softmax0": lambda x: x.softmax(0),
    "log_softmax": lambda x: x.log_softmax(-1),
    "logsumexp": lambda x: x.logsumexp(1),
    "logsumexp_keep": lambda x: x.logsumexp(0, keepdim=True),
    "cumsum": lambda x: x.cumsum(1),
    "var": lambda x: x.var(),
    "var_dim": lambda x: x.var(1, keepdim=True),
    "std": lambda x: x.std(0),
    "std_biased": lambda x: x.std(unbiased=False),
    "prod": lambda x: x.prod(),
    "prod_dim": lambda x: x.prod(1),
    "pow_tensor": lambda x: x.abs() ** (x * 0.5),
    "maximum": lambda x: ad.maximum(x, x.flip(1)),
    "max_dim": lambda x: x.max(1)[0],
    "einsum_mm": lambda x: ad.einsum("ij,kj->ik", x, x),
    "einsum_reduce": lambda x: ad.einsum("ij->i", x * x),
    "einsum_ellipsis": lambda x: ad.einsum("...j,kj->...k", x, x * x),
    "einsum_diagonal": lambda x: ad.einsum("ii->i", x[:, :2] * x[:, 1:]),
    "einsum_repeated": lambda x: ad.einsum("ij,ij,kk", x, x, x[:, 1:]),
    "einsum_broadcast": lambda x: ad.einsum("ij,ij->ij", x[:1], x) * x,
    "gather": lambda x: x.gather(1, ad.tensor(IDX)),
    "scatter": lambda x: x.scatter(1, ad.tensor([[0, 2], [1, 0]]), x[:, 1:3] * 3),
    "index_add": lambda x: x.index_add(1, ad.tensor([0, 0]), x[:, :2] ** 2),
    "index_select": lambda x: x.index_select(1, ad.tensor([2, 2, 0])),
    "masked_fill": lambda x: x.masked_fill(x > 0.3, 0.0) * x,
    "repeat": lambda x: x.repeat(2, 3),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "cross_entropy": lambda x: F.cross_entropy(x, ad.tensor([2, 0])),
    "cross_entropy_smooth": lambda x: F.cross_entropy(x, ad.tensor([2, 0]),
                                                      label_smoothing=0.1),
    "nll_weighted": lambda x: F.nll_loss(x, ad.tensor([1, 0]),
                                         weight=ad.tensor([1.0, 2.0, 3.0], dtype=ad.float64)),
    "nll_ignored": lambda x: F.nll_loss(x.log_softmax(1), ad.tensor([1, -100])),
    "view_inplace": lambda x: _view_inplace(x),
    "clamp_": lambda x: (x * 1).clamp_(-0.5, 0.5) * x,
    "copy_": lambda x: ad.zeros(2, 3, dtype=ad.float64).copy_(x * x),
    "exp_": lambda x: (x * 1).exp_(),
    "setitem_tracked": lambda x: _setitem(x),
}


def _view_inplace(x):
    y = x * 1
    y[:, 1:].mul_(x[:, :2])
    y.t()[0].add_(y[:, 2] * 2)      # (y[:, 2] ** 2 would be stale, as in PyTorch)
    return y * x


def _setitem(x):
    y = ad.zeros(2, 3, dtype=ad.float64)
    y[0] = x[1] * x[0]
    y[1, 1:] = x[0, :2].exp()
    return y


@pytest.mark.parametrize("name", sorted(OPS))
def test_first_derivative(name):
    check(OPS[name], (2, 3))


def _gradient(f, arr):
    x = ad.tensor(arr, requires_grad=True)
    (g,) = ad.autograd.grad(f(x).sum(), x, create_graph=True)
    return x, g


@pytest.mark.parametrize("name", ["softmax1", "log_softmax", "logsumexp", "cumsum", "var",
                                  "std", "prod_dim", "pow_tensor", "einsum_mm",
                                  "einsum_diagonal", "einsum_repeated", "einsum_ellipsis",
                                  "cross_entropy", "view_inplace", "gather", "index_add"])
def test_second_derivative(name, eps=1e-6):
    f = OPS[name]
    arr = np.random.default_rng(3).uniform(-2, 2, (2, 3))
    w = np.random.default_rng(4).uniform(-1, 1, (2, 3))
    x, g = _gradient(f, arr)
    (hvp,) = ad.autograd.grad((g * ad.from_numpy(w)).sum(), x, allow_unused=True)
    expected = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        vals = []
        for sgn in (1, -1):
            a = arr.copy()
            a[idx] += sgn * eps
            vals.append((_gradient(f, a)[1].detach().numpy() * w).sum())
        expected[idx] = (vals[0] - vals[1]) / (2 * eps)
    got = np.zeros_like(arr) if hvp is None else hvp.numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def test_prod_with_zeros_is_exact():
    for data, want in (([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]), ([0.0, 2.0, 0.0], [0, 0, 0]),
                       ([1.0, 2.0, 4.0], [8.0, 4.0, 2.0])):
        x = ad.tensor(data, requires_grad=True)
        x.prod().backward()
        assert x.grad.tolist() == want


def test_pow_at_base_zero_is_not_nan():
    x = ad.tensor([0.0, 0.0], requires_grad=True)
    y = ad.tensor([0.0, 2.0], requires_grad=True)
    (x ** y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]

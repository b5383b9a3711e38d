"""Autograd semantics and the errors, worded as PyTorch words them."""

import gc
import threading

import numpy as np
import pytest

import ad_compiler.runtime as ad
from ad_compiler import nn, optim


# --- errors ----------------------------------------------------------------------------------
def test_error_messages():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of "
                       r"tensor b \(3\) at non-singleton dimension 1"):
        ad.ones(4, 2) * ad.ones(3)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can "
                       "require gradients"):
        ad.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        ad.arange(3).requires_grad_()
    y = ad.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                       "variables."):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                       "outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and "
                       "does not have a grad_fn"):
        ad.ones(2).sum().backward()
    w = ad.ones(3, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(),
               lambda: w.__isub__(1), lambda: w.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"
                           " in an in-place operation."):
            op()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w[1:].add_(1)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        w.numpy()
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        ad.ones(2, 3) @ ad.ones(4, 5)
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted"):
        w.item()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (w * 2).backward(ad.ones(2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.autograd.grad((w * 2).sum(), ad.ones(3))
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ad.autograd.grad((w * 2).sum(), [w, ad.ones(2, requires_grad=True)])
    g = ad.autograd.grad((w * 2).sum(), [w, ad.ones(2, requires_grad=True)], allow_unused=True)
    assert g[1] is None and g[0].tolist() == [2.0, 2.0, 2.0]


def test_inplace_version_counter():
    a = ad.ones(3, requires_grad=True)
    b = a.exp()
    assert b._version == 0
    b.add_(1)
    assert b._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation: "
                       r"\[ad_compiler.FloatTensor \[3\]\], which is output 0 of ExpBackward0, "
                       "is at version 1; expected version 0 instead"):
        b.sum().backward()
    # an in-place change that no saved value depends on is fine (AddBackward saves nothing)
    a = ad.ones(3, requires_grad=True)
    b = a * 2
    c = b + 1
    b.add_(1)
    c.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]
    # views share the version counter
    x = ad.ones(2, 3, requires_grad=True)
    y = x * 1
    v = y[0]
    z = y.sin()
    v.mul_(2)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_nonleaf_builds_graph():
    x = ad.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    y += x
    y *= 3
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [9.0, 9.0, 9.0]
    x = ad.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    y[1] = x[0] * 5
    assert y.grad_fn.name() == "ad_compiler::autograd::CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [7.0, 0.0, 2.0]
    x = ad.tensor([1., 2., 3.], requires_grad=True)
    y = x.exp()                          # ExpBackward0 saves its result: now overwritten
    y[1] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_no_grad_and_friends():
    x = ad.ones(2, requires_grad=True)
    with ad.no_grad():
        assert not (x * 2).requires_grad
        with ad.enable_grad():
            assert (x * 2).requires_grad
        x -= 1                      # allowed on a leaf inside no_grad
    assert x.is_leaf and x.requires_grad and x.tolist() == [0.0, 0.0]

    @ad.no_grad()
    def f(t):
        return t * 2

    @ad.no_grad
    def f2(t):
        return t * 2

    assert not f(x).requires_grad and not f2(x).requires_grad and ad.is_grad_enabled()
    with ad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    ad.set_grad_enabled(False)
    assert not ad.is_grad_enabled()
    ad.set_grad_enabled(True)

    @ad.set_grad_enabled(False)
    def g(t):
        return t * 2
    assert not g(x).requires_grad and ad.is_grad_enabled()
    # grad mode is per thread
    seen = []
    with ad.no_grad():
        th = threading.Thread(target=lambda: seen.append(ad.is_grad_enabled()))
        th.start()
        th.join()
    assert seen == [True]


def test_detach_shares_data_and_cuts_graph():
    x = ad.tensor([1., 2.], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 10.0
    assert y.tolist() == [10.0, 4.0]
    data = x.data
    assert not data.requires_grad
    data[1] = 5.0
    assert x.tolist() == [1.0, 5.0]
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_grad_accumulation_and_reset():
    x = ad.tensor([1., 2.], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    (x * x).sum().backward()
    assert x.grad is g and x.grad.tolist() == [4.0, 8.0]         # accumulated in place
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]


def test_gradients_do_not_alias():
    a = ad.ones(2, requires_grad=True)
    b = ad.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]
    v = ad.tensor([1.0, 2.0])
    c = ad.ones(2, requires_grad=True)
    (c + 0).backward(v)
    c.grad.zero_()
    assert v.tolist() == [1.0, 2.0]


def test_retain_grad_and_nonleaf_grad_warning():
    x = ad.tensor([1., 2.], requires_grad=True)
    y = x * 2
    z = y.sum()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    z.backward()
    assert y.retains_grad and y.grad.tolist() == [1.0, 1.0]


def test_retain_graph_and_multiple_outputs():
    x = ad.tensor([1., 2.], requires_grad=True)
    y = x.exp()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1., 2.]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second "
                       "time.*retain_graph=True"):
        y.sum().backward()
    # a graph without saved tensors can be run again (as in PyTorch)
    s = (x + 1).sum()
    s.backward()
    s.backward()
    x = ad.tensor([1., 2.], requires_grad=True)
    ad.autograd.backward([(x * 2).sum(), (x * 3).sum()])
    assert x.grad.tolist() == [5.0, 5.0]
    g, = ad.autograd.grad([(x * 2).sum(), x.sum()], x)
    assert g.tolist() == [3.0, 3.0]


def test_backward_inputs_argument():
    a = ad.tensor([1.], requires_grad=True)
    b = ad.tensor([2.], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0] and b.grad is None


def test_graph_is_freed():
    import weakref
    x = ad.ones(3, requires_grad=True)
    y = (x * 2).exp()
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    del y
    gc.collect()
    assert node() is None


# --- dtypes, conversions ---------------------------------------------------------------------
def test_dtypes_and_conversions():
    assert ad.tensor(1.5).dtype == ad.float32
    assert ad.tensor([1, 2]).dtype == ad.int64
    assert ad.tensor(np.array([1.0])).dtype == ad.float64
    assert ad.tensor(np.float64(2.0)).dtype == ad.float64
    assert ad.tensor([True]).dtype == ad.bool
    assert (ad.tensor([1, 2]) * 2.5).dtype == ad.float32
    assert (ad.tensor([1, 2]) / 2).dtype == ad.float32
    assert (ad.ones(2) + ad.ones(2, dtype=ad.float64)).dtype == ad.float64
    assert (ad.ones(2) * ad.tensor(2.0, dtype=ad.float64)).dtype == ad.float32
    assert ad.arange(5).dtype == ad.int64 and ad.arange(0, 1, 0.25).dtype == ad.float32
    assert ad.zeros(2, 3).shape == ad.Size([2, 3]) and repr(ad.zeros(2, 3).shape) == \
        "ad_compiler.Size([2, 3])"
    a = np.arange(3.0)
    t = ad.from_numpy(a)
    t += 1
    assert a.tolist() == [1.0, 2.0, 3.0] and t.numpy() is a
    assert np.asarray(ad.ones(2)).dtype == np.float32
    assert float(ad.tensor(2.5)) == 2.5 and int(ad.tensor(3)) == 3
    assert ad.ones(2).double().dtype == ad.float64 and ad.ones(2).long().dtype == ad.int64
    assert ad.zeros_like(ad.ones(2, dtype=ad.float64)).dtype == ad.float64
    assert ad.rand(3).dtype == ad.float32 and ad.randn(2, 2).shape == (2, 2)
    ad.manual_seed(3)
    r1 = ad.rand(4)
    ad.manual_seed(3)
    assert ad.rand(4).tolist() == r1.tolist()
    assert (np.ones(2) * ad.ones(2)).__class__ is ad.Tensor     # NumPy defers to Tensor
    assert len(ad.ones(4, 2)) == 4 and [t.shape for t in ad.ones(2, 3)] == [(3,), (3,)]


def test_repr_formats():
    assert repr(ad.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(ad.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(ad.tensor([])) == "tensor([])"
    assert repr(ad.tensor(3.0, dtype=ad.float64)) == "tensor(3., dtype=ad_compiler.float64)"
    assert repr(ad.ones(2, 2, requires_grad=True)) == \
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    assert repr(ad.tensor([123.456, 1.0])) == "tensor([123.4560,   1.0000])"
    assert repr(ad.arange(2000.0)).startswith("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ...,")
    assert repr(ad.tensor([True, False])) == "tensor([ True, False])"


# --- make_dot, nn, optim ------------------------------------------------------------------------
def test_make_dot():
    x = ad.tensor([1., 2.], requires_grad=True)
    y = (x * 2).sum()
    dot = ad.make_dot(y, params={"x": x})
    assert dot.source.startswith("digraph {") and dot.count("->") == 4
    assert "MulBackward0" in dot and "SumBackward0" in dot and 'label="x\\n (2)"' in dot


def test_nn_module():
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())
    w = model[0].weight
    assert w.shape == (3, 4) and float(w.abs().max()) <= 0.5      # U(-1/sqrt(4), 1/sqrt(4))
    out = model(ad.randn(5, 4))
    assert out.shape == (5, 1) and out.grad_fn.name() == "SigmoidBackward0"
    assert model[0](ad.randn(5, 4)).grad_fn.name() == "AddmmBackward0"
    loss = nn.MSELoss()(out, ad.zeros(5, 1))
    assert loss.grad_fn.name() == "MseLossBackward0"
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert "Linear(in_features=4, out_features=3, bias=True)" in repr(model)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.scale = nn.Parameter(ad.ones(1))

        def forward(self, x):
            return nn.functional.relu(self.fc(x)) * self.scale

    net = Net()
    assert len(list(net.parameters())) == 3
    net(ad.ones(1, 2)).sum().backward()
    assert net.scale.grad is not None


@pytest.mark.parametrize("opt_cls, kw", [(optim.SGD, dict(lr=0.1)),
                                         (optim.SGD, dict(lr=0.05, momentum=0.9)),
                                         (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True,
                                                          weight_decay=0.01)),
                                         (optim.Adam, dict(lr=0.1)),
                                         (optim.Adam, dict(lr=0.1, amsgrad=True))])
def test_optimizers_minimise(opt_cls, kw):
    w = nn.Parameter(ad.tensor([3.0, -2.0]))
    opt = opt_cls([w], **kw)
    for _ in range(200):
        opt.zero_grad()
        loss = ((w - ad.tensor([1.0, 0.5])) ** 2).sum()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 0.5], atol=0.05)


def test_adam_matches_pytorch_formula():
    w = nn.Parameter(ad.ones(3))
    opt = optim.Adam([w], lr=0.1)
    for _ in range(2):
        w.grad = ad.tensor([1., 2., 3.])
        opt.step()
    # torch 2.13 gives tensor([0.8000, 0.8000, 0.8000]) for the same two steps
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8, 0.8], rtol=1e-6)

"""Every example of the five lecture-note files in ../shared/seeds/, with ``torch`` replaced by
``ad_compiler``: the same printed values and the same errors (dtype and Size print under our
module name: ``ad_compiler.float32``)."""

import numpy as np
import pytest

import ad_compiler.runtime as torch
from ad_compiler import nn, optim


def out(capsys):
    return capsys.readouterr().out


# --- 000: broadcasting ------------------------------------------------------------------------
def test_broadcasting_shapes():
    assert torch.add(torch.ones((4)), torch.ones((1, 4))).shape == (1, 4)
    assert torch.add(torch.ones((4)), torch.ones((4, 1))).shape == (4, 4)
    assert torch.add(torch.ones((3)), torch.ones((4, 1))).shape == (4, 3)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                       r"tensor b \(4\) at non-singleton dimension 1"):
        torch.add(torch.ones((3)), torch.ones((1, 4)))
    assert (torch.ones(2, 3) + torch.ones(5, 1, 3)).shape == (5, 2, 3)
    assert (torch.ones(1, 7) + torch.ones(5, 2, 3, 7)).shape == (5, 2, 3, 7)
    with pytest.raises(RuntimeError, match="must match"):
        torch.ones(4, 1) + torch.ones(2, 3, 7)


def test_weighted_backward_and_data_numpy():
    x = torch.ones(3, requires_grad=True)
    e = x * torch.tensor([1.0, 2.0, 3.0])
    e.backward(torch.tensor([-5, 2, 6]))            # an integer vector, as in the notes
    assert x.grad.tolist() == [-5.0, 4.0, 18.0]
    vals = x.data.numpy()
    g_vals = x.grad.data.numpy()
    assert vals.tolist() == [1.0, 1.0, 1.0] and g_vals.dtype == np.float32


# --- 001: Fleuret, 4.2 Autograd -------------------------------------------------------------
def test_requires_grad_propagation(capsys):
    x = torch.tensor([1., 2.])
    y = torch.tensor([4., 5.])
    z = torch.tensor([7., 3.])
    print(x.requires_grad)
    print((x + y).requires_grad)
    z.requires_grad = True
    print((x + z).requires_grad)
    assert out(capsys) == "False\nFalse\nTrue\n"


def test_only_float_requires_grad():
    x = torch.tensor([1., 10.])
    x.requires_grad = True
    x = torch.tensor([1, 10])
    with pytest.raises(RuntimeError,
                       match="only Tensors of floating point and complex dtype can require gradients"):
        x.requires_grad = True


def test_autograd_grad_tuple(capsys):
    t = torch.tensor([1., 2., 4.]).requires_grad_()
    u = torch.tensor([10., 20.]).requires_grad_()
    a = t.pow(2).sum() + u.log().sum()
    print(torch.autograd.grad(a, (t, u)))
    assert out(capsys) == "(tensor([2., 4., 8.]), tensor([0.1000, 0.0500]))\n"
    t2 = torch.tensor([1., 2.]).requires_grad_()
    assert isinstance(torch.autograd.grad(t2.sum(), t2), tuple)
    # a tuple of outputs: the gradients are summed
    (g,) = torch.autograd.grad((t2.sum(), (t2 * 3).sum()), t2)
    assert g.tolist() == [4.0, 4.0]


def test_backward_accumulates_in_leaves(capsys):
    x = torch.tensor([-3., 2., 5.]).requires_grad_()
    u = x.pow(3).sum()
    print(x.grad)
    u.backward()
    print(x.grad)
    assert out(capsys) == "None\ntensor([27., 12., 75.])\n"


def test_three_layer_forward_backward():
    w1 = torch.rand(5, 5).requires_grad_()
    w2 = torch.rand(5, 5).requires_grad_()
    x = torch.randn(5)
    x0 = x
    x1 = w1 @ x0
    x2 = x0 + w2 @ x1
    x3 = w1 @ (x1 + x2)
    q = x3.norm()
    q.backward()
    assert w1.grad.shape == (5, 5) and w2.grad.shape == (5, 5)
    assert np.isfinite(w1.grad.numpy()).all()


def test_grad_fn_next_functions(capsys):
    x = torch.tensor([1.0, -2.0, 3.0, -4.0]).requires_grad_()
    a = x.abs()
    s = a.sum()
    print(s)
    nf = s.grad_fn.next_functions
    assert len(nf) == 1 and nf[0][1] == 0 and nf[0][0].name() == "AbsBackward0"
    assert repr(nf[0][0]).startswith("<AbsBackward0 object at 0x")
    nf2 = nf[0][0].next_functions
    assert nf2[0][0].name() == "ad_compiler::autograd::AccumulateGrad" and nf2[0][0].variable is x
    assert repr(nf2[0][0]).startswith("<AccumulateGrad object at 0x")
    assert out(capsys) == "tensor(10., grad_fn=<SumBackward0>)\n"


def test_graph_visualisation_examples():
    x = torch.tensor([1., 2., 2.]).requires_grad_()
    q = x.norm()
    dot = torch.make_dot(q, params={"x": x})
    assert dot.startswith("digraph {") and "AccumulateGrad" in dot and "x\\n (3)" in dot
    w1 = torch.rand(20, 10).requires_grad_()
    b1 = torch.rand(20).requires_grad_()
    w2 = torch.rand(5, 20).requires_grad_()
    b2 = torch.rand(5).requires_grad_()
    x = torch.rand(10)
    h = torch.tanh(w1 @ x + b1)
    y = torch.tanh(w2 @ h + b2)
    targets = torch.rand(5)
    loss = (y - targets).pow(2).mean()
    dot = torch.make_dot(loss, dict(w1=w1, b1=b1, w2=w2, b2=b2))
    for name in ("MeanBackward0", "PowBackward0", "SubBackward0", "TanhBackward0",
                 "AddBackward0", "MvBackward0", "w1\\n (20, 10)", "b2\\n (5)"):
        assert name in dot
    loss.backward()
    assert b1.grad.shape == (20,)

    w = torch.rand(3, 10, 10).requires_grad_()

    def blah(k, x):
        for i in range(k):
            x = torch.tanh(w[i] @ x)
        return x

    u = blah(1, torch.rand(10))
    v = blah(3, torch.rand(10))
    q = u.dot(v)
    dot = torch.make_dot(q, params={"w": w})
    assert dot.count("SelectBackward0") == 4 and dot.count("AccumulateGrad") == 1
    q.backward()
    assert w.grad.shape == (3, 10, 10)


def test_no_grad_linear_regression():
    torch.manual_seed(0)
    x = torch.randn(100, 784)
    y = torch.randn(100, 10)
    eta = 1e-3
    w = torch.empty(10, 784).normal_(0, 1e-3).requires_grad_()
    b = torch.empty(10).normal_(0, 1e-3).requires_grad_()
    losses = []
    for k in range(50):
        y_hat = x @ w.t() + b
        loss = (y_hat - y).pow(2).mean()
        w.grad, b.grad = None, None
        loss.backward()
        with torch.no_grad():
            w -= eta * w.grad
            b -= eta * b.grad
        losses.append(loss.item())
    assert w.is_leaf and w.requires_grad and losses[-1] < losses[0]


def test_detach_descent(capsys):
    eta = 0.1
    a = torch.tensor(0.5).requires_grad_()
    b = torch.tensor(-0.5).requires_grad_()
    for k in range(100):
        l = (a - 1)**2 + (b + 1)**2 + (a - b)**2
        ga, gb = torch.autograd.grad(l, (a, b))
        with torch.no_grad():
            a -= eta * ga
            b -= eta * gb
    print(a, b)
    a = torch.tensor(0.5).requires_grad_()
    b = torch.tensor(-0.5).requires_grad_()
    for k in range(100):
        l = (a - 1)**2 + (b + 1)**2 + (a.detach() - b)**2
        ga, gb = torch.autograd.grad(l, (a, b))
        with torch.no_grad():
            a -= eta * ga
            b -= eta * gb
    print(a, b)
    assert out(capsys) == ("tensor(0.3333, requires_grad=True) tensor(-0.3333, requires_grad=True)\n"
                           "tensor(1.0000, requires_grad=True) tensor(-8.2480e-08, requires_grad=True)\n")


def test_graph_freed_and_retain_graph(capsys):
    x = torch.tensor([1.]).requires_grad_()
    z = 1 / x
    print(torch.autograd.grad(z, x))
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        torch.autograd.grad(z * z, x)
    x = torch.tensor([1.]).requires_grad_()
    z = 1 / x
    print(torch.autograd.grad(z, x, retain_graph=True))
    print(torch.autograd.grad(z * z, x))
    assert out(capsys) == "(tensor([-1.]),)\n(tensor([-1.]),)\n(tensor([-2.]),)\n"


def test_create_graph_higher_order(capsys):
    x = torch.tensor([2., 3.]).requires_grad_()
    psi = x[0].log() + x[1].pow(2)
    g, = torch.autograd.grad(psi, x, create_graph=True)
    print(torch.autograd.grad(g.pow(2).sum(), x))
    assert out(capsys) == "(tensor([-0.2500, 24.0000]),)\n"


def test_inplace_detected():
    x = torch.tensor([1., 2., 3.]).requires_grad_()
    y = x.sin()
    y *= y
    l = y.sum()
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation "
                       "has been modified by an inplace operation"):
        l.backward()


def test_inplace_on_leaf_refused():
    x = torch.tensor([1., 2., 3.]).requires_grad_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                       "an in-place operation."):
        x += 1


# --- 002: AMMI review -------------------------------------------------------------------------
def test_ammi_graphs():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    c = a * b
    c.backward()
    assert (a.grad.item(), b.grad.item()) == (3.0, 2.0)
    a = torch.tensor(2.0)
    b = torch.tensor(2.0)
    assert a.grad is None and a.grad_fn is None and a.is_leaf and not a.requires_grad
    assert repr(a.data) == "tensor(2.)"
    c = a * b
    c.requires_grad = True
    assert c.is_leaf and c.grad_fn is None and c.requires_grad
    d = c * 2
    d.backward()
    assert c.grad.item() == 2.0
    loss = (torch.ones(3, requires_grad=True) * 2).sum()
    assert isinstance(loss.item(), float)
    y = torch.tensor([1.0, 2.0], requires_grad=True)
    z = y ** 2
    z.backward(torch.tensor([0.2, 0.8]))
    assert np.allclose(y.grad.numpy(), [0.4, 3.2])


# --- 003: Inouye, PyTorch and automatic differentiation -------------------------------------
def test_numpy_bridge(capsys):
    x = torch.linspace(-5, 5, 10)
    print(x)
    print(x.dtype)
    x_np = np.linspace(-5, 5, 10)
    y = torch.from_numpy(x_np)
    print(y)
    print(y.dtype)
    print(y.float().dtype)
    print(x.numpy())
    print(y.numpy())
    assert out(capsys) == """\
tensor([-5.0000, -3.8889, -2.7778, -1.6667, -0.5556,  0.5556,  1.6667,  2.7778,
         3.8889,  5.0000])
ad_compiler.float32
tensor([-5.0000, -3.8889, -2.7778, -1.6667, -0.5556,  0.5556,  1.6667,  2.7778,
         3.8889,  5.0000], dtype=ad_compiler.float64)
ad_compiler.float64
ad_compiler.float32
[-5.         -3.8888888  -2.7777777  -1.6666665  -0.55555534  0.55555534
  1.6666665   2.7777777   3.8888888   5.        ]
[-5.         -3.88888889 -2.77777778 -1.66666667 -0.55555556  0.55555556
  1.66666667  2.77777778  3.88888889  5.        ]
"""
    y.numpy()[0] = 7.0                       # shares memory with the NumPy array
    assert x_np[0] == 7.0


def test_simple_computation(capsys):
    x = torch.tensor(5.0)
    y = 3*x**2 + x
    print(x, x.grad)
    print(y)
    assert out(capsys) == "tensor(5.) None\ntensor(80.)\n"


@pytest.mark.parametrize("c_requires_grad", [False, True])
def test_graph_and_backward(capsys, c_requires_grad):
    x = torch.tensor(5.0, requires_grad=True)
    c = torch.tensor(3.0, requires_grad=c_requires_grad)
    y = c*torch.sin(x) + x + c
    print(x, x.grad)
    print(y)
    dot = torch.make_dot(y, dict(x=x, c=c, y=y), show_attrs=True, show_saved=True)
    assert ("c\\n ()" in dot) == c_requires_grad and "y\\n ()" in dot
    y.backward()
    print(x, x.grad)
    print(y)
    try:
        y.backward()
        print(x, x.grad)
        print(y)
    except Exception as e:
        print(e)
    assert out(capsys) == """\
tensor(5., requires_grad=True) None
tensor(5.1232, grad_fn=<AddBackward0>)
tensor(5., requires_grad=True) tensor(1.8510)
tensor(5.1232, grad_fn=<AddBackward0>)
Trying to backward through the graph a second time (or directly access saved tensors after \
they have already been freed). Saved intermediate values of the graph are freed when you call \
.backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the \
graph a second time or if you need to access saved tensors after calling backward.
"""


@pytest.mark.parametrize("x_requires_grad", [False, True])
def test_linear_regression_graph(x_requires_grad):
    rng = torch.manual_seed(42)
    X_train = torch.randn(100, 5).requires_grad_(x_requires_grad)
    y_train = torch.mean(X_train, axis=1)
    theta = torch.randn(5).requires_grad_(True)
    y_pred = torch.matmul(X_train, theta)
    mse_train = torch.mean((y_train - y_pred)**2)
    dot = torch.make_dot(mse_train, dict(X_train=X_train, mse_train=mse_train, theta=theta),
                         show_attrs=True, show_saved=True)
    assert "MvBackward0" in dot and ("MeanBackward1" in dot) == x_requires_grad
    mse_train.backward()
    assert theta.grad.shape == (5,)
    assert (X_train.grad is not None) == x_requires_grad
    assert rng.initial_seed() == 42


def test_gradients_accumulate_and_zero(capsys):
    x = torch.tensor(5.0, requires_grad=True)
    for i in range(2):
        y = 3*x**2
        y.backward()
        print(x, x.grad)
        print(y)
    x.grad.zero_()
    print(x, x.grad)
    y = 3*x**2
    y.backward()
    print(x, x.grad)
    print(y)
    assert out(capsys) == """\
tensor(5., requires_grad=True) tensor(30.)
tensor(75., grad_fn=<MulBackward0>)
tensor(5., requires_grad=True) tensor(60.)
tensor(75., grad_fn=<MulBackward0>)
tensor(5., requires_grad=True) tensor(0.)
tensor(5., requires_grad=True) tensor(30.)
tensor(75., grad_fn=<MulBackward0>)
"""


def test_more_complicated_gradient(capsys):
    x = torch.arange(5, dtype=torch.float32).requires_grad_(True)
    y = torch.mean(torch.log(x**2+1)+5*x)
    y.backward()
    print(y)
    print(x)
    print('Grad', x.grad)
    assert out(capsys) == """\
tensor(11.4877, grad_fn=<MeanBackward0>)
tensor([0., 1., 2., 3., 4.], requires_grad=True)
Grad tensor([1.0000, 1.2000, 1.1600, 1.1200, 1.0941])
"""


def objective(theta):
    return theta*torch.cos(4*theta) + 2*torch.abs(theta)


def test_nonconvex_objective():
    theta = torch.linspace(-5, 5, steps=100)
    y = objective(theta)
    theta_true = float(theta[np.argmin(y)])
    assert abs(theta_true - (-0.0505051463842392)) < 1e-6       # as torch gives
    assert objective(torch.tensor(np.float64(0.3))).numpy().dtype == np.float64


def gradient_descent(objective, step_size=0.05, max_iter=100, init=0):
    theta_hat = torch.tensor(init, requires_grad=True)
    theta_hat_arr = [theta_hat.detach().numpy().copy()]
    obj_arr = [objective(theta_hat).detach().numpy()]
    for i in range(max_iter):
        if theta_hat.grad is not None:
            theta_hat.grad.zero_()
        out = objective(theta_hat)
        out.backward()
        with torch.no_grad():
            theta_hat -= step_size * theta_hat.grad
            theta_hat_arr.append(theta_hat.detach().numpy().copy())
            obj_arr.append(objective(theta_hat).detach().numpy())
    return np.array(theta_hat_arr), np.array(obj_arr)


def test_gradient_descent_step_sizes():
    finals = {}
    for step_size in [0.05, 0.07, 0.15]:
        theta_hat_arr, obj_arr = gradient_descent(objective, step_size=step_size, init=0.5,
                                                  max_iter=100)
        assert theta_hat_arr.shape == (101,) and obj_arr.shape == (101,)
        finals[step_size] = (theta_hat_arr[-1], obj_arr[-1])
        assert obj_arr[-1] < obj_arr[0]
    # from init=0.5 all three reach the local minimum near 0.6838 (torch 2.13 prints the same
    # values: 0.68376696 / 0.7394936); the seed's plot shows the paths
    for theta, obj in finals.values():
        assert abs(theta - 0.68376696) < 1e-5 and abs(obj - 0.7394936) < 1e-5


def test_two_layer_net_adam(capsys):
    torch.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    model = nn.Sequential(nn.Linear(D_in, H), nn.ReLU(), nn.Linear(H, D_out))
    loss_fn = nn.MSELoss(reduction='sum')
    optimizer = optim.Adam(model.parameters(), lr=1e-4)
    losses = []
    for t in range(500):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # the seed prints 71.0, 1.64, 0.0156, 6.4e-05, 8.3e-08 (other random numbers than ours)
    assert losses[0] < 200 and losses[1] < 5 and losses[2] < 0.1 and losses[4] < 1e-5
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert len(out(capsys).splitlines()) == 5


def test_dot_retain_grad(capsys):
    x = (2.0 * torch.ones(5).float()).requires_grad_(True)
    b = torch.arange(5).float()
    y = torch.dot(b, x)
    y.retain_grad()
    z = torch.log(y)
    z.retain_grad()
    z.backward()

    def print_grad(a):
        print(a, a.grad)
    print_grad(y)
    print_grad(x)
    assert out(capsys) == """\
tensor(20., grad_fn=<DotBackward0>) tensor(0.0500)
tensor([2., 2., 2., 2., 2.], requires_grad=True) tensor([0.0000, 0.0500, 0.1000, 0.1500, 0.2000])
"""


# --- 004: L3 tensor operations and gradients -------------------------------------------------
def test_multiple_ways_to_initialize():
    t1 = torch.randn((3, 3), requires_grad=True)
    t2 = torch.FloatTensor(3, 3)
    t2.requires_grad = True
    assert t1.requires_grad and t2.requires_grad and t2.dtype == torch.float32


def test_example1_polynomial(capsys):
    x = torch.tensor([2.0], requires_grad=True)
    y = 3 * x**2 + 2 * x + 1
    y.backward()
    gradient = x.grad
    print("Input variable (x):", x.item())
    print("Result of the expression (y):", y.item())
    print("Gradient of y with respect to x:", gradient.item())
    assert out(capsys) == ("Input variable (x): 2.0\nResult of the expression (y): 17.0\n"
                           "Gradient of y with respect to x: 14.0\n")


def test_wx_plus_b(capsys):
    x = torch.tensor(3.)
    w = torch.tensor(4., requires_grad=True)
    b = torch.tensor(5., requires_grad=True)
    print(x, w, b)
    y = w * x + b
    print(y)
    y.backward()
    print('dy/dx:', x.grad)
    print('dy/dw:', w.grad)
    print('dy/db:', b.grad)
    assert out(capsys) == """\
tensor(3.) tensor(4., requires_grad=True) tensor(5., requires_grad=True)
tensor(17., grad_fn=<AddBackward0>)
dy/dx: None
dy/dw: tensor(3.)
dy/db: tensor(1.)
"""


def test_sum_over_paths(capsys):
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    c = a + b
    d = b + 1
    e = c * d
    print('c', c)
    print('d', d)
    print('e', e)
    e.backward()
    assert (a.grad.item(), b.grad.item()) == (2.0, 5.0)      # de/db = 1*2 + 1*3
    assert out(capsys) == ("c tensor(3., grad_fn=<AddBackward0>)\n"
                           "d tensor(2., grad_fn=<AddBackward0>)\n"
                           "e tensor(6., grad_fn=<MulBackward0>)\n")


def test_log_problem4(capsys):
    x = torch.tensor([2.0], requires_grad=True)
    y = torch.tensor([3.0], requires_grad=True)
    z = torch.log(3*x**2 + 5*x*y)
    print("z = ", z)
    z.backward()
    print("x.grad = ", x.grad)
    print("y.grad = ", y.grad)
    assert out(capsys) == ("z =  tensor([3.7377], grad_fn=<LogBackward0>)\n"
                           "x.grad =  tensor([0.6429])\ny.grad =  tensor([0.2381])\n")


def _problem5(n_backward):
    x = torch.tensor([2.0], requires_grad=True)
    y = torch.tensor([3.0], requires_grad=True)
    a = x**2; a.retain_grad()
    b = 3 * a; b.retain_grad()
    c = x * y; c.retain_grad()
    d = 5 * c; d.retain_grad()
    e = b + d; e.retain_grad()
    z = torch.log(e); z.retain_grad()
    for _ in range(n_backward):
        z.backward(retain_graph=n_backward > 1)
    print(z)
    for name, t in [("x", x), ("y", y), ("a", a), ("b", b), ("c", c), ("d", d), ("e", e),
                    ("z", z)]:
        print(f"{name} grad = ", t.grad)
    return x, y, a


@pytest.mark.parametrize("n, expected", [
    (1, ["0.6429", "0.2381", "0.0714", "0.0238", "0.1190", "0.0238", "0.0238", "1."]),
    (2, ["1.2857", "0.4762", "0.1429", "0.0476", "0.2381", "0.0476", "0.0476", "2."]),
    (3, ["1.9286", "0.7143", "0.2143", "0.0714", "0.3571", "0.0714", "0.0714", "3."]),
])
def test_problem5_retain_grad_and_graph(capsys, n, expected):
    x, y, a = _problem5(n)
    lines = out(capsys).splitlines()
    assert lines[0] == "tensor([3.7377], grad_fn=<LogBackward0>)"
    for name, line, value in zip("xyabcdez", lines[1:], expected):
        assert line == f"{name} grad =  tensor([{value}])"
    with pytest.raises(RuntimeError,
                       match="you can only change requires_grad flags of leaf variables."):
        a.requires_grad = True


def test_problem5_fourth_backward_without_retain():
    x = torch.tensor([2.0], requires_grad=True)
    z = torch.log(3 * x**2)
    z.backward(retain_graph=True)
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.backward()


def test_problem6_non_scalar(capsys):
    x = torch.ones(3, requires_grad=True)
    print("x=", x)
    y = x ** 2
    z = x ** 3
    print("y=", y)
    print("z=", z)
    r = (y + z)
    print("r=", r)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                       "outputs"):
        r.backward()
    r = (y + z).sum()
    print("r=", r)
    r.backward()
    print(x.grad)
    assert out(capsys) == """\
x= tensor([1., 1., 1.], requires_grad=True)
y= tensor([1., 1., 1.], grad_fn=<PowBackward0>)
z= tensor([1., 1., 1.], grad_fn=<PowBackward0>)
r= tensor([2., 2., 2.], grad_fn=<AddBackward0>)
r= tensor(6., grad_fn=<SumBackward0>)
tensor([5., 5., 5.])
"""


def test_no_grad_requires_grad(capsys):
    x = torch.ones(3, requires_grad=True)
    y = x**2
    z = x**3
    r = (y+z).sum()
    print(r.requires_grad)
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        y = x**2
        z = x**3
        r = (y+z).sum()
    print(r.requires_grad)
    assert out(capsys) == "True\nFalse\n"
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and "
                       "does not have a grad_fn"):
        with torch.no_grad():
            r = (x ** 2).sum()
            r.backward()


def test_problem7_loss(capsys):
    x = torch.tensor(1.0)
    y = torch.tensor(2.0)
    w = torch.tensor(1.0, requires_grad=True)
    y_predicted = w * x
    loss = (y_predicted - y)**2
    print("loss=", loss)
    loss.backward()
    print("w.grad=", w.grad)
    with torch.no_grad():
        w -= 0.01 * w.grad
        print("w=", w, "w.grad=", w.grad)
    w.grad.zero_()
    print("w.grad=", w.grad)
    assert out(capsys) == """\
loss= tensor(1., grad_fn=<PowBackward0>)
w.grad= tensor(-2.)
w= tensor(1.0200, requires_grad=True) w.grad= tensor(-2.)
w.grad= tensor(0.)
"""

"""ad.jit: a compiled function is one node of the Tensor graph, its backward the adjoint."""
import math

import numpy as np
import pytest

import ad_compiler as ad

from ._jit_functions import energy, scaled

BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.numba)]


def central_difference(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("backend", BACKENDS)
def test_node_and_gradients_match_finite_differences(backend):
    f = ad.jit(energy, backend=backend)
    x0 = np.array([0.3, 0.5, 0.9])
    x = ad.tensor(x0, requires_grad=True)
    k = ad.tensor(2.0, dtype=ad.float64, requires_grad=True)
    y = f(x, k, 3)
    assert y.grad_fn.name() == "CompiledFunctionBackward"
    assert y.grad_fn.next_functions[2] == (None, 0)
    (y * y).backward()
    loss = lambda xv, kv: energy(xv, kv, 3) ** 2
    np.testing.assert_allclose(x.grad.numpy(), central_difference(lambda v: loss(v, 2.0), x0),
                               rtol=1e-6)
    dk = (loss(x0, 2.0 + 1e-6) - loss(x0, 2.0 - 1e-6)) / 2e-6
    assert k.grad.item() == pytest.approx(dk, rel=1e-6)


def test_array_output_backward_with_gradient():
    f = ad.jit(scaled, backend="python")
    x0 = np.array([0.1, -0.4, 0.7])
    x = ad.tensor(x0, requires_grad=True)
    w = ad.tensor(1.5, dtype=ad.float64, requires_grad=True)
    y = f(x, w)
    v = np.array([1.0, -2.0, 0.5])
    y.backward(ad.tensor(v))
    expected = central_difference(lambda xv: scaled(xv, 1.5) @ v, x0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    dw = (scaled(x0, 1.5 + 1e-6) @ v - scaled(x0, 1.5 - 1e-6) @ v) / 2e-6
    assert w.grad.item() == pytest.approx(dw, rel=1e-6)


def test_no_grad_runs_only_the_primal_and_detach_cuts_the_graph():
    f = ad.jit(energy, backend="python")
    x = ad.tensor(np.array([0.3, 0.5]), requires_grad=True)
    with ad.no_grad():
        y = f(x, 1.0, 2)
    assert y.grad_fn is None and not y.requires_grad
    assert y.item() == pytest.approx(energy(np.array([0.3, 0.5]), 1.0, 2))
    k = ad.tensor(3.0, dtype=ad.float64, requires_grad=True)
    z = f(x.detach(), k, 2)
    z.backward()
    assert x.grad is None
    assert k.grad.item() == pytest.approx(energy(np.array([0.3, 0.5]), 1.0, 2))


def test_second_backward_through_freed_graph_and_create_graph_errors():
    f = ad.jit(energy, backend="python")
    x = ad.tensor(np.array([0.3, 0.5]), requires_grad=True)
    y = f(x, 1.0, 2) * 2.0
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    y2 = f(x, 1.0, 2)
    with pytest.raises(RuntimeError, match="create_graph=True is not supported"):
        ad.autograd.grad(y2, x, create_graph=True)


def test_float32_inputs_keep_their_dtype():
    f = ad.jit(energy, backend="python")
    x = ad.tensor([0.3, 0.5], requires_grad=True)
    y = f(x, 1.0, 2)
    assert y.dtype == ad.float32
    y.backward()
    assert x.grad.dtype == ad.float32
    expected = np.sin([0.3, 0.5]) + np.array([0.3, 0.5]) * np.cos([0.3, 0.5])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)


def test_a_function_writing_into_its_argument_is_refused():
    """The node's backward ran the adjoint on the array the forward had written into (and
    the Tensor's data changed behind the graph): a wrong gradient. Refused, naming it."""
    from ._jit_functions import writes_into_argument

    f = ad.jit(writes_into_argument, backend="python")
    with pytest.raises(ad.DifferentiationError, match="writes into its argument 'x'"):
        f(ad.tensor(np.array([0.3, 0.5, 0.7]), requires_grad=True), 2.0)

"""Functions as users hold them. A ``lambda`` is differentiated as the ``def`` it stands for
(frontend/parse.py): found in its file by the positions of its code, so two lambdas on one
line, or one inside another's arguments, are told apart; its closure and globals are read as
a function's. An object with a ``__call__`` is that method bound to the object, whose
attributes are read at every call."""

import math

import numpy as np
import pytest

import ad_compiler as ad

SCALE = 3.0
X = np.array([0.3, 0.5, 0.7])


def test_a_lambda_is_differentiated_as_its_def():
    g = ad.grad(lambda x: np.sum(np.sin(x) * x), backend="python")
    np.testing.assert_allclose(g(X), np.sin(X) + X * np.cos(X), rtol=1e-12)


def test_two_lambdas_on_one_line_are_told_apart():
    square, cube = (lambda v: np.sum(v * v * SCALE)), (lambda v: np.sum(v ** 3))
    np.testing.assert_allclose(ad.grad(square, backend="python")(X), 2 * SCALE * X)
    np.testing.assert_allclose(ad.grad(cube, backend="python")(X), 3 * X ** 2)


def test_a_lambda_of_several_arguments_and_its_closure():
    def make(k):
        return lambda a, b: k * a * math.exp(b) + a * a

    da, db = ad.grad(make(2.0), wrt=(0, 1), backend="python")(0.5, 0.2)
    assert da == pytest.approx(2.0 * math.exp(0.2) + 1.0, rel=1e-12)
    assert db == pytest.approx(2.0 * 0.5 * math.exp(0.2), rel=1e-12)


@pytest.mark.numba
def test_a_lambda_under_numba_and_its_source():
    g = ad.grad(lambda x: np.sum(np.tanh(x) * 2.0))
    np.testing.assert_allclose(g(X), 2.0 * (1.0 - np.tanh(X) ** 2), rtol=1e-12)
    assert "def lambda_" in g.source


def test_a_lambda_called_where_it_is_written_and_one_in_a_comprehension():
    """A lambda called where it is written is the nested def it spells (made just before
    its statement); one inside a comprehension (which may read the comprehension's
    variables) stays refused."""
    assert ad.grad(lambda t: (lambda u: u * t * t)(2.0), backend="python")(1.5) == \
        pytest.approx(6.0, rel=1e-12)
    with pytest.raises(ad.DifferentiationError, match="'lambda' is not supported"):
        ad.grad(lambda t: sum([(lambda u: u * v)(t) for v in (1.0, 2.0)]),
                backend="python")(1.5)


class Model:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        return np.sum(np.tanh(self.w * x) ** 2)

    def __call__(self, x):
        return self.loss(x) * 2.0


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_an_object_with_a_call_method_is_differentiated_as_it(backend):
    model = Model(np.array([0.5, 1.5, 2.0]))
    g = ad.grad(model, backend=backend)
    t = np.tanh(model.w * X)
    np.testing.assert_allclose(g(X), 4.0 * t * (1.0 - t * t) * model.w, rtol=1e-12)
    model.w = np.ones(3)                 # read at every call, as the object is
    t = np.tanh(X)
    np.testing.assert_allclose(g(X), 4.0 * t * (1.0 - t * t), rtol=1e-12)


def weighted(c, x, a, b=2.0):
    return np.sum(c * a * x ** b)


def test_a_partial_is_its_function_with_the_arguments_given():
    """``functools.partial``: positions and names in ``wrt`` are those left to the caller
    (as ``inspect.signature`` gives them), the given arguments passed on every call."""
    import functools
    import pickle

    p = functools.partial(weighted, 2.0, a=1.5)
    np.testing.assert_allclose(ad.grad(p, backend="python")(X), 2.0 * 1.5 * 2 * X)
    assert ad.grad(p, wrt="a", backend="python")(X) == pytest.approx(2.0 * np.sum(X ** 2))
    gx, gb = ad.grad(p, wrt=(0, "b"), backend="python")(X, b=3.0)
    np.testing.assert_allclose(gx, 3.0 * 3 * X ** 2)
    assert gb == pytest.approx(np.sum(3.0 * X ** 3 * np.log(X)))
    np.testing.assert_allclose(ad.jacobian(functools.partial(lambda c, v: c * np.sin(v), 2.0),
                                           backend="python")(X), np.diag(2 * np.cos(X)))
    g = pickle.loads(pickle.dumps(ad.grad(p, backend="python")))
    np.testing.assert_allclose(g(X), 2.0 * 1.5 * 2 * X)
    with pytest.raises(ad.DifferentiationError, match="wrt='c' is not a parameter"):
        ad.grad(p, wrt="c")

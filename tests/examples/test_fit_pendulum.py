"""examples/fit_pendulum.py: the gradient of its loop-based loss, and the fit it drives."""
import importlib.util
import os

import numpy as np
import pytest

import ad_compiler as ad

PATH = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "fit_pendulum.py")


def load_example():
    spec = importlib.util.spec_from_file_location("fit_pendulum", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.numba
def test_fit_recovers_parameters_with_exact_gradients():
    example = load_example()
    observed = example.simulate(np.array([9.0, 0.35]), 1.2, 60)
    params = np.array([7.0, 0.6])
    value, grad = ad.value_and_grad(example.loss, wrt=0)(params, 1.2, observed)
    assert value == pytest.approx(example.loss(params, 1.2, observed), rel=1e-12)
    h = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        fd = (example.loss(params + e, 1.2, observed) - example.loss(params - e, 1.2, observed))
        assert grad[i] == pytest.approx(fd / (2 * h), rel=1e-5)
    result = example.main()
    np.testing.assert_allclose(result.x, [9.0, 0.35], atol=0.05)

"""lgamma, gamma and digamma: rules checked against finite differences and SciPy."""
import numpy as np
import pytest
import scipy.special as sp

import ad_compiler as ad
from ad_compiler.rules.special import digamma

from _special_functions import log_gamma_mix, wishart_like


@pytest.mark.parametrize("x", [-2.5, -0.3, 0.1, 0.9, 1.0, 3.7, 6.0, 41.2, 1e4])
def test_digamma_matches_scipy(x):
    assert digamma(x) == pytest.approx(sp.digamma(x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_gradients_of_special_functions(backend):
    x = np.array([0.7, 2.5, 9.1])
    ga, gx = ad.grad(log_gamma_mix, wrt=(0, 1), backend=backend)(1.3, x)
    h = 1e-6
    assert ga == pytest.approx((log_gamma_mix(1.3 + h, x) - log_gamma_mix(1.3 - h, x)) / (2 * h),
                               rel=1e-6)
    np.testing.assert_allclose(gx, 1.3 * sp.digamma(x), rtol=1e-12)
    g = ad.grad(wishart_like, backend=backend)(7.5, 4)
    assert g == pytest.approx(sum(sp.digamma(7.5 - 0.5 * j) for j in range(4)), rel=1e-12)


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_array_literals_constant_and_packed(backend):
    from _special_functions import array_literals

    x, scale, h = np.array([0.3, -0.2]), 1.5, 1e-6
    gx, gs = ad.grad(array_literals, wrt=(0, 1), backend=backend)(x, scale)
    for i in range(2):
        e = np.eye(2)[i] * h
        fd = (array_literals(x + e, scale) - array_literals(x - e, scale)) / (2 * h)
        assert gx[i] == pytest.approx(fd, rel=1e-6)
    fd = (array_literals(x, scale + h) - array_literals(x, scale - h)) / (2 * h)
    assert gs == pytest.approx(fd, rel=1e-6)

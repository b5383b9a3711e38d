"""Pytrees through every transform (hessian, hvp, jvp with aux, transforms of derivative
functions), objects as pytrees, and globals read at every call by composed transforms; all
against central finite differences."""

import numpy as np
import pytest

import ad_compiler as ad
import _pipeline_funcs as F
from fdcheck import assert_close

X = np.array([0.3, -0.7, 1.1])
BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.numba)]


def _fd_jac(f, x, eps=1e-6):
    cols = []
    for j in range(np.size(x)):
        e = np.zeros(np.shape(x))
        e.flat[j] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_composed_transform_reads_globals_at_every_call(backend, monkeypatch):
    J = ad.jacobian(ad.grad(F.scaled_cube, backend=backend), backend=backend)
    assert_close(J(X), np.diag(6 * F.SCALE * X))
    monkeypatch.setattr(F, "SCALE", 5.0)
    assert_close(J(X), np.diag(6 * 5.0 * X))
    assert_close(J(X), _fd_jac(ad.grad(F.scaled_cube, backend=backend), X))

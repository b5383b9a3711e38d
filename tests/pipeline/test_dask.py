"""ad.dask over a LocalCluster of two worker processes, and derivative functions in workers."""

import os
from pathlib import Path

import numpy as np
import pytest

import ad_compiler as ad
import _pipeline_funcs as F

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

HERE = Path(__file__).parent
R = np.random.default_rng(5)
XS = R.standard_normal((40, 3))
YS = R.standard_normal(40)
W = np.array([0.5, -0.2, 1.0])


@pytest.fixture(scope="module")
def client():
    # workers unpickle the functions by module name: they must import this directory
    old = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), old) if p)
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40)
        with distributed.Client(cluster) as c:
            yield c
        cluster.close()
    finally:
        os.environ["PYTHONPATH"] = old


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_value_and_grad_over_four_chunks_equals_in_memory(client, backend):
    X, y = da.from_array(XS, chunks=(10, 3)), da.from_array(YS, chunks=10)
    value, g = ad.dask.value_and_grad(F.sq_loss, wrt=0, over=1, backend=backend)(W, X, y)
    v0, g0 = ad.value_and_grad(F.sq_loss, backend=backend)(W, XS, YS)
    assert value == pytest.approx(v0, rel=1e-12)
    np.testing.assert_allclose(g, g0, rtol=1e-12)
    np.testing.assert_allclose(ad.dask.grad(F.sq_loss, backend=backend)(W, X, y), g0,
                               rtol=1e-12)
    np.testing.assert_allclose(g0, 2 * XS.T @ (XS @ W - YS), rtol=1e-12)


def test_client_map_over_parameter_sets(client):
    g = ad.grad(F.poly, backend="numba")
    xs = [R.standard_normal(3) for _ in range(4)]
    g(xs[0], 0.8)                                   # compiled here first, then pickled
    got = client.gather(client.map(g, xs, [0.8] * 4))
    for x, r in zip(xs, got):
        np.testing.assert_allclose(r, g(x, 0.8), rtol=1e-14)

"""Fit a logistic-regression model to a dataset chunked over Dask workers.

The loss is a sum over samples, so each chunk's value and gradient come from the compiled
gradient running in the worker that holds the chunk, and ``ad.dask`` tree-sums them. Prints
the fitted loss and the time of the fit on 1 and on 2 worker processes.

    python examples/dask_fit.py [n_samples=400000]
"""

import sys
import time

import numpy as np

import ad_compiler as ad


def nll(w, X, y):
    """Negative log-likelihood of logistic regression, summed over the rows of X."""
    z = X @ w
    return np.sum(np.log(1.0 + np.exp(z)) - y * z)


def fit(X, y, steps=30, lr=0.5):
    vg = ad.dask.value_and_grad(nll, wrt=0, over=1)
    n = X.shape[0]
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        value, g = vg(w, X, y)
        w = w - lr * g / n
    return w, value / n


def main():
    import dask.array as da
    from distributed import Client, LocalCluster

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
    r = np.random.default_rng(0)
    Xn = r.standard_normal((n, 8))
    w_true = r.standard_normal(8)
    yn = (r.random(n) < 1 / (1 + np.exp(-Xn @ w_true))).astype(float)
    data = da.from_array(Xn, chunks=(n // 8, 8)), da.from_array(yn, chunks=n // 8)
    print(f"| workers | time of 30 steps (s) | mean loss |\n|---|---|---|")
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            X, y = client.persist(list(data))       # the chunks live in the workers
            fit(X, y, steps=1)                              # compile once per worker
            t0 = time.perf_counter()
            w, loss = fit(X, y)
            print(f"| {workers} | {time.perf_counter() - t0:.2f} | {loss:.5f} |")


if __name__ == "__main__":
    main()

"""Issue 20's corpus: Numba kernels left as their users write them (``@njit`` on the
function and its helpers, ``prange``, ``dtype=``, output arrays, ``.fill``, ``.flat``),
each differentiated on both backends and checked against central finite differences of the
kernel's Python function."""

import numpy as np
import pytest
from fdcheck import assert_close, fd_grad

import ad_compiler as ad
from _numba_corpus import KERNELS

IDS = [k.__name__ for k, _, _ in KERNELS]


def _check(kernel, make, wrt, backend):
    args = make(np.random.default_rng(20))
    for i in wrt:
        got = ad.grad(kernel, wrt=i, backend=backend)(*args)
        expected = fd_grad(getattr(kernel, "py_func", kernel), args, i)   # no compile
        assert_close(got, expected, f"{kernel.__name__} wrt {i}")


@pytest.mark.parametrize("kernel, make, wrt", KERNELS, ids=IDS)
def test_corpus_python(kernel, make, wrt):
    _check(kernel, make, wrt, "python")


# the numba tier (compiling costs seconds each): one kernel of each shape of code
NUMBA = {"nbody_energy", "black_scholes", "filtered_energy", "cholesky_logdet",
         "pairwise_distances", "deriche", "idioms", "unrolled_moments"}


@pytest.mark.numba
@pytest.mark.parametrize("kernel, make, wrt", [k for k in KERNELS if k[0].__name__ in NUMBA],
                         ids=[i for i in IDS if i in NUMBA])
def test_corpus_numba(kernel, make, wrt):
    _check(kernel, make, wrt[:1], "numba")

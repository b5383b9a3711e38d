"""Gathers and scatters through integer arrays, reverse and forward mode, against central
finite differences, with repeated indices (duplicates accumulate in a gather's adjoint; a
buffered scatter keeps only the last write, as NumPy does)."""

import numpy as np
import pytest
from fdcheck import assert_close, fd_grad

import ad_compiler as ad
from _indexing_programs import cases

CASES = cases(np.random.default_rng(18))
IDS = [f.__name__ for f, _, _ in CASES]
# the numba tier: one of each family (loops, vectorised reads and writes, calls, bundle)
NUMBA = {"edge_energy", "index_under_branch", "loop_scatter_set", "csr_matvec", "pairs_read",
         "fancy_add", "add_at_rows", "take_along", "bundle_adjustment"}


def _check_reverse(f, args, wrt, backend):
    for i in wrt:
        got = ad.grad(f, wrt=i, backend=backend)(*args)
        assert_close(got, fd_grad(f, args, i), f"{f.__name__} wrt {i}")


def _check_forward(f, args, wrt, backend):
    rng = np.random.default_rng(0)
    tangents = [rng.random(np.shape(a)) if i in wrt else
                (np.zeros(np.shape(a)) if isinstance(a, np.ndarray) and a.dtype == float
                 else None) for i, a in enumerate(args)]
    tangents = [t if t is None or np.ndim(t) else float(t) for t in tangents]
    expected = sum(np.sum(fd_grad(f, args, i) * tangents[i]) for i in wrt)
    _, got = ad.jvp(f, args, tangents, backend=backend)
    assert_close(got, expected, f"{f.__name__} jvp")


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_reverse_python(f, args, wrt):
    _check_reverse(f, args, wrt, "python")


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_forward_python(f, args, wrt):
    _check_forward(f, args, wrt, "python")


@pytest.mark.numba
@pytest.mark.parametrize("f, args, wrt", [c for c in CASES if c[0].__name__ in NUMBA],
                         ids=sorted(NUMBA, key=IDS.index))
def test_reverse_numba(f, args, wrt):
    _check_reverse(f, args, wrt, "numba")


@pytest.mark.numba
@pytest.mark.parametrize("f, args, wrt", [c for c in CASES if c[0].__name__ in
                                          ("edge_energy", "fancy_add")],
                         ids=["edge_energy", "fancy_add"])
def test_forward_numba(f, args, wrt):
    _check_forward(f, args, wrt, "numba")


def test_int_array_elements_are_indices():
    """Specialised to an int64 array, its elements are ints wherever they flow (indices,
    slice and loop bounds): never differentiated, never floats."""
    from _indexing_programs import index_as_bound

    from ad_compiler.frontend.ir import Load, walk
    from ad_compiler.frontend import build_ir
    from ad_compiler.transforms.specialize import signature_of_argument, specialize

    args = (np.ones(6), np.array([0, 2, 2, 6]))
    ir = specialize(build_ir(index_as_bound), tuple(map(signature_of_argument, args)))
    starts = ir.params[1]
    assert (starts.kind, starts.ndim, starts.dtype) == ("array", 1, "int")
    loads = [op for op in walk(ir.body) if isinstance(op, Load) and op.operands[0] is starts]
    assert loads and all(op.results[0].kind == "int" for op in loads)
    assert not starts.differentiable


def test_put_of_matrix_is_refused():
    def f(a, v):
        y = a * 1.0
        np.put(y, np.array([0, 1]), v)
        return np.sum(y)
    with pytest.raises(ad.DifferentiationError, match="np.put of a 2-D array"):
        ad.grad(f, backend="python")(np.ones((2, 2)), np.ones(2))


def test_flat_writes_are_refused():
    def f(a):
        a.flat[0] = 1.0
        return np.sum(a)
    with pytest.raises(ad.DifferentiationError, match=".flat"):
        ad.grad(f, backend="python")(np.ones((2, 2)))

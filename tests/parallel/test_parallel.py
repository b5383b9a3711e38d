"""prange loops differentiate, and with ``parallel=True`` run on all cores in the forward
sweep and in the adjoint without a race (ad_compiler.transforms.parallel)."""

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.backends.index_checks import add_index_checks
from tests.compiler.fdcheck import assert_close, check_grad, fd_grad, float_positions
from tests.parallel._parallel_programs import CASES, carries_a_value, gather, histogram, \
    map_reduce, nbody_forces, pairwise_energy, raises_in_prange


def _factory(backend, parallel):
    return lambda f, wrt: ad.grad(f, wrt=wrt, backend=backend, parallel=parallel)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("parallel", [True, False])
def test_gradient_python(name, parallel):
    f, args = CASES[name]
    check_grad(_factory("python", parallel), f, args())


def _loops(source):
    return [line.strip() for line in source.splitlines() if line.strip().startswith("for ")]


def test_own_elements_and_reductions_run_as_they_are():
    g = ad.grad(map_reduce, wrt=(0, 2), backend="python", parallel=True)
    g(*CASES["map_reduce"][1]())
    loops = _loops(g.source)
    assert loops and all("prange(" in loop for loop in loops), g.source
    assert "_priv" not in g.source


def test_shared_adjoints_are_privatised():
    g = ad.grad(pairwise_energy, backend="python", parallel=True)
    g(*CASES["pairwise_energy"][1]())
    assert "_priv_b_x = " in g.source and "b_x_c[j, 0] +=" in g.source, g.source
    assert "b_x[j" not in g.source      # never the shared adjoint from two iterations
    g = ad.grad(histogram, backend="python", parallel=True)
    g(*CASES["histogram"][1]())
    assert "_priv_acc" in g.source, g.source   # the user's scatter, in the forward sweep
    g = ad.grad(gather, wrt=(0, 2), backend="python", parallel=True)
    g(*CASES["gather"][1]())
    assert "_priv_b_x" in g.source and "b_w = b_w + " in g.source, g.source


def test_tapes_are_indexed_by_the_iteration():
    from tests.parallel._parallel_programs import iterated_map

    g = ad.grad(iterated_map, backend="python", parallel=True)
    g(*CASES["iterated_map"][1]())
    assert sum("prange(" in loop for loop in _loops(g.source)) == 2, g.source


def test_every_sweep_in_parallel_with_tapes():
    """Saves of overwritten elements and inner-loop tapes, at the top level and inside a
    serial loop: every prange loop of both sweeps stays parallel."""
    for name in ("in_place", "inside_a_serial_loop"):
        f, make = CASES[name]
        g = ad.grad(f, wrt=(0, 1), backend="python", parallel=True)
        g(*make())
        outer = [loop for loop in _loops(g.source) if "prange(" in loop]
        assert len(outer) == (4 if name == "in_place" else 2), g.source


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("name", ["pairwise_energy", "soft_map"])
def test_value_and_adjoint_sweeps_fuse(name, parallel):
    """The value's sweep only reduces: it runs in the adjoint's loop (inner loops, and the
    ifs on one condition in them, fused too), what both compute computed once; value and
    gradient still right."""
    f, make = CASES[name]
    args = make()
    wrt = tuple(float_positions(args))
    g = ad.value_and_grad(f, wrt=wrt, backend="python", parallel=parallel)
    value, grads = g(*args)
    assert_close(value, f(*args), name)
    for gi, i in zip(grads, wrt):
        assert_close(gi, fd_grad(f, args, i), f"{name} wrt={i}")
    loops = _loops(g.source)
    assert sum("prange(" in loop for loop in loops) == int(parallel), g.source
    assert sum(loop.startswith("for i in") for loop in loops) == 1, g.source
    assert sum(loop.startswith("for j in") for loop in loops) <= 1, g.source
    code = [ln for ln in g.source.splitlines() if not ln.strip().startswith("#")]
    assert sum(ln.count("np.exp(") + ln.count("np.sqrt(") for ln in code) == 1, g.source


def test_a_value_sweep_that_stores_stays_apart():
    g = ad.value_and_grad(map_reduce, wrt=(0, 2), backend="python", parallel=True)
    g(*CASES["map_reduce"][1]())
    assert sum("prange(" in loop for loop in _loops(g.source)) == 2, g.source


def test_serial_without_the_option():
    g = ad.grad(nbody_forces, backend="python")
    g(*CASES["nbody_forces"][1]())
    assert not any("prange(" in loop for loop in _loops(g.source)), g.source
    assert "from numba import prange" not in g.source


def test_a_carried_value_is_refused():
    with pytest.raises(ad.DifferentiationError, match=r"prange loop carries 's'.*"
                       r"_parallel_programs.py:\d+"):
        ad.grad(carries_a_value, backend="python")(np.ones(3))


def test_parallel_refused_on_cuda():
    with pytest.raises(NotImplementedError, match="parallel=True"):
        ad.grad(map_reduce, backend="cuda", parallel=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_checked_source_has_no_raise_in_a_prange_body(name):
    """What the numba backend compiles by default (the index checks written into the
    source): a check in a prange body records a flag and the loop raises after it ends,
    since a raise inside keeps Numba from running the loop in parallel."""
    f, args = CASES[name]
    source = add_index_checks(ad.value_and_grad(f, wrt=tuple(float_positions(args())),
                                                backend="python", parallel=True).source)
    assert "prange(" in source
    assert not raises_in_prange(source), source


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
@pytest.mark.parametrize("bad", [9, 12, -10])
def test_out_of_bounds_in_a_prange_body_raises_naming_the_line(backend, bad):
    """A gather ``x[idx[i]]`` past either end, in the parallel forward sweep and (through
    the same index) the privatised adjoint: IndexError naming the user's line, after the
    loop ends in the numba build."""
    x, idx, w = CASES["gather"][1]()
    idx = idx.copy()
    idx[4] = bad
    line = r"`s \+= w \* x\[idx\[i\]\] \*\* 2 \* x\[i\]`"
    g = ad.value_and_grad(gather, wrt=(0, 2), backend=backend, parallel=True)
    with pytest.raises(IndexError, match=line):
        g(x, idx, w)
    good = g(x, idx % len(x), w)            # the same build still runs in bounds
    assert_close(good[0], gather(x, idx % len(x), w), "gather")


@pytest.mark.numba
@pytest.mark.parametrize("name", ["nbody_forces", "histogram"])
def test_gradient_numba_parallel(name):
    """One compiled program each (every float argument at once): the value from the
    parallel forward sweep, the gradient from the parallel (privatised) adjoint, with the
    default index checks: Numba must parallelise every prange loop, and says so (no
    NumbaPerformanceWarning)."""
    import warnings

    import numba

    f, make = CASES[name]
    args = make()
    wrt = tuple(float_positions(args))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", numba.NumbaPerformanceWarning)
        value, grads = ad.value_and_grad(f, wrt=wrt, backend="numba", parallel=True)(*args)
    serial = [w for w in caught if "will not be executed in parallel" in str(w.message)]
    assert not serial, [str(w.message) for w in serial]
    assert_close(value, f(*args), name)
    for g, i in zip(grads, wrt):
        assert_close(g, fd_grad(f, args, i), f"{name} wrt={i}")


@pytest.mark.numba
def test_prange_left_serial_compiles_without_numba_parallel():
    import subprocess
    import sys

    # a hang is the failure: run it in a child process with a time limit
    code = (
        "import numpy as np, ad_compiler as ad\n"
        "from tests.parallel._parallel_programs import while_in_prange\n"
        "from tests.compiler.fdcheck import assert_close, fd_grad\n"
        "rng = np.random.default_rng(0)\n"
        "y = rng.standard_normal(5)\n"
        "m = rng.standard_normal((3, 5))   # 16 iterations in all: the tape fills exactly\n"
        "g = ad.grad(while_in_prange, wrt=1, backend='numba', parallel=True)\n"
        "assert_close(g(m, y), fd_grad(while_in_prange, (m, y), 1), 'while in prange')\n"
        "print('ok')\n")
    import os
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=150, env={**os.environ, "PYTHONPATH": root})
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]

"""The numba backend's cheaper spellings of generated source (backends/numba_spelling.py):
same meaning, line for line."""

import numpy as np
import pytest

from ad_compiler.backends.numba_spelling import cheap_spellings

SOURCE = """def f(x, y, z):
    x[:] += y * 2.0
    z[:] -= y
    x[:] *= 0.5
    x[1:] += 1.0
    x[:] = y
    if x.sum() > 0:
        z[:] /= 2.0
    return x, z
"""


def test_slice_augassign_becomes_inplace_line_for_line():
    out = cheap_spellings(SOURCE)
    assert len(out.splitlines()) == len(SOURCE.splitlines())
    assert "    x += y * 2.0\n" in out and "    z -= y\n" in out and "    x *= 0.5\n" in out
    assert "        z /= 2.0\n" in out
    assert "x[1:] += 1.0" in out and "x[:] = y" in out     # partial slices, stores: kept
    assert cheap_spellings("x[:] += y  # note\n") == "x[:] += y  # note\n"


@pytest.mark.numba
def test_rewritten_source_computes_the_same_under_njit():
    numba = pytest.importorskip("numba")
    ns, ns2 = {}, {}
    exec(SOURCE, ns)
    exec(cheap_spellings(SOURCE), ns2)
    f = numba.njit(ns2["f"])
    rng = np.random.default_rng(0)
    for shape_x, shape_y in [((4,), (4,)), ((3, 4), (4,)), ((3, 4), (3, 4))]:
        x, y, z = rng.normal(size=shape_x), rng.normal(size=shape_y), rng.normal(size=shape_x)
        want = ns["f"](x.copy(), y, z.copy())
        xs, zs = x.copy(), z.copy()
        got = f(xs, y, zs)
        for w, g in zip(want, got):
            np.testing.assert_allclose(g, w, rtol=1e-15)
        np.testing.assert_allclose(zs, want[1], rtol=1e-15)   # in place, as before

"""The emitter's out-of-SSA naming (union-find coalescing) on small programs, and long
generated functions (benchmarks.long_functions) differentiated correctly and deterministically.

Speed is measured in benchmarks/bench_scaling.py, never here."""

import importlib.util
import itertools
import re
import sys
import os

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "compiler"))

import ad_compiler as ad  # noqa: E402
from ad_compiler.backends.emit import _UnionFind, emit_module  # noqa: E402
from ad_compiler import api  # noqa: E402
from benchmarks.long_functions import array_source, scalar_source  # noqa: E402
from fdcheck import assert_close, fd_grad  # noqa: E402

_counter = itertools.count()


def _load(tmp_path, source, name):
    path = tmp_path / f"coalesce_{next(_counter)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name)


def _body(source, name):
    """The statements of generated function ``name`` without the ``# line`` comments."""
    lines = source.split(f"def {name}(", 1)[1].splitlines()[1:]
    lines = [re.sub(r"\s+# line .*$", "", ln).strip() for ln in lines]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def test_union_find_keeps_member_lists():
    uf = _UnionFind()
    for v in "abcde":
        uf.add(v)
    uf.union("a", "b")
    uf.union("c", "d")
    uf.union("b", "d")
    root = uf.find("c")
    assert uf.find("a") == root and uf.find("e") == "e"
    assert sorted(uf.members[root]) == ["a", "b", "c", "d"]
    assert "e" in uf.members and len(uf.members) == 2


SRC = '''
import math


def carried(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i)
    return s


def overlapping(x):
    a = x * 2.0
    b = a * a
    a = b + 1.0
    c = a * b
    return c * x


def reassigned(x):
    y = x * 1.5
    y = y * y
    y = math.sin(y)
    return y
'''


def test_loop_carried_value_keeps_one_name(tmp_path):
    f = _load(tmp_path, SRC, "carried")
    primal = emit_module([api.DerivativeFunction(f, backend="python").primal_ir])
    body = _body(primal, "carried")
    assert "s = s + np.sin(x * i)" in body
    assert not any(re.match(r"s_\d+ = s\b", ln) for ln in body), primal


def test_interfering_values_get_their_own_names(tmp_path):
    f = _load(tmp_path, SRC, "overlapping")
    d = api.DerivativeFunction(f, backend="python")
    body = _body(d.source, "overlapping_vjp")
    # the adjoint of b = a * a reads a's first value after a's second one is assigned: the
    # two interfere and keep two names, which are not copied into each other
    assert body[:4] == ["a = x * 2.0", "b = a * a", "a_1 = b + 1.0", "c = a_1 * b"], d.source
    assert any(re.search(r"\bb_\w+ = .*\ba\b", ln) for ln in body[4:]), d.source
    assert_close(d(0.7), fd_grad(f, (0.7,), 0), "overlapping")


def test_dead_versions_share_the_variable(tmp_path):
    f = _load(tmp_path, SRC, "reassigned")
    primal = emit_module([api.DerivativeFunction(f, backend="python").primal_ir])
    assert _body(primal, "reassigned")[:3] == ["y = x * 1.5", "y = y * y", "y = np.sin(y)"]


@pytest.mark.parametrize("make, name", [(scalar_source, "long_scalar"),
                                        (array_source, "long_array")])
def test_long_generated_function_gradient(tmp_path, make, name):
    source = make(160, seed=3, name=name)
    f = _load(tmp_path, source, name)
    d = ad.grad(f, backend="python")
    x, out = np.array([0.3, -0.5, 0.7, 0.2]), np.zeros(8)
    assert_close(d(x, out), fd_grad(f, (x, np.zeros(8)), 0), name)
    again = ad.grad(_load(tmp_path, source, name), backend="python")
    assert again.source.split("\n", 5)[5] == d.source.split("\n", 5)[5]   # header aside

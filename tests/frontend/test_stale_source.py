"""A function whose source file was edited after its module was imported is refused (it runs
the old code; differentiating the file would give the derivative of another function), on
both backends; after importlib.reload the new code is differentiated."""

import importlib
import itertools
import os
import sys
import time

import pytest

import ad_compiler as ad

_counter = itertools.count()


def _write(path, text):
    before = os.stat(path).st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if os.stat(path).st_mtime_ns == before:     # same timestamp: make the change visible
        os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.fixture
def module(tmp_path, monkeypatch):
    name = f"stale_mod_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    _write(path, "def f(x):\n    return x * x\n\n\ndef g(x):\n    return 3.0 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module(name)
    yield mod, path
    sys.modules.pop(name, None)


BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.numba)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_edited_function_is_refused_until_reload(module, backend):
    mod, path = module
    time.sleep(0.01)
    _write(path, "def f(x):\n    return x * x * x\n\n\ndef g(x):\n    return 3.0 * x\n")
    assert mod.f(1.5) == pytest.approx(2.25)          # still the old code
    with pytest.raises(ad.DifferentiationError, match="changed since .* Reload the module"):
        ad.grad(mod.f, backend=backend)
    importlib.reload(mod)
    assert ad.grad(mod.f, backend=backend)(1.5) == pytest.approx(3 * 1.5 ** 2)


def test_function_moved_in_its_file_is_refused(module):
    mod, path = module
    _write(path, "# a new first line\n" + path.read_text())
    with pytest.raises(ad.DifferentiationError, match="changed since"):
        ad.grad(mod.g, backend="python")


def test_edit_elsewhere_in_the_file_keeps_a_function_usable(module):
    mod, path = module
    _write(path, path.read_text().replace("3.0 * x", "4.0 * x"))
    assert ad.grad(mod.f, backend="python")(1.5) == pytest.approx(3.0)
    with pytest.raises(ad.DifferentiationError, match="changed since"):
        ad.grad(mod.g, backend="python")

"""Threads building one derivative at once; a damaged or foreign cache never crashes or runs."""

import os
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import ad_compiler as ad
import _pipeline_funcs as F
from ad_compiler.backends import cache

X = np.array([0.3, -0.7, 1.1])
HERE = Path(__file__).parent


def _expected():
    return np.sin(X) * 0.8 + X * np.cos(X) * 0.8


@pytest.mark.parametrize("backend", ["python", pytest.param("numba", marks=pytest.mark.numba)])
def test_many_threads_build_and_call_one_derivative(backend, tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    g = ad.grad(F.poly, backend=backend)
    results, errors = [], []
    start = threading.Barrier(12)

    def work():
        try:
            start.wait()
            results.append(g(X, 0.8))
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(results) == 12
    for r in results:
        np.testing.assert_allclose(r, _expected(), rtol=1e-13)


_CHILD = textwrap.dedent("""
    import sys, warnings, numpy as np
    sys.path.insert(0, {here!r})
    import ad_compiler as ad, _pipeline_funcs as F
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        g = ad.grad(F.poly, backend={backend!r})(np.array([0.3, -0.7, 1.1]), 0.8)
    print(repr(g.tolist()), len([x for x in w if "ad_compiler" in str(x.message)]))
""")


def _run_child(cache_dir, backend):
    env = dict(os.environ, **{cache.ENV_VAR: str(cache_dir)})
    out = subprocess.run([sys.executable, "-c", _CHILD.format(here=str(HERE),
                                                              backend=backend)],
                         env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    values, warned = out.stdout.strip().rsplit(" ", 1)
    np.testing.assert_allclose(eval(values), _expected(), rtol=1e-13)
    return int(warned)


def _damage(path, how):
    if how == "truncate":
        path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])
    elif how == "garbage":
        path.write_bytes(os.urandom(200))
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()


@pytest.mark.numba
def test_damaged_cache_files_are_recompiled(tmp_path):
    assert _run_child(tmp_path, "numba") == 0            # cold: compile and seal
    for how in ("truncate", "garbage", "empty", "delete"):
        files = sorted(tmp_path.glob("adc_poly_vjp_*.py")) + \
            sorted((tmp_path / "__pycache__").glob("adc_poly_vjp_*.nb*"))
        assert any(p.suffix == ".nbi" for p in files), how
        assert any(p.suffix == ".nbc" for p in files), how
        for p in files:
            _damage(p, how)
        assert _run_child(tmp_path, "numba") <= 2, how   # one warning per kind of file
    assert _run_child(tmp_path, "numba") == 0            # repaired


def test_planted_module_is_never_imported(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)                              # like /tmp: anyone may write
    monkeypatch.setenv(cache.ENV_VAR, str(shared))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = ad.grad(F.cubic, backend="python")(X)
    np.testing.assert_allclose(got, 3 * X * X, rtol=1e-13)
    assert not list(shared.iterdir())                    # nothing written or read there
    assert any("not private" in str(x.message) for x in w)


def test_unusable_cache_locations_fall_back(tmp_path, monkeypatch):
    afile = tmp_path / "a_file"
    afile.write_text("x")
    monkeypatch.setenv(cache.ENV_VAR, str(afile / "cache"))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        np.testing.assert_allclose(ad.grad(F.poly, backend="python")(X, 0.8), _expected(),
                                   rtol=1e-13)
    path = cache.cache_dir()
    assert path != afile / "cache" and oct(path.stat().st_mode & 0o777) == "0o700"

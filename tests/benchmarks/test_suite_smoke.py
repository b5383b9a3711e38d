"""The benchmark suite in --smoke mode (tiny sizes, python backend, no warm-start processes):
every problem runs and every available tool's gradient agrees with ours, so the benchmark code
cannot rot. The numba backend variant is marked slow-ish but still runs here."""

import json
import os

import pytest

from benchmarks.suite import TOL, main


def _run(tmp_path, backend, tools):
    out = tmp_path / backend
    rc = main(["--smoke", "--backend", backend, "--tools", tools, "--out", str(out)])
    rows = json.loads((out / "results.json").read_text())["rows"]
    return rc, rows


def _check(rows):
    problems = {r["problem"] for r in rows}
    assert len(problems) >= 5
    for p in problems:
        ours = [r for r in rows if r["problem"] == p and r["tool"] == "ours"
                and r["style"] == "loop"]
        assert ours and ours[0]["grad_ms"] is not None, f"{p}: ours failed: {ours}"
    for r in rows:
        if r["tool"] == "hand adjoint":
            assert r["err"] < TOL, r
            assert "FAILED" not in r["note"], r
        if r["err"] is not None and not r["note"].startswith("unsupported"):
            assert r["err"] < TOL or r["tool"] in ("jax", "torch", "autograd", "tangent") \
                and "MISMATCH" in r["note"], r
        assert "MISMATCH" not in r["note"], r


def test_smoke_python_backend(tmp_path):
    rc, rows = _run(tmp_path, "python", "ours,hand,jax,torch,autograd,tangent")
    _check(rows)
    assert rc == 0


@pytest.mark.skipif(os.environ.get("AD_BENCH_SKIP_NUMBA") == "1", reason="numba tier off")
def test_smoke_numba_backend_ours_and_hand(tmp_path):
    rc, rows = _run(tmp_path, "numba", "ours,hand")
    _check(rows)
    assert rc == 0

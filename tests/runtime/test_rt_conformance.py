"""The runtime against PyTorch: every conformance snippet (tests/runtime/conformance) run
here and compared with PyTorch's recorded results (``expected.json``; rerecord with
``python -m tests.runtime.conformance.record`` where torch is installed)."""

import json
import pathlib
import warnings

import pytest

import ad_compiler as ad
from tests.runtime.conformance.compare import mismatch, plain
from tests.runtime.conformance.snippets import SNIPPETS

RECORDED = json.loads(pathlib.Path(__file__).with_name("conformance").joinpath(
    "expected.json").read_text())["results"]

# snippets where the runtime still differs from PyTorch, with the reason (strict: a fix
# that makes one pass must remove it from here)
KNOWN_DIFFERENCES: dict = {}


def run_snippet(key):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return plain(SNIPPETS[key](ad))
        except Exception as e:                        # noqa: BLE001  (reported as a mismatch)
            return {"snippet_error": f"{type(e).__name__}: {e}"}


def conformance_report():
    """``{snippet: None or the first difference}`` over every recorded snippet."""
    return {key: mismatch(RECORDED[key], run_snippet(key)) for key in SNIPPETS}


@pytest.mark.parametrize("key", sorted(SNIPPETS))
def test_conformance(key):
    if key in KNOWN_DIFFERENCES:
        pytest.xfail(KNOWN_DIFFERENCES[key])
    assert key in RECORDED, f"snippet {key} has no PyTorch recording: rerun record.py"
    diff = mismatch(RECORDED[key], run_snippet(key))
    assert diff is None, diff


if __name__ == "__main__":
    report = conformance_report()
    bad = {k: v for k, v in report.items() if v}
    print(f"{len(report) - len(bad)} / {len(report)} snippets match PyTorch")
    for k, v in sorted(bad.items()):
        print(f"  {k}: {v}")

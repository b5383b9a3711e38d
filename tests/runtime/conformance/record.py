"""Record PyTorch's results of every conformance snippet into ``expected.json``.

Run with PyTorch installed (the ``bench`` extra)::

    python -m tests.runtime.conformance.record

CI never imports torch: it compares against the recording.
"""

from __future__ import annotations

import json
import pathlib

import torch

from .compare import plain
from .snippets import SNIPPETS

OUT = pathlib.Path(__file__).with_name("expected.json")


def main():
    torch.manual_seed(0)
    results = {}
    for key, fn in SNIPPETS.items():
        try:
            results[key] = plain(fn(torch))
        except Exception as e:                     # noqa: BLE001  (a snippet torch refuses)
            results[key] = {"snippet_error": f"{type(e).__name__}: {e}"}
    OUT.write_text(json.dumps({"torch": torch.__version__, "results": results}, indent=0,
                              sort_keys=True) + "\n")
    bad = [k for k, v in results.items() if isinstance(v, dict) and "snippet_error" in v]
    print(f"recorded {len(results)} snippets with torch {torch.__version__} into {OUT}")
    for k in bad:
        print("  snippet fails on torch:", k, results[k]["snippet_error"][:200])


if __name__ == "__main__":
    main()

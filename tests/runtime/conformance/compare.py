"""Turning snippet results into plain data, and comparing ours with PyTorch's recording."""

from __future__ import annotations

import math
import numbers

import numpy as np

RTOL, ATOL = 2e-5, 1e-6
_MESSAGE_PREFIX = 48          # characters of an error message that must agree


def _norm_text(s):
    return s.replace("torch::", "ad_compiler::").replace("torch.", "ad_compiler.").replace(
        "torch ", "ad_compiler ")


def plain(x):
    """JSON-able form of a snippet's result (Tensors become dicts with values and dtype)."""
    if hasattr(x, "detach") and hasattr(x, "dtype") and hasattr(x, "shape"):
        arr = np.asarray(x.detach().numpy(force=True))
        return {"tensor": arr.tolist(), "dtype": str(x.dtype).split(".")[-1],
                "shape": list(arr.shape)}
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    if x is None or isinstance(x, str):
        return x
    return repr(type(x).__name__)


def mismatch(expected, got, path="result"):
    """None when ``got`` matches ``expected``, else a sentence saying where they differ."""
    if isinstance(expected, dict) and "tensor" in expected:
        if not (isinstance(got, dict) and "tensor" in got):
            return f"{path}: expected a tensor, got {got!r:.80}"
        if expected["shape"] != got["shape"]:
            return f"{path}: shape {got['shape']} != {expected['shape']}"
        if expected["dtype"] != got["dtype"]:
            return f"{path}: dtype {got['dtype']} != {expected['dtype']}"
        e = np.asarray(expected["tensor"], dtype=float)
        g = np.asarray(got["tensor"], dtype=float)
        if not np.allclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True):
            return f"{path}: values {g.tolist()!r:.200} != {e.tolist()!r:.200}"
        return None
    if isinstance(expected, dict) and "error" in expected:
        if not (isinstance(got, dict) and "error" in got):
            return f"{path}: expected {expected['error']}: {expected['message']:.100}, got " \
                   f"{got!r:.100}"
        if got["error"] != expected["error"]:
            return f"{path}: raised {got['error']} instead of {expected['error']}"
        e, g = _norm_text(expected["message"]), _norm_text(got["message"])
        if g[:_MESSAGE_PREFIX] != e[:_MESSAGE_PREFIX]:
            return f"{path}: message {g[:120]!r} != {e[:120]!r}"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"{path}: keys {sorted(got) if isinstance(got, dict) else got!r:.100} != " \
                   f"{sorted(expected)}"
        for k in expected:
            m = mismatch(expected[k], got[k], f"{path}[{k!r}]")
            if m:
                return m
        return None
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"{path}: {got!r:.100} != {expected!r:.100}"
        for i, (e, g) in enumerate(zip(expected, got)):
            m = mismatch(e, g, f"{path}[{i}]")
            if m:
                return m
        return None
    if isinstance(expected, float) and isinstance(got, (int, float)) and \
            not isinstance(got, bool):
        if math.isnan(expected) and math.isnan(got):
            return None
        if math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL):
            return None
        return f"{path}: {got!r} != {expected!r}"
    if isinstance(expected, str) and isinstance(got, str):
        return None if _norm_text(got) == _norm_text(expected) else \
            f"{path}: {got!r:.100} != {expected!r:.100}"
    if type(got) is not type(expected) or got != expected:
        return f"{path}: {got!r:.100} != {expected!r:.100}"
    return None

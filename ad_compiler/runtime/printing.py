"""``repr`` of Tensors, digit for digit as PyTorch prints them (``torch/_tensor_str.py``):
precision 4, fixed or scientific notation chosen from the range of the values, integer-valued
floats printed as ``1.``, lines of at most 80 characters, more than 1000 elements summarised.
"""

from __future__ import annotations

import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
MODULE = "ad_compiler"


class _Formatter:
    def __init__(self, arr):
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return
        absv = np.abs(vals)
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        values = vals.tolist()
        if self.int_mode:
            if vmax / vmin > 1000.0 or vmax > 1.0e8:
                self.sci_mode = True
                self.max_width = max(len(f"{v:.{PRECISION}e}") for v in values)
            else:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in values)
        elif vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4:
            self.sci_mode = True
            self.max_width = max(len(f"{v:.{PRECISION}e}") for v in values)
        else:
            self.max_width = max(len(f"{v:.{PRECISION}f}") for v in values)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRECISION}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(arr):
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * EDGEITEMS:
            return np.concatenate([arr[:EDGEITEMS], arr[-EDGEITEMS:]])
        return arr
    if arr.shape[0] > 2 * EDGEITEMS:
        parts = [_summarized(arr[i]) for i in range(EDGEITEMS)] + \
                [_summarized(arr[i]) for i in range(arr.shape[0] - EDGEITEMS, arr.shape[0])]
    else:
        parts = [_summarized(a) for a in arr]
    return np.stack(parts)


def _vector_str(arr, indent, summarize, fmt):
    element_length = fmt.width() + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / element_length)))
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        data = ([fmt.format(v) for v in arr[:EDGEITEMS].tolist()] + [" ..."]
                + [fmt.format(v) for v in arr[-EDGEITEMS:].tolist()])
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        slices = ([_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)]
                  + ["..."]
                  + [_tensor_str(arr[i], indent + 1, summarize, fmt)
                     for i in range(n - EDGEITEMS, n)])
    else:
        slices = [_tensor_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


_DEFAULT_DTYPES = ("float32", "int64", "bool")


def array_str(arr, indent):
    """The bracketed values of ``arr`` as PyTorch prints them."""
    if arr.size == 0:
        return "[]"
    summarize = arr.size > THRESHOLD
    fmt = _Formatter(_summarized(arr) if summarize else arr)
    return _tensor_str(arr, indent, summarize, fmt)


def tensor_repr(arr, grad_fn_name=None, requires_grad=False, prefix="tensor("):
    indent = len(prefix)
    suffixes = []
    body = array_str(arr, indent)
    if arr.size == 0 and arr.shape != (0,):
        suffixes.append(f"size={tuple(arr.shape)}")
    if arr.dtype.name not in _DEFAULT_DTYPES:
        suffixes.append(f"dtype={MODULE}.{arr.dtype.name}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)

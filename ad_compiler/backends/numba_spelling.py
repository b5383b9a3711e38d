"""Spellings of generated source that Numba compiles much faster, with the same meaning.

The numba backend applies :func:`cheap_spellings` to the source it compiles (``.source``
and the python backend keep the emitter's text). Each rewrite is line for line, so the
``# line N:`` comments and the line numbers that compile errors and failed index checks
report stay right.

* ``x[:] += y`` (any of ``+ - * /``) becomes ``x += y``. Numba lowers the first as a view,
  the in-place ufunc on it and then a slice assignment of the view onto itself, and a slice
  assignment from an array compiles Numba's shape-mismatch message (its string formatting):
  2.9 s against 0.09 s for ``x += y`` in a fresh process. The in-place ufunc is the same
  in both; only the self-copy goes.
"""

import re

__all__ = ["cheap_spellings"]

_SLICE_AUGASSIGN = re.compile(r"^([ \t]*)([A-Za-z_]\w*)\[:\] ([-+*/])= (?=[^\n#]*$)", re.M)


def cheap_spellings(source: str) -> str:
    """``source`` with the rewrite above."""
    return _SLICE_AUGASSIGN.sub(r"\1\2 \3= ", source)

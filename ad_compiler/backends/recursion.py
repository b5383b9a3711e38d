"""A recursion limit deep enough for Numba's compile of a long generated function.

Numba's SSA reconstruction looks a variable's definition up recursively, one call per block
on the path back to it, so the gradient of a long array function (hundreds of blocks: its
branches, loops and index checks) overflowed Python's default limit of 1,000 frames inside
Numba: a ``RecursionError`` from the first call (the 200-line array benchmark). Compiles run
with the limit raised to ``COMPILE_LIMIT`` and get the caller's limit back when the last
concurrent compile ends (the limit is the interpreter's, shared by every thread).
"""

from __future__ import annotations

import contextlib
import sys
import threading

COMPILE_LIMIT = 20_000

_STATE = {"compiles": 0, "limit": None}
_LOCK = threading.Lock()


@contextlib.contextmanager
def deep_recursion():
    with _LOCK:
        if _STATE["compiles"] == 0:
            _STATE["limit"] = sys.getrecursionlimit()
            sys.setrecursionlimit(max(COMPILE_LIMIT, _STATE["limit"]))
        _STATE["compiles"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["compiles"] -= 1
            if _STATE["compiles"] == 0:
                sys.setrecursionlimit(_STATE["limit"])

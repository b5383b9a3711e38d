"""A recursion limit deep enough for Numba's compile of a long generated function.

Numba's SSA reconstruction looks a variable's definition up recursively, one call per block
on the path back to it, so the gradient of a long array function (hundreds of blocks: its
branches, loops and index checks) overflowed Python's default limit of 1,000 frames inside
Numba: a ``RecursionError`` from the first call (the 200-line array benchmark). Compiles run
with the limit raised to ``COMPILE_LIMIT`` and get the caller's limit back when the last
concurrent compile ends (the limit is the interpreter's, shared by every thread).
"""

from __future__ import annotations

import sys

from ..process_settings import SharedSetting

COMPILE_LIMIT = 20_000

_LIMIT = SharedSetting(sys.getrecursionlimit, sys.setrecursionlimit,
                       lambda limit: max(COMPILE_LIMIT, limit))


def deep_recursion():
    """A context in which the recursion limit is at least ``COMPILE_LIMIT``."""
    return _LIMIT.held()

"""Bounds checking of generated code: the policy, and an ``IndexError`` naming the user's line.

Policy (NumPy's semantics, what a user of Numba or JAX expects from a checked build): every
element read and write of generated code, primal sweep and adjoint alike, is checked, so an
index out of range raises ``IndexError`` before anything is read or written past the end of
an array; negative indices count from the end as in NumPy. The adjoint writes ``b_x[i]``
only at indices where the primal sweep, which runs first, read or wrote ``x[i]`` (and ``b_x``
has ``x``'s shape), so a bad index always fails in the primal sweep, before any adjoint
write.

* The python backend gets this from Python itself.
* The numba backend compiles with Numba's ``boundscheck=True`` by default. ``boundscheck=
  False`` on a transform opts out (Numba's own default: no checks, fastest, and an index out
  of range reads or writes arbitrary memory); with ``boundscheck=None`` (the default) Numba's
  ``NUMBA_BOUNDSCHECK`` environment variable decides when it is set.

A failing check raises ``IndexError`` naming the line of the user's function whose access
failed: read from the generated file's ``# line N: ...`` comments, through the traceback on
the python backend; on the numba backend (whose error carries no location) by running the
same generated source once with the python backend on copies of the arguments.
"""

from __future__ import annotations

import functools
import linecache
import os
import re

import numpy as np

__all__ = ["resolve", "locating_index_errors"]


def resolve(boundscheck) -> bool:
    """Whether Numba checks bounds: ``boundscheck`` if given, else ``NUMBA_BOUNDSCHECK``
    when set, else True (checked)."""
    if boundscheck is not None:
        return bool(boundscheck)
    from numba.core import config

    env = getattr(config, "BOUNDSCHECK", None)
    return True if env is None else bool(env)


_USER_FILE = re.compile(r"(?:from |\()(\S+?\.py):\d+")


def _located(exc) -> str | None:
    """``line N of FILE (`text`)`` for the innermost frame of ``exc``'s traceback in a
    generated file (one in the cache directory), read from its ``# line N:`` comments."""
    from .cache import cache_dir
    from .numba_cpu import _user_line

    root = os.path.realpath(cache_dir())
    tb, found = exc.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if os.path.realpath(filename).startswith(root + os.sep):
            found = filename, tb.tb_lineno
        tb = tb.tb_next
    if found is None:
        return None
    filename, gen_line = found
    lines = [ln.rstrip("\n") for ln in linecache.getlines(filename)]
    user_file = next((m.group(1) for m in map(_USER_FILE.search, lines[:6]) if m), None)
    user = _user_line(lines, gen_line)
    if user is None or user_file is None:
        return f"generated line {gen_line} of {filename}"
    return f"line {user[0]} of {user_file} (`{user[1]}`)"


def _python_twin(source, module_name, entry):
    from .python import load_module

    return getattr(load_module(source, f"{module_name}_located"), entry)


def locating_index_errors(fn, source, module_name, entry):
    """``fn`` (compiled from ``source``) whose ``IndexError`` names the user's line."""

    @functools.wraps(fn)
    def call(*args):
        try:
            return fn(*args)
        except IndexError as exc:
            where = _located(exc)
            if where is None:
                where = _locate_by_python(source, module_name, entry, args)
            if where is None:
                raise
            raise IndexError(f"{exc} at {where}") from None

    return call


def _locate_by_python(source, module_name, entry, args):
    copies = [np.array(a) if isinstance(a, np.ndarray) else a for a in args]
    try:
        _python_twin(source, module_name, entry)(*copies)
    except IndexError as exc:
        return _located(exc)
    except Exception:  # noqa: BLE001  (only a location is wanted from this run)
        return None
    return None

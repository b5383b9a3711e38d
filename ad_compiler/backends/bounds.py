"""Bounds checking of generated code: the policy, and an ``IndexError`` naming the user's line.

Policy (NumPy's semantics, what a user of Numba or JAX expects from a checked build): no
element read or write of generated code, primal sweep and adjoint alike, goes outside an
array; an index out of range raises ``IndexError`` before anything is read or written past
the end; negative indices count from the end as in NumPy. The adjoint writes ``b_x[i]``
only at indices where the primal sweep, which runs first, read or wrote ``x[i]`` (and
``b_x`` has ``x``'s shape), so a bad index fails in the primal sweep, before any adjoint
write.

* The python backend gets this from Python itself.
* The numba backend, by default (``boundscheck=None`` or ``True``), compiles the generated
  source with the checks of :mod:`.index_checks` written into it (one check per array
  axis and loop nest before the loop where the indices are affine in the loop indices,
  a check per access elsewhere) and Numba's own checks off: safe at about the unchecked
  speed.
* ``boundscheck="numba"`` compiles with Numba's ``boundscheck=True`` instead (a check on
  every access, slower); ``boundscheck=False`` opts out of every check (Numba's own default:
  fastest, and an index out of range reads or writes arbitrary memory). With
  ``boundscheck=None``, Numba's ``NUMBA_BOUNDSCHECK`` environment variable decides when it
  is set: ``1`` gives Numba's checks, ``0`` none.

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

from .index_checks import OUT_OF_BOUNDS

# the statements of the checks .index_checks writes into the source: the raise after a
# prange loop whose flagged check failed, and the entry and per-statement checks
CHECK_STATEMENTS = (f"raise IndexError({OUT_OF_BOUNDS!r})", "_rt.require_indices(")

__all__ = ["resolve", "locating_index_errors"]


def resolve(boundscheck):
    """How the numba backend checks bounds: ``"entry"`` (checks written into the source by
    :mod:`.index_checks`), ``"numba"`` (Numba's ``boundscheck=True``) or ``False`` (none),
    from ``boundscheck`` (None, True, False or "numba"), else ``NUMBA_BOUNDSCHECK`` when set."""
    if boundscheck == "numba":
        return "numba"
    if boundscheck is not None:
        if not isinstance(boundscheck, (bool, int)):
            raise ValueError(f'boundscheck must be None, True, False or "numba", '
                             f"got {boundscheck!r}")
        return "entry" if boundscheck else False
    from numba.core import config

    env = getattr(config, "BOUNDSCHECK", None)
    return "entry" if env is None else "numba" if env else False


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
    if 0 < gen_line <= len(lines) and lines[gen_line - 1].strip().startswith(CHECK_STATEMENTS):
        return None     # a check before a loop or statement: the python run finds the access
    header = lines[:next((k for k, ln in enumerate(lines) if ln.startswith("def ")), 0)]
    user_file = next((m.group(1) for m in map(_USER_FILE.search, header) if m), None)
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

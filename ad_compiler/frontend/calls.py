"""The frontend's call tables, built from the rule table's records.

Each primitive lists the dotted names a user calls it by (``numpy.sin``, ``math.sin``,
``numpy.linalg.inv``; ``.var`` for a method); here they are resolved to the objects, so that
a call is recognised by object identity (``from math import sin`` and ``import numpy as
onp`` work). SciPy's names are resolved on first need: importing ``scipy.special`` costs
0.3 s, and only code whose module imported it can call it.
"""

from __future__ import annotations

import importlib
import sys
import types


from ..rules import PRIMITIVES

# frontend constructs that are not primitives: np.array/np.asarray of a literal or a value
_CONSTRUCTS = {"numpy.array": "array", "numpy.asarray": "asarray",
               "numpy.asanyarray": "asarray", "numpy.split": "split",
               "numpy.array_split": "array_split", "numpy.vsplit": "vsplit",
               "numpy.hsplit": "hsplit", "numpy.dsplit": "dsplit", "numpy.select": "select",
               "numpy.linalg.eigh": "eigh", "numpy.linalg.qr": "qr",
               "numpy.linalg.slogdet": "slogdet", "numpy.linalg.svd": "svd"}

_FUNCTIONS: dict[int, tuple[object, str]] = {}
# methods of objects (a ufunc's ``np.add.outer``: a new bound method at every access, so
# matched by its object and name): (id(object), method name) -> (object, primitive name)
_BOUND: dict[tuple[int, str], tuple[object, str]] = {}
_METHODS: dict[str, str] = {}
_DEFERRED: dict[str, list[tuple[str, str]]] = {}   # module -> [(attribute path, name)]


def _resolve(module, path):
    obj = module
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _add(dotted, name):
    if dotted.startswith("."):
        _METHODS[dotted[1:]] = name
        return
    top, _, path = dotted.partition(".")
    if top == "scipy":
        module_name, _, attr = dotted.rpartition(".")
        _DEFERRED.setdefault(module_name, []).append((attr, name))
        return
    obj = _resolve(importlib.import_module(top), path)
    if isinstance(obj, types.BuiltinMethodType) and not isinstance(obj.__self__,
                                                                   types.ModuleType):
        _BOUND.setdefault((id(obj.__self__), obj.__name__), (obj.__self__, name))
    elif obj is not None:
        _FUNCTIONS.setdefault(id(obj), (obj, name))


def _build():
    for prim in PRIMITIVES.values():
        for dotted in prim.numpy:
            _add(dotted, prim.name)
    for dotted, name in _CONSTRUCTS.items():
        _add(dotted, name)


def lookup(obj) -> str | None:
    """The primitive (or frontend construct) name a callable stands for, or None."""
    for module_name in [m for m in _DEFERRED if m in sys.modules]:
        for attr, name in _DEFERRED.pop(module_name):
            fn = getattr(sys.modules[module_name], attr, None)
            if fn is not None:
                _FUNCTIONS.setdefault(id(fn), (fn, name))
    hit = _FUNCTIONS.get(id(obj))
    if hit is None and isinstance(obj, types.BuiltinMethodType):
        owner = obj.__self__
        hit = _BOUND.get((id(owner), obj.__name__))
        return hit[1] if hit is not None and hit[0] is owner else None
    return hit[1] if hit is not None and hit[0] is obj else None


def method(attr) -> str | None:
    """The primitive that ``x.attr(...)`` calls, or None."""
    return _METHODS.get(attr)


_build()

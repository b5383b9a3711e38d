"""Shared pieces of the Numba overloads: Numba type tests, static attributes, generated bodies.

Overloads specialise on constant attributes (``axis``, ``keepdims``...) at typing time; some
generate their body as source text with the attribute values and the array rank inlined,
compiled once per key by :func:`compile_src`.
"""

import builtins as _builtins

import numpy as np
from numba import types
from numba.core.errors import TypingError

scalar_types = (types.Number, types.Boolean)


def is_scalar(t):
    return isinstance(t, scalar_types)

def is_array(t):
    return isinstance(t, types.Array)

def ndim(t):
    return t.ndim if is_array(t) else 0

def tape_dtype(t):
    dt = t.dtype if is_array(t) else t
    if isinstance(dt, types.Boolean):
        return np.bool_
    if isinstance(dt, types.Integer):
        return np.int64
    if isinstance(dt, types.Complex):
        return np.complex128
    if isinstance(dt, types.Float):
        return np.float64
    raise TypingError(f"_rt.tape: cannot tape values of type {t}")

def static(t, what, helper):
    """The constant value of a static attribute's Numba type."""
    if not isinstance(t, types.Type):          # the default value itself (omitted)
        return t
    if isinstance(t, types.NoneType):
        return None
    if isinstance(t, types.Omitted):
        return t.value
    if isinstance(t, types.Literal):
        return t.literal_value
    if isinstance(t, types.BaseTuple):
        return tuple(static(e, what, helper) for e in t.types)
    raise TypingError(f"_rt.{helper}: {what} must be a constant, got {t}")

def norm_axes(axis, nd, helper):
    if axis is None:
        return tuple(range(nd))
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypingError(f"_rt.{helper}: axis must be an int or a tuple of ints")
        if not -nd <= a < _builtins.max(nd, 1):
            raise TypingError(f"_rt.{helper}: axis {a} is out of bounds for an array "
                              f"of dimension {nd}")
        out.append(a % nd if nd else 0)
    if len(set(out)) != len(out):
        raise TypingError(f"_rt.{helper}: repeated axis in {axis}")
    return tuple(sorted(out))

_cache = {}

def compile_src(key, src, glbs):
    """``impl`` defined by ``src`` (generated once per ``key``)."""
    fn = _cache.get(key)
    if fn is None:
        ns = {"np": np}
        ns.update(glbs)
        exec(compile(src, f"<ad_compiler helpers {key[0]}>", "exec"), ns)
        fn = _cache[key] = ns["impl"]
    return fn

def prod_expr(items):
    return " * ".join(items) if items else "1"

def tuple_expr(items):
    if not items:
        return "()"
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"



def register_template(func, generic, prefer_literal=False):
    """Type calls of the plain Python function ``func`` with ``generic(*arg types)`` (a
    signature, or None: not these types), as Numba types its builtins: no function is
    compiled for the call, its lowering (``lower_builtin``) emits the code in place."""
    from numba.core.typing.templates import AbstractTemplate, infer, infer_global

    template = type(f"_{func.__name__}_template", (AbstractTemplate,),
                    {"key": func, "prefer_literal": prefer_literal,
                     "generic": lambda self, args, kws: None if kws else generic(*args)})
    infer(template)
    infer_global(func, types.Function(template))

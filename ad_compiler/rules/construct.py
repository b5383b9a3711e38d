"""Array construction and shape primitives (``np.zeros``, ``x.shape``, slices...).

None of them carries a gradient except ``copy`` (identity) and ``full`` (its fill value).
The frontend builds them; the emitter prints them per their :class:`Syntax`. Two forms are
special to the emitter: ``tuple`` prints ``(a, b)`` and ``slice`` prints ``a:b:c`` when it
is an index (``slice(a, b, c)`` elsewhere).
"""

import numpy as np

from .table import PRIMITIVES, Syntax, defjvp, deflinear, defnames, defprim, defvjp

for _name in ("zeros", "ones", "empty"):
    # operand: the shape (an int, or a "shape"-kind value such as x.shape or tuple(n, m))
    defprim(_name, 1, getattr(np, _name), Syntax("call", f"np.{_name}"), differentiable=False,
            result_kind="array")
for _name in ("zeros_like", "ones_like", "empty_like"):
    defprim(_name, 1, getattr(np, _name), Syntax("call", f"np.{_name}"),
            differentiable=False, result_kind="array")

# grids: constants (np.arange(n), np.arange(a, b, step), np.linspace(a, b, num))
defprim("arange", None, np.arange, Syntax("call", "np.arange"), differentiable=False,
        result_kind="array")
defprim("linspace", 3, np.linspace, Syntax("call", "np.linspace"), differentiable=False,
        result_kind="array")

# full(shape, value): d/dvalue = the cotangent summed to value's shape
defprim("full", 2, np.full, Syntax("call", "np.full"), result_kind="array")
defvjp("full", None, lambda o, g, ans, shape, v, dtype=None: o.unbroadcast(g, v))

# full_like(x, v): x's shape and element type (an int x truncates the fill), v's value:
# d/dv = the cotangent summed to v's shape (a scalar, or an array the fill broadcasts)
defprim("full_like", 2, np.full_like, Syntax("call", "np.full_like"), result_kind="array")
defvjp("full_like", None, lambda o, g, ans, x, v, dtype=None: o.unbroadcast(g, v))

# copy(x) prints x.copy(); the identity for derivatives
defprim("copy", 1, np.copy, Syntax("method", "copy"), result_kind="array")
defvjp("copy", lambda o, g, ans, x: g)

# shapes and sizes: never differentiated
defprim("shape", 1, np.shape, Syntax("attr", "shape"), differentiable=False,
        result_kind="shape")
defprim("size", 1, np.size, Syntax("attr", "size"), differentiable=False, result_kind="int")
defprim("ndim", 1, np.ndim, Syntax("attr", "ndim"), differentiable=False, result_kind="int")
defprim("len", 1, len, Syntax("call", "len"), differentiable=False, result_kind="int")


def _tuple(*items):
    return tuple(items)


# tuple(a, b, ...) prints "(a, b, ...)": a shape built from ints
defprim("tuple", None, _tuple, Syntax("tuple", ""), differentiable=False, result_kind="shape")
# slice(start, stop, step): operands may be Const(None); printed "start:stop:step" as an index
defprim("slice", 3, slice, Syntax("call", "slice"), differentiable=False, result_kind="slice")


# forward mode: a constant array's tangent is the tangent of its fill value; a copy's tangent
# is a fresh copy of the tangent (the copy may be written into)
defjvp("full", lambda o, tangents, ans, shape, value, dtype=None:
       o.full(shape, tangents[1]) if tangents[1] is not None else None)
defjvp("full_like", lambda o, tangents, ans, x, value, dtype=None:
       o.full_like(x, tangents[1], dtype="float64") if tangents[1] is not None else None)
deflinear("copy")

for _name in ("zeros ones empty full full_like zeros_like ones_like empty_like copy shape "
              "size ndim arange linspace").split():
    defnames(_name, f"numpy.{_name}")
defnames("copy", ".copy")
# np.eye(n): a constant identity
defprim("eye", 1, np.eye, Syntax("call", "np.eye"), differentiable=False, result_kind="array",
        effect="alloc", numpy="numpy.eye", ndim=lambda ndims, operands, **a: 2)

for _name in ("empty", "empty_like", "zeros", "ones", "full", "full_like", "zeros_like",
              "ones_like", "copy"):
    PRIMITIVES[_name].effect = "alloc"      # fresh memory: never merged by CSE

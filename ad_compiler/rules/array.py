"""Array primitives: broadcasting helpers, reductions, shape manipulation, linear algebra.

``unbroadcast`` is the one helper that reduces a broadcast cotangent back to an operand's
shape; every elementwise vjp result goes through it (see :mod:`.table`).
"""

import numpy as np

from .table import Syntax, defprim, defvjp, deflinear


def unbroadcast(g, like):
    """Sum ``g`` over the axes along which ``like`` was broadcast, giving ``like``'s shape.

    ``like`` may be a scalar (then everything is summed to a scalar)."""
    shape = np.shape(like)
    if np.shape(g) == shape:
        return g
    g = np.asarray(g)
    if len(shape) == 0:
        return g.sum()
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def broadcast_like(x, like):
    """``x`` stretched to ``like``'s shape: the transpose of :func:`unbroadcast`."""
    shape = np.shape(like)
    if np.shape(x) == shape:
        return x
    return np.broadcast_to(x, shape).copy()


defprim("unbroadcast", 2, unbroadcast, Syntax("helper", "unbroadcast"))
defprim("broadcast_like", 2, broadcast_like, Syntax("helper", "broadcast_like"))
defvjp("unbroadcast", lambda o, g, ans, x, like: o.broadcast_like(g, x), None)
defvjp("broadcast_like", lambda o, g, ans, x, like: o.unbroadcast(g, x), None)
deflinear("unbroadcast")
deflinear("broadcast_like")

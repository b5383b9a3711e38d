"""The derivative rules of every primitive, in one table (:data:`PRIMITIVES`).

Importing this package fills the table; :class:`NumpyOps` evaluates rules on NumPy values.
"""

from . import array, construct, elementwise, indexing, special, tape  # noqa: F401  (fill the table)
from . import ndim  # noqa: F401,E402  (after the primitives it describes)
from . import tensor_runtime  # noqa: F401,E402  (the Tensor runtime's own primitives)
from . import fft, linalg, numpy_fns, products, shapes  # noqa: F401,E402  (their own rank rules)
from . import interp  # noqa: F401,E402  (after numpy_fns, whose rank rule it shares)
from .table import PRIMITIVES, Primitive, Syntax, defjvp, defprim, defvjp, get


class _NumpyOps:
    """The ops namespace of the rules over concrete NumPy values: ``o.cos(x)`` runs the
    primitive's NumPy implementation."""

    def __getattr__(self, name):
        prim = PRIMITIVES[name]

        def call(*operands, **attrs):
            return prim.impl(*operands, **{**prim.attrs, **attrs})

        call.__name__ = name
        return call


NumpyOps = _NumpyOps()

__all__ = ["PRIMITIVES", "Primitive", "Syntax", "NumpyOps", "defjvp", "defprim", "defvjp",
           "get"]

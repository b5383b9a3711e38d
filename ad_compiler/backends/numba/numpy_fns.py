"""Numba implementations of the NumPy records that Numba does not provide (``numba="objmode"``).

Numba lacks many NumPy functions (``np.einsum``, batched ``np.linalg``, keyword forms such
as ``np.roll(x, 1, axis=0)``). For those the overload runs the record's NumPy
implementation in Numba's object mode: the result's type is known at compile time from the
record's rank rule and ``dtype``, and the static attributes are constants, so one generated
``with objmode(out=T)`` block per (primitive, operand types, attributes) does it. The cost is
a few microseconds a call (boxing the operands); the rest of the function stays compiled.
"""

import numpy as np
from numba import objmode, types
from numba.core.errors import TypingError
from numba.extending import overload

from ...rules import PRIMITIVES
from ._util import compile_src, is_array, is_scalar, static


def _caller(prim, attrs, nd, dtype):
    def call(*operands):
        result = prim.impl(*operands, **attrs)
        if nd == 0:
            return dtype.type(np.asarray(result).reshape(()))
        return np.ascontiguousarray(result, dtype=dtype)
    return call


_MAX_VARIADIC = 6   # operands a variadic primitive (np.einsum) takes under Numba


def _implementation(prim, signature, operand_types, attr_types):
    attrs = {k: static(t, k, prim.name) for k, t in attr_types.items()}
    operand_types = [t for t in operand_types if not isinstance(t, (types.NoneType,
                                                                    types.Omitted))
                     and t is not None]
    if not all(is_array(t) or is_scalar(t) for t in operand_types):
        return None
    ndims = [t.ndim if is_array(t) else 0 for t in operand_types]
    nd = prim.ndim(ndims, [None] * len(ndims), **attrs) if prim.ndim is not None else None
    if nd is None:
        raise TypingError(f"_rt.{prim.name}: the rank of its result is not known at compile "
                          "time under Numba (use the python backend)")
    dtype = np.dtype(prim.result_dtype)
    scalar = types.int64 if dtype.kind == "i" else types.float64
    out = scalar if nd == 0 else types.Array(scalar, nd, "C")
    operands = ", ".join(f"x{i}" for i in range(len(operand_types)))
    src = (f"def impl({signature}):\n"
           f"    with objmode(out=OUT):\n"
           f"        out = CALL({operands})\n"
           f"    return out\n")
    key = ("objmode", prim.name, tuple(str(t) for t in operand_types),
           tuple(sorted((k, repr(v)) for k, v in attrs.items())))
    return compile_src(key, src, {"objmode": objmode, "OUT": out,
                                  "CALL": _caller(prim, attrs, nd, dtype)})


def _register(prim):
    if prim.nargs is None:
        operands = [f"x{i}" for i in range(_MAX_VARIADIC)]
        params = operands[:1] + [f"{x}=None" for x in operands[1:]]
    else:
        operands = params = [f"x{i}" for i in range(prim.nargs)]
    signature = ", ".join(params + [f"{k}={v!r}" for k, v in prim.attrs.items()])
    attr_dict = ", ".join(f"{k!r}: {k}" for k in prim.attrs)
    src = (f"def impl({signature}):\n"
           f"    return IMPLEMENTATION(PRIM, SIGNATURE, ({', '.join(operands)},), "
           f"{{{attr_dict}}})\n")
    typer = compile_src(("objmode typer", prim.name), src,
                        {"IMPLEMENTATION": _implementation, "PRIM": prim,
                         "SIGNATURE": signature})
    overload(prim.impl, prefer_literal=True)(typer)


for _prim in list(PRIMITIVES.values()):
    if _prim.numba == "objmode":
        _register(_prim)

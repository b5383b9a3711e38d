"""Complex values in the SSA builder: the results of np.fft, held as pairs of real Values.

The IR has no complex kind, and every derivative rule is written for real values. A complex
value therefore never becomes an IR value: it is a compile-time :class:`~.containers.
ComplexPair` of two real Values (real part, imaginary part), carried like a container through
assignments, branches, loops and inlined helpers. It arises only from an ``np.fft`` call, and
the operations on it are expanded here into real ones, so every derivative that flows through
it is a derivative of real primitives (rules/fft.py holds the transforms, which take and give
*packed* arrays ``stack((re, im))``).

Supported on a complex value ``z``: ``z.real z.imag np.real np.imag np.conj z.conj()
np.abs np.angle np.square``, ``+ - * /`` with complex or real operands, ``z ** k`` for a
small constant integer ``k``, unary ``-``, indexing and slicing, the part-wise linear
functions and methods of :data:`_PARTWISE` (``np.sum np.mean``, ``np.fft.fftshift``,
reshapes...), ``z.shape``/``z.ndim``/``z.size``/``z.T``, ``len(z)`` and ``np.shape(z)``, and
passing it back into an ``np.fft`` transform. Anything else raises a DifferentiationError naming the construct.
"""

from __future__ import annotations

import ast

import numpy as np

from . import containers as C
from .ir import Const, Load, Value

REFUSED = "complex values are only supported as results of np.fft"
_NORMS = (None, "backward", "ortho", "forward")

# np.fft name -> (transform, inverse, signature: "1" (n, axis), "2" (s, axes=(-2, -1)) or
# "n" (s, axes=None))
_TRANSFORMS = {
    "fft": ("c2c", False, "1"), "ifft": ("c2c", True, "1"),
    "fft2": ("c2c", False, "2"), "ifft2": ("c2c", True, "2"),
    "fftn": ("c2c", False, "n"), "ifftn": ("c2c", True, "n"),
    "rfft": ("r2c", False, "1"), "rfft2": ("r2c", False, "2"), "rfftn": ("r2c", False, "n"),
    "irfft": ("c2r", True, "1"), "irfft2": ("c2r", True, "2"), "irfftn": ("c2r", True, "n"),
}
_FFT_FUNCTIONS = {id(getattr(np.fft, name)): name for name in _TRANSFORMS}
_FFT_OTHERS = {id(getattr(np.fft, name)): name for name in ("hfft", "ihfft")}

# functions of a complex value expanded here, by identity
_FUNCTIONS = {id(f): name for f, name in (
    (np.real, "real"), (np.imag, "imag"), (np.conj, "conj"), (np.conjugate, "conj"),
    (np.abs, "abs"), (np.absolute, "abs"), (abs, "abs"), (np.angle, "angle"),
    (np.square, "square"))}
# real-linear functions that act on the real and imaginary parts alike, with the number of
# positional arguments that keeps them so (``np.sum``'s ``initial``, ``np.diff``'s
# ``prepend`` would add a real value to both parts: refused)
_PARTWISE = {id(f): n for f, n in (
    (np.sum, 2), (np.mean, 2), (np.cumsum, 2), (np.diff, 3), (np.fft.fftshift, 2),
    (np.fft.ifftshift, 2), (np.transpose, 2), (np.reshape, 2), (np.ravel, 1), (np.roll, 3),
    (np.flip, 2), (np.squeeze, 2), (np.expand_dims, 2), (np.swapaxes, 3), (np.moveaxis, 3))}
_PARTWISE_METHODS = {"sum": 1, "mean": 1, "cumsum": 1, "transpose": None, "reshape": None,
                     "ravel": 0, "flatten": 0, "squeeze": 1, "swapaxes": 2, "copy": 0}
_PARTWISE_KEYWORDS = {"axis", "axes", "keepdims", "shift", "n", "shape", "newshape", "axis1",
                      "axis2", "source", "destination"}
# functions of the shape alone: applied to the real part
_SHAPE_OF = {id(f) for f in (len, np.shape, np.size, np.ndim)}
_MAX_POWER = 8


def is_complex_call(obj, node, evaluated) -> bool:
    """Whether the builder handles a call of ``obj`` here (an np.fft transform, or a function
    whose meaning a complex first argument changes, unless that argument is being passed on
    after :meth:`ComplexForms.complex_call` evaluated it)."""
    key = id(obj)
    if key in _FFT_FUNCTIONS or key in _FFT_OTHERS:
        return not node.args or node.args[0] not in evaluated
    return bool(node.args) and node.args[0] not in evaluated and (
        key in _FUNCTIONS or key in _PARTWISE or key in _SHAPE_OF)


class ComplexForms:
    """Mixin of :class:`~.ssa.Builder`: np.fft calls and the operations on their results."""

    def complex_error(self, what, node=None):
        return self.err(f"{REFUSED}: {what} is not supported (take np.real, np.imag or np.abs "
                        "of it first)", what, node)

    # --- packing ------------------------------------------------------------------------------
    def pack_complex(self, z):
        """The packed real array ``stack((re, im))`` the transforms take."""
        return self.prim("fft_pack", [z.re, z.im])

    def unpack_complex(self, packed):
        parts = []
        for k in (0, 1):
            out = self.new("array")
            self.emit(Load([out], [packed, Const(k)]))
            parts.append(out)
        return C.ComplexPair(*parts)

    # --- np.fft ---------------------------------------------------------------------------------
    def fft_call(self, obj, node):
        fname = ast.unparse(node.func)
        if id(obj) in _FFT_OTHERS:
            raise self.err(f"'{fname}' is not supported (fft ifft rfft irfft fft2 ifft2 rfft2 "
                           "irfft2 fftn ifftn rfftn irfftn fftshift ifftshift are)", fname, node)
        kind, inverse, signature = _TRANSFORMS[_FFT_FUNCTIONS[id(obj)]]
        names = ("n", "axis", "norm") if signature == "1" else ("s", "axes", "norm")
        if not 1 <= len(node.args) <= 4:
            raise self.err(f"'{fname}' takes 1..4 arguments", "call", node)
        given = dict(zip(names, node.args[1:]))
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in given:
                raise self.err(f"keyword argument '{kw.arg}' is not supported in '{fname}'",
                               "keyword argument", node)
            given[kw.arg] = kw.value
        x = self.expr(node.args[0])
        lengths, attrs = self.fft_attrs(signature, given, fname, node)
        if kind == "r2c":
            if isinstance(x, C.ComplexPair):
                raise self.complex_error(f"'{fname}' of a complex value (NumPy would discard "
                                         "its imaginary part)", node)
            return self.unpack_complex(self.prim("fft_r2c", [self.real_array(x, node),
                                                             lengths], attrs))
        if kind == "c2c":
            real_in = not isinstance(x, C.ComplexPair)
            operand = self.real_array(x, node) if real_in else self.pack_complex(x)
            attrs.update(inverse=inverse, real_in=real_in)
            return self.unpack_complex(self.prim("fft_c2c", [operand, lengths], attrs))
        if not isinstance(x, C.ComplexPair):          # irfft of a real array: zero imaginary
            x = self.real_array(x, node)
            x = C.ComplexPair(x, self.prim("zeros_like", [x]))
        return self.prim("fft_c2r", [self.pack_complex(x), lengths], attrs)

    def fft_attrs(self, signature, given, fname, node):
        """The lengths operand (``n``/``s``: None or a tuple of ints, constant or not) and the
        static ``axes`` and ``norm`` of a transform, as np.fft.*n spells them."""
        static = {k: self.static(v, k) for k, v in given.items() if k in ("axis", "axes",
                                                                          "norm")}
        norm = static.get("norm")
        if norm not in _NORMS:
            raise self.err(f"norm={norm!r} of '{fname}' is not one of 'backward', 'ortho', "
                           "'forward'", "keyword argument", node)
        if signature == "1":
            axes = static.get("axis", -1)
            axes = (axes,) if isinstance(axes, int) else axes
        else:
            axes = static.get("axes", (-2, -1) if signature == "2" else None)
            axes = (axes,) if isinstance(axes, int) else axes
        if not (axes is None or isinstance(axes, tuple)
                and all(isinstance(a, int) for a in axes)):
            raise self.err(f"the axes of '{fname}' must be constant ints", "call", node)
        if axes is not None and len(set(axes)) != len(axes):
            raise self.err(f"'{fname}' with a repeated axis {axes} is not supported (as in "
                           "autograd)", "call", node)
        length = given.get("n" if signature == "1" else "s")
        entry = Const(None) if length is None else self.expr(length)
        if isinstance(entry, Const) and entry.value is None:
            return entry, {"axes": axes, "norm": norm}
        items = [entry] if signature == "1" else C.sequence(entry)
        if items is None or not all(isinstance(v, Value) and v.kind == "int" for v in items) \
                or any(isinstance(v, Const) and not v.value > 0 for v in items):
            raise self.err(f"the lengths ({'n' if signature == '1' else 's'}) of '{fname}' "
                           "must be positive ints", "call", node)
        axes = tuple(range(-len(items), 0)) if axes is None else axes
        if len(items) != len(axes):
            raise self.err(f"'{fname}' needs s and axes of the same length", "call", node)
        return self.prim("tuple", list(items), kind="shape"), {"axes": axes, "norm": norm}

    def real_array(self, x, node):
        v = self.as_value(x)
        self.mark_array(v)
        return v

    # --- functions and methods of complex values ----------------------------------------------
    def complex_call(self, target, obj, node):
        """A call :func:`is_complex_call` names: an np.fft transform, or a function of a
        complex first argument (``np.real(z)``, ``np.sum(z, axis=0)``...). Otherwise the call
        proceeds as usual, that argument evaluated once (:attr:`evaluated`)."""
        if not node.args:
            raise self.err(f"'{ast.unparse(node.func)}' takes its array as the first "
                           "positional argument", "call", node)
        arg = node.args[0]
        self.evaluated[arg] = z = self.expr(arg)
        try:
            if id(obj) in _FFT_FUNCTIONS or id(obj) in _FFT_OTHERS:
                return self.fft_call(obj, node)
            if not isinstance(z, C.ComplexPair):
                return self.call(target, node)
            if id(obj) in _SHAPE_OF:
                self.evaluated[arg] = z.re
                return self.call(target, node)
            name = _FUNCTIONS.get(id(obj))
            if name is None:                      # part-wise: the same call on each part
                self.check_partwise(node, _PARTWISE[id(obj)], ast.unparse(node.func))
                parts = []
                for part in (z.re, z.im):
                    self.evaluated[arg] = part
                    parts.append(self.call(target, node))
                return C.ComplexPair(*parts)
            if len(node.args) != 1 or node.keywords:
                raise self.complex_error(f"'{ast.unparse(node.func)}' with more arguments",
                                         node)
            return self.complex_function(name, z, node)
        finally:
            self.evaluated.pop(arg, None)

    def complex_function(self, name, z, node):
        if name == "real":
            return z.re
        if name == "imag":
            return z.im
        if name == "conj":
            return C.ComplexPair(z.re, self.prim("neg", [z.im]))
        if name == "square":
            return self.complex_product(z, z)
        if name == "angle":
            return self.prim("arctan2", [z.im, z.re])
        return self.complex_abs(z)

    def complex_abs(self, z):
        """``|z|`` with derivative 0 where ``z == 0`` (as autograd and JAX give it); ``|z| **
        2`` is then read as ``re**2 + im**2`` (see :meth:`complex_binop`)."""
        square = self.prim("add", [self.prim("mul", [z.re, z.re]),
                                   self.prim("mul", [z.im, z.im])])
        nonzero = self.prim("gt", [square, Const(0.0)])
        safe = self.prim("where", [nonzero, square, Const(1.0)])
        out = self.prim("where", [nonzero, self.prim("sqrt", [safe]), Const(0.0)])
        self.abs_squares[id(out)] = (out, square)     # holding ``out``: its id stays its own
        return out

    def complex_method(self, z, attr, node):
        if attr in ("conj", "conjugate"):
            self.nargs(node, 0)
            return self.complex_function("conj", z, node)
        if attr not in _PARTWISE_METHODS:
            raise self.complex_error(f"method '.{attr}()' of a complex value", node)
        self.check_partwise(node, _PARTWISE_METHODS[attr], f".{attr}()", method=True)
        return C.ComplexPair(*(self.method(part, attr, node) for part in (z.re, z.im)))

    def check_partwise(self, node, positional, what, method=False):
        """A part-wise call may only pass arguments that act on both parts alike."""
        count = len(node.args) - (0 if method else 1)
        extra = [kw.arg for kw in node.keywords if kw.arg not in _PARTWISE_KEYWORDS]
        if extra or positional is not None and count > positional:
            raise self.complex_error(f"'{what}' of a complex value with "
                                     f"{extra[0] if extra else 'these arguments'}", node)

    def complex_attribute(self, z, node):
        if node.attr == "real":
            return z.re
        if node.attr == "imag":
            return z.im
        if node.attr in ("shape", "size", "ndim"):
            return self.prim(node.attr, [z.re])
        if node.attr == "T":
            return C.ComplexPair(*(self.prim("transpose", [p]) for p in (z.re, z.im)))
        raise self.complex_error(f"attribute '.{node.attr}' of a complex value", node)

    def complex_subscript(self, z, node):
        idx = self.index_values(node.slice)
        kind = "array" if any(i.kind in ("slice", "none", "array") for i in idx) else "float"
        parts = []
        for part in (z.re, z.im):
            out = self.new(kind)
            self.emit(Load([out], [part, *idx]))
            parts.append(out)
        return C.ComplexPair(*parts)

    # --- arithmetic -----------------------------------------------------------------------------
    def complex_binop(self, node, left, right):
        """``left op right`` where at least one side is complex (the other a real Value)."""
        op = type(node.op)
        known = self.abs_squares.get(id(left))
        if op is ast.Pow and isinstance(right, Const) and right.value == 2 \
                and known is not None and known[0] is left:
            return known[1]                            # np.abs(z) ** 2
        if not isinstance(left, C.ComplexPair) and not isinstance(right, C.ComplexPair):
            return None
        if op is ast.Pow:
            return self.complex_power(left, right, node)
        if op not in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            raise self.complex_error(f"operator '{type(node.op).__name__}' on a complex "
                                     "value", node)
        a, b = (v if isinstance(v, C.ComplexPair) else self.as_value(v)
                for v in (left, right))
        if op in (ast.Add, ast.Sub):
            name = "add" if op is ast.Add else "sub"
            return C.ComplexPair(self.parts_op(name, a, b, 0), self.parts_op(name, a, b, 1))
        if op is ast.Mult:
            return self.complex_product(a, b)
        return self.complex_quotient(a, b)

    def parts_op(self, name, a, b, k):
        """Part ``k`` (0 real, 1 imaginary) of ``a + b`` or ``a - b``."""
        pa = (a.re, a.im)[k] if isinstance(a, C.ComplexPair) else (a if k == 0 else None)
        pb = (b.re, b.im)[k] if isinstance(b, C.ComplexPair) else (b if k == 0 else None)
        if pb is None:
            return pa
        if pa is None:
            return pb if name == "add" else self.prim("neg", [pb])
        return self.prim(name, [pa, pb])

    def complex_product(self, a, b):
        mul, add, sub = (lambda x, y, n=n: self.prim(n, [x, y]) for n in ("mul", "add", "sub"))
        if not isinstance(a, C.ComplexPair):
            return C.ComplexPair(mul(a, b.re), mul(a, b.im))
        if not isinstance(b, C.ComplexPair):
            return C.ComplexPair(mul(a.re, b), mul(a.im, b))
        return C.ComplexPair(sub(mul(a.re, b.re), mul(a.im, b.im)),
                             add(mul(a.re, b.im), mul(a.im, b.re)))

    def complex_quotient(self, a, b):
        div = (lambda x, y: self.prim("div", [x, y]))
        if not isinstance(b, C.ComplexPair):
            return C.ComplexPair(div(a.re, b), div(a.im, b))
        denominator = self.prim("add", [self.prim("mul", [b.re, b.re]),
                                        self.prim("mul", [b.im, b.im])])
        conj = C.ComplexPair(b.re, self.prim("neg", [b.im]))
        top = self.complex_product(a, conj)
        return C.ComplexPair(div(top.re, denominator), div(top.im, denominator))

    def complex_power(self, base, exponent, node):
        if not (isinstance(base, C.ComplexPair) and isinstance(exponent, Const)
                and isinstance(exponent.value, int) and not isinstance(exponent.value, bool)
                and 1 <= exponent.value <= _MAX_POWER):
            raise self.complex_error("'**' with a complex value other than z ** k (k a "
                                     f"constant int in 1..{_MAX_POWER})", node)
        out = base
        for _ in range(exponent.value - 1):
            out = self.complex_product(out, base)
        return out

    def complex_unary(self, node, z):
        if isinstance(node.op, ast.USub):
            return C.ComplexPair(self.prim("neg", [z.re]), self.prim("neg", [z.im]))
        if isinstance(node.op, ast.UAdd):
            return z
        raise self.complex_error(f"operator '{type(node.op).__name__}' on a complex value",
                                 node)

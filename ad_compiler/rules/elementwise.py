"""Elementwise primitives: arithmetic, comparisons and the functions of ``math``/NumPy.

They work on scalars and broadcast over arrays alike. Each vjp returns the cotangent at the
broadcast shape; whoever applies it reduces it to the operand's shape (``unbroadcast``).
Read this file like a table of calculus.
"""

import math

import numpy as np

from .table import Syntax, defcomposite, defnames, defprim, defvjp


def _binop(name, impl, symbol):
    defprim(name, 2, impl, Syntax("binop", symbol), elementwise=True)


def _unary_fn(name, impl, symbol=None):
    defprim(name, 1, impl, Syntax("call", symbol or f"np.{name}"), elementwise=True)


# --- arithmetic -------------------------------------------------------------------------
_binop("add", np.add, "+")
_binop("sub", np.subtract, "-")
_binop("mul", np.multiply, "*")
_binop("div", np.true_divide, "/")
_binop("pow", np.power, "**")
_binop("mod", np.mod, "%")
defprim("floordiv", 2, np.floor_divide, Syntax("binop", "//"), elementwise=True,
        differentiable=False)
defprim("neg", 1, np.negative, Syntax("unaryop", "-"), elementwise=True)
defprim("pos", 1, np.positive, Syntax("unaryop", "+"), elementwise=True)

defvjp("add", lambda o, g, ans, x, y: g, lambda o, g, ans, x, y: g)
defvjp("sub", lambda o, g, ans, x, y: g, lambda o, g, ans, x, y: -g)
defvjp("mul", lambda o, g, ans, x, y: g * y, lambda o, g, ans, x, y: g * x)
defvjp("div", lambda o, g, ans, x, y: g / y, lambda o, g, ans, x, y: -g * ans / y)
# at x = 0 the limits JAX and autograd give: d/dx x**0 = 0 (the exponent y - 1 is replaced
# where y == 0, so 0.0 ** -1.0 is never evaluated) and d/dy 0**y = 0 (log(1) where x == 0)
defvjp("pow",
       lambda o, g, ans, x, y: g * y * x ** o.where(y == 0.0, 1.0, y - 1.0),
       lambda o, g, ans, x, y: g * ans * o.log(o.where(x == 0.0, 1.0, x)))
defvjp("mod", lambda o, g, ans, x, y: g, lambda o, g, ans, x, y: -g * o.floor(x / y))
defvjp("neg", lambda o, g, ans, x: -g)
defvjp("pos", lambda o, g, ans, x: g)

# --- comparisons and logic (no gradient) --------------------------------------------------
for _name, _impl, _symbol in [("lt", np.less, "<"), ("le", np.less_equal, "<="),
                              ("gt", np.greater, ">"), ("ge", np.greater_equal, ">="),
                              ("eq", np.equal, "=="), ("ne", np.not_equal, "!=")]:
    defprim(_name, 2, _impl, Syntax("compare", _symbol), elementwise=True,
            differentiable=False, result_kind="bool")
defprim("not", 1, np.logical_not, Syntax("unaryop", "not"), elementwise=True,
        differentiable=False, result_kind="bool")

# --- transcendental functions -------------------------------------------------------------
_unary_fn("sin", np.sin)
_unary_fn("cos", np.cos)
_unary_fn("tan", np.tan)
_unary_fn("arcsin", np.arcsin)
_unary_fn("arccos", np.arccos)
_unary_fn("arctan", np.arctan)
_unary_fn("sinh", np.sinh)
_unary_fn("cosh", np.cosh)
_unary_fn("tanh", np.tanh)
_unary_fn("arcsinh", np.arcsinh)
_unary_fn("exp", np.exp)
_unary_fn("exp2", np.exp2)
_unary_fn("expm1", np.expm1)
_unary_fn("log", np.log)
_unary_fn("log2", np.log2)
_unary_fn("log10", np.log10)
_unary_fn("log1p", np.log1p)
_unary_fn("sqrt", np.sqrt)
_unary_fn("cbrt", np.cbrt)
_unary_fn("square", np.square)
_unary_fn("abs", np.abs)

defvjp("sin", lambda o, g, ans, x: g * o.cos(x))
defvjp("cos", lambda o, g, ans, x: -g * o.sin(x))
defvjp("tan", lambda o, g, ans, x: g * (1.0 + ans * ans))
defvjp("arcsin", lambda o, g, ans, x: g / o.sqrt(1.0 - x * x))
defvjp("arccos", lambda o, g, ans, x: -g / o.sqrt(1.0 - x * x))
defvjp("arctan", lambda o, g, ans, x: g / (1.0 + x * x))
defvjp("sinh", lambda o, g, ans, x: g * o.cosh(x))
defvjp("cosh", lambda o, g, ans, x: g * o.sinh(x))
defvjp("tanh", lambda o, g, ans, x: g * (1.0 - ans * ans))
defvjp("arcsinh", lambda o, g, ans, x: g / o.sqrt(x * x + 1.0))
defvjp("exp", lambda o, g, ans, x: g * ans)
defvjp("exp2", lambda o, g, ans, x: g * ans * math.log(2.0))
defvjp("expm1", lambda o, g, ans, x: g * (ans + 1.0))
defvjp("log", lambda o, g, ans, x: g / x)
defvjp("log2", lambda o, g, ans, x: g / (x * math.log(2.0)))
defvjp("log10", lambda o, g, ans, x: g / (x * math.log(10.0)))
defvjp("log1p", lambda o, g, ans, x: g / (x + 1.0))
defvjp("sqrt", lambda o, g, ans, x: g * 0.5 / ans)
defvjp("cbrt", lambda o, g, ans, x: g / (3.0 * ans * ans))
defvjp("square", lambda o, g, ans, x: g * 2.0 * x)
defvjp("abs", lambda o, g, ans, x: g * o.sign(x))

# --- two-argument functions ---------------------------------------------------------------
defprim("arctan2", 2, np.arctan2, Syntax("call", "np.arctan2"), elementwise=True)
defvjp("arctan2",
       lambda o, g, ans, y, x: g * x / (x * x + y * y),
       lambda o, g, ans, y, x: -g * y / (x * x + y * y))
defprim("hypot", 2, np.hypot, Syntax("call", "np.hypot"), elementwise=True)
defvjp("hypot", lambda o, g, ans, x, y: g * x / ans, lambda o, g, ans, x, y: g * y / ans)

# maximum/minimum: the gradient goes to the operand that was chosen (the first one on ties,
# as Python's max(a, b) returns a on ties).
defprim("maximum", 2, np.maximum, Syntax("call", "np.maximum"), elementwise=True)
defprim("minimum", 2, np.minimum, Syntax("call", "np.minimum"), elementwise=True)
defvjp("maximum",
       lambda o, g, ans, x, y: o.where(x >= y, g, 0.0),
       lambda o, g, ans, x, y: o.where(x >= y, 0.0, g))
defvjp("minimum",
       lambda o, g, ans, x, y: o.where(x <= y, g, 0.0),
       lambda o, g, ans, x, y: o.where(x <= y, 0.0, g))

# --- inverse hyperbolic, angle conversions, logs of sums of exponentials --------------------
def defunary(name, vjp, names=None, impl=None):
    """An elementwise function of one operand: NumPy's ``np.NAME`` (Numba has it too), its
    vjp, and the dotted names users call it by (default ``numpy.NAME``)."""
    _unary_fn(name, impl if impl is not None else getattr(np, name))
    defvjp(name, vjp)
    defnames(name, names or f"numpy.{name}")


def defbinary(name, vjp_x, vjp_y, names=None):
    """An elementwise function of two broadcasting operands (``np.NAME``)."""
    defprim(name, 2, getattr(np, name), Syntax("call", f"np.{name}"), elementwise=True)
    defvjp(name, vjp_x, vjp_y)
    defnames(name, names or f"numpy.{name}")


defunary("arccosh", lambda o, g, ans, x: g / o.sqrt(x * x - 1.0), "numpy.arccosh math.acosh")
defunary("arctanh", lambda o, g, ans, x: g / (1.0 - x * x), "numpy.arctanh math.atanh")
defunary("deg2rad", lambda o, g, ans, x: g * (math.pi / 180.0),
         "numpy.deg2rad numpy.radians math.radians")
defunary("rad2deg", lambda o, g, ans, x: g * (180.0 / math.pi),
         "numpy.rad2deg numpy.degrees math.degrees")
defunary("reciprocal", lambda o, g, ans, x: -g * ans * ans)
# sinc(x) = sin(pi x) / (pi x); its derivative (cos(pi x) - sinc(x)) / x tends to 0 at 0
defunary("sinc", lambda o, g, ans, x: g * o.where(
    x == 0.0, 0.0, (o.cos(math.pi * x) - ans) / o.where(x == 0.0, 1.0, x)))
defbinary("logaddexp", lambda o, g, ans, x, y: g * o.exp(x - ans),
          lambda o, g, ans, x, y: g * o.exp(y - ans))
defbinary("logaddexp2", lambda o, g, ans, x, y: g * o.exp2(x - ans),
          lambda o, g, ans, x, y: g * o.exp2(y - ans))
# fmod keeps the sign of x (C's fmod): x - y * trunc(x / y)
defbinary("fmod", lambda o, g, ans, x, y: g, lambda o, g, ans, x, y: -g * o.trunc(x / y))
# fmax/fmin ignore NaNs; the gradient goes to the operand chosen (the first on ties)
defbinary("fmax", lambda o, g, ans, x, y: o.where((x >= y) | o.isnan(y), g, 0.0),
          lambda o, g, ans, x, y: o.where((x >= y) | o.isnan(y), 0.0, g))
defbinary("fmin", lambda o, g, ans, x, y: o.where((x <= y) | o.isnan(y), g, 0.0),
          lambda o, g, ans, x, y: o.where((x <= y) | o.isnan(y), 0.0, g))
# nan_to_num: the identity where x is finite; NaN and infinities become constants
defunary("nan_to_num", lambda o, g, ans, x: o.where(o.isfinite(x), g, 0.0))

# --- piecewise constant functions -----------------------------------------------------------
for _name in ("sign", "floor", "ceil", "trunc", "rint"):
    defprim(_name, 1, getattr(np, _name), Syntax("call", f"np.{_name}"), elementwise=True,
            differentiable=False)
defprim("round", 1, np.round, Syntax("call", "np.round"), elementwise=True,
        differentiable=False, numpy="numpy.round numpy.around .round", decimals=0)
defprim("isnan", 1, np.isnan, Syntax("call", "np.isnan"), elementwise=True,
        differentiable=False, result_kind="bool")
defprim("isfinite", 1, np.isfinite, Syntax("call", "np.isfinite"), elementwise=True,
        differentiable=False, result_kind="bool")

# --- selection and casts --------------------------------------------------------------------
defprim("where", 3, np.where, Syntax("helper", "where"), elementwise=True)
defvjp("where",
       None,
       lambda o, g, ans, c, x, y: o.where(c, g, 0.0),
       lambda o, g, ans, c, x, y: o.where(c, 0.0, g))
defprim("clip", 3, np.clip, Syntax("call", "np.clip"), elementwise=True,
        args=("a", "a_min", "a_max"))
# NumPy clips as minimum(maximum(x, lo), hi): with lo > hi every element is hi (the
# minimum's operand, not lo's), so lo's derivative needs lo <= hi and hi's is where the
# maximum exceeds hi
defvjp("clip",
       lambda o, g, ans, x, lo, hi: o.where((x >= lo) & (x <= hi), g, 0.0),
       lambda o, g, ans, x, lo, hi: o.where((x < lo) & (lo <= hi), g, 0.0),
       lambda o, g, ans, x, lo, hi: o.where(o.where(x < lo, lo, x) > hi, g, 0.0))
defprim("and", 2, np.logical_and, Syntax("binop", "&"), elementwise=True,
        differentiable=False, result_kind="bool")
defprim("or", 2, np.logical_or, Syntax("binop", "|"), elementwise=True,
        differentiable=False, result_kind="bool")
defprim("float", 1, float, Syntax("call", "float"), elementwise=True, result_kind="float")
defvjp("float", lambda o, g, ans, x: g)
defprim("int", 1, int, Syntax("call", "int"), differentiable=False, result_kind="int")
defprim("bool", 1, bool, Syntax("call", "bool"), differentiable=False, result_kind="bool")

# NumPy's functions of these that are spelled in them: float_power computes in floats (an
# int base's power is a float), heaviside is a step whose value at 0 is its second operand
defcomposite("float_power", 2, np.float_power, lambda o, x, y: (x * 1.0) ** y,
             elementwise=True, numpy="numpy.float_power")
defcomposite("heaviside", 2, np.heaviside,
             lambda o, x, h0: o.where(x < 0.0, 0.0, o.where(x > 0.0, 1.0,
                                                           o.where(x == 0.0, h0, x))),
             elementwise=True, numpy="numpy.heaviside")

# --- the names users call them by (the frontend's call table is built from these) ----------
for _name in ("sin cos tan sinh cosh tanh exp expm1 log log2 log10 log1p sqrt cbrt floor ceil "
              "trunc hypot exp2 arctan2 isnan isfinite").split():
    defnames(_name, f"numpy.{_name} math.{_name}")
for _name in "arcsin arccos arctan arcsinh".split():
    defnames(_name, f"numpy.{_name} math.a{_name[3:]}")
defnames("arctan2", "math.atan2")
for _name in "expm1 log1p exp2 cbrt".split():      # SciPy's names of the same functions
    defnames(_name, f"scipy.special.{_name}")
defnames("abs", "numpy.abs numpy.absolute numpy.fabs math.fabs")
defnames("pow", "numpy.power math.pow")
for _name in "square sign rint maximum minimum where clip add".split():
    defnames(_name, f"numpy.{_name}")
defnames("clip", ".clip")
defnames("sub", "numpy.subtract")
defnames("mod", "numpy.mod numpy.remainder")
defnames("mul", "numpy.multiply")
defnames("div", "numpy.divide numpy.true_divide")
defnames("neg", "numpy.negative")
defnames("float", "numpy.float64")

"""The one table of primitives and their derivative rules.

A primitive is written once here and serves three clients:

* the **reverse transform**, which calls its vector-Jacobian rules on symbolic IR values
  (operator overloading that appends instructions), generating adjoint code;
* the **forward transform**, which calls its Jacobian-vector rule the same way;
* the **Tensor runtime**, which evaluates ``impl`` on NumPy arrays for the forward pass and
  calls the same vector-Jacobian rules on Tensors for ``backward`` (so that
  ``create_graph=True`` records the backward itself, for free).

A rule is a small function of an *ops namespace* ``o`` first, then the incoming
(co)tangent, the primal result ``ans`` and the operands, and the primitive's static attributes
as keywords, in the style of autograd's ``defvjp`` and JAX's ``defjvp``::

    defvjp("sin", lambda o, g, ans, x: g * o.cos(x))

``o`` gives the rules every primitive of this table by name (``o.cos``, ``o.sum(x, axis=0)``,
``o.unbroadcast(g, x)``, ``o.where(c, a, b)``...) and the operands support Python's arithmetic
operators, so one rule text works on floats and arrays (``NumpyOps``), on Tensors and on IR
values. Symbolic zeros: a tangent that is ``None`` is zero and its term is skipped.

Elementwise primitives broadcast their operands; their vector-Jacobian rules return the
cotangent at the broadcast shape and the *caller* reduces it to each operand's shape with the
``unbroadcast`` primitive. Their Jacobian-vector rule is derived from the vjps (each is linear
in ``g`` and elementwise, so ``jvp = sum_i vjp_i(t_i)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Syntax:
    """How the emitter prints a call of the primitive in generated Python.

    ``form`` is one of ``"binop"``, ``"unaryop"``, ``"compare"`` (``symbol`` is the operator),
    ``"call"`` (``symbol`` is a dotted name such as ``"np.sin"``; static attributes become
    keyword arguments), ``"method"`` (``x.symbol(...)``), ``"attr"`` (``x.symbol``) or
    ``"helper"`` (``symbol`` is a function of :mod:`ad_compiler.backends.helpers`, which has
    a plain-Python body and a Numba implementation).
    """

    form: str
    symbol: str


@dataclass
class Primitive:
    name: str
    nargs: int | None                     # number of value operands (None: variadic)
    impl: Callable | None = None          # NumPy implementation: impl(*operands, **attrs)
    syntax: Syntax | None = None
    vjps: tuple = ()                      # one rule per operand; None: no gradient flows there
    jvp: Callable | None = None           # (o, tangents, ans, *operands, **attrs) -> tangent
    elementwise: bool = False
    differentiable: bool = True           # False: the result is piecewise constant (no gradient)
    result_kind: str | None = None        # kind of the result when it does not follow operands
    attrs: dict = field(default_factory=dict)  # default static attributes
    ndim: Callable | None = None          # (operand ndims, operands, **attrs) -> result ndim

    def apply_jvp(self, o, tangents, ans, *operands, **attrs):
        """Tangent of the result, or None when every incoming tangent is a symbolic zero."""
        if not self.differentiable or all(t is None for t in tangents):
            return None
        if self.jvp is not None:
            return self.jvp(o, tangents, ans, *operands, **attrs)
        if not self.elementwise:
            raise NotImplementedError(f"no forward-mode rule for primitive '{self.name}'")
        total = None
        for rule, tangent in zip(self.vjps, tangents):
            if tangent is None or rule is None:
                continue
            term = rule(o, tangent, ans, *operands, **attrs)
            total = term if total is None else total + term
        return total


PRIMITIVES: dict[str, Primitive] = {}

# elementwise primitives whose result is an integer when every operand is one
INTEGER_CLOSED = frozenset({"add", "sub", "mul", "floordiv", "mod", "neg", "pos", "maximum",
                            "minimum", "abs", "sign"})


def defprim(name, nargs, impl=None, syntax=None, *, elementwise=False, differentiable=True,
            result_kind=None, **default_attrs) -> Primitive:
    """Declare a primitive (its arity, NumPy implementation and printed form)."""
    prim = Primitive(name, nargs, impl, syntax, elementwise=elementwise,
                     differentiable=differentiable, result_kind=result_kind,
                     attrs=default_attrs)
    PRIMITIVES[name] = prim
    return prim


def defvjp(name, *rules):
    """Register the vector-Jacobian rule of each operand of primitive ``name``."""
    PRIMITIVES[name].vjps = rules


def defjvp(name, rule):
    """Register the Jacobian-vector rule of primitive ``name``."""
    PRIMITIVES[name].jvp = rule


def deflinear(name):
    """A primitive linear in its single differentiable operand: its tangent is itself applied
    to the tangent (``sum``, ``reshape``, ``transpose``...). Extra operands are static."""

    def jvp(o, tangents, ans, x, *rest, **attrs):
        return getattr(o, name)(tangents[0], *rest, **attrs)

    defjvp(name, jvp)


def defbilinear(name):
    """A primitive linear in each of its two operands separately (``mul``, ``matmul``...):
    ``d(a * b) = da * b + a * db``."""

    def jvp(o, tangents, ans, a, b, **attrs):
        op = getattr(o, name)
        ta, tb = tangents
        terms = []
        if ta is not None:
            terms.append(op(ta, b, **attrs))
        if tb is not None:
            terms.append(op(a, tb, **attrs))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    defjvp(name, jvp)


def defndim(names, rule):
    """Register how the number of dimensions of the result follows from the operands'
    (used to specialise generated code to the argument types of a call)."""
    for name in names.split():
        PRIMITIVES[name].ndim = rule


def get(name) -> Primitive:
    return PRIMITIVES[name]

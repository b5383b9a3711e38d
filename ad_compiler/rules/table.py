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

A record holds everything else about its primitive too: the NumPy/``math`` names a user calls
it by (``numpy``; the frontend's call tables are built from them), its keyword signature
(``attrs``: the static parameters in NumPy's positional order, with their defaults), its
effect and cost (``effect="alloc"`` results are fresh memory, never merged by CSE; ``cost``
weighs recomputing against recording), its result kind and rank rule, its implementations
(``impl`` for NumPy; ``numba`` says how the Numba backend runs it; ``cuda`` the device
function it prints as), the Tensor runtime's node name (``node``), and its rules. A
*composite* primitive (``expand``) is lowered into other primitives once operand ranks are
known (:mod:`ad_compiler.transforms.lower`), so it needs no rules of its own.
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


# primitives whose operands are printed as ONE tuple argument (``np.stack((a, b))``,
# ``_rt.stack((a, b), axis=1)``): reading generated code back unpacks it
SEQUENCE_OPERANDS = frozenset({"concatenate", "stack", "pack"})


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
    numpy: tuple = ()                     # dotted names calling it: "numpy.sin", "math.sin",
                                          # ".var" for a method
    effect: str = "pure"                  # "alloc": a fresh array each call (never CSE'd)
    cost: int = 1                         # relative cost of recomputing it
    numba: str = "native"                 # "native": the printed call is Numba's own;
                                          # "overload": backends/numba registers one on impl;
                                          # "objmode": run impl in Numba's object mode
    cuda: str | None = None               # device function printed in CUDA code
    node: str | None = None               # Tensor runtime node name (MulBackward0...)
    expand: Callable | None = None        # composite: (o, *operands, **attrs) -> result
    sequence: bool = False                # NumPy takes the operands as one sequence argument
    args: tuple = ()                      # NumPy's names of the operands (for keywords)
    result_dtype: str = "float64"         # element type of the result under Numba "objmode"

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


_RECORD_FIELDS = ("numpy", "effect", "cost", "numba", "cuda", "node", "expand", "sequence",
                  "ndim", "args", "result_dtype")


def defprim(name, nargs, impl=None, syntax=None, *, elementwise=False, differentiable=True,
            result_kind=None, **default_attrs) -> Primitive:
    """Declare a primitive (its arity, NumPy implementation and printed form). Keywords
    named as :class:`Primitive` fields (``numpy=``, ``effect=``, ``numba=``...) fill those;
    the others are its static attributes and their defaults, in NumPy's positional order."""
    fields = {k: default_attrs.pop(k) for k in _RECORD_FIELDS if k in default_attrs}
    if isinstance(fields.get("numpy"), str):
        fields["numpy"] = tuple(fields["numpy"].split())
    prim = Primitive(name, nargs, impl, syntax, elementwise=elementwise,
                     differentiable=differentiable, result_kind=result_kind,
                     attrs=default_attrs, **fields)
    PRIMITIVES[name] = prim
    return prim


def defnames(name, names):
    """Add the dotted NumPy/``math`` names (space separated) that call primitive ``name``."""
    PRIMITIVES[name].numpy += tuple(names.split())


def defcomposite(name, nargs, impl, expand, *, ndim=None, **fields):
    """A primitive defined by an expansion into others (``o`` is the ops namespace of the
    rules): lowered once operand ranks are known, it needs no rules of its own, and every
    backend runs what it lowers to. ``impl`` is NumPy's function, for the Tensor runtime;
    None for a rule's own composite (cholesky's vjp), whose value is its expansion run on
    NumPy arrays."""
    return defprim(name, nargs, impl or _on_numpy(expand), Syntax("helper", name),
                   expand=expand, ndim=ndim, **fields)


def _on_numpy(expand):
    def impl(*args, **attrs):
        from . import NumpyOps

        return expand(NumpyOps, *args, **attrs)

    impl.__name__ = expand.__name__.lstrip("_")
    return impl


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

"""Applying derivative rules to symbolic IR values.

The rules of :mod:`ad_compiler.rules` are written against an ops namespace ``o`` and Python's
operators. :class:`Builder` is that namespace for IR: ``o.cos(x)`` appends a ``Prim("cos")`` to
the op list being built and returns a :class:`Sym` wrapping its result, and ``Sym`` overloads
the arithmetic operators the same way. Constants fold and the algebraic identities
(``x * 1``, ``x + 0``, ``x ** 1``, ``--x``) simplify on the spot, so that ``d(x**2)`` prints as
``2.0 * x``, not ``2 * x ** (2 - 1)``.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import threading

from ..errors import DifferentiationError
from ..frontend.ir import Const, Op, Prim, Value
from ..rules import PRIMITIVES
from ..rules.table import INTEGER_CLOSED

_FOLD = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
         "div": operator.truediv, "pow": operator.pow, "neg": operator.neg,
         "floordiv": operator.floordiv, "mod": operator.mod,
         "trip_count": lambda start, stop, step: len(range(start, stop, step)),
         "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
         "gt": operator.gt, "ge": operator.ge}


def result_kind(name: str, operands) -> str:
    """The structural kind of a primitive's result from its operands' kinds."""
    prim = PRIMITIVES.get(name)
    if prim is not None and prim.result_kind is not None:
        return prim.result_kind
    kinds = {v.kind for v in operands}
    if prim is None or not prim.elementwise:
        return "array" if "array" in kinds else "any"
    if "array" in kinds:
        return "array"
    if "any" in kinds:
        return "any"
    if kinds <= {"int", "bool"} and name in INTEGER_CLOSED:
        return "int"
    return "float"


def result_signature(name: str, operands, attrs, kind=None):
    """``(kind, ndim)`` of a primitive's result: the kind from the operands' kinds (or
    ``kind`` when the primitive does not determine it), the ndim from the table's rule."""
    prim = PRIMITIVES.get(name)
    ndim = None
    if name == "opaque_call" and kind == "any" and any(v.kind == "array" for v in operands):
        return "array", None     # a call run as written: an array in, assume an array out
    if prim is not None and prim.ndim is not None:
        # a scalar's rank is 0 (a float leaf of a container parameter has kind float and
        # no ndim: every value computed from it had an unknown rank)
        ndims = [0 if v.ndim is None and v.kind in ("float", "int", "bool") else v.ndim
                 for v in operands]
        ndim = prim.ndim(ndims, operands, **{**prim.attrs, **attrs})
    if kind is None or (prim is not None and (prim.elementwise or
                                              prim.result_kind is not None)):
        kind = result_kind(name, operands)
    if kind in ("float", "array", "any") and ndim is not None:
        kind = "float" if ndim == 0 else "array"
    elif kind == "any" and all(v.kind in ("float", "int", "bool") for v in operands):
        kind, ndim = "float", 0
    return kind, ndim


class Namer:
    """Deterministic fresh names that never collide with the names already in use."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self._counter = itertools.count(1)

    def fresh(self, base: str) -> str:
        if base not in self.taken and base != "_t":
            self.taken.add(base)
            return base
        while True:
            name = f"{base}{next(self._counter)}" if base == "_t" else f"{base}_{next(self._counter)}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def value(self, base: str, kind: str) -> Value:
        return Value(self.fresh(base), kind)


class UnknownRank(DifferentiationError):
    """A rule read the rank of an array that specialisation could not give one; whoever
    applies the rule adds the function and file to the message."""


_GUESSING = threading.local()


@contextlib.contextmanager
def guessing_ranks(on: bool):
    """While on, a rule reading an unknown rank takes its general form instead of being
    refused: the source ``.source`` shows before any call, for kinds it assumed, which
    never runs."""
    before = getattr(_GUESSING, "on", False)
    _GUESSING.on = on
    try:
        yield
    finally:
        _GUESSING.on = before


class Sym:
    """An IR value inside a rule: arithmetic on it appends ops to the builder."""

    __slots__ = ("value", "builder")

    def __init__(self, value: Value, builder: "Builder"):
        self.value = value
        self.builder = builder

    @property
    def ndim(self):
        """Rules that depend on ranks (``matmul``) read it; known after specialisation. An
        array whose rank is not known (the result of a call run as written) cannot choose a
        rule's form: refused (``UnknownRank``), never guessed."""
        if self.value.ndim is not None:
            return self.value.ndim
        if self.value.kind in ("float", "int", "bool"):
            return 0
        if getattr(_GUESSING, "on", False):
            return None
        raise UnknownRank(
            f"the rank of '{self.value.name}' is not known when the derivative is generated "
            "(an array returned by a call run as written?): its derivative rule depends on it",
            construct="array of unknown rank", line=self.builder.line)

    def _bin(self, name, other, reverse=False):
        a, b = self.value, self.builder.lift(other)
        return self.builder.prim(name, [b, a] if reverse else [a, b])

    def __add__(self, o): return self._bin("add", o)
    def __radd__(self, o): return self._bin("add", o, True)
    def __sub__(self, o): return self._bin("sub", o)
    def __rsub__(self, o): return self._bin("sub", o, True)
    def __mul__(self, o): return self._bin("mul", o)
    def __rmul__(self, o): return self._bin("mul", o, True)
    def __truediv__(self, o): return self._bin("div", o)
    def __rtruediv__(self, o): return self._bin("div", o, True)
    def __pow__(self, o): return self._bin("pow", o)
    def __rpow__(self, o): return self._bin("pow", o, True)
    def __lt__(self, o): return self._bin("lt", o)
    def __le__(self, o): return self._bin("le", o)
    def __gt__(self, o): return self._bin("gt", o)
    def __ge__(self, o): return self._bin("ge", o)
    def __eq__(self, o): return self._bin("eq", o)
    def __ne__(self, o): return self._bin("ne", o)
    __hash__ = object.__hash__
    def __and__(self, o): return self._bin("and", o)
    def __or__(self, o): return self._bin("or", o)
    def __neg__(self): return self.builder.prim("neg", [self.value])


def rank_known(v) -> bool:
    """Whether ``v``'s rank is known (what a composite's expansion may read)."""
    return v.ndim is not None or v.kind in ("float", "int", "bool", "none")


class Builder:
    """The ops namespace ``o`` of the rules over IR values; appends to ``self.ops``."""

    def __init__(self, namer: Namer, line=None):
        self.namer = namer
        self.ops: list[Op] = []
        self.line = line

    def lift(self, x) -> Value:
        if isinstance(x, Sym):
            return x.value
        if isinstance(x, Value):
            return x
        return Const(x)

    def wrap(self, value: Value) -> Sym:
        return Sym(value, self)

    def __getattr__(self, name):
        if name not in PRIMITIVES:
            raise AttributeError(name)
        return lambda *operands, **attrs: self.prim(name, [self.lift(v) for v in operands],
                                                    attrs)

    def prim(self, name, operands, attrs=None) -> Sym:
        simplified = self._simplify(name, operands)
        if simplified is not None:
            return self.wrap(simplified)
        record = PRIMITIVES.get(name)
        if record is not None and record.expand is not None and all(map(rank_known, operands)):
            # a composite a rule calls (cholesky's vjp is products of its factor) is written
            # out here, as specialisation writes out the function's: every backend and
            # forward mode over the rule (ad.hessian) see only primitives with rules
            out = record.expand(self, *map(self.wrap, operands), **{**record.attrs,
                                                                     **(attrs or {})})
            return self.wrap(self.lift(out))
        result = self.namer.value("_t", "any")
        result.kind, result.ndim = result_signature(name, operands, attrs or {})
        self.ops.append(Prim([result], operands, self.line, name=name, attrs=dict(attrs or {})))
        return self.wrap(result)

    def _simplify(self, name, operands):
        """Constant folding and identities; None when the op must be emitted."""
        if all(isinstance(v, Const) for v in operands) and name in _FOLD:
            try:
                return Const(_FOLD[name](*(v.value for v in operands)))
            except (ArithmeticError, ValueError):
                return None
        if name == "where" and isinstance(operands[0], Const) and \
                isinstance(operands[0].value, bool):
            return operands[1] if operands[0].value else operands[2]
        if name == "neg":
            (x,) = operands
            producer = self._producer(x)
            if producer is not None and producer.name == "neg":
                return producer.operands[0]
            return None
        if len(operands) != 2:
            return None
        a, b = operands
        if name == "mul":
            if _is_const(a, 1):
                return b
            if _is_const(b, 1):
                return a
        elif name == "add":
            if _is_const(a, 0):
                return b
            if _is_const(b, 0):
                return a
        elif name == "sub" and _is_const(b, 0):
            return a
        elif name in ("div", "pow") and _is_const(b, 1):
            return a
        return None

    def _producer(self, value):
        for op in reversed(self.ops):
            if value in op.results:
                return op if isinstance(op, Prim) else None
        return None


def _is_const(v, number) -> bool:
    return isinstance(v, Const) and not isinstance(v.value, bool) and v.value == number

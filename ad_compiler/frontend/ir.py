"""The intermediate representation: SSA with structured control flow.

Why structured (like MLIR's ``scf`` dialect) and not a graph of basic blocks: the emitted
Python keeps the shape of the user's code, Numba compiles structured loops best, and reversing
a ``For`` is a reversed ``range``.

Two flavours share these classes:

* **SSA form**, produced by the frontend: every :class:`Value` is defined exactly once, either
  as a result of an :class:`Op`, a block argument of a :class:`Region`, or a parameter.
  Control flow carries values explicitly: an :class:`If` yields its results from both branches
  (the phi), a :class:`For` and a :class:`While` thread loop-carried values through their
  regions.
* **Imperative form**, produced by the transforms (derivative code): a Value stands for a
  Python variable and may be assigned by several ops (``b_x = b_x + t``); loops and ifs then
  usually carry nothing. The emitter prints both flavours the same way.

The classes keep their fields in slots (no per-object ``__dict__``): a long adjoint is
hundreds of thousands of these objects, which the clean-up reads millions of times, and
slots made its transform a quarter faster (a 2,000-line gradient 6.4 -> 4.6 s).

Arrays are mutable memory: element reads and writes are explicit :class:`Load` and
:class:`Store` ops whose order in the op list is kept.

Kinds (``Value.kind``) are inferred structurally by the frontend, not from argument types, so
that the same IR (and generated source) serves every call signature:

``"float"``  a real scalar (or a value whose kind is unknown but is differentiated as a scalar)
``"int"``    an integer (loop counters, sizes, ``int(...)``): never differentiated
``"bool"``   a truth value: never differentiated
``"array"``  an ndarray
``"any"``    unknown: a parameter never indexed, which may be a scalar or an array
``"shape"``  a shape tuple (``x.shape``): never differentiated
``"slice"``  a ``start:stop:step`` index: never differentiated
``"none"``   Python's None
``"str"``    a string constant (a dict key, an argument of a call run as written)
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field
from typing import Any, Iterator

NON_DIFFERENTIABLE_KINDS = frozenset({"int", "bool", "shape", "slice", "none", "str",
                                      "ellipsis"})


@dataclass(eq=False, slots=True)
class Value:
    """A named value. Identity matters, not the name: two Values may print alike only in
    imperative code, where they stand for the same Python variable by construction."""

    name: str
    kind: str = "float"
    ndim: int | None = None   # number of dimensions when known (0 for scalars)
    # element kind of an array ("int", "bool"; None: float), known once specialised to the
    # arguments' dtypes: an element loaded from an integer array is an index, never a float
    dtype: str | None = None

    @property
    def differentiable(self) -> bool:
        return self.kind not in NON_DIFFERENTIABLE_KINDS and self.dtype not in ("int", "bool")

    def __repr__(self):
        return f"%{self.name}"


@dataclass(eq=False, slots=True)
class Const(Value):
    """A literal (int, float, bool, None; ``...`` as an index, until specialisation spells
    it out as slices). Its name is its printed form."""

    value: Any = None

    def __init__(self, value):
        kind = ("bool" if isinstance(value, bool) else "int" if isinstance(value, int)
                else "none" if value is None else "str" if isinstance(value, str)
                else "ellipsis" if value is Ellipsis else "float")
        Value.__init__(self, name=repr(value), kind=kind, ndim=0)
        self.value = value

    def __repr__(self):
        return repr(self.value)


@dataclass(eq=False, slots=True)
class Undef(Value):
    """A value that no path has assigned yet (e.g. the return value before an early return
    inside a loop). The emitter never prints an assignment from it."""

    def __init__(self, kind="float"):
        Value.__init__(self, name="<undef>", kind=kind)

    def __repr__(self):
        return "undef"


@dataclass(eq=False, slots=True)
class Op:
    """Base class of instructions. ``line`` is the line in the user's file it came from."""

    results: list[Value]
    operands: list[Value]
    line: int | None = None

    def regions(self) -> tuple["Region", ...]:
        """The op's blocks, in program order (a tuple: asked millions of times by the
        clean-up, it allocates nothing for the ops that have none)."""
        return ()


@dataclass(eq=False, slots=True)
class Prim(Op):
    """A call of a primitive of the rule table (``add``, ``sin``, ``sum`` ...).

    ``attrs`` holds static parameters that are not values (``axis``, ``keepdims``, ``dtype``,
    the index of ``tuple_get``). Operands are runtime values; results has one Value.
    """

    name: str = ""
    attrs: dict = field(default_factory=dict)
    inplace: bool = False   # ``a += e`` on a name: in place when ``a`` is an array


@dataclass(eq=False, slots=True)
class Load(Op):
    """``result = array[indices...]``: operands are ``[array, *indices]``. An index is an int
    value, a ``"slice"`` value (from the ``slice`` primitive, operands start/stop/step, any of
    them ``Const(None)``), or ``Const(None)`` for a new axis."""


@dataclass(eq=False, slots=True)
class Store(Op):
    """``array[indices...] = value`` (or ``+=`` when ``accumulate``): operands are
    ``[array, *indices, value]``; no results. Mutates ``array`` in place."""

    accumulate: bool = False
    flat: bool = False      # ``np.put``: the indices index the flattened array


@dataclass(eq=False, slots=True)
class Assign(Op):
    """``result = operand``: a copy, used by the transforms for imperative code and by the
    frontend only where a name must be materialised."""


@dataclass(eq=False, slots=True)
class Region:
    """A sequence of ops with block arguments and the values it yields at its end."""

    args: list[Value] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    yields: list[Value] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class If(Op):
    """``results = then.yields if operands[0] else orelse.yields``. Neither region has args."""

    then: Region = field(default_factory=Region)
    orelse: Region = field(default_factory=Region)

    def regions(self):
        return self.then, self.orelse


@dataclass(eq=False, slots=True)
class For(Op):
    """``for index in range(start, stop, step)`` with loop-carried values.

    operands = ``[start, stop, step, *inits]``; ``body.args = [index, *carried]``;
    ``body.yields`` are the carried values for the next iteration; ``results`` are the carried
    values after the last iteration (the inits when the range is empty).
    """

    body: Region = field(default_factory=Region)
    parallel: bool = False   # numba.prange: iterations are independent (the user says so)

    def regions(self):
        return (self.body,)

    @property
    def inits(self):
        return self.operands[3:]


@dataclass(eq=False, slots=True)
class While(Op):
    """``while cond(carried): carried = body(carried)``.

    operands = inits; ``cond.args`` and ``body.args`` are the carried values on entry to the
    test and to the body; ``cond.yields == [truth]``; ``body.yields`` are the next carried
    values; ``results`` the carried values when the test fails.
    """

    cond: Region = field(default_factory=Region)
    body: Region = field(default_factory=Region)

    def regions(self):
        return self.cond, self.body

    @property
    def inits(self):
        return self.operands


@dataclass(eq=False)
class Function:
    """A whole function after lowering: one entry, one exit (``body.yields``).

    ``params`` are the user's parameters, in order; ``free_vars`` are extra parameters the
    frontend added for non-literal globals and closure cells (arrays, mostly), whose current
    values the caller passes at every call (Numba would freeze them otherwise).
    ``returns_tuple`` records that the user returned a tuple rather than one value.
    """

    name: str
    params: list[Value]
    body: Region
    free_vars: list[Value] = field(default_factory=list)
    free_var_sources: list[str] = field(default_factory=list)
    returns_tuple: bool = False
    filename: str = "<unknown>"
    first_line: int = 1

    def __str__(self):
        from .printer import format_function

        return format_function(self)


def walk(region: Region) -> Iterator[Op]:
    """All ops of a region, nested ones included, in program order. One generator with a
    stack of the blocks being walked (a generator per level cost every op one resumption
    per enclosing block; the clean-up walks a long adjoint hundreds of times); an op's
    blocks are looked up after the op is yielded, as a nested walk would."""
    stack = [iter(region.ops)]
    while stack:
        for op in stack[-1]:
            yield op
            subs = op.regions()
            if subs:
                stack.extend(iter(sub.ops) for sub in reversed(subs))
                break
        else:
            stack.pop()


def walk_nested(op: Op) -> Iterator[Op]:
    """All ops inside ``op``'s regions, in program order."""
    for sub in op.regions():
        yield from walk(sub)


_IMMUTABLE = frozenset({str, int, float, complex, bool, type(None)})
_SLOTS: dict = {}


def _slots(cls) -> tuple:
    """The fields of an IR class held in slots, its bases' included."""
    names = _SLOTS.get(cls)
    if names is None:
        names = _SLOTS[cls] = tuple(n for c in cls.__mro__ for n in getattr(c, "__slots__", ()))
    return names


def copy_ir(obj, memo=None):
    """A deep copy of an IR object (a Function, Region, Op or Value) that keeps sharing
    (one copy per Value, however many ops use it), like :func:`copy.deepcopy`, at several
    times its speed: the IR's own objects, lists and dicts are copied field by field (a
    field holding a str, number or None is shared, never looked up or copied: most of a
    long function's hundreds of thousands of fields), anything else (a constant array, a
    getter) is left to :func:`copy.deepcopy` with the same memo."""
    return _copy_of(obj, {} if memo is None else memo)


def _copy_of(obj, memo):
    kind = type(obj)
    if kind in _IMMUTABLE:
        return obj
    done = memo.get(id(obj))
    if done is not None:
        return done
    if kind is list:
        new = memo[id(obj)] = []
        new.extend([x if type(x) in _IMMUTABLE else _copy_of(x, memo) for x in obj])
        return new
    if kind is dict:
        new = memo[id(obj)] = {}
        new.update({k if type(k) in _IMMUTABLE else _copy_of(k, memo):
                    v if type(v) in _IMMUTABLE else _copy_of(v, memo) for k, v in obj.items()})
        return new
    if isinstance(obj, (Value, Op, Region)):
        new = memo[id(obj)] = object.__new__(kind)
        for k in _slots(kind):
            v = getattr(obj, k)
            setattr(new, k, v if type(v) in _IMMUTABLE else _copy_of(v, memo))
        return new
    if isinstance(obj, Function):
        new = memo[id(obj)] = object.__new__(kind)
        new.__dict__.update({k: _copy_of(v, memo) for k, v in obj.__dict__.items()})
        return new
    return _copy.deepcopy(obj, memo)

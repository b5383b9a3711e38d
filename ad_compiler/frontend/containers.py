"""Containers of values in the frontend: tuples, lists, dicts and records of IR Values.

A tuple, list or dict in the user's function is a structure known at compile time whose
leaves are IR :class:`~.ir.Value` s; it is never an IR value itself (an IR tuple would have no
adjoint, and ``x = a, b; return x[1]`` would lose its gradient). Indexing one with a constant,
unpacking it, ``len()`` of it, passing it to an inlined helper or returning it from one all
happen at compile time and cost nothing at run time. Control flow carries a container leaf by
leaf (:func:`leaves` / :func:`rebuild`), so both branches of an ``if`` and every iteration of a
loop must give it the same structure.

The environment entries a container becomes:

* ``tuple`` of entries (Python's tuple itself);
* :class:`ListValue` (a list: ``append`` and ``pop`` work in straight-line code);
* ``dict`` with constant (str, int) keys;
* :class:`Record`: an object whose attributes are entries (a NamedTuple, a dataclass);
* :class:`ComplexPair`: a complex value (an np.fft result) as its real and imaginary parts
  (:mod:`.complexes`).

:func:`entry_of_tree` builds the entry of a parameter that the user passes as a pytree
(flattened by the pipeline into leaf Values) from its structure.
"""

from __future__ import annotations

from .ir import Value


class ListValue:
    """A Python list of entries. ``depth`` is the control-flow depth it was made at: it may
    only grow or shrink (append/pop) at that depth, where its length is known."""

    def __init__(self, items, depth=0):
        self.items = list(items)
        self.depth = depth

    def __len__(self):
        return len(self.items)


class Record:
    """An object whose fields are entries: ``r.w`` and, for a NamedTuple, ``r[0]``."""

    def __init__(self, cls, fields: dict, positional=False):
        self.cls = cls
        self.fields = dict(fields)
        self.positional = positional      # a NamedTuple: also a tuple of its fields

    def as_tuple(self):
        return tuple(self.fields.values())


class ComplexPair:
    """A complex value as two real Values of one shape, its real and imaginary parts."""

    def __init__(self, re, im):
        self.re = re
        self.im = im


CONTAINERS = (tuple, ListValue, dict, Record, ComplexPair)


def is_container(entry) -> bool:
    return isinstance(entry, CONTAINERS)


def sequence(entry):
    """The items of a tuple, a list, or a NamedTuple record; None for anything else."""
    if isinstance(entry, tuple):
        return entry
    if isinstance(entry, ListValue):
        return tuple(entry.items)
    if isinstance(entry, Record) and entry.positional:
        return entry.as_tuple()
    return None


def entry_of_tree(treedef, leaf_values, depth=0):
    """The environment entry of a pytree argument of structure ``treedef`` (a
    :class:`ad_compiler.pytree.TreeDef`) whose leaves are ``leaf_values``, built from the
    structure alone: the user's class is never instantiated with IR Values (its
    ``__init__``/``__post_init__`` would run on them)."""
    it = iter(leaf_values)

    def build(t):
        if t.kind == "leaf":
            return next(it)
        children = [build(c) for c in t.children]
        if t.kind in ("namedtuple", "dataclass"):
            return Record(t.cls, dict(zip(t.keys, children)), positional=t.kind == "namedtuple")
        if t.kind == "dict":
            return dict(zip(t.keys, children))
        return tuple(children) if t.kind == "tuple" else ListValue(children, depth)

    return build(treedef)


def output_tree(entry):
    """``(leaf entries, TreeDef)`` of what a function returns, ordered as
    :func:`ad_compiler.pytree.flatten` orders the Python value it returns (dict keys
    sorted), so that the caller rebuilds the result with ``pytree.unflatten``."""
    from ..pytree import LEAF, TreeDef

    out = []

    def walk(e):
        if isinstance(e, dict):
            keys = tuple(sorted(e))
            return TreeDef("dict", tuple(walk(e[k]) for k in keys), keys)
        if isinstance(e, Record):
            keys = tuple(e.fields)
            return TreeDef("namedtuple" if e.positional else "dataclass",
                           tuple(walk(e.fields[k]) for k in keys), keys, e.cls)
        if isinstance(e, (tuple, ListValue)):
            items = e if isinstance(e, tuple) else e.items
            return TreeDef("tuple" if isinstance(e, tuple) else "list",
                           tuple(walk(i) for i in items))
        out.append(e)
        return LEAF

    tree = walk(entry)
    return out, tree


# --- structure and leaves: how control flow carries a container ---------------------------
def skeleton(entry):
    """A hashable description of a container's structure (None for a leaf)."""
    if isinstance(entry, tuple):
        return ("tuple", tuple(skeleton(e) for e in entry))
    if isinstance(entry, ListValue):
        return ("list", tuple(skeleton(e) for e in entry.items))
    if isinstance(entry, dict):
        return ("dict", tuple((k, skeleton(v)) for k, v in entry.items()))
    if isinstance(entry, Record):
        return ("record", entry.cls, entry.positional,
                tuple((k, skeleton(v)) for k, v in entry.fields.items()))
    if isinstance(entry, ComplexPair):
        return ("complex",)
    return None


def leaves(entry) -> list:
    """The leaf entries of a container, in a fixed order (a leaf: ``[entry]``)."""
    if isinstance(entry, tuple):
        return [leaf for e in entry for leaf in leaves(e)]
    if isinstance(entry, ListValue):
        return [leaf for e in entry.items for leaf in leaves(e)]
    if isinstance(entry, dict):
        return [leaf for v in entry.values() for leaf in leaves(v)]
    if isinstance(entry, Record):
        return [leaf for v in entry.fields.values() for leaf in leaves(v)]
    if isinstance(entry, ComplexPair):
        return [entry.re, entry.im]
    return [entry]


def rebuild(like, new_leaves, depth=0):
    """A container of the structure of ``like`` whose leaves are ``new_leaves`` (consumed
    in the order :func:`leaves` gives)."""
    it = iter(new_leaves)

    def build(entry):
        if isinstance(entry, tuple):
            return tuple(build(e) for e in entry)
        if isinstance(entry, ListValue):
            return ListValue([build(e) for e in entry.items], depth)
        if isinstance(entry, dict):
            return {k: build(v) for k, v in entry.items()}
        if isinstance(entry, Record):
            return Record(entry.cls, {k: build(v) for k, v in entry.fields.items()},
                          entry.positional)
        if isinstance(entry, ComplexPair):
            return ComplexPair(next(it), next(it))
        return next(it)

    return build(like)


def holds_complex(entry) -> bool:
    """Whether a complex value is part of ``entry``."""
    if isinstance(entry, ComplexPair):
        return True
    if isinstance(entry, dict):
        return any(holds_complex(v) for v in entry.values())
    if isinstance(entry, Record):
        return any(holds_complex(v) for v in entry.fields.values())
    items = sequence(entry)
    return items is not None and any(holds_complex(v) for v in items)


def all_values(entry) -> bool:
    """Whether every leaf of ``entry`` is an IR Value (not a function or module)."""
    return all(isinstance(leaf, Value) for leaf in leaves(entry))

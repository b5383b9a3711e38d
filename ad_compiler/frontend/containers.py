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
* :class:`Record`: an object whose attributes are entries (a NamedTuple, a dataclass).

:func:`entry_of` turns a Python structure of Values (tuples, lists, dicts, NamedTuples ...)
into the environment entry for a parameter; the pipeline binds a parameter that the user
passes as a pytree this way after flattening it into leaf Values.
"""

from __future__ import annotations

import dataclasses

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


CONTAINERS = (tuple, ListValue, dict, Record)


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


def entry_of(tree, depth=0):
    """The environment entry of a Python structure whose leaves are Values (or entries).

    Tuples stay tuples, lists become :class:`ListValue`, dicts dicts (keys as given),
    NamedTuples and dataclass instances :class:`Record` s; a Value is its own entry."""
    if isinstance(tree, Value):         # (a Value is a dataclass too: not a record)
        return tree
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return Record(type(tree), {f: entry_of(getattr(tree, f), depth) for f in tree._fields},
                      positional=True)
    if isinstance(tree, tuple):
        return tuple(entry_of(t, depth) for t in tree)
    if isinstance(tree, list):
        return ListValue([entry_of(t, depth) for t in tree], depth)
    if isinstance(tree, dict):
        return {k: entry_of(v, depth) for k, v in tree.items()}
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return Record(type(tree), {f.name: entry_of(getattr(tree, f.name), depth)
                                   for f in dataclasses.fields(tree)})
    return tree


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
        return next(it)

    return build(like)


def all_values(entry) -> bool:
    """Whether every leaf of ``entry`` is an IR Value (not a function or module)."""
    return all(isinstance(leaf, Value) for leaf in leaves(entry))

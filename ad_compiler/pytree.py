"""Pytrees as JAX defines them: (nested) tuples, lists, dicts with string keys, NamedTuples and
dataclass instances whose leaves are floats, ints, bools and arrays.

NamedTuples and dataclasses are pytrees without registration (what ``jax.tree_util``'s
``register_dataclass`` does by hand): their fields, in declaration order, are the children, so
``ad.grad(Model.loss)(model, x)`` differentiates w.r.t. every field of ``model`` and returns
the gradient as a ``Model``.

Why flatten at the call boundary: compiled code (Numba above all) takes flat, typed
parameters. A container argument is flattened into its leaves, the leaves become separate
parameters of the generated function (the frontend binds the parameter's name to the same
structure of leaf values), and a gradient with respect to the argument is rebuilt with
:func:`unflatten` into the argument's own structure. Dict keys are sorted, as in JAX, so
``{"b": .., "a": ..}`` and ``{"a": .., "b": ..}`` are one structure.

A :class:`TreeDef` is hashable and prints compactly (``(*, {'b': *, 'w': *})``): it is part of
the compile cache key, next to the leaves' kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

import dataclasses

__all__ = ["TreeDef", "LEAF", "is_node", "flatten", "unflatten", "leaf_names", "leaf_paths"]


@dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree without its leaves."""

    kind: str               # "leaf", "tuple", "list", "dict", "namedtuple", "dataclass"
    children: tuple = ()
    keys: tuple = ()        # dict keys (sorted), NamedTuple or dataclass field names
    cls: type | None = None  # the NamedTuple or dataclass class

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)

    def __str__(self):
        if self.kind == "leaf":
            return "*"
        inner = [str(c) for c in self.children]
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, inner)) + "}"
        if self.kind in ("namedtuple", "dataclass"):
            return f"{self.cls.__name__}(" + ", ".join(
                f"{k}={c}" for k, c in zip(self.keys, inner)) + ")"
        if self.kind == "list":
            return "[" + ", ".join(inner) + "]"
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


LEAF = TreeDef("leaf")


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_dataclass_instance(x) -> bool:
    return dataclasses.is_dataclass(x) and not isinstance(x, type)


def is_node(x) -> bool:
    """Whether ``x`` is a container (flattened into leaves) rather than a leaf."""
    return isinstance(x, (tuple, list, dict)) or _is_dataclass_instance(x)


def flatten(x):
    """``(leaves, treedef)``: the leaves of ``x`` in order (dict keys sorted)."""
    leaves = []
    return leaves, _flatten(x, leaves)


def _flatten(x, leaves) -> TreeDef:
    if isinstance(x, dict):
        if not all(isinstance(k, str) for k in x):
            raise TypeError(f"dict arguments need string keys, got keys {list(x)!r}")
        keys = tuple(sorted(x))
        return TreeDef("dict", tuple(_flatten(x[k], leaves) for k in keys), keys)
    if _is_namedtuple(x):
        return TreeDef("namedtuple", tuple(_flatten(v, leaves) for v in x),
                       tuple(type(x)._fields), type(x))
    if _is_dataclass_instance(x):
        names = tuple(f.name for f in dataclasses.fields(x))
        return TreeDef("dataclass", tuple(_flatten(getattr(x, k), leaves) for k in names),
                       names, type(x))
    if isinstance(x, (tuple, list)):
        return TreeDef("tuple" if isinstance(x, tuple) else "list",
                       tuple(_flatten(v, leaves) for v in x))
    leaves.append(x)
    return LEAF


def unflatten(treedef: TreeDef, leaves):
    """The pytree of structure ``treedef`` holding ``leaves`` (an iterable, in order)."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    if next(it, _END) is not _END:
        raise ValueError(f"too many leaves for structure {treedef}")
    return out


_END = object()


def _unflatten(t: TreeDef, it):
    if t.kind == "leaf":
        value = next(it, _END)
        if value is _END:
            raise ValueError("too few leaves for the structure")
        return value
    children = [_unflatten(c, it) for c in t.children]
    if t.kind == "dict":
        return dict(zip(t.keys, children))
    if t.kind == "namedtuple":
        return t.cls(*children)
    if t.kind == "dataclass":
        return _new_dataclass(t.cls, dict(zip(t.keys, children)))
    return tuple(children) if t.kind == "tuple" else children


def _new_dataclass(cls, values: dict):
    """An instance of dataclass ``cls`` with these field values, built as JAX does (the
    constructor with the ``init`` fields; the others set afterwards, frozen or not)."""
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    obj = cls(**{k: v for k, v in values.items() if k in init})
    for k, v in values.items():
        if k not in init:
            object.__setattr__(obj, k, v)
    return obj


def _leaf_labels(name: str, treedef: TreeDef, step) -> list:
    """One label per leaf of argument ``name``, each child's from ``step(parent, key, kind)``."""
    if treedef.kind == "leaf":
        return [name]
    keys = treedef.keys if treedef.keys else range(len(treedef.children))
    out = []
    for key, child in zip(keys, treedef.children):
        out += _leaf_labels(step(name, key, treedef.kind), child, step)
    return out


def leaf_names(name: str, treedef: TreeDef) -> list:
    """Readable parameter names of the leaves of argument ``name``: ``params_0``,
    ``params_w``, ``params_layer_0`` (what the generated function's signature shows)."""
    return _leaf_labels(name, treedef, lambda parent, key, kind: f"{parent}_{key}")


def leaf_paths(name: str, treedef: TreeDef) -> list:
    """Each leaf as Python reaches it (``params[0]``, ``p['w']``, ``model.w``): what an
    error about one leaf names."""
    return _leaf_labels(name, treedef, lambda parent, key, kind: f"{parent}.{key}"
                        if kind in ("namedtuple", "dataclass") else f"{parent}[{key!r}]")

"""Pytrees as JAX defines them: (nested) tuples, lists, dicts with string keys and NamedTuples
whose leaves are floats, ints, bools and arrays.

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

__all__ = ["TreeDef", "LEAF", "flatten", "unflatten", "leaf_names"]


@dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree without its leaves."""

    kind: str                      # "leaf", "tuple", "list", "dict", "namedtuple"
    children: tuple = ()
    keys: tuple = ()               # dict keys (sorted) or NamedTuple field names
    cls: type | None = None        # the NamedTuple class

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind == "leaf" else sum(c.num_leaves for c in self.children)

    def __str__(self):
        if self.kind == "leaf":
            return "*"
        inner = [str(c) for c in self.children]
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, inner)) + "}"
        if self.kind == "namedtuple":
            return f"{self.cls.__name__}(" + ", ".join(
                f"{k}={c}" for k, c in zip(self.keys, inner)) + ")"
        if self.kind == "list":
            return "[" + ", ".join(inner) + "]"
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


LEAF = TreeDef("leaf")


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


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
    return tuple(children) if t.kind == "tuple" else children


def leaf_names(name: str, treedef: TreeDef) -> list:
    """Readable parameter names of the leaves of argument ``name``: ``params_0``,
    ``params_w``, ``params_layer_0`` (what the generated function's signature shows)."""
    if treedef.kind == "leaf":
        return [name]
    out = []
    labels = treedef.keys if treedef.kind in ("dict", "namedtuple") else \
        [str(k) for k in range(len(treedef.children))]
    for label, child in zip(labels, treedef.children):
        out += leaf_names(f"{name}_{label}", child)
    return out

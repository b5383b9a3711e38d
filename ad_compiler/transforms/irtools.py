"""Small questions about IR values that several reverse-mode passes ask."""

from __future__ import annotations

from ..frontend.ir import Const, Function, walk

SCALAR_KINDS = ("float", "int", "bool")


def element_index(index) -> bool:
    """Whether an index picks single elements (every part an integer)."""
    return all(i.kind == "int" for i in index)


def is_int(v, number) -> bool:
    return isinstance(v, Const) and v.kind == "int" and v.value == number


def all_names(fn: Function) -> set[str]:
    names = {v.name for v in fn.params + fn.free_vars}
    for op in walk(fn.body):
        names.update(v.name for v in op.results)
        for sub in op.regions():
            names.update(v.name for v in sub.args)
    return names

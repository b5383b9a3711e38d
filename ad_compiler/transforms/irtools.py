"""Small questions about IR values that several reverse-mode passes ask, and the variable
helpers of imperative IR (where a name is a variable: two Values of one name are one)."""

from __future__ import annotations

from ..frontend.ir import Const, For, Function, If, Op, Region, Value, While, walk

SCALAR_KINDS = ("float", "int", "bool")
NESTING = frozenset({If, For, While})    # the ops that hold blocks
# primitives whose result is a new array of the function's own (no caller's memory)
ALLOCATING = frozenset({"adjoint_zero", "tape", "tape_of_arrays", "reserve", "grow", "copy",
                        "zeros", "zeros_like", "empty", "empty_like", "ones", "ones_like",
                        "full", "full_like"})


def element_index(index, array=None) -> bool:
    """Whether an index picks single elements (every part an integer and, when ``array``
    is given, one per axis of it: ``m[0]`` of a matrix is a row, a view)."""
    if array is not None and array.ndim is not None and len(index) < array.ndim:
        return False
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


def named(v) -> bool:
    """Whether ``v`` is a variable (a Value that is neither a constant nor undefined: the
    only subclasses of Value; asked millions of times by the clean-up passes)."""
    return type(v) is Value


def defined(op: Op) -> set[str]:
    """Names ``op`` assigns, nested regions (their block arguments too) included."""
    out = {v.name for v in op.results if type(v) is Value}
    if type(op) in NESTING:
        for sub in op.regions():
            out.update(v.name for v in sub.args if type(v) is Value)
            for inner in sub.ops:
                out |= defined(inner)
    return out


def read(op: Op) -> set[str]:
    """Names ``op`` reads, nested regions (their yields too) included."""
    out = {v.name for v in op.operands if type(v) is Value}
    if type(op) in NESTING:
        for sub in op.regions():
            out.update(v.name for v in sub.yields if type(v) is Value)
            for inner in sub.ops:
                out |= read(inner)
    return out


def substitute(region: Region, old: str, new: Value):
    def sub(v):
        return new if named(v) and v.name == old else v

    for op in region.ops:
        op.operands = [sub(v) for v in op.operands]
        for inner in op.regions():
            substitute(inner, old, new)
    region.yields = [sub(v) for v in region.yields]


def rewrite_blocks(fn: Function, rewrite) -> bool:
    """``rewrite(region)`` on the function's body and every nested block; whether any
    changed something."""
    changed = False
    for region in all_regions(fn.body):
        changed |= rewrite(region)
    return changed


def all_regions(region: Region):
    """``region`` and every region nested in it, outermost first (one generator with a
    stack; a block's statements are looked up after the block is yielded, so a rewrite of
    the block is walked as rewritten)."""
    stack = [region]
    while stack:
        block = stack.pop()
        yield block
        for op in reversed(block.ops):
            if type(op) in NESTING:
                stack.extend(reversed(op.regions()))

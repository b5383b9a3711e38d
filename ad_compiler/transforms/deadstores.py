"""Stores into an array that nothing reads before the whole array is overwritten, and
stores read back unchanged (part of the clean-up of derivative IR, :mod:`.cleanup`).

The reverse sweep of code that writes an array in place restores the overwritten elements
as it walks back (``u[i] = _tape[k]``), and a function whose caller's array must come
back as the primal left it copies it first and writes it back at the end
(``u_final = u.copy() ... u[:] = u_final``). When no adjoint reads the array, the
restoring stores only feed that final write: they go, and then the copy and the write-back
(the array already holds what the copy holds) go too.

A store into an array of the function's own at constant indices (``_tape[0] = v``, the
one-entry tape of a loop re-run one iteration at a time) read back at the same indices,
nothing in between writing that array or ``v``, is read as ``v``; the tape, left unread,
then goes with the dead code.

What may read an array: any array operand of any statement that is that array or not
memory of the function's own (an allocation: tapes, adjoints, copies, zeros), since a
parameter or a view may share the caller's memory with it. Only the targets of stores do
not read (a store into an element that is overwritten later feeds only that).
"""

from __future__ import annotations

from ..frontend.ir import Assign, Const, Function, Load, Op, Prim, Region, Store, walk
from .irtools import ALLOCATING, all_regions, defined, named

_MEMORY = ("array", "any")


def drop_dead_stores(fn: Function, own: set | None = None) -> bool:
    """Both removals of the module docstring over ``fn``'s body (in place); ``own``: its
    :func:`own_arrays`, when the caller has them."""
    own = own_arrays(fn) if own is None else own
    slices = {op.results[0].name: op for op in walk(fn.body)
              if isinstance(op, Prim) and op.name == "slice"}
    changed = _drop_before_overwrite(fn.body, own, slices)
    changed |= _drop_write_backs(fn.body.ops, own, slices)
    for region in all_regions(fn.body):
        changed |= _forward_stores(region, own)
    return changed


def own_arrays(fn: Function) -> set[str]:
    """Names every assignment of which allocates (never a parameter): memory nothing else
    shares."""
    params = {v.name for v in fn.params + fn.free_vars}
    allocating: dict[str, bool] = {}
    for op in walk(fn.body):
        for r in op.results:
            if named(r):
                allocating[r.name] = allocating.get(r.name, True) and \
                    isinstance(op, Prim) and op.name in ALLOCATING
        for sub in op.regions():
            for a in sub.args:
                if named(a):
                    allocating[a.name] = False
    return {n for n, yes in allocating.items() if yes and n not in params}


def _full_overwrite(op: Op, slices: dict) -> str | None:
    """The array ``op`` overwrites whole (``a[:] = v``, ``a[:, :] = v``), or None."""
    if not isinstance(op, Store) or op.accumulate or not named(op.operands[0]):
        return None
    for index in op.operands[1:-1]:
        full = slices.get(index.name) if named(index) else None
        if full is None or not all(isinstance(b, Const) and b.value is None
                                   for b in full.operands):
            return None
    return op.operands[0].name if len(op.operands) > 2 else None


def _may_read(op: Op, array: str, own: set) -> bool:
    """Whether ``op`` (nested regions included) may read ``array``'s memory."""
    for inner in [op, *(x for sub in op.regions() for x in walk(sub))]:
        values = inner.operands[1:] if isinstance(inner, Store) else inner.operands
        values = list(values) + [v for sub in inner.regions() for v in sub.yields]
        if any(named(v) and v.kind in _MEMORY and (v.name == array or v.name not in own)
               for v in values):
            return True
    return False


def _drop_before_overwrite(body: Region, own: set, slices: dict) -> bool:
    """Walking the function's body backwards: after a whole-array write, an array stays
    dead until something may read it; every store into it met meanwhile (at any depth)
    goes."""
    changed = False
    dead: set[str] = set()
    kept: list[Op] = []
    for op in reversed(body.ops):
        for array in list(dead):
            if _may_read(op, array, own) or array in defined(op):   # (another array then)
                dead.discard(array)
        if isinstance(op, Store) and named(op.operands[0]) and op.operands[0].name in dead \
                and _full_overwrite(op, slices) is None:
            changed = True
            continue
        for array in dead:
            changed |= _drop_stores_into(op, array)
        target = _full_overwrite(op, slices)
        if target is not None and not _may_read(op, target, own):
            dead.add(target)
        kept.append(op)
    body.ops = kept[::-1]
    return changed


def _drop_stores_into(op: Op, array: str) -> bool:
    changed = False
    for sub in op.regions():
        before = len(sub.ops)
        sub.ops = [x for x in sub.ops if not (isinstance(x, Store) and
                                              named(x.operands[0]) and
                                              x.operands[0].name == array)]
        changed |= len(sub.ops) != before
        for x in sub.ops:
            changed |= _drop_stores_into(x, array)
    return changed


def _drop_write_backs(ops: list, own: set, slices: dict) -> bool:
    """``c = a.copy(); ...; a[:] = c`` with nothing in between that may write ``a`` (a
    store into it or into memory not the function's own, a call run as written) or
    reassign ``a`` or ``c``: the write-back goes."""
    copies: dict[str, str] = {}   # copy's name -> the array it copies, still equal
    changed = False
    k = 0
    while k < len(ops):
        op = ops[k]
        target = _full_overwrite(op, slices)
        value = op.operands[-1] if isinstance(op, Store) else None
        if target is not None and named(value) and copies.get(value.name) == target:
            del ops[k]
            changed = True
            continue
        for inner in [op, *(x for sub in op.regions() for x in walk(sub))] if copies else ():
            if _writes_memory(inner, own):
                copies.clear()
            written = {r.name for r in inner.results if named(r)} | \
                {a.name for sub in inner.regions() for a in sub.args if named(a)}
            if isinstance(inner, Store) and named(inner.operands[0]):
                written.add(inner.operands[0].name)
            copies = {c: a for c, a in copies.items() if not {c, a} & written}
        if isinstance(op, Prim) and op.name == "copy" and named(op.operands[0]) and \
                op.operands[0].kind == "array" and named(op.results[0]):
            copies[op.results[0].name] = op.operands[0].name
        k += 1
    return changed


def _writes_memory(op: Op, own: set) -> bool:
    if isinstance(op, Store):
        return not (named(op.operands[0]) and op.operands[0].name in own)
    return isinstance(op, Prim) and op.name == "opaque_call"



def _forward_stores(region: Region, own: set) -> bool:
    """``a[0] = v; ...; x = a[0]`` -> ``x = v`` in ``region`` (module docstring)."""
    stored: dict[tuple, object] = {}   # (array, constant indices) -> the value stored
    changed = False
    for k, op in enumerate(region.ops):
        if isinstance(op, Load) and named(op.operands[0]) and \
                _place(op.operands[0], op.operands[1:]) in stored and \
                op.results[0].kind in ("float", "int", "bool"):
            value = stored[_place(op.operands[0], op.operands[1:])]
            region.ops[k] = Assign(op.results, [value], op.line)
            changed = True
        if stored:      # (what it no longer holds)
            written = defined(op)
            writes = {x.operands[0].name for x in [op, *(y for sub in op.regions()
                                                          for y in walk(sub))]
                      if isinstance(x, Store) and named(x.operands[0])}
            stored = {key: v for key, v in stored.items() if key[0] not in written | writes
                      and not (named(v) and v.name in written)}
        if isinstance(op, Store) and not op.accumulate and named(op.operands[0]) and \
                op.operands[0].name in own and \
                all(isinstance(i, Const) and i.kind == "int" for i in op.operands[1:-1]):
            stored[_place(op.operands[0], op.operands[1:-1])] = op.operands[-1]
    return changed


def _place(array, index) -> tuple:
    return (array.name, *(i.value if isinstance(i, Const) else None for i in index))

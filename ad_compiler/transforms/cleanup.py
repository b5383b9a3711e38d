"""Clean-up of derivative code (imperative IR), run after differentiation.

The reverse transform emits code one rule at a time: it copies a carried adjoint into a
fresh variable at the top of every reverse iteration, zeroes an adjoint before a branch that
assigns it on both paths, repeats the same accumulation in both branches and accumulates a
value in three statements where a person writes one expression. This pass removes that noise
without changing what is computed, so the printed adjoint reads like a hand-written one and
Numba compiles fewer lines:

* **constant folding**: a primitive of constants (``trip_count(0, 3, 1)``) becomes its value;
* **named results**: ``_t5 = e; b_w = _t5`` (a temporary read once, by the copy) is
  ``b_w = e``, so adjoints keep the names of what they are adjoints of;
* **copy propagation**: ``y = x`` is dropped and ``y`` read as ``x`` when ``y`` has one
  assignment and ``x`` is not reassigned on any path to a use of ``y``; a copy back
  (``x = y`` after ``y = x``, neither reassigned) is dropped;
* **no zero-init before assignment**: ``b = 0.0`` followed by a branch whose every path
  first does ``b = b + e`` becomes ``b = e`` on each path;
* **identical branch heads and tails** are hoisted out of the ``if`` (an ``if`` left empty is
  dropped);
* **an element zeroed and added back**: ``t = b[i]; b[i] = 0.0; ...; b[i] += t`` (the
  adjoint of ``a[i] = a[i] + e``) leaves ``b[i]`` as it was: both stores go;
* **repeated accumulations** ``b = e1; b = b + e2`` (nothing reads ``b`` in between) become
  one expression ``b = e1 + e2`` (a temporary the printer inlines);
* **constants on straight-line code**: ``k = 0; ...; k0 = k`` copies ``0``; an assignment
  overwritten before any read goes (a ``while`` whose test holds ``True`` runs at least
  once); ``x - 0``, ``x * 1`` (ints) and ``x & True`` are ``x``;
* **the adjoint of ``if c: v = e``**: a zero before the ``if`` moves into its branches (to
  the end of a branch that does not read it), and an accumulation of a branch's value after
  the ``if`` moves into the branches, gone where that value is the zero: what is left reads
  ``if c: b_e += b_v; b_v = 0.0``;
* **accumulating stores** ``b[i] += e1; b[i] += e2`` become ``b[i] += e1 + e2``;
* **dead code**: statements no effect needs (liveness from the returned values, stores,
  tape updates and control flow: a variable only its own updates read goes, with the loop
  slots that carry it and loops left empty), and tapes nobody reads back (their pushes and
  allocation). With the value dropped (``grad``, ``cleanup(fn, drop_outputs=n)``) this removes
  the code only the value needed.

Imperative IR names variables, not values (two Values with one name are one Python
variable, e.g. a loop index in both sweeps), so every analysis here keys variables by name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from ..frontend.ir import Assign, Const, For, Function, If, Load, Op, Prim, Region, Store, \
    Undef, Value, While, copy_ir, walk, walk_nested
from .builder import _FOLD, Namer
from .copies import propagate_copies
from .deadstores import drop_dead_stores, own_arrays
from .firstwrites import assign_first_writes
from .guards import drop_values_for_skipped_loops
from .irtools import ALLOCATING, NESTING, all_regions, defined as _defined, named as _named, \
    read as _read, substitute as _substitute
from .updates import forward_updated_copies

_ALLOCATIONS = ("tape", "tape_of_arrays", "array_list", "reference_list")
_TAPE_UPDATES = ("reserve", "grow", "list_put", "put_reference")   # tape = update(tape, ...)
_ROUNDS = 16    # a cap: the clean-up of the test suite's functions settles in at most 6
_SCALARS = ("float", "int", "bool", "slice")
_TEMPORARY = re.compile(r"^_t\d+$")


def cleanup(fn: Function, drop_outputs: int = 0, unit_seeds: int = 0) -> Function:
    """A simplified copy of derivative IR ``fn`` (see the module docstring). A copy: the
    forward sweep holds the primal's own ops, and the passes rewrite ops in place (an
    unrolled loop's index replaced by its start would otherwise change the primal too).
    ``drop_outputs``: how many of the first results go (the primal outputs, when only the
    gradients are asked for), and with them the code only they needed. ``unit_seeds``:
    how many of the last parameters (the seeds) every call passes as 1.0 (``grad``): the
    body reads the constant, so ``g * e`` is ``e`` (the parameters stay, callers are
    unchanged)."""
    fn = copy_ir(fn)
    if unit_seeds:
        for seed in fn.params[len(fn.params) - unit_seeds:]:
            _substitute(fn.body, seed.name, Const(1.0))
        _forward_constants(fn.body)     # the constant through its copies, folded on the way
    if drop_outputs:
        fn.body.yields = fn.body.yields[drop_outputs:]
        fn.returns_tuple = True
    namer = Namer(_names(fn))
    _simplify(fn, namer)
    _merge_accumulations(fn.body, namer)
    _merge_stores(fn.body, namer, {op.results[0].name: op for op in walk(fn.body)
                                   if isinstance(op, Prim) and op.name == "slice"})
    assign_first_writes(fn)
    _doubles(fn)
    _copies_back(fn, _Census(fn))
    propagate_copies(fn)
    _remove_dead(fn)
    return fn


def _doubles(fn: Function):
    """``t1 = e; t2 = e; t1 + t2`` -> ``2.0 * t1`` (the adjoint of ``d * d``: exact, ``x +
    x`` and ``2.0 * x`` round alike, and a Python float keeps an array's dtype) where the
    two temporaries are read only there and nothing between them changes what ``e``
    reads."""
    reads = _read_counts(fn)
    for region in all_regions(fn.body):
        defs, gone = {}, set()
        for k, op in enumerate(region.ops):
            if isinstance(op, Prim) and op.name == "add" and not op.attrs and \
                    len(op.operands) == 2 and all(_named(v) and v.name in defs and
                                                  reads.get(v.name) == 1
                                                  for v in op.operands) and \
                    op.operands[0].name != op.operands[1].name and \
                    op.results[0].kind in ("float", "array") and op.results[0].dtype is None:
                (i, first), (j, second) = sorted((defs[v.name], region.ops[defs[v.name]])
                                                 for v in op.operands)
                if _same(replace(second, results=first.results), first) and \
                        not any(_defined(x) & (_read(first) | {first.results[0].name})
                                for x in region.ops[i + 1:j]) and \
                        not any(isinstance(x, Store) or x.regions()
                                for x in region.ops[i + 1:j]):
                    gone.add(j)
                    region.ops[k] = replace(op, name="mul", operands=[Const(2.0),
                                                                      first.results[0]])
                    reads[first.results[0].name] = 1
                    continue
            if isinstance(op, Prim) and len(op.results) == 1 and _named(op.results[0]) and \
                    _TEMPORARY.match(op.results[0].name) and op.name not in ALLOCATING and \
                    op.name not in _TAPE_UPDATES and op.name != "opaque_call":
                defs[op.results[0].name] = k
        region.ops = [op for k, op in enumerate(region.ops) if k not in gone]


# --- variables ----------------------------------------------------------------------------
def _names(fn: Function) -> set[str]:
    out = {v.name for v in fn.params + fn.free_vars}
    for op in walk(fn.body):
        out.update(v.name for v in op.results + op.operands if _named(v))
        for sub in op.regions():
            out.update(v.name for v in sub.args + sub.yields if _named(v))
    return out


def _def_counts(fn: Function) -> dict[str, int]:
    """How many times each name is assigned (parameters and block arguments count)."""
    return Counter(v.name for v in _assigned_values(fn) if type(v) is Value)


def _assigned_values(fn: Function):
    yield from fn.params
    yield from fn.free_vars
    for op in walk(fn.body):
        yield from op.results
        if type(op) in NESTING:
            for sub in op.regions():
                yield from sub.args


# --- constant folding ---------------------------------------------------------------------
def _fold_constants(region: Region) -> bool:
    changed = False
    for k, op in enumerate(region.ops):
        for sub in op.regions():
            changed |= _fold_constants(sub)
        folded = _folded(op)
        if folded is not None:
            region.ops[k] = folded
            changed = True
    return changed


def _folded(op: Op):
    """What replaces ``op`` when it folds (exactly), else None: a primitive of int
    constants, an identity (:func:`_identity_operand`), ``-c`` of a float constant,
    ``x + x`` of a float scalar as ``2.0 * x`` (read once, it then prints inside its use)
    and ``-1.0 * x`` as ``-x``."""
    if not isinstance(op, Prim) or op.attrs or not op.operands:
        return None
    if op.name in _FOLD and op.name not in ("div", "pow") and \
            all(isinstance(v, Const) and v.kind == "int" for v in op.operands):
        return Assign(op.results, [Const(_FOLD[op.name](*(v.value for v in op.operands)))],
                      op.line)
    if op.name not in ("add", "sub", "mul", "div", "and", "or", "neg"):
        return None
    identity = _identity_operand(op)
    if identity is not None:
        return Assign(op.results, [identity], op.line)
    if op.name == "neg" and isinstance(op.operands[0], Const) and \
            type(op.operands[0].value) is float:
        return Assign(op.results, [Const(-op.operands[0].value)], op.line)
    if _scalar_double(op):
        return replace(op, name="mul", operands=[Const(2.0), op.operands[0]])
    negated = _negated(op)
    if negated is not None:
        return replace(op, name="neg", operands=[negated])
    return None


def _negated(op: Op):
    """``x`` for ``-1.0 * x`` or ``x * -1.0`` of a float scalar, else None."""
    if not (isinstance(op, Prim) and op.name == "mul" and not op.attrs and
            len(op.operands) == 2 and op.results[0].kind == "float"):
        return None
    for x, c in (op.operands, op.operands[::-1]):
        if isinstance(c, Const) and type(c.value) is float and c.value == -1.0 and \
                x.kind == "float" and x.ndim in (0, None):
            return x
    return None


def _scalar_double(op: Op) -> bool:
    """``x + x`` of a float scalar (``g * b + g * b`` once ``grad``'s seed is 1.0)."""
    return isinstance(op, Prim) and op.name == "add" and not op.attrs and \
        len(op.operands) == 2 and _named(op.operands[0]) and _named(op.operands[1]) and \
        op.operands[0].name == op.operands[1].name and op.results[0].kind == "float" and \
        op.operands[0].kind == "float" and op.operands[0].ndim in (0, None)


def _fold_offsets(fn: Function, census: "_Census") -> bool:
    """``t = x - 1; ... t - 1`` -> ``x - 2`` on ints, where ``t`` and ``x`` are each
    assigned once, in the function's body outside any loop or branch (a parameter for
    ``x`` too): each then holds one value wherever it is read."""
    counts = census.defs
    once = {v.name for v in fn.params + fn.free_vars if counts.get(v.name) == 1}
    once |= {v.name for op in fn.body.ops if not op.regions() for v in op.results
             if _named(v) and counts.get(v.name) == 1}
    offsets = {}   # name -> (x, c): the name holds x + c
    for op in fn.body.ops:
        if _offset(op) is not None and op.results[0].name in once and \
                _offset(op)[0].name in once:
            offsets[op.results[0].name] = _offset(op)
    changed = False
    for op in walk(fn.body):
        mine = _offset(op)
        if mine is None or mine[0].name not in offsets:
            continue
        base, inner = offsets[mine[0].name]
        total = inner + mine[1]
        op.name, op.operands = ("add", [base, Const(total)]) if total >= 0 else \
            ("sub", [base, Const(-total)])
        changed = True
    return changed


def _fold_sizes(fn: Function, census: "_Census") -> bool:
    """``trip_count(0, n, 1)`` -> ``n`` where ``n`` is a size (``x.shape[0]``, assigned once
    in the function's body outside any loop or branch): a size is never negative."""
    counts = census.defs
    sizes = {op.results[0].name for op in fn.body.ops
             if isinstance(op, Load) and op.operands[0].kind == "shape" and
             counts.get(op.results[0].name) == 1 and
             all(isinstance(i, Const) for i in op.operands[1:])}
    changed = False
    for region in all_regions(fn.body):
        for k, op in enumerate(region.ops):
            if isinstance(op, Prim) and op.name == "trip_count" and \
                    _named(op.operands[1]) and op.operands[1].name in sizes and \
                    all(isinstance(c, Const) and c.kind == "int" and c.value == v
                        for c, v in ((op.operands[0], 0), (op.operands[2], 1))):
                region.ops[k] = Assign(op.results, [op.operands[1]], op.line)
                changed = True
    return changed


def _offset(op: Op):
    """(x, c) when ``op`` is ``x + c`` or ``x - c`` on ints (``c`` a constant), else None."""
    if not (isinstance(op, Prim) and op.name in ("add", "sub") and not op.attrs and
            len(op.operands) == 2 and op.results[0].kind == "int"):
        return None
    x, c = op.operands
    if not (_named(x) and x.kind == "int" and isinstance(c, Const) and c.kind == "int"):
        return None
    return x, c.value if op.name == "add" else -c.value


_IDENTITIES = {("add", "int"): 0, ("sub", "int"): 0, ("mul", "int"): 1,
               ("and", "bool"): True, ("or", "bool"): False}


def _identity_operand(op: Prim):
    """``x`` for ``x + 0``, ``0 + x``, ``x - 0``, ``x * 1`` on ints and ``x & True``,
    ``x | False`` on truth values, ``x * 1.0``, ``1.0 * x`` and ``x / 1.0`` on float
    scalars (exact, for -0.0, inf and nan too; ``x + 0.0`` is not: ``-0.0 + 0.0`` is
    ``0.0``; arrays are left alone, ``a * 1.0`` is a new array)."""
    if op.name in ("mul", "div") and len(op.operands) == 2 and op.results[0].kind == "float":
        pairs = (op.operands, op.operands[::-1]) if op.name == "mul" else (op.operands,)
        for x, c in pairs:
            if isinstance(c, Const) and type(c.value) is float and c.value == 1.0 and \
                    x.kind == "float" and x.ndim in (0, None):
                return x
        return None
    if len(op.operands) != 2 or op.results[0].kind not in ("int", "bool"):
        return None
    a, b = op.operands
    if a.kind != b.kind or a.kind != op.results[0].kind:
        return None
    unit = _IDENTITIES.get((op.name, a.kind))
    if unit is None:
        return None
    for x, c in ((a, b), (b, a)) if op.name != "sub" else ((a, b),):
        if isinstance(c, Const) and c.value == unit and type(c.value) is type(unit):
            return x
    return None


# --- copies -------------------------------------------------------------------------------
def _drop_copy_backs(region: Region, equal: dict) -> bool:
    """Drop ``x = y`` where ``x`` and ``y`` are known to hold the same value (available
    copies: ``equal`` maps a name to the names it equals on every path here)."""
    changed = False
    kept: list[Op] = []

    def kill(names):
        for n in names:
            for other in equal.pop(n, ()):
                equal.get(other, set()).discard(n)

    for op in region.ops:
        if isinstance(op, Assign) and _named(op.operands[0]):
            dst, src = op.results[0].name, op.operands[0].name
            if dst == src or src in equal.get(dst, ()):
                changed = True
                continue
            kill([dst])
            equal.setdefault(dst, set()).add(src)
            equal.setdefault(src, set()).add(dst)
            kept.append(op)
            continue
        written = _defined(op)
        if isinstance(op, If):     # a branch asks only about the names it assigns
            for branch in (op.then, op.orelse):
                changed |= _drop_copy_backs(branch, _copy_facts(equal, written))
        elif op.regions():   # no facts: those about what a loop assigns fail from its
            # second iteration on, and its body asks about nothing else
            for sub in op.regions():
                changed |= _drop_copy_backs(sub, {})
        kill(written)
        kept.append(op)
    region.ops = kept
    return changed


def _copy_facts(equal: dict, names) -> dict:
    """The facts about ``names`` (a copy: a block's facts do not leak out of it)."""
    return {k: set(equal[k]) for k in names if k in equal}


def _name_temporaries(fn: Function, census: "_Census") -> bool:
    counts, reads = census.defs, census.reads
    changed = False
    for region in all_regions(fn.body):
        k = 0
        while k < len(region.ops):
            op = region.ops[k]
            j = _named_definition(region.ops, k, counts, reads)
            if j is None:
                k += 1
                continue
            region.ops[j] = replace(region.ops[j], results=[op.results[0]])
            del region.ops[k]
            changed = True
    return changed


def _named_definition(ops, k, counts, reads):
    """For ``ops[k]`` = ``name = _tN``, the index of ``_tN``'s definition when it can assign
    ``name`` directly: ``_tN`` assigned once and read only here, ``name`` not read or
    assigned in between."""
    op = ops[k]
    if not isinstance(op, Assign) or not _named(op.operands[0]) or \
            not _TEMPORARY.match(op.operands[0].name) or _TEMPORARY.match(op.results[0].name):
        return None
    src, dst = op.operands[0].name, op.results[0].name
    if counts.get(src) != 1 or reads.get(src) != 1:
        return None
    for j in range(k - 1, -1, -1):
        prev = ops[j]
        if src in {v.name for v in prev.results if _named(v)} and \
                isinstance(prev, (Prim, Load, Assign)) and len(prev.results) == 1:
            return j
        if dst in _read(prev) | _defined(prev) or src in _defined(prev):
            return None
    return None


def _copies_back(fn: Function, census: "_Census") -> bool:
    """``x = e; ...; y = x`` (``x`` assigned once, here) -> ``y = e``, with the later reads
    of ``x`` reading ``y``: when nothing touches ``y`` between the two and every later read
    of ``x`` comes before ``y`` is next assigned (``b_y_2 = b_y + e; b_y = b_y_2`` at the
    top of a reverse iteration is ``b_y = b_y + e``)."""
    counts, reads = census.defs, census.reads
    changed = False
    for region in all_regions(fn.body):
        k = 0
        while k < len(region.ops):
            if _copy_back(region, k, counts, reads):
                changed = True
                continue
            k += 1
    return changed


_COPY_BACK_REACH = 64   # statements around a copy that a copy-back looks at (linear time)


def _copy_back(region: Region, k: int, counts, reads) -> bool:
    ops, copy = region.ops, region.ops[k]
    if not isinstance(copy, Assign) or not _named(copy.operands[0]) or \
            not _named(copy.results[0]) or copy.operands[0].name == copy.results[0].name:
        return False
    x, y = copy.operands[0].name, copy.results[0].name
    if counts.get(x) != 1 or _TEMPORARY.match(y) or \
            any(_named(v) and v.name == x for v in region.yields):
        return False
    first = max(0, k - _COPY_BACK_REACH)
    j = next((j for j in range(k - 1, first - 1, -1) if x in _defined(ops[j])), None)
    if j is None or not isinstance(ops[j], (Prim, Load)) or len(ops[j].results) != 1 \
            or any(y in _read(o) | _defined(o) for o in ops[j + 1:k]):
        return False
    last = min(len(ops), k + 1 + _COPY_BACK_REACH)
    later = next((m for m in range(k + 1, last) if y in _defined(ops[m])), None)
    if later is None:
        if last < len(ops):
            return False       # too far to look: the copy stays
        later = len(ops)
    region_reads = sum(1 for o in ops[j + 1:later + 1] for v in _operands_deep(o)
                       if _named(v) and v.name == x)
    if region_reads != reads.get(x, 0) or (later < len(ops) and ops[later].regions() and
                                          x in _read(ops[later])):
        return False
    ops[j] = replace(ops[j], results=[copy.results[0]])
    del ops[k]
    _substitute(Region(ops=ops[j + 1:later]), x, copy.results[0])
    counts[x] = 0
    return True


def _operands_deep(op: Op):
    yield from op.operands
    for sub in op.regions():
        yield from sub.yields
        for inner in sub.ops:
            yield from _operands_deep(inner)


# --- constants known on straight-line paths ----------------------------------------------
def _forward_constants(region: Region) -> bool:
    """In each straight-line sequence: a copy of a variable that holds a constant there
    (``k = 0; ...; k0 = k``) copies the constant, an integer or truth constant (or a float
    one that a temporary holds) is read as itself (``k = 0; t[k] = v; k = k + 1`` is
    ``t[0] = v; k = 1``), and an assignment that
    the next statement touching its variable overwrites unread is dropped. A ``while``
    whose test is a variable holding a true constant runs its body at least once, so a body
    that assigns a variable before reading it overwrites it (the restartable ``while``'s
    counters)."""
    changed = False
    known: dict[str, Const] = {}
    unread: dict[str, Op] = {}      # variable -> its last assignment, not read since
    dead = set()
    for k, op in enumerate(region.ops):
        subs = op.regions()
        for sub in subs:
            changed |= _forward_constants(sub)
        if isinstance(op, Assign) and _named(op.operands[0]) and op.operands[0].name in known:
            op.operands = [known[op.operands[0].name]]
            changed = True
        elif not subs and known and any(_named(v) and _read_as_constant(v.name, known)
                                        for v in op.operands):
            op.operands = [known[v.name] if _named(v) and _read_as_constant(v.name, known)
                           else v for v in op.operands]
            changed = True
            op = region.ops[k] = _folded(op) or op      # (a constant known further on)
        if subs:
            reads, defined, overwritten = _read(op), _defined(op), _overwritten(op, known)
        else:   # (the same sets, spelled out for the one op: most of a long adjoint)
            reads = {v.name for v in op.operands if _named(v)}
            defined = {v.name for v in op.results if _named(v)}
            overwritten = defined - reads
        for name in overwritten:
            if name in unread:
                dead.add(id(unread.pop(name)))
        for name in reads:
            unread.pop(name, None)
        for name in defined:
            known.pop(name, None)
            unread.pop(name, None)
        if _is_constant(op):
            known[op.results[0].name] = op.operands[0]
        if not subs and _pure(op) and len(op.results) == 1 and _named(op.results[0]):
            unread[op.results[0].name] = op
    if dead:
        region.ops = [op for op in region.ops if id(op) not in dead]
    return changed or bool(dead)


def _read_as_constant(name: str, known: dict) -> bool:
    """Whether a read of ``name`` reads its known constant instead: an int or truth value,
    or a float held by a temporary (``_t = -1.0`` from ``grad``'s seed; an adjoint's zero
    stays a variable, which the zero-init rules look for)."""
    const = known.get(name)
    return const is not None and (const.kind in ("int", "bool") or (
        const.kind == "float" and _TEMPORARY.match(name) is not None))


def _overwritten(op: Op, known: dict) -> set[str]:
    """Names ``op`` certainly assigns before reading them."""
    if not op.regions():
        return {v.name for v in op.results if _named(v)} - _read(op)
    if not isinstance(op, While) or op.cond.ops or op.inits or \
            not _named(op.cond.yields[0]) or \
            not known.get(op.cond.yields[0].name, Const(False)).value:
        return set()
    first = {v.name for inner in op.body.ops if not inner.regions()
             for v in inner.results if _named(v)}
    return first - _exposed_reads(op.body.ops, op.body.yields) - _read_in(op.cond)


def _read_in(region: Region) -> set[str]:
    out = {v.name for v in region.yields if _named(v)}
    for op in region.ops:
        out |= _read(op)
    return out


def _exposed_reads(ops, yields, assigned=frozenset()) -> set[str]:
    """Names that ``ops`` then ``yields`` may read before assigning them (``assigned``: the
    names already assigned on entry). A ``while`` whose test holds a true constant runs its
    body once at least: what the body assigns before reading counts as assigned after it."""
    assigned = set(assigned)
    out = set()
    for reads, assigns in _effects(ops):
        out |= reads - assigned
        assigned |= assigns
    return out | ({v.name for v in yields if _named(v)} - assigned)


def _effects(ops) -> list[tuple[set, set]]:
    """For each statement of ``ops``: the names it may read before assigning them, and the
    names it certainly assigns (a loop's or ``if``'s results; what a ``while`` that runs at
    least once assigns first). The exposed reads of every suffix ``ops[k:]`` follow from
    these in one backward pass (:func:`_live_before`), which keeps dead-code removal over a
    long body linear."""
    known: dict[str, Const] = {}
    out = []
    for op in ops:
        reads = {v.name for v in op.operands if _named(v)}
        for sub in op.regions():    # a loop body may run again: all its reads count
            reads |= _exposed_reads(sub.ops, sub.yields, () if isinstance(op, If)
                                    else {v.name for v in sub.args if _named(v)})
        assigns = {v.name for v in op.results if _named(v)}
        if isinstance(op, While):
            assigns |= _overwritten(op, known)
        if known:
            for name in _defined(op) if op.regions() else assigns:
                known.pop(name, None)
        if _is_constant(op):
            known[op.results[0].name] = op.operands[0]
        out.append((reads, assigns))
    return out


def _live_before(live: set, effect: tuple[set, set]):
    """``live`` (names read after a statement before being assigned) updated in place to
    what is live before it."""
    reads, assigns = effect
    live -= assigns
    live |= reads


def _drop_dead_in_loops(fn: Function) -> bool:
    """In a loop of the function's body: a pure statement of its body whose variable the
    rest of the body, the next iteration (from the body's start) and what follows the loop
    all assign before reading goes (a counter's value after a reverse loop nothing reads)."""
    changed = False
    ops = fn.body.ops
    effects = _effects(ops)
    after = {v.name for v in fn.body.yields if _named(v)}
    for p in range(len(ops) - 1, -1, -1):
        loop = ops[p]
        if isinstance(loop, (For, While)) and _drop_dead_in_body(loop, after):
            changed = True
            effects[p] = _effects([loop])[0]     # (what it reads may have shrunk)
        _live_before(after, effects[p])
    return changed


def _drop_dead_in_body(loop: Op, after: set) -> bool:
    body = loop.body
    again = _exposed_reads(body.ops, body.yields) | (
        _read_in(loop.cond) if isinstance(loop, While) else set())
    args = {v.name for v in body.args if _named(v)}
    effects = _effects(body.ops)
    rest = {v.name for v in body.yields if _named(v)}   # live after body.ops[q]
    changed = False
    live = (after, again, args, rest)   # (asked name by name: ``after`` is the whole
    for q in range(len(body.ops) - 1, -1, -1):      # function's suffix, long)
        op = body.ops[q]
        names = {v.name for v in op.results if _named(v)}
        if not op.regions() and _pure(op) and names and \
                not any(name in names_live for name in names for names_live in live):
            del body.ops[q]
            changed = True
            continue
        _live_before(rest, effects[q])
    return changed


def _drop_zero_inits(region: Region) -> bool:
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _drop_zero_inits(sub)
    ops, dropped = region.ops, set()
    for k, j in _first_touches(ops, [k for k, op in enumerate(ops) if _is_zero(op)]).items():
        rewrites = None if j is None else \
            _first_touch_assigns(ops[j:j + 1], ops[k].results[0].name)
        if rewrites is not None:
            _assign_instead(region, rewrites, j)
            dropped.add(k)
    if dropped:
        region.ops = [op for k, op in enumerate(ops) if k not in dropped]
    return changed or bool(dropped)


def _first_touches(ops, positions) -> dict:
    """For each index ``k`` of ``positions`` (statements assigning one variable): the index
    of the first statement after it that reads or assigns that variable (None: none), in
    one backward pass (a scan per statement is quadratic on a long adjoint)."""
    wanted = set(positions)
    if not wanted:
        return {}
    names = {ops[k].results[0].name for k in wanted}
    last: dict[str, int] = {}
    out = {}
    for k in range(len(ops) - 1, -1, -1):
        op = ops[k]
        if k in wanted:
            out[k] = last.get(op.results[0].name)
        for name in (_read(op) | _defined(op)) & names:
            last[name] = k
    return {k: out[k] for k in sorted(out)}


def _assign_instead(region: Region, accumulations, start=0):
    """Each ``b = b + e`` of ``accumulations`` (in ``region``, from its statement
    ``start`` on) becomes ``b = e``."""
    for acc in accumulations:
        _replace_op(region, acc, Assign(acc.results, [acc.operands[1]], acc.line), start)


def _is_zero(op: Op) -> bool:
    return _is_constant(op) and isinstance(op.operands[0].value, float) and \
        op.operands[0].value == 0.0


def _split_zero_inits(region: Region) -> bool:
    """``b = 0.0`` before an ``if`` one of whose branches first does ``b = b + e`` (the
    adjoint of ``if c: v = e``) moves into the branches: the accumulations become
    ``b = e`` and a path that does not assign ``b`` first starts with the zero (which may
    then sink or go). This level is split before the nested ones, so that a zero moved
    into a branch splits again into that branch's own ``if``. A zero's next touch is
    found in one backward pass over the block (the touches of its own variable do not
    move when another zero splits)."""
    changed = False
    ops = region.ops
    touches = _first_touches(ops, [k for k, op in enumerate(ops) if _is_zero(op)])
    kept = []
    for k, op in enumerate(ops):
        branch = ops[touches[k]] if touches.get(k) is not None else None
        name = op.results[0].name if k in touches else None
        if isinstance(branch, If) and not branch.results and \
                not any(_named(v) and v.name == name for v in branch.operands) and \
                any(_first_touch_assigns(sub.ops, name) for sub in branch.regions()) and \
                all(sub.ops for sub in branch.regions()):   # no branch made for the zero
            for sub in branch.regions():
                rewrites = _first_touch_assigns(sub.ops, name)
                if rewrites is None:    # the zero starts the branch, then sinks in it
                    sub.ops.insert(0, Assign([_copy(op.results[0])], list(op.operands),
                                             op.line))
                    _sink_constants(sub)
                _assign_instead(sub, rewrites or ())
            changed = True
            continue
        kept.append(op)
    region.ops = kept
    for op in region.ops:
        for sub in op.regions():
            changed |= _split_zero_inits(sub)
    return changed


def _copy(v: Value) -> Value:
    return replace(v) if hasattr(v, "__dataclass_fields__") else v


def _sink_constants(region: Region) -> bool:
    """A constant assignment moves down to just before the next statement that touches its
    variable (the end of its block when none does), so what reads the old value first can
    read it through a copy. The constants that land before one statement stand in name
    order, a constant that lands before another constant of its variable just before it:
    one settled order, which another run leaves as it is (the clean-up's rounds end on
    it). One backward pass finds every next touch; the block is then rebuilt once."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _sink_constants(sub)
    ops = region.ops
    yielded = {v.name for v in region.yields if _named(v)}
    landing: dict[int, list] = {}    # statement index (len(ops): the end) -> constants
    moving = set()
    for k, j in _first_touches(ops, [k for k, op in enumerate(ops)
                                     if _is_constant(op)]).items():
        if j is None and ops[k].results[0].name in yielded:
            continue                     # the block's result stays where it is assigned
        moving.add(k)
        landing.setdefault(len(ops) if j is None else j, []).append(k)
    sunk: list = []

    def place(k):
        for c in sorted(landing.get(k, ()), key=lambda c: ops[c].results[0].name):
            place(c)
        if k < len(ops):
            sunk.append(ops[k])

    for k in range(len(ops) + 1):
        if k not in moving:
            place(k)
    if any(a is not b for a, b in zip(sunk, ops)):
        region.ops = sunk
        changed = True
    return changed


def _is_constant(op: Op) -> bool:
    """``name = constant``."""
    return isinstance(op, Assign) and isinstance(op.operands[0], Const) and \
        _named(op.results[0])


def _sink_stores(region: Region, reads: dict) -> bool:
    """``if c: ... t = e ... else: ... t = 0.0 ...; b[i] += t`` -> the store ends each
    branch, and goes where ``t`` is that zero (adding zero changes nothing); that zero
    goes too when the store was the only read of ``t`` (``reads``: reads per name)."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _sink_stores(sub, reads)
    k = 0
    while k + 1 < len(region.ops):
        branch, store = region.ops[k], region.ops[k + 1]
        if isinstance(branch, If) and not branch.results and isinstance(store, Store) and \
                store.accumulate and _named(store.operands[-1]) and \
                not {v.name for v in store.operands[:-1] if _named(v)} & _defined(branch):
            value = store.operands[-1].name
            lasts = [_last_assign(sub.ops, value) for sub in branch.regions()]
            if all(last is not None for last in lasts) and any(_is_zero(last)
                                                              for last in lasts):
                for sub, last in zip(branch.regions(), lasts):
                    if not _is_zero(last):
                        sub.ops.append(replace(store))
                    elif reads.get(value) == 1:
                        sub.ops.remove(last)
                del region.ops[k + 1]
                changed = True
        k += 1
    return changed


def _read_counts(fn: Function) -> dict:
    """How many times each name is read (operands, yields and the function's results)."""
    return Counter(v.name for v in _read_values(fn) if type(v) is Value)


def _read_values(fn: Function):
    yield from fn.body.yields
    for op in walk(fn.body):
        yield from op.operands
        if type(op) in NESTING:
            for sub in op.regions():
                yield from sub.yields


def _last_assign(ops, name: str):
    """The op that last assigns ``name`` in ``ops`` when it is a top-level statement (no
    nested block after it assigns ``name``), else None."""
    for op in reversed(ops):
        if name in _defined(op):
            return op if not op.regions() else None
    return None


def _first_touch_assigns(ops, name: str):
    """The accumulations ``name = name + e`` that first touch ``name`` on every path of
    ``ops`` (so a zero before them is not needed), or None when some path reads it first or
    never assigns it."""
    for op in ops:
        touches = name in _read(op) or name in _defined(op)
        if not touches:
            continue
        if isinstance(op, Assign) and op.results[0].name == name and \
                name not in _read(op):
            return []
        if isinstance(op, Prim) and op.name == "add" and op.results[0].name == name and \
                _named(op.operands[0]) and op.operands[0].name == name and \
                not (_named(op.operands[1]) and op.operands[1].name == name):
            return [op]
        if isinstance(op, If) and not op.results and \
                not any(_named(v) and v.name == name for v in op.operands):
            then = _first_touch_assigns(op.then.ops, name)
            orelse = _first_touch_assigns(op.orelse.ops, name)
            if then is None or orelse is None:
                return None
            return then + orelse
        return None
    return None


def _replace_op(region: Region, old: Op, new: Op, start=0) -> bool:
    for k in range(start, len(region.ops)):
        op = region.ops[k]
        if op is old:
            region.ops[k] = new
            return True
        if any(_replace_op(sub, old, new) for sub in op.regions()):
            return True
    return False


# --- identical branch heads and tails -----------------------------------------------------
def _same(a: Op, b: Op) -> bool:
    if type(a) is not type(b) or a.regions() or b.regions():
        return False
    if getattr(a, "name", None) != getattr(b, "name", None) or \
            getattr(a, "attrs", None) != getattr(b, "attrs", None) or \
            getattr(a, "accumulate", None) != getattr(b, "accumulate", None):
        return False
    return _same_values(a.results, b.results) and _same_values(a.operands, b.operands)


def _same_values(xs, ys) -> bool:
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):
        if isinstance(x, Const) or isinstance(y, Const):
            if not (isinstance(x, Const) and isinstance(y, Const) and x.kind == y.kind
                    and x.value == y.value):
                return False
        elif x is not y and not (_named(x) and _named(y) and x.name == y.name):
            return False
    return True


def _hoist_branch_ends(region: Region, namer: Namer) -> bool:
    """Move statements both branches of an ``if`` execute (and can be moved to the branch's
    start, or end, past the statements around them) out of it; an ``if`` with an empty
    ``then`` branch tests the negated condition instead; an empty ``if`` is dropped."""
    changed = False
    ops: list[Op] = []
    for op in region.ops:
        for sub in op.regions():
            changed |= _hoist_branch_ends(sub, namer)
        if not isinstance(op, If) or op.results:
            ops.append(op)
            continue
        cond = {v.name for v in op.operands if _named(v)}
        head = _common(op.then.ops, op.orelse.ops, front=True, cond=cond)
        tail = _common(op.then.ops, op.orelse.ops, front=False, cond=cond)
        changed |= bool(head or tail)
        ops += head
        if not op.then.ops and op.orelse.ops:
            negated = namer.value("_t", "bool")
            ops.append(Prim([negated], [op.operands[0]], op.line, name="not"))
            op = replace(op, operands=[negated], then=op.orelse, orelse=Region())
            changed = True
        if op.then.ops or op.orelse.ops:
            ops.append(op)
        else:
            changed = True
        ops += tail
    region.ops = ops
    return changed


def _common(then: list, orelse: list, front: bool, cond: set) -> list:
    """Remove from both lists the statements they share that can move to their front (or
    end); returns them in execution order."""
    moved = []
    k = 0
    while k < len(then):
        a = then[k]
        match = next((j for j, b in enumerate(orelse) if _same(a, b)
                      and _movable(orelse, j, front)), None)
        if match is None or not _movable(then, k, front) or \
                (front and cond & _defined(a)):
            k += 1
            continue
        del then[k]
        del orelse[match]
        moved.append(a)
        if not front:
            k = 0   # statements before it may now reach the end
    return moved


def _movable(ops: list, k: int, front: bool) -> bool:
    """Whether ``ops[k]`` commutes with every statement before it (``front``) or after it."""
    x = ops[k]
    if not isinstance(x, (Assign, Prim)):
        return False
    reads, writes = _read(x), _defined(x)
    for y in (ops[:k] if front else ops[k + 1:]):
        if _defined(y) & (reads | writes) or _read(y) & writes:
            return False
        if any(isinstance(z, Store) and z.operands[0].name in reads for z in [y, *walk_nested(y)]):
            return False
    return True


# --- an element zeroed and added back -----------------------------------------------------
def _drop_zero_and_restore(region: Region) -> bool:
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _drop_zero_and_restore(sub)
    ops = region.ops
    k = 0
    while k < len(ops):
        pair = _zero_and_restore(ops, k)
        if pair is None:
            k += 1
            continue
        for j in sorted(pair, reverse=True):
            del ops[j]
        changed = True
    return changed


def _zero_and_restore(ops: list, k: int):
    """(index of ``b[i] = 0.0``, index of ``b[i] += t``) when ``ops[k]`` is ``t = b[i]`` and
    only scalar arithmetic runs between the zero and the restore, nothing that stores
    between the load and the zero; else None."""
    load = ops[k]
    if not isinstance(load, Load) or not _named(load.operands[0]):
        return None
    t, place = load.results[0], load.operands
    zero = None
    for j in range(k + 1, len(ops)):
        op = ops[j]
        if zero is None and isinstance(op, Store) and not op.accumulate and \
                _same_values(op.operands[:-1], place) and isinstance(op.operands[-1], Const) \
                and op.operands[-1].value == 0.0:
            zero = j
        elif zero is not None and isinstance(op, Store) and op.accumulate and \
                _same_values(op.operands[:-1], place) and op.operands[-1] is t:
            return zero, j
        elif op.regions() or isinstance(op, Store) or _defined(op) & (
                {t.name} | {v.name for v in place if _named(v)}):
            return None
        elif zero is not None and (isinstance(op, Load) or any(
                v.kind not in ("float", "int", "bool") for v in op.operands)):
            return None
    return None


# --- an element zeroed, then added to ------------------------------------------------------
def _zero_then_add(region: Region, own: set, counts: dict) -> bool:
    """``b[i] = 0.0; ...; b[i] += e`` -> ``...; b[i] = e`` in an array of the function's
    own, when what runs in between is scalar arithmetic and element reads and writes of
    such arrays, none at ``b[i]`` (``b[i + 1]`` is another element of ``b``)."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _zero_then_add(sub, own, counts)
    ops = region.ops
    fixed = set().union(*(_defined(op) for op in ops)) if ops else set()
    k = 0
    while k < len(ops):
        zero = ops[k]
        j = None
        if isinstance(zero, Store) and not zero.accumulate and _named(zero.operands[0]) and \
                zero.operands[0].name in own and isinstance(zero.operands[-1], Const) and \
                zero.operands[-1].value == 0.0 and \
                all(v.kind == "int" for v in zero.operands[1:-1]):
            j = _adds_to(ops, k, own, counts, fixed)
        if j is None:
            k += 1
            continue
        ops[j] = replace(ops[j], accumulate=False)
        del ops[k]
        changed = True
    return changed


def _adds_to(ops: list, k: int, own: set, counts: dict, fixed: set):
    """The index of the ``b[i] += e`` ending the pattern of :func:`_zero_then_add` that
    starts with ``ops[k]``, or None."""
    zero = ops[k]
    array, place = zero.operands[0].name, zero.operands[1:-1]
    touched = {v.name for v in place if _named(v)} | {array}
    for j in range(k + 1, len(ops)):
        op = ops[j]
        if isinstance(op, (Load, Store)) and _named(op.operands[0]) and \
                op.operands[0].name in own:
            index = op.operands[1:] if isinstance(op, Load) else op.operands[1:-1]
            if op.operands[0].name == array and _same_values(index, place):
                return j if isinstance(op, Store) and op.accumulate else None
            if op.operands[0].name == array and not _distinct(index, place, ops[:k], counts,
                                                              fixed):
                return None
        elif not _scalar_arithmetic(op):
            return None
        if _defined(op) & touched:
            return None
    return None


def _distinct(xs, ys, before: list, counts: dict, fixed: set) -> bool:
    """Whether two element indices differ for sure: at some axis both are a variable
    assigned nowhere here (a loop index) plus different constants (``i + 1``, ``i``)."""
    defs = {op.results[0].name: op for op in before
            if isinstance(op, Prim) and op.results and _named(op.results[0])}

    def offset(v):
        op = defs.get(v.name) if _named(v) and counts.get(v.name) == 1 else None
        if op is not None and _offset(op) is not None:
            return _offset(op)[0].name, _offset(op)[1]
        return (v.name, 0) if _named(v) else None

    for x, y in zip(xs, ys):
        a, b = offset(x), offset(y)
        if a is not None and b is not None and a[0] == b[0] and a[0] not in fixed and \
                a[1] != b[1]:
            return True
    return False


# --- dead code ----------------------------------------------------------------------------
def _remove_dead(fn: Function) -> bool:
    """Drop dead tapes, then what no live name needs (:func:`_live_names`). Names stay live
    or dead as the statements no live name needs go, except where an ``if`` or a loop left
    empty goes (its test or bounds were live for it): only then are they asked again."""
    changed = _remove_dead_tapes(fn)
    while True:
        removed, control = _drop_unread(fn.body, _live_names(fn))
        changed |= removed
        if not control:
            return changed


def _drop_dead_top_level(fn: Function) -> bool:
    """In the function's body (which runs once, so what follows a statement is all that can
    read it): a pure assignment, or a loop or ``if`` of nothing but pure statements (no
    store, no tape update), none of whose variables is read before being assigned again,
    goes. This drops what a loop overwrites in every iteration before reading it (its
    counters' zeros before it) and a primal loop whose results only the value needed
    (that a loop which may not end is dropped too is what ``jax.grad`` does with it)."""
    ops = fn.body.ops
    effects = _effects(ops)
    live = {v.name for v in fn.body.yields if _named(v)}
    changed = False
    for k in range(len(ops) - 1, -1, -1):
        op = ops[k]
        names = _defined(op)
        if names and not names & live and all(_pure(x) or isinstance(x, (If, For, While))
                                              for x in [op, *walk_nested(op)]):
            del ops[k]
            changed = True
            continue
        _live_before(live, effects[k])
    return changed


_HELD_WINDOW = 64     # values a recomputation is looked up among (the most recent ones)


def _drop_recomputations(region: Region, own: set) -> bool:
    """``x = e; ...; y = e`` -> ``y = x`` (nothing when ``y`` is ``x``), when nothing in
    between assigns ``x`` or a name ``e`` reads, nor (``e`` reading an array) stores into
    memory it may read (a restored primal value recomputed where it is still held; named
    scalars only: temporaries the printer inlines stay apart, and two equal arrays are two
    allocations). Only the last ``_HELD_WINDOW`` held values are looked among, and they are
    looked up by operation and operands, so that a long body costs linear time."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _drop_recomputations(sub, own)
    held = _Held(own)
    kept = []
    for op in region.ops:
        scalar = _scalar_value(op)
        same = held.find(op) if scalar else None
        if same is not None and same.results[0].name == op.results[0].name:
            changed = True
            continue
        if same is not None:
            op = Assign(op.results, [same.results[0]], op.line)
            changed, scalar = True, False      # (a copy now: held by no one)
        held.forget_what(op)
        if scalar and _pure(op) and not (isinstance(op, Prim) and (
                op.name in ALLOCATING or op.name == "opaque_call")) and \
                op.results[0].name not in _read(op):
            held.add(op)
        kept.append(op)
    region.ops = kept
    return changed


def _scalar_value(op: Op) -> bool:
    """A primitive or load giving one named, non-temporary scalar."""
    return isinstance(op, (Prim, Load)) and len(op.results) == 1 and \
        _named(op.results[0]) and op.results[0].kind in ("float", "int", "bool") and \
        not _TEMPORARY.match(op.results[0].name)


class _Held:
    """The values a straight-line sequence still holds: name -> the op that computed it,
    indexed by what it computes (to find a recomputation), by the names it reads (to forget
    it when one is assigned) and by whether it reads memory (to forget it at a store)."""

    def __init__(self, own: set):
        self.own = own
        self.ops: dict[str, Op] = {}                  # oldest first
        self.by_key: dict[tuple, list[str]] = {}
        self.readers: dict[str, set[str]] = {}
        self.memory: set[str] = set()

    @staticmethod
    def _key(op: Op) -> tuple:
        operands = tuple(("const", v.kind) if isinstance(v, Const) else
                         v.name if _named(v) else id(v) for v in op.operands)
        return type(op), getattr(op, "name", None), operands

    def find(self, op: Op):
        for name in self.by_key.get(self._key(op), ()):
            d = self.ops[name]
            if _same(d, replace(op, results=d.results)):
                return d
        return None

    def add(self, op: Op):
        name = op.results[0].name
        self._drop(name)
        self.ops[name] = op
        self.by_key.setdefault(self._key(op), []).append(name)
        for r in _read(op) | {name}:
            self.readers.setdefault(r, set()).add(name)
        if _memory_read(op):
            self.memory.add(name)
        if len(self.ops) > _HELD_WINDOW:      # forget the oldest: linear in long bodies
            self._drop(next(iter(self.ops)))

    def forget_what(self, op: Op):
        """Forget the values ``op`` changes: those it reassigns a name of and, where it
        stores, those reading memory the store may change."""
        for name in _defined(op):
            for held in list(self.readers.get(name, ())):
                self._drop(held)
        if op.regions():
            ops = [op, *walk_nested(op)]
        elif isinstance(op, (Store, Prim)):
            ops = (op,)
        else:
            return      # (a load or a copy stores nothing)
        stores = {x.operands[0].name for x in ops
                  if isinstance(x, Store) and _named(x.operands[0])}
        if any(isinstance(x, Prim) and x.name == "opaque_call" for x in ops):
            stores.add(None)
        if stores:
            for held in list(self.memory):
                if None in stores or stores - self.own or \
                        _memory_read(self.ops[held]) & stores:
                    self._drop(held)

    def _drop(self, name: str):
        op = self.ops.pop(name, None)
        if op is None:
            return
        self.by_key[self._key(op)].remove(name)
        for r in _read(op) | {name}:
            self.readers[r].discard(name)
        self.memory.discard(name)


def _memory_read(op: Op) -> set:
    """Names of the arrays ``op`` reads (a store into a view of the function's own memory
    is a store into memory not its own: it may change any of them)."""
    values = op.operands[:1] if isinstance(op, Load) else op.operands
    return {v.name for v in values if _named(v) and v.kind in ("array", "any")}


def _pure(op: Op) -> bool:
    return isinstance(op, (Assign, Load)) or (isinstance(op, Prim)
                                              and op.name not in _TAPE_UPDATES)


def _effect_free(op: While) -> bool:
    """A ``while`` whose condition and body only compute values (no stores, tape updates
    or nested control flow): when none of its values is live, it is dead code."""
    return all(_pure(x) for sub in (op.cond, op.body) for x in walk(sub))


def _while_values(op: While) -> list:
    """What a ``while`` computes: its carried slots and every variable its regions assign."""
    values = op.results + op.body.args + op.cond.args
    return values + [r for sub in (op.cond, op.body) for x in walk(sub) for r in x.results]


def _live_names(fn: Function) -> set[str]:
    """Names some effect needs: what the function returns, stores, tape updates and control
    flow read, and what the statements assigning those names read, transitively (a carried
    value needs its init and its yield). A variable only its own updates read
    (``s = s + e`` in a loop, the value when only gradients are returned) is not live."""
    live, work, needs = set(), [], {}

    def mark(values):
        for v in values:
            if _named(v) and v.name not in live:
                live.add(v.name)
                work.append(v.name)

    def need(defined, values):
        for d in defined:
            if _named(d):
                needs.setdefault(d.name, []).extend(values)

    for op in walk(fn.body):
        if _pure(op):
            need(op.results, op.operands)
        elif isinstance(op, If):
            mark(op.operands)
            for k, r in enumerate(op.results):
                need([r], [op.then.yields[k], op.orelse.yields[k]])
        elif isinstance(op, (For, While)):
            carried = op.body.args[1:] if isinstance(op, For) else op.body.args
            mark(op.operands[:3] if isinstance(op, For) else ())
            for k, init in enumerate(op.inits):
                defined = [op.results[k], carried[k]] + (
                    [op.cond.args[k]] if isinstance(op, While) else [])
                need(defined, [init, op.body.yields[k]])
            if isinstance(op, While) and _effect_free(op):
                need(_while_values(op), op.cond.yields)   # runs for its values only
            elif isinstance(op, While):
                mark(op.cond.yields)
        else:
            mark(op.operands)
    mark(fn.body.yields)
    while work:
        mark(needs.get(work.pop(), ()))
    return live


def _drop_unread(region: Region, read: set) -> tuple[bool, bool]:
    """Drop the statements of ``region`` (nested ones too) that assign no name of ``read``
    and have no effect; (whether any went, whether an ``if`` or ``for`` went)."""
    removed = control = False
    kept: list[Op] = []
    for op in region.ops:
        for sub in op.regions():
            inner = _drop_unread(sub, read)
            removed |= inner[0]
            control |= inner[1]
        if _pure(op) and op.results and not any(r.name in read for r in op.results):
            removed = True
            continue
        removed |= _drop_dead_slots(op, read)
        if isinstance(op, (If, For)) and not any(_named(r) and r.name in read
                                                 for r in op.results) and \
                not any(sub.ops for sub in op.regions()):
            removed = control = True    # nothing left inside (a range never fails)
            continue
        if isinstance(op, While) and _effect_free(op) and \
                not any(_named(v) and v.name in read for v in _while_values(op)):
            removed = True      # no effects, and nothing reads what it computes
            continue
        kept.append(op)
    region.ops = kept
    return removed, control


def _drop_dead_slots(op: Op, live: set) -> bool:
    """Drop the values an ``if`` or loop carries that no live name is (see
    :func:`_live_names`): results, block arguments, inits and yields of that slot."""
    if isinstance(op, If):
        slots = [[r] for r in op.results]
    elif isinstance(op, (For, While)):
        carried = op.body.args[1:] if isinstance(op, For) else op.body.args
        slots = [[op.results[k], carried[k]] + ([op.cond.args[k]] if isinstance(op, While)
                                                else []) for k in range(len(op.inits))]
    else:
        return False
    dead = {k for k, values in enumerate(slots)
            if not any(_named(v) and v.name in live for v in values)}
    if not dead:
        return False

    def keep(values, offset=0):
        return [v for k, v in enumerate(values) if k - offset not in dead]

    op.results = keep(op.results)
    for sub in op.regions():
        sub.yields = keep(sub.yields) if not (isinstance(op, While) and sub is op.cond) \
            else sub.yields
        if not isinstance(op, If):
            sub.args = keep(sub.args, 1 if isinstance(op, For) else 0)
    op.operands = op.operands[:3] + keep(op.inits) if isinstance(op, For) else \
        keep(op.operands) if isinstance(op, While) else op.operands
    return True


def _remove_dead_tapes(fn: Function) -> bool:
    """Drop tapes the reverse sweep never reads (after the clean-up removed what read them):
    their allocation, growth and every push."""
    tapes = {op.results[0].name for op in walk(fn.body)
             if isinstance(op, Prim) and op.name in _ALLOCATIONS}
    for op in walk(fn.body):
        for k, v in enumerate(op.operands):
            if not _named(v) or v.name not in tapes:
                continue
            pushed = k == 0 and isinstance(op, Store)
            updated = k == 0 and isinstance(op, Prim) and op.name in _TAPE_UPDATES and \
                op.results[0].name == v.name
            if not (pushed or updated):
                tapes.discard(v.name)
        for sub in op.regions():
            tapes -= {v.name for v in sub.yields if _named(v)}
    tapes -= {v.name for v in fn.body.yields if _named(v)}
    if not tapes:
        return False
    _drop_tape_ops(fn.body, tapes)
    return True


def _drop_tape_ops(region: Region, tapes: set):
    kept = []
    for op in region.ops:
        for sub in op.regions():
            _drop_tape_ops(sub, tapes)
        target = op.operands[0] if isinstance(op, Store) else \
            op.results[0] if isinstance(op, Prim) and op.results else None
        if _named(target) and target.name in tapes:
            continue
        kept.append(op)
    region.ops = kept


# --- repeated accumulations ---------------------------------------------------------------
class _Census:
    """Whole-function counts that several passes read (assignments and reads per name, the
    arrays the function owns), each computed when first asked and kept while the code
    stays as it is: the rounds forget them whenever a pass changes something (a pass that
    finds nothing leaves the code as it was, so they hold for the passes after it)."""

    def __init__(self, fn: Function):
        self.fn = fn
        self.forget()

    def forget(self):
        self._defs = self._reads = self._own = None

    @property
    def defs(self) -> dict:
        if self._defs is None:
            self._defs = _def_counts(self.fn)
        return self._defs

    @property
    def reads(self) -> dict:
        if self._reads is None:
            self._reads = _read_counts(self.fn)
        return self._reads

    @property
    def own(self) -> set:
        if self._own is None:
            self._own = own_arrays(self.fn)
        return self._own


def passes_of(fn: Function, namer: Namer, census: _Census) -> list:
    """The clean-up's passes over ``fn`` in the order each round runs them (the zero split
    aside): calls that rewrite ``fn`` in place and say whether they changed anything (one
    that says no has left ``fn`` as it was: the rounds keep ``census`` then)."""
    from .counters import restate_counters   # it asks this module's variable questions

    return [lambda: _fold_constants(fn.body), lambda: _fold_offsets(fn, census),
            lambda: _fold_sizes(fn, census), lambda: _name_temporaries(fn, census),
            lambda: _copies_back(fn, census), lambda: restate_counters(fn.body, namer),
            lambda: _drop_copy_backs(fn.body, {}), lambda: _forward_constants(fn.body),
            lambda: propagate_copies(fn), lambda: _drop_zero_inits(fn.body),
            lambda: _sink_constants(fn.body),
            lambda: _sink_stores(fn.body, census.reads),
            lambda: _hoist_branch_ends(fn.body, namer),
            lambda: _drop_zero_and_restore(fn.body),
            lambda: _zero_then_add(fn.body, census.own, census.defs),
            lambda: drop_dead_stores(fn, census.own), lambda: _drop_dead_top_level(fn),
            lambda: _drop_dead_in_loops(fn),
            lambda: _drop_recomputations(fn.body, census.own),
            lambda: _remove_dead(fn), lambda: forward_updated_copies(fn),
            lambda: drop_values_for_skipped_loops(fn)]


def _simplify(fn: Function, namer: Namer):
    census = _Census(fn)
    passes = [lambda: _split_zero_inits(fn.body) if rounds > 0 else None] + \
        passes_of(fn, namer, census)
    # zeros split into branches from the second round on, once the first has left the
    # branches what is left of them (a split earlier could make a branch that later empties
    # on its own path); the split opens each round, so the rest of the round is the one
    # that follows it up and no round of its own confirms it (a 2,000-line gradient 79 ->
    # 60 pass runs, 4.7 -> 3.8 s); a split in an outer ``if`` can leave a zero before an
    # inner one, split next time.
    # The rounds stop once every pass has run, in turn, on code no pass has changed since:
    # a pass that found nothing to do finds nothing again on the same code, so the passes
    # after the last change are not run a second time (the result is the same; a long
    # adjoint is spared most of a round)
    quiet: set = set()       # the passes that found nothing since the last change
    for rounds in range(_ROUNDS):
        for run in passes:
            if len(quiet) == len(passes):
                return
            changed = run()
            if changed:
                quiet = set()
                census.forget()
            elif changed is not None:       # None: not run this round (the first split)
                quiet.add(run)


def _merge_accumulations(region: Region, namer: Namer):
    """``b = e1 ... b = b + e2`` (nothing between touches ``b``) -> ``t = e1; b = t + e2``,
    where the temporary ``t`` prints inside its one use: ``b = e1 + e2``; the same for any
    primitive that reads the variable it reassigns once (``b = e; b = 2.0 * b``)."""
    last_def: dict[str, int] = {}
    for k, op in enumerate(region.ops):
        for sub in op.regions():
            _merge_accumulations(sub, namer)
        if isinstance(op, Prim) and len(op.results) == 1 and _named(op.results[0]) and \
                op.name not in _ALLOCATIONS + _TAPE_UPDATES and \
                sum(1 for v in op.operands
                    if _named(v) and v.name == op.results[0].name) == 1:
            name = op.results[0].name
            j = last_def.get(name)
            if j is not None and _single_def(region.ops[j]):
                prev = region.ops[j]
                temp = namer.value("_t", op.results[0].kind)
                temp.ndim = op.results[0].ndim
                region.ops[j] = replace(prev, results=[temp])
                op.operands = [temp if _named(v) and v.name == name else v
                               for v in op.operands]
        touched = _read(op) | _defined(op)
        for name in touched:
            last_def.pop(name, None)
        if _single_def(op):
            last_def[op.results[0].name] = k


def _merge_stores(region: Region, namer: Namer, slices: dict):
    """``b[i] += e1; b[i] += e2`` -> ``b[i] += e1 + e2`` (the sum a temporary the printer
    inlines), when only scalar arithmetic that leaves ``b``, ``i`` and ``e1`` alone runs in
    between: nothing can read the element before the second store."""
    pending = None      # index of the last accumulating store still open for merging
    ops = []
    for op in region.ops:
        for sub in op.regions():
            _merge_stores(sub, namer, slices)
        if isinstance(op, Store) and op.accumulate and pending is not None and \
                _same_place(ops[pending], op, slices):
            first = ops.pop(pending)
            value = op.operands[-1]
            temp = namer.value("_t", value.kind)
            temp.ndim = value.ndim
            ops.append(Prim([temp], [first.operands[-1], value], line=op.line, name="add"))
            op.operands = op.operands[:-1] + [temp]
            ops.append(op)
            pending = len(ops) - 1
            continue
        if isinstance(op, Store) and op.accumulate and \
                all(v.kind in ("int", "slice") for v in op.operands[1:-1] if _named(v)):
            pending = len(ops)
        elif pending is not None and not (_scalar_arithmetic(op) and not _defined(op) & {
                v.name for v in ops[pending].operands if _named(v)}):
            pending = None
        ops.append(op)
    region.ops = ops


def _same_place(a: Store, b: Store, slices: dict) -> bool:
    """Whether two stores write the same elements: same array and indices, where two
    slices of constant bounds (``b[:]``) are the same index."""
    def key(v):
        op = slices.get(v.name) if _named(v) else None
        if op is not None and all(isinstance(o, Const) for o in op.operands):
            return ("slice", tuple(o.value for o in op.operands))
        return v

    xs, ys = [key(v) for v in a.operands[:-1]], [key(v) for v in b.operands[:-1]]
    return len(xs) == len(ys) and all(
        x == y if isinstance(x, tuple) or isinstance(y, tuple) else _same_values([x], [y])
        for x, y in zip(xs, ys))


def _scalar_arithmetic(op: Op) -> bool:
    return isinstance(op, (Prim, Assign)) and not op.regions() and \
        not (isinstance(op, Prim) and op.name in _ALLOCATIONS + _TAPE_UPDATES) and \
        all(v.kind in _SCALARS for v in op.operands + op.results if _named(v))


def _single_def(op: Op) -> bool:
    """A statement that assigns one variable a fresh value (not a tape, not a zero)."""
    if not isinstance(op, (Assign, Prim, Load)) or len(op.results) != 1 or \
            not _named(op.results[0]):
        return False
    if isinstance(op, Assign):
        return not isinstance(op.operands[0], (Const, Undef))
    return not (isinstance(op, Prim) and op.name in _ALLOCATIONS + _TAPE_UPDATES
                + ("adjoint_zero",))

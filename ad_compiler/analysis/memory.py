"""The memory model: which allocation every array value refers to.

NumPy names are references. ``w1 = w0`` makes no copy, ``v = w[1:]`` is a window onto ``w``'s
memory, and ``v[0] = 5.0`` changes what ``w`` holds. The SSA frontend already turns a plain
rebinding into the same :class:`Value`, so what is left to model is:

* **allocations**: each parameter, free variable and array-producing primitive (``np.zeros``,
  ``x * 2.0``, ``np.sin(x)``, ``copy``, an array a helper returns) makes memory of its own;
* **views**: a load with a slice, a new axis or fewer indices than dimensions (``x[1:]``,
  ``x[::-1]``, ``a[i]`` of a matrix, ``x[:, None]``), ``transpose``, ``.T``, ``reshape``,
  ``expand_dims`` and ``squeeze`` share their operand's memory;
* **joins**: the result of an ``If``, a loop-carried value and a loop result may refer to any
  of the allocations flowing into it (``a, b = b, a`` in a time loop).

Every array value gets the set of allocations (their defining Values) it may refer to, found
by a fixpoint over the joins. A store through any value changes all of them. The passes read
this: CSE keys every read of memory by the allocations' versions and never merges two
allocations that are written (:mod:`..transforms.simplify`); reverse and forward mode refuse
what they cannot differentiate through (:func:`unsupported_alias`).
"""

from __future__ import annotations

import itertools

from ..frontend.ir import Const, For, Function, If, Load, Op, Prim, Region, Store, Value, While, walk

# primitives whose result shares its (first) operand's memory, as NumPy returns views
VIEW_PRIMS = frozenset({"transpose", "matrix_transpose", "reshape", "expand_dims", "squeeze",
                        "ravel"})
_ARRAY_KINDS = ("array", "any")
# primitives that read only the shape of their first operand (``t_b = zeros_like(b)``)
SHAPE_ONLY = frozenset({"zeros_like", "ones_like", "empty_like", "full_like", "adjoint_zero",
                        "shape", "size", "ndim", "len", "count"})


def is_view_prim(op) -> bool:
    """Whether primitive ``op``'s result shares its first operand's memory: the
    :data:`VIEW_PRIMS`, ``getitem`` with a basic index (slices, integers, new axes: what
    ``np.flip``, ``np.rot90``, ``np.diff`` expand into) and ``split_part`` (a part of
    ``np.split``), which NumPy returns as views."""
    if not op.operands:
        return False
    if op.name in VIEW_PRIMS or op.name == "split_part":
        return True
    if op.name == "getitem":
        index = op.attrs.get("index")
        parts = index if isinstance(index, tuple) else (index,)
        return all(p is None or p is Ellipsis or isinstance(p, (slice, int)) for p in parts)
    return False


def is_view_load(op: Load) -> bool:
    """Whether a load returns a window onto its array (a slice, a row, a new axis) rather
    than one element (an index array loaded into a float-kind value still picks one)."""
    array, *index = op.operands
    if any(is_advanced_index(i) for i in index):
        return False    # an index array or a mask: NumPy copies (m[[0, 2]], m[mask])
    if any(i.kind == "slice" or isinstance(i, Const) and i.value is None for i in index):
        return True
    if array.ndim is not None:
        return len(index) < array.ndim
    return op.results[0].kind in _ARRAY_KINDS


def is_advanced_index(i: Value) -> bool:
    """An index array or a mask (a comparison of arrays has the bool kind and its ndim)."""
    return i.kind == "array" or (i.kind in ("bool", "int") and (i.ndim or 0) > 0)


class Memory:
    """Allocations and views of one function's array values (ids of Values as keys)."""

    def __init__(self, fn: Function):
        self.fn = fn
        self.base: dict[int, Value] = {}        # id(view) -> the array it is a view of
        self.roots: dict[int, frozenset] = {}   # id(value) -> ids of allocations
        self._joins: list[tuple[Value, list[Value]]] = []
        for p in list(fn.params) + list(fn.free_vars):
            self.roots[id(p)] = frozenset({id(p)})
        self._scan(fn.body)
        changed = True
        while changed:   # joins inside loops feed each other: iterate to the fixpoint
            changed = False
            for result, sources in self._joins:
                new = self.roots.get(id(result), frozenset()).union(
                    *(self.allocations(s) for s in sources))
                if new != self.roots.get(id(result)):
                    self.roots[id(result)] = new
                    changed = True
        self.written: frozenset = frozenset().union(
            *(self.allocations(op.operands[0]) for op in walk(fn.body) if isinstance(op, Store)))
        # views written through (a store's target or a base of one): real views whose
        # derivative is the same view of the base's derivative; other views are values
        self.live_views: set[int] = set()
        for op in walk(fn.body):
            v = op.operands[0] if isinstance(op, Store) else None
            while v is not None and id(v) in self.base:
                self.live_views.add(id(v))
                v = self.base[id(v)]

    # ------------------------------------------------------------------ queries
    def allocations(self, v: Value) -> frozenset:
        """Ids of the allocations ``v`` may refer to (empty for scalars and constants)."""
        if id(v) in self.base:
            return self.allocations(self.base[id(v)])
        return self.roots.get(id(v), frozenset())

    def is_written(self, v: Value) -> bool:
        """Whether some store (through any name or view) may change ``v``'s memory."""
        return bool(self.allocations(v) & self.written)

    def stored_in(self, region: Region) -> frozenset:
        """Allocations a region's stores may change (nested regions included)."""
        return frozenset().union(*(self.allocations(op.operands[0]) for op in walk(region)
                                   if isinstance(op, Store)))

    # ------------------------------------------------------------------ construction
    def _define(self, v: Value, sources=None):
        if sources is None:
            self.roots[id(v)] = frozenset({id(v)})
        else:
            self._joins.append((v, list(sources)))

    def _scan(self, region: Region):
        for op in region.ops:
            self._scan_op(op)

    def _scan_op(self, op: Op):
        if isinstance(op, Load):
            if is_view_load(op):
                self.base[id(op.results[0])] = op.operands[0]
            elif op.results[0].kind in _ARRAY_KINDS:
                self._define(op.results[0])     # a gather or a masked read: a fresh copy
        elif isinstance(op, Prim):
            if is_view_prim(op):
                self.base[id(op.results[0])] = op.operands[0]
            else:
                for r in op.results:
                    if r.kind in _ARRAY_KINDS:
                        self._define(r)
        elif isinstance(op, If):
            self._scan(op.then)
            self._scan(op.orelse)
            for k, r in enumerate(op.results):
                self._define(r, [op.then.yields[k], op.orelse.yields[k]])
        elif isinstance(op, (For, While)):
            carried = op.body.args[1:] if isinstance(op, For) else op.body.args
            heads = [carried] + ([op.cond.args] if isinstance(op, While) else [])
            for k, init in enumerate(op.inits):
                for head in heads:
                    self._define(head[k], [init, op.body.yields[k]])
                # a loop that surely runs leaves the last iteration's array, never the init
                self._define(op.results[k], [op.body.yields[k]] if _runs(op) else
                             [init, op.body.yields[k]])
            for sub in op.regions():
                self._scan(sub)
        else:
            for r in op.results:   # Assign: the same memory under another name
                if op.operands and r.kind in _ARRAY_KINDS:
                    self._define(r, [op.operands[0]])


def _runs(op: Op) -> bool:
    """Whether a loop runs at least once whatever the data: a ``for`` over a range of
    constant bounds that is not empty."""
    if not isinstance(op, For) or not all(isinstance(v, Const) and isinstance(v.value, int)
                                          for v in op.operands[:3]):
        return False
    start, stop, step = (v.value for v in op.operands[:3])
    return step != 0 and len(range(start, stop, step)) > 0


# ---------------------------------------------------------------------------- proven or refused
def check_aliasing(fn: Function, memory: Memory | None = None):
    """Refuse a store whose memory is also reached, later, through another array value that
    the transforms keep apart.

    The adjoint (and tangent) of an array is memory of its own, one per array value. That is
    exact while one value reaches an allocation at a time: a name rebound in a branch (the
    ``If`` result is one value), a view written through (its shadow is the same view of the
    base's shadow), buffers swapped by a loop (``a, b = b, a``: the loop-carried values are a
    permutation of distinct allocations, and their shadows swap with them), a value defined
    after the store (its derivative flows back into the stored array before the store's
    adjoint runs). Any other value that may share the stored memory, alive across the store
    and used after it, would see a derivative split over two shadows (or, for a view taken as
    a value, a copy where NumPy shares memory): raise :class:`DifferentiationError` naming
    the line and the two arrays.

    Returns the may-alias relation it used (``may_alias(a, b)``), for the transforms' own
    questions about two values.
    """
    from ..errors import DifferentiationError

    memory = memory or Memory(fn)
    _check_reshapes_written(fn, memory)
    check = _AliasCheck(fn, memory)
    for store, other in check.conflicts():
        raise DifferentiationError(
            f"'{user_name(store.operands[0])}' (written here) and '{user_name(other)}' may "
            f"refer to the same memory in a way the compiler cannot follow (an alias, a view "
            f"or a swap decided at run time); write through one name, or copy one of them "
            f"(np.copy)", construct="aliased arrays", function=fn.name,
            filename=fn.filename, line=store.line)
    return check


class _AliasCheck:
    """Program positions, loops and definition sites, and the may-alias relation."""

    def __init__(self, fn: Function, memory: Memory):
        self.memory = memory
        self.uses = list(memory_uses(fn))
        self.swapped = _swapped_groups(fn, memory)
        self.sites: dict[int, tuple] = {}     # id(value) -> (position, ids of its loops)
        self.joins: dict[int, tuple] = {}     # id(If result) -> (If, index)
        for p in list(fn.params) + list(fn.free_vars):
            self.sites[id(p)] = (-1, frozenset())
        ends: dict[int, int] = {}
        loops_of: dict[int, frozenset] = {}
        for pos, loops, op in self.uses:
            loops_of[id(op)] = frozenset(map(id, loops))
            for outer in loops:
                ends[id(outer)] = pos
        last = {}
        for pos, loops, op in self.uses:   # the last position inside each If too
            for sub in op.regions():
                for inner in walk(sub):
                    last[id(op)] = max(last.get(id(op), pos), self._pos(inner))
        for pos, loops, op in self.uses:
            here = loops_of[id(op)]
            for k, r in enumerate(getattr(op, "results", [])):
                self.sites[id(r)] = (max(pos, last.get(id(op), pos)), here)
                if isinstance(op, If):
                    self.joins[id(r)] = (op, k)
            if isinstance(op, (For, While)):
                for sub in op.regions():
                    for a in sub.args:
                        self.sites[id(a)] = (pos, here | {id(op)})

    def _pos(self, op):
        if not hasattr(self, "_by_op"):
            self._by_op = {id(o): p for p, _, o in self.uses}
        return self._by_op.get(id(op), -1)

    def may_alias(self, a: Value, b: Value) -> bool:
        if not (self.memory.allocations(a) & self.memory.allocations(b)):
            return False
        if a is b:
            return True
        if self._older(a, b) or self._older(b, a):
            return False
        if id(a) in self.swapped and self.swapped.get(id(a)) == self.swapped.get(id(b)):
            return False   # distinct buffers swapped by the same loop
        ja, jb = self.joins.get(id(a)), self.joins.get(id(b))
        if ja and jb and ja[0] is jb[0]:   # results of one branch: the same branch decides
            op = ja[0]
            return any(self.may_alias(r.yields[ja[1]], r.yields[jb[1]])
                       for r in (op.then, op.orelse))
        return True

    def _older(self, a: Value, fresh: Value) -> bool:
        """Whether ``fresh`` is an allocation made after ``a`` was bound, in every loop
        iteration ``fresh`` lives in (``un = u.copy()`` in a time loop: the carried ``u`` is
        an earlier iteration's copy, never this one)."""
        if self.memory.roots.get(id(fresh)) != frozenset({id(fresh)}) or \
                id(fresh) in self.memory.base:
            return False
        a_pos, a_loops = self.sites.get(id(a), (-1, frozenset()))
        f_pos, f_loops = self.sites.get(id(fresh), (-1, frozenset()))
        return a_pos < f_pos and a_loops <= f_loops

    def conflicts(self):
        # the array operands of every use, by the allocations they may refer to: a store is
        # compared with the uses that may alias its target only (may_alias needs a common
        # allocation), in program order, not with every use of the function
        by_allocation: dict[int, list] = {}
        for k, (pos, loops, op) in enumerate(self.uses):
            for j, other in enumerate(_arrays_used(op)):
                for a in self.memory.allocations(other):
                    by_allocation.setdefault(a, []).append((k, j))
        paths = _branch_paths(self.memory.fn)
        for s_pos, s_loops, store in self.uses:
            if not isinstance(store, Store):
                continue
            target = store.operands[0]
            s_loops = frozenset(map(id, s_loops))
            candidates = sorted({key for a in self.memory.allocations(target)
                                 for key in by_allocation.get(a, ())})
            for k, j in candidates:
                pos, loops, op = self.uses[k]
                for other in _arrays_used(op)[j:j + 1]:
                    if other is target or related_views(self.memory, other, target,
                                                         self.memory.live_views):
                        continue
                    d_pos, d_loops = self.sites.get(id(other), (-1, frozenset()))
                    # alive across the store: defined before it in the same instance ...
                    if not (d_pos < s_pos and d_loops <= s_loops):
                        continue
                    # ... and used after it (later, not in the other branch of an if
                    # the store is in, or in a later iteration of a loop holding both that
                    # the value outlives)
                    later = pos > s_pos and not _exclusive(paths[pos], paths[s_pos])
                    if not (later or (frozenset(map(id, loops)) & s_loops) - d_loops):
                        continue
                    if self.may_alias(other, target):
                        yield store, other


def _check_reshapes_written(fn: Function, memory: Memory):
    """A store through ``reshape`` is a store into the base only when NumPy returned a view,
    which it does for contiguous memory: an allocation made in ``f``. Of an argument or of a
    view it may be a copy, decided at run time: refused."""
    from ..errors import DifferentiationError

    views = {id(r): op for op in walk(fn.body) if isinstance(op, Prim)
             and op.name in ("reshape", "ravel") for r in op.results}
    # the caller's arrays (and globals) are not made here: they may be non-contiguous
    outside = {id(p) for p in list(fn.params) + list(fn.free_vars)}
    parts = {id(r) for op in walk(fn.body) if isinstance(op, Prim) and op.name == "split_part"
             for r in op.results}
    for op in walk(fn.body):
        v = op.operands[0] if isinstance(op, Store) else None
        while v is not None and id(v) in memory.base:
            base = memory.base[id(v)]
            if id(v) in parts:     # a view in NumPy, a copy under Numba's object mode
                raise DifferentiationError(
                    f"a store through a part of np.split of '{user_name(base)}' (a view of "
                    f"it); split a copy (np.copy) or write into '{user_name(base)}'",
                    construct="split written through", function=fn.name,
                    filename=fn.filename, line=op.line)
            if id(v) in views and base.kind == "array" and (
                    memory.roots.get(id(base)) != frozenset({id(base)}) or
                    id(base) in memory.base or id(base) in outside):
                raise DifferentiationError(
                    f"a store through a reshape of '{user_name(base)}', which NumPy may "
                    f"copy (it is not an array made in this function); reshape a copy "
                    f"(np.copy) or write into '{user_name(base)}'", construct="reshape "
                    f"written through", function=fn.name, filename=fn.filename, line=op.line)
            v = base


def user_name(v: Value) -> str:
    """The name the user wrote for ``v`` (SSA suffixes dropped)."""
    import re

    if re.match(r"^_t\d+$", v.name):
        return "an array expression"
    return re.sub(r"_\d+$", "", v.name)


def memory_uses(fn: Function):
    """(position, enclosing loops, op) for every op, in program order; the function's
    return is a use at the end."""
    counter = itertools.count()

    def visit(region, loops):
        for op in region.ops:
            yield next(counter), loops, op
            inner = loops + [op] if isinstance(op, (For, While)) else loops
            for sub in op.regions():
                yield from visit(sub, inner)
                if sub.yields:
                    yield next(counter), inner, _Yield(sub.yields)

    yield from visit(fn.body, [])
    yield next(counter), [], _Yield(fn.body.yields)


def _branch_paths(fn: Function) -> list:
    """For each position of :func:`memory_uses`, the ``(id(If), branch)`` pairs of the
    branches around it, outermost first."""
    out = []

    def visit(region, path):
        for op in region.ops:
            out.append(path)
            for k, sub in enumerate(op.regions()):
                inner = path + ((id(op), k),) if isinstance(op, If) else path
                visit(sub, inner)
                if sub.yields:
                    out.append(inner)

    visit(fn.body, ())
    out.append(())
    return out


def _exclusive(a: tuple, b: tuple) -> bool:
    """Whether two positions are in different branches of one ``if`` (never both run in
    one execution of it)."""
    sides = dict(a)
    return any(sides.get(if_id, side) != side for if_id, side in b)


class _Yield:
    """A region's yields, as a use of the arrays they pass on."""

    results: list = []

    def __init__(self, values):
        self.operands = list(values)

    def regions(self):
        return []


def _arrays_used(op):
    """The array operands whose memory ``op`` reads (the first operand of a primitive that
    reads only its shape is not one: no store changes a shape)."""
    operands = op.operands[1:] if isinstance(op, Prim) and op.name in SHAPE_ONLY \
        else op.operands
    return [v for v in operands if isinstance(v, Value) and v.kind in _ARRAY_KINDS]


def related_views(memory: Memory, a: Value, b: Value, live) -> bool:
    """Whether one value is a view (of a view...) of the other, through views that are
    written through (a view taken as a value is a copy: a later store must not reach it)."""
    def chain(v):
        out = [v]
        while id(out[-1]) in memory.base and id(out[-1]) in live:
            out.append(memory.base[id(out[-1])])
        return out
    return any(x is b for x in chain(a)) or any(x is a for x in chain(b))


def _swapped_groups(fn: Function, memory: Memory) -> dict[int, int]:
    """id(carried value) -> group number, for the loop-carried arrays of each loop whose body
    yields a permutation of them (``a, b = b, a``) and whose initial values are distinct
    allocations: at any moment each refers to another allocation (and so do the loop's
    results, for a loop inside no other loop)."""
    groups: dict[int, int] = {}
    for n, loops, op in memory_uses(fn):
        if not isinstance(op, (For, While)):
            continue
        carried = op.body.args[1:] if isinstance(op, For) else op.body.args
        members = [k for k, y in enumerate(op.body.yields)
                   if y.kind in _ARRAY_KINDS and any(y is c for c in carried)]
        targets = [next(j for j, c in enumerate(carried) if c is op.body.yields[k])
                   for k in members]
        if sorted(targets) != sorted(members):
            continue
        inits = [memory.allocations(op.inits[k]) for k in members]
        if any(a & b for i, a in enumerate(inits) for b in inits[i + 1:]) or \
                any(not a for a in inits):
            continue
        for k in members:
            groups[id(carried[k])] = n
            if isinstance(op, While):
                groups[id(op.cond.args[k])] = n
            if not loops:   # after the loop they still are distinct allocations
                groups[id(op.results[k])] = n
    return groups

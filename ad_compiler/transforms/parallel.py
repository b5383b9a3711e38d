"""``prange`` loops: which run in parallel, and how, without a race.

The user's ``for i in prange(n)`` says its iterations are independent, as Numba's does. The
frontend marks such a loop ``For.parallel``; the transforms copy the mark onto the loop's
forward sweep, its reverse loop and its tangent loop. This module, run on the generated
function just before printing, decides for each marked loop:

* **direct**: printed as ``prange`` when nothing one iteration writes is touched by another:
  every store into memory the loop does not allocate goes to the iteration's own element
  (first index an injective function of the loop index, ``b_x[i]``), and every scalar set in
  the body is private (assigned before it is read) or a reduction ``s = s + e`` that nothing
  else in the body reads (Numba combines those per thread).
* **privatised**: where iterations accumulate into shared memory (the adjoint of a gather
  ``x[j]`` is the scatter ``b_x[j] += ...``, the adjoint of a loop-invariant array is a
  whole-array ``+=``), the iterations are split into one chunk per thread of Numba's pool
  (``NUMBA_NUM_THREADS`` when the code is generated); each chunk
  accumulates into its own zeroed copy of that memory, and the copies are added into it
  after the loop. Valid when the body only accumulates into that memory (never reads it).
* **serial** otherwise (a tape indexed by a shared counter, a plain store to another
  iteration's element, an element read that another iteration may write): a plain range,
  which is always right.

Before that, a marked loop that only reduces (the value's forward sweep) is fused with the
marked loop after it over the same indices (its reverse sweep) where that is proved to
compute the same (:meth:`_Scheduler.fuse_sweeps`): one pass, and the work both sweeps
repeat done once.

Without ``parallel=True`` every loop is serial, and :func:`check_prange` still refuses a
``prange`` loop that carries a value that is not a reduction (Numba's rule), since such a
loop means something else once it runs in parallel.
"""

from __future__ import annotations

from dataclasses import replace

from ..analysis.memory import VIEW_PRIMS, is_view_load
from ..errors import DifferentiationError
from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Value, While, copy_ir, walk)
from ..rules import PRIMITIVES
from .builder import Builder, Namer
from .irtools import all_names
from .simplify import simplify_loop

_REDUCTIONS = ("add", "sub", "mul")          # s += e, s -= e, s *= e (Numba's prange)
_MUTATING_PRIMS = frozenset({"list_put", "opaque_call"})   # may write their operands


# --------------------------------------------------------------------------- the user's rule

def declared_parallel(fn) -> bool:
    """Whether ``fn`` is a Numba dispatcher compiled with ``parallel=True`` (or a dict of
    parallel options): its gradient then runs in parallel too, as its user expects."""
    options = getattr(fn, "targetoptions", None)
    return bool(options.get("parallel", False)) if isinstance(options, dict) else False


def check_prange(fn: Function):
    """Refuse a ``prange`` loop whose body carries a value other than a reduction."""
    for op in walk(fn.body):
        if not (isinstance(op, For) and op.parallel):
            continue
        for arg, new in zip(op.body.args[1:], op.body.yields):
            if not _is_reduction(op.body, arg, new):
                name = arg.name.split(".")[0]
                raise DifferentiationError(
                    f"the prange loop carries '{name}' from one iteration to the next, and "
                    f"its update is not a reduction ('{name} += ...', '-=', '*=' with "
                    f"'{name}' read nowhere else in the body); iterations of a prange loop "
                    f"must be independent", construct="prange loop", function=fn.name,
                    filename=fn.filename, line=op.line)


def _is_reduction(body: Region, arg: Value, new: Value) -> bool:
    """``new`` is ``arg`` combined with values that do not read ``arg`` by one reduction
    operator, on every path (branches may skip the update, inner loops may repeat it), and
    ``arg`` is read nowhere else."""
    return _reduction_kinds(body, arg, new) is not None


def _reduction_kinds(body: Region, arg: Value, new: Value) -> set | None:
    """The reduction operators that make ``new`` from ``arg`` (see :func:`_is_reduction`),
    or None. Every value on the way (``arg`` and each partial result) is read once, by the
    next step."""
    chain, links, kinds = {id(arg)}, {}, set()   # links: id(op) -> its operand on the chain
    defs = _definitions(body)

    def follow(v):
        if v is arg:
            return True
        op = defs.get(id(v))
        if isinstance(op, Prim) and op.name in _REDUCTIONS and len(op.operands) == 2:
            sides = [0] if op.name == "sub" else [0, 1]
            for k in sides:
                if follow(op.operands[k]):
                    kinds.add(op.name)
                    links[id(op)] = [op.operands[k]]
                    chain.add(id(v))
                    return True
            return False
        if isinstance(op, If):
            k = op.results.index(v)
            links[id(op)] = []
            chain.add(id(v))
            return follow(op.then.yields[k]) and follow(op.orelse.yields[k])
        if isinstance(op, For):
            k = op.results.index(v)
            inner = _reduction_kinds(op.body, op.body.args[1 + k], op.body.yields[k])
            if inner is None or not follow(op.inits[k]):
                return False
            kinds.update(inner)
            links[id(op)] = [op.inits[k]]
            chain.add(id(v))
            return True
        return False

    if not follow(new) or len(kinds) > 1:
        return None
    for op in walk(body):
        on_chain = [x for x in op.operands if id(x) in chain]
        if len(on_chain) != len(links.get(id(op), ())) or \
                any(x is not y for x, y in zip(on_chain, links.get(id(op), ()))):
            return None
        if id(op) not in links and any(id(y) in chain for sub in op.regions()
                                       for y in sub.yields):
            return None
    return kinds


# --------------------------------------------------------------------------- scheduling

def schedule_parallel(fn: Function, enabled: bool) -> Function:
    """``fn`` with ``For.parallel`` left only on loops that run in parallel (each direct or
    privatised, see the module docstring); a copy when anything changes."""
    if not any(isinstance(op, For) and op.parallel for op in walk(fn.body)):
        return fn
    fn = copy_ir(fn)
    _Scheduler(fn, enabled).region(fn.body, inside_parallel=False)
    return fn


class _Scheduler:
    def __init__(self, fn: Function, enabled: bool):
        self.fn, self.enabled = fn, enabled
        self.namer = Namer(all_names(fn))
        self.defs = _definitions(fn.body)

    def region(self, region: Region, inside_parallel: bool):
        if not inside_parallel:         # serial gradients gain the one pass too
            self.fuse_sweeps(region)
        new_ops = []
        for op in region.ops:
            replacement = [op]
            if isinstance(op, For) and op.parallel:
                if inside_parallel or not self.enabled:
                    op.parallel = False         # Numba runs the outermost prange only
                else:
                    replacement = self.loop(op)
            for sub in op.regions():
                self.region(sub, inside_parallel or (isinstance(op, For) and op.parallel))
            new_ops.extend(replacement)
        region.ops[:] = new_ops

    def loop(self, op: For) -> list[Op]:
        step = op.operands[2]
        backwards = isinstance(step, Const) and step.value == -1     # a reverse loop
        before = [] if backwards else self.unit_step(op)
        rebased, after, counters = self.rebase_counters(op)
        before += rebased
        self.defs = _definitions(self.fn.body)
        plan = _Plan(op, self.defs, _read_after(self.fn.body, op), counters)
        if not plan.ok:
            op.parallel = False
            return before + [op] + after
        if backwards:
            before += self.forwards(op)
        if not plan.shared:
            return before + [op] + after
        return before + self.privatised(op, plan.shared) + after

    def fuse_sweeps(self, region: Region):
        """A parallel loop that only reduces (a forward sweep computing the value) and the
        parallel loop after it over the same indices (its reverse sweep, which reads none of
        what the first sets) run as one loop: one pass over the data, and what both compute
        (the loads, ``exp(-r2 / h)``) is computed once. Their inner loops over one range are
        fused the same way. Kept apart unless the fused loop still runs in parallel."""
        k = 0
        while k < len(region.ops):
            first = region.ops[k]
            k += 1
            if not (isinstance(first, For) and first.parallel):
                continue
            m = k
            while m < len(region.ops) and _movable(region.ops[m]):
                m += 1
            second = region.ops[m] if m < len(region.ops) else None
            moved = isinstance(second, For) and second.parallel and \
                _fusable(first, region.ops[k:m], second, self.defs, self.fn)
            if not moved:
                continue
            saved = list(region.ops)
            fused = _fused(first, second)
            region.ops[k - 1:m + 1] = moved[0] + [fused] + moved[1]
            self.defs = _definitions(self.fn.body)
            if not _Plan(fused, self.defs, _read_after(self.fn.body, fused)).ok:
                region.ops[:] = saved
                self.defs = _definitions(self.fn.body)
                continue
            _substitute_index(fused)
            self.fuse_inner(fused.body)
            simplify_loop(self.fn, fused)      # the halves' conditions: one value each
            if _merge_ifs(fused.body, _assigned_once(self.fn)):
                simplify_loop(self.fn, fused)
            self.defs = _definitions(self.fn.body)
            k = region.ops.index(fused) + 1

    def fuse_inner(self, body: Region):
        """The inner loops of a fused body: a serial loop, then (past ops it may run before)
        one over the same indices whose iterations are independent (so it may run in either
        direction), fused as :meth:`fuse_sweeps` does."""
        k = 0
        while k < len(body.ops):
            first = body.ops[k]
            k += 1
            if not isinstance(first, For):
                continue
            m = k
            while m < len(body.ops) and _movable(body.ops[m]):
                m += 1
            second = body.ops[m] if m < len(body.ops) else None
            moved = isinstance(second, For) and \
                _fusable(first, body.ops[k:m], second, self.defs, self.fn)
            if not moved or not _Plan(second, self.defs, _read_after(self.fn.body, second)).ok:
                continue
            fused = _fused(first, second)
            _substitute_index(fused)
            body.ops[k - 1:m + 1] = moved[0] + [fused] + moved[1]
            self.defs = _definitions(self.fn.body)
            k = body.ops.index(fused) + 1

    def unit_step(self, op: For) -> list[Op]:
        """Numba's prange takes only a step of 1: a loop with another step (but -1, see
        :meth:`forwards`) runs over ``range(trips)`` and computes its index from that."""
        start, stop, step = op.operands[:3]
        if isinstance(step, Const) and step.value == 1:
            return []
        b = Builder(self.namer, op.line)
        trips = b.lift(b.trip_count(start, stop, step))
        index = op.body.args[0]
        position = self.namer.value("_p", "int")
        at = Builder(self.namer, op.line)
        at.ops.append(Assign([index], [at.lift(at.wrap(start) + at.wrap(position) * step)],
                             op.line))
        op.operands[:3] = [Const(0), trips, Const(1)]
        op.body.args[0] = position
        op.body.ops[:0] = at.ops
        return b.ops

    def forwards(self, op: For) -> list[Op]:
        """``range(start, stop, -1)`` as ``range(stop + 1, start + 1)``: the same indices in
        the order Numba's prange takes, once the iterations are known to be independent.
        The index stays the loop variable, which the bounds checks prove affine."""
        start, stop, _ = op.operands[:3]
        b = Builder(self.namer, op.line)
        last = self.defs.get(id(start))      # a reverse loop starts at ``n - 1``: ends at n
        once = isinstance(last, Prim) and all(
            sum(r is v for o in walk(self.fn.body) for r in o.results) <= 1
            for v in [start] + last.operands)        # names assigned once: the same values
        end = last.operands[0] if once and last.name == "sub" and \
            isinstance(last.operands[1], Const) and last.operands[1].value == 1 else \
            b.lift(b.wrap(start) + 1)
        op.operands[:3] = [b.lift(b.wrap(stop) + 1), end, Const(1)]
        return b.ops

    def rebase_counters(self, op: For):
        """Tapes indexed by the iteration: each tape counter the body steps (``_k = _k + 1``
        as the forward sweep pushes, ``_k = _k - 1`` as the reverse sweep pops) by the same
        number ``P`` of steps in every iteration becomes a private counter that starts at
        ``k0 +- position * P``; after the loop the shared counter is set to where the serial
        loop leaves it, ``k0 +- trips * P``. Returns (ops before, ops after, the private
        counters), whose ranges in different iterations are disjoint."""
        before, after, private = [], [], set()
        invariant = _Invariant(op.body, self.namer)
        exposed = _upward_exposed(op.body, {id(v) for v in op.body.args})
        start, stop, step = op.operands[:3]    # a step of 1 (unit_step) or -1
        index = op.body.args[0]
        for counter in exposed:
            steps = _counter_steps(op.body, counter, invariant)
            if steps is None:
                continue
            sign, sites = steps
            b = Builder(self.namer, op.line)
            per_iteration = None
            for chain in sites:
                trips = Const(1)
                for loop in chain:
                    bounds = [invariant.hoist(v, b.ops) for v in loop.operands[:3]]
                    trips = b.lift(b.wrap(b.lift(b.trip_count(*bounds))) * trips)
                per_iteration = trips if per_iteration is None else \
                    b.lift(b.wrap(per_iteration) + trips)
            base = self.namer.value(f"{counter.name}_0", "int")
            b.ops.append(Assign([base], [counter], op.line))
            total = b.lift(b.wrap(_trips(b, start, stop, step)) * per_iteration)
            before += b.ops
            mine = self.namer.value(f"{counter.name}_i", "int")
            private.add(id(mine))
            for inner in walk(op.body):
                inner.operands = [mine if x is counter else x for x in inner.operands]
                inner.results = [mine if r is counter else r for r in inner.results]
            top = Builder(self.namer, op.line)
            position = top.wrap(index) - start if step.value == 1 else top.wrap(start) - index
            offset = position * per_iteration
            first = top.wrap(base) + offset if sign > 0 else top.wrap(base) - offset
            top.ops.append(Assign([mine], [top.lift(first)], op.line))
            op.body.ops[:0] = top.ops
            end = Builder(self.namer, op.line)
            last = end.wrap(base) + total if sign > 0 else end.wrap(base) - total
            after += end.ops + [Assign([counter], [end.lift(last)], op.line)]
        return before, after, private

    def privatised(self, op: For, shared: list[Value]) -> list[Op]:
        """One chunk of iterations per thread, each accumulating into its own zeroed copy of
        the ``shared`` arrays; the copies are added into them after the loop."""
        b = Builder(self.namer, op.line)
        start, stop, step = op.operands[:3]      # a step of 1 (unit_step)
        chunks = self.namer.value("_chunks", "int")
        b.ops.append(Assign([chunks], [Const(_thread_count())], op.line))
        trips = _trips(b, start, stop, step)
        copies = {}
        for array in shared:
            copies[id(array)] = self.namer.value(f"_priv_{array.name.lstrip('_')}", "array")
            copies[id(array)].ndim = (array.ndim + 1) if array.ndim is not None else None
            b.ops.append(Prim([copies[id(array)]], [chunks, array], op.line,
                              name="tape_of_arrays"))
        chunk = self.namer.value("_c", "int")
        whole = self.namer.value("_t", "slice")
        head = Builder(self.namer, op.line)
        head.ops.append(Prim([whole], [Const(None)] * 3, op.line, name="slice"))
        mine = {}
        for array in shared:
            mine[id(array)] = self.namer.value(f"{array.name}_c", "array")
            mine[id(array)].ndim = array.ndim
            zero = {"int": Const(0), "bool": Const(False)}.get(array.dtype, Const(0.0))
            head.ops += [Load([mine[id(array)]], [copies[id(array)], chunk], op.line),
                         Store([], [mine[id(array)], whole, zero], op.line)]
        lo = head.prim("floordiv", [head.lift(head.wrap(chunk) * trips), chunks]) + start
        hi = head.prim("floordiv", [head.lift((head.wrap(chunk) + 1) * trips), chunks]) + start
        body = op.body
        for inner_op in walk(body):     # the chunk's copy in place of the shared memory
            inner_op.operands = [mine.get(id(x), x) for x in inner_op.operands]
        index, *carried = body.args
        # reductions the loop carries: through the chunk's loop, then across the chunks
        entering = [self.namer.value(v.name, v.kind) for v in carried]
        leaving = [self.namer.value(v.name, v.kind) for v in carried]
        for new, old in zip(entering + leaving, carried + carried):
            new.ndim, new.dtype = old.ndim, old.dtype
        inner = For(leaving, [head.lift(lo), head.lift(hi), Const(1)] + entering, op.line,
                    body=Region(args=[index] + carried, ops=body.ops, yields=body.yields))
        outer = For(op.results, [Const(0), chunks, Const(1)] + list(op.inits), op.line,
                    parallel=True, body=Region(args=[chunk] + entering,
                                               ops=head.ops + [inner], yields=leaving))
        after = []
        for array in shared:
            c, row, whole2 = (self.namer.value("_c", "int"), self.namer.value("_t", "array"),
                              self.namer.value("_t", "slice"))
            row.ndim = array.ndim
            after.append(For([], [Const(0), chunks, Const(1)], op.line, body=Region(
                args=[c], ops=[Load([row], [copies[id(array)], c], op.line),
                               Prim([whole2], [Const(None)] * 3, op.line, name="slice"),
                               Store([], [array, whole2, row], op.line, accumulate=True)])))
        return b.ops + [outer] + after


class _Plan:
    """What a parallel loop's body touches that other iterations touch too.

    ``ok``: it can run in parallel; ``shared``: arrays (defined outside the loop) that
    iterations accumulate into at elements other than their own (privatised)."""

    def __init__(self, op: For, defs: dict, read_outside: set, counters=frozenset()):
        self.op, self.defs = op, defs
        self.ok, self.shared = True, []
        index = op.body.args[0]
        # values injective in the iteration (tape counters: disjoint ranges)
        self.own = {id(index)} | set(counters)
        self.local = {id(v) for v in op.body.args}   # values set in the body
        for inner in walk(op.body):
            for v in inner.results:
                self.local.add(id(v))
            for sub in inner.regions():
                self.local.update(id(v) for v in sub.args)
        self._scalars(op.body, read_outside)
        if self.ok:
            self._memory(op.body)

    # scalars -------------------------------------------------------------------------
    def _scalars(self, body: Region, read_outside: set):
        carried = body.args[1:]
        for arg, new in zip(carried, body.yields):
            if not _is_reduction(body, arg, new):
                self.ok = False
                return
        exposed = _upward_exposed(body, {id(v) for v in body.args})
        for v in exposed:
            if id(v) in self.local and not _imperative_reduction(body, v):
                self.ok = False
                return
        for inner in walk(body):     # a private value read after the loop: the last one's
            for v in inner.results:
                if id(v) in read_outside and not _imperative_reduction(body, v):
                    self.ok = False
                    return

    # memory --------------------------------------------------------------------------
    def _memory(self, body: Region):
        writes: dict[int, list] = {}    # id(root) -> [(own, accumulate, path)]
        reads: dict[int, list] = {}
        roots = {}
        updates, update_loads = _read_modify_writes(body)
        for op in walk(body):
            self._note_own(op)
            if isinstance(op, Store):
                root, path, own = self._root(op.operands[0], op.operands[1])
                if root is None:
                    continue
                roots[id(root)] = root
                writes.setdefault(id(root), []).append(
                    (own, op.accumulate or id(op) in updates, path))
            elif isinstance(op, Load):
                if is_view_load(op) or id(op) in update_loads:
                    continue            # a view: its uses are what touch memory
                root, path, own = self._root(op.operands[0],
                                             op.operands[1] if len(op.operands) > 1 else None)
                if root is not None:
                    roots[id(root)] = root
                    reads.setdefault(id(root), []).append((own, False, path))
            elif isinstance(op, Prim):
                if op.name in _MUTATING_PRIMS and any(x.kind in ("array", "any", "list")
                                                       for x in op.operands):
                    self.ok = False
                    return
                if op.name in VIEW_PRIMS:
                    continue
                for x in op.operands:
                    if x.kind == "array":
                        root, path, _ = self._root(x, None)
                        if root is not None:
                            roots[id(root)] = root
                            reads.setdefault(id(root), []).append((False, False, path))
            elif isinstance(op, Assign) and op.operands and op.operands[0].kind == "array" \
                    and id(op.results[0]) not in self.local:
                self.ok = False         # an outer array name rebound in the body
                return
        for rid, ws in writes.items():
            accesses = ws + reads.get(rid, [])
            if len({id(p) for _, _, p in accesses}) > 1:   # two views of one memory
                accesses = [(False, acc, p) for _, acc, p in accesses]
                ws = [(False, acc, p) for _, acc, p in ws]
            if all(own for own, _, _ in accesses):
                continue
            if all(acc for _, acc, _ in ws) and rid not in reads:
                if any(p is not roots[rid] for _, _, p in ws):
                    self.ok = False    # writes through a view made outside the loop
                    return
                self.shared.append(roots[rid])
                continue
            self.ok = False
            return

    def _note_own(self, op: Op):
        """Values computed from the iteration's own index by an injective step."""
        if isinstance(op, Assign) and op.operands and id(op.operands[0]) in self.own:
            self.own.add(id(op.results[0]))
        elif isinstance(op, Prim) and op.name in ("add", "sub") and len(op.operands) == 2:
            a, b = op.operands
            if (id(a) in self.own and id(b) not in self.local) or \
                    (op.name == "add" and id(b) in self.own and id(a) not in self.local):
                self.own.add(id(op.results[0]))
        elif isinstance(op, Prim) and op.name == "mul" and len(op.operands) == 2:
            a, b = op.operands
            for x, y in ((a, b), (b, a)):
                if id(x) in self.own and isinstance(y, Const) and y.value not in (0, False):
                    self.own.add(id(op.results[0]))

    def _root(self, array: Value, first_index: Value | None):
        """(the memory an access touches, the Value it goes through outside the loop,
        whether it is the iteration's own part); (None, ...) for memory the body allocates."""
        own = first_index is not None and id(first_index) in self.own
        v = array
        while id(v) in self.local:
            op = self.defs.get(id(v))
            if isinstance(op, Load) and is_view_load(op):
                own = own or (len(op.operands) > 1 and id(op.operands[1]) in self.own)
                v = op.operands[0]
            elif isinstance(op, Prim) and op.name in VIEW_PRIMS:
                own = False
                v = op.operands[0]
            elif isinstance(op, Assign):
                v = op.operands[0]
            else:
                return None, None, False        # allocated in the body: private
        return _base(v, self.defs), v, own      # views made outside the loop, to their base


# --------------------------------------------------------------------------- fusion

_WRITING_PRIMS = _MUTATING_PRIMS | {"tape", "grow", "reserve"}


def _movable(op: Op) -> bool:
    """An op that may run before the loop before it: it computes a value (or a fresh
    array) and writes no memory."""
    return isinstance(op, (Assign, Load)) or \
        isinstance(op, Prim) and op.name not in _WRITING_PRIMS


def _fusable(first: For, between: list, second: For, defs: dict, fn: Function):
    """``(before, after)``, the ops of ``between`` split so that ``before``, then ``first``
    and ``second`` fused (iteration ``i`` of ``first`` then of ``second``), then ``after``
    compute what ``first``, ``between``, ``second`` do; or None. ``after`` holds the ops
    that read what ``first`` sets (the value's last steps); ``second`` reads none of that.
    The two loops take the same indices (``second`` maybe reversed: the caller proves its
    iterations independent); ``first`` writes no memory; nothing later sets what an
    earlier op reads; ``second`` writes only arrays allocated in the function that
    ``first`` and ``after`` do not read."""
    if not _same_indices(first, second, defs, fn):
        return None
    if any(isinstance(op, Store) or isinstance(op, Prim) and op.name in _WRITING_PRIMS
           for op in walk(first.body)):
        return None
    late = set(_set_in(first))
    before, after = [], []
    for op in between:
        reads_late = any(id(x) in late for x in op.operands)
        (after if reads_late else before).append(op)
        if reads_late:
            late |= {id(r) for r in op.results}
    reads = {"first": {id(x) for x in _reads(first)}, "second": {id(x) for x in _reads(second)},
             "before": {id(x) for op in before for x in op.operands},
             "after": {id(x) for op in after for x in op.operands}}
    sets = {"first": _set_in(first), "second": _set_in(second),
            "before": {id(r) for op in before for r in op.results},
            "after": {id(r) for op in after for r in op.results}}
    once = _assigned_once(fn)

    def independent(x, y, flows=frozenset()):
        """x and y may run in either order (y may read values in ``flows`` x sets)."""
        return not ((sets[x] & reads[y]) - flows or sets[x] & sets[y] or sets[y] & reads[x])

    # the pairs whose order changes: first/before, second/after, before/after (whose
    # order in ``between`` may differ); and the fused loops' iterations interleave
    if not (independent("first", "before") and independent("second", "after")
            and independent("first", "second")
            and independent("before", "after", sets["before"] & reads["after"] & once)):
        return None
    params = {id(v) for v in fn.params + fn.free_vars}
    reading = [first] + after
    roots = {id(_base(x, defs)) for op in reading for x in
             (_reads(op) if isinstance(op, For) else op.operands) if x.kind in ("array", "any")}
    for op in walk(second.body):
        if isinstance(op, Store):
            root = _base(op.operands[0], defs)
            made = defs.get(id(root))
            if id(root) in params or id(root) in roots or not (
                    isinstance(made, Prim) and made.name in PRIMITIVES and
                    PRIMITIVES[made.name].effect == "alloc"):
                return None
    return before, after


def _assigned_once(fn: Function) -> set:
    """ids of the values one op of ``fn`` assigns (and no other)."""
    counts: dict[int, int] = {}
    for op in walk(fn.body):
        for r in op.results:
            counts[id(r)] = counts.get(id(r), 0) + 1
    return {k for k, c in counts.items() if c == 1}


def _same_indices(first: For, second: For, defs: dict, fn: Function) -> bool:
    """``first`` is ``range(a, b)`` and ``second`` ``range(a, b)`` or
    ``range(b - 1, a - 1, -1)`` (``b - 1`` a value assigned once, from ``b``)."""
    a, b, step = first.operands[:3]
    c, d, step2 = second.operands[:3]
    if not (isinstance(step, Const) and step.value == 1 and isinstance(step2, Const)):
        return False
    if step2.value == 1:
        return _equal(a, c, defs) and _equal(b, d, defs)
    return step2.value == -1 and _minus_one(c, b, defs, fn) and _minus_one(d, a, defs, fn)


def _equal(x: Value, y: Value, defs: dict) -> bool:
    return x is y or isinstance(x, Const) and isinstance(y, Const) and x.value == y.value


def _minus_one(x: Value, y: Value, defs: dict, fn: Function) -> bool:
    """Whether ``x`` is ``y - 1`` (both assigned at most once: the same values wherever
    they are read)."""
    if isinstance(x, Const) and isinstance(y, Const):
        return x.value == y.value - 1
    op = defs.get(id(x))
    assigned = [r for o in walk(fn.body) for r in o.results]
    return isinstance(op, Prim) and op.name == "sub" and op.operands[0] is y and \
        isinstance(op.operands[1], Const) and op.operands[1].value == 1 and \
        sum(r is x for r in assigned) == 1 and sum(r is y for r in assigned) <= 1


def _set_in(loop: For) -> set:
    """ids of the values ``loop`` sets (its results, its body's args and results)."""
    out = {id(r) for r in loop.results}
    for op in [loop] + list(walk(loop.body)):
        for sub in op.regions():
            out |= {id(a) for a in sub.args}
        if op is not loop:
            out |= {id(r) for r in op.results}
    return out


def _reads(loop: For) -> list[Value]:
    """The values ``loop`` reads (its bounds and inits, and in its body)."""
    out = list(loop.operands)
    for op in walk(loop.body):
        out += op.operands
        for sub in op.regions():
            out += sub.yields
    return out + list(loop.body.yields)


def _base(v: Value, defs: dict) -> Value:
    """The array ``v`` is a view of (``v`` itself when it is not a view)."""
    for _ in range(100):
        op = defs.get(id(v))
        if isinstance(op, Load) and is_view_load(op) or \
                isinstance(op, Prim) and op.name in VIEW_PRIMS or \
                isinstance(op, Assign) and op.operands and op.operands[0].kind == "array":
            v = op.operands[0]
        else:
            break
    return v


def _fused(first: For, second: For) -> For:
    """One loop running ``first``'s body then ``second``'s in each iteration, in
    ``first``'s order; ``second``'s index is set from ``first``'s (see
    :func:`_substitute_index`)."""
    start, stop = first.operands[:2]
    index, *carried = first.body.args
    index2, *carried2 = second.body.args
    body = Region(args=[index] + carried + carried2,
                  ops=first.body.ops + [Assign([index2], [index], second.line)] +
                  second.body.ops, yields=first.body.yields + second.body.yields)
    return For(first.results + second.results,
               [start, stop, Const(1)] + first.inits + second.inits, first.line,
               body=body, parallel=first.parallel)


def _merge_ifs(region: Region, once: set):
    """``if c: A`` directly followed by ``if c: B`` (``c`` one value, assigned once: ``A``
    cannot change it) as ``if c: A; B``, in ``region`` and the regions in it: the two halves
    of a fused body test the user's condition twice, and what they both compute under it
    is then one subexpression. ``B`` reads the first if's results as the values its branch
    yields. Whether any were merged."""
    k, merged = 0, False
    while k < len(region.ops):
        op = region.ops[k]
        nxt = region.ops[k + 1] if k + 1 < len(region.ops) else None
        if isinstance(op, If) and isinstance(nxt, If) and \
                op.operands[0] is nxt.operands[0] and id(op.operands[0]) in once:
            for first, second in ((op.then, nxt.then), (op.orelse, nxt.orelse)):
                inner = dict(zip(map(id, op.results), first.yields))
                for o in walk(second):
                    o.operands = [inner.get(id(x), x) for x in o.operands]
                    for sub in o.regions():
                        sub.yields = [inner.get(id(y), y) for y in sub.yields]
                second.yields = [inner.get(id(y), y) for y in second.yields]
                first.ops += second.ops
                first.yields += second.yields
            op.results += nxt.results
            del region.ops[k + 1]
            merged = True
            continue
        for sub in op.regions():
            merged |= _merge_ifs(sub, once)
        k += 1
    return merged


def _substitute_index(fused: For):
    """Drop the ``index2 = index`` of :func:`_fused`: ``index`` read in its place (so that
    the two halves' loads of one element are one)."""
    copy = next(op for op in fused.body.ops if isinstance(op, Assign)
                and op.operands[0] is fused.body.args[0])
    old, new = copy.results[0], copy.operands[0]
    fused.body.ops.remove(copy)
    for op in walk(fused.body):
        op.operands = [new if x is old else x for x in op.operands]
        for sub in op.regions():
            sub.yields = [new if y is old else y for y in sub.yields]
    fused.body.yields = [new if y is old else y for y in fused.body.yields]


def _thread_count() -> int:
    """Numba's thread pool size (``NUMBA_NUM_THREADS``, all cores by default), written into
    the generated source as a constant: ``numba.get_num_threads()`` in compiled code would
    keep Numba from caching it, and the constant keys the cache by the pool size."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def _trips(b: Builder, start: Value, stop: Value, step: Const) -> Value:
    """The trip count of ``range(start, stop, step)``."""
    if isinstance(start, Const) and start.value == 0 and step.value == 1:
        return stop
    return b.lift(b.trip_count(start, stop, step))


class _Invariant:
    """Scalars a loop body computes from values set before the loop only (``n - 1``, the
    bound of an inner reverse loop): the same in every iteration, and computable before."""

    def __init__(self, body: Region, namer: Namer):
        self.defs, self.namer = _definitions(body), namer
        self.local = {id(r) for op in walk(body) for r in op.results}
        self.local |= {id(a) for op in walk(body) for sub in op.regions() for a in sub.args}
        self.local |= {id(a) for a in body.args}
        self.hoisted: dict[int, Value] = {}

    def __call__(self, v: Value) -> bool:
        if id(v) not in self.local:
            return True
        op = self.defs.get(id(v))
        return (isinstance(op, Prim) and op.name not in _MUTATING_PRIMS and
                v.kind in ("int", "float", "bool") and all(self(x) for x in op.operands))

    def hoist(self, v: Value, ops: list) -> Value:
        """``v`` computed before the loop (appending the ops to ``ops``)."""
        if id(v) not in self.local:
            return v
        if id(v) not in self.hoisted:
            op = self.defs[id(v)]
            operands = [self.hoist(x, ops) for x in op.operands]
            self.hoisted[id(v)] = self.namer.value("_t", v.kind)
            ops.append(replace(op, results=[self.hoisted[id(v)]], operands=operands))
        return self.hoisted[id(v)]


def _counter_steps(body: Region, counter: Value, invariant: _Invariant):
    """``(sign, sites)`` when every assignment of ``counter`` in the body is
    ``counter = counter + 1`` (sign 1) or every one is ``- 1`` (sign -1), each in the body
    itself or in ``for`` loops whose bounds are the same in every iteration (no branch, no
    ``while``): ``sites`` lists, per assignment, those loops. Else None."""
    sites, signs = [], set()

    def visit(region, chain):
        for op in region.ops:
            if any(r is counter for r in op.results):
                if not (isinstance(op, Prim) and op.name in ("add", "sub")
                        and op.operands[0] is counter and isinstance(op.operands[1], Const)
                        and op.operands[1].value == 1):
                    return False
                signs.add(1 if op.name == "add" else -1)
                sites.append(chain)
            for sub in op.regions():
                if not any(r is counter for inner in walk(sub) for r in inner.results):
                    continue
                if not isinstance(op, For) or not all(invariant(b) for b in op.operands[:3]):
                    return False
                if not visit(sub, chain + [op]):
                    return False
        return True

    if counter.kind != "int" or not visit(body, []) or len(signs) != 1:
        return None
    return signs.pop(), sites


def _read_modify_writes(body: Region):
    """``a[k] = a[k] + e`` (the user's ``+=``, lowered): the stores that only add to the
    element they read, and those loads (an accumulation, as ``a[k] += e`` is)."""
    uses: dict[int, int] = {}
    for op in walk(body):
        for x in op.operands:
            uses[id(x)] = uses.get(id(x), 0) + 1
        for sub in op.regions():
            for y in sub.yields:
                uses[id(y)] = uses.get(id(y), 0) + 1
    defs = _definitions(body)
    stores, loads = set(), set()
    for op in walk(body):
        if not isinstance(op, Store) or op.accumulate:
            continue
        total = defs.get(id(op.operands[-1]))
        if not (isinstance(total, Prim) and total.name == "add"
                and uses.get(id(total.results[0])) == 1):
            continue
        for x in total.operands:
            load = defs.get(id(x))
            if isinstance(load, Load) and uses.get(id(x)) == 1 and \
                    len(load.operands) == len(op.operands) - 1 and \
                    all(a is b for a, b in zip(load.operands, op.operands)):
                stores.add(id(op))
                loads.add(id(load))
                break
    return stores, loads


def _imperative_reduction(body: Region, v: Value) -> bool:
    """Every assignment of ``v`` in the body is ``v = v + e`` (or ``-``) with ``e`` not
    reading ``v``, and nothing else in the body reads ``v``."""
    updates = 0
    for op in walk(body):
        sets = any(r is v for r in op.results)
        reads = [x for x in op.operands if x is v]
        if sets:
            if not (isinstance(op, Prim) and op.name in ("add", "sub") and len(reads) == 1
                    and op.operands[0] is v):
                return False
            updates += 1
        elif reads or any(y is v for sub in op.regions() for y in sub.yields):
            return False
    return updates > 0


def _upward_exposed(region: Region, defined: set) -> list[Value]:
    """Values read in ``region`` (nested regions included) at a point where the body has
    not (certainly) assigned them yet."""
    exposed, seen = [], set()

    def note(v, done):
        if isinstance(v, Value) and not isinstance(v, Const) and id(v) not in done \
                and id(v) not in seen:
            seen.add(id(v))
            exposed.append(v)

    def visit(reg: Region, done: set) -> set:
        done = set(done) | {id(a) for a in reg.args}
        for op in reg.ops:
            for x in op.operands:
                note(x, done)
            if isinstance(op, If):
                after = [visit(sub, done) for sub in op.regions()]
                done |= after[0] & after[1]
            elif isinstance(op, (For, While)):
                for sub in op.regions():
                    visit(sub, done)
            done |= {id(r) for r in op.results}
        for y in reg.yields:
            note(y, done)
        return done

    visit(region, defined)
    return exposed


def _definitions(region: Region) -> dict:
    """id(value) -> the op that (last) sets it, over the whole function."""
    defs = {}
    for op in walk(region):
        for r in op.results:
            defs[id(r)] = op
    return defs


def _read_after(body: Region, loop: For) -> set:
    """Values read after ``loop`` ends: by the ops that follow it, and anywhere in a loop
    around it (its next iteration)."""
    order = list(walk(body))
    position = next(k for k, op in enumerate(order) if op is loop)
    inside = {id(op) for op in walk(loop.body)} | {id(loop)}
    later = [op for op in order[position + 1:] if id(op) not in inside]
    around = [op for op in order[:position] if isinstance(op, (For, While))
              and any(x is loop for x in walk(op.body))]
    later += [x for op in around for x in walk(op.body) if id(x) not in inside]
    reads = {id(x) for op in later for x in op.operands}
    reads |= {id(y) for op in later + around for sub in op.regions() for y in sub.yields}
    reads |= {id(y) for y in body.yields}
    return reads

"""Tape counters that restate something already there (part of the clean-up of derivative
IR, :mod:`.cleanup`).

Reverse mode indexes each loop's tapes with a counter of its own: ``_k = 0`` before the
loop, ``_k = _k + 1`` at the end of each forward iteration, ``_k = _k - 1`` at the top of
each reverse one; a ``while`` also counts its iterations in ``_n`` beside ``_k``. Where a
counter provably equals a value the code has anyway, its reads read that value and the
counter goes (dead-code removal drops a variable that only its own updates read):

* **a loop index**: in ``for i in range(N)`` a counter that is 0 on entry and steps by one
  as the body's last touch of it is ``i`` in the body (and ``trip_count(0, N, 1)`` after the
  loop); in ``for j in range(N - 1, -1, -1)`` a counter that holds that trip count (or
  ``N`` itself) on entry and steps back by one as the body's first touch of it is ``j``
  after the step (and 0, or ``N - trip_count``, after the loop);
* **an offset index**: ``_n = trip_count(a, b, 1); for _it in range(_n - 1, -1, -1):
  i = a + _it`` (the reverse of ``for i in range(a, b)``) is ``for i in range(b - 1, a - 1,
  -1)``;
* **one iteration**: ``for i in range(s, s + 1)`` (or ``range(s, s - 1, -1)``, a
  re-run segment of one iteration) is its body with ``i = s``; on the way, ``(s + 1) - 1``
  is ``s`` where ``s`` holds between the two;
* **counters in step**: two counters set together (``_k = k0; _n = 0``, adjacent) and
  stepped together (``_k = _k + 1; _n = _n + 1``, adjacent) keep ``_n == _k - k0`` until
  either, or ``k0``, is assigned otherwise; where that holds ``_n`` reads as ``_k - k0``.

Imperative IR names variables, not values, so facts are kept per name and any other
assignment of a name they mention ends them. Only the counter shapes the reverse transform
writes are recognised; anything else is left as it is.
"""

from __future__ import annotations

from dataclasses import replace

from ..frontend.ir import Assign, Const, For, If, Op, Prim, Region, Value, While
from .builder import Namer
from .irtools import all_regions, defined, named, read, substitute

def restate_counters(body: Region, namer: Namer) -> bool:
    """Both rewrites of the module docstring over ``body`` (in place); whether any fired."""
    changed = _loop_indices(body, namer)
    changed |= _counters_in_step(body, namer)
    changed |= _offset_reverse_loops(body, namer)
    changed |= _single_iterations(body)
    return changed


# --- a counter that is the loop index -----------------------------------------------------
def _names(values) -> list[str]:
    return [v.name for v in values if named(v)]


def _is_step(op: Op, name: str | None, prim: str) -> bool:
    """Whether ``op`` is ``name = name <prim> 1`` on ints (any name when ``name`` is None)."""
    return isinstance(op, Prim) and op.name == prim and not op.attrs and \
        len(op.operands) == 2 and named(op.operands[0]) and \
        op.operands[0].name == op.results[0].name and op.results[0].kind == "int" and \
        (name is None or op.results[0].name == name) and \
        isinstance(op.operands[1], Const) and op.operands[1].kind == "int" and \
        op.operands[1].value == 1


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, Const) or isinstance(b, Const):
        return isinstance(a, Const) and isinstance(b, Const) and a.kind == b.kind == "int" \
            and a.value == b.value
    return named(a) and named(b) and a.name == b.name


def _carries(op: For, name: str) -> bool:
    """Whether the loop carries a value under ``name`` (SSA slots of the forward sweep)."""
    return any(named(v) and v.name == name
               for v in op.body.args[1:] + op.body.yields + op.inits + op.results)


class _Facts:
    """What straight-line code knows about variables (name -> fact), each fact holding
    until its variable, or a variable it reads, is assigned; indexed by the variables read,
    so forgetting costs the assignment's names, not a scan of every fact per statement."""

    def __init__(self):
        self._facts: dict[str, tuple] = {}     # name -> (fact, names it reads)
        self._readers: dict[str, set] = {}

    def get(self, name, default=None):
        held = self._facts.get(name)
        return default if held is None else held[0]

    def __contains__(self, name):
        return name in self._facts

    def __bool__(self):
        return bool(self._facts)

    def __getitem__(self, name):
        return self._facts[name][0]

    def hold(self, name: str, fact, reads=()):
        self._facts[name] = (fact, frozenset(reads))
        for r in reads:
            self._readers.setdefault(r, set()).add(name)

    def forget(self, written):
        for w in written:
            self._facts.pop(w, None)
            for n in self._readers.pop(w, ()):
                held = self._facts.get(n)
                if held is not None and w in held[1]:
                    del self._facts[n]


def _loop_indices(region: Region, namer: Namer) -> bool:
    """The loop-index rewrite in ``region`` and, first, in every nested region. The
    counter's value after a rewritten loop is assigned there (where nothing reads it
    later, the clean-up's dead code removal takes the assignment away again)."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _loop_indices(sub, namer)
    facts = _Facts()   # name -> ("const", c) | ("trips", N) | ("less", C)
    k = 0
    while k < len(region.ops):
        op = region.ops[k]
        after: list[Op] = []
        if isinstance(op, For) and not op.parallel:
            after = _forward_index(op, facts) or _reverse_index(op, facts, namer)
        if facts:
            facts.forget(defined(op))
        if isinstance(op, Assign) and named(op.results[0]) and \
                isinstance(op.operands[0], Const) and op.operands[0].kind == "int":
            facts.hold(op.results[0].name, ("const", op.operands[0].value))
        elif isinstance(op, Prim) and op.name == "sub" and not op.attrs and \
                named(op.results[0]) and len(op.operands) == 2 and \
                isinstance(op.operands[1], Const) and op.operands[1].value == 1 and \
                op.operands[1].kind == "int" and not _same(op.operands[0], op.results[0]):
            facts.hold(op.results[0].name, ("less", op.operands[0]), _names(op.operands[:1]))
        elif isinstance(op, Prim) and op.name == "trip_count" and named(op.results[0]) and \
                _same(op.operands[0], Const(0)) and _same(op.operands[2], Const(1)):
            facts.hold(op.results[0].name, ("trips", op.operands[1]), _names(op.operands[1:2]))
        if after:   # the counter's value after the loop, next
            changed = True
            region.ops[k + 1:k + 1] = after
        k += 1
    return changed


def _forward_index(op: For, facts: _Facts) -> list[Op]:
    """For ``for i in range(0, N, 1)`` whose counter is 0 on entry and ends each iteration
    with ``k = k + 1`` (its only assignment there, nothing reading it after): reads of
    ``k`` in the body become ``i``, the step goes; returns ``[k = trip_count(0, N, 1)]``
    for after the loop ([] when nothing matches)."""
    start, stop, step = op.operands[:3]
    index = op.body.args[0]
    if not (_same(start, Const(0)) and _same(step, Const(1)) and named(index)):
        return []
    if named(stop) and stop.name in defined(op):
        return []
    ops = op.body.ops
    for j, inc in enumerate(ops):
        if not _is_step(inc, None, "add"):
            continue
        name = inc.results[0].name
        if facts.get(name) != ("const", 0) or name == index.name or \
                any(name in defined(x) for x in ops[:j] + ops[j + 1:]) or \
                any(name in read(x) for x in ops[j + 1:]) or \
                _carries(op, name) or \
                index.name in set().union(*(defined(x) for x in ops[:j])):
            continue
        substitute(Region(ops=ops[:j]), name, index)
        del ops[j]
        counter = Value(name, "int", ndim=0)
        return [Prim([counter], [Const(0), stop, Const(1)], op.line, name="trip_count")]
    return []


def _reverse_index(op: For, facts: _Facts, namer: Namer) -> list[Op]:
    """For ``for j in range(S, -1, -1)`` with ``S = C - 1``, whose counter holds
    ``trip_count(0, C, 1)`` (or is ``C``) on entry and starts each iteration with
    ``k = k - 1`` (its only assignment there): reads of ``k`` after that step become ``j``,
    the step goes; returns the ops giving ``k`` its value after the loop ([] when nothing
    matches)."""
    start, stop, step = op.operands[:3]
    index = op.body.args[0]
    less = facts.get(start.name) if named(start) else None
    if not (_same(stop, Const(-1)) and _same(step, Const(-1)) and named(index)
            and less is not None and less[0] == "less"):
        return []
    bound = less[1]
    ops = op.body.ops
    for j, dec in enumerate(ops):
        if not _is_step(dec, None, "sub"):
            continue
        name = dec.results[0].name
        entry = facts.get(name)
        holds_trips = entry is not None and entry[0] == "trips" and _same(entry[1], bound)
        is_bound = named(bound) and bound.name == name
        if not (holds_trips or is_bound) or name == index.name or \
                any(name in read(x) or name in defined(x) for x in ops[:j]) or \
                any(name in defined(x) for x in ops[j + 1:]) or \
                _carries(op, name) or any(index.name in defined(x) for x in ops):
            continue
        substitute(Region(ops=ops[j + 1:]), name, index)
        del ops[j]
        counter = Value(name, "int", ndim=0)
        if holds_trips:
            return [Assign([counter], [Const(0)], op.line)]
        # C - trip_count(C - 1, -1, -1): 0 unless C was negative
        trips = namer.value("_t", "int")
        return [Prim([trips], [start, Const(-1), Const(-1)], op.line, name="trip_count"),
                Prim([counter], [bound, trips], op.line, name="sub")]
    return []


# --- counters in step ---------------------------------------------------------------------
def _pair(ops: list, k: int, shape) -> tuple | None:
    """``shape(a, b)`` over ``ops[k], ops[k + 1]`` in either order, or None."""
    if k + 1 >= len(ops):
        return None
    return shape(ops[k], ops[k + 1]) or shape(ops[k + 1], ops[k])


def _inits(a: Op, b: Op):
    """(counted, counter, start) for ``counter = start`` beside ``counted = 0``."""
    if not (isinstance(a, Assign) and isinstance(b, Assign) and named(a.results[0])
            and named(b.results[0]) and a.results[0].kind == b.results[0].kind == "int"):
        return None
    start, zero = a.operands[0], b.operands[0]
    counter, counted = a.results[0].name, b.results[0].name
    if counter == counted or not _same(zero, Const(0)) or \
            (named(start) and start.name in (counter, counted)) or start.kind != "int":
        return None
    return counted, counter, start


def _starts_in_step(ops: list, k: int, stepped: set) -> tuple | None:
    """The fact ``_inits`` finds at ``ops[k]`` when both its counters are ones some
    ``x = x + 1`` steps, else None."""
    inits = _pair(ops, k, _inits)
    return inits if inits is not None and set(inits[:2]) <= stepped else None


def _steps(a: Op, b: Op):
    """(name, name) for ``a = a + 1`` beside ``b = b + 1``."""
    if _is_step(a, None, "add") and _is_step(b, None, "add") and \
            a.results[0].name != b.results[0].name:
        return a.results[0].name, b.results[0].name
    return None


def _counters_in_step(body: Region, namer: Namer) -> bool:
    regions = list(all_regions(body))
    stepped = {op.results[0].name for region in regions for op in region.ops
               if _is_step(op, None, "add")}
    if not any(_starts_in_step(region.ops, k, stepped) for region in regions
               for k in range(len(region.ops) - 1)):
        return False    # no two counters start together: no fact to follow (most code)
    rewrites: list = []
    _flow(body, frozenset(), rewrites, stepped)
    for region, k, op, counted, counter, start in reversed(rewrites):
        diff = namer.value("_t", "int")
        diff.ndim = 0
        region.ops.insert(k, Prim([diff], [Value(counter, "int", ndim=0), start],
                                  op.line, name="sub"))
        op.operands = [diff if named(v) and v.name == counted else v
                       for v in op.operands]
    return bool(rewrites)


def _kill(facts: frozenset, written: set) -> frozenset:
    return frozenset(f for f in facts if not ({f[0], f[1]} & written or
                                              (named(f[2]) and f[2].name in written)))


def _flow(region: Region, facts: frozenset, rewrites: list | None,
          stepped: set) -> frozenset:
    """The facts ``(counted, counter, start)`` holding after ``region`` given those on
    entry (``stepped``: the names some ``x = x + 1`` steps, the only ones counted); with
    ``rewrites``, collects ``(region, k, op, *fact)`` for each plain op that reads
    ``counted`` where its fact holds (not its own step)."""
    facts = _kill(facts, {v.name for v in region.args if named(v)})
    ops = region.ops
    truths: set[str] = set()   # names holding a true constant (a restartable while's test)
    k = 0
    while k < len(ops):
        op = ops[k]
        once = isinstance(op, While) and not op.cond.ops and named(op.cond.yields[0]) and \
            op.cond.yields[0].name in truths
        if truths:
            truths -= defined(op)
        if isinstance(op, Assign) and named(op.results[0]) and \
                isinstance(op.operands[0], Const) and op.operands[0].value and \
                op.operands[0].kind in ("bool", "int"):
            truths.add(op.results[0].name)
        inits = _starts_in_step(ops, k, stepped)
        steps = _pair(ops, k, _steps)
        if inits is not None:
            facts = _kill(facts, set(inits[:2])) | {inits}
            k += 2
            continue
        if steps is not None:
            both = set(steps)
            facts = frozenset(f for f in facts if {f[0], f[1]} == both) | \
                _kill(facts, both)
            k += 2
            continue
        if rewrites is not None and not op.regions():
            for fact in facts:
                if any(named(v) and v.name == fact[0] for v in op.operands):
                    rewrites.append((region, k, op, *fact))
                    break
        if isinstance(op, If):
            facts = _flow(op.then, facts, rewrites, stepped) & \
                _flow(op.orelse, facts, rewrites, stepped)
        elif isinstance(op, (For, While)):
            facts = _loop(op, facts, rewrites, stepped, once)
        elif facts:
            facts = _kill(facts, defined(op))
        k += 1
    return facts


def _loop(op: Op, facts: frozenset, rewrites: list | None, stepped: set,
          once=False) -> frozenset:
    """Facts after a loop: those holding on entry that every iteration keeps (a fixpoint:
    facts only shrink); for a ``while`` whose first test is known true (``once``), those
    its last iteration leaves, since it never exits without one."""
    results = {v.name for v in op.results if named(v)}
    cond = op.cond if isinstance(op, While) else Region()
    head = facts
    while True:
        out = _flow(op.body, _flow(cond, head, None, stepped), None, stepped)
        new = head & out
        if new == head:
            break
        head = new
    if rewrites is not None:
        _flow(cond, head, rewrites, stepped)
        _flow(op.body, _flow(cond, head, None, stepped), rewrites, stepped)
    after = _flow(cond, out if once else head, None, stepped)
    return _kill(after, results)


# --- a reverse loop over an offset index --------------------------------------------------
def _offset_reverse_loops(region: Region, namer: Namer) -> bool:
    """The offset-index rewrite (module docstring) in ``region`` and its nested regions."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _offset_reverse_loops(sub, namer)
    trips = _Facts()   # name -> (a, b) of its trip_count(a, b, 1) here
    less = _Facts()    # name -> the name it is one less than
    k = 0
    while k < len(region.ops):
        op = region.ops[k]
        if isinstance(op, For) and not op.parallel and named(op.operands[0]) and \
                less.get(op.operands[0].name) in trips and \
                _same(op.operands[1], Const(-1)) and _same(op.operands[2], Const(-1)):
            lo, hi = trips[less[op.operands[0].name]]
            new = _offset_index(op, lo)
            if new is not None:
                start = namer.value("_t", "int")
                start.ndim = 0
                stop = Const(lo.value - 1) if isinstance(lo, Const) else namer.value("_t", "int")
                ops = [Prim([start], [hi, Const(1)], op.line, name="sub")]
                if not isinstance(lo, Const):
                    stop.ndim = 0
                    ops.append(Prim([stop], [lo, Const(1)], op.line, name="sub"))
                new.operands = [start, stop, Const(-1)]
                region.ops[k:k + 1] = ops + [new]
                k += len(ops)
                changed = True
                op = new
        if trips or less:
            written = defined(op)
            trips.forget(written)
            less.forget(written)
        if isinstance(op, Prim) and op.name == "trip_count" and named(op.results[0]) and \
                _same(op.operands[2], Const(1)) and \
                all(isinstance(v, Const) or named(v) for v in op.operands[:2]):
            trips.hold(op.results[0].name, (op.operands[0], op.operands[1]),
                       _names(op.operands[:2]))
        elif isinstance(op, Prim) and op.name == "sub" and named(op.results[0]) and \
                named(op.operands[0]) and _same(op.operands[1], Const(1)):
            less.hold(op.results[0].name, op.operands[0].name, _names(op.operands[:1]))
        k += 1
    return changed


def _offset_index(op: For, lo: Value) -> For | None:
    """``op`` iterating its ``i = lo + _it`` directly (the caller gives it its new range),
    or None when its body does not start that way (only a counter's step before it)."""
    iteration = op.body.args[0]
    ops = op.body.ops
    for j, x in enumerate(ops):
        if _is_step(x, None, "sub"):
            continue
        if not (isinstance(x, Prim) and x.name == "add" and not x.attrs
                and named(x.results[0]) and x.results[0].kind == "int"):
            return None
        a, b = x.operands
        if named(b) and b.name == iteration.name and _same(a, lo):
            pass
        elif named(a) and a.name == iteration.name and _same(b, lo):
            pass
        else:
            return None
        index = x.results[0]
        rest = ops[:j] + ops[j + 1:]
        if index.name == iteration.name or _carries(op, index.name) or \
                any(iteration.name in read(y) for y in rest) or \
                any(index.name in read(y) or index.name in defined(y) for y in ops[:j]) or \
                any(index.name in defined(y) for y in ops[j + 1:]):
            return None
        return replace(op, body=Region(args=[Value(index.name, "int", ndim=0)],
                                       ops=rest, yields=op.body.yields))
    return None


# --- a loop of one iteration --------------------------------------------------------------
def _single_iterations(region: Region) -> bool:
    """The one-iteration rewrite (module docstring) in ``region`` and its nested regions."""
    changed = False
    for op in region.ops:
        for sub in op.regions():
            changed |= _single_iterations(sub)
    offsets = _Facts()   # name -> (base, c): it holds base + c here
    k = 0
    while k < len(region.ops):
        op = region.ops[k]
        if isinstance(op, For) and not op.parallel and _one_iteration(op, offsets):
            region.ops[k:k + 1] = _unrolled(op)
            changed = True
            continue
        step = _int_offset(op)
        if step is not None and step[0].name in offsets:   # (s + 1) - 1 -> s + 0
            base, c = offsets[step[0].name]
            total = c + step[1]
            op.name, op.operands = ("add", [base, Const(total)]) if total >= 0 else \
                ("sub", [base, Const(-total)])
            changed = True
        if offsets:
            offsets.forget(defined(op))
        step = _int_offset(op)
        if step is not None and op.results[0].name != step[0].name:
            offsets.hold(op.results[0].name, step, (step[0].name,))
        k += 1
    return changed


def _int_offset(op: Op):
    """(x, c) when ``op`` is ``y = x + c`` or ``y = x - c`` on ints, else None."""
    if not (isinstance(op, Prim) and op.name in ("add", "sub") and not op.attrs and
            len(op.operands) == 2 and named(op.results[0]) and op.results[0].kind == "int"):
        return None
    x, c = op.operands
    if not (named(x) and x.kind == "int" and isinstance(c, Const) and c.kind == "int"):
        return None
    return x, c.value if op.name == "add" else -c.value


def _one_iteration(op: For, offsets: dict) -> bool:
    start, stop, step = op.operands[:3]

    def where(v):
        if isinstance(v, Const):
            return (None, v.value) if v.kind == "int" else None
        base, c = offsets.get(v.name, (v, 0))
        return base.name, c

    a, b = where(start), where(stop)
    if a is None or b is None or a[0] != b[0] or not isinstance(step, Const):
        return False
    return (step.value == 1 and b[1] - a[1] == 1) or (step.value == -1 and a[1] - b[1] == 1)


def _unrolled(op: For) -> list[Op]:
    """The ops of ``op``'s one iteration: carried values and the index set, the body, the
    results taken from its yields."""
    index, *carried = op.body.args
    ops: list[Op] = [Assign([a], [v], op.line) for a, v in zip(carried, op.inits)]
    if named(index):
        ops.append(Assign([index], [op.operands[0]], op.line))
    ops += op.body.ops
    ops += [Assign([r], [y], op.line) for r, y in zip(op.results, op.body.yields)]
    return ops

"""Reverse mode: SSA IR of ``f`` -> imperative IR of ``f_vjp``.

``f_vjp(*params, *free_vars, *seeds)`` returns ``(*outputs, *cotangents_of_wrt_params)``. It is
one forward sweep (the primal, recording on tapes what the adjoint needs) followed by one
reverse sweep (the adjoint, ops visited in reverse order, rules from the table).

The pipeline (:func:`reverse_stages`), one job per pass, each printable
(``python -m ad_compiler show FILE:F --ir all``):

1. **Invariant hoisting** (:mod:`.licm`) on the primal: sizes and bounds a loop recomputes
   move before it, so tapes can be sized once.
2. **Segmenting** (:mod:`.checkpoint`, with ``checkpoint=C``): long loops split into
   segments that the reverse sweep re-runs from snapshots.
3. **Adjoint generation** (this module's :class:`ReverseTransform`): one forward sweep and
   one reverse sweep, asking the **to-be-recorded analysis** (:mod:`.tbr`: record,
   recompute, or save before a store) for each primal value the adjoint reads, and **tape
   placement** (:mod:`.tapes`: static sizes, reservations, restartable ``while`` loops) for
   each recorded one.
4. **Clean-up** (:mod:`.cleanup`): copies, zero-inits, repeated branch code, dead code and
   dead tapes removed from the generated code.

How the generated code works:

* Activity analysis (:mod:`.activity`) decides which values get adjoints; others are skipped.
* Adjoints are symbolic zeros until their first contribution, which assigns (``b_x = ...``);
  later ones accumulate (``b_x = b_x + ...``). A contribution first made inside a branch or a
  loop is preceded by an explicit zero in the enclosing region. Arrays are memory: their
  adjoints are zero-filled arrays from the start of the region that defines them, and the
  adjoint of ``x[i]`` accumulates into ``b_x[i]``.
* Loops: a primal value defined in a loop body and needed by the adjoint is recorded on a tape
  indexed by that loop's iteration counter (cumulative over enclosing loops), unless it is
  cheap to recompute; a value of a branch is restored where that branch reverses. A ``For``
  reverses as a reversed range; a ``While`` counts its iterations and replays that many.
* Branches reverse as branches on the same (recorded, inside loops) condition.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from ..analysis.memory import (Memory, check_aliasing, related_views,
                               user_name as _user_name)
from ..errors import DifferentiationError
from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Value, While, walk)
from ..rules import PRIMITIVES
from .activity import Activity
from .builder import Builder, Namer, Sym
from .carry import carry_across_iterations
from .checkpoint import (Checkpointing, passes_adjoint_through, rerun_independent_iterations,
                         split_for_checkpointing)
from .cleanup import cleanup
from .irtools import SCALAR_KINDS, all_names, element_index, is_int
from .licm import hoist_invariants
from .shapes import same_shape, shape_classes
from .specialize import load_signature
from .tapes import TapePlacement
from .tbr import ToBeRecorded

_TEMPORARY = re.compile(r"^_t\d+$")


@dataclass(eq=False)
class _Loop:
    """Per-loop bookkeeping of the reverse transform."""

    op: Op
    parent: "_Loop | None"
    counter: Value                       # cumulative iteration counter, tape index
    needed: list = field(default_factory=list)       # body values the adjoint reads
    restored: dict = field(default_factory=dict)     # id(value) -> Value in reverse code
    tapes: dict = field(default_factory=dict)        # id(value) -> tape Value
    count: Value | None = None           # While only: iterations of the current instance
    index: Value | None = None           # For only: the index in the reverse loop
    growable: bool = False               # tapes double when full (capacity unknown at entry)
    capacity: Value | None = None        # a restartable while's tape capacity (see below)

    @property
    def body(self) -> Region:
        return self.op.body


class _Scope:
    """Which adjoints hold a value (are not symbolic zeros) in the code being built."""

    def __init__(self, parent=None):
        self.live = set(parent.live) if parent else set()


class ReverseTransform(ToBeRecorded, TapePlacement, Checkpointing):
    restart_whiles = False
    def __init__(self, fn: Function, wrt: list[int], recompute: dict | None = None,
                 seeded: int | None = None):
        self.fn = fn
        # checkpointing: id(For) -> tape capacity (a Value before the loop) of the loops the
        # reverse sweep re-runs, taped, segment by segment (see ``split_for_checkpointing``);
        # their forward-sweep copy records nothing
        self.recompute = recompute or {}
        self.snapshots: dict[int, list] = {}   # id(recomputed For) -> [(array, tape)]
        self._taping = True
        self.wrt = wrt
        self.inputs = [fn.params[i] for i in wrt]
        self.outputs = list(fn.body.yields)
        # the outputs differentiated (a seed each); the rest (``has_aux``'s aux) are only
        # returned, and nothing is computed backwards for them
        self.seeded = self.outputs[:seeded]
        self.activity = Activity(fn, self.inputs, self.seeded)
        self.mem = Memory(fn)
        self.shapes = shape_classes(fn)   # arrays of one shape: no unbroadcast between them
        self.aliases = check_aliasing(fn, self.mem)
        self.namer = Namer(all_names(fn))
        self.adjoints: dict[int, Value] = {}
        self.loops: dict[int, _Loop] = {}
        self.home: dict[int, _Loop | None] = {}
        self.defining_op: dict[int, Op] = {}
        # arrays some store may change, through any name or view (the memory model)
        self.stored_arrays = {id(v) for v in _all_values(fn) if self.mem.is_written(v)}
        # arrays used as memory (element loads and stores): their adjoints are zero-filled
        # arrays updated in place; other array values have symbolic-zero adjoints like scalars
        self.memory = self.stored_arrays | {id(op.operands[0]) for op in walk(fn.body)
                                            if isinstance(op, Load)}
        # arrays whose contents the reverse sweep reads whole (operands of primitives, slice
        # loads): elements a store overwrites are saved before it and restored after its
        # adjoint, so the array is as it was at each point of the reverse sweep
        self.read_whole = {id(v) for op in walk(fn.body) if isinstance(op, Prim)
                           for v in op.operands}
        self.read_whole |= {id(op.operands[0]) for op in walk(fn.body)
                            if isinstance(op, Load) and
                            not element_index(op.operands[1:], op.operands[0])}
        self.saves: dict[int, Load] = {}   # id(store) -> load of the overwritten part
        self.reused_saves: set[int] = set()   # stores whose save is a load the user wrote
        self.list_tapes: set[int] = set()   # tapes of arrays whose shape changes: lists
        self._paths: dict[int, dict] = {}    # id(loop) -> its _branch_paths
        # id(primal branch region) -> the op list of its reverse (see ``_restore``)
        self.reverse_code: dict[int, list] = {}
        self._index_homes(fn.body, None)
        # arrays recorded as references rather than copies (see ``_record_by_reference``),
        # and the conflicts that ask for it: (value, the refusal when it cannot be done)
        self.reference_tapes: set[int] = set()
        self._by_reference: list[tuple[Value, DifferentiationError]] = []
        self._check_restored_through_copies()

    # ------------------------------------------------------------------ analysis helpers

    def _index_homes(self, region: Region, loop: _Loop | None):
        for v in region.args:
            self.home.setdefault(id(v), loop)
        for k, op in enumerate(region.ops):
            # an unbuffered scatter (np.add.at) changes what it adds into as a store does
            if isinstance(op, Store) and self._overwrites_read(op):
                array, *index, value = op.operands
                loaded = _loaded_before(region.ops[:k], op)
                if loaded is not None:   # ``x[i] = f(x[i])``: the load is the saved value
                    self.saves[id(op)] = loaded
                    self.reused_saves.add(id(op))
                    continue
                part = _part_of(array, index) if array.ndim is not None and \
                    array.kind == "array" else value
                old = self.namer.value(f"_old_{array.name.lstrip('_')}", part.kind)
                old.ndim = part.ndim   # what the store overwrites (a row for m[1] = 0.5)
                save = Load([old], [array, *index], op.line)
                self.saves[id(op)] = save
                self.home[id(old)] = loop
                self.defining_op[id(old)] = save
            for v in op.results:
                self.home[id(v)] = loop
                self.defining_op[id(v)] = op
            if isinstance(op, (For, While)):
                inner = _Loop(op, loop, self.namer.value("_k", "int"))
                self.loops[id(op)] = inner
                if isinstance(op, While):
                    inner.count = self.namer.value("_n", "int")
                    self.home[id(inner.count)] = loop
                    self.defining_op[id(inner.count)] = op
                for sub in op.regions():
                    self._index_homes(sub, inner)
            else:
                for sub in op.regions():
                    self._index_homes(sub, loop)

    def _check_restored_through_copies(self):
        """A loop-carried array that the body rebinds to new memory (``a = np.tanh(a)``) is
        recorded as a copy each iteration, and the reverse sweep walks back that copy. When
        it may be memory that is read whole before the loop (an argument bound to it,
        ``a = x``), that memory itself would not be walked back: it is recorded by reference
        instead (``_record_by_reference``)."""
        for op in walk(self.fn.body):
            if not isinstance(op, (For, While)):
                continue
            carried = op.body.args[1:] if isinstance(op, For) else op.body.args
            swapped = _swapped_arrays(op, carried)
            stored = self.mem.stored_in(op.body)
            loop_pos = self._positions[id(op)][0]
            for k, arg in enumerate(carried):
                if k in swapped or not (self.mem.allocations(arg) & stored):
                    continue
                for pos, loops, v in self._whole_reads:
                    if pos < loop_pos and id(op) not in loops and \
                            self.mem.allocations(v) & self.mem.allocations(arg) & stored:
                        self._by_reference.append((arg, DifferentiationError(
                            f"'{_user_name(arg)}' is rebound to new arrays inside the loop and "
                            f"written, and may be the memory of '{_user_name(v)}' read before "
                            f"the loop; copy it before the loop (np.copy)",
                            construct="aliased arrays", function=self.fn.name,
                            filename=self.fn.filename, line=op.line)))

    def _check_copies_walked_back(self):
        """An array a loop records whole (a copy per iteration) is walked back, in the
        reverse sweep, by the restores of stores through that same value only: a store
        through another value that may be the same memory would leave the copy stale. A
        buffer allocated afresh in the iteration after ``v`` was bound (``w = u.copy()``,
        then ``u = w``) is never ``v``'s memory: only the next iteration's ``v`` is it.
        Otherwise ``v`` is recorded by reference (``_record_by_reference``)."""
        for loop in self.loops.values():
            recorded = [v for v in loop.needed if id(v) in loop.tapes and v.kind == "array"
                        and id(v) in self.stored_arrays and not self._copied_view(v)]
            for v in recorded:
                for op in walk(loop.body):
                    if isinstance(op, Store) and op.operands[0] is not v and \
                            self.aliases.may_alias(op.operands[0], v) and \
                            not related_views(self.mem, op.operands[0], v, self.mem.live_views):
                        self._by_reference.append((v, DifferentiationError(
                            f"'{_user_name(op.operands[0])}' (written here) may be the memory of "
                            f"'{_user_name(v)}', which the loop records each iteration; write "
                            f"through one name, or copy one of them (np.copy)",
                            construct="aliased arrays", function=self.fn.name,
                            filename=self.fn.filename, line=op.line)))
        self._record_by_reference()

    def _record_by_reference(self):
        """Record by reference every array a loop records that may share memory with one the
        checks above found, and the arrays that may share memory with those (closed over
        aliases). Its entries are then the arrays themselves, and every store into that
        memory, through any name, is undone in place by the reverse sweep (a store whose old
        part some read needs is saved and restored, per allocation): at each point of the
        reverse sweep the memory holds what it held at that point of the primal, whichever
        array a name referred to in that iteration. A copy would see only the restores made
        through its own name. Refused where references cannot stand in: a checkpointed
        loop (its segments restart from copies), integer arrays or an unknown rank."""
        if not self._by_reference:
            return
        recorded = [v for loop in self.loops.values() for v in loop.needed
                    if id(v) in loop.tapes and v.kind == "array"
                    and id(v) in self.stored_arrays and not self._copied_view(v)]
        memory = frozenset().union(*(self.mem.allocations(v) for v, _ in self._by_reference))
        grown = True
        while grown:
            grown = False
            for v in recorded:
                if id(v) not in self.reference_tapes and self.mem.allocations(v) & memory:
                    self.reference_tapes.add(id(v))
                    memory |= self.mem.allocations(v)
                    grown = True
        if self.recompute or any(v.dtype is not None or v.ndim is None for v in recorded
                                 if id(v) in self.reference_tapes):
            raise self._by_reference[0][1]

    def _copied_view(self, v) -> bool:
        """A slice taken as a value: the forward sweep copies it, no store reaches it."""
        return id(v) in self.mem.base and id(v) not in self.mem.live_views and \
            isinstance(self.defining_op.get(id(v)), Load)

    def active(self, v) -> bool:
        return self.activity.is_active(v)

    # ------------------------------------------------------------------ primal values

    def primal(self, v: Value, at: _Loop | None) -> Value:
        """The Value holding ``v``'s primal value in reverse code generated inside the reverse
        of loop ``at`` (None: outside every loop)."""
        if isinstance(v, Const) or id(v) not in self.home:
            return v
        home = self.home[id(v)]
        if home is None:
            return v
        if isinstance(home.op, For) and v is home.body.args[0]:
            return home.index
        if id(v) not in home.restored:
            # a variable of its own: the emitter may give the primal's name to other values
            home.restored[id(v)] = self.namer.value(
                "_t" if _TEMPORARY.match(v.name) else v.name, v.kind)
            home.needed.append(v)
        return home.restored[id(v)]

    # ------------------------------------------------------------------ adjoints

    def adjoint_var(self, v: Value) -> Value:
        if id(v) not in self.adjoints:
            kind = "array" if v.kind == "array" else v.kind
            # the adjoint of a temporary is a temporary: printed inside its use when it has
            # one assignment and one use, as the primal's temporaries are
            base = "_t" if _TEMPORARY.match(v.name) else f"b_{v.name.lstrip('_')}"
            self.adjoints[id(v)] = self.namer.value(base, kind)
            self.adjoints[id(v)].ndim = v.ndim
        return self.adjoints[id(v)]

    def zero(self, v: Value, at, ops: list, scope: _Scope, like: Value | None = None):
        """Emit ``b_v = 0`` (a zero of v's shape, taken from ``like`` when given: an
        adjoint of the same shape, which saves recording v) and mark it live. The adjoint
        of a view written through is the same view of its base's adjoint (shadow memory is
        laid out as the primal's)."""
        b = self.adjoint_var(v)
        view = self.defining_op.get(id(v))
        if id(v) in self.mem.live_views and isinstance(view, Load):
            base, *index = view.operands
            ops.append(Load([b], [self.adjoint_var(base)] + [self.primal(i, at) for i in index],
                            view.line))
        elif id(v) in self.mem.live_views and isinstance(view, Prim):   # .T, reshape
            ops.append(replace(view, results=[b], operands=[self.adjoint_var(view.operands[0])]
                               + [self.primal(x, at) for x in view.operands[1:]]))
        elif v.kind in SCALAR_KINDS:
            ops.append(Assign([b], [Const(0.0)]))
        else:
            shape_of = like if like is not None else self.primal(v, at)
            ops.append(Prim([b], [shape_of], name="adjoint_zero"))
        scope.live.add(id(v))

    def accumulate(self, v: Value, contribution: Value, ops: list, scope: _Scope, line=None):
        if not self.active(v) or contribution is None:
            return
        b = self.adjoint_var(v)
        if id(v) in scope.live and id(v) in self.memory and v.kind == "array":
            # in place: views of this adjoint (shadows of views) must see the contribution
            whole = self.namer.value("_t", "slice")
            ops += [Prim([whole], [Const(None)] * 3, line, name="slice"),
                    Store([], [b, whole, contribution], line, accumulate=True)]
        elif id(v) in scope.live:
            ops.append(Prim([b], [b, contribution], line, name="add"))
        else:
            ops.append(Assign([b], [contribution], line))
            scope.live.add(id(v))

    # ------------------------------------------------------------------ the transform

    def run(self) -> Function:
        scope = _Scope()
        rev: list[Op] = []
        seeds = [self.namer.value(f"g_{out.name.lstrip('_')}"
                                  if not isinstance(out, Const) else "g_out", out.kind)
                 for out in self.seeded]
        for array in self._arrays_defined_in(self.fn.body, include_params=True):
            self.zero(array, None, rev, scope)
        for out, seed in zip(self.seeded, seeds):
            self.accumulate(out, seed, rev, scope)
        rev += self.reverse_region(self.fn.body, None, scope)
        grads = []
        for p in self.inputs:
            if id(p) not in scope.live:
                self.zero(p, None, rev, scope)
            grads.append(self.adjoint_var(p))
        self._check_copies_walked_back()
        forward = self.forward_region(self.fn.body, None).ops
        # memory the reverse sweep walks back: an output array there is returned as a copy,
        # and the caller's arrays there are given back as the function leaves them
        restored = frozenset().union(*(self.mem.allocations(save.operands[0])
                                       for save in self.saves.values()))
        restored |= {a for arrays in self.snapshots.values() for array, _ in arrays
                     for a in self.mem.allocations(array)}
        outputs = []
        for out in self.outputs:
            if self.mem.allocations(out) & restored:
                copy = self.namer.value(f"{out.name}_out", out.kind)
                forward.append(Prim([copy], [out], name="copy"))
                out = copy
            outputs.append(out)
        for p in self.fn.params + self.fn.free_vars:
            if id(p) in restored:
                final, whole = self.namer.value(f"{p.name}_final", p.kind), \
                    self.namer.value("_t", "slice")
                forward.append(Prim([final], [p], name="copy"))
                rev += [Prim([whole], [Const(None)] * 3, name="slice"),
                        Store([], [p, whole, final])]
        body = Region(args=[], ops=forward + rev, yields=outputs + grads)
        return Function(name=f"{self.fn.name}_vjp", params=self.fn.params + self.fn.free_vars
                        + seeds, body=body, free_vars=[], free_var_sources=[],
                        returns_tuple=True, filename=self.fn.filename,
                        first_line=self.fn.first_line)

    def _arrays_defined_in(self, region: Region, include_params=False):
        values = list(self.fn.params) if include_params else []
        values += [v for v in region.args]
        values += [v for op in region.ops for v in op.results]
        return [v for v in values if id(v) in self.memory and self.active(v)]

    # ------------------------------------------------------------------ reverse sweep

    def reverse_region(self, region: Region, at: _Loop | None, scope: _Scope) -> list[Op]:
        ops: list[Op] = []
        for op in reversed(region.ops):
            self.reverse_op(op, at, scope, ops)
        return ops

    def reverse_op(self, op: Op, at, scope: _Scope, ops: list):
        if isinstance(op, Prim):
            self.reverse_prim(op, at, scope, ops)
        elif isinstance(op, Assign):
            if id(op.results[0]) in scope.live:
                self.accumulate(op.operands[0], self.adjoint_var(op.results[0]), ops, scope,
                                op.line)
        elif isinstance(op, Load):
            self.reverse_load(op, at, scope, ops)
        elif isinstance(op, Store):
            self.reverse_store(op, at, scope, ops)
        elif isinstance(op, If):
            self.reverse_if(op, at, scope, ops)
        elif isinstance(op, (For, While)):
            self.reverse_loop(self.loops[id(op)], at, scope, ops)
        else:
            raise DifferentiationError(f"cannot differentiate {type(op).__name__}",
                                       function=self.fn.name, filename=self.fn.filename,
                                       line=op.line)

    def reverse_prim(self, op: Prim, at, scope, ops):
        (ans,) = op.results or (None,)
        if ans is None or id(ans) not in scope.live or id(ans) in self.mem.live_views:
            return   # (a view written through: its adjoint is its base's memory already)
        prim = PRIMITIVES.get(op.name)
        targets = [i for i, x in enumerate(op.operands) if self.active(x)]
        if not targets or prim is None or not prim.differentiable:
            return
        builder = Builder(self.namer, op.line)
        g = builder.wrap(self.adjoint_var(ans))
        lazy = _LazyPrimal(self, at, builder)
        ans_sym = lazy(ans)
        operand_syms = [lazy(x) for x in op.operands]
        contributions = []
        for i in targets:
            rule = _vjp_rule(prim, i)
            if rule is None:
                if not prim.vjps:
                    raise DifferentiationError(
                        f"no derivative rule for '{op.name}'", construct=op.name,
                        function=self.fn.name, filename=self.fn.filename, line=op.line)
                continue
            try:
                c = rule(builder, g, ans_sym, *operand_syms, **op.attrs)
            except DifferentiationError as exc:
                raise exc.at(construct=op.name, function=self.fn.name,
                             filename=self.fn.filename, line=op.line) from None
            x = op.operands[i]
            if prim.elementwise and _may_broadcast(x, op.operands, ans, self.shapes):
                c = builder.unbroadcast(c, lazy(x))
            contributions.append((x, builder.lift(c)))
        ops.extend(builder.ops)
        for x, c in contributions:
            self.accumulate(x, c, ops, scope, op.line)

    def reverse_load(self, op: Load, at, scope, ops):
        array, *index = op.operands
        (result,) = op.results
        if id(result) not in scope.live or not self.active(array) or \
                id(result) in self.mem.live_views:
            return   # a shadow view: its adjoint is its base's memory already
        index = [self.primal(i, at) for i in index]
        ops.append(Store([], [self.adjoint_var(array), *index, self.adjoint_var(result)],
                         op.line, accumulate=True))

    def reverse_store(self, op: Store, at, scope, ops):
        array, *index, value = op.operands
        if not self.active(array):
            if id(op) in self.saves:   # no derivative, but its memory is still walked back
                old = self.primal(self.saves[id(op)].results[0], at)
                ops.append(Store([], [self.primal(array, at)] +
                                 [self.primal(i, at) for i in index] + [old], op.line))
            return
        index = [self.primal(i, at) for i in index]
        b_array = self.adjoint_var(array)
        g = None
        if self.active(value):
            part = _part_of(array, index)
            g = self.namer.value("_t", "float" if part.kind in SCALAR_KINDS else part.kind)
            g.ndim = part.ndim
            load = Load([g], [b_array, *index], op.line)
            if array.ndim is not None:   # NumPy's rules, advanced indices included
                g.kind, g.ndim, _ = load_signature(load)
            ops.extend(self._copied(load))
            if not op.accumulate and _indirect(index):
                # a buffered scatter: of the positions writing one element, the last wins
                ops.extend(self._written_only(g, b_array, index, op.line))
        if not op.accumulate:
            ops.append(Store([], [b_array, *index, Const(0.0)], op.line))
        if g is not None:
            if g.kind == "array" and (value.kind in SCALAR_KINDS or value.ndim != g.ndim or
                                      not _fills_part(value, array, op.operands[1:-1],
                                                      self.shapes, self.defining_op)):
                # a value broadcast into the part: a scalar, fewer axes, or axes of length 1
                # (``w[:, idx] = z`` with z of shape (3, 1)); the ranks alone cannot tell
                builder = Builder(self.namer, op.line)
                g = builder.lift(builder.unbroadcast(builder.wrap(g),
                                                     builder.wrap(self.primal(value, at))))
                ops.extend(builder.ops)
            self.accumulate(value, g, ops, scope, op.line)
        if id(op) in self.saves:
            old = self.primal(self.saves[id(op)].results[0], at)
            ops.append(Store([], [self.primal(array, at), *index, old], op.line))

    def _written_only(self, g: Value, b_array: Value, index, line) -> list[Op]:
        """``g *= last_writes(b_array, index)``: zero the positions of a buffered scatter
        whose element a later position of the same store overwrote."""
        where = self.namer.value("_index", "shape")
        mask = self.namer.value("_written", "array")
        mask.ndim = g.ndim
        return [Prim([where], list(index), line, name="tuple"),
                Prim([mask], [b_array, where], line, name="last_writes"),
                Prim([g], [g, mask], line, name="mul")]

    def _prepare_nested(self, regions, at, scope, ops):
        """Zero every outer adjoint that the reverse of ``regions`` may first touch inside
        them (arrays are zeroed where they are defined)."""
        defined = set()
        for region in regions:
            defined.update(id(v) for v in region.args)
            for inner in walk(region):
                defined.update(id(v) for v in inner.results)
                for sub in inner.regions():
                    defined.update(id(v) for v in sub.args)
        for region in regions:
            for v in _free_uses(region):
                if (id(v) not in defined and self.active(v) and id(v) not in scope.live
                        and id(v) not in self.memory):
                    self.zero(v, at, ops, scope)

    def reverse_if(self, op: If, at, scope, ops):
        live_results = [(k, r) for k, r in enumerate(op.results) if id(r) in scope.live]
        self._prepare_nested([op.then, op.orelse], at, scope, ops)
        branches = []
        for branch in (op.then, op.orelse):
            inner = _Scope(scope)
            code: list[Op] = []
            for array in self._arrays_defined_in(branch):   # before the yield's adjoint
                self.zero(array, at, code, inner)              # flows into them
            for k, r in live_results:
                self.accumulate(branch.yields[k], self.adjoint_var(r), code, inner, op.line)
            code += self.reverse_region(branch, at, inner)
            branches.append(code)
        if not any(branches):
            return
        for branch, code in zip((op.then, op.orelse), branches):
            self.reverse_code[id(branch)] = code   # values restored there go first
        cond = self.primal(op.operands[0], at)
        ops.append(If([], [cond], op.line, then=Region(ops=branches[0]),
                      orelse=Region(ops=branches[1])))

    def reverse_loop(self, loop: _Loop, at, scope, ops):
        op = loop.op
        carried = op.body.args[1:] if isinstance(op, For) else op.body.args
        # a carried value whose body argument is never read still passes its adjoint on
        active = [k for k, a in enumerate(carried)
                  if self.active(a) or self.active(op.results[k])]
        # carried adjoints enter the loop holding the results' adjoints
        for k in active:
            result, arg = op.results[k], carried[k]
            b_arg = self.adjoint_var(arg)
            if id(result) in scope.live:
                ops.append(Assign([b_arg], [self.adjoint_var(result)], op.line))
            else:
                self.zero(arg, at, ops, scope, like=self.primal(result, at))
        swapped = _swapped_arrays(op, carried)
        refs = self._swapped_references(loop, carried, swapped, at, ops)
        moved = {k for k in active if k in swapped and swapped[k] in active}
        self._prepare_nested([op.body], at, scope, ops)
        # trip count of this instance, and the reverse loop over it
        if isinstance(op, For):
            start, stop, step = (self.primal(v, at) for v in op.operands[:3])
            if is_int(start, 0) and is_int(step, 1):
                count = stop    # range(stop - 1, -1, -1) is empty when stop <= 0
            else:
                count = self.namer.value("_n", "int")
                ops.append(Prim([count], [start, stop, step], op.line, name="trip_count"))
        else:
            count = self.primal(loop.count, at)
        start, step = (op.operands[0], op.operands[2]) if isinstance(op, For) else (None, None)
        plain_index = (isinstance(op, For) and is_int(start, 0) and is_int(step, 1))
        if plain_index:
            iteration = Value(op.body.args[0].name, "int")
            loop.index = iteration
        else:
            iteration = self.namer.value("_it", "int")
            loop.index = op.body.args[0] if isinstance(op, For) else None
        body: list[Op] = []
        inner = _Scope(scope)
        inner.live.difference_update(id(carried[k]) for k in active)
        # the adjoint carried in flows to the values the body yields; the carried adjoints
        # then restart from zero (lazily: the first contribution in the body assigns)
        # (arrays used as memory restart from zero-filled arrays, before anything flows in)
        incoming = {}
        swaps = any(op.body.yields[k] in carried for k in active)
        for k in active:
            arg, new = carried[k], op.body.yields[k]
            if swaps or self.home.get(id(new)) is not loop or id(new) in self.memory \
                    or id(arg) in self.memory:
                incoming[k] = self.namer.value("_g", arg.kind)
                body.append(Assign([incoming[k]], [self.adjoint_var(arg)], op.line))
        for array in self._arrays_defined_in(op.body):
            if any(array is carried[k] for k in moved):
                continue   # the same memory as the adjoint flowing in: passed on as it is
            like = self.adjoint_var(array) if array in carried else None
            self.zero(array, loop, body, inner, like=like)
        for k in active:
            arg, new = carried[k], op.body.yields[k]
            self.accumulate(new, incoming.get(k, self.adjoint_var(arg)), body, inner, op.line)
        body += self.reverse_region(op.body, loop, inner)
        for k in active:
            if id(carried[k]) not in inner.live:
                self.zero(carried[k], loop, body, inner, like=self.adjoint_var(carried[k]))
        restore = self._restore(loop, at)
        locate = self._locate(loop, iteration, start, step, at) \
            if isinstance(op, For) and not plain_index else []
        if id(op) in self.recompute:
            ops.extend(self._rerun(loop, at))
        pairs = [(loop.restored[id(op.body.yields[k])], loop.restored[id(carried[k])],
                  functools.partial(self.primal, op.results[k], at))
                 for k in range(len(carried)) if carried[k].kind == "float"
                 and id(carried[k]) in loop.restored and id(op.body.yields[k]) in loop.restored]
        before, body = carry_across_iterations(restore + body, pairs, count, self.namer,
                                               op.line)
        ops.extend(before)
        if not before and not refs and self._order_free(loop):
            # the iterations in the order they ran, over the primal's own range
            bounds = [self.primal(v, at) for v in op.operands[:3]]
            iteration = loop.index
        else:
            builder = Builder(self.namer, op.line)
            bounds = [builder.lift(builder.wrap(count) - 1), Const(-1), Const(-1)]
            ops.extend(builder.ops)
            body = refs + locate + body
        ops.append(For([], bounds, op.line, body=Region(args=[iteration], ops=body),
                       parallel=isinstance(op, For) and op.parallel))   # see .parallel
        for k in active:
            self.accumulate(op.inits[k], self.adjoint_var(carried[k]), ops, scope, op.line)

    def _order_free(self, loop: _Loop) -> bool:
        """Whether the reverse of ``loop`` (a ``for``) may run its iterations in any order, so
        forwards, as a hand-written adjoint does (Numba compiles a loop of step 1 into simpler
        code: a 2-D stencil's reverse sweep runs 15% faster): nothing in its nest is recorded
        (no tape counter steps back), it carries only sums whose adjoint passes through
        unchanged, and the memory it stores into it does not read (each iteration writes
        elements of its own, picked by the loop's index, whose adjoints only it reads; the
        adjoints of its loads are accumulations, which commute)."""
        op = loop.op
        if not isinstance(op, For) or id(op) in self.recompute or op.parallel or \
                any(node.tapes for node in self._nest(loop)) or \
                not all(passes_adjoint_through(op, k) for k in range(len(op.inits))):
            return False
        nest = list(walk(op.body))
        if any(isinstance(x, While) or (isinstance(x, For) and x.inits) for x in nest):
            return False
        index = op.body.args[0]
        stored = frozenset()
        for x in nest:
            if isinstance(x, Store):
                if id(x) in self.saves or not any(v is index for v in x.operands[1:-1]):
                    return False
                stored |= self.mem.allocations(x.operands[0])
            elif isinstance(x, Prim) and x.name not in PRIMITIVES:
                return False
        read = [x.operands[0] for x in nest if isinstance(x, Load)]
        read += [v for x in nest if isinstance(x, Prim) for v in x.operands if v.kind == "array"]
        return not any(self.mem.allocations(v) & stored for v in read)

    def _swapped_references(self, loop: _Loop, carried, swapped: dict, at, ops) -> list[Op]:
        """Buffers the body swaps (``a, b = b, a``) need no tape: which allocation each name
        holds in an iteration follows from the next iteration's by undoing the permutation.
        Before the reverse loop, ``_ref`` variables take the loop's results; at the top of
        each reverse iteration the carried arrays are read back from them and they step back
        one iteration. Returns those top-of-iteration ops."""
        refs, top = {}, []
        for k in swapped:
            refs[k] = self.namer.value(f"_ref_{carried[k].name.lstrip('_')}", "array")
            ops.append(Assign([refs[k]], [self.primal(loop.op.results[k], at)], loop.op.line))
        for k, j in swapped.items():   # body yields carried[j] as carried value k
            current = self.namer.value(carried[j].name, carried[j].kind)
            current.ndim = carried[j].ndim
            loop.restored[id(carried[j])] = current
            top.append(Assign([current], [refs[k]]))
        for k in swapped:
            top.append(Assign([refs[k]], [loop.restored[id(carried[k])]]))
        return top

    def _locate(self, loop: _Loop, iteration, start, step, at) -> list[Op]:
        """Ops at the top of a reverse iteration: ``index = start + iteration * step``."""
        builder = Builder(self.namer)
        index = builder.wrap(self.primal(start, at)) + builder.wrap(iteration) * \
            self.primal(step, at)
        return builder.ops + [Assign([loop.index], [builder.lift(index)])]

    def _restore(self, loop: _Loop, at) -> list[Op]:
        """Ops at the top of a reverse iteration: step the tape counter back and bring back
        (from tapes, or by recomputation) every body value the adjoint reads."""
        ops: list[Op] = []
        order = {id(v): n for n, v in enumerate(self._body_definitions(loop))}
        paths = self._branch_paths(loop)
        i = 0
        while i < len(loop.needed):  # recomputation may need more values: a worklist
            v = loop.needed[i]
            if self._recomputable(v, loop):
                for operand in self.defining_op[id(v)].operands:
                    self.primal(operand, loop)
            for branch_op, _ in paths.get(id(v), ()):
                self.primal(branch_op.operands[0], loop)
            i += 1
        in_branches: dict[int, list] = {}
        for v in sorted(loop.needed, key=lambda v: order.get(id(v), -1)):
            restored = loop.restored[id(v)]
            if self._recomputable(v, loop):
                op = self.defining_op[id(v)]
                code = [replace(op, results=[restored],
                                operands=[self.primal(x, loop) for x in op.operands])]
            else:
                tape = loop.tapes.setdefault(id(v), self.namer.value(f"_tape_{v.name.lstrip('_')}",
                                                                    "array"))
                code = [Load([restored], [tape, loop.counter])]
            path = paths.get(id(v), ())
            branch = _branch_region(*path[-1]) if path else None
            if branch is not None and id(branch) in self.reverse_code:
                # where that branch reverses: it runs exactly when the branch ran
                in_branches.setdefault(id(branch), []).extend(code)
                continue
            # a value of a branch exists (and is on its tape) only where the branch ran
            for branch_op, taken in reversed(path):
                cond = self.primal(branch_op.operands[0], loop)
                code = [If([], [cond], then=Region(ops=code if taken else []),
                           orelse=Region(ops=[] if taken else code))]
            ops += code
        for region_id, restored in in_branches.items():
            self.reverse_code[region_id][:0] = restored
        if loop.tapes:
            ops.insert(0, Prim([loop.counter], [loop.counter, Const(1)], name="sub"))
        return ops

    # ------------------------------------------------------------------ forward sweep

    def forward_region(self, region: Region, at: _Loop | None) -> Region:
        ops: list[Op] = []
        if at is not None:
            self._push(at, region.args, ops)
        for op in region.ops:
            if isinstance(op, (For, While)):
                loop = self.loops[id(op)]
                if at is None:
                    ops += self._allocate_tapes(loop)
                restarted = False
                if not self._taping or id(op) in self.recompute:
                    pass    # records nothing (a recomputed loop records when re-run)
                elif isinstance(op, While):
                    ops.append(Assign([loop.count], [Const(0)], op.line))
                    if self._restartable(loop):
                        ops += self._restartable_while(loop)
                        restarted = True
                elif loop.growable:
                    ops += self._reserve_tapes(loop)
                if not restarted:
                    ops.append(self._forward_loop(loop))
                if isinstance(op, While) and at is not None:
                    self._push(at, [loop.count], ops)
            elif isinstance(op, If):
                ops.append(replace(op, then=self._forward_branch(op.then, at),
                                   orelse=self._forward_branch(op.orelse, at)))
            elif id(op) in self.saves and id(op) not in self.reused_saves and self._taping:
                save = self.saves[id(op)]
                ops.extend(self._copied(save))
                if at is not None:
                    self._push(at, save.results, ops)
                ops.append(op)
            elif isinstance(op, Load) and \
                    not element_index(op.operands[1:], op.operands[0]) and \
                    id(op.operands[0]) in self.stored_arrays and \
                    id(op.results[0]) not in self.mem.live_views:
                ops.extend(self._copied(op))   # a value: later stores must not change it
            else:
                ops.append(op)
            if at is not None:
                self._push(at, op.results, ops)
        return Region(args=region.args, ops=ops, yields=region.yields)

    def _forward_branch(self, region: Region, at: _Loop | None) -> Region:
        """A branch of the forward sweep; inside a loop, the arrays it defines that stores
        change are recorded at its end (as the body records its own at its end)."""
        code = self.forward_region(region, at)
        if at is not None and at.tapes and self._taping:
            written = [r for op in region.ops for r in op.results if r.kind == "array"
                       and id(r) in self.stored_arrays and id(r) not in self.mem.live_views]
            self._push(at, written, code.ops, at_end=True)
        return code

    def _copied(self, load: Load) -> list[Op]:
        """``load`` itself for one element; for a slice or a row, ``load`` then a copy."""
        if load.results[0].kind in SCALAR_KINDS or \
                _part_of(load.operands[0], load.operands[1:]).kind in SCALAR_KINDS:
            return [load]
        (result,) = load.results
        view = self.namer.value("_t", result.kind)
        view.ndim = result.ndim
        return [replace(load, results=[view]), Prim([result], [view], load.line, name="copy")]

    def _forward_loop(self, loop: _Loop, taped: bool | None = None) -> Op:
        """The forward copy of a loop, recording on its tapes unless it is recomputed in the
        reverse sweep (``taped``: force recording on or off for the loop and its nest)."""
        op = loop.op
        outer_taping = self._taping
        if taped is not None:
            self._taping = taped
        elif id(op) in self.recompute:
            self._taping = False
        try:
            body = self.forward_region(op.body, loop)
            taping = self._taping
        finally:
            self._taping = outer_taping
        prologue = self._grow_tapes(loop) if loop.tapes and taping else []
        if loop.capacity is not None and taping:   # stop when the tapes are full
            room, both = self.namer.value("_t", "bool"), self.namer.value("_t", "bool")
            (truth,) = op.cond.yields
            cond = Region(args=op.cond.args, ops=op.cond.ops + [
                Prim([room], [loop.counter, loop.capacity], name="lt"),
                Prim([both], [truth, room], name="and")], yields=[both])
            op = replace(op, cond=cond)
        epilogue = []
        if loop.tapes and taping:
            # arrays written in the body are recorded as they are at its end: the reverse
            # sweep restores each store's overwritten part, walking them back in time
            self._push(loop, self._memory_defined_in(loop), epilogue, at_end=True)
            epilogue.append(Prim([loop.counter], [loop.counter, Const(1)], name="add"))
        if isinstance(op, While) and taping:
            epilogue.append(Prim([loop.count], [loop.count, Const(1)], name="add"))
        if taping:   # snapshots of the arrays a recomputed inner loop stores into
            for sub in op.body.ops:
                for array, tape in self.snapshots.get(id(sub), []):
                    prologue.append(Store([], [tape, op.body.args[0], array], op.line))
        new_body = Region(args=body.args, ops=prologue + body.ops + epilogue,
                          yields=body.yields)
        return replace(op, body=new_body)


class _LazyPrimal:
    """Hands rules Syms whose primal value is looked up (and taped) only if the rule reads
    it, so that ``d(x + y)`` records nothing."""

    def __init__(self, transform: ReverseTransform, at, builder: Builder):
        self.transform, self.at, self.builder = transform, at, builder

    def __call__(self, v: Value):
        return _LazySym(v, self)


class _LazySym(Sym):
    __slots__ = ("original", "lazy", "_value")

    def __init__(self, original, lazy: _LazyPrimal):
        self.original, self.lazy, self._value = original, lazy, None
        self.builder = lazy.builder

    @property
    def value(self):
        if self._value is None:
            self._value = self.lazy.transform.primal(self.original, self.lazy.at)
        return self._value

    @property
    def ndim(self):   # known without recording the value
        return Sym(self.original, self.builder).ndim


def _may_broadcast(x: Value, operands, result, shapes: dict) -> bool:
    """Whether the cotangent of operand ``x`` may have another shape than ``x`` (``shapes``:
    the function's :func:`.shapes.shape_classes`)."""
    if x.kind in SCALAR_KINDS and result.kind in SCALAR_KINDS:
        return False
    if x.kind == "array" and all(o.kind in SCALAR_KINDS or o is x for o in operands):
        return False
    return not (x.kind == "array" and result.kind == "array" and
                same_shape(shapes, x, result))


def _vjp_rule(prim, i):
    """The vector-Jacobian rule of operand ``i`` (a variadic primitive has one rule for all
    operands, told which one by ``argnum``)."""
    if prim.nargs is None and prim.vjps:
        return functools.partial(prim.vjps[0], argnum=i)
    return prim.vjps[i] if i < len(prim.vjps) else None


def _fills_part(value: Value, array: Value, index, shapes, defining_op) -> bool:
    """Whether ``value`` surely has the shape of ``array[index]``: the whole array
    (``a[:] = v``, every index a full slice, ``slice(None, None, None)``) and ``v`` of
    ``a``'s shape class."""
    def full(i):
        op = defining_op.get(id(i))
        return isinstance(op, Prim) and op.name == "slice" and \
            all(isinstance(b, Const) and b.value is None for b in op.operands)

    return all(full(i) for i in index) and same_shape(shapes, value, array)


def _indirect(index) -> bool:
    """Whether an index holds an integer array or a mask (NumPy's advanced indexing)."""
    return any(i.kind in ("array", "any") for i in index)


def _part_of(array: Value, index) -> Value:
    """A stand-in for ``array[index]``: its kind and rank (a row of a matrix is an array)."""
    new_axis = [isinstance(i, Const) and i.value is None for i in index]
    if array.ndim is None:
        return Value("part", "float" if element_index(index) else "array")
    if any(i.kind == "any" or (i.kind == "array" and i.ndim is None) for i in index):
        # an index of unknown rank: a gather, taken as one axis per index as before
        ndim = array.ndim - sum(1 for i, new in zip(index, new_axis)
                                if i.kind != "slice" and not new) + sum(new_axis)
        ndim += sum((i.ndim or 1) for i in index if i.kind in ("array", "any"))
        return Value("part", "array" if ndim > 0 else "float", ndim)
    # NumPy's rules (masks of the bool kind included), as the specialised load has them
    _, ndim, _ = load_signature(Load([Value("part", "any")], [array, *index]))
    return Value("part", "array" if ndim else "float", ndim)


def _all_values(fn: Function):
    yield from fn.params
    yield from fn.free_vars
    for op in walk(fn.body):
        yield from op.results
        for sub in op.regions():
            yield from sub.args


def _swapped_arrays(op: Op, carried) -> dict[int, int]:
    """k -> j for each loop-carried array the body yields as another (or the same) carried
    array, when those form a permutation (``a, b = b, a``; ``x`` written in place)."""
    perm = {}
    for k, y in enumerate(op.body.yields):
        j = next((j for j, c in enumerate(carried) if c is y), None)
        if j is not None and y.kind == "array":
            perm[k] = j
    return perm if sorted(perm) == sorted(perm.values()) else {}


def _branch_region(op: If, taken: bool) -> Region:
    return op.then if taken else op.orelse


def _loaded_before(ops: list, store: Store) -> Load | None:
    """The load of the element ``store`` overwrites among the ops just before it (only
    arithmetic in between), or None."""
    array, *index, _ = store.operands
    if not element_index(index, array):     # a row's load is a view: the store changes it
        return None
    for op in reversed(ops):
        if isinstance(op, Load) and op.operands[0] is array and len(op.operands) == \
                len(index) + 1 and all(_same_value(a, b) for a, b in zip(op.operands[1:], index)):
            return op
        if not isinstance(op, (Prim, Load, Assign)):
            return None
    return None


def _same_value(a: Value, b: Value) -> bool:
    return a is b or (isinstance(a, Const) and isinstance(b, Const) and a.value == b.value
                      and a.kind == b.kind)


def _free_uses(region: Region):
    """Values used in a region (nested ones included) or yielded by it."""
    for op in walk(region):
        yield from op.operands
        for sub in op.regions():
            yield from sub.yields
    yield from region.yields


def reverse_stages(fn: Function, wrt, checkpoint=None, restart_whiles=False, seeded=None,
                   gradients_only=False):
    """The reverse-mode pipeline, one pass at a time: yields ``(stage name, Function)``
    after each pass (what ``python -m ad_compiler show --ir all`` prints)."""
    fn = hoist_invariants(fn)
    yield "hoisted", fn
    recompute = None
    if checkpoint is not None:
        fn, recompute = split_for_checkpointing(fn, checkpoint)
        yield "segmented", fn
    elif gradients_only and restart_whiles:   # CPU: one outer iteration's tapes stay in cache
        fn, recompute = rerun_independent_iterations(fn)
        if recompute:
            yield "segmented", fn
    transform = ReverseTransform(fn, list(wrt), recompute, seeded)
    transform.restart_whiles = restart_whiles
    vjp = transform.run()
    yield "adjoint", vjp            # (the clean-up works on a copy)
    yield "cleaned", cleanup(vjp, len(fn.body.yields) if gradients_only else 0,
                             len(transform.seeded) if gradients_only else 0)


def reverse(fn: Function, wrt, checkpoint=None, restart_whiles=False,
            seeded=None, gradients_only=False) -> Function:
    """The vjp function of ``fn`` with respect to the parameters at positions ``wrt``;
    ``checkpoint`` (an int segment length or ``"auto"``) re-runs long loops segment by
    segment in the reverse sweep instead of recording every iteration. ``restart_whiles``:
    grow the tapes of ``while`` loops by running them again (CPU backends; the GPU lowering
    sizes its tapes itself) instead of testing capacity on every push. ``seeded``: only the
    first ``seeded`` outputs take a seed and are differentiated (None: all); the others are
    returned as computed. ``gradients_only``: only the gradients are returned (the
    outputs are dropped, and with them the code only they needed; every call seeds
    with 1.0, which the clean-up reads as a constant), so loops whose
    iterations are independent may be re-run one iteration at a time in the reverse sweep
    (:func:`.checkpoint.rerun_independent_iterations`)."""
    *_, (_, vjp) = reverse_stages(fn, wrt, checkpoint, restart_whiles, seeded,
                                  gradients_only)
    return vjp

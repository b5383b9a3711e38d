"""Reverse mode: SSA IR of ``f`` -> imperative IR of ``f_vjp``.

``f_vjp(*params, *free_vars, *seeds)`` returns ``(*outputs, *cotangents_of_wrt_params)``. It is
one forward sweep (the primal, recording on tapes what the adjoint needs) followed by one
reverse sweep (the adjoint, ops visited in reverse order, rules from the table).

How the pieces fit:

* Activity analysis (:mod:`.activity`) decides which values get adjoints; others are skipped.
* Adjoints are symbolic zeros until their first contribution, which assigns (``b_x = ...``);
  later ones accumulate (``b_x = b_x + ...``). A contribution first made inside a branch or a
  loop is preceded by an explicit zero in the enclosing region. Arrays are memory: their
  adjoints are zero-filled arrays from the start of the region that defines them, and the
  adjoint of ``x[i]`` accumulates into ``b_x[i]``.
* Loops: a primal value defined in a loop body and needed by the adjoint is recorded on a tape
  indexed by that loop's iteration counter (cumulative over enclosing loops), unless it is
  cheap to recompute (a load from an array no one writes, integer and cheap float arithmetic,
  array values). Tapes are preallocated when every enclosing trip count is known before the
  outermost loop; otherwise an inner ``for`` reserves room for its trip count before it runs,
  and a ``while`` (on the CPU) stops when its tapes are full and runs again from its SSA start
  with twice the room. Arrays whose shape changes between iterations go on list tapes; an
  array written in a body is recorded as it is at the end of the body, and the restores of
  overwritten parts walk it back. A ``For`` reverses as a reversed range; a ``While`` counts
  its iterations and replays that many.
* Branches reverse as branches on the same (recorded, inside loops) condition.
* Checkpointing (``checkpoint=C``): :func:`split_for_checkpointing` first splits each outermost
  ``for`` that carries values into segments of C iterations (an outer loop over segments, an
  inner loop over one segment). The outer loop records the carried values at each segment's
  start (and a copy of each array the segment stores into and reads); the inner loop, listed
  in ``recompute``, records nothing in the forward sweep. Its reverse (:meth:`_rerun`) first
  puts those arrays back, re-runs the segment forward from the restored carried values with
  its tapes (C entries, counters reset per segment), then reverses it as usual.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field, replace

from ..analysis.memory import Memory, check_aliasing, memory_uses
from ..errors import DifferentiationError
from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Undef, Value, While, walk)
from ..rules import PRIMITIVES
from .activity import Activity
from .builder import Builder, Namer, Sym
from .specialize import load_signature

_SCALAR_KINDS = ("float", "int", "bool")
_RECOMPUTABLE_PRIMS = ("add", "sub", "mul", "floordiv", "mod", "neg")
_NEVER_RECOMPUTE = ("tape", "tape_of_arrays", "grow", "reserve", "opaque_call")
_TEMPORARY = re.compile(r"^_t\d+$")
_SIZE_PRIMS = ("len", "size", "ndim", "trip_count")
_ZERO_OF = {"float": Const(0.0), "int": Const(0), "bool": Const(False)}
_CHEAP_PRIMS = ("add", "sub", "mul", "div", "neg", "pos", "square", "abs", "float", "maximum",
                "minimum")


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


class ReverseTransform:
    restart_whiles = False

    def __init__(self, fn: Function, wrt: list[int], recompute: dict | None = None):
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
        self.activity = Activity(fn, self.inputs, self.outputs)
        self.mem = Memory(fn)
        check_aliasing(fn, self.mem)
        self.namer = Namer(_all_names(fn))
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
                            if isinstance(op, Load) and not _element_index(op.operands[1:])}
        self.saves: dict[int, Load] = {}   # id(store) -> load of the overwritten part
        self.list_tapes: set[int] = set()   # tapes of arrays whose shape changes: lists
        self._paths: dict[int, dict] = {}    # id(loop) -> its _branch_paths
        self._index_homes(fn.body, None)

    # ------------------------------------------------------------------ analysis helpers
    def _index_homes(self, region: Region, loop: _Loop | None):
        for v in region.args:
            self.home.setdefault(id(v), loop)
        for op in region.ops:
            if isinstance(op, Store) and not op.accumulate and self._overwrites_read(op):
                array, *index, value = op.operands
                ndim = value.ndim if array.ndim is None else \
                    array.ndim - sum(1 for i in index if i.kind in ("int", "bool"))
                kind = value.kind if array.ndim is None or array.kind != "array" else \
                    "float" if ndim == 0 else "array"     # a row of a matrix is an array
                old = self.namer.value(f"_old_{array.name.lstrip('_')}", kind)
                old.ndim = ndim
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

    def _overwrites_read(self, store: Store) -> bool:
        """Whether the reverse sweep reads, whole, memory this store overwrites, at a point
        before the store (earlier in the program, or in an earlier iteration of a loop
        holding both): then it saves the old part and restores it after its adjoint."""
        changed = self.mem.allocations(store.operands[0])
        s_pos, s_loops = self._positions[id(store)]
        for pos, loops, v in self._whole_reads:
            if (pos < s_pos or set(loops) & set(s_loops)) and self.mem.allocations(v) & changed:
                return True
        return False

    @functools.cached_property
    def _positions(self) -> dict:
        return {id(op): (pos, [id(loop) for loop in loops])
                for pos, loops, op in memory_uses(self.fn)}

    @functools.cached_property
    def _whole_reads(self) -> list:
        reads = []
        for pos, loops, op in memory_uses(self.fn):
            values = op.operands if isinstance(op, Prim) else op.operands[:1] if \
                isinstance(op, Load) and not _element_index(op.operands[1:]) else []
            reads += [(pos, [id(loop) for loop in loops], v) for v in values
                      if id(v) in self.read_whole]
        return reads

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
        elif v.kind in _SCALAR_KINDS:
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
                 for out in self.outputs]
        for array in self._arrays_defined_in(self.fn.body, include_params=True):
            self.zero(array, None, rev, scope)
        for out, seed in zip(self.outputs, seeds):
            self.accumulate(out, seed, rev, scope)
        rev += self.reverse_region(self.fn.body, None, scope)
        grads = []
        for p in self.inputs:
            if id(p) not in scope.live:
                self.zero(p, None, rev, scope)
            grads.append(self.adjoint_var(p))
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
        if ans is None or id(ans) not in scope.live:
            return
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
            c = rule(builder, g, ans_sym, *operand_syms, **op.attrs)
            x = op.operands[i]
            if prim.elementwise and _may_broadcast(x, op.operands, ans):
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
            return
        index = [self.primal(i, at) for i in index]
        b_array = self.adjoint_var(array)
        g = None
        if self.active(value):
            part = _part_of(array, index)
            g = self.namer.value("_t", "float" if part.kind in _SCALAR_KINDS else part.kind)
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
            if g.kind == "array" and (value.kind in _SCALAR_KINDS or value.ndim != g.ndim):
                builder = Builder(self.namer, op.line)   # a value broadcast into the part
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
            count = self.namer.value("_n", "int")
            ops.append(Prim([count], [start, stop, step], op.line, name="trip_count"))
        else:
            count = self.primal(loop.count, at)
        start, step = (op.operands[0], op.operands[2]) if isinstance(op, For) else (None, None)
        plain_index = (isinstance(op, For) and _is_int(start, 0) and _is_int(step, 1))
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
        prologue = refs + self._restore(loop, iteration, None if plain_index else start,
                                        step, at)
        if id(op) in self.recompute:
            ops.extend(self._rerun(loop, at))
        builder = Builder(self.namer, op.line)
        last = builder.lift(builder.wrap(count) - 1)
        ops.extend(builder.ops)
        minus_one = Const(-1)
        ops.append(For([], [last, minus_one, minus_one], op.line,
                       body=Region(args=[iteration], ops=prologue + body)))
        for k in active:
            self.accumulate(op.inits[k], self.adjoint_var(carried[k]), ops, scope, op.line)

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

    def _restore(self, loop: _Loop, iteration, start, step, at) -> list[Op]:
        """Ops at the top of a reverse iteration: step the tape counter back and bring back
        (from tapes, or by recomputation) every body value the adjoint reads."""
        ops: list[Op] = []
        if start is not None:  # index = start + iteration * step
            builder = Builder(self.namer)
            index = builder.wrap(self.primal(start, at)) + builder.wrap(iteration) * \
                self.primal(step, at)
            ops += builder.ops + [Assign([loop.index], [builder.lift(index)])]
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
            # a value of a branch exists (and is on its tape) only where the branch ran
            for branch_op, taken in reversed(paths.get(id(v), ())):
                cond = self.primal(branch_op.operands[0], loop)
                code = [If([], [cond], then=Region(ops=code if taken else []),
                           orelse=Region(ops=[] if taken else code))]
            ops += code
        if loop.tapes:
            ops.insert(0, Prim([loop.counter], [loop.counter, Const(1)], name="sub"))
        return ops

    def _branch_paths(self, loop: _Loop) -> dict:
        """id(value) -> [(If, taken)] from the loop body down to the branch defining it (the
        value exists only when each If went that way), for values inside branches."""
        if id(loop) in self._paths:
            return self._paths[id(loop)]
        paths = self._paths[id(loop)] = {}

        def visit(region, path):
            for op in region.ops:
                for v in op.results + (self.saves[id(op)].results if id(op) in self.saves
                                       else []):
                    if path:
                        paths[id(v)] = path
                if isinstance(op, If):
                    visit(op.then, path + [(op, True)])
                    visit(op.orelse, path + [(op, False)])
        visit(loop.body, [])
        return paths

    def _body_definitions(self, loop: _Loop):
        values = list(loop.body.args)
        for op in loop.body.ops:
            if id(op) in self.saves:
                values += self.saves[id(op)].results
            values += op.results
            if isinstance(op, While):
                values.append(self.loops[id(op)].count)
            if isinstance(op, If):
                for inner in itertools.chain(walk(op.then), walk(op.orelse)):
                    if id(inner) in self.saves:
                        values += self.saves[id(inner)].results
                    values += inner.results
        return values

    def _recomputable(self, v, loop: _Loop) -> bool:
        """Whether the reverse sweep recomputes ``v`` rather than reading it from a tape.

        Recomputed: loads from arrays nobody writes, integer arithmetic, array values (so
        that only loop-carried arrays ever need a tape of arrays), and cheap float
        arithmetic (a flop costs less than a store and a load, and its inputs are often
        restored anyway). Transcendental results are recorded."""
        op = self.defining_op.get(id(v))
        if op is None or v in loop.body.args or (
                op not in loop.body.ops and id(v) not in self._branch_paths(loop)):
            return False
        if isinstance(op, Load):   # a view written through is a reference: recomputed
            return id(op.operands[0]) not in self.stored_arrays or id(v) in self.mem.live_views
        if not isinstance(op, Prim) or op.name in _NEVER_RECOMPUTE or id(v) in self.stored_arrays:
            return False   # an array written later is not what recomputing it gives
        if op.name not in _SIZE_PRIMS + ("shape",) and any(
                self.mem.is_written(x) for x in op.operands):
            return False   # it reads memory that stores change: at the top of the reverse
            #                iteration that memory is as the iteration left it
        if v.kind in ("array", "shape", "slice") or (
                v.kind == "int" and (op.name in _RECOMPUTABLE_PRIMS or not op.operands
                                     or op.name in _SIZE_PRIMS)):
            return True
        return op.name in _CHEAP_PRIMS or (op.name == "pow" and _is_int(op.operands[1], 2))


    # ------------------------------------------------------------------ checkpointing
    def _rerun(self, loop: _Loop, at: _Loop) -> list[Op]:
        """In the reverse iteration of a segment: bring the arrays the segment stores into
        back to their state at its start, then run the segment's loop forward again from
        the carried values restored from the snapshot tape, this time recording on its
        (segment-sized) tapes, which its reverse loop then reads."""
        op = loop.op
        ops: list[Op] = []
        for array, tape in self._snapshot_arrays(loop):
            saved = self.namer.value(f"_snap_{array.name.lstrip('_')}", "array")
            saved.ndim = array.ndim
            whole = self.namer.value("_t", "slice")
            ops += [Load([saved], [tape, self.primal(at.body.args[0], at)], op.line),
                    Prim([whole], [Const(None)] * 3, op.line, name="slice"),
                    Store([], [array, whole, saved], op.line)]
        nest = self._nest(loop)
        for node in nest:
            node.growable = self._static_capacity(node, None) is None
            if node.tapes:
                ops.append(Assign([node.counter], [Const(0)]))
        copy = self._forward_loop(loop, taped=True)
        copy = replace(copy, operands=[self.primal(x, at) for x in op.operands])
        # the copy assigns variables of its own: the primal's may be live across the sweep
        inside = {id(node) for node in nest}
        renamed = {id(v) for v in op.results}
        renamed |= {vid for vid, home in self.home.items()
                    if home is not None and id(home) in inside}
        return ops + [_renamed(copy, renamed, {}, self.namer)]

    def _snapshot_arrays(self, loop: _Loop) -> list:
        """(array, snapshot tape) for each array defined before a recomputed loop that its
        nest stores into and reads: re-running a segment needs the array as it was then."""
        if id(loop.op) not in self.snapshots:
            loaded = {id(x.operands[0]) for x in walk(self.fn.body) if isinstance(x, Load)}
            arrays = []
            for x in walk(loop.body):
                array = x.operands[0] if isinstance(x, Store) else None
                if array is None or self.home.get(id(array)) is not None or \
                        any(a is array for a, _ in arrays) or \
                        not (id(array) in loaded or id(array) in self.read_whole):
                    continue
                arrays.append((array, self.namer.value(f"_snaps_{array.name.lstrip('_')}",
                                                       "array")))
            self.snapshots[id(loop.op)] = arrays
        return self.snapshots[id(loop.op)]

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
            elif id(op) in self.saves and self._taping:
                save = self.saves[id(op)]
                ops.extend(self._copied(save))
                if at is not None:
                    self._push(at, save.results, ops)
                ops.append(op)
            elif isinstance(op, Load) and not _element_index(op.operands[1:]) and \
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
        if load.results[0].kind in _SCALAR_KINDS or \
                _part_of(load.operands[0], load.operands[1:]).kind in _SCALAR_KINDS:
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

    def _memory_defined_in(self, loop: _Loop) -> list[Value]:
        """Arrays the body defines (outside its branches, which record theirs at their
        end) that stores change: recorded as the body leaves them. A view written through
        is recomputed from its base instead."""
        return [v for v in loop.body.args + [r for op in loop.body.ops for r in op.results]
                if v.kind == "array" and id(v) in self.stored_arrays
                and id(v) not in self.mem.live_views]

    def _push(self, loop: _Loop, values, ops, at_end=False):
        if not self._taping:
            return
        for v in values:
            if not at_end and v.kind == "array" and id(v) in self.stored_arrays:
                continue   # recorded at the end of the body
            tape = loop.tapes.get(id(v))
            if tape is not None and id(tape) in self.list_tapes:
                ops.append(Prim([tape], [tape, loop.counter, v], name="list_put"))
            elif tape is not None:
                ops.append(Store([], [tape, loop.counter, v]))

    def _nest(self, loop: _Loop) -> list[_Loop]:
        """The loop and every loop nested in it, outermost first."""
        nest = [loop]
        for op in walk(loop.body):
            if isinstance(op, (For, While)):
                nest.append(self.loops[id(op)])
        return nest

    def _static_capacity(self, loop: _Loop, ops: list | None):
        """Total iterations of ``loop`` over the whole nest (up to a recomputed loop, which
        holds at most its segment's iterations) when computable before the outermost loop,
        as a Value (emitting its computation into ``ops``; None: only say whether, True);
        else None."""
        chain = []
        node = loop
        while node is not None:
            chain.append(node)
            if id(node.op) in self.recompute:
                break
            node = node.parent
        if not all(isinstance(node.op, For) for node in chain) or any(
                self.home.get(id(bound)) is not None
                for node in chain if id(node.op) not in self.recompute
                for bound in node.op.operands[:3]):
            return None
        if ops is None:
            return True
        builder = Builder(self.namer, loop.op.line)
        total = 1
        for node in chain:
            trips = self.recompute.get(id(node.op))
            if trips is None:
                trips = builder.trip_count(*node.op.operands[:3])
            total = trips * total if isinstance(trips, Sym) else builder.wrap(trips) * total
        ops.extend(builder.ops)
        return builder.lift(total)

    def _allocate_tapes(self, outermost: _Loop) -> list[Op]:
        ops: list[Op] = []
        for loop in self._nest(outermost):
            for sub in loop.body.ops:   # one snapshot per segment of a recomputed loop
                for array, tape in self.snapshots.get(id(sub), []):
                    builder = Builder(self.namer, loop.op.line)
                    segments = builder.lift(builder.trip_count(*loop.op.operands[:3]))
                    ops += builder.ops
                    ops.append(Prim([tape], [segments, array], name="tape_of_arrays"))
            if not loop.tapes:
                continue
            ops.append(Assign([loop.counter], [Const(0)]))
            capacity = self._static_capacity(loop, ops)
            loop.growable = capacity is None
            if capacity is None:
                capacity = Const(16)
            for vid, tape in loop.tapes.items():
                v = next(x for x in loop.needed if id(x) == vid)
                if v.kind != "array":   # unspecialised "any" values are taken as scalars
                    witness = {"int": Const(0), "bool": Const(False)}.get(v.kind, Const(0.0))
                    ops.append(Prim([tape], [capacity, witness], name="tape"))
                elif self._array_witness(v, loop) is not None:
                    ops.append(Prim([tape], [capacity, self._array_witness(v, loop)],
                                    name="tape_of_arrays"))
                else:   # shapes that change from one iteration to the next: a list
                    ops.append(Prim([tape], [self._known_ndim(v, loop)], name="array_list"))
                    self.list_tapes.add(id(tape))
        return ops

    def _array_witness(self, v: Value, loop: _Loop) -> Value | None:
        """A value available before the outermost loop with the shape every iteration's
        ``v`` has (the initial value of a loop-carried array), or None."""
        carried = loop.body.args[1:] if isinstance(loop.op, For) else loop.body.args
        if v in carried:
            init = loop.op.inits[carried.index(v)]
            if self.home.get(id(init)) is None:
                return init
        return None

    def _known_ndim(self, v: Value, loop: _Loop) -> Const:
        """The rank of an array recorded in a list tape (which Numba types by rank)."""
        if v.ndim is None:
            op = self.defining_op.get(id(v))
            raise DifferentiationError(
                f"the array '{v.name}' changes inside a loop and its derivative needs each "
                f"iteration's value, whose rank is unknown here", construct="array recorded "
                f"in a loop", function=self.fn.name, filename=self.fn.filename,
                line=op.line if op is not None else loop.op.line)
        return Const(v.ndim)

    def _fixed_tapes(self, loop: _Loop) -> list[Value]:
        """The loop's array tapes (list tapes need no room made)."""
        return [t for t in loop.tapes.values() if id(t) not in self.list_tapes]

    def _reserve_tapes(self, loop: _Loop) -> list[Op]:
        """Before a ``for`` whose tapes cannot be sized up front (a triangular nest), make
        room for its whole trip count at once: a tape reassigned inside the loop would cost
        Numba a reference-count update on every push."""
        builder = Builder(self.namer, loop.op.line)
        trips = builder.lift(builder.trip_count(*loop.op.operands[:3]))
        ops = builder.ops
        for tape in self._fixed_tapes(loop):
            ops.append(Prim([tape], [tape, loop.counter, trips], loop.op.line, name="reserve"))
        return ops

    def _restartable(self, loop: _Loop) -> bool:
        """A ``while`` that can simply run again from its start: its tapes need growing, and
        its body stores into no array and holds no loop (whose counters would restart too)."""
        return (self.restart_whiles and self._taping and loop.growable
                and bool(self._fixed_tapes(loop))
                and not self._has_undef
                and not any(isinstance(op, (Store, For, While)) for op in walk(loop.body)))

    @functools.cached_property
    def _has_undef(self) -> bool:
        """Whether some value may be unassigned on entry to a loop (an early return's
        value): running a loop again would then copy an unassigned variable."""
        for op in walk(self.fn.body):
            values = list(op.operands) + [v for sub in op.regions() for v in sub.yields]
            if any(isinstance(v, Undef) for v in values):
                return True
        return False

    def _restartable_while(self, loop: _Loop) -> list[Op]:
        """A ``while`` whose tapes grow without a test on every push: it runs with room
        reserved for ``need`` more entries and stops early when the tapes are full; it then
        runs again from the same (SSA, so unchanged) initial values with twice the room. A
        tape reassigned inside a loop costs Numba a reference-count update per iteration
        (NUMBA_NOTES), which this keeps out of the loop."""
        op = loop.op
        tapes = self._fixed_tapes(loop)
        start, need, capacity, used = (self.namer.value(n, "int")
                                       for n in ("_k", "_need", "_cap", "_t"))
        again = self.namer.value("_again", "bool")
        loop.capacity = capacity
        attempt = [Prim([t], [t, start, need], op.line, name="reserve") for t in tapes]
        attempt += [Prim([capacity], [tapes[0]], name="capacity"),
                    Assign([loop.counter], [start]), Assign([loop.count], [Const(0)]),
                    self._forward_loop(loop),
                    Prim([again], [loop.counter, capacity], name="eq"),
                    Prim([used], [loop.counter, start], name="sub"),
                    Prim([need], [used, Const(2)], name="mul")]
        return [Assign([start], [loop.counter]), Assign([need], [Const(16)]),
                Assign([again], [Const(True)]),
                While([], [], op.line, cond=Region(yields=[again]), body=Region(ops=attempt))]

    def _grow_tapes(self, loop: _Loop) -> list[Op]:
        """At the top of a ``while`` body: double the tapes when they are full."""
        if not loop.growable or isinstance(loop.op, For) or loop.capacity is not None:
            return []
        tapes = self._fixed_tapes(loop)
        if not tapes:
            return []
        size = self.namer.value("_t", "int")
        full = self.namer.value("_t", "bool")
        grow_ops = [Prim([t], [t, loop.counter], name="grow") for t in tapes]
        return [Prim([size], [tapes[0]], name="capacity"),
                Prim([full], [loop.counter, size], name="eq"),
                If([], [full], then=Region(ops=grow_ops), orelse=Region())]


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


def _may_broadcast(x: Value, operands, result) -> bool:
    """Whether the cotangent of operand ``x`` may have another shape than ``x``."""
    if x.kind in _SCALAR_KINDS and result.kind in _SCALAR_KINDS:
        return False
    if x.kind == "array" and all(o.kind in _SCALAR_KINDS or o is x for o in operands):
        return False
    return True


def _vjp_rule(prim, i):
    """The vector-Jacobian rule of operand ``i`` (a variadic primitive has one rule for all
    operands, told which one by ``argnum``)."""
    if prim.nargs is None and prim.vjps:
        return functools.partial(prim.vjps[0], argnum=i)
    return prim.vjps[i] if i < len(prim.vjps) else None


def _indirect(index) -> bool:
    """Whether an index holds an integer array or a mask (NumPy's advanced indexing)."""
    return any(i.kind in ("array", "any") for i in index)


def _part_of(array: Value, index) -> Value:
    """A stand-in for ``array[index]``: its kind and rank (a row of a matrix is an array)."""
    new_axis = [isinstance(i, Const) and i.value is None for i in index]
    if array.ndim is None:
        return Value("part", "float" if _element_index(index) else "array")
    # an index that is neither a slice nor a new axis picks one position (an index loaded
    # from an integer array has the float kind here)
    ndim = array.ndim - sum(1 for i, new in zip(index, new_axis)
                            if i.kind != "slice" and not new) + sum(new_axis)
    return Value("part", "array" if ndim > 0 else "float", ndim)


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


def _element_index(index) -> bool:
    """Whether an index picks single elements (every part an integer)."""
    return all(i.kind == "int" for i in index)


def _is_int(v, number) -> bool:
    return isinstance(v, Const) and v.kind == "int" and v.value == number


def _free_uses(region: Region):
    """Values used in a region (nested ones included) or yielded by it."""
    for op in walk(region):
        yield from op.operands
        for sub in op.regions():
            yield from sub.yields
    yield from region.yields


def _all_names(fn: Function) -> set[str]:
    names = {v.name for v in fn.params + fn.free_vars}
    for op in walk(fn.body):
        names.update(v.name for v in op.results)
        for sub in op.regions():
            names.update(v.name for v in sub.args)
    return names


def _renamed(op: Op, ids: set, mapping: dict, namer: Namer) -> Op:
    """A copy of ``op`` (regions included) in which every value whose id is in ``ids``, where
    defined and where used, is a fresh variable."""
    def m(v):
        if id(v) not in ids:
            return v
        if id(v) not in mapping:
            fresh = namer.value("_t" if re.match(r"^_t\d+$", v.name) else v.name, v.kind)
            fresh.ndim = v.ndim
            mapping[id(v)] = fresh
        return mapping[id(v)]

    def region(r: Region) -> Region:
        return Region(args=[m(v) for v in r.args],
                      ops=[_renamed(x, ids, mapping, namer) for x in r.ops],
                      yields=[m(v) for v in r.yields])

    changes = dict(results=[m(v) for v in op.results], operands=[m(v) for v in op.operands])
    if isinstance(op, If):
        changes.update(then=region(op.then), orelse=region(op.orelse))
    elif isinstance(op, For):
        changes.update(body=region(op.body))
    elif isinstance(op, While):
        changes.update(cond=region(op.cond), body=region(op.body))
    return replace(op, **changes)


def split_for_checkpointing(fn: Function, checkpoint) -> tuple[Function, dict]:
    """Split every outermost ``for`` loop that carries values into segments of
    ``checkpoint`` iterations (an int, or ``"auto"``: ``ceil(sqrt(trip count))`` at run
    time)::

        for i in range(start, stop, step) iter(c = inits): body
    becomes
        n = trip_count(start, stop, step); C = ...; segments = (n + C - 1) // C
        for s in range(0, segments, 1) iter(c' = inits):
            lo = s * C; hi = minimum(lo + C, n)
            for i in range(start + lo * step, start + hi * step, step) iter(c = c'): body

    Returns the new function and ``{id(inner For): C}``, the loops the reverse transform
    re-runs per segment: the outer loop records the carried values at the start of each
    segment (the snapshots), the inner one nothing until the reverse sweep re-runs it."""
    namer = Namer(_all_names(fn))
    recompute: dict[int, Value] = {}

    def fresh(base, kind, ndim=None):
        v = namer.value(base, kind)
        v.ndim = ndim if ndim is not None else (0 if kind in _SCALAR_KINDS else None)
        return v

    def prim(ops, name, operands, line, kind="int"):
        v = fresh("_t", kind)
        ops.append(Prim([v], list(operands), line, name=name))
        return v

    def split(op: For) -> list[Op]:
        line = op.line
        start, stop, step = op.operands[:3]
        ops: list[Op] = []
        n = prim(ops, "trip_count", [start, stop, step], line)
        if checkpoint == "auto":
            root = prim(ops, "ceil", [prim(ops, "sqrt", [n], line, "float")], line, "float")
            size = prim(ops, "maximum", [prim(ops, "int", [root], line), Const(1)], line)
        else:
            size = Const(int(checkpoint))
        last = prim(ops, "sub", [prim(ops, "add", [n, size], line), Const(1)], line)
        segments = prim(ops, "floordiv", [last, size], line)
        s = fresh("_seg", "int")
        carried = [fresh(f"{a.name}_seg", a.kind, a.ndim) for a in op.body.args[1:]]
        body: list[Op] = []
        lo = prim(body, "mul", [s, size], line)
        hi = prim(body, "minimum", [prim(body, "add", [lo, size], line), n], line)
        if _is_int(start, 0) and _is_int(step, 1):
            first, end = lo, hi
        else:
            first = prim(body, "add", [start, prim(body, "mul", [lo, step], line)], line)
            end = prim(body, "add", [start, prim(body, "mul", [hi, step], line)], line)
        results = [fresh(f"{r.name}_seg", r.kind, r.ndim) for r in op.results]
        inner = For(results, [first, end, step, *carried], line, body=op.body)
        recompute[id(inner)] = size
        body.append(inner)
        # a value assigned in every iteration before use is undefined on entry: the snapshot
        # of the first segment records a zero of its kind instead
        inits = [_ZERO_OF.get(v.kind, v) if isinstance(v, Undef) else v for v in op.inits]
        ops.append(For(list(op.results), [Const(0), segments, Const(1), *inits], line,
                       body=Region(args=[s, *carried], ops=body, yields=results)))
        return ops

    def splittable(op: Op) -> bool:
        return isinstance(op, For) and bool(op.inits) and not any(
            isinstance(v, Undef) and v.kind not in _ZERO_OF for v in op.inits)

    def region(r: Region) -> Region:
        ops: list[Op] = []
        for op in r.ops:
            if splittable(op):
                ops += split(op)
            elif isinstance(op, If):
                ops.append(replace(op, then=region(op.then), orelse=region(op.orelse)))
            else:
                ops.append(op)
        return Region(args=r.args, ops=ops, yields=r.yields)

    return replace(fn, body=region(fn.body)), recompute


def reverse(fn: Function, wrt, checkpoint=None, restart_whiles=False) -> Function:
    """The vjp function of ``fn`` with respect to the parameters at positions ``wrt``;
    ``checkpoint`` (an int segment length or ``"auto"``) re-runs long loops segment by
    segment in the reverse sweep instead of recording every iteration. ``restart_whiles``:
    grow the tapes of ``while`` loops by running them again (CPU backends; the GPU lowering
    sizes its tapes itself) instead of testing capacity on every push."""
    recompute = None
    if checkpoint is not None:
        fn, recompute = split_for_checkpointing(fn, checkpoint)
    transform = ReverseTransform(fn, list(wrt), recompute)
    transform.restart_whiles = restart_whiles
    return transform.run()

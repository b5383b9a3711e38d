"""Forward mode: SSA IR of ``f`` -> SSA IR of ``f_jvp`` (tangent code).

``f_jvp(*params, *free_vars, *tangents_of_wrt_params)`` returns
``(*outputs, *output_tangents)``. It is one sweep: every primal op is kept, in order, and
followed by the ops computing its result's tangent ``t_<name>``, so that the generated source
reads like hand-written tangent code. This is a transform of its own, not reverse mode run
twice: no tape, no reverse sweep.

How the pieces fit:

* Activity analysis (:mod:`.activity`, inputs = the ``wrt`` parameters, outputs = the
  returned values) decides which values get tangents. Every other value has a *symbolic
  zero* tangent (``None`` here): no code, and the rules skip its terms.
* A :class:`~ad_compiler.frontend.ir.Prim` gets its tangent from the one rule table:
  ``PRIMITIVES[name].apply_jvp(builder, tangents, ans, *operands, **attrs)``, applied to IR
  values through :class:`.builder.Builder` (constant folding, ``x * 1 -> x``...). The tangent
  of an elementwise op whose tangent-bearing operands may be smaller than its result (``x +
  a`` with scalar ``x`` and array ``a``) is broadcast to the result with ``broadcast_like``.
* Arrays are memory. An active array gets a tangent array of the same shape: the input
  tangent for a ``wrt`` parameter, the rule's tangent for a computed array, otherwise an
  explicit zero (``t_a = _rt.zeros_like(a)``, the ``adjoint_zero`` primitive) right where the
  array is defined. ``a[i]`` loads ``t_a[i]``; ``a[i] = v`` also stores ``t_a[i] = t_v``.
* Control flow keeps its shape. An ``If`` yields the tangents of its active results from
  both branches (an explicit zero from a branch that has none); a ``For`` and a ``While``
  carry the tangents of their active carried values as extra loop-carried values (the loop
  condition of a ``While`` reads primal values only).
"""

from __future__ import annotations

import re

from ..analysis.memory import SHAPE_ONLY, Memory, check_aliasing, is_view_prim
from ..errors import DifferentiationError
from ..frontend.ir import (Assign, Const, For, Function, If, Load, Op, Prim, Region, Store,
                           Undef, Value, While, walk)
from ..rules import PRIMITIVES
from .activity import Activity
from .builder import Builder, Namer, Sym
from .irtools import all_names

_SCALAR_KINDS = ("float", "int", "bool")
_TEMP = re.compile(r"^_t\d+$")


class ForwardTransform:
    def __init__(self, fn: Function, wrt: list[int]):
        self.fn = fn
        self.wrt = list(wrt)
        self.inputs = [fn.params[i] for i in self.wrt]
        self.outputs = list(fn.body.yields)
        self.activity = Activity(fn, self.inputs, self.outputs)
        self.namer = Namer(all_names(fn))
        self.tangents: dict[int, Value] = {}      # id(primal) -> tangent Value
        self.memory = Memory(fn)
        self.list_tapes = _list_tapes(fn)   # id(value) -> the rank operand of its list tape

    # ------------------------------------------------------------------ helpers
    def active(self, v) -> bool:
        return self.activity.is_active(v)

    def tangent(self, v) -> Value | None:
        if isinstance(v, Const) or v is None:
            return None
        return self.tangents.get(id(v))

    def new_tangent(self, v: Value) -> Value:
        kind = v.kind if v.kind not in ("int", "bool") else "float"
        return self.namer.value(f"t_{v.name.lstrip('_')}", kind)

    def zero_of(self, v: Value, ops: list, line=None) -> Value:
        """A zero tangent for ``v``: ``0.0`` for a scalar, ``_rt.zeros_like(v)`` for an
        array, an empty list tape of its rank for a list tape."""
        if v.kind in _SCALAR_KINDS or isinstance(v, (Const, Undef)):
            return Const(0.0)
        z = self.namer.value(f"t_{v.name.lstrip('_')}", v.kind)
        rank = self.list_tapes.get(id(v))
        if rank is not None:
            ops.append(Prim([z], [rank], line, name="array_list"))
        else:
            ops.append(Prim([z], [v], line, name="adjoint_zero"))
        return z

    def materialise(self, values, ops: list, line=None):
        """Give a zero tangent array to every active array among ``values`` that has none,
        so that stores of active values into it have somewhere to go."""
        for v in values:
            if (v.kind not in _SCALAR_KINDS and self.active(v) and self.tangent(v) is None
                    and not isinstance(v, (Const, Undef))):
                self.tangents[id(v)] = self.zero_of(v, ops, line)

    # ------------------------------------------------------------------ the transform
    def run(self) -> Function:
        seeds = []
        ops: list[Op] = []
        memory = self.memory
        check_aliasing(self.fn, memory)
        written = memory.written
        for p in self.inputs:
            t = self.new_tangent(p)
            seeds.append(t)
            if self.active(p):
                if id(p) in written:   # the caller's tangent is theirs: write into a copy
                    own = self.new_tangent(p)
                    ops.append(Prim([own], [t], name="copy"))
                    t = own
                self.tangents[id(p)] = t
        self.materialise([p for p in self.fn.params + self.fn.free_vars
                          if id(p) not in self.tangents], ops)
        ops += self.region_ops(self.fn.body)
        out_tangents = []
        for out in self.outputs:
            t = self.tangent(out) if self.active(out) else None
            out_tangents.append(t if t is not None else self.zero_of(out, ops))
        body = Region(args=[], ops=ops, yields=self.outputs + out_tangents)
        return Function(name=f"{self.fn.name}_jvp",
                        params=self.fn.params + self.fn.free_vars + seeds, body=body,
                        free_vars=[], free_var_sources=[], returns_tuple=True,
                        filename=self.fn.filename, first_line=self.fn.first_line)

    def region_ops(self, region: Region) -> list[Op]:
        ops: list[Op] = []
        for op in region.ops:
            self.forward_op(op, ops)
        return ops

    def forward_op(self, op: Op, ops: list):
        if isinstance(op, Prim):
            ops.append(op)
            self.forward_prim(op, ops)
        elif isinstance(op, Assign):
            ops.append(op)
            (r,) = op.results
            t = self.tangent(op.operands[0])
            if t is not None and self.active(r):
                tr = self.new_tangent(r)
                ops.append(Assign([tr], [t], op.line))
                self.tangents[id(r)] = tr
        elif isinstance(op, Load):
            ops.append(op)
            array, *index = op.operands
            (r,) = op.results
            t_array = self.tangent(array)
            if t_array is not None and self.active(r):
                tr = self.new_tangent(r)
                ops.append(Load([tr], [t_array, *index], op.line))
                self.tangents[id(r)] = tr
        elif isinstance(op, Store):
            ops.append(op)
            self.forward_store(op, ops)
        elif isinstance(op, If):
            self.forward_if(op, ops)
        elif isinstance(op, For):
            self.forward_for(op, ops)
        elif isinstance(op, While):
            self.forward_while(op, ops)
        else:
            raise DifferentiationError(f"cannot differentiate {type(op).__name__}",
                                       function=self.fn.name, filename=self.fn.filename,
                                       line=op.line)
        if not isinstance(op, (If, For, While)):
            self.materialise(op.results, ops, op.line)

    def forward_prim(self, op: Prim, ops: list):
        if not op.results:
            return
        (ans,) = op.results
        if not self.active(ans):
            return
        tangents = [self.tangent(x) if self.active(x) else None for x in op.operands]
        if all(t is None for t in tangents):
            return
        prim = PRIMITIVES.get(op.name)
        if prim is None:
            raise DifferentiationError(f"no derivative rule for '{op.name}'",
                                       construct=op.name, function=self.fn.name,
                                       filename=self.fn.filename, line=op.line)
        if not prim.differentiable:
            return
        builder = Builder(self.namer, op.line)
        t_syms = [builder.wrap(t) if t is not None else None for t in tangents]
        try:
            result = prim.apply_jvp(builder, t_syms, builder.wrap(ans),
                                    *[builder.wrap(x) for x in op.operands], **op.attrs)
        except NotImplementedError as exc:
            raise DifferentiationError(str(exc), construct=op.name, function=self.fn.name,
                                       filename=self.fn.filename, line=op.line) from None
        except DifferentiationError as exc:
            raise exc.at(construct=op.name, function=self.fn.name,
                         filename=self.fn.filename, line=op.line) from None
        if result is None:
            return
        value = builder.lift(result)
        if prim.elementwise and prim.jvp is None and ans.kind not in _SCALAR_KINDS and \
                not _covers_shape(value, builder.ops, ans, op.operands, tangents):
            value = builder.lift(builder.broadcast_like(value, ans))
        ops.extend(builder.ops)
        # a new allocation needs tangent memory of its own when it is written later, or
        # when its tangent may be an operand's that is (``a = x * 1.0`` has the tangent
        # ``t_x``: neither ``a[0] = ...`` nor ``x -= ...`` may change the other's tangent).
        # Only a tangent the rule's last op computed elementwise is surely fresh memory:
        # ``broadcast_like(t_x, a)`` (the tangent of ``a = zeros + x``) returns ``t_x``
        last = ops[-1] if builder.ops else None
        computed = isinstance(last, Prim) and bool(last.results) and last.results[0] is value
        fresh = computed and getattr(PRIMITIVES.get(last.name), "elementwise", False)
        passed = [x for x in op.operands if self.tangents.get(id(x)) is value or
                  (not fresh and self.active(x))]
        own = not is_view_prim(op) and ans.kind not in _SCALAR_KINDS and (
            self.memory.is_written(ans) or any(self.memory.is_written(x) for x in passed))
        if not builder.ops and _TEMP.match(ans.name) and not own:
            self.tangents[id(ans)] = value      # d(_t + c) = t: no copy for a temporary
            return
        t = self.new_tangent(ans)
        # name the tangent: rename the last op's result when it computed it, else copy
        if computed and (fresh or not own):
            last.results = [t]
        elif own:
            ops.append(Prim([t], [value], op.line, name="copy"))
        else:
            ops.append(Assign([t], [value], op.line))
        self.tangents[id(ans)] = t

    def forward_store(self, op: Store, ops: list):
        array, *index, value = op.operands
        t_array = self.tangent(array)
        t_value = self.tangent(value) if self.active(value) else None
        if t_array is None:     # (an array no output depends on needs no tangent: a tape
            if t_value is not None and self.active(array):     # read only by comparisons)
                raise DifferentiationError(
                    "forward mode: a store of a differentiated value into an array that "
                    "has no tangent", construct="store", function=self.fn.name,
                    filename=self.fn.filename, line=op.line)
            return
        if t_value is None:
            if op.accumulate:
                return
            t_value = Const(0.0)
        ops.append(Store([], [t_array, *index, t_value], op.line, accumulate=op.accumulate))

    # ------------------------------------------------------------------ control flow
    def forward_if(self, op: If, ops: list):
        then_ops = self.region_ops(op.then)
        else_ops = self.region_ops(op.orelse)
        extra_results, then_yields, else_yields = [], [], []
        for k, r in enumerate(op.results):
            if not self.active(r):
                continue
            ty = self.tangent(op.then.yields[k])
            ey = self.tangent(op.orelse.yields[k])
            if ty is None and ey is None:
                continue
            if ty is None:
                ty = self.zero_of(op.then.yields[k], then_ops, op.line)
            if ey is None:
                ey = self.zero_of(op.orelse.yields[k], else_ops, op.line)
            tr = self.new_tangent(r)
            self.tangents[id(r)] = tr
            extra_results.append(tr)
            then_yields.append(ty)
            else_yields.append(ey)
        ops.append(If(op.results + extra_results, op.operands, op.line,
                      then=Region(op.then.args, then_ops, op.then.yields + then_yields),
                      orelse=Region(op.orelse.args, else_ops,
                                    op.orelse.yields + else_yields)))
        self.materialise(op.results, ops, op.line)

    def _carried(self, inits, args_lists, results, yields):
        """Indices of carried values that need a tangent."""
        return [k for k in range(len(results))
                if any(self.active(a[k]) for a in args_lists) or self.active(results[k])
                or self.active(yields[k])]

    def _init_tangents(self, carried, inits, ops, line):
        out = []
        for k in carried:
            t = self.tangent(inits[k]) if self.active(inits[k]) else None
            out.append(t if t is not None else self.zero_of(inits[k], ops, line))
        return out

    def forward_for(self, op: For, ops: list):
        index, *args = op.body.args
        carried = [k for k in self._carried(op.inits, [args], op.results, op.body.yields)
                   if args[k].differentiable]
        t_inits = self._init_tangents(carried, op.inits, ops, op.line)
        t_args = []
        for k in carried:
            t = self.new_tangent(args[k])
            self.tangents[id(args[k])] = t
            t_args.append(t)
        body_ops = self.region_ops(op.body)
        t_yields = []
        for k in carried:
            t = self.tangent(op.body.yields[k]) if self.active(op.body.yields[k]) else None
            t_yields.append(t if t is not None else
                            self.zero_of(op.body.yields[k], body_ops, op.line))
        t_results = self._result_tangents(carried, op.results)
        ops.append(For(op.results + t_results, op.operands + t_inits, op.line,
                       body=Region([index, *args, *t_args], body_ops,
                                   op.body.yields + t_yields)))
        self.materialise(op.results, ops, op.line)

    def forward_while(self, op: While, ops: list):
        carried = [k for k in self._carried(op.inits, [op.cond.args, op.body.args],
                                            op.results, op.body.yields)
                   if op.body.args[k].differentiable]
        t_inits = self._init_tangents(carried, op.inits, ops, op.line)
        t_cond_args = [self.new_tangent(op.cond.args[k]) for k in carried]
        # the test reads primal values only: its ops are copied unchanged
        cond_ops = list(op.cond.ops)
        t_body_args = []
        for k in carried:
            t = self.new_tangent(op.body.args[k])
            self.tangents[id(op.body.args[k])] = t
            t_body_args.append(t)
        body_ops = self.region_ops(op.body)
        t_yields = []
        for k in carried:
            y = op.body.yields[k]
            t = self.tangent(y) if self.active(y) else None
            t_yields.append(t if t is not None else self.zero_of(y, body_ops, op.line))
        t_results = self._result_tangents(carried, op.results)
        ops.append(While(op.results + t_results, op.operands + t_inits, op.line,
                         cond=Region(op.cond.args + t_cond_args, cond_ops, op.cond.yields),
                         body=Region(op.body.args + t_body_args, body_ops,
                                     op.body.yields + t_yields)))
        self.materialise(op.results, ops, op.line)

    def _result_tangents(self, carried, results):
        out = []
        for k in carried:
            t = self.new_tangent(results[k])
            self.tangents[id(results[k])] = t
            out.append(t)
        return out


def _covers_shape(value: Value, ops: list, ans: Value, operands, tangents) -> bool:
    """Whether the tangent ``value`` computed by ``ops`` certainly has ``ans``'s (broadcast)
    shape: it reads ``ans`` or, for every operand that may be an array, that operand or its
    tangent (same shape)."""
    producers = {id(r): op for op in ops for r in op.results}
    leaves, stack, seen = set(), [value], set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        op = producers.get(id(v))
        if op is None:
            leaves.add(id(v))
        else:
            stack.extend(op.operands)
    if id(ans) in leaves:
        return True
    for x, t in zip(operands, tangents):
        if isinstance(x, Const) or x.kind in _SCALAR_KINDS:
            continue
        if id(x) not in leaves and (t is None or id(t) not in leaves):
            return False
    return True


def forward(fn: Function, wrt, keep=None) -> Function:
    """The jvp function of ``fn`` with respect to the parameters at positions ``wrt``:
    ``<f>_jvp(*params, *free_vars, *tangents) -> (*outputs, *output_tangents)``.

    ``keep``: indices of those results to return (the others and everything only they need
    are removed by :func:`prune`); ``None`` returns all."""
    out = ForwardTransform(fn, list(wrt)).run()
    return out if keep is None else prune(out, keep)


# ---------------------------------------------------------------------------------------------
# pruning: results nobody asked for, and the code only they needed
# ---------------------------------------------------------------------------------------------

# fresh arrays: their contents matter only if read; their shape may be read alone
_FRESH = frozenset({"zeros", "ones", "empty", "full", "full_like", "zeros_like", "ones_like",
                    "empty_like", "adjoint_zero", "copy"})
_EFFECTS = frozenset({"tape", "tape_of_arrays", "grow", "reserve"})


def prune(fn: Function, keep) -> Function:
    """Keep only the results at positions ``keep`` of ``fn`` (in place) and delete the ops
    they do not need: dead scalar code, whole loops and branches whose results are unused
    and which store into no live array, and stores into fresh arrays whose contents nobody
    reads (only their shape, e.g. ``t_b = zeros_like(b)``)."""
    fn.body.yields = [fn.body.yields[k] for k in keep]
    live: set[int] = set()        # values needed (at least their shape)
    contents: set[int] = set()    # arrays whose elements are needed
    fresh = {id(op.results[0]) for op in walk(fn.body)
             if isinstance(op, Prim) and op.name in _FRESH and op.results}

    def need(v, whole=True):
        if isinstance(v, (Const, Undef)) or v is None:
            return False
        added = id(v) not in live or (whole and id(v) not in contents)
        live.add(id(v))
        if whole:
            contents.add(id(v))
        return added

    for y in fn.body.yields:
        need(y)

    def op_live(op) -> bool:
        if isinstance(op, Store):
            target = op.operands[0]
            return id(target) in contents or id(target) not in fresh
        if isinstance(op, (If, For, While)):
            return any(id(r) in live for r in op.results) or any(
                op_live(inner) for sub in op.regions() for inner in sub.ops)
        if isinstance(op, Prim) and (not op.results or op.name in _EFFECTS):
            return True
        return any(id(r) in live for r in op.results)

    def mark(region: Region) -> bool:
        changed = False
        for op in region.ops:
            if not op_live(op):
                continue
            if isinstance(op, Prim) and op.name in SHAPE_ONLY:
                changed |= need(op.operands[0], whole=False)
                for v in op.operands[1:]:
                    changed |= need(v)
            else:
                for v in op.operands:
                    changed |= need(v)
            for r in op.results:      # a live op's results: contents follow the value
                if id(r) in live and id(r) not in fresh:
                    changed |= need(r)
            if isinstance(op, (If, For, While)):
                for sub in op.regions():
                    for v in sub.args + sub.yields:
                        changed |= need(v)
                    changed |= mark(sub)
        return changed

    while mark(fn.body):
        pass

    def sweep(region: Region):
        kept = []
        for op in region.ops:
            if op_live(op):
                for sub in op.regions():
                    sweep(sub)
                kept.append(op)
        region.ops = kept

    sweep(fn.body)
    return fn


__all__ = ["forward", "prune", "ForwardTransform", "Sym"]


def _list_tapes(fn: Function) -> dict:
    """{id(value): rank operand} of the list tapes (``array_list``) of ``fn`` and of every
    value one flows into (``list_put``'s result, a loop's carried value and result, a
    branch's result): their zero tangent is an empty list tape of that rank."""
    out: dict = {}
    changed = True
    while changed:            # (a loop's carried value is known from its init or yield)
        changed = False
        for op in walk(fn.body):
            pairs = []
            if isinstance(op, Prim) and op.name == "array_list":
                pairs = [(op.results[0], op.operands[0], True)]
            elif isinstance(op, Prim) and op.name == "list_put":
                pairs = [(op.results[0], op.operands[0], False)]
            elif isinstance(op, If):
                pairs = [(r, y, False) for k, r in enumerate(op.results)
                         for y in (op.then.yields[k], op.orelse.yields[k])]
            elif isinstance(op, (For, While)):
                carried = op.body.args[1:] if isinstance(op, For) else op.body.args
                heads = [carried] + ([op.cond.args] if isinstance(op, While) else [])
                for k, init in enumerate(op.inits):
                    for source in (init, op.body.yields[k]):
                        pairs += [(head[k], source, False) for head in heads]
                        pairs.append((op.results[k], source, False))
            for target, source, is_root in pairs:
                rank = source if is_root else out.get(id(source))
                if rank is not None and id(target) not in out:
                    out[id(target)] = rank
                    changed = True
    return out

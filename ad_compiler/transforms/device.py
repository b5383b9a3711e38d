"""GPU lowering of a derivative's IR: tapes that never allocate inside a kernel.

The reverse transform (:mod:`.reverse`) allocates each tape before the outermost loop with
``Prim("tape", [capacity, witness])`` and, when the capacity is not known at loop entry, grows
it by doubling (``grow``/``reserve`` under an ``if k == len(tape)`` test). A CUDA thread can do
neither, so :func:`lower_tapes` rewrites them:

* **constant capacity** (a ``Const``: every enclosing trip count is a literal) and the thread's
  constant tapes fit in :data:`LOCAL_TAPE_BYTES`: ``cuda.local.array(N, dtype)``
  (prim ``local_tape``); pushes and pops stay plain stores and loads.
* **otherwise** (data-dependent trip counts, ``while`` loops, or too big for local memory):
  tape ``j`` of ``m`` is segment ``j`` of this thread's column of a scratch buffer that the
  launcher allocates (the tape variable is bound to the column; one float64 buffer for float tapes, one int64 buffer for
  int and bool tapes, laid out ``[entry, thread]`` so that neighbouring threads touch
  neighbouring words). Pushes become ``push(col, j, m, k, v, need)``: a store when ``k`` is
  in range, else an atomic max of ``k + 1`` into ``need[0]``; pops become
  ``pop(col, j, m, k)`` (a zero when out of range). Growth ops are dropped. The launcher reads ``need[0]`` after the
  launch and, when it is set, relaunches with segments at least that long (see
  :mod:`ad_compiler.backends.numba_cuda`).

The lowered function takes three more parameters after the seeds when any tape went to the
scratch buffer: ``_scratch_f`` (1-D float64), ``_scratch_i`` (1-D int64), ``_need`` (int64[1]).

:func:`check_kernel_safe` rejects what cannot run in a kernel (array parameters, array
allocation, NumPy calls on whole arrays) with a :class:`DifferentiationError` naming the
construct and the user's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import rules  # noqa: F401  (fills the table)
from ..errors import DifferentiationError
from ..frontend.ir import Assign, Const, For, Function, If, Load, Op, Prim, Region, Store, \
    Value, While, walk
from ..rules import PRIMITIVES
from ..rules import device as _device_rules  # noqa: F401  (registers the device prims)

#: constant-size tapes of one thread up to this many bytes live in ``cuda.local.array``
LOCAL_TAPE_BYTES = 32 * 1024

_DTYPES = {"float": ("float64", 8), "int": ("int64", 8), "bool": ("boolean", 1)}
_GROWTH = ("grow", "reserve")
# prims whose result is a tape-sized bookkeeping array the reverse transform may emit
_TAPE_ALLOC = ("tape",)


@dataclass
class DeviceLayout:
    """What the launcher must provide to a lowered function."""

    local: dict = field(default_factory=dict)     # tape name -> (capacity, dtype name)
    scratch_f: list = field(default_factory=list)  # tape names in float64 scratch, in order
    scratch_i: list = field(default_factory=list)  # tape names in int64 scratch, in order
    local_bytes: int = 0
    scratch_hint: int = 0       # largest constant capacity among tapes sent to scratch

    @property
    def uses_scratch(self) -> bool:
        return bool(self.scratch_f or self.scratch_i)


def _err(fn_name, filename, line, message, construct):
    return DifferentiationError(message, construct=construct, function=fn_name,
                                filename=filename, line=line)


def check_kernel_safe(fn: Function):
    """Raise :class:`DifferentiationError` for constructs of the user's (SSA) function that
    cannot run once per element in a CUDA kernel."""
    def fail(line, message, construct):
        raise _err(fn.name, fn.filename, line, message + ' (backend="cuda" runs f once per '
                   "element on scalars; use backend=\"numba\" for array code)", construct)

    for p in fn.params:
        if p.kind == "array":
            fail(fn.first_line, f"parameter '{p.name}' is used as an array", p.name)
    for v in fn.free_vars:
        if v.kind == "array":
            fail(fn.first_line, f"global or closure array '{v.name}' cannot be read in a "
                 "CUDA kernel", v.name)
    for op in walk(fn.body):
        if isinstance(op, (Load, Store)):
            fail(op.line, "array indexing", "indexing")
        if isinstance(op, Prim):
            if any(r.kind == "array" for r in op.results):
                fail(op.line, f"array allocation or array-valued call `{op.name}` cannot run "
                     "in a CUDA kernel", op.name)
            prim = PRIMITIVES.get(op.name)
            syntax = getattr(prim, "syntax", None)
            if prim is not None and not prim.elementwise and syntax is not None and (
                    syntax.form == "method" or (syntax.form == "call"
                                                and syntax.symbol.startswith("np."))):
                fail(op.line, f"NumPy call `{syntax.symbol}` on a whole array cannot run "
                     "in a CUDA kernel", op.name)
            if any(o.kind == "array" for o in op.operands):
                fail(op.line, f"NumPy call `{op.name}` on a whole array cannot run in a "
                     "CUDA kernel", op.name)


def _tape_kind(witness: Value) -> str:
    return witness.kind if witness.kind in ("int", "bool") else "float"


def lower_tapes(fn: Function, local_limit: int | None = None):
    """``(lowered Function, DeviceLayout)``: ``fn`` (imperative derivative IR) with every tape
    rewritten for a CUDA thread, as described in the module docstring. ``fn`` is not
    modified. ``local_limit``: bytes of constant tapes a thread keeps in local memory
    (default :data:`LOCAL_TAPE_BYTES`, read at call time)."""
    if local_limit is None:
        local_limit = LOCAL_TAPE_BYTES
    allocs = [op for op in walk(fn.body) if isinstance(op, Prim) and op.name in _TAPE_ALLOC]
    for op in walk(fn.body):
        if isinstance(op, Prim) and op.name == "tape_of_arrays":
            raise _err(fn.name, fn.filename, op.line, "a tape of arrays cannot live in a "
                       "CUDA thread", "tape_of_arrays")
    growable = {id(op.results[0]) for op in walk(fn.body)
                if isinstance(op, Prim) and op.name in _GROWTH}
    layout = DeviceLayout()
    # constant-capacity tapes go local, smallest first, while they fit (a growable tape
    # starts at a constant capacity too: it is not constant)
    constant = sorted((op for op in allocs if isinstance(op.operands[0], Const)
                       and id(op.results[0]) not in growable),
                      key=lambda op: op.operands[0].value)
    placement = {}
    for op in constant:
        n = max(int(op.operands[0].value), 1)
        dtype, size = _DTYPES[_tape_kind(op.operands[1])]
        if layout.local_bytes + n * size <= local_limit:
            layout.local_bytes += n * size
            layout.local[op.results[0].name] = (n, dtype)
            placement[id(op.results[0])] = ("local", n, dtype)
    for op in allocs:
        tape = op.results[0]
        if id(tape) in placement:
            continue
        if isinstance(op.operands[0], Const) and id(tape) not in growable:
            layout.scratch_hint = max(layout.scratch_hint, int(op.operands[0].value))
        if _tape_kind(op.operands[1]) == "float":
            placement[id(tape)] = ("f", len(layout.scratch_f))
            layout.scratch_f.append(tape.name)
        else:
            placement[id(tape)] = ("i", len(layout.scratch_i))
            layout.scratch_i.append(tape.name)

    scratch_f = Value("_scratch_f", "array")
    scratch_i = Value("_scratch_i", "array")
    need = Value("_need", "array")
    dtype_values = {name: Value(name, "any") for name, _ in _DTYPES.values()}
    counter = [0]

    def scratch(tape):
        p = placement.get(id(tape))
        return p is not None and p[0] != "local"

    def segment(tape):
        kind, j = placement[id(tape)]
        return [Const(j), Const(len(layout.scratch_f) if kind == "f" else len(layout.scratch_i))]

    def rewrite_region(region: Region) -> Region:
        ops: list[Op] = []
        for op in region.ops:
            ops += rewrite_op(op)
        return replace(region, ops=ops)

    def rewrite_op(op: Op) -> list[Op]:
        if isinstance(op, Prim) and op.name in _TAPE_ALLOC:
            kind, *rest = placement[id(op.results[0])]
            if kind == "local":
                n, dtype = rest
                return [Prim(op.results, [Const(n), dtype_values[dtype]], op.line,
                             name="local_tape")]
            # the tape names this thread's scratch column; push/pop address segment j of m
            return [Assign(op.results, [scratch_f if kind == "f" else scratch_i], op.line)]
        if isinstance(op, Prim) and op.name in _GROWTH and id(op.results[0]) in placement:
            return []
        if isinstance(op, Store) and scratch(op.operands[0]) and not op.accumulate:
            tape, k, v = op.operands
            counter[0] += 1
            return [Prim([Value(f"_pushed{counter[0]}", "int")],
                         [tape, *segment(tape), k, v, need], op.line, name="push")]
        if isinstance(op, Load) and scratch(op.operands[0]):
            tape, k = op.operands
            return [Prim(op.results, [tape, *segment(tape), k], op.line, name="pop")]
        if isinstance(op, If):
            then, orelse = rewrite_region(op.then), rewrite_region(op.orelse)
            if not then.ops and not orelse.ops and not op.results:
                return []
            return [replace(op, then=then, orelse=orelse)]
        if isinstance(op, (For, While)):
            return [replace(op, **{name: rewrite_region(getattr(op, name))
                                   for name in (("body",) if isinstance(op, For)
                                                else ("cond", "body"))})]
        return [op]

    body = rewrite_region(fn.body)
    params = list(fn.params)
    if layout.uses_scratch:
        params += [scratch_f, scratch_i, need]
    return replace(fn, params=params, body=body), layout


__all__ = ["lower_tapes", "check_kernel_safe", "DeviceLayout", "LOCAL_TAPE_BYTES"]

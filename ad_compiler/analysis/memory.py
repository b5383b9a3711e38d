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

from ..frontend.ir import For, Function, If, Load, Op, Prim, Region, Store, Value, While, walk

# primitives whose result shares its (first) operand's memory, as NumPy returns views
VIEW_PRIMS = frozenset({"transpose", "matrix_transpose", "reshape", "expand_dims", "squeeze"})
_ARRAY_KINDS = ("array", "any")


def is_view_load(op: Load) -> bool:
    """Whether a load returns a window onto its array (a slice, a row, a new axis) rather
    than one element: its result is an array (or of unknown kind)."""
    return op.results[0].kind in _ARRAY_KINDS


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
        elif isinstance(op, Prim):
            if op.name in VIEW_PRIMS and op.operands:
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
                self._define(op.results[k], [init, op.body.yields[k]])
            for sub in op.regions():
                self._scan(sub)
        else:
            for r in op.results:   # Assign: the same memory under another name
                if op.operands and r.kind in _ARRAY_KINDS:
                    self._define(r, [op.operands[0]])

"""The emitter: IR -> readable Python source (printed with ``ast.unparse``).

It prints both flavours of the IR (see :mod:`ad_compiler.frontend.ir`):

* **Names.** Out of SSA by coalescing: the values of one loop-carried or if-yielded variable
  (init, block argument, yield, result) share one Python name when their live ranges do not
  interfere; then values whose names share a base (``s``, ``s_1``, ``s_2``) are merged the
  same way. Where a pair cannot share a name, a parallel copy (``a, b = y1, y2``) is printed
  (before a loop, at the end of its body, after it, at the end of a branch). Values that
  already print alike (imperative form) are one variable from the start.
* **Inlining.** A temporary (``_t<N>``) defined by a primitive or a load and used once, in
  the same region, with no write in between to a name it reads (nor a store when it loads),
  is printed inside the expression that uses it: ``s = s + x[i] * w`` is one line.
* **Comments.** Statements that come from one line of the user's file are one group, headed
  by a comment ``# line N: <that line>`` (as Tangent's ``# Grad of:`` blocks); a block's
  statements from its header's line need none.

Output is deterministic: the same Function always prints byte-identical source.
"""

from __future__ import annotations

import ast
import builtins
import collections
import keyword
import linecache
import math
import re

from ..frontend.ir import Assign, Const, For, Function, If, Load, Prim, Store, \
    Undef, Value, While, walk, walk_nested
from ..rules import PRIMITIVES, Syntax
from ..rules.table import SEQUENCE_OPERANDS
from ..transforms.irtools import ALLOCATING

HEADER = ("import math\n"
          "import numpy as np\n"
          "from ad_compiler.backends import helpers as _rt\n")

_TEMP = re.compile(r"^_t\d+$")
_RESERVED = {"math", "np", "_rt"} | set(dir(builtins)) | set(keyword.kwlist)
_FALLBACK = {
    "sum": Syntax("call", "np.sum"), "mean": Syntax("call", "np.mean"),
    "max": Syntax("call", "np.max"), "min": Syntax("call", "np.min"),
    "prod": Syntax("call", "np.prod"), "dot": Syntax("call", "np.dot"),
    "matmul": Syntax("binop", "@"), "outer": Syntax("call", "np.outer"),
    "norm": Syntax("call", "np.linalg.norm"), "transpose": Syntax("call", "np.transpose"),
    "reshape": Syntax("call", "np.reshape"), "concatenate": Syntax("call", "np.concatenate"),
    "stack": Syntax("call", "np.stack"),
}
_BINOP = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv,
          "%": ast.Mod, "**": ast.Pow, "@": ast.MatMult, "&": ast.BitAnd, "|": ast.BitOr,
          "^": ast.BitXor}
_UNARY = {"-": ast.USub, "+": ast.UAdd, "not": ast.Not, "~": ast.Invert}
_CMP = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE, "==": ast.Eq, "!=": ast.NotEq}
_DEFAULT_ATTRS = {"axis": None, "keepdims": False}


def _named(v):
    return type(v) is Value or (isinstance(v, Value) and not isinstance(v, (Const, Undef)))


def _vals(vs):
    return [v for v in vs if _named(v)]


def _syntax(name):
    p = PRIMITIVES.get(name)
    if p is not None and p.syntax is not None:
        return p.syntax, p.attrs
    if name in _FALLBACK:
        return _FALLBACK[name], {}
    return Syntax("helper", name), {}


def _has_helper(name):
    """Whether :mod:`.helpers` defines a function ``name`` itself (not by its fallback)."""
    from . import helpers
    return callable(helpers.__dict__.get(name))


def _dotted(symbol):
    parts = symbol.split(".")
    node = ast.Name(parts[0], ast.Load())
    for p in parts[1:]:
        node = ast.Attribute(node, p, ast.Load())
    return node


def const_ast(value):
    """An AST for a literal; negative numbers as ``-(2.0)``, never a negative Constant."""
    if isinstance(value, float):
        if math.isnan(value):
            return _dotted("math.nan")
        if math.isinf(value):
            node = _dotted("math.inf")
            return ast.UnaryOp(ast.USub(), node) if value < 0 else node
        if value < 0 or (value == 0.0 and math.copysign(1.0, value) < 0):
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))
        return ast.Constant(value)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    if isinstance(value, tuple):
        return ast.Tuple([const_ast(v) for v in value], ast.Load())
    return ast.Constant(value)


# --- liveness and interference ------------------------------------------------------------
def _base(name):
    """``s`` for ``s``, ``s_1``, ``s_12``: values of one user variable share a base."""
    return re.sub(r"_\d+$", "", name)


def _coalescing_pairs(fn):
    """Every pair of values the namer may try to give one name (phi links: loop and branch
    values), in the order it tries them."""
    def visit(region):
        for op in region.ops:
            if isinstance(op, For):
                for k, a in enumerate(op.body.args[1:]):
                    yield a, op.results[k]
                    yield a, op.body.yields[k]
                    yield a, op.inits[k]
            elif isinstance(op, While):
                for k, a in enumerate(op.cond.args):
                    yield a, op.body.args[k]
                    yield a, op.results[k]
                    yield a, op.body.yields[k]
                    yield a, op.inits[k]
            elif isinstance(op, If):
                for k, r in enumerate(op.results):
                    yield r, op.then.yields[k]
                    yield r, op.orelse.yields[k]
            for sub in op.regions():
                yield from visit(sub)

    return visit(fn.body)


class _UnionFind:
    """Disjoint sets with their member lists (merged smaller into larger)."""

    def __init__(self):
        self.parent = {}
        self.members = {}

    def add(self, v):
        if v not in self.parent:
            self.parent[v] = v
            self.members[v] = [v]

    def find(self, v):
        root = v
        while self.parent[root] is not root:
            root = self.parent[root]
        while self.parent[v] is not root:
            self.parent[v], v = root, self.parent[v]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra is rb:
            return ra
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return ra


class _LiveSet:
    """The live values of the backward walk, partitioned by coalescing group and changed in
    place with an undo log: a branch is walked from the live-out set, its additions noted
    and undone, the other branch walked, and the union applied, in time proportional to the
    branches' own operations (never a copy of the whole live set)."""

    def __init__(self, group, linked):
        self.group = group      # value -> its coalescing group
        self.linked = linked    # value -> its group of one name and phi links (within it)
        self.live = {}          # group -> live values of that group
        self.live_linked = {}   # linked group -> live values of that group
        self.log = []           # (added?, value) for every change

    def members(self, g):
        return self.live.get(g, ())

    def linked_members(self, g):
        return self.live_linked.get(g, ())

    def __contains__(self, v):
        return v in self.live.get(self.group[v], ())

    def add(self, v):
        s = self.live.setdefault(self.group[v], set())
        if v not in s:
            s.add(v)
            self.live_linked.setdefault(self.linked[v], set()).add(v)
            self.log.append((True, v))

    def discard(self, v):
        s = self.live.get(self.group[v])
        if s is not None and v in s:
            s.remove(v)
            self.live_linked[self.linked[v]].remove(v)
            self.log.append((False, v))

    def mark(self):
        return len(self.log)

    def added_since(self, mark):
        """Values live now that were not live at ``mark``."""
        first = {}
        for added, v in self.log[mark:]:
            first.setdefault(v, added)
        return [v for v, added in first.items() if added and v in self]

    def undo(self, mark):
        while len(self.log) > mark:
            added, v = self.log.pop()
            s, linked = self.live[self.group[v]], self.live_linked[self.linked[v]]
            if added:
                s.remove(v)
                linked.remove(v)
            else:
                s.add(v)
                linked.add(v)


_CROWD = 64


class _Analysis:
    """Uses, definitions and the interference of values that may share a name.

    Two values interfere when one is live where the other is defined. Only pairs inside one
    coalescing group (same name, same base name, or phi-linked) are ever asked about, so
    only those edges are built. Loops need no fixpoint: with structured control flow the
    values live throughout a loop's regions are those live after the loop plus those each
    region reads before writing (:meth:`_exposed`, computed once bottom-up), so each region
    is walked once.
    """

    def __init__(self, fn: Function, group, linked):
        self.fn = fn
        self.edges = {}
        self.crowded = set()  # values defined where too many of their group are live
        self.uses = {}        # value -> number of uses
        self.use_sites = {}   # value -> list of (region, op or None)
        self.defs = {}        # value -> (region, op)
        self.exposed = {}     # id(region) -> values it reads before writing them
        self._collect(fn.body)
        self._exposed(fn.body)
        self.live = _LiveSet(group, linked)
        params = _vals(fn.params + fn.free_vars)
        self._region(fn.body, params)
        self.live = None

    def _interfere(self, v, extra=()):
        """Edges between ``v`` and the live values (and ``extra``) of its group. A value
        defined where more than ``_CROWD`` values of its group are live is marked crowded
        instead, with edges to the live values of its own name and phi links only: those
        decide the merges of phi-linked values, and a crowded value joins no class of its
        base name (the forward sweep of a long function keeps hundreds of values of one
        base live at once, and their edges grew with the square of the function: 88 MiB
        at 3,200 lines)."""
        crowded = len(self.live.members(self.live.group[v])) > _CROWD
        if crowded:
            self.crowded.add(v)
        group = self.live.linked if crowded else self.live.group
        g = group[v]
        live = self.live.linked_members(g) if crowded else self.live.members(g)
        others = [o for o in live if o is not v]
        others += [o for o in extra if o is not v and group[o] is g]
        if others:
            self.edges.setdefault(v, set()).update(others)
            for o in others:
                self.edges.setdefault(o, set()).add(v)

    def interferes(self, a, b):
        return b in self.edges.get(a, ())

    def _use(self, v, region, op):
        if _named(v):
            self.uses[v] = self.uses.get(v, 0) + 1
            self.use_sites.setdefault(v, []).append((region, op))

    def _collect(self, region):
        for op in region.ops:
            for v in op.operands:
                self._use(v, region, op)
            for r in op.results:
                self.defs.setdefault(r, (region, op))
            for sub in op.regions():
                for a in sub.args:
                    self.defs.setdefault(a, (sub, None))
                self._collect(sub)
        for v in region.yields:
            self._use(v, region, None)

    def _exposed(self, region):
        """The values ``region`` reads before (or without) writing them, its arguments
        excluded: its live-in with nothing live after it. (In the imperative form a value
        assigned in a loop body and read at its top is one of them.)"""
        exposed = set(_vals(region.yields))
        for op in reversed(region.ops):
            exposed.difference_update(_vals(op.results))
            for sub in op.regions():
                exposed |= self._exposed(sub)
            exposed.update(_vals(op.operands))
        exposed.difference_update(_vals(region.args))
        self.exposed[id(region)] = exposed
        return exposed

    def _region(self, region, extra_args=()):
        """Walk ``region`` backwards from the live set (its live-out) to its live-in."""
        live = self.live
        for v in _vals(region.yields):
            live.add(v)
        for op in reversed(region.ops):
            self._op(op)
        args = _vals(list(region.args) + list(extra_args))
        for a in args:
            self._interfere(a, args)
        for a in args:
            live.discard(a)

    def _op(self, op):
        live = self.live
        results = _vals(op.results)
        for r in results:
            self._interfere(r, results)
        for r in results:
            live.discard(r)
        if isinstance(op, If):
            mark = live.mark()
            self._region(op.then)
            then_in = live.added_since(mark)
            live.undo(mark)
            self._region(op.orelse)
            else_in = live.added_since(mark)
            live.undo(mark)
            for v in then_in + else_in:
                live.add(v)
        elif isinstance(op, (For, While)):
            for sub in op.regions():
                for v in self.exposed[id(sub)]:
                    live.add(v)
            for sub in op.regions():
                mark = live.mark()
                self._region(sub)
                live.undo(mark)
        for v in _vals(op.operands):
            live.add(v)


# --- naming (out of SSA) ------------------------------------------------------------------
class _Names:
    """Out-of-SSA names: union-find over values, each class one Python name.

    Values of one name start as one class; then phi-linked values, then values of one base
    name (each joining the earliest class of its base it may) are merged when no member of
    one class interferes with a member of the other and at most one parameter is among
    them. Classes keep member lists, so a merge costs the size of the smaller class, never
    a scan of the function.
    """

    def __init__(self, fn: Function):
        self._defs = collections.Counter(   # name -> assignments (block arguments too)
            v.name for op in walk(fn.body)
            for v in _vals(op.results) + [a for sub in op.regions() for a in _vals(sub.args)])
        self.sets = _UnionFind()
        self.order = []
        seen = {}
        for v in self._all_values(fn):
            if v not in self.sets.parent:
                self.sets.add(v)
                self.order.append(v)
                first = seen.setdefault(v.name, v)
                if first is not v:
                    self.sets.union(first, v)
        self._param_set = set(_vals(fn.params + fn.free_vars))
        self.nparams = {}       # root -> number of parameters in its class (when not 0)
        for p in self._param_set:
            root = self.find(p)
            self.nparams[root] = self.nparams.get(root, 0) + 1
        self.an = _Analysis(fn, *self._groups(fn))
        for a, b in _coalescing_pairs(fn):
            self.try_merge(a, b)
        self.crowded = {self.find(v) for v in self.an.crowded}   # no base merge joins them
        self._coalesce_bases()
        self.params = _vals(fn.params + fn.free_vars)
        self.reserved = {fn.name} | {op.attrs["path"].split(".")[0] for op in walk(fn.body)
                                     if isinstance(op, Prim) and op.name == "opaque_call"
                                     and op.attrs["path"]}
        self._finish()
        self._memory_kinds(fn)
        self.lone = self._lone_values()

    def _memory_kinds(self, fn):
        """``fresh``: names whose every assignment is an allocation of this function;
        ``caller``: parameters never assigned. (A phi link within one name assigns nothing;
        any other copy makes its target neither.)"""
        assigned = {}   # name -> whether every assignment allocates
        for a, b in _coalescing_pairs(fn):
            if _named(a) and not (_named(b) and self.name[a] == self.name[b]):
                assigned[self.name[a]] = False
        for op in walk(fn.body):
            for r in _vals(op.results):
                allocates = isinstance(op, Prim) and op.name in ALLOCATING
                name = self.name[r]
                assigned[name] = assigned.get(name, True) and allocates
        params = {self.name[p] for p in self.params}
        self.fresh = {n for n, alloc in assigned.items() if alloc and n not in params}
        self.caller = params - set(assigned)

    def _lone_values(self):
        """Values that are their IR variable's only value, assigned once: a value that a
        merge of classes (``f_1`` of the forward sweep and the tape read ``f_1 =
        _tape_f[_it]`` of the reverse one) shares a Python name with, but that nothing
        else assigns or reads under its own name, so printing it inside its use leaves no
        read of that name unassigned."""
        objects = collections.Counter(v.name for v in self.order)
        return {v for v in self.order if objects[v.name] == 1 and self._defs[v.name] == 1}

    def _all_values(self, fn):
        out = list(_vals(fn.params + fn.free_vars))

        def visit(region):
            out.extend(_vals(region.args))
            for op in region.ops:
                out.extend(_vals(op.operands))
                out.extend(_vals(op.results))
                for sub in op.regions():
                    visit(sub)
            out.extend(_vals(region.yields))

        visit(fn.body)
        return out

    def _groups(self, fn):
        """value -> a representative of every value it may ever be asked to share a name
        with (same name, same base name, phi-linked); and value -> one of the values of its
        name and phi links (the merges of phi-linked values stay within those)."""
        linked = _UnionFind()
        for v in self.order:
            linked.add(v)
            root = self.find(v)
            linked.add(root)
            linked.union(v, root)
        for a, b in _coalescing_pairs(fn):
            if _named(a) and _named(b):
                linked.union(a, b)
        groups = _UnionFind()
        bases = {}
        for v in self.order:
            groups.add(v)
            groups.add(linked.find(v))
            groups.union(v, linked.find(v))
            if not _TEMP.match(v.name):
                first = bases.setdefault(_base(v.name), v)
                groups.add(first)
                groups.union(v, first)
        return ({v: groups.find(v) for v in self.order},
                {v: linked.find(v) for v in self.order})

    def find(self, v):
        return self.sets.find(v)

    def try_merge(self, a, b):
        if not (_named(a) and _named(b)):
            return False
        ra, rb = self.find(a), self.find(b)
        if ra is rb:
            return True
        if self.nparams.get(ra, 0) + self.nparams.get(rb, 0) > 1:
            return False
        small, large = (ra, rb) if len(self.sets.members[ra]) <= len(self.sets.members[rb]) \
            else (rb, ra)
        if large in self._neighbours(small):
            return False
        self._merge(ra, rb)
        return True

    def _neighbours(self, root):
        """The classes some member of class ``root`` interferes with."""
        edges, find = self.an.edges, self.find
        return {find(y) for x in self.sets.members[root] for y in edges.get(x, ())}

    def _merge(self, ra, rb):
        count = self.nparams.pop(ra, 0) + self.nparams.pop(rb, 0)
        root = self.sets.union(ra, rb)
        if count:
            self.nparams[root] = count
        return root

    def _coalesce_bases(self):
        """Each class of values of one base name, at its first member in order, joins the
        earliest class of that base it may (none of their members interfere, at most one
        parameter): the first head not among its neighbour classes. A class that already
        met its base passes, since classes only grow and the classes before it refused it
        then. Cost: the edges of each class once, not a scan of the base per value."""
        groups = {}
        for v in self.order:
            if not _TEMP.match(v.name):
                groups.setdefault(_base(v.name), []).append(v)
        for vs in groups.values():
            heads = []      # one value per class met so far, in order of first appearance
            met = set()     # roots of those classes
            for v in vs:
                rv = self.find(v)
                if rv in met or rv in self.crowded:
                    continue
                neighbours = self._neighbours(rv)
                mine = self.nparams.get(rv, 0)
                for h in heads:
                    rh = self.find(h)
                    if rh not in neighbours and mine + self.nparams.get(rh, 0) <= 1:
                        met.add(self._merge(rh, rv))
                        break
                else:
                    heads.append(v)
                    met.add(rv)

    def _finish(self):
        self.name = {}
        classes = {}
        for v in self.order:
            classes.setdefault(self.find(v), []).append(v)
        for members in classes.values():
            params = [m for m in members if m in self._param_set]
            if params:
                chosen = params[0].name
            else:
                chosen = min((m.name for m in members),
                             key=lambda n: (bool(_TEMP.match(n)), len(n), n))
            for m in members:
                self.name[m] = chosen
        self._plain_names(classes)
        # one value of its variable, assigned once: imperative IR may assign one Value
        # object in two places (an adjoint zeroed in a loop after a copy before it), and
        # such a value printed inside its use would skip the other assignment
        self.singleton = {v for members in classes.values() if len(members) == 1
                          for v in members if self._defs[v.name] <= 1}

    def _plain_names(self, classes):
        """A class named ``a_18`` whose base ``a`` no other class has is named ``a``: after
        dead code went (the forward sweep's ``a``), an adjoint reads like the source. The
        printed text's other names (modules, builtins, the function) are never taken."""
        taken = set(self.name.values()) | _RESERVED | self.reserved
        for members in classes.values():
            name = self.name[members[0]]
            base = _base(name)
            if base == name or base in taken or _TEMP.match(name) or \
                    any(m in self._param_set for m in members):
                continue
            taken.add(base)
            for m in members:
                self.name[m] = base


def _nested_regions(op):
    """Every region inside ``op``, at any depth."""
    for sub in op.regions():
        yield sub
        for inner in sub.ops:
            yield from _nested_regions(inner)


def _unparse(stmt):
    """``ast.unparse`` of one statement: it reads the statement's ``lineno`` (for type
    comments) and no other location, so the tree is not walked to fill them in."""
    stmt.lineno = getattr(stmt, "lineno", None) or 1
    return ast.unparse(stmt)


_REPEATED_LOADS = 3   # uses up to which an element read prints again at each (x[i])
# values nested inside one printed expression at most: a long chain of single uses (the
# adjoint of a long function) would otherwise print as one expression deeper than Python's
# recursion limit (and than anyone reads)
_INLINE_DEPTH = 12
# statements between a value and its use at most, for it to print inside the use: a value
# read far from where it is computed reads better named, and checking what happens in
# between for each is quadratic on a long adjoint
_INLINE_REACH = 64


def _size(op) -> bool:
    """``x.shape[0]`` (an element of a shape at a constant index) or ``len(_tape)`` (a
    tape's capacity): no memory is read, only the array's length."""
    if isinstance(op, Prim):
        return op.name == "capacity" and _named(op.operands[0])
    return isinstance(op, Load) and op.operands[0].kind == "shape" and \
        all(isinstance(i, Const) for i in op.operands[1:])


def _repeatable(op, inline, uses) -> bool:
    """Whether ``op``'s value, read ``uses`` times, prints again at each use, as a person
    writes it, rather than as a named temporary (exact, and Numba computes it once):
    integer arithmetic (``2 * i + 1``, an index read and its adjoint's), a scalar's
    negation (``-b``), a size (``x.shape[0]``, ``len(_tape)``) and an element read used at most
    ``_REPEATED_LOADS`` times (``u[i]`` in ``u[i] = u[i] + c * u[i - 1]``). ``inline``: the
    values printed inside their use (a negated expression keeps its name)."""
    if isinstance(op, Load):
        array, *index = op.operands
        if array.kind == "shape":
            return _size(op)
        return uses <= _REPEATED_LOADS and array.kind in ("array", "any") and \
            array not in inline and op.results[0].kind in ("float", "int", "bool") and \
            all(i.kind == "int" and (i not in inline or _repeatable(inline[i], inline, 2))
                for i in index)
    if not isinstance(op, Prim):
        return False
    if _size(op):
        return True
    if op.name == "neg":
        return op.results[0].kind == "float" and _named(op.operands[0]) and \
            op.operands[0].kind == "float" and op.operands[0] not in inline
    return op.name in ("add", "sub", "mul") and op.results[0].kind == "int" and \
        all(o.kind == "int" and (o not in inline or _repeatable(inline[o], inline, 2))
            for o in op.operands)


# --- the printer ----------------------------------------------------------------------------
class _Printer:
    def __init__(self, fn: Function, name=None):
        self.fn = fn
        self.fname = name or fn.name
        self.names = _Names(fn)
        self.an = self.names.an
        self.inline = {}
        self._depth = {}      # inlined value -> how many values its expression nests
        self._written = {}    # id(op) -> _writes(op)
        self._find_inlines(fn.body)
        self.lines = []
        self.group = None   # the source line of the statements printed last

    # which temporaries print inside their use
    def _find_inlines(self, region):
        """Values printed inside their uses: a temporary read once in the same region, with
        nothing in between writing a name it reads (nor, for a read of memory, storing
        where it may read); a repeatable one (:func:`_repeatable`) at each use, nested
        blocks included; any value read once, whatever its name, as a person writes
        ``d = h @ W2 + b2 - y`` rather than name ``h @ W2 + b2`` (the rules are the
        temporaries'); a comparison of parameters never assigned anywhere."""
        ops = region.ops
        pos = {}      # id of an op of ops, or of one nested in it -> its index in ops
        owner = {}    # id of a region nested in ops[k] -> k
        for k, op in enumerate(ops):
            pos[id(op)] = k
            for inner in walk_nested(op):
                pos[id(inner)] = k
            for sub in _nested_regions(op):
                owner[id(sub)] = k
        for k, op in enumerate(ops):
            for sub in op.regions():
                self._find_inlines(sub)
            if not isinstance(op, (Prim, Load, Assign)) or len(op.results) != 1:
                continue
            v = op.results[0]
            uses = self.an.uses.get(v, 0)
            if uses == 0 or not (v in self.names.singleton or (
                    v in self.names.lone and self._in_expressions(v))):
                continue
            temporary = _TEMP.match(v.name) or (isinstance(op, Prim) and _size(op))
            if not temporary and not (
                    uses == 1 and isinstance(op, (Prim, Load)) and
                    all(use_op is not None for _, use_op in self.an.use_sites[v])):
                continue   # (a named value the function returns keeps its name; a
                # tape's capacity is the compiler's name, not the user's)
            if _TEMP.match(v.name) and self._fixed_comparison(op):
                self.inline[v] = op
                continue
            repeat = uses > 1 and _repeatable(op, self.inline, uses)
            if uses != 1 and not repeat:
                continue
            ends = []
            for use_region, use_op in self.an.use_sites[v]:
                if use_region is region:
                    ends.append(len(ops) if use_op is None else pos[id(use_op)])
                elif repeat and id(use_region) in owner:
                    ends.append(owner[id(use_region)] + 1)   # the whole block it is in
                else:
                    ends = None
                    break
            if not ends or min(ends) <= k or max(ends) - k > _INLINE_REACH:
                continue
            end = max(ends)
            reads, loads = self._reads(v)
            clobbered = False
            for mid in ops[k + 1:end]:
                written, stores = self._writes(mid)
                if (reads & written) or any(self._may_alias(a, b) for a in stores
                                            for b in loads):
                    clobbered = True
                    break
            depth = 1 + max((self._depth.get(o, 0) for o in op.operands), default=0)
            if not clobbered and depth <= _INLINE_DEPTH:
                self.inline[v] = op
                self._depth[v] = depth

    def _in_expressions(self, v) -> bool:
        """Whether every use of ``v`` is inside an expression: not a copy nor a loop's
        initial value, which a value sharing its target's name needs no line for (and
        printing it there would lose its source-line comment)."""
        return all(use_op is not None and not isinstance(use_op, (Assign, For, While))
                   for _, use_op in self.an.use_sites[v])

    def _own_memory_read(self, op) -> bool:
        """An element read of an array this function allocates (a tape, an adjoint)."""
        return isinstance(op, Load) and _named(op.operands[0]) and \
            self.names.name[op.operands[0]] in self.names.fresh and \
            op.results[0].kind in ("float", "int", "bool") and \
            all(i.kind == "int" for i in op.operands[1:])

    def _fixed_comparison(self, op) -> bool:
        """``x > y`` of constants and scalar parameters never assigned: the same value
        wherever it is read, so the test prints at each ``if`` that branches on it (an
        array parameter's elements may be stored into: ``y[y > 0.3] -= s`` reads the mask
        of y before the store)."""
        return isinstance(op, Prim) and op.name in ("gt", "ge", "lt", "le", "eq", "ne") and \
            all(isinstance(o, Const) or (_named(o) and self.names.name[o] in
                                         self.names.caller and o in self.names._param_set
                                         and o.kind in ("float", "int", "bool"))
                for o in op.operands)

    def _reads(self, v, acc=None):
        """(names, arrays): the variables the expression of ``v`` reads, and the arrays
        whose memory it reads (a store to one of them in between could change it)."""
        reads, loads = (set(), set()) if acc is None else acc
        op = self.inline.get(v)
        if op is None:
            d = self.an.defs.get(v)
            op = d[1] if d else None
            if op is None or not isinstance(op, (Prim, Load, Assign)):
                reads.add(self.names.name.get(v, v.name))
                return reads, loads
        arrays = [] if isinstance(op, Prim) and op.name in ("shape", "capacity") else \
            [o for o in (op.operands[:1] if isinstance(op, Load) else op.operands)
             if o.kind in ("array", "any")]   # a shape is no memory, nor reads any
        loads.update(self.names.name[o] if _named(o) else None for o in arrays)
        for o in op.operands:
            if not _named(o):
                continue
            if o in self.inline:
                reads, loads = self._reads(o, (reads, loads))
            else:
                reads.add(self.names.name[o])
        return reads, loads

    def _writes(self, op):
        """(names, arrays) ``op`` assigns and stores into (nested regions included); once
        per op (the emitter never changes the IR, and every candidate for inlining before
        ``op`` asks, nested ops again for each block around them)."""
        known = self._written.get(id(op))
        if known is not None:
            return known
        written, stores = set(), set()
        for r in _vals(op.results):
            written.add(self.names.name[r])
        if isinstance(op, Store):
            target = op.operands[0]
            stores.add(self.names.name[target] if _named(target) else None)
        for sub in op.regions():
            for a in _vals(sub.args):
                written.add(self.names.name[a])
            for inner in sub.ops:
                w, s = self._writes(inner)
                written |= w
                stores |= s
        self._written[id(op)] = written, stores
        return written, stores

    def _may_alias(self, stored, loaded) -> bool:
        """Whether a store into array variable ``stored`` may change what reading
        ``loaded`` gives. An array this function allocates (an adjoint, a tape, a copy) is
        no other variable's memory; a parameter never reassigned is the caller's, so it is
        no allocated array (two parameters may be one array)."""
        if stored is None or loaded is None or stored == loaded:
            return True
        fresh, caller = self.names.fresh, self.names.caller
        if stored in fresh or loaded in fresh:
            return not (stored in fresh or stored in caller) or \
                not (loaded in fresh or loaded in caller)
        return True

    # expressions
    def expr(self, v):
        if isinstance(v, Undef):
            return ast.Constant(None)
        if isinstance(v, Const):
            return const_ast(v.value)
        op = self.inline.get(v)
        if op is not None:
            return self.op_expr(op)
        return ast.Name(self.names.name[v], ast.Load())

    def index_expr(self, v):
        op = self.inline.get(v)
        if op is not None and isinstance(op, Prim) and op.name == "slice":
            parts = [None if isinstance(o, Const) and o.value is None else self.expr(o)
                     for o in op.operands]
            return ast.Slice(*parts)
        return self.expr(v)

    def op_expr(self, op):
        if isinstance(op, Load):
            arr, *idx = op.operands
            items = [self.index_expr(i) for i in idx]
            sl = items[0] if len(items) == 1 else ast.Tuple(items, ast.Load())
            return ast.Subscript(self.expr(arr), sl, ast.Load())
        if isinstance(op, Assign):
            return self.expr(op.operands[0])
        return self.prim_expr(op)

    def prim_expr(self, op):
        if op.name == "opaque_call":
            return self.opaque_expr(op)
        syntax, defaults = _syntax(op.name)
        args = [self.expr(o) for o in op.operands]
        kws = [ast.keyword(k, const_ast(v)) for k, v in sorted(op.attrs.items())
               if not (k in defaults and defaults[k] == v)
               and not (k in _DEFAULT_ATTRS and _DEFAULT_ATTRS[k] == v)]
        form, sym = syntax.form, syntax.symbol
        if form == "binop":
            return ast.BinOp(args[0], _BINOP[sym](), args[1])
        if form == "unaryop":
            if sym == "-" and isinstance(args[0], ast.UnaryOp) and \
                    isinstance(args[0].op, ast.USub):
                return args[0].operand      # -(-x) is x, exactly
            return ast.UnaryOp(_UNARY[sym](), args[0])
        if form == "compare":
            return ast.Compare(args[0], [_CMP[sym]()], [args[1]])
        if form == "tuple":
            return ast.Tuple(args, ast.Load())
        if form == "attr":
            return ast.Attribute(args[0], sym, ast.Load())
        if form == "method":
            return ast.Call(ast.Attribute(args[0], sym, ast.Load()), args[1:], kws)
        if op.name in SEQUENCE_OPERANDS:
            args = [ast.Tuple(args, ast.Load())]
        if form == "call" and kws and sym.startswith("np.") and "." not in sym[3:] \
                and _has_helper(sym[3:]):
            # np.sum(x, axis=1, keepdims=True): Numba lacks keepdims (and axis for np.max,
            # np.min, np.mean, np.prod); the helper of that name takes the same arguments
            form, sym = "helper", sym[3:]
        func = _dotted(sym) if form == "call" else _dotted(f"_rt.{sym}")
        return ast.Call(func, args, kws)

    def opaque_expr(self, op):
        """A call the compiler runs as written: ``module.name(args)`` or ``callee(args)``."""
        path, operands = op.attrs["path"], list(op.operands)
        func = _dotted(path) if path else self.expr(operands.pop(0))
        npos = op.attrs["nargs"]
        return ast.Call(func, [self.expr(a) for a in operands[:npos]],
                        [ast.keyword(k, self.expr(v))
                         for k, v in zip(op.attrs["keywords"], operands[npos:])])

    # statements
    def comment(self, line):
        text = linecache.getline(self.fn.filename, line).strip()
        return f"# line {line}: {text}" if text else f"# line {line}"

    def put(self, indent, stmt, line):
        code = _unparse(stmt) if isinstance(stmt, ast.AST) else stmt
        if line is not None and line != self.group:
            self.lines.append("    " * indent + self.comment(line))
            self.group = line
        self.lines.append("    " * indent + code)

    def name_of(self, v):
        return self.names.name[v]

    def copies(self, indent, dsts, srcs, line):
        pairs = self._copy_pairs(dsts, srcs)
        if not pairs:
            return
        targets = [ast.Name(self.name_of(d), ast.Store()) for d, _ in pairs]
        values = [self.expr(s) for _, s in pairs]
        if len(pairs) == 1:
            self.put(indent, ast.Assign(targets, values[0]), line)
            return
        lhs = ", ".join(ast.unparse(t) for t in targets)
        rhs = ", ".join(ast.unparse(v) for v in values)
        self.put(indent, f"{lhs} = {rhs}", line)

    def block(self, region, indent, tail=None):
        start, header = len(self.lines), self.group
        for op in region.ops:
            self.op(op, indent)
        if tail is not None:
            tail()
        if len(self.lines) == start:
            self.lines.append("    " * indent + "pass")
        self.group = header   # what follows the block continues the header's group

    def branch(self, op, indent, keyword="if"):
        """An ``if``; an ``else`` holding only another ``if`` prints as ``elif``. When all
        the ``then`` block computes prints at its uses (the tests of nested branches, say),
        the ``else`` block prints under ``if not``, and a truth test with nothing left in
        either block is not printed at all."""
        line = op.line
        start, group = len(self.lines), self.group
        test = self.expr(op.operands[0])
        self.put(indent, f"{keyword} {ast.unparse(test)}:", line)
        self.block(op.then, indent + 1,
                   lambda: self.copies(indent + 1, op.results, op.then.yields, line))
        if keyword == "if" and self._printed_nothing(start):
            del self.lines[start:]
            self.group = group
            self.put(indent, f"if {ast.unparse(ast.UnaryOp(ast.Not(), test))}:", line)
            self.block(op.orelse, indent + 1,
                       lambda: self.copies(indent + 1, op.results, op.orelse.yields, line))
            if self._printed_nothing(start) and op.operands[0].kind == "bool":
                del self.lines[start:]
                self.group = group
            return
        printed = [o for o in op.orelse.ops if not (o.results and o.results[0] in self.inline)]
        inner = printed[0] if len(printed) == 1 else None
        if isinstance(inner, If) and not self._copy_pairs(op.results, op.orelse.yields):
            self.branch(inner, indent, "elif")
            return
        mark = len(self.lines)
        self.lines.append("    " * indent + "else:")
        self.group = line
        self.block(op.orelse, indent + 1,
                   lambda: self.copies(indent + 1, op.results, op.orelse.yields, line))
        if self.lines[mark + 1:] == ["    " * (indent + 1) + "pass"]:
            del self.lines[mark:]

    def _printed_nothing(self, start) -> bool:
        """Whether the lines from ``start`` on are a header and ``pass`` (and comments)."""
        return [ln.strip() for ln in self.lines[start:]
                if not ln.lstrip().startswith("#")][1:] == ["pass"]

    def _copy_pairs(self, dsts, srcs):
        """The (target, value) pairs of a copy that print (not a variable onto itself)."""
        return [(d, s) for d, s in zip(dsts, srcs)
                if _named(d) and not isinstance(s, Undef)
                and not (_named(s) and s not in self.inline
                         and self.name_of(s) == self.name_of(d))]

    def op(self, op, indent):
        if op.results and op.results[0] in self.inline:
            return
        line = op.line
        if isinstance(op, Assign):
            self.copies(indent, op.results, op.operands, line)
        elif isinstance(op, (Prim, Load)):
            target = ast.Name(self.name_of(op.results[0]), ast.Store())
            self.put(indent, ast.Assign([target], self.op_expr(op)), line)
        elif isinstance(op, Store):
            arr, *idx, val = op.operands
            if op.accumulate and any(i.kind in ("array", "any") for i in idx):
                # unbuffered: a repeated index adds once per occurrence (see rules/indexing)
                index = ast.Tuple([self.expr(i) for i in idx], ast.Load())
                self.put(indent, ast.Expr(ast.Call(_dotted("_rt.add_at"),
                                                   [self.expr(arr), index, self.expr(val)],
                                                   [])), line)
                return
            items = [self.index_expr(i) for i in idx]
            sl = items[0] if len(items) == 1 else ast.Tuple(items, ast.Load())
            target = ast.Subscript(self.expr(arr), sl, ast.Store())
            if op.accumulate:
                stmt = ast.AugAssign(target, ast.Add(), self.expr(val))
            else:
                stmt = ast.Assign([target], self.expr(val))
            self.put(indent, stmt, line)
        elif isinstance(op, If):
            self.branch(op, indent)
        elif isinstance(op, For):
            start, stop, step = op.operands[:3]
            index, *args = op.body.args
            self.copies(indent, args, op.inits, line)
            if isinstance(step, Const) and step.value == 1:
                rng = [stop] if isinstance(start, Const) and start.value == 0 else [start, stop]
            else:
                rng = [start, stop, step]
            loop = "prange" if op.parallel else "range"    # see transforms.parallel
            call = ast.Call(ast.Name(loop, ast.Load()), [self.expr(v) for v in rng], [])
            idx = self.name_of(index) if _named(index) else "_"
            self.put(indent, f"for {idx} in {ast.unparse(call)}:", line)
            self.block(op.body, indent + 1,
                       lambda: self.copies(indent + 1, args, op.body.yields, line))
            self.copies(indent, op.results, args, line)
        elif isinstance(op, While):
            self.copies(indent, op.cond.args, op.inits, line)
            for c in op.cond.ops:
                self.op(c, indent)
            test = ast.unparse(self.expr(op.cond.yields[0]))
            self.put(indent, f"while {test}:", line)

            def tail():
                self.copies(indent + 1, op.cond.args, op.body.yields, line)
                for c in op.cond.ops:
                    self.op(c, indent + 1)

            start = len(self.lines)
            self.copies(indent + 1, op.body.args, op.cond.args, line)
            self.block(op.body, indent + 1, tail)
            if len(self.lines) == start:
                self.lines.append("    " * (indent + 1) + "pass")
            self.copies(indent, op.results, op.cond.args, line)
        else:
            raise TypeError(f"cannot print op {type(op).__name__}")

    def function(self):
        params = [self.name_of(v) if _named(v) else v.name
                  for v in self.fn.params + self.fn.free_vars]
        self.lines.append(f"def {self.fname}({', '.join(params)}):")
        body_start = len(self.lines)
        for op in self.fn.body.ops:
            self.op(op, 1)
        ys = self.fn.body.yields
        if not ys:
            value = "None"
        elif len(ys) == 1 and not self.fn.returns_tuple:
            value = ast.unparse(self.expr(ys[0]))
        else:
            value = ast.unparse(ast.Tuple([self.expr(y) for y in ys], ast.Load()))
        lines = [op.line for op in walk(self.fn.body) if op.line is not None]
        last = max(lines) if lines else None
        ret_line = _return_line(self.fn, last)
        self.put(1, "return " + value, ret_line)
        del body_start
        return "\n".join(self.lines) + "\n"


def _return_line(fn, last):
    """The line of the user's last ``return`` (searched from the last op's line)."""
    start = last if last is not None else fn.first_line
    for line in range(start, start + 200):
        text = linecache.getline(fn.filename, line)
        if not text:
            break
        if text.strip().startswith("return"):
            return line
    return last


def emit_function(fn: Function, name: str | None = None) -> str:
    """Python source of one function (no imports)."""
    return _Printer(fn, name).function()


def emit_module(fns: list[Function], header: str = "") -> str:
    """A module: imports, ``header`` text, then each function."""
    parts = [HEADER]
    modules = sorted({op.attrs["path"].rsplit(".", 1)[0] for fn in fns for op in walk(fn.body)
                      if isinstance(op, Prim) and op.name == "opaque_call" and op.attrs["path"]})
    if modules:     # calls run as written (ad_compiler.frontend.ssa: opaque_call)
        parts.append("".join(f"import {m}\n" for m in modules))
    if any(isinstance(op, For) and op.parallel for fn in fns for op in walk(fn.body)):
        parts.append("from numba import prange\n")   # range outside njit(parallel=True)
    if header:
        parts.append(header.rstrip("\n") + "\n")
    for fn in fns:
        parts.append("\n" + emit_function(fn))
    return "\n".join(parts)

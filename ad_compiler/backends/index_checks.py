"""Bounds checks at the cost of a few comparisons per loop nest: the generated source given
explicit checks, so that Numba compiles it with ``boundscheck=False`` and still never reads
or writes outside an array.

Why on the generated source and not on the IR: the checks must cover exactly what Numba
compiles (the primal sweep, the adjoint, the tapes and every helper call the emitter
prints), and must leave ``.source`` (what the user reads, what the golden tests pin) as it
is. The rewrite keeps every line of the file, its ``# line N:`` comments included (so
compile errors and failed checks still name the user's line); it only edits index
expressions in place and inserts check lines before loops.

Two kinds of check, both with NumPy's semantics (``-len <= i < len``):

* **entry checks**: an element index ``x[e]`` executed on every iteration of a nest of
  ``for v in range(start, stop, step)`` loops, with ``e`` affine in the loop indices
  (``a*i + b*j + c``, ``c`` invariant in the nest: constants, sizes, outer indices) gets one
  check of ``e``'s least and greatest value over the nest, placed before the outermost loop
  where the ranges, ``c`` and the array itself are fixed, under the condition that every
  loop of the nest runs at least once; all the checks before one nest are one statement,
  ``_rt.require_indices(condition, a, axis, lo, hi, ...)``. The valid indices form an
  interval, so its two extremes prove every access of the nest. An adjoint
  ``b_x = _rt.zeros_like(x)`` of a parameter ``x`` is checked as ``x`` (its shape).
* **per-access checks** for every other index (through an int array, loaded from memory,
  under an ``if``, in a ``while`` loop, in a loop whose body may ``break``, a loop over
  something other than ``range``): ``x[_rt.checked_index(x, axis, i)]``, which also checks
  int-array (gather/scatter) and boolean-mask indices, which Numba never checks; an int
  index evaluated once by its statement is checked just before it
  (``_rt.require_indices(True, x, axis, i, i)``).

No check is made that one already made proves: an access in a branch (or a conditional
expression) whose index its loops' entry checks cover over the same ranges (``if x[k] >
m: m = x[k]``); a check that an earlier one covers, run on every path to it with nothing it
reads assigned since, under guards its own imply (:class:`_Proven`: the reverse sweep of a
gradient indexes the arrays its forward sweep did, over the same ranges); ``a[k]`` in a
``while`` whose test says ``k < len(a)``, ``k`` a counter never negative (a tape's push).
Bounds and guards are :class:`Affine` values, printed simplified (``(_k - n + 1)``, not
``(_k - 1 * ((((n - 1) - 0 + 0) // 1) - 1) - 1)``): each costs Numba's typing and lowering.
Indexing a name bound only to a ``.shape`` (a tuple) is left to Numba.

Inside a ``prange`` body no check raises (Numba runs a loop body with a second exit
serially): a failed check sets a flag, its statement is skipped, and the loop raises after it
ends (:class:`_Parallel`).

Slices need no check (NumPy clips them). Indexing something that is not an array (a tuple,
a list) is left to Numba, which checks those itself; the helpers do nothing for them.
An access the analysis is unsure about always gets the per-access check.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["add_index_checks", "checked_index", "proven_index", "require_indices",
           "index_bad", "proven_bad", "indices_bad", "flagged_index"]

OUT_OF_BOUNDS = "index is out of bounds"


# ---------------------------------------------------------------------------------------------
# the helpers the checks call (Python bodies; the Numba overloads are in .numba.bounds)
# ---------------------------------------------------------------------------------------------

def index_bad(a, axis, i):
    """Whether ``i`` fails to index axis ``axis`` of array ``a`` (an int out of range, an
    array of ints with one out of range, a boolean mask of another length); False for
    anything else (a slice, ``None``, a non-array ``a``)."""
    if isinstance(a, np.ndarray) and not isinstance(i, (slice, type(None))):
        n = a.shape[axis]
        idx = np.asarray(i)
        if idx.dtype == np.bool_:
            return bool(idx.ndim) and idx.shape[0] != n
        return bool(idx.size) and bool(idx.min() < -n or idx.max() >= n)
    return False


def checked_index(a, axis, i):
    """``i`` after checking that it indexes axis ``axis`` of array ``a`` (see
    :func:`index_bad`)."""
    if index_bad(a, axis, i):
        raise IndexError(OUT_OF_BOUNDS)
    return i


def proven_bad(a, axis, i):
    """:func:`index_bad` for an index an entry check proved when it is an int: False for
    an int, the check for an int array or mask (whose elements a loop may change)."""
    return not isinstance(i, (int, np.integer)) and index_bad(a, axis, i)


def proven_index(a, axis, i):
    """``i``: an int index an entry check proved; an int array or mask is checked here as
    :func:`checked_index` does."""
    if proven_bad(a, axis, i):
        raise IndexError(OUT_OF_BOUNDS)
    return i


def indices_bad(a, axis, lo, hi):
    """Whether some int index from ``lo`` to ``hi`` is not valid on axis ``axis`` of array
    ``a``; False for a non-array, or for array-valued bounds (an index array, checked at
    each access by :func:`proven_index`)."""
    if isinstance(a, np.ndarray) and isinstance(lo, (int, np.integer)) \
            and isinstance(hi, (int, np.integer)):
        n = a.shape[axis]
        return bool(lo < -n or hi >= n)
    return False


def require_indices(when, *checks):
    """Raise ``IndexError`` when ``when`` (the loops the indices run over all run) and
    :func:`indices_bad` for one of ``checks``, the arguments of each in turn: ``a, axis,
    lo, hi`` (one call for all the checks before a loop nest)."""
    if when and any(indices_bad(*checks[k:k + 4]) for k in range(0, len(checks), 4)):
        raise IndexError(OUT_OF_BOUNDS)


def flagged_index(a, axis, i, flag):
    """Inside a ``prange`` body, where nothing may raise: ``i`` when it indexes axis ``axis``
    of ``a``, else ``flag[0] = 1`` (the loop raises after it ends) and the index 0 in its
    place, so that the read goes to the array's first element, not outside it. Only for
    reads at places the check cannot be moved before the statement (see ``_Parallel``); an
    array or mask index is checked as :func:`checked_index` does (that raise keeps Numba
    from running the loop in parallel)."""
    if isinstance(a, np.ndarray) and isinstance(i, (int, np.integer)):
        if index_bad(a, axis, i):
            flag[0] = 1
            return 0
        return i
    return checked_index(a, axis, i)


# ---------------------------------------------------------------------------------------------
# affine index expressions
# ---------------------------------------------------------------------------------------------

@dataclass
class Affine:
    """``const + sum(coeffs[loop] * loop index) + sum(atoms[text] * (text))`` (a coefficient
    may also be on an :class:`_Iteration`, the iteration number of a loop): ``atoms`` are
    source texts of loop-free integer expressions (sizes, outer values); ``names`` the
    variables they read."""

    coeffs: dict = field(default_factory=dict)
    atoms: dict = field(default_factory=dict)
    const: int = 0
    names: frozenset = frozenset()
    # (name, loop): the atom ``name`` stands for its value on entry to ``loop`` (a counter
    # the loop steps), valid only in checks placed before that loop or ones around it that
    # do not assign the name
    entry: frozenset = frozenset()
    # every atom is certainly an int (a size, a constant): the index is never an array
    ints: bool = True

    def loop_free(self):
        return not self.coeffs

    def plus(self, other, sign=1):
        coeffs, atoms = dict(self.coeffs), dict(self.atoms)
        for k, c in other.coeffs.items():
            coeffs[k] = coeffs.get(k, 0) + sign * c
        for k, c in other.atoms.items():
            atoms[k] = atoms.get(k, 0) + sign * c
        return Affine({k: c for k, c in coeffs.items() if c},
                      {k: c for k, c in atoms.items() if c},
                      self.const + sign * other.const, self.names | other.names,
                      self.entry | other.entry, self.ints and other.ints)

    def scaled(self, factor):
        return Affine({k: c * factor for k, c in self.coeffs.items()},
                      {k: c * factor for k, c in self.atoms.items()},
                      self.const * factor, self.names, self.entry, self.ints) \
            if factor else Affine()

    def render(self, loop_values=None):
        """Source text, each loop index replaced by ``loop_values[loop]`` (a text)."""
        parts = [_term(c, t) for t, c in self.atoms.items()]
        parts += [_term(c, loop_values[k]) for k, c in self.coeffs.items()]
        if self.const or not parts:
            parts.append(str(self.const))
        text = " + ".join(parts).replace("+ -", "- ")
        return text if len(parts) == 1 else f"({text})"

    def at(self, values):
        """The expression with each loop index or iteration number replaced by its Affine
        in ``values``; a loop absent from it stays as its variable (an atom)."""
        out = Affine(atoms=dict(self.atoms), const=self.const, names=self.names,
                     entry=self.entry, ints=self.ints)
        for k, c in self.coeffs.items():
            value = values.get(k)
            if value is None:
                value = Affine(atoms={k.var: 1}, names=frozenset({k.var}))
            out = out.plus(value.scaled(c))
        return out

    def minus(self, other):
        """``self - other`` when it is a constant, else None."""
        d = self.plus(other, -1)
        return None if d.coeffs or d.atoms else d.const


def _atom(text, like):
    """The expression ``text`` as one atom, reading what ``like`` reads."""
    return Affine(atoms={text: 1}, names=like.names, ints=like.ints)


def _positive(d):
    """The text of ``d > 0`` (``c < terms``), None when ``d`` is a constant."""
    if not d.atoms:
        return None
    return f"{-d.const} < {Affine(atoms=d.atoms).render()}"


def _term(c, text):
    if c in (1, -1):
        return _paren(text) if c == 1 else f"-{_paren(text)}"
    return f"{c} * {_paren(text)}"


_SIMPLE = re.compile(r"-?[\w.]+(\[\d+\])?|\(.*\)")


def _paren(text):
    """``text`` in parentheses unless it is a name, a number or ``x.shape[k]``... already
    one operand."""
    if _SIMPLE.fullmatch(text) and (not text.startswith("(") or _balanced(text[1:-1])):
        return text
    return f"({text})"


def _balanced(text):
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


_PURE_CALLS = {"len", "min", "max", "int", "abs"}


def _constant_int(node):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant_int(node.operand)
        return None if inner is None else -inner
    return None


class _Env:
    """What the walk knows at one point of a block: affine values of names, the loops
    around (innermost last) that a check may be hoisted over."""

    def __init__(self, values, loop_vars, ints):
        self.values = values          # name -> Affine
        self.loop_vars = loop_vars    # name -> loop (those of the hoisting chain)
        self.ints = ints              # names that only ever hold ints (see _int_names)

    def affine(self, node):
        """``node`` as an Affine, or None when it is not one."""
        k = _constant_int(node)
        if k is not None:
            return Affine(const=k)
        if isinstance(node, ast.Name):
            if node.id in self.values:
                return self.values[node.id]
            if node.id in self.loop_vars:
                return Affine(coeffs={self.loop_vars[node.id]: 1})
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            left, right = self.affine(node.left), self.affine(node.right)
            if left is None or right is None:
                return self._atom(node)
            if isinstance(node.op, ast.Add):
                return left.plus(right)
            if isinstance(node.op, ast.Sub):
                return left.plus(right, -1)
            for a, b in ((left, right), (right, left)):
                if not a.coeffs and not a.atoms:
                    return b.scaled(a.const)
            return self._atom(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.affine(node.operand)
            return None if inner is None else inner.scaled(-1)
        return self._atom(node)

    def _atom(self, node):
        """A loop-free pure integer expression as one atom (names of known loop-free value
        substituted), or None."""
        names = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                known = self.values.get(sub.id)
                if sub.id in self.loop_vars or (known is not None and not known.loop_free()):
                    return None
                names.add(sub.id)
            elif isinstance(sub, ast.Call):
                if not (isinstance(sub.func, ast.Name) and sub.func.id in _PURE_CALLS):
                    return None
            elif isinstance(sub, ast.Subscript):
                if not (isinstance(sub.value, ast.Attribute) and sub.value.attr == "shape"):
                    return None
            elif isinstance(sub, ast.Constant):
                if type(sub.value) is not int:       # a dict key, a float: not an index
                    return None
            elif not isinstance(sub, (ast.expr_context, ast.operator, ast.unaryop,
                                      ast.Attribute, ast.BinOp, ast.UnaryOp)):
                return None
        substituted = _Substitute(self.values).visit(_copy(node))
        names = set()
        for sub in ast.walk(substituted):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
        return Affine(atoms={ast.unparse(substituted): 1}, names=frozenset(names),
                      ints=_certainly_int(substituted, self.ints))


def _certainly_int(node, ints):
    """Whether every name ``node`` reads is an int variable (of ``ints``) or only read for
    a size (``x.shape[k]``, ``len(x)``): then ``node`` is an int, never an index array."""
    covered = {id(n) for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in ints}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "shape" or \
                isinstance(sub, ast.Call) and _callee(sub.func) == "len":
            covered.update(id(n) for n in ast.walk(sub) if isinstance(n, ast.Name))
        elif isinstance(sub, ast.Call):
            covered.add(id(sub.func))
    return all(id(n) in covered for n in ast.walk(node) if isinstance(n, ast.Name))


def _copy(node):
    return ast.parse(ast.unparse(node), mode="eval").body


class _Substitute(ast.NodeTransformer):
    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        known = self.values.get(node.id)
        if known is None:
            return node
        return ast.parse(known.render({}), mode="eval").body


# ---------------------------------------------------------------------------------------------
# loops a check may be hoisted over
# ---------------------------------------------------------------------------------------------

_EXITS = (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Try, ast.With)


def _assigned(stmts):
    """Names any statement of ``stmts`` (nested ones included) may assign (kept on each
    statement: the walk asks again for a loop, its body and each statement inside)."""
    out = set()
    for stmt in stmts:
        names = getattr(stmt, "_names_assigned", None)
        if names is None:
            names = stmt._names_assigned = frozenset(
                node.id for node in ast.walk(stmt)
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)))
        out |= names
    return out


@dataclass(eq=False)
class _Loop:
    node: ast.For
    var: str
    start: Affine
    stop: Affine
    step: int
    assigned: set
    checks: dict = field(default_factory=dict)   # guard -> checks to insert before the loop
    iteration: object = None

    def span(self):
        """(d, least, greatest) Affines in the variables of the loops around: the loop
        runs when ``d > 0``, its index going from ``least`` to ``greatest``."""
        start, stop, s = self.start.at({}), self.stop.at({}), self.step
        d = stop.plus(start, -1) if s > 0 else start.plus(stop, -1)
        if abs(s) == 1:
            return (d, start, stop.plus(Affine(const=-1))) if s > 0 else \
                (d, stop.plus(Affine(const=1)), start)
        last = start.plus(_atom(f"({d.render()} - 1) // {abs(s)} * {abs(s)}", d),
                          1 if s > 0 else -1)
        return (d, start, last) if s > 0 else (d, last, start)

    def trips(self):
        """The number of iterations when the loop runs, an Affine."""
        d, s = self.span()[0], abs(self.step)
        return d if s == 1 else _atom(f"({d.render()} + {s - 1}) // {s}", d)


@dataclass(eq=False)
class _Iteration:
    """The iteration number (0, 1, ...) of ``loop``: what a counter the loop steps by a
    constant (a tape position) is affine in."""

    loop: _Loop


def _counters(loop):
    """{name: step} of the names ``loop``'s body steps once per iteration by a constant
    (``k = k + 1``, ``k -= 1``), at its top level, and assigns nowhere else."""
    stores = {}
    for stmt in loop.node.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                stores[node.id] = stores.get(node.id, 0) + 1
    out = {}
    for stmt in loop.node.body:
        step = _step_of(stmt)
        if step is not None and stores.get(step[0]) == 1:
            out[step[0]] = step[1]
    return out


def _step_of(stmt):
    """(name, constant) when ``stmt`` is ``name = name +/- constant`` or ``name +/-= c``."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        name, op, value = stmt.target.id, stmt.op, stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.BinOp) and \
            isinstance(stmt.value.left, ast.Name) and \
            stmt.value.left.id == stmt.targets[0].id:
        name, op, value = stmt.targets[0].id, stmt.value.op, stmt.value.right
    else:
        return None
    c = _constant_int(value)
    if c is None or not isinstance(op, (ast.Add, ast.Sub)):
        return None
    return name, c if isinstance(op, ast.Add) else -c


def _range_loop(node, env):
    """The For ``node`` as a hoistable loop, or None."""
    it = node.iter
    if not (isinstance(node.target, ast.Name) and isinstance(it, ast.Call) and not it.keywords
            and _callee(it.func) in ("range", "prange") and 1 <= len(it.args) <= 3):
        return None
    if any(isinstance(sub, _EXITS) for stmt in node.body + node.orelse
           for sub in ast.walk(stmt)) or node.orelse:
        return None
    args = list(it.args)
    step = _constant_int(args[2]) if len(args) == 3 else 1
    if not step:
        return None
    start = env.affine(args[0]) if len(args) > 1 else Affine()
    stop = env.affine(args[-2] if len(args) == 3 else args[-1])
    assigned = _assigned(node.body)
    if start is None or stop is None or node.target.id in assigned:
        return None
    return _Loop(node, node.target.id, start, stop, step, assigned | {node.target.id})


def _iteration(loop):
    """The one :class:`_Iteration` of ``loop`` (a dict key in coefficients)."""
    if loop.iteration is None:
        loop.iteration = _Iteration(loop)
    return loop.iteration


def _callee(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


# ---------------------------------------------------------------------------------------------
# the rewrite of one statement's expressions
# ---------------------------------------------------------------------------------------------

class _Indices(ast.NodeTransformer):
    """Rewrites the subscripts of one statement: each element index is proven by an entry
    check of a loop of ``chain`` (appended to that loop's ``checks``) or wrapped in
    ``_rt.checked_index``."""

    def __init__(self, env, chain, before, parallel=None, twins=None, cover=0,
                 tuples=frozenset(), below=frozenset()):
        self.env, self.chain = env, chain
        self.twins = twins or {}
        self.below = below            # (k, a): 0 <= k < len(a) holds at the statement
        self.cover = cover            # the loops of chain[:cover] may only prove an access
        self.tuples = tuples          # names of tuples (Numba checks their indices)
        self.before = before          # checks may run just before the statement
        self.before_checks = []       # conditions under which an index is out of bounds
        self.requires = []            # the same as (array, axis, lo, hi) where they are ints
        self.conditional = 0
        self.changed = False
        self.parallel = parallel      # the _Parallel whose body holds the statement, or None
        # in a prange body, in order: ("hoist", "temp = index") and ("check", condition)
        self.steps = []

    def _visit_conditionally(self, node, fields):
        for name in fields:
            value = getattr(node, name)
            self.conditional += 1
            if isinstance(value, list):
                setattr(node, name, [self.visit(v) for v in value])
            else:
                setattr(node, name, self.visit(value))
            self.conditional -= 1
        return node

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        return self._visit_conditionally(node, ("body", "orelse"))

    def visit_BoolOp(self, node):
        first, *rest = node.values
        node.values = [self.visit(first)]
        for v in rest:
            self.conditional += 1
            node.values.append(self.visit(v))
            self.conditional -= 1
        return node

    def visit_Lambda(self, node):
        return self._visit_conditionally(node, ("body",))

    def _comprehension(self, node):
        self.conditional += 1
        self.generic_visit(node)
        self.conditional -= 1
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Del) or (isinstance(node.value, ast.Attribute)
                                             and node.value.attr in ("shape", "strides")) \
                or isinstance(node.value, ast.Name) and node.value.id in self.tuples:
            return node
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        axis, new_items, base = 0, [], node.value
        for k, item in enumerate(items):
            if _is_ellipsis(item):
                axis = -sum(1 for it in items[k + 1:]
                            if not _is_newaxis(it) and not _is_ellipsis(it))
                new_items.append(item)
                continue
            if _is_newaxis(item) or isinstance(item, ast.Slice):
                new_items.append(item)
                axis += 0 if _is_newaxis(item) else 1
                continue
            proven = axis == 0 and isinstance(base, ast.Name) and \
                isinstance(item, ast.Name) and (item.id, base.id) in self.below or \
                self._entry_check(base, axis, item) or self._check_before(base, axis, item)
            if proven is not True and self.parallel is not None:
                item = self._flagged(node, axis, item, proven)
            elif proven is not True:         # an int proven by a check stays as it is
                helper = "proven_index" if proven else "checked_index"
                item = _helper(helper, node.value, axis, item)
                self.changed = True
            new_items.append(item)
            axis += 1
        node.slice = ast.Tuple(new_items, ast.Load()) if isinstance(node.slice, ast.Tuple) \
            else new_items[0]
        return node

    def _flagged(self, node, axis, item, proven):
        """The index ``item`` of ``node`` checked in a ``prange`` body without a raise: moved
        to a temporary before the statement and tested there (``_Parallel.guard``), or, where
        it is evaluated conditionally or repeatedly (so it cannot move), read through
        ``_rt.flagged_index``, which records a failure and reads element 0 instead."""
        self.changed = True
        par = self.parallel
        if self.conditional or not self.before:
            if proven:
                return _helper("proven_index", node.value, axis, item)
            par.fallback = True
            return _helper("flagged_index", node.value, axis, item, par.flags)
        if not isinstance(node.value, ast.Name):     # evaluated once, as the access would
            base = par.fresh("b")
            self.steps.append(("hoist", f"{base} = {ast.unparse(node.value)}"))
            node.value = ast.Name(base, ast.Load())
        temp = par.fresh("i")
        self.steps.append(("hoist", f"{temp} = {ast.unparse(item)}"))
        helper = "proven_bad" if proven else "index_bad"
        self.before_checks.append(f"_rt.{helper}({node.value.id}, {axis}, {temp})")
        self.steps.append(("check", self.before_checks[-1]))
        return ast.Name(temp, ast.Load())

    def _check_before(self, base, axis, item):
        """Whether ``base[..item..]`` is checked just before its statement: an int index
        evaluated once, unconditionally, by the statement (its text evaluated twice: it
        reads only int variables and sizes)."""
        if self.conditional or not self.before or not isinstance(base, ast.Name):
            return False
        aff = self.env.affine(item)
        if aff is None or not aff.ints or aff.entry or any(
                isinstance(k, _Iteration) for k in aff.coeffs):
            return False
        text = _paren(ast.unparse(item))
        size = _size(base.id, axis)
        check = f"{text} < -{size} or {text} >= {size}"
        if check not in self.before_checks:
            self.before_checks.append(check)
            at = aff.at({})
            self.requires.append((self.twins.get(base.id, base.id), axis, at, at))
            self.steps.append(("check", check))
        return True

    def _entry_check(self, base, axis, item):  # noqa: C901  (one search, read in order)
        """Whether ``base[..item..]`` is proven by an entry check added to a loop: True
        (an int), "array" (if the index may be an index array, checked at the access),
        False (not proven)."""
        if not self.chain or not isinstance(base, ast.Name):
            return False
        aff = self.env.affine(item)
        if aff is None:
            return False
        loops = self.chain
        # the loops whose checks may only prove, not be added to: those outside the branch
        # the statement is in, or all of them for a conditionally evaluated expression
        cover = len(loops) if self.conditional else self.cover
        for m, loop in enumerate(loops):     # the outermost placement that works
            inner = loops[m:]
            fixed = {lp: lp.var for lp in loops[:m]}
            if base.id in loop.assigned or aff.names & loop.assigned:
                continue
            if any(lp not in inner if isinstance(lp, _Iteration) else
                   lp not in fixed and lp not in inner for lp in
                   [k.loop if isinstance(k, _Iteration) else k for k in aff.coeffs]):
                continue
            if any(lp not in inner or (lp is not loop and name in loop.assigned)
                   for name, lp in aff.entry):
                continue
            if any(b.names & loop.assigned or any(lp not in fixed for lp in b.coeffs)
                   for lp in inner for b in (lp.start, lp.stop)):
                continue
            guards, extremes = [], {}
            for lp in inner:
                d, least, greatest = lp.span()
                if not d.atoms and d.const <= 0:
                    return True          # the nest never runs: the access never happens
                if d.atoms:
                    guards.append(d)
                extremes[lp] = least, greatest
                extremes[_iteration(lp)] = Affine(), lp.trips().plus(Affine(const=-1))
            lo_vals, hi_vals = {}, {}
            for lp, c in aff.coeffs.items():
                least, greatest = extremes.get(lp, (None, None))
                if least is not None:
                    lo_vals[lp], hi_vals[lp] = (least, greatest) if c > 0 else (greatest, least)
            # (array-valued bounds, aff.ints False: the helpers skip them, each access of
            # the index array is checked where it is read)
            check = (self.twins.get(base.id, base.id), axis, aff.at(lo_vals), aff.at(hi_vals))
            key = tuple(_positive(d) for d in guards)
            group = loop.checks.get(key)
            if group is None or not any(_covers(c, check) for c in group[1]):
                if m < cover:        # outside the branch: proven only by what it checks
                    continue
                loop.checks.setdefault(key, (guards, []))[1].append(check)
            return True if aff.ints else "array"
        return False


def _covers(check, other):
    """Whether ``check`` (array, axis, lo, hi) proves ``other``: the same axis of the same
    array, ``other``'s bounds no lower and no higher (where a bound of ``check`` may be an
    array, which the check skips, so may ``other``'s: an access through an array index is
    checked where it is made)."""
    if check[:2] != other[:2] or any(other[k].ints and not check[k].ints for k in (2, 3)):
        return False
    below, above = other[2].minus(check[2]), check[3].minus(other[3])
    return below is not None and above is not None and below >= 0 and above >= 0


def _helper(name, base, axis, item, *more):
    """``_rt.name(base, axis, item, *more)`` (``more``: names)."""
    return ast.Call(ast.Attribute(ast.Name("_rt", ast.Load()), name, ast.Load()),
                    [_copy(base), ast.Constant(axis), item] +
                    [ast.Name(m, ast.Load()) for m in more], [])


def _size(name, axis):
    """The length of axis ``axis`` of ``name`` (``len`` on axis 0: arrays, tuples, lists)."""
    return f"len({name})" if axis == 0 else f"{name}.shape[{axis}]"


def _is_newaxis(node):
    return isinstance(node, ast.Constant) and node.value is None


def _is_ellipsis(node):
    return isinstance(node, ast.Constant) and node.value is Ellipsis


# ---------------------------------------------------------------------------------------------
# the walk over a function's blocks, and the text edits
# ---------------------------------------------------------------------------------------------

class _Names:
    """Fresh names for the temporaries of the checks, none of them a name of the module."""

    def __init__(self, tree):
        self.taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.taken |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
        self.count = 0

    def __call__(self, kind):
        while True:
            self.count += 1
            name = f"_oob_{kind}{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return name


@dataclass(eq=False)
class _Guard:
    """The checks of one statement of a ``prange`` body: ``steps`` in the order they run,
    ("hoist", "temp = index": an index moved into a temporary) and ("check", condition:
    true when an index is out of bounds, which skips the statement)."""

    stmt: ast.stmt
    steps: list = field(default_factory=list)

    def segments(self):
        """[(hoisted lines, checks)]: each hoist after a check runs only once that check
        has passed (the hoisted index may read what the check proves)."""
        out = [([], [])]
        for kind, text in self.steps:
            if kind == "hoist" and out[-1][1]:
                out.append(([], []))
            out[-1][0 if kind == "hoist" else 1].append(text)
        return out


class _Parallel:
    """A ``prange`` loop, whose body must not raise: Numba runs a loop with more than one
    exit (a raise) serially. In its body a failed check does not raise; it sets ``bad`` (a
    variable private to the iteration, so that every later checked statement of the
    iteration is skipped too: a value the skipped statement would have set is not used)
    and adds to ``flag`` (a reduction, combined across threads by Numba), and the
    statement whose access would be out of bounds is skipped. After the loop, ``if flag:
    raise IndexError`` (the error names the user's line as every check's does: the python
    run of the source locates it). A read that cannot be checked before its statement (in
    a conditional expression, a ``while`` test) goes through ``_rt.flagged_index``, which
    sets ``flags[0]`` (an array: an expression cannot update a reduction)."""

    def __init__(self, node, fresh):
        self.node, self.fresh = node, fresh
        self.flag, self.bad, self.flags = fresh("n"), fresh("bad"), fresh("flags")
        self.fallback = False
        self.guards = {}          # line -> _Guard

    def guard(self, stmt):
        return self.guards.setdefault(stmt.lineno, _Guard(stmt))


class _Rewrite:
    def __init__(self, ints, lines, fresh, twins, tuples, counts):
        self.ints, self.lines, self.fresh = ints, lines, fresh
        self.twins = twins     # array -> a parameter of its shape (_shape_twins)
        self.tuples = tuples   # names only ever bound to a shape (_tuple_names)
        self.cover = 0         # how many loops of the chain are outside the current branch
        self.counts = counts   # names that are never negative (_counts)
        self.below = set()     # (k, a): k < len(a) holds here (a while's test said so)
        self.edits = []        # (node, new text) of expressions or statements
        self.loops = []        # _Loop with checks to insert
        self.inserts = {}      # line number -> per-access check lines to insert before it
        self.parallel = None   # the _Parallel whose body is being walked
        self.parallels = []    # every _Parallel
        self.guarded = {}      # _Loop in a prange body -> its _Parallel

    def block(self, stmts, values, chain):
        values = dict(values)
        for stmt in stmts:
            env = _Env(values, {lp.var: lp for lp in chain}, self.ints)
            changing = _assigned([stmt])
            if isinstance(stmt, ast.For):
                self._expression(stmt.iter, env, chain, stmt)
                loop = _range_loop(stmt, env)
                inner = {k: v for k, v in values.items()
                         if k not in changing and not v.names & changing} if loop else {}
                if loop is not None:
                    self.loops.append(loop)
                    if self.parallel is not None:
                        self.guarded[loop] = self.parallel
                    for name, step in _counters(loop).items():
                        on_entry = values.get(name) or Affine(
                            atoms={name: 1}, entry=frozenset({(name, loop)}))
                        inner[name] = on_entry.plus(
                            Affine(coeffs={_iteration(loop): step}))
                outer = self.parallel
                if outer is None and isinstance(stmt.iter, ast.Call) and \
                        _callee(stmt.iter.func) == "prange":
                    self.parallel = _Parallel(stmt, self.fresh)
                    self.parallels.append(self.parallel)
                kept = self._kept(changing)
                self._nested(stmt.body, inner, chain + [loop] if loop else [],
                             self.cover if loop else 0, kept)
                self.parallel = outer
                self._nested(stmt.orelse, {}, [], 0, kept)
            elif isinstance(stmt, ast.If):
                # an access in a branch is proven by the checks its loops already make
                # (the same index over the same ranges), never by a new one before a loop
                # around the branch (that would check what the branch may not read)
                self._expression(stmt.test, env, chain, stmt)
                for sub in (stmt.body, stmt.orelse):
                    self._nested(sub, values, chain, len(chain), self.below)
            elif isinstance(stmt, ast.While):
                self._expression(stmt.test, env, [])
                kept = self._kept(changing)
                self._nested(stmt.body, {}, [], 0, kept | _below(stmt.test, self.counts))
                self._nested(stmt.orelse, {}, [], 0, kept)
            elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                pass
            elif hasattr(stmt, "body"):         # with, try: checked per access inside
                self._statement_parts(stmt, env)
            else:
                self._expression(stmt, env, chain)
            # the value of an int name (what an index may be made of) from here on
            step = _step_of(stmt)
            if step is not None and step[0] in self.ints:
                aff, name = env.affine(ast.BinOp(ast.Name(step[0], ast.Load()), ast.Add(),
                                                 ast.Constant(step[1]))), step[0]
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in self.ints:
                aff, name = env.affine(stmt.value), stmt.targets[0].id
            else:
                aff = name = None
            self._forget(values, changing)
            self.below = self._kept(changing)
            if aff is not None and name not in aff.names:
                values[name] = aff

    def _nested(self, stmts, values, chain, cover, below=frozenset()):
        outer = self.cover, self.below
        self.cover, self.below = cover, set(below)
        self.block(stmts, values, chain)
        self.cover, self.below = outer

    def _kept(self, changed):
        """The facts ``k < len(a)`` that hold on when ``changed`` are assigned."""
        return {f for f in self.below if f[0] not in changed and f[1] not in changed}

    def _statement_parts(self, stmt, env):
        for name in ("body", "orelse", "finalbody", "handlers"):
            sub = getattr(stmt, name, None)
            if sub:
                self._nested([s for s in sub if isinstance(s, ast.stmt)], {}, [], 0)
        for item in getattr(stmt, "items", []):
            self._expression(item.context_expr, env, [])

    @staticmethod
    def _forget(values, names):
        for k in [k for k, v in values.items() if k in names or v.names & names]:
            del values[k]

    def _expression(self, node, env, chain, stmt=None):
        """Rewrite the subscripts of ``node``, evaluated once each time ``stmt`` (``node``
        itself when a statement) runs; None: evaluated repeatedly (a while test)."""
        stmt = node if isinstance(node, ast.stmt) else stmt
        line = self.lines[stmt.lineno - 1][stmt.col_offset:] if stmt is not None else b""
        before = stmt is not None and not line.startswith(b"elif")
        inside = list(ast.walk(node))
        if not any(isinstance(sub, ast.Subscript) for sub in inside):
            return                              # (most statements: nothing to check)
        copy = ast.parse(ast.unparse(node)).body[0] if isinstance(node, ast.stmt) else \
            _copy(node)
        walrus = any(isinstance(sub, ast.NamedExpr) for sub in inside)
        rewriter = _Indices(env, chain, before, self.parallel, self.twins,
                            self.cover if chain else 0, self.tuples,
                            frozenset() if walrus else frozenset(self.below))
        new = rewriter.visit(copy)
        if rewriter.changed:
            self.edits.append((node, ast.unparse(new)))
        if rewriter.before_checks and self.parallel is not None:
            self.parallel.guard(stmt).steps += rewriter.steps
        elif rewriter.before_checks:
            self.inserts.setdefault(stmt.lineno, []).append((stmt, rewriter.requires))


_INT_CALLS = {"len", "int"}


def _int_names(func, nodes):
    """Names of ``func`` that only ever hold ints: every assignment is a range loop's
    target or an expression of int constants, such names and sizes (``len``, ``.shape``,
    ``_rt.trip_count``) under ``+ - * // %`` (the largest such set: a fixpoint from all
    assigned names)."""
    assigned = {}
    for node in nodes:
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            ok = isinstance(node.iter, ast.Call) and _callee(node.iter.func) in \
                ("range", "prange")
            assigned.setdefault(node.target.id, []).append(None if ok else False)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                        assigned.setdefault(name.id, []).append(
                            node.value if isinstance(target, ast.Name) else False)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            assigned.setdefault(node.target.id, []).append(
                ast.BinOp(node.target, node.op, node.value))
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr, ast.withitem,
                               ast.comprehension, ast.ExceptHandler)) or \
                isinstance(node, ast.For) and not isinstance(node.target, ast.Name):
            for name in ast.walk(node):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                    assigned.setdefault(name.id, []).append(False)
    ints = {n for n, values in assigned.items() if all(v is not False for v in values)}
    params = {a.arg for a in func.args.args}
    ints -= params
    changed = True
    while changed:
        changed = False
        for name in list(ints):
            if not all(v is None or _int_expression(v, ints) for v in assigned[name]):
                ints.discard(name)
                changed = True
    return ints


def _shape_twins(func, nodes) -> dict:
    """{array: source} for the arrays every binding of which is ``_rt.zeros_like`` of one
    ``source`` fixed wherever they are read (an adjoint ``b_x = _rt.zeros_like(x)``): a
    parameter that nothing rebinds, or a name bound once, by a statement of the function's
    body itself, before every binding of the array. The array has the source's shape
    wherever it is read, so an index checked against the source is checked against it, and
    the check of ``b_x[i]`` beside the one of ``x[i]`` in a loop nest is the same check,
    made once."""
    params = {a.arg for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}
    zeros = {}      # id of the target Name of ``y = zeros_like(x)`` -> "x"
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) \
                and _callee(node.value.func) == "zeros_like" and \
                len(node.value.args) == 1 and not node.value.keywords and \
                isinstance(node.value.args[0], ast.Name):
            zeros[id(node.targets[0])] = node.value.args[0].id
    bindings: dict = {}     # name -> for each binding, (the source it zeros or None, line)
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bindings.setdefault(node.id, []).append((zeros.get(id(node)), node.lineno))
        elif isinstance(node, ast.arg) and node.arg not in params:
            bindings.setdefault(node.arg, []).append((None, 0))   # (a nested function's)
    top = {id(target): stmt.lineno for stmt in func.body if isinstance(stmt, ast.Assign)
           for target in stmt.targets if isinstance(target, ast.Name)}
    once = {}       # name -> line of its one binding, a statement of the body itself
    for node in nodes:
        if isinstance(node, ast.Name) and id(node) in top and len(bindings[node.id]) == 1:
            once[node.id] = top[id(node)]
    twins = {}
    for name, sources in bindings.items():
        source = sources[0][0]
        if any(s != source for s, _ in sources):
            continue
        if source in params and source not in bindings or \
                source in once and all(line > once[source] for _, line in sources):
            twins[name] = source
    return twins


def _counts(func, nodes) -> frozenset:
    """Names never negative: every binding an assignment of an int constant >= 0, or of
    the name plus one (a tape position, a counter)."""
    ok = {}         # id of the target Name of an assignment -> whether it keeps it >= 0
    for node in nodes:
        step = _step_of(node) if isinstance(node, (ast.Assign, ast.AugAssign)) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            k = _constant_int(node.value)
            ok[id(node.targets[0])] = k is not None and k >= 0 or \
                step is not None and step[1] >= 0
        elif isinstance(node, ast.AugAssign) and step is not None:
            ok[id(node.target)] = step[1] >= 0
    return frozenset(name for name, binds in _bindings(nodes).items()
                     if all(n is not None and ok.get(id(n), False) for n in binds))


def _below(test, counts) -> set:
    """The facts ``k < len(a)`` (``k`` one of ``counts``, ``a`` a name) that the true
    ``while`` test ``test`` states: a comparison ``k < len(a)`` or ``k < a.shape[0]``, or
    one of the operands of an ``and`` or ``&`` of them."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return set().union(*(_below(v, counts) for v in test.values))
    if isinstance(test, ast.BinOp) and isinstance(test.op, ast.BitAnd):
        return _below(test.left, counts) | _below(test.right, counts)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and
            isinstance(test.ops[0], ast.Lt) and isinstance(test.left, ast.Name) and
            test.left.id in counts):
        return set()
    size = test.comparators[0]
    if isinstance(size, ast.Call) and _callee(size.func) == "len" and len(size.args) == 1 \
            and not size.keywords and isinstance(size.func, ast.Name):
        array = size.args[0]
    elif isinstance(size, ast.Subscript) and isinstance(size.value, ast.Attribute) and \
            size.value.attr == "shape" and _constant_int(size.slice) == 0:
        array = size.value.value
    else:
        return set()
    return {(test.left.id, array.id)} if isinstance(array, ast.Name) else set()


def _tuple_names(func, nodes) -> frozenset:
    """Names every binding of which is ``<array>.shape``: tuples, whose indices Numba checks
    itself (a constant one while typing)."""
    shapes = {id(node.targets[0]) for node in nodes
              if isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, ast.Attribute) and node.value.attr == "shape"}
    return frozenset(name for name, binds in _bindings(nodes).items()
                     if all(n is not None and id(n) in shapes for n in binds))


def _bindings(nodes) -> dict:
    """{name: its bindings in order met}: each the Name stored into (or deleted), None for a
    parameter (of the function or a nested one)."""
    out: dict = {}
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.setdefault(node.id, []).append(node)
        elif isinstance(node, ast.arg):
            out.setdefault(node.arg, []).append(None)
    return out


def _int_expression(node, ints):
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return node.id in ints
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)) and \
            _int_expression(node.left, ints) and _int_expression(node.right, ints)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and _int_expression(node.operand, ints)
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in _INT_CALLS or \
            _dotted(node.func) == "_rt.trip_count"
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Attribute) and node.value.attr == "shape" and \
            _int_expression(node.slice, ints)
    return False


def _dotted(node):
    return f"{node.value.id}.{node.attr}" if isinstance(node, ast.Attribute) and \
        isinstance(node.value, ast.Name) else None


def _require(when, checks):
    """The statement of the checks ``checks`` ((array, axis, lo, hi) each, the bounds
    Affines) under the condition ``when``: one ``_rt.require_indices``, which raises
    ``IndexError`` itself. One call, not ``if guard:`` around ``if <comparisons>: raise``:
    each ``if`` is basic blocks in Numba's IR, whose liveness analyses grow with blocks
    times variables, and each call is typed once (by a template) and lowered in place (the
    GMM gradient's cold compile with its checks 2.3 -> 1.6 s; 1.1 s without them)."""
    return f"_rt.require_indices({when}, " + \
        ", ".join(f"{a}, {axis}, {lo.render()}, {hi.render()}"
                  for a, axis, lo, hi in checks) + ")"


def _check_lines(indent, guard, checks):
    """The entry checks of one loop nest: one :func:`_require` whose condition is the
    guard (every loop of the nest runs), ``&`` of its comparisons (which branch nowhere)."""
    when = " & ".join(f"({g})" for g in guard) or "True"
    return [f"{indent}{_require(when, checks)}"]


def add_index_checks(source: str) -> str:
    """``source`` with entry and per-access checks (see the module docstring)."""
    tree = ast.parse(source)
    lines = [ln.encode() for ln in source.split("\n")]
    out = _Output()
    fresh = _Names(tree)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            nodes = list(ast.walk(node))
            rewrite = _Rewrite(_int_names(node, nodes), lines, fresh,
                               _shape_twins(node, nodes), _tuple_names(node, nodes),
                               _counts(node, nodes))
            rewrite.block(node.body, {}, [])
            _Proven(rewrite).block(node.body)
            _place(rewrite, lines, out)
    return _apply(lines, out)


_NAME = re.compile(r"[A-Za-z_]\w*")


@dataclass(eq=False)
class _Made:
    """A check that has run: ``check`` (array, axis, lo, hi) under ``guards`` (Affines,
    each ``> 0``), at ``step`` of the walk, in block ``scope``; ``reads``, every name its
    texts read."""

    guards: list
    check: tuple
    reads: frozenset
    step: int
    scope: int

    def proves(self, check, guards):
        """Whether this check proves ``check`` run under ``guards`` (the names it reads
        unchanged since): it covers the indices, and each of its guards follows from one of
        ``guards`` (``g1 = g + k``, ``k >= 0``)."""
        if not _covers(self.check, check):
            return False
        return all(any((k := g1.minus(g)) is not None and k >= 0 for g in guards)
                   for g1 in self.guards)


class _Proven:
    """Drops each check (before a loop, or before a statement) that one made earlier
    proves: one that ran on every path to it (earlier in its block or in a block around
    it), with none of the names it reads assigned since, checking the same array axis over
    a range that holds this one's, under guards that this one's imply (or the loops around
    it, which run). The forward and the reverse sweep of a gradient index the same arrays
    over the same ranges: the reverse sweep's checks go. A check inside a block never
    proves one after it (the block may not run: a loop's zero iterations, a branch not
    taken, a ``try`` left by the error).

    One walk in order: each name's last assignment is a step number (a loop's body sees
    every name the loop assigns as assigned on entry: the next iteration), a check made
    at an earlier step than every assignment of what it reads still holds, and the blocks
    open around the walk are the ones whose checks are seen."""

    def __init__(self, rewrite):
        self.before = {}          # id(stmt) -> [(guards, checks)] run before it, in order
        for entries in rewrite.inserts.values():
            for stmt, requires in entries:
                self.before.setdefault(id(stmt), []).append(([], requires))
        self.loops = {}
        for loop in rewrite.loops:
            self.loops[id(loop.node)] = loop
            if loop not in rewrite.guarded:       # (in a prange body: flags, not raises)
                for guards, checks in loop.checks.values():
                    self.before.setdefault(id(loop.node), []).append((guards, checks))
        self.made = {}            # (array, axis) -> [_Made]
        self.assigned_at = {}     # name -> step of its last assignment
        self.step = 0
        self.scopes, self.open = [0], {0}
        self.facts = []           # guards of the loops around: they run

    def block(self, stmts):
        for stmt in stmts:
            for guards, checks in self.before.get(id(stmt), ()):
                known = guards + self.facts
                checks[:] = [c for c in checks if not self._proven(c, known)]
                for c in checks:
                    self.made.setdefault(c[:2], []).append(
                        _Made(guards, c, _reads_of(guards, c), self._next(), self.scopes[-1]))
            changed = _assigned([stmt])
            if isinstance(stmt, (ast.For, ast.While)):
                self._assign(changed)
                loop, fact = self.loops.get(id(stmt)), None
                if loop is not None:
                    runs = loop.span()[0]
                    fact = None if _reads_of([runs]) & changed else runs
                self._nested(stmt.body, fact)
                self._nested(stmt.orelse)
            elif not isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                for name in ("body", "orelse", "finalbody", "handlers"):
                    sub = getattr(stmt, name, None)
                    if sub:
                        self._nested([s for s in sub if isinstance(s, ast.stmt)])
            self._assign(changed)

    def _next(self):
        self.step += 1
        return self.step

    def _assign(self, names):
        step = self._next()
        for name in names:
            self.assigned_at[name] = step

    def _nested(self, stmts, fact=None):
        self.scopes.append(self._next())         # (a step number names the block)
        self.open.add(self.scopes[-1])
        if fact is not None:
            self.facts.append(fact)
        self.block(stmts)
        if fact is not None:
            self.facts.pop()
        self.open.discard(self.scopes.pop())

    def _proven(self, check, known):
        made = self.made.get(check[:2], [])
        live = [m for m in made if m.scope in self.open and
                all(self.assigned_at.get(n, -1) < m.step for n in m.reads)]
        made[:] = live            # a closed block's or a changed name's check never returns
        return any(m.proves(check, known) for m in live)


def _reads_of(guards, check=None):
    texts = [g.render() for g in guards]
    if check is not None:
        texts += [check[0], check[2].render(), check[3].render()]
    return frozenset(n for t in texts for n in _NAME.findall(t))


@dataclass
class _Output:
    """What goes into the lines: ``inserts`` (line -> lines before it), ``first`` (lines
    before those: the ends of prange loops, then the starts of their bodies), ``wraps``
    ((first, last) line ranges indented one level, under a guard's ``else:``)."""

    inserts: dict = field(default_factory=dict)
    first: dict = field(default_factory=dict)
    wraps: list = field(default_factory=list)


def _indent(lines, node):
    return lines[node.lineno - 1][:node.col_offset].decode()


def _place(rewrite, lines, out):
    """Edit ``lines`` in place and add to ``out`` what ``rewrite`` found."""
    for line, checks in rewrite.inserts.items():
        out.inserts.setdefault(line, []).extend(
            f"{_indent(lines, stmt)}{_require('True', requires)}"
            for stmt, requires in checks if requires)
    for loop in rewrite.loops:
        if not loop.checks:
            continue
        par = rewrite.guarded.get(loop)
        if par is not None:          # before a loop inside a prange body: no raise
            par.guard(loop.node).steps += [("check", _condition(guard, checks))
                                           for guard, (_, checks) in loop.checks.items()]
            continue
        out.inserts.setdefault(loop.node.lineno, []).extend(
            line for guard, (_, checks) in loop.checks.items() if checks
            for line in _check_lines(_indent(lines, loop.node), guard, checks))
    for par in rewrite.parallels:
        _place_parallel(par, lines, out)
    for node, text in sorted(rewrite.edits, key=lambda e: (e[0].lineno, e[0].col_offset),
                             reverse=True):
        first, last = node.lineno - 1, node.end_lineno - 1
        head, tail = lines[first][:node.col_offset], lines[last][node.end_col_offset:]
        lines[first:last + 1] = [head + text.encode() + tail] + [b""] * (last - first)


def _condition(guard, checks):
    """An entry check as one condition (True: an index of the nest is out of bounds)."""
    tests = [f"_rt.indices_bad({array}, {axis}, {lo.render()}, {hi.render()})"
             for array, axis, lo, hi in checks]
    return f"({' and '.join(guard + ('(' + ' or '.join(tests) + ')',))})"


def _place_parallel(par, lines, out):
    """The flag of ``par``'s loop before it, its raise after it, and each guard: the
    hoisted indices, ``if bad or <a check fails>: bad = True; flag += 1``, and the
    statement under ``else:``."""
    if not par.guards and not par.fallback:
        return
    loop, indent = par.node, _indent(lines, par.node)
    before = [f"{indent}{par.flag} = 0"]
    raised = par.flag
    if par.fallback:
        before.append(f"{indent}{par.flags} = np.zeros(1, np.int64)")
        raised += f" or {par.flags}[0]"
    out.inserts.setdefault(loop.lineno, []).extend(before)
    out.first.setdefault(loop.end_lineno + 1, []).extend(
        [f"{indent}if {raised}:", f"{indent}    raise IndexError({OUT_OF_BOUNDS!r})"])
    if par.guards:
        body = loop.body[0]
        out.first.setdefault(body.lineno, []).append(f"{_indent(lines, body)}{par.bad} = False")
    for line, guard in par.guards.items():
        ind, depth, bad = _indent(lines, guard.stmt), 0, [par.bad]
        for hoisted, checks in guard.segments():
            pad = ind + "    " * depth
            text = [pad + h for h in hoisted]
            if checks:
                text += [f"{pad}if {' or '.join(bad + checks)}:", f"{pad}    {par.bad} = True",
                         f"{pad}    {par.flag} += 1", f"{pad}else:"]
                depth, bad = depth + 1, []
            out.inserts.setdefault(line, []).extend(text)
        out.wraps += [(line, guard.stmt.end_lineno)] * depth


def _apply(lines, out):
    """The lines with the inserts before them, each indented once per wrap around it (an
    insert before a wrap's first line stays outside that wrap)."""
    result = []
    last = len(lines)
    for k, line in enumerate(lines, start=1):
        around = sum(1 for a, b in out.wraps if a < k <= b)
        pad = "    " * around
        result.extend(pad + ins for ins in out.first.get(k, []) + out.inserts.get(k, []))
        own = around + sum(1 for a, _ in out.wraps if a == k)
        result.append("    " * own + line.decode())
    for k in sorted(k for k in out.first if k > last):
        result.extend(out.first[k])
    return "\n".join(result)

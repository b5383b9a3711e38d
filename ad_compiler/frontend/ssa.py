"""Stage 3 of the frontend: the normalised AST -> SSA IR (:mod:`.ir`).

A variable environment maps each source name to its current :class:`Value`. An ``if`` yields
every variable assigned in either branch that is live after it; a loop carries every variable
assigned in its body that is live at its head (after the loop, or read in the body before
being assigned). Liveness is computed on the AST first (:func:`liveness`).

Names: a variable's first value is named after it (``s``), later ones ``s_1``, ``s_2``...;
temporaries ``_t1``, ``_t2``...; values of an inlined function ``g`` are named ``g_y``...
Every name is unique in the function (names of the user's source are reserved up front).

``y[i] += v`` becomes Load + add + Store (no ``accumulate`` stores from the frontend).
``and``/``or`` of two bool values whose right operand is pure (names, constants,
comparisons, ``not``) becomes the elementwise ``and``/``or`` primitive; otherwise a nested
``If`` with Python's short-circuit semantics. ``x if c else y`` is an ``If``.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
import importlib
import os
import sys
import sysconfig
import types

import numpy as np

from ..errors import DifferentiationError
from ..rules import PRIMITIVES
from ..rules.shapes import ROW_JOINS
from ..rules.table import INTEGER_CLOSED
from . import containers as C
from .complexes import ComplexForms, is_complex_call
from . import indexing as indexing_calls
from .ir import Const, For, Function, If, Load, Prim, Region, Store, Undef, Value, While
from . import calls
from .normalize import normalize
from .parse import Parsed, names_in, parse_function, plain_function
from .pyforms import ContainerForms

_REDUCTIONS = {"sum", "mean", "max", "min", "prod"}
_SPLITS = {"split", "array_split", "vsplit", "hsplit", "dsplit"}
# the factors a factorisation returns, each its own primitive, by the keywords of the call
_FACTORS = {
    "eigh": lambda a: ("eigh_w", "eigh_v")
    if set(a) <= {"UPLO"} and a.get("UPLO", "L") in ("L", "U") else None,
    "qr": lambda a: ("qr_q", "qr_r") if a.get("mode", "reduced") == "reduced" else None,
    "slogdet": lambda a: ("slogdet_sign", "slogdet_logdet") if not a else None,
    "svd": lambda a: None if not set(a) <= {"compute_uv", "full_matrices"} else ("svd_s",)
    if a.get("compute_uv", True) is False else ("svd_u", "svd_s", "svd_vh"),
}
_LEGACY_CALLS = {"array", "asarray", "zeros", "ones", "empty", "full", "full_like", "zeros_like",
                 "ones_like", "empty_like", "copy", "transpose", "shape", "size", "ndim", "arange",
                 "linspace", "expand_dims", "squeeze", "reshape", "concatenate", "stack"}
_LEGACY_METHODS = {"sum", "mean", "max", "min", "prod", "copy", "dot", "reshape", "transpose"}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
           ast.FloorDiv: "floordiv", ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul",
           ast.BitAnd: "and", ast.BitOr: "or"}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq",
           ast.NotEq: "ne"}
_ARRAY_RESULT = {"zeros", "ones", "empty", "full", "full_like", "zeros_like", "ones_like",
                 "empty_like", "copy", "matmul", "outer", "transpose", "reshape", "concatenate",
                 "stack"}
_LIBRARIES = {"numpy", "scipy", "numba", "math", "ad_compiler", "builtins"}
_STDLIB = tuple(os.path.realpath(sysconfig.get_paths()[k]) + os.sep
                for k in ("stdlib", "platstdlib"))


def _in_stdlib(fn) -> bool:
    """Whether ``fn`` is a pure-Python function of the standard library (not site-packages)."""
    path = os.path.realpath(fn.__code__.co_filename)
    return path.startswith(_STDLIB) and "site-packages" not in path \
        or fn.__code__.co_filename.startswith("<frozen ")
_KIND_ORDER = ["none", "bool", "int", "float", "any", "array"]


def _flatten(items):
    for item in items:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _map_nested(items, fn):
    return [_map_nested(i, fn) if isinstance(i, list) else fn(i) for i in items]


def join_kinds(*kinds):
    kinds = [k for k in kinds if k is not None]
    if not kinds:
        return "float"
    if all(k == kinds[0] for k in kinds):
        return kinds[0]
    ranked = [k for k in kinds if k in _KIND_ORDER and k != "none"]
    if not ranked:
        return kinds[0]
    return max(ranked, key=_KIND_ORDER.index)


from ..rules.custom import call_primitive as _call_custom  # noqa: E402
from ..rules.custom import primitive_for as _custom_primitive  # noqa: E402


_MISSING = object()


class _Module:
    def __init__(self, module):
        self.module = module


class _Object:
    """An object whose attributes the code reads (``self`` of a bound method, a module-level
    instance, a NamedTuple or dataclass global): each float or array attribute becomes a free
    value read through ``getter`` at every call, never frozen."""

    def __init__(self, obj, getter, source):
        self.obj = obj
        self.getter = getter
        self.source = source


def _is_record_object(obj) -> bool:
    """Instances whose attributes compiled code may read (not modules, classes, arrays)."""
    if isinstance(obj, (tuple, list, dict, str, bytes)):
        return hasattr(obj, "_fields")
    return not isinstance(obj, (types.ModuleType, np.ndarray)) and not callable(obj)


def _is_record_class(obj) -> bool:
    """A NamedTuple or dataclass class: calling it builds a record (a pytree)."""
    return isinstance(obj, type) and (
        (issubclass(obj, tuple) and hasattr(obj, "_fields")) or dataclasses.is_dataclass(obj))


class _Func:
    def __init__(self, obj, name):
        self.obj = obj
        self.name = name


class _Local:
    """A nested ``def`` of the function being built."""

    def __init__(self, node, builder):
        self.node = node
        self.builder = builder


# --- liveness on the AST ------------------------------------------------------------------
def _loads(node):
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            out.add(n.id)
    return out


def assigned(stmts):
    """Names assigned in ``stmts`` in order of first assignment (nested defs: their name)."""
    out = {}

    def visit(node):
        if isinstance(node, ast.FunctionDef):
            out.setdefault(node.name, None)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.setdefault(node.id, None)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for s in stmts:
        visit(s)
    return list(out)


class Liveness:
    """Names live after each compound statement and at each loop head, on the AST.

    Liveness here is a gen/kill problem, so a loop needs no fixpoint: the names live at its
    head are those live after it plus those its body reads before assigning (its target
    excluded; a while's test added). Those exposed names are computed once per loop
    (:meth:`_exposed`, memoised), so each statement is walked once per enclosing loop, not
    twice per level of nesting."""

    def __init__(self):
        self.after = {}     # id(stmt) -> names live after it
        self.head = {}      # id(loop) -> names live at its head
        self.exposed = {}   # id(loop) -> names its body (and test) read before assigning

    def block(self, stmts, live, record=True):
        for s in reversed(stmts):
            live = self.stmt(s, live, record)
        return live

    def _exposed(self, s):
        found = self.exposed.get(id(s))
        if found is None:
            found = self.block(s.body, set(), record=False)
            if isinstance(s, ast.For):
                found = found - {s.target.id}
            else:
                found = found | _loads(s.test)
            self.exposed[id(s)] = found
        return found

    def stmt(self, s, live, record=True):
        if isinstance(s, ast.Assign):
            defs = set()
            uses = _loads(s.value)
            for t in s.targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        defs.add(n.id)
                uses |= _loads(t)
            return (live - defs) | uses
        if isinstance(s, (ast.AugAssign, ast.AnnAssign)):
            uses = _loads(s.value) if s.value is not None else set()
            uses |= _loads(s.target)
            if isinstance(s.target, ast.Name):
                if isinstance(s, ast.AugAssign):
                    uses.add(s.target.id)
                return (live - {s.target.id}) | uses
            return live | uses
        if isinstance(s, ast.If):
            if record:
                self.after[id(s)] = set(live)
            return (self.block(s.body, live, record) | self.block(s.orelse, live, record)
                    | _loads(s.test))
        if isinstance(s, (ast.For, ast.While)):
            head = set(live) | self._exposed(s)
            if record:
                self.after[id(s)] = set(live)
                self.block(s.body, head)
                self.head[id(s)] = head
            return head | _loads(s.iter) if isinstance(s, ast.For) else head
        if isinstance(s, ast.Return):
            return _loads(s.value) if s.value is not None else set()
        if isinstance(s, ast.FunctionDef):
            return (live - {s.name}) | _loads(s)
        return live | _loads(s)


# --- shared state of one top-level build (names, free variables, inlining stack) ----------
class Shared:
    """Names, free variables and the inlining stack of one top-level build.

    A loop body built again for wider kinds restores the names it took: every change is
    logged, so a snapshot is a log position and restoring undoes only what the body did,
    never a copy of every name in the function. ``version`` remembers, per base, the
    first suffix that may be free, so numbering ``s_1 ... s_k`` is not quadratic."""

    def __init__(self, top: Parsed):
        self.top = top
        self.taken = names_in(top.node)
        self.user_names = frozenset(self.taken)
        self.first_done = set()
        self.next_suffix = {}   # base -> a suffix below which every base_k is taken
        self.log = []           # (set or dict, key, previous value) of every change
        self.temps = 0
        self.free_vars = []
        self.free_sources = []
        self.free_getters = []
        self.free_keys = {}
        self.stack = []

    def _add(self, names, name):
        if name not in names:
            names.add(name)
            self.log.append((names, name, None))

    def snapshot(self):
        return len(self.log), self.temps, len(self.free_vars), dict(self.free_keys)

    def restore(self, snap):
        mark, self.temps, n, free_keys = snap
        self.free_keys = dict(free_keys)
        while len(self.log) > mark:
            where, key, previous = self.log.pop()
            if isinstance(where, set):
                where.discard(key)
            elif previous is None:
                del where[key]
            else:
                where[key] = previous
        del self.free_vars[n:], self.free_sources[n:], self.free_getters[n:]

    def take(self, name):
        self._add(self.taken, name)

    def version(self, base, user=True):
        """The next SSA name of variable ``base``: ``base`` itself first, then ``base_1``..."""
        if base not in self.first_done and (
                (user and base in self.user_names) or (base not in self.taken
                                                       and base not in self.user_names)):
            self._add(self.first_done, base)
            self.take(base)
            return base
        k = self.next_suffix.get(base, 1)
        while f"{base}_{k}" in self.taken or f"{base}_{k}" in self.user_names:
            k += 1
        name = f"{base}_{k}"
        self.take(name)
        self._add(self.first_done, base)
        self.log.append((self.next_suffix, base, self.next_suffix.get(base)))
        self.next_suffix[base] = k + 1
        return name

    def temp(self):
        while True:
            self.temps += 1
            name = f"_t{self.temps}"
            if name not in self.taken:
                self.take(name)
                return name


class Builder(ContainerForms, ComplexForms):
    """Builds the SSA ops of one function body (the top-level one, or an inlined one).
    Tuples, lists and dicts are compile-time containers of Values (:mod:`.pyforms`); so are
    complex values, pairs of real Values (:mod:`.complexes`)."""

    def __init__(self, shared: Shared, parsed: Parsed, prefix="", line=None, env=None,
                 locals_=None):
        self.shared = shared
        self.parsed = parsed
        self.prefix = prefix
        self.line_override = line
        self.env = dict(env or {})
        self.locals = dict(locals_ or {})
        self.statement_call = None   # the call of the expression statement being built
        self.ops = []
        self.pending = []
        self.line = parsed.first_line
        self.live = Liveness()
        self.local_names = set()
        self.evaluated = {}       # AST node -> its entry, evaluated once ahead of its call
        self.abs_squares = {}     # id(np.abs(z)) -> (that value, re**2 + im**2)

    # --- errors and naming ----------------------------------------------------------------
    def err(self, message, construct, node=None):
        line = getattr(node, "lineno", None) or self.line
        return DifferentiationError(message, construct=construct, function=self.parsed.name,
                                    filename=self.parsed.filename, line=line)

    def _err3(self, message, construct, node):
        return self.err(message, construct, node)

    def vname(self, var):
        if self.prefix:
            return self.shared.version(f"{self.prefix}{var}", user=False)
        return self.shared.version(var)

    def new(self, kind):
        v = Value("", kind)
        self.pending.append(v)
        return v

    def flush_names(self):
        for v in self.pending:
            if v.name == "":
                v.name = self.shared.temp()
        self.pending = []

    def bind(self, var, value):
        if isinstance(value, Value) and value.name == "" and not isinstance(value, (Const,
                                                                                    Undef)):
            value.name = self.vname(var)
        self.env[var] = value

    def emit(self, op):
        op.line = self.line_override if self.line_override is not None else self.line
        self.ops.append(op)
        return op

    # --- primitives --------------------------------------------------------------------------
    def prim(self, name, operands, attrs=None, kind=None):
        if any(isinstance(o, C.ComplexPair) for o in operands):
            raise self.complex_error(f"'{name}' of a complex value")
        operands = [self.as_value(o) for o in operands]
        if kind is None:
            kind = self.result_kind(name, operands, attrs or {})
        out = self.new(kind)
        self.emit(Prim([out], operands, name=name, attrs=dict(attrs or {})))
        return out

    def result_kind(self, name, operands, attrs):
        p = PRIMITIVES.get(name)
        if p is not None and p.result_kind:
            return p.result_kind
        kinds = [o.kind for o in operands]
        if name in _ARRAY_RESULT:
            return "array"
        if p is not None and "keepdims" in p.attrs:    # a reduction
            return "float" if attrs.get("axis") is None and not attrs.get("keepdims") \
                else "array"
        if name == "dot":
            return "any"
        if "array" in kinds:
            return "array"
        if all(k in ("int", "bool") for k in kinds):
            if name in INTEGER_CLOSED:
                return "int"
            if name == "pow" and isinstance(operands[1], Const) and operands[1].value >= 0:
                return "int"
        return "float"

    def as_value(self, v):
        if isinstance(v, C.ComplexPair):
            raise self.complex_error("a complex value used as a real one")
        if C.is_container(v):
            return self.container_value(v)
        if isinstance(v, Value):
            return v
        if isinstance(v, (_Module, _Func, _Local)):
            raise self.err("modules and functions cannot be used as values", "value")
        raise self.err(f"unsupported value {v!r}", "value")

    # --- globals, closures ------------------------------------------------------------------
    def resolve(self, name, node):
        if name in self.env:
            return self.env[name]
        if name in self.locals:
            return self.locals[name]
        if name in self.local_names:
            return Undef()
        scope = self.parsed.scope
        try:
            where, obj = scope.lookup(name)
        except KeyError:
            raise self.err(f"name '{name}' is not defined", "name", node) from None
        if where == "closure":
            key = ("closure", id(scope.closure[name]))
            cell = scope.closure[name]
            return self.classify(obj, name, node, key, lambda: cell.cell_contents,
                                 f"closure:{name}")
        if where == "global":
            key = ("global", id(scope.globals), name)
            g = scope.globals
            src = name if g is self.shared.top.scope.globals else \
                f"{g.get('__name__', '?')}.{name}"
            return self.classify(obj, name, node, key, lambda: g[name], src)
        return self.classify(obj, name, node, None, None, None)

    def free_var(self, name, kind, key, getter, source):
        if key in self.shared.free_keys:
            return self.shared.free_keys[key]
        v = Value(self.shared.version(name), kind)
        self.shared.free_keys[key] = v
        self.shared.free_vars.append(v)
        self.shared.free_sources.append(source)
        self.shared.free_getters.append(getter)
        return v

    def classify(self, obj, name, node, key, getter, source):
        if isinstance(obj, types.ModuleType):
            return _Module(obj)
        if isinstance(obj, (bool, int, float, np.bool_, np.integer, np.floating)) \
                and not isinstance(obj, np.ndarray):
            if isinstance(obj, (bool, np.bool_)):
                return Const(bool(obj))
            if key is not None and key[0] in ("global", "closure", "attr"):
                # a global or closure number is passed at every call (never frozen), so
                # that changing it between calls is seen
                return self.free_var(name, "int" if isinstance(obj, (int, np.integer))
                                     else "float", key, getter, source)
            if isinstance(obj, (int, np.integer)):
                return Const(int(obj))
            return Const(float(obj))
        if obj is None or isinstance(obj, str):
            return Const(obj)
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return _Func(obj, name)     # np.float64, np.int64: conversions and dtypes
        if isinstance(obj, type) and key is not None:
            return _Object(obj, getter, source)     # a class: cls of a classmethod
        if callable(obj) and not isinstance(obj, np.ndarray):
            return _Func(obj, name)
        if _is_record_object(obj) and getter is not None:
            return _Object(obj, getter, source)
        if isinstance(obj, (np.ndarray, tuple, list)):
            if key is None:
                raise self.err(f"'{name}' cannot be used here", "value", node)
            return self.free_var(name, "array", key, getter, source)
        raise self.err(f"'{name}' ({type(obj).__name__}) is not supported in compiled code",
                       "value", node)

    # --- expressions -------------------------------------------------------------------------
    def expr(self, node):
        if node in self.evaluated:
            return self.evaluated.pop(node)
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            raise self.err(f"'{type(node).__name__}' expressions are not supported",
                           type(node).__name__, node)
        return method(node)

    def value(self, node):
        v = self.expr(node)
        if isinstance(v, (_Module, _Func, _Local)):
            raise self.err(f"'{ast.unparse(node)}' cannot be used as a value", "value", node)
        return self.as_value(v) if C.is_container(v) else v

    def e_Constant(self, node):
        if isinstance(node.value, (bool, int, float, str)) or node.value is None:
            return Const(node.value)
        if isinstance(node.value, complex):     # 1j: a complex value of constant parts
            return C.ComplexPair(Const(node.value.real), Const(node.value.imag))
        raise self.err(f"constant {node.value!r} is not supported", "string", node)

    def e_Name(self, node):
        return self.resolve(node.id, node)

    def e_Attribute(self, node):
        base = self.expr(node.value)
        if isinstance(base, _Module):
            obj = getattr(base.module, node.attr, _MISSING)
            if obj is None:         # np.newaxis
                return Const(None)
            if obj is _MISSING:
                raise self.err(f"'{ast.unparse(node)}' does not exist", "attribute", node)
            if isinstance(obj, types.ModuleType):
                return _Module(obj)
            key = ("module", base.module.__name__, node.attr)
            mod = base.module
            out = self.classify(obj, node.attr, node, key, lambda: getattr(mod, node.attr),
                                f"{mod.__name__}.{node.attr}")
            if isinstance(out, _Func):
                out.home = mod.__name__     # where generated code finds it
            return out
        if isinstance(base, _Object):
            return self.object_attribute(base, node)
        if isinstance(base, C.ComplexPair):
            return self.complex_attribute(base, node)
        if isinstance(base, C.Record):
            return self.container_attribute(base, node)
        if isinstance(base, _Func) and isinstance(getattr(base.obj, node.attr, None),
                                                   types.BuiltinMethodType):
            return _Func(getattr(base.obj, node.attr), f"{base.name}.{node.attr}")  # np.add.at
        if isinstance(base, Value):
            if node.attr == "flat":   # read-only here: element writes are refused in s_Assign
                self.mark_array(base)
                return self.prim("reshape", [base, Const(-1)])
            if node.attr in ("shape", "size", "ndim"):
                self.mark_array(base)
                return self.prim(node.attr, [base])
            if node.attr == "T":
                self.mark_array(base)
                return self.prim("transpose", [base])
        if isinstance(base, Value) and base.kind == "any":
            raise self.err(f"attribute '{ast.unparse(node)}' of a parameter is not supported "
                           "(differentiate the bound method, whose attributes are read at "
                           "every call, or pass the fields as arguments)", "attribute", node)
        raise self.err(f"attribute '{ast.unparse(node)}' is not supported", "attribute",
                       node)

    def object_attribute(self, base, node):
        attr = node.attr
        try:
            obj = getattr(base.obj, attr)
        except AttributeError:
            raise self.err(f"'{ast.unparse(node)}' does not exist", "attribute", node) from None
        getter = base.getter
        key = ("attr", id(base.obj), attr)
        return self.classify(obj, attr, node, key, lambda: getattr(getter(), attr),
                             f"{base.source}.{attr}")

    def mark_array(self, v):
        if isinstance(v, Value) and v.kind in ("any", "float") and not isinstance(v, Const):
            v.kind = "array"

    def e_BinOp(self, node):
        name = _BINOPS.get(type(node.op))
        if name is None:
            raise self.err(f"operator '{type(node.op).__name__}' is not supported",
                           "operator", node)
        left, right = self.expr(node.left), self.expr(node.right)
        out = self.complex_binop(node, left, right)
        if out is not None:
            return out
        if C.is_container(left) or C.is_container(right):
            return self.container_binop(node, left, right)
        return self.prim(name, [self.as_operand(left, node.left),
                                self.as_operand(right, node.right)])

    def as_operand(self, v, node):
        if isinstance(v, (_Module, _Func, _Local)):
            raise self.err(f"'{ast.unparse(node)}' cannot be used as a value", "value", node)
        return v

    def e_UnaryOp(self, node):
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and \
                isinstance(node.operand.value, (int, float)) and \
                not isinstance(node.operand.value, bool):
            return Const(-node.operand.value)
        names = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not"}
        name = names.get(type(node.op))
        if name is None:
            raise self.err("operator '~' is not supported", "operator", node)
        operand = self.expr(node.operand)
        if isinstance(operand, C.ComplexPair):
            return self.complex_unary(node, operand)
        self.evaluated[node.operand] = operand
        return self.prim(name, [self.value(node.operand)])

    def e_Compare(self, node):
        ops = [_CMPOPS.get(type(o)) for o in node.ops]
        if None in ops:
            raise self.err("'is'/'in' comparisons are not supported", "comparison", node)
        left = self.value(node.left)
        if len(ops) == 1:
            return self.prim(ops[0], [left, self.value(node.comparators[0])])
        # a < b < c: a < b and b < c, b evaluated once, c only when a < b
        state = {"left": left}

        def make(k):
            def thunk():
                right = self.value(node.comparators[k])
                out = self.prim(ops[k], [state["left"], right])
                state["left"] = right
                return out
            return thunk

        parts = [(make(k), _pure(node.comparators[k])) for k in range(len(ops))]
        return self.short_circuit("and", parts, node)

    def e_BoolOp(self, node):
        kind = "and" if isinstance(node.op, ast.And) else "or"
        parts = [((lambda n=n: self.value(n)), _pure(n)) for n in node.values]
        return self.short_circuit(kind, parts, node)

    def short_circuit(self, kind, parts, node):
        acc = parts[0][0]()
        for thunk, pure in parts[1:]:
            if pure:
                right = thunk()
                if acc.kind == "bool" and right.kind == "bool":
                    acc = self.prim(kind, [acc, right])
                    continue
                acc = self.select(acc, lambda r=right: r, kind)
            else:
                acc = self.select(acc, thunk, kind)
        return acc

    def select(self, test, thunk, kind):
        """``thunk() if test else test`` (and) / ``test if test else thunk()`` (or)."""
        region_then, region_else = Region(), Region()
        saved = self.ops
        self.ops = region_then.ops if kind == "and" else region_else.ops
        self.depth += 1
        right = self.as_value(thunk())
        self.depth -= 1
        self.ops = saved
        then_v, else_v = (right, test) if kind == "and" else (test, right)
        region_then.yields, region_else.yields = [then_v], [else_v]
        out = self.new(join_kinds(then_v.kind, else_v.kind))
        self.emit(If([out], [test], then=region_then, orelse=region_else))
        return out

    def e_IfExp(self, node):
        test = self.value(node.test)
        regions = []
        saved = self.ops
        self.depth += 1
        for branch in (node.body, node.orelse):
            r = Region()
            self.ops = r.ops
            self.evaluated[branch] = entry = self.expr(branch)
            if isinstance(entry, C.ComplexPair):       # a complex value: its parts
                r.yields = [entry.re, entry.im]
                self.evaluated.pop(branch)
            else:
                r.yields = [self.value(branch)]
            regions.append(r)
        self.depth -= 1
        self.ops = saved
        if len(regions[0].yields) != len(regions[1].yields):
            raise self.complex_error("a complex value in one branch of 'x if c else y' and a "
                                     "real one in the other", node)
        outs = [self.new(join_kinds(a.kind, b.kind))
                for a, b in zip(regions[0].yields, regions[1].yields)]
        self.emit(If(outs, [test], then=regions[0], orelse=regions[1]))
        return C.ComplexPair(*outs) if len(outs) == 2 else outs[0]

    def index_values(self, node):
        elts = node.elts if isinstance(node, ast.Tuple) else [node]
        out = []
        for e in elts:
            if isinstance(e, ast.Slice):
                parts = [self.value(p) if p is not None else Const(None)
                         for p in (e.lower, e.upper, e.step)]
                out.append(self.prim("slice", parts, kind="slice"))
            elif isinstance(e, ast.List):    # y[[0, 2]]: one index array, as in NumPy
                out.append(self.prim("array_of", [self.value(x) for x in e.elts],
                                     kind="array"))
            elif isinstance(e, ast.Constant) and e.value is Ellipsis:
                if any(isinstance(i, Const) and i.kind == "ellipsis" for i in out):
                    raise self.err("an index can only have a single ellipsis ('...')",
                                   "ellipsis", node)
                out.append(Const(Ellipsis))     # (slices once the array's rank is known)
            else:
                v = self.value(e)
                out.append(v)
        return out

    def e_Subscript(self, node):
        base = self.expr(node.value)
        if isinstance(base, C.ComplexPair):
            return self.complex_subscript(base, node)
        if C.is_container(base):
            item = self.subscript_container(base, node)
            if item is not None:
                return item
            base = self.container_value(base, array=True)
        if not isinstance(base, Value):
            raise self.err(f"'{ast.unparse(node.value)}' cannot be indexed", "subscript", node)
        idx = self.index_values(node.slice)
        if base.kind == "shape":
            kind = "int"
        else:
            self.mark_array(base)
            kind = "array" if any(i.kind in ("slice", "none", "array", "ellipsis")
                                  for i in idx) else "float"
        out = self.new(kind)
        self.emit(Load([out], [base, *idx]))
        return out

    # --- calls -------------------------------------------------------------------------------
    def e_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.expr(func.value)
            if isinstance(base, C.ComplexPair):
                return self.complex_method(base, func.attr, node)
            if C.is_container(base) and not (isinstance(base, C.Record)
                                             and func.attr in base.fields):
                return self.container_method(base, func.attr, node)
            if isinstance(base, Value):
                return self.method(base, func.attr, node)
            # (a module's function, an object's method, a ufunc's: np.add.outer)
            target = self.e_Attribute(func) if isinstance(base, (_Module, _Object, _Func)) \
                else None
        else:
            target = self.expr(func)
        if isinstance(target, _Local):
            return self.inline_local(target, node)
        if isinstance(target, _Object) and _is_record_class(target.obj):
            return self.construct_record(target.obj, node)
        if not isinstance(target, _Func):
            raise self.err(f"'{ast.unparse(func)}' is not callable", "call", node)
        return self.call(target, node)

    def kwargs(self, node, allowed):
        out = {}
        for kw in node.keywords:
            if kw.arg not in allowed:
                raise self.err(f"keyword argument '{kw.arg}' is not supported in "
                               f"'{ast.unparse(node.func)}'", "keyword argument", node)
            try:        # a literal (slices too: ``index=(slice(None, None, None), 1)``)
                out[kw.arg] = _as_tuples(_literal(kw.value))
                continue
            except ValueError:
                pass
            v = self.expr(kw.value)
            if C.sequence(v) is not None and all(isinstance(e, Const) for e in C.sequence(v)):
                out[kw.arg] = tuple(e.value for e in C.sequence(v))
            elif isinstance(v, Const):
                out[kw.arg] = v.value
            else:
                raise self.err(f"keyword argument '{kw.arg}' must be a constant",
                               "keyword argument", node)
        return out

    def allocation_dtype(self, node) -> dict:
        """The ``dtype=`` of an allocation as a static attribute: a NumPy name
        (``"float64"``, ``"int64"``, ``"bool"``...) or the array whose dtype is copied
        (``x.dtype``, resolved when the IR is specialised to the arguments)."""
        keywords = [kw for kw in node.keywords if kw.arg == "dtype"]
        node.keywords = [kw for kw in node.keywords if kw.arg != "dtype"]
        self.kwargs(node, set())
        if not keywords:
            return {}
        spec = keywords[0].value
        if isinstance(spec, ast.Attribute) and spec.attr == "dtype":
            x = self.value(spec.value)
            self.mark_array(x)
            return {"dtype": x}
        target = self.expr(spec)
        obj = target.obj if isinstance(target, (_Func, _Object)) else \
            target.value if isinstance(target, Const) and isinstance(target.value, str) \
            else None      # dtype=np.float64, float, or "float64" (as generated code prints)
        try:
            name = np.dtype(obj).name if obj is not None else None
        except TypeError:
            name = None
        if name not in ("float64", "float32", "int64", "int32", "bool"):
            raise self.err(f"dtype '{ast.unparse(spec)}' is not supported (float64, float32, "
                           "int64, int32, bool or x.dtype)", "dtype", node)
        return {"dtype": name}

    def nargs(self, node, lo, hi=None):
        n = len(node.args)
        hi = lo if hi is None else hi
        if not lo <= n <= hi:
            raise self.err(f"'{ast.unparse(node.func)}' takes {lo}..{hi} arguments, got {n}",
                           "call", node)

    def method(self, base, attr, node):
        name = calls.method(attr)
        if name is None:
            raise self.err(f"method '.{attr}()' is not supported", "method", node)
        self.mark_array(base)
        if attr == "transpose" and node.args:     # x.transpose(1, 0, 2), x.transpose((1, 0))
            axes = tuple(self.static(a, "axes") for a in node.args)
            axes = axes[0] if len(axes) == 1 and isinstance(axes[0], tuple) else axes
            return self.prim("transpose", [base], {"axes": axes})
        if attr == "flatten":
            # a copy of x.ravel() (a view where x is contiguous): both were one primitive
            # printed as np.ravel, so a write into a flattened copy reached x
            self.nargs(node, 0)
            self.kwargs(node, set())
            return self.prim("copy", [self.prim("ravel", [base])])
        if attr not in _LEGACY_METHODS:
            return self.call_generic(name, node, base)
        if attr in _REDUCTIONS:
            self.nargs(node, 0)
            attrs = {"axis": None, "keepdims": False, **self.kwargs(node, {"axis", "keepdims"})}
            return self.prim(attr, [base], attrs)
        if attr == "copy":
            self.nargs(node, 0)
            return self.prim("copy", [base])
        if attr == "dot":
            self.nargs(node, 1)
            return self.prim("dot", [base, self.value(node.args[0])])
        if attr == "transpose":
            self.nargs(node, 0)
            return self.prim("transpose", [base])
        # reshape
        self.kwargs(node, set())
        shape = [self.expr(a) for a in node.args]
        shape = shape[0] if len(shape) == 1 else tuple(shape)
        return self.prim("reshape", [base, self.as_value(shape)])

    def call(self, target, node):
        obj = plain_function(target.obj)   # an @njit helper: its Python function
        if is_complex_call(obj, node, self.evaluated):
            return self.complex_call(target, obj, node)
        lowered = indexing_calls.lower_call(self, obj, node)
        if lowered is not None:
            return lowered
        if _custom_primitive(obj) is not None:  # user rules (ad.custom_vjp), _rt.NAME helpers
            return _call_custom(self, _custom_primitive(obj), node)
        name = calls.lookup(obj)
        if name is not None:
            p = PRIMITIVES.get(name)
            if p is not None and p.elementwise:
                return self.call_elementwise(name, obj, node)
            return self.call_array(name, node)
        if getattr(builtins, getattr(obj, "__name__", ""), None) is obj:
            return self.call_builtin(obj.__name__, node)
        func = obj.__func__ if isinstance(obj, types.MethodType) else obj
        if isinstance(func, types.FunctionType) and (getattr(func, "__module__", None) or ""
                                                     ).split(".")[0] not in _LIBRARIES \
                and not _in_stdlib(func):   # os.path.*, statistics.*: unknown, not inlined
            return self.inline(obj, node)
        return self.opaque_call(target, node)

    def opaque_call(self, target, node):
        """A call of a function with no rule and no source the compiler reads: an
        ``opaque_call`` op that runs it as written. Activity analysis refuses it when an
        argument depends on the differentiated inputs and its result reaches the output.

        A function reachable as ``module.name`` is printed so (Numba compiles it when it
        can, e.g. ``numpy.argsort``); any other callable is passed as a free value (python
        backend only)."""
        obj = target.obj
        home = getattr(target, "home", None) or getattr(obj, "__module__", None)
        name = getattr(obj, "__name__", None)
        path = None
        if home and name and getattr(sys.modules.get(home), name, None) is obj:
            path = f"{home}.{name}"
        operands = []
        if path is None:
            operands.append(self.free_var(f"_fn_{name or 'callable'}", "any",
                                          ("callable", id(obj)), lambda: obj,
                                          ast.unparse(node.func)))
        args = [self.value(a) for a in node.args]
        kwargs = [(kw.arg, self.value(kw.value)) for kw in node.keywords]
        if node is self.statement_call and \
                any(v.kind in ("array", "any") for v in args + [v for _, v in kwargs]):
            raise self.err(f"'{ast.unparse(node.func)}(...)' called as a statement: a "
                           "function with no derivative rule and no source may write into "
                           "the arrays passed to it, which the compiler cannot follow; use "
                           "its result in an assignment, write the update with indexing, or "
                           "give it a rule (ad.custom_vjp)", "call", node)
        sources = [ast.unparse(a) for a in node.args] + [kw.arg for kw in node.keywords]
        attrs = {"path": path, "nargs": len(args), "keywords": tuple(k for k, _ in kwargs),
                 "call": ast.unparse(node.func), "arguments": tuple(sources),
                 "site": (node.lineno, node.col_offset)}
        # the result's kind is not known: specialisation takes an array from array operands,
        # a scalar from scalar ones, and ``size=``/``shape=`` keywords make an array
        kind = "array" if any(k in ("size", "shape") for k, _ in kwargs) else "any"
        return self.prim("opaque_call", operands + args + [v for _, v in kwargs], attrs,
                         kind=kind)

    def call_elementwise(self, name, obj, node):
        if name == "log" and len(node.args) == 2:  # math.log(x, base)
            self.kwargs(node, set())
            x, base = (self.value(a) for a in node.args)
            return self.prim("div", [self.prim("log", [x]), self.prim("log", [base])])
        return self.call_generic(name, node)

    def static(self, node, what):
        """The constant value of a static argument (a number, None, or a tuple or list of
        them); a name bound to a constant is read through."""
        try:
            value = _literal(node)
        except ValueError:
            v = self.expr(node)
            if isinstance(v, _Func) and isinstance(v.obj, type):   # dtype=np.float32, float
                return np.dtype(v.obj).name
            if C.sequence(v) is not None and all(isinstance(e, Const) for e in C.sequence(v)):
                return tuple(e.value for e in C.sequence(v))
            if not isinstance(v, Const):
                raise self.err(f"'{what}' must be a constant", "keyword argument",
                               node) from None
            return v.value
        return _as_tuples(value)

    def operand(self, node):
        """A value operand; a tuple or list of values is an array of them (``np.mean((x,
        y))`` is the mean of a 1-D array), as NumPy reads it."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return self.array_of(node)
        v = self.expr(node)
        if C.sequence(v) is not None:
            return self.prim("array_of", [self.as_value(e) for e in C.sequence(v)])
        if isinstance(v, (_Module, _Func, _Local)):
            raise self.err(f"'{ast.unparse(node)}' cannot be used as a value", "value", node)
        return v

    def array_of(self, node):
        """``[a, b]`` (nested lists too) holding values: an array of them."""
        items = [self.array_of(e) if isinstance(e, (ast.List, ast.Tuple)) else self.value(e)
                 for e in node.elts]
        return self.prim("array_of", items, kind="array")

    def sequence(self, node, rows=False):
        """The values of a sequence argument (``np.concatenate([a, b])``, ``(a, b)``);
        ``rows``: one array stands for the sequence of its rows, returned as it is."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(e) for e in node.elts]
        v = self.expr(node)
        if C.sequence(v) is not None:
            return [self.as_value(e) for e in C.sequence(v)]
        if rows and isinstance(v, Value) and v.kind in ("array", "any"):
            self.mark_array(v)
            return v
        raise self.err(f"'{ast.unparse(node)}' must be a tuple or list of arrays", "call",
                       node)

    def call_generic(self, name, node, base=None):
        """A call of primitive ``name`` bound by its record: operands by position or by
        their NumPy parameter names (``args``), then the static attributes (``attrs``, in
        NumPy's positional order) by position or keyword; ``base`` is the array a method is
        called on."""
        p = PRIMITIVES[name]
        fname = ast.unparse(node.func)
        positional = list(node.args)
        operands = [base] if base is not None else []
        if p.sequence:
            if not positional:
                raise self.err(f"'{fname}' needs a sequence of arrays", "call", node)
            items = self.sequence(positional.pop(0), rows=name in ROW_JOINS)
            if isinstance(items, Value):
                self.nargs(node, 1)
                self.kwargs(node, set())
                return self.prim("join_rows", [items], {"join": name})
            operands += items
            slots = []
        else:
            count = (p.nargs or 0) - len(operands)
            slots = [None] * count
            for k in range(min(count, len(positional))):
                slots[k] = self.operand(positional.pop(0))
        attrs = {}
        names = list(p.attrs)
        if len(positional) > len(names):
            raise self.err(f"'{fname}' takes at most {len(names) + len(slots) + len(operands)}"
                           " arguments", "call", node)
        for attr, arg in zip(names, positional):
            attrs[attr] = self.static(arg, attr)
        operand_names = [a.split("=")[0] for a in p.args][len(operands):]
        for kw in node.keywords:
            if kw.arg in operand_names and not p.sequence:
                slots[operand_names.index(kw.arg)] = self.operand(kw.value)
            elif kw.arg in p.attrs and kw.arg not in attrs:
                attrs[kw.arg] = self.static(kw.value, kw.arg)
            else:
                raise self.err(f"keyword argument '{kw.arg}' is not supported in '{fname}'",
                               "keyword argument", node)
        optional = [a.endswith("=None") for a in p.args][len(operands):]
        slots = [Const(None) if v is None and k < len(optional) and optional[k] else v
                 for k, v in enumerate(slots)]
        if any(v is None for v in slots):
            raise self.err(f"'{fname}' takes {len(slots) + len(operands)} array arguments",
                           "call", node)
        return self.prim(name, operands + slots, {**p.attrs, **attrs})

    def array_literal(self, node):
        """``np.array(<nested list>)``: a list of numbers is a constant array (passed like a
        global, computed once); a flat list with values in it is packed element by element."""
        def leaves(n):
            if isinstance(n, (ast.List, ast.Tuple)):
                return [leaves(e) for e in n.elts]
            return self.expr(n)

        items = leaves(node.args[0])
        flat = list(_flatten(items))
        if all(isinstance(v, Const) and not isinstance(v.value, bool) for v in flat):
            integers = all(isinstance(v.value, int) for v in flat)   # an index array
            constant = np.array(_map_nested(items, lambda c: c.value),
                                dtype=np.int64 if integers else float)
            key = ("literal", node.lineno, node.col_offset, self.prefix)
            shared = self.free_var("_const", "array", key, lambda: constant,
                                   f"literal at line {node.lineno}")
            # each evaluation is a fresh array, as in NumPy: the one passed in is copied, so
            # a write into it reaches neither the next call nor the next iteration
            return self.prim("copy", [shared])
        return self.array_of(node.args[0])

    def call_array(self, name, node):
        if name in _SPLITS:
            return self.call_split(name, node)
        if name in _FACTORS:
            x = self.value(node.args[0]) if node.args else None
            self.nargs(node, 1)
            attrs = {kw.arg: self.static(kw.value, kw.arg) for kw in node.keywords}
            parts = _FACTORS[name](attrs)
            if parts is None:
                raise self.err(f"'{ast.unparse(node.func)}' with {attrs} is not supported",
                               "call", node)
            if attrs.get("UPLO") == "U":     # the upper triangle of x is the lower of x.T
                x = self.prim("matrix_transpose", [x])
            full = {"full_matrices": attrs.get("full_matrices", True)} if name == "svd" else {}
            values = tuple(self.prim(p, [x], full if p != "svd_s" else {}) for p in parts)
            return values[0] if len(values) == 1 else values
        if name == "select":
            return self.call_select(node)
        if name == "einsum":
            if not node.args or node.keywords:
                raise self.err("np.einsum takes a constant subscripts string and arrays",
                               "call", node)
            subscripts = self.static(node.args[0], "subscripts")
            if not isinstance(subscripts, str):
                raise self.err("np.einsum needs constant subscripts (a string)", "call", node)
            return self.prim("einsum", [self.operand(a) for a in node.args[1:]],
                             {"subscripts": subscripts})
        if name == "linspace" and len(node.args) == 3 and not node.keywords:
            return self.linspace(node)
        if name not in _LEGACY_CALLS:
            return self.call_generic(name, node)
        if name in ("array", "asarray"):
            self.nargs(node, 1)
            self.kwargs(node, set())
            if isinstance(node.args[0], (ast.List, ast.Tuple)):
                return self.array_literal(node)
            # np.asarray of an array is that array, as in NumPy (writes through it reach
            # it); np.array copies
            return self.prim("array_copy" if name == "array" else "asarray",
                             [self.operand(node.args[0])])
        if name in ("zeros", "ones", "empty"):
            self.nargs(node, 1)
            attrs = self.allocation_dtype(node)
            return self.prim(name, [self.as_value(self.expr(node.args[0]))], attrs)
        if name == "full":
            self.nargs(node, 2)
            attrs = self.allocation_dtype(node)
            return self.prim(name, [self.as_value(self.expr(node.args[0])),
                                    self.value(node.args[1])], attrs)
        if name == "transpose" and (len(node.args) == 2 or node.keywords):
            self.nargs(node, 2) if not node.keywords else self.nargs(node, 1)
            axes = self.static(node.args[1] if len(node.args) == 2 else node.keywords[0].value,
                               "axes")
            return self.prim("transpose", [self.value(node.args[0])], {"axes": axes})
        if name in ("zeros_like", "ones_like", "empty_like"):
            self.nargs(node, 1)
            attrs = self.allocation_dtype(node)
            x = self.value(node.args[0])
            self.mark_array(x)
            return self.prim(name, [x], attrs)
        if name == "full_like":
            self.nargs(node, 2)
            attrs = self.allocation_dtype(node)
            x = self.value(node.args[0])
            self.mark_array(x)
            return self.prim(name, [x, self.value(node.args[1])], attrs)
        if name in ("copy", "transpose", "shape", "size", "ndim"):
            self.nargs(node, 1)
            self.kwargs(node, set())
            x = self.value(node.args[0])
            self.mark_array(x)
            return self.prim(name, [x])
        if name in ("arange", "linspace"):   # constant grids: never differentiated
            self.nargs(node, *((1, 3) if name == "arange" else (3,)))
            self.kwargs(node, set())
            return self.prim(name, [self.value(a) for a in node.args])
        if name in ("expand_dims", "squeeze"):   # axis as a keyword or a second argument
            self.nargs(node, 1, 2)
            attrs = self.kwargs(node, {"axis"})
            if len(node.args) == 2:     # (an int or a tuple of ints, as the keyword)
                attrs["axis"] = self.static(node.args[1], "axis")
            return self.prim(name, [self.value(node.args[0])], attrs or None)
        if name == "reshape":
            self.nargs(node, 2)
            self.kwargs(node, set())
            return self.prim(name, [self.value(node.args[0]),
                                    self.as_value(self.expr(node.args[1]))])
        # concatenate / stack: a tuple or list of arrays, the axis by position or keyword
        self.nargs(node, 1, 2)
        seq = self.sequence(node.args[0])
        attrs = {"axis": 0, **self.kwargs(node, {"axis"})}
        if len(node.args) == 2:
            attrs["axis"] = self.static(node.args[1], "axis")
        return self.prim(name, seq, attrs)

    def call_split(self, name, node):
        """``np.split(x, n_or_indices, axis)`` and its kin: a tuple of the parts (the number
        of parts is static: an int or a constant list of indices)."""
        self.nargs(node, 2, 3)
        x = self.value(node.args[0])
        sections = self.static(node.args[1], "indices_or_sections")
        axis = {"vsplit": 0, "hsplit": "h", "dsplit": 2}.get(name, 0)
        if len(node.args) == 3:
            axis = self.static(node.args[2], "axis")
        for kw in node.keywords:
            if kw.arg != "axis" or name not in ("split", "array_split"):
                raise self.err(f"keyword argument '{kw.arg}' is not supported in "
                               f"'{ast.unparse(node.func)}'", "keyword argument", node)
            axis = self.static(kw.value, "axis")
        count = sections if isinstance(sections, int) else len(sections) + 1
        return tuple(self.prim("split_part", [x], {"sections": sections, "index": k,
                                                  "axis": axis, "even": name != "array_split"})
                     for k in range(count))

    def call_select(self, node):
        """``np.select(conditions, choices, default)``: nested ``np.where``, the first true
        condition winning."""
        self.nargs(node, 2, 3)
        conds, choices = self.sequence(node.args[0]), self.sequence(node.args[1])
        default = self.value(node.args[2]) if len(node.args) == 3 else Const(0.0)
        for kw in node.keywords:
            if kw.arg != "default":
                raise self.err(f"keyword argument '{kw.arg}' is not supported in "
                               "'np.select'", "keyword argument", node)
            default = self.value(kw.value)
        out = default
        for c, v in reversed(list(zip(conds, choices))):
            out = self.prim("where", [c, v, out])
        return out

    def linspace(self, node):
        """``np.linspace(lo, hi, n)``: ``lo + (hi - lo) * grid`` with a constant grid on
        [0, 1], so that ``lo`` and ``hi`` get their gradients."""
        lo, hi, n = (self.value(a) for a in node.args)
        if isinstance(lo, Const) and isinstance(hi, Const):
            return self.prim("linspace", [lo, hi, n])
        grid = self.prim("linspace", [Const(0.0), Const(1.0), n])
        return self.prim("add", [lo, self.prim("mul", [self.prim("sub", [hi, lo]), grid])])

    def call_builtin(self, name, node):
        if name in ("sum", "min", "max"):
            folded = self.fold(name, node)
            if folded is not None:
                return folded
        if name == "len":
            n = self.container_len(node)
            if n is not None:
                return n
        if name == "dict":
            return self.dict_call(node)
        if name in ("tuple", "list"):
            self.nargs(node, 0, 1)
            items = self.iteration_items(node.args[0], node) if node.args else []
            return tuple(items) if name == "tuple" else C.ListValue(items, self.depth)
        if name == "sum":
            self.nargs(node, 1)
            return self.prim("sum", [self.value(node.args[0])], {"axis": None,
                                                                  "keepdims": False})
        if name in ("min", "max"):
            self.kwargs(node, set())
            args = [self.value(a) for a in node.args]
            if len(args) == 1:
                return self.prim(name, args, {"axis": None, "keepdims": False})
            if not args:
                raise self.err(f"'{name}()' needs arguments", "call", node)
            acc = args[0]
            for a in args[1:]:
                acc = self.prim("maximum" if name == "max" else "minimum", [acc, a])
            return acc
        if name in ("abs", "float", "int", "bool", "len"):
            self.nargs(node, 1)
            self.kwargs(node, set())
            x = self.value(node.args[0])
            if name == "len":
                self.mark_array(x)
            return self.prim(name, [x])
        if name == "sum" and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)) \
                or name == "sum" and node.args and isinstance(self.expr(node.args[0]), tuple):
            self.nargs(node, 1, 2)        # sum((a, b, c), start): a + b + c, left to right
            items = self.sequence(node.args[0])
            acc = self.value(node.args[1]) if len(node.args) == 2 else Const(0)
            for v in items:
                acc = self.prim("add", [acc, v])
            return acc
        if name == "slice":   # slice(a, b, c): generated code indexes with these
            self.kwargs(node, set())
            self.nargs(node, 1, 3)
            parts = [self.value(a) for a in node.args]
            if len(parts) == 1:
                parts = [Const(None)] + parts
            parts += [Const(None)] * (3 - len(parts))
            return self.prim("slice", parts)
        if name == "range":
            raise self.err("range() is only supported as the iterable of a for loop",
                           "range", node)
        if name == "print":
            raise self.err("'print' is not supported", "print", node)
        raise self.err(f"call to unsupported builtin '{name}'", "call", node)

    # --- inlining of user functions ---------------------------------------------------------
    def bind_args(self, argnames, defaults, node, fname, kwonly=()):
        """Parameter name -> argument of a call of an inlined function (``kwonly``: its
        keyword-only parameters, after ``*``)."""
        args = [self.expr(a) for a in node.args]
        if len(args) > len(argnames):
            raise self.err(f"too many arguments in call to '{fname}'", "call", node)
        bound = dict(zip(argnames, args))
        for kw in node.keywords:
            if kw.arg not in argnames and kw.arg not in kwonly or kw.arg in bound:
                raise self.err(f"bad keyword argument '{kw.arg}' in call to '{fname}'",
                               "call", node)
            bound[kw.arg] = self.expr(kw.value)
        for name in [*argnames, *kwonly]:
            if name not in bound:
                if name not in defaults:
                    raise self.err(f"missing argument '{name}' in call to '{fname}'", "call",
                                   node)
                bound[name] = defaults[name]
        return bound

    def inline(self, fn, node):
        owner = None
        if isinstance(fn, types.MethodType):      # self.helper(x), Model.make(...)
            owner, fn = fn.__self__, fn.__func__
        if fn in self.shared.stack:
            raise self.err(f"recursion: '{fn.__name__}' calls itself (recursive functions "
                           "cannot be inlined)", "recursion", node)
        try:
            parsed = parse_function(fn)
        except DifferentiationError as exc:
            if exc.construct not in ("source", "call"):
                raise
            return self.opaque_call(_Func(fn, fn.__name__), node)   # run as written
        argnames = [a.arg for a in parsed.node.args.args]
        if owner is not None:
            self_name, argnames = argnames[0], argnames[1:]
        kwonly = [a.arg for a in parsed.node.args.kwonlyargs]
        defaults = {}
        for name, d in [*zip(argnames[::-1], (fn.__defaults__ or ())[::-1]),
                        *(fn.__kwdefaults__ or {}).items()]:
            if isinstance(d, (bool, int, float)) or d is None:
                defaults[name] = Const(d)
            else:
                raise self.err(f"default value of '{name}' of '{fn.__name__}' is not a "
                               "number", "default argument", node)
        bound = self.bind_args(argnames, defaults, node, fn.__name__, kwonly)
        if owner is not None:
            bound[self_name] = _Object(owner, lambda: owner, f"{fn.__name__}.{self_name}")
        line = None if parsed.filename == self.parsed.filename and self.line_override is None \
            else (self.line_override or self.line)
        sub = Builder(self.shared, parsed, prefix=f"{fn.__name__}_", line=line, env=bound)
        self.shared.stack.append(fn)
        try:
            return self.run_sub(sub)
        finally:
            self.shared.stack.pop()

    def inline_local(self, local, node):
        fdef = local.node
        if fdef in self.shared.stack:
            raise self.err(f"recursion: '{fdef.name}' calls itself", "recursion", node)
        argnames = [a.arg for a in fdef.args.args]
        kwonly = [a.arg for a in fdef.args.kwonlyargs]
        defaults = {}
        for name, d in [*zip(argnames[::-1], fdef.args.defaults[::-1]),
                        *((a, d) for a, d in zip(kwonly, fdef.args.kw_defaults)
                          if d is not None)]:
            v = local.builder.expr(d)
            if not isinstance(v, Const):
                raise self.err(f"default value of '{name}' is not a constant",
                               "default argument", node)
            defaults[name] = v
        bound = self.bind_args(argnames, defaults, node, fdef.name, kwonly)
        parsed = Parsed(node=fdef, name=fdef.name, filename=self.parsed.filename,
                        first_line=fdef.lineno, scope=self.parsed.scope)
        # lexical scoping: the nested def sees the enclosing variables as they are now
        env = {**self.env, **bound}
        sub = Builder(self.shared, parsed, prefix=f"{fdef.name}_", line=self.line_override,
                      env=env, locals_=self.locals)
        sub.outer_names = set(self.env)
        self.shared.stack.append(fdef)
        try:
            return self.run_sub(sub)
        finally:
            self.shared.stack.pop()

    def run_sub(self, sub):
        sub.ops = self.ops
        sub.pending = self.pending
        sub.line = self.line
        sub.depth = self.depth
        result = sub.run()
        self.pending = sub.pending
        return result

    # --- statements ---------------------------------------------------------------------------
    def run(self):
        """Normalise and build the body; returns the returned value (or tuple of values)."""
        node, arity = normalize(self.parsed.node, self._err3, helper=self.parsed is not self.shared.top)
        self.arity = arity
        params = parameter_names(node)
        self.local_names = set(assigned(node.body)) | set(params)
        for p in params:
            if p in self.env and isinstance(self.env[p], Value) and _used_as_array(node, p):
                self.mark_array(self.env[p])
        self.live.block(node.body, set())
        body, ret = node.body[:-1], node.body[-1]
        self.block(body)
        self.line = ret.lineno
        value = self.expr(ret.value)
        if not self.prefix and C.holds_complex(value):
            raise self.complex_error("returning a complex value (differentiated outputs are "
                                     "real, as in JAX and autograd)", ret)
        if C.is_container(value) and (self.prefix or not _flat_tuple(value)):
            # an inlined helper's container is the caller's; the function's own is a pytree
            # of outputs (build_function flattens it)
            return value
        if isinstance(value, tuple):
            value = tuple(self.as_value(v) for v in value)
        else:
            value = self.as_value(value)
        return value

    def block(self, stmts):
        for s in stmts:
            self.line = s.lineno
            method = getattr(self, "s_" + type(s).__name__, None)
            if method is None:
                raise self.err(f"'{type(s).__name__}' statements are not supported",
                               type(s).__name__, s)
            method(s)
            self.flush_names()

    def s_Pass(self, s):
        pass

    def s_Expr(self, s):
        """A call as a statement (``mutate(y)``, ``np.add.at(y, i, v)``, ``y.fill(v)``): its
        stores into the arrays passed in are its effect; its result, if any, is dropped (DCE
        removes what nothing reads)."""
        call = s.value
        func = call.func if isinstance(call, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr == "fill":   # x.fill(v): x[:] = v
            base = self.value(func.value)
            self.mark_array(base)
            self.nargs(call, 1)
            self.kwargs(call, set())
            whole = self.prim("slice", [Const(None)] * 3, kind="slice")
            self.emit(Store([], [base, whole, self.value(call.args[0])]))
            return
        if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)):
            try:     # np.add.at(y, i, v), np.put(y, i, v): stores of their own
                target = self.expr(func)
            except DifferentiationError:
                target = None    # a method of a value: a call like any other below
            if isinstance(target, _Func) and \
                    indexing_calls.lower_statement(self, target.obj, call):
                return
        self.statement_call = call
        try:
            self.expr(s.value)
        finally:
            self.statement_call = None

    def s_FunctionDef(self, s):
        self.locals[s.name] = _Local(s, self)

    def s_Import(self, s):
        """``import m`` / ``import m as n`` / ``from m import f as g`` inside the function:
        imported when the derivative is built (Python imports it at the call; a module is
        imported once either way), the names bound as the function's globals would be."""
        package = self.parsed.scope.globals.get("__package__")
        for alias in s.names:
            try:
                if isinstance(s, ast.ImportFrom):
                    module = importlib.import_module("." * s.level + (s.module or ""),
                                                     package)
                    try:
                        obj = getattr(module, alias.name)
                    except AttributeError:
                        obj = importlib.import_module(f"{module.__name__}.{alias.name}")
                    name = alias.asname or alias.name
                else:
                    obj = importlib.import_module(alias.name)
                    name = alias.asname or alias.name.split(".")[0]
                    if alias.asname is None:
                        obj = importlib.import_module(name)   # import a.b binds a
            except (ImportError, AttributeError, TypeError, ValueError) as exc:
                raise self.err(f"cannot import '{alias.name}' ({exc})", "import", s) from None
            self.locals[name] = self.classify(obj, name, s, None, None, None)

    s_ImportFrom = s_Import

    def s_Assign(self, s):
        value = self.expr(s.value)
        for t in s.targets:
            self.assign(t, value, s)

    def s_AnnAssign(self, s):
        if s.value is not None:
            self.assign(s.target, self.expr(s.value), s)

    def assign(self, target, value, stmt):
        if isinstance(target, ast.Name):
            if isinstance(value, (_Module, _Func)):
                raise self.err("functions and modules cannot be assigned to variables",
                               "assignment", stmt)
            self.bind(target.id, value)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            n = len(target.elts)
            parts = self.unpack(value, n, stmt)
            if parts is not None:
                pass
            elif isinstance(value, Value):
                parts = []
                for k in range(n):
                    kind = "int" if value.kind == "shape" else "float"
                    out = self.new(kind)
                    self.emit(Load([out], [value, Const(k)]))
                    parts.append(out)
            else:
                raise self.err("cannot unpack this value", "unpacking", stmt)
            for t, v in zip(target.elts, parts):
                self.assign(t, v, stmt)
            return
        if isinstance(target, ast.Subscript):
            if isinstance(target.value, ast.Attribute) and target.value.attr == "flat":
                raise self.err("writes through '.flat' are not supported (index the array, "
                               "or write into a.reshape(-1) of a new array)", ".flat", stmt)
            base = self.expr(target.value)
            if isinstance(base, C.ComplexPair):
                raise self.complex_error("assigning into the elements of a complex value "
                                         "(multiply it by a mask instead)", stmt)
            if C.is_container(base):
                self.store_into_container(base, target, value, stmt)
                return
            base = self.value(target.value)
            self.mark_array(base)
            idx = self.index_values(target.slice)
            self.emit(Store([], [base, *idx, self.as_value(value)]))
            return
        raise self.err(f"cannot assign to '{ast.unparse(target)}'", "assignment", stmt)

    def s_AugAssign(self, s):
        name = _BINOPS.get(type(s.op))
        if name is None:
            raise self.err("operator not supported", "operator", s)
        t = s.target
        if isinstance(t, ast.Name):
            old = self.resolve(t.id, t)
            value = self.expr(s.value)
            if isinstance(old, C.ComplexPair) or isinstance(value, C.ComplexPair):
                self.bind(t.id, self.complex_binop(s, old, value))   # z *= h
                return
            self.evaluated[s.value] = value
            new = self.prim(name, [old, self.value(s.value)])
            if self.ops and self.ops[-1].results == [new]:
                self.ops[-1].inplace = True   # in place if an array (transforms/inplace.py)
            self.bind(t.id, new)
            return
        if isinstance(t, ast.Subscript):
            base = self.value(t.value)
            self.mark_array(base)
            idx = self.index_values(t.slice)
            kind = "array" if any(i.kind in ("slice", "none", "array") for i in idx) else "float"
            old = self.new(kind)
            self.emit(Load([old], [base, *idx]))
            new = self.prim(name, [old, self.value(s.value)])
            self.emit(Store([], [base, *idx, new]))
            return
        raise self.err("attribute assignment is not supported", "attribute assignment", s)

    def s_If(self, s):
        test = self.value(s.test)
        live = self.live.after.get(id(s), set())
        names = [n for n in assigned(s.body + s.orelse) if n in live]
        before = dict(self.env)
        regions, envs = [], []
        self.depth += 1
        for branch in (s.body, s.orelse):
            r = Region()
            saved_ops = self.ops
            self.ops = r.ops
            self.env = dict(before)
            self.block(branch)
            self.line = s.lineno
            envs.append(self.env)
            regions.append(r)
            self.ops = saved_ops
        self.depth -= 1
        self.env = dict(before)
        results, then_y, else_y = [], [], []

        def phi(n, a, b):
            if a is b:
                return a
            if isinstance(a, (_Local, _Module, _Func)) or isinstance(b, (_Local, _Module,
                                                                         _Func)):
                raise self.err(f"'{n}' names different functions or modules after the "
                               "branches of this if", "assignment", s)
            kinds = [v.kind for v in (a, b) if not isinstance(v, Undef)]
            out = Value(self.vname(n), join_kinds(*kinds))
            results.append(out)
            then_y.append(a)
            else_y.append(b)
            return out

        for n in names:
            a, b = envs[0].get(n), envs[1].get(n)
            if a is None and b is None:
                continue
            if C.is_container(a) or C.is_container(b):
                self.env[n] = self.phi_entry(n, a, b, lambda x, y, n=n: phi(n, x, y), s)
                continue
            if a is b:
                self.env[n] = a
                continue
            if isinstance(a, (_Local, _Module, _Func)) or isinstance(b, (_Local, _Module,
                                                                         _Func)):
                continue
            a = a if a is not None else Undef(b.kind)
            b = b if b is not None else Undef(a.kind)
            self.env[n] = phi(n, a, b)
        regions[0].yields, regions[1].yields = then_y, else_y
        self.emit(If(results, [test], then=regions[0], orelse=regions[1]))

    def loop_vars(self, s, extra=()):
        head = self.live.head.get(id(s), set())
        names = [n for n in list(extra) + assigned(s.body) if n in head]
        return list(dict.fromkeys(names))

    def s_For(self, s):
        if getattr(s, "unroll", False):   # numba.literal_unroll(tup): the body once per item
            items = self.expr(s.iter.args[0])
            if not isinstance(items, tuple):
                raise self.err("literal_unroll needs a tuple the code builds or receives",
                               "literal_unroll", s)
            for item in items:
                self.assign(s.target, item, s)
                self.block(s.body)
            return
        if self.unroll_over_containers(s):
            return
        args = s.iter.args
        vals = [self.value(a) for a in args]
        if len(vals) == 1:
            start, stop, step = Const(0), vals[0], Const(1)
        else:
            start, stop = vals[0], vals[1]
            step = vals[2] if len(vals) == 3 else Const(1)
        if self.unroll_growing_lists(s, start, stop, step):
            return
        target = s.target.id
        self.flush_names()  # name the bounds' temporaries before the body may be rebuilt
        names = self.loop_vars(s, [target])
        shapes = {}
        inits, slots, _ = self.loop_slots(names, shapes, self.env, s, grow=True)
        kinds = [v.kind if not isinstance(v, Undef) else None for v in inits]
        snap = self.shared.snapshot()
        self.depth += 1
        for _ in range(6):
            index = Value(self.vname(target), "int")
            body = Region()
            carried = [Value(self.vname(n), kinds[k] or "float") for k, n in enumerate(slots)]
            body.args = [index, *carried]
            before = dict(self.env)
            saved_ops = self.ops
            self.ops = body.ops
            self.env.update(self.unflatten_slots(names, shapes, carried))
            self.env[target] = index
            self.block(s.body)
            self.line = s.lineno
            body.yields, _, grown = self.loop_slots(names, shapes, self.env, s, grow=True)
            self.ops, self.env = saved_ops, before
            if grown:   # a variable first holds a container in the body: carry its leaves
                inits, slots, _ = self.loop_slots(names, shapes, self.env, s)
                kinds = [v.kind if not isinstance(v, Undef) else None for v in inits]
                self.shared.restore(snap)
                continue
            new_kinds = _widened(kinds, body.yields)
            if new_kinds == [k or "float" for k in kinds] or not names:
                break
            kinds = new_kinds
            self.shared.restore(snap)
        self.depth -= 1
        results = [Value(self.vname(n), carried[k].kind) for k, n in enumerate(slots)]
        self.emit(For(results, [start, stop, step, *inits], body=body,
                      parallel=getattr(s, "parallel", False)))
        self.env.update(self.unflatten_slots(names, shapes, results))

    def s_While(self, s):
        names = self.loop_vars(s)
        self.flush_names()
        shapes = {}
        inits, slots, _ = self.loop_slots(names, shapes, self.env, s, grow=True)
        kinds = [v.kind if not isinstance(v, Undef) else None for v in inits]
        snap = self.shared.snapshot()
        self.depth += 1
        for _ in range(6):
            before = dict(self.env)
            saved_ops = self.ops
            cond = Region()
            cond.args = [Value(self.vname(n), kinds[k] or "float") for k, n in enumerate(slots)]
            self.ops = cond.ops
            self.env.update(self.unflatten_slots(names, shapes, cond.args))
            cond.yields = [self.value(s.test)]
            self.flush_names()
            body = Region()
            body.args = [Value(self.vname(n), kinds[k] or "float") for k, n in enumerate(slots)]
            self.env = dict(before)
            self.env.update(self.unflatten_slots(names, shapes, body.args))
            self.ops = body.ops
            self.block(s.body)
            self.line = s.lineno
            body.yields, _, grown = self.loop_slots(names, shapes, self.env, s, grow=True)
            self.ops, self.env = saved_ops, before
            if grown:   # a variable first holds a container in the body: carry its leaves
                inits, slots, _ = self.loop_slots(names, shapes, self.env, s)
                kinds = [v.kind if not isinstance(v, Undef) else None for v in inits]
                self.shared.restore(snap)
                continue
            new_kinds = _widened(kinds, body.yields)
            if new_kinds == [k or "float" for k in kinds] or not names:
                break
            kinds = new_kinds
            self.shared.restore(snap)
        self.depth -= 1
        results = [Value(self.vname(n), cond.args[k].kind) for k, n in enumerate(slots)]
        self.emit(While(results, list(inits), cond=cond, body=body))
        self.env.update(self.unflatten_slots(names, shapes, results))


def _literal(node):
    """``ast.literal_eval`` that also reads ``slice(a, b, c)`` of constants: the static
    ``index=`` of ``_rt.getitem`` in generated code read back (the Hessian's adjoint)."""
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "slice" and not node.keywords and len(node.args) <= 3:
        return slice(*(ast.literal_eval(a) for a in node.args))
    return ast.literal_eval(node)


def _as_tuples(value):
    """Lists inside a static value as tuples (hashable, and what NumPy accepts alike)."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(v) for v in value)
    return value


def _widened(kinds, yields):
    """The kinds of loop-carried variables once the body's yields are joined in (a loop body
    is built again until they stop changing)."""
    return [join_kinds(*[k for k in (kind, None if isinstance(new, Undef) else new.kind) if k])
            for kind, new in zip(kinds, yields)]


def _pure(node):
    """No calls, loads, divisions: evaluating it early cannot fail or differ."""
    for n in ast.walk(node):
        if not isinstance(n, (ast.Name, ast.Constant, ast.Compare, ast.UnaryOp, ast.BoolOp,
                              ast.Load, ast.cmpop, ast.unaryop, ast.boolop)):
            return False
        if isinstance(n, ast.UnaryOp) and not isinstance(n.op, ast.Not):
            return False
    return True


_ARRAY_ATTRS = {"shape", "size", "ndim", "T", "sum", "mean", "max", "min", "prod", "copy",
                "dot", "reshape", "transpose"}


def _used_as_array(fn_node, name):
    for n in ast.walk(fn_node):
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and \
                n.value.id == name:
            return True
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and \
                n.value.id == name and n.attr in _ARRAY_ATTRS:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len" \
                and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == name:
            return True
    return False


def parameter_names(fdef) -> list:
    """Every parameter of a def, in the order compiled code takes them: positional-only,
    ordinary, keyword-only (``*args`` and ``**kwargs`` are refused by the caller)."""
    a = fdef.args
    return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]


def _bind_parameters(shared, names, trees, kinds):
    """``(flat parameter Values, env)``: one Value per leaf; a container (pytree) parameter
    bound to the container entry of its leaves (:func:`.containers.entry_of_tree`), so that
    unpacking, ``p[0]``, ``p["w"]`` and ``p.w`` read leaves at compile time."""
    from ..pytree import LEAF, leaf_names

    flat, env = [], {}
    kinds = iter(kinds or ())
    for name, tree in zip(names, trees or [LEAF] * len(names)):
        if tree.kind == "leaf":
            v = Value(shared.version(name), "any")
            flat.append(v)
            env[name] = v
            continue
        leaves = [Value(shared.version(_identifier(leaf)), next(kinds, "any"))
                  for leaf in leaf_names(name, tree)]
        flat += leaves
        env[name] = C.entry_of_tree(tree, leaves)
    return flat, env


def _identifier(text):
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)


def build_function(fn, trees=None, leaf_kinds=None) -> Function:
    """The SSA IR of ``fn``. A bound method (``m.loss``, a classmethod ``Model.make``), or
    an object with a ``__call__`` (``model(x)``), is its function with ``self``/``cls``
    bound to the object: attributes it reads are free
    values, read at every call, and ``self`` is no parameter of the IR. ``trees``: one
    :class:`ad_compiler.pytree.TreeDef` per parameter (after ``self``); a container argument
    becomes one parameter per leaf, ``leaf_kinds`` giving the kinds of those leaves in order
    (``"float"``, ``"array"``, ``"int"``)."""
    owner = None
    if isinstance(fn, functools.partial):
        fn = fn.func        # (its given arguments are passed on every call: pipeline.Signature)
    fn = plain_function(fn)     # (a Numba dispatcher: the function it compiles)
    if isinstance(fn, types.MethodType):
        owner, fn = fn.__self__, fn.__func__
    elif not isinstance(fn, types.FunctionType) and \
            isinstance(getattr(type(fn), "__call__", None), types.FunctionType):
        owner, fn = fn, type(fn).__call__     # an object called as a function: its __call__
    parsed = parse_function(fn)
    shared = Shared(parsed)
    params = parameter_names(parsed.node)
    env = {}
    if owner is not None:
        if not params:
            raise DifferentiationError(f"method '{parsed.name}' takes no self/cls parameter",
                                       construct="method", function=parsed.name,
                                       filename=parsed.filename, line=parsed.first_line)
        env[params[0]] = _Object(owner, lambda: owner, params[0])
        params = params[1:]
    param_values, bound = _bind_parameters(shared, params, trees, leaf_kinds)
    env.update(bound)
    builder = Builder(shared, parsed, env=env)
    shared.stack.append(fn)
    try:
        result = builder.run()
    except DifferentiationError:
        raise
    except RecursionError:
        raise builder.err("expression nesting too deep", "internal") from None
    except Exception as exc:  # never let a traceback from inside the compiler escape
        raise builder.err(f"internal compiler error ({type(exc).__name__}: {exc})",
                          "internal") from exc
    output_tree = None
    if C.is_container(result) and not _flat_tuple(result):
        leaf_entries, output_tree = C.output_tree(result)
        result = tuple(builder.as_value(e) for e in leaf_entries)
    builder.flush_names()
    yields = list(result) if isinstance(result, tuple) else [result]
    out = Function(name=parsed.name, params=param_values,
                   body=Region(args=[], ops=builder.ops, yields=yields),
                   free_vars=list(shared.free_vars),
                   free_var_sources=list(shared.free_sources),
                   returns_tuple=isinstance(result, tuple), filename=parsed.filename,
                   first_line=parsed.first_line)
    out.free_var_getters = list(shared.free_getters)
    out.output_tree = output_tree   # None: one value, or a flat tuple of values
    return out


def _flat_tuple(entry) -> bool:
    """A tuple none of whose items is a container: the function's several outputs."""
    return isinstance(entry, tuple) and not any(C.is_container(e) for e in entry)

"""Python's container forms in the SSA builder: tuples, lists, dicts, comprehensions.

:class:`ContainerForms` is a mixin of :class:`~.ssa.Builder`. Containers are compile-time
structures of Values (:mod:`.containers`): this module builds them from literals, indexes,
unpacks and measures them, unrolls comprehensions over them, folds ``sum``/``max``/``min``
over them, and carries them through ``if`` and loops leaf by leaf. Only where a container is
used as an array (``np.sum([a, b])``, ``[a, b][i]`` with ``i`` a variable) does it become one
IR value: ``pack`` of its scalars (differentiable), ``stack`` of its arrays, or ``tuple`` of
its integers (a shape).
"""

from __future__ import annotations

import ast
import dataclasses

from ..errors import DifferentiationError
from . import containers as C
from .ir import Const, For, Load, Region, Store, Undef, Value

# the most iterations of a constant range loop unrolled so that it may grow a list made before
# it (each iteration its own statements: the generated code grows with the count)
UNROLLED_TRIPS = 64

_SEQUENCE_KINDS = {tuple: "tuple", C.ListValue: "list", dict: "dict", C.Record: "record",
                   C.ComplexPair: "complex value"}


def _what(entry):
    return _SEQUENCE_KINDS.get(type(entry), type(entry).__name__)


class ContainerForms:
    depth = 0            # control-flow depth of the region being built (lists grow at theirs)

    # --- containers as IR values --------------------------------------------------------
    def container_value(self, entry, array=False):
        """A container used as a value: an array of its scalars (``pack``), of its arrays
        (``stack``; a tuple of arrays stays a tuple, the sequence argument of a helper), or
        a shape of its integers (unless ``array``). A tuple holding a differentiated value
        whose result the output depends on is refused by activity analysis, never cut off."""
        items = C.sequence(entry)
        if items is None:
            raise self.err(f"a {_what(entry)} cannot be used as an array value",
                           "container value")
        values = [self.as_value(i) for i in items]
        if any(v.kind == "array" for v in values):
            if isinstance(entry, tuple) and not array:   # (a, b) as a helper's sequence
                return self.prim("tuple", values, kind="shape")
            return self.prim("stack", values, {"axis": 0})
        if array or any(v.kind == "float" for v in values):
            out = self.prim("pack", values)
            out.ndim = 1
            return out
        return self.prim("tuple", values, kind="shape")

    def entry(self, node):
        """An expression as an environment entry: a Value or a container of entries."""
        v = self.expr(node)
        if C.is_container(v) or isinstance(v, Value):
            return v
        return self.value(node)

    # --- literals ---------------------------------------------------------------------------
    def e_Tuple(self, node):
        return tuple(self.entry(e) for e in node.elts)

    def e_List(self, node):
        return C.ListValue([self.entry(e) for e in node.elts], self.depth)

    def e_Dict(self, node):
        out = self.new_dict()
        for k, v in zip(node.keys, node.values):
            if k is None:
                raise self.err("'**' in dict literals is not supported", "dict literal", node)
            out[self.constant_key(k)] = self.entry(v)
        return out

    def construct_record(self, cls, node):
        """``Params(w, c)`` / ``Params(w=..., c=...)`` of a NamedTuple or dataclass class: a
        record of the arguments (missing ones from the class's constant defaults), made at
        compile time like a tuple literal, so that a function can build and return one."""
        what = f"'{ast.unparse(node.func)}(...)'"
        if hasattr(cls, "_fields"):
            names, defaults, positional = list(cls._fields), dict(cls._field_defaults), True
        else:
            fields = dataclasses.fields(cls)
            if hasattr(cls, "__post_init__") or not all(f.init for f in fields):
                raise self.err(f"{what}: a dataclass whose __post_init__ or non-init fields "
                               "compute values cannot be built in compiled code",
                               "dataclass", node)
            names = [f.name for f in fields]
            defaults = {f.name: f.default for f in fields
                        if f.default is not dataclasses.MISSING}
            positional = False
        if len(node.args) > len(names) or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.err(f"{what} takes {len(names)} fields", "record", node)
        given = dict(zip(names, node.args))
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in given:
                raise self.err(f"{what}: unexpected or repeated field '{kw.arg}'", "record",
                               node)
            given[kw.arg] = kw.value
        fields = {}
        for name in names:
            if name in given:
                fields[name] = self.entry(given[name])
            elif isinstance(defaults.get(name, ...), (bool, int, float, str, type(None))):
                fields[name] = Const(defaults[name])
            else:
                raise self.err(f"{what}: field '{name}' needs a value", "record", node)
        return C.Record(cls, fields, positional=positional)

    def new_dict(self):
        """An empty dict made at this control-flow depth (where its items may be set)."""
        out = {}
        self.shared.dict_depths = getattr(self.shared, "dict_depths", {})
        self.shared.dict_depths[id(out)] = (out, self.depth)
        return out

    def store_into_container(self, base, target, value, stmt):
        """``d["k"] = v`` and ``lst[0] = v``, where the container was made at this depth."""
        made = getattr(self.shared, "dict_depths", {}).get(id(base))
        depth = base.depth if isinstance(base, C.ListValue) else \
            made[1] if made is not None and made[0] is base else None
        if depth != self.depth or not isinstance(base, (dict, C.ListValue)):
            raise self.err(f"assignment into the {_what(base)} '{ast.unparse(target.value)}' "
                           "inside a loop or branch it was not made in (or into a tuple) is "
                           "not supported: build a new one", "container assignment", stmt)
        if isinstance(base, dict):
            base[self.constant_key(target.slice)] = value
            return
        idx = self.expr(target.slice)
        if not (isinstance(idx, Const) and isinstance(idx.value, int)
                and -len(base.items) <= idx.value < len(base.items)):
            raise self.err(f"a list item assignment needs a constant index in range",
                           "container assignment", stmt)
        base.items[idx.value] = value

    def container_binop(self, node, left, right):
        """``t + (c,)`` and ``[0.0] * 3``: concatenation and repetition at compile time."""
        seq_l, seq_r = C.sequence(left), C.sequence(right)
        if isinstance(node.op, ast.Add) and seq_l is not None and seq_r is not None:
            items = list(seq_l) + list(seq_r)
        elif isinstance(node.op, ast.Mult) and (seq_l is None) != (seq_r is None):
            count = right if seq_r is None else left
            if not (isinstance(count, Const) and isinstance(count.value, int)):
                raise self.err("a list or tuple repeated a number of times known only at run "
                               "time is not supported", "container", node)
            items = list(seq_l if seq_l is not None else seq_r) * count.value
        else:
            raise self.err(f"operator '{type(node.op).__name__}' on a {_what(left)} and a "
                           f"{_what(right)} is not supported", "container", node)
        kind = C.ListValue if isinstance(left if seq_l is not None else right, C.ListValue) \
            else tuple
        return C.ListValue(items, self.depth) if kind is C.ListValue else tuple(items)

    def constant_key(self, node):
        key = self.expr(node)
        if not isinstance(key, Const) or isinstance(key.value, float):
            raise self.err(f"dict keys must be constant strings or ints, not "
                           f"'{ast.unparse(node)}'", "dict key", node)
        return key.value

    def dict_call(self, node):
        """``dict(a=x, b=y)`` and ``dict(other)``: a dict of entries."""
        out = self.new_dict()
        if node.args:
            self.nargs(node, 1)
            base = self.expr(node.args[0])
            if not isinstance(base, dict):
                raise self.err("dict(...) of something other than a dict is not supported",
                               "dict", node)
            out.update(base)
        for kw in node.keywords:
            out[kw.arg] = self.entry(kw.value)
        return out

    # --- indexing and attributes -----------------------------------------------------------
    def subscript_container(self, base, node):
        if isinstance(base, dict):
            key = self.constant_key(node.slice)
            if key not in base:
                raise self.err(f"key {key!r} is not in the dict '{ast.unparse(node.value)}'",
                               "dict key", node)
            return base[key]
        items = C.sequence(base)
        if items is None:
            raise self.err(f"a {_what(base)} cannot be indexed", "subscript", node)
        if isinstance(node.slice, ast.Slice):
            bounds = [None if p is None else self.expr(p)
                      for p in (node.slice.lower, node.slice.upper, node.slice.step)]
            if all(b is None or (isinstance(b, Const) and isinstance(b.value, int))
                   for b in bounds):
                part = items[slice(*[None if b is None else b.value for b in bounds])]
                return C.ListValue(part, self.depth) if isinstance(base, C.ListValue) else part
            raise self.err(f"a slice of the {_what(base)} '{ast.unparse(node.value)}' needs "
                           "constant bounds", "subscript", node)
        idx = self.expr(node.slice)
        if isinstance(idx, Const) and isinstance(idx.value, int) \
                and not isinstance(idx.value, bool):
            if not -len(items) <= idx.value < len(items):
                raise self.err(f"index {idx.value} is out of range for a {_what(base)} of "
                               f"length {len(items)}", "subscript", node)
            return items[idx.value]
        return None   # a variable index: the caller indexes the container as an array

    def container_attribute(self, base, node):
        if isinstance(base, C.Record) and node.attr in base.fields:
            return base.fields[node.attr]
        raise self.err(f"'{ast.unparse(node)}': a {_what(base)} has no attribute "
                       f"'{node.attr}' the compiler can read", "attribute", node)

    # --- unpacking and len -------------------------------------------------------------------
    def unpack(self, value, n, stmt):
        """The ``n`` parts of ``value`` for ``a, b = value`` (None: not a container)."""
        items = C.sequence(value)
        if items is None:
            if C.is_container(value):
                raise self.err(f"cannot unpack a {_what(value)}", "unpacking", stmt)
            return None
        if len(items) != n:
            raise self.err(f"cannot unpack {len(items)} values into {n} names",
                           "unpacking", stmt)
        return list(items)

    def container_len(self, node):
        """``len(t)`` of a container: a constant (None when the argument is no container)."""
        if len(node.args) != 1:
            return None
        arg = self.expr(node.args[0])
        if isinstance(arg, dict):
            return Const(len(arg))
        items = C.sequence(arg)
        if items is None:
            self.evaluated[node.args[0]] = arg    # the caller reads it again: not twice
            return None
        return Const(len(items))

    # --- list methods --------------------------------------------------------------------------
    def container_method(self, base, attr, node):
        if isinstance(base, dict) and attr in ("keys", "values", "items"):
            self.nargs(node, 0)
            parts = {"keys": [Const(k) for k in base], "values": list(base.values()),
                     "items": [(Const(k), v) for k, v in base.items()]}[attr]
            return tuple(parts)
        if isinstance(base, dict) and attr == "get":
            self.nargs(node, 1, 2)
            key = self.constant_key(node.args[0])
            if key in base:
                return base[key]
            return self.entry(node.args[1]) if len(node.args) == 2 else Const(None)
        if not isinstance(base, C.ListValue) or attr not in ("append", "extend", "pop",
                                                             "insert", "copy"):
            raise self.err(f"method '.{attr}()' of a {_what(base)} is not supported",
                           "method", node)
        if attr == "copy":
            self.nargs(node, 0)
            return C.ListValue(base.items, self.depth)
        if base.depth != self.depth:
            raise self.err(f"a list made outside this loop or branch cannot .{attr}() inside "
                           "it (its length must be known at compile time: a loop over a "
                           f"constant range of up to {UNROLLED_TRIPS} iterations is "
                           "unrolled)", "list method", node)
        if attr == "append":
            self.nargs(node, 1)
            base.items.append(self.entry(node.args[0]))
            return Const(None)
        if attr == "extend":
            self.nargs(node, 1)
            items = C.sequence(self.expr(node.args[0]))
            if items is None:
                raise self.err(".extend() needs a list or tuple", "list method", node)
            base.items.extend(items)
            return Const(None)
        if attr == "insert":
            self.nargs(node, 2)
            where = self.expr(node.args[0])
            if not isinstance(where, Const):
                raise self.err(".insert() needs a constant position", "list method", node)
            base.items.insert(where.value, self.entry(node.args[1]))
            return Const(None)
        self.nargs(node, 0, 1)
        where = self.expr(node.args[0]) if node.args else Const(-1)
        if not isinstance(where, Const) or not base.items:
            raise self.err(".pop() needs a constant position in a non-empty list",
                           "list method", node)
        return base.items.pop(where.value)

    def s_Expr(self, s):
        """A statement that is a call of a list method (``stack.append(v)``)."""
        self.expr(s.value)

    # --- comprehensions -------------------------------------------------------------------
    def e_ListComp(self, node):
        if not self.unrollable(node):
            return self.comprehension_loop(node)
        return C.ListValue(self.comprehension(node), self.depth)

    def e_GeneratorExp(self, node):
        if not self.unrollable(node):
            return self.comprehension_loop(node)
        return tuple(self.comprehension(node))

    def unrollable(self, node):
        """Whether a comprehension iterates over something of constant length."""
        try:
            snap = (list(self.ops), self.shared.snapshot())
            for gen in node.generators[:1]:
                self.iteration_items(gen.iter, node)
            return True
        except DifferentiationError:
            return False
        finally:
            self.ops[:] = snap[0]
            self.shared.restore(snap[1])

    def comprehension_loop(self, node):
        """``[elt for v in x]`` over an array (or ``range``) of run-time length: a loop that
        writes each scalar element into a new 1-D array."""
        gen = node.generators[0]
        if len(node.generators) > 1 or gen.ifs:
            raise self.err("a comprehension over an array of run-time length may not filter "
                           "('if') or nest (write a for loop)", "comprehension", node)
        it = gen.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                it.func.id == "range" and it.func.id not in self.env and 1 <= len(it.args) <= 2:
            bounds = [self.value(a) for a in it.args]
            start, stop = (Const(0), bounds[0]) if len(bounds) == 1 else bounds
            seq = None
        else:
            seq = self.value(it)
            self.mark_array(seq)
            start, stop = Const(0), self.prim("len", [seq])
        count = stop if isinstance(start, Const) and start.value == 0 else \
            self.prim("sub", [stop, start])
        out = self.prim("empty", [count])
        self.flush_names()
        index = Value(self.vname("_i"), "int")
        body = Region(args=[index])
        saved_ops, saved_env = self.ops, dict(self.env)
        self.ops = body.ops
        self.depth += 1
        try:
            item = index
            if seq is not None:
                item = self.new("float")
                self.emit(Load([item], [seq, index]))
            self.assign(gen.target, item, node)
            elt = self.value(node.elt)
            if elt.kind == "array":
                raise self.err("a comprehension of arrays over an array of run-time length is "
                               "not supported (np.stack of a tuple, or a for loop)",
                               "comprehension", node)
            at = index if seq is not None or (isinstance(start, Const) and start.value == 0) \
                else self.prim("sub", [index, start])
            self.emit(Store([], [out, at, elt]))
        finally:
            self.ops, self.env = saved_ops, saved_env
            self.depth -= 1
        step = Const(1)
        lo = Const(0) if seq is not None else start
        hi = count if seq is not None else stop
        self.emit(For([], [lo, hi, step], body=body))
        return out

    def comprehension(self, node):
        """The elements of ``[elt for v in it if cond ...]``, unrolled at compile time over
        a container, an array of known length... (the iterable's length must be constant)."""
        saved = dict(self.env)
        out = []
        try:
            self._generators(node, list(node.generators), out)
        finally:
            self.env = saved
        return out

    def _generators(self, node, gens, out):
        if not gens:
            out.append(self.entry(node.elt))
            return
        gen = gens[0]
        if gen.is_async:
            raise self.err("async comprehensions are not supported", "comprehension", node)
        for item in self.iteration_items(gen.iter, node):
            self.assign(gen.target, item, node)
            keep = True
            for cond in gen.ifs:
                test = self.value(cond)
                if not isinstance(test, Const):
                    raise self.err("a comprehension's 'if' must be known at compile time "
                                   f"('{ast.unparse(cond)}' is not)", "comprehension", node)
                keep = keep and bool(test.value)
            if keep:
                self._generators(node, gens[1:], out)

    def iteration_items(self, it, node):
        """The items a comprehension iterates over, known at compile time: a container,
        ``range`` of constants, ``enumerate``/``zip``/``reversed`` of those, or an array
        whose length is a compile-time constant (rows ``x[0]``, ``x[1]``...)."""
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                it.func.id in ("range", "enumerate", "zip", "reversed") and \
                it.func.id not in self.env:
            name = it.func.id
            if name == "range":
                bounds = [self.expr(a) for a in it.args]
                if not all(isinstance(b, Const) and isinstance(b.value, int) for b in bounds):
                    raise self.err(f"a comprehension over '{ast.unparse(it)}' needs constant "
                                   "bounds (use a for loop that writes into an array)",
                                   "comprehension", node)
                return [Const(i) for i in range(*[b.value for b in bounds])]
            parts = [self.iteration_items(a, node) for a in it.args]
            if name == "enumerate":
                return [(Const(i), v) for i, v in enumerate(parts[0])]
            if name == "zip":
                return [tuple(t) for t in zip(*parts)]
            return list(reversed(parts[0]))
        base = self.expr(it)
        items = C.sequence(base)
        if items is not None:
            return list(items)
        if isinstance(base, dict):
            return [Const(k) for k in base]
        raise self.err(f"a comprehension over '{ast.unparse(it)}' needs a length known at "
                       "compile time (use a for loop that writes into an array, or "
                       "np.sum/np.max of an array expression)", "comprehension", node)

    # --- builtins over containers ----------------------------------------------------------
    def fold(self, name, node):
        """``sum``/``max``/``min`` of a container (or comprehension): a chain of adds or
        maximum/minimum; None when the argument is an array (the caller reduces it)."""
        if len(node.args) != 1 or node.keywords:
            return None
        arg = self.expr(node.args[0])
        items = C.sequence(arg)
        if items is None:
            return None
        if not items:
            if name == "sum":
                return Const(0)
            raise self.err(f"{name}() of an empty sequence", "call", node)
        values = [self.as_value(i) for i in items]
        combine = {"sum": "add", "max": "maximum", "min": "minimum"}[name]
        acc = values[0] if name != "sum" else self.prim("add", [Const(0), values[0]])
        for v in values[1:]:
            acc = self.prim(combine, [acc, v])
        return acc

    def unroll_over_containers(self, s):
        """Unroll ``for (W, b) in params`` (normalised to an index loop) when a sequence
        it iterates is a tuple or list: each item may have its own shape. True if done."""
        names = getattr(s, "sequences", None)
        if not names:
            return False
        entries = [self.env.get(n) for n in names]
        lengths = [len(C.sequence(e)) for e in entries if C.sequence(e) is not None]
        if not lengths:
            return False
        for k in range(min(lengths)):
            self.env[s.target.id] = Const(k)
            self.block(s.body)
            self.line = s.lineno
        return True

    def unroll_growing_lists(self, s, start, stop, step):
        """Unroll ``for i in range(a, b, c)`` with constant bounds (at most
        ``UNROLLED_TRIPS`` iterations) whose body grows a list made before it
        (``out.append(v)``): a list's length is known at compile time, so each iteration's
        items are its own. True if done."""
        bounds = [v.value if isinstance(v, Const) else None for v in (start, stop, step)]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds) or \
                not bounds[2] or not self._grows_outer_list(s.body):
            return False
        indices = range(*bounds)
        if len(indices) > UNROLLED_TRIPS:
            return False
        for k in indices:
            self.env[s.target.id] = Const(k)
            self.block(s.body)
            self.line = s.lineno
        return True

    def _grows_outer_list(self, body) -> bool:
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in ("append", "extend", "insert", "pop") and \
                        isinstance(node.func.value, ast.Name) and \
                        isinstance(self.env.get(node.func.value.id), C.ListValue):
                    return True
        return False

    # --- control flow: containers carried leaf by leaf -----------------------------------
    def phi_entry(self, name, a, b, phi, stmt):
        """The entry of ``name`` after an ``if`` whose branches left ``a`` and ``b``;
        ``phi(x, y)`` merges two leaves."""
        like = a if C.is_container(a) else b
        other = b if like is a else a
        other_leaves = self._leaves_like(like, other, stmt, f"'{name}' holds differently "
                                         "shaped containers after the branches of this if")
        pairs = zip(C.leaves(like), other_leaves)
        merged = [phi(x, y) if like is a else phi(y, x) for x, y in pairs]
        return C.rebuild(like, merged, self.depth)

    def _leaves_like(self, like, entry, stmt, mismatch):
        """The leaves of ``entry``, which must have the structure of ``like`` (unassigned:
        undefined leaves of that structure)."""
        if entry is None or isinstance(entry, Undef):
            return [Undef(leaf.kind) for leaf in C.leaves(like)]
        if C.skeleton(entry) != C.skeleton(like):
            raise self.err(mismatch, "container", stmt)
        return C.leaves(entry)

    def loop_slots(self, names, shapes, env, stmt, grow=False):
        """The leaves of the carried variables ``names`` in ``env`` and the variable name of
        each; ``shapes`` maps a variable to its container structure. With ``grow`` a
        variable first seen holding a container is added to ``shapes`` (returns grown)."""
        values, slots, grown = [], [], False
        for n in names:
            entry = env.get(n, Undef())
            like = shapes.get(n)
            if like is None:
                if C.is_container(entry):
                    if not grow:
                        raise self.err(f"'{n}' holds a container here but not before the "
                                       "loop", "container", stmt)
                    shapes[n], grown = entry, True
                    like = entry
                else:
                    values.append(entry)
                    slots.append(n)
                    continue
            parts = self._leaves_like(like, entry, stmt, f"'{n}' changes its structure "
                                      "(tuple/list/dict shape) in the loop")
            if not all(isinstance(p, Value) for p in parts):
                raise self.err(f"'{n}' holds functions or modules and cannot be carried by a "
                               "loop", "container", stmt)
            values.extend(parts)
            slots.extend([n] * len(parts))
        return values, slots, grown

    def unflatten_slots(self, names, shapes, values):
        """``{name: entry}`` from one Value per slot (the inverse of :meth:`loop_slots`)."""
        out, k = {}, 0
        for n in names:
            like = shapes.get(n)
            if like is None:
                out[n] = values[k]
                k += 1
                continue
            count = len(C.leaves(like))
            out[n] = C.rebuild(like, values[k:k + count], self.depth)
            k += count
        return out

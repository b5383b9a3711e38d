"""Stage 2 of the frontend: lower control-flow jumps on the AST, before SSA.

After :func:`normalize` the function body holds no ``break``, ``continue`` or ``return``
except one ``return`` as its last top-level statement:

* a statement after an ``if`` one branch of which always jumps moves into the other branch
  (``if c: return a`` + rest  ->  ``if c: return a`` / ``else: rest``), so most returns and
  continues end up in tail position and need no flag;
* the remaining jumps set flags (``_brk``, ``_cont``, ``_ret`` with counters) and guard the
  statements after them with ``if not flag:``; a ``return`` inside a loop or a branch stores
  its value in ``_retval`` (``_retval``, ``_retval_1``... for tuples) and the function ends
  with ``return _retval``;
* a ``for`` loop that contains a ``break`` (or a ``return``) becomes a ``while`` with its
  index explicit (``_it``) and ``not _brk`` in the test; every other ``for`` stays a ``for``
  (its trip count is known at entry);
* ``for v in x`` (an array: its elements or rows; a tuple or list) becomes
  ``for _k in range(len(x)): v = x[_k]``, with ``x`` evaluated once before the loop (the
  SSA builder unrolls it when ``x`` is a tuple or list, whose items may differ in shape);
  ``enumerate``, ``zip`` (shortest length) and ``reversed(range(...))`` nest the same way,
  and the target may be a tuple (``for i, (a, b) in enumerate(zip(x, w))``);
* docstrings, ``assert`` statements and ``print(...)`` calls are dropped (a derivative
  prints nothing); ``name = lambda ...: e`` is the nested ``def name(...): return e``, as
  is a lambda called where it is written; a
  loop's ``else`` runs after it unless a ``break`` of the loop ran (a flag); unsupported
  constructs raise :class:`DifferentiationError` here (``check``).

``and``/``or``/conditional expressions are lowered to nested ``If`` ops when building SSA
(:mod:`.ssa`): they are expressions, and the SSA builder keeps their evaluation order.
"""

from __future__ import annotations

import ast
import copy

from .parse import names_in, nodes

_UNSUPPORTED = {
    ast.Try: "try/except", ast.With: "with", ast.Global: "global", ast.Nonlocal: "nonlocal",
    ast.Delete: "del", ast.Raise: "raise", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.Await: "await", ast.Lambda: "lambda",
    ast.SetComp: "set comprehension", ast.DictComp: "dict comprehension",
    ast.ClassDef: "class", ast.AsyncFor: "async",
    ast.AsyncWith: "async", ast.AsyncFunctionDef: "async", ast.Starred: "*args",
    ast.JoinedStr: "f-string", ast.NamedExpr: "walrus (:=)",
    ast.Set: "set literal", ast.Match: "match",
}
if hasattr(ast, "TryStar"):
    _UNSUPPORTED[ast.TryStar] = "try/except"


def _is_numba_call(it, name) -> bool:
    """``name(...)`` or ``numba.name(...)``, by name: loops are lowered before names are
    resolved (a user function called ``prange`` is taken as Numba's, as Numba takes it)."""
    if not isinstance(it, ast.Call):
        return False
    f = it.func
    return (isinstance(f, ast.Name) and f.id == name) or \
        (isinstance(f, ast.Attribute) and f.attr == name and isinstance(f.value, ast.Name)
         and f.value.id == "numba")


def _is_prange(it) -> bool:
    return _is_numba_call(it, "prange")


class _Checker(ast.NodeVisitor):
    def __init__(self, err):
        self.err = err
        self.depth = 0         # loops and branches around the node

    def generic_visit(self, node):
        construct = _UNSUPPORTED.get(type(node))
        if construct is not None:
            raise self.err(f"'{construct}' is not supported", construct, node)
        super().generic_visit(node)

    def visit_FunctionDef(self, node):  # nested defs are checked when they are inlined
        return

    def visit_Import(self, node):
        if self.depth:
            raise self.err("'import' inside a loop or branch is not supported (import at "
                           "the top of the function or of the module)", "import", node)

    visit_ImportFrom = visit_Import

    def visit_If(self, node):
        self._nested(node)

    def _nested(self, node):
        self.depth += 1
        try:
            super().generic_visit(node)
        finally:
            self.depth -= 1

    def visit_Subscript(self, node):
        # p["w"]: a constant key of a dict argument (pytree), read by the SSA builder
        self.visit(node.value)
        if not (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            self.visit(node.slice)

    def visit_Constant(self, node):
        if isinstance(node.value, bytes):
            raise self.err("bytes literals are not supported", "bytes", node)

    def visit_Expr(self, node):
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return      # a docstring (dropped when lowering)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id == "print":
            raise self.err("'print' is not supported (remove it from the function)",
                           "print", node)
        if isinstance(value, ast.Call):
            self.generic_visit(node)   # a call for its effect: a helper writing into arrays
            return
        if isinstance(value, (ast.Yield, ast.YieldFrom, ast.Await)):
            self.generic_visit(value)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr in _LIST_METHODS:
            self.generic_visit(value)     # stack.append(v): a list method, run at compile time
            return
        raise self.err("expression statements with no effect are not supported "
                       f"('{ast.unparse(value)}')", "expression statement", node)

    def _loop_else(self, node):
        if node.orelse:
            raise self.err("'else' clauses of loops are not supported", "loop else", node)

    def visit_For(self, node):
        self._loop_else(node)
        if not _name_targets(node.target):
            raise self.err(f"for loop targets must be names or tuples of names, not "
                           f"'{ast.unparse(node.target)}'", "for target", node)
        self._nested(node)

    def visit_While(self, node):
        self._loop_else(node)
        self._nested(node)

    def _targets(self, target):
        if isinstance(target, ast.Attribute):
            raise self.err("attribute assignment is not supported", "attribute assignment",
                           target)
        if isinstance(target, ast.Tuple):
            for elt in target.elts:
                self._targets(elt)

    def visit_Assign(self, node):
        for t in node.targets:
            self._targets(t)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._targets(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._targets(node.target)
        self.generic_visit(node)

    def visit_Call(self, node):
        for kw in node.keywords:
            if kw.arg is None:
                raise self.err("'**kwargs' in calls is not supported", "**kwargs", node)
        if _is_array_literal_call(node):   # np.array([[1.0, x], ...]): lists allowed inside
            self.visit(node.func)
            for kw in node.keywords:
                self.visit(kw)
            self._visit_literal(node.args[0])
            return
        # the arguments of a call may be lists (np.concatenate([a, b]), axes=[1, 0]) and
        # strings (np.einsum("ij,j", a, b), ord="fro"): the call's record reads them
        self.visit(node.func)
        for arg in list(node.args) + [kw.value for kw in node.keywords]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                continue
            self._visit_literal(arg)

    def _visit_literal(self, node):
        if isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                self._visit_literal(element)
        else:
            self.visit(node)


_LIST_METHODS = ("append", "extend", "insert", "pop")


def _name_targets(target) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(_name_targets(t)
                                                             for t in target.elts)


def _is_array_literal_call(node) -> bool:
    """``np.array(<list>)`` / ``np.asarray(<list>)``: the one place list literals may appear."""
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr in ("array", "asarray")
            and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)))


def check(fn_node: ast.FunctionDef, err):
    """Raise for unsupported constructs (``err(message, construct, node)`` builds the
    exception)."""
    args = fn_node.args
    if args.vararg is not None:
        raise err("'*args' parameters are not supported", "*args", fn_node)
    if args.kwarg is not None:
        raise err("'**kwargs' parameters are not supported", "**kwargs", fn_node)
    checker = _Checker(err)
    for stmt in fn_node.body:
        checker.visit(stmt)


def _assigned(stmts):
    out = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


def _jumps(stmts):
    """Does the block end with an unconditional jump (return/break/continue)?"""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Return, ast.Break, ast.Continue)):
        return True
    if isinstance(last, ast.If):
        return _jumps(last.body) and _jumps(last.orelse)
    return False


def _loc(new, old):
    return ast.copy_location(new, old)


def _fresh(taken: set, base: str) -> str:
    """``base``, or ``base_1``, ``base_2``... the first not in ``taken`` (then taken)."""
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


class Normalizer:
    def __init__(self, fn_node: ast.FunctionDef, err):
        self.fn = fn_node
        self.err = err
        self.taken = names_in(fn_node)
        self.ret_arity = None
        self.retvars = []
        self.flags_read = set()
        self.retflag = self.fresh("_ret")

    def fresh(self, base):
        return _fresh(self.taken, base)

    # --- 1. move code after an always-jumping branch into the other branch -----------------
    def restructure(self, stmts):
        out = []
        for idx, s in enumerate(stmts):
            if isinstance(s, (ast.For, ast.While)):
                s.body = self.restructure(s.body)
            elif isinstance(s, ast.If):
                s.body = self.restructure(s.body)
                s.orelse = self.restructure(s.orelse)
                rest = stmts[idx + 1:]
                then_j, else_j = _jumps(s.body), _jumps(s.orelse)
                if rest and (then_j or else_j):
                    if not (then_j and else_j):
                        if then_j:
                            s.orelse = self.restructure(s.orelse + rest)
                        else:
                            s.body = self.restructure(s.body + rest)
                    out.append(s)
                    return out
            out.append(s)
            if isinstance(s, (ast.Return, ast.Break, ast.Continue)):
                return out          # the rest is dead code
        return out

    # --- 2. flags -----------------------------------------------------------------------
    def guard(self, flags, node):
        names = sorted(flags)
        self.flags_read.update(names)
        test = ast.Name(names[0], ast.Load()) if len(names) == 1 else ast.BoolOp(
            ast.Or(), [ast.Name(n, ast.Load()) for n in names])
        return _loc(ast.UnaryOp(ast.Not(), test), node)

    def set_flag(self, name, value, node):
        return _loc(ast.Assign([ast.Name(name, ast.Store())], ast.Constant(value)), node)

    def lower_block(self, stmts, loop, tail):
        out = []
        for idx, s in enumerate(stmts):
            last = idx == len(stmts) - 1
            new, flags = self.lower_stmt(s, loop, tail and last)
            out.extend(new)
            if flags and not last:
                rest, rflags = self.lower_block(stmts[idx + 1:], loop, tail)
                if rest:
                    out.append(_loc(ast.If(self.guard(flags, s), rest, []), s))
                return out, flags | rflags
            if flags and last:
                return out, flags
        return out, set()

    def lower_stmt(self, s, loop, tail):
        if isinstance(s, ast.Return):
            return self.lower_return(s, loop, tail)
        if isinstance(s, ast.Break):
            if loop is None:
                raise self.err("'break' outside a loop", "break", s)
            loop["brk"] = loop["brk"] or self.fresh("_brk")
            return [self.set_flag(loop["brk"], True, s)], {loop["brk"]}
        if isinstance(s, ast.Continue):
            if loop is None:
                raise self.err("'continue' outside a loop", "continue", s)
            if tail:  # the end of the body: nothing to skip
                return [], set()
            loop["cont"] = loop["cont"] or self.fresh("_cont")
            return [self.set_flag(loop["cont"], True, s)], {loop["cont"]}
        if isinstance(s, ast.If):
            body, f1 = self.lower_block(s.body, loop, tail)
            orelse, f2 = self.lower_block(s.orelse, loop, tail)
            s.body, s.orelse = body or [_loc(ast.Pass(), s)], orelse
            return [s], f1 | f2
        if isinstance(s, (ast.For, ast.While)):
            return self.lower_loop(s)
        if isinstance(s, ast.Assert):
            return [], set()
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            return [], set()      # docstring
        return [s], set()

    def lower_return(self, s, loop, tail):
        if (s.value is None or (isinstance(s.value, ast.Constant) and s.value.value is None))\
                and not getattr(s, "implicit_none", False):
            raise self.err("functions must return a value", "return None", s)
        values = s.value.elts if isinstance(s.value, ast.Tuple) else [s.value]
        arity = len(values) if isinstance(s.value, ast.Tuple) else 0
        if self.ret_arity is None:
            self.ret_arity = arity
            self.retvars = [self.fresh("_retval") for _ in range(max(arity, 1))]
        elif self.ret_arity != arity:
            raise self.err("all return statements must return the same number of values",
                           "return", s)
        targets = [ast.Name(n, ast.Store()) for n in self.retvars]
        if arity:
            assign = ast.Assign([ast.Tuple(targets, ast.Store())],
                                ast.Tuple(list(values), ast.Load()))
        else:
            assign = ast.Assign(targets, values[0])
        out = [_loc(assign, s)]
        if tail and loop is None:
            return out, set()
        out.append(self.set_flag(self.retflag, True, s))
        return out, {self.retflag}

    def lower_loop(self, s):
        hoisted = []
        if isinstance(s, ast.For):
            hoisted, s = self.iterate_array(s)
        ctx = {"brk": None, "cont": None}
        body, flags = self.lower_block(s.body, ctx, True)
        if ctx["cont"] and ctx["cont"] in flags:
            body.insert(0, self.set_flag(ctx["cont"], False, s))
        flags = flags - {ctx["cont"]}
        stop_flags = {f for f in flags if f in (ctx["brk"], self.retflag)}
        outer = {f for f in flags if f == self.retflag}
        pre = []
        if ctx["brk"]:
            pre.append(self.set_flag(ctx["brk"], False, s))
        pre = hoisted + pre
        if not stop_flags:
            s.body = body or [_loc(ast.Pass(), s)]
            return pre + [s], outer
        if getattr(s, "unroll", False):
            raise self.err("break and return inside a literal_unroll loop are not supported",
                           "literal_unroll", s)
        test = self.guard(stop_flags, s)
        if isinstance(s, ast.While):
            s.test = _loc(ast.BoolOp(ast.And(), [test, s.test]), s)
            s.body = body or [_loc(ast.Pass(), s)]
            return pre + [s], outer
        return pre + self.for_to_while(s, body, test), outer

    def iterate_array(self, s):
        """``(hoisted statements, for loop over range)`` for any ``for`` of the user's."""
        it = s.iter
        if _is_numba_call(it, "literal_unroll"):   # a tuple's items, unrolled when lowered
            if len(it.args) != 1 or it.keywords:
                raise self.err("literal_unroll takes one tuple", "literal_unroll", it)
            s.unroll = True
            return [], s
        if _is_prange(it):   # numba.prange: a range whose iterations are independent
            it.func = _loc(ast.Name("range", ast.Load()), it)
            s.parallel = True
        if _is_call(it, "range") and isinstance(s.target, ast.Name):
            if not 1 <= len(it.args) <= 3 or it.keywords:
                raise self.err("range() takes 1 to 3 positional arguments", "range", it)
            return [], s
        if _is_call(it, "reversed") and len(it.args) == 1 and _is_call(it.args[0], "range") \
                and isinstance(s.target, ast.Name):
            args = it.args[0].args
            if len(args) not in (1, 2) or it.args[0].keywords:
                raise self.err("reversed(range(...)) takes range(stop) or range(start, "
                               "stop)", "reversed", it)
            lo, hi = (ast.Constant(0), args[0]) if len(args) == 1 else args
            one = ast.Constant(1)
            rng = ast.Call(ast.Name("range", ast.Load()),
                           [ast.BinOp(hi, ast.Sub(), one), ast.BinOp(lo, ast.Sub(), one),
                            ast.UnaryOp(ast.USub(), one)], [])
            new = ast.For(s.target, rng, s.body, [])
            return [], ast.fix_missing_locations(_loc(new, s))
        hoisted = []
        k = self.fresh("_k")
        item, length = self.iteration(it, ast.Name(k, ast.Load()), hoisted, s)
        rng = ast.Call(ast.Name("range", ast.Load()), [length], [])
        elt = _loc(ast.Assign([s.target], item), s)
        new = ast.For(ast.Name(k, ast.Store()), rng, [elt] + s.body, [])
        # the sequences it indexes: a loop over tuples/lists is unrolled when building SSA
        new.sequences = [n.value.id for n in ast.walk(item) if isinstance(n, ast.Subscript)
                         and isinstance(n.value, ast.Name)]
        for h in hoisted:
            _loc(h, s)
            ast.fix_missing_locations(h)
        return hoisted, ast.fix_missing_locations(_loc(new, s))

    def iteration(self, it, k, hoisted, s):
        """``(item k, length)`` AST expressions of the iterable ``it``."""
        if _is_call(it, "range"):
            if len(it.args) not in (1, 2):
                raise self.err("range(start, stop, step) inside zip/enumerate is not "
                               "supported", "range", it)
            lo, hi = (ast.Constant(0), it.args[0]) if len(it.args) == 1 else it.args
            return ast.BinOp(lo, ast.Add(), k), ast.BinOp(hi, ast.Sub(), lo)
        if _is_call(it, "enumerate"):
            if not 1 <= len(it.args) <= 2 or it.keywords:
                raise self.err("enumerate() takes an iterable and a start", "enumerate", it)
            item, length = self.iteration(it.args[0], k, hoisted, s)
            index = k if len(it.args) == 1 else ast.BinOp(k, ast.Add(), it.args[1])
            return ast.Tuple([index, item], ast.Load()), length
        if _is_call(it, "zip"):
            if not it.args or it.keywords:
                raise self.err("zip() needs iterables (and no keywords)", "zip", it)
            parts = [self.iteration(a, k, hoisted, s) for a in it.args]
            lengths = [p[1] for p in parts]
            length = lengths[0] if len(lengths) == 1 else ast.Call(
                ast.Name("min", ast.Load()), lengths, [])
            return ast.Tuple([p[0] for p in parts], ast.Load()), length
        if _is_call(it, "reversed"):   # item n - 1 - k of the sequence of n items
            if len(it.args) != 1 or it.keywords:
                raise self.err("reversed() takes one sequence", "reversed", it)
            mark = self.fresh("_back")
            item, length = self.iteration(it.args[0], ast.Name(mark, ast.Load()), hoisted, s)
            back = ast.BinOp(ast.BinOp(length, ast.Sub(), ast.Constant(1)), ast.Sub(), k)
            return _Replace(mark, back).visit(item), length
        if isinstance(it, ast.Attribute) and it.attr == "flat" and \
                isinstance(it.value, ast.Name) and it.value.id not in _assigned(s.body):
            length = ast.Call(ast.Name("len", ast.Load()), [it], [])   # x.flat: its elements
            return ast.Subscript(it, k, ast.Load()), length
        if not isinstance(it, ast.Name) or it.id in _assigned(s.body):
            name = self.fresh("_seq")
            hoisted.append(ast.Assign([ast.Name(name, ast.Store())], it))
            it = ast.Name(name, ast.Load())
        length = ast.Call(ast.Name("len", ast.Load()), [ast.Name(it.id, ast.Load())], [])
        return ast.Subscript(ast.Name(it.id, ast.Load()), k, ast.Load()), length

    def for_to_while(self, s, body, test):
        args = s.iter.args
        start, stop, step = (ast.Constant(0), args[0], ast.Constant(1)) if len(args) == 1 \
            else (args[0], args[1], args[2] if len(args) == 3 else ast.Constant(1))
        pre = []
        assigned = _assigned(body)

        def hoist(expr, base):
            if isinstance(expr, ast.Constant) or (isinstance(expr, ast.Name)
                                                  and expr.id not in assigned):
                return expr
            name = self.fresh(base)
            pre.append(_loc(ast.Assign([ast.Name(name, ast.Store())], expr), s))
            return ast.Name(name, ast.Load())

        it = self.fresh("_it")
        pre.append(_loc(ast.Assign([ast.Name(it, ast.Store())], start), s))
        stop = hoist(stop, "_stop")
        step = hoist(step, "_step")
        itn = ast.Name(it, ast.Load())
        sval = step.value if isinstance(step, ast.Constant) else None
        if sval is None and isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) \
                and isinstance(step.operand, ast.Constant):
            sval = -step.operand.value
        if sval is not None and sval > 0:
            cond = ast.Compare(itn, [ast.Lt()], [stop])
        elif sval is not None and sval < 0:
            cond = ast.Compare(itn, [ast.Gt()], [stop])
        else:
            cond = ast.BoolOp(ast.Or(), [
                ast.BoolOp(ast.And(), [ast.Compare(step, [ast.Gt()], [ast.Constant(0)]),
                                       ast.Compare(itn, [ast.Lt()], [stop])]),
                ast.BoolOp(ast.And(), [ast.Compare(step, [ast.Lt()], [ast.Constant(0)]),
                                       ast.Compare(itn, [ast.Gt()], [stop])])])
        head = [ast.Assign([ast.Name(s.target.id, ast.Store())], ast.Name(it, ast.Load())),
                ast.Assign([ast.Name(it, ast.Store())], ast.BinOp(itn, ast.Add(), step))]
        loop = ast.While(ast.BoolOp(ast.And(), [test, cond]),
                         [_loc(h, s) for h in head] + body, [])
        loop = _loc(loop, s)
        ast.fix_missing_locations(loop)
        for n in ast.walk(loop):
            if getattr(n, "lineno", None) is None:
                ast.copy_location(n, s)
        return pre + [loop]

    # --- driver ---------------------------------------------------------------------------
    def run(self):
        fn = self.fn
        body = self.restructure(list(fn.body))
        nested = {id(m) for s in body for n in nodes(s) if isinstance(n, ast.FunctionDef)
                  for m in nodes(n)}
        returns = [n for s in body for n in nodes(s) if isinstance(n, ast.Return)
                   and id(n) not in nested]
        if not returns:
            raise self.err("the function must return a value", "missing return", fn)
        simple = (len(returns) == 1 and body and body[-1] is returns[0])
        if simple:
            value = body[-1].value
            if (value is None or (isinstance(value, ast.Constant) and value.value is None)) \
                    and not getattr(body[-1], "implicit_none", False):
                raise self.err("functions must return a value", "return None", body[-1])
            lowered, _ = self.lower_block(body[:-1], None, False)
            fn.body = lowered + [body[-1]]
            self.ret_arity = len(value.elts) if isinstance(value, ast.Tuple) else 0
            return fn
        lowered, _ = self.lower_block(body, None, True)
        if self.retflag in self.flags_read:
            lowered.insert(0, _loc(ast.Assign([ast.Name(self.retflag, ast.Store())],
                                              ast.Constant(False)), fn))
        else:
            lowered = _strip_flag(lowered, self.retflag)
        names = [ast.Name(n, ast.Load()) for n in self.retvars]
        value = ast.Tuple(names, ast.Load()) if self.ret_arity else names[0]
        last = lowered[-1] if lowered else fn
        ret = ast.Return(value)
        ast.copy_location(ret, last)
        ast.fix_missing_locations(ret)
        fn.body = lowered + [ret]
        ast.fix_missing_locations(fn)
        return fn


class _Replace(ast.NodeTransformer):
    """Every read of the name ``mark`` replaced by (a copy of) the expression ``by``."""

    def __init__(self, mark, by):
        self.mark, self.by = mark, by

    def visit_Name(self, node):
        return copy.deepcopy(self.by) if node.id == self.mark else node


def _is_call(node, name) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == name


def _strip_flag(stmts, flag):
    out = []
    for s in stmts:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], ast.Name) and s.targets[0].id == flag:
            continue
        for attr in ("body", "orelse"):
            if isinstance(s, (ast.If, ast.For, ast.While)):
                setattr(s, attr, _strip_flag(getattr(s, attr), flag) or (
                    [ast.copy_location(ast.Pass(), s)] if attr == "body" else []))
        out.append(s)
    return out


def _copy_tree(node):
    """A copy of a syntax tree (the parser's trees share nothing but the ``Load``/``Store``
    context singletons, which stay shared), several times faster than ``copy.deepcopy``."""
    if isinstance(node, ast.AST):
        new = type(node).__new__(type(node))
        new.__dict__.update({k: _copy_tree(v) for k, v in node.__dict__.items()})
        return new
    if isinstance(node, list):
        return [_copy_tree(x) for x in node]
    return node


class _Desugar:
    """Rewrites, before the checks, what Python spells in ways the rest need not know:
    ``print(...)`` statements go; ``f = lambda x: e`` becomes ``def f(x): return e`` (a
    nested def, inlined where called), and so does a lambda called where it is written
    (the def made just before its statement); a loop's ``else`` moves after the loop, under
    ``if not <flag>:`` when a ``break`` of the loop may skip it (the flag set before each)."""

    def __init__(self, fn_node):
        self.taken = names_in(fn_node)

    def fresh(self, base):
        return _fresh(self.taken, base)

    def block(self, stmts):
        out = []
        for s in stmts:
            if isinstance(s, ast.Expr) and _is_call(s.value, "print"):
                continue
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                    isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Lambda):
                out.append(_as_def(s.targets[0].id, s.value, s))
                continue
            if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)):
                # (lambda v: e)(x): the nested def, made just before the statement
                called = _CalledLambdas(self.fresh)
                s = called.visit(s)
                out.extend(_as_def(name, fn, s) for name, fn in called.made)
            for attr in ("body", "orelse"):
                if isinstance(s, (ast.If, ast.For, ast.While)):
                    setattr(s, attr, self.block(getattr(s, attr)))
            if isinstance(s, (ast.For, ast.While)) and s.orelse:
                out.extend(self._loop_else(s))
                continue
            out.append(s)
        return out

    def _loop_else(self, loop):
        rest, loop.orelse = loop.orelse, []
        breaks = list(_own_breaks(loop.body))
        if not breaks:
            return [loop] + rest
        flag = self.fresh("_broke")
        for parent, index in reversed(breaks):     # (later indices first: they stay valid)
            parent.insert(index, _loc(ast.Assign([ast.Name(flag, ast.Store())],
                                                 ast.Constant(True)), parent[index]))
        start = _loc(ast.Assign([ast.Name(flag, ast.Store())], ast.Constant(False)), loop)
        test = _loc(ast.UnaryOp(ast.Not(), ast.Name(flag, ast.Load())), loop)
        return [start, loop, _loc(ast.If(test, rest, []), rest[0])]


def _as_def(name, fn: ast.Lambda, where) -> ast.FunctionDef:
    """``def name(<fn's parameters>): return <fn's body>`` at ``where``'s line."""
    ret = _loc(ast.Return(fn.body), fn.body)
    node = _loc(ast.FunctionDef(name=name, args=fn.args, body=[ret], decorator_list=[],
                                returns=None), where)
    if "type_params" in ast.FunctionDef._fields:      # (Python 3.12 on)
        node.type_params = []
    return ast.fix_missing_locations(node)


class _CalledLambdas(ast.NodeTransformer):
    """Replaces each lambda called where it is written by the name of a def to make, not
    inside a comprehension or another lambda (whose variables it may read)."""

    def __init__(self, fresh):
        self.fresh, self.made = fresh, []

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Lambda):
            name = self.fresh("_lambda")
            self.made.append((name, node.func))
            node.func = _loc(ast.Name(name, ast.Load()), node.func)
        return node

    def _keep(self, node):
        return node

    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _keep


def _own_breaks(stmts):
    """(statement list, index) of each ``break`` of the loop whose body is ``stmts`` (not
    of loops nested in it)."""
    for k, s in enumerate(stmts):
        if isinstance(s, ast.Break):
            yield stmts, k
        elif isinstance(s, ast.If):      # (a nested loop's else is after it already)
            yield from _own_breaks(s.body)
            yield from _own_breaks(s.orelse)


def normalize(fn_node: ast.FunctionDef, err, helper=False) -> tuple[ast.FunctionDef, int]:
    """Check and lower ``fn_node`` (a copy is made). Returns the new node and the
    number of returned values (0: a single value, n: a tuple of n). A ``helper`` (a function
    the user's function calls) without a ``return`` returns None, as in Python: it is called
    for what it writes into the arrays passed in."""
    fn_node = _copy_tree(fn_node)
    fn_node.body = _Desugar(fn_node).block(fn_node.body)
    check(fn_node, err)
    if helper:      # a bare ``return`` (or ``return None``) of a helper returns None too
        returns = [n for n in nodes(fn_node) if isinstance(n, ast.Return)]
        for r in returns:
            if r.value is None or (isinstance(r.value, ast.Constant) and r.value.value is None):
                r.value = ast.copy_location(ast.Constant(None), r)
                r.implicit_none = True
        if not returns or (not isinstance(fn_node.body[-1], ast.Return) and
                           all(getattr(r, "implicit_none", False) for r in returns)):
            implicit = ast.copy_location(ast.Return(ast.Constant(None)), fn_node.body[-1])
            implicit.implicit_none = True
            fn_node.body.append(ast.fix_missing_locations(implicit))
    norm = Normalizer(fn_node, err)
    node = norm.run()
    return node, norm.ret_arity or 0

"""Stage 1 of the frontend: the user's source as an AST, and the names it can see.

``parse_function(fn)`` returns a :class:`Parsed`: the ``ast.FunctionDef`` (decorators stripped,
line numbers absolute in the user's file), the file name, and a :class:`Scope` that resolves a
free name to a closure cell, a global or a builtin of the function.

The source is read from the file (``inspect``), which may have been edited since the module
was imported: then ``fn`` runs the old code while the file holds new code. The file is
therefore compiled again and the function's bytecode compared with ``fn.__code__``; a
difference raises
:class:`DifferentiationError` asking for a reload, so a derivative never belongs to another
version of the function than the one that runs.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field

from ..errors import DifferentiationError


@dataclass
class Scope:
    """Where the free names of one user function come from."""

    globals: dict
    closure: dict = field(default_factory=dict)      # name -> cell
    owner: object = None                             # the Python function

    def lookup(self, name):
        """``(where, value)`` with where in ``closure``/``global``/``builtin``; KeyError."""
        if name in self.closure:
            try:
                return "closure", self.closure[name].cell_contents
            except ValueError:  # empty cell
                raise KeyError(name) from None
        if name in self.globals:
            return "global", self.globals[name]
        if hasattr(builtins, name):
            return "builtin", getattr(builtins, name)
        raise KeyError(name)


@dataclass
class Parsed:
    node: ast.FunctionDef
    name: str
    filename: str
    first_line: int
    scope: Scope


def nodes(tree):
    """Every node of ``tree``, depth first: for questions whose answer is a set (the order
    is not ``ast.walk``'s). One stack instead of ``ast.walk``'s generators per field, which
    walks over a long function paid a third of the frontend's time for."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


def names_in(tree) -> set[str]:
    """The names and parameter names ``tree`` mentions."""
    out = set()
    for node in nodes(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return out


def plain_function(obj):
    """The Python function behind a Numba dispatcher (``@njit``, ``@jit``, ``@vectorize``,
    ``@guvectorize``): what is differentiated, so that users' decorated code works as it is;
    ``obj`` itself when it is not one."""
    if (type(obj).__module__ or "").startswith("numba."):
        inner = getattr(obj, "py_func", None) or getattr(
            getattr(obj, "_dispatcher", None), "py_func", None)
        if inspect.isfunction(inner):
            return inner
    return obj


def parse_function(fn) -> Parsed:
    fn = plain_function(fn)
    name = getattr(fn, "__name__", repr(fn))
    code = getattr(fn, "__code__", None)
    filename = code.co_filename if code is not None else "<unknown>"
    line = code.co_firstlineno if code is not None else None
    if code is None or not inspect.isfunction(fn):
        raise DifferentiationError(f"cannot compile {fn!r}: not a Python function",
                                   construct="call", function=name, filename=filename,
                                   line=line)
    if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                        | inspect.CO_ASYNC_GENERATOR):
        raise DifferentiationError("generators (yield) and coroutines are not supported",
                                   construct="yield", function=name, filename=filename,
                                   line=line)
    if name == "<lambda>":
        return _parse_lambda(fn, filename, line)
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise DifferentiationError(f"source code of '{name}' is not available ({exc})",
                                   construct="source", function=name, filename=filename,
                                   line=line) from None
    source = textwrap.dedent("".join(lines))
    try:    # numbered from the function's first line (blank lines before it: no walk)
        tree = ast.parse("\n" * (start - 1) + source)
    except SyntaxError as exc:
        raise DifferentiationError(f"cannot parse the source of '{name}': {exc.msg}"
                                   f"{_EDITED_HINT}", construct="source", function=name,
                                   filename=filename, line=line) from None
    if not _compiles_to(inspect.unwrap(fn)):
        raise DifferentiationError(
            f"the source of '{name}' in {filename} has changed since the function was "
            f"defined (the file was edited after the module was imported): its derivative "
            f"would not belong to the code that runs. Reload the module "
            f"(importlib.reload) or restart Python, then differentiate again",
            construct="stale source", function=name, filename=filename, line=line)
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef,
                                                          ast.AsyncFunctionDef))), None)
    if node is None or isinstance(node, ast.AsyncFunctionDef):
        raise DifferentiationError(f"'{name}' is not a plain def function",
                                   construct="function", function=name, filename=filename,
                                   line=line)
    node.decorator_list = []
    return _parsed(fn, node, name, filename, node.lineno)


def _parsed(fn, node, name, filename, first_line) -> Parsed:
    """``node`` with ``fn``'s scope: its globals and the cells of its closure."""
    code = fn.__code__
    closure = dict(zip(code.co_freevars, fn.__closure__)) if fn.__closure__ else {}
    return Parsed(node=node, name=name, filename=filename, first_line=first_line,
                  scope=Scope(globals=fn.__globals__, closure=closure, owner=fn))


def _parse_lambda(fn, filename, line) -> Parsed:
    """A ``lambda`` read as the ``def`` it stands for (``def lambda_N(args): return body``,
    N its line): the expression found in its file, as the code was compiled from it."""
    node = _lambda_node(fn, filename, line) if _compiles_to(inspect.unwrap(fn)) else None
    if node is None:
        raise DifferentiationError(
            f"the source of the lambda on line {line} of {filename} is not available (or "
            f"the file changed since it was defined){_EDITED_HINT}", construct="lambda",
            function="<lambda>", filename=filename, line=line)
    name = f"lambda_{line}"
    body = ast.copy_location(ast.Return(node.body), node.body)
    func = ast.copy_location(ast.FunctionDef(name=name, args=node.args, body=[body],
                                             decorator_list=[], returns=None), node)
    ast.fix_missing_locations(func)
    return _parsed(fn, func, name, filename, line)


def _lambda_node(fn, filename, line):
    """The innermost ``lambda`` starting on ``line`` of the file whose span holds every
    position of ``fn``'s code (several lambdas may share a line, one inside another)."""
    try:
        tree = ast.parse("".join(linecache.getlines(filename)), filename)
    except (SyntaxError, ValueError):
        return None
    spots = [(a, c) for a, _, c, end in fn.__code__.co_positions()
             if a is not None and c is not None and (c, end) != (0, 0)]   # (not RESUME)

    def holds(node):
        start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
        return all(start <= spot < end for spot in spots)

    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == line
             and holds(n)]
    return min(found, key=lambda n: (n.end_lineno, n.end_col_offset), default=None)


_EDITED_HINT = (" (if the file was edited after the module was imported, reload the module "
                "with importlib.reload)")
def _compiles_to(fn) -> bool:
    """Whether the file ``fn`` was read from, as it is now, compiles to the code of ``fn``:
    a function of the same qualified name starting on the same line (``inspect`` finds the
    source by that line) with the same bytecode, names and constants. The whole file is
    compiled (cached per text), since CPython compiles an attribute call on an imported
    module differently from one on another name."""
    code = fn.__code__
    text = "".join(linecache.getlines(code.co_filename))
    module = _compile_module(text, code.co_filename, _assert_rewriter(fn))
    return module is not None and any(
        _same_code(c, code) for c in _code_objects(module)
        if c.co_qualname == code.co_qualname and c.co_firstlineno == code.co_firstlineno)


def _assert_rewriter(fn):
    """pytest's import hook when it loaded ``fn``'s module, else None. pytest rewrites the
    ``assert`` statements of test modules as it imports them, so their functions' bytecode
    is that of the rewritten tree: the file is compiled the same way to compare."""
    loader = fn.__globals__.get("__loader__")
    return loader if type(loader).__name__ == "AssertionRewritingHook" else None


@functools.lru_cache(maxsize=16)
def _compile_module(text, filename, assert_rewriter=None):
    try:
        tree = ast.parse(text, filename)
        if assert_rewriter is not None:
            from _pytest.assertion.rewrite import rewrite_asserts

            rewrite_asserts(tree, text.encode(), filename, getattr(assert_rewriter, "config",
                                                                   None))
        return compile(tree, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, ImportError):
        return None


def _code_objects(code):
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield c
            yield from _code_objects(c)


def _same_code(a, b) -> bool:
    """Same bytecode, names and constants (line numbers aside: moving a function in its
    file does not change what it computes)."""
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars, a.co_argcount,
            a.co_kwonlyargcount, a.co_posonlyargcount) != (
            b.co_code, b.co_names, b.co_varnames, b.co_freevars, b.co_cellvars,
            b.co_argcount, b.co_kwonlyargcount, b.co_posonlyargcount):
        return False
    return len(a.co_consts) == len(b.co_consts) and all(
        _same_constant(x, y) for x, y in zip(a.co_consts, b.co_consts))


def _same_constant(x, y) -> bool:
    if type(x) is not type(y):
        return False
    if isinstance(x, types.CodeType):
        return _same_code(x, y)
    if isinstance(x, (tuple, frozenset)):
        return len(x) == len(y) and all(_same_constant(p, q) for p, q in
                                        zip(sorted(x, key=repr) if isinstance(x, frozenset)
                                            else x,
                                            sorted(y, key=repr) if isinstance(y, frozenset)
                                            else y))
    return repr(x) == repr(y)

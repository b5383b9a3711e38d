"""Stage 1 of the frontend: the user's source as an AST, and the names it can see.

``parse_function(fn)`` returns a :class:`Parsed`: the ``ast.FunctionDef`` (decorators stripped,
line numbers absolute in the user's file), the file name, and a :class:`Scope` that resolves a
free name to a closure cell, a global or a builtin of the function.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
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
    if name == "<lambda>":
        raise DifferentiationError("lambda functions are not supported (use def)",
                                   construct="lambda", function=name, filename=filename,
                                   line=line)
    if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE
                        | inspect.CO_ASYNC_GENERATOR):
        raise DifferentiationError("generators (yield) and coroutines are not supported",
                                   construct="yield", function=name, filename=filename,
                                   line=line)
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise DifferentiationError(f"source code of '{name}' is not available ({exc})",
                                   construct="source", function=name, filename=filename,
                                   line=line) from None
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise DifferentiationError(f"cannot parse the source of '{name}': {exc.msg}",
                                   construct="source", function=name, filename=filename,
                                   line=line) from None
    ast.increment_lineno(tree, start - 1)
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef,
                                                          ast.AsyncFunctionDef))), None)
    if node is None or isinstance(node, ast.AsyncFunctionDef):
        raise DifferentiationError(f"'{name}' is not a plain def function",
                                   construct="function", function=name, filename=filename,
                                   line=line)
    node.decorator_list = []
    closure = {}
    if fn.__closure__:
        closure = dict(zip(code.co_freevars, fn.__closure__))
    scope = Scope(globals=fn.__globals__, closure=closure, owner=fn)
    return Parsed(node=node, name=name, filename=filename, first_line=node.lineno,
                  scope=scope)

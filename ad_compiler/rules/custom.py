"""User-defined derivative rules: ``@ad.custom_vjp``, ``ad.defvjp(fn, rule)``, ``ad.defjvp``.

Registering a user function ``fn`` makes it a *primitive* of the one rule table
(:data:`ad_compiler.rules.PRIMITIVES`), named ``custom_<qualname>``:

* its ``impl`` is ``fn`` itself; generated code calls it as ``_rt.custom_<qualname>(...)``
  (it is added to the runtime helpers module, with a Numba overload that compiles ``fn``'s
  body, so ``fn`` must be njit-able for ``backend="numba"``);
* its vjp/jvp rules wrap the user's rules, which are written like the table's own:
  ``vjp(o, g, ans, *operands) -> cotangent`` (a tuple, one per operand, when ``fn`` has
  several parameters; ``None`` for no gradient) and ``jvp(o, tangents, ans, *operands) ->
  tangent`` (``tangents[i]`` is ``None`` for a zero tangent). ``o`` is the ops namespace:
  ``o.exp``, ``o.sum(x, axis=0)``, ``o.where``... and operators on the operands. A rule may
  call another registered function through ``getattr(o, other.primitive)(...)``.

The frontend, meeting a call of a registered function (:func:`primitive_for`), emits one
``Prim`` instead of inlining the body; :func:`primitive_for` also maps the runtime helpers
``_rt.NAME`` of generated code back to their primitives (so generated code re-parses, which
``ad.hessian`` and ``ad.grad(ad.grad(f))`` rely on).

Forward mode without a ``defjvp`` rule derives the tangent from the vjp rules as for the
table's elementwise primitives (``jvp = sum_i vjp_i(t_i)``), which is right for scalar and
elementwise functions only: a function of arrays that is not elementwise raises a
``DifferentiationError`` there (declare ``elementwise=False``... give it a jvp rule).
"""

from __future__ import annotations

import ast
import inspect
import re

from ..errors import DifferentiationError
from .table import PRIMITIVES, SEQUENCE_OPERANDS, Syntax, defprim

_BY_FUNCTION: dict[int, tuple[object, str]] = {}
_SCALAR_KINDS = ("float", "int", "bool")


def _helpers():
    from ..backends import helpers

    return helpers


def primitive_for(obj) -> str | None:
    """The primitive a call of ``obj`` is compiled to (``None``: not a primitive).

    Covers registered user functions and the runtime helpers of generated code."""
    hit = _BY_FUNCTION.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    namespace = vars(_helpers())
    for name in _helper_names().get(id(obj), ()):
        if namespace.get(name) is not obj:     # (an id the map holds reused since)
            continue
        for prim in PRIMITIVES.values():
            syntax = prim.syntax
            if syntax is not None and (
                    (syntax.form == "helper" and syntax.symbol == name)
                    # the emitter prints np.NAME with non-default attributes as _rt.NAME
                    or (syntax.form == "call" and syntax.symbol == f"np.{name}")):
                return prim.name
    if (getattr(obj, "__module__", None) or "").startswith("ad_compiler.rules."):
        # ``_rt.NAME`` that the helpers module resolves lazily to a record's own Python body
        # (``_rt.roll``, ``_rt.fft_r2c``): generated code read back (hessian) calls these
        for prim in PRIMITIVES.values():
            if prim.impl is obj and prim.syntax is not None and prim.syntax.form == "helper":
                return prim.name
    return None


_HELPER_NAMES = [-1, {}]     # [the size of the helpers' namespace it was built from, names]


def _helper_names() -> dict:
    """id(function) -> the names under which the helpers module (``_rt``) exposes it,
    rebuilt when that namespace grew (it only grows: names resolved lazily are added; the
    frontend asks once per call, so the check must be cheap)."""
    namespace = vars(_helpers())
    if _HELPER_NAMES[0] != len(namespace):
        names: dict = {}
        for name, value in namespace.items():
            if callable(value) and not name.startswith("_"):
                names.setdefault(id(value), []).append(name)
        _HELPER_NAMES[:] = [len(namespace), names]
    return _HELPER_NAMES[1]


def _register_numba(fn, argnames):
    try:
        from numba.extending import overload
    except ImportError:  # pragma: no cover
        return
    params = ", ".join(argnames)
    ns = {"fn": fn}
    exec(f"def typer({params}):\n    return fn\n", ns)
    overload(fn)(ns["typer"])


def register(fn, *, elementwise=None):
    """Make ``fn`` a primitive (idempotent); returns its primitive name."""
    name = primitive_for(fn)
    if name is not None and name.startswith("custom_"):
        return name
    if not inspect.isfunction(fn):
        raise TypeError(f"custom rules need a Python function, got {fn!r}")
    sig = inspect.signature(fn)
    argnames = [p.name for p in sig.parameters.values()]
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
           for p in sig.parameters.values()):
        raise TypeError(f"custom rules need a function of positional parameters: "
                        f"{fn.__qualname__}{sig}")
    base = "custom_" + re.sub(r"\W", "_", fn.__qualname__.replace(".<locals>.", "_"))
    name, k = base, 1
    while name in PRIMITIVES:
        k += 1
        name = f"{base}_{k}"
    prim = defprim(name, len(argnames), fn, Syntax("helper", name),
                   elementwise=bool(elementwise))
    prim.vjps = tuple(_missing_vjp(fn, i) for i in range(len(argnames)))
    prim.jvp = _derived_jvp(fn, prim, elementwise)
    setattr(_helpers(), name, fn)
    _register_numba(fn, argnames)
    _BY_FUNCTION[id(fn)] = (fn, name)
    fn.primitive = name
    fn.defvjp = lambda *rules: defvjp(fn, *rules)
    fn.defjvp = lambda rule: defjvp(fn, rule)
    return name


def _missing_vjp(fn, i):
    def rule(o, g, ans, *xs, **attrs):
        raise DifferentiationError(f"custom function '{fn.__qualname__}' has no vjp rule "
                                   f"(register one with ad.defvjp)", construct=fn.__name__)
    rule.missing = True
    return rule


def _kind(x):
    value = getattr(x, "value", None)
    kind = getattr(value, "kind", None)
    if kind is not None:
        return kind
    import numpy as np

    return "array" if np.ndim(x) else "float"


def _derived_jvp(fn, prim, elementwise):
    def jvp(o, tangents, ans, *xs, **attrs):
        if elementwise is not True and any(
                t is not None and _kind(x) == "array" for t, x in zip(tangents, xs)):
            raise DifferentiationError(
                f"forward mode through custom function '{fn.__qualname__}' of arrays needs "
                f"a jvp rule: ad.defjvp({fn.__name__}, rule) (or declare it "
                f"elementwise=True)", construct=fn.__name__)
        total = None
        for rule, t in zip(prim.vjps, tangents):
            if t is None or rule is None:
                continue
            term = rule(o, t, ans, *xs, **attrs)
            if term is None:
                continue
            total = term if total is None else total + term
        return total

    jvp.derived = True
    return jvp


def custom_vjp(fn=None, *, elementwise=None):
    """Decorator: ``fn`` becomes a primitive whose derivative is given by rules
    (:func:`defvjp`, :func:`defjvp`, or ``fn.defvjp(rule)``) instead of its body."""
    if fn is None:
        return lambda f: custom_vjp(f, elementwise=elementwise)
    register(fn, elementwise=elementwise)
    return fn


custom_jvp = custom_vjp


def defvjp(fn, *rules):
    """Register the vector-Jacobian rule(s) of user function ``fn`` (registering ``fn``
    if needed). One rule for a function of several parameters returns a tuple of
    cotangents; or pass one rule per parameter. Returns ``fn``."""
    name = register(fn)
    prim = PRIMITIVES[name]
    if len(rules) == 1 and prim.nargs != 1:
        (rule,) = rules

        def per_operand(i):
            def vjp(o, g, ans, *xs, **attrs):
                out = rule(o, g, ans, *xs, **attrs)
                if not isinstance(out, (tuple, list)) or len(out) != prim.nargs:
                    raise DifferentiationError(
                        f"the vjp rule of '{fn.__qualname__}' must return a tuple of "
                        f"{prim.nargs} cotangents", construct=fn.__name__)
                return out[i]
            return vjp

        prim.vjps = tuple(per_operand(i) for i in range(prim.nargs))
    elif len(rules) == prim.nargs:
        prim.vjps = tuple(rules)
    else:
        raise TypeError(f"defvjp({fn.__name__}, ...): give one rule, or one per parameter "
                        f"({prim.nargs})")
    return fn


def defjvp(fn, rule):
    """Register the Jacobian-vector rule ``rule(o, tangents, ans, *operands)`` of user
    function ``fn`` (registering ``fn`` if needed). Returns ``fn``."""
    name = register(fn)
    PRIMITIVES[name].jvp = rule
    return fn


__all__ = ["custom_vjp", "custom_jvp", "defvjp", "defjvp", "primitive_for", "register"]


def call_primitive(builder, name, node):
    """The frontend's lowering of a call ``fn(*args, **static)`` of a registered function
    or runtime helper to one ``Prim(name)`` (``builder`` is the frontend's SSA builder)."""
    prim = PRIMITIVES[name]
    attrs = builder.kwargs(node, set(prim.attrs)) if node.keywords else {}
    if name in SEQUENCE_OPERANDS and len(node.args) == 1:    # _rt.stack((a, b), axis=1)
        args = builder.sequence(node.args[0])
    else:   # a runtime helper's tuple operand is printed as a tuple (concat_part's parts)
        args = [builder.prim("tuple", builder.sequence(a), kind="shape")
                if isinstance(a, ast.Tuple) and not name.startswith("custom_")
                else builder.value(a) for a in node.args]
    if prim.result_kind is not None or prim.elementwise:
        return builder.prim(name, args, {**prim.attrs, **attrs} if attrs else None)
    kinds = {a.kind for a in args}
    kind = "array" if "array" in kinds else "any" if "any" in kinds else "float"
    return builder.prim(name, args, attrs or None, kind=kind)

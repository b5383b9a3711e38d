"""The frontend: Python source -> SSA IR, in three printable stages.

``parse`` (source, globals, closures) -> ``normalize`` (break/continue/return lowered on the
AST) -> ``ssa`` (structured SSA, user functions inlined). :func:`build_ir` runs them all.
"""

from .ir import Function


def build_ir(fn, trees=None, leaf_kinds=None) -> Function:
    """The SSA IR of the Python function ``fn``; raises DifferentiationError for code it
    cannot compile (naming the construct, the function and file:line). ``trees`` and
    ``leaf_kinds`` describe container (pytree) arguments, flattened into one parameter per
    leaf (see :func:`.ssa.build_function`)."""
    from .ssa import build_function

    return build_function(fn, trees, leaf_kinds)


def free_var_values(ir_fn: Function) -> list:
    """The current values of ``ir_fn.free_vars`` (globals and closure cells the function
    reads), to pass after the user's arguments at every call."""
    getters = getattr(ir_fn, "free_var_getters", None)
    if getters is None or len(getters) != len(ir_fn.free_vars):
        raise ValueError("this Function was not built by build_ir (no free variable getters)")
    return [g() for g in getters]


__all__ = ["build_ir", "free_var_values"]

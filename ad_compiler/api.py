"""The reverse-mode transforms users call: ``grad``, ``value_and_grad``, ``vjp``, ``show``.

Each is a thin :class:`~ad_compiler.pipeline.Transformed` over the one pipeline
(:mod:`ad_compiler.pipeline`): the arguments are bound, flattened (pytrees) and checked at
the door, the derivative is specialised to their kinds and compiled once per kind, and the
current values of the function's globals and closure cells are passed on every call, so
that a changed global is never frozen.
"""

from __future__ import annotations

import numpy as np

from .errors import DifferentiationError
from .frontend import free_var_values
from .pipeline import (Options, Spec, Transformed, as_output, is_device_array, kind_of,
                       pipeline_of, shared_arguments, unflatten_like)
from .pytree import flatten, is_node


class DerivativeFunction(Transformed):
    """A compiled reverse-mode derivative (``grad``, ``value_and_grad``, the function behind
    ``vjp``) of a user function, with its generated source at hand.

    ``.source`` is the generated Python module (readable, with the user's line as a comment
    on each statement) for the last call's argument kinds, or before any call for the kinds
    its header says it assumed; ``.ir`` the text of the SSA IR of the user's function."""

    def __init__(self, fn, wrt=0, *, backend="numba", fastmath=False, kind="grad",
                 checkpoint=None, has_aux=False, boundscheck=None, parallel=None):
        self._arguments = dict(wrt=wrt, backend=backend, fastmath=fastmath, kind=kind,
                               checkpoint=checkpoint, has_aux=has_aux,
                               boundscheck=boundscheck, parallel=parallel)
        self.kind = self.transform = kind
        self.has_aux = has_aux
        if parallel is None:     # as the user's @njit(parallel=...) says; else serial
            from .transforms.parallel import declared_parallel

            parallel = declared_parallel(fn)
        options = Options(backend, fastmath, checkpoint, boundscheck, parallel)
        positions, self.single = pipeline_of(fn).signature.wrt(wrt)
        super().__init__(fn, Spec("reverse", positions, options, has_aux=has_aux,
                                  value=kind != "grad" or has_aux or backend == "cuda"))
        self.checkpoint = options.checkpoint
        self._known_calls = {}

    def _init_args(self):
        return self._arguments

    # -- running -------------------------------------------------------------------------
    def vjp_call(self, call, seeds):
        """``(outputs, flat gradients)`` of one run of the compiled adjoint."""
        stage = self.stage_for(call)
        nout = len(stage.ir.body.yields) - len(stage.wrt)
        if self.backend == "cuda":
            keep = list(range(nout, stage.compiled.nresults)) \
                if self.kind == "grad" and not self.has_aux else None
            results = stage.compiled(*call.arguments, *seeds, keep=keep)
            return ((None,) * nout, results) if keep else (results[:nout], results[nout:])
        results = stage.compiled(*call.arguments, *seeds)
        return results[:nout], results[nout:]

    def cuda_launch(self, args):
        """``(kernel arguments, results kept)`` of a cuda call with ``args``."""
        call = self.pipeline.prepare(args, None, self.wrt, self.backend)
        nout = len(self.primal_ir.body.yields)
        keep = list(range(nout, nout + len(self.wrt))) \
            if self.kind == "grad" and not self.has_aux else None
        return call.arguments + [1.0] * self.stage_for(None).differentiated_outputs, keep

    def gradients(self, call, flat):
        """The flat gradients regrouped per ``wrt`` argument, in its structure."""
        out, k = [], 0
        for i in self.wrt:
            group = call.groups[i]
            leaves = [in_dtype_of(g, call.leaves[j]) for g, j in zip(flat[k:k + len(group)],
                                                                    group)]
            out.append(unflatten_like(call.trees[i], leaves))
            k += len(group)
        return tuple(out)

    def primal_call(self, call):
        """``f(*args)`` run by the compiled primal (specialised to the argument kinds), in
        the structure ``f`` returns."""
        stage = self.pipeline.stage(Spec("primal", (), self.spec.options), call.trees,
                                    call.kinds, ())
        out = stage.compiled(*call.arguments)
        return self.structured_outputs(stage, out if stage.primal.returns_tuple else (out,))

    @staticmethod
    def structured_outputs(stage, flat):
        """The flat outputs of a compiled call in the structure the user function returns."""
        return unflatten_like(stage.output_tree, flat)

    def _not_scalar(self, what):
        return DifferentiationError(
            f"grad requires a function with a scalar output, but "
            f"{self.user_name} returned {what}; use ad.vjp or ad.jacobian for "
            f"non-scalar outputs", **self.pipeline.where)

    def __call__(self, *args, **kwargs):
        known = None if kwargs else self._known_calls.get(_plain_key(args))
        if known is not None:
            result = known(args)
            if result is not _SLOW:
                return result
        call = self.prepare(args, kwargs)
        stage = self.stage_for(call)
        if self.backend != "cuda":
            yields = stage.ir_primal_outputs()
            if len(yields) != 1:
                raise self._not_scalar(f"a tuple of {len(yields)} values" if not
                                       self.has_aux else "not a pair (value, aux)")
            if yields[0].ndim not in (0, None):
                raise self._not_scalar(f"an array of {yields[0].ndim} dimensions")
        try:
            outputs, flat = self.vjp_call(call, [1.0])
        except (IndexError, DifferentiationError):
            raise   # an index out of bounds (naming the user's line), or a refusal
        except Exception:
            # a scalar seed for an array output fails inside the adjoint: say what is wrong
            out = self.user_function(*args, **kwargs) if self.backend != "cuda" else 0.0
            out = out[0] if self.has_aux else out
            if np.ndim(out) != 0:
                raise self._not_scalar(f"an array of shape {np.shape(out)}") from None
            raise
        if self.backend != "cuda" and outputs and np.ndim(outputs[0]) != 0:
            raise self._not_scalar(f"an array of shape {np.shape(outputs[0])}")
        grads = self.gradients(call, flat)
        gradient = grads[0] if self.single else grads
        if not kwargs:
            self._remember(args, call, stage, len(outputs))
        if self.kind != "value_and_grad" and not self.has_aux:
            return gradient
        value = as_output(outputs[0])
        if self.has_aux:     # an output of the same compiled call
            value, aux = self.structured_outputs(stage, outputs)
            if self.kind == "value_and_grad":
                return (value, aux), gradient
            return gradient, aux
        return value, gradient

    def _remember(self, args, call, stage, nout):
        """Keep a direct route for later calls whose arguments have the same types, dtypes
        and ranks as ``args``: the door's binding, flattening and checks (tens of
        microseconds, more than a small adjoint runs) are decided by those alone. Only the
        free variables are read again at every call; a change of their kinds takes the
        door again."""
        key = _plain_key(args)
        if key is None or self.backend == "cuda" or self.has_aux or \
                len(call.leaves) != len(args):
            return
        compiled, wrt, single = stage.compiled, self.wrt, self.single
        if all(k[2] for k in key if isinstance(k, tuple)):
            # C-contiguous arrays: Numba's dispatcher itself (the wrappers between make
            # strided arrays contiguous and word an IndexError, which the door does again)
            compiled = getattr(compiled, "dispatcher", compiled)
        value_too = self.kind == "value_and_grad"
        ir = self.pipeline.primal_ir()
        free_kinds = call.kinds[len(args):]
        # arguments it writes into: two that share memory take the door, which refuses them
        written = stage.written_arguments()

        # float64 gradients need no conversion (float32 ones do, see in_dtype_of)
        as_is = all(not isinstance(key[i], tuple) or key[i][0] == np.float64 for i in wrt)

        def known(args):
            free = free_var_values(ir) if free_kinds else ()
            if free and tuple(kind_of(v) for v in free) != free_kinds:
                return _SLOW
            if written and any(i in written or j in written
                               for i, j in shared_arguments((*args, *free))):
                return _SLOW
            try:
                results = compiled(*args, *free, 1.0)
            except Exception:
                return _SLOW           # the door runs it again and words what went wrong
            if nout and np.ndim(results[0]) != 0:     # nout 0: a static scalar, not computed
                return _SLOW
            self._last_key = call
            if single and as_is and not value_too:
                return results[nout]
            grads = tuple(in_dtype_of(results[nout + k], args[i]) for k, i in enumerate(wrt))
            gradient = grads[0] if single else grads
            return (as_output(results[0]), gradient) if value_too else gradient

        self._known_calls[key] = known

    # -- composition ---------------------------------------------------------------------
    def source_function(self, kinds, trees=None):
        """A plain Python function of the same parameters (this derivative's generated
        source for ``kinds`` plus a short wrapper calling it, loaded from a real file) that
        the frontend parses when a transform is applied to this derivative. Container
        arguments (``trees``): the wrapper takes them as they are, passes their leaves, and
        returns each gradient in its argument's structure."""
        from .backends.python import load_module
        from .frontend import free_var_values
        from .pytree import LEAF, leaf_paths

        if self.has_aux or self.backend == "cuda":
            return super().source_function(kinds)
        trees = trees or (LEAF,) * len(self.pipeline.signature.names)
        groups, start = [], 0
        for t in trees:
            groups.append(range(start, start + t.num_leaves))
            start += t.num_leaves
        flat_wrt = tuple(j for i in self.wrt for j in groups[i])
        stage = self.pipeline.stage(self.spec, None if all(t is LEAF for t in trees)
                                    else tuple(trees), kinds, flat_wrt)
        ir = stage.primal
        params = [p.name for p in ir.params]
        free = [v.name for v in ir.free_vars]
        nout = len(ir.body.yields)
        names = self.pipeline.signature.names
        lines = [f"    {leaf} = {path}" for user, t, group in zip(names, trees, groups)
                 for leaf, path in zip((params[j] for j in group), leaf_paths(user, t))
                 if leaf != path]
        grads = [f"_g{k}" for k in range(len(flat_wrt))]
        outs = [f"_o{k}" for k in range(len(stage.ir.body.yields) - len(grads))]
        classes = {}
        per_argument, k = [], 0
        for i in self.wrt:
            n = trees[i].num_leaves
            per_argument.append(_expression(trees[i], grads[k:k + n], classes))
            k += n
        gradient = per_argument[0] if self.single else f"({', '.join(per_argument)},)"
        result = f"{outs[0]}, {gradient}" if self.kind == "value_and_grad" else gradient
        name = f"{ir.name}_{self.kind}"
        lines.append(f"    {', '.join(outs + grads)}, = {stage.ir.name}("
                     f"{', '.join(params + free + ['1.0'] * nout)})")
        wrapper = (f"\n\ndef {name}({', '.join(names)}):\n" + "\n".join(lines)
                   + f"\n    return {result}\n")
        module = load_module(stage.source + wrapper, f"adc_{name}")
        for v, value in [*zip(free, free_var_values(ir)), *classes.items()]:
            setattr(module, v, value)   # the wrapper reads these as module globals
        fn = getattr(module, name)
        # ... free variables the pipeline reads at every call through the user's getters
        fn.free_var_getters = dict(zip(free, ir.free_var_getters))
        return fn


_SLOW = object()
_PLAIN_SCALARS = (float, int, bool)


def _plain_key(args):
    """The types, dtypes, ranks (and C-contiguity) of positional arguments that are all
    plain floats, ints, bools and NumPy arrays (None otherwise): what the door's checks
    depend on."""
    key = []
    for a in args:
        t = type(a)
        if t is np.ndarray:
            key.append((a.dtype, a.ndim, a.flags.c_contiguous))
        elif t in _PLAIN_SCALARS:
            key.append(t)
        else:
            return None
    return tuple(key)


def _expression(tree, leaves, classes) -> str:
    """Python source building the pytree ``tree`` from the names ``leaves``; the NamedTuple
    and dataclass classes it calls are added to ``classes`` (name -> class)."""
    it = iter(leaves)

    def build(t):
        if t.kind == "leaf":
            return next(it)
        items = [build(c) for c in t.children]
        if t.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(t.keys, items)) + "}"
        if t.kind in ("namedtuple", "dataclass"):
            cls = f"_adc_class{len(classes)}"
            classes[cls] = t.cls
            return f"{cls}(" + ", ".join(f"{k}={v}" for k, v in zip(t.keys, items)) + ")"
        return f"[{', '.join(items)}]" if t.kind == "list" else f"({', '.join(items)},)"

    return build(tree)


def in_dtype_of(gradient, argument):
    """A gradient in its argument's float dtype (float32 in, float32 out), as in JAX and
    PyTorch; the adjoint itself accumulates in float64."""
    if isinstance(argument, np.ndarray) and argument.dtype.kind == "f" \
            and argument.dtype != np.float64:
        return np.asarray(gradient, dtype=argument.dtype)
    return gradient


def _decorator(kind):
    def transform(f=None, wrt=0, *, backend="numba", fastmath=False, checkpoint=None,
                  has_aux=False, boundscheck=None, parallel=None):
        def make(g):
            return DerivativeFunction(g, wrt, backend=backend, fastmath=fastmath, kind=kind,
                                      checkpoint=checkpoint, has_aux=has_aux,
                                      boundscheck=boundscheck, parallel=parallel)
        return make if f is None else make(f)

    transform.__name__ = kind
    return transform


grad = _decorator("grad")
grad.__doc__ = """The gradient of a scalar function: ``ad.grad(f, wrt=0)(*args)``.

    Usable as ``@ad.grad`` or ``@ad.grad(wrt=(0, 1))``; ``wrt`` a tuple gives a tuple, and
    names parameters by position or by name (``wrt="k"``, ``wrt=("k", "c")``). A container
    argument (tuple, list, dict, NamedTuple of floats and arrays) gets a gradient of the same
    structure. ``has_aux=True``: ``f`` returns ``(value, aux)``; the result is
    ``(gradient, aux)`` (``((value, aux), gradient)`` for ``value_and_grad``).

    ``checkpoint=C`` bounds the memory of long loops: every outermost ``for`` loop that
    carries values runs in segments of ``C`` iterations (``"auto"`` or ``True``:
    ``ceil(sqrt(trip count))``, chosen at run time). The forward sweep records only the
    carried values at the start of each segment (and a copy of each array the loop stores
    into and reads); the reverse sweep re-runs each segment from its snapshot, recording it
    on tapes of ``C`` iterations, then reverses it. Tape memory O(n/C + C) instead of O(n),
    for about one more forward sweep. ``while`` loops are not split (those nested in a split
    ``for`` are re-run with it). Not available with the cuda backend.

    ``boundscheck``: the numba backend checks every index (an ``IndexError`` naming the
    line; one check per loop nest where indices are affine in the loop indices) unless
    ``boundscheck=False`` (or ``NUMBA_BOUNDSCHECK=0`` with the default None); ``"numba"``:
    Numba's own check on every access; see :mod:`ad_compiler.backends.bounds`.

    ``parallel=True``, as Numba's (the default, None, takes it from ``f``'s own
    ``@njit(parallel=...)``, else False): ``prange`` loops run on all cores, in the primal
    sweep and in the adjoint, where no two iterations write the same memory (scatters into a
    shared adjoint accumulate into one copy per thread); see
    :mod:`ad_compiler.transforms.parallel`. The python backend runs them serially."""
value_and_grad = _decorator("value_and_grad")
value_and_grad.__doc__ = """``(f(*args), gradient)`` from one forward and one reverse sweep."""


def float_arguments(values) -> tuple:
    """Positions of the arguments that are differentiated by default (``vjp``, ``jvp``):
    floats, float arrays, and containers whose leaves all are."""
    def is_float(v):
        if isinstance(v, np.ndarray) or is_device_array(v):
            return np.dtype(v.dtype).kind in "fc"
        return isinstance(v, (float, np.floating, complex))

    out = []
    for i, v in enumerate(values):
        leaves = flatten(v)[0] if is_node(v) else [v]
        if leaves and all(map(is_float, leaves)):
            out.append(i)
    return tuple(out)


def check_like(given, expected, what, fname):
    """``given`` (a cotangent or tangent) as float64 copies, checked against ``expected``
    (the outputs or primals) leaf by leaf: same structure, shape and a real dtype (as
    ``jax.vjp``/``jax.jvp`` check them). The caller's arrays are never modified."""
    g_leaves, g_tree = flatten(given)
    e_leaves, e_tree = flatten(expected)
    if g_tree != e_tree:
        raise TypeError(f"{fname}: {what} has structure {g_tree}, but it must match "
                        f"{e_tree}")
    out = []
    for g, e in zip(g_leaves, e_leaves):
        if np.iscomplexobj(g):
            raise DifferentiationError(f"{fname}: complex {what}s are not supported",
                                       construct="complex", function=fname)
        a = np.array(g, dtype=np.float64)     # a copy: generated code may write into it
        if a.shape != np.shape(e):
            raise ValueError(f"{fname}: shape of {what} {a.shape} must be the same as the "
                             f"shape of the corresponding value {np.shape(e)}")
        if np.asarray(g).dtype.kind not in "fiub":
            raise TypeError(f"{fname}: {what} must hold real numbers, got dtype "
                            f"{np.asarray(g).dtype}")
        out.append(a if a.ndim else float(a))
    return out


def _arguments_at_call(d, call):
    """A function giving ``call`` with the values its arguments have now: the arrays the
    primal writes into (f writing into its arguments) are saved, and each pullback runs on
    fresh copies of them (it ran on what the primal, then the pullback before, left)."""
    from dataclasses import replace

    from .analysis.memory import Memory

    primal = d.pipeline.stage(Spec("primal", (), d.spec.options), call.trees, call.kinds,
                              ()).ir
    written = Memory(primal).written
    if len(primal.params) != len(call.leaves):
        positions = [k for k, a in enumerate(call.leaves) if isinstance(a, np.ndarray)]
    else:
        positions = [k for k, p in enumerate(primal.params)
                     if id(p) in written and isinstance(call.leaves[k], np.ndarray)]
    if not positions:
        return lambda: call
    saved = {k: call.leaves[k].copy() for k in positions}

    def fresh():
        leaves = [saved[k].copy() if k in saved else a for k, a in enumerate(call.leaves)]
        return replace(call, leaves=leaves)
    return fresh


def vjp(f, *primals, backend="numba", has_aux=False, boundscheck=None):
    """``(out, pullback)`` (``(out, pullback, aux)`` with ``has_aux``): ``pullback(cotangent)``
    gives one cotangent per primal (None for integer and boolean primals, which are not
    differentiated), for any output shape; containers in, containers out."""
    wrt = float_arguments(primals)
    d = DerivativeFunction(f, wrt if wrt else 0, backend=backend, kind="vjp",
                           has_aux=has_aux, boundscheck=boundscheck)
    call = d.prepare(primals)
    at_call = _arguments_at_call(d, call)
    outs = d.primal_call(call)
    aux = None
    if has_aux:
        d.stage_for(call).differentiated_outputs      # a pair (value, aux), or an error
        outs, aux = outs
    fname = f"vjp of {d.user_name}"

    def pullback(cotangent):
        seeds = check_like(cotangent, outs, "cotangent", fname)
        _, flat = d.vjp_call(at_call(), seeds)
        by_position = dict(zip(d.wrt, d.gradients(call, flat))) if wrt else {}
        return tuple(by_position.get(i) for i in range(len(primals)))

    return (outs, pullback, aux) if has_aux else (outs, pullback)


def show(f_or_derivative, *example_args, wrt=0, **example_kwargs):
    """Print the generated derivative source of a function or of a derivative function:
    for the given example arguments, or before any call for the kinds it assumes."""
    d = f_or_derivative if isinstance(f_or_derivative, Transformed) else \
        DerivativeFunction(f_or_derivative, wrt, backend="python")
    print(d.show(*example_args, **example_kwargs) if example_args or example_kwargs
          else d.source)

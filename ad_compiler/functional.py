"""Function transforms beyond the gradient: ``jvp``, ``jacobian``, ``hessian``, ``hvp``, and
the custom-rule API (``custom_vjp``, ``defvjp``, ``defjvp``).

Each is a thin :class:`~ad_compiler.pipeline.Transformed` over the one pipeline:

* ``jvp`` is the forward-mode spec: tangent code, one sweep, no tape.
* ``jacobian`` is the jvp (forward mode) or vjp (reverse mode) spec looped over basis
  vectors in IR (:mod:`ad_compiler.transforms.basis`): one function ``<f>_jacfwd`` /
  ``<f>_jacrev`` that fills the dense Jacobian in ONE compiled call, not one Python call
  per column. It is specialised on which inputs and outputs are arrays (output shapes come
  from the specialised IR, or a run of the compiled primal when they are arrays).
* ``hessian`` and ``hvp`` are the forward-over-reverse spec (see
  :meth:`ad_compiler.pipeline.Pipeline.forward_over_reverse`). ``hvp`` is one call of that
  function with tangent ``v``; ``hessian`` loops it over the basis, as ``jacobian`` does.

Any of them accepts a derivative function (``ad.jacobian(ad.grad(f))``): the pipeline parses
its generated source for the call's argument kinds (composition happens there, once).
"""

from __future__ import annotations

import numpy as np

from .api import check_like, float_arguments, in_dtype_of
from .errors import DifferentiationError
from .pipeline import (Options, Spec, Transformed, as_output, is_device_array, pipeline_of,
                       unflatten_like)
from .pytree import unflatten
from .rules.custom import custom_jvp, custom_vjp, defjvp, defvjp  # noqa: F401  (re-export)

__all__ = ["jvp", "jacobian", "hessian", "hvp", "custom_vjp", "custom_jvp", "defvjp",
           "defjvp", "ForwardFunction"]


def source_function(f):
    """``f`` itself for a plain function; for a derivative function a plain Python function
    of the same parameters loaded from its generated source (for the kinds it assumes)."""
    if not isinstance(f, Transformed):
        return f
    return f.source_function(f.pipeline.assumed_kinds())


# ---------------------------------------------------------------------------------------------
# forward mode
# ---------------------------------------------------------------------------------------------

class ForwardFunction(Transformed):
    """The compiled forward-mode derivative (jvp function) of ``f`` w.r.t. ``wrt``:
    ``<f>_jvp(*params, *free_vars, *tangents) -> (*outputs, *output_tangents)``."""

    transform = "jvp"

    def __init__(self, f, wrt, *, backend="numba", fastmath=False, boundscheck=None,
                 has_aux=False):
        self._arguments = dict(wrt=wrt, backend=backend, fastmath=fastmath,
                               boundscheck=boundscheck, has_aux=has_aux)
        positions, _ = pipeline_of(f).signature.wrt(wrt)
        super().__init__(f, Spec("forward", positions,
                                 Options(backend, fastmath, None, boundscheck),
                                 has_aux=has_aux))
        self.mode = "forward"

    def _init_args(self):
        return self._arguments

    def __call__(self, args, tangents, kwargs=None):
        """``(outputs, output_tangents)`` as lists; ``tangents`` one per ``wrt`` argument
        (checked against the primals, copied)."""
        call = self.prepare(args, kwargs)
        fname = f"jvp of {self.user_name}"
        flat_tangents = []
        for i, t in zip(self.wrt, tangents):
            primal = args[i] if i < len(args) else None
            if self.backend == "cuda":
                flat_tangents.append(t if is_device_array(t) else
                                     np.asarray(t, dtype=np.float64) if np.ndim(t)
                                     else float(t))
            else:
                flat_tangents += check_like(t, primal, "tangent", fname)
        stage = self.stage_for(call)
        results = stage.compiled(*call.arguments, *flat_tangents)
        nout = len(stage.primal.body.yields)
        return list(results[:nout]), list(results[nout:])


def jvp(f, primals, tangents, *, backend="numba", boundscheck=None, has_aux=False):
    """``(out, out_tangent)``: ``f(*primals)`` and its directional derivative along
    ``tangents`` (one per primal, of the same structure, shapes and a real dtype), by forward
    mode (its own transform, not reverse twice). ``has_aux=True``: ``f`` returns
    ``(out, aux)`` and the result is ``(out, out_tangent, aux)``, as ``jax.jvp`` gives it
    (aux computed by the same compiled call, not differentiated).

    ``backend="cuda"``: ``f`` is written for scalars and mapped over the elements of the
    1-D array arguments (NumPy or device arrays; scalars broadcast), one GPU thread per
    element, like ``grad(f, backend="cuda")``; results are per-element arrays (on the
    device when an input was a device array).

    Tangents of integer and boolean primals are ignored (they are not differentiated).
    ``out_tangent`` has the structure of ``out`` (a tuple when ``f`` returns a tuple)."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    wrt = float_arguments(primals)
    ff = ForwardFunction(f, wrt, backend=backend, boundscheck=boundscheck, has_aux=has_aux)
    outs, touts = ff(primals, [tangents[i] for i in wrt])
    # a tangent in its output's float dtype (float32 in, float32 out, as jax.jvp gives it;
    # the forward sweep itself carries tangents in float64)
    touts = [in_dtype_of(t, o) for t, o in zip(touts, outs)]
    stage = ff.stage_for(ff._last_key)
    out = unflatten_like(stage.output_tree, outs)
    if not has_aux:
        return out, unflatten_like(stage.output_tree, touts)
    stage.differentiated_outputs                        # a pair (value, aux), or an error
    value, aux = out
    return value, unflatten_like(stage.output_tree.children[0], touts), aux


# ---------------------------------------------------------------------------------------------
# Jacobians: one compiled call looping over basis vectors
# ---------------------------------------------------------------------------------------------

def per_argument(call, wrt, items):
    """``items`` (one per flat ``wrt`` leaf, in order) as one entry per ``wrt`` argument,
    each in that argument's pytree structure."""
    out, k = [], 0
    for i in wrt:
        n = len(call.groups[i])
        out.append(unflatten_like(call.trees[i], items[k:k + n]))
        k += n
    return out


def _split_blocks(J, out_shapes, in_shapes, single_wrt, regroup):
    """The flat (M, N) matrix as dense blocks, one entry per output leaf; ``regroup`` turns
    the blocks of the flat input leaves into one entry per ``wrt`` argument (in its pytree
    structure)."""
    rows = np.cumsum([0] + [int(np.prod(s)) for s in out_shapes])
    cols = np.cumsum([0] + [int(np.prod(s)) for s in in_shapes])
    per_out = []
    for q, os_ in enumerate(out_shapes):
        blocks = []
        for k, is_ in enumerate(in_shapes):
            b = J[rows[q]:rows[q + 1], cols[k]:cols[k + 1]].reshape(tuple(os_) + tuple(is_))
            blocks.append(as_output(b) if b.ndim == 0 else b)
        blocks = regroup(blocks)
        per_out.append(blocks[0] if single_wrt else tuple(blocks))
    return per_out


class Jacobian(Transformed):
    """``jacobian(f, wrt, mode)``: call with f's arguments for the dense Jacobian
    (``out.shape + in.shape``; a tuple per ``wrt`` when ``wrt`` is a tuple, nested inside a
    tuple per output when ``f`` returns a tuple)."""

    transform = "jacobian"

    def __init__(self, f, wrt=0, mode="auto", *, backend="numba", fastmath=False,
                 boundscheck=None):
        if mode not in ("auto", "forward", "reverse", "fwd", "rev"):
            raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
        if backend == "cuda":
            raise NotImplementedError("jacobian is not available with the cuda backend")
        self._arguments = dict(wrt=wrt, mode=mode, backend=backend, fastmath=fastmath,
                               boundscheck=boundscheck)
        self.mode = {"fwd": "forward", "rev": "reverse"}.get(mode, mode)
        positions, self.single = pipeline_of(f).signature.wrt(wrt)
        super().__init__(f, Spec("forward", positions,
                                 Options(backend, fastmath, None, boundscheck)))
        self._last_stage = None

    def _init_args(self):
        return self._arguments

    @property
    def source(self) -> str:
        """The generated module of the last call (or of forward mode before any call)."""
        if self._last_stage is not None:
            return self._last_stage.source
        return self.pipeline.stage(self.spec).source

    def _output_shapes(self, call):
        special = self.pipeline.stage(Spec("primal", (), self.spec.options), call.trees,
                                      call.kinds, ()).special
        if all(v.ndim == 0 for v in special.body.yields):
            return [()] * len(special.body.yields)
        # array outputs: their shapes need a run of the primal (compiled, cached), on copies
        # of the arguments (f may write into them: the sweeps must start from the call's)
        out = self.pipeline.stage(Spec("primal", (), self.spec.options), call.trees,
                                  call.kinds, ()).compiled(
            *(a.copy() if isinstance(a, np.ndarray) else a for a in call.arguments))
        outs = out if special.returns_tuple else (out,)
        return [np.shape(o) for o in outs]

    def __call__(self, *args, **kwargs):
        call = self.prepare(args, kwargs)
        flat_wrt = call.flat_wrt(self.wrt)
        in_shapes = [np.shape(call.leaves[i]) for i in flat_wrt]
        out_shapes = self._output_shapes(call)
        n_in = sum(int(np.prod(s)) for s in in_shapes)
        n_out = sum(int(np.prod(s)) for s in out_shapes)
        mode = self.mode if self.mode != "auto" else (
            "forward" if n_in < n_out else "reverse")
        in_arrays = tuple(len(s) > 0 for s in in_shapes)
        out_arrays = tuple(len(s) > 0 for s in out_shapes)
        nout, nargs = len(out_shapes), len(call.arguments)
        options = self.spec.options
        name = self.pipeline.where["function"]
        nwrt = len(flat_wrt)
        if mode == "forward":       # one jvp per input basis vector: a column
            spec = Spec("forward", self.wrt, options, keep=tuple(range(nout, 2 * nout)))
            basis = (tuple(range(nargs, nargs + nwrt)), in_arrays, tuple(range(nout)),
                     out_arrays, 1, f"{name}_jacfwd")
            zeros = [np.zeros(s) if len(s) else 0.0 for s in in_shapes]
        else:                       # one vjp per output basis vector: a row
            spec = Spec("reverse", self.wrt, options)
            basis = (tuple(range(nargs, nargs + nout)), out_arrays,
                     tuple(range(nout, nout + nwrt)), in_arrays, 0, f"{name}_jacrev")
            zeros = [np.zeros(s) if len(s) else 0.0 for s in out_shapes]
        stage = self.pipeline.stage(spec, call.trees, call.kinds, flat_wrt, basis)
        self._last_stage = stage
        J = stage.compiled(*call.arguments, *zeros, np.zeros((n_out, n_in)))
        per_out = _split_blocks(J, out_shapes, in_shapes, self.single,
                                lambda blocks: per_argument(call, self.wrt, blocks))
        return unflatten(stage.output_tree, per_out)   # the output's structure of blocks


def jacobian(f, wrt=0, mode="auto", *, backend="numba", fastmath=False, boundscheck=None):
    """The dense Jacobian of ``f`` w.r.t. argument(s) ``wrt``, as a function of f's
    arguments: forward mode when the inputs are fewer than the outputs (``mode="auto"``),
    reverse mode otherwise; ``mode="forward"``/``"reverse"`` forces one. Computed in one
    compiled call that loops over basis vectors."""
    return Jacobian(f, wrt, mode, backend=backend, fastmath=fastmath,
                    boundscheck=boundscheck)


# ---------------------------------------------------------------------------------------------
# Hessians: forward over reverse
# ---------------------------------------------------------------------------------------------

class _ForwardOverReverse(Transformed):
    """The forward transform applied to the generated adjoint (results ``(output,
    *gradients, t_output, *t_gradients)``, of which only the gradients' tangents are kept).
    ``wrt`` names one argument or a tuple of them; each may be a pytree (its leaves are the
    variables)."""

    transform = "hessian"

    def __init__(self, f, wrt=0, *, backend="numba", fastmath=False, boundscheck=None):
        if backend == "cuda":
            raise NotImplementedError("hessian/hvp are not available with the cuda backend")
        self._arguments = dict(wrt=wrt, backend=backend, fastmath=fastmath,
                               boundscheck=boundscheck)
        positions, self.single = pipeline_of(f).signature.wrt(wrt)
        super().__init__(f, Spec("forward_over_reverse", positions,
                                 Options(backend, fastmath, None, boundscheck)))
        ir = self.primal_ir
        if len(ir.body.yields) != 1:
            raise DifferentiationError("hessian/hvp need a function with one scalar output",
                                       **self.pipeline.where)

    def _init_args(self):
        return self._arguments

    def _structured(self, call, per_leaf):
        grouped = per_argument(call, self.wrt, per_leaf)
        return grouped[0] if self.single else tuple(grouped)


class HVP(_ForwardOverReverse):
    """``hvp(f, wrt)(*args, v)``: the Hessian of ``f`` w.r.t. ``args[wrt]`` times ``v`` (of
    the structure of ``args[wrt]``; a tuple of such when ``wrt`` is a tuple), in the same
    structure."""

    transform = "hvp"

    def __call__(self, *args_and_v, **kwargs):
        *args, v = args_and_v
        call = self.prepare(args, kwargs)
        primals = self._structured(call, [call.leaves[j] for j in call.flat_wrt(self.wrt)])
        tangents = check_like(v, primals, "v", f"hvp of {self.user_name}")
        stage = self.stage_for(call)
        results = stage.compiled(*call.arguments, 1.0, *tangents)
        return self._structured(call, [as_output(r) for r in results])


class Hessian(_ForwardOverReverse):
    """``hessian(f, wrt)(*args)``: the dense Hessian, shape ``x.shape + x.shape``; for a
    pytree argument a tree of trees (``H[k1][k2]`` has shape ``p[k1].shape + p[k2].shape``),
    for a tuple ``wrt`` a tuple of tuples, as ``jax.hessian`` gives them."""

    def __call__(self, *args, **kwargs):
        call = self.prepare(args, kwargs)
        flat_wrt = call.flat_wrt(self.wrt)
        shapes = [np.shape(call.leaves[j]) for j in flat_wrt]
        arrays = tuple(len(s) > 0 for s in shapes)
        first_tangent = len(call.arguments) + 1        # after the arguments and the seed
        n_leaves = len(flat_wrt)
        basis = (tuple(range(first_tangent, first_tangent + n_leaves)), arrays,
                 tuple(range(n_leaves)), arrays, 1,
                 f"{self.pipeline.where['function']}_hessian")
        stage = self.pipeline.stage(self.spec, call.trees, call.kinds, flat_wrt, basis)
        n = sum(int(np.prod(s)) for s in shapes)
        zeros = [np.zeros(s) if len(s) else 0.0 for s in shapes]
        H = stage.compiled(*call.arguments, 1.0, *zeros, np.zeros((n, n)))
        rows = _split_blocks(H, shapes, shapes, self.single,
                             lambda blocks: per_argument(call, self.wrt, blocks))
        return self._structured(call, rows)


def hessian(f, wrt=0, *, backend="numba", fastmath=False, boundscheck=None):
    """The dense Hessian of scalar ``f`` w.r.t. argument(s) ``wrt`` (forward over reverse:
    the forward transform applied to the generated adjoint), as a function of f's
    arguments; pytree arguments give trees of trees of blocks, as in JAX."""
    return Hessian(f, wrt, backend=backend, fastmath=fastmath, boundscheck=boundscheck)


def hvp(f, wrt=0, *, backend="numba", fastmath=False, boundscheck=None):
    """A function ``(*args, v)`` returning the Hessian of scalar ``f`` w.r.t. ``args[wrt]``
    times ``v`` (``v`` and the result in the structure of ``args[wrt]``), without forming
    the Hessian (one forward-over-reverse sweep)."""
    return HVP(f, wrt, backend=backend, fastmath=fastmath, boundscheck=boundscheck)

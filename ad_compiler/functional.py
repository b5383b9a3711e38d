"""Function transforms beyond the gradient: ``jvp``, ``jacobian``, ``hessian``, ``hvp``, and
the custom-rule API (``custom_vjp``, ``defvjp``, ``defjvp``).

* ``jvp`` runs the forward-mode transform (:mod:`.transforms.forward`): tangent code, one
  sweep, no tape.
* ``jacobian`` generates, next to the jvp (forward mode) or vjp (reverse mode) function, a
  small wrapper ``<f>_jacfwd`` / ``<f>_jacrev`` in the same module that loops over the basis
  vectors and fills the dense Jacobian: ONE compiled call (Numba compiles the wrapper too),
  not one Python call per column. The wrapper is specialised on which inputs and outputs
  are arrays (a probe of the output shapes runs once per argument signature).
* ``hessian`` and ``hvp`` are forward over reverse: the reverse transform's generated vjp
  source is loaded with the python backend (a real file), parsed again by the frontend
  (``_rt.NAME`` helper calls map back to primitives) and differentiated by the forward
  transform. ``hvp`` is one call of that function with tangent ``v``; ``hessian`` loops it
  over the basis in a generated wrapper, like ``jacobian``.
* A :class:`~ad_compiler.api.DerivativeFunction` (``ad.grad(f)``) is accepted wherever a
  function is: :func:`source_function` turns it into a plain Python function with a real
  source file (its generated vjp plus a two-line wrapper), which the frontend re-parses.
"""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np

from .errors import DifferentiationError
from .rules.custom import custom_jvp, custom_vjp, defjvp, defvjp  # noqa: F401  (re-export)

__all__ = ["jvp", "jacobian", "hessian", "hvp", "custom_vjp", "custom_jvp", "defvjp",
           "defjvp", "ForwardFunction", "source_function"]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def _api():
    from . import api

    return api


def source_function(f):
    """``f`` itself for a plain function; for a ``DerivativeFunction`` (``ad.grad(g)``,
    ``ad.value_and_grad(g)``) a plain Python function of the same parameters, loaded from a
    real file (its generated vjp and a wrapper calling it), that the frontend can parse."""
    api = _api()
    if not isinstance(f, api.DerivativeFunction):
        return f
    cached = getattr(f, "_source_function", None)
    if cached is not None:
        return cached
    from .backends.python import load_module

    ir = f.primal_ir
    params = [p.name for p in ir.params]
    free = [v.name for v in ir.free_vars]
    nout = len(ir.body.yields)
    seeds = ", ".join(["1.0"] * nout)
    grads = [f"_g{k}" for k in range(len(f.wrt))]
    outs = [f"_o{k}" for k in range(nout)]
    gradient = f"({', '.join(grads)},)" if f._wrt_tuple else grads[0]
    result = f"{outs[0]}, {gradient}" if f.kind == "value_and_grad" else gradient
    name = f"{ir.name}_{f.kind}"
    wrapper = (f"\n\ndef {name}({', '.join(params)}):\n"
               f"    {', '.join(outs + grads)} = {f.entry}("
               f"{', '.join(params + free + [seeds])})\n"
               f"    return {result}\n")
    mod = load_module(f.source + wrapper, f"adc_{name}")
    for v, value in zip(free, f._free_values()):
        setattr(mod, v, value)   # the wrapper reads free variables as module globals
    fn = getattr(mod, name)
    f._source_function = fn
    return fn


def _build(f):
    from .frontend import build_ir

    return build_ir(source_function(f))


def _free_values(ir):
    from .frontend import free_var_values

    return free_var_values(ir) if ir.free_vars else []


def _normalise_wrt(wrt, nparams, ir):
    single = isinstance(wrt, int)
    wrt = (wrt,) if single else tuple(wrt)
    for i in wrt:
        if not isinstance(i, int) or not -nparams <= i < nparams:
            raise DifferentiationError(f"wrt={i!r} is out of range for a function of "
                                       f"{nparams} parameters", function=ir.name,
                                       filename=ir.filename, line=ir.first_line)
    return tuple(i % nparams for i in wrt), single


def _compile(source, module_name, entry, backend, fastmath=False, boundscheck=None):
    """Function ``entry`` of generated ``source`` compiled by ``backend``; an index out of
    bounds raises an IndexError naming the user's line (:mod:`.backends.bounds`)."""
    from .backends.bounds import locating_index_errors

    if backend == "python":
        from .backends.python import load_module

        fn = getattr(load_module(source, module_name), entry)
    elif backend == "numba":
        from .backends.numba_cpu import compile_functions, contiguous_args

        fn = contiguous_args(compile_functions(source, module_name, [entry],
                                               fastmath=fastmath,
                                               boundscheck=boundscheck)[entry])
    else:
        raise NotImplementedError(f"backend {backend!r} is not available for this transform")
    return locating_index_errors(fn, source, module_name, entry)


def _as_input(value, differentiated):
    return _api()._as_input(value, differentiated)


def _as_output(value):
    return _api()._as_output(value)


def _is_device_array(value):
    return hasattr(value, "__cuda_array_interface__") or \
        type(value).__name__ == "FakeCUDAArray"


def _is_float_input(value):
    if isinstance(value, np.ndarray) or _is_device_array(value):
        return np.dtype(value.dtype).kind in "fc"
    return isinstance(value, (float, np.floating, complex))


def _kinds(values):
    """The ``(kind, ndim)`` of each runtime value: what the IR is specialised to."""
    from .transforms.specialize import signature_of_argument

    return tuple(signature_of_argument(v) for v in values)


def _positional(f, ir, args):
    """``f``'s arguments as positional ones, defaults filled in as Python would (compiled
    code takes every parameter positionally)."""
    if len(args) == len(ir.params):
        return list(args)
    bound = inspect.signature(f).bind(*args)
    bound.apply_defaults()
    return list(bound.args)


def _display_kinds(ir, free_values=()):
    """The argument kinds ``.source`` assumes before any call (as
    ``DerivativeFunction._display_kinds``): a parameter the code does not show to be an
    array is taken to be a float; free variables as their current values."""
    from .transforms.specialize import display_signature

    return display_signature(ir) + _kinds(free_values)


def _specialized(ir, kinds):
    from .transforms.specialize import specialize

    return specialize(ir, kinds)


def _signature(args):
    return tuple((type(a).__name__, a.dtype.str, a.ndim) if isinstance(a, np.ndarray)
                 else type(a).__name__ for a in args)


# ---------------------------------------------------------------------------------------------
# forward mode
# ---------------------------------------------------------------------------------------------

class ForwardFunction:
    """The compiled forward-mode derivative (jvp function) of ``f`` w.r.t. ``wrt``.

    ``.source`` is the generated module (``<f>_jvp(*params, *free_vars, *tangents)
    -> (*outputs, *output_tangents)``), ``.ir`` the primal SSA IR."""

    def __init__(self, f, wrt, *, backend="numba", fastmath=False, boundscheck=None):
        self.fn = f
        self.backend = backend
        self.fastmath = fastmath
        self.boundscheck = boundscheck
        self.primal_ir = _build(f)
        self.wrt, _ = _normalise_wrt(wrt, len(self.primal_ir.params), self.primal_ir)
        self._wrt_tuple = True      # (read by the cuda backend's header)
        self.mode = "forward"
        self._irs = {}           # argument kinds -> forward IR specialised to them
        self.entry = f"{self.primal_ir.name}_jvp"
        self._compiled = {}

    @functools.cached_property
    def derivative_ir(self):
        """The forward IR that ``.source`` shows, built on first use: a call builds the one
        for its own argument types (the ranks ``.source`` guesses may not fit every
        NumPy function the code calls)."""
        return self.derivative_ir_for(self._display_kinds())

    def _display_kinds(self):
        return _display_kinds(self.primal_ir, _free_values(self.primal_ir))

    def derivative_ir_for(self, kinds):
        """``forward(specialize(primal_ir, kinds), wrt)``, once per ``kinds`` (those of the
        parameters and free variables)."""
        from .transforms.forward import forward

        if kinds not in self._irs:
            self._irs[kinds] = forward(_specialized(self.primal_ir, kinds), self.wrt)
        return self._irs[kinds]

    @property
    def source(self) -> str:
        if self.backend == "cuda":
            from .backends.numba_cuda import cuda_source

            return cuda_source(self)
        return self.module_source()

    def module_source(self, extra="", kinds=None) -> str:
        from .backends.emit import emit_module

        ir = self.primal_ir
        header = (f"# Forward-mode derivative (jvp) of {ir.name} "
                  f"({ir.filename}:{ir.first_line}), wrt={self.wrt}")
        d = self.derivative_ir_for(kinds if kinds is not None else self._display_kinds())
        return emit_module([d], header=header) + extra

    @property
    def ir(self) -> str:
        return str(self.primal_ir)

    def _free_values(self):
        return _free_values(self.primal_ir)

    def compiled(self, extra="", entry=None, kinds=None):
        if self.backend == "cuda":
            from .backends.numba_cuda import cuda_derivative

            cd = cuda_derivative(self)     # built from .derivative_ir (display kinds)
            cd.module()
            return cd
        key = (extra, entry, kinds)
        if key not in self._compiled:
            self._compiled[key] = _compile(self.module_source(extra, kinds),
                                           f"adc_{self.primal_ir.name}_jvp", entry or self.entry,
                                           self.backend, self.fastmath, self.boundscheck)
        return self._compiled[key]

    def prepare(self, args):
        args = _positional(self.fn, self.primal_ir, args)
        return [_as_input(a, i in self.wrt) for i, a in enumerate(args)] + \
            _free_values(self.primal_ir)

    def __call__(self, args, tangents):
        """``(outputs, output_tangents)`` as lists, ``tangents`` one per ``wrt``."""
        full = self.prepare(args)
        tangents = [t if _is_device_array(t) else
                    np.asarray(t, dtype=np.float64) if np.ndim(t) else float(t)
                    for t in tangents]
        if self.backend == "cuda":
            # one thread per element: arrays (host or device) mapped over, scalars broadcast
            results = self.compiled()(*full, *tangents)
        else:
            results = self.compiled(kinds=_kinds(full))(*full, *tangents)
        nout = len(self.primal_ir.body.yields)
        return list(results[:nout]), list(results[nout:])


@functools.lru_cache(maxsize=256)
def _forward_function(f, wrt, backend, fastmath=False, boundscheck=None):
    return ForwardFunction(f, wrt, backend=backend, fastmath=fastmath, boundscheck=boundscheck)


def jvp(f, primals, tangents, *, backend="numba", boundscheck=None):
    """``(out, out_tangent)``: ``f(*primals)`` and its directional derivative along
    ``tangents`` (one per primal), by forward mode (its own transform, not reverse twice).

    ``backend="cuda"``: ``f`` is written for scalars and mapped over the elements of the
    1-D array arguments (NumPy or device arrays; scalars broadcast), one GPU thread per
    element, like ``grad(f, backend="cuda")``; results are per-element arrays (on the
    device when an input was a device array).

    Tangents of integer and boolean primals are ignored (they are not differentiated).
    ``out_tangent`` has the structure of ``out`` (a tuple when ``f`` returns a tuple)."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    wrt = tuple(i for i, p in enumerate(primals) if _is_float_input(p) or
                isinstance(p, (list, tuple)))
    ff = _forward_function(f, wrt, backend, boundscheck=boundscheck)
    outs, touts = ff(primals, [tangents[i] for i in wrt])
    outs = [_as_output(o) for o in outs]
    touts = [_as_output(t) for t in touts]
    if ff.primal_ir.returns_tuple:
        return tuple(outs), tuple(touts)
    return outs[0], touts[0]


# ---------------------------------------------------------------------------------------------
# Jacobians: one compiled call looping over basis vectors
# ---------------------------------------------------------------------------------------------

def _basis_loops(args_names, wrt, is_array, call_and_store, indent="    "):
    """Source lines of the loop over the input basis of the ``wrt`` arguments: ``t<k>``
    are the tangents (zeros but one), ``col`` the column. ``call_and_store(tangents)``
    returns the lines of one call and store."""
    lines = []
    tangent_names = []
    for k, i in enumerate(wrt):
        a = args_names[i]
        if is_array[k]:
            lines += [f"{indent}tf{k} = np.zeros({a}.size)",
                      f"{indent}t{k} = tf{k}.reshape({a}.shape)"]
        else:
            lines.append(f"{indent}t{k} = 0.0")
        tangent_names.append(f"t{k}")
    lines.append(f"{indent}col = 0")
    for k, i in enumerate(wrt):
        a = args_names[i]
        if is_array[k]:
            lines.append(f"{indent}for j in range({a}.size):")
            lines.append(f"{indent}    tf{k}[j] = 1.0")
            lines += [indent + "    " + ln for ln in call_and_store(tangent_names)]
            lines.append(f"{indent}    tf{k}[j] = 0.0")
            lines.append(f"{indent}    col += 1")
        else:
            lines.append(f"{indent}t{k} = 1.0")
            lines += [indent + ln for ln in call_and_store(tangent_names)]
            lines.append(f"{indent}t{k} = 0.0")
            lines.append(f"{indent}col += 1")
    return lines


def _store_column(results, first, out_arrays):
    """Lines storing the tangents ``results[first + q]`` into column ``col`` of ``J``."""
    lines = ["row = 0"]
    for q, is_arr in enumerate(out_arrays):
        r = f"{results}[{first + q}]"
        if is_arr:
            lines += [f"J[row:row + {r}.size, col] = {r}.ravel()", f"row += {r}.size"]
        else:
            lines += [f"J[row, col] = {r}", "row += 1"]
    return lines


def _jacfwd_source(name, jvp_name, nargs, wrt, in_arrays, nout, out_arrays):
    args = [f"a{i}" for i in range(nargs)]

    def call_and_store(tangents):
        # the jvp function returns the output tangents only (pruned: forward(keep=...))
        return [f"r = {jvp_name}({', '.join(args + tangents)})"] + \
            _store_column("r", 0, out_arrays)

    lines = [f"def {name}({', '.join(args)}, J):",
             f"    # the dense Jacobian, one jvp per input basis vector (column)"]
    lines += _basis_loops(args, wrt, in_arrays, call_and_store)
    lines.append("    return J")
    return "\n\n" + "\n".join(lines) + "\n"


def _jacrev_source(name, vjp_name, nargs, wrt, in_arrays, nout, out_arrays):
    args = [f"a{i}" for i in range(nargs)]
    seeds = [f"g{q}" for q in range(nout)]
    lines = [f"def {name}({', '.join(args + seeds)}, J):",
             f"    # the dense Jacobian, one vjp per output basis vector (row)"]
    for q, is_arr in enumerate(out_arrays):
        if is_arr:
            lines.append(f"    gf{q} = g{q}.reshape(g{q}.size)")
        else:
            lines.append(f"    g{q} = 0.0")
    lines.append("    row = 0")

    def store():
        out = [f"r = {vjp_name}({', '.join(args + seeds)})", "col = 0"]
        for k, i in enumerate(wrt):
            r = f"r[{nout + k}]"
            if in_arrays[k]:
                out += [f"J[row, col:col + {r}.size] = {r}.ravel()", f"col += {r}.size"]
            else:
                out += [f"J[row, col] = {r}", "col += 1"]
        return out

    for q, is_arr in enumerate(out_arrays):
        if is_arr:
            lines.append(f"    for j in range(gf{q}.size):")
            lines.append(f"        gf{q}[j] = 1.0")
            lines += ["        " + ln for ln in store()]
            lines.append(f"        gf{q}[j] = 0.0")
            lines.append("        row += 1")
        else:
            lines.append(f"    g{q} = 1.0")
            lines += ["    " + ln for ln in store()]
            lines.append(f"    g{q} = 0.0")
            lines.append("    row += 1")
    lines.append("    return J")
    return "\n\n" + "\n".join(lines) + "\n"


def _split_blocks(J, out_shapes, in_shapes, returns_tuple, single_wrt):
    """The flat (M, N) matrix as the nested structure of dense blocks."""
    rows = np.cumsum([0] + [int(np.prod(s)) for s in out_shapes])
    cols = np.cumsum([0] + [int(np.prod(s)) for s in in_shapes])
    per_out = []
    for q, os_ in enumerate(out_shapes):
        blocks = []
        for k, is_ in enumerate(in_shapes):
            b = J[rows[q]:rows[q + 1], cols[k]:cols[k + 1]].reshape(tuple(os_) + tuple(is_))
            blocks.append(_as_output(b) if b.ndim == 0 else b)
        per_out.append(blocks[0] if single_wrt else tuple(blocks))
    return tuple(per_out) if returns_tuple else per_out[0]


class Jacobian:
    """``jacobian(f, wrt, mode)``: call with f's arguments for the dense Jacobian
    (``out.shape + in.shape``; a tuple per ``wrt`` when ``wrt`` is a tuple, nested inside a
    tuple per output when ``f`` returns a tuple)."""

    def __init__(self, f, wrt=0, mode="auto", *, backend="numba", fastmath=False,
                 boundscheck=None):
        if mode not in ("auto", "forward", "reverse", "fwd", "rev"):
            raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
        self.fn = f
        self.mode = {"fwd": "forward", "rev": "reverse"}.get(mode, mode)
        self.backend = backend
        self.fastmath = fastmath
        self.boundscheck = boundscheck
        self.primal_ir = _build(f)
        self.wrt, self.single = _normalise_wrt(wrt, len(self.primal_ir.params),
                                               self.primal_ir)
        self._irs = {}
        self._compiled = {}
        self._shapes = {}
        functools.update_wrapper(self, f, updated=())

    def _display_kinds(self):
        return _display_kinds(self.primal_ir, _free_values(self.primal_ir))

    def _derivative_ir(self, mode, kinds):
        """The jvp (forward, returning only the output tangents) or vjp (reverse) IR of f
        specialised to ``kinds``."""
        from .transforms.forward import forward
        from .transforms.reverse import reverse

        key = (mode, kinds)
        if key not in self._irs:
            ir = _specialized(self.primal_ir, kinds)
            if mode == "forward":
                nout = len(ir.body.yields)
                self._irs[key] = forward(ir, self.wrt, keep=range(nout, 2 * nout))
            else:
                self._irs[key] = reverse(ir, self.wrt)
        return self._irs[key]

    @property
    def source(self) -> str:
        """The generated module of the last call (or of forward mode before any call)."""
        if self._compiled:
            return list(self._compiled.values())[-1][1]
        from .backends.emit import emit_module

        return emit_module([self._derivative_ir(
            "reverse" if self.mode == "reverse" else "forward", self._display_kinds())])

    def _output_shapes(self, full):
        key = _signature(full)
        if key not in self._shapes:
            # probe once per argument signature: the plain-Python function gives the shapes
            # (cheaper to reason about than a compile, and every user function runs as is)
            fn = source_function(self.fn)
            out = fn(*full[:len(self.primal_ir.params)])
            outs = out if self.primal_ir.returns_tuple else (out,)
            self._shapes[key] = [np.shape(o) for o in outs]
        return self._shapes[key]

    def __call__(self, *args):
        from .backends.emit import emit_module

        ir = self.primal_ir
        args = _positional(self.fn, ir, args)
        full = [_as_input(a, i in self.wrt) for i, a in enumerate(args)] + _free_values(ir)
        in_shapes = [np.shape(full[i]) for i in self.wrt]
        out_shapes = self._output_shapes(full)
        n_in = sum(int(np.prod(s)) for s in in_shapes)
        n_out = sum(int(np.prod(s)) for s in out_shapes)
        mode = self.mode if self.mode != "auto" else (
            "forward" if n_in < n_out else "reverse")
        in_arrays = tuple(len(s) > 0 for s in in_shapes)
        out_arrays = tuple(len(s) > 0 for s in out_shapes)
        kinds = _kinds(full)
        key = (mode, kinds, in_arrays, out_arrays)
        if key not in self._compiled:
            d = self._derivative_ir(mode, kinds)
            if mode == "forward":
                name = f"{ir.name}_jacfwd"
                extra = _jacfwd_source(name, d.name, len(full), self.wrt, in_arrays,
                                       len(out_shapes), out_arrays)
                what = "Forward-mode Jacobian"
            else:
                name = f"{ir.name}_jacrev"
                extra = _jacrev_source(name, d.name, len(full), self.wrt, in_arrays,
                                       len(out_shapes), out_arrays)
                what = "Reverse-mode Jacobian"
            header = f"# {what} of {ir.name} ({ir.filename}:{ir.first_line}), wrt={self.wrt}"
            source = emit_module([d], header=header) + extra
            fn = _compile(source, f"adc_{name}", name, self.backend, self.fastmath,
                          self.boundscheck)
            self._compiled[key] = (fn, source)
        fn, _ = self._compiled[key]
        J = np.zeros((n_out, n_in))
        if mode == "forward":
            J = fn(*full, J)
        else:
            seeds = [np.zeros(s) if len(s) else 0.0 for s in out_shapes]
            J = fn(*full, *seeds, J)
        return _split_blocks(J, out_shapes, in_shapes, ir.returns_tuple, self.single)


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

_LINE_COMMENT = re.compile(r"#\s*line (\d+):")


def _user_lines(ir, generated_source, primal_ir):
    """Point the ops of IR parsed from generated code back at the user's lines (read from
    the ``# line N:`` comment of each generated line), so comments name the user's code."""
    from .frontend.ir import walk

    lines = generated_source.splitlines()
    for op in walk(ir.body):
        if op.line is not None and 0 < op.line <= len(lines):
            m = _LINE_COMMENT.search(lines[op.line - 1])
            op.line = int(m.group(1)) if m else None
    ir.filename, ir.first_line = primal_ir.filename, primal_ir.first_line


class _ForwardOverReverse:
    """The forward transform applied to the generated adjoint, per argument kinds: the
    primal IR specialised to them, its vjp emitted and loaded from a real file, parsed again,
    specialised again (adjoint parameters: f's, its free variables', the float seed) and
    differentiated in forward mode keeping only the tangent of the gradient (results
    ``(output, gradient, t_output, t_gradient)``; the others and the code only they need,
    such as the first sweep's accumulation of the output, are pruned)."""

    def __init__(self, f, wrt=0, *, backend="numba", fastmath=False, boundscheck=None):
        if not isinstance(wrt, int):
            raise TypeError("hessian/hvp: wrt must be one argument index (an int)")
        self.fn = f
        self.backend = backend
        self.fastmath = fastmath
        self.boundscheck = boundscheck
        self.primal_ir = _build(f)
        (self.wrt,), _ = _normalise_wrt(wrt, len(self.primal_ir.params), self.primal_ir)
        if len(self.primal_ir.body.yields) != 1:
            raise DifferentiationError("hessian/hvp need a function with one scalar output",
                                       function=self.primal_ir.name,
                                       filename=self.primal_ir.filename,
                                       line=self.primal_ir.first_line)
        self._irs = {}
        self._compiled = {}
        kinds = self._display_kinds()
        self.vjp_ir, self.vjp_source, self.adjoint_ir, self.hvp_ir = self._pipeline(kinds)

    def _display_kinds(self):
        return _display_kinds(self.primal_ir, _free_values(self.primal_ir)) + (("float", 0),)

    def _pipeline(self, kinds):
        """``(vjp IR, vjp source, re-parsed adjoint IR, hvp IR)`` for the kinds of the
        adjoint's parameters (f's parameters, its free variables, the seed)."""
        if kinds in self._irs:
            return self._irs[kinds]
        from .backends.emit import emit_module
        from .backends.python import load_module
        from .frontend import build_ir
        from .transforms.forward import forward
        from .transforms.reverse import reverse

        nparams = len(self.primal_ir.params) + len(self.primal_ir.free_vars)
        # 1. reverse mode of f specialised to the argument kinds, emitted and loaded from a
        #    real file (python backend)
        vjp_ir = reverse(_specialized(self.primal_ir, kinds[:nparams]), (self.wrt,))
        vjp_source = emit_module([vjp_ir])
        vjp_mod = load_module(vjp_source, f"adc_{self.primal_ir.name}_vjp")
        # 2. the generated adjoint, parsed again and specialised, 3. differentiated in
        #    forward mode, keeping the gradient's tangent only
        adjoint_ir = build_ir(getattr(vjp_mod, vjp_ir.name))
        _user_lines(adjoint_ir, vjp_source, self.primal_ir)
        if adjoint_ir.free_vars:
            raise DifferentiationError("hessian: the generated adjoint reads globals",
                                       function=vjp_ir.name)
        adjoint = _specialized(adjoint_ir, kinds)
        hvp_ir = forward(adjoint, (self.wrt,), keep=[3])
        self._irs[kinds] = (vjp_ir, vjp_source, adjoint_ir, hvp_ir)
        return self._irs[kinds]

    def source_with(self, extra="", kinds=None):
        from .backends.emit import emit_module

        ir = self.primal_ir
        header = (f"# Forward-over-reverse derivative of {ir.name} ({ir.filename}:"
                  f"{ir.first_line}), wrt={self.wrt}")
        hvp_ir = self._pipeline(kinds if kinds is not None else self._display_kinds())[3]
        return emit_module([hvp_ir], header=header) + extra

    @property
    def source(self):
        return self.source_with()

    def compiled(self, extra="", entry=None, kinds=None):
        key = (extra, entry, kinds)
        if key not in self._compiled:
            self._compiled[key] = _compile(self.source_with(extra, kinds),
                                           f"adc_{self.primal_ir.name}_hvp",
                                           entry or self.hvp_ir.name, self.backend,
                                           self.fastmath, self.boundscheck)
        return self._compiled[key]

    def prepare(self, args):
        ir = self.primal_ir
        args = _positional(self.fn, ir, args)
        return [_as_input(a, i == self.wrt) for i, a in enumerate(args)] + \
            _free_values(ir) + [1.0]

    @property
    def ir(self):
        return str(self.primal_ir)


class HVP(_ForwardOverReverse):
    """``hvp(f, wrt)(*args, v)``: the Hessian of ``f`` w.r.t. ``args[wrt]`` times ``v``."""

    def __call__(self, *args_and_v):
        *args, v = args_and_v
        full = self.prepare(args)
        x = full[self.wrt]
        v = np.asarray(v, dtype=np.float64).reshape(np.shape(x)) if np.ndim(x) else float(v)
        # the one result: the tangent of the gradient (pruned: forward(keep=[3]))
        (result,) = self.compiled(kinds=_kinds(full))(*full, v)
        return _as_output(result)


class Hessian(_ForwardOverReverse):
    """``hessian(f, wrt)(*args)``: the dense Hessian, shape ``x.shape + x.shape``."""

    def __call__(self, *args):
        full = self.prepare(args)
        shape = np.shape(full[self.wrt])
        is_array = len(shape) > 0
        name = f"{self.primal_ir.name}_hessian"
        extra = self._wrapper(name, len(full), is_array)
        fn = self.compiled(extra, name, _kinds(full))
        n = int(np.prod(shape))
        H = fn(*full, np.zeros((n, n)))
        return _as_output(H.reshape(shape + shape)) if is_array else float(H[0, 0])

    def _wrapper(self, name, nargs, is_array):
        args = [f"a{i}" for i in range(nargs)]

        def call_and_store(tangents):
            return [f"r = {self.hvp_ir.name}({', '.join(args + tangents)})"] + \
                _store_column("r", 0, [is_array])

        lines = [f"def {name}({', '.join(args)}, J):",
                 "    # the dense Hessian, one Hessian-vector product per basis vector"]
        lines += _basis_loops(args, [self.wrt], [is_array], call_and_store)
        lines.append("    return J")
        return "\n\n" + "\n".join(lines) + "\n"


def hessian(f, wrt=0, *, backend="numba", fastmath=False, boundscheck=None):
    """The dense Hessian of scalar ``f`` w.r.t. argument ``wrt`` (forward over reverse:
    the forward transform applied to the generated adjoint), as a function of f's
    arguments."""
    return Hessian(f, wrt, backend=backend, fastmath=fastmath, boundscheck=boundscheck)


def hvp(f, wrt=0, *, backend="numba", fastmath=False, boundscheck=None):
    """A function ``(*args, v)`` returning the Hessian of scalar ``f`` w.r.t. ``args[wrt]``
    times ``v``, without forming the Hessian (one forward-over-reverse sweep)."""
    return HVP(f, wrt, backend=backend, fastmath=fastmath, boundscheck=boundscheck)

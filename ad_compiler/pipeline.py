"""One pipeline behind every transform: a derivative's specification -> IR -> source -> compiled.

Every front door (``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``, ``hessian``,
``hvp``, ``ad.jit`` and the cuda backend) is a thin :class:`Transformed` over this::

    spec = Spec("reverse", wrt=(0,), options=Options(backend="numba"))
    call = pipeline.prepare(args, kwargs, spec)     # bind, flatten pytrees, check inputs
    stage = pipeline.stage(spec, call)              # memoised per (spec, argument kinds)
    stage.ir, stage.source, stage.compiled          # each built once, lazily

* A :class:`Spec` names the derivative: mode (``primal``, ``reverse``, ``forward``,
  ``forward_over_reverse``), ``wrt`` (user parameter positions), the forward results kept,
  and the :class:`Options` (backend, fastmath, checkpoint). It is frozen and pickles.
* A :class:`Pipeline` exists once per user function (:func:`pipeline_of`). It builds the
  primal SSA IR once per argument structure, and memoises each :class:`Stage` per spec and
  argument kinds. Building is thread-safe: the first thread builds, the others wait for its
  result; a build that fails leaves nothing behind, so the next call tries again.
* Composition happens here and nowhere else: when the function given to a transform is
  itself a derivative function (``ad.vjp(ad.grad(f))``), its primal IR is the frontend's
  parse of that derivative's generated source *for the call's argument kinds*.
"""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
import threading
import weakref
from dataclasses import dataclass

import numpy as np

from .errors import DifferentiationError
from .process_settings import SharedSetting
from .pytree import LEAF, TreeDef, flatten, is_node, leaf_paths, unflatten

__all__ = ["BACKENDS", "Options", "Spec", "Pipeline", "pipeline_of", "Transformed",
           "Call", "as_output", "normalise_checkpoint", "output_tree"]

BACKENDS = ("numba", "python", "cuda")
MODES = ("primal", "reverse", "forward", "forward_over_reverse")


# ---------------------------------------------------------------------------------------------
# the specification
# ---------------------------------------------------------------------------------------------

def normalise_checkpoint(checkpoint):
    """None (no checkpointing), ``"auto"``, or a segment length >= 1."""
    if checkpoint is None or checkpoint is False:
        return None
    if checkpoint is True or checkpoint == "auto":
        return "auto"
    if isinstance(checkpoint, (int, np.integer)) and checkpoint >= 1:
        return int(checkpoint)
    raise ValueError(f"checkpoint must be None, a positive int, True or 'auto', "
                     f"got {checkpoint!r}")


def require_cuda():
    """Import numba.cuda, or say how to install it."""
    try:
        import numba.cuda  # noqa: F401
        from numba.cuda.extending import register_jitable  # noqa: F401
    except ImportError as exc:
        raise ImportError(f'backend="cuda" needs numba-cuda, which is not installed here '
                          f"({exc}); install it with: pip install ad_compiler[cuda]") from None


@dataclass(frozen=True)
class Options:
    """How a derivative is compiled."""

    backend: str = "numba"
    fastmath: bool = False
    checkpoint: object = None
    boundscheck: object = None      # see backends.bounds (None: NUMBA_BOUNDSCHECK decides)
    parallel: bool = False          # prange loops on all cores (see transforms.parallel)

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        object.__setattr__(self, "fastmath", bool(self.fastmath))
        object.__setattr__(self, "checkpoint", normalise_checkpoint(self.checkpoint))
        object.__setattr__(self, "parallel", bool(self.parallel))
        if self.backend == "cuda":
            if self.checkpoint is not None:
                raise NotImplementedError("checkpoint= is not available with the cuda backend")
            if self.parallel:
                raise NotImplementedError("parallel=True is for the CPU backends (the cuda "
                                          "backend runs one element per GPU thread)")
            require_cuda()


@dataclass(frozen=True)
class Spec:
    """What to derive: ``mode`` over the user parameters ``wrt`` (positions), keeping the
    forward results ``keep`` (None: all), compiled with ``options``. ``has_aux``: the
    function returns ``(value, aux)``; only ``value`` is differentiated, ``aux`` (any
    pytree) is an output of the same compiled call. ``value=False`` (reverse mode,
    ``ad.grad``): the vjp returns only the gradients when the output is one scalar by its
    kinds, so code that only computed the value is not generated."""

    mode: str
    wrt: tuple = ()
    options: Options = Options()
    keep: tuple | None = None
    has_aux: bool = False
    value: bool = True

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")


# ---------------------------------------------------------------------------------------------
# calls: arguments bound, flattened and checked at the door
# ---------------------------------------------------------------------------------------------

@dataclass
class Call:
    """One call's arguments as compiled code takes them."""

    leaves: list        # the flat parameters (container arguments flattened), converted
    trees: tuple        # one TreeDef per user parameter
    groups: tuple       # per user parameter: the range of its leaves in ``leaves``
    free: list          # current values of the function's globals and closure cells
    kinds: tuple        # (kind, ndim) of every leaf, then of every free value

    def flat_wrt(self, wrt) -> tuple:
        return tuple(j for i in wrt for j in self.groups[i])

    @property
    def arguments(self) -> list:
        return self.leaves + self.free


def kind_of(value):
    """The IR ``(kind, ndim)`` of a runtime argument."""
    from .transforms.specialize import signature_of_argument

    return signature_of_argument(value)


def is_device_array(value) -> bool:
    return hasattr(value, "__cuda_array_interface__") or \
        type(value).__name__ == "FakeCUDAArray"


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r}" if isinstance(value, (int, float, complex)) \
        else f"a {type(value).__name__}"


def check_leaf(value, name, fname, differentiated, backend):
    """``value`` as compiled code takes it, or a TypeError/DifferentiationError naming the
    argument (as JAX words them)."""
    if is_device_array(value):
        return value
    if isinstance(value, (complex, np.complexfloating)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "c"):
        raise DifferentiationError(f"complex values are not supported: argument '{name}' "
                                   f"of {fname} is complex ({_describe(value)})",
                                   construct="complex", function=fname)
    if backend == "cuda" and isinstance(value, (list, tuple)):
        value = np.asarray(value)           # the cuda backend maps over sequences
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiub":
            raise TypeError(f"{fname}: argument '{name}' must be a float, int, bool or a "
                            f"numeric array, got {_describe(value)}")
    elif not isinstance(value, (bool, int, float, np.number, np.bool_)):
        hint = "" if not hasattr(value, "__dict__") else (
            f"; an instance of a plain class is not a pytree: make {type(value).__name__} a "
            f"dataclass or NamedTuple to pass it (and differentiate w.r.t. its fields)")
        raise TypeError(f"{fname}: argument '{name}' must be a float, int, bool or a NumPy "
                        f"array (or a tuple, list, dict, NamedTuple or dataclass of them), "
                        f"got {_describe(value)}{hint}")
    if differentiated:
        kind = value.dtype.kind if isinstance(value, np.ndarray) else \
            "b" if isinstance(value, (bool, np.bool_)) else \
            "i" if isinstance(value, (int, np.integer)) else "f"
        if kind != "f":
            raise TypeError(
                f"{fname}: differentiating with respect to argument '{name}' needs real "
                f"(floating-point) values, but it got {_describe(value)}; pass a float "
                f"(e.g. {name}=float(...) or .astype(float)) or leave it out of wrt")
        if not isinstance(value, np.ndarray):
            value = float(value)
    if isinstance(value, np.generic):
        value = value.item()
    return value


class Signature:
    """The user function's parameters as compiled code takes them: all positional, in the
    order positional-only, ordinary, keyword-only. ``*args``/``**kwargs`` are refused."""

    def __init__(self, fn, where):
        # a functools.partial is its function with some arguments given: compiled code takes
        # all of the function's parameters, the user names and counts what is left
        self.partial = fn if isinstance(fn, functools.partial) else None
        base = fn.func if self.partial is not None else fn
        self.fname = getattr(base, "__name__", "f")
        self.signature = inspect.signature(base)
        for p in self.signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise DifferentiationError(
                    f"'{p}' parameters are not supported (name every parameter)",
                    construct=str(p), **where)
        self.names = list(self.signature.parameters)
        self.visible = list(inspect.signature(fn).parameters) if self.partial is not None \
            else self.names
        self._simple = self.partial is None and all(
            p.kind == p.POSITIONAL_OR_KEYWORD for p in self.signature.parameters.values())
        self.where = where

    def bind(self, args, kwargs=None) -> list:
        """Positional values of every parameter, keywords and defaults filled in as Python
        would (a TypeError as Python words it otherwise; a partial's arguments first)."""
        if not kwargs and self._simple and len(args) == len(self.names):
            return list(args)
        if self.partial is not None:
            args = (*self.partial.args, *args)
            kwargs = {**self.partial.keywords, **(kwargs or {})}
        try:
            bound = self.signature.bind(*args, **(kwargs or {}))
        except TypeError as exc:
            raise TypeError(f"{self.fname}(): {exc}") from None
        bound.apply_defaults()
        return [bound.arguments[n] for n in self.names]

    def wrt(self, wrt):
        """``(positions, single)``: ``wrt`` given as positions and/or parameter names
        (``wrt="k"``, ``wrt=(0, "c")``, like ``jax.grad(argnames=...)``)."""
        single = isinstance(wrt, (int, np.integer, str))
        items = (wrt,) if single else tuple(wrt)
        if not items:
            raise TypeError("wrt must name at least one parameter")
        n = len(self.visible)
        out = []
        for i in items:
            if isinstance(i, str):
                if i not in self.visible:
                    raise DifferentiationError(
                        f"wrt={i!r} is not a parameter of {self.fname} "
                        f"(its parameters: {', '.join(self.visible)})", **self.where)
                out.append(self.names.index(i))
            elif isinstance(i, (int, np.integer)) and not isinstance(i, bool) and -n <= i < n:
                out.append(self.names.index(self.visible[int(i) % n]))
            else:
                raise DifferentiationError(f"wrt={i!r} is out of range for a function of "
                                           f"{n} parameters", **self.where)
        return tuple(out), single


# ---------------------------------------------------------------------------------------------
# the memoised pipeline
# ---------------------------------------------------------------------------------------------

_MISSING = object()
_STRUCTURE_CONSTRUCTS = ("string", "subscript", "attribute", "tuple", "dict", "unpacking")


_BUILD_THRESHOLD = 100_000      # allocations between young-generation collections
_COLLECTOR = SharedSetting(gc.get_threshold, lambda t: gc.set_threshold(*t),
                           lambda t: (max(_BUILD_THRESHOLD, t[0]), *t[1:]))


def fewer_collections():
    """Builds run with the cyclic garbage collector's young generation collected every
    100,000 allocations instead of 700: compiling a long function makes hundreds of
    thousands of IR objects that live until it ends, and the collector rescanning them took
    a quarter of the compile time (a 1,600-line gradient 12.4 s -> 8.9 s). It still runs,
    so cycles are still freed; the user's thresholds come back when the last build ends."""
    return _COLLECTOR.held()


class _Memo:
    """A dict filled once per key under a per-key lock: one builder, the others wait."""

    def __init__(self):
        self._done = {}
        self._locks = {}
        self._lock = threading.Lock()

    def get(self, key, build):
        value = self._done.get(key, _MISSING)
        if value is not _MISSING:
            return value
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            value = self._done.get(key, _MISSING)
            if value is _MISSING:
                with fewer_collections():
                    value = build()      # raises: nothing recorded, the next call retries
                self._done[key] = value
        return value


class Stage:
    """One derivative of one function for one kind of call: IR, source and compiled code,
    each built on first use."""

    def __init__(self, pipeline, spec, trees, kinds, wrt, basis=None, assumed=False):
        self.pipeline, self.spec, self.trees, self.kinds = pipeline, spec, trees, kinds
        self.assumed = assumed  # the kinds .source assumes before any call
        self.wrt = wrt          # flat positions of the differentiated leaves
        self.basis = basis      # arguments of transforms.basis.basis_loop (dense matrices)
        self._memo = _Memo()

    @property
    def primal(self):
        return self.pipeline.primal_ir(self.trees, self.kinds)

    @property
    def ir(self):
        return self._memo.get("ir", self._derivative_ir)

    @property
    def special(self):
        """The primal IR specialised to the kinds (reverse mode: only the outputs kept)."""
        return self._memo.get("special", self._specialized)

    def _specialized(self):
        from .transforms.specialize import specialize

        return specialize(self.primal, self.kinds)

    @property
    def output_tree(self):
        """The structure of what the user function returns (flat leaves: the yields)."""
        return output_tree(self.primal)

    @property
    def differentiated_outputs(self) -> int:
        """How many leading outputs are differentiated: all, or with ``has_aux`` the leaves
        of ``value`` in ``(value, aux)``."""
        if not self.spec.has_aux:
            return len(self.primal.body.yields)
        tree = self.output_tree
        if tree.kind != "tuple" or len(tree.children) != 2:
            raise DifferentiationError(
                f"has_aux=True needs {self.pipeline.where['function']} to return a pair "
                f"(value, aux), but it returns {tree}", construct="has_aux",
                **self.pipeline.where)
        return tree.children[0].num_leaves

    def ir_primal_outputs(self):
        """The outputs that are differentiated (of the specialised IR)."""
        return self.special.body.yields[:self.differentiated_outputs]

    def _derivative_ir(self):
        from .transforms.parallel import check_prange, schedule_parallel

        from .transforms.builder import guessing_ranks

        check_prange(self.special)
        with guessing_ranks(self.assumed):
            return schedule_parallel(self._transformed_ir(), self.spec.options.parallel)

    def _transformed_ir(self):
        from .transforms.forward import forward
        from .transforms.reverse import reverse

        spec = self.spec
        special = self.special
        if spec.mode == "primal":
            ir = special
        elif spec.mode == "reverse":
            gradients_only = not spec.value and not spec.has_aux and \
                static_scalar(special.body.yields)
            ir = reverse(special, self.wrt, checkpoint=spec.options.checkpoint,
                         restart_whiles=spec.options.backend != "cuda",
                         seeded=self.differentiated_outputs, gradients_only=gradients_only)
        elif spec.mode == "forward":
            keep = spec.keep
            if spec.has_aux:    # every output, then the tangents of value's leaves only
                nout = len(special.body.yields)
                keep = list(range(nout + self.differentiated_outputs))
            ir = forward(special, self.wrt, keep=keep)
        else:
            ir = self.pipeline.forward_over_reverse(special, self.kinds, self.wrt)
        if self.basis is None:
            return ir
        from .transforms.basis import basis_loop

        return basis_loop(ir, *self.basis)

    @property
    def entry(self):
        return self.ir.name

    @property
    def source(self) -> str:
        return self._memo.get("source", self._source)

    def written_arguments(self) -> dict:
        """``{position: the first store}`` of the arguments (parameters, then free
        variables) that the function writes into, through any name or view."""
        return self._memo.get("written_arguments", self._written_arguments)

    def _written_arguments(self):
        from .analysis.memory import Memory
        from .frontend.ir import Store, walk

        ir = self.special
        position = {id(v): k for k, v in enumerate(list(ir.params) + list(ir.free_vars))}
        memory = Memory(ir)
        written = {}
        for op in walk(ir.body):
            if isinstance(op, Store):
                for a in memory.allocations(op.operands[0]):
                    if a in position:
                        written.setdefault(position[a], op)
        return written

    def _source(self):
        from .backends.emit import emit_module

        return emit_module([self.ir], header=self.pipeline.header(self.spec, self.wrt,
                                                                  self.kinds))

    @property
    def compiled(self):
        return self._memo.get("compiled", self._compile)

    def _compile(self):
        from .backends.bounds import locating_index_errors

        options = self.spec.options
        name = f"adc_{self.ir.name}"
        if options.backend == "python":
            from .backends.python import load_module

            fn = getattr(load_module(self.source, name), self.entry)
        elif options.backend == "numba":
            from .backends.numba_cpu import compile_functions, contiguous_args

            fn = contiguous_args(compile_functions(
                self.source, name, [self.entry], fastmath=options.fastmath,
                boundscheck=options.boundscheck, parallel=options.parallel)[self.entry])
        if options.backend != "cuda":
            # an index out of bounds raises an IndexError naming the user's line
            return locating_index_errors(fn, self.source, name, self.entry)
        from .backends.numba_cuda import CudaDerivative
        from .transforms.device import check_kernel_safe

        check_kernel_safe(self.primal)
        cd = CudaDerivative(self.ir, header=self.pipeline.header(self.spec, self.wrt,
                                                                 self.kinds, cuda=True),
                            fastmath=options.fastmath, module_name=f"adc_cuda_{self.ir.name}")
        cd.module()
        return cd


def static_scalar(outputs) -> bool:
    """Whether a function's outputs are, by their kinds alone, one scalar (what ``grad``
    requires): then the check needs no run and the value need not be returned."""
    return len(outputs) == 1 and outputs[0].ndim == 0


class Pipeline:
    """Everything derived from one user function, memoised."""

    def __init__(self, fn):
        self.fn = fn
        self.inner = fn if isinstance(fn, Transformed) else None
        self.user_fn = fn.user_function if self.inner is not None else fn
        self._memo = _Memo()
        named = self.user_fn.func if isinstance(self.user_fn, functools.partial) else \
            self.user_fn
        code = getattr(named, "__code__", None)
        name = getattr(named, "__name__", type(named).__name__)
        if name == "<lambda>" and code is not None:
            name = f"lambda_{code.co_firstlineno}"      # (its def's name: frontend/parse.py)
        self.where = dict(function=name,
                          filename=code.co_filename if code else None,
                          line=code.co_firstlineno if code else None)
        self.signature = Signature(self.user_fn, self.where)
        # the function is checked once, at decoration; an error that a container argument
        # could explain (``p["w"]`` on a parameter) waits for a call that shows the structure
        try:
            self.primal_ir()
        except DifferentiationError as exc:
            if exc.construct not in _STRUCTURE_CONSTRUCTS:
                raise

    # -- stages --------------------------------------------------------------------------
    def primal_ir(self, trees=None, kinds=None):
        """The SSA IR of the function for arguments of this structure (flat leaves of kinds
        ``kinds``); of a derivative function, the parse of its generated source for them."""
        if trees is not None and all(t is LEAF for t in trees):
            trees = None
        leaf_kinds = None if trees is None else \
            tuple(k[0] for k in kinds[:sum(t.num_leaves for t in trees)])
        key = (trees, leaf_kinds, kinds if self.inner is not None else None)
        return self._memo.get(("primal", key), lambda: self._build_primal(trees, leaf_kinds,
                                                                         kinds))

    def _build_primal(self, trees, leaf_kinds, kinds):
        from .frontend import build_ir

        if self.inner is None:
            return build_ir(self.fn, trees, leaf_kinds)
        fn = self.inner.source_function(kinds, trees)
        ir = build_ir(fn, trees, leaf_kinds)
        # a global of the inner function is a global of the wrapper's module, set once when
        # it was loaded: read it at every call through the inner function's own getter
        live = fn.free_var_getters
        ir.free_var_getters = [live.get(source, getter) for source, getter in
                               zip(ir.free_var_sources, ir.free_var_getters)]
        return ir

    def assumed_kinds(self):
        """The kinds ``.source`` assumes before any call: a parameter the code does not show
        to be an array is a float (see ``display_signature``); free variables as they are."""
        from .frontend import free_var_values
        from .transforms.specialize import display_signature

        ir = self.primal_ir()
        return display_signature(ir) + tuple(kind_of(v) for v in free_var_values(ir))

    def stage(self, spec, trees=None, kinds=None, wrt=None, basis=None) -> Stage:
        # the kinds shown before any call, never run (ranks may be guessed); the cuda
        # backend runs the code of the assumed kinds
        assumed = kinds is None and spec.options.backend != "cuda"
        if kinds is None:
            kinds = self.assumed_kinds()
        wrt = spec.wrt if wrt is None else wrt
        key = (spec, trees, kinds, wrt, basis, assumed)
        return self._memo.get(("stage", key),
                              lambda: Stage(self, spec, trees, kinds, wrt, basis, assumed))

    def forward_over_reverse(self, special, kinds, wrt):
        """Forward mode applied to the generated adjoint: the reverse transform's source is
        loaded from a real file, parsed again, specialised (f's parameters, its free
        variables, the float seed) and differentiated w.r.t. the ``wrt`` leaves, keeping the
        tangents of the gradients (the adjoint returns ``(out, *gradients)``, its forward
        transform those and then their tangents: Hessian times the tangent, one per leaf)."""
        from .backends.emit import emit_module
        from .backends.python import load_module
        from .transforms.parallel import schedule_parallel
        from .frontend import build_ir
        from .transforms.forward import forward
        from .transforms.reverse import reverse
        from .transforms.specialize import specialize

        vjp_ir = schedule_parallel(reverse(special, wrt), False)   # re-parsed: plain loops
        vjp_source = emit_module([vjp_ir])
        module = load_module(vjp_source, f"adc_{vjp_ir.name}")
        adjoint = build_ir(getattr(module, vjp_ir.name))
        _user_lines(adjoint, vjp_source, special)
        if adjoint.free_vars:
            raise DifferentiationError("hessian: the generated adjoint reads globals",
                                       function=vjp_ir.name)
        n = len(wrt)
        return forward(specialize(adjoint, kinds + (("float", 0),)), wrt,
                       keep=list(range(n + 2, 2 * n + 2)))

    def header(self, spec, wrt, kinds, cuda=False) -> str:
        where = self.where
        what = {"primal": "primal", "reverse": "reverse mode", "forward": "forward-mode jvp",
                "forward_over_reverse": "forward over reverse"}[spec.mode]
        shown = wrt if len(wrt) != 1 else wrt[0]
        line = (f"# Generated by ad_compiler from {where['filename']}:{where['line']} "
                f"(function {where['function']}): {what}")
        if spec.mode != "primal":
            line += f", wrt={shown}"
        if spec.options.checkpoint is not None:
            line += f", checkpoint={spec.options.checkpoint!r}"
        if spec.options.parallel:
            line += ", parallel=True"
        line += "\n# argument kinds: " + ", ".join(_kind_text(k) for k in kinds)
        if cuda:
            line += ("\n# CUDA derivative: one GPU thread per element\n"
                     "from numba import cuda, float64, int64, boolean")
        return line

    # -- the door ------------------------------------------------------------------------
    def prepare(self, args, kwargs, wrt, backend) -> Call:
        """Bind, flatten and check one call's arguments (before anything is compiled)."""
        values = self.signature.bind(args, kwargs)
        leaves, trees, groups = [], [], []
        for i, (name, value) in enumerate(zip(self.signature.names, values)):
            if backend != "cuda" and is_node(value):
                try:
                    flat, tree = flatten(value)
                except TypeError as exc:
                    raise TypeError(f"{self.signature.fname}: argument '{name}': {exc}") \
                        from None
            else:
                flat, tree = [value], LEAF
            start = len(leaves)
            leaves += [check_leaf(v, path, self.signature.fname, i in wrt, backend)
                       for v, path in zip(flat, leaf_paths(name, tree))]
            trees.append(tree)
            groups.append(range(start, len(leaves)))
        leaf_kinds = tuple(kind_of(v) for v in leaves)
        free = self.free_values(tuple(trees), leaf_kinds)
        kinds = leaf_kinds + tuple(kind_of(v) for v in free)
        return Call(leaves, tuple(trees), tuple(groups), free, kinds)

    def free_values(self, trees, leaf_kinds) -> list:
        """The current values of the user function's globals and closure cells (a derivative
        function's are its user function's: its generated code takes them in that order)."""
        from .frontend import free_var_values

        if self.inner is not None:
            return self.inner.pipeline.free_values(trees, leaf_kinds)
        return free_var_values(self.primal_ir(trees, leaf_kinds))


def output_tree(ir):
    """The :class:`~ad_compiler.pytree.TreeDef` of what the function of ``ir`` returns: a
    pytree the frontend flattened into the yields, else one value or a flat tuple."""
    tree = getattr(ir, "output_tree", None)
    if tree is not None:
        return tree
    if ir.returns_tuple:
        return TreeDef("tuple", (LEAF,) * len(ir.body.yields))
    return LEAF


def _kind_text(kind):
    k, ndim, *elements = kind       # ("array", 1, "int") for an integer array
    if k != "array":
        return k
    return f"array({ndim}-D{', ' + elements[0] if elements else ''})"


def _user_lines(ir, generated_source, primal_ir):
    """Point the ops of IR parsed from generated code back at the user's lines, so comments
    and errors name the user's code: each generated line's is that of the ``# line N:``
    comment on it or nearest above it in its function (the emitter comments each group of
    statements from one line of the user's once, above the group)."""
    import re

    from .frontend.ir import walk

    user, current = [], None
    for text in generated_source.splitlines():
        if text.startswith("def "):
            current = None
        m = re.search(r"#\s*line (\d+):", text)
        if m:
            current = int(m.group(1))
        user.append(current)
    for op in walk(ir.body):
        if op.line is not None and 0 < op.line <= len(user):
            op.line = user[op.line - 1]
    ir.filename, ir.first_line = primal_ir.filename, primal_ir.first_line


_PIPELINES = weakref.WeakKeyDictionary()
_PIPELINES_LOCK = threading.Lock()


def pipeline_of(fn) -> Pipeline:
    """The one :class:`Pipeline` of ``fn`` (built once per function, shared by every
    transform of it)."""
    with _PIPELINES_LOCK:
        p = _PIPELINES.get(fn)
        if p is None:
            p = _PIPELINES[fn] = Pipeline(fn)
    return p


# ---------------------------------------------------------------------------------------------
# what transforms return
# ---------------------------------------------------------------------------------------------

def as_output(value):
    """0-d arrays and NumPy scalars as Python floats; containers element by element."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


class Transformed:
    """Base of every function a transform returns: the user function, the spec, the
    pipeline; ``.source`` (of the last call, or of the kinds assumed before any call),
    ``.ir``, ``show(*args)``, pickling by reference and Dask tokens.

    Subclasses define ``_init_args()`` (the keywords ``__init__`` takes besides the
    function, for pickling) and ``__call__``."""

    transform = "derivative"

    def __init__(self, fn, spec: Spec):
        self.fn = fn
        self.spec = spec
        self.pipeline = pipeline_of(fn)
        self._last_key = None
        functools.update_wrapper(self, self.user_function, updated=())

    @property
    def user_function(self):
        """The innermost user function (a derivative of a derivative reaches it)."""
        fn = self.fn
        return fn.user_function if isinstance(fn, Transformed) else fn

    @property
    def user_name(self) -> str:
        """The user function's name as messages give it (a partial's function's, a called
        object's class)."""
        return self.pipeline.where["function"]

    @property
    def primal_ir(self):
        return self.pipeline.primal_ir()

    @property
    def wrt(self):
        return self.spec.wrt

    @property
    def backend(self):
        return self.spec.options.backend

    @property
    def fastmath(self):
        return self.spec.options.fastmath

    @property
    def ir(self) -> str:
        return str(self.primal_ir)

    # -- source --------------------------------------------------------------------------
    def stage_for(self, call: Call | None) -> Stage:
        """The stage serving ``call`` (None: the kinds assumed before any call; the cuda
        backend maps scalar code over arrays, so it always compiles for those)."""
        if call is None or self.backend == "cuda":
            return self.pipeline.stage(self.spec)
        return self.pipeline.stage(self.spec, call.trees, call.kinds,
                                   call.flat_wrt(self.spec.wrt))

    def prepare(self, args, kwargs=None) -> Call:
        call = self.pipeline.prepare(args, kwargs, self.spec.wrt, self.backend)
        if self.backend != "cuda":
            _refuse_aliased_writes(self, call)
        self._last_key = call
        return call

    @property
    def source(self) -> str:
        """The generated module compiled for the last call's argument kinds; before any
        call, for the kinds its header says it assumed."""
        text = self.source_of(self._last_key)
        if self._last_key is None:
            text = text.replace("\n# argument kinds: ", "\n# argument kinds assumed before "
                                "any call: ", 1)
        return text

    def source_of(self, call) -> str:
        stage = self.stage_for(call)
        return stage.compiled.source() if self.backend == "cuda" else stage.source

    def show(self, *args, **kwargs) -> str:
        """The source compiled for these example arguments (nothing runs)."""
        return self.source_of(self.pipeline.prepare(args, kwargs, self.spec.wrt,
                                                    self.backend))

    def cuda_kernel(self):
        """The compiled cuda form (``backends.numba_cuda.CudaDerivative``)."""
        return self.stage_for(None).compiled

    # -- composition ---------------------------------------------------------------------
    def source_function(self, kinds, trees=None):
        """A plain Python function of the same parameters, loaded from a real file (this
        derivative's generated source for ``kinds`` and a two-line wrapper calling it),
        that the frontend parses when a transform is applied to this function."""
        raise DifferentiationError(f"{type(self).__name__} cannot be differentiated again",
                                   construct=self.transform,
                                   function=self.user_name)

    # -- travelling ----------------------------------------------------------------------
    def _init_args(self) -> dict:
        raise NotImplementedError

    @property
    def last_stage(self) -> Stage:
        """The stage of the last call (before any call: of the assumed kinds)."""
        return self.stage_for(self._last_key)

    @property
    def derivative_ir(self):
        return self.last_stage.ir

    @property
    def entry(self):
        return self.last_stage.entry

    def __reduce__(self):
        return (_rebuild, (type(self), _FunctionRef.of(self.fn), self._init_args()))

    def __dask_tokenize__(self):
        fn = self.user_function
        code = getattr(fn, "__code__", None)
        return (type(self).__qualname__, getattr(fn, "__module__", None),
                getattr(fn, "__qualname__", None),
                code.co_code.hex() if code is not None else None, repr(self.spec),
                repr(self._init_args()))

    def __repr__(self):
        return (f"<{self.transform} of {self.user_name} wrt={self.wrt} "
                f"backend={self.backend}>")


class _FunctionRef:
    """A user function pickled by module and qualified name (as pickle does for
    functions), resolved through a derivative function found under that name (a function
    decorated ``@ad.grad`` is the derivative at module level)."""

    def __init__(self, module, qualname):
        self.module, self.qualname = module, qualname

    @staticmethod
    def of(fn):
        if not inspect.isfunction(fn) or "<locals>" in fn.__qualname__:
            return fn    # a derivative, a bound method, a partial and a called object pickle
            # themselves; a local cannot
        return _FunctionRef(fn.__module__, fn.__qualname__)

    def resolve(self):
        obj = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        while isinstance(obj, Transformed):
            obj = obj.fn
        return obj


def _rebuild(cls, ref, init_args):
    fn = ref.resolve() if isinstance(ref, _FunctionRef) else ref
    return cls(fn, **init_args)


def unflatten_like(tree, leaves):
    """``leaves`` in the structure ``tree`` (a single leaf when ``tree`` is a leaf)."""
    return unflatten(tree, [as_output(v) for v in leaves])


def _refuse_aliased_writes(derivative, call):
    """Two arguments that are one array (``f(x, x)``, a view and its base), one of which
    ``f`` writes into: the derivative treats them as separate inputs, so the write through
    one would change the other behind its adjoint (a wrong gradient). Refused at the call,
    naming both; without writes, each argument's derivative is its own."""
    pairs = shared_arguments(call.arguments)
    if not pairs:
        return
    from .analysis.memory import user_name

    stage = derivative.stage_for(call)
    ir, written = stage.special, stage.written_arguments()
    values = list(ir.params) + list(ir.free_vars)
    for i, j in pairs:
        store = written.get(i) or written.get(j)
        if store is not None and i < len(values) and j < len(values):
            raise DifferentiationError(
                f"arguments '{user_name(values[i])}' and '{user_name(values[j])}' share "
                f"memory and the function writes into one of them: their derivatives would "
                f"be taken as if they were separate arrays; pass a copy (np.copy)",
                construct="aliased arguments", function=ir.name, filename=ir.filename,
                line=store.line)


def shared_arguments(arguments) -> list:
    """The pairs of positions of non-empty array arguments that may share memory."""
    import numpy as np

    arrays = [(k, v) for k, v in enumerate(arguments) if isinstance(v, np.ndarray) and v.size]
    return [(i, j) for n, (i, a) in enumerate(arrays) for j, b in arrays[n + 1:]
            if np.may_share_memory(a, b)]



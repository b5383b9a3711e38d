"""The backward graph and the engine that runs it.

A Tensor produced by a recorded operation has a ``grad_fn``: a :class:`Node` named as PyTorch
names it (``MulBackward0``...) that remembers the primitive of the rule table
(:mod:`ad_compiler.rules`), its static attributes, the operands its vector-Jacobian rules read
(with their version counters, to detect in-place changes) and one edge per operand
(``next_functions``). A leaf that requires grad is reached through its ``AccumulateGrad`` node.

``backward`` orders the reachable nodes topologically (by creation sequence: a node is
always created after the nodes of its operands) and calls each node's vjp rules from the table:

* without ``create_graph`` on raw NumPy arrays (``NumpyOps``), the fast path;
* with ``create_graph`` on Tensors (``TensorOps``) in grad mode, so the backward pass is itself
  recorded and can be differentiated again.

Elementwise cotangents are reduced to each operand's shape with the table's ``unbroadcast``.
Saved operands are dropped after the node ran unless ``retain_graph``.
"""

from __future__ import annotations

import dis
import itertools
import weakref
from operator import attrgetter

import numpy as np

from ..rules import NumpyOps
from . import grad_mode

_STATE = grad_mode.STATE
_SEQ = itertools.count()
tensor_mod = None          # set by .tensor (avoids a circular import)

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


# ---------------------------------------------------------------------------------------------
# Which operands (and the result) each vjp rule reads, found once from its bytecode: a node
# keeps only those, as PyTorch saves only what a derivative formula needs.
# ---------------------------------------------------------------------------------------------
_USES: dict = {}


def _rule_reads(rule, nops):
    """(reads ans, bitmask of the operands read) for one rule with ``nops`` operands."""
    code = getattr(rule, "__code__", None)
    if code is None or code.co_argcount < 3:                            # opaque
        return True, (1 << nops) - 1
    names = code.co_varnames[:code.co_argcount]
    loaded = {ins.argval for ins in dis.get_instructions(code) if ins.opname.startswith("LOAD")}
    loaded |= set(code.co_cellvars)
    if code.co_flags & 0x04:                                            # *operands
        star = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
        return names[2] in loaded, (1 << nops) - 1 if star in loaded else 0
    mask = 0
    for j in range(nops):
        if 3 + j >= len(names) or names[3 + j] in loaded:
            mask |= 1 << j
    return names[2] in loaded, mask


def rule_uses(prim, nops):
    key = (prim.name, nops)
    uses = _USES.get(key)
    if uses is None:
        if prim.nargs is None:
            uses = tuple(_rule_reads(prim.vjps[0], nops) for _ in range(nops))
        else:
            uses = tuple(_rule_reads(r, nops) if r is not None else (False, 0)
                         for r in prim.vjps)
        _USES[key] = uses
    return uses


# ---------------------------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------------------------
class _ShapeOf:
    """Stands for an operand whose value a rule does not read: only its shape."""

    __slots__ = ("shape", "ndim", "dtype")

    def __init__(self, shape, dtype=None):
        self.shape = shape
        self.ndim = len(shape)
        self.dtype = dtype


class _Stale:
    """A saved operand modified in place since it was saved. Its shape may still be read
    (``unbroadcast``); reading its value raises PyTorch's in-place error."""

    __slots__ = ("shape", "ndim", "dtype", "_msg")
    __array_priority__ = 10000

    def __init__(self, shape, dtype, msg):
        self.shape = shape
        self.ndim = len(shape)
        self.dtype = dtype
        self._msg = msg

    def _fail(self, *args, **kwargs):
        raise RuntimeError(self._msg)

    __array__ = _fail
    __array_ufunc__ = _fail
    __float__ = _fail
    for _op in ("add", "sub", "mul", "truediv", "pow", "matmul", "lt", "le", "gt", "ge",
                "eq", "ne", "and", "or", "neg", "radd", "rsub", "rmul", "rtruediv", "rpow",
                "rmatmul"):
        locals()[f"__{_op}__"] = _fail
    del _op


class _Hookable:
    """``register_prehook(hook(grad_outputs))`` and ``register_hook(hook(grad_inputs,
    grad_outputs))`` on a backward node, as PyTorch's ``Node`` has them: a pre-hook runs
    before the node (after the tensor hooks and ``retain_grad``) and may return new
    ``grad_outputs``; a hook runs after it and may return new ``grad_inputs``."""

    __slots__ = ()

    def register_prehook(self, hook):
        return _add_node_hook(self, hook, 0)

    def register_hook(self, hook):
        return _add_node_hook(self, hook, 1)


class Node(_Hookable):
    """A backward function (``grad_fn``). Subclasses carry PyTorch's names."""

    __slots__ = ("next_functions", "_prim", "_attrs", "_saved", "_versions", "_shapes",
                 "_ans", "_seq", "_freed", "__weakref__")

    def name(self):
        cls = type(self).__name__
        return f"ad_compiler::autograd::{cls}" if cls in _NAMESPACED else cls

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        return tuple(s for s in self._saved if isinstance(s, tensor_mod.Tensor))

    def _release(self):
        """Free the saved values. Their shapes stay (rules that only read a shape still run,
        as PyTorch keeps sizes); reading a freed value raises PyTorch's error."""
        T = tensor_mod.Tensor
        saved = self._saved
        if any(isinstance(s, T) for s in saved):
            self._saved = [_Stale(s._data.shape, s._data.dtype, FREED_MSG)
                           if isinstance(s, T) else s for s in saved]
            self._freed = True
        ans = self._ans
        if ans is not None and not isinstance(ans[0], _Stale):
            self._ans = (_Stale(ans[0].shape, ans[0].dtype, FREED_MSG), ans[1], ans[2])
            self._freed = True

    def _stale(self, j, version, expected):
        shape = self._shapes[j] if j is not None else self._ans[0].shape
        dt = (self._saved[j]._data.dtype if j is not None else self._ans[0].dtype)
        msg = ("one of the variables needed for gradient computation has been modified by an "
               f"inplace operation: [{_type_name(dt)} {list(shape)}], which is output 0 of "
               f"{self.name()}, is at version {version}; expected version {expected} "
               "instead. Hint: look for an in-place change (x += ..., x.mul_(...), "
               "x[...] = ...) of a tensor that this operation used.")
        return _Stale(shape, dt, msg)

    def apply(self, g, create_graph, mask=None):
        """Cotangents of the operands (None where no gradient flows), given the result's."""
        prim = self._prim
        versions = self._versions
        T = tensor_mod.Tensor
        operands = []
        for j, s in enumerate(self._saved):
            if isinstance(s, T):
                if s._vbox[0] != versions[j]:
                    s = self._stale(j, s._vbox[0], versions[j])
                elif not create_graph:
                    s = s._data
            operands.append(s)
        ans = self._ans
        if ans is not None:
            data, box, version = ans
            if data.__class__ is _Stale:
                ans = data
            elif box[0] != version:
                ans = self._stale(None, box[0], version)
            elif create_graph:
                ans = tensor_mod._wrap(data, True, self, box)
            else:
                ans = data
        o = tensor_mod.TENSOR_OPS if create_graph else NumpyOps
        attrs = self._attrs
        out = []
        shapes = self._shapes
        variadic = prim.nargs is None
        vjps = prim.vjps
        for i, (nxt, _) in enumerate(self.next_functions):
            if nxt is None or (mask is not None and not mask[i]):
                out.append(None)
                continue
            if variadic:
                gi = vjps[0](o, g, ans, *operands, argnum=i, **attrs)
            else:
                rule = vjps[i]
                if rule is None:
                    out.append(None)
                    continue
                gi = rule(o, g, ans, *operands, **attrs) if attrs else rule(o, g, ans, *operands)
            shape = shapes[i]
            if getattr(gi, "shape", ()) != shape:
                gi = o.unbroadcast(gi, _ShapeOf(shape))
            out.append(gi)
        return out


def has_hooks(node):
    """Whether tensor hooks or node hooks are registered on ``node``."""
    return bool(_TENSOR_HOOKS.get(node) or _NODE_HOOKS.get(node))


def copy_node(node):
    """A twin of ``node`` without its hooks (same operands, rule and saved values)."""
    twin = object.__new__(type(node))
    for slot in ("next_functions", "_prim", "_attrs", "_saved", "_versions", "_shapes", "_ans",
                 "_freed"):
        setattr(twin, slot, getattr(node, slot))
    twin._seq = next(_SEQ)
    return twin


# PyTorch's name() spells the namespace of these
_NAMESPACED = {"CopySlices", "CopyBackwards", "NotImplemented"}
_RETAIN = weakref.WeakKeyDictionary()    # node -> weakref of the tensor that retains grad
_TENSOR_HOOKS = weakref.WeakKeyDictionary()   # node -> {key: hook} of the tensor it computes
_HOOK_KEYS = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks, key):
        self._hooks = hooks
        self._key = key

    def remove(self):
        self._hooks.pop(self._key, None)


def add_tensor_hook(node, hook):
    hooks = _TENSOR_HOOKS.get(node)
    if hooks is None:
        hooks = _TENSOR_HOOKS[node] = {}
    key = next(_HOOK_KEYS)
    hooks[key] = hook
    return RemovableHandle(hooks, key)


_NODE_HOOKS = weakref.WeakKeyDictionary()    # node -> ({key: pre-hook}, {key: hook})


def _add_node_hook(node, hook, kind):
    hooks = _NODE_HOOKS.get(node)
    if hooks is None:
        hooks = _NODE_HOOKS[node] = ({}, {})
    key = next(_HOOK_KEYS)
    hooks[kind][key] = hook
    return RemovableHandle(hooks[kind], key)


def _shown(grads, create_graph):
    """Gradients as a hook sees them: a tuple of Tensors (None where none flows), copies that
    a later accumulation into ``.grad`` does not change (PyTorch's AccumulateGrad clones a
    gradient someone else still holds)."""
    if create_graph:
        return tuple(grads)
    return tuple(None if g is None else tensor_mod._wrap(np.array(g)) for g in grads)


def _run_node_hooks(hooks, grads, create_graph, grad_outputs=None):
    """``grads`` (a list of arrays, Tensors or None) after each hook in ``hooks`` saw it and
    maybe replaced it: pre-hooks get ``(grads,)``, hooks ``(grads, grad_outputs)`` (PyTorch's
    checks of what a hook returns)."""
    for hook in list(hooks.values()):
        shown = _shown(grads, create_graph)
        r = hook(shown) if grad_outputs is None else hook(shown, grad_outputs)
        if r is None:
            continue
        if not isinstance(r, (tuple, list)):
            raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
        if len(r) != len(grads):
            raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an "
                               f"incorrect number of values (got {len(r)}, but expected "
                               f"{len(grads)})")
        grads = [x if x is None or create_graph else _as_array(x._data) for x in r]
    return grads


def _run_hooks(hooks, g, create_graph):
    """The gradient after the tensor hooks (in registration order) saw it."""
    T = tensor_mod
    for hook in list(hooks.values()):
        r = hook(g if create_graph else T._wrap(g))
        if r is not None:
            g = r if create_graph else _as_array(r._data)
    return g


def _type_name(dt):
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
             "float16": "HalfTensor", "int32": "IntTensor", "bool": "BoolTensor"}
    return "ad_compiler." + names.get(getattr(dt, "name", ""), "Tensor")


_NODE_CLASSES: dict = {}


def node_class(name):
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = type(name, (Node,), {"__slots__": ()})
        _NODE_CLASSES[name] = cls
    return cls


class AccumulateGrad(_Hookable):
    """The node of a leaf that requires grad: backward adds the incoming gradient to
    ``variable.grad``. The leaf holds its node; the node refers back to it weakly (no cycle)."""

    __slots__ = ("_var", "__weakref__")
    next_functions = ()
    _seq = -1

    def __init__(self, variable):
        self._var = weakref.ref(variable)

    @property
    def variable(self):
        return self._var()

    def name(self):
        return "ad_compiler::autograd::AccumulateGrad"      # PyTorch spells its namespace

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulate_node(t):
    """The (shared) AccumulateGrad node of leaf ``t``; None for a view made under no_grad
    (it requires grad but, as in PyTorch, no gradient edge leads to it)."""
    node = t._accum
    if node is None:
        if t._vmeta is tensor_mod._NO_GRAD_VIEW:
            return None
        node = t._accum = AccumulateGrad(t)
    return node


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------
_by_seq = attrgetter("_seq")


def _collect(roots):
    seen = set()
    stack = list(roots)
    nodes = []
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        nodes.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    nodes.sort(key=_by_seq, reverse=True)
    return nodes


def _as_array(g):
    return g if g.__class__ is np.ndarray else np.asarray(g)


class _Handed:
    """Arrays already stored in some ``.grad`` during this pass (kept alive so their ids stay
    unique): a second destination gets a copy instead of an alias."""

    __slots__ = ("ids", "keep")

    def __init__(self):
        self.ids = set()
        self.keep = []

    def add(self, a):
        self.ids.add(id(a))
        self.keep.append(a)

    def own(self, a):
        """``a`` itself if nobody else holds it, else a copy; then mark it as handed out."""
        if id(a) in self.ids or not (a.flags.owndata and a.flags.writeable):
            a = a.copy()
        self.add(a)
        return a


def _store_grad(t, g, create_graph, handed, accumulate_in_place=True):
    """Accumulate gradient ``g`` into ``t.grad`` (AccumulateGrad and retain_grad)."""
    T = tensor_mod
    dt = t._data.dtype
    if create_graph:
        if g._data.dtype is not dt:
            g = g.to(T.dtype_of(dt))
        if t._grad is None:
            # PyTorch's AccumulateGrad copies a recorded gradient (CopyBackwards)
            g = T._apply_name("pos", "CopyBackwards", (g,))
            handed.add(g)
            t._grad = g
        else:
            t._grad = t._grad + g
        return
    g = _as_array(g)
    if g.dtype is not dt:
        g = g.astype(dt)
    if g.shape != t._data.shape:
        g = np.broadcast_to(g, t._data.shape)
    if t._grad is None:
        t._grad = T._wrap(handed.own(g))
    else:
        old = t._grad
        if old._data.shape == g.shape and old._data.flags.writeable and not old._rg:
            np.add(old._data, g, out=old._data)
            old._vbox[0] += 1
        else:
            t._grad = T._wrap(np.add(old._data, g))


def run_backward(outputs, grad_outputs, retain_graph=None, create_graph=False, inputs=None,
                 allow_unused=False):
    """The engine behind ``Tensor.backward`` (``inputs is None``: accumulate into leaves'
    ``.grad``) and ``autograd.grad`` (return the gradients of ``inputs``)."""
    T = tensor_mod
    if retain_graph is None:
        retain_graph = create_graph
    handed = _Handed()
    buffers = {}
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones(t._data.shape, t._data.dtype)
            if create_graph:
                g = T._wrap(g)
        else:
            if not isinstance(g, T.Tensor):
                g = T.tensor(g)
            if tuple(g.shape) != tuple(t.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}.")
            if g._data.dtype is not t._data.dtype:
                g = g.to(t.dtype)
            if not create_graph:
                g = g._data
        handed.add(g)
        fn = t.grad_fn
        node = fn if fn is not None else accumulate_node(t)
        if node is None:
            continue
        roots.append(node)
        prev = buffers.get(node)
        buffers[node] = g if prev is None else prev + g

    nodes = _collect(roots)

    captures = None
    needed = None
    if inputs is not None:
        captures = {}
        for k, t in enumerate(inputs):
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            fn = t.grad_fn
            node = fn if fn is not None else t._accum
            if node is not None:
                captures.setdefault(node, []).append(k)
        needed = {}
        for n in reversed(nodes):          # operands before results
            needed[n] = n in captures or any(
                nxt is not None and needed.get(nxt, False) for nxt, _ in n.next_functions)
        results = [None] * len(inputs)

    prev_mode = _STATE.enabled
    _STATE.enabled = bool(create_graph)
    try:
        for node in nodes:
            g = buffers.pop(node, None)
            if g is None:
                continue
            if _TENSOR_HOOKS:
                hooks = _TENSOR_HOOKS.get(node)
                if hooks:
                    g = _run_hooks(hooks, g, create_graph)
            if captures is not None:
                if not needed[node]:
                    continue
                ks = captures.get(node)
                if ks is not None:
                    for k in ks:
                        results[k] = g if results[k] is None else results[k] + g
                if node.__class__ is AccumulateGrad:
                    continue
            elif node.__class__ is AccumulateGrad:
                node_hooks = _NODE_HOOKS.get(node) if _NODE_HOOKS else None
                if node_hooks and node_hooks[0]:
                    g, = _run_node_hooks(node_hooks[0], [g], create_graph)
                var = node._var()
                if var is not None:
                    _store_grad(var, g, create_graph, handed)
                if node_hooks and node_hooks[1]:
                    _run_node_hooks(node_hooks[1], [], create_graph, _shown([g], create_graph))
                continue
            if _RETAIN and captures is None:
                ref = _RETAIN.get(node)
                t = ref() if ref is not None else None
                if t is not None:
                    _store_grad(t, g, create_graph, handed)
            node_hooks = _NODE_HOOKS.get(node) if _NODE_HOOKS else None
            if node_hooks and node_hooks[0]:
                g, = _run_node_hooks(node_hooks[0], [g], create_graph)
            if captures is not None:
                mask = [nxt is not None and needed.get(nxt, False)
                        for nxt, _ in node.next_functions]
                grads = node.apply(g, create_graph, mask)
            else:
                grads = node.apply(g, create_graph)
            if node_hooks and node_hooks[1]:
                grads = _run_node_hooks(node_hooks[1], grads, create_graph,
                                        _shown([g], create_graph))
            if not retain_graph:
                node._release()
            for (nxt, _), gi in zip(node.next_functions, grads):
                if gi is None:
                    continue
                prev = buffers.get(nxt)
                buffers[nxt] = gi if prev is None else prev + gi
    finally:
        _STATE.enabled = prev_mode

    if inputs is None:
        return None
    out = []
    for k, (t, r) in enumerate(zip(inputs, results)):
        if r is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {k} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            out.append(None)
            continue
        if create_graph:
            if r._data.dtype is not t._data.dtype:
                r = r.to(t.dtype)
            out.append(r)
        else:
            r = _as_array(r)
            if r.dtype is not t._data.dtype:
                r = r.astype(t._data.dtype)
            if r.shape != t._data.shape:
                r = np.broadcast_to(r, t._data.shape)
            out.append(T._wrap(handed.own(r)))
    return tuple(out)

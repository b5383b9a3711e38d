"""The Tensor: a NumPy array plus PyTorch's autograd bookkeeping.

Every differentiable operation is a primitive of the rule table (:mod:`ad_compiler.rules`):
the forward runs the primitive's NumPy ``impl``; when grad mode is on and an operand requires
grad, a backward :class:`~.engine.Node` is recorded that later runs the primitive's vjp rules.
No derivative formula is written in this file.
"""

from __future__ import annotations

import math
import string
import warnings
import weakref

import numpy as np

from ..rules import PRIMITIVES
from ..rules.array import _is_basic_index
from . import engine, grad_mode, printing
from .engine import accumulate_node, node_class, rule_uses

_STATE = grad_mode.STATE
_InferenceBox = grad_mode.InferenceBox
_ndarray = np.ndarray
_new = object.__new__
_next_seq = engine._SEQ.__next__


# ---------------------------------------------------------------------------------------------
# dtypes and sizes
# ---------------------------------------------------------------------------------------------
class dtype:
    """A Tensor element type (``ad.float32``...), wrapping a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"{printing.MODULE}.{self.name}"

    def __reduce__(self):
        return (dtype_of, (self.np,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
half, double, long, short = float16, float64, int64, int16
_DTYPES = {d.np: d for d in (float16, float32, float64, int8, int16, int32, int64, uint8,
                             bool_)}
_DEFAULT_FLOAT = np.dtype(np.float32)


def dtype_of(np_dtype) -> dtype:
    return _DTYPES[np.dtype(np_dtype)]


def _np_dtype(d):
    """NumPy dtype of a user-given dtype (ours, NumPy's, or Python's float/int/bool)."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.np
    if d is float:
        return np.dtype(np.float64)
    if d is int:
        return np.dtype(np.int64)
    if d is bool:
        return np.dtype(np.bool_)
    return np.dtype(d)


class Size(tuple):
    """The shape of a Tensor: a tuple that prints as ``ad_compiler.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"{printing.MODULE}.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        return math.prod(self)


# ---------------------------------------------------------------------------------------------
# Tensor construction helpers
# ---------------------------------------------------------------------------------------------
def _wrap(data, rg=False, fn=None, vbox=None):
    """A Tensor around ndarray ``data`` (no copy)."""
    t = _new(Tensor)
    t._data = data
    t._rg = rg
    t._grad = None
    t._fn = fn
    if vbox is None:
        vbox = [0] if not _STATE.inference else _InferenceBox((0,))
    t._vbox = vbox
    t._retains = False
    t._base = None
    t._accum = None
    t._vver = 0
    t._hooks = None
    t._vmeta = None
    return t


def _is_python_data(data):
    if isinstance(data, (float, int, bool)):
        return not isinstance(data, np.generic)
    if isinstance(data, (list, tuple)):
        return all(_is_python_data(d) or isinstance(d, Tensor) for d in data) if data else True
    return False


def _to_array(data, dt=None):
    """A fresh ndarray for ``ad.tensor(data)`` with PyTorch's choice of dtype."""
    if isinstance(data, Tensor):
        arr = np.array(data._data, dtype=dt)
    elif _is_python_data(data):
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            data = [d._data if isinstance(d, Tensor) else d for d in data]
        arr = np.array(data, dtype=dt)
        if dt is None and arr.dtype.kind == "f":
            arr = arr.astype(_DEFAULT_FLOAT)
    else:
        arr = np.array(data, dtype=dt)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"can't convert data of type {arr.dtype} to a Tensor")
    return arr


_FLOAT_REQUIRED = "only Tensors of floating point dtype can require gradients"


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new Tensor holding a copy of ``data``: Python floats give float32, integers int64,
    NumPy arrays keep their dtype."""
    t = _wrap(_to_array(data, _np_dtype(dtype)))
    return _factory_requires_grad(t) if requires_grad else t


def _factory_requires_grad(t):
    """``requires_grad=True`` given to a constructor (PyTorch's factory wording)."""
    if t._data.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    t._rg = True
    return t


# ---------------------------------------------------------------------------------------------
# Applying primitives
# ---------------------------------------------------------------------------------------------
def _torch_float(datas):
    """The floating dtype PyTorch gives a result: tensors with dimensions first, then 0-d
    tensors, then Python scalars (the default float32)."""
    dim, zero = [], []
    for d in datas:
        if isinstance(d, _ndarray) or isinstance(d, np.generic):
            if d.dtype.kind == "f":
                (dim if d.ndim else zero).append(d.dtype)
    if dim:
        return np.result_type(*dim)
    if zero:
        return np.result_type(*zero)
    return _DEFAULT_FLOAT


def _fix_dtype(out, datas):
    if out.dtype.kind == "f":
        want = _torch_float(datas)
        if out.dtype != want:
            return out.astype(want)
    return out


def _shape_error(prim, datas, err):
    shapes = [np.shape(d) for d in datas]
    if prim.elementwise and len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        n = max(len(a), len(b))
        pa = (1,) * (n - len(a)) + tuple(a)
        pb = (1,) * (n - len(b)) + tuple(b)
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
                return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of "
                                    f"tensor b ({pb[i]}) at non-singleton dimension {i}")
    if prim.name in ("matmul", "dot", "linear") and len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        if prim.name == "linear":
            b = b[::-1]
        fa = "x".join(map(str, a if len(a) == 2 else (math.prod(a[:-1]) if a else 1,) + a[-1:]))
        fb = "x".join(map(str, b))
        if prim.name == "dot":
            return RuntimeError(f"inconsistent tensor size, expected tensor [{a[0]}] and src "
                                f"[{b[0]}] to have the same number of elements, but got "
                                f"{a[0]} and {b[0]} elements respectively")
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({fa} and {fb})")
    return RuntimeError(str(err))


_NO_EDGE = (None, 0)
_USES = engine._USES
_NODE_CLASSES = engine._NODE_CLASSES


def _record(prim, name, args, out, attrs, vbox=None):
    """The result Tensor of ``prim`` with its backward node (saving only the operands that
    the vjp rules of the operands requiring grad read)."""
    uses = _USES.get(prim.name) if prim.nargs is not None else None
    if uses is None:
        uses = rule_uses(prim, len(args))
        if prim.nargs is not None:
            _USES[prim.name] = uses
    T = Tensor
    nexts = []
    shapes = []
    save_ans = False
    save = 0
    plain = True                       # every operand a Tensor
    for a, (u_ans, u_ops) in zip(args, uses):
        if isinstance(a, T):
            shapes.append(a._data.shape)
            if a._rg:
                fn = a._fn
                nexts.append((fn if fn is not None else accumulate_node(a), 0))
                if u_ans:
                    save_ans = True
                save |= u_ops
            else:
                nexts.append(_NO_EDGE)
        else:
            plain = False
            nexts.append(_NO_EDGE)
            shapes.append(getattr(a, "shape", ()))
    if save == 0 and plain and len(args) < 8:
        saved = _NONES[len(args)]
        versions = saved
    else:
        saved = []
        versions = []
        k = 1
        for a in args:
            if not isinstance(a, T):
                saved.append(a)
                versions.append(0)
            elif save & k:
                if a._vbox.__class__ is _InferenceBox:
                    raise RuntimeError(_INFERENCE_SAVED)
                saved.append(a)
                versions.append(a._vbox[0])
            else:
                saved.append(None)
                versions.append(0)
            k <<= 1
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = node_class(name)
    node = _new(cls)
    node.next_functions = tuple(nexts)
    node._prim = prim
    node._attrs = attrs
    node._saved = saved
    node._versions = versions
    node._shapes = shapes
    node._seq = _next_seq()
    node._freed = False
    result = _new(T)
    result._data = out
    result._rg = True
    result._grad = None
    result._fn = node
    result._vbox = box = [0] if vbox is None else vbox
    result._retains = False
    result._base = None
    result._accum = None
    result._vver = 0
    result._hooks = None
    result._vmeta = None
    node._ans = (out, box, box[0]) if save_ans else None
    return result


_NONES = [(None,) * k for k in range(8)] + [None] * 1000
_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `ad_compiler.no_grad()` "
    "instead of `ad_compiler.inference_mode()`.")


def _apply(prim, name, args, attrs=None, vbox=None):
    """Run primitive ``prim`` on Tensors/constants ``args``; record it if needed."""
    rg = False
    datas = []
    T = Tensor
    for a in args:
        if isinstance(a, T):
            datas.append(a._data)
            if a._base is not None and a._vver != a._vbox[0]:
                a._sync_view()
            if a._rg:
                rg = True
        else:
            datas.append(a)
    try:
        out = prim.impl(*datas, **attrs) if attrs else prim.impl(*datas)
    except ValueError as e:
        raise _shape_error(prim, datas, e) from None
    if out.__class__ is not _ndarray:
        out = np.asarray(out)
    od = out.dtype
    if od.kind == "f":
        for d in datas:
            if getattr(d, "dtype", od) is not od:
                out = _fix_dtype(out, datas)
                break
    if rg and _STATE.enabled:
        if prim.differentiable:
            return _record(prim, name, args, out, attrs or {}, vbox)
        if out.dtype.kind == "f":           # floor, sign...: a node with zero gradients
            return _record(_ZERO_GRAD, name, args, out, {}, vbox)
    return _wrap(out, False, None, vbox)


_P = PRIMITIVES
_NAMES = {}            # primitive name -> PyTorch node name


def _node_name(prim_name):
    name = _NAMES.get(prim_name)
    if name is None:
        name = "".join(p.capitalize() for p in prim_name.split("_")) + "Backward0"
        _NAMES[prim_name] = name
    return name


_NAMES.update({
    "add": "AddBackward0", "sub": "SubBackward0", "mul": "MulBackward0", "div": "DivBackward0",
    "pow": "PowBackward0", "neg": "NegBackward0", "pos": "CloneBackward0",
    "mse_loss": "MseLossBackward0", "linear": "AddmmBackward0", "getitem": "IndexBackward0",
    "clip": "ClampBackward1", "where": "WhereBackward0", "unbroadcast": "SumToSizeBackward0",
    "broadcast_like": "ExpandBackward0", "unreduce": "ExpandBackward0",
    "reshape_like": "ViewBackward0", "reshape": "ViewBackward0", "expand_dims":
    "UnsqueezeBackward0", "squeeze": "SqueezeBackward0", "transpose": "PermuteBackward0",
    "matrix_transpose": "TransposeBackward0", "scatter_like": "IndexPutBackward0",
    "setitem": "CopySlices", "concatenate": "CatBackward0", "stack": "StackBackward0",
    "matmul": "MmBackward0", "max": "MaxBackward1", "min": "MinBackward1",
    "sum": "SumBackward0", "mean": "MeanBackward0", "norm": "LinalgVectorNormBackward0",
    "float": "ToCopyBackward0", "square": "PowBackward0", "arctan2": "Atan2Backward0",
    "arcsin": "AsinBackward0", "arccos": "AcosBackward0", "arctan": "AtanBackward0",
    "arcsinh": "AsinhBackward0", "rt_pow": "PowBackward1", "rt_prod": "ProdBackward0",
    "rt_maximum": "MaximumBackward0", "rt_minimum": "MinimumBackward0", "rt_var": "VarBackward0",
    "rt_std": "StdBackward0", "rt_softmax": "SoftmaxBackward0",
    "rt_log_softmax": "LogSoftmaxBackward0", "rt_logsumexp": "LogsumexpBackward0",
    "rt_cumsum": "CumsumBackward0", "rt_cat": "CatBackward0", "rt_einsum": "EinsumBackward0",
    "rt_nll": "NllLossBackward0", "rt_zero_grad": "ZeroBackward0", "rt_relu": "ReluBackward0",
})


def _apply_name(prim_name, name, args, attrs=None):
    return _apply(_P[prim_name], name, args, attrs)


class _TensorOps:
    """The ops namespace of the rules over Tensors (used by backward with create_graph)."""

    def __getattr__(self, prim_name):
        prim = _P[prim_name]
        name = _node_name(prim_name)
        if not prim.differentiable and prim.result_kind in ("float", "int"):
            def call(*args, **attrs):          # a static number (e.g. ``count``)
                return prim.impl(*[a._data if isinstance(a, Tensor) else a for a in args],
                                 **attrs)
        else:
            def call(*args, **attrs):
                return _apply(prim, name, args, attrs)
        call.__name__ = prim_name
        setattr(self, prim_name, call)
        return call


TENSOR_OPS = _TensorOps()


def _binary(prim, name, a, b):
    """``a <op> b`` for a Tensor ``a`` (fast path of :func:`_apply`)."""
    if a._base is not None and a._vver != a._vbox[0]:
        a._sync_view()
    if isinstance(b, Tensor):
        if b._base is not None and b._vver != b._vbox[0]:
            b._sync_view()
        bd = b._data
        rg = a._rg or b._rg
    else:
        if not isinstance(b, (int, float)):
            if b is None or isinstance(b, str):
                return NotImplemented
            b = np.asarray(b)
        bd = b
        rg = a._rg
    ad = a._data
    try:
        out = prim.impl(ad, bd)
    except ValueError as e:
        raise _shape_error(prim, (ad, bd), e) from None
    if out.__class__ is not _ndarray:
        out = np.asarray(out)
    od = out.dtype
    if od.kind == "f" and (od is not ad.dtype or getattr(bd, "dtype", od) is not od):
        out = _fix_dtype(out, (ad, bd))
    if rg and _STATE.enabled:
        if prim.differentiable:
            return _record(prim, name, (a, b), out, {})
        if od.kind == "f":
            return _record(_ZERO_GRAD, name, (a, b), out, {})
    return _wrap(out)


def _rbinary(prim, name, a, b):
    """``b <op> a`` for a Tensor ``a`` and a constant ``b``."""
    if not isinstance(b, (int, float)):
        b = np.asarray(b)
    return _apply(prim, name, (b, a))


def _unary(prim, name, a, attrs=None):
    """``prim`` of a Tensor ``a`` with static ``attrs`` (fast path of :func:`_apply`)."""
    if a._base is not None and a._vver != a._vbox[0]:
        a._sync_view()
    ad = a._data
    out = prim.impl(ad, **attrs) if attrs else prim.impl(ad)
    if out.__class__ is not _ndarray:
        out = np.asarray(out)
    if out.dtype is not ad.dtype and out.dtype.kind == "f":
        out = _fix_dtype(out, (ad,))
    if a._rg and _STATE.enabled:
        if prim.differentiable:
            return _record(prim, name, (a,), out, attrs or {})
        if out.dtype.kind == "f":
            return _record(_ZERO_GRAD, name, (a,), out, {})
    return _wrap(out)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return tuple(int(d) for d in dim)
    return int(dim)


def _shape_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        return tuple(int(s) for s in args[0])
    return tuple(int(s) for s in args)


def _view_of(base, out_t):
    """Make ``out_t`` a view of ``base`` when NumPy returned a view (shared memory)."""
    if out_t._data.base is not None:
        out_t._vbox = base._vbox
        out_t._vver = base._vbox[0]
        out_t._base = base if base._base is None else base._base
        if not _STATE.enabled and base._rg:
            _mark_no_grad_view(out_t)
    return out_t


def _mark_no_grad_view(t):
    """A view made under ``no_grad`` of a tensor that requires grad: PyTorch reports
    ``requires_grad=True`` with no ``grad_fn`` and no gradient edge (nothing reaches it or its
    base), and forbids in-place changes in grad mode."""
    t._vmeta = _NO_GRAD_VIEW
    t._rg = True


_NO_GRAD_VIEW = ("no_grad", 0)


_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation.")


def _byte_offsets(arr):
    """The byte offset of each element of ``arr`` from the start of its memory block."""
    off = np.full(arr.shape, arr.__array_interface__["data"][0], np.intp)
    for k, (n, st) in enumerate(zip(arr.shape, arr.strides)):
        off = off + (np.arange(n, dtype=np.intp) * st).reshape((n,) + (1,) * (arr.ndim - k - 1))
    return off


_VIEW_INDEX_CACHE: dict = {}


def _view_index(view, base):
    """The advanced index into ``base`` of every element of its view ``view`` (found from
    their memory layout, so any chain of views is covered; cached by layout)."""
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    key = (start, view.shape, view.strides, base.shape, base.strides)
    index = _VIEW_INDEX_CACHE.get(key)
    if index is None:
        if len(_VIEW_INDEX_CACHE) > 256:
            _VIEW_INDEX_CACHE.clear()
        index = _VIEW_INDEX_CACHE[key] = _compute_view_index(view, base)
    return index


def _compute_view_index(view, base):
    base_off = _byte_offsets(base).ravel()
    order = np.argsort(base_off, kind="stable")
    flat = order[np.searchsorted(base_off[order], _byte_offsets(view))]
    return np.unravel_index(flat, base.shape) if base.ndim else ()


_INPLACE_UFUNC = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
                  "pow": np.power}


class _ReturnTypes(tuple):
    """``values, indices`` of ``max(dim)``/``min(dim)``, like ``torch.return_types``."""

    def __new__(cls, values, indices, name):
        self = super().__new__(cls, (values, indices))
        self._name = name
        return self

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return (f"{printing.MODULE}.return_types.{self._name}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")


# ---------------------------------------------------------------------------------------------
# The Tensor
# ---------------------------------------------------------------------------------------------
class Tensor:
    """A NumPy-backed tensor with PyTorch's autograd semantics."""

    __slots__ = ("_data", "_rg", "_grad", "_fn", "_vbox", "_retains", "_base", "_accum",
                 "_vver", "_hooks", "_vmeta", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, *args):
        """``Tensor(data)`` or ``Tensor(*sizes)`` (float32, like ``torch.Tensor``)."""
        if len(args) == 1 and not isinstance(args[0], int):
            arr = _to_array(args[0]).astype(_DEFAULT_FLOAT)
        else:
            arr = np.zeros(_shape_args(args), _DEFAULT_FLOAT)
        self._data = arr
        self._rg = False
        self._grad = None
        self._fn = None
        self._vbox = [0] if not _STATE.inference else _InferenceBox((0,))
        self._retains = False
        self._base = None
        self._accum = None
        self._vver = 0
        self._hooks = None
        self._vmeta = None

    # --- attributes -----------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self._fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (" If you want to use a computed variable in a subgraph that doesn't "
                        "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError(msg)
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        if value and self._vbox.__class__ is _InferenceBox and not _STATE.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._rg = value

    def requires_grad_(self, requires_grad=True):
        if self._fn is not None and requires_grad:
            return self                 # a non-leaf already requires grad (PyTorch: no-op)
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(_FLOAT_REQUIRED)
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        if self._base is not None:
            self._sync_view()
        return self._fn

    @property
    def _is_view(self):
        return self._base is not None

    def is_view(self):
        return self._base is not None

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self._fn is not None and not self._retains and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains

    def retain_grad(self):
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._fn is not None:
            self._retains = True
            engine._RETAIN[self._fn] = weakref.ref(self)

    @property
    def data(self):
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    @property
    def dtype(self):
        return _DTYPES[self._data.dtype]

    @property
    def device(self):
        return "cpu"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    @property
    def _version(self):
        if self._vbox.__class__ is _InferenceBox:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vbox[0]

    def is_inference(self):
        """Whether ``self`` was created in inference mode (or is a view of such a tensor)."""
        return self._vbox.__class__ is _InferenceBox

    @property
    def is_floating_point(self):
        return lambda: self._data.dtype.kind == "f"

    def element_size(self):
        return self._data.itemsize

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def contiguous(self):
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    # --- conversions ----------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force=False):
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        if copy:
            return arr.copy()
        return arr

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is "
                               "ambiguous")
        return bool(self._data.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        fn = self._fn
        name = None if fn is None else type(fn).__name__       # PyTorch's repr: no namespace
        return printing.tensor_repr(self._data, name, self._rg)

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self._data.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __reduce_ex__(self, proto):
        return (tensor, (self._data.copy(), None, None, self._rg))

    def to(self, *args, **kwargs):
        dt = kwargs.get("dtype")
        for a in args:
            if isinstance(a, dtype) or a in (float, int, bool) or isinstance(a, np.dtype):
                dt = a
            elif isinstance(a, Tensor):
                dt = a.dtype
        if dt is None:
            return self
        want = _np_dtype(dt)
        if want == self._data.dtype:
            return self
        return self._cast(want)

    def _cast(self, want):
        out = self._data.astype(want)
        if self._rg and _STATE.enabled and want.kind == "f":
            return _record(_P["float"], "ToCopyBackward0", (self,), out, {})
        return _wrap(out)

    def type(self, dt=None):
        if dt is None:
            return engine._type_name(self._data.dtype)
        return self.to(dt)

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def half(self):
        return self.to(float16)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def bool(self):
        return self.to(bool_)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("ad_compiler Tensors live on the CPU (NumPy)")

    # --- graph ----------------------------------------------------------------------------
    def detach(self):
        t = _wrap(self._data, False, None, self._vbox)
        return t

    def detach_(self):
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                "be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self._fn = None
        self._rg = False
        return self

    def clone(self):
        out = self._data.copy()
        if self._rg and _STATE.enabled:
            return _record(_P["pos"], "CloneBackward0", (self,), out, {})
        return _wrap(out)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if inputs is not None:
            ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
            grads = engine.run_backward([self], [gradient], retain_graph, create_graph, ins,
                                        allow_unused=True)
            for t, g in zip(ins, grads):
                if g is not None:
                    engine._store_grad(t, g if create_graph else g._data, create_graph,
                                       engine._Handed())
            return
        engine.run_backward([self], [gradient], retain_graph, create_graph)

    def register_hook(self, hook):
        """``hook(grad)`` runs when the gradient of ``self`` is computed; a Tensor it returns
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        fn = self.grad_fn
        node = fn if fn is not None else accumulate_node(self)
        if node is None:                     # a view made under no_grad: never reached
            return engine.RemovableHandle({}, None)
        return engine.add_tensor_hook(node, hook)

    # --- arithmetic -----------------------------------------------------------------------
    def __add__(self, other):
        return _binary(_ADD, "AddBackward0", self, other)

    def __radd__(self, other):
        return _binary(_ADD, "AddBackward0", self, other)

    def __sub__(self, other):
        return _binary(_SUB, "SubBackward0", self, other)

    def __rsub__(self, other):
        return _rbinary(_SUB, "RsubBackward1", self, other)

    def __mul__(self, other):
        return _binary(_MUL, "MulBackward0", self, other)

    def __rmul__(self, other):
        return _binary(_MUL, "MulBackward0", self, other)

    def __truediv__(self, other):
        return _binary(_DIV, "DivBackward0", self, other)

    def __rtruediv__(self, other):
        return _rbinary(_DIV, "MulBackward0", self, other)   # PyTorch: reciprocal times b

    def __pow__(self, other):
        if isinstance(other, Tensor):
            return _binary(_POW, "PowBackward1", self, other)
        return _binary(_POW, "PowBackward0", self, other)

    def __rpow__(self, other):
        return _rbinary(_POW, "PowBackward2", self, other)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_as_tensor(other), self)

    def __neg__(self):
        return _unary(_NEG, "NegBackward0", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __mod__(self, other):
        return _binary(_P["mod"], "RemainderBackward0", self, other)

    def __floordiv__(self, other):
        return _binary(_P["floordiv"], "FloorDivideBackward0", self, other)

    def __lt__(self, other):
        return _binary(_P["lt"], "", self, other)

    def __le__(self, other):
        return _binary(_P["le"], "", self, other)

    def __gt__(self, other):
        return _binary(_P["gt"], "", self, other)

    def __ge__(self, other):
        return _binary(_P["ge"], "", self, other)

    def __eq__(self, other):
        r = _binary(_P["eq"], "", self, other)
        return False if r is NotImplemented else r

    def __ne__(self, other):
        r = _binary(_P["ne"], "", self, other)
        return True if r is NotImplemented else r

    def __and__(self, other):
        return _binary(_P["and"], "", self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _binary(_P["or"], "", self, other)

    __ror__ = __or__

    def __invert__(self):
        return _wrap(~self._data)

    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    def square(self):
        return self ** 2

    def reciprocal(self):
        return _apply(_DIV, "ReciprocalBackward0", (1.0, self))

    def rsqrt(self):
        return _apply(_POW, "RsqrtBackward0", (self, -0.5))

    # --- in-place operations --------------------------------------------------------------
    # Every in-place op is its out-of-place op applied to a snapshot of ``self`` and written
    # back into ``self``'s memory; when that records a node, ``self`` takes over its history
    # (and, for a view, its base gets PyTorch's CopySlices node).
    def _check_inplace(self):
        if self._vbox.__class__ is _InferenceBox and not _STATE.inference:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You "
                "can make a clone to get a normal tensor before doing inplace update.See "
                "https://github.com/pytorch/rfcs/pull/17 for more details.")
        if _STATE.enabled:
            if self._vmeta is _NO_GRAD_VIEW:
                raise RuntimeError(
                    "A view was created in no_grad mode and is being modified inplace with "
                    "grad mode enabled. Given that this use case is ambiguous and "
                    "error-prone, it is forbidden. You can clarify your code by moving both "
                    "the view and the inplace either both inside the no_grad block (if you "
                    "don't want the inplace to be tracked) or both outside (if you want the "
                    "inplace to be tracked).")
            if self._vmeta is not None and self._base._rg:
                raise RuntimeError(
                    f"Output {self._vmeta[1]} of {self._vmeta[0]} is a view and is being "
                    "modified inplace. This view is the output of a function that returns "
                    "multiple views. Such functions do not allow the output views to be "
                    "modified inplace. You should replace the inplace operation by an "
                    "out-of-place one.")
            if self._rg and self._fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            b = self._base
            if b is not None and b._rg and b._fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                   "used in an in-place operation.")
        data = self._data
        if any(s == 0 and n > 1 for s, n in zip(data.strides, data.shape)):
            raise RuntimeError(_OVERLAP_MSG)

    def _may_record(self, other=None):
        """Whether an in-place op on ``self`` with operand ``other`` can record a node."""
        if not _STATE.enabled:
            return False
        if self._base is not None:
            self._sync_view()
            if self._base._rg:
                return True
        return self._rg or (isinstance(other, Tensor) and other._rg)

    def _inplace_op(self, compute, other=None, keeps_result=False):
        """``self`` overwritten by ``compute(snapshot of self)`` (an out-of-place Tensor op).

        ``keeps_result``: the op's backward reads its result, which PyTorch then checks
        against later in-place changes of ``self`` (``exp_``, ``tanh_``...)."""
        self._check_inplace()
        record = self._may_record(other)
        data = self._data
        fn = self._fn
        if record and self._base is not None and fn is not None and engine.has_hooks(fn):
            fn = engine.copy_node(fn)    # PyTorch's CopySlices bypasses the view's old node
        src = _wrap(data.copy() if record else data, self._rg, fn)
        if record or not _STATE.enabled:
            r = compute(src)
        else:
            with grad_mode.no_grad():
                r = compute(src)
        out = r._data
        if out.shape != data.shape:
            raise RuntimeError(f"output with shape {list(data.shape)} doesn't match the "
                               f"broadcast shape {list(out.shape)}")
        if out.dtype.kind == "f" and data.dtype.kind != "f":
            raise RuntimeError(f"result type {_kind_name(out.dtype)} can't be cast to the "
                               f"desired output type {_kind_name(data.dtype)}")
        np.copyto(data, out, casting="unsafe")
        self._vbox[0] += 1
        if record and r._rg:
            node = r._fn
            if keeps_result and node._ans is not None:
                node._ans = (data, self._vbox, self._vbox[0])
            if self._base is None:
                self._move_history(node)
            else:
                self._rewrite_base(r)
        return self

    def _rewrite_base(self, value):
        """``self`` is a view whose values are now ``value``'s: the base's history becomes
        CopySlices (its old history outside the view, ``value`` inside), and the view reads
        the new base (AsStridedBackward0), as PyTorch rewrites it."""
        base = self._base
        index = _view_index(self._data, base._data)
        old = _wrap(base._data, base._rg, base._fn, [0])
        res = _record(_P["setitem"], "CopySlices", (old, value), base._data, {"index": index},
                      base._vbox)
        base._move_history(res._fn)
        view = _record(_GETITEM, "AsStridedBackward0", (base,), self._data, {"index": index})
        self._move_history(view._fn)
        self._vver = self._vbox[0]

    def _sync_view(self):
        """A view's history follows its base's after in-place changes made elsewhere."""
        if self._vver != self._vbox[0]:
            base = self._base
            if self._vmeta is _NO_GRAD_VIEW and base._rg and _STATE.enabled:
                raise RuntimeError(
                    "A view was created in no_grad mode and its base or another view of its "
                    "base has been modified inplace with grad mode enabled. Given that this "
                    "use case is ambiguous and error-prone, it is forbidden. You can clarify "
                    "your code by moving both the view and the inplace either both inside the "
                    "no_grad block (if you don't want the inplace to be tracked) or both "
                    "outside (if you want the inplace to be tracked).")
            self._vver = self._vbox[0]
            if base._rg and _STATE.enabled:
                index = _view_index(self._data, base._data)
                view = _record(_GETITEM, "AsStridedBackward0", (base,), self._data,
                               {"index": index})
                self._move_history(view._fn)

    def _move_history(self, node):
        """``self`` now holds the result of ``node`` (an in-place operation)."""
        if self._retains and self._fn is not None:
            engine._RETAIN.pop(self._fn, None)
            engine._RETAIN[node] = weakref.ref(self)
        self._fn = node
        self._rg = True

    def _arith_(self, prim_name, method, other):
        """``self <op>= other``: NumPy's in-place ufunc when nothing records, else the
        out-of-place op written back."""
        if self._may_record(other):
            return self._inplace_op(lambda s: getattr(s, method)(other), other)
        self._check_inplace()
        data = self._data
        od = other._data if isinstance(other, Tensor) else (
            other if isinstance(other, (int, float)) else np.asarray(other))
        try:
            _INPLACE_UFUNC[prim_name](data, od, out=data)
        except ValueError:
            if not _broadcastable(data.shape, np.shape(od)):
                raise _shape_error(_P[prim_name], (data, od), None) from None
            shape = np.broadcast_shapes(data.shape, np.shape(od))
            raise RuntimeError(f"output with shape {list(data.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}") from None
        except TypeError:
            res = np.result_type(data, od)
            raise RuntimeError(f"result type {_kind_name(res)} can't be cast to the desired "
                               f"output type {_kind_name(data.dtype)}") from None
        self._vbox[0] += 1
        return self

    def __iadd__(self, other):
        return self._arith_("add", "__add__", other)

    def __isub__(self, other):
        return self._arith_("sub", "__sub__", other)

    def __imul__(self, other):
        return self._arith_("mul", "__mul__", other)

    def __itruediv__(self, other):
        return self._arith_("div", "__truediv__", other)

    def __ipow__(self, other):
        return self._arith_("pow", "__pow__", other)

    def add_(self, other, alpha=1):
        return self._arith_("add", "__add__", other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return self._arith_("sub", "__sub__", other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._arith_("mul", "__mul__", other)

    def div_(self, other):
        return self._arith_("div", "__truediv__", other)

    def pow_(self, other):
        return self._arith_("pow", "__pow__", other)

    def _overwrite(self, name, values):
        """``self``'s values replaced by ``values`` (a Tensor or array broadcast to self's
        shape): the gradient to the old values is zero, to a tracked ``values`` its own."""
        keep = np.zeros(self._data.shape, np.bool_)
        return self._inplace_op(lambda s: _apply(_P["where"], name, (keep, s, values)),
                                values)

    def zero_(self):
        return self._overwrite("ZeroBackward0", 0.0)

    def fill_(self, value):
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got "
                                   f"tensor with {value._data.ndim} dimensions.")
            return self._overwrite("FillBackward3", value.to(self.dtype))
        return self._overwrite("FillBackward2", value)

    def normal_(self, mean=0.0, std=1.0, generator=None):
        gen = (generator or default_generator)._rng
        values = gen.normal(mean, std, self._data.shape).astype(self._data.dtype)
        return self._overwrite("NormalBackward0", values)

    def uniform_(self, a=0.0, b=1.0, generator=None):
        gen = (generator or default_generator)._rng
        values = gen.uniform(a, b, self._data.shape).astype(self._data.dtype)
        return self._overwrite("UniformBackward0", values)

    def copy_(self, src, non_blocking=False):
        if isinstance(src, Tensor):
            src = src.to(self.dtype)
        else:
            src = np.asarray(src, self._data.dtype)
        if not _broadcastable(np.shape(src), self._data.shape) or \
                np.broadcast_shapes(np.shape(src), self._data.shape) != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(np.shape(src))}")
        return self._overwrite("CopyBackwards", src)

    def clamp_(self, min=None, max=None):
        if not (_STATE.enabled or isinstance(min, Tensor) or isinstance(max, Tensor)) and \
                (min is not None or max is not None):
            self._check_inplace()                       # nothing records: clip in place
            np.clip(self._data, min, max, out=self._data)
            self._vbox[0] += 1
            return self
        return self._inplace_op(lambda s: s.clamp(min, max), min if isinstance(min, Tensor)
                                else max)

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return self._inplace_op(lambda s: s.masked_fill(mask, value), value)

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        src = value if src is None else src
        return self._inplace_op(lambda s: s.scatter(dim, index, src, reduce=reduce), src)

    def index_add_(self, dim, index, source, alpha=1):
        return self._inplace_op(lambda s: s.index_add(dim, index, source, alpha=alpha),
                                source)

    def __setitem__(self, index, value):
        index = _index(index)
        if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
            value = value.to(self.dtype)
        if self._may_record(value):
            name = "CopySlices" if _is_basic_index(index) else "IndexPutBackward0"
            self._inplace_op(lambda s: _apply(_P["setitem"], name, (s, value),
                                              {"index": index}), value)
            return
        self._check_inplace()
        self._data[index] = value._data if isinstance(value, Tensor) else value
        self._vbox[0] += 1

    # --- indexing -------------------------------------------------------------------------
    def __getitem__(self, index):
        cls = index.__class__
        if cls is int or cls is slice:               # fast path: x[i], x[a:b]
            data = self._data
            try:
                out = data[index] if cls is slice or data.ndim > 1 else data[index, ...]
            except IndexError as e:
                raise IndexError(str(e)) from None
            if self._base is not None and self._vver != self._vbox[0]:
                self._sync_view()
            if self._rg and _STATE.enabled:
                t = _record(_GETITEM, "SelectBackward0" if cls is int else "SliceBackward0",
                            (self,), out, {"index": index}, self._vbox)
            else:
                t = _wrap(out, False, None, self._vbox)
            t._base = self if self._base is None else self._base
            t._vver = self._vbox[0]
            if not _STATE.enabled and self._rg:
                _mark_no_grad_view(t)
            return t
        index = _index(index)
        if _is_basic_index(index):
            items = index if isinstance(index, tuple) else (index,)
            name = "SelectBackward0" if any(isinstance(i, (int, np.integer)) for i in items) \
                else ("SliceBackward0" if any(isinstance(i, slice) for i in items)
                      else "UnsqueezeBackward0")
            return _view_of(self, _apply(_GETITEM, name, (self,), {"index": index}))
        return _apply(_GETITEM, "IndexBackward0", (self,), {"index": index})

    # --- elementwise functions ------------------------------------------------------------
    def exp(self):
        return _unary(_P["exp"], "ExpBackward0", self)

    def log(self):
        return _unary(_P["log"], "LogBackward0", self)

    def sin(self):
        return _unary(_P["sin"], "SinBackward0", self)

    def cos(self):
        return _unary(_P["cos"], "CosBackward0", self)

    def tan(self):
        return _unary(_P["tan"], "TanBackward0", self)

    def tanh(self):
        return _unary(_P["tanh"], "TanhBackward0", self)

    def sinh(self):
        return _unary(_P["sinh"], "SinhBackward0", self)

    def cosh(self):
        return _unary(_P["cosh"], "CoshBackward0", self)

    def asin(self):
        return _unary(_P["arcsin"], "AsinBackward0", self)

    def acos(self):
        return _unary(_P["arccos"], "AcosBackward0", self)

    def atan(self):
        return _unary(_P["arctan"], "AtanBackward0", self)

    def sigmoid(self):
        return _unary(_P["sigmoid"], "SigmoidBackward0", self)

    def relu(self):
        return _unary(_P["rt_relu"], "ReluBackward0", self)

    def abs(self):
        return _unary(_P["abs"], "AbsBackward0", self)

    def sqrt(self):
        return _unary(_P["sqrt"], "SqrtBackward0", self)

    def log2(self):
        return _unary(_P["log2"], "Log2Backward0", self)

    def log10(self):
        return _unary(_P["log10"], "Log10Backward0", self)

    def log1p(self):
        return _unary(_P["log1p"], "Log1PBackward0", self)

    def expm1(self):
        return _unary(_P["expm1"], "Expm1Backward0", self)

    def erf(self):
        return _unary(_P["erf"], "ErfBackward0", self)

    def sign(self):
        return _unary(_P["sign"], "SignBackward0", self)

    def floor(self):
        return _unary(_P["floor"], "FloorBackward0", self)

    def ceil(self):
        return _unary(_P["ceil"], "CeilBackward0", self)

    def round(self):
        return _unary(_P["rint"], "RoundBackward0", self)

    def trunc(self):
        return _unary(_P["trunc"], "TruncBackward0", self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, min)
            if max is not None:
                out = minimum(out, max)
            return out
        name = "ClampBackward1"
        if self._data.dtype.kind == "f":
            lo = -math.inf if min is None else min
            hi = math.inf if max is None else max
        else:
            lo, hi = min, max
        return _apply(_P["clip"], name, (self, lo, hi))

    clip = clamp

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def where(self, condition, other):
        return where(condition, self, other)

    # --- reductions -----------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None, axis=None):
        if dim is None and axis is None and dtype is None and not keepdim and \
                self._data.dtype.kind == "f":
            return _unary(_SUM, "SumBackward0", self)
        dim = _dims(axis if dim is None else dim, self._data.ndim)
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind == "b":
            x = x.to(int64)
        if dim is None and not keepdim:
            return _apply(_SUM, "SumBackward0", (x,))
        return _apply(_SUM, "SumBackward1", (x,), {"axis": dim, "keepdims": keepdim})

    def mean(self, dim=None, keepdim=False, dtype=None, axis=None):
        if dim is None and axis is None and dtype is None and not keepdim and \
                self._data.dtype.kind == "f":
            return _unary(_P["mean"], "MeanBackward0", self)
        dim = _dims(axis if dim is None else dim, self._data.ndim)
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_kind_name(x._data.dtype)}")
        if dim is None and not keepdim:
            return _apply(_P["mean"], "MeanBackward0", (x,))
        return _apply(_P["mean"], "MeanBackward1", (x,), {"axis": dim, "keepdims": keepdim})

    def prod(self, dim=None, keepdim=False, axis=None):
        dim = _dims(axis if dim is None else dim, self._data.ndim)
        if dim is None:
            return _apply(_P["rt_prod"], "ProdBackward0", (self,))
        return _apply(_P["rt_prod"], "ProdBackward1", (self,), {"axis": dim, "keepdims": keepdim})

    def _extremum(self, which, dim, keepdim, other):
        if isinstance(dim, Tensor):
            other, dim = dim, None
        if other is not None:
            return maximum(self, other) if which == "max" else minimum(self, other)
        prim = _P[which]
        cap = which.capitalize()
        if dim is None:
            return _apply(prim, f"{cap}Backward1", (self,))
        dim = int(dim) % max(self._data.ndim, 1)
        arg = np.argmax if which == "max" else np.argmin
        idx = arg(self._data, axis=dim, keepdims=keepdim) if self._data.ndim else \
            np.zeros((), np.int64)
        # the gradient goes to the returned index, as PyTorch's MaxBackward0
        values = _apply(_GETITEM, f"{cap}Backward0", (self,),
                        {"index": _along_index(idx, dim, keepdim, self._data.ndim)})
        return _ReturnTypes(values, _wrap(np.asarray(idx, np.int64)), which)

    def max(self, dim=None, keepdim=False, other=None):
        return self._extremum("max", dim, keepdim, other)

    def min(self, dim=None, keepdim=False, other=None):
        return self._extremum("min", dim, keepdim, other)

    def amax(self, dim=None, keepdim=False):
        if dim is None:
            return _apply(_P["max"], "AmaxBackward0", (self,))
        return _apply(_P["max"], "AmaxBackward0", (self,), {"axis": _dims(dim, 0),
                                                            "keepdims": keepdim})

    def amin(self, dim=None, keepdim=False):
        if dim is None:
            return _apply(_P["min"], "AminBackward0", (self,))
        return _apply(_P["min"], "AminBackward0", (self,), {"axis": _dims(dim, 0),
                                                            "keepdims": keepdim})

    def argmax(self, dim=None, keepdim=False):
        idx = np.argmax(self._data, axis=dim)
        if keepdim and dim is not None:
            idx = np.expand_dims(idx, dim)
        return _wrap(np.asarray(idx, np.int64))

    def argmin(self, dim=None, keepdim=False):
        idx = np.argmin(self._data, axis=dim)
        if keepdim and dim is not None:
            idx = np.expand_dims(idx, dim)
        return _wrap(np.asarray(idx, np.int64))

    def norm(self, p="fro", dim=None, keepdim=False):
        if p in (2, "fro", None):
            dim = _dims(dim, self._data.ndim)
            if dim is None and not keepdim:
                return _apply(_P["norm"], "LinalgVectorNormBackward0", (self,))
            return _apply(_P["norm"], "LinalgVectorNormBackward0", (self,), {"axis": dim,
                                                                 "keepdims": keepdim})
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    def _spread(self, prim_name, name, dim, unbiased, keepdim, correction):
        if correction is None:
            correction = 1 if unbiased else 0
        dim = _dims(dim, self._data.ndim)
        return _apply(_P[prim_name], name, (self,), {"axis": dim, "keepdims": keepdim,
                                                    "correction": correction})

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return self._spread("rt_std", "StdBackward0", dim, unbiased, keepdim, correction)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return self._spread("rt_var", "VarBackward0", dim, unbiased, keepdim, correction)

    # --- linear algebra -------------------------------------------------------------------
    def dot(self, other):
        return dot(self, other)

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        return matmul(self, other)

    def mv(self, other):
        return matmul(self, other)

    def outer(self, other):
        return _apply(_P["outer"], "OuterBackward0", (self, other))

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return _view_of(self, _apply(_P["transpose"], "TBackward0", (self,)))

    @property
    def T(self):
        return _view_of(self, _apply(_P["transpose"], "PermuteBackward0", (self,)))

    @property
    def mT(self):
        return _view_of(self, _apply(_P["matrix_transpose"], "TransposeBackward0", (self,)))

    def transpose(self, dim0, dim1):
        n = self._data.ndim
        axes = list(range(n))
        axes[dim0 % n], axes[dim1 % n] = axes[dim1 % n], axes[dim0 % n]
        return _view_of(self, _apply(_P["transpose"], "TransposeBackward0", (self,),
                                     {"axes": tuple(axes)}))

    def movedim(self, source, destination):
        n = self._data.ndim
        order = [d for d in range(n) if d != source % n]
        order.insert(destination % n, source % n)
        return self.permute(*order)

    def permute(self, *dims):
        return _view_of(self, _apply(_P["transpose"], "PermuteBackward0", (self,),
                                     {"axes": _shape_args(dims)}))

    # --- shapes ---------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _shape_args(shape)
        try:
            return _view_of(self, _apply(_P["reshape"], "ViewBackward0", (self,),
                                         {"shape": shape}))
        except RuntimeError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size "
                               f"{self._data.size}") from None

    def view(self, *shape):
        if not self._data.flags.c_contiguous:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one"
                " dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.")
        return self.reshape(*shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        return self.reshape(shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])

    def unsqueeze(self, dim):
        dim = dim if dim >= 0 else dim + self._data.ndim + 1
        return _view_of(self, _apply(_P["expand_dims"], "UnsqueezeBackward0", (self,),
                                     {"axis": dim}))

    def squeeze(self, dim=None):
        if dim is None:
            return _view_of(self, _apply(_P["squeeze"], "SqueezeBackward0", (self,)))
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        shape = self._data.shape
        dims = tuple(d % len(shape) for d in dims if shape and shape[d % len(shape)] == 1)
        return _view_of(self, _apply(_P["squeeze"], "SqueezeBackward1", (self,),
                                     {"axis": dims}))

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        shape = self._data.shape
        full = tuple(s if s != -1 else shape[i - (len(sizes) - len(shape))]
                     for i, s in enumerate(sizes))
        try:
            out = np.broadcast_to(self._data, full)
        except ValueError:
            raise RuntimeError(f"The expanded size of the tensor must match the existing size "
                               f"at non-singleton dimension. Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(shape)}") from None
        if self._rg and _STATE.enabled:
            t = _record(_P["broadcast_like"], "ExpandBackward0",
                        (self, engine._ShapeOf(full)), out, {})
        else:
            t = _wrap(out)
        return _view_of(self, t)

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        sizes = _shape_args(sizes)
        x = self
        if len(sizes) < x.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        if len(sizes) > x.ndim:
            x = x.reshape((1,) * (len(sizes) - x.ndim) + tuple(x.shape))
        # one gather: element i along an axis of length n comes from i % n
        index = np.ix_(*(np.arange(n * r) % n for n, r in zip(x._data.shape, sizes)))
        return _apply(_GETITEM, "RepeatBackward0", (x,), {"index": index})


    # --- what a tutorial reaches for next ---------------------------------------------------
    def softmax(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return _unary(_SOFTMAX, "SoftmaxBackward0", x, {"axis": int(dim)})

    def log_softmax(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return _unary(_LOG_SOFTMAX, "LogSoftmaxBackward0", x, {"axis": int(dim)})

    def logsumexp(self, dim, keepdim=False):
        return _apply(_P["rt_logsumexp"], "LogsumexpBackward0", (self,),
                      {"axis": _dims(dim, self._data.ndim), "keepdims": keepdim})

    def cumsum(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bu":
            x = x.to(int64)
        return _apply(_P["rt_cumsum"], "CumsumBackward0", (x,), {"axis": int(dim)})

    def masked_fill(self, mask, value):
        mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {mask.dtype}")
        name = "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0"
        if isinstance(value, Tensor):
            value = value.to(self.dtype)
        out = _apply(_P["where"], name, (mask, value, self))
        if out._data.dtype != self._data.dtype:
            out._data = out._data.astype(self._data.dtype)
        return out

    def _dim_index(self, dim, index):
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("gather(): Expected dtype int64 for index")
        parts = list(np.indices(idx.shape, sparse=True))
        parts[int(dim) % max(idx.ndim, 1)] = idx
        return tuple(parts), idx

    def gather(self, dim, index):
        adv, _ = self._dim_index(dim, index)
        return _apply(_GETITEM, "GatherBackward0", (self,), {"index": adv})

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        src = value if src is None else src
        adv, idx = self._dim_index(dim, index)
        if isinstance(src, Tensor):
            src = src[tuple(slice(0, n) for n in idx.shape)]
            name = "ScatterBackward0"
        else:
            name = "ScatterBackward1"
        if reduce is None:
            return _apply(_P["setitem"], name, (self, src), {"index": adv})
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated "
                          "and will be removed in a future PyTorch release. Use "
                          "torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        return _apply(_P["rt_scatter_reduce"], "NotImplemented", (self, src),
                      {"index": adv, "reduce": reduce})

    def index_select(self, dim, index):
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        sel = (slice(None),) * (int(dim) % self._data.ndim) + (idx.reshape(-1),)
        return _apply(_GETITEM, "IndexSelectBackward0", (self,), {"index": sel})

    def index_add(self, dim, index, source, alpha=1):
        idx = index._data if isinstance(index, Tensor) else np.asarray(index)
        sel = (slice(None),) * (int(dim) % self._data.ndim) + (idx.reshape(-1),)
        source = _as_tensor(source) if alpha == 1 else _as_tensor(source) * alpha
        spread = _apply(_P["scatter_like"], "IndexAddBackward0",
                        (source, engine._ShapeOf(self._data.shape)), {"index": sel})
        return _apply(_ADD, "IndexAddBackward0", (self, spread.to(self.dtype)))

    def bmm(self, other):
        if self._data.ndim != 3 or other._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        return _apply(_P["matmul"], "BmmBackward0", (self, other))

    def split(self, split_size, dim=0):
        n = self._data.shape[dim]
        if isinstance(split_size, int):
            sizes = [min(split_size, n - s) for s in range(0, n, split_size)] or [0]
            name = "SplitBackward0"
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                                   f"{n} (input tensor's size at dimension {dim}), but got "
                                   f"split_sizes={sizes}")
            name = "SplitWithSizesBackward0"
        lead = (slice(None),) * (dim % self._data.ndim)
        out, start = [], 0
        for k, size in enumerate(sizes):
            piece = _view_of(self, _apply(_GETITEM, name, (self,),
                                          {"index": lead + (slice(start, start + size),)}))
            piece._vmeta = ("Split" if name == "SplitBackward0" else "SplitWithSizes", k)
            out.append(piece)
            start += size
        return tuple(out)

    def chunk(self, chunks, dim=0):
        n = self._data.shape[dim]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim=0):
        lead = (slice(None),) * (dim % self._data.ndim)
        out = []
        for i in range(self._data.shape[dim]):
            piece = _view_of(self, _apply(_GETITEM, "UnbindBackward0", (self,),
                                          {"index": lead + (i,)}))
            piece._vmeta = ("Unbind", i)
            out.append(piece)
        return tuple(out)

    def flip(self, *dims):
        dims = _shape_args(dims)
        index = [slice(None)] * self._data.ndim
        for d in dims:
            index[d % self._data.ndim] = slice(None, None, -1)
        out = _apply(_GETITEM, "FlipBackward0", (self,), {"index": tuple(index)})
        out._data = out._data.copy()          # a copy, not a view, as in PyTorch
        return out

    def leaky_relu(self, negative_slope=0.01):
        return _apply(_P["where"], "LeakyReluBackward0",
                      (self._data > 0, self, self * negative_slope))

    def new_zeros(self, *size, dtype=None):
        return _wrap(np.zeros(_shape_args(size), _np_dtype(dtype) or self._data.dtype))

    def new_ones(self, *size, dtype=None):
        return _wrap(np.ones(_shape_args(size), _np_dtype(dtype) or self._data.dtype))

    def new_tensor(self, data, dtype=None):
        return tensor(data, dtype=dtype or self.dtype)


def _bump_ans(node):
    """The node of an in-place change saved its result before the version bump."""
    if node._ans is not None:
        data, box, version = node._ans
        node._ans = (data, box, version + 1)


def _along_index(idx, dim, keepdim, ndim):
    """The advanced index picking ``idx`` (indices along ``dim``, shaped like a reduction
    over ``dim``) out of an ``ndim``-dimensional array (``gather``'s index)."""
    if ndim == 0:
        return ()
    grids = np.indices(idx.shape, sparse=True)
    if keepdim:
        parts = list(grids)
        parts[dim] = idx
    else:
        parts = list(grids[:dim]) + [idx] + list(grids[dim:])
    return tuple(parts)



def _index(index):
    """Tensors inside an index become NumPy arrays (or ints)."""
    if isinstance(index, Tensor):
        d = index._data
        return int(d) if d.ndim == 0 and d.dtype.kind in "iu" else d
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray([i._data if isinstance(i, Tensor) else i for i in index])
    return index


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _kind_name(dt):
    return {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}.get(np.dtype(dt).kind, "Float")


_ADD, _SUB, _MUL, _DIV, _POW, _NEG = (_P[n] for n in ("add", "sub", "mul", "div", "rt_pow",
                                                      "neg"))
_SUM = _P["sum"]
_ZERO_GRAD = _P["rt_zero_grad"]
_GETITEM = _P["getitem"]
_MAXIMUM = _P["rt_maximum"]
_SOFTMAX, _LOG_SOFTMAX = _P["rt_softmax"], _P["rt_log_softmax"]


# ---------------------------------------------------------------------------------------------
# Functions that are not methods of a single Tensor
# ---------------------------------------------------------------------------------------------
def matmul(a, b):
    a, b = _as_tensor(a), _as_tensor(b)
    na, nb = a._data.ndim, b._data.ndim
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    name = ("DotBackward0" if na == 1 and nb == 1 else "MvBackward0" if na == 2 and nb == 1
            else "MmBackward0" if na == 2 and nb == 2 else "SqueezeBackward4" if na == 1
            else "UnsafeViewBackward0")
    return _apply(_P["matmul"], name, (a, b))


def dot(a, b):
    a, b = _as_tensor(a), _as_tensor(b)
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and "
                           f"{b._data.ndim}D tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_kind_name(a._data.dtype)} and {_kind_name(b._data.dtype)}")
    return _apply(_P["dot"], "DotBackward0", (a, b))


def maximum(a, b):
    return _apply(_MAXIMUM, "MaximumBackward0", (_as_tensor(a), _as_tensor(b)))


def minimum(a, b):
    return _apply(_P["rt_minimum"], "MinimumBackward0", (_as_tensor(a), _as_tensor(b)))


def atan2(a, b):
    return _apply(_P["arctan2"], "Atan2Backward0", (_as_tensor(a), _as_tensor(b)))


def where(condition, a, b):
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    return _apply(_P["where"], "WhereBackward0", (c, a, b))


def cat(tensors, dim=0, axis=None):
    dim = dim if axis is None else axis
    tensors = [_as_tensor(t) for t in tensors]
    ndim = max(t._data.ndim for t in tensors)
    ax = int(dim) % ndim if ndim else 0
    sizes = tuple(t._data.shape[ax] if t._data.ndim else 1 for t in tensors)
    return _apply(_P["rt_cat"], "CatBackward0", tuple(tensors), {"axis": int(dim),
                                                                 "sizes": sizes})


def stack(tensors, dim=0, axis=None):
    dim = dim if axis is None else axis
    tensors = [_as_tensor(t) for t in tensors]
    return _apply(_P["stack"], "StackBackward0", tuple(tensors), {"axis": int(dim)})


# ---------------------------------------------------------------------------------------------
# Random numbers
# ---------------------------------------------------------------------------------------------
class Generator:
    """A random generator (NumPy's PCG64); ``manual_seed`` returns the default one."""

    def __init__(self, seed=67280421310721):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(np.random.SeedSequence().entropy % (2 ** 63))._seed


default_generator = Generator()

# in-place forms of the elementwise methods: ``x.exp_()`` is ``x.exp()`` written back
_KEEPS_RESULT = {"exp", "tanh", "sigmoid", "sqrt", "rsqrt", "relu"}


def _inplace_method(name):
    def method(self, *args, **kwargs):
        return self._inplace_op(lambda s: getattr(s, name)(*args, **kwargs),
                                keeps_result=name in _KEEPS_RESULT)

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    return method


for _name in ("exp", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "tanh",
              "sinh", "cosh", "asin", "acos", "atan", "sigmoid", "relu", "abs", "sqrt",
              "rsqrt", "neg", "sign", "floor", "ceil", "round", "trunc", "erf", "reciprocal",
              "square", "leaky_relu"):
    setattr(Tensor, _name + "_", _inplace_method(_name))
del _name


def einsum(equation, *operands):
    """``ad.einsum("ij,jk->ik", a, b)``: one node whose backward contracts the cotangent with
    the other operands. Ellipses become explicit letters first; repeated letters take
    diagonals. The node has the name of the last op of PyTorch's decomposition."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = tuple(_as_tensor(t) for t in operands)
    spec = _explicit_einsum(equation.replace(" ", ""), [t._data.ndim for t in operands])
    ins, out = spec.split("->")
    contracted = set(ins.replace(",", "")) - set(out)
    if len(operands) > 1:
        name = "ViewBackward0" if contracted else "MulBackward0"
    else:
        name = "SumBackward1" if contracted else "PermuteBackward0"
    return _apply(_P["rt_einsum"], name, operands, {"spec": spec})


def _explicit_einsum(equation, ndims):
    """``equation`` with each ``...`` spelled as letters (right-aligned, as broadcasting
    aligns them) and the output written out (PyTorch's implicit output: the ellipsis, then
    the letters used once, in order A-Z a-z)."""
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation" if len(terms) < len(ndims) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    free = [c for c in string.ascii_letters if c not in equation]
    ell = max([n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t],
              default=0)
    ell_letters = "".join(free[:ell])
    explicit = []
    for i, (t, n) in enumerate(zip(terms, ndims)):
        labels = len(t.replace("...", ""))
        if "..." in t:
            if labels > n:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({labels}) is more than the number of dimensions ({n}) "
                                   f"for operand {i}")
            t = t.replace("...", ell_letters[ell - (n - labels):])
        elif labels != n:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({labels}) "
                               f"does not match the number of dimensions ({n}) for operand "
                               f"{i} and no ellipsis was given")
        explicit.append(t)
    letters = "".join(explicit)
    if not arrow:
        once = sorted((c for c in set(letters) - set(ell_letters) if letters.count(c) == 1),
                      key=lambda c: (c.islower(), c))
        rhs = ell_letters + "".join(once)
    else:
        rhs = rhs.replace("...", ell_letters)
        for c in rhs:
            if c not in letters or rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} " + (
                    "appears more than once in the output" if c in letters else
                    "does not appear in the equation for any input operand"))
    return ",".join(explicit) + "->" + rhs


def bmm(a, b):
    return a.bmm(b)


engine.tensor_mod = __import__(__name__, fromlist=["_"])

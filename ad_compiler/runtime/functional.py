"""Module-level functions: constructors, random numbers and ``ad.<op>(tensor, ...)`` forms of
the Tensor methods."""

from __future__ import annotations

import numpy as np

from . import engine
from .tensor import (Generator, Tensor, _DEFAULT_FLOAT, _factory_requires_grad, _np_dtype,
                     _shape_args, _wrap, atan2, bmm, cat, default_generator, dot, einsum,
                     float32, matmul, maximum, minimum, stack, tensor, where)


def _finish(arr, requires_grad):
    t = _wrap(arr)
    return _factory_requires_grad(t) if requires_grad else t


def _float_dtype(dtype):
    d = _np_dtype(dtype)
    return _DEFAULT_FLOAT if d is None else d


# --- constructors --------------------------------------------------------------------------
def from_numpy(array):
    """A Tensor sharing memory with NumPy ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return _wrap(array)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and (dtype is None or _np_dtype(dtype) == data.dtype):
        return _wrap(data)
    return tensor(data, dtype=dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.zeros(_shape_args(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.ones(_shape_args(size), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _finish(np.zeros(_shape_args(size), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, int) else _DEFAULT_FLOAT)
    return _finish(np.full(_shape_args((size,)), fill_value, _np_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, (int, np.integer)) for v in vals) \
            else _DEFAULT_FLOAT
    d = _np_dtype(dtype)
    arr = np.arange(vals[0], vals[1], vals[2], dtype=np.float64 if d.kind == "f" else d)
    return _finish(arr.astype(d, copy=False), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    d = _float_dtype(dtype)
    steps = int(steps)
    # PyTorch's kernel, in the result's precision: start + i*step for the first half,
    # end - (steps-1-i)*step for the second
    start, end = d.type(start), d.type(end)
    if steps == 1:
        return _finish(np.full(1, start, d), requires_grad)
    step = d.type((end - start) / d.type(steps - 1))
    i = np.arange(steps)
    half = steps // 2
    arr = np.where(i < half, start + step * i.astype(d),
                   end - step * (steps - 1 - i).astype(d)).astype(d)
    return _finish(arr, requires_grad)


def _like(fn, t, dtype, requires_grad, **kw):
    d = t._data.dtype if dtype is None else _np_dtype(dtype)
    return _finish(fn(t._data.shape, d, **kw), requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return _like(lambda s, d: np.zeros(s, d), t, dtype, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return _like(lambda s, d: np.ones(s, d), t, dtype, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return zeros_like(t, dtype, device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return _like(lambda s, d: np.full(s, fill_value, d), t, dtype, requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


class _TypedTensor:
    """``FloatTensor(2, 3)`` (uninitialised: zeros here) or ``FloatTensor([1, 2])``."""

    def __init__(self, name, np_dtype):
        self.__name__ = name
        self._dtype = np.dtype(np_dtype)

    def __call__(self, *args):
        if len(args) == 1 and not isinstance(args[0], int):
            return tensor(args[0], dtype=self._dtype)
        return _wrap(np.zeros(_shape_args(args), self._dtype))

    def __instancecheck__(self, obj):
        return isinstance(obj, Tensor) and obj._data.dtype == self._dtype

    def __repr__(self):
        return f"<class 'ad_compiler.{self.__name__}'>"


FloatTensor = _TypedTensor("FloatTensor", np.float32)
DoubleTensor = _TypedTensor("DoubleTensor", np.float64)
LongTensor = _TypedTensor("LongTensor", np.int64)
IntTensor = _TypedTensor("IntTensor", np.int32)
BoolTensor = _TypedTensor("BoolTensor", np.bool_)


# --- random numbers --------------------------------------------------------------------------
def manual_seed(seed):
    """Seed the default generator (NumPy's PCG64: the numbers differ from PyTorch's)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def _gen(generator):
    return (generator or default_generator)._rng


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    d = _float_dtype(dtype)
    arr = _gen(generator).random(_shape_args(size), dtype=d if d.itemsize >= 4 else None)
    return _finish(arr.astype(d, copy=False), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    d = _float_dtype(dtype)
    arr = _gen(generator).standard_normal(_shape_args(size), dtype=d if d.itemsize >= 4 else None)
    return _finish(arr.astype(d, copy=False), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None,
            requires_grad=False):
    if high is None:
        low, high = 0, low
    arr = _gen(generator).integers(low, high, size=_shape_args((size,)))
    return _finish(np.asarray(arr, _np_dtype(dtype) or np.int64), requires_grad)


def randperm(n, generator=None, dtype=None, device=None):
    return _wrap(_gen(generator).permutation(n).astype(_np_dtype(dtype) or np.int64))


def normal(mean, std, size=None, generator=None):
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        out = _gen(generator).normal(m, s)
        return _wrap(np.asarray(out, np.result_type(m, s)))
    return _wrap(_gen(generator).normal(mean, std, _shape_args((size,))).astype(_DEFAULT_FLOAT))


# --- functions -------------------------------------------------------------------------------
def _method(name):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``ad.{name}(t, ...)`` is ``t.{name}(...)``."
    return fn


_METHODS = ["sum", "mean", "prod", "exp", "log", "log2", "log10", "log1p", "expm1", "sin",
            "cos", "tan", "tanh", "sinh", "cosh", "asin", "acos", "atan", "sigmoid", "relu",
            "abs", "sqrt", "rsqrt", "square", "reciprocal", "neg", "sign", "floor", "ceil",
            "round", "trunc", "erf", "norm", "t", "reshape", "view", "unsqueeze", "squeeze",
            "flatten", "transpose", "permute", "clamp", "clip", "argmax", "argmin", "amax",
            "amin", "std", "var", "numel", "clone", "detach", "outer", "mm", "mv", "softmax",
            "log_softmax", "logsumexp", "cumsum", "masked_fill", "gather", "scatter",
            "index_select", "index_add", "split", "chunk", "unbind", "flip", "expand"]
for _name in _METHODS:
    globals()[_name] = _method(_name)
del _name
absolute = globals()["abs"]
negative = globals()["neg"]


def max(input, dim=None, keepdim=False, *, out=None):
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False, *, out=None):
    return input.min(dim, keepdim)


def add(input, other, alpha=1):
    return _as(input).add(other, alpha=alpha)


def sub(input, other, alpha=1):
    return _as(input).sub(other, alpha=alpha)


subtract = sub


def mul(input, other):
    return _as(input) * other


multiply = mul


def div(input, other):
    return _as(input) / other


divide = true_divide = div


def pow(input, exponent):
    if not isinstance(input, Tensor):
        return exponent.__rpow__(input)
    return input ** exponent


def _as(x):
    return x if isinstance(x, Tensor) else tensor(x)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_grad_enabled():
    from .grad_mode import STATE
    return STATE.enabled


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(_as(a)._data, _as(b)._data, rtol, atol, equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _wrap(np.isclose(_as(a)._data, _as(b)._data, rtol, atol, equal_nan))


def equal(a, b):
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


def concatenate(tensors, dim=0, axis=None):
    return cat(tensors, dim, axis)


concat = concatenate


__all__ = ["from_numpy", "as_tensor", "zeros", "ones", "empty", "full", "eye", "arange",
           "linspace", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
           "randn_like", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
           "BoolTensor", "manual_seed", "seed", "initial_seed", "rand", "randn", "randint",
           "randperm", "normal", "max", "min", "add", "sub", "subtract", "mul", "multiply",
           "div", "divide", "true_divide", "pow", "is_tensor", "is_grad_enabled", "allclose",
           "isclose", "equal", "cat", "concat", "concatenate", "stack", "dot", "matmul",
           "maximum", "minimum", "where", "absolute", "negative", "Generator",
           "default_generator", "tensor", "einsum", "bmm", "atan2"] + _METHODS

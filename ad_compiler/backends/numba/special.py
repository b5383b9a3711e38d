"""Numba implementations of the special functions of :mod:`ad_compiler.rules.special`
(generated code calls them as ``_rt.lgamma`` and so on), for scalars and arrays."""

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from ...rules.special import digamma, digamma_scalar, erf, gamma, lgamma

_digamma_scalar = njit(cache=True)(digamma_scalar)


def _register(python_fn, scalar_fn):
    @overload(python_fn)
    def _impl(x):
        if isinstance(x, (types.Float, types.Integer)):
            return lambda x: scalar_fn(float(x))
        if isinstance(x, types.Array):
            def array_impl(x):
                flat_in = x.ravel()
                flat_out = np.empty(flat_in.size)
                for i in range(flat_in.size):
                    flat_out[i] = scalar_fn(float(flat_in[i]))
                return flat_out.reshape(x.shape)
            return array_impl


_register(erf, njit(lambda x: math.erf(x)))
_register(lgamma, njit(lambda x: math.lgamma(x)))
_register(gamma, njit(lambda x: math.gamma(x)))
_register(digamma, _digamma_scalar)

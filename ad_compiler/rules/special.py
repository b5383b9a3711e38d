"""Special functions: log-gamma, gamma and digamma (``math.lgamma``, ``scipy.special``).

Their NumPy implementations live here; generated code calls them as ``_rt.lgamma`` and so on
(Numba has ``math.lgamma`` for scalars only, and no digamma at all), with Numba overloads in
:mod:`ad_compiler.backends.helpers`.
"""

import math

import numpy as np

from .table import Syntax, defnames, defprim, defvjp


def _elementwise(scalar_fn):
    vectorised = np.vectorize(scalar_fn, otypes=[float])

    def fn(x):
        return scalar_fn(float(x)) if np.ndim(x) == 0 else vectorised(x)

    fn.__name__ = scalar_fn.__name__
    fn.__doc__ = scalar_fn.__doc__
    return fn


def digamma_scalar(x):
    """psi(x) = d/dx log Gamma(x): recurrence up to x >= 10, then the asymptotic series
    (relative error about 1e-15); reflection for x < 0."""
    if x <= 0.0 and x == math.floor(x):
        return math.nan
    result = 0.0
    if x < 0.0:   # psi(1 - x) - psi(x) = pi cot(pi x)
        result -= math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (
        1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12))))))
    return result + math.log(x) - 0.5 * inv - series


erf = _elementwise(math.erf)
lgamma = _elementwise(math.lgamma)
gamma = _elementwise(math.gamma)
digamma = _elementwise(digamma_scalar)

# erf is a helper, not ``math.erf``: ``scipy.special.erf`` of an array is common
defprim("erf", 1, erf, Syntax("helper", "erf"), elementwise=True)
defprim("lgamma", 1, lgamma, Syntax("helper", "lgamma"), elementwise=True)
defprim("gamma", 1, gamma, Syntax("helper", "gamma"), elementwise=True)
defprim("digamma", 1, digamma, Syntax("helper", "digamma"), elementwise=True)
defvjp("erf", lambda o, g, ans, x: g * (2.0 / math.sqrt(math.pi)) * o.exp(-(x * x)))
defvjp("lgamma", lambda o, g, ans, x: g * o.digamma(x))
defvjp("gamma", lambda o, g, ans, x: g * ans * o.digamma(x))
# digamma's own derivative (trigamma) is not provided: second derivatives of lgamma raise
defnames("erf", "math.erf scipy.special.erf")
defnames("lgamma", "math.lgamma scipy.special.gammaln")
defnames("gamma", "math.gamma scipy.special.gamma")
defnames("digamma", "scipy.special.digamma scipy.special.psi")

"""Functions ad.grad must refuse with a DifferentiationError (issue 3 part 6)."""

import math
import os
import statistics

import numpy as np

COUNTER = 0.0


def e_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = 0.0
    return y


def e_with(x):
    with open(os.devnull) as fh:
        y = x * 2.0
    return y


def e_yield(x):
    yield x * 2.0


def e_lambda(x):
    return sum([(lambda t: t * x)(v) for v in (1.0, 2.0)])


def e_setcomp(x):
    return sum({x * i for i in range(3)})


def e_dictcomp(x):
    return sum({i: x for i in range(3)})


def e_global_write(x):
    global COUNTER
    COUNTER = x
    return x * 2.0


def e_nonlocal_write(x):
    y = x

    def inner():
        nonlocal y
        y = y * 2.0
        return y
    return inner()


def e_recursion(x):
    if x < 1.0:
        return x
    return e_recursion(x * 0.5) * 2.0


def _unknown(t):
    return t


def e_unknown_call(x):
    return os.path.getsize(x) * 2.0


def e_unknown_builtin(x):
    return divmod(x, 2.0)[1]


def e_unknown_stdlib_py(x):
    # a pure-Python stdlib function (its source exists): unknown, never inlined
    return statistics.fmean((x, 2.0))


def e_array_output(x):
    y = np.zeros(2)
    y[0] = x
    y[1] = x * x
    return y


def e_tuple_output(x):
    return x, x * 2.0


def n_untypable(x, flag):
    # runs in Python, but numba cannot unify a float and an array in one variable
    if flag:
        y = x * 2.0
    else:
        y = np.zeros(3)
    return y * x


_ns = {}
exec("def nosrc(t):\n    return t * 2.0\n", _ns)
NOSRC = _ns["nosrc"]


def e_no_source(x):
    return NOSRC(x) + x

"""Round trip: build_ir -> emit -> load -> call must reproduce the user's function."""

import math

import numpy as np
import pytest

from util import roundtrip

SCALE = 3.0
OFFSETS = np.array([0.5, -1.0, 2.0])
PAIR = (1.5, 2.5)
xs = [(-2.0,), (-0.3,), (0.0,), (0.7,), (3.5,)]
X = np.array([0.5, -1.5, 2.0, 3.0, -0.25, 4.0])
A = np.arange(12.0).reshape(3, 4) / 7.0 - 0.5


def f_arith(x):
    y = x * 2.0 + 1.0
    z = y / 3.0 - x ** 2
    return -z + y % 1.5 + x // 2.0


def f_pow(x):
    return x ** 3 + x ** 2.5 * 0 + (-2.0) ** 2 + 2 ** -1 + abs(x) ** 0.5


def f_aug(x):
    s = x
    s += 1.0
    s *= 2.0
    s -= x
    s /= 4.0
    s **= 2
    return s


def f_swap(x):
    a, b = x, 2.0 * x
    a, b = b, a
    return a - 3.0 * b


def f_cmp_chain(x):
    if -1.0 < x < 1.0:
        return 1.0
    return 0.0


def f_and_or(x):
    a = x > 0 and x < 2
    b = x < -1 or x > 3
    c = not a
    return float(a) + 2.0 * float(b) + 4.0 * float(c)


def f_and_value(x):
    y = (x > 0 and x * 2.0) or x - 1.0
    return y


def f_ternary(x):
    y = x * x if x > 0 else -x
    return y + (1.0 if y > 1.0 else 2.0)


def f_if_elif(x):
    if x < -1.0:
        y = -x
    elif x < 0.5:
        y = x * x
    elif x < 2.0:
        y = 2.0 * x
    else:
        y = math.sqrt(x)
    return y


def f_if_partial(x):
    y = 1.0
    if x > 0:
        y = x
    return y * 2.0


def f_math(x):
    a = math.sin(x) + math.cos(x) + math.tanh(x) + math.atan(x) + math.exp(-x * x)
    b = math.log(1.0 + x * x) + math.sqrt(x * x + 1.0) + math.fabs(x) + math.pow(2.0, x)
    c = math.atan2(x, 2.0) + math.hypot(x, 1.0) + math.log1p(x * x) + math.erf(x)
    return a + b + c


def f_numpy_scalar(x):
    return np.sin(x) * np.exp(x / 4.0) + np.arctan(x) + np.abs(x) + np.sqrt(x * x + 2.0) \
        + np.tanh(x) + np.log(np.cosh(x))


def f_builtins(x):
    a = abs(x) + max(x, 0.5) + min(x, -0.5, 2.0 * x) + max(x, 1.0, -x)
    return a + float(int(x * 3.0))


def f_const_global(x):
    return x * SCALE + math.pi + np.e


def f_for_sum(x, w, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * w
    return s


def f_for_int_init(x):
    s = 0
    for i in range(len(x)):
        s += x[i]
    return s


def f_range_forms(x):
    s = 0.0
    for i in range(1, len(x)):
        s = s + x[i] - x[i - 1]
    for j in range(len(x) - 1, -1, -1):
        s = s * 0.5 + x[j]
    for k in range(0, len(x), 2):
        s = s + k * x[k]
    return s


def f_nested_loops(a):
    n, m = a.shape
    t = 0.0
    for i in range(n):
        r = 0.0
        for j in range(m):
            r = r + a[i, j] * a[i][j]
        t = t + math.sqrt(r)
    return t


def f_while(x):
    y = x
    k = 0
    while y > 1.0:
        y = y / 2.0
        k += 1
    return y + k


def f_while_and(x):
    i = 0
    s = 0.0
    while i < len(x) and x[i] > 0:
        s = s + x[i]
        i += 1
    return s


def f_break(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            break
        s = s + x[i]
    return s


def f_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s = s + x[i] * x[i]
    return s


def f_continue_mid(x):
    s = 0.0
    for i in range(len(x)):
        v = x[i]
        if v > 3.0:
            if v > 3.5:
                continue
            v = v * 0.5
        s = s + v
    return s


def f_return_in_loop(x):
    for i in range(len(x)):
        if x[i] > 2.5:
            return x[i] * 10.0
    return -1.0


def f_return_in_while(x):
    y = x
    while True:
        y = y * 1.5
        if y > 10.0:
            return y
        if y < 0.1:
            return -y


def f_early_return(x):
    if x < 0:
        return -x
    if x > 2:
        return x * x
    y = x + 1.0
    return y


def f_loop_index_after(x):
    i = -1
    for i in range(len(x)):
        pass
    return x[i]


def f_break_index(x):
    k = 0
    for i in range(len(x)):
        k = i
        if x[i] > 2.5:
            break
    return float(k)


def helper_sq(v):
    return v * v


def helper_two(a, b=2.0):
    c = a + b
    return c * helper_sq(a)


def f_calls(x):
    return helper_two(x) + helper_two(x, b=-1.0) + helper_sq(x + 1.0)


def f_nested_def(x):
    k = 3.0

    def inner(y):
        return y * k + 1.0

    return inner(x) + inner(2.0 * x)


def make_closure(c):
    def f_closure(x):
        return x * c + OFFSETS[1]
    return f_closure


f_closure = make_closure(2.5)


def f_tuple_return(x):
    return x * 2.0, x + 1.0


def helper_pair(x):
    return x + 1.0, x - 1.0


def f_tuple_call(x):
    a, b = helper_pair(x)
    return a * b


def f_array_global(x):
    s = 0.0
    for i in range(len(OFFSETS)):
        s = s + OFFSETS[i] * x
    return s + PAIR[0]


def f_store(x):
    y = np.zeros(len(x))
    for i in range(len(x)):
        y[i] = x[i] * 2.0
    y[0] += 1.0
    s = 0.0
    for i in range(len(y)):
        s = s + y[i]
    return s


def f_construct(a):
    n, m = a.shape
    z = np.zeros((n, m))
    o = np.ones(n)
    e = np.empty_like(a)
    f = np.full(m, 2.0)
    c = a.copy()
    d = np.copy(a)
    s = a.size + a.ndim + a.shape[0] + len(a)
    for i in range(n):
        for j in range(m):
            e[i, j] = z[i, j] + o[i] + f[j] + c[i, j] + d[i, j]
    return e[n - 1, m - 1] + s + np.zeros_like(a)[0, 0] + np.ones_like(a)[1, 1]


def f_slices(x):
    d = x[1:] - x[:-1]
    e = x[::2]
    c = x[:, None]
    return d[0] + e[1] + c[2, 0] + x[-1]


def f_column(a):
    col = a[:, 1]
    row = a[2]
    return col[0] + row[3] + a[1, :][2]


def f_array_ops(a, x):
    s = np.sum(a) + np.sum(a, axis=0)[1] + a.sum() + np.mean(x) + np.max(x) + a.T[0, 1]
    return s + np.dot(x, x) + (a @ a.T)[0, 0] + x.max()


def f_iterate_array(x):
    s = 0.0
    for v in x:
        s = s + v * v
    return s


def f_kinds_mixed(x, n):
    k = n // 2
    m = n % 3
    r = n / 4
    return x * k + m + r


def f_assert(x):
    assert x == x
    return x + 1.0


def f_docstring(x):
    """A docstring."""
    return x * 3.0


def f_shadow_names(x):
    s = x
    s_1 = s + 1.0
    s = s_1 * 2.0
    _t1 = s + s_1
    return _t1


def f_nested_break_continue(a):
    n, m = a.shape
    total = 0.0
    for i in range(n):
        if i == 1:
            continue
        for j in range(m):
            if a[i, j] > 0.5:
                break
            total = total + a[i, j]
    return total


def f_where_clip(x):
    return np.where(x > 0, x, 0.5 * x) + np.clip(x, -1.0, 1.0) + np.maximum(x, 0.3)


def f_neg_step_var(x, step):
    s = 0.0
    for i in range(len(x) - 1, -1, step):
        s = s * 2.0 + x[i]
    return s


def f_bool_return_ops(x):
    flag = x > 1.0
    if flag and x < 3.0:
        return 1.0
    return 2.0


def f_undef_branch(x):
    if x > 0:
        y = x * 2.0
    if x > 0:
        return y
    return 0.0


SCALAR_FUNCS = [f_arith, f_pow, f_aug, f_swap, f_cmp_chain, f_and_or, f_and_value, f_ternary,
                f_if_elif, f_if_partial, f_math, f_numpy_scalar, f_builtins, f_const_global,
                f_while, f_return_in_while, f_early_return, f_calls, f_nested_def, f_closure,
                f_tuple_return, f_tuple_call, f_array_global, f_assert, f_docstring,
                f_shadow_names, f_bool_return_ops, f_undef_branch]


@pytest.mark.parametrize("f", SCALAR_FUNCS, ids=lambda f: f.__name__)
def test_scalar(f):
    calls = [(v,) for (v,) in xs]
    if f in (f_math,):
        calls = [(v,) for (v,) in xs if v > -1]
    roundtrip(f, *calls)


ARRAY_FUNCS = [f_for_int_init, f_range_forms, f_while_and, f_break, f_continue,
               f_continue_mid, f_return_in_loop, f_loop_index_after, f_break_index, f_store,
               f_slices, f_iterate_array, f_where_clip]


@pytest.mark.parametrize("f", ARRAY_FUNCS, ids=lambda f: f.__name__)
def test_array(f):
    roundtrip(f, (X,), (X[::-1].copy(),), (np.abs(X),), (X * 0.3,))


@pytest.mark.parametrize("f", [f_nested_loops, f_construct, f_column,
                               f_nested_break_continue],
                         ids=lambda f: f.__name__)
def test_matrix(f):
    roundtrip(f, (A,), (A * 3.0,), (-A,))


def test_for_sum():
    roundtrip(f_for_sum, (X, 2.0, 6), (X, -1.0, 3), (X, 0.5, 0))


def test_array_ops():
    roundtrip(f_array_ops, (A, X[:4].copy()), (A * 2.0, X[2:].copy()))


def test_kinds_mixed():
    roundtrip(f_kinds_mixed, (1.5, 7), (-2.0, 4))


def test_neg_step_var():
    roundtrip(f_neg_step_var, (X, -1), (X, -2), (X, -3))

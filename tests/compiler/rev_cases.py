"""User functions for the reverse-mode suite: one per construct of issue 3 part 2.

Each entry of CASES is ``Case(fn, args, numba)``: ``args`` are the inputs (chosen away from
kinks), every float argument (scalar or array) is differentiated, singly and as a tuple.
"""

import math
from dataclasses import dataclass

import numpy as np

SCALE = 1.5
COEFFS = np.array([0.5, -1.25, 2.0, 0.75])
MAT = np.array([[1.0, 0.5, -0.25], [0.3, -1.0, 2.0]])
GAIN = 2.0          # changed between calls by a test: the new value must be used


@dataclass
class Case:
    fn: object
    args: tuple
    numba: bool = False
    xfail: str = ""          # known bug (diagnosis), run as xfail(strict=True)

    @property
    def name(self):
        return self.fn.__name__


def X(*v):
    return np.array(v, dtype=np.float64)


# --------------------------------------------------------------------- assignment & arithmetic
def c_assign(x, y):
    a = x
    b = a * y
    c = b
    return c + a


def c_augassign(x, y):
    s = x
    s += y
    s *= x
    s -= 0.5 * y
    s /= y
    s **= 2
    return s


def c_tuple_unpack(x, y):
    a, b = x * y, x - y
    (c, d), e = (a + 1.0, b * 2.0), a * b
    return c * d + e


def c_swap(x, y):
    a, b = x, y
    a, b = b, a
    a, b = a * 2.0, a + b
    return a * 3.0 - b * b


def c_swap_loop(x, y, n):
    a, b = x, y
    for i in range(n):
        a, b = b, a + 0.5 * b
    return a * b


def c_arith(x, y):
    return (x + y) * (x - y) / (1.0 + x * x) - -x + (+y) * 3.0 - x / y


def c_unary(x):
    a = -x
    b = +a
    return -(b * b) + -(-x) ** 3


def c_pow_int(x):
    return x ** 2 + x ** 3 - 2.0 * x ** -2 + x ** 0 + x ** 1


def c_pow_float(x, y):
    return x ** 2.5 + x ** y + 2.0 ** x + x ** 0.5


def c_pow_negbase(x):
    return x ** 3 + x ** 2 + x ** -1 + (x - 1.0) ** 4


def c_pow_var_exponent(x, y):
    return (x * x + 1.0) ** (y * 0.5)


def c_mod_floordiv(x):
    return x * (x // 1.0) + (x % 1.0) * 2.0


# --------------------------------------------------------------------- comparisons & booleans
def c_compare(x, y):
    s = 0.0
    if x < y:
        s += x
    if x <= y:
        s += y
    if x > y:
        s += x * y
    if x >= y:
        s -= y
    if x == y:
        s += 100.0
    if x != y:
        s += x * x
    return s


def c_chained(x, y):
    if 0.0 < x < y < 10.0:
        return x * y
    return x + y


def c_and_or_not(x, y):
    s = x
    if x > 0.0 and y > 0.0:
        s = s * y
    if x > 5.0 or y < 0.0:
        s = s + 100.0 * x
    if not (x > y):
        s = s - y * y
    return s


def c_ifexp(x, y):
    a = x * x if x > y else y * y
    b = (a + 1.0) if a < 3.0 else (a - 1.0) * x
    return a * b


# --------------------------------------------------------------------- branches
def c_if_elif_else(x):
    if x < -1.0:
        y = -x * x
    elif x < 0.5:
        y = 3.0 * x
    elif x < 2.0:
        y = math.sin(x)
    else:
        y = math.sqrt(x)
    return y * x


def c_if_no_else(x, y):
    z = x
    if y > 0.0:
        z = z * y
    return z + y


def c_nested_if(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y
    else:
        if y > x:
            r = x * x
        else:
            r = y
    return r * 2.0


# --------------------------------------------------------------------- for loops
def c_for1(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s * x


def c_for2(x):
    s = x
    for i in range(2, 7):
        s = s * 0.9 + math.sin(s) * i
    return s


def c_for3(x):
    s = x
    for i in range(1, 12, 3):
        s = s + x * s * 0.1 * i
    return s


def c_for_negstep(x):
    s = 0.0
    for i in range(10, 0, -2):
        s = s * 0.5 + x * i
    return s * s


def c_for_negstep_array(x):
    s = 0.0
    for i in range(len(x) - 1, -1, -1):
        s = s * 0.7 + x[i] * x[i]
    return s


def c_for_empty(x, n):
    s = x
    for i in range(n, 0):
        s = s * 10.0
    return s * x


def c_for_var_bounds(x, lo, hi, st):
    s = x
    for i in range(lo, hi, st):
        s = math.sin(s) + x * i
    return s


# --------------------------------------------------------------------- while, break, continue
def c_while_data(x):
    s = x
    k = 0
    while s < 10.0:
        s = s * 1.5 + 0.1
        k += 1
    return s * k


def c_while_counter(x, n):
    i = 0
    s = 1.0
    while i < n:
        s = s * x + 0.5
        i = i + 1
    return s


def c_break(x):
    s = 0.0
    for i in range(100):
        s = s + x * (i + 1)
        if s > 20.0:
            break
    return s * x


def c_continue(x):
    s = 0.0
    for i in range(10):
        if i % 3 == 0:
            continue
        s = s + math.cos(x * i)
    return s


def c_while_break(x):
    s = x
    while True:
        s = s * 1.3
        if s > 50.0:
            break
    return s


def c_return_in_loop(x):
    s = x
    for i in range(50):
        s = s * 1.2 + 0.3
        if s > 5.0:
            return s * i
    return -s


def c_return_in_if(x):
    if x > 1.0:
        return x * x
    y = x * 3.0
    if y < 0.0:
        return -y
    return y + 1.0


def c_return_nested_loop(x, n):
    s = x
    for i in range(n):
        for j in range(n):
            s = s + 0.1 * s * j
            if s > 10.0:
                return s + i
    return s


# --------------------------------------------------------------------- nested loops
def c_nested_loops(x, n):
    s = 0.0
    for i in range(n):
        for j in range(3):
            s = s + math.sin(x * i + j) * x
    return s


def c_triangular(x):
    s = 0.0
    n = len(x)
    for i in range(n):
        for j in range(i):
            s = s + x[i] * x[j]
    return s


def c_nested_while_in_for(x):
    s = 0.0
    for i in range(3):
        t = x + i
        while t < 8.0:
            t = t * 2.0
        s = s + t
    return s


# --------------------------------------------------------------------- math & numpy functions
def c_math_funcs(x):
    return (math.sin(x) + math.cos(x) + math.tan(x) + math.exp(x) + math.log(x)
            + math.sqrt(x) + math.tanh(x))


def c_math_funcs2(x, y):
    return (math.atan2(y, x) + math.hypot(x, y) + math.pow(x, y) + math.fabs(x - y)
            + math.erf(x) + math.log1p(x) + math.expm1(y))


def c_math_funcs3(x):
    return (math.asin(x) + math.acos(x) + math.atan(x) + math.sinh(x) + math.cosh(x)
            + math.log10(x) + math.log2(x))


def c_np_funcs(x, y):
    return (np.sin(x) * np.cos(y) + np.exp(x) + np.log(y) + np.sqrt(x) + np.tanh(y)
            + np.arctan2(y, x) + np.hypot(x, y) + np.abs(x - y) + np.power(x, y)
            + np.log1p(x) + np.expm1(y) + np.tan(x))


def c_abs_min_max(x, y, z):
    return abs(x - y) + min(x, y) + max(x, z) + min(x, y, z) + max(x, y, z) * 2.0


def c_float_int(x, n):
    a = float(n) * x
    k = int(x * 3.0)
    return a + k * x + float(k)


# --------------------------------------------------------------------- user function calls
def _helper(a, b):
    return a * b + math.sin(a)


def _helper2(a):
    t = a
    for i in range(3):
        t = _helper(t, 0.5)
    return t


def c_call_module(x, y):
    return _helper(x, y) + _helper(y, x) * 2.0


def c_call_chain(x):
    return _helper2(x * 0.7) * x


def c_nested_def(x, y):
    def inner(a):
        return a * a + y
    return inner(x) * inner(y)


def c_closure(x, y):
    k = y * 2.0

    def scaled(a):
        return a * k + SCALE
    s = 0.0
    for i in range(3):
        s = s + scaled(x + i)
    return s


def _make_closure_fn(c):
    def f(x):
        return math.exp(c * x) + c
    return f


c_closure_cell = _make_closure_fn(0.3)


def _with_branch(a):
    if a > 0.0:
        return a * a
    return -a


def c_call_branchy(x):
    s = 0.0
    for i in range(4):
        s = s + _with_branch(x - i)
    return s


# --------------------------------------------------------------------- globals & constants
def c_global_const(x):
    return x * SCALE + SCALE ** 2


def c_global_array(x):
    s = 0.0
    for i in range(COEFFS.shape[0]):
        s = s + COEFFS[i] * x ** i
    return s


def c_global_matrix(x):
    s = 0.0
    for i in range(MAT.shape[0]):
        for j in range(MAT.shape[1]):
            s = s + MAT[i, j] * x[j] * x[j]
    return s


def c_global_changed(x):
    return GAIN * x * x


# --------------------------------------------------------------------- integers
def c_int_arith(x, n):
    m = n * 2 + 1
    q = m // 3
    r = m % 3
    k = 0
    for i in range(m):
        k = k + i * r - q
    return x * k + x * x * q


def c_int_counter(x):
    count = 0
    s = x
    while s < 100.0:
        s = s * 2.0
        count += 1
    return s / count + x * count


# --------------------------------------------------------------------- arrays
def c_array_read(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * w[i]
    return s


def c_array_2d_read(a, v):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s = s + a[i, j] * v[j] * v[i]
    return s


def c_array_zeros(x):
    n = x.shape[0]
    y = np.zeros(n)
    for i in range(n):
        y[i] = x[i] * x[i]
    s = 0.0
    for i in range(n):
        s = s + y[i] * (i + 1.0)
    return s


def c_array_empty(x):
    n = len(x)
    y = np.empty(n)
    for i in range(n):
        y[i] = math.sin(x[i])
    return y[0] * y[n - 1] + y[1]


def c_array_zeros_like(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] += x[i] * 2.0
        y[i] += x[i] * x[i]
    return y[0] + y[1] * y[2]


def c_array_copy(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] = y[i] + y[i - 1] * 0.5
    return y[len(y) - 1] * y[0]


def c_array_overwrite(x):
    y = np.zeros(3)
    for i in range(len(x)):
        y[0] = y[0] * 0.5 + x[i]
        y[1] = y[0] * y[1] + x[i]
    return y[0] * y[1]


def c_array_overwrite_same(x):
    y = np.zeros(2)
    y[0] = x[0] * 2.0
    y[0] = y[0] * y[0] + x[1]
    y[1] = y[0]
    y[0] = 3.0
    return y[0] * y[1]


def c_array_augstore_loop(x, w):
    y = np.zeros(2)
    for i in range(len(x)):
        y[i % 2] += x[i] * w[i]
        y[(i + 1) % 2] *= 0.5
    return y[0] * y[1] + y[0]


def c_array_2d_write(x):
    n = len(x)
    a = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a[i, j] = x[i] * x[j] + a[i, j]
    s = 0.0
    for i in range(n):
        for j in range(i + 1):
            s = s + a[i, j] * math.cos(a[j, i])
    return s


def c_array_inplace_arg(x):
    # writes into a copy of the argument, reading old values first (recurrence)
    y = x.copy()
    for it in range(3):
        for i in range(1, len(y) - 1):
            y[i] = 0.25 * y[i - 1] + 0.5 * y[i] + 0.25 * y[i + 1]
    s = 0.0
    for i in range(len(y)):
        s = s + y[i] * y[i]
    return s


def c_array_scalar_mix(x, a):
    s = 0.0
    for i in range(len(x)):
        s = s + (x[i] - a) ** 2
    return math.sqrt(s)


def c_rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def c_pendulum(theta, omega, k, steps):
    dt = 0.01
    for i in range(steps):
        acc = -k * math.sin(theta) - 0.1 * omega
        omega = omega + dt * acc
        theta = theta + dt * omega
    return theta * theta + omega


def c_while_array(x):
    i = 0
    s = 0.0
    while i < len(x) and s < 3.0:
        s = s + x[i] * x[i]
        i += 1
    return s * x[0]


def c_softmax_like(x):
    m = x[0]
    for i in range(1, len(x)):
        m = max(m, x[i])
    z = 0.0
    for i in range(len(x)):
        z = z + math.exp(x[i] - m)
    return math.log(z) + m


def c_matvec(a, v):
    n = a.shape[0]
    y = np.zeros(n)
    for i in range(n):
        for j in range(a.shape[1]):
            y[i] += a[i, j] * v[j]
    s = 0.0
    for i in range(n):
        s = s + math.tanh(y[i])
    return s


def c_unused_arg(x, y):
    return x * x


def c_constant_output(x):
    return 3.0


def c_return_arg(x, y):
    return y


def c_long_straight(x, y):
    a = x * y
    b = math.sin(a) + x
    c = b * b - y
    d = math.exp(-c * 0.1)
    e = d / (1.0 + a * a)
    f = e + c * b * 0.01
    return f * x


def c_reuse_temp_in_loop(x):
    s = 0.0
    t = 1.0
    for i in range(5):
        t = t * x
        s = s + t / (i + 1)
    return s


def c_carried_unused(x, n):
    a = x
    b = 0.0
    for i in range(n):
        b = a * 2.0
        a = a + 1.0
    return b


def c_loop_overwrites_var(x):
    for i in range(3):
        y = x * i
    return y * x



V4 = X(0.3, -0.7, 1.1, 0.45)
V5 = X(0.2, -0.4, 0.9, 1.3, -0.6)

CASES = [
    Case(c_assign, (1.3, -0.7), True),
    Case(c_augassign, (1.3, 0.8), True),
    Case(c_tuple_unpack, (1.3, -0.7)),
    Case(c_swap, (1.3, -0.7), True),
    Case(c_swap_loop, (1.1, 0.4, 5), True),
    Case(c_arith, (1.3, -0.7)),
    Case(c_unary, (0.9,)),
    Case(c_pow_int, (1.7,)),
    Case(c_pow_int, (-1.7,)),
    Case(c_pow_float, (1.7, 0.6), True),
    Case(c_pow_negbase, (-1.3,)),
    Case(c_pow_var_exponent, (0.8, 1.4)),
    Case(c_mod_floordiv, (2.3,)),
    Case(c_compare, (1.3, -0.7)),
    Case(c_compare, (-0.4, 0.7)),
    Case(c_chained, (1.3, 2.5)),
    Case(c_chained, (1.3, 0.5)),
    Case(c_and_or_not, (1.3, 2.5)),
    Case(c_and_or_not, (-1.3, -2.5)),
    Case(c_ifexp, (1.3, 0.2)),
    Case(c_ifexp, (0.3, 1.2)),
    Case(c_if_elif_else, (-1.5,), True),
    Case(c_if_elif_else, (0.2,)),
    Case(c_if_elif_else, (1.0,)),
    Case(c_if_elif_else, (3.0,)),
    Case(c_if_no_else, (1.3, 0.5)),
    Case(c_if_no_else, (1.3, -0.5)),
    Case(c_nested_if, (1.3, 0.5)),
    Case(c_nested_if, (1.3, -0.5)),
    Case(c_nested_if, (-1.3, 0.5)),
    Case(c_nested_if, (-1.3, -2.5)),
    Case(c_for1, (0.7, 6), True),
    Case(c_for2, (0.7,)),
    Case(c_for3, (0.7,)),
    Case(c_for_negstep, (0.7,), True),
    Case(c_for_negstep_array, (V5,)),
    Case(c_for_empty, (0.7, 3)),
    Case(c_for_var_bounds, (0.7, 9, 1, -3)),
    Case(c_for_var_bounds, (0.7, 1, 9, 2)),
    Case(c_while_data, (0.9,), True),
    Case(c_while_counter, (0.9, 7)),
    Case(c_break, (0.9,), True),
    Case(c_continue, (0.9,)),
    Case(c_while_break, (0.9,)),
    Case(c_return_in_loop, (0.9,), True),
    Case(c_return_in_if, (1.5,)),
    Case(c_return_in_if, (0.5,)),
    Case(c_return_in_if, (-0.5,)),
    Case(c_return_nested_loop, (0.9, 6)),
    Case(c_return_nested_loop, (0.1, 2)),
    Case(c_nested_loops, (0.9, 4), True),
    Case(c_triangular, (V5,), True),
    Case(c_nested_while_in_for, (1.3,)),
    Case(c_math_funcs, (0.7,), True),
    Case(c_math_funcs2, (0.7, 1.3)),
    Case(c_math_funcs3, (0.4,)),
    Case(c_np_funcs, (0.7, 1.3), True),
    Case(c_abs_min_max, (0.7, 1.3, -0.4)),
    Case(c_float_int, (1.7, 3)),
    Case(c_call_module, (0.7, 1.3), True),
    Case(c_call_chain, (0.7,)),
    Case(c_nested_def, (0.7, 1.3)),
    Case(c_closure, (0.7, 1.3), True),
    Case(c_closure_cell, (0.7,)),
    Case(c_call_branchy, (1.7,)),
    Case(c_global_const, (0.7,)),
    Case(c_global_array, (0.7,)),
    Case(c_global_matrix, (X(0.3, -0.7, 1.1),)),
    Case(c_global_changed, (0.7,)),
    Case(c_int_arith, (0.7, 4)),
    Case(c_int_counter, (1.3,)),
    Case(c_array_read, (V4, X(1.0, 2.0, -0.5, 0.25)), True),
    Case(c_array_2d_read, (MAT * 1.1, X(0.3, -0.7, 1.1))),
    Case(c_array_zeros, (V4,), True),
    Case(c_array_empty, (V4,)),
    Case(c_array_zeros_like, (V4,)),
    Case(c_array_copy, (V4,), True),
    Case(c_array_overwrite, (V4,), True),
    Case(c_array_overwrite_same, (X(0.6, -0.3),)),
    Case(c_array_augstore_loop, (V5, X(1.0, 2.0, -0.5, 0.25, 0.6)), True),
    Case(c_array_2d_write, (V4,)),
    Case(c_array_inplace_arg, (V5,), True),
    Case(c_array_scalar_mix, (V4, 0.2)),
    Case(c_rosenbrock, (V5,)),
    Case(c_pendulum, (0.5, 0.1, 2.0, 50), True),
    Case(c_while_array, (V5,)),
    Case(c_while_array, (X(2.0, 1.0, 3.0),)),
    Case(c_softmax_like, (V5,)),
    Case(c_matvec, (MAT * 0.7, X(0.3, -0.7, 1.1))),
    Case(c_unused_arg, (0.7, 1.3)),
    Case(c_constant_output, (0.7,)),
    Case(c_return_arg, (0.7, 1.3)),
    Case(c_long_straight, (0.7, 1.3)),
    Case(c_reuse_temp_in_loop, (0.7,)),
    Case(c_carried_unused, (0.7, 3)),
    Case(c_loop_overwrites_var, (0.7,)),
]


# --------------------------------------------------------------------- extra probes
def c_pow_int_arg(x, n):
    return x ** n + math.pow(x, 2) + np.power(x, 3)


def c_while_long(x, n):
    i = 0
    s = x
    while i < n:
        s = math.sin(s) + x * 0.01 * i
        i += 1
    return s


def c_break_inner(x):
    s = 0.0
    for i in range(4):
        for j in range(10):
            s = s + x * j
            if j >= i:
                break
        s = s * 0.9
    return s


def c_index_after_loop(x, n):
    s = x
    i = 0
    for i in range(n):
        s = s * 1.1
    return s * i


def c_shape_2d(a):
    s = 0.0
    n = a.shape[0]
    m = a.shape[1]
    for k in range(n * m):
        s = s + a[k // m, k % m] ** 2
    return s


def c_array_write_twice_in_loop(x):
    y = np.zeros(3)
    for i in range(len(x)):
        y[1] = x[i] * y[1] + 1.0
        y[1] = y[1] * y[1]
    return y[1]


def c_conditional_store(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        if x[i] > 0.0:
            y[i] = x[i] * x[i]
        else:
            y[i] = -x[i]
    s = 0.0
    for i in range(len(y)):
        s = s + y[i] * (i + 1)
    return s


def c_while_tape_in_branch(x):
    s = x
    k = 0
    while k < 20:
        if s > 1.0:
            s = math.sqrt(s)
        else:
            s = s * 1.7
        k += 1
    return s


CASES += [
    Case(c_pow_int_arg, (-1.3, 3)),
    Case(c_pow_int_arg, (1.3, -2)),
    Case(c_while_long, (0.7, 40), True),
    Case(c_break_inner, (0.7,)),
    Case(c_index_after_loop, (0.7, 5)),
    Case(c_shape_2d, (MAT * 0.9,)),
    Case(c_array_write_twice_in_loop, (X(0.3, -0.2, 0.1),)),
    Case(c_conditional_store, (V5,), True),
    Case(c_while_tape_in_branch, (0.6,)),
]


def c_overwrite_then_break(x, n):
    t = 0.0
    for i in range(n):
        t = x * i
        if i == 2:
            break
    return t


CASES += [Case(c_overwrite_then_break, (0.6, 5))]

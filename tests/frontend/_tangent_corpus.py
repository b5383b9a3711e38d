"""A port of the numerical functions of Google Tangent's tests/functions.py.

Each function below does what the Tangent function of the same name does, rewritten here
(the originals are tiny formulas); the TensorFlow ones are left out, which leaves the 107
numerical functions. Tangent's own runtime calls (``tangent.Stack``, ``tangent.push``/``pop``)
become a Python list used as a stack, which is what they are. ``cart2polar`` calls
``np.arctan2``: Tangent's ``np.arctan(b, a)`` passes ``a`` as NumPy's ``out`` argument, which
its own comment says should be ``arctan2``.

Parameter names follow Tangent's convention: ``a``, ``b``, ``c`` scalars, ``x`` a vector,
``n`` a small int; the test module gives the other functions their arguments.
"""
import numpy as np


def id_(a):
    return a


def unary_sub(a):
    return -a


def sum_(x):
    return np.sum(x)


def cast_sum_(x):
    return np.sum(np.array(x))


def overwrite_call(x):
    x = np.sum(x)
    x = x * x
    return x


def tanh(a):
    return np.tanh(a)


def identity_assign(a):
    y = a
    return y


def increment(a):
    return a + 1


def saxpy(a, b, c):
    return a * b + c


def mul(a, b):
    return a * b


def add(a, b):
    return a + b


def saxpy_call(a, b, c):
    return add(mul(a, b), c)


def saxpy_anf(a, b, c):
    prod = a * b
    total = prod + c
    return total


def saxpy_overwrite(a, b, c):
    r = a * b
    r = r + c
    return r


def gradname_aliasing(a):
    da = a * a
    return da


def overwrite_if(a):
    if a > 0:
        a = 3.0 * a
    else:
        a = 2.0 * a
    return a


def test_binop_mul1(a):
    return a * 3.0


def test_binop_mul2(a):
    return 3.0 * a


def test_binop_mul3(a):
    return a * a


def test_binop_div1(a):
    return a / 3.0


def test_binop_div2(a):
    return 3.0 / a


def test_binop_div3(a):
    return a / a


def test_binop_sub1(a):
    return a - 3.0


def test_binop_sub2(a):
    return 3.0 - a


def test_binop_sub3(a):
    return a - a


def test_binop_add1(a):
    return a + 3.0


def test_binop_add2(a):
    return 3.0 + a


def test_binop_add3(a):
    return a + a


def nested_if(a):
    if a > 0:
        if a < 10:
            a = a * a
    else:
        a = a * 3.0
    return a


def multiarg_if(a):
    if a * a / 3.0 > 0:
        b = 3.0
    else:
        b = 4.0
    a = a * b
    if a < b - a * b:
        a = a * a
    elif a > b + 3.0 * a:
        if a / 2.0 < 0:
            a = a / b
        else:
            a = a * b
    else:
        a = -a
    return a


def fn_multiply(a):
    return np.multiply(a, 3.0)


def fn_multiple_return(a):
    return 2 * a, a


def test_anf_list(a):
    items = [1, a * a, 2]
    return np.sum(items)


def test_deep_anf_list(x):
    items = [1, x[0] * x[1] * x[2], 3]
    return np.sum(items)


def test_subscript1(x):
    first = x[0]
    second = x[1]
    return first * second


def test_subscript2(x):
    first = x[0]
    second = x[1]
    x[0] = first * second
    return np.sum(x)


def test_subscript3(x):
    sq = x ** 2.0
    x[0] = sq[1] * sq[2]
    return np.sum(x * sq)


def test_list_and_subscript(a):
    items = [1.0, a, 3.0]
    return items[0] * items[1]


def test_implicit_indexing(x):
    total = 0.0
    for v in x:
        total += v
    return total


def serial_if(a):
    if a > 0:
        a = a * a
    a = a + a
    if a < 0:
        a = 3.0 * a
    return a


def multivar_if(a, b):
    if a > b:
        a = a * a
    else:
        a = a * b
    return a


def serial_for(a, n):
    for _ in range(n):
        a = a * a
    a = 2.0 * a
    for _ in range(n + 1):
        a = 3.0 * a
    return a


def serial_ifthenfor(a, n):
    if a > 0:
        a = a * a
    a = 2.0 * a
    for _ in range(n):
        a = a * a
    return a


def serial_forthenif(a, n):
    for _ in range(n):
        a = a * a
    a = 2.0 * a
    if a > 0:
        a = a * a
    return a


def devilish_nested_if(a):
    if a > 0:
        a = 3.0 * a
        if a < 10:
            a = a * a
        else:
            a = 2.0 * a
    return a


def overwrite_ifelse(a):
    if a > 0:
        a = 3.0 * a
    elif 0 > a:
        a = 2.0 * a
    else:
        a = 1.0 * a
    return a


def overwrite_arg(a):
    a = 3.0 * a
    return a


def overwrite_non_arg(a):
    y = a
    y = 3.0 * y
    return y


def third_pow(a):
    return a * a * a


def direct_third_pow(a):
    return a ** 3


def iter_third_pow1(a):
    acc = 1
    for _ in range(3):
        acc = acc * a
    return acc


def iter_third_pow2(a):
    acc = a
    for _ in range(3 - 1):
        acc = acc * a
    return acc


def iterpower_static(a):
    for _ in range(3):
        a = a * a
    return a


def iterpower(a, n):
    for _ in range(n):
        a = a * a
    return a


def cond_iterpower1(a):
    for _ in range(3):
        if a < 20:
            a = a * a
    return a


def cond_iterpower2(a):
    if a < 20:
        for _ in range(3):
            a = a * a
    return a


def superfor_iterpower(a):
    for _ in range(2):
        for _ in range(3):
            a = a * a
    return a


def super_iterpower(a):
    for _ in range(3):
        a = a * a * a
    return a


def numpy_sum(x):
    return np.sum(x)


def numpy_mean(x):
    return np.mean(x)


def numpy_exp(a):
    return np.exp(a)


def numpy_exp2(a):
    return np.exp(np.exp(a))


def numpy_sqrt(a):
    if a >= 0:
        root = np.sqrt(a)
    else:
        root = np.sqrt(-a)
    return root


def numpy_cos(a):
    return np.cos(a)


def numpy_sin(a):
    return np.sin(a)


def numpy_tan(a):
    return np.tan(a)


def numpy_cosh(a):
    return np.cosh(a)


def numpy_sinh(a):
    return np.sinh(a)


def numpy_tanh(a):
    return np.tanh(a)


def numpy_arccos(a):
    return np.arccos(a)


def numpy_arcsin(a):
    return np.arcsin(a)


def numpy_arctan(a):
    return np.arctan(a)


def numpy_atleast_1d(x):
    return np.sum(np.atleast_1d(x))


def numpy_atleast_2d(x):
    return np.sum(np.atleast_2d(x))


def numpy_atleast_3d(x):
    return np.sum(np.atleast_3d(x))


def logistic_regression(input, label, W, b):
    z = np.dot(input, W) + b
    p = 0.5 * (np.tanh(z) + 1)
    likelihood = p * label + (1 - p) * (1 - label)
    return -np.sum(np.log(likelihood))


def det(sqm):
    return np.linalg.det(sqm)


def _inner_fn(a, b):
    return a * b


def mul_with_call(a, b):
    return _inner_fn(a, b)


def if_mul_with_call(a, b):
    if a > b:
        out = _inner_fn(a, b)
    else:
        out = _inner_fn(b, a)
    return out


def iterpower_with_call(a, n):
    for _ in range(n):
        a = _inner_fn(a, a)
    return a


def nested_call(a, b):
    return mul_with_call(a, b)


def iterpower_with_nested_def(a, n):
    def scale(u, k):
        return u * k

    for _ in range(n):
        a = scale(a, a)
    return a


def unpacking_args_saxpy(abc_packed_in_tuple):
    a, b, c = abc_packed_in_tuple
    return a * b + c


def dict_saxpy(val):
    return val['a'] * val['b'] + val['c']


def dict_wrapper(abc_packed_in_tuple):
    a, b, c = abc_packed_in_tuple
    return dict_saxpy(dict(a=a, b=b, c=c))


def passthru_pack(a, b, c, i):
    packed = a, b, c
    return packed[i]


def passthru_unpack(abc_packed_in_tuple):
    a, b, c = abc_packed_in_tuple
    return a


def cart2polar(a, b):
    radius = np.sqrt(a ** 2.0 + b ** 2.0)
    angle = np.arctan2(b, a)
    return radius, angle


def listcomp(a):
    return np.sum([3 * v for v in a])


def while_big(a):
    while np.abs(a) > 0.1:
        a = 0.5 * a
    return a


def active_subscript(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y)


def init_array_grad_maybe_active(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h)


def slicing(x):
    return np.sum(x[1:])


def rnn(inputs, W):
    h = np.zeros((4, 3))
    for t in range(3):
        h[t + 1] = np.dot(inputs[t], W) + h[t]
    return np.sum(h[1:])


def augassign(a):
    y = a * a
    y *= y
    return y


def bilinear(x, h, U, W, b):
    y = np.dot(x, W)
    y = y + np.dot(h, U)
    y = y + b
    y = np.tanh(y)
    return np.sum(y)


def stack_pushing(a):
    stack = []
    y = a * a
    stack.append(a)
    top = stack.pop()
    z = y * top
    z = z * top
    return z


def gradgrad_pow(a, b):
    if a >= 0:
        a = a ** b
    else:
        a = (-a) ** b
    return a


def gradgrad_pow_twice(a):
    a = a * a
    y = a * a
    return y


def gradgrad_chain_of_mults(a):
    b = a
    b = a * a
    c = b * b
    d = c * c
    return d


def gradgrad_chain_of_multcalls(a):
    b = mul(a, a)
    c = mul(b, b)
    d = mul(c, c)
    return d


def useless_stack_ops(a):
    stack = []
    b = a * a
    stack.append(b)
    b = stack.pop()
    return a


def redefining_var_as_list(a):
    stack = []
    x = a
    stack.append(x)
    x = [a]
    x = stack.pop()
    return a


def nested_dict(p):
    return p['i']['j'] * p['i']['k']


def extended_slice(x):
    return np.sum(x[::2, np.newaxis])


class _GradOf:
    """Stand-in for Tangent's ``insert_grad_of`` (a context manager that edits a gradient)."""

    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


def inlining_contextmanager(a):
    b = a * a
    with _GradOf(a) as g:
        g = g * 0.9
    c = b * a
    return c

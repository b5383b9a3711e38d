"""Numerical programs as users write them (ODEs, stencils, regressions, iterations),
each differentiated and checked against finite differences in test_programs.py."""
import math

import numpy as np


def matmul_loop(A, B):
    n, m = A.shape
    p = B.shape[1]
    C = np.zeros((n, p))
    for i in range(n):
        for j in range(p):
            for k in range(m):
                C[i, j] += A[i, k] * B[k, j]
    return np.sum(C * C)

def iter_array(x):
    s = 0.0
    for v in x:
        s += v ** 3 - 2.0 * v ** -2
    return s

def methods(x, w):
    y = x * w
    return y.sum() + x.mean() * np.linalg.norm(y) + np.max(x) - x.min()

def where_vec(x):
    y = np.where(x > 0.0, x * x, -0.5 * x)
    return np.sum(y) + np.sum(np.maximum(x, 0.1) ** 2)

def closure_arr(x, scale):
    W = np.array([[1.0, 2.0], [0.5, -1.0]])
    def inner(v):
        return W @ v * scale
    z = inner(x)
    return np.dot(z, z)

def early_ret(x, n):
    s = 0.0
    for i in range(n):
        s += math.sin(x * i)
        if s > 1.5:
            return s * x
    return s

def minmax3(a, b, c):
    return max(a, b, c) * min(a * b, c, 2.0) + abs(a - c)

def break_in_nested(x, n):
    tot = 0.0
    for i in range(n):
        j = 0
        y = x
        while True:
            y = y * 0.9 + 0.1 * math.cos(y + i)
            j += 1
            if j >= 5 or y < 0.2:
                break
        tot += y
    return tot

def prefix(x):
    y = x.copy()
    for i in range(1, y.shape[0]):
        y[i] = y[i - 1] * 0.5 + y[i] ** 2
    return np.sum(y)

def softplus_loss(W, X, t):
    z = X @ W
    return np.mean(np.log1p(np.exp(-t * z)))

def swap_loop(a, b, n):
    for i in range(n):
        a, b = b, a + 0.1 * b * b
    return a * b

def twod_slices(A):
    B = A[1:, :] - A[:-1, :]
    return np.sum(B ** 2) + np.sum(A[:, 0] * A[:, -1])


def quad(x, A):
    return x.T @ A @ x + np.sqrt(np.sum(x ** 2))

def idx_tricks(x):
    s = 0.0
    for i in range(len(x)):
        s += x[i // 2] * x[-1] + x[len(x) - 1 - i] * float(i)
    return s * math.pi

def ternary_loop(x, n):
    s = x
    for i in range(n):
        s = s * 1.1 if s < 2.0 else s - math.sqrt(s)
    return s

def fill_then_vec(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = math.exp(-x[i] * x[i])
    return np.sum(np.log1p(y)) + np.exp(x).sum()

def while_arr(x):
    i = 0
    s = 0.0
    while i < x.shape[0] and s < 3.0:
        s += x[i] ** 2
        i += 1
    return s * x[0]

def default_arg(x, k=2.0):
    return x ** k

def helper_sq(v):
    return v * v

def calls_helper(x):
    t = 0.0
    for i in range(x.shape[0]):
        t += helper_sq(x[i]) * helper_sq(x[i] - 1.0)
    return t

def pow_int_neg(x):
    return (-x) ** 3 + x ** -1 + (-2.0) ** 2 * x

def two_outputs_used(x, y):
    a, b = divmod_like(x, y)
    return a * b

def divmod_like(x, y):
    return x * y, x - y


def cond_array(x, t):
    if np.sum(x) > t:
        y = x * 2.0
    else:
        y = x - 1.0
    return np.sum(y * y)

def int_arith(x, n):
    m = n * 2 + 1
    k = m // 3
    return x ** k + float(m % 4) * x


def rk4_state(y0, k, n):
    y = y0.copy()
    h = 0.01
    for step in range(n):
        k1 = -k * y + np.sin(y)
        k2 = -k * (y + 0.5 * h * k1) + np.sin(y + 0.5 * h * k1)
        k3 = -k * (y + 0.5 * h * k2) + np.sin(y + 0.5 * h * k2)
        k4 = -k * (y + h * k3) + np.sin(y + h * k3)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(y * y)

def heat(u0, alpha, n):
    u = u0.copy()
    m = u.shape[0]
    for t in range(n):
        un = u.copy()
        for i in range(1, m - 1):
            un[i] = u[i] + alpha * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u = un
    return np.sum(u ** 2)

def heat_vec(u0, alpha, n):
    u = u0.copy()
    for t in range(n):
        u[1:-1] = u[1:-1] + alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:])
    return np.sum(u ** 2)

def logreg(w, X, y):
    loss = 0.0
    for i in range(X.shape[0]):
        z = 0.0
        for j in range(X.shape[1]):
            z += X[i, j] * w[j]
        p = 1.0 / (1.0 + math.exp(-z))
        loss -= y[i] * math.log(p) + (1.0 - y[i]) * math.log(1.0 - p)
    return loss / X.shape[0]

def softmax_loop(z):
    m = z[0]
    for i in range(1, z.shape[0]):
        if z[i] > m:
            m = z[i]
    s = 0.0
    for i in range(z.shape[0]):
        s += math.exp(z[i] - m)
    return m + math.log(s)

def cumsum_loss(x):
    c = np.zeros(x.shape[0])
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
        c[i] = acc * acc
    return np.sum(np.sqrt(c + 1.0))

def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x

def matvec_iter(A, v, n):
    for k in range(n):
        v = A @ v
        v = v / np.linalg.norm(v)
    return v @ (A @ v)

def piecewise(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] < -0.5:
            s += x[i] ** 2
        elif x[i] < 0.5:
            s += math.sin(x[i])
        else:
            s += math.exp(-x[i])
    return s

def outer_loss(a, b):
    M = np.outer(a, b)
    return np.sum(np.tanh(M))




def gauss_seidel(b, w, n):
    u = np.zeros(b.shape[0])
    for sweep in range(n):
        for i in range(1, b.shape[0] - 1):
            u[i] = (1.0 - w) * u[i] + w * 0.5 * (u[i - 1] + u[i + 1] + b[i])
    return np.sum(u * b)

def matvec_acc(W, x):
    out = np.zeros(W.shape[0])
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            out[i] += W[i, j] * x[j]
    return np.sum(np.tanh(out))

def store2d_reduce(x):
    n = x.shape[0]
    M = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            M[i, j] = math.exp(-(x[i] - x[j]) ** 2)
    return np.sum(np.log(np.sum(M, axis=1)))

def gd_inside(x0, lr):
    x = x0.copy()
    k = 0
    while k < 20 and np.sum(x * x) > 1e-3:
        x = x - lr * (2.0 * x + np.sin(x))
        k += 1
    return np.sum(x ** 3) + k * 0.0

def helper_vec(v, s):
    return np.tanh(v * s) + v

def uses_vec_helper(x, s):
    y = helper_vec(x, s)
    z = helper_vec(y, 2.0 * s)
    return np.dot(y, z)

def nested_break_arr(x):
    total = 0.0
    found = False
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            total += x[i] * x[j]
            if total > 2.0:
                found = True
                break
        if found:
            break
    return total

def while_len(x):
    i = 0
    s = 0.0
    while i < len(x):
        s = s * 0.5 + x[i] ** 2
        i += 1
    return s

def clip_where(x, lo):
    y = np.clip(x, lo, 1.0)
    return np.sum(np.where(y > 0.0, y ** 2, -y)) + np.max(np.abs(x))

def running_max(x):
    m = x[0]
    s = 0.0
    for i in range(x.shape[0]):
        m = max(m, x[i])
        s += m * x[i]
    return s


def slice_aug(x):
    y = np.zeros(x.shape[0])
    y[1:] += x[:-1] * 2.0
    y[:-1] -= x[1:] ** 2
    return np.sum(y * x)

def row_col_assign(A):
    B = np.zeros((A.shape[0], A.shape[1]))
    for i in range(A.shape[0]):
        B[i, :] = A[i, :] * (i + 1.0)
    for j in range(A.shape[1]):
        B[:, j] = B[:, j] + np.tanh(A[:, j])
    return np.sum(B ** 2)

def const_grids(x):
    t = np.linspace(0.0, 1.0, 5)
    k = np.arange(5)
    return np.sum(np.sin(x * t) * k) + np.pi * x

def transpose_reshape(A):
    B = A.T @ A
    v = B.reshape(-1)
    return np.sum(v * v) + np.sum(A, axis=-1)[0]

def tuple_helper(a, b):
    s, d = sum_diff(a, b)
    return np.dot(s, d)

def sum_diff(a, b):
    return a + b, a - b

def while_break_arr(x):
    y = x.copy()
    it = 0
    while True:
        y = 0.5 * (y + 1.0 / y)
        it += 1
        if it >= 6:
            break
    return np.sum(y)

def int_array_index(x, idx):
    s = 0.0
    for k in range(idx.shape[0]):
        s += x[idx[k]] ** 2
    return s

def bool_mask_sum(x):
    return np.sum(np.where(x > 0.0, x, 0.0) ** 2)

def inf_init(x):
    best = math.inf
    for i in range(x.shape[0]):
        v = (x[i] - 0.3) ** 2
        if v < best:
            best = v
    return best

def scalar_pow_mix(a, b):
    return a ** b + b ** 2.5 + 2.0 ** a + math.pow(a, 3)

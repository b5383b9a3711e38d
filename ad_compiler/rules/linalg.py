"""``np.linalg``: inverses, solves, determinants, factorisations and norms.

Operands may carry leading batch axes (NumPy's stacked matrices). Rules are written with
``matmul`` and ``matrix_transpose``; those of the factorisations (``cholesky``, ``eigh``,
``qr``, ``svd``) are NumPy helpers here (``*_vjp``/``*_jvp`` primitives), as in autograd's
``numpy.linalg`` module. Each factor of a factorisation is its own primitive (``eigh_w``,
``eigh_v``...): the frontend returns them as a tuple, and a factor the code does not use is
never computed. Numba runs them through their NumPy implementation (``objmode``).
"""

import numpy as np

from ..errors import DifferentiationError
from .numpy_fns import _same
from .table import Syntax, defcomposite, defjvp, defprim, defvjp


def _T(x):
    return np.swapaxes(x, -1, -2)


def _dim_minus(k):
    return lambda ndims, operands, **a: None if ndims[0] is None else ndims[0] - k


def _linalg(name, impl, ndim=_same, **fields):
    defprim(name, fields.pop("nargs", 1), impl, Syntax("helper", name), numba="objmode",
            ndim=ndim, **fields)


_linalg("inv", np.linalg.inv, numpy="numpy.linalg.inv")
defvjp("inv", lambda o, g, ans, x: -o.matmul(o.matrix_transpose(ans),
                                             o.matmul(g, o.matrix_transpose(ans))))
defjvp("inv", lambda o, tangents, ans, x: -o.matmul(ans, o.matmul(tangents[0], ans)))


def _solve(a, b):
    b = np.asarray(b)
    if b.ndim == 1:
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


def _solve_vjp_b(o, g, ans, a, b):
    return o.solve(o.matrix_transpose(a), g)


def _solve_vjp_a(o, g, ans, a, b):
    gb = o.solve(o.matrix_transpose(a), g)
    if b.ndim == 1:
        return -o.unbroadcast(o.expand_dims(gb, axis=-1) * o.expand_dims(ans, axis=-2), a)
    return -o.unbroadcast(o.matmul(gb, o.matrix_transpose(ans)), a)


def _solve_jvp(o, tangents, ans, a, b):
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        prod = o.matmul(ta, ans)
        rhs = -prod if rhs is None else rhs - prod
    return o.solve(a, rhs)


_linalg("solve", _solve, nargs=2, numpy="numpy.linalg.solve",
        ndim=lambda ndims, operands, **a: ndims[1])
defvjp("solve", _solve_vjp_a, _solve_vjp_b)
defjvp("solve", _solve_jvp)


def _batch_scalar(o, s):
    """A batch of scalars (shape ``(...)``) as ``(..., 1, 1)`` to scale matrices."""
    return o.expand_dims(o.expand_dims(s, axis=-1), axis=-1) if s.ndim else s


def _slogdet_logdet(x):
    return np.linalg.slogdet(x)[1]


def _slogdet_sign(x):
    return np.linalg.slogdet(x)[0]


_linalg("det", np.linalg.det, ndim=_dim_minus(2), numpy="numpy.linalg.det")
defvjp("det", lambda o, g, ans, x: _batch_scalar(o, g * ans) *
       o.matrix_transpose(o.inv(x)))
defjvp("det", lambda o, tangents, ans, x: ans * o.sum(
    o.matrix_transpose(o.inv(x)) * tangents[0], axis=(-2, -1)))
_linalg("slogdet_logdet", _slogdet_logdet, ndim=_dim_minus(2))
_linalg("slogdet_sign", _slogdet_sign, ndim=_dim_minus(2), differentiable=False)
defvjp("slogdet_logdet", lambda o, g, ans, x: _batch_scalar(o, g) *
       o.matrix_transpose(o.inv(x)))
defjvp("slogdet_logdet", lambda o, tangents, ans, x: o.sum(
    o.matrix_transpose(o.inv(x)) * tangents[0], axis=(-2, -1)))


# pinv: d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+, written
# in primitives (the projections applied, never formed) so that forward mode differentiates
# the rules themselves (ad.hessian through a pseudo-inverse)
def _pinv_jvp(o, t, p, x):
    T = o.matrix_transpose
    a = o.matmul(o.matmul(p, T(p)), T(t))                # p p^T t^T, then (I - x p)
    b = o.matmul(T(t), o.matmul(T(p), p))                # t^T p^T p, after (I - p x)
    return -o.matmul(p, o.matmul(t, p)) + (a - o.matmul(o.matmul(a, x), p)) + \
        (b - o.matmul(p, o.matmul(x, b)))


def _pinv_vjp(o, g, p, x):
    T = o.matrix_transpose
    a = o.matmul(T(g), o.matmul(p, T(p)))                # (I - x p) g^T p p^T
    b = o.matmul(o.matmul(T(p), p), T(g))                # p^T p g^T (I - p x)
    return -o.matmul(T(p), o.matmul(g, T(p))) + (a - o.matmul(x, o.matmul(p, a))) + \
        (b - o.matmul(o.matmul(b, p), x))


_linalg("pinv", np.linalg.pinv, numpy="numpy.linalg.pinv")
for _rule in (_pinv_vjp, _pinv_jvp):
    defcomposite(_rule.__name__[1:], 3, None, _rule,
                 ndim=lambda ndims, operands, **a: ndims[2])
defvjp("pinv", lambda o, g, ans, x: o.pinv_vjp(g, ans, x))
defjvp("pinv", lambda o, tangents, ans, x: o.pinv_jvp(tangents[0], ans, x))


def _lower_sym(s):
    """The cotangent of a symmetric input that only its lower triangle defines."""
    return np.tril(s) + np.tril(_T(s), -1)


def _eigh_sym_tangent(t):
    """The tangent of the symmetric matrix that the lower triangle of ``t`` defines."""
    return np.tril(t) + _T(np.tril(t, -1))


# cholesky (Murray 2016): with phi(X) = tril(X) with its diagonal halved,
# vjp: A_bar = sym(L^-T phi(L^T G) L^-1), jvp: dL = L phi(L^-1 dA L^-T); in primitives of
# the factor L (the result), so that forward mode differentiates them (ad.hessian)
def _phi(o, x):
    return 0.5 * (o.tril(x) + o.tril(x, k=-1))


def _cholesky_vjp(o, g, L):
    T = o.matrix_transpose
    Linv = o.inv(L)
    s = o.matmul(T(Linv), o.matmul(_phi(o, o.matmul(T(L), g)), Linv))
    s = 0.5 * (s + T(s))
    return o.tril(s) + o.tril(T(s), k=-1)      # NumPy reads the lower triangle only


def _cholesky_jvp(o, t, L):
    T = o.matrix_transpose
    Linv = o.inv(L)
    sym = o.tril(t) + T(o.tril(t, k=-1))        # the symmetric tangent the lower triangle is
    return o.matmul(L, _phi(o, o.matmul(Linv, o.matmul(sym, T(Linv)))))


_linalg("cholesky", np.linalg.cholesky, numpy="numpy.linalg.cholesky")
for _rule in (_cholesky_vjp, _cholesky_jvp):
    defcomposite(_rule.__name__[1:], 2, None, _rule,
                 ndim=lambda ndims, operands, **a: ndims[1])
defvjp("cholesky", lambda o, g, ans, x: o.cholesky_vjp(g, ans))
defjvp("cholesky", lambda o, tangents, ans, x: o.cholesky_jvp(tangents[0], ans))


# eigh of a symmetric matrix (the lower triangle is read, as NumPy's UPLO='L'):
# dw = diag(V^T dA V), dV = V (F * (V^T dA V)) with F_ij = 1 / (w_j - w_i) off the diagonal
def _eigh_w(x):
    return np.linalg.eigh(x)[0]


def _eigh_v(x):
    return np.linalg.eigh(x)[1]


def _eigh_parts(x):
    w, v = np.linalg.eigh(x)
    n = w.shape[-1]
    diff = w[..., None, :] - w[..., :, None]
    f = np.where(np.eye(n, dtype=bool), 0.0, 1.0 / np.where(np.eye(n, dtype=bool), 1.0, diff))
    return w, v, f


def _eigh_w_vjp(o, g, x):
    """V diag(g) V^T in primitives of the eigenvectors (whose forward rule Hessians use)."""
    v = o.eigh_v(x)
    s = o.matmul(v * o.expand_dims(g, axis=-2), o.matrix_transpose(v))
    return o.tril(s) + o.tril(o.matrix_transpose(s), k=-1)   # NumPy reads the lower triangle


def _eigh_v_vjp(g, x):
    w, v, f = _eigh_parts(x)
    s = v @ (f * (_T(v) @ g)) @ _T(v)
    return _lower_sym(0.5 * (s + _T(s)))


def _eigh_w_jvp(t, x):
    w, v, f = _eigh_parts(x)
    return np.einsum("...ji,...jk,...ki->...i", v, _eigh_sym_tangent(t), v)


def _eigh_v_jvp(t, x):
    w, v, f = _eigh_parts(x)
    return v @ (f * (_T(v) @ _eigh_sym_tangent(t) @ v))


_linalg("eigh_w", _eigh_w, ndim=_dim_minus(1))
_linalg("eigh_v", _eigh_v)
# (g or t, x): a vjp has the rank of x, a jvp that of the factor (w: one less)
for _name, _less in (("eigh_v_vjp", 0), ("eigh_w_jvp", 1), ("eigh_v_jvp", 0)):
    _linalg(_name, globals()["_" + _name], nargs=2,
            ndim=lambda ndims, operands, _less=_less, **a: ndims[1] - _less)
defcomposite("eigh_w_vjp", 2, None, _eigh_w_vjp,
             ndim=lambda ndims, operands, **a: ndims[1])
defvjp("eigh_w", lambda o, g, ans, x: o.eigh_w_vjp(g, x))
defvjp("eigh_v", lambda o, g, ans, x: o.eigh_v_vjp(g, x))
defjvp("eigh_w", lambda o, tangents, ans, x: o.eigh_w_jvp(tangents[0], x))
defjvp("eigh_v", lambda o, tangents, ans, x: o.eigh_v_jvp(tangents[0], x))


# thin QR (m >= n), autograd's rule: M = R G_R^T - G_Q^T Q, A_bar = (G_Q + Q copyltu(M)) R^-T
def _qr_q(x):
    return np.linalg.qr(x)[0]


def _qr_r(x):
    return np.linalg.qr(x)[1]


def _qr_tall(x):
    if np.shape(x)[-2] < np.shape(x)[-1]:
        raise DifferentiationError("the derivative of np.linalg.qr needs a matrix with at "
                                   "least as many rows as columns (as in JAX and autograd)")
    return np.linalg.qr(x)


def _qr_vjp_impl(gq, gr, x):
    q, r = _qr_tall(x)
    gq = np.zeros_like(q) if gq is None else gq
    gr = np.zeros_like(r) if gr is None else gr
    m = r @ _T(gr) - _T(gq) @ q
    copyltu = np.tril(m, -1) + _T(np.tril(m, -1)) + np.eye(m.shape[-1]) * np.diagonal(
        m, axis1=-2, axis2=-1)[..., None, :]
    return _T(np.linalg.solve(r, _T(gq + q @ copyltu)))


def _qr_q_vjp(g, x):
    return _qr_vjp_impl(g, None, x)


def _qr_r_vjp(g, x):
    return _qr_vjp_impl(None, g, x)


_linalg("qr_q", _qr_q)
_linalg("qr_r", _qr_r)
_linalg("qr_q_vjp", _qr_q_vjp, nargs=2, ndim=lambda ndims, operands, **a: ndims[1])
_linalg("qr_r_vjp", _qr_r_vjp, nargs=2, ndim=lambda ndims, operands, **a: ndims[1])
defvjp("qr_q", lambda o, g, ans, x: o.qr_q_vjp(g, x))
defvjp("qr_r", lambda o, g, ans, x: o.qr_r_vjp(g, x))


# JAX's jvp of thin QR: with C = Q^T dA R^-1 and its skew part W = tril(C, -1) - tril(C, -1)^T,
# dQ = Q (W - C) + dA R^-1 and dR = (C - W) R
def _qr_tangents(t, x):
    q, r = _qr_tall(x)
    t_rinv = _T(np.linalg.solve(_T(r), _T(t)))
    c = _T(q) @ t_rinv
    w = np.tril(c, -1) - _T(np.tril(c, -1))
    return q @ (w - c) + t_rinv, (c - w) @ r


def _qr_q_jvp(t, x):
    return _qr_tangents(t, x)[0]


def _qr_r_jvp(t, x):
    return _qr_tangents(t, x)[1]


_linalg("qr_q_jvp", _qr_q_jvp, nargs=2, ndim=lambda ndims, operands, **a: ndims[1])
_linalg("qr_r_jvp", _qr_r_jvp, nargs=2, ndim=lambda ndims, operands, **a: ndims[1])
defjvp("qr_q", lambda o, tangents, ans, x: o.qr_q_jvp(tangents[0], x))
defjvp("qr_r", lambda o, tangents, ans, x: o.qr_r_jvp(tangents[0], x))


# singular values: ds = diag(U^T dA V), s_bar -> U diag(g) V^T (distinct singular values)
def _svd_s(x):
    return np.linalg.svd(x, compute_uv=False)


def _svd_s_vjp(o, g, x):
    """U diag(g) Vh in primitives of the thin factors (whose forward rules Hessians use)."""
    u, vh = o.svd_u(x, full_matrices=False), o.svd_vh(x, full_matrices=False)
    return o.matmul(u * o.expand_dims(g, axis=-2), vh)


def _svd_s_jvp(t, x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.einsum("...ji,...jk,...ik->...i", u, t, vh)


_linalg("svd_s", _svd_s, ndim=_dim_minus(1))
defcomposite("svd_s_vjp", 2, None, _svd_s_vjp,
             ndim=lambda ndims, operands, **a: ndims[1])
_linalg("svd_s_jvp", _svd_s_jvp, nargs=2, ndim=lambda ndims, operands, **a: ndims[1] - 1)
defvjp("svd_s", lambda o, g, ans, x: o.svd_s_vjp(g, x))
defjvp("svd_s", lambda o, tangents, ans, x: o.svd_s_jvp(tangents[0], x))


# the singular vectors (autograd's vjp, JAX's jvp; real matrices): with k = min(m, n) and
# F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, which is infinite where two singular values
# coincide: the singular vectors of a degenerate singular value are not unique, and their
# derivative is not defined (JAX and autograd give inf/nan there too)
def _svd_thin(x, full_matrices):
    m, n = np.shape(x)[-2:]
    if full_matrices and m != n:
        raise DifferentiationError("the derivative of np.linalg.svd's u and vh with "
                                   "full_matrices=True needs a square matrix (pass "
                                   "full_matrices=False), as in JAX")
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    eye = np.eye(s.shape[-1])
    f = 1.0 / (s[..., None, :] ** 2 - s[..., :, None] ** 2 + eye) - eye
    return u, s, vh, f


def _svd_uv_vjp(gu, gvh, x, full_matrices):
    u, s, vh, f = _svd_thin(x, full_matrices)
    m, n = np.shape(x)[-2:]
    inner = 0.0
    if gu is not None:
        utgu = _T(u) @ gu
        inner = inner + (f * (utgu - _T(utgu))) * s[..., None, :]
    if gvh is not None:
        vtgv = vh @ _T(gvh)
        inner = inner + s[..., :, None] * (f * (vtgv - _T(vtgv)))
    out = u @ inner @ vh
    if gu is not None and m > n:
        out = out + (np.eye(m) - u @ _T(u)) @ gu @ (vh / s[..., :, None])
    if gvh is not None and m < n:
        out = out + (u / s[..., None, :]) @ gvh @ (np.eye(n) - _T(vh) @ vh)
    return out


def _svd_uv_jvp(t, x, full_matrices, part):
    u, s, vh, f = _svd_thin(x, full_matrices)
    m, n = np.shape(x)[-2:]
    v = _T(vh)
    ds = _T(u) @ t @ v
    if part == "u":
        dss = ds * s[..., None, :]
        du = u @ (f * (dss + _T(dss)))
        if m > n:
            tv = t @ v
            du = du + (tv - u @ (_T(u) @ tv)) / s[..., None, :]
        return du
    sds = s[..., :, None] * ds
    dv = v @ (f * (sds + _T(sds)))
    if n > m:
        tu = _T(t) @ u
        dv = dv + (tu - v @ (vh @ tu)) / s[..., None, :]
    return _T(dv)


def _svd_u(x, full_matrices=True):
    return np.linalg.svd(x, full_matrices=full_matrices)[0]


def _svd_vh(x, full_matrices=True):
    return np.linalg.svd(x, full_matrices=full_matrices)[2]


def _svd_u_vjp(g, x, full_matrices=True):
    return _svd_uv_vjp(g, None, x, full_matrices)


def _svd_vh_vjp(g, x, full_matrices=True):
    return _svd_uv_vjp(None, g, x, full_matrices)


def _svd_u_jvp(t, x, full_matrices=True):
    return _svd_uv_jvp(t, x, full_matrices, "u")


def _svd_vh_jvp(t, x, full_matrices=True):
    return _svd_uv_jvp(t, x, full_matrices, "vh")


for _part in ("u", "vh"):
    _linalg(f"svd_{_part}", globals()[f"_svd_{_part}"], full_matrices=True)
    for _rule in ("vjp", "jvp"):
        _linalg(f"svd_{_part}_{_rule}", globals()[f"_svd_{_part}_{_rule}"], nargs=2,
                ndim=lambda ndims, operands, **a: ndims[1], full_matrices=True)
defvjp("svd_u", lambda o, g, ans, x, full_matrices=True:
       o.svd_u_vjp(g, x, full_matrices=full_matrices))
defvjp("svd_vh", lambda o, g, ans, x, full_matrices=True:
       o.svd_vh_vjp(g, x, full_matrices=full_matrices))
defjvp("svd_u", lambda o, tangents, ans, x, full_matrices=True:
       o.svd_u_jvp(tangents[0], x, full_matrices=full_matrices))
defjvp("svd_vh", lambda o, tangents, ans, x, full_matrices=True:
       o.svd_vh_jvp(tangents[0], x, full_matrices=full_matrices))


# --- np.linalg.norm with ord= and axis= --------------------------------------------------------
def _vector_norm(o, x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return o.norm(x, axis=axis, keepdims=keepdims)
    a = o.abs(x)
    if ord == np.inf:
        return o.max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return o.min(a, axis=axis, keepdims=keepdims)
    if ord == 1:
        return o.sum(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return o.sum(o.where(x != 0.0, 1.0, 0.0), axis=axis, keepdims=keepdims)
    return o.sum(a ** float(ord), axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _matrix_norm(o, x, ord, axis, keepdims):
    r, c = (a % x.ndim for a in axis)
    if ord in (None, "fro"):
        return o.norm(x, axis=axis, keepdims=keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (r, c) if ord in (1, -1) else (c, r)
        sums = o.sum(o.abs(x), axis=inner, keepdims=True)
        pick = o.max if ord > 0 else o.min
        out = pick(sums, axis=outer, keepdims=True)
        return out if keepdims else o.squeeze(out, axis=(r, c))
    if ord in (2, -2, "nuc"):
        moved = o.transpose(x, axes=tuple(k for k in range(x.ndim) if k not in (r, c)) + (r, c))
        s = o.svd_s(moved)
        out = o.sum(s, axis=-1) if ord == "nuc" else (o.max if ord == 2 else o.min)(s, axis=-1)
        if keepdims:
            for k in sorted((r, c)):
                out = o.expand_dims(out, axis=k)
        return out
    raise DifferentiationError(f"np.linalg.norm with ord={ord!r} of a matrix")


def _linalg_norm(o, x, ord=None, axis=None, keepdims=False):
    if axis is None and ord is not None and x.ndim == 2:
        axis = (0, 1)
    if isinstance(axis, tuple) and len(axis) == 2:
        return _matrix_norm(o, x, ord, axis, keepdims)
    if axis is None and ord is not None and x.ndim != 1:
        raise DifferentiationError(f"np.linalg.norm with ord={ord!r} of a rank-{x.ndim} array")
    return _vector_norm(o, x, ord, axis, keepdims)


def _norm_ndim(ndims, operands, ord=None, axis=None, keepdims=False):
    n = ndims[0]
    if n is None:
        return None
    if keepdims:
        return n
    if axis is None:
        return 0
    return n - (len(axis) if isinstance(axis, tuple) else 1)


defcomposite("linalg_norm", 1, np.linalg.norm, _linalg_norm, ndim=_norm_ndim,
             numpy="numpy.linalg.norm", ord=None, axis=None, keepdims=False)


def _matrix_power(o, a, n=1):
    """``a @ a @ ... @ a`` (``n`` a constant >= 1), by repeated squaring."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DifferentiationError(f"np.linalg.matrix_power with n={n!r} (a constant n >= 1 "
                                   "is supported; use np.linalg.inv for negative powers)",
                                   construct="np.linalg.matrix_power")
    result, square = None, a
    while True:
        if n & 1:
            result = square if result is None else o.matmul(result, square)
        n >>= 1
        if not n:
            return result
        square = o.matmul(square, square)


defcomposite("matrix_power", 1, np.linalg.matrix_power, _matrix_power, ndim=_same,
             numpy="numpy.linalg.matrix_power", n=1)

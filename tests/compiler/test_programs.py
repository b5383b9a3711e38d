"""Whole numerical programs through ad.grad against central finite differences."""
import numpy as np
import pytest

import ad_compiler as ad

import _programs as P

rng = np.random.default_rng(5)
_X = rng.normal(size=(6, 3))
_Y = (rng.random(6) > 0.5).astype(float)
_A = rng.normal(size=(3, 3))
_SPD = _A @ _A.T + np.eye(3)
V3 = np.array([0.3, -0.5, 0.8])
V4 = np.array([0.2, 1.3, -0.5, 0.7])

CASES = [
    (P.matmul_loop, (rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), (0, 1)),
    (P.iter_array, (np.array([0.7, 1.3, -0.9]),), (0,)),
    (P.methods, (rng.normal(size=5), 1.7), (0, 1)),
    (P.where_vec, (np.array([0.3, -0.4, 1.2, -2.0]),), (0,)),
    (P.closure_arr, (np.array([0.3, -0.2]), 1.5), (0, 1)),
    (P.early_ret, (0.7, 6), (0,)),
    (P.early_ret, (0.1, 6), (0,)),
    (P.minmax3, (0.7, 1.3, -0.4), (0, 1, 2)),
    (P.break_in_nested, (0.8, 4), (0,)),
    (P.prefix, (np.array([0.3, 0.5, -0.2, 0.8]),), (0,)),
    (P.softplus_loss, (rng.normal(size=3), _X, np.sign(rng.normal(size=6))), (0,)),
    (P.swap_loop, (0.3, 0.4, 5), (0, 1)),
    (P.twod_slices, (rng.normal(size=(3, 4)),), (0,)),
    (P.quad, (V3, _SPD), (0, 1)),
    (P.idx_tricks, (np.array([0.3, -0.5, 0.8, 1.1]),), (0,)),
    (P.ternary_loop, (0.7, 12), (0,)),
    (P.fill_then_vec, (V3,), (0,)),
    (P.while_arr, (np.array([0.9, 1.2, -1.1, 2.0]),), (0,)),
    (P.default_arg, (1.3,), (0,)),
    (P.calls_helper, (V3,), (0,)),
    (P.pow_int_neg, (0.7,), (0,)),
    (P.two_outputs_used, (0.7, 1.9), (0, 1)),
    (P.cond_array, (V3, 0.1), (0,)),
    (P.cond_array, (V3, 1.1), (0,)),
    (P.int_arith, (0.7, 4), (0,)),
    (P.rk4_state, (V3, 0.7, 5), (0, 1)),
    (P.heat, (np.array([0.0, 0.3, 0.9, 0.4, 0.0]), 0.2, 4), (0, 1)),
    (P.heat_vec, (np.array([0.0, 0.3, 0.9, 0.4, 0.0]), 0.2, 4), (0, 1)),
    (P.logreg, (np.array([0.2, -0.3, 0.5]), _X, _Y), (0,)),
    (P.softmax_loop, (V4,), (0,)),
    (P.cumsum_loss, (V4,), (0,)),
    (P.newton_sqrt, (2.0,), (0,)),
    (P.matvec_iter, (_SPD, np.array([1.0, 0.5, -0.3]), 4), (0, 1)),
    (P.piecewise, (np.array([-0.9, -0.2, 0.3, 0.8]),), (0,)),
    (P.outer_loss, (np.array([0.2, -0.4]), np.array([0.5, 0.1, -0.3])), (0, 1)),
    (P.gauss_seidel, (np.array([0.0, 0.5, -0.3, 0.8, 0.2, 0.0]), 1.2, 3), (0, 1)),
    (P.matvec_acc, (rng.normal(size=(3, 4)), rng.normal(size=4)), (0, 1)),
    (P.store2d_reduce, (np.array([0.1, 0.5, -0.3, 0.9]),), (0,)),
    (P.gd_inside, (V3, 0.1), (0, 1)),
    (P.uses_vec_helper, (V3, 0.7), (0, 1)),
    (P.nested_break_arr, (np.array([0.5, 0.9, 1.1, 0.3]),), (0,)),
    (P.while_len, (V3,), (0,)),
    (P.clip_where, (np.array([0.5, -0.4, 0.9, 1.3]), -0.3), (0, 1)),
    (P.running_max, (np.array([0.5, -0.4, 0.9, 0.2, 1.3]),), (0,)),
    (P.slice_aug, (np.array([0.3, -0.5, 0.8, 1.1]),), (0,)),
    (P.row_col_assign, (rng.normal(size=(3, 2)),), (0,)),
    (P.const_grids, (0.7,), (0,)),
    (P.transpose_reshape, (rng.normal(size=(3, 2)),), (0,)),
    (P.tuple_helper, (np.array([0.3, -0.5]), np.array([1.2, 0.4])), (0, 1)),
    (P.while_break_arr, (np.array([0.7, 2.0, 3.5]),), (0,)),
    (P.int_array_index, (V3, np.array([2, 0, 2])), (0,)),
    (P.bool_mask_sum, (V3,), (0,)),
    (P.inf_init, (np.array([0.9, 0.2, 0.55]),), (0,)),
    (P.scalar_pow_mix, (1.3, 0.7), (0, 1)),
]
NUMBA = {"matmul_loop", "heat", "heat_vec", "rk4_state", "logreg", "matvec_iter", "closure_arr",
         "break_in_nested", "twod_slices", "gauss_seidel", "store2d_reduce", "gd_inside",
         "uses_vec_helper", "row_col_assign", "const_grids", "slice_aug"}


def _copy(args):
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def central_difference(f, args, i, h=1e-6):
    x = args[i]
    if np.ndim(x) == 0:
        plus, minus = _copy(args), _copy(args)
        plus[i], minus[i] = x + h, x - h
        return (f(*plus) - f(*minus)) / (2 * h)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = _copy(args), _copy(args)
        plus[i][idx] += h
        minus[i][idx] -= h
        g[idx] = (f(*plus) - f(*minus)) / (2 * h)
    return g


def _params():
    for k, (f, args, wrt) in enumerate(CASES):
        yield pytest.param(f, args, wrt, "python", id=f"{f.__name__}-{k}-python")
        if f.__name__ in NUMBA:
            yield pytest.param(f, args, wrt, "numba", id=f"{f.__name__}-{k}-numba",
                               marks=pytest.mark.numba)


@pytest.mark.parametrize("f, args, wrt, backend", list(_params()))
def test_program_gradient(f, args, wrt, backend):
    grads = ad.grad(f, wrt=wrt, backend=backend)(*_copy(args))
    for i, g in zip(wrt, grads):
        np.testing.assert_allclose(g, central_difference(f, args, i), rtol=1e-6, atol=1e-7)


def _direction(args, wrt, rng):
    """A random tangent for each differentiated argument, zero for the others."""
    def tangent(i, a):
        if i not in wrt:
            return np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0 * a
        return rng.normal(size=np.shape(a)) if np.ndim(a) else float(rng.normal())
    return [tangent(i, a) for i, a in enumerate(args)]


@pytest.mark.parametrize("f, args, wrt", [pytest.param(f, a, w, id=f"{f.__name__}-{k}")
                                          for k, (f, a, w) in enumerate(CASES)])
def test_program_jvp(f, args, wrt):
    tangents = _direction(args, wrt, np.random.default_rng(1))
    h = 1e-6
    plus = [a + h * t if i in wrt else a for i, (a, t) in enumerate(zip(_copy(args), tangents))]
    minus = [a - h * t if i in wrt else a for i, (a, t) in enumerate(zip(_copy(args), tangents))]
    _, tangent = ad.jvp(f, tuple(_copy(args)), tuple(tangents), backend="python")
    assert tangent == pytest.approx((f(*plus) - f(*minus)) / (2 * h), rel=1e-5, abs=1e-7)


HESSIAN = ["matmul_loop", "methods", "closure_arr", "quad", "rk4_state", "logreg",
           "matvec_iter", "store2d_reduce", "twod_slices", "softplus_loss"]


@pytest.mark.parametrize("f, args, wrt", [pytest.param(f, a, w, id=f.__name__)
                                          for f, a, w in CASES if f.__name__ in HESSIAN])
def test_program_hessian(f, args, wrt):
    i = wrt[0]
    H = np.asarray(ad.hessian(f, wrt=i)(*_copy(args)))
    grad = ad.grad(f, wrt=i, backend="python")
    x, h = args[i], 1e-5
    ref = np.zeros(np.shape(x) * 2)
    for idx in np.ndindex(np.shape(x)):
        plus, minus = _copy(args), _copy(args)
        plus[i][idx] += h
        minus[i][idx] -= h
        ref[(Ellipsis,) + idx] = (grad(*plus) - grad(*minus)) / (2 * h)
    np.testing.assert_allclose(H, ref, rtol=1e-4, atol=1e-6)

"""Runtime helpers ``_rt.*``: the same results in plain Python and inside ``numba.njit``."""

import numpy as np
import pytest

from ad_compiler.backends import helpers as _rt

rng = np.random.default_rng(0)


def same(a, b):
    """Same value, same shape, and both scalars or both arrays (never a 0-d array)."""
    assert isinstance(a, np.ndarray) == isinstance(b, np.ndarray), (type(a), type(b))
    assert np.shape(a) == np.shape(b)
    np.testing.assert_allclose(a, b)


# ------------------------------------------------------------------------------ python bodies

@pytest.mark.parametrize("x", [1, 2.5, True, np.float64(3.0)])
def test_zeros_like_scalar(x):
    z = _rt.zeros_like(x)
    assert z == 0.0 and isinstance(z, float)


@pytest.mark.parametrize("x", [np.arange(3), np.ones((2, 2), bool), np.ones((2, 3, 4))])
def test_zeros_like_array(x):
    z = _rt.zeros_like(x)
    assert z.shape == x.shape and z.dtype == np.float64 and not z.any()


def test_where_python():
    assert _rt.where(True, 1.0, 2.0) == 1.0 and not isinstance(_rt.where(True, 1.0, 2.0),
                                                               np.ndarray)
    assert _rt.where(False, 1.0, 2.0) == 2.0
    same(_rt.where(np.array([True, False]), np.ones(2), 0.0), np.array([1.0, 0.0]))
    same(_rt.where(False, np.ones(2), np.zeros((3, 2))), np.zeros((3, 2)))


def test_unbroadcast_broadcast_like_python():
    g = rng.normal(size=(2, 3, 4))
    same(_rt.unbroadcast(g, np.ones(4)), g.sum(axis=(0, 1)))
    same(_rt.unbroadcast(g, np.ones((3, 1))), g.sum(axis=(0, 2))[:, None])
    assert np.isclose(_rt.unbroadcast(g, 1.0), g.sum())
    assert _rt.unbroadcast(2.0, 3.0) == 2.0
    same(_rt.broadcast_like(np.arange(4.0), g), np.broadcast_to(np.arange(4.0), g.shape))
    assert _rt.broadcast_like(2.0, 1.0) == 2.0


@pytest.mark.parametrize("like,dtype", [(1.5, np.float64), (3, np.int64), (True, np.bool_),
                                        (np.int32(1), np.int64)])
def test_tape_dtype_and_grow_python(like, dtype):
    t = _rt.tape(1, like)
    assert t.shape == (1,) and t.dtype == dtype
    k = 0
    for i in range(9):
        if k == t.shape[0]:
            t = _rt.grow(t, k)
        t[k] = i % 2
        k += 1
    assert t.shape[0] >= 9 and t.dtype == dtype
    np.testing.assert_array_equal(t[:k], np.arange(9) % 2)
    assert _rt.grow(_rt.tape(0, 1.0), 0).shape == (1,)


def test_reserve_python():
    t = _rt.tape(4, 1.0)
    assert _rt.reserve(t, 2, 2) is t
    t[:3] = [1.0, 2.0, 3.0]
    t2 = _rt.reserve(t, 3, 6)
    assert t2.shape == (9,) and list(t2[:3]) == [1.0, 2.0, 3.0]
    assert _rt.reserve(t, 3, 2).shape == (8,)
    a = _rt.reserve(_rt.tape_of_arrays(1, np.ones(2)), 0, 3)
    assert a.shape == (3, 2)


def test_tape_of_arrays_python():
    t = _rt.tape_of_arrays(1, np.ones((2, 3)))
    assert t.shape == (1, 2, 3) and t.dtype == np.float64
    t[0] = 1.0
    t2 = _rt.grow(t, 1)
    assert t2.shape == (2, 2, 3) and (t2[0] == 1.0).all()


# ------------------------------------------------------------------------------ under njit

@pytest.fixture(scope="module")
def njit():
    numba = pytest.importorskip("numba")
    return numba.njit


def _zl(x):
    return _rt.zeros_like(x)


def _wh(c, a, b):
    return _rt.where(c, a, b)


def _ub(g, like):
    return _rt.unbroadcast(g, like)


def _bl(x, like):
    return _rt.broadcast_like(x, like)


def _tp(n, like):
    t = _rt.tape(n, like)
    k = 0
    t = _rt.reserve(t, k, 3)
    for i in range(3):
        t[k] = like
        k += 1
    for i in range(10):
        if k == t.shape[0]:
            t = _rt.grow(t, k)
        t[k] = like
        k += 1
    return t[:k]


def _ta(n, like):
    t = _rt.tape_of_arrays(n, like)
    k = 0
    for i in range(5):
        if k == t.shape[0]:
            t = _rt.grow(t, k)
        t[k] = like * i
        k += 1
    t = _rt.reserve(t, k, 2)
    t[k] = like
    t[k + 1] = like
    return t[:k + 2]


@pytest.mark.numba
def test_zeros_like_njit(njit):
    f = njit(_zl)
    for x in [1, 2.0, True, np.arange(3), np.ones((2, 2))]:
        same(f(x), _zl(x))
    assert isinstance(f(2.0), float)
    # lowered in place (backends/numba/direct.py): dtype, layout and shape as the Python body
    for x in [np.ones(3, np.complex128), np.array(2.0), np.ones((3, 4), np.float32).T, 1j]:
        got, want = f(x), _zl(x)
        same(got, want)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        assert not isinstance(x, np.ndarray) or got.flags.c_contiguous


@pytest.mark.numba
def test_trip_count_and_tape_sizes_njit(njit):
    count = njit(lambda a, b, c: _rt.trip_count(a, b, c))
    for a in [(0, 10, 3), (10, 0, -3), (5, 5, 1), (5, 0, 1), (np.int32(2), np.uint8(9), 2)]:
        assert count(*a) == len(range(*[int(v) for v in a]))
    with pytest.raises(ValueError):
        count(0, 5, 0)
    with pytest.raises(ValueError):
        njit(lambda n: _rt.tape(n, 1.0))(-1)


@pytest.mark.numba
def test_where_njit(njit):
    f = njit(_wh)
    for args in [(True, 1.0, 2.0), (1.0 < 0, 1.0, 2.0),
                 (np.array([True, False]), np.ones(2), 0.0),
                 (False, np.ones(2), np.zeros((3, 2)))]:
        same(f(*args), _wh(*args))
    assert isinstance(f(True, 1.0, 2.0), float)


@pytest.mark.numba
@pytest.mark.parametrize("gshape,lshape", [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((5,), (1,)), ((3, 4), ()),
    ((2, 3, 4), (1, 3, 1)),
])
def test_unbroadcast_broadcast_like_njit(njit, gshape, lshape):
    g = rng.normal(size=gshape)
    like = rng.normal(size=lshape) if lshape else 1.5
    same(njit(_ub)(g, like), _ub(g, like))
    if lshape:
        same(njit(_bl)(like, g), _bl(like, g))


@pytest.mark.numba
def test_unbroadcast_scalars_njit(njit):
    assert njit(_ub)(2.0, 3.0) == 2.0
    same(njit(_bl)(2.0, np.ones((2, 3))), np.full((2, 3), 2.0))


@pytest.mark.numba
def test_tapes_njit(njit):
    f = njit(_tp)
    for like in [1.5, 3, True]:
        r = f(1, like)
        same(r, _tp(1, like))
        assert r.dtype == _tp(1, like).dtype
    g = njit(_ta)
    same(g(2, np.ones((2, 3))), _ta(2, np.ones((2, 3))))
    same(g(0, np.ones(3)), _ta(0, np.ones(3)))
    # the copies of grow/reserve: element loops on C tapes, slices on strided ones
    buf = np.arange(24.0).reshape(4, 3, 2)
    keep = njit(lambda b, k: (_rt.grow(b, k), _rt.reserve(b, k, 5)))
    for b in (buf, buf[::2], buf[:, ::2], np.arange(5.0)[::2]):
        for new in keep(b, 2):
            assert new.shape[0] >= 3 and new.shape[1:] == b.shape[1:]
            same(new[:2], b[:2])

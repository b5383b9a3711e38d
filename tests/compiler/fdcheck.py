"""Central finite differences in float64 and the comparison used by the reverse suite."""

import numpy as np


def is_float_arg(a):
    return isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype == np.float64)


def float_positions(args):
    return [i for i, a in enumerate(args) if is_float_arg(a)]


def _call(f, args):
    return float(f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))


def fd_grad(f, args, i):
    """d f / d args[i] by central differences (step scaled to the value)."""
    a = args[i]
    if isinstance(a, np.ndarray):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            h = 1e-6 * max(1.0, abs(a[idx]))
            plus, minus = a.copy(), a.copy()
            plus[idx] += h
            minus[idx] -= h
            g[idx] = (_call(f, args[:i] + (plus,) + args[i + 1:])
                      - _call(f, args[:i] + (minus,) + args[i + 1:])) / (2 * h)
        return g
    h = 1e-6 * max(1.0, abs(a))
    return (_call(f, args[:i] + (a + h,) + args[i + 1:])
            - _call(f, args[:i] + (a - h,) + args[i + 1:])) / (2 * h)


def assert_close(got, expected, what=""):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    err = float(np.max(np.abs(got - expected))) if expected.size else 0.0
    assert err <= 1e-6 * scale, f"{what}: got {got}, finite differences {expected}"


def check_grad(grad_factory, f, args, *, source=True):
    """Check ad.grad(f, wrt=i) for each float argument and the tuple of all of them."""
    pos = float_positions(args)
    fds = {i: fd_grad(f, args, i) for i in pos}
    for i in pos:
        d = grad_factory(f, i)
        copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        g = d(*copies)
        ctx = f"{f.__name__} wrt={i}\n{d.source if source else ''}"
        if isinstance(args[i], np.ndarray):
            assert isinstance(g, np.ndarray), ctx
        else:
            assert isinstance(g, float), f"{ctx}: type {type(g)}"
        assert_close(g, fds[i], ctx)
        left = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        f(*left)
        for c, a in zip(copies, left):     # arguments hold what calling f leaves in them
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(c, a)
    if len(pos) > 1:
        d = grad_factory(f, tuple(pos))
        gs = d(*args)
        assert isinstance(gs, tuple) and len(gs) == len(pos)
        for g, i in zip(gs, pos):
            assert_close(g, fds[i], f"{f.__name__} wrt={tuple(pos)} [{i}]\n{d.source}")

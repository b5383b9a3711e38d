"""Hessians read the generated adjoint back (forward over reverse): every construct the
printer writes must be read as what it computes. ``_rt.stack((a, b), axis=1)`` is the stack
of ``a`` and ``b`` (it was read as the stack of one packed array: the Hessian failed on an
index); ``concat_part(g, (a, b))`` takes a tuple (read as a packed array: a crash);
``_rt.add_at(b_x, (idx,), v)``, the adjoint of a gather ``x[idx]`` and of ``np.add.at``, is an
unbuffered store into ``b_x`` (read as a call whose result nobody uses and dropped: the
Hessian of every gather through an index array was zero); ``dtype='float64'`` is the
dtype it names (refused)."""

import numpy as np
import pytest

import ad_compiler as ad


def stack_of_elements(x):
    s = np.stack((x[0], x[1]))
    return np.sum(s * s * x[2])


def stack_on_axis_one(x):
    s = np.stack((x, x * x), axis=1)
    return np.sum(np.sin(s) * s[:, 0:1])


def concatenated(x):
    c = np.concatenate((x * x, np.cos(x[1:])), axis=0)
    return np.sum(c * c) * x[0]


def stacked_then_concatenated(x):
    """The adjoint of concatenate takes the parts as one tuple operand (``concat_part(g,
    (a, b))``), read back as a tuple, not as an array packed from them."""
    a = np.stack([x, x ** 2])
    b = np.concatenate([a[0], a[1] * 2.0])
    return np.sum(b * b) + np.sum(a.T @ a)


def gathered(x):
    idx = np.array([0, 2, 2, 1])
    return np.sum(x[idx] ** 3)


def added_at(x):
    out = np.zeros(3)
    np.add.at(out, np.array([0, 2, 1, 0, 2, 2]), np.concatenate((x, x * x)))
    return np.sum(out ** 3)


def typed_allocation(x):
    """``np.empty(n, dtype=np.float64)`` prints as ``dtype='float64'``, read back as it."""
    y = np.empty(x.shape[0], dtype=np.float64)
    z = np.zeros(2, dtype="float64")
    for i in range(x.shape[0]):
        y[i] = x[i] * 2.0 if x[i] > 0 else -x[i] ** 3
    return np.dot(y, y) + np.sum(z)


def running_max_logsumexp(x):
    """The adjoint tapes the running maximum, read back only by comparisons: forward mode
    over it needs no tangent for that tape (it refused the store of a differentiated
    value into an array without one)."""
    m = -np.inf
    for v in x:
        if v > m:
            m = v
    s = 0.0
    for v in x:
        s += np.exp(v - m)
    return m + np.log(s)


def two_list_tapes(x):
    """The adjoint records two arrays per iteration on list tapes (``du`` and the part of
    it a slice store overwrites), each ``_rt.array_list(1)``: read back, the two
    allocations were one pure call, merged by CSE into ONE list, so the second put of each
    iteration overwrote the first (a broadcast error here; a wrong Hessian where shapes
    agree)."""
    u = x * 1.0
    for k in range(2):
        du = np.zeros_like(u)
        du[1:-1] = u[:-2] * u[2:]
        u = u + du
    return np.sum(u ** 2)


def shrinking_slices(x):
    """Each iteration writes a shorter slice, recorded on list tapes (of ``q[c + 1:]``'s
    parts): forward mode over the adjoint puts their tangents on list tapes of their own
    (it refused: no forward rule of list_put, then entries read back as scalars)."""
    q = x * 1.0
    for c in range(3):
        q[c + 1:] = q[c + 1:] * np.tanh(q[c]) + 0.1 * q[c + 1:] ** 2
    return np.sum(q ** 3)


def _fd_hessian(f, x, h=1e-5):
    grad = ad.grad(f, backend="python")
    out = np.zeros((x.size, x.size))
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        out[:, i] = (grad(x + e) - grad(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("f", [stack_of_elements, stack_on_axis_one, concatenated,
                               stacked_then_concatenated, gathered, added_at,
                               typed_allocation, running_max_logsumexp, two_list_tapes,
                               shrinking_slices],
                         ids=lambda f: f.__name__)
def test_hessian_through_sequence_operands(f):
    x = np.array([0.7, -1.3, 2.1])
    H = ad.hessian(f, backend="python")(x)
    np.testing.assert_allclose(H, _fd_hessian(f, x), rtol=1e-6, atol=1e-8)


def test_hessian_of_stacked_elements_is_exact():
    x = np.array([1.0, 2.0, 3.0])     # f = (x0^2 + x1^2) x2
    H = ad.hessian(stack_of_elements, backend="python")(x)
    np.testing.assert_array_equal(H, [[6.0, 0.0, 2.0], [0.0, 6.0, 4.0], [2.0, 4.0, 0.0]])


def test_hessian_of_a_gather_is_exact():
    x = np.array([0.3, -0.5, 0.7])     # f = x0^3 + x1^3 + 2 x2^3
    H = ad.hessian(gathered, backend="python")(x)
    np.testing.assert_allclose(H, np.diag([6 * 0.3, 6 * -0.5, 12 * 0.7]), rtol=1e-14)


def eigenvalue_energy(x):
    a = np.outer(x, x) + np.eye(x.shape[0])
    w, v = np.linalg.eigh(a)
    return np.sum(w * w) + np.sum(v[0] * x)     # (eigenvectors: no second derivative)


def test_a_refused_second_derivative_names_the_users_file_and_line():
    """The adjoint read back has the user's lines (the ``# line N:`` comment above each
    group of generated statements, not only on the group's first line)."""
    import inspect

    first = inspect.getsourcelines(eigenvalue_energy)[1]
    with pytest.raises(ad.DifferentiationError) as info:
        ad.hessian(eigenvalue_energy, backend="python")(np.array([0.3, 0.5, 0.7]))
    where = str(info.value).rsplit(" at ", 1)[1]
    assert where.startswith(__file__ + ":") and not where.endswith("?"), where
    assert first < int(where.rsplit(":", 1)[1]) <= first + 3

"""The dot-product test ``<J v, u> == <v, J^T u>`` between forward mode (``ad.jvp``) and
reverse mode (``ad.vjp``) on vectorised array programs, every float argument
differentiated, random ``v`` and ``u`` (``u`` shaped like the output)."""
import numpy as np
import pytest

from ad_compiler.api import vjp
from ad_compiler.functional import jvp


def mlp_loss(W1, b1, W2, x, y):
    h = np.tanh(x @ W1.T + b1)
    out = h @ W2
    return np.mean((out - y) ** 2)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax_cross_entropy(logits, onehot):
    z = logits - np.max(logits, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * (z - lse), axis=1))


def slices(x):
    return x[::2] * x[1::2] + np.sum(x[1:-1] ** 2) * x[:3].sum()


def strided_matrix(m, v):
    return np.sin(m[:, ::2]) @ v[1::2] + m[:, 1] * v[:3] - m[::2, 1:3].sum()


rng = np.random.default_rng(7)
CASES = [
    (mlp_loss, (rng.standard_normal((5, 3)), rng.standard_normal(5),
                rng.standard_normal((5, 2)), rng.standard_normal((4, 3)),
                rng.standard_normal((4, 2)))),
    (logsumexp, (rng.standard_normal(6),)),
    (softmax_cross_entropy, (rng.standard_normal((4, 3)), np.eye(3)[[0, 2, 1, 2]])),
    (slices, (rng.standard_normal(6),)),
    (strided_matrix, (rng.standard_normal((3, 4)), rng.standard_normal(4))),
]


def _inner(a, b):
    return sum(float(np.sum(np.asarray(x) * np.asarray(y))) for x, y in zip(a, b))


@pytest.mark.parametrize("backend", ["python", "numba"])
@pytest.mark.parametrize("f,args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_dot_product(f, args, backend):
    r = np.random.default_rng(11)
    v = [r.standard_normal(np.shape(a)) for a in args]
    out, jv = jvp(f, args, v, backend=backend)
    np.testing.assert_allclose(out, f(*args), rtol=1e-12)
    u = r.standard_normal(np.shape(out)) if np.ndim(out) else float(r.standard_normal())
    out_r, pullback = vjp(f, *args, backend=backend)
    np.testing.assert_allclose(out_r, out, rtol=1e-12)
    jtu = pullback(u)
    lhs = float(np.sum(np.asarray(jv) * u))
    rhs = _inner(v, jtu)
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("backend", ["python", "numba"])
def test_dot_product_direct_pullback(backend):
    """strided_matrix with the reverse sweep seeded by ``u`` directly (no value-only call)."""
    from ad_compiler.api import DerivativeFunction

    f, args = strided_matrix, (rng.standard_normal((3, 4)), rng.standard_normal(4))
    r = np.random.default_rng(12)
    v = [r.standard_normal(np.shape(a)) for a in args]
    out, jv = jvp(f, args, v, backend=backend)
    u = r.standard_normal(np.shape(out))
    d = DerivativeFunction(f, (0, 1), backend=backend, kind="vjp")
    out_r, jtu = d.vjp_call(d.prepare(args), [u])
    np.testing.assert_allclose(out_r[0], out, rtol=1e-12)
    assert float(np.sum(jv * u)) == pytest.approx(_inner(v, jtu), rel=1e-10, abs=1e-12)

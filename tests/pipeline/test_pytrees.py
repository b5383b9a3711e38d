"""Pytrees through every transform (hessian, hvp, jvp with aux, transforms of derivative
functions), objects as pytrees, and globals read at every call by composed transforms; all
against central finite differences."""

import numpy as np
import pytest

import ad_compiler as ad
import _pipeline_funcs as F
from fdcheck import assert_close

X = np.array([0.3, -0.7, 1.1])
BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.numba)]


def _fd_jac(f, x, eps=1e-6):
    cols = []
    for j in range(np.size(x)):
        e = np.zeros(np.shape(x))
        e.flat[j] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("backend", ["python"])   # the getters are the pipeline's, not
def test_composed_transform_reads_globals_at_every_call(backend, monkeypatch):  # a backend's
    J = ad.jacobian(ad.grad(F.scaled_cube, backend=backend), backend=backend)
    assert_close(J(X), np.diag(6 * F.SCALE * X))
    monkeypatch.setattr(F, "SCALE", 5.0)
    assert_close(J(X), np.diag(6 * 5.0 * X))
    assert_close(J(X), _fd_jac(ad.grad(F.scaled_cube, backend=backend), X))


def _fd_tree(f, tree, *rest, eps=1e-6):
    """Central differences of scalar ``f(tree, *rest)`` w.r.t. every leaf, in ``tree``'s
    structure (through the library's own flatten/unflatten, checked by the round trip)."""
    from ad_compiler.pytree import flatten, unflatten

    leaves, treedef = flatten(tree)
    assert flatten(unflatten(treedef, leaves))[1] == treedef
    out = []
    for k, leaf in enumerate(leaves):
        def moved(delta, k=k):
            ls = [np.array(v, dtype=float) if np.ndim(v) else float(v) for v in leaves]
            if np.ndim(ls[k]):
                ls[k] = ls[k] + delta
            else:
                ls[k] = ls[k] + float(delta)
            return f(unflatten(treedef, ls), *rest)

        shape = np.shape(leaf)
        g = np.zeros(shape)
        for idx in np.ndindex(shape):
            e = np.zeros(shape)
            e[idx] = eps
            g[idx] = (moved(e if shape else eps) - moved(-e if shape else -eps)) / (2 * eps)
        out.append(g if shape else float(g))
    return unflatten(treedef, out)


def _assert_tree_close(got, want):
    from ad_compiler.pytree import flatten

    (g_leaves, g_tree), (w_leaves, w_tree) = flatten(got), flatten(want)
    assert g_tree == w_tree, (g_tree, w_tree)
    for g, w in zip(g_leaves, w_leaves):
        assert_close(g, w)


def _linear():
    return F.Linear(np.array([0.5, -1.0, 2.0]), 0.3, F.Params(np.array([0.1, 0.2, -0.3]), 0.7))


@pytest.mark.parametrize("backend", BACKENDS)
def test_method_of_a_dataclass_or_namedtuple_with_the_object_as_a_pytree(backend):
    m = _linear()
    g = ad.grad(F.Linear.loss, backend=backend)(m, X)
    assert isinstance(g, F.Linear) and isinstance(g.extra, F.Params)
    _assert_tree_close(g, _fd_tree(F.Linear.loss, m, X))
    a = F.Affine(np.array([0.4, 0.1, -0.6]), 0.2)
    value, (ga, gx) = ad.value_and_grad(F.Affine.loss, wrt=(0, 1), backend=backend)(a, X)
    assert value == pytest.approx(a.loss(X), rel=1e-13)
    assert isinstance(ga, F.Affine)
    _assert_tree_close(ga, _fd_tree(F.Affine.loss, a, X))
    assert_close(gx, _fd_tree(lambda x, a: a.loss(x), X, a))


def test_bound_method_attributes_are_constants_and_plain_objects_say_how():
    m = _linear()
    gx = ad.grad(m.loss, backend="python")(X)       # as jax.grad(m.loss): w.r.t. x only
    assert_close(gx, _fd_tree(lambda x: m.loss(x), X))
    with pytest.raises(TypeError, match="make Plain a dataclass or NamedTuple"):
        ad.grad(F.Plain.loss, backend="python")(F.Plain(X), X)


def _flat(tree):
    from ad_compiler.pytree import flatten

    return np.concatenate([np.ravel(v) for v in flatten(tree)[0]])


def _energy_args():
    rng = np.random.default_rng(5)
    p = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2), "s": 0.7}
    return p, X


def _fd_hessian(p, x, wrt_x=False):
    """Central differences of the (checked) gradient, flattened: the dense Hessian over the
    flat leaves of ``p`` (and ``x``)."""
    from ad_compiler.pytree import flatten, unflatten

    tree = (p, x) if wrt_x else p
    leaves, treedef = flatten(tree)
    z0 = np.concatenate([np.ravel(v) for v in leaves])
    sizes = np.cumsum([0] + [np.size(v) for v in leaves])
    g = ad.grad(F.dict_energy, wrt=(0, 1) if wrt_x else 0, backend="python")

    def flat_grad(z):
        ls = [z[sizes[k]:sizes[k + 1]].reshape(np.shape(v)) if np.ndim(v)
              else float(z[sizes[k]]) for k, v in enumerate(leaves)]
        t = unflatten(treedef, ls)
        return _flat(g(*t) if wrt_x else g(t, x))

    return _fd_jac(flat_grad, z0)


def _dense(H, rows):
    """The tree of trees ``H`` as one matrix (row leaves of shapes ``rows``)."""
    from ad_compiler.pytree import flatten

    blocks = flatten(H)[0]
    sizes = [int(np.prod(s)) for s in rows]
    n = len(rows)
    return np.block([[np.reshape(blocks[k * n + j], (sizes[k], sizes[j])) for j in range(n)]
                     for k in range(n)])


def test_hessian_of_a_dict_argument():
    p, x = _energy_args()
    H = ad.hessian(F.dict_energy, backend="python")(p, x)
    assert set(H) == set(p) and all(set(H[k]) == set(p) for k in p)
    assert H["W"]["b"].shape == (2, 3, 2) and np.shape(H["s"]["s"]) == ()
    shapes = [np.shape(p[k]) for k in sorted(p)]
    assert_close(_dense(H, shapes), _fd_hessian(p, x))


@pytest.mark.parametrize("backend", BACKENDS)
def test_hvp_of_a_dict_argument(backend):
    p, x = _energy_args()
    v = {"W": np.ones((2, 3)), "b": np.array([0.5, -1.0]), "s": 2.0}
    hv = ad.hvp(F.dict_energy, backend=backend)(p, x, v)
    assert set(hv) == set(p) and isinstance(hv["s"], float)
    assert_close(_flat(hv), _fd_hessian(p, x) @ _flat(v))


def test_hessian_over_a_tuple_of_arguments_and_hvp_checks_v():
    p, x = _energy_args()
    H = ad.hessian(F.dict_energy, wrt=(0, 1), backend="python")(p, x)
    # as jax.hessian(f, argnums=(0, 1)): the gradient's structure (p's tree, then x), each
    # leaf replaced by the arguments' structure
    assert isinstance(H, tuple) and len(H) == 2 and isinstance(H[0]["W"], tuple)
    assert H[0]["W"][1].shape == (2, 3, 3) and H[1][0]["s"].shape == (3,)
    shapes = [np.shape(v) for v in (p["W"], p["b"], p["s"], x)]
    assert_close(_dense(H, shapes), _fd_hessian(p, x, wrt_x=True))
    with pytest.raises(TypeError, match="structure"):
        ad.hvp(F.dict_energy, backend="python")(p, x, {"W": np.ones((2, 3))})


W = np.array([0.2, 0.4, -0.1])


def _scalar_fd(f, args, i, eps=1e-6):
    return _fd_tree(lambda a, *rest: f(*args[:i], a, *args[i + 1:]), args[i])


@pytest.mark.parametrize("backend", BACKENDS)
def test_has_aux_returns_a_pytree_from_the_same_compiled_call(backend):
    loss, aux = F.loss_with_metrics(W, X)
    g, got_aux = ad.grad(F.loss_with_metrics, has_aux=True, backend=backend)(W, X)
    assert_close(g, _scalar_fd(lambda w, x: F.loss_with_metrics(w, x)[0], (W, X), 0))
    _assert_tree_close(got_aux, aux)
    d = ad.value_and_grad(F.loss_with_metrics, has_aux=True, backend=backend)
    (value, got_aux), _ = d(W, X)
    assert value == pytest.approx(loss, rel=1e-13)
    _assert_tree_close(got_aux, aux)
    # aux is computed by the adjoint itself: no separate primal stage was built
    assert "primal" not in {stage.spec.mode for (_, key), stage in
                            d.pipeline._memo._done.items() if _ == "stage"}
    v = np.array([1.0, -0.5, 2.0])
    out, tangent, got_aux = ad.jvp(F.loss_with_metrics, (W, X), (v, np.zeros(3)),
                                   backend=backend, has_aux=True)
    assert out == pytest.approx(loss, rel=1e-13)
    assert tangent == pytest.approx(float(np.dot(g, v)), rel=1e-9)
    _assert_tree_close(got_aux, aux)


def test_has_aux_needs_a_pair():
    with pytest.raises(ad.DifferentiationError, match=r"pair \(value, aux\)"):
        ad.grad(F.cubic, has_aux=True, backend="python")(X)


def test_pytree_outputs_through_vjp_jvp_and_jacobian():
    s = 0.8
    out = F.dict_out(X, s)
    got, pullback = ad.vjp(F.dict_out, X, s, backend="python")
    _assert_tree_close(got, out)
    cot = {"energy": 1.5, "wave": (np.array([1.0, 2.0, -1.0]), 0.5)}

    def weighted(x, s):
        o = F.dict_out(x, s)
        return cot["energy"] * o["energy"] + np.dot(cot["wave"][0], o["wave"][0]) \
            + cot["wave"][1] * o["wave"][1]

    gx, gs = pullback(cot)
    assert_close(gx, _scalar_fd(weighted, (X, s), 0))
    assert_close(gs, _scalar_fd(weighted, (X, s), 1))
    J = ad.jacobian(F.dict_out, wrt=(0, 1), backend="python")(X, s)
    assert J["wave"][0][0].shape == (3, 3) and np.shape(J["wave"][1][1]) == ()
    assert_close(J["energy"][0], _scalar_fd(lambda x, s: F.dict_out(x, s)["energy"], (X, s), 0))
    assert_close(J["wave"][0][1], _fd_jac(lambda t: F.dict_out(X, t)["wave"][0], s)[:, 0])
    v = np.array([0.3, 1.0, -2.0])
    o, t = ad.jvp(F.dict_out, (X, s), (v, 0.0), backend="python")
    _assert_tree_close(o, out)
    assert_close(t["wave"][0], J["wave"][0][0] @ v)
    assert t["wave"][1] == 0.0


def test_jacobian_of_a_gradient_of_a_tuple_argument_is_the_hessian():
    p = (np.array([0.5, -1.0, 2.0]), 0.7)
    g = ad.grad(F.tuple_energy, backend="python")
    J = ad.jacobian(g, backend="python")(p, X)
    H = ad.hessian(F.tuple_energy, backend="python")(p, X)
    _assert_tree_close(J, H)
    _assert_tree_close(H[0], (_fd_jac(lambda w: g((w, p[1]), X)[0], p[0]),
                              _fd_jac(lambda c: g((p[0], c), X)[0], p[1])[:, 0]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_jvp_and_vjp_of_a_gradient_of_a_namedtuple_method(backend):
    a = F.Affine(np.array([0.4, 0.1, -0.6]), 0.2)
    g = ad.grad(F.Affine.loss, backend=backend)
    t = F.Affine(np.array([1.0, 0.5, -0.5]), 2.0)
    out, tangent = ad.jvp(g, (a, X), (t, np.zeros(3)), backend=backend)
    assert isinstance(out, F.Affine) and isinstance(tangent, F.Affine)

    def along(eps):
        return g(F.Affine(a.w + eps * t.w, a.b + eps * t.b), X)

    _assert_tree_close(tangent, F.Affine(*[(u - v) / 2e-6 for u, v in
                                           zip(along(1e-6), along(-1e-6))]))
    if backend == "python":
        _, pullback = ad.vjp(g, a, X, backend=backend)
        ga, _ = pullback(t)        # H symmetric: the pullback of t is the same H t
        _assert_tree_close(ga, tangent)


def test_a_function_builds_and_returns_a_namedtuple():
    w = np.array([0.5, -1.0, 2.0])
    out, pullback = ad.vjp(F.make_params, w, 0.7, backend="python")
    assert isinstance(out, F.Params) and out.c == pytest.approx(0.49)
    gw, gc = pullback(F.Params(np.ones(3), 1.0))
    assert_close(gw, 2.0 * np.ones(3))
    assert gc == pytest.approx(1.4)

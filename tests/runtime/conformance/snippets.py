"""Conformance snippets: small programs that run unchanged on ``torch`` and on ``ad_compiler``.

Each snippet is a function of the library module ``T`` (``torch`` or ``ad_compiler``)
returning plain data: Tensors, numbers, strings (node names), ``None``, errors caught with
:func:`err`, nested in tuples, lists and dicts. ``record.py`` runs them on PyTorch and stores
the results in ``expected.json``; ``test_rt_conformance.py`` runs them here and compares.
Most snippets are generated over families (every unary op, every reduction over every
``dim``...) so that a class of behaviour is covered, not one example.
"""

from __future__ import annotations

SNIPPETS: dict = {}


def snippet(name=None):
    def register(fn):
        SNIPPETS[name or fn.__name__] = fn
        return fn
    return register


def err(fn):
    """The error ``fn()`` raises (type and message), or its result."""
    try:
        return fn()
    except Exception as e:                      # noqa: BLE001  (recorded, compared)
        return {"error": type(e).__name__, "message": str(e)}


def leaf(T, data, dtype="float64"):
    return T.tensor(data, dtype=getattr(T, dtype), requires_grad=True)


def name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def weights(T, shape, dtype="float64", offset=0.0):
    """Deterministic, non-symmetric cotangent weights (same on both libraries)."""
    n = 1
    for s in shape:
        n *= s
    return (T.arange(n, dtype=getattr(T, dtype)) * 0.37 + 0.5 + offset).reshape(shape)


def vjp_of(T, fn, *inputs):
    """Value, node name and gradients of ``(fn(*inputs) * weights).sum()``."""
    out = fn(*inputs)
    w = weights(T, tuple(out.shape), str(out.dtype).split(".")[-1])
    (out * w).sum().backward()
    return {"value": out, "name": name(out), "grads": [x.grad for x in inputs]}


# ---------------------------------------------------------------------------------------------
# elementwise unary ops: value, node name, gradient; in-place forms on a non-leaf
# ---------------------------------------------------------------------------------------------
UNARY = ["exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sqrt", "neg",
         "sign", "floor", "ceil", "round", "trunc", "log1p", "expm1", "reciprocal", "square",
         "rsqrt", "sinh", "cosh", "asin", "acos", "atan", "erf", "log2", "log10"]
POSITIVE = [0.3, 0.5, 0.9]
MIXED = [-0.7, 0.0, 0.4, 1.3]
DOMAIN = {"log": POSITIVE, "sqrt": POSITIVE, "rsqrt": POSITIVE, "log2": POSITIVE,
          "log10": POSITIVE, "asin": POSITIVE, "acos": POSITIVE, "log1p": POSITIVE,
          "reciprocal": POSITIVE}


def _unary_snippets():
    for op in UNARY:
        data = DOMAIN.get(op, MIXED)

        def plain(T, op=op, data=data):
            x = leaf(T, data)
            return vjp_of(T, lambda a: getattr(a, op)(), x)

        def functional(T, op=op, data=data):
            x = leaf(T, data, "float32")
            return vjp_of(T, lambda a: getattr(T, op)(a), x)

        def inplace(T, op=op, data=data):
            x = leaf(T, data)
            y = x * 1
            getattr(y, op + "_")()
            (y * weights(T, (len(data),))).sum().backward()
            return {"y": y, "name": name(y), "leaf": y.is_leaf, "grad": x.grad,
                    "version": y._version}

        def second(T, op=op, data=data):
            x = leaf(T, data)
            (g,) = T.autograd.grad(getattr(x, op)().sum(), x, create_graph=True)
            if not g.requires_grad:
                return {"g": g, "second": None}
            (h,) = T.autograd.grad(g.sum(), x, allow_unused=True)
            return {"g": g, "second": h}

        SNIPPETS[f"unary_{op}"] = plain
        SNIPPETS[f"unary_fn32_{op}"] = functional
        SNIPPETS[f"inplace_{op}_"] = inplace
        SNIPPETS[f"second_{op}"] = second


_unary_snippets()


# ---------------------------------------------------------------------------------------------
# binary ops with broadcasting, ties and scalars
# ---------------------------------------------------------------------------------------------
BINARY = {"add": lambda T, a, b: a + b, "sub": lambda T, a, b: a - b,
          "mul": lambda T, a, b: a * b, "div": lambda T, a, b: a / b,
          "pow": lambda T, a, b: a ** b, "maximum": lambda T, a, b: T.maximum(a, b),
          "minimum": lambda T, a, b: T.minimum(a, b), "atan2": lambda T, a, b: T.atan2(a, b),
          "where": lambda T, a, b: T.where(a > b, a, b)}
SHAPES = {"same": ([[0.5, 1.0, 2.0], [1.5, 0.7, 1.0]], [[0.5, 2.0, 1.0], [1.0, 0.7, 3.0]]),
          "row": ([[0.5, 1.0, 2.0], [1.5, 0.7, 1.0]], [1.0, 0.7, 2.0]),
          "outer": ([[0.5], [1.5]], [[1.0, 0.5, 2.0]]),
          "scalar0d": ([0.5, 1.5, 2.0], 1.5)}


def _binary_snippets():
    for op, fn in BINARY.items():
        for kind, (da, db) in SHAPES.items():
            def run(T, fn=fn, da=da, db=db):
                a, b = leaf(T, da), leaf(T, db)
                return vjp_of(T, lambda x, y: fn(T, x, y), a, b)
            SNIPPETS[f"binary_{op}_{kind}"] = run
    for op in ("add", "sub", "mul", "div", "pow"):
        def right(T, op=op):
            x = leaf(T, [0.5, 1.0, 2.0])
            return vjp_of(T, lambda a: BINARY[op](T, a, 2.0), x)

        def left(T, op=op):
            x = leaf(T, [0.5, 1.0, 2.0])
            return vjp_of(T, lambda a: BINARY[op](T, 2.0, a), x)
        SNIPPETS[f"scalar_right_{op}"] = right
        SNIPPETS[f"scalar_left_{op}"] = left


_binary_snippets()


@snippet()
def pow_base_zero(T):
    x = leaf(T, [0.0, 0.0, 2.0])
    y = leaf(T, [0.0, 2.0, 0.5])
    (x ** y).sum().backward()
    z = leaf(T, [0.0, 1.0])
    (z ** 0).sum().backward()
    e = leaf(T, [1.0, 2.0, 0.0])
    (0.0 ** e).sum().backward()
    return [x.grad, y.grad, z.grad, e.grad]


@snippet()
def maximum_ties(T):
    a, b = leaf(T, [1.0, 2.0, 3.0]), leaf(T, [1.0, 3.0, 3.0])
    T.maximum(a, b).sum().backward()
    c, d = leaf(T, [1.0, 2.0]), leaf(T, [1.0, 1.0])
    T.minimum(c, d).sum().backward()
    return [a.grad, b.grad, c.grad, d.grad]


# ---------------------------------------------------------------------------------------------
# reductions over every dim, with keepdim
# ---------------------------------------------------------------------------------------------
MATRIX = [[0.5, -1.0, 2.0, 0.3], [1.5, 0.7, -0.2, 1.1], [0.9, 0.4, 1.3, -0.6]]
REDUCTIONS = {
    "sum": lambda x, d, k: x.sum() if d is None else x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean() if d is None else x.mean(d, keepdim=k),
    "prod": lambda x, d, k: x.prod() if d is None else x.prod(d, keepdim=k),
    "amax": lambda x, d, k: x.amax() if d is None else x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin() if d is None else x.amin(d, keepdim=k),
    "max": lambda x, d, k: x.max() if d is None else x.max(d, keepdim=k)[0],
    "min": lambda x, d, k: x.min() if d is None else x.min(d, keepdim=k)[0],
    "std": lambda x, d, k: x.std() if d is None else x.std(d, keepdim=k),
    "var": lambda x, d, k: x.var() if d is None else x.var(d, keepdim=k),
    "norm": lambda x, d, k: x.norm() if d is None else x.norm(dim=d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp((0, 1) if d is None else d, keepdim=k),
    "cumsum": lambda x, d, k: x.cumsum(0 if d is None else d),
    "softmax": lambda x, d, k: x.softmax(-1 if d is None else d),
    "log_softmax": lambda x, d, k: x.log_softmax(-1 if d is None else d),
}


def _reduction_snippets():
    for op, fn in REDUCTIONS.items():
        for dim, keep in ((None, False), (0, False), (1, False), (1, True), (-1, True)):
            def run(T, fn=fn, dim=dim, keep=keep):
                x = leaf(T, MATRIX)
                return vjp_of(T, lambda a: fn(a, dim, keep), x)
            SNIPPETS[f"reduce_{op}_{dim}_{keep}"] = run


_reduction_snippets()


@snippet()
def prod_zeros(T):
    out = []
    for data in ([2.0, 0.0, 3.0], [0.0, 2.0, 0.0], [1.0, 2.0, 3.0]):
        x = leaf(T, data)
        x.prod().backward()
        out.append(x.grad)
    m = leaf(T, [[2.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    m.prod(1).sum().backward()
    out.append(m.grad)
    return out


@snippet()
def max_dim_ties(T):
    x = leaf(T, [[1.0, 0.0, 1.0], [2.0, 2.0, 0.5]])
    v, i = x.max(1)
    v.sum().backward()
    y = leaf(T, [[1.0, 0.0, 1.0], [2.0, 2.0, 0.5]])
    w, j = y.min(0)
    w.sum().backward()
    z = leaf(T, [1.0, 3.0, 3.0])
    z.max().backward()
    return [v, i, x.grad, name(v), w, j, y.grad, z.grad]


@snippet()
def var_std_names(T):
    x = leaf(T, MATRIX)
    return [name(x.var()), name(x.std()), name(x.var(0)), name(x.std(1, keepdim=True)),
            x.var(unbiased=False), x.std(0, unbiased=False)]


# ---------------------------------------------------------------------------------------------
# views and in-place ops
# ---------------------------------------------------------------------------------------------
@snippet()
def view_slice_mul_(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    y = x.clone()
    y[0:2].mul_(2)
    y.sum().backward()
    return [x.grad, name(y), y.is_leaf]


@snippet()
def view_view_mul_(T):
    x = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    v = y.view(4)
    v.mul_(3)
    (y * weights(T, (2, 2))).sum().backward()
    return [x.grad, name(y), y._version, v._version]


@snippet()
def view_t_row(T):
    x = leaf(T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x * 1
    y.t()[1].add_(10)
    (y * weights(T, (2, 3))).sum().backward()
    return [y, x.grad]


@snippet()
def view_tracked_value(T):
    w = leaf(T, [5.0, 6.0])
    y = T.zeros(3, dtype=T.float64)
    y[1:3].add_(w)
    (y * weights(T, (3,))).sum().backward()
    return [y, w.grad, name(y), y.requires_grad, y.is_leaf]


@snippet()
def view_other_view_sees_change(T):
    x = leaf(T, [1.0, 2.0, 3.0, 4.0])
    y = x * 1
    a = y[0:2]
    b = y[1:3]
    a.mul_(5)
    (b * weights(T, (2,))).sum().backward()
    return [b, x.grad, b.requires_grad]


@snippet()
def view_base_inplace_then_view(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    y = x * 1
    v = y[1:]
    y.mul_(2)
    (v * weights(T, (2,))).sum().backward()
    return [v, x.grad]


@snippet()
def view_setitem_on_view(T):
    x = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    y = x * 2
    row = y[1]
    row[0] = 7.0
    (y * weights(T, (2, 2))).sum().backward()
    return [y, x.grad, name(y)]


@snippet()
def view_of_view_inplace(T):
    x = leaf(T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x * 1
    y[:, 1:][0].pow_(2)
    (y * weights(T, (2, 3))).sum().backward()
    return [y, x.grad]


@snippet()
def view_leaf_error(T):
    x = leaf(T, [1.0, 2.0])
    return [err(lambda: x[0:1].mul_(2)), err(lambda: x.mul_(2))]


@snippet()
def view_leaf_no_grad_ok(T):
    x = leaf(T, [1.0, 2.0])
    with T.no_grad():
        x[0:1].mul_(2)
        x.add_(1)
    (x * 3).sum().backward()
    return [x, x.grad, x._version]


@snippet()
def setitem_tracked(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    w = leaf(T, [9.0])
    y = x * 1
    y[1:2] = w * 2
    (y * weights(T, (3,))).sum().backward()
    return [y, x.grad, w.grad, name(y)]


@snippet()
def setitem_on_plain_with_tracked(T):
    w = leaf(T, [1.0, 2.0])
    y = T.zeros(2, 2, dtype=T.float64)
    y[0] = w
    y[1, 1] = w[0] * 3
    (y * weights(T, (2, 2))).sum().backward()
    return [y, w.grad, name(y)]


@snippet()
def clamp_inplace_nonleaf(T):
    x = leaf(T, [-1.0, 0.5, 2.0])
    y = x * 1
    y.clamp_(0, 1)
    y.sum().backward()
    return [y, x.grad, name(y)]


@snippet()
def copy_tracked(T):
    x = leaf(T, [1.0, 2.0])
    y = T.zeros(2, dtype=T.float64)
    y.copy_(x)
    r = [y.requires_grad, name(y), y.is_leaf]
    (y * 3).sum().backward()
    return r + [x.grad]


@snippet()
def copy_broadcast_grad(T):
    x = leaf(T, [1.0, 2.0])
    y = T.zeros(3, 2, dtype=T.float64)
    y.copy_(x)
    (y * weights(T, (3, 2))).sum().backward()
    return [x.grad]


@snippet()
def zero_fill_copy_nonleaf(T):
    out = []
    for f in (lambda y: y.zero_(), lambda y: y.fill_(3.0),
              lambda y: y.copy_(T.ones(2, dtype=T.float64))):
        x = leaf(T, [1.0, 2.0])
        y = x * 2
        f(y)
        (y * 2).sum().backward()
        out.append([y, y.is_leaf, y.requires_grad, name(y), x.grad])
    return out


@snippet()
def fill_tensor_value(T):
    x = leaf(T, [1.0, 2.0])
    v = leaf(T, 3.0)
    y = x * 1
    y.fill_(v)
    y.sum().backward()
    return [y, x.grad, v.grad, name(y)]


@snippet()
def pow_inplace_no_false_error(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    y.pow_(2)
    y.sum().backward()
    a = leaf(T, [1.0, 3.0])
    b = a * 1
    b **= 3
    b.sum().backward()
    return [x.grad, a.grad, name(y)]


@snippet()
def div_inplace_then_inplace(T):
    x = leaf(T, [1.0, 2.0])
    w = leaf(T, [4.0, 5.0])
    y = x * 1
    y.div_(w)
    y.mul_(2)
    y.sum().backward()
    return [x.grad, w.grad]


@snippet()
def inplace_version_error(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    z = y * y
    y.add_(1)
    return err(lambda: z.sum().backward())


@snippet()
def inplace_exp_then_modify_error(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    y.exp_()
    y.add_(1)
    return err(lambda: y.sum().backward())


@snippet()
def inplace_add_no_error(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    z = y + 1
    y.add_(1)
    z.sum().backward()
    return [x.grad, y._version]


@snippet()
def inplace_mul_self(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    y.mul_(y)
    return err(lambda: (y.sum().backward(), x.grad)[1])


@snippet()
def inplace_iadd_tracked(T):
    x = leaf(T, [1.0, 2.0])
    w = leaf(T, [0.5, 0.5])
    y = x * 2
    y += w * 3
    y -= 1
    y *= w
    y /= 2
    y.sum().backward()
    return [y, x.grad, w.grad, name(y)]


@snippet()
def inplace_plain_becomes_tracked(T):
    w = leaf(T, [1.0, 2.0])
    y = T.ones(2, dtype=T.float64)
    y.mul_(w)
    y.add_(w)
    return [y.requires_grad, y.is_leaf, name(y), err(lambda: (y.sum().backward(),
                                                               w.grad)[1])]


@snippet()
def requires_grad_nonleaf(T):
    x = leaf(T, [1.0])
    y = x * 2
    y.requires_grad_(True)
    return [y.requires_grad, err(lambda: y.requires_grad_(False)),
            err(lambda: setattr(y, "requires_grad", True))]


@snippet()
def detach_view_inplace(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    v = y[0:1]
    return [err(lambda: v.detach_()), err(lambda: (y.detach_(), y.requires_grad)[1])]


@snippet()
def expand_write_refused(T):
    x = T.tensor([1.0, 2.0])
    e = x.expand(3, 2)
    return [err(lambda: e.add_(1)), err(lambda: e.mul_(2)), x]


@snippet()
def expand_grad(T):
    x = leaf(T, [[1.0], [2.0]])
    return vjp_of(T, lambda a: a.expand(2, 3), x)


@snippet()
def detach_shares_version(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    z = y.exp()
    d = y.detach()
    d.add_(1)
    return [y._version, err(lambda: z.sum().backward())]


@snippet()
def detach_inplace_saved_ok(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    z = y * 2
    y.detach().mul_(5)
    z.sum().backward()
    return [x.grad, y]


@snippet()
def unsqueeze_view_inplace(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    u = y.unsqueeze(0)
    u.mul_(4)
    y.sum().backward()
    return [x.grad, u._version, y]


@snippet()
def transpose_view_setitem(T):
    x = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    y = x + 0
    y.T[0] = 0.0
    (y * weights(T, (2, 2))).sum().backward()
    return [y, x.grad]


@snippet()
def view_versions_shared(T):
    x = T.zeros(4)
    v = x[1:3]
    v.add_(1)
    w = x.view(2, 2)
    w.mul_(2)
    return [x._version, v._version, w._version, x]


@snippet()
def chained_views_grad(T):
    x = leaf(T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.t().reshape(6)[1:5].view(2, 2)
    return vjp_of(T, lambda a: a.t().reshape(6)[1:5].view(2, 2), x) | {"y": y}


# ---------------------------------------------------------------------------------------------
# indexing
# ---------------------------------------------------------------------------------------------
IDX = {
    "int": lambda T, x: x[1],
    "neg_int": lambda T, x: x[-1],
    "slice": lambda T, x: x[0:2],
    "col": lambda T, x: x[:, 1],
    "step": lambda T, x: x[::2],
    "none": lambda T, x: x[None, 1],
    "pair": lambda T, x: x[1, 2],
    "mask": lambda T, x: x[x > 0.6],
    "ints": lambda T, x: x[T.tensor([0, 2, 0])],
    "list": lambda T, x: x[[1, 1]],
    "adv2": lambda T, x: x[T.tensor([0, 2]), T.tensor([1, 3])],
    "ellipsis": lambda T, x: x[..., 2],
    "gather": lambda T, x: x.gather(1, T.tensor([[0, 0], [3, 1], [2, 2]])),
    "gather0": lambda T, x: x.gather(0, T.tensor([[0, 1, 2, 0]])),
    "index_select": lambda T, x: x.index_select(1, T.tensor([3, 0, 3])),
    "index_select0": lambda T, x: T.index_select(x, 0, T.tensor([2])),
    "masked_fill": lambda T, x: x.masked_fill(x < 0.5, -1.0),
    "scatter": lambda T, x: x.scatter(1, T.tensor([[0], [2], [3]]), 9.0),
    "index_add": lambda T, x: x.index_add(0, T.tensor([0, 0, 2]),
                                          T.ones(3, 4, dtype=T.float64)),
    "flip": lambda T, x: x.flip(1),
    "flip01": lambda T, x: T.flip(x, (0, 1)),
}


def _index_snippets():
    for key, fn in IDX.items():
        def run(T, fn=fn):
            x = leaf(T, MATRIX)
            return vjp_of(T, lambda a: fn(T, a), x)
        SNIPPETS[f"index_{key}"] = run


_index_snippets()


@snippet()
def scatter_src_grad(T):
    x = leaf(T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    s = leaf(T, [[10.0, 20.0], [40.0, 50.0]])
    out = x.scatter(1, T.tensor([[2, 0], [1, 2]]), s)
    (out * weights(T, (2, 3))).sum().backward()
    return [out, x.grad, s.grad, name(out)]


@snippet()
def index_add_source_grad(T):
    x = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    s = leaf(T, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    out = x.index_add(0, T.tensor([1, 0, 1]), s)
    (out * weights(T, (2, 2))).sum().backward()
    return [out, x.grad, s.grad]


@snippet()
def masked_fill_inplace(T):
    x = leaf(T, [1.0, -2.0, 3.0])
    y = x * 1
    y.masked_fill_(y < 0, 0.0)
    (y * weights(T, (3,))).sum().backward()
    return [y, x.grad]


@snippet()
def index_int_array_repeat(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    y = x[T.tensor([0, 0, 2, 0])]
    (y * weights(T, (4,))).sum().backward()
    return [y, x.grad]


# ---------------------------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------------------------
SHAPE_OPS = {
    "reshape": lambda T, x: x.reshape(4, 3),
    "view": lambda T, x: x.view(2, 6),
    "flatten": lambda T, x: x.flatten(),
    "t": lambda T, x: x.t(),
    "permute": lambda T, x: x.unsqueeze(0).permute(2, 0, 1),
    "transpose": lambda T, x: x.transpose(0, 1),
    "squeeze": lambda T, x: x.unsqueeze(1).squeeze(1),
    "repeat": lambda T, x: x.repeat(2, 1),
    "cat0": lambda T, x: T.cat([x, x[0:1] * 2], 0),
    "cat1": lambda T, x: T.cat([x[:, 0:1], x, x[:, 2:]], 1),
    "stack": lambda T, x: T.stack([x, x * 2], 1),
    "chunk": lambda T, x: x.chunk(2, 1)[1],
    "chunk_uneven": lambda T, x: x.chunk(3, 0)[2],
    "split": lambda T, x: x.split(3, 1)[1],
    "split_sizes": lambda T, x: x.split([1, 3], 1)[1],
    "unbind": lambda T, x: x.unbind(1)[2],
    "movedim": lambda T, x: x.movedim(0, 1),
    "einsum_mm": lambda T, x: T.einsum("ij,kj->ik", x, x),
    "einsum_sum": lambda T, x: T.einsum("ij->j", x),
    "einsum_outer": lambda T, x: T.einsum("i,j->ij", x[0], x[1]),
    "bmm": lambda T, x: T.bmm(x.reshape(3, 2, 2), x.reshape(3, 2, 2).transpose(1, 2)),
    "matmul": lambda T, x: x @ x.t(),
    "mv": lambda T, x: x @ x[0],
}


def _shape_snippets():
    for key, fn in SHAPE_OPS.items():
        def run(T, fn=fn):
            x = leaf(T, MATRIX)
            return vjp_of(T, lambda a: fn(T, a), x)
        SNIPPETS[f"shape_{key}"] = run


_shape_snippets()


@snippet()
def cat_sizes_create_graph(T):
    a = leaf(T, [1.0, 2.0])
    b = leaf(T, [3.0, 4.0, 5.0])
    c = T.cat([a * a, b * b])
    ga, gb = T.autograd.grad((c * weights(T, (5,))).sum(), (a, b), create_graph=True)
    (ga.sum() + gb.sum()).backward()
    return [ga, gb, a.grad, b.grad]


@snippet()
def split_views_inplace(T):
    x = leaf(T, [1.0, 2.0, 3.0, 4.0])
    y = x * 1
    p, q = y.split(2)
    return [err(lambda: p.mul_(2)), p._version]


# ---------------------------------------------------------------------------------------------
# accumulation, retain_graph, freed graphs, autograd.grad options
# ---------------------------------------------------------------------------------------------
@snippet()
def accumulate_twice(T):
    x = leaf(T, [1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@snippet()
def backward_freed(T):
    x = leaf(T, [1.0, 2.0])
    y = (x.exp()).sum()
    y.backward()
    return err(lambda: y.backward())


@snippet()
def backward_nonscalar(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 2
    r = err(lambda: y.backward())
    y.backward(T.tensor([1.0, 0.5], dtype=T.float64))
    return [r, x.grad]


@snippet()
def grad_unused(T):
    x, z = leaf(T, [1.0]), leaf(T, [2.0])
    y = x * 3
    return [err(lambda: T.autograd.grad(y.sum(), (x, z), retain_graph=True)),
            T.autograd.grad(y.sum(), (x, z), allow_unused=True)]


@snippet()
def grad_no_grad_tensor(T):
    x = T.tensor([1.0])
    return err(lambda: (x * 2).sum().backward())


@snippet()
def grad_of_sum_of_outputs(T):
    x = leaf(T, [1.0, 2.0])
    a, b = x * 2, x ** 2
    return T.autograd.grad((a, b), x, (T.ones(2, dtype=T.float64),
                                       T.tensor([1.0, 3.0], dtype=T.float64)))


@snippet()
def higher_order_chain(T):
    x = leaf(T, [0.5, 1.5])
    y = (x.sin() * x.exp()).sum()
    (g,) = T.autograd.grad(y, x, create_graph=True)
    (h,) = T.autograd.grad(g.sum(), x, create_graph=True)
    (k,) = T.autograd.grad(h.sum(), x)
    return [g, h, k]


@snippet()
def higher_order_backward_create_graph(T):
    x = leaf(T, [2.0])
    y = x ** 3
    y.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    return [g, x.grad, name(g)]


@snippet()
def no_grad_and_inference(T):
    x = leaf(T, [1.0])
    with T.no_grad():
        a = x * 2
    with T.inference_mode():
        b = x * 2
    with T.enable_grad():
        c = x * 2
    T.set_grad_enabled(False)
    d = x * 2
    T.set_grad_enabled(True)
    return [a.requires_grad, b.requires_grad, c.requires_grad, d.requires_grad]


@snippet()
def int_requires_grad(T):
    return [err(lambda: T.tensor([1, 2], requires_grad=True)),
            err(lambda: T.arange(3).requires_grad_())]


@snippet()
def dtype_promotion(T):
    a = T.tensor([1.0, 2.0])
    b = T.tensor([1.0, 2.0], dtype=T.float64)
    c = T.tensor([1, 2])
    return [str((a + b).dtype), str((a + 1.5).dtype), str((c + 1.5).dtype),
            str((c * 2).dtype), str((a + b.sum()).dtype), str((c / 2).dtype)]


# ---------------------------------------------------------------------------------------------
# hooks and retain_grad
# ---------------------------------------------------------------------------------------------
@snippet()
def hook_leaf_scale(T):
    x = leaf(T, [1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    return x.grad


@snippet()
def hook_nonleaf_and_retain(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 3
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()) or g * 2)
    (y * y).sum().backward()
    return [seen, y.grad, x.grad]


@snippet()
def hook_retain_order(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    return [y.grad, x.grad]


@snippet()
def hook_remove(T):
    x = leaf(T, [1.0, 2.0])
    h = x.register_hook(lambda g: g * 100)
    h.remove()
    (x * 2).sum().backward()
    return x.grad


@snippet()
def hook_returns_none(T):
    x = leaf(T, [1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.sum().item()))
    (x * 5).sum().backward()
    return [seen, x.grad]


@snippet()
def hook_autograd_grad(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * 3)
    return T.autograd.grad(y.sum(), x)


@snippet()
def retain_grad_leaf_noop(T):
    x = leaf(T, [1.0, 2.0])
    x.retain_grad()
    (x * 2).sum().backward()
    return [x.grad, x.retains_grad]


@snippet()
def retain_grad_after_inplace(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    y.sum().backward()
    return [y.grad, x.grad]


@snippet()
def hook_no_grad_tensor_error(T):
    x = T.tensor([1.0])
    return err(lambda: x.register_hook(lambda g: g))


# ---------------------------------------------------------------------------------------------
# custom Functions
# ---------------------------------------------------------------------------------------------
def _square_fn(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g
    return Square


@snippet()
def function_basic(T):
    Square = _square_fn(T)
    x = leaf(T, [1.0, 3.0])
    y = Square.apply(x)
    (y * weights(T, (2,))).sum().backward()
    return [y, x.grad, name(y), y.requires_grad]


@snippet()
def function_needs_input_grad(T):
    seen = []

    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return (g * b * ctx.k if ctx.needs_input_grad[0] else None,
                    g * a * ctx.k if ctx.needs_input_grad[1] else None, None)

    a = leaf(T, [1.0, 2.0])
    b = T.tensor([3.0, 4.0], dtype=T.float64)
    Mul.apply(a, b, 2.0).sum().backward()
    return [seen, a.grad]


@snippet()
def function_double_backward(T):
    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = leaf(T, [2.0])
    (g,) = T.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = T.autograd.grad(g.sum(), x)
    return [g, h]


@snippet()
def function_two_outputs(T):
    class SinCos(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    x = leaf(T, [0.5, 1.0])
    s, c = SinCos.apply(x)
    (s * 2 + c * 3).sum().backward()
    y = leaf(T, [0.5])
    s2, _ = SinCos.apply(y)
    s2.sum().backward()
    return [s, c, x.grad, y.grad]


@snippet()
def function_saved_modified(T):
    Square = _square_fn(T)
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    z = Square.apply(y)
    y.add_(1)
    r = err(lambda: z.sum().backward())
    return {"raised": isinstance(r, dict) and r.get("error")}


@snippet()
def function_wrong_grad_count(T):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = leaf(T, [1.0])
    r = err(lambda: Bad.apply(x).sum().backward())
    return r["error"]


@snippet()
def function_no_grad_input(T):
    Square = _square_fn(T)
    y = Square.apply(T.tensor([2.0]))
    return [y, y.requires_grad, y.grad_fn is None]


# ---------------------------------------------------------------------------------------------
# autograd.functional
# ---------------------------------------------------------------------------------------------
@snippet()
def functional_jacobian(T):
    AF = T.autograd.functional
    x = T.tensor([0.5, 1.0, 2.0], dtype=T.float64)
    y = T.tensor([1.0, 3.0], dtype=T.float64)
    return [AF.jacobian(lambda a: a.exp() * a, x),
            AF.jacobian(lambda a, b: (a.sum() * b, b.prod()), (x, y))]


@snippet()
def functional_hessian(T):
    AF = T.autograd.functional
    x = T.tensor([0.5, 1.0, 2.0], dtype=T.float64)
    y = T.tensor([1.0, 3.0], dtype=T.float64)
    return [AF.hessian(lambda a: (a ** 3).sum() * a[0], x),
            AF.hessian(lambda a, b: (a.sum() * b ** 2).sum(), (x, y))]


@snippet()
def functional_vjp_jvp(T):
    AF = T.autograd.functional
    x = T.tensor([0.5, 1.0, 2.0], dtype=T.float64)
    v = T.tensor([1.0, -1.0, 2.0], dtype=T.float64)
    return [AF.vjp(lambda a: a.sin() * a, x, v), AF.jvp(lambda a: a.sin() * a, x, v),
            AF.vjp(lambda a: (a ** 2).sum(), x), AF.hvp(lambda a: (a ** 3).sum(), x, v),
            AF.vhp(lambda a: (a ** 3).sum(), x, v)]


@snippet()
def functional_jacobian_create_graph(T):
    AF = T.autograd.functional
    x = leaf(T, [0.5, 1.0])
    j = AF.jacobian(lambda a: a ** 3, x, create_graph=True)
    j.sum().backward()
    return [j, x.grad]


# ---------------------------------------------------------------------------------------------
# nn
# ---------------------------------------------------------------------------------------------
def _init(T, module, seed_offset=0.0):
    """Deterministic weights on both sides (the libraries' random numbers differ)."""
    with T.no_grad():
        for k, p in enumerate(module.parameters()):
            shape = tuple(p.shape)
            p.copy_((weights(T, shape, "float32", 0.1 * k + seed_offset) * 0.7).sin() * 0.5)
    return module


LOGITS = [[0.2, -1.0, 0.5, 1.5], [1.0, 0.3, -0.2, 0.0], [-0.5, 2.0, 0.1, 0.4]]


@snippet()
def nn_cross_entropy(T):
    x = leaf(T, LOGITS, "float32")
    t = T.tensor([3, 0, 1])
    loss = T.nn.CrossEntropyLoss()(x, t)
    loss.backward()
    return [loss, name(loss), x.grad]


@snippet()
def nn_cross_entropy_options(T):
    F = T.nn.functional
    out = []
    t = T.tensor([3, 0, 1])
    w = T.tensor([1.0, 2.0, 0.5, 1.5])
    for kw in ({"reduction": "sum"}, {"reduction": "none"}, {"weight": w},
               {"ignore_index": 0}, {"label_smoothing": 0.1},
               {"weight": w, "label_smoothing": 0.2}):
        x = leaf(T, LOGITS, "float32")
        loss = F.cross_entropy(x, t, **kw)
        loss.sum().backward()
        out.append([loss, x.grad])
    x = leaf(T, LOGITS, "float32")
    probs = T.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    loss = F.cross_entropy(x, probs)
    loss.backward()
    out.append([loss, x.grad])
    return out


@snippet()
def nn_nll_loss(T):
    F = T.nn.functional
    x = leaf(T, LOGITS, "float32")
    lp = F.log_softmax(x, dim=1)
    loss = F.nll_loss(lp, T.tensor([1, 2, 3]))
    loss.backward()
    return [loss, name(loss), name(lp), x.grad]


@snippet()
def nn_softmax_modules(T):
    nn = T.nn
    x = leaf(T, LOGITS, "float32")
    a = nn.Softmax(dim=1)(x)
    b = nn.LogSoftmax(dim=0)(x)
    c = T.nn.functional.softmax(x, dim=-1)
    ((a * weights(T, (3, 4), "float32")).sum() + b.sum() * 0.1 + c[0, 0]).backward()
    return [a, b, name(a), name(b), x.grad]


@snippet()
def nn_leaky_relu(T):
    x = leaf(T, [-2.0, -0.5, 0.0, 0.5, 2.0], "float32")
    y = T.nn.LeakyReLU(0.2)(x)
    (y * weights(T, (5,), "float32")).sum().backward()
    z = T.nn.functional.leaky_relu(T.tensor([-1.0, 1.0]))
    return [y, name(y), x.grad, z]


@snippet()
def nn_dropout_eval_and_p0(T):
    x = leaf(T, [1.0, 2.0, 3.0], "float32")
    d = T.nn.Dropout(0.5)
    d.eval()
    y = d(x)
    z = T.nn.functional.dropout(x, 0.0, training=True)
    return [y, z, d.training, err(lambda: T.nn.Dropout(1.5))["error"]]


@snippet()
def nn_flatten_modulelist(T):
    nn = T.nn
    layers = nn.ModuleList([nn.Linear(4, 3), nn.Linear(3, 2)])
    _init(T, layers)
    x = T.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    h = nn.Flatten()(x)
    for layer in layers:
        h = layer(h)
    h.sum().backward()
    return [h, len(list(layers.parameters())), len(layers), tuple(nn.Flatten(0)(x).shape),
            [tuple(p.grad.shape) for p in layers.parameters()]]


@snippet()
def nn_sequential_mlp_grads(T):
    nn = T.nn
    model = _init(T, nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)))
    x = T.tensor(LOGITS)
    loss = nn.CrossEntropyLoss()(model(x), T.tensor([0, 2, 1]))
    loss.backward()
    return [loss] + [p.grad for p in model.parameters()]


@snippet()
def nn_state_dict(T):
    nn = T.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("scale", T.ones(2))

        def forward(self, x):
            return self.fc(x) * self.scale

    net = _init(T, Net())
    sd = net.state_dict()
    keys = list(sd)
    missing = dict(sd)
    del missing["scale"]
    extra = dict(sd)
    extra["junk"] = T.zeros(1)
    r1 = err(lambda: net.load_state_dict(missing))
    r2 = err(lambda: net.load_state_dict(extra))
    r3 = net.load_state_dict(missing, strict=False)
    return [keys, r1["error"], r2["error"], list(r3.missing_keys), list(r3.unexpected_keys),
            [n for n, _ in net.named_buffers()]]


@snippet()
def nn_load_state_dict_values(T):
    nn = T.nn
    a = _init(T, nn.Linear(3, 2))
    b = _init(T, nn.Linear(3, 2), 1.0)
    b.load_state_dict(a.state_dict())
    x = T.tensor([[1.0, 2.0, 3.0]])
    return [a(x), b(x)]


@snippet()
def nn_double_to(T):
    nn = T.nn
    m = _init(T, nn.Linear(2, 2))
    m.double()
    d1 = str(m.weight.dtype)
    y = m(T.tensor([[1.0, 2.0]], dtype=T.float64))
    m.to(T.float32)
    return [d1, str(y.dtype), str(m.bias.dtype), y]


@snippet()
def nn_clip_grad_norm(T):
    nn = T.nn
    m = _init(T, nn.Linear(3, 2))
    m(T.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    n = nn.utils.clip_grad_norm_(m.parameters(), 0.5)
    return [n, m.weight.grad, m.bias.grad]


@snippet()
def nn_clip_grad_norm_noop(T):
    nn = T.nn
    m = _init(T, nn.Linear(3, 2))
    (m(T.tensor([[0.1, 0.2, 0.3]])).sum() * 0.01).backward()
    n = nn.utils.clip_grad_norm_(m.parameters(), 10.0)
    return [n, m.weight.grad]


@snippet()
def nn_mse_l1(T):
    F = T.nn.functional
    x = leaf(T, [1.0, 2.0, 4.0], "float32")
    t = T.tensor([1.5, 2.0, 3.0])
    a = F.mse_loss(x, t)
    b = F.l1_loss(x, t)
    (a + b).backward()
    return [a, b, name(a), x.grad]


@snippet()
def nn_parameters_named(T):
    nn = T.nn
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
    return [[n for n, _ in m.named_parameters()], [tuple(p.shape) for p in m.parameters()],
            m[0].weight.requires_grad, m[0].weight.is_leaf]


# ---------------------------------------------------------------------------------------------
# optim and schedulers
# ---------------------------------------------------------------------------------------------
def _quadratic_run(T, make_opt, steps=6, sched=None):
    w = T.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    b = T.tensor([0.1, -0.1], requires_grad=True)
    opt = make_opt([w, b])
    s = sched(opt) if sched else None
    losses, lrs = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((w @ T.tensor([1.0, 2.0]) + b - 1.0) ** 2).sum() + (w ** 4).sum() * 0.01
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if s:
            s.step()
            lrs.append(s.get_last_lr()[0])
    return {"w": w, "b": b, "losses": losses, "lrs": lrs}


OPTIMIZERS = {
    "sgd": lambda T: lambda p: T.optim.SGD(p, lr=0.05),
    "sgd_momentum": lambda T: lambda p: T.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_nesterov_wd": lambda T: lambda p: T.optim.SGD(p, lr=0.05, momentum=0.9,
                                                       nesterov=True, weight_decay=0.1),
    "sgd_dampening": lambda T: lambda p: T.optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.3),
    "adam": lambda T: lambda p: T.optim.Adam(p, lr=0.1),
    "adam_wd_amsgrad": lambda T: lambda p: T.optim.Adam(p, lr=0.1, weight_decay=0.1,
                                                        amsgrad=True),
    "adamw": lambda T: lambda p: T.optim.AdamW(p, lr=0.1),
    "adamw_wd": lambda T: lambda p: T.optim.AdamW(p, lr=0.05, weight_decay=0.3,
                                                  betas=(0.8, 0.99)),
    "rmsprop": lambda T: lambda p: T.optim.RMSprop(p, lr=0.01),
    "rmsprop_centered_momentum": lambda T: lambda p: T.optim.RMSprop(
        p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
}


def _optimizer_snippets():
    for key, make in OPTIMIZERS.items():
        def run(T, make=make):
            return _quadratic_run(T, make(T))
        SNIPPETS[f"optim_{key}"] = run


_optimizer_snippets()

SCHEDULERS = {
    "steplr": lambda T: lambda o: T.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "cosine": lambda T: lambda o: T.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
    "cosine_eta": lambda T: lambda o: T.optim.lr_scheduler.CosineAnnealingLR(o, T_max=3,
                                                                           eta_min=0.01),
    "exponential": lambda T: lambda o: T.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "lambda": lambda T: lambda o: T.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
    "multistep": lambda T: lambda o: T.optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.3),
}


def _scheduler_snippets():
    for key, make in SCHEDULERS.items():
        def run(T, make=make):
            return _quadratic_run(T, lambda p: T.optim.SGD(p, lr=0.05, momentum=0.5), 9,
                                  make(T))
        SNIPPETS[f"sched_{key}"] = run


_scheduler_snippets()


@snippet()
def optim_state_dict_roundtrip(T):
    w = T.tensor([1.0, -2.0], requires_grad=True)
    opt = T.optim.Adam([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    sd = opt.state_dict()
    w2 = T.tensor(w.detach().numpy().copy(), requires_grad=True)
    opt2 = T.optim.Adam([w2], lr=0.5)
    opt2.load_state_dict(sd)
    for o, p in ((opt, w), (opt2, w2)):
        o.zero_grad()
        (p ** 2).sum().backward()
        o.step()
    return [sorted(sd["state"][0]), sd["param_groups"][0]["params"],
            sd["param_groups"][0]["lr"], sd["state"][0]["exp_avg"], w, w2,
            opt2.param_groups[0]["lr"]]


@snippet()
def optim_add_param_group(T):
    w = T.tensor([1.0], requires_grad=True)
    v = T.tensor([2.0], requires_grad=True)
    opt = T.optim.SGD([w], lr=0.1)
    opt.add_param_group({"params": [v], "lr": 0.01})
    (w * v).sum().backward()
    opt.step()
    return [w, v, len(opt.param_groups), opt.param_groups[1]["momentum"]]


@snippet()
def optim_zero_grad_modes(T):
    w = T.tensor([1.0], requires_grad=True)
    opt = T.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    a = w.grad
    (w * 2).sum().backward()
    opt.zero_grad()
    return [a, w.grad]


# ---------------------------------------------------------------------------------------------
# a training loop: Linear-LeakyReLU-Dropout-Linear, CrossEntropyLoss, AdamW, schedulers,
# Dropout in eval mode (the two libraries draw different random masks), DataLoader in order
# ---------------------------------------------------------------------------------------------
def _training(T, sched):
    nn = T.nn
    model = _init(T, nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.1), nn.Dropout(0.3),
                                   nn.Linear(8, 3)))
    model.eval()
    xs = (weights(T, (12, 4), "float32") * 1.3).sin()
    ys = T.tensor([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2])
    loader = T.utils.data.DataLoader(T.utils.data.TensorDataset(xs, ys), batch_size=4)
    opt = T.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.05)
    scheduler = sched(T, opt)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(5):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        scheduler.step()
    return {"losses": losses, "final": [p for p in model.parameters()]}


@snippet()
def training_loop_steplr(T):
    return _training(T, lambda T, o: T.optim.lr_scheduler.StepLR(o, 2, 0.5))


@snippet()
def training_loop_cosine(T):
    return _training(T, lambda T, o: T.optim.lr_scheduler.CosineAnnealingLR(o, 5))


@snippet()
def dataloader_batches(T):
    xs = T.arange(10).reshape(5, 2)
    ds = T.utils.data.TensorDataset(xs, xs.sum(1))
    dl = T.utils.data.DataLoader(ds, batch_size=2)
    dl2 = T.utils.data.DataLoader(ds, batch_size=2, drop_last=True)
    return [[b for b in dl], len(dl), len(dl2), len(ds), ds[1]]


# ---------------------------------------------------------------------------------------------
# more in-place and view programs
# ---------------------------------------------------------------------------------------------
@snippet()
def parameter_inplace_error(T):
    p = T.nn.Parameter(T.ones(2))
    r = err(lambda: p.add_(1))
    with T.no_grad():
        p.mul_(3)
    return [r, p, p._version, p.requires_grad]


@snippet()
def view_column_add_broadcast(T):
    x = leaf(T, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w = leaf(T, [10.0])
    y = x * 1
    y[:, 0].add_(w)
    (y * weights(T, (3, 2))).sum().backward()
    return [y, x.grad, w.grad]


@snippet()
def setitem_mask_tracked(T):
    x = leaf(T, [1.0, -2.0, 3.0, -4.0])
    y = x * 2
    y[y < 0] = 0.0
    (y * weights(T, (4,))).sum().backward()
    return [y, x.grad, name(y)]


@snippet()
def setitem_int_array_tracked(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    v = leaf(T, [7.0, 8.0])
    y = x * 1
    y[T.tensor([2, 0])] = v
    (y * weights(T, (3,))).sum().backward()
    return [y, x.grad, v.grad]


@snippet()
def data_assignment(T):
    x = leaf(T, [1.0, 2.0])
    x.data.mul_(3)
    (x * x).sum().backward()
    return [x, x.grad, x.is_leaf]


@snippet()
def inplace_on_grad_then_step(T):
    w = leaf(T, [1.0, 2.0])
    (w * w).sum().backward()
    with T.no_grad():
        w -= 0.1 * w.grad
    w.grad.zero_()
    (w * 3).sum().backward()
    return [w, w.grad, w.is_leaf, w.requires_grad]


@snippet()
def sum_dtype_and_int_ops(T):
    c = T.tensor([1, 2, 3])
    b = T.tensor([True, False, True])
    return [c.sum(), str(c.sum().dtype), b.sum(), c.float().mean(), c.cumsum(0),
            str(c.cumsum(0).dtype), (c * 1.5).sum(), c.max(), c.argmax()]


@snippet()
def retain_grad_view(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    y = x * 2
    v = y[1:]
    v.retain_grad()
    (v * v).sum().backward()
    return [v.grad, x.grad]


@snippet()
def inplace_view_of_plain_then_backward_twice(T):
    w = leaf(T, [1.0, 2.0])
    buf = T.zeros(4, dtype=T.float64)
    buf[0:2].copy_(w)
    buf[2:4].copy_(w * w)
    loss = (buf * weights(T, (4,))).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    return [buf, w.grad, name(buf)]


@snippet()
def view_after_base_detach_inplace(T):
    x = leaf(T, [1.0, 2.0])
    y = x * 1
    v = y[0:1]
    with T.no_grad():
        y.add_(1)
    (v * 2).sum().backward()
    return [v, x.grad]


@snippet()
def unbind_inplace_plain_ok(T):
    x = T.zeros(2, 2)
    a, b = x.unbind(0)
    a.add_(1)
    return [x, a._version]


@snippet()
def clamp_tensor_bounds(T):
    x = leaf(T, [-1.0, 0.5, 2.0])
    lo = leaf(T, [0.0, 0.0, 0.0])
    y = T.clamp(x, min=lo, max=T.tensor([1.0, 1.0, 1.0], dtype=T.float64))
    (y * weights(T, (3,))).sum().backward()
    return [y, x.grad, lo.grad]


@snippet()
def view_made_in_no_grad_modified(T):
    x = leaf(T, [1.0, 2.0, 3.0])
    y = x * 1
    with T.no_grad():
        v = y[0:2]
    return err(lambda: (v.mul_(2), name(y))[1])


@snippet()
def select_view_inplace(T):
    x = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    e = y[1, 0]
    e.mul_(5)
    (y * weights(T, (2, 2))).sum().backward()
    return [y, x.grad, e._version, name(e)]


@snippet()
def view_chain_two_inplace(T):
    x = leaf(T, [1.0, 2.0, 3.0, 4.0])
    y = x * 1
    a = y.view(2, 2)
    a[0].exp_()
    a[:, 1].mul_(a[1, 0])           # a[1, 0] is saved, then modified by this very op
    return err(lambda: ((y * weights(T, (4,))).sum().backward(), x.grad)[1])


@snippet()
def view_chain_two_inplace_ok(T):
    x = leaf(T, [1.0, 2.0, 3.0, 4.0])
    y = x * 1
    a = y.view(2, 2)
    a[0].mul_(3)
    a[:, 1].mul_(x[0] * x[3])
    (y * weights(T, (4,))).sum().backward()
    return [y, x.grad]


@snippet()
def inplace_broadcast_shape_error(T):
    y = T.ones(3)
    return [err(lambda: y.add_(T.ones(2, 3))), err(lambda: T.ones(2) + T.ones(3)),
            err(lambda: T.arange(3).add_(1.5))]


@snippet()
def zero_grad_then_view_grad(T):
    w = leaf(T, [[1.0, 2.0], [3.0, 4.0]])
    (w[0] * 2).sum().backward()
    (w[:, 1] ** 2).sum().backward()
    return w.grad


@snippet()
def no_grad_view_stays_plain(T):
    w = leaf(T, [1.0, 2.0, 3.0])
    with T.no_grad():
        v = w[0:2]
    with T.no_grad():
        w.mul_(2)
    return [v, err(lambda: v * 3)]


@snippet()
def view_of_plain_base_later_tracked(T):
    w = leaf(T, [1.0, 2.0])
    y = T.zeros(4, dtype=T.float64)
    a = y[2:4]
    y[0:2].copy_(w * 3)
    b = a * 1
    (y * weights(T, (4,))).sum().backward()
    return [a.requires_grad, b.requires_grad, w.grad, name(a)]


# ---------------------------------------------------------------------------------------------
# random programs of views and in-place ops (also checked against finite differences in
# tests/runtime/test_rt_views_random.py)
# ---------------------------------------------------------------------------------------------
VIEWS = [
    lambda y: y[1:3],
    lambda y: y[:, 1],
    lambda y: y.t()[0],
    lambda y: y.view(12)[2:9],
    lambda y: y[::2, ::2],
    lambda y: y.unsqueeze(0)[0, 3],
    lambda y: y.reshape(3, 4)[1:, :2],
    lambda y: y.T[1:],
    lambda y: y,
    lambda y: y[2],
    lambda y: y[1:].flip(0),          # a copy, not a view: writes do not reach y
    lambda y: y.view(4, 3, 1)[:, 2],
]


def _inplace_ops(x):
    return [
        lambda v: v.mul_(1.5),
        lambda v: v.add_(x[0, 0] * 0.5),
        lambda v: v.sub_(x.reshape(-1)[:1].sum() * 0.3),
        lambda v: v.mul_(x.sum() * 0.1),
        lambda v: v.clamp_(-1.0, 1.5),
        lambda v: v.sin_(),
        lambda v: v.tanh_(),
        lambda v: v.copy_(v * x.mean()),
        lambda v: v.__setitem__(..., v * 0.5 + x[1, 1]),
        lambda v: v.zero_(),
        lambda v: v.div_(x[2, 2] * x[2, 2] + 1.0),
        lambda v: v.masked_fill_(v > 0.2, 0.25),
        lambda v: v.pow_(2),
        lambda v: v.exp_(),
        lambda v: v.abs_(),
        lambda v: v.add_(x[3] if v.shape[-1:] == (3,) else x[0, 2]),
    ]


def view_program(T, seed, x):
    """Program number ``seed``: 2-5 in-place ops, each through a random view of ``y``."""
    import random
    rng = random.Random(seed)
    y = x * 1.0
    ops = _inplace_ops(x)
    for _ in range(rng.randint(2, 5)):
        view = VIEWS[rng.randrange(len(VIEWS))](y)
        ops[rng.randrange(len(ops))](view)
    w = T.linspace(-1.0, 2.0, 12, dtype=T.float64).reshape(4, 3)
    return (y * w).sum() + (y[1] * y[2]).sum()


def view_program_input(seed):
    import random
    rng = random.Random(1000 + seed)
    return [[rng.uniform(-1.0, 1.0) for _ in range(3)] for _ in range(4)]


def _view_program_snippets():
    for seed in range(80):
        def run(T, seed=seed):
            x = leaf(T, view_program_input(seed))
            out = err(lambda: view_program(T, seed, x).backward())
            if isinstance(out, dict):
                return {"raised": out["error"]}
            return {"grad": x.grad}
        SNIPPETS[f"view_program_{seed}"] = run


_view_program_snippets()


from . import snippets_extended  # noqa: E402,F401  (registers more snippets)

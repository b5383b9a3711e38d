"""More conformance snippets, for what the runtime refused or left out before: einsum with
ellipses and repeated subscripts, ``scatter(reduce=...)``, views made under ``no_grad``,
inference tensors, hooks on backward nodes, tensor hooks across in-place ops, and the
samplers of ``utils.data``. Registered into :data:`.snippets.SNIPPETS` on import."""

from __future__ import annotations

from .snippets import SNIPPETS, err, name, snippet, vjp_of, weights


def _input(T, shape, k):
    """A deterministic float64 leaf of ``shape`` (input number ``k``)."""
    return (weights(T, shape, offset=0.3 * k) * 0.9).sin().detach().requires_grad_()


# ---------------------------------------------------------------------------------------------
# einsum: value, node name, gradients and a second derivative, over equation forms
# ---------------------------------------------------------------------------------------------
EINSUMS = {
    "mm": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "implicit": ("ij,jk", [(2, 3), (3, 4)]),
    "implicit_order": ("ba", [(2, 3)]),
    "transpose": ("ij->ji", [(2, 3)]),
    "trace": ("ii", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "diag_kept": ("iij->ij", [(3, 3, 2)]),
    "diag_two_pairs": ("iijj->ij", [(2, 2, 3, 3)]),
    "diag_apart": ("iji->j", [(2, 3, 2)]),
    "diag_times": ("ii,i->i", [(3, 3), (3,)]),
    "diag_contract": ("ijj,jk->ik", [(2, 3, 3), (3, 4)]),
    "ellipsis_batch_mm": ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    "ellipsis_transpose": ("...ij->...ji", [(2, 3, 4)]),
    "ellipsis_front_sum": ("i...->...", [(3, 2, 2)]),
    "ellipsis_implicit": ("...ij,jk", [(2, 2, 3), (3, 2)]),
    "ellipsis_broadcast": ("...,...->...", [(2, 3), (3,)]),
    "ellipsis_empty": ("...i,i->...", [(3,), (3,)]),
    "broadcast_label": ("ij,ij->ij", [(1, 3), (2, 3)]),
    "batch": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    "outer3": ("i,j,k->ijk", [(2,), (3,), (2,)]),
    "full_contract": ("ab,cd->", [(2, 2), (2, 2)]),
    "three_chain": ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    "bilinear": ("i,ij,j", [(2,), (2, 3), (3,)]),
    "spaces": ("i j , j k -> i k", [(2, 3), (3, 2)]),
}


def _einsum_snippets():
    for key, (eq, shapes) in EINSUMS.items():
        def run(T, eq=eq, shapes=shapes):
            xs = [_input(T, s, k) for k, s in enumerate(shapes)]
            first = vjp_of(T, lambda *a: T.einsum(eq, *a), *xs)
            gs = T.autograd.grad((T.einsum(eq, *xs) ** 2).sum(), xs, create_graph=True)
            second = T.autograd.grad(sum((g * g).sum() for g in gs), xs)
            return [first, list(second)]
        SNIPPETS[f"einsum_{key}"] = run


_einsum_snippets()


@snippet()
def einsum_errors(T):
    a, b = T.ones(2, 3), T.ones(3, 3)
    return [err(lambda: T.einsum("ij,jk", a)), err(lambda: T.einsum("ij", a, a)),
            err(lambda: T.einsum("ijk", a)), err(lambda: T.einsum("...ijk", a)),
            err(lambda: T.einsum("ij->k", a)), err(lambda: T.einsum("ij->ii", a)),
            err(lambda: T.einsum("ii->i", b).sum())]


# ---------------------------------------------------------------------------------------------
# scatter with reduce: PyTorch's values; its backward is not implemented
# ---------------------------------------------------------------------------------------------
@snippet()
def scatter_reduce_argument(T):
    import warnings
    x = _input(T, (2, 3), 0)
    src = _input(T, (2, 3), 1)
    index = T.tensor([[0, 1, 0], [1, 0, 0]])
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for reduce in ("add", "multiply"):
            for s in (src, 2.5):
                y = x.scatter(0, index, s, reduce=reduce)
                out.append([y, y.requires_grad, err(lambda: y.sum().backward())])
        z = x.detach().clone()
        z.scatter_(1, index, src.detach(), reduce="add")
        out.append([z, err(lambda: x.scatter(0, index, src, reduce="max"))])
        w = T.zeros(3, dtype=T.float64)
        w.scatter_(0, T.tensor([0, 0, 2]), 1.5, reduce="add")
        out.append(w)
    return out


# ---------------------------------------------------------------------------------------------
# views made under no_grad of tensors that require grad
# ---------------------------------------------------------------------------------------------
@snippet()
def no_grad_view_requires_grad(T):
    x = _input(T, (4,), 0)
    y = x * 2
    out = []
    for base in (x, y):
        with T.no_grad():
            views = [base[1:3], base.view(2, 2), base.unsqueeze(0), base[0],
                     base.detach()[1:]]
        out.append([[v.requires_grad, v.is_leaf, name(v)] for v in views])
    with T.no_grad():
        v = x[:2]
    loss = (v * x[2:]).sum()
    loss.backward()
    out.append([x.grad, v.grad, loss.requires_grad, name(loss)])
    with T.no_grad():
        vv = v[1:]
    out.append([vv.requires_grad, vv.is_leaf, err(lambda: v.mul_(2))])
    return out


# ---------------------------------------------------------------------------------------------
# inference mode: inference tensors
# ---------------------------------------------------------------------------------------------
@snippet()
def inference_tensors(T):
    x = _input(T, (3,), 0)
    with T.inference_mode():
        y = x * 2
        v = x[:2]
        inside = [y.requires_grad, y.is_inference(), v.is_inference(), v.requires_grad,
                  T.is_inference_mode_enabled(), T.is_grad_enabled(), T.zeros(2).is_inference()]
        with T.enable_grad():
            z = x * 2
            inside.append([z.requires_grad, z.is_inference()])
        with T.inference_mode(False):
            inside.append([T.is_grad_enabled(), T.is_inference_mode_enabled(),
                           (x * 2).is_inference(), name(x * 2)])
        y.mul_(2)
        x.add_(1.0)                      # a normal tensor may change in place in the mode
    after = [y.is_inference(), v.is_inference(), x.is_inference(), T.is_inference(y),
             T.is_inference_mode_enabled(), x._version]
    s = (y + x).sum()
    s.backward()
    values = y.clone()       # (PyTorch's refused in-place ops below still write into y)
    return [inside, after, values, x.grad,
            err(lambda: (y * x).sum()), err(lambda: y.mul_(2)), err(lambda: y._version),
            err(lambda: y.requires_grad_()), err(lambda: y.__setitem__(0, 1.0)),
            err(lambda: y.zero_()), y.clone().is_inference(),
            name((y.clone() * x).sum()),
            err(lambda: T.autograd.grad((y * x).sum(), x))]


@snippet()
def inference_mode_decorator(T):
    x = _input(T, (2,), 0)

    @T.inference_mode()
    def f(a):
        return a * 2, T.is_grad_enabled()

    @T.inference_mode
    def g(a):
        return a * 3

    r, enabled = f(x)
    with T.no_grad():
        nested = err(lambda: r.add_(1))
    return [r.is_inference(), enabled, T.is_grad_enabled(), g(x).is_inference(), g(x),
            nested]


# ---------------------------------------------------------------------------------------------
# hooks on backward nodes (grad_fn.register_hook / register_prehook)
# ---------------------------------------------------------------------------------------------
@snippet()
def node_hooks_order_and_values(T):
    log = []
    x = _input(T, (3,), 0)
    w = _input(T, (3,), 1)
    y = x * w
    z = y.exp().sum()
    h1 = y.grad_fn.register_hook(lambda gi, go: log.append(["post", list(gi), list(go)]))
    h2 = y.grad_fn.register_prehook(lambda go: log.append(["pre", list(go)]))
    y.register_hook(lambda g: log.append(["tensor", g]))
    y.retain_grad()
    z.backward(retain_graph=True)
    first = [x.grad, w.grad, y.grad]
    h1.remove()
    h2.remove()
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0, gi[1]))
    y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    x.grad = w.grad = y.grad = None
    z.backward()
    return [log, first, [x.grad, w.grad, y.grad]]


@snippet()
def node_hooks_accumulate_grad(T):
    log = []
    x = _input(T, (3,), 0)
    acc = (x * 1).grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: log.append(["pre", list(go)]))
    acc.register_hook(lambda gi, go: log.append(["post", list(gi), list(go)]))
    (x * 3).sum().backward()
    q = x * x
    q.grad_fn.register_hook(lambda gi, go: log.append(["grad", list(gi)]))
    g = T.autograd.grad(q.sum(), x)
    c = x * 2.0
    c.grad_fn.register_hook(lambda gi, go: log.append(["const", list(gi)]))
    c.sum().backward()
    return [log, x.grad, g, acc.name()]


@snippet()
def node_hooks_errors_and_create_graph(T):
    x = _input(T, (3,), 0)
    out = []
    for hook, pre in [(lambda go: 5, True), (lambda go: (go[0], go[0]), True),
                      (lambda gi, go: 5, False), (lambda gi, go: (gi[0],), False)]:
        q = x * x
        (q.grad_fn.register_prehook if pre else q.grad_fn.register_hook)(hook)
        out.append(err(lambda: q.sum().backward()))
    q = (x * x).sum()
    q.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    (g,) = T.autograd.grad(q, x, create_graph=True)
    out.append([g, name(g), T.autograd.grad(g.sum(), x)])
    return out


# ---------------------------------------------------------------------------------------------
# tensor hooks and retain_grad across a later in-place op
# ---------------------------------------------------------------------------------------------
@snippet()
def tensor_hooks_then_inplace(T):
    log = []
    x = _input(T, (3,), 0)
    y = x * 2
    y.register_hook(lambda g: log.append(["before", g]))
    y.mul_(3)
    y.register_hook(lambda g: log.append(["after", g]))
    (y * y).sum().backward()
    first = x.grad
    x.grad = None
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.add_(x)
    y.sum().backward()
    second = x.grad
    x.grad = None
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: log.append(["retained", g]))
    y.mul_(3)
    (y * y).sum().backward()
    return [log, first, second, x.grad, y.grad]


@snippet()
def tensor_hook_on_view_then_inplace(T):
    log = []
    x = _input(T, (4,), 0)
    y = x * 1
    v = y[1:3]
    v.register_hook(lambda g: log.append(["view", g]))
    y.register_hook(lambda g: log.append(["base", g]))
    v.mul_(2)
    (y * y).sum().backward()
    return [log, x.grad, name(y), name(v)]


# ---------------------------------------------------------------------------------------------
# utils.data: samplers, batch samplers, DataLoader options (orders from seeded generators
# differ between the libraries, so only what does not depend on the stream is compared)
# ---------------------------------------------------------------------------------------------
@snippet()
def dataloader_samplers(T):
    data = T.utils.data
    ds = data.TensorDataset(T.arange(10.0), T.arange(10))
    seq = data.BatchSampler(data.SequentialSampler(ds), 3, drop_last=False)
    out = [list(seq), len(seq), list(data.BatchSampler(range(7), 3, True)),
           [b for b in data.DataLoader(ds, batch_size=4, drop_last=True)],
           len(data.DataLoader(ds, batch_size=4, drop_last=True)),
           len(data.DataLoader(ds, batch_size=4)),
           [b for b in data.DataLoader(ds, batch_sampler=seq)],
           [b for b in data.DataLoader(ds, sampler=[9, 8, 7, 1], batch_size=3)],
           [b for b in data.DataLoader(ds, batch_size=None)][:2],
           [b for b in data.DataLoader(ds, batch_size=3, num_workers=2)],
           list(data.DataLoader(ds, batch_size=3, collate_fn=len))]
    for kw in (dict(sampler=[1], shuffle=True), dict(batch_sampler=[[1]], batch_size=2),
               dict(batch_size=None, drop_last=True)):
        out.append(err(lambda: data.DataLoader(ds, **kw)))
    out.append(err(lambda: data.RandomSampler(ds, num_samples=0)))
    out.append(err(lambda: data.BatchSampler(range(3), 0, False)))
    return out


@snippet()
def dataloader_random_orders(T):
    data = T.utils.data
    ds = data.TensorDataset(T.arange(10.0))
    g = T.Generator()
    g.manual_seed(0)
    a = [b[0].tolist() for b in data.DataLoader(ds, batch_size=4, shuffle=True, generator=g)]
    g.manual_seed(0)
    b = [b[0].tolist() for b in data.DataLoader(ds, batch_size=4, shuffle=True, generator=g,
                                                drop_last=True)]
    rs = data.RandomSampler(ds, replacement=True, num_samples=25, generator=g)
    weighted = list(data.WeightedRandomSampler([0.1, 0.0, 0.9], 50, generator=g))
    parts = data.random_split(ds, [7, 3], generator=g)
    return [a[:2] == b, sorted(sum(a, [])), [len(x) for x in a], [len(x) for x in b],
            len(rs), len(list(rs)), sorted(data.RandomSampler(ds, generator=g)),
            len(list(data.RandomSampler(ds, num_samples=25, generator=g))),
            sorted(set(data.RandomSampler(ds, num_samples=25, generator=g))),
            1 in weighted, len(weighted),
            sorted(data.WeightedRandomSampler([1, 1, 1], 3, replacement=False, generator=g)),
            sorted(data.SubsetRandomSampler([4, 5, 6], generator=g)),
            [len(p) for p in parts],
            sorted(int(p[i][0]) for p in parts for i in range(len(p))),
            [len(p) for p in data.random_split(ds, [0.5, 0.5], generator=g)]]


# ---------------------------------------------------------------------------------------------
# the softmax family at infinities (rows with +inf or only -inf)
# ---------------------------------------------------------------------------------------------
@snippet()
def softmax_family_infinities(T):
    inf = float("inf")
    x = T.tensor([[inf, 1.0], [-inf, -inf], [1.0, 2.0], [-inf, 0.5]], dtype=T.float64)
    v = T.tensor([inf, 1.0], dtype=T.float64)
    return [x.softmax(1), x.log_softmax(1), x.logsumexp(1), x.softmax(0), x.log_softmax(0),
            v.softmax(0), v.log_softmax(0), T.tensor([-inf, 3.0]).softmax(0)]

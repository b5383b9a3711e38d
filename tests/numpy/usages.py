"""The real-valued NumPy usages HIPS autograd's own tests exercise (tests/test_systematic.py,
test_numpy.py, test_linalg.py): each function with autograd's argument shapes and keyword
values, expanded over their combinations as autograd's ``combo_check`` does.

A usage is ``(expression, arguments)``: the expression reads the arguments ``a, b, c``; an
argument is a shape (a random array, values in ``lims``), ``()`` for a float, or a constant.
"""

import itertools

import numpy as np

USAGES = []


class Arg:
    def __init__(self, shape, lims=(-2.0, 2.0), kind="float"):
        self.shape, self.lims, self.kind = shape, lims, kind

    def make(self, rng):
        lo, hi = self.lims
        if self.kind == "spd":
            m = rng.standard_normal(self.shape)
            return m @ np.swapaxes(m, -1, -2) + self.shape[-1] * np.eye(self.shape[-1])
        if self.shape == ():
            return float(rng.uniform(lo, hi))
        return rng.uniform(lo, hi, self.shape)

    def __repr__(self):
        return f"{self.kind}{self.shape}"


def combo(template, *arg_lists, **kw_lists):
    """Every combination of the arguments and keyword values, as ``combo_check``."""
    names = list(kw_lists)
    for args in itertools.product(*arg_lists):
        for values in itertools.product(*kw_lists.values()):
            kws = "".join(f", {k}={v!r}" for k, v in zip(names, values))
            USAGES.append((template.format(kw=kws), list(args)))


def shapes(*items, lims=(-2.0, 2.0)):
    return [Arg(s, lims) for s in items]


# statistics (stat_check)
for fn in ("max", "mean", "min", "sum", "prod", "var", "std"):
    combo(f"np.{fn}(a{{kw}})", shapes((), ()))
    combo(f"np.{fn}(a{{kw}})", shapes((3,), (2, 3), (1, 3)), axis=[None, 0],
          keepdims=[True, False])
    combo(f"np.{fn}(a{{kw}})", shapes((2, 3), (1, 3)), axis=[None, 0, 1],
          keepdims=[True, False])

# unary ufuncs (unary_ufunc_check): a scalar, (2,), (3, 2), (1, 2)
UNARY = {"sin": None, "abs": (0.1, 4.0), "absolute": (0.1, 4.0), "arccosh": (1.1, 4.0),
         "arcsinh": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "ceil": (-1.4, 1.4), "cos": None,
         "cosh": None, "deg2rad": None, "degrees": None, "exp": None, "exp2": None,
         "expm1": None, "fabs": (0.1, 2.0), "floor": (-1.4, 1.4), "log": (0.2, 2.0),
         "log10": (0.2, 2.0), "log1p": (0.2, 2.0), "log2": (0.2, 2.0), "rad2deg": None,
         "radians": None, "sign": (0.1, 2.0), "sinh": None, "sqrt": (1.0, 3.0), "square": None,
         "tan": (-1.1, 1.1), "tanh": None, "real": None, "imag": None, "conj": None,
         "conjugate": None, "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctan": None,
         "reciprocal": (0.5, 2.0), "cbrt": (0.5, 2.0), "sinc": None, "rint": (0.1, 0.4),
         "nan_to_num": None, "round": (0.1, 0.4)}
for fn, lims in UNARY.items():
    combo(f"np.{fn}(a)", shapes((), (2,), (3, 2), (1, 2), lims=lims or (-2.0, 2.0)))

# binary ufuncs (binary_ufunc_check): every pair of a scalar, (2,), (3, 2), (1, 2)
BINARY = {"add": None, "logaddexp": None, "logaddexp2": None, "true_divide": (0.8, 1.2),
          "mod": (0.8, 2.1), "remainder": (0.7, 1.9), "fmod": (0.7, 1.9), "hypot": None,
          "arctan2": (0.5, 2.0), "subtract": None, "multiply": None, "power": (0.5, 2.0),
          "maximum": None, "minimum": None, "fmax": None, "fmin": None}
for fn, lims in BINARY.items():
    a_lims = (0.5, 2.0) if fn == "power" else (-0.9, 0.9) if fn in ("mod", "remainder",
                                                                  "fmod") else (-2.0, 2.0)
    combo(f"np.{fn}(a, b)", shapes((), (2,), (3, 2), (1, 2), lims=a_lims),
          shapes((), (2,), (3, 2), (1, 2), lims=lims or (-2.0, 2.0)))

R = shapes
# misc (test_systematic)
combo("np.transpose(a{kw})", R((2, 3, 4)),
      axes=[None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]])
combo("np.moveaxis(a{kw})", R((2, 3, 4)), source=[0, 1, 2], destination=[0, 1, 2])
combo("np.repeat(a{kw})", R((2, 3, 4), (3, 1)), repeats=[0, 1, 2], axis=[None, 0, 1])
combo("np.diff(a{kw})", R((5, 5), (5, 5, 5)), n=[1, 2], axis=[0, 1])
combo("np.diff(a{kw})", R((1,), (1, 1)), axis=[0])
combo("np.diff(a{kw})", R((1, 1), (3, 1)), axis=[1])
combo("np.tile(a{kw})", R((2, 1, 3, 1)), reps=[(1, 4, 1, 2)])
combo("np.tile(a{kw})", R((1, 2)), reps=[(1, 2), (2, 3), (3, 2, 1)])
combo("np.tile(a{kw})", R((1,)), reps=[(2,), 2])
combo("np.kron(a, b)", R((5, 5), (4, 4), (5,), (5, 1), (1, 5), ()),
      R((3, 3), (2, 2), (3,), (1, 3), (3, 1), ()))
combo("np.inner(a, b)", R((), (3,), (2, 3)), R((), (3,), (4, 3)))
combo("np.dot(a, b)", R((), (3,), (2, 3), (2, 2, 3)), R((), (3,), (3, 4), (2, 3, 4)))
combo("np.outer(a, b)", R((3,)), R((3,)))
combo("np.matmul(a, b)", R((3,), (2, 3), (2, 2, 3)), R((3,), (3, 4), (2, 3, 4)))
combo("np.matmul(a, b)", R((1, 2, 2)), R((3, 2, 1)))
combo("np.tensordot(a, b{kw})", R((1, 3), (2, 3, 2)), R((3,), (3, 1), (3, 4, 2)),
      axes=[((1,), (0,))])
combo("np.tensordot(a, b{kw})", R((3,), (3, 1), (3, 4, 2)), R((1, 3), (2, 3, 2)),
      axes=[((0,), (1,))])
combo("np.tensordot(a, b{kw})", R((2, 3), (2, 3, 4)), R((1, 2, 3), (2, 2, 3, 4)),
      axes=[((0, 1), (1, 2)), ((1, 0), (2, 1))])
combo("np.tensordot(a, b{kw})", R((2, 2), (4, 2, 2)), R((2, 2), (2, 2, 4)), axes=[1, 2])
combo("np.tensordot(a, b{kw})", R((4,)), R(()), axes=[0])
combo("np.tensordot(a, b{kw})", R((2, 6)), R((6, 3)), axes=[((-1,), (0,)), (-1, 0)])
combo("np.tensordot(a, b{kw})", R((2,)), R((2, 2)), axes=[(0, 1)])
for fn in ("maximum", "fmax", "minimum", "fmin"):
    combo(f"np.{fn}(a, b)", R((1,), (1, 4), (3, 4)), R((1,), (1, 4), (3, 4)))
combo("np.sort(a)", R((1,), (7,)))
combo("np.partition(a{kw})", R((7,), (14,)), kth=[0, 3, 6])
for k in (1, 2, 3):
    combo(f"np.atleast_{k}d(a)", R((), (1,), (7,), (1, 4), (2, 4), (2, 4, 5)))
combo("np.atleast_3d(a)", R((2, 4, 3, 5)))
combo("np.einsum('ij->ji', a)", R((1, 1), (4, 4), (3, 4)))
combo("np.einsum('ij,jk->ik', a, b)", R((2, 3)), R((3, 4)))
combo("np.einsum('...ij,...jk->...ik', a, b)", R((2, 3), (2, 2, 3)), R((3, 4), (2, 3, 4)))
combo("np.einsum('ijk,lji->lki', a, b)", R((3, 4, 4)), R((4, 4, 3)))
combo("np.einsum('...jk,...lj->...lk', a, b)", R((4, 4), (3, 4, 4)), R((4, 4), (3, 4, 4)))
combo("np.einsum('...,...->...', a, b)", R((4, 4), (3, 4, 4)), R((4, 4), (3, 4, 4)))
combo("np.einsum('jk...,lj...->lk...', a, b)", R((3, 2), (3, 2, 4)), R((2, 3), (2, 3, 4)))
combo("np.einsum('j...k,lj...->lk...', a, b)", R((2, 2), (2, 2, 2)), R((2, 2), (2, 2, 2)))
combo("np.einsum('ijk,lji,lli->lki', a, b, c)", R((3, 4, 4)), R((4, 4, 3)), R((4, 4, 3)))
combo("np.einsum('k,nk->', a, b)", R((5,)), R((10, 5)))
combo("np.einsum('abcd->bd', a)", R((3, 2, 3, 2)))
combo("np.einsum('...k,...nk->...', a, b)", R((3, 5)), R((3, 10, 5)))
combo("np.einsum('ij,k', a, b)", R((3, 4)), R((3,)))
combo("np.trace(a{kw})", R((5, 5), (4, 5), (5, 4), (3, 4, 5)), offset=[-1, 0, 1])
combo("np.diag(a{kw})", R((5, 5), (5,)), k=[-1, 0, 1])
for fn in ("tril", "triu"):
    combo(f"np.{fn}(a{{kw}})", R((5, 5), (5, 5, 4)), k=[-1, 0, 1])
combo("np.swapaxes(a{kw})", R((3, 4, 5)), axis1=[0, 1, 2], axis2=[0, 1, 2])
combo("np.rollaxis(a{kw})", R((2, 3, 4)), axis=[0, 1, 2], start=[0, 1, 2])
combo("np.cross(a, b{kw})", R((3, 3)), R((3, 3)), axisa=[-1, 0, 1], axisb=[-1, 0, 1],
      axisc=[-1, 0, 1], axis=[None, -1, 0, 1])
for fn, arrays, parts in (("vsplit", [(4, 8), (4, 4, 4)], [2, [1, 2]]),
                          ("hsplit", [(4, 8), (4, 4, 4)], [2, [1, 2]]),
                          ("dsplit", [(4, 4, 4)], [2, [1, 2]])):
    for part in parts:
        combo(f"np.{fn}(a, {part!r})[0] * 2.0 + np.{fn}(a, {part!r})[-1][:1]", R(*arrays))
for arrays, parts, axes in (([(1,), (7,)], [1], [0]), ([(4, 8)], [4, [1, 2]], [0, 1]),
                            ([(4, 4, 4)], [2, [1, 2]], [0, 1, 2])):
    for part, axis in itertools.product(parts, axes):
        combo(f"np.split(a, {part!r}, axis={axis})[0]", R(*arrays))
for arrays, parts, axes in (([(1,), (7,)], [1, 3], [0]), ([(7, 7)], [4, [3, 5]], [0, 1]),
                            ([(7, 7, 7)], [4, [3, 5]], [0, 1, 2])):
    for part, axis in itertools.product(parts, axes):
        combo(f"np.array_split(a, {part!r}, axis={axis})[-1]", R(*arrays))
combo("np.concatenate((a, b){kw})", R((1,)), R((3,)), axis=[0])
combo("np.concatenate([a, b]{kw})", R((1,)), R((3,)), axis=[0])
combo("np.concatenate((a, b){kw})", R((2, 2)), R((2, 2)), axis=[0, 1])
combo("np.concatenate((a, b){kw})", R((2, 2, 2)), R((2, 2, 2)), axis=[0, 1, 2])
combo("np.vstack(a)", R((2,)))
combo("np.vstack((a, b))", R((2,)), R((2,)))
combo("np.vstack(a)", R((2, 3)))
combo("np.vstack((a, b))", R((2, 4)), R((1, 4)))
combo("np.vstack((a, b))", R((2, 3, 4)), R((5, 3, 4)))
combo("np.hstack(a)", R((2,), (3, 2), (2, 3, 4)))
combo("np.hstack((a, b))", R((2,)), R((2,)))
combo("np.hstack((a, b))", R((3, 4)), R((3, 5)))
combo("np.hstack((a, b))", R((2, 1, 4)), R((2, 5, 4)))
combo("np.stack((a, b){kw})", R((2,)), R((2,)), axis=[0, 1])
combo("np.stack((a,){kw})", R((2,)), axis=[0, 1])
combo("np.column_stack((a, b))", R((2,), (2, 2)), R((2,), (2, 2)))
combo("np.select([a > 0, b > 0, c > 0], [a, b, c]{kw})", R((3, 4, 5)), R((3, 4, 5)),
      R((3, 4, 5)), default=[0.0, 1.1])
combo("np.pad(a{kw})", R((2, 2)), pad_width=[0, 3, (3,), (3, 2), ((3, 2),),
                                                ((1, 2), (3, 4)), ((0, 0), (0, 0))])

# test_numpy.py
for expr, args in [
        ("np.max(a, axis=1)", [(3, 4, 5)]), ("np.max(a, axis=1, keepdims=True)", [(3, 4, 5)]),
        ("np.min(a, axis=1, keepdims=True)", [(3, 4, 5)]), ("np.sum(a, axis=(1, 2))", [(3, 4, 5)]),
        ("np.flipud(a)", [(5, 6)]), ("np.fliplr(a)", [(5, 6)]), ("np.rot90(a)", [(5, 6)]),
        ("np.cumsum(a, axis=0)", [(5, 6)]), ("np.cumsum(a, axis=1)", [(5, 6)]),
        ("np.cumsum(a)", [(5,)]), ("np.cumsum(a)", [(5, 6)]), ("sum([a, a])", [(5,)]),
        ("np.mean([a, a + 2.0])", [()]), ("np.std([a, a + 2.0])", [()]),
        ("np.var([a, a + 2.0])", [()]), ("a.reshape((5 * 4, 6))", [(5, 4, 6)]),
        ("np.reshape(a, (5 * 4, 6))", [(5, 4, 6)]), ("a.ravel()", [(5, 4, 6)]),
        ("np.ravel(a)", [(5, 4, 6)]), ("a.flatten()", [(5, 4, 6)]),
        ("np.append(a, b)", [(3,), (3,)]), ("np.append(a, b, axis=0)", [(2, 3), (2, 3)]),
        ("np.concatenate((b, a, b), axis=1)", [(5, 3), (5, 2)]),
        ("np.concatenate((b, a, b), 1)", [(5, 3), (5, 2)]),
        ("np.trace(a, offset=1)", [(5, 5)]), ("np.trace(a, offset=-1)", [(4, 5)]),
        ("np.trace(a, offset=1)", [(5, 4, 2)]), ("np.diag(a)", [(5, 5)]),
        ("a.T", [(5, 6)]), ("np.roll(a, 2, axis=1)", [(5, 6)]), ("np.roll(a, 2)", [(5, 6)]),
        ("np.triu(a, k=2)", [(5, 6)]), ("np.tril(a, k=2)", [(5, 6)]),
        ("np.clip(a, a_min=0.1, a_max=1.1)", [(5, 6)]), ("np.prod(a, axis=0)", [(5, 6)]),
        ("np.prod(a)", [(5,)]), ("np.array([a, a * 1.0, a + 2.5])", [()]),
        ("np.array([[a, a * 1.0, a + 2.5], [a ** 2, a, a / 2.0]])", [()]),
        ("np.array(a)", [()]), ("np.array([a, a])", [(5, 6)]),
        ("np.array([[2 * a, a + 1], [a, a]])", [(5, 6)]),
        ("np.var(a, ddof=1)", [(5, 6)]), ("np.std(a, ddof=1)", [(5, 6)]),
        ("np.var(a, axis=1, ddof=2)", [(5, 6)]), ("np.where(a > b, a, b)", [(5, 6), (5, 6)]),
        ("np.squeeze(a)", [(5, 1, 6)]), ("a.squeeze()", [(5, 1, 6)]),
        ("np.repeat(a, 2, axis=1)", [(3, 2)]), ("np.repeat(a, 2, axis=0)", [(3, 2)]),
        ("np.repeat(a, 2)", [(3,)]), ("np.expand_dims(a, 1)", [(5, 6)]),
        ("np.expand_dims(a, axis=-1)", [(5, 6)]), ("np.average(a, axis=0, weights=b)",
                                                   [(3, 4), (3,)]),
        ("np.average(a)", [(3, 4)]), ("np.nan_to_num(a)", [(3, 4)]),
        ("np.linspace(a, b, 5)", [(), ()]), ("np.flip(a, 1)", [(3, 4)]),
        ("np.flip(a)", [(3, 4)]), ("np.vdot(a, b)", [(3, 4), (3, 4)]),
        ("np.broadcast_to(a, (4, 3))", [(3,)]), ("a.astype(np.float64)", [(3, 4)]),
        ("np.float64(a)", [()]), ("np.power(a, 0.0)", [()]), ("np.linalg.norm((a, b))",
                                                            [(), ()]),
        ("np.mean((a, a + 2.0))", [()]), ("np.dot(a, b)", [(2, 3, 4), (4,)]),
        ("np.dot(a, b)", [(), (3, 4)]), ("np.fft.fftshift(a)", [(5,)]),
        ("np.fft.ifftshift(a)", [(4, 5)]), ("np.argmax(a) + a[0]", [(5,)]),
        ("np.diagonal(a, 1)", [(4, 5)])]:
    combo(expr, [Arg(s) for s in args][:1], *[[Arg(s)] for s in args[1:]])

# test_linalg.py: square (D, D) and batched (2, 3, D, D) matrices
SPD = Arg((4, 4), kind="spd")
SPD3 = Arg((2, 3, 4, 4), kind="spd")
for m in (Arg((4, 4), (-1, 1)), Arg((2, 3, 4, 4), (-1, 1))):
    combo("np.linalg.inv(a + 3.0 * np.eye(4))", [m])
    combo("np.linalg.det(a)", [m])
    combo("np.linalg.slogdet(a + 3.0 * np.eye(4))[1]", [m])
    combo("np.linalg.solve(a + 3.0 * np.eye(4), b)", [m], [Arg(m.shape[:-1])])
combo("np.linalg.solve(a + 3.0 * np.eye(4), b)", [Arg((4, 4))], [Arg((4, 3))])
combo("np.linalg.pinv(a)", R((4, 4), (3, 5), (5, 3)))
for m in (SPD, SPD3):
    combo("np.linalg.cholesky(a)", [m])
    combo("np.linalg.eigh(a)[0]", [m])
    combo("np.abs(np.linalg.eigh(a)[1])", [m])
combo("np.linalg.svd(a, compute_uv=False)", R((4, 4), (3, 5), (5, 3), (2, 4, 3)))
combo("np.linalg.qr(a)[0] * np.linalg.qr(a)[0][0]", R((4, 4), (5, 3)))
combo("np.linalg.qr(a)[1]", R((4, 4), (5, 3)))
combo("np.linalg.norm(a{kw})", R((6,)), ord=[None, 1, 2, 3, np.inf, -np.inf, 0.5])
combo("np.linalg.norm(a{kw})", R((5, 6)), ord=[None, "fro", 1, -1, 2, -2, np.inf, -np.inf,
                                              "nuc"])
combo("np.linalg.norm(a{kw})", R((3, 4, 5)), axis=[0, 1, 2, (0, 1), (1, 2)],
      keepdims=[False, True])
combo("np.linalg.norm(a{kw})", R((3, 4)), ord=[1, 2, np.inf], axis=[0, 1])

# test_fft.py: each transform as autograd calls it (its shapes, n and s/axes, norm), read out
# as a real value (np.real + np.imag of a complex result); the inverse real transforms of a
# Hermitian input made, as autograd makes it, by the forward one


def _fft_usage(call, shape):
    read = call if call.startswith("np.fft.irfft") else \
        f"np.real({call}) + 0.5 * np.imag({call})"
    combo(read, [Arg(shape, (-0.2, 0.2))])


for _call, _shape in [
        ("np.fft.fft(a)", (5, 5)), ("np.fft.fft(a, norm='ortho')", (5, 5)),
        ("np.fft.fft(a, axis=0)", (5, 5)), ("np.fft.fft(a, 3)", (5, 5)),
        ("np.fft.fft(a, 7)", (5, 5)), ("np.fft.ifft(a, 3)", (5, 5)), ("np.fft.ifft(a, 7)", (5, 5)),
        ("np.fft.rfft(a, 2)", (4, 4)), ("np.fft.rfft(a, 6)", (4, 4)),
        ("np.fft.irfft(np.fft.rfft(a), 2)", (4, 4)), ("np.fft.irfft(np.fft.rfft(a), 6)", (4, 4)),
        ("np.fft.ifft(a)", (5, 5)), ("np.fft.fft2(a)", (5, 5)), ("np.fft.ifft2(a)", (5, 5)),
        ("np.fft.fftn(a)", (5, 5)), ("np.fft.ifftn(a)", (5, 5)), ("np.fft.rfft(a)", (4, 4)),
        ("np.fft.rfft(a, norm='ortho')", (4, 4)), ("np.fft.rfft(a, axis=0)", (4, 4)),
        ("np.fft.irfft(np.fft.rfft(a))", (4, 4)),
        ("np.fft.irfft(np.fft.rfft(a), norm='ortho')", (4, 4)),
        ("np.fft.rfft2(a)", (4, 4)), ("np.fft.irfft2(np.fft.rfft2(a))", (4, 4)),
        ("np.fft.rfftn(a)", (4, 4, 4)), ("np.fft.rfftn(a)", (5, 5, 5)),
        ("np.fft.rfftn(a)[(0, 1, 0), (3, 3, 2)]", (4, 4, 4)),
        ("np.fft.rfftn(a, axes=(0, 2))", (4, 4, 4)), ("np.fft.irfftn(np.fft.rfftn(a))", (4, 4, 4)),
        ("np.fft.irfftn(np.fft.rfftn(a))[(0, 1, 0), (3, 3, 2)]", (4, 4, 4)),
        ("np.fft.fftshift(a)", (5, 5)), ("np.fft.fftshift(a)", (4, 4)),
        ("np.fft.fftshift(a, axes=1)", (5, 5)), ("np.fft.ifftshift(a)", (5, 5)),
        ("np.fft.ifftshift(a)", (4, 4)), ("np.fft.ifftshift(a, axes=1)", (5, 5))]:
    _fft_usage(_call, _shape)
for _name, _d in [("fft2", 5), ("ifft2", 5), ("fftn", 5), ("ifftn", 5), ("rfft2", 4),
                  ("rfftn", 4)]:
    _fft_usage(f"np.fft.{_name}(a, s=[{_d + 2}, {_d - 2}], axes=[0, 2])", (_d, _d, _d))
for _name in ("irfft2", "irfftn"):
    _fft_usage(f"np.fft.{_name}(np.fft.{_name[1:]}(a), s=[6, 2], axes=[0, 2])", (4, 4, 4))

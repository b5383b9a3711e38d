"""Numba overloads of the np.fft records (rules/fft.py), compiled FFTs from rocket-fft.

Numba itself has no ``np.fft``; rocket-fft (a maintained pocketfft binding, the ``[fft]``
extra) registers ``np.fft.fftn/ifftn/rfftn/irfftn`` for
``numba.njit`` through Numba's extension entry point, so the transforms run compiled, with
no object-mode round trip. The packing of complex values as ``stack((re, im))``, NumPy's
cropping and zero-padding to ``s`` and the Hermitian weights are written here for a static
rank and static axes (one generated implementation per form), with the lengths ``s`` known
only at run time. Without rocket-fft the overloads raise a TypingError that says so (the
python backend runs these records with NumPy).
"""

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

from ...rules import fft as F
from ._util import compile_src, is_array, is_scalar, static, tuple_expr

try:
    import rocket_fft  # noqa: F401  (registers np.fft for Numba; its entry point does too)
except ImportError:     # pragma: no cover - the python backend still runs np.fft
    rocket_fft = None


@register_jitable
def _unpack(z):
    return z[0] + 1j * z[1]


@register_jitable
def _pack(c):
    return np.stack((np.ascontiguousarray(c.real), np.ascontiguousarray(c.imag)))


@overload(F.pack)
def _pack_parts(re, im):
    if is_array(re) and is_array(im):
        return lambda re, im: np.stack((re + np.zeros_like(im), im + np.zeros_like(re)))
    if is_array(re) and is_scalar(im):
        return lambda re, im: np.stack((re + 0.0, np.full(re.shape, im)))
    if is_scalar(re) and is_array(im):
        return lambda re, im: np.stack((np.full(im.shape, re), im + 0.0))
    return None


def _fitter(nd, axes):
    """``fit(x, lengths)``: ``x`` (rank ``nd``) cropped or zero-padded along ``axes``."""
    def build():
        dims = [f"lengths[{axes.index(k)}]" if k in axes else f"x.shape[{k}]"
                for k in range(nd)]
        cut = [f":min(x.shape[{k}], lengths[{axes.index(k)}])" if k in axes else ":"
               for k in range(nd)]
        return (f"def impl(x, lengths):\n"
                f"    out = np.zeros({tuple_expr(dims)}, x.dtype)\n"
                f"    out[{', '.join(cut)}] = x[{', '.join(cut)}]\n"
                f"    return out\n")
    return register_jitable(compile_src(("fft fit", nd, axes), build(), {}))


def _weigher(nd, axis, divide=False):
    """``weigh(half, n)``: the half spectrum times (``divide``: over) NumPy's Hermitian
    weights along ``axis``."""
    shape = tuple_expr(["m" if k == axis else "1" for k in range(nd)])
    src = (f"def impl(half, n):\n"
           f"    m = half.shape[{axis}]\n"
           f"    w = np.full(m, 2.0)\n"
           f"    w[0] = 1.0\n"
           f"    if n % 2 == 0 and m > n // 2:\n"
           f"        w[n // 2] = 1.0\n"
           f"    return half {'/' if divide else '*'} w.reshape({shape})\n")
    return register_jitable(compile_src(("fft weigh", nd, axis, divide), src, {}))


def _form(x, s, attrs, packed, name):
    """The static attributes of one call (None: not these types), axes normalised to
    ``0..nd-1`` for the complex (``packed``: ``x`` has the leading re/im axis) or real array
    of rank ``nd``, and whether the lengths ``s`` are given (``sized``)."""
    if rocket_fft is None:
        raise TypingError(f"_rt.{name}: np.fft under Numba needs the rocket-fft package "
                          "(pip install 'ad_compiler[fft]'), or use the python backend")
    if not is_array(x) or not (isinstance(s, (types.NoneType, types.Omitted, types.BaseTuple))
                               or s is None):
        return None
    out = {k: static(v, k, name) for k, v in attrs.items()}
    nd = x.ndim - (1 if packed else 0)
    axes = out.get("axes")
    out["axes"] = tuple(range(nd)) if axes is None else tuple(a % nd for a in axes)
    if len(set(out["axes"])) != len(out["axes"]):
        raise TypingError(f"_rt.{name}: np.fft with a repeated axis {axes} is not supported")
    out["sized"] = isinstance(s, types.BaseTuple)
    out["nd"] = nd        # the rank the generated helpers (fit, weigh) are written for
    return out if nd >= 1 else None


def _lengths_of(like, axes, offset):
    return tuple_expr([f"{like}.shape[{a + offset}]" for a in axes])


def _compile(name, params, body, form, glbs):
    """One implementation per form: the key holds everything its source and its helpers
    (generated for ``form["nd"]`` and ``form["axes"]``) depend on."""
    key = (name, tuple(sorted((k, repr(v)) for k, v in form.items())), tuple(body))
    src = f"def impl({params}):\n" + "".join(f"    {line}\n" for line in body)
    return compile_src(key, src, {"unpack": _unpack, "pack": _pack, **glbs})


@overload(F.c2c, prefer_literal=True)
def _c2c(z, s, inverse=False, axes=None, norm=None, real_in=False):
    form = _form(z, s, {"inverse": inverse, "axes": axes, "norm": norm, "real_in": real_in},
                 not static(real_in, "real_in", "fft_c2c"), "fft_c2c")
    if form is None:
        return None
    transform = "ifftn" if form["inverse"] else "fftn"
    source = "z" if form["real_in"] else "unpack(z)"
    body = [f"return pack(np.fft.{transform}({source}, s=s, axes={form['axes']!r}, "
            f"norm={form['norm']!r}))"]
    return _compile("fft_c2c", "z, s, inverse=False, axes=None, norm=None, real_in=False",
                    body, form, {})


@overload(F.c2c_t, prefer_literal=True)
def _c2c_t(g, z, s, inverse=False, axes=None, norm=None, real_in=False):
    form = _form(g, s, {"inverse": inverse, "axes": axes, "norm": norm, "real_in": real_in},
                 True, "fft_c2c_t")
    if form is None:
        return None
    transform = "fftn" if form["inverse"] else "ifftn"
    ax, offset = form["axes"], 0 if form["real_in"] else 1
    body = [f"out = np.fft.{transform}(unpack(g), axes={ax!r}, "
            f"norm={F._DUAL[form['norm']]!r})"]
    if form["sized"]:
        body.append(f"out = fit(out, {_lengths_of('z', ax, offset)})")
    body.append("return np.ascontiguousarray(out.real)" if form["real_in"]
                else "return pack(out)")
    return _compile("fft_c2c_t", "g, z, s, inverse=False, axes=None, norm=None, "
                    "real_in=False", body, form, {"fit": _fitter(g.ndim - 1, ax)})


@overload(F.r2c, prefer_literal=True)
def _r2c(x, s, axes=None, norm=None):
    form = _form(x, s, {"axes": axes, "norm": norm}, False, "fft_r2c")
    if form is None:
        return None
    body = [f"return pack(np.fft.rfftn(x, s=s, axes={form['axes']!r}, "
            f"norm={form['norm']!r}))"]
    return _compile("fft_r2c", "x, s, axes=None, norm=None", body, form, {})


@overload(F.r2c_t, prefer_literal=True)
def _r2c_t(g, x, s, axes=None, norm=None):
    form = _form(x, s, {"axes": axes, "norm": norm}, False, "fft_r2c_t")
    if form is None:
        return None
    ax = form["axes"]
    n = "s[-1]" if form["sized"] else f"x.shape[{ax[-1]}]"
    lengths = tuple_expr([f"g.shape[{a + 1}]" for a in ax[:-1]] + [n])
    body = [f"half = weigh(unpack(g), {n})",
            f"out = np.fft.irfftn(half, s={lengths}, axes={ax!r}, "
            f"norm={F._DUAL[form['norm']]!r})"]
    if form["sized"]:
        body.append(f"out = fit(out, {_lengths_of('x', ax, 0)})")
    body.append("return out")
    return _compile("fft_r2c_t", "g, x, s, axes=None, norm=None", body, form,
                    {"fit": _fitter(x.ndim, ax), "weigh": _weigher(x.ndim, ax[-1], True)})


@overload(F.c2r, prefer_literal=True)
def _c2r(z, s, axes=None, norm=None):
    form = _form(z, s, {"axes": axes, "norm": norm}, True, "fft_c2r")
    if form is None:
        return None
    body = [f"return np.fft.irfftn(unpack(z), s=s, axes={form['axes']!r}, "
            f"norm={form['norm']!r})"]
    return _compile("fft_c2r", "z, s, axes=None, norm=None", body, form, {})


@overload(F.c2r_t, prefer_literal=True)
def _c2r_t(g, z, s, axes=None, norm=None):
    form = _form(g, s, {"axes": axes, "norm": norm}, False, "fft_c2r_t")
    if form is None:
        return None
    ax = form["axes"]
    body = [f"half = np.fft.rfftn(g, axes={ax!r}, norm={F._DUAL[form['norm']]!r})",
            f"half = weigh(half, g.shape[{ax[-1]}])",
            f"return pack(fit(half, {_lengths_of('z', ax, 1)}))"]
    return _compile("fft_c2r_t", "g, z, s, axes=None, norm=None", body, form,
                    {"fit": _fitter(g.ndim, ax), "weigh": _weigher(g.ndim, ax[-1])})

"""np.fft's transforms as real-linear primitives of complex values held as real pairs.

The IR has no complex kind: a complex array of shape ``S`` is a *packed* real array of shape
``(2,) + S`` (real part, imaginary part), built by ``fft_pack`` and taken apart by indexing
in the frontend (:mod:`ad_compiler.frontend.complexes`). Every transform here maps real arrays to real
arrays and is linear over the reals, so its vjp is its transpose for the real inner product
``<u, v> = sum(Re(conj(u) * v))``, and its jvp is itself applied to the tangent.

Three transforms cover NumPy's twelve functions (``fft ifft fft2 ifft2 fftn ifftn`` are
``c2c``, ``rfft rfft2 rfftn`` are ``r2c``, ``irfft irfft2 irfftn`` are ``c2r``), each with
NumPy's ``axes`` and ``norm`` as static attributes and its lengths ``s`` (``n``) as an
operand (None, or a tuple of ints that may be known only at run time: ``n=len(x)``). Each has a ``_t`` twin computing its exact
transpose, and the twins transpose back to the originals, so derivatives of any order stay
exact. With ``F`` the DFT over ``axes`` at scale ``norm`` and ``fit`` NumPy's cropping or
zero-padding of the input to ``s``:

* ``c2c = F o fit``; ``c2c_t = fit^T o F^H`` where ``F^H`` is the opposite transform with the
  dual norm (``backward`` <-> ``forward``, ``ortho`` itself) and ``fit^T`` crops or pads back
  to the operand's lengths; a real operand (``real_in``) takes the real part at the end.
* ``c2r = Re o F^H o W o H^T o fit`` (``H^T`` pads the ``n // 2 + 1`` non-negative
  frequencies of the last axis with zeros; NumPy's Hermitian completion is the weights ``W``:
  1 at the zero and Nyquist frequencies, 2 between, the imaginary parts of those two ignored);
  ``c2r_t = fit^T o W o H o F``, that is ``W`` times ``rfftn`` of the cotangent.
* ``r2c = H o F o fit`` (``H`` keeps the non-negative frequencies);
  ``r2c_t = fit^T o Re o F^H o H^T``, which is ``irfftn`` (dual norm) of ``W^-1`` times the
  cotangent: ``Re`` ignores the imaginary parts at frequencies 0 and ``n / 2`` as ``irfftn``
  does, so no complex inverse transform is needed (under Numba the complex one compiles slower).

These are the rules of autograd's ``numpy/fft.py`` and JAX's ``_src/fft.py``, written as
transposes (tests/numpy/test_fft.py checks ``<g, A z> = <A^T g, z>`` for every form).
"""

from __future__ import annotations

import numpy as np

from .table import Syntax, defjvp, deflinear, defprim, defvjp

_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _unpack(z, packed=True):
    return z[0] + 1j * z[1] if packed else np.asarray(z)


def _pack(c):
    return np.stack((c.real, c.imag))


def _axes(x, axes):
    """The transformed axes of ``x`` (the complex or real array, not its packing). A repeated
    axis (``axes=(0, -2)`` of a matrix) would transform twice, and the Hermitian weights of the
    transposes would not commute with the second transform: refused."""
    nd = np.ndim(x)
    out = tuple(range(nd)) if axes is None else tuple(axes)
    if len({a % nd for a in out}) != len(out):
        raise ValueError(f"np.fft with a repeated axis {axes} is not supported")
    return out


def _fit(x, lengths, axes):
    """``x`` cropped or zero-padded along ``axes`` to ``lengths`` (NumPy's ``s=``)."""
    index = [slice(None)] * np.ndim(x)
    pad = [(0, 0)] * np.ndim(x)
    for n, ax in zip(lengths, axes):
        index[ax] = slice(0, n)
        pad[ax] = (0, max(n - np.shape(x)[ax], 0))
    return np.pad(x[tuple(index)], pad)


def _like(x, like, axes):
    """``x`` fitted back to the lengths ``like`` has along ``axes`` (the transpose of fit)."""
    return _fit(x, [np.shape(like)[ax] for ax in axes], axes)


def _weights(n, m, dtype):
    """The Hermitian weights of a half spectrum of length ``m`` of a real signal of length
    ``n``: 1 at frequency 0 and (``n`` even) at the Nyquist frequency ``n / 2``, else 2."""
    w = np.full(m, 2.0, dtype=dtype)
    w[0] = 1.0
    if n % 2 == 0 and m > n // 2:
        w[n // 2] = 1.0
    return w


def _along(w, ax, ndim):
    return w.reshape([-1 if k == ax % ndim else 1 for k in range(ndim)])


def c2c(z, s, inverse=False, axes=None, norm=None, real_in=False):
    c = _unpack(z, not real_in)
    transform = np.fft.ifftn if inverse else np.fft.fftn
    return _pack(transform(c, s=s, axes=_axes(c, axes), norm=norm))


def c2c_t(g, z, s, inverse=False, axes=None, norm=None, real_in=False):
    transform = np.fft.fftn if inverse else np.fft.ifftn
    c = _unpack(z, not real_in)
    out = transform(_unpack(g), axes=_axes(c, axes), norm=_DUAL[norm])
    if s is not None:
        out = _like(out, c, _axes(c, axes))
    return out.real if real_in else _pack(out)


def r2c(x, s, axes=None, norm=None):
    return _pack(np.fft.rfftn(x, s=s, axes=_axes(x, axes), norm=norm))


def r2c_t(g, x, s, axes=None, norm=None):
    ax = _axes(x, axes)
    n = s[-1] if s is not None else np.shape(x)[ax[-1]]
    half = _unpack(g)
    half = half / _along(_weights(n, half.shape[ax[-1]], g.dtype), ax[-1], half.ndim)
    lengths = [half.shape[a] for a in ax[:-1]] + [n]
    out = np.fft.irfftn(half, s=lengths, axes=ax, norm=_DUAL[norm])
    return _like(out, x, ax) if s is not None else out


def c2r(z, s, axes=None, norm=None):
    c = _unpack(z)
    return np.fft.irfftn(c, s=s, axes=_axes(c, axes), norm=norm)


def c2r_t(g, z, s, axes=None, norm=None):
    ax = _axes(g, axes)
    half = np.fft.rfftn(g, axes=ax, norm=_DUAL[norm])
    n = np.shape(g)[ax[-1]]
    half = half * _along(_weights(n, half.shape[ax[-1]], g.dtype), ax[-1], half.ndim)
    return _pack(_like(half, _unpack(z), ax))


def pack(re, im):
    """The packed array of a complex value from its parts, broadcast to one shape (a
    constant part, as in ``x + 1j``, or a real array added to a smaller complex one)."""
    return np.stack(np.broadcast_arrays(re, im))


defprim("fft_pack", 2, pack, Syntax("helper", "fft_pack"), numba="overload",
        result_kind="array", cost=2,
        ndim=lambda ndims, operands, **attrs: None if None in ndims else max(ndims) + 1)
defvjp("fft_pack", lambda o, g, ans, re, im: o.unbroadcast(o.getitem(g, index=0), re),
       lambda o, g, ans, re, im: o.unbroadcast(o.getitem(g, index=1), im))
defjvp("fft_pack", lambda o, tangents, ans, re, im:
       o.fft_pack(*(0.0 if t is None else t for t in tangents)))


def _ndim(offset):
    return lambda ndims, operands, real_in=False, **attrs: \
        None if ndims[0] is None else ndims[0] + offset + (1 if real_in else 0)


def _like_ndim(ndims, operands, **attrs):
    return ndims[1]


_ATTRS = {"axes": None, "norm": None}
for _name, _impl, _transpose, _offset, _extra in (
        ("fft_c2c", c2c, c2c_t, 0, {"inverse": False, "real_in": False}),
        ("fft_r2c", r2c, r2c_t, 1, {}),
        ("fft_c2r", c2r, c2r_t, -1, {})):
    defprim(_name, 2, _impl, Syntax("helper", _name), numba="overload", ndim=_ndim(_offset),
            result_kind="array", cost=8, **_extra, **_ATTRS)
    defprim(_name + "_t", 3, _transpose, Syntax("helper", _name + "_t"), numba="overload",
            ndim=_like_ndim, result_kind="array", cost=8, **_extra, **_ATTRS)
    defvjp(_name, lambda o, g, ans, x, s, _n=_name, **attrs:
           getattr(o, _n + "_t")(g, x, s, **attrs), None)
    defvjp(_name + "_t", lambda o, g, ans, x, like, s, _n=_name, **attrs:
           getattr(o, _n)(g, s, **attrs), None, None)
    deflinear(_name)
    deflinear(_name + "_t")

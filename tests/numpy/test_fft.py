"""np.fft in both modes against central finite differences (float64), and against HIPS
autograd: every transform over 1-D/2-D/3-D shapes of odd and even lengths, ``n``/``s``
shorter and longer than the input, ``axis``/``axes`` first and last, every ``norm``; the
operations on complex results (rules/fft.py, frontend/complexes.py); and the clear refusals
of what complex values do not support. Each usage is checked as ``np.sum(np.sin(EXPR))``."""

import os
import sys

import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.rules import fft as F

sys.path.insert(0, os.path.dirname(__file__))

from harness import _fd, assert_usage, check, close, normal_arguments, write_module  # noqa: E402,E501

_NORMS = ["", ", norm='ortho'", ", norm='forward'", ", norm='backward'"]
# a real readout of a complex value that weighs both of its parts
_READ = "np.real({z}) + 0.5 * np.imag({z})"


def _transform_usages():
    """(expression, shapes) of each transform with its keyword forms, norms in turn."""
    one = [((5,), ""), ((6,), ", n=4"), ((5,), ", n=8"), ((3, 4), ", axis=0"),
           ((3, 4), ", n=5, axis=-1"), ((4, 3), ", n=2, axis=0")]
    many = {"2": [((3, 4), ""), ((4, 5), ", s=(5, 3)"), ((3, 4), ", axes=(1, 0)"),
                  ((2, 3, 4), ", s=(3, 2), axes=(0, 2)")],
            "n": [((3, 4), ""), ((2, 3, 4), ", axes=(0, 2)"), ((3, 4), ", s=(4, 6), axes=(0, 1)"),
                  ((3, 5), ", s=(4,), axes=(-1,)")]}
    out = []
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2", "rfftn"):
        forms = one if name[-1] == "t" else many[name[-1]]
        for k, (shape, kw) in enumerate(forms):
            z = f"np.fft.{name}(a{kw}{_NORMS[k % 4]})"
            out.append((_READ.format(z=z), [shape]))
    # irfft* of a general complex half spectrum: fft's bins from 1 on (no Hermitian
    # symmetry, a non-zero imaginary part at frequency 0), times (b + 1j)
    for k, (name, shape, kw) in enumerate([
            ("irfft", (5,), ""), ("irfft", (6,), ", n=9"), ("irfft", (6,), ", n=4"),
            ("irfft", (4, 5), ", axis=0"), ("irfft2", (3, 5), ""),
            ("irfft2", (3, 5), ", s=(4, 7)"), ("irfftn", (2, 3, 5), ""),
            ("irfftn", (3, 5), ", s=(3,), axes=(0,)")]):
        half = f"(np.fft.fft(a, axis=-1)[{':, ' * (len(shape) - 1)}1:] * (b + 1j))"
        out.append((f"np.fft.{name}({half}{kw}{_NORMS[k % 4]})",
                    [shape, shape[:-1] + (shape[-1] - 1,)]))
    return out


OPERATIONS = [
    ("np.abs(np.fft.fft(a)) ** 2", [(6,)]),
    ("np.fft.irfft(np.fft.rfft(a) * b, n=7)", [(7,), (4,)]),          # a spectral filter
    ("np.fft.ifft(np.fft.fft(a) * np.fft.fft(b)).real", [(5,), (5,)]),  # circular convolution
    ("np.angle(np.fft.rfft(a)[1:3])", [(6,)]),
    ("np.abs(np.fft.fftshift(np.fft.fft2(a)))", [(3, 4)]),
    ("np.real(np.fft.ifftshift(np.fft.fft(a), axes=0) * np.conj(np.fft.fft(a)))", [(5,)]),
    ("np.imag(np.fft.fft(a).conj() / (np.fft.fft(b) + 3.0))", [(4,), (4,)]),
    ("np.real(b / np.fft.rfft(a) - np.fft.rfft(a) ** 3)", [(5,), (3,)]),
    ("np.real(np.square(np.fft.fft(a)) + (-np.fft.fft(a)) * 1j)", [(4,)]),
    ("np.abs(np.sum(np.fft.fft(a, axis=0), axis=1)) + np.imag(np.mean(np.fft.fft(a)))",
     [(3, 4)]),
    ("np.fft.fft(a).T.imag + np.fft.fft(a)[:, ::2].real.sum()", [(3, 4)]),
    ("np.real(np.fft.ifftn(np.fft.fftn(a) * b) * 2.0 - 1.0 + a)", [(3, 4), (3, 4)]),
    ("np.fft.irfft(a + 1j)", [(4,)]),                                  # irfft of a real array
    ("abs(np.fft.rfft(a, norm='ortho')).reshape(2, 2)", [(6,)]),
    ("np.fft.fftshift(a)", [(5,)]),                                    # real: as before
    ("np.real(np.fft.ifft(np.fft.fft(a) + b))", [(4,), (3, 4)]),       # broadcast to b
    ("np.imag(np.fft.fft(a) if a[0] > 0 else np.fft.fft(a) / 2.0)", [(4,)]),
    ("np.imag(np.fft.fft(a) if a[0] < 0 else np.fft.fft(a) / 2.0)", [(4,)]),
]
USAGES = _transform_usages() + OPERATIONS
_MODULE = write_module(USAGES, name="fft_usages")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("k", range(len(USAGES)), ids=[u[0] for u in USAGES])
def test_usage(k, mode):
    assert_usage(_MODULE, USAGES, k, mode, seed=100 + k)


def test_agrees_with_autograd():
    """The same usages differentiated by HIPS autograd, wherever it differentiates them.
    Where the two differ, autograd must be the one off central differences (its rfft/irfft
    rules read ``n=`` only positionally, know no ``norm='forward'``, and give the imaginary
    parts irfft ignores a gradient; it refuses odd lengths there); test_usage checks ours
    against central differences everywhere."""
    autograd = pytest.importorskip("autograd")
    theirs = write_module(USAGES, "autograd.numpy", "fft_autograd")
    agreed, autograd_off = 0, []
    for k, (expr, shapes) in enumerate(USAGES):
        args = normal_arguments(shapes, 100 + k)
        try:
            want = autograd.grad(getattr(theirs, f"u{k}"), 0)(*args)
        except Exception:   # noqa: BLE001 - autograd does not differentiate this usage
            continue
        got = ad.grad(getattr(_MODULE, f"u{k}"), wrt=0, backend="python")(*args)
        if close(got, want):
            agreed += 1
            continue
        fd = _fd(getattr(_MODULE, f"u{k}"), args, 0)
        assert close(got, fd) and not close(want, fd), f"{expr}: {got} vs autograd {want}"
        autograd_off.append(expr)
    assert agreed >= 30, (agreed, autograd_off)
    assert all("rfft" in e for e in autograd_off), autograd_off


@pytest.mark.parametrize("kind", ["c2c", "r2c", "c2r"])
def test_transposes_are_exact(kind):
    """``<g, A z> = <A^T g, z>`` for every transform form: the vjp rules are the transposes,
    and each transposes back to its transform (so higher orders stay exact)."""
    rng = np.random.default_rng(3)
    forms = [((5,), None, (0,)), ((6,), (4,), (0,)), ((5,), (8,), (-1,)), ((4, 5), None, None),
             ((4, 5), (3, 7), (0, 1)), ((3, 4, 5), (6,), (1,)), ((4, 6), (5, 3), (1, 0))]
    variants = {"c2c": [{}, {"inverse": True}, {"real_in": True},
                        {"real_in": True, "inverse": True}], "r2c": [{}], "c2r": [{}]}[kind]
    for shape, s, axes in forms:
        for norm in (None, "ortho", "forward", "backward"):
            for extra in variants:
                attrs = dict(axes=axes, norm=norm, **extra)
                real = kind == "r2c" or extra.get("real_in")
                z = rng.standard_normal(shape if real else (2,) + shape)
                y = getattr(F, kind)(z, s, **attrs)
                g = rng.standard_normal(y.shape)
                back = getattr(F, kind + "_t")(g, z, s, **attrs)
                assert back.shape == z.shape
                assert np.isclose(np.sum(g * y), np.sum(back * z), rtol=1e-12, atol=1e-12)


def spectral_loss(x, h):
    """A complex value carried through a loop and a branch, updated in place."""
    z = np.fft.rfft(x, norm="ortho")
    for k in range(3):
        z = z * h + z.conj() / 4.0
        if k == 1:
            z = -z
    z *= 0.5
    y = np.fft.irfft(z, n=x.shape[0], norm="ortho")
    return np.sum(y ** 2) + np.sum(np.abs(z) ** 2)


def test_complex_through_control_flow():
    rng = np.random.default_rng(7)
    args = (rng.standard_normal(8), rng.standard_normal(5))
    for mode in ("reverse", "forward"):
        status, message = check(spectral_loss, args, mode, "python")
        assert status == "ok", f"{mode}: {status} {message}"


def spectral_energy(x):
    z = np.fft.rfft(x, n=7, norm="ortho")
    return np.sum(np.sin(np.fft.irfft(z * z, n=6))) + np.sum(np.abs(np.fft.fft(x)) ** 3)


def test_hessian_through_transforms():
    """Second order: the transposes transpose back (forward over reverse re-reads the
    generated adjoint, whose _rt.fft_* calls are the records again)."""
    x = np.random.default_rng(4).standard_normal(6)
    hessian = ad.hessian(spectral_energy, backend="python")(x)
    grad = ad.grad(spectral_energy, backend="python")
    h = 1e-5
    fd = np.array([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(6)])
    assert np.allclose(hessian, fd, atol=1e-6 * max(1.0, np.max(np.abs(fd))))


def abs_at_zero(x):
    return np.sum(np.abs(np.fft.fft(x * 0.0)) + np.abs(np.fft.fft(x)) ** 2)


def test_abs_of_zero_has_zero_derivative():
    """As autograd and JAX give it: |z|' is 0 where z == 0 (never NaN)."""
    x = np.arange(4.0)
    g = ad.grad(abs_at_zero, backend="python")(x)
    assert np.all(np.isfinite(g)) and np.allclose(g, 2 * 4 * x)


def returns_complex(x):
    return np.fft.fft(x)


def exp_of_complex(x):
    return np.sum(np.real(np.exp(np.fft.fft(x))))


def compares_complex(x):
    z = np.fft.fft(x)
    return np.sum(x) if z[0] > 0 else 0.0


def stores_into_complex(x):
    z = np.fft.rfft(x)
    z[2:] = 0.0
    return np.sum(np.fft.irfft(z))


def rfft_of_complex(x):
    return np.sum(np.fft.rfft(np.fft.fft(x)).real)


def diff_prepending_a_real(x):
    return np.sum(np.real(np.diff(np.fft.fft(x), prepend=x[:1])))


def repeated_axis(x):
    return np.sum(np.fft.irfftn(np.fft.rfftn(x, axes=(0, 0))))


def complex_input(x):
    return np.sum(np.abs(np.fft.fft(x)))


@pytest.mark.parametrize("fn, match", [
    (returns_complex, "returning a complex value"),
    (exp_of_complex, "'exp' of a complex value"),
    (compares_complex, "a complex value used as a real one"),
    (stores_into_complex, "assigning into the elements of a complex value"),
    (rfft_of_complex, "np.fft.rfft' of a complex value"),
    (diff_prepending_a_real, "'np.diff' of a complex value with prepend"),
    (repeated_axis, "with a repeated axis"),
])
def test_unsupported_complex_operations_refuse(fn, match):
    with pytest.raises(ad.DifferentiationError, match=match) as info:
        ad.grad(fn, backend="python")(np.arange(4.0))
    message = str(info.value)
    if fn is not repeated_axis:
        assert "complex values are only supported as results of np.fft" in message
    assert fn.__name__ in message and "test_fft.py" in message


def test_complex_inputs_stay_refused():
    with pytest.raises(ad.DifferentiationError, match="complex"):
        ad.grad(complex_input, backend="python")(np.arange(4.0) + 1j)


def numba_fft(x, h):
    z = np.fft.rfft(x, norm="ortho") * h
    w = np.fft.fft(x)
    return (np.sum(np.fft.irfft(z, n=x.shape[0]) ** 3)
            + np.sum(np.abs(np.fft.ifft(w / (w + 2.0), norm="forward")) ** 2))


@pytest.mark.numba
def test_numba_program():
    pytest.importorskip("rocket_fft")
    rng = np.random.default_rng(11)
    args = (rng.standard_normal(9), rng.standard_normal(5))
    for mode in ("reverse", "forward"):
        status, message = check(numba_fft, args, mode, "numba")
        assert status == "ok", f"{mode}: {status} {message}"


@pytest.mark.numba
def test_numba_forms_of_two_ranks():
    """One transform form (same axes, norm, lengths) at two ranks in one process: each rank
    gets its own generated implementation (its cropping helper is written for that rank)."""
    pytest.importorskip("rocket_fft")
    import numba

    from ad_compiler.backends import helpers as _rt

    @numba.njit
    def transpose(g, x):
        return _rt.fft_r2c_t(g, x, (4,), axes=(0,), norm="ortho")

    rng = np.random.default_rng(2)
    for shape in ((5,), (5, 3)):
        g, x = rng.standard_normal((2, 3) + shape[1:]), rng.standard_normal(shape)
        want = F.r2c_t(g, x, (4,), axes=(0,), norm="ortho")
        assert np.allclose(transpose(g, x), want)

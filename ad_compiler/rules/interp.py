"""``np.interp(x, xp, fp)``: the piecewise linear function through the points ``(xp, fp)``.

Differentiated in ``x`` (the slope of the segment ``x`` lies on: the right one at a knot, the
last one at ``xp[-1]``, as JAX does; 0 outside ``[xp[0], xp[-1]]``, where ``np.interp`` is
the constant ``fp[0]`` or ``fp[-1]``) and in ``fp`` (linear: each cotangent splits between its
segment's two ends by how far along it ``x`` lies). The knots ``xp`` are data: a derivative
through them is refused, as are ``left=``, ``right=`` and ``period=`` (not accepted).

The two helpers run as NumPy under Numba's object mode (Numba has no ``np.add.at``).
"""

import numpy as np

from ..errors import DifferentiationError
from .numpy_fns import _same
from .table import Syntax, defjvp, defprim, defvjp


def _segments(x, xp):
    """For each ``x``: its segment's first knot ``i`` (``xp[i] <= x < xp[i + 1]``, the first
    or last segment beyond the ends), that segment's width and how far along it ``x`` lies
    (``t`` in [0, 1]: 0 before ``xp[0]``, 1 after ``xp[-1]``)."""
    xp = np.asarray(xp, dtype=float)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(len(xp) - 2, 0))
    if len(xp) < 2:                 # one knot: np.interp is the constant fp[0]
        return i, np.zeros(np.shape(i)), np.zeros(np.shape(i))
    width = xp[i + 1] - xp[i]
    safe = np.where(width > 0, width, 1.0)
    t = np.where(width > 0, (np.asarray(x, dtype=float) - xp[i]) / safe, 1.0)
    return i, width, np.clip(t, 0.0, 1.0)


def interp_slope(x, xp, fp):
    """d np.interp(x, xp, fp) / dx (see the module docstring)."""
    i, width, _ = _segments(x, xp)
    if len(xp) < 2:
        return np.zeros(np.shape(x)) if np.ndim(x) else 0.0
    fp = np.asarray(fp, dtype=float)
    inside = (np.asarray(x) >= xp[0]) & (np.asarray(x) <= xp[-1]) & (width > 0)
    slope = np.where(inside, (fp[i + 1] - fp[i]) / np.where(width > 0, width, 1.0), 0.0)
    return slope if np.ndim(x) else float(slope)


def interp_fp_vjp(g, x, xp, fp):
    """The cotangent of ``fp`` for the cotangent ``g`` of ``np.interp(x, xp, fp)``."""
    i, _, t = _segments(x, xp)
    g = np.broadcast_to(np.asarray(g, dtype=float), np.shape(i))
    out = np.zeros(np.shape(fp))
    np.add.at(out, i, g * (1.0 - t))
    if len(out) > 1:
        np.add.at(out, i + 1, g * t)
    return out


def _knots_refused(*_, **__):
    raise DifferentiationError("the derivative of np.interp in its knots xp is not "
                               "supported (only in x and fp)", construct="interp")


defprim("interp", 3, np.interp, Syntax("call", "np.interp"), numpy="numpy.interp",
        ndim=_same)
defprim("interp_slope", 3, interp_slope, Syntax("helper", "interp_slope"), numba="objmode",
        ndim=_same)
defprim("interp_fp_vjp", 4, interp_fp_vjp, Syntax("helper", "interp_fp_vjp"),
        numba="objmode", ndim=lambda ndims, operands, **attrs: 1)
defvjp("interp", lambda o, g, ans, x, xp, fp: g * o.interp_slope(x, xp, fp), _knots_refused,
       lambda o, g, ans, x, xp, fp: o.interp_fp_vjp(g, x, xp, fp))


def _interp_jvp(o, tangents, ans, x, xp, fp):
    tx, txp, tfp = tangents
    if txp is not None:
        _knots_refused()
    return _sum([tx * o.interp_slope(x, xp, fp) if tx is not None else None,
                 o.interp(x, xp, tfp) if tfp is not None else None])


defjvp("interp", _interp_jvp)


def _sum(terms):
    terms = [t for t in terms if t is not None]
    return None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _slope_jvp(o, tangents, ans, x, xp, fp):
    """Second derivatives: the slope is constant in ``x`` (between knots) and linear in
    ``fp``; ``interp_fp_vjp``'s weights move with ``x`` (refused: not written)."""
    if tangents[1] is not None:
        _knots_refused()
    return None if tangents[2] is None else o.interp_slope(x, xp, tangents[2])


def _fp_vjp_jvp(o, tangents, ans, g, x, xp, fp):
    if tangents[1] is not None or tangents[2] is not None:
        raise DifferentiationError("second derivatives of np.interp in x and fp together "
                                   "are not supported", construct="interp")
    return None if tangents[0] is None else o.interp_fp_vjp(tangents[0], x, xp, fp)


defjvp("interp_slope", _slope_jvp)
defjvp("interp_fp_vjp", _fp_vjp_jvp)

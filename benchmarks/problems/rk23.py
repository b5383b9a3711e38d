"""(h) Adaptive-step RK23 (Bogacki-Shampine) in a ``while`` loop: a damped oscillator
y1' = y2, y2' = -k y1 - c y2 integrated to time T with an error-controlled step size
(rejected steps retried with a smaller h); loss = y1(T)^2 + y2(T)^2. Gradient with respect to
the stiffness k and damping c, through the step-size controller as well (the exact
derivative of the program, as JAX or PyTorch would give it)."""


import numpy as np
from numba import njit

NAME = "rk23"
WRT = (0, 1)
LOOP_STYLE = True
E1, E2, E3, E4 = 2.0 / 9.0 - 7.0 / 24.0, 1.0 / 3.0 - 0.25, 4.0 / 9.0 - 1.0 / 3.0, -0.125


def configs(mode):
    T, tol = {"full": (200.0, 1e-8), "quick": (200.0, 1e-8), "smoke": (2.0, 1e-4)}[mode]
    return [{"label": f"rk23 adaptive T={T:g} tol={tol:g}", "T": T, "tol": tol}]


def make(cfg, rng):
    return (4.0, 0.001, 1.0, 0.0, cfg["T"], cfg["tol"])


def rk23(k, c, y1, y2, T, tol):
    t = 0.0
    h = 0.01
    while t < T:
        a1 = y2
        a2 = -k * y1 - c * y2
        b1 = y2 + 0.5 * h * a2
        b2 = -k * (y1 + 0.5 * h * a1) - c * b1
        c1 = y2 + 0.75 * h * b2
        c2 = -k * (y1 + 0.75 * h * b1) - c * c1
        w1 = y1 + h * (2.0 / 9.0 * a1 + 1.0 / 3.0 * b1 + 4.0 / 9.0 * c1)
        w2 = y2 + h * (2.0 / 9.0 * a2 + 1.0 / 3.0 * b2 + 4.0 / 9.0 * c2)
        d1 = w2
        d2 = -k * w1 - c * w2
        e1 = h * (-5.0 / 72.0 * a1 + 1.0 / 12.0 * b1 + 1.0 / 9.0 * c1 - 0.125 * d1)
        e2 = h * (-5.0 / 72.0 * a2 + 1.0 / 12.0 * b2 + 1.0 / 9.0 * c2 - 0.125 * d2)
        err = abs(e1) + abs(e2) + 1e-30
        if err <= tol:
            t = t + h
            y1 = w1
            y2 = w2
        h = h * min(5.0, max(0.2, 0.9 * (tol / err) ** (1.0 / 3.0)))
        if t + h > T:
            h = T - t
    return y1 * y1 + y2 * y2


VARIANTS = {"loop": rk23}


@njit(cache=False)
def _step(k, c, y1, y2, h):
    """One Bogacki-Shampine attempt: the 3rd-order solution (w1, w2) and the embedded error
    (e1, e2), with the stages the adjoint reads."""
    a1 = y2
    a2 = -k * y1 - c * y2
    u1 = y1 + 0.5 * h * a1
    b1 = y2 + 0.5 * h * a2
    b2 = -k * u1 - c * b1
    v1 = y1 + 0.75 * h * b1
    c1 = y2 + 0.75 * h * b2
    c2 = -k * v1 - c * c1
    s1 = 2.0 / 9.0 * a1 + 1.0 / 3.0 * b1 + 4.0 / 9.0 * c1
    s2 = 2.0 / 9.0 * a2 + 1.0 / 3.0 * b2 + 4.0 / 9.0 * c2
    w1 = y1 + h * s1
    w2 = y2 + h * s2
    d1 = w2
    d2 = -k * w1 - c * w2
    q1 = E1 * a1 + E2 * b1 + E3 * c1 + E4 * d1
    q2 = E1 * a2 + E2 * b2 + E3 * c2 + E4 * d2
    return (a1, a2, u1, b1, b2, v1, c1, c2, s1, s2, w1, w2, d1, d2, q1, q2,
            h * q1, h * q2)


@njit(cache=False)
def _hand(k, c, y1, y2, T, tol):
    # Tape (t, h, y1, y2) at the start of each attempt; recompute the stages in reverse.
    cap = 1024
    tape = np.empty((cap, 4))
    t = 0.0
    h = 0.01
    m = 0
    while t < T:
        if m == cap:
            cap *= 2
            bigger = np.empty((cap, 4))
            bigger[:m] = tape[:m]
            tape = bigger
        tape[m, 0], tape[m, 1], tape[m, 2], tape[m, 3] = t, h, y1, y2
        m += 1
        r = _step(k, c, y1, y2, h)
        err = abs(r[16]) + abs(r[17]) + 1e-30
        if err <= tol:
            t = t + h
            y1 = r[10]
            y2 = r[11]
        h = h * min(5.0, max(0.2, 0.9 * (tol / err) ** (1.0 / 3.0)))
        if t + h > T:
            h = T - t
    by1, by2 = 2.0 * y1, 2.0 * y2
    bt = bh = bk = bc = 0.0
    for n in range(m - 1, -1, -1):
        t0, h0, z1, z2 = tape[n, 0], tape[n, 1], tape[n, 2], tape[n, 3]
        (a1, a2, u1, b1, b2, v1, c1, c2, s1, s2, w1, w2, d1, d2, q1, q2,
         e1, e2) = _step(k, c, z1, z2, h0)
        err = abs(e1) + abs(e2) + 1e-30
        ok = err <= tol
        t1 = t0 + h0 if ok else t0
        q = 0.9 * (tol / err) ** (1.0 / 3.0)
        f = min(5.0, max(0.2, q))
        # h' = T - t1 when clamped, else h0 * f
        if t1 + h0 * f > T:
            bt -= bh
            bh_new, bf = 0.0, 0.0
        else:
            bh_new, bf = bh * f, bh * h0
        berr = 0.0
        if 0.2 < q < 5.0:
            berr = -bf * q / (3.0 * err)
        be1 = berr * (1.0 if e1 > 0 else -1.0)
        be2 = berr * (1.0 if e2 > 0 else -1.0)
        bh0 = bh_new + be1 * q1 + be2 * q2
        bq1, bq2 = be1 * h0, be2 * h0
        bw1 = bw2 = 0.0
        if ok:
            bh0 += bt
            bw1, bw2 = by1, by2
            by1 = by2 = 0.0
        ba1, bb1, bc1, bd1 = E1 * bq1, E2 * bq1, E3 * bq1, E4 * bq1
        ba2, bb2, bc2, bd2 = E1 * bq2, E2 * bq2, E3 * bq2, E4 * bq2
        # d2 = -k w1 - c w2; d1 = w2
        bk -= bd2 * w1
        bc -= bd2 * w2
        bw1 -= k * bd2
        bw2 += bd1 - c * bd2
        # w = y + h s
        by1 += bw1
        by2 += bw2
        bh0 += bw1 * s1 + bw2 * s2
        bs1, bs2 = h0 * bw1, h0 * bw2
        ba1 += 2.0 / 9.0 * bs1
        bb1 += 1.0 / 3.0 * bs1
        bc1 += 4.0 / 9.0 * bs1
        ba2 += 2.0 / 9.0 * bs2
        bb2 += 1.0 / 3.0 * bs2
        bc2 += 4.0 / 9.0 * bs2
        # c2 = -k v1 - c c1; c1 = y2 + .75 h b2; v1 = y1 + .75 h b1
        bk -= bc2 * v1
        bc -= bc2 * c1
        bv1 = -k * bc2
        bc1 -= c * bc2
        by2 += bc1
        bh0 += 0.75 * (bc1 * b2 + bv1 * b1)
        bb2 += 0.75 * h0 * bc1
        by1 += bv1
        bb1 += 0.75 * h0 * bv1
        # b2 = -k u1 - c b1; b1 = y2 + .5 h a2; u1 = y1 + .5 h a1
        bk -= bb2 * u1
        bc -= bb2 * b1
        bu1 = -k * bb2
        bb1 -= c * bb2
        by2 += bb1
        bh0 += 0.5 * (bb1 * a2 + bu1 * a1)
        ba2 += 0.5 * h0 * bb1
        by1 += bu1
        ba1 += 0.5 * h0 * bu1
        # a2 = -k y1 - c y2; a1 = y2
        bk -= ba2 * z1
        bc -= ba2 * z2
        by1 -= k * ba2
        by2 += ba1 - c * ba2
        bh = bh0
    return bk, bc


def hand(k, c, y1, y2, T, tol):
    return _hand(k, c, y1, y2, T, tol)

"""(a) The ADBench Gaussian-mixture objective (Srajer, Kukelova, Fitzgibbon 2018, sec. 3.1):
inverse covariance factors Q_k = diag(exp(icf[k, :d])) + strictly lower triangle filled
column-major from icf[k, d:], a Wishart prior (gamma, m), and

  f = -n d/2 log(2 pi) + sum_i logsumexp_k(alpha_k + sum(icf[k, :d]) - |Q_k (x_i - mu_k)|^2 / 2)
      - n logsumexp(alpha) + sum_k [gamma^2/2 (|exp(icf[k,:d])|^2 + |icf[k,d:]|^2)
      - m sum(icf[k,:d])] - K C(d, gamma, m).

Gradient with respect to (alphas, means, icf)."""

import math

import numpy as np
from numba import njit

NAME = "gmm"
WRT = (0, 1, 2)
LOOP_STYLE = False       # dense at d=64: the no-slower-than-JAX goal applies


def configs(mode):
    if mode == "smoke":
        return [{"label": "gmm d=3 K=4 n=10", "d": 3, "K": 4, "n": 10}]
    n_big = 1000 if mode == "full" else 200
    return [{"label": "gmm d=10 K=25 n=1000", "d": 10, "K": 25, "n": 1000},
            {"label": f"gmm d=64 K=100 n={n_big}", "d": 64, "K": 100, "n": n_big}]


def make(cfg, rng):
    d, K, n = cfg["d"], cfg["K"], cfg["n"]
    icf = 0.1 * rng.standard_normal((K, d + d * (d - 1) // 2))
    gamma, m = 1.0, 0.0
    # log of the multivariate gamma function Gamma_d((d + m + 1) / 2) of the Wishart
    # constant: computed here because ad_compiler has no rule for math.lgamma (reported)
    lgd = 0.25 * d * (d - 1) * math.log(math.pi) + sum(
        math.lgamma(0.5 * (d + m + 1.0) + 0.5 * (1 - j)) for j in range(1, d + 1))
    return (rng.standard_normal(K), rng.standard_normal((K, d)), icf,
            rng.standard_normal((n, d)), gamma, m, lgd)


def gmm(alphas, means, icf, x, wishart_gamma, wishart_m, lgd):
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    nicf = icf.shape[1]
    sum_qs = np.zeros(K)
    for k in range(K):
        s = 0.0
        for j in range(d):
            s = s + icf[k, j]
        sum_qs[k] = s
    main = np.zeros(K)
    slse = 0.0
    for i in range(n):
        for k in range(K):
            sq = 0.0
            for j in range(d):
                s = math.exp(icf[k, j]) * (x[i, j] - means[k, j])
                for c in range(j):
                    s = s + icf[k, d + c * (2 * d - c - 1) // 2 + j - c - 1] * (x[i, c] - means[k, c])
                sq = sq + s * s
            main[k] = alphas[k] + sum_qs[k] - 0.5 * sq
        mx = main[0]
        for k in range(1, K):
            if main[k] > mx:
                mx = main[k]
        se = 0.0
        for k in range(K):
            se = se + math.exp(main[k] - mx)
        slse = slse + mx + math.log(se)
    amx = alphas[0]
    for k in range(1, K):
        if alphas[k] > amx:
            amx = alphas[k]
    ase = 0.0
    for k in range(K):
        ase = ase + math.exp(alphas[k] - amx)
    lse_alphas = amx + math.log(ase)
    prior = 0.0
    for k in range(K):
        frob = 0.0
        for j in range(d):
            frob = frob + math.exp(2.0 * icf[k, j])
        for j in range(d, nicf):
            frob = frob + icf[k, j] * icf[k, j]
        prior = prior + 0.5 * wishart_gamma * wishart_gamma * frob - wishart_m * sum_qs[k]
    nn = d + wishart_m + 1.0
    C = nn * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0)) - lgd
    return -n * d * 0.5 * math.log(2.0 * math.pi) + slse - n * lse_alphas + prior - K * C


def gmm_vec(alphas, means, icf, x, wishart_gamma, wishart_m, lgd):
    # Loops over points and components, vectorised inner parts (what fails today is reported).
    n = x.shape[0]
    d = x.shape[1]
    K = alphas.shape[0]
    sum_qs = np.sum(icf[:, :d], axis=1)
    slse = 0.0
    main = np.zeros(K)
    for i in range(n):
        for k in range(K):
            xc = x[i] - means[k]
            Qxc = np.exp(icf[k, :d]) * xc
            for c in range(d):
                lo = d + c * (2 * d - c - 1) // 2
                Qxc[c + 1:] = Qxc[c + 1:] + icf[k, lo:lo + d - c - 1] * xc[c]
            main[k] = alphas[k] + sum_qs[k] - 0.5 * np.dot(Qxc, Qxc)
        mx = np.max(main)
        slse = slse + mx + np.log(np.sum(np.exp(main - mx)))
    amx = np.max(alphas)
    lse_alphas = amx + np.log(np.sum(np.exp(alphas - amx)))
    frob = np.sum(np.exp(2.0 * icf[:, :d])) + np.sum(icf[:, d:] ** 2)
    prior = 0.5 * wishart_gamma ** 2 * frob - wishart_m * np.sum(sum_qs)
    nn = d + wishart_m + 1.0
    C = nn * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0)) - lgd
    return -n * d * 0.5 * math.log(2.0 * math.pi) + slse - n * lse_alphas + prior - K * C


VARIANTS = {"loop": gmm, "vectorised inner": gmm_vec}


@njit(cache=False)
def _hand(alphas, means, icf, x, wishart_gamma, wishart_m, lgd):
    n, d = x.shape
    K = alphas.shape[0]
    nicf = icf.shape[1]
    ga = np.zeros(K)
    gm = np.zeros((K, d))
    gi = np.zeros((K, nicf))
    sum_qs = np.zeros(K)
    Q = np.exp(icf[:, :d])
    for k in range(K):
        sum_qs[k] = np.sum(icf[k, :d])
    XC = np.empty((K, d))
    S = np.empty((K, d))
    main = np.empty(K)
    bxc = np.empty(d)
    gsq = np.zeros(K)
    for i in range(n):
        for k in range(K):
            sq = 0.0
            for j in range(d):
                XC[k, j] = x[i, j] - means[k, j]
            for j in range(d):
                s = Q[k, j] * XC[k, j]
                for c in range(j):
                    s += icf[k, d + c * (2 * d - c - 1) // 2 + j - c - 1] * XC[k, c]
                S[k, j] = s
                sq += s * s
            main[k] = alphas[k] + sum_qs[k] - 0.5 * sq
        mx = np.max(main)
        se = 0.0
        for k in range(K):
            se += math.exp(main[k] - mx)
        for k in range(K):
            w = math.exp(main[k] - mx) / se
            ga[k] += w
            gsq[k] += w
            for j in range(d):
                bxc[j] = 0.0
            for j in range(d):
                bs = -w * S[k, j]                     # d(-0.5 s^2) = -s
                gi[k, j] += bs * Q[k, j] * XC[k, j]
                bxc[j] += bs * Q[k, j]
                for c in range(j):
                    idx = d + c * (2 * d - c - 1) // 2 + j - c - 1
                    gi[k, idx] += bs * XC[k, c]
                    bxc[c] += bs * icf[k, idx]
            for j in range(d):
                gm[k, j] -= bxc[j]
    amx = np.max(alphas)
    ase = np.sum(np.exp(alphas - amx))
    g2 = wishart_gamma * wishart_gamma
    for k in range(K):
        ga[k] -= n * math.exp(alphas[k] - amx) / ase
        for j in range(d):
            gi[k, j] += gsq[k] + g2 * Q[k, j] * Q[k, j] - wishart_m
        for j in range(d, nicf):
            gi[k, j] += g2 * icf[k, j]
    return ga, gm, gi


def hand(*args):
    return _hand(*args)


def _tri_index(d):
    idx = np.zeros(d * d, dtype=np.int64)
    p = 0
    for c in range(d):
        for r in range(c + 1, d):
            idx[r * d + c] = p + 1
            p += 1
    return idx


def _vec(xp, cat, zeros, lse, cfg):
    idx = _tri_index(cfg["d"])

    def f(alphas, means, icf, x, wishart_gamma, wishart_m, lgd):
        n, d = x.shape
        K = alphas.shape[0]
        sum_qs = xp.sum(icf[:, :d], 1)
        Qdiag = xp.exp(icf[:, :d])
        L = cat([zeros(K), icf[:, d:]])[:, idx].reshape(K, d, d)
        xc = x[:, None, :] - means[None, :, :]
        Lxc = Qdiag[None] * xc + xp.einsum("kjc,nkc->nkj", L, xc)
        main = alphas[None] + sum_qs[None] - 0.5 * xp.sum(Lxc * Lxc, 2)
        slse = xp.sum(lse(main, 1))
        frob = xp.sum(Qdiag * Qdiag) + xp.sum(icf[:, d:] ** 2)
        prior = 0.5 * wishart_gamma ** 2 * frob - wishart_m * xp.sum(sum_qs)
        nn = d + wishart_m + 1.0
        C = nn * d * (math.log(wishart_gamma) - 0.5 * math.log(2.0)) - lgd
        return (-n * d * 0.5 * math.log(2.0 * math.pi) + slse - n * lse(alphas, 0)
                + prior - K * C)
    return f


def make_jax(cfg):
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp
    f = _vec(jnp, lambda xs: jnp.concatenate(xs, 1), lambda K: jnp.zeros((K, 1)),
             lambda a, ax: logsumexp(a, axis=ax), cfg)
    g = jax.jit(jax.grad(f, argnums=(0, 1, 2)), static_argnums=(4, 5, 6))
    return lambda *a: g(*map(jnp.asarray, a[:4]), *a[4:]), "vectorised (einsum)"


def make_torch(cfg):
    import torch
    f = _vec(torch, lambda xs: torch.cat(xs, 1),
             lambda K: torch.zeros((K, 1), dtype=torch.float64),
             lambda a, ax: torch.logsumexp(a, ax), cfg)

    def grad(*a):
        ts = [torch.tensor(v, requires_grad=i < 3) for i, v in enumerate(a[:4])]
        f(*ts, *a[4:]).backward()
        return tuple(t.grad.numpy() for t in ts[:3])
    return grad, "vectorised (einsum)"


def make_autograd(cfg):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
    f = _vec(anp, lambda xs: anp.concatenate(xs, 1), lambda K: anp.zeros((K, 1)),
             lambda a, ax: logsumexp(a, axis=ax), cfg)
    return autograd.grad(f, argnum=(0, 1, 2)), "vectorised (einsum)"


SLOW_TOOLS = set()

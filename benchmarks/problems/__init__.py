"""One module per benchmark problem. Each defines NAME, WRT, LOOP_STYLE, configs(mode),
make(cfg, rng) -> args, VARIANTS (user-style functions for ``ad.grad``; the first is the
loop form whose ``numba.njit`` is the baseline), hand(*args) (a hand-written Numba adjoint),
make_jax/make_torch/make_autograd/make_tangent(cfg) -> (grad_fn, style) where available,
SLOW_TOOLS and truncate(args, cap) for tools timed on a shortened problem in --quick."""

from . import (csr_iteration, gmm, graph_laplacian, heat, heat2d, jacobi, kepler, mlp, nbody,
               pendulum, rk23, rosenbrock)

PROBLEMS = [gmm, pendulum, rosenbrock, mlp, kepler, heat, jacobi, graph_laplacian, csr_iteration,
            nbody, heat2d, rk23]

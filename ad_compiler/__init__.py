"""ad_compiler: source-transformation automatic differentiation for numerical Python.

Two halves, one table of derivative rules:

* the compiler (``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``, ``hessian``,
  ``hvp``, ``show``): Python source -> SSA IR -> derivative IR -> Python source -> Numba;
* the runtime (``tensor``, ``Tensor``, ``autograd``, ``no_grad``, ``nn``, ``optim`` ...):
  Tensors with PyTorch's autograd semantics; ``jit`` puts a compiled function into its graph.
"""

from . import runtime as _runtime
from .runtime import *  # noqa: F401,F403  (tensor, Tensor, autograd, nn, optim, sum, exp ...)
from .api import DerivativeFunction, grad, show, value_and_grad, vjp
from .errors import CompilationError, DifferentiationError
from .functional import custom_jvp, custom_vjp, defjvp, defvjp, hessian, hvp, jacobian, jvp
from .runtime.compiled import jit
from . import dask  # noqa: E402  (ad.dask.value_and_grad; imports Dask only when called)

__version__ = "0.1.0"

__all__ = [*_runtime.__all__, "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian",
           "hvp", "show", "jit", "dask", "custom_vjp", "custom_jvp", "defvjp", "defjvp",
           "DerivativeFunction", "DifferentiationError", "CompilationError", "__version__"]

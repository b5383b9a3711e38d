"""ad_compiler: source-transformation automatic differentiation for numerical Python."""

from .errors import CompilationError, DifferentiationError

__version__ = "0.1.0"

__all__ = ["DifferentiationError", "CompilationError", "__version__"]

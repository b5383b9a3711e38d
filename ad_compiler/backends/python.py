"""The python backend: generated source -> an imported module (plain Python, no Numba).

The source is written to a real file in the cache directory (:mod:`.cache`), so tracebacks
and debuggers show the generated lines, and imported from there. The numba backend loads its
modules the same way before wrapping their functions with ``numba.njit``.
"""

from .cache import load_module

__all__ = ["load_module"]

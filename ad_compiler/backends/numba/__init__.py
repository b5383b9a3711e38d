"""The Numba implementations of the rule table's primitives, registered as
``numba.extending.overload`` on the Python bodies that generated code calls (``_rt.NAME``).

Importing this package registers every overload (compiled lazily, the first time a jitted
caller is typed). One module per family: :mod:`.core` (where, broadcasting), :mod:`.direct`
(zeros, tapes, trip counts: lowered in place), :mod:`.bounds` (index checks),
:mod:`.reductions`, :mod:`.shapes`, :mod:`.fft` (np.fft through rocket-fft), :mod:`.special`, :mod:`.numpy_fns` (the functions of
the NumPy records that Numba lacks or types differently). The disk-cache key hashes every
file of this package (:func:`ad_compiler.backends.cache.version_tag`).
"""

from . import bounds, core, direct, fft, numpy_fns, reductions, shapes, special  # noqa: F401  (register them)

"""The golden tests' functions: the typical functions of benchmarks/typical.py."""
from benchmarks.typical import CASES, sample_args  # noqa: F401

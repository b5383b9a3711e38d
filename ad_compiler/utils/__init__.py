"""``ad.utils``: the data helpers of PyTorch's training loops (``ad.utils.data``)."""

from . import data  # noqa: F401

"""``ad.dask``: the gradient of a sum over the rows of a chunked dataset, computed where the
chunks are.

When ``f(params, data, ...)`` is a sum over the rows of ``data`` (a loss summed over
samples), its value and gradient are sums of the same function over row blocks. So:
each chunk's ``(value, gradient)`` comes from the compiled derivative running in a Dask
worker (derivative functions pickle by reference and load their machine code from the disk
cache there), and the per-chunk results are summed pairwise in a tree, on whatever
scheduler is active (threads, processes or a ``distributed.Client``). Any other Dask-array
argument with the same leading chunks as ``data`` is split alike (targets ``y`` next to
inputs ``X``); everything else is sent whole to every chunk.

Dask is an optional dependency: ``pip install ad_compiler[dask]``.
"""

from __future__ import annotations

from .api import value_and_grad as _value_and_grad
from .pytree import flatten, unflatten

__all__ = ["value_and_grad", "grad"]


def _dask():
    try:
        import dask
        import dask.array
    except ImportError:
        raise ImportError("ad.dask needs Dask: pip install ad_compiler[dask]") from None
    return dask


def _add(a, b):
    """The sum of two results of the same structure (floats, arrays, pytrees of them)."""
    la, tree = flatten(a)
    lb, _ = flatten(b)
    return unflatten(tree, [x + y for x, y in zip(la, lb)])


def _tree_sum(parts, delayed):
    while len(parts) > 1:
        pairs = [delayed(_add)(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def _row_blocks(array):
    """The delayed row blocks of a Dask array chunked along axis 0 only."""
    if array.ndim > 1 and any(len(c) > 1 for c in array.chunks[1:]):
        array = array.rechunk({axis: -1 for axis in range(1, array.ndim)})
    return list(array.to_delayed().reshape(-1))


def value_and_grad(f, wrt=0, over=1, **options):
    """A function of ``f``'s arguments returning ``(f(*args), gradient)`` for Dask-array data
    in argument ``over`` (chunked along axis 0; ``f`` a sum over its rows), computed chunk by
    chunk in the workers and tree-summed. ``wrt`` and ``options`` as for ``ad.value_and_grad``
    (``backend``, ``fastmath``, ``checkpoint``)."""
    d = _value_and_grad(f, wrt, **options)
    names = d.pipeline.signature
    over_index = names.wrt(over)[0][0]

    def run(*args, **kwargs):
        dask = _dask()
        import dask.array as da

        values = names.bind(args, kwargs)
        data = values[over_index]
        if not isinstance(data, da.Array):
            return d(*values)
        split = [i for i, v in enumerate(values) if isinstance(v, da.Array)
                 and v.chunks[0] == data.chunks[0]]
        blocks = {i: _row_blocks(values[i]) for i in split}
        whole = [dask.delayed(v) if isinstance(v, da.Array) else v for v in values]
        parts = []
        for k in range(len(data.chunks[0])):
            chunk_args = [blocks[i][k] if i in blocks else whole[i] for i in range(len(values))]
            parts.append(dask.delayed(d, pure=True)(*chunk_args))
        (total,) = dask.compute(_tree_sum(parts, dask.delayed))
        return total

    run.derivative = d
    return run


def grad(f, wrt=0, over=1, **options):
    """The gradient part of :func:`value_and_grad`."""
    vg = value_and_grad(f, wrt, over, **options)

    def run(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    run.derivative = vg.derivative
    return run

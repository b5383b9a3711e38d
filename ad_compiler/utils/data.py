"""A minimal ``ad.utils.data``: ``Dataset``, ``TensorDataset`` and ``DataLoader`` (batches in
order or shuffled by ``ad``'s generator, stacked per field), as the training loops of the
lecture notes use them."""

from __future__ import annotations

import numbers

import numpy as np

from ..runtime.tensor import Tensor, default_generator, stack, tensor


class Dataset:
    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset):
    """Samples are ``(t[i] for t in tensors)``; every tensor has the same first size."""

    def __init__(self, *tensors):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


def default_collate(batch):
    """Stack a list of samples field by field (Tensors stacked, numbers made a Tensor)."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, numbers.Number):
        return tensor(batch)
    if isinstance(first, np.ndarray):
        return tensor(np.stack(batch))
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        return [default_collate(list(f)) for f in zip(*batch)]
    return batch


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size``."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None, **kwargs):
        if sampler is not None or batch_sampler is not None or num_workers:
            raise NotImplementedError("ad.utils.data.DataLoader supports batch_size, shuffle, "
                                      "drop_last, collate_fn and generator only")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn or default_collate
        self.generator = generator

    def _order(self):
        n = len(self.dataset)
        if self.shuffle:
            return (self.generator or default_generator)._rng.permutation(n)
        return np.arange(n)

    def __iter__(self):
        order = self._order()
        step = self.batch_size or 1
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            if self.drop_last and len(idx) < step:
                return
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
                yield [t[tensor(idx)] for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

"""Random programs of views and in-place ops (the class behind CopySlices; the generator is
``view_program`` in conformance/snippets.py, where PyTorch's results are recorded too),
checked against central finite differences: every gradient must be right, or the program
must raise PyTorch's in-place error (never a wrong number)."""

import numpy as np
import pytest

import ad_compiler as ad
from tests.runtime.conformance.snippets import view_program, view_program_input


def _value(seed, arr):
    with ad.no_grad():
        return view_program(ad, seed, ad.from_numpy(arr.copy())).item()


@pytest.mark.parametrize("seed", range(80))
def test_random_view_programs(seed, eps=1e-6):
    arr = np.array(view_program_input(seed))
    x = ad.tensor(arr, requires_grad=True)
    try:
        view_program(ad, seed, x).backward()
    except RuntimeError as e:                # PyTorch refuses these too (a saved value stale)
        assert "modified by an inplace operation" in str(e)
        return
    expected = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        hi, lo = arr.copy(), arr.copy()
        hi[idx] += eps
        lo[idx] -= eps
        expected[idx] = (_value(seed, hi) - _value(seed, lo)) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-6, rtol=1e-5)

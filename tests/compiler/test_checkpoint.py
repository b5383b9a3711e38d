"""Checkpointing (``ad.grad(f, checkpoint=C)``): gradients equal the full-tape ones and finite
differences for every segment length, and the tapes hold O(n/C + C) entries, not O(n)."""

import math
import tracemalloc

import numpy as np
import pytest

import _checkpoint_functions as F
import ad_compiler as ad
from ad_compiler.backends import helpers
from fdcheck import fd_grad

OBS = np.cos(np.arange(50) * 0.1) * 0.8

CASES = {
    "pendulum": (F.pendulum, (9.0, 0.1, 0.7, OBS, 0.01), (0, 1, 2)),
    "branch": (F.branchy, (0.7, 0.3, 23), (0, 1)),
    "negative_step": (F.strided, (0.4, 0.6, 40), (0, 1)),
    "array_loads_stores": (F.array_recurrence, (np.linspace(0.1, 1.0, 17), 0.7), (0, 1)),
    "array_overwritten_each_step": (F.array_inplace_sweeps,
                                    (np.sin(np.linspace(0.0, 3.0, 9)), 0.2, 13), (0, 1)),
    "nested_for": (F.nested, (0.3, np.array([0.5, -0.7, 1.1]), 11, 3), (0, 1)),
    "while_inside": (F.with_while, (0.9, 0.6, 14), (0, 1)),
    "accumulate_only": (F.accumulate_only, (0.3, 20), (0,)),
    "two_loops": (F.two_loops, (0.3, 0.8, 15), (0, 1)),
    "carried_array": (F.carried_array, (np.linspace(0.1, 1.0, 4), 17), (0,)),
    "inplace_array_state": (F.inplace_state, (np.linspace(0.1, 1.0, 4), 17), (0,)),
    "row_view_written": (F.row_view_written, (np.linspace(-0.9, 0.9, 15).reshape(3, 5), 0.7,
                                              9), (0, 1)),
    "whole_slice_rewritten": (F.whole_slice_rewritten, (np.linspace(0.1, 1.0, 5), 0.3, 9),
                              (0, 1)),
}
# 1, a divisor of a trip count (50, 40), a non-divisor, more than the trip count, automatic
SEGMENTS = [1, 5, 7, 1000, "auto", True]


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _close(got, expected, tol):
    for g, e in zip(got, expected):
        scale = max(1.0, float(np.max(np.abs(e))))
        assert float(np.max(np.abs(np.asarray(g) - e))) <= tol * scale, (got, expected)


@pytest.mark.parametrize("segment", SEGMENTS, ids=str)
@pytest.mark.parametrize("name", list(CASES))
def test_matches_full_tape_and_finite_differences(name, segment):
    f, args, wrt = CASES[name]
    full = ad.grad(f, wrt=wrt, backend="python")(*_copies(args))
    d = ad.grad(f, wrt=wrt, backend="python", checkpoint=segment)
    got = d(*_copies(args))
    _close(got, full, 1e-12)
    _close(got, [fd_grad(f, args, i) for i in wrt], 1e-6)
    assert "checkpoint=" in d.source.splitlines()[4]


@pytest.mark.numba
@pytest.mark.parametrize("name", ["pendulum", "array_overwritten_each_step", "while_inside",
                                  "nested_for"])
def test_numba(name):
    f, args, wrt = CASES[name]
    full = ad.grad(f, wrt=wrt, backend="python")(*_copies(args))
    for segment in (3, "auto"):
        got = ad.grad(f, wrt=wrt, backend="numba", checkpoint=segment)(*_copies(args))
        _close(got, full, 1e-12)


def test_value_and_arguments_unchanged():
    f, args, wrt = CASES["array_loads_stores"]
    x = args[0].copy()
    value, grads = ad.value_and_grad(f, wrt=wrt, backend="python", checkpoint=4)(x, args[1])
    expected_value, expected = ad.value_and_grad(f, wrt=wrt, backend="python")(
        *_copies(args))
    _close(grads, expected, 1e-12)
    assert value == pytest.approx(expected_value, rel=1e-13)
    left = _copies(args)
    f(*left)
    np.testing.assert_array_equal(x, left[0])   # as calling f leaves it (issue 11)


def test_default_source_has_no_segments():
    f, _, wrt = CASES["pendulum"]
    assert "_seg" not in ad.grad(f, wrt=wrt, backend="python").source
    assert "_seg" in ad.grad(f, wrt=wrt, backend="python", checkpoint="auto").source


@pytest.mark.parametrize("bad", [0, -3, 2.5, "sqrt"])
def test_invalid_checkpoint(bad):
    with pytest.raises(ValueError):
        ad.grad(F.pendulum, backend="python", checkpoint=bad)


def _tape_entries(monkeypatch, f, args, wrt=(0, 1, 2), **kw):
    """Run the python backend recording the capacity of every tape allocated."""
    sizes = []
    tape, tape_of_arrays = helpers.tape, helpers.tape_of_arrays

    def recording(alloc):
        def wrapped(n, like):
            t = alloc(n, like)
            sizes.append(t.size)
            return t
        return wrapped

    monkeypatch.setattr(helpers, "tape", recording(tape))
    monkeypatch.setattr(helpers, "tape_of_arrays", recording(tape_of_arrays))
    grads = ad.grad(f, wrt=wrt, backend="python", **kw)(*args)
    return sizes, grads


def _pendulum_args(n):
    t = np.arange(1, n + 1) * 1e-3
    return (9.0, 0.1, 0.7, 0.8 * np.cos(3.0 * t), 1e-3)


def test_tape_memory_is_bounded(monkeypatch):
    n = 100_000
    checkpointed, _ = _tape_entries(monkeypatch, F.pendulum, _pendulum_args(n),
                                    checkpoint="auto")
    side = math.ceil(math.sqrt(n))
    # 3 snapshots of n / C segments, 2 tapes of C entries (the full tape: 2 n entries,
    # theta and v; sin(theta) is recomputed)
    assert sum(checkpointed) <= 6 * side + 6, checkpointed
    full, _ = _tape_entries(monkeypatch, F.pendulum, _pendulum_args(1000))
    assert sum(full) == 2 * 1000


@pytest.mark.parametrize("f", [F.carried_array, F.inplace_state], ids=lambda f: f.__name__)
def test_array_state_tapes_are_sized_to_the_segments(monkeypatch, f):
    n, m = 400, 5
    args = (np.linspace(0.1, 1.0, m), n)
    checkpointed, grads = _tape_entries(monkeypatch, f, args, wrt=(0,), checkpoint="auto")
    side = math.ceil(math.sqrt(n))
    # one snapshot of the state per segment, one segment of re-run tape (the full: n states)
    assert sum(checkpointed) <= 2 * side * m + m, checkpointed
    full, expected = _tape_entries(monkeypatch, f, args, wrt=(0,))
    _close(grads, expected, 1e-12)
    assert sum(full) >= n * m, full


def test_peak_memory_of_a_run():
    n = 8_000
    args = _pendulum_args(n)
    peaks, grads = [], []
    for kw in ({}, {"checkpoint": "auto"}):
        d = ad.grad(F.pendulum, wrt=(0, 1, 2), backend="python", **kw)
        d(*args[:3], args[3][:10], args[4])     # compiled before measuring
        tracemalloc.start()
        grads.append(d(*args))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    _close(grads[1], grads[0], 1e-12)
    assert peaks[0] >= 2 * 8 * n       # two tapes of n floats
    assert peaks[1] < 2 * 8 * n // 8, peaks


def _reverse_cases():
    import rev_cases
    return [c for c in rev_cases.CASES if not c.xfail and any(
        isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype == np.float64)
        for a in c.args)]


@pytest.mark.parametrize("case", _reverse_cases(), ids=lambda c: c.name)
def test_reverse_suite_unchanged_by_checkpointing(case):
    """Every function of the reverse suite: segments of 2 give the full tape's gradient."""
    wrt = tuple(i for i, a in enumerate(case.args) if isinstance(a, float) or (
        isinstance(a, np.ndarray) and a.dtype == np.float64))
    full = ad.grad(case.fn, wrt=wrt, backend="python")(*_copies(case.args))
    got = ad.grad(case.fn, wrt=wrt, backend="python", checkpoint=2)(*_copies(case.args))
    _close(got, full, 1e-12)

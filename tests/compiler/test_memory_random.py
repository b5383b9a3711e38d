"""Random array programs (tests/compiler/memgen.py): aliases, views, swaps, helpers writing
into their arguments, branches and whiles in loops. Each is checked in reverse and forward
mode against calling it and against central differences; a wrong number or a crash inside
the compiler fails the test, a refusal (ad.DifferentiationError) is allowed."""
import pytest

import memgen


def _assert_clean(counts, failures):
    assert not failures, "\n".join(
        f"seed {seed}: {outcome}: {detail}\n{memgen.program(seed)}"
        for seed, outcome, detail in failures[:3])
    assert counts["ok"] >= len(list(counts.elements())) // 2, counts   # mostly differentiated


@pytest.mark.parametrize("start", [0, 75])
def test_random_array_programs_python(start):
    counts, _, failures = memgen.run(75, "python", start=start, verbose=False)
    _assert_clean(counts, failures)


@pytest.mark.numba
def test_random_array_programs_numba():
    counts, _, failures = memgen.run(5, "numba", start=1000, verbose=False)
    _assert_clean(counts, failures)

"""Golden tests: the generated adjoint text of typical functions, pinned in files.

Every change to the reverse transform, the clean-up pass or the printer shows as a readable
diff of ``tests/golden/expected/<name>.py``. After an intended change, regenerate with

    AD_COMPILER_UPDATE_GOLDEN=1 python -m pytest tests/golden

and review the diff like code. Each function's gradient is also checked against central
finite differences, so a pinned text is never a wrong one.
"""
import os

import numpy as np
import pytest

import ad_compiler as ad
from fdcheck import assert_close, fd_grad
from _functions import CASES, sample_args

EXPECTED = os.path.join(os.path.dirname(__file__), "expected")
UPDATE = os.environ.get("AD_COMPILER_UPDATE_GOLDEN") == "1"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generated(name):
    f, wrt = CASES[name]
    text = ad.grad(f, wrt=wrt, backend="python").source
    # the header names the file it came from: pin the text, not the checkout's location
    return text.replace(ROOT + os.sep, "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_adjoint_matches_golden_text(name):
    path = os.path.join(EXPECTED, f"{name}.py")
    text = generated(name)
    if UPDATE or not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(text)
        if not UPDATE:
            pytest.fail(f"no golden text for {name}: written {path}, review and commit it")
    with open(path) as fh:
        expected = fh.read()
    assert text == expected, (f"generated adjoint of {name} changed; if intended, "
                              f"regenerate with AD_COMPILER_UPDATE_GOLDEN=1")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_functions_match_finite_differences(name):
    f, wrt = CASES[name]
    args = sample_args(name, np.random.default_rng(0))
    wrt_tuple = wrt if isinstance(wrt, tuple) else (wrt,)
    got = ad.grad(f, wrt=wrt, backend="python")(*[np.copy(a) if isinstance(a, np.ndarray)
                                                  else a for a in args])
    got = got if isinstance(wrt, tuple) else (got,)
    for g, i in zip(got, wrt_tuple):
        assert_close(g, fd_grad(f, tuple(args), i), f"{name} wrt={i}")

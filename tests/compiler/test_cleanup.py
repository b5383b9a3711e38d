"""The clean-up pass keeps what the generated adjoint computes: for every function of the
reverse-mode suite, the derivative code before clean-up (straight from adjoint generation)
and after it are run on the same inputs and must agree, so a clean-up bug shows here as
itself, not as a finite-difference mismatch somewhere else. The clean-up must also pay:
fewer generated lines on the golden functions."""
import numpy as np
import pytest

import ad_compiler as ad
from ad_compiler.backends.emit import emit_module
from ad_compiler.backends.python import load_module
from ad_compiler.transforms.reverse import reverse_stages
from fdcheck import float_positions
from rev_cases import CASES


def _run(fn_ir, name, args, free, seeds):
    module = load_module(emit_module([fn_ir]), f"adc_cleanup_{name}")
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    return getattr(module, fn_ir.name)(*copies, *free, *seeds)


def _stages(case):
    wrt = tuple(float_positions(case.args))
    d = ad.grad(case.fn, wrt=wrt, backend="python")
    primal = d.stage_for(d.prepare(case.args)).special
    return d, dict(reverse_stages(primal, d.wrt, restart_whiles=True))


@pytest.mark.parametrize("case", [c for c in CASES if not c.xfail and float_positions(c.args)],
                         ids=lambda c: c.name)
def test_cleanup_keeps_the_adjoints_results(case):
    d, stages = _stages(case)
    seeds = [1.0] * len(d.primal_ir.body.yields)
    free = d.prepare(case.args).free
    before = _run(stages["adjoint"], case.name + "_before", case.args, free, seeds)
    after = _run(stages["cleaned"], case.name + "_after", case.args, free, seeds)
    assert len(before) == len(after)
    for b, a in zip(before, after):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64),
                                   np.asarray(b, dtype=np.float64), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("case", [c for c in CASES if not c.xfail and float_positions(c.args)],
                         ids=lambda c: c.name)
def test_gradients_only_adjoint_keeps_the_gradients(case):
    """What ``grad`` compiles (the vjp less its value, when the output is a scalar by its
    kinds, its seed read as the constant 1.0) returns the full vjp's gradients."""
    from ad_compiler.pipeline import static_scalar
    from ad_compiler.transforms.cleanup import cleanup

    d, stages = _stages(case)
    outputs = d.stage_for(d.prepare(case.args)).special.body.yields
    if not static_scalar(outputs):
        pytest.skip("not a scalar output by its kinds: grad keeps the value")
    seeds = [1.0] * len(outputs)
    free = d.prepare(case.args).free
    full = _run(stages["cleaned"], case.name + "_full", case.args, free, seeds)
    grads = _run(cleanup(stages["adjoint"], drop_outputs=len(outputs), unit_seeds=len(outputs)),
                 case.name + "_grads", case.args, free, seeds)
    assert len(grads) == len(full) - len(outputs)
    for g, f in zip(grads, full[len(outputs):]):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(f))


def test_cleanup_shortens_the_generated_code():
    from ad_compiler.backends.emit import emit_function

    def lines(fn):
        return sum(1 for line in emit_function(fn).splitlines()
                   if line.strip() and not line.strip().startswith("#"))

    total_before = total_after = 0
    for case in CASES[:40]:
        if case.xfail or not float_positions(case.args):
            continue
        _, stages = _stages(case)
        total_before += lines(stages["adjoint"])
        total_after += lines(stages["cleaned"])
    assert total_after < 0.85 * total_before, (total_before, total_after)


@pytest.mark.parametrize("case", [c for c in CASES if not c.xfail and float_positions(c.args)],
                         ids=lambda c: c.name)
def test_sunk_constants_are_settled(case):
    """Constants sink to one settled order in one run (name order before the statement they
    land before): a second run moves nothing, so the clean-up's rounds do not go on for a
    constant changing places (a 2,000-line gradient spent two of its six rounds on that)."""
    from ad_compiler.frontend.ir import copy_ir
    from ad_compiler.transforms.cleanup import _sink_constants

    _, stages = _stages(case)
    adjoint = copy_ir(stages["adjoint"])
    _sink_constants(adjoint.body)
    assert not _sink_constants(adjoint.body)
    assert not _sink_constants(copy_ir(stages["cleaned"]).body)


@pytest.mark.parametrize("case", [c for c in CASES if not c.xfail and float_positions(c.args)],
                         ids=lambda c: c.name)
def test_a_pass_that_finds_nothing_leaves_the_code_as_it_was(case):
    """The clean-up's rounds keep the counts several passes read (``_Census``) while passes
    find nothing, which is right only if a pass that says it changed nothing left the code
    as it was: every pass, run on the cleaned adjoint (where they find little) and on the
    raw one, either says it changed something or leaves the printed IR unchanged."""
    from ad_compiler.frontend.ir import copy_ir
    from ad_compiler.transforms.builder import Namer
    from ad_compiler.transforms.cleanup import _Census, _names, passes_of

    _, stages = _stages(case)
    for stage in ("cleaned", "adjoint"):
        fn = copy_ir(stages[stage])
        census = _Census(fn)
        for k, run in enumerate(passes_of(fn, Namer(_names(fn)), census)):
            before = str(fn)
            if run():
                census.forget()
            else:
                assert str(fn) == before, (stage, k)

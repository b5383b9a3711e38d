"""The cuda backend under the CUDA simulator, against the numba CPU backend and finite
differences (cases in ``sim_cases.py``).

The simulator must be switched on before anything imports ``numba.cuda``, and switching it on
in this process would change ``numba.cuda`` for every other test, so all cases run in one
subprocess (``NUMBA_ENABLE_CUDASIM=1``) that prints one JSON line per case; each test here
checks one line.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba.cuda", reason="numba-cuda is not installed")

from sim_cases import CASES  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@pytest.fixture(scope="module")
def sim_results(tmp_path_factory):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.setdefault("AD_COMPILER_CACHE_DIR", str(tmp_path_factory.mktemp("adc_cache")))
    proc = subprocess.run([sys.executable, str(HERE / "sim_cases.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["name"]] = row
    if not results:
        pytest.fail(f"simulator run failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    return results


@pytest.mark.parametrize("name", list(CASES) + ["device_arrays"])
def test_simulator_case(sim_results, name):
    row = sim_results.get(name)
    assert row is not None, f"case {name} did not report"
    assert row["ok"], "; ".join(row["detail"])


def test_tape_placement(sim_results):
    # constant trip counts: tapes in cuda.local.array, no scratch buffer
    assert sim_results["pendulum"]["scratch"] is False
    local = sim_results["pendulum"]["local"]   # how many depends on what is recomputed
    assert local and all(tape == [200, "float64"] for tape in local)
    # data-dependent: scratch segments, grown by relaunch past the first width (64)
    assert sim_results["while_scratch_relaunch"]["scratch"] is True
    assert sim_results["while_scratch_relaunch"]["segment"] >= 155
    # constant but over the local budget: scratch sized from the constant capacity
    assert sim_results["big_tape_goes_to_scratch"]["scratch"] is True
    assert sim_results["big_tape_goes_to_scratch"]["segment"] == 300

"""Ctrl-C or SIGTERM during a long solve prints the best solution found so far.

Each test starts `optiform solve` as a user would, sends the signal once the
solver is at work, and reads what it printed: HiGHS and SCIP (which holds the
GIL inside Pyomo) keep their incumbents, the GFlowNet its best sample, a
Pareto sweep stops whole with the points so far, and a signal while the model
is still being compiled says "interrupted" with exit code 130.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from optiform.testing import MULTI_KNAPSACK

MODEL = MULTI_KNAPSACK


HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"


def write_knapsack(tmp_path: Path) -> None:
    """A multi-dimensional knapsack that HiGHS cannot close in seconds, but where it
    finds good points at once."""
    rng = np.random.default_rng(7)
    n, m = 500, 30
    data = {
        "I": list(range(1, n + 1)), "K": list(range(1, m + 1)),
        "value": {str(i + 1): int(v) for i, v in enumerate(rng.integers(10, 100, n))},
        "w": {str(k + 1): {str(i + 1): int(x) for i, x in enumerate(rng.integers(10, 100, n))}
              for k in range(m)},
        "cap": 1000,
    }
    (tmp_path / "mkp.json").write_text(json.dumps(data))
    (tmp_path / "mkp.opt").write_text(MODEL)


def interrupted(tmp_path: Path, args: list[str], after: float,
                signum: int = signal.SIGINT) -> tuple[int, str, str]:
    """Run `optiform solve ARGS`, send `signum` `after` seconds in; exit code and output."""
    proc = subprocess.Popen([sys.executable, "-m", "optiform", "solve", *args],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(after)
    assert proc.poll() is None, "the solve finished before it could be interrupted"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


# SIGINT in the quick run; SIGTERM, which takes the same path, in the full one
@pytest.mark.parametrize("signum", [signal.SIGINT,
                                    pytest.param(signal.SIGTERM, marks=pytest.mark.slow)])
def test_ctrl_c_keeps_the_incumbent_and_checks_it(tmp_path: Path, signum: int) -> None:
    write_knapsack(tmp_path)
    # past start-up and grounding, into the branch and bound
    code, out, err = interrupted(tmp_path, ["mkp.opt", "--data", "mkp.json", "--json"], 4,
                                 signum)
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "feasible"
    assert result["message"] == "interrupted: the best solution found so far"
    assert result["check"]["feasible"] is True
    assert result["objective"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_scip_keeps_its_point_on_ctrl_c_and_sigterm(tmp_path: Path, signum: int) -> None:
    # SCIP proves HS1 optimal only after minutes; SIGTERM used to kill it silently.
    code, out, err = interrupted(tmp_path, [str(HERE / "nlp" / "hs001.opt"), "--backend",
                                            "pyomo", "--solver", "scip", "--json"], 6, signum)
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "feasible"
    assert result["message"] == "interrupted: the best point found so far"
    assert result["check"]["feasible"] is True


@pytest.mark.slow
def test_the_sampler_keeps_its_best_point_on_ctrl_c(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    code, out, err = interrupted(tmp_path, [str(EXAMPLES / "knapsack.opt"), "--backend",
                                            "gflownet", "--iterations", "100000000",
                                            "--json"], 8)
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "feasible"
    assert result["message"].startswith("interrupted: gflownet: the best of")
    assert result["check"]["feasible"] is True


@pytest.mark.slow
def test_ctrl_c_stops_a_pareto_sweep_with_the_points_so_far(tmp_path: Path) -> None:
    write_knapsack(tmp_path)
    two = MODEL.replace("constraints", "  minimize used: sum(i in I) take[i]\nconstraints")
    (tmp_path / "mkp.opt").write_text(two)
    code, out, err = interrupted(tmp_path, ["mkp.opt", "--data", "mkp.json", "--pareto", "5",
                                            "--json"], 8)
    assert code == 0, err  # five sub-solves used to need five Ctrl-Cs
    front = json.loads(out)
    assert front["status"] == "interrupted"
    assert front["pareto"] and all(p["check"]["feasible"] for p in front["pareto"])


def test_ctrl_c_while_compiling_says_so(tmp_path: Path) -> None:
    (tmp_path / "big.opt").write_text(
        "sets\n  I = 1..2500\nvariables\n  x[I] in [0, 1]\nobjective\n"
        "  maximize s: sum(i in I) x[i]\nconstraints\n"
        "  pair[i in I, j in I]: x[i] + x[j] <= 1 + i * j\n")
    code, out, err = interrupted(tmp_path, ["big.opt"], 3, signal.SIGTERM)
    assert code == 130
    assert err.strip() == "interrupted"
    assert out == ""

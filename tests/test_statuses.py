"""Statuses, exit codes and the options that steer a solve: every status maps to its
documented code, options that mean nothing are refused as usage errors, and the
checker reports its largest residual as it is."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import optiform
from optiform.backends import SolveOptions
from optiform.cli import app
from optiform.solution import ExitCode, Result, ResultStatus, Solution, TerminationStatus
from optiform.verify import verify

MODEL = """\
variables
  x in [0, 10]
  y in [0, 10]
objective
  minimize a: x + 2 * y
  minimize b: 3 - x
constraints
  c: x + y >= 1
"""


@pytest.fixture
def model_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "m.opt"
    path.write_text(MODEL)
    return str(path)


@pytest.mark.parametrize("flag", ["--time-limit", "--mip-gap", "--tolerance"])
@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_limits_that_mean_nothing_are_usage_errors(model_file: str, flag: str,
                                                   value: str) -> None:
    result = CliRunner().invoke(app, ["solve", model_file, flag, value])
    assert result.exit_code == 2, result.output
    assert "finite number >= 0" in result.output


@pytest.mark.parametrize("weights, why", [("a=nan", "a number below 1e20"),
                                          ("a=inf,b=1", "a number below 1e20"),
                                          ("a=1e300", "a number below 1e20"),
                                          ("a=1,a=2", "`a` is given twice")])
def test_weights_that_mean_nothing_are_usage_errors(model_file: str, weights: str,
                                                    why: str) -> None:
    # NaN gave a wrong "optimal" (30 where the optimum is 1); a second `a` won silently.
    result = CliRunner().invoke(app, ["solve", model_file, "--weights", weights])
    assert result.exit_code == 2, result.output
    assert why in result.output


@pytest.mark.parametrize("field, value", [("time_limit", -1.0), ("mip_gap", math.nan),
                                          ("tolerance", -1e-9)])
def test_the_python_api_refuses_them_too(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        SolveOptions(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight of `a`"):
        optiform.loads(MODEL).solve(weights={"a": math.nan, "b": 1.0})


def test_each_status_maps_to_its_code() -> None:
    problem = optiform.loads(MODEL).compile()
    point = np.array([1.0, 0.0])
    report = verify(problem, point)

    def code(term: TerminationStatus, has_point: bool) -> tuple[str, ExitCode]:
        sol = Solution(term, ResultStatus.FEASIBLE_POINT if has_point
                       else ResultStatus.NO_SOLUTION, {}, point if has_point else None, "t")
        r = Result(problem, sol, report if has_point else None)
        return r.status, r.exit_code

    assert code(TerminationStatus.OPTIMAL, True) == ("optimal", ExitCode.OK)
    assert code(TerminationStatus.LOCALLY_SOLVED, True) == ("locally_solved", ExitCode.OK)
    assert code(TerminationStatus.TIME_LIMIT, True) == ("feasible", ExitCode.OK)
    assert code(TerminationStatus.ITERATION_LIMIT, True) == ("feasible", ExitCode.OK)
    assert code(TerminationStatus.INTERRUPTED, True) == ("feasible", ExitCode.OK)
    assert code(TerminationStatus.TIME_LIMIT, False) == ("time_limit", ExitCode.NO_SOLUTION)
    assert code(TerminationStatus.ITERATION_LIMIT, False) == ("iteration_limit",
                                                              ExitCode.NO_SOLUTION)
    assert code(TerminationStatus.INTERRUPTED, False) == ("interrupted",
                                                          ExitCode.INTERRUPTED)
    assert code(TerminationStatus.INFEASIBLE, False) == ("infeasible", ExitCode.INFEASIBLE)
    assert code(TerminationStatus.UNBOUNDED, False) == ("unbounded", ExitCode.UNBOUNDED)
    # A solver that failed exits 5 even when it left a point the checker passes
    # (Ipopt on a NaN tolerance, SCIP after Ctrl-C exited 0).
    assert code(TerminationStatus.ERROR, True) == ("error", ExitCode.NO_SOLUTION)
    assert code(TerminationStatus.ERROR, False) == ("error", ExitCode.NO_SOLUTION)


def test_the_checker_reports_its_largest_residual_as_it_is() -> None:
    # SCIP's "optimal" points broke rows by up to 7e-7 while the checker said 0.
    problem = optiform.loads(MODEL).compile()
    report = verify(problem, np.array([1.0 - 7e-7, 0.0]))
    assert report.feasible
    assert report.max_violation == pytest.approx(7e-7)
    shown = report.to_dict()
    assert shown["max_violation"] == pytest.approx(7e-7)
    assert shown["tolerance"] == 1e-6
    assert verify(problem, np.array([2.0, 3.0])).max_violation == 0.0


def test_the_command_line_shows_the_residual_beside_the_tolerance(model_file: str) -> None:
    result = CliRunner().invoke(app, ["solve", model_file])
    assert result.exit_code == 0, result.output
    assert "within tolerance 1e-06" in result.output


def test_json_stdout_holds_only_the_object_whatever_the_solver_prints(model_file: str) -> None:
    # --verbose makes HiGHS write its log to file descriptor 1 from native code.
    proc = subprocess.run([sys.executable, "-m", "optiform", "solve", model_file, "--json",
                           "--verbose"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "optimal"
    assert "HiGHS" in proc.stderr  # the log went to stderr, not away

"""The `optiform` command: output, `--json` shape, exit codes and `fmt`.

Most tests drive the real typer app in-process with `CliRunner`; two run it
in a fresh interpreter, where stdout must hold nothing but what the command
prints (no solver banner before the JSON, for instance).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optiform.cli import app
from optiform.dsl.parser import parse, parse_file

# Per week: chairs earn 3 an hour and tables 2.5, so make the 4 chairs first and
# a table with the 2 hours left: 3*4 + 5*1 = 17 a week; minus the one unit of spare.
SHOP = """\
model shop "a small LP with a scalar and an indexed variable"

sets
  P = {chair, table}
  W = 1..2

parameters
  profit[P] = {chair: 3, table: 5}

variables
  make[P, W] in [0, 4]
  spare >= 0

objective
  maximize total_profit: sum(p in P, w in W) profit[p] * make[p, w] - spare

constraints
  hours[w in W]: make[chair, w] + 2 * make[table, w] <= 6
  floor: spare >= 1
"""
SHOP_OPTIMUM = 33.0
SHOP_MAKE = {("chair", 1): 4.0, ("chair", 2): 4.0, ("table", 1): 1.0, ("table", 2): 1.0}

# Two objectives over x, y in [0, 10] with 4 <= x + y <= 12, hand-solved:
#   weights cost=1, quality=0.5: min 0.5x - 0.5y  -> x=0, y=10: cost 10, quality 30
#   lexicographic cost, quality: cost 4, then max x + 3y on x + y = 4 -> y=4: quality 12
#   lexicographic quality, cost: quality 32 at x=2, y=10, then cost 12
TWO_OBJECTIVES = """\
model two "two objectives"

variables
  x in [0, 10]
  y in [0, 10]

objective
  minimize cost: x + y
  maximize quality: x + 3 * y

constraints
  enough: x + y >= 4
  room: x + y <= 12
"""

SYNTAX_ERROR = """\
variables
  x >= 0
objective
  minimize c: x +
constraints
  r: x >= 1
"""

UNKNOWN_NAME = """\
sets
  I = 1..3
parameters
  cost[I] = [1, 2, 3]
variables
  x[I] >= 0
objective
  minimize c: sum(i in I) cots[i] * x[i]
constraints
  r[i in I]: x[i] >= 1
"""

INFEASIBLE = """\
variables
  x >= 0
  y >= 0
objective
  minimize c: x + y
constraints
  low: x + y >= 10
  high: x + y <= 5
  loose: x <= 100
"""

UNBOUNDED = """\
variables
  x >= 0
  y >= 0
objective
  maximize c: x + y
constraints
  r: x - y <= 1
"""

NONLINEAR = """\
variables
  x in [1, 10]
objective
  minimize c: exp(x)
constraints
  r: x >= 2
"""

DATA_MODEL = """\
sets
  I
parameters
  a[I]
variables
  x[I] >= 0
objective
  minimize c: sum(i in I) a[i] * x[i]
constraints
  r[i in I]: x[i] >= 1
"""

runner = CliRunner()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def _solve_json(*args: object) -> dict:
    result = _invoke("solve", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ---- solve -------------------------------------------------------------------------


def test_solve_table_shows_objective_class_backend_and_check(tmp_path: Path) -> None:
    result = _invoke("solve", _write(tmp_path, "shop.opt", SHOP))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert re.search(r"objective total_profit\s+33\b", text)
    assert re.search(r"class\s+LP\b", text)
    assert re.search(r"backend\s+highs\b", text)
    assert re.search(r"status\s+optimal\b", text)
    assert re.search(r"check\s+feasible\b", text)
    assert "make" in text and "chair" in text


def test_solve_json_prints_one_object_with_the_documented_shape(tmp_path: Path) -> None:
    out = _solve_json(_write(tmp_path, "shop.opt", SHOP))
    assert {"status", "objective", "objectives", "variables", "check", "class", "backend",
            "timings"} <= out.keys()
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(SHOP_OPTIMUM)
    assert out["objectives"] == {"total_profit": pytest.approx(SHOP_OPTIMUM)}
    assert out["class"] == "LP"
    assert out["backend"] == "highs"
    assert isinstance(out["timings"], dict) and "solve" in out["timings"]

    variables = out["variables"]
    assert set(variables) == {"make", "spare"}
    assert variables["spare"] == pytest.approx(1.0)
    assert all(set(entry) == {"index", "value"} for entry in variables["make"])
    make = {tuple(e["index"]): e["value"] for e in variables["make"]}
    assert make == {k: pytest.approx(v) for k, v in SHOP_MAKE.items()}

    check = out["check"]
    assert check["feasible"] is True
    assert check["max_violation"] <= 1e-6
    assert check["violations"] == []


def test_solve_json_error_is_one_object_with_locations(tmp_path: Path) -> None:
    model = _write(tmp_path, "unknown.opt", UNKNOWN_NAME)
    result = _invoke("solve", "--json", model)
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "error"
    [error] = out["errors"]
    assert error["location"] == {"file": str(model), "line": 8, "column": 27}
    assert "cots" in error["message"]


def test_solve_exits_1_on_a_syntax_error_with_its_location(tmp_path: Path) -> None:
    model = _write(tmp_path, "syntax.opt", SYNTAX_ERROR)
    result = _invoke("solve", model)
    assert result.exit_code == 1
    # the expression `x +` runs into the next section keyword
    assert f"{model}:5:1:" in result.stderr
    assert "constraints" in result.stderr


def test_solve_exits_1_on_an_unknown_name_with_its_location(tmp_path: Path) -> None:
    model = _write(tmp_path, "unknown.opt", UNKNOWN_NAME)
    result = _invoke("solve", model)
    assert result.exit_code == 1
    assert f"{model}:8:27:" in result.stderr
    assert "did you mean `cost`?" in result.stderr


def test_solve_exits_1_on_bad_data_with_its_location(tmp_path: Path) -> None:
    model = _write(tmp_path, "m.opt", DATA_MODEL)
    data = _write(tmp_path, "d.json", '{\n  "I": [1, 2],\n  "a": {"1": 1, "7": 2}\n}\n')
    result = _invoke("solve", model, "--data", data)
    assert result.exit_code == 1
    assert re.search(re.escape(str(data)) + r":3:\d+:", result.stderr), result.stderr
    assert "(7)" in result.stderr and "`a`" in result.stderr and " I" in result.stderr


def test_solve_with_good_data_exits_0(tmp_path: Path) -> None:
    model = _write(tmp_path, "m.opt", DATA_MODEL)
    data = _write(tmp_path, "d.json", '{"I": [1, 2], "a": {"1": 1, "2": 2}}')
    out = _solve_json(model, "--data", data)
    assert out["objective"] == pytest.approx(3.0)


def test_solve_exits_3_when_infeasible_and_names_the_conflict(tmp_path: Path) -> None:
    model = _write(tmp_path, "infeasible.opt", INFEASIBLE)
    result = _invoke("solve", model)
    assert result.exit_code == 3
    assert re.search(r"status\s+infeasible", result.stdout)
    conflict = result.stdout[result.stdout.index("conflict"):]
    assert "low" in conflict and "high" in conflict and "loose" not in conflict

    as_json = _invoke("solve", "--json", model)
    assert as_json.exit_code == 3
    out = json.loads(as_json.stdout)
    assert out["status"] == "infeasible"
    assert "low" in out["message"] and "high" in out["message"]
    assert "loose" not in out["message"]


def test_solve_exits_4_when_unbounded(tmp_path: Path) -> None:
    result = _invoke("solve", "--json", _write(tmp_path, "unbounded.opt", UNBOUNDED))
    assert result.exit_code == 4
    assert json.loads(result.stdout)["status"] == "unbounded"


def test_solve_exits_5_for_a_nonlinear_model_and_says_what_could(tmp_path: Path) -> None:
    result = _invoke("solve", _write(tmp_path, "nlp.opt", NONLINEAR), "--backend", "highs")
    assert result.exit_code == 5
    assert "NLP" in result.stderr
    assert "nonlinear" in result.stderr and "--backend pyomo" in result.stderr


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _invoke("solve", _write(tmp_path, "shop.opt", SHOP), "--no-such-option")
    assert result.exit_code == 2
    assert "--no-such-option" in result.stderr


def test_malformed_weights_are_a_usage_error(tmp_path: Path) -> None:
    result = _invoke("solve", _write(tmp_path, "two.opt", TWO_OBJECTIVES), "--weights", "cost=x")
    assert result.exit_code == 2
    assert "cost=x" in result.stderr


def test_weights_solve_the_weighted_sum(tmp_path: Path) -> None:
    out = _solve_json(_write(tmp_path, "two.opt", TWO_OBJECTIVES),
                      "--weights", "cost=1,quality=0.5")
    assert out["objectives"] == {"cost": pytest.approx(10.0), "quality": pytest.approx(30.0)}
    assert out["variables"] == {"x": pytest.approx(0.0, abs=1e-9), "y": pytest.approx(10.0)}


@pytest.mark.parametrize(("order", "expected"), [
    ("cost,quality", {"cost": 4.0, "quality": 12.0}),
    ("quality,cost", {"cost": 12.0, "quality": 32.0}),
])
def test_lexicographic_solves_in_priority_order(tmp_path: Path, order: str,
                                                expected: dict[str, float]) -> None:
    out = _solve_json(_write(tmp_path, "two.opt", TWO_OBJECTIVES), "--lexicographic", order)
    # each earlier objective is held within a relative 1e-6 of its optimum
    assert out["objectives"] == {k: pytest.approx(v, rel=1e-5) for k, v in expected.items()}
    assert out["check"]["feasible"] is True


def test_unknown_objective_in_weights_is_a_model_error(tmp_path: Path) -> None:
    result = _invoke("solve", _write(tmp_path, "two.opt", TWO_OBJECTIVES),
                     "--weights", "price=1")
    assert result.exit_code == 1
    assert "price" in result.stderr


def test_time_limit_is_accepted(tmp_path: Path) -> None:
    out = _solve_json(_write(tmp_path, "shop.opt", SHOP), "--time-limit", "30")
    assert out["status"] == "optimal"
    assert out["objective"] == pytest.approx(SHOP_OPTIMUM)


# ---- check -------------------------------------------------------------------------


def test_check_prints_the_class_and_the_counts(tmp_path: Path) -> None:
    result = _invoke("check", _write(tmp_path, "shop.opt", SHOP))
    assert result.exit_code == 0, result.stderr
    assert "LP" in result.stdout
    assert "5 variables" in result.stdout
    assert "3 constraint rows" in result.stdout
    assert "1 objective" in result.stdout


def test_check_reports_errors_with_exit_1(tmp_path: Path) -> None:
    model = _write(tmp_path, "unknown.opt", UNKNOWN_NAME)
    result = _invoke("check", model)
    assert result.exit_code == 1
    assert f"{model}:8:27:" in result.stderr


# ---- fmt ---------------------------------------------------------------------------

UNTIDY = """\
model two   "two objectives"
variables
    x in [0,10]
  y   in [0, 10];
objective
  minimize cost: (x + y)
  maximize quality: x+3*y
constraints
  enough:x + y >= 4
  room: x + y <= 12
"""


def test_fmt_prints_canonical_text_that_parses_to_the_same_model(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.opt", UNTIDY)
    result = _invoke("fmt", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout != UNTIDY
    assert parse(result.stdout, str(path)) == parse_file(path)
    assert "  maximize quality: x + 3 * y\n" in result.stdout
    tidy = _write(tmp_path, "tidy.opt", result.stdout)
    assert _invoke("fmt", tidy).stdout == result.stdout


def test_fmt_check_exit_codes(tmp_path: Path) -> None:
    untidy = _write(tmp_path, "two.opt", UNTIDY)
    tidy = _write(tmp_path, "tidy.opt", _invoke("fmt", untidy).stdout)

    ok = _invoke("fmt", "--check", tidy)
    assert ok.exit_code == 0
    assert ok.stdout == ""

    bad = _invoke("fmt", "--check", tidy, untidy)
    assert bad.exit_code == 1
    assert f"{untidy}: not formatted" in bad.stderr
    assert str(tidy) not in bad.stderr
    assert untidy.read_text(encoding="utf-8") == UNTIDY


def test_fmt_write_rewrites_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.opt", UNTIDY)
    canonical = _invoke("fmt", path).stdout
    result = _invoke("fmt", "--write", path)
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == canonical


COMMENTED = """\
variables
  x >= 0
objective # the only one
  minimize c: x
"""


def test_fmt_keeps_comments(tmp_path: Path) -> None:
    path = _write(tmp_path, "commented.opt", COMMENTED)
    result = _invoke("fmt", path)
    assert result.exit_code == 0
    assert "objective  # the only one" in result.stdout
    write = _invoke("fmt", "--write", path)
    assert write.exit_code == 0
    assert path.read_text(encoding="utf-8") == result.stdout
    assert _invoke("fmt", "--check", path).exit_code == 0


def test_fmt_reports_a_syntax_error_with_exit_1(tmp_path: Path) -> None:
    path = _write(tmp_path, "syntax.opt", SYNTAX_ERROR)
    result = _invoke("fmt", path)
    assert result.exit_code == 1
    assert f"{path}:5:1:" in result.stderr


# ---- a real process -----------------------------------------------------------------


def _run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from optiform.cli import app; app()", *map(str, args)],
        capture_output=True, text=True, timeout=120, check=False)


def test_process_solve_json_stdout_is_exactly_one_json_object(tmp_path: Path) -> None:
    proc = _run("solve", "--json", _write(tmp_path, "shop.opt", SHOP))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # fails on a banner or any other stray text
    assert out["objective"] == pytest.approx(SHOP_OPTIMUM)
    assert out["check"]["feasible"] is True


def test_process_exit_codes_and_error_location(tmp_path: Path) -> None:
    model = _write(tmp_path, "unknown.opt", UNKNOWN_NAME)
    proc = _run("solve", model)
    assert proc.returncode == 1
    assert f"{model}:8:27:" in proc.stderr
    assert proc.stdout == ""
    assert _run("solve", _write(tmp_path, "infeasible.opt", INFEASIBLE)).returncode == 3


def test_members_that_look_like_markup_are_printed_as_written(tmp_path: Path) -> None:
    path = _write(tmp_path, "markup.opt", (
        'sets\n  S = {"[/x]", "[bold]a"}\nvariables\n  x[S] in [1, 2]\n'
        "objective\n  minimize o: sum(s in S) x[s]\n"))
    result = _invoke("solve", path)
    assert result.exit_code == 0, result.stderr
    assert "[/x]" in result.stdout and "[bold]a" in result.stdout


def test_a_time_limit_point_that_fails_the_check_is_not_called_feasible() -> None:
    import numpy as np

    import optiform
    from optiform.solution import Result, ResultStatus, Solution, TerminationStatus
    from optiform.verify import verify

    problem = optiform.loads("variables\n  x in [0, 1]\n").compile()
    point = np.array([5.0])
    solution = Solution(TerminationStatus.TIME_LIMIT, ResultStatus.FEASIBLE_POINT, {}, point,
                        "test")
    result = Result(problem, solution, verify(problem, point))
    assert result.status == "time_limit"
    assert int(result.exit_code) == 6

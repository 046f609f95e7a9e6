"""What `optiform solve` prints for a person to paste into a report: values rounded to
the solver's tolerance (the JSON keeps them exact), duals and slacks on request, the
end of a trade-off said out loud, Pareto points with their decisions, whole tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optiform.cli import app
from optiform.display import shown

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(("value", "text"), [
    (279.9999991, "280"), (11100.000000000002, "11100"), (-1e-12, "0"), (-0.0, "0"),
    (0.30000000000000004, "0.3"), (0.123456789, "0.123457"), (1.5, "1.5"),
    (-2.25, "-2.25"), (1234.25, "1234.25"), (1234567.25, "1234567"), (9.999995, "10"),
    (3e12, "3e+12"),
    (float("inf"), "inf"),
])
def test_shown_rounds_to_the_tolerance(value: float, text: str) -> None:
    assert shown(value) == text


def _solve(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    model = tmp_path / "m.opt"
    model.write_text(text)
    result = CliRunner().invoke(app, ["solve", str(model), *args])
    return result.exit_code, result.stdout


NOISY = """\
model noisy
variables
  a_variable_with_a_name_long_enough_to_push_the_table_past_eighty_columns >= 0
  y >= 0
objective
  minimize total:
    3700.0000000000005 * a_variable_with_a_name_long_enough_to_push_the_table_past_eighty_columns
    + y
constraints
  floor: a_variable_with_a_name_long_enough_to_push_the_table_past_eighty_columns >= 3
  tenth: y >= 0.1 + 0.2
"""


def test_the_table_shows_no_float_noise_and_the_json_stays_exact(tmp_path: Path) -> None:
    code, text = _solve(tmp_path, NOISY)
    assert code == 0, text
    assert "11100.3" in text and "0000000" not in text and "9999" not in text
    # the table is not cut at 80 columns when the output is not a terminal
    assert "a_variable_with_a_name_long_enough_to_push_the_table_past_eighty_columns" in text
    code, raw = _solve(tmp_path, NOISY, "--json")
    payload = json.loads(raw)
    assert payload["variables"]["y"] == 0.1 + 0.2  # 0.30000000000000004, as solved


def test_duals_and_slacks_in_the_table() -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLES / "diet.opt"), "--duals"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[2].strip(): [c.strip() for c in line.split("│")[3:5]]
            for line in result.stdout.splitlines() if line.startswith("│ nutrition")}
    assert set(rows) == {"calories", "protein", "fat", "fiber", "calcium"}
    binding = [k for k, (dual, slack) in rows.items() if slack == "0"]
    assert binding and all(rows[k][0] != "0" for k in binding)  # binding rows carry a price
    assert all(dual == "0" for dual, slack in rows.values() if slack != "0")


def test_duals_of_a_milp_say_they_exist_for_lps_only() -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLES / "facility_location.opt"),
                                      "--duals"])
    assert result.exit_code == 0
    assert "slack" in result.stdout and "duals are given for LPs only" in result.stdout


def test_two_objectives_without_a_flag_say_which_end_was_returned() -> None:
    two = str(EXAMPLES / "biobjective_knapsack.opt")
    plain = " ".join(CliRunner().invoke(app, ["solve", two]).stdout.split())
    assert "usefulness alone was optimised" in plain and "--pareto 10" in plain
    weighted = CliRunner().invoke(app, ["solve", two, "--weights", "usefulness=1,comfort=1"])
    assert "alone was optimised" not in weighted.stdout


def test_pareto_points_come_with_their_decisions() -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLES / "biobjective_knapsack.opt"),
                                      "--pareto", "3"])
    assert result.exit_code == 0, result.output
    points = [line for line in result.stdout.splitlines() if "feasible" in line]
    assert len(points) == 3
    assert all("take[" in line and "= 1" in line for line in points)
    assert len({line.split("│")[-2] for line in points}) == 3  # three different decisions


def test_usage_line_and_version() -> None:
    usage = CliRunner().invoke(app, ["solve", "--help"]).stdout
    assert "solve [OPTIONS] MODEL.opt" in usage and "{" not in usage.split("\n\n")[0]
    version = CliRunner().invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.startswith("optiform ")


def test_repr_of_a_model_is_one_line() -> None:
    import optiform

    model = optiform.load(EXAMPLES / "transport_data.opt", EXAMPLES / "transport_data.data.json")
    text = repr(model)
    assert text == (f"<Model transport_data from {EXAMPLES / 'transport_data.opt'}: 3 sets, "
                    "4 parameters, 1 variable, 1 objective, 2 constraints, data for 7>")


def test_a_set_in_a_bound_gets_the_binder_hint(tmp_path: Path) -> None:
    model = tmp_path / "b.opt"
    model.write_text("sets\n  P = {a, b}\nparameters\n  cap[P] = {a: 1, b: 2}\n"
                     "variables\n  x[P] in [0, cap[P]]\n")
    result = CliRunner().invoke(app, ["check", str(model)])
    assert result.exit_code == 1
    assert f"{model}:6:19: error: `P` cannot be used as an index value" in result.stderr
    assert "`x[p in P] ... [p]`" in " ".join(result.stderr.split())
    model.write_text(model.read_text().replace("x[P] in [0, cap[P]]", "x[p in P] in [0, cap[p]]"))
    assert CliRunner().invoke(app, ["check", str(model)]).exit_code == 0

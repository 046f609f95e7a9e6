"""The objective section's `lexicographic:` and `weights:` lines.

A two-objective model whose optima differ by order is solved with each
line and no option, then with the options that replace the line; the answers
are worked out by hand. Each misuse is a located error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optiform
from optiform import Diagnostic, DiagnosticError
from optiform.cli import app
from optiform.dsl.parser import parse
from optiform.dsl.printer import format_model, format_source
from optiform.dsl.render import render

# x + y >= 2 with x, y in [0, 2]: cost = x + 2y is least at (2, 0); time = 3x + y at (0, 2)
BASE = """variables
  x in [0, 2]
  y in [0, 2]
objective
  minimize cost: x + 2 * y
  minimize time: 3 * x + y
{line}
constraints
  need: x + y >= 2
"""


def solve(line: str, **options: object) -> optiform.Result:
    return optiform.loads(BASE.format(line=line)).solve(**options)  # type: ignore[arg-type]


def test_a_lexicographic_line_solves_in_that_order_with_no_option() -> None:
    first_cost = solve("  lexicographic: cost, time")
    assert first_cost.objectives == pytest.approx({"cost": 2, "time": 6}, abs=1e-6)
    first_time = solve("  lexicographic: time, cost")
    assert first_time.objectives == pytest.approx({"cost": 4, "time": 2}, abs=1e-6)
    assert first_time.verified


def test_a_weights_line_is_a_weighted_sum() -> None:
    # 1 * cost + 1 * time = 4x + 3y: least at (0, 2)
    assert solve("  weights: cost = 1, time = 1").values == pytest.approx({"x": 0, "y": 2})
    # 5 * cost + 1 * time = 8x + 11y, a weight from data: least at (2, 0)
    text = BASE.format(line="  weights: cost = k + 4, time = 1").replace(
        "variables", "parameters\n  k = 1\nvariables")
    assert optiform.loads(text).solve().values == pytest.approx({"x": 2, "y": 0})


def test_options_replace_the_line() -> None:
    assert solve("  lexicographic: cost, time", lexicographic=["time", "cost"]).objectives \
        == pytest.approx({"cost": 4, "time": 2}, abs=1e-6)
    assert solve("  lexicographic: time, cost", weights={"cost": 1}).values == pytest.approx(
        {"x": 2, "y": 0})
    assert solve("  weights: cost = 1, time = 1", lexicographic=["cost"]).values \
        == pytest.approx({"x": 2, "y": 0})


def test_the_cli_flag_replaces_the_line(tmp_path: Path) -> None:
    model = tmp_path / "m.opt"
    model.write_text(BASE.format(line="  lexicographic: cost, time"))
    plain = json.loads(CliRunner().invoke(app, ["solve", str(model), "--json"]).output)
    flag = json.loads(CliRunner().invoke(
        app, ["solve", str(model), "--json", "--lexicographic", "time,cost"]).output)
    assert plain["objectives"] == pytest.approx({"cost": 2, "time": 6}, abs=1e-6)
    assert flag["objectives"] == pytest.approx({"cost": 4, "time": 2}, abs=1e-6)


def test_fmt_and_show_write_the_line() -> None:
    model = parse(BASE.format(line="  weights: cost = 1, time = 0.5"), "m.opt")
    text = format_model(model)
    assert "  minimize time: 3 * x + y\n  weights: cost = 1, time = 0.5\n" in text
    assert parse(text, "m.opt") == model
    assert "weighted: minimize 1·cost + 0.5·time" in render(model)
    lex = parse(BASE.format(line="  lexicographic: time, cost"), "m.opt")
    assert "lexicographic: time, then cost" in render(lex)


def test_weights_stays_a_name() -> None:
    p = optiform.loads("parameters\n  weights = 3\nvariables\n  x >= weights\n"
                       "objective\n  minimize o: x\n").solve()
    assert p.objective == pytest.approx(3)


def _error(line: str) -> Diagnostic:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(BASE.format(line=line)).compile()
    found = info.value.diagnostics
    assert len(found) == 1, [d.message for d in found]
    assert found[0].span is not None and found[0].span.line == 7
    return found[0]


@pytest.mark.parametrize(("line", "message", "column"), [
    ("  lexicographic: cots, time", "unknown objective `cots` in `lexicographic:`", 18),
    ("  lexicographic: cost, time, cost", "objective `cost` is named twice in "
     "`lexicographic:`", 30),
    ("  weights: cost = 1, time = 1 / 0", "the weight of `time` is inf, not a finite number",
     29),
    ("  weights: cost = 1, time = x", "variable `x` cannot appear in the weight of `time`", 29),
    ("  weights: cost = 1, time", "objective `time` has no weight", 22),
    ("  lexicographic: cost = 1", "a lexicographic order takes names only, not `cost = ...`",
     18),
    ("  order: cost, time", "`order:` is not a way to combine objectives", 3),
])
def test_misuse_is_a_located_error(line: str, message: str, column: int) -> None:
    d = _error(line)
    assert d.message == message
    assert d.span is not None and d.span.column == column


def test_a_misspelt_sense_is_blamed_not_the_objective_name() -> None:
    with pytest.raises(DiagnosticError) as info:
        parse("variables\n  x >= 0\nobjective\n  minimise cost: x\n", "m.opt")
    d = info.value.diagnostics[0]
    assert d.message == "unexpected `minimise`"
    assert (d.span.line, d.span.column) == (4, 3)
    assert (d.hint or "").startswith("did you mean `minimize`?")


def test_fmt_keeps_the_comments_of_the_line() -> None:
    text = BASE.format(line="  # cost first\n  lexicographic: cost, time  # then time")
    formatted = format_source(text, "m.opt")
    assert "  # cost first\n  lexicographic: cost, time  # then time\n" in formatted
    assert format_source(formatted, "m.opt") == formatted

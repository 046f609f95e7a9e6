"""Defined variables: `name[i in I] = expr` in `variables`, substituted, never a column.

Each test compiles or solves a small model and compares with what is worked
out by hand: the columns there are, the rows they make, the values reported,
the checker's verdict on a point; each misuse is a located error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import optiform
from optiform import Diagnostic, DiagnosticError
from optiform.cli import app
from optiform.dsl.parser import parse
from optiform.dsl.printer import format_model
from optiform.dsl.render import render
from optiform.verify import verify

MODEL = """sets
  I = 1..3
parameters
  cost[i in I] = i
variables
  x[I] >= 0
  spend[i in I] = cost[i] * x[i]   "money on i"
  total = sum(i in I) spend[i]
  share[j in I] = spend[j] + sum(i in I) x[i]
objective
  minimize o: total + share[1]
constraints
  need[i in I]: spend[i] >= 2
"""


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text).compile()
    return info.value.diagnostics


def test_a_defined_variable_is_never_a_column() -> None:
    p = optiform.loads(MODEL).compile()
    assert [v.name for v in p.variables] == ["x"]
    assert p.n_vars == 3
    need = next(c for c in p.constraints if c.name == "need")
    a = np.zeros((need.size, p.n_vars))
    np.add.at(a, (need.terms.lin_row, need.terms.lin_col), need.terms.lin_val)
    assert a.tolist() == [[1, 0, 0], [0, 2, 0], [0, 0, 3]]
    assert need.lower.tolist() == [2, 2, 2]
    # total + share[1] = (x1 + 2 x2 + 3 x3) + (x1 + x1 + x2 + x3)
    coef = np.zeros(p.n_vars)
    np.add.at(coef, p.objectives[0].terms.lin_col, p.objectives[0].terms.lin_val)
    assert coef.tolist() == [3, 3, 4]


def test_values_are_reported_from_the_columns() -> None:
    result = optiform.loads(MODEL).solve()
    # x[i] = 2 / i: spend = 2 each, total 6, share[j] = 2 + (2 + 1 + 2/3)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(6 + 2 + 2 + 1 + 2 / 3)
    values = result.values
    assert values["x"] == pytest.approx({(1,): 2, (2,): 1, (3,): 2 / 3})
    assert values["spend"] == pytest.approx({(1,): 2, (2,): 2, (3,): 2})
    assert values["total"] == pytest.approx(6)
    assert values["share"] == pytest.approx({(j,): 2 + 11 / 3 for j in (1, 2, 3)})
    out = result.to_dict()["variables"]
    assert out["total"] == pytest.approx(6)
    assert [row["index"] for row in out["spend"]] == [[1], [2], [3]]


def test_the_cli_shows_them_in_the_table_and_the_json(tmp_path: Path) -> None:
    model = tmp_path / "m.opt"
    model.write_text(MODEL)
    table = CliRunner().invoke(app, ["solve", str(model)])
    assert table.exit_code == 0, table.output
    cells = [[c.strip() for c in line.split("│")[1:4]] for line in table.output.splitlines()]
    assert ["total", "", "6"] in cells, table.output
    assert ["spend", "3", "2"] in cells, table.output
    as_json = CliRunner().invoke(app, ["solve", str(model), "--json"])
    assert json.loads(as_json.output)["variables"]["total"] == pytest.approx(6)


def test_the_checker_evaluates_the_defined_expression() -> None:
    result = optiform.loads(MODEL).solve()
    x = np.array([2.0, 1.0, 0.5])  # spend[3] = 1.5 < 2
    report = verify(result.problem, x)
    assert [(v.constraint, v.index, v.lhs) for v in report.violations] == [("need", (3,), 1.5)]


def test_a_use_in_a_sum_with_the_same_index_name_is_not_captured() -> None:
    text = ("sets\n  I = 1..3\nvariables\n  x[I] >= 0\n"
            "  acc[i in I] = sum(j in I : j <= i) x[j]\n"
            "  both[j in I] = acc[j] + sum(i in I) x[i]\n"
            "objective\n  minimize o: sum(i in I) both[i]\n")
    p = optiform.loads(text).compile()
    coef = np.zeros(p.n_vars)
    np.add.at(coef, p.objectives[0].terms.lin_col, p.objectives[0].terms.lin_val)
    # sum_i acc[i] = 3 x1 + 2 x2 + x3, plus 3 * (x1 + x2 + x3)
    assert coef.tolist() == [6, 5, 4]


def test_a_nonlinear_definition_goes_to_a_nonlinear_backend() -> None:
    text = ("variables\n  x in [0, 4]\n  y in [0, 4]\n  area = x * y\n"
            "objective\n  maximize a: area\nconstraints\n  fence: 2 * x + 2 * y <= 8\n")
    result = optiform.loads(text).solve()
    assert result.problem.problem_class.value == "QP"
    assert result.values["area"] == pytest.approx(4, rel=1e-5)


def test_fmt_and_show() -> None:
    model = parse(MODEL, "m.opt")
    text = format_model(model)
    assert "  spend[i in I] = cost[i] * x[i]" in text
    assert "  total         = sum(i in I) spend[i]" in text
    assert parse(text, "m.opt") == model
    shown = render(model)
    assert "spend[i] := cost[i]·x[i]" in shown
    assert "total := Σ_{i ∈ I} spend[i]" in shown


@pytest.mark.parametrize(("line", "message", "where"), [
    ("  a = b + 1\n  b = a - 1\n", "defined variables depend on each other in a cycle: "
     "a -> b -> a", (5, 3)),
    ("  s = s + 1\n", "defined variable `s` is defined in terms of itself", (5, 3)),
    ("  b[i in I] = x[i] >= 0\n", "defined variable `b` is given a bound: it names an "
     "expression, it is not a column", (5, 15)),
    ("  d = x[1]\n  z <= d\n", "defined variable `d` cannot appear in the bounds of "
     "variable `z`", (6, 8)),
    ("  e[I] = x[1]\n", "defined variable `e` names its index: `I` binds no name", (5, 5)),
])
def test_misuse_in_the_variables_section(line: str, message: str,
                                         where: tuple[int, int]) -> None:
    found = errors("sets\n  I = 1..3\nvariables\n  x[I] >= 0\n" + line)
    assert [d.message for d in found] == [message]
    assert (found[0].span.line, found[0].span.column) == where


HEAD = "sets\n  I = 1..3\n"
VARS = "variables\n  x[I] >= 0\n  d = x[1]\n  e[i in I] = x[i]\n"


@pytest.mark.parametrize(("text", "message", "needle"), [
    (HEAD + "parameters\n  p = d\n" + VARS, "defined variable `d` cannot appear in "
     "parameter `p`", "d\n"),
    (HEAD + VARS + "constraints\n  c[i in I : d > 0]: x[i] >= 0\n",
     "defined variable `d` cannot appear in a condition", "d > 0"),
    (HEAD + VARS + "constraints\n  c: e[4] >= 0\n", "`e[4]` is outside the index of `e` (I)",
     "e[4]"),
    (HEAD + VARS + "constraints\n  c: e >= 0\n", "defined variable `e` is indexed; give its "
     "indices: `e[...]`", "e >= 0"),
    (HEAD + VARS + "constraints\n  c: d[1] >= 0\n", "defined variable `d` is a scalar and "
     "takes no indices", "d[1]"),
])
def test_misuse_where_it_is_used(text: str, message: str, needle: str) -> None:
    found = errors(text)
    assert [d.message for d in found] == [message]
    at = text.index(needle)
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    assert (found[0].span.line, found[0].span.column) == (line, column)


def test_a_problem_in_an_unused_definition_is_reported_there() -> None:
    found = errors("sets\n  I = 1..3\nvariables\n  x[I] >= 0\n  ahead[i in I] = x[i + 1]\n")
    assert [d.message for d in found] == ["`x[4]` is outside the index of `x` (I)"]
    assert (found[0].span.line, found[0].span.column) == (5, 19)


@pytest.mark.parametrize("backend", ["highs", "pyomo"])
def test_every_linear_backend_gets_the_substituted_model(backend: str) -> None:
    result = optiform.loads(MODEL).solve(backend)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(6 + 2 + 2 + 1 + 2 / 3)
    assert result.values["total"] == pytest.approx(6)


def test_defined_variables_inside_lowered_constructs_and_ordered_steps() -> None:
    # |dev| and the implication are lowered after the defined variable is substituted;
    # by hand: make = d where |d[t] - d[t-1]| <= 2 allows (3, 5, 3, 5), so
    # sum |dev| = 0 + 0 + 1 + 1 and every `on` is 1 (closing one costs d[t] >= 2): 6.
    text = """
sets
  T = 1..4
parameters
  d[T] = [3, 5, 2, 6]
variables
  make[T] in [0, 10]
  on[T] binary
  dev[t in T] = make[t] - d[t]
objective
  minimize o: sum(t in T) abs(dev[t]) + sum(t in T) on[t]
constraints
  link[t in T]: on[t] == 0 ==> make[t] <= 0
  smooth[t in T : ord(t) > 1]: abs(make[t] - make[prev(t)]) <= 2
"""
    result = optiform.loads(text).solve("highs")
    assert result.verified and result.problem.problem_class.value == "MILP"
    assert result.objective == pytest.approx(6.0)
    dev = result.values["dev"]
    assert sum(abs(v) for v in dev.values()) == pytest.approx(2.0)
    assert set(result.values) == {"make", "on", "dev"}  # no auxiliary column leaks

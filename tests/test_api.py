"""The Python API: `load`/`loads` with data, and what a `Result` offers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import optiform
from optiform import BackendError, DiagnosticError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# min x + y  s.t.  x + 2y >= 4: y = 2, x = 0, objective 2; the row's dual is 1/2
# (one more unit of right-hand side costs half a unit), x's reduced cost 1 - 1/2.
TINY_LP = """\
model tiny
variables
  x >= 0
  y >= 0
objective
  minimize c: x + y
constraints
  r: x + 2 * y >= 4
  cap: x <= 10
"""

INDEXED = """\
sets
  I
parameters
  need[I]
  unit
variables
  x[I] >= 0
  total >= 0
objective
  minimize cost: unit * total
constraints
  meet[i in I]: x[i] >= need[i]
  add_up: total == sum(i in I) x[i]
"""


def test_load_with_data_as_a_path() -> None:
    model = optiform.load(EXAMPLES / "transport_data.opt",
                          data=EXAMPLES / "transport_data.data.json")
    assert model.name == "transport_data"
    result = model.solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(1680.0)
    ship = result.values["ship"]
    # integer store numbers come back as integers, in (plant, store) tuples
    assert ("hamburg", 101) in ship
    assert all(isinstance(k, tuple) and len(k) == 2 and isinstance(k[1], int) for k in ship)
    assert sum(v for (_, store), v in ship.items() if store == 104) == pytest.approx(100.0)


def test_load_with_data_as_a_string_path() -> None:
    model = optiform.load(str(EXAMPLES / "transport_data.opt"),
                          data=str(EXAMPLES / "transport_data.data.json"))
    assert model.solve().objective == pytest.approx(1680.0)


def test_load_with_data_as_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "indexed.opt"
    path.write_text(INDEXED, encoding="utf-8")
    result = optiform.load(path, data={"I": ["a", "b", 3], "need": {"a": 1, "b": 2, "3": 4},
                                       "unit": 2.5}).solve()
    assert result.objective == pytest.approx(2.5 * 7)
    assert result.values["x"] == {("a",): pytest.approx(1.0), ("b",): pytest.approx(2.0),
                                  (3,): pytest.approx(4.0)}
    assert isinstance(result.values["total"], float)
    assert result.values["total"] == pytest.approx(7.0)


def test_data_dict_and_file_give_the_same_result(tmp_path: Path) -> None:
    data = {"I": [1, 2], "need": {"1": 3, "2": 5}, "unit": 1}
    file = tmp_path / "d.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    from_dict = optiform.loads(INDEXED, data).solve()
    from_file = optiform.loads(INDEXED, file).solve()
    assert from_dict.values == from_file.values
    assert from_dict.objective == from_file.objective == pytest.approx(8.0)


def test_result_fields_for_an_optimal_lp() -> None:
    result = optiform.loads(TINY_LP).solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(2.0)
    assert result.objectives == {"c": pytest.approx(2.0)}
    assert result.values == {"x": pytest.approx(0.0, abs=1e-9), "y": pytest.approx(2.0)}
    assert isinstance(result.values["y"], float)
    assert result.verified is True
    assert result.report is not None and result.report.max_violation <= 1e-6
    assert result.exit_code == 0
    assert result.problem.problem_class.value == "LP"


def test_lp_duals_and_reduced_costs() -> None:
    solution = optiform.loads(TINY_LP).solve().solution
    assert solution.duals is not None
    assert set(solution.duals) == {"r", "cap"}
    assert solution.duals["r"].tolist() == [pytest.approx(0.5)]
    assert solution.duals["cap"].tolist() == [pytest.approx(0.0, abs=1e-9)]
    assert solution.reduced_costs is not None
    assert solution.reduced_costs.tolist() == [pytest.approx(0.5), pytest.approx(0.0, abs=1e-9)]


def test_duals_of_an_indexed_constraint_have_one_entry_per_row() -> None:
    result = optiform.loads(INDEXED, {"I": [1, 2, 3], "need": {"1": 1, "2": 1, "3": 1},
                                      "unit": 3}).solve()
    duals = result.solution.duals
    assert duals is not None
    assert duals["meet"].tolist() == [pytest.approx(3.0)] * 3


def test_infeasible_result() -> None:
    result = optiform.loads(TINY_LP.replace("cap: x <= 10", "cap: x + y <= 1")).solve()
    assert result.status == "infeasible"
    assert result.exit_code == 3
    assert result.verified is False
    assert result.values == {}
    assert result.objective is None
    assert "r" in result.solution.message and "cap" in result.solution.message


def test_unbounded_result() -> None:
    result = optiform.loads(TINY_LP.replace("minimize", "maximize")).solve()
    assert result.status == "unbounded"
    assert result.exit_code == 4


def test_multi_objective_from_python() -> None:
    text = """\
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
    weighted = optiform.loads(text).solve(weights={"cost": 1, "quality": 0.5})
    assert weighted.objectives == {"cost": pytest.approx(10.0), "quality": pytest.approx(30.0)}
    ordered = optiform.loads(text).solve(lexicographic=["cost", "quality"])
    assert ordered.objectives == {"cost": pytest.approx(4.0, rel=1e-5),
                                  "quality": pytest.approx(12.0, rel=1e-5)}
    assert ordered.objective == ordered.objectives["cost"]


def test_check_grounds_without_solving() -> None:
    problem = optiform.check(EXAMPLES / "diet.opt")
    assert problem.problem_class.value == "LP"
    assert problem.n_vars == 9
    assert problem.n_rows == 5


def test_errors_are_collected_and_raised_together() -> None:
    text = """\
sets
  I = 1..3
variables
  x[I] >= 0
objective
  minimize c: sum(i in I) cots[i] * x[i]
constraints
  r[i in J]: x[i] >= 1
  q: y >= 2
"""
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="e.opt").solve()
    spans = [(d.span.file, d.span.line, d.span.column) for d in info.value.diagnostics]
    assert spans == [("e.opt", 6, 27), ("e.opt", 8, 10), ("e.opt", 9, 6)]
    messages = [d.message for d in info.value.diagnostics]
    assert "`cots`" in messages[0] and "`J`" in messages[1] and "`y`" in messages[2]
    rendered = str(info.value)
    assert "e.opt:6:27" in rendered and "3 errors" in rendered
    assert "   6 |   minimize c: sum(i in I) cots[i] * x[i]" in rendered


def test_a_syntax_error_raises_with_its_location() -> None:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads("variables\n  x >= 0\nconstraints\n  r: x = 1\n", file="s.opt")
    [d] = info.value.diagnostics
    assert (d.span.line, d.span.column) == (4, 8)
    assert d.kind == "syntax"
    assert "==" in (d.hint or "")


def test_a_missing_data_file_is_a_diagnostic(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(INDEXED, tmp_path / "nowhere.json")
    assert "nowhere.json" in info.value.diagnostics[0].message
    assert "--data" in (info.value.diagnostics[0].hint or "")


def test_a_nonlinear_model_raises_backend_error_naming_a_capable_solver() -> None:
    text = "variables\n  x in [1, 10]\nobjective\n  minimize c: exp(x)\n"
    model = optiform.loads(text)
    assert model.compile().problem_class.value == "NLP"
    with pytest.raises(BackendError, match="nonlinear") as info:
        model.solve(backend="highs")
    assert "SCIP" in str(info.value) and "--backend pyomo" in str(info.value)
    result = model.solve()  # auto: Pyomo with the best installed nonlinear solver
    assert result.solution.backend == "pyomo/scip"
    assert result.objective == pytest.approx(math.exp(1))


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(BackendError, match="highs"):
        optiform.loads(TINY_LP).solve(backend="gurobi")

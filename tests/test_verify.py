"""The independent checker on hand-made points.

Points are written column by column in variable order; each test says what
the point breaks and checks that the report names it: the constraint, its
index, both sides, the sense, the amount and the line it was declared on.
"""

from __future__ import annotations

import numpy as np
import pytest

import optiform
from optiform.compiler.ir import Problem
from optiform.verify import FEASIBILITY_TOL, Violation, ViolationReport, verify

MODEL = """\
sets
  I = {a, b}
parameters
  cap[I] = {a: 4, b: 10}
variables
  x[I] >= 0
  n integer in [0, 5]
  y binary
constraints
  limit[i in I]: x[i] <= cap[i]
  total: x[a] + x[b] == 6
  band: 1 <= n + y <= 3
  big: x[a] + 1000000 * y <= 1000000
"""
# columns: x[a], x[b], n, y
FEASIBLE = [2.0, 4.0, 1.0, 0.0]


@pytest.fixture(scope="module")
def problem() -> Problem:
    return optiform.loads(MODEL, file="plan.opt").compile()


def check(problem: Problem, point: list[float]) -> ViolationReport:
    return verify(problem, np.array(point, dtype=float))


def only(report: ViolationReport) -> Violation:
    assert len(report.violations) == 1, [v.describe() for v in report.violations]
    return report.violations[0]


def test_columns_are_in_declaration_order(problem: Problem) -> None:
    assert [(v.name, v.offset, v.size) for v in problem.variables] == [
        ("x", 0, 2), ("n", 2, 1), ("y", 3, 1)]


def test_feasible_point_gives_a_clean_report(problem: Problem) -> None:
    report = check(problem, FEASIBLE)
    assert report.feasible
    assert report.violations == []
    assert report.max_violation == 0
    assert report.rows_checked == 4 + 5  # four columns, five rows
    assert report.to_dict()["feasible"] is True


def test_violated_indexed_constraint_names_everything(problem: Problem) -> None:
    v = only(check(problem, [5.0, 1.0, 1.0, 0.0]))
    assert v.constraint == "limit"
    assert v.index == ("a",)
    assert v.lhs == 5 and v.sense == "<=" and v.rhs == 4
    assert v.amount == pytest.approx(1)
    assert v.span is not None and v.span.line == 10 and v.span.file == "plan.opt"
    text = v.describe()
    assert "limit[a]" in text and "line 10" in text


def test_report_as_dict_lists_the_worst_first(problem: Problem) -> None:
    report = check(problem, [7.0, 12.0, 1.0, 0.0])  # limit[a] by 3, limit[b] by 2, total by 13
    assert not report.feasible
    d = report.to_dict()
    assert [(x["constraint"], x["index"]) for x in d["violations"]] == [
        ("total", []), ("limit", ["a"]), ("limit", ["b"])]
    assert d["max_violation"] == pytest.approx(13)
    assert d["violations"][1]["line"] == 10


def test_equality_violated_either_way(problem: Problem) -> None:
    high = only(check(problem, [2.0, 4.5, 1.0, 0.0]))
    low = only(check(problem, [2.0, 3.0, 1.0, 0.0]))
    for v, lhs, amount in ((high, 6.5, 0.5), (low, 5.0, 1.0)):
        assert v.constraint == "total" and v.index == ()
        assert v.sense == "==" and v.rhs == 6
        assert v.lhs == pytest.approx(lhs) and v.amount == pytest.approx(amount)
        assert v.span is not None and v.span.line == 11


def test_ranged_constraint_checks_both_sides(problem: Problem) -> None:
    low = only(check(problem, [2.0, 4.0, 0.0, 0.0]))
    assert (low.constraint, low.sense, low.lhs, low.rhs, low.amount) == ("band", ">=", 0, 1, 1)
    high = only(check(problem, [0.0, 6.0, 3.0, 1.0]))
    assert high.constraint == "band" and high.sense == "<="
    assert (high.lhs, high.rhs) == (4, 3) and high.amount == pytest.approx(1)
    assert high.span is not None and high.span.line == 12


def test_bound_violations(problem: Problem) -> None:
    v = only(check(problem, [-1.0, 7.0, 1.0, 0.0]))
    assert v.constraint.startswith("x") and "bound" in v.constraint
    assert v.index == ("a",)
    assert (v.lhs, v.sense, v.rhs, v.amount) == (-1, ">=", 0, 1)
    assert v.span is not None and v.span.line == 6

    report = check(problem, [2.0, 4.0, 9.0, 0.0])  # n above 5, and band above 3
    names = {(w.constraint, w.sense) for w in report.violations}
    assert ("band", "<=") in names
    upper = next(w for w in report.violations if w.constraint.startswith("n"))
    assert "bound" in upper.constraint
    assert (upper.lhs, upper.sense, upper.rhs, upper.amount) == (9, "<=", 5, 4)
    assert upper.span is not None and upper.span.line == 7


def test_integrality_violations(problem: Problem) -> None:
    v = only(check(problem, [2.0, 4.0, 1.5, 0.0]))
    assert v.constraint.startswith("n") and "integ" in v.constraint
    assert v.lhs == 1.5 and v.amount == pytest.approx(0.5)
    report = check(problem, [2.0, 4.0, 1.0, 0.3])
    binary = [w for w in report.violations if w.constraint.startswith("y")]
    assert len(binary) == 1 and binary[0].amount == pytest.approx(0.3)
    assert binary[0].span is not None and binary[0].span.line == 8
    # within the integrality tolerance
    assert check(problem, [2.0, 4.0, 1.0 + 1e-8, 0.0]).feasible


def test_tolerance_is_relative_to_a_large_rhs(problem: Problem) -> None:
    # big: x[a] + 1e6 * y <= 1e6, so 1e-6 * |rhs| allows an excess of 1
    assert check(problem, [0.5, 5.5, 1.0, 1.0]).feasible
    v = only(check(problem, [2.0, 4.0, 1.0, 1.0]))
    assert v.constraint == "big" and v.amount == pytest.approx(2)


def test_tolerance_is_absolute_below_one() -> None:
    p = optiform.loads("""\
variables
  x >= 0
constraints
  small: x <= 0.001
""").compile()
    assert verify(p, np.array([0.001 + 0.5e-6])).feasible
    v = only(verify(p, np.array([0.001 + 2e-6])))
    assert v.amount == pytest.approx(2e-6)
    assert FEASIBILITY_TOL == 1e-6
    assert verify(p, np.array([0.001 + 2e-6]), tol=1e-5).feasible


def test_equality_tolerance_scales_with_its_rhs() -> None:
    p = optiform.loads("""\
variables
  x >= 0
constraints
  e: 2 * x == 4000000
""").compile()
    assert verify(p, np.array([2000001.0])).feasible  # off by 2, allowed 4
    v = only(verify(p, np.array([2000003.0])))
    assert v.sense == "==" and v.amount == pytest.approx(6)


def test_not_a_number_is_a_violation() -> None:
    p = optiform.loads("""\
variables
  x >= 0
constraints
  c: x <= 1
""").compile()
    report = verify(p, np.array([np.nan]))
    assert not report.feasible
    assert {v.constraint for v in report.violations} >= {"c"}


def test_checks_the_model_as_written_with_lags_and_running_sums() -> None:
    p = optiform.loads("""\
sets
  T = 1..3
variables
  x[T] >= 0
constraints
  lag[t in T : t > 1]: x[t] - x[t - 1] <= 1
  cum[t in T]: sum(t2 in 1..t) x[t2] >= t
""").compile()
    assert verify(p, np.array([1.0, 1.0, 1.0])).feasible
    report = verify(p, np.array([1.0, 0.5, 2.0]))
    got = sorted((v.constraint, v.index, v.amount) for v in report.violations)
    assert [(c, i) for c, i, _ in got] == [("cum", (2,)), ("lag", (3,))]
    assert got[0][2] == pytest.approx(0.5) and got[1][2] == pytest.approx(0.5)


def test_nonlinear_constraints_are_checked_from_their_declaration() -> None:
    p = optiform.loads("""\
variables
  x
  y
constraints
  disc: x^2 + y^2 <= 1
  pos: exp(x) >= 1
""").compile()
    assert verify(p, np.array([0.6, 0.8])).feasible
    report = verify(p, np.array([-1.0, 1.0]))
    by_name = {v.constraint: v for v in report.violations}
    assert set(by_name) == {"disc", "pos"}
    assert by_name["disc"].lhs == pytest.approx(2) and by_name["disc"].amount == pytest.approx(1)
    assert by_name["pos"].lhs == pytest.approx(np.exp(-1))


def test_a_row_with_no_value_at_the_point_is_the_worst_violation_and_valid_json() -> None:
    # pwl beyond its breakpoints: lhs and amount were NaN, and to_dict wrote NaN
    import json

    problem = optiform.loads("variables\n  x in [-5, 10]\n  y in [0, 1]\nobjective\n"
                             "  minimize o: y\nconstraints\n"
                             "  c: pwl(x, [0, 5, 10], [0, 3, 4]) <= 2\n  d: y >= 2\n").compile()
    report = verify(problem, np.array([-2.0, 0.5]))
    worst = sorted(report.violations, key=lambda v: -v.amount)
    assert [v.constraint for v in worst] == ["c", "d"]
    assert "c (line 7): has no value at this point" in worst[0].describe()
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert payload["violations"][0] == {"constraint": "c", "index": [], "lhs": None,
                                        "sense": "<=", "rhs": 2.0, "amount": None, "line": 7}

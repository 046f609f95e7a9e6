"""Implications and disjunctions lowered to big-M rows (compiler/lowering/indicator.py).

Random small models against brute force over every integer point, written here
with Python's own logic; the checker's reading of each construct as written; and a
located error for each misuse.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest
from brute import optimum, solves_to
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.diagnostics import DiagnosticError
from optiform.verify import verify

LO, HI = -3, 3


def _affine(rng: random.Random) -> tuple[str, object]:
    a, b, c = rng.randint(-2, 2), rng.randint(-2, 2), rng.randint(-1, 1)
    d = rng.randint(-2, 2)
    return (f"{a} * x + {b} * y + {c} * w + {d}",
            lambda p, a=a, b=b, c=c, d=d: a * p[0] + b * p[1] + c * p[2] + d)


def _comparison(rng: random.Random) -> tuple[str, object]:
    text, f = _affine(rng)
    if rng.random() < 0.25:  # an abs inside: lowered on its own, then switched
        text, f = f"abs({text})", lambda p, g=f: abs(g(p))
    k = rng.randint(-2, 3)
    op = rng.choice(["<=", ">=", "==", "ranged"])
    if op == "ranged":
        return f"{k - 2} <= {text} <= {k}", lambda p: k - 2 <= f(p) <= k
    check = {"<=": lambda v: v <= k, ">=": lambda v: v >= k, "==": lambda v: v == k}[op]
    return f"{text} {op} {k}", lambda p: check(f(p))


def _instance(seed: int) -> tuple[str, list[object], object, str]:
    rng = random.Random(seed)
    rows, checks = [], []
    for r in range(rng.randint(1, 3)):
        if rng.random() < 0.5:
            lits = rng.sample([("b1", 3), ("b2", 4)], rng.randint(1, 2))
            values = [rng.randint(0, 1) for _ in lits]
            cond = " and ".join(f"{n} == {v}" for (n, _), v in zip(lits, values, strict=True))
            text, holds = _comparison(rng)
            rows.append(f"  r{r}: {cond} ==> {text}")
            checks.append(lambda p, lits=lits, values=values, holds=holds:
                          not all(p[i] == v for (_, i), v in zip(lits, values, strict=True))
                          or holds(p))
        else:
            parts = [_comparison(rng) for _ in range(rng.randint(2, 3))]
            rows.append(f"  r{r}: " + " or ".join(t for t, _ in parts))
            checks.append(lambda p, parts=parts: any(h(p) for _, h in parts))
    obj_text, obj = _affine(rng)
    weights = [rng.randint(-3, 3), rng.randint(-3, 3)]
    sense = rng.choice(["minimize", "maximize"])
    model = f"""\
variables
  x integer in [{LO}, {HI}]
  y integer in [{LO}, {HI}]
  w integer in [0, 2]
  b1 binary
  b2 binary
objective
  {sense} o: {obj_text} + {weights[0]} * b1 + {weights[1]} * b2
constraints
""" + "\n".join(rows) + "\n"

    def objective(p: tuple[int, ...]) -> float:
        return obj(p) + weights[0] * p[3] + weights[1] * p[4]

    return model, checks, objective, sense


def _points() -> list[tuple[int, ...]]:
    return list(itertools.product(range(LO, HI + 1), range(LO, HI + 1), range(3), (0, 1),
                                  (0, 1)))


@pytest.mark.parametrize("seed", range(40))
def test_lowered_optimum_equals_brute_force(seed: int) -> None:
    _against_brute_force(seed, "highs")


@pytest.mark.parametrize("seed", range(8))
def test_pyomo_gets_the_same_optimum(seed: int) -> None:
    _against_brute_force(seed, "pyomo")


def _against_brute_force(seed: int, backend: str) -> None:
    model, checks, objective, sense = _instance(seed)
    best = optimum(_points(), lambda p: all(ok(p) for ok in checks), objective, sense)
    if best is None:
        return
    result = solves_to(model, backend, best)
    point = tuple(round(result.values[v]) for v in ("x", "y", "w", "b1", "b2"))
    assert all(ok(point) for ok in checks), model


def test_the_checker_reads_the_implication_and_disjunction_as_written() -> None:
    text = """\
sets
  I = 1..2
variables
  b[I] binary
  x[I] in [0, 10]
constraints
  on[i in I]: b[i] == 0 ==> x[i] <= 2
  either: x[1] <= 3 or x[1] >= 8
"""
    problem = optiform.loads(text).compile()
    assert problem.lowered is not None
    # b = (0, 1), x = (5, 9): on[1] is violated, on[2] is off; either is violated
    report = verify(problem, np.array([0.0, 1.0, 5.0, 9.0]))
    found = {(v.constraint, v.index) for v in report.violations}
    assert found == {("on", (1,)), ("either", ())}
    either = next(v for v in report.violations if v.constraint == "either")
    assert either.amount == pytest.approx(2)  # nearest side: 5 <= 3
    assert verify(problem, np.array([1.0, 1.0, 9.0, 4.0])).feasible
    assert report.rows_checked == 4 + 3


def test_auxiliary_rows_stay_out_of_the_answer() -> None:
    text = """\
variables
  b binary
  x in [0, 10]
objective
  maximize o: x - 4 * b
constraints
  on: b == 0 ==> x <= 3
"""
    result = optiform.loads(text).solve()
    assert result.objective == pytest.approx(6)
    assert set(result.values) == {"b", "x"}
    assert result.report is not None and result.report.rows_checked == 3


def test_torch_refuses_a_logical_constraint_clearly() -> None:
    text = "variables\n  b binary\n  x in [0, 4]\nconstraints\n  on: b == 1 ==> x >= 2\n"
    with pytest.raises(optiform.BackendError, match="implication or disjunction.*`on`"):
        optiform.loads(text).solve(backend="torch")


def _error(text: str) -> str:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    return str(info.value)


def test_continuous_variable_in_a_condition() -> None:
    shown = _error("variables\n  y in [0, 1]\n  x in [0, 4]\nconstraints\n"
                   "  on: y == 1 ==> x >= 2\n")
    assert "`y` in the condition of `on` is continuous" in shown
    assert "m.opt:5:7" in shown


def test_condition_that_is_not_a_literal() -> None:
    shown = _error("variables\n  b binary\n  x in [0, 4]\nconstraints\n"
                   "  on: b >= 1 ==> x >= 2\n")
    assert "must be `v == 1` or `v == 0`" in shown
    assert "m.opt:5:7" in shown


def test_nonlinear_consequence() -> None:
    shown = _error("variables\n  b binary\n  x in [1, 4]\nconstraints\n"
                   "  on: b == 1 ==> x * x >= 2\n")
    assert "`x * x >= 2` in `on` is not linear" in shown
    assert "m.opt:5:18" in shown


def test_consequence_that_is_not_a_constraint() -> None:
    shown = _error("variables\n  b binary\n  x in [1, 4]\nconstraints\n"
                   "  on: b == 1 ==> x + 1\n")
    assert "the consequence of an implication in `on` must be a linear constraint" in shown


def test_missing_bound_for_the_relaxed_side() -> None:
    shown = _error("sets\n  I = 1..2\nvariables\n  b binary\n  x[I] >= 0\nconstraints\n"
                   "  on[i in I]: b == 1 ==> x[i] <= 2\n")
    assert "the implication `on[1]` needs a big-M, which needs an upper bound on x[1]" in shown
    # the other side needs no bound: only the relaxed side's bound counts
    optiform.loads("variables\n  b binary\n  x >= 0\nconstraints\n  on: b == 1 ==> x >= 2\n"
                   ).compile()


def test_disjunct_without_a_bound() -> None:
    shown = _error("variables\n  x\nconstraints\n  gap: x <= -1 or x >= 1\n")
    assert "the disjunction `gap` needs a big-M, which needs an upper bound on x" in shown


def test_the_cli_answer_holds_the_user_columns_only(tmp_path: Path) -> None:
    model = tmp_path / "m.opt"
    model.write_text("""\
sets
  W = {north, south}
variables
  b[W] binary
  x[W] in [0, 10]
objective
  maximize o: sum(w in W) x[w] - 3 * sum(w in W) b[w]
constraints
  on[w in W]: b[w] == 0 ==> x[w] <= 2
  either: x[north] <= 1 or x[south] >= 9
  gap: abs(x[north] - x[south]) <= 9
""")
    runner = CliRunner()
    checked = runner.invoke(app, ["check", str(model)])
    assert checked.exit_code == 0
    assert "ok - MILP, 4 variables, 4 constraint rows, 1 objective (solved as" in checked.output
    solved = runner.invoke(app, ["solve", "--json", str(model)])
    assert solved.exit_code == 0, solved.output
    answer = json.loads(solved.output)
    assert set(answer["variables"]) == {"b", "x"}
    assert answer["check"]["feasible"] is True
    assert {v["constraint"] for v in answer["check"]["violations"]} == set()
    assert "#" not in solved.output
    assert answer["objective"] == pytest.approx(20 - 6)  # b = (1, 1), x = (10, 10)

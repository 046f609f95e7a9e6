"""Conformance of the HiGHS backend: small problems with hand-checked answers.

Everything goes through `optiform.api.solve`, so the checker's report comes
back with each result; optima are worked out by hand (or by scipy for the
QP) and compared with what HiGHS returns.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.optimize import minimize

import optiform
from optiform import BackendError, DiagnosticError
from optiform.api import solve
from optiform.backends import SolveOptions
from optiform.solution import Result, TerminationStatus


def run(text: str, **options: object) -> Result:
    problem = optiform.loads(text).compile()
    return solve(problem, "highs", SolveOptions(**options))  # type: ignore[arg-type]


def assert_optimal(r: Result) -> None:
    assert r.status == "optimal", r.solution.message
    assert r.solution.termination is TerminationStatus.OPTIMAL
    assert r.verified, r.report and [v.describe() for v in r.report.violations]
    assert r.solution.backend == "highs"


# ---- LP --------------------------------------------------------------------------------

MIN_LP = """\
parameters
  need_rhs = 4
variables
  x >= 0
  y >= 0
objective
  minimize cost: 2 * x + 3 * y
constraints
  need: x + y >= need_rhs
  mix: x - y <= 2
"""


def test_lp_optimum() -> None:
    r = run(MIN_LP)
    assert_optimal(r)
    assert r.objective == pytest.approx(9)
    assert r.values["x"] == pytest.approx(3) and r.values["y"] == pytest.approx(1)
    assert r.problem.problem_class.value == "LP"


def test_lp_duals_are_the_change_of_the_objective_per_unit_of_rhs() -> None:
    r = run(MIN_LP)
    duals = r.solution.duals
    assert duals is not None
    # vertex x - y = 2, x + y = 4: grad (2, 3) = 2.5 * (1, 1) - 0.5 * (1, -1)
    assert duals["need"][0] == pytest.approx(2.5)
    assert duals["mix"][0] == pytest.approx(-0.5)
    bumped = run(MIN_LP.replace("need_rhs = 4", "need_rhs = 5"))
    assert bumped.objective - r.objective == pytest.approx(duals["need"][0])


MAX_LP = """\
parameters
  r1 = 4
variables
  x >= 0
  y >= 0
objective
  maximize profit: 2 * x + 3 * y + 1
constraints
  c1: x + y <= r1
  c2: x + 3 * y <= 6
"""


def test_maximisation_objective_sign_and_duals() -> None:
    r = run(MAX_LP)
    assert_optimal(r)
    assert r.objective == pytest.approx(10)  # 2*3 + 3*1 + 1, not its negation
    assert r.objectives == {"profit": pytest.approx(10)}
    assert r.values == {"x": pytest.approx(3), "y": pytest.approx(1)}
    duals = r.solution.duals
    assert duals is not None
    # (2, 3) = 1.5 * (1, 1) + 0.5 * (1, 3): one more unit of c1 earns 1.5
    assert duals["c1"][0] == pytest.approx(1.5)
    assert duals["c2"][0] == pytest.approx(0.5)
    bumped = run(MAX_LP.replace("r1 = 4", "r1 = 4.5"))
    assert (bumped.objective - r.objective) / 0.5 == pytest.approx(duals["c1"][0])


def test_max_lp_with_a_covering_row_has_a_negative_dual() -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
objective
  maximize o: -x - y
constraints
  need: x + 2 * y >= 4
""")
    assert_optimal(r)
    assert r.objective == pytest.approx(-2)
    assert r.solution.duals is not None
    assert r.solution.duals["need"][0] == pytest.approx(-0.5)


# ---- MILP and QP ------------------------------------------------------------------------

def test_milp_optimum() -> None:
    r = run("""\
sets
  I = {a, b, c, d}
parameters
  v[I] = {a: 10, b: 13, c: 7, d: 8}
  w[I] = {a: 5, b: 7, c: 4, d: 3}
variables
  take[I] binary
  n integer in [0, 10]
objective
  maximize value: sum(i in I) v[i] * take[i] + 0.5 * n
constraints
  weight: sum(i in I) w[i] * take[i] <= 10
  cnt: 2 * n <= 7
""")
    assert_optimal(r)
    # best pair by value within weight 10 is {b, d} (21); n is at most 3.5, so 3
    assert r.objective == pytest.approx(22.5)
    assert {k[0]: round(v) for k, v in r.values["take"].items()} == {
        "a": 0, "b": 1, "c": 0, "d": 1}
    assert r.values["n"] == pytest.approx(3)
    assert r.problem.problem_class.value == "MILP"


QP = """\
variables
  x
  y
objective
  minimize o: (x - y)^2 + x^2 + y^2 - 2 * x - 4 * y + 3
constraints
  c: x + y <= 1
"""


def test_convex_qp_optimum_matches_scipy() -> None:
    r = run(QP)
    assert_optimal(r)
    assert r.problem.problem_class.value == "QP" and r.problem.convex is True

    def f(z: np.ndarray) -> float:
        x, y = z
        return float((x - y) ** 2 + x**2 + y**2 - 2 * x - 4 * y + 3)

    ref = minimize(f, np.zeros(2), method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda z: 1 - z[0] - z[1]}])
    assert ref.success
    assert r.objective == pytest.approx(ref.fun, abs=1e-6)
    assert [r.values["x"], r.values["y"]] == pytest.approx(list(ref.x), abs=1e-4)
    # hand KKT: on x + y = 1 the minimum is at x = 1/3, y = 2/3, objective 1/3
    assert r.values["x"] == pytest.approx(1 / 3, abs=1e-6)
    assert r.objective == pytest.approx(1 / 3, abs=1e-6)


def test_concave_qp_maximised() -> None:
    r = run("""\
variables
  x
objective
  maximize o: -x^2 + 4 * x + 1
""")
    assert_optimal(r)
    assert r.values["x"] == pytest.approx(2, abs=1e-5)
    assert r.objective == pytest.approx(5, abs=1e-6)


def test_mixed_integer_qp_is_solved_or_refused_clearly() -> None:
    text = """\
variables
  x integer in [-5, 5]
objective
  minimize o: (x - 2.4)^2
"""
    try:
        r = run(text)
    except BackendError as exc:
        assert "MIQP" in str(exc) or "integer" in str(exc)
        return
    assert_optimal(r)
    assert r.values["x"] == pytest.approx(2)
    assert r.objective == pytest.approx(0.16)


# ---- statuses --------------------------------------------------------------------------

def test_infeasible_names_the_conflicting_constraints() -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
objective
  minimize cost: x + y
constraints
  lo: x + y >= 10
  hi: x + y <= 5
  other: x <= 100
""")
    assert r.status == "infeasible"
    assert not r.solution.has_point and r.report is None
    msg = r.solution.message
    assert "lo" in msg and "hi" in msg and "other" not in msg
    assert r.exit_code == 3


@pytest.mark.parametrize(("domain", "objective"), [("", "minimize o: x^2 + y^2"),
                                              ("integer", "minimize o: k + y")],
                         ids=["qp", "milp"])
def test_infeasible_qp_and_milp_name_the_conflict(domain: str, objective: str) -> None:
    r = run(f"""\
variables
  x
  y >= 0
  k {domain} >= 0
objective
  {objective}
constraints
  a: x + y + k >= 3
  b: x + y + k <= 1
  c: y <= 10
""")
    assert r.status == "infeasible"
    assert re.search(r"\ba\b", r.solution.message) and re.search(r"\bb\b", r.solution.message)
    assert not re.search(r"\bc\b", r.solution.message)


def test_infeasible_indexed_row_is_named_with_its_index() -> None:
    r = run("""\
sets
  I = 1..3
variables
  x[I] in [0, 1]
constraints
  need[i in I]: x[i] >= i - 1
""")
    assert r.status == "infeasible"
    assert "need[3]" in r.solution.message
    assert "need[1]" not in r.solution.message and "need[2]" not in r.solution.message


def test_unbounded_names_a_variable() -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
objective
  maximize gain: x + y
constraints
  c: x - y <= 1
""")
    assert r.status == "unbounded"
    assert not r.solution.has_point
    msg = r.solution.message
    assert "x" in msg or "y" in msg
    assert "grow" in msg or "unbounded" in msg
    assert r.exit_code == 4


@pytest.mark.parametrize(("text", "moving"), [
    ("variables\n  x integer >= 0\nobjective\n  maximize gain: x\nconstraints\n"
     "  c: x >= 1\n", "x"),
    ("variables\n  x >= 0\n  w in [0, 1]\nobjective\n  minimize o: w - x\n", "x"),
    ("variables\n  x\n  y\nobjective\n  minimize o: x^2 - y\n", "y"),
], ids=["milp", "lp-without-rows", "qp"])
def test_unbounded_message_names_the_variable_in_every_class(text: str, moving: str) -> None:
    r = run(text)
    assert r.status == "unbounded"
    assert re.search(rf"\b{moving}\b", r.solution.message), repr(r.solution.message)


def test_nonconvex_qp_is_refused_with_a_clear_error() -> None:
    problem = optiform.loads("""\
variables
  x in [0, 1]
  y in [0, 1]
objective
  minimize o: x * y
""").compile()
    assert problem.convex is False
    with pytest.raises(BackendError, match="convex"):
        solve(problem, "highs")


def test_nlp_is_refused_naming_a_kind_of_solver_that_could() -> None:
    problem = optiform.loads("""\
variables
  x in [0, 1]
objective
  minimize o: exp(x)
""").compile()
    with pytest.raises(BackendError) as info:
        solve(problem, "highs")
    msg = str(info.value)
    assert "NLP" in msg and "nonlinear" in msg
    assert "Ipopt" in msg or "SCIP" in msg


def test_quadratic_constraint_is_refused() -> None:
    problem = optiform.loads("""\
variables
  x
  y
objective
  minimize o: x + y
constraints
  disc: x^2 + y^2 <= 1
""").compile()
    with pytest.raises(BackendError, match="nonlinear"):
        solve(problem, "highs")


# ---- objectives --------------------------------------------------------------------------

MULTI = """\
variables
  x in [0, 10]
  y in [0, 10]
objective
  minimize cost: x + 2 * y
  maximize quality: 3 * x + y
constraints
  c: x + y >= 4
  d: x <= 6
"""


def test_weighted_objectives() -> None:
    # minimise (x + 2y) - 0.5 (3x + y) = -0.5 x + 1.5 y: x as large as d allows, y at 0
    r = run(MULTI, weights={"cost": 1.0, "quality": 0.5})
    assert_optimal(r)
    assert r.values == {"x": pytest.approx(6), "y": pytest.approx(0)}
    assert r.objectives == {"cost": pytest.approx(6), "quality": pytest.approx(18)}
    # minimise (x + 2y) - 0.2 (3x + y) = 0.4 x + 1.8 y: the cheapest cover, x = 4
    r = run(MULTI, weights={"cost": 1.0, "quality": 0.2})
    assert r.values == {"x": pytest.approx(4), "y": pytest.approx(0)}


def test_default_objective_is_the_first() -> None:
    r = run(MULTI)
    assert_optimal(r)
    assert r.objectives["cost"] == pytest.approx(4)
    assert r.objectives["quality"] == pytest.approx(12)


def test_lexicographic_objectives() -> None:
    # quality first: 3x + y is at most 28 (x = 6, y = 10); then cost keeps it there
    r = run(MULTI, lexicographic=("quality", "cost"))
    assert_optimal(r)
    assert r.objectives["quality"] == pytest.approx(28, rel=1e-5)
    assert r.objectives["cost"] == pytest.approx(26, rel=1e-5)
    # cost first: 4 at x = 4, y = 0; quality can then only reach 12
    r = run(MULTI, lexicographic=("cost", "quality"))
    assert_optimal(r)
    assert r.objectives["cost"] == pytest.approx(4, rel=1e-5)
    assert r.objectives["quality"] == pytest.approx(12, rel=1e-5)


def test_lexicographic_breaks_a_tie_the_first_objective_leaves_open() -> None:
    # every point of x + y = 4 maximises `a`; `b` then picks an end of that segment
    text = """\
variables
  x in [0, 4]
  y in [0, 4]
objective
  maximize a: x + y
  minimize b: x - y
constraints
  cap: x + y <= 4
"""
    r = run(text, lexicographic=("a", "b"))
    assert_optimal(r)
    assert r.objectives["a"] == pytest.approx(4, rel=1e-5)
    assert r.objectives["b"] == pytest.approx(-4, rel=1e-5)
    assert r.values == {"x": pytest.approx(0, abs=1e-4), "y": pytest.approx(4, rel=1e-5)}
    r = run(text.replace("minimize b: x - y", "minimize b: y - x"), lexicographic=("a", "b"))
    assert r.values == {"x": pytest.approx(4, rel=1e-5), "y": pytest.approx(0, abs=1e-4)}


def test_unknown_objective_name_suggests_the_closest() -> None:
    problem = optiform.loads(MULTI).compile()
    with pytest.raises(DiagnosticError) as info:
        solve(problem, "highs", SolveOptions(weights={"cots": 1.0}))
    assert info.value.diagnostics[0].hint is not None
    assert "`cost`" in info.value.diagnostics[0].hint


def test_weights_and_lexicographic_together_are_refused() -> None:
    problem = optiform.loads(MULTI).compile()
    with pytest.raises(DiagnosticError, match="not both"):
        solve(problem, "highs", SolveOptions(weights={"cost": 1.0},
                                             lexicographic=("cost", "quality")))


def test_quadratic_objective_may_only_come_last_in_a_lexicographic_order() -> None:
    text = """\
variables
  x in [0, 3]
  y in [0, 3]
objective
  minimize l: y - x
  minimize q: (x - 1)^2 + y
"""
    problem = optiform.loads(text).compile()
    with pytest.raises(DiagnosticError) as info:
        solve(problem, "highs", SolveOptions(lexicographic=("q", "l")))
    assert "`q`" in info.value.diagnostics[0].message
    r = run(text, lexicographic=("l", "q"))
    assert_optimal(r)
    assert r.objectives["l"] == pytest.approx(-3, rel=1e-5)
    assert r.objectives["q"] == pytest.approx(4, rel=1e-4)


def test_objective_constant_is_kept() -> None:
    r = run("""\
variables
  x in [1, 2]
objective
  minimize o: 5 + 2 * x - x
""")
    assert_optimal(r)
    assert r.objective == pytest.approx(6)


def test_options_time_limit_and_gap_are_accepted() -> None:
    r = run(MULTI, time_limit=30.0, mip_gap=1e-4)
    assert_optimal(r)
    assert r.objective == pytest.approx(4)
    r = optiform.loads(MULTI).solve(time_limit=30.0)
    assert r.status == "optimal"


# ---- variables and rows -----------------------------------------------------------------

def test_free_and_fixed_variables() -> None:
    r = run("""\
variables
  z
  f == 3
  w >= -2, <= 7
objective
  minimize o: z + f - w
constraints
  c: z >= f - 10
""")
    assert_optimal(r)
    assert r.values == {"z": pytest.approx(-7), "f": pytest.approx(3), "w": pytest.approx(7)}
    assert r.objective == pytest.approx(-11)


def test_free_variable_reaches_a_negative_optimum_through_rows() -> None:
    r = run("""\
sets
  I = 1..3
variables
  z[I]
objective
  maximize o: -sum(i in I) z[i]
constraints
  floor[i in I]: z[i] >= -i
""")
    assert_optimal(r)
    assert r.values["z"] == {(1,): pytest.approx(-1), (2,): pytest.approx(-2),
                             (3,): pytest.approx(-3)}
    assert r.objective == pytest.approx(6)


def test_empty_constraint_index() -> None:
    r = run("""\
sets
  I = 1..3
variables
  x[I] >= 0
objective
  minimize o: sum(i in I) x[i]
constraints
  none[i in I : i > 5]: x[i] >= 1
  one: x[1] >= 2
""")
    assert_optimal(r)
    assert r.objective == pytest.approx(2)
    assert r.solution.duals is not None and len(r.solution.duals["none"]) == 0
    assert r.solution.duals["one"][0] == pytest.approx(1)


def test_feasibility_model_without_objective_returns_a_verified_point() -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
  k integer in [0, 3]
constraints
  c: x + y >= 3
  d: x <= 1
  e: y + k <= 2.5
""")
    assert r.status == "optimal"
    assert r.objectives == {} and r.objective is None
    assert r.verified
    x, y, k = r.values["x"], r.values["y"], r.values["k"]
    assert x + y >= 3 - 1e-6 and x <= 1 + 1e-6 and y + k <= 2.5 + 1e-6
    assert k == round(k)

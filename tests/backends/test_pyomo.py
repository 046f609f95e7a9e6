"""Conformance of the Pyomo backend, for every solver installed and each capability it claims.

The small problems of the HiGHS suite run here against Pyomo with SCIP and
with HiGHS (Pyomo's `highs` interface), skipped where the solver does not
claim the capability; nonlinear models (every function the language has)
run against SCIP, which proves global optimality. Every example solves to its
expected optimum, and the literature optima of the nonlinear examples are
confirmed by a method that shares nothing with optiform (scipy, enumeration).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog, minimize
from typer.testing import CliRunner

import optiform
from optiform import BackendError, DiagnosticError
from optiform.api import solve
from optiform.backends import SolveOptions, choose, solvers
from optiform.backends.base import CLASS_NEEDS
from optiform.backends.pyomo.backend import PyomoBackend
from optiform.backends.pyomo.model import build
from optiform.cli import app
from optiform.compiler.ir import ProblemClass
from optiform.solution import Result, TerminationStatus

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# SCIP, HiGHS through Pyomo's `highs` interface and through its older `appsi_highs` one
SOLVERS = [s for s in ("scip", "highs", "appsi_highs") if PyomoBackend(s).is_available()]


@pytest.fixture(params=SOLVERS)
def solver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def requires(solver: str, *capabilities: str) -> None:
    """SCIP and HiGHS come with the project's own dependencies, so they must be here."""
    assert set(capabilities) <= PyomoBackend(solver).capabilities, solver


def claiming(*capabilities: str) -> list[str]:
    """The installed solvers that claim every capability: each test runs on those."""
    return [s for s in SOLVERS if set(capabilities) <= PyomoBackend(s).capabilities]


def run(text: str, solver: str = "scip", **options: object) -> Result:
    problem = optiform.loads(text).compile()
    return solve(problem, "pyomo", SolveOptions(**options), solver=solver)  # type: ignore


def assert_optimal(r: Result, solver: str) -> None:
    assert r.status == "optimal", r.solution.message
    assert r.verified, r.report and [v.describe() for v in r.report.violations]
    assert r.solution.backend == f"pyomo/{solver}"


# ---- linear and quadratic: the HiGHS suite's problems --------------------------------

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

MAX_LP = """\
variables
  x >= 0
  y >= 0
objective
  maximize profit: 2 * x + 3 * y + 1
constraints
  c1: x + y <= 4
  c2: x + 3 * y <= 6
"""


def test_lp_optimum(solver: str) -> None:
    r = run(MIN_LP, solver)
    assert_optimal(r, solver)
    assert r.objective == pytest.approx(9)
    assert r.values == {"x": pytest.approx(3), "y": pytest.approx(1)}


@pytest.mark.parametrize("solver", claiming("duals"))
def test_lp_duals_agree_with_the_direct_highs_backend(solver: str) -> None:
    for text, rows in ((MIN_LP, {"need": 2.5, "mix": -0.5}), (MAX_LP, {"c1": 1.5, "c2": 0.5})):
        r = run(text, solver)
        direct = optiform.loads(text).solve("highs")
        assert r.solution.duals is not None and direct.solution.duals is not None
        for name, value in rows.items():
            assert r.solution.duals[name][0] == pytest.approx(value)
            assert direct.solution.duals[name][0] == pytest.approx(value)


def test_solvers_without_duals_leave_them_out() -> None:
    requires("scip", "linear")
    assert "duals" not in PyomoBackend("scip").capabilities
    assert run(MIN_LP, "scip").solution.duals is None


def test_maximisation_keeps_its_sign_and_constant(solver: str) -> None:
    r = run(MAX_LP, solver)
    assert_optimal(r, solver)
    assert r.objectives == {"profit": pytest.approx(10)}


@pytest.mark.parametrize("solver", claiming("integer"))
def test_milp_optimum(solver: str) -> None:
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
""", solver, time_limit=30.0, mip_gap=1e-6)
    assert_optimal(r, solver)
    assert r.objective == pytest.approx(22.5)
    assert {k[0]: round(v) for k, v in r.values["take"].items()} == {
        "a": 0, "b": 1, "c": 0, "d": 1}


QP = """\
variables
  x
  y
objective
  minimize o: (x - y)^2 + x^2 + y^2 - 2 * x - 4 * y + 3
constraints
  c: x + y <= 1
"""


@pytest.mark.parametrize("solver", claiming("quadratic"))
def test_convex_qp_matches_scipy(solver: str) -> None:
    r = run(QP, solver)
    assert_optimal(r, solver)
    ref = minimize(lambda z: (z[0] - z[1]) ** 2 + z[0] ** 2 + z[1] ** 2 - 2 * z[0]
                   - 4 * z[1] + 3, np.zeros(2), method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda z: 1 - z[0] - z[1]}])
    assert r.objective == pytest.approx(ref.fun, abs=1e-6)
    # SCIP bounds a nonlinear objective by a row held to 1e-6: near a smooth optimum the
    # point is then good to about the square root of that
    assert r.values["x"] == pytest.approx(1 / 3, abs=1e-3)


@pytest.mark.parametrize("solver", claiming("integer-quadratic"))
def test_mixed_integer_qp(solver: str) -> None:
    r = run("variables\n  x integer in [-5, 5]\nobjective\n  minimize o: (x - 2.4)^2\n",
            solver)
    assert_optimal(r, solver)
    assert r.values["x"] == pytest.approx(2)
    assert r.objective == pytest.approx(0.16)


@pytest.mark.parametrize("solver", claiming("nonconvex-quadratic", "proves-optimality"))
def test_nonconvex_qp_is_solved_globally(solver: str) -> None:
    # x*y over the box has its minimum -1 at two opposite corners
    r = run("variables\n  x in [-1, 1]\n  y in [-1, 1]\nobjective\n  minimize o: x * y\n",
            solver)
    assert r.problem.convex is False
    assert_optimal(r, solver)
    assert r.objective == pytest.approx(-1)


def test_auto_sends_what_highs_cannot_take_to_pyomo() -> None:
    requires("scip", "nonlinear")
    for text in ("variables\n  x integer in [-5, 5]\nobjective\n  minimize o: (x - 2.4)^2\n",
                 "variables\n  x in [-1, 1]\n  y in [-1, 1]\nobjective\n  minimize o: x * y\n",
                 "variables\n  x in [1, 2]\nobjective\n  minimize o: exp(x)\n"):
        r = optiform.loads(text).solve()
        assert r.solution.backend == "pyomo/scip", text
        assert r.status == "optimal"
    assert optiform.loads(MIN_LP).solve().solution.backend == "highs"


# ---- statuses -------------------------------------------------------------------------

def test_infeasible(solver: str) -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
objective
  minimize cost: x + y
constraints
  lo: x + y >= 10
  hi: x + y <= 5
""", solver)
    assert r.status == "infeasible"
    assert not r.solution.has_point and r.report is None
    assert r.exit_code == 3 and r.solution.message


def test_unbounded(solver: str) -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
objective
  maximize gain: x + y
constraints
  c: x - y <= 1
""", solver)
    assert r.status in ("unbounded", "infeasible_or_unbounded")
    assert not r.solution.has_point


def test_a_row_without_variables_that_cannot_hold_is_named() -> None:
    r = run("""\
sets
  I = 1..3
variables
  x[I] >= 0
objective
  minimize o: sum(i in I) x[i]
constraints
  odd[i in I]: sum(j in I : j > 5) x[j] >= i - 2
""", "scip")
    assert r.status == "infeasible"
    assert "odd[3]" in r.solution.message and "odd[1]" not in r.solution.message


def test_crossed_bounds_and_a_division_by_zero_are_told_not_raised() -> None:
    r = run("variables\n  x\nconstraints\n  c: 0 <= exp(x) <= -1\n", "scip")
    assert r.status == "infeasible" and "cross" in r.solution.message
    # refused by the compiler at the 0 (SCIP called `exp(x) * (1 / 0)` infeasible)
    with pytest.raises(DiagnosticError, match="a division by zero") as info:
        optiform.loads("variables\n  x in [0, 1]\nobjective\n  minimize o: exp(x) / 0\n",
                       file="m.opt").compile()
    assert "m.opt:4:24" in str(info.value)
    # a conditional's constant 0, which the compiler cannot see, stops Pyomo's build
    problem = optiform.loads("sets\n  I = 1..2\nvariables\n  x[I] in [1, 2]\nobjective\n"
                             "  minimize o: sum(i in I) exp(x[i]) * "
                             "(5 / (if i >= 2 then x[i] else 0))\n",
                             file="m.opt").compile()
    with pytest.raises(DiagnosticError, match="division by zero") as info:
        solve(problem, "pyomo", solver="scip")
    assert "m.opt:6:40" in str(info.value)


# ---- objectives ----------------------------------------------------------------------

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


def test_weighted_objectives(solver: str) -> None:
    r = run(MULTI, solver, weights={"cost": 1.0, "quality": 0.5})
    assert_optimal(r, solver)
    assert r.values == {"x": pytest.approx(6), "y": pytest.approx(0, abs=1e-7)}
    assert r.objectives == {"cost": pytest.approx(6), "quality": pytest.approx(18)}


def test_lexicographic_objectives(solver: str) -> None:
    r = run(MULTI, solver, lexicographic=("quality", "cost"))
    assert_optimal(r, solver)
    assert r.objectives["quality"] == pytest.approx(28, rel=1e-5)
    assert r.objectives["cost"] == pytest.approx(26, rel=1e-5)


def test_lexicographic_holds_a_nonlinear_objective() -> None:
    requires("scip", "nonlinear")
    # first the distance to (2, 1), at least 1 away from the origin's disc; then x
    r = run("""\
variables
  x in [0, 3]
  y in [0, 3]
objective
  minimize far: (x - 2)^2 + (y - 1)^2 + abs(x - y)
  minimize left: x
""", "scip", lexicographic=("far", "left"))
    assert_optimal(r, "scip")
    assert r.objectives["far"] == pytest.approx(0.5, abs=1e-5)  # at x = y = 1.5
    assert r.values["x"] == pytest.approx(1.5, abs=1e-3)


def test_objective_bounds_hold(solver: str) -> None:
    r = run(MULTI, solver, objective_bounds={"quality": 20.0})
    assert_optimal(r, solver)
    assert r.objectives["quality"] >= 20 - 1e-6
    assert r.objectives["cost"] == pytest.approx(10)  # x = 6, y = 2


@pytest.mark.parametrize("solver", claiming("integer"))
def test_feasibility_model_without_objective(solver: str) -> None:
    r = run("""\
variables
  x >= 0
  y >= 0
  k integer in [0, 3]
constraints
  c: x + y >= 3
  d: x <= 1
  e: y + k <= 2.5
""", solver)
    assert r.status == "optimal" and r.objective is None and r.verified


def test_empty_index_and_an_unused_variable(solver: str) -> None:
    r = run("""\
sets
  I = 1..3
variables
  x[I] >= 0
  spare in [2, 5]
objective
  minimize o: sum(i in I) x[i]
constraints
  none[i in I : i > 5]: x[i] >= 1
  one: x[1] >= 2
""", solver)
    assert_optimal(r, solver)
    assert r.objective == pytest.approx(2)
    assert 2 <= r.values["spare"] <= 5


# ---- nonlinear: every function, on SCIP ------------------------------------------------

@pytest.mark.parametrize(("body", "optimum", "cls"), [
    ("exp(x) - 2 * x", 2 - 2 * math.log(2), "NLP"),
    ("x * log(x)", -1 / math.e, "NLP"),
    ("-sqrt(x) + x / 4", -1.0, "NLP"),
    # abs, max and min of affine expressions are lowered to linear rows (an epigraph here)
    ("abs(x - 1.5) + 0.1 * x", 0.15, "LP"),
    ("max(x - 2, 1 - x) ", -1 / 2, "LP"),
    ("min(x, 3 - x) * -1 + x^2 / 10", -1.5 + 0.225, "QP"),
    ("sin(x) + cos(x)", -math.sqrt(2), "NLP"),
    ("1 / x + x", 2.0, "NLP"),
    ("x^3 - 3 * x", -2.0, "NLP"),
], ids=["exp", "log", "sqrt", "abs", "max", "min", "sin-cos", "division", "cube"])
def test_nonlinear_functions(body: str, optimum: float, cls: str) -> None:
    requires("scip", "nonlinear")
    r = run(f"variables\n  x in [0.1, 4]\nobjective\n  minimize o: {body}\n", "scip")
    assert_optimal(r, "scip")
    assert r.problem.problem_class.value == cls
    assert r.objective == pytest.approx(optimum, abs=1e-5)


def test_products_sums_conditionals_and_prod_over_binders() -> None:
    requires("scip", "nonlinear")
    r = run("""\
sets
  I = 1..4
parameters
  w[I] = [1, 2, 3, 4]
variables
  x[I] in [0.5, 3]
objective
  maximize o: sum(i in I) (if w[i] > 2 then log(x[i]) else -x[i]^2)
constraints
  volume: prod(i in I) x[i] <= 6
  pair[i in I : i < 4]: x[i] * x[i + 1] >= 0.25 * w[i]
  ranged: 1 <= x[1] / x[2] + max(i in I) x[i] <= 5
  both_sides: x[3] * x[4] == x[1] + x[2] + 3
""", "scip")
    assert_optimal(r, "scip")
    x = [r.values["x"][(i,)] for i in range(1, 5)]
    assert np.prod(x) <= 6 + 1e-6
    assert x[2] * x[3] == pytest.approx(x[0] + x[1] + 3, abs=1e-6)

    def objective(z: np.ndarray) -> float:
        return -float(-z[0] ** 2 - z[1] ** 2 + np.log(z[2]) + np.log(z[3]))

    cons = [{"type": "ineq", "fun": lambda z: 6 - np.prod(z)},
            {"type": "eq", "fun": lambda z: z[2] * z[3] - z[0] - z[1] - 3},
            {"type": "ineq", "fun": lambda z: z[0] / z[1] + np.max(z) - 1},
            {"type": "ineq", "fun": lambda z: 5 - z[0] / z[1] - np.max(z)},
            *({"type": "ineq", "fun": (lambda z, i=i: z[i] * z[i + 1] - 0.25 * (i + 1))}
              for i in range(3))]
    best = min((minimize(objective, start, method="SLSQP", bounds=[(0.5, 3)] * 4,
                         constraints=cons) for start in ([1, 1, 2, 2], [0.5, 0.5, 3, 2],
                                                         [1, 2, 3, 2])),
               key=lambda res: res.fun if res.success else math.inf)
    assert r.objective == pytest.approx(-best.fun, abs=1e-4)


def test_minlp_with_nonlinear_rows() -> None:
    requires("scip", "nonlinear", "integer")
    r = run("""\
variables
  n integer in [0, 10]
  x in [0, 10]
objective
  minimize o: (x - 3.3)^2 + (n - x)^2
constraints
  curve: x^2 + n <= 14
""", "scip")
    assert_optimal(r, "scip")
    assert r.problem.problem_class.value == "MINLP"
    assert r.values["n"] == pytest.approx(round(r.values["n"]))


def test_init_values_are_the_starting_point() -> None:
    requires("scip", "nonlinear")
    problem = optiform.loads("""\
sets
  I = 1..3
parameters
  start[I] = [0.5, 1.5, 2.5]
variables
  x[i in I] in [0, 3], init start[i]
  y in [0, 1]
objective
  minimize o: sum(i in I) exp(x[i]) + y
""").compile()
    built = build(problem)
    assert [v.value for v in built.columns] == [0.5, 1.5, 2.5, None]
    assert built.model.x[2].value == 1.5  # indexed by the variable's own keys


def test_a_function_no_solver_takes_is_refused_with_its_place() -> None:
    problem = optiform.loads("variables\n  x in [0, 3]\nobjective\n  minimize o: floor(x)\n",
                             file="m.opt").compile()
    with pytest.raises(BackendError, match="floor") as info:
        solve(problem, "pyomo", solver="scip")
    assert "m.opt:4" in str(info.value)


def test_local_solvers_report_locally_solved() -> None:
    if solvers.installed_interface(solvers.BY_NAME["ipopt"]) is None:
        # Not installed here (Pyomo needs an `ipopt` executable or PyNumero's ASL
        # library): asking for it must say so and how to get it.
        assert "proves-optimality" not in PyomoBackend("ipopt").capabilities
        problem = optiform.load(EXAMPLES / "hs071.opt").compile()
        with pytest.raises(BackendError, match="(?i)ipopt") as info:
            solve(problem, "pyomo", solver="ipopt")
        assert "install" in str(info.value).lower()
        return
    r = optiform.load(EXAMPLES / "hs071.opt").solve("pyomo", solver="ipopt")
    assert r.status == "locally_solved"
    assert r.solution.termination is TerminationStatus.LOCALLY_SOLVED
    assert r.objective == pytest.approx(17.0140173, rel=1e-6)


# ---- choosing solvers ---------------------------------------------------------------------

def test_a_missing_solver_says_how_to_install_it() -> None:
    problem = optiform.loads(MIN_LP).compile()
    missing = [s for s in solvers.CATALOGUE if solvers.installed_interface(s) is None]
    assert missing, "every catalogued solver is installed: nothing to check"
    with pytest.raises(BackendError) as info:
        choose(problem, "pyomo", missing[0].name)
    assert missing[0].install in str(info.value)
    with pytest.raises(BackendError, match="optiform solvers"):
        choose(problem, "pyomo", "no_such_solver")


def test_a_solver_that_cannot_take_the_class_names_those_that_can() -> None:
    requires("highs", "linear")
    problem = optiform.loads("variables\n  x in [1, 2]\nobjective\n  minimize o: exp(x)\n"
                             ).compile()
    with pytest.raises(BackendError) as info:
        choose(problem, "pyomo", "highs")
    assert "NLP" in str(info.value) and "--solver scip" in str(info.value)


def test_solver_option_with_another_backend_is_refused() -> None:
    with pytest.raises(BackendError, match="pyomo"):
        choose(optiform.loads(MIN_LP).compile(), "highs", "scip")


# ---- examples and the literature -------------------------------------------------------------

def _examples() -> list[tuple[Path, str]]:
    cases = []
    for model in sorted(EXAMPLES.glob("*.opt")):
        expected = json.loads((EXAMPLES / f"{model.stem}.expected.json").read_text())
        needs = CLASS_NEEDS[ProblemClass(expected["class"])]
        cases += [(model, s) for s in SOLVERS if needs <= PyomoBackend(s).capabilities]
    return cases


@pytest.mark.parametrize(("model", "solver"), _examples(),
                         ids=[f"{m.stem}-{s}" for m, s in _examples()])
def test_every_example_solves_to_its_expected_optimum(model: Path, solver: str) -> None:
    expected = json.loads((EXAMPLES / f"{model.stem}.expected.json").read_text())
    options = expected.get("options", {})
    data = EXAMPLES / options["data"] if "data" in options else None
    r = optiform.load(model, data=data).solve(
        "pyomo", solver=solver, weights=options.get("weights"),
        lexicographic=options.get("lexicographic"))
    assert r.status == expected["status"], r.solution.message
    assert r.objective == pytest.approx(expected["objective"], rel=1e-6, abs=1e-9)
    for name, value in expected.get("objectives", {}).items():
        assert r.objectives[name] == pytest.approx(value, rel=1e-6, abs=1e-9)
    assert r.verified, [v.describe() for v in r.report.violations] if r.report else None


def _expected(stem: str) -> float:
    return float(json.loads((EXAMPLES / f"{stem}.expected.json").read_text())["objective"])


def test_hs071_literature_optimum_by_scipy() -> None:
    ref = minimize(lambda x: x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2], [1, 5, 5, 1],
                   method="SLSQP", bounds=[(1, 5)] * 4, options={"ftol": 1e-10},
                   constraints=[{"type": "ineq", "fun": lambda x: np.prod(x) - 25},
                                {"type": "eq", "fun": lambda x: np.sum(x ** 2) - 40}])
    assert ref.success
    assert ref.fun == pytest.approx(_expected("hs071"), rel=1e-7)


def test_chemical_equilibrium_literature_optimum_by_scipy() -> None:
    # the original form, log(x / sum x): convex, so a local method finds the optimum
    gibbs = np.array([-6.089, -17.164, -34.054, -5.914, -24.721, -14.986, -24.1, -10.708,
                      -26.662, -22.179])
    atoms = np.array([[1, 2, 2, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0, 1, 2, 1, 1, 0, 0, 0],
                      [0, 0, 1, 0, 0, 0, 1, 1, 2, 1]])
    ref = minimize(lambda x: float(np.sum(x * (gibbs + np.log(x / np.sum(x))))),
                   np.full(10, 0.1), method="SLSQP", bounds=[(1e-6, None)] * 10,
                   constraints=[{"type": "eq", "fun": lambda x: atoms @ x - [2, 1, 1]}],
                   options={"ftol": 1e-14, "maxiter": 1000})
    assert ref.success
    assert ref.fun == pytest.approx(_expected("chemical_equilibrium"), rel=1e-7)


def test_haverly_literature_optimum_by_linear_programs_over_the_pool_quality() -> None:
    # with the pool's sulfur q fixed the problem is an LP in (a, b, px, py, cx, cy)
    best = -math.inf
    for q in np.linspace(1, 3, 201):
        res = linprog(-np.array([-6, -16, 9, 15, -1, 5]),
                      A_ub=[[0, 0, q - 2.5, 0, -0.5, 0], [0, 0, 0, q - 1.5, 0, 0.5],
                            [0, 0, 1, 0, 1, 0], [0, 0, 0, 1, 0, 1]], b_ub=[0, 0, 100, 200],
                      A_eq=[[1, 1, -1, -1, 0, 0], [3, 1, -q, -q, 0, 0]], b_eq=[0, 0])
        if res.status == 0:
            best = max(best, -res.fun)
    assert best == pytest.approx(_expected("haverly"), rel=1e-9)


def test_process_synthesis_literature_optimum_by_enumeration() -> None:
    values = []
    for y1, y2, y3 in itertools.product((0, 1), repeat=3):
        x1, x2 = math.sqrt(1.25 - y1), (3 - 1.5 * y2) ** (2 / 3)  # the design equations
        if x1 + y1 <= 1.6 and 1.333 * x2 + y2 <= 3 and y3 <= y1 + y2:
            values.append(2 * x1 + 3 * x2 + 1.5 * y1 + 2 * y2 - 0.5 * y3)
    assert min(values) == pytest.approx(_expected("process_synthesis"), rel=1e-6)


# ---- the command line --------------------------------------------------------------------

def test_cli_solvers_lists_what_each_solver_takes() -> None:
    result = CliRunner().invoke(app, ["solvers"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    scip = next(line for line in lines if line.strip("│ ").startswith("scip"))
    assert "yes" in scip and "MINLP" in scip and "global" in scip
    for info in solvers.CATALOGUE:
        if solvers.installed_interface(info) is None:
            assert info.install.split()[-1] in result.stdout


def test_cli_solve_with_a_named_solver() -> None:
    runner = CliRunner()
    model = str(EXAMPLES / "hs071.opt")
    result = runner.invoke(app, ["solve", model, "--backend", "pyomo", "--solver", "scip",
                                 "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["backend"] == "pyomo/scip" and payload["status"] == "optimal"
    assert payload["class"] == "NLP"
    missing = next((s for s in solvers.CATALOGUE if solvers.installed_interface(s) is None),
                   None)
    if missing is not None:
        refused = runner.invoke(app, ["solve", str(EXAMPLES / "diet.opt"), "--solver",
                                      missing.name])
        assert refused.exit_code == 5
        assert missing.install.split()[0] in refused.output

"""abs, max and min of affine expressions lowered to linear rows (compiler/lowering).

The optimum of the lowered model must equal brute force over every integer point
(the brute force evaluates Python's own abs/max/min, sharing nothing with the
compiler); convex uses must add no binary; a big-M without a bound is a located
error naming the variable.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from brute import optimum, solves_to

import optiform
from optiform.api import export
from optiform.diagnostics import DiagnosticError

VARS = ("x", "y", "z")
LO, HI = -3, 3


def _affine(rng: random.Random) -> tuple[str, object]:
    a, b, c = (rng.randint(-2, 2) for _ in range(3))
    d = rng.randint(-3, 3)
    text = f"{a} * x + {b} * y + {c} * z + {d}"
    return text, lambda p, a=a, b=b, c=c, d=d: a * p[0] + b * p[1] + c * p[2] + d


def _atom(rng: random.Random) -> tuple[str, object]:
    kind = rng.choice(["abs", "max", "min", "maxred", "minred", "nested"])
    e1, f1 = _affine(rng)
    e2, f2 = _affine(rng)
    if kind == "abs":
        return f"abs({e1})", lambda p: abs(f1(p))
    if kind == "max":
        return f"max({e1}, {e2}, 1)", lambda p: max(f1(p), f2(p), 1)
    if kind == "min":
        return f"min({e1}, {e2})", lambda p: min(f1(p), f2(p))
    if kind == "maxred":
        # max over K of k * x - y: an indexed reduction
        return "max(k in K) (k * x - y)", lambda p: max(k * p[0] - p[1] for k in (1, 2, 3))
    if kind == "minred":
        return "min(k in K) (x + k * z)", lambda p: min(p[0] + k * p[2] for k in (1, 2, 3))
    return f"max(abs({e1}), {e2})", lambda p: max(abs(f1(p)), f2(p))


def _instance(seed: int) -> tuple[str, object, list[object], str]:
    rng = random.Random(seed)
    parts, funcs = [], []
    for _ in range(rng.randint(1, 3)):
        text, f = _atom(rng)
        w = rng.choice([-2, -1, 1, 3])
        parts.append(f"{w} * {text}")
        funcs.append((w, f))
    lin, flin = _affine(rng)
    sense = rng.choice(["minimize", "maximize"])
    c_text, c_f = _atom(rng)
    op = rng.choice(["<=", ">=", "=="])
    rhs = rng.randint(0, 4)  # an infeasible model would spend its time in the IIS search
    cons = {"<=": lambda v: v <= rhs, ">=": lambda v: v >= rhs, "==": lambda v: v == rhs}[op]
    model = f"""\
sets
  K = 1..3
variables
  x integer in [{LO}, {HI}]
  y integer in [{LO}, {HI}]
  z integer in [{LO}, {HI}]
objective
  {sense} o: {' + '.join(parts)} + {lin}
constraints
  c: {c_text} {op} {rhs}
"""

    def objective(p: tuple[int, ...]) -> float:
        return sum(w * f(p) for w, f in funcs) + flin(p)

    return model, objective, [lambda p: cons(c_f(p))], sense


@pytest.mark.parametrize("seed", range(30))
def test_lowered_optimum_equals_brute_force(seed: int) -> None:
    _against_brute_force(seed, "highs")


@pytest.mark.parametrize("seed", range(8))
def test_pyomo_gets_the_same_optimum(seed: int) -> None:
    _against_brute_force(seed, "pyomo")


def _against_brute_force(seed: int, backend: str) -> None:
    model, objective, constraints, sense = _instance(seed)
    best = optimum(itertools.product(range(LO, HI + 1), repeat=3),
                   lambda p: all(ok(p) for ok in constraints), objective, sense)
    if best is None:  # test_an_infeasible_lowering_is_reported_infeasible
        return
    result = solves_to(model, backend, best)
    point = tuple(round(result.values[v]) for v in VARS)
    assert objective(point) == pytest.approx(best, abs=1e-6)


CONVEX = [
    ("minimize o: abs(x - y) + x", "gap: abs(x - y) <= 20"),
    ("minimize o: max(x, y, 2 * x - 3) + 2 * abs(y - 4)", "c: 3 * min(x, y) >= -5"),
    ("maximize o: min(x - 1, 7 - y) - abs(x)", "c: x + max(i in I) (i * y) <= 30"),
    ("maximize o: -sum(i in I) abs(x - i * y)", "c: -abs(x) >= -8"),
    ("minimize o: max(i in I) abs(i * x - y)", "c: y - x == 1"),
]


@pytest.mark.parametrize(("objective", "constraint"), CONVEX)
def test_convex_uses_add_no_binary_and_solve_as_lp(objective: str, constraint: str) -> None:
    text = f"""\
sets
  I = 1..3
variables
  x real
  y real
objective
  {objective}
constraints
  {constraint}
  box: -10 <= x - 2 * y <= 10
"""
    problem = optiform.loads(text).compile()
    assert problem.problem_class.value == "LP"
    assert problem.lowered is not None
    assert all(v.domain == "continuous" for v in problem.lowered.variables)
    result = optiform.loads(text).solve()
    assert result.solution.backend == "highs"
    assert result.status in ("optimal", "unbounded"), result.solution.message


def test_abs_bounded_above_is_an_lp_for_highs_not_an_minlp() -> None:
    text = """\
variables
  x in [0, 100]
  y in [0, 100]
  b binary
objective
  maximize o: x + y + b
constraints
  gap: abs(x - y) <= 20
  cap: x + 2 * y <= 150
"""
    result = optiform.loads(text).solve()
    assert result.problem.problem_class.value == "MILP"
    assert result.solution.backend == "highs"
    assert result.status == "optimal"
    # The cap wants y small and the gap keeps x - y <= 20: the optimum is on both,
    # x - y = 20 and x + 2y = 150, so y = 130/3 and x = 190/3.
    assert result.objective == pytest.approx(190 / 3 + 130 / 3 + 1)
    assert set(result.values) == {"x", "y", "b"}


def test_auxiliary_columns_never_reach_the_user() -> None:
    text = """\
variables
  x integer in [-5, 5]
objective
  maximize o: abs(x - 1)
"""
    result = optiform.loads(text).solve()
    assert result.objective == pytest.approx(6)
    assert set(result.values) == {"x"}
    assert result.values["x"] == pytest.approx(-5)
    assert result.solution.values is not None and len(result.solution.values) == 1
    assert result.report is not None
    assert {v.constraint for v in result.report.violations} == set()
    assert result.report.rows_checked == 1


def test_maximised_abs_without_a_bound_names_the_variable_and_bound() -> None:
    text = "variables\n  x >= -4\nobjective\n  maximize o: abs(x - 1)\n"
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    shown = str(info.value)
    assert "an upper bound on x" in shown
    assert "m.opt:4:" in shown
    assert "big-M" in shown


def test_missing_lower_bound_of_an_indexed_variable_in_an_equality() -> None:
    text = """\
sets
  I = 1..3
variables
  x[I] <= 5
  t
objective
  minimize o: t
constraints
  link: t == max(i in I) x[i]
"""
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    shown = str(info.value)
    assert "a lower bound on x[1]" in shown
    assert "m.opt:9:" in shown


def test_max_over_an_empty_set_is_an_error() -> None:
    text = """\
sets
  I = 1..3
variables
  x[I] in [0, 1]
objective
  minimize o: max(i in I : i > 5) x[i]
"""
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text).compile()
    assert "over an empty set" in str(info.value)


def test_constants_keep_working() -> None:
    text = """\
parameters
  a = abs(-3) + max(1, 4, 2) + min(5, 2)
variables
  x in [0, 10]
objective
  minimize o: x
constraints
  c: x >= a - abs(-1)
"""
    result = optiform.loads(text).solve()
    assert result.problem.lowered is None
    assert result.objective == pytest.approx(8)


def test_non_affine_arguments_stay_nonlinear() -> None:
    problem = optiform.loads(
        "variables\n  x in [1, 2]\n  y in [1, 2]\nobjective\n  minimize o: abs(x * y - 2)\n"
    ).compile()
    assert problem.problem_class.value == "NLP"
    assert problem.lowered is None


def test_pyomo_receives_the_same_lowered_model() -> None:
    pytest.importorskip("pyomo")
    text = """\
variables
  x integer in [-4, 4]
  y integer in [-4, 4]
objective
  maximize o: abs(x - y) - min(x, y)
constraints
  c: max(x, y) <= 2
"""
    exact = optiform.loads(text).solve()
    assert exact.objective == pytest.approx(10)  # x = -4, y = 2 (or reversed): 6 + 4
    try:
        through = optiform.loads(text).solve(backend="pyomo")
    except optiform.BackendError as exc:  # no MILP solver installed for Pyomo
        pytest.skip(str(exc))
    assert through.objective == pytest.approx(10)
    assert through.verified


def test_a_negative_weight_on_a_lowered_objective_is_refused() -> None:
    text = """\
variables
  x in [-3, 3]
objective
  minimize spread: abs(x - 1)
  minimize level: x
"""
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text).solve(weights={"spread": -1, "level": 1})
    assert "negative weight" in str(info.value)
    result = optiform.loads(text).solve(weights={"spread": 2, "level": 1})
    assert result.solution.objective_values["spread"] == pytest.approx(0)
    assert result.verified


def test_export_writes_the_lowered_model(tmp_path: Path) -> None:
    import highspy

    model = tmp_path / "m.opt"
    model.write_text("variables\n  x in [0, 10]\n  y in [0, 10]\nobjective\n"
                     "  maximize o: x + y\nconstraints\n  gap: abs(x - y) <= 2\n"
                     "  cap: x + 2 * y <= 12\n")
    out = export(model, tmp_path / "m.lp")
    assert "gap_abs" in out.read_text()  # the auxiliary column, named for its constraint
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(out))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(
        optiform.load(model).solve().objective)


@pytest.mark.slow  # HiGHS's IIS search on an infeasible MILP runs to its time limit
def test_an_infeasible_lowering_is_reported_infeasible() -> None:
    text = "variables\n  x integer in [-3, 3]\nconstraints\n  c: abs(2 * x + 1) == 0\n"
    assert optiform.loads(text).solve(time_limit=1.0).status == "infeasible"

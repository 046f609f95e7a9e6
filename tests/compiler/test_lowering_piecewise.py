"""pwl(e, xs, ys) lowered to linear rows (compiler/lowering/piecewise.py).

Random tables against brute force over every integer point (the interpolation
here is written with fractions, apart from the compiler's); convex uses add no
binary; misuses are located errors.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest
from brute import optimum, solves_to

import optiform
from optiform.diagnostics import DiagnosticError
from optiform.verify import verify


def _interp(x: float, xs: list[int], ys: list[int]) -> Fraction | None:
    if x < xs[0] or x > xs[-1]:
        return None
    for (a, fa), (b, fb) in itertools.pairwise(zip(xs, ys, strict=True)):
        if a <= x <= b:
            return Fraction(fa) + Fraction(fb - fa, b - a) * (Fraction(x) - a)
    raise AssertionError


def _table(rng: random.Random) -> tuple[list[int], list[int]]:
    k = rng.randint(2, 5)
    xs = sorted(rng.sample(range(-4, 7), k))
    shape = rng.choice(["convex", "concave", "any"])
    slopes = sorted(rng.randint(-3, 3) for _ in range(k - 1))
    if shape == "concave":
        slopes.reverse()
    elif shape == "any":
        rng.shuffle(slopes)
    ys = [rng.randint(-3, 3)]
    for (a, b), s in zip(itertools.pairwise(xs), slopes, strict=True):
        ys.append(ys[-1] + s * (b - a))
    return xs, ys


def _lists(xs: list[int], ys: list[int]) -> str:
    return f"[{', '.join(map(str, xs))}], [{', '.join(map(str, ys))}]"


@pytest.mark.parametrize("seed", range(60))
def test_lowered_optimum_equals_brute_force(seed: int) -> None:
    _against_brute_force(seed, "highs")


@pytest.mark.parametrize("seed", range(10))
def test_pyomo_gets_the_same_optimum(seed: int) -> None:
    _against_brute_force(seed, "pyomo")


def _against_brute_force(seed: int, backend: str) -> None:
    rng = random.Random(seed)
    t1, t2 = _table(rng), _table(rng)
    a, b, c = rng.randint(-2, 2), rng.randint(-2, 2), rng.randint(-2, 2)
    w = rng.choice([-2, -1, 1, 2])
    sense = rng.choice(["minimize", "maximize"])
    op, rhs = rng.choice(["<=", ">=", "=="]), rng.randint(-3, 3)
    model = f"""\
variables
  x integer in [-5, 7]
  y integer in [-5, 7]
objective
  {sense} o: {w} * pwl(x, {_lists(*t1)}) + {a} * x + {b} * y
constraints
  c: pwl(x - y + {c}, {_lists(*t2)}) {op} {rhs}
"""

    def feasible(p: tuple[int, ...]) -> bool:
        f1, f2 = _interp(p[0], *t1), _interp(p[0] - p[1] + c, *t2)
        if f1 is None or f2 is None:
            return False
        return {"<=": f2 <= rhs, ">=": f2 >= rhs, "==": f2 == rhs}[op]

    def objective(p: tuple[int, ...]) -> Fraction:
        f1 = _interp(p[0], *t1)
        assert f1 is not None  # only called on feasible points
        return w * f1 + a * p[0] + b * p[1]

    best = optimum(itertools.product(range(-5, 8), repeat=2), feasible, objective, sense)
    if best is None:
        return
    solves_to(model, backend, best, problem_class=None)  # convex tables solve as an LP


@pytest.mark.parametrize(("objective", "row"), [
    ("minimize o: pwl(x, [0, 2, 5], [4, 1, 3]) - y", "c: y <= 2"),
    ("maximize o: pwl(x, [0, 2, 5], [0, 3, 4]) + y", "c: y + x <= 4"),
    ("minimize o: x", "c: pwl(x, [0, 1, 4], [3, 1, 2]) <= 1.5"),
    ("minimize o: -x", "c: pwl(x + y, [-2, 1, 4], [0, 2, 3]) >= 1"),
])
def test_convex_uses_add_no_binary(objective: str, row: str) -> None:
    text = f"variables\n  x\n  y in [0, 3]\nobjective\n  {objective}\nconstraints\n  {row}\n"
    problem = optiform.loads(text).compile()
    assert problem.problem_class.value == "LP"
    assert problem.lowered is not None
    assert all(v.domain == "continuous" for v in problem.lowered.variables)
    result = optiform.loads(text).solve()
    assert result.status == "optimal"
    assert result.verified


def test_the_argument_is_kept_within_the_breakpoints() -> None:
    text = ("variables\n  x in [-10, 10]\nobjective\n  maximize o: x + 0 * pwl(x, [1, 3], [0, 0])"
            "\n")
    result = optiform.loads(text).solve()
    assert result.values["x"] == pytest.approx(3)
    assert result.problem.problem_class.value == "LP"


def test_the_checker_interpolates_and_refuses_points_outside() -> None:
    text = "variables\n  x in [-10, 10]\nconstraints\n  c: pwl(x, [0, 2, 4], [0, 4, 5]) <= 4.5\n"
    problem = optiform.loads(text).compile()
    assert verify(problem, np.array([3.0])).feasible  # 4.5
    assert not verify(problem, np.array([3.5])).feasible  # 4.75
    assert not verify(problem, np.array([-1.0])).feasible  # outside [0, 4]


def test_per_row_tables_from_parameters() -> None:
    text = """\
sets
  I = 1..2
parameters
  cap[I] = [4, 6]
  rate[I] = [2, 5]
variables
  x[I] integer in [0, 10]
objective
  maximize o: sum(i in I) pwl(x[i], [0, 2, cap[i]], [0, rate[i], rate[i] + 1]) - x[1] / 10
constraints
  total: sum(i in I) x[i] <= 5
"""
    result = optiform.loads(text).solve()
    # concave, maximised: x[2] = 2 gains 5; x[1] gains 0.9 a unit to 2, then 0.4, above
    # x[2]'s 0.25 past 2: x[1] = 3 (2.5 - 0.3), x[2] = 2 (5)
    assert result.objective == pytest.approx(2.5 - 0.3 + 5)
    assert result.verified


def _error(text: str) -> str:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    return str(info.value)


def test_lists_of_unequal_length_name_both_counts() -> None:
    shown = _error("variables\n  x in [0, 4]\nobjective\n"
                   "  minimize o: pwl(x, [0, 1, 4], [0, 1])\n")
    assert "`pwl` has 3 breakpoints but 2 values" in shown
    assert "m.opt:4:15" in shown


def test_breakpoints_that_do_not_increase() -> None:
    shown = _error("variables\n  x in [0, 4]\nobjective\n"
                   "  minimize o: pwl(x, [0, 2, 2], [0, 1, 3])\n")
    assert "must increase strictly, but 2 is followed by 2" in shown
    assert "m.opt:4:29" in shown


def test_breakpoints_that_are_not_a_list() -> None:
    shown = _error("variables\n  x in [0, 4]\nobjective\n  minimize o: pwl(x, 3, [0, 1])\n")
    assert "the breakpoints of `pwl` must be a list" in shown


def test_pwl_inside_a_product_is_refused() -> None:
    shown = _error("variables\n  x in [0, 4]\n  y in [0, 1]\nobjective\n"
                   "  minimize o: y * pwl(x, [0, 4], [0, 1])\n")
    assert "`pwl` of variables can be added, scaled by numbers and compared" in shown


def test_a_nonlinear_argument_is_named_as_such() -> None:
    # it was "not used inside another function or product", which it was not
    shown = _error("variables\n  x in [0, 3]\n  y in [0, 3]\nobjective\n"
                   "  minimize o: pwl(x * y, [0, 4, 9], [0, 1, 5])\n")
    assert "m.opt:5:15" in shown and "the argument of `pwl` is not linear" in shown


def test_torch_refuses_pwl_clearly() -> None:
    text = "variables\n  x in [0, 4]\nobjective\n  minimize o: pwl(x, [0, 2, 4], [3, 0, 3])\n"
    with pytest.raises(optiform.BackendError, match="takes no `pwl`, as in `o`"):
        optiform.loads(text).solve(backend="torch")

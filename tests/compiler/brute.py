"""The lowering tests' referee: the optimum by enumerating every integer point, and
the check that a backend's solve reached it. The enumeration evaluates Python's own
arithmetic (abs, max, min, the implication, the interpolation), sharing nothing with
the compiler, so a lowering that changes the model cannot agree with it by accident."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

import pytest

import optiform

Point = tuple[int, ...]


def optimum(points: Iterable[Point], feasible: Callable[[Point], bool],
            objective: Callable[[Point], float | Fraction], sense: str
            ) -> float | Fraction | None:
    """The best objective over the feasible points; None when there is none (an
    infeasible MILP spends its time in HiGHS's IIS search, so callers skip it)."""
    values = [objective(p) for p in points if feasible(p)]
    if not values:
        return None
    return min(values) if sense == "minimize" else max(values)


def solves_to(model: str, backend: str, best: float | Fraction,
              problem_class: str | None = "MILP") -> optiform.Result:
    """`model` solved by `backend`: optimal at `best`, verified, of `problem_class`."""
    if backend == "pyomo":
        pytest.importorskip("pyomo")
    result = optiform.loads(model).solve(backend=backend)
    assert result.status == "optimal", (model, result.solution.message)
    if problem_class is not None:
        assert result.problem.problem_class.value == problem_class, model
    assert result.solution.backend.startswith(backend)
    assert result.objective == pytest.approx(float(best), abs=1e-6), model
    assert result.verified
    return result

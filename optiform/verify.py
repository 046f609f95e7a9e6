"""The independent checker: does a point satisfy the model as written?

It shares no code with any backend: each constraint is evaluated again from
its declaration, over its own frame, with the IR's evaluator, and compared
with its bounds; each variable's bounds and integrality are checked too.
Every violation names the constraint, the index and the source line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optiform.compiler.evaluate import Evaluator, Scope
from optiform.compiler.instantiate import split_comparison
from optiform.compiler.ir import Frame, Problem
from optiform.diagnostics import Span

FEASIBILITY_TOL = 1e-6
INTEGRALITY_TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    constraint: str
    index: tuple[Any, ...]
    lhs: float
    sense: str
    rhs: float
    amount: float
    span: Span | None = None

    def describe(self) -> str:
        at = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        where = f" (line {self.span.line})" if self.span else ""
        return (f"{self.constraint}{at}{where}: {self.lhs:.6g} {self.sense} {self.rhs:.6g} "
                f"is violated by {self.amount:.3g}")


@dataclass
class ViolationReport:
    violations: list[Violation] = field(default_factory=list)
    rows_checked: int = 0
    tolerance: float = FEASIBILITY_TOL
    objectives: dict[str, float] = field(default_factory=dict)  # as the model states them
    # The largest amount by which any bound, row or integrality is missed, as it is: a
    # point inside the tolerance still shows its residual (SCIP's "optimal" 7e-7).
    largest_residual: float = 0.0

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def max_violation(self) -> float:
        return max([self.largest_residual, *(v.amount for v in self.violations)])

    def note(self, excess: np.ndarray) -> None:
        """Count the residuals of one check into the largest."""
        if excess.size:
            worst = float(np.max(np.nan_to_num(excess, nan=np.inf)))
            self.largest_residual = max(self.largest_residual, worst)

    def to_dict(self, limit: int = 50) -> dict[str, Any]:
        worst = sorted(self.violations, key=lambda v: -v.amount)[:limit]
        return {
            "feasible": self.feasible,
            "max_violation": _finite_or_none(self.max_violation),
            "tolerance": self.tolerance,
            "rows_checked": self.rows_checked,
            # JSON has no infinity: an objective undefined at the point is null
            "objectives": {k: v if math.isfinite(v) else None
                           for k, v in self.objectives.items()},
            "violations": [
                {"constraint": v.constraint, "index": list(v.index), "lhs": v.lhs,
                 "sense": v.sense, "rhs": v.rhs, "amount": v.amount,
                 "line": v.span.line if v.span else None}
                for v in worst
            ],
        }


def verify(problem: Problem, values: np.ndarray, tol: float = FEASIBILITY_TOL,
           reported: dict[str, float] | None = None) -> ViolationReport:
    """Check a point against every constraint, bound and integrality of the model.

    With `reported` (the backend's objective values), each objective is also
    evaluated from its declaration and a disagreement is a violation.
    """
    scope = Scope(problem.universe, problem.sets, problem.params,
                  {v.name: v for v in problem.variables}, np.asarray(values, dtype=float),
                  declared={*problem.sets, *problem.params, *(v.name for v in problem.variables)})
    ev = Evaluator(scope)
    report = ViolationReport(tolerance=tol)
    decode = problem.universe.decode_row
    for v in problem.variables:
        x = scope.values[v.offset:v.offset + v.size]  # type: ignore[index]
        report.rows_checked += v.size
        checks = [(">=", v.lower, v.lower - x), ("<=", v.upper, x - v.upper)]
        if v.domain != "continuous":
            checks.append(("integer", np.round(x), np.abs(x - np.round(x))))
        for sense, bound, excess in checks:
            limit = INTEGRALITY_TOL if sense == "integer" else tol * _scale(bound)
            report.note(excess)
            bad = np.nonzero(np.nan_to_num(excess, nan=np.inf) > limit)[0]
            kind = "integrality" if sense == "integer" else "bound"
            for i in bad:
                report.violations.append(Violation(
                    f"{v.name} ({kind})", decode(v.keys[i]), float(x[i]), sense,
                    float(bound[i]), float(excess[i]), v.decl.span))
    for block in problem.constraints:
        lo_e, mid, hi_e = split_comparison(block.decl)
        frame: Frame = block.frame
        middle = ev.num(mid, frame)
        report.rows_checked += frame.n
        for bound_e, sense in ((lo_e, ">="), (hi_e, "<=")):
            if bound_e is None:
                continue
            bound = ev.num(bound_e, frame)
            excess = (bound - middle) if sense == ">=" else (middle - bound)
            report.note(excess)
            bad = np.nonzero(np.nan_to_num(excess, nan=np.inf) > tol * _scale(bound))[0]
            shown = "==" if lo_e is hi_e else sense
            for i in bad:
                report.violations.append(Violation(
                    block.name, decode(block.keys[i]), float(middle[i]), shown,
                    float(bound[i]), float(excess[i]), block.decl.span))
    for o in problem.objectives:
        value = float(ev.num(o.decl.expr, Frame.scalar())[0])
        report.objectives[o.name] = value
        claimed = (reported or {}).get(o.name)
        if claimed is not None and abs(claimed - value) > tol * max(1.0, abs(value)):
            report.violations.append(Violation(
                f"{o.name} (objective value)", (), claimed, "==", value,
                abs(claimed - value), o.decl.span))
    return report


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinity: a residual that is not a number (NaN at the point) is null."""
    return value if math.isfinite(value) else None


def _scale(bound: np.ndarray) -> np.ndarray:
    """Tolerances are relative to the bound's size, absolute below 1."""
    return np.maximum(1.0, np.abs(np.nan_to_num(bound, posinf=0.0, neginf=0.0)))

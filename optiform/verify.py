"""The independent checker: does a point satisfy the model as written?

It shares no code with any backend: each constraint is evaluated again from
its declaration, over its own frame, with the IR's evaluator, and compared
with its bounds; each variable's bounds and integrality are checked too.
Every violation names the constraint, the index and the source line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from optiform.compiler.evaluate import Evaluator, Scope
from optiform.compiler.instantiate import split_comparison
from optiform.compiler.ir import (
    INTEGRAL_DOMAINS,
    SEMI_DOMAINS,
    ConstraintBlock,
    Frame,
    Problem,
)
from optiform.compiler.logic import Disjunction, Implication, logical_form
from optiform.diagnostics import Span
from optiform.dsl import ast as A

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

    def __post_init__(self) -> None:
        # a side with no value at the point (pwl outside its breakpoints) misses by
        # more than any amount, and sorts as the worst
        if math.isnan(self.amount):
            object.__setattr__(self, "amount", math.inf)

    def describe(self) -> str:
        at = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        where = f" (line {self.span.line})" if self.span else ""
        if math.isnan(self.lhs):
            return (f"{self.constraint}{at}{where}: has no value at this point (a function "
                    f"outside its domain, such as pwl beyond its breakpoints)")
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
                {"constraint": v.constraint, "index": list(v.index),
                 "lhs": _finite_or_none(v.lhs), "sense": v.sense,
                 "rhs": _finite_or_none(v.rhs), "amount": _finite_or_none(v.amount),
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
        below = v.lower - x
        if v.domain in SEMI_DOMAINS:  # 0 is the other allowed value
            below = np.where(np.abs(x) <= tol, 0.0, below)
        checks = [(">=", v.lower, below), ("<=", v.upper, x - v.upper)]
        if v.domain in INTEGRAL_DOMAINS:
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
        report.rows_checked += block.frame.n
        form = logical_form(block.decl)
        if isinstance(form, Implication):
            _implication(ev, block, form, tol, report)
            continue
        if isinstance(form, Disjunction):
            _disjunction(ev, block, form, tol, report)
            continue
        for sense, middle, bound, excess, ok in _sides(ev, block.decl, block.frame, tol):
            report.note(excess)
            for i in np.nonzero(~ok)[0]:
                report.violations.append(Violation(
                    block.name, decode(block.keys[i]), float(middle[i]), sense,
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


Side = tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _sides(ev: Evaluator, decl: A.ConstraintDecl, frame: Frame, tol: float) -> list[Side]:
    """Each side of a comparison over the frame: (sense as written, middle, bound,
    excess, whether the row satisfies it)."""
    lo_e, mid, hi_e = split_comparison(decl)
    middle = ev.num(mid, frame)
    out = []
    for bound_e, sense in ((lo_e, ">="), (hi_e, "<=")):
        if bound_e is None:
            continue
        bound = ev.num(bound_e, frame)
        excess = (bound - middle) if sense == ">=" else (middle - bound)
        ok = ~(np.nan_to_num(excess, nan=np.inf) > tol * _scale(bound))
        out.append(("==" if lo_e is hi_e else sense, middle, bound, excess, ok))
    return out


def _implication(ev: Evaluator, block: ConstraintBlock, form: Implication, tol: float,
                 report: ViolationReport) -> None:
    """The consequence, checked in the rows where the condition holds (binaries read
    rounded, as their integrality is checked on its own)."""
    frame = block.frame
    active = np.ones(frame.n, dtype=bool)
    for lit in form.literals:
        active &= np.round(ev.num(lit.var, frame)) == lit.value
    rows = np.nonzero(active)[0]
    sub = replace(block.decl, expr=form.consequence)
    for sense, middle, bound, excess, ok in _sides(ev, sub, frame.take(rows), tol):
        report.note(excess)
        for i in np.nonzero(~ok)[0]:
            report.violations.append(Violation(
                block.name, problem_key(ev, block, int(rows[i])), float(middle[i]),
                f"{sense} (implied)", float(bound[i]), float(excess[i]), block.decl.span))


def _disjunction(ev: Evaluator, block: ConstraintBlock, form: Disjunction, tol: float,
                 report: ViolationReport) -> None:
    """At least one side holds in each row; a violation shows the side nearest to holding."""
    frame = block.frame
    parts = [_sides(ev, replace(block.decl, expr=part), frame, tol) for part in form.parts]
    held = np.logical_or.reduce([np.logical_and.reduce([ok for *_, ok in sides])
                                 for sides in parts])
    # a row's residual is that of its side nearest to holding
    report.note(np.min([np.max([np.nan_to_num(s[3], nan=np.inf) for s in sides], axis=0)
                        for sides in parts], axis=0))
    for i in np.nonzero(~held)[0]:
        # the side nearest to holding: the part whose worst side is violated least
        worst = [max(sides, key=lambda s: float(np.nan_to_num(s[3][i], nan=np.inf)))
                 for sides in parts]
        sense, middle, bound, excess, _ = min(
            worst, key=lambda s: float(np.nan_to_num(s[3][i], nan=np.inf)))
        report.violations.append(Violation(
            block.name, problem_key(ev, block, int(i)), float(middle[i]),
            f"{sense} (nearest side of `or`)", float(bound[i]), float(excess[i]),
            block.decl.span))


def problem_key(ev: Evaluator, block: ConstraintBlock, row: int) -> tuple[Any, ...]:
    return ev.scope.universe.decode_row(block.keys[row])


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinity: a residual that is not a number (NaN at the point) is null."""
    return value if math.isfinite(value) else None


def _scale(bound: np.ndarray) -> np.ndarray:
    """Tolerances are relative to the bound's size, absolute below 1."""
    return np.maximum(1.0, np.abs(np.nan_to_num(bound, posinf=0.0, neginf=0.0)))

"""What a backend returns and what a user gets back.

Termination (why the solver stopped) and primal status (whether it has a
point) are kept apart, as MathOptInterface does; the status a user reads is
derived from both and from the checker's verdict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from optiform.compiler.ir import Problem
    from optiform.verify import ViolationReport


class TerminationStatus(str, enum.Enum):
    OPTIMAL = "optimal"
    LOCALLY_SOLVED = "locally_solved"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class ResultStatus(str, enum.Enum):
    FEASIBLE_POINT = "feasible_point"
    NO_SOLUTION = "no_solution"


class ExitCode(enum.IntEnum):
    """Exit codes a script can rely on (typer keeps 2 for usage errors)."""

    OK = 0
    MODEL_ERROR = 1
    INFEASIBLE = 3
    UNBOUNDED = 4
    NO_SOLUTION = 5
    CHECK_FAILED = 6
    OUTPUT_ERROR = 7  # a file or standard output could not be written
    BROKEN_PIPE = 141  # standard output closed early (128 + SIGPIPE, as the shell has it)


@dataclass
class Solution:
    termination: TerminationStatus
    primal_status: ResultStatus
    objective_values: dict[str, float]
    values: np.ndarray | None
    backend: str
    duals: dict[str, np.ndarray] | None = None
    reduced_costs: np.ndarray | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    # further distinct points, best first (a sampler's --samples or front)
    alternatives: list[np.ndarray] = field(default_factory=list)

    @property
    def has_point(self) -> bool:
        return self.primal_status is ResultStatus.FEASIBLE_POINT and self.values is not None


@dataclass
class Result:
    """A solution together with the checker's report on it."""

    problem: Problem
    solution: Solution
    report: ViolationReport | None
    timings: dict[str, float] = field(default_factory=dict)
    # A sampler's distinct verified points, best first, this one among them
    samples: list[Result] = field(default_factory=list)
    # --compare: the exact solver's optimum and the gap of this result to it
    comparison: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        term = self.solution.termination
        if term in (TerminationStatus.OPTIMAL, TerminationStatus.LOCALLY_SOLVED):
            return term.value
        if term in (TerminationStatus.TIME_LIMIT, TerminationStatus.ITERATION_LIMIT,
                    TerminationStatus.INTERRUPTED):
            # A point the checker rejects is not a feasible one.
            return "feasible" if self.solution.has_point and self.verified else term.value
        if term is TerminationStatus.INFEASIBLE_OR_UNBOUNDED:
            return "infeasible"
        return term.value

    @property
    def verified(self) -> bool:
        return self.report is not None and self.report.feasible

    @property
    def exit_code(self) -> ExitCode:
        status = self.status
        if status == "infeasible":
            return ExitCode.INFEASIBLE
        if status == "unbounded":
            return ExitCode.UNBOUNDED
        if not self.solution.has_point:
            return ExitCode.NO_SOLUTION
        return ExitCode.OK if self.verified else ExitCode.CHECK_FAILED

    @property
    def objectives(self) -> dict[str, float]:
        return dict(self.solution.objective_values)

    @property
    def objective(self) -> float | None:
        values = self.solution.objective_values
        return next(iter(values.values())) if values else None

    @property
    def values(self) -> dict[str, Any]:
        """Variable values: a float for a scalar, a dict keyed by index tuples otherwise."""
        x = self.solution.values
        out: dict[str, Any] = {}
        if x is None:
            return out
        decode = self.problem.universe.decode_row
        for v in self.problem.variables:
            block = x[v.offset:v.offset + v.size]
            if v.arity == 0:
                out[v.name] = float(block[0])
            else:
                out[v.name] = {decode(k): float(val) for k, val in zip(v.keys, block, strict=True)}
        return out

    def _variables(self) -> dict[str, Any]:
        x = self.solution.values
        variables: dict[str, Any] = {}
        if x is not None:
            decode = self.problem.universe.decode_row
            for v in self.problem.variables:
                block = x[v.offset:v.offset + v.size]
                if v.arity == 0:
                    variables[v.name] = _clean(block[0])
                else:
                    variables[v.name] = [{"index": list(decode(k)), "value": _clean(val)}
                                         for k, val in zip(v.keys, block, strict=True)]
        return variables

    def to_dict(self) -> dict[str, Any]:
        """The `--json` shape: status, objective(s), variables, check, class, backend;
        a sampler's points under `samples`, `--compare`'s under `compare`."""
        out = {
            "model": self.problem.name,
            "status": self.status,
            "objective": _clean(self.objective) if self.objective is not None else None,
            "objectives": {k: _clean(v) for k, v in self.objectives.items()},
            "variables": self._variables(),
            "check": self.report.to_dict() if self.report else None,
            "duals": self._duals(),
            "warnings": [w.to_dict() for w in self.problem.warnings],
            "class": self.problem.problem_class.value,
            "backend": self.solution.backend,
            "message": self.solution.message,
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
        }
        if self.samples:
            out["samples"] = [self.point_dict(s) for s in self.samples]
        if self.comparison is not None:
            out["compare"] = self.comparison
        return out

    @staticmethod
    def point_dict(r: Result) -> dict[str, Any]:
        """One sampled point: its objectives, variables and the checker's verdict."""
        return {"objective": _clean(r.objective) if r.objective is not None else None,
                "objectives": {k: _clean(v) for k, v in r.objectives.items()},
                "variables": r._variables(), "feasible": r.verified,
                "max_violation": r.report.max_violation if r.report else None}


    def _duals(self) -> dict[str, Any] | None:
        """Row duals by constraint (LPs only): a number, or a list over the index."""
        duals = self.solution.duals
        if not duals:
            return None
        decode = self.problem.universe.decode_row
        out: dict[str, Any] = {}
        for c in self.problem.constraints:
            values = duals.get(c.name)
            if values is None:
                continue
            if c.keys.shape[1] == 0 and len(values) == 1:
                out[c.name] = _clean(values[0])
            else:
                out[c.name] = [{"index": list(decode(k)), "value": _clean(v)}
                               for k, v in zip(c.keys, values, strict=True)]
        return out


def _clean(v: float | None) -> float | None:
    if v is None:
        return None
    v = float(v)
    if not np.isfinite(v):
        return None
    if abs(v - round(v)) < 1e-9:
        return float(round(v))
    return v

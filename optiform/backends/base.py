"""The backend contract: capabilities as data, compile and solve.

A backend says what it can take (`capabilities`; `lowered` says that it
solves the lowered model, `Problem.lowered`, rather than the expressions as
written), whether it can run here
(`is_available`), and turns a `Problem` into a `Solution`. Multi-objective
handling (weights, lexicographic order) is expressed by `SolveOptions` and
applied by each backend that declares `multi_objective`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from optiform.compiler.ir import Problem, ProblemClass
from optiform.solution import Solution

CLASS_NEEDS: dict[ProblemClass, frozenset[str]] = {
    ProblemClass.LP: frozenset({"linear"}),
    ProblemClass.MILP: frozenset({"linear", "integer"}),
    ProblemClass.QP: frozenset({"linear", "quadratic"}),
    # HiGHS has a QP solver and a MIP solver but no MIQP: the pair is its own capability.
    ProblemClass.MIQP: frozenset({"linear", "quadratic", "integer", "integer-quadratic"}),
    ProblemClass.NLP: frozenset({"linear", "nonlinear"}),
    ProblemClass.MINLP: frozenset({"linear", "nonlinear", "integer"}),
}


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float | None = None
    mip_gap: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    lexicographic: tuple[str, ...] = ()
    lexicographic_tolerance: float = 1e-7
    # objective name -> a bound in its own direction (<= for minimize, >= for maximize),
    # the epsilon constraints of a Pareto sweep
    objective_bounds: dict[str, float] = field(default_factory=dict)
    verbose: bool = False
    # Local NLP methods (torch, ipopt); None leaves each backend's default.
    starts: int | None = None  # multi-start points, advanced as one batch (torch)
    device: str | None = None  # cpu or cuda (torch)
    seed: int = 0  # for the spread of the starts
    iterations: int | None = None  # iteration budget
    tolerance: float | None = None  # feasibility tolerance (the checker's 1e-6 by default)
    optimizer: str | None = None  # torch's inner minimiser: lbfgs, adam, lion, torch-lbfgs
    # Samplers (gflownet)
    samples: int | None = None  # distinct verified points to return, best first
    temperature: float | None = None  # reward sharpness: exp(-normalised objective / T)
    training: str | None = None  # "tb" (trajectory balance, the default) or "op" (order)
    front: int | None = None  # points of a sampled Pareto front
    front_objectives: tuple[str, ...] = ()  # the objectives traded off (all if empty)
    # time.monotonic() past which the solve stops, fixed when the solve is handed to a
    # backend (`started`), so that its imports, compilation and every stage count
    # against one time limit; None without a time limit.
    deadline: float | None = None

    def __post_init__(self) -> None:
        for name, value, least in (("time_limit", self.time_limit, 0.0),
                                   ("mip_gap", self.mip_gap, 0.0),
                                   ("tolerance", self.tolerance, 0.0)):
            if value is not None and not (math.isfinite(value) and value >= least):
                raise ValueError(f"{name} must be a finite number >= {least:g}, not {value!r}")
        for name, weight in self.weights.items():
            # past 1e20 solvers read the costs it makes as infinite (HiGHS: status error)
            if not (math.isfinite(weight) and abs(weight) < 1e20):
                raise ValueError(f"weights: the weight of `{name}` must be a finite number "
                                 f"below 1e20 in size, not {weight!r}")

    def started(self) -> SolveOptions:
        """These options with the deadline fixed from now, if there is a time limit."""
        if self.time_limit is None or self.deadline is not None:
            return self
        return replace(self, deadline=time.monotonic() + self.time_limit)

    def remaining(self) -> float | None:
        """Seconds left before the deadline (0 once past it); None without a limit."""
        if self.deadline is None:
            return None if self.time_limit is None else self.time_limit
        return max(0.0, self.deadline - time.monotonic())


class BackendError(Exception):
    """No backend can take this problem, or the named one is unknown or missing."""


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[str]: ...

    @property
    def needs(self) -> tuple[str, ...]: ...  # optional modules it imports (extras.py)

    def is_available(self) -> bool: ...

    def solve(self, problem: Problem, options: SolveOptions) -> Solution: ...


def narrowed(solution: Solution, n: int) -> Solution:
    """A solution of a widened problem (columns added after the first n) as one of the
    problem itself."""
    def cut(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else x[:n]

    return replace(solution, values=cut(solution.values),
                   reduced_costs=cut(solution.reduced_costs),
                   alternatives=[x[:n] for x in solution.alternatives])


def objective_stages(problem: Problem, options: SolveOptions) -> list[dict[str, float]]:
    """The weighted objectives to optimise in turn: one stage, or one per lexicographic name."""
    if options.lexicographic:
        return [{name: 1.0} for name in options.lexicographic]
    if options.weights:
        return [dict(options.weights)]
    if not problem.objectives:
        return [{}]
    return [{problem.objectives[0].name: 1.0}]


def can_solve(backend: Backend, problem: Problem) -> bool:
    needs = CLASS_NEEDS[problem.problem_class]
    if problem.convex is False:  # a quadratic objective that is not convex
        needs = needs | {"nonconvex-quadratic"}
    return needs <= backend.capabilities

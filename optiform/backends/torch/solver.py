"""The torch backend's solve: many starts as one batch, a checker that decides.

The problem is compiled once (`backends/torch/compile.py`); the starts, the first at
the model's `init` values and the rest spread over the variables' box by a
scrambled Sobol sequence, advance together through the augmented Lagrangian
(`augmented_lagrangian.py`). The best start is then handed to the
independent checker (`optiform.verify`); when it finds violations, the
penalties of the rows it names are raised and the search goes on from where
it stopped, within the budget. Integer variables are relaxed, then rounded
and repaired by a bounded local search (`_repair`), and the checker has the
last word there too.

A local method proves nothing about optimality: a verified point is
reported as locally solved, with how many starts reached it and the spread
of the objective over the starts, never as optimal. Imports torch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from optiform.backends.base import BackendError, SolveOptions, objective_stages
from optiform.backends.progress import ProgressLine
from optiform.backends.torch.augmented_lagrangian import Budget, Rows, Search, violation
from optiform.backends.torch.compile import Program, RowBlock, compile_problem
from optiform.backends.torch.minimizers import METHODS
from optiform.compiler.ir import Problem
from optiform.solution import ResultStatus, Solution, TerminationStatus
from optiform.verify import FEASIBILITY_TOL, ViolationReport, verify

DEFAULT_STARTS = 16
DEFAULT_ITERATIONS = 20_000  # inner iterations in all, over every start's rounds
SAME_OPTIMUM = 1e-6  # relative gap within which a start counts as having reached the best
CHECK_ROUNDS = 4  # times the checker may send the search back with heavier penalties
REPAIR_CANDIDATES = 8  # relaxed points rounded and repaired
REPAIR_ROUNDS = 10  # local-search moves tried from the best rounded point
REPAIR_NEIGHBOURS = 256  # most +-1 moves evaluated per round
SMALL_MODEL = 200_000  # variables x starts below which one torch thread is fastest
BOX_HALF_WIDTH = 10.0  # how far from its centre an unbounded variable's starts spread


@dataclass(frozen=True)
class Settings:
    starts: int
    device: torch.device
    seed: int
    iterations: int
    tolerance: float
    optimizer: str
    deadline: float | None

    @staticmethod
    def of(options: SolveOptions) -> Settings:
        device = torch.device(options.device or "cpu")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise BackendError("--device cuda: torch sees no CUDA device here "
                               "(torch.cuda.is_available() is False); use --device cpu")
        optimizer = options.optimizer or "lbfgs"
        if optimizer not in METHODS:
            raise BackendError(f"unknown optimizer `{optimizer}`; use one of: "
                               + ", ".join(METHODS))
        if options.starts is not None and options.starts < 1:
            raise BackendError("--starts must be at least 1")
        return Settings(options.starts or DEFAULT_STARTS, device, options.seed,
                        options.iterations or DEFAULT_ITERATIONS,
                        options.tolerance or FEASIBILITY_TOL, optimizer,
                        options.started().deadline)


@dataclass
class Outcome:
    """Points of every start with their objective (minimisation form) and violation."""

    x: torch.Tensor
    f: torch.Tensor
    v: torch.Tensor

    def order(self, tolerance: float) -> np.ndarray:
        """Starts from best to worst: feasible ones by objective, then by violation."""
        f, v = self.f.cpu().numpy(), self.v.cpu().numpy()
        infeasible = ~(v <= tolerance)
        return np.lexsort((np.where(infeasible, np.nan_to_num(v, nan=np.inf),
                                    np.nan_to_num(f, nan=np.inf)), infeasible))


def solve(problem: Problem, options: SolveOptions, name: str = "torch") -> Solution:
    started = time.perf_counter()
    settings = Settings.of(options)
    with _threads(settings, problem.n_vars), _Progress() as progress:
        program = compile_problem(problem, settings.device)
        lower, upper = _box(problem, settings)
        x0 = _starts(problem, settings, lower, upper)
        budget = Budget(settings.iterations, settings.deadline)
        run = _Run(problem, program, settings, budget, progress, lower, upper)
        try:
            outcome, best, report = run.all_stages(x0, options)
        except KeyboardInterrupt:
            if run.last is None:
                raise
            outcome, report = run.last, None
            best = int(outcome.order(settings.tolerance)[0])
        return run.solution(outcome, best, report, name, time.perf_counter() - started)


class _Run:
    """One solve: its stages, checker rounds and integer repair, and their counts."""

    def __init__(self, problem: Problem, program: Program, settings: Settings, budget: Budget,
                 progress: _Progress, lower: torch.Tensor, upper: torch.Tensor) -> None:
        self.problem, self.program, self.settings = problem, program, settings
        self.budget, self.progress = budget, progress
        self.lower, self.upper = lower, upper
        self.spread = _spread_box(problem, settings, lower, upper)
        self.iterations = self.rounds = self.checks = 0
        self.objective = program.objective({})
        self.last: Outcome | None = None
        self.sign = 1.0  # -1 while the objective in play is one maximised objective
        self.integer = torch.as_tensor(np.concatenate(
            [np.full(v.size, v.domain != "continuous") for v in problem.variables])
            if problem.variables else np.zeros(0, dtype=bool), device=settings.device)

    def all_stages(self, x0: torch.Tensor, options: SolveOptions
                   ) -> tuple[Outcome, int, ViolationReport | None]:
        for name, bound in options.objective_bounds.items():
            self._hold(name, bound)
        stages = objective_stages(self.problem, options)
        x = x0
        outcome = None
        for i, weights in enumerate(stages):
            self.objective = self.program.objective(weights)
            self.sign = (-1.0 if len(weights) == 1
                         and self.program.senses[next(iter(weights))] == "maximize" else 1.0)
            outcome = self.search(x)
            if i < len(stages) - 1:
                name = next(iter(weights))
                best = outcome.order(self.settings.tolerance)[0]
                value = float(self.program.objectives[name].fn(outcome.x[best:best + 1])[0, 0])
                slack = options.lexicographic_tolerance * max(1.0, abs(value))
                sense = self.program.senses[name]
                self._hold(name, value + slack if sense == "minimize" else value - slack)
                x = outcome.x
        assert outcome is not None
        if bool(self.integer.any()):
            outcome = self.repair(outcome)
        self.last = outcome
        return self.checked(outcome)

    def _hold(self, name: str, bound: float) -> None:
        """A row keeping an objective at `bound` or better (lexicographic, Pareto)."""
        minimize = self.program.senses[name] == "minimize"
        one = np.array([bound])
        free = np.array([-np.inf if minimize else np.inf])
        scale = np.array([max(1.0, abs(bound))])
        self.program.blocks.append(RowBlock(
            f"{name} (objective bound)", np.zeros(1, dtype=np.int64),
            self.program.objectives[name], free if minimize else one,
            one if minimize else free, scale, scale))

    def search(self, x0: torch.Tensor, lower: torch.Tensor | None = None,
               upper: torch.Tensor | None = None) -> Outcome:
        b = x0.shape[0]
        lo = (self.lower if lower is None else lower).expand(b, -1)
        hi = (self.upper if upper is None else upper).expand(b, -1)
        s = Search(self.program, self.objective, x0, lo, hi, self.settings.tolerance,
                   self.settings.optimizer, self.spread, self.settings.seed)
        self._search = s
        self._run(s)
        return self.outcome(s)

    def _run(self, s: Search) -> None:
        before_it, before_rounds = s.iterations, s.rounds
        try:
            self.progress.sign = self.sign
            s.run(self.budget, self.progress.update if self.progress else None)
        finally:
            self.iterations += s.iterations - before_it
            self.rounds += s.rounds - before_rounds
            self.last = self.outcome(s)

    def outcome(self, s: Search) -> Outcome:
        f, v = s.measure()
        return Outcome(s.point().clone(), f, v)

    # ---- the checker's rounds ------------------------------------------------------------
    def checked(self, outcome: Outcome) -> tuple[Outcome, int, ViolationReport | None]:
        """Verify the best starts; on violations raise their rows' penalties and go on.

        Returns the outcome, the start whose point is the answer, and the
        checker's report on it.
        """
        report = None
        for _ in range(CHECK_ROUNDS):
            order = outcome.order(self.settings.tolerance)
            for b in order[:3]:
                report = self.verify(outcome, int(b))
                if report.feasible:
                    return outcome, int(b), report
            if self.budget.exhausted or bool(self.integer.any()):
                break
            report = self.verify(outcome, int(order[0]))
            eq, ineq = self._violated_rows(report)
            if not (len(eq) or len(ineq)):
                break
            self._search.raise_penalties(eq, ineq)
            self._run(self._search)
            outcome = self.outcome(self._search)
        return outcome, int(outcome.order(self.settings.tolerance)[0]), report

    def verify(self, outcome: Outcome, b: int) -> ViolationReport:
        self.checks += 1
        x = outcome.x[b].double().cpu().numpy()
        return verify(self.problem, x, reported=self.objective_values(outcome.x[b]))

    def objective_values(self, x: torch.Tensor) -> dict[str, float]:
        with torch.no_grad():
            return {name: float(e.fn(x[None])[0, 0])
                    for name, e in self.program.objectives.items()}

    def _violated_rows(self, report: ViolationReport) -> tuple[np.ndarray, np.ndarray]:
        """Positions in h and g of the rows the checker names."""
        rows: list[np.ndarray] = []
        blocks = {c.name: c for c in self.problem.constraints}
        for v in report.violations[:1000]:
            block = blocks.get(v.constraint)
            if block is None:
                continue
            codes = np.array([self.problem.universe.encode(m) for m in v.index], dtype=np.int64)
            local = np.nonzero(np.all(block.keys == codes, axis=1))[0]
            for rb, offset in self.program.rows_of(block.name):
                rows.append(offset + np.nonzero(np.isin(rb.rows, local))[0])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return self._search.rows.positions(np.concatenate(rows))

    # ---- integers ------------------------------------------------------------------------
    def repair(self, relaxed: Outcome) -> Outcome:
        """Round the best relaxed points, then a bounded local search over +-1 moves.

        Each candidate keeps its integer columns fixed (lower = upper) while its
        continuous columns are polished by the same augmented Lagrangian; the
        neighbours of the best point are scored in one batch, and the most
        promising few are polished as one batch in turn.
        """
        tol = self.settings.tolerance
        picks = relaxed.order(tol)[:REPAIR_CANDIDATES]
        rounded = self._round(relaxed.x[torch.as_tensor(picks, device=relaxed.x.device)])
        best = self.polish(rounded)
        for _ in range(REPAIR_ROUNDS):
            if self.budget.exhausted:
                break
            top = best.order(tol)[0]
            moves = self._neighbours(best.x[top])
            if moves.shape[0] == 0:
                break
            f, v = self._measure(moves)
            scored = Outcome(moves, f, v).order(tol)[:4]
            tried = self.polish(moves[torch.as_tensor(scored, device=moves.device)])
            merged = Outcome(torch.cat([best.x, tried.x]), torch.cat([best.f, tried.f]),
                             torch.cat([best.v, tried.v]))
            if merged.order(tol)[0] < best.x.shape[0]:
                break  # no move beats the best point: a local optimum of the rounding
            best = merged
        return best

    def _round(self, x: torch.Tensor) -> torch.Tensor:
        lo = torch.ceil(self.lower - 1e-9)
        hi = torch.floor(self.upper + 1e-9)
        r = torch.minimum(torch.maximum(torch.round(x), lo), hi)
        return torch.where(self.integer, r, x)

    def polish(self, x: torch.Tensor) -> Outcome:
        fixed_lo = torch.where(self.integer, x, self.lower)
        fixed_hi = torch.where(self.integer, x, self.upper)
        return self.search(x, fixed_lo, fixed_hi)

    def _neighbours(self, x: torch.Tensor) -> torch.Tensor:
        columns = torch.nonzero(self.integer).flatten()
        rows = torch.arange(len(columns), device=x.device)
        steps = []
        for d in (-1.0, 1.0):
            moved = x.expand(len(columns), -1).clone()
            moved[rows, columns] += d
            ok = (moved[rows, columns] >= self.lower[columns] - 1e-9) & (
                moved[rows, columns] <= self.upper[columns] + 1e-9)
            steps.append(moved[ok])
        moves = torch.cat(steps)
        if moves.shape[0] > REPAIR_NEIGHBOURS:
            g = torch.Generator().manual_seed(self.settings.seed)
            keep = torch.randperm(moves.shape[0], generator=g)[:REPAIR_NEIGHBOURS]
            moves = moves[keep.to(moves.device)]
        return moves

    def _measure(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            h, g = Rows.of(self.program).residuals(self.program.body(x))
            return self.objective(x), violation(h, g)

    # ---- the answer ----------------------------------------------------------------------
    def solution(self, outcome: Outcome, best: int, report: ViolationReport | None,
                 name: str, seconds: float) -> Solution:
        stats: dict[str, Any] = {
            "seconds": seconds, "starts": self.settings.starts,
            "device": str(self.settings.device), "threads": torch.get_num_threads(),
            "optimizer": self.settings.optimizer, "iterations": self.iterations,
            "rounds": self.rounds, "checks": self.checks,
            "relaxation": bool(self.integer.any()),
        }
        x = outcome.x[best]
        verified = report is not None and report.feasible
        stats.update(_spread(outcome, best, self.settings.tolerance, self.sign))
        values = x.double().cpu().numpy()
        objective_values = self.objective_values(x)
        if report is None:
            term, note = TerminationStatus.INTERRUPTED, "interrupted: the best point so far"
        elif verified and self.budget.out_of_time():
            # The clock, not convergence, ended the search: the point is the best so far.
            term = TerminationStatus.TIME_LIMIT
            note = ("the time limit stopped the search: the best verified point so far; "
                    + _summary(stats, bool(self.problem.objectives)))
        elif verified:
            term = TerminationStatus.LOCALLY_SOLVED
            note = _summary(stats, bool(self.problem.objectives))
        else:
            term = (TerminationStatus.TIME_LIMIT if self.budget.out_of_time()
                    else TerminationStatus.ITERATION_LIMIT)
            if term is TerminationStatus.TIME_LIMIT:
                why = " within the time limit"
            elif self.budget.exhausted:
                why = f" within the budget of {self.settings.iterations} iterations"
            else:
                why = (": every start stalled at a local minimum of the violation, so the "
                       "model may be infeasible (a local method cannot prove it)")
            note = (f"no start met every constraint{why}; the least violated point is "
                    "reported; try more --starts or --iterations, or `init` values near a "
                    "feasible point")
        if bool(self.integer.any()):
            note += ("; integer variables: torch solved the continuous relaxation, then "
                     "rounded and repaired it by a bounded local search, and the checker "
                     "decided feasibility")
        return Solution(term, ResultStatus.FEASIBLE_POINT, objective_values, values, name,
                        stats=stats, message=note)


def _spread(outcome: Outcome, best: int, tolerance: float, sign: float) -> dict[str, Any]:
    """How many starts are feasible, how many reached the answer's objective (within
    SAME_OPTIMUM, relative), and the spread of the feasible starts' objectives, in the
    objective's own sense (`sign` -1 for one maximised objective)."""
    f, v = outcome.f.cpu().numpy(), outcome.v.cpu().numpy()
    feasible = f[(v <= tolerance) & np.isfinite(f)]
    if not len(feasible):
        return {"feasible_starts": 0, "starts_at_best": 0}
    target = float(f[best])
    at_best = int(np.sum(feasible <= target + SAME_OPTIMUM * max(1.0, abs(target))))
    shown = np.sort(sign * feasible)
    return {"feasible_starts": int(len(feasible)), "starts_at_best": at_best,
            "objective_spread": {"min": float(shown[0]), "median": float(np.median(shown)),
                                 "max": float(shown[-1])}}


def _summary(stats: dict[str, Any], has_objective: bool) -> str:
    spread = stats.get("objective_spread") if has_objective else None
    text = (f"locally solved: the best of {stats['starts']} start(s), reached by "
            f"{stats['starts_at_best']}")
    if spread:
        text += (f"; {stats['feasible_starts']} feasible start(s) ended between "
                 f"{spread['min']:.10g} and {spread['max']:.10g} "
                 f"(median {spread['median']:.10g})")
    return text + "; a local method, so no proof of optimality"


def _box(problem: Problem, settings: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    if not problem.variables:
        empty = torch.zeros(0, dtype=torch.float64, device=settings.device)
        return empty, empty
    lower = np.concatenate([v.lower for v in problem.variables])
    upper = np.concatenate([v.upper for v in problem.variables])
    return (torch.as_tensor(lower, dtype=torch.float64, device=settings.device),
            torch.as_tensor(upper, dtype=torch.float64, device=settings.device))


def _first(problem: Problem, lower: torch.Tensor, upper: torch.Tensor) -> np.ndarray:
    """The first start: `init` values, 0 or the nearest bound where none is given."""
    first = np.zeros(problem.n_vars)
    for v in problem.variables:
        if v.init is not None:
            first[v.offset:v.offset + v.size] = v.init
    return np.clip(first, lower.cpu().numpy(), upper.cpu().numpy())


def _box_around(first: np.ndarray, lower: torch.Tensor,
                upper: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The finite box starts are drawn from: the bounds, and an unbounded side
    BOX_HALF_WIDTH * max(1, |centre|) from the first start."""
    lo, hi = lower.cpu().numpy(), upper.cpu().numpy()
    width = BOX_HALF_WIDTH * np.maximum(1.0, np.abs(first))
    return (np.where(np.isfinite(lo), lo, first - width),
            np.where(np.isfinite(hi), hi, first + width))


def _spread_box(problem: Problem, settings: Settings, lower: torch.Tensor,
                upper: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = _box_around(_first(problem, lower, upper), lower, upper)
    return (torch.as_tensor(lo, dtype=torch.float64, device=settings.device),
            torch.as_tensor(hi, dtype=torch.float64, device=settings.device))


def _starts(problem: Problem, settings: Settings, lower: torch.Tensor,
            upper: torch.Tensor) -> torch.Tensor:
    """The first start at `init`, the others spread over the box by a scrambled
    Sobol sequence."""
    n = problem.n_vars
    first = _first(problem, lower, upper)
    box_lo, box_hi = _box_around(first, lower, upper)
    rest = settings.starts - 1
    if rest and n:
        if n <= torch.quasirandom.SobolEngine.MAXDIM:
            engine = torch.quasirandom.SobolEngine(n, scramble=True, seed=settings.seed)
            unit = engine.draw(rest, dtype=torch.float64).numpy()
        else:
            unit = np.random.default_rng(settings.seed).random((rest, n))
        spread = box_lo + unit * (box_hi - box_lo)
        points = np.vstack([first[None], spread])
    else:
        points = first[None].repeat(settings.starts, axis=0)
    return torch.as_tensor(points, dtype=torch.float64, device=settings.device)


@contextmanager
def _threads(settings: Settings, n_vars: int) -> Iterator[None]:
    """One torch thread for small models on the CPU, restored afterwards: on two cores
    a busy neighbour made a two-thread loop about 100x slower than one thread."""
    previous = torch.get_num_threads()
    small = settings.device.type == "cpu" and n_vars * settings.starts <= SMALL_MODEL
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(previous)


class _Progress(ProgressLine):
    """The progress line of a torch solve: iterations, best objective, least violation."""

    def __init__(self) -> None:
        super().__init__()
        self.sign = 1.0  # shows a maximised objective as the model states it

    def __enter__(self) -> _Progress:
        return self

    def update(self, iterations: int, best: float, violation: float) -> None:
        shown = "-" if math.isnan(best) else f"{self.sign * best:.8g}"
        self.show(f"torch: {iterations} iterations, best objective {shown}, least "
                  f"violation {violation:.1e}")

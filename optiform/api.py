"""The verbs: parse, check, compile, solve, verify; the CLI and Python share them.

`load(path, data=...)` returns a `Model`; `Model.solve()` compiles it,
chooses a backend for its class, solves, and checks the point with the
independent checker, returning a `Result`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from optiform.backends import SolveOptions, auto_note, choose, write
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.compiler.instantiate import instantiate
from optiform.compiler.ir import Problem
from optiform.diagnostics import Diagnostic, DiagnosticError, Span, suggest
from optiform.dsl import ast as A
from optiform.dsl.data import DataItem, load_data
from optiform.dsl.parser import parse, parse_file
from optiform.dsl.render import render
from optiform.solution import Result, ResultStatus, Solution, TerminationStatus
from optiform.verify import ViolationReport, verify

DataArg = str | Path | Mapping[str, Any] | None


@dataclass
class Model:
    """A parsed model with its data, ready to compile and solve."""

    decl: A.ModelDecl
    data: dict[str, DataItem] = field(default_factory=dict)
    max_size: int = DEFAULT_MAX_SIZE
    _problem: Problem | None = None

    @property
    def name(self) -> str:
        return self.decl.name

    def compile(self) -> Problem:
        if self._problem is None:
            self._problem = instantiate(self.decl, self.data, self.max_size)
        return self._problem

    def solve(self, backend: str = "auto", *, time_limit: float | None = None,
              mip_gap: float | None = None, weights: Mapping[str, float] | None = None,
              lexicographic: Sequence[str] | None = None, verbose: bool = False,
              solver: str | None = None, starts: int | None = None,
              device: str | None = None, seed: int = 0, iterations: int | None = None,
              tolerance: float | None = None, optimizer: str | None = None) -> Result:
        """Solve with `backend` (auto, highs, pyomo, ipopt, torch); `solver` names Pyomo's
        solver; `starts` to `optimizer` steer the local NLP methods (see SolveOptions)."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        problem = self.compile()
        timings["compile"] = time.perf_counter() - t0
        options = SolveOptions(time_limit, mip_gap, dict(weights or {}),
                               tuple(lexicographic or ()), verbose=verbose, starts=starts,
                               device=device, seed=seed, iterations=iterations,
                               tolerance=tolerance, optimizer=optimizer)
        return solve(problem, backend, options, timings, solver)

    def pareto(self, points: int = 10, backend: str = "auto",
               objectives: Sequence[str] | None = None, *, time_limit: float | None = None,
               mip_gap: float | None = None) -> list[Result]:
        """Evenly spread points of the trade-off between two objectives (see `pareto`)."""
        return pareto(self.compile(), points, backend, SolveOptions(time_limit, mip_gap),
                      objectives)


def load(path: str | Path, data: DataArg = None, *,
         max_size: int = DEFAULT_MAX_SIZE) -> Model:
    """Parse a model file; `data` is a data file/folder path or a mapping of values.

    `max_size` bounds the rows one index expansion may create while grounding.
    """
    return Model(parse_file(path), _data(data), max_size)


def loads(text: str, data: DataArg = None, file: str = "<model>", *,
          max_size: int = DEFAULT_MAX_SIZE) -> Model:
    """Parse model text given as a string."""
    return Model(parse(text, file), _data(data), max_size)


def _data(data: DataArg) -> dict[str, DataItem]:
    if data is None:
        return {}
    if isinstance(data, (str, Path)):
        return load_data(data)
    return {k: DataItem(k, v, Span("<data>", 1, 1)) for k, v in data.items()}


def check(path: str | Path, data: DataArg = None, *,
          max_size: int = DEFAULT_MAX_SIZE) -> Problem:
    """Parse, resolve and ground a model without solving it."""
    return load(path, data, max_size=max_size).compile()


def show(path: str | Path, style: str = "text") -> str:
    """The model as mathematics (text, latex or markdown), from the file alone."""
    return render(parse_file(path), style)


def export(path: str | Path, out: str | Path, data: DataArg = None, *,
           max_size: int = DEFAULT_MAX_SIZE) -> Path:
    """Ground a model over its data and write it as .lp, .mps or .nl (by `out`'s suffix)."""
    write(load(path, data, max_size=max_size).compile(), out)
    return Path(out)


def solve(problem: Problem, backend: str = "auto", options: SolveOptions | None = None,
          timings: dict[str, float] | None = None, solver: str | None = None) -> Result:
    options = options or SolveOptions()
    timings = dict(timings or {})
    _check_objectives(problem, options)
    if problem.n_vars == 0:
        return _without_variables(problem, timings)
    chosen = choose(problem, backend, solver)
    t0 = time.perf_counter()
    solution = chosen.solve(problem, options)
    timings["solve"] = time.perf_counter() - t0
    if backend == "auto" and (note := auto_note(problem, chosen)):
        solution.message = f"{note}; {solution.message}" if solution.message else note
    report: ViolationReport | None = None
    if solution.has_point:
        t0 = time.perf_counter()
        assert solution.values is not None
        report = verify(problem, solution.values, reported=solution.objective_values)
        timings["check"] = time.perf_counter() - t0
    return Result(problem, solution, report, timings)


def _without_variables(problem: Problem, timings: dict[str, float]) -> Result:
    """Every variable's index is empty: nothing to solve, only constants to check."""
    report = verify(problem, np.zeros(0))
    if not report.feasible:
        rows = ", ".join(v.describe() for v in report.violations[:5])
        solution = Solution(TerminationStatus.INFEASIBLE, ResultStatus.NO_SOLUTION, {}, None,
                            "none", message=f"the model has no variables and these "
                            f"constraints are false: {rows}")
        return Result(problem, solution, None, timings)
    solution = Solution(TerminationStatus.OPTIMAL, ResultStatus.FEASIBLE_POINT,
                        dict(report.objectives), np.zeros(0), "none",
                        message="the model has no variables (every variable's index is "
                        "empty), so its objective is a constant")
    return Result(problem, solution, report, timings)


def pareto(problem: Problem, points: int = 10, backend: str = "auto",
           options: SolveOptions | None = None,
           objectives: Sequence[str] | None = None) -> list[Result]:
    """The trade-off between two objectives, by the epsilon-constraint method.

    The two ends are the lexicographic optima in each order; between them the
    second objective is bounded at evenly spaced values while the first is
    optimised (then the second, so that no point is weakly dominated). Returns
    the distinct verified points, from the first objective's best end.
    """
    base = options or SolveOptions()
    names = list(objectives or [o.name for o in problem.objectives])
    if len(names) != 2 or points < 2:
        raise DiagnosticError([Diagnostic(
            f"a Pareto front needs two objectives and at least two points; the model has "
            f"{len(problem.objectives)} objective(s)", None,
            "name the two objectives to trade off, e.g. `--pareto 10 --lexicographic a,b`")])
    first, second = names
    _check_objectives(problem, replace(base, lexicographic=(first, second)))

    def run(bounds: dict[str, float], order: tuple[str, str]) -> Result:
        return solve(problem, backend, replace(base, weights={}, lexicographic=order,
                                               objective_bounds=bounds))

    ends = [run({}, (first, second)), run({}, (second, first))]
    if not all(r.verified for r in ends):
        return [r for r in ends if not r.verified][:1]
    start, stop = (r.objectives[second] for r in ends)
    front: list[Result] = []
    seen: set[tuple[float, float]] = set()
    sense = problem.objective(second).sense
    for eps in np.linspace(start, stop, points):
        slack = 1e-9 * max(1.0, abs(eps))
        r = run({second: eps + slack if sense == "minimize" else eps - slack}, (first, second))
        key = (round(r.objectives.get(first, np.nan), 6),
               round(r.objectives.get(second, np.nan), 6))
        if r.verified and key not in seen:
            seen.add(key)
            front.append(r)
    return front


def _check_objectives(problem: Problem, options: SolveOptions) -> None:
    names = [o.name for o in problem.objectives]
    asked = list(options.weights) + list(options.lexicographic)
    problems = []
    for name in asked:
        if name not in names:
            hint = suggest(name, names) or "objectives: " + ", ".join(names)
            problems.append(Diagnostic(f"unknown objective `{name}`", None, hint))
    if options.weights and options.lexicographic:
        problems.append(Diagnostic("give either weights or a lexicographic order, not both"))
    for name in options.lexicographic[:-1]:
        if name in names and problem.objective(name).terms.quadratic:
            problems.append(Diagnostic(
                f"objective `{name}` is quadratic and cannot be held as a linear row in a "
                "lexicographic solve", None, "put it last in the order"))
    if problems:
        raise DiagnosticError(problems)

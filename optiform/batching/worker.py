"""One scenario solved where a worker runs it, and the small answer sent back.

The task carries the scenario's data already read (so a worker on another
machine needs no access to the files) and its grid values; the parsed model
arrives once per worker, not per task. The scenario is compiled, solved and
checked by `api.Model.solve`, as `optiform solve` does it. Whatever goes
wrong becomes the outcome's error, so that one scenario never stops a batch.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

from optiform.api import Model
from optiform.backends import BackendError
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.diagnostics import DiagnosticError, Span
from optiform.dsl import ast as A
from optiform.dsl.data import DataItem
from optiform.output import write_csv
from optiform.solution import Result, TerminationStatus


@dataclass(frozen=True)
class SolveSettings:
    """What every scenario of a batch is solved with."""

    backend: str = "auto"
    time_limit: float | None = None
    mip_gap: float | None = None
    max_size: int = DEFAULT_MAX_SIZE
    values: bool = False  # send back each variable's values as CSV text


@dataclass(frozen=True)
class Task:
    number: int  # the scenario's place in the batch
    data: dict[str, DataItem]
    grid: tuple[tuple[str, int | float], ...]
    settings: SolveSettings


@dataclass(frozen=True)
class Outcome:
    """A scenario's answer: a row's worth of numbers, and the values if asked for."""

    status: str  # the solve's status, or `error`
    objectives: dict[str, float] = field(default_factory=dict)
    objective: float | None = None
    check: str = ""  # feasible | violated | "" without a point
    max_violation: float = math.nan
    seconds: float = 0.0
    solve_seconds: float = math.nan
    error: str = ""
    values: dict[str, str] = field(default_factory=dict)  # variable -> CSV text
    interrupted: bool = False  # stopped by Ctrl-C: not a finished row

    @classmethod
    def failed(cls, error: str, seconds: float = 0.0) -> Outcome:
        return cls("error", seconds=seconds, error=error)


def error_text(exc: BaseException) -> str:
    """An error on one line, for a table cell: each diagnostic with its place and hint."""
    if isinstance(exc, DiagnosticError):
        return "; ".join((f"{d.span}: " if d.span else "") + d.message
                         + (f" (hint: {d.hint})" if d.hint else "") for d in exc.diagnostics)
    text = " ".join(str(exc).split())
    return text if isinstance(exc, BackendError) else f"{type(exc).__name__}: {text}"


def solve_task(decl: A.ModelDecl, task: Task) -> Outcome:
    """Compile, solve and check one scenario; never raises (but for Ctrl-C)."""
    started = time.perf_counter()
    try:
        result = _model(decl, task).solve(task.settings.backend,
                                          time_limit=task.settings.time_limit,
                                          mip_gap=task.settings.mip_gap)
    except (DiagnosticError, BackendError) as exc:
        return Outcome.failed(error_text(exc), time.perf_counter() - started)
    except Exception as exc:  # a bug or a solver's crash: the row says which, the batch goes on
        return Outcome.failed(error_text(exc), time.perf_counter() - started)
    report = result.report
    return Outcome(
        result.status, result.objectives, result.objective,
        "" if report is None else "feasible" if report.feasible else "violated",
        report.max_violation if report is not None else math.nan,
        time.perf_counter() - started, result.timings.get("solve", math.nan),
        result.solution.message if not result.solution.has_point else "",
        value_tables(result) if task.settings.values else {},
        result.solution.termination is TerminationStatus.INTERRUPTED)


def _model(decl: A.ModelDecl, task: Task) -> Model:
    """The model with the grid's values as data; a value the model itself gives to a
    grid parameter yields to the grid's."""
    data = dict(task.data)
    names = {name for name, _ in task.grid}
    for name, value in task.grid:
        data[name] = DataItem(name, value, Span("--grid", 1, 1))
    if any(p.name in names and p.value is not None for p in decl.parameters):
        decl = replace(decl, parameters=tuple(
            replace(p, value=None) if p.name in names else p for p in decl.parameters))
    return Model(decl, data, task.settings.max_size)


def value_tables(result: Result) -> dict[str, str]:
    """Each variable's (and defined variable's) values as CSV text, in the layout of
    `Result.frame` and `--output`: one column per index position, then `value`."""
    tables = {}
    for answer in result.answers():
        out = io.StringIO()
        write_csv(result, answer, out)
        tables[answer.name] = out.getvalue()
    return tables


def outcome_fields(outcome: Outcome) -> dict[str, Any]:
    """The outcome's cells of a row (the objectives under `objective.NAME`)."""
    return {"status": outcome.status, "objective": outcome.objective,
            **{f"objective.{k}": v for k, v in outcome.objectives.items()},
            "check": outcome.check, "max_violation": outcome.max_violation,
            "seconds": round(outcome.seconds, 6),
            "solve_seconds": round(outcome.solve_seconds, 6),
            "error": outcome.error}

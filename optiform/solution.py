"""What a backend returns and what a user gets back.

Termination (why the solver stopped) and primal status (whether it has a
point) are kept apart, as MathOptInterface does; the status a user reads is
derived from both and from the checker's verdict.
"""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from optiform.answers import entries, entries_json, key_columns, object_json
from optiform.compiler.defined import values as defined_values

if TYPE_CHECKING:
    from optiform.compiler.ir import Problem
    from optiform.conflict import Conflict
    from optiform.dsl import ast as A
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
    INTERRUPTED = 130  # Ctrl-C or SIGTERM before any point: the shell's code for SIGINT


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
    # an infeasible model: the rows that conflict (backends that can find them)
    conflict: Conflict | None = None

    @property
    def has_point(self) -> bool:
        return self.primal_status is ResultStatus.FEASIBLE_POINT and self.values is not None


@dataclass(frozen=True)
class Answer:
    """One variable's or defined variable's values over its key rows, with the
    declared index that names its columns."""

    name: str
    keys: np.ndarray
    index: A.Index | None
    values: np.ndarray

    def __post_init__(self) -> None:
        # a solver's -0.0 reads as 0.0 everywhere (--json already wrote it so)
        object.__setattr__(self, "values", np.asarray(self.values, dtype=float) + 0.0)

    @property
    def arity(self) -> int:
        return int(self.keys.shape[1])


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
            return (ExitCode.INTERRUPTED if status == "interrupted"
                    else ExitCode.NO_SOLUTION)
        if status == "error":  # the solver failed, whatever point it left behind
            return ExitCode.NO_SOLUTION
        return ExitCode.OK if self.verified else ExitCode.CHECK_FAILED

    @property
    def objectives(self) -> dict[str, float]:
        return dict(self.solution.objective_values)

    @property
    def objective(self) -> float | None:
        values = self.solution.objective_values
        return next(iter(values.values())) if values else None

    @cached_property
    def values(self) -> dict[str, Any]:
        """Variable values: a float for a scalar, a dict keyed by index tuples otherwise.

        Built on first use, from the key columns: the arrays stay the answer
        (`frame`, `to_json`) until a caller asks for Python objects."""
        out: dict[str, Any] = {}
        for name, keys, block in self._blocks():
            if keys.shape[1] == 0:
                out[name] = float(block[0])
            else:
                cols = [c.tolist() for c in key_columns(self.problem.universe, keys)]
                out[name] = dict(zip(zip(*cols, strict=True), block.tolist(), strict=True))
        return out

    def _blocks(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [(a.name, a.keys, a.values) for a in self.answers()]

    def answers(self) -> list[Answer]:
        """Each variable's and then each defined variable's values at the point, over
        its keys (a defined variable's computed from the columns); none without a point."""
        x = self.solution.values
        if x is None:
            return []
        out = [Answer(v.name, v.keys, v.decl.index, x[v.offset:v.offset + v.size])
               for v in self.problem.variables]
        computed = defined_values(self.problem, x)
        out += [Answer(d.name, d.keys, d.decl.index, computed[d.name])
                for d in self.problem.defined]
        return out

    def frame(self, name: str) -> Any:
        """A variable's or constraint family's values as a pandas DataFrame: a column
        per index position named after its set (`N`, `N_2` for a set used twice),
        then `value`; a constraint's also `slack`, and `dual` for an LP."""
        from optiform.frames import frame

        return frame(self, name)

    def to_pandas(self) -> dict[str, Any]:
        """`frame` of every variable and constraint family, by name."""
        from optiform.frames import frame, table_names

        return {name: frame(self, name) for name in table_names(self.problem)}

    def to_polars(self) -> dict[str, Any]:
        """As `to_pandas`, with polars DataFrames."""
        from optiform.frames import polars_frame, table_names

        return {name: polars_frame(self, name) for name in table_names(self.problem)}

    def _variables(self) -> dict[str, Any]:
        return {name: _clean(block[0]) if keys.shape[1] == 0 else
                entries(self.problem.universe, keys, block)
                for name, keys, block in self._blocks()}

    def to_dict(self) -> dict[str, Any]:
        """The `--json` shape: status, objective(s), variables, check, class, backend;
        a sampler's points under `samples`, `--compare`'s under `compare`."""
        return self._payload(self._variables(), self._duals())

    def to_json(self) -> str:
        """`to_dict()` as JSON text: what `write_json` writes."""
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: TextIO) -> None:
        """`to_dict()` as JSON, indented by 2, each variable's and dual's entries one
        a line, written from the arrays a slice at a time (the `--json` output)."""
        universe = self.problem.universe
        variables: dict[str, Iterable[str]] = {
            name: [json.dumps(_clean(block[0]))] if keys.shape[1] == 0 else
            entries_json(universe, keys, block, 6) for name, keys, block in self._blocks()}
        parts = [(json.dumps(_VARIABLES), object_json(variables, 4))]
        if self.solution.duals:
            duals: dict[str, Iterable[str]] = {}
            for c in self.problem.constraints:
                values = self.solution.duals.get(c.name)
                if values is not None:
                    duals[c.name] = ([json.dumps(_clean(values[0]))]
                                     if c.keys.shape[1] == 0 and len(values) == 1 else
                                     entries_json(universe, c.keys, values, 6))
            parts.append((json.dumps(_DUALS), object_json(duals, 4)))
        rest = json.dumps(self._payload(_VARIABLES, _DUALS if len(parts) > 1 else None),
                          indent=2)
        for mark, chunks in parts:
            head, _, rest = rest.partition(mark)
            out.write(head)
            out.writelines(chunks)
        out.write(rest)

    def summary(self) -> dict[str, Any]:
        """`to_dict()` without the variables and duals: what `--output`'s summary.json
        holds beside the files."""
        payload = self._payload(None, None)
        del payload["variables"], payload["duals"]
        return payload

    def _payload(self, variables: Any, duals: Any) -> dict[str, Any]:
        out = {
            "model": self.problem.name,
            "status": self.status,
            "objective": _clean(self.objective) if self.objective is not None else None,
            "objectives": {k: _clean(v) for k, v in self.objectives.items()},
            "variables": variables,
            "check": self.report.to_dict() if self.report else None,
            "duals": duals,
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
        if self.solution.conflict is not None:
            out["conflict"] = self.solution.conflict.to_dict()
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
        out: dict[str, Any] = {}
        for c in self.problem.constraints:
            values = duals.get(c.name)
            if values is None:
                continue
            if c.keys.shape[1] == 0 and len(values) == 1:
                out[c.name] = _clean(values[0])
            else:
                out[c.name] = entries(self.problem.universe, c.keys, values)
        return out


# Stand-ins for the long lists in `to_json`'s skeleton, replaced by their text.
_VARIABLES = "\u0000optiform variables"
_DUALS = "\u0000optiform duals"


def _clean(v: float | None) -> float | None:
    if v is None:
        return None
    v = float(v)
    if not np.isfinite(v):
        return None
    if abs(v - round(v)) < 1e-9:
        return float(round(v))
    return v

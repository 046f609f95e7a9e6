"""Numbers as a person pastes them into a report, and the rows of `solve --duals`.

A solver's point is exact only to its feasibility tolerance, so 279.9999991
is 280 and -1e-12 is 0 to it; showing every digit of the double shows noise
(`11100.000000000002`, `-0`). The command line shows values through `shown`,
the shortest decimal within that tolerance; the stored values
(`Result.values`, `--json`) stay exact. `data_summaries` says in a few
words what a data file gave a model (`show --data`). Imports only the IR and
the solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optiform.compiler.ir import Problem
from optiform.solution import Result

# The checker's tolerance, relative above 1 and absolute below: a value is shown as the
# shortest decimal within it, since no check tells the two apart.
TOLERANCE = 1e-6


def shown(value: float, tolerance: float = TOLERANCE) -> str:
    """`value` as the shortest decimal within `tolerance` of it (relative above 1)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    near = tolerance * max(1.0, abs(value))
    decimals = next((d for d in range(16) if abs(round(value, d) - value) <= near), 16)
    text = f"{round(value, decimals):.12g}"
    return "0" if float(text) == 0 else text


@dataclass(frozen=True)
class RowReport:
    """One constraint row: its dual (LPs only) and its slack, the distance to its
    nearer finite bound at the point (0 where it binds)."""

    constraint: str
    index: tuple[object, ...]
    dual: float | None
    slack: float | None


def constraint_rows(result: Result) -> list[RowReport]:
    """Every linear constraint row's dual and slack at the result's point."""
    x, duals = result.solution.values, result.solution.duals or {}
    if x is None:
        return []
    decode = result.problem.universe.decode_row
    rows: list[RowReport] = []
    for c in result.problem.constraints:
        t = c.terms
        slack: np.ndarray | None = None
        if not t.nonlinear and not len(t.quad_val):
            activity = t.const + np.bincount(t.lin_row, weights=t.lin_val * x[t.lin_col],
                                             minlength=c.size)
            with np.errstate(invalid="ignore"):
                slack = np.fmin(c.upper - activity, activity - c.lower)
        dual = duals.get(c.name)
        for r in range(c.size):
            rows.append(RowReport(
                c.name, decode(c.keys[r]),
                None if dual is None else float(dual[r]),
                None if slack is None or not np.isfinite(slack[r]) else float(slack[r])))
    return rows


MEMBERS_SHOWN = 8


def data_summaries(problem: Problem, names: set[str]) -> dict[str, str]:
    """A few words for each set and parameter in `names`: its first members, or its
    number of values and their range."""
    fmt = problem.universe.format_key
    out: dict[str, str] = {}
    for name in sorted(names):
        if name in problem.sets:
            codes = problem.sets[name].codes
            members = [fmt(r) if codes.shape[1] == 1 else f"({fmt(r)})"
                       for r in codes[:MEMBERS_SHOWN]]
            more = (f" and {len(codes) - MEMBERS_SHOWN} more"
                    if len(codes) > MEMBERS_SHOWN else "")
            out[name] = f"{len(codes)} members: {', '.join(members)}{more}"
        elif name in problem.params:
            param = problem.params[name]
            values = np.asarray(param.values, dtype=float)
            if param.arity == 0 and len(values) == 1:
                out[name] = shown(values[0])
            elif len(values):
                out[name] = (f"{len(values)} values in [{shown(values.min())}, "
                             f"{shown(values.max())}]")
    return out

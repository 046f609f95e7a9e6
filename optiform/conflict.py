"""Why a model is infeasible: the constraints that conflict, with their numbers.

A backend that proves infeasibility may attach a `Conflict` to its solution.
It comes from one of two searches (backends/highs/conflict.py): the LP
relaxation's irreducible infeasible subset (IIS) when the relaxation itself
is infeasible, or else an elastic relaxation, where each row may give at a
unit price and the rows that must give, and by how much, are the conflict.
Rows are the user's: a constraint that a lowering compiled (`abs`, `pwl`, an
implication, an objective's epigraph) is one row, shown as written, and the
auxiliary rows and columns behind it are never named. The same text reaches
`optiform solve`, the agent's feedback and `--json`, so a person and an LLM read
one account. Data only: imports no backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_LISTED = 20  # rows (and bounds) named; the count of the rest follows


@dataclass(frozen=True)
class ConflictRow:
    """One row of the conflict: its bounds and, where known, the least change it needs."""

    label: str  # `name[key]`, as the checker names rows
    constraint: str  # the declaration's name
    lower: float
    upper: float
    give: float  # how far the row must move past a bound; 0 when it need not
    side: str | None  # lower | upper: the bound that gives
    line: int | None  # the declaration's line in the model
    # a construct the lowering compiled, as written (`abs(x - y) >= 15`); None for a
    # plain row, shown by its bounds
    written: str | None = None

    def describe(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        bounds = self.written if self.written is not None else _bounds(self.lower, self.upper)
        if self.give <= 0 or self.side is None:
            return f"{self.label}{where}: {bounds}"
        bound = self.lower if self.side == "lower" else self.upper
        moved = bound - self.give if self.side == "lower" else bound + self.give
        if self.lower == self.upper and self.written is None:
            return f"{self.label}{where}: {bounds}; it must move by {self.give:.6g}, to {moved:.6g}"
        verb = "lowered" if self.side == "lower" else "raised"
        return (f"{self.label}{where}: {bounds}; its {self.side} bound must be {verb} by "
                f"{self.give:.6g}, to {moved:.6g}")

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.label, "constraint": self.constraint, "line": self.line,
                "lower": _finite(self.lower), "upper": _finite(self.upper),
                "give": self.give, "side": self.side, "written": self.written}


@dataclass(frozen=True)
class ConflictBound:
    """A variable's bound that belongs to the IIS."""

    label: str
    lower: float
    upper: float

    def describe(self) -> str:
        return f"{self.label} {_bounds(self.lower, self.upper)}"


@dataclass(frozen=True)
class Conflict:
    """The rows (and bounds) that cannot hold together, found by `method`."""

    method: str  # iis | elastic | bounds (an integer variable's empty range)
    rows: tuple[ConflictRow, ...]
    bounds: tuple[ConflictBound, ...] = ()
    # iis: proven irreducible, and its numbers least; elastic: the least total change
    # was proven (no time limit hit)
    proven: bool = True
    relaxation_feasible: bool = False  # known to hold with fractional values

    @property
    def total(self) -> float:
        return sum(r.give for r in self.rows)

    def summary(self) -> str:
        """One line: the names, for a status note."""
        names = [r.label for r in self.rows[:MAX_LISTED]]
        more = len(self.rows) - len(names)
        tail = f" and {more} more" if more > 0 else ""
        if self.method == "bounds":
            return ("no whole number lies within the bounds of: "
                    + ", ".join(b.label for b in self.bounds[:MAX_LISTED]))
        if self.method == "iis":
            return "these constraints conflict: " + ", ".join(names) + tail
        return ("these constraints must give for any solution to exist: "
                + ", ".join(names) + tail)

    def describe(self) -> str:
        """Every row with its line and numbers, and how the conflict was found."""
        if self.method == "bounds":
            shown = ", ".join(b.describe() for b in self.bounds[:MAX_LISTED])
            return ("These integer variables have bounds with no whole number between them, "
                    f"whatever the constraints: {shown}")
        if self.method == "iis" and self.proven:
            head = ("These constraints cannot all hold, even with fractional values "
                    "allowed; together they are an irreducible conflict (drop any one "
                    "constraint and the rest can hold):")
        elif self.method == "iis":
            head = ("These constraints cannot all hold, even with fractional values "
                    "allowed (the search ran out of time before it proved them an "
                    "irreducible conflict, and their numbers least):")
        else:
            least = "the least" if self.proven else "a small (not proven least)"
            why = ("The constraints can hold together when variables may take fractional "
                   "values, so the conflict involves integrality. "
                   if self.relaxation_feasible else "")
            total = (f" ({self.total:.6g})" if all(r.give > 0 for r in self.rows) else "")
            head = (f"{why}Letting every row give at a price, {least} total change that "
                    f"makes the model feasible{total} moves these rows:")
        lines = [head, *(f"  {r.describe()}" for r in self.rows[:MAX_LISTED])]
        if len(self.rows) > MAX_LISTED:
            lines.append(f"  ... and {len(self.rows) - MAX_LISTED} more rows")
        if self.bounds:
            shown = ", ".join(b.describe() for b in self.bounds[:MAX_LISTED])
            more = len(self.bounds) - MAX_LISTED
            lines.append("  with the variable bounds " + shown
                         + (f" and {more} more" if more > 0 else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "proven": self.proven, "total_change": self.total,
                "relaxation_feasible": self.relaxation_feasible,
                "rows": [r.to_dict() for r in self.rows],
                "bounds": [{"variable": b.label, "lower": _finite(b.lower),
                            "upper": _finite(b.upper)} for b in self.bounds],
                "text": self.describe()}


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _bounds(lower: float, upper: float) -> str:
    lo, hi = math.isfinite(lower), math.isfinite(upper)
    if lo and hi:
        return f"== {lower:.6g}" if lower == upper else f"in [{lower:.6g}, {upper:.6g}]"
    if lo:
        return f">= {lower:.6g}"
    if hi:
        return f"<= {upper:.6g}"
    return "free"

"""The first failing stage, in words the model (and the user) can act on.

Each stage's failure becomes a `Feedback`: diagnostics rendered with line,
caret and hint against the model's own text; the solver's status with what
it means, the conflicting constraints (with their numbers, from the
backend's `Conflict`) or runaway variables quoted from the model; the
checker's violations. A verified model that still looks wrong
(all zeros, a variable no constraint mentions, a parameter that nothing
uses and no comment explains)
yields the reasons for one self-review. The words come from
`prompts/feedback.md`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from optiform.agents.assumptions import comments
from optiform.agents.extract import ExtractionError
from optiform.agents.prompt import feedback_texts
from optiform.api import Model
from optiform.diagnostics import DiagnosticError, Span
from optiform.dsl import ast as A
from optiform.solution import Result

MODEL_FILE = "model.opt"  # the name diagnostics give the model's text
MAX_SHOWN = 10


class Outcome(str, enum.Enum):
    """How far one attempt got: the first stage that failed, or `verified`."""

    NO_MODEL = "no_model"
    SYNTAX = "syntax"
    SEMANTIC = "semantic"
    DATA = "data"
    SOLVER = "solver"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"
    CHECK_FAILED = "check_failed"
    INTERNAL_ERROR = "internal_error"
    VERIFIED = "verified"

    @property
    def reached_solver(self) -> bool:
        """The model compiled and a solver ran on it, whatever it answered."""
        return self in _SOLVED


_SOLVED = {Outcome.INFEASIBLE, Outcome.UNBOUNDED, Outcome.NO_SOLUTION, Outcome.CHECK_FAILED,
           Outcome.VERIFIED}


@dataclass(frozen=True)
class Feedback:
    outcome: Outcome
    text: str


def _say(key: str, detail: str = "") -> str:
    return feedback_texts()[key].substitute(detail=detail).strip()


def no_model(error: ExtractionError, truncated: bool) -> Feedback:
    text = _say("empty") if error.reason == "empty" else _say("no_model", error.detail)
    return Feedback(Outcome.NO_MODEL, _with_truncation(text, truncated))


def truncated() -> Feedback:
    return Feedback(Outcome.NO_MODEL, _say("truncated"))


def diagnostics(error: DiagnosticError, text: str, truncated: bool = False) -> Feedback:
    """Every diagnostic (up to a limit) with line, caret and hint, against `text`."""
    shown = [d.render(text if d.span and d.span.file == MODEL_FILE else None)
             for d in error.diagnostics[:MAX_SHOWN]]
    more = len(error.diagnostics) - MAX_SHOWN
    if more > 0:
        shown.append(f"... and {more} more")
    kind = {"syntax": Outcome.SYNTAX, "data": Outcome.DATA, "solver": Outcome.SOLVER}.get(
        error.kind, Outcome.SEMANTIC)
    return Feedback(kind, _with_truncation(_say(kind.value, "\n\n".join(shown)), truncated))


def solver_error(message: str) -> Feedback:
    return Feedback(Outcome.SOLVER, _say("solver", message))


def internal_error(exc: BaseException) -> Feedback:
    return Feedback(Outcome.INTERNAL_ERROR, _say("internal_error", f"{type(exc).__name__}: "
                                                                   f"{exc}"))


def from_result(result: Result, text: str) -> Feedback | None:
    """What the solver's answer and the checker's verdict mean; None when verified."""
    problem = result.problem
    status = result.status
    message = result.solution.message
    if status == "infeasible":
        rows = {c.name: c.decl.span for c in problem.constraints}
        conflict = result.solution.conflict
        if conflict is not None:
            # a conflict's row may be an objective's or a semi-continuous variable's
            # compiled construct, named by its declaration
            declared = {**{o.name: o.decl.span for o in problem.objectives},
                        **{v.name: v.decl.span for v in problem.variables}, **rows}
            named = [declared.get(name) for name in dict.fromkeys(r.constraint
                                                                  for r in conflict.rows)]
            if conflict.method == "bounds":
                variables = {v.name: v.decl.span for v in problem.variables}
                named += [variables[name] for name in dict.fromkeys(
                    b.label.split("[")[0] for b in conflict.bounds) if name in variables]
            detail = _join(conflict.describe(), "", _quote(text, named))
        else:
            detail = _join(message, _quote(text, _mentioned(message, rows)))
        return Feedback(Outcome.INFEASIBLE, _say("infeasible", detail))
    if status == "unbounded":
        named = _mentioned(message, {v.name: v.decl.span for v in problem.variables})
        spans = named + [o.decl.span for o in problem.objectives]
        detail = _join(message, _quote(text, spans))
        return Feedback(Outcome.UNBOUNDED, _say("unbounded", detail))
    if not result.solution.has_point:
        detail = message or {"time_limit": "the time limit ran out before a solution was found"
                             }.get(status, f"the solver stopped with status `{status}`")
        return Feedback(Outcome.NO_SOLUTION, _say("no_solution", detail))
    if result.report is not None and not result.report.feasible:
        worst = sorted(result.report.violations, key=lambda v: -v.amount)[:MAX_SHOWN]
        lines = [v.describe() for v in worst]
        quoted = _quote(text, [v.span for v in worst])
        return Feedback(Outcome.CHECK_FAILED, _say("check_failed", _join(*lines, "", quoted)))
    return None


def suspicions(model: Model, result: Result) -> list[str]:
    """Why a verified model may still be plainly wrong; empty when nothing stands out."""
    decl = model.decl
    reasons = []
    values = result.values
    flat = [v for value in values.values()
            for v in (value.values() if isinstance(value, dict) else [value])]
    if decl.variables and abs(result.objective or 0.0) < 1e-9 and all(
            abs(v) < 1e-9 for v in flat):
        reasons.append(_say("zero_solution"))
    in_constraints: set[str] = set()
    for c in decl.constraints:
        in_constraints |= _names(c.expr, c.index)
    loose = [v.name for v in decl.variables if v.name not in in_constraints]
    if loose and decl.constraints:
        reasons.append(_say("unconstrained_variable", _names_list(loose)))
    used = _used_names(decl)
    notes = comments(decl.source)
    unused = [p.name for p in decl.parameters
              if p.name not in used and not _explained(p, notes, decl.source)]
    if unused:
        reasons.append(_say("unused_parameter", _names_list(unused)))
    return reasons


def _explained(p: A.ParamDecl, notes: dict[int, str], text: str) -> bool:
    """A description, a comment on or just above its lines, or a comment naming it.

    Numbers kept only to work data out by hand (the lengths behind a list of
    cutting patterns) are explained this way, and need not be used.
    """
    if p.description or any(re.search(rf"\b{re.escape(p.name)}\b", n) for n in notes.values()):
        return True
    if p.span is None:
        return False
    first, last = p.span.line, p.span.end_line or p.span.line
    lines = text.splitlines()
    above = first >= 2 and lines[first - 2].lstrip().startswith("#")  # a comment line of its own
    return above or any(n in notes for n in range(first, last + 1))


def _with_truncation(text: str, truncated: bool) -> str:
    return _join(_say("truncated"), "", text) if truncated else text


def _join(*parts: str) -> str:
    return "\n".join(parts).strip("\n")


def _mentioned(message: str, spans: dict[str, Span | None]) -> list[Span | None]:
    """The declarations whose names a solver message mentions, in message order."""
    found = re.findall(r"[A-Za-z_]\w*", message)
    seen = dict.fromkeys(name for name in found if name in spans)
    return [spans[name] for name in seen]


def _quote(text: str, spans: Iterable[Span | None]) -> str:
    """The source lines of some declarations, numbered as diagnostics number them."""
    lines = text.splitlines()
    out: list[str] = []
    seen: set[int] = set()
    for span in spans:
        if span is None or span.line in seen:
            continue
        seen.add(span.line)
        last = min(span.end_line or span.line, span.line + 3, len(lines))
        out.extend(f"{n:>4} | {lines[n - 1]}" for n in range(span.line, last + 1))
    return "\n".join(out)


def _names_list(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _names(expr: A.Expr | None, index: A.Index | None = None) -> set[str]:
    out = A.names_in(expr) if expr is not None else set()
    if index is not None:
        for b in index.binders:
            out |= A.names_in(b.set)
        if index.filter is not None:
            out |= A.names_in(index.filter)
    return out


def _used_names(decl: A.ModelDecl) -> set[str]:
    """Every name any expression of the model mentions."""
    used: set[str] = set()
    for s in decl.sets:
        used |= _names(s.value) | _names(s.within)
    for p in decl.parameters:
        used |= _names(p.value, p.index) | _names(p.default)
    for v in decl.variables:
        used |= _names(v.lower, v.index) | _names(v.upper) | _names(v.init)
    for o in decl.objectives:
        used |= _names(o.expr)
    for c in decl.constraints:
        used |= _names(c.expr, c.index)
    return used

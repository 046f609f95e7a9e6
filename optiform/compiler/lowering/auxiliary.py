"""The columns and rows that lowerings add, and the lowered problem they make.

Auxiliary blocks are named `owner#what` (`#` is no part of a model name), so
they can never meet a user's name; files written from the lowered problem
show them as `owner_what`. Every auxiliary column gets the tightest bounds its
lowering knows, so that a later big-M over it stays finite. Each block records
its `Origin`, the declaration it works for, and `user_row` / `user_column` read
a row or column of the lowered problem back in the user's terms (a conflict is
reported in them: internal names never reach the user).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optiform.compiler.classify import classify
from optiform.compiler.evaluate import Evaluator, Scope
from optiform.compiler.ir import (
    SEMI_DOMAINS,
    ConstraintBlock,
    Frame,
    Objective,
    Origin,
    Problem,
    Terms,
    VariableBlock,
    labelled,
)
from optiform.diagnostics import Diagnostic, Span
from optiform.dsl import ast as A

BIG_M_WARNING = 1e6
_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0)


@dataclass(frozen=True)
class Owner:
    """The declaration a lowering works for: its name, source line and row keys, for
    auxiliary names and for errors that point back at the construct."""

    name: str
    span: Span | None
    keys: np.ndarray  # one key row per row of the declaration
    frame: Frame  # the declaration's own frame: rows over another one have no key here


def linear(n: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
           const: np.ndarray | None = None) -> Terms:
    return Terms(n, np.zeros(n) if const is None else const, rows.astype(np.int64),
                 cols.astype(np.int64), vals.astype(float), _EMPTY_I, _EMPTY_I, _EMPTY_I,
                 _EMPTY_F)


def stack(parts: list[Terms]) -> Terms:
    """The rows of several linear `Terms` one block after another."""
    offsets = np.cumsum([0] + [t.n for t in parts])
    return linear(int(offsets[-1]),
                  np.concatenate([t.lin_row + o for t, o in zip(parts, offsets, strict=False)]),
                  np.concatenate([t.lin_col for t in parts]),
                  np.concatenate([t.lin_val for t in parts]),
                  np.concatenate([t.const for t in parts]))


def negated(t: Terms) -> Terms:
    return linear(t.n, t.lin_row, t.lin_col, -t.lin_val, -t.const)


def columns_terms(cols: np.ndarray) -> Terms:
    """One column per row, coefficient 1."""
    n = len(cols)
    return Terms(n, np.zeros(n), np.arange(n), cols.astype(np.int64), np.ones(n), _EMPTY_I,
                 _EMPTY_I, _EMPTY_I, _EMPTY_F, one_per_row=True)


class Auxiliaries:
    """Columns after the user's `n_user`, and rows after the user's, as blocks."""

    def __init__(self, user: list[VariableBlock]) -> None:
        self.user = user
        self.n_user = sum(v.size for v in user)
        self.columns: list[VariableBlock] = []
        self.rows: list[ConstraintBlock] = []
        # A semi-continuous column also takes 0, outside [lower, upper]: its interval for
        # a big-M is [min(0, l), max(0, u)] (MOI's get_bounds)
        self._lower = [np.minimum(v.lower, 0.0) if v.domain in SEMI_DOMAINS else v.lower
                       for v in user]
        self._upper = [np.maximum(v.upper, 0.0) if v.domain in SEMI_DOMAINS else v.upper
                       for v in user]
        self.warnings: list[Diagnostic] = []

    @property
    def n_columns(self) -> int:
        return self.n_user + sum(v.size for v in self.columns)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of every column so far, the auxiliaries included."""
        return (np.concatenate(self._lower) if self._lower else np.zeros(0),
                np.concatenate(self._upper) if self._upper else np.zeros(0))

    def add_columns(self, owner: Owner, what: str, lower: np.ndarray, upper: np.ndarray,
                    domain: str = "continuous") -> np.ndarray:
        n = len(lower)
        offset = self.n_columns
        name = f"{owner.name}#{what}{len(self.columns) + 1}"
        keys = np.arange(n, dtype=np.int64)[:, None]
        self.columns.append(VariableBlock(name, keys, offset, domain, lower.astype(float),
                                          upper.astype(float), None,
                                          A.VarDecl(name, span=owner.span),
                                          origin=Origin(owner.name, keyed=False)))
        self._lower.append(lower.astype(float))
        self._upper.append(upper.astype(float))
        return offset + np.arange(n, dtype=np.int64)

    def add_rows(self, owner: Owner, what: str, terms: Terms, lower: np.ndarray,
                 upper: np.ndarray) -> None:
        """Rows lower <= terms <= upper; the terms' constants move into the bounds."""
        n = terms.n
        name = f"{owner.name}#{what}{len(self.rows) + 1}"
        body = replace(terms, const=np.zeros(n), one_per_row=False)
        decl = A.ConstraintDecl(name, None, A.Number(0), span=owner.span)
        # one row per row of the declaration keeps its keys, so that an IIS or a file
        # names `on#imply_upper1[north]`; other rows are numbered (a block of several
        # rows needs distinct keys: Pyomo indexes its rows by them)
        same = len(owner.keys) == n and (owner.keys.shape[1] > 0 or n == 1)
        keys = owner.keys if same else np.arange(n, dtype=np.int64)[:, None]
        self.rows.append(ConstraintBlock(name, keys, body, lower - terms.const,
                                         upper - terms.const, decl, Frame(n),
                                         Origin(owner.name, keyed=same)))

    def check_big_m(self, owner: Owner, big_m: np.ndarray, what: str,
                    span: Span | None) -> None:
        """A warning where a big-M is so large that the solver's tolerance on a binary
        (about 1e-6 in HiGHS) times M could move the row visibly (HiGHS#3034)."""
        largest = float(np.max(np.abs(big_m), initial=0.0))
        if largest > BIG_M_WARNING:
            self.warnings.append(Diagnostic(
                f"the big-M of {what} in `{owner.name}` is {largest:.3g}, from the bounds "
                f"of its variables: a binary within tolerance can move the row by about "
                f"{largest * 1e-6:.3g}", span,
                "tighten the bounds of the variables it uses", kind="data",
                severity="warning"))

    def mark(self) -> tuple[int, int]:
        return len(self.columns), len(self.rows)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Forget what was added since `mark` (a block that stays nonlinear anyway)."""
        del self.columns[mark[0]:]
        del self._lower[len(self.user) + mark[0]:]
        del self._upper[len(self.user) + mark[0]:]
        del self.rows[mark[1]:]


@dataclass(frozen=True)
class UserPart:
    """A row or column of the lowered problem as the user knows it."""

    label: str  # `gap[north]`; the declaration alone when the row has no key of its own
    declaration: str  # the constraint, objective or variable it belongs to
    auxiliary: bool  # added by a lowering


def user_row(problem: Problem, r: int) -> UserPart:
    """Row `r` of `problem` (lowered or not) as the user's row or declaration."""
    for c in problem.constraints:
        if r < c.size:
            return _part(problem, c.name, c.origin, c.keys[r])
        r -= c.size
    raise IndexError(f"row {r} past the model's rows")


def user_column(problem: Problem, j: int) -> UserPart:
    """Column `j` as the user's variable, or the declaration an auxiliary one serves."""
    for v in problem.variables:
        if v.offset <= j < v.offset + v.size:
            return _part(problem, v.name, v.origin, v.keys[j - v.offset])
    raise IndexError(f"column {j} past the model's columns")


def _part(problem: Problem, name: str, origin: Origin | None, key: np.ndarray) -> UserPart:
    if origin is None:
        return UserPart(labelled(name, problem.universe.format_key(key)), name, False)
    label = labelled(origin.name, problem.universe.format_key(key)) if origin.keyed \
        else origin.name
    return UserPart(label, origin.name, True)


def restored_objectives(problem: Problem, values: np.ndarray,
                        reported: dict[str, float]) -> dict[str, float]:
    """Objective values at the user's point: an objective that reads auxiliary columns is
    evaluated again as written (as cvxpy's `invert` re-evaluates its atoms), since an
    epigraph column may sit a tolerance above the function it bounds."""
    lowered = problem.lowered
    if lowered is None:
        return dict(reported)
    n = problem.n_vars
    scope = Scope(problem.universe, problem.sets, problem.params,
                  {v.name: v for v in problem.variables}, np.asarray(values[:n], dtype=float),
                  declared={*problem.sets, *problem.params, *(v.name for v in problem.variables)})
    out = dict(reported)
    for o in lowered.objectives:
        if o.name in out and np.any(o.terms.lin_col >= n):
            out[o.name] = float(Evaluator(scope).num(o.decl.expr, Frame.scalar())[0])
    return out


def lowered_problem(problem: Problem, aux: Auxiliaries, constraints: list[ConstraintBlock],
                    objectives: list[Objective]) -> Problem:
    """The problem exact backends receive: the user's columns and the auxiliaries, the
    user's blocks with their lowered terms, then the auxiliary rows."""
    variables = [*problem.variables, *aux.columns]
    rows = [*constraints, *aux.rows]
    problem_class, convex = classify(variables, objectives, rows)
    return replace(problem, variables=variables, constraints=rows, objectives=objectives,
                   problem_class=problem_class, convex=convex, lowered=None)

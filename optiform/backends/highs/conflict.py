"""The conflict of an infeasible model, found by HiGHS in seconds, in the user's terms.

First the LP relaxation (integrality dropped, objective zero) is given to
HiGHS's IIS search: when the relaxation is infeasible, that finds a small set
of rows and bounds at LP speed, where the IIS of a MILP could take longer than
the solve. When the relaxation is feasible the conflict involves integrality,
and an elastic copy of the model is solved instead: each row of the model gets
a nonnegative slack on each finite side at unit cost, and the rows whose slack
is positive at the optimum must give, by that much. The IIS rows get the same
elastic solve, so every row comes with its numbers.

HiGHS solves the lowered model, whose auxiliary rows and columns (`gap#abs1`)
the user never wrote: every row is read back as the user's row or declaration
(`lowering/auxiliary.user_row`), rows of one declaration are one member of the
conflict, and the bounds of auxiliary columns are never listed: they follow
from the bounds of the user's variables the construct reads, which are listed
instead. HiGHS's IIS need not be irreducible, and is irreducible in the
lowered rows at best, so a deletion filter over the members (one LP each,
within the same time bound) makes it irreducible as the user reads it; when
time runs out first the conflict says it is not proven irreducible. The
elastic numbers come from the user's own rows where they can: a construct's
rows stay hard unless nothing else can give.

The IIS search runs in a forked child (`forked.py`): highspy's getIis
crashes or loops on some inputs, and a child is killed at its deadline. The
elastic solve of a MIP runs here: in a child it would wait for ever on the
parent's worker threads. Rows past the model's own (bounds on objectives added
for fronts or lexicographic stages) stay hard and are never reported.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from optiform.backends.forked import CAN_FORK, ChildFailed, ChildTimeout, run_forked
from optiform.compiler.ir import SEMI_DOMAINS, Problem
from optiform.compiler.lowering.auxiliary import user_column, user_row
from optiform.conflict import Conflict, ConflictBound, ConflictRow
from optiform.dsl import ast as A
from optiform.dsl.printer import format_expr

SECONDS = 10.0  # for the whole search; getIis ignores time_limit, iis_time_limit is its own
_IIS_FROM_LP = 2  # HiGHS's iis_strategy: the IIS of the LP (here, the relaxation)
_INF = 1e30
_GIVE_TOL = 1e-7
_INFEASIBLE = {"Infeasible", "Primal infeasible or unbounded"}  # the objective is zero
_LOWER, _UPPER, _BOTH = 2, 3, 4  # HiGHS's col_bound_ codes of a bound in the IIS
_WRITTEN_CHARS = 160  # a construct as written, cut beyond this
_FEASIBLE = {"relaxation": "feasible"}  # the child's answer when there is no IIS to find


def find_conflict(h: Any, problem: Problem, time_limit: float | None) -> Conflict | None:
    """The conflict behind HiGHS's infeasible verdict on `h`, or None if none is found."""
    import highspy

    empty = _empty_integer_ranges(problem)
    if empty:
        return Conflict("bounds", (), empty)
    seconds = min(SECONDS, time_limit or SECONDS)
    deadline = time.monotonic() + seconds
    found = None
    relaxation_feasible = False  # known only when the child says so
    if CAN_FORK:  # without a child to take the IIS search's crashes, only the elastic solve
        try:
            found = run_forked(lambda: _relaxation_iis(highspy, h, problem, deadline),
                               seconds + 5.0)
            relaxation_feasible = found == _FEASIBLE
        except (ChildFailed, ChildTimeout):
            pass
    if found == _FEASIBLE:
        found = None
    if found is None:
        # In this process: a MIP solve in a forked child waits for ever on worker
        # threads that only the parent has.
        found = _elastic_all(h.getLp(), problem, max(deadline - time.monotonic(), 1.0))
    if not found:
        return None
    return _conflict(problem, h.getLp(), found, relaxation_feasible)


def _empty_integer_ranges(problem: Problem) -> tuple[ConflictBound, ...]:
    """Integer variables whose bounds hold no whole number (`k integer in [0.2, 0.8]`)."""
    out: list[ConflictBound] = []
    for v in problem.variables:
        if v.domain == "continuous" or v.origin is not None:
            continue
        empty = np.ceil(v.lower - 1e-9) > np.floor(v.upper + 1e-9)
        out.extend(ConflictBound(problem.column_name(v.offset + int(j)), float(v.lower[j]),
                                 float(v.upper[j])) for j in np.nonzero(empty)[0])
    return tuple(out)


# ---- members: the user's rows and declarations ------------------------------------


def _members(problem: Problem, rows: list[int]) -> list[dict[str, Any]]:
    """`rows` of the lowered problem grouped by the user's row or declaration they
    belong to, in order of first appearance (JSON, to come back from the child)."""
    members: dict[str, dict[str, Any]] = {}
    for r in rows:
        part = user_row(problem, r)
        m = members.setdefault(part.label, {"label": part.label,
                                            "declaration": part.declaration,
                                            "rows": [], "own": None, "construct": False})
        m["rows"].append(r)
        if part.auxiliary:
            m["construct"] = True
        else:
            m["own"] = r
    constructs = _blocks_reading_auxiliaries(problem)
    for m in members.values():  # a row that reads an auxiliary column is a construct too
        if m["own"] is not None and _locate(problem, m["own"])[0] in constructs:
            m["construct"] = True
    return list(members.values())


def _n_user_columns(problem: Problem) -> int:
    return sum(v.size for v in problem.variables if v.origin is None)


def _blocks_reading_auxiliaries(problem: Problem) -> set[int]:
    """The user's constraint blocks whose lowered terms read an auxiliary column
    (`gap: abs(x - y) >= 15` became `gap: t >= 15`)."""
    n_user = _n_user_columns(problem)
    return {i for i, c in enumerate(problem.constraints)
            if c.origin is None and any(bool(np.any(cols >= n_user)) for cols in (
                c.terms.lin_col, c.terms.quad_col1, c.terms.quad_col2))}


def _locate(problem: Problem, r: int) -> tuple[int, int]:
    """The constraint block of row `r` and the row's place in it."""
    for i, c in enumerate(problem.constraints):
        if r < c.size:
            return i, r
        r -= c.size
    raise IndexError(f"row {r} past the model's rows")


def _own_rows(problem: Problem) -> list[int]:
    """The rows of the user's constraints, not those a lowering added."""
    out: list[int] = []
    offset = 0
    for c in problem.constraints:
        if c.origin is None:
            out.extend(range(offset, offset + c.size))
        offset += c.size
    return out


class _Matrix:
    """The LP's matrix both ways: the columns of a row and the rows of a column."""

    def __init__(self, lp: Any) -> None:
        a = lp.a_matrix_
        start = np.asarray(a.start_, dtype=np.int64)
        index = np.asarray(a.index_, dtype=np.int64)
        outer = np.repeat(np.arange(len(start) - 1), np.diff(start))
        rowwise = a.format_ == a.format_.__class__.kRowwise
        rows, cols = (outer, index) if rowwise else (index, outer)
        self._by_row = _Adjacency(rows, cols, lp.num_row_)
        self._by_col = _Adjacency(cols, rows, lp.num_col_)

    def compiled(self, rows: list[int], n_user: int, n_rows: int) -> tuple[set[int], set[int]]:
        """The rows a construct was compiled to, from some of them: every row reached
        through the auxiliary columns they read; and the user's columns those rows read
        (the variables whose bounds the compiled rows, big-Ms included, came from)."""
        seen_rows, seen_aux = set(rows), set()
        todo = list(rows)
        user: set[int] = set()
        while todo:
            for j in self._by_row.of(todo.pop()):
                if j < n_user:
                    user.add(j)
                elif j not in seen_aux:
                    seen_aux.add(j)
                    fresh = [r for r in self._by_col.of(j) if r < n_rows and r not in seen_rows]
                    seen_rows.update(fresh)
                    todo.extend(fresh)
        return seen_rows, user


class _Adjacency:
    def __init__(self, keys: np.ndarray, values: np.ndarray, n: int) -> None:
        order = np.argsort(keys, kind="stable")
        self.values = values[order]
        self.start = np.searchsorted(keys[order], np.arange(n + 1))

    def of(self, k: int) -> list[int]:
        return self.values[self.start[k]:self.start[k + 1]].tolist()


# ---- the IIS, made irreducible in the user's terms --------------------------------


def _relaxation_iis(highspy: Any, h: Any, problem: Problem, deadline: float
                    ) -> dict[str, Any] | None:
    """The relaxation's conflict as members and bounds, irreducible where time allows,
    each row with its least change; `_FEASIBLE` if the relaxation is feasible, None if
    HiGHS found no IIS (in time)."""
    relaxed = _instance(highspy, _left(deadline))
    lp = _relaxation(h.getLp(), problem)
    relaxed.passModel(lp)
    relaxed.run()
    status = relaxed.modelStatusToString(relaxed.getModelStatus())
    if status == "Optimal":
        return _FEASIBLE  # getIis would search in vain (it can loop)
    if status not in _INFEASIBLE:
        return None
    relaxed.setOptionValue("iis_strategy", _IIS_FROM_LP)
    relaxed.setOptionValue("iis_time_limit", _left(deadline))
    _, iis = relaxed.getIis()
    n_rows = problem.n_rows
    rows = sorted(int(r) for r in iis.row_index_ if r < n_rows)
    if not iis.valid_ or not (rows or len(iis.col_index_)):
        return None
    n_user = _n_user_columns(problem)
    listed = sorted({int(c) for c, b in zip(iis.col_index_, iis.col_bound_, strict=True)
                     if int(b) in (_LOWER, _UPPER, _BOTH) and c < n_user})
    members = _members(problem, rows)
    search = _Filter(highspy, relaxed, lp, n_rows, n_user, deadline)
    members, irreducible = search.members(members)
    kept = [r for m in members for r in m["rows"]]
    constructs = [r for m in members if m["construct"] for r in m["rows"]]
    compiled, read = (_Matrix(lp).compiled(constructs, n_user, n_rows) if constructs
                      else (set(), set()))
    columns, bounded = search.bounds(listed, sorted(read))
    numbers = _numbers(lp, members, compiled, n_rows, _left(deadline))
    return {"method": "iis", "members": members, "columns": columns, **numbers,
            "proven": irreducible and bounded and numbers["proven"] and bool(kept or columns)}


def _relaxation(lp: Any, problem: Problem) -> Any:
    """`lp` with integrality dropped and no objective; a semi-continuous column also
    takes 0, so its relaxation is [min(0, l), max(0, u)]."""
    semi = [j for v in problem.variables if v.domain in SEMI_DOMAINS
            for j in range(v.offset, v.offset + v.size)]
    if semi:
        lower = np.asarray(lp.col_lower_, dtype=float)
        upper = np.asarray(lp.col_upper_, dtype=float)
        lower[semi] = np.minimum(lower[semi], 0.0)
        upper[semi] = np.maximum(upper[semi], 0.0)
        lp.col_lower_, lp.col_upper_ = lower, upper
    lp.integrality_ = []
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.offset_ = 0.0
    return lp


class _Filter:
    """Deletion filters on one loaded relaxation: a member or bound is dropped for good
    when the rest stay infeasible without it (Chinneck's deletion filter)."""

    def __init__(self, highspy: Any, h: Any, lp: Any, n_rows: int, n_user: int,
                 deadline: float) -> None:
        self.h, self.n_rows, self.n_user, self.deadline = h, n_rows, n_user, deadline
        self.row_lower = np.asarray(lp.row_lower_, dtype=float)
        self.row_upper = np.asarray(lp.row_upper_, dtype=float)
        self.col_lower = np.asarray(lp.col_lower_, dtype=float)
        self.col_upper = np.asarray(lp.col_upper_, dtype=float)
        self.inf = highspy.kHighsInf

    def members(self, members: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        """The members none of which can go, every bound of the model held; and whether
        that was proven (False when time ran out or a solve said neither)."""
        held = {r for m in members for r in m["rows"]}
        self._rows([r for r in range(self.n_rows) if r not in held], free=True)
        if self._infeasible() is not True:
            self._rows([r for r in range(self.n_rows) if r not in held], free=False)
            return members, False
        kept = list(members)
        for m in members:
            self._rows(m["rows"], free=True)
            verdict = self._infeasible()
            if verdict is True:
                kept.remove(m)
                continue
            self._rows(m["rows"], free=False)
            if verdict is None:
                return kept, False
        return kept, True

    def bounds(self, listed: list[int], read: list[int]) -> tuple[list[int], bool]:
        """The user's columns whose bounds the conflict needs: those a construct reads
        (its compiled rows were derived from them: they are never tried) and those of
        `listed` (HiGHS's) that cannot go; every other user column's bounds are dropped."""
        held = set(listed) | set(read)
        others = [j for j in range(self.n_user) if j not in held]
        self._columns(others, free=True)
        if self._infeasible() is not True:  # HiGHS's bounds are not the whole story
            self._columns(others, free=False)
            return sorted(held), False
        kept = set(held)
        for j in sorted(set(listed) - set(read)):
            self._columns([j], free=True)
            verdict = self._infeasible()
            if verdict is True:
                kept.discard(j)
                continue
            self._columns([j], free=False)
            if verdict is None:
                return sorted(kept), False
        return sorted(kept), True

    def _rows(self, rows: list[int], free: bool) -> None:
        self._bounds(rows, free, self.row_lower, self.row_upper, self.h.changeRowsBounds)

    def _columns(self, cols: list[int], free: bool) -> None:
        self._bounds(cols, free, self.col_lower, self.col_upper, self.h.changeColsBounds)

    def _bounds(self, which: list[int], free: bool, lower: np.ndarray, upper: np.ndarray,
                change: Any) -> None:
        """Free `which` (bounds -inf, inf) or give them back their own bounds."""
        if not which:
            return
        at = np.asarray(which, dtype=np.int32)
        if free:
            change(len(at), at, np.full(len(at), -self.inf), np.full(len(at), self.inf))
        else:
            change(len(at), at, lower[at], upper[at])

    def _infeasible(self) -> bool | None:
        """True infeasible, False feasible, None not known (out of time, or an error)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None
        # HiGHS's time_limit counts the instance's whole run time, getIis's included
        self.h.setOptionValue("time_limit", self.h.getRunTime() + left)
        self.h.run()
        status = self.h.modelStatusToString(self.h.getModelStatus())
        return True if status in _INFEASIBLE else False if status == "Optimal" else None


# ---- the numbers: the least change of each member ----------------------------------


def _numbers(lp: Any, members: list[dict[str, Any]], compiled: set[int], n_rows: int,
             seconds: float) -> dict[str, Any]:
    """Each member's least change, over the conflict alone (every other row dropped, the
    members' constructs whole): from its own row where the user's rows alone can give
    (the compiled rows held), else from any of its rows."""
    held = compiled | {r for m in members for r in m["rows"]}
    free = np.asarray([r for r in range(n_rows) if r not in held], dtype=np.int64)
    lower = np.asarray(lp.row_lower_, dtype=float)
    upper = np.asarray(lp.row_upper_, dtype=float)
    lower[free], upper[free] = -np.inf, np.inf
    lp.row_lower_, lp.row_upper_ = lower, upper
    own = [m["own"] for m in members if m["own"] is not None]
    found = _elastic(lp, own, seconds) if own else None
    if found is None:
        every = [r for m in members for r in m["rows"]]
        found = _elastic(lp, every, seconds) or {"give": [0.0] * len(every),
                                                 "side": [None] * len(every),
                                                 "proven": False}
        at = every
    else:
        at = own
    give = dict(zip(at, zip(found["give"], found["side"], strict=True), strict=True))
    return {"give": [give.get(m["own"], (0.0, None))[0] for m in members],
            "side": [give.get(m["own"], (0.0, None))[1] for m in members],
            "proven": found["proven"]}


def _elastic_all(lp: Any, problem: Problem, seconds: float) -> dict[str, Any] | None:
    """The members that must give: the user's own rows allowed to, a construct's compiled
    rows held; when that cannot make the model feasible, every row of the model."""
    deadline = time.monotonic() + seconds
    own = _own_rows(problem)
    found = _elastic(lp, own, seconds) if own else None
    rows = own
    if found is None:
        rows = list(range(problem.n_rows))
        found = _elastic(lp, rows, _left(deadline))
    if found is None:
        return None
    gave = [(r, g, side) for r, g, side in zip(rows, found["give"], found["side"],
                                               strict=True) if g > _GIVE_TOL]
    members = _members(problem, [r for r, _, _ in gave])
    by_row = {r: (g, side) for r, g, side in gave}
    return {"method": "elastic", "members": members, "columns": [],
            "give": [by_row.get(m["own"], (0.0, None))[0] for m in members],
            "side": [by_row.get(m["own"], (0.0, None))[1] for m in members],
            "proven": found["proven"]}


def _elastic(lp: Any, rows: list[int], seconds: float) -> dict[str, Any] | None:
    """Least total slack on `rows` (the others hard) that makes `lp` feasible.

    Returns each row's slack and the side it gives on, or None when even that
    has no solution (the bounds and integrality alone conflict) or none in time.
    """
    import highspy

    h = _instance(highspy, seconds)
    lp.col_cost_ = np.zeros(lp.num_col_)
    lp.offset_ = 0.0
    h.passModel(lp)
    lower = np.asarray(lp.row_lower_, dtype=float)[rows]
    upper = np.asarray(lp.row_upper_, dtype=float)[rows]
    at = np.asarray(rows, dtype=np.int32)
    # +s lifts a row up to its lower bound, -s brings it down to its upper bound.
    lo_rows, hi_rows = at[lower > -_INF], at[upper < _INF]
    index = np.concatenate([lo_rows, hi_rows]).astype(np.int32)
    value = np.concatenate([np.ones(len(lo_rows)), -np.ones(len(hi_rows))])
    k = len(index)
    if k:
        h.addCols(k, np.ones(k), np.zeros(k), np.full(k, np.inf), k,
                  np.arange(k, dtype=np.int32), index, value)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if info.primal_solution_status != 2:
        return None
    slack = np.asarray(h.getSolution().col_value, dtype=float)[lp.num_col_:]
    by_row: dict[int, tuple[float, str | None]] = {r: (0.0, None) for r in rows}
    for r, s, side in zip(index.tolist(), slack.tolist(),
                          ["lower"] * len(lo_rows) + ["upper"] * len(hi_rows), strict=True):
        if s > by_row[r][0]:
            by_row[r] = (s, side)
    return {"give": [by_row[r][0] for r in rows], "side": [by_row[r][1] for r in rows],
            "proven": status == "Optimal"}


def _instance(highspy: Any, seconds: float) -> Any:
    h = getattr(highspy, "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(seconds))
    return h


def _left(deadline: float) -> float:
    """Seconds to the deadline, at least a little: a search cut to nothing finds nothing."""
    return max(deadline - time.monotonic(), 0.1)


# ---- the conflict as the user reads it --------------------------------------------


def _conflict(problem: Problem, lp: Any, found: dict[str, Any],
              relaxation_feasible: bool) -> Conflict | None:
    members, columns = found["members"], found["columns"]
    if not members and not columns:
        return None
    lower = np.asarray(lp.row_lower_, dtype=float)
    upper = np.asarray(lp.row_upper_, dtype=float)
    out = []
    for m, give, side in zip(members, found["give"], found["side"], strict=True):
        own = m["own"]
        decl = _declaration(problem, m["declaration"])
        span = decl.span if decl is not None else None
        out.append(ConflictRow(
            m["label"], m["declaration"],
            _inf(lower[own]) if own is not None else -math.inf,
            _inf(upper[own]) if own is not None else math.inf,
            float(give) if give > _GIVE_TOL else 0.0, side if give > _GIVE_TOL else None,
            span.line if span is not None else None,
            _written(decl) if m["construct"] and decl is not None else None))
    col_lo = np.asarray(lp.col_lower_, dtype=float)
    col_hi = np.asarray(lp.col_upper_, dtype=float)
    bounds = tuple(ConflictBound(user_column(problem, j).label, _inf(col_lo[j]),
                                 _inf(col_hi[j])) for j in columns)
    return Conflict(found["method"], tuple(out), bounds, bool(found["proven"]),
                    relaxation_feasible)


def _declaration(problem: Problem, name: str
                 ) -> A.ConstraintDecl | A.ObjectiveDecl | A.VarDecl | None:
    """The user's declaration as written (before defined variables are substituted)."""
    model = problem.model
    decls: list[A.ConstraintDecl | A.ObjectiveDecl | A.VarDecl] = [
        *model.constraints, *model.objectives, *model.variables]
    return next((d for d in decls if d.name == name), None)


def _written(decl: A.ConstraintDecl | A.ObjectiveDecl | A.VarDecl) -> str:
    """The construct as the user wrote it: a constraint's comparison, an objective with
    its sense, a semi-continuous variable's domain and bounds."""
    if isinstance(decl, A.ObjectiveDecl):
        text = f"objective: {decl.sense} {format_expr(decl.expr)}"
    elif isinstance(decl, A.ConstraintDecl):
        text = format_expr(decl.expr)
    else:
        ends = [format_expr(e) if e is not None else "" for e in (decl.lower, decl.upper)]
        text = f"{decl.domain} in [{ends[0]}, {ends[1]}]"
    return text if len(text) <= _WRITTEN_CHARS else text[:_WRITTEN_CHARS - 4] + " ..."


def _inf(v: float) -> float:
    return v if abs(v) < _INF else math.copysign(math.inf, v)

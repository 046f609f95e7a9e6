"""The conflict of an infeasible model, found by HiGHS in seconds.

First the LP relaxation (integrality dropped, objective zero) is given to
HiGHS's IIS search: when the relaxation is infeasible, that finds an
irreducible set of rows and bounds at LP speed, where the IIS of a MILP
could take longer than the solve. When the relaxation is feasible the
conflict involves integrality, and an elastic copy of the model is solved
instead: each row of the model gets a nonnegative slack on each finite side
at unit cost, and the rows whose slack is positive at the optimum must give,
by that much. The IIS rows get the same elastic solve, over them alone, so
every row comes with its numbers.

The IIS search runs in a forked child (`forked.py`): highspy's getIis
crashes or loops on some inputs, and a child is killed at its deadline. The
elastic solve of a MIP runs here: in a child it would wait for ever on the
parent's worker threads. Rows past the model's own (bounds on objectives added for fronts or
lexicographic stages) stay hard and are never reported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optiform.backends.forked import CAN_FORK, ChildFailed, ChildTimeout, run_forked
from optiform.compiler.ir import Problem
from optiform.conflict import Conflict, ConflictBound, ConflictRow

SECONDS = 10.0  # for the whole search; getIis ignores time_limit, iis_time_limit is its own
_IIS_FROM_LP = 2  # HiGHS's iis_strategy: the IIS of the LP (here, the relaxation)
_INF = 1e30
_GIVE_TOL = 1e-7


def find_conflict(h: Any, problem: Problem, time_limit: float | None) -> Conflict | None:
    """The conflict behind HiGHS's infeasible verdict on `h`, or None if none is found."""
    import highspy

    empty = _empty_integer_ranges(problem)
    if empty:
        return Conflict("bounds", (), empty)
    seconds = min(SECONDS, time_limit or SECONDS)
    n_rows = problem.n_rows
    found = None
    relaxation_feasible = False  # known only when the child says so
    if CAN_FORK:  # without a child to take the IIS search's crashes, only the elastic solve
        try:
            found = run_forked(lambda: _relaxation_iis(highspy, h, n_rows, seconds),
                               seconds + 5.0)
            relaxation_feasible = found is None
        except (ChildFailed, ChildTimeout):
            pass
    if found is None:
        # In this process: a MIP solve in a forked child waits for ever on worker
        # threads that only the parent has.
        found = _elastic_all(h.getLp(), n_rows, seconds)
    if not found:
        return None
    return _conflict(problem, h.getLp(), found, relaxation_feasible)


def _empty_integer_ranges(problem: Problem) -> tuple[ConflictBound, ...]:
    """Integer variables whose bounds hold no whole number (`k integer in [0.2, 0.8]`)."""
    out: list[ConflictBound] = []
    for v in problem.variables:
        if v.domain == "continuous":
            continue
        empty = np.ceil(v.lower - 1e-9) > np.floor(v.upper + 1e-9)
        out.extend(ConflictBound(problem.column_name(v.offset + int(j)), float(v.lower[j]),
                                 float(v.upper[j])) for j in np.nonzero(empty)[0])
    return tuple(out)


def _elastic_all(lp: Any, n_rows: int, seconds: float) -> dict[str, Any] | None:
    """The rows that must give, each row of the model allowed to."""
    found = _elastic(lp, list(range(n_rows)), seconds)
    if found is None:
        return None
    keep = [i for i, g in enumerate(found["give"]) if g > _GIVE_TOL]
    return {"method": "elastic", "rows": keep, "cols": [],
            "give": [found["give"][i] for i in keep], "side": [found["side"][i] for i in keep],
            "proven": found["proven"]}


def _relaxation_iis(highspy: Any, h: Any, n_rows: int, seconds: float
                    ) -> dict[str, Any] | None:
    """The IIS of the LP relaxation, with each row's least change; None if it is feasible."""
    relaxed = _instance(highspy, seconds)
    lp_relaxed = h.getLp()
    lp_relaxed.integrality_ = []
    lp_relaxed.col_cost_ = np.zeros(lp_relaxed.num_col_)
    lp_relaxed.offset_ = 0.0
    relaxed.passModel(lp_relaxed)
    relaxed.run()
    if relaxed.modelStatusToString(relaxed.getModelStatus()) != "Infeasible":
        return None  # feasible: getIis would search in vain (it can loop)
    relaxed.setOptionValue("iis_strategy", _IIS_FROM_LP)
    relaxed.setOptionValue("iis_time_limit", seconds)
    _, iis = relaxed.getIis()
    rows = sorted(int(r) for r in iis.row_index_ if r < n_rows)
    if iis.valid_ and (rows or len(iis.col_index_)):
        found = _elastic(lp_relaxed, rows, seconds) or {"give": [0.0] * len(rows),
                                                         "side": [None] * len(rows),
                                                         "proven": False}
        # col_bound_: 2 the lower bound takes part, 3 the upper, 4 both; others do not
        cols = [[int(c), int(b)] for c, b in zip(iis.col_index_, iis.col_bound_, strict=True)
                if int(b) in (2, 3, 4)]
        return {"method": "iis", "rows": rows, "cols": sorted(cols), **found}
    return None


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


def _conflict(problem: Problem, lp: Any, found: dict[str, Any],
              relaxation_feasible: bool) -> Conflict | None:
    rows = found["rows"]
    if not rows and not found.get("cols"):
        return None
    lower = np.asarray(lp.row_lower_, dtype=float)
    upper = np.asarray(lp.row_upper_, dtype=float)
    blocks = _row_blocks(problem)
    out = []
    for r, give, side in zip(rows, found["give"], found["side"], strict=True):
        block = problem.constraints[int(blocks[r])]
        span = block.decl.span
        out.append(ConflictRow(problem.row_name(r), block.name, _inf(lower[r]), _inf(upper[r]),
                               float(give) if give > _GIVE_TOL else 0.0,
                               side if give > _GIVE_TOL else None,
                               span.line if span is not None else None))
    col_lo = np.asarray(lp.col_lower_, dtype=float)
    col_hi = np.asarray(lp.col_upper_, dtype=float)
    bounds = tuple(ConflictBound(problem.column_name(j),
                                 _inf(col_lo[j]) if side != 3 else -math.inf,
                                 _inf(col_hi[j]) if side != 2 else math.inf)
                   for j, side in found.get("cols", []))
    return Conflict(found["method"], tuple(out), bounds, bool(found["proven"]),
                    relaxation_feasible)


def _row_blocks(problem: Problem) -> np.ndarray:
    """The constraint block of each row, by position."""
    sizes = [c.size for c in problem.constraints]
    return np.repeat(np.arange(len(sizes)), sizes)


def _inf(v: float) -> float:
    return v if abs(v) < _INF else math.copysign(math.inf, v)

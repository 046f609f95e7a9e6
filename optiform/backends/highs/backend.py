"""HiGHS through highspy: LP, MILP and convex QP, passed as arrays in one call.

Rows of every constraint block are stacked into one CSR matrix (duplicate
entries summed, zeros dropped) and handed to `passModel`; a quadratic
objective goes to `passHessian` as its lower triangle. Everything is solved
as a minimisation (a maximisation is negated and its values and duals
turned back), so one code path serves both senses. Lexicographic objectives
re-solve the same HiGHS instance with a row that holds each earlier
objective near its optimum. The conflict of an infeasible model comes from
`conflict.py`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optiform.backends.base import BackendError, SolveOptions, narrowed, objective_stages
from optiform.backends.highs.conflict import find_conflict
from optiform.backends.highs.files import write_tidy
from optiform.backends.stop import Stop
from optiform.compiler.ir import Objective, Problem, ProblemClass, VariableBlock
from optiform.compiler.lowering.semicontinuous import semi_to_binary
from optiform.solution import ResultStatus, Solution, TerminationStatus

_INF = 1e30  # HiGHS's infinity; numpy's inf is accepted too, but be explicit
# highspy's HighsVarType by domain: semi-continuous and semi-integer columns go natively
_INTEGRALITY = {"continuous": 0, "integer": 1, "binary": 1, "semicontinuous": 2,
                "semiinteger": 3}
# HiGHS caps a semi-variable's upper bound at 1e5 (kMaxSemiVariableUpper), and fails
# when the cap is active: such columns go as a binary and two rows instead.
_SEMI_UPPER = 1e5


@dataclass
class _Combined:
    """One objective in minimisation form: cost vector, Hessian triplets, constant."""

    cost: np.ndarray
    q_rows: np.ndarray
    q_cols: np.ndarray
    q_vals: np.ndarray
    constant: float


def _combine(problem: Problem, weights: dict[str, float]) -> _Combined:
    n = problem.n_vars
    cost = np.zeros(n)
    q_r, q_c, q_v = [], [], []
    constant = 0.0
    for name, w in weights.items():
        o = problem.objective(name)
        sign = w * (1.0 if o.sense == "minimize" else -1.0)
        t = o.terms
        cost += sign * np.bincount(t.lin_col, weights=t.lin_val, minlength=n)
        constant += sign * float(t.const[0])
        # x'Qx/2 with Q symmetric: q*xi*xj contributes q to Q[i,j] and Q[j,i].
        lo, hi = np.maximum(t.quad_col1, t.quad_col2), np.minimum(t.quad_col1, t.quad_col2)
        diag = lo == hi
        q_r.append(lo)
        q_c.append(hi)
        q_v.append(sign * np.where(diag, 2.0, 1.0) * t.quad_val)
    return _Combined(cost, _cat(q_r, np.int64), _cat(q_c, np.int64), _cat(q_v, float), constant)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)


def _csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int,
         n_cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise compressed arrays with duplicates summed and zeros dropped."""
    key = rows.astype(np.int64) * max(n_cols, 1) + cols
    if len(key) > 1 and not bool(np.all(key[1:] > key[:-1])):
        # Blocks arrive as runs already in order, which a stable (Timsort) sort merges in
        # close to linear time; np.unique would sort from scratch. Strictly increasing
        # keys (the compiler's usual output) are already sorted without duplicates.
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        if np.any(key[1:] == key[:-1]):
            first = np.concatenate([[True], key[1:] != key[:-1]])
            starts = np.nonzero(first)[0]
            key, vals = key[starts], np.add.reduceat(vals, starts)
        rows, cols = key // max(n_cols, 1), key % max(n_cols, 1)
    keep = vals != 0
    if not bool(keep.all()):
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    start = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    return start.astype(np.int32), cols.astype(np.int32, copy=False), vals


class HighsBackend:
    name = "highs"
    capabilities = frozenset({"linear", "integer", "quadratic", "duals", "proves-optimality",
                              "multi-objective", "iis", "lowered"})
    needs: tuple[str, ...] = ()

    def is_available(self) -> bool:
        try:
            import highspy  # noqa: F401
        except ImportError:
            return False
        return True

    def load(self, problem: Problem, options: SolveOptions) -> Any:
        """A HiGHS instance holding the model and its first objective, not yet run.

        This is the hand-off, on its own so that benchmarks can time it.
        """
        import highspy

        # The wrapper class prints a banner to stdout on first use, which would corrupt
        # `--json` output; the core class is the same solver without it.
        h = getattr(highspy, "_Highs", highspy.Highs)()
        h.setOptionValue("output_flag", bool(options.verbose))
        if (left := options.remaining()) is not None:
            h.setOptionValue("time_limit", left)
        if options.mip_gap is not None:
            h.setOptionValue("mip_rel_gap", float(options.mip_gap))
        first = _combine(problem, objective_stages(problem, options)[0])
        self._pass_model(h, highspy, problem, first)
        self._pass_hessian(h, highspy, problem, first)
        for name, bound in options.objective_bounds.items():
            self._bound_objective(h, problem, name, bound)
        return h

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        wide = semi_to_binary(problem, _beyond_semi_cap)
        if wide is not problem:
            return narrowed(self.solve(wide, options), problem.n_vars)
        import highspy

        started = time.perf_counter()
        h = self.load(problem, options)
        stages = objective_stages(problem, options)
        objective_values: dict[str, float] = {}
        combined = _combine(problem, {})
        status = TerminationStatus.OPTIMAL
        for i, weights in enumerate(stages):
            combined = _combine(problem, weights)
            if i:
                self._set_objective(h, highspy, problem, combined)
                if (left := options.remaining()) is not None:  # one limit for every stage
                    h.setOptionValue("time_limit", left)
            status = self._run(h, highspy, problem, options.deadline)
            if status is not TerminationStatus.OPTIMAL or i == len(stages) - 1:
                break
            self._hold(h, highspy, problem, next(iter(weights)), options)
        info = h.getInfo()
        # An unbounded or infeasible run may leave a point behind; it answers nothing.
        has_point = info.primal_solution_status == 2 and status not in (
            TerminationStatus.UNBOUNDED, TerminationStatus.INFEASIBLE,
            TerminationStatus.INFEASIBLE_OR_UNBOUNDED)
        sol = h.getSolution()
        values = np.asarray(sol.col_value, dtype=float) if has_point else None
        duals = reduced = None
        if values is not None:
            objective_values = {o.name: _evaluate_terms(o, values) for o in problem.objectives}
            if problem.problem_class is ProblemClass.LP and sol.dual_valid and len(stages) == 1:
                sign = self._dual_sign(problem, stages[0])
                row_dual = sign * np.asarray(sol.row_dual)[:problem.n_rows]
                duals, offset = {}, 0
                for c in problem.constraints:
                    duals[c.name] = row_dual[offset:offset + c.size]
                    offset += c.size
                reduced = sign * np.asarray(sol.col_dual)
        stats = {"seconds": time.perf_counter() - started,
                 "simplex_iterations": int(info.simplex_iteration_count),
                 "mip_gap": float(info.mip_gap) if problem.problem_class.integer else None,
                 "stages": len(stages)}
        message = ""
        conflict = None
        if status is TerminationStatus.INFEASIBLE:
            conflict = find_conflict(h, problem, options.time_limit)
            message = conflict.summary() if conflict is not None else ""
        elif status is TerminationStatus.INTERRUPTED:
            message = ("interrupted: the best solution found so far" if has_point
                       else "interrupted before a solution was found")
        elif status is TerminationStatus.TIME_LIMIT:
            message = ("the time limit stopped HiGHS: the best solution found so far"
                       if has_point else "the time limit stopped HiGHS before it found a "
                       "solution")
        elif status is TerminationStatus.UNBOUNDED:
            message = self._ray(h, problem) or _improving_columns(problem, combined)
        elif status is TerminationStatus.ERROR:  # never an empty note
            message = f"HiGHS stopped: {h.modelStatusToString(h.getModelStatus())}"
        return Solution(status, ResultStatus.FEASIBLE_POINT if has_point
                        else ResultStatus.NO_SOLUTION, objective_values, values, self.name,
                        duals, reduced, stats, message, conflict=conflict)

    def write(self, problem: Problem, path: str | Path) -> None:
        """The model as .lp or .mps (HiGHS picks by extension), first objective, names kept."""
        import highspy

        if problem.problem_class in (ProblemClass.NLP, ProblemClass.MINLP):
            raise BackendError(f"this model is {problem.problem_class.value}: .lp and .mps "
                               "files hold linear and quadratic models only; write .nl")
        problem = semi_to_binary(problem, _beyond_semi_cap)
        h = getattr(highspy, "_Highs", highspy.Highs)()
        h.setOptionValue("output_flag", False)
        self._pass_model(h, highspy, problem, _combine(problem, {}))
        first = problem.objectives[0] if problem.objectives else None
        maximize = first is not None and first.sense == "maximize"
        # Weight -1 undoes the negation of a maximisation: the file keeps the model's sense.
        weights = {first.name: -1.0 if maximize else 1.0} if first else {}
        self._set_objective(h, highspy, problem, _combine(problem, weights))
        if maximize:
            h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for j in range(problem.n_vars):
            h.passColName(j, _file_name(problem.column_name(j)))
        for r in range(problem.n_rows):
            h.passRowName(r, _file_name(problem.row_name(r)))

        def write(to: Path) -> None:
            if h.writeModel(str(to)) != highspy.HighsStatus.kOk:
                raise BackendError(f"HiGHS could not write {path}")

        write_tidy(Path(path), _file_name(problem.name), write)

    # ---- model -------------------------------------------------------------------
    def _pass_model(self, h: object, highspy: object, problem: Problem,
                    objective: _Combined) -> None:
        hs = highspy
        n = problem.n_vars
        lower = np.concatenate([v.lower for v in problem.variables]) if n else np.zeros(0)
        upper = np.concatenate([v.upper for v in problem.variables]) if n else np.zeros(0)
        rows, cols, vals, r_lo, r_hi = [], [], [], [], []
        offset = 0
        for c in problem.constraints:
            rows.append(c.terms.lin_row + offset)
            cols.append(c.terms.lin_col)
            vals.append(c.terms.lin_val)
            r_lo.append(c.lower)
            r_hi.append(c.upper)
            offset += c.size
        m = offset
        cat = _cat
        start, index, value = _csr(cat(rows, np.int64), cat(cols, np.int64), cat(vals, float),
                                   m, n)
        integrality = np.zeros(n, dtype=np.int32)  # HiGHS reads n entries, even for an LP
        if problem.problem_class.integer:
            integrality = np.concatenate([np.full(v.size, _INTEGRALITY[v.domain],
                                                  dtype=np.int32) for v in problem.variables])
        # The array form of passModel: one copy per array, no per-element conversion.
        h.passModel(  # type: ignore[attr-defined]
            n, m, len(value), int(hs.MatrixFormat.kRowwise), 1,  # type: ignore
            objective.constant, objective.cost,
            np.clip(lower, -_INF, _INF), np.clip(upper, -_INF, _INF),
            np.clip(cat(r_lo, float), -_INF, _INF), np.clip(cat(r_hi, float), -_INF, _INF),
            start, index, value, integrality)

    def _set_objective(self, h: object, highspy: object, problem: Problem,
                       c: _Combined) -> None:
        n = problem.n_vars
        h.changeColsCost(n, np.arange(n, dtype=np.int32), c.cost)  # type: ignore[attr-defined]
        h.changeObjectiveOffset(c.constant)  # type: ignore[attr-defined]
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)  # type: ignore[attr-defined]
        self._pass_hessian(h, highspy, problem, c)

    def _pass_hessian(self, h: object, highspy: object, problem: Problem,
                      c: _Combined) -> None:
        n = problem.n_vars
        if len(c.q_vals) or problem.problem_class in (ProblemClass.QP, ProblemClass.MIQP):
            # Lower triangle, column-wise: the transpose of a row-wise lower triangle.
            start, index, value = _csr(c.q_cols, c.q_rows, c.q_vals, n, n)
            hessian = highspy.HighsHessian()  # type: ignore[attr-defined]
            hessian.dim_ = n
            hessian.format_ = highspy.HessianFormat.kTriangular  # type: ignore[attr-defined]
            hessian.start_ = start
            hessian.index_ = index
            hessian.value_ = value
            h.passHessian(hessian)  # type: ignore[attr-defined]

    def _run(self, h: object, highspy: object, problem: Problem,
             deadline: float | None) -> TerminationStatus:
        with _Interruptible(h, highspy, deadline) as watch:
            h.run()  # type: ignore[attr-defined]
        status = watch.status(h)
        if status is TerminationStatus.INFEASIBLE_OR_UNBOUNDED:
            # Presolve cannot tell the two apart; the simplex without it can.
            h.setOptionValue("presolve", "off")  # type: ignore[attr-defined]
            h.clearSolver()  # type: ignore[attr-defined]
            with _Interruptible(h, highspy, deadline) as watch:
                h.run()  # type: ignore[attr-defined]
            status = watch.status(h)
        return status

    def _hold(self, h: object, highspy: object, problem: Problem, name: str,
              options: SolveOptions) -> None:
        """Add a row keeping an earlier objective within tolerance of its optimum."""
        o = problem.objective(name)
        value = _evaluate_terms(o, np.asarray(h.getSolution().col_value))  # type: ignore
        slack = options.lexicographic_tolerance * max(1.0, abs(value))
        self._bound_objective(h, problem, name,
                              value + slack if o.sense == "minimize" else value - slack)

    def _bound_objective(self, h: object, problem: Problem, name: str, bound: float) -> None:
        """A row keeping a linear objective at `bound` or better."""
        o = problem.objective(name)
        if o.terms.quadratic or o.terms.nonlinear:
            raise ValueError(f"objective `{name}` is not linear, so it cannot be bounded "
                             "by a row")
        coef = np.bincount(o.terms.lin_col, weights=o.terms.lin_val, minlength=problem.n_vars)
        nz = np.nonzero(coef)[0]
        limit = bound - float(o.terms.const[0])
        lo, hi = (-_INF, limit) if o.sense == "minimize" else (limit, _INF)
        h.addRow(lo, hi, len(nz), nz.astype(np.int32), coef[nz])  # type: ignore[attr-defined]

    @staticmethod
    def _dual_sign(problem: Problem, weights: dict[str, float]) -> float:
        if not weights:
            return 1.0
        return 1.0 if problem.objective(next(iter(weights))).sense == "minimize" else -1.0

    def _ray(self, h: object, problem: Problem) -> str:
        """The variables along which the objective improves without limit."""
        try:
            _, has_ray, ray = h.getPrimalRay()  # type: ignore[attr-defined]
        except Exception:  # like the IIS, a courtesy
            return ""
        if not has_ray:
            return ""
        moving = np.nonzero(np.abs(np.asarray(ray)) > 1e-9)[0]
        names = [problem.column_name(int(j)) for j in moving[:20]]
        return "these variables can grow without limit: " + ", ".join(names) if names else ""


def _improving_columns(problem: Problem, c: _Combined) -> str:
    """Without a ray: the variables whose cost improves in a direction they have no bound."""
    lower = np.concatenate([v.lower for v in problem.variables])
    upper = np.concatenate([v.upper for v in problem.variables])
    free = ((c.cost < 0) & np.isposinf(upper)) | ((c.cost > 0) & np.isneginf(lower))
    names = [problem.column_name(int(j)) for j in np.nonzero(free)[0][:20]]
    if not names:
        return ""
    return "the objective improves without limit along: " + ", ".join(names)


def _beyond_semi_cap(v: VariableBlock) -> bool:
    return bool(v.size) and float(v.upper.max()) > _SEMI_UPPER


def _file_name(label: str) -> str:
    """`ship[north, 3]` as `ship(north,3)`: the characters LP and MPS readers accept."""
    text = label.replace("[", "(").replace("]", ")").replace(" ", "")
    return re.sub(r"[^A-Za-z0-9_(),.]", "_", text)


def _evaluate_terms(o: Objective, x: np.ndarray) -> float:
    t = o.terms
    return float(t.const[0] + np.dot(t.lin_val, x[t.lin_col])
                 + np.dot(t.quad_val, x[t.quad_col1] * x[t.quad_col2]))


_STATUS = {
    "Optimal": TerminationStatus.OPTIMAL,
    "Infeasible": TerminationStatus.INFEASIBLE,
    "Unbounded": TerminationStatus.UNBOUNDED,
    "Primal infeasible or unbounded": TerminationStatus.INFEASIBLE_OR_UNBOUNDED,
    "Time limit reached": TerminationStatus.TIME_LIMIT,
    "Iteration limit reached": TerminationStatus.ITERATION_LIMIT,
    "Interrupted by user": TerminationStatus.INTERRUPTED,
}


class _Interruptible(Stop):
    """Ctrl-C, SIGTERM or the deadline ask HiGHS to stop at its next check (its
    interrupt callbacks) and keep its best point."""

    def __init__(self, h: Any, highspy: Any, deadline: float | None = None) -> None:
        super().__init__(deadline)
        self.h, self.highspy = h, highspy

    def __enter__(self) -> _Interruptible:
        kinds = self.highspy.cb.HighsCallbackType
        self.h.setCallback(self._callback, None)
        for kind in (kinds.kCallbackSimplexInterrupt, kinds.kCallbackIpmInterrupt,
                     kinds.kCallbackMipInterrupt):
            self.h.startCallback(kind)
        super().__enter__()
        return self

    def _callback(self, kind: int, message: str, out: Any, into: Any, data: Any) -> None:
        if self.requested():
            into.user_interrupt = True

    def status(self, h: Any) -> TerminationStatus:
        """How the run ended; a stop by the watchdog is the time limit."""
        status = _STATUS.get(h.modelStatusToString(h.getModelStatus()),
                             TerminationStatus.ERROR)
        return self.termination(status) if status is TerminationStatus.INTERRUPTED else status

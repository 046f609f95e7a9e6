"""Pyomo: every model optiform can express, to every solver Pyomo drives.

The problem is built as a Pyomo ConcreteModel (`model.build`) and
solved through Pyomo's SolverFactory with the solver the user named, or the
best installed one for the problem's class (`solvers.best_for`). A local
solver's optimum of a nonconvex model is reported as locally_solved, never
optimal. Objectives are combined by weight, or solved in lexicographic
stages that hold each earlier objective near its optimum with a row (any
expression, nonlinear ones included). Pyomo is imported lazily.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from optiform.backends.base import (
    CLASS_NEEDS,
    BackendError,
    SolveOptions,
    narrowed,
    objective_stages,
)
from optiform.backends.forked import CAN_FORK, ChildFailed, ChildTimeout, Watched
from optiform.backends.pyomo import solvers as S
from optiform.backends.pyomo.model import PyomoModel, UnsupportedExpression, build
from optiform.compiler.evaluate import EvalError
from optiform.compiler.ir import Problem, ProblemClass
from optiform.compiler.lowering.semicontinuous import semi_to_binary
from optiform.diagnostics import DiagnosticError
from optiform.extras import MissingExtra, install_line
from optiform.solution import ResultStatus, Solution, TerminationStatus

# "lowered": it solves the lowered model (compiler/lowering), auxiliary columns and all.
_ALWAYS = frozenset({"multi-objective", "lowered"})
_LEAST_SECONDS = 0.01  # a solver given no time at all may read 0 as "no limit"
# How long a stopped solve has to answer with its point before it is killed: a share
# of the time limit, so that it returns within the limit plus 10%, and 10 s at most.
_GRACE, _GRACE_SHARE, _LEAST_GRACE = 10.0, 0.08, 0.2


def solver_capabilities(info: S.SolverInfo,
                        interface: S.Interface | None = None) -> frozenset[str]:
    caps = set(_ALWAYS)
    classes = interface.classes if interface and interface.classes else info.classes
    for cls in classes:
        caps |= CLASS_NEEDS[cls]
    if info.duals:
        caps.add("duals")
    if info.global_optimal:
        caps.add("proves-optimality")
    if info.nonconvex_qp:
        caps.add("nonconvex-quadratic")
    return frozenset(caps)


class PyomoBackend:
    """Pyomo with one named solver, or with the best installed one for each problem."""

    needs: tuple[str, ...] = ("pyomo",)

    def __init__(self, solver: str | None = None) -> None:
        self.solver = solver

    @property
    def name(self) -> str:
        return f"pyomo/{self.solver}" if self.solver else "pyomo"

    @property
    def info(self) -> S.SolverInfo | None:
        if self.solver is None:
            return None
        return S.BY_NAME.get(self.solver) or S.BY_INTERFACE.get(self.solver)

    @property
    def capabilities(self) -> frozenset[str]:
        if self.solver is None:
            return frozenset().union(*(solver_capabilities(i) for i in S.installed()))
        info = self.info
        if info is None:  # a Pyomo solver outside the catalogue: the user knows what it takes
            return frozenset().union(*CLASS_NEEDS.values(), _ALWAYS,
                                     {"nonconvex-quadratic"})
        interface = next((i for i in info.interfaces if i.pyomo_name == self.solver), None)
        return solver_capabilities(info, interface)

    def is_available(self) -> bool:
        if not S.pyomo_installed():
            return False
        if self.solver is None:
            return bool(S.installed())
        return self._interface() is not None

    def missing(self) -> str:
        """Why this backend cannot run here, and how to make it run."""
        if not S.pyomo_installed():
            return f"Pyomo is not installed: {install_line('pyomo')}"
        info = self.info
        if self.solver is None:
            return ("no solver that Pyomo can drive is installed: "
                    "pip install 'optiform[pyomo]' brings SCIP (pyscipopt)")
        if info is None:
            return (f"Pyomo has no available solver `{self.solver}`; `optiform solvers` "
                    "lists the installed ones")
        return f"solver `{self.solver}` ({info.label}) is not installed here: {info.install}"

    def _interface(self) -> str | None:
        """The Pyomo SolverFactory name to use for the named solver."""
        assert self.solver is not None
        info = self.info
        if info is None:
            available = S.interface_available(S.Interface(self.solver))
            return self.solver if available else None
        if self.solver in S.BY_INTERFACE and self.solver not in S.BY_NAME:
            wanted = next(i for i in info.interfaces if i.pyomo_name == self.solver)
            return self.solver if S.interface_available(wanted) else None
        found = S.installed_interface(info)
        return found.pyomo_name if found else None

    def pick(self, problem: Problem) -> tuple[str, str, S.SolverInfo | None]:
        """(label for `backend`, Pyomo interface, catalogue entry) for this problem."""
        if self.solver is not None:
            interface = self._interface()
            if interface is None:
                raise BackendError(self.missing())
            return f"pyomo/{self.solver}", interface, self.info
        info = S.best_for(problem.problem_class, problem.convex)
        found = S.installed_interface(info) if info else None
        if info is None or found is None:
            raise BackendError(self.missing())
        return f"pyomo/{info.name}", found.pyomo_name, info

    # ---- solve ---------------------------------------------------------------------
    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        wide = semi_to_binary(problem)  # Pyomo's solvers get a binary and two rows
        if wide is not problem:
            return narrowed(self.solve(wide, options), problem.n_vars)
        label, interface, info = self.pick(problem)
        started = time.perf_counter()
        built = _build(problem, scip=interface in ("scip_direct", "scip_persistent"))
        build_seconds = time.perf_counter() - started
        stats: dict[str, Any] = {"build_seconds": build_seconds, "interface": interface}
        bad_rows = built.impossible_rows(problem)
        if bad_rows:
            return Solution(TerminationStatus.INFEASIBLE, ResultStatus.NO_SOLUTION, {}, None,
                            label, stats=stats, message="these constraints cannot hold at any "
                            "point (no variables, or bounds that cross): "
                            + ", ".join(bad_rows[:20]))
        run = _Run(problem, built, label, interface, info, options, stats, started)
        # Only there: a child forked after HiGHS started its threads would wait on them.
        if CAN_FORK and interface in S.HOLD_GIL:
            return _watched(run, options)
        return run.go()

    def write(self, problem: Problem, path: str | Path) -> None:
        """The model in AMPL's .nl format (with .row and .col files naming rows and columns)."""
        if not S.pyomo_installed():
            raise MissingExtra("pyomo", "writing .nl files")
        problem = semi_to_binary(problem)
        built = _build(problem)
        import pyomo.environ as pyo

        m = built.model
        first = next(iter(built.objectives.values()), None)
        sense = problem.objectives[0].sense if problem.objectives else "minimize"
        m.add_component(_free_name(m, "objective"), pyo.Objective(
            expr=first if first is not None else 0.0,
            sense=pyo.maximize if sense == "maximize" else pyo.minimize))
        m.write(str(path), format="nl", io_options={"symbolic_solver_labels": True})


def _watched(run: _Run, options: SolveOptions) -> Solution:
    """The solve in a forked child (`forked.Watched`) that Ctrl-C, SIGTERM and the
    deadline stop with SIGINT, which SCIP answers with its best point."""
    limit = options.time_limit
    watch = Watched(options.deadline, _GRACE if limit is None
                    else min(_GRACE, _GRACE_SHARE * limit + _LEAST_GRACE))
    try:
        found = _from_json(watch.run(lambda: _to_json(run.go())))
    except (ChildFailed, ChildTimeout) as exc:
        if not watch.why:
            raise BackendError(f"{run.label} failed: {str(exc).splitlines()[0]}") from None
        found = Solution(TerminationStatus.ERROR, ResultStatus.NO_SOLUTION, {}, None,
                         run.label, stats=run.stats)
    if watch.why:
        stopped = (TerminationStatus.INTERRUPTED if watch.why == "interrupted"
                   else TerminationStatus.TIME_LIMIT)
        found.termination = stopped
        found.message = (("interrupted" if watch.why == "interrupted" else "the time "
                          "limit stopped the solver") + (": the best point found so far"
                                                         if found.has_point else
                                                         " before it found a point"))
    return found


def _to_json(s: Solution) -> dict[str, Any]:
    return {"termination": s.termination.value, "primal": s.primal_status.value,
            "objectives": s.objective_values,
            "values": None if s.values is None else s.values.tolist(),
            "backend": s.backend, "stats": s.stats, "message": s.message,
            "duals": None if s.duals is None else {k: v.tolist() for k, v in s.duals.items()}}


def _from_json(d: dict[str, Any]) -> Solution:
    return Solution(TerminationStatus(d["termination"]), ResultStatus(d["primal"]),
                    d["objectives"], None if d["values"] is None else np.array(d["values"]),
                    d["backend"], None if d["duals"] is None else
                    {k: np.array(v) for k, v in d["duals"].items()},
                    stats=d["stats"], message=d["message"])


def _build(problem: Problem, scip: bool = False) -> PyomoModel:
    """The Pyomo model, with what stops it told as the compiler tells its errors."""
    try:
        return build(problem, scip=scip)
    except UnsupportedExpression as exc:
        raise BackendError(str(exc)) from None
    except EvalError as exc:  # e.g. a key outside its set inside a nonlinear function
        raise DiagnosticError([exc.diagnostic],
                              {problem.model.file: problem.model.source}) from None


def _free_name(m: Any, name: str) -> str:
    while hasattr(m, name):
        name += "_"
    return name


class _Run:
    """One solve: objective stages, the solver call, and the answer read back."""

    def __init__(self, problem: Problem, built: PyomoModel, label: str, interface: str,
                 info: S.SolverInfo | None, options: SolveOptions, stats: dict[str, Any],
                 started: float) -> None:
        import pyomo.environ as pyo

        self.pyo = pyo
        self.problem, self.built, self.label = problem, built, label
        self.interface, self.info, self.options = interface, info, options
        self.stats, self.started = stats, started
        self.objective_name = _free_name(built.model, "objective")

    def go(self) -> Solution:
        pyo, m, problem = self.pyo, self.built.model, self.problem
        stages = objective_stages(problem, self.options)
        want_duals = (problem.problem_class is ProblemClass.LP and len(stages) == 1
                      and self.info is not None and self.info.duals)
        # Pyomo fills the suffix of this exact name; a model using the name keeps it.
        want_duals &= not hasattr(m, "dual")
        if want_duals:
            m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        for name, bound in self.options.objective_bounds.items():
            self._bound(name, bound, "bound")
        status, has_point, message = TerminationStatus.OPTIMAL, True, ""
        for i, weights in enumerate(stages):
            self._set_objective(weights)
            status, has_point, message = self._run()
            if status not in (TerminationStatus.OPTIMAL, TerminationStatus.LOCALLY_SOLVED) \
                    or i == len(stages) - 1:
                break
            self._hold(next(iter(weights)), i)
        values = self._values() if has_point else None
        objective_values: dict[str, float] = {}
        duals = None
        if values is not None:
            # An objective undefined at the point (`log(x)` where another put x = 0), or
            # too large for a number there, is left out here; the checker evaluates
            # every objective itself.
            objective_values = {name: float(v) for name, e in self.built.objectives.items()
                                if (v := _value_at(pyo, e)) is not None}
            if want_duals:
                duals = self._duals(stages[0])
        self.stats.update(seconds=time.perf_counter() - self.started, stages=len(stages),
                          solver=self.info.label if self.info else self.interface)
        return Solution(status, ResultStatus.FEASIBLE_POINT if has_point
                        else ResultStatus.NO_SOLUTION, objective_values, values, self.label,
                        duals, None, self.stats, message)

    def _set_objective(self, weights: dict[str, float]) -> None:
        pyo, m = self.pyo, self.built.model
        terms = []
        for name, w in weights.items():
            sign = 1.0 if self.problem.objective(name).sense == "minimize" else -1.0
            terms.append(w * sign * self.built.objectives[name])
        expr = pyo.quicksum(terms, start=0) if terms else 0.0
        if self.objective_name in m.component_map():
            m.component(self.objective_name).set_value(expr)
        else:
            m.add_component(self.objective_name, pyo.Objective(expr=expr, sense=pyo.minimize))

    def _run(self) -> tuple[TerminationStatus, bool, str]:
        pyo, opts = self.pyo, self.options
        opt = pyo.SolverFactory(self.interface)
        if opts.mip_gap is not None and self.info is not None and self.info.gap_option:
            opt.options[self.info.gap_option] = opts.mip_gap
        if not opts.verbose and self.info is not None:
            opt.options.update(dict(self.info.quiet))
        kwargs: dict[str, Any] = {"load_solutions": False, "tee": opts.verbose}
        if (left := opts.remaining()) is not None:  # what is left of one limit for all stages
            kwargs["timelimit"] = max(left, _LEAST_SECONDS)
        try:
            results = opt.solve(self.built.model, **kwargs)
        except Exception as exc:  # the solver's own failure, told as it told it
            name = self.info.label if self.info else self.interface
            text = str(exc).strip().splitlines()
            return TerminationStatus.ERROR, False, f"{name} failed: " + (
                text[0] if text else type(exc).__name__)
        condition = str(results.solver.termination_condition.value)
        status = _STATUS.get(condition, TerminationStatus.ERROR)
        if status is TerminationStatus.OPTIMAL and self._local():
            status = TerminationStatus.LOCALLY_SOLVED
        has_point = False
        if status not in (TerminationStatus.INFEASIBLE, TerminationStatus.UNBOUNDED,
                          TerminationStatus.INFEASIBLE_OR_UNBOUNDED) and len(results.solution):
            try:
                # Pyomo logs a warning to stdout when a stopped solve (time limit, Ctrl-C)
                # leaves a point; the status says so already, and --json needs stdout.
                with _quiet_pyomo():
                    self.built.model.solutions.load_from(results)
                has_point = True
            except ValueError:  # Pyomo refuses a solution whose status is an error
                has_point = False
        return status, has_point, self._message(status, condition)

    def _local(self) -> bool:
        """A local solver's optimum is only known to be global for convex models."""
        if self.info is None or not self.info.local:
            return False
        cls = self.problem.problem_class
        return cls in (ProblemClass.NLP, ProblemClass.MINLP) or self.problem.convex is False

    def _message(self, status: TerminationStatus, condition: str) -> str:
        name = self.info.label if self.info else self.interface
        if status is TerminationStatus.INFEASIBLE:
            return f"{name} reports that no point satisfies every constraint"
        if status is TerminationStatus.UNBOUNDED:
            return f"{name} reports that the objective improves without limit"
        if status is TerminationStatus.LOCALLY_SOLVED:
            return (f"{name} finds local optima: another point may be better "
                    "(a global solver such as SCIP proves optimality)")
        if status is TerminationStatus.ERROR:
            return f"{name} stopped: {condition}"
        return ""

    def _hold(self, name: str, stage: int) -> None:
        """A row keeping an earlier objective within tolerance of the value it reached."""
        value = float(self.pyo.value(self.built.objectives[name]))
        slack = self.options.lexicographic_tolerance * max(1.0, abs(value))
        minimize = self.problem.objective(name).sense == "minimize"
        self._bound(name, value + slack if minimize else value - slack, f"hold_{stage}")

    def _bound(self, name: str, bound: float, kind: str) -> None:
        """A row holding an objective at `bound` or better, in its own direction."""
        pyo, m = self.pyo, self.built.model
        expr = self.built.objectives[name]
        row = expr <= bound if self.problem.objective(name).sense == "minimize" \
            else expr >= bound
        m.add_component(_free_name(m, f"{kind}_{name}"), pyo.Constraint(expr=row))

    def _values(self) -> np.ndarray:
        """Column values; a variable no row or objective mentions takes a value in bounds."""
        out = np.array([math.nan if v.value is None else v.value for v in self.built.columns],
                       dtype=float)
        unset = np.nonzero(np.isnan(out))[0]
        if len(unset):
            lower = np.concatenate([v.lower for v in self.problem.variables])
            upper = np.concatenate([v.upper for v in self.problem.variables])
            out[unset] = np.clip(0.0, np.ceil(lower[unset]), np.floor(upper[unset]))
            for j in unset:
                self.built.columns[j].set_value(float(out[j]), skip_validation=True)
        return out

    def _duals(self, weights: dict[str, float]) -> dict[str, np.ndarray] | None:
        """Row duals as the change of the model's own objective per unit of bound.

        (Reduced costs are left out: Pyomo's legacy interface drops them unless it
        loads the solution itself, which it refuses for a model without one.)
        """
        dual = self.built.model.dual
        if not len(dual):
            return None
        # Pyomo's are those of the minimisation solved; a maximisation's are their negation.
        first = next(iter(weights), None)
        sign = -1.0 if first and self.problem.objective(first).sense == "maximize" else 1.0
        duals = {}
        for c in self.problem.constraints:
            rows = self.built.constraints[c.name]
            duals[c.name] = sign * np.array([0.0 if row is None else dual.get(row, 0.0)
                                             for row in rows], dtype=float)
        return duals


# Pyomo's (legacy) termination conditions, by value.
_STATUS = {
    "optimal": TerminationStatus.OPTIMAL,
    "globallyOptimal": TerminationStatus.OPTIMAL,
    "locallyOptimal": TerminationStatus.LOCALLY_SOLVED,
    "feasible": TerminationStatus.ITERATION_LIMIT,
    "infeasible": TerminationStatus.INFEASIBLE,
    "invalidProblem": TerminationStatus.ERROR,
    "unbounded": TerminationStatus.UNBOUNDED,
    "infeasibleOrUnbounded": TerminationStatus.INFEASIBLE_OR_UNBOUNDED,
    "maxTimeLimit": TerminationStatus.TIME_LIMIT,
    "maxIterations": TerminationStatus.ITERATION_LIMIT,
    "maxEvaluations": TerminationStatus.ITERATION_LIMIT,
    "userInterrupt": TerminationStatus.INTERRUPTED,
    "resourceInterrupt": TerminationStatus.INTERRUPTED,  # SCIP after Ctrl-C
}


@contextmanager
def _quiet_pyomo() -> Iterator[None]:
    logger = logging.getLogger("pyomo.core")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _value_at(pyo: Any, e: Any) -> float | None:
    """An expression's value at the solver's point, or None where it has none: Pyomo
    answers None for a domain error but lets `math`'s OverflowError through."""
    try:
        return pyo.value(e, exception=False)
    except OverflowError:
        return None

"""The backends, in one registry in order of preference.

`choose` picks the first available backend that can take a problem's class;
when none can, the error says which kind of backend would.
"""

from __future__ import annotations

from optiform.backends.base import Backend, SolveOptions, can_solve
from optiform.backends.highs import HighsBackend
from optiform.compiler.ir import Problem

REGISTRY: dict[str, Backend] = {"highs": HighsBackend()}


class BackendError(Exception):
    """No backend can take this problem, or the named one is unknown or missing."""


def choose(problem: Problem, name: str = "auto") -> Backend:
    if name != "auto":
        backend = REGISTRY.get(name)
        if backend is None:
            raise BackendError(f"unknown backend `{name}`; available: "
                               + ", ".join(REGISTRY))
        if not backend.is_available():
            raise BackendError(f"backend `{name}` is not installed here")
        if not can_solve(backend, problem):
            raise BackendError(_cannot(backend.name, problem))
        return backend
    for backend in REGISTRY.values():
        if backend.is_available() and can_solve(backend, problem):
            return backend
    raise BackendError(_cannot("highs", problem))


def _cannot(name: str, problem: Problem) -> str:
    cls = problem.problem_class.value
    if problem.problem_class.value in ("NLP", "MINLP"):
        return (f"this model is {cls}: it has nonlinear expressions in its variables "
                f"(or quadratic constraints), which `{name}` cannot solve; it needs a "
                "nonlinear solver such as SCIP or Ipopt (through Pyomo) or a gradient "
                "method (torch), which this installation does not provide yet")
    if problem.problem_class.value == "MIQP":
        return (f"this model is MIQP: a quadratic objective with integer variables, which "
                f"`{name}` cannot solve (HiGHS solves LP, MILP and convex QP); it needs a "
                "solver such as SCIP, Gurobi or CPLEX through Pyomo, which this installation "
                "does not provide yet; relaxing the integer variables makes it a QP")
    return f"backend `{name}` cannot solve {cls} problems"


__all__ = ["REGISTRY", "Backend", "BackendError", "SolveOptions", "choose"]

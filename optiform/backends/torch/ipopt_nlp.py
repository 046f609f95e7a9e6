"""Ipopt through cyipopt, fed exact derivatives of the torch-compiled problem.

The same `Program` the torch backend minimises gives Ipopt its functions;
reverse-mode automatic differentiation gives the gradient, the constraint
Jacobian (its structure from the compiler's dependency pattern) and the
Hessian of the Lagrangian. The Hessian is reverse-over-reverse, by plain
autograd over a batch of copies of the point (one copy per row): in torch
2.13 forward-over-reverse gets the second derivative of
`scatter_reduce(prod)` wrong, torch.func's vmap imports torch._dynamo
(seconds) on first use, and this path is checked against finite
differences in the tests. Derivatives are evaluated densely, so models
beyond DENSE_HESSIAN_LIMIT variables fall back to Ipopt's limited-memory
Hessian approximation. Imports torch and cyipopt.
"""

from __future__ import annotations

import time
from typing import Any

import cyipopt
import numpy as np
import torch

from optiform.backends.base import SolveOptions
from optiform.backends.stop import Stop
from optiform.backends.torch.compile import Program, compile_problem
from optiform.compiler.ir import Problem
from optiform.solution import ResultStatus, Solution, TerminationStatus

DENSE_HESSIAN_LIMIT = 500
DEFAULT_ITERATIONS = 3000
_INF = 2e19  # Ipopt reads bounds beyond 1e19 as infinite
_USER_STOP = 5  # Ipopt's User_Requested_Stop: `intermediate` returned False

# Ipopt's ApplicationReturnStatus -> (termination, note)
_STATUS: dict[int, tuple[TerminationStatus, str]] = {
    0: (TerminationStatus.LOCALLY_SOLVED, ""),
    1: (TerminationStatus.LOCALLY_SOLVED, "solved to Ipopt's acceptable level"),
    2: (TerminationStatus.ERROR, "Ipopt converged to a point of local infeasibility; this "
                                 "is not a proof that the model is infeasible: try other "
                                 "`init` values or --backend torch --starts 64"),
    3: (TerminationStatus.ERROR, "Ipopt's search direction became too small"),
    4: (TerminationStatus.UNBOUNDED, "Ipopt found the iterates diverging"),
    -1: (TerminationStatus.ITERATION_LIMIT, "Ipopt reached its iteration limit"),
    5: (TerminationStatus.INTERRUPTED, "interrupted: the last iterate"),
    -4: (TerminationStatus.TIME_LIMIT, "Ipopt reached its time limit"),
    -5: (TerminationStatus.TIME_LIMIT, "Ipopt reached its time limit"),
}


class _Callbacks:
    """The cyipopt problem interface over a compiled program, one point at a time."""

    def __init__(self, program: Program, weights: dict[str, float],
                 stop: Stop | None = None) -> None:
        self.program = program
        self.stop = stop or Stop()
        self.last = time.monotonic()
        self.longest = 0.0
        self.f = program.objective(weights)
        self.jac_rows, self.jac_cols = program.pattern()
        n = program.n_vars
        self.dense_hessian = n <= DENSE_HESSIAN_LIMIT
        self.hess_rows, self.hess_cols = np.tril_indices(n)

    def _t(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x, dtype=self.program.dtype, device=self.program.device)

    def _f1(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x[None])[0]

    def _c1(self, x: torch.Tensor) -> torch.Tensor:
        return self.program.body(x[None])[0]

    def objective(self, x: np.ndarray) -> float:
        with torch.no_grad():
            return float(self._f1(self._t(x)))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        z = self._t(x).requires_grad_(True)
        with torch.enable_grad():
            return _grad(self._f1(z), z).cpu().numpy()

    def constraints(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._c1(self._t(x)).cpu().numpy()

    def jacobianstructure(self) -> tuple[np.ndarray, np.ndarray]:
        return self.jac_rows, self.jac_cols

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        m = len(self.program.bounds()[0])
        z = _copies(self._t(x), m)
        with torch.enable_grad():
            # Row k of the batch is row k's own copy of x: one backward pass gives each
            # row's gradient in its own copy, the whole Jacobian without vmap.
            dense = _grad(self.program.body(z).diagonal().sum(), z)
        return dense.cpu().numpy()[self.jac_rows, self.jac_cols]

    def intermediate(self, *progress: Any) -> bool:
        """After each iteration: go on unless a signal came or the next iteration, as
        long as the longest so far, would end past the deadline (Ipopt reads its own
        max_wall_time only after an iteration, however long; their lengths vary
        tenfold with the line search and the Hessian's cost)."""
        now = time.monotonic()
        self.longest = max(self.longest, now - self.last)
        self.last = now
        return not self.stop.requested(ahead=self.longest)

    def hessianstructure(self) -> tuple[np.ndarray, np.ndarray]:
        return self.hess_rows, self.hess_cols

    def hessian(self, x: np.ndarray, lagrange: np.ndarray, obj_factor: float) -> np.ndarray:
        lam = self._t(lagrange)
        z = _copies(self._t(x), len(x))
        with torch.enable_grad():
            value = obj_factor * self.f(z)
            if lam.numel():
                value = value + (self.program.body(z) * lam).sum(dim=1)
            # Copy j's gradient, differentiated in its j-th entry: row j of the Hessian.
            first = _grad(value.sum(), z, create_graph=True)
            dense = _grad(first.diagonal().sum(), z)
        return dense.cpu().numpy()[self.hess_rows, self.hess_cols]


def _copies(x: torch.Tensor, count: int) -> torch.Tensor:
    """`count` copies of x as one batch that autograd follows: (count, n)."""
    return x.expand(count, -1).clone().requires_grad_(True)


def _grad(y: torch.Tensor, x: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """dy/dx by reverse mode, zero where y does not depend on x (a constant part).

    Plain autograd, not torch.func: jacrev's vmap imports torch._dynamo on first use,
    which cost Ipopt 2-7 s before its first iteration on four-variable problems.
    """
    if not y.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(y, x, create_graph=create_graph, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def solve(problem: Problem, options: SolveOptions, name: str = "ipopt") -> Solution:
    started = time.perf_counter()
    program = compile_problem(problem, torch.device("cpu"))
    weights = _weights(problem, options)
    stop = Stop(options.started().deadline)
    callbacks = _Callbacks(program, weights, stop)
    lower = np.concatenate([v.lower for v in problem.variables])
    upper = np.concatenate([v.upper for v in problem.variables])
    cl, cu = program.bounds()
    nlp = cyipopt.Problem(n=problem.n_vars, m=len(cl), problem_obj=callbacks,
                          lb=np.clip(lower, -_INF, _INF), ub=np.clip(upper, -_INF, _INF),
                          cl=np.clip(cl, -_INF, _INF), cu=np.clip(cu, -_INF, _INF))
    _options(nlp, options, callbacks.dense_hessian)
    x0 = np.zeros(problem.n_vars)
    for v in problem.variables:
        if v.init is not None:
            x0[v.offset:v.offset + v.size] = v.init
    callbacks.last = time.monotonic()
    with stop:
        x, info = nlp.solve(np.clip(x0, lower, upper))
    term, note = _STATUS.get(int(info["status"]), (TerminationStatus.ERROR,
                                                   str(info["status_msg"])))
    if int(info["status"]) == _USER_STOP:
        term = stop.termination(term)
        note = ("interrupted: the last iterate" if term is TerminationStatus.INTERRUPTED
                else "the time limit stopped Ipopt: the last iterate")
    has_point = bool(np.all(np.isfinite(x))) and term is not TerminationStatus.UNBOUNDED
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=program.dtype)[None]
        values = {o: float(e.fn(xt)[0, 0]) for o, e in program.objectives.items()}
    stats: dict[str, Any] = {"seconds": time.perf_counter() - started,
                             "ipopt_status": int(info["status"]),
                             "exact_hessian": callbacks.dense_hessian}
    message = note or "locally solved by Ipopt (a local method: no proof of optimality)"
    return Solution(term, ResultStatus.FEASIBLE_POINT if has_point else ResultStatus.NO_SOLUTION,
                    values if has_point else {}, x if has_point else None, name,
                    stats=stats, message=message)


def _weights(problem: Problem, options: SolveOptions) -> dict[str, float]:
    if options.weights:
        return dict(options.weights)
    if not problem.objectives:
        return {}
    return {problem.objectives[0].name: 1.0}


def _options(nlp: Any, options: SolveOptions, exact_hessian: bool) -> None:
    nlp.add_option("sb", "yes")  # no banner: it would corrupt --json on stdout
    nlp.add_option("print_level", 5 if options.verbose else 0)
    nlp.add_option("max_iter", int(options.iterations or DEFAULT_ITERATIONS))
    if options.tolerance is not None:
        nlp.add_option("constr_viol_tol", float(options.tolerance))
    if (left := options.remaining()) is not None:  # what compilation left of the limit
        nlp.add_option("max_wall_time", max(left, 1e-3))
    if not exact_hessian:
        nlp.add_option("hessian_approximation", "limited-memory")

"""Ipopt through cyipopt (`pip install cyipopt-wheels`, which bundles Ipopt 3.14).

A local interior-point solver for smooth models, given exact derivatives by
torch (`ipopt_nlp.py`); the fast local NLP solver for users without Pyomo's
Ipopt, and the reference the torch backend is measured against. Like every
local method it reports locally_solved, never optimal. Continuous models
only: Ipopt has no integer variables. Its modules import torch and cyipopt,
so they load only when a solve starts.
"""

from __future__ import annotations

from optiform.backends.base import BackendError, SolveOptions
from optiform.compiler.ir import Problem
from optiform.extras import absent
from optiform.solution import Solution


class IpoptBackend:
    name = "ipopt"
    capabilities = frozenset({"linear", "quadratic", "nonconvex-quadratic", "nonlinear"})
    needs: tuple[str, ...] = ("cyipopt", "torch")

    def is_available(self) -> bool:
        return absent(self.needs) is None

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        from optiform.backends.torch.compile import CompileError
        from optiform.backends.torch.ipopt_nlp import solve

        if options.lexicographic or options.objective_bounds:
            raise BackendError("ipopt: lexicographic objectives and Pareto fronts are not "
                               "supported; use --weights, or --backend torch")
        try:
            return solve(problem, options, self.name)
        except CompileError as exc:
            raise BackendError(f"ipopt: {exc}") from exc

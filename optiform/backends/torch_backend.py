"""The torch backend: smooth models, nonconvex ones included, by batched multi-start.

A heuristic in the design's sense: it never reports OPTIMAL, and whether a
point is feasible is the checker's word. The work is in `torch_solver.py`,
imported only when a solve starts, because importing torch takes seconds and
every other command must stay quick.
"""

from __future__ import annotations

import importlib.util

from optiform.backends.base import BackendError, SolveOptions
from optiform.compiler.ir import Problem
from optiform.solution import Solution


class TorchBackend:
    name = "torch"
    # "heuristic": a local method that proves nothing; `auto` takes it last and says so.
    capabilities = frozenset({"linear", "quadratic", "nonconvex-quadratic", "nonlinear",
                              "integer", "integer-quadratic", "multi-objective", "gpu",
                              "heuristic"})

    def is_available(self) -> bool:
        return importlib.util.find_spec("torch") is not None

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        from optiform.backends.torch_compile import CompileError
        from optiform.backends.torch_solver import solve

        try:
            return solve(problem, options, self.name)
        except CompileError as exc:
            raise BackendError(f"torch: {exc}") from exc

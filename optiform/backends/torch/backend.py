"""The torch backend: smooth models, nonconvex ones included, by batched multi-start.

A heuristic in the design's sense: it never reports OPTIMAL, and whether a
point is feasible is the checker's word. The work is in `solver.py`,
imported only when a solve starts, because importing torch takes seconds and
every other command must stay quick.
"""

from __future__ import annotations

from optiform.backends.base import BackendError, SolveOptions
from optiform.compiler.ir import Problem, ProblemClass
from optiform.extras import absent
from optiform.solution import Solution


class TorchBackend:
    name = "torch"
    # "heuristic": a local method that proves nothing; `auto` takes it last and says so.
    capabilities = frozenset({"linear", "quadratic", "nonconvex-quadratic", "nonlinear",
                              "integer", "integer-quadratic", "multi-objective", "gpu",
                              "heuristic"})
    needs: tuple[str, ...] = ("torch",)
    # Classes it could take but turns down for a backend that does far better.
    refuses: frozenset[ProblemClass] = frozenset({ProblemClass.MILP})

    def is_available(self) -> bool:
        return absent(self.needs) is None

    def solve(self, problem: Problem, options: SolveOptions) -> Solution:
        if problem.problem_class in self.refuses:
            # Rounding a relaxation of a MILP took a minute on the README's 23-variable
            # model and ended infeasible; HiGHS, always installed, proves the optimum.
            raise BackendError(
                "this model is MILP, which torch does not take: it would only round and "
                "repair a continuous relaxation, slowly and with no guarantee, while HiGHS "
                "solves it to proven optimality: use --backend highs (auto picks it)")
        from optiform.backends.torch.compile import CompileError

        try:
            return self.run(problem, options)
        except CompileError as exc:  # a function the compiled model cannot take
            raise BackendError(f"{self.name}: {exc}") from exc

    def run(self, problem: Problem, options: SolveOptions) -> Solution:
        """The solve itself, on the model's torch compilation; the GFlowNet sampler,
        which shares that compilation, has its own."""
        from optiform.backends.torch.solver import solve

        return solve(problem, options, self.name)

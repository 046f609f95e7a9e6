"""The GFlowNet backend: many good, different solutions of discrete models.

An exact solver returns one optimum; a GFlowNet learns to sample solutions
with probability proportional to a reward, so it gives a planner many good
distinct plans (`--samples N`), the trade-off between several objectives
(`--pareto K`), and answers for discrete models whose objectives no MILP
solver accepts. It takes models whose variables are all binary or bounded
integers (`env.py` says which it refuses and why), trains by
trajectory balance or, with `--training op`, by the order of the points it finds
(`train.py`), and returns the best distinct
points found, best first. A sampler proves nothing: the status is never
optimal, and every point is checked by `optiform.verify` before a user sees
it (in `api.py`). `auto` never picks it. Imports torch only when it solves.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from optiform.backends.base import BackendError, SolveOptions, objective_stages
from optiform.backends.torch.backend import TorchBackend
from optiform.compiler.ir import Problem, ProblemClass
from optiform.solution import ResultStatus, Solution, TerminationStatus

if TYPE_CHECKING:  # torch loads only when a solve starts
    from optiform.backends.gflownet.env import Env

DEFAULT_ITERATIONS = 200
DEFAULT_TEMPERATURE = 0.02
# trajectory balance on exp(-score / T), or order-preserving (the order of each batch)
TRAININGS = ("tb", "op")
DEFAULT_TRAINING = "tb"
FINAL_SAMPLES = 512  # fresh samples drawn from the trained policy at the end
# The neighbourhoods of the best points found, scored at the end, in evaluations as a share
# of those before: on the benchmark's max-cut it more than doubled the distinct cuts within
# 5% of the optimum, and reached the optimum where a closing annealing had not.
EXPAND_SHARE = 0.2
CLOSING_SHARE = 0.1  # of the time limit, kept from training for the closing steps


class GFlowNetBackend(TorchBackend):
    """Torch's availability and compile errors, with a sampler for the solve."""

    name = "gflownet"
    # "sampler": returns several points and proves nothing; `auto` never takes it.
    capabilities = frozenset({"linear", "quadratic", "nonconvex-quadratic", "nonlinear",
                              "integer", "integer-quadratic", "multi-objective", "gpu",
                              "heuristic", "sampler", "discrete-only"})
    refuses: frozenset[ProblemClass] = frozenset()  # discrete models are what it is for

    def run(self, problem: Problem, options: SolveOptions) -> Solution:
        return _solve(problem, options, self.name)


def _columns(problem: Problem, options: SolveOptions) -> list[dict[str, float]]:
    """The objectives the reward is built on: one weighted sum, or each for a front."""
    if options.front:
        names = list(options.front_objectives) or [o.name for o in problem.objectives]
        return [{name: 1.0} for name in names]
    if options.lexicographic:
        raise BackendError("gflownet takes one objective or --weights; a lexicographic "
                           "order needs an exact solver (--backend highs)")
    return objective_stages(problem, options)


def _training(options: SolveOptions) -> str:
    training = options.training or DEFAULT_TRAINING
    if training not in TRAININGS:
        raise BackendError(f"gflownet: unknown training {training!r}; use "
                           + " or ".join(TRAININGS))
    return training


def _solve(problem: Problem, options: SolveOptions, name: str) -> Solution:
    import torch

    from optiform.backends.gflownet.env import Env
    from optiform.backends.gflownet.train import Settings, Trainer
    from optiform.backends.progress import ProgressLine

    started = time.monotonic()
    device = torch.device(options.device or "cpu")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BackendError("--device cuda: torch finds no CUDA device here")
    columns = _columns(problem, options)
    finish = options.started().deadline
    # Training leaves a tenth of the limit to the closing sampling, expansion and polish.
    deadline = (finish - CLOSING_SHARE * options.time_limit
                if finish is not None and options.time_limit is not None else None)
    iterations = options.iterations or DEFAULT_ITERATIONS
    settings = Settings(iterations=iterations, seed=options.seed, deadline=deadline,
                        finish=finish,
                        temperature=options.temperature or DEFAULT_TEMPERATURE,
                        training=_training(options))
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks: one thread is fastest on a busy machine
    interrupted = False
    try:
        with ProgressLine() as progress:
            env = Env(problem, columns, device)
            trainer = Trainer(env, settings, progress.show if progress else None)
            try:
                trainer.fit()
                if not trainer.late():
                    trainer.sample(FINAL_SAMPLES)
                trainer.expand(int(EXPAND_SHARE * env.evaluations))
                trainer.polish()
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the archive holds what was found
                interrupted = True
    finally:
        torch.set_num_threads(previous)
    choices, objectives = trainer.archive.feasible()
    stats: dict[str, Any] = {
        "seconds": time.monotonic() - started, "iterations": trainer.iterations,
        "evaluations": env.evaluations, "distinct_points": len(trainer.archive),
        "distinct_feasible": len(choices), "temperature": settings.temperature,
        "training": settings.training,
        "final_loss": trainer.losses[-1] if trainer.losses else None,
        "device": str(device), "seed": options.seed}
    values_of = env.values.cpu().numpy()

    def point(c: np.ndarray) -> np.ndarray:
        return values_of[np.arange(env.n), c.astype(np.int64)]

    if not len(choices):
        worst = trainer.archive.least_violated()
        why = ("before it was interrupted" if interrupted else "within the time limit"
               if trainer.stopped else f"in {trainer.iterations} iterations")
        term = (TerminationStatus.INTERRUPTED if interrupted else TerminationStatus.TIME_LIMIT
                if trainer.stopped else TerminationStatus.ITERATION_LIMIT)
        if worst is None:
            return Solution(term, ResultStatus.NO_SOLUTION, {}, None, name, stats=stats,
                            message=f"gflownet sampled no point {why}")
        x = point(trainer.archive.choices[worst])
        return Solution(term, ResultStatus.FEASIBLE_POINT, _objective_values(env, x), x,
                        name, stats=stats, message=(
                            f"gflownet found no feasible point {why}; the least violated "
                            "is reported; try more --iterations, or check the model with "
                            "--backend highs"))
    if options.front:
        order = _front(objectives, options.front)
        note = (f"{len(order)} non-dominated points of {len(choices)} distinct feasible "
                "ones sampled")
    else:
        order = np.argsort(objectives[:, 0], kind="stable")[:max(1, options.samples or 1)]
        note = (f"the best of {len(choices)} distinct feasible points sampled"
                if not options.samples or options.samples == 1 else
                f"the {len(order)} best of {len(choices)} distinct feasible points sampled")
    points = [point(choices[i]) for i in order]
    x = points[0]
    message = (f"gflownet: {note} in {trainer.iterations} iterations ({env.evaluations} "
               "evaluations); a sampler proves nothing about optimality")
    term = TerminationStatus.LOCALLY_SOLVED
    if interrupted:
        term, message = TerminationStatus.INTERRUPTED, f"interrupted: {message}"
    elif trainer.stopped or trainer.late():
        term, message = TerminationStatus.TIME_LIMIT, f"the time limit stopped it: {message}"
    return Solution(term, ResultStatus.FEASIBLE_POINT,
                    _objective_values(env, x), x, name, stats=stats, message=message,
                    alternatives=points[1:])


def _objective_values(env: Env, x: np.ndarray) -> dict[str, float]:
    import torch

    t = torch.as_tensor(x[None], dtype=torch.float64, device=env.device)
    with torch.no_grad():
        return {name: float(e.fn(t)[0, 0]) for name, e in env.program.objectives.items()}


def _front(objectives: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to `count` non-dominated rows (all minimised), spread out: both
    ends of each objective first, then by greatest distance from those picked."""
    from optiform.pareto import non_dominated

    finite = np.nonzero(np.isfinite(objectives).all(axis=1))[0]
    front = finite[non_dominated(objectives[finite], ["minimize"] * objectives.shape[1])]
    front = front[np.lexsort(objectives[front].T[::-1])]
    if len(front) <= count:
        return front
    z = objectives[front]
    z = (z - z.min(axis=0)) / np.maximum(np.ptp(z, axis=0), 1e-12)
    picked = list(dict.fromkeys(int(np.argmin(z[:, j])) for j in range(z.shape[1])))
    picked = picked[:count]
    gap = np.min(np.linalg.norm(z[:, None, :] - z[picked][None], axis=2), axis=1)
    while len(picked) < count:
        nxt = int(np.argmax(gap))
        picked.append(nxt)
        gap = np.minimum(gap, np.linalg.norm(z - z[nxt], axis=1))
    return front[np.sort(picked)]

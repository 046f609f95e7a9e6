"""The GFlowNet sampler against random sampling and simulated annealing.

For each model: the exact optimum (HiGHS; SCIP for the MIQP max-cut), then the GFlowNet with its
default settings, then simulated annealing and random feasible-leaning
sampling given the same number of objective evaluations as the GFlowNet
used. All three score points with the same compiled model and the same
penalised, normalised score (`gflownet.env.Env`, `Trainer.score`), so the
comparison is of the search, not the scoring. Reported per method: the best
feasible objective as a share of the optimum, the distinct feasible points
within 1% and 5% of the optimum, evaluations and seconds.

    python benchmarks/gflownet.py [--seeds 3] [--training tb op] [--out benchmarks/GFLOWNET.md]
    python benchmarks/gflownet.py --pareto [--seeds 3]        # fronts against the exact one
    python benchmarks/gflownet.py --scaling 300 1000 2000   # time and memory by size

Each training (`--training`, both by default) is a row of its own; annealing and
random sampling are given the larger of their evaluation counts. `--pareto`
measures fronts instead (see `fronts`).

Run by hand; the numbers go in docs/GFLOWNET.md with the machine and date.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

import optiform
from optiform.backends.gflownet.backend import (
    DEFAULT_ITERATIONS,
    EXPAND_SHARE,
    FINAL_SAMPLES,
    TRAININGS,
)
from optiform.backends.gflownet.env import Env
from optiform.backends.gflownet.train import Archive, Settings, Trainer

ROOT = Path(__file__).resolve().parent.parent
HOT, COLD = 0.3, 0.01  # annealing temperatures, in spreads of random samples' objective
CHAINS = 4  # annealing chains; fewer, longer chains did better here than 32 short ones
KNAPSACK = """model knapsack
sets
  ITEMS
parameters
  value[ITEMS]
  weight[ITEMS]
  capacity
variables
  take[ITEMS] binary
objective
  maximize total: sum(i in ITEMS) value[i] * take[i]
constraints
  fits: sum(i in ITEMS) weight[i] * take[i] <= capacity
"""


def knapsack(n: int, seed: int) -> tuple[str, dict]:
    rng = np.random.default_rng(seed)
    w, v = rng.integers(10, 60, n), rng.integers(10, 100, n)
    return KNAPSACK, {"ITEMS": list(range(1, n + 1)), "value": v.tolist(),
                      "weight": w.tolist(), "capacity": int(w.sum() * 0.4)}


MAX_CUT = """model max_cut
sets
  NODES
  EDGES within NODES * NODES
parameters
  w[EDGES]
variables
  side[NODES] binary
objective
  maximize cut: sum((i, j) in EDGES) w[i, j] * (side[i] + side[j] - 2 * side[i] * side[j])
"""
ASSIGNMENT = """model assignment
sets
  W
  T
parameters
  cost[W, T]
variables
  x[W, T] binary
objective
  minimize total: sum(w in W, t in T) cost[w, t] * x[w, t]
constraints
  task[t in T]: sum(w in W) x[w, t] == 1
  worker[w in W]: sum(t in T) x[w, t] <= 1
"""


def max_cut(n: int, seed: int) -> tuple[str, dict]:
    rng = np.random.default_rng(seed)
    edges = [(i, j) for i in range(1, n + 1) for j in range(i + 1, n + 1)
             if rng.random() < 0.3]
    weights: dict[str, dict[str, int]] = {}
    for i, j in edges:
        weights.setdefault(str(i), {})[str(j)] = int(rng.integers(1, 10))
    return MAX_CUT, {"NODES": list(range(1, n + 1)), "EDGES": [list(e) for e in edges],
                     "w": weights}


def assignment(n: int, seed: int) -> tuple[str, dict]:
    rng = np.random.default_rng(seed)
    return ASSIGNMENT, {"W": list(range(1, n + 2)), "T": list(range(1, n + 1)),
                        "cost": rng.integers(1, 30, (n + 1, n)).tolist()}


def models() -> list[tuple[str, optiform.api.Model]]:
    out = []
    for label, (text, data) in [("knapsack, 40 items", knapsack(40, 7)),
                                ("knapsack, 100 items", knapsack(100, 7)),
                                ("max-cut, 30 nodes (MIQP)", max_cut(30, 7)),
                                ("assignment, 9 x 8", assignment(8, 7))]:
        out.append((label, optiform.loads(text, data)))
    for name in ("knapsack", "assignment", "max_cut", "set_covering"):
        path = ROOT / "examples" / f"{name}.opt"
        if path.exists():
            out.append((path.name, optiform.load(path)))
    return out


def gflownet(problem, seed: int, training: str = "tb") -> tuple[Trainer, Env, float]:
    env = Env(problem, [{problem.objectives[0].name: 1.0}], torch.device("cpu"))
    trainer = Trainer(env, Settings(iterations=DEFAULT_ITERATIONS, seed=seed,
                                    training=training))
    t0 = time.perf_counter()
    trainer.fit()
    trainer.sample(FINAL_SAMPLES)
    trainer.expand(int(EXPAND_SHARE * env.evaluations))
    trainer.polish()
    return trainer, env, time.perf_counter() - t0


def annealing(problem, seed: int, evaluations: int, hot: float = HOT,
              cold: float = COLD) -> tuple[Archive, float]:
    """Chains of single-variable moves (+-1, or a flip) with Metropolis acceptance on
    the GFlowNet's own score, the temperature falling geometrically from 1 to 0.01."""
    env = Env(problem, [{problem.objectives[0].name: 1.0}], torch.device("cpu"))
    helper = Trainer(env, Settings(seed=seed))
    t0 = time.perf_counter()
    helper.warm_up()  # the same scale, and starting points: random masked samples
    chains = CHAINS
    g = torch.Generator().manual_seed(seed)
    current = helper.rollout(helper.preferences(chains), uniform=True)
    w = helper.preferences(chains)
    e = env.evaluate(helper.x_of(current))
    score = helper.score(e, w)
    archive = helper.archive
    archive.add(current, e)
    steps = max(1, (evaluations - env.evaluations) // chains)
    rows = torch.arange(chains)
    for k in range(steps):
        temp = hot * (cold / hot) ** (k / max(1, steps - 1))
        j = torch.randint(0, env.n, (chains,), generator=g)
        size = env.sizes[j]
        shift = 1 + (torch.rand(chains, generator=g) * (size - 1).clamp(min=1)).long()
        cand = current.clone()
        cand[rows, j] = (current[rows, j] + shift) % size
        ce = env.evaluate(helper.x_of(cand))
        cs = helper.score(ce, w)
        archive.add(cand, ce)
        accept = (cs <= score) | (torch.rand(chains, generator=g, dtype=torch.float64)
                                  < torch.exp(-(cs - score) / temp))
        current = torch.where(accept[:, None], cand, current)
        score = torch.where(accept, cs, score)
    return archive, time.perf_counter() - t0


def random_sampling(problem, seed: int, evaluations: int) -> tuple[Archive, float]:
    env = Env(problem, [{problem.objectives[0].name: 1.0}], torch.device("cpu"))
    helper = Trainer(env, Settings(seed=seed))
    t0 = time.perf_counter()
    while env.evaluations < evaluations:
        batch = min(1024, evaluations - env.evaluations)
        choices = helper.rollout(helper.preferences(batch), uniform=True)
        helper.archive.add(choices, env.evaluate(helper.x_of(choices)))
    return helper.archive, time.perf_counter() - t0


def measure(archive: Archive, optimum: float, sign: float) -> dict:
    _, objectives = archive.feasible()
    values = sign * objectives[:, 0]  # back in the model's sense
    if not len(values):
        return {"best": math.nan, "within1": 0, "within5": 0}
    gap = np.abs(values - optimum) / max(1.0, abs(optimum))
    best = values.max() if sign < 0 else values.min()
    return {"best": float(best), "ratio": float(1 - abs(best - optimum) / max(1, abs(optimum))),
            "within1": int((gap <= 0.01).sum()), "within5": int((gap <= 0.05).sum())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--training", nargs="+", default=list(TRAININGS),
                        choices=TRAININGS, help="the gflownet's trainings to run")
    parser.add_argument("--pareto", action="store_true",
                        help="only the fronts of the multi-objective models")
    parser.add_argument("--scaling", type=int, nargs="+", metavar="N",
                        help="only time training on knapsacks of N items each")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.scaling:
        scaling(sorted(args.scaling))
        return
    if args.pareto:
        text = fronts(args.seeds)
        if args.out:
            args.out.write_text(text)
        sys.stdout.write(text)
        return
    results = []
    for label, model in models():
        problem = model.compile()
        optimum = model.solve().objective  # HiGHS, or SCIP for the MIQP max-cut
        sign = -1.0 if problem.objectives[0].sense == "maximize" else 1.0
        for seed in range(args.seeds):
            rows, evals = [], 0
            for training in args.training:
                trainer, env, seconds = gflownet(problem, seed, training)
                evals = max(evals, env.evaluations)
                rows.append((f"gflownet ({training})", measure(trainer.archive, optimum, sign),
                             seconds, env.evaluations))
            sa, sa_s = annealing(problem, seed, evals)
            rows.append(("simulated annealing", measure(sa, optimum, sign), sa_s, evals))
            rnd, rnd_s = random_sampling(problem, seed, evals)
            rows.append(("random", measure(rnd, optimum, sign), rnd_s, evals))
            for method, m, sec, spent in rows:
                results.append({"model": label, "seed": seed, "method": method, **m,
                                "evaluations": spent, "seconds": sec})
                print(results[-1], flush=True)
    text = table(results, args.seeds)
    if args.out:
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    sys.stdout.write(text)


BIOBJECTIVE = """model biobjective
sets
  ITEMS
parameters
  a[ITEMS]
  b[ITEMS]
  weight[ITEMS]
  capacity
variables
  take[ITEMS] binary
objective
  maximize first: sum(i in ITEMS) a[i] * take[i]
  maximize second: sum(i in ITEMS) b[i] * take[i]
constraints
  fits: sum(i in ITEMS) weight[i] * take[i] <= capacity
"""
EPSILON_POINTS = 10  # the epsilon method's points: `--pareto 10`
R2_WEIGHTS = 101  # weight vectors of the R2 indicator, evenly over the simplex


def biobjective(n: int, seed: int) -> tuple[str, dict]:
    """Two conflicting values: b falls as a rises, with noise, so the front is long."""
    rng = np.random.default_rng(seed)
    a = rng.integers(10, 100, n)
    b = np.clip(110 - a + rng.integers(-20, 20, n), 5, None)
    w = rng.integers(10, 60, n)
    return BIOBJECTIVE, {"ITEMS": list(range(1, n + 1)), "a": a.tolist(), "b": b.tolist(),
                         "weight": w.tolist(), "capacity": int(w.sum() * 0.4)}


def multi_objective_models() -> list[tuple[str, optiform.api.Model]]:
    out = [("bi-objective knapsack, 30 items", optiform.loads(*biobjective(30, 7)))]
    path = ROOT / "examples" / "biobjective_knapsack.opt"
    if path.exists():
        out.append((path.name, optiform.load(path)))
    return out


def r2(points: np.ndarray, ideal: np.ndarray, scale: np.ndarray) -> float:
    """The R2 indicator (lower is better): over evenly spread weight vectors, the mean of
    the best weighted Tchebycheff distance of any point to the ideal, objectives
    minimised and scaled by the exact front's range."""
    t = np.linspace(0.0, 1.0, R2_WEIGHTS)
    weights = np.stack([t, 1 - t], axis=1)
    z = np.abs(points - ideal) / scale
    return float(np.mean(np.min(np.max(weights[:, None, :] * z[None], axis=2), axis=1)))


def fronts(seeds: int) -> str:
    """Per multi-objective model: the exact front (HiGHS's epsilon-constraint sweep,
    which on these models walks every whole value of the second objective), then the
    fronts of order-preserving training, of preference conditioning (trajectory balance
    on the augmented Tchebycheff reward), and of the epsilon method at 10 points.
    Reported: the hypervolume as a share of the exact front's (one reference point, the
    exact nadir pushed out by 10%), R2, the exact front's points found, and the
    distinct solutions (not only objective vectors) on the exact front."""
    lines = [f"| model | method | hypervolume / exact, mean of {seeds} seeds | R2 (exact: "
             "see its row) | exact points found | distinct Pareto-optimal solutions | "
             "evaluations | seconds |", "|---|---|---|---|---|---|---|---|"]
    for label, model in multi_objective_models():
        lines += front_rows(label, model, seeds)
    return "\n".join(lines) + "\n"


def front_rows(label: str, model: optiform.api.Model, seeds: int) -> list[str]:
    """The rows of `fronts` for one model."""
    from optiform.pareto import hypervolume, non_dominated, reference_point

    lines = []
    problem = model.compile()
    names = [o.name for o in problem.objectives]
    senses = ["minimize"] * len(names)
    sign = np.array([1.0 if o.sense == "minimize" else -1.0 for o in problem.objectives])
    t0 = time.perf_counter()
    exact_results = model.pareto(10_000, "highs")
    exact_s = time.perf_counter() - t0
    exact = np.array([[r.objectives[n] for n in names] for r in exact_results]) * sign
    reference = reference_point(exact, senses)
    full = hypervolume(exact, senses, reference)
    ideal, scale = exact.min(axis=0), np.maximum(np.ptp(exact, axis=0), 1e-12)
    on_front = _keys(exact)

    def row(method: str, stats: list[tuple[np.ndarray, int, int, float]]) -> str:
        hv = [hypervolume(z[non_dominated(z, senses)], senses, reference) / full
              for z, _, _, _ in stats]
        r2s = [r2(z[non_dominated(z, senses)], ideal, scale) for z, _, _, _ in stats]
        found = [len(_keys(z) & on_front) for z, _, _, _ in stats]
        return (f"| {label} | {method} | {np.mean(hv):.4f} | {np.mean(r2s):.4f} | "
                f"{np.mean(found):.1f} of {len(exact)} | "
                f"{np.mean([d for _, d, _, _ in stats]):.1f} | "
                f"{np.mean([e for _, _, e, _ in stats]):.0f} | "
                f"{np.mean([s for _, _, _, s in stats]):.1f} |")

    lines.append(f"| {label} | exact (HiGHS, every point) | 1.0000 | "
                 f"{r2(exact, ideal, scale):.4f} | {len(exact)} of {len(exact)} | "
                 f"{len(exact)} | | {exact_s:.1f} |")
    for training, method in (("op", "gflownet, order-preserving (op)"),
                             ("tb", "gflownet, preference-conditioned (tb)")):
        stats = []
        for seed in range(seeds):
            env = Env(problem, [{n: 1.0} for n in names], torch.device("cpu"))
            trainer = Trainer(env, Settings(iterations=DEFAULT_ITERATIONS, seed=seed,
                                            training=training))
            t0 = time.perf_counter()
            trainer.fit()
            trainer.sample(FINAL_SAMPLES)
            trainer.expand(int(EXPAND_SHARE * env.evaluations))
            seconds = time.perf_counter() - t0
            _, z = trainer.archive.feasible()  # already minimised, in the model's units
            optimal = sum(p in on_front for p in _rounded(z))
            stats.append((z, optimal, env.evaluations, seconds))
            print(label, method, seed, stats[-1][1:], flush=True)
        lines.append(row(method, stats))
    t0 = time.perf_counter()
    eps = model.pareto(EPSILON_POINTS, "highs")
    z = np.array([[r.objectives[n] for n in names] for r in eps]) * sign
    optimal = sum(p in on_front for p in _rounded(z))
    lines.append(row(f"epsilon method, {EPSILON_POINTS} points (HiGHS)",
                     [(z, optimal, 0, time.perf_counter() - t0)]))
    return lines


def _rounded(z: np.ndarray) -> list[tuple[float, ...]]:
    """Objective vectors as comparable keys, HiGHS's rounding and the sampler's apart."""
    return [tuple(p) for p in np.round(z, 6).tolist()]


def _keys(z: np.ndarray) -> set[tuple[float, ...]]:
    return set(_rounded(z))


def scaling(sizes: list[int], iterations: int = 4) -> None:
    """Seconds per training iteration on knapsacks of growing size, and the process's
    peak memory so far (sizes ascending, so each line's peak is its own)."""
    for n in sizes:
        text, data = knapsack(n, 7)
        problem = optiform.loads(text, data).compile()
        env = Env(problem, [{problem.objectives[0].name: 1.0}], torch.device("cpu"))
        trainer = Trainer(env, Settings(iterations=iterations))
        t0 = time.perf_counter()
        trainer.fit()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{n:>6} variables: {(time.perf_counter() - t0) / iterations:.2f} s per "
              f"iteration, peak memory {peak} MB", flush=True)


def table(results: list[dict], seeds: int) -> str:
    """Per model and method, over the seeds: the mean and worst best/optimum, the mean
    distinct points within 1% and 5% of the optimum, evaluations and seconds."""
    lines = [f"| model | method | best / optimum, mean (worst) of {seeds} seeds | "
             "distinct within 1% | within 5% | evaluations | seconds |",
             "|---|---|---|---|---|---|---|"]
    keys = list(dict.fromkeys((r["model"], r["method"]) for r in results))
    for model, method in keys:
        rs = [r for r in results if r["model"] == model and r["method"] == method]
        ratio = [r.get("ratio", 0.0) for r in rs]
        lines.append(
            f"| {model} | {method} | {np.mean(ratio):.4f} ({min(ratio):.4f}) | "
            f"{np.mean([r['within1'] for r in rs]):.0f} | "
            f"{np.mean([r['within5'] for r in rs]):.0f} | "
            f"{np.mean([r['evaluations'] for r in rs]):.0f} | "
            f"{np.mean([r['seconds'] for r in rs]):.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

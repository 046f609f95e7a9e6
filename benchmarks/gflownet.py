"""The GFlowNet sampler against random sampling and simulated annealing.

For each model: the exact optimum (HiGHS; SCIP for the MIQP max-cut), then the GFlowNet with its
default settings, then simulated annealing and random feasible-leaning
sampling given the same number of objective evaluations as the GFlowNet
used. All three score points with the same compiled model and the same
penalised, normalised score (`gflownet.env.Env`, `Trainer.score`), so the
comparison is of the search, not the scoring. Reported per method: the best
feasible objective as a share of the optimum, the distinct feasible points
within 1% and 5% of the optimum, evaluations and seconds.

    python benchmarks/gflownet.py [--seeds 3] [--out benchmarks/GFLOWNET.md]
    python benchmarks/gflownet.py --scaling 300 1000 2000   # time and memory by size

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
from optiform.backends.gflownet.backend import DEFAULT_ITERATIONS, EXPAND_SHARE, FINAL_SAMPLES
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


def gflownet(problem, seed: int) -> tuple[Trainer, Env, float]:
    env = Env(problem, [{problem.objectives[0].name: 1.0}], torch.device("cpu"))
    trainer = Trainer(env, Settings(iterations=DEFAULT_ITERATIONS, seed=seed))
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
    parser.add_argument("--scaling", type=int, nargs="+", metavar="N",
                        help="only time training on knapsacks of N items each")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.scaling:
        scaling(sorted(args.scaling))
        return
    results = []
    for label, model in models():
        problem = model.compile()
        optimum = model.solve().objective  # HiGHS, or SCIP for the MIQP max-cut
        sign = -1.0 if problem.objectives[0].sense == "maximize" else 1.0
        for seed in range(args.seeds):
            trainer, env, seconds = gflownet(problem, seed)
            evals = env.evaluations
            rows = [("gflownet", measure(trainer.archive, optimum, sign), seconds)]
            sa, sa_s = annealing(problem, seed, evals)
            rows.append(("simulated annealing", measure(sa, optimum, sign), sa_s))
            rnd, rnd_s = random_sampling(problem, seed, evals)
            rows.append(("random", measure(rnd, optimum, sign), rnd_s))
            for method, m, sec in rows:
                results.append({"model": label, "seed": seed, "method": method, **m,
                                "evaluations": evals, "seconds": sec})
                print(results[-1], flush=True)
    text = table(results, args.seeds)
    if args.out:
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    sys.stdout.write(text)


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

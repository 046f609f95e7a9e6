"""Many scenarios of a small MILP: a sequential loop against `optiform batch`'s engines.

    python benchmarks/batch.py                  # 1,000 scenarios; loop, processes, ray
    python benchmarks/batch.py -n 200 --engines loop,processes

Each scenario is a data file of a multi-dimensional knapsack (15 items, 2
capacities, random weights and values; HiGHS takes 10-20 ms), written to a
temporary folder. The loop is `optiform.load(model, data).solve()` per file in
this process; the engines run `optiform.batching.run_batch` with `--workers`
processes or a local Ray of that many CPUs. Reported: wall time, start-up (until
the engine can take tasks; the pool's workers start with its first tasks), the
first row, throughput, the overhead per task (worker time not spent in the
scenario's own compile, solve and check, per scenario), and the bytes shipped
once and per task, which is what scales on a cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODEL = """\
model mkp "a small multi-dimensional knapsack"

sets
  I
  K

parameters
  value[I]
  w[K, I]
  cap[K]

variables
  take[I] binary

objective
  maximize total: sum(i in I) value[i] * take[i]

constraints
  room[k in K]: sum(i in I) w[k, i] * take[i] <= cap[k]
"""


def write_scenarios(folder: Path, n: int, items: int = 15, rooms: int = 2) -> list[Path]:
    rng = np.random.default_rng(0)
    paths = []
    for s in range(n):
        w = rng.integers(5, 60, (rooms, items))
        data = {"I": list(range(1, items + 1)), "K": list(range(1, rooms + 1)),
                "value": {str(i + 1): int(v) for i, v in enumerate(rng.integers(10, 100, items))},
                "w": {str(k + 1): {str(i + 1): int(x) for i, x in enumerate(row)}
                      for k, row in enumerate(w)},
                "cap": {str(k + 1): int(c) for k, c in enumerate(w.sum(axis=1) // 3)}}
        path = folder / f"s{s:04d}.json"
        path.write_text(json.dumps(data))
        paths.append(path)
    return paths


def loop(model: Path, datas: list[Path]) -> dict[str, float]:
    import optiform

    started = time.perf_counter()
    objectives = [optiform.load(model, datas[0]).solve().objective]
    first = time.perf_counter() - started
    objectives += [optiform.load(model, d).solve().objective for d in datas[1:]]
    wall = time.perf_counter() - started
    assert all(o is not None for o in objectives)
    return {"wall": wall, "start": 0.0, "first": first, "work": wall,
            "objective": float(np.sum(objectives))}


def engine(name: str, workers: int):
    def run(model: Path, datas: list[Path]) -> dict[str, float]:
        from optiform.batching import run_batch

        marks: dict[str, float] = {}
        started = time.perf_counter()
        done = run_batch(model, datas, engine=name, workers=workers,
                         on_start=lambda _: marks.setdefault("start", time.perf_counter()),
                         on_row=lambda _: marks.setdefault("first", time.perf_counter()))
        wall = time.perf_counter() - started
        assert all(r["status"] == "optimal" for r in done.rows), done.rows[:3]
        return {"wall": wall, "start": marks["start"] - started,
                "first": marks["first"] - started,
                "work": sum(r["seconds"] for r in done.rows), "engine": done.engine,
                "objective": float(sum(r["objective"] for r in done.rows))}
    return run


def shipped(model: Path, datas: list[Path]) -> tuple[int, float]:
    """Bytes of the parsed model (shipped once) and of a task's data (per scenario)."""
    from optiform.batching.worker import SolveSettings, Task
    from optiform.dsl.data import load_data
    from optiform.dsl.parser import parse_file

    per_task = [len(pickle.dumps(Task(0, load_data(d), (), SolveSettings())))
                for d in datas[:50]]
    return len(pickle.dumps(parse_file(model))), float(np.mean(per_task))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("-n", type=int, default=1000, help="scenarios")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--engines", default="loop,processes,ray")
    args = ap.parse_args()
    runs = {"loop": loop, "processes": engine("processes", args.workers),
            "ray": engine("ray", args.workers)}
    with tempfile.TemporaryDirectory(prefix="optiform-batch-") as tmp:
        folder = Path(tmp)
        model = folder / "mkp.opt"
        model.write_text(MODEL)
        datas = write_scenarios(folder, args.n)
        once, per_task = shipped(model, datas)
        load = os.getloadavg()[0]
        results = {name: runs[name](model, datas) for name in args.engines.split(",")}
    objectives = {round(r["objective"], 6) for r in results.values()}
    assert len(objectives) == 1, "the engines disagree on the optima"
    print(f"{args.n} scenarios, {args.workers} workers; {os.cpu_count()} CPUs, "
          f"{platform.processor() or platform.machine()}, Python {sys.version.split()[0]}; "
          f"load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print("| run | wall | start-up | first row | scenarios/s | overhead per task | engine |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, r in results.items():
        workers = 1 if name == "loop" else args.workers
        overhead = ((r["wall"] - r["start"]) * workers - r["work"]) / args.n
        print(f"| {name} | {r['wall']:.2f} s | {r['start']:.2f} s | {r['first']:.2f} s | "
              f"{args.n / r['wall']:.0f} | "
              f"{1000 * overhead:.1f} ms | {r.get('engine', 'this process')} |")
    print()
    print(f"Shipped once: the parsed model, {once:,} bytes pickled. Per task: the "
          f"scenario's data as read, {per_task:,.0f} bytes on average, and back a row "
          "of a few hundred bytes.")


if __name__ == "__main__":
    main()

"""Median compile and hand-off times of the benchmark models, in one process, no profiler.

    python benchmarks/compile_time.py                       # transport 300, 1000; facility
    python benchmarks/compile_time.py --repeat 7 --cases lp1m

Data from `compare.py` (numpy arrays in memory), the parser built and each model
parsed beforehand: what is timed is `Model.compile()` and the HiGHS backend's
`load` (the hand-off), each the median of `--repeat` runs, beside issue 7's target
for their sum. Quicker to rerun than `compare.py` when comparing two versions of the
compiler on the same machine (put the other version first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare  # noqa: E402

CASES = {"lp90k": ("transport", (300, 300)), "lp1m": ("transport", (1000, 1000)),
         "milp200k": ("facility", (100, 2000))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import optiform
    from optiform.backends import SolveOptions
    from optiform.backends.highs.backend import HighsBackend
    from optiform.compiler.instantiate import instantiate

    print("| case | nonzeros | compile | hand-off | total | target |")
    print("|---|---:|---:|---:|---:|---:|")
    for case in args.cases.split(","):
        model, size = CASES[case]
        d = (compare.transport_data if model == "transport" else compare.facility_data)(*size)
        text, data = compare.optiform_text_and_data(model, d)
        parsed = optiform.loads(text, data=data)
        compiles, handoffs = [], []
        nnz = 0
        for _ in range(args.repeat):
            gc.collect()
            t0 = time.perf_counter()
            problem = instantiate(parsed.decl, parsed.data, parsed.max_size)
            t1 = time.perf_counter()
            HighsBackend().load(problem, SolveOptions())
            t2 = time.perf_counter()
            compiles.append(t1 - t0)
            handoffs.append(t2 - t1)
            nnz = sum(len(c.terms.lin_val) for c in problem.constraints)
            del problem
        c, h = statistics.median(compiles), statistics.median(handoffs)
        target = compare.TARGETS[case]
        print(f"| {case} | {nnz:,} | {c * 1e3:.1f} ms | {h * 1e3:.1f} ms | "
              f"{(c + h) * 1e3:.1f} ms | {target * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()

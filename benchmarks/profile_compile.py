"""Profile optiform's compile and hand-off on the transportation LP, at growing sizes.

    python benchmarks/profile_compile.py                 # scaling table, 300..1400
    python benchmarks/profile_compile.py --tree 1000     # pyinstrument call tree at 1M
    python benchmarks/profile_compile.py --model facility --sizes 100x2000

The scaling table runs cProfile once per size (in this process, data from
`compare.py`, parser built beforehand) and prints, for the functions where the
time goes, nanoseconds per constraint nonzero: a column that grows down the
table is a cost that grows faster than the nonzeros.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare  # noqa: E402

# (label, file suffix, function name): cumulative time of the first match
WATCH = [
    ("parse (loads)", "optiform/api.py", "loads"),
    ("compile (instantiate)", "compiler/instantiate.py", "instantiate"),
    ("  parameters", "compiler/instantiate.py", "_param"),
    ("  variables", "compiler/instantiate.py", "_variables"),
    ("  constraints", "compiler/instantiate.py", "_constraint"),
    ("  number checks", "compiler/instantiate.py", "_check_numbers"),
    ("  KeyIndex build", "compiler/keys.py", "__init__"),
    ("  KeyIndex lookup", "compiler/keys.py", "lookup"),
    ("  positions by arithmetic", "compiler/evaluate.py", "shortcut"),
    ("  Evaluator.expand", "compiler/evaluate.py", "expand"),
    ("hand-off: load", "backends/highs/backend.py", "load"),
    ("  _csr", "backends/highs/backend.py", "_csr"),
    ("  HiGHS passModel", "~", "passModel"),
]


def run_once(model: str, size: tuple[int, int]) -> tuple[pstats.Stats, int, float]:
    import optiform
    from optiform.backends import SolveOptions
    from optiform.backends.highs.backend import HighsBackend

    d = (compare.transport_data if model == "transport" else compare.facility_data)(*size)
    text, data = compare.optiform_text_and_data(model, d)
    optiform.loads(text, data=data)  # the parser is built once per process: not measured
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    problem = optiform.loads(text, data=data).compile()
    HighsBackend().load(problem, SolveOptions())
    prof.disable()
    wall = time.perf_counter() - t0
    nnz = sum(len(c.terms.lin_val) for c in problem.constraints)
    return pstats.Stats(prof), nnz, wall


def cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    total = 0.0
    for (file, _line, func), row in stats.stats.items():  # type: ignore[attr-defined]
        builtin = suffix == "~" and file == "~" and name in func
        if builtin or func == name and file.endswith(suffix):
            total = max(total, row[3])  # cumulative; recursion counted once
    return total


def scaling(model: str, sizes: list[tuple[int, int]]) -> None:
    results = []
    for size in sizes:
        stats, nnz, wall = run_once(model, size)
        results.append((size, nnz, wall, [cumulative(stats, s, f) for _, s, f in WATCH]))
    head = "| step | " + " | ".join(f"{a}x{b} ({nnz / 1e6:.2f}M nnz)"
                                       for (a, b), nnz, _, _ in results) + " |"
    print(head)
    print("|---|" + "---:|" * len(results))
    print("| total, under cProfile | " + " | ".join(
        f"{w:.2f} s = {w / nnz * 1e9:.0f} ns/nz" for _, nnz, w, _ in results) + " |")
    for k, (label, _, _) in enumerate(WATCH):
        print(f"| {label} | " + " | ".join(
            f"{r[3][k] * 1000:.0f} ms = {r[3][k] / r[1] * 1e9:.0f} ns/nz" for r in results)
            + " |")


def tree(model: str, size: tuple[int, int]) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        stats, _, _ = run_once(model, size)
        stats.sort_stats("cumulative").print_stats(40)
        return
    import optiform
    from optiform.backends import SolveOptions
    from optiform.backends.highs.backend import HighsBackend

    d = (compare.transport_data if model == "transport" else compare.facility_data)(*size)
    text, data = compare.optiform_text_and_data(model, d)
    optiform.loads(text, data=data)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    problem = optiform.loads(text, data=data).compile()
    HighsBackend().load(problem, SolveOptions())
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--model", choices=["transport", "facility"], default="transport")
    ap.add_argument("--sizes", default="300x300,600x600,1000x1000,1400x1400")
    ap.add_argument("--tree", default=None, help="one size (NxM or N): a call tree")
    args = ap.parse_args()

    def parse_size(text: str) -> tuple[int, int]:
        a, _, b = text.partition("x")
        return int(a), int(b or a)

    if args.tree:
        tree(args.model, parse_size(args.tree))
    else:
        scaling(args.model, [parse_size(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()

"""Time compiling (parse, ground) and solving transportation models of growing size.

Run by hand: `python benchmarks/grounding.py [sizes...]`; results are recorded
in benchmarks/README.md with the machine and the date.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from compare import TRANSPORT_OPT  # benchmarks/ is on the path when run as a script

import optiform


def data(n: int) -> dict[str, object]:
    rng = np.random.default_rng(0)
    cost = rng.uniform(1, 10, size=(n, n))
    return {
        "I": list(range(1, n + 1)),
        "J": list(range(1, n + 1)),
        "supply": {str(i + 1): 2.0 for i in range(n)},
        "demand": {str(j + 1): 1.0 for j in range(n)},
        "cost": {str(i + 1): {str(j + 1): float(cost[i, j]) for j in range(n)}
                 for i in range(n)},
    }


def main(sizes: list[int]) -> None:
    print(f"{'n':>6} {'vars':>10} {'compile s':>10} {'solve s':>10} {'check s':>10}")
    for n in sizes:
        model = optiform.loads(TRANSPORT_OPT, data=data(n))
        t0 = time.perf_counter()
        problem = model.compile()
        compile_s = time.perf_counter() - t0
        result = optiform.solve(problem)
        assert result.verified, result.report
        print(f"{n:>6} {problem.n_vars:>10} {compile_s:>10.2f} "
              f"{result.timings['solve']:>10.2f} {result.timings['check']:>10.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300, 1000])

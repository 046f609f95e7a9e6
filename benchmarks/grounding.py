"""Time compiling (parse, ground) and solving transportation models of growing size.

Run by hand: `python benchmarks/grounding.py [sizes...]`; results are recorded
in benchmarks/README.md with the machine and the date.
"""

from __future__ import annotations

import sys
import time

import optiform
from optiform.testing import TRANSPORT, transport_mapping


def main(sizes: list[int]) -> None:
    print(f"{'n':>6} {'vars':>10} {'compile s':>10} {'solve s':>10} {'check s':>10}")
    for n in sizes:
        model = optiform.loads(TRANSPORT, data=transport_mapping(n))
        t0 = time.perf_counter()
        problem = model.compile()
        compile_s = time.perf_counter() - t0
        result = optiform.solve(problem)
        assert result.verified, result.report
        print(f"{n:>6} {problem.n_vars:>10} {compile_s:>10.2f} "
              f"{result.timings['solve']:>10.2f} {result.timings['check']:>10.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300, 1000])

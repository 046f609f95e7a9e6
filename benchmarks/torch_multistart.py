"""The torch backend against Ipopt, and its batched multi-start scaling.

Run by hand: `python benchmarks/torch_multistart.py [--device cuda] [--repeat 3]`.

1. The conformance models (tests/backends/nlp/): for each backend, how many
   reach the known optimum within 1e-4 relative with a verified point, and
   the total solve time. Ipopt is ours through cyipopt (exact derivatives from
   the same torch functions); Pyomo's Ipopt joins when an `ipopt` executable
   is installed.
2. Starts per second: HS071, HS100 and a 100-variable Rosenbrock chain solved
   from 1, 16 and 256 starts, all starts advancing as one batch.

Times are wall-clock seconds of `api.solve` (the torch import is paid once
before timing starts); the best of `--repeat` runs. Results are recorded, with
machine and date, in docs/TORCH.md.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path

import optiform
from optiform.api import solve
from optiform.backends import REGISTRY, SolveOptions
from optiform.backends.pyomo.backend import PyomoBackend
from optiform.compiler.ir import Problem

NLP = Path(__file__).resolve().parent.parent / "tests" / "backends" / "nlp"
KNOWN = {
    "hs006": 0.0, "hs007": -math.sqrt(3), "hs010": -1.0, "hs011": -8.498464223,
    "hs012": -30.0, "hs013": 1.0, "hs014": 9 - 23 * math.sqrt(7) / 8, "hs015": 306.5,
    "hs021": -99.96, "hs035": 1 / 9, "hs043": -44.0, "hs071": 17.0140173,
    "hs076": -4.681818181, "hs100": 680.6300573, "rosenbrock_chain": 0.0,
}
CHAIN_100 = (NLP / "rosenbrock_chain.opt").read_text().replace("n = 10", "n = 100")


def timed(problem: Problem, backend: str, options: SolveOptions, repeat: int
          ) -> tuple[float, optiform.Result]:
    best, result = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = solve(problem, backend, options)
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    return best, result


def conformance(device: str, repeat: int) -> None:
    backends = {"ipopt (cyipopt)": ("ipopt", SolveOptions()),
                "torch, 16 starts": ("torch", SolveOptions(starts=16, device=device)),
                "torch, 1 start": ("torch", SolveOptions(starts=1, device=device))}
    pyomo_ipopt = PyomoBackend("ipopt")
    if pyomo_ipopt.is_available():
        REGISTRY["pyomo-ipopt"] = pyomo_ipopt
        backends["ipopt (Pyomo)"] = ("pyomo-ipopt", SolveOptions())
    print("| model | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    solved = dict.fromkeys(backends, 0)
    total = dict.fromkeys(backends, 0.0)
    for name, known in KNOWN.items():
        problem = optiform.load(NLP / f"{name}.opt").compile()
        cells = []
        for label, (backend, options) in backends.items():
            seconds, r = timed(problem, backend, options, repeat)
            err = (abs(r.objective - known) / max(1.0, abs(known))
                   if r.objective is not None else math.inf)
            ok = r.verified and err < 1e-4
            solved[label] += ok
            total[label] += seconds
            cells.append(f"{'ok' if ok else 'MISS'} {err:.0e}, {seconds:.2f} s")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **solved, total time** | " + " | ".join(
        f"**{solved[b]}/{len(KNOWN)}**, {total[b]:.1f} s" for b in backends) + " |")


def scaling(device: str, repeat: int) -> None:
    models = {"hs071": optiform.load(NLP / "hs071.opt").compile(),
              "hs100": optiform.load(NLP / "hs100.opt").compile(),
              "rosenbrock, n = 100": optiform.loads(CHAIN_100, file="chain100").compile()}
    print("\n| model | starts | seconds | starts/s | reached the best | objective |")
    print("|---|---|---|---|---|---|")
    for label, problem in models.items():
        for starts in (1, 16, 256):
            seconds, r = timed(problem, "torch", SolveOptions(starts=starts, device=device),
                               repeat)
            stats = r.solution.stats
            print(f"| {label} | {starts} | {seconds:.2f} | {starts / seconds:.1f} | "
                  f"{stats.get('starts_at_best', 0)} | {r.objective:.10g}"
                  f"{'' if r.verified else ' (not verified)'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    import torch

    print(f"{platform.node()}: {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, "
          f"device {args.device}, {time.strftime('%Y-%m-%d')}\n")
    # Pay torch's and cyipopt's import and first-call costs before anything is timed.
    warm = optiform.load(NLP / "hs006.opt").compile()
    solve(warm, "torch", SolveOptions(starts=2))
    solve(warm, "ipopt", SolveOptions())
    conformance(args.device, args.repeat)
    scaling(args.device, args.repeat)


if __name__ == "__main__":
    main()

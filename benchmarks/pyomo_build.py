"""Time building a Pyomo model: optiform's IR path against idiomatic hand-written Pyomo.

Two models of growing size, built both ways from the same data: a
transportation LP (`sum` over a row or a column per constraint) and a
nonlinear chain (Rosenbrock's function under a ring of quadratic
constraints). "hand" is the Pyomo a user would write: Sets, Params, a Var
over the sets, Constraints from rules with Python sums. "optiform" is
`load(...).compile()` (parse and ground) plus `pyomo.model.build` (the
Pyomo model from the IR's arrays and, for nonlinear blocks, from the AST over
each block's frame), reported apart; each time is the best of three. Both
models are then written as .nl, a check that what was built is an ordinary,
equally cheap Pyomo model.

Run by hand: `python benchmarks/pyomo_build.py [sizes...]`; results are
recorded in benchmarks/README.md with the machine and the date.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

import optiform
from optiform.backends.pyomo.model import build
from optiform.testing import TRANSPORT, transport_mapping

CHAIN = """
sets
  N
parameters
  r
variables
  x[N] in [-2, 2]
objective
  minimize f: sum(i in N : i < card(N)) (100 * (x[i + 1] - x[i]^2)^2 + (1 - x[i])^2)
constraints
  ring[i in N : i < card(N)]: x[i]^2 + x[i + 1]^2 <= r
"""


def hand_transport(d: dict[str, Any]) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=d["I"])
    m.J = pyo.Set(initialize=d["J"])
    m.supply = pyo.Param(m.I, initialize={int(k): v for k, v in d["supply"].items()})
    m.demand = pyo.Param(m.J, initialize={int(k): v for k, v in d["demand"].items()})
    m.cost = pyo.Param(m.I, m.J, initialize={(int(i), int(j)): c
                                             for i, row in d["cost"].items()
                                             for j, c in row.items()})
    m.x = pyo.Var(m.I, m.J, within=pyo.NonNegativeReals)
    m.total = pyo.Objective(expr=sum(m.cost[i, j] * m.x[i, j] for i in m.I for j in m.J))
    m.out = pyo.Constraint(m.I, rule=lambda m, i: sum(m.x[i, j] for j in m.J) <= m.supply[i])
    m.into = pyo.Constraint(m.J, rule=lambda m, j: sum(m.x[i, j] for i in m.I) >= m.demand[j])
    return m


def chain_data(n: int) -> dict[str, Any]:
    return {"N": list(range(1, n + 1)), "r": 1.5}


def hand_chain(d: dict[str, Any]) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.N = pyo.Set(initialize=d["N"])
    m.r = pyo.Param(initialize=d["r"])
    n = len(d["N"])
    m.x = pyo.Var(m.N, bounds=(-2, 2))
    m.f = pyo.Objective(expr=sum(100 * (m.x[i + 1] - m.x[i] ** 2) ** 2 + (1 - m.x[i]) ** 2
                                 for i in m.N if i < n))
    m.ring = pyo.Constraint([i for i in m.N if i < n],
                            rule=lambda m, i: m.x[i] ** 2 + m.x[i + 1] ** 2 <= m.r)
    return m


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    """The result and the best of `repeat` wall times (the machine may be shared)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        with PauseGC():  # Pyomo pauses the collector while it constructs; time both alike
            out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def write_nl(m: pyo.ConcreteModel) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        m.write(str(Path(tmp) / "m.nl"), format="nl")
        return time.perf_counter() - t0


def run(name: str, text: str, data: Callable[[int], dict[str, Any]],
        hand: Callable[[dict[str, Any]], pyo.ConcreteModel], sizes: list[int]) -> None:
    print(f"\n{name}")
    print(f"{'n':>6} {'vars':>9} {'nonzeros':>9} {'hand s':>8} {'ground s':>9} "
          f"{'build s':>8} {'optiform s':>10} {'nl hand':>8} {'nl ours':>8}")
    for n in sizes:
        d = data(n)
        hand_model, hand_s = timed(lambda d=d: hand(d))
        problem, ground_s = timed(lambda d=d: optiform.loads(text, data=d).compile())
        built, build_s = timed(lambda problem=problem: build(problem))
        ours = built.model
        ours.add_component("objective", pyo.Objective(
            expr=next(iter(built.objectives.values()))))
        nnz = sum(len(c.terms.lin_val) + len(c.terms.quad_val) for c in problem.constraints)
        print(f"{n:>6} {problem.n_vars:>9} {nnz:>9} {hand_s:>8.2f} {ground_s:>9.2f} "
              f"{build_s:>8.2f} {ground_s + build_s:>10.2f} {write_nl(hand_model):>8.2f} "
              f"{write_nl(ours):>8.2f}")


def main(sizes: list[int]) -> None:
    run("transportation LP (n x n variables)", TRANSPORT, transport_mapping, hand_transport,
        sizes)
    run("nonlinear chain (n variables)", CHAIN, chain_data, hand_chain,
        [s * s // 10 for s in sizes])


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300, 600])

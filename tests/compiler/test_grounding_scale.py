"""Grounding at scale: a 1,000 x 1,000 transportation model from a data mapping.

Only sizes and a sample of coefficients are checked; speed is measured in
`benchmarks/`, not asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

import optiform

TRANSPORT = """\
sets
  S
  D
parameters
  supply[S]
  demand[D]
  cost[S, D]
variables
  ship[S, D] >= 0
objective
  minimize total: sum(s in S, d in D) cost[s, d] * ship[s, d]
constraints
  out[s in S]: sum(d in D) ship[s, d] <= supply[s]
  into[d in D]: sum(s in S) ship[s, d] >= demand[d]
"""


@pytest.mark.slow
def test_transportation_1000_by_1000_grounds_every_nonzero() -> None:
    n = 1000
    rng = np.random.default_rng(7)
    plants = [f"s{i}" for i in range(n)]
    markets = [f"d{j}" for j in range(n)]
    costs = rng.integers(1, 100, size=(n, n)).astype(float)
    data = {
        "S": plants,
        "D": markets,
        "supply": {s: 1000.0 + i for i, s in enumerate(plants)},
        "demand": {d: 900.0 for d in markets},
        "cost": {s: dict(zip(markets, row.tolist(), strict=True))
                 for s, row in zip(plants, costs, strict=True)},
    }
    p = optiform.loads(TRANSPORT, data=data).compile()

    assert p.n_vars == n * n
    assert p.n_rows == 2 * n
    out = next(c for c in p.constraints if c.name == "out")
    into = next(c for c in p.constraints if c.name == "into")
    assert out.size == into.size == n
    assert len(out.terms.lin_val) + len(into.terms.lin_val) == 2 * n * n
    assert np.all(out.terms.lin_val == 1) and np.all(into.terms.lin_val == 1)
    # each column appears once in `out` and once in `into`
    assert np.array_equal(np.bincount(out.terms.lin_col, minlength=n * n), np.ones(n * n))
    assert np.array_equal(np.bincount(into.terms.lin_col, minlength=n * n), np.ones(n * n))
    assert np.array_equal(np.bincount(out.terms.lin_row, minlength=n), np.full(n, n))
    assert out.upper[17] == 1017 and np.all(np.isinf(out.lower))
    assert np.all(into.lower == 900)

    ship = p.variable("ship")
    obj = p.objectives[0].terms
    assert len(obj.lin_val) == n * n
    cost_by_col = np.zeros(n * n)
    np.add.at(cost_by_col, obj.lin_col, obj.lin_val)
    for s_i, d_j in [(0, 0), (123, 456), (999, 999), (500, 3)]:
        col = ship.offset + int(ship.index.lookup(
            [np.array([p.universe.encode(plants[s_i])]),
             np.array([p.universe.encode(markets[d_j])])])[0])
        assert cost_by_col[col] == costs[s_i, d_j]

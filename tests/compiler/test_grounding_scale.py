"""Grounding at scale: a 1,000 x 1,000 transportation model from a data mapping.

Only sizes and a sample of coefficients are checked; speed is measured in
`benchmarks/`, not asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

import optiform
from optiform.testing import TRANSPORT, transport_mapping


@pytest.mark.slow
def test_transportation_1000_by_1000_grounds_every_nonzero() -> None:
    n = 1000
    data = transport_mapping(n)
    data["supply"] = {str(i): 1000.0 + i for i in range(1, n + 1)}  # a value per row
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
    assert out.upper[17] == 1018 and np.all(np.isinf(out.lower))
    assert np.all(into.lower == 1)

    x = p.variable("x")
    obj = p.objectives[0].terms
    assert len(obj.lin_val) == n * n
    cost_by_col = np.zeros(n * n)
    np.add.at(cost_by_col, obj.lin_col, obj.lin_val)
    for i, j in [(1, 1), (124, 457), (1000, 1000), (501, 4)]:
        col = x.offset + int(x.index.lookup([np.array([p.universe.encode(i)]),
                                             np.array([p.universe.encode(j)])])[0])
        assert cost_by_col[col] == data["cost"][str(i)][str(j)]

"""Models the tests and benchmarks share, written once (linopy keeps its test helpers
in `testing.py`).

`MULTI_KNAPSACK` is a multi-dimensional knapsack whose data the caller draws:
with a few hundred items and dozens of rows HiGHS cannot close it in a second,
which is what the time-limit, interrupt and batch tests need. `TRANSPORT` is
the transportation LP of the grounding test and the benchmarks, and
`transport_mapping(n)` its n x n data as a JSON file would give it, one Python
value per entry (the shape whose reading the scale test and benchmarks time). `local_ray` is
the real local Ray the batch and eval tests run on. Imports Ray only when
`local_ray` is entered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from optiform.extras import require

MULTI_KNAPSACK = """\
sets
  I
  K
parameters
  value[I]
  w[K, I]
  cap
variables
  take[I] binary
objective
  maximize total: sum(i in I) value[i] * take[i]
constraints
  room[k in K]: sum(i in I) w[k, i] * take[i] <= cap
"""


TRANSPORT = """\
model transport "Ship from sources to sinks at least cost"
sets
  I  "sources"
  J  "sinks"
parameters
  supply[I]
  demand[J]
  cost[I, J]
variables
  x[I, J] >= 0
objective
  minimize total: sum(i in I, j in J) cost[i, j] * x[i, j]
constraints
  out[i in I]:  sum(j in J) x[i, j] <= supply[i]
  into[j in J]: sum(i in I) x[i, j] >= demand[j]
"""


def transport_mapping(n: int, seed: int = 0) -> dict[str, Any]:
    """`TRANSPORT`'s data for n sources and n sinks, members 1..n: each source supplies
    2, each sink needs 1, costs uniform in [1, 10); nested dicts keyed by strings."""
    cost = np.random.default_rng(seed).uniform(1, 10, size=(n, n))
    members = list(range(1, n + 1))
    return {"I": members, "J": members,
            "supply": {str(i): 2.0 for i in members},
            "demand": {str(j): 1.0 for j in members},
            "cost": {str(i + 1): dict(zip(map(str, members), row.tolist(), strict=True))
                     for i, row in enumerate(cost)}}


@contextmanager
def local_ray(cpus: int = 2) -> Iterator[None]:
    """A local Ray of `cpus` CPUs, no dashboard, workers' logs kept off the test output;
    shut down on the way out."""
    ray = require("ray", "a local Ray")
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()

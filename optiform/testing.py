"""Models the tests share, written once (linopy keeps its test helpers in `testing.py`).

`MULTI_KNAPSACK` is a multi-dimensional knapsack whose data the caller draws:
with a few hundred items and dozens of rows HiGHS cannot close it in a second,
which is what the time-limit, interrupt and batch tests need. `local_ray` is
the real local Ray the batch and eval tests run on. Imports Ray only when
`local_ray` is entered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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

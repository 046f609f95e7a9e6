"""Many solves of one model: `optiform batch` and `optiform.batch`.

One scenario per data file, or per point of a grid over scalar parameters
crossed with the files, each compiled, solved and checked as `solve` does it,
on a local process pool or on Ray; one row per scenario in a table written as
it grows. May import the compiler and the backends, never the agents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.api import Model
from optiform.batching.run import BatchRun, run_batch
from optiform.batching.scenarios import GridValue
from optiform.batching.worker import SolveSettings
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.extras import require

if TYPE_CHECKING:
    import pandas

__all__ = ["BatchRun", "batch", "run_batch"]


def batch(model: str | Path | Model, datas: Sequence[str | Path] = (), *,
          engine: str = "processes", grid: Mapping[str, Sequence[GridValue]] | None = None,
          workers: int | None = None, address: str | None = None,
          output: str | Path | None = None, values: str | Path | None = None,
          backend: str = "auto", time_limit: float | None = None,
          mip_gap: float | None = None, max_size: int = DEFAULT_MAX_SIZE) -> pandas.DataFrame:
    """Solve `model` once per data file in `datas` (JSON, YAML, CSV folders) and per
    point of `grid` ({"budget": [100, 200]} sets a scalar parameter), and return one
    row per scenario as a DataFrame, in scenario order. `model` is a path, or a
    loaded `Model` whose data every scenario starts from (a file's names replace it).

    `engine` is "processes" (a local pool of `workers`, the CPU count by default)
    or "ray" (a local Ray of `workers` CPUs, the cluster at `address`, or the Ray
    this process already started). `output` (.csv or .parquet) is written row by
    row and resumed: its scenarios are not solved again, and its rows are in the
    table. `values` is a folder that gets `<scenario>/<variable>.csv` for each
    scenario with a point. A scenario that fails has status `error` and says why
    in `error`; the others go on.
    """
    pd: Any = require("pandas", "optiform.batch")
    run = run_batch(model, datas, grid=grid, engine=engine, workers=workers,
                    address=address, output=output, values=values,
                    settings=SolveSettings(backend, time_limit, mip_gap, max_size))
    return pd.DataFrame(run.mine, columns=run.header)

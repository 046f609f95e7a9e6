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

from optiform import arguments as arg
from optiform.api import Model
from optiform.batching.engines import ENGINES
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
    in `error`; the others go on. What is wrong whatever the data raises
    DiagnosticError before any scenario runs or anything is written: the model's
    syntax and names (as `check` finds them), a grid name that is not a scalar
    parameter, a grid value that is not a number or is given twice, a data file
    given twice.
    """
    _check_arguments(model, datas, engine, grid, workers, address, output, values, backend,
                     time_limit, mip_gap, max_size)
    pd: Any = require("pandas", "optiform.batch")
    run = run_batch(model, datas, grid=grid, engine=engine, workers=workers,
                    address=address, output=output, values=values,
                    settings=SolveSettings(backend, time_limit, mip_gap, max_size))
    return pd.DataFrame(run.mine, columns=run.header)


def _check_arguments(model: object, datas: object, engine: object, grid: object,
                     workers: object, address: object, output: object, values: object,
                     backend: object, time_limit: object, mip_gap: object,
                     max_size: object) -> None:
    """Wrong types and values refused by name at the edge, as `load` and `solve` do."""
    if not isinstance(model, Model):
        arg.path("model", model)
    if isinstance(datas, (str, bytes, Path)) or not isinstance(datas, Sequence):
        raise TypeError(f"datas: expected a list of data files, not {type(datas).__name__}")
    for item in datas:
        arg.path("datas", item)
    arg.choice("engine", engine, tuple(ENGINES))
    if grid is not None and not isinstance(grid, Mapping):
        raise TypeError(f"grid: expected a mapping of names to values, not "
                        f"{type(grid).__name__}")
    for name, points in (grid or {}).items():
        if isinstance(points, (str, bytes)) or not isinstance(points, Sequence):
            raise TypeError(f"grid[{name!r}]: expected a list of numbers, not "
                            f"{type(points).__name__}")
    arg.optional_integer("workers", workers, 1)
    arg.optional_text("address", address)
    for name, where in (("output", output), ("values", values)):
        if where is not None:
            arg.path(name, where)
    arg.text("backend", backend)
    arg.optional_number("time_limit", time_limit)
    arg.optional_number("mip_gap", mip_gap)
    arg.integer("max_size", max_size, 1, arg.MAX_SIZE)

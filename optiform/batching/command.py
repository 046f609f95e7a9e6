"""`optiform batch`: the command line of a batch; the work is `run.run_batch`'s.

Progress, the engine line and the summary go to stderr; without `--output`
the table itself goes to stdout as CSV, row by row. Exit codes: 0 every
scenario solved and checked; 1 the model fails the checks that need no data
(syntax, names), the grid does not fit it (a name that is not a scalar
parameter, a value that is not a number or is given twice) or a data file is
given twice (nothing runs, nothing is written); 2 usage (a --grid that is
not NAME=V1,V2,...), or an output that cannot be resumed;
5 some scenario without a verified solution (its row says why), Ray not
installed, or no Ray cluster at the address; 7 the table or a --values file
cannot be written; 141 stdout closed early; 130 Ctrl-C (the finished rows are kept).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from optiform.batching.engines import EngineError
from optiform.batching.run import BatchRun, run_batch
from optiform.batching.scenarios import parse_grid
from optiform.batching.table import OutputError
from optiform.batching.worker import SolveSettings
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.diagnostics import DiagnosticError
from optiform.extras import MissingExtra
from optiform.solution import ExitCode
from optiform.writing import OutputError as WriteError

err = Console(stderr=True, highlight=False, soft_wrap=True)
INTERRUPTED = 130


def batch(
    model: Annotated[Path, typer.Argument(help="The model file (.opt).", exists=True,
                                          dir_okay=False, readable=True)],
    datas: Annotated[list[Path] | None, typer.Argument(
        help="Data files, one scenario each: JSON, YAML, or folders of CSV files.",
        exists=True, show_default=False, metavar="DATA")] = None,
    grid: Annotated[list[str] | None, typer.Option(
        help="NAME=V1,V2,...: a scalar parameter's values, crossed with the files and "
             "the other grids; repeat for more.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The table, FILE.csv or FILE.parquet, written row by row; "
        "an existing one is resumed. CSV on stdout when left out.", dir_okay=False)] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Processes, or a local Ray's CPUs (this machine's CPU count).")] = None,
    ray: Annotated[bool, typer.Option(
        "--ray", help="Run on Ray: a local instance, or the cluster at --address.")] = False,
    address: Annotated[str | None, typer.Option(
        help="With --ray: the cluster to join (HOST:PORT, ray://HOST:PORT, auto); "
             "RAY_ADDRESS when left out.")] = None,
    values: Annotated[Path | None, typer.Option(
        help="Write each scenario's variable values to DIR/SCENARIO/VARIABLE.csv.",
        file_okay=False)] = None,
    backend: Annotated[str, typer.Option(help="auto, or a backend name.")] = "auto",
    time_limit: Annotated[float | None, typer.Option(
        help="Seconds before giving up, per scenario.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap to stop at.")] = None,
    max_size: Annotated[int, typer.Option(
        help="Most rows one index may expand to while grounding.")] = DEFAULT_MAX_SIZE,
) -> None:
    """Solve a model once per data file and grid point, one row per scenario."""
    try:
        points = parse_grid(grid or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--grid") from None
    if not datas and not points:
        raise typer.BadParameter("give data files, a --grid, or both", param_hint="DATA")
    if address is not None and not ray:
        raise typer.BadParameter("joins a Ray cluster: give --ray too", param_hint="--address")
    address = address or (os.environ.get("RAY_ADDRESS") if ray else None)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                        console=err, transient=False)
    state: dict[str, Any] = {}

    def start(run: BatchRun) -> None:
        err.print(f"engine: {run.engine}", markup=False)
        if run.skipped:
            err.print(f"{run.skipped} of {run.total} scenarios already in {output}: "
                      "skipped", markup=False)
        progress.start()
        state["task"] = progress.add_task("batch", total=run.total - run.skipped, failed="")
        state["failed"] = 0

    def row(r: dict[str, Any]) -> None:
        state["failed"] += r["status"] == "error"
        progress.update(state["task"], advance=1,
                        failed=f"{state['failed']} failed" if state["failed"] else "")

    def stream(text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # `| head`: the command line's quiet 141
        except OSError as exc:
            raise WriteError(f"cannot write to standard output: {exc.strerror or exc}"
                             ) from None

    try:
        run = run_batch(model, datas or [], grid=points, engine="ray" if ray else "processes",
                        workers=workers, address=address, output=output, values=values,
                        settings=SolveSettings(backend, time_limit, mip_gap, max_size),
                        on_start=start, on_row=row, stream=stream)
    except DiagnosticError as exc:
        _stop(progress, str(exc), ExitCode.MODEL_ERROR)
    except OutputError as exc:
        _stop(progress, f"error: {exc}", 2)
    except WriteError as exc:
        _stop(progress, f"error: {exc}", ExitCode.OUTPUT_ERROR)
    except (MissingExtra, EngineError) as exc:
        _stop(progress, f"error: {exc}", ExitCode.NO_SOLUTION)
    except KeyboardInterrupt:
        where = f" are in {output}; run the same command again to resume" if output else \
            " were printed"
        _stop(progress, f"interrupted: the finished rows{where}", INTERRUPTED)
    progress.stop()
    _summary(run, output)
    raise typer.Exit(int(ExitCode.OK if not run.unverified else ExitCode.NO_SOLUTION))


def _stop(progress: Progress, message: str, code: int) -> NoReturn:
    if progress.live.is_started:  # stopping one never started prints an empty line
        progress.stop()
    err.print(message, markup=False)
    raise typer.Exit(int(code))


def _summary(run: BatchRun, output: Path | None) -> None:
    mine = run.mine
    counts = Counter(str(r["status"]) for r in mine)
    told = ", ".join(f"{n} {status}" for status, n in  # most first, then by name
                     sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    where = f"; the table is in {output}" if output else ""
    err.print(f"{len(mine)} of {run.total} scenarios done: {told or 'none'}{where}",
              markup=False)
    if run.unverified:
        err.print(f"{run.unverified} without a verified solution: see their status and "
                  "error columns", markup=False)

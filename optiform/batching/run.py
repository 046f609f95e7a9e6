"""A batch from start to end, on the driver: scenarios in, one row each out.

The driver parses the model once and checks what needs no data (a model
wrong whatever the data, a grid or files that do not fit it stop the batch
before it writes anything), reads each scenario's data file as its task is
sent (a file that cannot be read is that scenario's failed row, at once),
and writes each row, and its values under `--values`, as it comes back. Rows
already in the output are skipped. A scenario stopped by Ctrl-C is not a
finished row, so it is not written and a resumed run solves it again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optiform.api import Model
from optiform.batching.engines import ENGINES, Engine
from optiform.batching.scenarios import GridValue, Scenario, check_grid, scenarios
from optiform.batching.table import Output, cell, columns, open_output, row_key
from optiform.batching.worker import (
    Outcome,
    SolveSettings,
    Task,
    error_text,
    outcome_fields,
    solve_task,
)
from optiform.compiler.resolve import resolve
from optiform.diagnostics import DiagnosticError
from optiform.dsl import ast as A
from optiform.dsl.data import DataItem, load_data
from optiform.dsl.parser import parse_file
from optiform.writing import OutputError as WriteError


@dataclass
class BatchRun:
    """What a batch did: its columns, every row (those resumed first), and counts."""

    header: list[str]
    engine: str = ""
    total: int = 0  # scenarios in the batch
    skipped: int = 0  # already in the output
    rows: list[dict[str, Any]] = field(default_factory=list)
    order: dict[tuple[str, ...], int] = field(default_factory=dict)  # key -> scenario number
    grid: list[str] = field(default_factory=list)

    @property
    def mine(self) -> list[dict[str, Any]]:
        """The rows of this batch's scenarios, in scenario order (an output file may
        also hold rows of scenarios no longer asked for)."""
        numbered = [(self.order.get(row_key(r, self.grid), -1), r) for r in self.rows]
        return [r for _, r in sorted((x for x in numbered if x[0] >= 0), key=lambda x: x[0])]

    @property
    def unverified(self) -> int:
        """This batch's rows without a solution the checker passed (infeasible, failed)."""
        return sum(r["check"] != "feasible" for r in self.mine)


class Stream:
    """No output file: each row printed as a CSV line to `write` (stdout)."""

    def __init__(self, header: list[str], write: Callable[[str], None]) -> None:
        self.rows: list[dict[str, Any]] = []
        self.write = write
        self.buffer = io.StringIO()
        self.writer = csv.DictWriter(self.buffer, header, lineterminator="\n")
        self.writer.writeheader()  # sent with the first row, after the engine started

    def _flush(self) -> None:
        self.write(self.buffer.getvalue())
        self.buffer.seek(0)
        self.buffer.truncate()

    def append(self, row: dict[str, Any]) -> None:
        self.writer.writerow({k: cell(v) for k, v in row.items()})
        self._flush()
        self.rows.append(row)

    def close(self) -> None:
        pass


def run_batch(model: str | Path | Model, datas: Sequence[str | Path] = (), *,
              grid: Mapping[str, Sequence[GridValue | str]] | None = None,
              engine: str = "processes", workers: int | None = None,
              address: str | None = None, output: str | Path | None = None,
              values: str | Path | None = None, settings: SolveSettings | None = None,
              on_start: Callable[[BatchRun], None] | None = None,
              on_row: Callable[[dict[str, Any]], None] | None = None,
              stream: Callable[[str], None] | None = None) -> BatchRun:
    """Solve every scenario of `datas` x `grid` on `engine`; see `optiform.batch`.

    `on_start` sees the run once the engine is up (its `engine` line and counts
    set), `on_row` each new row; without `output`, `stream` gets the table as
    CSV text, row by row. Raises DiagnosticError, before anything is run or
    written, for a model that fails `optiform check`'s checks that need no data
    (syntax, names), a grid that does not fit it, or a data file given twice;
    OutputError for an output that cannot be resumed, writing.OutputError for a
    file that cannot be written, MissingExtra when the engine's library is
    missing.
    """
    decl = model.decl if isinstance(model, Model) else parse_file(model)
    resolve(decl)  # what needs no data fails here once, not in every scenario's row
    base = dict(model.data) if isinstance(model, Model) else {}
    grid = check_grid(decl, grid or {})
    make = ENGINES.get(engine)
    if make is None:
        raise ValueError(f"unknown engine `{engine}`: use {' or '.join(ENGINES)}")
    settings = settings or SolveSettings()
    if values is not None:
        settings = replace(settings, values=True)
    header = columns(decl, list(grid))
    todo = scenarios(datas, grid)
    with _writing(output):
        sink: Output | Stream = (open_output(Path(output), header) if output is not None
                                 else Stream(header, stream or (lambda _: None)))
    run = BatchRun(header, total=len(todo), rows=list(sink.rows),
                   order={s.key: n for n, s in enumerate(todo)}, grid=list(grid))
    done = {row_key(r, list(grid)) for r in run.rows}
    pending = [s for s in todo if s.key not in done]
    run.skipped = len(todo) - len(pending)

    def record(scenario: Scenario, outcome: Outcome) -> None:
        if outcome.interrupted:
            return
        if values is not None and outcome.values:
            folder = Path(values) / scenario.id
            with _writing(folder):
                folder.mkdir(parents=True, exist_ok=True)
                for name, text in outcome.values.items():
                    (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        row = {"scenario": scenario.id, "data": scenario.data or "", **dict(scenario.grid),
               **outcome_fields(outcome)}
        with _writing(output):
            sink.append(row)
        run.rows.append(row)
        if on_row is not None:
            on_row(row)

    try:
        with make(workers, address) as runner:
            run.engine = runner.describe()
            if on_start is not None:
                on_start(run)
            _drive(runner, decl, base, pending, settings, record)
    finally:
        with _writing(output):
            sink.close()
    return run


@contextmanager
def _writing(path: str | Path | None) -> Iterator[None]:
    """A file of the batch's that cannot be written (a full disk, no such folder) as
    `writing.OutputError`, which names it (exit 7), not a traceback. Without a path
    the table goes to `stream`, whose own errors pass through."""
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        if path is None:
            raise
        failed = exc.filename is not None and str(exc.filename) != str(path)
        where = f"`{exc.filename}`: " if failed else ""  # the folder above it, say
        raise WriteError(f"cannot write `{path}`: {where}{exc.strerror or exc}") from None


def _drive(runner: Engine, decl: A.ModelDecl, base: dict[str, DataItem],
           pending: list[Scenario], settings: SolveSettings,
           record: Callable[[Scenario, Outcome], None]) -> None:
    """Send each pending scenario with its data (a file's names over `base`'s)."""
    by_number = dict(enumerate(pending))

    def tasks() -> Iterator[Task]:
        cached: tuple[str | None, dict[str, DataItem]] = (None, base)
        for number, scenario in by_number.items():
            if scenario.data is not None and cached[0] != scenario.data:
                try:
                    cached = (scenario.data, {**base, **load_data(scenario.data)})
                except (DiagnosticError, OSError) as exc:  # OSError: unreadable file
                    record(scenario, Outcome.failed(error_text(exc)))
                    continue
            yield Task(number, cached[1] if scenario.data else base, scenario.grid, settings)

    for task, outcome in runner.map(solve_task, decl, tasks(), Outcome.failed):
        record(by_number[task.number], outcome)

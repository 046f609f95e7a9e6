"""The batch's table: its columns, and the output file written row by row.

A CSV output is appended to and flushed after each row; a parquet one is
rewritten to a temporary file renamed over the old one, with the rows since
in a CSV journal beside it. Either way a crash loses no finished row, and an
existing file is read back first so that its scenarios are skipped (matched
by data path and grid values). pyarrow is imported only for parquet, through
`extras.require`.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from optiform.dsl import ast as A
from optiform.extras import require

RESULT_COLUMNS = ("status", "objective")
CHECK_COLUMNS = ("check", "max_violation", "seconds", "solve_seconds", "error")
NUMERIC = {"objective", "max_violation", "seconds", "solve_seconds"}


class OutputError(ValueError):
    """An output file that cannot be written or resumed; the message says why."""


def columns(decl: A.ModelDecl, grid: Sequence[str]) -> list[str]:
    """`scenario`, `data`, the grid's names, `status`, `objective`, one
    `objective.NAME` per objective, the check's verdict and largest violation,
    the times and the error."""
    return ["scenario", "data", *grid, *RESULT_COLUMNS,
            *(f"objective.{o.name}" for o in decl.objectives), *CHECK_COLUMNS]


def row_key(row: dict[str, Any], grid: Sequence[str]) -> tuple[str, ...]:
    """The key of `Scenario.key` for a row, read back from a file or not."""
    return (_text(row.get("data")), *(_text(row.get(name)) for name in grid))


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


class Output(Protocol):
    rows: list[dict[str, Any]]  # what the file held when opened, then each row appended

    def append(self, row: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class CsvOutput:
    def __init__(self, path: Path, header: list[str], fresh: bool = False) -> None:
        """`fresh`: start the file over instead of resuming it."""
        self.path, self.header = path, header
        resumed = not fresh and path.exists() and path.stat().st_size > 0
        self.rows = self._read() if resumed else []
        new = not resumed
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[str] = path.open("w" if fresh else "a", encoding="utf-8", newline="")
        self.writer = csv.DictWriter(self.file, header, lineterminator="\n")
        if new:
            self.writer.writeheader()
            self.file.flush()

    def _read(self) -> list[dict[str, Any]]:
        with self.path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            _same_columns(self.path, list(reader.fieldnames or []), self.header)
            # A last line cut short by a crash has too few cells: it is redone.
            grid = self.header[2:self.header.index("status")]
            return [_typed(r, grid) for r in reader if None not in r.values()]

    def append(self, row: dict[str, Any]) -> None:
        self.writer.writerow({k: cell(row.get(k)) for k in self.header})
        self.file.flush()
        self.rows.append(row)

    def close(self) -> None:
        self.file.close()


class ParquetOutput:
    """A parquet file, with a CSV journal beside it for the rows since its last rewrite.

    Rewriting the whole file on every row would cost time quadratic in the rows (12 s
    over 2,000), so each row is appended to the journal (flushed, as `CsvOutput`
    does) and the parquet file is rewritten, to a temporary file renamed over it, at
    most once every `every` seconds and at the end; then the journal is emptied. A
    crash leaves the journal, which the next run reads back and folds in.
    """

    every = 1.0

    def __init__(self, path: Path, header: list[str]) -> None:
        self.pq = require("pyarrow.parquet", "--output FILE.parquet")
        self.pa = require("pyarrow", "--output FILE.parquet")
        self.path, self.header = path, header
        self.journal_path = path.with_name(f".{path.name}.rows.csv")
        rows: list[dict[str, Any]] = []
        if path.exists():
            table = self.pq.read_table(path)
            _same_columns(path, table.column_names, header)
            rows = table.to_pylist()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.journal = CsvOutput(self.journal_path, header)
        grid = header[2:header.index("status")]
        # A crash between the rename and the emptying leaves rows in both: keep one.
        self.rows = list({row_key(r, grid): r for r in rows + self.journal.rows}.values())
        self.written = time.monotonic()
        if self.journal.rows:
            self._write()

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.journal.append(row)
        if time.monotonic() - self.written >= self.every:
            self._write()

    def _write(self) -> None:
        fields = [(name, self.pa.float64() if name in NUMERIC or name.startswith("objective.")
                   else None) for name in self.header]
        arrays = [self.pa.array([r.get(name) for r in self.rows], type=kind)
                  for name, kind in fields]
        table = self.pa.Table.from_arrays(arrays, names=self.header)
        partial = self.path.with_name(f".{self.path.name}.partial")
        self.pq.write_table(table, partial)
        os.replace(partial, self.path)
        self.journal.close()
        self.journal = CsvOutput(self.journal_path, self.header, fresh=True)
        self.written = time.monotonic()

    def close(self) -> None:
        self._write()
        self.journal.close()
        self.journal_path.unlink()


OUTPUTS: dict[str, Callable[[Path, list[str]], Output]] = {
    ".csv": CsvOutput, ".parquet": ParquetOutput}


def open_output(path: Path, header: list[str]) -> Output:
    kind = OUTPUTS.get(path.suffix.lower())
    if kind is None:
        raise OutputError(f"--output `{path}`: write a .csv or a .parquet file")
    return kind(path, header)


def _same_columns(path: Path, found: list[str], header: list[str]) -> None:
    if found != header:
        raise OutputError(
            f"`{path}` holds another batch's table (columns {', '.join(found)}), not this "
            f"one's ({', '.join(header)}); give another --output, or delete it to start over")


def cell(value: Any) -> Any:
    """A CSV cell: empty for no value, a float as Python writes it back exactly."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else value


def _typed(row: dict[str, str], grid: Sequence[str]) -> dict[str, Any]:
    """A CSV row with its numbers as numbers again (NaN where a result is empty)."""
    out: dict[str, Any] = dict(row)
    for name, text in row.items():
        if name in NUMERIC or name.startswith("objective."):
            out[name] = float(text) if text else math.nan
        elif name in grid and text:
            out[name] = int(text) if text.lstrip("+-").isdigit() else float(text)
    return out

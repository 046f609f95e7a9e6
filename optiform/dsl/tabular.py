"""pandas objects and parquet files as `Table`s of arrays, for the compiler.

A million entries must reach the compiler with no Python call per entry, so
a column is handed on as numbers or as `Coded` (distinct members and row
positions, from pandas' factorize or a parquet dictionary), and the compiler
encodes each distinct member once. What a pandas object means depends on the
name's declaration (`from_pandas`):

- a set: an Index (a MultiIndex for tuples), a Series (its values), a list,
  or a DataFrame (its rows; a named index gives the leading positions);
- a parameter: a Series indexed by members (a MultiIndex for several
  positions), or a DataFrame: one column over its index, or with a plain
  RangeIndex the layout of a CSV file (index columns, then the value);
- any other name: a DataFrame whose columns are parameters over its index.

A NaN value means the entry is absent (the parameter's default, if any). A
polars DataFrame or Series is read as its pandas twin (`to_pandas`).
pandas is never imported here: only objects that are pandas' reach it;
pyarrow is imported for a parquet file only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from optiform.diagnostics import Diagnostic, DiagnosticError, Span, suggest
from optiform.dsl.data import Coded, Column, DataItem, Table
from optiform.extras import require


def is_frame_like(value: Any) -> bool:
    """A pandas or polars object, told without importing either (pyoframe's test)."""
    return any(c.__module__.split(".")[0] in ("pandas", "polars")
               for c in type(value).__mro__)


def from_pandas(name: str, value: Any, sets: set[str], params: set[str]) -> list[DataItem]:
    """The data items a pandas object gives, by what the model declares `name` as; a
    polars one is read as its pandas twin (no index: a frame has the CSV layout)."""
    pd = require("pandas", "pandas data")
    if type(value).__module__.split(".")[0] == "polars":
        value = value.to_pandas()
    span = Span(f'data["{name}"]', 1, 1)
    what = f"the {type(value).__name__} for `{name}`"
    if isinstance(value, pd.DataFrame):
        if name in sets:
            frame = value if _plain_index(value.index, pd) else value.reset_index()
            return [_item(name, _table(frame, what, list(frame.columns)), span)]
        if name in params:
            if _plain_index(value.index, pd):
                return [_item(name, _table(value, what, list(value.columns)), span)]
            if value.shape[1] != 1:
                hint = (f"give `{name}` one column, or name a column `{name}` among others"
                        if name not in value.columns else None)
                if hint:
                    raise _error(f"{what} has {value.shape[1]} columns for one parameter",
                                 span, hint)
                value = value[[name]]
            return [_item(name, _series_table(value.iloc[:, 0], what, pd), span)]
        return _parameter_columns(name, value, params, span, pd)
    if isinstance(value, pd.Series):
        if name in sets:
            return [_item(name, _table(value.to_frame(), what, [value.name or name]), span)]
        return [_item(name, _series_table(value, what, pd), span)]
    if isinstance(value, pd.Index):
        if name in params:
            raise _error(f"{what} has members but no values", span,
                         "a parameter takes a Series indexed by its members")
        return [_item(name, _index_table(value, what, pd), span)]
    raise _error(f"{what} is not data optiform reads", span,
                 "give a Series, a DataFrame or an Index")


def _item(name: str, table: Table, span: Span) -> DataItem:
    return DataItem(name, table, span)


def _error(message: str, span: Span, hint: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(message, span, hint, kind="data")])


def _plain_index(index: Any, pd: Any) -> bool:
    """An index pandas made up (0, 1, 2... unnamed): not members of anything."""
    return isinstance(index, pd.RangeIndex) and index.name is None


def _parameter_columns(name: str, frame: Any, params: set[str], span: Span,
                       pd: Any) -> list[DataItem]:
    items = []
    for column in frame.columns:
        if column not in params:
            hint = suggest(str(column), params) or (
                "a DataFrame under a name that is not declared gives one parameter per "
                "column: name its columns after parameters")
            raise _error(f"column `{column}` of the DataFrame `{name}` is not a declared "
                         "parameter", span, hint)
        what = f"column `{column}` of the DataFrame `{name}`"
        items.append(_item(str(column), _series_table(frame[column], what, pd),
                           Span(f'data["{name}"]["{column}"]', 1, 1)))
    return items


def _series_table(series: Any, what: str, pd: Any) -> Table:
    """Index levels, then the values; rows whose value is NaN are left out."""
    index = _index_columns(series.index, pd)
    values = series.to_numpy()
    if values.dtype.kind in "iuf":
        values = values.astype(float)
        keep = ~np.isnan(values)
    else:  # text such as "inf", or worse: the compiler reads each, with its row
        keep = ~pd.isna(series).to_numpy()
        values = np.array([str(v) for v in values], dtype=object)
    lines = np.arange(1, len(values) + 1, dtype=np.int64)
    columns: list[Column] = [*index, values if values.dtype != object else list(values)]
    if not keep.all():
        columns = [_take(c, keep) for c in columns]
        lines = lines[keep]
    names = [str(n) if n is not None else f"level {k}"
             for k, n in enumerate(series.index.names)]
    value_name = str(series.name) if series.name is not None else "value"
    return Table((*names, value_name), tuple(columns), lines, what)


def _index_table(index: Any, what: str, pd: Any) -> Table:
    names = [str(n) if n is not None else f"level {k}" for k, n in enumerate(index.names)]
    return Table(tuple(names), tuple(_index_columns(index, pd)),
                 np.arange(1, len(index) + 1, dtype=np.int64), what)


def _table(frame: Any, what: str, names: list[Any]) -> Table:
    columns = tuple(_column(frame.iloc[:, k]) for k in range(frame.shape[1]))
    return Table(tuple(map(str, names)), columns,
                 np.arange(1, len(frame) + 1, dtype=np.int64), what)


def _index_columns(index: Any, pd: Any) -> list[Column]:
    if isinstance(index, pd.MultiIndex):
        return [_column(index.get_level_values(k)) for k in range(index.nlevels)]
    return [_column(index)]


def _column(values: Any) -> Column:
    """A pandas column as numbers, or as distinct members and positions."""
    array = np.asarray(values) if values.dtype.kind in "iuf" else None
    if array is not None:
        return array
    import pandas as pd  # only pandas objects get here

    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    return Coded(list(uniques.tolist()), np.asarray(positions, dtype=np.int64))


def _take(column: Column, keep: np.ndarray) -> Column:
    if isinstance(column, Coded):
        return Coded(column.uniques, column.positions[keep])
    if isinstance(column, np.ndarray):
        return column[keep]
    return [c for c, k in zip(column, keep.tolist(), strict=True) if k]


def read_parquet(path: Path) -> Table:
    """A parquet file's columns as numbers or dictionaries, in one read."""
    pq = require("pyarrow.parquet", f"reading {path.name}")
    pa = require("pyarrow", f"reading {path.name}")
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise _error(f"unreadable parquet file: {exc}", Span(str(path), 1, 1)) from None
    columns: list[Column] = []
    for chunked in table.columns:
        column = chunked.combine_chunks()
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            columns.append(column.to_numpy(zero_copy_only=False))
            continue
        if not pa.types.is_dictionary(kind):
            column = column.dictionary_encode()
        positions = column.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        columns.append(Coded(column.dictionary.to_pylist(),
                             np.asarray(positions, dtype=np.int64)))
    return Table(tuple(table.column_names), tuple(columns),
                 np.arange(1, table.num_rows + 1, dtype=np.int64), f"`{path.name}`")

"""A solution's values as columns: index names, decoded key columns, JSON-ready
values and the `--json` entry lists, all from the numpy arrays.

An answer of a million values must not cost a Python call per value before
the user asks for Python objects (issue 13's profile put 7 s of an 18 s run
in a dict of key tuples). Members are decoded per distinct code, values
cleaned as whole arrays; only the JSON text itself is one string per entry.
Imports numpy, the keys and the AST; pandas lives in `optiform/frames.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import numpy as np

from optiform.compiler.keys import SYMBOL_BASE, Universe, unique_sorted
from optiform.dsl import ast as A

NONZERO = 1e-9  # the table hides values smaller than this
CHUNK = 1 << 16  # rows of JSON text built at a time


def index_names(index: A.Index | None, arity: int, set_arity: dict[str, int]) -> list[str]:
    """A column name per key position: the declared set's name, `_2`, `_3`... on repeats.

    A tuple set's positions repeat its name (`ARCS`, `ARCS_2`); a set written as
    an expression (`1..T`) is named by its index name (`t`), else `index`.
    """
    bases: list[str] = []
    for b in index.binders if index is not None else ():
        if isinstance(b.set, A.Name):
            width = len(b.names) if b.names else set_arity.get(b.set.name, 1)
            bases.extend([b.set.name] * width)
        elif b.names:
            bases.extend(b.names)
        else:
            bases.append("index")
    if len(bases) != arity:
        bases = ["index"] * arity
    names: list[str] = []
    for base in bases:
        name, k = base, 1
        while name in names or name in ("value", "dual", "slack"):
            k += 1
            name = f"{base}_{k}"
        names.append(name)
    return names


def key_columns(universe: Universe, keys: np.ndarray) -> list[np.ndarray]:
    """The members of each key position: int64 for integer sets, objects otherwise."""
    return [universe.decode_column(keys[:, c]) for c in range(keys.shape[1])]


def clean(values: np.ndarray) -> list[float | None]:
    """Values as JSON numbers: within 1e-9 of an integer rounded to it, a NaN or an
    infinity `None` (JSON has neither)."""
    x = np.asarray(values, dtype=float)
    items: list[float | None] = _cleaned(x).tolist()
    bad = ~np.isfinite(x)
    if bad.any():
        for i in np.flatnonzero(bad).tolist():
            items[i] = None
    return items


def entries(universe: Universe, keys: np.ndarray, values: np.ndarray) -> list[dict[str, Any]]:
    """`[{"index": [...], "value": v}, ...]`, the shape `to_dict()` gives a block."""
    cols = [c.tolist() for c in key_columns(universe, keys)]
    rows = zip(*cols, strict=True) if cols else ([] for _ in range(len(values)))
    return [{"index": list(k), "value": v} for k, v in zip(rows, clean(values), strict=True)]


def entries_json(universe: Universe, keys: np.ndarray, values: np.ndarray,
                 indent: int) -> Iterator[str]:
    """The JSON text of `entries(...)`, one entry a line at `indent`, yielded a
    slice of rows at a time (a million entries are never one text). Each distinct
    member and value is written once, with the text around it; a row is then the
    sum of object arrays, which numpy adds in C."""
    if len(values) == 0:
        yield "[]"
        return
    pad = " " * indent
    arity = keys.shape[1]
    yield f"[\n{pad}"
    for start in range(0, len(values), CHUNK):
        stop = start + CHUNK
        rows: Any = '{"index": [], "value": ' if arity == 0 else None
        for c in range(arity):
            before = '{"index": [' if c == 0 else ""
            after = '], "value": ' if c == arity - 1 else ", "
            column = text_column(keys[start:stop, c], partial(_member_text, universe, before,
                                                          after))
            rows = column if rows is None else rows + column
        rows = rows + text_column(_cleaned(values[start:stop]), _number_text)
        if start:
            yield f"}},\n{pad}"
        yield f"}},\n{pad}".join(rows.tolist())
    yield f"}}\n{' ' * (indent - 2)}]"


def text_column(column: np.ndarray, text: Callable[[Any], str]) -> np.ndarray:
    """`text` of each row's entry, as an object array, called once per distinct entry."""
    uniq = unique_sorted(column)
    return np.array([text(u) for u in uniq.tolist()], dtype=object)[
        np.searchsorted(uniq, column)]


def _member_text(universe: Universe, before: str, after: str, code: int) -> str:
    member = json.dumps(universe.decode(code)) if code >= SYMBOL_BASE else str(code)
    return before + member + after


def _cleaned(values: np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    r = np.round(x)
    with np.errstate(invalid="ignore"):  # inf - inf: not near an integer, kept as it is
        return np.where(np.abs(x - r) < NONZERO, r, x) + 0.0


def _number_text(v: float) -> str:
    return repr(v) if math.isfinite(v) else "null"


def object_json(items: dict[str, Iterable[str]], indent: int) -> Iterator[str]:
    """A JSON object whose values come as JSON text already, at `indent`."""
    if not items:
        yield "{}"
        return
    pad = " " * indent
    yield "{\n"
    for k, (name, text) in enumerate(items.items()):
        yield f"{',' if k else ''}{chr(10) if k else ''}{pad}{json.dumps(name)}: "
        yield from text
    yield f"\n{' ' * (indent - 2)}}}"


def nonzero_rows(values: np.ndarray, show_all: bool, limit: int,
                 zero: float = NONZERO) -> tuple[np.ndarray, int]:
    """Positions of the values a table shows (at most `limit`), and how many it hides:
    those within `zero` of 0, unless `show_all`."""
    shown = (np.arange(len(values)) if show_all
             else np.flatnonzero(~(np.abs(values) <= zero)))
    return shown[:limit], len(values) - min(len(shown), limit)

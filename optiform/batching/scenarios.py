"""What one batch runs: the scenarios (a data file crossed with a point of the grid).

A scenario is named by the data file's path as given and its grid values, the
key by which a resumed run recognises the rows it already has, so no two
scenarios may share one: a grid value or a data file given twice is refused.
The grid sets scalar parameters to numbers, so it is checked against the
model's declarations before anything runs. Imports the dsl only.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from optiform.diagnostics import Diagnostic, DiagnosticError, suggest
from optiform.dsl import ast as A

GridValue = int | float
_INTEGER = re.compile(r"[+-]?[0-9]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")


@dataclass(frozen=True)
class Scenario:
    """One solve: a data file (or none) and the grid's values for this point."""

    data: str | None
    grid: tuple[tuple[str, GridValue], ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        """The same for a scenario and its row read back from an output file."""
        return (self.data or "", *(str(v) for _, v in self.grid))

    @property
    def id(self) -> str:
        """A name fit for a folder: the data path, then NAME=VALUE per grid value."""
        parts = [str(Path(self.data))] if self.data else []
        parts += [f"{name}={value}" for name, value in self.grid]
        return _UNSAFE.sub("_", "-".join(parts)).strip("_") or "scenario"


def parse_grid(texts: Sequence[str]) -> dict[str, list[GridValue | str]]:
    """`NAME=V1,V2,...` options to values by name; a name's values are all integers,
    or all floats when one is not. Raises ValueError naming an option that is not
    NAME=V1,V2,... (a usage error). A value that is not a number is kept as its
    text: the option is well formed but does not fit the model, which
    `check_grid` says by the parameter's name, as for the grid's other misfits."""
    grid: dict[str, list[GridValue | str]] = {}
    for text in texts:
        name, sep, values = text.partition("=")
        name = name.strip()
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name or not items:
            raise ValueError(f"`{text}` is not NAME=V1,V2,... (e.g. budget=100,200,300)")
        if name in grid:
            raise ValueError(f"`{name}` is given twice; list all its values in one --grid")
        grid[name] = _numbers(items)
    return grid


def _numbers(items: list[str]) -> list[GridValue | str]:
    if all(_INTEGER.fullmatch(v) for v in items):
        return [int(v) for v in items]
    return [_float(v) for v in items]


def _float(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def check_grid(decl: A.ModelDecl, grid: Mapping[str, Sequence[object]]
               ) -> dict[str, list[GridValue]]:
    """The grid's values by name, once each name is a scalar parameter of the model
    and its values are numbers, each given once: a repeated value would be two
    scenarios of one name, solved twice and writing one `--values` folder."""
    params = {p.name: p for p in decl.parameters}
    problems = []
    for name, values in grid.items():
        p = params.get(name)
        if p is None:
            hint = suggest(name, params) or (
                "scalar parameters: " + ", ".join(n for n, q in params.items() if not q.index)
                if params else "the model declares no parameters")
            problems.append(Diagnostic(f"--grid: `{name}` is not a parameter of the model",
                                       None, hint))
        elif p.index is not None:
            problems.append(Diagnostic(
                f"--grid: `{name}` is indexed; a grid sets scalar parameters", p.span,
                "give each of its values its own data file instead"))
        else:
            problems += _value_problems(name, values)
    if problems:
        raise DiagnosticError(problems, {decl.file: decl.source})
    return {name: list(cast(Sequence[GridValue], values)) for name, values in grid.items()}


def _value_problems(name: str, values: Sequence[object]) -> list[Diagnostic]:
    """A grid parameter's values: numbers (NaN is not one: its row could never be
    matched on resume), none repeated, at least one."""
    if not values:
        return [Diagnostic(f"--grid {name}: no values", None,
                           f"give at least one, e.g. {name}=100,200")]
    problems, seen = [], set()
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
            problems.append(Diagnostic(f"--grid {name}: `{v}` is not a number", None,
                                       f"parameters hold numbers, e.g. {name}=100,200"))
        elif v in seen:  # 3000 and 3000.0 too: one solve
            problems.append(Diagnostic(f"--grid {name}: {v} is given twice", None,
                                       "list each value once"))
        else:
            seen.add(v)
    return problems


def scenarios(datas: Sequence[str | Path],
              grid: Mapping[str, Sequence[GridValue]]) -> list[Scenario]:
    """Every data file crossed with every point of the grid, files first. Raises
    DiagnosticError for a data file given twice, or two whose scenarios would share a
    name (its row's `scenario`, its `--values` folder)."""
    files: list[str | None] = [str(d) for d in datas] or [None]
    _check_files([f for f in files if f is not None])
    names = list(grid)
    points = [tuple(zip(names, values, strict=True))
              for values in itertools.product(*(grid[n] for n in names))]
    return [Scenario(f, point) for f in files for point in points]


def _check_files(files: list[str]) -> None:
    """Each file once (by where it is, however it is spelled), each name once."""
    problems = []
    by_path: dict[Path, str] = {}
    by_id: dict[str, str] = {}
    for f in files:
        path = Path(f).resolve()
        if path in by_path:
            first = by_path[path]
            again = "is given twice" if first == f else f"is `{first}` again"
            problems.append(Diagnostic(f"data file `{f}` {again}", None, "give each file once"))
            continue
        by_path[path] = f
        name = Scenario(f).id
        if name in by_id:
            problems.append(Diagnostic(
                f"data files `{by_id[name]}` and `{f}` would both be scenario `{name}`", None,
                "rename one: a scenario's name is its row's `scenario` and its folder "
                "under --values"))
            continue
        by_id[name] = f
    if problems:
        raise DiagnosticError(problems)

"""What one batch runs: the scenarios (a data file crossed with a point of the grid).

A scenario is named by the data file's path as given and its grid values, the
key by which a resumed run recognises the rows it already has. The grid sets
scalar parameters, so it is checked against the model's declarations before
anything runs. Imports the dsl only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


def parse_grid(texts: Sequence[str]) -> dict[str, list[GridValue]]:
    """`NAME=V1,V2,...` options to values by name; a name's values are all integers,
    or all floats when one is not. Raises ValueError naming the bad option."""
    grid: dict[str, list[GridValue]] = {}
    for text in texts:
        name, sep, values = text.partition("=")
        name = name.strip()
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name or not items:
            raise ValueError(f"`{text}` is not NAME=V1,V2,... (e.g. budget=100,200,300)")
        if name in grid:
            raise ValueError(f"`{name}` is given twice; list all its values in one --grid")
        try:
            numbers = [float(v) for v in items]
        except ValueError:
            bad = next(v for v in items if not _is_number(v))
            raise ValueError(f"`{bad}` in `{text}` is not a number") from None
        grid[name] = ([int(v) for v in items] if all(_INTEGER.fullmatch(v) for v in items)
                      else numbers)
    return grid


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_grid(decl: A.ModelDecl, grid: Mapping[str, Sequence[GridValue]]) -> None:
    """Each grid name must be a scalar parameter of the model."""
    params = {p.name: p for p in decl.parameters}
    problems = []
    for name in grid:
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
    if problems:
        raise DiagnosticError(problems, {decl.file: decl.source})


def scenarios(datas: Sequence[str | Path],
              grid: Mapping[str, Sequence[GridValue]]) -> list[Scenario]:
    """Every data file crossed with every point of the grid, files first."""
    names = list(grid)
    points = [tuple(zip(names, values, strict=True))
              for values in itertools.product(*(grid[n] for n in names))]
    files: list[str | None] = [str(d) for d in datas] or [None]
    return [Scenario(f, point) for f in files for point in points]

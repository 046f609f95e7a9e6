"""Answers as long tables: one column per index position, then the values.

`columns` is the core: numpy arrays by column name for a variable or a
constraint family, no pandas needed (the `--output` CSV files are written
from it). `frame` and `polars_frame` wrap those arrays in pandas or polars,
which are imported only there, through `require`.

Column names follow the declared index sets (`index_names`): integer sets
give int64 columns, symbolic sets strings. A constraint family has its body's
`value`, its `slack` (distance to the nearer bound, negative when violated;
from the model's own expressions, as the checker evaluates them) and, for an
LP solved by a backend that reports them, its `dual`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from optiform.answers import index_names, key_columns
from optiform.compiler.defined import values as defined_values
from optiform.compiler.evaluate import Evaluator, Scope
from optiform.compiler.instantiate import split_comparison
from optiform.compiler.ir import ConstraintBlock, DefinedBlock, Problem, VariableBlock
from optiform.diagnostics import suggest
from optiform.extras import require

if TYPE_CHECKING:
    from optiform.solution import Result

Columns = dict[str, np.ndarray]


def columns(result: Result, name: str) -> Columns:
    """The table of a variable or a constraint family, column by column."""
    problem = result.problem
    for kind, find in _KINDS:
        block = find(problem, name)
        if block is not None:
            # + 0.0 turns a solver's -0.0 into 0.0, as --json writes it; nothing else moves
            return {k: c + 0.0 if c.dtype.kind == "f" else c
                    for k, c in kind(result, block).items()}
    names = table_names(problem)
    hint = suggest(name, names) or f"the names with a table: {', '.join(names)}"
    raise KeyError(f"`{name}` is not a variable, defined variable or constraint of "
                   f"`{problem.name}`; {hint}")


def table_names(problem: Problem) -> list[str]:
    """Every name `columns` answers for, in declaration order."""
    return ([v.name for v in problem.variables] + [d.name for d in problem.defined]
            + [c.name for c in problem.constraints])


def _keys(problem: Problem, keys: np.ndarray, index: Any) -> Columns:
    arity = {name: s.arity for name, s in problem.sets.items()}
    names = index_names(index, keys.shape[1], arity)
    return dict(zip(names, key_columns(problem.universe, keys), strict=True))


def _variable(result: Result, v: VariableBlock) -> Columns:
    out = _keys(result.problem, v.keys, v.decl.index)
    x = result.solution.values
    out["value"] = (x[v.offset:v.offset + v.size].copy() if x is not None
                    else np.full(v.size, np.nan))
    return out


def _defined(result: Result, d: DefinedBlock) -> Columns:
    out = _keys(result.problem, d.keys, d.decl.index)
    x = result.solution.values
    out["value"] = (defined_values(result.problem, x)[d.name] if x is not None
                    else np.full(len(d.keys), np.nan))
    return out


def _constraint(result: Result, c: ConstraintBlock) -> Columns:
    problem = result.problem
    out = _keys(problem, c.keys, c.decl.index)
    x = result.solution.values
    if x is None:
        out["value"], out["slack"] = np.full(c.size, np.nan), np.full(c.size, np.nan)
    else:
        scope = Scope(problem.universe, problem.sets, problem.params,
                      {v.name: v for v in problem.variables}, np.asarray(x, dtype=float),
                      declared={*problem.sets, *problem.params,
                                *(v.name for v in problem.variables)})
        ev = Evaluator(scope)
        lower, middle, upper = split_comparison(c.decl)
        body = ev.num(middle, c.frame)
        slack = np.full(c.size, np.inf)
        if lower is not None:
            slack = np.minimum(slack, body - ev.num(lower, c.frame))
        if upper is not None:
            slack = np.minimum(slack, ev.num(upper, c.frame) - body)
        out["value"], out["slack"] = body, slack
    duals = result.solution.duals or {}
    if c.name in duals:
        out["dual"] = np.asarray(duals[c.name], dtype=float).copy()
    return out


# Where each kind of name finds its block and builds its table.
_KINDS: list[tuple[Callable[[Result, Any], Columns], Callable[[Problem, str], Any]]] = [
    (_variable, lambda p, n: next((v for v in p.variables if v.name == n), None)),
    (_defined, lambda p, n: next((d for d in p.defined if d.name == n), None)),
    (_constraint, lambda p, n: next((c for c in p.constraints if c.name == n), None)),
]


def frame(result: Result, name: str) -> Any:
    """`columns` as a pandas DataFrame."""
    pd = require("pandas", "Result.frame")
    return pd.DataFrame(columns(result, name), copy=False)


def polars_frame(result: Result, name: str) -> Any:
    """`columns` as a polars DataFrame; a column mixing integers and names is text."""
    pl = require("polars", "Result.to_polars")
    table = {k: c.astype(str) if c.dtype == object else c
             for k, c in columns(result, name).items()}
    return pl.DataFrame(table)

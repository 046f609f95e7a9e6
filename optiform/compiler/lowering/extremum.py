"""`max` of affine expressions (and `abs`, `min` through it) as linear rows.

Accepts: argument rows `e_c` (affine `Terms`, m rows) and `parent[c]`, the
output row each argument belongs to; produces the `Terms` of one auxiliary
column `t_r = max_{c: parent[c] = r} e_c` per output row.

- Epigraph (where the position allows it, see `constructs.epigraph_fits`):
  rows `t_r >= e_c` only; the optimum pushes `t` down onto the largest `e_c`.
- Otherwise exact with binaries `z_c`: `t_r >= e_c`,
  `t_r <= e_c + M_c (1 - z_c)`, `Σ_{c in r} z_c = 1`, with
  `M_c = max_{c' in r} ub(e_c') - lb(e_c)` from the columns' bounds (Pyomo's
  bigm rule), the tightest the bounds give.

`abs(e) = max(e, -e)` and `min(e) = -max(-e)`. The solution maps back by
dropping `t` and `z`; the checker evaluates the function as written.
"""

from __future__ import annotations

import math

import numpy as np

from optiform.compiler.evaluate import EvalError
from optiform.compiler.intervals import culprit, row_bounds
from optiform.compiler.ir import Terms, column_label, labelled
from optiform.compiler.keys import Universe
from optiform.compiler.lowering.auxiliary import Auxiliaries, Owner, columns_terms, linear
from optiform.diagnostics import Span


def lower_max(aux: Auxiliaries, owner: Owner, args: Terms, parent: np.ndarray, n: int,
              epigraph: bool, word: str, span: Span | None, universe: Universe) -> Terms:
    """The terms of `t` (n rows); `word` (abs, max, min) names the construct in errors."""
    counts = np.bincount(parent, minlength=n)
    if n and counts.min() == 0:
        row = int(np.argmin(counts))
        raise EvalError(f"`{word}` in {_where(owner, row, universe)} is over an empty set",
                        span, "filter the rows where the set is empty, or add a member")
    numbers = np.concatenate([args.lin_val, args.const])
    if not np.isfinite(numbers).all():  # x / 0, inf * x: no row can hold it
        row = int(parent[args.lin_row[~np.isfinite(args.lin_val)][0]]
                  if not np.isfinite(args.lin_val).all()
                  else parent[np.nonzero(~np.isfinite(args.const))[0][0]])
        raise EvalError(f"`{word}` in {_where(owner, row, universe)} has an argument with a "
                        "coefficient or constant that is not a finite number", span,
                        "look for a division by zero or an infinite parameter in its "
                        "arguments")
    lower, upper = aux.bounds()
    lb, ub = row_bounds(args, lower, upper)
    t_lower = np.full(n, -math.inf)
    t_upper = np.full(n, -math.inf)
    np.maximum.at(t_lower, parent, lb)
    np.maximum.at(t_upper, parent, ub)
    if not epigraph:
        _require_finite(aux, owner, args, lb, ub, parent, word, span, universe)
    t = aux.add_columns(owner, word, t_lower, t_upper)
    m = args.n
    ones = np.ones(m)
    # t[parent] - lin(e) >= const(e)
    body = linear(m, np.concatenate([np.arange(m), args.lin_row]),
                  np.concatenate([t[parent], args.lin_col]),
                  np.concatenate([ones, -args.lin_val]), -args.const)
    aux.add_rows(owner, f"{word}_above", body, np.zeros(m), np.full(m, math.inf))
    if not epigraph:
        big_m = t_upper[parent] - lb
        aux.check_big_m(owner, big_m, f"`{word}`", span)
        z = aux.add_columns(owner, f"{word}_pick", np.zeros(m), ones, "binary")
        # t[parent] - e + M z <= M
        picked = linear(m, np.concatenate([body.lin_row, np.arange(m)]),
                        np.concatenate([body.lin_col, z]),
                        np.concatenate([body.lin_val, big_m]), body.const)
        aux.add_rows(owner, f"{word}_below", picked, np.full(m, -math.inf), big_m)
        one = linear(n, parent, z, ones)
        aux.add_rows(owner, f"{word}_one", one, np.ones(n), np.ones(n))
    return columns_terms(t)


def _require_finite(aux: Auxiliaries, owner: Owner, args: Terms, lb: np.ndarray,
                    ub: np.ndarray, parent: np.ndarray, word: str, span: Span | None,
                    universe: Universe) -> None:
    for side, values in (("upper", ub), ("lower", lb)):
        bad = np.nonzero(~np.isfinite(values))[0]
        if not len(bad):
            continue
        c = int(bad[0])
        lower, upper = aux.bounds()
        found = culprit(args, lower, upper, c, side)
        column = column_label([*aux.user, *aux.columns], universe, found[0]) if found \
            else "an argument"
        bound = found[1] if found else side
        raise EvalError(
            f"`{word}` in {_where(owner, int(parent[c]), universe)} needs a big-M, which "
            f"needs {'a lower' if bound == 'lower' else 'an upper'} bound on {column}",
            span, f"give `{column.split('[')[0]}` a finite {bound} bound in the variables "
            f"section; or use `{word}` where it is {_convex_place(word)}, which needs no "
            "bound")


def _convex_place(word: str) -> str:
    if word == "min":
        return "maximised or bounded below (`min(...) >= b`)"
    return f"minimised or bounded above (`{word}(...) <= b`)"


def _where(owner: Owner, row: int, universe: Universe) -> str:
    key = universe.format_key(owner.keys[row]) if owner.keys.shape[1] else ""
    return f"`{labelled(owner.name, key)}`"

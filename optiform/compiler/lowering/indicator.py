"""Rows that hold only where binary switches say so: implications and disjunctions.

Accepts: a linear row `lower <= e <= upper` (`Terms`, n rows) and switches, each
a binary column per row and the value that turns the row on. Produces the big-M
rows (Pyomo's bigm, MOI's IndicatorToMILPBridge; HiGHS has no indicator rows):
with `s` the number of switches that are off (`1 - z` for a value 1, `z` for a
value 0), `e - M·s <= upper`, `M = max(0, ub(e) - upper)`, and
`e - m·s >= lower`, `m = min(0, lb(e) - lower)`, from the columns' bounds by
interval arithmetic. Only the bound on the relaxed side is needed, and a
missing one is an error naming the variable.

A disjunction `c_1 or ... or c_k` gets one binary `y_k` per part and row, each
part switched on by its own, and `Σ y_k >= 1`. Nothing maps back: the
binaries are dropped and the checker evaluates the construct as written.
"""

from __future__ import annotations

import math

import numpy as np

from optiform.compiler.evaluate import EvalError
from optiform.compiler.intervals import culprit, row_bounds
from optiform.compiler.ir import Terms, column_label, labelled
from optiform.compiler.keys import Universe
from optiform.compiler.lowering.auxiliary import Auxiliaries, Owner, linear
from optiform.diagnostics import Span

Switch = tuple[np.ndarray, int]  # one binary column per row, and the value that turns on


def switched_rows(aux: Auxiliaries, owner: Owner, body: Terms, lower: np.ndarray,
                  upper: np.ndarray, switches: list[Switch], what: str, span: Span | None,
                  universe: Universe) -> None:
    """Rows lower <= body <= upper where every switch is on; relaxed elsewhere."""
    n = body.n
    lo_col, hi_col = aux.bounds()
    lb, ub = row_bounds(body, lo_col, hi_col)
    on = sum(value for _, value in switches)  # switches turned on by a 1
    for side, bound in (("upper", upper), ("lower", lower)):
        finite = np.isfinite(bound)
        if not finite.any():
            continue
        with np.errstate(invalid="ignore"):
            gap = np.where(finite, (ub - bound) if side == "upper" else (lb - bound), 0.0)
        bad = np.nonzero(finite & ~np.isfinite(gap))[0]
        if len(bad):
            _missing(aux, owner, body, int(bad[0]), side, what, span, universe)
        big = np.maximum(gap, 0.0) if side == "upper" else np.minimum(gap, 0.0)
        aux.check_big_m(owner, big, "the implication" if what == "imply"
                        else "the disjunction", span)
        # body - big * s, with s = on - Σ_{value 1} z + Σ_{value 0} z
        rows = [body.lin_row] + [np.arange(n)] * len(switches)
        cols = [body.lin_col] + [col for col, _ in switches]
        vals = [body.lin_val] + [big if value == 1 else -big for _, value in switches]
        terms = linear(n, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                       body.const - big * on)
        if side == "upper":
            aux.add_rows(owner, f"{what}_upper", terms, np.full(n, -math.inf),
                         np.where(finite, bound, math.inf))
        else:
            aux.add_rows(owner, f"{what}_lower", terms, np.where(finite, bound, -math.inf),
                         np.full(n, math.inf))


def disjunction(aux: Auxiliaries, owner: Owner, parts: list[tuple[Terms, np.ndarray,
                                                                   np.ndarray]],
                spans: list[Span | None], universe: Universe) -> None:
    """At least one part `lower_k <= body_k <= upper_k` holds in each row."""
    n = parts[0][0].n
    k = len(parts)
    picks = aux.add_columns(owner, "or_pick", np.zeros(n * k), np.ones(n * k), "binary")
    for p, ((body, lower, upper), span) in enumerate(zip(parts, spans, strict=True)):
        switched_rows(aux, owner, body, lower, upper, [(picks[p * n:(p + 1) * n], 1)], "or",
                      span, universe)
    one = linear(n, np.tile(np.arange(n), k), picks, np.ones(n * k))
    aux.add_rows(owner, "or_any", one, np.ones(n), np.full(n, math.inf))


def _missing(aux: Auxiliaries, owner: Owner, body: Terms, row: int, side: str, what: str,
             span: Span | None, universe: Universe) -> None:
    lo_col, hi_col = aux.bounds()
    found = culprit(body, lo_col, hi_col, row, side)
    column = column_label([*aux.user, *aux.columns], universe, found[0]) if found \
        else "a variable"
    bound = found[1] if found else side
    key = universe.format_key(owner.keys[row]) if owner.keys.shape[1] else ""
    construct = "implication" if what == "imply" else "disjunction"
    raise EvalError(
        f"the {construct} `{labelled(owner.name, key)}` needs a big-M, which needs "
        f"{'a lower' if bound == 'lower' else 'an upper'} bound on {column}", span,
        f"give `{column.split('[')[0]}` a finite {bound} bound in the variables section")

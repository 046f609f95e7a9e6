"""Interval bounds of affine rows from the columns' bounds: the source of every big-M.

`ub(a·x + d) = d + Σ_{a>0} a·u + Σ_{a<0} a·l` and `lb` mirrors it, one row at a
time for all rows at once (`bincount`). A side is infinite exactly when some
term needs a missing bound; `culprit` finds that term, so that an error can
name the variable and the bound the model should give. Knows nothing of the
constructs that use the bounds.
"""

from __future__ import annotations

import numpy as np

from optiform.compiler.ir import Terms


def row_bounds(t: Terms, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lb, ub) of each row of linear terms over the box [lower, upper] of the columns."""
    low, high = _contributions(t, lower, upper)
    lb = t.const + np.bincount(t.lin_row, weights=low, minlength=t.n)
    ub = t.const + np.bincount(t.lin_row, weights=high, minlength=t.n)
    return lb, ub


def culprit(t: Terms, lower: np.ndarray, upper: np.ndarray, row: int,
            side: str) -> tuple[int, str] | None:
    """The column whose missing bound makes `side` ("lower" or "upper") of `row`
    infinite, and which of its bounds is missing; None when that side is finite."""
    low, high = _contributions(t, lower, upper)
    part = high if side == "upper" else low
    hits = np.nonzero((t.lin_row == row) & ~np.isfinite(part))[0]
    if not len(hits):
        return None
    k = int(hits[0])
    positive = t.lin_val[k] > 0
    needs_upper = positive if side == "upper" else not positive
    return int(t.lin_col[k]), "upper" if needs_upper else "lower"


def _contributions(t: Terms, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    a = t.lin_val
    lo, hi = lower[t.lin_col], upper[t.lin_col]
    with np.errstate(invalid="ignore"):
        # A zero coefficient contributes nothing, even on an unbounded column (0 * inf).
        low = np.where(a > 0, a * lo, np.where(a < 0, a * hi, 0.0))
        high = np.where(a > 0, a * hi, np.where(a < 0, a * lo, 0.0))
    return low, high

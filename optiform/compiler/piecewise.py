"""Piecewise-linear functions `pwl(e, [x0, ..., xk], [y0, ..., yk])`: what they are.

Tables are arrays (rows x points): breakpoints and values may be parameter
expressions, so each row of a block may have its own. Here: the strictness
of the breakpoints, the curvature (from the slopes, as Pyomo's
`_characterize_function` does), and the value by linear interpolation, which
is undefined (NaN) outside [x0, xk]. How a pwl is rewritten lives in
`compiler/lowering/piecewise.py`.
"""

from __future__ import annotations

import numpy as np

from optiform.compiler.constructs import Curvature

# Slopes this close (relative) count as equal: a straight table is both convex and concave.
_SLOPE_TOL = 1e-9
# How far past an end the value is still taken at that end: the solver's own tolerance.
DOMAIN_TOL = 1e-6


def first_not_increasing(xs: np.ndarray) -> tuple[int, int] | None:
    """(row, point) of the first breakpoint not above its predecessor, or None."""
    bad = np.argwhere(~(np.diff(xs, axis=1) > 0))
    return (int(bad[0][0]), int(bad[0][1]) + 1) if len(bad) else None


def slopes(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.diff(ys, axis=1) / np.diff(xs, axis=1)


def curvature(xs: np.ndarray, ys: np.ndarray) -> set[Curvature]:
    """Convex when every row's slopes never decrease, concave when they never increase
    (both for straight tables; neither for any other)."""
    s = slopes(xs, ys)
    step = np.diff(s, axis=1)
    tol = _SLOPE_TOL * np.maximum(1.0, np.abs(s[:, 1:]))
    out = set()
    if np.all(step >= -tol):
        out.add(Curvature.CONVEX)
    if np.all(step <= tol):
        out.add(Curvature.CONCAVE)
    return out


def interpolate(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The value at x of each row's table; NaN outside [x0, xk] (beyond DOMAIN_TOL)."""
    tol = DOMAIN_TOL * np.maximum(1.0, np.abs(xs[:, [0, -1]]))
    inside = (x >= xs[:, 0] - tol[:, 0]) & (x <= xs[:, -1] + tol[:, 1])
    clipped = np.clip(x, xs[:, 0], xs[:, -1])
    k = xs.shape[1] - 1
    # the segment of each row: the last breakpoint at or below x, at most k - 1
    seg = np.minimum(np.sum(xs[:, 1:] <= clipped[:, None], axis=1), k - 1)
    rows = np.arange(len(x))
    x0, x1 = xs[rows, seg], xs[rows, seg + 1]
    y0, y1 = ys[rows, seg], ys[rows, seg + 1]
    value = y0 + (y1 - y0) * (clipped - x0) / (x1 - x0)
    return np.where(inside, value, np.nan)

"""`pwl(e, xs, ys)` of an affine `e` as linear rows (Vielma, Ahmed & Nemhauser 2010).

Accepts: the argument's terms (n rows) and each row's table (n x (k+1)
breakpoints and values, breakpoints strictly increasing). Produces the terms
that stand for the function's value, `e` kept within [x0, xk]:

- a straight table: the line itself, `y0 + s (e - x0)`, and the domain row;
- a convex table pushed down (minimised, bounded above), or a concave one
  pushed up: one column `t` above (below) every segment's line,
  `t >= y_p + s_p (e - x_p)`, and the domain row `x0 <= e <= xk`; no binary;
- any other: the incremental formulation, `e = x0 + Σ δ_p Δx_p`,
  value `y0 + Σ δ_p Δy_p`, `δ_p in [0, 1]`, binaries `δ_{p+1} <= z_p <= δ_p`;
  no SOS2 (HiGHS has none) and no big-M, so no bound on `e` is needed.

Nothing maps back: δ, z and t are dropped; the checker interpolates the table.
"""

from __future__ import annotations

import math

import numpy as np

from optiform.compiler import piecewise
from optiform.compiler.constructs import Curvature, epigraph_fits
from optiform.compiler.ir import Terms
from optiform.compiler.lowering.auxiliary import Auxiliaries, Owner, columns_terms, linear


def lower_pwl(aux: Auxiliaries, owner: Owner, arg: Terms, xs: np.ndarray, ys: np.ndarray,
              push: float) -> Terms:
    n = arg.n
    s = piecewise.slopes(xs, ys)
    shapes = piecewise.curvature(xs, ys)
    if shapes == {Curvature.CONVEX, Curvature.CONCAVE}:
        _domain(aux, owner, arg, xs)
        line = _scaled(arg, s[:, 0])
        return linear(n, line.lin_row, line.lin_col, line.lin_val,
                      line.const + ys[:, 0] - s[:, 0] * xs[:, 0])
    fits = [c for c in shapes if epigraph_fits(c, push)]
    if fits:
        return _epigraph(aux, owner, arg, xs, ys, s, above=fits[0] is Curvature.CONVEX)
    return _incremental(aux, owner, arg, xs, ys)


def _scaled(t: Terms, factor: np.ndarray) -> Terms:
    return linear(t.n, t.lin_row, t.lin_col, t.lin_val * factor[t.lin_row], t.const * factor)


def _domain(aux: Auxiliaries, owner: Owner, arg: Terms, xs: np.ndarray) -> None:
    aux.add_rows(owner, "pwl_domain", arg, xs[:, 0], xs[:, -1])


def _epigraph(aux: Auxiliaries, owner: Owner, arg: Terms, xs: np.ndarray, ys: np.ndarray,
              s: np.ndarray, above: bool) -> Terms:
    n = arg.n
    _domain(aux, owner, arg, xs)
    t = aux.add_columns(owner, "pwl", ys.min(axis=1), ys.max(axis=1))
    for p in range(s.shape[1]):
        # t - s_p e  >=  y_p - s_p x_p   (<= for a concave table pushed up)
        line = _scaled(arg, -s[:, p])
        body = linear(n, np.concatenate([np.arange(n), line.lin_row]),
                      np.concatenate([t, line.lin_col]),
                      np.concatenate([np.ones(n), line.lin_val]), line.const)
        cut = ys[:, p] - s[:, p] * xs[:, p]
        if above:
            aux.add_rows(owner, "pwl_above", body, cut, np.full(n, math.inf))
        else:
            aux.add_rows(owner, "pwl_below", body, np.full(n, -math.inf), cut)
    return columns_terms(t)


def _incremental(aux: Auxiliaries, owner: Owner, arg: Terms, xs: np.ndarray,
                 ys: np.ndarray) -> Terms:
    n, k = xs.shape[0], xs.shape[1] - 1
    dx, dy = np.diff(xs, axis=1), np.diff(ys, axis=1)
    rows = np.arange(n)
    fill = aux.add_columns(owner, "pwl_fill", np.zeros(n * k), np.ones(n * k))
    # e - Σ δ_p Δx_p == x0
    seg_rows = np.tile(rows, k)
    tie = linear(n, np.concatenate([arg.lin_row, seg_rows]),
                 np.concatenate([arg.lin_col, fill]),
                 np.concatenate([arg.lin_val, -dx.T.reshape(-1)]), arg.const)
    aux.add_rows(owner, "pwl_tie", tie, xs[:, 0], xs[:, 0])
    if k > 1:
        z = aux.add_columns(owner, "pwl_order", np.zeros(n * (k - 1)), np.ones(n * (k - 1)),
                            "binary")
        m = n * (k - 1)
        both = np.arange(m)
        nxt, cur = fill[n:], fill[:-n]
        # δ_{p+1} - z_p <= 0 and z_p - δ_p <= 0
        aux.add_rows(owner, "pwl_order", linear(m, np.concatenate([both, both]),
                                                np.concatenate([nxt, z]),
                                                np.concatenate([np.ones(m), -np.ones(m)])),
                     np.full(m, -math.inf), np.zeros(m))
        aux.add_rows(owner, "pwl_order", linear(m, np.concatenate([both, both]),
                                                np.concatenate([z, cur]),
                                                np.concatenate([np.ones(m), -np.ones(m)])),
                     np.full(m, -math.inf), np.zeros(m))
    return linear(n, seg_rows, fill, dy.T.reshape(-1), ys[:, 0].astype(float))

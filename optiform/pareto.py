"""Pareto fronts as arrays: which points are non-dominated, and the hypervolume they cover.

Rows are points and columns objectives; `senses` says per column whether it
is minimised or maximised. Pure numpy, shared by the epsilon-constraint sweep
(`api.pareto`) and by any backend that samples a front; it must not import a
solver, torch, or any other part of optiform.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SENSES = ("minimize", "maximize")
# Points compared at once by `non_dominated`; bounds its n x chunk x d working memory.
_CHUNK = 512


def _minimised(points: np.ndarray | Sequence[Sequence[float]], senses: Sequence[str],
               ) -> np.ndarray:
    """The points as a float matrix with every column turned into one to minimise."""
    m = np.asarray(points, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"points must be a matrix (one row per point), not shape {m.shape}")
    if len(senses) != m.shape[1]:
        raise ValueError(f"{m.shape[1]} objective column(s) but {len(senses)} sense(s)")
    unknown = [s for s in senses if s not in SENSES]
    if unknown:
        raise ValueError(f"unknown sense {unknown[0]!r}; expected 'minimize' or 'maximize'")
    if not np.all(np.isfinite(m)):
        raise ValueError("points must be finite (a NaN or infinite objective value)")
    sign = np.array([1.0 if s == "minimize" else -1.0 for s in senses])
    return m * sign


def non_dominated(points: np.ndarray | Sequence[Sequence[float]],
                  senses: Sequence[str]) -> np.ndarray:
    """Indices, ascending, of the rows that no other row dominates.

    A row dominates another when it is at least as good in every column and
    better in one. Equal rows do not dominate each other; of a group of equal
    rows only the first is kept, so every returned row is distinct.
    """
    m = _minimised(points, senses)
    if len(m) == 0:
        return np.zeros(0, dtype=np.intp)
    _, first = np.unique(m, axis=0, return_index=True)
    first = np.sort(first)
    u = m[first]
    keep = np.ones(len(u), dtype=bool)
    for lo in range(0, len(u), _CHUNK):
        block = u[lo:lo + _CHUNK, None, :]  # the rows being judged, against every row
        no_worse = np.all(u[None, :, :] <= block, axis=2)
        better = np.any(u[None, :, :] < block, axis=2)
        keep[lo:lo + _CHUNK] = ~np.any(no_worse & better, axis=1)
    return first[keep]


def hypervolume(points: np.ndarray | Sequence[Sequence[float]], senses: Sequence[str],
                reference: np.ndarray | Sequence[float]) -> float:
    """The volume dominated by the points and bounded by `reference`, exactly.

    Any number of objectives: one objective is a length, two a sweep over the
    points sorted by the first, and each further objective slices the volume
    into slabs between consecutive values of the last column (time grows as
    n^(d-1) log n for n points in d objectives). A point that is not strictly
    better than the reference in every objective adds nothing.
    """
    m = _minimised(points, senses)
    ref = np.asarray(reference, dtype=float).reshape(-1)
    if ref.shape != (m.shape[1],):
        raise ValueError(f"the reference has {ref.size} value(s) but the points have "
                         f"{m.shape[1]} objective(s)")
    if m.shape[1] == 0:
        raise ValueError("a hypervolume needs at least one objective")
    if not np.all(np.isfinite(ref)):
        raise ValueError("the reference point must be finite")
    r = ref * np.array([1.0 if s == "minimize" else -1.0 for s in senses])
    inside = m[np.all(m < r, axis=1)]
    return float(_volume(inside, r))


def _volume(m: np.ndarray, r: np.ndarray) -> float:
    """Volume of the union of the boxes [m_i, r], every m_i < r (minimised)."""
    if len(m) == 0:
        return 0.0
    d = m.shape[1]
    if d == 1:
        return float(r[0] - m[:, 0].min())
    if d == 2:
        order = np.lexsort((m[:, 1], m[:, 0]))
        area, height = 0.0, r[1]
        for x, y in m[order]:
            if y < height:
                area += (r[0] - x) * (height - y)
                height = y
        return area
    order = np.argsort(m[:, -1], kind="stable")
    m = m[order]
    tops = np.append(m[1:, -1], r[-1])
    volume = 0.0
    for i in range(len(m)):
        thickness = tops[i] - m[i, -1]
        if thickness > 0:
            volume += thickness * _volume(m[:i + 1, :-1], r[:-1])
    return volume


def reference_point(points: np.ndarray | Sequence[Sequence[float]],
                    senses: Sequence[str]) -> np.ndarray:
    """A reference for `hypervolume`: the nadir of the front, pushed a little outwards.

    The nadir is the worst value of each objective over the non-dominated
    points (dominated points do not move it). It is pushed away from the front
    by 10% of that objective's range over those points, or by 1 where the
    range is 0 (a single point, or an objective every point shares), so that
    the points at the ends of the front still add volume.
    """
    m = _minimised(points, senses)
    if len(m) == 0:
        raise ValueError("a reference point needs at least one point")
    front = m[non_dominated(m, ["minimize"] * m.shape[1])]
    worst, best = front.max(axis=0), front.min(axis=0)
    spread = worst - best
    margin = np.where(spread > 0, 0.1 * spread, 1.0)
    sign = np.array([1.0 if s == "minimize" else -1.0 for s in senses])
    return np.asarray((worst + margin) * sign, dtype=float)


def spread(start: float, stop: float, count: int, whole: bool) -> list[float]:
    """`count` values from `start` to `stop`, evenly spaced, both ends included.

    With `whole`, the values are rounded to whole numbers and repeats dropped,
    so there may be fewer than `count`; the order runs from `start` to `stop`.
    """
    values = np.linspace(start, stop, count)
    if not whole:
        return [float(v) for v in values]
    return [float(v) for v in dict.fromkeys(np.round(values).tolist())]

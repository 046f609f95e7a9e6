"""Pictures of Pareto fronts, written to a PNG, SVG or PDF file.

matplotlib is optional (the `plot` extra): it is imported only when a picture
is drawn, through `extras.require`, and never through pyplot, so no window or
global figure state is involved. Must not import a solver or any other part
of optiform but `extras`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from optiform.extras import require

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
SIZE_INCHES = (6.4, 4.8)
DPI = 100  # with SIZE_INCHES, a 640 x 480 PNG


class PlotError(Exception):
    """The picture cannot be drawn as asked."""


def check_plot_path(path: str | Path) -> str:
    """The file format for `path` (by its suffix), before any work is done for it."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise PlotError(f"cannot draw to `{path}`: the file name must end in "
                        f"{', '.join(FORMATS)}")
    return FORMATS[suffix]


def _matplotlib() -> Any:
    return require("matplotlib.figure", "drawing a front (--plot)").Figure


def require_matplotlib() -> None:
    """Raise MissingExtra, naming the install command, before any work is done for a plot."""
    _matplotlib()


def plot_fronts(path: str | Path, fronts: Mapping[str, np.ndarray], names: Sequence[str],
                senses: Sequence[str], title: str) -> Path:
    """Draw one or more fronts in one picture and write it to `path`.

    `fronts` maps a label (shown in the legend, e.g. "exact" and "sampled")
    to a matrix with one row per point and one column per name in `names`;
    `senses` gives each objective's direction for the axis labels. Two
    objectives: a scatter of each front with the steps of the region it
    dominates. Three: a 3D scatter. The format follows the suffix.
    """
    fmt = check_plot_path(path)
    if len(names) not in (2, 3) or len(senses) != len(names):
        raise PlotError(f"a front can be drawn for two or three objectives, not {len(names)}")
    figure = _matplotlib()(figsize=SIZE_INCHES, dpi=DPI)
    labels = [f"{name} ({sense})" for name, sense in zip(names, senses, strict=True)]
    if len(names) == 2:
        ax = figure.add_subplot()
        # Sorted by the first objective, the best second value reachable at a first
        # value x is the last point's when x is minimised, the next point's when maximised.
        where = "post" if senses[0] == "minimize" else "pre"
        for i, (label, points) in enumerate(fronts.items()):
            m = _matrix(points, 2, label)
            m = m[np.lexsort((m[:, 1], m[:, 0]))]
            colour = f"C{i}"
            ax.step(m[:, 0], m[:, 1], where=where, color=colour, alpha=0.5, linewidth=1)
            ax.scatter(m[:, 0], m[:, 1], label=f"{label} ({len(m)})", zorder=3 + i,
                       **_marker(i, colour))
        ax.grid(True, alpha=0.3)
    else:
        ax = figure.add_subplot(projection="3d")
        for i, (label, points) in enumerate(fronts.items()):
            m = _matrix(points, 3, label)
            ax.scatter(m[:, 0], m[:, 1], m[:, 2], label=f"{label} ({len(m)})",
                       **_marker(i, f"C{i}"))
        ax.set_zlabel(labels[2])
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    if fronts:
        ax.legend()
    try:
        figure.savefig(path, format=fmt)
    except OSError as exc:
        raise PlotError(f"cannot write `{path}`: {exc.strerror or exc}") from None
    return Path(path)


def _marker(i: int, colour: str) -> dict[str, object]:
    """Filled dots for the first front, larger rings after it, so that a point on two
    fronts (a sampled one on the exact front) shows both."""
    if i == 0:
        return {"color": colour, "s": 24}
    return {"facecolors": "none", "edgecolors": colour, "s": 90 + 40 * (i - 1),
            "linewidths": 1.5}


def _matrix(points: np.ndarray, columns: int, label: str) -> np.ndarray:
    m = np.asarray(points, dtype=float)
    if m.size == 0:
        return np.zeros((0, columns))
    if m.ndim != 2 or m.shape[1] != columns:
        raise PlotError(f"front `{label}` has shape {m.shape}, not one row per point and "
                        f"{columns} columns")
    return m

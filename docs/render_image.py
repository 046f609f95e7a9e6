"""Draw a model's LaTeX (`optiform show --latex`) as a PNG with matplotlib's mathtext.

No TeX installation is needed: mathtext reads the subset of LaTeX that the
renderer writes. Used for the README's picture:
`python docs/render_image.py examples/facility_location.opt docs/img/facility_location.png`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

from optiform.api import show  # noqa: E402

LINE = 0.5  # inches per formula line: room for the limits under a sum
FONT = 13


def draw(model: Path, out: Path) -> None:
    rows: list[tuple[str, str]] = []
    for line in show(model, "latex").splitlines():
        if line.startswith(("%", r"\begin")) or not line.strip():
            continue
        if line.startswith(r"\end"):
            rows.append(("", ""))  # a gap between the model and its data
            continue
        label, _, formula = line.strip().removesuffix(r"\\").partition("&")
        rows.append((label.strip(), formula.strip()))
    rows = rows[:-1]
    fig = plt.figure(figsize=(11, LINE * len(rows) + 0.3))
    for i, (label, formula) in enumerate(rows):
        y = 1 - (i + 0.8) / (len(rows) + 0.3)
        if label:
            fig.text(0.01, y, f"${label}$", fontsize=FONT, va="baseline")
        if formula:
            fig.text(0.09, y, f"${formula}$", fontsize=FONT, va="baseline")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight", facecolor="white")


if __name__ == "__main__":
    draw(Path(sys.argv[1]), Path(sys.argv[2]))

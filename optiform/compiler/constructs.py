"""What the modelling constructs are, apart from how they are rewritten.

The curvature of each function of affine arguments decides where it can be
written as linear rows without a binary (cvxpy's DCP facts): a convex one
where it is pushed down (minimised, or bounded above), a concave one where it
is pushed up. How each is rewritten lives in `compiler/lowering/`.
"""

from __future__ import annotations

import enum


class Curvature(str, enum.Enum):
    CONVEX = "convex"
    CONCAVE = "concave"


# Functions of affine expressions of variables that the lowerings make exact.
CURVATURE: dict[str, Curvature] = {
    "abs": Curvature.CONVEX,
    "max": Curvature.CONVEX,
    "min": Curvature.CONCAVE,
}


def epigraph_fits(curvature: Curvature, push: float) -> bool:
    """Whether an epigraph (or hypograph) is exact where the expression is pushed in
    direction `push`: +1 down (minimised, bounded above), -1 up, 0 both ways (an
    equality, a ranged row, a product)."""
    return push > 0 if curvature is Curvature.CONVEX else push < 0

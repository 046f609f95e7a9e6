"""The lowerings of one model, applied as the linearizer meets each construct.

`Linearizer` hands over a construct with its arguments already as terms and
the direction the expression is pushed in (+1 down: minimised or bounded
above; -1 up; 0 both: an equality, a ranged row, a product); the lowerer
picks the rewrite from the construct's facts (`compiler/constructs.py`) and
returns the terms that stand for it.
"""

from __future__ import annotations

import numpy as np

from optiform.compiler.constructs import CURVATURE, epigraph_fits
from optiform.compiler.ir import Frame, Terms
from optiform.compiler.keys import Universe
from optiform.compiler.lowering.auxiliary import Auxiliaries, Owner, negated, stack
from optiform.compiler.lowering.extremum import lower_max
from optiform.compiler.lowering.piecewise import lower_pwl
from optiform.diagnostics import Span


class Lowerer:
    def __init__(self, aux: Auxiliaries, universe: Universe) -> None:
        self.aux = aux
        self.universe = universe
        self.owner = Owner("", None, np.zeros((1, 0), dtype=np.int64), Frame.scalar())

    def epigraph(self, word: str, push: float) -> bool:
        """Whether `word` pushed in direction `push` needs no binary."""
        return epigraph_fits(CURVATURE[word], push)

    def extremum(self, word: str, args: Terms, parent: np.ndarray, n: int, push: float,
                 span: Span | None, frame: Frame) -> Terms:
        """`abs(e)` (one argument per row), `max` or `min` of the argument rows that
        share a parent."""
        owner = self.owner if frame is self.owner.frame else Owner(
            self.owner.name, self.owner.span, np.zeros((n, 0), dtype=np.int64), frame)
        epigraph = self.epigraph(word, push)
        if word == "abs":
            both = stack([args, negated(args)])
            return lower_max(self.aux, owner, both, np.concatenate([parent, parent]), n,
                             epigraph, word, span, self.universe)
        if word == "min":
            t = lower_max(self.aux, owner, negated(args), parent, n, epigraph, word, span,
                          self.universe)
            return negated(t)
        return lower_max(self.aux, owner, args, parent, n, epigraph, word, span,
                         self.universe)

    def pwl(self, arg: Terms, xs: np.ndarray, ys: np.ndarray, push: float,
            frame: Frame) -> Terms:
        """`pwl(e, xs, ys)` of affine `e`, one table per row."""
        owner = self.owner if frame is self.owner.frame else Owner(
            self.owner.name, self.owner.span, np.zeros((arg.n, 0), dtype=np.int64), frame)
        return lower_pwl(self.aux, owner, arg, xs, ys, push)

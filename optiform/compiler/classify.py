"""The problem class (LP, MILP, QP, MIQP, NLP, MINLP) from the ground blocks.

The class picks the backend, so it is derived from what the expressions
are, never declared: integer domains make it mixed-integer, a quadratic
objective makes it a QP (convex when its Hessian is positive semidefinite
in the direction of optimisation), and anything else nonlinear, quadratic
constraints included, makes it an NLP.
"""

from __future__ import annotations

import numpy as np

from optiform.compiler.ir import ConstraintBlock, Objective, ProblemClass, VariableBlock

# Dense eigenvalues are cheap up to this many variables in the quadratic part.
_CONVEXITY_CHECK_LIMIT = 2000


def classify(variables: list[VariableBlock], objectives: list[Objective],
             constraints: list[ConstraintBlock]) -> tuple[ProblemClass, bool | None]:
    integer = any(v.domain != "continuous" for v in variables)
    nonlinear = any(c.terms.nonlinear or c.terms.quadratic for c in constraints)
    nonlinear |= any(o.terms.nonlinear for o in objectives)
    quadratic = any(o.terms.quadratic for o in objectives)
    if nonlinear:
        return (ProblemClass.MINLP if integer else ProblemClass.NLP), None
    if quadratic:
        convex = all(objective_is_convex(o) for o in objectives if o.terms.quadratic)
        return (ProblemClass.MIQP if integer else ProblemClass.QP), convex
    return (ProblemClass.MILP if integer else ProblemClass.LP), True


def objective_is_convex(o: Objective) -> bool | None:
    """PSD check of the objective's Hessian; None when too large to decide here."""
    t = o.terms
    cols = np.unique(np.concatenate([t.quad_col1, t.quad_col2]))
    if len(cols) > _CONVEXITY_CHECK_LIMIT:
        return None
    q = np.zeros((len(cols), len(cols)))
    np.add.at(q, (np.searchsorted(cols, t.quad_col1), np.searchsorted(cols, t.quad_col2)),
              t.quad_val)
    q = q + q.T
    eig = np.linalg.eigvalsh(q)
    tol = 1e-9 * max(1.0, float(np.abs(eig).max(initial=0.0)))
    return bool(eig.min() >= -tol) if o.sense == "minimize" else bool(eig.max() <= tol)

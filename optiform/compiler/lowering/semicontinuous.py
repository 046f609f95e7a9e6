"""Semi-continuous and semi-integer columns as a binary and two rows.

Accepts: a problem whose blocks may have the domain `semicontinuous` or
`semiinteger` (`x = 0` or `l <= x <= u`, `0 <= l`, `u` finite). Produces the
same problem with each such block (those `chosen`) made continuous (integer)
in `[0, u]`, one binary `z` per column after every other column, and the rows
`x - l·z >= 0`, `x - u·z <= 0` (MOI's SemiToBinaryBridge, and what HiGHS does
inside). The solution maps back by keeping the first `problem.n_vars` values.
HiGHS takes these domains natively; Pyomo's solvers get this form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optiform.compiler.classify import classify
from optiform.compiler.ir import (
    SEMI_DOMAINS,
    ConstraintBlock,
    Frame,
    Origin,
    Problem,
    VariableBlock,
)
from optiform.compiler.lowering.auxiliary import linear
from optiform.dsl import ast as A


def semi_to_binary(problem: Problem,
                   chosen: Callable[[VariableBlock], bool] = lambda v: True) -> Problem:
    """`problem` itself when no chosen block is semi-continuous or semi-integer."""
    semi = [v for v in problem.variables if v.domain in SEMI_DOMAINS and chosen(v)]
    if not semi:
        return problem
    picked = {id(v) for v in semi}
    variables = [replace(v, domain="continuous" if v.domain == "semicontinuous" else "integer",
                         lower=np.zeros(v.size)) if id(v) in picked else v
                 for v in problem.variables]
    rows: list[ConstraintBlock] = []
    offset = problem.n_vars
    for v in semi:
        n = v.size
        z = offset + np.arange(n, dtype=np.int64)
        name = f"{v.name}#on"
        variables.append(VariableBlock(name, v.keys, offset, "binary", np.zeros(n),
                                       np.ones(n), None, A.VarDecl(name, span=v.decl.span),
                                       origin=Origin(v.name, keyed=True)))
        offset += n
        x = v.offset + np.arange(n, dtype=np.int64)
        both = np.concatenate([np.arange(n), np.arange(n)])
        for what, bound, sense in (("at_least", v.lower, ">="), ("at_most", v.upper, "<=")):
            terms = linear(n, both, np.concatenate([x, z]), np.concatenate([np.ones(n), -bound]))
            lo, hi = (np.zeros(n), np.full(n, math.inf)) if sense == ">=" \
                else (np.full(n, -math.inf), np.zeros(n))
            decl = A.ConstraintDecl(f"{v.name}#{what}", None, A.Number(0), span=v.decl.span)
            rows.append(ConstraintBlock(decl.name, v.keys, terms, lo, hi, decl, Frame(n),
                                        Origin(v.name, keyed=True)))
    constraints = [*problem.constraints, *rows]
    problem_class, convex = classify(variables, problem.objectives, constraints)
    return replace(problem, variables=variables, constraints=constraints,
                   problem_class=problem_class, convex=convex)

"""Implications and disjunctions: what they are, apart from how they are rewritten.

`name[...]: b == 1 and c == 0 ==> constraint` holds the constraint where every
literal holds; `name[...]: c1 or c2 or ...` holds where at least one of the
linear constraints does. Here they are read into their parts, with located
errors for what they may not be; `compiler/lowering/indicator.py` rewrites
them and `verify.py` evaluates them as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from optiform.compiler.evaluate import EvalError
from optiform.compiler.ir import VariableBlock
from optiform.dsl import ast as A

_COMPARISONS = ("<=", ">=", "==")


@dataclass(frozen=True)
class Literal:
    """`v == 1` or `v == 0` on a binary variable `v` (a name or a subscript)."""

    var: A.Name | A.Subscript
    value: int


@dataclass(frozen=True)
class Implication:
    literals: tuple[Literal, ...]
    consequence: A.Expr  # a comparison, perhaps ranged


@dataclass(frozen=True)
class Disjunction:
    parts: tuple[A.Expr, ...]  # comparisons, perhaps ranged


def is_logical(e: A.Expr) -> bool:
    return isinstance(e, A.Binary) and e.op in ("==>", "or")


def logical_form(c: A.ConstraintDecl) -> Implication | Disjunction | None:
    """The parts of an implication or disjunction; None for any other constraint."""
    e = c.expr
    if not isinstance(e, A.Binary):
        return None
    if e.op == "==>":
        literals = tuple(_literal(x, c) for x in _chain(e.left, "and"))
        _comparison(e.right, c, "the consequence of an implication")
        return Implication(literals, e.right)
    if e.op == "or":
        parts = tuple(_chain(e, "or"))
        for p in parts:
            _comparison(p, c, "each side of `or`")
        return Disjunction(parts)
    return None


def check_literals(form: Implication, c: A.ConstraintDecl,
                   variables: Mapping[str, VariableBlock]) -> None:
    """Every variable in the condition is binary."""
    for lit in form.literals:
        block = variables.get(lit.var.name)
        if block is None:
            raise EvalError(f"`{lit.var.name}` in the condition of `{c.name}` is not a "
                            "variable", lit.var.span,
                            "the condition tests binary variables: `b[i] == 1`; a data "
                            "condition belongs in the index filter, `[i in I : d[i] > 0]`")
        if block.domain != "binary":
            raise EvalError(f"`{lit.var.name}` in the condition of `{c.name}` is "
                            f"{block.domain}, but an implication's condition needs binary "
                            "variables", lit.var.span,
                            f"declare `{lit.var.name}` binary, or add a binary that says "
                            "when the constraint applies")


def _chain(e: A.Expr, op: str) -> list[A.Expr]:
    if isinstance(e, A.Binary) and e.op == op:
        return [*_chain(e.left, op), *_chain(e.right, op)]
    return [e]


def _literal(e: A.Expr, c: A.ConstraintDecl) -> Literal:
    if isinstance(e, A.Binary) and e.op == "==":
        for var, value in ((e.left, e.right), (e.right, e.left)):
            if isinstance(var, (A.Name, A.Subscript)) and isinstance(value, A.Number) \
                    and value.value in (0, 1):
                return Literal(var, int(value.value))
    raise EvalError(f"the condition of implication `{c.name}` must be `v == 1` or `v == 0` "
                    "on binary variables, joined by `and`", getattr(e, "span", c.span),
                    "e.g. `open[w] == 1 and rush == 0 ==> ship[w] >= 10`")


def _comparison(e: A.Expr, c: A.ConstraintDecl, what: str) -> None:
    ok = isinstance(e, A.Binary) and e.op in _COMPARISONS
    if ok and isinstance(e, A.Binary) and isinstance(e.left, A.Binary) \
            and e.left.op in ("or", "and", "==>"):
        ok = False
    if not ok:
        raise EvalError(f"{what} in `{c.name}` must be a linear constraint: `<=`, `>=`, `==` "
                        "or ranged", getattr(e, "span", c.span),
                        "e.g. `x[i] <= 10`, `2 <= x + y <= 5`")

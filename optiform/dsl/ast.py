"""The typed syntax tree: what was written, with a Span on every node.

Nodes are frozen dataclasses; spans are excluded from equality so that two
parses of the same text, or a parse of printed text, compare equal. Knows
nothing of data, grounding or solvers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optiform.diagnostics import Span


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Expr:
    """Base of every expression node."""


@dataclass(frozen=True)
class Number(Expr):
    value: float | int
    span: Span | None = _span()


@dataclass(frozen=True)
class Name(Expr):
    """A bare name: an index, a set, a parameter, a variable or a symbol."""

    name: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Symbol(Expr):
    """A quoted string; `bread` and `"bread"` denote the same member."""

    text: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Subscript(Expr):
    name: str
    indices: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Binary(Expr):
    """Arithmetic, set, comparison, membership and logical operators."""

    op: str
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Conditional(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Binder:
    """`i in I`, `(i, j) in ARCS`, or an anonymous set `W` in a declaration index."""

    names: tuple[str, ...] | None
    set: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class Reduction(Expr):
    op: str  # sum | prod | min | max
    binders: tuple[Binder, ...]
    filter: Expr | None
    body: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class SetLiteral(Expr):
    items: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Comprehension(Expr):
    binders: tuple[Binder, ...]
    filter: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True)
class DictLiteral(Expr):
    entries: tuple[tuple[Expr, Expr], ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class ListLiteral(Expr):
    items: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Index:
    """The `[...]` after a declared name: binders and an optional filter."""

    binders: tuple[Binder, ...]
    filter: Expr | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class SetDecl:
    name: str
    within: Expr | None = None
    value: Expr | None = None
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class ParamDecl:
    name: str
    index: Index | None = None
    value: Expr | None = None
    default: Expr | None = None
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class VarDecl:
    name: str
    index: Index | None = None
    # real | nonnegative | integer | binary | semicontinuous | semiinteger
    domain: str | None = None
    lower: Expr | None = None
    upper: Expr | None = None
    init: Expr | None = None
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class DefinedDecl:
    """`name[i in I] = expr` in `variables`: a name for an expression of variables,
    substituted wherever it is used, so that it is never a column."""

    name: str
    index: Index | None
    expr: Expr
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class ObjectiveDecl:
    sense: str  # minimize | maximize
    name: str
    expr: Expr
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class CombinationItem:
    """One name of a `lexicographic:` line, or one `name = weight` of a `weights:` line."""

    name: str
    weight: Expr | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class Combination:
    """The objective section's last line: how its objectives combine into one solve."""

    kind: str  # lexicographic | weights
    items: tuple[CombinationItem, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class ConstraintDecl:
    name: str
    index: Index | None
    expr: Expr
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True)
class ModelDecl:
    """A whole model file. `source` and `file` serve diagnostics only."""

    name: str
    description: str | None = None
    sets: tuple[SetDecl, ...] = ()
    parameters: tuple[ParamDecl, ...] = ()
    variables: tuple[VarDecl, ...] = ()
    objectives: tuple[ObjectiveDecl, ...] = ()
    constraints: tuple[ConstraintDecl, ...] = ()
    defined: tuple[DefinedDecl, ...] = ()  # the `variables` section's `name = expr` lines
    combination: Combination | None = None  # the objective section's last line
    file: str = field(default="<model>", compare=False)
    source: str = field(default="", compare=False, repr=False)


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node (binder sets and filters included)."""
    if isinstance(e, (Subscript,)):
        return e.indices
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Conditional):
        return (e.cond, e.then, e.otherwise)
    if isinstance(e, Reduction):
        extra = (e.filter,) if e.filter is not None else ()
        return (*(b.set for b in e.binders), *extra, e.body)
    if isinstance(e, Comprehension):
        extra = (e.filter,) if e.filter is not None else ()
        return (*(b.set for b in e.binders), *extra)
    if isinstance(e, (TupleExpr, SetLiteral, ListLiteral)):
        return e.items
    if isinstance(e, DictLiteral):
        return tuple(x for kv in e.entries for x in kv)
    return ()


def names_in(e: Expr) -> set[str]:
    """Every name a node mentions, bare or subscripted."""
    out: set[str] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            out.add(node.name)
        elif isinstance(node, Subscript):
            out.add(node.name)
        stack.extend(children(node))
    return out

"""A model's objectives and constraint families as sympy expressions (`Model.to_sympy()`).

For users who want the symbolic form: to differentiate an objective, check a
reformulation, or print it with sympy's own printers. Indexed parameters and
variables are `IndexedBase`s, scalars are `Symbol`s, reductions are `Sum`s
and `Product`s. sympy's sums run over integer ranges, so the members of a
named set `I` are numbered `1..|I|` (`|I|` a positive integer symbol) and
`sum(i in I) e` is `Sum(e, (i, 1, |I|))`; over a set of tuples, `(i, j) in
ARCS` runs `k_ARCS` over `1..|ARCS|` with `i, j` the parts `ARCS_1[k_ARCS],
ARCS_2[k_ARCS]` of its k-th member; a range `a..b` keeps its bounds; a filter
becomes a `Piecewise`. A member written by name (`fixed[north]`) is a `Symbol`
of that name. What has no such form (a set operation as a summation range,
min and max over an index) raises `SymbolicError` naming it. Works on the
syntax tree alone, before any data; imports only the AST and sympy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sympy

from optiform.dsl import ast as A

_Limits = tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr], ...]


class SymbolicError(ValueError):
    """A construct with no sympy form; the message names it and where it is."""


@dataclass(frozen=True)
class SymbolicConstraint:
    """One constraint family: `relation` for each `(index, first, last)` of `over`
    where `where` holds (True when the family has no filter)."""

    name: str
    relation: sympy.Basic
    over: _Limits
    where: sympy.Basic


@dataclass(frozen=True)
class SymbolicModel:
    """The objectives (with their senses) and the constraint families of a model."""

    objectives: dict[str, sympy.Expr]
    senses: dict[str, str]
    constraints: dict[str, SymbolicConstraint]
    sets: dict[str, sympy.Symbol]  # each named set's size, `|I|`


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "abs": sympy.Abs,
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "min": sympy.Min,
    "max": sympy.Max, "floor": sympy.floor, "ceil": sympy.ceiling,
}
_RELATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": sympy.Le, ">=": sympy.Ge, "==": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt,
    ">": sympy.Gt,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "^": lambda a, b: a ** b, "mod": sympy.Mod,
    "and": sympy.And, "or": sympy.Or,
}


def to_sympy(model: A.ModelDecl) -> SymbolicModel:
    """Each objective and constraint family of `model` as sympy expressions."""
    t = _Translator(model)
    objectives = {o.name: t.expr(o.expr) for o in model.objectives}
    constraints = {}
    for c in model.constraints:
        over, names_of = t.limits(c.index.binders if c.index else (), c.name)
        with t.bound(names_of):
            where = t.expr(c.index.filter) if c.index and c.index.filter else sympy.true
            constraints[c.name] = SymbolicConstraint(c.name, t.expr(c.expr), over, where)
    return SymbolicModel(objectives, {o.name: o.sense for o in model.objectives},
                         constraints, dict(t.sizes))


class _Translator:
    def __init__(self, model: A.ModelDecl) -> None:
        self.sets = {s.name for s in model.sets}
        self.sizes: dict[str, sympy.Symbol] = {}
        self.scope: dict[str, sympy.Symbol] = {}

    def size(self, name: str) -> sympy.Symbol:
        if name not in self.sizes:
            self.sizes[name] = sympy.Symbol(f"|{name}|", integer=True, positive=True)
        return self.sizes[name]

    def limits(self, binders: tuple[A.Binder, ...], where: str
               ) -> tuple[_Limits, dict[str, Any]]:
        """The summation limits of `binders`, and what each bound name stands for: its
        own index, or for `(i, j) in ARCS` the parts of ARCS's k-th member,
        `ARCS_1[k]` and `ARCS_2[k]`."""
        limits, names_of = [], {}
        for n, b in enumerate(binders):
            names = b.names or (f"i{n + 1}",)
            first, last = self.range_of(b.set, where)
            if len(names) == 1:
                index = sympy.Symbol(names[0], integer=True)
                names_of[names[0]] = index
            else:
                assert isinstance(b.set, A.Name)  # range_of takes no range of tuples
                index = sympy.Symbol(f"k_{b.set.name}", integer=True)
                names_of.update({name: sympy.IndexedBase(f"{b.set.name}_{m + 1}")[index]
                                 for m, name in enumerate(names)})
            limits.append((index, first, last))
        return tuple(limits), names_of

    def range_of(self, e: A.Expr, where: str) -> tuple[sympy.Expr, sympy.Expr]:
        if isinstance(e, A.Name) and e.name in self.sets:
            return sympy.Integer(1), self.size(e.name)
        if isinstance(e, A.Binary) and e.op == "..":
            return self.expr(e.left), self.expr(e.right)
        raise SymbolicError(f"`{where}`: only a named set or a range `a..b` is a sympy "
                            "summation range (declare the set by name and sum over that)")

    @contextmanager
    def bound(self, names_of: dict[str, Any]) -> Iterator[None]:
        saved = dict(self.scope)
        self.scope.update(names_of)
        try:
            yield
        finally:
            self.scope = saved

    def expr(self, e: A.Expr) -> Any:
        if isinstance(e, A.Number):
            # a typed decimal stays exact: 1.4 is 7/5, not the double nearest it
            return sympy.Rational(repr(e.value)) if isinstance(e.value, float) and \
                math.isfinite(e.value) else sympy.sympify(e.value)
        if isinstance(e, A.Name):
            if e.name in self.scope:
                return self.scope[e.name]
            if e.name in self.sets:
                return self.size(e.name)
            return sympy.Symbol(e.name)
        if isinstance(e, A.Symbol):
            return sympy.Symbol(e.text)
        if isinstance(e, A.Subscript):
            return sympy.IndexedBase(e.name)[tuple(self.expr(i) for i in e.indices)]
        if isinstance(e, A.Unary):
            inner = self.expr(e.operand)
            return -inner if e.op == "-" else sympy.Not(inner)
        if isinstance(e, A.Binary):
            return self.binary(e)
        if isinstance(e, A.Conditional):
            return sympy.Piecewise((self.expr(e.then), self.expr(e.cond)),
                                   (self.expr(e.otherwise), True))
        if isinstance(e, A.Call) and e.func in _FUNCTIONS:
            return _FUNCTIONS[e.func](*(self.expr(a) for a in e.args))
        if isinstance(e, A.Call) and e.func == "card" and len(e.args) == 1 \
                and isinstance(e.args[0], A.Name) and e.args[0].name in self.sets:
            return self.size(e.args[0].name)
        if isinstance(e, A.Reduction) and e.op in ("sum", "prod"):
            return self.reduction(e)
        raise SymbolicError(f"{_where(e)}{type(e).__name__.lower()} "
                            f"{getattr(e, 'op', getattr(e, 'func', ''))} has no sympy form here")

    def binary(self, e: A.Binary) -> Any:
        if e.op in _RELATIONS:
            left = e.left
            # a ranged comparison `lo <= e <= hi` is the pair of its comparisons
            if isinstance(left, A.Binary) and left.op in _RELATIONS:
                return sympy.And(self.binary(left),
                                 _RELATIONS[e.op](self.expr(left.right), self.expr(e.right)))
            return _RELATIONS[e.op](self.expr(e.left), self.expr(e.right))
        if e.op in _ARITHMETIC:
            return _ARITHMETIC[e.op](self.expr(e.left), self.expr(e.right))
        raise SymbolicError(f"{_where(e)}the operator `{e.op}` has no sympy form here")

    def reduction(self, e: A.Reduction) -> Any:
        limits, names_of = self.limits(e.binders, f"{_where(e)}{e.op}")
        with self.bound(names_of):
            body = self.expr(e.body)
            if e.filter is not None:
                body = sympy.Piecewise((body, self.expr(e.filter)), (0 if e.op == "sum" else 1,
                                                                     True))
        cls = sympy.Sum if e.op == "sum" else sympy.Product
        return cls(body, *limits)


def _where(e: A.Expr) -> str:
    span = getattr(e, "span", None)  # every concrete node has one; the base does not
    return f"{span.file}:{span.line}:{span.column}: " if span is not None else ""

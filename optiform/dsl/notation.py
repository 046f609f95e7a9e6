"""A model's expressions as unevaluated sympy trees, for `show` to print.

`Notation(declared)` turns an AST expression into the sympy expression that
says what was written: `Add`, `Mul`, `Pow`, relations and functions built
with `evaluate=False`, so that `2 * 3 * x` keeps its factors and `x - (y - z)`
its parentheses. A left-nested chain of `+` or `*` becomes one `Add` or `Mul`
(the printers would otherwise bracket the inner one); a right-nested one stays
nested, as the user's parentheses said.

What sympy has no form for is a small node of its own here, printed by
`printers.py`: a reduction with its binders and filter (sympy's `Sum` runs
over integer ranges), a member written by name, the language's set, logical
and membership operators (sympy's `And`, `Or`, `Union`, `Min`, `Max` sort their
arguments and drop repeats when built, so the order written would be lost;
`Not`, `Piecewise` and `Contains` take only sympy booleans and sets, and
`Piecewise` prints as `cases`, which mathtext does not read), an integer
range, literals and a piecewise-linear call's breakpoints.

This is for printing only: `symbolic.py` is the form to compute with.
Imports only the AST and sympy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sympy
from sympy.core.symbol import Str

from optiform.dsl import ast as A

_OFF = {"evaluate": False}

# sympy's precedence scale (sympy.printing.precedence), with the language's
# levels between its steps: `and` 30, comparisons 35, `+` 40, `*` 50, `^` 60
PRECEDENCE: dict[str, int] = {
    ":=": 1, "==>": 5, "or": 20, "and": 30, "not": 32, "in": 35,
    "union": 36, "diff": 36, "inter": 37, "*": 50,
}


class Member(sympy.Symbol):
    """A member written by name (`north`, `"New York"`): upright, not a variable."""


class Operator(sympy.Expr):
    """A language operator sympy would reorder or refuse: `Operator("and", a, b)`,
    `Operator("not", a)`; `"*"` here is the Cartesian product of sets."""

    @property
    def op(self) -> str:
        return str(self.args[0])

    @property
    def operands(self) -> tuple[sympy.Basic, ...]:
        return self.args[1:]

    @property
    def precedence(self) -> int:
        return PRECEDENCE[self.op]


class Binder(sympy.Basic):
    """`i in I`, `(i, j) in ARCS`, or an anonymous set `W` (no names)."""

    @property
    def names(self) -> tuple[sympy.Basic, ...]:
        return self.args[0].args

    @property
    def domain(self) -> sympy.Basic:
        return self.args[1]


class Binders(sympy.Basic):
    """A declaration's or a reduction's binders, and the filter (`true` when none)."""

    @property
    def binders(self) -> tuple[Binder, ...]:
        return self.args[0].args

    @property
    def filter(self) -> sympy.Basic | None:
        return None if self.args[1] is sympy.true else self.args[1]


class Reduction(sympy.Expr):
    """`sum`, `prod`, `min` or `max` over binders: (op, Binders, body). It binds like
    a product; its body runs to the end of the product it heads."""

    precedence = 50

    @property
    def op(self) -> str:
        return str(self.args[0])


class Comprehension(sympy.Expr):
    """`{i in I : c}`: a set built from Binders."""

    precedence = 1000


class IntegerRange(sympy.Expr):
    """`a..b`, the integers from a to b."""

    precedence = 1000


class Listing(sympy.Expr):
    """Items in brackets: kind `set` `{a, b}`, `tuple` `(a, b)`, `list` `(a, b)` (a
    parameter's values by position), `dict` `{a: 1}` (items are `Entry`s),
    `interval` `[a, b]`, `points` (a pwl's pairs, bare). Long listings are elided
    by the printer."""

    precedence = 1000

    @property
    def kind(self) -> str:
        return str(self.args[0])

    @property
    def items(self) -> tuple[sympy.Basic, ...]:
        return self.args[1:]


class Entry(sympy.Basic):
    """`key: value` in a dictionary literal."""


class Conditional(sympy.Expr):
    """`if c then a else b`: (c, a, b), printed in its own parentheses."""

    precedence = 1000


class Pwl(sympy.Expr):
    """`pwl(e, [x...], [y...])` with its points paired: (e, Listing of points)."""

    precedence = 1000


class Group(sympy.Expr):
    """Parentheses sympy would drop or refuse: a negation of a negation (`x - (-y)`),
    a relation in arithmetic (`-(a <= b)`)."""

    precedence = 1000


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": sympy.Abs, "card": sympy.Abs, "sqrt": sympy.sqrt, "exp": sympy.exp,
    "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "floor": sympy.floor, "ceil": sympy.ceiling,
}
_RELATIONS: dict[str, Callable[..., Any]] = {
    "<=": sympy.Le, ">=": sympy.Ge, "==": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt,
    ">": sympy.Gt,
}


def number(value: float | int) -> sympy.Expr:
    """A written number: whole values as integers (`1000.0` is 1000), others as floats."""
    if isinstance(value, float) and math.isinf(value):
        return sympy.oo if value > 0 else -sympy.oo
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)


def operator(op: str, *operands: sympy.Basic) -> Operator:
    return Operator(Str(op), *operands)


def listing(kind: str, items: Sequence[sympy.Basic]) -> Listing:
    return Listing(Str(kind), *items)


class Notation:
    """AST expressions to sympy; a bare name is a member unless declared or bound."""

    def __init__(self, declared: frozenset[str]) -> None:
        self.declared = declared
        self.bound: list[str] = []  # index names in scope

    @contextmanager
    def binding(self, names: Sequence[str]) -> Iterator[None]:
        self.bound.extend(names)
        try:
            yield
        finally:
            del self.bound[len(self.bound) - len(names):]

    def name(self, name: str) -> sympy.Symbol:
        return sympy.Symbol(name)

    def head(self, name: str, indices: Sequence[str]) -> sympy.Expr:
        """A declaration's name with its index names: `ship[w, c]`."""
        if not indices:
            return self.name(name)
        return sympy.IndexedBase(self.name(name))[tuple(self.name(i) for i in indices)]

    def binders(self, binders: Sequence[A.Binder], flt: A.Expr | None) -> Binders:
        """Binders over sets read outside their scope, a filter read inside it."""
        nodes = [Binder(sympy.Tuple(*(self.name(n) for n in b.names or ())),
                        self.set_expr(b.set)) for b in binders]
        with self.binding(bound_by(binders)):
            where = self(flt) if flt is not None else sympy.true
        return Binders(sympy.Tuple(*nodes), where)

    def set_expr(self, e: A.Expr) -> sympy.Basic:
        """A set: here `*` is the Cartesian product, which an expression cannot tell."""
        if isinstance(e, A.Binary) and e.op == "*":
            return operator("*", self.set_expr(e.left), self.set_expr(e.right))
        return self(e)

    def __call__(self, e: A.Expr) -> Any:  # noqa: C901 - one case per node kind
        with sympy.evaluate(False):
            if isinstance(e, A.Number):
                return number(e.value)
            if isinstance(e, A.Name):
                known = e.name in self.declared or e.name in self.bound
                return self.name(e.name) if known else Member(e.name)
            if isinstance(e, A.Symbol):
                return Member(e.text)
            if isinstance(e, A.Subscript):
                return sympy.IndexedBase(self.name(e.name))[tuple(self(i) for i in e.indices)]
            if isinstance(e, A.Unary):
                return self.unary(e)
            if isinstance(e, A.Binary):
                return self.binary(e)
            if isinstance(e, A.Conditional):
                return Conditional(self(e.cond), self(e.then), self(e.otherwise))
            if isinstance(e, A.Reduction):
                return self.reduction(e)
            if isinstance(e, A.Call):
                return self.call(e)
            if isinstance(e, A.TupleExpr):
                return listing("tuple", [self(i) for i in e.items])
            if isinstance(e, A.SetLiteral):
                return listing("set", [self(i) for i in e.items])
            if isinstance(e, A.ListLiteral):
                return listing("list", [self(i) for i in e.items])
            if isinstance(e, A.DictLiteral):
                return listing("dict", [Entry(self(k), self(v)) for k, v in e.entries])
            if isinstance(e, A.Comprehension):
                return Comprehension(self.binders(e.binders, e.filter))
        raise TypeError(f"cannot render {type(e).__name__}")

    def unary(self, e: A.Unary) -> Any:
        if e.op == "not":
            return operator("not", self(e.operand))
        if isinstance(e.operand, A.Number):  # -5 is a number, not -1 times 5
            return number(-e.operand.value)
        return negate(self.term(e.operand))

    def binary(self, e: A.Binary) -> Any:
        if e.op in ("+", "-"):
            return sympy.Add(*self.chain(e, ("+", "-")), **_OFF)
        if e.op == "*":
            return sympy.Mul(*self.chain(e, ("*",)), **_OFF)
        if e.op == "/":
            return sympy.Mul(self.term(e.left), sympy.Pow(self.term(e.right), -1, **_OFF),
                             **_OFF)
        if e.op == "^":
            return sympy.Pow(self.term(e.left), self.term(e.right), **_OFF)
        if e.op == "mod":
            return sympy.Mod(self.term(e.left), self.term(e.right), **_OFF)
        if e.op == "..":
            return IntegerRange(self(e.left), self(e.right))
        if e.op in _RELATIONS:  # a ranged `lo <= e <= hi` nests, and prints as written
            return _RELATIONS[e.op](self(e.left), self(e.right), **_OFF)
        return operator(e.op, self(e.left), self(e.right))

    def chain(self, e: A.Expr, ops: tuple[str, ...]) -> list[Any]:
        """The operands of a left-nested chain of `ops`, a subtrahend negated."""
        if not (isinstance(e, A.Binary) and e.op in ops):
            return [self.term(e)]
        right = self.term(e.right)
        return [*self.chain(e.left, ops), negate(right) if e.op == "-" else right]

    def term(self, e: A.Expr) -> Any:
        """An operand of arithmetic; a relation there is grouped (sympy's Add, Mul and
        Pow refuse one, and it needs the parentheses)."""
        read = self(e)
        return Group(read) if isinstance(read, sympy.core.relational.Relational) else read

    def reduction(self, e: A.Reduction) -> Reduction:
        over = self.binders(e.binders, e.filter)
        with self.binding(bound_by(e.binders)):
            return Reduction(Str(e.op), over, self(e.body))

    def call(self, e: A.Call) -> Any:
        args = [self(a) for a in e.args]
        if e.func in _FUNCTIONS and len(args) == 1:
            return _FUNCTIONS[e.func](self.term(e.args[0]), **_OFF)
        if (points := self.breakpoints(e)) is not None:
            return Pwl(args[0], points)
        # min, max, round and the ordered-set functions: sympy's Min and Max would
        # sort their arguments, an undefined function keeps them
        return sympy.Function(e.func)(*args)

    def breakpoints(self, e: A.Call) -> Listing | None:
        """The points (x, y) of `pwl(e, [x...], [y...])` where the lists pair up."""
        if not (e.func == "pwl" and len(e.args) == 3 and isinstance(e.args[1], A.ListLiteral)
                and isinstance(e.args[2], A.ListLiteral)
                and len(e.args[1].items) == len(e.args[2].items)):
            return None
        return listing("points", [listing("tuple", [self(x), self(y)]) for x, y in zip(
            e.args[1].items, e.args[2].items, strict=True)])


def negate(e: Any) -> Any:
    """`-e`, as sympy writes it (`Mul(-1, e)`). A negation of something already
    negative is grouped, which sympy's printers would write as `x - - y`, and so is
    a `mod`, which they would write as `-a mod b`: `(-a) mod b`, another number."""
    if e.could_extract_minus_sign() or isinstance(e, sympy.Mod):
        e = Group(e)
    return sympy.Mul(sympy.S.NegativeOne, e, **_OFF)


def bound_by(binders: Sequence[A.Binder]) -> list[str]:
    return [n for b in binders for n in (b.names or ())]

"""Defined variables: `name[i in I] = expr` substituted wherever the name is used.

A defined variable is never a column. Each use `y[e1, e2]` is replaced, in the
objectives and constraints that the backends and the checker receive, by the
defining expression with its index names replaced by `e1, e2` (inner binders
renamed where they would capture a name of the use), so that every backend
and the checker see only variables and data. The use itself stays in the
expression, first, as `0 * y[e1, e2]` over a parameter of zeros on `y`'s index: a
key outside that index is then the evaluator's usual located error, naming
`y` and its index. `values` computes each defined variable from a point.
Imports the IR, the evaluator and the AST; nothing from the backends.
"""

from __future__ import annotations

import itertools
from dataclasses import fields, replace
from typing import Any, TypeVar

import numpy as np

from optiform.compiler.evaluate import Evaluator, Scope
from optiform.compiler.ir import DefinedBlock, ParamValue, Problem
from optiform.dsl import ast as A

N = TypeVar("N")


class Substitution:
    """Replaces defined variables by their expressions, earlier ones first."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[A.DefinedDecl, A.Expr]] = {}
        self._fresh = itertools.count(1)

    def add(self, decl: A.DefinedDecl) -> A.Expr:
        """Record a defined variable (those it uses already added); its expanded body."""
        body = self.expr(decl.expr)
        self.bodies[decl.name] = (decl, body)
        return body

    def expr(self, e: A.Expr) -> A.Expr:
        if not self.bodies or not (A.names_in(e) & self.bodies.keys()):
            return e
        if isinstance(e, A.Name) and e.name in self.bodies:
            return self.bodies[e.name][1]
        if isinstance(e, A.Subscript) and e.name in self.bodies:
            indices = tuple(self.expr(i) for i in e.indices)
            decl, body = self.bodies[e.name]
            names = [n for b in (decl.index.binders if decl.index else ()) for n in b.names or ()]
            if len(names) == len(indices):
                body = _bind(body, dict(zip(names, indices, strict=True)), self._fresh)
            guard = A.Binary("*", A.Number(0), replace(e, indices=indices), e.span)
            return A.Binary("+", guard, body, e.span)  # the guard first: its error wins
        return _map(e, self.expr)


def _map(node: N, f: Any) -> N:
    """`node` with every expression directly inside it (binder sets too) mapped by `f`."""
    changes: dict[str, Any] = {}
    for fld in fields(node):  # type: ignore[arg-type]
        if fld.name == "span":
            continue
        value = getattr(node, fld.name)
        new = _map_value(value, f)
        if new is not value:
            changes[fld.name] = new
    return replace(node, **changes) if changes else node  # type: ignore[type-var]


def _map_value(value: Any, f: Any) -> Any:
    if isinstance(value, A.Expr):
        return f(value)
    if isinstance(value, A.Binder):
        return _map(value, f)
    if isinstance(value, tuple):
        items = tuple(_map_value(v, f) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _bind(body: A.Expr, values: dict[str, A.Expr], fresh: itertools.count[int]) -> A.Expr:
    """`body` with each free index name replaced by its value; binders inside `body`
    whose names occur in the values are renamed first, so that none captures them."""
    taken = set().union(*(A.names_in(v) for v in values.values())) if values else set()
    inner = _bound_names(body) & taken
    # a quote cannot be written in a name, so a renamed index meets no declared name
    renames = {n: f"{n}'{next(fresh)}" for n in sorted(inner)}
    return _rename(body, {**{k: A.Name(v) for k, v in renames.items()}, **values}, renames)


def _bound_names(e: A.Expr) -> set[str]:
    out: set[str] = set()
    stack: list[Any] = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, (A.Reduction, A.Comprehension)):
            out.update(n for b in node.binders for n in b.names or ())
        if isinstance(node, A.Expr):
            stack.extend(A.children(node))
    return out


def _rename(e: A.Expr, values: dict[str, A.Expr], renames: dict[str, str]) -> A.Expr:
    if isinstance(e, A.Name) and e.name in values:
        value = values[e.name]
        return A.Name(value.name, e.span) if isinstance(value, A.Name) and \
            e.name in renames else value
    if isinstance(e, (A.Reduction, A.Comprehension)) and renames:
        binders = tuple(replace(b, names=tuple(renames.get(n, n) for n in b.names))
                        if b.names else b for b in e.binders)
        e = replace(e, binders=binders)
    return _map(e, lambda c: _rename(c, values, renames))


def domain_param(block: DefinedBlock, domain_text: str) -> ParamValue:
    """Zeros over a defined variable's index: what a use's key is checked against."""
    return ParamValue(block.name, block.keys, np.zeros(len(block.keys)), None, domain_text,
                      block.decl.span, block.keys)


def values(problem: Problem, x: np.ndarray) -> dict[str, np.ndarray]:
    """Each defined variable's value at the point `x`, computed from its expression."""
    if not problem.defined:
        return {}
    scope = Scope(problem.universe, problem.sets, problem.params,
                  {v.name: v for v in problem.variables}, np.asarray(x, dtype=float),
                  declared={*problem.sets, *problem.params, *(v.name for v in problem.variables)})
    ev = Evaluator(scope)
    with np.errstate(all="ignore"):
        return {d.name: ev.num(d.expr, d.frame) for d in problem.defined}

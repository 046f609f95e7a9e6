"""Names, scopes and dependency order, checked before any data is touched.

Every name in every declaration is resolved against the bound indices and
the declared sets, parameters and variables; unknown names get the nearest
declared one as a suggestion, and variables are kept out of sets,
parameters, bounds and filters. Sets and parameters are ordered so that each
comes after what it uses; a cycle is an error naming its members. All
problems of a file are collected and raised together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from optiform.compiler.ordered import ENDS, MEMBER_FUNCS, ORDERED_FUNCS
from optiform.diagnostics import Diagnostic, DiagnosticError, Span, suggest
from optiform.dsl import ast as A
from optiform.dsl.printer import format_expr

_D = TypeVar("_D", A.SetDecl | A.ParamDecl, A.DefinedDecl)

FUNCTIONS = {
    "abs": 1, "exp": 1, "log": 1, "sqrt": 1, "sin": 1, "cos": 1,
    "floor": 1, "ceil": 1, "round": 1, "min": -2, "max": -2, "card": 1, "pwl": 3,
}
ARITH_OPS = {"+", "-", "*", "/", "mod", "^"}
SET_OPS = {"union", "inter", "diff"}
COMPARISONS = {"<=", ">=", "==", "!=", "<", ">"}

Decl = A.SetDecl | A.ParamDecl | A.VarDecl | A.DefinedDecl | A.ObjectiveDecl | A.ConstraintDecl


@dataclass
class Resolution:
    """What the instantiation pass needs: declarations by name, data ones in order."""

    sets: dict[str, A.SetDecl]
    params: dict[str, A.ParamDecl]
    variables: dict[str, A.VarDecl]
    order: list[A.SetDecl | A.ParamDecl]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # declarations with a problem
    # defined variables, each after the defined variables its expression uses
    defined: list[A.DefinedDecl] = field(default_factory=list)


class _Walker:
    def __init__(self, model: A.ModelDecl) -> None:
        self.model = model
        # The first declaration of a name wins; a second one is reported as a duplicate.
        self.sets = _first(model.sets)
        self.params = _first(model.parameters)
        self.vars = _first(model.variables)
        self.defined: dict[str, A.DefinedDecl] = _first(model.defined)
        self.defined_uses: set[str] = set()
        self.diagnostics: list[Diagnostic] = []
        self.deps: set[str] = set()
        self.allow_vars = False
        self.where = ""

    def declared(self) -> list[str]:
        return [*self.sets, *self.params, *self.vars, *self.defined]

    def error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, hint))

    def unknown(self, name: str, span: Span | None, bound: Iterable[str]) -> None:
        hint = suggest(name, [*bound, *self.declared()])
        self.error(f"unknown name `{name}`", span,
                   hint or "declare it in `sets`, `parameters` or `variables`, "
                   "or bind it as an index (`i in I`)")

    # ---- expressions ----------------------------------------------------------
    def binders(self, binders: Iterable[A.Binder], bound: frozenset[str]) -> frozenset[str]:
        inner = set(bound)
        for b in binders:
            self.expr(b.set, frozenset(inner), "set")
            for name in b.names or ():
                if name in inner:
                    self.error(f"index `{name}` is already bound here", b.span,
                               "use a different name for the inner index")
                elif name in self.sets or name in self.params or name in self.vars \
                        or name in self.defined:
                    self.error(f"index `{name}` has the name of a declared "
                               f"{self.kind_of(name)}", b.span, "rename the index")
                inner.add(name)
        return frozenset(inner)

    def kind_of(self, name: str) -> str:
        return ("set" if name in self.sets else "parameter" if name in self.params
                else "defined variable" if name in self.defined else "variable")

    def keyish(self, e: A.Expr, bound: frozenset[str]) -> bool:
        return isinstance(e, A.Symbol) or (isinstance(e, A.Name) and e.name in bound) or (
            isinstance(e, A.Call) and e.func in MEMBER_FUNCS)

    def expr(self, e: A.Expr, bound: frozenset[str], ctx: str) -> None:  # noqa: C901
        if isinstance(e, (A.Number, A.Symbol)):
            return
        if isinstance(e, A.Name):
            self.name(e, bound, ctx)
        elif isinstance(e, A.Subscript):
            self.subscript(e, bound)
        elif isinstance(e, A.Call):
            self.call(e, bound)
        elif isinstance(e, A.Unary):
            self.expr(e.operand, bound, "cond" if e.op == "not" else "num")
        elif isinstance(e, A.Binary):
            self.binary(e, bound, ctx)
        elif isinstance(e, A.Conditional):
            self.condition(e.cond, bound)
            self.expr(e.then, bound, ctx)
            self.expr(e.otherwise, bound, ctx)
        elif isinstance(e, A.Reduction):
            inner = self.binders(e.binders, bound)
            if e.filter is not None:
                self.condition(e.filter, inner)
            self.expr(e.body, inner, "num")
        elif isinstance(e, A.Comprehension):
            inner = self.binders(e.binders, bound)
            if e.filter is not None:
                self.condition(e.filter, inner)
        elif isinstance(e, (A.SetLiteral, A.TupleExpr)):
            for item in e.items:
                self.member(item, bound)
        elif isinstance(e, A.DictLiteral):
            for k, v in e.entries:
                self.member(k, bound)
                self.expr(v, bound, "num")
        elif isinstance(e, A.ListLiteral):
            for item in e.items:
                self.expr(item, bound, "num")

    def member(self, e: A.Expr, bound: frozenset[str]) -> None:
        """A member written out in `{...}`; one spelled like a set is refused, naming both."""
        n = e.name if isinstance(e, A.Name) else ""
        if isinstance(e, A.Name) and n not in bound and (
                n in self.sets or (n in self.params and self.params[n].index is not None)):
            # `D = {A, B, C, D}` read the last D as the set: "defined in terms of itself"
            kind = self.kind_of(n)
            decl = self.sets[n] if n in self.sets else self.params[n]
            at = f" declared at line {decl.span.line}" if decl.span else ""
            self.error(f"member `{n}` has the name of the {kind} `{n}`{at}", e.span,
                       f'quote the member (`"{n}"`) or rename the {kind}')
        else:
            self.expr(e, bound, "key")

    def condition(self, e: A.Expr, bound: frozenset[str]) -> None:
        saved, self.allow_vars = self.allow_vars, False
        saved_where, self.where = self.where, "a condition"
        self.expr(e, bound, "cond")
        self.allow_vars, self.where = saved, saved_where

    def name(self, e: A.Name, bound: frozenset[str], ctx: str) -> None:
        n = e.name
        if n in bound:
            return
        if n in self.sets or n in self.params:
            self.deps.add(n)
            if n in self.params and self.params[n].index is not None and ctx != "key":
                self.error(f"parameter `{n}` is indexed; give its indices: `{n}[...]`", e.span)
            if n in self.sets and ctx in ("num", "cond"):
                self.error(f"set `{n}` used as a number", e.span,
                           f"use `card({n})` for its size, or `i in {n}` to bind an index")
            return
        if n in self.vars or n in self.defined:
            self.var_use(n, e.span)
            if (self.vars.get(n) or self.defined[n]).index is not None:
                self.error(f"{self.kind_of(n)} `{n}` is indexed; give its indices: `{n}[...]`",
                           e.span)
            return
        if ctx == "key":
            return  # a symbol, such as `bread` in `{bread, milk}` or `cost[bread]`
        if ctx == "set" and self.sets:
            hint = suggest(n, self.sets) or "sets: " + ", ".join(self.sets)
            self.error(f"unknown set `{n}`", e.span, hint)
            return
        self.unknown(n, e.span, bound)

    def var_use(self, name: str, span: Span | None) -> None:
        if name in self.defined:
            self.defined_uses.add(name)
        if not self.allow_vars:
            self.error(f"{self.kind_of(name)} `{name}` cannot appear in {self.where}", span,
                       "sets, parameters, bounds and conditions use only data and indices")

    def subscript(self, e: A.Subscript, bound: frozenset[str]) -> None:
        n = e.name
        if n in self.params:
            self.deps.add(n)
            if self.params[n].index is None:
                self.error(f"parameter `{n}` is a scalar and takes no indices", e.span,
                           f"write `{n}` alone")
        elif n in self.vars or n in self.defined:
            self.var_use(n, e.span)
            if (self.vars.get(n) or self.defined[n]).index is None:
                self.error(f"{self.kind_of(n)} `{n}` is a scalar and takes no indices", e.span,
                           f"write `{n}` alone")
        elif n in self.sets:
            self.error(f"set `{n}` is not indexed", e.span,
                       f"write `i in {n}` to range over its members")
        else:
            self.unknown(n, e.span, bound)
        for idx in e.indices:
            self.expr(idx, bound, "key")

    def call(self, e: A.Call, bound: frozenset[str]) -> None:
        if e.func in ORDERED_FUNCS:
            self.ordered_call(e, bound)
            return
        arity = FUNCTIONS.get(e.func)
        if arity is None:
            known = [*FUNCTIONS, *ORDERED_FUNCS]
            hint = suggest(e.func, known) or "functions: " + ", ".join(sorted(known))
            self.error(f"unknown function `{e.func}`", e.span, hint)
        elif arity > 0 and len(e.args) != arity:
            self.error(f"`{e.func}` takes {arity} argument, not {len(e.args)}", e.span)
        elif arity < 0 and len(e.args) < -arity:
            self.error(f"`{e.func}` takes at least {-arity} arguments", e.span,
                       f"for a reduction write `{e.func}(i in I) expr`")
        for a in e.args:
            self.expr(a, bound, "set" if e.func == "card" else "num")

    def ordered_call(self, e: A.Call, bound: frozenset[str]) -> None:
        """`first(S)`, `last(S)` take a set; `ord(t)` a bound index; `prev(t, k)`,
        `next`, `prevw`, `nextw` a bound index and an optional number of steps."""
        if e.func in ENDS:
            if len(e.args) != 1:
                self.error(f"`{e.func}` takes 1 argument, a set, not {len(e.args)}", e.span,
                           f"e.g. `{e.func}(T)`")
            for a in e.args:
                self.expr(a, bound, "set")
            return
        most = 1 if e.func == "ord" else 2
        if not 1 <= len(e.args) <= most:
            takes = "1 argument" if most == 1 else "1 or 2 arguments"
            self.error(f"`{e.func}` takes {takes}, not {len(e.args)}", e.span,
                       f"e.g. `{e.func}(t)`" + ("" if most == 1 else f" or `{e.func}(t, 2)`"))
        index = e.args[0] if e.args else None
        if e.func == "ord" and isinstance(index, A.Call) and index.func in MEMBER_FUNCS:
            self.call(index, bound)  # the position of a neighbour: `ord(prevw(t, k))`
            return
        if index is not None and not (isinstance(index, A.Name) and index.name in bound):
            self.error(f"`{format_expr(index)}` is not a bound index: `{e.func}` steps "
                       "through the set an index is bound to",
                       getattr(index, "span", None) or e.span,
                       f"bind it first, e.g. `sum(t in T) x[{e.func}(t)]` or "
                       f"`c[t in T : ...]`")
        for a in e.args[1:]:
            saved, self.allow_vars = self.allow_vars, False
            saved_where, self.where = self.where, f"the steps of `{e.func}`"
            self.expr(a, bound, "num")
            self.allow_vars, self.where = saved, saved_where

    def binary(self, e: A.Binary, bound: frozenset[str], ctx: str) -> None:
        op = e.op
        if op in SET_OPS or (op == "*" and ctx == "set"):
            self.expr(e.left, bound, "set")
            self.expr(e.right, bound, "set")
        elif op == "in":
            self.expr(e.left, bound, "key")
            self.expr(e.right, bound, "set")
        elif op in ("and", "or"):
            self.expr(e.left, bound, "cond")
            self.expr(e.right, bound, "cond")
        elif op in COMPARISONS:
            # Symbols can be tested for equality only; an ordering compares numbers,
            # so an unknown name there is a typo, not a symbol.
            keyish = self.keyish(e.left, bound) or self.keyish(e.right, bound)
            sub = "key" if keyish and op in ("==", "!=") else "num"
            self.expr(e.left, bound, sub)
            self.expr(e.right, bound, sub)
        else:
            sub = "key" if ctx == "key" else "num"
            self.expr(e.left, bound, sub)
            self.expr(e.right, bound, sub)

    # ---- declarations -------------------------------------------------------------
    def index(self, index: A.Index | None) -> frozenset[str]:
        if index is None:
            return frozenset()
        bound = self.binders(index.binders, frozenset())
        if index.filter is not None:
            self.condition(index.filter, bound)
        return bound

    def in_decl(self, where: str, allow_vars: bool) -> None:
        self.where, self.allow_vars, self.deps = where, allow_vars, set()


def resolve(model: A.ModelDecl) -> Resolution:
    """Check names and order the data declarations; raise on any problem."""
    res = analyse(model)
    if res.diagnostics:
        raise DiagnosticError(res.diagnostics, {model.file: model.source})
    return res


def analyse(model: A.ModelDecl) -> Resolution:
    """Check names and order the data declarations, collecting every problem."""
    w = _Walker(model)
    _check_unique(model, w)
    graph: dict[str, set[str]] = {}
    failed: set[str] = set()

    def track(name: str, before: int) -> None:
        if len(w.diagnostics) > before:
            failed.add(name)

    for s in model.sets:
        before = len(w.diagnostics)
        w.in_decl(f"set `{s.name}`", False)
        if s.within is not None:
            w.expr(s.within, frozenset(), "set")
        if s.value is not None:
            w.expr(s.value, frozenset(), "set")
        graph[s.name] = set(w.deps)
        track(s.name, before)
    for p in model.parameters:
        before = len(w.diagnostics)
        w.in_decl(f"parameter `{p.name}`", False)
        bound = w.index(p.index)
        for e in (p.value, p.default):
            if e is not None:
                w.expr(e, bound, "num")
        graph[p.name] = set(w.deps)
        track(p.name, before)
    for v in model.variables:
        before = len(w.diagnostics)
        w.in_decl(f"the bounds of variable `{v.name}`", False)
        bound = w.index(v.index)
        for e in (v.lower, v.upper, v.init):
            if e is not None:
                w.expr(e, bound, "num")
        track(v.name, before)
    uses: dict[str, set[str]] = {}
    for d in model.defined:
        before = len(w.diagnostics)
        w.in_decl(f"the index of defined variable `{d.name}`", False)
        bound = w.index(d.index)
        for b in d.index.binders if d.index else ():
            if b.names is None:  # its expression says what each member stands for
                w.error(f"defined variable `{d.name}` names its index: `{format_expr(b.set)}` "
                        "binds no name", b.span,
                        f"write `{d.name}[i in {format_expr(b.set)}] = ...` and use `i` in "
                        "the expression")
        w.in_decl("a defined variable", True)
        w.defined_uses = set()
        if isinstance(d.expr, A.Binary) and d.expr.op in (*COMPARISONS, "in"):
            w.error(f"defined variable `{d.name}` is given a bound: it names an expression, "
                    "it is not a column", d.expr.span,
                    f"keep the expression, and bound `{d.name}` in a constraint, e.g. "
                    f"`{d.name}_bound: {d.name} {d.expr.op} {format_expr(d.expr.right)}`"
                    if d.index is None else "keep the expression, and bound "
                    f"`{d.name}` in a constraint, e.g. `{d.name}_bound[...]: {d.name}[...] "
                    f"{d.expr.op} {format_expr(d.expr.right)}`")
        w.expr(d.expr, bound, "num")
        uses[d.name] = set(w.defined_uses)
        track(d.name, before)
    for o in model.objectives:
        before = len(w.diagnostics)
        w.in_decl("an objective", True)
        w.expr(o.expr, frozenset(), "num")
        track(o.name, before)
    if model.combination is not None:
        _combination(model, w)
    for c in model.constraints:
        before = len(w.diagnostics)
        w.in_decl("an index filter", True)
        bound = w.index(c.index)
        w.in_decl("a constraint", True)
        w.expr(c.expr, bound, "num")
        track(c.name, before)
    before = len(w.diagnostics)
    order = _topological(model, graph, w)
    if len(w.diagnostics) > before:
        failed.update(graph)
    before = len(w.diagnostics)
    defined = _defined_order(w.defined, uses, w)
    if len(w.diagnostics) > before:
        failed.update(uses)
    return Resolution(w.sets, w.params, w.vars, order, w.diagnostics, failed, defined)


def _first(decls: Iterable[A.SetDecl | A.ParamDecl | A.VarDecl | A.DefinedDecl]
           ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in decls:
        out.setdefault(d.name, d)
    return out


def _check_unique(model: A.ModelDecl, w: _Walker) -> None:
    seen: dict[str, Decl] = {}
    decls: list[Decl] = [*model.sets, *model.parameters, *model.variables, *model.defined,
                         *model.objectives, *model.constraints]
    for d in decls:
        if d.name in seen:
            first = seen[d.name].span
            at = f" (first declared at line {first.line})" if first else ""
            w.error(f"`{d.name}` is declared twice{at}", d.span, "give each a distinct name")
        else:
            seen[d.name] = d


def _topological(model: A.ModelDecl, graph: dict[str, set[str]],
                 w: _Walker) -> list[A.SetDecl | A.ParamDecl]:
    decls: dict[str, A.SetDecl | A.ParamDecl] = {**_first(model.parameters),
                                                   **_first(model.sets)}
    return _dependency_order(
        decls, {n: {d for d in deps if d in decls or d == n} for n, deps in graph.items()}, w,
        ("declarations", "break the cycle by giving one of them a value"),
        lambda name: (f"`{name}` is defined in terms of itself", None))


def _defined_order(defined: dict[str, A.DefinedDecl], uses: dict[str, set[str]],
                   w: _Walker) -> list[A.DefinedDecl]:
    """Defined variables, each after those its expression uses; a cycle is an error."""
    return _dependency_order(
        defined, uses, w,
        ("defined variables", "a defined variable names an expression of variables and of "
         "defined variables before it; make one of them a variable"),
        lambda name: (f"defined variable `{name}` is defined in terms of itself",
                      "make it a variable and its definition a constraint"))


def _dependency_order(decls: dict[str, _D], deps: dict[str, set[str]], w: _Walker,
                      cycle: tuple[str, str],
                      itself: Callable[[str], tuple[str, str | None]]) -> list[_D]:
    """`decls` in an order where each comes after those it depends on (depth first, in
    declaration order); a cycle, and a declaration that uses itself, are errors."""
    order: list[_D] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = stack[stack.index(name):] + [name]
            w.error(f"{cycle[0]} depend on each other in a cycle: " + " -> ".join(loop),
                    decls[name].span, cycle[1])
            return
        state[name] = 1
        stack.append(name)
        for dep in sorted(deps.get(name, ())):
            if dep == name:
                message, hint = itself(name)
                w.error(message, decls[name].span, hint)
            else:
                visit(dep)
        stack.pop()
        state[name] = 2
        order.append(decls[name])

    for name in decls:
        visit(name)
    return order


def _combination(model: A.ModelDecl, w: _Walker) -> None:
    """The objective section's `lexicographic:` or `weights:` line names each objective of
    the model at most once; a weight is data."""
    assert model.combination is not None
    names = [o.name for o in model.objectives]
    seen: set[str] = set()
    for item in model.combination.items:
        if item.name not in names:
            w.error(f"unknown objective `{item.name}` in `{model.combination.kind}:`", item.span,
                    suggest(item.name, names) or ("objectives: " + ", ".join(names) if names
                                                  else "declare the objectives above it"))
        elif item.name in seen:
            w.error(f"objective `{item.name}` is named twice in `{model.combination.kind}:`",
                    item.span, "name each objective once")
        seen.add(item.name)
        if item.weight is not None:
            w.in_decl(f"the weight of `{item.name}`", False)
            w.expr(item.weight, frozenset(), "num")

"""Lark parse tree -> typed AST (`optiform.dsl.ast`).

The grammar keeps one expression language for numbers, conditions and sets;
this pass gives shape to what the grammar leaves generic (a `{...}` is a set,
a dictionary or a comprehension; `i in I` in an index is a binder) and
reports misuse with a position. Imports only the AST and diagnostics.
"""

from __future__ import annotations

import math
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from optiform.diagnostics import Diagnostic, Span, suggest
from optiform.dsl import ast as A

COMBINATIONS = ("lexicographic", "weights")
SECTION_ORDER = ("sets", "parameters", "variables", "objective", "constraints")


class _Section:
    def __init__(self, kind: str, decls: list[Any], span: Span) -> None:
        self.kind, self.decls, self.span = kind, decls, span


class _Description(str):
    pass


class _Filter:
    def __init__(self, expr: A.Expr) -> None:
        self.expr = expr


class _Attr:
    def __init__(self, kind: str, value: Any, span: Span) -> None:
        self.kind, self.value, self.span = kind, value, span


@v_args(meta=True)
class ToAst(Transformer[Token, A.ModelDecl]):
    """Builds the AST and collects (rather than raises) shape errors."""

    def __init__(self, file: str, source: str) -> None:
        super().__init__()
        self.file = file
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    # ---- helpers -------------------------------------------------------
    def _span(self, meta: Meta | Token) -> Span | None:
        if isinstance(meta, Token):
            return Span(self.file, meta.line or 0, meta.column or 0, meta.end_line, meta.end_column)
        if getattr(meta, "empty", True):
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _error(self, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, hint, kind="syntax"))

    def _binder(self, expr: A.Expr, allow_anonymous: bool) -> A.Binder:
        if isinstance(expr, A.Binary) and expr.op == "in":
            names = self._binder_names(expr.left)
            if names is not None:
                return A.Binder(names, expr.right, expr.span)
        if allow_anonymous:
            return A.Binder(None, expr, getattr(expr, "span", None))
        self._error(
            "expected an index binder such as `i in I` or `(i, j) in ARCS`",
            getattr(expr, "span", None),
        )
        return A.Binder(None, expr, getattr(expr, "span", None))

    def _binder_names(self, expr: A.Expr) -> tuple[str, ...] | None:
        if isinstance(expr, A.Name):
            return (expr.name,)
        if isinstance(expr, A.TupleExpr) and all(isinstance(i, A.Name) for i in expr.items):
            return tuple(i.name for i in expr.items)  # type: ignore[attr-defined]
        return None

    # ---- model and sections ---------------------------------------------
    def start(self, meta: Meta, children: list[Any]) -> A.ModelDecl:
        name, description = None, None
        sections: dict[str, list[Any]] = {}
        last = -1
        for child in children:
            if isinstance(child, tuple):
                name, description = child
                continue
            order = SECTION_ORDER.index(child.kind)
            if child.kind in sections:
                self._error(f"section `{child.kind}` appears twice", child.span,
                            "merge the two sections into one")
            elif order < last:
                self._error(
                    f"section `{child.kind}` comes after `{SECTION_ORDER[last]}`",
                    child.span,
                    "sections go in the order: " + ", ".join(SECTION_ORDER),
                )
            last = max(last, order)
            sections.setdefault(child.kind, []).extend(child.decls)
        if "variables" not in sections:
            self._error("the model has no `variables` section", Span(self.file, 1, 1),
                        "declare the decision variables: a line `variables`, then e.g. `x[I] >= 0`")
        stem = self.file.rsplit("/", 1)[-1].split(".", 1)[0] or "model"
        return A.ModelDecl(
            name=name or stem,
            description=description,
            sets=tuple(sections.get("sets", ())),
            parameters=tuple(sections.get("parameters", ())),
            variables=tuple(d for d in sections.get("variables", ())
                            if isinstance(d, A.VarDecl)),
            objectives=tuple(d for d in sections.get("objective", ())
                             if isinstance(d, A.ObjectiveDecl)),
            constraints=tuple(sections.get("constraints", ())),
            defined=tuple(d for d in sections.get("variables", ())
                          if isinstance(d, A.DefinedDecl)),
            combination=self._combination(sections.get("objective", [])),
            file=self.file,
            source=self.source,
        )

    def model_header(self, meta: Meta, children: list[Any]) -> tuple[str, str | None]:
        return (str(children[0]), children[1] if len(children) > 1 else None)

    def _section(self, kind: str, meta: Meta, children: list[Any]) -> _Section:
        span = self._span(meta) or Span(self.file, 1, 1)
        return _Section(kind, children, span)

    def sets_section(self, meta: Meta, children: list[Any]) -> _Section:
        return self._section("sets", meta, children)

    def params_section(self, meta: Meta, children: list[Any]) -> _Section:
        return self._section("parameters", meta, children)

    def vars_section(self, meta: Meta, children: list[Any]) -> _Section:
        return self._section("variables", meta, children)

    def objective_section(self, meta: Meta, children: list[Any]) -> _Section:
        return self._section("objective", meta, children)

    def constraints_section(self, meta: Meta, children: list[Any]) -> _Section:
        return self._section("constraints", meta, children)

    def description(self, meta: Meta, children: list[Token]) -> _Description:
        return _Description(children[0][1:-1])

    # ---- declarations ----------------------------------------------------
    @staticmethod
    def _pick(children: list[Any], kind: type) -> Any:
        return next((c for c in children if isinstance(c, kind)), None)

    def set_decl(self, meta: Meta, children: list[Any]) -> A.SetDecl:
        name = children[0]
        within = value = None
        for c in children[1:]:
            if isinstance(c, tuple) and c[0] == "within":
                within = c[1]
            elif isinstance(c, tuple) and c[0] == "value":
                value = c[1]
        return A.SetDecl(str(name), within, value, self._pick(children, _Description),
                         self._span(name))

    def within(self, meta: Meta, children: list[Any]) -> tuple[str, A.Expr]:
        return ("within", children[0])

    def set_value(self, meta: Meta, children: list[Any]) -> tuple[str, A.Expr]:
        return ("value", children[0])

    def param_decl(self, meta: Meta, children: list[Any]) -> A.ParamDecl:
        name = children[0]
        value = default = None
        for c in children[1:]:
            if isinstance(c, tuple) and c[0] == "value":
                value = c[1]
            elif isinstance(c, tuple) and c[0] == "default":
                default = c[1]
        return A.ParamDecl(str(name), self._pick(children, A.Index), value, default,
                           self._pick(children, _Description), self._span(name))

    def param_value(self, meta: Meta, children: list[Any]) -> tuple[str, A.Expr]:
        return ("value", children[0])

    def default(self, meta: Meta, children: list[Any]) -> tuple[str, A.Expr]:
        return ("default", children[0])

    def var_decl(self, meta: Meta, children: list[Any]) -> A.VarDecl:
        name = children[0]
        fields: dict[str, Any] = {}
        for attr in (c for c in children[1:] if isinstance(c, _Attr)):
            keys = ("lower", "upper") if attr.kind == "interval" else (attr.kind,)
            values = attr.value if attr.kind == "interval" else (attr.value,)
            for key, value in zip(keys, values, strict=True):
                if key in fields:
                    label = {"lower": "lower bound", "upper": "upper bound"}.get(key, key)
                    self._error(f"variable `{name}` has its {label} given twice", attr.span,
                                "keep one")
                fields[key] = value
        return A.VarDecl(str(name), self._pick(children, A.Index), fields.get("domain"),
                         fields.get("lower"), fields.get("upper"), fields.get("init"),
                         self._pick(children, _Description), self._span(name))

    def defined_decl(self, meta: Meta, children: list[Any]) -> A.DefinedDecl:
        name = children[0]
        expr = next(c for c in children[1:] if isinstance(c, A.Expr))
        return A.DefinedDecl(str(name), self._pick(children, A.Index), expr,
                             self._pick(children, _Description), self._span(name))

    def domain(self, meta: Meta, children: list[Any]) -> _Attr:
        return _Attr("domain", children[0], self._span(meta))  # type: ignore[arg-type]

    def domain_kw(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def lower_bound(self, meta: Meta, children: list[Any]) -> _Attr:
        return _Attr("lower", children[0], self._span(meta))  # type: ignore[arg-type]

    def upper_bound(self, meta: Meta, children: list[Any]) -> _Attr:
        return _Attr("upper", children[0], self._span(meta))  # type: ignore[arg-type]

    def fixed_bound(self, meta: Meta, children: list[Any]) -> _Attr:
        return _Attr("interval", (children[0], children[0]), self._span(meta))  # type: ignore[arg-type]

    def interval(self, meta: Meta, children: list[Any]) -> _Attr:
        return _Attr("interval", (children[0], children[1]), self._span(meta))  # type: ignore[arg-type]

    def init(self, meta: Meta, children: list[Any]) -> _Attr:
        return _Attr("init", children[0], self._span(meta))  # type: ignore[arg-type]

    def objective_decl(self, meta: Meta, children: list[Any]) -> A.ObjectiveDecl:
        sense, name, expr = children[0], children[1], children[2]
        return A.ObjectiveDecl(sense, str(name), expr, self._pick(children[3:], _Description),
                               self._span(name))

    def _combination(self, decls: list[Any]) -> A.Combination | None:
        lines = [d for d in decls if isinstance(d, A.Combination)]
        for extra in lines[1:]:  # two objective sections, each with its line
            self._error("the objectives' combination is given twice", extra.span, "keep one")
        return lines[0] if lines else None

    def combination(self, meta: Meta, children: list[Any]) -> A.Combination:
        word, items = str(children[0]), tuple(children[1:])
        span = self._span(children[0])
        if word not in COMBINATIONS:
            self._error(f"`{word}:` is not a way to combine objectives", span,
                        suggest(word, COMBINATIONS) or "the objective section ends with "
                        "`lexicographic: a, b` (in that order) or `weights: a = 1, b = 0.5`, "
                        "after the objectives")
        for item in items:
            if word == "lexicographic" and item.weight is not None:
                self._error(f"a lexicographic order takes names only, not `{item.name} = ...`",
                            item.span, "write `lexicographic: a, b`, or `weights: a = 1, "
                            "b = 0.5` for a weighted sum")
            elif word == "weights" and item.weight is None:
                self._error(f"objective `{item.name}` has no weight", item.span,
                            f"write `{item.name} = 1`")
        return A.Combination(word, items, span)

    def combination_item(self, meta: Meta, children: list[Any]) -> A.CombinationItem:
        weight = children[1] if len(children) > 1 else None
        return A.CombinationItem(str(children[0]), weight, self._span(children[0]))

    def sense(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def constraint_decl(self, meta: Meta, children: list[Any]) -> A.ConstraintDecl:
        name = children[0]
        index = self._pick(children, A.Index)
        expr = next(c for c in children[1:] if isinstance(c, A.Expr))
        return A.ConstraintDecl(str(name), index, expr, self._pick(children, _Description),
                                self._span(name))

    def index(self, meta: Meta, children: list[Any]) -> A.Index:
        flt = children[-1] if isinstance(children[-1], _Filter) else None
        items = children[:-1] if flt else children
        binders = tuple(self._binder(e, allow_anonymous=True) for e in items)
        return A.Index(binders, flt.expr if flt else None, self._span(meta))

    def filter(self, meta: Meta, children: list[Any]) -> _Filter:
        return _Filter(children[0])

    # ---- expressions -------------------------------------------------------
    def number(self, meta: Meta, children: list[Token]) -> A.Number:
        text = str(children[0])
        span = self._span(children[0])
        value: float | int = float(text)
        if math.isinf(value):  # beyond the largest float, ~1.8e308
            short = text if len(text) <= 20 else f"{text[:8]}...({len(text)} characters)"
            self._error(f"the number `{short}` is too large", span,
                        "write `inf` for infinity, or rescale the data")
            return A.Number(math.inf, span)
        if text.isdigit():
            value = int(text)
        return A.Number(value, span)

    def infinity(self, meta: Meta, children: list[Token]) -> A.Number:
        return A.Number(float("inf"), self._span(meta))

    def name(self, meta: Meta, children: list[Token]) -> A.Name:
        return A.Name(str(children[0]), self._span(children[0]))

    def string(self, meta: Meta, children: list[Token]) -> A.Symbol:
        return A.Symbol(str(children[0])[1:-1], self._span(children[0]))

    def subscript(self, meta: Meta, children: list[Any]) -> A.Subscript:
        return A.Subscript(str(children[0]), tuple(children[1:]), self._span(meta))

    def call(self, meta: Meta, children: list[Any]) -> A.Call:
        args = tuple(c for c in children[1:] if c is not None)
        return A.Call(str(children[0]), args, self._span(meta))

    def minmax(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def sumlike(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def _op(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    comp_op = union_op = add_op = mul_op = _op

    def binary(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary(children[1], children[0], children[2], self._span(meta))

    compare = set_op = binary

    def pow_op(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("^", children[0], children[1], self._span(meta))

    def range_op(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("..", children[0], children[1], self._span(meta))

    def inter_op(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("inter", children[0], children[1], self._span(meta))

    def member(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("in", children[0], children[1], self._span(meta))

    def and_op(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("and", children[0], children[1], self._span(meta))

    def or_op(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("or", children[0], children[1], self._span(meta))

    def implies(self, meta: Meta, children: list[Any]) -> A.Binary:
        return A.Binary("==>", children[0], children[1], self._span(meta))

    def not_op(self, meta: Meta, children: list[Any]) -> A.Unary:
        return A.Unary("not", children[0], self._span(meta))

    def neg(self, meta: Meta, children: list[Any]) -> A.Expr:
        return A.Unary("-", children[0], self._span(meta))

    def conditional(self, meta: Meta, children: list[Any]) -> A.Conditional:
        return A.Conditional(children[0], children[1], children[2], self._span(meta))

    def binder(self, meta: Meta, children: list[Any]) -> A.Binder:
        expr = A.Binary("in", children[0], children[1], self._span(meta))
        return self._binder(expr, allow_anonymous=False)

    def reduction(self, meta: Meta, children: list[Any]) -> A.Reduction:
        op, *rest = children
        body = rest[-1]
        flt = next((c.expr for c in rest if isinstance(c, _Filter)), None)
        binders = tuple(c for c in rest[:-1] if isinstance(c, A.Binder))
        return A.Reduction(op, binders, flt, body, self._span(meta))

    def tuple_lit(self, meta: Meta, children: list[Any]) -> A.TupleExpr:
        return A.TupleExpr(tuple(children), self._span(meta))

    def list_lit(self, meta: Meta, children: list[Any]) -> A.ListLiteral:
        return A.ListLiteral(tuple(children), self._span(meta))

    def entry(self, meta: Meta, children: list[Any]) -> tuple[A.Expr, A.Expr | None]:
        return (children[0], children[1] if len(children) > 1 else None)

    def braces(self, meta: Meta, children: list[Any]) -> A.Expr:
        span = self._span(meta)
        entries = [c for c in children if c is not None]
        if not entries:
            return A.SetLiteral((), span)
        keyed = [v is not None for _, v in entries]
        binders = [self._binder_names(k.left) if isinstance(k, A.Binary) and k.op == "in"
                   else None for k, _ in entries]
        if all(b is not None for b in binders) and not any(keyed[:-1]):
            flt = entries[-1][1]
            return A.Comprehension(
                tuple(self._binder(k, allow_anonymous=False) for k, _ in entries), flt, span
            )
        if all(keyed):
            return A.DictLiteral(tuple((k, v) for k, v in entries), span)  # type: ignore[misc]
        if not any(keyed):
            return A.SetLiteral(tuple(k for k, _ in entries), span)
        self._error(
            "a `{...}` mixes `key: value` entries with plain members",
            span,
            "write a set `{a, b}`, a dictionary `{a: 1, b: 2}` or a comprehension "
            "`{i in I : condition}`",
        )
        return A.SetLiteral(tuple(k for k, _ in entries), span)

    def __default__(self, data: str, children: list[Any], meta: Meta) -> Any:
        if len(children) == 1:
            return children[0]
        return Tree(data, children, meta)

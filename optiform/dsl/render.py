"""A model as mathematics: the five elements in Unicode text, LaTeX or Markdown.

`render(model, style)` works from the AST alone, so it shows what was
written, before any data is read: sets and parameters with their values (a
large literal summarised by its size and range), variables with their
domains and bounds, the objective and each constraint family in summation
notation with its quantifier. Every expression, and every bound or domain
built from one, goes through one translation to sympy (`notation.py`) and is
printed by sympy's LaTeX printer or, for the terminal, its string printer
(`printers.py`), so the parentheses are sympy's, from precedence: a fraction
or an exponent groups by itself. This module owns the layout: which line
says what, the quantifier after it, the words between formulas, the
summaries of large literals. The LaTeX is the subset that matplotlib's
mathtext also reads (no `cases`, no `\\bmod`), so every line can be drawn
without a TeX installation. Imports only the AST, sympy and those two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from optiform.dsl import ast as A
from optiform.dsl.notation import Notation, listing, number, operator
from optiform.dsl.printers import INLINE_ENTRIES, LatexNotation, TextNotation, escape

STYLES = ("text", "latex", "markdown")


def render(model: A.ModelDecl, style: str = "text",
           given: Mapping[str, str] | None = None) -> str:
    """The model as mathematics in `style`: text (Unicode), latex or markdown; `given`
    says in words what the data gave a set or parameter the model leaves to it."""
    if style not in STYLES:
        raise ValueError(f"unknown style `{style}`; one of {', '.join(STYLES)}")
    return _DOCUMENTS[style](model, given).render()


# ---- the five elements -------------------------------------------------------------------

@dataclass
class _Line:
    """One declaration: its head (a name with indices), its body, quantifier, note."""

    head: str
    body: str
    forall: str = ""
    note: str = ""
    sense: str = ""  # an objective's


class _Document:
    printer_class: type[LatexNotation] | type[TextNotation]

    def __init__(self, model: A.ModelDecl, given: Mapping[str, str] | None = None) -> None:
        self.model = model
        self.given = dict(given or {})
        declared = {*(s.name for s in model.sets), *(p.name for p in model.parameters),
                    *(v.name for v in model.variables), *(d.name for d in model.defined)}
        self.notation = Notation(frozenset(declared))
        self.printer = self.printer_class()
        self.ops = self.printer.ops

    def show(self, e: sympy.Basic) -> str:
        return self.printer.doprint(e)

    def name(self, name: str) -> str:
        return self.show(self.notation.name(name))

    # -- the facts of each element, in this document's notation --
    def index_names(self, index: A.Index | None) -> tuple[list[str], list[A.Binder]]:
        """Names for a declaration's indices (made up for `x[W]`), and binders naming them."""
        if index is None:
            return [], []
        names: list[str] = []
        binders: list[A.Binder] = []
        for b in index.binders:
            if b.names is None:
                base = b.set.name.lower()[0] if isinstance(b.set, A.Name) else "i"
                candidate, k = base, 2
                while candidate in names or candidate in self.notation.declared:
                    candidate, k = f"{base}{k}", k + 1
                names.append(candidate)
                binders.append(A.Binder((candidate,), b.set))
            else:
                names.extend(b.names)
                binders.append(b)
        return names, binders

    def declaration(self, name: str, index: A.Index | None, *parts: A.Expr | None
                    ) -> tuple[sympy.Expr, str, list[sympy.Expr | None]]:
        """(head, quantifier, each part read with the indices in scope)."""
        names, binders = self.index_names(index)
        over = self.notation.binders(binders, index.filter if index else None)
        forall = self.printer.quantifier(over, self.ops["such"])
        with self.notation.binding(names):
            read = [self.notation(p) if p is not None else None for p in parts]
        return self.notation.head(name, names), forall, read

    def sets(self) -> list[_Line]:
        out = []
        for s in self.model.sets:
            body = self.show(self.notation.set_expr(s.value)) if s.value is not None \
                else self.from_data(s.name)
            if s.within is not None:
                body += f" {self.ops['within']} {self.show(self.notation.set_expr(s.within))}"
            out.append(_Line(self.name(s.name), body, note=s.description or ""))
        return out

    def parameters(self) -> list[_Line]:
        out = []
        for p in self.model.parameters:
            literal = isinstance(p.value, (A.DictLiteral, A.ListLiteral))
            head, forall, (value, default) = self.declaration(
                p.name, p.index, None if literal else p.value, p.default)
            if isinstance(p.value, (A.DictLiteral, A.ListLiteral)):
                body = self.literal(p.value)
            else:
                body = self.from_data(p.name) if value is None else self.show(value)
            if default is not None:
                body += f"{self.sep()}{self.word('default ')}{self.show(default)}"
            out.append(_Line(self.show(head), body, forall, p.description or ""))
        return out

    def variables(self) -> list[_Line]:
        out = []
        for v in self.model.variables:
            lower_e = v.lower if v.lower is not None else (
                A.Number(0) if v.domain == "nonnegative" else None)
            head, forall, (lower, upper, init) = self.declaration(
                v.name, v.index, lower_e, v.upper, v.init)
            body = self.show(self.domain(v.domain, head, lower, upper))
            if v.domain == "integer" and (lower is not None or upper is not None):
                body += f"{self.sep()}{self.show(_bounds(head, lower, upper))}"
            if init is not None:
                body += f"{self.sep()}{self.word('starting at ')}{self.show(init)}"
            out.append(_Line(self.show(head), body, forall, v.description or ""))
        for d in self.model.defined:  # a name for an expression, not a column
            head, forall, (value,) = self.declaration(d.name, d.index, d.expr)
            out.append(_Line(self.show(head), self.show(operator(":=", head, value)), forall,
                             d.description or ""))
        return out

    def domain(self, domain: str | None, head: sympy.Expr, lower: sympy.Expr | None,
               upper: sympy.Expr | None) -> sympy.Basic:
        """Where a variable lies: its domain (integers: the bounds follow), or its bounds."""
        if domain == "binary":
            return operator("in", head, listing("set", [sympy.Integer(0), sympy.Integer(1)]))
        if domain == "integer":
            return operator("in", head, sympy.S.Integers)
        if domain in ("semicontinuous", "semiinteger"):
            # 0, or within its bounds (whole numbers for semiinteger)
            interval = listing("interval", [lower, upper]) \
                if lower is not None and upper is not None else _bounds(head, lower, upper)
            union = operator("union", listing("set", [sympy.Integer(0)]), interval)
            if domain == "semiinteger":
                union = operator("inter", union, sympy.S.Integers)
            return operator("in", head, union)
        if lower is None and upper is None:
            return operator("in", head, sympy.S.Reals)
        return _bounds(head, lower, upper)

    def objectives(self) -> list[_Line]:
        return [_Line(self.name(o.name), self.show(self.notation(o.expr)),
                      note=o.description or "", sense=o.sense) for o in self.model.objectives]

    def constraints(self) -> list[_Line]:
        out = []
        for c in self.model.constraints:
            _, forall, (body,) = self.declaration(c.name, c.index, c.expr)
            out.append(_Line(self.name(c.name), self.show(body), forall, c.description or ""))
        return out

    def combination(self, c: A.Combination) -> str:
        """How the objectives combine: an order of priority, or a weighted sum."""
        if c.kind == "lexicographic":
            return self.word("lexicographic: ") + self.word(", then ").join(
                self.name(i.name) for i in c.items)
        # One sum in the sense of the first objective it weighs: an objective of the
        # other sense counts against it, as the backends combine them.
        senses = {o.name: o.sense for o in self.model.objectives}
        items = [(i.name, i.weight) for i in c.items if i.weight is not None]
        if not items:
            return self.word("weighted: ") + "0"
        sense = senses.get(items[0][0], "minimize")
        text = ""
        for k, (name, weight) in enumerate(items):
            term = self.show(sympy.Mul(self.notation.term(weight), self.notation.name(name),
                                       evaluate=False))
            against = senses.get(name, sense) != sense
            text += (("-" if against else "") if k == 0 else (" - " if against else " + ")) \
                + term
        return self.word(f"weighted: {sense} ") + text

    def literal(self, e: A.DictLiteral | A.ListLiteral) -> str:
        """A literal in full when short, otherwise its shape and the range of its values."""
        values = _numbers(e)
        count = len(e.entries) if isinstance(e, A.DictLiteral) else len(values)
        if count <= INLINE_ENTRIES:
            return self.show(self.notation(e))
        size = f" {self.ops['*']} ".join(map(str, _shape(e)))
        if not values:
            return f"{size}{self.word(' values')}"
        lo, hi = self.show(number(min(values))), self.show(number(max(values)))
        return f"{size}{self.word(' values from ')}{lo}{self.word(' to ')}{hi}"

    def render(self) -> str:
        raise NotImplementedError

    # -- notation-specific words --
    def word(self, text: str) -> str:
        raise NotImplementedError

    def sep(self) -> str:
        raise NotImplementedError

    def from_data(self, name: str) -> str:
        given = self.given.get(name)
        return self.word(f"from the data: {given}" if given else "given by the data")

    def title(self) -> str:
        desc = f" — {self.model.description}" if self.model.description else ""
        return f"{self.model.name}{desc}"


def _bounds(head: sympy.Expr, lower: sympy.Expr | None, upper: sympy.Expr | None
            ) -> sympy.Basic:
    """`lo ≤ x ≤ hi`, `x = v` when the two are one, or the one bound there is."""
    if lower is not None and upper is not None:
        if lower == upper:
            return sympy.Eq(head, lower, evaluate=False)
        return sympy.Le(sympy.Le(lower, head, evaluate=False), upper, evaluate=False)
    if lower is not None:
        return sympy.Ge(head, lower, evaluate=False)
    return sympy.Le(head, upper, evaluate=False)


class _TextDocument(_Document):
    printer_class = TextNotation

    def word(self, text: str) -> str:
        return text

    def sep(self) -> str:
        return ", "

    def render(self) -> str:
        out = [self.title(), ""]
        sections = [("Sets", self.sets(), "="), ("Parameters", self.parameters(), "="),
                    ("Variables", self.variables(), None)]
        for title, lines, mark in sections:
            if lines:
                out += [title, *self.table(lines, mark), ""]
        if self.model.objectives:
            out.append("Objective")
            for o in self.objectives():
                verb = o.sense
                note = f"    ({o.note})" if o.note else ""
                out.append(f"  {verb} {o.head}:  {o.body}{note}")
            if self.model.combination is not None:
                out.append(f"  {self.combination(self.model.combination)}")
            out.append("")
        if self.model.constraints:
            out += ["Constraints", *self.constraint_lines(), ""]
        return "\n".join(out).rstrip() + "\n"

    def table(self, lines: list[_Line], mark: str | None) -> list[str]:
        """`head = body` with heads aligned; without a mark, the body alone (it has the head)."""
        width = min(max(len(line.head) for line in lines), 24)
        out = []
        for line in lines:
            if mark is None:
                text = f"  {line.body}"
            else:
                text = f"  {line.head.ljust(width)} {mark} {line.body}"
            if line.forall:
                text += f"    ∀ {line.forall}"
            if line.note:
                text += f"    ({line.note})"
            out.append(text)
        return out

    def constraint_lines(self) -> list[str]:
        lines = self.constraints()
        width = min(max(len(line.head) for line in lines), 24)
        out = []
        for line in lines:
            text = f"  {(line.head + ':').ljust(width + 1)}  {line.body}"
            if line.forall:
                text += f"    ∀ {line.forall}"
            if line.note:
                text += f"    ({line.note})"
            out.append(text)
        return out


class _LatexDocument(_Document):
    printer_class = LatexNotation

    def word(self, text: str) -> str:
        return r"\text{" + escape(text) + "}"

    def sep(self) -> str:
        return r",\quad "

    def rows(self) -> list[tuple[str, str]]:
        """(label, formula) for each line of the model, in the order a paper writes them."""
        rows: list[tuple[str, str]] = []
        for o in self.objectives():
            verb = r"\min" if o.sense == "minimize" else r"\max"
            rows.append((verb, f"{o.body}\\qquad ({o.head})"))
        if self.model.combination is not None:
            rows.append(("", self.combination(self.model.combination)))
        for i, c in enumerate(self.constraints()):
            forall = rf"\quad {self.ops['forall']}\, {c.forall}" if c.forall else ""
            label = r"\text{s.t.}" if i == 0 else ""
            rows.append((label, f"{c.body}{forall}\\qquad ({c.head})"))
        for v in self.variables():
            forall = rf"\quad {self.ops['forall']}\, {v.forall}" if v.forall else ""
            rows.append(("", f"{v.body}{forall}"))
        return rows

    def data_rows(self) -> list[str]:
        lines = []
        for s in self.sets():
            lines.append(f"{s.head} = {s.body}")
        for p in self.parameters():
            forall = rf"\quad {self.ops['forall']}\, {p.forall}" if p.forall else ""
            lines.append(f"{p.head} = {p.body}{forall}")
        return lines

    def render(self) -> str:
        out = [f"% {self.title()}", r"\begin{align*}"]
        rows = self.rows()
        for i, (label, formula) in enumerate(rows):
            end = r" \\" if i < len(rows) - 1 else ""
            out.append(f"  {label} & {formula}{end}")
        out.append(r"\end{align*}")
        data = self.data_rows()
        if data:
            out += [r"\begin{align*}"]
            for i, line in enumerate(data):
                end = r" \\" if i < len(data) - 1 else ""
                out.append(f"  & {line}{end}")
            out.append(r"\end{align*}")
        return "\n".join(out) + "\n"


class _MarkdownDocument(_LatexDocument):
    def render(self) -> str:
        out = [f"## {self.model.name}", ""]
        if self.model.description:
            out += [self.model.description, ""]
        for title, lines in (("Sets", self.sets()), ("Parameters", self.parameters())):
            if lines:
                out += [f"**{title}**", "", "| | | |", "|---|---|---|"]
                for line in lines:
                    forall = rf" \quad {self.ops['forall']}\, {line.forall}" \
                        if line.forall else ""
                    out.append(f"| ${line.head}$ | ${line.body}{forall}$ | {line.note} |")
                out.append("")
        if self.model.variables or self.model.defined:
            out += ["**Variables**", "", "| | | |", "|---|---|---|"]
            for v in self.variables():
                forall = rf" \quad {self.ops['forall']}\, {v.forall}" if v.forall else ""
                out.append(f"| ${v.head}$ | ${v.body}{forall}$ | {v.note} |")
            out.append("")
        if self.model.objectives:
            out += ["**Objective**", ""]
            for o in self.objectives():
                verb = r"\min" if o.sense == "minimize" else r"\max"
                out += ["$$", f"{verb}\\quad {o.body}", "$$", ""]
            if self.model.combination is not None:
                out += ["$$", self.combination(self.model.combination), "$$", ""]
        if self.model.constraints:
            out += ["**Constraints**", ""]
            for decl, c in zip(self.model.constraints, self.constraints(), strict=True):
                forall = rf"\quad {self.ops['forall']}\, {c.forall}" if c.forall else ""
                note = f" — {c.note}" if c.note else ""
                out += [f"*{decl.name}*{note}",
                        "", "$$", f"{c.body}{forall}", "$$", ""]
        return "\n".join(out).rstrip() + "\n"


def _numbers(e: A.Expr) -> list[float]:
    """Every numeric value in a literal (keys excluded)."""
    if isinstance(e, A.Number):
        return [float(e.value)]
    if isinstance(e, A.Unary) and e.op == "-":
        return [-v for v in _numbers(e.operand)]
    if isinstance(e, A.DictLiteral):
        return [v for _, value in e.entries for v in _numbers(value)]
    if isinstance(e, A.ListLiteral):
        return [v for item in e.items for v in _numbers(item)]
    return []


def _shape(e: A.DictLiteral | A.ListLiteral) -> list[int]:
    if isinstance(e, A.DictLiteral):
        return [len(e.entries)]
    shape = [len(e.items)]
    first = e.items[0] if e.items else None
    if isinstance(first, A.ListLiteral):
        shape += _shape(first)
    return shape


_DOCUMENTS: dict[str, type[_Document]] = {
    "text": _TextDocument, "latex": _LatexDocument, "markdown": _MarkdownDocument}

"""A model as mathematics: the five elements in Unicode text, LaTeX or Markdown.

`render(model, style)` works from the AST alone, so it shows what was
written, before any data is read: sets and parameters with their values (a
large literal summarised by its size and range), variables with their
domains and bounds, the objective and each constraint family in summation
notation with its quantifier. Parentheses follow the grammar's precedence
(the printer's table), except where the mathematics makes them unneeded: a
fraction or an exponent groups by itself. The LaTeX is the subset that
matplotlib's mathtext also reads (no `cases`, no `\\bmod`), so every line can
be drawn without a TeX installation. Imports only the AST and the printer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from optiform.dsl import ast as A
from optiform.dsl.printer import _BINARY as LEVELS  # the grammar's precedence, shared
from optiform.dsl.printer import Level

STYLES = ("text", "latex", "markdown")
_INLINE_ENTRIES = 8  # literals with more entries are summarised
_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"})
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def render(model: A.ModelDecl, style: str = "text",
           given: Mapping[str, str] | None = None) -> str:
    """The model as mathematics in `style`: text (Unicode), latex or markdown; `given`
    says in words what the data gave a set or parameter the model leaves to it."""
    if style not in STYLES:
        raise ValueError(f"unknown style `{style}`; one of {', '.join(STYLES)}")
    if style == "text":
        return _TextDocument(model, given).render()
    if style == "latex":
        return _LatexDocument(model, given).render()
    return _MarkdownDocument(model, given).render()


# ---- expressions ---------------------------------------------------------------------

class _Math:
    """Expressions in one notation; subclasses give the symbols."""

    latex = False
    ops: dict[str, str] = {}

    def __init__(self, declared: frozenset[str]) -> None:
        self.declared = declared
        self.bound: list[str] = []  # index names in scope: any other bare name is a member

    @contextmanager
    def binding(self, names: Sequence[str]) -> Iterator[None]:
        self.bound.extend(names)
        try:
            yield
        finally:
            del self.bound[len(self.bound) - len(names):]

    def name(self, name: str) -> str:
        raise NotImplementedError

    def symbol(self, text: str) -> str:
        raise NotImplementedError

    def index(self, base: str, items: Sequence[str]) -> str:
        raise NotImplementedError

    def paren(self, text: str) -> str:
        return f"({text})"

    # -- shared structure --
    def __call__(self, e: A.Expr) -> str:
        return self.expr(e)[0]

    def at(self, e: A.Expr, need: Level) -> str:
        text, level = self.expr(e)
        return text if level >= need else self.paren(text)

    def expr(self, e: A.Expr) -> tuple[str, Level]:  # noqa: C901
        if isinstance(e, A.Number):
            return self.number(e.value)
        if isinstance(e, A.Name):
            if e.name in self.declared or e.name in self.bound:
                return self.name(e.name), Level.ATOM
            return self.symbol(e.name), Level.ATOM
        if isinstance(e, A.Symbol):
            return self.symbol(e.text), Level.ATOM
        if isinstance(e, A.Subscript):
            return self.index(self.name(e.name), [self(i) for i in e.indices]), Level.ATOM
        if isinstance(e, A.Unary):
            if e.op == "not":
                return f"{self.ops['not']} {self.at(e.operand, Level.NOT)}", Level.NOT
            level = Level.TERM if isinstance(e.operand, A.Reduction) else Level.UNARY
            return "-" + self.at(e.operand, level), level
        if isinstance(e, A.Binary):
            return self.binary(e)
        if isinstance(e, A.Conditional):
            return self.conditional(e), Level.EXPR
        if isinstance(e, A.Reduction):
            return self.reduction(e), Level.TERM
        if isinstance(e, A.Call):
            return self.call(e), Level.ATOM
        if isinstance(e, A.TupleExpr):
            return "(" + ", ".join(self(i) for i in e.items) + ")", Level.ATOM
        if isinstance(e, A.SetLiteral):
            return self.braces(self.listing([self(i) for i in e.items])), Level.ATOM
        if isinstance(e, A.Comprehension):
            with self.binding(_bound_by(e.binders)):
                inside = self.binders(e.binders, e.filter, colon=self.ops["such"])
            return self.braces(inside), Level.ATOM
        if isinstance(e, (A.DictLiteral, A.ListLiteral)):
            return self.literal(e), Level.ATOM
        raise TypeError(f"cannot render {type(e).__name__}")

    def number(self, value: float | int) -> tuple[str, Level]:
        if isinstance(value, float) and math.isinf(value):
            return ("-" if value < 0 else "") + self.ops["inf"], Level.ATOM
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            value = int(value)
        text = f"{value:g}" if isinstance(value, float) else str(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = self.scientific(mantissa, str(int(exponent)))
        return text, Level.ATOM

    def scientific(self, mantissa: str, exponent: str) -> str:
        raise NotImplementedError

    def binary(self, e: A.Binary) -> tuple[str, Level]:
        level, left_need, right_need = LEVELS[e.op]
        if e.op == "/":
            return self.fraction(e), Level.ATOM if self.latex else level
        if e.op == "^":
            return self.power(self.at(e.left, Level.ATOM), e.right), Level.POWER
        if e.op == "..":
            return self.braces(f"{self(e.left)}, {self.ops['dots']}, {self(e.right)}"), \
                Level.ATOM
        left = self.at(e.left, left_need)
        if e.op == "*":
            if isinstance(e.right, A.Reduction):
                return f"{left}{self.times(e.right)}{self(e.right)}", Level.TERM
            return f"{left}{self.times(e.right)}{self.at(e.right, right_need)}", level
        right = self.at(e.right, right_need)
        if e.op == "-" and right.startswith("-"):
            right = self.paren(right)
        return f"{left} {self.ops.get(e.op, e.op)} {right}", level

    def times(self, right: A.Expr) -> str:
        raise NotImplementedError

    def fraction(self, e: A.Binary) -> str:
        raise NotImplementedError

    def power(self, base: str, exponent: A.Expr) -> str:
        raise NotImplementedError

    def braces(self, text: str) -> str:
        raise NotImplementedError

    def listing(self, items: list[str]) -> str:
        if len(items) > _INLINE_ENTRIES:
            items = [*items[:3], self.ops["dots"], items[-1]]
        return ", ".join(items)

    def set_expr(self, e: A.Expr) -> str:
        """A set: here `*` is the Cartesian product, which an expression cannot tell."""
        if isinstance(e, A.Binary) and e.op == "*":
            return f"{self.set_expr(e.left)} {self.ops['*']} {self.set_expr(e.right)}"
        return self.at(e, Level.UNION)

    def binder(self, b: A.Binder) -> str:
        if b.names is None:
            return self.set_expr(b.set)
        names = self.name(b.names[0]) if len(b.names) == 1 else "(" + ", ".join(
            self.name(n) for n in b.names) + ")"
        return f"{names} {self.ops['in']} {self.set_expr(b.set)}"

    def binders(self, binders: Sequence[A.Binder], flt: A.Expr | None, colon: str) -> str:
        text = ", ".join(self.binder(b) for b in binders)
        if flt is None:
            return text
        with self.binding(_bound_by(binders)):
            return f"{text}{colon}{self(flt)}"

    def reduction(self, e: A.Reduction) -> str:
        under = self.binders(e.binders, e.filter, colon=" : ")
        body_need = Level.PRODUCT if e.op in ("min", "max") else Level.TERM
        with self.binding(_bound_by(e.binders)):
            body = self.at(e.body, body_need)
        return f"{self.ops[e.op]}_{{{under}}} {body}"

    def call(self, e: A.Call) -> str:
        raise NotImplementedError

    def conditional(self, e: A.Conditional) -> str:
        raise NotImplementedError

    def literal(self, e: A.DictLiteral | A.ListLiteral) -> str:
        if isinstance(e, A.DictLiteral):
            items = [f"{self(k)}{self.ops['maps']}{self(v)}" for k, v in e.entries]
            return self.braces(self.listing(items))
        return "(" + self.listing([self(i) for i in e.items]) + ")"


class _Text(_Math):
    ops = {"<=": "≤", ">=": "≥", "==": "=", "!=": "≠", "in": "∈", "and": "∧", "or": "∨",
           "==>": "⇒",
           "not": "¬", "union": "∪", "inter": "∩", "diff": "∖", "*": "×", "mod": "mod",
           "inf": "∞", "dots": "…", "such": " : ", "maps": ": ", "forall": "∀",
           "sum": "Σ", "prod": "Π", "min": "min", "max": "max"}

    def name(self, name: str) -> str:
        return name

    def symbol(self, text: str) -> str:
        return text if text.isidentifier() else f'"{text}"'

    def index(self, base: str, items: Sequence[str]) -> str:
        return f"{base}[{', '.join(items)}]" if items else base

    def scientific(self, mantissa: str, exponent: str) -> str:
        return f"{mantissa}·10{exponent.translate(_SUPERSCRIPT)}"

    def times(self, right: A.Expr) -> str:
        return "·"

    def fraction(self, e: A.Binary) -> str:
        return f"{self.at(e.left, Level.PRODUCT)} / {self.at(e.right, Level.UNARY)}"

    def power(self, base: str, exponent: A.Expr) -> str:
        if isinstance(exponent, A.Number) and float(exponent.value).is_integer() \
                and 0 <= exponent.value < 10:
            return base + str(int(exponent.value)).translate(_SUPERSCRIPT)
        return f"{base}^{self.at(exponent, Level.ATOM)}"

    def braces(self, text: str) -> str:
        return "{" + text + "}"

    def call(self, e: A.Call) -> str:
        args = [self(a) for a in e.args]
        if e.func == "abs":
            return f"|{args[0]}|"
        if e.func == "card":
            return f"|{args[0]}|"
        if e.func == "sqrt":
            return f"√{self.at(e.args[0], Level.ATOM)}"
        if e.func == "floor":
            return f"⌊{args[0]}⌋"
        if e.func == "ceil":
            return f"⌈{args[0]}⌉"
        if (points := _breakpoints(e, self)) is not None:
            return f"pwl({args[0]}; {points})"
        return f"{e.func}({', '.join(args)})"

    def conditional(self, e: A.Conditional) -> str:
        return f"({self(e.then)} if {self(e.cond)}, else {self(e.otherwise)})"


class _Latex(_Math):
    latex = True
    ops = {"<=": r"\leq", ">=": r"\geq", "==": "=", "!=": r"\neq", "<": "<", ">": ">",
           "in": r"\in", "and": r"\wedge", "or": r"\vee", "not": r"\neg",
           "==>": r"\Rightarrow",
           "union": r"\cup", "inter": r"\cap", "diff": r"\setminus", "+": "+", "-": "-",
           "mod": r"\;\mathrm{mod}\;", "*": r"\times", "inf": r"\infty", "dots": r"\ldots",
           "such": r" \mid ", "maps": r"\colon ", "forall": r"\forall", "sum": r"\sum",
           "prod": r"\prod", "min": r"\min", "max": r"\max"}

    def name(self, name: str) -> str:
        if name in _GREEK:
            return "\\" + name
        if len(name) == 1:
            return name
        return r"\mathit{" + _escape(name) + "}"

    def symbol(self, text: str) -> str:
        return r"\mathrm{" + _escape(text).replace(" ", r"\ ") + "}"

    def index(self, base: str, items: Sequence[str]) -> str:
        return f"{base}_{{{','.join(items)}}}" if items else base

    def paren(self, text: str) -> str:
        return rf"\left({text}\right)"

    def scientific(self, mantissa: str, exponent: str) -> str:
        return rf"{mantissa} \cdot 10^{{{exponent}}}"

    def times(self, right: A.Expr) -> str:
        first = right
        while isinstance(first, A.Binary) and first.op in ("*", "^", "/"):
            first = first.left
        # a number after a factor would read as one number: 2 \cdot 3, not 2\,3
        return r" \cdot " if isinstance(first, (A.Number, A.Unary)) else r" \, "

    def fraction(self, e: A.Binary) -> str:
        return rf"\frac{{{self(e.left)}}}{{{self(e.right)}}}"

    def power(self, base: str, exponent: A.Expr) -> str:
        return f"{base}^{{{self(exponent)}}}"

    def braces(self, text: str) -> str:
        return r"\{" + text + r"\}"

    def call(self, e: A.Call) -> str:
        args = [self(a) for a in e.args]
        if e.func in ("abs", "card"):
            return rf"\left|{args[0]}\right|"
        if e.func == "sqrt":
            return rf"\sqrt{{{args[0]}}}"
        if e.func == "floor":
            return rf"\lfloor {args[0]} \rfloor"
        if e.func == "ceil":
            return rf"\lceil {args[0]} \rceil"
        if (points := _breakpoints(e, self)) is not None:
            return rf"\operatorname{{pwl}}\left({args[0]};\ {points}\right)"
        if e.func in ("exp", "log", "sin", "cos", "min", "max"):
            return rf"\{e.func}\left({', '.join(args)}\right)"
        return rf"\operatorname{{{e.func}}}\left({', '.join(args)}\right)"

    def conditional(self, e: A.Conditional) -> str:
        return (rf"\left({self(e.then)}\ \mathrm{{if}}\ {self(e.cond)},\ "
                rf"\mathrm{{else}}\ {self(e.otherwise)}\right)")


def _breakpoints(e: A.Call, math: _Math) -> str | None:
    """The points (x, y) of `pwl(e, [x...], [y...])` where the lists pair up, else None."""
    if not (e.func == "pwl" and len(e.args) == 3 and isinstance(e.args[1], A.ListLiteral)
            and isinstance(e.args[2], A.ListLiteral)
            and len(e.args[1].items) == len(e.args[2].items)):
        return None
    pairs = [f"({math(x)}, {math(y)})" for x, y in zip(e.args[1].items, e.args[2].items,
                                                       strict=True)]
    return math.listing(pairs)


def _escape(text: str) -> str:
    for char in "\\{}_#%&$^~":
        text = text.replace(char, "\\" + char)
    return text


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
    math_class: type[_Math]

    def __init__(self, model: A.ModelDecl, given: Mapping[str, str] | None = None) -> None:
        self.model = model
        self.given = dict(given or {})
        self.set_names = {s.name for s in model.sets}
        declared = {*self.set_names, *(p.name for p in model.parameters),
                    *(v.name for v in model.variables), *(d.name for d in model.defined)}
        self.math = self.math_class(frozenset(declared))

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
                while candidate in names or candidate in self.math.declared:
                    candidate, k = f"{base}{k}", k + 1
                names.append(candidate)
                binders.append(A.Binder((candidate,), b.set))
            else:
                names.extend(b.names)
                binders.append(b)
        return names, binders

    def declaration(self, name: str, index: A.Index | None,
                    *parts: A.Expr | None) -> tuple[str, str, list[str]]:
        """(head, quantifier, each part rendered with the indices in scope)."""
        m = self.math
        names, binders = self.index_names(index)
        head = m.index(m.name(name), [m.name(n) for n in names])
        forall = m.binders(binders, index.filter if index else None, m.ops["such"])
        with m.binding(names):
            rendered = [m(p) if p is not None else "" for p in parts]
        return head, forall, rendered

    def sets(self) -> list[_Line]:
        m = self.math
        out = []
        for s in self.model.sets:
            body = m.set_expr(s.value) if s.value is not None else self.from_data(s.name)
            if s.within is not None:
                body = f"{body}{self.within()}{m.set_expr(s.within)}"
            out.append(_Line(m.name(s.name), body, note=s.description or ""))
        return out

    def parameters(self) -> list[_Line]:
        out = []
        for p in self.model.parameters:
            literal = isinstance(p.value, (A.DictLiteral, A.ListLiteral))
            head, forall, (value, default) = self.declaration(
                p.name, p.index, None if literal else p.value, p.default)
            if p.value is None:
                body = self.from_data(p.name)
            elif isinstance(p.value, (A.DictLiteral, A.ListLiteral)):
                body = self.literal(p.value)
            else:
                body = value
            if p.default is not None:
                body += f"{self.sep()}{self.word('default ')}{default}"
            out.append(_Line(head, body, forall, p.description or ""))
        return out

    def variables(self) -> list[_Line]:
        m = self.math
        out = []
        for v in self.model.variables:
            lower_e = v.lower if v.lower is not None else (
                A.Number(0) if v.domain == "nonnegative" else None)
            head, forall, (lower, upper, init) = self.declaration(
                v.name, v.index, lower_e, v.upper, v.init)
            le, ge = m.ops["<="], m.ops[">="]
            if lower_e is not None and v.upper is not None:
                bounds = (f"{head} = {lower}" if lower == upper
                          else f"{lower} {le} {head} {le} {upper}")
            elif lower_e is not None:
                bounds = f"{head} {ge} {lower}"
            elif v.upper is not None:
                bounds = f"{head} {le} {upper}"
            else:
                bounds = ""
            if v.domain in ("integer", "binary"):
                domain = self.integers() if v.domain == "integer" else m.braces("0, 1")
                body = f"{head} {m.ops['in']} {domain}"
                if bounds and v.domain == "integer":
                    body += f"{self.sep()}{bounds}"
            elif v.domain in ("semicontinuous", "semiinteger"):
                # 0, or within its bounds (whole numbers for semiinteger)
                interval = f"[{lower}, {upper}]" if lower_e is not None and v.upper is not None \
                    else bounds
                union = f"{m.braces('0')} {m.ops['union']} {interval}"
                if v.domain == "semiinteger":
                    union = f"({union}) {m.ops['inter']} {self.integers()}"
                body = f"{head} {m.ops['in']} {union}"
            else:
                body = bounds or f"{head} {m.ops['in']} {self.reals()}"
            if v.init is not None:
                body += f"{self.sep()}{self.word('starting at ')}{init}"
            out.append(_Line(head, body, forall, v.description or ""))
        for d in self.model.defined:  # a name for an expression, not a column
            head, forall, (value,) = self.declaration(d.name, d.index, d.expr)
            out.append(_Line(head, f"{head} := {value}", forall, d.description or ""))
        return out

    def objectives(self) -> list[_Line]:
        m = self.math
        return [_Line(m.name(o.name), m(o.expr), note=o.description or "",
                      sense=o.sense) for o in self.model.objectives]

    def constraints(self) -> list[_Line]:
        out = []
        for c in self.model.constraints:
            _, forall, (body,) = self.declaration(c.name, c.index, c.expr)
            out.append(_Line(self.math.name(c.name), body, forall, c.description or ""))
        return out

    def combination(self, c: A.Combination) -> str:
        """How the objectives combine: an order of priority, or a weighted sum."""
        m = self.math
        if c.kind == "lexicographic":
            return self.word("lexicographic: ") + self.word(", then ").join(
                m.name(i.name) for i in c.items)
        terms = [f"{m.at(i.weight, Level.PRODUCT)}{m.times(A.Name(i.name))}{m.name(i.name)}"
                 for i in c.items if i.weight is not None]
        return self.word("weighted: ") + " + ".join(terms)

    def literal(self, e: A.DictLiteral | A.ListLiteral) -> str:
        """A literal in full when short, otherwise its shape and the range of its values."""
        values = _numbers(e)
        count = len(e.entries) if isinstance(e, A.DictLiteral) else len(values)
        if count <= _INLINE_ENTRIES:
            return self.math(e)
        size = f" {self.math.ops['*']} ".join(map(str, _shape(e)))
        if not values:
            return f"{size}{self.word(' values')}"
        lo, hi = self.math.number(min(values))[0], self.math.number(max(values))[0]
        return f"{size}{self.word(' values from ')}{lo}{self.word(' to ')}{hi}"

    # -- notation-specific words --
    def word(self, text: str) -> str:
        raise NotImplementedError

    def sep(self) -> str:
        raise NotImplementedError

    def from_data(self, name: str) -> str:
        given = self.given.get(name)
        return self.word(f"from the data: {given}" if given else "given by the data")

    def within(self) -> str:
        raise NotImplementedError

    def reals(self) -> str:
        raise NotImplementedError

    def integers(self) -> str:
        raise NotImplementedError

    def title(self) -> str:
        desc = f" — {self.model.description}" if self.model.description else ""
        return f"{self.model.name}{desc}"


class _TextDocument(_Document):
    math_class = _Text

    def word(self, text: str) -> str:
        return text

    def sep(self) -> str:
        return ", "

    def within(self) -> str:
        return " ⊆ "

    def reals(self) -> str:
        return "ℝ"

    def integers(self) -> str:
        return "ℤ"

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
    math_class = _Latex

    def word(self, text: str) -> str:
        return r"\text{" + _escape(text) + "}"

    def sep(self) -> str:
        return r",\quad "

    def within(self) -> str:
        return r" \subseteq "

    def reals(self) -> str:
        return r"\mathbb{R}"

    def integers(self) -> str:
        return r"\mathbb{Z}"

    def rows(self) -> list[tuple[str, str]]:
        """(label, formula) for each line of the model, in the order a paper writes them."""
        m = self.math
        rows: list[tuple[str, str]] = []
        for o in self.objectives():
            verb = r"\min" if o.sense == "minimize" else r"\max"
            rows.append((verb, f"{o.body}\\qquad ({o.head})"))
        if self.model.combination is not None:
            rows.append(("", self.combination(self.model.combination)))
        for i, c in enumerate(self.constraints()):
            forall = rf"\quad {m.ops['forall']}\, {c.forall}" if c.forall else ""
            label = r"\text{s.t.}" if i == 0 else ""
            rows.append((label, f"{c.body}{forall}\\qquad ({c.head})"))
        for v in self.variables():
            forall = rf"\quad {m.ops['forall']}\, {v.forall}" if v.forall else ""
            rows.append(("", f"{v.body}{forall}"))
        return rows

    def data_rows(self) -> list[str]:
        lines = []
        for s in self.sets():
            lines.append(f"{s.head} = {s.body}")
        for p in self.parameters():
            forall = rf"\quad {self.math.ops['forall']}\, {p.forall}" if p.forall else ""
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
                    forall = rf" \quad {self.math.ops['forall']}\, {line.forall}" \
                        if line.forall else ""
                    out.append(f"| ${line.head}$ | ${line.body}{forall}$ | {line.note} |")
                out.append("")
        if self.model.variables or self.model.defined:
            out += ["**Variables**", "", "| | | |", "|---|---|---|"]
            for v in self.variables():
                forall = rf" \quad {self.math.ops['forall']}\, {v.forall}" if v.forall else ""
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
            for c in self.constraints():
                forall = rf"\quad {self.math.ops['forall']}\, {c.forall}" if c.forall else ""
                note = f" — {c.note}" if c.note else ""
                out += [f"*{_plain(c.head)}*{note}",
                        "", "$$", f"{c.body}{forall}", "$$", ""]
        return "\n".join(out).rstrip() + "\n"


def _plain(latex_name: str) -> str:
    """`\\mathit{capacity\\_ok}` as capacity_ok, for prose."""
    text = latex_name.removeprefix(r"\mathit{").removesuffix("}")
    return text.replace("\\_", "_").lstrip("\\")


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


def _bound_by(binders: Sequence[A.Binder]) -> list[str]:
    return [n for b in binders for n in (b.names or ())]

"""sympy printers for `show`: LaTeX in mathtext's subset, and one-line Unicode text.

`LatexNotation` is sympy's `LatexPrinter` and `TextNotation` its `StrPrinter`,
both with `order="none"` so that terms print in the order written. Each
overrides only what the language says differently: names (`\\mathit{ship}`,
members upright), subscripts `x_{i,j}`, `mod` (sympy's `\\bmod` is not in
mathtext), relations (sympy ranks `Eq` with products), a quotient as written
(sympy's takes nested ones apart), the Unicode operators of the text (`·`,
`²`, `√`, `≤`, `|x|`, where sympy writes `*`, `**`, `sqrt`, `<=`, `Abs`), and
the nodes of `notation.py` (reductions with binders and filters, set and
logical operators, literals), which print the same way in both from each
printer's table of symbols.
The text is a `StrPrinter`, not sympy's Unicode `pretty`: that one draws in
two dimensions (limits under a Σ, fractions over a bar), and the terminal's
layout is one line per family with its quantifier after it. Imports only
sympy and `notation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy
from sympy.core.relational import Relational
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from optiform.dsl.notation import PRECEDENCE as LEVELS
from optiform.dsl.notation import (
    Binder,
    Binders,
    Comprehension,
    Conditional,
    Entry,
    Group,
    IntegerRange,
    Listing,
    Member,
    Operator,
    Pwl,
    Reduction,
)

INLINE_ENTRIES = 8  # listings with more entries are elided
_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"})
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_MUL, _ADD = PRECEDENCE["Mul"], PRECEDENCE["Add"]
# where a decimal turns to scientific notation, as Python's `g` format: 1e-5, 1.2e+6
_FLOATS = {"min": -5, "max": 6}


class _Language:
    """The language's own nodes, printed from the symbols in `ops`."""

    ops: dict[str, str]

    if TYPE_CHECKING:  # the printer's, which this is mixed into
        def _print(self, expr: Any, **kwargs: Any) -> str: ...

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        """sympy's, except that every relation ranks as a comparison: sympy ranks `Eq`
        and `Ne` with products, for its string form `Eq(a, b)`."""
        if not isinstance(item, Relational):
            return super().parenthesize(item, level, strict=strict)  # type: ignore[misc]
        rank = PRECEDENCE["Relational"]
        grouped = rank < level or (not strict and rank <= level)
        return self.paren(self._print(item)) if grouped else self._print(item)

    def _print_Relational(self, expr: Relational) -> str:
        # left-associative as the grammar is: `lo <= x <= hi` prints as written
        rank = PRECEDENCE["Relational"]
        return (f"{self.parenthesize(expr.lhs, rank, strict=True)} {self.ops[expr.rel_op]} "
                f"{self.parenthesize(expr.rhs, rank)}")

    def paren(self, text: str) -> str:
        return f"({text})"

    def braces(self, text: str) -> str:
        return "{" + text + "}"

    def listing(self, items: list[str]) -> str:
        if len(items) > INLINE_ENTRIES:
            items = [*items[:3], self.ops["dots"], items[-1]]
        return ", ".join(items)

    def quantifier(self, over: Binders, colon: str) -> str:
        """`w ∈ W, c ∈ C`, then `colon` and the filter if there is one."""
        text = ", ".join(self._print(b) for b in over.binders)
        return text if over.filter is None else f"{text}{colon}{self._print(over.filter)}"

    def _print_Binder(self, b: Binder) -> str:
        domain = self.parenthesize(b.domain, LEVELS["union"], strict=True)
        if not b.names:
            return domain
        names = [self._print(n) for n in b.names]
        named = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
        return f"{named} {self.ops['in']} {domain}"

    def _print_Operator(self, e: Operator) -> str:
        op = self.ops.get(e.op, e.op)
        if len(e.operands) == 1:
            return f"{op} {self.parenthesize(e.operands[0], e.precedence, strict=True)}"
        left, right = e.operands
        return (f"{self.parenthesize(left, e.precedence, strict=True)} {op} "
                f"{self.parenthesize(right, e.precedence)}")

    def _print_Reduction(self, e: Reduction) -> str:
        over, body = e.args[1], e.args[2]
        # a min or max runs over a product only: a reduction ending it is grouped; a
        # negation is a term, as the body of a sum may be (sympy ranks it with `+`)
        grouped = e.op in ("min", "max") and open_ended(body)
        negated = isinstance(body, sympy.Mul) and body.args[0] is sympy.S.NegativeOne
        text = self.paren(self._print(body)) if grouped else self._print(body) if negated \
            else self.parenthesize(body, _MUL, strict=True)
        return f"{self.ops[e.op]}_{{{self.quantifier(over, ' : ')}}} {text}"

    def _print_Mod(self, expr: sympy.Mod, exp: str | None = None) -> str:
        left, right = expr.args
        shown = self.paren(self._print(left)) if open_ended(left) else \
            self.parenthesize(left, _MUL, strict=True)
        return f"{shown}{self.ops['mod']}{self.parenthesize(right, _MUL)}"

    def _print_Comprehension(self, e: Comprehension) -> str:
        return self.braces(self.quantifier(e.args[0], self.ops["such"]))

    def _print_IntegerRange(self, e: IntegerRange) -> str:
        first, last = (self._print(a) for a in e.args)
        return self.braces(f"{first}, {self.ops['dots']}, {last}")

    def _print_Listing(self, e: Listing) -> str:
        items = self.listing([self._print(i) for i in e.items])
        if e.kind in ("set", "dict"):
            return self.braces(items)
        if e.kind == "interval":
            return f"[{items}]"
        return items if e.kind == "points" else f"({items})"

    def _print_Entry(self, e: Entry) -> str:
        return f"{self._print(e.args[0])}{self.ops['maps']}{self._print(e.args[1])}"

    def _print_Conditional(self, e: Conditional) -> str:
        cond, then, otherwise = (self._print(a) for a in e.args)
        return self.paren(f"{then}{self.ops['if']}{cond}{self.ops['else']}{otherwise}")

    def _print_Pwl(self, e: Pwl) -> str:
        arg, points = (self._print(a) for a in e.args)
        return f"{self.ops['pwl']}{self.paren(arg + self.ops['points'] + points)}"

    def _print_Group(self, e: Group) -> str:
        return self.paren(self._print(e.args[0]))


class LatexNotation(_Language, LatexPrinter):
    """LaTeX that matplotlib's mathtext reads: no `cases`, no `\\bmod`."""

    ops = {"<=": r"\leq", ">=": r"\geq", "==": "=", "!=": r"\neq", "<": "<", ">": ">",
           "in": r"\in", "and": r"\wedge", "or": r"\vee", "not": r"\neg",
           "==>": r"\Rightarrow", "union": r"\cup", "inter": r"\cap", "diff": r"\setminus",
           "*": r"\times", "dots": r"\ldots", "such": r" \mid ", "maps": r"\colon ",
           "sum": r"\sum", "prod": r"\prod", "min": r"\min", "max": r"\max",
           "within": r"\subseteq", ":=": ":=", "if": r"\ \mathrm{if}\ ",
           "else": r",\ \mathrm{else}\ ", "pwl": r"\operatorname{pwl}", "points": r";\ ",
           "forall": r"\forall", "mod": r" \;\mathrm{mod}\; "}

    def __init__(self) -> None:
        # a thin space between factors: `\mathit{fixed}_{w} \, \mathit{open}_{w}`
        super().__init__({"order": "none", "mul_symbol": r" \, ", **_FLOATS})

    def paren(self, text: str) -> str:
        return rf"\left({text}\right)"

    def braces(self, text: str) -> str:
        return r"\{" + text + r"\}"

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if expr.name in _GREEK:
            return "\\" + expr.name
        return expr.name if len(expr.name) == 1 else r"\mathit{" + escape(expr.name) + "}"

    def _print_Member(self, expr: Member) -> str:
        return r"\mathrm{" + escape(expr.name).replace(" ", r"\ ") + "}"

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{self._print(expr.base.label)}_{{{indices}}}"

    def _hprint_Function(self, func: str) -> str:
        # min and max are undefined functions here (sympy's Min and Max sort their
        # arguments), so sympy would write \operatorname{min}
        return rf"\{func}" if func in ("min", "max") else super()._hprint_Function(func)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        # a quotient as written, `a / b`: sympy's own takes nested quotients apart into
        # factors (`\frac{a \, \frac{1}{b}}{b}` for `a / b / b`)
        if _is_quotient(expr):
            numerator, denominator = expr.args[0], expr.args[1].base
            return rf"\frac{{{self._print(numerator)}}}{{{self._print(denominator)}}}"
        return super()._print_Mul(expr)

    # sympy's hooks for brackets in a product and in a sum. A reduction is bracketed
    # as sympy's Sum is, before another factor only (its body would run on); a `mod`
    # inside a reduction or a group is no reason to bracket it (sympy brackets any
    # term with one); sympy's sum brackets no operator looser than `+` but a
    # relation, and the language's `and` or `∪` are looser too.
    def _needs_mul_brackets(self, expr: Any, first: bool = False, last: bool = False) -> bool:
        if isinstance(expr, (Reduction, Group)):
            return isinstance(expr, Reduction) and not last
        return (open_ended(expr) and not last) or super()._needs_mul_brackets(expr, first, last)

    def _needs_add_brackets(self, expr: Any) -> bool:
        if isinstance(expr, (Reduction, Group)):
            return False
        return precedence(expr) < _ADD or super()._needs_add_brackets(expr)


class TextNotation(_Language, StrPrinter):
    """One line of Unicode: `Σ_{c ∈ C} ship[w, c] ≤ capacity[w]·open[w]`."""

    ops = {"<=": "≤", ">=": "≥", "==": "=", "!=": "≠", "<": "<", ">": ">", "in": "∈",
           "and": "∧", "or": "∨", "==>": "⇒", "not": "¬", "union": "∪", "inter": "∩",
           "diff": "∖", "*": "×", "dots": "…", "such": " : ", "maps": ": ", "sum": "Σ",
           "prod": "Π", "min": "min", "max": "max", "within": "⊆", ":=": ":=",
           "if": " if ", "else": ", else ", "pwl": "pwl", "points": "; ", "forall": "∀",
           "mod": " mod "}

    def __init__(self) -> None:
        super().__init__({"order": "none", "full_prec": False, **_FLOATS})

    def _print_Member(self, expr: Member) -> str:
        return expr.name if expr.name.isidentifier() else f'"{expr.name}"'

    def _print_Float(self, expr: sympy.Float) -> str:
        text = super()._print_Float(expr)
        if "e" not in text:
            return text
        mantissa, exponent = text.split("e")
        return f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"

    def _print_Infinity(self, expr: Any) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "-∞"

    def _print_Integers(self, expr: Any) -> str:
        return "ℤ"

    def _print_Reals(self, expr: Any) -> str:
        return "ℝ"

    def _print_Abs(self, expr: sympy.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_floor(self, expr: Any) -> str:
        return f"⌊{self._print(expr.args[0])}⌋"

    def _print_ceiling(self, expr: Any) -> str:
        return f"⌈{self._print(expr.args[0])}⌉"

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent is sympy.S.Half:
            return "√" + self.parenthesize(base, PRECEDENCE["Pow"])
        if exponent is sympy.S.NegativeOne:
            return "1 / " + self.parenthesize(base, _MUL)
        shown = self.parenthesize(base, PRECEDENCE["Pow"])
        if isinstance(exponent, sympy.Integer) and 0 <= exponent < 10:
            return shown + str(exponent).translate(_SUPERSCRIPT)
        return f"{shown}^{self.parenthesize(exponent, PRECEDENCE['Func'], strict=True)}"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        """Factors in order with `·`, a divisor (a power -1 after the first) after ` / `."""
        factors, sign = list(expr.args), ""
        if factors[0] is sympy.S.NegativeOne and len(factors) > 1:
            factors, sign = factors[1:], "-"
        text = ""
        for i, factor in enumerate(factors):
            last = i == len(factors) - 1
            if i and _is_divisor(factor):
                text += " / " + self.parenthesize(factor.base, _MUL)
                continue
            if (open_ended(factor) and not last) or isinstance(factor, sympy.Mod):
                # a body would run on; `a mod b·c` reads as a mod (b·c), as in LaTeX
                shown = self.paren(self._print(factor))
            elif isinstance(factor, Reduction):
                shown = self._print(factor)
            else:
                shown = self.parenthesize(factor, _MUL, strict=i == 0)
            text += ("·" if i else "") + shown
        return sign + text



def open_ended(e: Any) -> bool:
    """Whether `e` prints ending in a reduction's body, which would take in what
    follows it: `a·Σ_{i ∈ I} b` before `/ c` or `mod c`."""
    if isinstance(e, Reduction):
        return True
    if isinstance(e, sympy.Mul):
        return not _is_divisor(e.args[-1]) and open_ended(e.args[-1])
    return False


def _is_divisor(e: Any) -> bool:
    """`b^-1`, which a quotient `a / b` is read into: `Mul(a, Pow(b, -1))`."""
    return isinstance(e, sympy.Pow) and e.exp is sympy.S.NegativeOne


def _is_quotient(e: sympy.Mul) -> bool:
    return len(e.args) == 2 and _is_divisor(e.args[1])


def escape(text: str) -> str:
    for char in "\\{}_#%&$^~":
        text = text.replace(char, "\\" + char)
    return text

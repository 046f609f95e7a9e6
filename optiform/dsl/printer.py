"""AST -> canonical model text, the engine of `optiform fmt`.

The printer is the parser's inverse: for every AST that `parse` can produce,
`parse(format_model(m), m.file) == m` (spans aside). It writes the fewest
parentheses that the grammar's precedence allows (see `grammar.lark` and the
"Precise rules" of the language page) and a fixed layout: the `model` line,
then each non-empty section keyword at column 0 with one declaration per
line, indented two spaces, names and descriptions aligned.

The AST keeps no comments; `format_source`, the entry point for formatting
a user's file, takes them from the text (`comments.collect`) and writes
each one back beside the declaration or section it belongs to.

Imports only the AST and the parser (for `format_source` and the keyword list).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from enum import IntEnum

from optiform.dsl import ast as A
from optiform.dsl.comments import Comments, collect, decl_anchor
from optiform.dsl.parser import KEYWORDS, line_ends, parse, stack_room

WIDTH = 100
INDENT = "  "
_MAX_HEAD = 30  # a name wider than this is not allowed to push every other one right
_MAX_DESC_COLUMN = 64  # descriptions of longer lines are not aligned
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Level(IntEnum):
    """Grammar levels, loosest to tightest; a child below the level its slot needs gets `()`."""

    IMPLY = -1  # a constraint's `cond ==> constraint`
    EXPR = 0  # if-then-else
    OR = 1
    AND = 2
    NOT = 3
    COMPARE = 4  # comparisons and `in`
    UNION = 5  # union diff
    INTER = 6
    RANGE = 7  # ..
    ARITH = 8  # binary + -
    TERM = 9  # reductions, `a * sum(...) e`, `-sum(...) e`
    PRODUCT = 10  # * / mod
    UNARY = 11  # unary -
    POWER = 12  # ^
    ATOM = 13


_COMPARE_OPS = frozenset({"<=", ">=", "==", "!=", "<", ">", "in"})
# op -> (level of the node, level its left operand needs, level its right operand needs)
_BINARY: dict[str, tuple[Level, Level, Level]] = {
    "==>": (Level.IMPLY, Level.EXPR, Level.EXPR),
    "or": (Level.OR, Level.OR, Level.AND),
    "and": (Level.AND, Level.AND, Level.NOT),
    **{op: (Level.COMPARE, Level.COMPARE, Level.UNION) for op in _COMPARE_OPS},
    "union": (Level.UNION, Level.UNION, Level.INTER),
    "diff": (Level.UNION, Level.UNION, Level.INTER),
    "inter": (Level.INTER, Level.INTER, Level.RANGE),
    "..": (Level.RANGE, Level.ARITH, Level.ARITH),
    "+": (Level.ARITH, Level.ARITH, Level.TERM),
    "-": (Level.ARITH, Level.ARITH, Level.TERM),
    "*": (Level.PRODUCT, Level.PRODUCT, Level.UNARY),
    "/": (Level.PRODUCT, Level.PRODUCT, Level.UNARY),
    "mod": (Level.PRODUCT, Level.PRODUCT, Level.UNARY),
    "^": (Level.POWER, Level.ATOM, Level.UNARY),
}


# ---- expressions ---------------------------------------------------------


def format_expr(expr: A.Expr) -> str:
    """One expression on one line, with the fewest parentheses that parse back to it."""
    with stack_room():
        return _fmt(expr)[0]


def _at(expr: A.Expr, need: Level) -> str:
    text, level = _fmt(expr)
    return text if level >= need else f"({text})"


def _join(exprs: Sequence[A.Expr], need: Level = Level.EXPR) -> str:
    return ", ".join(_at(e, need) for e in exprs)


def _fmt(expr: A.Expr) -> tuple[str, Level]:
    formatter = _FORMATTERS.get(type(expr))
    if formatter is None:
        raise TypeError(f"cannot format {type(expr).__name__}: not an optiform expression")
    return formatter(expr)


def _number(e: A.Number) -> tuple[str, Level]:
    value = e.value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("NaN has no spelling in the optiform language")
        text = ("-inf" if value < 0 else "inf") if math.isinf(value) else repr(value)
    else:
        text = str(value)
    # the parser never makes a negative Number; one built by hand prints as unary minus
    return text, Level.UNARY if text.startswith("-") else Level.ATOM


def _name(e: A.Name) -> tuple[str, Level]:
    return e.name, Level.ATOM


def _symbol(e: A.Symbol) -> tuple[str, Level]:
    return _quote(e.text, "symbol"), Level.ATOM


def _subscript(e: A.Subscript) -> tuple[str, Level]:
    return f"{e.name}[{_join(e.indices)}]", Level.ATOM


def _call(e: A.Call) -> tuple[str, Level]:
    # `min(...)` and `max(...)` take set-level arguments; other calls take any expression
    need = Level.UNION if e.func in ("min", "max") else Level.EXPR
    return f"{e.func}({_join(e.args, need)})", Level.ATOM


def _unary(e: A.Unary) -> tuple[str, Level]:
    if e.op == "not":
        return f"not {_at(e.operand, Level.NOT)}", Level.NOT
    if isinstance(e.operand, A.Reduction):
        return f"-{format_expr(e.operand)}", Level.TERM
    operand = _at(e.operand, Level.UNARY)
    return ("- " if operand.startswith("-") else "-") + operand, Level.UNARY


def _binary(e: A.Binary) -> tuple[str, Level]:
    level, left_need, right_need = _BINARY[e.op]
    left = _at(e.left, left_need)
    if e.op in ("*", "/", "mod") and isinstance(e.right, A.Reduction):
        # `a * sum(i in I) x[i]` is a term: it may be added, but not multiplied again
        return f"{left} {e.op} {format_expr(e.right)}", Level.TERM
    right = _at(e.right, right_need)
    if e.op == "^":
        return f"{left}^{right}", level
    if e.op == "..":
        tight = _fmt(e.left)[1] == Level.ATOM and _fmt(e.right)[1] == Level.ATOM
        return (f"{left}..{right}" if tight else f"{left} .. {right}"), level
    return f"{left} {e.op} {right}", level


def _conditional(e: A.Conditional) -> tuple[str, Level]:
    return (f"if {format_expr(e.cond)} then {format_expr(e.then)} "
            f"else {format_expr(e.otherwise)}"), Level.EXPR


def _binder(b: A.Binder) -> str:
    if b.names is None:
        return format_expr(b.set)
    names = b.names[0] if len(b.names) == 1 else f"({', '.join(b.names)})"
    return f"{names} in {_at(b.set, Level.UNION)}"


def _binders(binders: Sequence[A.Binder], flt: A.Expr | None) -> str:
    text = ", ".join(_binder(b) for b in binders)
    return text if flt is None else f"{text} : {format_expr(flt)}"


def _reduction(e: A.Reduction) -> tuple[str, Level]:
    # a sum's body is a term, a min's a product: both end at the first `+`
    body_need = Level.PRODUCT if e.op in ("min", "max") else Level.TERM
    return (f"{e.op}({_binders(e.binders, e.filter)}) {_at(e.body, body_need)}",
            Level.TERM)


def _tuple(e: A.TupleExpr) -> tuple[str, Level]:
    return f"({_join(e.items)})", Level.ATOM


def _set(e: A.SetLiteral) -> tuple[str, Level]:
    return f"{{{_join(e.items)}}}", Level.ATOM


def _comprehension(e: A.Comprehension) -> tuple[str, Level]:
    return f"{{{_binders(e.binders, e.filter)}}}", Level.ATOM


def _entry(key: A.Expr, value: A.Expr) -> str:
    return f"{format_expr(key)}: {format_expr(value)}"


def _dict(e: A.DictLiteral) -> tuple[str, Level]:
    return "{" + ", ".join(_entry(k, v) for k, v in e.entries) + "}", Level.ATOM


def _list(e: A.ListLiteral) -> tuple[str, Level]:
    return f"[{_join(e.items)}]", Level.ATOM


_FORMATTERS: dict[type, Callable[..., tuple[str, Level]]] = {
    A.Number: _number,
    A.Name: _name,
    A.Symbol: _symbol,
    A.Subscript: _subscript,
    A.Call: _call,
    A.Unary: _unary,
    A.Binary: _binary,
    A.Conditional: _conditional,
    A.Reduction: _reduction,
    A.TupleExpr: _tuple,
    A.SetLiteral: _set,
    A.Comprehension: _comprehension,
    A.DictLiteral: _dict,
    A.ListLiteral: _list,
}


def _quote(text: str, what: str) -> str:
    if '"' in text or "\n" in text:
        raise ValueError(f"a {what} cannot contain a double quote or a newline "
                         f"(strings have no escapes): {text!r}")
    return f'"{text}"'


# ---- breaking long lines -----------------------------------------------------
# A long line breaks only where the flat text has a space between two pieces,
# so joining a declaration's lines with single spaces gives the flat text back.


def _pieces(expr: A.Expr, need: Level = Level.EXPR) -> list[str]:
    """The flat text of `expr` cut before each top-level `+`, `-` and comparison."""
    text, level = _fmt(expr)
    if level < need:
        return [f"({text})"]
    if isinstance(expr, A.Binary) and expr.op in ("+", "-", "<=", ">=", "==", "!=", "<", ">",
                                                  "==>", "or"):
        _, left_need, right_need = _BINARY[expr.op]
        right = _pieces(expr.right, right_need)
        return [*_pieces(expr.left, left_need), f"{expr.op} {right[0]}", *right[1:]]
    return [text]


def _literal_pieces(expr: A.Expr) -> list[str] | None:
    """A set, dictionary or list literal cut after each comma, or None."""
    if isinstance(expr, A.DictLiteral):
        opener, closer, items = "{", "}", [_entry(k, v) for k, v in expr.entries]
    elif isinstance(expr, A.SetLiteral) and expr.items:
        opener, closer, items = "{", "}", [format_expr(i) for i in expr.items]
    elif isinstance(expr, A.ListLiteral):
        opener, closer, items = "[", "]", [format_expr(i) for i in expr.items]
    else:
        return None
    pieces = [f"{item}," for item in items]
    pieces[0] = opener + pieces[0]
    pieces[-1] = pieces[-1][:-1] + closer
    return pieces


def _fill(pieces: list[str], column: int, indent: int, width: int) -> list[str]:
    """Pack pieces into lines of at most `width` (unless one piece is wider): the
    first line starts at `column`, the others carry `indent` spaces."""
    lines: list[str] = []
    current, start = pieces[0], column
    for piece in pieces[1:]:
        if start + len(current) + 1 + len(piece) > width:
            lines.append(current)
            current, start = " " * indent + piece, 0
        else:
            current += " " + piece
    return [*lines, current]


def _expr_lines(expr: A.Expr, column: int, width: int,
                need: Level = Level.EXPR) -> list[str]:
    """An expression at `column`, broken before operators if it does not fit."""
    return _fill(_pieces(expr, need), column, column + 2 if column <= 40 else 6, width)


def _value_lines(expr: A.Expr, column: int, width: int) -> list[str]:
    """A declaration's value at `column`: a matrix one row per line, a long literal
    filled across lines, a long expression broken before its operators."""
    if isinstance(expr, A.ListLiteral) and len(expr.items) > 1 and all(
        isinstance(item, A.ListLiteral) for item in expr.items
    ):
        rows = [f"{format_expr(item)}," for item in expr.items]
        rows[0], rows[-1] = "[" + rows[0], rows[-1][:-1] + "]"
        pad = " " * (column + 1)
        return [rows[0], *(pad + row for row in rows[1:])]
    flat = format_expr(expr)
    if column + len(flat) <= width:
        return [flat]
    pieces = _literal_pieces(expr)
    if pieces is None:
        return _expr_lines(expr, column, width)
    return _fill(pieces, column, column + 1, width)


# ---- declarations ----------------------------------------------------------


def _index(index: A.Index | None) -> str:
    return "" if index is None else f"[{_binders(index.binders, index.filter)}]"


_Body = Callable[[int, int], list[str]]  # (column, width) -> lines; [] when empty


class _Decl:
    """One declaration laid out as head (aligned), body lines and description."""

    def __init__(self, head: str, body: _Body, description: str | None) -> None:
        self.head, self.body, self.description = head, body, description


def _set_decl(d: A.SetDecl) -> _Decl:
    def body(column: int, width: int) -> list[str]:
        parts = [] if d.within is None else [f"within {format_expr(d.within)}"]
        if d.value is None:
            return parts
        prefix = " ".join([*parts, "= "])
        lines = _value_lines(d.value, column + len(prefix), width)
        return [prefix + lines[0], *lines[1:]]

    return _Decl(d.name, body, d.description)


def _param_decl(d: A.ParamDecl) -> _Decl:
    def body(column: int, width: int) -> list[str]:
        lines: list[str] = []
        if d.value is not None:
            value = _value_lines(d.value, column + 2, width)
            lines = [f"= {value[0]}", *value[1:]]
        if d.default is not None:
            tail = f"default {format_expr(d.default)}"
            lines = [*lines[:-1], f"{lines[-1]} {tail}"] if lines else [tail]
        return lines

    return _Decl(d.name + _index(d.index), body, d.description)


def _var_decl(d: A.VarDecl) -> _Decl:
    attrs = []
    if d.lower is not None and d.upper is not None:
        if d.lower == d.upper:
            attrs.append(f"== {_at(d.lower, Level.ARITH)}")
        else:
            attrs.append(f"in [{format_expr(d.lower)}, {format_expr(d.upper)}]")
    elif d.lower is not None:
        attrs.append(f">= {_at(d.lower, Level.ARITH)}")
    elif d.upper is not None:
        attrs.append(f"<= {_at(d.upper, Level.ARITH)}")
    if d.init is not None:
        attrs.append(f"init {_at(d.init, Level.ARITH)}")
    text = ", ".join(attrs)
    if d.domain is not None:
        text = f"{d.domain} {text}".rstrip()
    return _Decl(d.name + _index(d.index), lambda column, width: [text] if text else [],
                 d.description)


def _defined_decl(d: A.DefinedDecl) -> _Decl:
    def body(column: int, width: int) -> list[str]:
        value = _value_lines(d.expr, column + 2, width)
        return [f"= {value[0]}", *value[1:]]

    return _Decl(d.name + _index(d.index), body, d.description)


def _objective_decl(d: A.ObjectiveDecl) -> _Decl:
    def body(column: int, width: int) -> list[str]:
        flat = format_expr(d.expr)
        if column + len(flat) <= width:
            return [flat]
        # as in the language page: a long objective starts on its own line
        lines = _expr_lines(d.expr, 4, width)
        return ["", " " * 4 + lines[0], *lines[1:]]

    return _Decl(f"{d.sense} {d.name}:", body, d.description)


def _constraint_decl(d: A.ConstraintDecl) -> _Decl:
    return _Decl(f"{d.name}{_index(d.index)}:",
                 lambda column, width: _expr_lines(d.expr, column, width, Level.IMPLY),
                 d.description)


def _rows(decls: list[_Decl]) -> list[list[str]]:
    """The lines of declarations aligned together: names, then descriptions."""
    heads = [len(d.head) for d in decls if len(d.head) <= _MAX_HEAD]
    head_width = max(heads, default=0)
    rows: list[list[str]] = []
    for d in decls:
        head = INDENT + d.head.ljust(head_width)
        # leave room for the description, but never squeeze the body below 40 columns
        reserve = 0 if d.description is None else len(d.description) + 4
        lines = d.body(len(head) + 1, max(WIDTH - reserve, len(head) + 41))
        rows.append([f"{head} {lines[0]}".rstrip(), *lines[1:]] if lines else [head.rstrip()])
    single = [len(r[0]) for r, d in zip(rows, decls, strict=True)
              if d.description is not None and len(r) == 1 and len(r[0]) <= _MAX_DESC_COLUMN]
    desc_column = max(single, default=0) + 2
    for row, d in zip(rows, decls, strict=True):
        if d.description is not None:
            last = row[-1]
            gap = desc_column - len(last) if len(row) == 1 else 2
            row[-1] = last + " " * max(gap, 2) + _quote(d.description, "description")
    return rows


def _layout(decls: list[_Decl], anchors: list[str] | None = None,
            comments: Comments | None = None) -> list[str]:
    comments = comments or Comments()
    # A comment on a line of its own starts a group; each group is aligned on its own.
    starts = [i for i in range(1, len(decls))
              if anchors and comments.leading.get(anchors[i])]
    rows = [row for lo, hi in zip([0, *starts], [*starts, len(decls)], strict=True)
            for row in _rows(decls[lo:hi])]
    out: list[str] = []
    for i, row in enumerate(rows):
        anchor = anchors[i] if anchors else ""
        leading = comments.leading.get(anchor, [])
        if leading and i > 0:
            out.append("")  # a comment over a declaration starts a group
        out.extend(INDENT + c for c in leading)
        trailing = comments.trailing.get(anchor, [])
        if trailing:
            row[-1] = row[-1] + "  " + " ".join(trailing)
        verbatim = comments.verbatim.get(anchor)
        if verbatim:
            out.extend(INDENT + line if line else line for line in verbatim)
        else:
            out.extend(row)
    return out


def format_combination(c: A.Combination) -> str:
    """`lexicographic: a, b` or `weights: a = 1, b = 0.5`."""
    items = [i.name if i.weight is None else f"{i.name} = {_at(i.weight, Level.ARITH)}"
             for i in c.items]
    return f"{c.kind}: {', '.join(items)}"


# ---- models ----------------------------------------------------------------


def _is_name(text: str) -> bool:
    return bool(_NAME.match(text)) and text not in KEYWORDS


def format_model(model: A.ModelDecl, comments: Comments | None = None) -> str:
    """The canonical text of a model; parsing it (under the same file name) gives `model`.

    The `model` line is written whenever the name can be spelled, so the text
    keeps its name wherever it is saved; a name that is not an identifier (a
    file stem such as `2024-plan`) leaves the line out and the name to the file.
    """
    with stack_room():
        return _format_model(model, comments)


def _format_model(model: A.ModelDecl, comments: Comments | None) -> str:
    comments = comments or Comments()
    out: list[str] = list(comments.leading.get("model", []))
    if _is_name(model.name):
        header = f"model {model.name}"
        if model.description is not None:
            header += " " + _quote(model.description, "description")
        out += [_with_trailing(header, comments.trailing.get("model")), ""]
    elif out:
        out.append("")
    elif model.description is not None:
        raise ValueError(f"model name {model.name!r} is not an identifier, so its "
                         "description cannot be written")
    sections: list[tuple[str, list[_Decl]]] = [
        ("sets", [_set_decl(d) for d in model.sets]),
        ("parameters", [_param_decl(d) for d in model.parameters]),
        # defined variables follow the columns they are made of
        ("variables", [*map(_var_decl, model.variables), *map(_defined_decl, model.defined)]),
        ("objective", [_objective_decl(d) for d in model.objectives]),
        ("constraints", [_constraint_decl(d) for d in model.constraints]),
    ]
    for keyword, decls in sections:
        combination = model.combination if keyword == "objective" else None
        # `variables` is required, so an empty one is still written
        if decls or keyword == "variables" or combination is not None:
            anchors = [decl_anchor(keyword, i) for i in range(len(decls))]
            out += [*comments.leading.get(keyword, []),
                    _with_trailing(keyword, comments.trailing.get(keyword)),
                    *_layout(decls, anchors, comments)]
            if combination is not None:
                out += [INDENT + c for c in comments.leading.get("combination", [])]
                out.append(INDENT + _with_trailing(format_combination(combination),
                                                   comments.trailing.get("combination")))
            out.append("")
    out += comments.footer
    return "\n".join(out).rstrip("\n") + "\n"


def _with_trailing(line: str, trailing: list[str] | None) -> str:
    return f"{line}  {' '.join(trailing)}" if trailing else line


def format_source(text: str, file: str = "<model>") -> str:
    """Format model text, keeping its comments beside what they describe.

    Raises `DiagnosticError` for text that does not parse.
    """
    text = line_ends(text)  # as `parse` reads it, so that comments keep their lines
    model = parse(text, file)
    return format_model(model, collect(text, model))

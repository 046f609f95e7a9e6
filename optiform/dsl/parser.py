"""Text -> AST, with syntax errors a person (or an LLM) can act on.

The grammar lives in `grammar.lark` and is built once with Lark's LALR parser.
Lark's exceptions are turned into `Diagnostic`s: what was found, what was
expected in words, and for the usual slips (`=` for `==`, an unnamed
constraint, an unclosed bracket) what to write instead.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import FrameType

from lark import Lark, Token, Tree
from lark import __version__ as lark_version
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from optiform.diagnostics import Diagnostic, DiagnosticError, Span
from optiform.dsl.ast import ModelDecl
from optiform.dsl.data import read_text
from optiform.dsl.transformer import ToAst

KEYWORDS = (
    "model sets parameters variables objective constraints within default init in "
    "minimize maximize real nonnegative integer binary semicontinuous semiinteger sum prod min "
    "max if then else "
    "and or not union inter diff mod inf"
).split()

# Deeper expressions would exhaust Python's recursion in the passes after parsing
# (the tree-to-AST transformer, resolution, grounding, printing); as in CPython's
# own parser, nesting is capped, and checked before any of those passes runs.
MAX_NESTING = 200

# The passes over the syntax tree recurse a few frames per level (the printer up to
# ~6); at MAX_NESTING levels that can pass Python's default limit of 1000 frames
# once the caller's own frames are counted, so those passes run in `stack_room`.
_ROOM = 6 * MAX_NESTING + 100
_inside = threading.local()


@contextmanager
def stack_room() -> Iterator[None]:
    """Raise the recursion limit, for this call, to leave room for the deepest expression."""
    if getattr(_inside, "active", False):
        yield
        return
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    _inside.active = True
    if depth + _ROOM > old:
        sys.setrecursionlimit(depth + _ROOM)
    try:
        yield
    finally:
        _inside.active = False
        if depth + _ROOM > old:
            sys.setrecursionlimit(old)


# Model text parses at about 60 KB a second: past this size a model is refused at
# once, rather than parsed for minutes. Large tables belong in data files.
MAX_MODEL_BYTES = 1 << 20

SECTIONS = ("model", "sets", "parameters", "variables", "objective", "constraints")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_BRACKETS = re.compile(r'"[^"\n]*"|#[^\n]*|[()\[\]{}]')


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return resources.files("optiform.dsl").joinpath("grammar.lark").read_text()


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # the basic lexer reserves keywords everywhere; Lark's default (contextual)
    # lexer reads `in`, `then`, `init`... as names wherever the keyword cannot go
    return Lark(grammar_text(), parser="lalr", lexer="basic", propagate_positions=True,
                maybe_placeholders=True, cache=_cache_file())


def _cache_file() -> str | bool:
    """Where Lark keeps the built LALR tables between processes (building them takes
    about half a second; loading, a few ms): a file in the user's own cache folder,
    never the shared temporary folder, as Lark unpickles it. Lark rebuilds the file
    when the grammar, the options or its version change; False where none can be kept."""
    home = os.path.expanduser("~")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    if not os.path.isabs(base):  # no home folder to be found: build the parser each time
        return False
    folder = Path(base) / "optiform"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(folder, os.W_OK):
        return False
    return str(folder / f"parser-lark{lark_version}-py{sys.version_info[0]}"
                        f"{sys.version_info[1]}.cache")


def build_strict() -> Lark:
    """Build with strict conflict checking: the grammar's own test."""
    return Lark(grammar_text(), parser="lalr", lexer="basic", strict=True,
                propagate_positions=True, maybe_placeholders=True)


def parse(text: str, file: str = "<model>") -> ModelDecl:
    """Parse model text; raise DiagnosticError with every problem found.

    Lines end at "\n", "\r\n" or a bare "\r" (old Mac files): the text is read with
    "\n" alone, so that a bare "\r" does not turn the rest of a comment's file
    into the comment."""
    text = line_ends(text)
    if len(text) > MAX_MODEL_BYTES:
        raise DiagnosticError([_too_large(file)])
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        diagnostics = _bracket_problems(text, file) or [_describe(exc, text, file)]
        raise DiagnosticError(diagnostics, {file: text}) from None
    too_deep = _too_deep(tree, file)
    if too_deep:
        raise DiagnosticError([too_deep], {file: text})
    builder = ToAst(file, text)
    with stack_room():
        model = builder.transform(tree)
    if builder.diagnostics:
        raise DiagnosticError(builder.diagnostics, {file: text})
    return model


def parse_file(path: str | Path) -> ModelDecl:
    path = Path(path)
    return parse(read_model(path), str(path))


def read_model(path: Path) -> str:
    """A model file's text, refused if it is not a regular file or past MAX_MODEL_BYTES."""
    if path.is_file() and path.stat().st_size > MAX_MODEL_BYTES:
        raise DiagnosticError([_too_large(str(path))])
    return read_text(path, kind="syntax", limit=MAX_MODEL_BYTES)


def line_ends(text: str) -> str:
    """`text` with every line ending as "\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _too_large(file: str) -> Diagnostic:
    return Diagnostic(f"the model is larger than {MAX_MODEL_BYTES >> 20} MiB, the most "
                      "optiform parses", Span(file, 1, 1),
                      "move large tables of values into a data file (--data)", kind="syntax")


def _too_deep(tree: Tree, file: str) -> Diagnostic | None:
    """The first expression nested more than MAX_NESTING levels, as a diagnostic."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING + 3:  # start, section and declaration are not nesting
            meta = node.meta
            line = getattr(meta, "line", 1) or 1
            column = getattr(meta, "column", 1) or 1
            return Diagnostic(
                f"this expression is nested more than {MAX_NESTING} levels deep",
                Span(file, line, column), "a long chain of written-out terms nests one level "
                "per operator: sum over a set (`sum(i in I) ...`), or split it into parts",
                kind="syntax")
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return None


def _bracket_problems(text: str, file: str) -> list[Diagnostic]:
    """Unbalanced brackets, reported where they opened: Lark would blame the end."""
    stack: list[tuple[str, int]] = []
    problems: list[Diagnostic] = []
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok[0] in "\"#":
            continue
        if tok in "([{":
            stack.append((tok, m.start()))
        elif stack and stack[-1][0] == _CLOSERS[tok]:
            stack.pop()
        else:
            where = _span_at(text, file, m.start())
            if stack:
                opener, pos = stack[-1]
                o = _span_at(text, file, pos)
                problems.append(Diagnostic(
                    f"`{tok}` does not match the `{opener}` opened at line {o.line}, "
                    f"column {o.column}", where, f"close the `{opener}` first", kind="syntax"))
            else:
                problems.append(Diagnostic(f"`{tok}` closes nothing", where,
                                           "remove it or add the opening bracket", kind="syntax"))
            return problems
    for opener, pos in stack[:1]:
        problems.append(Diagnostic(
            f"`{opener}` is never closed", _span_at(text, file, pos),
            f"add the matching `{ {'(': ')', '[': ']', '{': '}'}[opener] }`", kind="syntax"))
    return problems


def _span_at(text: str, file: str, offset: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(file, line, column, line, column + 1)


def _describe(exc: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line, column = exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1
    pos = exc.pos_in_stream or 0
    if isinstance(exc, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else "?"
        hint = {"'": "strings use double quotes",
                '"': 'a string must end on the line where it starts: add the closing `"`'
                }.get(ch)
        # an invisible or control character is named by its code point
        shown = f"`{ch}`" if ch.isprintable() else f"U+{ord(ch):04X}"
        return Diagnostic(f"unexpected character {shown}", Span(file, line, column), hint,
                          kind="syntax")
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        end = len(text.rstrip()) or 1
        where = _span_at(text, file, end - 1)
        line, column = where.line, where.column
        words = _expected_words(getattr(exc, "expected", set()))
        return Diagnostic("the model ends in the middle of a declaration",
                          Span(file, line, column), f"expected {words}", kind="syntax")
    assert isinstance(exc, UnexpectedToken)
    token: Token = exc.token
    width = len(str(token)) or 1
    span = Span(file, line, column, line, column + width)
    expected = exc.expected
    found = f"`{token}`"
    if token.type == "EQUAL" and _in_constraints(text, pos):
        return Diagnostic("`=` is not a comparison", span,
                          "write `==` for an equality constraint", kind="syntax")
    slip = _misspelt_sense(text, file, pos, expected)
    if slip is not None:
        return slip
    if str(token) in KEYWORDS:
        found = f"keyword `{token}`"
    hint = f"expected {_expected_words(expected)}"
    # a constraint that starts with a number, `sum` or `-` fails at its first token,
    # where a new declaration's name (or the end of the file) was expected
    unnamed = token.type != "COLON" and _in_constraints(text, pos) and (
        "COLON" in expected or {"NAME", "$END"} <= set(expected))
    if unnamed:
        hint += "; every constraint needs a name: `name: expr <= expr`"
    elif str(token) in SECTIONS:
        hint = (f"the declaration before `{token}` is unfinished; "
                f"expected {_expected_words(expected)}")
    elif str(token) in KEYWORDS and "NAME" in expected:
        hint += f"; `{token}` is reserved, quote it (\"{token}\") to use it as a symbol"
    return Diagnostic(f"unexpected {found}", span, hint, kind="syntax")


def _misspelt_sense(text: str, file: str, pos: int, expected: set[str]) -> Diagnostic | None:
    """`minimise cost: x` in the objective section: a line that starts with a name reads as
    a `lexicographic:` or `weights:` line, which wants `:` after its first word; the slip
    is the first word, not the token after it."""
    start = text.rfind("\n", 0, pos) + 1
    word = text[start:pos].strip()
    if "COLON" not in expected or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word) or (
            word in ("lexicographic", "weights")):  # the colon is what is missing
        return None
    before = text[:start]
    marks = {k: before.rfind("\n" + k) for k in SECTIONS[1:]}
    if max(marks, key=lambda k: marks[k]) != "objective" or marks["objective"] < 0:
        return None
    where = _span_at(text, file, text.index(word, start))
    where = Span(file, where.line, where.column, where.line, where.column + len(word))
    close = difflib.get_close_matches(word, ["minimize", "maximize"], n=1, cutoff=0.6)
    hint = (f"did you mean `{close[0]}`? " if close else "") + (
        "an objective starts with `minimize` or `maximize`: `minimize cost: expr`")
    return Diagnostic(f"unexpected `{word}`", where, hint, kind="syntax")


def _in_constraints(text: str, pos: int) -> bool:
    before = text[:pos]
    marks = {k: before.rfind(k) for k in ("\nconstraints", "\nobjective", "\nvariables")}
    return marks["\nconstraints"] > max(marks["\nobjective"], marks["\nvariables"])


def _expected_words(expected: set[str]) -> str:
    parser = _parser()
    words = []
    for name in sorted(expected):
        if name == "$END":
            words.append("end of file")
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            words.append(name.lower())
            continue
        if pattern.type == "str":
            words.append(f"`{pattern.value}`")
        else:
            words.append({"NAME": "a name", "NUMBER": "a number", "STRING": "a string"}
                         .get(name, name.lower()))
    words = sorted(set(words))
    if len(words) > 10:
        words = words[:10] + ["..."]
    return ", ".join(words) if words else "something else"

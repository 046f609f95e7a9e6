"""Source positions and the errors users read.

Every phase (parser, checker, data loader, instantiation) reports problems as
`Diagnostic`s tied to a `Span`, collects all it can find, then raises one
`DiagnosticError`. Rendering shows the file, line and column, the line itself
with a caret under the culprit, and a hint that says what to try next.
User text in a rendering (the message, the quoted line, the hint) is passed
through `optiform.terminal.printable`, the caret moved to match. Imports
nothing from the rest of optiform but `optiform.terminal`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from optiform.terminal import printable

# Diagnostics printed of one error; the rest are counted. Thousands of them (one
# misspelt set used everywhere) would bury the first, which is the one to fix.
MAX_SHOWN = 50


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns count from 1."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a model or its data."""

    message: str
    span: Span | None = None
    hint: str | None = None
    kind: str = "semantic"  # syntax | semantic | data | solver
    severity: str = "error"

    def render(self, text: str | None = None) -> str:
        return self._render(None if text is None else text.split("\n"))

    def _render(self, lines: list[str] | None) -> str:
        head = printable(f"{self.span}: ") if self.span else ""
        out = [f"{head}{self.severity}: {printable(self.message, lines=True)}"]
        # Lines are counted at "\n" only, as the parser counts them; splitlines()
        # would also break at form feeds, U+2028 and the like.
        if self.span and lines is not None:
            if 1 <= self.span.line <= len(lines):
                src = lines[self.span.line - 1].rstrip("\r").expandtabs(1)
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column:
                    width = max(1, self.span.end_column - self.span.column)
                # a control character before or under the caret is shown as its
                # escape, several columns wide: the caret moves with it
                before = printable(src[:self.span.column - 1]).ljust(self.span.column - 1)
                under = src[self.span.column - 1:][:width]
                width = len(printable(under)) + width - len(under)
                gutter = f"{self.span.line:>4} | "
                out.append(gutter + printable(src))
                out.append(" " * (len(gutter) + len(before)) + "^" + "~" * (width - 1))
        if self.hint:
            out.append(f"  hint: {printable(self.hint, lines=True)}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        where = None
        if self.span:
            where = {"file": self.span.file, "line": self.span.line, "column": self.span.column}
        return {"kind": self.kind, "message": self.message, "hint": self.hint, "location": where}


@dataclass
class DiagnosticError(Exception):
    """Raised once a phase has collected every problem it could find."""

    diagnostics: list[Diagnostic]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    @property
    def kind(self) -> str:
        return self.diagnostics[0].kind if self.diagnostics else "semantic"

    def render(self) -> str:
        """The first MAX_SHOWN diagnostics, each with its line, then how many there are."""
        parts = []
        split: dict[str, list[str]] = {}  # each source is split into lines once
        for d in self.diagnostics[:MAX_SHOWN]:
            lines = None
            if d.span and (text := self.sources.get(d.span.file)) is not None:
                lines = split.setdefault(d.span.file, text.split("\n"))
            parts.append(d._render(lines))
        n = len(self.diagnostics)
        if n > MAX_SHOWN:
            parts.append(f"{n} errors ({n - MAX_SHOWN} more not shown: fix these first)")
        elif n > 1:
            parts.append(f"{n} errors")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.render()


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, as a hint, or None."""
    pool = list(candidates)
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    return f"did you mean `{matches[0]}`?" if matches else None

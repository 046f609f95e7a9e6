"""Source positions and the errors users read.

Every phase (parser, checker, data loader, instantiation) reports problems as
`Diagnostic`s tied to a `Span`, collects all it can find, then raises one
`DiagnosticError`. Rendering shows the file, line and column, the line itself
with a caret under the culprit, and a hint that says what to try next.
Imports nothing from the rest of optiform.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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
        head = f"{self.span}: " if self.span else ""
        out = [f"{head}{self.severity}: {self.message}"]
        if self.span and text is not None:
            # Lines are counted at "\n" only, as the parser counts them; splitlines()
            # would also break at form feeds, U+2028 and the like.
            lines = text.split("\n")
            if 1 <= self.span.line <= len(lines):
                src = lines[self.span.line - 1].rstrip("\r").expandtabs(1)
                width = 1
                if self.span.end_line == self.span.line and self.span.end_column:
                    width = max(1, self.span.end_column - self.span.column)
                gutter = f"{self.span.line:>4} | "
                out.append(gutter + src)
                out.append(" " * (len(gutter) + self.span.column - 1) + "^" + "~" * (width - 1))
        if self.hint:
            out.append(f"  hint: {self.hint}")
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
        parts = []
        for d in self.diagnostics:
            text = self.sources.get(d.span.file) if d.span else None
            parts.append(d.render(text))
        n = len(self.diagnostics)
        if n > 1:
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

"""`EvalError`: a problem met while grounding, tied to the expression that caused it.

Its own module so that the evaluator's helpers (`ordered.py`) can raise it
without importing the evaluator. Imports only diagnostics.
"""

from __future__ import annotations

from optiform.diagnostics import Diagnostic, Span


class EvalError(Exception):
    """A problem met while grounding, tied to the expression that caused it."""

    def __init__(self, message: str, span: Span | None, hint: str | None = None,
                 kind: str = "semantic") -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(message, span, hint, kind=kind)

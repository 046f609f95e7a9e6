"""What the agent's model assumes that the question did not say.

The prompt asks the LLM to write each value or reading it had to supply as
a `# assume: ...` comment; a parameter that gets its values only from
`default` (no value, and `ask` passes no data) is an assumption too, even
when unstated. `ask` prints them beside the result and `--json` lists them,
so an answer built on a guess does not look like one built on the text.
"""

from __future__ import annotations

import re

from optiform.dsl import ast as A
from optiform.dsl.printer import format_expr

# A comment, not a `#` inside a string; `assume` and its colon, any case.
_COMMENT = re.compile(r'"[^"\n]*"|#(?P<body>[^\n]*)')
_ASSUME = re.compile(r"^\s*assumes?\s*:\s*(?P<text>.*\S)", re.IGNORECASE)


def comments(text: str) -> dict[int, str]:
    """The comment on each line that has one (1-based), without its `#`."""
    out: dict[int, str] = {}
    for m in _COMMENT.finditer(text):
        if m.group("body") is not None:
            out[text.count("\n", 0, m.start()) + 1] = m.group("body")
    return out


def stated(text: str) -> list[str]:
    """The texts of the `# assume: ...` comments, in order, each once."""
    found = []
    for body in comments(text).values():
        hit = _ASSUME.match(body)
        if hit:
            found.append(hit.group("text"))
    return list(dict.fromkeys(found))


def from_defaults(model: A.ModelDecl) -> list[str]:
    """A sentence per parameter whose every entry is its `default`."""
    out = []
    for p in model.parameters:
        if p.value is None and p.default is not None:
            index = f"[{', '.join(_binder(b) for b in p.index.binders)}]" if p.index else ""
            out.append(f"every entry of `{p.name}{index}` is its default, "
                       f"{format_expr(p.default)} (the text gives no values)")
    return out


def assumptions(text: str, model: A.ModelDecl) -> list[str]:
    """Everything the model assumes: the stated ones, then the defaults."""
    return stated(text) + from_defaults(model)


def _binder(b: A.Binder) -> str:
    return format_expr(b.set)

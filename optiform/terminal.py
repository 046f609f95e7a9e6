"""User text made safe to print: the one place that decides what reaches a terminal.

Member names, descriptions, model lines quoted in diagnostics and an LLM's
replies are the user's (or a stranger's) text. Printed raw, an escape
sequence in them can set the terminal's title, clear the screen or hide what
follows, and a bidirectional override can reorder what is shown. `printable`
writes each such character as a visible escape instead (`\\x1b`, `\\u202e`),
so nothing is lost and nothing is executed. Rich markup and emoji codes are
not this module's concern: print user text with `markup=False` (or through
`rich.markup.escape` inside a markup string) on a console made with
`emoji=False`, as `optiform.cli` does. Imports nothing from the rest of optiform.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, the line and paragraph separators, and the
# bidirectional embeddings, overrides and isolates ("Trojan source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, lines: bool = False) -> str:
    """`text` with every control character written as a visible escape (`\\x1b`).

    With `lines`, newlines and tabs are kept (text of several lines, such as a
    model or a reply); otherwise they are escaped too (a name, a cell, one line).
    Printable text, non-ASCII letters included, is returned unchanged.
    """
    return (_UNSAFE_IN_LINES if lines else _UNSAFE).sub(_visible, text)

""".lp and .mps files as a person reads them: numbers in their shortest exact form.

HiGHS writes each double with 17 significant digits, so a coefficient typed as
1.4 reaches the file as 1.3999999999999999. Python's `repr` of a float is the
shortest text that reads back as the same double, so rewriting each number
with it changes no value, only the noise. The MPS NAME card gets the model's
name, which highspy has no call to set. Imports nothing from optiform.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

# A whole token that is a number with a fraction or an exponent (names such as
# `ship(north,3)` are never whole tokens of digits).
_NUMBER = re.compile(r"(?<!\S)([-+]?)(\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?!\S)")


def shortest(text: str) -> str:
    """Every number in `text` in the shortest form that reads back as the same double."""

    def one(m: re.Match[str]) -> str:
        value = repr(float(m.group(2)))
        return m.group(1) + (value[:-2] if value.endswith(".0") else value)

    return _NUMBER.sub(one, text)


def named_mps(text: str, name: str) -> str:
    """The MPS text with `name` on its NAME card."""
    return re.sub(r"\ANAME[^\n]*", lambda _: f"NAME        {name}", text, count=1)


def write_tidy(path: Path, name: str, write: Callable[[Path], None]) -> None:
    """Let `write` make the file beside `path` under a temporary name (the extension
    kept, since HiGHS picks the format by it), tidy it, and move it into place:
    a failed write leaves nothing half-written at `path`."""
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(partial)
        text = shortest(partial.read_text(encoding="utf-8"))
        if path.suffix.lower() == ".mps":
            text = named_mps(text, name)
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)

"""The model text out of a chat reply: fenced blocks first, then bare text.

Replies wrap the model in prose, in a fenced block with or without a
language tag, sometimes after a reasoning model's `<think>` section, and
sometimes revise it in a second block. The extractor returns text and
nothing else: what it returns is only ever handed to the optiform parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN_THINK = re.compile(r"<think>", re.IGNORECASE)
_CLOSE_THINK = re.compile(r"</think>", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[^\n]*\n"
                    r"(?P<body>.*?)(?:(?P<close>^[ \t]*(?P=fence)[ \t]*$)|\Z)",
                    re.DOTALL | re.MULTILINE)
_TAGS = {"optiform", "opt"}
_SECTION = re.compile(r"^\s*(sets|parameters|variables|objective|constraints)\s*:?\s*(#.*)?$")
_MODEL_LINE = re.compile(r"^\s*model\s+[A-Za-z_]\w*")
# A sentence: a capitalised word and three more, none of the characters a
# declaration needs, and not `name:` (a constraint or objective).
_PROSE = re.compile(r"^[A-Z][a-z']*(\s+\S+){3,}\s*$")
_CODE_CHARS = set("=<>[]{}")


class ExtractionError(Exception):
    """No model in the reply; `reason` is `empty` or `no_model`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Extraction:
    text: str
    how: str  # fenced | bare
    closed: bool  # a fence closed after it: the model was not cut short


def extract_model(reply: str) -> Extraction:
    """The model in a reply; raise ExtractionError when there is none."""
    text = _without_thinking(reply)
    if not text.strip():
        raise ExtractionError("empty")
    blocks = [(m.group("lang").lower(), m.group("body"), m.group("close") is not None)
              for m in _FENCE.finditer(text)]
    ranked = sorted((_rank(lang, body), i) for i, (lang, body, _) in enumerate(blocks))
    if ranked and ranked[-1][0] > 0:
        _, body, closed = blocks[ranked[-1][1]]
        return Extraction(body.strip("\n").rstrip() + "\n", "fenced", closed)
    bare = _bare(text)
    if bare:
        return Extraction(bare, "bare", False)
    others = sorted({lang for lang, _, _ in blocks if lang})
    if others:
        detail = ("it has code in " + ", ".join(f"```{t}" for t in others)
                  + ", but only an optiform model can be used")
    else:
        detail = "a model starts with a section such as `variables` on a line of its own"
    raise ExtractionError("no_model", detail)


def _without_thinking(reply: str) -> str:
    """The reply less each `<think>...</think>` section, in one pass.

    A regex `<think>.*?</think>` rescans the rest of the text from every
    `<think>` that has no closing tag: quadratic on a reply full of them.
    """
    closes = [m.start() for m in _CLOSE_THINK.finditer(reply)]
    out, at, c = [], 0, 0
    for m in _OPEN_THINK.finditer(reply):
        if m.start() < at:
            continue  # inside a section already dropped
        while c < len(closes) and closes[c] < m.end():
            c += 1
        if c == len(closes):
            break  # no closing tag after it: the rest stays as it is
        out.append(reply[at:m.start()])
        at = closes[c] + len("</think>")
    out.append(reply[at:])
    return "".join(out)


def _looks_like_model(body: str) -> bool:
    return any(_SECTION.match(line) or _MODEL_LINE.match(line) for line in body.splitlines())


def _rank(lang: str, body: str) -> int:
    """3: tagged and complete; 2: complete; 1: tagged; 0: not a model."""
    complete = _looks_like_model(body)
    tagged = lang in _TAGS
    return 2 * complete + tagged if (complete or tagged) and body.strip() else 0


def _bare(text: str) -> str:
    """From the first section (or `model` line, or comments above it) to the last code line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if _SECTION.match(line) or _MODEL_LINE.match(line)), None)
    if start is None:
        return ""
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if _is_prose(lines[i]):
            end = i
            break
    return "\n".join(lines[start:end]).strip("\n").rstrip() + "\n"


def _is_prose(line: str) -> bool:
    if line[:1].isspace() or not _PROSE.match(line):
        return False
    return not (_CODE_CHARS & set(line)) and not re.match(r"^\w+\s*:", line)

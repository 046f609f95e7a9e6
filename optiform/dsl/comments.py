"""Comments of a model file, attached to what they describe, for `fmt`.

The AST holds no comments, so the formatter takes them from the text and
places them again: a comment on a line of its own belongs to the next
declaration or section keyword (its "leading" comments); a comment after
code belongs to the declaration on whose line it stands ("trailing"), and
is written at the end of that declaration's last line. Comments before the
`model` line form the header, those after the last declaration the footer.
A declaration with comments inside it (a note beside each row of a matrix)
is kept as written, re-indented, since no canonical layout could say where
those comments go.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from optiform.dsl import ast as A

_STRING_OR_COMMENT = re.compile(r'"[^"\n]*"|#[^\n]*')
_SECTION_LINE = re.compile(r"^[ \t]*(model|sets|parameters|variables|objective|constraints)\b",
                           re.MULTILINE)
_SECTION_WORD = re.compile(r"\b(model|sets|parameters|variables|objective|constraints)\b")

Anchor = str  # "model", a section keyword, "combination" or "decl:<kind>:<position>"


@dataclass
class Comments:
    leading: dict[Anchor, list[str]] = field(default_factory=dict)
    trailing: dict[Anchor, list[str]] = field(default_factory=dict)
    footer: list[str] = field(default_factory=list)
    verbatim: dict[Anchor, list[str]] = field(default_factory=dict)  # lines, dedented

    def __bool__(self) -> bool:
        return bool(self.leading or self.trailing or self.footer or self.verbatim)


def decl_anchor(kind: str, position: int) -> Anchor:
    return f"decl:{kind}:{position}"


def collect(text: str, model: A.ModelDecl) -> Comments:
    """Find every comment of `text` and the anchor it belongs to."""
    anchors: list[tuple[int, Anchor]] = []
    for m in _SECTION_LINE.finditer(text):
        anchors.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    groups: list[tuple[str, tuple[object, ...]]] = [
        ("sets", model.sets), ("parameters", model.parameters),
        ("variables", (*model.variables, *model.defined)), ("objective", model.objectives),
        ("constraints", model.constraints)]
    columns: dict[Anchor, int] = {}
    for kind, decls in groups:
        for i, d in enumerate(decls):
            span = getattr(d, "span", None)
            if span is not None:
                anchors.append((span.line, decl_anchor(kind, i)))
                columns[decl_anchor(kind, i)] = span.column
    if model.combination is not None and model.combination.span is not None:
        anchors.append((model.combination.span.line, "combination"))
    anchors.sort(key=lambda a: a[0])
    lines = [a[0] for a in anchors]
    source_lines = text.split("\n")
    code = _code_lines(text)
    ends = {}
    for i, (start, anchor) in enumerate(anchors):
        stop = anchors[i + 1][0] if i + 1 < len(anchors) else len(source_lines) + 1
        ends[anchor] = max((n for n in range(start, stop) if n in code), default=start)
    out = Comments()
    inside: dict[Anchor, list[str]] = {}
    for m in _STRING_OR_COMMENT.finditer(text):
        if not m.group().startswith("#"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        alone = line not in code
        comment = m.group().rstrip()
        owner = bisect.bisect_right(lines, line) - 1
        if owner >= 0 and anchors[owner][1].startswith("decl:") and (
                line < ends[anchors[owner][1]]):
            inside.setdefault(anchors[owner][1], []).append(comment)
        elif alone:
            at = owner + 1
            if at == len(anchors):
                out.footer.append(comment)
            else:
                out.leading.setdefault(anchors[at][1], []).append(comment)
        else:
            target = anchors[owner][1] if owner >= 0 else "model"
            out.trailing.setdefault(target, []).append(comment)
    starts = {a: n for n, a in anchors}
    crowded = {n for n, count in Counter(lines).items() if count > 1}
    blank = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text).split("\n")
    for anchor, comments in inside.items():
        start = starts[anchor]
        if start in crowded or _shares_its_lines(anchor, anchors, columns, ends, blank):
            # Another declaration or keyword shares one of its lines, so its lines cannot
            # be kept as written: its comments go to its end instead, none lost.
            out.trailing.setdefault(anchor, [])[:0] = comments
            continue
        block = source_lines[start - 1:ends[anchor]]
        indent = len(block[0]) - len(block[0].lstrip())
        out.verbatim[anchor] = [ln[indent:] if ln[:indent].isspace() else ln.lstrip()
                                for ln in (b.rstrip() for b in block)]
        out.trailing.pop(anchor, None)
    return out


def _shares_its_lines(anchor: Anchor, anchors: list[tuple[int, Anchor]],
                      columns: dict[Anchor, int], ends: dict[Anchor, int],
                      blank: list[str]) -> bool:
    """Whether code of another declaration or a section keyword stands on the lines of
    `anchor`'s declaration (`blank`: the source lines, strings and comments blanked)."""
    position = next(i for i, (_, a) in enumerate(anchors) if a == anchor)
    start, end = anchors[position][0], ends[anchor]
    if any(_SECTION_WORD.search(line) for line in blank[start - 1:end]):
        return True  # keywords are reserved: one on these lines is not the declaration's
    if position + 1 < len(anchors):
        line, following = anchors[position + 1]
        column = columns.get(following, 1)
        # the next declaration starts after code on its line: the end of this one
        return bool(blank[line - 1][:column - 1].strip())
    return False


def _code_lines(text: str) -> set[int]:
    """Numbers of the lines that hold something besides comments and blanks."""
    blanked = _STRING_OR_COMMENT.sub(
        lambda m: " " * len(m.group()) if m.group().startswith("#") else m.group(), text)
    return {n for n, line in enumerate(blanked.split("\n"), start=1) if line.strip()}

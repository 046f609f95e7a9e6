"""docs/ERRORS.md is true: every example on it runs and prints what the page shows.

An example is the run of fenced blocks under a `###` heading up to a
`console` block. The blocks before it are files (`opt` is model.opt, `json`
data.json, `yaml` data.yaml; an info string may name the path and
`encoding=latin-1`); the console block holds `$ optiform ...`, the lines the
command prints (each must appear, in order, inside a printed line; one ending
in `...` is the start of a longer line; a caret line must match exactly) and
`exit code N`. Each runs through the real typer app with `CliRunner`, in a
fresh folder.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optiform.cli import app

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ERRORS.md"
DEFAULT_NAMES = {"opt": "model.opt", "json": "data.json", "yaml": "data.yaml"}


@dataclass
class Example:
    title: str
    command: list[str]
    lines: list[str]
    exit_code: int
    files: dict[str, bytes] = field(default_factory=dict)


def _blocks(text: str) -> list[tuple[str, str, list[str]]]:
    """(heading, info string, body lines) of every fenced block, in order."""
    out: list[tuple[str, str, list[str]]] = []
    heading = ""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("### "):
            heading = line[4:].strip()
        elif line.startswith("```"):
            info = line[3:].strip()
            j = i + 1
            while lines[j] != "```":
                j += 1
            out.append((heading, info, lines[i + 1:j]))
            i = j
        i += 1
    return out


def _examples() -> list[Example]:
    examples: list[Example] = []
    files: dict[str, bytes] = {}
    current = None
    for heading, info, body in _blocks(PAGE.read_text(encoding="utf-8")):
        if heading != current:
            current, files = heading, {}
        words = info.split()
        if not words:
            continue  # an illustration, not an example
        if words[0] == "console":
            assert body[0].startswith("$ optiform "), (heading, body[0])
            match = re.fullmatch(r"exit code (\d+)", body[-1])
            assert match, (heading, body[-1])
            examples.append(Example(heading, shlex.split(body[0])[2:], body[1:-1],
                                    int(match.group(1)), files))
            files = {}
            continue
        names = [w for w in words[1:] if "=" not in w]
        encoding = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("encoding=")),
                        "utf-8")
        name = names[0] if names else DEFAULT_NAMES[words[0]]
        files[name] = "".join(f"{line}\n" for line in body).encode(encoding)
    return examples


EXAMPLES = _examples()


def test_the_page_has_an_example_for_every_kind_of_error() -> None:
    titles = {e.title for e in EXAMPLES}
    assert len(EXAMPLES) >= 100, len(EXAMPLES)
    for needed in ("unknown name", "declared twice", "cycle", "variable in data",
                   "index outside its set", "key outside its set", "missing value",
                   "list of the wrong shape", "invalid JSON", "infeasible", "unbounded",
                   "nonlinear model for a linear backend", "file not formatted"):
        assert needed in titles, needed
    codes = {e.exit_code for e in EXAMPLES}
    assert {0, 1, 2, 3, 4, 5} <= codes, codes


def _matches(expected: str, line: str) -> bool:
    if expected.lstrip().startswith("^"):
        return expected == line  # a caret points at one column exactly
    if expected.endswith("..."):
        return expected[:-3] in line
    return expected in line


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.title for e in EXAMPLES])
def test_example(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, content in example.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, example.command)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    printed = [line.rstrip() for line in result.output.split("\n")]
    at = 0
    for expected in example.lines:
        expected = expected.rstrip()
        while at < len(printed) and not _matches(expected, printed[at]):
            at += 1
        assert at < len(printed), (
            f"{example.title}: `{expected}` is not printed (in order); the output:\n"
            f"{result.output}")
        at += 1
    assert result.exit_code == example.exit_code, result.output

"""Data files -> raw values by name, each with the place it came from.

JSON and YAML files hold one object: a set is a list (a tuple set a list of
lists), a scalar a number, an indexed parameter nested objects keyed by its
indices in order. A folder holds one CSV file per set or parameter, named
after it: a set's rows are its members, a parameter's rows are its indices
followed by its value. What the values mean is decided by the compiler,
which knows each name's declaration.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from optiform.diagnostics import Diagnostic, DiagnosticError, Span


@dataclass(frozen=True)
class Table:
    """Rows of a CSV file; `lines` gives each row's line number."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]


@dataclass(frozen=True)
class DataItem:
    name: str
    value: Any  # number, list, nested dict, or Table
    span: Span


def load_data(path: str | Path) -> dict[str, DataItem]:
    """Read a JSON or YAML file, or a folder of CSV files."""
    path = Path(path)
    if not path.exists():
        raise DiagnosticError([Diagnostic(f"data file `{path}` does not exist",
                                          Span(str(path), 1, 1),
                                          "check the path given to --data", kind="data")])
    if path.is_dir():
        return _load_csv_folder(path)
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return _load_json(text, str(path))
    if path.suffix.lower() in (".yaml", ".yml"):
        return _load_yaml(text, str(path))
    raise DiagnosticError([Diagnostic(
        f"cannot read data from `{path}`", Span(str(path), 1, 1),
        "use a .json, .yaml or .yml file, or a folder of .csv files", kind="data")])


def read_text(path: Path, kind: str = "data") -> str:
    """A file's text as UTF-8 (a leading byte-order mark dropped); a bad byte is an error
    at its line and column."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        good = raw[start:exc.start].decode("utf-8")
        line = good.count("\n") + 1
        column = len(good) - (good.rfind("\n") + 1) + 1
        raise DiagnosticError([Diagnostic(
            f"byte 0x{raw[exc.start]:02x} is not UTF-8 text", Span(str(path), line, column),
            "save the file as UTF-8", kind=kind)]) from None


def _error(message: str, span: Span | None, hint: str | None = None,
           text: str | None = None) -> DiagnosticError:
    sources = {span.file: text} if span and text is not None else {}
    return DiagnosticError([Diagnostic(message, span, hint, kind="data")], sources)


def _load_json(text: str, file: str) -> dict[str, DataItem]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(f"invalid JSON: {exc.msg}", Span(file, exc.lineno, exc.colno),
                     text=text) from None
    except RecursionError:
        raise _error("the JSON is nested too deeply to read", Span(file, 1, 1),
                     text=text) from None
    if not isinstance(obj, dict):
        raise _error("a data file holds one object of names", Span(file, 1, 1),
                     '{"demand": {"a": 1}, "I": [1, 2]}', text)
    items = {}
    offsets = _top_level_keys(text)
    for name, value in obj.items():
        offset = offsets.get(name, 0)
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        items[name] = DataItem(name, value, Span(file, line, column, line,
                                                 column + len(name) + 2))
    return items


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[{}\[\]]')


def _top_level_keys(text: str) -> dict[str, int]:
    """Offsets of the keys of the outermost object, skipping nested keys of the same name."""
    depth = 0
    found: dict[str, int] = {}
    for m in _JSON_TOKENS.finditer(text):
        tok = m.group()
        if tok in "{[":
            depth += 1
        elif tok in "}]":
            depth -= 1
        elif depth == 1 and tok.endswith(":"):
            name = json.loads(tok.rstrip(": \t\r\n"))
            found.setdefault(name, m.start())
    return found


def _load_yaml(text: str, file: str) -> dict[str, DataItem]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        obj = yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        before = text[:exc.position]
        span = Span(file, before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        raise _error(f"invalid YAML: character U+{exc.character:04X} is not allowed", span,
                     text=text) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        raise _error(f"invalid YAML: {getattr(exc, 'problem', exc)}", span, text=text) from None
    except RecursionError:
        raise _error("the YAML is nested too deeply to read", Span(file, 1, 1),
                     text=text) from None
    if not isinstance(obj, dict) or not isinstance(root, yaml.MappingNode):
        raise _error("a data file holds one mapping of names", Span(file, 1, 1), text=text)
    items = {}
    for key_node, _ in root.value:
        name = key_node.value
        mark = key_node.start_mark
        span = Span(file, mark.line + 1, mark.column + 1, mark.line + 1,
                    mark.column + 1 + len(str(name)))
        if name not in obj:  # `1:`, `true:`, `~:` or `<<:` read as a number, a flag...
            raise _error(f"`{name}` is not a name", span,
                         f'names are text: quote it ("{name}") or rename it', text)
        items[name] = DataItem(name, obj[name], span)
    return items


def _load_csv_folder(folder: Path) -> dict[str, DataItem]:
    items = {}
    for path in sorted(folder.glob("*.csv")):
        reader = csv.reader(io.StringIO(read_text(path), newline=""))
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise _error(f"unreadable CSV: {exc}", Span(str(path), max(reader.line_num, 1), 1)
                         ) from None
        if not rows:
            raise _error(f"`{path.name}` is empty", Span(str(path), 1, 1),
                         "the first row names the columns")
        header = tuple(h.strip() for h in rows[0])
        body, lines = [], []
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise _error(f"row has {len(row)} cells but the header has {len(header)}",
                             Span(str(path), number, 1))
            body.append(tuple(cell.strip() for cell in row))
            lines.append(number)
        items[path.stem] = DataItem(path.stem, Table(header, tuple(body), tuple(lines)),
                                    Span(str(path), 1, 1))
    if not items:
        raise _error(f"the folder `{folder}` has no .csv files", Span(str(folder), 1, 1),
                     "put one NAME.csv per set or parameter in it")
    return items

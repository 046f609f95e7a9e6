"""Data files -> raw values by name, each with the place it came from.

JSON and YAML files hold one object: a set is a list (a tuple set a list of
lists), a scalar a number, an indexed parameter nested objects keyed by its
indices in order. A folder holds one CSV (or parquet) file per set or
parameter, named after it: a set's rows are its members, a parameter's rows
are its indices followed by its value. What the values mean is decided by the compiler,
which knows each name's declaration.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optiform.diagnostics import Diagnostic, DiagnosticError, Span


@dataclass(frozen=True, eq=False)
class Coded:
    """A column as its distinct members and each row's position among them (what
    pandas' factorize and a parquet dictionary give): a member is encoded once."""

    uniques: list[Any]
    positions: np.ndarray  # int64; -1 where the cell is empty


# A column: a CSV's text cells, numbers (a pandas or parquet numeric column), or Coded
Column = list[str] | np.ndarray | Coded


@dataclass(frozen=True, eq=False)
class Table:
    """A table by columns: a CSV file (each cell stripped), a parquet file or a pandas
    object. `lines` gives each row's line (a CSV's) or its row counted from 1; `source`
    names it in messages (`demand.csv` when empty)."""

    header: tuple[str, ...]
    columns: tuple[Column, ...]
    lines: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        cells = [c.tolist() if isinstance(c, np.ndarray) else
                 [c.uniques[k] if k >= 0 else "" for k in c.positions.tolist()]
                 if isinstance(c, Coded) else c for c in self.columns]
        return list(zip(*cells, strict=True)) if cells else []


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
    text = read_text(path)  # first: a FIFO or a device is refused whatever its name
    if path.suffix.lower() == ".json":
        return _load_json(_line_breaks(text, path), str(path))
    if path.suffix.lower() in (".yaml", ".yml"):
        return _load_yaml(_line_breaks(text, path), str(path))
    raise DiagnosticError([Diagnostic(
        f"cannot read data from `{path}`", Span(str(path), 1, 1),
        "use a .json, .yaml or .yml file, or a folder of .csv files", kind="data")])


# The most a data file may hold; a larger one is refused before it is read.
MAX_DATA_BYTES = 1 << 30


def read_bytes(path: Path, limit: int = MAX_DATA_BYTES, kind: str = "data") -> bytes:
    """A regular file's bytes, at most `limit` of them. A FIFO would block forever and
    `/dev/zero` never ends: what is not a regular file is refused before it is read,
    and so is a file past the limit."""
    where = Span(str(path), 1, 1)
    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise DiagnosticError([Diagnostic(f"`{path}` is a folder, not a file", where,
                                          kind=kind)]) from None
    except OSError as exc:
        raise DiagnosticError([Diagnostic(f"cannot read `{path}`: {exc.strerror}", where,
                                          kind=kind)]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise DiagnosticError([Diagnostic(
            f"`{path}` is {what}, not a file", where,
            "give the path of a file saved on disk", kind=kind)])
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise DiagnosticError([Diagnostic(f"cannot read `{path}`: {exc.strerror}",
                                              where, kind=kind)]) from None
    if len(raw) > limit:
        raise DiagnosticError([Diagnostic(
            f"`{path}` is larger than {_size(limit)}, the most optiform reads", where,
            "split it, or read the data in Python and pass a mapping", kind=kind)])
    return raw


# The line breaks of YAML (1.1, as PyYAML reads it); JSON's whitespace holds "\r" too.
_BREAKS = {".json": re.compile("\r\n?"), ".yaml": re.compile("\r\n?|[\x85\u2028\u2029]"),
           ".yml": re.compile("\r\n?|[\x85\u2028\u2029]")}


def data_source(path: Path) -> str:
    """A JSON or YAML file's text with its line breaks as "\n": the lines its reader
    counts are then the lines a diagnostic quotes (a bare "\r" ends a line in YAML, so
    PyYAML's line 40 would be line 1 of the text split at "\n"). Replacing a break by
    another changes no value: raw breaks cannot stand inside JSON strings, and YAML
    folds them alike."""
    return _line_breaks(read_text(path), path)


def _line_breaks(text: str, path: Path) -> str:
    breaks = _BREAKS.get(path.suffix.lower())
    return breaks.sub("\n", text) if breaks is not None else text


def _size(n: int) -> str:
    return f"{n >> 30} GiB" if n >= 1 << 30 else f"{n >> 20} MiB"


def read_text(path: Path, kind: str = "data", limit: int = MAX_DATA_BYTES) -> str:
    """A file's text as UTF-8 (a leading byte-order mark dropped); a bad byte is an error
    at its line and column."""
    raw = read_bytes(path, limit, kind)
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
        obj = json.loads(text, object_pairs_hook=_refuse_repeats)
    except _Repeated as exc:
        name, offset = _repeated_key(text) or (exc.name, 0)
        raise _error(f"`{name}` is given twice in one object", _span_of(text, file, offset,
                                                                        len(name) + 2),
                     "keep one of the two: the data never silently picks one", text) from None
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
    offsets = _top_level_keys(text, len(obj))
    for name, value in obj.items():
        offset = offsets.get(name, 0)
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        items[name] = DataItem(name, value, Span(file, line, column, line,
                                                 column + len(name) + 2))
    return items


class _Repeated(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _refuse_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON keeps the last of two equal keys; optiform refuses them, as the language does."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return obj


def _repeated_key(text: str) -> tuple[str, int] | None:
    """The first key that repeats one of its object, and its offset (for the error only)."""
    objects: list[set[str] | None] = []
    for m in _JSON_TOKENS.finditer(text):
        tok = m.group()
        if tok in "{[":
            objects.append(set() if tok == "{" else None)
        elif tok in "}]":
            if objects:
                objects.pop()
        elif tok.endswith(":") and objects and (keys := objects[-1]) is not None:
            name = json.loads(tok.rstrip(": \t\r\n"))
            if name in keys:
                return name, m.start()
            keys.add(name)
    return None


def _span_of(text: str, file: str, offset: int, width: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(file, line, column, line, column + width)


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[{}\[\]]')


def _top_level_keys(text: str, count: int) -> dict[str, int]:
    """Offsets of the `count` keys of the outermost object, skipping nested keys of the
    same name; the scan stops at the last of them, before its value (a million numbers)."""
    depth = 0
    found: dict[str, int] = {}
    for m in _JSON_TOKENS.finditer(text):
        if len(found) == count:
            break
        tok = m.group()
        if tok in "{[":
            depth += 1
        elif tok in "}]":
            depth -= 1
        elif depth == 1 and tok.endswith(":"):
            name = json.loads(tok.rstrip(": \t\r\n"))
            found.setdefault(name, m.start())
    return found


# PyYAML's scanner takes time quadratic in the depth of `[` and `{` (3,000 levels: 3 s,
# and minutes for more); data nests a few levels, so deeper text is refused unread.
MAX_YAML_FLOW_DEPTH = 200


def _load_yaml(text: str, file: str) -> dict[str, DataItem]:
    import yaml  # only here: most runs read no YAML

    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    step = (np.isin(raw, (ord("["), ord("{"))).astype(np.int32)
            - np.isin(raw, (ord("]"), ord("}"))))
    depth = np.cumsum(step)
    if len(depth) and int(depth.max()) > MAX_YAML_FLOW_DEPTH:
        at = int(np.argmax(depth > MAX_YAML_FLOW_DEPTH))
        offset = len(raw[:at].tobytes().decode("utf-8", "replace"))
        raise _error(f"the YAML is nested too deeply to read (more than "
                     f"{MAX_YAML_FLOW_DEPTH} levels of `[` and `{{`)",
                     _span_of(text, file, offset, 1), text=text)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _check_yaml_nodes(root, file, text)
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


# Values that YAML aliases (`*name`) may add by repeating anchored ones: a few
# hundred bytes of nested aliases otherwise expand to gigabytes.
MAX_ALIAS_VALUES = 1_000_000


def _check_yaml_nodes(root: Any, file: str, text: str) -> None:
    """Refuse what PyYAML accepts silently: a key given twice in one mapping (it keeps
    the last), aliases that expand past MAX_ALIAS_VALUES, an alias inside itself."""
    import yaml

    def children(node: Any) -> list[Any]:
        if isinstance(node, yaml.MappingNode):
            return [n for pair in node.value for n in pair]
        return list(node.value) if isinstance(node, yaml.SequenceNode) else []

    def span(node: Any) -> Span:
        mark = node.start_mark
        width = len(node.value) if isinstance(node, yaml.ScalarNode) else 1
        return Span(file, mark.line + 1, mark.column + 1, mark.line + 1,
                    mark.column + 1 + max(1, width))

    size: dict[int, int] = {}
    open_: set[int] = set()  # nodes whose values are being counted: an alias to one loops
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            size[key] = 1 + sum(size[id(c)] for c in children(node))
            open_.discard(key)
            continue
        if key in size:
            continue
        if key in open_:
            raise _error("an alias refers to the value that holds it", span(node),
                         "write the value out instead of the alias", text)
        open_.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if (k.tag, k.value) in seen:
                        raise _error(f"`{k.value}` is given twice in one mapping", span(k),
                                     "keep one of the two: the data never silently picks "
                                     "one", text)
                    seen.add((k.tag, k.value))
        stack.extend((c, False) for c in children(node) if id(c) not in size)
    if size[id(root)] > len(size) + MAX_ALIAS_VALUES:
        raise _error(f"the aliases of this YAML expand it to {size[id(root)]:,} values; at "
                     f"most {MAX_ALIAS_VALUES:,} may come from aliases", Span(file, 1, 1),
                     "write the values out, or give the data as JSON or CSV", text)


def _load_csv_folder(folder: Path) -> dict[str, DataItem]:
    items = {}
    for path in sorted(folder.glob("*.csv")):
        if path.is_dir():
            raise _error(f"`{path}` is a folder, not a CSV file", Span(str(path), 1, 1),
                         "a data folder holds one NAME.csv file per set or parameter: "
                         "rename or move this folder")
        text = read_text(path)
        table = _plain_csv(text) or _quoted_csv(text, path)
        items[path.stem] = DataItem(path.stem, table, Span(str(path), 1, 1))
    for path in sorted(folder.glob("*.parquet")):
        if path.stem in items:
            raise _error(f"`{path.stem}` is given twice: as {path.stem}.csv and as "
                         f"{path.name}", Span(str(path), 1, 1), "keep one of the two files")
        from optiform.dsl.tabular import read_parquet  # pyarrow only for a parquet file

        items[path.stem] = DataItem(path.stem, read_parquet(path), Span(str(path), 1, 1))
    if not items:
        raise _error(f"the folder `{folder}` has no .csv or .parquet files",
                     Span(str(folder), 1, 1),
                     "put one NAME.csv (or NAME.parquet) per set or parameter in it")
    return items


def _quoted_csv(text: str, path: Path) -> Table:
    """Any CSV, through the csv module, row by row."""
    reader = csv.reader(io.StringIO(text, newline=""))
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
        body.append([cell.strip() for cell in row])
        lines.append(number)
    columns = tuple(list(c) for c in zip(*body, strict=True)) if body else tuple(
        [] for _ in header)
    return Table(header, columns, np.array(lines, dtype=np.int64))


# The csv module's own limit on a field; longer lines go to it, to be refused as before
# (lines are measured in bytes here: a line of multibyte text may go there needlessly).
_FIELD_LIMIT = 131072


def _plain_csv(text: str) -> Table | None:
    """A CSV without quotes, split a whole file at a time (a million rows in a fraction
    of a second, where the csv module takes seconds); None for anything it does not read
    exactly as the csv module would, which then reads it."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text or '"' in text or "\r" in text or "\0" in text:
        return None
    head, _, rest = text.partition("\n")
    header = tuple(h.strip() for h in head.split(","))
    width = len(header)
    rest = rest.removesuffix("\n")  # the last row's line end
    if not rest:
        return Table(header, tuple([] for _ in header), np.zeros(0, dtype=np.int64))
    raw = np.frombuffer(rest.encode(), dtype=np.uint8)  # "," and "\n" are single bytes
    bounds = np.concatenate(([-1], np.flatnonzero(raw == ord("\n")), [len(raw)]))
    if max(len(head), int(np.diff(bounds).max())) > _FIELD_LIMIT:
        return None
    commas = np.diff(np.searchsorted(np.flatnonzero(raw == ord(",")), bounds[1:]), prepend=0)
    numbers = np.arange(2, len(bounds) + 1, dtype=np.int64)  # each row's line
    odd = np.flatnonzero(commas != width - 1).tolist()
    if odd:
        lines = rest.split("\n")
        if any(lines[k].replace(",", "").strip() for k in odd):
            return None  # a row of the wrong width: the csv module's path reports it
        keep = np.ones(len(lines), dtype=bool)
        keep[odd] = False  # blank lines
        rest = "\n".join(line for line, k in zip(lines, keep.tolist(), strict=True) if k)
        numbers = numbers[keep]
    cells = rest.replace("\n", ",").split(",") if len(numbers) else []
    columns = [cells[c::width] for c in range(width)]
    if not rest.isascii() or any(c in rest for c in " \t\x0b\x0c\x1c\x1d\x1e\x1f"):
        columns = [list(map(str.strip, column)) for column in columns]
    if any("" in column for column in columns):  # drop rows of blank cells only
        full = np.zeros(len(numbers), dtype=bool)
        for column in columns:
            full |= np.array(column, dtype=object) != ""
        if not full.all():
            rows = np.nonzero(full)[0].tolist()
            columns = [[column[k] for k in rows] for column in columns]
            numbers = numbers[full]
    return Table(header, tuple(columns), numbers)

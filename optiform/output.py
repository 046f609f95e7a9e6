"""`optiform solve --output DIR`: one file per variable (defined ones too) and `DIR/summary.json`.

A variable's file has the columns of `Result.frame` (its index sets, then
`value`), so a CSV is also a `--data` CSV-folder file: one model's answer is
the next model's data. Each file is written under a temporary name and
renamed, so a failure leaves the old file or none, never half of one. The CSV
is written from the key codes (each distinct member and value written once); parquet
goes through pyarrow, names as dictionary columns, with the model, status and
objective in the file's metadata. Nothing else optional is imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from optiform.answers import CHUNK, index_names, text_column
from optiform.compiler.keys import Universe
from optiform.extras import require
from optiform.writing import OutputError

if TYPE_CHECKING:
    from optiform.solution import Answer, Result


def prepare(folder: Path, fmt: str) -> None:
    """Refuse a folder that cannot be written, or a format not installed, before any
    solve: the answer of a long run must never be lost to a typo."""
    if fmt == "parquet":
        require("pyarrow", "--format parquet")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"`{folder}` is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder `{folder}`: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in the folder `{folder}`: permission denied")


def write_answer(result: Result, folder: Path, fmt: str) -> list[Path]:
    """Every variable's file (when there is a point), then `summary.json`, last, so
    that it is there only beside a complete answer."""
    written: list[Path] = []
    summary = folder / "summary.json"
    try:  # a summary.json says the files beside it are this answer, complete
        summary.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot replace `{summary}`: {exc.strerror}") from None
    for answer in result.answers():
        path = folder / f"{answer.name}.{fmt}"
        _atomic(path, partial(WRITERS[fmt], result, answer))
        written.append(path)
    text = json.dumps(_summary(result, [p.name for p in written], fmt), indent=2) + "\n"
    _atomic(summary, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [*written, summary]


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write `{path}`: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _summary(result: Result, files: list[str], fmt: str) -> dict[str, Any]:
    return {**result.summary(), "format": fmt, "files": files}


def _names(result: Result, v: Answer) -> list[str]:
    arity = {name: s.arity for name, s in result.problem.sets.items()}
    return index_names(v.index, v.arity, arity)


def _csv_quote(text: str) -> str:
    if any(c in text for c in ',"\n\r') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_csv(result: Result, v: Answer, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_csv(result, v, fh)


def write_csv(result: Result, v: Answer, fh: TextIO) -> None:
    """One answer as CSV text: its index columns, then `value` (the frame's layout)."""
    universe = result.problem.universe
    values = v.values
    header = ",".join(map(_csv_quote, [*_names(result, v), "value"]))
    fh.write(header + "\n")
    for start in range(0, len(values), CHUNK):  # rows as sums of object arrays
        rows = text_column(values[start:start + CHUNK], repr)
        for c in reversed(range(v.arity)):
            rows = text_column(v.keys[start:start + CHUNK, c],
                               partial(_csv_member, universe)) + rows
        fh.write("\n".join(rows.tolist()) + "\n")


def _csv_member(universe: Universe, code: int) -> str:
    return _csv_quote(str(universe.decode(code))) + ","


def _write_parquet(result: Result, v: Answer, path: Path) -> None:
    pa = require("pyarrow", "--format parquet")
    pq = require("pyarrow.parquet", "--format parquet")
    universe = result.problem.universe
    arrays = []
    for c in range(v.arity):
        members = universe.decode_column(v.keys[:, c])
        if members.dtype != object:
            arrays.append(_numbers(pa, pa.int64(), members.astype(np.int64)))
            continue
        uniq, positions = np.unique(v.keys[:, c], return_inverse=True)
        names = [str(universe.decode(code)) for code in uniq.tolist()]
        arrays.append(pa.DictionaryArray.from_arrays(
            _numbers(pa, pa.int32(), positions.astype(np.int32)), _texts(pa, names)))
    arrays.append(_numbers(pa, pa.float64(), np.asarray(v.values, dtype=np.float64)))
    meta = {"model": result.problem.name, "status": result.status,
            "objective": json.dumps(result.objective)}
    table = pa.Table.from_arrays(arrays, names=[*_names(result, v), "value"])
    pq.write_table(table.replace_schema_metadata(meta), path)


# Arrow arrays from their buffers: `pa.array` of a numpy array or a list first asks
# whether it is a pandas object, which imports pandas (0.2 s of a 5 s run) for nothing.
def _numbers(pa: Any, kind: Any, values: np.ndarray) -> Any:
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def _texts(pa: Any, texts: list[str]) -> Any:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


WRITERS: dict[str, Callable[[Result, Answer, Path], None]] = {
    "csv": _write_csv,
    "parquet": _write_parquet,
}

"""Members as integer codes, and fast lookup of key tuples.

Grounding works on numpy arrays of codes, never on Python objects per term.
An integer member is its own code (so `t - 1` is arithmetic on codes); a
symbol gets a code above `SYMBOL_BASE`. A `KeyIndex` maps rows of codes to
positions with one sort and binary searches; keys that are a product of
sets in set order need no lookup at all (`product_positions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SYMBOL_BASE = 1 << 52
Member = int | str


@dataclass
class Universe:
    """Interns symbols; shared by every set, parameter and variable of a problem."""

    symbols: list[str] = field(default_factory=list)
    _codes: dict[str, int] = field(default_factory=dict)

    def encode(self, member: Member) -> int:
        if isinstance(member, (int, np.integer)) and not isinstance(member, bool):
            if abs(int(member)) >= SYMBOL_BASE:
                raise ValueError(f"integer member {member} is too large")
            return int(member)
        text = str(member)
        code = self._codes.get(text)
        if code is None:
            code = SYMBOL_BASE + len(self.symbols)
            self._codes[text] = code
            self.symbols.append(text)
        return code

    def symbol(self, text: str) -> int | None:
        """The code of the symbol spelled `text`, if there is one."""
        return self._codes.get(text)

    def decode(self, code: int) -> Member:
        code = int(code)
        return self.symbols[code - SYMBOL_BASE] if code >= SYMBOL_BASE else code

    def decode_row(self, row: np.ndarray) -> tuple[Member, ...]:
        return tuple(self.decode(c) for c in row)

    def decode_column(self, codes: np.ndarray) -> np.ndarray:
        """Members of a column of codes at once: int64 when every member is an integer,
        else an object array (strings, and integers where the column mixes them)."""
        codes = np.asarray(codes, dtype=np.int64)
        symbolic = codes >= SYMBOL_BASE
        if not symbolic.any():
            return codes
        names = np.array(self.symbols, dtype=object)
        if symbolic.all():
            return names[codes - SYMBOL_BASE]
        out = codes.astype(object)
        out[symbolic] = names[codes[symbolic] - SYMBOL_BASE]
        return out

    def format_key(self, row: np.ndarray | tuple[int, ...]) -> str:
        return ", ".join(str(self.decode(c)) for c in row)


class KeyIndex:
    """Positions of key rows (n x k int64 codes); -1 for a row that is absent.

    Each column is mapped to the positions of its distinct codes (arithmetic
    when they form a contiguous integer range, a binary search otherwise), the
    positions are combined in mixed radix, and the combined key is looked up
    in a direct-address table when the key space is dense (a product set, or
    close to one) or by binary search in the sorted keys when it is sparse.
    """

    _DENSE_FACTOR = 4  # direct addressing while the key space is at most 4x the rows

    def __init__(self, codes: np.ndarray, uniques: list[np.ndarray] | None = None) -> None:
        """`uniques`, when given, are sorted supersets of each column's codes (the
        members of the sets the columns range over): cheaper than finding them."""
        codes = np.asarray(codes, dtype=np.int64)
        if codes.ndim == 1:
            codes = codes[:, None]
        self.codes = codes
        self.arity = codes.shape[1]
        self._uniques = uniques if uniques is not None else [
            unique_sorted(codes[:, c]) for c in range(self.arity)]
        self._ranges = [_contiguous(u) for u in self._uniques]
        self._space = 1
        for u in self._uniques:
            self._space *= max(len(u), 1)
        keys, _ = self._combine([codes[:, c] for c in range(self.arity)])
        n = len(codes)
        self._table: np.ndarray | None = None
        if self._space <= max(self._DENSE_FACTOR * n, 1024):
            table = np.full(self._space, -1, dtype=np.int64)
            # Written in reverse so that the first of repeated rows wins.
            table[keys[::-1]] = np.arange(n - 1, -1, -1, dtype=np.int64)
            self._table = table
        else:
            self._order = np.argsort(keys, kind="stable")
            self._sorted = keys[self._order]

    def __len__(self) -> int:
        return len(self.codes)

    def _combine(self, columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        n = len(columns[0]) if columns else 0
        key = np.zeros(n, dtype=np.int64)
        ok = np.ones(n, dtype=bool)
        for col, uniq, lo in zip(columns, self._uniques, self._ranges, strict=True):
            col = np.asarray(col, dtype=np.int64)
            size = len(uniq)
            if size == 0:
                ok[:] = False
                continue
            if lo is not None:
                pos = col - lo
                inside = (pos >= 0) & (pos < size)
            else:
                pos = np.searchsorted(uniq, col)
                np.minimum(pos, size - 1, out=pos)
                inside = uniq[pos] == col
            if not inside.all():
                ok &= inside
                pos[~inside] = 0
            key *= size
            key += pos
        return key, ok

    def lookup(self, columns: list[np.ndarray]) -> np.ndarray:
        """Positions of the rows given column by column; -1 where absent."""
        if len(columns) != self.arity:
            raise ValueError(f"expected {self.arity} index columns, got {len(columns)}")
        keys, ok = self._combine(columns)
        if self._table is not None:
            return np.where(ok, self._table[keys], -1)
        if len(self._sorted) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.searchsorted(self._sorted, keys)
        at_clipped = np.minimum(at, len(self._sorted) - 1)
        found = ok & (at < len(self._sorted)) & (self._sorted[at_clipped] == keys)
        return np.where(found, self._order[at_clipped], -1)

    def duplicates(self) -> np.ndarray:
        """Positions of rows that repeat an earlier row."""
        first = self.lookup([self.codes[:, c] for c in range(self.arity)])
        return np.nonzero(first != np.arange(len(self.codes)))[0]


def _contiguous(uniq: np.ndarray) -> int | None:
    """The first code when the sorted distinct codes are lo, lo+1, ...; else None."""
    if len(uniq) and int(uniq[-1]) - int(uniq[0]) == len(uniq) - 1:
        return int(uniq[0])
    return None


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-d array.

    As `np.unique`, without numpy 2's import of `numpy.ma` on its first call
    (30-50 ms, paid inside the first compile of a process).
    """
    out = np.sort(values)
    if len(out) > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def product_positions(shape: list[int], axes: list[int], strides: list[int]) -> np.ndarray:
    """Positions in a block, row by row, of keys read off a product frame.

    The frame's rows are the row-major product of sets of sizes `shape`; the
    block's keys are a product of sets too, its u-th set being the one at the
    frame's axis `axes[u]`, one step of which moves `strides[u]` rows. A block
    over the frame's own sets in the frame's order gives `arange`.
    """
    natural = [math.prod(shape[a + 1:]) for a in range(len(shape))]
    n = math.prod(shape)
    if axes == list(range(len(shape))) and strides == natural:
        return np.arange(n, dtype=np.int64)
    pos = np.zeros([1] * len(shape), dtype=np.int64)
    for axis, stride in zip(axes, strides, strict=True):
        along = [1] * len(shape)
        along[axis] = shape[axis]
        pos = pos + (np.arange(shape[axis], dtype=np.int64) * stride).reshape(along)
    return np.broadcast_to(pos, shape).reshape(-1)

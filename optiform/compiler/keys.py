"""Members as integer codes, and fast lookup of key tuples.

Grounding works on numpy arrays of codes, never on Python objects per term.
An integer member is its own code (so `t - 1` is arithmetic on codes); a
symbol gets a code above `SYMBOL_BASE`. A `KeyIndex` maps rows of codes to
positions with one sort and binary searches.
"""

from __future__ import annotations

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

    def decode(self, code: int) -> Member:
        code = int(code)
        return self.symbols[code - SYMBOL_BASE] if code >= SYMBOL_BASE else code

    def decode_row(self, row: np.ndarray) -> tuple[Member, ...]:
        return tuple(self.decode(c) for c in row)

    @staticmethod
    def is_symbol(codes: np.ndarray) -> np.ndarray:
        return np.asarray(codes) >= SYMBOL_BASE

    def format_key(self, row: np.ndarray | tuple[int, ...]) -> str:
        return ", ".join(str(self.decode(c)) for c in row)


class KeyIndex:
    """Positions of key rows (n x k int64 codes); -1 for a row that is absent."""

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        if codes.ndim == 1:
            codes = codes[:, None]
        self.codes = codes
        self.arity = codes.shape[1]
        self._uniques = [np.unique(codes[:, c]) for c in range(self.arity)]
        keys, ok = self._combine([codes[:, c] for c in range(self.arity)])
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def __len__(self) -> int:
        return len(self.codes)

    def _combine(self, columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if self.arity == 1:
            col = np.asarray(columns[0], dtype=np.int64)
            return col, np.ones(len(col), dtype=bool)
        n = len(columns[0])
        key = np.zeros(n, dtype=np.int64)
        ok = np.ones(n, dtype=bool)
        for col, uniq in zip(columns, self._uniques, strict=True):
            col = np.asarray(col, dtype=np.int64)
            pos = np.searchsorted(uniq, col)
            clipped = np.minimum(pos, len(uniq) - 1) if len(uniq) else pos
            ok &= (pos < len(uniq)) & (uniq[clipped] == col) if len(uniq) else False
            key = key * max(len(uniq), 1) + clipped
        return key, ok

    def lookup(self, columns: list[np.ndarray]) -> np.ndarray:
        """Positions of the rows given column by column; -1 where absent."""
        if len(columns) != self.arity:
            raise ValueError(f"expected {self.arity} index columns, got {len(columns)}")
        keys, ok = self._combine(columns)
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

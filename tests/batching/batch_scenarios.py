"""The scenario files the batch tests share (their fixture is in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scenarios:
    model: Path
    datas: list[Path]  # demand x 0.5, x 1, x 1.2 (the last infeasible with narrow lanes)
    infeasible: Path  # demand x 3: more than the plants hold
    broken: Path  # not JSON

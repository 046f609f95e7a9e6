"""Scenario files for the batch tests: the transport model of examples/ and data
files that scale its demand, one of them past what the plants can supply."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from batch_scenarios import Scenarios

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def transport(tmp_path: Path) -> Scenarios:
    model = tmp_path / "transport.opt"
    shutil.copy(EXAMPLES / "transport_data.opt", model)
    base = json.loads((EXAMPLES / "transport_data.data.json").read_text())

    def scaled(name: str, factor: float) -> Path:
        data = dict(base, demand={s: v * factor for s, v in base["demand"].items()})
        path = tmp_path / name
        path.write_text(json.dumps(data))
        return path

    broken = tmp_path / "broken.json"
    broken.write_text('{"PLANTS": ["a"]\n "STORES": [1]}')
    return Scenarios(model, [scaled("low.json", 0.5), scaled("base.json", 1.0),
                             scaled("high.json", 1.2)], scaled("huge.json", 3.0), broken)

"""Golden examples: every `examples/*.opt` solves to its `.expected.json`.

Each expected file was computed independently of optiform (its `source`
says how); the options it names (`data`, `lexicographic`, `weights`) are the
ones the solve needs. The independent checker must also accept the point.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import optiform

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MODELS = sorted(EXAMPLES.glob("*.opt"))
TOL = 1e-6


def _expected(model: Path) -> dict:
    return json.loads((EXAMPLES / f"{model.stem}.expected.json").read_text(encoding="utf-8"))


def test_there_are_enough_examples() -> None:
    assert len(MODELS) >= 12, [m.name for m in MODELS]


def test_every_example_has_an_expected_file() -> None:
    missing = [m.name for m in MODELS if not (EXAMPLES / f"{m.stem}.expected.json").is_file()]
    assert not missing


def test_every_expected_file_has_an_example() -> None:
    stems = {m.stem for m in MODELS}
    orphans = [p.name for p in EXAMPLES.glob("*.expected.json")
               if p.name.removesuffix(".expected.json") not in stems]
    assert not orphans


@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_example_solves_to_its_expected_optimum(model: Path) -> None:
    expected = _expected(model)
    options = expected.get("options", {})
    data = EXAMPLES / options["data"] if "data" in options else None

    result = optiform.load(model, data=data).solve(
        weights=options.get("weights"), lexicographic=options.get("lexicographic"))

    assert result.status == expected["status"], result.solution.message
    assert result.problem.problem_class.value == expected["class"]
    assert result.objective == pytest.approx(expected["objective"], rel=TOL, abs=1e-9)
    for name, value in expected.get("objectives", {}).items():
        assert result.objectives[name] == pytest.approx(value, rel=TOL, abs=1e-9), name
    assert result.report is not None
    assert result.verified, [v.describe() for v in result.report.violations]
    assert result.report.max_violation <= TOL
    assert result.exit_code == 0

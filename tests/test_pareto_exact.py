"""Exact Pareto fronts of whole-valued objectives, checked against enumeration.

`examples/biobjective_knapsack.opt` has 12 items: every one of its 2^12
packings is enumerated here with numpy, from the data written out again
below, and `--pareto` must return exactly the non-dominated pairs.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import optiform
from optiform.api import summarize_front
from optiform.cli import app
from optiform.diagnostics import DiagnosticError
from optiform.pareto import hypervolume, reference_point

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "biobjective_knapsack.opt"
# item: (usefulness, comfort, grams), as in the example
ITEMS = {"tent": (90, 30, 2600), "sleeping_bag": (70, 40, 1400), "stove": (45, 25, 600),
         "water_filter": (60, 5, 300), "first_aid": (55, 5, 300), "rain_jacket": (40, 20, 500),
         "camera": (8, 25, 900), "headlamp": (28, 10, 100), "book": (3, 30, 600),
         "pillow": (2, 35, 400), "chair": (4, 45, 1500), "hammock": (15, 50, 1100)}
MAX_WEIGHT = 4500


def _enumerated_front() -> list[tuple[int, int]]:
    """Non-dominated (usefulness, comfort) over every packing within the weight limit,
    best usefulness first."""
    data = np.array(list(ITEMS.values()))
    packs = np.array(list(itertools.product([0, 1], repeat=len(ITEMS))))
    packs = packs[packs @ data[:, 2] <= MAX_WEIGHT]
    values = np.unique(packs @ data[:, :2], axis=0)
    front = [tuple(int(x) for x in p) for p in values
             if not any((q >= p).all() and (q > p).any() for q in values)]
    return sorted(front, key=lambda p: -p[0])


FRONT = _enumerated_front()


def _whole(value: float) -> int:
    assert abs(value - round(value)) < 1e-6, value
    return int(round(value))


def test_the_enumerated_front_is_the_one_in_the_expected_file() -> None:
    expected = json.loads(EXAMPLE.with_name("biobjective_knapsack.expected.json").read_text())
    assert [tuple(p) for p in expected["pareto"]] == FRONT
    assert len(FRONT) == 7


def test_cli_pareto_returns_exactly_the_enumerated_front() -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "10", "--json",
                                      "--lexicographic", "usefulness,comfort"])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    points = [(_whole(p["objectives"]["usefulness"]), _whole(p["objectives"]["comfort"]))
              for p in payload["pareto"]]
    assert points == FRONT
    assert all(p["check"]["feasible"] for p in payload["pareto"])
    senses = ["maximize", "maximize"]
    reference = reference_point(np.array(FRONT), senses)
    assert payload["reference"] == pytest.approx(
        {"usefulness": reference[0], "comfort": reference[1]})
    assert payload["hypervolume"] == pytest.approx(
        hypervolume(np.array(FRONT), senses, reference))


def test_the_whole_front_comes_back_when_points_equal_its_size_in_either_order() -> None:
    model = optiform.load(EXAMPLE)
    front = model.pareto(len(FRONT), objectives=["comfort", "usefulness"])
    assert all(r.verified for r in front)
    points = [(_whole(r.objectives["usefulness"]), _whole(r.objectives["comfort"]))
              for r in front]
    assert points == FRONT[::-1]  # from comfort's best end


def test_fewer_points_than_the_front_are_spread_from_end_to_end() -> None:
    front = optiform.load(EXAMPLE).pareto(4, objectives=["usefulness", "comfort"])
    points = [(_whole(r.objectives["usefulness"]), _whole(r.objectives["comfort"]))
              for r in front]
    assert 2 <= len(points) <= 4
    assert set(points) <= set(FRONT)
    assert points[0] == FRONT[0] and points[-1] == FRONT[-1]
    # comfort bounded at 95, 130, 165, 200: the first points at or past each
    assert points == [(318, 95), (313, 155), (308, 165), (201, 200)]


def test_summary_of_a_front() -> None:
    model = optiform.load(EXAMPLE)
    front = model.pareto(10)
    summary = summarize_front(front, model.compile())
    assert summary.names == ["usefulness", "comfort"]
    assert summary.senses == ["maximize", "maximize"]
    assert summary.points.shape == (7, 2)
    # hand: nadir (201, 95) pushed out by a tenth of the ranges 117 and 105
    assert summary.reference == pytest.approx({"usefulness": 189.3, "comfort": 84.5})
    assert summary.to_dict()["hypervolume"] == pytest.approx(summary.hypervolume)


THREE = """\
sets
  I = 1..6
parameters
  a[I] = [5, 1, 3, 4, 2, 6]
  b[I] = [1, 6, 2, 3, 5, 2]
  c[I] = [3, 2, 6, 1, 4, 3]
  w[I] = [3, 2, 4, 3, 2, 4]
variables
  x[I] binary
objective
  maximize fa: sum(i in I) a[i] * x[i]
  minimize fb: 20 - sum(i in I) b[i] * x[i]
  maximize fc: sum(i in I) c[i] * x[i]
constraints
  cap: sum(i in I) w[i] * x[i] <= 8
"""


def _three_front() -> set[tuple[int, int, int]]:
    a, b, c = np.array([5, 1, 3, 4, 2, 6]), np.array([1, 6, 2, 3, 5, 2]), np.array(
        [3, 2, 6, 1, 4, 3])
    packs = np.array(list(itertools.product([0, 1], repeat=6)))
    packs = packs[packs @ np.array([3, 2, 4, 3, 2, 4]) <= 8]
    values = np.unique(np.stack([packs @ a, -(20 - packs @ b), packs @ c], axis=1), axis=0)
    return {(int(p[0]), int(-p[1]), int(p[2])) for p in values
            if not any((q >= p).all() and (q > p).any() for q in values)}


@pytest.mark.slow  # 30 s; the quick run keeps three objectives through the grid tests below
def test_three_whole_valued_objectives_give_the_exact_front() -> None:
    expected = _three_front()
    # (10, 10, 6) has the worst fc of all: a grid over the payoff table would miss it
    assert len(expected) == 5 and (10, 10, 6) in expected
    front = optiform.loads(THREE).pareto(20)
    assert all(r.verified for r in front)
    got = {(_whole(r.objectives["fa"]), _whole(r.objectives["fb"]), _whole(r.objectives["fc"]))
           for r in front}
    assert got == expected
    assert len(front) == len(expected)


def test_three_objectives_with_few_points_fall_back_to_a_grid() -> None:
    front = optiform.loads(THREE).pareto(3)
    got = {(_whole(r.objectives["fa"]), _whole(r.objectives["fb"]), _whole(r.objectives["fc"]))
           for r in front}
    assert got and got <= _three_front()


CONTINUOUS_THREE = """\
variables
  x in [0, 4]
  y in [0, 4]
  z in [0, 4]
objective
  maximize fx: x
  maximize fy: y
  maximize fz: z
constraints
  plane: x + y + z <= 6
"""


def test_three_continuous_objectives_on_a_grid_are_mutually_non_dominated() -> None:
    front = optiform.loads(CONTINUOUS_THREE).pareto(9)
    points = np.array([[r.objectives[n] for n in ("fx", "fy", "fz")] for r in front])
    assert len(points) >= 4
    assert all(r.verified for r in front)
    assert points.sum(axis=1) == pytest.approx(6.0)  # on the plane: nothing dominated
    for p in points:
        for q in points:
            assert not ((q >= p + 1e-9).all())


def test_cli_pareto_table_prints_the_hypervolume_and_its_reference() -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "5",
                                      "--lexicographic", "usefulness,comfort"])
    assert result.exit_code == 0, result.stderr
    assert "Pareto front of biobjective_knapsack" in result.stdout
    assert "hypervolume" in result.stdout and "usefulness 189.3" in result.stdout


def test_an_unknown_objective_is_named_with_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "5",
                                      "--lexicographic", "usefulness,comfrot"])
    assert result.exit_code == 1
    assert "unknown objective `comfrot`" in result.stderr
    assert "comfort" in result.stderr
    as_json = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--pareto", "5", "--json",
                                       "--lexicographic", "usefulness,comfrot"])
    assert as_json.exit_code == 1
    assert "unknown objective `comfrot`" in json.loads(as_json.stdout)["errors"][0]["message"]


def test_a_front_of_four_objectives_or_one_named_twice_is_refused() -> None:
    four = THREE.replace("constraints", "  minimize fd: sum(i in I) x[i]\nconstraints")
    with pytest.raises(DiagnosticError, match=r"two objectives \(or three\)"):
        optiform.loads(four).pareto(5)
    with pytest.raises(DiagnosticError, match="`fa` is named twice"):
        optiform.loads(THREE).pareto(5, objectives=["fa", "fa"])


def test_the_sampler_finds_the_same_three_objective_front() -> None:
    front = optiform.loads(THREE).pareto(20, "gflownet", seed=0, iterations=100)
    assert all(r.verified for r in front)
    got = {(_whole(r.objectives["fa"]), _whole(r.objectives["fb"]), _whole(r.objectives["fc"]))
           for r in front}
    assert got == _three_front()

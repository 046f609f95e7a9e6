"""Pareto fronts of two objectives by the epsilon-constraint method."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.diagnostics import DiagnosticError

TWO = """\
sets
  I = 1..2
variables
  x[I] in [0, 10]
objective
  minimize cost: 3 * x[1] + x[2]
  maximize quality: x[1] + 2 * x[2]
constraints
  need: x[1] + x[2] >= 4
  budget: x[1] + 3 * x[2] <= 18
"""


def _front(points: int) -> list[tuple[float, float]]:
    front = optiform.loads(TWO).pareto(points)
    assert all(r.verified for r in front)
    return [(r.objectives["cost"], r.objectives["quality"]) for r in front]


def test_the_front_runs_from_one_lexicographic_optimum_to_the_other() -> None:
    front = _front(5)
    # By hand: cheapest is x = (0, 4): cost 4, quality 8; best quality is
    # x = (10, 8/3): quality 46/3, cost 98/3. Quality is spread evenly between.
    assert front[0] == pytest.approx((4, 8), rel=1e-6)
    assert front[-1] == pytest.approx((98 / 3, 46 / 3), rel=1e-6)
    qualities = [q for _, q in front]
    assert qualities == pytest.approx([8 + k * (46 / 3 - 8) / 4 for k in range(5)], rel=1e-6)
    # On the segment x1 = 0 cost equals quality / 2; past x2 = 6 the budget binds.
    assert front[1][0] == pytest.approx(front[1][1] / 2, rel=1e-6)
    assert front[3] == pytest.approx((18, 13.5), rel=1e-6)


def test_no_point_dominates_another() -> None:
    front = _front(7)
    for c1, q1 in front:
        for c2, q2 in front:
            dominates = c1 <= c2 and q1 >= q2 and (c1, q1) != (c2, q2)
            assert not dominates


def test_a_front_needs_two_objectives() -> None:
    with pytest.raises(DiagnosticError, match="two objectives"):
        optiform.load(Path(__file__).parents[1] / "examples" / "diet.opt").pareto(3)


def test_cli_pareto_table_and_json(tmp_path: Path) -> None:
    path = tmp_path / "two.opt"
    path.write_text(TWO)
    table = CliRunner().invoke(app, ["solve", str(path), "--pareto", "3"])
    assert table.exit_code == 0
    assert "Pareto front of two" in table.stdout
    assert "32.66665" in table.stdout  # 98/3 to the tolerance, at the far end of the front
    result = CliRunner().invoke(app, ["solve", str(path), "--pareto", "3", "--json",
                                      "--lexicographic", "quality,cost"])
    assert result.exit_code == 0
    points = json.loads(result.stdout)["pareto"]
    # quality first: the sweep bounds cost, evenly between its two ends
    assert [p["objectives"]["cost"] for p in points] == pytest.approx(
        [98 / 3, (98 / 3 + 4) / 2, 4], rel=1e-6)
    assert points[0]["objectives"]["quality"] == pytest.approx(46 / 3, rel=1e-6)
    assert all(p["check"]["feasible"] for p in points)

"""`optiform.batch` on a real local Ray of two CPUs, started once for the module."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_scenarios import Scenarios
from test_batch_cli import interrupt_and_resume

import optiform
from optiform.batching import run_batch
from optiform.testing import local_ray

pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def one_local_ray() -> Iterator[None]:
    with local_ray(cpus=2):
        yield


def test_ray_rows_equal_the_process_pools(transport: Scenarios) -> None:
    datas = [*transport.datas, transport.infeasible]
    on_ray = optiform.batch(transport.model, datas, engine="ray", grid={"lane_cap": [40, 75]})
    local = optiform.batch(transport.model, datas, grid={"lane_cap": [40, 75]}, workers=2)
    same = ["scenario", "data", "lane_cap", "status", "objective", "objective.total_cost",
            "check", "error"]
    assert on_ray[same].fillna(-1).values.tolist() == local[same].fillna(-1).values.tolist()
    assert set(on_ray["status"]) == {"optimal", "infeasible"}


def test_ray_reports_a_failing_scenario_in_its_row(transport: Scenarios,
                                                   tmp_path: Path) -> None:
    run = run_batch(transport.model, [transport.broken, transport.datas[0]], engine="ray",
                    values=tmp_path / "values")
    assert run.engine == "ray (local, 2 CPUs)"
    rows = {r["data"]: r for r in run.rows}
    assert rows[str(transport.broken)]["status"] == "error"
    assert "invalid JSON" in rows[str(transport.broken)]["error"]
    good = rows[str(transport.datas[0])]
    assert good["status"] == "optimal"
    with (tmp_path / "values" / good["scenario"] / "ship.csv").open() as f:
        assert next(csv.reader(f)) == ["ROUTES", "ROUTES_2", "value"]  # as Result.frame


def test_ray_resumes_and_skips_the_rows_done(transport: Scenarios, tmp_path: Path) -> None:
    output = tmp_path / "out.parquet"
    first = optiform.batch(transport.model, transport.datas[:1], engine="ray", output=output)
    again = run_batch(transport.model, transport.datas, engine="ray", output=output)
    assert again.skipped == 1
    assert len(again.rows) == 3
    assert again.rows[0]["seconds"] == first.loc[0, "seconds"]


def test_ray_ctrl_c_keeps_the_finished_rows(tmp_path: Path) -> None:
    interrupt_and_resume(tmp_path, "--ray")

"""`optiform.batch` on the local process pool: rows, failures, resume, values."""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path

import pytest
from batch_scenarios import Scenarios

import optiform
from optiform.api import load
from optiform.batching.engines import ProcessEngine
from optiform.batching.scenarios import parse_grid
from optiform.batching.table import ParquetOutput, columns
from optiform.diagnostics import DiagnosticError
from optiform.dsl.parser import parse


def _sequential(s: Scenarios, data: Path, lane_cap: float) -> float | None:
    model = load(s.model, data)
    model.data["lane_cap"] = type(model.data["lane_cap"])("lane_cap", lane_cap,
                                                          model.data["lane_cap"].span)
    return model.solve().objective


def test_rows_equal_sequential_solves(transport: Scenarios) -> None:
    table = optiform.batch(transport.model, transport.datas, grid={"lane_cap": [40, 75]},
                           workers=2)
    assert list(table.columns) == [
        "scenario", "data", "lane_cap", "status", "objective", "objective.total_cost",
        "check", "max_violation", "seconds", "solve_seconds", "error"]
    assert len(table) == 6
    # in scenario order: files first, then the grid
    assert list(table["data"]) == [str(d) for d in transport.datas for _ in (40, 75)]
    assert list(table["lane_cap"]) == [40, 75] * 3
    for row in table.itertuples():
        expected = _sequential(transport, Path(row.data), row.lane_cap)
        if expected is None:
            assert row.status == "infeasible"
        else:
            assert row.status == "optimal" and row.check == "feasible"
            assert row.objective == pytest.approx(expected, rel=1e-9)
            assert row.objective == row._6  # objective.total_cost
    assert len(set(table["objective"].dropna())) > 1  # the scenarios differ


def test_a_failing_scenario_is_reported_in_its_row(transport: Scenarios) -> None:
    datas = [transport.datas[0], transport.broken, transport.infeasible, transport.datas[1]]
    table = optiform.batch(transport.model, datas, workers=2).set_index("data")
    broken = table.loc[str(transport.broken)]
    assert broken["status"] == "error"
    assert broken["error"].startswith(f"{transport.broken}:2:2: invalid JSON")
    assert table.loc[str(transport.infeasible), "status"] == "infeasible"
    assert math.isnan(table.loc[str(transport.infeasible), "objective"])
    for good in (transport.datas[0], transport.datas[1]):
        assert table.loc[str(good), "status"] == "optimal"


def test_a_model_error_in_the_data_is_the_rows_error(transport: Scenarios,
                                                     tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"PLANTS": ["a"], "STORES": [1], "ROUTES": [["b", 1]], "supply": {"a": 1},'
                     ' "demand": {"1": 1}, "cost": {"a": {"1": 1}}, "lane_cap": 5}')
    table = optiform.batch(transport.model, [wrong], workers=1)
    assert table.loc[0, "status"] == "error"
    assert "member (b, 1) of `ROUTES` is not in its `within` set" in table.loc[0, "error"]
    assert table.loc[0, "error"].startswith(f"{transport.model}:10:3: ")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_resuming_skips_the_rows_already_written(transport: Scenarios, tmp_path: Path,
                                                 suffix: str) -> None:
    output = tmp_path / f"table{suffix}"
    first = optiform.batch(transport.model, transport.datas[:2], grid={"lane_cap": [75]},
                           output=output, workers=2)
    assert len(first) == 2
    again = optiform.batch(transport.model, transport.datas, grid={"lane_cap": [75]},
                           output=output, workers=2)
    assert len(again) == 3
    # the two old rows come back from the file as they were, not solved again
    for column in ("seconds", "objective", "scenario"):
        assert list(again[column][:2]) == list(first[column])
    assert again.loc[2, "data"] == str(transport.datas[2])
    assert again.loc[2, "status"] in ("optimal", "infeasible")
    done = optiform.batch(transport.model, transport.datas, grid={"lane_cap": [75]},
                          output=output, workers=2)
    assert list(done["seconds"]) == list(again["seconds"])
    fewer = optiform.batch(transport.model, transport.datas[1:], grid={"lane_cap": [75]},
                           output=output, workers=2)
    assert list(fewer["data"]) == [str(d) for d in transport.datas[1:]]  # only those asked


def test_an_output_of_another_batch_is_not_resumed(transport: Scenarios,
                                                   tmp_path: Path) -> None:
    output = tmp_path / "table.csv"
    optiform.batch(transport.model, transport.datas[:1], output=output, workers=1)
    with pytest.raises(ValueError, match="holds another batch's table"):
        optiform.batch(transport.model, transport.datas[:1], grid={"lane_cap": [1]},
                       output=output, workers=1)


def test_values_are_written_per_scenario_and_variable(transport: Scenarios,
                                                      tmp_path: Path) -> None:
    table = optiform.batch(transport.model, [transport.datas[1], transport.infeasible],
                           values=tmp_path / "values", workers=2)
    folder = tmp_path / "values" / table.loc[0, "scenario"]
    with (folder / "ship.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["ROUTES", "ROUTES_2", "value"]  # as Result.frame and --output name them
    expected = load(transport.model, transport.datas[1]).solve().values["ship"]
    assert {(p, int(s)): float(v) for p, s, v in rows[1:]} == expected
    assert not (tmp_path / "values" / table.loc[1, "scenario"]).exists()  # no point


def test_a_grid_sets_a_parameter_the_model_gives_a_value(tmp_path: Path) -> None:
    model = Path(__file__).resolve().parents[2] / "examples" / "knapsack.opt"
    table = optiform.batch(model, grid={"max_weight": [0, 9000]}, workers=2)
    assert list(table["objective"]) == [0.0, load(model).solve().objective]


def test_a_grid_names_scalar_parameters_of_the_model(transport: Scenarios) -> None:
    with pytest.raises(DiagnosticError, match="`lane_capp` is not a parameter") as caught:
        optiform.batch(transport.model, transport.datas, grid={"lane_capp": [1]})
    assert "did you mean `lane_cap`?" in str(caught.value)
    with pytest.raises(DiagnosticError, match="`supply` is indexed"):
        optiform.batch(transport.model, transport.datas, grid={"supply": [1]})


def test_grid_text() -> None:
    assert parse_grid(["a=1,2", "b=0.5, 1"]) == {"a": [1, 2], "b": [0.5, 1.0]}
    for bad in ("a", "a=", "=1"):
        with pytest.raises(ValueError):
            parse_grid([bad])
    with pytest.raises(ValueError, match="given twice"):
        parse_grid(["a=1", "a=2"])
    # well formed, but not numbers: for check_grid to refuse by the parameter's name
    assert parse_grid(["a=1,x"]) == {"a": [1.0, "x"]}


BAD_MODEL = "variables\n  x >= 0\nobjective\n  minimize o: y\n"


def test_a_model_wrong_whatever_the_data_stops_the_batch_before_it_runs(
        transport: Scenarios, tmp_path: Path) -> None:
    bad = tmp_path / "bad.opt"
    bad.write_text(BAD_MODEL)
    output, values = tmp_path / "t.csv", tmp_path / "values"
    for model in (bad, optiform.loads(BAD_MODEL, file=str(bad))):
        with pytest.raises(DiagnosticError, match="unknown name `y`") as caught:
            optiform.batch(model, transport.datas, output=output, values=values, workers=1)
        assert caught.value.diagnostics[0].span is not None  # located: bad.opt:4:15
        assert str(caught.value.diagnostics[0].span) == f"{bad}:4:15"
        assert not output.exists() and not values.exists()


@pytest.mark.parametrize(("points", "message"), [
    ([75, 75], "--grid lane_cap: 75 is given twice"),
    ([75, 75.0], "--grid lane_cap: 75.0 is given twice"),  # one solve, two names
    (["a"], "--grid lane_cap: `a` is not a number"),
    ([True], "--grid lane_cap: `True` is not a number"),
    ([math.nan], "--grid lane_cap: `nan` is not a number"),
    ([], "--grid lane_cap: no values"),
])
def test_grid_values_are_numbers_each_given_once(transport: Scenarios, tmp_path: Path,
                                                 points: list[object], message: str) -> None:
    output = tmp_path / "t.csv"
    with pytest.raises(DiagnosticError, match=re.escape(message)):
        optiform.batch(transport.model, transport.datas[:1], grid={"lane_cap": points},
                       output=output, workers=1)
    assert not output.exists()


def test_grid_values_are_a_list(transport: Scenarios) -> None:
    for points in (75, "75"):
        with pytest.raises(TypeError, match=r"grid\['lane_cap'\]: expected a list"):
            optiform.batch(transport.model, grid={"lane_cap": points})


def test_a_data_file_is_given_once(transport: Scenarios, tmp_path: Path) -> None:
    data = transport.datas[0]
    output = tmp_path / "t.csv"
    with pytest.raises(DiagnosticError, match=re.escape(f"data file `{data}` is given twice")):
        optiform.batch(transport.model, [data, transport.datas[1], data], output=output)
    detour = data.parent / ".." / data.parent.name / data.name
    with pytest.raises(DiagnosticError, match=re.escape(f"data file `{detour}` is `{data}` again")):
        optiform.batch(transport.model, [data, detour], output=output)
    spaced = tmp_path / "a b.json"
    under = tmp_path / "a_b.json"
    for twin in (spaced, under):
        twin.write_text(data.read_text())
    with pytest.raises(DiagnosticError, match="would both be scenario"):
        optiform.batch(transport.model, [spaced, under], output=output)
    assert not output.exists()


def test_a_loaded_models_data_is_the_base_of_every_scenario(transport: Scenarios,
                                                           tmp_path: Path) -> None:
    model = load(transport.model, transport.datas[1])
    narrow = tmp_path / "narrow.json"
    narrow.write_text('{"lane_cap": 30}')
    table = optiform.batch(model, [narrow], grid={}, workers=1)
    base = optiform.batch(model, grid={"lane_cap": [75]}, workers=1)
    assert base.loc[0, "objective"] == pytest.approx(model.solve().objective)
    assert table.loc[0, "status"] == "infeasible"  # the base data with narrower lanes


def test_scenarios_of_files_of_one_name_keep_their_values_apart(transport: Scenarios,
                                                                tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "base.json").write_text(transport.datas[0].read_text())
    yaml_twin = tmp_path / "base.yaml"
    yaml_twin.write_text(transport.datas[0].read_text())  # JSON is YAML
    datas = [transport.datas[1], other / "base.json", yaml_twin]
    table = optiform.batch(transport.model, datas, values=tmp_path / "values", workers=2)
    assert table["scenario"].nunique() == 3
    for row in table.itertuples():
        assert (tmp_path / "values" / row.scenario / "ship.csv").exists()


def crash_on_two(shared: str, task: int) -> str:
    if task == 2:
        os._exit(3)  # the worker dies as if the solver had crashed
    return f"{shared} {task}"


@pytest.mark.slow
def test_a_worker_that_dies_fails_its_tasks_and_a_fresh_pool_takes_the_rest() -> None:
    with ProcessEngine(workers=1) as engine:
        answers = dict(engine.map(crash_on_two, "done", [1, 2, 3, 4, 5], lambda why: why))
    assert answers[1] == "done 1"
    assert answers[2].startswith("the worker process died while solving")
    assert answers[5] == "done 5"  # after the crash, in a new pool


def test_a_parquet_outputs_rows_survive_a_crash_in_its_journal(tmp_path: Path) -> None:
    header = columns(parse("variables\n  x >= 0\nobjective\n  minimize c: x\n"), ["g"])
    path = tmp_path / "t.parquet"
    out = ParquetOutput(path, header)
    for g in range(3):
        out.append({"scenario": f"g={g}", "data": "", "g": g, "status": "optimal",
                    "objective": g / 3, "check": "feasible"})
    del out  # a crash: never closed, the last rewrite a second away
    again = ParquetOutput(path, header)
    assert [(r["g"], r["objective"]) for r in again.rows] == [(g, g / 3) for g in range(3)]
    again.close()
    assert not (tmp_path / ".t.parquet.rows.csv").exists()
    reread = ParquetOutput(path, header).rows
    assert [(r["scenario"], r["g"], r["objective"]) for r in reread] == [
        (f"g={g}", g, g / 3) for g in range(3)]

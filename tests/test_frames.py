"""Answers as columns: `Result.frame`, `to_pandas`, `to_polars`, `to_json`, `--output`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import optiform
from optiform.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TRANSPORT = EXAMPLES / "transportation.opt"

GRID = """
model grid
sets
  N = 1..3
  C = {red, blue}
parameters
  w[i in N, j in N, c in C] = i * 10 + j + (c == red)
variables
  x[N, N, C] >= 0, <= 1
  z >= 2
objective
  maximize total: sum(i in N, j in N, c in C) w[i, j, c] * x[i, j, c] - z
constraints
  row[i in N]: sum(j in N, c in C) x[i, j, c] <= 1.5
"""


@pytest.fixture(scope="module")
def transport() -> optiform.Result:
    return optiform.load(TRANSPORT).solve("highs")


def test_frame_has_a_column_per_index_set_then_value(transport: optiform.Result) -> None:
    ship = transport.frame("ship")
    assert list(ship.columns) == ["PLANTS", "MARKETS", "value"]
    assert len(ship) == 6
    row = ship[(ship.PLANTS == "seattle") & (ship.MARKETS == "chicago")]
    assert row.value.item() == pytest.approx(300.0)


def test_lazy_values_equal_the_frame(transport: optiform.Result) -> None:
    ship = transport.frame("ship")
    from_frame = dict(zip(zip(ship.PLANTS, ship.MARKETS, strict=True), ship.value,
                          strict=True))
    assert transport.values["ship"] == from_frame
    assert transport.values is transport.values  # built once


def test_a_set_used_twice_gets_a_suffix_and_integer_sets_stay_integers() -> None:
    result = optiform.loads(GRID).solve("highs")
    x = result.frame("x")
    assert list(x.columns) == ["N", "N_2", "C", "value"]
    assert x["N"].dtype == np.int64 and x["N_2"].dtype == np.int64
    assert set(x["C"]) == {"red", "blue"}
    assert x.value.sum() == pytest.approx(4.5)
    z = result.frame("z")
    assert list(z.columns) == ["value"] and z.value.tolist() == [2.0]


def test_constraint_frames_have_slack_and_the_lp_duals(transport: optiform.Result) -> None:
    supply = transport.frame("supply_limit").set_index("PLANTS")
    assert list(supply.columns) == ["value", "slack", "dual"]
    assert supply.loc["seattle", "slack"] == pytest.approx(50.0)  # 350 - 300 shipped
    assert supply.loc["san_diego", "slack"] == pytest.approx(0.0)
    demand = transport.frame("meet_demand").set_index("MARKETS")
    assert demand.loc["new_york", "dual"] == pytest.approx(0.225)
    assert (demand.slack.abs() < 1e-9).all()


def test_a_milp_constraint_has_slack_without_dual() -> None:
    result = optiform.load(EXAMPLES / "knapsack.opt").solve("highs")
    name = result.problem.constraints[0].name
    frame = result.frame(name)
    assert "dual" not in frame.columns and (frame.slack >= -1e-9).all()


def test_to_pandas_and_to_polars_give_every_table(transport: optiform.Result) -> None:
    frames = transport.to_pandas()
    assert list(frames) == ["ship", "supply_limit", "meet_demand"]
    assert all(isinstance(f, pd.DataFrame) for f in frames.values())
    polars = transport.to_polars()
    assert polars["ship"].columns == ["PLANTS", "MARKETS", "value"]
    assert polars["ship"]["value"].sum() == pytest.approx(frames["ship"].value.sum())


def test_an_unknown_name_is_a_key_error_with_a_suggestion(transport: optiform.Result) -> None:
    with pytest.raises(KeyError, match="did you mean `ship`"):
        transport.frame("shipp")


def test_to_json_is_to_dict_written_from_the_arrays() -> None:
    result = optiform.loads(GRID).solve("highs")
    assert json.loads(result.to_json()) == result.to_dict()
    transport = optiform.load(TRANSPORT).solve("highs")
    parsed = json.loads(transport.to_json())
    assert parsed == transport.to_dict()
    assert parsed["duals"]["meet_demand"][0] == {"index": ["new_york"], "value": 0.225}


def test_to_json_of_more_entries_than_one_slice() -> None:
    text = """
sets
  I = 1..70000
variables
  x[I] in [0, 1]
objective
  minimize o: sum(i in I) x[i]
constraints
  odd[i in I : i mod 2 == 1]: x[i] >= 0.5
"""
    result = optiform.loads(text).solve("highs")
    parsed = json.loads(result.to_json())
    assert parsed == result.to_dict()
    assert parsed["variables"]["x"][69999] == {"index": [70000], "value": 0.0}
    assert len(parsed["duals"]["odd"]) == 35000


def test_output_csv_feeds_the_next_model(tmp_path: Path) -> None:
    out = tmp_path / "answer"
    run = CliRunner().invoke(app, ["solve", str(TRANSPORT), "--output", str(out)])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == ["ship.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["check"]["feasible"]
    assert summary["backend"] == "highs" and summary["class"] == "LP"
    assert summary["files"] == ["ship.csv"] and "variables" not in summary
    lines = (out / "ship.csv").read_text().splitlines()
    assert lines[0] == "PLANTS,MARKETS,value" and "seattle,chicago,300.0" in lines
    cost = optiform.load(TRANSPORT).solve("highs").objective
    assert _priced(out) == pytest.approx(cost)


def _priced(data: Path) -> float | None:
    """The cost of a shipping plan read as data, by a model with no variables to speak of."""
    text = TRANSPORT.read_text()
    header = text[:text.index("variables")]
    model = header + """  ship[PLANTS, MARKETS]
variables
  t
objective
  minimize plan: t
constraints
  priced: t == sum(p in PLANTS, m in MARKETS) cost[p, m] * ship[p, m]
"""
    path = data.parent / "priced.opt"
    path.write_text(model)
    return optiform.load(path, data).solve("highs").objective


def test_output_parquet_has_the_frame_columns(tmp_path: Path) -> None:
    out = tmp_path / "answer"
    run = CliRunner().invoke(app, ["solve", str(TRANSPORT), "--output", str(out),
                                   "--format", "parquet", "--json"])
    assert run.exit_code == 0, run.output
    back = pd.read_parquet(out / "ship.parquet")
    frame = optiform.load(TRANSPORT).solve("highs").frame("ship")
    assert list(back.columns) == list(frame.columns)
    assert back.astype({"PLANTS": str, "MARKETS": str}).equals(frame)


def test_output_writes_a_scalar_and_integer_keyed_variables(tmp_path: Path) -> None:
    model = tmp_path / "grid.opt"
    model.write_text(GRID)
    run = CliRunner().invoke(app, ["solve", str(model), "--output", str(tmp_path / "o")])
    assert run.exit_code == 0, run.output
    assert (tmp_path / "o" / "z.csv").read_text() == "value\n2.0\n"
    first = (tmp_path / "o" / "x.csv").read_text().splitlines()[:2]
    assert first[0] == "N,N_2,C,value" and first[1].startswith("1,1,")


@pytest.mark.parametrize(("args", "message"), [
    (["--output", "{file}"], "is a file, not a folder"),
    (["--format", "csv"], "give --output DIR too"),
    (["--output", "{dir}", "--format", "xlsx"], "`xlsx` is not one of csv, parquet"),
    (["--output", "{dir}", "--pareto", "3"], "not with --pareto"),
])
def test_bad_output_options_are_usage_errors_before_solving(
        tmp_path: Path, args: list[str], message: str) -> None:
    file = tmp_path / "taken"
    file.write_text("keep me")
    args = [a.format(file=file, dir=tmp_path / "d") for a in args]
    run = CliRunner().invoke(app, ["solve", str(TRANSPORT), *args])
    assert run.exit_code == 2
    assert message in run.output
    assert "153.675" not in run.output  # refused before solving
    assert file.read_text() == "keep me"


def test_a_failed_write_leaves_no_half_written_file(tmp_path: Path) -> None:
    out = tmp_path / "answer"
    (out / "ship.csv").mkdir(parents=True)  # a folder where the file should go
    (out / "summary.json").write_text("{}")  # from an earlier run
    run = CliRunner().invoke(app, ["solve", str(TRANSPORT), "--output", str(out)])
    assert run.exit_code == 2
    assert f"--output: cannot write `{out / 'ship.csv'}`" in run.output
    assert "153.675" in run.output  # the answer itself is still printed
    assert sorted(p.name for p in out.iterdir()) == ["ship.csv"]  # no summary, no tmp


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    run = CliRunner().invoke(app, ["solve", str(TRANSPORT), "--output", str(tmp_path / "o"),
                                   "--format", "parquet"])
    assert run.exit_code == 5
    assert "pip install 'optiform[frames]'" in run.output
    assert "Traceback" not in run.output and not (tmp_path / "o" / "ship.parquet").exists()


def test_csv_answer_quotes_members_and_reads_back(tmp_path: Path) -> None:
    members = ["a,b", 'say "hi"', 3, "x\ny"]
    text = "sets\n  S\nvariables\n  y[S] in [1, 2]\nobjective\n  maximize o: sum(s in S) y[s]\n"
    model = tmp_path / "m.opt"
    model.write_text(text)
    result = optiform.load(model, {"S": members}).solve("highs")
    from optiform.output import write_answer

    write_answer(result, tmp_path, "csv")
    back = pd.read_csv(tmp_path / "y.csv")
    assert back.S.tolist() == ["a,b", 'say "hi"', "3", "x\ny"] and back.value.tolist() == [2.0] * 4
    priced = "sets\n  S\nparameters\n  y[S]\nvariables\n  t\nobjective\n  minimize o: t\n" \
             "constraints\n  c: t == sum(s in S) y[s]\n"
    again = optiform.loads(priced, {"S": members, "y": pd.Series(
        back.value.to_numpy(), index=pd.Index(members))}).solve("highs")
    assert again.objective == pytest.approx(8.0)
    folder = tmp_path / "data"
    folder.mkdir()
    (tmp_path / "y.csv").rename(folder / "y.csv")
    (folder / "S.csv").write_text('S\n"a,b"\n"say ""hi"""\n3\n"x\ny"\n')
    path = tmp_path / "priced.opt"
    path.write_text(priced)
    assert optiform.load(path, folder).solve("highs").objective == pytest.approx(8.0)


def test_without_a_point_the_frames_hold_nan() -> None:
    text = "variables\n  x >= 2\nobjective\n  minimize o: x\nconstraints\n  cap: x <= 1\n"
    result = optiform.loads(text).solve("highs")
    assert result.status == "infeasible"
    assert np.isnan(result.frame("x").value.item())
    cap = result.frame("cap")
    assert list(cap.columns) == ["value", "slack"] and cap.isna().all(axis=None)


def test_output_of_an_infeasible_model_is_its_summary_alone(tmp_path: Path) -> None:
    model = tmp_path / "m.opt"
    model.write_text("variables\n  x >= 2\nobjective\n  minimize o: x\nconstraints\n"
                     "  cap: x <= 1\n")
    run = CliRunner().invoke(app, ["solve", str(model), "--output", str(tmp_path / "o")])
    assert run.exit_code == 3
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["summary.json"]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["files"] == []


DEFINED = """
model defined
sets
  I = {a, b}
parameters
  cost[I] = {a: 2, b: 3}
variables
  x[I] >= 1, <= 4
  spend[i in I] = cost[i] * x[i]
  total = sum(i in I) spend[i]
objective
  minimize o: total
"""


def test_defined_variables_have_frames_json_and_output_files(tmp_path: Path) -> None:
    result = optiform.loads(DEFINED).solve("highs")
    spend = result.frame("spend")
    assert list(spend.columns) == ["I", "value"]
    assert dict(zip(spend.I, spend.value, strict=True)) == {"a": 2.0, "b": 3.0}
    assert result.frame("total").value.tolist() == [5.0]
    assert set(result.to_pandas()) == {"x", "spend", "total"}
    assert json.loads(result.to_json())["variables"]["total"] == 5.0
    assert json.loads(result.to_json()) == result.to_dict()
    model = tmp_path / "defined.opt"
    model.write_text(DEFINED, encoding="utf-8")
    out = tmp_path / "answer"
    run = CliRunner().invoke(app, ["solve", str(model), "--output", str(out)])
    assert run.exit_code == 0, run.output
    assert (out / "spend.csv").read_text(encoding="utf-8").splitlines() == [
        "I,value", "a,2.0", "b,3.0"]
    assert "spend" in run.output and "total" in run.output


def test_no_negative_zero_reaches_frames_values_or_files(tmp_path: Path) -> None:
    # HiGHS answers a closed warehouse as -0.0: the CSV said `north,-0.0`, --json 0.0
    result = optiform.load(EXAMPLES / "facility_location.opt").solve()
    assert result.solution.values is not None
    assert np.signbit(result.solution.values[result.solution.values == 0]).any(), \
        "the solver gave no -0.0: this test no longer exercises the clean-up"
    for name, frame in result.to_pandas().items():
        zeros = frame.select_dtypes("float").to_numpy()
        assert not np.signbit(zeros[zeros == 0]).any(), name
    assert not any(np.signbit(v) for v in result.values["open"].values())
    out = tmp_path / "out"
    runner = CliRunner().invoke(app, ["solve", str(EXAMPLES / "facility_location.opt"),
                                      "--output", str(out)])
    assert runner.exit_code == 0, runner.output
    assert "-0.0" not in (out / "open.csv").read_text()

"""Data from pandas and parquet: every shape a data scientist hands over, right and wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import optiform
from optiform.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
TRANSPORT = EXAMPLES / "transportation.opt"

MODEL = """
model routes
sets
  I
  J
  ARCS within I * J
parameters
  cost[I, J]
  supply[I]
  demand[J]
  cap[ARCS] default 100
variables
  x[(i, j) in ARCS] >= 0, <= cap[i, j]
objective
  minimize total: sum((i, j) in ARCS) cost[i, j] * x[i, j]
constraints
  out[i in I]: sum((i2, j) in ARCS : i2 == i) x[i2, j] <= supply[i]
  meet[j in J]: sum((i, j2) in ARCS : j2 == j) x[i, j2] >= demand[j]
"""

SOURCES = pd.Index(["a", "b"], name="I")
COST = pd.Series([1.0, 2, 3, 4, 5, 6],
                 index=pd.MultiIndex.from_product([SOURCES, [1, 2, 3]], names=["I", "J"]))


def data(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "I": SOURCES, "J": [1, 2, 3], "cost": COST,
        "nodes": pd.DataFrame({"supply": [10.0, 10.0]}, index=SOURCES),
        "ARCS": pd.DataFrame({"from": ["a", "a", "b", "b"], "to": [1, 2, 2, 3]}),
        "demand": pd.Series({1: 3.0, 2: 4.0, 3: 5.0}),
    }
    base.update(changes)
    return base


def test_every_right_shape_reaches_the_model() -> None:
    result = optiform.loads(MODEL, data=data()).solve("highs")
    assert result.status == "optimal"
    assert result.objective == pytest.approx(3 * 1 + 4 * 2 + 5 * 6)
    problem = result.problem
    assert problem.params["cost"].values.tolist() == [1, 2, 3, 4, 5, 6]
    assert len(problem.sets["ARCS"]) == 4 and problem.sets["ARCS"].arity == 2
    assert problem.params["supply"].values.tolist() == [10, 10]


def test_a_long_frame_with_a_range_index_is_a_parameter_like_a_csv_file() -> None:
    long = COST.reset_index()  # columns I, J, 0: the layout of cost.csv
    result = optiform.loads(MODEL, data=data(cost=long)).solve("highs")
    assert result.objective == pytest.approx(41.0)


def test_a_frame_from_a_result_is_data_for_the_next_model() -> None:
    plan = optiform.load(TRANSPORT).solve("highs")
    text = TRANSPORT.read_text()
    priced = text[:text.index("variables")] + """  ship[PLANTS, MARKETS]
variables
  t
objective
  minimize plan: t
constraints
  priced: t == sum(p in PLANTS, m in MARKETS) cost[p, m] * ship[p, m]
"""
    again = optiform.loads(priced, data={"ship": plan.frame("ship")}).solve("highs")
    assert again.objective == pytest.approx(plan.objective)


def test_polars_frames_and_model_data_read_the_same_way() -> None:
    import polars as pl

    from optiform.api import Model
    from optiform.dsl.parser import parse

    long = pl.from_pandas(COST.rename("cost").reset_index())  # I, J, cost: the CSV layout
    given = data(cost=long, J=pl.Series("J", [1, 2, 3]))
    assert optiform.loads(MODEL, data=given).solve("highs").objective == pytest.approx(41.0)
    assert Model(parse(MODEL), given).solve("highs").objective == pytest.approx(41.0)


def test_nan_means_absent_and_takes_the_default() -> None:
    cap = pd.Series([5.0, np.nan], index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2)]))
    problem = optiform.loads(MODEL, data=data(cap=cap)).compile()
    assert problem.params["cap"].values.tolist() == [5.0]
    assert problem.variables[0].upper.tolist() == [5.0, 100.0, 100.0, 100.0]


def test_a_million_entry_series_goes_in_as_arrays() -> None:
    n = 1000
    text = f"""
model big
sets
  I = 1..{n}
  J = 1..{n}
parameters
  c[I, J]
variables
  x[I, J] >= 0
objective
  minimize o: sum(i in I, j in J) c[i, j] * x[i, j]
"""
    values = np.arange(n * n, dtype=float)
    series = pd.Series(values, index=pd.MultiIndex.from_product(
        [range(1, n + 1), range(1, n + 1)], names=["I", "J"]))
    problem = optiform.loads(text, data={"c": series}).compile()
    assert np.array_equal(problem.params["c"].values, values)


@pytest.mark.parametrize(("changes", "message", "where"), [
    ({"cost": COST.droplevel(1)},
     "the Series for `cost` has 1 index column(s) or level(s); `cost` has 2", 'data["cost"]'),
    ({"cost": pd.Series([1.0], index=pd.MultiIndex.from_tuples([("z", 1)]))},
     "key (z, 1) of `cost` is not in its index set I * J", 'data["cost"]:1:1'),
    ({"demand": pd.Series([1.0, 2.0, 7.0], index=[1, 2, 9])},
     "key (9) of `demand` is not in its index set J", 'data["demand"]:3:1'),
    ({"nodes": pd.DataFrame({"suply": [1.0, 2]}, index=SOURCES)},
     "column `suply` of the DataFrame `nodes` is not a declared parameter", 'data["nodes"]'),
    ({"demand": pd.Index([1, 2])}, "the Index for `demand` has members but no values",
     'data["demand"]'),
    ({"demand": pd.Series(["1", "x", "2"], index=[1, 2, 3])},
     "a value of `demand` should be a number, not `x`", 'data["demand"]:2:1'),
    ({"J": pd.Series([1.5, 2.0])}, "`1.5` is not a valid member", 'data["J"]:1:1'),
    ({"J": pd.Series([True, False])}, "`True` is not a valid member", 'data["J"]'),
    ({"supply": pd.DataFrame({"x": [1.0], "y": [2.0]}, index=pd.Index(["a"], name="I"))},
     "the DataFrame for `supply` has 2 columns for one parameter", 'data["supply"]'),
])
def test_a_wrong_shape_is_a_located_data_error(changes: dict[str, object], message: str,
                                               where: str) -> None:
    given = data(**changes)
    if "supply" in changes:
        del given["nodes"]
    with pytest.raises(optiform.DiagnosticError) as info:
        optiform.loads(MODEL, data=given).compile()
    text = str(info.value)
    assert message in text and text.startswith(where), text


def test_a_scalar_parameter_takes_one_value_not_the_first_of_many() -> None:
    text = MODEL.replace("  demand[J]\n", "  demand[J]\n  scale\n")
    for value, count in ((pd.Series([100.0, 200.0]), 2), (pd.DataFrame({"a": [1, 2]}), 2)):
        with pytest.raises(optiform.DiagnosticError) as info:
            optiform.loads(text, data=data(scale=value)).compile()
        assert f"`scale` is one number, but the {type(value).__name__} for `scale` has " \
               f"{count} values" in str(info.value)
    one = optiform.loads(text, data=data(scale=pd.Series([7.0]))).compile()
    assert one.params["scale"].values.tolist() == [7.0]


def test_a_parameter_given_twice_is_refused_whichever_comes_first() -> None:
    # the last one used to win: a frame put first gave another optimum, with no word
    twice = {"supply": pd.Series([1.0, 1.0], index=SOURCES)}
    for given in ({**twice, **data()}, {**data(), **twice}):
        with pytest.raises(optiform.DiagnosticError) as info:
            optiform.loads(MODEL, data=given)
        assert "`supply` is given twice: by " in str(info.value)
        assert 'data["nodes"]["supply"]' in str(info.value)
    frames = data(other=pd.DataFrame({"supply": [1.0, 2.0]}, index=SOURCES))
    with pytest.raises(optiform.DiagnosticError, match='by data\\["nodes"\\]\\["supply"\\] '
                       'and by data\\["other"\\]\\["supply"\\]'):
        optiform.loads(MODEL, data=frames)


def test_a_parquet_answer_feeds_a_data_folder(tmp_path: Path) -> None:
    out = tmp_path / "answer"
    run = CliRunner().invoke(app, ["solve", str(TRANSPORT), "--output", str(out),
                                   "--format", "parquet"])
    assert run.exit_code == 0, run.output
    (out / "summary.json").unlink()
    text = TRANSPORT.read_text()
    priced = tmp_path / "priced.opt"
    priced.write_text(text[:text.index("variables")] + """  ship[PLANTS, MARKETS]
variables
  t
objective
  minimize plan: t
constraints
  priced: t == sum(p in PLANTS, m in MARKETS) cost[p, m] * ship[p, m]
""")
    again = CliRunner().invoke(app, ["solve", str(priced), "--data", str(out), "--json"])
    assert again.exit_code == 0, again.output
    assert '"objective": 153.675' in again.output


def test_a_parquet_file_beside_csv_files(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "I.csv").write_text("I\na\nb\n")
    (folder / "J.csv").write_text("J\n1\n2\n3\n")
    COST.rename("cost").reset_index().to_parquet(folder / "cost.parquet")
    pd.Series({"a": 10.0, "b": 10.0}, name="supply").rename_axis("I").reset_index().to_parquet(
        folder / "supply.parquet")
    (folder / "demand.csv").write_text("J,demand\n1,3\n2,4\n3,5\n")
    (folder / "ARCS.csv").write_text("I,J\na,1\na,2\nb,2\nb,3\n")
    result = optiform.load(_write(tmp_path, MODEL), folder).solve("highs")
    assert result.objective == pytest.approx(41.0)
    (folder / "cost.csv").write_text("I,J,cost\na,1,1\n")
    with pytest.raises(optiform.DiagnosticError, match="`cost` is given twice"):
        optiform.load(_write(tmp_path, MODEL), folder)


def test_a_bad_parquet_member_is_located_at_its_row(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "I.csv").write_text("I\na\nb\n")
    (folder / "J.csv").write_text("J\n1\n2\n3\n")
    bad = COST.rename("cost").reset_index()
    bad.loc[4, "I"] = "q"
    bad.to_parquet(folder / "cost.parquet")
    model = _write(tmp_path, "sets\n  I\n  J\nparameters\n  cost[I, J]\nvariables\n  x\n")
    with pytest.raises(optiform.DiagnosticError) as info:
        optiform.load(model, folder).compile()
    assert str(info.value).startswith(f"{folder / 'cost.parquet'}:5:1"), str(info.value)
    assert "key (q, 2) of `cost` is not in its index set" in str(info.value)


def _write(folder: Path, text: str) -> Path:
    path = folder / "model.opt"
    path.write_text(text)
    return path

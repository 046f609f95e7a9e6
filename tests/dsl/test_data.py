"""Data files end to end: JSON, YAML and a folder of CSV files, through the compiler.

One small transportation model declares every set and parameter without a
value; the same data in each format must give the same optimum, and each
mistake in the data must be reported where it is, with what to do about it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import optiform
from optiform import DiagnosticError
from optiform.compiler.ir import Problem

MODEL = """\
sets
  PLANTS
  STORES
  ROUTES within PLANTS * STORES
parameters
  supply[PLANTS]
  demand[STORES]
  cost[PLANTS, STORES]
  cap
variables
  ship[(p, s) in ROUTES] in [0, cap]
objective
  minimize total: sum((p, s) in ROUTES) cost[p, s] * ship[p, s]
constraints
  out[p in PLANTS]: sum((q, s) in ROUTES : q == p) ship[q, s] <= supply[p]
  need[s in STORES]: sum((p, t) in ROUTES : t == s) ship[p, t] >= demand[s]
"""

# Store 1 is served only by a (cost 2), store 3 only by b (cost 1); b is cheaper
# for store 2 (3 against 4) but has 30 - 15 = 15 left, so a sends the other 5:
# 10*2 + 15*1 + 15*3 + 5*4 = 100.
OPTIMUM = 100.0
SHIP = {("a", 1): 10.0, ("a", 2): 5.0, ("b", 2): 15.0, ("b", 3): 15.0}

JSON_DATA = """\
{
  "PLANTS": ["a", "b"],
  "STORES": [1, 2, 3],
  "ROUTES": [["a", 1], ["a", 2], ["b", 2], ["b", 3]],
  "supply": {"a": 30, "b": 30},
  "demand": {"1": 10, "2": 20, "3": 15},
  "cost": {"a": {"1": 2, "2": 4, "3": 9},
           "b": {"1": 9, "2": 3, "3": 1}},
  "cap": 25
}
"""

YAML_DATA = """\
PLANTS: [a, b]
STORES: [1, 2, 3]
ROUTES:
  - [a, 1]
  - [a, 2]
  - [b, 2]
  - [b, 3]
supply: {a: 30, b: 30}
demand:
  1: 10
  2: 20
  3: 15
cost:
  a: {1: 2, 2: 4, 3: 9}
  b: {1: 9, 2: 3, 3: 1}
cap: 25
"""

CSV_DATA = {
    "PLANTS": "PLANTS\na\nb\n",
    "STORES": "STORES\n1\n2\n3\n",
    "ROUTES": "plant,store\na,1\na,2\nb,2\nb,3\n",
    "supply": "plant,value\na,30\nb,30\n",
    "demand": "store,value\n1,10\n2,20\n3,15\n",
    "cost": "plant,store,value\na,1,2\na,2,4\na,3,9\nb,1,9\nb,2,3\nb,3,1\n",
    "cap": "cap\n25\n",
}


def _json(tmp_path: Path, text: str = JSON_DATA) -> Path:
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    return path


def _yaml(tmp_path: Path, text: str = YAML_DATA) -> Path:
    path = tmp_path / "data.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _csv(tmp_path: Path, **changes: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in {**CSV_DATA, **changes}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


WRITERS = {"json": _json, "yaml": _yaml, "csv": _csv}


def _errors(data: object, model: str = MODEL) -> list:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(model, data, file="m.opt").compile()
    return info.value.diagnostics


def _position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first `needle` in `text`."""
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _entries(problem: Problem, name: str) -> dict[tuple, float]:
    param = problem.params[name]
    decode = problem.universe.decode_row
    return {decode(k): float(v) for k, v in zip(param.keys, param.values, strict=True)}


# ---- the same data in every format -----------------------------------------------


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_gives_the_same_optimum(tmp_path: Path, fmt: str) -> None:
    result = optiform.loads(MODEL, WRITERS[fmt](tmp_path), file="m.opt").solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(OPTIMUM)
    assert result.values["ship"] == {k: pytest.approx(v) for k, v in SHIP.items()}
    assert result.verified


def test_json_values_arrive_as_declared(tmp_path: Path) -> None:
    problem = optiform.loads(MODEL, _json(tmp_path), file="m.opt").compile()
    universe = problem.universe
    assert [universe.decode_row(r) for r in problem.sets["STORES"].codes] == [(1,), (2,), (3,)]
    assert [universe.decode_row(r) for r in problem.sets["ROUTES"].codes] == list(SHIP)
    # the key "3" of a JSON object is the integer member 3
    assert _entries(problem, "demand") == {(1,): 10.0, (2,): 20.0, (3,): 15.0}
    assert _entries(problem, "cost")[("b", 3)] == 1.0
    assert problem.params["cap"].values.tolist() == [25.0]


def test_string_digits_in_a_set_are_integer_members() -> None:
    data = json.loads(JSON_DATA)
    data["STORES"] = ["1", "2", "3"]
    result = optiform.loads(MODEL, data).solve()
    assert result.objective == pytest.approx(OPTIMUM)
    assert ("b", 3) in result.values["ship"]


def test_a_parameter_may_omit_entries_the_model_never_reads() -> None:
    data = json.loads(JSON_DATA)
    data["cost"] = {"a": {"1": 2, "2": 4}, "b": {"2": 3, "3": 1}}
    assert optiform.loads(MODEL, data).solve().objective == pytest.approx(OPTIMUM)


def test_a_missing_entry_that_is_read_is_an_error() -> None:
    data = json.loads(JSON_DATA)
    data["demand"] = {"1": 10, "2": 20}
    [d] = _errors(data)
    assert "`demand`" in d.message and "(3)" in d.message
    line, column = _position(MODEL, "demand[s]")
    assert (d.span.file, d.span.line, d.span.column) == ("m.opt", line, column)
    assert "default" in d.hint


# ---- mistakes in the data --------------------------------------------------------


def test_a_value_in_both_model_and_data_is_an_error_naming_it(tmp_path: Path) -> None:
    model = MODEL.replace("  cap\n", "  cap = 25\n")
    data = _json(tmp_path)
    [d] = _errors(data, model)
    assert "`cap`" in d.message and "both" in d.message
    assert "line 9" in d.message  # where the model gives it
    assert (d.span.file, d.span.line, d.span.column) == (str(data), 9, 3)
    assert d.kind == "data"


def test_a_value_in_both_model_and_csv_is_an_error_naming_the_file(tmp_path: Path) -> None:
    model = MODEL.replace("  supply[PLANTS]\n", "  supply[PLANTS] = {a: 30, b: 30}\n")
    folder = _csv(tmp_path)
    [d] = _errors(folder, model)
    assert "`supply`" in d.message and "both" in d.message
    assert d.span.file == str(folder / "supply.csv")


def test_an_undeclared_name_in_json_suggests_the_nearest(tmp_path: Path) -> None:
    text = JSON_DATA.replace('"cost"', '"costs"')
    data = _json(tmp_path, text)
    diagnostics = _errors(data)
    d = next(d for d in diagnostics if "`costs`" in d.message)
    assert d.hint == "did you mean `cost`?"
    assert (d.span.file, d.span.line, d.span.column) == (str(data), *_position(text, '"costs"'))


def test_an_undeclared_name_in_yaml_suggests_the_nearest(tmp_path: Path) -> None:
    text = YAML_DATA + "suply: {a: 1}\n"
    data = _yaml(tmp_path, text)
    [d] = _errors(data)
    assert "`suply`" in d.message
    assert d.hint == "did you mean `supply`?"
    assert (d.span.file, d.span.line, d.span.column) == (str(data), *_position(text, "suply"))


def test_an_undeclared_csv_file_suggests_the_nearest(tmp_path: Path) -> None:
    folder = _csv(tmp_path, demands="store,value\n1,1\n")
    [d] = _errors(folder)
    assert "`demands`" in d.message
    assert d.hint == "did you mean `demand`?"
    assert d.span.file == str(folder / "demands.csv")


def test_a_key_outside_its_set_names_the_key_and_the_set(tmp_path: Path) -> None:
    data = _json(tmp_path, JSON_DATA.replace('{"a": 30, "b": 30}', '{"a": 30, "zurich": 30}'))
    [d] = _errors(data)
    assert "zurich" in d.message and "PLANTS" in d.message and "`supply`" in d.message
    assert d.span.file == str(data)
    assert d.span.line == 5  # the line with both `"supply"` and the bad key
    assert d.span.column in (3, JSON_DATA.splitlines()[4].index('"b"') + 1)


def test_a_nested_key_outside_its_set_is_found() -> None:
    data = json.loads(JSON_DATA)
    data["cost"]["b"]["7"] = 1
    [d] = _errors(data)
    assert "(b, 7)" in d.message and "`cost`" in d.message
    assert "PLANTS" in d.message and "STORES" in d.message


def test_a_csv_key_outside_its_set_points_at_its_row(tmp_path: Path) -> None:
    folder = _csv(tmp_path, supply="plant,value\na,30\nb,30\nzurich,4\n")
    [d] = _errors(folder)
    assert "zurich" in d.message and "PLANTS" in d.message
    assert (d.span.file, d.span.line) == (str(folder / "supply.csv"), 4)


def test_a_bad_number_in_csv_points_at_its_row(tmp_path: Path) -> None:
    folder = _csv(tmp_path, demand="store,value\n1,10\n2,lots\n3,15\n")
    [d] = _errors(folder)
    assert "lots" in d.message
    assert (d.span.file, d.span.line, d.span.column) == (str(folder / "demand.csv"), 3, 1)


def test_a_member_outside_the_within_set_is_named() -> None:
    data = json.loads(JSON_DATA)
    data["ROUTES"] = [["a", 1], ["a", 9]]
    [d] = _errors(data)
    assert "(a, 9)" in d.message and "`ROUTES`" in d.message
    assert (d.span.line, d.span.column) == (4, 3)


def test_a_missing_parameter_value_hints_at_data() -> None:
    data = json.loads(JSON_DATA)
    del data["cap"]
    [d] = _errors(data)
    assert "`cap`" in d.message and "no value" in d.message
    assert "--data" in d.hint
    assert (d.span.file, d.span.line, d.span.column) == ("m.opt", 9, 3)


def test_every_missing_value_is_reported_together() -> None:
    diagnostics = _errors({"PLANTS": ["a"]})
    named = {m for d in diagnostics for m in ("STORES", "supply", "cap") if f"`{m}`" in d.message}
    assert named == {"STORES", "supply", "cap"}
    assert all("--data" in (d.hint or "") for d in diagnostics if "has no" in d.message)
    assert [(d.span.line, d.span.column) for d in diagnostics
            if "`STORES`" in d.message or "`cap`" in d.message] == [(3, 3), (9, 3)]


def test_invalid_json_reports_line_and_column(tmp_path: Path) -> None:
    data = _json(tmp_path, JSON_DATA.replace('"STORES": [1, 2, 3]', '"STORES": [1, 2 3]'))
    [d] = _errors(data)
    assert "invalid JSON" in d.message
    assert (d.span.file, d.span.line, d.span.column) == (str(data), 3, 19)


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    data = _yaml(tmp_path, "PLANTS: [a, b\nSTORES: [1]\n")
    [d] = _errors(data)
    assert "invalid YAML" in d.message
    assert (d.span.file, d.span.line, d.span.column) == (str(data), 2, 7)


def test_a_set_given_as_an_object_is_an_error() -> None:
    data = json.loads(JSON_DATA)
    data["PLANTS"] = {"a": 1}
    [d] = _errors(data)
    assert "`PLANTS`" in d.message and "list" in d.message


def test_a_flat_value_for_a_two_index_parameter_is_an_error() -> None:
    data = json.loads(JSON_DATA)
    data["cost"] = {"a": 2, "b": 3}
    [d] = _errors(data)
    assert "`cost`" in d.message and "2 level" in d.message


def test_the_span_of_a_json_name_is_its_top_level_key(tmp_path: Path) -> None:
    # `cap` is also a key inside `supply`, earlier in the file; the error is about
    # the top-level `"cap"`, on the last line
    text = JSON_DATA.replace('{"a": 30, "b": 30}', '{"a": 30, "b": 30, "cap": 1}')
    data = _json(tmp_path, text)
    diagnostics = _errors(data, MODEL.replace("  cap\n", "  cap = 25\n"))
    d = next(d for d in diagnostics if "both" in d.message)
    assert (d.span.line, d.span.column) == (9, 3)

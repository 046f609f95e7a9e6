"""The conflict of an infeasible model: the relaxation's IIS, else the elastic rows."""

from __future__ import annotations

import json
import time
from pathlib import Path

from typer.testing import CliRunner

import optiform
from optiform.cli import app

# 2 * k[i] == 2i + 1 has no integer solution, but fractions solve it: elastic
ODD = """\
sets
  I = 1..3
variables
  k[I] integer in [0, 10]
objective
  minimize o: sum(i in I) k[i]
constraints
  odd[i in I]: 2 * k[i] == 2 * i + 1
  cap: sum(i in I) k[i] <= 100
"""
# three items, two single-item bins: infeasible with fractions too: an IIS
BINS = """\
sets
  P = 1..3
  H = 1..2
variables
  put[P, H] binary
constraints
  each[p in P]: sum(h in H) put[p, h] == 1
  one[h in H]: sum(p in P) put[p, h] <= 1
  spare: put[1, 1] <= 1
"""


def test_a_milp_with_a_feasible_relaxation_gets_the_rows_that_must_give() -> None:
    started = time.perf_counter()
    r = optiform.loads(ODD).solve()
    assert time.perf_counter() - started < 5  # the MILP's IIS used to run 15 s
    assert r.status == "infeasible" and r.exit_code == 3
    c = r.solution.conflict
    assert c is not None and c.method == "elastic" and c.proven and c.relaxation_feasible
    assert [row.label for row in c.rows] == ["odd[1]", "odd[2]", "odd[3]"]
    assert all(row.give == 1 and row.line == 8 for row in c.rows)
    assert c.total == 3 and "cap" not in r.solution.message
    assert "odd[1] (line 8): == 3; it must move by 1, to " in c.describe()


def test_a_milp_with_an_infeasible_relaxation_gets_its_iis() -> None:
    r = optiform.loads(BINS).solve()
    c = r.solution.conflict
    assert c is not None and c.method == "iis"
    assert {row.label for row in c.rows} == {"each[1]", "each[2]", "each[3]", "one[1]",
                                             "one[2]"}
    assert sum(row.give for row in c.rows) == 1  # one item left out
    assert r.solution.message.startswith("these constraints conflict: each[1]")


def test_solve_prints_the_conflict_and_json_carries_it(tmp_path: Path) -> None:
    model = tmp_path / "odd.opt"
    model.write_text(ODD)
    shown = CliRunner().invoke(app, ["solve", str(model)])
    assert shown.exit_code == 3
    assert "conflict involves integrality" in shown.stdout
    assert "odd[3] (line 8): == 7; it must move by 1" in shown.stdout
    as_json = CliRunner().invoke(app, ["solve", str(model), "--json"])
    payload = json.loads(as_json.stdout)
    assert payload["conflict"]["method"] == "elastic"
    assert [row["row"] for row in payload["conflict"]["rows"]] == ["odd[1]", "odd[2]", "odd[3]"]
    assert payload["conflict"]["rows"][0]["line"] == 8


def test_an_integer_range_with_no_whole_number_is_named() -> None:
    r = optiform.loads("sets\n  I = 1..3\nparameters\n  lo[I] = [0, 1.2, 2]\n"
                       "variables\n  k[i in I] integer in [lo[i], lo[i] + 0.6]\n"
                       "constraints\n  c: sum(i in I) k[i] >= 0\n").solve()
    assert r.status == "infeasible"
    c = r.solution.conflict
    assert c is not None and c.method == "bounds" and not c.rows
    assert [b.label for b in c.bounds] == ["k[2]"]
    assert "k[2] in [1.2, 1.8]" in c.describe()
    assert r.solution.message == "no whole number lies within the bounds of: k[2]"


# ---- in the user's terms: the lowering's rows and columns never show -------------

GAP = """\
variables
  x in [0, 10]
  y in [0, 10]
objective
  minimize o: x
constraints
  gap: abs(x - y) >= 15
  lim: x + y <= 12
"""
# HiGHS's IIS of the lowered model named `gap#abs_above1[0]` and the bound of
# `gap#abs1[0]`; the user wrote neither


def _solved(tmp_path: Path, text: str) -> tuple[str, dict]:
    model = tmp_path / "model.opt"
    model.write_text(text)
    shown = CliRunner().invoke(app, ["solve", str(model)])
    assert shown.exit_code == 3, shown.stdout
    as_json = CliRunner().invoke(app, ["solve", str(model), "--json"])
    return shown.stdout, json.loads(as_json.stdout)["conflict"]


def test_a_compiled_constraint_is_one_row_as_written(tmp_path: Path) -> None:
    text, conflict = _solved(tmp_path, GAP)
    assert "#" not in text and "#" not in json.dumps(conflict)
    assert "gap (line 7): abs(x - y) >= 15; its lower bound must be lowered by 5, to 10" in text
    assert [(r["row"], r["line"], r["written"]) for r in conflict["rows"]] == [
        ("gap", 7, "abs(x - y) >= 15")]
    # its rows were derived from the bounds of the variables it reads
    assert [b["variable"] for b in conflict["bounds"]] == ["x", "y"]
    assert conflict["proven"] and conflict["method"] == "iis"


def test_an_indexed_construct_is_named_by_its_row_with_its_own_variables() -> None:
    r = optiform.loads("sets\n  I = 1..3\nvariables\n  x[I] in [0, 10]\n  y[I] in [0, 10]\n"
                       "constraints\n  gap[i in I]: abs(x[i] - y[i]) >= 5 * i\n").solve()
    c = r.solution.conflict
    assert c is not None and [row.label for row in c.rows] == ["gap[3]"]
    assert [b.label for b in c.bounds] == ["x[3]", "y[3]"]
    assert r.solution.message == "these constraints conflict: gap[3]"


PWL = """\
variables
  x in [-5, 10]
objective
  minimize o: pwl(x, [0, 5, 10], TABLE)
constraints
  c: x <= -1
"""


def test_an_objectives_construct_is_the_objective(tmp_path: Path) -> None:
    # [4, 1, 4] is convex: an epigraph, whose IIS from HiGHS was c, o#pwl_domain1 and
    # o#pwl_above2, called irreducible though c and the domain row already conflict;
    # [0, 3, 4] is neither: the incremental rows, o#pwl_tie1
    for table in ("[4, 1, 4]", "[0, 3, 4]"):
        text, conflict = _solved(tmp_path, PWL.replace("TABLE", table))
        assert "#" not in text and "#" not in json.dumps(conflict)
        assert [(r["row"], r["constraint"], r["line"]) for r in conflict["rows"]] == [
            ("c", "c", 6), ("o", "o", 4)]
        assert conflict["rows"][1]["written"] == f"objective: minimize pwl(x, [0, 5, 10], {table})"
        assert "c (line 6): <= -1; its upper bound must be raised by 1, to 0" in text
        assert conflict["proven"]


def test_an_implication_is_its_own_row_as_written() -> None:
    r = optiform.loads("sets\n  I = 1..2\nvariables\n  on[I] binary\n  y[I] in [0, 10]\n"
                       "constraints\n  must[i in I]: on[i] == 1\n"
                       "  link[i in I]: on[i] == 1 ==> y[i] >= 3\n"
                       "  cap: y[1] + y[2] <= 5\n").solve()
    c = r.solution.conflict
    assert c is not None and "#" not in c.describe()
    assert {row.label for row in c.rows} == {"must[1]", "must[2]", "link[1]", "link[2]", "cap"}
    assert "link[2] (line 8): on[i] == 1 ==> y[i] >= 3" in c.describe()


# ---- irreducible: drop any one and the rest can hold ------------------------------

# HiGHS's IIS is a, b and d, with x's upper bound; b and d alone already conflict
REDUCIBLE = """\
variables
  x real <= 5
constraints
  a: -x >= -1
  b: -3 * x == 7
  d: x >= 5
"""


def test_the_iis_is_made_irreducible(tmp_path: Path) -> None:
    text, conflict = _solved(tmp_path, REDUCIBLE)
    names = [r["row"] for r in conflict["rows"]]
    assert names == ["b", "d"] and conflict["bounds"] == [] and conflict["proven"]
    assert "irreducible conflict (drop any one constraint" in text
    # the conflict alone (no bound of x named) cannot hold; without any one of it, it can
    rows = {"b": "  b: -3 * x == 7", "d": "  d: x >= 5"}

    def status(*names: str) -> str:
        text = "variables\n  x\nconstraints\n" + "\n".join(rows[n] for n in names)
        return optiform.loads(text).solve().status

    assert status("b", "d") == "infeasible"
    assert status("b") == status("d") == "optimal"


def test_a_conflict_not_proven_irreducible_says_so() -> None:
    from optiform.conflict import Conflict, ConflictRow

    row = ConflictRow("b", "b", 7, 7, 0, None, 5)
    assert "irreducible conflict (drop" in Conflict("iis", (row,)).describe()
    shown = Conflict("iis", (row,), proven=False).describe()
    assert "irreducible conflict (drop" not in shown and "ran out of time" in shown


def test_a_semicontinuous_variables_zero_is_in_the_relaxation() -> None:
    # x = 0 satisfies c: the relaxation used to keep x in [2, 5] and blame c
    r = optiform.loads("variables\n  x semicontinuous in [2, 5]\n  k integer in [0, 10]\n"
                       "constraints\n  c: x <= 1\n  d: 2 * k == 1\n").solve()
    c = r.solution.conflict
    assert c is not None and c.method == "elastic" and c.relaxation_feasible
    assert [row.label for row in c.rows] == ["d"] and not c.bounds


def test_the_agents_feedback_quotes_an_objective_in_the_conflict() -> None:
    from optiform.agents.feedback import from_result

    text = PWL.replace("TABLE", "[4, 1, 4]")
    feedback = from_result(optiform.loads(text).solve(), text)
    assert feedback is not None and "#" not in feedback.text
    assert "   4 |   minimize o: pwl(x" in feedback.text and "   6 |   c: x <= -1" in feedback.text

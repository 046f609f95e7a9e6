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

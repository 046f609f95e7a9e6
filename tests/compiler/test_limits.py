"""Models too big for memory, and numbers a solver would choke on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.diagnostics import DiagnosticError

BIG = """\
sets
  I = 1..100000
  J = 1..100000
variables
  x[I, J] >= 0
objective
  minimize o: sum(i in I, j in J) x[i, j]
"""


def test_an_index_too_big_stops_before_allocating_and_names_where() -> None:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(BIG, file="big.opt").compile()
    d = info.value.diagnostics[0]
    assert "10,000,000,000 rows" in d.message
    assert "limit of 50,000,000" in d.message
    assert (d.span.line, d.span.column) == (5, 8)
    assert "--max-size" in (d.hint or "")


def test_max_size_is_configurable() -> None:
    text = "sets\n  I = 1..10\nvariables\n  x[I] >= 0\n"
    assert optiform.loads(text, max_size=10).compile().n_vars == 10
    with pytest.raises(DiagnosticError, match="10 rows, above the limit of 9"):
        optiform.loads(text, max_size=9).compile()


def test_a_dependent_range_counts_towards_the_limit() -> None:
    text = ("sets\n  T = 1..100\nvariables\n  x[T] >= 0\nconstraints\n"
            "  c[t in T]: sum(s in 1..t) x[s] >= 1\n")
    assert optiform.loads(text).compile().n_rows == 100
    with pytest.raises(DiagnosticError, match="5,050 rows"):
        optiform.loads(text, max_size=5000).compile()


def test_a_product_of_sums_counts_towards_the_limit() -> None:
    text = ("sets\n  I = 1..100\nvariables\n  x[I] in [0, 1]\n"
            "objective\n  minimize o: (sum(i in I) x[i]) * (sum(i in I) x[i])\n")
    with pytest.raises(DiagnosticError, match="10,000 rows") as info:
        optiform.loads(text, max_size=9999).compile()
    assert info.value.diagnostics[0].span.line == 6


def test_cli_max_size_option(tmp_path: Path) -> None:
    path = tmp_path / "big.opt"
    path.write_text(BIG)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:5:8" in result.stderr
    small = tmp_path / "small.opt"
    small.write_text("sets\n  I = 1..5\nvariables\n  x[I] >= 0\n")
    assert CliRunner().invoke(app, ["check", str(small), "--max-size", "4"]).exit_code == 1
    assert CliRunner().invoke(app, ["check", str(small), "--max-size", "5"]).exit_code == 0


def test_an_infinite_coefficient_names_the_variable_and_row() -> None:
    text = ("sets\n  I = 1..3\nparameters\n  a[I] = [1, 0, 2]\nvariables\n  x[I] >= 0\n"
            "constraints\n  c[i in I]: x[i] / a[i] >= 1\n")
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    d = info.value.diagnostics[0]
    assert "coefficient of x[2] in c[2] is inf" in d.message
    assert d.span.line == 8


def test_a_nan_coefficient_from_data_is_an_error() -> None:
    text = ("sets\n  I\nparameters\n  a[I]\nvariables\n  x[I] >= 0\n"
            "objective\n  minimize o: sum(i in I) a[i] * x[i]\n")
    data = {"I": [1, 2], "a": np.array([1.0, np.nan])}
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, data=data).compile()
    messages = [d.message for d in info.value.diagnostics]
    assert any("coefficient of x[2] in o is nan" in m for m in messages), messages


def test_a_nan_parameter_that_no_row_uses_is_a_warning() -> None:
    text = ("sets\n  I\nparameters\n  a[I]\nvariables\n  x[I] >= 0\n"
            "objective\n  minimize o: sum(i in I) x[i]\n")
    problem = optiform.loads(text, data={"I": [1, 2], "a": [1.0, float("nan")]}).compile()
    assert [w.severity for w in problem.warnings] == ["warning"]
    assert "`a` is NaN at a[2]" in problem.warnings[0].message


def test_a_huge_coefficient_range_is_a_warning_naming_both_ends(tmp_path: Path) -> None:
    text = ("sets\n  I = 1..3\nparameters\n  b[I] = [1e-6, 1, 1e6]\nvariables\n"
            "  x[I] >= 0\nobjective\n  minimize o: sum(i in I) x[i]\n"
            "constraints\n  d: sum(i in I) b[i] * 1e5 * x[i] >= 1\n")
    problem = optiform.loads(text).compile()
    (w,) = problem.warnings
    assert "range over 1.0e+12" in w.message
    assert "x[3] in d" in w.message and "x[1] in d" in w.message
    path = tmp_path / "scaled.opt"
    path.write_text(text)
    result = CliRunner().invoke(app, ["solve", str(path), "--json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["warnings"][0]["kind"] == "data"
    assert "range over" in payload["warnings"][0]["message"]
    assert "warning: coefficients of `d`" in CliRunner().invoke(
        app, ["solve", str(path)]).stderr

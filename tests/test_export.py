"""`optiform export`: the grounded model as .lp, .mps (HiGHS) or .nl (Pyomo).

Each file is read back by a solver that never saw optiform's model, HiGHS
for .lp and .mps and SCIP's AMPL reader for .nl, and solved to the example's
expected optimum.
"""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pytest
from typer.testing import CliRunner

import optiform
from optiform import BackendError
from optiform.api import export
from optiform.backends import write
from optiform.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _expected(stem: str) -> float:
    return float(json.loads((EXAMPLES / f"{stem}.expected.json").read_text())["objective"])


def _highs_optimum(path: Path) -> tuple[float, highspy.Highs]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"
    return h.getInfo().objective_function_value, h


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
@pytest.mark.parametrize("stem", ["facility_location", "blending", "portfolio", "diet"])
def test_lp_and_mps_files_solve_to_the_expected_optimum(tmp_path: Path, stem: str,
                                                       suffix: str) -> None:
    path = export(EXAMPLES / f"{stem}.opt", tmp_path / f"{stem}{suffix}")
    value, _ = _highs_optimum(path)
    assert value == pytest.approx(_expected(stem), rel=1e-6)


def test_lp_file_keeps_names_sense_and_integrality(tmp_path: Path) -> None:
    text = export(EXAMPLES / "facility_location.opt", tmp_path / "f.lp").read_text()
    assert text.split("\n")[1].strip() == "min"
    assert "serve(1): +1 ship(north,1) +1 ship(south,1) +1 ship(east,1) = +10" in text
    assert "bin\n open(north)" in text
    maximize = export(EXAMPLES / "blending.opt", tmp_path / "b.lp").read_text()
    assert maximize.split("\n")[1].strip() == "max"


def test_data_files_are_grounded_before_writing(tmp_path: Path) -> None:
    path = export(EXAMPLES / "transport_data.opt", tmp_path / "t.mps",
                  EXAMPLES / "transport_data.data.json")
    value, _ = _highs_optimum(path)
    assert value == pytest.approx(_expected("transport_data"), rel=1e-9)


@pytest.mark.parametrize("stem", ["haverly", "hs071", "process_synthesis", "knapsack"])
def test_nl_files_solve_to_the_expected_optimum_in_scip(tmp_path: Path, stem: str) -> None:
    import pyscipopt
    path = export(EXAMPLES / f"{stem}.opt", tmp_path / f"{stem}.nl")
    names = (tmp_path / f"{stem}.col").read_text().split()
    problem = optiform.load(EXAMPLES / f"{stem}.opt").compile()
    assert sorted(names) == sorted(problem.column_name(j).replace(", ", ",")
                                   for j in range(problem.n_vars))
    scip = pyscipopt.Model()
    scip.hideOutput()
    scip.readProblem(str(path))
    scip.optimize()
    assert scip.getStatus() == "optimal"
    assert scip.getObjVal() == pytest.approx(_expected(stem), rel=1e-6)


def test_nonlinear_models_cannot_be_written_as_lp(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=r"\.nl"):
        export(EXAMPLES / "hs071.opt", tmp_path / "h.lp")
    with pytest.raises(BackendError, match=r"\.lp, \.mps, \.nl"):
        export(EXAMPLES / "diet.opt", tmp_path / "d.gms")


def test_cli_export(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "k.mps"
    result = runner.invoke(app, ["export", str(EXAMPLES / "knapsack.opt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _highs_optimum(out)[0] == pytest.approx(_expected("knapsack"))
    refused = runner.invoke(app, ["export", str(EXAMPLES / "hs071.opt"), "-o",
                                  str(tmp_path / "h.lp")])
    assert refused.exit_code == 5 and ".nl" in refused.output


TYPED = """\
model tiny "typed decimals"
variables
  x >= 0
  y in [0, 2.3]
objective
  maximize p: 43 * x + 52 * y + 0.1 * 3 * x
constraints
  stain: 1.4 * x + 1.1 * y <= 17
  oak: 2 * x + 3 * y <= 11
"""


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_numbers_are_written_as_typed_and_read_back_exactly(tmp_path: Path,
                                                            suffix: str) -> None:
    path = tmp_path / f"tiny{suffix}"
    write(optiform.loads(TYPED, file="tiny.opt").compile(), path)
    text = path.read_text()
    assert "1.4 " in text.replace("\n", " ") and "43.3 " in text.replace("\n", " ")
    assert "2.3" in text and "9999" not in text and "0000000" not in text
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left
    _, h = _highs_optimum(path)
    lp = h.getLp()
    # the shortest form reads back as the very same doubles
    assert sorted(lp.a_matrix_.value_) == sorted([1.4, 1.1, 2.0, 3.0])
    assert sorted(abs(c) for c in lp.col_cost_) == [43 + 0.1 * 3, 52.0]
    assert lp.col_upper_[1] == 2.3


def test_the_mps_name_is_the_models(tmp_path: Path) -> None:
    path = tmp_path / "tiny.mps"
    write(optiform.loads(TYPED, file="tiny.opt").compile(), path)
    assert path.read_text().splitlines()[0].split() == ["NAME", "tiny"]

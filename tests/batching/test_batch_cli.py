"""`optiform batch` on the command line: the engine line, the table, exit codes, Ctrl-C."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from batch_scenarios import Scenarios
from typer.testing import CliRunner

from optiform.cli import app
from optiform.testing import MULTI_KNAPSACK

# A multi-dimensional knapsack HiGHS cannot close in a second: with --time-limit 1
# each scenario takes a second and ends `feasible`.
HARD = MULTI_KNAPSACK


def test_the_table_goes_to_the_output_and_the_engine_is_named(transport: Scenarios,
                                                              tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    args = ["batch", str(transport.model), *map(str, transport.datas), str(transport.broken),
            "--grid", "lane_cap=60,75", "--workers", "2", "-o", str(output)]
    result = CliRunner().invoke(app, args)
    assert "engine: processes (2)" in result.output
    assert "8 of 8 scenarios done" in result.output
    assert result.exit_code == 5, result.output  # the broken file has no solution
    with output.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8
    assert sum(r["status"] == "error" for r in rows) == 2
    again = CliRunner().invoke(app, args)
    assert "8 of 8 scenarios already in" in again.output
    assert len(output.read_text().splitlines()) == 9


def test_without_an_output_the_table_is_printed_as_csv(transport: Scenarios) -> None:
    result = CliRunner().invoke(app, ["batch", str(transport.model), str(transport.datas[0]),
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.count(",") > 5]
    assert lines[0].startswith("scenario,data,status,objective,objective.total_cost")
    assert ",optimal," in lines[1]


def test_usage_errors(transport: Scenarios, tmp_path: Path) -> None:
    run = CliRunner().invoke
    model = str(transport.model)
    assert run(app, ["batch", model]).exit_code == 2  # nothing to run
    assert run(app, ["batch", model, "--grid", "lane_cap"]).exit_code == 2
    assert run(app, ["batch", model, "--grid", "x=1", "--address", "auto"]).exit_code == 2
    bad = run(app, ["batch", model, "--grid", "lane_cap=1", "-o", str(tmp_path / "t.txt")])
    assert bad.exit_code == 2 and "write a .csv or a .parquet file" in bad.output


def test_a_model_wrong_whatever_the_data_exits_1_before_it_runs(transport: Scenarios,
                                                                tmp_path: Path) -> None:
    bad = tmp_path / "bad.opt"
    bad.write_text("variables\n  x >= 0\nobjective\n  minimize o: y\n")
    output = tmp_path / "t.csv"
    data = [str(d) for d in transport.datas[:2]]
    result = CliRunner().invoke(app, ["batch", str(bad), *data, "-o", str(output)])
    assert result.exit_code == 1, result.output
    assert f"{bad}:4:15: error: unknown name `y`" in result.output
    assert "   4 |   minimize o: y" in result.output  # the line, with its caret below
    assert "engine:" not in result.output  # nothing ran
    assert not output.exists()


@pytest.mark.parametrize(("option", "message"), [
    ("lane_cap=60,75,60", "--grid lane_cap: 60 is given twice"),
    ("lane_cap=60,ten", "--grid lane_cap: `ten` is not a number"),
    ("lane_capp=1", "did you mean `lane_cap`?"),
])
def test_a_grid_that_does_not_fit_the_model_exits_1(transport: Scenarios, tmp_path: Path,
                                                     option: str, message: str) -> None:
    output, values = tmp_path / "t.csv", tmp_path / "values"
    result = CliRunner().invoke(app, ["batch", str(transport.model), "--grid", option,
                                      "-o", str(output), "--values", str(values)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: --grid")  # no blank line before it
    assert message in result.output
    assert not output.exists() and not values.exists()


def test_a_data_file_given_twice_exits_1(transport: Scenarios, tmp_path: Path) -> None:
    data = str(transport.datas[0])
    output = tmp_path / "t.csv"
    result = CliRunner().invoke(app, ["batch", str(transport.model), data, data,
                                      "-o", str(output)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: data file `{data}` is given twice")
    assert not output.exists()


def test_a_table_or_values_that_cannot_be_written_exit_7(transport: Scenarios,
                                                         tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    args = ["batch", str(transport.model), str(transport.datas[0]), "--workers", "1"]
    table = CliRunner().invoke(app, [*args, "-o", str(blocker / "t.csv")])
    assert table.exit_code == 7, table.output
    assert f"error: cannot write `{blocker / 't.csv'}`: `{blocker}`: File exists" \
        in table.output
    values = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "t.csv"),
                                      "--values", str(blocker / "values")])
    assert values.exit_code == 7, values.output
    assert f"error: cannot write `{blocker / 'values'}" in values.output
    assert "Traceback" not in table.output + values.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_output_exits_7(transport: Scenarios) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "optiform", "batch", str(transport.model),
                               str(transport.datas[0]), "--workers", "1"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 7, done.stderr
    assert "error: cannot write to standard output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_ray_the_install_line_is_printed(transport: Scenarios) -> None:
    # A fresh interpreter in which `import ray` fails, as where it is not installed.
    code = ("import sys; sys.modules['ray'] = None; from optiform.cli import app; "
            "app(['batch', sys.argv[1], '--grid', 'lane_cap=1', '--ray'])")
    done = subprocess.run([sys.executable, "-c", code, str(transport.model)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 5, done.stderr
    assert "pip install 'optiform[ray]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_ray_address_where_nothing_answers_is_an_error_at_once(
        transport: Scenarios) -> None:
    pytest.importorskip("ray")
    result = CliRunner().invoke(app, ["batch", str(transport.model), "--grid", "lane_cap=1",
                                      "--ray", "--address", "127.0.0.1:1"])
    assert result.exit_code == 5, result.output
    assert "no Ray cluster answers at 127.0.0.1:1" in result.output
    assert "scenario,data" not in result.output  # no table was begun


def _hard(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    n, m = 400, 30
    data = {"I": list(range(1, n + 1)), "K": list(range(1, m + 1)),
            "value": {str(i + 1): int(v) for i, v in enumerate(rng.integers(10, 100, n))},
            "w": {str(k + 1): {str(i + 1): int(x) for i, x in enumerate(rng.integers(10, 100, n))}
                  for k in range(m)}}
    (tmp_path / "mkp.json").write_text(json.dumps(data))
    (tmp_path / "mkp.opt").write_text(HARD)
    return tmp_path / "mkp.json"


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open() as f:
        return list(csv.DictReader(f))


def interrupt_and_resume(tmp_path: Path, *engine: str) -> None:
    """Ctrl-C a real `optiform batch` once two rows are written; then run it again."""
    _hard(tmp_path)
    caps = ",".join(str(c) for c in range(1000, 1012))
    command = [sys.executable, "-m", "optiform", "batch", "mkp.opt", "mkp.json", "--grid",
               f"cap={caps}", "--time-limit", "1", "--workers", "2", "-o", "out.csv", *engine]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while len(_rows(tmp_path / "out.csv")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted: the finished rows are in out.csv" in err
    assert "Traceback" not in err
    kept = _rows(tmp_path / "out.csv")
    assert 2 <= len(kept) < 12
    # every row whole, none cut short by the Ctrl-C (on a loaded machine a second may
    # pass before HiGHS holds a point: `time_limit`, no point, is a finished row too)
    assert all(r["status"] in ("feasible", "time_limit") and r["error"] is not None
               for r in kept), kept
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 5), done.stderr  # 5: a time_limit row has no point
    assert f"{len(kept)} of 12 scenarios already in out.csv" in done.stderr
    rows = _rows(tmp_path / "out.csv")
    assert rows[:len(kept)] == kept
    assert sorted(int(r["cap"]) for r in rows) == list(range(1000, 1012))


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_rows_and_a_rerun_resumes(tmp_path: Path) -> None:
    interrupt_and_resume(tmp_path)

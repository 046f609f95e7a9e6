"""`optiform ask`: what a user sees, exit codes, and `--json` in `solve --json`'s shape."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from replies import CREW, CREW_QUESTION, GOOD, INFEASIBLE, QUESTION, UNNAMED, fenced
from scripted_server import Serve
from typer.testing import CliRunner, Result

from optiform.cli import app

runner = CliRunner()


def ask(server_url: str, tmp_path: Path, *extra: str, question: str = QUESTION,
        stdin: str | None = None) -> Result:
    return runner.invoke(app, ["ask", question, "--model", "m", "--base-url", server_url,
                               "--runs-dir", str(tmp_path / "runs"), *extra], input=stdin)


def test_ask_json_has_the_solve_shape_plus_the_agent(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(UNNAMED), fenced(GOOD)])
    result = ask(server.base_url, tmp_path, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)

    model_file = tmp_path / "workshop.opt"
    model_file.write_text(GOOD)
    solved = json.loads(runner.invoke(app, ["solve", str(model_file), "--json"]).stdout)
    assert set(solved) <= set(payload)
    assert payload["status"] == "optimal" and payload["objective"] == 60.0
    assert payload["check"]["feasible"] is True
    assert payload["repairs"] == 1 and payload["model_text"] == GOOD
    assert [a["outcome"] for a in payload["attempts"]] == ["syntax", "verified"]
    assert "every constraint needs a name" in payload["attempts"][0]["feedback"]
    run_dir = Path(payload["run_dir"])
    assert (run_dir / "model.opt").read_text() == GOOD
    assert f"run folder: {run_dir}" in result.stderr
    assert "1. draft: syntax - model.opt:16:10: error: unexpected `2`" in result.stderr


def test_ask_prints_model_solution_and_verdict(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(GOOD)])
    result = ask(server.base_url, tmp_path, question="-", stdin=QUESTION)
    assert result.exit_code == 0, result.output
    assert "maximize profit: profit_chair * chairs" in result.stdout
    assert "objective profit" in result.stdout and "60" in result.stdout
    assert "check" in result.stdout and "feasible" in result.stdout
    assert "verified after 0 repair(s)" in result.stdout
    assert QUESTION in server.requests[0]["messages"][1]["content"]


@pytest.mark.parametrize(("replies", "code", "outcome"), [
    ([UNNAMED, UNNAMED], 1, "syntax"),
    ([INFEASIBLE, INFEASIBLE.replace("30", "31")], 3, "infeasible")])  # changed, still wrong
def test_ask_that_never_verifies(serve: Serve, tmp_path: Path, replies: list[str], code: int,
                                 outcome: str) -> None:
    server = serve([fenced(r) for r in replies])
    result = ask(server.base_url, tmp_path, "--max-repairs", "1", "--json")
    assert result.exit_code == code, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "failed"
    assert [a["outcome"] for a in payload["attempts"]] == [outcome, outcome]
    assert "no verified model after 2 attempt(s)" in result.stderr
    assert "Traceback" not in result.output


def test_ask_ends_infeasible_when_the_model_is_resubmitted_unchanged(serve: Serve,
                                                                    tmp_path: Path) -> None:
    server = serve([fenced(CREW)] * 4)
    result = ask(server.base_url, tmp_path, "--json", question=CREW_QUESTION)
    assert result.exit_code == 3, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "infeasible" and payload["objective"] is None
    assert payload["conflict"]["method"] == "elastic"
    assert [r["row"] for r in payload["conflict"]["rows"]] == ["exact"]
    assert payload["conflict"]["rows"][0]["give"] == 20
    assert payload["assumptions"] == ["every mover lifts exactly 40 kg, no more and no less"]
    assert [a["outcome"] for a in payload["attempts"]] == ["infeasible", "infeasible"]
    assert (Path(payload["run_dir"]) / "model.opt").read_text() == CREW

    shown = ask(server.base_url, tmp_path, question=CREW_QUESTION)
    assert shown.exit_code == 3, shown.output
    assert "infeasible as stated: the model was kept unchanged" in shown.stdout
    assert re.search(r"status\s+infeasible", shown.stdout)
    assert "exact (line 13): == 100; it must move by 20" in shown.stdout
    assert "assumptions (not given by the question):" in shown.stdout
    assert "  - every mover lifts exactly 40 kg" in shown.stdout


def test_ask_without_an_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["ask", QUESTION, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no LLM endpoint" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path).joinpath("runs").exists()


def test_ask_with_the_endpoint_down(tmp_path: Path) -> None:
    result = ask("http://127.0.0.1:9/v1", tmp_path, "--timeout", "2")
    assert result.exit_code == 5
    assert "cannot reach" in result.stderr and "Traceback" not in result.output
    # --json: one object on stdout all the same (it was empty), naming the run folder
    result = ask("http://127.0.0.1:9/v1", tmp_path, "--timeout", "2", "--json")
    assert result.exit_code == 5
    payload = json.loads(result.stdout)
    assert payload["status"] == "error" and "cannot reach" in payload["errors"][0]["message"]
    assert (Path(payload["run_dir"]) / "events.jsonl").is_file()


def test_ask_shows_the_verdict_then_what_solve_shows_and_the_assumptions(
        serve: Serve, tmp_path: Path) -> None:
    model = "# assume: a chair and a table sell at the same price all year\n" + GOOD
    server = serve([fenced(model)])
    result = ask(server.base_url, tmp_path)
    assert result.exit_code == 0, result.output
    shown = result.stdout
    verdict = shown.index("verified after 0 repair(s)")
    table = shown.index("solution")
    assert shown.index("maximize profit") < verdict < shown.index("objective profit") < table
    assert re.search(r"│ chairs\s+│\s+│\s+20 │", shown)  # the nonzero values, as solve shows
    assert "│ tables" not in shown and "(1 zero or further values not shown" in shown
    assert shown.index("assumptions (not given by the question):") > table
    assert "  - a chair and a table sell at the same price all year" in shown

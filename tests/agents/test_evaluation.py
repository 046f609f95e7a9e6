"""The evaluation harness on real benchmark problems, against the scripted endpoint.

The benchmark files live outside the repository (`../shared/benchmarks`) and
are read at run time only; without them these tests are skipped. The
scripted endpoint answers by the question it is asked, so concurrent
problems cannot take each other's replies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from replies import fenced
from scripted_server import Serve, connect
from typer.testing import CliRunner

from optiform.agents.evaluation import (
    Gold,
    is_correct,
    load_dataset,
    parse_gold,
    read_output,
    run_eval,
)
from optiform.agents.loop import Agent, AgentOptions
from optiform.cli import app

BENCHMARKS = Path(__file__).resolve().parents[3] / "shared" / "benchmarks"
NL4OPT = BENCHMARKS / "nl4opt" / "sirl" / "NL4OPT.jsonl"

# The benchmarks are read from ../shared at run time (never copied into the project);
# every checkout of this project, CI's included, has them beside it.

# NL4OPT problems 7, 8, 11 and 16 (0-based), answered by the script below.
ELM = """\
variables
  chairs   integer >= 0
  dressers integer >= 0
objective
  maximize profit: 43 * chairs + 52 * dressers
constraints
  stain: 1.4 * chairs + 1.1 * dressers <= 17
  oak:   2 * chairs + 3 * dressers <= 11
"""
SCOOTERS = """\
variables
  scooters >= 0
  bikes    >= 0
objective
  maximize profit: 200 * scooters + 300 * bikes
constraints
  design:      2 * scooters + 4 * bikes <= 5000
  engineering: 3 * scooters + 5 * bikes <= 6000
"""
BANQUET_WRONG = """\
variables
  bikes integer >= 0
  cars  integer >= 0
objective
  minimize bikes_used: bikes
constraints
  people: 3 * bikes + 5 * cars >= 500
"""
POOL = """\
variables
  chlorine >= 0
  softener >= 0
objective
  minimize time: chlorine + 2 * softener
constraints
  eyes:         chlorine <= 0.5 * softener
  min_chlorine: chlorine >= 200
  total:        chlorine + softener == 500
"""
# first words of each question -> the replies by round (the last one repeats)
SCRIPT = {
    "A chair produced by Elm Furniture": [ELM],
    "A company sells custom scooters": [SCOOTERS.replace("design:", "design"), SCOOTERS],
    "A village hosts a banquet": [BANQUET_WRONG],
    "Both chorine and water softener": [POOL],
}


def by_question(body: dict[str, Any]) -> str:
    question = body["messages"][1]["content"]
    rounds = sum(m["role"] == "assistant" for m in body["messages"])
    for start, replies in SCRIPT.items():
        if start in question:
            return fenced(replies[min(rounds, len(replies) - 1)])
    raise AssertionError(f"unscripted question: {question[:80]}")


@pytest.fixture
def subset(tmp_path: Path) -> Path:
    """Four NL4OPT records, copied unchanged into a temporary JSON Lines file."""
    lines = NL4OPT.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "nl4opt_four.jsonl"
    path.write_text("\n".join(lines[i] for i in (7, 8, 11, 16)) + "\n", encoding="utf-8")
    return path


def test_fields_and_sentinels_are_detected_in_each_format() -> None:
    cases = {
        NL4OPT: ("en_question", "en_answer"),
        BENCHMARKS / "nl4opt" / "llmopt" / "nl4opt_test.jsonl": ("question", "answer"),
        BENCHMARKS / "mamo_easylp" / "freedomintelligence" / "mamo_easy_lp.jsonl":
            ("Question", "Answer"),
        BENCHMARKS / "optibench" / "resocratic" / "OptiBench.json": ("question", "results"),
        BENCHMARKS / "industryor" / "sirl" / "IndustryOR_fixedV2.json":
            ("en_question", "en_answer"),  # .json, but JSON Lines
    }
    for path, fields in cases.items():
        ds = load_dataset(path)
        assert (ds.question_field, ds.answer_field) == fields
        assert all(i.question and i.gold.scorable for i in ds.items)
    nl4opt = load_dataset(NL4OPT)
    assert sum(i.gold.infeasible for i in nl4opt.items) == 17  # "No Best Solution"
    assert nl4opt.items[0].gold == Gold(1160.0)
    resocratic = load_dataset(BENCHMARKS / "nl4opt" / "resocratic" / "NL4OPT-E.json")
    assert resocratic.items[0].gold == Gold(3000.0)  # "Maximized number of fish transported"


def test_gold_parsing_and_scoring() -> None:
    assert parse_gold("No Best Solution").infeasible
    assert parse_gold(-99999).infeasible and parse_gold("-9999").infeasible
    assert parse_gold(" 172666.667") == Gold(172666.667)
    assert parse_gold("1,250") == Gold(1250.0)
    assert parse_gold({"x": "1.0", "Total cost": "42.5"}) == Gold(42.5)
    assert parse_gold("n/a") == Gold(None)
    assert is_correct(Gold(1000.0), 1000.09, "optimal")
    assert not is_correct(Gold(1000.0), 1000.2, "optimal")
    assert is_correct(Gold(1000.0), 1000.2, "optimal", tolerance=1e-3)
    assert is_correct(Gold(0.0), 5e-5, "optimal") and not is_correct(Gold(0.0), 1e-3, "optimal")
    assert is_correct(Gold(None, infeasible=True), None, "failed: infeasible")
    assert not is_correct(Gold(None, infeasible=True), None, "failed: syntax")


def test_eval_scores_and_resumes(serve: Serve, subset: Path, tmp_path: Path) -> None:
    server = serve(by_question)
    agent = Agent(connect(server), AgentOptions(max_repairs=1))
    output = tmp_path / "out.jsonl"
    summary = run_eval(load_dataset(subset), agent, output, tmp_path / "runs", concurrency=3)

    rows = {r.id: r for r in read_output(output).values()}
    assert set(rows) == {"1", "2", "3", "4"}  # record numbers: this file has no ids
    elm, scooters, banquet, pool = (rows[k] for k in "1234")
    assert elm.correct and elm.objective == 224.0 and elm.repairs == 0
    assert scooters.correct and scooters.objective == 400000.0 and scooters.repairs == 1
    assert not banquet.correct and banquet.objective == 0.0 and banquet.gold == 80.0
    # the same infeasible model twice: infeasible as stated, scored against the gold
    assert pool.correct and pool.status == "infeasible" and pool.gold == "infeasible"
    assert pool.executed and pool.repairs == 1 and pool.objective is None
    assert (summary.problems, summary.done, summary.correct, summary.executed) == (4, 4, 3, 4)
    assert summary.accuracy == 0.75 and summary.execution_rate == 1.0
    assert summary.mean_repairs == 0.5
    assert summary.assumed == 0 and all(r.assumptions == 0 for r in rows.values())
    for row in rows.values():
        assert Path(row.run_dir).is_dir() and (Path(row.run_dir) / "question.txt").exists()

    # the gold answers never reached the model
    sent = json.dumps(server.requests)
    for gold in ("No Best Solution", "224", "400000", "1160"):
        assert gold not in sent

    # resuming: nothing is asked again; a line cut short by a crash is redone
    asked = len(server.requests)
    again = run_eval(load_dataset(subset), agent, output, tmp_path / "runs")
    assert len(server.requests) == asked and again.correct == 3
    lines = output.read_text().splitlines()
    output.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    redone = run_eval(load_dataset(subset), agent, output, tmp_path / "runs")
    assert len(server.requests) > asked and redone.done == 4 and redone.correct == 3


def test_eval_command(serve: Serve, subset: Path, tmp_path: Path) -> None:
    server = serve(by_question)
    result = CliRunner().invoke(app, [
        "eval", str(subset), "--model", "m", "--base-url", server.base_url, "--api-key", "k",
        "--max-repairs", "1", "--limit", "2", "--runs-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)
    assert summary["problems"] == 2 and summary["correct"] == 2 and summary["accuracy"] == 1.0
    assert Path(summary["output"]) == tmp_path / "eval" / "nl4opt_four.m.jsonl"
    assert len(Path(summary["output"]).read_text().splitlines()) == 2

    table = CliRunner().invoke(app, [
        "eval", str(subset), "--model", "m", "--base-url", server.base_url,
        "--max-repairs", "1", "--runs-dir", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "75.0% (3/4)" in table.stdout and "100.0% (4/4)" in table.stdout

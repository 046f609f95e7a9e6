"""The evaluation harness against the scripted endpoint.

The harness runs on benchmark files this module writes itself, in each
format the real ones use, so a clone with nothing beside it tests it whole.
The real benchmark files live outside the repository (`../shared/benchmarks`)
and are read at run time only; the tests on them are skipped with a reason
where they are absent. The scripted endpoint answers by the question it is
asked, so concurrent problems cannot take each other's replies.
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

# `shared/benchmarks` beside the checkout, or beside a folder above it (a git worktree's).
BENCHMARKS = next((d / "shared" / "benchmarks" for d in Path(__file__).resolve().parents[3:]
                   if (d / "shared" / "benchmarks").is_dir()),
                  Path(__file__).resolve().parents[3] / "shared" / "benchmarks")
NL4OPT = BENCHMARKS / "nl4opt" / "sirl" / "NL4OPT.jsonl"

needs_benchmarks = pytest.mark.skipif(
    not NL4OPT.is_file(), reason=f"the shared benchmark files are not at {BENCHMARKS}")

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


# The four problems in NL4OPT's own shape: the opening of each question, its gold answer.
OWN = [
    ("A chair produced by Elm Furniture yields a profit of $43 ...", "224.0"),
    ("A company sells custom scooters and bikes ...", "400000.0"),
    ("A village hosts a banquet and provides bike and car transportation ...", "80.0"),
    ("Both chorine and water softener need to be added to a pool ...", "No Best Solution"),
]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def subset(tmp_path: Path) -> Path:
    """The four problems as a JSON Lines file of NL4OPT's fields, written here."""
    return write_jsonl(tmp_path / "nl4opt_four.jsonl",
                       [{"en_question": q, "en_answer": a} for q, a in OWN])


@pytest.fixture
def real_subset(tmp_path: Path) -> Path:
    """Four NL4OPT records, copied unchanged into a temporary JSON Lines file."""
    lines = NL4OPT.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "nl4opt_four.jsonl"
    path.write_text("\n".join(lines[i] for i in (7, 8, 11, 16)) + "\n", encoding="utf-8")
    return path


def test_fields_ids_and_sentinels_in_files_written_here(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "a.jsonl", [{"question": "q1", "answer": "1,250"},
                                               {"question": "q2", "answer": -99999}])
    array = tmp_path / "b.json"
    array.write_text(json.dumps([{"index": 5, "Question": "q", "Answer": 3000},
                                 {"index": 6, "Question": "r", "Answer": "No Best Solution"}]))
    lines_in_json = write_jsonl(tmp_path / "c.json", [{"en_question": "q", "en_answer": "7"}])
    results = tmp_path / "d.json"
    results.write_text(json.dumps([{"question": "q", "results": {"x": "1", "cost": "42.5"}}]))
    a, b, c, d = (load_dataset(p) for p in (jsonl, array, lines_in_json, results))
    assert (a.question_field, a.answer_field) == ("question", "answer")
    assert [i.gold for i in a.items] == [Gold(1250.0), Gold(None, infeasible=True)]
    assert (b.question_field, b.answer_field) == ("Question", "Answer")
    assert [i.id for i in b.items] == ["5", "6"] and b.items[1].gold.infeasible
    assert (c.question_field, c.answer_field) == ("en_question", "en_answer")
    assert c.items[0].gold == Gold(7.0)
    assert d.answer_field == "results" and d.items[0].gold == Gold(42.5)


@needs_benchmarks
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


@needs_benchmarks
def test_eval_on_the_real_nl4opt_records(serve: Serve, real_subset: Path, tmp_path: Path) -> None:
    server = serve(by_question)
    agent = Agent(connect(server), AgentOptions(max_repairs=1))
    summary = run_eval(load_dataset(real_subset), agent, tmp_path / "out.jsonl",
                       tmp_path / "runs", concurrency=2)
    assert (summary.problems, summary.done, summary.correct) == (4, 4, 3)

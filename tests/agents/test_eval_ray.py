"""`optiform eval --ray`: the same scores as with threads, each problem a task on a
real local Ray of two CPUs, the agent rebuilt in the workers from its recipe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripted_server import Serve
from test_evaluation import by_question
from typer.testing import CliRunner

from optiform.agents.evaluation import read_output
from optiform.cli import app
from optiform.testing import local_ray

pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def one_local_ray() -> Iterator[None]:
    with local_ray(cpus=2):
        yield


def test_eval_on_ray_scores_as_with_threads(serve: Serve, tmp_path: Path) -> None:
    # Three problems the scripted endpoint answers (the third one wrongly).
    subset = tmp_path / "three.jsonl"
    subset.write_text("\n".join(json.dumps(r) for r in [
        {"question": "A chair produced by Elm Furniture yields a profit of $43.", "answer": 224},
        {"question": "A company sells custom scooters and bikes.", "answer": "400000"},
        {"question": "A village hosts a banquet.", "answer": 80}]) + "\n")
    server = serve(by_question)
    output = tmp_path / "out.jsonl"
    args = ["eval", str(subset), "--model", "m", "--base-url", server.base_url,
            "--max-repairs", "1", "--runs-dir", str(tmp_path / "runs"), "--output",
            str(output), "--ray", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "engine: ray (local, 2 CPUs)" in result.stderr
    (summary,) = json.loads(result.stdout)
    assert (summary["problems"], summary["done"], summary["correct"]) == (3, 3, 2)
    rows = read_output(output)
    assert rows["2"].objective == 400000.0 and rows["2"].repairs == 1
    assert all(Path(r.run_dir).is_dir() for r in rows.values())
    asked = len(server.requests)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and len(server.requests) == asked  # resumed: nothing asked

"""`ask` and `eval` at the input/output edge (issue 14): their files and options.

A dataset or a resume file that is not UTF-8 or has odd shapes, a --runs-dir
that is a file, binary text on standard input, a tolerance that is negative or
NaN, and an evaluation whose every request failed: each is a clear error with
its exit code, never a traceback or a silent success.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from scripted_server import Serve, Status
from typer.testing import CliRunner

from optiform.agents.evaluation import DatasetError, load_dataset, parse_gold, read_output
from optiform.cli import app

runner = CliRunner()
NOWHERE = ["--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "k"]


def _said(output: str) -> str:
    """What a usage error says, out of its box and unwrapped."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


def _dataset(tmp_path: Path) -> Path:
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps({"question": f"Problem {n}: maximise x, x <= {n}.",
                                        "answer": n}) + "\n" for n in (1, 2)),
                    encoding="utf-8")
    return path


def test_eval_whose_every_request_failed_exits_5(serve: Serve, tmp_path: Path) -> None:
    # was: exit 0 with nothing recorded
    server = serve(lambda body: Status(400))
    result = runner.invoke(app, ["eval", str(_dataset(tmp_path)), "--model", "m",
                                 "--base-url", server.base_url, "--api-key", "k",
                                 "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 5, result.output
    assert "2 problem(s) hit endpoint errors and were not recorded" in result.output


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_eval_refuses_a_tolerance_that_is_not_a_number_at_least_0(tmp_path: Path,
                                                                    value: str) -> None:
    # was: accepted, every answer then scored against it
    result = runner.invoke(app, ["eval", str(_dataset(tmp_path)), *NOWHERE,
                                 "--tolerance", value, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "Invalid value for --tolerance" in result.output


@pytest.mark.parametrize("command", ["ask", "eval"])
def test_a_runs_dir_that_is_a_file(tmp_path: Path, command: str) -> None:
    # was: a FileExistsError (NotADirectoryError) traceback
    runs = tmp_path / "runs"
    runs.write_text("a file", encoding="utf-8")
    first = "a question" if command == "ask" else str(_dataset(tmp_path))
    result = runner.invoke(app, [command, first, *NOWHERE, "--runs-dir", str(runs)])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for --runs-dir: `{runs}` is a file, not a folder" in _said(
        result.output)
    below = runner.invoke(app, [command, first, *NOWHERE, "--runs-dir", str(runs / "x")])
    assert below.exit_code == 2 and "Invalid value for --runs-dir" in below.output


def test_ask_with_binary_standard_input(tmp_path: Path) -> None:
    # was: a UnicodeDecodeError traceback
    result = runner.invoke(app, ["ask", "-", *NOWHERE, "--runs-dir", str(tmp_path)],
                           input=b"\xff\xfe\x00binary")
    assert result.exit_code == 2, result.output
    assert "standard input is not UTF-8 text: byte 0xff at offset 0" in _said(result.output)


def test_a_dataset_that_is_not_utf8(tmp_path: Path) -> None:
    # was: a UnicodeDecodeError traceback
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"question": "Café?", "answer": 1}\n'.encode("latin-1"))
    with pytest.raises(DatasetError, match=r"latin1.jsonl:1:18: error: byte 0xe9 is not UTF-8"):
        load_dataset(path)
    result = runner.invoke(app, ["eval", str(path), *NOWHERE, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 1 and "is not UTF-8" in result.output


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "no records"),
    ("[1, 2]", "expected objects"),
    ('{"question": 5, "answer": 1}', "record 1 has no text"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_a_dataset_of_odd_shapes(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_dataset(path)


@pytest.mark.parametrize("gold", [[1, 2], 10**400, {"a": [1]}, "1e999", {}])
def test_a_gold_answer_of_odd_shapes_is_no_answer(gold: object) -> None:
    # was: TypeError (a list) and OverflowError (a huge integer) from float()
    assert parse_gold(gold).value is None


def test_a_resume_file_that_is_not_utf8_or_odd_is_redone(tmp_path: Path) -> None:
    # was: a UnicodeDecodeError, or an AttributeError for a line that is a list
    path = tmp_path / "out.jsonl"
    good = {"id": "1", "gold": 1, "objective": 1, "status": "optimal", "correct": True,
            "executed": True, "repairs": 0, "attempts": 1, "run_dir": "r", "seconds": 1.0,
            "error": None}
    path.write_bytes(b"\xff\xfe\n[1, 2]\n42\n" + b"[" * 100_000 + b"\n{\"id\": 7}\n"
                     + json.dumps(good).encode() + b"\n")
    assert list(read_output(path)) == ["1"]


def test_a_dataset_or_results_file_that_is_a_fifo(tmp_path: Path) -> None:
    # was: blocked forever waiting for a writer
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="is a FIFO, not a file"):
        load_dataset(fifo)
    with pytest.raises(DatasetError, match="not a file"):
        read_output(fifo)

"""Hostile endpoints (issue 14): odd bodies, slow drips, escape sequences, through `ask`.

Each reply comes from the scripted server through the real `openai` client;
each must end in a clear endpoint error (exit 5) with no traceback, and what
came must be kept in the run folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from replies import GOOD, QUESTION, fenced
from scripted_server import Drip, Raw, Serve, connect
from typer.testing import CliRunner

import optiform
from optiform.agents.extract import extract_model
from optiform.agents.llm import LLMError, MalformedReply, parse_reply
from optiform.cli import app

runner = CliRunner()


def _completion(content: object) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}]
                       }).encode()


BODIES = {
    "invalid JSON": (b'{"choices": [', "its body is not JSON"),
    "content a number": (_completion(42), "content is a number, not text"),
    "content a list": (_completion([1, 2]), "content is a list, not text"),
    "content an object": (_completion({"text": "hi"}), "content is an object, not text"),
    # json.dumps writes the surrogate as the escape `\ud800`, which JSON readers accept
    "a lone surrogate": (_completion("model\ud800"), "not valid Unicode (a lone surrogate)"),
    "nested 200,000 deep": (b"[" * 200_000 + b"]" * 200_000, "nests too deeply"),
    "no choices": (b'{"object": "chat.completion"}', "has no `choices`"),
}


@pytest.mark.parametrize("case", sorted(BODIES))
def test_a_body_that_is_not_a_completion_is_a_clear_endpoint_error(
        serve: Serve, tmp_path: Path, case: str) -> None:
    body, said = BODIES[case]
    server = serve([Raw(body)])
    result = runner.invoke(app, ["ask", QUESTION, "--model", "m", "--base-url",
                                 server.base_url, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert said in result.stderr and "answered 200" in result.stderr
    (run,) = tmp_path.iterdir()
    assert (run / "01-draft-reply-body.txt").read_bytes() == body
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "stopped" and "MalformedReply" in events[-1]["reason"]


def test_a_slow_drip_is_cut_at_the_total_deadline(serve: Serve, tmp_path: Path) -> None:
    # every read comes within 0.3 s, the whole would take 40 x 0.1 s = 4 s
    server = serve([Drip(fenced(GOOD), pieces=40, every=0.1)] * 3)
    started = time.perf_counter()
    with pytest.raises(LLMError, match="kept timing out"):
        optiform.formalize(QUESTION, connect(server, timeout=0.8, retries=1),
                           runs_dir=tmp_path)
    assert time.perf_counter() - started < 3.5  # two tries of 0.8 s, and the backoff


def test_a_quick_drip_within_the_deadline_is_read_whole(serve: Serve, tmp_path: Path) -> None:
    server = serve([Drip(fenced(GOOD), pieces=5, every=0.01)])
    found = optiform.formalize(QUESTION, connect(server, timeout=5), runs_dir=tmp_path)
    assert found.objective == 60.0


def test_stripping_thinking_is_linear() -> None:
    reply = "<think>" * 100_000 + fenced(GOOD)
    started = time.perf_counter()
    assert extract_model(reply).text == GOOD
    unclosed = "<think>a</think>" * 50_000 + "<think>" * 50_000 + fenced(GOOD)
    assert extract_model(unclosed).how == "fenced"
    assert time.perf_counter() - started < 2  # was quadratic: minutes


def test_escape_sequences_in_a_reply_do_not_reach_the_terminal(serve: Serve,
                                                               tmp_path: Path) -> None:
    hostile = GOOD.replace('"chairs and tables"', '"chairs\x1b]0;pwned\x07 and\x1b[2J tables"')
    server = serve([fenced(hostile, before="Here\x1b[31m is the model:")])
    result = runner.invoke(app, ["ask", QUESTION, "--model", "m", "--base-url",
                                 server.base_url, "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;pwned\\x07" in result.stdout  # shown, escaped


def test_malformed_reply_carries_the_body() -> None:
    with pytest.raises(MalformedReply) as caught:
        parse_reply('{"choices": []}')
    assert caught.value.body == '{"choices": []}'


def test_a_client_of_another_make_with_odd_content_is_a_clear_error(tmp_path: Path) -> None:
    class Completions:  # the `chat.completions.create` shape only, as LLM's docstring allows
        def create(self, **kwargs: object) -> object:
            message = type("M", (), {"content": ["not", "text"]})()
            choice = type("C", (), {"message": message, "finish_reason": "stop"})()
            return type("R", (), {"choices": [choice]})()

    client = type("Client", (), {"chat": type("Chat", (), {"completions": Completions()})()})()
    with pytest.raises(MalformedReply, match="content that is a list, not text"):
        optiform.formalize(QUESTION, optiform.LLM(client, "m"), runs_dir=tmp_path)
    (run,) = tmp_path.iterdir()
    assert (run / "01-draft-reply-body.txt").exists()

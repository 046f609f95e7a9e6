"""Hostile endpoint bodies and replies (issue 14): the agent's input classes from the LLM.

A body that is not a chat completion is a `MalformedReply`, whatever its
shape: JSON of any structure, any text, deep nesting; the `<think>` stripper
agrees with the regex it replaced and stays linear.
"""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optiform.agents.extract import ExtractionError, _without_thinking, extract_model
from optiform.agents.llm import MalformedReply, parse_reply

FAST = settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=300)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["choices", "message", "content",
                                                       "finish_reason", "x"]) | st.text(),
                                      inner, max_size=4), max_leaves=20)


def _reply_or_malformed(body: str) -> None:
    try:
        text, finish = parse_reply(body)
    except MalformedReply as exc:
        assert exc.body == body and "answered 200" in str(exc)
        return
    assert isinstance(text, str) and (finish is None or isinstance(finish, str))
    text.encode("utf-8")


@FAST
@given(JSON)
def test_any_json_body(value: object) -> None:
    _reply_or_malformed(json.dumps(value))


@FAST
@given(JSON)
def test_any_content_in_a_completion(content: object) -> None:
    _reply_or_malformed(json.dumps({"choices": [{"message": {"content": content},
                                                 "finish_reason": "stop"}]}))


@FAST
@given(st.text())
def test_any_text_body(body: str) -> None:
    _reply_or_malformed(body)


@FAST
@given(st.integers(min_value=1, max_value=300_000), st.sampled_from("[{"))
def test_deep_nesting(depth: int, bracket: str) -> None:
    close = "]" if bracket == "[" else "}"
    inner = '"a": ' if bracket == "{" else ""
    _reply_or_malformed((bracket + inner) * depth + "1" + close * depth)


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


@FAST
@given(st.lists(st.sampled_from(["<think>", "</think>", "<THINK>", "</Think>", "x", "\n",
                                 "<think", "```optiform\n", "variables\n  x\n", "```\n"]),
                max_size=30))
def test_thinking_is_stripped_as_the_regex_did(parts: list[str]) -> None:
    reply = "".join(parts)
    assert _without_thinking(reply) == _THINK.sub("", reply)
    try:
        extract_model(reply)
    except ExtractionError:
        pass

"""Model text out of replies: fences, tags, prose, reasoning sections."""

from __future__ import annotations

import pytest
from replies import GOOD, fenced

from optiform.agents.extract import ExtractionError, extract_model


def test_tagged_fence_with_prose_around() -> None:
    got = extract_model(fenced(GOOD, after="It maximises profit."))
    assert got.text == GOOD and got.how == "fenced" and got.closed


def test_untagged_fence_and_tilde_fence() -> None:
    assert extract_model(f"```\n{GOOD}```").text == GOOD
    assert extract_model(f"~~~opt\n{GOOD}~~~\nDone.").text == GOOD


def test_the_last_complete_model_wins_over_a_snippet_after_it() -> None:
    first = GOOD.replace("hours        = 40", "hours        = 30")
    reply = (f"First try:\n```optiform\n{first}```\nBetter:\n```optiform\n{GOOD}```\n"
             "The change:\n```optiform\nlabour: 2 * chairs <= hours\n```\n")
    assert extract_model(reply).text == GOOD


def test_reasoning_section_is_skipped() -> None:
    reply = "<think>\nvariables\n  maybe x\n</think>\n" + fenced(GOOD)
    assert extract_model(reply).text == GOOD


def test_an_unclosed_fence_runs_to_the_end() -> None:
    got = extract_model("```optiform\n" + GOOD)
    assert got.text == GOOD and not got.closed


def test_bare_model_between_sentences_keeps_comments_above() -> None:
    reply = ("Sure, here it is.\n\n# chairs and tables\n" + GOOD +
             "\nThe model above maximizes the profit of the workshop.\nAnything else?\n")
    got = extract_model(reply)
    assert got.how == "bare"
    assert got.text == "# chairs and tables\n" + GOOD


def test_empty_and_modelless_replies() -> None:
    with pytest.raises(ExtractionError) as empty:
        extract_model("  \n<think>hmm</think>\n")
    assert empty.value.reason == "empty"
    with pytest.raises(ExtractionError) as python:
        extract_model("```python\nimport pulp\nprob = pulp.LpProblem()\n```")
    assert python.value.reason == "no_model" and "```python" in python.value.detail
    with pytest.raises(ExtractionError, match="a model starts with a section"):
        extract_model("The answer is 60.")

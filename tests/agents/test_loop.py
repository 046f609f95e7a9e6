"""The agent's loop through the real `openai` client against a scripted endpoint.

Each test checks both sides: what the endpoint received (the feedback of the
failing stage really went back, in the next request) and what the user gets
(the result, the attempts, the run folder).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from replies import (
    CREW,
    CREW_QUESTION,
    FORGETFUL,
    GOOD,
    INFEASIBLE,
    MISSPELT,
    QUESTION,
    TRUCKS,
    UNBOUNDED,
    UNNAMED,
    fenced,
)
from scripted_server import Cut, ScriptedServer, Serve, Slow, Status, connect

import optiform
import optiform.agents.loop
from optiform.agents.feedback import Outcome
from optiform.agents.llm import LLM, EndpointUnreachable, LLMConfigError, LLMError


def last_user(server: ScriptedServer, request: int) -> str:
    return server.user_messages(request)[-1]


def test_syntax_error_goes_back_with_line_caret_and_hint(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(UNNAMED), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    assert len(server.requests) == 2
    sent = last_user(server, 1)
    assert "model.opt:16:10: error: unexpected `2`" in sent
    assert "  16 |   labour 2 * chairs + 4 * tables <= hours" in sent
    assert "every constraint needs a name" in sent
    assert sent.index("^") > sent.index("  16 |")
    # the whole conversation goes back: question, the broken reply, then the feedback
    roles = [m["role"] for m in server.requests[1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert QUESTION in server.requests[1]["messages"][1]["content"]

    assert found.status == "optimal" and found.objective == 60.0
    assert found.result.verified
    assert found.repairs == 1
    assert [a.outcome for a in found.attempts] == [Outcome.SYNTAX, Outcome.VERIFIED]
    assert found.attempts[0].feedback == sent.split("\n\nCorrect the model")[0]
    assert (found.run_dir / "model.opt").read_text() == GOOD


def test_misspelt_name_gets_a_suggestion(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(MISSPELT), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    sent = last_user(server, 1)
    assert "unknown name `profit_tabel`" in sent
    assert "did you mean `profit_table`?" in sent
    assert "  13 |" in sent  # the objective's line, quoted
    assert found.attempts[0].outcome is Outcome.SEMANTIC
    assert found.objective == 60.0


def test_infeasible_model_names_the_conflicting_constraints(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(INFEASIBLE), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    sent = last_user(server, 1)
    assert "The model is infeasible" in sent
    assert "irreducible conflict" in sent
    assert "labour (line 16): <= 40" in sent
    assert "enough_chairs (line 17): >= 30; its lower bound must be lowered by 10, to 20" in sent
    assert "  16 |   labour: 2 * chairs + 4 * tables <= hours" in sent
    assert "  17 |   enough_chairs: chairs >= 30" in sent
    assert found.attempts[0].outcome is Outcome.INFEASIBLE
    assert found.attempts[0].status == "infeasible"
    assert found.objective == 60.0
    assert json.loads((found.run_dir / "01-draft-solution.json").read_text())["status"] == \
        "infeasible"


def test_unbounded_model_names_the_runaway_variables(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(UNBOUNDED), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    sent = last_user(server, 1)
    assert "The model is unbounded" in sent
    assert "tables" in sent.split("unbounded")[1]
    assert "  10 |   tables >= 0" in sent  # the variable's declaration, quoted
    assert found.attempts[0].outcome is Outcome.UNBOUNDED


def test_prose_around_an_unfenced_model(serve: Serve, tmp_path: Path) -> None:
    reply = ("Sure! Let me model this.\n\n" + GOOD +
             "\nThis model maximizes profit subject to the labour limit.\n")
    server = serve([reply])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    assert len(server.requests) == 1
    assert found.model_text == GOOD
    assert found.repairs == 0 and found.objective == 60.0


def test_empty_reply_is_asked_again(serve: Serve, tmp_path: Path) -> None:
    server = serve(["", fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    assert "Your reply was empty." in last_user(server, 1)
    assert found.attempts[0].outcome is Outcome.NO_MODEL
    assert found.attempts[0].model_text is None
    assert found.objective == 60.0


def test_a_reply_cut_at_the_output_limit_is_told_so(serve: Serve, tmp_path: Path) -> None:
    server = serve([Cut("```optiform\n" + GOOD[:120]), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    # what arrived parses (a feasibility model with two variables), but it is not all
    sent = last_user(server, 1)
    assert sent.startswith("Your reply was cut off at the output limit")
    assert found.attempts[0].outcome is Outcome.NO_MODEL
    assert found.attempts[0].model_text == GOOD[:120].rstrip() + "\n"
    assert found.objective == 60.0


def test_rate_limit_is_retried_after_backoff(serve: Serve, tmp_path: Path) -> None:
    server = serve([Status(429, retry_after=0), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    assert len(server.requests) == 2
    assert server.requests[0] == server.requests[1]  # the same request, sent again
    assert len(found.attempts) == 1 and found.attempts[0].retries == 1


def test_timeout_is_retried(serve: Serve, tmp_path: Path) -> None:
    server = serve([Slow(1.0, fenced(GOOD)), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server, timeout=0.3), runs_dir=tmp_path)

    assert len(server.requests) == 2
    assert found.attempts[0].retries == 1
    assert found.objective == 60.0


def test_retries_are_bounded_and_the_error_is_clear(serve: Serve, tmp_path: Path) -> None:
    server = serve([Status(429)] * 3)
    with pytest.raises(LLMError, match=r"kept rate-limiting \(429\) after 2 retries"):
        optiform.formalize(QUESTION, connect(server, retries=2), runs_dir=tmp_path)
    assert len(server.requests) == 3
    (run,) = tmp_path.iterdir()
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "stopped" and "429" in events[-1]["reason"]


def test_a_reply_never_fixed_fails_with_every_attempt_on_disk(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(UNNAMED)] * 3)
    with pytest.raises(optiform.FormalizationFailed) as caught:
        optiform.formalize(QUESTION, connect(server), max_repairs=2, runs_dir=tmp_path)

    failure = caught.value
    assert len(server.requests) == 3
    assert [a.kind for a in failure.attempts] == ["draft", "repair", "repair"]
    assert all(a.outcome is Outcome.SYNTAX for a in failure.attempts)
    assert "no verified model after 3 attempt(s)" in str(failure)
    assert str(failure.run_dir) in str(failure)
    files = {p.name for p in failure.run_dir.iterdir()}
    for n, kind in enumerate(["draft", "repair", "repair"], start=1):
        for part in ("prompt.md", "reply.md", "model.opt", "feedback.txt"):
            assert f"{n:02d}-{kind}-{part}" in files
    assert "model.opt" not in files
    saved = json.loads((failure.run_dir / "failed.json").read_text())
    assert len(saved["attempts"]) == 3 and saved["attempts"][2]["outcome"] == "syntax"
    assert (failure.run_dir / "question.txt").read_text().strip() == QUESTION


def test_a_plainly_wrong_model_gets_one_self_review(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(FORGETFUL), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    sent = last_user(server, 1)
    assert "The model solves, but it looks wrong" in sent
    assert "`profit_table`, `hours`" in sent  # never used
    assert "No constraint mentions `tables`" in sent
    assert [a.kind for a in found.attempts] == ["draft", "review"]
    assert found.objective == 60.0 and found.repairs == 0


def test_a_review_that_breaks_the_model_keeps_the_verified_one(serve: Serve,
                                                               tmp_path: Path) -> None:
    server = serve([fenced(FORGETFUL), fenced(UNNAMED)])
    found = optiform.formalize(QUESTION, connect(server), max_repairs=0, runs_dir=tmp_path)

    assert len(server.requests) == 2
    assert found.model_text == FORGETFUL and found.objective == 60.0


def test_samples_vote_on_the_objective(serve: Serve, tmp_path: Path) -> None:
    cheaper = GOOD.replace("hours        = 40", "hours        = 20")  # objective 30
    server = serve([fenced(GOOD), fenced(cheaper), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), samples=3, runs_dir=tmp_path)

    assert len(server.requests) == 3
    assert found.objective == 60.0
    assert (found.samples, found.verified, found.agreeing) == (3, 3, 2)
    assert {a.sample for a in found.attempts} == {1, 2, 3}
    for s in (1, 2, 3):
        assert (found.run_dir / f"sample-{s}" / "01-draft-reply.md").exists()
    assert found.to_dict()["samples"] == {"drawn": 3, "verified": 3, "agreeing": 2}


def test_ctrl_c_keeps_what_came_before(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(UNNAMED), fenced(GOOD)])

    def interrupt(attempt: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path, on_attempt=interrupt)
    (run,) = tmp_path.iterdir()
    assert (run / "01-draft-reply.md").read_text() == fenced(UNNAMED)
    assert "every constraint needs a name" in (run / "01-draft-feedback.txt").read_text()
    events = [json.loads(line)["event"] for line in (run / "events.jsonl").read_text()
              .splitlines()]
    assert events == ["start", "request", "attempt", "stopped"]


def test_an_openai_client_can_be_passed_directly(serve: Serve, tmp_path: Path) -> None:
    import openai

    server = serve([fenced(GOOD)])
    client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
    found = optiform.formalize(QUESTION, client, model="served-model", runs_dir=tmp_path)
    assert found.objective == 60.0
    assert server.requests[0]["model"] == "served-model"


def test_endpoint_down_is_a_clear_error(tmp_path: Path) -> None:
    llm = LLM.connect("m", "http://127.0.0.1:9/v1", "k", timeout=2, retries=0)
    with pytest.raises(EndpointUnreachable, match=r"cannot reach .*127\.0\.0\.1:9.*running"):
        optiform.formalize(QUESTION, llm, runs_dir=tmp_path)


def test_no_endpoint_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LLMConfigError, match="no LLM endpoint: give --base-url"):
        LLM.connect()
    with pytest.raises(LLMConfigError, match="no model: give --model"):
        LLM.connect(base_url="http://localhost:11434/v1")


def test_endpoint_settings_come_from_the_environment(serve: Serve, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve([fenced(GOOD)])
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "env-model")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    found = optiform.formalize(QUESTION, runs_dir=tmp_path)
    assert found.objective == 60.0
    assert server.requests[0]["model"] == "env-model"


# ---- infeasible as stated ------------------------------------------------------------

@pytest.mark.parametrize(("model", "method", "named"), [
    (TRUCKS, "iis", ["carry", "have"]),  # the LP relaxation is infeasible: its IIS
    (CREW, "elastic", ["exact"]),  # the relaxation is feasible: the rows that must give
], ids=["relaxation-infeasible", "relaxation-feasible"])
def test_an_infeasible_milp_gets_its_conflict_in_seconds(serve: Serve, tmp_path: Path,
                                                         model: str, method: str,
                                                         named: list[str]) -> None:
    server = serve([fenced(model), fenced(GOOD)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    first = found.attempts[0]
    assert first.outcome is Outcome.INFEASIBLE
    assert first.seconds < 5  # the reply's time; the solve and the search follow
    events = [json.loads(line) for line in (found.run_dir / "events.jsonl").read_text()
              .splitlines()]
    requests = [e["time"] for e in events if e["event"] == "request"]
    assert requests[1] - requests[0] < 5  # draft reply -> solve -> conflict -> feedback sent
    sent = last_user(server, 1)
    assert "may be infeasible as stated" in sent
    for name in named:
        line = next(n for n, text in enumerate(model.splitlines(), 1)
                    if text.strip().startswith(f"{name}:"))
        assert f"{name} (line {line}): " in sent
        assert f"{line:>4} |   {name}:" in sent
    if method == "elastic":
        assert "conflict involves integrality" in sent
        assert "exact (line 13): == 100; it must move by 20, to " in sent
    else:
        assert "irreducible conflict" in sent and "must be raised by 2, to 5" in sent


def test_an_unchanged_infeasible_model_is_the_answer(serve: Serve, tmp_path: Path) -> None:
    # the second reply differs only in a comment: the same model
    server = serve([fenced(CREW), fenced("# the text asks for the impossible\n" + CREW)])
    found = optiform.formalize(CREW_QUESTION, connect(server), runs_dir=tmp_path)

    assert len(server.requests) == 2
    assert found.status == "infeasible" and found.infeasible
    assert found.result.exit_code == 3 and found.objective is None
    assert [a.outcome for a in found.attempts] == [Outcome.INFEASIBLE, Outcome.INFEASIBLE]
    assert found.result.solution.conflict is not None
    assert found.to_dict()["conflict"]["rows"][0]["row"] == "exact"
    assert found.assumptions == ["every mover lifts exactly 40 kg, no more and no less"]
    events = [json.loads(line)["event"] for line in (found.run_dir / "events.jsonl")
              .read_text().splitlines()]
    assert events[-1] == "infeasible"


def test_assumptions_are_stated_and_defaults_listed(serve: Serve, tmp_path: Path) -> None:
    model = GOOD.replace("parameters\n", "parameters\n  # assume: a table needs no glue\n"
                         "  spare[1..3] default 2   # assume : spares are free\n")
    server = serve([fenced(model)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path,
                               options=optiform.agents.loop.AgentOptions(self_review=False))
    assert found.assumptions == [
        "a table needs no glue", "spares are free",
        "every entry of `spare[1..3]` is its default, 2 (the text gives no values)"]
    assert found.to_dict()["assumptions"] == found.assumptions


# ---- the review ----------------------------------------------------------------------

CUTTING = """\
# rolls of 10 m cut into 3 m and 4 m pieces; the patterns were worked out by hand
sets
  PAT = 1..3
parameters
  roll  = 10            # the lengths behind the patterns below
  len_a = 3
  len_b = 4
  ways  = 2
  per_a[PAT] = [3, 2, 0]
  per_b[PAT] = [0, 1, 2]
  twice = 2 * ways
variables
  use[PAT] integer >= 0
objective
  minimize rolls: sum(p in PAT) use[p]
constraints
  need_a: sum(p in PAT) per_a[p] * use[p] >= 9
  need_b: sum(p in PAT) per_b[p] * use[p] >= 4
"""


def test_review_spares_parameters_explained_or_used_by_others(serve: Serve,
                                                              tmp_path: Path) -> None:
    # a comment on its line or on the line above, or one naming it, explains a parameter
    model = CUTTING.replace("  len_a = 3\n", "  len_a = 3             # the short piece\n")
    server = serve([fenced(model), fenced(model)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)

    sent = last_user(server, 1)
    # roll and len_a have comments, ways is used by twice; len_b and twice have neither
    assert "never used, and no comment says why: `len_b`, `twice`." in sent
    # the same model back: accepted as it is, no further round
    assert len(server.requests) == 2
    assert [a.kind for a in found.attempts] == ["draft", "review"]
    assert found.model_text == model and found.objective == 5


def test_an_unchanged_reply_to_a_review_is_accepted(serve: Serve, tmp_path: Path) -> None:
    server = serve([fenced(FORGETFUL), fenced("# checked: as the text says\n" + FORGETFUL)])
    found = optiform.formalize(QUESTION, connect(server), runs_dir=tmp_path)
    assert len(server.requests) == 2 and found.model_text == FORGETFUL
    assert found.repairs == 0

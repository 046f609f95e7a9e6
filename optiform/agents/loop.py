"""The agent's loop: draft -> extract -> parse -> check -> solve -> verify, repaired.

Each round sends the model the first stage that failed (see feedback.py)
and asks for the whole model again, at most `max_repairs` times. A model
that verifies but looks plainly wrong earns one self-review round. With
`samples` k > 1, k independent drafts run side by side and the answer is
the objective most verified drafts agree on (ties: fewer repairs). The
reply is only ever parsed as optiform text: never executed, imported or
used as a path. Everything is written to the run folder as it happens.

An infeasible model comes back with its conflict; when the LLM replies with
the same model again (the same syntax tree: only comments may differ), that
is its judgement that the problem is infeasible as stated, and the run ends
with that answer instead of more repairs.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from optiform import api
from optiform import arguments as arg
from optiform.agents import feedback
from optiform.agents.assumptions import assumptions
from optiform.agents.extract import ExtractionError, extract_model
from optiform.agents.feedback import MODEL_FILE, Feedback, Outcome
from optiform.agents.llm import LLM, Completion, LLMConfigError, MalformedReply, Message
from optiform.agents.prompt import default_examples_dir, load_pool, system_prompt, template
from optiform.agents.transcript import RunFolder
from optiform.backends import BackendError
from optiform.diagnostics import DiagnosticError
from optiform.solution import ExitCode, Result

AGREE_TOL = 1e-6  # objectives within this relative distance are the same answer


@dataclass(frozen=True)
class AgentOptions:
    """How hard the agent tries and what it shows the model."""

    max_repairs: int = 4
    samples: int = 1
    few_shot: int = 2
    self_review: bool = True
    time_limit: float | None = 60.0  # seconds per solve
    examples: Path | None = field(default_factory=default_examples_dir)


@dataclass(frozen=True)
class Attempt:
    """One reply and how far it got."""

    sample: int
    number: int  # 1 is the draft
    kind: str  # draft | repair | review
    reply: str
    model_text: str | None
    outcome: Outcome
    detail: str  # one line: the first diagnostic, the solver's message, the objective
    feedback: str | None  # what went back to the model, if anything
    status: str | None  # the solver's status, when it got that far
    objective: float | None
    retries: int  # endpoint retries before the reply came
    seconds: float

    def summary(self) -> str:
        kind = "self-review" if self.kind == "review" else self.kind
        head = f"sample {self.sample}, {self.number}. {kind}" if self.sample > 1 else \
            f"{self.number}. {kind}"
        what = self.outcome.value.replace("_", " ")
        review = ("; it looks wrong, so a self-review follows"
                  if self.outcome is Outcome.VERIFIED and self.feedback else "")
        return f"{head}: {what}" + (f" - {self.detail}" if self.detail else "") + review

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["reply"]  # in the run folder; too long for a summary
        out["outcome"] = self.outcome.value
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass(frozen=True)
class FormalizationResult:
    """A verified model for the question, its solution, and how it was reached."""

    question: str
    model_text: str
    model: api.Model
    result: Result
    attempts: tuple[Attempt, ...]
    repairs: int
    run_dir: Path
    samples: int
    verified: int  # samples that reached an answer (a verified model, or infeasible as stated)
    agreeing: int  # of those, the ones whose objective matches the answer

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def infeasible(self) -> bool:
        """The LLM held to an infeasible model: the problem is infeasible as stated."""
        return self.result.status == "infeasible"

    @property
    def assumptions(self) -> list[str]:
        """The `# assume:` comments and the parameters filled only by `default`."""
        return assumptions(self.model_text, self.model.decl)

    @property
    def objective(self) -> float | None:
        return self.result.objective

    def to_dict(self) -> dict[str, Any]:
        """`optiform solve --json`'s shape, plus the model and how the agent got it."""
        return {**self.result.to_dict(), "model_text": self.model_text,
                "assumptions": self.assumptions,
                "attempts": [a.to_dict() for a in self.attempts], "repairs": self.repairs,
                "samples": {"drawn": self.samples, "verified": self.verified,
                            "agreeing": self.agreeing},
                "run_dir": str(self.run_dir)}


class FormalizationFailed(Exception):
    """No verified model within the repairs; carries every attempt (also on disk)."""

    def __init__(self, message: str, attempts: tuple[Attempt, ...], run_dir: Path) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.run_dir = run_dir

    @property
    def last_outcome(self) -> Outcome | None:
        return self.attempts[-1].outcome if self.attempts else None

    @property
    def exit_code(self) -> ExitCode:
        """3 or 4 when the last model was infeasible or unbounded, 1 otherwise."""
        return {Outcome.INFEASIBLE: ExitCode.INFEASIBLE, Outcome.UNBOUNDED: ExitCode.UNBOUNDED
                }.get(self.last_outcome or Outcome.NO_MODEL, ExitCode.MODEL_ERROR)

    def to_dict(self) -> dict[str, Any]:
        return {"status": "failed", "error": str(self),
                "attempts": [a.to_dict() for a in self.attempts],
                "repairs": sum(a.kind == "repair" for a in self.attempts),
                "run_dir": str(self.run_dir)}


@dataclass(frozen=True)
class _Judged:
    outcome: Outcome
    model_text: str | None
    detail: str
    feedback: Feedback | None
    model: api.Model | None = None
    result: Result | None = None


@dataclass(frozen=True)
class _Answer:
    sample: int
    judged: _Judged
    repairs: int


OnAttempt = Callable[[Attempt], None]


class Agent:
    """Turns questions into verified models with one LLM and one set of options."""

    def __init__(self, llm: LLM, options: AgentOptions | None = None,
                 on_attempt: OnAttempt | None = None) -> None:
        self.llm = llm
        self.options = options or AgentOptions()
        self.on_attempt = on_attempt

    def run(self, question: str, folder: RunFolder) -> FormalizationResult:
        opts = self.options
        folder.write_json("run.json", {"model": self.llm.model, "endpoint": self.llm.where,
                                       "options": asdict(opts)})
        system = system_prompt(question, load_pool(opts.examples), opts.few_shot)
        folder.write("system.md", system)
        k = max(1, opts.samples)
        folder.event("start", samples=k, max_repairs=opts.max_repairs)
        attempts: list[Attempt] = []
        try:
            answers = self._samples(question, system, folder, k, attempts)
        except BaseException as exc:  # Ctrl-C, an endpoint error: say so, keep the rest
            folder.event("stopped", reason=f"{type(exc).__name__}: {exc}")
            raise
        found = [a for a in answers if a is not None]
        done = tuple(sorted(attempts, key=lambda a: (a.sample, a.number)))
        if not found:
            last = done[-1] if done else None
            reason = f"; the last attempt: {last.summary()}" if last else ""
            failure = FormalizationFailed(
                f"no verified model after {len(done)} attempt(s){reason}; every attempt is "
                f"in {folder.path}", done, folder.path)
            folder.write_json("failed.json", failure.to_dict())
            folder.event("failed", attempts=len(done))
            raise failure
        chosen, agreeing = _vote(found)
        judged = chosen.judged
        assert judged.model is not None and judged.result is not None
        assert judged.model_text is not None
        outcome = FormalizationResult(question, judged.model_text, judged.model, judged.result,
                                      done, chosen.repairs, folder.path, k, len(found),
                                      agreeing)
        folder.write("model.opt", judged.model_text)
        folder.write_json("result.json", outcome.to_dict())
        folder.event("infeasible" if outcome.infeasible else "verified",
                     sample=chosen.sample, objective=outcome.objective, agreeing=agreeing,
                     verified=len(found))
        return outcome

    def _samples(self, question: str, system: str, folder: RunFolder, k: int,
                 attempts: list[Attempt]) -> list[_Answer | None]:
        if k == 1:
            return [self._sample(1, "", question, system, folder, attempts)]
        pool = ThreadPoolExecutor(max_workers=k)
        futures = [pool.submit(self._sample, s, f"sample-{s}/", question, system, folder,
                               attempts) for s in range(1, k + 1)]
        try:
            return [f.result() for f in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _sample(self, sample: int, prefix: str, question: str, system: str,
                folder: RunFolder, attempts: list[Attempt]) -> _Answer | None:
        """One independent draft and its repairs; the verified answer, if any."""
        messages = [Message("system", system),
                    Message("user", template("draft").substitute(question=question))]
        kind, repairs, number = "draft", 0, 0
        reviewed: _Judged | None = None
        previous: _Judged | None = None
        while True:
            number += 1
            stem = f"{prefix}{number:02d}-{kind}"
            folder.write(f"{stem}-prompt.md", messages[-1].content)
            folder.event("request", sample=sample, attempt=number, kind=kind)
            try:
                completion = self.llm.complete(messages)
            except MalformedReply as exc:  # what came is kept, as every reply is
                folder.write(f"{stem}-reply-body.txt", exc.body)
                raise
            folder.write(f"{stem}-reply.md", completion.text)
            messages.append(Message("assistant", completion.text))
            judged = self._judge(completion, folder, stem)
            review = self._review(judged) if reviewed is None else []
            sent = (judged.feedback.text if judged.feedback else
                    "\n".join(f"- {r}" for r in review) or None)
            attempt = Attempt(sample, number, kind, completion.text, judged.model_text,
                              judged.outcome, judged.detail, sent,
                              judged.result.status if judged.result else None,
                              judged.result.objective if judged.result else None,
                              completion.retries, completion.seconds)
            attempts.append(attempt)
            folder.event("attempt", **attempt.to_dict())
            if self.on_attempt is not None:
                self.on_attempt(attempt)
            if reviewed is not None and kind == "review" and _same_model(reviewed, judged):
                return _Answer(sample, reviewed, repairs)  # kept as it was: the LLM's call
            if judged.outcome is Outcome.VERIFIED and not review:
                return _Answer(sample, judged, repairs)
            if _held_infeasible(previous, judged):
                return _Answer(sample, judged, repairs)
            previous = judged
            if review:
                reviewed = judged
                kind = "review"
                messages.append(Message("user", template("review").substitute(reasons=sent)))
                continue
            if repairs >= self.options.max_repairs:
                return _Answer(sample, reviewed, repairs) if reviewed else None
            repairs += 1
            kind = "repair"
            assert sent is not None
            messages.append(Message("user", template("repair").substitute(feedback=sent)))

    def _review(self, judged: _Judged) -> list[str]:
        """Why a verified model looks plainly wrong (once per sample, when enabled)."""
        if not self.options.self_review or judged.outcome is not Outcome.VERIFIED:
            return []
        assert judged.model is not None and judged.result is not None
        return feedback.suspicions(judged.model, judged.result)

    def _judge(self, completion: Completion, folder: RunFolder, stem: str) -> _Judged:
        """Run the reply through every stage; the first failure becomes feedback."""
        try:
            extraction = extract_model(completion.text)
        except ExtractionError as exc:
            return self._failed(feedback.no_model(exc, completion.truncated), None, folder, stem)
        text = extraction.text
        folder.write(f"{stem}-model.opt", text)
        if completion.truncated and not extraction.closed:  # it may parse, but it is not all
            return self._failed(feedback.truncated(), text, folder, stem)
        try:
            model = api.loads(text, file=MODEL_FILE)
            model.compile()
            result = model.solve(time_limit=self.options.time_limit)
        except DiagnosticError as exc:
            first = exc.diagnostics[0].render() if exc.diagnostics else str(exc)
            return self._failed(feedback.diagnostics(exc, text, completion.truncated), text,
                                folder, stem, first.splitlines()[0])
        except BackendError as exc:
            return self._failed(feedback.solver_error(str(exc)), text, folder, stem)
        except Exception as exc:  # a bug of ours on odd input must not end the run
            folder.write(f"{stem}-traceback.txt", traceback.format_exc())
            return self._failed(feedback.internal_error(exc), text, folder, stem)
        folder.write_json(f"{stem}-solution.json", result.to_dict())
        verdict = feedback.from_result(result, text)
        if verdict is not None:
            folder.write(f"{stem}-feedback.txt", verdict.text)
            return _Judged(verdict.outcome, text, result.solution.message or result.status,
                           verdict, model, result)
        objective = "" if result.objective is None else f"objective {result.objective:.10g}"
        return _Judged(Outcome.VERIFIED, text, _join(result.status, objective), None, model,
                       result)

    @staticmethod
    def _failed(fb: Feedback, text: str | None, folder: RunFolder, stem: str,
                detail: str | None = None) -> _Judged:
        folder.write(f"{stem}-feedback.txt", fb.text)
        return _Judged(fb.outcome, text, detail or fb.text.splitlines()[0], fb)


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _held_infeasible(previous: _Judged | None, judged: _Judged) -> bool:
    """The same infeasible model twice running: the LLM's answer, not a slip."""
    return (previous is not None and judged.outcome is Outcome.INFEASIBLE
            and previous.outcome is Outcome.INFEASIBLE and _same_model(previous, judged))


def _same_model(a: _Judged, b: _Judged) -> bool:
    """The same syntax tree (what `fmt` prints, comments aside)."""
    return a.model is not None and b.model is not None and a.model.decl == b.model.decl


def _vote(answers: list[_Answer]) -> tuple[_Answer, int]:
    """The answer most verified samples agree on (ties: fewer repairs), with its votes."""
    groups: list[list[_Answer]] = []
    for a in answers:
        value = a.judged.result.objective if a.judged.result else None
        for g in groups:
            other = g[0].judged.result.objective if g[0].judged.result else None
            if _same(value, other):
                g.append(a)
                break
        else:
            groups.append([a])
    best = max(groups, key=lambda g: (len(g), g[0].judged.outcome is Outcome.VERIFIED,
                                      -min(a.repairs for a in g)))
    return min(best, key=lambda a: (a.repairs, a.sample)), len(best)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=AGREE_TOL, abs_tol=AGREE_TOL)


def as_llm(client: LLM | Any | None, model: str | None = None) -> LLM:
    """An `LLM` from ours, from an `openai.OpenAI` client, or from flags and environment."""
    if client is None:
        return LLM.connect(model=model)
    if isinstance(client, LLM):
        return client
    name = model or os.environ.get("OPENAI_MODEL")
    if not name:
        raise LLMConfigError("no model: pass model=... (or set OPENAI_MODEL)")
    return LLM(client, name)


def formalize(text: str, client: LLM | Any | None = None, *, model: str | None = None,
              max_repairs: int | None = None, samples: int | None = None,
              options: AgentOptions | None = None, runs_dir: str | Path = "runs",
              on_attempt: OnAttempt | None = None) -> FormalizationResult:
    """Turn a problem in plain English into a verified model and its solution.

    `client` is an `LLM`, an `openai.OpenAI` client (then `model` names the
    model), or None for the `OPENAI_*` environment. Raises
    `FormalizationFailed`, carrying every attempt, when no verified model is
    reached; every run is also written to a folder under `runs_dir`.
    """
    arg.text("text", text)
    arg.optional_integer("max_repairs", max_repairs, 0)
    arg.optional_integer("samples", samples, 1)
    opts = options or AgentOptions()
    if max_repairs is not None:
        opts = replace(opts, max_repairs=max_repairs)
    if samples is not None:
        opts = replace(opts, samples=samples)
    llm = as_llm(client, model)
    folder = RunFolder.create(runs_dir, text)
    return Agent(llm, opts, on_attempt).run(text, folder)

"""`optiform eval --ray`: a benchmark's problems as Ray tasks, on the batch's engine.

An LLM client holds connections and cannot be pickled, so what travels is
the recipe of the agent (the resolved endpoint, the timeout, the options),
once through the object store; each worker builds its agent on its first
problem and keeps it. Results come back to the driver, which writes the
output lines as `run_eval` does with threads. Run folders are written where
each problem runs (on a cluster: on that node). An endpoint error comes back
as the problem's error, so it is retried on resume, as with threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from optiform.agents.evaluation import Engine, Item, ItemResult, _one
from optiform.agents.llm import LLM, Endpoint, EndpointUnreachable, LLMError
from optiform.agents.loop import Agent, AgentOptions
from optiform.batching.engines import RayEngine


@dataclass(frozen=True)
class AgentRecipe:
    """What builds the same agent in another process."""

    endpoint: Endpoint
    timeout: float
    options: AgentOptions

    def build(self) -> Agent:
        e = self.endpoint
        return Agent(LLM.connect(e.model, e.base_url, e.api_key, timeout=self.timeout),
                     self.options)


@dataclass(frozen=True)
class _Shared:
    recipe: AgentRecipe
    runs: Path
    tolerance: float


_AGENTS: dict[AgentRecipe, Agent] = {}  # one per worker process and recipe


def _solve_item(shared: _Shared, item: Item) -> ItemResult | LLMError:
    agent = _AGENTS.get(shared.recipe)
    if agent is None:
        agent = _AGENTS[shared.recipe] = shared.recipe.build()
    try:
        return _one(item, agent, shared.runs, shared.tolerance)
    except LLMError as exc:
        return exc


def on_ray(recipe: AgentRecipe, workers: int | None, address: str | None,
           announce: Callable[[str], None] = lambda _: None) -> Engine:
    """An `Engine` for `run_eval` on a local Ray of `workers` CPUs or the cluster at
    `address`; `announce` gets the `engine:` line."""

    def run(pending: list[Item], runs: Path, tolerance: float,
            record: Callable[[ItemResult], ItemResult]) -> Iterator[Future[ItemResult | None]]:
        with RayEngine(workers, address) as engine:
            announce(f"engine: {engine.describe()}")
            for _, answer in engine.map(_solve_item, _Shared(recipe, runs, tolerance),
                                        pending, LLMError):
                future: Future[ItemResult | None] = Future()
                if isinstance(answer, LLMError):
                    future.set_exception(answer)
                else:
                    future.set_result(record(answer))
                yield future
                if isinstance(answer, EndpointUnreachable):
                    return  # every other problem would fail the same way
    return run

"""The evaluation harness: the agent over a benchmark file, scored against gold answers.

Benchmark files differ in their field names (`question`/`answer`,
`en_question`/`en_answer`, `Question`/`Answer`, `question`/`results`), in
being a JSON array or JSON Lines whatever their extension, and in how they
mark an infeasible item (`"No Best Solution"`, -99999, -9999). This module
reads them all, runs the agent with a concurrency limit, appends one JSON
line per problem as it finishes (so an interrupted run resumes where it
stopped), and reports accuracy, execution rate and mean repairs. The gold
answer is only read to score: never shown to the model, never used to
decide a retry.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optiform.agents.llm import EndpointUnreachable, LLMError
from optiform.agents.loop import Agent, FormalizationFailed
from optiform.agents.transcript import RunFolder
from optiform.diagnostics import DiagnosticError
from optiform.dsl.data import read_text

QUESTION_FIELDS = ("question", "en_question", "Question", "problem", "prompt", "description")
ANSWER_FIELDS = ("answer", "en_answer", "Answer", "results", "gold", "objective",
                 "optimal_value")
ID_FIELDS = ("id", "index", "idx")
INFEASIBLE_MARKS = ("no best solution", "infeasible", "no solution", "unbounded")
INFEASIBLE_NUMBERS = (-99999.0, -9999.0)
# In a ReSocratic `results` dict, the objective's key names what was optimised.
_OBJECTIVE_KEY = re.compile(r"(?i)\b(max|min|optimal|total|profit|cost|revenue|objective)")
DEFAULT_TOLERANCE = 1e-4


class DatasetError(Exception):
    """A benchmark file that cannot be read; the message says why and what to pass."""


@dataclass(frozen=True)
class Gold:
    """A gold answer: an objective value, an infeasible item, or nothing usable."""

    value: float | None
    infeasible: bool = False

    @property
    def scorable(self) -> bool:
        return self.infeasible or self.value is not None

    def to_json(self) -> float | str | None:
        return "infeasible" if self.infeasible else self.value


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    gold: Gold


@dataclass(frozen=True)
class Dataset:
    path: Path
    items: tuple[Item, ...]
    question_field: str
    answer_field: str

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class ItemResult:
    """One problem's outcome: one JSON line of the output file."""

    id: str
    gold: float | str | None
    objective: float | None
    status: str  # the solver's status, `failed: <outcome>`, or `error`
    correct: bool
    executed: bool  # the final model compiled and a solver ran on it
    repairs: int
    attempts: int
    run_dir: str
    seconds: float
    error: str | None = None
    assumptions: int = 0  # `# assume:` lines and default-only parameters of the final model

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Summary:
    dataset: str
    problems: int  # items in the dataset (within --limit)
    done: int  # with a line in the output
    scored: int  # done, with a usable gold answer
    correct: int
    executed: int
    mean_repairs: float
    errors: int  # endpoint errors this time: not recorded, retried on resume
    output: Path
    assumed: int = 0  # done, with an answer that rests on stated or default assumptions

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0

    @property
    def execution_rate(self) -> float:
        return self.executed / self.done if self.done else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(output=str(self.output), accuracy=self.accuracy,
                   execution_rate=self.execution_rate)
        return out


def load_dataset(path: str | Path, question_field: str | None = None,
                 answer_field: str | None = None) -> Dataset:
    """Read a benchmark file (JSON array or JSON Lines) and find its fields."""
    path = Path(path)
    records = _records(path)
    if not records:
        raise DatasetError(f"{path}: no records")
    q = question_field or _field(records, QUESTION_FIELDS, path, "question")
    a = answer_field or _field(records, ANSWER_FIELDS, path, "answer")
    id_field = next((f for f in ID_FIELDS if f in records[0]), None)
    if id_field and len({str(r.get(id_field)) for r in records}) < len(records):
        id_field = None  # ids must tell problems apart to resume: use record numbers
    items = []
    for n, r in enumerate(records, start=1):
        if not isinstance(r.get(q), str):
            raise DatasetError(f"{path}: record {n} has no text in `{q}`")
        ident = str(r[id_field]) if id_field and r.get(id_field) is not None else str(n)
        items.append(Item(ident, r[q], parse_gold(r.get(a))))
    return Dataset(path, tuple(items), q, a)


def parse_gold(raw: Any) -> Gold:
    """A number, a numeric string, a sentinel for infeasible, or a `results` dict."""
    if isinstance(raw, dict):
        if not raw:
            return Gold(None)
        keys = [k for k in raw if _OBJECTIVE_KEY.search(str(k))]
        return parse_gold(raw[keys[-1] if keys else list(raw)[-1]])
    if isinstance(raw, bool) or raw is None:
        return Gold(None)
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if text.lower() in INFEASIBLE_MARKS:
            return Gold(None, infeasible=True)
        try:
            raw = float(text)
        except ValueError:
            return Gold(None)
    if not isinstance(raw, (int, float)):  # a list or another shape: no gold answer
        return Gold(None)
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond the largest float
        return Gold(None)
    if value in INFEASIBLE_NUMBERS:
        return Gold(None, infeasible=True)
    return Gold(value if math.isfinite(value) else None)


def is_correct(gold: Gold, objective: float | None, status: str,
               tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Relative error within `tolerance` (absolute when the gold answer is 0)."""
    if gold.infeasible:
        return status in ("infeasible", "failed: infeasible")
    if gold.value is None or objective is None:
        return False
    return abs(objective - gold.value) <= tolerance * (abs(gold.value) or 1.0)


def default_output(dataset: Path, runs_dir: Path, model: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"
    return runs_dir / "eval" / f"{dataset.stem}.{safe}.jsonl"


def read_output(path: Path) -> dict[str, ItemResult]:
    """The problems already done; a line cut short by a crash is ignored (and redone)."""
    done: dict[str, ItemResult] = {}
    if not path.exists():
        return done
    if not path.is_file():
        raise DatasetError(f"{path}: the results file is not a file")
    for raw in path.read_bytes().splitlines():
        try:  # a line that is not UTF-8, not JSON or not a result's object is redone
            result = ItemResult.from_dict(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, TypeError,
                AttributeError):
            continue
        if isinstance(result.id, str):
            done[result.id] = result
    return done


# Runs the pending problems elsewhere (`remote.on_ray`): given them, the run folders,
# the tolerance and the function that writes a result, yields each as a done Future.
Engine = Callable[[list[Item], Path, float, Callable[["ItemResult"], "ItemResult"]],
                  Iterator[Future["ItemResult | None"]]]


def run_eval(dataset: Dataset, agent: Agent, output: Path, runs_dir: Path, *,
             concurrency: int = 4, tolerance: float = DEFAULT_TOLERANCE,
             limit: int | None = None,
             on_done: Callable[[ItemResult], None] | None = None,
             engine: Engine | None = None) -> Summary:
    """Run the agent over every problem not yet in `output`, appending as each finishes
    (in threads here, or on `engine`)."""
    items = dataset.items[:limit] if limit is not None else dataset.items
    output.parent.mkdir(parents=True, exist_ok=True)
    done = read_output(output)
    pending = [item for item in items if item.id not in done]
    runs = runs_dir / "eval" / dataset.name
    lock = threading.Lock()
    errors = 0
    stop = threading.Event()

    def record(result: ItemResult) -> ItemResult:
        with lock, output.open("a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(result)) + "\n")
        return result

    def solve(item: Item) -> ItemResult | None:
        if stop.is_set():
            return None
        try:
            result = _one(item, agent, runs, tolerance)
        except EndpointUnreachable:
            stop.set()  # every other problem would fail the same way
            raise
        return record(result)

    failure: LLMError | None = None
    futures = (_bounded(solve, pending, max(1, concurrency)) if engine is None
               else engine(pending, runs, tolerance, record))
    for future in futures:
        try:
            result = future.result()
        except LLMError as exc:
            errors += 1
            failure = failure or exc
            continue
        if result is not None:
            done[result.id] = result
            if on_done is not None:
                on_done(result)
    if isinstance(failure, EndpointUnreachable):
        raise failure
    return summarise(dataset, items, done, errors, output)


def summarise(dataset: Dataset, items: Iterable[Item], done: dict[str, ItemResult],
              errors: int, output: Path) -> Summary:
    items = list(items)
    rows = [done[i.id] for i in items if i.id in done]
    scorable = {i.id for i in items if i.gold.scorable}
    scored = [r for r in rows if r.id in scorable]
    return Summary(dataset.name, len(items), len(rows), len(scored),
                   sum(r.correct for r in scored), sum(r.executed for r in rows),
                   sum(r.repairs for r in rows) / len(rows) if rows else 0.0, errors, output,
                   sum(r.assumptions > 0 for r in rows))


def _one(item: Item, agent: Agent, runs: Path, tolerance: float) -> ItemResult:
    started = time.perf_counter()
    folder = RunFolder.create(runs, item.question, prefix=f"item-{item.id}")
    try:
        found = agent.run(item.question, folder)
    except FormalizationFailed as exc:
        last = exc.last_outcome
        status = f"failed: {last.value}" if last else "failed"
        return ItemResult(item.id, item.gold.to_json(), None, status,
                          is_correct(item.gold, None, status, tolerance),
                          bool(last and last.reached_solver),
                          sum(a.kind == "repair" for a in exc.attempts), len(exc.attempts),
                          str(folder.path), time.perf_counter() - started, str(exc))
    return ItemResult(item.id, item.gold.to_json(), found.objective, found.status,
                      is_correct(item.gold, found.objective, found.status, tolerance), True,
                      found.repairs, len(found.attempts), str(folder.path),
                      time.perf_counter() - started, assumptions=len(found.assumptions))


def _bounded(fn: Callable[[Item], ItemResult | None], items: list[Item],
             limit: int) -> Iterator[Future[ItemResult | None]]:
    """Futures as they complete, with at most `limit` running (and queued) at once."""
    queue = iter(items)
    pool = ThreadPoolExecutor(max_workers=limit)
    try:
        running = {pool.submit(fn, item) for item in islice(queue, limit)}
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future
                nxt = next(queue, None)
                if nxt is not None:
                    running.add(pool.submit(fn, nxt))
    finally:  # on Ctrl-C, start nothing new; what is running finishes into its run folder
        pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def progress_bar(console: Console, total: int, label: str
                 ) -> Iterator[Callable[[ItemResult], None]]:
    """A progress bar on `console`; the callback advances it and shows the accuracy."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[score]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=total, score="")
        tally = {"n": 0, "correct": 0}

        def advance(result: ItemResult) -> None:
            tally["n"] += 1
            tally["correct"] += result.correct
            progress.update(task, advance=1,
                            score=f"{tally['correct']}/{tally['n']} correct")

        yield advance


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    try:
        text = read_text(path)
    except DiagnosticError as exc:  # not a regular file, too large, or not UTF-8
        raise DatasetError(str(exc)) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise DatasetError(f"{path}: the JSON is nested too deeply to read") from None
    except json.JSONDecodeError:
        data = None
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except RecursionError:
                raise DatasetError(f"{path}:{n}: the JSON is nested too deeply to read"
                                   ) from None
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{n}: neither a JSON document nor JSON Lines "
                                   f"({exc.msg})") from None
    else:
        rows = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in rows):
        raise DatasetError(f"{path}: expected objects, one per problem")
    return rows


def _field(records: list[dict[str, Any]], candidates: tuple[str, ...], path: Path,
           what: str) -> str:
    for name in candidates:
        if name in records[0]:
            return name
    raise DatasetError(f"{path}: no {what} field among {', '.join(records[0])}; "
                       f"name it with --{what}-field")


def evaluate_files(paths: list[Path], agent: Agent, runs_dir: Path, *,
                   output: Path | None = None, concurrency: int = 4,
                   tolerance: float = DEFAULT_TOLERANCE, limit: int | None = None,
                   question_field: str | None = None, answer_field: str | None = None,
                   console: Console | None = None,
                   engine: Engine | None = None) -> list[Summary]:
    """`optiform eval`: each dataset in turn, with a progress bar on `console`."""
    if output is not None and len(paths) > 1:
        raise DatasetError("--output names one file: give one dataset, or leave it out")
    datasets = [load_dataset(p, question_field, answer_field) for p in paths]
    summaries = []
    for ds in datasets:
        target = output or default_output(ds.path, runs_dir, agent.llm.model)
        items = ds.items[:limit] if limit is not None else ds.items
        todo = len(items) - len(set(read_output(target)) & {i.id for i in items})
        if console is None:
            summaries.append(run_eval(ds, agent, target, runs_dir, concurrency=concurrency,
                                      tolerance=tolerance, limit=limit, engine=engine))
            continue
        with progress_bar(console, todo, ds.name) as tick:
            summaries.append(run_eval(ds, agent, target, runs_dir, concurrency=concurrency,
                                      tolerance=tolerance, limit=limit, on_done=tick,
                                      engine=engine))
    return summaries


def summary_table(summaries: list[Summary]) -> Table:
    """Accuracy, execution rate and mean repairs per dataset; the output files below."""
    table = Table(title="evaluation", title_justify="left", caption_justify="left",
                  caption="per-problem results: " + ", ".join(str(s.output) for s in summaries))
    for column in ("dataset", "problems", "done", "accuracy", "execution rate",
                   "mean repairs"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for s in summaries:
        table.add_row(s.dataset, str(s.problems), str(s.done),
                      f"{s.accuracy:.1%} ({s.correct}/{s.scored})",
                      f"{s.execution_rate:.1%} ({s.executed}/{s.done})",
                      f"{s.mean_repairs:.2f}")
    return table

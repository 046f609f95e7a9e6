"""The `optiform` command: one command per verb, no logic of its own.

Exit codes: 0 solved and checked; 1 the model or its data is wrong;
2 usage (typer); 3 infeasible; 4 unbounded; 5 no solution (time limit,
solver error, no backend for the class); 6 a solution that fails the check.
`ask` exits 1 when no verified model was reached (3/4 when the last one was
infeasible/unbounded), 2 without an endpoint, 5 when the endpoint fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from optiform import api
from optiform.backends import BackendError, available_solvers
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.compiler.ir import Problem
from optiform.diagnostics import DiagnosticError
from optiform.dsl.parser import parse_file
from optiform.dsl.printer import format_source
from optiform.pareto import reference_point
from optiform.plot import PlotError, check_plot_path, plot_fronts, require_matplotlib
from optiform.solution import ExitCode, Result

if TYPE_CHECKING:  # the agent's modules load only for `ask` and `eval`
    from optiform.agents.loop import Agent, FormalizationResult

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Optimization models in five elements: compile, solve, check.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ModelPath = Annotated[Path, typer.Argument(help="The model file (.opt).", exists=True,
                                           dir_okay=False, readable=True)]
DataOption = Annotated[Path | None, typer.Option(
    "--data", "-d", help="Data for sets and parameters: JSON, YAML, or a folder of CSV files.")]
MaxSizeOption = Annotated[int, typer.Option(
    help="Most rows one index may expand to while grounding.")]


def _parse_weights(text: str | None) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value) if sep else 1.0
        except ValueError:
            raise typer.BadParameter(f"`{part}` is not NAME=NUMBER",
                                     param_hint="--weights") from None
    return weights


def _fail(exc: Exception, as_json: bool, code: ExitCode) -> None:
    if as_json:
        errors = (exc.diagnostics if isinstance(exc, DiagnosticError) else [])
        payload = {"status": "error",
                   "errors": [d.to_dict() for d in errors] or [{"message": str(exc)}]}
        print(json.dumps(payload, indent=2))
    err.print(str(exc), markup=False)
    raise typer.Exit(int(code))


@app.command()
def solve(
    model: ModelPath,
    data: DataOption = None,
    backend: Annotated[str, typer.Option(
        help="auto, or a backend name (highs, pyomo, ipopt, torch, gflownet).")] = "auto",
    time_limit: Annotated[float | None, typer.Option(help="Seconds before giving up.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap to stop at.")] = None,
    weights: Annotated[str | None, typer.Option(
        help="Weighted sum of objectives, e.g. cost=1,quality=0.5 (replaces the "
             "model's `weights:` or `lexicographic:` line).")] = None,
    lexicographic: Annotated[str | None, typer.Option(
        help="Objectives in priority order, e.g. cost,quality (replaces the model's "
             "line).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Show zero values too.")] = False,
    verbose: Annotated[bool, typer.Option(help="Show the solver's log.")] = False,
    max_size: MaxSizeOption = DEFAULT_MAX_SIZE,
    pareto: Annotated[int | None, typer.Option(
        help="Points of the trade-off between two or three objectives (in "
             "--lexicographic order if given).")] = None,
    plot: Annotated[Path | None, typer.Option(
        help="With --pareto: draw the front to this .png, .svg or .pdf (needs "
             "matplotlib).", dir_okay=False)] = None,
    starts: Annotated[int | None, typer.Option(
        min=1, help="torch: starting points, advanced together as one batch (16).")] = None,
    device: Annotated[str | None, typer.Option(help="torch, gflownet: cpu or cuda.")] = None,
    seed: Annotated[int, typer.Option(
        help="torch, gflownet: seed for the starts or the sampling.")] = 0,
    iterations: Annotated[int | None, typer.Option(
        min=1, help="torch, ipopt, gflownet: iteration budget.")] = None,
    samples: Annotated[int | None, typer.Option(
        min=1, help="gflownet: return the N best distinct verified solutions.")] = None,
    temperature: Annotated[float | None, typer.Option(
        min=1e-6, help="gflownet: reward sharpness, exp(-normalised objective / T) "
                       "(0.02); higher spreads the samples wider.")] = None,
    training: Annotated[str | None, typer.Option(
        help="gflownet: tb (trajectory balance on that reward, the default) or op "
             "(order-preserving: learns from the order of the points found).")] = None,
    compare: Annotated[bool, typer.Option(
        "--compare", help="gflownet, torch: also solve with HiGHS and report the gap to "
                          "its optimum (with --pareto: the exact front beside the "
                          "sampled one).")] = False,
    tolerance: Annotated[float | None, typer.Option(
        help="torch, ipopt: feasibility tolerance (the checker's 1e-6).")] = None,
    optimizer: Annotated[str | None, typer.Option(
        help="torch: inner minimiser, lbfgs (default), adam, lion or torch-lbfgs.")] = None,
    solver: Annotated[str | None, typer.Option(
        help="pyomo: a solver (`optiform solvers` lists them: scip, highs, ipopt...) or "
             "any Pyomo SolverFactory name.")] = None,
) -> None:
    """Compile a model, solve it, and check the solution against the model."""
    order = [n.strip() for n in (lexicographic or "").split(",") if n.strip()]
    for flag, given in (("--samples", samples), ("--temperature", temperature),
                        ("--training", training)):
        if given is not None and backend != "gflownet":
            raise typer.BadParameter("steers the sampler: give --backend gflownet too",
                                     param_hint=flag)
    if training not in (None, "tb", "op"):
        raise typer.BadParameter(f"`{training}` is not a training; use tb or op",
                                 param_hint="--training")
    if plot is not None and pareto is None:
        raise typer.BadParameter("draws a Pareto front: give --pareto N too",
                                 param_hint="--plot")
    if pareto is not None:
        sampler = {"seed": seed, "iterations": iterations, "temperature": temperature,
                   "device": device, "training": training}
        _solve_pareto(model, data, max_size, pareto, order, backend, time_limit, mip_gap,
                      as_json, plot, compare, sampler)
    try:
        result = api.load(model, data, max_size=max_size).solve(
            backend, time_limit=time_limit, mip_gap=mip_gap,
            weights=_parse_weights(weights), lexicographic=order, verbose=verbose,
            starts=starts, device=device, seed=seed, iterations=iterations,
            tolerance=tolerance, optimizer=optimizer, solver=solver, samples=samples,
            temperature=temperature, training=training, compare=compare)
    except DiagnosticError as exc:
        _fail(exc, as_json, ExitCode.MODEL_ERROR)
    except BackendError as exc:
        _fail(exc, as_json, ExitCode.NO_SOLUTION)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        _print_warnings(result.problem)
        _print_result(result, show_all)
    raise typer.Exit(int(result.exit_code))


@app.command()
def check(model: ModelPath, data: DataOption = None,
          max_size: MaxSizeOption = DEFAULT_MAX_SIZE) -> None:
    """Parse and check a model against its data, without solving it."""
    try:
        problem = api.check(model, data, max_size=max_size)
    except DiagnosticError as exc:
        _fail(exc, False, ExitCode.MODEL_ERROR)
    _print_warnings(problem)
    out.print(f"{model}: ok - {problem.problem_class.value}, "
              f"{_count(problem.n_vars, 'variable')}, "
              f"{_count(problem.n_rows, 'constraint row')}, "
              f"{_count(len(problem.objectives), 'objective')}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command()
def solvers() -> None:
    """List the solvers, whether each is installed here, and what it solves."""
    table = Table(title="solvers (auto prefers the first installed that takes a class)",
                  title_justify="left")
    for column in ("solver", "installed", "through", "classes", "optimality", "to install"):
        table.add_column(column)
    for row in available_solvers():
        table.add_row(row.name, "yes" if row.installed else "no", row.through,
                      " ".join(row.classes), row.proves_optimality,
                      "" if row.installed else row.install)
    out.print(table)


@app.command()
def show(
    model: ModelPath,
    latex: Annotated[bool, typer.Option("--latex", help="LaTeX (align* environments).")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown with $$ math.")] = False,
) -> None:
    """Print the model as mathematics: sets, parameters, variables, objective, constraints."""
    try:
        text = api.show(model, "latex" if latex else "markdown" if markdown else "text")
    except DiagnosticError as exc:
        _fail(exc, False, ExitCode.MODEL_ERROR)
    sys.stdout.write(text)


@app.command()
def export(
    model: ModelPath,
    output: Annotated[Path, typer.Option("--output", "-o", help="model.lp, .mps or .nl.")],
    data: DataOption = None,
    max_size: MaxSizeOption = DEFAULT_MAX_SIZE,
) -> None:
    """Write the grounded model in a standard format (.lp, .mps with HiGHS; .nl with Pyomo)."""
    try:
        api.export(model, output, data, max_size=max_size)
    except DiagnosticError as exc:
        _fail(exc, False, ExitCode.MODEL_ERROR)
    except BackendError as exc:
        _fail(exc, False, ExitCode.NO_SOLUTION)
    out.print(f"wrote {output}", markup=False)


@app.command()
def fmt(
    models: Annotated[list[Path], typer.Argument(help="Model files.", exists=True,
                                                 dir_okay=False)],
    write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite the files.")] = False,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Exit 1 if a file is not formatted.")] = False,
) -> None:
    """Print models in canonical form (round-trip safe)."""
    unformatted = []
    for path in models:
        text = path.read_text(encoding="utf-8")
        try:
            parse_file(path)
            formatted = format_source(text, str(path))
        except DiagnosticError as exc:
            _fail(exc, False, ExitCode.MODEL_ERROR)
        except ValueError as exc:
            message = str(exc)
            err.print(message if message.startswith(str(path)) else f"{path}: {message}",
                      markup=False)
            raise typer.Exit(int(ExitCode.MODEL_ERROR)) from None
        if check_only:
            if formatted != text:
                unformatted.append(path)
        elif write:
            path.write_text(formatted, encoding="utf-8")
        else:
            sys.stdout.write(formatted)
    if unformatted:
        for path in unformatted:
            err.print(f"{path}: not formatted", markup=False)
        raise typer.Exit(int(ExitCode.MODEL_ERROR))


def _solve_pareto(model: Path, data: Path | None, max_size: int, points: int,
                  order: list[str], backend: str, time_limit: float | None,
                  mip_gap: float | None, as_json: bool, plot: Path | None, compare: bool,
                  sampler: dict[str, Any]) -> None:
    if plot is not None:
        try:
            check_plot_path(plot)
            require_matplotlib()
        except PlotError as exc:
            _plot_failed(exc, as_json)
    sampled = backend == "gflownet"
    exact: list[Result] = []
    try:
        loaded = api.load(model, data, max_size=max_size)
        front = loaded.pareto(points, backend, order or None, time_limit=time_limit,
                              mip_gap=mip_gap, **(sampler if sampled else {}))
        if compare and sampled and front and front[0].verified:
            exact = loaded.pareto(points, "highs", order or None, time_limit=time_limit,
                                  mip_gap=mip_gap)
    except DiagnosticError as exc:
        _fail(exc, as_json, ExitCode.MODEL_ERROR)
    except BackendError as exc:
        _fail(exc, as_json, ExitCode.NO_SOLUTION)
    code = ExitCode.OK if front and front[0].verified else (
        front[0].exit_code if front else ExitCode.NO_SOLUTION)
    summary = api.summarize_front(front, front[0].problem, order or None) if front else None
    versus = None
    if summary is not None and exact and exact[0].verified:
        # both fronts measured against one reference point, that of the two together
        both = np.vstack([summary.points, api.summarize_front(
            exact, front[0].problem, order or None).points])
        reference = reference_point(both, summary.senses)
        summary = api.summarize_front(front, front[0].problem, order or None, reference)
        versus = api.summarize_front(exact, front[0].problem, order or None, reference)
    if plot is not None and summary is not None and len(summary.points):
        fronts = {"gflownet (sampled)" if sampled else "epsilon-constraint": summary.points}
        if versus is not None:
            fronts["highs (exact)"] = versus.points
        try:
            plot_fronts(plot, fronts, summary.names, summary.senses, front[0].problem.name)
        except PlotError as exc:
            _plot_failed(exc, as_json)
    comparison = _front_comparison(summary, versus, exact)
    if as_json:
        measures = summary.to_dict() if summary else {"hypervolume": None, "reference": None}
        extra = {"compare": comparison} if comparison is not None else {}
        print(json.dumps({"pareto": [r.to_dict() for r in front], **measures, **extra},
                         indent=2))
        raise typer.Exit(int(code))
    if not front or not front[0].verified:
        if front:
            _print_result(front[0], False)
        raise typer.Exit(int(code))
    table = Table(title=f"Pareto front of {front[0].problem.name}", title_justify="left")
    names = list(front[0].objectives)
    table.add_column("point", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("check")
    for i, r in enumerate(front, start=1):
        table.add_row(str(i), *(f"{r.objectives[n]:.6g}" for n in names),
                      "feasible" if r.verified else "VIOLATED")
    out.print(table)
    if summary is not None and summary.reference is not None:
        where = ", ".join(f"{n} {v:.6g}" for n, v in summary.reference.items())
        out.print(f"hypervolume {summary.hypervolume:.6g} against the reference point "
                  f"({where})", markup=False)
    if comparison is not None and summary is not None:
        if comparison["hypervolume"] is None:
            out.print(f"compare: {comparison['message']}", markup=False)
        else:
            share = (summary.hypervolume or 0.0) / comparison["hypervolume"] \
                if comparison["hypervolume"] else float("nan")
            out.print(f"exact front (highs): {comparison['points']} points, hypervolume "
                      f"{comparison['hypervolume']:.6g}; the sampled front holds "
                      f"{comparison['found']} of them and {100 * share:.4g}% of that "
                      "hypervolume", markup=False)
    if plot is not None:
        out.print(f"front drawn to {plot}", markup=False)
    raise typer.Exit(int(code))


def _front_comparison(summary: api.FrontSummary | None, versus: api.FrontSummary | None,
                      exact: list[Result]) -> dict[str, Any] | None:
    """The exact front beside a sampled one: its points, hypervolume (against the
    sampled front's reference point) and how many of its points were sampled."""
    if summary is None or not exact:
        return None
    if versus is None:
        return {"backend": "highs", "pareto": [], "hypervolume": None, "points": 0,
                "found": 0, "message": f"HiGHS found no front: {exact[0].status}"}
    sampled = {tuple(np.round(p, 6)) for p in summary.points}
    found = sum(tuple(np.round(p, 6)) in sampled for p in versus.points)
    return {"backend": "highs",
            "pareto": [dict(zip(versus.names, map(float, p), strict=True))
                       for p in versus.points],
            "hypervolume": versus.hypervolume, "points": len(versus.points),
            "found": found, "message": ""}


def _plot_failed(exc: PlotError, as_json: bool) -> NoReturn:
    """`--plot` cannot be honoured: a usage error (exit 2), on one plain line."""
    if as_json:
        print(json.dumps({"status": "error", "errors": [{"message": str(exc)}]}, indent=2))
    err.print(f"--plot: {exc}", markup=False)
    raise typer.Exit(2)


def _print_warnings(problem: Problem) -> None:
    source = {problem.model.file: problem.model.source}
    for w in problem.warnings:
        err.print(w.render(source.get(w.span.file) if w.span else None), markup=False)


def _print_result(result: Result, show_all: bool) -> None:
    problem = result.problem
    summary = Table.grid(padding=(0, 2))
    summary.add_row("model", escape(problem.name))
    summary.add_row("class", problem.problem_class.value)
    summary.add_row("backend", result.solution.backend)
    summary.add_row("status", result.status)
    for name, value in result.objectives.items():
        summary.add_row(escape(f"objective {name}"), f"{value:.10g}")
    if result.solution.has_point:
        for o in problem.objectives:
            if o.name not in result.objectives:
                summary.add_row(escape(f"objective {o.name}"),
                                "undefined or too large at this point")
    if result.report is not None:
        verdict = ("feasible (max violation "
                   f"{result.report.max_violation:.2g}, {result.report.rows_checked} rows)"
                   if result.report.feasible else
                   f"VIOLATED: {len(result.report.violations)} violation(s)")
        summary.add_row("check", verdict)
    if result.solution.message:
        summary.add_row("note", escape(result.solution.message))
    if result.comparison is not None:
        summary.add_row("compare", escape(_comparison_text(result.comparison)))
    out.print(summary)
    if result.solution.conflict is not None:
        out.print(result.solution.conflict.describe(), markup=False)
    if result.report is not None and not result.report.feasible:
        for v in result.report.violations[:20]:
            out.print("  " + v.describe(), markup=False)
    if result.solution.values is None:
        return
    table = Table(title="solution", title_justify="left")
    table.add_column("variable")
    table.add_column("index")
    table.add_column("value", justify="right")
    shown = hidden = 0
    for name, values in result.values.items():
        items: list[tuple[Any, float]] = (
            [((), values)] if isinstance(values, float) else list(values.items()))
        for key, value in items:
            if not show_all and abs(value) < 1e-9:
                hidden += 1
                continue
            if shown >= 200:
                hidden += 1
                continue
            # Names and members are the user's text, never rich markup.
            table.add_row(escape(name), escape(", ".join(map(str, key))), f"{value:.6g}")
            shown += 1
    out.print(table)
    if hidden:
        out.print(f"({hidden} zero or further values not shown; --all or --json shows them)")
    if len(result.samples) > 1:
        _print_samples(result)


def _comparison_text(c: dict[str, Any]) -> str:
    if c.get("gap") is None:
        return f"no optimum to compare with: {c.get('message', '')}"
    return f"{c['backend']} optimum {c['optimum']:.10g}, gap {100 * c['gap']:.3g}%"


def _print_samples(result: Result) -> None:
    """The distinct points, best first, each told by how it differs from the best."""
    problem, best = result.problem, result.samples[0].solution.values
    assert best is not None
    table = Table(title=f"{len(result.samples)} distinct verified solutions",
                  title_justify="left")
    names = list(result.samples[0].objectives)
    table.add_column("#", justify="right")
    for name in names:
        table.add_column(escape(name), justify="right")
    table.add_column("differs from #1 in")
    for i, r in enumerate(result.samples, start=1):
        x = r.solution.values
        assert x is not None
        changed = np.nonzero(np.abs(x - best) > 1e-9)[0]
        words = []
        for j in changed[:6]:
            label = problem.column_name(int(j))
            if {x[j], best[j]} <= {0.0, 1.0}:
                words.append(("+" if x[j] > best[j] else "-") + label)
            else:
                words.append(f"{label} = {x[j]:g}")
        if len(changed) > 6:
            words.append(f"and {len(changed) - 6} more")
        table.add_row(str(i), *(f"{r.objectives[n]:.8g}" for n in names),
                      escape(", ".join(words)))
    out.print(table)


ModelName = Annotated[str | None, typer.Option(
    "--model", envvar="OPENAI_MODEL", help="The chat model's name.")]
BaseUrl = Annotated[str | None, typer.Option(
    envvar="OPENAI_BASE_URL", help="An OpenAI-compatible endpoint, e.g. "
    "http://localhost:11434/v1 (Ollama); OpenAI's when left out.")]
ApiKey = Annotated[str | None, typer.Option(envvar="OPENAI_API_KEY",
                                            help="Not needed by most local servers.")]
MaxRepairs = Annotated[int, typer.Option(min=0, help="Repair rounds after the draft.")]
Samples = Annotated[int, typer.Option(
    min=1, help="Independent drafts; the answer is the objective most of them agree on.")]
RunsDir = Annotated[Path, typer.Option(help="Where each run's folder is written.")]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for one reply.")]


def _agent(model: str | None, base_url: str | None, api_key: str | None, timeout: float,
           max_repairs: int, samples: int, on_attempt: Any = None) -> Agent:
    from optiform.agents.llm import LLM, LLMConfigError
    from optiform.agents.loop import Agent, AgentOptions

    try:
        llm = LLM.connect(model, base_url, api_key, timeout=timeout)
    except LLMConfigError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    return Agent(llm, AgentOptions(max_repairs=max_repairs, samples=samples), on_attempt)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The problem in plain English; - reads stdin.")],
    model: ModelName = None, base_url: BaseUrl = None, api_key: ApiKey = None,
    max_repairs: MaxRepairs = 4, samples: Samples = 1, runs_dir: RunsDir = Path("runs"),
    timeout: Timeout = 120.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Turn a problem in plain English into a verified model, and solve it."""
    from optiform.agents.llm import LLMError
    from optiform.agents.loop import FormalizationFailed
    from optiform.agents.transcript import RunFolder

    text = sys.stdin.read() if question == "-" else question
    agent = _agent(model, base_url, api_key, timeout, max_repairs, samples,
                   lambda a: err.print(_plain(a.summary()), markup=False))
    folder = RunFolder.create(runs_dir, text)
    err.print(f"run folder: {folder.path}", markup=False)
    try:
        found = agent.run(text, folder)
    except LLMError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(int(ExitCode.NO_SOLUTION)) from None
    except FormalizationFailed as exc:
        if as_json:
            print(json.dumps(exc.to_dict(), indent=2))
        err.print(_plain(str(exc)), markup=False)
        raise typer.Exit(int(exc.exit_code)) from None
    if as_json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        _print_answer(found)
    raise typer.Exit(int(found.result.exit_code))


def _print_answer(found: FormalizationResult) -> None:
    """The model, the verdict, then what `solve` shows, and the model's assumptions."""
    out.print(_plain(found.model_text), markup=False)
    agreed = (f"; {found.agreeing} of {found.samples} samples agree"
              if found.samples > 1 else "")
    verdict = ("infeasible as stated: the model was kept unchanged after its conflict was "
               "shown" if found.infeasible else f"verified after {found.repairs} repair(s)")
    out.print(f"{verdict}{agreed}; run folder: {found.run_dir}", markup=False)
    _print_result(found.result, False)
    if found.assumptions:
        out.print("assumptions (not given by the question):", markup=False)
        for text in found.assumptions:
            out.print(f"  - {_plain(text)}", markup=False)


def _plain(text: str) -> str:
    """An LLM's text with its control characters shown, never sent to the terminal."""
    return "".join(c if c in "\n\t" or (c.isprintable() and c != "\x7f")
                   else ascii(c)[1:-1] for c in text)


@app.command("eval")
def eval_(
    datasets: Annotated[list[Path], typer.Argument(
        help="Benchmark files: JSON or JSON Lines with a question and a gold answer.",
        exists=True, dir_okay=False)],
    model: ModelName = None, base_url: BaseUrl = None, api_key: ApiKey = None,
    max_repairs: MaxRepairs = 4, samples: Samples = 1, runs_dir: RunsDir = Path("runs"),
    timeout: Timeout = 120.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Problems in flight at once.")] = 4,
    tolerance: Annotated[float | None, typer.Option(
        help="Relative error at which an objective counts as correct (1e-4 when left "
             "out).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N problems.")] = None,
    output: Annotated[Path | None, typer.Option(
        help="Per-problem JSON lines, resumed if it exists; "
             "RUNS_DIR/eval/DATASET.MODEL.jsonl when left out.")] = None,
    question_field: Annotated[str | None, typer.Option(
        help="The question's field; detected when left out.")] = None,
    answer_field: Annotated[str | None, typer.Option(
        help="The gold answer's field; detected when left out.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summaries as JSON.")] = False,
) -> None:
    """Run the agent over benchmark files and score it against the gold answers."""
    from optiform.agents.evaluation import DEFAULT_TOLERANCE, DatasetError, evaluate_files
    from optiform.agents.evaluation import summary_table as eval_table
    from optiform.agents.llm import LLMError

    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    agent = _agent(model, base_url, api_key, timeout, max_repairs, samples)
    try:
        summaries = evaluate_files(datasets, agent, runs_dir, output=output,
                                   concurrency=concurrency, tolerance=tolerance, limit=limit,
                                   question_field=question_field, answer_field=answer_field,
                                   console=err)
    except DatasetError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(int(ExitCode.MODEL_ERROR)) from None
    except LLMError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(int(ExitCode.NO_SOLUTION)) from None
    if as_json:
        print(json.dumps([s.to_dict() for s in summaries], indent=2))
    else:
        out.print(eval_table(summaries))
    for s in summaries:
        if s.errors:
            err.print(f"{s.dataset}: {s.errors} problem(s) hit endpoint errors and were not "
                      "recorded; run the same command again to retry them", markup=False)

def main() -> None:
    app()

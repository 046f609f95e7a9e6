"""The `optiform` command: one command per verb, no logic of its own.

Exit codes: 0 solved and checked; 1 the model or its data is wrong;
2 usage (typer); 3 infeasible; 4 unbounded; 5 no solution (time limit,
solver error, no backend for the class, an optional library not installed);
6 a solution that fails the check; 7 an output could not be written (a full
disk: nothing half-written is left); 130 interrupted (Ctrl-C, SIGTERM) before
any point; 141 standard output closed early (`| head`), quietly.
`ask` exits 1 when no verified model was reached (3/4 when the last one was
infeasible/unbounded), 2 without an endpoint, 5 when the endpoint fails;
`eval` exits 5 when endpoint errors left problems unrecorded (every request
failing included).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import numpy as np
import typer
from rich.table import Table
from rich.text import Text

from optiform import api
from optiform.answers import key_columns, nonzero_rows
from optiform.arguments import ArgumentError, number
from optiform.backends import BackendError, available_solvers
from optiform.backends.pyomo.solvers import pyomo_installed
from optiform.batching.command import batch
from optiform.batching.engines import EngineError
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.compiler.ir import Problem
from optiform.diagnostics import DiagnosticError
from optiform.display import TOLERANCE, constraint_rows, shown
from optiform.dsl.parser import read_model
from optiform.dsl.printer import format_source
from optiform.extras import MissingExtra, install_line
from optiform.output import WRITERS, prepare, write_answer
from optiform.pareto import reference_point
from optiform.plot import PlotError, check_plot_path, plot_fronts, require_matplotlib
from optiform.solution import ExitCode, Result
from optiform.streams import stdout_to_stderr
from optiform.terminal import printable
from optiform.writing import GuardedOutput, OutputError, Terminal, write_atomic

if TYPE_CHECKING:  # the agent's modules load only for `ask` and `eval`
    from optiform.agents.loop import Agent, FormalizationResult

# Piped or redirected output is for a file or a report: tables as wide as their contents,
# never cut at rich's default of 80 columns (a terminal's own width still applies).
WIDTH = None if sys.stdout.isatty() else 1000
out = Terminal(width=WIDTH)
err = Terminal(stderr=True)


class _Commands(GuardedOutput):
    """Any command that reaches for a library the install lacks ends on its install line."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, wherever this typer keeps it
        try:
            return super().invoke(ctx)
        except MissingExtra as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(int(ExitCode.NO_SOLUTION)) from None


class _Command(typer.core.TyperCommand):
    """A usage line as the README writes it: `solve [OPTIONS] MODEL.opt`, not `{MODEL.opt}`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [re.sub(r"\A\{(.*)\}(\.\.\.)?\Z", r"\1\2", p)
                for p in super().collect_usage_pieces(ctx)]


app = typer.Typer(cls=_Commands, add_completion=False, no_args_is_help=True,
                  help="Optimization models in five elements: compile, solve, check.")


def _version(asked: bool) -> None:
    if asked:
        try:
            version = metadata.version("optiform")
        except metadata.PackageNotFoundError:  # run from a source tree, not installed
            version = "(not installed)"
        out.print(f"optiform {version}", markup=False)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Optimization models in five elements: compile, solve, check."""

ModelPath = Annotated[Path, typer.Argument(help="The model file (.opt).", exists=True,
                                           dir_okay=False, readable=True,
                                           metavar="MODEL.opt")]
DataOption = Annotated[Path | None, typer.Option(
    "--data", "-d", help="Data for sets and parameters: JSON, YAML, or a folder of CSV files.")]
MaxSizeOption = Annotated[int, typer.Option(
    help="Most rows one index may expand to while grounding.")]


def _parse_weights(text: str | None) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.partition("=")
        try:
            weight = float(value) if sep else 1.0
        except ValueError:
            raise typer.BadParameter(f"`{part}` is not NAME=NUMBER",
                                     param_hint="--weights") from None
        if not (math.isfinite(weight) and abs(weight) < 1e20):
            raise typer.BadParameter(f"`{part}`: a weight is a number below 1e20",
                                     param_hint="--weights")
        if name.strip() in weights:
            raise typer.BadParameter(f"`{name.strip()}` is given twice",
                                     param_hint="--weights")
        weights[name.strip()] = weight
    return weights


def _finite(value: float | None) -> float | None:
    """A limit or tolerance: a finite number, 0 or more (NaN and negatives mean nothing)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise typer.BadParameter(f"{value} is not a finite number >= 0")
    return value


def _interruptible(command: Callable[..., None]) -> Callable[..., None]:
    """Ctrl-C or SIGTERM outside a solver's own handling (while compiling, say) ends the
    command with one word and the documented code, instead of a silent 130 or a kill."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if main else None
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    return run


def _fail(exc: Exception, as_json: bool, code: ExitCode) -> None:
    if as_json:
        errors = (exc.diagnostics if isinstance(exc, DiagnosticError) else [])
        payload = {"status": "error",
                   "errors": [d.to_dict() for d in errors] or [{"message": str(exc)}]}
        print(json.dumps(payload, indent=2))
    err.print(printable(str(exc), lines=True), markup=False)
    raise typer.Exit(int(code))


_FLAGS = {"points": "--pareto", "objectives": "--lexicographic"}


def _usage(exc: ArgumentError) -> NoReturn:
    """An option's value the API refused: a usage error (exit 2) naming the option."""
    flag = _FLAGS.get(exc.argument, "--" + exc.argument.replace("_", "-"))
    raise typer.BadParameter(exc.reason, param_hint=flag)


def _cell(text: str) -> Text:
    """The user's text (a name, a member, a note) as a table cell: no markup, no emoji,
    no control characters."""
    return Text(printable(text))


@app.command(cls=_Command)
@_interruptible
def solve(
    model: ModelPath,
    data: DataOption = None,
    backend: Annotated[str, typer.Option(
        help="auto, or a backend name (highs, pyomo, ipopt, torch, gflownet).")] = "auto",
    time_limit: Annotated[float | None, typer.Option(
        help="Seconds before giving up.", callback=_finite)] = None,
    mip_gap: Annotated[float | None, typer.Option(
        help="Relative MIP gap to stop at.", callback=_finite)] = None,
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
        help="torch, ipopt: feasibility tolerance (the checker's 1e-6).",
        callback=_finite)] = None,
    optimizer: Annotated[str | None, typer.Option(
        help="torch: inner minimiser, lbfgs (default), adam, lion or torch-lbfgs.")] = None,
    solver: Annotated[str | None, typer.Option(
        help="pyomo: a solver (`optiform solvers` lists them: scip, highs, ipopt...) or "
             "any Pyomo SolverFactory name.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="Write one file per variable (its index columns, then value: "
                         "a --data CSV folder for the next model) and summary.json to "
                         "this folder.")] = None,
    output_format: Annotated[str | None, typer.Option(
        "--format", help="With --output: csv (default) or parquet (needs pyarrow).")] = None,
    duals: Annotated[bool, typer.Option(
        "--duals", help="Also show each constraint row's dual (LPs) and slack.")] = False,
) -> None:
    """Compile a model, solve it, and check the solution against the model."""
    order = [n.strip() for n in (lexicographic or "").split(",") if n.strip()]
    _prepare_output(output, output_format, pareto, as_json)
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
    weighted = _parse_weights(weights)
    try:
        with stdout_to_stderr(as_json):
            result = api.load(model, data, max_size=max_size).solve(
                backend, time_limit=time_limit, mip_gap=mip_gap,
                weights=weighted, lexicographic=order, verbose=verbose,
                starts=starts, device=device, seed=seed, iterations=iterations,
                tolerance=tolerance, optimizer=optimizer, solver=solver, samples=samples,
                temperature=temperature, training=training, compare=compare)
    except ArgumentError as exc:
        _usage(exc)
    except DiagnosticError as exc:
        _fail(exc, as_json, ExitCode.MODEL_ERROR)
    except (BackendError, MissingExtra) as exc:
        _fail(exc, as_json, ExitCode.NO_SOLUTION)
    if as_json:
        result.write_json(sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_warnings(result.problem)
        _print_result(result, show_all)
        if duals:
            _print_rows(result, show_all)
        combined = weights or order or result.problem.weights or result.problem.lexicographic
        if not combined and len(result.objectives) > 1:
            out.print(_one_end_note(result), markup=False)
    if output is not None:
        try:
            write_answer(result, output, output_format or "csv")
        except OutputError as exc:  # the answer is printed above: only the files failed
            _output_failed("--output", str(exc), False)
    raise typer.Exit(int(result.exit_code))


def _prepare_output(output: Path | None, fmt: str | None, pareto: int | None,
                    as_json: bool) -> None:
    """Refuse a bad --output or --format before solving, so no answer is lost."""
    if output is None:
        if fmt is not None:
            _output_failed("--format", "says how --output writes: give --output DIR too",
                           as_json)
        return
    if pareto is not None:
        _output_failed("--output", "writes one answer: not with --pareto", as_json)
    if fmt is not None and fmt not in WRITERS:
        _output_failed("--format", f"`{fmt}` is not one of {', '.join(WRITERS)}", as_json)
    try:
        prepare(output, fmt or "csv")
    except OutputError as exc:
        _output_failed("--output", str(exc), as_json)
    except MissingExtra as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(int(ExitCode.NO_SOLUTION)) from None


def _output_failed(flag: str, message: str, as_json: bool) -> NoReturn:
    """A usage error (exit 2) on one plain line, as `--plot`'s."""
    if as_json:
        print(json.dumps({"status": "error", "errors": [{"message": message}]}, indent=2))
    err.print(f"{flag}: {message}", markup=False)
    raise typer.Exit(2)

def _one_end_note(result: Result) -> str:
    """What a solve of several objectives without a flag returned, and how to ask for more."""
    first, *rest = (o.name for o in result.problem.objectives)
    names = ",".join([first, *rest])
    return (f"note: {len(rest) + 1} objectives and no --weights or --lexicographic, so "
            f"{first} alone was optimised: this is the end of the trade-off best for "
            f"{first}, and {', '.join(rest)} is only evaluated there. --pareto 10 lists "
            f"the trade-off; --lexicographic {names} or --weights "
            f"{','.join(f'{n}=1' for n in [first, *rest])} picks one point of it.")


def _print_rows(result: Result, show_all: bool) -> None:
    """`--duals`: each constraint row's dual (LPs only) and slack, binding rows first."""
    rows = constraint_rows(result)
    if not rows:
        return
    table = Table(title="constraints", title_justify="left")
    for column, justify in (("constraint", "left"), ("index", "left"), ("dual", "right"),
                            ("slack", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in rows[:200] if not show_all else rows:
        table.add_row(_cell(r.constraint), _cell(", ".join(map(str, r.index))),
                      "" if r.dual is None else shown(r.dual),
                      "" if r.slack is None else shown(r.slack))
    out.print(table)
    if not show_all and len(rows) > 200:
        out.print(f"({len(rows) - 200} further rows not shown; --all shows them)")
    if all(r.dual is None for r in rows):
        out.print(f"(duals are given for LPs only; this model is "
                  f"{result.problem.problem_class.value})", markup=False)


def _decisions(r: Result, most: int = 8) -> str:
    """A point's nonzero values in one cell: `take[tent] = 1, ...`."""
    x = r.solution.values
    if x is None:
        return ""
    nonzero = [j for j in np.nonzero(np.abs(x) >= 1e-6)[0] if shown(x[j]) != "0"]
    words = [f"{r.problem.column_name(int(j))} = {shown(x[j])}" for j in nonzero[:most]]
    if len(nonzero) > most:
        words.append(f"and {len(nonzero) - most} more")
    return ", ".join(words)


@app.command(cls=_Command)
@_interruptible
def check(model: ModelPath, data: DataOption = None,
          max_size: MaxSizeOption = DEFAULT_MAX_SIZE) -> None:
    """Parse and check a model against its data, without solving it."""
    try:
        problem = api.check(model, data, max_size=max_size)
    except ArgumentError as exc:
        _usage(exc)
    except DiagnosticError as exc:
        _fail(exc, False, ExitCode.MODEL_ERROR)
    _print_warnings(problem)
    out.print(printable(f"{model}: ok - {problem.problem_class.value}, "
                        f"{_count(problem.n_vars, 'variable')}, "
                        f"{_count(problem.n_rows, 'constraint row')}, "
                        f"{_count(len(problem.objectives), 'objective')}"
                        + _lowered_size(problem)), markup=False)


def _lowered_size(problem: Problem) -> str:
    """What the solver gets once logic, abs/max/min and pwl are rewritten as rows."""
    low = problem.lowered
    if low is None:
        return ""
    return (f" (solved as {_count(low.n_vars, 'column')} and {_count(low.n_rows, 'row')}, "
            "with the auxiliaries of its rewritten constructs)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command(cls=_Command)
def solvers() -> None:
    """List the solvers, whether each is installed here, and what it solves."""
    table = Table(title="solvers (auto prefers the first installed that takes a class)",
                  title_justify="left")
    for column in ("solver", "installed", "through", "classes", "optimality", "to install"):
        table.add_column(column)
    for row in available_solvers():
        table.add_row(row.name, "yes" if row.installed else "no", row.through,
                      " ".join(row.classes), row.proves_optimality,
                      "" if row.installed else _cell(row.install))
    out.print(table)
    out.print("ipopt has two rows: `--backend ipopt` runs it through cyipopt with exact "
              "derivatives from torch; `--backend pyomo --solver ipopt` runs it through Pyomo "
              "(an `ipopt` executable or PyNumero).", markup=False)
    if not pyomo_installed():
        out.print(f"Pyomo is not installed, so no solver reached through it runs here: "
                  f"{install_line('pyomo')} brings Pyomo and SCIP.", markup=False)


@app.command(cls=_Command)
def show(
    model: ModelPath,
    latex: Annotated[bool, typer.Option("--latex", help="LaTeX (align* environments).")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown with $$ math.")] = False,
    data: DataOption = None,
) -> None:
    """Print the model as mathematics: sets, parameters, variables, objective, constraints."""
    try:
        text = api.show(model, "latex" if latex else "markdown" if markdown else "text", data)
    except DiagnosticError as exc:
        _fail(exc, False, ExitCode.MODEL_ERROR)
    sys.stdout.write(printable(text, lines=True))


@app.command(cls=_Command)
@_interruptible
def export(
    model: ModelPath,
    output: Annotated[Path, typer.Option("--output", "-o", help="model.lp, .mps or .nl.")],
    data: DataOption = None,
    max_size: MaxSizeOption = DEFAULT_MAX_SIZE,
) -> None:
    """Write the grounded model in a standard format (.lp, .mps with HiGHS; .nl with Pyomo)."""
    try:
        api.export(model, output, data, max_size=max_size)
    except ArgumentError as exc:
        _usage(exc)
    except DiagnosticError as exc:
        _fail(exc, False, ExitCode.MODEL_ERROR)
    except BackendError as exc:
        _fail(exc, False, ExitCode.NO_SOLUTION)
    except OutputError as exc:
        _fail(exc, False, ExitCode.OUTPUT_ERROR)
    out.print(printable(f"wrote {output}"), markup=False)


@app.command(cls=_Command)
def fmt(
    models: Annotated[list[Path], typer.Argument(help="Model files.", exists=True,
                                                 dir_okay=False, metavar="MODEL.opt")],
    write: Annotated[bool, typer.Option("--write", "-w", help="Rewrite the files.")] = False,
    check_only: Annotated[bool, typer.Option(
        "--check", help="Exit 1 if a file is not formatted.")] = False,
) -> None:
    """Print models in canonical form (round-trip safe)."""
    unformatted = []
    for path in models:
        try:
            text = read_model(path)
            formatted = format_source(text, str(path))
        except DiagnosticError as exc:
            _fail(exc, False, ExitCode.MODEL_ERROR)
        except ValueError as exc:
            message = str(exc)
            err.print(printable(message if message.startswith(str(path))
                                else f"{path}: {message}", lines=True), markup=False)
            raise typer.Exit(int(ExitCode.MODEL_ERROR)) from None
        if check_only:
            if formatted.encode("utf-8") != path.read_bytes():  # a BOM or "\r\n" is unformatted
                unformatted.append(path)
        elif write:
            try:
                write_atomic(path, formatted)
            except OutputError as exc:
                _fail(exc, False, ExitCode.OUTPUT_ERROR)
        else:
            sys.stdout.write(formatted)
    if unformatted:
        for path in unformatted:
            err.print(printable(f"{path}: not formatted"), markup=False)
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
        except MissingExtra as exc:
            _fail(exc, as_json, ExitCode.NO_SOLUTION)
    sampled = backend == "gflownet"
    exact: list[Result] = []
    try:
        with stdout_to_stderr(as_json):
            loaded = api.load(model, data, max_size=max_size)
            front = loaded.pareto(points, backend, order or None, time_limit=time_limit,
                                  mip_gap=mip_gap, **(sampler if sampled else {}))
            if compare and sampled and front and front[0].verified \
                    and not front.interrupted:
                exact = loaded.pareto(points, "highs", order or None,
                                      time_limit=time_limit, mip_gap=mip_gap)
    except ArgumentError as exc:
        _usage(exc)
    except DiagnosticError as exc:
        _fail(exc, as_json, ExitCode.MODEL_ERROR)
    except (BackendError, MissingExtra) as exc:
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
        status = "interrupted" if front.interrupted else "complete"
        print(json.dumps({"status": status, "pareto": [r.to_dict() for r in front],
                          **measures, **extra}, indent=2))
        raise typer.Exit(int(code))
    if not front or not front[0].verified:
        if front:
            _print_result(front[0], False)
        raise typer.Exit(int(code))
    title = f"Pareto front of {front[0].problem.name}"
    if front.interrupted:
        title += " (interrupted: the points found so far)"
    table = Table(title=_cell(title), title_justify="left")
    names = list(front[0].objectives)
    table.add_column("point", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("check")
    table.add_column("decisions (nonzero values)")
    for i, r in enumerate(front, start=1):
        table.add_row(str(i), *(shown(r.objectives[n]) for n in names),
                      "feasible" if r.verified else "VIOLATED", _cell(_decisions(r)))
    out.print(table)
    if summary is not None and summary.reference is not None:
        where = ", ".join(f"{n} {shown(v)}" for n, v in summary.reference.items())
        out.print(f"hypervolume {shown(summary.hypervolume or 0.0)} against the reference point "
                  f"({where})", markup=False)
    if comparison is not None and summary is not None:
        if comparison["hypervolume"] is None:
            out.print(printable(f"compare: {comparison['message']}"), markup=False)
        else:
            share = (summary.hypervolume or 0.0) / comparison["hypervolume"] \
                if comparison["hypervolume"] else float("nan")
            out.print(f"exact front (highs): {comparison['points']} points, hypervolume "
                      f"{comparison['hypervolume']:.6g}; the sampled front holds "
                      f"{comparison['found']} of them and {100 * share:.4g}% of that "
                      "hypervolume", markup=False)
    if plot is not None:
        out.print(printable(f"front drawn to {plot}"), markup=False)
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
    err.print(printable(f"--plot: {exc}"), markup=False)
    raise typer.Exit(2)


def _print_warnings(problem: Problem) -> None:
    source = {problem.model.file: problem.model.source}
    for w in problem.warnings:
        err.print(w.render(source.get(w.span.file) if w.span else None), markup=False)


def _print_result(result: Result, show_all: bool) -> None:
    problem = result.problem
    summary = Table.grid(padding=(0, 2))
    summary.add_row("model", _cell(problem.name))
    summary.add_row("class", problem.problem_class.value)
    summary.add_row("backend", result.solution.backend)
    summary.add_row("status", result.status)
    for name, value in result.objectives.items():
        summary.add_row(_cell(f"objective {name}"), shown(value))
    if result.solution.has_point:
        for o in problem.objectives:
            if o.name not in result.objectives:
                summary.add_row(_cell(f"objective {o.name}"),
                                "undefined or too large at this point")
    if result.report is not None:
        verdict = ("feasible (max violation "
                   f"{result.report.max_violation:.2g} within tolerance "
                   f"{result.report.tolerance:.2g}, {result.report.rows_checked} rows)"
                   if result.report.feasible else
                   f"VIOLATED: {len(result.report.violations)} violation(s)")
        summary.add_row("check", verdict)
    if result.solution.message:
        summary.add_row("note", _cell(result.solution.message))
    if result.comparison is not None:
        summary.add_row("compare", _cell(_comparison_text(result.comparison)))
    out.print(summary)
    if result.solution.conflict is not None:
        out.print(result.solution.conflict.describe(), markup=False)
    if result.report is not None and not result.report.feasible:
        for v in result.report.violations[:20]:
            out.print("  " + printable(v.describe()), markup=False)
    if result.solution.values is None:
        return
    table = Table(title="solution", title_justify="left")
    table.add_column("variable")
    table.add_column("index")
    table.add_column("value", justify="right")
    listed = hidden = 0
    universe = result.problem.universe
    for answer in result.answers():  # variables, then defined variables
        block = answer.values
        rows, left = nonzero_rows(block, show_all, 200 - listed, zero=TOLERANCE)
        hidden += left
        listed += len(rows)
        cols = [c.tolist() for c in key_columns(universe, answer.keys[rows])]
        for key, value in zip(zip(*cols, strict=True) if cols else [()] * len(rows),
                              block[rows].tolist(), strict=True):
            # Names and members are the user's text, never rich markup.
            table.add_row(_cell(answer.name), _cell(", ".join(map(str, key))), shown(value))
    out.print(table)
    if hidden:
        out.print(f"({hidden} zero or further values not shown; --all or --json shows them)")
    if len(result.samples) > 1:
        _print_samples(result)


def _comparison_text(c: dict[str, Any]) -> str:
    if c.get("gap") is None:
        return f"no optimum to compare with: {c.get('message', '')}"
    return f"{c['backend']} optimum {shown(c['optimum'])}, gap {100 * c['gap']:.3g}%"


def _print_samples(result: Result) -> None:
    """The distinct points, best first, each told by how it differs from the best."""
    problem, best = result.problem, result.samples[0].solution.values
    assert best is not None
    table = Table(title=f"{len(result.samples)} distinct verified solutions",
                  title_justify="left")
    names = list(result.samples[0].objectives)
    table.add_column("#", justify="right")
    for name in names:
        table.add_column(_cell(name), justify="right")
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
                words.append(f"{label} = {shown(x[j])}")
        if len(changed) > 6:
            words.append(f"and {len(changed) - 6} more")
        table.add_row(str(i), *(shown(r.objectives[n]) for n in names),
                      _cell(", ".join(words)))
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


@app.command(cls=_Command)
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

    text = _stdin_text() if question == "-" else question
    agent = _agent(model, base_url, api_key, timeout, max_repairs, samples,
                   lambda a: err.print(printable(a.summary()), markup=False))
    folder = RunFolder.create(_writable_folder(runs_dir), text)
    err.print(f"run folder: {folder.path}", markup=False)
    try:
        found = agent.run(text, folder)
    except LLMError as exc:
        if as_json:  # one JSON object on stdout whatever happened, as `solve --json`
            print(json.dumps({"status": "error", "errors": [{"message": str(exc)}],
                              "run_dir": str(folder.path)}, indent=2))
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(int(ExitCode.NO_SOLUTION)) from None
    except FormalizationFailed as exc:
        if as_json:
            print(json.dumps(exc.to_dict(), indent=2))
        err.print(printable(str(exc), lines=True), markup=False)
        raise typer.Exit(int(exc.exit_code)) from None
    if as_json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        _print_answer(found)
    raise typer.Exit(int(found.result.exit_code))


def _print_answer(found: FormalizationResult) -> None:
    """The model, the verdict, then what `solve` shows, and the model's assumptions."""
    out.print(printable(found.model_text, lines=True), markup=False)
    agreed = (f"; {found.agreeing} of {found.samples} samples agree"
              if found.samples > 1 else "")
    verdict = ("infeasible as stated: the model was kept unchanged after its conflict was "
               "shown" if found.infeasible else f"verified after {found.repairs} repair(s)")
    out.print(f"{verdict}{agreed}; run folder: {found.run_dir}", markup=False)
    _print_result(found.result, False)
    if found.assumptions:
        out.print("assumptions (not given by the question):", markup=False)
        for text in found.assumptions:
            out.print(f"  - {printable(text)}", markup=False)


@app.command("eval", cls=_Command)
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
    ray: Annotated[bool, typer.Option(
        "--ray", help="Run the problems as Ray tasks: on a local Ray of --concurrency CPUs, "
                      "or on the cluster at --address.")] = False,
    address: Annotated[str | None, typer.Option(
        help="With --ray: the cluster to join; RAY_ADDRESS when left out.")] = None,
) -> None:
    """Run the agent over benchmark files and score it against the gold answers."""
    from optiform.agents.evaluation import DEFAULT_TOLERANCE, DatasetError, evaluate_files
    from optiform.agents.evaluation import summary_table as eval_table
    from optiform.agents.llm import LLMError

    try:
        tolerance = DEFAULT_TOLERANCE if tolerance is None else number("tolerance", tolerance)
    except ArgumentError as exc:
        _usage(exc)
    agent = _agent(model, base_url, api_key, timeout, max_repairs, samples)
    runs_dir = _writable_folder(runs_dir)
    if address is not None and not ray:
        raise typer.BadParameter("joins a Ray cluster: give --ray too", param_hint="--address")
    engine = _eval_on_ray(agent, model, base_url, api_key, timeout, concurrency,
                          address) if ray else None
    try:
        summaries = evaluate_files(datasets, agent, runs_dir, output=output,
                                   concurrency=concurrency, tolerance=tolerance, limit=limit,
                                   question_field=question_field, answer_field=answer_field,
                                   console=err, engine=engine)
    except (MissingExtra, EngineError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(int(ExitCode.NO_SOLUTION)) from None
    except DatasetError as exc:
        err.print(printable(f"error: {exc}", lines=True), markup=False)
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
    if any(s.errors for s in summaries):  # an incomplete evaluation is not a result
        raise typer.Exit(int(ExitCode.NO_SOLUTION))


def _stdin_text() -> str:
    """The question from standard input (`ask -`), which must be UTF-8 text."""
    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.read() if stream is not None else (sys.stdin.read() if sys.stdin else "")
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise typer.BadParameter(f"standard input is not UTF-8 text: byte "
                                 f"0x{raw[exc.start]:02x} at offset {exc.start}",
                                 param_hint="QUESTION") from None


def _writable_folder(path: Path) -> Path:
    """--runs-dir, made if missing and tried for writing before any request is sent."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except (FileExistsError, NotADirectoryError):
        raise typer.BadParameter(f"`{path}` is a file, not a folder",
                                 param_hint="--runs-dir") from None
    except OSError as exc:
        raise typer.BadParameter(f"cannot write in `{path}`: {exc.strerror}",
                                 param_hint="--runs-dir") from None
    return path



def _eval_on_ray(agent: Agent, model: str | None, base_url: str | None,
                 api_key: str | None, timeout: float, cpus: int,
                 address: str | None) -> Any:
    """`eval --ray`'s engine: the agent rebuilt in each Ray worker from its recipe."""
    from optiform.agents.llm import Endpoint
    from optiform.agents.remote import AgentRecipe, on_ray

    recipe = AgentRecipe(Endpoint.resolve(model, base_url, api_key), timeout, agent.options)
    return on_ray(recipe, cpus, address or os.environ.get("RAY_ADDRESS"),
                  lambda line: err.print(line, markup=False))


app.command(cls=_Command)(batch)


def main() -> None:
    app()

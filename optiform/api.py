"""The verbs: parse, check, compile, solve, verify; the CLI and Python share them.

`load(path, data=...)` returns a `Model`; `Model.solve()` compiles it,
chooses a backend for its class, solves, and checks the point with the
independent checker, returning a `Result`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from optiform import arguments as arg
from optiform.backends import BackendError, SolveOptions, auto_note, choose, write
from optiform.backends.base import objective_stages
from optiform.compiler.evaluate import DEFAULT_MAX_SIZE
from optiform.compiler.instantiate import instantiate
from optiform.compiler.ir import INTEGRAL_DOMAINS, SEMI_DOMAINS, Objective, Problem
from optiform.compiler.logic import is_logical
from optiform.compiler.lowering.auxiliary import restored_objectives
from optiform.diagnostics import Diagnostic, DiagnosticError, Span, suggest
from optiform.display import data_summaries
from optiform.dsl import ast as A
from optiform.dsl.data import DataItem, load_data
from optiform.dsl.parser import parse, parse_file
from optiform.dsl.tabular import from_pandas, is_frame_like
from optiform.pareto import hypervolume, non_dominated, reference_point, spread
from optiform.solution import Result, ResultStatus, Solution, TerminationStatus
from optiform.verify import ViolationReport, verify

if TYPE_CHECKING:
    from optiform.dsl.symbolic import SymbolicModel

DataArg = str | Path | Mapping[str, Any] | None


@dataclass
class Model:
    """A parsed model with its data, ready to compile and solve."""

    decl: A.ModelDecl
    data: dict[str, DataItem] = field(default_factory=dict)
    max_size: int = DEFAULT_MAX_SIZE
    _problem: Problem | None = None

    def __post_init__(self) -> None:
        # `Model(decl, data={...})` with plain values (pandas ones too) reads them as
        # `load`'s `data=` does.
        if any(not isinstance(v, DataItem) for v in self.data.values()):
            self.data = _data(self.data, self.decl)

    @property
    def name(self) -> str:
        return self.decl.name

    def __repr__(self) -> str:
        # a line for a notebook, not the syntax tree
        d = self.decl
        counts = ", ".join(f"{len(items)} {what}{'' if len(items) == 1 else 's'}"
                           for what, items in (
            ("set", d.sets), ("parameter", d.parameters), ("variable", d.variables),
            ("objective", d.objectives), ("constraint", d.constraints)))
        data = f", data for {len(self.data)}" if self.data else ""
        return f"<Model {d.name} from {d.file}: {counts}{data}>"

    def to_sympy(self) -> SymbolicModel:
        """Each objective and constraint family as sympy expressions over `IndexedBase`s
        and `Sum`s (see optiform/dsl/symbolic.py for how sets become ranges)."""
        from optiform.dsl.symbolic import to_sympy  # sympy loads only when asked for

        return to_sympy(self.decl)

    def compile(self) -> Problem:
        if self._problem is None:
            self._problem = instantiate(self.decl, self.data, self.max_size)
        return self._problem

    def solve(self, backend: str = "auto", *, time_limit: float | None = None,
              mip_gap: float | None = None, weights: Mapping[str, float] | None = None,
              lexicographic: Sequence[str] | None = None, verbose: bool = False,
              solver: str | None = None, starts: int | None = None,
              device: str | None = None, seed: int = 0, iterations: int | None = None,
              tolerance: float | None = None, optimizer: str | None = None,
              samples: int | None = None, temperature: float | None = None,
              training: str | None = None, compare: bool = False) -> Result:
        """Solve with `backend` (auto, highs, pyomo, ipopt, torch, gflownet); `solver`
        names Pyomo's solver; `starts` to `optimizer` steer the local NLP methods,
        `samples`, `temperature` and `training` the sampler (see SolveOptions);
        `compare` also solves with HiGHS and reports the gap of this answer to its
        optimum."""
        options = SolveOptions(
            _time_limit(time_limit),
            arg.optional_number("mip_gap", mip_gap), arg.weights("weights", weights),
            arg.names("lexicographic", lexicographic), verbose=arg.flag("verbose", verbose),
            starts=arg.optional_integer("starts", starts, 1, arg.MAX_STARTS),
            device=arg.device("device", device), seed=arg.integer("seed", seed, 0, arg.MAX_SEED),
            iterations=arg.optional_integer("iterations", iterations, 1, arg.MAX_ITERATIONS),
            tolerance=arg.optional_number("tolerance", tolerance, positive=True),
            optimizer=arg.optional_text("optimizer", optimizer),
            samples=arg.optional_integer("samples", samples, 1, arg.MAX_SAMPLES),
            temperature=arg.optional_number("temperature", temperature, positive=True),
            training=arg.optional_text("training", training))
        arg.text("backend", backend)
        arg.optional_text("solver", solver)
        arg.flag("compare", compare)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        problem = self.compile()
        timings["compile"] = time.perf_counter() - t0
        result = solve(problem, backend, options, timings, solver)
        if compare:
            result.comparison = comparison(result, options)
        return result

    def pareto(self, points: int = 10, backend: str = "auto",
               objectives: Sequence[str] | None = None, *, time_limit: float | None = None,
               mip_gap: float | None = None, seed: int = 0, iterations: int | None = None,
               temperature: float | None = None, device: str | None = None,
               training: str | None = None) -> Front:
        """Points of the trade-off between two or three objectives (see `pareto`); with
        backend `gflownet`, sampled (`seed` to `device` and `training` steer the sampler)."""
        options = SolveOptions(
            _time_limit(time_limit),
            arg.optional_number("mip_gap", mip_gap),
            seed=arg.integer("seed", seed, 0, arg.MAX_SEED),
            iterations=arg.optional_integer("iterations", iterations, 1, arg.MAX_ITERATIONS),
            temperature=arg.optional_number("temperature", temperature, positive=True),
            device=arg.device("device", device), training=arg.optional_text("training", training))
        return pareto(self.compile(), points, backend, options, objectives)


def load(path: str | Path, data: DataArg = None, *,
         max_size: int = DEFAULT_MAX_SIZE) -> Model:
    """Parse a model file; `data` is a data file/folder path or a mapping of values.

    `max_size` bounds the rows one index expansion may create while grounding.
    """
    model_path = arg.path("path", path)
    size = arg.integer("max_size", max_size, 1, arg.MAX_SIZE)
    decl = parse_file(model_path)
    return Model(decl, _data(data, decl), size)


def loads(text: str, data: DataArg = None, file: str = "<model>", *,
          max_size: int = DEFAULT_MAX_SIZE) -> Model:
    """Parse model text given as a string."""
    source, name = arg.text("text", text), arg.text("file", file)
    size = arg.integer("max_size", max_size, 1, arg.MAX_SIZE)
    decl = parse(source, name)
    return Model(decl, _data(data, decl), size)


def _data(data: DataArg, decl: A.ModelDecl) -> dict[str, DataItem]:
    """Data items by name; a pandas value becomes tables of arrays, read by what the
    model declares its name as (dsl/tabular.py)."""
    arg.data("data", data)
    if data is None:
        return {}
    if isinstance(data, (str, Path)):
        return load_data(data)
    items: dict[str, DataItem] = {}
    sets = {s.name for s in decl.sets}
    params = {p.name for p in decl.parameters}
    for k, v in data.items():
        given = (from_pandas(k, v, sets, params) if is_frame_like(v)
                 else [DataItem(k, v, Span("<data>", 1, 1))])
        for item in given:
            if item.name in items:  # a key and a frame's column, or two frames' columns
                raise DiagnosticError([Diagnostic(
                    f"`{item.name}` is given twice: by {_given_by(items[item.name])} and "
                    f"by {_given_by(item)}", item.span,
                    "keep one of the two: the data never silently picks one", kind="data")])
            items[item.name] = item
    return items


def _given_by(item: DataItem) -> str:
    file = item.span.file
    return f'data["{item.name}"]' if file == "<data>" else file


def check(path: str | Path, data: DataArg = None, *,
          max_size: int = DEFAULT_MAX_SIZE) -> Problem:
    """Parse, resolve and ground a model without solving it."""
    return load(path, data, max_size=max_size).compile()


def show(path: str | Path, style: str = "text", data: DataArg = None) -> str:
    """The model as mathematics (text, latex or markdown): from the file alone, or
    with what `data` gives the sets and parameters the model leaves to it."""
    from optiform.dsl.render import render  # sympy, its printer, loads only for `show`

    arg.choice("style", style, ("text", "latex", "markdown"))
    if data is None:
        return render(parse_file(arg.path("path", path)), style)
    model = load(path, data)
    return render(model.decl, style, data_summaries(model.compile(), set(model.data)))


def export(path: str | Path, out: str | Path, data: DataArg = None, *,
           max_size: int = DEFAULT_MAX_SIZE) -> Path:
    """Ground a model over its data and write it as .lp, .mps or .nl (by `out`'s suffix)."""
    arg.path("out", out)
    problem = load(path, data, max_size=max_size).compile()
    write(problem.lowered or problem, out)
    return Path(out)


def solve(problem: Problem, backend: str = "auto", options: SolveOptions | None = None,
          timings: dict[str, float] | None = None, solver: str | None = None) -> Result:
    """Solve a compiled problem (`Model.compile()`) and check the point; `Model.solve`
    takes the options one by one."""
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem (Model.compile()), not "
                        f"{type(problem).__name__}")
    if options is not None and not isinstance(options, SolveOptions):
        raise TypeError(f"options: expected SolveOptions, not {type(options).__name__}")
    arg.text("backend", backend)
    arg.optional_text("solver", solver)
    # The clock starts here: finding the backend may import it (Pyomo, torch), and that
    # counts against the time limit too.
    options = (options or SolveOptions()).started()
    if not options.weights and not options.lexicographic:  # the model's own combination
        options = replace(options, weights=dict(problem.weights),
                          lexicographic=problem.lexicographic)
    timings = dict(timings or {})
    _check_objectives(problem, options)
    if problem.n_vars == 0:
        return _without_variables(problem, timings)
    t0 = time.perf_counter()
    chosen = choose(problem, backend, solver)  # its imports count in the solve's time
    if "lowered" not in chosen.capabilities:
        _as_written(problem, chosen.name)
        solution = chosen.solve(problem, options)
    elif problem.lowered is not None:
        solution = restore(chosen.solve(problem.lowered, options), problem)
    else:
        solution = chosen.solve(problem, options)
    timings["solve"] = time.perf_counter() - t0
    if backend == "auto" and (note := auto_note(problem, chosen)):
        solution.message = f"{note}; {solution.message}" if solution.message else note
    report: ViolationReport | None = None
    if solution.has_point:
        t0 = time.perf_counter()
        assert solution.values is not None
        report = verify(problem, solution.values, reported=solution.objective_values)
        timings["check"] = time.perf_counter() - t0
    result = Result(problem, solution, report, timings)
    if solution.alternatives:
        result.samples = _checked_samples(result)
    return result


def _as_written(problem: Problem, backend: str) -> None:
    """A backend that reads the expressions as written cannot take a logical constraint,
    a piecewise-linear function or a semi-continuous domain."""
    semi = next((v for v in problem.variables if v.domain in SEMI_DOMAINS), None)
    if semi is not None:
        raise BackendError(f"backend `{backend}` takes no {semi.domain} variables, such as "
                           f"`{semi.name}`; use --backend highs or pyomo")
    logical = next((c for c in problem.constraints if is_logical(c.decl.expr)), None)
    if logical is not None:
        line = f" (line {logical.decl.span.line})" if logical.decl.span else ""
        raise BackendError(f"backend `{backend}` reads the model as written and takes no "
                           f"implication or disjunction, such as `{logical.name}`{line}; "
                           "use --backend highs or pyomo, which solve the compiled MILP")
    decls: list[A.ObjectiveDecl | A.ConstraintDecl] = [
        *(o.decl for o in problem.objectives), *(c.decl for c in problem.constraints)]
    for decl in decls:
        if any(isinstance(node, A.Call) and node.func == "pwl" for node in _nodes(decl.expr)):
            raise BackendError(f"backend `{backend}` reads the model as written and takes no "
                               f"`pwl`, as in `{decl.name}`; use --backend highs or pyomo, "
                               "which solve the compiled MILP")


def _nodes(e: A.Expr) -> list[A.Expr]:
    out, stack = [], [e]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(A.children(node))
    return out


def restore(solution: Solution, problem: Problem) -> Solution:
    """A solution of the lowered model as one of `problem`: the auxiliary columns and
    rows, which come after the user's, dropped."""
    n = problem.n_vars
    names = {c.name for c in problem.constraints}
    objectives = (solution.objective_values if solution.values is None else
                  restored_objectives(problem, solution.values, solution.objective_values))
    return replace(
        solution, objective_values=objectives,
        values=None if solution.values is None else solution.values[:n],
        reduced_costs=None if solution.reduced_costs is None else solution.reduced_costs[:n],
        duals=None if solution.duals is None else {
            k: v for k, v in solution.duals.items() if k in names},
        alternatives=[x[:n] for x in solution.alternatives])


def _checked_samples(result: Result) -> list[Result]:
    """A sampler's points, each checked by the checker; only those it passes are kept."""
    first = result.solution
    points = [Result(result.problem, first, result.report)]
    for x in first.alternatives:
        report = verify(result.problem, x)
        points.append(Result(result.problem, replace(
            first, objective_values=dict(report.objectives), values=x, alternatives=[]),
            report))
    return [r for r in points if r.verified]


def comparison(result: Result, options: SolveOptions) -> dict[str, Any]:
    """HiGHS's optimum of the same model and options, and the relative gap of `result`'s
    objective to it (|value - optimum| / |optimum|; absolute when the optimum is 0)."""
    problem = result.problem
    try:
        exact = solve(problem, "highs", replace(options, samples=None, front=None))
    except BackendError as exc:
        return {"backend": "highs", "optimum": None, "gap": None, "message": str(exc)}
    if exact.solution.termination is not TerminationStatus.OPTIMAL or not exact.verified:
        return {"backend": "highs", "optimum": None, "gap": None,
                "message": f"HiGHS ended {exact.status}: {exact.solution.message}".strip()}
    stage = objective_stages(problem, options)[0]
    mine, best = (sum(w * r.objectives.get(name, math.nan) for name, w in stage.items())
                  for r in (result, exact))
    gap = abs(mine - best) / abs(best) if abs(best) > 1e-9 else abs(mine - best)
    return {"backend": "highs", "optimum": best, "value": mine, "gap": gap,
            "message": ""}


def _without_variables(problem: Problem, timings: dict[str, float]) -> Result:
    """Every variable's index is empty: nothing to solve, only constants to check."""
    report = verify(problem, np.zeros(0))
    if not report.feasible:
        rows = ", ".join(v.describe() for v in report.violations[:5])
        solution = Solution(TerminationStatus.INFEASIBLE, ResultStatus.NO_SOLUTION, {}, None,
                            "none", message=f"the model has no variables and these "
                            f"constraints are false: {rows}")
        return Result(problem, solution, None, timings)
    solution = Solution(TerminationStatus.OPTIMAL, ResultStatus.FEASIBLE_POINT,
                        dict(report.objectives), np.zeros(0), "none",
                        message="the model has no variables (every variable's index is "
                        "empty), so its objective is a constant")
    return Result(problem, solution, report, timings)


def pareto(problem: Problem, points: int = 10, backend: str = "auto",
           options: SolveOptions | None = None,
           objectives: Sequence[str] | None = None) -> Front:
    """The trade-off between two or three objectives, by the epsilon-constraint method.

    `objectives` names them in order (all of the model's by default). The first
    is optimised while the others are bounded; each solve is lexicographic in
    that order, so that no point returned is weakly dominated.

    Two objectives: the ends are the lexicographic optima in each order. Where
    the second objective can only take whole values apart from its constant
    (its coefficients are integers and every variable in it is integer or
    binary), the sweep walks from the first objective's best end, bounding the
    second one step better than the last point found (`value - 1` when it is
    minimised, `value + 1` when maximised): this finds every non-dominated
    point, and they are all returned when `points` is at least their number.
    When the walk shows there are more, the second objective is instead bounded
    at `points` whole values spread evenly from end to end (repeats dropped).
    Otherwise the bounds are `points` evenly spaced values between the ends.

    Three objectives: where the second and third can only take whole values,
    the two-objective walk of the first two runs under a bound on the third,
    then again with that bound one step better than the worst third value
    found, until nothing is left (Ozlen and Azizoglu's recursion): every
    non-dominated point, with up to about points^2 solves. When that finds more
    than `points`, or for other models, the second and third objectives are
    bounded over a grid of ceil(sqrt(points)) values each (whole values where
    they can only take whole values), between each one's best and worst values
    at the three lexicographic optima (the payoff table); a point whose second
    or third value lies beyond that box can then be missed.

    Each point is exact up to the solver's MIP gap (`mip_gap`). Returns the
    distinct verified non-dominated points, from the first objective's best
    end; if an end cannot be found, that one unverified result alone.

    Backend `gflownet` samples the front instead (`_sampled_front`): no
    optimality is claimed, and each point is still checked.

    Ctrl-C (or SIGTERM) stops the sweep: the `Front` then holds the
    non-dominated points found so far and says `interrupted`.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem (Model.compile()), not "
                        f"{type(problem).__name__}")
    arg.integer("points", points, hi=arg.MAX_SAMPLES)  # under 2: the diagnostic below
    arg.text("backend", backend)
    if options is not None and not isinstance(options, SolveOptions):
        raise TypeError(f"options: expected SolveOptions, not {type(options).__name__}")
    base = options or SolveOptions()
    names = list(arg.names("objectives", objectives) or [o.name for o in problem.objectives])
    if len(set(names)) != len(names) or len(names) not in (2, 3) or points < 2:
        twice = [n for n in dict.fromkeys(names) if names.count(n) > 1]
        have = (f"`{twice[0]}` is named twice" if twice
                else f"{len(names)} objective(s) were named" if objectives
                else f"the model has {len(problem.objectives)} objective(s)")
        raise DiagnosticError([Diagnostic(
            f"a Pareto front needs two objectives (or three) and at least two points; "
            f"{have}", None,
            "name the two objectives to trade off, e.g. `--pareto 10 --lexicographic a,b`")])
    _check_objectives(problem, replace(base, lexicographic=tuple(names)))
    if backend == "gflownet":
        sampled = _sampled_front(problem, names, points, base)
        interrupted = sampled[0].solution.termination is TerminationStatus.INTERRUPTED
        return Front(sampled, interrupted=interrupted)
    done: list[Result] = []

    def run(bounds: dict[str, float], order: Sequence[str]) -> Result:
        result = solve(problem, backend, replace(base, weights={}, lexicographic=tuple(order),
                                                 objective_bounds=bounds))
        done.append(result)
        if result.solution.termination is TerminationStatus.INTERRUPTED:
            raise _SweepInterrupted
        return result

    sweep = _two_objectives if len(names) == 2 else _three_objectives
    try:
        return Front(sweep(problem, names, points, run))
    except (_SweepInterrupted, KeyboardInterrupt):
        # One Ctrl-C stops the whole sweep, not one solve of it: the points so far.
        found = _front(done, problem, names)
        return Front(found or [r for r in done if r.solution.has_point][-1:] or done[-1:],
                     interrupted=True)


class Front(list[Result]):
    """`pareto`'s points; `interrupted` when Ctrl-C or SIGTERM stopped the sweep, which
    then holds the non-dominated points found so far."""

    def __init__(self, points: Sequence[Result] = (), interrupted: bool = False) -> None:
        super().__init__(points)
        self.interrupted = interrupted


class _SweepInterrupted(Exception):
    """A solve of the sweep came back interrupted."""


Run = Callable[[dict[str, float], Sequence[str]], Result]


def _sampled_front(problem: Problem, names: list[str], points: int,
                   options: SolveOptions) -> list[Result]:
    """Up to `points` non-dominated points sampled by the preference-conditioned
    GFlowNet, each passed by the checker; the least violated point alone if none is."""
    result = solve(problem, "gflownet", replace(options, front=points,
                                                front_objectives=tuple(names)))
    if not result.verified:
        return [result]
    return _front(result.samples or [result], problem, names)


def _two_objectives(problem: Problem, names: list[str], points: int, run: Run) -> list[Result]:
    results, _ = _pair(problem, names, points, run, {})
    return results if not results[0].verified else _front(results, problem, names)


def _pair(problem: Problem, names: list[str], points: int, run: Run,
          fixed: dict[str, float]) -> tuple[list[Result], bool]:
    """Points of the trade-off between the first two names, with `fixed` bounds on
    every solve and any further names as the last tie-breaks, and whether they are
    every non-dominated point of it; an end that is not found comes back alone."""
    first, second, *tail = names
    ends = [run(fixed, names), run(fixed, [second, first, *tail])]
    if not all(r.verified for r in ends):
        return [r for r in ends if not r.verified][:1], False
    start, stop = (r.objectives[second] for r in ends)
    level = _Level.of(problem, second)
    cache = {level.key(start): ends[0], level.key(stop): ends[1]}

    def at(value: float) -> Result:
        if level.key(value) not in cache:
            cache[level.key(value)] = run({**fixed, second: level.bound(value)}, names)
        return cache[level.key(value)]

    if level.offset is not None:
        walked = _walk(ends, second, level, points, at)
        if walked is not None:
            return walked, True
    return [at(v) for v in level.values(start, stop, points)], False


def _walk(ends: list[Result], name: str, level: _Level, points: int,
          at: Callable[[float], Result]) -> list[Result] | None:
    """Every point from one end to the other, each bounded one step past the last;
    None once `points` are found short of the far end (or a solve fails)."""
    found = [ends[0]]
    last = level.snap(ends[1].objectives[name])
    while (value := level.snap(found[-1].objectives[name])) != last:
        if len(found) == points:
            return None
        r = at(value + level.step)
        if not r.verified or level.key(r.objectives[name]) == level.key(value):
            return None
        found.append(r)
    return found


def _three_objectives(problem: Problem, names: list[str], points: int,
                      run: Run) -> list[Result]:
    third = _Level.of(problem, names[2])
    if third.offset is None or _Level.of(problem, names[1]).offset is None:
        return _grid(problem, names, points, run)
    # Each level is the whole trade-off of the first two under a bound on the third,
    # which holds every non-dominated point whose third value is at least as bad as
    # the worst on that level; the next level bounds the third one step better.
    found: list[Result] = []
    fixed: dict[str, float] = {}
    while True:
        results, complete = _pair(problem, names, points, run, fixed)
        if not results[0].verified:
            if not fixed:
                return results
            if results[0].solution.termination is TerminationStatus.INFEASIBLE:
                return _front(found, problem, names)
            break
        found.extend(results)
        if not complete or len(_front(found, problem, names)) > points:
            break
        values = [r.objectives[names[2]] for r in results]
        worst = max(values) if third.sense == "minimize" else min(values)
        fixed = {names[2]: third.bound(third.snap(worst) + third.step)}
    return _grid(problem, names, points, run)


def _grid(problem: Problem, names: list[str], points: int, run: Run) -> list[Result]:
    """The second and third objectives bounded over a grid spanning the payoff table."""
    ends = [run({}, names[i:] + names[:i]) for i in range(3)]
    if not all(r.verified for r in ends):
        return [r for r in ends if not r.verified][:1]
    per = max(2, math.ceil(math.sqrt(points)))
    grids = []
    for name in names[1:]:
        level = _Level.of(problem, name)
        values = [r.objectives[name] for r in ends]
        best, worst = ((min(values), max(values)) if level.sense == "minimize"
                       else (max(values), min(values)))
        grids.append([(name, level.bound(v)) for v in level.values(worst, best, per)])
    cells = [run(dict([b2, b3]), names) for b2 in grids[0] for b3 in grids[1]]
    return _front([ends[0], *cells, ends[1], ends[2]], problem, names)


@dataclass(frozen=True)
class _Level:
    """How to bound one objective in a sweep.

    `offset` is its constant when it can only take whole values apart from it
    (integer coefficients on integer or binary variables only), else None.
    Whole-valued objectives are bounded half a step past the level, so that a
    point a rounding error past it still counts and the next whole value does
    not; others by a relative 1e-9.
    """

    sense: str
    offset: float | None

    @classmethod
    def of(cls, problem: Problem, name: str) -> _Level:
        o = problem.objective(name)
        return cls(o.sense, _whole_offset(problem, o))

    def key(self, value: float) -> float:
        """The same for two values of one level, whatever their rounding error."""
        return value if self.offset is None else float(round(value - self.offset))

    @property
    def step(self) -> float:
        """One whole step better."""
        return -1.0 if self.sense == "minimize" else 1.0

    def snap(self, value: float) -> float:
        """A value of a whole-valued objective, without its rounding error."""
        assert self.offset is not None
        return float(round(value - self.offset)) + self.offset

    def bound(self, value: float) -> float:
        slack = 0.5 if self.offset is not None else 1e-9 * max(1.0, abs(value))
        return value + slack if self.sense == "minimize" else value - slack

    def values(self, start: float, stop: float, count: int) -> list[float]:
        if self.offset is None:
            return spread(start, stop, count, whole=False)
        return [v + self.offset for v in spread(start - self.offset, stop - self.offset,
                                                 count, whole=True)]


def _whole_offset(problem: Problem, o: Objective) -> float | None:
    if o.terms.quadratic or o.terms.nonlinear:
        return None
    coef = np.bincount(o.terms.lin_col, weights=o.terms.lin_val, minlength=problem.n_vars)
    integer = np.zeros(problem.n_vars, dtype=bool)
    for v in problem.variables:
        integer[v.offset:v.offset + v.size] = v.domain in INTEGRAL_DOMAINS
    used = coef != 0
    if not np.all(integer[used]):
        return None
    if np.any(np.abs(coef - np.round(coef)) > 1e-9 * np.maximum(1.0, np.abs(coef))):
        return None
    return float(o.terms.const[0])


def _front(results: Sequence[Result], problem: Problem, names: list[str]) -> list[Result]:
    """The distinct verified results that no other one dominates, in their order."""
    kept: list[Result] = []
    keys: dict[tuple[float, ...], None] = {}
    for r in results:
        if not r.verified or any(n not in r.objectives for n in names):
            continue
        key = tuple(round(r.objectives[n], 6) for n in names)
        if key not in keys:
            keys[key] = None
            kept.append(r)
    if not kept:
        return []
    senses = [problem.objective(n).sense for n in names]
    return [kept[i] for i in non_dominated(np.array(list(keys)), senses)]


@dataclass(frozen=True)
class FrontSummary:
    """A front's objective vectors and the hypervolume they cover.

    `reference` is `optiform.pareto.reference_point` of the points: their
    nadir pushed out by 10% of each objective's range (1 where it is 0).
    """

    names: list[str]
    senses: list[str]
    points: np.ndarray  # one row per result, one column per name
    hypervolume: float | None
    reference: dict[str, float] | None

    def to_dict(self) -> dict[str, Any]:
        return {"hypervolume": self.hypervolume, "reference": self.reference}


def summarize_front(front: Sequence[Result], problem: Problem,
                    objectives: Sequence[str] | None = None,
                    reference: np.ndarray | None = None) -> FrontSummary:
    """The objective vectors of `pareto`'s verified results, their reference point (or
    the one given, to compare two fronts) and hypervolume (None for both when there is
    no verified point)."""
    names = list(objectives or [o.name for o in problem.objectives])
    senses = [problem.objective(n).sense for n in names]
    rows = [[r.objectives[n] for n in names] for r in front if r.verified]
    points = np.array(rows, dtype=float).reshape(len(rows), len(names))
    if not rows:
        return FrontSummary(names, senses, points, None, None)
    if reference is None:
        reference = reference_point(points, senses)
    return FrontSummary(names, senses, points, hypervolume(points, senses, reference),
                        dict(zip(names, reference.tolist(), strict=True)))


def _check_objectives(problem: Problem, options: SolveOptions) -> None:
    names = [o.name for o in problem.objectives]
    asked = list(options.weights) + list(options.lexicographic)
    problems = []
    for name in asked:
        if name not in names:
            hint = suggest(name, names) or "objectives: " + ", ".join(names)
            problems.append(Diagnostic(f"unknown objective `{name}`", None, hint))
    if options.weights and options.lexicographic:
        problems.append(Diagnostic("give either weights or a lexicographic order, not both"))
    lowered = {o.name: o for o in problem.lowered.objectives} if problem.lowered else {}
    for name, w in options.weights.items():
        if w < 0 and name in lowered and np.any(lowered[name].terms.lin_col >= problem.n_vars):
            # Its abs/max/min were rewritten for its own direction; a negative weight
            # optimises it the other way, where that rewriting is not exact.
            problems.append(Diagnostic(
                f"objective `{name}` has a negative weight, but its abs, max or min were "
                f"compiled for {problem.objective(name).sense} only", None,
                "give it a weight >= 0, or flip its sense in the model"))
    for name in options.lexicographic[:-1]:
        if name in names and problem.objective(name).terms.quadratic:
            problems.append(Diagnostic(
                f"objective `{name}` is quadratic and cannot be held as a linear row in a "
                "lexicographic solve", None, "put it last in the order"))
    if problems:
        raise DiagnosticError(problems)


def _time_limit(value: object) -> float | None:
    """`time_limit` checked by name; infinity, which the API accepts, means no limit."""
    limit = arg.optional_number("time_limit", value, infinite=True)
    return None if limit == math.inf else limit

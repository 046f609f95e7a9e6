"""The fuzz tests' shared machinery: the contract, its guards, and the input generators.

The contract (issue 8): whatever text or data arrives, optiform answers with a
result or a `DiagnosticError` whose every diagnostic has a location
(file:line:col, line and column from 1), within a time bound. `check_text`
runs one input through `optiform.loads(...).compile()`, solves it when it is
small, and turns anything else (another exception, a diagnostic without a
place, a hang, memory running out) into an `AssertionError` that carries the
input, so hypothesis shrinks it and the failure can be pasted into
`test_regressions.py`.

Generators: `models()` builds ASTs of plausible models (declared names,
bound indices, small sets, a few deliberate slips) printed with
`format_model`; `mutants()` edits the examples token by token; `hostile`
lists the pathological inputs the issue names.
"""

from __future__ import annotations

import faulthandler
import json
import math
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import optiform
from optiform.backends import BackendError
from optiform.backends.forked import CAN_FORK, ChildTimeout, run_forked
from optiform.diagnostics import DiagnosticError
from optiform.dsl import ast as A
from optiform.dsl.parser import KEYWORDS, parse, stack_room
from optiform.dsl.printer import format_model, format_source

try:  # POSIX only; elsewhere the inputs run unguarded
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

FILE = "fuzz.opt"
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.opt"))}

# Inputs take ~20 ms each; hypothesis fails one that takes more than the deadline
# (5 s, not less: the suite must not be flaky on a loaded 2-core CI machine), and
# the alarm stops one that hangs, which a deadline alone cannot.
DEADLINE_MS = 5000
HANG_SECONDS = float(os.environ.get("OPTIFORM_FUZZ_HANG_S", "20"))  # hard bound per input
MEMORY_HEADROOM = 4 << 30  # bytes one input may add to the process's address space
SOLVE_MAX_VARS = 60
SOLVE_MAX_ROWS = 200
SOLVE_TIME_LIMIT = 1.0

# Inputs run and their outcomes, over the whole session (printed by conftest.py).
OUTCOMES: Counter[str] = Counter()
STARTED = time.perf_counter()


class _Hang(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


@contextmanager
def guard(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Bound the time (SIGALRM) and the extra memory (RLIMIT_AS) of one input."""
    alarm = hasattr(signal, "SIGALRM") and _main_thread()
    if alarm:
        def _ring(signum: int, frame: object) -> None:
            raise _Hang()

        previous = signal.signal(signal.SIGALRM, _ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    limits = _limit_memory()
    # A loop inside compiled code never sees the alarm: past three times the bound,
    # faulthandler prints every thread's stack (and, unless recording, ends the run).
    faulthandler.dump_traceback_later(3 * seconds, exit=not RECORD)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if limits is not None and resource is not None:
            resource.setrlimit(resource.RLIMIT_AS, limits)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _limit_memory() -> tuple[int, int] | None:
    if resource is None or not sys.platform.startswith("linux"):
        return None
    try:
        status = Path("/proc/self/status").read_text()
        size_kb = int(re.search(r"VmSize:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size_kb * 1024 + MEMORY_HEADROOM
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft != resource.RLIM_INFINITY:
            limit = min(limit, soft)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        return soft, hard
    except (OSError, ValueError, AttributeError):
        return None


def warm_up() -> None:
    """Load the solvers once, outside any timed input: HiGHS by a solve, the others
    (which `in_child` runs in forked children) by import only, starting no threads."""
    import importlib

    try:
        optiform.loads("variables\n  x in [0, 1]\nobjective\n  minimize o: x\n").solve()
    except Exception:  # noqa: BLE001 - a missing backend shows up in the tests
        pass
    for name in ("pyomo.environ", "pyscipopt", "pyomo.contrib.solver.solvers.scip.scip_direct"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            pass


def _lines(text: str) -> list[str]:
    return text.split("\n")


def check_diagnostics(exc: DiagnosticError, sources: Mapping[str, str]) -> None:
    """Every diagnostic has a message and a place (line, column >= 1) inside its file."""
    assert exc.diagnostics, "a DiagnosticError with no diagnostics"
    for d in exc.diagnostics:
        assert d.message, f"a diagnostic without a message: {d!r}"
        assert d.span is not None, f"a diagnostic without a location: {d.message!r}"
        assert d.span.line >= 1 and d.span.column >= 1, f"a location below 1:1: {d!r}"
        text = sources.get(d.span.file)
        if text is not None:
            lines = _lines(text)
            assert d.span.line <= len(lines), f"line {d.span.line} of {len(lines)}: {d!r}"
            assert d.span.column <= len(lines[d.span.line - 1]) + 1, (
                f"column {d.span.column} past the end of line {d.span.line}: {d!r}")
        d.to_dict()
    # the rendering (caret under the source line) must not fail either, and must hand a
    # terminal no control character of the user's text
    raw = RAW_CONTROL.search(str(exc))
    assert raw is None, f"the rendering holds the control character {raw.group()!r}"


def _small(problem: Any) -> bool:
    return problem.n_vars <= SOLVE_MAX_VARS and problem.n_rows <= SOLVE_MAX_ROWS


def _outcome(text: str, data: Any, solve: bool, fmt: bool) -> str:
    sources = {FILE: text}
    try:
        model = optiform.loads(text, data=data, file=FILE)
    except DiagnosticError as exc:
        check_diagnostics(exc, {**sources, **exc.sources})
        return "rejected: " + exc.diagnostics[0].kind
    if fmt:
        # fmt must take every model that parses, and give the same model back
        formatted = format_source(text, FILE)
        with stack_room():  # comparing deep ASTs recurses as deep as printing them
            assert parse(formatted, FILE) == model.decl, formatted
    try:
        problem = model.compile()
    except DiagnosticError as exc:
        check_diagnostics(exc, {**sources, **exc.sources})
        return "rejected: " + exc.diagnostics[0].kind
    if not (solve and _small(problem)):
        return f"compiled {problem.problem_class.value}"

    def run() -> str:
        try:
            result = model.solve(time_limit=SOLVE_TIME_LIMIT)
        except DiagnosticError as exc:
            check_diagnostics(exc, {**sources, **exc.sources})
            return "rejected at solve"
        except BackendError:
            # no backend for the class, or a non-convex QP: the CLI's exit 5, documented
            return f"no backend for {problem.problem_class.value}"
        json.dumps(result.to_dict())  # what `--json` prints
        return f"solved: {result.status}"

    return in_child(run) if _beyond_highs(problem) else run()


def _beyond_highs(problem: Any) -> bool:
    """Whether solve hands the problem to a backend other than HiGHS (pyomo, torch...)."""
    from optiform.backends import choose

    try:
        return choose(problem).name != "highs"
    except BackendError:
        return False


def in_child(fn: Callable[[], Any], seconds: float = HANG_SECONDS) -> Any:
    """`fn()` in a forked child process, killed past `seconds` (a hang).

    Solves through Pyomo, SCIP and torch run here: a loop in their compiled code
    never sees the alarm (finding 30 looped in pyomo's SCIP interface for more
    than 15 minutes), while a child can always be killed. HiGHS solves, the
    most, stay in this process. Without fork (not POSIX), `fn()` runs here. An
    exception in the child comes back as `ChildFailed`, with its traceback.
    """
    if not CAN_FORK:  # pragma: no cover
        return fn()
    try:
        return run_forked(fn, seconds)
    except ChildTimeout:
        raise _Hang() from None


# With OPTIFORM_FUZZ_RECORD=FILE, a breach of the contract is appended to FILE (one
# JSON object a line: the test, the breach, the input, the traceback) and the run
# goes on, so that a long unattended run collects every finding instead of stopping
# at the first; without it (the default, and CI) a breach fails the test.
RECORD = os.environ.get("OPTIFORM_FUZZ_RECORD")


def _breach(message: str, what: str, exc: BaseException | None) -> str:
    """Fail the test with `message`, or record it and carry on (see RECORD)."""
    if not RECORD:
        raise AssertionError(f"{message} for {what}") from exc
    import traceback

    where = ""
    if exc is not None and exc.__traceback__ is not None:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    entry = {"test": test, "breach": message[:500], "where": where, "input": what[:5000],
             "traceback": "".join(traceback.format_exception(exc))[-4000:] if exc else ""}
    with open(RECORD, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
    return "breach"


def check_text(text: str, data: Any = None, *, solve: bool = True, fmt: bool = False,
               seconds: float = HANG_SECONDS) -> str:
    """Run one input; return its outcome, or raise AssertionError naming the breach."""
    what = f"{text[:2000]!r}" + ("" if data is None else f" with data {data!r}"[:3000])
    try:
        with guard(seconds):
            outcome = _outcome(text, data, solve, fmt)
    except _Hang:
        outcome = _breach(f"no answer within {seconds:g} s", what, None)
    except AssertionError as exc:
        outcome = _breach(str(exc)[:1000], what, exc)
    except Exception as exc:  # noqa: BLE001 - any other exception breaks the contract
        outcome = _breach(f"{type(exc).__name__}: {exc} (not a DiagnosticError)", what, exc)
    OUTCOMES[outcome.split(":")[0]] += 1
    if currently_in_test_context():
        event(outcome)
    return outcome


# ---- tokens and mutations of the examples -----------------------------------------

TOKEN = re.compile(
    r'"[^"\n]*"|#[^\n]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+|[A-Za-z_][A-Za-z0-9_]*'
    r"|\.\.|<=|>=|==|!=|\s+|.", re.DOTALL)


def tokens(text: str) -> list[str]:
    """The text cut into tokens, whitespace and comments included: ''.join gives it back."""
    return TOKEN.findall(text)


def boundaries(text: str) -> list[int]:
    """Offsets of every token boundary, 0 and len(text) included."""
    out, at = [0], 0
    for tok in tokens(text):
        at += len(tok)
        out.append(at)
    return out


# 1e20 and past it: what solvers read as infinite (issue 14: silently no bound)
HUGE = ["1e400", "1" + "0" * 400, "1e308", "9" * 20, "4503599627370496", "9007199254740993",
        "1e-400", "0.0000000000000000000001", "1" + "0" * 5000, "inf", "1e20", "-1e21",
        "99999999999999999999"]
ODD_TEXT = ["\x00", "\ufeff", "\u200b", "\u202e", "é", "名前", "🙂", "\r", "\t", "\x1b[31m",
            "\\", "'", "`", "$", "@", "?", "~", "!", "&", "|", '"', '"unterminated', "#",
            "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]
PUNCT = ["(", ")", "[", "]", "{", "}", ",", ":", ";", "=", "==", "<=", ">=", "<", ">", "!=",
         "+", "-", "*", "/", "^", "..", "."]
VOCAB = [*KEYWORDS, *PUNCT, *HUGE, "0", "1", "-1", "2.5", "x", "I", "card", "sqrt", "log",
         '"a b"', '""', "_"]


def _deep(kind: str, n: int) -> str:
    opener, closer = {"(": ("(", ")"), "[": ("[", "]"), "{": ("{", "}"),
                      "-": ("-", ""), "not": ("not ", ""), "sum": ("sum(i in I) ", ""),
                      "if": ("if 1 then (", ") else 0")}[kind]
    return opener * n + "1" + closer * n


def special_strategy() -> st.SearchStrategy[str]:
    """Text fragments that hurt: huge numbers, odd characters, deep nesting, long names."""
    return st.one_of(
        st.sampled_from(HUGE + ODD_TEXT + VOCAB),
        st.builds(_deep, st.sampled_from(["(", "[", "{", "-", "not", "sum", "if"]),
                  st.sampled_from([50, 199, 200, 201, 1000])),
        st.integers(1, 5000).map(lambda n: "x" * n),
        st.text(max_size=8),
        st.binary(max_size=8).map(lambda b: b.decode("latin-1")),
    )


@st.composite
def mutants(draw: st.DrawFn, sources: Mapping[str, str] | None = None) -> str:
    """An example with 1-4 token edits: delete, duplicate, swap, replace, insert, cut."""
    sources = sources or EXAMPLES
    name = draw(st.sampled_from(sorted(sources)))
    toks = tokens(sources[name])
    for _ in range(draw(st.integers(1, 4))):
        if not toks:
            toks = [""]
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "swap_near", "replace",
                                   "insert", "truncate", "delete_span"]))
        i = draw(st.integers(0, len(toks) - 1))
        if op == "delete":
            del toks[i]
        elif op == "duplicate":
            toks.insert(i, toks[i])
        elif op == "swap":
            j = draw(st.integers(0, len(toks) - 1))
            toks[i], toks[j] = toks[j], toks[i]
        elif op == "swap_near" and i + 2 < len(toks):
            toks[i], toks[i + 2] = toks[i + 2], toks[i]  # +2 skips the space between
        elif op == "replace":
            toks[i] = draw(st.sampled_from(VOCAB) | special_strategy())
        elif op == "insert":
            toks.insert(i, draw(special_strategy()))
        elif op == "truncate":
            toks = toks[:i]
        elif op == "delete_span":
            del toks[i:i + draw(st.integers(1, 30))]
    return "".join(toks)


def random_text() -> st.SearchStrategy[str]:
    """Text with no respect for the grammar: characters, or the language's own words."""
    words = st.lists(st.sampled_from([*VOCAB, " ", "\n", "\n  "]), max_size=60).map("".join)
    return st.one_of(st.text(max_size=200), words,
                     st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")))


# ---- grammar-aware models ------------------------------------------------------

# rich markup, an emoji code and terminal escapes too (printed as text, issue 14)
SYMBOLS = ["a", "b", "c", "north", "peanut butter", "[/b]", "x[1]", ":x:", "\x1b]0;t\x07",
           "\x1b[2J"]
UNKNOWN = ["nope", "xx", "cost2"]  # names no generated model declares


class _Scope:
    """What a generated model has declared so far, to draw names that mean something."""

    def __init__(self) -> None:
        self.sets: dict[str, list[A.Expr]] = {}  # name -> a few member keys (1-tuples)
        self.arity: dict[str, int] = {}
        self.scalars: list[str] = []
        self.indexed: dict[str, list[str]] = {}  # parameter -> its index sets
        self.variables: dict[str, list[str]] = {}
        self.counter = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"


def _rare(draw: st.DrawFn, n: int) -> bool:
    """True about once in n draws; false at hypothesis's shrink target (0)."""
    return draw(st.integers(0, n - 1)) == n // 2


def _number(draw: st.DrawFn) -> A.Expr:
    value = draw(st.one_of(
        st.integers(0, 9),
        st.integers(0, 10**6),
        st.sampled_from([0.5, 2.5, 1e-6, 1e6, 1e300, 1e-300, math.inf, 0.0, 1e15]),
    ))
    return A.Number(value)


def _member_literal(draw: st.DrawFn, scope: _Scope, set_name: str) -> A.Expr:
    members = scope.sets.get(set_name) or [A.Number(1)]
    if _rare(draw, 20):  # now and then a key outside the set
        return draw(st.sampled_from([A.Number(99), A.Name("zz"), A.Symbol("q r")]))
    return draw(st.sampled_from(members))


def _index_for(draw: st.DrawFn, scope: _Scope, set_name: str, bound: dict[str, str]) -> A.Expr:
    """An index into a position over `set_name`: a bound name, a member, or `t - 1`."""
    same = [n for n, s in bound.items() if s == set_name]
    choice = draw(st.integers(0, 9))
    if same and choice < 6:
        name = draw(st.sampled_from(same))
        if choice == 5:
            return A.Binary(draw(st.sampled_from(["+", "-"])), A.Name(name), A.Number(1))
        return A.Name(name)
    if bound and choice == 6:
        return A.Name(draw(st.sampled_from(sorted(bound))))
    return _member_literal(draw, scope, set_name)


def _subscript(draw: st.DrawFn, scope: _Scope, name: str, sets: list[str],
               bound: dict[str, str]) -> A.Expr:
    indices = [_index_for(draw, scope, s, bound) for s in sets]
    if _rare(draw, 30):  # wrong arity
        indices = indices[:-1] if indices else [A.Number(1)]
    return A.Subscript(name, tuple(indices)) if indices else A.Name(name)


def _binder(draw: st.DrawFn, scope: _Scope, bound: dict[str, str]) -> tuple[A.Binder, str, str]:
    set_name = draw(st.sampled_from(sorted(scope.sets)))
    arity = scope.arity[set_name]
    names = tuple(scope.fresh("i") for _ in range(arity))
    if _rare(draw, 30):
        names = names[:1] + names  # wrong number of names for the set
    sset: A.Expr = A.Name(set_name)
    if _rare(draw, 10) and bound:
        # a range that depends on an outer index: `1..t`
        sset = A.Binary("..", A.Number(1), A.Name(draw(st.sampled_from(sorted(bound)))))
    return A.Binder(names, sset), names[0], set_name


def _leaf(draw: st.DrawFn, scope: _Scope, bound: dict[str, str], allow_vars: bool) -> A.Expr:
    options = ["number", "number"]
    if scope.scalars:
        options.append("scalar")
    if scope.indexed:
        options += ["param", "param"]
    if bound:
        options.append("index")
    if allow_vars and scope.variables:
        options += ["var", "var", "var"]
    kind = draw(st.sampled_from(options))
    if _rare(draw, 40):
        kind = "oops"
    if kind == "number":
        return _number(draw)
    if kind == "scalar":
        return A.Name(draw(st.sampled_from(scope.scalars)))
    if kind == "index":
        return A.Name(draw(st.sampled_from(sorted(bound))))
    if kind == "param":
        name = draw(st.sampled_from(sorted(scope.indexed)))
        return _subscript(draw, scope, name, scope.indexed[name], bound)
    if kind == "var":
        name = draw(st.sampled_from(sorted(scope.variables)))
        return _subscript(draw, scope, name, scope.variables[name], bound)
    # a slip: an unknown name, a set as a number, a symbol, a variable in data
    slips: list[A.Expr] = [A.Name(draw(st.sampled_from(UNKNOWN))), A.Symbol("a")]
    if scope.sets:
        slips.append(A.Name(draw(st.sampled_from(sorted(scope.sets)))))
    if scope.variables:
        slips.append(A.Name(draw(st.sampled_from(sorted(scope.variables)))))
    return draw(st.sampled_from(slips))


def _num(draw: st.DrawFn, scope: _Scope, bound: dict[str, str], allow_vars: bool,
         depth: int = 3) -> A.Expr:
    if depth <= 0 or _rare(draw, 3):
        return _leaf(draw, scope, bound, allow_vars)
    kind = draw(st.sampled_from(["binary", "binary", "binary", "neg", "sum", "reduce", "if",
                                 "call", "call2"]))
    sub = depth - 1
    if kind == "binary":
        op = draw(st.sampled_from(["+", "-", "*", "*", "/", "^", "mod"]))
        left = _num(draw, scope, bound, allow_vars, sub)
        right = _num(draw, scope, bound, allow_vars and op in "+-*", sub)
        if op == "^" and draw(st.booleans()):
            right = A.Number(draw(st.sampled_from([2, 1, 0, 3])))
        return A.Binary(op, left, right)
    if kind == "neg":
        return A.Unary("-", _num(draw, scope, bound, allow_vars, sub))
    if kind in ("sum", "reduce") and scope.sets:
        binder, name, set_name = _binder(draw, scope, bound)
        inner = {**bound, name: set_name}
        flt = _cond(draw, scope, inner, sub) if draw(st.booleans()) else None
        op = "sum" if kind == "sum" else draw(st.sampled_from(["prod", "min", "max"]))
        body = _num(draw, scope, inner, allow_vars and op == "sum", sub)
        return A.Reduction(op, (binder,), flt, body)
    if kind == "if":
        return A.Conditional(_cond(draw, scope, bound, sub),
                             _num(draw, scope, bound, allow_vars, sub),
                             _num(draw, scope, bound, allow_vars, sub))
    if kind == "call":
        func = draw(st.sampled_from(["abs", "exp", "log", "sqrt", "sin", "cos", "floor",
                                     "ceil", "round"]))
        return A.Call(func, (_num(draw, scope, bound, allow_vars, sub),))
    if kind == "call2":
        if scope.sets and draw(st.booleans()):
            return A.Call("card", (A.Name(draw(st.sampled_from(sorted(scope.sets)))),))
        return A.Call(draw(st.sampled_from(["min", "max"])),
                      (_num(draw, scope, bound, allow_vars, sub),
                       _num(draw, scope, bound, allow_vars, sub)))
    return _leaf(draw, scope, bound, allow_vars)


def _cond(draw: st.DrawFn, scope: _Scope, bound: dict[str, str], depth: int = 2) -> A.Expr:
    kind = draw(st.sampled_from(["compare", "compare", "member", "logic", "not", "symbol"]))
    if kind == "member" and bound and scope.sets:
        return A.Binary("in", A.Name(draw(st.sampled_from(sorted(bound)))),
                        A.Name(draw(st.sampled_from(sorted(scope.sets)))))
    if kind == "logic" and depth > 0:
        return A.Binary(draw(st.sampled_from(["and", "or"])), _cond(draw, scope, bound,
                                                                     depth - 1),
                        _cond(draw, scope, bound, depth - 1))
    if kind == "not" and depth > 0:
        return A.Unary("not", _cond(draw, scope, bound, depth - 1))
    if kind == "symbol" and bound:
        name = draw(st.sampled_from(sorted(bound)))
        return A.Binary(draw(st.sampled_from(["==", "!=", "<"])), A.Name(name),
                        _member_literal(draw, scope, bound[name]))
    op = draw(st.sampled_from(["<=", ">=", "==", "!=", "<", ">"]))
    return A.Binary(op, _num(draw, scope, bound, False, 1), _num(draw, scope, bound, False, 1))


def _set_decl(draw: st.DrawFn, scope: _Scope) -> A.SetDecl:
    name = scope.fresh("S")
    kind = draw(st.sampled_from(["range", "range", "symbols", "numbers", "tuples", "filter",
                                 "op", "product", "empty", "param_range"]))
    if _rare(draw, 30):
        kind = "data"
    within = None
    members: list[A.Expr] = []
    arity = 1
    value: A.Expr | None
    if kind == "range":
        lo, hi = draw(st.integers(-1, 2)), draw(st.integers(0, 5))
        value = A.Binary("..", A.Number(lo), A.Number(hi))
        members = [A.Number(k) for k in range(lo, hi + 1)]
    elif kind == "param_range" and scope.scalars:
        value = A.Binary("..", A.Number(1), A.Name(draw(st.sampled_from(scope.scalars))))
        members = [A.Number(1), A.Number(2)]
    elif kind == "symbols":
        picked = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4))
        members = [A.Name(s) if s.isidentifier() else A.Symbol(s) for s in picked]
        value = A.SetLiteral(tuple(members))
    elif kind == "numbers":
        numbers = draw(st.lists(st.integers(-3, 9), min_size=1, max_size=4))
        members = [A.Number(k) for k in numbers]
        value = A.SetLiteral(tuple(members))
    elif kind == "tuples":
        pairs = draw(st.lists(st.tuples(st.sampled_from(SYMBOLS[:3]), st.integers(1, 3)),
                              min_size=1, max_size=4))
        value = A.SetLiteral(tuple(A.TupleExpr((A.Name(a), A.Number(b))) for a, b in pairs))
        arity = 2
        members = [A.Name(a) for a, _ in pairs]
    elif kind in ("filter", "op", "product") and scope.sets:
        ones = sorted(s for s in scope.sets if scope.arity[s] == 1) or sorted(scope.sets)
        base = draw(st.sampled_from(ones))
        members = list(scope.sets[base])
        arity = scope.arity[base]
        if kind == "filter":
            binder, bname, _ = _binder(draw, scope, {})
            binder = A.Binder(binder.names, A.Name(base))
            value = A.Comprehension((binder,), _cond(draw, scope, {bname: base}, 1))
            arity = len(binder.names or ())
        elif kind == "op":
            other = draw(st.sampled_from(sorted(scope.sets)))
            value = A.Binary(draw(st.sampled_from(["union", "inter", "diff"])), A.Name(base),
                             A.Name(other))
        else:
            other = draw(st.sampled_from(ones))
            value = A.Binary("*", A.Name(base), A.Name(other))
            arity = 2
            if draw(st.booleans()):
                within, value = value, None
    elif kind == "empty":
        value = A.SetLiteral(())
    elif kind == "data":
        value = None  # no members: an error unless data gives them
    else:
        value = A.Binary("..", A.Number(1), A.Number(3))
        members = [A.Number(1), A.Number(2), A.Number(3)]
    scope.sets[name] = members[:4] or [A.Number(1)]
    scope.arity[name] = arity
    return A.SetDecl(name, within, value)


def _param_decl(draw: st.DrawFn, scope: _Scope) -> A.ParamDecl:
    name = scope.fresh("p")
    default = _number(draw) if _rare(draw, 4) else None
    if not scope.sets or _rare(draw, 3):
        scalar = _num(draw, scope, {}, False, 2) if draw(st.integers(0, 9)) else None
        scope.scalars.append(name)
        return A.ParamDecl(name, None, scalar, default)
    sets = draw(st.lists(st.sampled_from(sorted(scope.sets)), min_size=1, max_size=2))
    binders = []
    bound: dict[str, str] = {}
    for s in sets:
        names = tuple(scope.fresh("k") for _ in range(scope.arity[s]))
        binders.append(A.Binder(names, A.Name(s)))
        bound[names[0]] = s
    kind = draw(st.sampled_from(["dict", "list", "computed", "default", "broadcast"]))
    value: A.Expr | None = None
    index = A.Index(tuple(binders))
    if kind == "dict":
        entries = []
        for _ in range(draw(st.integers(1, 3))):
            keys = [_member_literal(draw, scope, s) for s in sets]
            key = keys[0] if len(keys) == 1 else A.TupleExpr(tuple(keys))
            entries.append((key, _number(draw)))
        value = A.DictLiteral(tuple(entries))
        index = A.Index(tuple(A.Binder(None, A.Name(s)) for s in sets))
    elif kind == "list":
        width = draw(st.integers(0, 4))
        row = A.ListLiteral(tuple(_number(draw) for _ in range(width)) or (A.Number(1),))
        value = row if len(sets) == 1 else A.ListLiteral((row,) * draw(st.integers(1, 3)))
        index = A.Index(tuple(A.Binder(None, A.Name(s)) for s in sets))
    elif kind == "computed":
        flt = _cond(draw, scope, bound, 1) if _rare(draw, 4) else None
        value = _num(draw, scope, bound, False, 2)
        index = A.Index(tuple(binders), flt)
    elif kind == "broadcast":
        value = _number(draw)
        index = A.Index(tuple(A.Binder(None, A.Name(s)) for s in sets))
    else:
        default = default or _number(draw)
        index = A.Index(tuple(A.Binder(None, A.Name(s)) for s in sets))
    scope.indexed[name] = sets
    return A.ParamDecl(name, index, value, default)


def _var_decl(draw: st.DrawFn, scope: _Scope) -> A.VarDecl:
    name = scope.fresh("x")
    domain = draw(st.sampled_from([None, None, "nonnegative", "integer", "binary", "real"]))
    sets: list[str] = []
    index = None
    bound: dict[str, str] = {}
    if scope.sets and draw(st.integers(0, 3)):
        sets = draw(st.lists(st.sampled_from(sorted(scope.sets)), min_size=1, max_size=2))
        binders = []
        for s in sets:
            names = tuple(scope.fresh("v") for _ in range(scope.arity[s]))
            binders.append(A.Binder(names, A.Name(s)))
            bound[names[0]] = s
        flt = _cond(draw, scope, bound, 1) if _rare(draw, 5) else None
        index = A.Index(tuple(binders), flt)
    lower = _num(draw, scope, bound, False, 1) if draw(st.booleans()) else None
    upper = _num(draw, scope, bound, False, 1) if _rare(draw, 3) else None
    init = _num(draw, scope, bound, False, 1) if _rare(draw, 6) else None
    scope.variables[name] = sets
    return A.VarDecl(name, index, domain, lower, upper, init)


def _comparison(draw: st.DrawFn, scope: _Scope, bound: dict[str, str]) -> A.Expr:
    left = _num(draw, scope, bound, True, 3)
    right = _num(draw, scope, bound, _rare(draw, 4), 2)
    op = draw(st.sampled_from(["<=", "<=", ">=", "==", "ranged", "<"]))
    if op == "ranged":
        return A.Binary("<=", A.Binary("<=", _number(draw), left), right)
    return A.Binary(op, left, right)


def _constraint_decl(draw: st.DrawFn, scope: _Scope) -> A.ConstraintDecl:
    name = scope.fresh("c")
    bound: dict[str, str] = {}
    index = None
    if scope.sets and draw(st.booleans()):
        binder, bname, set_name = _binder(draw, scope, {})
        bound[bname] = set_name
        flt = _cond(draw, scope, bound, 1) if _rare(draw, 3) else None
        index = A.Index((binder,), flt)
    return A.ConstraintDecl(name, index, _comparison(draw, scope, bound))


@st.composite
def model_asts(draw: st.DrawFn) -> A.ModelDecl:
    """A model whose names mostly mean something, with a few deliberate slips."""
    scope = _Scope()
    sets = [_set_decl(draw, scope) for _ in range(draw(st.integers(0, 3)))]
    params = [_param_decl(draw, scope) for _ in range(draw(st.integers(0, 3)))]
    variables = [_var_decl(draw, scope) for _ in range(draw(st.integers(1, 3)))]
    objectives = [A.ObjectiveDecl(draw(st.sampled_from(["minimize", "maximize"])),
                                  scope.fresh("o"), _num(draw, scope, {}, True, 3))
                  for _ in range(draw(st.integers(0, 2)))]
    constraints = [_constraint_decl(draw, scope) for _ in range(draw(st.integers(0, 3)))]
    if _rare(draw, 10) and params:  # now and then a parameter before its use
        params.reverse()
    return A.ModelDecl("fuzz", None, tuple(sets), tuple(params), tuple(variables),
                       tuple(objectives), tuple(constraints), file=FILE)


def models() -> st.SearchStrategy[str]:
    """Model text printed from a generated AST."""
    return model_asts().map(format_model)



# ---- wild expressions in a fixed, valid model ---------------------------------------

PRELUDE_SETS = {"I": "1..3", "S": "{a, b}", "ARCS": "{(a, 1), (b, 2), (a, 3)}", "E": "{}"}
PRELUDE_PARAMS = {"n": "2", "c[I]": "[1, 2.5, 3]", "d[S, I]": "{(a, 1): 4} default 1",
                  "w[(s, i) in ARCS]": "c[i] * 2"}
PRELUDE_VARS = {"x[I]": ">= 0", "y[S]": "binary", "z": "in [-5, 5]",
                "f[(s, i) in ARCS]": ">= 0, <= w[s, i]"}
WILD_NAMES = ["I", "S", "ARCS", "E", "n", "c", "d", "w", "x", "y", "z", "f",
              "i", "j", "s", "a", "b", "nope"]
WILD_OPS = ["or", "and", "<=", ">=", "==", "!=", "<", ">", "in", "union", "diff", "inter",
            "..", "+", "-", "*", "/", "mod", "^"]


def _wild_compound(exprs: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    names = st.sampled_from(WILD_NAMES)
    some = st.lists(exprs, min_size=1, max_size=3).map(tuple)
    binder = st.builds(A.Binder, st.lists(st.sampled_from(["i", "j", "s", "t"]), min_size=1,
                                          max_size=2).map(tuple),
                       st.sampled_from([A.Name("I"), A.Name("S"), A.Name("ARCS"), A.Name("E"),
                                        A.Binary("..", A.Number(1), A.Name("n"))]) | exprs)
    binders = st.lists(binder, min_size=1, max_size=2).map(tuple)
    return st.one_of(
        st.builds(A.Binary, st.sampled_from(WILD_OPS), exprs, exprs),
        st.builds(A.Unary, st.sampled_from(["-", "not"]), exprs),
        st.builds(A.Subscript, names, some),
        st.builds(A.Call, st.sampled_from(["abs", "exp", "log", "sqrt", "card", "floor",
                                           "round", "sin", "f"]),
                  st.lists(exprs, max_size=2).map(tuple)),
        st.builds(A.Call, st.sampled_from(["min", "max"]), some),
        st.builds(A.Conditional, exprs, exprs, exprs),
        st.builds(A.Reduction, st.sampled_from(["sum", "prod", "min", "max"]), binders,
                  st.none() | exprs, exprs),
        st.builds(A.TupleExpr, st.lists(exprs, min_size=2, max_size=3).map(tuple)),
        st.builds(A.SetLiteral, st.lists(exprs, max_size=3).map(tuple)),
        st.builds(A.DictLiteral, st.lists(st.tuples(exprs, exprs), min_size=1, max_size=2)
                  .map(tuple)),
        st.builds(A.Comprehension, binders, st.none() | exprs),
        st.builds(A.ListLiteral, some),
    )


WILD_ATOMS = st.one_of(
    st.sampled_from(WILD_NAMES).map(A.Name),
    st.sampled_from([0, 1, 2, 3, 0.5, 1e300, 1e-300, math.inf, 10**15, 2**53]).map(A.Number),
    st.sampled_from(["a", "b", "q r", ""]).map(A.Symbol),
)
wild_exprs = st.recursive(WILD_ATOMS, _wild_compound, max_leaves=8)


def _prelude(extra: Mapping[str, list[str]]) -> str:
    sections = {
        "sets": [f"{k} = {v}" for k, v in PRELUDE_SETS.items()],
        "parameters": [f"{k} = {v}" if "default" not in v else f"{k} = {v}"
                       for k, v in PRELUDE_PARAMS.items()],
        "variables": [f"{k} {v}" for k, v in PRELUDE_VARS.items()],
        "objective": [],
        "constraints": [],
    }
    for section, lines in extra.items():
        sections[section] += lines
    return "".join(f"{name}\n" + "".join(f"  {line}\n" for line in lines)
                   for name, lines in sections.items() if lines or name == "variables")


@st.composite
def wild_models(draw: st.DrawFn) -> str:
    """A valid model with one random expression put in one of its slots."""
    from optiform.dsl.printer import format_expr

    e = draw(wild_exprs)
    try:
        text = format_expr(e)
    except ValueError:
        text = "1"
    slot = draw(st.sampled_from(["set", "set_within", "param", "param_indexed", "param_filter",
                                 "var_bound", "var_index", "objective", "constraint",
                                 "constraint_rhs", "constraint_index", "sum_body",
                                 "sum_filter", "default"]))
    extra: dict[str, list[str]] = {}
    if slot == "set":
        extra["sets"] = [f"T = {text}"]
    elif slot == "set_within":
        extra["sets"] = [f"T within {text} = {{a}}"]
    elif slot == "param":
        extra["parameters"] = [f"p = {text}"]
    elif slot == "param_indexed":
        extra["parameters"] = [f"p[i in I, s in S] = {text}"]
    elif slot == "param_filter":
        extra["parameters"] = [f"p[i in I : {text}] = 1"]
    elif slot == "default":
        extra["parameters"] = [f"p[I] default {text}"]
    elif slot == "var_bound":
        extra["variables"] = [f"v[i in I] >= {text}, <= 10"]
    elif slot == "var_index":
        extra["variables"] = [f"v[{text}]"]
    elif slot == "objective":
        extra["objective"] = [f"minimize o: {text}"]
    elif slot == "constraint":
        extra["constraints"] = [f"k: {text}"]
    elif slot == "constraint_rhs":
        extra["constraints"] = [f"k[i in I]: x[i] + z <= {text}"]
    elif slot == "constraint_index":
        extra["constraints"] = [f"k[{text}]: z <= 1"]
    elif slot == "sum_body":
        extra["constraints"] = [f"k: sum(i in I, s in S) ({text}) <= 4"]
    else:
        extra["constraints"] = [f"k: sum((s, i) in ARCS : {text}) f[s, i] >= 1"]
    return _prelude(extra)


# ---- data: mappings and files ------------------------------------------------------

DATA_MODEL = EXAMPLES["transport_data"]
DATA = json.loads((EXAMPLES_DIR / "transport_data.data.json").read_text(encoding="utf-8"))

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 200), st.sampled_from([10**400, 2**53 + 1,
                                                                      -(2**63), 2**64,
                                                                      1e20, -1e25]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["hamburg", "101", "inf", "-inf", "nan", "", " ", "1e400", "x y", "-0",
                     "٣", "1_000", "99999999999999999999"]),
    st.text(max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["hamburg", "munich", "101", "102", "x", ""]) | st.text(max_size=4),
        inner, max_size=4),
    max_leaves=12,
)


def _replace_at(node: Any, path: list[int], value: Any) -> Any:
    """`node` with the element picked by successive positions in `path` replaced."""
    if not path or not isinstance(node, (list, dict)) or not node:
        return value
    keys = list(range(len(node))) if isinstance(node, list) else list(node)
    key = keys[path[0] % len(keys)]
    copy = list(node) if isinstance(node, list) else dict(node)
    copy[key] = _replace_at(node[key], path[1:], value)
    return copy


@st.composite
def data_mappings(draw: st.DrawFn) -> dict[str, Any]:
    """The transport example's data with 1-3 of its nodes replaced, dropped or added."""
    data: Any = DATA
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if op == "drop":
            name = draw(st.sampled_from(sorted(data)))
            data = {k: v for k, v in data.items() if k != name}
        elif op == "add":
            data = {**data, draw(st.sampled_from(["extra", "supply", "ROUTES", "cost"])):
                    draw(json_values)}
        else:
            path = draw(st.lists(st.integers(0, 20), min_size=1, max_size=4))
            data = _replace_at(data, path, draw(json_values))
        if not isinstance(data, dict):
            data = {"supply": data}
    return data


def _yaml_text(data: Any) -> str:
    import yaml

    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return "{}"


def _json_text(data: Any) -> str:
    try:
        return json.dumps(data)
    except (ValueError, OverflowError):
        return "{}"


@st.composite
def data_files(draw: st.DrawFn) -> tuple[str, dict[str, bytes]]:
    """A data file or a CSV folder: ('json' | 'yaml' | 'csv', {file name: bytes})."""
    kind = draw(st.sampled_from(["json", "yaml", "csv"]))
    if kind == "csv":
        files: dict[str, bytes] = {}
        for name, value in draw(data_mappings()).items():
            rows = value if isinstance(value, list) else (
                [[k, *(v if isinstance(v, list) else [v])] for k, v in value.items()]
                if isinstance(value, dict) else [[value]])
            lines = [name] + [",".join(map(str, r)) if isinstance(r, list) else str(r)
                              for r in rows]
            files[f"{name}.csv"] = "\n".join(lines).encode("utf-8", "replace")
    else:
        data = draw(data_mappings())
        text = _json_text(data) if kind == "json" else _yaml_text(data)
        files = {f"data.{kind}": text.encode("utf-8", "replace")}
    if draw(st.integers(0, 3)) == 0:  # a key given twice, an alias, bare CR line ends
        name = draw(st.sampled_from(sorted(files)))
        files[name] = _repeat_or_alias(draw, kind, files[name])
    if draw(st.booleans()):  # and now and then mangle the bytes themselves
        name = draw(st.sampled_from(sorted(files)))
        raw = files[name]
        at = draw(st.integers(0, len(raw)))
        junk = draw(st.binary(max_size=6) | st.sampled_from(
            [b"\xff", b"\xef\xbb\xbf", b"\x00", b'"', b"[" * 3000, b"\n", b",", b"&a *a"]))
        cut = draw(st.sampled_from([0, 0, 1, 5]))
        files[name] = raw[:at] + junk + raw[at + cut:]
    return kind, files


def _repeat_or_alias(draw: st.DrawFn, kind: str, raw: bytes) -> bytes:
    """The data file's text with one of issue 14's input classes put in."""
    how = draw(st.sampled_from(["repeat", "cr", "alias"]))
    if how == "cr":
        return raw.replace(b"\n", b"\r")
    if kind == "json" and raw.rstrip().endswith(b"}") and raw.strip() != b"{}":
        key = draw(st.sampled_from([b'"supply"', b'"cost"', b'"I"']))
        return raw.rstrip()[:-1] + b", " + key + b": 1}"
    if kind == "yaml":
        if how == "alias":
            width = draw(st.integers(2, 12))
            lines = [b"a0: &a0 [1, 2]"] + [
                b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * width) + b"]"
                for i in range(1, draw(st.integers(2, 9)))]
            return raw + b"\n" + b"\n".join(lines) + b"\n"
        line = raw.split(b"\n", 1)[0]
        return raw + b"\n" + line + b"\n"
    lines = raw.split(b"\n")  # a CSV: a row given twice
    return b"\n".join([*lines, lines[-1]]) if len(lines) > 1 else raw


def check_data_files(kind: str, files: Mapping[str, bytes], folder: Path) -> str:
    """Write the files into `folder` and run the transport model against them."""
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    target = folder if kind == "csv" else folder / next(iter(files))
    what = f"{kind} {files!r}"[:3000]
    try:
        with guard():
            try:
                optiform.loads(DATA_MODEL, data=target, file=FILE).compile()
            except DiagnosticError as exc:
                check_diagnostics(exc, {FILE: DATA_MODEL, **exc.sources})
                outcome = "rejected: " + exc.diagnostics[0].kind
            else:
                outcome = "compiled"
    except _Hang:
        outcome = _breach(f"no answer within {HANG_SECONDS:g} s", what, None)
    except AssertionError as exc:
        outcome = _breach(str(exc)[:1000], what, exc)
    except Exception as exc:  # noqa: BLE001
        outcome = _breach(f"{type(exc).__name__}: {exc} (not a DiagnosticError)", what, exc)
    OUTCOMES[outcome.split(":")[0]] += 1
    if currently_in_test_context():
        event(outcome)
    return outcome


# ---- the command line --------------------------------------------------------------


def check_cli(text: str, folder: Path) -> str:
    """`optiform solve` on the model: an exit code of the README's table, no traceback."""
    outcome = _cli_outcome(text, folder)
    OUTCOMES["cli" if outcome.startswith("cli") else outcome] += 1
    if currently_in_test_context():
        event(outcome)
    return outcome


def _cli_outcome(text: str, folder: Path) -> str:
    from typer.testing import CliRunner

    from optiform.cli import app

    path = folder / FILE
    path.write_text(text, encoding="utf-8")
    args = ["solve", str(path), "--all", "--time-limit", str(SOLVE_TIME_LIMIT)]

    def run() -> tuple[int, str, str | None]:
        result = CliRunner().invoke(app, args)
        exc = result.exception
        raised = None if exc is None or isinstance(exc, SystemExit) else (
            f"{type(exc).__name__}: {exc}")
        return result.exit_code, result.output, raised

    try:
        with guard():
            away = False
            try:
                problem = optiform.loads(text, file=str(path)).compile()
                if not _small(problem):
                    args = ["check", str(path)]
                away = _beyond_highs(problem)
            except DiagnosticError:
                args = ["check", str(path)]
            code, output, raised = in_child(run) if away else run()
    except _Hang:
        return _breach(f"no answer within {HANG_SECONDS:g} s", repr(text), None)
    except Exception as exc:  # noqa: BLE001 - compile itself is check_text's business
        return _breach(f"{type(exc).__name__}: {exc}", repr(text), exc)
    if raised:
        return _breach(f"`optiform {args[0]}` raised {raised}", repr(text), None)
    if code not in (0, 1, 3, 4, 5, 6) or "Traceback" in output:
        return _breach(f"`optiform {args[0]}` exited with {code}: {output[-1500:]}",
                       repr(text), None)
    if raw := RAW_CONTROL.search(output):
        return _breach(f"`optiform {args[0]}` printed the control character "
                       f"{raw.group()!r}: {output[-1500:]}", repr(text), None)
    return f"cli exit {code}"


# What a terminal would act on: user text must reach it escaped (optiform.terminal).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# ---- how many inputs each test runs ----------------------------------------------

LONG_TOTAL = int(os.environ.get("OPTIFORM_FUZZ_LONG_EXAMPLES", "100000"))


# `-m "not slow"` (the quick run) sets QUICK (conftest.py) and runs this share of each
# default count; plain `pytest`, CI's run, runs the full counts.
QUICK = False
QUICK_SHARE = 0.1


def examples(n: int) -> int:
    """A default test's number of inputs: all `n`, or its share in the quick run."""
    return max(15, round(n * QUICK_SHARE)) if QUICK else n


def long_share(fraction: float) -> int:
    """This test's part of the long run's total number of inputs."""
    return max(1, int(LONG_TOTAL * fraction))


# ---- files that are not files (issue 14) ---------------------------------------------

FILE_KINDS = ("fifo", "device", "folder")
FILE_ROLES = ("model", "json", "yaml", "csv")


def check_file_kind(kind: str, role: str, folder: Path) -> str:
    """A FIFO, a device or a folder where a model, a data file or a CSV file should be:
    refused at once with a located error (exit 1), never read, never waited on."""
    from typer.testing import CliRunner

    from optiform.cli import app

    model = folder / "m.opt"
    model.write_text(DATA_MODEL, encoding="utf-8")
    data_dir = folder / "data"
    data_dir.mkdir()
    (data_dir / "PLANTS.csv").write_text("PLANTS\na\n", encoding="utf-8")
    target = {"model": folder / "odd.opt", "json": folder / "odd.json",
              "yaml": folder / "odd.yaml", "csv": data_dir / "odd.csv"}[role]
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target.symlink_to(os.devnull if role != "json" else "/dev/zero")
    else:
        target.mkdir()
    args = (["check", str(target)] if role == "model" else
            ["check", str(model), "--data", str(data_dir if role == "csv" else target)])
    what = f"{kind} as {role}"
    try:
        with guard(10):
            result = CliRunner().invoke(app, args)
    except _Hang:
        return _breach("no answer within 10 s", what, None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return _breach(f"raised {type(result.exception).__name__}: {result.exception}", what,
                       result.exception)
    if result.exit_code not in (1, 2) or f"{target}" not in result.output:
        return _breach(f"exit {result.exit_code}: {result.output[-500:]}", what, None)
    OUTCOMES["rejected: file kind"] += 1
    return "rejected"

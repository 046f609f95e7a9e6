"""Every bug the fuzzers found, with its exact input.

The contract: a result, or a `DiagnosticError` whose every diagnostic has a
location (file:line:col from 1). Each test names what the input used to do
and where, and its section says where it was fixed. A new finding goes in an
"open" section, failing until its fix lands (no skip, no xfail).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fuzzkit import check_diagnostics, check_text, guard
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.diagnostics import DiagnosticError
from optiform.dsl.parser import MAX_NESTING, parse
from optiform.dsl.printer import format_source

runner = CliRunner()


def _error(text: str, data: object = None) -> DiagnosticError:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, data=data, file="m.opt").compile()
    check_diagnostics(info.value, {"m.opt": text, **info.value.sources})
    return info.value


def _data_error(model: str, data: Path) -> DiagnosticError:
    with pytest.raises(DiagnosticError) as info, guard():
        optiform.loads(model, data=data, file="m.opt").compile()
    check_diagnostics(info.value, {"m.opt": model, **info.value.sources})
    return info.value


# ---- fixed in optiform/dsl: numbers ---------------------------------------------------


def test_an_integer_literal_too_large_for_a_float() -> None:
    # was: OverflowError: int too large to convert to float (compiler/evaluate.py, num)
    exc = _error("variables\n  x <= 1" + "0" * 400 + "\n")
    d = exc.diagnostics[0]
    assert "too large" in d.message and (d.span.line, d.span.column) == (2, 8)


def test_an_integer_literal_of_5001_digits() -> None:
    # was: lark VisitError wrapping ValueError: Exceeds the limit (4300 digits) for
    # integer string conversion (dsl/transformer.py, number)
    exc = _error("variables\n  x <= 1" + "0" * 5000 + "\n")
    assert "too large" in exc.diagnostics[0].message


def test_a_float_literal_beyond_the_largest_float() -> None:
    # was: read silently as infinity
    exc = _error("variables\n  x <= 1e400\n")
    assert "`1e400` is too large" in exc.diagnostics[0].message
    assert "inf" in (exc.diagnostics[0].hint or "")


def test_inf_and_a_tiny_number_are_still_numbers() -> None:
    check_text("variables\n  x <= inf, >= 1e-400\n")


# ---- fixed in optiform/dsl: deep nesting ----------------------------------------------

DEEP = {
    # was: RecursionError in lark's Transformer (dsl/transformer.py)
    "brackets": "sets\n  S = " + "[" * 1000 + "1" + "]" * 1000 + "\nvariables\n  x\n",
    "unary minus": "variables\n  x\nconstraints\n  c: " + "-" * 1000 + "x <= 1\n",
    "written-out terms": "variables\n  x\nconstraints\n  c: " + "+".join(["x"] * 5000)
                         + " <= 1\n",
    # would have been: RecursionError in compiler/resolve.py or the printer
    "sums": "sets\n  I = 1..2\nvariables\n  x\nobjective\n  minimize o: "
            + "sum(i in I) " * 1000 + "x\n",
    "nots": "sets\n  I = 1..2\nvariables\n  x[i in I : " + "not " * 1000 + "i == 1]\n",
    "powers": "parameters\n  p = " + "^".join(["1"] * 1000) + "\nvariables\n  x\n",
    "products": "variables\n  x\nconstraints\n  c: " + "x * (" * 400 + "x" + ")" * 400
                + " <= 1\n",
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_nesting_is_an_error_with_a_place(name: str) -> None:
    exc = _error(DEEP[name])
    assert f"nested more than {MAX_NESTING} levels" in exc.diagnostics[0].message


def test_nesting_below_the_limit_compiles_solves_and_formats() -> None:
    terms = "variables\n  x <= 1\nobjective\n  maximize o: " + " + ".join(["x"] * 190) + "\n"
    assert check_text(terms, fmt=True) == "solved: optimal"
    parens = "variables\n  x <= 1\nobjective\n  maximize o: " + "(" * 190 + "x" + ")" * 190
    assert check_text(parens, fmt=True) == "solved: optimal"


AT_THE_LIMIT = {
    "lists": "sets\n  S = {a}\nparameters\n  p[S] = " + "[" * 199 + "1" + "]" * 199
             + "\nvariables\n  x\n",
    "calls": "parameters\n  p = " + "abs(" * 199 + "1" + ")" * 199 + "\nvariables\n  x\n",
    # a comprehension is three levels of the parse tree (braces, entry, `in`)
    "comprehensions": "sets\n  S = " + "{i in " * 60 + "{1}" + "}" * 60 + "\nvariables\n  x\n",
}


@pytest.mark.parametrize("name", sorted(AT_THE_LIMIT))
def test_fmt_prints_an_expression_at_the_nesting_limit(name: str) -> None:
    # was: RecursionError in lark's recursive Transformer (dsl/parser.py) and the printer
    # (dsl/printer.py: _fmt -> _list -> _join -> <genexpr> -> _at -> _fmt, five frames a
    # level), from a caller 600 frames deep; both now run in parser.stack_room
    def deep(n: int) -> str:
        return format_source(AT_THE_LIMIT[name]) if n == 0 else deep(n - 1)

    assert deep(600) == format_source(AT_THE_LIMIT[name])


FOUND_BY_THE_LONG_RUN = (
    '# Assignment problem\n'
    "# Give each job on today's line to one worker, each worker at most one job,\n"
    '# so that the total hours needed are least.\n'
    'model assignment "Assign workers to tasks at least total time"\n'
    '\n'
    'sets\n'
    '  WORKERS = {ana, ben, carla, dev, emil, fay}              "available workers"\n'
    '  TASKS   = {welding, painting, assembly, wiring, testing} "tasks to staff"\n'
    '\n'
    'parameters\n'
    '  # hours each worker needs for each task; rows follow WORKERS, columns TASKS\n'
    '  hours[WORKERS, TASKS] =\n'
    '    #  weld paint assembly wiring testing\n'
    '    [[ 14,   5,     8,      7,     15],    # ana\n'
    '     [  2,  12,     6,      5,     11],    # ben\n'
    '     [  7,   8,     3,      9,     12],    # carla\n'
    '     [  2,   4,     6,     10,      9],    # dev\n'
    '     [ 10,  13,    11,      6,      8],    # emil\n'
    '     [  9,   6,     7,      4,     10]]    variables\n'
    '  assign[WORKERS, TASKS] binary   "worker w does task t"\n'
    '\n'
    'objective\n'
    '  minimize total_hours: sum(w in WORKERS, t in TASKS) hours[w, t] * assign[w, t]\n'
    '\n'
    'constraints\n'
    '  staff_task[t in TASKS]: sum(w in WORKERS) assign[w, t] == 1\n'
    '  one_job[w in WORKERS]:  sum(t in TASKS) assign[w, t] <= 1\n'
)


@pytest.mark.parametrize("text", [
    # the long run's input: a mutation joined the last row of a commented matrix and the
    # `variables` keyword on one line
    FOUND_BY_THE_LONG_RUN,
    "sets\n  I = 1..2\nparameters\n  a[I] = [1,   # first\n          2]   variables\n  x\n",
    "sets\n  I = 1..2\nparameters\n  a[I] = [1,   # first\n          2]   b = 3\n"
    "variables\n  x\n",
])
def test_fmt_of_a_commented_declaration_sharing_its_last_line(text: str) -> None:
    # was: `fmt` wrote the keyword twice (the declaration's lines, kept as written for
    # their comments, held `variables`; dsl/comments.py, collect), so its output did not
    # parse: "section `variables` appears twice"; or cut the declaration short when the
    # next one began on its last line
    out = format_source(text, "m.opt")
    assert parse(out, "m.opt") == parse(text, "m.opt")
    assert format_source(out, "m.opt") == out
    for line in text.splitlines():
        if "#" in line:
            assert line[line.index("#"):].strip() in out  # no comment lost


# ---- fixed in optiform/dsl: bytes that are not UTF-8, byte-order marks -----------------


def test_a_model_file_that_is_not_utf8(tmp_path: Path) -> None:
    # was: UnicodeDecodeError traceback from `optiform check` (dsl/parser.py, parse_file)
    path = tmp_path / "latin1.opt"
    path.write_bytes("variables\n  größe\n".encode("latin-1"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}:2:5" in result.output and "not UTF-8" in result.output


def test_a_model_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.opt"
    path.write_bytes(b"\xef\xbb\xbfvariables\n  x\n")
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0


TRANSPORT = (Path(__file__).resolve().parents[2] / "examples" / "transport_data.opt"
             ).read_text(encoding="utf-8")
MODEL = "sets\n  S\nparameters\n  q[S]\nvariables\n  x\n"


@pytest.mark.parametrize(("name", "raw"), [
    ("d.json", b'{"S": ["a"], "q": {"a": 1}} \xff'),
    ("d.yaml", b"S: [a]\nq: {a: 1}\n\xff: 1\n"),
])
def test_a_data_file_that_is_not_utf8(tmp_path: Path, name: str, raw: bytes) -> None:
    # was: UnicodeDecodeError (dsl/data.py, load_data)
    path = tmp_path / name
    path.write_bytes(raw)
    exc = _data_error(MODEL, path)
    assert "not UTF-8" in exc.diagnostics[0].message
    assert exc.diagnostics[0].span.file == str(path)


def test_a_csv_file_that_is_not_utf8(tmp_path: Path) -> None:
    # was: UnicodeDecodeError (dsl/data.py, _load_csv_folder)
    (tmp_path / "S.csv").write_bytes(b"S\na\n\xff\n")
    (tmp_path / "q.csv").write_bytes(b"S,q\na,1\n")
    exc = _data_error(MODEL, tmp_path)
    d = exc.diagnostics[0]
    assert "not UTF-8" in d.message and (d.span.line, d.span.column) == (3, 1)


def test_a_json_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    # was: "invalid JSON: Unexpected UTF-8 BOM"; Windows editors write one
    path = tmp_path / "d.json"
    path.write_bytes(b'\xef\xbb\xbf{"S": ["a"], "q": {"a": 1}}')
    optiform.loads(MODEL, data=path).compile()


# ---- fixed in optiform/dsl: data files ------------------------------------------------


def test_json_nested_too_deeply(tmp_path: Path) -> None:
    # was: RecursionError from json.loads (dsl/data.py, _load_json)
    path = tmp_path / "d.json"
    path.write_text('{"S": ["a"], "q": ' + "[" * 100_000 + "]" * 100_000 + "}")
    exc = _data_error(MODEL, path)
    assert "nested too deeply" in exc.diagnostics[0].message


def test_yaml_nested_too_deeply(tmp_path: Path) -> None:
    # was: RecursionError from yaml.compose (dsl/data.py, _load_yaml); found by
    # test_broken_data_files_long, 3000 `[` inserted in a YAML file
    path = tmp_path / "d.yaml"
    path.write_text("S: [a]\nq: " + "[" * 3000 + "]" * 3000 + "\n")
    exc = _data_error(MODEL, path)
    assert "nested too deeply" in exc.diagnostics[0].message


@pytest.mark.parametrize("key", ["1", "true", "~", "<<"])
def test_a_yaml_name_that_is_not_text(tmp_path: Path, key: str) -> None:
    # was: KeyError (dsl/data.py, _load_yaml: the key node's text is not the loaded key)
    path = tmp_path / "d.yaml"
    value = "{r: 1}" if key == "<<" else "2"
    path.write_text(f"S: [a]\nq: {{a: 1}}\n{key}: {value}\n")
    exc = _data_error(MODEL, path)
    d = exc.diagnostics[0]
    assert f"`{key}` is not a name" in d.message and (d.span.line, d.span.column) == (3, 1)


def test_a_yaml_character_that_yaml_refuses(tmp_path: Path) -> None:
    # was: a DiagnosticError without a location (dsl/data.py, _load_yaml: a ReaderError
    # has no problem_mark); found by test_broken_data_files_long
    path = tmp_path / "d.yaml"
    path.write_bytes(b"S: [a]\nq: {a: 1}\nr: \x00\n")
    exc = _data_error(MODEL, path)
    d = exc.diagnostics[0]
    assert "U+0000" in d.message and (d.span.line, d.span.column) == (3, 4)


def test_a_csv_field_over_the_csv_module_limit(tmp_path: Path) -> None:
    # was: _csv.Error: field larger than field limit (131072) (dsl/data.py)
    (tmp_path / "S.csv").write_text("S\na\n")
    (tmp_path / "q.csv").write_text("S,q\na," + "9" * 200_000 + "\n")
    exc = _data_error(MODEL, tmp_path)
    d = exc.diagnostics[0]
    assert "unreadable CSV" in d.message and d.span.line == 2


# ---- fixed in the compiler, the data loading and solve (commits 2245866, 0428f7c) ----


def test_a_data_number_too_large_for_a_float(tmp_path: Path) -> None:
    # was: OverflowError: int too large to convert to float
    #   compiler/instantiate.py, _number: `return float(raw)`
    path = tmp_path / "d.json"
    path.write_text('{"S": ["a"], "q": {"a": 1' + "0" * 400 + "}}")
    exc = _data_error(MODEL, path)
    assert "q" in exc.diagnostics[0].message


def test_a_scalar_data_number_too_large_for_a_float() -> None:
    # was: OverflowError from the same line, through the Python API
    _error("parameters\n  p\nvariables\n  x\n", {"p": 10**400})


@pytest.mark.parametrize("member", [2**53 + 1, "99999999999999999999", -(2**63)])
def test_a_data_member_too_large(tmp_path: Path, member: object) -> None:
    # was: ValueError: integer member ... is too large
    #   compiler/keys.py, Universe.encode, from instantiate.py, _encode_member
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"S": [member], "q": {}}))
    _data_error(MODEL, path)


def test_a_nested_data_value_that_is_a_list(tmp_path: Path) -> None:
    # was: ValueError: setting an array element with a sequence ... inhomogeneous shape
    #   compiler/instantiate.py, _nested_entries: `values = np.array(raw_values)`
    path = tmp_path / "d.json"
    path.write_text('{"S": ["a", "b"], "q": {"a": 1, "b": [2]}}')
    exc = _data_error(MODEL, path)
    assert "q" in exc.diagnostics[0].message


def test_an_integer_array_member_at_the_symbol_codes() -> None:
    # was: IndexError: list index out of range
    #   compiler/keys.py, Universe.decode (numpy integer arrays skip Universe.encode's
    #   range check in instantiate.py, _set_from_data)
    model = "sets\n  S\nvariables\n  x[S] in [0, 1]\nobjective\n  maximize o: sum(s in S) x[s]\n"
    check_text(model, {"S": np.array([2**60])})


def test_a_member_equal_to_the_first_symbol_code() -> None:
    # was: no exception, a wrong answer: 4503599627370496 (2**52, keys.SYMBOL_BASE) is the
    # code of the first symbol, so the set below has one member instead of two.
    text = "sets\n  S = {4503599627370496, a}\nvariables\n  x[S]\n"
    try:
        problem = optiform.loads(text).compile()
    except DiagnosticError as exc:
        check_diagnostics(exc, {"<model>": text})
    else:
        assert len(problem.sets["S"]) == 2


def test_an_integer_member_beyond_int64() -> None:
    # was: no exception, a wrong answer: the member became -9223372036854775808
    #   compiler/evaluate.py, _integral: `rounded.astype(np.int64)` on 1e20
    text = "sets\n  S = {99999999999999999999, 1}\nvariables\n  x[S]\n"
    try:
        problem = optiform.loads(text).compile()
    except DiagnosticError as exc:
        check_diagnostics(exc, {"<model>": text})
    else:
        members = {problem.universe.decode(c) for c in problem.sets["S"].codes[:, 0]}
        assert members == {99999999999999999999, 1}, members


def test_a_set_operator_used_as_a_number() -> None:
    # was: RecursionError: Evaluator.num sent a Binary that is not arithmetic to cond, and
    # cond sent what is not a comparison back to num (compiler/evaluate.py, num/cond);
    # found by test_wild_expressions_in_a_valid_model as `p[I] default "b" inter "b"`
    _error("parameters\n  p = 1 union 2\nvariables\n  x\n")


@pytest.mark.parametrize("objective", ["abs(x[1])", "exp(sin(y[3]))"])
def test_a_bad_subscript_inside_a_nonlinear_function(objective: str) -> None:
    # was: optiform.compiler.evaluate.EvalError (`x[1]` is outside the index of `x`) and
    # ValueError: expected 2 index columns, got 1 (compiler/keys.py, KeyIndex.lookup)
    # escaping from solve, raised in backends/pyomo/model.py (`of`): the Linearizer
    # marked `abs(...)` nonlinear without looking inside, so compile() accepted it;
    # found by test_generated_models
    _error("sets\n  S = {}\n  T = 1..3\nvariables\n  x[S]\n  y[T, T]\n"
           f"objective\n  minimize o: {objective}\n")


def test_a_range_too_large_to_build() -> None:
    # was: MemoryError: Unable to allocate 745. GiB (numpy), compiler/evaluate.py, set:
    # `np.arange(lo, hi + 1)`, before the size limit applied to ranges
    check_text("sets\n  S = 1..100000000000\nvariables\n  x[S]\n")


def test_a_model_without_any_variable_solves_or_says_why() -> None:
    # was: status "error" with an empty message (exit 5, nothing printed to say why): every
    # variable is over an empty set
    result = optiform.loads("sets\n  S = 2..0\nvariables\n  x[S]\n").solve()
    assert result.status == "optimal" or result.solution.message, result.status


@pytest.mark.parametrize("name", ["d.txt", "missing.json", "empty_folder"])
def test_a_data_path_error_has_a_location(tmp_path: Path, name: str) -> None:
    # was: a DiagnosticError whose diagnostic had no span (dsl/data.py, load_data):
    # "cannot read data from", "does not exist", "has no .csv files"
    path = tmp_path / name
    if name == "d.txt":
        path.write_text("S: [a]\n")
    elif name == "empty_folder":
        path.mkdir()
    _data_error(MODEL, path)


# ---- fixed in the backends and the command line (commits 0428f7c, fb6af2d) -------


@pytest.mark.parametrize("text", [
    # was: pyomo.common.errors.InvalidConstraintError: ... resolved to a trivial Boolean (False)
    #   (backends/pyomo/model.py): a nonlinear ranged constraint whose lower bound is
    #   above its upper bound; found by test_generated_models
    "variables\n  x\nconstraints\n  c: 0 <= exp(x) <= -1\n",
    # was: ZeroDivisionError (pyomo/core/expr/numeric_expr.py), building `exp(x) / 0`
    "variables\n  x in [0, 1]\nobjective\n  minimize o: exp(x) / 0\n",
])
def test_the_nonlinear_backend_meets_a_degenerate_expression(text: str) -> None:
    check_text(text)


@pytest.mark.parametrize("member", ["[/x]", "[bold]"])
def test_a_member_that_looks_like_rich_markup(tmp_path: Path, member: str) -> None:
    # was: rich.errors.MarkupError: closing tag '[/x]' at position 0 doesn't match any open tag,
    # a traceback from `optiform solve` (cli.py, _print_result: `table.add_row` reads the
    # member's text as markup; `[bold]` silently disappeared from the table); found by
    # test_the_command_line_prints_any_model
    path = tmp_path / "m.opt"
    path.write_text(f'sets\n  S = {{"{member}"}}\nvariables\n  x[S] in [1, 2]\n'
                    "objective\n  minimize o: sum(s in S) x[s]\n")
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0 and member in result.output, result.output


# ---- fixed in the compiler, diagnostics and the pyomo backend (846ce21, 9b87350) ----


def test_a_data_list_number_too_large_for_a_float(tmp_path: Path) -> None:
    # was: OverflowError: int too large to convert to float
    #   compiler/instantiate.py, _dense_entries: `np.asarray(item.value, dtype=float)`
    #   (catches TypeError and ValueError only); found by test_broken_data_as_a_mapping
    path = tmp_path / "d.json"
    path.write_text('{"S": ["a"], "q": [1' + "0" * 400 + "]}")
    exc = _data_error(MODEL, path)
    assert "q" in exc.diagnostics[0].message


def _in_a_subprocess(code: str, model: str, seconds: int) -> subprocess.CompletedProcess:
    """`code` run by a fresh Python with the model text as its argument, for a failure
    (a hang in compiled code, a crash) that would take pytest down with it."""
    try:
        return subprocess.run([sys.executable, "-c", code, model], capture_output=True,
                              text=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer within {seconds} s")


def test_a_huge_power_in_a_nonlinear_model_is_answered_in_time() -> None:
    # was: a hang: `solve` with a 1 s time limit had not answered after 20 s. Pyomo's SCIP
    # interface (pyomo/contrib/solver/solvers/scip/base.py, _handle_pow: `x**y` with a
    # constant y) builds x^100000 before SCIP starts, so the time limit never applies
    # (x^10000 took 13 s); found by test_generated_models_long as
    # `minimize o14: x10^(p5 + 1) * ...` with p5 = 111067
    # The loop is in compiled code, where no alarm reaches it: the model runs in a child
    # process that is killed after 20 s.
    model = "variables\n  x >= 1\nobjective\n  minimize o: x^100000\n"
    code = ("import optiform, sys; m = optiform.loads(sys.argv[1])\n"
            "try:\n    print(m.solve(time_limit=1).status)\n"
            "except (optiform.DiagnosticError, optiform.BackendError) as e:\n    print(e)\n")
    done = _in_a_subprocess(code, model, seconds=20)
    assert done.returncode == 0, done.stderr


def test_a_parameter_asked_outside_its_set_says_so() -> None:
    # was: "`c` has no value for (4)", with the hint "add the entry": for a parameter without
    # a `default`, compiler/evaluate.py (subscript) only knows its given keys, so a key
    # outside the index set reads as a missing value; LANGUAGE.md wants "an error naming
    # the index and the set", as a defaulted parameter or a variable already gets
    exc = _error("sets\n  I = 1..3\nparameters\n  c[I] = [1, 2, 3]\nvariables\n  x\n"
                 "constraints\n  k: x <= c[4]\n")
    assert "outside the index of `c`" in exc.diagnostics[0].message


@pytest.mark.parametrize("odd", ["\x0c", "\x0b", "\u2028", "\x85"])
def test_the_caret_shows_the_line_the_location_names(odd: str) -> None:
    # was: the parser counts lines at "\n" only, but Diagnostic.render (diagnostics.py) cuts the
    # source with str.splitlines(), which also breaks at form feeds, vertical tabs, U+2028,
    # U+0085...: with one in a comment, the error at 5:6 is shown under line 4's text
    text = f"# a{odd}b\nvariables\n  x\nconstraints\n  c: y <= 1\n"
    exc = _error(text)
    assert "   5 |   c: y <= 1" in str(exc), str(exc)


# ---- fixed in the pyomo backend and the data loading -------------------------------------


def test_an_objective_undefined_at_the_solution_of_another() -> None:
    # was: ValueError: math domain error, escaping from solve: backends/pyomo/backend.py (go,
    # `objective_values = {name: float(pyo.value(e)) ...}`) evaluates every objective at
    # the point, and `log(x)` at x = 0 (where the first objective puts x) is undefined;
    # pyomo also logs "ERROR: evaluating object as numeric value: log(x)". Found by
    # test_generated_models_long as `minimize o5: x4` and `maximize o6: log(x4)`, x4 binary
    check_text("variables\n  x in [0, 1]\nobjective\n  minimize a: x\n"
               "  maximize b: log(x)\n")



def test_an_objective_too_large_for_a_number_at_the_solution() -> None:
    # was: OverflowError: math range error, escaping from solve: backends/pyomo/backend.py (go)
    # evaluates every objective at the point with `pyo.value(e, exception=False)`, which
    # answers None for a domain error but lets `math.exp`'s OverflowError through; here x
    # is fixed at 710 and exp(710) is past the largest float. Found by
    # test_generated_models as `x3 in [p1, 0 + p1]` with `p1 = abs(if ... else 710)`.
    text = ("variables\n  x in [710, 710]\nobjective\n  minimize a: 0\n"
            "  minimize b: exp(x)\n")
    check_text(text)
    result = optiform.loads(text).solve()
    assert result.solution.has_point and "b" not in result.objectives


def test_a_data_set_of_empty_members() -> None:
    # was: ValueError: shape mismatch: value array of shape (2,) could not be broadcast to
    # indexing result of shape (0,) (compiler/keys.py, KeyIndex.__init__, from
    # instantiate.py _set: `KeyIndex(value.codes).duplicates()` on members with no
    # position); found by test_broken_data_as_a_mapping_long as `"STORES": [[], []]`
    _error("sets\n  S\nparameters\n  q[S]\nvariables\n  x\n", {"S": [[], []], "q": {}})


@pytest.mark.parametrize(("call", "words"), [
    ("exp(if 1 > 0 then 445820 else x)", "`exp` of a constant in some row is too large"),
    ("log(if 1 > 0 then -3 else x)", "`log` of a constant in some row is outside its domain"),
    # finding 39: (-667)^667 raised OverflowError from Python's float power, found by
    # test_generated_models_long as `(if ... then x3 + x3 else -p2)^p2` with p2 = 667;
    # and a negative constant to a fractional power made a complex number, silently
    ("(if 1 > 0 then -667 else x)^667", "`^` of constants in some row is too large"),
    ("(if 1 > 0 then -2 else x)^0.5", "`^` of constants in some row is outside its domain"),
])
def test_a_function_of_a_constant_branch_past_what_a_number_holds(call: str,
                                                                  words: str) -> None:
    # was: OverflowError: math range error from pyomo's exp (backends/pyomo/model.py, the
    # unary call of `of`): the branch taken is a constant, and Pyomo applies math.exp to
    # it; found by test_generated_models_long (the long run of 19:43) as
    # `exp(if 627120 > -1000000.0 then 445820 else x3) * -max(889519, x3) <= 5`
    text = (f"variables\n  x in [1, 2]\nobjective\n  minimize o: x\nconstraints\n"
            f"  c: {call} * x <= 5\n")
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").solve()
    check_diagnostics(info.value, {"m.opt": text, **info.value.sources})
    assert words in str(info.value)


@pytest.mark.parametrize("member", ["³", "--5", "٣"])
def test_a_member_that_looks_like_digits_to_python(member: str) -> None:
    # was: ValueError: invalid literal for int() with base 10: '³' (compiler/instantiate.py,
    # _encode_member: `raw.strip().lstrip("-").isdigit()` is true for "³" and "--5", and
    # int() refuses both); found by test_broken_data_as_a_mapping_long. Only ASCII digits
    # make an integer member now; the others are names.
    problem = optiform.loads("sets\n  S\nvariables\n  x[S]\n",
                             data={"S": [member, "a"]}).compile()
    assert problem.universe.format_key(problem.sets["S"].codes[0]) == member


def test_a_max_of_a_division_by_zero_is_refused_at_the_max() -> None:
    # was: pyomo InvalidConstraintError ("resolved to a trivial Boolean") escaping from
    # solve: compiler/lowering/extremum.py lowered `max(1e300, x4 / (p1 * 0.0))` into rows
    # with an infinite coefficient, which Pyomo folds to False; found by
    # test_generated_models_long on 2026-12-03 (finding 42).
    text = ("parameters\n  p1 = 1000000000000000.0\nvariables\n  x3 in [5, 9]\n  x4\n"
            "objective\n  minimize o5: max(1e+300, x4 / (p1 * 0.0))\n"
            "  maximize o6: x3 + abs(x4) mod abs(inf)\n")
    check_text(text)
    with pytest.raises(DiagnosticError, match="not a finite number"):
        optiform.loads(text).compile()


def test_a_division_by_a_conditional_that_is_zero_is_located_for_pyomo() -> None:
    # was: ZeroDivisionError from backends/pyomo/model.py's `_arith`: `5 / (if ... then
    # x4 else 0)` with the condition false for a row, in a model that goes to Pyomo;
    # found by test_generated_models_long on 2026-12-04 (finding 43), in a model whose
    # other objective, card(S1)^362880, overflowed to inf (refused now: finding 44).
    found = ("sets\n  S1 = -1 .. 0\n  S2 = {c, north, c}\nvariables\n  x4 binary\n"
             "objective\n  minimize o5: card(S1)^362880\n  maximize o6:\n    0.0 * (5 / "
             "(if 0.5 >= sum(i7 in S2 : 4 != sum(i8 in S1 : 0 + 2 != 1 - 1) 0) inf "
             "then x4 else 0))\n")
    check_text(found)
    with pytest.raises(DiagnosticError, match="constant part of objective `o5` is inf"):
        optiform.loads(found).compile()
    text = ("sets\n  I = 1..2\nvariables\n  x[I] in [1, 2]\nobjective\n  minimize o: "
            "sum(i in I) exp(x[i]) * (5 / (if i >= 2 then x[i] else 0))\n")
    check_text(text)
    with pytest.raises(DiagnosticError, match="`/` of constants in some row is a division "
                       "by zero") as caught:
        optiform.loads(text).solve("pyomo", time_limit=5)
    span = caught.value.diagnostics[0].span
    assert span is not None and (span.line, span.column) == (6, 40)


def test_an_objective_whose_constant_overflows_is_refused() -> None:
    # was: "optimal" at inf from HiGHS and "infeasible" from SCIP (a model with no
    # constraint at all); finding 44, met beside finding 43.
    for objective in ("2^2000 + x", "x^2 + 2^2000"):
        with pytest.raises(DiagnosticError, match="constant part of objective `o` is inf"):
            optiform.loads(f"variables\n  x in [0, 1]\nobjective\n  minimize o: "
                           f"{objective}\n").compile()


# ---- fixed in the HiGHS backend ------------------------------------------------------


def test_an_iis_search_that_crashes_highs_loses_only_the_iis() -> None:
    # was: a segmentation fault that ended the whole process (and the long fuzz run):
    # backends/highs/backend.py, _conflict: `h.getIis()` with iis_strategy 2 (highspy 1.16.0), on a
    # MIP that HiGHS calls infeasible (wrongly: k = 100000 - 2e9, y = 2 fits) while the IIS's
    # elastic problem is feasible; found by test_generated_models_long. The IIS now runs in a
    # forked child. A crash here would end pytest too, so the solve runs in a subprocess.
    model = ("variables\n  k integer\n  y <= 3\nobjective\n  minimize o: y\nconstraints\n"
             "  a: 100000 <= k + 1000000000 * y <= 100000.5\n  b: y >= 2\n")
    code = ("import optiform, sys\n"
            "print(optiform.loads(sys.argv[1]).solve(time_limit=1).status)\n")
    done = _in_a_subprocess(code, model, seconds=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split() in (["infeasible"], ["optimal"]), done.stdout

"""Issue 14's findings at the input/output edge, each with its exact input.

As in test_regressions.py: each test names what the input used to do; the
contract is a result, or a located `DiagnosticError` (exit 1 from the command
line), or a write error that loses nothing (exit 7), never a traceback or a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fuzzkit import check_diagnostics, guard
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.diagnostics import MAX_SHOWN, DiagnosticError
from optiform.dsl.data import MAX_ALIAS_VALUES
from optiform.dsl.parser import MAX_MODEL_BYTES

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
MODEL = "sets\n  I\nparameters\n  c[I]\nvariables\n  x[I] >= 0\n" \
        "objective\n  minimize cost: sum(i in I) c[i] * x[i]\n"


def _data_error(data: Path | dict[str, object], model: str = MODEL) -> DiagnosticError:
    with pytest.raises(DiagnosticError) as info, guard(30):
        optiform.loads(model, data=data, file="m.opt").compile()
    check_diagnostics(info.value, {"m.opt": model, **info.value.sources})
    return info.value


# ---- duplicate keys: JSON and YAML kept the last, CSV the first ------------------------


@pytest.mark.parametrize(("name", "text", "where"), [
    ("d.json", '{"I": ["a", "b"], "c": {"a": 1, "b": 2, "a": 3}}', (1, 41)),
    ("d.json", '{"I": ["a"], "c": {"a": 1},\n "I": ["b"]}', (2, 2)),
    ("d.yaml", "I: [a, b]\nc: {a: 1, b: 2, a: 3}\n", (2, 17)),
    ("d.yaml", "I: [a, b]\nc:\n  a: 1\n  b: 2\nI: [a]\n", (5, 1)),
])
def test_a_key_given_twice_in_a_data_file(tmp_path: Path, name: str, text: str,
                                          where: tuple[int, int]) -> None:
    # was: read silently, the last value kept (json.loads, yaml.safe_load)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    d = _data_error(path).diagnostics[0]
    assert "given twice" in d.message and d.span is not None
    assert (d.span.file, d.span.line, d.span.column) == (str(path), *where)


def test_a_key_given_twice_in_a_csv_file(tmp_path: Path) -> None:
    # was: read silently, the first row kept
    (tmp_path / "I.csv").write_text("I\na\nb\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("I,c\na,1\nb,2\na,3\n", encoding="utf-8")
    d = _data_error(tmp_path).diagnostics[0]
    assert "key (a) of `c` is given twice" in d.message
    assert d.span is not None and (d.span.file, d.span.line) == (str(tmp_path / "c.csv"), 4)


def test_two_texts_of_one_integer_member_are_one_key() -> None:
    d = _data_error({"I": [1, 2], "c": {"1": 1, "01": 2, "2": 3}}).diagnostics[0]
    assert "key (1) of `c` is given twice" in d.message


# ---- YAML aliases --------------------------------------------------------------------

BOMB = "a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "".join(
    f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi",
                                                                       strict=True))


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    # was: 414 bytes grew to 5.6 GB in 106 s
    assert len(BOMB) < 500
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    d = _data_error(path).diagnostics[0]
    assert time.perf_counter() - started < 10
    assert f"at most {MAX_ALIAS_VALUES:,}" in d.message


def test_a_yaml_alias_inside_itself(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("I: &x [a, *x]\n", encoding="utf-8")
    assert "refers to the value that holds it" in _data_error(path).diagnostics[0].message


def test_yaml_aliases_that_repeat_a_little_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("I: &i [a, b]\nc: {a: 1, b: 2}\n", encoding="utf-8")
    assert optiform.loads(MODEL, data=path).compile().n_vars == 2


# ---- what is not a regular file, and sizes -------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def test_a_fifo_as_data_is_refused(fifo: Path) -> None:
    # was: blocked forever waiting for a writer
    d = _data_error(fifo).diagnostics[0]
    assert d.message == f"`{fifo}` is a FIFO, not a file"


def test_a_fifo_as_a_model_is_refused(fifo: Path) -> None:
    result = runner.invoke(app, ["check", str(fifo)])
    assert result.exit_code == 1 and "is a FIFO, not a file" in result.output


def test_a_fifo_as_a_csv_file_is_refused(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    (tmp_path / "I.csv").write_text("I\na\n", encoding="utf-8")
    os.mkfifo(tmp_path / "c.csv")
    assert "is a FIFO, not a file" in _data_error(tmp_path).diagnostics[0].message


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_dev_zero_as_data_is_refused(tmp_path: Path) -> None:
    # was: read whole (it never ends)
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    assert "is a device, not a file" in _data_error(link).diagnostics[0].message
    result = runner.invoke(app, ["check", "/dev/zero"])
    assert result.exit_code == 1 and "is a device, not a file" in result.output


def test_a_folder_named_like_a_csv_file(tmp_path: Path) -> None:
    # was: IsADirectoryError traceback
    (tmp_path / "I.csv").write_text("I\na\n", encoding="utf-8")
    (tmp_path / "x.csv").mkdir()
    d = _data_error(tmp_path).diagnostics[0]
    assert d.message == f"`{tmp_path / 'x.csv'}` is a folder, not a CSV file"


def test_a_model_past_the_size_limit_is_refused_at_once(tmp_path: Path) -> None:
    # was: 10 MB parsed for over 180 s
    text = "variables\n  x\n" + "# " + "a" * MAX_MODEL_BYTES + "\n"
    started = time.perf_counter()
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text)
    assert "larger than 1 MiB" in str(info.value)
    path = tmp_path / "big.opt"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and f"{path}:1:1" in result.output
    assert time.perf_counter() - started < 10


def test_thousands_of_unknown_names_print_fifty(tmp_path: Path) -> None:
    # was: 280 s of error output for 16,000, growing quadratically (4,000 keep this quick)
    n = 4_000
    text = "variables\n  x\nconstraints\n" + "".join(f"  c{i}: u{i} >= 1\n" for i in range(n))
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    started = time.perf_counter()
    shown = str(info.value)
    assert time.perf_counter() - started < 2
    assert len(info.value.diagnostics) == n
    assert shown.count("error: unknown name") == MAX_SHOWN
    assert shown.endswith(f"{n} errors ({n - MAX_SHOWN} more not shown: fix these first)")


# ---- line ends, encodings ---------------------------------------------------------------


def test_bare_cr_line_ends_are_line_ends(tmp_path: Path) -> None:
    # was: the whole file after the first `#` read as one comment
    text = "variables\r  x >= 0 # a comment\r  y >= 1\robjective\r  minimize c: x + y\r"
    assert optiform.loads(text).solve().objectives == {"c": 1.0}
    path = tmp_path / "cr.opt"
    path.write_bytes(text.encode())
    result = runner.invoke(app, ["fmt", str(path)])
    assert result.exit_code == 0 and "  x >= 0  # a comment\n  y >= 1\n" in result.output
    bad = tmp_path / "bad.opt"
    bad.write_bytes(b"variables\r  x\rconstraints\r  c: y >= 1\r")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1 and f"{bad}:4:6" in result.output


def test_fmt_on_latin1_text(tmp_path: Path) -> None:
    # was: UnicodeDecodeError traceback
    path = tmp_path / "latin1.opt"
    path.write_bytes("variables\n  x # größe\n".encode("latin-1"))
    result = runner.invoke(app, ["fmt", str(path)])
    assert result.exit_code == 1 and f"{path}:2:9" in result.output
    assert "not UTF-8" in result.output and "Traceback" not in result.output


def test_fmt_on_a_byte_order_mark(tmp_path: Path) -> None:
    # was: the mark read as an unexpected character
    path = tmp_path / "bom.opt"
    path.write_bytes(b"\xef\xbb\xbfvariables\n  x\n")
    result = runner.invoke(app, ["fmt", str(path)])
    assert result.exit_code == 0 and result.output.endswith("\nvariables\n  x\n")
    assert "\ufeff" not in result.output
    assert runner.invoke(app, ["fmt", "--check", str(path)]).exit_code == 1
    assert runner.invoke(app, ["fmt", "--write", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") == result.output
    assert runner.invoke(app, ["fmt", "--check", str(path)]).exit_code == 0


# ---- writes that fail: a file-size limit stands in for a full disk -----------------------

_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["optiform", *sys.argv[2:]]
from optiform.cli import main
main()
"""


def _optiform(*args: str, limit: int | None = None, stdout: int | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = _LIMITED if limit is not None else "from optiform.cli import main; main()"
    argv = [sys.executable, "-c", code, *([str(limit)] if limit is not None else []), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(argv, stdout=stdout if stdout is not None else subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, env=env, cwd=cwd,
                          check=False)


needs_limits = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE, Linux")


@needs_limits
# .lp (HiGHS writes it) and .nl (Pyomo) in the quick run; .mps, HiGHS again, in the full one
@pytest.mark.parametrize("suffix", [".lp", pytest.param(".mps", marks=pytest.mark.slow), ".nl"])
def test_export_to_a_full_disk_says_so_and_leaves_nothing(tmp_path: Path, suffix: str) -> None:
    # was: "wrote" and exit 0 with 64 KB of 747 KB written (.lp, .mps); a traceback (.nl)
    target = tmp_path / f"model{suffix}"
    done = _optiform("export", str(ROOT / "examples" / "set_covering.opt"), "-o", str(target),
                     limit=1000)
    assert done.returncode == 7, (done.stdout, done.stderr)
    assert "wrote" not in done.stdout and "Traceback" not in done.stderr
    assert f"cannot write `{target}`" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@needs_limits
def test_export_that_fails_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.lp"
    target.write_text("old\n", encoding="utf-8")
    done = _optiform("export", str(ROOT / "examples" / "set_covering.opt"), "-o", str(target),
                     limit=1000)
    assert done.returncode == 7 and target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.lp"]


def test_export_onto_what_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "x.lp").mkdir()
    result = runner.invoke(app, ["export", str(ROOT / "examples" / "knapsack.opt"), "-o",
                                 str(tmp_path / "x.lp")])
    assert result.exit_code == 7 and "it is a folder" in result.output


@needs_limits
def test_fmt_write_on_a_full_disk_keeps_the_model(tmp_path: Path) -> None:
    # was: the model truncated and unparsable
    model = tmp_path / "m.opt"
    model.write_text((ROOT / "examples" / "set_covering.opt").read_text(encoding="utf-8")
                     .replace("\n", "\n\n"), encoding="utf-8")
    formatted = runner.invoke(app, ["fmt", str(model)]).output
    before = model.read_bytes()
    done = _optiform("fmt", "--write", str(model), limit=len(before) // 3)
    assert done.returncode == 7 and "Traceback" not in done.stderr, done.stderr
    assert model.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.opt"]
    assert _optiform("fmt", "--write", str(model)).returncode == 0
    assert model.read_text(encoding="utf-8") == formatted


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
# solve's two printers in the quick run; show and fmt, through the same guard, in the full one
@pytest.mark.parametrize("args", [["solve"], ["solve", "--json"],
                                  pytest.param(["show"], marks=pytest.mark.slow),
                                  pytest.param(["fmt"], marks=pytest.mark.slow)])
def test_standard_output_on_a_full_device(args: list[str]) -> None:
    # was: an OSError traceback
    with open("/dev/full", "w") as full:
        done = _optiform(args[0], str(ROOT / "examples" / "set_covering.opt"), *args[1:],
                         stdout=full.fileno())
    assert done.returncode == 7, done.stderr
    assert done.stderr.strip() == ("error: cannot write to standard output: No space left on "
                                   "device")


@pytest.mark.parametrize("args", [["solve", "--all"], ["solve", "--json"]])
def test_a_pipe_closed_early_exits_quietly(args: list[str]) -> None:
    # was: exit 1, the code for a wrong model
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-m", "optiform", args[0],
                           str(ROOT / "examples" / "set_covering.opt"), *args[1:]],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # before the child (still starting Python) writes anything
        errors = child.stderr.read().decode()
        assert child.wait(timeout=120) == 141
    assert errors == ""


def test_a_string_member_that_looks_like_a_number_receives_json_data(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"c": {"1": 5, "b": 2}}), encoding="utf-8")
    model = ('sets\n  I = {"1", b}\nparameters\n  c[I]\nvariables\n  x[I] in [1, 2]\n'
             "objective\n  minimize o: sum(i in I) c[i] * x[i]\n")
    assert optiform.loads(model, data=path).solve().objectives == {"o": 7.0}


# ---- sizes while grounding ----------------------------------------------------------


def test_a_product_of_sets_past_the_size_limit() -> None:
    # was: `P = I*I*I*I` built with no size check (MemoryError, 181 GiB)
    text = "sets\n  I = 1..1000\n  P = I*I*I*I\nvariables\n  x\n"
    with pytest.raises(DiagnosticError) as info, guard(30):
        optiform.loads(text, file="m.opt").compile()
    d = info.value.diagnostics[0]
    assert "this product of sets would create 1,000,000,000 rows" in d.message
    assert d.span is not None and (d.span.line, d.span.column) == (3, 7)


@pytest.mark.skipif(sys.platform != "linux", reason="the memory bound is RLIMIT_AS, Linux")
@pytest.mark.parametrize("text", [
    "sets\n  I = 1..200\n  P = I*I*I*I\nvariables\n  x\n",
    "sets\n  I = 1..200\nvariables\n  x[I, I, I, I]\n",
    "sets\n  I = 1..200\nvariables\n  x\nconstraints\n"
    "  c: sum(i in I, j in I, k in I, l in I) (i * j * k * l) * x >= 1\n",
])
def test_a_limit_raised_past_the_memory_is_an_error(text: str) -> None:
    # was: `--max-size 2000000000` ending in a MemoryError traceback
    with pytest.raises(DiagnosticError) as info, guard(60):
        optiform.loads(text, file="m.opt", max_size=2_000_000_000).compile()
    check_diagnostics(info.value, {"m.opt": text})
    assert "needs more memory than this machine has" in info.value.diagnostics[0].message


@pytest.mark.parametrize(("args", "flag"), [
    (["--starts", "10000000", "--backend", "torch"], "--starts"),
    (["--temperature", "inf", "--backend", "gflownet"], "--temperature"),
    (["--device", "bogus", "--backend", "torch"], "--device"),
    (["--seed", str(2**70)], "--seed"),
    (["--max-size", "0"], "--max-size"),
    (["--pareto", "3", "--seed", "-1", "--backend", "gflownet"], "--seed"),
])
def test_option_values_are_usage_errors(args: list[str], flag: str) -> None:
    # was: tracebacks from torch (`--seed 2**70`, `--device bogus`) or a run out of memory
    result = runner.invoke(app, ["solve", str(ROOT / "examples" / "knapsack.opt"), *args])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {flag}" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_fmt_write_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.opt"
    real.write_text("variables\n    x>=0\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.opt"
    link.symlink_to(real)
    assert runner.invoke(app, ["fmt", "--write", str(link)]).exit_code == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").endswith("  x >= 0\n")
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.opt", "real.opt"]


def test_yaml_brackets_nested_deeply_are_refused_quickly(tmp_path: Path) -> None:
    # was: no answer within 20 s on a loaded machine (PyYAML's scanner is quadratic in
    # the depth of `[`: 3,000 levels took 3 s alone); found by test_broken_data_files_long
    path = tmp_path / "d.yaml"
    path.write_bytes(b"[" * 3000 + b"PLANTS: [a]\n")
    started = time.perf_counter()
    d = _data_error(path).diagnostics[0]
    assert time.perf_counter() - started < 1
    assert "nested too deeply" in d.message and d.span is not None
    assert (d.span.line, d.span.column) == (1, 201)


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\x85", "\u2028"])
def test_yaml_with_other_line_breaks_is_located_on_its_lines(tmp_path: Path, brk: str) -> None:
    # was: "invalid YAML" at line 4 of a text that, split at "\n", had one line (PyYAML
    # counts "\r", U+0085 and U+2028 as line breaks); found by test_broken_data_files_long
    # with bare-CR line ends
    path = tmp_path / "d.yaml"
    path.write_text(brk.join(["I: [a]", "c:", "  a: 1", " , b: 2", ""]), encoding="utf-8")
    exc = _data_error(path)
    d = exc.diagnostics[0]
    assert d.span is not None and d.span.line == 4
    assert "   4 |  , b: 2" in str(exc)


def test_json_with_bare_cr_line_ends_is_located_on_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"I": ["a", "b"],\r "c": {"a": 1,\r "a": 2}}', encoding="utf-8")
    exc = _data_error(path)
    assert "   3 |  \"a\": 2}}" in str(exc)
    d = exc.diagnostics[0]
    assert d.span is not None and (d.span.line, d.span.column) == (3, 2)

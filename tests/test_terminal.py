"""User text reaches the terminal as text: escapes shown, markup and emoji codes literal."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import optiform
from optiform.cli import app
from optiform.diagnostics import DiagnosticError
from optiform.terminal import printable

runner = CliRunner()
TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title
CLEAR = "\x1b[2J"  # clears the screen


@pytest.mark.parametrize(("raw", "shown"), [
    (TITLE, "\\x1b]0;pwned\\x07"), (CLEAR, "\\x1b[2J"), ("a\rb", "a\\x0db"),
    ("\u202egnp.exe", "\\u202egnp.exe"), ("\x9b31m", "\\x9b31m"), ("é 名前 🙂", "é 名前 🙂"),
    ("a\nb\tc", "a\\x0ab\\x09c"),
])
def test_printable_writes_control_characters_as_escapes(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_keeps_the_lines_of_a_longer_text() -> None:
    assert printable(f"one\n\ttwo{CLEAR}", lines=True) == "one\n\ttwo\\x1b[2J"


MODEL = f"""model m
sets
  S = {{"[bold]b", ":x:c{CLEAR}", "{TITLE}"}}
variables
  x[S] in [1, 2]
objective
  minimize cost: sum(s in S) x[s]
"""


def test_solve_prints_members_with_escapes_and_markup_as_written(tmp_path: Path) -> None:
    (tmp_path / "m.opt").write_text(MODEL, encoding="utf-8")
    result = runner.invoke(app, ["solve", str(tmp_path / "m.opt"), "--all"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[bold]b" in result.output
    assert ":x:c\\x1b[2J" in result.output and "\\x1b]0;pwned\\x07" in result.output
    assert "❌" not in result.output


def test_show_prints_members_with_escapes(tmp_path: Path) -> None:
    (tmp_path / "m.opt").write_text(MODEL, encoding="utf-8")
    result = runner.invoke(app, ["show", str(tmp_path / "m.opt")])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and ":x:c\\x1b[2J" in result.output


def test_a_caret_stays_under_its_token_after_an_escape_and_an_emoji_code() -> None:
    text = (f'sets\n  S = {{":x:{CLEAR}"}}\nvariables\n  x[S]\nconstraints\n'
            f'  c: x[":x:{CLEAR}"] + y >= 1 # :x: {TITLE}\n')
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    lines = str(info.value).split("\n")
    quoted = next(line for line in lines if line.startswith("   6 | "))
    caret = lines[lines.index(quoted) + 1]
    assert "\x1b" not in quoted and "\\x1b]0;pwned\\x07" in quoted
    assert quoted[caret.index("^")] == "y"


def test_a_caret_moves_past_an_escape_before_it() -> None:
    text = f'sets\n  S = {{"{CLEAR}"}} union Q\nvariables\n  x\n'
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    lines = str(info.value).split("\n")
    quoted = next(line for line in lines if line.startswith("   2 | "))
    caret = lines[lines.index(quoted) + 1]
    assert quoted[caret.index("^")] == "Q"
    assert "\x1b" not in str(info.value)


def test_the_command_line_prints_a_diagnostic_with_markup_as_written(tmp_path: Path) -> None:
    (tmp_path / "m.opt").write_text(
        "variables\n  x\nconstraints\n  c: y[\":x:\"] >= 1 # [bold]\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(tmp_path / "m.opt")])
    assert result.exit_code == 1
    quoted = next(line for line in result.output.split("\n") if line.startswith("   4 | "))
    assert quoted == '   4 |   c: y[":x:"] >= 1 # [bold]'

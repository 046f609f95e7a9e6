"""The built LALR parser is kept in the user's cache folder, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark

from optiform.dsl import parser as P

TEXT = "model m\nvariables\n  x >= 0\nobjective\n  minimize o: 2 * x + 1\n"


def test_the_cache_file_lives_in_the_user_cache_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = P._cache_file()
    assert isinstance(path, str) and Path(path).parent == tmp_path / "optiform"
    options = dict(parser="lalr", lexer="basic", propagate_positions=True,
                   maybe_placeholders=True)
    built = Lark(P.grammar_text(), cache=path, **options)  # writes the file
    assert Path(path).is_file()
    loaded = Lark(P.grammar_text(), cache=path, **options)  # reads it
    assert built.parse(TEXT) == loaded.parse(TEXT)


def test_no_cache_where_no_folder_can_be_made(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file, not a folder
    assert P._cache_file() is False
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    assert P._cache_file() is False

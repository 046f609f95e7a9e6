"""The whole-file CSV reader against the csv module's row-by-row reader.

`_plain_csv` splits a quote-free file a whole column at a time; whatever it
accepts it must read exactly as `_quoted_csv` (the csv module) does: the same
header, cells, stripped cells and line numbers, blank rows dropped; whatever
it cannot read that way it must hand back (None), never misread. Random texts
mix widths, blank lines, spaces and tabs, Unicode spaces, CRLF line ends and
a missing final line end; the compiler then reads both tables to the same keys
and values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import optiform
from optiform import DiagnosticError
from optiform.dsl.data import _plain_csv, _quoted_csv

CELLS = st.sampled_from(["a", "b", "7", "-3", "", " ", " x ", "\t2.5", "1e3", "é", "\u00a0y",
                         "inf", "q r"])


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 3))
    header = ",".join(draw(st.lists(st.sampled_from(["S", " T", "value", "v "]),
                                    min_size=width, max_size=width)))
    lines = [header]
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(draw(st.sampled_from(["", "  ", ",", " , ", "\t"])))
        elif kind == 1:  # a row of another width
            lines.append(",".join(draw(st.lists(CELLS, min_size=1, max_size=4))))
        else:
            lines.append(",".join(draw(st.lists(CELLS, min_size=width, max_size=width))))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + draw(st.sampled_from(["", end, end + end]))


def same(text: str, path: Path) -> None:
    fast = _plain_csv(text)
    try:
        slow = _quoted_csv(text, path)
    except DiagnosticError:
        assert fast is None, text
        return
    if fast is None:
        return
    assert fast.header == slow.header, text
    assert [list(c) for c in fast.columns] == [list(c) for c in slow.columns], text
    assert fast.lines.tolist() == slow.lines.tolist(), text


@settings(max_examples=400, deadline=None, derandomize=True)
@given(csv_texts())
def test_whole_file_reader_reads_as_the_csv_module(text: str) -> None:
    same(text, Path("t.csv"))


def test_whole_file_reader_takes_the_plain_files_and_leaves_the_rest() -> None:
    assert _plain_csv("S,value\na,1\n\nb, 2\n") is not None
    assert _plain_csv("S,value\r\na,1\r\n") is not None
    for text in ['S,value\n"a,b",1\n', "S,value\na,1,2\n", "S\na\rb\n", "S\na\0\n", "",
                 "S,q\na," + "9" * 200_000 + "\n"]:
        assert _plain_csv(text) is None, text


def test_a_large_csv_compiles_as_its_json(tmp_path: Path) -> None:
    """A parameter's columns read a whole column at a time, keys and values as JSON gives."""
    model = """\
sets
  I
  J
parameters
  cost[I, J]
variables
  x[I, J] >= 0
objective
  minimize total: sum(i in I, j in J) cost[i, j] * x[i, j]
"""
    rng = np.random.default_rng(3)
    I, J = [3, 1, 2], ["b", "a c", "d"]  # noqa: E741
    cost = rng.uniform(0, 9, size=(3, 3))
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "I.csv").write_text("I\n" + "\n".join(map(str, I)) + "\n")
    (folder / "J.csv").write_text("J\n" + "\n".join(J) + "\n")
    rows = [(i, j, float(cost[a, b])) for a, i in enumerate(I) for b, j in enumerate(J)]
    from_arrays = optiform.loads(model, data={"I": I, "J": J, "cost": cost}).compile()
    for shuffle in (False, True):  # in set order (as dense data), then looked up by key
        if shuffle:
            rng.shuffle(rows)
        (folder / "cost.csv").write_text("I,J,value\n" + "".join(
            f"{i}, {j} ,{v!r}\n" for i, j, v in rows))
        from_csv = optiform.loads(model, data=folder).compile()
        assert np.array_equal(from_csv.objectives[0].terms.lin_val,
                              from_arrays.objectives[0].terms.lin_val)

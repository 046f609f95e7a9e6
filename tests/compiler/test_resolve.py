"""Semantic errors: each names its line and column, says what is wrong and what to try.

Every model here parses; the problems are found by name resolution (or, for
keys outside their sets, by grounding), and all of a file's problems arrive
together in one DiagnosticError.
"""

from __future__ import annotations

import re

import pytest

import optiform
from optiform import Diagnostic, DiagnosticError


def diagnostics(text: str, file: str = "m.opt") -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file=file).compile()
    return info.value.diagnostics


def only(text: str) -> Diagnostic:
    found = diagnostics(text)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


def at(d: Diagnostic) -> tuple[int, int]:
    assert d.span is not None, d.message
    return d.span.line, d.span.column


def test_unknown_name_suggests_the_closest_declared_one() -> None:
    d = only("""\
sets
  I = 1..3
parameters
  cost[I] = [1, 2, 3]
  count = 3
variables
  x[I] >= 0
objective
  minimize total: sum(i in I) cots[i] * x[i]
""")
    assert at(d) == (9, 31)
    assert "unknown name `cots`" in d.message
    assert d.hint is not None and "`cost`" in d.hint and "count" not in d.hint


def test_unknown_name_without_a_close_one_says_how_to_declare_it() -> None:
    d = only("""\
sets
  I = 1..3
variables
  x[I] >= 0
constraints
  c[i in I]: x[i] <= zzzqqq
""")
    assert at(d) == (6, 22)
    assert "`zzzqqq`" in d.message
    assert d.hint is not None and "declare" in d.hint


def test_rendered_error_shows_file_line_column_and_caret() -> None:
    text = """\
sets
  I = 1..3
parameters
  cost[I] = [1, 2, 3]
variables
  x[I] >= 0
objective
  minimize total: sum(i in I) cots[i] * x[i]
"""
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="shop.opt").compile()
    shown = str(info.value)
    assert "shop.opt:8:31" in shown
    assert "  minimize total: sum(i in I) cots[i] * x[i]" in shown
    caret_line = next(line for line in shown.splitlines() if "^" in line)
    source_line = next(line for line in shown.splitlines() if "cots[i]" in line)
    assert caret_line.index("^") == source_line.index("cots")


def test_unknown_set_in_a_binder_lists_the_sets() -> None:
    d = only("""\
sets
  I = 1..3
  ITEMS = {a, b}
variables
  x[I] >= 0
objective
  minimize total: sum(i in J) x[i]
""")
    assert at(d) == (7, 28)
    assert "unknown set `J`" in d.message
    assert d.hint is not None and "I" in d.hint


def test_unknown_set_in_a_binder_suggests_a_close_one() -> None:
    d = only("""\
sets
  ITEMS = {a, b}
variables
  x[ITEMS] >= 0
constraints
  c[i in ITEM]: x[i] <= 1
""")
    assert at(d) == (6, 10)
    assert "`ITEM`" in d.message
    assert d.hint is not None and "`ITEMS`" in d.hint


def test_duplicate_declaration_points_at_the_second_and_names_the_first() -> None:
    d = only("""\
sets
  I = 1..3
parameters
  cap = 4
variables
  x[I] >= 0
  cap >= 0
""")
    assert at(d) == (7, 3)
    assert "`cap` is declared twice" in d.message
    assert "line 4" in d.message


def test_duplicate_constraint_names() -> None:
    d = only("""\
variables
  x >= 0
constraints
  c: x <= 1
  c: x >= 0
""")
    assert at(d) == (5, 3)
    assert "`c`" in d.message and "twice" in d.message


def test_variable_in_a_parameter() -> None:
    d = only("""\
parameters
  p = 2 * x + 1
variables
  x >= 0
""")
    assert at(d) == (2, 11)
    assert "variable `x`" in d.message and "parameter `p`" in d.message
    assert d.hint is not None and "data" in d.hint


def test_variable_in_a_bound() -> None:
    d = only("""\
variables
  y >= 0
  x >= 0, <= y
""")
    assert at(d) == (3, 14)
    assert "variable `y`" in d.message and "bound" in d.message


def test_variable_in_a_filter() -> None:
    d = only("""\
sets
  I = 1..3
variables
  x[I] >= 0
constraints
  c[i in I : x[i] > 0]: x[i] <= 1
""")
    assert at(d) == (6, 14)
    assert "variable `x`" in d.message and "condition" in d.message


def test_variable_in_a_reduction_filter() -> None:
    d = only("""\
sets
  I = 1..3
variables
  x[I] >= 0
objective
  minimize o: sum(i in I : x[i] >= 1) x[i]
""")
    assert at(d) == (6, 28)
    assert "variable `x`" in d.message and "condition" in d.message


def test_scalar_parameter_given_indices() -> None:
    d = only("""\
sets
  I = 1..3
parameters
  n = 3
variables
  x[I] >= 0
constraints
  c[i in I]: x[i] <= n[i]
""")
    assert at(d) == (8, 22)
    assert "parameter `n` is a scalar" in d.message
    assert d.hint is not None and "`n` alone" in d.hint


def test_indexed_parameter_used_bare() -> None:
    d = only("""\
sets
  I = 1..3
parameters
  cap[I] = [1, 2, 3]
variables
  x[I] >= 0
constraints
  c[i in I]: x[i] <= cap
""")
    assert at(d) == (8, 22)
    assert "parameter `cap` is indexed" in d.message
    assert "cap[...]" in d.message


def test_index_bound_twice_in_nested_sums() -> None:
    d = only("""\
sets
  I = 1..3
variables
  x[I] >= 0
objective
  minimize o: sum(i in I) sum(i in I) x[i]
""")
    assert at(d) == (6, 31)
    assert "index `i` is already bound" in d.message
    assert d.hint is not None and "different name" in d.hint


def test_index_bound_twice_in_one_constraint_index() -> None:
    d = only("""\
sets
  I = 1..3
variables
  x[I] >= 0
constraints
  c[i in I, i in I]: x[i] <= 1
""")
    assert at(d) == (6, 13)
    assert "index `i` is already bound" in d.message


def test_dependency_cycle_names_both_parameters() -> None:
    d = only("""\
parameters
  a = b + 1
  b = 2 * a
variables
  x >= 0
""")
    assert d.span is not None and d.span.line in (2, 3)
    assert "cycle" in d.message
    assert re.search(r"\ba\b", d.message) and re.search(r"\bb\b", d.message)


def test_dependency_cycle_through_a_set() -> None:
    d = only("""\
sets
  I = 1..n
  J = {j in I : j > 0}
parameters
  n = card(J)
variables
  x >= 0
""")
    assert "cycle" in d.message
    for name in ("I", "J", "n"):
        assert re.search(rf"\b{name}\b", d.message), d.message


def test_parameter_defined_in_terms_of_itself() -> None:
    d = only("""\
parameters
  a = a + 1
variables
  x >= 0
""")
    assert at(d) == (2, 3)
    assert "`a`" in d.message and "itself" in d.message


def test_unknown_function_suggests_a_close_one() -> None:
    d = only("""\
variables
  x >= 0
constraints
  c: sqr(x) <= 4
""")
    assert at(d) == (4, 6)
    assert "unknown function `sqr`" in d.message
    assert d.hint is not None and "`sqrt`" in d.hint


def test_function_with_the_wrong_number_of_arguments() -> None:
    d = only("""\
variables
  x >= 0
constraints
  c: exp(x, x) <= 4
""")
    assert at(d) == (4, 6)
    assert "`exp`" in d.message and "1 argument" in d.message


def test_misspelt_parameter_in_a_filter_comparison_is_reported() -> None:
    # `lmt` is neither an index nor declared: comparing an integer index with it must
    # not silently make it a symbol and select no rows at all.
    found = diagnostics("""\
sets
  I = 1..3
parameters
  limit = 2
variables
  x[I] >= 0
constraints
  c[i in I : i > lmt]: x[i] <= 1
""")
    assert len(found) == 1, [d.message for d in found]
    assert at(found[0]) == (8, 18)
    assert "`lmt`" in found[0].message
    assert found[0].hint is not None and "`limit`" in found[0].hint


def test_several_errors_in_one_file_are_reported_together() -> None:
    found = diagnostics("""\
sets
  I = 1..3
parameters
  cost[I] = {1: 2, 4: 5}
  cap = 10
variables
  x[I] >= 0
objective
  minimize total: sum(i in I) cots[i] * x[i]
constraints
  limit[i in I]: x[i] <= cap[i]
  other: sum(i in K) x[i] <= 3
  limit: x[1] >= 1
""")
    where = {at(d): d for d in found}
    assert (9, 31) in where and "`cots`" in where[(9, 31)].message
    assert (11, 26) in where and "`cap` is a scalar" in where[(11, 26)].message
    assert (12, 19) in where and "unknown set `K`" in where[(12, 19)].message
    assert (13, 3) in where and "twice" in where[(13, 3)].message
    # found while grounding, yet reported with the name errors
    assert (4, 20) in where
    key_error = where[(4, 20)]
    assert "(4)" in key_error.message and "`cost`" in key_error.message
    assert re.search(r"\bI\b", key_error.message)
    assert len(found) == 5, [d.message for d in found]


def test_duplicate_declaration_does_not_cascade_into_its_uses() -> None:
    # The uses fit the first declaration; the second must not replace it and turn
    # every `x[i]` into a further error.
    found = diagnostics("""\
sets
  I = 1..3
variables
  x[I] >= 0
  x >= 1
constraints
  c[i in I]: x[i] <= 2
""")
    assert [at(d) for d in found] == [(5, 3)], [d.message for d in found]
    assert "twice" in found[0].message


def test_grounding_error_in_an_independent_declaration_reported_with_a_name_error() -> None:
    found = diagnostics("""\
sets
  T = 1..4
variables
  x[T] >= 0
constraints
  lag[t in T]: x[t] - x[t - 1] <= 2
  typo: x[1] <= bogus
""")
    messages = " | ".join(d.message for d in found)
    assert len(found) == 2, messages
    assert {at(d)[0] for d in found} == {6, 7}
    assert "x[0]" in messages and "`bogus`" in messages


def test_resolve_alone_collects_every_name_error() -> None:
    from optiform.compiler.resolve import resolve
    from optiform.dsl.parser import parse

    model = parse("""\
sets
  I = 1..3
variables
  x[I] >= 0
objective
  minimize o: sum(i in I) c[i] * x[i] + y
""")
    with pytest.raises(DiagnosticError) as info:
        resolve(model)
    assert sorted(at(d) for d in info.value.diagnostics) == [(6, 27), (6, 41)]


def test_a_member_named_like_its_set_names_both() -> None:
    # was: "`D` is defined in terms of itself"
    d = only("sets\n  D = {A, B, C, D, E}\nvariables\n  x[D] >= 0\n")
    assert d.message == "member `D` has the name of the set `D` declared at line 2"
    assert at(d) == (2, 17) and d.hint is not None and '"D"' in d.hint
    other = only("sets\n  I = 1..2\nparameters\n  c[I] = [1, 2]\n  d[I] = {1: 1, c: 2}\n"
                 "variables\n  x[I]\n")
    assert other.message.startswith("member `c` has the name of the parameter `c`")
    quoted = optiform.loads('sets\n  D = {A, "D"}\nvariables\n  x[D] >= 0\nconstraints\n'
                            '  one: x["D"] >= 1\n').solve()
    assert quoted.status == "optimal" and quoted.values["x"][("D",)] == 1

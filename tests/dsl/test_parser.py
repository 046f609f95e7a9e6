"""The parser's contract: the language page's syntax, its precedence, and errors that point.

Error tests assert the exact line and column, since a diagnostic that points
at the wrong place is a wrong diagnostic.
"""

from __future__ import annotations

import re

import pytest

from optiform.diagnostics import Diagnostic, DiagnosticError
from optiform.dsl import ast as A
from optiform.dsl.parser import KEYWORDS, build_strict, grammar_text, parse

FACILITY_LOCATION = """\
# Capacitated facility location
model facility_location "Open warehouses and serve customers at least cost"

sets
  W = {north, south, east}            "candidate warehouses"
  C = 1..5                            "customers"

parameters
  fixed[W]    = {north: 1000, south: 1200, east: 900}
  capacity[W] = {north: 60, south: 80, east: 50}
  demand[C]   = [10, 20, 15, 25, 10]              # list in set order
  cost[W, C]  = [[4, 6, 9, 5, 7],
                 [5, 4, 7, 6, 4],
                 [6, 5, 4, 8, 6]]                  # rows follow W, columns C
  budget      = 5000

variables
  open[W]        binary                            "warehouse is opened"
  ship[W, C]     >= 0                              "units shipped"

objective
  minimize total_cost:
    sum(w in W) fixed[w] * open[w] + sum(w in W, c in C) cost[w, c] * ship[w, c]

constraints
  serve[c in C]:        sum(w in W) ship[w, c] == demand[c]
  capacity_ok[w in W]:  sum(c in C) ship[w, c] <= capacity[w] * open[w]
  spend:                sum(w in W) fixed[w] * open[w] <= budget
"""


def N(name: str) -> A.Name:
    return A.Name(name)


def Num(value: float) -> A.Number:
    return A.Number(value)


def over(*pairs: tuple[str, str]) -> tuple[A.Binder, ...]:
    return tuple(A.Binder((i,), N(s)) for i, s in pairs)


def expr(text: str) -> A.Expr:
    """The expression of a one-constraint model."""
    return parse(f"variables\n  v\nconstraints\n  c: {text}\n").constraints[0].expr


def value(text: str) -> A.Expr:
    """The value of a one-parameter model."""
    model = parse(f"parameters\n  p = {text}\nvariables\n  v\n")
    assert model.parameters[0].value is not None
    return model.parameters[0].value


# ---- the whole model ------------------------------------------------------------


def test_facility_location_structure() -> None:
    m = parse(FACILITY_LOCATION, "examples/facility_location.opt")
    assert m.name == "facility_location"
    assert m.description == "Open warehouses and serve customers at least cost"
    assert [s.name for s in m.sets] == ["W", "C"]
    assert [p.name for p in m.parameters] == ["fixed", "capacity", "demand", "cost", "budget"]
    assert [v.name for v in m.variables] == ["open", "ship"]
    assert [c.name for c in m.constraints] == ["serve", "capacity_ok", "spend"]

    w, c = m.sets
    assert w.value == A.SetLiteral((N("north"), N("south"), N("east")))
    assert w.description == "candidate warehouses"
    assert c.value == A.Binary("..", Num(1), Num(5))

    fixed, _, demand, cost, budget = m.parameters
    assert fixed.index == A.Index((A.Binder(None, N("W")),))
    assert fixed.value == A.DictLiteral(
        ((N("north"), Num(1000)), (N("south"), Num(1200)), (N("east"), Num(900))))
    assert demand.value == A.ListLiteral(tuple(Num(v) for v in (10, 20, 15, 25, 10)))
    assert isinstance(cost.value, A.ListLiteral) and len(cost.value.items) == 3
    assert cost.value.items[2] == A.ListLiteral(tuple(Num(v) for v in (6, 5, 4, 8, 6)))
    assert cost.index == A.Index((A.Binder(None, N("W")), A.Binder(None, N("C"))))
    assert budget.index is None and budget.value == Num(5000)

    open_, ship = m.variables
    assert open_.domain == "binary" and open_.description == "warehouse is opened"
    assert ship.domain is None and ship.lower == Num(0) and ship.upper is None

    (objective,) = m.objectives
    assert (objective.sense, objective.name) == ("minimize", "total_cost")
    fixed_part, ship_part = (objective.expr.left, objective.expr.right)  # type: ignore[attr-defined]
    assert objective.expr.op == "+"  # type: ignore[attr-defined]
    assert fixed_part == A.Reduction(
        "sum", over(("w", "W")), None,
        A.Binary("*", A.Subscript("fixed", (N("w"),)), A.Subscript("open", (N("w"),))))
    assert isinstance(ship_part, A.Reduction)
    assert ship_part.binders == over(("w", "W"), ("c", "C"))

    serve = m.constraints[0]
    assert serve.index == A.Index(over(("c", "C")))
    assert serve.expr == A.Binary(
        "==",
        A.Reduction("sum", over(("w", "W")), None, A.Subscript("ship", (N("w"), N("c")))),
        A.Subscript("demand", (N("c"),)))


def test_spans_point_at_declarations() -> None:
    m = parse(FACILITY_LOCATION, "fl.opt")
    span = m.constraints[1].span
    assert span is not None and (span.file, span.line, span.column) == ("fl.opt", 27, 3)
    assert m.source == FACILITY_LOCATION and m.file == "fl.opt"


def test_model_name_defaults_to_the_file_stem() -> None:
    m = parse("variables\n  x\n", "models/diet.opt")
    assert m.name == "diet" and m.description is None
    assert parse("model named\nvariables\n  x\n", "models/diet.opt").name == "named"


def test_objective_is_optional_and_semicolons_too() -> None:
    m = parse("variables\n  x >= 0;\n  y;\nconstraints\n  c: x + y >= 1;\n")
    assert m.objectives == () and [v.name for v in m.variables] == ["x", "y"]


# ---- precedence ---------------------------------------------------------------


def test_a_reduction_body_ends_at_plus() -> None:
    a_x = A.Binary("*", A.Subscript("a", (N("i"),)), A.Subscript("x", (N("i"),)))
    assert expr("sum(i in I) a[i] * x[i] + sum(j in J) y[j]") == A.Binary(
        "+",
        A.Reduction("sum", over(("i", "I")), None, a_x),
        A.Reduction("sum", over(("j", "J")), None, A.Subscript("y", (N("j"),))),
    )


def test_a_reduction_may_be_multiplied_from_the_left() -> None:
    assert expr("2 * sum(i in I) x[i] * y") == A.Binary(
        "*", Num(2),
        A.Reduction("sum", over(("i", "I")), None,
                    A.Binary("*", A.Subscript("x", (N("i"),)), N("y"))))


def test_min_and_max_are_calls_or_reductions() -> None:
    assert expr("min(a, b)") == A.Call("min", (N("a"), N("b")))
    assert expr("max(i in I : i > 1) x[i]") == A.Reduction(
        "max", over(("i", "I")), A.Binary(">", N("i"), Num(1)), A.Subscript("x", (N("i"),)))


def test_tuple_binders_and_filters() -> None:
    assert expr("sum((i, j) in ARCS : j == n) flow[i, j]") == A.Reduction(
        "sum", (A.Binder(("i", "j"), N("ARCS")),), A.Binary("==", N("j"), N("n")),
        A.Subscript("flow", (N("i"), N("j"))))


def test_unary_minus_binds_looser_than_power() -> None:
    assert expr("-x^2") == A.Unary("-", A.Binary("^", N("x"), Num(2)))


def test_power_is_right_associative() -> None:
    assert expr("2 ^ 3 ^ 2") == A.Binary("^", Num(2), A.Binary("^", Num(3), Num(2)))


def test_minus_is_left_associative() -> None:
    assert expr("a - b - c") == A.Binary("-", A.Binary("-", N("a"), N("b")), N("c"))


def test_range_binds_looser_than_arithmetic() -> None:
    assert value("1..n+1") == A.Binary("..", Num(1), A.Binary("+", N("n"), Num(1)))


def test_inter_binds_tighter_than_union() -> None:
    assert value("A union B inter C") == A.Binary(
        "union", N("A"), A.Binary("inter", N("B"), N("C")))
    assert value("A diff B union C") == A.Binary(
        "union", A.Binary("diff", N("A"), N("B")), N("C"))


def test_set_product_and_card() -> None:
    assert value("card(A * B)") == A.Call("card", (A.Binary("*", N("A"), N("B")),))


def test_index_arithmetic() -> None:
    assert expr("x[t - 1]") == A.Subscript("x", (A.Binary("-", N("t"), Num(1)),))
    assert expr('cost[bread, "peanut butter"]') == A.Subscript(
        "cost", (N("bread"), A.Symbol("peanut butter")))


def test_logic_precedence() -> None:
    assert expr("not a == b and c or d") == A.Binary(
        "or",
        A.Binary("and", A.Unary("not", A.Binary("==", N("a"), N("b"))), N("c")),
        N("d"))
    assert expr("(i, j) in ARCS") == A.Binary(
        "in", A.TupleExpr((N("i"), N("j"))), N("ARCS"))


def test_conditional() -> None:
    assert value("if n > 0 then n else -n") == A.Conditional(
        A.Binary(">", N("n"), Num(0)), N("n"), A.Unary("-", N("n")))
    assert value("2 * (if a then b else c)") == A.Binary(
        "*", Num(2), A.Conditional(N("a"), N("b"), N("c")))


def test_ranged_constraint_is_a_chain_of_comparisons() -> None:
    assert expr("10 <= x + y <= 20") == A.Binary(
        "<=", A.Binary("<=", Num(10), A.Binary("+", N("x"), N("y"))), Num(20))


def test_numbers() -> None:
    assert value("3") == Num(3) and isinstance(value("3").value, int)  # type: ignore[attr-defined]
    assert value("2.5") == Num(2.5)
    assert value("1e6") == Num(1e6)
    assert value(".5") == Num(0.5)
    assert value("inf") == Num(float("inf"))
    assert value("-2.5") == A.Unary("-", Num(2.5))


def test_strings_are_symbols_and_keep_hashes() -> None:
    assert value('"peanut # butter"') == A.Symbol("peanut # butter")


# ---- braces -------------------------------------------------------------------


def test_braces() -> None:
    assert value("{}") == A.SetLiteral(())
    assert value("{bread, milk, 3}") == A.SetLiteral((N("bread"), N("milk"), Num(3)))
    assert value("{(a, b), (b, c)}") == A.SetLiteral(
        (A.TupleExpr((N("a"), N("b"))), A.TupleExpr((N("b"), N("c")))))
    assert value("{a: 1, (b, c): 2}") == A.DictLiteral(
        ((N("a"), Num(1)), (A.TupleExpr((N("b"), N("c"))), Num(2))))
    assert value("{i in 1..20 : i mod 2 == 0}") == A.Comprehension(
        (A.Binder(("i",), A.Binary("..", Num(1), Num(20))),),
        A.Binary("==", A.Binary("mod", N("i"), Num(2)), Num(0)))
    assert value("{i in I, (j, k) in JK}") == A.Comprehension(
        (A.Binder(("i",), N("I")), A.Binder(("j", "k"), N("JK"))), None)


def test_sets_section_forms() -> None:
    m = parse("sets\n  ARCS within NODES * NODES = {(a, b)}\n  S\n  T within S\n"
              "variables\n  x\n")
    arcs, s, t = m.sets
    assert arcs.within == A.Binary("*", N("NODES"), N("NODES"))
    assert arcs.value == A.SetLiteral((A.TupleExpr((N("a"), N("b"))),))
    assert s == A.SetDecl("S")
    assert t == A.SetDecl("T", within=N("S"))


def test_parameter_forms() -> None:
    m = parse("parameters\n"
              "  a[N, F] = {(cal, bread): 100} default 0   \"sparse\"\n"
              "  w[ITEMS] default 1\n"
              "  demand[C]\n"
              "  dist[i in P, j in P] = sqrt((px[i] - px[j])^2)\n"
              "variables\n  x\n")
    a, w, demand, dist = m.parameters
    assert a.default == Num(0) and a.description == "sparse"
    assert w.value is None and w.default == Num(1)
    assert demand == A.ParamDecl("demand", A.Index((A.Binder(None, N("C")),)))
    assert dist.index == A.Index(over(("i", "P"), ("j", "P")))


# ---- variables ------------------------------------------------------------------


def variables(text: str) -> tuple[A.VarDecl, ...]:
    return parse("variables\n" + text).variables


def test_variable_attributes() -> None:
    flow, trucks, y, z, x, fixed = variables(
        "  flow[(i, j) in ARCS] >= 0, <= cap[i, j]  \"units\"\n"
        "  n_trucks integer in [0, 20]\n"
        "  y[W] binary\n"
        "  z\n"
        "  x[k in K] in [1, 5], init start[k]\n"
        "  fixed == 3\n")
    assert flow.index == A.Index((A.Binder(("i", "j"), N("ARCS")),))
    assert flow.lower == Num(0)
    assert flow.upper == A.Subscript("cap", (N("i"), N("j")))
    assert flow.description == "units"
    assert (trucks.domain, trucks.lower, trucks.upper) == ("integer", Num(0), Num(20))
    assert y.domain == "binary" and y.lower is None
    assert z == A.VarDecl("z")
    assert (x.lower, x.upper) == (Num(1), Num(5))
    assert x.init == A.Subscript("start", (N("k"),))
    assert fixed.lower == fixed.upper == Num(3)


def test_a_bound_given_twice_is_an_error() -> None:
    with pytest.raises(DiagnosticError) as info:
        variables("  x >= 0, in [1, 2]\n")
    assert "lower bound given twice" in info.value.diagnostics[0].message


# ---- the grammar itself -------------------------------------------------------


def test_grammar_builds_in_strict_mode() -> None:
    build_strict()


def test_every_keyword_is_a_grammar_word_and_back() -> None:
    words = set(re.findall(r'"([a-z]+)"', grammar_text()))
    assert set(KEYWORDS) == words


@pytest.mark.parametrize("keyword", ["in", "then", "init", "union", "integer", "default"])
def test_keywords_are_reserved_everywhere(keyword: str) -> None:
    with pytest.raises(DiagnosticError) as info:
        parse(f"sets\n  S = {{a, {keyword}}}\nvariables\n  x\n")
    d = info.value.diagnostics[0]
    assert (d.span.line, d.span.column) == (2, 11)  # type: ignore[union-attr]
    assert d.message == f"unexpected keyword `{keyword}`"
    assert f'quote it ("{keyword}")' in (d.hint or "")
    quoted = parse(f'sets\n  S = {{a, "{keyword}"}}\nvariables\n  x\n')
    assert quoted.sets[0].value == A.SetLiteral((N("a"), A.Symbol(keyword)))


# ---- errors -------------------------------------------------------------------


def first_error(text: str, file: str = "m.opt") -> tuple[Diagnostic, DiagnosticError]:
    with pytest.raises(DiagnosticError) as info:
        parse(text, file)
    return info.value.diagnostics[0], info.value


def where(d: Diagnostic) -> tuple[int, int]:
    assert d.span is not None
    return d.span.line, d.span.column


def test_single_equals_in_a_constraint_suggests_double() -> None:
    d, _ = first_error("variables\n  x >= 0\nconstraints\n  c: x = 1\n")
    assert where(d) == (4, 8)
    assert "`=` is not a comparison" in d.message
    assert "==" in (d.hint or "")
    assert d.kind == "syntax"


@pytest.mark.parametrize(
    ("line", "column"),
    [("x <= 1", 5), ("x + y <= 2", 5), ("10 <= x", 3), ("sum(i in I) x[i] <= 3", 3)],
)
def test_an_unnamed_constraint_says_constraints_need_names(line: str, column: int) -> None:
    d, _ = first_error(f"variables\n  x >= 0\nconstraints\n  ok: x >= 0\n  {line}\n")
    assert where(d) == (5, column)
    assert "every constraint needs a name" in (d.hint or "")


def test_an_unclosed_bracket_points_where_it_opened() -> None:
    d, _ = first_error("parameters\n  a[I = 3\nvariables\n  x >= 0\n")
    assert where(d) == (2, 4)
    assert "`[` is never closed" in d.message and "`]`" in (d.hint or "")


def test_an_unclosed_parenthesis_points_where_it_opened() -> None:
    d, _ = first_error("variables\n  x >= 0\nconstraints\n  c: (x + 1 <= 2\n  e: x <= 3\n")
    assert where(d) == (4, 6)
    assert "`(` is never closed" in d.message


def test_a_mismatched_closer_names_the_opener() -> None:
    d, _ = first_error("variables\n  x >= 0\nconstraints\n  c: (x + 1] <= 2\n")
    assert where(d) == (4, 12)
    assert "`]` does not match the `(` opened at line 4, column 6" in d.message
    assert "close the `(` first" in (d.hint or "")


def test_a_stray_closer() -> None:
    d, _ = first_error("variables\n  x\nconstraints\n  c: x <= 1)\n")
    assert where(d) == (4, 12)
    assert "`)` closes nothing" in d.message


def test_unexpected_end_of_file() -> None:
    d, _ = first_error("variables\n  x >= 0\nconstraints\n  c: x <=\n\n")
    assert where(d) == (4, 9)  # the last character written
    assert "ends in the middle of a declaration" in d.message
    assert "a name" in (d.hint or "")


def test_single_quoted_string() -> None:
    d, _ = first_error("sets\n  S = {'a'}\nvariables\n  x\n")
    assert where(d) == (2, 8)
    assert "unexpected character `'`" in d.message
    assert "double quotes" in (d.hint or "")


def test_sections_out_of_order() -> None:
    d, _ = first_error("variables\n  x\nsets\n  S = {a}\n")
    assert where(d) == (3, 1)
    assert "section `sets` comes after `variables`" in d.message
    assert "sets, parameters, variables, objective, constraints" in (d.hint or "")


def test_a_section_twice() -> None:
    d, _ = first_error("sets\n  S = {a}\nvariables\n  x\nsets\n  T = {b}\n")
    assert where(d) == (5, 1)
    assert "section `sets` appears twice" in d.message
    assert "merge" in (d.hint or "")


def test_every_shape_error_is_reported_at_once() -> None:
    _, exc = first_error("constraints\n  c: {a, b: 1} == 1\nsets\n  S = {}\n")
    messages = [d.message for d in exc.diagnostics]
    assert len(messages) == 3
    assert "2 errors" not in str(exc) and "3 errors" in str(exc)


def test_a_model_without_variables() -> None:
    d, _ = first_error("sets\n  S = {a}\n")
    assert where(d) == (1, 1)
    assert "no `variables` section" in d.message
    assert "`variables`" in (d.hint or "") and "\\n" not in (d.hint or "")


def test_a_brace_mixing_members_and_entries() -> None:
    d, _ = first_error("sets\n  S = {a, b: 1}\nvariables\n  x\n")
    assert where(d) == (2, 7)
    assert "mixes `key: value` entries with plain members" in d.message
    assert "{i in I : condition}" in (d.hint or "")


def test_an_equals_sign_in_a_parameter_is_not_blamed_on_constraints() -> None:
    d, _ = first_error("parameters\n  n == 3\nvariables\n  x\n")
    assert where(d) == (2, 5)
    assert "needs a name" not in (d.hint or "")


def test_rendered_error_shows_file_line_column_source_and_caret() -> None:
    _, exc = first_error("variables\n  x >= 0\nconstraints\n  limit: x + y = 4\n", "plan.opt")
    text = str(exc)
    assert text.splitlines()[0] == "plan.opt:4:16: error: `=` is not a comparison"
    source_line = next(line for line in text.splitlines() if "limit: x + y = 4" in line)
    caret_line = text.splitlines()[text.splitlines().index(source_line) + 1]
    assert caret_line.index("^") == source_line.index("=")
    assert "hint: write `==`" in text

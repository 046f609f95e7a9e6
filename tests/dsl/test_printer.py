"""The printer is the parser's inverse: parse(format(m)) == m, and format is a fixed point.

Hand-written models cover every construct of the language page; a hypothesis
strategy builds random ASTs of every node shape the parser can produce.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optiform.diagnostics import DiagnosticError
from optiform.dsl import ast as A
from optiform.dsl.parser import KEYWORDS, parse
from optiform.dsl.printer import format_expr, format_model, format_source

FACILITY_LOCATION = """\
model facility_location "Open warehouses and serve customers at least cost"

sets
  W = {north, south, east}            "candidate warehouses"
  C = 1..5                            "customers"

parameters
  fixed[W]    = {north: 1000, south: 1200, east: 900}
  capacity[W] = {north: 60, south: 80, east: 50}
  demand[C]   = [10, 20, 15, 25, 10]
  cost[W, C]  = [[4, 6, 9, 5, 7],
                 [5, 4, 7, 6, 4],
                 [6, 5, 4, 8, 6]]
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

# Every snippet of the sets, parameters and variables sections of the language page.
DECLARATIONS = """\
model declarations "every declaration form"

sets
  I = 1..n
  FOODS = {bread, milk, "peanut butter"}
  ARCS within NODES * NODES = {(a, b), (b, c), (a, c)}
  EVEN = {i in 1..20 : i mod 2 == 0}
  S
  PAIRS = {i in I, j in J : i < j}
  U = A union B diff C
  X = A inter B
  P = A * B
  EMPTY = {}
  NUMS = {1, 2, 3}
  T within I

parameters
  n = 10
  cost[FOODS] = {bread: 2, milk: 3.5, "peanut butter": 4}
  a[N, F] = {(cal, bread): 100, (cal, milk): 50} default 0
  dense[I, J] = [[1, 2], [3, 4]]
  dist[i in P, j in P] = sqrt((px[i] - px[j])^2 + (py[i] - py[j])^2)
  w[ITEMS] default 1
  demand[C]
  half = n / 2
  size = card(A) "members of A"
  big = inf
  tiny = 1e-6
  neg = -2.5
  sel[i in I : i > 1] = if i mod 2 == 0 then 1 else -1

variables
  x[FOODS] >= 0
  y[W] binary
  n_trucks integer in [0, 20]
  flow[(i, j) in ARCS] >= 0, <= cap[i, j]
  z
  x2[k in K] in [1, 5], init start[k]
  pinned == 3
  u nonnegative
  r real <= 4
  q[i in I, j in J : i != j] integer >= -1 init 0 "pairs"
"""

# Objectives, constraints and the expression rules of the language page.
EXPRESSIONS = """\
model expressions

variables
  x[I] >= 0

objective
  minimize cost:    sum(i in I) c[i] * x[i]
  maximize quality: sum(i in I) q[i] * x[i] "weighted"

constraints
  simple: x + y <= 20
  per_row[i in I]: x[i] <= b[i]
  filtered[i in I, j in J : d[i, j] > 0]: x[i] + y[j] >= 1
  ranged: 10 <= x + y <= 20
  ranged_down: 20 >= x + y >= 10
  tuple_sum: sum((i, j) in ARCS : j == n) flow[i, j] == 0
  member[i in I : (i, j) in ARCS and not i == j or k != 2]: x[i] == 1
  conditional: x <= (if a > 0 then 1 else 2)
  functions: abs(x) + exp(y) + log(z) + sqrt(u) + sin(v) + cos(w) + min(a, b) + max(a, b, c) <= 9
  reductions: prod(i in I) a[i] + min(i in I) x[i] * 2 - max(j in J : j > 1) y[j] <= 4
  lagged[t in T : t > 1]: inv[p, t - 1] == inv[p, t] + 1
  powers: -x^2 + 2^3^2 + (-x)^2 + x^-y <= 1e6
  grouping: a - (b - c) + (a - b) - c + a / (b * c) + a * (b + c) >= 0
  nested: sum(i in I) sum(j in J) x[i, j] * sum(k in K) y[k] - -sum(i in I) x[i] <= 1
  symbols: x["peanut butter"] + x[bread] + x[3] <= 1
  literals: x[[1, 2], {a: 1}, {b, c}, (d, e)] <= 1
  sets_in_filters[i in (A union B) inter C diff D : i in 1..n + 1]: x[i] >= 0
  product_of_sums: (sum(i in I) x[i]) * (sum(j in J) y[j]) <= 1
  min_of_sum: min(i in I) (sum(j in J) x[i, j]) >= 0
"""

MODELS = {"facility": FACILITY_LOCATION, "declarations": DECLARATIONS,
          "expressions": EXPRESSIONS}


def _round_trip(model: A.ModelDecl) -> str:
    text = format_model(model)
    again = parse(text, model.file)
    assert again == model, text
    assert format_model(again) == text
    return text


@pytest.mark.parametrize("name", sorted(MODELS))
def test_hand_written_models_round_trip(name: str) -> None:
    _round_trip(parse(MODELS[name], f"{name}.opt"))


EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.opt"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path: Path) -> None:
    _round_trip(parse(path.read_text(encoding="utf-8"), str(path)))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_canonical(path: Path) -> None:
    """Every example is what `optiform fmt` writes, so `fmt --check` passes on it."""
    text = path.read_text(encoding="utf-8")
    assert format_source(text, str(path)) == text, f"run: optiform fmt --write {path}"


@pytest.mark.parametrize("page", ["README.md", "docs/LANGUAGE.md"])
def test_the_whole_model_on_a_page_is_the_canonical_example(page: str) -> None:
    root = Path(__file__).parents[2]
    text = (root / page).read_text(encoding="utf-8")
    start = text.index("```\n# Capacitated facility location") + 4
    assert text[start:text.index("```", start)] == (
        root / "examples" / "facility_location.opt").read_text(encoding="utf-8")


def test_comment_lines_start_groups_aligned_on_their_own() -> None:
    text = """\
parameters
  a = 1  "one"
  bb = 2  "two"
  # a long name below does not push the names above to the right
  a_much_longer_name = 3
variables
  x
"""
    assert format_source(text) == """\
parameters
  a  = 1  "one"
  bb = 2  "two"

  # a long name below does not push the names above to the right
  a_much_longer_name = 3

variables
  x
"""


def test_facility_location_canonical_text() -> None:
    assert format_model(parse(FACILITY_LOCATION)) == """\
model facility_location "Open warehouses and serve customers at least cost"

sets
  W = {north, south, east}  "candidate warehouses"
  C = 1..5                  "customers"

parameters
  fixed[W]    = {north: 1000, south: 1200, east: 900}
  capacity[W] = {north: 60, south: 80, east: 50}
  demand[C]   = [10, 20, 15, 25, 10]
  cost[W, C]  = [[4, 6, 9, 5, 7],
                 [5, 4, 7, 6, 4],
                 [6, 5, 4, 8, 6]]
  budget      = 5000

variables
  open[W]    binary  "warehouse is opened"
  ship[W, C] >= 0    "units shipped"

objective
  minimize total_cost: sum(w in W) fixed[w] * open[w] + sum(w in W, c in C) cost[w, c] * ship[w, c]

constraints
  serve[c in C]:       sum(w in W) ship[w, c] == demand[c]
  capacity_ok[w in W]: sum(c in C) ship[w, c] <= capacity[w] * open[w]
  spend:               sum(w in W) fixed[w] * open[w] <= budget
"""


def _expr(text: str) -> A.Expr:
    return parse(f"variables\n  v\nconstraints\n  c: {text}\n").constraints[0].expr


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("((a))", "a"),
        ("-(x^2)", "-x^2"),
        ("(-x)^2", "(-x)^2"),
        ("2 ^ (3 ^ 2)", "2^3^2"),
        ("(2 ^ 3) ^ 2", "(2^3)^2"),
        ("-(a * b)", "-(a * b)"),
        ("- -x", "- -x"),
        ("a * (sum(i in I) x[i])", "a * sum(i in I) x[i]"),
        ("(a * sum(i in I) x[i]) * b", "(a * sum(i in I) x[i]) * b"),
        ("sum(i in I) (a[i] * x[i]) + 1", "sum(i in I) a[i] * x[i] + 1"),
        ("sum(i in I) (a[i] + x[i])", "sum(i in I) (a[i] + x[i])"),
        ("min(i in I) (sum(j in J) x[j])", "min(i in I) (sum(j in J) x[j])"),
        ("-(sum(i in I) x[i])", "-sum(i in I) x[i]"),
        ("a * (-sum(i in I) x[i])", "a * (-sum(i in I) x[i])"),
        ("1..(n+1)", "1 .. n + 1"),
        ("(1..n)", "1..n"),
        ("A union (B inter C)", "A union B inter C"),
        ("(A union B) inter C", "(A union B) inter C"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("a or (b and c)", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("x + (if a then 1 else 2)", "x + (if a then 1 else 2)"),
        ("(i, j) in ARCS", "(i, j) in ARCS"),
        ("min((a in B), c)", "min((a in B), c)"),
        ('x["peanut butter", bread]', 'x["peanut butter", bread]'),
        ("{i in I, j in J : i < j}", "{i in I, j in J : i < j}"),
        ("{a: 1, (b, c): 2}", "{a: 1, (b, c): 2}"),
        ("{}", "{}"),
        ("[[1, 2.5], [inf, 1e-06]]", "[[1, 2.5], [inf, 1e-06]]"),
        ("f()", "f()"),
    ],
)
def test_minimal_parentheses(written: str, canonical: str) -> None:
    expr = _expr(written)
    assert format_expr(expr) == canonical
    assert _expr(canonical) == expr


def test_numbers() -> None:
    assert format_expr(A.Number(3)) == "3"
    assert format_expr(A.Number(3.0)) == "3.0"
    assert format_expr(A.Number(float("inf"))) == "inf"
    assert format_expr(A.Number(1e-07)) == "1e-07"
    assert format_expr(A.Binary("-", A.Name("a"), A.Number(-2))) == "a - -2"
    with pytest.raises(ValueError, match="NaN"):
        format_expr(A.Number(math.nan))


def test_unspellable_strings_are_refused() -> None:
    with pytest.raises(ValueError, match="double quote"):
        format_expr(A.Symbol('say "hi"'))


def test_empty_variables_section_is_kept() -> None:
    model = parse("model m\nsets\n  S = {a}\nvariables\n")
    assert format_model(model) == "model m\n\nsets\n  S = {a}\n\nvariables\n"
    _round_trip(model)


def test_name_from_file_stem_that_is_not_an_identifier() -> None:
    model = parse("variables\n  x\n", "plans/2024-plan.opt")
    text = _round_trip(model)
    assert not text.startswith("model")
    with pytest.raises(ValueError, match="not an identifier"):
        format_model(A.ModelDecl(name="2024-plan", description="a plan",
                                 variables=(A.VarDecl("x"),)))


def test_long_lines_are_broken_where_the_flat_text_has_spaces() -> None:
    members = ", ".join(f"member_{i}" for i in range(40))
    terms = " + ".join(f"coefficient_{i} * x[{i}]" for i in range(12))
    text = (f"sets\n  S = {{{members}}} \"members\"\nvariables\n  x\n"
            f"objective\n  minimize total: {terms}\n"
            f"constraints\n  limit[i in S]: {terms} <= {terms}\n")
    model = parse(text, "long.opt")
    printed = _round_trip(model)
    assert all(len(line) <= 100 for line in printed.splitlines()), printed
    assert " ".join(printed.split()) == " ".join(format_model(model).split())


# ---- format_source ------------------------------------------------------------


def test_format_source_keeps_every_comment_beside_its_declaration() -> None:
    text = (
        "# header\n"
        "model m\n"
        "sets  # the sets\n"
        "  # leading of S\n"
        "  S = {a, b}\n"
        "variables\n"
        '  x >= 0   "not # a comment"\n'
        "  y  # trailing of y\n"
        "# footer\n"
    )
    assert format_source(text, "m.opt") == (
        "# header\n"
        "model m\n"
        "\n"
        "sets  # the sets\n"
        "  # leading of S\n"
        "  S = {a, b}\n"
        "\n"
        "variables\n"
        '  x >= 0  "not # a comment"\n'
        "  y  # trailing of y\n"
        "\n"
        "# footer\n"
    )


def test_a_declaration_with_comments_inside_is_kept_as_written() -> None:
    text = (
        "sets\n  I = 1..2\nparameters\n"
        "    a[I] = [1,   # first\n"
        "            2]   # second\n"
        "variables\n  x\n"
    )
    out = format_source(text, "m.opt")
    assert "  a[I] = [1,   # first\n          2]   # second\n" in out
    assert format_source(out, "m.opt") == out


def test_formatting_keeps_every_comment_of_the_examples_and_is_stable() -> None:
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        once = format_source(text, str(path))
        assert format_source(once, str(path)) == once, path
        comments = [ln.split("#", 1)[1].strip() for ln in text.splitlines() if "#" in ln]
        for comment in comments:
            assert comment in once, (path, comment)
        assert parse(once, str(path)) == parse(text, str(path))


def test_format_source_keeps_hashes_inside_strings() -> None:
    text = 'model m\nsets\n  S = {"#1", "#2"} "ids #"\nvariables\n  x\n'
    assert format_source(text, "m.opt") == (
        'model m\n\nsets\n  S = {"#1", "#2"}  "ids #"\n\nvariables\n  x\n'
    )


def test_format_source_reports_syntax_errors() -> None:
    with pytest.raises(DiagnosticError):
        format_source("variables\n  x[\n", "m.opt")


NAMES = ["a", "b", "x", "I", "J", "cost", "n_1", "_t", "summary", "index", "minx", "inflow"]
FUNCS = ["sqrt", "abs", "card", "f", "first", "last", "ord", "prev", "next", "prevw", "nextw"]
BINARY_OPS = ["or", "and", "<=", ">=", "==", "!=", "<", ">", "in", "union", "diff", "inter",
              "..", "+", "-", "*", "/", "mod", "^"]
TEXT = st.text(alphabet="abcXYZ 019_#'$-", max_size=8)


# ---- every node in every slot ----------------------------------------------------

_A, _B = A.Name("a"), A.Name("b")
_OVER_I = (A.Binder(("i",), A.Name("I")),)
Hole = Callable[[A.Expr], A.Expr]


def _left_of(op: str) -> Hole:
    return lambda e: A.Binary(op, e, _B)


def _right_of(op: str) -> Hole:
    return lambda e: A.Binary(op, _A, e)


def _body_of(op: str) -> Hole:
    return lambda e: A.Reduction(op, _OVER_I, None, e)


HOLES: dict[str, Hole] = {
    **{f"{op} left": _left_of(op) for op in BINARY_OPS},
    **{f"{op} right": _right_of(op) for op in BINARY_OPS},
    "negate": lambda e: A.Unary("-", e),
    "not": lambda e: A.Unary("not", e),
    "if": lambda e: A.Conditional(e, _A, _B),
    "then": lambda e: A.Conditional(_A, e, _B),
    "else": lambda e: A.Conditional(_A, _B, e),
    **{f"{op} body": _body_of(op) for op in ("sum", "prod", "min", "max")},
    "binder set": lambda e: A.Reduction("sum", (A.Binder(("i", "j"), e),), None, _A),
    "reduction filter": lambda e: A.Reduction("max", _OVER_I, e, _A),
    "min argument": lambda e: A.Call("min", (e, _A)),
    "call argument": lambda e: A.Call("f", (_A, e)),
    "subscript": lambda e: A.Subscript("x", (e,)),
    "tuple": lambda e: A.TupleExpr((e, _A)),
    "set": lambda e: A.SetLiteral((e,)),
    "dict key": lambda e: A.DictLiteral(((e, _A), (_B, _A))),
    "dict value": lambda e: A.DictLiteral(((_A, e),)),
    "list": lambda e: A.ListLiteral((e, _A)),
    "comprehension set": lambda e: A.Comprehension((A.Binder(("i",), e),), None),
    "comprehension filter": lambda e: A.Comprehension(_OVER_I, e),
}
# one node of every shape, with plain leaves
CHILDREN = [_A, A.Number(2.5), A.Symbol("s t"), *(hole(_A) for hole in HOLES.values()),
            A.Binary("*", _A, HOLES["sum body"](_B)), A.Unary("-", HOLES["sum body"](_B))]


@pytest.mark.parametrize("hole", sorted(HOLES))
def test_every_node_in_every_slot(hole: str) -> None:
    for child in CHILDREN:
        expr = HOLES[hole](child)
        if hole == "set" and _binder_shaped(child):
            continue  # `{i in I}` is a comprehension: no set literal prints that way
        assert _expr(format_expr(expr)) == expr, format_expr(expr)


@pytest.mark.parametrize("child", CHILDREN, ids=format_expr)
def test_every_node_in_every_declaration_slot(child: A.Expr) -> None:
    index = A.Index((A.Binder(("i",), child), A.Binder(None, A.Name("I"))), child)
    anonymous = () if _binder_shaped(child) else (A.Binder(None, child),)
    model = A.ModelDecl(
        name="m",
        sets=(A.SetDecl("S", child, child, "d"), A.SetDecl("T", child), A.SetDecl("U")),
        parameters=(A.ParamDecl("p", index, child, child, "d"), A.ParamDecl("q", None, child),
                    A.ParamDecl("r", A.Index((*anonymous, *index.binders)), None, child)),
        variables=(A.VarDecl("v", index, "integer", child, None, child, "d"),
                   A.VarDecl("w", None, None, None, child),
                   A.VarDecl("y", None, "binary", child, child),
                   A.VarDecl("z", None, None, child, _A, child)),
        objectives=(A.ObjectiveDecl("minimize", "o", child, "d"),),
        constraints=(A.ConstraintDecl("c", index, child, "d"),
                     A.ConstraintDecl("e", None, child)),
        defined=(A.DefinedDecl("dv", index, child, "d"), A.DefinedDecl("du", None, child)),
    )
    _round_trip(model)


# ---- random ASTs ----------------------------------------------------------------

assert not set(NAMES + FUNCS) & set(KEYWORDS)

names = st.sampled_from(NAMES)
numbers = st.one_of(
    st.integers(min_value=0, max_value=10**12),
    st.floats(min_value=0, allow_nan=False, allow_infinity=True).map(abs),
).map(A.Number)
atoms = st.one_of(numbers, names.map(A.Name), TEXT.map(A.Symbol))


def _binder_shaped(e: A.Expr) -> bool:
    """`i in I` or `(i, j) in A`: inside braces or an index the parser makes it a binder."""
    if not (isinstance(e, A.Binary) and e.op == "in"):
        return False
    left = e.left
    return isinstance(left, A.Name) or (
        isinstance(left, A.TupleExpr) and all(isinstance(i, A.Name) for i in left.items)
    )


def _binders(exprs: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[tuple[A.Binder, ...]]:
    binder = st.builds(A.Binder, st.lists(names, min_size=1, max_size=3).map(tuple), exprs)
    return st.lists(binder, min_size=1, max_size=2).map(tuple)


def _compound(exprs: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    some = st.lists(exprs, min_size=1, max_size=3).map(tuple)
    maybe = st.none() | exprs
    return st.one_of(
        st.builds(A.Binary, st.sampled_from(BINARY_OPS), exprs, exprs),
        st.builds(A.Unary, st.sampled_from(["-", "not"]), exprs),
        st.builds(A.Subscript, names, some),
        st.builds(A.Call, st.sampled_from(FUNCS), st.lists(exprs, max_size=2).map(tuple)),
        st.builds(A.Call, st.sampled_from(["min", "max"]), some),
        st.builds(A.Call, st.just("pwl"), st.tuples(exprs, some.map(A.ListLiteral),
                                                    some.map(A.ListLiteral))),
        st.builds(A.Conditional, exprs, exprs, exprs),
        st.builds(A.Reduction, st.sampled_from(["sum", "prod", "min", "max"]),
                  _binders(exprs), maybe, exprs),
        st.builds(A.TupleExpr, st.lists(exprs, min_size=2, max_size=3).map(tuple)),
        st.builds(A.SetLiteral, st.lists(exprs, max_size=3).map(tuple)).filter(
            lambda s: not s.items or not all(_binder_shaped(i) for i in s.items)),
        st.builds(A.DictLiteral, st.lists(st.tuples(exprs, exprs), min_size=1, max_size=2)
                  .map(tuple)).filter(
            lambda d: len(d.entries) > 1 or not _binder_shaped(d.entries[0][0])),
        st.builds(A.Comprehension, _binders(exprs), maybe),
        st.builds(A.ListLiteral, some),
    )


exprs = st.recursive(atoms, _compound, max_leaves=10)
descriptions = st.none() | TEXT
# declarations get small expressions: the slot tests above pair every node with every place
small = st.recursive(atoms, _compound, max_leaves=4)


def _index_binder() -> st.SearchStrategy[A.Binder]:
    anonymous = small.filter(lambda e: not _binder_shaped(e)).map(lambda e: A.Binder(None, e))
    return anonymous | st.builds(A.Binder, st.lists(names, min_size=1, max_size=2).map(tuple),
                                 small)


indices = st.none() | st.builds(
    A.Index, st.lists(_index_binder(), min_size=1, max_size=2).map(tuple), st.none() | small
)
maybe_expr = st.none() | small

set_decls = st.builds(A.SetDecl, names, maybe_expr, maybe_expr, descriptions)
param_decls = st.builds(A.ParamDecl, names, indices, maybe_expr, maybe_expr, descriptions)
var_decls = st.builds(
    A.VarDecl, names, indices,
    st.none() | st.sampled_from(["real", "nonnegative", "integer", "binary",
                                 "semicontinuous", "semiinteger"]),
    maybe_expr, maybe_expr, maybe_expr, descriptions,
)
objective_decls = st.builds(A.ObjectiveDecl, st.sampled_from(["minimize", "maximize"]), names,
                            small, descriptions)
# a constraint's body may also be an implication, `cond ==> constraint`, at its top only
bodies = small | st.builds(A.Binary, st.just("==>"), small, small)
constraint_decls = st.builds(A.ConstraintDecl, names, indices, bodies, descriptions)
defined_decls = st.builds(A.DefinedDecl, names, indices, small, descriptions)


def _few(decls: st.SearchStrategy[object]) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(decls, max_size=2).map(tuple)


def _combination_items(weighted: bool) -> st.SearchStrategy[tuple[A.CombinationItem, ...]]:
    weights = small if weighted else st.none()
    return st.lists(st.builds(A.CombinationItem, names, weights), min_size=1,
                    max_size=3).map(tuple)


combinations = st.none() | st.builds(A.Combination, st.just("lexicographic"),
                                     _combination_items(False)) | st.builds(
    A.Combination, st.just("weights"), _combination_items(True))

models = st.builds(
    A.ModelDecl, names, descriptions, _few(set_decls), _few(param_decls), _few(var_decls),
    _few(objective_decls), _few(constraint_decls), _few(defined_decls), combinations,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models)
def test_random_models_round_trip(model: A.ModelDecl) -> None:
    _round_trip(model)


@settings(max_examples=200, deadline=None)
@given(exprs)
def test_random_expressions_round_trip(expr: A.Expr) -> None:
    assert _expr(format_expr(expr)) == expr

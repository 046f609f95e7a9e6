"""Grounding semantics: small models compiled to a `Problem`, checked value by value.

Sets and parameters are read back through the problem's universe; constraint
rows are rebuilt as dense matrices from their COO terms and compared with
matrices worked out by hand.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import optiform
from optiform import Diagnostic, DiagnosticError
from optiform.compiler.ir import ConstraintBlock, Problem, ProblemClass


def compile_(text: str, data: dict[str, Any] | None = None) -> Problem:
    return optiform.loads(text, data=data).compile()


def errors(text: str, data: dict[str, Any] | None = None) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        compile_(text, data)
    return info.value.diagnostics


def members(p: Problem, name: str) -> list[tuple[Any, ...]]:
    return [p.universe.decode_row(r) for r in p.sets[name].codes]


def flat(p: Problem, name: str) -> list[Any]:
    return [m[0] for m in members(p, name)]


def param(p: Problem, name: str) -> dict[tuple[Any, ...], float]:
    v = p.params[name]
    return {p.universe.decode_row(k): float(x) for k, x in zip(v.keys, v.values, strict=True)}


def scalar(p: Problem, name: str) -> float:
    return param(p, name)[()]


def block(p: Problem, name: str) -> ConstraintBlock:
    return next(c for c in p.constraints if c.name == name)


def keys(p: Problem, name: str) -> list[tuple[Any, ...]]:
    return [p.universe.decode_row(k) for k in block(p, name).keys]


def dense(p: Problem, name: str) -> np.ndarray:
    c = block(p, name)
    a = np.zeros((c.size, p.n_vars))
    np.add.at(a, (c.terms.lin_row, c.terms.lin_col), c.terms.lin_val)
    return a


def column(p: Problem, var: str, *key: Any) -> int:
    v = p.variable(var)
    for i, k in enumerate(v.keys):
        if p.universe.decode_row(k) == key:
            return v.offset + i
    raise KeyError((var, key))


# ---- sets ---------------------------------------------------------------------------

def test_set_members_keep_the_order_they_were_written_in() -> None:
    p = compile_("""\
sets
  C = {zeta, alpha, "peanut butter", 3, mid}
  D = {b, "b", a}
variables
  x >= 0
""")
    assert flat(p, "C") == ["zeta", "alpha", "peanut butter", 3, "mid"]
    assert flat(p, "D") == ["b", "a"]  # `b` and "b" are the same symbol


def test_range_with_parameter_bounds_declared_later() -> None:
    p = compile_("""\
sets
  R = lo..hi
  E = hi..lo
parameters
  hi = lo + 3
  lo = 2
variables
  x[R] >= 0
""")
    assert flat(p, "R") == [2, 3, 4, 5]
    assert flat(p, "E") == []
    assert p.n_vars == 4


def test_set_operations_and_card() -> None:
    p = compile_("""\
sets
  A = {a, b, c, d}
  B = {c, a, e}
  U = A union B
  N = A inter B
  D = A diff B
  X = {p, q} * {1, 2}
parameters
  nu = card(U)
  nx = card(X)
  nd = card(B diff A)
variables
  x >= 0
""")
    assert flat(p, "U") == ["a", "b", "c", "d", "e"]
    assert flat(p, "N") == ["a", "c"]
    assert flat(p, "D") == ["b", "d"]
    assert members(p, "X") == [("p", 1), ("p", 2), ("q", 1), ("q", 2)]
    assert (scalar(p, "nu"), scalar(p, "nx"), scalar(p, "nd")) == (5, 4, 1)


def test_comprehension_with_a_filter() -> None:
    p = compile_("""\
sets
  EVEN = {i in 1..20 : i mod 2 == 0}
  I = 1..3
  PAIRS = {i in I, j in 2..4 : i < j}
variables
  x[EVEN] >= 0
""")
    assert flat(p, "EVEN") == list(range(2, 21, 2))
    assert members(p, "PAIRS") == [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    assert p.n_vars == 10


def test_tuple_set_within_a_product() -> None:
    p = compile_("""\
sets
  NODES = {a, b, c}
  ARCS within NODES * NODES = {(a, b), (b, c), (a, c)}
parameters
  cap[ARCS] = [5, 6, 7]
variables
  flow[(i, j) in ARCS] >= 0, <= cap[i, j]
""")
    assert members(p, "ARCS") == [("a", "b"), ("b", "c"), ("a", "c")]
    assert param(p, "cap") == {("a", "b"): 5, ("b", "c"): 6, ("a", "c"): 7}
    assert list(p.variable("flow").upper) == [5, 6, 7]


def test_tuple_set_member_outside_within_is_an_error() -> None:
    found = errors("""\
sets
  NODES = {a, b, c}
  ARCS within NODES * NODES = {(a, b), (b, z)}
variables
  x >= 0
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and d.span.line == 3
    assert "(b, z)" in d.message and "ARCS" in d.message and "within" in d.message


# ---- parameters -----------------------------------------------------------------------

def test_dictionary_with_tuple_keys_and_default() -> None:
    p = compile_("""\
sets
  N = {cal, prot}
  F = {bread, milk}
parameters
  a[N, F] = {(cal, bread): 100, (prot, milk): 50} default 0
  w[F] default 1
variables
  x[F] >= 0
constraints
  nut[n in N]: sum(f in F) a[n, f] * x[f] >= 10
  cnt: sum(f in F) w[f] * x[f] <= 7
""")
    assert param(p, "a") == {("cal", "bread"): 100, ("prot", "milk"): 50}
    assert p.params["a"].default == 0
    assert keys(p, "nut") == [("cal",), ("prot",)]
    np.testing.assert_array_equal(dense(p, "nut"), [[100, 0], [0, 50]])
    np.testing.assert_array_equal(dense(p, "cnt"), [[1, 1]])


def test_dictionary_key_outside_its_set_is_an_error_at_the_key() -> None:
    found = errors("""\
sets
  N = {cal, prot}
  F = {bread, milk}
parameters
  a[N, F] = {(cal, bread): 100, (cal, bred): 3} default 0
variables
  x[F] >= 0
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and (d.span.line, d.span.column) == (5, 33)
    assert "(cal, bred)" in d.message and "`a`" in d.message and "N * F" in d.message


def test_subscript_key_outside_its_set_is_an_error_even_with_a_default() -> None:
    # `bred` is not a member of F: the default must not silently stand in for it.
    found = errors("""\
sets
  N = {cal, prot}
  F = {bread, milk}
parameters
  a[N, F] = {(cal, bread): 100} default 0
variables
  x[F] >= 0
constraints
  c: a[cal, bred] * x[bread] >= 1
""")
    assert len(found) == 1, [d.message for d in found]
    d = found[0]
    assert d.span is not None and d.span.line == 9
    assert "bred" in d.message


def test_nested_lists_follow_set_order() -> None:
    p = compile_("""\
sets
  W = {north, south}
  C = 3..5
parameters
  cost[W, C] = [[4, 6, 9],
                [5, -4, 7.5]]
  d[C] = [10, 20, 1e3]
variables
  x >= 0
""")
    assert param(p, "cost") == {("north", 3): 4, ("north", 4): 6, ("north", 5): 9,
                                ("south", 3): 5, ("south", 4): -4, ("south", 5): 7.5}
    assert param(p, "d") == {(3,): 10, (4,): 20, (5,): 1000}


def test_nested_list_of_the_wrong_length_errors_at_the_list() -> None:
    found = errors("""\
sets
  I = 1..2
  J = 1..3
parameters
  d[I, J] = [[1, 2, 3],
             [1, 2]]
variables
  x >= 0
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and (d.span.line, d.span.column) == (6, 14)
    assert "2 entries" in d.message and "`J`" in d.message and "3 members" in d.message


def test_flat_list_of_the_wrong_length_errors_at_the_list() -> None:
    found = errors("""\
sets
  I = 1..3
parameters
  d[I] = [1, 2]
variables
  x >= 0
""")
    assert len(found) == 1
    assert found[0].span is not None and (found[0].span.line, found[0].span.column) == (4, 10)
    assert "`I`" in found[0].message


def test_computed_parameter_over_two_indices() -> None:
    p = compile_("""\
sets
  P = 1..3
parameters
  px[P] = [0, 3, 0]
  py[P] = [0, 4, 4]
  dist[i in P, j in P] = sqrt((px[i] - px[j])^2 + (py[i] - py[j])^2)
variables
  x >= 0
""")
    dist = param(p, "dist")
    expected = {(1, 2): 5, (1, 3): 4, (2, 3): 3}
    for (i, j), d in expected.items():
        assert dist[(i, j)] == pytest.approx(d)
        assert dist[(j, i)] == pytest.approx(d)
    assert all(dist[(i, i)] == 0 for i in (1, 2, 3))
    assert len(dist) == 9


def test_scalar_computed_parameters_in_dependency_order() -> None:
    p = compile_("""\
sets
  I = 1..n
parameters
  total = sum(i in I) v[i] + half
  half = n / 2
  v[I] = [2, 4, 6]
  n = m + 1
  m = 2
variables
  x[I] >= 0
""")
    assert flat(p, "I") == [1, 2, 3]
    assert scalar(p, "n") == 3
    assert scalar(p, "half") == 1.5
    assert scalar(p, "total") == 13.5


def test_prod_min_max_reductions_and_if_then_else() -> None:
    p = compile_("""\
sets
  P = 1..4
parameters
  v[P] = [3, -1, 5, 2]
  pr = prod(i in P) v[i]
  mn = min(i in P) v[i]
  mx = max(i in P : i < 3) v[i]
  mn2 = min(v[1], v[4], 7)
  pos = sum(i in P) (if v[i] > 0 then v[i] else 0)
  big = if mx > 4 then 1 else 2
  small = if mx > 2 then 10 else 20
  ab = abs(v[2]) + exp(0) + log(1)
variables
  x >= 0
""")
    assert scalar(p, "pr") == -30
    assert scalar(p, "mn") == -1
    assert scalar(p, "mx") == 3
    assert scalar(p, "mn2") == 2
    assert scalar(p, "pos") == 10
    assert scalar(p, "big") == 2
    assert scalar(p, "small") == 10
    assert scalar(p, "ab") == 2


def test_mod_follows_the_sign_of_the_divisor() -> None:
    p = compile_("""\
parameters
  a = 7 mod 3
  b = -7 mod 3
  c = 7 mod -3
  d = -7 mod -3
  e = -(7 mod 3)
variables
  x >= 0
""")
    assert [scalar(p, n) for n in "abcde"] == [1, 2, -2, -1, -1]


def test_data_mapping_supplies_declared_sets_and_parameters() -> None:
    p = compile_("""\
sets
  S
parameters
  cost[S]
  n
variables
  x[S] >= 0
constraints
  c: sum(s in S) cost[s] * x[s] <= n
""", data={"S": ["b", "a", 3], "cost": {"a": 1.5, "b": 2, "3": 4}, "n": 7})
    assert flat(p, "S") == ["b", "a", 3]
    np.testing.assert_array_equal(dense(p, "c"), [[2, 1.5, 4]])
    assert block(p, "c").upper[0] == 7


def test_data_that_repeats_or_misses_a_declaration_is_an_error() -> None:
    found = errors("""\
parameters
  n = 3
  m
variables
  x >= 0
""", data={"n": 4, "mm": 2})
    messages = [d.message for d in found]
    assert len(found) == 3, messages
    assert any("`n`" in m and "both" in m for m in messages)
    typo = next(d for d in found if "`mm`" in d.message)
    assert typo.hint is not None and "`m`" in typo.hint
    missing = next(d for d in found if "`m` has no value" in d.message)
    assert missing.span is not None and (missing.span.line, missing.span.column) == (3, 3)


# ---- variables --------------------------------------------------------------------------

def test_interval_bounds_and_init_from_an_indexed_parameter() -> None:
    p = compile_("""\
sets
  K = {a, b, c}
parameters
  start[K] = {a: 1, b: 2.5, c: 5}
  hi = 5
variables
  x[k in K] in [1, hi], init start[k]
  y[k in K] >= -2, <= start[k]
""")
    x = p.variable("x")
    assert list(x.lower) == [1, 1, 1]
    assert list(x.upper) == [5, 5, 5]
    assert x.init is not None and list(x.init) == [1, 2.5, 5]
    assert x.domain == "continuous"
    y = p.variable("y")
    assert list(y.lower) == [-2, -2, -2] and list(y.upper) == [1, 2.5, 5]


def test_domains_give_kinds_and_bounds() -> None:
    p = compile_("""\
variables
  b binary
  n integer in [0, 20]
  m integer
  r >= 0
  q nonnegative
  z
  f == 3
""")
    kinds = {v.name: (v.domain, float(v.lower[0]), float(v.upper[0])) for v in p.variables}
    assert kinds == {
        "b": ("binary", 0, 1),
        "n": ("integer", 0, 20),
        "m": ("integer", -math.inf, math.inf),
        "r": ("continuous", 0, math.inf),
        "q": ("continuous", 0, math.inf),
        "z": ("continuous", -math.inf, math.inf),
        "f": ("continuous", 3, 3),
    }
    assert p.problem_class is ProblemClass.MILP


def test_variable_bounds_crossed_is_an_error() -> None:
    found = errors("""\
variables
  x in [5, 1]
""")
    assert len(found) == 1 and "lower bound 5" in found[0].message


# ---- constraints ------------------------------------------------------------------------

def test_equals_in_a_parameter_defines_and_double_equals_in_a_constraint_compares() -> None:
    p = compile_("""\
parameters
  k = 3
variables
  x >= 0
  y >= 0
constraints
  eq: x + 2 * y == k
""")
    c = block(p, "eq")
    np.testing.assert_array_equal(dense(p, "eq"), [[1, 2]])
    assert (c.lower[0], c.upper[0]) == (3, 3)


def test_single_equals_in_a_constraint_is_an_error_suggesting_double() -> None:
    found = errors("""\
variables
  x >= 0
constraints
  eq: x = 3
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and (d.span.line, d.span.column) == (4, 9)
    assert d.hint is not None and "==" in d.hint


def test_filtered_constraint_index_yields_only_the_selected_rows() -> None:
    p = compile_("""\
sets
  T = 1..6
  S = {a, b}
parameters
  d[S, T] = [[0, 1, 0, 2, 0, 3],
             [4, 0, 0, 0, 5, 0]]
variables
  x[T] >= 0
constraints
  even[t in T : t mod 2 == 0]: x[t] <= t
  pos[s in S, t in T : d[s, t] > 0 and t != 4]: d[s, t] * x[t] >= 1
""")
    assert keys(p, "even") == [(2,), (4,), (6,)]
    assert list(block(p, "even").upper) == [2, 4, 6]
    assert keys(p, "pos") == [("a", 2), ("a", 6), ("b", 1), ("b", 5)]
    expected = np.zeros((4, 6))
    expected[0, 1], expected[1, 5], expected[2, 0], expected[3, 4] = 1, 3, 4, 5
    np.testing.assert_array_equal(dense(p, "pos"), expected)


@pytest.mark.parametrize(("condition", "selected"), [
    ("i <= n / 2", [1, 2]),
    ("i > 1.5", [2, 3, 4, 5]),
    ("n / 2 >= i", [1, 2]),
    ("i * 2 <= n", [1, 2]),
])
def test_filter_compares_an_integer_index_with_a_fractional_number(
        condition: str, selected: list[int]) -> None:
    p = compile_(f"""\
sets
  I = 1..5
parameters
  n = 5
variables
  x[I] >= 0
objective
  minimize o: sum(i in I : {condition}) x[i]
constraints
  c[i in I : {condition}]: x[i] <= 1
""")
    assert keys(p, "c") == [(i,) for i in selected]
    t = p.objectives[0].terms
    assert sorted(int(c) + 1 for c in t.lin_col) == selected


def test_empty_constraint_index() -> None:
    p = compile_("""\
sets
  T = 1..4
variables
  x[T] >= 0
constraints
  none[t in T : t > 10]: x[t] <= 1
""")
    assert block(p, "none").size == 0
    assert p.n_rows == 0


def test_lag_index_with_a_filter() -> None:
    p = compile_("""\
sets
  T = 1..4
variables
  x[T] >= 0
constraints
  lag[t in T : t > 1]: x[t] - x[t - 1] <= 2
""")
    assert keys(p, "lag") == [(2,), (3,), (4,)]
    np.testing.assert_array_equal(dense(p, "lag"), [[-1, 1, 0, 0],
                                                    [0, -1, 1, 0],
                                                    [0, 0, -1, 1]])


def test_lag_index_without_a_filter_names_the_index_and_the_set() -> None:
    found = errors("""\
sets
  T = 1..4
variables
  x[T] >= 0
constraints
  lag[t in T]: x[t] - x[t - 1] <= 2
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and (d.span.line, d.span.column) == (6, 23)
    assert "x[0]" in d.message and re.search(r"\bT\b", d.message)


def test_sum_over_a_range_depending_on_an_outer_index() -> None:
    p = compile_("""\
sets
  T = 1..4
variables
  x[T] >= 0
constraints
  cum[t in T]: sum(t2 in 1..t) t2 * x[t2] >= t
""")
    np.testing.assert_array_equal(dense(p, "cum"), [[1, 0, 0, 0],
                                                    [1, 2, 0, 0],
                                                    [1, 2, 3, 0],
                                                    [1, 2, 3, 4]])
    assert list(block(p, "cum").lower) == [1, 2, 3, 4]
    assert np.all(np.isinf(block(p, "cum").upper))


def test_ranged_constraint_is_one_row_with_both_bounds() -> None:
    p = compile_("""\
parameters
  lo = 1
variables
  x >= 0
  y >= 0
constraints
  up: lo <= x + y - 2 <= 5
  down: 5 >= x + 2 * y >= lo
""")
    up, down = block(p, "up"), block(p, "down")
    assert up.size == down.size == 1
    np.testing.assert_array_equal(dense(p, "up"), [[1, 1]])
    assert (up.lower[0], up.upper[0]) == (3, 7)  # the constant moves into the bounds
    np.testing.assert_array_equal(dense(p, "down"), [[1, 2]])
    assert (down.lower[0], down.upper[0]) == (1, 5)


def test_strict_comparison_in_a_constraint_is_an_error() -> None:
    found = errors("""\
variables
  x >= 0
constraints
  strict: x < 3
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and d.span.line == 4
    assert "`<`" in d.message
    assert d.hint is not None and "<=" in d.hint


def test_ranged_constraint_with_variables_in_its_bounds_is_an_error() -> None:
    found = errors("""\
variables
  x >= 0
  y >= 0
  z >= 0
constraints
  r: z <= x + y <= 5
""")
    assert len(found) == 1
    d = found[0]
    assert d.span is not None and d.span.line == 6
    assert "ranged" in d.message and "variables" in d.message


def test_variables_on_both_sides_move_to_the_left() -> None:
    p = compile_("""\
sets
  I = {a, b}
parameters
  c[I] = {a: 2, b: 3}
variables
  x[I] >= 0
  y >= 0
constraints
  bal[i in I]: c[i] * x[i] + 1 >= y - 4
""")
    c = block(p, "bal")
    ya = column(p, "y")
    expected = np.zeros((2, 3))
    expected[0, column(p, "x", "a")], expected[1, column(p, "x", "b")] = 2, 3
    expected[:, ya] = -1
    np.testing.assert_array_equal(dense(p, "bal"), expected)
    assert list(c.lower) == [-5, -5]
    assert np.all(np.isinf(c.upper))


def test_tuple_binders_and_membership_filters() -> None:
    p = compile_("""\
sets
  NODES = {a, b, c}
  ARCS within NODES * NODES = {(a, b), (b, c), (a, c)}
parameters
  supply[NODES] = {a: 4, c: -4} default 0
variables
  flow[ARCS] >= 0
constraints
  bal[n in NODES]: sum((i, j) in ARCS : i == n) flow[i, j]
                   - sum((i, j) in ARCS : j == n) flow[i, j] == supply[n]
  only[i in NODES, j in NODES : (i, j) in ARCS and i != a]: flow[i, j] <= 1
""")
    np.testing.assert_array_equal(dense(p, "bal"), [[1, 0, 1], [-1, 1, 0], [0, -1, -1]])
    assert list(block(p, "bal").lower) == [4, 0, -4]
    assert list(block(p, "bal").upper) == [4, 0, -4]
    assert keys(p, "only") == [("b", "c")]


def test_facility_location_coefficients_against_a_hand_built_matrix() -> None:
    p = compile_("""\
sets
  W = {north, south}
  C = 1..3
parameters
  capacity[W] = {north: 60, south: 80}
  demand[C] = [10, 20, 15]
variables
  open[W] binary
  ship[W, C] >= 0
constraints
  serve[c in C]: sum(w in W) ship[w, c] == demand[c]
  cap[w in W]: sum(c in C) ship[w, c] <= capacity[w] * open[w]
""")
    # columns: open[north], open[south], ship[north, 1..3], ship[south, 1..3]
    assert p.n_vars == 8
    np.testing.assert_array_equal(dense(p, "serve"), [[0, 0, 1, 0, 0, 1, 0, 0],
                                                      [0, 0, 0, 1, 0, 0, 1, 0],
                                                      [0, 0, 0, 0, 1, 0, 0, 1]])
    np.testing.assert_array_equal(block(p, "serve").lower, [10, 20, 15])
    np.testing.assert_array_equal(block(p, "serve").upper, [10, 20, 15])
    np.testing.assert_array_equal(dense(p, "cap"), [[-60, 0, 1, 1, 1, 0, 0, 0],
                                                    [0, -80, 0, 0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(block(p, "cap").upper, [0, 0])
    assert np.all(np.isinf(block(p, "cap").lower))
    assert p.n_rows == 5


def test_objective_terms_against_hand_computed_vectors() -> None:
    p = compile_("""\
sets
  I = 1..3
parameters
  c[I] = [2, -1, 4]
variables
  x[I] >= 0
  y >= 0
objective
  minimize o: sum(i in I) c[i] * x[i] - 3 * (y - x[2]) / 2 + 10
""")
    t = p.objectives[0].terms
    vec = np.bincount(t.lin_col, weights=t.lin_val, minlength=p.n_vars)
    np.testing.assert_allclose(vec, [2, 0.5, 4, -1.5])
    assert t.const[0] == 10
    assert not t.quadratic


def test_quadratic_objective_terms() -> None:
    p = compile_("""\
variables
  x
  y
objective
  minimize o: (x - y)^2 + 3 * x * y - 2 * x
""")
    t = p.objectives[0].terms
    q = np.zeros((2, 2))
    np.add.at(q, (t.quad_col1, t.quad_col2), t.quad_val)
    q = (q + q.T) / 2  # the form x'Qx with Q symmetric
    np.testing.assert_allclose(q, [[1, 0.5], [0.5, 1]])
    vec = np.bincount(t.lin_col, weights=t.lin_val, minlength=2)
    np.testing.assert_allclose(vec, [-2, 0])


# ---- classification ------------------------------------------------------------------------

CLASSES = [
    ("", "minimize o: x + y", "c: x + y >= 1", ProblemClass.LP, True),
    ("integer", "minimize o: x + y", "c: x + y >= 1", ProblemClass.MILP, True),
    ("", "minimize o: x^2 + y^2 - x*y", "c: x + y >= 1", ProblemClass.QP, True),
    ("", "maximize o: -x^2 - (x - y)^2", "c: x + y >= 1", ProblemClass.QP, True),
    ("", "minimize o: x*y", "c: x + y >= 1", ProblemClass.QP, False),
    ("", "maximize o: x^2 + y", "c: x + y >= 1", ProblemClass.QP, False),
    ("integer", "minimize o: x^2 + y^2", "c: x + y >= 1", ProblemClass.MIQP, True),
    ("", "minimize o: x + y", "c: x^2 + y^2 <= 1", ProblemClass.NLP, None),
    ("", "minimize o: exp(x) + y", "c: x + y >= 1", ProblemClass.NLP, None),
    ("", "minimize o: x / (y + 1)", "c: x + y >= 1", ProblemClass.NLP, None),
    ("", "minimize o: x^3", "c: x + y >= 1", ProblemClass.NLP, None),
    ("integer", "minimize o: x + y", "c: exp(x) + y >= 1", ProblemClass.MINLP, None),
]


@pytest.mark.parametrize(("domain", "objective", "constraint", "cls", "convex"), CLASSES)
def test_problem_class(domain: str, objective: str, constraint: str, cls: ProblemClass,
                       convex: bool | None) -> None:
    p = compile_(f"""\
variables
  x >= 0 {domain}
  y >= 0
objective
  {objective}
constraints
  {constraint}
""")
    assert p.problem_class is cls
    if convex is None:
        assert p.convex is not True
    else:
        assert p.convex is convex


def test_feasibility_model_without_an_objective_is_linear() -> None:
    p = compile_("""\
variables
  x >= 0
constraints
  c: x <= 1
""")
    assert p.objectives == []
    assert p.problem_class is ProblemClass.LP

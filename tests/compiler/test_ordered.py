"""Ordered-set functions: `first`, `last`, `ord`, `prev`, `next`, `prevw`, `nextw`.

Each is compared with positions worked out by hand on a symbolic set, a
contiguous range and a range with gaps; each misuse is a located error; the
checker re-reads constraints that step through sets; the wrap-around example
agrees with an LP that has no stock variables at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optiform
from optiform import Diagnostic, DiagnosticError
from optiform.compiler.ir import Problem
from optiform.verify import verify

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def compile_(text: str) -> Problem:
    return optiform.loads(text).compile()


def errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        compile_(text)
    return info.value.diagnostics


def param(p: Problem, name: str) -> dict[Any, float]:
    v = p.params[name]
    return {p.universe.decode_row(k)[0]: float(x) for k, x in zip(v.keys, v.values, strict=True)}


def rows(p: Problem, name: str) -> dict[Any, list[tuple[str, Any, float]]]:
    """Each row's key and its terms as (variable, index, coefficient), sorted."""
    block = next(c for c in p.constraints if c.name == name)
    out: dict[Any, list[tuple[str, Any, float]]] = {}
    for r, key in enumerate(block.keys):
        terms = []
        for k in np.nonzero(block.terms.lin_row == r)[0]:
            col = int(block.terms.lin_col[k])
            var = next(v for v in p.variables if v.offset <= col < v.offset + v.size)
            index = p.universe.decode_row(var.keys[col - var.offset])
            terms.append((var.name, index[0] if index else None, float(block.terms.lin_val[k])))
        out[p.universe.decode_row(key)[0] if len(key) else None] = sorted(terms)
    return out


DAYS = "sets\n  D = {mon, tue, wed, thu}\n  G = {2, 5, 9}\n  T = 1..4\n"


def test_ord_is_the_position_from_one() -> None:
    p = compile_(DAYS + "parameters\n  o[d in D] = ord(d)\n  r[t in 2..4] = ord(t)\n"
                 "variables\n  x\n")
    assert param(p, "o") == {"mon": 1, "tue": 2, "wed": 3, "thu": 4}
    assert param(p, "r") == {2: 1, 3: 2, 4: 3}


def test_steps_on_a_range_with_gaps_follow_the_order_not_the_arithmetic() -> None:
    p = compile_(DAYS + "parameters\n"
                 "  before[g in G : ord(g) > 1] = prev(g)\n"
                 "  after[g in G : g != last(G)] = next(g)\n"
                 "  around[g in G] = nextw(g)\n"
                 "  back2[g in G] = prevw(g, 2)\n"
                 "  far[g in G] = nextw(g, 7)\n"
                 "  ends = first(G) * 100 + last(G)\n"
                 "variables\n  x\n")
    assert param(p, "before") == {5: 2, 9: 5}
    assert param(p, "after") == {2: 5, 5: 9}
    assert param(p, "around") == {2: 5, 5: 9, 9: 2}
    assert param(p, "back2") == {2: 5, 5: 9, 9: 2}
    assert param(p, "far") == {2: 5, 5: 9, 9: 2}  # 7 steps on 3 members is 1 step
    assert p.params["ends"].values[0] == 209


def test_steps_of_k_from_data_and_in_conditionals() -> None:
    p = compile_(DAYS + "parameters\n"
                 "  k[t in T] = if t <= 2 then 1 else 2\n"
                 "  back[t in T : ord(t) > k[t]] = prev(t, k[t])\n"
                 "  safe[t in T] = if ord(t) > 1 then prev(t) else 0\n"
                 "  neg[t in T : t < last(T)] = prev(t, -1)\n"
                 "variables\n  x\n")
    assert param(p, "back") == {2: 1, 3: 1, 4: 2}
    assert param(p, "safe") == {1: 0, 2: 1, 3: 2, 4: 3}
    assert param(p, "neg") == {1: 2, 2: 3, 3: 4}  # a negative step goes the other way


def test_symbolic_neighbours_in_subscripts_and_filters() -> None:
    p = compile_(DAYS + "variables\n  x[D] >= 0\nconstraints\n"
                 "  wrap[d in D]: x[d] - x[prevw(d)] >= 0\n"
                 "  ahead[d in D : d != last(D)]: x[next(d)] + x[nextw(d, 2)] <= 5\n"
                 "  open: x[first(D)] <= 3\n"
                 "  fri[d in D : nextw(d) == first(D)]: x[d] == 1\n")
    assert rows(p, "wrap") == {
        "mon": [("x", "mon", 1.0), ("x", "thu", -1.0)],
        "tue": [("x", "mon", -1.0), ("x", "tue", 1.0)],
        "wed": [("x", "tue", -1.0), ("x", "wed", 1.0)],
        "thu": [("x", "thu", 1.0), ("x", "wed", -1.0)],
    }
    assert rows(p, "ahead") == {
        "mon": [("x", "tue", 1.0), ("x", "wed", 1.0)],
        "tue": [("x", "thu", 1.0), ("x", "wed", 1.0)],
        "wed": [("x", "mon", 1.0), ("x", "thu", 1.0)],
    }
    assert rows(p, "open") == {None: [("x", "mon", 1.0)]}
    assert rows(p, "fri") == {"thu": [("x", "thu", 1.0)]}


def test_an_order_inside_a_sum_and_a_sum_over_an_unnamed_range() -> None:
    p = compile_("variables\n  x[1..5] >= 0\nobjective\n"
                 "  minimize o: sum(t in 1..5 : ord(t) > 2) (x[t] - x[prev(t, 2)])\n"
                 "constraints\n  c[t in 3..5]: x[t] >= ord(t)\n")
    terms = p.objectives[0].terms
    coef = np.zeros(p.n_vars)
    np.add.at(coef, terms.lin_col, terms.lin_val)
    assert coef.tolist() == [-1, -1, 0, 1, 1]
    block = next(c for c in p.constraints if c.name == "c")
    assert block.lower.tolist() == [1, 2, 3]  # positions in 3..5, not the members


def test_solved_and_checked_from_the_expressions() -> None:
    text = (DAYS + "parameters\n  need[d in D] = 10 * ord(d)\n"
            "variables\n  x[D] >= 0\nobjective\n  minimize o: sum(d in D) x[d]\n"
            "constraints\n  cover[d in D]: x[d] + x[prevw(d)] >= need[d]\n")
    result = optiform.loads(text).solve()
    # by hand: the rows of tue (mon + tue >= 20) and thu (wed + thu >= 40) cover every
    # day once, so the total is at least 60; (0, 20, 10, 30) meets every row with 60
    assert result.status == "optimal"
    assert result.objective == pytest.approx(60)
    assert result.verified
    x = result.solution.values.copy()
    x[:] = 0
    report = verify(result.problem, x)
    assert {v.index for v in report.violations if v.constraint == "cover"} == {
        ("mon",), ("tue",), ("wed",), ("thu",)}


def test_cyclic_bakery_matches_an_independent_transportation_lp() -> None:
    linprog = pytest.importorskip("scipy.optimize").linprog
    demand = [80, 60, 70, 90, 140, 170, 40]
    cap = [130, 130, 130, 130, 130, 80, 0]
    cost = [1.0, 1.0, 1.2, 1.2, 1.5, 2.0, 0.0]
    hold, n = 0.3, 7
    # a loaf baked on day s and sold on day d spends (d - s) mod 7 nights in stock
    c = [cost[s] + hold * ((d - s) % n) for s in range(n) for d in range(n)]
    sold = np.zeros((n, n * n))
    baked = np.zeros((n + 1, n * n))
    for s in range(n):
        for d in range(n):
            sold[d, s * n + d] = 1
            baked[s, s * n + d] = 1
    baked[n, :n] = 1  # Monday's bake, at most half the oven
    lp = linprog(c, A_ub=baked, b_ub=[*cap, cap[0] / 2], A_eq=sold, b_eq=demand,
                 method="highs")
    result = optiform.load(EXAMPLES / "cyclic_bakery.opt").solve()
    assert lp.status == 0
    assert result.objective == pytest.approx(lp.fun, rel=1e-9)
    assert result.verified


# ---- misuse ------------------------------------------------------------------------


def _one(text: str) -> Diagnostic:
    found = errors(text)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


def test_prev_of_the_first_member_in_a_subscript_is_located() -> None:
    d = _one("sets\n  T = 1..3\nvariables\n  y[T] >= 0\nconstraints\n"
             "  lag[t in T]: y[t] >= y[prev(t)] + 1\n")
    assert d.message == ("`prev(t)` steps outside `T` at `t` = 1: there is no member "
                         "1 step before it")
    assert (d.span.line, d.span.column) == (6, 26)
    assert "`: ord(t) > 1`" in (d.hint or "") and "prevw" in (d.hint or "")


def test_the_same_use_filtered_out_is_valid() -> None:
    p = compile_("sets\n  T = 1..3\nvariables\n  y[T] >= 0\nconstraints\n"
                 "  lag[t in T : ord(t) > 1]: y[t] >= y[prev(t)] + 1\n")
    assert rows(p, "lag") == {2: [("y", 1, -1.0), ("y", 2, 1.0)],
                              3: [("y", 2, -1.0), ("y", 3, 1.0)]}


def test_next_past_the_last_member_names_the_steps_and_the_guard() -> None:
    d = _one("sets\n  D = {a, b, c}\nvariables\n  y[D]\nconstraints\n"
             "  two[d in D]: y[next(d, 2)] >= 0\n")
    assert d.message == ("`next(d, 2)` steps outside `D` at `d` = b: there is no member "
                         "2 steps after it")
    assert "`: ord(d) <= card(D) - 2`" in (d.hint or "")


@pytest.mark.parametrize(("line", "message", "column"), [
    ("c: y[prev(2)] >= 0", "`2` is not a bound index: `prev` steps through the set an "
     "index is bound to", 13),
    ("c[t in T]: y[ord(T)] >= 0", "`T` is not a bound index: `ord` steps through the set "
     "an index is bound to", 20),
    ("c[t in T]: y[prev(t, 1, 2)] >= 0", "`prev` takes 1 or 2 arguments, not 3", 16),
    ("c[t in T]: y[ord(t, 2)] >= 0", "`ord` takes 1 argument, not 2", 16),
    ("c: y[first(T, T)] >= 0", "`first` takes 1 argument, a set, not 2", 8),
    ("c[t in T]: y[nextw(t, z)] >= 0", "variable `z` cannot appear in the steps of `nextw`",
     25),
    ("c[(i, j) in A]: y[prevw(i)] >= 0", "`prevw(i)` needs `i` bound to a set of single "
     "members", 21),
    ("c[t in T]: sum(u in 1..t) y[nextw(u)] >= 0", "`nextw(u)` needs `u` bound to a set of "
     "single members", 31),
    ("c: z >= first(A)", "`first` takes a set of single members, not of 2-tuples", 11),
    ("c: z >= last(E)", "`last(E)` of an empty set", 11),
    ("c[w in W]: z >= prevw(w)", "`prevw(w)` is a symbol, not a number, here", 19),
    ("c[w in W : prevw(w) < w]: z >= 0", "symbols have no order: `<` compares numbers only",
     14),
])
def test_misuse_is_a_located_error(line: str, message: str, column: int) -> None:
    d = _one("sets\n  T = 1..3\n  A = {(1, 2), (2, 3)}\n  W = {a, b}\n  E = {}\n"
             "variables\n  y[T]\n  z\nconstraints\n  " + line + "\n")
    assert d.message == message
    assert (d.span.line, d.span.column) == (10, column)


def test_unknown_function_suggests_an_ordered_one() -> None:
    d = _one("sets\n  T = 1..3\nvariables\n  y[T]\nconstraints\n"
             "  c[t in T : ord(t) > 1]: y[prv(t)] >= 0\n")
    assert d.message == "unknown function `prv`"
    assert "prev" in (d.hint or "")


# ---- against list arithmetic on random sets ------------------------------------------

members_lists = st.one_of(
    st.lists(st.integers(-50, 50), min_size=1, max_size=7, unique=True),
    st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]), min_size=1,
             max_size=7, unique=True),
)


@settings(max_examples=60, deadline=None)
@given(members_lists, st.integers(-9, 9))
def test_every_function_agrees_with_list_positions(members: list[Any], k: int) -> None:
    written = ", ".join(str(m) for m in members)
    n = len(members)
    p = compile_(
        f"sets\n  S = {{{written}}}\nparameters\n  kk = {abs(k)}\n"
        f"  sgn = {1 if k >= 0 else -1}\n"
        "  pos[s in S] = ord(s)\n"
        "  isfirst[s in S] = if s == first(S) then 1 else 0\n"
        "  islast[s in S] = if s == last(S) then 1 else 0\n"
        "  wback[s in S] = ord(prevw(s, sgn * kk))\n"
        "  wahead[s in S] = ord(nextw(s, sgn * kk))\n"
        "  back[s in S : ord(s) - sgn * kk >= 1 and ord(s) - sgn * kk <= card(S)] = "
        "ord(prev(s, sgn * kk))\n"
        "  ends = ord(first(S)) * 100 + ord(last(S))\n"
        "variables\n  x\n")
    assert param(p, "pos") == {m: i + 1 for i, m in enumerate(members)}
    assert param(p, "isfirst") == {m: float(i == 0) for i, m in enumerate(members)}
    assert param(p, "islast") == {m: float(i == n - 1) for i, m in enumerate(members)}
    assert param(p, "wback") == {m: (i - k) % n + 1 for i, m in enumerate(members)}
    assert param(p, "wahead") == {m: (i + k) % n + 1 for i, m in enumerate(members)}
    assert param(p, "back") == {m: i - k + 1 for i, m in enumerate(members) if 0 <= i - k < n}
    assert p.params["ends"].values[0] == 100 + n

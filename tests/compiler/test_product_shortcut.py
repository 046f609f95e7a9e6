"""Positions by arithmetic over product frames against the general key lookups.

When a frame's rows are a product of sets and a block's keys are a product of
the same sets (`cost[i, j] * x[i, j]` over `i in I, j in J`), the evaluator
computes positions instead of looking keys up (`Evaluator.shortcut`). Every
model here is grounded twice, with the shortcut and with it turned off, and
the two `Problem`s must agree row for row: random small data (integer sets in
any order, symbol sets, a sparse tuple set, dense and sparse parameters with
defaults) under constraints that take the shortcut (the same order, transposed,
partial, a set used twice, nested sums, two equal sets) and some that must
not (filters, lags, ranges that depend on an outer index, conditionals).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optiform
from optiform import DiagnosticError
from optiform.compiler import evaluate
from optiform.compiler.ir import Problem, Terms
from optiform.testing import TRANSPORT

MODEL = """\
sets
  I
  J
  T = 1..n
  K = 1..n
  ARCS within I * J
parameters
  n
  p[I]
  q[I, J] default 0.5
  d[J, I]
  r[t in T] = 2 * t - 1
  big[i in I, j in J] = p[i] * d[j, i]
  c[ARCS]
variables
  x[I, J] >= 0
  u[I, I]
  y[T]
  z[ARCS] >= 0
  g[I, J, T] >= -1
  xf[i in I, j in J : p[i] > 0] >= 0
objective
  minimize total: {objective}
constraints
{constraints}
"""

OBJECTIVES = [
    "sum(i in I, j in J) d[j, i] * x[i, j] + sum(t in T) r[t] * y[t]",
    "sum(j in J, i in I) big[i, j] * x[i, j] - sum(i in I, i2 in I) u[i2, i]",
    "sum((i, j) in ARCS) c[i, j] * z[i, j] + sum(k in K) y[k]",
]

CONSTRAINTS = [
    "a[i in I, j in J]: x[i, j] + d[j, i] * x[i, j] <= q[i, j]",
    "b[j in J]: sum(i in I) d[j, i] * x[i, j] >= 1",
    "e[i in I]: sum(j in J, t in T) g[i, j, t] * r[t] == p[i]",
    "f[t in T, i in I]: sum(j in J) g[i, j, t] <= t",
    "h[i in I, i2 in I]: u[i2, i] - u[i, i2] >= 0",
    "l[t in T : t > 1]: y[t] - y[t - 1] <= r[t]",
    "m[(i, j) in ARCS]: z[i, j] <= c[i, j] * x[i, j]",
    "o: sum(k in K) y[k] + sum(t in T) 2 * y[t] >= 0",
    "s[i in I]: sum(j in J : q[i, j] > 0.5) x[i, j] <= 3",
    "v: sum(t in T, s in 1..t) y[s] <= n",
    "w[i in I, j in J]: (if p[i] > 0 then x[i, j] else u[i, i]) <= 1",
    "aa[j in J, i in I]: sum(t in T) g[i, j, t] - big[i, j] * x[i, j] >= 0",
    "bb[i in I]: sum(j in J) sum(t in T) d[j, i] * g[i, j, t] >= -5",
    "cc[i in I, j in J : p[i] > 0]: xf[i, j] <= big[i, j] + x[i, j]",
    "dd[j in J]: sum(i in I : p[i] > 0) xf[i, j] >= 0",
    "ee[i in I]: sum(j in J) sum(t in T) big[i, j] * g[i, j, t] <= sum(i2 in I) u[i, i2]",
]


@st.composite
def cases(draw: Callable[[Any], Any]) -> tuple[str, dict[str, Any]]:
    I = draw(st.lists(st.integers(-3, 9), min_size=1, max_size=4, unique=True))  # noqa: E741
    J = draw(st.lists(st.sampled_from(["ja", "jb", "jc", "jd"]), min_size=1, max_size=3,
                      unique=True))
    n = draw(st.integers(1, 3))
    pairs = [(i, j) for i in I for j in J]
    arcs = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs),
                         unique=True))
    small = st.integers(-3, 4).map(float)
    p = draw(st.lists(small, min_size=len(I), max_size=len(I)))
    q_keys = draw(st.lists(st.sampled_from(pairs), max_size=len(pairs), unique=True))
    d = [[draw(small) for _ in I] for _ in J]
    data: dict[str, Any] = {
        "I": I, "J": J, "n": n, "ARCS": [[i, j] for i, j in arcs],
        "p": np.array(p) if draw(st.booleans()) else {str(i): v for i, v in zip(I, p,
                                                                                 strict=True)},
        "q": {str(i): {j: draw(small) for (i2, j) in q_keys if i2 == i}
              for i in I if any(i2 == i for i2, _ in q_keys)},
        # dense (in set order: the shortcut applies) or nested objects (it does not)
        "d": np.array(d) if draw(st.booleans()) else {
            j: {str(i): d[a][b] for b, i in enumerate(I)} for a, j in enumerate(J)},
        "c": {str(i): {j: draw(small) for (i2, j) in arcs if i2 == i}
              for i in I if any(i2 == i for i2, _ in arcs)},
    }
    chosen = draw(st.lists(st.sampled_from(CONSTRAINTS), min_size=1, max_size=6,
                           unique=True))
    text = MODEL.format(objective=draw(st.sampled_from(OBJECTIVES)),
                        constraints="\n".join(f"  {c}" for c in chosen))
    return text, data


def ground(text: str, data: dict[str, Any], shortcut: bool) -> Problem | list[str]:
    saved = evaluate.PRODUCT_SHORTCUT
    evaluate.PRODUCT_SHORTCUT = shortcut
    try:
        return optiform.loads(text, data=data).compile()
    except DiagnosticError as exc:
        return [str(d) for d in exc.diagnostics]
    finally:
        evaluate.PRODUCT_SHORTCUT = saved


def coo(t: Terms) -> tuple[np.ndarray, ...]:
    """Linear terms as sorted (row, column, summed value) triples, zeros dropped."""
    key = np.stack([t.lin_row, t.lin_col], axis=1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    vals = np.bincount(inverse.reshape(-1), weights=t.lin_val, minlength=len(uniq))
    keep = vals != 0
    return uniq[keep, 0], uniq[keep, 1], vals[keep]


def assert_same(fast: Problem | list[str], slow: Problem | list[str]) -> None:
    if isinstance(slow, list) or isinstance(fast, list):
        assert fast == slow
        return
    assert [(v.name, v.offset) for v in fast.variables] == [
        (v.name, v.offset) for v in slow.variables]
    for a, b in zip(fast.variables, slow.variables, strict=True):
        assert np.array_equal(a.keys, b.keys)
        assert np.array_equal(a.lower, b.lower) and np.array_equal(a.upper, b.upper)
    assert [c.name for c in fast.constraints] == [c.name for c in slow.constraints]
    for a, b in zip(fast.constraints + fast.objectives, slow.constraints + slow.objectives,  # type: ignore[operator]
                    strict=True):
        if hasattr(a, "keys"):
            assert np.array_equal(a.keys, b.keys), a.name
            assert np.allclose(a.lower, b.lower) and np.allclose(a.upper, b.upper), a.name
        assert np.allclose(a.terms.const, b.terms.const), a.name
        for x, y in zip(coo(a.terms), coo(b.terms), strict=True):
            assert np.allclose(x, y), a.name


@pytest.mark.slow  # the quick run has every template once, in the test below
@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_shortcut_grounds_the_same_rows_as_key_lookups(case: tuple[str, dict[str, Any]]) -> None:
    text, data = case
    slow = ground(text, data, False)
    fast = ground(text, data, True)
    assert_same(fast, slow)


def test_every_template_grounds_and_matches() -> None:
    """All constraints at once on fixed data, so that none is silently an error."""
    data = {"I": [7, -2, 3], "J": ["jc", "ja"], "n": 3,
            "ARCS": [[3, "ja"], [7, "jc"]], "p": np.array([2.0, -1.0, 1.0]),
            "q": {"7": {"ja": 2.0}}, "d": np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]]),
            "c": {"3": {"ja": 4.0}, "7": {"jc": 1.0}}}
    for objective in OBJECTIVES:
        text = MODEL.format(objective=objective,
                            constraints="\n".join(f"  {c}" for c in CONSTRAINTS))
        slow = ground(text, data, False)
        fast = ground(text, data, True)
        assert isinstance(fast, Problem), fast
        assert_same(fast, slow)


def test_dense_transportation_looks_no_key_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dense data over products: no key table for the cost or the variables."""
    calls: list[list[int]] = []
    real = evaluate.product_positions

    def counting(shape: list[int], axes: list[int], strides: list[int]) -> np.ndarray:
        calls.append(axes)
        return real(shape, axes, strides)

    monkeypatch.setattr(evaluate, "product_positions", counting)
    p = optiform.loads(TRANSPORT, data={"I": [3, 1, 2], "J": ["b", "a"],
                                        "cost": np.arange(6.0).reshape(3, 2),
                                        "supply": [5.0, 5.0, 5.0], "demand": [1.0, 1.0]}
                       ).compile()
    # cost and x in the objective, x and supply in `out`, x (transposed) and demand in
    # `into`: every subscript by position arithmetic
    assert calls == [[0, 1], [0, 1], [0, 1], [0], [1, 0], [0]]
    assert "index" not in vars(p.variable("x")) and "index" not in vars(p.params["cost"])
    assert p.objectives[0].terms.lin_val.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    rows = next(c for c in p.constraints if c.name == "into").terms
    assert rows.lin_row.tolist() == [0, 0, 0, 1, 1, 1]
    assert rows.lin_col.tolist() == [0, 2, 4, 1, 3, 5]

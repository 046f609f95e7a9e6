"""Semi-continuous and semi-integer variables: HiGHS natively, Pyomo as a binary and
two rows (compiler/lowering/semicontinuous.py), the checker on the domain as written."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
from brute import optimum, solves_to

import optiform
from optiform.backends.base import SolveOptions
from optiform.backends.highs.backend import HighsBackend
from optiform.compiler.lowering.semicontinuous import semi_to_binary
from optiform.diagnostics import DiagnosticError
from optiform.verify import verify

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _instance(seed: int) -> tuple[str, list[list[int]], object, str]:
    rng = random.Random(seed)
    domains = []
    for _ in range(3):
        lo = rng.randint(1, 4)
        domains.append([0, *range(lo, lo + rng.randint(0, 4) + 1)])
    c = [rng.randint(-3, 3) for _ in range(3)]
    a = [rng.randint(-2, 3) for _ in range(3)]
    rhs = rng.randint(2, 12)
    sense = rng.choice(["minimize", "maximize"])
    decls = "\n".join(f"  v{i} semiinteger in [{d[1]}, {d[-1]}]" for i, d in enumerate(domains))
    model = f"""\
variables
{decls}
objective
  {sense} o: {c[0]} * v0 + {c[1]} * v1 + {c[2]} * v2
constraints
  cap: {a[0]} * v0 + {a[1]} * v1 + {a[2]} * v2 <= {rhs}
  some: v0 + v1 + v2 >= 2
"""

    def feasible(p: tuple[int, ...]) -> bool:
        return sum(x * y for x, y in zip(a, p, strict=True)) <= rhs and sum(p) >= 2

    def objective(p: tuple[int, ...]) -> int:
        return sum(x * y for x, y in zip(c, p, strict=True))

    return model, domains, (feasible, objective), sense


@pytest.mark.parametrize("backend", ["highs", "pyomo"])
@pytest.mark.parametrize("seed", range(15))
def test_semiinteger_optimum_equals_brute_force(seed: int, backend: str) -> None:
    model, domains, (feasible, objective), sense = _instance(seed)
    best = optimum(itertools.product(*domains), feasible, objective, sense)
    if best is not None:
        solves_to(model, backend, best)


def test_highs_gets_the_domains_natively() -> None:
    problem = optiform.loads("variables\n  x semicontinuous in [2, 10]\n"
                             "  n semiinteger in [3, 7]\n  b binary\n").compile()
    h = HighsBackend().load(problem, SolveOptions())
    assert [int(t) for t in h.getLp().integrality_] == [2, 3, 1]  # highspy.HighsVarType


def test_semicontinuous_takes_zero_or_its_interval() -> None:
    text = """\
variables
  x semicontinuous in [4, 10]
objective
  minimize o: (x - 1)^2
"""
    # QP with a semi-continuous column is an MIQP, which HiGHS does not take: a linear one
    linear = """\
variables
  x semicontinuous in [4, 10]
  d >= 0
objective
  minimize o: d
constraints
  above: d >= x - 1.5
  below: d >= 1.5 - x
"""
    assert optiform.loads(text).compile().problem_class.value == "MIQP"
    result = optiform.loads(linear).solve()
    assert result.values["x"] == pytest.approx(0)  # |0 - 1.5| < |4 - 1.5|
    assert result.objective == pytest.approx(1.5)
    forced = optiform.loads(linear.replace("minimize o: d", "minimize o: d - 3 * x")).solve()
    assert forced.values["x"] == pytest.approx(10)


def test_an_upper_bound_past_highs_cap_goes_as_a_binary() -> None:
    text = """\
variables
  x semicontinuous in [150000, 400000]
objective
  maximize o: x
constraints
  cap: x <= 300000.5
"""
    problem = optiform.loads(text).compile()
    assert len(semi_to_binary(problem).variables) == 2
    result = optiform.loads(text).solve()
    assert result.objective == pytest.approx(300000.5)
    assert set(result.values) == {"x"}
    assert result.verified


def test_the_checker_reads_the_domain() -> None:
    problem = optiform.loads("variables\n  x semicontinuous in [2, 5]\n"
                             "  n semiinteger in [3, 6]\n").compile()
    assert verify(problem, np.array([0.0, 0.0])).feasible
    assert verify(problem, np.array([2.5, 4.0])).feasible
    bad = verify(problem, np.array([1.0, 4.5]))
    assert {v.constraint for v in bad.violations} == {"x (bound)", "n (integrality)"}
    assert not verify(problem, np.array([0.0, 2.0])).feasible


def test_torch_refuses_them_clearly() -> None:
    text = "variables\n  x semicontinuous in [2, 5]\nobjective\n  minimize o: x\n"
    with pytest.raises(optiform.BackendError, match="no semicontinuous variables, such as `x`"):
        optiform.loads(text).solve(backend="torch")


@pytest.mark.parametrize(("decl", "message"), [
    ("x[I] semicontinuous >= 2", "semicontinuous variable `x[1]` has no finite upper bound"),
    ("x[I] semiinteger in [-1, 4]", "semiinteger variable `x[1]` has a negative lower bound"),
])
def test_misuse_is_a_located_error(decl: str, message: str) -> None:
    text = f"sets\n  I = 1..2\nvariables\n  {decl}\n"
    with pytest.raises(DiagnosticError) as info:
        optiform.loads(text, file="m.opt").compile()
    assert message in str(info.value)
    assert "m.opt:4:3" in str(info.value)


def test_fmt_and_show_keep_the_domain() -> None:
    from optiform.dsl.parser import parse
    from optiform.dsl.printer import format_model
    from optiform.dsl.render import render

    text = "variables\n  x semicontinuous in [2, 5]\n  n semiinteger in [3, 6]\n"
    model = parse(text)
    assert parse(format_model(model)) == model
    shown = render(model, "text")
    assert "x ∈ {0} ∪ [2, 5]" in shown
    assert "n ∈ ({0} ∪ [3, 6]) ∩ ℤ" in shown


def test_a_big_m_over_a_semicontinuous_column_counts_its_zero() -> None:
    # x = 0 satisfies `x <= 1`; a big-M from [2, 10] alone would have cut it off
    text = """\
variables
  x semicontinuous in [2, 10]
  n semiinteger in [3, 6]
objective
  minimize o: x + n
constraints
  c: x <= 1 or x >= 5
  d: abs(n - 1) >= 1
"""
    result = optiform.loads(text).solve()
    assert result.objective == pytest.approx(0)
    assert result.verified


def test_unit_commitment_matches_an_independent_milp() -> None:
    # examples/unit_commitment.opt written again for scipy: on/off binaries instead of
    # semicontinuous, a counted reserve r <= pmax - p, r <= ramp instead of min(...)
    scipy = pytest.importorskip("scipy.optimize")
    demand, reserve = [60, 80, 100, 70], 90
    pmin, pmax, ramp = [40, 20, 5], [100, 60, 40], [30, 40, 40]
    weight = [20 + 20 * 1.0, 35 + 20 * 0.5, 80 + 20 * 0.6]  # price + co2_price * co2
    g_, t_ = 3, 4
    n = g_ * t_
    rows, lo, hi = [], [], []

    def row(coefs: list[tuple[int, float]], low: float, high: float) -> None:
        a = np.zeros(3 * n)
        for k, v in coefs:
            a[k] += v
        rows.append(a)
        lo.append(low)
        hi.append(high)

    for g in range(g_):
        for t in range(t_):
            p, on, r = g * t_ + t, n + g * t_ + t, 2 * n + g * t_ + t
            row([(p, 1), (on, -pmin[g])], 0, np.inf)
            row([(p, 1), (on, -pmax[g])], -np.inf, 0)
            row([(r, 1), (p, 1)], -np.inf, pmax[g])
            if t:
                row([(p, 1), (p - 1, -1)], -ramp[g], ramp[g])
    for t in range(t_):
        row([(g * t_ + t, 1) for g in range(g_)], demand[t], np.inf)
        row([(2 * n + g * t_ + t, 1) for g in range(g_)], reserve, np.inf)
    cost = np.concatenate([np.repeat(weight, t_), np.zeros(2 * n)])
    upper = np.concatenate([np.repeat(pmax, t_), np.ones(n), np.repeat(ramp, t_)])
    lower = np.concatenate([np.zeros(2 * n), np.full(n, -np.inf)])
    found = scipy.milp(cost, constraints=scipy.LinearConstraint(np.array(rows), lo, hi),
                       bounds=scipy.Bounds(lower, upper.astype(float)),
                       integrality=np.concatenate([np.zeros(n), np.ones(n), np.zeros(n)]))
    assert found.status == 0
    result = optiform.load(EXAMPLES / "unit_commitment.opt").solve()
    assert result.verified
    assert result.objectives["fuel"] + 20 * result.objectives["emissions"] == \
        pytest.approx(found.fun, rel=1e-9)


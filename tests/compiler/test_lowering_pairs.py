"""Each lowering against its rows written by hand (MathOptInterface's bridge tests).

A pair of small models: `before` uses the construct, `after` is the MILP the
lowering should make of it, written out in the language with its big-M worked
out from the bounds by hand. The lowered problem has the same number of
columns, binaries and rows as `after`, and the same optimum under each
objective.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import optiform
from optiform.compiler.ir import Problem
from optiform.compiler.lowering.semicontinuous import semi_to_binary

PAIRS = {
    "abs epigraph": (
        "variables\n  x in [-4, 6]\n  y in [0, 5]\n"
        "constraints\n  gap: abs(x - y) <= 3\n",
        "variables\n  x in [-4, 6]\n  y in [0, 5]\n  t in [-4, 9]\n"
        "constraints\n  a: t >= x - y\n  b: t >= y - x\n  gap: t <= 3\n",
        ["x + y", "x - 2 * y", "-x"],
    ),
    "max with binaries": (
        "variables\n  x in [0, 6]\n  y in [1, 5]\n"
        "constraints\n  m: max(x, y) == 4\n",
        # ub(t) = 6; M_x = 6 - 0, M_y = 6 - 1
        "variables\n  x in [0, 6]\n  y in [1, 5]\n  t in [1, 6]\n  z1 binary\n  z2 binary\n"
        "constraints\n  a: t >= x\n  b: t >= y\n  c: t <= x + 6 * (1 - z1)\n"
        "  d: t <= y + 5 * (1 - z2)\n  one: z1 + z2 == 1\n  m: t == 4\n",
        ["x + y", "x - y", "-x - y"],
    ),
    "implication": (
        "variables\n  b binary\n  x in [0, 10]\n"
        "constraints\n  on: b == 1 ==> x <= 2\n",
        "variables\n  b binary\n  x in [0, 10]\n"
        "constraints\n  on: x - 2 <= 8 * (1 - b)\n",
        ["x + b", "x - 20 * b", "-x"],
    ),
    "disjunction": (
        "variables\n  x in [0, 10]\n"
        "constraints\n  gap: x <= 2 or x >= 8\n",
        "variables\n  x in [0, 10]\n  y1 binary\n  y2 binary\n"
        "constraints\n  a: x - 2 <= 8 * (1 - y1)\n  b: x - 8 >= -8 * (1 - y2)\n"
        "  any: y1 + y2 >= 1\n",
        ["x", "-x", "(x - 5) * 1"],
    ),
    "convex pwl": (
        "variables\n  x in [-1, 9]\n  v\n"
        "constraints\n  c: pwl(x, [0, 2, 5], [4, 1, 3]) <= v\n",
        "variables\n  x in [-1, 9]\n  v\n  t in [1, 4]\n"
        "constraints\n  dom: 0 <= x <= 5\n  s1: t >= 4 - 1.5 * x\n"
        "  s2: t >= 1 + 2 / 3 * (x - 2)\n  c: t <= v\n",
        ["v", "v + x", "v - x"],
    ),
    "incremental pwl": (
        "variables\n  x in [-1, 9]\n  v\n"
        "constraints\n  c: pwl(x, [0, 2, 5], [4, 1, 3]) >= v\n",
        "variables\n  x in [-1, 9]\n  v\n  d1 in [0, 1]\n  d2 in [0, 1]\n  z binary\n"
        "constraints\n  tie: x == 2 * d1 + 3 * d2\n  o1: d2 <= z\n  o2: z <= d1\n"
        "  c: 4 - 3 * d1 + 2 * d2 >= v\n",
        ["-v", "-v + x", "-v - x"],
    ),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_lowering_matches_its_rows_written_by_hand(name: str) -> None:
    before, after, objectives = PAIRS[name]
    lowered = optiform.loads(before).compile().lowered
    written = optiform.loads(after).compile()
    assert lowered is not None
    assert lowered.n_vars == written.n_vars
    assert lowered.n_rows == written.n_rows
    assert _binaries(lowered) == _binaries(written)
    assert lowered.problem_class == written.problem_class
    for objective in objectives:
        goal = f"objective\n  minimize o: {objective}\n"
        a = optiform.loads(_with(before, goal)).solve()
        b = optiform.loads(_with(after, goal)).solve()
        assert a.status == b.status == "optimal", (name, objective)
        assert a.objective == pytest.approx(b.objective, abs=1e-7), (name, objective)
        assert a.verified


def _binaries(problem: Problem) -> int:
    return sum(v.size for v in problem.variables if v.domain == "binary")


def _with(model: str, goal: str) -> str:
    head, rest = model.split("constraints\n")
    return head + goal + "constraints\n" + rest


def test_semicontinuous_as_a_binary_matches_its_rows_written_by_hand() -> None:
    before = "variables\n  x semicontinuous in [2, 5]\n  y in [0, 3]\n" \
             "constraints\n  c: x + y >= 1\n"
    after = "variables\n  x in [0, 5]\n  y in [0, 3]\n  z binary\n" \
            "constraints\n  c: x + y >= 1\n  lo: x - 2 * z >= 0\n  hi: x - 5 * z <= 0\n"
    wide = semi_to_binary(optiform.loads(before).compile())
    written = optiform.loads(after).compile()
    assert (wide.n_vars, wide.n_rows) == (written.n_vars, written.n_rows)
    assert _binaries(wide) == _binaries(written) == 1
    for objective in ("x + 3 * y", "x - y", "-x"):
        goal = f"objective\n  minimize o: {objective}\n"
        a = optiform.loads(_with(before, goal)).solve()
        b = optiform.loads(_with(after, goal)).solve()
        assert a.objective == pytest.approx(b.objective, abs=1e-7), objective


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["makespan", "single_machine", "volume_discount",
                                  "minimum_runs"])
def test_pyomo_solves_the_lowered_examples_to_their_optimum(name: str) -> None:
    pytest.importorskip("pyomo")
    expected = json.loads((EXAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))
    try:
        result = optiform.load(EXAMPLES / f"{name}.opt").solve(backend="pyomo")
    except optiform.BackendError as exc:  # no MILP solver for Pyomo here
        pytest.skip(str(exc))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected["objective"], rel=1e-6)
    assert result.verified

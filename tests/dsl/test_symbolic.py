"""`Model.to_sympy()`: the objectives and constraint families as sympy expressions, checked
by what sympy can do with them (expand a sum over a known size, differentiate)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import optiform
from optiform.dsl.symbolic import SymbolicError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def size(model: optiform.Model, **sizes: int) -> dict[sympy.Symbol, int]:
    symbolic = model.to_sympy()
    return {symbolic.sets[name]: n for name, n in sizes.items()}


def test_facility_location_expands_to_its_terms() -> None:
    model = optiform.load(EXAMPLES / "facility_location.opt")
    symbolic = model.to_sympy()
    fixed, open_, cost, ship = (sympy.IndexedBase(n) for n in ("fixed", "open", "cost", "ship"))
    w, c = sympy.symbols("w c", integer=True)
    W, C = symbolic.sets["W"], symbolic.sets["C"]
    assert symbolic.objectives["total_cost"] == (
        sympy.Sum(fixed[w] * open_[w], (w, 1, W))
        + sympy.Sum(cost[w, c] * ship[w, c], (w, 1, W), (c, 1, C)))
    assert symbolic.senses == {"total_cost": "minimize"}
    expanded = symbolic.objectives["total_cost"].subs(size(model, W=3, C=5)).doit()
    assert len(sympy.Add.make_args(sympy.expand(expanded))) == 3 + 15
    assert sympy.diff(expanded, ship[2, 4]) == cost[2, 4]
    serve = symbolic.constraints["serve"]
    assert serve.over == ((c, 1, C),) and serve.where == sympy.true
    assert serve.relation == sympy.Eq(sympy.Sum(ship[w, c], (w, 1, W)),
                                      sympy.IndexedBase("demand")[c])


def test_products_ranged_rows_and_exact_decimals() -> None:
    hs071 = optiform.load(EXAMPLES / "hs071.opt")
    product = hs071.to_sympy().constraints["product"].relation
    x = sympy.IndexedBase("x")
    assert product.subs(size(hs071, I=4)).doit() == sympy.Ge(x[1] * x[2] * x[3] * x[4], 25)
    text = "variables\n  x\n  y\nconstraints\n  band: 0.1 <= 1.4 * x + y <= 2\n"
    band = optiform.loads(text).to_sympy().constraints["band"].relation
    x_, y_ = sympy.symbols("x y")
    assert band == sympy.And(sympy.Le(sympy.Rational(1, 10), sympy.Rational(7, 5) * x_ + y_),
                             sympy.Le(sympy.Rational(7, 5) * x_ + y_, 2))


def test_a_tuple_set_runs_over_its_members_and_a_filter_is_a_piecewise() -> None:
    symbolic = optiform.load(EXAMPLES / "min_cost_flow.opt").to_sympy()
    objective = symbolic.objectives["total_cost"]
    k = sympy.Symbol("k_ARCS", integer=True)
    i, j = sympy.IndexedBase("ARCS_1")[k], sympy.IndexedBase("ARCS_2")[k]
    assert objective == sympy.Sum(sympy.IndexedBase("cost")[i, j]
                                  * sympy.IndexedBase("flow")[i, j],
                                  (k, 1, symbolic.sets["ARCS"]))
    assert symbolic.constraints["balance"].relation.atoms(sympy.Piecewise)


def test_what_has_no_sympy_form_is_named() -> None:
    with pytest.raises(SymbolicError, match="line_hours.*named set or a range"):
        optiform.load(EXAMPLES / "lot_sizing.opt").to_sympy()

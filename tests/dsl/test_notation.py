"""`show`'s sympy translation takes every node the parser makes, in every slot.

sympy refuses some trees the language allows (a relation inside a sum or a
product is a TypeError in `Add` and `Mul`), so the printer tests' nodes in
every slot, and random models, are each rendered in every style; the LaTeX
of the slots is read by matplotlib's mathtext, as the examples' is.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from matplotlib import mathtext
from test_printer import CHILDREN, HOLES, models  # the printer's strategies and slots

from optiform.dsl import ast as A
from optiform.dsl.render import STYLES, render


def _objective(e: A.Expr) -> A.ModelDecl:
    return A.ModelDecl(name="m", objectives=(A.ObjectiveDecl("minimize", "o", e),))


# mathtext lays each formula out with real fonts: a few slots in the quick run
QUICK = {"* right", "/ left", "+ right", "negate", "sum body", "min body"}
SLOTS = [pytest.param(h, id=h, marks=() if h in QUICK else pytest.mark.slow)
         for h in sorted(HOLES)]


@pytest.mark.parametrize("hole", SLOTS)
def test_every_node_in_every_slot_renders(hole: str) -> None:
    parser = mathtext.MathTextParser("path")
    for child in CHILDREN:
        model = _objective(HOLES[hole](child))
        assert "minimize o:" in render(model, "text")
        assert render(model, "markdown").startswith("## m")
        row = render(model, "latex").splitlines()[2]  # `  \min & formula\qquad (o)`
        parser.parse("$" + row.split("&", 1)[1].rsplit(r"\qquad", 1)[0] + "$")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models)
def test_random_models_render(model: A.ModelDecl) -> None:
    for style in STYLES:
        assert render(model, style).endswith("\n")

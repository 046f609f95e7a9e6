"""Every public function of the Python API refuses a wrong argument at its edge.

Issue 14 found 16 of 71 wrong-type calls failing deep inside (an AttributeError
from the parser, a traceback from a backend) or, worse, read wrongly. Each call
here must raise a TypeError (wrong type) or a ValueError (a value out of range)
whose message starts with the argument's name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import optiform
from optiform import api

MODEL = """variables
  x in [0, 4]
  y in [0, 4]
objective
  minimize cost: x + 2 * y
  maximize gain: 3 * x + y
constraints
  c: x + y >= 1
"""


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "m.opt"
    path.write_text(MODEL, encoding="utf-8")
    return path


def _model() -> api.Model:
    return optiform.loads(MODEL)


NAN, INF = math.nan, math.inf
CALLS: list[tuple[str, str, Callable[[Path], Any]]] = [
    ("loads(123)", "text", lambda p: optiform.loads(123)),  # type: ignore[arg-type]
    ("loads(bytes)", "text", lambda p: optiform.loads(MODEL.encode())),  # type: ignore[arg-type]
    ("loads(None)", "text", lambda p: optiform.loads(None)),  # type: ignore[arg-type]
    ("loads data=list", "data", lambda p: optiform.loads(MODEL, data=[1, 2])),  # type: ignore[arg-type]
    ("loads data=int", "data", lambda p: optiform.loads(MODEL, data=5)),  # type: ignore[arg-type]
    ("loads data key int", "data", lambda p: optiform.loads(MODEL, data={1: 2})),
    ("loads file=3", "file", lambda p: optiform.loads(MODEL, file=3)),  # type: ignore[arg-type]
    ("loads max_size str", "max_size",
     lambda p: optiform.loads(MODEL, max_size="5")),  # type: ignore[arg-type]
    ("loads max_size 0", "max_size", lambda p: optiform.loads(MODEL, max_size=0)),
    ("loads max_size bool", "max_size", lambda p: optiform.loads(MODEL, max_size=True)),
    ("loads max_size float", "max_size",
     lambda p: optiform.loads(MODEL, max_size=1e6)),  # type: ignore[arg-type]
    ("load(123)", "path", lambda p: optiform.load(123)),  # type: ignore[arg-type]
    ("load(None)", "path", lambda p: optiform.load(None)),  # type: ignore[arg-type]
    ("load(bytes)", "path", lambda p: optiform.load(bytes(p))),  # type: ignore[arg-type]
    ("load data=list", "data", lambda p: optiform.load(p, data=[1])),  # type: ignore[arg-type]
    ("load max_size -1", "max_size", lambda p: optiform.load(p, max_size=-1)),
    ("check(123)", "path", lambda p: optiform.check(123)),  # type: ignore[arg-type]
    ("check data=tuple", "data", lambda p: optiform.check(p, data=(1,))),  # type: ignore[arg-type]
    ("show(123)", "path", lambda p: api.show(123)),  # type: ignore[arg-type]
    ("show style html", "style", lambda p: api.show(p, "html")),
    ("show style None", "style", lambda p: api.show(p, None)),  # type: ignore[arg-type]
    ("export out=123", "out", lambda p: api.export(p, 123)),  # type: ignore[arg-type]
    ("export path=123", "path", lambda p: api.export(123, "x.lp")),  # type: ignore[arg-type]
    ("solve(str)", "problem", lambda p: optiform.solve("model")),  # type: ignore[arg-type]
    ("solve(Model)", "problem", lambda p: optiform.solve(_model())),  # type: ignore[arg-type]
    ("solve backend=3", "backend",
     lambda p: optiform.solve(_model().compile(), 3)),  # type: ignore[arg-type]
    ("solve options=dict", "options",
     lambda p: optiform.solve(_model().compile(), options={})),  # type: ignore[arg-type]
    ("solve solver=5", "solver",
     lambda p: optiform.solve(_model().compile(), solver=5)),  # type: ignore[arg-type]
    ("pareto('5')", "problem", lambda p: api.pareto("5")),  # type: ignore[arg-type]
    ("pareto points str", "points",
     lambda p: api.pareto(_model().compile(), "5")),  # type: ignore[arg-type]
    ("pareto objectives str", "objectives",
     lambda p: api.pareto(_model().compile(), 5, objectives="cost")),
    ("pareto options", "options",
     lambda p: api.pareto(_model().compile(), 5, options=1)),  # type: ignore[arg-type]
    ("batch(123)", "model", lambda p: optiform.batch(123)),  # type: ignore[arg-type]
    ("batch datas str", "datas", lambda p: optiform.batch(p, "d.json")),
    ("batch engine spark", "engine", lambda p: optiform.batch(p, engine="spark")),
    ("batch workers 0", "workers", lambda p: optiform.batch(p, workers=0)),
    ("batch grid list", "grid",
     lambda p: optiform.batch(p, grid=[1, 2])),  # type: ignore[arg-type]
    ("batch time_limit -1", "time_limit", lambda p: optiform.batch(p, time_limit=-1)),
    ("formalize(None)", "text", lambda p: optiform.formalize(None)),  # type: ignore[arg-type]
    ("formalize(123)", "text", lambda p: optiform.formalize(123)),  # type: ignore[arg-type]
    ("formalize samples 0", "samples", lambda p: optiform.formalize("q", samples=0)),
    ("formalize max_repairs str", "max_repairs",
     lambda p: optiform.formalize("q", max_repairs="2")),  # type: ignore[arg-type]
]

SOLVE_BAD: list[tuple[str, Any]] = [
    ("backend", 3), ("backend", None), ("time_limit", "5"), ("time_limit", -1),
    ("time_limit", NAN), ("mip_gap", -0.1), ("mip_gap", "x"), ("mip_gap", INF),
    ("weights", {"cost": "x"}), ("weights", [1]), ("weights", {1: 2}),
    ("weights", {"cost": NAN}), ("weights", {"cost": INF}), ("weights", {"cost": True}),
    ("lexicographic", "cost"), ("lexicographic", [1]), ("lexicographic", 5),
    ("verbose", "yes"), ("solver", 3), ("starts", 0), ("starts", 10_000_000),
    ("starts", 1.5), ("device", "bogus"), ("device", 3), ("seed", 2**70), ("seed", -1),
    ("seed", 1.5), ("seed", "1"), ("seed", None), ("iterations", 0), ("iterations", "5"),
    ("tolerance", 0), ("tolerance", -1), ("tolerance", NAN), ("optimizer", 3),
    ("samples", 0), ("samples", "3"), ("temperature", INF), ("temperature", 0),
    ("temperature", "hot"), ("compare", "yes"), ("training", 3),
]
PARETO_BAD: list[tuple[str, Any]] = [
    ("points", "5"), ("points", 2.5), ("objectives", "cost"), ("objectives", [1, 2]),
    ("time_limit", -1), ("mip_gap", NAN), ("seed", -5), ("device", "gpu0"),
    ("temperature", NAN), ("iterations", 0), ("backend", None),
]
CALLS += [(f"Model.solve {k}={v!r}", k, lambda p, k=k, v=v: _model().solve(**{k: v}))
          for k, v in SOLVE_BAD]
CALLS += [(f"Model.pareto {k}={v!r}", k, lambda p, k=k, v=v: _model().pareto(**{k: v}))
          for k, v in PARETO_BAD]


def test_the_calls_cover_the_public_api() -> None:
    assert len(CALLS) >= 71
    covered = {label.split("(")[0].split()[0].split(".")[0] for label, _, _ in CALLS}
    public = {n for n in optiform.__all__ if callable(getattr(optiform, n))
              and not isinstance(getattr(optiform, n), type)}
    assert public <= covered | {"show", "export"}, public - covered


@pytest.mark.parametrize(("label", "argument", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_a_wrong_argument_is_refused_by_name(model_file: Path, label: str, argument: str,
                                             call: Callable[[Path], Any]) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        call(model_file)
    assert str(info.value).startswith(f"{argument}:"), (label, str(info.value))


def test_right_arguments_still_solve(model_file: Path) -> None:
    result = optiform.load(model_file, max_size=10).solve(
        "highs", time_limit=INF, mip_gap=0, weights={"cost": 1, "gain": 0.0}, seed=2**63 - 1)
    assert result.verified
    front = optiform.load(str(model_file)).pareto(3, objectives=("cost", "gain"))
    assert len(front) >= 2

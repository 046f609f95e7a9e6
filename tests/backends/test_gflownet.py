"""The GFlowNet backend on the conformance models, against exact answers.

Each optimum comes from HiGHS or from enumerating every point with numpy
(which shares nothing with the sampler); the sampler's best must be within
1% of it, the distinct good points it returns must be real and checked, and
a sampled Pareto front must equal the enumerated one.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import optiform
from optiform.backends import BackendError
from optiform.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def _gap(value: float, optimum: float) -> float:
    return abs(value - optimum) / max(1.0, abs(optimum))


# knapsack in the quick run; the other two (33 s of it on two loaded cores) in the full one
@pytest.mark.parametrize("name", ["knapsack", pytest.param("assignment", marks=pytest.mark.slow),
                                  pytest.param("set_covering", marks=pytest.mark.slow)])
def test_best_sample_is_within_one_percent_of_highs(name: str) -> None:
    model = optiform.load(EXAMPLES / f"{name}.opt")
    optimum = model.solve("highs").objective
    result = model.solve("gflownet", seed=1)
    assert result.verified and result.status == "locally_solved"
    assert result.objective is not None and _gap(result.objective, optimum) <= 0.01
    assert "proves nothing" in result.solution.message


def _knapsack_values() -> tuple[np.ndarray, np.ndarray]:
    """Every packing of examples/knapsack.opt that fits, and its value (enumerated)."""
    value = [120, 110, 100, 40, 35, 60, 70, 55, 30, 28, 25, 12, 15, 22]
    weight = [2600, 1400, 1800, 400, 500, 300, 300, 500, 900, 100, 100, 600, 800, 700]
    volume = [8, 6, 4, 2, 1, 1, 1, 3, 2, 1, 1, 1, 3, 2]
    x = np.array(list(itertools.product([0, 1], repeat=14)))
    fits = (x @ weight <= 9000) & (x @ volume <= 28)
    return x[fits], x[fits] @ value


@pytest.mark.slow  # the quick run has samples, checked, through the CLI test below
def test_samples_are_distinct_checked_and_good() -> None:
    points, values = _knapsack_values()
    optimum = values.max()
    good = int((values >= 0.95 * optimum).sum())  # every packing within 5% that exists
    result = optiform.load(EXAMPLES / "knapsack.opt").solve("gflownet", samples=30, seed=0)
    samples = result.samples
    assert len(samples) == 30 and all(s.verified for s in samples)
    assert samples[0].objective == optimum == result.objective
    xs = {tuple(np.round(s.solution.values).astype(int)) for s in samples}
    assert len(xs) == 30  # distinct
    enumerated = {tuple(p): v for p, v in zip(points.tolist(), values.tolist(), strict=True)}
    for s in samples:  # each point's value is what enumeration says it is
        assert enumerated[tuple(np.round(s.solution.values).astype(int))] == s.objective
    values_found = [s.objective for s in samples]
    assert values_found == sorted(values_found, reverse=True)
    assert sum(v >= 0.95 * optimum for v in values_found) >= min(20, good)


def test_nonlinear_objective_no_milp_solver_takes() -> None:
    # max-cut written with the product of binaries (MIQP): the best split, enumerated
    model = optiform.load(EXAMPLES / "max_cut.opt")
    problem = model.compile()
    assert problem.problem_class.value == "MIQP"
    workers = "ada ben cai dee eli fay gus hal ivy jon".split()
    text = (EXAMPLES / "max_cut.opt").read_text()
    pairs = [(a, b, int(w)) for a, b, w in re.findall(r"\((\w+), (\w+)\): (\d+)", text)]
    x = np.array(list(itertools.product([0, 1], repeat=10)))
    at = {w: i for i, w in enumerate(workers)}
    cut = sum(w * (x[:, at[a]] != x[:, at[b]]) for a, b, w in pairs)
    ok = (x.sum(axis=1) >= 4) & (x.sum(axis=1) <= 6)
    result = model.solve("gflownet", samples=4, seed=0)
    assert result.verified and result.objective == cut[ok].max() == 66
    assert [s.objective for s in result.samples] == sorted(cut[ok], reverse=True)[:4]


@pytest.mark.slow  # the quick run has the same front through the CLI's --compare below
def test_sampled_front_equals_the_enumerated_front() -> None:
    expected = json.loads((EXAMPLES / "biobjective_knapsack.expected.json").read_text())
    front = optiform.load(EXAMPLES / "biobjective_knapsack.opt").pareto(
        20, "gflownet", seed=0)
    got = sorted((r.objectives["usefulness"], r.objectives["comfort"]) for r in front)
    assert all(r.verified for r in front)
    assert got == sorted(tuple(map(float, p)) for p in expected["pareto"])


@pytest.mark.slow  # 4 s; the quick run compares fronts in tests/test_pareto_exact.py
def test_the_cli_compares_a_sampled_front_with_the_exact_one(tmp_path: Path) -> None:
    plot = tmp_path / "front.png"
    result = runner.invoke(app, ["solve", str(EXAMPLES / "biobjective_knapsack.opt"),
                                 "--backend", "gflownet", "--pareto", "20", "--compare",
                                 "--plot", str(plot), "--json", "--iterations", "150"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    compare = out["compare"]
    assert compare["points"] == 7 and compare["found"] == 7
    assert out["hypervolume"] == pytest.approx(compare["hypervolume"])
    assert plot.stat().st_size > 1000


def test_the_cli_lists_samples_and_the_gap() -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLES / "knapsack.opt"), "--backend",
                                 "gflownet", "--samples", "5", "--compare", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert len(out["samples"]) == 5 and all(s["feasible"] for s in out["samples"])
    assert out["compare"]["optimum"] == 643 and out["compare"]["gap"] == 0.0
    table = runner.invoke(app, ["solve", str(EXAMPLES / "knapsack.opt"), "--backend",
                                "gflownet", "--samples", "3", "--iterations", "50"])
    assert table.exit_code == 0, table.output
    assert "3 distinct verified solutions" in table.output
    assert "differs from #1 in" in table.output


@pytest.mark.slow
def test_the_same_seed_gives_the_same_samples() -> None:
    model = optiform.load(EXAMPLES / "assignment.opt")
    runs = [model.solve("gflownet", samples=5, seed=3, iterations=40) for _ in range(2)]
    a, b = ([s.solution.values.tolist() for s in r.samples] for r in runs)
    assert a == b


MODEL = """
sets
  I = 1..3
variables
  {declaration}
objective
  minimize o: sum(i in I) x[i]
constraints
  c: sum(i in I) x[i] >= 1
"""


@pytest.mark.parametrize(("declaration", "words"), [
    ("x[I] >= 0, <= 4", "`x` is continuous"),
    ("x[I] integer >= 0", "`x[1]` has no finite upper bound"),
    ("x[I] integer in [0, 1000]", "at most 256 values; `x[1]` has 1001"),
])
def test_models_it_cannot_sample_are_refused_by_name(declaration: str, words: str) -> None:
    model = optiform.loads(MODEL.format(declaration=declaration))
    with pytest.raises(BackendError, match="gflownet") as caught:
        model.solve("gflownet")
    assert words in str(caught.value)


def test_a_refusal_through_the_cli_exits_5(tmp_path: Path) -> None:
    path = tmp_path / "m.opt"
    path.write_text(MODEL.format(declaration="x[I] >= 0, <= 4"))
    result = runner.invoke(app, ["solve", str(path), "--backend", "gflownet"])
    assert result.exit_code == 5
    assert "variable `x` is continuous" in result.output


def test_an_infeasible_model_reports_its_least_violated_point() -> None:
    text = MODEL.format(declaration="x[I] binary").replace(">= 1", ">= 5")
    result = optiform.loads(text).solve("gflownet", iterations=10)
    assert not result.verified and result.exit_code == 6
    assert result.status != "optimal"
    assert "no feasible point" in result.solution.message


def test_a_lexicographic_order_is_refused() -> None:
    model = optiform.load(EXAMPLES / "biobjective_knapsack.opt")
    with pytest.raises(BackendError, match="lexicographic"):
        model.solve("gflownet", lexicographic=["usefulness", "comfort"])


def test_the_masks_never_cut_off_a_feasible_point() -> None:
    # Interval reasoning may only remove dead ends: every feasible packing (all of
    # them, enumerated) must have a finite probability under the masked policy.
    import torch

    from optiform.backends.gflownet.env import Env
    from optiform.backends.gflownet.train import Settings, Trainer

    problem = optiform.load(EXAMPLES / "knapsack.opt").compile()
    env = Env(problem, [{"total_value": 1.0}], torch.device("cpu"))
    trainer = Trainer(env, Settings(seed=0))
    points, _ = _knapsack_values()
    forced = torch.as_tensor(points, dtype=torch.long)
    w = trainer.preferences(len(points))
    trace: list = []
    with torch.no_grad():
        log_pf = trainer.log_pf(w, trainer.rollout(w, forced=forced, trace=trace), trace)
    assert bool(torch.all(log_pf > -1e8)), "a feasible packing was masked"
    infeasible = torch.ones((1, 14), dtype=torch.long)  # everything: far too heavy
    chosen = trainer.rollout(trainer.preferences(64))
    e = env.evaluate(trainer.x_of(chosen))
    assert bool(e.feasible.all()), "the masks let an overweight packing through"
    assert not bool(env.evaluate(trainer.x_of(infeasible)).feasible[0])


def test_a_time_limit_stops_training_and_answers_from_what_was_found() -> None:
    model = optiform.load(EXAMPLES / "knapsack.opt")
    result = model.solve("gflownet", iterations=100_000, time_limit=1.0)
    stats = result.solution.stats
    assert result.verified and stats["iterations"] < 100_000
    assert stats["seconds"] < 30  # stopped near the limit, not after 100,000 iterations


def test_sampler_options_without_the_sampler_are_a_usage_error() -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLES / "knapsack.opt"), "--samples", "5"])
    assert result.exit_code == 2
    assert "--backend gflownet" in result.output


def test_the_objective_field_is_what_each_value_would_do_to_the_objective() -> None:
    # The policy sees, for the next variable, how much each of its values (against the
    # middle of its range) changes the objective, the unassigned at their middles. For a
    # quadratic objective that is exact: compare with the compiled model's own values.
    import torch

    from optiform.backends.gflownet.env import Env

    problem = optiform.loads("""model field
sets
  I = {1, 2, 3, 4}
variables
  x[I] integer in [0, 3]
objective
  maximize f: 2 * x[1] * x[2] - x[3]^2 + x[1] * x[4] - 3 * x[3] * x[2] + 5 * x[4] - x[2]
""").compile()
    env = Env(problem, [{"f": 1.0}], torch.device("cpu"))
    s = env.start(1)
    for choice in [2, 0]:  # x[1] = 2, x[2] = 0; x[3] is next
        assert env.field(s).shape == (1, 4)
        s = env.step(s, torch.tensor([choice]))
    change = env.field(s)[0].double() * env.field_scale[0]
    x = torch.tensor([[2.0, 0.0, 1.5, 1.5]])  # x[4] unassigned: its middle
    middle = env.evaluate(x).objectives[0, 0]
    for v in range(4):
        x[0, 2] = v
        expected = env.evaluate(x).objectives[0, 0] - middle  # minimisation form
        assert float(change[v]) == pytest.approx(float(expected))
    assert float(change.abs().max()) > 1  # not all zero: the field sees x[3]'s terms


def test_order_preserving_training_learns_to_sample_better_than_random() -> None:
    # Trained on the order of the points of each batch alone (no reward exponent), the
    # policy's own samples close most of the gap between random packings and the optimum.
    import torch

    from optiform.backends.gflownet.env import Env
    from optiform.backends.gflownet.train import Settings, Trainer

    problem = optiform.load(EXAMPLES / "knapsack.opt").compile()
    env = Env(problem, [{"total_value": 1.0}], torch.device("cpu"))
    trainer = Trainer(env, Settings(iterations=60, seed=0, training="op"))
    w = trainer.preferences(512)
    random = env.evaluate(trainer.x_of(trainer.rollout(w, uniform=True)))
    trainer.fit()
    learned = env.evaluate(trainer.x_of(trainer.rollout(w)))
    optimum = 643  # in minimisation form below: -643
    random_mean = -float(random.objectives[random.feasible, 0].mean())
    learned_mean = -float(learned.objectives[learned.feasible, 0].mean())
    assert bool(learned.feasible.all())
    assert learned_mean > random_mean + 0.5 * (optimum - random_mean)


def test_the_order_puts_feasible_points_first_then_by_objective_or_dominance() -> None:
    import torch

    from optiform.backends.gflownet.env import Evaluation
    from optiform.backends.gflownet.train import better, order_loss

    # rows: feasible (1, 2), feasible (2, 1), feasible (2, 2), infeasible (0, 0) by 0.5,
    # infeasible (0, 0) by 2
    z = torch.tensor([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]],
                     dtype=torch.float64)
    violation = torch.tensor([0.0, 0.0, 0.0, 0.5, 2.0], dtype=torch.float64)
    e = Evaluation(z, violation, violation)
    pareto = better(e, pareto=True)
    assert pareto.tolist() == [[False, False, True, True, True],
                               [False, False, True, True, True],
                               [False, False, False, True, True],
                               [False, False, False, False, True],
                               [False, False, False, False, False]]
    single = better(Evaluation(z[:, :1], violation, violation), pareto=False)
    assert single[0].tolist() == [False, True, True, True, True]
    assert not bool(single[1, 2]) and not bool(single[2, 1])  # a tie
    # the loss falls as the learned log rewards follow the order
    ordered = torch.tensor([3.0, 3.0, 2.0, 1.0, 0.0])
    assert float(order_loss(ordered, pareto)) < float(order_loss(ordered.flip(0), pareto))


# 7 s: the full run's; the quick run trains order-preserving in the learning test
@pytest.mark.slow
def test_order_preserving_training_keeps_every_point_checked() -> None:
    points, values = _knapsack_values()
    result = optiform.load(EXAMPLES / "knapsack.opt").solve(
        "gflownet", samples=10, seed=0, training="op")
    assert result.solution.stats["training"] == "op"
    assert len(result.samples) == 10 and all(s.verified for s in result.samples)
    assert result.objective == values.max()
    expected = json.loads((EXAMPLES / "biobjective_knapsack.expected.json").read_text())
    front = optiform.load(EXAMPLES / "biobjective_knapsack.opt").pareto(
        20, "gflownet", seed=0, training="op")
    assert all(r.verified for r in front)
    got = sorted((r.objectives["usefulness"], r.objectives["comfort"]) for r in front)
    assert got == sorted(tuple(map(float, p)) for p in expected["pareto"])


def test_an_unknown_training_is_refused() -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLES / "knapsack.opt"), "--backend",
                                 "gflownet", "--training", "pg"])
    assert result.exit_code == 2 and "`pg` is not a training" in result.output
    with pytest.raises(BackendError, match="unknown training 'pg'"):
        optiform.load(EXAMPLES / "knapsack.opt").solve("gflownet", training="pg")


@pytest.mark.parametrize("training", ["tb", "op"])
def test_the_pareto_local_search_fills_in_a_front_the_policy_has_barely_learned(
        training: str) -> None:
    # After 3 iterations the policy's samples hold 4 of the 7 points of the exact front;
    # expanding the non-dominated points layer by layer finds the rest.
    import torch

    from optiform.backends.gflownet.env import Env
    from optiform.backends.gflownet.train import Settings, Trainer
    from optiform.pareto import non_dominated

    expected = json.loads((EXAMPLES / "biobjective_knapsack.expected.json").read_text())
    problem = optiform.load(EXAMPLES / "biobjective_knapsack.opt").compile()
    env = Env(problem, [{"usefulness": 1.0}, {"comfort": 1.0}], torch.device("cpu"))
    trainer = Trainer(env, Settings(iterations=3, seed=0, training=training))
    trainer.fit()

    def front() -> list[tuple[float, ...]]:
        _, z = trainer.archive.feasible()
        return sorted(tuple(p) for p in (-z[non_dominated(z, ["minimize"] * 2)]).tolist())

    assert len(front()) < 7
    before = env.evaluations
    trainer.expand(1000)
    assert env.evaluations - before <= 1000
    assert front() == sorted(tuple(map(float, p)) for p in expected["pareto"])


def test_the_cli_trains_by_order_when_asked() -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLES / "knapsack.opt"), "--backend",
                                 "gflownet", "--training", "op", "--iterations", "20",
                                 "--samples", "3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["backend"] == "gflownet" and out["check"]["feasible"]
    assert len(out["samples"]) == 3 and all(s["feasible"] for s in out["samples"])

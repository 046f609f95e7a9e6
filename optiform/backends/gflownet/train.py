"""Training and sampling of the GFlowNet: trajectory balance with a replay of the best.

Why a trainer of our own rather than torchgfn: with the variables assigned in
a fixed order the state graph is a tree, so the backward policy is 1 and
trajectory balance is one line, `(log Z + sum log P_F - log R)^2`; the
environment (masks from the model's linear rows) and the reward (the compiled
model, batched) are ours either way. torchgfn would add its abstractions and
about 125 MB of dependencies (it pins numpy < 2) for none of that. An adapter
can still be written against `Env` if someone needs its other losses.

The loop, per iteration: sample a batch from the policy (a little uniform
exploration over the allowed values), score it, keep every distinct point in
an archive, and train on the batch together with a replay of the best
feasible points found so far (teacher-forced, which a tree makes exact). The
reward is `exp(-score / T)`: the objective normalised by the spread of random
feasible samples, plus a penalty for violated rows; the temperature anneals
from 1 to `--temperature` over the first part of the run, so that the policy
covers the space before it concentrates on the best region. With `--training op`
(order-preserving, Chen and Mauch) there is no reward at all: the policy's own
log P_F is trained, pair by pair (or, for a front, listwise), to follow the
order of the batch's points, and the ratio between the best and the rest grows
as better points are found. At the end the
neighbourhoods of the best points are filled in, as in Local Search GFlowNets
(Kim et al., ICLR 2024): best first, every unseen single-variable move of the
best point not yet expanded is scored (a fifth more evaluations), then a greedy
local search makes sure the answer is a local optimum of single-variable moves.
Near a good point there are usually more, so this turns the policy's few
distinct good samples into many; a closing simulated annealing in its place
found half as many near-optimal cuts on the benchmark's max-cut. During
training, local search cost ten times the evaluations of sampling for no
better answers on the benchmark models (`benchmarks/gflownet.py`), so it is
kept to the end.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from optiform.backends.gflownet.env import Env, Evaluation
from optiform.verify import FEASIBILITY_TOL

WARM_UP = 256  # random feasible-leaning samples that fix the objectives' scale
ANNEAL = 0.6  # share of the iterations over which the temperature falls to its target
PENALTY = 10.0  # score added per unit of scaled violation (objective spreads)
INFEASIBLE = 2.0  # score added to any infeasible point
TCHEBYCHEFF_SUM = 0.05  # weight of the sum in the augmented Tchebycheff score


@dataclass(frozen=True)
class Settings:
    iterations: int = 200
    batch: int = 64
    replay: int = 32  # replayed points per iteration
    buffer: int = 256  # best distinct feasible points kept for replay
    temperature: float = 0.02
    explore: float = 0.05  # share of uniform choices among the allowed values
    hidden: int = 128
    learning_rate: float = 1e-3
    log_z_rate: float = 0.05
    polish: int = 2  # best points improved by local search at the end
    seed: int = 0
    deadline: float | None = None  # time.monotonic() past which training stops
    # past which the closing sampling, expansion and polish stop too: the time limit
    finish: float | None = None
    training: str = "tb"  # "tb": trajectory balance on exp(-score / T); "op": order-preserving


class Archive:
    """Every distinct point scored: choices, objectives (minimised), the summed and the
    worst violation, so that a point found once is never scored again (the replay
    draws its points, with their scores, from here).

    Rows live in arrays that double when full, so that asking for the feasible
    points each iteration costs a mask, not a restack.
    """

    def __init__(self, n: int, k: int) -> None:
        self.seen: set[bytes] = set()
        self.size = 0
        self.choices = np.zeros((64, n), dtype=np.int16)
        self.objectives = np.zeros((64, k))
        self.violation = np.zeros(64)
        self.worst = np.zeros(64)
        self.expanded = np.zeros(64, dtype=bool)  # its neighbours have been scored

    def add(self, choices: torch.Tensor, e: Evaluation) -> None:
        c = choices.cpu().numpy().astype(np.int16)
        new = np.nonzero(self.unseen(c))[0]
        if not len(new):
            return
        self.seen.update(c[i].tobytes() for i in new)
        end = self.size + len(new)
        if end > len(self.choices):
            grow = max(end, 2 * len(self.choices))
            for name in ("choices", "objectives", "violation", "worst", "expanded"):
                old = getattr(self, name)
                bigger = np.zeros((grow, *old.shape[1:]), dtype=old.dtype)
                bigger[:self.size] = old[:self.size]
                setattr(self, name, bigger)
        self.choices[self.size:end] = c[new]
        self.objectives[self.size:end] = e.objectives.cpu().numpy()[new]
        self.violation[self.size:end] = e.violation.cpu().numpy()[new]
        self.worst[self.size:end] = e.worst.cpu().numpy()[new]
        self.size = end

    def unseen(self, choices: np.ndarray) -> np.ndarray:
        """Which rows of `choices` are new to the archive, the first of repeats only."""
        batch: set[bytes] = set()
        new = np.zeros(len(choices), dtype=bool)
        for i, row in enumerate(choices.astype(np.int16)):
            key = row.tobytes()
            new[i] = key not in self.seen and key not in batch
            batch.add(key)
        return new

    def feasible_rows(self) -> np.ndarray:
        """The archive's rows of feasible points, by the test of `Evaluation.feasible`."""
        return np.nonzero(self.worst[:self.size] <= FEASIBILITY_TOL)[0]

    def feasible(self) -> tuple[np.ndarray, np.ndarray]:
        """The feasible points' choices (n_points, n) and objectives (n_points, k)."""
        rows = self.feasible_rows()
        return self.choices[rows], self.objectives[rows]

    def evaluation(self, rows: np.ndarray, device: torch.device) -> Evaluation:
        """The stored scores of some rows, as `Env.evaluate` gave them."""
        return Evaluation(torch.as_tensor(self.objectives[rows], device=device),
                          torch.as_tensor(self.violation[rows], device=device),
                          torch.as_tensor(self.worst[rows], device=device))

    def least_violated(self) -> int | None:
        return int(np.argmin(self.worst[:self.size])) if self.size else None

    def __len__(self) -> int:
        return self.size


class Policy(nn.Module):
    """P_F(value | partial assignment, preference) and log Z(preference).

    An MLP whose first layer sees the assigned values (scaled to [0, 1]), which
    variables are assigned, which one is next, and the step's own features (the
    rows' room, the objective's field) with the preference. That layer is linear,
    so its part for the assignment so far is a running sum with one term per
    assigned variable (`term`): a step costs O(hidden) instead of O(n * hidden),
    and a trajectory O(n) instead of O(n^2), which is what lets models of a
    thousand variables train.
    """

    def __init__(self, n: int, features: int, values: int, preferences: int,
                 hidden: int) -> None:
        super().__init__()
        # the first layer's weights, initialised as nn.Linear would one layer over them all
        bound = 1.0 / math.sqrt(3 * n + features + preferences)
        self.value_in = nn.Parameter(torch.empty(n, hidden).uniform_(-bound, bound))
        self.assigned_in = nn.Parameter(torch.empty(n, hidden).uniform_(-bound, bound))
        self.next_in = nn.Parameter(torch.empty(n, hidden).uniform_(-bound, bound))
        self.step_in = nn.Linear(features + preferences, hidden)
        nn.init.uniform_(self.step_in.weight, -bound, bound)
        nn.init.uniform_(self.step_in.bias, -bound, bound)
        self.head = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                  nn.Linear(hidden, values))
        self.log_z = nn.Sequential(nn.Linear(max(preferences, 1), 32), nn.GELU(),
                                   nn.Linear(32, 1))
        self.preferences = preferences

    def term(self, t: int, scaled: torch.Tensor) -> torch.Tensor:
        """Variable t's share of the first layer once it holds `scaled` (batch,)."""
        return scaled[:, None] * self.value_in[t] + self.assigned_in[t]

    def logits(self, prefix: torch.Tensor, t: int | slice, features: torch.Tensor,
               w: torch.Tensor) -> torch.Tensor:
        """Logits per value of variable t (or of each step, over a slice), from the sum
        of the assigned variables' terms (`prefix`) and the step's features."""
        if self.preferences:
            features = torch.cat([features, w], dim=-1)
        return self.head(prefix + self.next_in[t] + self.step_in(features))

    def network_parameters(self) -> list[nn.Parameter]:
        """Everything but log Z's network, which learns at a rate of its own."""
        return [p for name, p in self.named_parameters() if not name.startswith("log_z")]

    def log_partition(self, w: torch.Tensor) -> torch.Tensor:
        inputs = w if self.preferences else w.new_ones((w.shape[0], 1))
        return self.log_z(inputs)[:, 0]


class Trainer:
    """One training run on one environment; `fit` then `sample` or the archive."""

    def __init__(self, env: Env, settings: Settings,
                 progress: Callable[[str], None] | None = None) -> None:
        self.env, self.settings, self.progress = env, settings, progress
        self.k = len(env.columns)
        self.multi = self.k > 1
        # order-preserving training on several objectives learns the Pareto order itself:
        # no preference to condition on
        self.conditioned = self.multi and settings.training == "tb"
        torch.manual_seed(settings.seed)
        self.generator = torch.Generator(device=env.device).manual_seed(settings.seed)
        self.policy = Policy(env.n, env.n_features, env.n_values,
                             self.k if self.conditioned else 0,
                             settings.hidden).to(env.device)
        self.optimizer = torch.optim.Adam([
            {"params": self.policy.network_parameters(),
             "lr": settings.learning_rate},
            {"params": self.policy.log_z.parameters(), "lr": settings.log_z_rate}])
        self.archive = Archive(env.n, self.k)
        self.reference = torch.zeros(self.k, dtype=torch.float64, device=env.device)
        self.scale = torch.ones(self.k, dtype=torch.float64, device=env.device)
        self.iterations = 0
        self.losses: list[float] = []
        self.stopped = ""

    # ---- trajectories ----------------------------------------------------------------------
    def preferences(self, batch: int) -> torch.Tensor:
        if not self.conditioned:
            return torch.ones((batch, 1), dtype=torch.float32, device=self.env.device)
        g = torch.distributions.Dirichlet(torch.ones(self.k, device=self.env.device))
        return g.sample((batch,)).float()

    def rollout(self, w: torch.Tensor, forced: torch.Tensor | None = None,
                explore: float = 0.0, uniform: bool = False,
                trace: list[tuple[torch.Tensor, torch.Tensor]] | None = None
                ) -> torch.Tensor:
        """Choices (batch, n): sampled for the first rows, the rows of `forced`
        (replayed points) taken as given at the end. With `trace`, each step's features
        and allowed values are appended to it, for `log_pf`."""
        env, batch = self.env, w.shape[0]
        free = batch - (forced.shape[0] if forced is not None else 0)
        s = env.start(batch)
        chosen = torch.zeros((batch, env.n), dtype=torch.long, device=env.device)
        prefix = torch.zeros((free, self.settings.hidden), device=env.device)
        with torch.no_grad():
            for t in range(env.n):
                allowed, _ = env.mask(s)
                if uniform:
                    choice = torch.multinomial(allowed.float(), 1,
                                               generator=self.generator)[:, 0]
                else:
                    features = env.features(s)
                    if trace is not None:
                        trace.append((features, allowed))
                    choice = self._draw(self.policy.logits(
                        prefix, t, features[:free], w[:free]), allowed[:free], explore)
                    prefix = prefix + self.policy.term(t, self._scaled(t, choice))
                    if forced is not None:
                        choice = torch.cat([choice, forced[:, t]])
                chosen[:, t] = choice
                s = env.step(s, choice)
        return chosen

    def _scaled(self, t: int | slice, choice: torch.Tensor) -> torch.Tensor:
        """Value numbers as the policy sees them: scaled to [0, 1] over the range."""
        return choice.float() / self.env.span[t].float()

    def _draw(self, logits: torch.Tensor, allowed: torch.Tensor,
              explore: float) -> torch.Tensor:
        """One value per row from the policy, `explore` of the mass spread uniformly
        over the allowed values."""
        if not logits.shape[0]:
            return torch.zeros(0, dtype=torch.long, device=self.env.device)
        p = torch.softmax(logits.masked_fill(~allowed, -1e9), dim=1)
        if explore:
            p = (1 - explore) * p + explore * allowed.float() / allowed.sum(dim=1, keepdim=True)
        return torch.multinomial(p, 1, generator=self.generator)[:, 0]

    def log_pf(self, w: torch.Tensor, chosen: torch.Tensor,
               trace: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """Each trajectory's summed log P_F (batch,), from one pass of the network over
        every step of every trajectory together: one large call instead of one per
        variable, for the forward pass and, in training, for the backward one. Empties
        `trace`, so that its steps are not held twice."""
        n = chosen.shape[1]
        features = torch.stack([f for f, _ in trace], dim=1)  # (batch, n, features)
        allowed = torch.stack([a for _, a in trace], dim=1)
        trace.clear()
        scaled = self._scaled(slice(None), chosen)
        terms = scaled[:, :, None] * self.policy.value_in + self.policy.assigned_in
        prefix = torch.cumsum(terms, dim=1) - terms  # the variables before each step
        logits = self.policy.logits(prefix, slice(None), features,
                                    w[:, None, :].expand(-1, n, -1))
        logp = torch.log_softmax(logits.masked_fill(~allowed, -1e9), dim=2)
        return logp.gather(2, chosen[:, :, None])[:, :, 0].sum(dim=1)

    def x_of(self, choices: torch.Tensor) -> torch.Tensor:
        return torch.gather(self.env.values, 1, choices.T).T

    # ---- reward ----------------------------------------------------------------------------
    def score(self, e: Evaluation, w: torch.Tensor) -> torch.Tensor:
        """What the reward is exp(-score / T) of: low is good."""
        z = (e.objectives - self.reference) / self.scale
        if self.multi:
            wz = w.double() * z
            s = wz.amax(dim=1) + TCHEBYCHEFF_SUM * z.sum(dim=1)
        else:
            s = z[:, 0]
        s = s + PENALTY * torch.clamp(e.violation, max=1e6) + INFEASIBLE * (~e.feasible)
        return torch.clamp(torch.nan_to_num(s, nan=1e6, posinf=1e6), -1e6, 1e6)

    def temperature(self) -> float:
        target = self.settings.temperature
        share = min(1.0, self.iterations / max(1.0, ANNEAL * self.settings.iterations))
        start = max(1.0, target)
        return float(start * (target / start) ** share)

    # ---- training --------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Random masked samples: the archive's first points and the objectives' scale."""
        w = self.preferences(WARM_UP)
        choices = self.rollout(w, uniform=True)
        e = self.env.evaluate(self.x_of(choices))
        self.archive.add(choices, e)
        good = e.feasible if bool(e.feasible.any()) else torch.ones_like(e.feasible)
        obj = e.objectives[good]
        finite = torch.isfinite(obj).all(dim=1)
        dev = self.env.device
        obj = obj[finite] if bool(finite.any()) else torch.zeros(
            (1, self.k), dtype=torch.float64, device=dev)
        self.reference = obj.amin(dim=0)
        spread = obj.std(dim=0) if obj.shape[0] > 1 else torch.zeros(
            self.k, dtype=torch.float64, device=dev)
        fallback = torch.clamp(self.reference.abs(), min=1.0)
        self.scale = torch.where(spread > 1e-12, spread, fallback)

    def fit(self) -> None:
        s = self.settings
        self.warm_up()
        while self.iterations < s.iterations:
            if s.deadline is not None and time.monotonic() > s.deadline:
                self.stopped = "time_limit"
                break
            self.step()
            self.iterations += 1
            if self.progress is not None:
                best = self.best_value()
                self.progress(f"gflownet: iteration {self.iterations}/{s.iterations}, loss "
                              f"{self.losses[-1]:.3g}, best {best}, "
                              f"{self.distinct_feasible()} distinct feasible")

    def step(self) -> None:
        """Sample a batch, score it, and take one trajectory-balance step on the batch
        and a replay of the best points so far."""
        s, env = self.settings, self.env
        explore = s.explore * (1.0 - 0.8 * min(1.0, self.iterations / max(1, s.iterations)))
        rows = self.replay_rows()
        replay = None if rows is None else torch.as_tensor(
            self.archive.choices[rows].astype(np.int64), device=env.device)
        w = self.preferences(s.batch + (len(rows) if rows is not None else 0))
        trace: list[tuple[torch.Tensor, torch.Tensor]] = []
        choices = self.rollout(w, forced=replay, explore=explore, trace=trace)
        log_pf = self.log_pf(w, choices, trace)
        fresh = choices[:s.batch]
        e = env.evaluate(self.x_of(fresh))
        self.archive.add(fresh, e)
        if rows is not None:  # scored when found: only their preferences are new
            e = _joined(e, self.archive.evaluation(rows, env.device))
        usable = torch.isfinite(log_pf) & (log_pf > -1e8)
        if s.training == "op":
            before = better(_subset(e, usable), self.multi)
            loss = (front_loss(log_pf[usable], before) if self.multi
                    else order_loss(log_pf[usable], before))
        else:
            log_r = (-self.score(e, w) / self.temperature()).float()
            loss = ((self.policy.log_partition(w) + log_pf - log_r)[usable] ** 2).mean()
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.policy.parameters(), 10.0)
        self.optimizer.step()
        self.losses.append(float(loss.detach()))

    def replay_rows(self) -> np.ndarray | None:
        """The archive's rows of some of the best distinct feasible points so far (for
        several objectives: the best by a random preference each), drawn without
        replacement."""
        s = self.settings
        feasible = self.archive.feasible_rows()
        if not len(feasible) or not s.replay:
            return None
        objectives = self.archive.objectives[feasible]
        z = (objectives - self.reference.cpu().numpy()) / self.scale.cpu().numpy()
        if self.multi:
            rng = np.random.default_rng(s.seed + self.iterations)
            w = rng.dirichlet(np.ones(self.k), size=4)
            ranks = np.min(np.argsort(np.argsort(
                (w[:, None, :] * z[None]).max(axis=2), axis=1), axis=1), axis=0)
        else:
            ranks = np.argsort(np.argsort(z[:, 0]))
        pool = np.nonzero(ranks < s.buffer)[0]
        rng = np.random.default_rng(s.seed * 7919 + self.iterations)
        picked = rng.choice(pool, size=min(s.replay, len(pool)), replace=False)
        return feasible[picked]

    def polish(self) -> None:
        """The best feasible points improved by local search, into the archive."""
        choices, objectives = self.archive.feasible()
        if not len(choices) or not self.settings.polish or self.multi:
            return  # a front's points are each best for some preference: nothing to polish
        best = np.argsort(objectives[:, 0], kind="stable")[:self.settings.polish]
        c = torch.as_tensor(choices[best].astype(np.int64), device=self.env.device)
        w = self.preferences(len(c))
        self.improve(c, self.env.evaluate(self.x_of(c)), w, len(c))

    def neighbours(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Every one-variable move (-1, then +1) of each point: (points, 2n, n) value
        numbers, and which of the flattened moves stay within the bounds."""
        n = self.env.n
        idx = torch.arange(n, device=points.device)
        moves = []
        for delta in (-1, 1):
            moved = points[:, None, :].repeat(1, n, 1)
            moved[:, idx, idx] += delta
            moves.append(moved)
        cand = torch.cat(moves, dim=1)
        inside = ((cand >= 0) & (cand < self.env.sizes[None, None, :])).all(dim=2)
        return cand, inside.reshape(-1)

    def expand(self, evaluations: int) -> None:
        """Best first, the unseen one-variable moves (+-1) of the best feasible points
        not yet expanded are scored into the archive, until `evaluations` are spent.

        Near a good point there are usually more good points: this fills in the
        neighbourhoods of the best the policy found, with every evaluation spent on a
        point never scored before. The best point is expanded first, and a better
        neighbour becomes the next best, so the search also climbs: once done, the
        best point is a local optimum of single-variable moves, if the budget allowed.
        With several objectives the best are the non-dominated points among those not
        yet expanded (a Pareto local search, layer by layer): a neighbour that joins
        them is expanded in turn, so the front's gaps between the policy's samples
        are filled in, two or more moves away where one does not reach."""
        archive, n = self.archive, self.env.n
        per_round = max(1, 256 // max(1, 2 * n))
        front = np.zeros(0, dtype=np.int64)
        spent = 0
        while spent < evaluations and not self.late():
            todo = front[~archive.expanded[front]]
            if not len(todo):
                rows = archive.feasible_rows()
                rows = rows[~archive.expanded[rows]]
                if not len(rows):
                    return
                front = self._front(rows) if self.multi else rows
                continue
            best = todo[np.argsort(archive.objectives[todo, 0], kind="stable")[:per_round]]
            archive.expanded[best] = True
            first = archive.size
            spent += self._score_moves(best, evaluations - spent)
            new = np.arange(first, archive.size)
            new = new[archive.worst[new] <= FEASIBILITY_TOL]
            front = np.concatenate([todo, new])
            if self.multi:
                front = self._front(front)

    def _front(self, rows: np.ndarray) -> np.ndarray:
        """The archive rows among `rows` whose objectives no other's dominate."""
        from optiform.pareto import non_dominated

        z = self.archive.objectives[rows]
        rows = rows[np.isfinite(z).all(axis=1)]
        return rows[non_dominated(self.archive.objectives[rows], ["minimize"] * self.k)]

    def _score_moves(self, rows: np.ndarray, budget: int) -> int:
        """Scores up to `budget` unseen one-variable moves of the archive's `rows` into
        it; returns how many were scored."""
        env, archive = self.env, self.archive
        cand, inside = self.neighbours(torch.as_tensor(
            archive.choices[rows].astype(np.int64), device=env.device))
        moves = cand.reshape(-1, env.n)[inside].cpu().numpy()
        moves = moves[archive.unseen(moves)][:budget]
        if len(moves):
            c = torch.as_tensor(moves, device=env.device)
            archive.add(c, env.evaluate(self.x_of(c)))
        return len(moves)

    def improve(self, choices: torch.Tensor, e: Evaluation, w: torch.Tensor,
                count: int) -> None:
        """A greedy local search from the best `count` points, into the archive: each
        round scores every one-variable move (+-1) of each point at once and takes the
        best improving one, until none improves."""
        count = min(count, choices.shape[0])
        env = self.env
        score = self.score(e, w)[:choices.shape[0]]
        best = torch.argsort(score)[:count]
        current, cur_w, cur_score = choices[best].clone(), w[best], score[best]
        feasible = e.feasible[best]
        n = env.n
        rows = torch.arange(count, device=env.device)
        for _ in range(n):
            if self.late():
                break
            cand, inside = self.neighbours(current)
            moved_to = cand.reshape(-1, n)[inside]  # only moves within the bounds are scored
            ce = env.evaluate(self.x_of(moved_to))
            self.archive.add(moved_to, ce)  # every point scored is a point found
            owner = torch.arange(count, device=env.device).repeat_interleave(2 * n)[inside]
            cs = torch.full((count * 2 * n,), math.inf, dtype=torch.float64,
                            device=env.device)
            ok = torch.zeros(count * 2 * n, dtype=torch.bool, device=env.device)
            ok[inside] = ce.feasible
            # from a feasible point, only to feasible ones: the replay keeps those
            cs[inside] = torch.where(ce.feasible | ~feasible[owner],
                                     self.score(ce, cur_w[owner]), math.inf)
            step_score, step = cs.reshape(count, 2 * n).min(dim=1)
            better = step_score < cur_score - 1e-12
            if not bool(better.any()):
                break
            current[better] = cand[rows[better], step[better]]
            cur_score = torch.where(better, step_score, cur_score)
            feasible = feasible | (better & ok.reshape(count, 2 * n)[rows, step])

    def late(self) -> bool:
        """Past the time limit: the closing steps keep what they found and stop."""
        return self.settings.finish is not None and time.monotonic() > self.settings.finish

    # ---- answers ---------------------------------------------------------------------------
    def sample(self, count: int, w: torch.Tensor | None = None) -> None:
        """Fresh samples from the trained policy, into the archive."""
        w = self.preferences(count) if w is None else w
        choices = self.rollout(w)
        self.archive.add(choices, self.env.evaluate(self.x_of(choices)))

    def distinct_feasible(self) -> int:
        return len(self.archive.feasible()[0])

    def best_value(self) -> str:
        _, objectives = self.archive.feasible()
        if not len(objectives):
            return "-"
        if self.multi:
            return "(" + ", ".join(f"{v:.6g}" for v in objectives.min(axis=0)) + ")"
        return f"{objectives[:, 0].min():.8g}"


def better(e: Evaluation, pareto: bool) -> torch.Tensor:
    """(batch, batch): whether point i comes strictly before point j. Feasible points
    come before infeasible ones, which are ordered by their violation; feasible ones by
    the objective or, with several, by Pareto dominance (a partial order)."""
    f = e.feasible
    both = f[:, None] & f[None, :]
    z = torch.nan_to_num(e.objectives, nan=math.inf)
    tol = 1e-9 * torch.clamp(z.abs(), min=1.0)
    le = (z[:, None, :] <= z[None, :, :] + tol[None, :, :]).all(dim=2)
    lt = (z[:, None, :] < z[None, :, :] - tol[None, :, :]).any(dim=2)
    by_objective = le & lt if pareto else lt
    v = e.violation
    by_violation = ~f[:, None] & ~f[None, :] & (v[:, None] < v[None, :] * (1 - 1e-9))
    return (f[:, None] & ~f[None, :]) | (both & by_objective) | by_violation


def order_loss(log_r: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
    """The pairwise order-preserving loss (Chen and Mauch, ICLR 2024): for every pair of
    the batch, the cross-entropy between the pair's softmax of learned log rewards and
    the target that puts all its mass on the better point, or half on each where
    neither is better (a tie, or incomparable under dominance). On a tree the learned
    log reward is log Z + log P_F(x), and log Z cancels within a pair."""
    b = log_r.shape[0]
    if b < 2:
        return log_r.sum() * 0.0
    i, j = torch.triu_indices(b, b, offset=1, device=log_r.device)
    target = torch.where(before[i, j], 1.0, torch.where(before[j, i], 0.0, 0.5))
    return nn.functional.binary_cross_entropy_with_logits(log_r[i] - log_r[j], target)


def front_loss(log_r: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
    """The listwise order-preserving loss for a partial order: the cross-entropy between
    the batch's softmax of learned log rewards and the uniform distribution over the
    batch's maximal points (those no other point of it comes before: its local front).
    Pairs alone teach little under dominance, where most pairs are incomparable ties
    (on the benchmark's 30-item bi-objective knapsack, pairs and random subsets of 8
    found no point of the exact front; the whole batch, 5 of 28)."""
    maximal = ~before.any(dim=0)
    target = maximal.float() / maximal.sum().clamp(min=1)
    return -(target * torch.log_softmax(log_r, dim=0)).sum()


def _subset(e: Evaluation, rows: torch.Tensor) -> Evaluation:
    return Evaluation(e.objectives[rows], e.violation[rows], e.worst[rows])


def _joined(a: Evaluation, b: Evaluation) -> Evaluation:
    return Evaluation(torch.cat([a.objectives, b.objectives]),
                      torch.cat([a.violation, b.violation]), torch.cat([a.worst, b.worst]))

"""The augmented Lagrangian method over a batch of starts, in torch.

Minimise f(x) subject to h(x) = 0, g(x) <= 0 and l <= x <= u, for every
start of a batch at once. Each outer round minimises the PHR augmented
Lagrangian

    f(x) + sum_i lam_i h_i + rho_i/2 h_i^2 + sum_j (max(0, mu_j + rho_j g_j)^2 - mu_j^2) / (2 rho_j)

over the box, then updates the multipliers (lam += rho h, mu = max(0, mu + rho g)) and
multiplies the penalty of every row whose violation did not shrink enough by
ten (Conn, Gould and Toint; Birgin and Martinez, ALGENCAN). Penalties are
per start and per row, so a row that the independent checker rejects can
have its own raised (`raise_penalties`).

Bounds are not rows: the inner minimisers keep them exactly by projection
(`minimizers.py`), so every point evaluated or returned lies in the box.

The starts share nothing but the kernels: every tensor has the starts as its
leading dimension, and one call of the inner minimiser moves them all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from optiform.backends.torch.compile import Program
from optiform.backends.torch.minimizers import minimise

Fn = Callable[[torch.Tensor], torch.Tensor]

RHO_START = 10.0
RHO_MAX = 1e10
RHO_GROWTH = 10.0
MAX_ROUNDS = 100  # outer rounds of one run (ALGENCAN's default limit is 100 as well)
RESPAWNS = 2  # times a stalled, infeasible start is drawn again
STALL_ROUNDS = 8  # rounds without progress after which an infeasible start is given up
STEADY = 1e-8  # relative change of the objective over a round at which a start has converged
SHRINK = 0.25  # a row's violation must fall to this fraction each round, or its penalty grows
# Rounds the other starts are given once one has converged: on HS40, 13 of 16 starts
# converged in 10 rounds while three stragglers (one diverging) kept the batch going for
# 60 s and 75 rounds, to no better point.
PATIENCE = 10


@dataclass
class Rows:
    """Constraint rows as scaled equalities h and one-sided inequalities g <= 0.

    Scaling by the checker's `max(1, |bound|)` makes the internal violation the
    same number that `optiform.verify` compares with its tolerance.
    """

    eq: torch.Tensor  # positions in the program's rows
    eq_target: torch.Tensor
    eq_scale: torch.Tensor
    lo: torch.Tensor
    lo_target: torch.Tensor
    lo_scale: torch.Tensor
    hi: torch.Tensor
    hi_target: torch.Tensor
    hi_scale: torch.Tensor

    @staticmethod
    def of(program: Program) -> Rows:
        lower, upper = program.bounds()
        s_lo, s_hi = program.scales()
        equal = np.isfinite(lower) & (lower == upper)
        has_lo = np.isfinite(lower) & ~equal
        has_hi = np.isfinite(upper) & ~equal

        def t(a: np.ndarray, integer: bool = False) -> torch.Tensor:
            if integer:
                return torch.as_tensor(np.nonzero(a)[0], device=program.device)
            return torch.as_tensor(a, dtype=program.dtype, device=program.device)
        return Rows(t(equal, True), t(lower[equal]), t(s_lo[equal]),
                    t(has_lo, True), t(lower[has_lo]), t(s_lo[has_lo]),
                    t(has_hi, True), t(upper[has_hi]), t(s_hi[has_hi]))

    @property
    def m_eq(self) -> int:
        return int(self.eq.numel())

    @property
    def m_in(self) -> int:
        return int(self.lo.numel() + self.hi.numel())

    def residuals(self, body: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(h, g) at a batch of row bodies: h = 0 and g <= 0 when feasible."""
        h = (body.index_select(1, self.eq) - self.eq_target) / self.eq_scale
        g = torch.cat([(self.lo_target - body.index_select(1, self.lo)) / self.lo_scale,
                       (body.index_select(1, self.hi) - self.hi_target) / self.hi_scale],
                      dim=1)
        return h, g

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in h and in g of some of the program's rows."""
        eq = self.eq.cpu().numpy()
        ineq = torch.cat([self.lo, self.hi]).cpu().numpy()
        return np.nonzero(np.isin(eq, rows))[0], np.nonzero(np.isin(ineq, rows))[0]


def violation(h: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """The largest scaled violation of each start: (batch,)."""
    worst = h.new_zeros(h.shape[0])
    if h.shape[1]:
        worst = torch.maximum(worst, h.abs().amax(dim=1))
    if g.shape[1]:
        worst = torch.maximum(worst, g.clamp(min=0).amax(dim=1))
    return worst


@dataclass
class Budget:
    """Inner iterations and seconds left to a solve; both shared by all its searches."""

    iterations: int
    deadline: float | None = None

    def spend(self, n: int) -> None:
        self.iterations -= n

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    @property
    def exhausted(self) -> bool:
        return self.iterations <= 0 or self.out_of_time()


Progress = Callable[[int, float, float], None]  # iterations, best objective, max violation


class Search:
    """The augmented Lagrangian state of a batch of starts, and its outer loop.

    `lower` and `upper` are per start (batch, n), so the integer repair can fix
    different integer columns in different starts of one batch.
    """

    def __init__(self, program: Program, objective: Fn, x0: torch.Tensor,
                 lower: torch.Tensor, upper: torch.Tensor, tolerance: float,
                 optimizer: str = "lbfgs",
                 spread: tuple[torch.Tensor, torch.Tensor] | None = None,
                 seed: int = 0) -> None:
        self.program, self.objective, self.rows = program, objective, Rows.of(program)
        self.lower, self.upper = lower, upper
        # Where a stalled start is drawn again (a finite box), with its multipliers kept.
        self.spread = spread
        self.generator = torch.Generator(device=x0.device).manual_seed(seed)
        self.respawns = torch.full((x0.shape[0],), RESPAWNS, device=x0.device)
        self.tolerance = tolerance
        self.optimizer = optimizer
        b = x0.shape[0]
        self.x = torch.minimum(torch.maximum(x0, lower), upper)
        zeros = x0.new_zeros
        self.lam, self.mu = zeros((b, self.rows.m_eq)), zeros((b, self.rows.m_in))
        self.rho_eq = x0.new_full((b, self.rows.m_eq), RHO_START)
        self.rho_in = x0.new_full((b, self.rows.m_in), RHO_START)
        self.active = torch.ones(b, dtype=torch.bool, device=x0.device)
        self.done = torch.zeros(b, dtype=torch.bool, device=x0.device)
        self.converged = torch.zeros(b, dtype=torch.bool, device=x0.device)
        self.stuck = torch.zeros(b, dtype=torch.int64, device=x0.device)
        self.iterations = 0
        self.rounds = 0
        with torch.no_grad():
            self.f_scale = self._objective_scale()
            f, v = self.measure()
        self.last_f, self.last_v = f, v
        self.last_eq, self.last_in = self._row_violations()

    # ---- measures ---------------------------------------------------------------------
    def point(self) -> torch.Tensor:
        return self.x

    def measure(self, x: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Objective and largest scaled violation of each start."""
        with torch.no_grad():
            x = self.point() if x is None else x
            h, g = self.rows.residuals(self.program.body(x))
            return self.objective(x), violation(h, g)

    def _row_violations(self) -> tuple[torch.Tensor, torch.Tensor]:
        """|h| and the complementarity-aware violation of g (ALGENCAN's V)."""
        with torch.no_grad():
            h, g = self.rows.residuals(self.program.body(self.point()))
            return h.abs(), torch.maximum(g, -self.mu / self.rho_in).abs()

    def _objective_scale(self) -> torch.Tensor:
        """1 / max(1, |grad f|_inf / 100) at the first start, as Ipopt scales objectives.

        One scale for every start: a start far out (where a sixth power is
        huge) would otherwise shrink its objective to nothing beside the
        penalties.
        """
        x = self.point()[:1].clone().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self.objective(x).sum(), x, allow_unused=True)
        ones = self.x.new_ones(self.x.shape[0])
        if grad is None or grad.numel() == 0:
            return ones
        big = float(torch.nan_to_num(grad.abs(), nan=0.0, posinf=1e8).max())
        return ones / max(1.0, big / 100.0)

    # ---- the inner problem ------------------------------------------------------------
    def lagrangian(self, x: torch.Tensor) -> torch.Tensor:
        """The augmented Lagrangian of each start at x: (batch,)."""
        h, g = self.rows.residuals(self.program.body(x))
        value = self.f_scale * self.objective(x)
        value = value + (self.lam * h + 0.5 * self.rho_eq * h * h).sum(dim=1)
        shifted = torch.clamp(self.mu + self.rho_in * g, min=0)
        value = value + ((shifted * shifted - self.mu * self.mu) / (2 * self.rho_in)).sum(dim=1)
        return value

    def _inner(self, budget: Budget, limit: int, progress: Progress | None = None) -> None:
        """Minimise the current Lagrangian from where the starts are."""
        ticks = 0

        def stop() -> bool:
            nonlocal ticks
            ticks += 1
            if progress is not None and ticks % 10 == 0:
                self._report(progress, self.iterations + ticks)
            return budget.out_of_time()
        x, n = minimise(self.optimizer, self.lagrangian, self.x, self.lower, self.upper,
                        self.active.clone(), min(limit, budget.iterations), stop)
        with torch.no_grad():
            broken = ~torch.isfinite(self.lagrangian(x))
            # A start that left the region where the model is defined stays put.
            self.x = torch.where(broken[:, None], self.x, x)
            self.active &= ~broken
        budget.spend(n)
        self.iterations += n

    # ---- the outer loop ---------------------------------------------------------------
    def run(self, budget: Budget, progress: Progress | None = None,
            inner_limit: int = 200) -> None:
        """Outer rounds until every start has converged or stalled, or the budget ends.

        A degenerate problem (no multipliers at the solution, as in HS13) never
        settles; MAX_ROUNDS ends it with the point reached. Once one start has
        converged, the others have PATIENCE rounds more. Without variables
        there is nothing to move: the point is what it is.
        """
        if self.x.shape[1] == 0:
            return
        settled: int | None = None  # the round at which a start first converged
        for _ in range(MAX_ROUNDS):
            if budget.exhausted or not bool((self.active & ~self.done).any()):
                break
            if settled is not None and self.rounds - settled >= PATIENCE:
                break
            self._inner(budget, inner_limit, progress)
            self.rounds += 1
            self._update()
            if settled is None and bool((self.converged & self.active).any()):
                settled = self.rounds
            if progress is not None:
                self._report(progress, self.iterations)

    def _report(self, progress: Progress, iterations: int) -> None:
        """The best feasible objective and least violation as of the last round."""
        f, v = self.last_f, self.last_v
        feasible = v <= self.tolerance
        best = float(f[feasible].min()) if bool(feasible.any()) else math.nan
        progress(iterations, best, float(v.min()))

    def _update(self) -> None:
        """PHR multiplier steps, per-row penalty growth, and convergence per start."""
        with torch.no_grad():
            x = self.point()
            h, g = self.rows.residuals(self.program.body(x))
            f = self.objective(x)
            v = violation(h, g)
            v_eq = h.abs()
            v_in = torch.maximum(g, -self.mu / self.rho_in).abs()
            self.lam = torch.clamp(self.lam + self.rho_eq * h, -1e12, 1e12)
            self.mu = torch.clamp(self.mu + self.rho_in * g, 0, 1e12)
            # A row that is violated and did not shrink enough gets a heavier penalty.
            target = self.tolerance / 10
            grow_eq = (v_eq > target) & (v_eq > SHRINK * self.last_eq)
            grow_in = (v_in > target) & (v_in > SHRINK * self.last_in)
            self.rho_eq = torch.where(grow_eq, torch.clamp(self.rho_eq * RHO_GROWTH,
                                                           max=RHO_MAX), self.rho_eq)
            self.rho_in = torch.where(grow_in, torch.clamp(self.rho_in * RHO_GROWTH,
                                                           max=RHO_MAX), self.rho_in)
            complementarity = v_in.amax(dim=1) if v_in.shape[1] else v.new_zeros(v.shape)
            steady = (f - self.last_f).abs() <= STEADY * torch.clamp(f.abs(), min=1.0)
            # Infeasible and no longer improving: a local minimiser of the violation.
            self.stuck = torch.where((v > target) & (v >= 0.9 * self.last_v),
                                     self.stuck + 1, torch.zeros_like(self.stuck))
            stalled = self.stuck >= STALL_ROUNDS
            stalled &= ~self._respawn(stalled)
            self.converged = (v <= target) & (complementarity <= target) & steady
            self.done = self.converged | stalled
            self.last_f, self.last_v = f, v
            self.last_eq, self.last_in = v_eq, v_in

    def _respawn(self, stalled: torch.Tensor) -> torch.Tensor:
        """Draw stalled starts again in the spread box, keeping their multipliers and
        penalties: a start stuck where a constraint's gradient vanishes (x^1.5 at 0)
        then meets that constraint from elsewhere, already weighted."""
        again = stalled & (self.respawns > 0)
        if self.spread is None or not bool(again.any()):
            return torch.zeros_like(stalled)
        lo, hi = self.spread
        unit = torch.rand(self.x.shape, generator=self.generator, device=self.x.device,
                          dtype=self.x.dtype)
        fresh = torch.minimum(torch.maximum(lo + unit * (hi - lo), self.lower), self.upper)
        self.x = torch.where(again[:, None], fresh, self.x)
        self.respawns -= again.long()
        self.stuck = torch.where(again, torch.zeros_like(self.stuck), self.stuck)
        return again

    def raise_penalties(self, eq: np.ndarray, ineq: np.ndarray) -> None:
        """Heavier penalties on rows the checker rejected, in every start; go on."""
        with torch.no_grad():
            if len(eq):
                i = torch.as_tensor(eq, device=self.x.device)
                self.rho_eq[:, i] = torch.clamp(self.rho_eq[:, i] * 100, max=RHO_MAX)
            if len(ineq):
                i = torch.as_tensor(ineq, device=self.x.device)
                self.rho_in[:, i] = torch.clamp(self.rho_in[:, i] * 100, max=RHO_MAX)
            self.done[:] = False
            self.stuck[:] = 0
            self.active[:] = True

"""Inner minimisers over a box for a batch of independent problems, one per start.

Each minimises `fn(x) -> (batch,)` over lower <= x <= upper (batch, n), where
row b of the output depends on row b of x only. Bounds are kept exactly by
projection: every point evaluated lies in the box, so a function defined
only inside it (a log over x >= 0.001) is safe. `lbfgs`, the default, is L-BFGS with its
own curvature history and its own Armijo backtracking step for every start,
all vectorised: one start's bad scaling or failed line search does not slow
the others, which is what happens when `torch.optim.LBFGS` minimises the sum
of the starts (one step length and one curvature history for all of them;
`torch-lbfgs` keeps that behaviour for comparison, see docs/TORCH.md).
`adam` and `lion` take fixed-length projected steps, for functions too rough
for a line search.

The bounds in L-BFGS follow the projected quasi-Newton method (Bertsekas
1982; Schmidt's minConf_TMP): a variable at a bound whose gradient pushes
outward is held there, the quasi-Newton direction is taken in the others, and
the line search runs along the projected path P(x + t d).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

Fn = Callable[[torch.Tensor], torch.Tensor]

MEMORY = 10  # curvature pairs kept per start
ARMIJO = 1e-4
MAX_BACKTRACKS = 40
GRAD_TOL = 1e-10  # stop a start when its gradient's largest entry is this small
CHANGE_TOL = 1e-15  # or when a step changes its value by less than this, relatively


def value_and_grad(fn: Fn, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """fn and its gradient at every start; a start whose value is not finite gets a
    zero gradient, so that it cannot spread NaN to the others."""
    y = y.detach().requires_grad_(True)
    with torch.enable_grad():
        f = fn(y)
        finite = torch.isfinite(f)
        (g,) = torch.autograd.grad(torch.where(finite, f, torch.zeros_like(f)).sum(), y)
    g = torch.where(finite[:, None], g, torch.zeros_like(g))
    return f.detach(), torch.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)


def lbfgs(fn: Fn, x: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor,
          moving: torch.Tensor, max_iter: int,
          stop: Callable[[], bool] = lambda: False) -> tuple[torch.Tensor, int]:
    """Per-start projected L-BFGS from x; returns the new points and the iterations taken.

    `moving` marks the starts to optimise; the others are left where they are.
    `stop` is asked after every iteration (a clock).
    """
    b, n = x.shape
    s_hist = x.new_zeros((MEMORY, b, n))
    y_hist = x.new_zeros((MEMORY, b, n))
    rho = x.new_zeros((MEMORY, b))
    valid = torch.zeros((MEMORY, b), dtype=torch.bool, device=x.device)
    gamma = x.new_ones(b)
    f, g = value_and_grad(fn, x)
    moving = moving & torch.isfinite(f) & (projected_gradient(x, g, lower, upper) > GRAD_TOL)
    first = True
    it = 0
    while it < max_iter and bool(moving.any()) and not stop():
        held = _held(x, g, lower, upper)
        g_free = torch.where(held, torch.zeros_like(g), g)
        d = -_two_loop(g_free, s_hist, y_hist, rho, valid, gamma, it)
        d = torch.where(held, torch.zeros_like(d), d)
        uphill = (g_free * d).sum(dim=1) >= 0
        d = torch.where(uphill[:, None], -g_free, d)
        # Before any curvature is known, a first step of length at most one in the
        # largest coordinate (as torch.optim.LBFGS does).
        t = x.new_ones(b)
        if first:
            t = torch.clamp(1.0 / g_free.abs().sum(dim=1).clamp(min=1e-300), max=1.0)
        d = torch.where(moving[:, None], d, torch.zeros_like(d))
        x_new, f_new, accepted = _backtrack(fn, x, f, g, d, t, lower, upper, moving)
        f_new, g_new = value_and_grad(fn, x_new)
        step = x_new - x
        dg = g_new - g
        sy = (step * dg).sum(dim=1)
        update = accepted & (sy > 1e-10 * step.norm(dim=1) * dg.norm(dim=1))
        slot = it % MEMORY
        s_hist[slot] = torch.where(update[:, None], step, s_hist[slot])
        y_hist[slot] = torch.where(update[:, None], dg, y_hist[slot])
        rho[slot] = torch.where(update, 1.0 / sy.clamp(min=1e-300), rho[slot])
        valid[slot] = update
        gamma = torch.where(update, sy / (dg * dg).sum(dim=1).clamp(min=1e-300), gamma)
        small_change = (f - f_new).abs() <= CHANGE_TOL * torch.clamp(f.abs(), min=1.0)
        moving = (moving & accepted & ~small_change
                  & (projected_gradient(x_new, g_new, lower, upper) > GRAD_TOL))
        x, f, g = x_new, f_new, g_new
        first = False
        it += 1
    return x, it


def projected_gradient(x: torch.Tensor, g: torch.Tensor, lower: torch.Tensor,
                       upper: torch.Tensor) -> torch.Tensor:
    """|P(x - g) - x|_inf of each start: zero exactly at a stationary point in the box."""
    return (torch.minimum(torch.maximum(x - g, lower), upper) - x).abs().amax(dim=1)


def _held(x: torch.Tensor, g: torch.Tensor, lower: torch.Tensor,
          upper: torch.Tensor) -> torch.Tensor:
    """Variables at a bound that the gradient pushes outward."""
    return ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))


def _two_loop(g: torch.Tensor, s_hist: torch.Tensor, y_hist: torch.Tensor, rho: torch.Tensor,
              valid: torch.Tensor, gamma: torch.Tensor, it: int) -> torch.Tensor:
    """The L-BFGS product H g for every start, skipping each start's invalid pairs."""
    q = g.clone()
    newest_first = [(it - 1 - k) % MEMORY for k in range(min(it, MEMORY))]
    alphas = {}
    for i in newest_first:
        a = torch.where(valid[i], rho[i] * (s_hist[i] * q).sum(dim=1), torch.zeros_like(rho[i]))
        q = q - a[:, None] * y_hist[i]
        alphas[i] = a
    r = gamma[:, None] * q
    for i in reversed(newest_first):
        beta = rho[i] * (y_hist[i] * r).sum(dim=1)
        r = r + torch.where(valid[i], alphas[i] - beta, torch.zeros_like(beta))[:, None] \
            * s_hist[i]
    return r


def _backtrack(fn: Fn, x: torch.Tensor, f: torch.Tensor, g: torch.Tensor, d: torch.Tensor,
               t: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor,
               moving: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Armijo backtracking along the projected path P(x + t d), each start with its own
    step; all trials batched."""
    accepted = torch.zeros_like(moving)
    x_new, f_new = x.clone(), f.clone()
    with torch.no_grad():
        for _ in range(MAX_BACKTRACKS):
            trial = torch.minimum(torch.maximum(x + t[:, None] * d, lower), upper)
            ft = fn(trial)
            decrease = (g * (trial - x)).sum(dim=1)
            ok = moving & ~accepted & torch.isfinite(ft) & (ft <= f + ARMIJO * decrease)
            x_new = torch.where(ok[:, None], trial, x_new)
            f_new = torch.where(ok, ft, f_new)
            accepted |= ok
            if bool((accepted | ~moving).all()):
                break
            # Halve, or jump to the minimiser of the quadratic through f, f'(0) and f(t).
            quad = -decrease * t / (2 * (ft - f - decrease))
            shrink = torch.where(torch.isfinite(quad), quad.clamp(0.1 * t, 0.5 * t), 0.5 * t)
            t = torch.where(accepted, t, shrink)
    return x_new, f_new, accepted


def first_order(kind: str, fn: Fn, x: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor,
                moving: torch.Tensor, max_iter: int, lr: float) -> tuple[torch.Tensor, int]:
    """Adam, Lion, or torch.optim.LBFGS on the sum of the moving starts' values, each
    step projected onto the box (torch.optim.LBFGS sees the box as a clamp)."""
    param = x.detach().clone().requires_grad_(True)
    if kind == "torch-lbfgs":
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [param], lr=1.0, max_iter=max_iter, history_size=MEMORY,
            tolerance_grad=GRAD_TOL, tolerance_change=CHANGE_TOL,
            line_search_fn="strong_wolfe")
    elif kind == "adam":
        opt = torch.optim.Adam([param], lr=lr)
    else:
        opt = Lion([param], lr=lr / 10)

    def closure() -> float:
        opt.zero_grad()
        values = fn(torch.minimum(torch.maximum(param, lower), upper))
        keep = moving & torch.isfinite(values)
        loss = torch.where(keep, values, torch.zeros_like(values)).sum()
        loss.backward()
        assert param.grad is not None
        param.grad[~keep] = 0.0
        param.grad.nan_to_num_(nan=0.0, posinf=0.0, neginf=0.0)
        return float(loss.detach())

    if kind == "torch-lbfgs":
        opt.step(closure)
        used = int(opt.state[param].get("n_iter", 1))
    else:
        for _ in range(max_iter):
            opt.step(closure)
            with torch.no_grad():
                param.copy_(torch.minimum(torch.maximum(param, lower), upper))
        used = max_iter
    return torch.minimum(torch.maximum(param.detach(), lower), upper), used


class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): steps
    along the sign of an interpolated momentum. torch does not ship it."""

    def __init__(self, params: list[torch.Tensor], lr: float = 1e-4,
                 betas: tuple[float, float] = (0.9, 0.99)) -> None:
        super().__init__(params, {"lr": lr, "betas": betas})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore
        if closure is not None:
            with torch.enable_grad():
                closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                m = self.state[p].setdefault("m", torch.zeros_like(p))
                p.add_(torch.sign(m * b1 + p.grad * (1 - b1)), alpha=-group["lr"])
                m.mul_(b2).add_(p.grad, alpha=1 - b2)


METHODS = ("lbfgs", "torch-lbfgs", "adam", "lion")


def minimise(method: str, fn: Fn, x: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor,
             moving: torch.Tensor, max_iter: int,
             stop: Callable[[], bool]) -> tuple[torch.Tensor, int]:
    """Dispatch to a method by name; the box's width sets the first-order methods' step."""
    if method == "lbfgs":
        return lbfgs(fn, x, lower, upper, moving, max_iter, stop)
    width = float(torch.clamp(upper - lower, max=10.0).mean())
    lr = 1e-2 * (width if math.isfinite(width) and width > 0 else 1.0)
    return first_order(method, fn, x, lower, upper, moving, max_iter, lr)

"""The GFlowNet's environment: a discrete model assigned one variable at a time.

Variables are assigned in a fixed order (the model's column order), so every
solution is reached by exactly one trajectory: the state graph is a tree and
the backward policy is trivial. At each step the values a variable may take
are masked twice: by its bounds, and by interval reasoning on the linear
constraint rows it appears in (the rows' activity so far plus the least and
greatest the unassigned variables can still add must be able to meet the
row's bounds), so a partial assignment that can no longer be completed in
that relaxation is never extended. The reasoning is incomplete (integrality,
several rows together); when it masks every value of a variable, the
trajectory is finished without the mask and its reward pays for the
violation.

Objectives and constraint rows are evaluated by the torch compilation of the
problem (`backends/torch/compile.py`), batched over whole sets of assignments, in
the checker's form, so that a point counted feasible here is feasible for
`optiform.verify`, which still has the last word. Imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from optiform.backends.base import BackendError
from optiform.backends.torch.compile import Program, compile_problem
from optiform.compiler.ir import Problem
from optiform.verify import FEASIBILITY_TOL

MAX_VALUES = 256  # values one integer variable may take here
MAX_VARIABLES = 2_000  # trajectories are this long; past it, an exact solver is the tool
ROW_FEATURES = 256  # linear rows whose room is shown to the policy (all of them up to this)
SLACK = 1e-9  # relative slack of the interval test, against rounding


@dataclass
class Evaluation:
    """Assignments scored: objectives in minimisation form and the scaled violation."""

    objectives: torch.Tensor  # (batch, k), each minimised
    violation: torch.Tensor  # (batch,) sum of the scaled violations of every row
    worst: torch.Tensor  # (batch,) the largest scaled violation

    @property
    def feasible(self) -> torch.Tensor:
        return self.worst <= FEASIBILITY_TOL


class Env:
    """Domains, masks, features and rewards of one discrete problem, on one device."""

    def __init__(self, problem: Problem, columns: list[dict[str, float]],
                 device: torch.device) -> None:
        """`columns`: the objectives to minimise, each a weighted sum of the model's."""
        self.problem, self.device = problem, device
        dtype = torch.float64
        lower = np.concatenate([v.lower for v in problem.variables]) if problem.variables \
            else np.zeros(0)
        upper = np.concatenate([v.upper for v in problem.variables]) if problem.variables \
            else np.zeros(0)
        _check_discrete(problem, lower, upper)
        self.n = problem.n_vars
        lower = np.ceil(lower - 1e-9)
        upper = np.floor(upper + 1e-9)
        sizes = (upper - lower + 1).astype(np.int64)
        self.n_values = int(sizes.max()) if self.n else 1
        self.lower = torch.as_tensor(lower, dtype=dtype, device=device)
        self.sizes = torch.as_tensor(sizes, device=device)
        steps = torch.arange(self.n_values, device=device)
        self.values = self.lower[:, None] + steps[None, :].to(dtype)  # (n, values)
        self.in_domain = steps[None, :] < self.sizes[:, None]  # (n, values)
        self.span = torch.clamp(self.sizes - 1, min=1).to(dtype)
        self.program: Program = compile_problem(problem, device)
        self.columns = [{name: w * (1.0 if self.program.senses[name] == "minimize" else -1.0)
                         for name, w in column.items() if w} for column in columns]
        lo, hi = self.program.bounds()
        s_lo, s_hi = self.program.scales()
        self.row_lo = torch.as_tensor(lo, dtype=dtype, device=device)
        self.row_hi = torch.as_tensor(hi, dtype=dtype, device=device)
        self.scale_lo = torch.as_tensor(s_lo, dtype=dtype, device=device)
        self.scale_hi = torch.as_tensor(s_hi, dtype=dtype, device=device)
        self._linear_rows(problem)
        self._objective_fields(problem)
        self.evaluations = 0

    # ---- the linear rows that mask ------------------------------------------------------
    def _linear_rows(self, problem: Problem) -> None:
        """Columns' linear rows, padded: row `m` is a dummy that nothing bounds."""
        rows, cols, vals, lo, hi, const = [], [], [], [], [], []
        offset = 0
        for block in problem.constraints:
            t = block.terms
            linear = not t.nonlinear and not t.quadratic
            if linear and block.size:
                rows.append(t.lin_row + offset)
                cols.append(t.lin_col)
                vals.append(t.lin_val)
                lo.append(block.lower)
                hi.append(block.upper)
                const.append(t.const)
                offset += block.size
        m = offset
        dev, dtype = self.device, torch.float64
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        a = np.concatenate(vals) if vals else np.zeros(0)
        keep = a != 0
        r, c, a = r[keep], c[keep], a[keep]
        order = np.lexsort((r, c))
        r, c, a = r[order], c[order], a[order]
        slot, width = _slots(c, self.n)
        col_rows = np.full((self.n, width), m, dtype=np.int64)
        col_vals = np.zeros((self.n, width))
        col_rows[c, slot] = r
        col_vals[c, slot] = a
        self.m = m
        self.col_rows = torch.as_tensor(col_rows, device=dev)
        self.col_vals = torch.as_tensor(col_vals, dtype=dtype, device=dev)
        inf = np.array([np.inf])
        lo_all = np.concatenate([*lo, -inf]) if lo else -inf
        hi_all = np.concatenate([*hi, inf]) if hi else inf
        self.lin_lo = torch.as_tensor(lo_all, dtype=dtype, device=dev)
        self.lin_hi = torch.as_tensor(hi_all, dtype=dtype, device=dev)
        self.lin_const = torch.as_tensor(np.concatenate([*const, [0.0]]) if const else
                                         np.zeros(1), dtype=dtype, device=dev)
        # What column j can add to each of its rows at least and at most.
        low_v = self.lower.cpu().numpy()
        high_v = low_v + (self.sizes.cpu().numpy() - 1)
        least = np.minimum(col_vals * low_v[:, None], col_vals * high_v[:, None])
        most = np.maximum(col_vals * low_v[:, None], col_vals * high_v[:, None])
        self.col_least = torch.as_tensor(least, dtype=dtype, device=dev)
        self.col_most = torch.as_tensor(most, dtype=dtype, device=dev)
        bound = np.maximum(np.abs(np.nan_to_num(lo_all, posinf=0, neginf=0)),
                           np.abs(np.nan_to_num(hi_all, posinf=0, neginf=0)))
        self.lin_tol = torch.as_tensor(SLACK * np.maximum(1.0, bound) + FEASIBILITY_TOL,
                                       dtype=dtype, device=dev)
        self.features_rows = min(m, ROW_FEATURES)
        reach = np.zeros(m + 1)
        np.add.at(reach, col_rows.ravel(), (most - least).ravel())
        self.row_scale = torch.as_tensor(np.maximum(1.0, np.maximum(bound, reach)),
                                         dtype=dtype, device=dev)

    # ---- the objectives' pull on the next variable -----------------------------------
    def _objective_fields(self, problem: Problem) -> None:
        """Each column's linear and quadratic coefficients, gathered per variable, so that
        `features` can show the policy what each value of the next variable would do to
        the objective: the GFlowNet otherwise has to learn the objective's pairwise
        terms (a max-cut's edges) from rewards alone, which it does slowly.
        Columns with a nonlinear objective get no field."""
        n, k = self.n, len(self.columns)
        by_name = {o.name: o.terms for o in problem.objectives}
        linear = np.zeros((k, n))
        diagonal = np.zeros((k, n))
        pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for c, column in enumerate(self.columns):
            if any(by_name[name].nonlinear for name in column):
                continue
            for name, w in column.items():
                t = by_name[name]
                np.add.at(linear[c], t.lin_col, w * t.lin_val)
                same = t.quad_col1 == t.quad_col2
                np.add.at(diagonal[c], t.quad_col1[same], w * t.quad_val[same])
                a, b, v = t.quad_col1[~same], t.quad_col2[~same], w * t.quad_val[~same]
                # x_a x_b pulls x_b by x_a and x_a by x_b
                pairs.append((np.full(2 * len(v), c), np.concatenate([a, b]),
                              np.concatenate([b, a]), np.concatenate([v, v])))
        col = np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0, np.int64)
        var = np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0, np.int64)
        other = np.concatenate([p[2] for p in pairs]) if pairs else np.zeros(0, np.int64)
        val = np.concatenate([p[3] for p in pairs]) if pairs else np.zeros(0)
        # per variable, its partners in every column: (n, width), padded with weight 0
        order = np.argsort(var * k + col, kind="stable")
        other, val = other[order], val[order]
        slot, width = _slots(var[order], n)
        partner = np.zeros((n, width), dtype=np.int64)
        weight = np.zeros((n, k, width))
        partner[var[order], slot] = other
        weight[var[order], col[order], slot] = val
        low = self.lower.cpu().numpy()
        high = low + self.sizes.cpu().numpy() - 1
        mid = (low + high) / 2
        reach = np.maximum(np.abs(low), np.abs(high))
        values = self.values.cpu().numpy()
        square = np.where(self.in_domain.cpu().numpy(), values ** 2 - mid[:, None] ** 2, 0)
        # the most a value's change could move each column, for scaling the field to [-1, 1]
        pull = (np.abs(linear) + np.abs(weight).sum(axis=2).T * reach[partner].max(
            axis=1, initial=0)[None, :]) * (high - low)[None, :] + np.abs(diagonal) * np.abs(
            square).max(axis=1)[None, :]
        dev, dtype = self.device, torch.float64
        self.field_columns = k if np.any(linear) or np.any(diagonal) or np.any(val) else 0
        self.field_scale = torch.as_tensor(np.maximum(pull.max(axis=1, initial=0), 1e-12),
                                           dtype=dtype, device=dev)
        self.mid = torch.as_tensor(mid, dtype=dtype, device=dev)
        self.obj_linear = torch.as_tensor(linear.T, dtype=dtype, device=dev)  # (n, k)
        self.obj_diagonal = torch.as_tensor(diagonal.T, dtype=dtype, device=dev)
        self.partner = torch.as_tensor(partner, device=dev)
        self.partner_weight = torch.as_tensor(weight, dtype=dtype, device=dev)
        self.value_square = torch.as_tensor(square, dtype=dtype, device=dev)
        self.pairs = bool(len(val))  # without, the field does not depend on the state

    def field(self, s: State) -> torch.Tensor:
        """What giving variable `s.t` each of its values, rather than the middle of its
        range, adds to each column, the unassigned at their middles: (batch, k * values),
        scaled."""
        t = s.t
        slope = self.obj_linear[t][None, :].expand(s.x.shape[0], -1)  # (batch, k)
        if self.pairs:
            partners = self.partner[t]
            assigned = (partners < t)[None, :]
            x = torch.where(assigned, s.x[:, partners], self.mid[partners][None, :])
            slope = slope + x @ self.partner_weight[t].T
        step = (self.values[t] - self.mid[t]) * self.in_domain[t]
        change = slope[:, :, None] * step[None, None, :] + (
            self.obj_diagonal[t][None, :, None] * self.value_square[t][None, None, :])
        return (change / self.field_scale[None, :, None]).flatten(1).float()

    def start(self, batch: int) -> State:
        """Nothing assigned: activities at the rows' constants, the whole range ahead."""
        dev = self.device
        rest_least = torch.zeros(self.m + 1, dtype=torch.float64, device=dev)
        rest_most = torch.zeros(self.m + 1, dtype=torch.float64, device=dev)
        rest_least.index_add_(0, self.col_rows.flatten(), self.col_least.flatten())
        rest_most.index_add_(0, self.col_rows.flatten(), self.col_most.flatten())
        return State(torch.zeros((batch, self.n), dtype=torch.float64, device=dev),
                     self.lin_const.expand(batch, -1).clone(), rest_least, rest_most, 0)

    def mask(self, s: State) -> tuple[torch.Tensor, torch.Tensor]:
        """Values allowed for variable `s.t`: (batch, values), and whether the interval
        test left none (those trajectories go on unmasked)."""
        t = s.t
        rows, a = self.col_rows[t], self.col_vals[t]
        after_least = s.rest_least[rows] - self.col_least[t]
        after_most = s.rest_most[rows] - self.col_most[t]
        act = s.activity[:, rows, None] + a[None, :, None] * self.values[t][None, None, :]
        tol = self.lin_tol[rows][None, :, None]
        ok = (act + after_least[None, :, None] <= self.lin_hi[rows][None, :, None] + tol) & (
            act + after_most[None, :, None] >= self.lin_lo[rows][None, :, None] - tol)
        allowed = ok.all(dim=1) & self.in_domain[t][None, :]
        stuck = ~allowed.any(dim=1)
        allowed = torch.where(stuck[:, None], self.in_domain[t][None, :], allowed)
        return allowed, stuck

    def step(self, s: State, choice: torch.Tensor) -> State:
        """Assign value number `choice` (batch,) to variable `s.t`."""
        t = s.t
        value = self.values[t][choice]
        x = s.x.clone()
        x[:, t] = value
        rows = self.col_rows[t]
        activity = s.activity.index_add(1, rows, self.col_vals[t][None, :] * value[:, None])
        rest_least = s.rest_least.clone()
        rest_most = s.rest_most.clone()
        rest_least.index_add_(0, rows, -self.col_least[t])
        rest_most.index_add_(0, rows, -self.col_most[t])
        return State(x, activity, rest_least, rest_most, t + 1)

    def features(self, s: State) -> torch.Tensor:
        """What the policy sees of a step beyond the assignment itself (which the
        policy sums up as it goes, `Policy.term`): the share of the variables
        assigned, how much room each linear row has left (squashed), and what each
        value of the next variable would do to the objectives (`field`)."""
        batch = s.x.shape[0]
        parts = [torch.full((batch, 1), s.t / max(1, self.n), device=self.device)]
        if self.features_rows:
            k = self.features_rows
            scale = self.row_scale[:k]
            room_hi = (self.lin_hi[:k] - s.activity[:, :k] - s.rest_least[:k]) / scale
            room_lo = (s.activity[:, :k] + s.rest_most[:k] - self.lin_lo[:k]) / scale
            parts += [torch.tanh(torch.nan_to_num(room_hi, posinf=1e3)).float(),
                      torch.tanh(torch.nan_to_num(room_lo, posinf=1e3)).float()]
        if self.field_columns:
            parts.append(self.field(s))
        return torch.cat(parts, dim=1)

    @property
    def n_features(self) -> int:
        return 1 + 2 * self.features_rows + self.field_columns * self.n_values

    # ---- scoring ---------------------------------------------------------------------------
    def evaluate(self, x: torch.Tensor) -> Evaluation:
        """Objectives (minimisation form) and violations of a batch of assignments."""
        self.evaluations += int(x.shape[0])
        with torch.no_grad():
            values = {name: e.fn(x)[:, 0] for name, e in self.program.objectives.items()
                      if any(name in column for column in self.columns)}
            zero = x.new_zeros(x.shape[0])
            objectives = torch.stack([sum((w * values[name] for name, w in column.items()),
                                          start=zero) for column in self.columns], dim=1)
            body = self.program.body(x)
            over = torch.clamp((body - self.row_hi) / self.scale_hi, min=0)
            under = torch.clamp((self.row_lo - body) / self.scale_lo, min=0)
            each = torch.nan_to_num(torch.maximum(over, under), nan=1e6)
            total = each.sum(dim=1) if each.shape[1] else x.new_zeros(x.shape[0])
            worst = each.amax(dim=1) if each.shape[1] else x.new_zeros(x.shape[0])
            objectives = torch.nan_to_num(objectives, nan=np.inf)
        return Evaluation(objectives, total, worst)

    def choices(self, x: torch.Tensor) -> torch.Tensor:
        """The value numbers of full assignments: (batch, n) integers."""
        return torch.round(x - self.lower).long()


@dataclass
class State:
    """A batch of partial assignments: variables before `t` are set."""

    x: torch.Tensor  # (batch, n); unassigned entries are 0
    activity: torch.Tensor  # (batch, m + 1) linear rows' value so far
    rest_least: torch.Tensor  # (m + 1,) the least the unassigned columns can add
    rest_most: torch.Tensor  # (m + 1,)
    t: int


def _slots(owner: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """Each entry's place among its owner's entries, for a table padded to `width` per
    owner (0 to n - 1): `owner` must be sorted."""
    counts = np.bincount(owner, minlength=n) if n else np.zeros(0, np.int64)
    width = max(1, int(counts.max()) if len(counts) else 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n else np.zeros(0, np.int64)
    return np.arange(len(owner)) - np.repeat(starts, counts), width


def _check_discrete(problem: Problem, lower: np.ndarray, upper: np.ndarray) -> None:
    """Every variable integer with finite bounds and few enough values, or a clear error."""
    for v in problem.variables:
        if not v.size:
            continue
        label = problem.universe.format_key
        if v.domain == "continuous":
            raise BackendError(
                f"gflownet samples discrete models: variable `{v.name}` is continuous; "
                "declare it `integer` or `binary` with bounds, or use --backend highs, "
                "pyomo or torch")
        lo, hi = v.lower, v.upper
        bad = np.nonzero(~np.isfinite(lo) | ~np.isfinite(hi))[0]
        if len(bad):
            key = label(v.keys[bad[0]])
            raise BackendError(
                f"gflownet needs bounded integer variables: `{v.name}"
                f"{f'[{key}]' if key else ''}` has no finite "
                f"{'lower' if not np.isfinite(lo[bad[0]]) else 'upper'} bound; give it one "
                f"(`{v.name} integer in [0, 10]`)")
        wide = np.nonzero(np.floor(hi + 1e-9) - np.ceil(lo - 1e-9) + 1 > MAX_VALUES)[0]
        if len(wide):
            i = wide[0]
            key = label(v.keys[i])
            raise BackendError(
                f"gflownet takes integer variables with at most {MAX_VALUES} values; "
                f"`{v.name}{f'[{key}]' if key else ''}` has "
                f"{int(np.floor(hi[i] + 1e-9) - np.ceil(lo[i] - 1e-9) + 1)} "
                f"(bounds {lo[i]:g} to {hi[i]:g}); narrow its bounds or use --backend highs")
        empty = np.nonzero(np.floor(hi + 1e-9) < np.ceil(lo - 1e-9))[0]
        if len(empty):
            key = label(v.keys[empty[0]])
            raise BackendError(
                f"variable `{v.name}{f'[{key}]' if key else ''}` has no integer between its "
                f"bounds {lo[empty[0]]:g} and {hi[empty[0]]:g}, so the model is infeasible")
    if problem.n_vars > MAX_VARIABLES:
        raise BackendError(
            f"gflownet assigns one variable per step and takes at most {MAX_VARIABLES} "
            f"variables; this model has {problem.n_vars}; use --backend highs for it")

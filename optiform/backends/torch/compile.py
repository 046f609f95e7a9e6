"""The problem as torch functions over whole index blocks, compiled once.

This mirrors `compiler/evaluate.py`: the numpy evaluator walks an expression
over a `Frame` and returns one value per row; here the same walk returns a
function of the variables, `x (batch, n_vars) -> (batch, rows)`, built from
whole-block operations. Everything without variables is evaluated once by the
numpy evaluator and becomes a constant tensor; a variable subscript is one
gather by precomputed column indices; a reduction expands the frame exactly
as the evaluator does and groups back with `index_add` (a padded layout and
`torch.prod`, `amin` or `amax` for the other reductions). The leading batch
dimension carries the starts of a multi-start solve, so every start is
evaluated by the same kernels at once.

Each compiled expression also carries its dependency pattern (which columns
each row reads), the structural sparsity of its Jacobian, for Ipopt.
Constraints are compiled in the checker's form (`verify.py`): the middle of
`lo <= e <= hi` against each bound, so that a row is feasible here exactly
when the checker will find it so. Imports torch; nothing imports this module
until a torch-based backend solves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from optiform.compiler.evaluate import EvalError, Evaluator, Scope
from optiform.compiler.instantiate import split_comparison
from optiform.compiler.ir import Frame, Problem
from optiform.dsl import ast as A

Fn = Callable[[torch.Tensor], torch.Tensor]

_UNARY: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "abs": torch.abs, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "sin": torch.sin, "cos": torch.cos, "floor": torch.floor, "ceil": torch.ceil,
    "round": torch.round,
}
_ARITH: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div,
    "mod": torch.remainder, "^": torch.pow,
}
_PADDED: dict[str, tuple[float, Callable[[torch.Tensor], torch.Tensor]]] = {
    "prod": (1.0, lambda t: torch.prod(t, dim=2)),
    "min": (np.inf, lambda t: torch.amin(t, dim=2)),
    "max": (-np.inf, lambda t: torch.amax(t, dim=2)),
}


class CompileError(Exception):
    """An expression in variables that has no gradient (a comparison, a condition)."""


@dataclass
class Expr:
    """A compiled expression over `n` rows, and which columns each row reads."""

    n: int
    fn: Fn
    rows: np.ndarray
    cols: np.ndarray


Value = np.ndarray | Expr  # a constant per row, or a function of the variables


@dataclass
class RowBlock:
    """Rows `lower <= body(x) <= upper` of one constraint, in the checker's form.

    `rows` are the constraint block's own row positions; `scale_lo` and
    `scale_hi` are the checker's tolerance scales, `max(1, |bound|)`.
    """

    constraint: str
    rows: np.ndarray
    body: Expr
    lower: np.ndarray
    upper: np.ndarray
    scale_lo: np.ndarray
    scale_hi: np.ndarray


@dataclass
class Program:
    """The compiled problem: objectives and constraint rows as batched torch functions."""

    n_vars: int
    objectives: dict[str, Expr]
    senses: dict[str, str]
    blocks: list[RowBlock]
    device: torch.device
    dtype: torch.dtype

    @property
    def offsets(self) -> list[int]:
        """Where each block starts in `body`; blocks may be appended (objective bounds)."""
        return [int(o) for o in np.cumsum([0] + [b.body.n for b in self.blocks[:-1]])]

    @property
    def n_rows(self) -> int:
        return sum(b.body.n for b in self.blocks)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        """Every constraint row's body at a batch of points: (batch, n_rows)."""
        if not self.blocks:
            return x.new_zeros((x.shape[0], 0))
        return torch.cat([b.body.fn(x) for b in self.blocks], dim=1)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.blocks:
            return np.zeros(0), np.zeros(0)
        return (np.concatenate([b.lower for b in self.blocks]),
                np.concatenate([b.upper for b in self.blocks]))

    def scales(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.blocks:
            return np.zeros(0), np.zeros(0)
        return (np.concatenate([b.scale_lo for b in self.blocks]),
                np.concatenate([b.scale_hi for b in self.blocks]))

    def pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) pairs of the constraint Jacobian's structural nonzeros."""
        if not self.blocks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        rows = np.concatenate([b.body.rows + off for b, off in zip(self.blocks, self.offsets,
                                                                   strict=True)])
        cols = np.concatenate([b.body.cols for b in self.blocks])
        return _unique_pairs(rows, cols, self.n_vars)

    def objective(self, weights: dict[str, float]) -> Fn:
        """A weighted sum of objectives in minimisation form: x (batch, n) -> (batch,)."""
        parts = [(self.objectives[name], w * (1.0 if self.senses[name] == "minimize"
                                              else -1.0))
                 for name, w in weights.items() if w != 0]

        def f(x: torch.Tensor) -> torch.Tensor:
            # Tied to x even when every objective is constant (or there is none), so that
            # autograd has a (zero) gradient to give.
            total = 0.0 * x.sum(dim=1)
            for e, sign in parts:
                total = total + sign * e.fn(x)[:, 0]
            return total
        return f

    def rows_of(self, constraint: str) -> list[tuple[RowBlock, int]]:
        """The row blocks of one constraint with their offsets in `body`."""
        return [(b, off) for b, off in zip(self.blocks, self.offsets, strict=True)
                if b.constraint == constraint]


def compile_problem(problem: Problem, device: torch.device,
                    dtype: torch.dtype = torch.float64) -> Program:
    """Compile every objective and constraint of a problem once."""
    c = Compiler(problem, device, dtype)
    objectives = {o.name: c.lift(c.expr(o.decl.expr, Frame.scalar()), 1)
                  for o in problem.objectives}
    blocks = [rb for block in problem.constraints for rb in c.constraint(block.decl,
                                                                         block.frame)]
    return Program(problem.n_vars, objectives, {o.name: o.sense for o in problem.objectives},
                   blocks, device, dtype)


class Compiler:
    """The evaluator's walk, returning torch functions where variables appear."""

    def __init__(self, problem: Problem, device: torch.device, dtype: torch.dtype) -> None:
        variables = {v.name: v for v in problem.variables}
        self.scope = Scope(problem.universe, problem.sets, problem.params, variables,
                           declared={*problem.sets, *problem.params, *variables})
        self.ev = Evaluator(self.scope)
        self.var_names = set(variables)
        self.n_vars = problem.n_vars
        self.device, self.dtype = device, dtype

    def tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(a, dtype=float), dtype=self.dtype,
                               device=self.device)

    def index(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.int64), device=self.device)

    def has_vars(self, e: A.Expr) -> bool:
        return bool(A.names_in(e) & self.var_names)

    def lift(self, v: Value, n: int) -> Expr:
        """A constant as an expression (the same value at every point)."""
        if isinstance(v, Expr):
            return v
        t = self.tensor(np.broadcast_to(v, (n,)))
        return Expr(n, lambda x: t.expand(x.shape[0], n), _EMPTY_I, _EMPTY_I)

    # ---- constraints ------------------------------------------------------------
    def constraint(self, decl: A.ConstraintDecl, frame: Frame) -> list[RowBlock]:
        """The rows of a constraint against each bound, as the checker reads them."""
        lo_e, mid, hi_e = split_comparison(decl)
        rows = np.arange(frame.n)
        body = self.lift(self.expr(mid, frame), frame.n)
        inf = np.full(frame.n, np.inf)
        ones = np.ones(frame.n)
        const = {side: self.ev.num(side, frame) for side in (lo_e, hi_e)
                 if side is not None and not self.has_vars(side)}
        out: list[RowBlock] = []
        if lo_e is hi_e:
            assert lo_e is not None
            if lo_e in const:
                b = const[lo_e]
                return [RowBlock(decl.name, rows, body, b, b, _scale(b), _scale(b))]
            diff = self.lift(self.arith("-", body, self.expr(lo_e, frame)), frame.n)
            zero = np.zeros(frame.n)
            return [RowBlock(decl.name, rows, diff, zero, zero, ones, ones)]
        lower, upper = -inf, inf
        for side, is_lower in ((lo_e, True), (hi_e, False)):
            if side is None:
                continue
            if side in const:
                if is_lower:
                    lower = const[side]
                else:
                    upper = const[side]
                continue
            # A bound in variables: the difference against zero, scaled as the bound's
            # size at the point would be (unknown here, so 1).
            diff = self.lift(self.arith("-", body, self.expr(side, frame)), frame.n)
            zero = np.zeros(frame.n)
            out.append(RowBlock(decl.name, rows, diff, zero if is_lower else -inf,
                                inf if is_lower else zero, ones, ones))
        if np.isfinite(lower).any() or np.isfinite(upper).any():
            out.insert(0, RowBlock(decl.name, rows, body, lower, upper, _scale(lower),
                                   _scale(upper)))
        return out

    # ---- expressions ------------------------------------------------------------
    def expr(self, e: A.Expr, frame: Frame) -> Value:  # noqa: C901
        if not self.has_vars(e):
            return self.ev.num(e, frame)
        n = frame.n
        if isinstance(e, A.Name):
            v = self.scope.variables[e.name]
            return self.gather(np.full(n, v.offset, dtype=np.int64))
        if isinstance(e, A.Subscript):
            block = self.scope.variables.get(e.name)
            if block is None:
                raise EvalError(f"`{e.name}` is not a variable", e.span)
            self.ev._arity(e, block.arity, "variable")
            cols = [self.ev.key(i, frame) for i in e.indices]
            return self.gather(block.offset + self.ev.var_positions(e, block, cols))
        if isinstance(e, A.Unary) and e.op == "-":
            return self.unary(torch.neg, self.expr(e.operand, frame))
        if isinstance(e, A.Binary) and e.op in _ARITH:
            return self.arith(e.op, self.expr(e.left, frame), self.expr(e.right, frame))
        if isinstance(e, A.Conditional):
            return self.choose(e, frame)
        if isinstance(e, A.Reduction):
            return self.reduce(e, frame)
        if isinstance(e, A.Call) and e.func in ("min", "max"):
            fn = torch.minimum if e.func == "min" else torch.maximum
            args = [self.lift(self.expr(a, frame), n) for a in e.args]
            out = args[0]
            for a in args[1:]:
                out = _combine(fn, out, a)
            return out
        if isinstance(e, A.Call) and e.func in _UNARY:
            return self.unary(_UNARY[e.func], self.expr(e.args[0], frame))
        line = f" (line {e.span.line})" if getattr(e, "span", None) else ""  # type: ignore
        raise CompileError(
            f"a comparison or condition in variables{line} has no gradient; gradient-based "
            "backends take arithmetic, functions and reductions of variables, and "
            "conditions on parameters and indices only")

    def gather(self, cols: np.ndarray) -> Expr:
        idx = self.index(cols)
        return Expr(len(cols), lambda x: x.index_select(1, idx), np.arange(len(cols)),
                    cols.astype(np.int64))

    def unary(self, fn: Callable[[torch.Tensor], torch.Tensor], v: Value) -> Expr:
        assert isinstance(v, Expr)  # a constant operand was folded by the evaluator
        inner = v.fn
        return Expr(v.n, lambda x: fn(inner(x)), v.rows, v.cols)

    def arith(self, op: str, a: Value, b: Value) -> Expr:
        fn = _ARITH[op]
        if isinstance(a, Expr) and isinstance(b, Expr):
            return _combine(fn, a, b)
        if isinstance(a, Expr):
            f, t = a.fn, self._constant_operand(op, b)  # type: ignore[arg-type]
            return Expr(a.n, lambda x: fn(f(x), t), a.rows, a.cols)  # type: ignore[arg-type]
        assert isinstance(b, Expr)
        g, s = b.fn, self.tensor(a)
        return Expr(b.n, lambda x: fn(s, g(x)), b.rows, b.cols)

    def _constant_operand(self, op: str, c: np.ndarray) -> torch.Tensor | float:
        """A constant right operand; one integer power for all rows stays a Python number,
        so that `x ^ 2` has the plain derivative at negative and zero x."""
        if op == "^" and len(c) and np.all(c == c[0]) and float(c[0]).is_integer():
            return float(c[0])
        return self.tensor(c)

    def choose(self, e: A.Conditional, frame: Frame) -> Expr:
        if self.has_vars(e.cond):
            raise CompileError("a condition in variables has no gradient; conditions use "
                               "parameters and indices only")
        mask = self.ev.cond(e.cond, frame)
        yes, no = np.nonzero(mask)[0], np.nonzero(~mask)[0]
        a = self.lift(self.expr(e.then, frame.take(yes)), len(yes))
        b = self.lift(self.expr(e.otherwise, frame.take(no)), len(no))
        order = np.concatenate([yes, no])
        inverse = self.index(np.argsort(order, kind="stable"))
        fa, fb = a.fn, b.fn
        return Expr(frame.n, lambda x: torch.cat([fa(x), fb(x)], dim=1).index_select(1, inverse),
                    np.concatenate([yes[a.rows], no[b.rows]]).astype(np.int64),
                    np.concatenate([a.cols, b.cols]))

    def reduce(self, e: A.Reduction, frame: Frame) -> Expr:
        if e.filter is not None and self.has_vars(e.filter):
            raise CompileError("a filter in variables has no gradient; filters use "
                               "parameters and indices only")
        child, parent = self.ev.expand(frame, e.binders, e.filter)
        body = self.lift(self.expr(e.body, child), child.n)
        n, f, idx = frame.n, body.fn, self.index(parent)
        rows, cols = _unique_pairs(parent[body.rows], body.cols, self.n_vars)
        if e.op == "sum":
            def total(x: torch.Tensor) -> torch.Tensor:
                v = f(x)
                return v.new_zeros((x.shape[0], n)).index_add(1, idx, v)
            return Expr(n, total, rows, cols)
        # prod, min and max over a padded (rows x widest group) layout: torch.prod and
        # amax have exact higher derivatives, where the forward-mode derivative of
        # scatter_reduce's backward is wrong for prod (torch 2.13), which Hessians need.
        width = int(np.bincount(parent, minlength=n).max(initial=0))
        order = np.argsort(parent, kind="stable")
        starts = np.searchsorted(parent[order], np.arange(n))
        slot = self.index(parent[order] * max(width, 1)
                          + (np.arange(len(order)) - starts[parent[order]]))
        take = self.index(order)
        fill, reduce_fn = _PADDED[e.op]

        def padded(x: torch.Tensor) -> torch.Tensor:
            v = f(x).index_select(1, take)
            out = v.new_full((x.shape[0], n * width), fill)
            out = out.index_copy(1, slot, v).reshape(x.shape[0], n, width)
            return reduce_fn(out) if width else v.new_full((x.shape[0], n), fill)
        return Expr(n, padded, rows, cols)


def _combine(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], a: Expr,
             b: Expr) -> Expr:
    fa, fb = a.fn, b.fn
    return Expr(a.n, lambda x: fn(fa(x), fb(x)), np.concatenate([a.rows, b.rows]),
                np.concatenate([a.cols, b.cols]))


def _unique_pairs(rows: np.ndarray, cols: np.ndarray, n_cols: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    width = max(n_cols, 1)
    key = np.unique(rows.astype(np.int64) * width + cols)
    return key // width, key % width


def _scale(bound: np.ndarray) -> np.ndarray:
    """The checker's tolerance scale: relative to the bound's size, absolute below 1."""
    return np.maximum(1.0, np.abs(np.nan_to_num(bound, posinf=0.0, neginf=0.0)))


_EMPTY_I = np.zeros(0, dtype=np.int64)

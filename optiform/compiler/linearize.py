"""Expressions in variables -> linear and quadratic terms, block by block.

The parts of an expression without variables go to the evaluator as whole
arrays; only the skeleton that touches variables is walked here, and each
step is an array operation over all rows of the block at once: a sum remaps
term rows to their parent row, a product of two affine blocks pairs terms
row by row. Whatever is neither linear nor quadratic marks the block
nonlinear, so that the problem's class says which backend can take it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optiform.compiler.evaluate import EvalError, Evaluator, too_big
from optiform.compiler.ir import Frame, Terms
from optiform.compiler.lowering.auxiliary import stack
from optiform.compiler.lowering.lowerer import Lowerer
from optiform.diagnostics import Span
from optiform.dsl import ast as A

_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0)


def constant(values: np.ndarray) -> Terms:
    n = len(values)
    return Terms(n, np.asarray(values, dtype=float), _EMPTY_I, _EMPTY_I, _EMPTY_F,
                 _EMPTY_I, _EMPTY_I, _EMPTY_I, _EMPTY_F)


def nonlinear(n: int) -> Terms:
    t = constant(np.zeros(n))
    t.nonlinear = True
    return t


def _is_constant(t: Terms) -> bool:
    return not t.nonlinear and len(t.lin_val) == 0 and len(t.quad_val) == 0


def add(a: Terms, b: Terms, sign: float = 1.0) -> Terms:
    if a.nonlinear or b.nonlinear:
        return nonlinear(a.n)
    if not len(b.lin_val) and not len(b.quad_val):  # a constant added: no copies
        return replace(a, const=a.const + sign * b.const)
    if not len(a.lin_val) and not len(a.quad_val) and sign == 1.0:
        return replace(b, const=a.const + b.const)
    return Terms(
        a.n, a.const + sign * b.const,
        np.concatenate([a.lin_row, b.lin_row]), np.concatenate([a.lin_col, b.lin_col]),
        np.concatenate([a.lin_val, sign * b.lin_val]),
        np.concatenate([a.quad_row, b.quad_row]), np.concatenate([a.quad_col1, b.quad_col1]),
        np.concatenate([a.quad_col2, b.quad_col2]),
        np.concatenate([a.quad_val, sign * b.quad_val]),
    )


def scale(t: Terms, factor: np.ndarray) -> Terms:
    """Each row multiplied by its own factor."""
    if t.nonlinear:
        return t
    with np.errstate(invalid="ignore", over="ignore"):
        return Terms(t.n, t.const * factor, t.lin_row, t.lin_col,
                     t.lin_val * (factor if t.one_per_row else factor[t.lin_row]),
                     t.quad_row, t.quad_col1, t.quad_col2, t.quad_val * factor[t.quad_row],
                     one_per_row=t.one_per_row)


def multiply(a: Terms, b: Terms, limit: int | None = None,
             span: Span | None = None) -> Terms:
    if _is_constant(a):
        return scale(b, a.const)
    if _is_constant(b):
        return scale(a, b.const)
    if a.nonlinear or b.nonlinear or len(a.quad_val) or len(b.quad_val):
        return nonlinear(a.n)
    # (ca + La)(cb + Lb) = ca*cb + ca*Lb + cb*La + La*Lb, the last paired row by row.
    linear = add(scale(_linear_part(b), a.const), scale(_linear_part(a), b.const))
    order = np.argsort(b.lin_row, kind="stable")
    b_rows = b.lin_row[order]
    starts = np.searchsorted(b_rows, a.lin_row, side="left")
    ends = np.searchsorted(b_rows, a.lin_row, side="right")
    counts = ends - starts
    if limit is not None and int(counts.sum()) > limit:
        raise too_big(int(counts.sum()), limit, span, "this product of sums")
    a_rep = np.repeat(np.arange(len(a.lin_row)), counts)
    offsets = np.arange(len(a_rep)) - np.repeat(np.cumsum(counts) - counts, counts)
    b_sel = order[np.repeat(starts, counts) + offsets]
    quad = Terms(a.n, a.const * b.const, _EMPTY_I, _EMPTY_I, _EMPTY_F,
                 a.lin_row[a_rep], a.lin_col[a_rep], b.lin_col[b_sel],
                 a.lin_val[a_rep] * b.lin_val[b_sel])
    return add(quad, linear)


def _linear_part(t: Terms) -> Terms:
    return Terms(t.n, np.zeros(t.n), t.lin_row, t.lin_col, t.lin_val,
                 _EMPTY_I, _EMPTY_I, _EMPTY_I, _EMPTY_F)


def regroup(t: Terms, parent: np.ndarray, n: int) -> Terms:
    """Terms of child rows summed into their parent rows (a `sum` reduction)."""
    if t.nonlinear:
        return nonlinear(n)
    const = (np.bincount(parent, weights=t.const, minlength=n).astype(float)
             if np.count_nonzero(t.const) else np.zeros(n))
    return Terms(n, const, parent if t.one_per_row else parent[t.lin_row], t.lin_col,
                 t.lin_val, parent[t.quad_row], t.quad_col1, t.quad_col2, t.quad_val)


def embed(t: Terms, rows: np.ndarray, n: int) -> Terms:
    """Terms of a subset of rows placed back among n rows (others zero)."""
    if t.nonlinear:
        return nonlinear(n)
    const = np.zeros(n)
    const[rows] = t.const
    return Terms(n, const, rows[t.lin_row], t.lin_col, t.lin_val,
                 rows[t.quad_row], t.quad_col1, t.quad_col2, t.quad_val)


class Linearizer:
    """Builds `Terms` for expressions that mention variables.

    With a `Lowerer`, `abs`, `max` and `min` of affine expressions become
    auxiliary columns and rows; `push` tracks the direction each part of the
    expression is pushed in (+1 down, -1 up, 0 both), which decides whether a
    construct needs binaries. Without one they stay nonlinear, as the original
    model that torch and the checker read.
    """

    def __init__(self, evaluator: Evaluator, lowerer: Lowerer | None = None,
                 inner: bool = False) -> None:
        self.ev = evaluator
        self.var_names = set(evaluator.scope.variables)
        self.lowerer = lowerer
        # `plain` reads the factors of a product of variables (no lowering there); the
        # model as written, for the checker and torch, is `as_written`.
        self.plain = self if lowerer is None else Linearizer(evaluator, inner=True)
        self.as_written = self if lowerer is None else Linearizer(evaluator)
        self.inner = inner or lowerer is not None

    def has_vars(self, e: A.Expr) -> bool:
        return bool(A.names_in(e) & self.var_names)

    def terms(self, e: A.Expr, frame: Frame, push: float = 0.0) -> Terms:  # noqa: C901
        if not self.has_vars(e):
            return constant(self.ev.num(e, frame))
        n = frame.n
        if isinstance(e, A.Name):
            v = self.ev.scope.variables[e.name]
            return Terms(n, np.zeros(n), np.arange(n), np.full(n, v.offset, dtype=np.int64),
                         np.ones(n), _EMPTY_I, _EMPTY_I, _EMPTY_I, _EMPTY_F, one_per_row=True)
        if isinstance(e, A.Subscript):
            block = self.ev.scope.variables.get(e.name)
            if block is None:
                raise EvalError(f"`{e.name}` is not a variable", e.span)
            v = block
            self.ev._arity(e, v.arity, "variable", v.size)
            cols = [self.ev.key(i, frame) for i in e.indices]
            pos = self.ev.var_positions(e, v, cols, frame)
            return Terms(n, np.zeros(n), np.arange(n), v.offset + pos, np.ones(n),
                         _EMPTY_I, _EMPTY_I, _EMPTY_I, _EMPTY_F, one_per_row=True)
        if isinstance(e, A.Unary) and e.op == "-":
            return scale(self.terms(e.operand, frame, -push), np.full(n, -1.0))
        if isinstance(e, A.Binary):
            if e.op in ("+", "-"):
                sign = 1.0 if e.op == "+" else -1.0
                return add(self.terms(e.left, frame, push),
                           self.terms(e.right, frame, sign * push), sign)
            if e.op == "*":
                if self.has_vars(e.left) and self.has_vars(e.right):
                    return multiply(self.plain.terms(e.left, frame),
                                    self.plain.terms(e.right, frame),
                                    self.ev.scope.max_size, e.span)
                fixed, varying = ((e.left, e.right) if self.has_vars(e.right)
                                  else (e.right, e.left))
                factor = self.ev.num(fixed, frame)
                inner = self.terms(varying, frame, push * _sign(factor))
                _refuse_infinite(fixed, factor, inner)
                return scale(inner, factor)
            if e.op == "/" and not self.has_vars(e.right):
                with np.errstate(divide="ignore", invalid="ignore"):
                    # A zero divisor becomes an infinite coefficient, reported by name later.
                    inverse = 1.0 / self.ev.num(e.right, frame)
                inner = self.terms(e.left, frame, push * _sign(inverse))
                _refuse_infinite(e.right, inverse, inner, divisor=True)
                return scale(inner, inverse)
            if e.op == "^" and not self.has_vars(e.right):
                power = self.ev.num(e.right, frame)
                if np.all(power == 1):
                    return self.terms(e.left, frame, push)
                if np.all(power == 2):
                    base = self.plain.terms(e.left, frame)
                    return multiply(base, base, self.ev.scope.max_size, e.span)
            return self.opaque(e, frame)
        if isinstance(e, A.Reduction) and e.op == "sum":
            child, parent = self.ev.expand(frame, e.binders, e.filter)
            return regroup(self.terms(e.body, child, push), parent, n)
        if isinstance(e, A.Conditional):
            mask = self.ev.cond(e.cond, frame)
            yes, no = np.nonzero(mask)[0], np.nonzero(~mask)[0]
            return add(embed(self.terms(e.then, frame.take(yes), push), yes, n),
                       embed(self.terms(e.otherwise, frame.take(no), push), no, n))
        if self.lowerer is not None and _extremum(e):
            return self._extremum(e, frame, push)
        if self.lowerer is not None and isinstance(e, A.Call) and e.func == "pwl":
            arg = self.terms(e.args[0], frame)
            if arg.nonlinear or arg.quadratic:
                # pwl becomes linear rows over its argument, which must itself be linear
                raise EvalError("the argument of `pwl` is not linear in the variables; pwl "
                                "is lowered to linear rows over its argument", e.span,
                                "make the argument linear, or give it a variable of its own "
                                "(`v` with a row `link: v == ...`) and write pwl(v, ...)")
            xs, ys = self.ev.pwl_table(e, frame)
            return self.lowerer.pwl(arg, xs, ys, push, frame)
        return self.opaque(e, frame)

    def _extremum(self, e: A.Expr, frame: Frame, push: float) -> Terms:
        """`abs`, `max`, `min` of affine arguments, handed to the lowerer; opaque when an
        argument is not affine."""
        assert self.lowerer is not None
        word = e.func if isinstance(e, A.Call) else e.op  # type: ignore[attr-defined]
        # max and min are monotone in each argument, abs is not: only an epigraph passes
        # the direction on, a binary form needs its arguments exact.
        inner = push if word != "abs" and self.lowerer.epigraph(word, push) else 0.0
        if isinstance(e, A.Reduction):
            child, parent = self.ev.expand(frame, e.binders, e.filter)
            args = self.terms(e.body, child, inner)
        else:
            assert isinstance(e, A.Call)
            parts = [self.terms(a, frame, inner) for a in e.args]
            if any(p.nonlinear or p.quadratic for p in parts):
                return self.opaque(e, frame)
            args = stack(parts)
            parent = np.tile(np.arange(frame.n), len(parts))
        if args.nonlinear or args.quadratic:
            return self.opaque(e, frame)
        return self.lowerer.extremum(word, args, parent, frame.n, push,
                                     getattr(e, "span", None), frame)

    def opaque(self, e: A.Expr, frame: Frame) -> Terms:
        """A nonlinear part: no terms, but evaluated once at zero so that its indices and
        data are checked here, and every backend meets only models that ground."""
        scope = self.ev.scope
        pwl = _pwl_of_variables(e, self) if self.inner else None
        if pwl is not None:
            raise EvalError("`pwl` of variables can be added, scaled by numbers and "
                            "compared, but not used inside another function or product",
                            pwl.span, "give it a variable of its own, `v` with a row "
                            "`link: v == pwl(x, ...)`, and use `v` there")
        n_vars = sum(v.size for v in scope.variables.values())
        with np.errstate(all="ignore"):
            Evaluator(replace(scope, values=np.zeros(n_vars))).num(e, frame)
        self._refuse_infinite_constants(e, frame)
        return nonlinear(frame.n)

    def _refuse_infinite_constants(self, e: A.Expr, frame: Frame) -> None:
        """A constant operand of the nonlinear arithmetic that is not a finite number
        (`exp(x) * (1 / 0)`) is an error where it is written: SCIP called such a model
        infeasible. Reductions and conditionals are not entered (their constant parts
        have rows of their own)."""
        stack = [e]
        while stack:
            node = stack.pop()
            if isinstance(node, A.Binary) and node.op in _ARITHMETIC:
                children: list[A.Expr] = [node.left, node.right]
            elif isinstance(node, A.Unary) and node.op == "-":
                children = [node.operand]
            elif isinstance(node, A.Call) and node.func in _MATH:
                children = list(node.args)
            else:
                continue
            for child in children:
                if self.has_vars(child):
                    stack.append(child)
                    continue
                with np.errstate(all="ignore"):
                    values = self.ev.num(child, frame)
                    divisor = isinstance(node, A.Binary) and node.op == "/" and \
                        child is node.right
                    if divisor:
                        values = 1.0 / values  # a division by a constant 0 is by inf
                    _refuse_infinite(child, values, nonlinear(frame.n), divisor)


def _refuse_infinite(e: A.Expr, values: np.ndarray, of: Terms, divisor: bool = False
                     ) -> None:
    """A constant `e` that scales or enters a nonlinear part must be finite: a linear
    row's infinite coefficient is reported later by name, but a nonlinear one would
    reach the solver (SCIP called `exp(x) * (1 / 0)` infeasible)."""
    if not of.nonlinear or np.isfinite(values).all():
        return
    bad = values[~np.isfinite(values)][0]
    what = "a division by zero" if divisor else f"a constant of {bad}"
    raise EvalError(f"{what} (in some row) in a nonlinear expression, which no solver can "
                    "take", getattr(e, "span", None),
                    "check the data it is computed from (a division by zero, or a number "
                    "past 1.8e308)", kind="data")


_ARITHMETIC = frozenset({"+", "-", "*", "/", "^", "mod"})
_MATH = frozenset({"exp", "log", "sqrt", "sin", "cos", "tan", "abs", "min", "max", "floor",
                   "ceil"})


def _extremum(e: A.Expr) -> bool:
    if isinstance(e, A.Call):
        return e.func in ("abs", "max", "min") and (e.func != "abs" or len(e.args) == 1)
    return isinstance(e, A.Reduction) and e.op in ("max", "min")


def _sign(factor: np.ndarray) -> float:
    """The one sign of a row-wise factor, or 0 when the rows disagree (or it is 0)."""
    if len(factor) and bool(np.all(factor > 0)):
        return 1.0
    if len(factor) and bool(np.all(factor < 0)):
        return -1.0
    return 0.0



def _pwl_of_variables(e: A.Expr, lin: Linearizer) -> A.Call | None:
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, A.Call) and node.func == "pwl" and lin.has_vars(node.args[0]):
            return node
        stack.extend(A.children(node))
    return None

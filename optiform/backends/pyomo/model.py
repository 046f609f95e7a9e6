"""IR -> Pyomo ConcreteModel, block by block, without one rule call per term.

Each variable block becomes one `Var` indexed by its decoded keys. A linear
or quadratic constraint block goes straight from its COO `Terms` to one
`LinearExpression` per row (the documented fast path: monomials made by one
`map` over the block's sorted arrays, no operator overloading per term).
A nonlinear block is built from its declaration over its binding frame with
numpy object arrays: a subscript is one key lookup for every row, arithmetic
is one ufunc call over all rows, a `sum` groups the rows of its expanded
frame; only the Pyomo nodes themselves are made one by one. Parts without
variables are evaluated as numbers by the IR's own evaluator. Imports Pyomo
lazily: the module is cheap to import where Pyomo is absent.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np

from optiform.compiler.evaluate import EvalError, Evaluator, Scope
from optiform.compiler.instantiate import split_comparison
from optiform.compiler.ir import ConstraintBlock, Frame, Objective, Problem, Terms
from optiform.compiler.keys import SYMBOL_BASE, Universe
from optiform.diagnostics import Span
from optiform.dsl import ast as A

_TOL = 1e-9


_MAX_EXPONENT = 1000


class UnsupportedExpression(Exception):
    """An expression in variables that no Pyomo solver can take (`floor(x)`, `x mod 2`)."""


@dataclass
class PyomoModel:
    """A built model and the maps back to the IR's columns, rows and objectives."""

    model: Any  # pyomo ConcreteModel
    columns: list[Any]  # VarData in the IR's column order
    constraints: dict[str, list[Any]]  # block name -> ConstraintData per row (None: no terms)
    objectives: dict[str, Any]  # objective name -> Pyomo expression, in its own sense
    # rows no point can satisfy: no variables and bounds that exclude their value, or a
    # lower bound above the upper; left out of the model (Pyomo refuses them)
    impossible: list[tuple[str, int]] = field(default_factory=list)

    def impossible_rows(self, problem: Problem) -> list[str]:
        """The impossible rows named as the checker names them: `name[key]`."""
        blocks = {c.name: c for c in problem.constraints}
        out = []
        for name, row in self.impossible:
            key = problem.universe.format_key(blocks[name].keys[row])
            out.append(f"{name}[{key}]" if key else name)
        return out


def build(problem: Problem, *, scip: bool = False) -> PyomoModel:
    """The Pyomo model of a problem; `scip` picks the form of `abs` SCIP's interface reads."""
    import pyomo.environ as pyo
    from pyomo.common.gc_manager import PauseGC

    with PauseGC():  # millions of short-lived nodes: the cyclic collector only slows them
        return _Builder(problem, pyo, scip).build()


class _Builder:
    def __init__(self, problem: Problem, pyo: Any, scip: bool) -> None:
        self.problem = problem
        self.pyo = pyo
        self.m = pyo.ConcreteModel(name=problem.name)
        self.columns: list[Any] = []
        self.xo = np.empty(0, dtype=object)
        self.impossible: list[tuple[str, int]] = []
        self.expr: _Expressions | None = None
        self.scip = scip

    def build(self) -> PyomoModel:
        self._variables()
        self.expr = _Expressions(self.problem, self.xo, self.pyo, self.scip)
        constraints = {c.name: self._constraint(c) for c in self.problem.constraints}
        objectives = {o.name: self._objective(o) for o in self.problem.objectives}
        return PyomoModel(self.m, self.columns, constraints, objectives, self.impossible)

    def _name(self, name: str) -> str:
        """The model's own attributes (`name`, `solve`...) must not be shadowed."""
        while hasattr(self.m, name):
            name += "_"
        return name

    # ---- variables ------------------------------------------------------------------
    def _variables(self) -> None:
        pyo = self.pyo
        domains = {"continuous": pyo.Reals, "integer": pyo.Integers, "binary": pyo.Binary}
        for v in self.problem.variables:
            lower = [None if math.isinf(x) else x for x in v.lower.tolist()]
            upper = [None if math.isinf(x) else x for x in v.upper.tolist()]
            uniform = len(set(lower)) <= 1 and len(set(upper)) <= 1
            if v.arity == 0:
                comp = pyo.Var(domain=domains[v.domain], bounds=(lower[0], upper[0]))
            else:
                keys = decoded_keys(self.problem.universe, v.keys)
                bounds: Any = ((lower[0], upper[0]) if uniform and v.size else
                               dict(zip(keys, zip(lower, upper, strict=True), strict=True)))
                comp = pyo.Var(keys, domain=domains[v.domain], bounds=bounds)
            self.m.add_component(self._name(v.name), comp)
            data = list(comp.values())
            if v.init is not None:
                for var, value in zip(data, v.init.tolist(), strict=True):
                    var.set_value(value, skip_validation=True)
            self.columns.extend(data)
        self.xo = np.empty(len(self.columns), dtype=object)
        self.xo[:] = self.columns

    # ---- constraints ----------------------------------------------------------------
    def _constraint(self, c: ConstraintBlock) -> list[Any]:
        pyo = self.pyo
        assert self.expr is not None
        if c.terms.nonlinear:
            # The bounds are the IR's: constant sides as they are, otherwise the
            # difference of the sides against zero (as `instantiate` grounds them).
            lo_e, mid, hi_e = split_comparison(c.decl)
            body = self.expr.of(mid, c.frame)
            if not (lo_e is not None and hi_e is not None and not self.expr.has_vars(lo_e)
                    and not self.expr.has_vars(hi_e)):
                other = hi_e if hi_e is not None else lo_e
                assert other is not None
                body = body - self.expr.of(other, c.frame)
            bodies = body.tolist()
        else:
            bodies = self._rows(c.terms, self.xo)
        rows: list[Any] = []
        for i, (body_i, lo, hi) in enumerate(zip(bodies, c.lower.tolist(), c.upper.tolist(),
                                                 strict=True)):
            if not _has_variables(body_i) or lo > hi:
                value = 0.0 if _has_variables(body_i) else float(pyo.value(body_i))
                if lo > hi or lo - value > _TOL * max(1.0, abs(lo)) or \
                        value - hi > _TOL * max(1.0, abs(hi)):
                    self.impossible.append((c.name, i))
                rows.append(pyo.Constraint.Skip)
            elif lo == hi:
                rows.append(body_i == lo)
            elif math.isinf(lo):
                rows.append(body_i <= hi)
            elif math.isinf(hi):
                rows.append(body_i >= lo)
            else:
                rows.append((lo, body_i, hi))
        if c.keys.shape[1] == 0:
            comp = pyo.Constraint(rule=lambda _m: rows[0])
            self.m.add_component(self._name(c.name), comp)
            return [comp if comp.active and len(comp) else None]
        keys = decoded_keys(self.problem.universe, c.keys)
        lookup = dict(zip(keys, rows, strict=True))
        comp = pyo.Constraint(keys, rule=lambda _m, *k: lookup[k[0] if len(k) == 1 else k])
        self.m.add_component(self._name(c.name), comp)
        return [comp[k] if k in comp else None for k in keys]

    def _rows(self, t: Terms, xo: np.ndarray) -> list[Any]:
        """One expression per row from COO terms: a LinearExpression, plus products."""
        from pyomo.core.expr.numeric_expr import (
            LinearExpression,
            MonomialTermExpression,
            ProductExpression,
            SumExpression,
        )

        order = np.argsort(t.lin_row, kind="stable")
        starts = np.searchsorted(t.lin_row[order], np.arange(t.n + 1)).tolist()
        monomials = list(map(MonomialTermExpression,
                             zip(t.lin_val[order].tolist(), xo[t.lin_col[order]].tolist(),
                                 strict=True)))
        consts = t.const.tolist()
        # a row of linear terms only is the LinearExpression Pyomo builds for one itself
        node: Callable[[list[Any]], Any] = LinearExpression
        products: list[Any] = []
        q_starts = [0] * (t.n + 1)
        if t.quadratic:
            node = SumExpression
            q_order = np.argsort(t.quad_row, kind="stable")
            q_starts = np.searchsorted(t.quad_row[q_order], np.arange(t.n + 1)).tolist()
            # c*a*b as the node `(c*a)*b` that `c * a * b` would make, without the dispatch
            products = list(map(ProductExpression, zip(
                map(MonomialTermExpression, zip(t.quad_val[q_order].tolist(),
                                                xo[t.quad_col1[q_order]].tolist(),
                                                strict=True)),
                xo[t.quad_col2[q_order]].tolist(), strict=True)))
        out = []
        for i in range(t.n):
            args = monomials[starts[i]:starts[i + 1]]
            if products:
                args += products[q_starts[i]:q_starts[i + 1]]
            if not args:
                out.append(consts[i])
                continue
            if consts[i]:
                args.insert(0, consts[i])
            out.append(node(args))
        return out

    # ---- objectives -----------------------------------------------------------------
    def _objective(self, o: Objective) -> Any:
        assert self.expr is not None
        if o.terms.nonlinear:
            return self.expr.of(o.decl.expr, Frame.scalar())[0]
        return self._rows(o.terms, self.xo)[0]


def _has_variables(e: Any) -> bool:
    return not isinstance(e, (int, float)) and bool(e.is_potentially_variable())


def decoded_keys(universe: Universe, keys: np.ndarray) -> list[Any]:
    """Key rows as Pyomo indices: a member for one position, a tuple for several."""
    symbols = np.array(universe.symbols + [""], dtype=object)
    columns = []
    for p in range(keys.shape[1]):
        codes = keys[:, p]
        col = codes.astype(object)
        is_symbol = codes >= SYMBOL_BASE
        if is_symbol.any():
            col[is_symbol] = symbols[codes[is_symbol] - SYMBOL_BASE]
        columns.append(col.tolist())
    if len(columns) == 1:
        return columns[0]
    return list(zip(*columns, strict=True))


# ---- nonlinear expressions -------------------------------------------------------------

class _Expressions:
    """Pyomo expressions of an AST over a frame: an object array with one per row."""

    def __init__(self, problem: Problem, xo: np.ndarray, pyo: Any, scip: bool) -> None:
        from pyomo.core.expr.numeric_expr import UnaryFunctionExpression

        variables = {v.name: v for v in problem.variables}
        scope = Scope(problem.universe, problem.sets, problem.params, variables, None,
                      declared={*problem.sets, *problem.params, *variables})
        self.ev = Evaluator(scope)
        self.variables = variables
        self.xo = xo
        if scip:
            # Pyomo's SCIP interface reads `abs` only as a plain unary function node; its
            # NL writer reads only the AbsExpression that Python's abs() makes.
            def _abs(e: Any) -> Any:
                if isinstance(e, (int, float)):
                    return builtins.abs(e)
                return UnaryFunctionExpression((e,), "abs", builtins.abs)
            self.abs: Callable[[Any], Any] = _abs
        else:
            self.abs = builtins.abs
        self.unary: dict[str, Callable[[Any], Any]] = {
            "exp": pyo.exp, "log": pyo.log, "sqrt": pyo.sqrt, "sin": pyo.sin, "cos": pyo.cos,
            "abs": self.abs,
        }

    def has_vars(self, e: A.Expr) -> bool:
        return bool(A.names_in(e) & self.variables.keys())

    def of(self, e: A.Expr, frame: Frame) -> np.ndarray:  # noqa: C901
        if not self.has_vars(e):
            return self.ev.num(e, frame)
        n = frame.n
        if isinstance(e, A.Name):
            return np.full(n, self.xo[self.variables[e.name].offset], dtype=object)
        if isinstance(e, A.Subscript):
            v = self.variables[e.name]
            cols = [self.ev.key(i, frame) for i in e.indices]
            return self.xo[v.offset + self.ev.var_positions(e, v, cols)]
        if isinstance(e, A.Unary) and e.op == "-":
            return -self.of(e.operand, frame)
        if isinstance(e, A.Binary) and e.op in _ARITH:
            right = self.of(e.right, frame)
            if e.op == "/" and right.dtype != object and not np.all(right):
                raise EvalError("division by zero", e.span,
                                "the divisor is a constant 0 in some row; filter those rows")
            left = self.of(e.left, frame)
            if e.op == "^" and right.dtype != object and left.dtype == object and (
                    np.abs(right.astype(float)).max(initial=0) > _MAX_EXPONENT):
                # Pyomo's SCIP interface expands x^k term by term before SCIP starts, where
                # no time limit applies: x^100000 would hang the solve.
                raise EvalError(f"an exponent of {np.abs(right.astype(float)).max():g} on a "
                                f"variable is past what a solver can take "
                                f"(at most {_MAX_EXPONENT})", e.span,
                                "rescale the model, or take the logarithm of both sides")
            try:
                return _arith(e.op, left, right)
            except (OverflowError, ValueError, ZeroDivisionError) as exc:
                raise _constant_error(f"`{e.op}` of constants", exc, e.span) from None
        if isinstance(e, A.Conditional):
            mask = self.ev.cond(e.cond, frame)
            out = np.empty(n, dtype=object)
            yes, no = np.nonzero(mask)[0], np.nonzero(~mask)[0]
            if len(yes):
                out[yes] = self.of(e.then, frame.take(yes))
            if len(no):
                out[no] = self.of(e.otherwise, frame.take(no))
            return out
        if isinstance(e, A.Reduction):
            child, parent = self.ev.expand(frame, e.binders, e.filter)
            return self._reduce(e.op, self.of(e.body, child), parent, n)
        if isinstance(e, A.Call) and e.func in ("min", "max"):
            pair = _min2 if e.func == "min" else _max2
            args = [self.of(a, frame) for a in e.args]
            rows = zip(*args, strict=True)
            return _objects([_fold(list(items), pair, self.abs) for items in rows])
        if isinstance(e, A.Call) and e.func in self.unary:
            arg = self.of(e.args[0], frame)
            try:
                return np.frompyfunc(self.unary[e.func], 1, 1)(arg)
            except (OverflowError, ValueError) as exc:
                raise _constant_error(f"`{e.func}` of a constant", exc, e.span) from None
        what = f"`{e.func}`" if isinstance(e, A.Call) else (
            f"`{e.op}`" if isinstance(e, A.Binary) else "this expression")
        span = getattr(e, "span", None)
        where = f"{span}: " if span else ""
        raise UnsupportedExpression(
            f"{where}{what} of an expression in variables cannot be passed to a solver; "
            "solvers take + - * / ^, sums, products, abs, exp, log, sqrt, sin, cos, min "
            "and max")

    def _reduce(self, op: str, body: np.ndarray, parent: np.ndarray, n: int) -> np.ndarray:
        from pyomo.core.expr.numeric_expr import SumExpression

        order = np.argsort(parent, kind="stable")
        bounds = np.searchsorted(parent[order], np.arange(n + 1)).tolist()
        items = body[order].tolist()
        groups = [items[bounds[i]:bounds[i + 1]] for i in range(n)]
        if op == "sum":
            # One n-ary node per row, as quicksum would make, without n dispatched `+=`.
            rows = [SumExpression(g) if len(g) > 1 else g[0] if g else 0.0 for g in groups]
        elif op == "prod":
            rows = [reduce(operator.mul, g, 1.0) for g in groups]
        else:
            pair = _min2 if op == "min" else _max2
            empty = math.inf if op == "min" else -math.inf
            rows = [_fold(g, pair, self.abs) if g else empty for g in groups]
        return _objects(rows)


def _objects(items: list[Any]) -> np.ndarray:
    """A 1-d object array of Pyomo nodes (np.array could try to look inside them)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _min2(a: Any, b: Any, abs_: Callable[[Any], Any]) -> Any:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return builtins.min(a, b)
    return (a + b - abs_(a - b)) / 2


def _max2(a: Any, b: Any, abs_: Callable[[Any], Any]) -> Any:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return builtins.max(a, b)
    return (a + b + abs_(a - b)) / 2


def _fold(items: list[Any], pair: Callable[[Any, Any, Callable[[Any], Any]], Any],
          abs_: Callable[[Any], Any]) -> Any:
    """min or max of many as a balanced tree of pairs (depth log2 of the count)."""
    while len(items) > 1:
        items = [pair(items[i], items[i + 1], abs_) if i + 1 < len(items) else items[i]
                 for i in range(0, len(items), 2)]
    return items[0]


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
}


def _constant_error(what: str, exc: Exception, span: Span | None) -> EvalError:
    """A conditional's constant branch, in some row, met Python's math in a function or
    an operator: too large (OverflowError) or outside the domain (ValueError)."""
    problem = ("too large for a number" if isinstance(exc, OverflowError) else
               "a division by zero" if isinstance(exc, ZeroDivisionError) else
               "outside its domain")
    return EvalError(f"{what} in some row is {problem}", span,
                     "check the constant branch of the expression")


def _arith(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a op b` row by row: Pyomo nodes made directly where the operands' kinds are known.

    A power with a constant exponent, or a product with a constant, of nodes
    (an object array without numbers) is made as the node Pyomo's operator
    would make, without its type dispatch, which costs more than the node;
    everything else goes through the operators.
    """
    from pyomo.core.expr.numeric_expr import PowExpression, ProductExpression

    numbers_a, numbers_b = a.dtype != object, b.dtype != object
    left, right = a.tolist(), b.tolist()
    if not (numbers_a or _all_nodes(left)) or not (numbers_b or _all_nodes(right)):
        out = _ARITH[op](a, b)  # some rows hold plain numbers: a conditional's constant
        if op == "^" and complex in set(map(type, out.tolist())):
            raise ValueError("a negative number to a fractional power")
        return out
    if op == "^" and numbers_b:
        return _objects(list(map(PowExpression, zip(left, right, strict=True))))
    if op == "*" and (numbers_a or numbers_b):
        pairs = zip(right, left, strict=True) if numbers_b else zip(left, right, strict=True)
        return _objects(list(map(ProductExpression, pairs)))
    return _ARITH[op](a, b)  # sums keep Pyomo's own flattening, which its writers read fast


def _all_nodes(items: list[Any]) -> bool:
    """No plain number among the items (their types, gathered at C speed)."""
    return not any(issubclass(t, (int, float)) for t in set(map(type, items)))

"""The IR's own evaluator: expressions over frames of bindings, vectorised.

One call evaluates an expression for every row of a `Frame` at once: a
reduction expands the frame by its binders (a cross join, or a per-row range
for `1..t`), masks it by its filter, evaluates its body and groups back with
`bincount`; a subscript is one `KeyIndex` lookup, or arithmetic on positions
when the frame and the block are products of the same sets (`shortcut`).
Given variable values it evaluates constraints too, which is how the checker
re-reads a solution without trusting the backend. Imports nothing from backends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optiform.compiler import ordered, piecewise
from optiform.compiler.errors import EvalError
from optiform.compiler.ir import Factor, Frame, ParamValue, SetValue, VariableBlock
from optiform.compiler.keys import (
    SYMBOL_BASE,
    KeyIndex,
    Universe,
    product_positions,
    unique_sorted,
)
from optiform.diagnostics import Span, suggest
from optiform.dsl import ast as A
from optiform.dsl.printer import format_expr

UNARY_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin,
    "cos": np.cos, "floor": np.floor, "ceil": np.ceil, "round": np.round,
}
ARITH: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
    "mod": np.mod, "^": np.power,
}
COMPARE: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<=": np.less_equal, ">=": np.greater_equal, "==": np.equal,
    "!=": np.not_equal, "<": np.less, ">": np.greater,
}


_CONDITIONS = {*COMPARE, "and", "or", "in"}

# About 20 arrays of this many 8-byte entries fit comfortably in a few GB.
DEFAULT_MAX_SIZE = 50_000_000

# Positions by arithmetic over product frames; off, every subscript looks its keys up
# (the tests compare the two).
PRODUCT_SHORTCUT = True


@dataclass
class Scope:
    """What names mean while grounding: the data so far and the variables."""

    universe: Universe
    sets: dict[str, SetValue] = field(default_factory=dict)
    params: dict[str, ParamValue] = field(default_factory=dict)
    variables: dict[str, VariableBlock] = field(default_factory=dict)
    values: np.ndarray | None = None  # variable values, for the checker
    declared: set[str] = field(default_factory=set)
    max_size: int = DEFAULT_MAX_SIZE  # rows one expansion may create


def too_big(total: int, limit: int, span: Span | None, what: str) -> EvalError:
    return EvalError(f"{what} would create {total:,} rows, above the limit of {limit:,}",
                     span, "restrict it with a filter, or raise the limit with --max-size "
                     "(max_size= in Python) if the machine has the memory")


def _span(e: object) -> Span | None:
    return getattr(e, "span", None)


class Evaluator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    # ---- numbers -------------------------------------------------------------
    def num(self, e: A.Expr, frame: Frame) -> np.ndarray:  # noqa: C901
        n = frame.n
        if isinstance(e, A.Number):
            return np.full(n, float(e.value))
        if isinstance(e, A.Name):
            return self._name_num(e, frame)
        if isinstance(e, A.Subscript):
            return self.subscript(e, frame)
        if isinstance(e, A.Unary):
            if e.op == "-":
                return -self.num(e.operand, frame)
            return (~self.cond(e.operand, frame)).astype(float)
        if isinstance(e, A.Binary):
            if e.op in ARITH:
                left, right = self.num(e.left, frame), self.num(e.right, frame)
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    return ARITH[e.op](left, right)
            if e.op in _CONDITIONS:
                return self.cond(e, frame).astype(float)
            raise EvalError(f"`{e.op}` makes a set, not a number", e.span,
                            "use `card(...)` for the size of a set")
        if isinstance(e, A.Conditional):
            return self.choose(e, frame, self.num)
        if isinstance(e, A.Reduction):
            return self.reduce(e, frame)
        if isinstance(e, A.Call):
            return self.call(e, frame)
        if isinstance(e, A.Symbol):
            raise EvalError(f'the symbol "{e.text}" is used as a number', e.span)
        raise EvalError("this expression is not a number", _span(e),
                        "sets, lists and dictionaries are data for declarations only")

    def _name_num(self, e: A.Name, frame: Frame) -> np.ndarray:
        s = self.scope
        if e.name in frame.columns:
            codes = frame.columns[e.name]
            if codes.size and codes.max() >= SYMBOL_BASE:
                raise EvalError(f"index `{e.name}` takes symbols, not numbers, here",
                                e.span, "arithmetic needs an integer index set such as 1..n")
            return codes.astype(float)
        if e.name in s.params:
            p = s.params[e.name]
            return np.full(frame.n, float(p.values[0]) if len(p.values) else np.nan)
        if e.name in s.variables:
            v = s.variables[e.name]
            if s.values is None:
                raise EvalError(f"variable `{e.name}` has no value here", e.span)
            return np.full(frame.n, float(s.values[v.offset]))
        if e.name in s.sets:
            raise EvalError(f"set `{e.name}` used as a number", e.span,
                            f"use `card({e.name})` for its size")
        raise EvalError(f"`{e.name}` is a symbol, not a number", e.span)

    def subscript(self, e: A.Subscript, frame: Frame) -> np.ndarray:
        s = self.scope
        cols = [self.key(i, frame) for i in e.indices]
        if e.name in s.params:
            p = s.params[e.name]
            self._arity(e, p.arity, "parameter", len(p.keys) if p.default is None else None)
            fast = self.shortcut(e, p.factors, frame) if p.arity else None
            if fast is not None:  # every key present: no defaults, no missing entries
                return p.values[fast]
            if not p.arity:
                pos = np.zeros(frame.n, dtype=np.int64)
            elif len(p.keys) == 0:
                pos = np.full(frame.n, -1, dtype=np.int64)
            else:
                pos = p.index.lookup(cols)
            missing = pos < 0
            out = np.where(missing, 0.0, p.values[np.maximum(pos, 0)] if len(p.values)
                           else 0.0)
            if missing.any():
                if p.domain is not None and p.domain.arity == len(cols):
                    outside = missing & (p.domain.lookup(cols) < 0)
                    if outside.any():
                        raise EvalError(
                            f"`{e.name}[{self._first_key(cols, outside)}]` is outside the "
                            f"index of `{e.name}` ({p.domain_text})", e.span,
                            self._index_hint(e))
                if p.default is None:
                    raise EvalError(
                        f"`{e.name}` has no value for ({self._first_key(cols, missing)})",
                        e.span, f"add the entry, or give `{e.name}` a `default`", kind="data")
                out = np.where(missing, p.default, out)
            return out
        v = s.variables[e.name]
        self._arity(e, v.arity, "variable", v.size)
        pos = self.var_positions(e, v, cols, frame)
        if s.values is None:
            raise EvalError(f"variable `{e.name}` has no value here", e.span)
        return s.values[v.offset + pos]

    def var_positions(self, e: A.Subscript, v: VariableBlock, cols: list[np.ndarray],
                      frame: Frame | None = None) -> np.ndarray:
        fast = self.shortcut(e, v.factors, frame) if frame is not None else None
        if fast is not None:
            return fast
        if v.size == 0:  # an empty block: any key is outside it, and any arity goes
            pos = np.full(frame_size(cols), -1, dtype=np.int64)
        else:
            pos = v.index.lookup(cols)
        missing = pos < 0
        if missing.any():
            key = self._first_key(cols, missing)
            raise EvalError(
                f"`{e.name}[{key}]` is outside the index of `{e.name}` ({v.domain_text})",
                e.span, self._index_hint(e))
        return pos

    def shortcut(self, e: A.Subscript, factors: tuple[SetValue, ...] | None,
                 frame: Frame) -> np.ndarray | None:
        """Positions of `e`'s keys in a block whose keys are the product of `factors`, by
        arithmetic, when each factor is indexed by the names bound to the same set in a
        product frame (`cost[i, j]` over `i in I, j in J`); None when that does not hold."""
        product = frame.product
        if not (PRODUCT_SHORTCUT and factors and product):
            return None
        bound: dict[str, tuple[int, int]] = {}
        for axis, f in enumerate(product):
            for p, nm in enumerate(f.names):
                bound[nm] = (axis, p)  # a later binder of the same name hides the earlier
        axes: list[int] = []
        k = 0
        for s in factors:
            names = [i.name if isinstance(i, A.Name) else "" for i in e.indices[k:k + s.arity]]
            k += s.arity
            axis = bound.get(names[0], (-1, 0))[0] if names else -1
            if axis < 0 or [bound.get(nm) for nm in names] != [(axis, p) for p in
                                                                range(s.arity)]:
                return None
            if not _same_set(product[axis].set, s):
                return None
            axes.append(axis)
        shape = [len(f.set) for f in product]
        if k != len(e.indices) or math.prod(shape) != frame.n:
            return None
        sizes = [len(s) for s in factors]
        strides = [math.prod(sizes[u + 1:]) for u in range(len(sizes))]
        return product_positions(shape, axes, strides)

    @staticmethod
    def _index_hint(e: A.Subscript) -> str:
        if any(isinstance(i, A.Binary) for i in e.indices):
            return "restrict the constraint or sum with a filter, e.g. `: t > 1`"
        return "check the spelling of the index, and the members of its set"

    def _arity(self, e: A.Subscript, arity: int, kind: str, size: int | None = None) -> None:
        if len(e.indices) != arity and size != 0:  # an empty block takes any key
            raise EvalError(f"{kind} `{e.name}` takes {arity} "
                            f"ind{'ex' if arity == 1 else 'ices'}, not {len(e.indices)}",
                            e.span)

    def _first_key(self, cols: list[np.ndarray], mask: np.ndarray) -> str:
        row = int(np.nonzero(mask)[0][0])
        return self.scope.universe.format_key(tuple(int(c[row]) for c in cols))

    def choose(self, e: A.Conditional, frame: Frame,
               branch: Callable[[A.Expr, Frame], np.ndarray]) -> np.ndarray:
        mask = self.cond(e.cond, frame)
        out = np.empty(frame.n)
        yes, no = np.nonzero(mask)[0], np.nonzero(~mask)[0]
        if len(yes):
            out[yes] = branch(e.then, frame.take(yes))
        if len(no):
            out[no] = branch(e.otherwise, frame.take(no))
        return out

    def reduce(self, e: A.Reduction, frame: Frame) -> np.ndarray:
        child, parent = self.expand(frame, e.binders, e.filter)
        body = self.num(e.body, child)
        n = frame.n
        if e.op == "sum":
            return np.bincount(parent, weights=body, minlength=n).astype(float)
        start = {"prod": 1.0, "min": np.inf, "max": -np.inf}[e.op]
        ufunc = {"prod": np.multiply, "min": np.minimum, "max": np.maximum}[e.op]
        out = np.full(n, start)
        ufunc.at(out, parent, body)
        return out

    def call(self, e: A.Call, frame: Frame) -> np.ndarray:
        if e.func == "card":
            return np.full(frame.n, float(len(self.set(e.args[0]))))
        if e.func == "pwl":
            xs, ys = self.pwl_table(e, frame)
            return piecewise.interpolate(self.num(e.args[0], frame), xs, ys)
        if e.func == "ord":
            return ordered.order(self, e, frame)
        if e.func in ordered.MEMBER_FUNCS:
            codes = ordered.members(self, e, frame)
            if codes.size and codes.max() >= SYMBOL_BASE:
                raise EvalError(f"`{format_expr(e)}` is a symbol, not a number, here", e.span,
                                "compare members with `==` or `!=`, or positions with "
                                "`ord(...)`")
            return codes.astype(float)
        args = [self.num(a, frame) for a in e.args]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if e.func in ("min", "max"):
                fn = np.minimum if e.func == "min" else np.maximum
                out = args[0]
                for a in args[1:]:
                    out = fn(out, a)
                return out
            return UNARY_FUNCS[e.func](args[0])

    def pwl_table(self, e: A.Call, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """The breakpoints and values of `pwl(e, [x...], [y...])`, one row per frame row."""
        xs_e, ys_e = e.args[1], e.args[2]
        for lst, what in ((xs_e, "breakpoints"), (ys_e, "values")):
            if not isinstance(lst, A.ListLiteral):
                raise EvalError(f"the {what} of `pwl` must be a list `[...]`", _span(lst),
                                "e.g. `pwl(x, [0, 10, 20], [0, 5, 8])`")
        assert isinstance(xs_e, A.ListLiteral) and isinstance(ys_e, A.ListLiteral)
        if len(xs_e.items) != len(ys_e.items):
            raise EvalError(f"`pwl` has {len(xs_e.items)} breakpoints but "
                            f"{len(ys_e.items)} values", e.span,
                            "give one value per breakpoint")
        if len(xs_e.items) < 2:
            raise EvalError("`pwl` needs at least two breakpoints", e.span)
        xs = np.stack([self.num(i, frame) for i in xs_e.items], axis=1)
        ys = np.stack([self.num(i, frame) for i in ys_e.items], axis=1)
        for table, what in ((xs, "breakpoint"), (ys, "value")):
            if not np.all(np.isfinite(table)):
                raise EvalError(f"a {what} of `pwl` is not a finite number", e.span)
        bad = piecewise.first_not_increasing(xs)
        if bad is not None:
            row, k = bad
            raise EvalError(f"the breakpoints of `pwl` must increase strictly, but "
                            f"{xs[row, k - 1]:g} is followed by {xs[row, k]:g}",
                            _span(xs_e.items[k]), "list the breakpoints from left to right")
        return xs, ys

    # ---- keys and conditions ------------------------------------------------
    def key(self, e: A.Expr, frame: Frame) -> np.ndarray:
        """Codes of an index position: a bound index, a symbol, or integer arithmetic."""
        s = self.scope
        if isinstance(e, A.Name):
            if e.name in frame.columns:
                return frame.columns[e.name]
            if e.name in s.params and s.params[e.name].arity == 0:
                return self._integral(self.num(e, frame), e)
            if e.name in s.sets:
                raise EvalError(f"`{e.name}` cannot be used as an index value", e.span,
                                f"a subscript takes one member; to go over every member "
                                f"of `{e.name}`, bind a name to it in the declaration's "
                                f"index and use that name, as in `x[p in {e.name}] ... "
                                f"[p]`")
            if e.name in s.variables:
                raise EvalError(f"`{e.name}` cannot be used as an index value", e.span)
            return np.full(frame.n, s.universe.encode(e.name), dtype=np.int64)
        if isinstance(e, A.Symbol):
            return np.full(frame.n, s.universe.encode(e.text), dtype=np.int64)
        if isinstance(e, A.Call) and e.func in ordered.MEMBER_FUNCS:
            return ordered.members(self, e, frame)
        return self._integral(self.num(e, frame), e)

    def _integral(self, values: np.ndarray, e: A.Expr) -> np.ndarray:
        rounded = np.round(values)
        if not np.all(np.isfinite(values)) or np.any(np.abs(values - rounded) > 1e-9):
            raise EvalError("an index must be an integer or a symbol", _span(e))
        if np.any(np.abs(rounded) >= SYMBOL_BASE):
            raise EvalError(f"an integer member must be smaller than {SYMBOL_BASE:,} in "
                            "magnitude", _span(e), "use a symbol (a name) for such a key")
        return rounded.astype(np.int64)

    def _literal_symbol(self, e: A.Expr, frame: Frame) -> str | None:
        """The text of a symbol written in an expression (`bread`, `"bread"`), if it is one."""
        if isinstance(e, A.Symbol):
            return e.text
        if isinstance(e, A.Name) and e.name not in self.scope.declared \
                and e.name not in frame.columns:
            return e.name
        return None

    def _symbol_index(self, e: A.Expr, frame: Frame) -> bool:
        if isinstance(e, A.Call) and e.func in ordered.MEMBER_FUNCS:
            codes = ordered.members(self, e, frame)
        elif isinstance(e, A.Name) and e.name in frame.columns:
            codes = frame.columns[e.name]
        else:
            return False
        return bool(codes.size) and bool(codes.max() >= SYMBOL_BASE)

    def _check_member(self, text: str, e: A.Expr) -> None:
        """A symbol in a comparison must be a member of some set, or it is a typo."""
        code = self.scope.universe.encode(text)
        if any(bool(np.any(s.codes == code)) for s in self.scope.sets.values()):
            return
        names = [*self.scope.declared, *self.scope.universe.symbols]
        raise EvalError(f"`{text}` is neither declared nor a member of any set", _span(e),
                        suggest(text, [n for n in names if n != text])
                        or "declare it, or check its spelling")

    def compare(self, e: A.Binary, frame: Frame) -> np.ndarray:
        symbols = []
        for side in (e.left, e.right):
            text = self._literal_symbol(side, frame)
            if text is not None:
                self._check_member(text, side)
                symbols.append(text)
        keyed = symbols or self._symbol_index(e.left, frame) or self._symbol_index(e.right,
                                                                                  frame)
        if keyed:
            if e.op not in ("==", "!="):
                raise EvalError(f"symbols have no order: `{e.op}` compares numbers only",
                                e.span, "use `==` or `!=` with symbols")
            return COMPARE[e.op](self.key(e.left, frame), self.key(e.right, frame))
        return COMPARE[e.op](self.num(e.left, frame), self.num(e.right, frame))

    def cond(self, e: A.Expr, frame: Frame) -> np.ndarray:
        if isinstance(e, A.Binary):
            if e.op in COMPARE:
                return self.compare(e, frame)
            if e.op == "and":
                return self.cond(e.left, frame) & self.cond(e.right, frame)
            if e.op == "or":
                return self.cond(e.left, frame) | self.cond(e.right, frame)
            if e.op == "in":
                items = e.left.items if isinstance(e.left, A.TupleExpr) else (e.left,)
                target = self.set(e.right)
                if len(target) == 0:
                    return np.zeros(frame.n, dtype=bool)
                if target.arity != len(items):
                    raise EvalError(f"a {len(items)}-tuple is tested against a set of "
                                    f"{target.arity}-tuples", e.span)
                return target.index.lookup([self.key(i, frame) for i in items]) >= 0
        if isinstance(e, A.Unary) and e.op == "not":
            return ~self.cond(e.operand, frame)
        if isinstance(e, A.Binary) and e.op not in ARITH:
            raise EvalError(f"`{e.op}` makes a set, not a condition", e.span)
        return self.num(e, frame) != 0

    # ---- sets ------------------------------------------------------------------
    def set(self, e: A.Expr, name: str = "") -> SetValue:  # noqa: C901
        """A set expression that does not depend on any bound index."""
        s = self.scope
        scalar = Frame.scalar()
        if isinstance(e, A.Name):
            if e.name in s.sets:
                return s.sets[e.name]
            raise EvalError(f"`{e.name}` is not a set", e.span)
        if isinstance(e, A.Binary) and e.op == "..":
            lo = self._integral(self.num(e.left, scalar), e.left)[0]
            hi = self._integral(self.num(e.right, scalar), e.right)[0]
            if hi - lo + 1 > self.scope.max_size:
                raise too_big(int(hi - lo + 1), self.scope.max_size, e.span, "this range")
            return SetValue(name, np.arange(lo, hi + 1, dtype=np.int64)[:, None])
        if isinstance(e, A.Binary) and e.op in ("union", "inter", "diff", "*"):
            a, b = self.set(e.left), self.set(e.right)
            if e.op == "*":
                if len(a) * len(b) > self.scope.max_size:
                    raise too_big(len(a) * len(b), self.scope.max_size, e.span,
                                  "this product of sets")
                left = np.repeat(a.codes, len(b), axis=0)
                right = np.tile(b.codes, (len(a), 1))
                return SetValue(name, np.hstack([left, right]))
            if len(a) == 0 and a.arity != b.arity:
                a = SetValue(a.name, np.zeros((0, b.arity), dtype=np.int64))
            if len(b) == 0 and a.arity != b.arity:
                b = SetValue(b.name, np.zeros((0, a.arity), dtype=np.int64))
            if a.arity != b.arity:
                raise EvalError(f"`{e.op}` of sets with {a.arity}- and {b.arity}-tuples",
                                e.span)
            inside = b.index.lookup([a.codes[:, c] for c in range(a.arity)]) >= 0
            if e.op == "inter":
                return SetValue(name, a.codes[inside])
            if e.op == "diff":
                return SetValue(name, a.codes[~inside])
            extra = a.index.lookup([b.codes[:, c] for c in range(b.arity)]) < 0
            return SetValue(name, np.vstack([a.codes, b.codes[extra]]))
        if isinstance(e, A.SetLiteral):
            rows = []
            for item in e.items:
                parts = item.items if isinstance(item, A.TupleExpr) else (item,)
                rows.append([int(self.key(p, scalar)[0]) for p in parts])
            if len({len(r) for r in rows}) > 1:
                raise EvalError("the members of a set have different numbers of positions",
                                e.span)
            codes = np.array(rows, dtype=np.int64).reshape(len(rows), len(rows[0]) if rows
                                                            else 1)
            return SetValue(name, _dedupe(codes))
        if isinstance(e, A.Comprehension):
            child, _ = self.expand(scalar, e.binders, e.filter)
            names = [n for b in e.binders for n in (b.names or ())]
            codes = np.stack([child.columns[n] for n in names], axis=1)
            return SetValue(name, _dedupe(codes))
        raise EvalError("expected a set here", _span(e),
                        "a set is a name, `a..b`, `{...}`, or a set operation")

    # ---- binders ---------------------------------------------------------------
    def expand(self, frame: Frame, binders: tuple[A.Binder, ...],
               flt: A.Expr | None, hidden: str = "#") -> tuple[Frame, np.ndarray]:
        """Cross the frame with each binder's set, then keep the rows the filter allows."""
        parent = np.arange(frame.n)
        current = frame
        for b_i, b in enumerate(binders):
            rep, members, arity, whole = self._members(b, current)
            if b.names and len(b.names) != arity and len(members) == 0:
                # `{}` and `[]` have no arity of their own: they bind any tuple.
                members, arity = np.zeros((0, len(b.names)), dtype=np.int64), len(b.names)
            names = b.names or tuple(f"{hidden}{b_i}.{p}" for p in range(arity))
            if len(names) != arity:
                raise EvalError(
                    f"{len(names)} name{'s' if len(names) > 1 else ''} bound to a set of "
                    f"{arity}-tuples", b.span,
                    "bind one name per position, e.g. `(i, j) in ARCS`")
            product = None
            if whole is not None:  # each row once per member: a repeat, not a gather
                m = len(whole)
                columns = {k: np.repeat(v, m) for k, v in current.columns.items()}
                parent = np.repeat(parent, m)
                if current.product is not None and whole.arity == arity:
                    product = (*current.product, Factor(whole, names))
            else:
                assert rep is not None
                columns = {k: v[rep] for k, v in current.columns.items()}
                parent = parent[rep]
            for p, nm in enumerate(names):
                columns[nm] = members[:, p]
            origins = {k: v for k, v in current.origins.items() if k not in names}
            if whole is not None and whole.arity == 1 and b.names:
                origins[names[0]] = whole
            current = Frame(len(members), columns, product, origins)
        if flt is not None:
            keep = np.nonzero(self.cond(flt, current))[0]
            current, parent = current.take(keep), parent[keep]
        return current, parent

    def _members(self, b: A.Binder,
                 frame: Frame) -> tuple[np.ndarray | None, np.ndarray, int, SetValue | None]:
        """Rows of the frame repeated once per member, and the member codes; for a set
        that does not depend on the frame, no repeat but the set itself."""
        free = A.names_in(b.set) & frame.columns.keys()
        if not free:
            s = self.set(b.set)
            m = len(s)
            if frame.n * m > self.scope.max_size:
                raise too_big(frame.n * m, self.scope.max_size, b.span, "this index")
            return None, np.tile(s.codes, (frame.n, 1)), s.arity, s
        if isinstance(b.set, A.Binary) and b.set.op == "..":
            lo = self._integral(self.num(b.set.left, frame), b.set.left)
            hi = self._integral(self.num(b.set.right, frame), b.set.right)
            counts = np.maximum(hi - lo + 1, 0)
            if int(counts.sum()) > self.scope.max_size:
                raise too_big(int(counts.sum()), self.scope.max_size, b.span, "this index")
            rep = np.repeat(np.arange(frame.n), counts)
            starts = np.cumsum(counts) - counts
            offsets = np.arange(len(rep)) - np.repeat(starts, counts)
            return rep, (lo[rep] + offsets)[:, None], 1, None
        raise EvalError("this set depends on an enclosing index", _span(b.set),
                        "only ranges such as `1..t` may depend on an outer index; "
                        "otherwise write a filter, e.g. `j in J : j <= t`")

    def block_keys(self, frame: Frame, index: A.Index | None,
                   hidden: str = "#") -> np.ndarray:
        """The key rows (n x arity) of a declaration's index over its frame."""
        if index is None:
            return np.zeros((frame.n, 0), dtype=np.int64)
        cols: list[np.ndarray] = []
        for b_i, b in enumerate(index.binders):
            if b.names:
                cols.extend(frame.columns[nm] for nm in b.names)
            else:
                p = 0
                while f"{hidden}{b_i}.{p}" in frame.columns:
                    cols.append(frame.columns[f"{hidden}{b_i}.{p}"])
                    p += 1
        return np.stack(cols, axis=1) if cols else np.zeros((frame.n, 0), dtype=np.int64)

    def block_uniques(self, index: A.Index | None) -> list[np.ndarray] | None:
        """Sorted members of the set behind each key position, when the sets are static."""
        if index is None:
            return None
        out: list[np.ndarray] = []
        for b in index.binders:
            if A.names_in(b.set) & {n for b2 in index.binders for n in (b2.names or ())}:
                return None
            s = self.set(b.set)
            out.extend(unique_sorted(s.codes[:, p]) for p in range(s.arity))
        return out

    def index_frame(self, index: A.Index | None) -> Frame:
        if index is None:
            return Frame.scalar()
        frame, _ = self.expand(Frame.scalar(), index.binders, index.filter)
        return frame


def frame_size(cols: list[np.ndarray]) -> int:
    return len(cols[0]) if cols else 1


def _dedupe(codes: np.ndarray) -> np.ndarray:
    if len(codes) == 0:
        return codes
    dup = KeyIndex(codes).duplicates()
    return np.delete(codes, dup, axis=0) if len(dup) else codes


def domain_text(index: A.Index | None) -> str:
    """The index sets of a declaration as written, for messages."""
    if index is None:
        return "scalar"
    text = " * ".join(format_expr(b.set) for b in index.binders)
    if index.filter is not None:
        text += " : " + format_expr(index.filter)
    return text


def _same_set(a: SetValue, b: SetValue) -> bool:
    """The same members in the same order (one object, or two equal ones: `1..n` twice)."""
    return a is b or (a.codes.shape == b.codes.shape and bool(np.array_equal(a.codes,
                                                                            b.codes)))

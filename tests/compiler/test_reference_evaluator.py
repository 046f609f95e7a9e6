"""The vectorised grounding against a plain reference evaluator, on random small models.

Hypothesis draws small data (integer sets in any order, symbol sets, a sparse
tuple set, dense, sparse-with-default and computed parameters) and constraints
built from sums with filters, lags guarded by filters, ranges that depend on an
outer index (`1..t`), tuple-set binders and products of parameters. Each
constraint is kept twice: as optiform text, and as a small tree that the
reference below evaluates with Python loops over the same data, following
docs/LANGUAGE.md (sets in the order written, a filter keeps the rows where it
holds, a missing entry of a parameter with a default reads the default, `mod`
follows the sign of the divisor, `lo <= e <= hi` bounds e). The reference shares
no code with optiform: it yields each row's key, coefficient per variable and
bounds, compared with the grounded `Problem` as dense matrices per block.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optiform
from optiform import DiagnosticError
from optiform.compiler.ir import Problem, Terms

Member = int | str
Env = dict[str, Member]


# ---- the data, as the reference reads it ---------------------------------------------
@dataclass
class Data:
    I: list[int]  # noqa: E741 - the model's set names
    J: list[str]
    n: int
    arcs: list[tuple[int, str]]
    p: list[float]  # in the order of I
    q: dict[tuple[int, str], float]  # sparse; the rest read q_default
    q_default: float
    c: dict[tuple[int, str], float]  # one per arc
    r_kind: int  # r[t] = r_a * t - r_b, or (if t mod 2 == 0 then r_a else r_b * t)
    r_a: float
    r_b: float
    p_as_array: bool

    def sets(self) -> dict[str, list[Any]]:
        return {"I": list(self.I), "J": list(self.J), "T": list(range(1, self.n + 1)),
                "ARCS": list(self.arcs), "I*J": [(i, j) for i in self.I for j in self.J]}

    def param(self, name: str, key: tuple[Member, ...]) -> float:
        if name == "p":
            return self.p[self.I.index(key[0])]  # type: ignore[arg-type]
        if name == "q":
            assert key[0] in self.I and key[1] in self.J
            return self.q.get(key, self.q_default)  # type: ignore[arg-type]
        if name == "c":
            return self.c[key]  # type: ignore[index]
        if name == "r":
            t = key[0]
            assert isinstance(t, int) and 1 <= t <= self.n
            if self.r_kind == 0:
                return self.r_a * t - self.r_b
            return self.r_a if t % 2 == 0 else self.r_b * t
        raise KeyError(name)

    def as_optiform(self) -> dict[str, Any]:
        q: dict[str, dict[str, float]] = {}
        for (i, j), v in self.q.items():
            q.setdefault(str(i), {})[j] = v
        c: dict[str, dict[str, float]] = {}
        for (i, j), v in self.c.items():
            c.setdefault(str(i), {})[j] = v
        return {"I": self.I, "J": self.J, "n": self.n,
                "ARCS": [[i, j] for i, j in self.arcs],
                "p": np.array(self.p) if self.p_as_array else list(self.p),
                "q": q, "c": c}

    def r_text(self) -> str:
        if self.r_kind == 0:
            return f"r[t in T] = {_num(self.r_a)} * t - {_num(self.r_b)}"
        return f"r[t in T] = if t mod 2 == 0 then {_num(self.r_a)} else {_num(self.r_b)} * t"


def _num(v: float) -> str:
    """A literal: numbers are unsigned tokens, so a negative one is parenthesised."""
    text = f"{v:g}" if float(v) != int(v) else str(int(v))
    return f"({text})" if v < 0 else text


MODEL = """\
sets
  I
  J
  T = 1..n
  ARCS within I * J
parameters
  n
  p[I]
  q[I, J] default {q_default}
  {r}
  c[ARCS]
variables
  x[I, J] >= 0
  y[t in T] >= -abs(r[t]), <= 10 + abs(r[t])
  z[ARCS] >= 0
  w
objective
  minimize total: {objective}
constraints
{constraints}
"""


# ---- expressions: text for optiform, values for the reference -------------------------
class Expr:
    def text(self) -> str:
        raise NotImplementedError

    def value(self, d: Data, env: Env) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class Num(Expr):
    v: float

    def text(self) -> str:
        return _num(self.v)

    def value(self, d: Data, env: Env) -> float:
        return self.v


@dataclass(frozen=True)
class IndexValue(Expr):
    """A bound integer index used as a number (`t * y[t]`)."""

    name: str

    def text(self) -> str:
        return self.name

    def value(self, d: Data, env: Env) -> float:
        v = env[self.name]
        assert isinstance(v, int)
        return float(v)


@dataclass(frozen=True)
class Param(Expr):
    name: str
    args: tuple[str, ...]
    lag: int = 0  # r[t - lag]

    def text(self) -> str:
        args = list(self.args)
        if self.lag:
            args[-1] = f"{args[-1]} - {self.lag}"
        return f"{self.name}[{', '.join(args)}]"

    def value(self, d: Data, env: Env) -> float:
        key = [env[a] for a in self.args]
        if self.lag:
            t = key[-1]
            assert isinstance(t, int)
            key[-1] = t - self.lag
        return d.param(self.name, tuple(key))


@dataclass(frozen=True)
class IfExpr(Expr):
    """`(if cond then a else b)` on parameters: parenthesised as an operand must be."""

    cond: Cond
    then: Expr
    otherwise: Expr

    def text(self) -> str:
        return f"(if {self.cond.text()} then {self.then.text()} else {self.otherwise.text()})"

    def value(self, d: Data, env: Env) -> float:
        return (self.then if self.cond.holds(d, env) else self.otherwise).value(d, env)


@dataclass(frozen=True)
class VarRef:
    name: str
    args: tuple[str, ...]
    lag: int = 0  # y[t - lag]

    def text(self) -> str:
        if not self.args:
            return self.name
        args = list(self.args)
        if self.lag:
            args[-1] = f"{args[-1]} - {self.lag}"
        return f"{self.name}[{', '.join(args)}]"

    def key(self, env: Env) -> tuple[Member, ...]:
        key = [env[a] for a in self.args]
        if self.lag:
            t = key[-1]
            assert isinstance(t, int)
            key[-1] = t - self.lag
        return tuple(key)


@dataclass(frozen=True)
class IfVar:
    """`(if cond then x[...] else w)`: a variable chosen row by row."""

    cond: Cond
    then: VarRef
    otherwise: VarRef

    def text(self) -> str:
        return f"(if {self.cond.text()} then {self.then.text()} else {self.otherwise.text()})"

    def choose(self, d: Data, env: Env) -> VarRef:
        return self.then if self.cond.holds(d, env) else self.otherwise


class Cond:  # noqa: B903 - the base of the filters below
    def text(self) -> str:
        raise NotImplementedError

    def holds(self, d: Data, env: Env) -> bool:
        raise NotImplementedError


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


@dataclass(frozen=True)
class Compare(Cond):
    op: str
    left: Expr
    right: Expr

    def text(self) -> str:
        return f"{self.left.text()} {self.op} {self.right.text()}"

    def holds(self, d: Data, env: Env) -> bool:
        return _COMPARE[self.op](self.left.value(d, env), self.right.value(d, env))


@dataclass(frozen=True)
class Mod(Cond):
    name: str
    divisor: int
    rest: int

    def text(self) -> str:
        return f"{self.name} mod {self.divisor} == {self.rest}"

    def holds(self, d: Data, env: Env) -> bool:
        v = env[self.name]
        assert isinstance(v, int)
        return v % self.divisor == self.rest  # Python's % follows the divisor's sign too


@dataclass(frozen=True)
class SameMember(Cond):
    """`a == b` or `a != b` between two bound indices, or an index and a symbol."""

    left: str
    right: str
    equal: bool
    symbol: bool = False

    def text(self) -> str:
        right = f'"{self.right}"' if self.symbol else self.right
        return f"{self.left} {'==' if self.equal else '!='} {right}"

    def holds(self, d: Data, env: Env) -> bool:
        right = self.right if self.symbol else env[self.right]
        return (env[self.left] == right) == self.equal


@dataclass(frozen=True)
class InArcs(Cond):
    a: str
    b: str

    def text(self) -> str:
        return f"({self.a}, {self.b}) in ARCS"

    def holds(self, d: Data, env: Env) -> bool:
        return (env[self.a], env[self.b]) in d.arcs


@dataclass(frozen=True)
class And(Cond):
    left: Cond
    right: Cond

    def text(self) -> str:
        return f"{self.left.text()} and {self.right.text()}"

    def holds(self, d: Data, env: Env) -> bool:
        return self.left.holds(d, env) and self.right.holds(d, env)


@dataclass(frozen=True)
class Binder:
    names: tuple[str, ...]
    set_name: str  # I, J, T, ARCS, I*J, or `1..NAME` (a range up to a bound index)

    def text(self) -> str:
        target = "I * J" if self.set_name == "I*J" else self.set_name
        if len(self.names) == 1:
            return f"{self.names[0]} in {target}"
        return f"({', '.join(self.names)}) in {target}"

    def members(self, d: Data, env: Env) -> list[Any]:
        if self.set_name.startswith("1.."):
            hi = env[self.set_name[3:]]
            assert isinstance(hi, int)
            return list(range(1, hi + 1))
        return d.sets()[self.set_name]


def bindings(d: Data, binders: tuple[Binder, ...], flt: Cond | None,
             env: Env) -> Iterator[Env]:
    """Every assignment of the binders, in set order, that the filter keeps."""
    if not binders:
        if flt is None or flt.holds(d, env):
            yield env
        return
    first, rest = binders[0], binders[1:]
    for m in first.members(d, env):
        values = m if len(first.names) > 1 else (m,)
        inner = dict(env)
        inner.update(zip(first.names, values, strict=True))
        yield from bindings(d, rest, flt, inner)


@dataclass
class Linear:
    coef: dict[tuple[str, tuple[Member, ...]], float] = field(default_factory=dict)
    const: float = 0.0

    def add(self, other: Linear, factor: float = 1.0) -> None:
        for k, v in other.coef.items():
            self.coef[k] = self.coef.get(k, 0.0) + factor * v
        self.const += factor * other.const


@dataclass(frozen=True)
class Term:
    """sign * factors... * (variable | nested sum | 1); a product term of the language."""

    sign: int
    factors: tuple[Expr, ...]
    var: VarRef | IfVar | None = None
    inner: Sum | None = None

    def body_text(self) -> str:
        parts = [f.text() for f in self.factors]
        if self.var is not None:
            parts.append(self.var.text())
        if self.inner is not None:
            parts.append(self.inner.text())
        return " * ".join(parts) if parts else "1"

    def linear(self, d: Data, env: Env) -> Linear:
        scale = float(self.sign)
        for f in self.factors:
            scale *= f.value(d, env)
        out = Linear()
        if self.var is not None:
            var = self.var.choose(d, env) if isinstance(self.var, IfVar) else self.var
            out.coef[(var.name, var.key(env))] = scale
        elif self.inner is not None:
            out.add(self.inner.linear(d, env), scale)
        else:
            out.const = scale
        return out


@dataclass(frozen=True)
class Sum:
    binders: tuple[Binder, ...]
    flt: Cond | None
    body: Term  # sign +1

    def text(self) -> str:
        head = ", ".join(b.text() for b in self.binders)
        if self.flt is not None:
            head += " : " + self.flt.text()
        return f"sum({head}) {self.body.body_text()}"

    def linear(self, d: Data, env: Env) -> Linear:
        out = Linear()
        for inner in bindings(d, self.binders, self.flt, env):
            out.add(self.body.linear(d, inner))
        return out


@dataclass(frozen=True)
class Side:
    terms: tuple[Term | tuple[int, Sum], ...]

    def text(self) -> str:
        if not self.terms:
            return "0"
        out = []
        for i, t in enumerate(self.terms):
            sign, body = (t.sign, t.body_text()) if isinstance(t, Term) else (t[0],
                                                                              t[1].text())
            if i == 0:
                out.append(("-" if sign < 0 else "") + body)
            else:
                out.append(("- " if sign < 0 else "+ ") + body)
        return " ".join(out)

    def linear(self, d: Data, env: Env) -> Linear:
        out = Linear()
        for t in self.terms:
            if isinstance(t, Term):
                out.add(t.linear(d, env))
            else:
                out.add(t[1].linear(d, env), float(t[0]))
        return out


@dataclass(frozen=True)
class Constraint:
    name: str
    binders: tuple[Binder, ...]
    flt: Cond | None
    left: Side
    sense: str  # <=, >=, ==, or "range" (lo <= left <= hi)
    right: Side
    lo: Expr | None = None
    hi: Expr | None = None

    def text(self) -> str:
        head = self.name
        if self.binders:
            index = ", ".join(b.text() for b in self.binders)
            if self.flt is not None:
                index += " : " + self.flt.text()
            head += f"[{index}]"
        if self.sense == "range":
            assert self.lo is not None and self.hi is not None
            return f"  {head}: {self.lo.text()} <= {self.left.text()} <= {self.hi.text()}"
        return f"  {head}: {self.left.text()} {self.sense} {self.right.text()}"

    def rows(self, d: Data) -> Iterator[tuple[tuple[Member, ...], Linear, float, float]]:
        """(key, coefficients of the row, lower, upper), the constant moved to the bounds."""
        names = [n for b in self.binders for n in b.names]
        for env in bindings(d, self.binders, self.flt, {}):
            key = tuple(env[n] for n in names)
            e = self.left.linear(d, env)
            if self.sense == "range":
                assert self.lo is not None and self.hi is not None
                yield key, e, self.lo.value(d, env) - e.const, self.hi.value(d, env) - e.const
                continue
            e.add(self.right.linear(d, env), -1.0)
            lower = -e.const if self.sense in (">=", "==") else -math.inf
            upper = -e.const if self.sense in ("<=", "==") else math.inf
            yield key, e, lower, upper


# ---- random models --------------------------------------------------------------------
@dataclass
class Scope:
    """Bound names by set: I (integers), J (symbols), T (1..n), and arc pairs."""

    I: list[str] = field(default_factory=list)  # noqa: E741
    J: list[str] = field(default_factory=list)
    T: dict[str, int] = field(default_factory=dict)  # name -> smallest value it can take
    arcs: list[tuple[str, str]] = field(default_factory=list)

    def bind(self, b: Binder, t_min: int = 1) -> Scope:
        s = Scope(list(self.I), list(self.J), dict(self.T), list(self.arcs))
        if b.set_name in ("ARCS", "I*J"):
            s.I.append(b.names[0])
            s.J.append(b.names[1])
            if b.set_name == "ARCS":
                s.arcs.append((b.names[0], b.names[1]))
        elif b.set_name == "I":
            s.I.append(b.names[0])
        elif b.set_name == "J":
            s.J.append(b.names[0])
        else:
            s.T[b.names[0]] = t_min
        return s


class Gen:
    def __init__(self, draw: Callable[[Any], Any], d: Data) -> None:
        self.draw = draw
        self.d = d
        self.count = 0

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def factor(self, s: Scope, conditional: bool = True) -> Expr:
        options: list[Callable[[], Expr]] = [
            lambda: Num(self.pick([1, 2, 3, 0.5, 1.5]))]
        if s.I:
            options.append(lambda: Param("p", (self.pick(s.I),)))
            options.append(lambda: IndexValue(self.pick(s.I)))
        if s.I and s.J:
            options.append(lambda: Param("q", (self.pick(s.I), self.pick(s.J))))
        if s.T:
            options.append(lambda: Param("r", (self.pick(sorted(s.T)),)))
            options.append(lambda: IndexValue(self.pick(sorted(s.T))))
            lagged = [t for t, lo in s.T.items() if lo > 1]
            if lagged:
                def lag() -> Expr:
                    t = self.pick(sorted(lagged))
                    return Param("r", (t,), self.draw(st.integers(1, s.T[t] - 1)))
                options.append(lag)
        if s.arcs:
            options.append(lambda: Param("c", self.pick(s.arcs)))
        if conditional:
            options.append(lambda: IfExpr(self.cond(s), self.factor(s, False),
                                          self.factor(s, False)))
        return self.pick(options)()  # type: ignore[no-any-return]

    def cond(self, s: Scope) -> Cond:
        return Compare(self.pick(["<", ">=", "==", "!="]), self.factor(s, False),
                       Num(self.draw(st.integers(-1, 3))))

    def var(self, s: Scope, conditional: bool = True) -> VarRef | IfVar:
        options: list[Callable[[], VarRef | IfVar]] = [lambda: VarRef("w", ())]
        if conditional:
            options.append(lambda: IfVar(self.cond(s), self.var(s, False),  # type: ignore
                                         self.var(s, False)))
        if s.I and s.J:
            options.append(lambda: VarRef("x", (self.pick(s.I), self.pick(s.J))))
        if s.T:
            options.append(lambda: VarRef("y", (self.pick(sorted(s.T)),)))
            lagged = [t for t, lo in s.T.items() if lo > 1]
            if lagged:
                def lag() -> VarRef:
                    t = self.pick(sorted(lagged))
                    return VarRef("y", (t,), self.draw(st.integers(1, s.T[t] - 1)))
                options += [lag, lag]
        if s.arcs:
            options += [lambda: VarRef("z", self.pick(s.arcs))] * 2
        return self.pick(options)()  # type: ignore[no-any-return]

    def index(self, s: Scope) -> tuple[tuple[Binder, ...], Cond | None, Scope]:
        """Binders and a filter for a sum or a constraint, and the scope inside them."""
        kind = self.pick(["I", "J", "T", "range", "ARCS", "I*J", "T,range"]
                         if s.T else ["I", "J", "T", "ARCS", "I*J", "T,range"])
        flt: Cond | None = None
        if kind == "I":
            b = Binder((self.fresh("i"),), "I")
            inner = s.bind(b)
            if self.draw(st.booleans()):
                flt = Compare(self.pick([">", "<=", "!="]), Param("p", b.names),
                              Num(self.draw(st.integers(-1, 3))))
            return (b,), flt, inner
        if kind == "J":
            b = Binder((self.fresh("j"),), "J")
            inner = s.bind(b)
            choice = self.draw(st.integers(0, 2))
            if choice == 1 and s.I:
                flt = Compare(self.pick([">", "!="]), Param("q", (self.pick(s.I), b.names[0])),
                              Num(self.d.q_default))
            elif choice == 2:
                flt = SameMember(b.names[0], self.pick(self.d.J), self.draw(st.booleans()),
                                 symbol=True)
            return (b,), flt, inner
        if kind in ("T", "range"):
            name = self.fresh("t")
            b = Binder((name,), "T" if kind == "T" else "1.." + self.pick(sorted(s.T)))
            t_min = 1
            if self.draw(st.booleans()):
                if self.draw(st.booleans()):
                    lag = self.draw(st.integers(1, 3))
                    flt, t_min = Compare(">", IndexValue(name), Num(lag)), lag + 1
                else:
                    flt = Mod(name, self.pick([2, 3]), self.draw(st.integers(0, 1)))
            return (b,), flt, s.bind(b, t_min)
        if kind == "T,range":
            t, u = self.fresh("t"), self.fresh("t")
            b1, b2 = Binder((t,), "T"), Binder((u,), "1.." + t)
            flt = Compare(">", IndexValue(t), Num(1)) if self.draw(st.booleans()) else None
            return (b1, b2), flt, s.bind(b1, 2 if flt else 1).bind(b2)
        a, j = self.fresh("a"), self.fresh("b")
        b = Binder((a, j), kind)
        inner = s.bind(b)
        choice = self.draw(st.integers(0, 2))
        if kind == "I*J" and self.draw(st.booleans()):
            flt = InArcs(a, j)  # the pair is then an arc: z and c apply to it
            inner.arcs.append((a, j))
        elif choice == 1 and s.I:
            flt = SameMember(a, self.pick(s.I), True)
        elif choice == 2 and kind == "ARCS":
            flt = Compare(">=", Param("c", (a, j)), Num(self.draw(st.integers(1, 4))))
        if flt is not None and self.draw(st.booleans()) and inner.I and inner.J:
            flt = And(flt, Compare("!=", Param("q", (a, j)), Num(self.d.q_default)))
        return (b,), flt, inner

    def term(self, s: Scope) -> Term | tuple[int, Sum]:
        sign = self.pick([1, 1, -1])
        kind = self.draw(st.integers(0, 4))
        if kind <= 1:
            n = self.draw(st.integers(0, 2))
            return Term(sign, tuple(self.factor(s) for _ in range(n)), self.var(s))
        if kind == 2:
            return Term(sign, (self.factor(s),))  # a constant
        binders, flt, inner = self.index(s)
        n = self.draw(st.integers(0, 2))
        factors = tuple(self.factor(inner) for _ in range(n))
        if self.draw(st.integers(0, 4)) == 0:  # a sum inside a sum
            binders2, flt2, inner2 = self.index(inner)
            m = self.draw(st.integers(0, 1))
            nested = Sum(binders2, flt2, Term(1, tuple(self.factor(inner2) for _ in range(m)),
                                              self.var(inner2)))
            body = Term(1, factors, inner=nested)
        else:
            body = Term(1, factors, self.var(inner))
        return sign, Sum(binders, flt, body)

    def side(self, s: Scope, low: int, high: int) -> Side:
        n = self.draw(st.integers(low, high))
        return Side(tuple(self.term(s) for _ in range(n)))

    def constraint(self, number: int) -> Constraint:
        binders: tuple[Binder, ...] = ()
        flt: Cond | None = None
        s = Scope()
        if self.draw(st.integers(0, 4)):
            binders, flt, s = self.index(Scope())
        left = self.side(s, 1, 3)
        sense = self.pick(["<=", ">=", "==", "range"])
        if sense == "range":
            lo = self.factor(s)
            return Constraint(f"k{number}", binders, flt, left, sense, Side(()), lo,
                              Num(self.draw(st.integers(5, 9))))
        return Constraint(f"k{number}", binders, flt, left, sense, self.side(s, 0, 2))


@st.composite
def data_strategy(draw: Callable[[Any], Any], wide: bool = False) -> Data:
    """Small data; `wide` spreads a few keys over large sets, so that key lookups take
    the sorted (sparse) path of `KeyIndex` rather than its direct-address table."""
    if wide:
        I = draw(st.lists(st.integers(-1000, 1000), min_size=35, max_size=45,  # noqa: E741
                          unique=True))
        J = draw(st.permutations([f"j{k}" for k in range(36)]))[:draw(st.integers(30, 36))]
    else:
        I = draw(st.lists(st.integers(-3, 9), min_size=1, max_size=4,  # noqa: E741
                          unique=True))
        J = draw(st.lists(st.sampled_from(["ja", "jb", "jc", "jd"]), min_size=1,
                          max_size=3, unique=True))
    n = draw(st.integers(1, 5))
    pairs = [(i, j) for i in I for j in J]
    least, most = (80, 120) if wide else (1, len(pairs))
    arcs = draw(st.lists(st.sampled_from(pairs), min_size=least, max_size=most, unique=True))
    p = draw(st.lists(st.integers(-2, 5).map(float), min_size=len(I), max_size=len(I)))
    q_keys = draw(st.lists(st.sampled_from(pairs), min_size=least - 1, max_size=most,
                           unique=True))
    q = {k: float(draw(st.integers(-3, 4))) for k in q_keys}
    c = {k: float(draw(st.integers(1, 5))) for k in arcs}
    return Data(I, J, n, arcs, p, q, draw(st.sampled_from([0.0, 1.0, -1.5])), c,
                draw(st.integers(0, 1)), float(draw(st.integers(-2, 3))),
                float(draw(st.integers(0, 3))), draw(st.booleans()))


@dataclass
class Case:
    data: Data
    objective: Side
    constraints: list[Constraint]

    def text(self) -> str:
        return MODEL.format(q_default=_num(self.data.q_default), r=self.data.r_text(),
                            objective=self.objective.text(),
                            constraints="\n".join(c.text() for c in self.constraints))


@st.composite
def cases(draw: Callable[[Any], Any]) -> Case:
    d = draw(data_strategy())
    gen = Gen(draw, d)
    objective = gen.side(Scope(), 1, 3)
    constraints = [gen.constraint(k) for k in range(draw(st.integers(1, 4)))]
    return Case(d, objective, constraints)


# ---- comparison ---------------------------------------------------------------------
def columns(p: Problem) -> dict[tuple[str, tuple[Member, ...]], int]:
    out = {}
    for v in p.variables:
        for pos, key in enumerate(v.keys):
            out[(v.name, p.universe.decode_row(key))] = v.offset + pos
    return out


def dense(terms: Terms, n_rows: int, n_cols: int) -> np.ndarray:
    assert not terms.nonlinear and len(terms.quad_val) == 0
    a = np.zeros((n_rows, n_cols))
    np.add.at(a, (terms.lin_row, terms.lin_col), terms.lin_val)
    return a


def reference_dense(rows: list[Linear], cols: dict[tuple[str, tuple[Member, ...]], int],
                    n_cols: int) -> np.ndarray:
    a = np.zeros((len(rows), n_cols))
    for r, e in enumerate(rows):
        for k, v in e.coef.items():
            a[r, cols[k]] += v  # a KeyError here: the reference names a column optiform lacks
    return a


def check_case(case: Case) -> None:
    d = case.data
    p = optiform.loads(case.text(), data=d.as_optiform()).compile()
    cols = columns(p)
    n = p.n_vars
    # variables: every key of each declared set, bounds from the declaration
    assert [k for k in cols if k[0] == "y"] == [("y", (t,)) for t in d.sets()["T"]]
    assert [k for k in cols if k[0] == "x"] == [("x", k) for k in d.sets()["I*J"]]
    assert [k for k in cols if k[0] == "z"] == [("z", k) for k in d.arcs]
    y = p.variable("y")
    r = [d.param("r", (t,)) for t in d.sets()["T"]]
    assert np.allclose(y.lower, [-abs(v) for v in r])
    assert np.allclose(y.upper, [10 + abs(v) for v in r])
    # the objective
    obj = p.objectives[0].terms
    e = case.objective.linear(d, {})
    assert np.allclose(dense(obj, 1, n), reference_dense([e], cols, n)), case.text()
    assert math.isclose(float(obj.const[0]), e.const, abs_tol=1e-9)
    # every constraint block: keys in order, coefficients, bounds
    blocks = {b.name: b for b in p.constraints}
    for c in case.constraints:
        rows = list(c.rows(d))
        b = blocks[c.name]
        got_keys = [p.universe.decode_row(k) for k in b.keys]
        assert got_keys == [k for k, _, _, _ in rows], (c.text(), got_keys)
        got = dense(b.terms, b.size, n)
        want = reference_dense([e for _, e, _, _ in rows], cols, n)
        assert np.allclose(got, want, atol=1e-9), (c.text(), got, want)
        assert np.allclose(b.lower, [lo for _, _, lo, _ in rows], atol=1e-9), c.text()
        assert np.allclose(b.upper, [hi for _, _, _, hi in rows], atol=1e-9), c.text()


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_grounded_rows_match_the_reference_evaluator(case: Case) -> None:
    check_case(case)


# ---- fixed constraints: the features one at a time, readable when they fail ----------
FIXED_DATA = Data(I=[7, -2, 3], J=["jc", "ja"], n=4,
                  arcs=[(3, "ja"), (7, "jc"), (-2, "ja")], p=[2.0, -1.0, 0.0],
                  q={(7, "ja"): 2.0, (3, "jc"): 0.0}, q_default=1.0,
                  c={(3, "ja"): 4.0, (7, "jc"): 1.0, (-2, "ja"): 2.0},
                  r_kind=1, r_a=3.0, r_b=-1.0, p_as_array=True)


def feature_constraints(d: Data) -> list[Constraint]:
    i, j, t, s = Binder(("i",), "I"), Binder(("j",), "J"), Binder(("t",), "T"), \
        Binder(("s",), "1..t")
    arcs = Binder(("a", "b"), "ARCS")
    return [
        # filtered index, a sum with a filter on a defaulted parameter, parameter products
        Constraint("k0", (i,), Compare(">", Param("p", ("i",)), Num(-1)),
                   Side(((1, Sum((j,), Compare("!=", Param("q", ("i", "j")),
                                               Num(d.q_default)),
                                 Term(1, (Param("q", ("i", "j")), Param("p", ("i",))),
                                      VarRef("x", ("i", "j"))))),)),
                   "<=", Side((Term(1, (Param("p", ("i",)),)),))),
        # lag guarded by the filter, dependent range
        Constraint("k1", (t,), Compare(">", IndexValue("t"), Num(1)),
                   Side((Term(1, (), VarRef("y", ("t",))),
                         Term(-1, (Param("r", ("t",), 1),), VarRef("y", ("t",), 1)),
                         (1, Sum((s,), None, Term(1, (IndexValue("s"),),
                                                  VarRef("y", ("s",))))))),
                   ">=", Side((Term(1, (Param("r", ("t",)),)),))),
        # tuple-set binder sliced by the outer index, ranged
        Constraint("k2", (i,), None,
                   Side(((1, Sum((arcs,), SameMember("a", "i", True),
                                 Term(1, (Param("c", ("a", "b")),), VarRef("z", ("a", "b"))))),
                         Term(-1, (Num(2),), VarRef("w", ())))),
                   "range", Side(()), Num(0), Num(5)),
        # symbol filter, modulo on a range index, indices used as numbers
        Constraint("k3", (t, i), Mod("t", 2, 0),
                   Side(((1, Sum((j,), SameMember("j", d.J[0], False, symbol=True),
                                 Term(1, (IndexValue("t"), IndexValue("i")),
                                      VarRef("x", ("i", "j"))))),)),
                   "==", Side((Term(1, (Num(1),)),))),
        # a sparse block: rows over the arcs that have a q entry, sparse lookups of q and c
        Constraint("k4", (arcs,), Compare("!=", Param("q", ("a", "b")), Num(d.q_default)),
                   Side((Term(1, (Param("q", ("a", "b")),), VarRef("z", ("a", "b"))),
                         Term(-1, (), VarRef("x", ("a", "b"))))),
                   ">=", Side((Term(1, (Param("c", ("a", "b")),)),))),
    ]


def test_reference_fixed_features() -> None:
    check_case(Case(FIXED_DATA, Side((Term(1, (), VarRef("w", ())),)),
                    feature_constraints(FIXED_DATA)))


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data_strategy(wide=True))
def test_sparse_keys_over_wide_sets_match_the_reference(d: Data) -> None:
    objective = Side(((1, Sum((Binder(("a", "b"), "ARCS"),), None,
                              Term(1, (Param("c", ("a", "b")),), VarRef("z", ("a", "b"))))),))
    check_case(Case(d, objective, feature_constraints(d)))


def test_empty_tuple_set_keeps_its_arity() -> None:
    """`{}` is the empty set (docs/LANGUAGE.md): as a data value `[]` or the literal `{}`,
    an empty set of pairs must still bind `(a, b)` and satisfy `within I * J`.

    Found while writing this file (an empty set was read as a set of 1-tuples, so an
    empty ARCS was rejected, or `(a, b) in ARCS` failed); fixed alongside the fuzz
    findings in 2245866. Kept as a regression test.
    """
    text = """\
sets
  I = 1..2
  J = 1..2
  ARCS within I * J
variables
  z[ARCS] >= 0
  w
objective
  minimize total: w + sum((a, b) in ARCS) z[a, b]
constraints
  k: w >= 1
"""
    for source, data in [(text, {"ARCS": []}),
                         (text.replace("ARCS within I * J", "ARCS within I * J = {}"), None),
                         (text.replace(" within I * J", ""), {"ARCS": []})]:
        try:
            p = optiform.loads(source, data=data).compile()
        except DiagnosticError as exc:
            pytest.fail(f"an empty set of pairs is rejected: {exc}")
        assert p.n_vars == 1 and p.variable("z").size == 0

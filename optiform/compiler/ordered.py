"""Ordered-set functions: `first`, `last`, `ord`, `prev`, `next`, `prevw`, `nextw`.

A set's order is the order of its members as written (a range ascending, a
data list as listed, a set operation as `evaluate.Evaluator.set` builds it).
Every function works on whole columns: an index's codes become positions in
the set it is bound to (one `KeyIndex` lookup), a step is arithmetic on the
positions, and the member back is one gather. A step past either end is an
error at the call, as a lag such as `x[t - 1]` is one at the subscript; a
filter that drops those rows first (`: ord(t) > 1`) makes it valid. Imports
the IR, the error type and the printer (for messages); the evaluator calls in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optiform.compiler.errors import EvalError
from optiform.compiler.ir import Frame, SetValue
from optiform.dsl import ast as A
from optiform.dsl.printer import format_expr

if TYPE_CHECKING:
    from optiform.compiler.evaluate import Evaluator

ENDS = {"first": 0, "last": -1}  # a set's member at a fixed end
STEPS = {"prev": -1, "next": 1, "prevw": -1, "nextw": 1}  # a bound index's neighbour
WRAPS = frozenset({"prevw", "nextw"})
MEMBER_FUNCS = frozenset({*ENDS, *STEPS})  # functions whose value is a member
ORDERED_FUNCS = frozenset({*MEMBER_FUNCS, "ord"})


def members(ev: Evaluator, e: A.Call, frame: Frame) -> np.ndarray:
    """The member codes that `first(S)`, `last(S)`, `prev(s, k)`... denote, row by row."""
    if e.func in ENDS:
        s = _single(ev.set(e.args[0]), e)
        if len(s) == 0:
            raise EvalError(f"`{format_expr(e)}` of an empty set", e.span,
                            "give the set at least one member")
        return np.full(frame.n, s.codes[ENDS[e.func], 0], dtype=np.int64)
    s, pos = _positions(ev, e, frame)
    k = (ev._integral(ev.num(e.args[1], frame), e.args[1]) if len(e.args) > 1
         else np.ones(frame.n, dtype=np.int64))
    moved = pos + STEPS[e.func] * k
    n = len(s)
    if e.func in WRAPS:
        moved = np.mod(moved, n)
    else:
        outside = (moved < 0) | (moved >= n)
        if outside.any():
            row = int(np.nonzero(outside)[0][0])
            index = format_expr(e.args[0])
            member = ev.scope.universe.decode(int(s.codes[pos[row], 0]))
            steps = int(k[row])
            way = "before" if STEPS[e.func] * steps < 0 else "after"
            label = _label(ev, s)
            guard = (f"ord({index}) > {abs(steps)}" if way == "before"
                     else f"ord({index}) <= card({label}) - {abs(steps)}" if abs(steps) > 1
                     else f"ord({index}) < card({label})")
            raise EvalError(
                f"`{format_expr(e)}` steps outside `{label}` at `{index}` = {member}: "
                f"there is no member {abs(steps)} {'step' if abs(steps) == 1 else 'steps'} "
                f"{way} it", e.span,
                f"restrict the constraint or sum with a filter, e.g. `: {guard}`, or wrap "
                f"around with `{e.func}w`")
    return s.codes[moved, 0]


def order(ev: Evaluator, e: A.Call, frame: Frame) -> np.ndarray:
    """`ord(s)`: each row's position of `s` in its set, 1 for the first member; of a
    member function (`ord(prevw(s, k))`, `ord(last(S))`), the position in its set."""
    arg = e.args[0]
    if isinstance(arg, A.Call) and arg.func in ENDS:
        s = _single(ev.set(arg.args[0]), arg)
        return s.index.lookup([members(ev, arg, frame)]).astype(float) + 1.0
    if isinstance(arg, A.Call) and arg.func in STEPS:
        s, _ = _positions(ev, arg, frame)
        return s.index.lookup([members(ev, arg, frame)]).astype(float) + 1.0
    return _positions(ev, e, frame)[1].astype(float) + 1.0


def _positions(ev: Evaluator, e: A.Call, frame: Frame) -> tuple[SetValue, np.ndarray]:
    """The set a bound index ranges over, and the index's position in it per row."""
    arg = e.args[0]
    # resolve.py allows only a bound index here; a defined variable's index may have
    # been replaced by the expression of a use
    s = frame.origins.get(arg.name) if isinstance(arg, A.Name) else None
    if s is None or not isinstance(arg, A.Name):
        shown = format_expr(arg)
        raise EvalError(f"`{e.func}({shown})` needs `{shown}` bound to a set of single "
                        "members", e.span,
                        "bind it to a declared set or a fixed range (`t in T`, `t in 1..n`); "
                        "a range that depends on an outer index, or a tuple such as "
                        "`(i, j) in ARCS`, has no order to step through")
    pos = s.index.lookup([frame.columns[arg.name]])
    return s, pos


def _single(s: SetValue, e: A.Call) -> SetValue:
    if s.arity != 1:
        raise EvalError(f"`{e.func}` takes a set of single members, not of {s.arity}-tuples",
                        e.span, "the ordered functions step through sets such as `1..n` or "
                        "`{a, b}`; a tuple set has no single first member")
    return s


def _label(ev: Evaluator, s: SetValue) -> str:
    """A set's name, or `lo..hi` for a range written in place."""
    if s.name:
        return s.name
    decode = ev.scope.universe.decode
    return f"{decode(int(s.codes[0, 0]))}..{decode(int(s.codes[-1, 0]))}"

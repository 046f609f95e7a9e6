"""AST + data -> ground `Problem`: sets, parameters, variable and constraint blocks.

Data declarations are built in dependency order; each variable, objective
and constraint becomes one block whose coefficients come from `Linearizer`
as arrays. An error in one declaration is recorded and its dependants are
skipped, so one run reports every independent problem. No I/O here: data
files arrive already read, as `DataItem`s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from optiform.compiler.classify import classify
from optiform.compiler.defined import Substitution, domain_param
from optiform.compiler.evaluate import (
    DEFAULT_MAX_SIZE,
    EvalError,
    Evaluator,
    Scope,
    domain_text,
)
from optiform.compiler.ir import (
    SEMI_DOMAINS,
    ConstraintBlock,
    DefinedBlock,
    Frame,
    Objective,
    ParamValue,
    Problem,
    SetValue,
    Terms,
    VariableBlock,
    column_label,
    labelled,
)
from optiform.compiler.keys import SYMBOL_BASE, KeyIndex, Universe
from optiform.compiler.linearize import Linearizer, add, constant
from optiform.compiler.logic import Implication, check_literals, is_logical, logical_form
from optiform.compiler.lowering.auxiliary import Auxiliaries, Owner, lowered_problem
from optiform.compiler.lowering.indicator import disjunction, switched_rows
from optiform.compiler.lowering.lowerer import Lowerer
from optiform.compiler.resolve import analyse
from optiform.diagnostics import Diagnostic, DiagnosticError, Span, suggest
from optiform.dsl import ast as A
from optiform.dsl.data import Coded, Column, DataItem, Table, data_source
from optiform.dsl.printer import format_expr

_INTEGER_TEXT = re.compile(r"\s*-?[0-9]+\s*")  # a member given as text that is an integer
_RANGE_WARNING = 1e9  # largest / smallest nonzero coefficient in one block
# HiGHS reads a bound or right-hand side of 1e20 or more as infinite (SCIP, Ipopt alike):
# `x <= 1e21` would silently be no bound at all, `x >= 1e20` an empty status.
HUGE = 1e20

DOMAIN_BOUNDS = {
    None: ("continuous", -math.inf, math.inf),
    "real": ("continuous", -math.inf, math.inf),
    "nonnegative": ("continuous", 0.0, math.inf),
    "integer": ("integer", -math.inf, math.inf),
    "binary": ("binary", 0.0, 1.0),
    # 0, or within [lower, upper]: the bounds are the interval as written (0 if none)
    "semicontinuous": ("semicontinuous", -math.inf, math.inf),
    "semiinteger": ("semiinteger", -math.inf, math.inf),
}


def instantiate(model: A.ModelDecl, data: Mapping[str, DataItem] | None = None,
                max_size: int = DEFAULT_MAX_SIZE) -> Problem:
    """Ground a parsed model over its data; raise DiagnosticError listing every problem.

    `max_size` bounds the rows any one index expansion may create, so that a
    model too big for memory stops with an error naming where it would blow up.
    """
    return _Builder(model, dict(data or {}), max_size).build()


def _out_of_memory(name: str, span: Span | None, limit: int) -> Diagnostic:
    """Grounding `name` ran out of memory below the size limit: it was raised too far."""
    return Diagnostic(f"grounding `{name}` needs more memory than this machine has", span,
                      f"the limit on rows is {limit:,} (--max-size): lower it to have "
                      "the expansion that is too large named, or restrict it with a filter")


class _Builder:
    def __init__(self, model: A.ModelDecl, data: dict[str, DataItem], max_size: int) -> None:
        self.model = model
        self.data = data
        self.res = analyse(model)
        declared = {*self.res.sets, *self.res.params, *self.res.variables,
                    *(d.name for d in self.res.defined)}
        self.scope = Scope(Universe(), declared=declared, max_size=max_size)
        self.ev = Evaluator(self.scope)
        # Name errors do not stop grounding: the rest of the file is still checked.
        self.diagnostics: list[Diagnostic] = list(self.res.diagnostics)
        self.failed: set[str] = set(self.res.failed)
        self._members: dict[str, int] = {}  # data keys repeat; decode each string once
        self._digit_texts: dict[int, set[str]] = {}  # data texts read as integer members
        self.warnings: list[Diagnostic] = []

    def fail(self, exc: EvalError | Diagnostic, name: str | None = None) -> None:
        self.diagnostics.append(exc.diagnostic if isinstance(exc, EvalError) else exc)
        if name:
            self.failed.add(name)

    def blocked(self, *exprs: A.Expr | A.Index | None) -> bool:
        names: set[str] = set()
        for e in exprs:
            if isinstance(e, A.Index):
                for b in e.binders:
                    names |= A.names_in(b.set)
                if e.filter is not None:
                    names |= A.names_in(e.filter)
            elif e is not None:
                names |= A.names_in(e)
        return bool(names & self.failed)

    def build(self) -> Problem:
        self._check_data_names()
        for decl in self.res.order:
            if decl.name in self.failed:
                continue
            try:
                if isinstance(decl, A.SetDecl):
                    if self.blocked(decl.within, decl.value):
                        self.failed.add(decl.name)
                        continue
                    self.scope.sets[decl.name] = self._set(decl)
                else:
                    if self.blocked(decl.index, decl.value, decl.default):
                        self.failed.add(decl.name)
                        continue
                    self.scope.params[decl.name] = self._param(decl)
            except EvalError as exc:
                self.fail(exc, decl.name)
            except MemoryError:
                self.fail(_out_of_memory(decl.name, decl.span, self.scope.max_size), decl.name)
        variables = self._variables()
        aux = Auxiliaries(variables)
        lin = Linearizer(self.ev, Lowerer(aux, self.scope.universe))
        subst = Substitution()
        defined = self._defined(subst, lin.as_written)
        objectives, lowered_objectives = [], []
        for o in self.model.objectives:
            if o.name in self.failed or self.blocked(o.expr):
                continue
            try:
                o = replace(o, expr=subst.expr(o.expr))  # defined variables, substituted
                as_written, as_lowered = self._objective(o, lin, aux)
                objectives.append(as_written)
                lowered_objectives.append(as_lowered)
            except EvalError as exc:
                self.fail(exc)
            except MemoryError:
                self.fail(_out_of_memory(o.name, o.span, self.scope.max_size))
        constraints, lowered_constraints = [], []
        for c in self.model.constraints:
            if c.name in self.failed or self.blocked(c.index, c.expr):
                continue
            try:
                c = replace(c, expr=subst.expr(c.expr))
                if is_logical(c.expr):
                    constraints.append(self._logical(c, lin, aux))
                    continue
                mark = aux.mark()
                block = self._constraint(c, lin)
                if block.terms.nonlinear:
                    aux.rollback(mark)  # nonlinear anyway: the backend reads the declaration
                self._check_numbers(c.name, block.keys, block.terms, c.span, variables,
                                    (block.lower, block.upper))
                lowered_constraints.append(block)
                constraints.append(block if aux.mark() == mark
                                   else self._constraint(c, lin.as_written))
            except EvalError as exc:
                self.fail(exc)
            except MemoryError:
                self.fail(_out_of_memory(c.name, c.span, self.scope.max_size))
        for objective in lowered_objectives:
            try:
                self._check_numbers(objective.name, np.zeros((1, 0), dtype=np.int64),
                                    objective.terms, objective.decl.span, variables, ())
                self._check_constant(objective.name, objective.terms, objective.decl.span)
            except EvalError as exc:
                self.fail(exc)
        self._check_parameters()
        weights = self._weights()
        self._check_divisions(variables)
        self.warnings.extend(aux.warnings)
        if self.diagnostics:
            raise DiagnosticError(self.diagnostics, self._sources())
        problem_class, convex = classify(variables, objectives, constraints)
        problem = Problem(self.model.name, self.scope.universe, self.scope.sets,
                          self.scope.params, variables, constraints, objectives,
                          problem_class, self.model, convex, self.warnings, defined,
                          self._lexicographic(), weights)
        if not aux.columns and not aux.rows:
            return problem
        lowered = lowered_problem(problem, aux, lowered_constraints, lowered_objectives)
        # The class reported is the class after the lowerings: what will be solved.
        return replace(problem, problem_class=lowered.problem_class, convex=lowered.convex,
                       lowered=lowered)

    def _logical(self, c: A.ConstraintDecl, lin: Linearizer,
                 aux: Auxiliaries) -> ConstraintBlock:
        """An implication's or disjunction's big-M rows, added to `aux`; returned is the
        block as written, with no rows of its own, for the checker."""
        form = logical_form(c)
        assert form is not None and lin.lowerer is not None
        parts = [form.consequence] if isinstance(form, Implication) else list(form.parts)
        if isinstance(form, Implication):
            check_literals(form, c, self.scope.variables)
        blocks = []
        for part in parts:
            block = self._constraint(replace(c, expr=part), lin)
            if block.terms.nonlinear or block.terms.quadratic:
                raise EvalError(f"`{format_expr(part)}` in `{c.name}` is not linear", 
                                getattr(part, "span", c.span),
                                "an implication's consequence and each side of `or` are "
                                "linear constraints")
            blocks.append(block)
        owner, universe = lin.lowerer.owner, self.scope.universe
        first = blocks[0]
        if isinstance(form, Implication):
            switches = [(lin.terms(lit.var, first.frame).lin_col, lit.value)
                        for lit in form.literals]
            switched_rows(aux, owner, first.terms, first.lower, first.upper, switches,
                          "imply", c.span, universe)
        else:
            disjunction(aux, owner, [(b.terms, b.lower, b.upper) for b in blocks],
                        [getattr(p, "span", c.span) for p in parts], universe)
        n = first.size
        return ConstraintBlock(c.name, first.keys, constant(np.zeros(n)),
                               np.full(n, -math.inf), np.full(n, math.inf), c, first.frame)

    def _objective(self, o: A.ObjectiveDecl, lin: Linearizer,
                   aux: Auxiliaries) -> tuple[Objective, Objective]:
        """The objective as written (for torch and the checker) and lowered."""
        frame = Frame.scalar()
        assert lin.lowerer is not None
        lin.lowerer.owner = Owner(o.name, o.span, np.zeros((1, 0), dtype=np.int64), frame)
        mark = aux.mark()
        terms = lin.terms(o.expr, frame, 1.0 if o.sense == "minimize" else -1.0)
        if terms.nonlinear:
            aux.rollback(mark)
        lowered = Objective(o.name, o.sense, terms, o)
        if aux.mark() == mark:
            return lowered, lowered
        return Objective(o.name, o.sense, lin.as_written.terms(o.expr, frame), o), lowered

    def _sources(self) -> dict[str, str]:
        sources = {self.model.file: self.model.source}
        for item in self.data.values():
            path = item.span.file
            if path not in sources and not isinstance(item.value, Table):
                try:
                    sources[path] = data_source(Path(path))
                except DiagnosticError:  # gone or changed since it was read
                    pass
        return sources

    # ---- data ----------------------------------------------------------------
    def _check_data_names(self) -> None:
        decls: dict[str, A.SetDecl | A.ParamDecl] = {**self.res.sets, **self.res.params}
        for name, item in self.data.items():
            decl = decls.get(name)
            if decl is None:
                hint = suggest(name, decls) or "declare it in the model's `sets` or `parameters`"
                self.fail(Diagnostic(f"the data gives `{name}`, which the model does not "
                                     "declare as a set or parameter", item.span, hint,
                                     kind="data"))
            elif decl.value is not None:
                self.fail(Diagnostic(
                    f"`{name}` has a value both in the model (line "
                    f"{decl.span.line if decl.span else '?'}) and in the data", item.span,
                    "remove one of the two: a data file never silently overrides the model",
                    kind="data"), name)

    def _member(self, raw: Any, span: Span) -> int:
        cached = self._members.get(raw) if isinstance(raw, str) else None
        if cached is not None:
            return cached
        code = self._encode_member(raw, span)
        if isinstance(raw, str):
            self._members[raw] = code
        return code

    def _encode_member(self, raw: Any, span: Span) -> int:
        if isinstance(raw, bool):
            raise EvalError(f"`{raw}` is not a valid member", span, kind="data")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, str) and _INTEGER_TEXT.fullmatch(raw):
            text, raw = raw.strip(), int(raw)  # ASCII digits: "³" passes str.isdigit
            self._digit_texts.setdefault(raw, set()).add(text)
        if not isinstance(raw, (int, str)):
            raise EvalError(f"`{raw}` is not a valid member: members are integers or names",
                            span, kind="data")
        if isinstance(raw, int) and abs(raw) >= SYMBOL_BASE:
            raise EvalError(f"the integer member {raw} is too large: integer members must be "
                            f"smaller than {SYMBOL_BASE:,} in magnitude", span,
                            "give such a key as a name (a string that is not all digits)",
                            kind="data")
        return self.scope.universe.encode(raw)

    def _member_column(self, cells: Column, table: Table, span: Span) -> np.ndarray:
        """Codes of a column, each distinct member encoded once; an error names the
        first row where the bad member appears."""
        if isinstance(cells, np.ndarray):
            return self._member_numbers(cells, table, span)
        if isinstance(cells, Coded):
            empty = cells.positions < 0
            if empty.any():
                line = int(table.lines[int(np.argmax(empty))])
                raise EvalError(f"{_source(table)} has an empty member", Span(
                    span.file, line, 1), "every row needs a member in every index column",
                    kind="data")
            distinct = np.zeros(len(cells.uniques), dtype=np.int64)
            for k, member in enumerate(cells.uniques):
                try:
                    distinct[k] = self._member(member, span)
                except EvalError:
                    line = int(table.lines[int(np.argmax(cells.positions == k))])
                    distinct[k] = self._member(member, Span(span.file, line, 1))
            return distinct[cells.positions]
        codes: dict[str, int] = {}
        for text in dict.fromkeys(cells):
            try:
                codes[text] = self._member(text, span)
            except EvalError:
                line = int(table.lines[cells.index(text)])
                codes[text] = self._member(text, Span(span.file, line, 1))
        return np.fromiter(map(codes.__getitem__, cells), dtype=np.int64, count=len(cells))

    def _member_numbers(self, cells: np.ndarray, table: Table, span: Span) -> np.ndarray:
        """A numeric column of members: integers below SYMBOL_BASE (floats only when
        whole), checked as whole arrays."""
        if cells.dtype.kind in "iu":
            bad = np.abs(cells.astype(np.int64)) >= SYMBOL_BASE
        else:
            bad = ~np.isfinite(cells) | (cells != np.round(cells)) | (
                np.abs(np.nan_to_num(cells)) >= SYMBOL_BASE)
        if bad.any():
            first = int(np.argmax(bad))
            self._member(cells[first].item(), Span(span.file, int(table.lines[first]), 1))
        return cells.astype(np.int64)

    def _number_column(self, cells: Column, table: Table, span: Span,
                       what: str) -> np.ndarray:
        """The numbers of a column: `float` reads what `_number` reads from text."""
        if isinstance(cells, np.ndarray):
            return cells.astype(float)
        if isinstance(cells, Coded):
            cells = [str(cells.uniques[k]) if k >= 0 else "" for k in cells.positions.tolist()]
        try:
            return np.fromiter(map(float, cells), dtype=float, count=len(cells))
        except ValueError:  # row by row, for the error at its line
            return np.array([self._number(text, Span(span.file, line, 1), what)
                             for text, line in zip(cells, table.lines.tolist(), strict=True)])

    def _number(self, raw: Any, span: Span, what: str) -> float:
        if isinstance(raw, str):
            text = raw.strip().lower()
            if text in ("inf", "infinity", "-inf", "-infinity"):
                return -math.inf if text.startswith("-") else math.inf
            try:
                return float(text)
            except ValueError:
                pass
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            try:
                return float(raw)
            except OverflowError:
                raise EvalError(f"{what} is too large for a number: {str(raw)[:20]}...", span,
                                kind="data") from None
        raise EvalError(f"{what} should be a number, not `{raw}`", span, kind="data")

    def _set_from_data(self, decl: A.SetDecl, item: DataItem) -> SetValue:
        value = item.value
        if isinstance(value, Table):
            codes = np.stack([self._member_column(c, value, item.span) for c in value.columns],
                             axis=1) if value.columns else np.zeros((len(value), 0), np.int64)
            return SetValue(decl.name, codes.astype(np.int64).reshape(len(value),
                                                                      len(value.header)))
        elif isinstance(value, np.ndarray) and value.dtype.kind in "iu" and (
                not value.size or int(np.abs(value).max()) < SYMBOL_BASE):
            codes = value.astype(np.int64).reshape(len(value), -1)
            return SetValue(decl.name, codes)
        elif isinstance(value, (list, np.ndarray)):
            rows = [[self._member(c, item.span)
                     for c in (m if isinstance(m, (list, tuple, np.ndarray)) else [m])]
                    for m in value]
            arities = {len(r) for r in rows}
            if len(arities) > 1:
                raise EvalError(f"the members of `{decl.name}` have different numbers of "
                                "positions", item.span, kind="data")
            arity = arities.pop() if arities else 1
            if arity == 0:
                raise EvalError(f"the members of `{decl.name}` are empty lists", item.span,
                                'a member is a name, a number or a list of them, e.g. '
                                '"ARCS": [["a", "b"], ["b", "c"]]', kind="data")
        else:
            raise EvalError(f"set `{decl.name}` should be a list in the data", item.span,
                            'e.g. "I": [1, 2, 3] or "ARCS": [["a", "b"], ["b", "c"]]',
                            kind="data")
        codes = np.array(rows, dtype=np.int64).reshape(len(rows), arity)
        return SetValue(decl.name, codes)

    def _set(self, decl: A.SetDecl) -> SetValue:
        if decl.value is not None:
            value = self.ev.set(decl.value, decl.name)
        elif decl.name in self.data:
            value = self._set_from_data(decl, self.data[decl.name])
        else:
            raise EvalError(f"set `{decl.name}` has no members", decl.span,
                            f"give it a value (`{decl.name} = {{a, b}}`) or supply it in a "
                            "data file with --data")
        dup = KeyIndex(value.codes).duplicates() if len(value) else np.zeros(0, dtype=int)
        if len(dup):
            value = SetValue(decl.name, np.delete(value.codes, dup, axis=0))
        value.name = decl.name
        if decl.within is not None:
            outer = self.ev.set(decl.within)
            if len(value) == 0:  # `{}` or `[]` takes the shape of its `within` set
                value = SetValue(decl.name, np.zeros((0, outer.arity), dtype=np.int64))
            if outer.arity != value.arity:
                raise EvalError(f"`{decl.name}` has {value.arity}-tuples but its `within` set "
                                f"has {outer.arity}", decl.span)
            inside = outer.index.lookup([value.codes[:, c] for c in range(value.arity)])
            if (inside < 0).any():
                row = value.codes[int(np.nonzero(inside < 0)[0][0])]
                raise EvalError(
                    f"member ({self.scope.universe.format_key(row)}) of `{decl.name}` is not "
                    f"in its `within` set", decl.span, kind="data")
        return value

    def _param(self, decl: A.ParamDecl) -> ParamValue:
        ev = self.ev
        scalar = Frame.scalar()
        default = None
        if decl.default is not None:
            default = float(ev.num(decl.default, scalar)[0])
        dom = domain_text(decl.index)
        if decl.index is None:
            if decl.value is not None:
                v = float(ev.num(decl.value, scalar)[0])
            elif decl.name in self.data:
                item = self.data[decl.name]
                raw = item.value
                if isinstance(raw, Table):
                    raw = self._scalar_cell(decl, raw, item.span)
                v = self._number(raw, item.span, f"`{decl.name}`")
            elif default is not None:
                v = default
            else:
                raise self._no_value(decl)
            return ParamValue(decl.name, np.zeros((1, 0), dtype=np.int64), np.array([v]),
                              default, dom, decl.span)
        frame = ev.index_frame(decl.index)
        domain_keys = ev.block_keys(frame, decl.index)
        if isinstance(decl.value, A.DictLiteral):
            keys, values = self._dict_entries(decl, decl.value)
        elif isinstance(decl.value, A.ListLiteral):
            keys, values = self._list_entries(decl, decl.value, frame, domain_keys)
        elif decl.value is not None:
            keys, values = domain_keys, ev.num(decl.value, frame)
        elif decl.name in self.data and isinstance(self.data[decl.name].value,
                                                   (list, np.ndarray)):
            keys, values = domain_keys, self._dense_entries(decl, self.data[decl.name],
                                                            len(domain_keys))
        elif decl.name in self.data:
            keys, values = self._data_entries(decl, self.data[decl.name],
                                              domain_keys.shape[1])
            self._refuse_repeated_keys(decl, self.data[decl.name], keys)
        elif default is not None:
            keys, values = np.zeros((0, domain_keys.shape[1]), dtype=np.int64), np.zeros(0)
        else:
            raise self._no_value(decl)
        if keys.shape[1] != domain_keys.shape[1]:
            raise EvalError(f"the keys of `{decl.name}` have {keys.shape[1]} positions but "
                            f"its index has {domain_keys.shape[1]}", decl.span, kind="data")
        uniques = self.ev.block_uniques(decl.index)
        if keys is not domain_keys and keys.shape == domain_keys.shape and np.array_equal(
                keys, domain_keys):
            keys = domain_keys  # every key, in set order (data written as the sets are)
        if len(keys) and keys is not domain_keys:
            columns = [keys[:, c] for c in range(keys.shape[1])]
            inside = KeyIndex(domain_keys, uniques).lookup(columns)
            if (inside < 0).any() and self._digit_texts:
                keys, inside = self._quoted_digits(keys, inside, domain_keys, uniques)
            if (inside < 0).any():
                first = int(np.nonzero(inside < 0)[0][0])
                key = self.scope.universe.format_key(keys[first])
                span = decl.span
                if isinstance(decl.value, A.DictLiteral):
                    span = getattr(decl.value.entries[first][0], "span", None) or span
                elif decl.value is None and decl.name in self.data:
                    item = self.data[decl.name]
                    span = item.span
                    if isinstance(item.value, Table):
                        span = Span(span.file, int(item.value.lines[first]), 1)
                raise EvalError(f"key ({key}) of `{decl.name}` is not in its index set {dom}",
                                span, "check the spelling of the key, or the set",
                                kind="data")
        factors = _factors(frame) if keys is domain_keys else None
        return ParamValue(decl.name, keys, np.asarray(values, dtype=float), default, dom,
                          decl.span, domain_keys, uniques, factors)

    @staticmethod
    def _scalar_cell(decl: A.ParamDecl, table: Table, span: Span) -> Any:
        """The one value of a table given for a parameter without an index; more rows
        are refused, as JSON's list is, never read as their first."""
        if len(table) == 1 and table.columns:
            return table.rows[0][-1]
        source = table.source or f"`{decl.name}.csv`"
        raise EvalError(f"`{decl.name}` is one number, but {source} has {len(table)} "
                        "values", span, f"give `{decl.name}` its number alone, or declare "
                        f"it over an index set (`{decl.name}[I]`)", kind="data")

    def _quoted_digits(self, keys: np.ndarray, inside: np.ndarray, domain_keys: np.ndarray,
                       uniques: Any) -> tuple[np.ndarray, np.ndarray]:
        """Keys outside the index set, read again with digits as the symbol they spell.

        Data text of digits is an integer member (JSON's key `"6"` is member 6); a set
        of the model may instead hold the quoted symbol `"6"`, which JSON keys could
        then never reach. A key outside its set whose integer came from one text that
        is also such a symbol is read as that symbol."""
        universe = self.scope.universe
        remap = {code: symbol for code, texts in self._digit_texts.items() if len(texts) == 1
                 and (symbol := universe.symbol(next(iter(texts)))) is not None}
        if not remap:
            return keys, inside
        codes = np.array(list(remap), dtype=np.int64)
        symbols = np.array(list(remap.values()), dtype=np.int64)
        order = np.argsort(codes)
        codes, symbols = codes[order], symbols[order]
        at = np.clip(np.searchsorted(codes, keys), 0, len(codes) - 1)
        retried = np.where(codes[at] == keys, symbols[at], keys)
        again = KeyIndex(domain_keys, uniques).lookup(
            [retried[:, c] for c in range(keys.shape[1])])
        fixed = (inside < 0) & (again >= 0)
        if not fixed.any():
            return keys, inside
        keys = keys.copy()
        keys[fixed] = retried[fixed]
        return keys, np.where(fixed, again, inside)

    def _no_value(self, decl: A.ParamDecl) -> EvalError:
        return EvalError(f"parameter `{decl.name}` has no value", decl.span,
                         f"give it a value (`{decl.name} = ...`), a `default`, or supply it "
                         "in a data file with --data", kind="data")

    def _key_row(self, e: A.Expr) -> list[int]:
        parts = e.items if isinstance(e, A.TupleExpr) else (e,)
        return [int(self.ev.key(p, Frame.scalar())[0]) for p in parts]

    def _dict_entries(self, decl: A.ParamDecl,
                      value: A.DictLiteral) -> tuple[np.ndarray, np.ndarray]:
        rows = [self._key_row(k) for k, _ in value.entries]
        if len({len(r) for r in rows}) > 1:
            raise EvalError(f"the keys of `{decl.name}` have different numbers of positions",
                            value.span)
        values = [_constant(v, self.ev) for _, v in value.entries]
        keys = np.array(rows, dtype=np.int64).reshape(len(rows), len(rows[0]) if rows else 0)
        dup = KeyIndex(keys).duplicates() if len(keys) else np.zeros(0, dtype=int)
        if len(dup):
            k, _ = value.entries[int(dup[0])]
            raise EvalError(f"key ({self.scope.universe.format_key(keys[dup[0]])}) of "
                            f"`{decl.name}` is given twice", getattr(k, "span", value.span))
        return keys, np.array(values)

    def _list_entries(self, decl: A.ParamDecl, value: A.ListLiteral, frame: Frame,
                      domain_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert decl.index is not None
        sizes = [len(self.ev.set(b.set)) for b in decl.index.binders]
        flat: list[float] = []

        def walk(node: A.Expr, depth: int) -> None:
            if depth == len(sizes):
                if isinstance(node, A.ListLiteral):
                    raise EvalError(f"`{decl.name}` has more list levels than index sets",
                                    node.span)
                flat.append(_constant(node, self.ev))
                return
            if not isinstance(node, A.ListLiteral):
                raise EvalError(f"`{decl.name}` needs a nested list with one level per index "
                                f"set ({len(sizes)})", getattr(node, "span", None))
            if len(node.items) != sizes[depth]:
                assert decl.index is not None
                set_text = domain_text(A.Index((decl.index.binders[depth],)))
                raise EvalError(f"this list has {len(node.items)} entries but `{set_text}` "
                                f"has {sizes[depth]} members", node.span,
                                "a nested list follows its sets in order, one entry per "
                                "member")
            for item in node.items:
                walk(item, depth + 1)

        walk(value, 0)
        if decl.index.filter is not None or len(flat) != len(domain_keys):
            raise EvalError(f"a list gives `{decl.name}` {len(flat)} values for "
                            f"{len(domain_keys)} index members", value.span,
                            "use a dictionary for a filtered or partial parameter")
        return domain_keys, np.array(flat)

    def _dense_entries(self, decl: A.ParamDecl, item: DataItem, size: int) -> np.ndarray:
        """An array (or nested lists) in set order: one axis per index set."""
        assert decl.index is not None
        sizes = tuple(len(self.ev.set(b.set)) for b in decl.index.binders)
        try:
            values = np.asarray(item.value, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise EvalError(f"`{decl.name}` should be numbers in set order", item.span,
                            "nested lists (or an array) with one level per index set",
                            kind="data") from None
        if decl.index.filter is not None or values.shape != sizes or values.size != size:
            raise EvalError(f"`{decl.name}` has shape {values.shape} but its index sets have "
                            f"sizes {sizes}", item.span,
                            "give one entry per member, in set order, one level per set; "
                            "a filtered or partial parameter takes nested objects",
                            kind="data")
        return values.reshape(-1)

    def _data_entries(self, decl: A.ParamDecl, item: DataItem,
                      arity: int) -> tuple[np.ndarray, np.ndarray]:
        rows: list[list[int]] = []
        values: list[float] = []
        what = f"a value of `{decl.name}`"
        if isinstance(item.value, Table):
            if len(item.value.header) != arity + 1:
                message = (f"`{decl.name}.csv` has {len(item.value.header)} columns; "
                           f"expected {arity} index column(s) and a value column")
                if item.value.source:
                    message = (f"{item.value.source} has {len(item.value.header) - 1} index "
                               f"column(s) or level(s); `{decl.name}` has {arity}")
                raise EvalError(message, item.span, kind="data")
            table = item.value
            columns = [self._member_column(c, table, item.span) for c in table.columns[:-1]]
            keys = (np.stack(columns, axis=1) if columns
                    else np.zeros((len(table), 0), dtype=np.int64))
            return keys, self._number_column(table.columns[-1], table, item.span, what)
        elif arity == 0:
            values.append(self._number(item.value, item.span, what))
            rows.append([])
        else:
            return self._nested_entries(decl, item, arity)
        keys = np.array(rows, dtype=np.int64).reshape(len(rows), arity)
        return keys, np.array(values, dtype=float)

    def _refuse_repeated_keys(self, decl: A.ParamDecl, item: DataItem,
                              keys: np.ndarray) -> None:
        """A key given twice in data is an error, as it is in the model: a CSV row, or
        keys that differ in text but name one member (`"1"` and `"01"`)."""
        dup = (KeyIndex(keys).duplicates() if len(keys) and keys.shape[1]
               else np.zeros(0, dtype=np.int64))
        if not len(dup):
            return
        span = item.span
        if isinstance(item.value, Table):
            span = Span(span.file, int(item.value.lines[int(dup[0])]), 1)
        raise EvalError(f"key ({self.scope.universe.format_key(keys[dup[0]])}) of "
                        f"`{decl.name}` is given twice", span,
                        "keep one of the two: the data never silently picks one", kind="data")

    def _nested_entries(self, decl: A.ParamDecl, item: DataItem,
                        arity: int) -> tuple[np.ndarray, np.ndarray]:
        """Nested objects keyed by index, flattened a whole innermost level at a time."""
        columns: list[list[int]] = [[] for _ in range(arity)]
        raw_values: list[Any] = []
        member = self._member
        inner: dict[tuple[Any, ...], list[int]] = {}  # inner objects usually share their keys

        def walk(node: Any, prefix: list[int]) -> None:
            if not isinstance(node, dict):
                raise EvalError(f"`{decl.name}` should be nested objects, {arity} level(s) "
                                "deep, keyed by its indices", item.span,
                                '"cost": {"a": {"x": 1}}', kind="data")
            if len(prefix) == arity - 1:
                for d, code in enumerate(prefix):
                    columns[d].extend([code] * len(node))
                names = tuple(node)
                codes = inner.get(names)
                if codes is None:
                    codes = inner[names] = [member(k, item.span) for k in names]
                columns[-1].extend(codes)
                raw_values.extend(node.values())
                return
            for k, v in node.items():
                walk(v, [*prefix, member(k, item.span)])

        walk(item.value, [])
        try:
            values = np.array(raw_values)
        except (ValueError, OverflowError):  # ragged (a list among numbers) or huge
            values = np.array(raw_values, dtype=object)
        if values.dtype.kind not in "iuf" or values.ndim != 1:
            # Strings ("inf"), booleans or nested values: convert one by one, with errors.
            what = f"a value of `{decl.name}`"
            values = np.array([self._number(v, item.span, what) for v in raw_values])
        values = values.astype(float)
        keys = np.array(columns, dtype=np.int64).T.reshape(len(raw_values), arity)
        return keys, values

    # ---- numbers a solver would choke on -------------------------------------------
    def _check_numbers(self, name: str, keys: np.ndarray, terms: Terms, span: Span | None,
                       variables: list[VariableBlock], bounds: tuple[np.ndarray, ...]) -> None:
        """NaN, infinite or huge (1e20 and beyond, which solvers read as infinite)
        coefficients are errors; a huge coefficient range a warning."""
        universe = self.scope.universe
        values = terms.lin_val
        size = np.abs(values)
        largest = float(size.max()) if len(size) else 0.0  # NaN or inf if any is
        if not math.isfinite(largest):
            k = int(np.nonzero(~np.isfinite(values))[0][0])
            row = labelled(name, universe.format_key(keys[terms.lin_row[k]]))
            column = column_label(variables, universe, int(terms.lin_col[k]))
            raise EvalError(f"the coefficient of {column} in {row} is {values[k]}", span,
                            "check the data it is computed from (a NaN, an infinity, or a "
                            "division by zero)", kind="data")
        if largest >= HUGE:
            k = int(np.argmax(size))
            row = labelled(name, universe.format_key(keys[terms.lin_row[k]]))
            column = column_label(variables, universe, int(terms.lin_col[k]))
            raise EvalError(f"the coefficient of {column} in {row} is {values[k]:g}: solvers "
                            "read 1e20 and beyond as infinite", span,
                            "rescale the units of the data (thousands, millions)", kind="data")
        quad = np.abs(terms.quad_val)
        if len(quad) and not float(quad.max()) < HUGE:  # NaN, infinite or huge
            k = int(np.nonzero(~(quad < HUGE))[0][0])
            row = labelled(name, universe.format_key(keys[terms.quad_row[k]]))
            pair = " * ".join(column_label(variables, universe, int(c))
                              for c in (terms.quad_col1[k], terms.quad_col2[k]))
            raise EvalError(f"the coefficient of {pair} in {row} is {terms.quad_val[k]:g}: "
                            "a solver takes a finite coefficient below 1e20", span,
                            "check the data it is computed from, or rescale its units",
                            kind="data")
        for bound in bounds:
            nan = np.nonzero(np.isnan(bound))[0]
            if len(nan):
                row = labelled(name, universe.format_key(keys[int(nan[0])]))
                raise EvalError(f"the right-hand side of {row} is NaN", span,
                                "check the data it is computed from", kind="data")
        smallest = float(np.min(size, where=size > 0, initial=math.inf))
        if largest > _RANGE_WARNING * smallest:
            big = int(np.argmax(size))
            small = int(np.nonzero(size == smallest)[0][0])
            describe = [
                f"{values[k]:.3g} on {column_label(variables, universe, int(terms.lin_col[k]))}"
                f" in {labelled(name, universe.format_key(keys[terms.lin_row[k]]))}"
                for k in (big, small)]
            self.warnings.append(Diagnostic(
                f"coefficients of `{name}` range over {largest / smallest:.1e} "
                f"(from {describe[0]} to {describe[1]}); solvers lose accuracy past 1e9",
                span, "rescale the units of the data (thousands, millions)",
                kind="data", severity="warning"))

    @staticmethod
    def _check_constant(name: str, terms: Terms, span: Span | None) -> None:
        """An objective whose constant part is not a finite number (2^2000 overflows to
        inf) has no optimum to report: HiGHS called it optimal at inf, SCIP infeasible."""
        const = float(terms.const[0]) if len(terms.const) else 0.0
        if not math.isfinite(const):
            raise EvalError(f"the constant part of objective `{name}` is {const}, so every "
                            "point scores the same non-number", span,
                            "check the data and powers it is computed from (a number past "
                            "1.8e308 overflows to inf)", kind="data")

    def _check_parameters(self) -> None:
        for p in self.scope.params.values():
            nan = np.nonzero(np.isnan(p.values))[0]
            if len(nan):
                key = self.scope.universe.format_key(p.keys[int(nan[0])]) if p.arity else ""
                self.warnings.append(Diagnostic(
                    f"parameter `{p.name}` is NaN at {labelled(p.name, key)}"
                    + (f" and {len(nan) - 1} more" if len(nan) > 1 else ""), p.span,
                    "a constraint or objective that uses it will fail to compile",
                    kind="data", severity="warning"))

    # ---- variables and constraints -----------------------------------------------
    def _variables(self) -> list[VariableBlock]:
        blocks = []
        offset = 0
        for v in self.model.variables:
            if v is not self.res.variables.get(v.name):
                continue  # a second declaration of the name, already reported
            if v.name in self.failed or self.blocked(v.index, v.lower, v.upper, v.init):
                self.failed.add(v.name)
                continue
            try:
                frame = self.ev.index_frame(v.index)
                keys = self.ev.block_keys(frame, v.index)
                kind, lo, hi = DOMAIN_BOUNDS[v.domain]
                lower = np.full(frame.n, self._bound(v.lower, frame, lo, max))
                upper = np.full(frame.n, self._bound(v.upper, frame, hi, min))
                if v.lower is not None and A.names_in(v.lower):
                    lower = np.maximum(lower, self.ev.num(v.lower, frame))
                if v.upper is not None and A.names_in(v.upper):
                    upper = np.minimum(upper, self.ev.num(v.upper, frame))
                init = self.ev.num(v.init, frame) if v.init is not None else None
                for side, bound, e in (("lower", lower, v.lower), ("upper", upper, v.upper)):
                    self._check_huge(bound, f"the {side} bound of `{v.name}`", keys,
                                     getattr(e, "span", None) or v.span)
                if kind in SEMI_DOMAINS:
                    if v.lower is None:
                        lower = np.zeros(frame.n)
                    _check_semi(v, keys, lower, upper, self.scope.universe)
                bad = np.nonzero(lower > upper)[0]
                if len(bad):
                    key = self.scope.universe.format_key(keys[bad[0]])
                    at = f"[{key}]" if keys.shape[1] else ""
                    raise EvalError(f"`{v.name}{at}` has lower bound {lower[bad[0]]:g} above "
                                    f"its upper bound {upper[bad[0]]:g}", v.span)
                block = VariableBlock(v.name, keys, offset, kind, lower, upper, init, v,
                                      domain_text(v.index), self.ev.block_uniques(v.index),
                                      _factors(frame))
            except EvalError as exc:
                self.fail(exc, v.name)
                continue
            except MemoryError:
                self.fail(_out_of_memory(v.name, v.span, self.scope.max_size), v.name)
                continue
            self.scope.variables[v.name] = block
            blocks.append(block)
            offset += block.size
        return blocks

    def _lexicographic(self) -> tuple[str, ...]:
        c = self.model.combination
        return tuple(i.name for i in c.items) if c and c.kind == "lexicographic" else ()

    def _weights(self) -> dict[str, float]:
        """The numbers of a `weights:` line, each finite."""
        c = self.model.combination
        if c is None or c.kind != "weights":
            return {}
        out: dict[str, float] = {}
        for item in c.items:
            columns = {*self.res.variables, *(d.name for d in self.res.defined)}
            if item.weight is None or self.blocked(item.weight) or (
                    A.names_in(item.weight) & columns):  # reported by resolve
                continue
            try:
                value = float(self.ev.num(item.weight, Frame.scalar())[0])
            except EvalError as exc:
                self.fail(exc)
                continue
            if not math.isfinite(value):
                self.fail(EvalError(f"the weight of `{item.name}` is {value}, not a finite "
                                    "number", getattr(item.weight, "span", None) or item.span,
                                    "give each objective a finite weight; 0 leaves it out"))
            out[item.name] = value
        return out

    def _defined(self, subst: Substitution, lin: Linearizer) -> list[DefinedBlock]:
        """Each defined variable grounded over its index, so that a problem in its
        expression is reported there, used or not; its uses are substituted later."""
        blocks = []
        for d in self.res.defined:
            if d.name in self.failed or self.blocked(d.index, d.expr):
                self.failed.add(d.name)
                continue
            try:
                frame = self.ev.index_frame(d.index)
                block = DefinedBlock(d.name, self.ev.block_keys(frame, d.index), frame,
                                     subst.add(d), d)
                lin.terms(block.expr, frame)
            except EvalError as exc:
                self.fail(exc, d.name)
                continue
            self.scope.params[d.name] = domain_param(block, domain_text(d.index))
            blocks.append(block)
        return blocks

    def _bound(self, e: A.Expr | None, frame: Frame, start: float,
               tighter: Callable[[float, float], float]) -> float:
        """A variable bound that names nothing (`>= 0`) as one number; else `start`."""
        if e is None or A.names_in(e):
            return start
        value = float(self.ev.num(e, Frame.scalar())[0])
        return value if math.isnan(value) else tighter(start, value)

    def _constraint(self, c: A.ConstraintDecl, lin: Linearizer) -> ConstraintBlock:
        frame = self.ev.index_frame(c.index)
        keys = self.ev.block_keys(frame, c.index)
        lo_e, mid, hi_e = split_comparison(c)
        n = frame.n
        ranged = lo_e is not None and hi_e is not None and lo_e is not hi_e
        if ranged and (lin.has_vars(lo_e) or lin.has_vars(hi_e)):  # type: ignore[arg-type]
            raise EvalError("the bounds of a ranged constraint cannot contain variables",
                            getattr(c.expr, "span", c.span), "split it into two constraints")
        if lin.lowerer is not None:
            lin.lowerer.owner = Owner(c.name, c.span, keys, frame)
        # The middle is pushed down by `<=` (bounded above), up by `>=`, both ways by `==`.
        push = 0.0 if lo_e is not None and hi_e is not None else 1.0 if hi_e is not None \
            else -1.0
        terms = lin.terms(mid, frame, push)
        if lo_e is not None and hi_e is not None and not (lin.has_vars(lo_e) or
                                                          lin.has_vars(hi_e)):
            lower, upper = self.ev.num(lo_e, frame), self.ev.num(hi_e, frame)
        else:
            # A plain comparison: move everything to the left, bounds from the sense.
            lower, upper = np.full(n, -math.inf), np.full(n, math.inf)
            other = hi_e if hi_e is not None else lo_e
            assert other is not None
            terms = add(terms, lin.terms(other, frame, -push), -1.0)
            if hi_e is not None:
                upper = np.zeros(n)
            if lo_e is not None:
                lower = np.zeros(n)
        shift = terms.const
        terms = Terms(n, np.zeros(n), terms.lin_row, terms.lin_col, terms.lin_val,
                      terms.quad_row, terms.quad_col1, terms.quad_col2, terms.quad_val,
                      terms.nonlinear)
        where = getattr(c.expr, "span", None) or c.span
        for e in (lo_e, hi_e):  # at the side that holds the number, where there is one
            if e is not None and not lin.has_vars(e):
                where = getattr(e, "span", None) or where
        # An infinite side is no bound whatever the constant: `x <= cap` with cap = inf
        # is a free row, not the NaN of -inf - (-inf) (a NaN constant stays NaN)
        known = ~np.isnan(shift)
        with np.errstate(invalid="ignore"):
            lower = np.where(np.isneginf(lower) & known, -math.inf, lower - shift)
            upper = np.where(np.isposinf(upper) & known, math.inf, upper - shift)
        self._refuse_unreachable(c.name, keys, lower, upper, where)
        for bound in (lower, upper):
            self._check_huge(bound, f"the right-hand side of `{c.name}`", keys, where)
        return ConstraintBlock(c.name, keys, terms, lower, upper, c, frame)

    def _refuse_unreachable(self, name: str, keys: np.ndarray, lower: np.ndarray,
                            upper: np.ndarray, span: Span | None) -> None:
        """A row bounded below by +inf or above by -inf (`x >= cap` with cap = inf) holds
        at no point; solvers answer it with status error, so it is refused here."""
        bad = np.nonzero(np.isposinf(lower) | np.isneginf(upper))[0]
        if not len(bad):
            return
        k = int(bad[0])
        row = labelled(name, self.scope.universe.format_key(keys[k]) if keys.shape[1] else "")
        side = "below by inf" if np.isposinf(lower[k]) else "above by -inf"
        more = f" (and {len(bad) - 1} more rows)" if len(bad) > 1 else ""
        raise EvalError(f"{row} is bounded {side}{more}, so no point satisfies it", span,
                        "`inf` is no bound only on the side it bounds (`x <= inf` holds "
                        "everywhere, `x >= inf` nowhere); check the data it comes from",
                        kind="data")

    def _check_divisions(self, variables: list[VariableBlock]) -> None:
        """A division by a variable whose bounds hold 0 is refused at the `/`: the
        quotient has no value there, and solvers answer beside the pole as if it were
        an optimum (SCIP gave minimise 1/x over [-1, 1] as "optimal", -1e9)."""
        blocks = {v.name: v for v in variables}
        roots = [o.expr for o in self.model.objectives]
        for root in roots + [c.expr for c in self.model.constraints]:
            stack: list[A.Expr] = [root]
            while stack:
                e = stack.pop()
                stack.extend(A.children(e))
                if not (isinstance(e, A.Binary) and e.op == "/"):
                    continue
                den = e.right.operand if isinstance(e.right, A.Unary) else e.right
                block = blocks.get(den.name) if isinstance(den, (A.Name, A.Subscript)) \
                    else None
                if block is None:
                    continue
                zero = np.nonzero((block.lower <= 0) & (block.upper >= 0))[0]
                if not len(zero):
                    continue
                k = int(zero[0])
                key = self.scope.universe.format_key(block.keys[k]) if block.arity else ""
                label = labelled(block.name, key)
                self.fail(EvalError(
                    f"division by `{label}`, whose bounds [{block.lower[k]:g}, "
                    f"{block.upper[k]:g}] hold 0, where the quotient has no value; a solver "
                    "would answer beside the pole as if it were an optimum", e.span,
                    f"bound `{block.name}` away from 0 (e.g. `{block.name} >= 0.001`), or "
                    "multiply the constraint through by it", kind="data"))

    def _check_huge(self, values: np.ndarray, what: str, keys: np.ndarray,
                    span: Span | None) -> None:
        """A finite bound at or past HUGE is refused where it is written: solvers would
        read it as no bound, and answer for another model without a word."""
        bad = np.nonzero(np.isfinite(values) & (np.abs(values) >= HUGE))[0]
        if not len(bad):
            return
        k = int(bad[0])
        key = self.scope.universe.format_key(keys[k]) if keys.shape[1] else ""
        at = f" at [{key}]" if key else ""
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise EvalError(f"{what}{at} is {values[k]:g}{more}: solvers read 1e20 and beyond "
                        "as infinite, so it would silently be no bound", span,
                        "write `inf` for no bound, or rescale the units of the data "
                        "(thousands, millions)", kind="data")


def _check_semi(v: A.VarDecl, keys: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                universe: Universe) -> None:
    """A semi-continuous variable's interval is finite and above 0 (HiGHS, like MOI,
    takes `l >= 0` and a finite `u`; `0 or within [-3, 5]` would be the interval alone)."""
    for bad, what, hint in (
            (~np.isfinite(upper), "has no finite upper bound",
             f"give it one: `{v.name} {v.domain} in [lo, hi]`"),
            (lower < 0, "has a negative lower bound",
             "its values are 0 or within [lo, hi] with 0 <= lo")):
        rows = np.nonzero(bad)[0]
        if len(rows):
            key = universe.format_key(keys[rows[0]])
            at = f"[{key}]" if keys.shape[1] else ""
            raise EvalError(f"{v.domain} variable `{v.name}{at}` {what}", v.span, hint)


def split_comparison(c: A.ConstraintDecl) -> tuple[A.Expr | None, A.Expr, A.Expr | None]:
    """(lower, middle, upper) of a constraint: `lo <= e <= hi`, `e <= hi`, `e == v`...

    For `a == b` both bounds are b; for `a <= b`, lower is None; for `a >= b`,
    the middle is a and the lower is b.
    """
    e = c.expr
    if not (isinstance(e, A.Binary) and e.op in ("<=", ">=", "==")):
        if isinstance(e, A.Binary) and e.op in ("<", ">", "!="):
            raise EvalError(f"`{e.op}` is not allowed in a constraint", e.span,
                            "constraints use <=, >= or ==; strict comparisons belong in "
                            "filters")
        raise EvalError(f"constraint `{c.name}` is not a comparison", c.span,
                        "write `expr <= expr`, `expr >= expr`, `expr == expr` or "
                        "`lo <= expr <= hi`")
    left = e.left
    if isinstance(left, A.Binary) and left.op in ("<=", ">=", "==", "<", ">", "!="):
        if left.op != e.op or e.op == "==":
            raise EvalError("a ranged constraint needs two `<=` or two `>=`", e.span,
                            "write `lo <= expr <= hi`")
        if e.op == "<=":
            return left.left, left.right, e.right
        return e.right, left.right, left.left
    if e.op == "<=":
        return None, left, e.right
    if e.op == ">=":
        return e.right, left, None
    return e.right, left, e.right


def _source(table: Table) -> str:
    return table.source or "the CSV file"


def _factors(frame: Frame) -> tuple[SetValue, ...] | None:
    """The sets whose product, in set order, the frame's rows are; None when unknown."""
    return tuple(f.set for f in frame.product) if frame.product is not None else None


def _constant(e: A.Expr, ev: Evaluator) -> float:
    if isinstance(e, A.Number):
        return float(e.value)
    if isinstance(e, A.Unary) and e.op == "-" and isinstance(e.operand, A.Number):
        return -float(e.operand.value)
    return float(ev.num(e, Frame.scalar())[0])

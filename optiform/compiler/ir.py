"""The ground, solver-independent problem: what is solved.

`ModelDecl` (the AST) is what was written; `Problem` is the model grounded
over its data: sets and parameters as code arrays, variables and constraints
as blocks over index tuples with their coefficients in COO arrays. Every
block keeps its declaration and binding frame, so the checker can evaluate
the original expression again and point back at its source line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from optiform.compiler.keys import KeyIndex, Universe
from optiform.diagnostics import Diagnostic, Span
from optiform.dsl import ast as A


class ProblemClass(str, enum.Enum):
    LP = "LP"
    MILP = "MILP"
    QP = "QP"
    MIQP = "MIQP"
    NLP = "NLP"
    MINLP = "MINLP"

    @property
    def integer(self) -> bool:
        return self in (ProblemClass.MILP, ProblemClass.MIQP, ProblemClass.MINLP)


@dataclass
class SetValue:
    """An ordered set: one row of codes per member (n x arity)."""

    name: str
    codes: np.ndarray

    @property
    def arity(self) -> int:
        return int(self.codes.shape[1])

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @cached_property
    def index(self) -> KeyIndex:
        return KeyIndex(self.codes)


@dataclass
class ParamValue:
    """A parameter's entries: key rows, values, and the default for absent keys."""

    name: str
    keys: np.ndarray  # n x arity; arity 0 for a scalar
    values: np.ndarray
    default: float | None = None
    domain_text: str = ""  # the index set as written, for messages
    span: Span | None = None
    domain_keys: np.ndarray | None = None  # every valid key (the index set's members)
    uniques: list[np.ndarray] | None = None  # members of each index position's set
    factors: tuple[SetValue, ...] | None = None  # keys are their product, in set order

    @property
    def arity(self) -> int:
        return int(self.keys.shape[1])

    @cached_property
    def index(self) -> KeyIndex:
        return KeyIndex(self.keys, self.uniques)

    @cached_property
    def domain(self) -> KeyIndex | None:
        return KeyIndex(self.domain_keys) if self.domain_keys is not None else None


@dataclass(frozen=True, eq=False)
class Factor:
    """One set of a product frame, and the index names bound to its positions."""

    set: SetValue
    names: tuple[str, ...]


@dataclass
class Frame:
    """Rows of bindings: each bound index name maps to a column of codes.

    `product`, when known, says that the rows are exactly the product of its
    factors' sets, members in set order, the last factor varying fastest (what
    unfiltered binders over fixed sets make): a subscript over the same sets
    then has its positions by arithmetic, without looking keys up.
    """

    n: int
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    product: tuple[Factor, ...] | None = None
    # the set each index name was bound to, when it was one fixed set of single members:
    # what `ord(t)`, `prev(t)` and `next(t)` step through
    origins: dict[str, SetValue] = field(default_factory=dict)

    @staticmethod
    def scalar() -> Frame:
        return Frame(1, {}, ())

    def take(self, rows: np.ndarray) -> Frame:
        return Frame(len(rows), {k: v[rows] for k, v in self.columns.items()},
                     origins=self.origins)


# 0, or within [lower, upper] (and whole, for semiinteger)
SEMI_DOMAINS = frozenset({"semicontinuous", "semiinteger"})
# Domains whose values are whole numbers, apart from a semicontinuous 0
INTEGRAL_DOMAINS = frozenset({"integer", "binary", "semiinteger"})


@dataclass(frozen=True)
class Origin:
    """The user's declaration (constraint, objective or variable) that an auxiliary block
    of the lowering works for, so that a conflict is told in the user's terms."""

    name: str
    keyed: bool  # the block's keys are the declaration's: its row k is the user's row k


@dataclass
class VariableBlock:
    name: str
    keys: np.ndarray  # n x arity
    offset: int
    domain: str  # continuous | integer | binary | semicontinuous | semiinteger
    lower: np.ndarray
    upper: np.ndarray
    init: np.ndarray | None
    decl: A.VarDecl
    domain_text: str = ""
    uniques: list[np.ndarray] | None = None  # members of each index position's set
    factors: tuple[SetValue, ...] | None = None  # keys are their product, in set order
    origin: Origin | None = None  # an auxiliary column: what it was added for

    @property
    def size(self) -> int:
        return int(self.keys.shape[0])

    @property
    def arity(self) -> int:
        return int(self.keys.shape[1])

    @cached_property
    def index(self) -> KeyIndex:
        return KeyIndex(self.keys, self.uniques)


@dataclass
class Terms:
    """Linear and quadratic terms of n rows, and a constant per row.

    `nonlinear` marks rows that are neither: no backend here gets terms for
    them, and the class of the problem says which backend could. `one_per_row`
    says that the linear terms are one per row, in row order (`lin_row` is
    `arange(n)`), so that a gather by row can be skipped.
    """

    n: int
    const: np.ndarray
    lin_row: np.ndarray
    lin_col: np.ndarray
    lin_val: np.ndarray
    quad_row: np.ndarray
    quad_col1: np.ndarray
    quad_col2: np.ndarray
    quad_val: np.ndarray
    nonlinear: bool = False
    one_per_row: bool = False

    @property
    def quadratic(self) -> bool:
        return bool(len(self.quad_val)) and bool(np.any(self.quad_val != 0))


@dataclass
class ConstraintBlock:
    """Rows lower <= terms <= upper, one per member of the constraint's index."""

    name: str
    keys: np.ndarray
    terms: Terms
    lower: np.ndarray
    upper: np.ndarray
    decl: A.ConstraintDecl
    frame: Frame
    origin: Origin | None = None  # an auxiliary row: what it was added for

    @property
    def size(self) -> int:
        return int(self.keys.shape[0])


@dataclass
class DefinedBlock:
    """A defined variable grounded over its index: keys, and its expression with every
    defined variable it uses already substituted."""

    name: str
    keys: np.ndarray
    frame: Frame
    expr: A.Expr
    decl: A.DefinedDecl

    @property
    def arity(self) -> int:
        return int(self.keys.shape[1])


@dataclass
class Objective:
    name: str
    sense: str  # minimize | maximize
    terms: Terms  # one row
    decl: A.ObjectiveDecl


@dataclass
class Problem:
    name: str
    universe: Universe
    sets: dict[str, SetValue]
    params: dict[str, ParamValue]
    variables: list[VariableBlock]
    constraints: list[ConstraintBlock]
    objectives: list[Objective]
    problem_class: ProblemClass
    model: A.ModelDecl
    convex: bool | None = None
    warnings: list[Diagnostic] = field(default_factory=list)
    defined: list[DefinedBlock] = field(default_factory=list)  # never columns
    # the objective section's `lexicographic:` or `weights:` line, the solve's default
    lexicographic: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    # The model after the lowerings (compiler/lowering): the user's columns first, then
    # auxiliary ones; what exact backends solve. None when nothing needed lowering.
    lowered: Problem | None = None

    @property
    def n_vars(self) -> int:
        return sum(v.size for v in self.variables)

    @property
    def n_rows(self) -> int:
        return sum(c.size for c in self.constraints)

    def variable(self, name: str) -> VariableBlock:
        return next(v for v in self.variables if v.name == name)

    def objective(self, name: str) -> Objective:
        return next(o for o in self.objectives if o.name == name)

    def column_name(self, j: int) -> str:
        return column_label(self.variables, self.universe, j)

    def row_name(self, r: int) -> str:
        """`name[key]` of the r-th row over all constraint blocks."""
        for c in self.constraints:
            if r < c.size:
                return labelled(c.name, self.universe.format_key(c.keys[r]))
            r -= c.size
        return f"row {r}"


def labelled(name: str, key: str) -> str:
    return f"{name}[{key}]" if key else name


def column_label(variables: list[VariableBlock], universe: Universe, j: int) -> str:
    """`x[key]` of the j-th column."""
    for v in variables:
        if v.offset <= j < v.offset + v.size:
            return labelled(v.name, universe.format_key(v.keys[j - v.offset]))
    return f"column {j}"

"""The solvers Pyomo can drive: what each handles, how to detect it, how to install it.

One table, as data: a solver's name as a user types it (`--solver scip`),
the Pyomo interfaces that reach it (preferred first), the problem classes it
takes, whether it proves global optimality of nonconvex models, whether it
reports LP duals, its MIP-gap option and how to install it. Detection never
constructs an interface whose Python module or executable is missing, so it
is quiet and cheap; answers are cached for the process.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from dataclasses import dataclass
from functools import cache

from optiform.compiler.ir import ProblemClass

LP, MILP, QP, MIQP, NLP, MINLP = (ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP,
                                  ProblemClass.MIQP, ProblemClass.NLP, ProblemClass.MINLP)
ALL_CLASSES = frozenset(ProblemClass)


@dataclass(frozen=True)
class Interface:
    """One way Pyomo reaches a solver: a SolverFactory name and what it needs."""

    pyomo_name: str
    module: str | None = None  # a Python module it imports
    executable: str | None = None  # a program it runs
    classes: frozenset[ProblemClass] | None = None  # fewer than the solver's, if so
    pynumero: bool = False  # needs PyNumero's compiled ASL library too
    # Solves inside the process holding the GIL, where no Python signal handler or
    # watchdog thread can run: solved in a forked child that can be stopped.
    holds_gil: bool = False


@dataclass(frozen=True)
class SolverInfo:
    name: str
    label: str
    interfaces: tuple[Interface, ...]
    classes: frozenset[ProblemClass]
    global_optimal: bool  # proves optimality of nonconvex (NLP, MINLP) models
    nonconvex_qp: bool  # takes quadratic objectives that are not convex
    duals: bool  # LP duals through Pyomo's dual suffix
    gap_option: str | None
    install: str
    # Options that silence the solver's log unless --verbose: Pyomo's scip_direct reads
    # SCIP's log through a pipe that fills while PySCIPOpt holds the GIL, and SCIP then
    # blocks on the write past its time limit (HS1 ran forever under --time-limit 40).
    quiet: tuple[tuple[str, object], ...] = ()

    @property
    def local(self) -> bool:
        return not self.global_optimal


_CONVEX = frozenset({LP, MILP, QP, MIQP})

# In order of preference: `auto` takes the first installed one that handles a class.
CATALOGUE: tuple[SolverInfo, ...] = (
    SolverInfo("highs", "HiGHS", (Interface("highs", "highspy"),
                                  # the older interface takes no quadratic objective
                                  Interface("appsi_highs", "highspy",
                                            classes=frozenset({LP, MILP}))),
               frozenset({LP, MILP, QP}), False, False, True, "mip_rel_gap",
               "pip install highspy"),
    SolverInfo("gurobi", "Gurobi", (Interface("gurobi_direct", "gurobipy"),
                                    Interface("gurobi_persistent", "gurobipy"),
                                    Interface("gurobi", executable="gurobi_cl")),
               _CONVEX, False, False, True, "MIPGap",
               "pip install gurobipy (licensed)"),
    SolverInfo("cplex", "CPLEX", (Interface("cplex_direct", "cplex"),
                                  Interface("cplex", executable="cplex")),
               _CONVEX, False, False, True, "mipgap",
               "pip install cplex (licensed)"),
    SolverInfo("scip", "SCIP", (Interface("scip_direct", "pyscipopt", holds_gil=True),
                                Interface("scip_persistent", "pyscipopt", holds_gil=True),
                                Interface("scip", executable="scip")),
               ALL_CLASSES, True, True, False, "limits/gap",
               "pip install 'optiform[pyomo]' (pyscipopt)", (("display/verblevel", 0),)),
    SolverInfo("couenne", "Couenne", (Interface("couenne", executable="couenne"),),
               ALL_CLASSES, True, True, False, None,
               "conda install -c conda-forge couenne"),
    SolverInfo("ipopt", "Ipopt", (Interface("ipopt", executable="ipopt"),
                                  Interface("cyipopt", "cyipopt", pynumero=True)),
               frozenset({LP, QP, NLP}), False, True, True, None,
               "conda install -c conda-forge ipopt (an `ipopt` on PATH; or cyipopt "
               "with Pyomo's PyNumero ASL)"),
    SolverInfo("bonmin", "Bonmin", (Interface("bonmin", executable="bonmin"),),
               ALL_CLASSES, False, True, False, None,
               "conda install -c conda-forge coin-or-bonmin"),
    SolverInfo("cbc", "CBC", (Interface("cbc", executable="cbc"),),
               frozenset({LP, MILP}), False, False, True, "ratioGap",
               "apt-get install coinor-cbc"),
    SolverInfo("glpk", "GLPK", (Interface("glpk", executable="glpsol"),),
               frozenset({LP, MILP}), False, False, True, "mipgap",
               "apt-get install glpk-utils"),
)

BY_NAME = {s.name: s for s in CATALOGUE}
BY_INTERFACE = {i.pyomo_name: s for s in CATALOGUE for i in s.interfaces}
HOLD_GIL = frozenset(i.pyomo_name for s in CATALOGUE for i in s.interfaces if i.holds_gil)

# For NLP and MINLP, a solver that proves global optimality comes before a local one.
_CLASS_ORDER = {NLP: ("scip", "couenne", "ipopt", "bonmin"),
                MINLP: ("scip", "couenne", "bonmin")}


def pyomo_installed() -> bool:
    return importlib.util.find_spec("pyomo") is not None


@cache
def interface_available(interface: Interface) -> bool:
    """Whether Pyomo can run this interface here, checked without noise."""
    if not pyomo_installed():
        return False
    if interface.module and importlib.util.find_spec(interface.module) is None:
        return False
    if interface.executable and shutil.which(interface.executable) is None:
        return False
    import pyomo.environ as pyo

    if interface.pynumero:
        # Pyomo's cyipopt interface says it is available without the library it needs.
        from pyomo.contrib.pynumero.asl import AmplInterface

        if not AmplInterface.available():
            return False
    # An interface Pyomo cannot construct logs a traceback before it reports failure.
    logger = logging.getLogger("pyomo")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return bool(pyo.SolverFactory(interface.pyomo_name).available(exception_flag=False))
    except Exception:  # a broken installation is an unavailable one
        return False
    finally:
        logger.setLevel(level)


def installed_interface(info: SolverInfo) -> Interface | None:
    """The first of the solver's interfaces that runs here, if any."""
    return next((i for i in info.interfaces if interface_available(i)), None)


def installed() -> list[SolverInfo]:
    return [s for s in CATALOGUE if installed_interface(s) is not None]


def handles(info: SolverInfo, problem_class: ProblemClass, convex: bool | None) -> bool:
    if problem_class not in info.classes:
        return False
    return convex is not False or info.nonconvex_qp


def best_for(problem_class: ProblemClass, convex: bool | None = True) -> SolverInfo | None:
    """The preferred installed solver for a class, global solvers first for NLP/MINLP."""
    order = [BY_NAME[n] for n in _CLASS_ORDER.get(problem_class, ())] + list(CATALOGUE)
    for info in order:
        if handles(info, problem_class, convex) and installed_interface(info) is not None:
            return info
    return None


def could_solve(problem_class: ProblemClass, convex: bool | None = True) -> list[SolverInfo]:
    """Every catalogued solver that handles a class, installed or not, preferred first."""
    order = [BY_NAME[n] for n in _CLASS_ORDER.get(problem_class, ())] + list(CATALOGUE)
    seen: list[SolverInfo] = []
    for info in order:
        if handles(info, problem_class, convex) and info not in seen:
            seen.append(info)
    return seen


@dataclass(frozen=True)
class SolverStatus:
    """One line of `optiform solvers`: a solver, whether it runs here, what it takes."""

    name: str
    label: str
    installed: bool
    through: str  # the backend and interface that reach it
    classes: tuple[str, ...]
    proves_optimality: str  # global, convex only, or local
    install: str


def report() -> list[SolverStatus]:
    """Every catalogued solver reached through Pyomo, installed ones first."""
    rows = []
    for info in CATALOGUE:
        found = installed_interface(info)
        through = f"pyomo ({found.pyomo_name})" if found else "pyomo"
        proves = "global" if info.global_optimal else (
            "local (NLP)" if info.classes & {NLP, MINLP} else "convex models")
        rows.append(SolverStatus(info.name, info.label, found is not None, through,
                                 tuple(c.value for c in ProblemClass if c in info.classes),
                                 proves, info.install))
    return sorted(rows, key=lambda r: not r.installed)

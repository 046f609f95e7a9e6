"""The backends, in one registry in order of preference.

`choose` picks the first available backend that can take a problem's class
(HiGHS directly for LP, MILP and convex QP; Pyomo with the best installed
solver for the rest); when none can, the error says which solver would and
how to install it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from optiform.backends.base import (
    CLASS_NEEDS,
    Backend,
    BackendError,
    SolveOptions,
    can_solve,
)
from optiform.backends.gflownet.backend import GFlowNetBackend
from optiform.backends.highs.backend import HighsBackend
from optiform.backends.pyomo import solvers
from optiform.backends.pyomo.backend import PyomoBackend
from optiform.backends.torch.backend import TorchBackend
from optiform.backends.torch.ipopt import IpoptBackend
from optiform.compiler.ir import Problem, ProblemClass
from optiform.extras import MissingExtra, absent, install_line
from optiform.writing import OutputError, check_target, write_atomic

# Local NLP methods last: ipopt (cyipopt) before torch, the heuristic of last resort;
# the sampler after them all, so that `auto` never reaches it (torch takes every class).
REGISTRY: dict[str, Backend] = {"highs": HighsBackend(), "pyomo": PyomoBackend(),
                                "ipopt": IpoptBackend(), "torch": TorchBackend(),
                                "gflownet": GFlowNetBackend()}


def choose(problem: Problem, name: str = "auto", solver: str | None = None) -> Backend:
    """The backend for a problem: `name` from REGISTRY or auto, `solver` for Pyomo."""
    if solver is not None:
        if name not in ("auto", "pyomo"):
            raise BackendError(f"--solver picks a solver for the pyomo backend; backend "
                               f"`{name}` takes none")
        backend: Backend = PyomoBackend(solver)
    elif name != "auto":
        found = REGISTRY.get(name)
        if found is None:
            raise BackendError(f"unknown backend `{name}`; available: "
                               + ", ".join(REGISTRY))
        backend = found
    else:
        for backend in REGISTRY.values():
            if backend.is_available() and can_solve(backend, problem):
                return backend
        raise BackendError(_cannot("auto", problem))
    if not backend.is_available():
        module = absent(backend.needs)
        if module is not None:
            raise MissingExtra(module, f"--backend {backend.name}")
        missing = backend.missing() if isinstance(backend, PyomoBackend) else ""
        raise BackendError(missing or f"backend `{backend.name}` is not installed here")
    if not can_solve(backend, problem):
        raise BackendError(_cannot(backend.name, problem))
    return backend


def auto_note(problem: Problem, backend: Backend) -> str:
    """Why `auto` fell back on a heuristic backend, and what would do better."""
    if "heuristic" not in backend.capabilities:
        return ""
    could = solvers.could_solve(problem.problem_class, problem.convex)
    better = f" ({could[0].install} gives {could[0].label} through Pyomo)" if could else ""
    return (f"no installed solver takes this {problem.problem_class.value} model, so auto "
            f"chose `{backend.name}`, a local multi-start method{better}")


_WHAT = {
    "NLP": "it has nonlinear expressions in its variables (or quadratic constraints)",
    "MINLP": "it has nonlinear expressions in its variables (or quadratic constraints) "
             "and integer variables",
    "MIQP": "a quadratic objective with integer variables (HiGHS solves LP, MILP and convex "
            "QP; relaxing the integer variables makes it a QP)",
}


def _cannot(name: str, problem: Problem) -> str:
    cls = problem.problem_class.value
    if problem.convex is False:
        what = ("its quadratic objective is not convex (its Hessian is not positive "
                "semidefinite for minimisation, or negative semidefinite for maximisation; "
                "HiGHS solves convex QPs only)")
    else:
        what = _WHAT.get(cls, f"a {cls} problem")
    who = "no installed backend can" if name == "auto" else f"`{name}` cannot"
    could = solvers.could_solve(problem.problem_class, problem.convex)
    have = [s for s in could if solvers.installed_interface(s) is not None]
    if have and not name.startswith("pyomo"):
        fix = (f"`--backend pyomo` solves it with {have[0].label}, which is installed "
               f"(or name one: --solver {have[0].name})")
    elif have:
        fix = "solvers installed here that can: " + ", ".join(
            f"{s.label} (--solver {s.name})" for s in have)
    else:
        get = (could[0].install if solvers.pyomo_installed() else
               f"{install_line('pyomo')} brings Pyomo and SCIP")
        fix = (f"it needs a solver such as {', '.join(s.label for s in could[:4])} through "
               f"Pyomo; {get}" if could else "no known solver takes it")
    return f"this model is {cls}: {what}, which {who} solve; {fix}"


def available_solvers() -> list[solvers.SolverStatus]:
    """The backends that solve directly, then every solver Pyomo can reach."""
    direct = []
    for name, backend in REGISTRY.items():
        if isinstance(backend, PyomoBackend):
            continue
        caps = backend.capabilities
        refused: frozenset[ProblemClass] = getattr(backend, "refuses", frozenset())
        classes = tuple(c.value for c, needs in CLASS_NEEDS.items()
                        if needs <= caps and (c.integer or "discrete-only" not in caps)
                        and c not in refused)
        proves = ("sampler" if "sampler" in caps else
                  "global" if "nonlinear" in caps and "proves-optimality" in caps else
                  "convex models" if "proves-optimality" in caps else
                  "heuristic" if "heuristic" in caps else "local (NLP)")
        module = absent(backend.needs)
        direct.append(solvers.SolverStatus(name, name, module is None, f"{name} (direct)",
                                           classes, proves, install_line(module or "")))
    return [*direct, *solvers.report()]


# Files by extension: HiGHS writes linear and quadratic models, Pyomo any model.
WRITERS: dict[str, Callable[[Problem, Path], None]] = {
    ".lp": HighsBackend().write, ".mps": HighsBackend().write, ".nl": PyomoBackend().write,
}


# The last line of a complete file; a writer that fails halfway does not always say so
# (HiGHS reports success for a .lp cut short by a full disk).
_LAST_LINE = {".lp": b"end", ".mps": b"ENDATA"}


def write(problem: Problem, path: str | Path) -> None:
    """The grounded model in a standard format, chosen by the file's extension.

    The writer works in a temporary folder; each file it makes (.nl comes with
    .row and .col) is checked complete and then moved beside `path` whole, so a
    failed write raises `OutputError` and leaves no part of a file behind.
    """
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise BackendError(f"cannot write `{path.suffix or path.name}` files; write "
                           + ", ".join(WRITERS))
    check_target(path)
    with tempfile.TemporaryDirectory(prefix="optiform-write-") as folder:
        staged = Path(folder) / path.name
        try:
            writer(problem, staged)
        except OSError as exc:
            raise OutputError(f"cannot write `{path}`: {exc.strerror or exc}; nothing was "
                              "written") from None
        if not _complete(staged):
            raise OutputError(f"cannot write `{path}`: the file came out incomplete (is the "
                              "disk full?); nothing was written")
        for made in sorted(Path(folder).iterdir()):
            write_atomic(path.with_name(made.name), made)


def _complete(staged: Path) -> bool:
    last = _LAST_LINE.get(staged.suffix.lower())
    if last is None:
        return staged.exists()
    with open(staged, "rb") as fh:
        fh.seek(max(0, staged.stat().st_size - 256))
        return fh.read().rstrip().endswith(last)


__all__ = ["REGISTRY", "Backend", "BackendError", "SolveOptions", "auto_note",
           "available_solvers", "choose", "write"]

"""The optional parts of optiform and the `pip install` extra that brings each.

The core solves LP, MILP and QP with HiGHS; Pyomo and SCIP, torch, the LLM
client, pandas and Ray are extras. A feature reaches for its library through
`require`, so a missing one is one error that says which extra to install
(the CLI prints it and exits 5), never an ImportError traceback. Imports
nothing optional itself.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# Each optional top-level module, the extra that installs it.
EXTRA_OF: dict[str, str] = {
    "pyomo": "pyomo",
    "pyscipopt": "pyomo",
    "torch": "torch",
    "cyipopt": "ipopt",
    "openai": "agent",
    "pandas": "frames",
    "pyarrow": "frames",
    "polars": "polars",
    "ray": "ray",
    "matplotlib": "plot",
}


class MissingExtra(ImportError):
    """A feature needs a library that is not installed; the message says how to get it."""

    def __init__(self, module: str, feature: str) -> None:
        self.module = module
        self.feature = feature
        self.extra = EXTRA_OF.get(module.split(".")[0], "all")
        super().__init__(
            f"{feature} needs {module.split('.')[0]}, which is not installed: "
            f"{install_line(module)}"
        )


def install_line(module: str) -> str:
    """The command that installs the extra bringing `module`."""
    return f"pip install 'optiform[{EXTRA_OF.get(module.split('.')[0], 'all')}]'"


def absent(modules: tuple[str, ...]) -> str | None:
    """The first of `modules` that cannot be imported here, found without importing it."""
    return next((m for m in modules if importlib.util.find_spec(m) is None), None)


def require(module: str, feature: str) -> ModuleType:
    """Import `module` for `feature`, or raise MissingExtra naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtra(module, feature) from e

"""optiform: optimization models in five elements, compiled and checked.

The public API: `load` a model (with data) and `solve` it; the result has
the objective, the values keyed by index tuples, the status and the
checker's report; `batch` solves one model for many data files or
parameter values, in parallel, into one table. `formalize` turns a problem
in plain English into a verified model through an LLM.

Each name is imported on first use (PEP 562), so that `import optiform` stays
cheap and a script that only compiles never loads the agents or the LLM client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optiform.agents.llm import LLM, LLMError
    from optiform.agents.loop import FormalizationFailed, FormalizationResult, formalize
    from optiform.api import Model, check, load, loads, solve
    from optiform.backends import BackendError
    from optiform.batching import batch
    from optiform.diagnostics import Diagnostic, DiagnosticError
    from optiform.solution import Result
    from optiform.verify import ViolationReport

_WHERE = {
    "BackendError": "optiform.backends",
    "Diagnostic": "optiform.diagnostics",
    "DiagnosticError": "optiform.diagnostics",
    "FormalizationFailed": "optiform.agents.loop",
    "FormalizationResult": "optiform.agents.loop",
    "LLM": "optiform.agents.llm",
    "LLMError": "optiform.agents.llm",
    "Model": "optiform.api",
    "Result": "optiform.solution",
    "ViolationReport": "optiform.verify",
    "batch": "optiform.batching",
    "check": "optiform.api",
    "formalize": "optiform.agents.loop",
    "load": "optiform.api",
    "loads": "optiform.api",
    "solve": "optiform.api",
}

__all__ = [
    "BackendError",
    "Diagnostic",
    "DiagnosticError",
    "FormalizationFailed",
    "FormalizationResult",
    "LLM",
    "LLMError",
    "Model",
    "Result",
    "ViolationReport",
    "batch",
    "check",
    "formalize",
    "load",
    "loads",
    "solve",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'optiform' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

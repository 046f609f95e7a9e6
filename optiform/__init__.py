"""optiform: optimization models in five elements, compiled and checked.

The public API: `load` a model (with data) and `solve` it; the result has
the objective, the values keyed by index tuples, the status and the
checker's report. `formalize` turns a problem in plain English into a
verified model through an LLM.
"""

from optiform.agents.llm import LLM, LLMError
from optiform.agents.loop import FormalizationFailed, FormalizationResult, formalize
from optiform.api import Model, check, load, loads, solve
from optiform.backends import BackendError
from optiform.diagnostics import Diagnostic, DiagnosticError
from optiform.solution import Result
from optiform.verify import ViolationReport

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
    "check",
    "formalize",
    "load",
    "loads",
    "solve",
]

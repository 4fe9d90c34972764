"""instancegen's Python API: the CLI and the HTTP API are thin layers over these.

import service
mm = service.load_metamodel(["bank.ecore"])
issues = service.validate(mm, cim)
result = service.generate(mm, "A bank with two accounts")   # imported on first use
changed = service.edit(mm, result.cim, "Add a third account for Bob")
"""

from typing import Any

from service.cim import Cim, CimObject, parse_cim
from service.ecore_loader import load_metamodel
from service.edits import apply_edits
from service.emfatic import render_metamodel
from service.errors import BackendError, InputError, LimitExceeded
from service.issues import Issue
from service.metamodel import Metamodel
from service.pyecore_interop import from_pyecore, to_pyecore
from service.schema import conceptual_schema
from service.validator import validate

__all__ = [
    "BackendError",
    "Cim",
    "CimObject",
    "InputError",
    "Issue",
    "LimitExceeded",
    "Metamodel",
    "apply_edits",
    "conceptual_schema",
    "edit",
    "from_pyecore",
    "generate",
    "load_metamodel",
    "parse_cim",
    "render_metamodel",
    "to_pyecore",
    "validate",
]


def __getattr__(name: str) -> Any:
    """`generate` is imported on first use: the LLM stack is slow to import and most callers
    (and the CLI's other commands) never need it."""
    if name == "generate":
        from service.generation import generate

        return generate
    if name == "edit":
        from service.editing import edit

        return edit
    raise AttributeError(f"module 'service' has no attribute {name!r}")

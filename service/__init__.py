"""instancegen's Python API: the CLI and the HTTP API are thin layers over these.

import service
mm = service.load_metamodel(["bank.ecore"])
issues = service.validate(mm, cim)
result = service.generate(mm, "A bank with two accounts")   # imported on first use
"""

from typing import Any

from service.cim import Cim, CimObject, parse_cim
from service.ecore_loader import load_metamodel
from service.emfatic import render_metamodel
from service.errors import BackendError, InputError, LimitExceeded
from service.issues import Issue
from service.metamodel import Metamodel
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
    "conceptual_schema",
    "generate",
    "load_metamodel",
    "parse_cim",
    "render_metamodel",
    "validate",
]


def __getattr__(name: str) -> Any:
    """`generate` is imported on first use: the LLM stack is slow to import and most callers
    (and the CLI's other commands) never need it."""
    if name == "generate":
        from service.generation import generate

        return generate
    raise AttributeError(f"module 'service' has no attribute {name!r}")

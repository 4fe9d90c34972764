"""Validation findings: one record shape shared by the CLI, the HTTP API and repair prompts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning"]


class Issue(BaseModel):
    """One finding. `code` is a stable string; `message` speaks to whoever must fix it."""

    code: str
    severity: Severity = "error"
    object: str | None = None
    feature: str | None = None
    message: str
    hint: str | None = None


def has_errors(issues: list[Issue]) -> bool:
    """A model is valid when no finding is an error (warnings do not count)."""
    return any(i.severity == "error" for i in issues)


def normalised(message: str, obj: str | None = None, feature: str | None = None) -> Issue:
    """A warning that generation changed what the LLM wrote; `message` says what and how."""
    return Issue(
        code="normalised", severity="warning", object=obj, feature=feature, message=message
    )

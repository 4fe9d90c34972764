"""Validation findings: one record shape shared by the CLI, the HTTP API and repair prompts."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, model_validator

Severity = Literal["error", "warning"]

# What a finding never holds as it is, though a value it echoes may: lone surrogates (no
# encoding can write them: JSON responses and terminals would fail), control and XML-illegal
# characters, and the invisible marks that reorder text on a screen (bidirectional controls).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def safe_text(text: str) -> str:
    """`text` with every unsafe character written as its escape (`\\ud800`, `\\u202e`), so any
    finding can be printed, sent as JSON and rendered into a prompt."""
    if text.isprintable() or _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Issue(BaseModel):
    """One finding. `code` is a stable string; `message` speaks to whoever must fix it. Every
    text is `safe_text`: a finding echoes any value, lone surrogates included, escaped."""

    code: str
    severity: Severity = "error"
    object: str | None = None
    feature: str | None = None
    message: str
    hint: str | None = None

    @model_validator(mode="after")
    def _safe(self) -> Issue:
        """One pass over the texts (findings come by the thousand; most texts are printable)."""
        for name in _TEXTS:
            text = self.__dict__[name]
            if text is not None and not text.isprintable():
                self.__dict__[name] = safe_text(text)
        return self


_TEXTS = ("code", "object", "feature", "message", "hint")


def has_errors(issues: list[Issue]) -> bool:
    """A model is valid when no finding is an error (warnings do not count)."""
    return any(i.severity == "error" for i in issues)


def normalised(message: str, obj: str | None = None, feature: str | None = None) -> Issue:
    """A warning that generation changed what the LLM wrote; `message` says what and how."""
    return Issue(
        code="normalised", severity="warning", object=obj, feature=feature, message=message
    )

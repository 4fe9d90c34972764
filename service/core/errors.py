"""The two kinds of failure users must be able to tell apart.

Bad input (exit 2, HTTP 4xx) is the caller's to fix; backend failure (exit 3, HTTP 502/504)
is the LLM provider's. Both carry one clear sentence, never a traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """The input (a file, a model, a request) is wrong; `message` names what and where."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LimitExceeded(InputError):
    """The input is larger than a configured limit allows; the message names the limit."""

    status = 413


class BackendError(Exception):
    """The LLM backend failed (refused, timed out, unauthorised, unusable output)."""

    def __init__(self, message: str, *, timeout: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.timeout = timeout
        # the provider's HTTP status, when it answered with one (429: rate-limited)
        self.status = status

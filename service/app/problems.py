"""How a failure is told to whoever asked: an RFC 9457 problem with one clear sentence.

A synchronous request answers with it and a failed job stores it, so both map exceptions the
same way: bad input is 4xx naming what is wrong, backend trouble 502/504, a `Refused`
request its own status, and anything unexpected a 500 whose correlation id is logged with the
traceback (an operator finds what a user reports).
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus

from pydantic import BaseModel

from instancegen.service.core.errors import BackendError, InputError, LimitExceeded
from instancegen.service.core.issues import Issue

log = logging.getLogger("instancegen.http")


class Problem(BaseModel):
    """An RFC 9457 problem; `issues` is set when a model failed validation."""

    type: str
    title: str
    status: int
    detail: str
    issues: list[Issue] | None = None
    correlation_id: str | None = None  # 500s: the id the server logged the error under


class Refused(Exception):
    """A request the service turns down as it stands (a full queue, an unknown metamodel id,
    a job that failed on a worker): its status, slug, sentence, and headers to send."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        issues: list[Issue] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.issues = issues


def problem(
    status: int,
    slug: str,
    detail: str,
    *,
    issues: list[Issue] | None = None,
    correlation_id: str | None = None,
) -> Problem:
    return Problem(
        type=f"urn:instancegen:problem:{slug}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        issues=issues,
        correlation_id=correlation_id,
    )


def problem_for(exc: Exception) -> tuple[Problem, dict[str, str]]:
    """The problem `exc` is, and the headers that go with it."""
    if isinstance(exc, Refused):
        return problem(exc.status, exc.slug, exc.detail, issues=exc.issues), exc.headers
    if isinstance(exc, LimitExceeded):
        return problem(exc.status, "too-large", exc.message), {}
    if isinstance(exc, InputError):
        return problem(exc.status, "bad-input", exc.message), {}
    if isinstance(exc, BackendError):
        if exc.timeout:
            return problem(504, "backend-timeout", exc.message), {}
        return problem(502, "backend-failed", exc.message), {}
    incident = uuid.uuid4().hex
    log.error("unexpected error [correlation id %s]", incident, exc_info=exc)
    detail = f"The server failed unexpectedly; the error is logged under correlation id {incident}."
    return (
        problem(500, "internal", detail, correlation_id=incident),
        {"X-Correlation-ID": incident},
    )

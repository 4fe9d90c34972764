"""Every error the API returns is `application/problem+json` (RFC 9457) with one clear sentence.

Bad input is 4xx naming what is wrong; backend trouble is 502/504; anything unexpected is
logged with a correlation id and answered with a 500 problem carrying the same id (also in the
`X-Correlation-ID` header), so an operator finds the traceback a user reports.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from instancegen.service.core.errors import BackendError, InputError, LimitExceeded
from instancegen.service.core.issues import Issue
from instancegen.service.http.json_response import JsonResponse

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("instancegen.http")


class Problem(BaseModel):
    """An RFC 9457 problem; `issues` is set when a model failed validation."""

    type: str
    title: str
    status: int
    detail: str
    issues: list[Issue] | None = None
    correlation_id: str | None = None  # 500s: the id the server logged the error under


class ApiError(StarletteHTTPException):
    """An HTTP-level failure raised by the API itself (401, 404, 413, 429, invalid model).

    An HTTPException so that FastAPI passes it through unchanged even while reading a body.
    """

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        issues: list[Issue] | None = None,
    ) -> None:
        super().__init__(status, detail, headers)
        self.slug = slug
        self.issues = issues


def problem_response(
    status: int,
    slug: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    issues: list[Issue] | None = None,
    correlation_id: str | None = None,
) -> JSONResponse:
    """The one way an error leaves the API."""
    problem = Problem(
        type=f"urn:instancegen:problem:{slug}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        issues=issues,
        correlation_id=correlation_id,
    )
    return JsonResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def problem_for(exc: Exception) -> Problem:
    """The problem a failed job records (same mapping as a synchronous request)."""
    response = _response_for(exc)
    return Problem.model_validate_json(bytes(response.body))


def describe_request_error(errors: list[Any]) -> str:
    """The first request validation error as one sentence naming the field (`metamodel.ecore`)."""
    if not errors:
        return "the request is not valid."
    err = errors[0]
    loc = [str(p) if not isinstance(p, int) else f"[{p}]" for p in err.get("loc", ())]
    where = loc[0] if loc else "request"
    if loc and loc[0] in {"body", "query", "path", "header"}:
        where = f"the request {loc[0]}" if len(loc) == 1 else ""
        for part in loc[1:]:
            where += part if part.startswith("[") or not where else f".{part}"
    if err.get("type") == "json_invalid":
        return f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'syntax')})."
    more = f" ({len(errors) - 1} more problems)" if len(errors) > 1 else ""
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ").rstrip(".")
    return f"{where}: {msg}{more}."


def _response_for(exc: Exception, request: Request | None = None) -> JSONResponse:
    if isinstance(exc, ApiError):
        return problem_response(
            exc.status_code, exc.slug, exc.detail, headers=exc.headers, issues=exc.issues
        )
    if isinstance(exc, LimitExceeded):
        return problem_response(exc.status, "too-large", exc.message)
    if isinstance(exc, InputError):
        return problem_response(exc.status, "bad-input", exc.message)
    if isinstance(exc, BackendError):
        if exc.timeout:
            return problem_response(504, "backend-timeout", exc.message)
        return problem_response(502, "backend-failed", exc.message)
    if isinstance(exc, RequestValidationError):
        if request is not None and _lost_to_h2c(request):
            return problem_response(400, "http2-upgrade", H2C_LOST)
        return problem_response(422, "invalid-request", describe_request_error(list(exc.errors())))
    if isinstance(exc, StarletteHTTPException):
        slug = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and request is not None:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(
            exc.status_code, slug, _routing_detail(exc, request, headers), headers=headers
        )
    incident = uuid.uuid4().hex
    log.error("unexpected error [correlation id %s]", incident, exc_info=exc)
    return problem_response(
        500,
        "internal",
        f"The server failed unexpectedly; the error is logged under correlation id {incident}.",
        headers={"X-Correlation-ID": incident},
        correlation_id=incident,
    )


H2C_LOST = (
    "the request asked to upgrade to HTTP/2 over plain HTTP (Upgrade: h2c), which this server "
    "does not speak, and its body did not arrive: send it as HTTP/1.1 (Java's HttpClient: "
    ".version(HttpClient.Version.HTTP_1_1))."
)


def _lost_to_h2c(request: Request) -> bool:
    """uvicorn's fast HTTP parser stops at an `Upgrade: h2c` header and hands the app an empty
    body; the JDK's HttpClient sends one by default. Said plainly instead of "field required"."""
    headers = request.headers
    return headers.get("upgrade", "").lower() == "h2c" and headers.get("content-length", "0") != "0"


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's);
    found by asking the routes, which works however routers are nested."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.routes
        )
    ]


def _routing_detail(
    exc: StarletteHTTPException, request: Request | None, headers: Mapping[str, str]
) -> str:
    """Starlette's own errors (no route, wrong method) in a sentence that helps."""
    where = f"{request.method} {request.url.path}" if request is not None else "this request"
    if exc.status_code == 400:  # FastAPI's only 400: a body it cannot decode
        return "the request body cannot be decoded; send UTF-8 encoded JSON."
    if exc.status_code == 404:
        return f"there is no endpoint {where}; the API is described at /docs."
    if exc.status_code == 405:
        allowed = headers.get("Allow", "")
        return f"{where} is not allowed; this path accepts {allowed or 'other methods'}."
    text = str(exc.detail)
    return text if text.endswith(".") else f"{text}."


def install(app: FastAPI) -> None:
    """Route every exception the app can raise to a problem response."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return _response_for(exc, request)

    for kind in (
        InputError,
        BackendError,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(kind, handler)

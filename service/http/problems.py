"""Every error the API returns is `application/problem+json` (RFC 9457) with one clear sentence.

The mapping of the service's own failures is `app.problems` (a failed job stores the same);
here are the HTTP layer's: a body that does not validate, a route or method that does not
exist, and `ApiError`, which FastAPI passes through even while reading a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from instancegen.service.app.problems import Problem, Refused, problem, problem_for
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.http.json_response import JsonResponse

MEDIA_TYPE = "application/problem+json"


class ApiError(StarletteHTTPException):
    """A `Refused` request raised where only an HTTPException passes through unchanged: a
    dependency (the API key) or a body being read (its size)."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.status, refused.detail, refused.headers)
        self.refused = refused


def problem_response(
    status: int, slug: str, detail: str, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one way an error leaves the API."""
    return _json(problem(status, slug, detail), headers)


def _json(found: Problem, headers: Mapping[str, str] | None) -> JSONResponse:
    return JsonResponse(
        found.model_dump(exclude_none=True),
        status_code=found.status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


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
        return _json(*problem_for(exc.refused))
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
    return _json(*problem_for(exc))


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
        Refused,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(kind, handler)

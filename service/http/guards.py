"""Request guards: the body size limit (before the body is read) and optional API keys."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from instancegen.service.app.problems import Refused
from instancegen.service.http.problems import ApiError, problem_response


class BodySizeLimit:
    """Refuse bodies above `max_bytes` with 413: by Content-Length up front, else while
    streaming (chunked uploads), so a huge body is never buffered."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await problem_response(413, "too-large", self._detail())(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise ApiError(Refused(413, "too-large", self._detail()))
            return message

        await self.app(scope, limited, send)

    def _detail(self) -> str:
        return (
            f"the request body is larger than the limit of {self.max_bytes:,} bytes "
            "(INSTANCEGEN_MAX_BODY_BYTES)."
        )


_BEARER = HTTPBearer(auto_error=False, description="One of the server's INSTANCEGEN_API_KEYS.")


class ApiKeys:
    """FastAPI dependency requiring `Authorization: Bearer <key>` (installed only when keys
    are configured, so the OpenAPI document declares security exactly when it applies)."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = tuple(k.encode() for k in keys)

    async def __call__(
        self, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
    ) -> None:
        given = creds.credentials.encode() if creds is not None else None
        if given is None or not any(hmac.compare_digest(given, k) for k in self.keys):
            detail = (
                "this server requires an API key: send `Authorization: Bearer <key>`."
                if given is None
                else "the API key is not valid for this server."
            )
            headers = {"WWW-Authenticate": "Bearer"}
            raise ApiError(Refused(401, "unauthorized", detail, headers=headers))

"""A pass-through proxy in front of an OpenAI-compatible server that records, for every chat
completion, what was asked (`max_tokens`) and what the server counted (`usage`) or answered
instead (its status and error): the sizes a test checks are the server's, not our estimate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fault_server import Reply, fault_server


@dataclass
class Exchange:
    """One chat completion through the proxy."""

    status: int
    max_tokens: int | None
    prompt_tokens: int | None
    completion_tokens: int | None
    error: str = ""


@dataclass
class CountingProxy:
    base_url: str  # the proxy's /v1 base URL
    exchanges: list[Exchange] = field(default_factory=list)


@contextlib.contextmanager
def counting_proxy(upstream: str) -> Iterator[CountingProxy]:
    """A proxy on a free loopback port forwarding chat completions to `upstream` (a /v1
    base URL); yields it with its `base_url` and the exchanges so far."""
    with fault_server() as server, httpx.Client(timeout=httpx.Timeout(3600.0)) as client:
        proxy = CountingProxy(server.base_url)

        def forward(request: dict[str, Any]) -> Reply:
            answer = client.post(f"{upstream.rstrip('/')}/chat/completions", json=request)
            reply: dict[str, Any] = {}
            with contextlib.suppress(ValueError):
                reply = answer.json()
            usage = reply.get("usage") or {}
            proxy.exchanges.append(
                Exchange(
                    answer.status_code,
                    request.get("max_tokens") or request.get("max_completion_tokens"),
                    usage.get("prompt_tokens"),
                    usage.get("completion_tokens"),
                    "" if answer.status_code == 200 else answer.text[:500],
                )
            )
            return answer.status_code, {}, answer.content, 0.0

        server.script = forward
        yield proxy

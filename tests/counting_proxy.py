"""A pass-through proxy in front of an OpenAI-compatible server that records, for every chat
completion, what was asked (`max_tokens`) and what the server counted (`usage`) or answered
instead (its status and error): the sizes a test checks are the server's, not our estimate.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


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
    upstream: str  # the server's /v1 base URL
    base_url: str = ""
    exchanges: list[Exchange] = field(default_factory=list)


@contextlib.contextmanager
def counting_proxy(upstream: str) -> Iterator[CountingProxy]:
    """A proxy on a free loopback port; yields it with its /v1 `base_url`."""
    proxy = CountingProxy(upstream.rstrip("/"))
    client = httpx.Client(timeout=httpx.Timeout(3600.0))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _forward(self, method: str) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            path = self.path.removeprefix("/v1")
            answer = client.request(
                method,
                proxy.upstream + path,
                content=body,
                headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
            )
            if path.startswith("/chat/completions"):
                asked = json.loads(body or b"{}")
                reply: dict[str, Any] = {}
                with contextlib.suppress(ValueError):
                    reply = answer.json()
                usage = reply.get("usage") or {}
                with lock:
                    proxy.exchanges.append(
                        Exchange(
                            answer.status_code,
                            asked.get("max_tokens") or asked.get("max_completion_tokens"),
                            usage.get("prompt_tokens"),
                            usage.get("completion_tokens"),
                            "" if answer.status_code == 200 else answer.text[:500],
                        )
                    )
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def do_GET(self) -> None:
            self._forward("GET")

        def do_POST(self) -> None:
            self._forward("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        client.close()

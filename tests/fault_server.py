"""A scripted OpenAI-compatible server on loopback: answers every POST with `reply`.

The LiteLLM tests and the LLM fault tests set `server.reply` to the status, headers, body and
delay they want and count `server.hits`, so the real LiteLLM + instructor client is exercised
against real HTTP, misbehaving on purpose. A conversation that needs different answers sets
`server.script` instead: it gets each request's JSON body and returns the reply
(`completion(tool_call(...))` builds a well-formed one).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# status, extra headers, body, seconds to wait before answering
Reply = tuple[int, dict[str, str], bytes, float]


class FaultServer(ThreadingHTTPServer):
    """The server: what it answers (`reply`) and how often it was asked (`hits`)."""

    hits: int = 0
    reply: Reply = (500, {}, b'{"error": {"message": "no reply scripted"}}', 0.0)
    script: Callable[[dict[str, Any]], Reply] | None = None
    requests: list[dict[str, Any]]
    keys: list[str]  # the Authorization header of each scripted request

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.hits += 1
        script = self.server.script
        if script is None:
            status, headers, body, wait = self.server.reply
        else:
            request = json.loads(raw or b"{}")
            self.server.requests.append(request)
            self.server.keys.append(self.headers.get("Authorization", ""))
            status, headers, body, wait = script(request)
        time.sleep(wait)
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # the client may have given up (a timeout test): nothing to answer then
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def fault_server() -> Iterator[FaultServer]:
    """A FaultServer on a free loopback port, served from a thread until the block ends."""
    server = FaultServer(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.keys = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def completion(message: dict[str, object], finish: str = "stop") -> bytes:
    """An OpenAI chat completion body holding `message`."""
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "stub",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    ).encode()


def tool_call(arguments: str, name: str = "f") -> dict[str, object]:
    """An assistant message calling the tool `name` with `arguments` (how instructor gets
    structured output)."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": name, "arguments": arguments}}
        ],
    }


def tool_name(request: dict[str, Any]) -> str:
    """The name of the tool (the response model) a request asks to be called."""
    tools = request.get("tools") or [{}]
    return str(tools[0].get("function", {}).get("name", ""))

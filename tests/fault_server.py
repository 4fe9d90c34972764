"""A scripted OpenAI-compatible server on loopback: answers every POST with `reply`.

The LiteLLM tests and the LLM fault tests set `server.reply` to the status, headers, body and
delay they want and count `server.hits`, so the real LiteLLM + instructor client is exercised
against real HTTP, misbehaving on purpose.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# status, extra headers, body, seconds to wait before answering
Reply = tuple[int, dict[str, str], bytes, float]


class FaultServer(ThreadingHTTPServer):
    """The server: what it answers (`reply`) and how often it was asked (`hits`)."""

    hits: int = 0
    reply: Reply = (500, {}, b'{"error": {"message": "no reply scripted"}}', 0.0)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.hits += 1
        status, headers, body, wait = self.server.reply
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

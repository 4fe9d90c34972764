"""A real uvicorn server for the HTTP tests and benchmark, with a scripted LLM backend.

In-process (`ServerThread`) when a test needs to inject Python objects; as a subprocess
(`python tests/http_support.py --db … --port …`) when a test must restart or kill it.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.backends.base import Message, Reply  # noqa: E402
from service.http import Settings, create_app  # noqa: E402

BANK_ECORE = ROOT / "metamodels" / "bank" / "bank.ecore"
BANK_REFERENCE = ROOT / "metamodels" / "bank" / "reference.json"


class ScriptedBackend:
    """Answers with the given texts in turn (the last one repeats), after a fixed delay."""

    def __init__(self, replies: Sequence[str], delay: float = 0.0, model: str = "scripted"):
        self.replies = list(replies)
        self.delay = delay
        self.model = model
        self.calls = 0

    def complete(
        self,
        messages: list[Message],
        *,
        schema: object,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Reply:
        time.sleep(self.delay)
        text = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        return Reply(text=text, prompt_tokens=100, completion_tokens=len(text) // 4)


def scripted_app(settings: Settings, replies: Sequence[str], delay: float = 0.0) -> FastAPI:
    """The real app, with every model string answered by a fresh `ScriptedBackend`."""
    return create_app(
        settings, backend_factory=lambda model, api_base: ScriptedBackend(replies, delay, model)
    )


class ServerThread:
    """uvicorn serving `app` on a free loopback port in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    """Serve the scripted app (for tests that restart or kill the server process)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--max-generations", type=int, default=8)
    parser.add_argument("--reply", type=Path, default=BANK_REFERENCE)
    args = parser.parse_args()
    reply = json.dumps(json.loads(args.reply.read_text()))
    settings = Settings(db_path=args.db, max_generations=args.max_generations)
    app = scripted_app(settings, [reply], args.delay)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""A real uvicorn server for the HTTP tests and benchmark, with a scripted LLM backend.

In-process (`ServerThread`) when a test needs to inject Python objects; as a subprocess
(`python tests/http_support.py --db … --port …`) when a test must restart or kill it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from instancegen import compilers  # noqa: E402
from instancegen.service.backends.base import Message, Reply  # noqa: E402
from instancegen.service.core.cim import Cim, parse_cim  # noqa: E402
from instancegen.service.core.ecore_loader import load_metamodel  # noqa: E402
from instancegen.service.core.metamodel import Metamodel  # noqa: E402
from instancegen.service.generation.encoding import Grouped  # noqa: E402
from instancegen.service.generation.two_phase.links_schema import plan_links  # noqa: E402
from instancegen.service.generation.two_phase.objects_schema import (  # noqa: E402
    ObjectsRoot,
    declared_objects,
    objects_answer,
)
from instancegen.service.http import Settings, create_app  # noqa: E402

BANK_ECORE = ROOT / "metamodels" / "bank" / "bank.ecore"
BANK_REFERENCE = ROOT / "metamodels" / "bank" / "reference.json"


class ScriptedBackend:
    """An LLM that knows the answer: a fixed CIM, served the way each request asks for it
    (phase 1 objects, phase 2 links, one-shot objects, or XMI for the direct mode; no edits
    when asked for edits), after a fixed delay."""

    def __init__(
        self,
        cim: Cim | None = None,
        metamodel: Metamodel | None = None,
        delay: float = 0.0,
        model: str = "scripted",
    ) -> None:
        self.cim = cim or parse_cim(BANK_REFERENCE.read_bytes())
        self.mm = metamodel or bank_metamodel()
        self.delay = delay
        self.model = model

    def complete(
        self,
        messages: list[Message],
        *,
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply:
        time.sleep(self.delay)
        if schema is None:
            text = compilers.get("xmi").compile(self.cim, self.mm).decode()
        elif schema.__name__ == "Edits":
            text = json.dumps({"edits": []})  # a change nobody can object to
        elif schema.__name__ == "Links":
            plan = plan_links(self.mm, declared_objects(self.mm, self.cim))
            text = json.dumps(plan.answer_of(self.cim))
        elif issubclass(schema, ObjectsRoot):
            text = json.dumps(objects_answer(self.mm, self.cim))
        else:  # a one-shot answer: objects grouped by class, features flattened
            text = json.dumps(Grouped(self.mm).encode(self.cim))
        return Reply(text=text, prompt_tokens=100, completion_tokens=len(text) // 4)


class VaryingBackend(ScriptedBackend):
    """A scripted LLM that writes a different bank (another balance) for each model, so the
    members of an instance set differ."""

    def __init__(self) -> None:
        super().__init__()
        self.variants = itertools.count(1)

    def complete(self, messages: list[Message], **kw: Any) -> Reply:
        schema = kw["schema"]
        if schema is not None and schema.__name__ != "Links":
            text = BANK_REFERENCE.read_text().replace("1250.5", f"{next(self.variants)}.5")
            self.cim = parse_cim(text)
        return super().complete(messages, **kw)


def objects_arguments(mm: Metamodel, cim: Cim, parameters: dict[str, Any]) -> str:
    """What a model knowing `cim` answers to an `Objects` tool call, whichever form its
    parameters ask for: phase 1's (attributes nested per object) or the one-shot grouped
    form (features flattened), which a non-local model is asked for by default."""
    defs = parameters.get("$defs", {}).values()
    if any("attributes" in d.get("properties", {}) for d in defs):
        return json.dumps(objects_answer(mm, cim))
    return json.dumps(Grouped(mm).encode(cim))


@cache
def bank_metamodel() -> Metamodel:
    return load_metamodel([BANK_ECORE])


def scripted_app(settings: Settings, delay: float = 0.0) -> FastAPI:
    """The real app, with every model string answered by a `ScriptedBackend` (bank)."""
    return create_app(
        settings, backend_factory=lambda model, api_base: ScriptedBackend(delay=delay, model=model)
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


@contextmanager
def scripted_client(settings: Settings, timeout: float = 60) -> Iterator[httpx.Client]:
    """A client of `scripted_app(settings)`, served on loopback for the block."""
    with (
        ServerThread(scripted_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=timeout) as client,
    ):
        yield client


SseEvent = tuple[int, str, dict[str, Any]]


def sse(client: httpx.Client, url: str, last_id: int = 0) -> list[SseEvent]:
    """Read a whole SSE stream: (id, event, data) per event."""
    events: list[SseEvent] = []
    headers = {"Last-Event-ID": str(last_id)} if last_id else {}
    with client.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in r.iter_lines():
            if line == "":
                if "data" in fields:
                    events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                fields = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields[key] = value
    return events


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
    args = parser.parse_args()
    settings = Settings(db_path=args.db, max_generations=args.max_generations)
    app = scripted_app(settings, args.delay)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

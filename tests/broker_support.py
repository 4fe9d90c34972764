"""A real redis-server and a scripted bank LLM on loopback, for the broker and batch tests.

`redis_server(tmp)` starts Debian's `redis-server` on a free 127.0.0.1 port with its files in
`tmp` (no persistence) and stops it after; `bank_llm(server, delay)` scripts a FaultServer to
answer the two-step generation's calls (objects, then links) with the bank reference model,
through the real LiteLLM + instructor client.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fault_server import FaultServer, Reply, completion, tool_call
from http_support import BANK_REFERENCE, bank_metamodel, free_port, objects_arguments

from instancegen.service.core.cim import parse_cim
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects

REDIS = shutil.which("redis-server")


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """redis-server on a free loopback port; yields its URL (database 0)."""
    assert REDIS is not None
    port = free_port()
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None, "redis-server exited during start-up"
                assert time.monotonic() < deadline, "redis-server did not start within 20 s"
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def bank_llm(server: FaultServer, delay: float = 0.0) -> None:
    """Make `server` answer like an LLM that knows the bank reference model."""
    mm = bank_metamodel()
    cim = parse_cim(BANK_REFERENCE.read_bytes())
    links = json.dumps(plan_links(mm, declared_objects(mm, cim)).answer_of(cim))

    def answer(body: dict[str, Any]) -> Reply:
        function = body["tools"][0]["function"]
        name = function["name"]
        objects = name != "Links"
        arguments = objects_arguments(mm, cim, function["parameters"]) if objects else links
        return 200, {}, completion(tool_call(arguments, name)), delay

    server.script = answer

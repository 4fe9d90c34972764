"""HTTP service latency under load: 50 concurrent clients on loopback, a scripted LLM.

The server (`tests/http_support.py`: the real app under uvicorn, with a backend that answers
after a fixed delay) runs as its own process, so the load generator does not share its GIL.
Each of `--clients` clients sends `--size` requests back to back; reported per endpoint:
p50/p99 latency and throughput, against a baseline measured in the same run:
- `healthz`: the cheapest round trip, the floor for any request;
- `validate` / `compile` (bank model, metamodel by registered id): the same work done
  in-process, single call, is printed beside it, so the HTTP + queueing share shows;
- `generate` (scripted backend, `--delay` s per LLM call, two calls per generation:
  objects, then links): latency minus the calls' delay is the service's own overhead.

    python benchmarks/bench_http.py                 # 50 clients x 20 requests, delay 0.2 s
    python benchmarks/bench_http.py --clients 10 --size 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from http_support import BANK_ECORE, BANK_REFERENCE, ScriptedBackend, free_port  # noqa: E402
from report import Figure, add_json_option, write  # noqa: E402

from instancegen import (  # noqa: E402
    compilers,
    load_metamodel,
    parse_cim,
)
from instancegen.service.core.validator import validate  # noqa: E402
from instancegen.service.generation import generate  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(
    url: str, clients: int, size: int, method: str, path: str, body: Any
) -> tuple[list[float], float]:
    """Latencies (s) of clients x size requests, and the wall time for all of them."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:

        async def one_client() -> None:
            for _ in range(size):
                started = time.perf_counter()
                r = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - started)
                if r.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        return latencies, time.perf_counter() - started


def in_process(fn: Callable[[], object], repeat: int = 50) -> float:
    """Median seconds of one in-process call (the work without HTTP)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def start_server(db: Path, port: int, delay: float, limit: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "http_support.py"), "--db", str(db),
         "--port", str(port), "--delay", str(delay), "--max-generations", str(limit)]
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--size", type=int, default=20, help="requests per client")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per LLM call")
    add_json_option(parser)
    args = parser.parse_args()
    figures: list[Figure] = []

    mm = load_metamodel([BANK_ECORE])
    reference = json.loads(BANK_REFERENCE.read_text())
    cim = parse_cim(reference)
    xmi = compilers.get("xmi")
    scripted = ScriptedBackend(cim, mm)
    baselines = {
        "validate": in_process(lambda: validate(mm, parse_cim(reference))),
        "compile": in_process(lambda: xmi.compile(cim, mm)),
        "generate": in_process(lambda: generate(mm, "A bank.", backend=scripted), repeat=10),
    }

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(Path(tmp) / "bench.db", port, args.delay, args.clients + 8)
        url = f"http://127.0.0.1:{port}"
        try:
            mm_id = httpx.post(f"{url}/v1/metamodels", json={"ecore": BANK_ECORE.read_text()})
            ref = {"id": mm_id.json()["id"]}
            cases = [
                ("healthz", "GET", "/v1/healthz", None),
                ("validate", "POST", "/v1/validate", {"metamodel": ref, "instance": reference}),
                ("compile", "POST", "/v1/compile", {"metamodel": ref, "instance": reference}),
                ("generate", "POST", "/v1/generate",
                 {"metamodel": ref, "spec": "A bank.", "model": "scripted"}),
            ]  # fmt: skip
            print(
                f"{args.clients} concurrent clients x {args.size} requests, loopback, "
                f"scripted LLM {args.delay:.3f} s per call, load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            header = f"{'endpoint':<10}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}  baseline"
            print(header)
            print("-" * (len(header) + 30))
            for name, method, path, body in cases:
                latencies, wall = asyncio.run(
                    load(url, args.clients, args.size, method, path, body)
                )
                p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
                floor = baselines.get(name, 0.0)
                if name == "generate":
                    floor = 2 * args.delay
                    note = (
                        f"LLM delay {floor * 1e3:.0f} ms; overhead p50 "
                        f"{(p50 - floor) * 1e3:.0f} ms, p99 {(p99 - floor) * 1e3:.0f} ms; "
                        f"in-process call, no delay, {baselines[name] * 1e3:.1f} ms"
                    )
                elif name in baselines:
                    note = f"in-process call {baselines[name] * 1e3:.2f} ms"
                else:
                    note = "the floor of any request"
                print(
                    f"{name:<10}{p50 * 1e3:>9.1f}{p99 * 1e3:>9.1f}"
                    f"{len(latencies) / wall:>9.0f}  {note}"
                )
                if name == "healthz":  # the floor of any request: its tail against its median
                    shown, what, floor, floor_name = p99, "p99", p50, "its own p50"
                else:
                    shown, what = p50, "p50"
                    floor_name = "the same call in-process"
                    if name == "generate":
                        floor_name = "the scripted LLM's delay"
                figures.append(
                    Figure("http", f"{method} {path}, {args.clients} httpx clients, {what}",
                           shown * 1e3, floor * 1e3, floor_name, "ms")
                )  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(30)
    write(args.json, figures)


if __name__ == "__main__":
    main()

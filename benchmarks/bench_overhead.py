"""Request overhead: instancegen's HTTP service against a bare FastAPI app, same run, with wrk.

Each app runs as its own process under uvicorn (uvloop and httptools when `uvicorn[standard]`
is installed): the bare app, and `instancegen serve --no-access-log` (plus, for healthz, a
second `instancegen serve` with its default access log, to show what logging costs); wrk
(Debian package `wrk`) drives each with `--connections` connections for `--duration` seconds:
- `healthz`: the bare app answers `GET /v1/healthz` with the same JSON, so the ratio of the
  two throughputs is what instancegen's middleware, routing and response handling cost;
- `validate`: `POST /v1/validate` with the bank reference model (7 objects, metamodel by
  registered id); the bare app's `POST /v1/validate` does the same work in one `async` route
  (parse the CIM, validate it against the bank metamodel it loaded at start, answer the
  issues), so its p99 is the tail FastAPI, uvicorn and the machine give that work; the
  in-process `validate` call is printed beside them.
The apps are measured in turns (`--rounds`), best round kept, so a burst of load from other
processes on the machine does not decide the ratio.

    python benchmarks/bench_overhead.py                  # 50 connections, 10 s, 2 rounds
    python benchmarks/bench_overhead.py --duration 5 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from http_support import BANK_ECORE, BANK_REFERENCE, free_port  # noqa: E402
from report import Figure, add_json_option, write  # noqa: E402

from instancegen import load_metamodel, parse_cim  # noqa: E402
from instancegen.service.core.validator import validate  # noqa: E402

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def serve_bare(port: int) -> None:
    """The baseline: FastAPI with the two routes and nothing else, under the same uvicorn."""
    from typing import Any

    import uvicorn
    from fastapi import Body, FastAPI

    from instancegen.service.core.issues import has_errors

    app = FastAPI()
    mm = load_metamodel([BANK_ECORE])

    @app.get("/v1/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": "0.1.0"}

    @app.post("/v1/validate")
    async def check(instance: dict[str, Any] = Body(embed=True)) -> dict[str, Any]:  # noqa: B008
        issues = validate(mm, parse_cim(instance))
        return {"valid": not has_errors(issues), "issues": [i.model_dump() for i in issues]}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def start(command: list[str], port: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a server (its stderr to `log`, as a service would log to a file)."""
    stderr = log.open("wb") if log is not None else None
    proc = subprocess.Popen(command, stderr=stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{command} did not start")


def wrk(url: str, connections: int, duration: int, script: Path | None) -> dict[str, float]:
    """Throughput and latency percentiles (seconds) of one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for q in ("50", "99"):
        value, unit = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        figures[f"p{q}"] = float(value) * _UNITS[unit]
    return figures


def post_script(path: Path, body: object) -> Path:
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    mm = load_metamodel([BANK_ECORE])
    reference = json.loads(BANK_REFERENCE.read_text())
    times = []
    for _ in range(200):
        started = time.perf_counter()
        validate(mm, parse_cim(reference))
        times.append(time.perf_counter() - started)
    in_process = statistics.median(times)

    with tempfile.TemporaryDirectory() as tmp:
        bare_port, ig_port, logged_port = free_port(), free_port(), free_port()
        bare = start([sys.executable, __file__, "--serve-bare", str(bare_port)], bare_port)
        serve = [sys.executable, "-m", "instancegen", "serve"]
        ig = start(
            [*serve, "--db", f"{tmp}/a.db", "--port", str(ig_port), "--no-access-log"], ig_port
        )
        logged = start(
            [*serve, "--db", f"{tmp}/b.db", "--port", str(logged_port)],
            logged_port,
            Path(tmp) / "access.log",
        )
        try:
            ig_url = f"http://127.0.0.1:{ig_port}"
            mm_id = httpx.post(f"{ig_url}/v1/metamodels", json={"ecore": BANK_ECORE.read_text()})
            body = {"metamodel": {"id": mm_id.json()["id"]}, "instance": reference}
            script = post_script(Path(tmp) / "validate.lua", body)
            bare_script = post_script(Path(tmp) / "bare.lua", {"instance": reference})
            runs: dict[str, list[dict[str, float]]] = {
                "bare": [], "healthz": [], "logged": [], "bare validate": [], "validate": []
            }  # fmt: skip
            for _ in range(args.rounds):
                for name, url, lua in (
                    ("bare", f"http://127.0.0.1:{bare_port}/v1/healthz", None),
                    ("healthz", f"{ig_url}/v1/healthz", None),
                    ("logged", f"http://127.0.0.1:{logged_port}/v1/healthz", None),
                    ("bare validate", f"http://127.0.0.1:{bare_port}/v1/validate", bare_script),
                    ("validate", f"{ig_url}/v1/validate", script),
                ):
                    runs[name].append(wrk(url, args.connections, args.duration, lua))
        finally:
            for proc in (bare, ig, logged):
                proc.terminate()
                proc.wait(30)

    best = {name: max(rs, key=lambda r: r["rps"]) for name, rs in runs.items()}
    print(
        f"wrk, {args.connections} connections, {args.duration} s x {args.rounds} round(s), best "
        f"round; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    header = f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  baseline"
    print(header)
    print("-" * (len(header) + 30))
    notes = {
        "bare": "FastAPI, one route: the baseline",
        "healthz": f"{best['healthz']['rps'] / best['bare']['rps']:.2f}x the bare app",
        "logged": f"{best['logged']['rps'] / best['bare']['rps']:.2f}x the bare app",
        "bare validate": f"in-process validate {in_process * 1e3:.2f} ms",
        "validate": f"p99 {best['validate']['p99'] / best['bare validate']['p99']:.2f}x the "
        "bare app's",
    }
    labels = {
        "bare": "bare FastAPI /v1/healthz",
        "healthz": "instancegen /v1/healthz",
        "logged": "  ... with access log",
        "bare validate": "bare FastAPI /v1/validate",
        "validate": "instancegen /v1/validate",
    }
    for name, r in best.items():
        print(
            f"{labels[name]:<28}{r['rps']:>9.0f}{r['p50'] * 1e3:>9.1f}{r['p99'] * 1e3:>9.1f}"
            f"  {notes[name]}"
        )
    c = args.connections
    write(
        args.json,
        [
            Figure("http", f"/v1/healthz at {c} connections (req/s)", best["healthz"]["rps"],
                   best["bare"]["rps"], "bare FastAPI app", "req/s", ">= 0.8x"),
            Figure("http", f"/v1/healthz at {c} connections, with access log (req/s)",
                   best["logged"]["rps"], best["bare"]["rps"], "bare FastAPI app", "req/s"),
            Figure("http", f"/v1/validate at {c} connections, p99", best["validate"]["p99"] * 1e3,
                   best["bare validate"]["p99"] * 1e3, "bare FastAPI app, same work", "ms",
                   "< 50 ms"),
            Figure("http", f"/v1/validate at {c} connections, p50", best["validate"]["p50"] * 1e3,
                   best["bare validate"]["p50"] * 1e3, "bare FastAPI app, same work", "ms"),
            Figure("http", f"/v1/validate at {c} connections (req/s)", best["validate"]["rps"],
                   best["bare validate"]["rps"], "bare FastAPI app, same work", "req/s"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
